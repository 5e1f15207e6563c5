"""Collection strategies: each month a loan's first matching rule picks an action; the
action's effect is a row table of its own (the effect axis of the strategy's rows);
contacts, costs and complaints are counted, closed debts paid, and the strategy's sums and
recovery curves kept.  The action kinds are components of their own: ``Placement``
(agency and legal, ``placement.py``), ``Bureau`` (``bureau.py``), ``Restructure``
(``restructure.py``), ``Settlement`` (``settlement.py``).  Their parameters are arrays of
``creditsim.compile.strategies``."""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp

from .. import rng as _rng
from .base import Feature
from .money import take

#: The columns a strategy adds to the kernel's ``flows`` (after the four money columns).
STRATEGY_FLOWS = ("action_costs", "complaints_ppm", "contacts", "recoveries", "agency_collected",
                  "interest_forgone", "debt_forgiven", "placements", "placed_owed", "delinquent_owed")

#: The recovery curves a strategy run tallies (``recovered_by_age``'s rows): recoveries by
#: months since charge-off; what placed accounts paid by months since their placement;
#: what loans past due paid by months since they first fell past due in the run.
CURVES = ("charge_off", "placement", "delinquency")


@dataclass(frozen=True)
class Collections(Feature):
    """``n_age``: months of the recovery curves; ``fraud``: whether fraud claims are
    simulated (rules see a rejected claim, and no contact is made under review)."""

    n_age: int = 0
    fraud: bool = False
    name = "strategy"
    streams = (_rng.STREAM_ACTION,)
    stores = {"store_move": ("a", "ka", "u_act", "p_act", "contacts", "complaint", "cost", "barred0"),
              "store_pay": ("inflow", "b", "dp", "di", "pay_i", "pay_p", "paid_b", "forgiven")}
    totals = {"recovered_by_age": "sum", "max_contacts": "max", "contacts_barred": "sum"}

    def setup(self, k):
        strat = k.strat
        # rows: (distressed, group, bureau flag, effect) -> index ((dg·nb + bureau)·ne + effect)·K,
        # each group's rows under every (bureau flag, effect) pair, all with the group's rho
        # (the bureau axis is Bureau's: its setup, after this one, sets nb)
        k.ne = strat.kind.shape[0]
        k.rows = strat.rows
        k.row_sqrt_rho = jnp.repeat(k.cm.sqrt_rho, k.nb * k.ne)

    def init(self, k, carry, state0):
        false = jnp.zeros(state0.shape, bool)
        carry["last"] = jnp.full(state0.shape, -2**20, jnp.int32)  # the month of the last action
        # the month a loan first fell past due in the run (0: past due at the start, -1: not yet)
        carry["late_at"] = jnp.where(k.cm.past_first[state0] > 0, 0, -1).astype(jnp.int32)
        if self.fraud:  # a fraud claim was made (rules see a rejected one)
            carry["claimed"] = false

    def choose(self, k, m):
        """The month's action of each loan: the first rule it matches, where the engine lets
        the lender act (not paid off, no fraud claim, and what the action kinds allow:
        ``rule_allows(k, m, action)`` and ``may_act(k, m)``)."""
        cm, strat, c, state = k.cm, k.strat, m.c, m.state
        d0 = c["dpd"]
        owed = (c["balance"] + c["due_principal"] + c["due_interest"]).astype(jnp.int64)
        is_co = cm.charge_off[state]
        days = jnp.where(is_co, cm.rules.charge_off_dpd + 1, jnp.where(d0 > 0, 30 * (d0 - 1) + 1, 0))
        hard = c["reported"] if "reported" in c else jnp.zeros(state.shape, bool)
        claimed = c["claimed"] if self.fraud else jnp.zeros(state.shape, bool)
        a = jnp.zeros(state.shape, jnp.int32)
        for r in reversed(range(strat.rule_action.shape[0])):
            act = strat.rule_action[r]
            hit = (strat.rule_states[r][state] & (days >= strat.rule_days[r, 0]) & (days <= strat.rule_days[r, 1])
                   & (owed >= strat.rule_owed[r, 0]) & (owed <= strat.rule_owed[r, 1]) & strat.rule_segments[r][k.seg]
                   & ((strat.rule_hardship[r] < 0) | (hard == (strat.rule_hardship[r] == 1)))
                   & ((strat.rule_claim[r] < 0) | (claimed == (strat.rule_claim[r] == 1)))
                   & (m.t_abs - c["last"] >= strat.rule_gap[r]))
            for f in k.features:
                if hasattr(f, "rule_allows"):
                    hit = hit & f.rule_allows(k, m, act)
            a = jnp.where(hit, act, a)
        ok = ~cm.absorbing[state] | is_co
        for f in k.features:
            if hasattr(f, "may_act"):
                ok = ok & f.may_act(k, m)
        if self.fraud:
            ok = ok & (c["review"] == 0) & ~c["by_fraud"]
        return jnp.where(ok, a, 0)

    def decide(self, k, m):
        strat, c, state = k.strat, m.c, m.state
        m.a = a = self.choose(k, m)
        m.ka = strat.kind[a]
        m.eff = a  # the row table's effect (a placement's while it lasts; a bureau report has none)
        m.u_act = m.words[_rng.STREAM_ACTION] >> jnp.uint32(1)
        m.p_act = strat.prob[a, k.group]
        c["last"] = jnp.where(a > 0, m.t_abs, c["last"])
        # no contact (the lender's or its agency's) with a borrower whose fraud claim is
        # under review or confirmed
        m.barred0 = ((c["review"] > 0) | c["by_fraud"]) if self.fraud else jnp.zeros(state.shape, bool)
        # the month's action makes its contacts (and may draw a complaint)
        m.contacts = jnp.where(a > 0, strat.contacts[a], 0)
        m.complaint = jnp.where(a > 0, strat.complaint[a], 0)
        m.cost = strat.cost[a]

    def claims(self, k, m):
        if self.fraud:
            m.c["claimed"] = m.c["claimed"] | m.claim  # what a rule's fraud_claim sees

    def settle(self, k, m):
        # no debt closed yet (a judgment or a settlement closes one)
        m.close = jnp.zeros(m.state.shape, bool)
        m.close_frac = jnp.zeros(m.state.shape, jnp.float32)

    def close(self, k, m):
        # a debt closed (a judgment, a settlement): it pays the fraction of what it owes and
        # the rest is forgiven
        close = m.live & m.close
        owed = m.b + m.dp + m.di
        m.got = take(owed, jnp.where(close, m.close_frac, 0.0))
        m.got_p = jnp.minimum(m.got, m.b + m.dp)
        m.forgiven = jnp.where(close, owed - m.got, 0)
        m.b, m.dp, m.di = (jnp.where(close, 0, x) for x in (m.b, m.dp, m.di))
        m.new = jnp.where(close, k.cm.rules.paid_off_state, m.new)
        m.to_paid = m.to_paid & ~close

    def pay(self, k, m):
        m.pay_p = m.pay_p + m.got_p
        m.pay_i = m.pay_i + (m.got - m.got_p)

    def after_pay(self, k, m):
        cm, c, new, t_abs, placed = k.cm, m.c, m.new, m.t_abs, m.placed
        b, dp, di, recovered = m.b, m.dp, m.di, m.recovered
        # what collections is paid on: the loan's payments in a month that began past due
        # (arrears, the month's instalment, a payoff in full; settlements and judgments
        # included), and recoveries after charge-off; nothing from a current loan
        m.on_overdue = on_overdue = jnp.where(m.d > 0, m.pay_i + m.pay_p + m.paid_b, 0) + recovered
        m.barred = (m.contacts > 0) & m.barred0
        late = c["late_at"]
        # a loan past due for the first time in the run: what it owes then
        first_late = (late < 0) & (c["dpd"] > 0) & ~cm.absorbing[new]
        late_owed = jnp.where(first_late, b + dp + di, 0)
        c["late_at"] = jnp.where(first_late, t_abs, late)
        m.sflows = jnp.stack([jnp.sum(x, dtype=jnp.int64) for x in (
            m.cost, m.complaint, m.contacts, recovered, jnp.where(m.agency_collects, on_overdue, 0), m.forgone, m.forgiven,
            m.is_place, m.placed_owed, late_owed)])
        n_age = self.n_age

        def tally(amount, age):
            idx = jnp.where(amount > 0, jnp.clip(age, 0, n_age - 1), n_age)
            return jnp.zeros(n_age + 1, jnp.int64).at[idx].add(amount.astype(jnp.int64))[:n_age]

        # the curves (CURVES): recoveries by months since charge-off (1: the month after);
        # what placed accounts paid by months since placement (0: its month); what loans
        # first past due in the run paid by months since (1: the month after)
        m.by_age = jnp.stack([tally(recovered, t_abs - c["co_month"]),
                              tally(jnp.where(placed > 0, on_overdue, 0), t_abs - c["last"]),
                              tally(jnp.where(late > 0, on_overdue, 0), t_abs - late)])

    def count(self, k, m):
        m.out.update(sflows=m.sflows, by_age=m.by_age, max_contacts=jnp.max(m.contacts),
                     barred=jnp.sum(m.barred, dtype=jnp.int32))

    def finish(self, k, r):
        outs, res = r.outs, r.res
        res["flows"] = jnp.concatenate([res["flows"], outs["sflows"]], axis=1)
        res["recovered_by_age"] = outs["by_age"].sum(axis=0)
        res["max_contacts"] = jnp.max(outs["max_contacts"])
        res["contacts_barred"] = jnp.sum(outs["barred"])


