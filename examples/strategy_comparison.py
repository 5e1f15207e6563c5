"""strategy_comparison.toml through the Python API: six strategies on common random numbers.

Run with ``.venv/bin/python examples/strategy_comparison.py`` (two to three minutes on a
2-core CPU).
"""

import creditsim as cs
from creditsim import presets


def run_objects(n=50_000, horizon=24, scenarios=64):
    """The model, the book and simulate's other arguments, as the scenario file gives them."""
    model = presets.jiebei_model()
    book = presets.jiebei_book(n, seed=1, states=presets.JIEBEI_START)
    return model, book, {"horizon": horizon, "scenarios": scenarios, "seed": 1, "strategies": list(cs.STRATEGIES)}


if __name__ == "__main__":
    model, book, kw = run_objects()
    ds = cs.simulate(model, book, **kw)
    c = cs.compare(ds, baseline="in_house")
    print(c.net_credit_loss_diff.to_pandas().round(0))
    cs.save_result(ds, "results/strategy_comparison.nc")
