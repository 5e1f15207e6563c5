"""living_book.toml through the Python API: the preset's steady living book and the new loans
that keep it steady (``presets.jiebei_living_book``).

Run with ``.venv/bin/python examples/living_book.py`` (about half a minute on a 2-core CPU);
it prints the risk table and the mean vintage curve, and saves the vintage figure.
"""

import creditsim as cs
from creditsim import presets


def run_objects(n=20_000, horizon=24, scenarios=64, growth=0.0):
    """The model, the book and simulate's other arguments, as the scenario file gives them."""
    model = presets.jiebei_model()
    book, plan = presets.jiebei_living_book(n, seed=2026, growth=growth)  # plan: 2,603 new loans a month
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
