"""living_book.toml through the Python API: a seasoned book that takes new loans every month.

Run with ``.venv/bin/python examples/living_book.py`` (about half a minute on a 2-core CPU);
it prints the risk table and the mean vintage curve, and saves the vintage figure.
"""

import creditsim as cs
from creditsim import presets

#: The book's starting states, as in the scenario file.
START = {"current": 0.963, "restructured": 0.0017, "dpd_1_30": 0.0173, "dpd_31_60": 0.0048, "dpd_61_90": 0.0038,
         "dpd_91_180": 0.0094}


def run_objects(n=20_000, horizon=24, scenarios=64, volume=2_600):
    """The model, the book and simulate's other arguments, as the scenario file gives them."""
    model = presets.jiebei_model()
    book = presets.jiebei_book(n, seed=2026, states=START)
    plan = cs.Originations(volume, presets.DEMO_MIX, rates=presets.JIEBEI_RATES, seed=2026)
    return model, book, {"horizon": horizon, "scenarios": scenarios, "seed": 2026, "originations": plan,
                         "month_span": 24}


if __name__ == "__main__":
    from pathlib import Path

    model, book, kw = run_objects()
    ds = cs.simulate(model, book, **kw)
    print(cs.format_summary(cs.risk_summary(ds)))
    curve = 100 * cs.vintage_curves(ds).mean(("scenario", "vintage"))  # over the vintages that reached each age
    print("cumulative principal charged off by months on book (% of the amount lent, mean of the vintages):")
    print(curve.to_pandas().round(2).to_string())
    Path("results").mkdir(exist_ok=True)
    cs.save_result(ds, "results/living_book.nc")
    cs.plot.vintage_curves(ds).savefig("results/living_book_vintages.png", dpi=110)
