"""fraud_wave.toml through the Python API: an account-takeover wave.

Run with ``.venv/bin/python examples/fraud_wave.py``.
"""

import creditsim as cs
from creditsim import presets


def run_objects(n=200_000, horizon=12, scenarios=200):
    """The model, the book and simulate's other arguments, as the scenario file gives them."""
    base = presets.jiebei_model()
    fraud = cs.FraudTransfer(**{**base.fraud.to_dict(), "review_months": 3, "police_recovery": 0.2})
    model = cs.apply_stress(base.replace(fraud=fraud), "fraud_wave")
    book = presets.jiebei_book(n, seed=7)
    return model, book, {"horizon": horizon, "scenarios": scenarios, "seed": 7}


if __name__ == "__main__":
    model, book, kw = run_objects()
    ds = cs.simulate(model, book, **kw)
    print("fraud losses by month, mean (yuan):", ds.fraud_losses.mean("scenario").values.round(0))
    cs.save_result(ds, "results/fraud_wave.nc")
