#!/usr/bin/env python
"""What new loans every month cost: the per-loan-month rate of the calibrated preset over
36 months without and with steady originations.

A loan-month is a month a loan is live at its start (not paid off or charged off; a new
loan's months from the month after its entry): the engine's work, whatever the book.  The
cases: the book alone (it runs off within a year); the book with steady originations; and
the same loans all in the book at month 0 (the originations' loans as a second book of new
loans, without the waiting: the kernel without the origination feature on the same loans).
Each case times ``cs.simulate`` (the whole call): the first call apart
(compilation included), then the median of ``--repeats`` calls, in one process.

Usage::

    python benchmarks/bench_originations.py                 # reference sizes
    python benchmarks/bench_originations.py --quick         # a smoke test
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import numpy as np

import creditsim as cs
from creditsim import presets


def _timed(fn, repeats):
    t = time.perf_counter()
    fn()
    first = time.perf_counter() - t
    runs = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - t)
    return first, statistics.median(runs), runs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--loans", type=int, default=250_000)
    ap.add_argument("--monthly", type=int, default=25_000, help="new loans a month")
    ap.add_argument("--horizon", type=int, default=36)
    ap.add_argument("--scenarios", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args(argv)
    if a.quick:
        a.loans, a.monthly, a.horizon, a.scenarios, a.repeats = 5000, 500, 12, 2, 1
    model = presets.jiebei_model()
    book = presets.jiebei_book(a.loans, seed=1, states=presets.JIEBEI_START)
    plan = cs.Originations(a.monthly, presets.DEMO_MIX, rates=presets.JIEBEI_RATES, seed=2)
    kw = dict(horizon=a.horizon, scenarios=a.scenarios, seed=3)
    out = {"machine": f"{platform.processor() or platform.machine()}, {platform.system()}",
           "loans": a.loans, "monthly": a.monthly, "horizon": a.horizon, "scenarios": a.scenarios}
    new = plan.draw(a.horizon, with_terms=True)
    names = np.asarray(book.state_names)[book.state_codes]
    together = cs.LoanBook(np.concatenate([np.asarray(book.segment_names)[book.segment_codes], new.segment]),
                           np.concatenate([names, np.full(len(new), "current")]),
                           terms=cs.LoanTerms(*(np.concatenate([getattr(book.terms, c), getattr(new.terms, c)])
                                                for c in ("principal", "annual_rate", "term", "method",
                                                          "months_on_book"))),
                           days_past_due=np.concatenate([book.days_past_due, np.zeros(len(new), np.int32)]))
    for name, bk, extra in (("book_only", book, {}), ("with_originations", book, {"originations": plan}),
                            ("same_loans_at_month_0", together, {})):
        holder = {}

        def run(bk=bk, extra=extra, holder=holder):
            holder["ds"] = cs.simulate(model, bk, **kw, **extra)

        first, steady, runs = _timed(run, a.repeats)
        ds = holder["ds"]
        # loan-months: loans in the book at the start of each month 1..T (those lent in
        # month m count from month m + 1), times scenarios
        live = [x for x in ds.state.values if x not in ("paid_off", "charged_off")]
        loan_months = int(ds.occupancy.sel(state=live).isel(month=slice(0, -1)).sum())
        out[name] = {"first_s": round(first, 2), "steady_s": round(steady, 2), "runs_s": [round(x, 2) for x in runs],
                     "loan_months": loan_months, "rate_M_per_s": round(loan_months / steady / 1e6, 2)}
        if name == "with_originations":
            r = cs.delinquency_ratios(ds).mean("scenario").transpose("month", "days").values
            out[name]["ratio_30_90_month_end"] = [[round(float(x), 4) for x in r[m]] for m in sorted({0, a.horizon // 3, 2 * a.horizon // 3, a.horizon})]
    for ref in ("book_only", "same_loans_at_month_0"):
        out[f"rate_ratio_vs_{ref}"] = round(out["with_originations"]["rate_M_per_s"] / out[ref]["rate_M_per_s"], 3)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
