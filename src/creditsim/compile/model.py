"""A validated ``CreditModel`` in array form (NumPy, once per run): the row table of
cumulative quantiles by row group, and each feature's parameters.

Rows are grouped by (segment, behaviour type); ``compile_model`` also returns how a loan's
group is drawn from its segment (``TypeDraw``).  Nothing here imports JAX: the engine puts
these arrays on a device.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import ndtri as ndtri_np

from ..spec.macro import cumulative_quantiles
from ..spec.model import CreditModel

__all__ = ["ONE", "CompiledModel", "ShockParams", "FraudParams", "StateRules", "TypeDraw", "LoanMoney", "needs_aging", "base_matrices", "compile_model",
           "returning_states"]

ONE = 2**31  # probability 1 on the threshold grid


class ShockParams(NamedTuple):
    """The income shock's parameters (a shock that never starts without one)."""

    probit_hazard: np.ndarray  # float64: Φ⁻¹(monthly hazard), tilted by the macro factor
    sqrt_rho: np.ndarray  # float64: √rho of the hazard's tilt
    end_probability: np.ndarray  # float64: 1 / mean duration in months
    report_probability: np.ndarray  # float64: hardship reported in a month under a shock


class FraudParams(NamedTuple):
    """Fraud claims' parameters and states (0 where unused)."""

    review_state: np.ndarray  # int32
    rejected_state: np.ndarray  # int32
    charge_off_state: np.ndarray  # int32
    review_months: np.ndarray  # float64 (whole months)
    confirm_probability: np.ndarray  # float64
    police_recovery: np.ndarray  # float64


class StateRules(NamedTuple):
    """The state space's special states and the charge-off rule."""

    charge_off_state: np.ndarray  # int32 (0 without one)
    paid_off_state: np.ndarray  # int32 (0 without one)
    has_paid_off: np.ndarray  # int32: 1 if the state space has a paid-off state
    charge_off_dpd: np.ndarray  # int32: days past due beyond which a loan is charged off (2**30: never)
    restructured_state: np.ndarray  # int32 (0 without one)


class CompiledModel(NamedTuple):
    """Array form of a ``CreditModel``.

    Rows are grouped by (segment, behaviour type): a segment without types is one group.
    Group ``g1 - 1`` is padding (identity rows, segment ``G``).  Groups ``g1 .. 2·g1 - 1``
    repeat them with each segment's distressed rows (used under an income shock).
    """

    q: np.ndarray  # (2·g1, K, K-1) float64: Φ⁻¹ of cumulative row probabilities
    sqrt_rho: np.ndarray  # (2·g1,) float64: the group's segment's √rho
    charge_off: np.ndarray  # (K,) bool: the charge-off state
    group_segment: np.ndarray  # (g1,) int32: segment of each group (G for padding)
    performing: np.ndarray  # (K,) bool: states where an income shock can start
    shock: ShockParams
    absorbing: np.ndarray  # (K,) bool
    fraud: FraudParams
    past_first: np.ndarray  # (K,) int32: months past due on entering each state
    past_ages: np.ndarray  # (K,) bool: staying one more month adds a month past due
    rules: StateRules
    returning: np.ndarray  # (M+1,) int32: the delinquent state of each number of months past due 0..M (M+: M's)


class TypeDraw(NamedTuple):
    """How a loan's group is drawn from its segment: ``offset[g] + #{u >= thr[g, j]}``."""

    offset: np.ndarray  # (G+1,) int32: first group of each segment (padding last)
    thr: np.ndarray  # (G+1, max types - 1) uint32: cumulative type shares on the 2**31 grid


def needs_aging(model: CreditModel) -> bool:
    """Whether the charge-off rule can act: some loan can get past ``charge_off_dpd``."""
    if model.charge_off_dpd is None or model.states.charge_off is None:
        return False
    st = model.states
    return any(last > first or 30 * first > model.charge_off_dpd for first, last in st.past_due)


def base_matrices(model: CreditModel) -> list[np.ndarray]:
    """The ``2·g1`` matrices of the row groups: each group's, padding (identity), then the
    same with each segment's distressed rows."""
    k = len(model.states)
    mats, hard = [], []
    for seg in model.segments:
        for _, _, m in seg.groups:
            mats.append(m)
            hard.append(seg.distressed if seg.distressed is not None else m)
    return mats + [np.eye(k)] + hard + [np.eye(k)]


