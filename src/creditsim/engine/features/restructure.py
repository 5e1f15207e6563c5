"""Restructuring (展期, 延期): the loan goes to the restructured state with its months past
due cleared; its overdue principal joins the schedule, overdue interest and penalty are
waived, the term grows by the action's months, and for a deferral nothing falls due, no
interest accrues and the loan does not move."""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp

from ...compile.strategies import RESTRUCTURE
from .base import Feature
from .money import half_away


@dataclass(frozen=True)
class Restructure(Feature):
    name = "restructure"
    stores = {"store_move": ("restr", "deferring"), "store_pay": ("forgone",)}

    def init(self, k, carry, state0):
        carry["defer"] = jnp.zeros(state0.shape, jnp.int32)  # months of deferral left

    def may_act(self, k, m):
        return m.c["defer"] == 0  # no action on a loan in a deferral

    def defer(self, k, m):
        # a loan in a deferral does not move
        m.new = jnp.where(m.c["defer"] > 0, m.state, m.new)

    def restructure(self, k, m):
        c = m.c
        # a restructure (not on a loan whose fraud claim came this month); with a deferral
        # nothing falls due and no interest accrues while it lasts
        m.restr = (m.ka == RESTRUCTURE) & ~m.frozen
        m.new = jnp.where(m.restr, k.cm.rules.restructured_state, m.new)
        c["defer"] = jnp.where(m.restr, k.strat.defer[m.a], c["defer"])
        m.deferring = (c["defer"] > 0) & ~k.cm.absorbing[m.state] & ~m.frozen  # not frozen by a review
        m.frozen = m.frozen | m.deferring

    def charge_off_rule(self, k, m):
        m.force = m.force & ~m.restr
        m.d_new = jnp.where(m.restr, 0, m.d_new)

    def restructure_money(self, k, m):
        # overdue principal joins the schedule, overdue interest and penalty are waived, the
        # term grows
        restr, b, dp, di = m.restr, m.b, m.dp, m.di
        waived = jnp.where(restr, di, 0)
        m.b = b = jnp.where(restr, b + dp, b)
        m.dp = jnp.where(restr, 0, dp)
        m.di = di - waived
        # a matured loan restructured without extension gets one instalment
        m.rem = rem = jnp.where(restr, jnp.maximum(m.rem + k.strat.extend[m.a], (b > 0).astype(jnp.int32)), m.rem)
        m.forgone = waived + jnp.where(m.deferring & (rem > 0), half_away(b.astype(jnp.float32) * k.loans.rate), 0)

    def after_pay(self, k, m):
        m.c["defer"] = jnp.maximum(m.c["defer"] - 1, 0)
