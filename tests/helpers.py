"""Shared builders for the tests: random valid chains and small models."""

import re

import numpy as np
import pytest
from scipy import special, stats

import creditsim as cs


def random_chain(rng, k: int, absorbing: int, zero_share: float = 0.3) -> np.ndarray:
    """A random row-stochastic k x k matrix whose last ``absorbing`` states are absorbing."""
    m = rng.dirichlet(np.ones(k), size=k)
    m[rng.random((k, k)) < zero_share] = 0.0
    m[np.arange(k), np.arange(k)] += 1e-3  # every row keeps some mass
    m /= m.sum(axis=1, keepdims=True)
    for i in range(k - absorbing, k):
        m[i] = 0.0
        m[i, i] = 1.0
    return m


def family_z(m: int, false_alarm: float = 1e-4, df: int | None = None) -> float:
    """Two-sided critical value for ``m`` simultaneous comparisons (Bonferroni).

    With ``df`` the standard errors are estimated from df+1 samples (Student t).
    """
    p = 1 - false_alarm / (2 * m)
    return float(stats.t.ppf(p, df) if df else special.ndtri(p))


#: A seven-state past-due chain (paid off, current, four buckets, charged off) with every
#: kind of move: the fundamental-matrix and provisions oracles' matrix.
PAST_DUE_NAMES = ["paid_off", "current", "dpd_1_30", "dpd_31_60", "dpd_61_90", "dpd_91_180", "charged_off"]
PAST_DUE_P = np.array([
    [1.00, 0.00, 0.00, 0.00, 0.00, 0.00, 0.00],
    [0.05, 0.92, 0.03, 0.00, 0.00, 0.00, 0.00],
    [0.02, 0.55, 0.15, 0.28, 0.00, 0.00, 0.00],
    [0.00, 0.20, 0.10, 0.18, 0.52, 0.00, 0.00],
    [0.00, 0.10, 0.00, 0.05, 0.13, 0.72, 0.00],
    [0.00, 0.04, 0.00, 0.00, 0.03, 0.58, 0.35],
    [0.00, 0.00, 0.00, 0.00, 0.00, 0.00, 1.00],
])


def absorption_case(dpd: int | None, per: int = 40_000) -> dict:
    """The fundamental-matrix oracle's run over ``PAST_DUE_P`` (charge-off rule at ``dpd``
    days, or none): one segment per transient starting state with ``per`` loans each (so
    occupancy by segment is by start state), the oracle over the chain of months past due
    (``absorption``), each start's row in it (``rows``) and a horizon long enough that the
    mass still transient is below 1e-9."""
    from creditsim import oracles

    states = cs.StateSpace(PAST_DUE_NAMES)
    transient = states.transient
    model = cs.CreditModel(states=states, segments=[cs.Segment(s, PAST_DUE_P) for s in transient],
                           charge_off_dpd=dpd)
    seg = np.repeat(np.array(transient), per)
    book = cs.LoanBook(segment=seg, state=seg, exposure=np.ones(seg.size))
    big, _, entry = oracles.past_due_chain(PAST_DUE_P, states, dpd)
    absorbing = [int(entry[0]), int(entry[6])]
    rows = [int(np.searchsorted(np.setdiff1d(np.arange(big.shape[0]), absorbing), entry[i])) for i in range(1, 6)]
    radius = max(abs(np.linalg.eigvals(PAST_DUE_P[1:6, 1:6])))
    return {"model": model, "book": book, "per": per, "transient": transient, "rows": rows,
            "absorption": oracles.absorption(big, absorbing),
            "horizon": int(np.ceil(np.log(1e-9) / np.log(radius)))}


def two_state_model(p: float = 0.02, rho: float = 0.1, phi: float = 0.0) -> cs.CreditModel:
    states = cs.StateSpace(["current", "charged_off"])
    seg = cs.Segment("all", [[1 - p, p], [0.0, 1.0]], rho=rho)
    return cs.CreditModel(states=states, segments=[seg], macro=cs.MacroFactor(phi=phi))


def raises(*parts):
    """``pytest.raises(ValueError)`` whose message contains ``parts`` in this order."""
    return pytest.raises(ValueError, match=".*".join(re.escape(p) for p in parts))


def no_fraud_rows(m):
    """A matrix over ``DEFAULT_STATES`` with its own moves into fraud review turned into
    staying put (for models whose claims come from a ``FraudTransfer``)."""
    m = np.array(m, dtype=float)
    r = cs.DEFAULT_STATES.index("fraud_review")
    for i in range(m.shape[0]):
        if i != r:
            m[i, i] += m[i, r]
            m[i, r] = 0.0
    return m


def sure_chain(**moves: str) -> np.ndarray:
    """A 0/1 matrix over ``DEFAULT_STATES``: each state named moves to the state given,
    every other state stays put (deterministic paths for money worked by hand)."""
    names = cs.DEFAULT_STATES
    m = np.eye(len(names))
    for frm, to in moves.items():
        m[names.index(frm)] = np.eye(len(names))[names.index(to)]
    return m


def assert_vintages_add_up(ds) -> None:
    """A result with vintages: their balances add up to the live book's each month, and
    their charge-offs to the book's (exact sums of fen)."""
    live = [s for s in ds.state.values if s not in ("paid_off", "charged_off")]
    np.testing.assert_allclose(ds.vintage_balance.sum("vintage"),
                               ds.balance.sel(state=live).sum(("segment", "state")), rtol=1e-12)
    np.testing.assert_array_equal(ds.vintage_charged_off.sum("vintage").values[:, 1:],
                                  ds.occupancy.sel(state="charged_off").sum("segment").diff("month").values)


def small_demo_scenario(run_lines: str = "") -> str:
    """A scenario file's text: the demo preset on 100 synthetic loans, one month, 8
    scenarios, seed 3, with ``run_lines`` added to its ``[run]`` table."""
    return f"""
[run]
horizon = 1
scenarios = 8
seed = 3
{run_lines}

[model]
preset = "demo"

[book]
kind = "synthetic"
n = 100
seed = 1
segments = ["A"]
"""
