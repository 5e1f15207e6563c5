"""Months past due and the charge-off rule: a loan counts its months past due (a state's
first month on entry, one more for each month it stays in a state spanning several) and
past ``charge_off_dpd`` days it is charged off.  At month 0 a loan is as many months past
due as the book says (``LoanBook.days_past_due``), else its state's first month."""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp

from .base import Feature


@dataclass(frozen=True)
class Aging(Feature):
    name = "aging"

    def init(self, k, carry, state0):
        # the book's months past due where it gives them (a seasoned start), else each
        # state's first month
        given = k.per_loan.get("dpd0")
        carry["dpd"] = k.cm.past_first[state0] if given is None else given

    def age(self, k, m):
        m.d = m.c["dpd"]
        m.first = k.cm.past_first[m.new]
        m.d_new = jnp.where((m.new == m.state) & k.cm.past_ages[m.new], m.d + 1, m.first)

    def charge_off_rule(self, k, m):
        m.force = (m.first > 0) & (m.d_new * 30 > k.cm.rules.charge_off_dpd)

    def age_end(self, k, m):
        m.new = jnp.where(m.force, k.cm.rules.charge_off_state, m.new)
        m.c["dpd"] = m.d_new
        m.c, m.new, m.d = k.store(m.c, m.new, m.d)
