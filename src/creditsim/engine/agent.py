"""The agent engine: every loan a Markov chain, stepped month by month in JAX.

``chunk_kernel`` is the pure, jitted kernel over one chunk of loans and one batch of
scenarios, from the arrays ``creditsim.compile`` makes once per run; the run layer
(``creditsim.run``) streams chunks through it and sums the per-chunk totals exactly
(integers), so results do not depend on the chunk size.  How a row is sampled is in
``creditsim.engine.tilt``.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
from jax.scipy.special import ndtr

from ..compile.model import ONE, CompiledModel, LoanMoney, TypeDraw
from ..compile.strategies import AGENCY, BUREAU, LEGAL, RESTRUCTURE, SETTLEMENT
from . import rng as _rng
from .tilt import thresholds
from .tracing import _TRACES

__all__ = ["AUDIT", "STRATEGY_FLOWS", "CURVES", "draw_groups", "initial_carry", "chunk_kernel"]

LANES = 16  # independent occupancy counters per bin


#: Per-loan counters an audited kernel keeps in its carry (``audit=True``): the most
#: contacts in a month, contacts in months that began under a fraud review or as a confirmed
#: victim, months the lender acted on a loan placed before, months that began barred.
AUDIT = ("audit_max", "audit_barred", "audit_placed", "audit_seen")


#: The columns a strategy adds to the kernel's ``flows`` (after the four money columns).
STRATEGY_FLOWS = ("action_costs", "complaints_ppm", "contacts", "recoveries", "agency_collected",
                  "interest_forgone", "debt_forgiven", "placements", "placed_owed", "delinquent_owed")


#: The recovery curves a strategy run tallies (``recovered_by_age``'s rows): recoveries by
#: months since charge-off; what placed accounts paid by months since their placement;
#: what loans past due paid by months since they first fell past due in the run.
CURVES = ("charge_off", "placement", "delinquency")


@jax.jit
def draw_groups(key, loan_id, seg, draw: TypeDraw):
    """Each loan's row group: its segment's first group plus its behaviour type, drawn from
    the seed's key in stream ``STREAM_TYPE`` (the same in every scenario)."""
    bits, _ = _rng.loan_uniform_pair(key, loan_id, 0, stream=_rng.STREAM_TYPE)
    u = bits >> jnp.uint32(1)
    t = jnp.sum(u[:, None] >= draw.thr[seg], axis=1, dtype=jnp.int32)
    return draw.offset[seg] + t


def _principal_share(rate, log_growth, method, rem):
    """Share of the principal not yet due that falls due this month, given ``rem`` > 0
    instalments left: equal instalments r / ((1+r)^rem − 1) (1/rem at r = 0), equal principal
    1/rem, interest first 0 until the last; every method 1 in its last month."""
    remf = jnp.maximum(rem, 1).astype(jnp.float32)
    ei = jnp.where(rate > 0, rate / jnp.expm1(remf * log_growth), 1.0 / remf)
    share = jnp.where(method == 0, ei, jnp.where(method == 1, 1.0 / remf, 0.0))
    return jnp.where(rem == 1, 1.0, share)


def _half_away(x):
    """``x >= 0`` rounded to the nearest whole number, halves up (away from zero), as int32:
    the package's one rounding convention (``creditsim.schedule.round_half_away``);
    exact, where ``floor(x + 0.5)`` is not (0.49999997 + 0.5 rounds to 1 in float32)."""
    f = jnp.floor(x)
    return (f + (x - f >= 0.5)).astype(jnp.int32)


def _take(x, frac):
    """``x · frac`` rounded (halves up) for int32 ``x`` and float32 ``frac`` in [0, 1]; exact
    at 0 and 1."""
    part = _half_away(x.astype(jnp.float32) * frac)
    return jnp.where(frac >= 1.0, x, jnp.minimum(part, x))


def _stored(t0, *xs):
    """``xs`` as they are, computed once and stored: a fusion boundary for XLA.

    XLA:CPU fuses every consumer of an elementwise value with that value's computation, so
    a value read by several of the month's outputs is computed again in each (measured: the
    month's random words, its transition and its payments up to ten times over).  The
    operands of a conditional cannot be fused into its branches: they are computed once and
    read from memory.  The predicate ``t0 >= 0`` (months already simulated) always holds
    but XLA cannot know it, so the conditional stays; the other branch is never taken.
    Storing the random words and four intermediate results of the month this way halved the
    kernel's time with loan terms on the 2-core CPU of benchmarks/README.md.
    """
    return jax.lax.cond(t0 >= 0, lambda v: v, lambda v: jax.tree.map(jnp.zeros_like, v), xs)


