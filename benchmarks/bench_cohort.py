#!/usr/bin/env python
"""The cohort engine against the agent engine on the same book: loan-months a second, the
first call (compilation) timed apart, medians over repeats, and the loss's mean and spread
from each engine.

The book is the demo book (five score bands, exposures lognormal, no loan terms) under the
demo model (nine states, AR(1) macro factor) or, with ``--preset``, the calibrated preset's
model (behaviour types, income shocks, fraud claims, charge-off at 180 days) on the same
kind of book; with ``--terms``, the preset's model on the preset's book with loan terms
(``jiebei_book``: terms of 3, 6 and 12 months at mixed ages, three repayment methods,
starting states ``JIEBEI_START``), whose money both engines simulate.  The cohort engine's cost does not grow with the loans: its figure is
loan-months simulated (loans x months x scenarios) over the seconds taken.  The issue's
target is 1,000,000 loans x 36 months x 10,000 scenarios in under 60 s on a 2-core CPU,
and at least 100x the agent engine's loan-months a second.

Usage::

    python benchmarks/bench_cohort.py                       # reference sizes
    python benchmarks/bench_cohort.py --quick               # a smoke test
    python benchmarks/bench_cohort.py --classes 1 16        # exposure classes tried
    python benchmarks/bench_cohort.py --terms --horizon 12 --classes 1   # with loan terms
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import creditsim as cs
from creditsim import presets


def _timed(fn, repeats):
    first = time.perf_counter()
    out = fn()
    first = time.perf_counter() - first
    runs = []
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        runs.append(time.perf_counter() - t)
    return out, first, statistics.median(runs) if runs else first


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--loans", type=int, default=1_000_000)
    ap.add_argument("--horizon", type=int, default=36)
    ap.add_argument("--scenarios", type=int, default=1_024, help="cohort engine's scenarios per call")
    ap.add_argument("--agent-scenarios", type=int, default=8)
    ap.add_argument("--classes", type=int, nargs="+", default=[1, 16])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--preset", action="store_true", help="the calibrated preset's model (every feature)")
    ap.add_argument("--terms", action="store_true", help="the preset's model and book with loan terms")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args(argv)
    if a.quick:
        a.loans, a.horizon, a.scenarios, a.agent_scenarios, a.repeats = 20_000, 6, 64, 2, 1
    model = presets.jiebei_model() if a.preset or a.terms else presets.demo_model()
    book = presets.jiebei_book(a.loans, seed=1, states=presets.JIEBEI_START) if a.terms else \
        presets.demo_book(a.loans, seed=1)
    rows = []
    run = dict(horizon=a.horizon, seed=7)
    ds, first, med = _timed(lambda: cs.simulate(model, book, scenarios=a.agent_scenarios, **run), a.repeats)
    lm = a.loans * a.horizon * a.agent_scenarios
    rows.append({"engine": "agent", "classes": None, "scenarios": a.agent_scenarios, "first_s": first,
                 "median_s": med, "loan_months_per_s": lm / med, "loss_mean": float(ds.loss.mean())})
    for e in a.classes:
        ds, first, med = _timed(lambda e=e: cs.simulate(model, book, scenarios=a.scenarios, engine="cohort",
                                                        exposure_classes=e, **run), a.repeats)
        lm = a.loans * a.horizon * a.scenarios
        rows.append({"engine": "cohort", "classes": e, "scenarios": a.scenarios, "first_s": first,
                     "median_s": med, "loan_months_per_s": lm / med, "loss_mean": float(ds.loss.mean()),
                     "loss_sd": float(ds.loss.std()), "class_error": ds.attrs.get("exposure_class_error"),
                     "s_per_10k_scenarios": med / a.scenarios * 10_000})
    agent = rows[0]["loan_months_per_s"]
    for r in rows[1:]:
        r["speedup_vs_agent"] = r["loan_months_per_s"] / agent
    print(json.dumps({"machine": platform.processor() or platform.machine(), "loans": a.loans,
                      "horizon": a.horizon, "model": "terms" if a.terms else "preset" if a.preset else "demo", "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
