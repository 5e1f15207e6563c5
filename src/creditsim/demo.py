"""The main job: simulate a Jiebei-like book under the calibrated preset and print what a
risk team asks of it.

``python -m creditsim.demo`` (``make demo``) simulates a synthetic seasoned book of 200,000
loans (five score bands, three behaviour types, 3/6/12-month terms with their schedules)
under ``creditsim.presets.jiebei_model`` for 24 months: 1,000 scenarios of the baseline
and 200 of the ``recession`` stress scenario.  It prints the risk summary of the net credit
loss, the cash flows, the 30+ and 90+ delinquency ratios and the loss by band, and writes
the baseline result Dataset (netCDF) and a figure.
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m creditsim.demo", description=__doc__.splitlines()[0])
    ap.add_argument("--loans", type=int, default=200_000, help="loans in the book (default 200,000)")
    ap.add_argument("--months", type=int, default=24, help="horizon in months (default 24)")
    ap.add_argument("--scenarios", type=int, default=1000, help="baseline Monte Carlo scenarios (default 1000)")
    ap.add_argument("--stress-scenarios", type=int, default=200,
                    help="scenarios of the recession run (default 200; 0 for none)")
    ap.add_argument("--seed", type=int, default=2026, help="seed (default 2026)")
    ap.add_argument("--out", default="results/demo.nc", help="baseline result file (default results/demo.nc)")
    ap.add_argument("--figure", default="results/demo_loss.png", help="figure (PNG); '' for none")
    args = ap.parse_args(argv)

    import numpy as np

    import creditsim as cs
    from creditsim import presets

    t0 = time.perf_counter()
    model = presets.jiebei_model()
    book = presets.jiebei_book(args.loans, seed=args.seed, states=presets.JIEBEI_START)
    opening = book.total_exposure
    print(f"creditsim {cs.__version__}: Jiebei-like book of {len(book):,} loans, balance "
          f"{opening / 1e6:,.1f} million CNY, {len(model.segments)} score bands x 3 behaviour types, "
          f"terms 3/6/12 months; {args.months} months; {args.scenarios} baseline scenarios"
          + (f", {args.stress_scenarios} recession scenarios" if args.stress_scenarios else ""))

    runs = {"baseline": (model, args.scenarios)}
    if args.stress_scenarios:
        runs["recession"] = (cs.apply_stress(model, "recession"), args.stress_scenarios)
    results = {}
    for name, (m, s) in runs.items():
        t1 = time.perf_counter()
        results[name] = cs.simulate(m, book, horizon=args.months, scenarios=s, seed=args.seed)
        t2 = time.perf_counter()
        lm = len(book) * args.months * s
        print(f"{name}: {lm / 1e9:,.2f} billion loan-months (loans x months x scenarios) in {t2 - t1:.1f} s "
              f"({lm / (t2 - t1) / 1e6:,.0f} million a second, compilation included)")
    ds = results["baseline"]

    print(f"\nNet credit loss over {args.months} months, baseline "
          "(credit charge-offs + fraud losses + collection costs - recoveries):")
    summary = cs.risk_summary(ds, levels=(0.95, 0.99, 0.999))
    print(cs.format_summary(summary))

    def pct(x):
        return f"{x / 1e6:10,.2f}  {100 * x / opening:6.2f}%"

    print(f"\nCash flows over {args.months} months, mean over scenarios (million CNY, % of opening balance):")
    for name, r in results.items():
        print(f"  {name}")
        for var, label in [("interest_received", "interest received"), ("principal_repaid", "principal repaid"),
                           ("credit_charge_offs", "credit charge-offs"), ("fraud_losses", "fraud losses"),
                           ("net_credit_loss", "net credit loss")]:
            print(f"    {label:<20}{pct(float(r[var].sum('month').mean()))}")
        print(f"    {'NPV at ' + format(100 * model.cost_of_funds, 'g') + '% funding':<20}"
              f"{pct(float(r['npv'].mean()))}   (cash in less the opening balance)")

    months = [m for m in range(7) if m <= args.months]  # a run-off book: the first months
    print("\nDelinquency ratios (% of live balance past due), mean over scenarios [5%-95%], first months "
          "(the book takes no new loans, so the ratios drift up as good loans repay; its loans that start "
          "91-180 days past due all start at 91 days and reach the 180-day charge-off together in month 3, "
          "hence the dip):")
    print("  " + " " * 16 + "".join(f" {'month ' + str(m):>19}" for m in months))
    for d in (30, 90):
        for name, r in results.items():
            x = 100 * cs.delinquency_ratios(r, days=(d,)).sel(days=d, month=months)
            cells = [f"{float(x.sel(month=m).mean()):.2f} [{float(x.sel(month=m).quantile(0.05)):.2f}-"
                     f"{float(x.sel(month=m).quantile(0.95)):.2f}]" for m in months]
            print(f"  {str(d) + '+ ' + name:<16}" + "".join(f" {c:>19}" for c in cells))

    total = 100 * float(ds.net_credit_loss.sum("month").mean("scenario")) / opening
    # by band: credit charge-offs plus fraud losses (no strategy: no costs, no recoveries)
    band_loss = ds.loss_by_segment.mean("scenario") + ds.fraud_loss.mean("scenario")
    band_share = np.asarray(100 * band_loss / ds.initial_exposure.sum("state"))
    print(f"\nExpected net credit loss, baseline: {total:.2f}% of the opening balance; by band, % of the "
          "band's balance: " + ", ".join(f"{s} {v:.2f}%" for s, v in
                                         zip(band_loss.segment.values, band_share, strict=True)))

    if args.out:
        cs.save_result(ds, args.out)
        print(f"\nbaseline result dataset: {args.out}")
    if args.figure:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from creditsim import plot

        fig, ((a, b), (c, d)) = plt.subplots(2, 2, figsize=(15, 9.5), layout="constrained")
        plot.loss_distribution(ds, summary.sel(level=[0.99, 0.999]), ax=a)
        plot.loss_paths(results, ax=b)
        plot.delinquency_ratios(results, ax=c, months=min(args.months, 6))
        c.set_title("Delinquency ratios, first months (the book takes no new loans)", fontsize=10)
        plot.cash_flows(ds, ax=d, flows=["interest_received", "credit_charge_offs", "fraud_losses"])
        d.set_title("Interest received and losses by month, baseline, mean over scenarios", fontsize=10)
        os.makedirs(os.path.dirname(os.path.abspath(args.figure)), exist_ok=True)
        fig.savefig(args.figure, dpi=110)
        print(f"figure: {args.figure}")
    print(f"total {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
