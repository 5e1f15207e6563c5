"""Placements (委外催收, 诉讼): an account placed with a collection agency or taken to court.
While the agency holds an open loan past due it contacts the borrower every month, its
effect's rows act and the lender takes no action of its own; it gives the account back
when cured (``recall_on_cure``) or at the end of its term.  A legal action's judgment
falls due after its months: won (with its probability), it closes an open debt for its
fraction.  After charge-off, an agency recovers once with its monthly hazard and a
judgment with its probability, either taking its fraction of the exposure."""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp

from ...compile.strategies import AGENCY, LEGAL
from .base import Feature
from .money import take


@dataclass(frozen=True)
class Placement(Feature):
    """``fraud``: whether fraud claims are simulated (no recall of a loan under review)."""

    fraud: bool = False
    name = "placement"
    stores = {"store_move": ("placed", "kp", "judge", "timer0"), "store_pay": ("judged_open",)}

    def init(self, k, carry, state0):
        zero = jnp.zeros(state0.shape, jnp.int32)
        # placement (action index), months to judgment or left of the placement's term,
        # exposure still to recover after charge-off, its month
        carry.update(place=zero, timer=zero, recoverable=zero, co_month=zero)

    def still_live(self, carry, strat):
        # charged off with exposure still to recover through a placement, or through one a
        # rule may yet make (``strat.after_charge_off``, by strategy; carry ``(B, S, N)``)
        return (carry["recoverable"] > 0) & ((carry["place"] > 0) | strat.after_charge_off[:, None])

    def may_act(self, k, m):
        # the lender acts on no placed loan, and on a charged-off one only while something
        # is left to recover
        c = m.c
        return (c["place"] == 0) & (~k.cm.absorbing[m.state] | (c["recoverable"] > 0))

    def decide(self, k, m):
        cm, strat, c, state, a = k.cm, k.strat, m.c, m.state, m.a
        m.is_place = (m.ka == AGENCY) | (m.ka == LEGAL)
        m.timer0 = timer0 = c["timer"]
        m.judge = (strat.kind[c["place"]] == LEGAL) & (timer0 == 1)  # a judgment falls due this month
        # months to judgment (legal), or left of an agency placement's term (0: none)
        c["timer"] = jnp.where(m.is_place, strat.months[a], jnp.maximum(timer0 - 1, 0))
        # what the loan owes as the month begins (what a placement takes on)
        owed0 = jnp.where(cm.charge_off[state], c["recoverable"], c["balance"] + c["due_principal"] + c["due_interest"])
        m.placed_owed = jnp.where(m.is_place, owed0, 0)
        c["place"] = jnp.where(m.is_place, a, c["place"])
        m.placed = placed = c["place"]
        m.kp = kp = strat.kind[placed]
        placed_open = (placed > 0) & ~cm.absorbing[state]
        m.eff = jnp.where(placed_open, placed, m.eff)
        m.p_act = jnp.where(placed > 0, strat.prob[placed, k.group], m.p_act)
        # an agency holding an open loan past due goes on contacting it every month
        agency_on = (a == 0) & placed_open & (kp == AGENCY) & ~m.barred0 & (c["dpd"] > 0)
        m.contacts = jnp.where(agency_on, strat.contacts[placed], m.contacts)
        m.complaint = jnp.where(agency_on, strat.complaint[placed], m.complaint)

    def settle(self, k, m):
        # a judgment won on an open loan closes the debt for the placement's fraction
        m.judged_open = m.judge & m.live & ~k.cm.absorbing[m.new]
        won = m.judged_open & (m.u_act < m.p_act)
        m.close = m.close | won
        m.close_frac = jnp.where(won, k.strat.fraction[m.placed], m.close_frac)

    def recover(self, k, m):
        cm, strat, c, state, new = k.cm, k.strat, m.c, m.state, m.new
        placed, kp, judge = m.placed, m.kp, m.judge
        # after charge-off: the agency recovers once with its monthly hazard, a judgment
        # with its success probability; either takes the fraction of the exposure
        rec0 = c["recoverable"]
        after = cm.charge_off[state] & (rec0 > 0)
        hit = after & (((kp == AGENCY) & (m.u_act < m.p_act)) | (judge & (m.u_act < m.p_act)))
        m.recovered = take(rec0, jnp.where(hit, strat.fraction[placed], 0.0))
        # a legal case over (judged, or lost) has nothing more to recover
        over = (kp == LEGAL) & (m.timer0 == 0) & (m.a == 0)
        rec_left = jnp.where(hit | (after & (judge | over)), 0, rec0)
        # a judgment that could not be given this month (the loan frozen by a fraud review,
        # or charged off this month) is given the next
        c["timer"] = jnp.where(judge & ~m.judged_open & ~after, 1, c["timer"])
        newly = cm.charge_off[new] & ~cm.charge_off[state]
        if self.fraud:
            newly = newly & ~c["by_fraud"]
        c["recoverable"] = jnp.where(newly, m.b + m.dp + m.di, rec_left)
        c["co_month"] = jnp.where(newly, m.t_abs, c["co_month"])
        m.agency_collects = kp == AGENCY  # the agency is paid on what it collects

    def after_pay(self, k, m):
        cm, c, new, kp = k.cm, m.c, m.new, m.kp
        # the agency gives back an account no longer past due (recall_on_cure), and any
        # account in the last month of its placement term (a term of m months: the month of
        # the placement, with the timer at m, and m - 1 more)
        cured = k.strat.recall[m.placed] & ~cm.absorbing[new] & (c["dpd"] == 0)
        if self.fraud:
            cured = cured & (new != cm.fraud.review_state)
        give_back = (kp == AGENCY) & (cured | (c["timer"] == 1))
        c["place"] = jnp.where(give_back, 0, c["place"])
        c["timer"] = jnp.where(give_back, 0, c["timer"])
