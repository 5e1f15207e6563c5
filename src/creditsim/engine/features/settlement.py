"""Settlement (和解): an offer to close the debt for a fraction of what is owed, accepted
with the action's probability (in stream ``STREAM_ACTION``) whatever the month's move; the
rest is forgiven (``Collections.close`` pays it)."""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp

from ...compile.strategies import SETTLEMENT
from .base import Feature


@dataclass(frozen=True)
class Settlement(Feature):
    name = "settlement"

    def settle(self, k, m):
        offer = m.live & (m.ka == SETTLEMENT) & (m.u_act < m.p_act)
        m.close = m.close | offer
        m.close_frac = jnp.where(offer, k.strat.fraction[m.a], m.close_frac)
