"""The base transition: each month a loan moves along its row of the chain, tilted by the
scenario's macro factor (``creditsim.engine.tilt``); the month's occupancy and moves are
counted, and charged-off loans' losses totalled."""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp

from .. import rng as _rng
from ..tilt import thresholds
from .base import Feature


@dataclass(frozen=True)
class Transition(Feature):
    name = "transition"
    streams = (_rng.STREAM_TRANSITION,)
    stores = {"store_move": ("new", "frozen")}
    totals = {"counts": "occupancy", "moves": "sum", "loss": "sum", "charged": "sum"}

    def setup(self, k):
        k.rows, k.row_sqrt_rho = k.cm.q, k.cm.sqrt_rho  # a strategy replaces them with its own
        k.bin_base = k.seg * (k.k * k.f)
        k.from_open = ~k.cm.absorbing[None, :, None]

    def init(self, k, carry, state0):
        carry["state"] = state0

    def inputs(self, k, zs):
        n_months = zs.shape[0]
        n_rows = k.rows.shape[0] * k.k
        return {"thr": thresholds(k.rows, k.row_sqrt_rho, zs).reshape(n_months, n_rows, k.k - 1)}

    def move(self, k, m):
        group = k.group if m.row_offset is None else k.group + m.row_offset
        m.new = k.move(m.state, m.words[_rng.STREAM_TRANSITION], m.x["thr"],
                       ((group * k.nb + m.bureau) * k.ne + m.eff) * k.k)

    def end(self, k, m):
        m.c["state"] = m.new

    def count(self, k, m):
        kk, f, s1 = k.k, k.f, k.s1
        # a loan not in the book this month (``m.absent``: a new loan before its month)
        # counts in the padding segment, which no output keeps
        seg = k.seg if m.absent is None else jnp.where(m.absent, s1 - 1, k.seg)
        base = k.bin_base if m.absent is None else seg * (kk * f)
        m.bins = base + m.new * f + m.flags
        # one scatter-add by (segment, state at the start, state at the end, flags): the
        # occupancy sums out the start, the moves the flags
        full = k.count(((seg * kk + m.state) * kk + m.new) * f + m.flags, n=s1 * kk * kk * f).reshape(s1, kk, kk, f)
        m.out["counts"] = full.sum(axis=1).reshape(k.n_bins)
        m.out["moves"] = jnp.where(k.from_open, full.sum(axis=3), 0).reshape(s1 * kk * kk)

    def classify(self, k, r):
        r.charged = k.cm.charge_off[r.final["state"]] & ~k.cm.charge_off[r.state0]
        r.cause = jnp.zeros_like(r.charged).astype(jnp.int32)  # 1: confirmed fraud
        r.exposure = k.units

    def finish(self, k, r):
        s1, g, kk, f = k.s1, k.n_segments, k.k, k.f
        kind = r.cause * s1 + k.seg  # credit losses in [0, s1), fraud in [s1, 2·s1)
        r.exposure = jnp.where(r.charged, r.exposure, 0).astype(jnp.int64)
        loss = jnp.zeros(2 * s1, jnp.int64).at[kind].add(r.exposure)
        n_charged = jnp.zeros(2 * s1, jnp.int32).at[kind].add(r.charged.astype(jnp.int32))
        r.res.update(counts=r.outs["counts"][:, : g * kk * f],
                     moves=jnp.sum(r.outs["moves"][:, : g * kk * kk], axis=0, dtype=jnp.int64),
                     loss=loss.reshape(2, s1)[:, :g], charged=n_charged.reshape(2, s1)[:, :g])