def compile_model(model: CreditModel) -> tuple[CompiledModel, TypeDraw]:
    """Turn a validated model into arrays the kernel takes (float64, NumPy)."""
    k = len(model.states)
    rho, seg_of, offset, shares = [], [], [], []
    for g, seg in enumerate(model.segments):
        offset.append(len(rho))
        shares.append([share for _, share, _ in seg.groups])
        for _ in seg.groups:
            rho.append(seg.rho)
            seg_of.append(g)
    offset.append(len(rho))
    rho.append(0.0)
    seg_of.append(len(model.segments))
    co = np.zeros(k, dtype=bool)
    if model.states.charge_off is not None:
        co[model.states.index(model.states.charge_off)] = True
    perf = np.array([n in model.states.performing for n in model.states.names])
    width = max(max(len(s) for s in shares) - 1, 1)
    thr = np.full((len(shares) + 1, width), ONE, dtype=np.int64)
    for g, sh in enumerate(shares):
        cum = np.cumsum(sh)[:-1]
        thr[g, : cum.size] = np.round(np.clip(cum, 0, 1) * ONE)
    sh = model.income_shock
    if sh is None:
        shock = ShockParams(*np.array([-np.inf, 0.0, 1.0, 0.0]))
    else:
        with np.errstate(divide="ignore"):
            shock = ShockParams(*np.array([ndtri_np(sh.hazard), np.sqrt(sh.rho), 1.0 / sh.mean_months,
                                           sh.report_probability]))
    fr = model.fraud
    st = model.states
    if fr is None:
        fraud = FraudParams(*np.zeros(3, np.int32), *np.array([1.0, 0.0, 0.0]))
    else:
        fraud = FraudParams(*np.array([st.index(fr.review_state), st.index(fr.rejected_state),
                                       st.index(st.charge_off)], dtype=np.int32),
                            *np.array([fr.review_months, fr.confirm_probability, fr.police_recovery]))
    absorbing = np.array([n in st.absorbing for n in st.names])
    past = np.array(st.past_due, dtype=np.int32).reshape(k, 2)
    limit = model.charge_off_dpd if model.charge_off_dpd is not None else 2**30
    rules = StateRules(*np.array([st.index(st.charge_off) if st.charge_off else 0,
                      st.index(st.paid_off) if st.paid_off else 0, st.paid_off is not None, limit,
                      st.index("restructured") if "restructured" in st.names else 0], dtype=np.int32))
    cm = CompiledModel(cumulative_quantiles(np.stack(base_matrices(model))), np.sqrt(np.array(rho + rho)), co,
                       np.array(seg_of, dtype=np.int32), perf, shock, absorbing, fraud,
                       past[:, 0].copy(), past[:, 1] > past[:, 0], rules, returning_states(model))
    return cm, TypeDraw(np.array(offset, dtype=np.int32), thr.astype(np.uint32))


def returning_states(model: CreditModel) -> np.ndarray:
    """For m = 0..M months past due (M the most any delinquent state spans), the state a loan
    m months past due is in: the first delinquent state (not absorbing, not the fraud
    review, not ``restructured``) whose months past due cover m, else the worst one below m;
    m = 0 and state spaces without delinquent states give the fraud claim's rejected state
    (0 without fraud).  Used to send a rejected fraud claim back to its delinquency."""
    st = model.states
    review = model.fraud.review_state if model.fraud is not None else None
    fallback = st.index(model.fraud.rejected_state) if model.fraud is not None else 0
    cands = [(i, f, last) for i, (n, (f, last)) in enumerate(zip(st.names, st.past_due, strict=True))
             if f > 0 and n not in st.absorbing and n != review and n != "restructured"]
    top = max((last for _, _, last in cands), default=0)
    out = np.full(top + 1, fallback, np.int32)
    for m in range(1, top + 1):
        cover = [i for i, f, last in cands if f <= m <= last]
        below = sorted((f, i) for i, f, _ in cands if f <= m)
        if cover:
            out[m] = cover[0]
        elif below:
            out[m] = below[-1][1]
    return out


class LoanMoney(NamedTuple):
    """Per-loan money inputs of the kernel (one entry per loan of a chunk)."""

    balance: np.ndarray  # int32: principal not yet due, in money units
    rate: np.ndarray  # float32: monthly contract rate
    log_growth: np.ndarray  # float32: log(1 + monthly rate)
    penalty: np.ndarray  # float32: monthly penalty rate on overdue amounts
    method: np.ndarray  # int32: repayment method code
    remaining: np.ndarray  # int32: instalments still to fall due

