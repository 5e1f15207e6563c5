"""jiebei_baseline.toml through the Python API: the calibrated preset on a seasoned book.

Run with ``.venv/bin/python examples/jiebei_baseline.py`` (about a minute on a 2-core CPU).
"""

import creditsim as cs
from creditsim import presets


def run_objects(n=200_000, horizon=24, scenarios=1000):
    """The model, the book and simulate's other arguments, as the scenario file gives them."""
    model = presets.jiebei_model()
    book = presets.jiebei_book(n, seed=2026, states=presets.JIEBEI_START)
    return model, book, {"horizon": horizon, "scenarios": scenarios, "seed": 2026}


if __name__ == "__main__":
    model, book, kw = run_objects()
    ds = cs.simulate(model, book, **kw)
    print(cs.format_summary(cs.risk_summary(ds)))
    cs.save_result(ds, "results/jiebei_baseline.nc")
