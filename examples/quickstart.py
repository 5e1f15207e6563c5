"""A first run: a four-state chain, its loss distribution, and a stress path.

Run with ``.venv/bin/python examples/quickstart.py`` after ``make demo`` or ``make test``.
"""

import numpy as np

import creditsim as cs

states = cs.StateSpace(["current", "dpd_1_30", "dpd_31_90", "charged_off"])  # best to worst
p = np.array([
    [0.97, 0.03, 0.00, 0.00],
    [0.60, 0.15, 0.25, 0.00],
    [0.15, 0.05, 0.45, 0.35],
    [0.00, 0.00, 0.00, 1.00],
])
model = cs.CreditModel(states=states, segments=[cs.Segment("prime", p, rho=0.03)],
                       macro=cs.MacroFactor(phi=0.9))
book = cs.LoanBook.homogeneous(100_000, segment="prime", exposure=10_000.0)

ds = cs.simulate(model, book, horizon=12, scenarios=1000, seed=1)
print(cs.format_summary(cs.risk_summary(ds, levels=(0.99, 0.999))))

# the same book under a year of recession: Z = -2 every month, the same in every scenario
stress = model.with_macro(cs.MacroFactor(path=np.full(12, -2.0)))
ds_s = cs.simulate(stress, book, horizon=12, scenarios=50, seed=1)
print(f"\nexpected loss, baseline {float(ds.loss.mean()) / 1e6:,.1f} million CNY; "
      f"recession path {float(ds_s.loss.mean()) / 1e6:,.1f} million CNY")
