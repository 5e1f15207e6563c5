"""Losses attributed to groups of loans fixed at month 0 (segment by IFRS 9 stage at the
reporting date), undiscounted and discounted at each loan's own rate, over the horizon and
within its first months: what provisions and risk contributions by stage are made of."""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp

from .base import Feature, principal_owed, record_charge_off


@dataclass(frozen=True)
class Attribution(Feature):
    """Per loan, the run layer gives an attribution group ``per_loan["attr"]`` (int32 in
    ``[0, n_keys)``) and a monthly log discount factor ``per_loan["log_v"]`` (float32,
    log(1 + monthly rate)).  A loan charged off in month t counts in its group and cause
    (credit 0, confirmed fraud 1) in the total ``attributed (3, 2, n_keys)`` int64: its
    loss as the run counts it (its exposure then), and its principal owed then (its
    exposure without loan terms) discounted to month 0 (× (1 + r)^−t, rounded to a unit per
    loan) over the call and for loans charged off within the first ``within`` months.  A
    loan drawn again after month 0 (repeat borrowing: ``carry["vintage"]`` > 0) is a new
    loan: it counts in the last group, the new loans'."""

    n_keys: int = 1
    within: int = 12
    name = "attribution"
    totals = {"attributed": "sum"}

    def init(self, k, carry, state0):
        carry["co_at"] = jnp.zeros(state0.shape, jnp.int32)  # month charged off (0: not yet)

    def end(self, k, m):
        record_charge_off(k, m)

    def finish(self, k, r):
        final = r.final
        amount = jnp.where(r.charged, principal_owed(k, final), 0).astype(jnp.int64)  # when charged off
        t = final["co_at"]
        v = jnp.exp(-k.per_loan["log_v"].astype(jnp.float64) * t.astype(jnp.float64))
        disc = jnp.floor(amount.astype(jnp.float64) * v + 0.5).astype(jnp.int64)
        soon = jnp.where(t <= self.within, disc, 0)
        loss = jnp.where(r.charged, r.exposure, 0).astype(jnp.int64)  # the loss variable's basis
        attr = k.per_loan["attr"]
        if "vintage" in final:  # a repeat draw is a new loan
            attr = jnp.where(final["vintage"] > 0, self.n_keys - 1, attr)
        where = r.cause * self.n_keys + attr
        out = jnp.zeros((3, 2 * self.n_keys), jnp.int64)
        out = out.at[0, where].add(loss).at[1, where].add(disc).at[2, where].add(soon)
        r.res["attributed"] = out.reshape(3, 2, self.n_keys)