@dataclass(frozen=True)
class Audit(Feature):
    """Test-only: per loan over the run, the most contacts in a month, contacts in months
    that began under a fraud review or as a confirmed victim, months in which the lender
    acted on a loan placed before, and months that began barred (``AUDIT``)."""

    fraud: bool = False
    name = "audit"

    def init(self, k, carry, state0):
        carry.update({name: jnp.zeros_like(carry["state"]) for name in AUDIT})

    def start(self, k, m):
        # the loan's state at the start of the month, as the audit sees it
        c = m.c
        m.was_placed = c["place"] > 0
        m.was_barred = ((c["review"] > 0) | c["by_fraud"]) if self.fraud else jnp.zeros(m.state.shape, bool)

    def decide(self, k, m):
        c, contacts = m.c, m.contacts
        c["audit_max"] = jnp.maximum(c["audit_max"], contacts)
        c["audit_barred"] = c["audit_barred"] + jnp.where(m.was_barred, contacts, 0)
        c["audit_placed"] = c["audit_placed"] + (m.was_placed & (m.a > 0)).astype(jnp.int32)
        c["audit_seen"] = c["audit_seen"] + m.was_barred.astype(jnp.int32)


#: The per-loan counters an audited kernel keeps in its carry.
AUDIT = ("audit_max", "audit_barred", "audit_placed", "audit_seen")
