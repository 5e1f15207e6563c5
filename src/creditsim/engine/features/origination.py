"""New loans entering the book: a loan with an entry month waits, in an absorbing state and
counted nowhere, until its month; then it enters in its state with its contract; its
vintage (month of entry, 0 for the book's loans) is counted by month."""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp

from .base import Feature


@dataclass(frozen=True)
class Origination(Feature):
    """Per loan, ``per_loan["entry"]`` (int32): the month it enters (0: in the book at
    month 0).  A loan with entry e > 0 starts in ``wait_state`` (absorbing, nothing owed);
    in months before e it is absent (``m.absent``: counted nowhere); in month e it enters
    ``enter_state`` owing its contract's balance (months past due 0) and is counted at the
    month's end; it moves from month e + 1 on.

    Totals (by month): ``vintage_live (months, V*K)`` the principal owed (exposure without
    terms) by live loans by vintage and state, and ``vintage_charged (months, 2, V)`` the
    loans charged off in the month by vintage and their principal owed then (exposure
    without terms); ``n_vintages`` V = horizon + 1."""

    n_vintages: int = 1
    wait_state: int = 0
    enter_state: int = 1
    name = "origination"
    totals = {"vintage_live": "month", "vintage_charged": "month"}

    def setup(self, k):
        k.entry = k.per_loan["entry"]
        k.is_pad = k.group == k.cm.group_segment.shape[0] - 1

    def init(self, k, carry, state0):
        carry["waiting"] = k.entry > 0

    def start(self, k, m):
        m.absent = m.t_abs < k.entry  # not in the book yet this month

    def end(self, k, m):
        c = m.c
        entering = c["waiting"] & (m.t_abs == k.entry)
        m.new = jnp.where(entering, self.enter_state, m.new)
        c["state"] = m.new
        c["waiting"] = c["waiting"] & ~entering
        if "dpd" in c:
            c["dpd"] = jnp.where(entering, 0, c["dpd"])
        if "balance" in c:
            c["balance"] = jnp.where(entering, k.loans.balance, c["balance"])
            c["remaining"] = jnp.where(entering, k.loans.remaining, c["remaining"])

    def still_live(self, carry, strat):
        return carry["waiting"]  # a loan still to enter is not finished

    def count(self, k, m):
        cm, c, kk, v = k.cm, m.c, k.k, self.n_vintages
        if "balance" in c:
            owed, at_co = c["balance"] + c["due_principal"], c["balance"] + c["due_principal"]
        else:
            owed = at_co = k.units
        gone = m.absent | k.is_pad
        live = ~cm.absorbing[m.new] & ~gone
        m.out["vintage_live"] = k.count(jnp.where(live, k.entry * kk + m.new, v * kk),
                                        jnp.where(live, owed, 0), n=v * kk + 1)[: v * kk]
        co = cm.charge_off[m.new] & ~cm.charge_off[m.state] & ~gone
        where = jnp.where(co, k.entry, v)
        n_co = k.count(where, n=v + 1)[:v].astype(jnp.int64)
        amount = k.count(where, jnp.where(co, at_co, 0), n=v + 1)[:v]
        m.out["vintage_charged"] = jnp.stack([n_co, amount])

    def finish(self, k, r):
        r.res["vintage_live"] = r.outs["vintage_live"]
        r.res["vintage_charged"] = r.outs["vintage_charged"]
