"""The main job: simulate the built-in demo book and print its risk summary.

``python -m creditsim.demo`` (``make demo``) simulates a synthetic 1,000,000-loan book of
five score bands for 24 months in 1,000 scenarios, prints the risk summary, and writes the
result Dataset (netCDF) and a figure.
"""

from __future__ import annotations

import argparse
import sys
import time


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m creditsim.demo", description=__doc__.splitlines()[0])
    ap.add_argument("--loans", type=int, default=1_000_000, help="loans in the book (default 1,000,000)")
    ap.add_argument("--months", type=int, default=24, help="horizon in months (default 24)")
    ap.add_argument("--scenarios", type=int, default=1000, help="Monte Carlo scenarios (default 1000)")
    ap.add_argument("--seed", type=int, default=2026, help="seed (default 2026)")
    ap.add_argument("--out", default="results/demo.nc", help="result file (default results/demo.nc)")
    ap.add_argument("--figure", default="results/demo_loss.png", help="figure (PNG); '' for none")
    args = ap.parse_args(argv)

    import numpy as np

    import creditsim as cs
    from creditsim import presets

    t0 = time.perf_counter()
    model = presets.demo_model()
    book = presets.demo_book(args.loans, seed=args.seed)
    print(f"creditsim {cs.__version__}: {len(book):,} loans in {len(model.segments)} score bands "
          f"({', '.join(model.segment_names)}), exposure {book.total_exposure / 1e9:,.2f} billion "
          f"CNY, {args.months} months, {args.scenarios} scenarios")
    t1 = time.perf_counter()
    ds = cs.simulate(model, book, horizon=args.months, scenarios=args.scenarios, seed=args.seed)
    t2 = time.perf_counter()
    lm = len(book) * args.months * args.scenarios
    print(f"simulated {lm / 1e9:,.2f} billion loan-months (loans x months x scenarios) in "
          f"{t2 - t1:.1f} s (compilation included; {lm / (t2 - t1) / 1e6:,.0f} million a second)\n")
    summary = cs.risk_summary(ds, levels=(0.95, 0.99, 0.999))
    print(cs.format_summary(summary))
    occ = ds.occupancy.sum("segment")
    live = occ.drop_sel(state=["paid_off", "charged_off"]).sum("state")
    dpd30 = occ.sel(state=["dpd_31_60", "dpd_61_90", "dpd_91_180"]).sum("state")
    ratio = 100 * (dpd30 / live).isel(month=[0, -1])
    print(f"\n30+ days past due (31-180 dpd; restructured and fraud review not counted), share of live "
          f"loans: {float(ratio.isel(month=0).mean()):.2f}% at month 0, "
          f"{float(ratio.isel(month=-1).mean()):.2f}% at month {args.months} "
          f"(5%-95% over scenarios: {float(ratio.isel(month=-1).quantile(0.05)):.2f}%-"
          f"{float(ratio.isel(month=-1).quantile(0.95)):.2f}%)")
    by_band = 100 * ds.loss_by_segment.mean("scenario") / ds.initial_exposure.sum("state")
    print("expected loss by band (% of exposure): " +
          ", ".join(f"{s} {v:.2f}%" for s, v in zip(by_band.segment.values, np.asarray(by_band), strict=True)))

    if args.out:
        cs.save_result(ds, args.out)
        print(f"\nresult dataset: {args.out}")
    if args.figure:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        from creditsim import plot

        fig, (a, b) = plt.subplots(1, 2, figsize=(13, 4.5), layout="constrained")
        plot.loss_distribution(ds, summary.sel(level=[0.99, 0.999]), ax=a)
        plot.delinquency_paths(ds, ax=b)
        import os

        os.makedirs(os.path.dirname(os.path.abspath(args.figure)), exist_ok=True)
        fig.savefig(args.figure, dpi=120)
        print(f"figure: {args.figure}")
    print(f"total {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
