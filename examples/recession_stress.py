"""recession_stress.toml through the Python API: the baseline book under the recession.

Run with ``.venv/bin/python examples/recession_stress.py``.
"""

import creditsim as cs
from creditsim import presets


def run_objects(n=200_000, horizon=24, scenarios=200):
    """The model, the book and simulate's other arguments, as the scenario file gives them."""
    model = cs.apply_stress(presets.jiebei_model(), "recession")
    book = presets.jiebei_book(n, seed=2026, states=presets.JIEBEI_START)
    return model, book, {"horizon": horizon, "scenarios": scenarios, "seed": 2026}


if __name__ == "__main__":
    model, book, kw = run_objects()
    ds = cs.simulate(model, book, **kw)
    print(cs.format_summary(cs.risk_summary(ds)))
    print("30+ ratio by month:", cs.delinquency_ratios(ds).mean("scenario").sel(days=30).values.round(4))
    cs.save_result(ds, "results/recession_stress.nc")
