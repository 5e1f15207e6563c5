"""Credit-bureau reporting (征信上报): a report is made once per loan; from then on the
loan moves by its rows under the bureau flag (the strategy's row table has a bureau axis
of two: not reported, reported).  The report has no effect of its own beyond the flag."""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp

from ...compile.strategies import BUREAU
from .base import Feature


@dataclass(frozen=True)
class Bureau(Feature):
    name = "bureau"

    def setup(self, k):
        k.nb = 2  # the row table's bureau axis
        k.row_sqrt_rho = jnp.repeat(k.cm.sqrt_rho, k.nb * k.ne)

    def init(self, k, carry, state0):
        carry["bureau"] = jnp.zeros(state0.shape, bool)

    def rule_allows(self, k, m, act):
        # a bureau report is made once
        return ~((k.strat.kind[act] == BUREAU) & m.c["bureau"])

    def decide(self, k, m):
        c = m.c
        reported = m.ka == BUREAU
        c["bureau"] = c["bureau"] | reported
        m.bureau = c["bureau"].astype(jnp.int32)
        m.eff = jnp.where(reported, 0, m.eff)  # its rows are those of the bureau flag