def _looped(step, carry, inputs, t0):
    """``step(carry, inputs)`` run as a loop of one trip whose count XLA cannot see (it is
    computed from ``t0``): XLA compiles a loop body into faster code than the same ops
    unrolled at top level (about three times, for this kernel)."""
    _, out_shape = jax.eval_shape(step, carry, inputs)
    outs0 = jax.tree.map(lambda sd: jnp.zeros(sd.shape, sd.dtype), out_shape)

    def body(_, state):
        c, _ = state
        return step(c, inputs)

    return jax.lax.fori_loop(0, jnp.minimum(t0, 0) + 1, body, (carry, outs0))


def initial_carry(cm: CompiledModel, state0, loans: LoanMoney | None, *, shocks: bool, fraud: bool,
                  aging: bool, money: bool, strategy: bool = False) -> dict:
    """Each loan's simulated state at month 0 (arrays shaped like ``state0``)."""
    zero = jnp.zeros(state0.shape, jnp.int32)
    false = jnp.zeros(state0.shape, bool)
    carry = {"state": state0}
    if shocks:
        carry.update(shocked=false, reported=false)
    if fraud:
        carry.update(review=zero, by_fraud=false)
    if aging:
        carry["dpd"] = cm.past_first[state0]
    if money:
        carry.update(balance=jnp.where(cm.absorbing[state0], 0, loans.balance), due_principal=zero,
                     due_interest=zero, remaining=loans.remaining)
    if strategy:  # bureau flag, placement (action index), months to judgment, deferral left,
        # month of the last action, exposure still to recover after charge-off, its month
        carry.update(bureau=false, place=zero, timer=zero, defer=zero, last=jnp.full(state0.shape, -2**20, jnp.int32),
                     recoverable=zero, co_month=zero)
        # the month a loan first fell past due in the run (0: past due at the start, -1: not yet)
        carry["late_at"] = jnp.where(cm.past_first[state0] > 0, 0, -1).astype(jnp.int32)
        if fraud:  # a fraud claim was made (rules see a rejected one)
            carry["claimed"] = false
    return carry


@partial(jax.jit, static_argnames=("n_segments", "shocks", "fraud", "aging", "money", "keep", "n_age",
                                   "strategy_batch", "audit"))
