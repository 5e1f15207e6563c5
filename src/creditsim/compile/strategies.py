"""Strategies in array form for the kernel (spec -> arrays, NumPy, once per run).

The strategies of one run compile to arrays of the same shapes (actions and rules padded to
the largest strategy, and to at least ``MIN_PADDED``), stacked on a leading strategy axis:
the kernel runs them all in one call.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..spec.macro import cumulative_quantiles
from ..spec.model import CreditModel
from ..spec.schedule import to_units
from ..spec.strategy import PLACEMENTS, Strategy

KINDS = {"none": 0, "contact": 1, "bureau": 2, "restructure": 3, "settlement": 4, "agency": 5, "legal": 6}
BUREAU, RESTRUCTURE, SETTLEMENT, AGENCY, LEGAL = (KINDS[k] for k in ("bureau", "restructure", "settlement",
                                                                  "agency", "legal"))
ONE = 2**31
BIG = 2**31 - 1
#: Actions and rules are padded to at least this many, so that runs with the same number of
#: strategies of up to this size (every preset) share one compiled kernel whatever the mix.
MIN_PADDED = 5


class StrategyArrays(NamedTuple):
    """One strategy's arrays (action 0 is "none"; rule padding never matches); stacked,
    each gains a leading strategy axis."""

    kind: np.ndarray  # (A+1,) int32: KINDS code
    cost: np.ndarray  # (A+1,) int64: money units per use
    contacts: np.ndarray  # (A+1,) int32: contacts a month
    complaint: np.ndarray  # (A+1,) int32: complaint probability in parts per million
    extend: np.ndarray  # (A+1,) int32: instalments added by a restructure
    defer: np.ndarray  # (A+1,) int32: months deferred by a restructure
    fraction: np.ndarray  # (A+1,) float32: settlement fraction, or recovery fraction of a placement
    months: np.ndarray  # (A+1,) int32: months to judgment (legal), or of the placement (agency; 0: no term)
    recall: np.ndarray  # (A+1,) bool: the agency gives back an account that is no longer past due
    prob: np.ndarray  # (A+1, g1) uint32: acceptance / monthly hazard / success on the 2**31 grid
    rule_action: np.ndarray  # (R,) int32
    rule_states: np.ndarray  # (R, K) bool
    rule_days: np.ndarray  # (R, 2) int32: days past due, both ends included
    rule_owed: np.ndarray  # (R, 2) int64: owed in money units, both ends included
    rule_segments: np.ndarray  # (R, G+1) bool
    rule_hardship: np.ndarray  # (R,) int32: -1 either, 0 not reported, 1 reported
    rule_claim: np.ndarray  # (R,) int32: -1 either, 0 no fraud claim, 1 a rejected claim
    rule_gap: np.ndarray  # (R,) int32: months since the last action, at least
    after_charge_off: np.ndarray  # () bool: some rule places charged-off loans
    rows: np.ndarray  # (2·g1 · 2 · (A+1), K, K-1) float64: the row table (row_table) as cumulative_quantiles


def group_types(model: CreditModel) -> list[str]:
    """The behaviour type name of each row group (padding last, as ``"*"``)."""
    out = [t for s in model.segments for t, _, _ in s.groups]
    return out + ["*"]


def _classes(model: CreditModel) -> tuple[np.ndarray, np.ndarray]:
    """For each (from, to) pair: 0 other, 1 cure, 2 back, 3 forward; and which rows are
    delinquent (months past due > 0, not absorbing)."""
    st = model.states
    k = len(st)
    first = np.array([p[0] for p in st.past_due])
    absorbing = np.array([n in st.absorbing for n in st.names])
    restructured = st.names.index("restructured") if "restructured" in st.names else -1
    cure = np.array([(n in st.performing and i != restructured) or n == st.paid_off for i, n in enumerate(st.names)])
    cls = np.zeros((k, k), np.int32)
    for i in range(k):
        for j in range(k):
            if i == j:
                continue
            if cure[j]:
                cls[i, j] = 1
            elif first[j] > 0 and not absorbing[j] and first[j] < first[i]:
                cls[i, j] = 2
            elif (first[j] > first[i] and not absorbing[j]) or st.names[j] == st.charge_off:
                cls[i, j] = 3
    return cls, (first > 0) & ~absorbing


def apply_effect(matrix: np.ndarray, cls: np.ndarray, delinquent: np.ndarray, mult) -> np.ndarray:
    """``matrix`` with each delinquent row's cure / back / forward probabilities multiplied
    by ``mult`` (three numbers) and the row renormalised (a row left with no mass is kept)."""
    w = np.concatenate([[1.0], np.asarray(mult, dtype=np.float64)])[cls]  # (K, K) weights
    out = matrix * w
    tot = out.sum(axis=1, keepdims=True)
    ok = delinquent[:, None] & (tot > 0)
    return np.where(ok, out / np.where(tot > 0, tot, 1.0), matrix)


def row_table(model: CreditModel, base_mats: list[np.ndarray], strat: Strategy | None, n_actions: int):
    """Matrices ``(2·g1 · 2 · (n_actions+1), K, K)``: (distressed, group, bureau flag,
    effect index) in that order, from the base ``2·g1`` matrices (plain then distressed)."""
    cls, delinquent = _classes(model)
    types = group_types(model)
    g1 = len(types)
    acts = list(strat.actions) if strat is not None else []
    bureau = next((a for a in acts if a.kind == "bureau"), None)
    out = []
    for idx, m in enumerate(base_mats):
        t = types[idx % g1]
        for b in (0, 1):
            bm = np.ones(3) if (b == 0 or bureau is None) else np.array(_triple(bureau.effect_for(t)))
            for e in range(n_actions + 1):
                em = np.ones(3) if e == 0 or e > len(acts) else np.array(_triple(acts[e - 1].effect_for(t)))
                if idx % g1 == g1 - 1:  # padding rows stay identity
                    out.append(m)
                else:
                    out.append(apply_effect(m, cls, delinquent, bm * em))
    return np.stack(out)


def _triple(e) -> tuple[float, float, float]:
    return (e.cure, e.back, e.forward)


def compile_strategy(model: CreditModel, strat: Strategy, base_mats: list[np.ndarray], quantum: float,
                     n_actions: int, n_rules: int) -> StrategyArrays:
    """Arrays of one strategy, padded to ``n_actions`` actions and ``n_rules`` rules, with
    its row table built from the model's ``base_mats`` (``creditsim._engine.base_matrices``)."""
    st = model.states
    k, g = len(st), len(model.segments)
    types = group_types(model)
    a1 = n_actions + 1
    kind = np.zeros(a1, np.int32)
    cost = np.zeros(a1, np.int64)
    contacts = np.zeros(a1, np.int32)
    complaint = np.zeros(a1, np.int32)
    extend = np.zeros(a1, np.int32)
    defer = np.zeros(a1, np.int32)
    fraction = np.zeros(a1, np.float32)
    months = np.zeros(a1, np.int32)
    recall = np.zeros(a1, bool)
    prob = np.zeros((a1, len(types)), np.int64)
    names = [a.name for a in strat.actions]
    for i, a in enumerate(strat.actions, start=1):
        kind[i] = KINDS[a.kind]
        cost[i] = int(to_units(a.cost, quantum))
        contacts[i] = a.contacts
        complaint[i] = int(round(a.complaint * 1e6))
        if a.kind == "restructure":
            extend[i], defer[i] = a.extend_months, a.defer_months
        if a.kind == "settlement":
            fraction[i] = a.fraction
            p = a.accept
        elif a.kind == "agency":
            fraction[i] = a.recovery_fraction
            months[i] = a.placement_months or 0
            recall[i] = a.recall_on_cure
            p = a.hazard
        elif a.kind == "legal":
            fraction[i] = a.recovery_fraction
            months[i] = a.months
            p = a.success
        else:
            p = None
        if p is not None:
            prob[i] = [round(p.get(t, p["*"]) * ONE) for t in types]
            prob[i, -1] = 0  # padding loans
    if "restructured" not in st.names and any(a.kind == "restructure" for a in strat.actions):
        raise ValueError(f"Strategy {strat.name!r}: restructuring needs a 'restructured' state; the model's "
                         f"states are {list(st.names)!r}")
    r = n_rules
    rule_action = np.zeros(r, np.int32)
    rule_states = np.zeros((r, k), bool)
    rule_days = np.tile(np.array([1, 0], np.int32), (r, 1))  # padding: empty range
    rule_owed = np.zeros((r, 2), np.int64)
    rule_segments = np.zeros((r, g + 1), bool)
    rule_hardship = np.full(r, -1, np.int32)
    rule_claim = np.full(r, -1, np.int32)
    rule_gap = np.zeros(r, np.int32)
    past = [p[0] for p in st.past_due]
    after = False
    for i, rule in enumerate(strat.rules):
        owner = f"Strategy {strat.name!r}: rule {i} ({rule.action!r})"
        act = strat.action(rule.action)
        rule_action[i] = names.index(rule.action) + 1
        if rule.states is None:
            sel = [j for j in range(k) if past[j] > 0 and st.names[j] not in st.absorbing]
        else:
            sel = []
            for n in rule.states:
                if n not in st.names:
                    raise ValueError(f"{owner}: unknown state {n!r}; states are {list(st.names)!r}")
                if n in st.absorbing and not (n == st.charge_off and act.kind in PLACEMENTS):
                    raise ValueError(f"{owner}: state {n!r} is absorbing; only an agency or legal placement "
                                     f"may name the charge-off state {st.charge_off!r}")
                sel.append(st.names.index(n))
                after = after or n == st.charge_off
        rule_states[i, sel] = True
        rule_days[i] = [rule.min_days, BIG if rule.max_days is None else rule.max_days]
        lo = int(np.ceil(rule.min_balance / quantum - 1e-9))
        hi = BIG if rule.max_balance is None else int(np.floor(rule.max_balance / quantum + 1e-9))
        rule_owed[i] = [lo, hi]
        if rule.segments is None:
            rule_segments[i, :g] = True
        else:
            for sname in rule.segments:
                rule_segments[i, model.segment_index(sname, field=f"{owner}: segments")] = True
        rule_hardship[i] = -1 if rule.hardship is None else int(rule.hardship)
        if rule.fraud_claim is not None and model.fraud is None:
            raise ValueError(f"{owner}: fraud_claim={rule.fraud_claim!r} needs a model with fraud claims; this "
                             f"model has none (CreditModel.fraud is None)")
        rule_claim[i] = -1 if rule.fraud_claim is None else int(rule.fraud_claim)
        rule_gap[i] = rule.min_months_since_action
    return StrategyArrays(kind, cost, contacts, complaint, extend, defer, fraction, months, recall,
                          prob.astype(np.uint32), rule_action, rule_states, rule_days, rule_owed,
                          rule_segments, rule_hardship, rule_claim, rule_gap, np.array(after),
                          cumulative_quantiles(row_table(model, base_mats, strat, n_actions)))


def compile_strategies(model: CreditModel, strategies: list[Strategy], base_mats: list[np.ndarray],
                       quantum: float) -> StrategyArrays:
    """The strategies' ``StrategyArrays``, of one set of shapes, stacked on a leading
    strategy axis ``(S, ...)``."""
    n_actions = max(max(len(s.actions) for s in strategies), MIN_PADDED)
    n_rules = max(max(len(s.rules) for s in strategies), MIN_PADDED)
    arrs = [compile_strategy(model, s, base_mats, quantum, n_actions, n_rules) for s in strategies]
    return StrategyArrays(*(np.stack(field) for field in zip(*arrs, strict=True)))
