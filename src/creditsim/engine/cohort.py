"""The cohort engine: loans that share everything the month's laws read are exchangeable,
so a cohort's month is one multinomial draw of its counts, whatever its size.

A cohort is a row group (segment and behaviour type), a sub-state (state, months past
due, fraud review's months left: ``creditsim.compile.cohort``), the income-shock flags
(under a shock, hardship reported) and an exposure class.  Given the scenario's macro
factor, a month splits each cohort by independent draws in the agent engine's order
(``creditsim.engine.features``): a shock starts (binomial, the month's tilted hazard); a
shock ends after the month (binomial, 1 / mean duration) and hardship is reported
(binomial); a fraud claim comes, or a review's outcome (binomial); the loans not claimed
move along their row, the distressed row under a shock (multinomial, as sequential
binomials over the states the row reaches, with the probabilities of the agent engine's
31-bit threshold grid); then the month's deterministic rules (months past due, a review's
return, the charge-off rule) give each part its sub-state next month
(``CohortTables.next_sub``).  So each loan's month has the agent engine's law exactly, and
the counts of a cohort the law of the sum of its loans: the two engines agree in
distribution (tested), not draw by draw.

Randomness: each scenario's draws come from its key (``creditsim.engine.rng.
scenario_keys``), folded with the stream ``STREAM_COHORT``, the month and the draw's
place in the month, so results depend only on (seed, scenario) and never on how
scenarios are batched.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp

from ..compile.model import ONE, CompiledModel
from . import rng as _rng
from .tilt import thresholds
from .tracing import _TRACES

__all__ = ["CohortInputs", "cohort_kernel", "binomial"]

#: Flag combinations a shock-flagged cohort splits into within a month: (under a shock this
#: month, hardship reported at its end, the shock goes on after it).
COMBOS = ((0, 0, 0), (0, 1, 0), (1, 0, 0), (1, 0, 1), (1, 1, 0), (1, 1, 1))


class CohortInputs(NamedTuple):
    """The run's cohort arrays on the device (``creditsim.run.cohort`` makes them)."""

    state: jax.Array  # (S,) int32 each sub-state's state
    dest: jax.Array  # (S, W) int32 the state of each move slot
    dest_open: jax.Array  # (S, W) bool
    moves: jax.Array  # (S,) bool
    claimable: jax.Array  # (S,) bool
    deciding: jax.Array  # (S,) bool
    holding: jax.Array  # (S,) bool
    performing: jax.Array  # (S,) bool
    layout: jax.Array  # (S·C·O, cols) float64 0/1: where each outcome counts
    #   (``creditsim.run.cohort.cohort_layout``: next cohort, occupancy bin, move, charge-off)
    class_units: jax.Array  # (G, E) int64 exposure of each row group's class in money units
    group_segment: jax.Array  # (G,) int32
    fraud_thr: jax.Array  # (T,) uint32 the fraud claim hazard by month on the 2**31 grid


def binomial(key, n, p):
    """Binomial(n, p) draws (int32), exact, for counts ``n`` (int32) and probabilities
    ``p`` (float64, broadcast to ``n``): 0 where ``n`` or ``p`` is 0, ``n`` where ``p`` is
    1; by symmetry a draw for ``p > 1/2`` is ``n`` less one for ``1 - p``.  Means below 10
    are drawn by inversion (the CDF summed from 0 until it passes one uniform), larger ones
    by Hörmann's transformed rejection with squeeze (BTRS; W. Hörmann, "The generation of
    binomial random variates", J. Stat. Comput. Simul. 46, 1993), its acceptance test on
    the exact log probabilities.  Both loops run until every element is drawn; the cost is
    that of the largest draw of each kind, not of the counts."""
    p = jnp.broadcast_to(jnp.asarray(p, jnp.float64), n.shape)
    nf = n.astype(jnp.float64)
    flip = p > 0.5
    q = jnp.where(flip, 1.0 - p, p)
    live = (n > 0) & (q > 0)
    small = live & (nf * q < 10.0)
    large = live & ~small
    k_inv, k_rej = jax.random.split(key)
    # inversion: x = min{x : u <= P(X <= x)}
    qs = jnp.where(small, q, 0.5)
    ratio = qs / (1.0 - qs)
    u = jax.random.uniform(k_inv, n.shape, jnp.float64)
    pk = jnp.exp(nf * jnp.log1p(-qs))
    x0 = jnp.zeros(n.shape, jnp.float64)

    def inv_go(s):
        x, pk, cdf = s
        return jnp.any(small & (u > cdf) & (x < nf))

    def inv_step(s):
        x, pk, cdf = s
        step = small & (u > cdf) & (x < nf)
        x1 = x + 1.0
        pk = jnp.where(step, pk * ratio * (nf - x) / x1, pk)
        return jnp.where(step, x1, x), pk, jnp.where(step, cdf + pk, cdf)

    x_inv, _, _ = jax.lax.while_loop(inv_go, inv_step, (x0, pk, pk))
    # BTRS for means of 10 and more
    ql = jnp.where(large, q, 0.5)
    nl = jnp.where(large, nf, 40.0)
    spq = jnp.sqrt(nl * ql * (1.0 - ql))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * ql
    c = nl * ql + 0.5
    alpha = (2.83 + 5.1 / b) * spq
    vr = 0.92 - 4.2 / b
    lpq = jnp.log(ql / (1.0 - ql))
    m = jnp.floor((nl + 1.0) * ql)
    h = jax.lax.lgamma(m + 1.0) + jax.lax.lgamma(nl - m + 1.0)

    def rej_go(s):
        _, done, _ = s
        return jnp.any(large & ~done)

    def rej_step(s):
        i, done, k = s
        uv = jax.random.uniform(jax.random.fold_in(k_rej, i), n.shape + (2,), jnp.float64)
        uu, v = uv[..., 0] - 0.5, uv[..., 1]
        us = 0.5 - jnp.abs(uu)
        kk = jnp.floor((2.0 * a / us + b) * uu + c)
        valid = (kk >= 0) & (kk <= nl)
        quick = (us >= 0.07) & (v <= vr)
        kc = jnp.clip(kk, 0.0, nl)
        bound = h - jax.lax.lgamma(kc + 1.0) - jax.lax.lgamma(nl - kc + 1.0) + (kc - m) * lpq
        ok = valid & (quick | (jnp.log(v * alpha / (a / (us * us) + b)) <= bound)) & ~done
        return i + 1, done | ok, jnp.where(ok, kk, k)

    _, _, x_rej = jax.lax.while_loop(rej_go, rej_step, (jnp.int32(0), ~large, jnp.zeros(n.shape, jnp.float64)))
    x = jnp.where(small, x_inv, jnp.where(large, x_rej, 0.0)).astype(jnp.int32)
    return jnp.where(flip & (n > 0), n - x, x)


