#!/usr/bin/env python
"""What the run plan's choices cost: the scenario batch, dropping finished loans from a
book without loan terms, one-month runs, and the first call with strategies.

Each case times ``cs.simulate`` (the whole call) under two or more settings in the same
process, one after the other: the first call apart (compilation included), then the
median of ``--repeats`` calls.  The compile case runs each setting in a fresh process (its
first call compiles everything) and counts the kernel's traces.

Usage::

    python benchmarks/bench_plan.py                     # every case, reference sizes
    python benchmarks/bench_plan.py --case batch --repeats 2
    python benchmarks/bench_plan.py --quick             # small sizes, a smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

CASES = ("batch", "drop", "short", "compile")


def _timed(fn, repeats: int) -> dict:
    t = time.perf_counter()
    fn(0)
    first = time.perf_counter() - t
    runs = []
    for r in range(repeats):
        t = time.perf_counter()
        fn(r + 1)
        runs.append(time.perf_counter() - t)
    med = statistics.median(runs)
    return {"first_s": round(first, 3), "steady_s": round(med, 3), "runs_s": [round(x, 3) for x in runs]}


def _row(label: str, loan_months: int, t: dict) -> dict:
    return {"setting": label, "loan_months": loan_months, **t,
            "rate_M": round(loan_months / t["steady_s"] / 1e6, 1)}


def case_batch(cs, presets, args) -> list[dict]:
    """A small book under many scenarios: the old default batch of 8 against the batch the
    plan sizes from the chunk (and 64, the figure the issue measured)."""
    from creditsim.run.plan import default_scenario_batch, padded_length

    n, t, s = (2_000, 12, 1_000) if args.quick else (10_000, 12, 10_000)
    model, book = presets.demo_model(), presets.demo_book(n, seed=1)
    default = default_scenario_batch(padded_length(n, 2**18))
    rows = []
    for label, batch in (("scenario_batch=8", 8), ("scenario_batch=64", 64), (f"default ({default})", None)):
        kw = {} if batch is None else {"scenario_batch": batch}
        tm = _timed(lambda r, kw=kw: cs.simulate(model, book, horizon=t, scenarios=s, seed=r, **kw), args.repeats)
        rows.append(_row(label, n * t * s, tm))
    return rows


def case_drop(cs, presets, args) -> list[dict]:
    """A book without loan terms (the demo model's chain): the whole horizon in one kernel
    call, against spans of months with finished loans dropped between them."""
    n, t, s = (100_000, 36, 4) if args.quick else (1_000_000, 36, 4)
    model, book = presets.demo_model(), presets.demo_book(n, seed=1)
    rows = []
    for label, span in (("one call (month_span=36)", t), ("spans of 6, dropping", 6), ("spans of 12, dropping", 12)):
        tm = _timed(lambda r, span=span: cs.simulate(model, book, horizon=t, scenarios=s, seed=r, month_span=span),
                    args.repeats)
        rows.append(_row(label, n * t * s, tm))
    ds = cs.simulate(model, book, horizon=t, scenarios=s, seed=0)
    live = ds.occupancy.sel(state=[x for x in ds.state.values if x not in ("paid_off", "charged_off")]).sum(
        ("state", "segment"))
    rows.append({"setting": "share of loans open (mean over scenarios)",
                 "by_month": {int(m): round(float(live.sel(month=m).mean()) / n, 3) for m in (6, 12, 24, 36)}})
    return rows


def case_short(cs, presets, args) -> list[dict]:
    """One-, two- and twelve-month runs of the demo model."""
    n, s = (100_000, 4) if args.quick else (1_000_000, 4)
    model, book = presets.demo_model(), presets.demo_book(n, seed=1)
    rows = []
    for t in (1, 2, 12):
        tm = _timed(lambda r, t=t: cs.simulate(model, book, horizon=t, scenarios=s, seed=r), args.repeats)
        rows.append(_row(f"horizon={t}", n * t * s, tm))
    return rows


_CHILD = r"""
import json, sys, time
import creditsim as cs
from creditsim import presets
from creditsim.engine.tracing import trace_count
n, t, s, names = json.loads(sys.argv[1])
model, book = presets.jiebei_model(), presets.jiebei_book(n, seed=1)
out = {}
for r in range(2):
    t0 = time.perf_counter()
    cs.simulate(model, book, horizon=t, scenarios=s, seed=r, strategies=names or None)
    out["first_s" if r == 0 else "second_s"] = round(time.perf_counter() - t0, 3)
    out["traces_after_" + ("first" if r == 0 else "second")] = trace_count("chunk_kernel")
print(json.dumps(out))
"""


def case_compile(cs, presets, args) -> list[dict]:
    """The first call of the Jiebei preset with no strategy, one and six, each in a fresh
    process: its time (compilation included) and the kernel's traces."""
    n, t, s = (20_000, 12, 4) if args.quick else (250_000, 36, 4)
    rows = []
    for label, names in (("no strategy", []), ("1 strategy", ["agency_at_90"]),
                         ("6 strategies", list(cs.STRATEGIES))):
        p = subprocess.run([sys.executable, "-c", _CHILD, json.dumps([n, t, s, names])], capture_output=True,
                           text=True, check=True, env=os.environ)
        rows.append({"setting": label, "loans": n, "months": t, "scenarios": s, **json.loads(p.stdout)})
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--case", action="append", choices=CASES, help="run only these cases (repeatable)")
    ap.add_argument("--repeats", "-r", type=int, default=3, help="steady-state calls after the first (default 3)")
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke test)")
    ap.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = ap.parse_args(argv)
    import jax

    import creditsim as cs
    from creditsim import presets

    cs.simulate(presets.demo_model(), presets.demo_book(1), horizon=1, scenarios=1, seed=0)  # JAX start-up
    out = {"backend": jax.default_backend(), "devices": len(jax.devices()), "cpus": os.cpu_count(),
           "load_start": os.getloadavg()[0]}
    fns = {"batch": case_batch, "drop": case_drop, "short": case_short, "compile": case_compile}
    for case in args.case or CASES:
        print(f"[{case}] {fns[case].__doc__.split(chr(10))[0]}", file=sys.stderr)
        out[case] = fns[case](cs, presets, args)
        for row in out[case]:
            print(f"  {json.dumps(row)}", file=sys.stderr)
    out["load_end"] = os.getloadavg()[0]
    print(json.dumps(out, indent=1))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