def chunk_kernel(cm: CompiledModel, z, keys, loan_id, group, units, fraud_hazard,
                 loans: LoanMoney | None, start, t0, strat=None, *, n_segments: int, shocks: bool = False,
                 fraud: bool = False, aging: bool = False, money: bool = False, keep: bool = False,
                 n_age: int = 0, strategy_batch: int = 1, audit: bool = False):
    """Simulate one chunk of loans under a batch of scenarios, for months ``t0 + 1 ..
    t0 + T``, from the loans' states at month 0 or from the carry this function returned
    for the months before (``start``).

    Parameters (all arrays; shapes set the compiled version)
    ----------
    cm
        The compiled model.
    z
        ``(B, T)`` float64 macro factor per scenario and month t0+1..t0+T.
    keys
        ``(B, 2)`` uint32 raw scenario keys (``creditsim._rng.scenario_keys``).
    loan_id
        ``(N,)`` uint32 global loan index (the randomness counter).
    group
        ``(N,)`` int32 row group (segment and behaviour type; the last group is padding).
    units
        ``(N,)`` int32 exposure in integer units of the run's money quantum (the loss of a
        charged-off loan when ``money`` is off).
    fraud_hazard
        ``(T,)`` float64 fraud-claim hazard by month (the same in every scenario).
    loans
        With ``money``: the loans' terms (``LoanMoney``), else None.
    start
        ``(N,)`` int32 the loans' states at month 0 (then ``t0`` is 0), or the dict of
        ``(B, N)`` arrays (``(B, S, N)`` with strategies) of each loan's simulated state in
        each scenario at month t0 that an earlier call returned.
    t0
        int32 scalar, an even number: months already simulated (the randomness counter of
        month t0 + j is that of month pair (t0 + j) // 2).
    strat
        S strategies' arrays stacked on a leading axis (``creditsim._collect.
        StrategyArrays``, needs ``money``), each with its row table; None for no strategy.
        All S run in this one call on common random numbers: every draw depends only on
        (scenario, loan, month, stream), never on the strategy.
    n_segments, shocks, fraud, aging, money, keep, n_age, strategy_batch, audit
        Static: the number of segments G; whether income shocks and fraud claims are
        simulated; whether months past due are counted (for the charge-off rule); whether
        balances, instalments and payments are simulated; whether to return the carry
        (to go on from it); with strategies, the months since charge-off of the recovery
        curve, and how many strategies are stepped together (vectorised, sharing each
        month's random words) where the others run one after another (1: one at a time,
        each strategy's working set that of a run without; S: all together); with
        strategies and ``audit``, the carry also holds, per loan over the run, the checks
        of ``AUDIT`` (for tests of the caps loan by loan, from each month's starting
        state rather than the engine's own bar).

    Returns
    -------
    ``(outputs, carry)``: the carry at month t0 + T (None unless ``keep``), and a dict of
    outputs: ``counts (B, T, G*K*F)`` int32 loans by segment, state and
    flags for months 1..T (F = 4 with shocks: flag 2 = under a shock this month, flag 1 =
    hardship reported; else 1); ``loss (B, 2, G)`` int64 units charged off over the
    months for credit (0) and confirmed fraud (1) by loans charged off in these months;
    ``charged (B, 2, G)`` int32 the loans; ``moves (B, G*K*K)`` int64 the months of open
    loans by segment, state at the start of a month and state at its end, over the months.
    With ``money`` also ``balance (B, T, G*K*F)`` int64 principal of live loans by bin,
    ``flows (B, T, 4)`` int64 interest received, principal repaid, credit and fraud
    charge-offs by month, ``written (B, 2, 2)`` int64 principal and interest charged off by
    cause, and ``end (B, 2)`` int64 interest and penalty that fell due in these months and
    interest still owed at their end.
    With a strategy ``flows`` has 10 more columns (``STRATEGY_FLOWS``), and there are
    ``recovered_by_age (B, 3, n_age)`` int64 the recovery curves' amounts by age (``CURVES``:
    recoveries by months since charge-off, what placed accounts paid by months since
    placement, what loans first past due paid by months since),
    ``max_contacts (B,)`` int32 the most contacts of a loan in a month, and
    ``contacts_barred (B,)`` int32 contacts with loans under fraud review or confirmed
    fraud victims (the engine makes none).  With strategies every output and the carry
    have a strategy axis after the scenario axis: ``(B, S, ...)``.
    """
    _TRACES["chunk_kernel"] += 1
    g1 = cm.group_segment.shape[0]  # row groups, padding included
    k = cm.q.shape[1]
    s1 = n_segments + 1  # segments, padding included
    f = 4 if shocks else 1
    n_months = z.shape[1]
    aging = aging or money or fraud  # a rejected fraud claim returns to its months past due
    seg = cm.group_segment[group]
    strategy = strat is not None
    # rows: (distressed, group, bureau flag, effect) -> index ((dg·nb + bureau)·ne + effect)·K
    nb, ne = (2, strat.kind.shape[1]) if strategy else (1, 1)
    bin_base = seg * (k * f)
    # counts are kept per lane (loan index mod LANES) so that consecutive loans in the same
    # bin do not serialise the scatter-add on one counter
    n_bins = s1 * k * f
    lane = jnp.arange(group.shape[0], dtype=jnp.int32) % LANES

    def count(bins, weight=None, n=n_bins):
        at = lane * n + bins
        if weight is None:
            occ = jnp.zeros(LANES * n, jnp.int32).at[at].add(1)
        else:
            occ = jnp.zeros(LANES * n, jnp.int64).at[at].add(weight.astype(jnp.int64))
        return occ.reshape(LANES, n).sum(axis=0)

    # the month's count is by (segment, state at the start, state at the end, flags): the
    # occupancy sums out the start, the moves the flags (one scatter-add for both)
    n_moves = s1 * k * k * f
    from_open = ~cm.absorbing[None, :, None]

    def move(state, bits, thr_t, base):
        u = bits >> jnp.uint32(1)
        return jnp.sum(u[:, None] >= thr_t[base + state], axis=1, dtype=jnp.int32)

    # One Threefry call gives two words: months 2j+1 and 2j+2 use the two words of the
    # counter (loan, j).  The scan steps over whole pairs; an odd last month runs after it
    # with its pair's first word.
    n_pairs = n_months // 2
    q_h, sr_h, end_p, report = cm.shock[0], cm.shock[1], cm.shock[2], cm.shock[3]
    report_thr = jnp.round(report * ONE).astype(jnp.uint32)
    end_thr_all = jnp.round(end_p * ONE).astype(jnp.uint32)
    review_state, rejected_state, co_state = cm.fraud_states[0], cm.fraud_states[1], cm.fraud_states[2]
    review_months = cm.fraud[0].astype(jnp.int32)
    confirm_thr = jnp.round(cm.fraud[1] * ONE).astype(jnp.uint32)
    fz = jnp.round(fraud_hazard * ONE).astype(jnp.uint32)
    co_state_any, paid_state, has_paid, dpd_limit = cm.rules[0], cm.rules[1], cm.rules[2] > 0, cm.rules[3]
    restructured = cm.rules[4] if strategy else None

    def store(*xs):
        # with money the month has many outputs reading the same values: store them once
        # (without, the chain has few outputs; there storing measured no gain)
        return _stored(t0, *xs) if money else xs

    def choose(c, state, t_abs, strat):
        """The month's action of each loan: the first rule it matches, where the engine lets
        the lender act (open to collection, no fraud claim, not placed, not deferring)."""
        d0 = c["dpd"]
        owed = (c["balance"] + c["due_principal"] + c["due_interest"]).astype(jnp.int64)
        is_co = cm.charge_off[state]
        days = jnp.where(is_co, dpd_limit + 1, jnp.where(d0 > 0, 30 * (d0 - 1) + 1, 0))
        hard = c["reported"] if shocks else jnp.zeros(state.shape, bool)
        claimed = c["claimed"] if fraud else jnp.zeros(state.shape, bool)
        a = jnp.zeros(state.shape, jnp.int32)
        for r in reversed(range(strat.rule_action.shape[0])):
            act = strat.rule_action[r]
            m = (strat.rule_states[r][state] & (days >= strat.rule_days[r, 0]) & (days <= strat.rule_days[r, 1])
                 & (owed >= strat.rule_owed[r, 0]) & (owed <= strat.rule_owed[r, 1]) & strat.rule_segments[r][seg]
                 & ((strat.rule_hardship[r] < 0) | (hard == (strat.rule_hardship[r] == 1)))
                 & ((strat.rule_claim[r] < 0) | (claimed == (strat.rule_claim[r] == 1)))
                 & (t_abs - c["last"] >= strat.rule_gap[r]))
            m = m & ~((strat.kind[act] == BUREAU) & c["bureau"])  # a bureau report is made once
            a = jnp.where(m, act, a)
        ok = (c["place"] == 0) & (c["defer"] == 0) & (~cm.absorbing[state] | (is_co & (c["recoverable"] > 0)))
        if fraud:
            ok = ok & (c["review"] == 0) & ~c["by_fraud"]
        return jnp.where(ok, a, 0)

    def month(c, t, words, thr_t, hz_t, fz_t, strat):
        state = c["state"]
        bits, shock_bits, report_bits, fraud_bits, act_bits = words
        bureau, eff = 0, 0
        if strategy:
            t_abs = t0 + t + 1
            if audit:  # the loan's state at the start of the month, as the audit sees it
                was_placed = c["place"] > 0
                was_barred = ((c["review"] > 0) | c["by_fraud"]) if fraud else jnp.zeros(state.shape, bool)
            a = choose(c, state, t_abs, strat)
            ka = strat.kind[a]
            is_place = (ka == AGENCY) | (ka == LEGAL)
            c["bureau"] = c["bureau"] | (ka == BUREAU)
            timer0 = c["timer"]
            judge = (strat.kind[c["place"]] == LEGAL) & (timer0 == 1)  # a judgment falls due this month
            # months to judgment (legal), or left of an agency placement's term (0: none)
            c["timer"] = jnp.where(is_place, strat.months[a], jnp.maximum(timer0 - 1, 0))
            # what the loan owes as the month begins (what a placement takes on)
            owed0 = jnp.where(cm.charge_off[state], c["recoverable"],
                              c["balance"] + c["due_principal"] + c["due_interest"])
            placed_owed = jnp.where(is_place, owed0, 0)
            c["place"] = jnp.where(is_place, a, c["place"])
            placed = c["place"]
            kp = strat.kind[placed]
            open0 = ~cm.absorbing[state]
            placed_open = (placed > 0) & open0
            bureau = c["bureau"].astype(jnp.int32)
            eff = jnp.where(placed_open, placed, jnp.where(ka == BUREAU, 0, a))
            u_act = act_bits >> jnp.uint32(1)
            p_act = strat.prob[jnp.where(placed > 0, placed, a), group]
            c["last"] = jnp.where(a > 0, t_abs, c["last"])
            # no contact (the lender's or its agency's) with a borrower whose fraud claim is
            # under review or confirmed
            barred0 = ((c["review"] > 0) | c["by_fraud"]) if fraud else jnp.zeros(state.shape, bool)
            # the month's action makes its contacts (and may draw a complaint); an agency
            # holding an open loan past due goes on contacting it every month
            agency_on = placed_open & (kp == AGENCY) & ~barred0 & (c["dpd"] > 0)
            contacts = jnp.where(a > 0, strat.contacts[a], jnp.where(agency_on, strat.contacts[placed], 0))
            complaint = jnp.where(a > 0, strat.complaint[a], jnp.where(agency_on, strat.complaint[placed], 0))
            cost = strat.cost[a]
            is_restr = ka == RESTRUCTURE
            if audit:
                # per loan, over the run: the most contacts in a month, contacts in months
                # that began under a fraud review or as a confirmed victim, months in which
                # the lender acted on a loan placed before, and months that began barred
                c["audit_max"] = jnp.maximum(c["audit_max"], contacts)
                c["audit_barred"] = c["audit_barred"] + jnp.where(was_barred, contacts, 0)
                c["audit_placed"] = c["audit_placed"] + (was_placed & (a > 0)).astype(jnp.int32)
                c["audit_seen"] = c["audit_seen"] + was_barred.astype(jnp.int32)
        if shocks:
            # one word decides a shock's start (not shocked: u < hazard) or its end after
            # this month (shocked: u < p·2**31, so durations are geometric with mean 1/p);
            # a shock that starts now ends after it with u < hazard·p, u being uniform
            # below the hazard given the start
            shocked = c["shocked"]
            u = shock_bits >> jnp.uint32(1)
            start = ~shocked & cm.performing[state] & (u < hz_t)
            now = shocked | start
            new = move(state, bits, thr_t, (((group + jnp.where(now, g1, 0)) * nb + bureau) * ne + eff) * k)
            end_thr = jnp.where(start, jnp.round(hz_t.astype(jnp.float64) * end_p).astype(jnp.uint32),
                                end_thr_all)
            c["reported"] = c["reported"] | (now & ((report_bits >> jnp.uint32(1)) < report_thr))
            c["shocked"] = now & (u >= end_thr)  # cleared below if the loan leaves the book
            flags = 2 * now.astype(jnp.int32) + c["reported"].astype(jnp.int32)
        else:
            new = move(state, bits, thr_t, ((group * nb + bureau) * ne + eff) * k)
            flags = 0
        frozen = False
        if strategy:
            # a loan in a deferral does not move
            new = jnp.where(c["defer"] > 0, state, new)
        if fraud:
            # one word decides a claim (not under review) or, in a review's last month, its
            # outcome; a loan under review does not move and nothing falls due on it
            review = c["review"]
            u = fraud_bits >> jnp.uint32(1)
            in_review = review > 0
            confirm = (review == 1) & (u < confirm_thr)
            reject = (review == 1) & ~confirm
            claim = ~in_review & ~cm.absorbing[state] & (u < fz_t)
            held = jnp.where(confirm, co_state, jnp.where(reject, rejected_state, review_state))
            new = jnp.where(claim, review_state, jnp.where(in_review, held, new))
            c["review"] = jnp.where(claim, review_months, jnp.maximum(review - 1, 0))
            held_back = claim | (in_review & ~confirm & ~reject)  # in review at the month's end
            c["by_fraud"] = c["by_fraud"] | confirm
            if strategy:
                c["claimed"] = c["claimed"] | claim  # what a rule's fraud_claim sees
            frozen = (in_review & ~reject) | claim
        if strategy:
            # a restructure (not on a loan whose fraud claim came this month); with a
            # deferral nothing falls due and no interest accrues while it lasts
            restr = is_restr & ~frozen
            new = jnp.where(restr, restructured, new)
            c["defer"] = jnp.where(restr, strat.defer[a], c["defer"])
            deferring = (c["defer"] > 0) & ~cm.absorbing[state] & ~frozen  # not frozen by a review
            frozen = frozen | deferring
        # store the month's moves (and the strategy's choices) once for all that follows
        if strategy:
            (c, new, frozen, a, ka, restr, placed, kp, judge, timer0, u_act, p_act, contacts, complaint, cost, barred0,
             deferring) = store(c, new, frozen, a, ka, restr, placed, kp, judge, timer0, u_act, p_act, contacts,
                                complaint, cost, barred0, deferring)
        else:
            c, new, frozen = store(c, new, frozen)
        if aging:
            # months past due after this month: a state's first month on entry, one more
            # for a loan staying in a state that spans several months; past the limit the
            # loan is charged off instead
            d = c["dpd"]
            first = cm.past_first[new]
            d_new = jnp.where((new == state) & cm.past_ages[new], d + 1, first)
            if fraud:
                # a loan under a fraud review keeps its months past due; a rejected claim
                # counts the claim's month and the review's as months past due (the
                # borrower was liable all along): the loan returns as far past due as if it
                # had paid nothing meanwhile, and is charged off when it would have been
                d_new = jnp.where(held_back, d, d_new)
                back = reject & (d > 0)
                d_back = d + review_months + 1
                new = jnp.where(back, cm.returning[jnp.minimum(d_back, cm.returning.shape[0] - 1)], new)
                d_new = jnp.where(back, d_back, d_new)
                first = cm.past_first[new]
            force = (first > 0) & (d_new * 30 > dpd_limit)
            if strategy:
                force = force & ~restr
                d_new = jnp.where(restr, 0, d_new)
            new = jnp.where(force, co_state_any, new)
            c["dpd"] = d_new
            c, new, d = store(c, new, d)
        if money:
            b, dp, di, rem = c["balance"], c["due_principal"], c["due_interest"], c["remaining"]
            if strategy:
                # a restructure: overdue principal joins the schedule, overdue interest and
                # penalty are waived, the term grows
                waived = jnp.where(restr, di, 0)
                b = jnp.where(restr, b + dp, b)
                dp = jnp.where(restr, 0, dp)
                di = di - waived
                # a matured loan restructured without extension gets one instalment
                rem = jnp.where(restr, jnp.maximum(rem + strat.extend[a], (b > 0).astype(jnp.int32)), rem)
                forgone = waived + jnp.where(deferring & (rem > 0),
                                             _half_away(b.astype(jnp.float32) * loans.rate), 0)
            live = ~cm.absorbing[state] & ~frozen
            due = live & (rem > 0)
            interest = jnp.where(due, _half_away(b.astype(jnp.float32) * loans.rate), 0)
            share = _principal_share(loans.rate, loans.log_growth, loans.method, rem)
            princ = jnp.where(due, _take(b, share), 0)
            overdue = (dp + di).astype(jnp.float32)
            pen = jnp.where(live, _half_away(overdue * loans.penalty), 0)
            b, dp, di, rem, pen, interest, princ, live = store(b, dp, di, rem, pen, interest, princ, live)
            b = b - princ
            dp = dp + princ
            di = di + interest + pen
            rem = rem - due.astype(jnp.int32)
            # payment: everything on a payoff; else the share of the overdue amount that
            # brings it from d + 1 instalments (d past due plus this month's) down to d_new
            to_paid = live & (new == paid_state)
            if strategy:
                # a settlement accepted, or a judgment won, on an open loan: it pays the
                # fraction of what it owes and the rest is forgiven
                judged_open = judge & live & ~cm.absorbing[new]
                # (an accepted settlement is paid whatever the month's move would have been)
                close = live & (((ka == SETTLEMENT) & (u_act < p_act)) | (judged_open & (u_act < p_act)))
                close_frac = jnp.where(ka == SETTLEMENT, strat.fraction[a], strat.fraction[placed])
                owed = b + dp + di
                got = _take(owed, jnp.where(close, close_frac, 0.0))
                got_p = jnp.minimum(got, b + dp)
                forgiven = jnp.where(close, owed - got, 0)
                b, dp, di = (jnp.where(close, 0, x) for x in (b, dp, di))
                new = jnp.where(close, paid_state, new)
                to_paid = to_paid & ~close
            frac = jnp.clip((d + 1 - c["dpd"]).astype(jnp.float32) / (d + 1).astype(jnp.float32), 0.0, 1.0)
            frac = jnp.where(to_paid, 1.0, jnp.where(live & ~cm.absorbing[new], frac, 0.0))
            pay_p = _take(dp, frac)
            pay_i = _take(di, frac)
            paid_b = jnp.where(to_paid, b, 0)
            b = b - paid_b
            dp = dp - pay_p
            di = di - pay_i
            if strategy:
                pay_p = pay_p + got_p
                pay_i = pay_i + (got - got_p)
            # a loan with nothing left to pay and no instalment to come is paid off
            done = live & has_paid & ~cm.absorbing[new] & (rem == 0) & (b == 0) & (dp == 0) & (di == 0)
            new = jnp.where(done, paid_state, new)
            c.update(balance=b, due_principal=dp, due_interest=di, remaining=rem,
                     accrued=c["accrued"] + interest + pen)
            inflow = jnp.stack([jnp.sum(pay_i, dtype=jnp.int64), jnp.sum(pay_p + paid_b, dtype=jnp.int64)])
            if strategy:
                c, new, inflow, b, dp, di, pay_i, pay_p, paid_b, forgone, forgiven, judged_open = store(
                    c, new, inflow, b, dp, di, pay_i, pay_p, paid_b, forgone, forgiven, judged_open)
            else:
                c, new = store(c, new)
        if money:
            c["exit"] = jnp.where(cm.charge_off[new] & ~cm.charge_off[state], t, c["exit"])
        if strategy:
            # after charge-off: the agency recovers once with its monthly hazard, a judgment
            # with its success probability; either takes the fraction of the exposure
            rec0 = c["recoverable"]
            after = cm.charge_off[state] & (rec0 > 0)
            hit = after & (((kp == AGENCY) & (u_act < p_act)) | (judge & (u_act < p_act)))
            recovered = _take(rec0, jnp.where(hit, strat.fraction[placed], 0.0))
            # a legal case over (judged, or lost) has nothing more to recover
            over = (kp == LEGAL) & (timer0 == 0) & (a == 0)
            rec_left = jnp.where(hit | (after & (judge | over)), 0, rec0)
            # a judgment that could not be given this month (the loan frozen by a fraud
            # review, or charged off this month) is given the next
            c["timer"] = jnp.where(judge & ~judged_open & ~after, 1, c["timer"])
            newly = cm.charge_off[new] & ~cm.charge_off[state]
            if fraud:
                newly = newly & ~c["by_fraud"]
            c["recoverable"] = jnp.where(newly, b + dp + di, rec_left)
            c["co_month"] = jnp.where(newly, t_abs, c["co_month"])
            # what collections is paid on: the loan's payments in a month that began past due
            # (arrears, the month's instalment, a payoff in full; settlements and judgments
            # included), and recoveries after charge-off; nothing from a current loan
            on_overdue = jnp.where(d > 0, pay_i + pay_p + paid_b, 0) + recovered
            collected = jnp.where(kp == AGENCY, on_overdue, 0)
            barred = (contacts > 0) & barred0
            late = c["late_at"]
            # a loan past due for the first time in the run: what it owes then
            first_late = (late < 0) & (c["dpd"] > 0) & ~cm.absorbing[new]
            late_owed = jnp.where(first_late, b + dp + di, 0)
            c["late_at"] = jnp.where(first_late, t_abs, late)
            sflows = jnp.stack([jnp.sum(cost, dtype=jnp.int64), jnp.sum(complaint, dtype=jnp.int64),
                                jnp.sum(contacts, dtype=jnp.int64), jnp.sum(recovered, dtype=jnp.int64),
                                jnp.sum(collected, dtype=jnp.int64), jnp.sum(forgone, dtype=jnp.int64),
                                jnp.sum(forgiven, dtype=jnp.int64), jnp.sum(is_place, dtype=jnp.int64),
                                jnp.sum(placed_owed, dtype=jnp.int64), jnp.sum(late_owed, dtype=jnp.int64)])

            def tally(amount, age):
                idx = jnp.where(amount > 0, jnp.clip(age, 0, n_age - 1), n_age)
                return jnp.zeros(n_age + 1, jnp.int64).at[idx].add(amount.astype(jnp.int64))[:n_age]

            # the curves (CURVES): recoveries by months since charge-off (1: the month after);
            # what placed accounts paid by months since placement (0: its month); what loans
            # first past due in the run paid by months since (1: the month after)
            by_age = jnp.stack([tally(recovered, t_abs - c["co_month"]),
                                tally(jnp.where(placed > 0, on_overdue, 0), t_abs - c["last"]),
                                tally(jnp.where(late > 0, on_overdue, 0), t_abs - late)])
            # the agency gives back an account no longer past due (recall_on_cure), and any
            # account in the last month of its placement term (a term of m months: the month
            # of the placement, with the timer at m, and m - 1 more)
            cured = strat.recall[placed] & ~cm.absorbing[new] & (c["dpd"] == 0)
            if fraud:
                cured = cured & (new != review_state)
            give_back = (kp == AGENCY) & (cured | (c["timer"] == 1))
            c["place"] = jnp.where(give_back, 0, c["place"])
            c["timer"] = jnp.where(give_back, 0, c["timer"])
            c["defer"] = jnp.maximum(c["defer"] - 1, 0)
        c["state"] = new
        if shocks:
            # a paid-off or charged-off loan's shock ends: its flags stay as they are
            c["shocked"] = c["shocked"] & ~cm.absorbing[new]
        bins = bin_base + new * f + flags
        full = count(((seg * k + state) * k + new) * f + flags, n=n_moves).reshape(s1, k, k, f)
        out = {"counts": full.sum(axis=1).reshape(n_bins),
               "moves": jnp.where(from_open, full.sum(axis=3), 0).reshape(s1 * k * k)}
        if money:
            out["balance"] = count(bins, jnp.where(cm.absorbing[new], 0, c["balance"] + c["due_principal"]))
            out["inflow"] = inflow
        if strategy:
            out["sflows"] = sflows
            out["by_age"] = by_age
            out["max_contacts"] = jnp.max(contacts)
            out["barred"] = jnp.sum(barred, dtype=jnp.int32)
        return c, out

    # the row table: the model's rows, or a strategy's (each group's rows under every
    # (bureau flag, effect) pair, all with the group's rho)
    n_rows = (strat.rows.shape[1] if strategy else cm.q.shape[0]) * k
    sqrt_rho = jnp.repeat(cm.sqrt_rho, nb * ne) if strategy else cm.sqrt_rho

    def one_scenario(zs, key, init0, strat):
        thr = thresholds(strat.rows if strategy else cm.q, sqrt_rho, zs).reshape(n_months, n_rows, k - 1)
        # the month's shock hazard on the 2**31 grid
        hz = ndtr((q_h - sr_h * zs) / jnp.sqrt(1.0 - sr_h * sr_h))
        hz = jnp.round(hz * ONE).astype(jnp.uint32)

        def step(carry, inputs, width=2):
            pair, thr_pair, hz_pair, fz_pair = inputs
            streams = [_rng.STREAM_TRANSITION]
            streams += [_rng.STREAM_SHOCK, _rng.STREAM_REPORT] if shocks else []
            streams += [_rng.STREAM_FRAUD] if fraud else []
            streams += [_rng.STREAM_ACTION] if strategy else []
            drawn = {r: _rng.loan_uniform_pair(key, loan_id, pair, stream=r) for r in streams}
            drawn = store(drawn)[0]  # each word is read by several of the month's outputs
            outs = []
            for i in range(width):
                words = tuple(drawn[r][i] if r in drawn else None for r in
                              (_rng.STREAM_TRANSITION, _rng.STREAM_SHOCK, _rng.STREAM_REPORT, _rng.STREAM_FRAUD,
                               _rng.STREAM_ACTION))
                t = (2 * pair + i).astype(jnp.int32) - t0  # month index within this call
                carry, o = month(dict(carry), t, words, thr_pair[i], hz_pair[i], fz_pair[i], strat)
                outs.append(o)
            return carry, jax.tree.map(lambda *a: jnp.stack(a), *outs)

        first_pair = (t0 // 2).astype(jnp.uint32)
        if init0 is None:
            init = initial_carry(cm, start, loans, shocks=shocks, fraud=fraud, aging=aging, money=money,
                                 strategy=strategy)
            if strategy and audit:
                init.update({name: jnp.zeros_like(init["state"]) for name in AUDIT})
        else:
            init = dict(init0)
        state0 = init["state"]
        if money:  # per call: interest that fell due, and the month a loan was charged off
            init.update(accrued=jnp.zeros_like(state0), exit=jnp.full_like(state0, -1))
        final, parts = init, []
        m2 = 2 * n_pairs
        xs = (first_pair + jnp.arange(n_pairs, dtype=jnp.uint32), thr[:m2].reshape(n_pairs, 2, n_rows, k - 1),
              hz[:m2].reshape(n_pairs, 2), fz[:m2].reshape(n_pairs, 2))
        if n_pairs >= 2:
            final, outs = jax.lax.scan(step, init, xs)
            parts.append(jax.tree.map(lambda a: a.reshape((m2,) + a.shape[2:]), outs))
        elif n_pairs == 1:
            final, outs = _looped(step, final, jax.tree.map(lambda a: a[0], xs), t0)
            parts.append(outs)
        if n_months % 2:
            final, last = _looped(partial(step, width=1), final,
                                  (first_pair + n_pairs, thr[-1:], hz[-1:], fz[-1:]), t0)
            parts.append(last)
        outs = jax.tree.map(lambda *a: jnp.concatenate(a), *parts) if len(parts) > 1 else parts[0]
        charged = cm.charge_off[final["state"]] & ~cm.charge_off[state0]
        by_fraud = final["by_fraud"] if fraud else jnp.zeros_like(charged)
        cause = by_fraud.astype(jnp.int32)
        kind = cause * s1 + seg  # credit losses in [0, s1), fraud in [s1, 2·s1)
        if money:
            exposure = final["balance"] + final["due_principal"] + final["due_interest"]
        else:
            exposure = units
        exposure = jnp.where(charged, exposure, 0).astype(jnp.int64)
        loss = jnp.zeros(2 * s1, jnp.int64).at[kind].add(exposure)
        n_charged = jnp.zeros(2 * s1, jnp.int32).at[kind].add(charged.astype(jnp.int32))
        res = {"counts": outs["counts"][:, : n_segments * k * f],
               "moves": jnp.sum(outs["moves"][:, : n_segments * k * k], axis=0, dtype=jnp.int64),
               "loss": loss.reshape(2, s1)[:, :n_segments],
               "charged": n_charged.reshape(2, s1)[:, :n_segments]}
        if money:
            res["balance"] = outs["balance"][:, : n_segments * k * f]
            when = jnp.where(charged, final["exit"], n_months) * 2 + cause
            by_month = jnp.zeros(2 * n_months + 2, jnp.int64).at[when].add(exposure)[: 2 * n_months]
            res["flows"] = jnp.concatenate([outs["inflow"], by_month.reshape(n_months, 2)], axis=1)
            w_p = jnp.where(charged, final["balance"] + final["due_principal"], 0).astype(jnp.int64)
            w_i = jnp.where(charged, final["due_interest"], 0).astype(jnp.int64)
            res["written"] = jnp.zeros((2, 2), jnp.int64).at[cause, 0].add(w_p).at[cause, 1].add(w_i)
            live_end = ~cm.absorbing[final["state"]]
            res["end"] = jnp.stack([jnp.sum(final["accrued"], dtype=jnp.int64),
                                    jnp.sum(jnp.where(live_end, final["due_interest"], 0), dtype=jnp.int64)])
            del final["accrued"], final["exit"]
        if strategy:
            res["flows"] = jnp.concatenate([res["flows"], outs["sflows"]], axis=1)
            res["recovered_by_age"] = outs["by_age"].sum(axis=0)
            res["max_contacts"] = jnp.max(outs["max_contacts"])
            res["contacts_barred"] = jnp.sum(outs["barred"])
        return res, (final if keep else None)

    def scenario(zs, key, init0):
        if not strategy:
            return one_scenario(zs, key, init0, None)
        # the strategies of a scenario, one after another or stepped together
        batch = {} if strategy_batch == 1 else {"batch_size": strategy_batch}
        return jax.lax.map(lambda a: one_scenario(zs, key, a[1], a[0]), (strat, init0), **batch)

    if isinstance(start, dict):
        return jax.lax.map(lambda a: scenario(*a), (z, keys, start))
    return jax.lax.map(lambda a: scenario(*a, None), (z, keys))

