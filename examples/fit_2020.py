"""Fit the macro path of 2020 to Ant Group's published 30+ ratios, on the living preset book.

The book: ``presets.jiebei_living_book`` (a steady book of seasoned loans and the plan of new
loans that keeps it steady), under the calibrated preset.  The target: ``ANT_2020_30_PLUS``
(December 2019 1.56%, January 1.76% and May 3.01% published, December 2020 back at 1.56%
an assumption; the other months left to the fit's smoothness).  Three lead months at Z = 0
(September to November 2019) let the synthetic book settle first.  Prints the fitted path and the ratios side by side,
and saves a figure.  Run: ``python examples/fit_2020.py [loans] [scenarios]`` (defaults
50,000 loans, 4 scenarios: about two minutes on a 2-core CPU).
"""

import sys
import time

import numpy as np

import creditsim as cs
from creditsim import presets

MONTHS = ["Dec\n'19", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def main(n: int = 50_000, scenarios: int = 4, out: str = "fit_2020.png"):
    model = presets.jiebei_model()
    book, plan = presets.jiebei_living_book(n, seed=1)
    t0 = time.perf_counter()
    fit = cs.fit_macro_path(model, book, cs.ANT_2020_30_PLUS, scenarios=scenarios, seed=2020, lead_months=3,
                           originations=plan)
    took = time.perf_counter() - t0
    print(f"fitted in {took:.0f} s, {fit.evaluations} simulations; rmse {100 * fit.rmse:.3f} points; {fit.message}")
    print(f"month-end 30+ ratio, Nov 2019 (after the lead months, simulated): {100 * fit.fitted[0]:.2f}%")
    print("month     Z      fitted  target")
    for m, z, f, t in zip(MONTHS, fit.path, fit.fitted[1:], fit.target, strict=True):
        print(f"{m.replace(chr(10), ' '):8}  {z:+.2f}  {100 * f:5.2f}%  " + ("   -" if np.isnan(t) else f"{100 * t:5.2f}%"))

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
    x = np.arange(14)
    a.plot(x, 100 * fit.fitted, "-o", ms=3, label="simulated with the fitted path")
    seen = np.isfinite(fit.target)
    a.plot(x[1:][seen], 100 * fit.target[seen], "s", color="black", label="target (Ant Group; Dec 2020 assumed)")
    a.set_xticks(x, ["Nov\n'19"] + MONTHS, fontsize=8)
    a.set_ylabel("30+ dpd ratio of balances (%)")
    a.set_title("Month-end 30+ ratio, December 2019 to December 2020")
    a.legend(fontsize=8)
    b.bar(x[1:], fit.path, color="tab:red")
    b.axhline(0, color="grey", lw=0.8)
    b.set_xticks(x[1:], MONTHS, fontsize=8)
    b.set_ylabel("macro factor Z (standard deviations)")
    b.set_title("Fitted macro path")
    fig.savefig(out, dpi=110)
    print(f"figure: {out}")
    return fit


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