def _row_probabilities(cm: CompiledModel, z):
    """The month's row probabilities ``(2·g1, K, K)`` on the agent engine's threshold grid."""
    thr = thresholds(cm.q, cm.sqrt_rho, z).astype(jnp.float64)
    shape = thr.shape[:-1] + (1,)
    cum = jnp.concatenate([jnp.zeros(shape), thr, jnp.full(shape, float(ONE))], axis=-1)
    return jnp.diff(cum, axis=-1) / ONE


@partial(jax.jit, static_argnames=("shocks", "fraud", "n_segments"))
def cohort_kernel(cm: CompiledModel, ci: CohortInputs, z, keys, n0, *, shocks: bool, fraud: bool, n_segments: int):
    """Simulate a batch of scenarios from the cohorts' counts at month 0.

    Parameters
    ----------
    cm
        The compiled model (``creditsim.compile.model``).
    ci
        The run's cohort arrays (``CohortInputs``).
    z
        ``(B, T)`` float64 macro factor by scenario and month 1..T.
    keys
        ``(B, 2)`` uint32 raw scenario keys.
    n0
        ``(G, E, S·H)`` int32 loans by row group, exposure class and cohort (sub-state and
        shock flags, H = 4 with shocks, else 1) at month 0.
    shocks, fraud, n_segments
        Static: whether income shocks and fraud claims are simulated; the number of
        segments.

    Returns
    -------
    The agent engine's base totals of the batch (``creditsim.engine.features.Transition``):
    ``counts (B, T, n_segments·K·F)`` int32, ``moves (B, n_segments·K·K)`` int64,
    ``loss (B, 2, n_segments)`` int64 exposure units charged off (credit, confirmed fraud),
    ``charged (B, 2, n_segments)`` int32 loans.
    """
    _TRACES["cohort_kernel"] += 1
    n_groups, n_classes, _ = n0.shape
    k = cm.q.shape[1]
    g1 = cm.group_segment.shape[0]
    n_sub, width = ci.dest.shape
    f = 4 if shocks else 1
    combos = COMBOS if shocks else ((0, 0, 0),)
    now = jnp.array([c[0] for c in combos], bool)
    n_months = z.shape[1]
    seg_hot = jax.nn.one_hot(ci.group_segment, n_segments, dtype=jnp.int32)  # (G, n_segments)
    p_shock = cm.shock

    def col(v):  # a per-sub-state array against (G, E, S, C)
        return v[None, None, :, None]

    def month(key, z_t, t, n):
        km = jax.random.fold_in(jax.random.wrap_key_data(key), (_rng.STREAM_COHORT << 24) | t)
        draws = iter(range(64))

        def bin_(count, prob):
            return binomial(jax.random.fold_in(km, next(draws)), count, prob)

        n = n.reshape(n_groups, n_classes, n_sub, f)
        if shocks:
            hz = jnp.round(jax.scipy.special.ndtr(
                (p_shock.probit_hazard - p_shock.sqrt_rho * z_t) / jnp.sqrt(1.0 - p_shock.sqrt_rho ** 2)) * ONE)
            start_p = jnp.where(ci.performing, hz / ONE, 0.0)[:, None]
            end_all = jnp.round(p_shock.end_probability * ONE) / ONE
            end_new = jnp.where(hz > 0, jnp.round(hz * p_shock.end_probability) / jnp.maximum(hz, 1.0), 0.0)
            report = jnp.round(p_shock.report_probability * ONE) / ONE
            # a shock starts (calm loans), a running one ends: one draw for both
            first = bin_(jnp.stack([n[..., 0:2], n[..., 2:4]]),
                         jnp.stack([jnp.broadcast_to(start_p, n[..., 0:2].shape),
                                    jnp.broadcast_to(end_all, n[..., 0:2].shape)]))
            start, end_old = first[0], first[1]  # by hardship reported before the month
            calm = n[..., 0:2] - start
            end_start = bin_(start, end_new)  # a shock that starts now ends after it
            ended = end_old + end_start
            going = n[..., 2:4] - end_old + start - end_start
            rep = bin_(jnp.stack([ended[..., 0], going[..., 0]]), report)  # hardship reported
            rep_end, rep_go = rep[0], rep[1]
            a = jnp.stack([calm[..., 0], calm[..., 1], ended[..., 0] - rep_end, going[..., 0] - rep_go,
                           ended[..., 1] + rep_end, going[..., 1] + rep_go], axis=-1)
        else:
            a = n
        # (G, E, S, C): a fraud claim, or a review's outcome
        if fraud:
            pf = jnp.where(ci.claimable, ci.fraud_thr[t - 1] / ONE,
                           jnp.where(ci.deciding, jnp.round(cm.fraud.confirm_probability * ONE) / ONE, 0.0))
            x = bin_(a, col(pf))
            claim = jnp.where(col(ci.claimable), x, 0)
            confirm = jnp.where(col(ci.deciding), x, 0)
            reject = jnp.where(col(ci.deciding), a - x, 0)
            held = jnp.where(col(ci.holding), a, 0)
        else:
            claim = confirm = reject = held = jnp.zeros_like(a)
        moving = jnp.where(col(ci.moves), a - claim, 0)
        # the move: sequential binomials over the states each row reaches
        rows = _row_probabilities(cm, z_t)  # (2·g1, K, K)
        plain = rows[:n_groups][:, ci.state[:, None], ci.dest]  # (G, S, W)
        hard = rows[g1:g1 + n_groups][:, ci.state[:, None], ci.dest]
        # (G, 1, S, C, W): each combination's row (the distressed one under a shock)
        p_slot = jnp.where(ci.dest_open[None, :, None],
                           jnp.where(now[None, None, :, None], hard[:, :, None], plain[:, :, None]), 0.0)[:, None]
        slot_key = jax.random.fold_in(km, next(draws))

        def slot(carry, xs):
            rem, tail = carry
            pw, i = xs
            c = binomial(jax.random.fold_in(slot_key, i), rem,
                         jnp.where(tail > 0, pw / jnp.where(tail > 0, tail, 1.0), 0.0))
            return (rem - c, tail - pw), c

        (rem, _), drawn = jax.lax.scan(slot, (moving, jnp.ones(p_slot.shape[:-1])),
                                       (jnp.moveaxis(p_slot[..., : width - 1], -1, 0), jnp.arange(width - 1)))
        slots = list(drawn) + [rem]
        out = jnp.stack(slots + [claim, confirm, reject, held], axis=-1)  # (G, E, S, C, O)
        # every outcome's destinations at once: one product with the layout's 0/1 matrix
        # (exact: the counts are integers below 2**53)
        flat = out.reshape(n_groups, n_classes, -1).astype(jnp.float64)
        mapped = jnp.round(flat @ ci.layout).astype(jnp.int64)  # (G, E, cols)
        c0, c1, c2 = n_sub * f, n_sub * f + k * f, n_sub * f + k * f + k * k
        nxt = mapped[..., :c0].astype(jnp.int32)
        per = mapped.sum(axis=1)  # (G, cols)
        by_kind = mapped[..., c2 + 2: c2 + 4]  # (G, E, 2): credit, confirmed fraud
        loss = jnp.einsum("gec,ge->gc", by_kind, ci.class_units)
        charged = by_kind.sum(axis=1)
        seg = lambda v: jnp.einsum("gs,g...->s...", seg_hot.astype(v.dtype), v)  # noqa: E731
        return nxt, (seg(per[:, c0:c1]).reshape(-1).astype(jnp.int32), seg(per[:, c1:c2]).reshape(-1),
                     seg(loss).T, seg(charged).T.astype(jnp.int32))

    def scenario(zs, key):
        def step(n, xs):
            z_t, t = xs
            n, out = month(key, z_t, t, n)
            return n, out

        ts = jnp.arange(1, n_months + 1, dtype=jnp.int32)
        _, (occ, mv, loss, charged) = jax.lax.scan(step, n0, (zs, ts))
        return {"counts": occ, "moves": mv.sum(axis=0), "loss": loss.sum(axis=0),
                "charged": charged.sum(axis=0)}

    return jax.vmap(scenario)(z, keys)
