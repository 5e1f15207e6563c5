"""New loans entering the book: a loan with an entry month waits, in an absorbing state and
counted nowhere, until its month; then it enters in its state with its contract; its
vintage (month of entry, 0 for the book's loans) is counted by month.  With repeat
borrowing a paid-off borrower draws again: the loan enters anew, in the vintage of that
month."""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp

from .. import rng as _rng
from .base import Feature, principal_owed, record_charge_off
from .strategy import AUDIT


@dataclass(frozen=True)
class Origination(Feature):
    """Per loan, ``per_loan["entry"]`` (int32): the month it enters (0: in the book at
    month 0).  A loan with entry e > 0 starts in ``wait_state`` (absorbing, nothing owed);
    in months before e it is absent (``m.absent``: counted nowhere); in month e it enters
    ``enter_state`` owing its contract's balance (months past due 0) and is counted at the
    month's end; it moves from month e + 1 on.

    Totals: ``vintage_live (months, V*K)`` by month, the principal owed (exposure without
    terms) by live loans by vintage and state; ``vintage_charged (2, V, V)`` summed over
    calls, the loans charged off by vintage and month of charge-off (0..horizon) and their
    principal owed then (exposure without terms), scattered once per call from the carry
    (one scatter a month fewer than counting them month by month: measured 27% of the run
    with two); ``n_vintages`` V = horizon + 1.

    ``repeat``: repeat borrowing.  Per loan, ``per_loan["redraw_thr"]`` (uint32 on the
    2**31 grid): a loan in ``wait_state`` (paid off) at a month's start that has entered
    draws again in the month when its word of ``STREAM_REDRAW`` is below it; with loan
    terms, ``per_loan["redraw_units"]`` and ``["redraw_term"]`` (int32) are the contract it
    draws (principal in money units, instalments).  A draw resets the loan's carry to what
    every feature's ``init`` gives a loan in ``enter_state`` (months past due 0, a new
    contract, no placement, no bureau report, ...; fields in ``KEPT`` stay), sets its
    vintage (``carry["vintage"]``) to the month, and counts in the total ``redrawn
    (months, 2)``: draws and their principal (exposure without terms) by month."""

    n_vintages: int = 1
    wait_state: int = 0
    enter_state: int = 1
    repeat: bool = False
    name = "origination"
    #: Carry fields a repeat draw leaves as they are: the call's running sums and the test
    #: audit's record of the loan over the run.
    KEPT = ("accrued", "exit") + AUDIT

    @property
    def streams(self):
        return (_rng.STREAM_REDRAW,) if self.repeat else ()

    @property
    def totals(self):
        out = {"vintage_live": "month", "vintage_charged": "sum"}
        if self.repeat:
            out["redrawn"] = "month"
        return out

    def setup(self, k):
        k.entry = k.per_loan["entry"]
        k.is_pad = k.group == k.cm.group_segment.shape[0] - 1

    def init(self, k, carry, state0):
        carry["waiting"] = k.entry > 0
        carry["co_at"] = jnp.zeros(state0.shape, jnp.int32)  # month charged off (0: not yet)
        if self.repeat:
            carry["vintage"] = k.entry

    def still_live(self, carry, strat):
        # a loan still to enter is not finished; with repeat borrowing neither is a paid-off
        # one that may draw again
        live = carry["waiting"]
        if self.repeat:
            live = live | (carry["state"] == self.wait_state)
        return live

    def _redraw(self, k, m):
        """A paid-off borrower's draw in the month: the loan starts anew."""
        c = m.c
        u = m.words[_rng.STREAM_REDRAW] >> jnp.uint32(1)
        draw = ~c["waiting"] & (m.state == self.wait_state) & (u < k.per_loan["redraw_thr"]) & ~k.is_pad
        fresh: dict = {}
        state_in = jnp.full(m.state.shape, self.enter_state, jnp.int32)
        for x in k.features:
            x.init(k, fresh, state_in)
        fresh["dpd"] = jnp.zeros_like(m.state)
        fresh["waiting"] = jnp.zeros_like(c["waiting"])
        fresh["vintage"] = jnp.broadcast_to(m.t_abs, m.state.shape).astype(jnp.int32)
        if "balance" in c:
            fresh["balance"] = k.per_loan["redraw_units"]
            fresh["remaining"] = k.per_loan["redraw_term"]
        for name, value in fresh.items():
            if name in c and name != "state" and name not in self.KEPT:
                c[name] = jnp.where(draw, value, c[name])
        m.new = jnp.where(draw, self.enter_state, m.new)
        if "reported" in c:  # a new loan: no hardship reported (the month's flags say so too)
            m.flags = jnp.where(draw, 0, m.flags)
        units = k.per_loan["redraw_units"] if "balance" in c else k.units
        m.out["redrawn"] = jnp.stack([jnp.sum(draw, dtype=jnp.int64),
                                      jnp.sum(jnp.where(draw, units, 0), dtype=jnp.int64)])

    def start(self, k, m):
        m.absent = m.t_abs < k.entry  # not in the book yet this month

    def end(self, k, m):
        c = m.c
        if self.repeat:
            self._redraw(k, m)
        entering = c["waiting"] & (m.t_abs == k.entry)
        m.new = jnp.where(entering, self.enter_state, m.new)
        c["state"] = m.new
        c["waiting"] = c["waiting"] & ~entering
        record_charge_off(k, m)  # the same field as Attribution's, if both run
        if "dpd" in c:
            c["dpd"] = jnp.where(entering, 0, c["dpd"])
        if "balance" in c:
            c["balance"] = jnp.where(entering, k.loans.balance, c["balance"])
            c["remaining"] = jnp.where(entering, k.loans.remaining, c["remaining"])

    def count(self, k, m):
        cm, c, kk, v = k.cm, m.c, k.k, self.n_vintages
        owed = principal_owed(k, c)
        live = ~cm.absorbing[m.new] & ~m.absent & ~k.is_pad
        vintage = c["vintage"] if self.repeat else k.entry
        m.out["vintage_live"] = k.count(jnp.where(live, vintage * kk + m.new, v * kk),
                                        jnp.where(live, owed, 0), n=v * kk + 1)[: v * kk]

    def finish(self, k, r):
        final, v = r.final, self.n_vintages
        r.res["vintage_live"] = r.outs["vintage_live"]
        if self.repeat:
            r.res["redrawn"] = r.outs["redrawn"]
        # loans charged off in this call (padding never is): by vintage and month
        owed = principal_owed(k, final)
        vintage = final["vintage"] if self.repeat else k.entry
        where = jnp.where(r.charged, vintage * v + final["co_at"], v * v)
        n_co = jnp.zeros(v * v + 1, jnp.int64).at[where].add(1)[: v * v]
        amount = jnp.zeros(v * v + 1, jnp.int64).at[where].add(jnp.where(r.charged, owed, 0).astype(jnp.int64))
        r.res["vintage_charged"] = jnp.stack([n_co, amount[: v * v]]).reshape(2, v, v)
