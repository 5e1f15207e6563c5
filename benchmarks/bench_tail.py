#!/usr/bin/env python
"""The 1-in-1,000 year by importance sampling of the macro path, against plain Monte Carlo
at equal time: the calibrated preset (every feature) on a seasoned book, the ES and VaR at
99.9% of the net credit loss over the horizon, with their 95% intervals.

Plain and importance-sampled runs take the same number of scenarios (the cost of a
scenario does not depend on its macro path: the times are printed), so the ratio of the
squared interval widths is the variance reduction at equal time.  Each case's first call
(compilation) is timed apart.

Usage::

    python benchmarks/bench_tail.py                              # reference sizes
    python benchmarks/bench_tail.py --quick                      # a smoke test
    python benchmarks/bench_tail.py --shifts -1.5 -2.0 -2.5       # the mean paths tried
    python benchmarks/bench_tail.py --shifts=auto,auto+strata,-2.0+strata   # aimed, stratified
    python benchmarks/bench_tail.py --engine cohort --loans 1000000 --scenarios 64 --shifts auto+strata --no-plain

A shift is a constant mean of Z (a number), ``auto`` (``macro_mean="auto"``: the call's
time includes its pilot) or ``none`` (no shift); ``+strata`` adds ``macro_strata =
scenarios // 2``, ``+anti`` ``macro_antithetic=True``, ``+sobolR`` ``macro_sobol=R``.
"""

from __future__ import annotations

import argparse
import json
import platform
import time

import numpy as np

import creditsim as cs
from creditsim import presets


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--loans", type=int, default=20_000)
    ap.add_argument("--horizon", type=int, default=12)
    ap.add_argument("--scenarios", type=int, default=10_000)
    ap.add_argument("--shifts", nargs="+", default=["-1.5", "-2.0"],
                    help="cases: a number (constant mean of Z) or 'auto', each optionally with '+strata' "
                    "(several: --shifts=a,b,c)")
    ap.add_argument("--level", type=float, default=0.999)
    ap.add_argument("--engine", choices=["agent", "cohort"], default="agent")
    ap.add_argument("--no-plain", action="store_true", help="the shifted runs only")
    ap.add_argument("--quick", action="store_true")
    a = ap.parse_args(argv)
    if a.quick:
        a.loans, a.horizon, a.scenarios, a.shifts = 2000, 6, 2000, ["-2.0,auto+strata"]
    model = presets.jiebei_model()
    book = presets.jiebei_book(a.loans, seed=1, states=presets.JIEBEI_START)
    out = {"machine": f"{platform.processor() or platform.machine()}, {platform.system()}", "loans": a.loans,
           "horizon": a.horizon, "scenarios": a.scenarios, "level": a.level, "engine": a.engine}
    # compile once (a small call with the same shapes) so that the timed calls are steady
    t = time.perf_counter()
    cs.simulate(model, book, horizon=a.horizon, scenarios=8, seed=99, engine=a.engine)
    out["first_call_s"] = round(time.perf_counter() - t, 1)
    cases = [c for arg in a.shifts for c in arg.split(",") if c]
    for case in ([] if a.no_plain else [None]) + cases:
        shift, how = None, {}
        if case is not None:
            name, _, extra = case.partition("+")
            shift = name if name == "auto" else None if name == "none" else float(name)
            if extra == "strata":
                how = {"macro_strata": a.scenarios // 2}
            elif extra == "anti":
                how = {"macro_antithetic": True}
            elif extra.startswith("sobol"):
                how = {"macro_sobol": int(extra[5:])}
        t = time.perf_counter()
        ds = cs.simulate(model, book, horizon=a.horizon, scenarios=a.scenarios, seed=1, macro_mean=shift,
                         engine=a.engine, **how)
        secs = time.perf_counter() - t
        r = cs.risk_summary(ds, levels=[a.level])
        es = [float(x) for x in r.es.sel(level=a.level).values]
        var = [float(x) for x in r["var"].sel(level=a.level).values]

        def yuan(x):
            return None if not np.isfinite(x) else round(x)

        key = "plain" if case is None else f"shift_{case}"
        out[key] = {
            "seconds": round(secs, 1), "es": [yuan(x) for x in es], "var": [yuan(x) for x in var],
            "es_half_width": yuan((es[2] - es[1]) / 2), "var_half_width": yuan((var[2] - var[1]) / 2),
            "effective_scenarios": round(float(r.attrs["effective_scenarios"]), 1)}
        if shift == "auto":
            out[key]["macro_mean"] = [round(x, 3) for x in ds.attrs["macro_mean"]]
        row = out[key]
        row["es_relative_half_width"] = round((es[2] - es[1]) / 2 / es[0], 4) if es[0] else None
        print(case, row, flush=True)
    plain = out.get("plain")
    for k, v in list(out.items()):
        if k.startswith("shift_") and plain is not None:
            for m in ("es", "var"):
                w0, w1 = plain[f"{m}_half_width"], v[f"{m}_half_width"]
                v[f"{m}_variance_ratio"] = round((w0 / w1) ** 2, 1) if w0 and w1 else None
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
