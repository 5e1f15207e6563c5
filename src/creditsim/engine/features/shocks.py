"""Income shocks: a performing loan's borrower loses income with the month's hazard
(itself tilted by the macro factor), moves on the segment's distressed rows while the
shock lasts (geometric, mean ``mean_months``) and may report hardship."""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp
from jax.scipy.special import ndtr

from ...compile.model import ONE
from .. import rng as _rng
from .base import Feature


@dataclass(frozen=True)
class IncomeShocks(Feature):
    name = "shocks"
    streams = (_rng.STREAM_SHOCK, _rng.STREAM_REPORT)
    flag_bins = 4  # flag 2: under a shock this month; flag 1: hardship reported

    def setup(self, k):
        p = k.cm.shock
        k.report_thr = jnp.round(p.report_probability * ONE).astype(jnp.uint32)
        k.end_thr_all = jnp.round(p.end_probability * ONE).astype(jnp.uint32)

    def init(self, k, carry, state0):
        false = jnp.zeros(state0.shape, bool)
        carry.update(shocked=false, reported=false)

    def inputs(self, k, zs):
        p = k.cm.shock
        # the month's shock hazard on the 2**31 grid
        hz = ndtr((p.probit_hazard - p.sqrt_rho * zs) / jnp.sqrt(1.0 - p.sqrt_rho * p.sqrt_rho))
        return {"hazard": jnp.round(hz * ONE).astype(jnp.uint32)}

    def pre_move(self, k, m):
        # one word decides a shock's start (not shocked: u < hazard) or its end after this
        # month (shocked: u < p·2**31, so durations are geometric with mean 1/p); a shock
        # that starts now ends after it with u < hazard·p, u being uniform below the hazard
        # given the start
        m.u_shock = m.words[_rng.STREAM_SHOCK] >> jnp.uint32(1)
        m.shock_start = ~m.c["shocked"] & k.cm.performing[m.state] & (m.u_shock < m.x["hazard"])
        m.shock_now = m.c["shocked"] | m.shock_start
        m.row_offset = jnp.where(m.shock_now, k.g1, 0)  # the distressed rows

    def post_move(self, k, m):
        c, now, hz_t = m.c, m.shock_now, m.x["hazard"]
        end_thr = jnp.where(m.shock_start, jnp.round(hz_t.astype(jnp.float64) * k.cm.shock.end_probability)
                            .astype(jnp.uint32), k.end_thr_all)
        c["reported"] = c["reported"] | (now & ((m.words[_rng.STREAM_REPORT] >> jnp.uint32(1)) < k.report_thr))
        c["shocked"] = now & (m.u_shock >= end_thr)  # cleared at the month's end if the loan leaves
        m.flags = 2 * now.astype(jnp.int32) + c["reported"].astype(jnp.int32)

    def frozen_flags(self, carry):
        # a finished loan's flags as it left: no shock (it ended with the loan), hardship as
        # reported
        return 2 * carry["shocked"].astype(jnp.int32) + carry["reported"].astype(jnp.int32)

    def end(self, k, m):
        # a paid-off or charged-off loan's shock ends: its flags stay as they are
        m.c["shocked"] = m.c["shocked"] & ~k.cm.absorbing[m.new]
