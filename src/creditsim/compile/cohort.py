"""The cohort engine's tables (NumPy, once per run): the sub-states a loan can be in and
where each of a month's outcomes takes it, and the book gathered into cohorts.

A loan's **sub-state** is everything the month's laws read besides its row group and its
shock flags: its state, its months past due (with the charge-off rule or fraud claims) and
its fraud review's months left.  Loans of one row group, one sub-state, the same shock
flags and one exposure class are exchangeable: a cohort.  ``cohort_tables`` lists the
sub-states a book can reach and, for each, the sub-state after each **outcome** of a month
(a move to one of the states its rows can reach, a fraud claim, a review confirmed,
rejected or still running), by the same rules as the agent engine's month
(``creditsim.engine.features``: transition, fraud, aging and the charge-off rule).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..spec.model import CreditModel
from .model import CompiledModel, base_matrices, needs_aging

__all__ = ["CohortTables", "MoneyRules", "OUTCOMES", "TermsClasses", "cohort_tables", "money_rules", "terms_classes",
           "exposure_classes"]

#: The outcomes after the move slots, in this order.
OUTCOMES = ("claim", "confirm", "reject", "held")


class CohortTables(NamedTuple):
    """Sub-states and their month's outcomes (see the module's docstring).  ``W`` move
    slots come first in the outcome axis, then ``OUTCOMES``."""

    state: np.ndarray  # (S,) int32: each sub-state's state
    dpd: np.ndarray  # (S,) int32: its months past due (0 without aging)
    timer: np.ndarray  # (S,) int32: months left of its fraud review (0: none)
    dest: np.ndarray  # (S, W) int32: the state of each move slot (padding: the state itself)
    dest_open: np.ndarray  # (S, W) bool: a real move slot
    last_slot: np.ndarray  # (S,) int32: the last real move slot (it takes what is left; -1: none)
    next_sub: np.ndarray  # (S, W + 4) int32: the sub-state after each outcome
    charge_off: np.ndarray  # (S, W + 4) int32: 0 none, 1 credit charge-off, 2 confirmed fraud
    moves: np.ndarray  # (S,) bool: loans here move along their row unless claimed
    claimable: np.ndarray  # (S,) bool: a fraud claim can come (not absorbing, no review)
    deciding: np.ndarray  # (S,) bool: the review's last month (confirm or reject)
    holding: np.ndarray  # (S,) bool: a review with more than one month left
    performing: np.ndarray  # (S,) bool: an income shock can start
    absorbing: np.ndarray  # (S,) bool


def _reachable_states(model: CreditModel) -> list[list[int]]:
    """For each state, the states any row group's row (plain or distressed) moves it to
    (the padding groups' identity rows left out)."""
    mats = np.stack(base_matrices(model))
    g1 = mats.shape[0] // 2
    mats = np.delete(mats, [g1 - 1, 2 * g1 - 1], axis=0)
    k = len(model.states)
    return [np.flatnonzero((mats[:, i, :] > 0).any(axis=0)).tolist() or [i] for i in range(k)]


def cohort_tables(model: CreditModel, cm: CompiledModel, state0: np.ndarray, dpd0: np.ndarray, *,
                  money_horizon: int | None = None) -> CohortTables:
    """The sub-states reachable from the book's starting ones (``state0``, ``dpd0`` per
    loan, ``dpd0`` as the agent engine's months past due at month 0) and their outcomes.

    Months past due are tracked only where the agent engine tracks them (the charge-off
    rule can act, fraud claims return to a delinquency, or loans have money); they are
    capped at the most any rule reads (a later count changes nothing the model does), and
    a paid-off or charged-off loan's are 0 (nothing reads them).  ``money_horizon``: the
    run's months, for a book with loan terms, whose payments read the months past due
    exactly (``money_rules``): unless the charge-off rule stops every state that ages,
    they are then tracked up to the most a loan can reach in the run; and the paid-off
    state is a sub-state (a loan pays off at the end of its schedule)."""
    fraud = model.fraud is not None
    money = money_horizon is not None
    aging = needs_aging(model) or fraud or money
    absorbing, past_first, past_ages = cm.absorbing, cm.past_first, cm.past_ages
    co_state = int(cm.rules.charge_off_state)
    co = cm.charge_off
    limit = int(cm.rules.charge_off_dpd)
    returning = cm.returning
    top_ret = returning.shape[0] - 1
    cap = max(top_ret, 1, int(past_first.max()))
    rule = model.charge_off_dpd is not None and model.states.charge_off is not None
    if rule:
        cap = max(cap, limit // 30 + 1)
    # a payment reads the months past due exactly: where some state can age past where the
    # charge-off rule stops it (no rule, or a state that ages from 0 months past due, which
    # the rule never charges off), track them as far as any loan gets in the run (they grow
    # by at most one a month)
    ages_free = bool(np.any(np.asarray(cm.past_ages) & (np.asarray(past_first) == 0) & ~np.asarray(absorbing)))
    if money and (not rule or ages_free):
        cap = max(cap, max(int(dpd0.max(initial=0)), int(past_first.max())) + money_horizon + 1)
    review_state, rejected_state = int(cm.fraud.review_state), int(cm.fraud.rejected_state)
    review_months = int(cm.fraud.review_months)
    reach = _reachable_states(model)
    width = max(len(r) for r in reach)

    def norm(state, d, v):
        if absorbing[state]:
            return (state, 0, 0)
        return (state, min(d, cap) if aging else 0, v)

    def step(sub, outcome):
        """The sub-state after ``outcome`` ("move", j) or one of OUTCOMES, and its kind of
        charge-off (the agent engine's month: review, aging, the charge-off rule)."""
        state, d, v = sub
        held_back = reject = confirm = False
        if outcome[0] == "move":
            new, v_new = outcome[1], 0
        elif outcome[0] == "claim":
            new, v_new, held_back = review_state, review_months, True
        elif outcome[0] == "confirm":
            new, v_new, confirm = co_state, 0, True
        elif outcome[0] == "reject":
            new, v_new, reject = rejected_state, 0, True
        else:  # held: the review goes on
            new, v_new, held_back = review_state, v - 1, True
        d_new = 0
        if aging:
            first = int(past_first[new])
            d_new = d + 1 if (new == state and past_ages[new]) else first
            if held_back:
                d_new = d
            if reject and d > 0:
                d_new = d + review_months + 1
                new = int(returning[min(d_new, top_ret)])
            first = int(past_first[new])
            if rule and first > 0 and d_new * 30 > limit:
                new = co_state
        kind = 0
        if co[new] and not co[state]:
            kind = 2 if confirm else 1
        return norm(new, d_new, v_new), kind

    def outcomes(sub):
        """The outcomes a sub-state can have: (slot index, outcome)."""
        state, _, v = sub
        out = []
        if v == 0:
            out += [(w, ("move", j)) for w, j in enumerate(reach[state])]
            if fraud and not absorbing[state]:
                out.append((width, ("claim",)))
        elif v == 1:
            out += [(width + 1, ("confirm",)), (width + 2, ("reject",))]
        else:
            out.append((width + 3, ("held",)))
        return out

    d0 = np.minimum(dpd0, cap) if aging else np.zeros_like(state0)
    pairs = np.unique(state0.astype(np.int64) * (cap + 1) + d0)
    start = {norm(int(x // (cap + 1)), int(x % (cap + 1)), 0) for x in pairs}
    if money and model.states.paid_off is not None:  # where a schedule's end takes a loan
        start.add(norm(int(cm.rules.paid_off_state), 0, 0))
    start = sorted(start)
    subs: list[tuple] = list(start)
    index = {s: i for i, s in enumerate(subs)}
    i = 0
    while i < len(subs):
        for _, oc in outcomes(subs[i]):
            nxt, _ = step(subs[i], oc)
            if nxt not in index:
                index[nxt] = len(subs)
                subs.append(nxt)
        i += 1
    n = len(subs)
    n_out = width + len(OUTCOMES)
    next_sub = np.tile(np.arange(n, dtype=np.int32)[:, None], (1, n_out))
    kind = np.zeros((n, n_out), np.int32)
    dest = np.zeros((n, width), np.int32)
    dest_open = np.zeros((n, width), bool)
    for si, sub in enumerate(subs):
        dest[si] = sub[0]
        if sub[2] == 0:
            r = reach[sub[0]]
            dest[si, : len(r)] = r
            dest_open[si, : len(r)] = True
        for slot, oc in outcomes(sub):
            nxt, kd = step(sub, oc)
            next_sub[si, slot], kind[si, slot] = index[nxt], kd
    arr = np.array(subs, dtype=np.int32).reshape(n, 3)
    st, tm = arr[:, 0], arr[:, 2]
    return CohortTables(
        state=st, dpd=arr[:, 1], timer=tm, dest=dest, dest_open=dest_open,
        last_slot=(dest_open.sum(axis=1) - 1).astype(np.int32), next_sub=next_sub, charge_off=kind,
        moves=(tm == 0), claimable=(tm == 0) & ~absorbing[st] & fraud, deciding=(tm == 1), holding=(tm > 1),
        performing=np.asarray(cm.performing)[st] & ~absorbing[st], absorbing=absorbing[st].copy())


class MoneyRules(NamedTuple):
    """What a month's outcome does to a cohort's money (``(S, W + 4)`` arrays over
    sub-states and outcomes, as ``CohortTables.next_sub``), by the agent engine's money
    rules (``creditsim.engine.features.money``)."""

    live: np.ndarray  # bool: money runs (not paid off or charged off, not frozen by a fraud review)
    keep: np.ndarray  # float64: share of the overdue amounts left after the month's payment
    paid: np.ndarray  # bool: paid off by the move (everything is paid)
    carry: np.ndarray  # bool: the loan is still on the book after the month (its money carries on)
    paid_off_sub: int  # the paid-off sub-state (-1: the model has none)


def money_rules(tables: CohortTables, model: CreditModel, cm: CompiledModel) -> MoneyRules:
    """The money rules of each (sub-state, outcome): interest, principal and a penalty fall
    due where the loan's money runs (``live``: its sub-state is not absorbing and the
    outcome is not a fraud claim, a review going on or confirmed); the payment is everything
    on a move to paid off, else the share ``(d + 1 − d_new) / (d + 1)`` of the overdue
    amounts (``d`` months past due before, ``d_new`` after; nothing into a charge-off or
    where the money does not run)."""
    n_out = tables.next_sub.shape[1]
    width = n_out - len(OUTCOMES)
    frozen = np.zeros(n_out, bool)
    for name in ("claim", "confirm", "held"):
        frozen[width + OUTCOMES.index(name)] = True
    live = ~tables.absorbing[:, None] & ~frozen[None, :]
    nxt = tables.next_sub
    has_paid = model.states.paid_off is not None
    paid = live & has_paid & (tables.state[nxt] == int(cm.rules.paid_off_state))
    carry = ~tables.absorbing[:, None] & ~tables.absorbing[nxt]
    d = tables.dpd[:, None].astype(np.float64)
    frac = np.clip((d + 1.0 - tables.dpd[nxt]) / (d + 1.0), 0.0, 1.0)
    frac = np.where(paid, 1.0, np.where(live & carry, frac, 0.0))
    at = np.flatnonzero(tables.absorbing & (tables.state == int(cm.rules.paid_off_state))) if has_paid else []
    return MoneyRules(live=live, keep=1.0 - frac, paid=paid, carry=carry,
                      paid_off_sub=int(at[0]) if len(at) else -1)


class TermsClasses(NamedTuple):
    """A book with loan terms gathered into classes (``terms_classes``): each loan's class
    ``(rate band, amount class, instalments left)`` flattened, and the classes' money."""

    cls: np.ndarray  # (N,) int32: each loan's class, (band · A + amount) · R + instalments left
    rate: np.ndarray  # (G, E) float64: monthly contract rate of each row group's class
    penalty: np.ndarray  # (G, E) float64: monthly penalty rate on overdue amounts
    share: np.ndarray  # (G, E, 3) float64: share of the principal not yet due that falls due, by method
    n_bands: int
    n_amounts: int
    n_left: int  # R: instalments left 0 .. R - 1
    rate_error: float  # share of the book's interest (balance x rate) the bands move between loans


def _bands_1d(x: np.ndarray, n_classes: int) -> np.ndarray:
    """Class of each value of ``x`` (int64, 0 .. at most ``n_classes`` − 1, ordered): each
    distinct value its own class where there are at most ``n_classes``, else the classes of
    a one-dimensional k-means (Lloyd's iterations from classes of equal counts on the
    distinct values, bounds halfway between class means)."""
    values, inv = np.unique(x, return_inverse=True)
    inv = inv.reshape(-1)
    if values.size <= n_classes:
        return inv.astype(np.int64)
    counts = np.bincount(inv).astype(np.float64)
    v = values.astype(np.float64)
    cum = np.cumsum(counts) - counts
    of_value = np.minimum((cum * n_classes) // x.size, n_classes - 1).astype(np.int64)
    for _ in range(50):
        w = np.bincount(of_value, weights=counts * v, minlength=n_classes)
        c = np.bincount(of_value, weights=counts, minlength=n_classes)
        means = np.sort(w[c > 0] / c[c > 0])
        new = np.searchsorted((means[1:] + means[:-1]) / 2, v, side="right")
        if np.array_equal(new, of_value):
            break
        of_value = new
    _, of_value = np.unique(of_value, return_inverse=True)
    return of_value.reshape(-1)[inv].astype(np.int64)


def principal_shares(rate: np.ndarray, left: np.ndarray) -> np.ndarray:
    """Share of the principal not yet due that falls due in a month with ``left``
    instalments to come (this one included), by repayment method (last axis: equal
    instalments ``r / ((1+r)^left − 1)``, ``1/left`` at r = 0; equal principal ``1/left``;
    interest first 0), 1 for every method in the last month and 0 after it (float64;
    ``creditsim.engine.features.money.principal_share`` per loan)."""
    r = np.asarray(rate, np.float64)
    n = np.maximum(left, 1).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        ei = np.where(r > 0, r / np.expm1(n * np.log1p(r)), 1.0 / n)
    out = np.stack([ei, np.broadcast_to(1.0 / n, ei.shape), np.zeros(ei.shape)], axis=-1)
    out = np.where((left == 1)[..., None], 1.0, out)
    return np.where((left <= 0)[..., None], 0.0, out)


def terms_classes(model: CreditModel, terms, units: np.ndarray, group: np.ndarray, n_groups: int, *,
                  rate_classes: int, amount_classes: int) -> TermsClasses:
    """Gather a book with loan terms into classes: loans of one row group, one rate band,
    one amount class and as many instalments left are alike to the cohort engine (their
    money is then carried as totals, ``creditsim.engine.cohort``).

    Rate bands are made within each row group: its loans' distinct monthly rates where it
    has at most ``rate_classes``, else a one-dimensional k-means of them; a band's rate is
    the balance-weighted mean of its loans' (exact where a band holds one rate);
    ``rate_error`` is the share of the book's interest the bands move between loans (the sum
    of balance × |band rate − rate| over the sum of balance × rate).  Amount
    classes are a k-means of the balances over the book (``amount_classes``; a class only
    splits cohorts, it moves no money).  The repayment method is not a class: a cohort
    carries its balance by method."""
    r = terms.annual_rate / 12.0
    left = (terms.term - terms.months_on_book).astype(np.int64)
    band = np.zeros(len(units), np.int64)
    for g in range(n_groups):
        at = np.flatnonzero(group == g)
        if at.size:
            band[at] = _bands_1d(np.round(r[at] * 2.0**40).astype(np.int64), rate_classes)
    n_bands = int(band.max(initial=0)) + 1
    amount = _bands_1d(units.astype(np.int64), amount_classes)
    n_amounts = int(amount.max(initial=0)) + 1
    n_left = int(left.max(initial=0)) + 1
    cls = (band * n_amounts + amount) * n_left + left
    e = n_bands * n_amounts * n_left
    key = group.astype(np.int64) * n_bands + band
    w = np.maximum(units.astype(np.float64), 1e-9)  # a loan with nothing left weighs little
    mean = np.bincount(key, weights=w * r, minlength=n_groups * n_bands) / np.maximum(
        np.bincount(key, weights=w, minlength=n_groups * n_bands), 1e-300)
    lo = np.full(n_groups * n_bands, np.inf)
    np.minimum.at(lo, key, r)
    hi = np.full(n_groups * n_bands, -np.inf)
    np.maximum.at(hi, key, r)
    rate_gb = np.where(lo == hi, lo, mean).reshape(n_groups, n_bands)  # one rate: itself, exactly
    w_units = units.astype(np.float64)
    moved = float(np.sum(w_units * np.abs(rate_gb[group, band] - r)) / max(float(np.sum(w_units * r)), 1e-300))
    per = np.arange(e)
    band_of, left_of = per // (n_amounts * n_left), per % n_left
    rate = rate_gb[:, band_of]  # (G, E)
    return TermsClasses(cls=cls.astype(np.int32), rate=rate, penalty=rate * model.penalty_multiple,
                        share=principal_shares(rate, np.broadcast_to(left_of, rate.shape)), n_bands=n_bands,
                        n_amounts=n_amounts, n_left=n_left, rate_error=moved)


def sub_state_of(tables: CohortTables, model: CreditModel, state0: np.ndarray, dpd0: np.ndarray,
                 cm: CompiledModel) -> np.ndarray:
    """Each loan's sub-state index at month 0 (the tables' starting sub-states)."""
    aging = needs_aging(model) or model.fraud is not None
    cap = int(tables.dpd.max(initial=0))
    width = cap + 1
    lut = np.full(len(model.states) * width, -1, np.int32)
    start = tables.timer == 0
    lut[tables.state[start] * width + tables.dpd[start]] = np.flatnonzero(start)
    d = np.where(cm.absorbing[state0], 0, np.minimum(dpd0, cap)) if aging else np.zeros_like(state0)
    return lut[state0.astype(np.int64) * width + d]


def exposure_classes(units: np.ndarray, group: np.ndarray, n_groups: int, n_classes: int
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Loans' exposures (integer money units) gathered into at most ``n_classes`` classes:
    ``(class of each loan (int32), each row group's class exposure (n_groups, E) int64)``.

    With at most ``n_classes`` distinct exposures each is a class of its own (exact).
    Otherwise the class bounds are those of a one-dimensional k-means of the book's
    exposures (Lloyd's iterations from classes of equal counts: bounds halfway between
    class means), and a class is valued, in each row group, at the mean of that group's
    loans in it rounded to a unit, so each group's total exposure is kept (to within half a
    unit a loan) and so is the loss's mean where a group's loans start alike."""
    cls = _bands_1d(units.astype(np.int64), n_classes).astype(np.int32)
    e = int(cls.max()) + 1
    key = group.astype(np.int64) * e + cls
    total = np.bincount(key, weights=units.astype(np.float64), minlength=n_groups * e)
    size = np.bincount(key, minlength=n_groups * e)
    # a class a group has no loans of is never used by that group: any value does
    value = np.where(size > 0, total / np.maximum(size, 1), 0.0)
    return cls, np.round(value).astype(np.int64).reshape(n_groups, e)
