"""The cohort engine: loans that share everything the month's laws read are exchangeable,
so a cohort's month is one multinomial draw of its counts, whatever its size.

A cohort is a row group (segment and behaviour type), a sub-state (state, months past
due, fraud review's months left: ``creditsim.compile.cohort``), the income-shock flags
(under a shock, hardship reported) and a class: an exposure class, or with loan terms a
(rate band, amount class, instalments left) class, the cohort then carrying its money as
totals (``MONEY``) that its parts share in proportion to their loans, since a loan's money
never changes its moves.  Given the scenario's macro
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

import math
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from ..compile.model import ONE, CompiledModel
from . import rng as _rng
from .tilt import thresholds
from .tracing import _TRACES

__all__ = ["CohortInputs", "MoneyInputs", "MONEY", "cohort_kernel", "binomial"]

#: Flag combinations a shock-flagged cohort splits into within a month: (under a shock this
#: month, hardship reported at its end, the shock goes on after it).
COMBOS = ((0, 0, 0), (0, 1, 0), (1, 0, 0), (1, 0, 1), (1, 1, 0), (1, 1, 1))

#: The money a cohort carries, as totals in money units (float64): principal not yet due by
#: repayment method (equal instalments, equal principal, interest first), overdue
#: principal, overdue interest and penalties.
MONEY = ("balance_equal_instalment", "balance_equal_principal", "balance_interest_first", "due_principal",
         "due_interest")


class CohortInputs(NamedTuple):
    """The run's cohort arrays on the device (``creditsim.run.cohort`` makes them)."""

    state: jax.Array  # (S,) int32 each sub-state's state
    dest: jax.Array  # (S, W) int32 the state of each move slot
    dest_open: jax.Array  # (S, W) bool
    last_slot: jax.Array  # (S,) int32 the last open slot (it takes what is left)
    moves: jax.Array  # (S,) bool
    deciding: jax.Array  # (S,) bool
    holding: jax.Array  # (S,) bool
    performing: jax.Array  # (S,) bool
    absorbing: jax.Array  # (S,) bool
    layout: jax.Array  # (V·C, cols) float64 0/1: where each outcome counts
    #   (``creditsim.run.cohort.cohort_layout``: next cohort, occupancy bin, move, charge-off)
    pairs: jax.Array  # (V,) int32 the (sub-state, outcome) pairs that can hold loans, s·O + o
    class_units: jax.Array  # (G, E) int64 exposure of each row group's class in money units
    group_segment: jax.Array  # (G,) int32
    fraud_thr: jax.Array  # (T,) uint32 the fraud claim hazard by month on the 2**31 grid


class MoneyInputs(NamedTuple):
    """A book with loan terms: the cohorts' money arrays (``creditsim.compile.cohort``:
    ``money_rules`` and ``terms_classes``; ``creditsim.run.cohort`` makes them)."""

    live: jax.Array  # (V,) bool per outcome pair: interest, principal and a penalty fall due
    keep: jax.Array  # (V,) float64: share of the overdue amounts left after the payment
    paid: jax.Array  # (V,) bool: paid off by the move
    carry: jax.Array  # (V,) bool: still on the book after the month (its money carries on)
    charge: jax.Array  # (V, 2) float64 0/1: a credit charge-off, a confirmed fraud
    rate: jax.Array  # (G, E) float64 monthly contract rate
    penalty: jax.Array  # (G, E) float64 monthly penalty rate on overdue amounts
    share: jax.Array  # (G, E, 3) float64 principal share falling due, by method
    left: jax.Array  # (E,) int32: each class's instalments left at a month's start
    layout: jax.Array  # (V·C, S·H + K·H) float64 0/1: the count layout's next-cohort and occupancy columns
    done: jax.Array  # (V·C, cols) float64 0/1: the count layout of a loan paid off at its schedule's end


def _uniforms(ids, counter):
    """Two arrays of uniforms on the open interval (0, 1), float64, shaped as the element
    ids ``(k0, k1, place)`` (uint32 arrays: each element's key words and its place in its
    scenario's array): the two 32-bit words of ``threefry2x32((k0, k1), (place,
    counter))`` at the midpoints of a 2**-32 grid (the engine's own counter-based cipher:
    each element's words depend only on its key, its place and the counter)."""
    k0, k1, place = ids
    w0, w1 = _rng.threefry2x32(k0, k1, place, jnp.broadcast_to(jnp.asarray(counter, jnp.uint32), place.shape))
    scale = 2.0**-32
    return (w0.astype(jnp.float64) + 0.5) * scale, (w1.astype(jnp.float64) + 0.5) * scale


#: log k! for k = 0..9 (below the Stirling series' range).
_LOG_FACTORIALS = tuple(math.lgamma(k + 1) for k in range(10))
_HALF_LOG_2PI = 0.9189385332046727


def _log_factorial(x):
    """log x! for whole numbers x >= 0 (float64): a table below 10, Stirling's series with
    three correction terms above (absolute error below 1e-12 there)."""
    y = jnp.maximum(x, 10.0) + 1.0
    r = 1.0 / y
    r2 = r * r
    series = (y - 0.5) * jnp.log(y) - y + _HALF_LOG_2PI + r * (1.0 / 12 - r2 * (1.0 / 360 - r2 / 1260))
    table = jnp.asarray(_LOG_FACTORIALS)[jnp.clip(x, 0, 9).astype(jnp.int32)]
    return jnp.where(x < 10, table, series)


#: Inversion terms of the first pass, which every element takes; the few elements still
#: undrawn after it are gathered into a buffer and finished there (``_finish``), so the
#: loops' cost follows them rather than the whole array.  (Rejection's first pass is one
#: proposal's quick test: ``_btrs``.)
_INVERSION_FIRST = 16
#: Inversion terms and rejection proposals per trip of a finishing loop.
_INVERSION_UNROLL = 4
_REJECTION_UNROLL = 2


def _finish(going, state: tuple, step, fixed: tuple, share: int = 4):
    """Run ``step`` on the elements where ``going`` (a flat bool array) holds until none
    does, on a gathered buffer of 1/``share`` of the elements at a time: ``state`` the
    per-element arrays ``step`` updates, ``fixed`` those it reads; ``step(state, fixed,
    trip) -> (state, going)``.  Returns the final state (elements not going unchanged)."""
    size = going.shape[0]
    cap = max(16, size // share)

    def outer_go(c):
        return jnp.any(c[0])

    def outer(c):
        going, state = c
        idx = jnp.nonzero(going, size=cap, fill_value=size)[0]
        sub = tuple(jnp.take(a, idx, mode="fill", fill_value=0) for a in state)
        fix = tuple(jnp.take(a, idx, mode="fill", fill_value=1) for a in fixed)
        sub_going = jnp.take(going, idx, mode="fill", fill_value=False)

        def inner_go(c):
            return jnp.any(c[1])

        def inner(c):
            trip, g, st = c
            st2, g2 = step(st, fix, trip)
            st = tuple(jnp.where(g, x2, x) for x, x2 in zip(st, st2, strict=True))
            return trip + 1, g & g2, st

        _, _, sub = jax.lax.while_loop(inner_go, inner, (jnp.uint32(0), sub_going, sub))
        state = tuple(a.at[idx].set(x, mode="drop") for a, x in zip(state, sub, strict=True))
        return going.at[idx].set(False, mode="drop"), state

    _, state = jax.lax.while_loop(outer_go, outer, (going, state))
    return state


#: Below this many elements a draw runs on the whole array; above, on gathered buffers of
#: a quarter of it (``_COMPACT_SHARE``) holding only the elements that draw by each method.
_COMPACT_FROM = 256
_COMPACT_SHARE = 4


def binomial(key, n, p):
    """Binomial(n, p) draws (int32), exact, for counts ``n`` (int32) and probabilities
    ``p`` (float64, broadcast to ``n``): 0 where ``n`` or ``p`` is 0, ``n`` where ``p`` is
    1; by symmetry a draw for ``p > 1/2`` is ``n`` less one for ``1 - p``.  Uniforms come
    from 32-bit words (``_uniforms``), so the law is exact up to that grid (the agent
    engine's draws are on a 31-bit one).  Means below 10 are drawn by inversion (the CDF
    summed from 0 until it passes one uniform), larger ones by Hörmann's transformed
    rejection with squeeze (BTRS; W. Hörmann, "The generation of binomial random variates",
    J. Stat. Comput. Simul. 46, 1993), its acceptance test on the exact log probabilities.
    Each method runs only on the elements it draws, gathered into buffers (an array of
    cohorts is mostly empty cells); in a buffer every element takes a first pass
    (``_INVERSION_FIRST`` terms, or the first proposal's quick test) and those left are
    finished on a smaller gathered buffer.  An element's uniforms depend only on the key,
    its place in the array and its proposal's number, so the draws do not depend on the
    buffers."""
    shape = n.shape
    p = jnp.broadcast_to(jnp.asarray(p, jnp.float64), shape).reshape(-1)
    return _binomial(_ids(jax.random.key_data(key)[None], n.size), n.reshape(-1), p).reshape(shape)


def _ids(raw, size: int):
    """The element ids ``(k0, k1, place)`` of ``B`` arrays of ``size`` elements laid end to
    end, for raw keys ``(B, 2)``: each element takes its array's key and its place in it."""
    b = raw.shape[0]
    k0, k1 = (jnp.broadcast_to(raw[:, i:i + 1], (b, size)).reshape(-1) for i in (0, 1))
    return k0, k1, jnp.tile(jnp.arange(size, dtype=jnp.uint32), b)


def _binomial(ids, n, p):
    """``binomial`` on flat ``n`` and ``p`` whose elements have the ids ``ids``."""
    size = n.shape[0]
    nf = n.astype(jnp.float64)
    flip = p > 0.5
    q = jnp.where(flip, 1.0 - p, p)
    live = (n > 0) & (q > 0)
    small = live & (nf * q < 10.0)
    large = live & ~small
    if size < _COMPACT_FROM:
        x = jnp.where(small, _inversion(ids, jnp.where(small, nf, 0.0), q),
                      jnp.where(large, _btrs(ids, jnp.where(large, nf, 0.0), q), 0.0))
    else:
        x = _gathered(_inversion, ids, small, nf, q) + _gathered(_btrs, ids, large, nf, q)
    x = x.astype(jnp.int32)
    return jnp.where(flip & (n > 0), n - x, x)


def _gathered(method, ids, going, nf, q):
    """``method``'s draws on the elements where ``going`` holds, a buffer of a quarter of
    the array at a time (0 elsewhere, float64)."""
    size = going.shape[0]
    cap = max(16, size // _COMPACT_SHARE)

    def trip(c):
        going, x = c
        idx = jnp.nonzero(going, size=cap, fill_value=size)[0]
        xs = method(tuple(jnp.take(a, idx, mode="fill", fill_value=0) for a in ids),
                    jnp.take(nf, idx, mode="fill", fill_value=0.0), jnp.take(q, idx, mode="fill", fill_value=0.5))
        return going.at[idx].set(False, mode="drop"), x.at[idx].set(xs, mode="drop")

    return jax.lax.while_loop(lambda c: jnp.any(c[0]), trip, (going, jnp.zeros(size)))[1]


def _inversion(ids, nf, q):
    """Inversion draws (float64) for whole ``nf`` >= 0 and ``q`` in (0, 1/2] with mean below
    10 (0 where ``nf`` is 0): x = min{x : u <= P(X <= x)}."""
    size = nf.shape[0]
    ratio = q / (1.0 - q)
    u, _ = _uniforms(ids, 0xFFFFFFFF)
    pk = jnp.exp(nf * jnp.log1p(-q))

    def inv_step(state, fixed, trip=None, terms=_INVERSION_UNROLL):
        # a probability that underflows to 0 ends the sum (the CDF's float64 rounding
        # cannot then hold a uniform below 1 - 2**-33 past the tail)
        u, ratio, nf = fixed

        def term(_, s):
            x, pk, cdf = s
            step = (u > cdf) & (x < nf) & (pk > 0)
            x1 = x + 1.0
            pk = jnp.where(step, pk * ratio * (nf - x) / x1, pk)
            return jnp.where(step, x1, x), pk, jnp.where(step, cdf + pk, cdf)

        x, pk, cdf = jax.lax.fori_loop(0, terms, term, state, unroll=min(terms, _INVERSION_UNROLL))
        return (x, pk, cdf), (u > cdf) & (x < nf) & (pk > 0)

    (x, pk, cdf), going = inv_step((jnp.zeros(size), pk, pk), (u, ratio, nf), terms=_INVERSION_FIRST)
    x, _, _ = _finish(going, (x, pk, cdf), inv_step, (u, ratio, nf))
    return x


def _btrs(ids, nf, q):
    """BTRS draws (float64) for whole ``nf`` >= 0 and ``q`` in (0, 1/2] with mean 10 or
    more (0 where ``nf`` is 0).  Every element's first proposal takes the squeeze's quick
    test, which accepts most; the others (their first proposal again, then the next) take
    the full test on gathered buffers, so the log-factorials are computed for those only."""
    large = nf > 0
    ql = jnp.where(large, q, 0.5)
    nl = jnp.where(large, nf, 40.0)
    spq = jnp.sqrt(nl * ql * (1.0 - ql))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * ql
    c = nl * ql + 0.5
    vr = 0.92 - 4.2 / b
    consts = (*ids, nl, ql, spq, a, b, c, vr)

    def propose(k0, k1, place, a, b, c, counter):
        uu, v = _uniforms((k0, k1, place), counter)
        uu = uu - 0.5
        us = 0.5 - jnp.abs(uu)
        return jnp.floor((2.0 * a / us + b) * uu + c), us, v

    def rej_step(state, fixed, trip, proposals=_REJECTION_UNROLL):
        k0, k1, place, nl, ql, spq, a, b, c, vr = fixed
        alpha = (2.83 + 5.1 / b) * spq
        lpq = jnp.log(ql / (1.0 - ql))
        m = jnp.floor((nl + 1.0) * ql)
        h = _log_factorial(m) + _log_factorial(nl - m)

        def proposal(j, s):  # the first accepted is kept
            done, k = s
            kk, us, v = propose(k0, k1, place, a, b, c, trip * proposals + j)
            valid = (kk >= 0) & (kk <= nl)
            quick = (us >= 0.07) & (v <= vr)
            kc = jnp.clip(kk, 0.0, nl)
            bound = h - _log_factorial(kc) - _log_factorial(nl - kc) + (kc - m) * lpq
            ok = valid & (quick | (jnp.log(v * alpha / (a / (us * us) + b)) <= bound)) & ~done
            return done | ok, jnp.where(ok, kk, k)

        done, k = jax.lax.fori_loop(jnp.uint32(0), jnp.uint32(proposals), proposal, state)
        return (done, k), ~done

    # the first proposal's quick acceptance (no log-factorial): an element it does not
    # accept takes the same proposal again in ``rej_step``, with the full test
    kk, us, v = propose(*ids, a, b, c, 0)
    done = ~large | ((kk >= 0) & (kk <= nl) & (us >= 0.07) & (v <= vr))
    _, x = _finish(~done, (done, jnp.where(done, kk, 0.0)), rej_step, consts, share=2)
    return jnp.where(large, x, 0.0)


@jax.custom_batching.custom_vmap
def _draw_raw(raw, n, p):
    """``binomial`` for a raw key ``(2,)`` and flat ``n`` and ``p``.  Under ``vmap`` (the
    kernel's scenarios) the batch's arrays are laid end to end and drawn as one
    (``_draw_batched``): the sampler's buffers then gather the elements that draw by
    each method across the whole batch, not within each scenario.  Each element keeps its
    scenario's key and its place in its scenario's array, so its draws are those of the
    scenario drawn alone."""
    return _binomial(_ids(raw[None], n.shape[0]), n, p)


@_draw_raw.def_vmap
def _draw_batched(axis_size, in_batched, raw, n, p):
    raw, n, p = (x if batched else jnp.broadcast_to(x, (axis_size,) + x.shape)
                 for x, batched in zip((raw, n, p), in_batched, strict=True))
    x = _binomial(_ids(raw, n.shape[1]), n.reshape(-1), p.reshape(-1))
    return x.reshape(n.shape), True


#: The sampler compiled once for a kernel: the month's draws all call it on one flat length.
_draw = jax.jit(_draw_raw)


def _row_probabilities(cm: CompiledModel, z, rows: slice = slice(None)):
    """The row probabilities ``(..., R, K, K)`` of the row groups ``rows`` under the macro
    factor ``z`` (any leading shape), on the agent engine's threshold grid."""
    thr = thresholds(cm.q[rows], cm.sqrt_rho[rows], z).astype(jnp.float64)
    shape = thr.shape[:-1] + (1,)
    cum = jnp.concatenate([jnp.zeros(shape), thr, jnp.full(shape, float(ONE))], axis=-1)
    return jnp.diff(cum, axis=-1) / ONE


def _part(count, money, whole):
    """The money of ``count`` loans taken at random from ``whole`` loans holding ``money``
    (last axis: ``MONEY``): its expectation, ``money · count / whole``."""
    return money * (count / jnp.maximum(whole, 1)).astype(jnp.float64)[..., None]


def _shift(x, n_left: int):
    """``x`` (class axis 1, classes flattened as (rate band, amount class, instalments left)
    with ``n_left`` values of the last) moved on by one instalment: ``left → max(left − 1,
    0)``."""
    if n_left == 1:
        return x
    xr = x.reshape((x.shape[0], -1, n_left) + x.shape[2:])
    out = jnp.concatenate([xr[:, :, 0:1] + xr[:, :, 1:2], xr[:, :, 2:], jnp.zeros_like(xr[:, :, :1])], axis=2)
    return out.reshape(x.shape)


@partial(jax.jit, static_argnames=("shocks", "fraud", "n_segments", "draw_cells", "money"))
def cohort_kernel(cm: CompiledModel, ci: CohortInputs, z, keys, n0, mi: MoneyInputs | None = None, m0=None, *,
                  shocks: bool, fraud: bool, n_segments: int, draw_cells: tuple, money: tuple | None = None):
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
        ``(G, E, S·H)`` int32 loans by row group, class and cohort (sub-state and shock
        flags, H = 4 with shocks, else 1) at month 0.
    mi, m0
        A book with loan terms: the money arrays (``MoneyInputs``) and ``(G, E, S·H, 5)``
        float64 each cohort's money at month 0 (``MONEY``, money units); else None.
    shocks, fraud, n_segments, draw_cells, money
        Static: whether income shocks and fraud claims are simulated; the number of
        segments; the cells of each round of draws that can draw (``creditsim.run.cohort.
        draw_cells``: pairs of a round's name and its cells' flat indices); with loan terms
        ``(R, pays_off)``, the values of the classes' instalments left and whether the model
        has a paid-off state, else None.

    Returns
    -------
    The agent engine's totals of the batch (``creditsim.engine.features.Transition``, and
    ``Money`` with loan terms): ``counts (B, T, n_segments·K·F)`` int32, ``moves (B,
    n_segments·K·K)`` int64, ``loss (B, 2, n_segments)`` charged-off exposure (credit,
    confirmed fraud; int64 units without terms, float64 with), ``charged (B, 2,
    n_segments)`` int32 loans; with terms also ``balance (B, T, n_segments·K·F)``, ``flows
    (B, T, 4)`` (interest paid, principal paid, charged off on credit, on fraud),
    ``written (B, 2, 2)`` (cause × principal, interest), ``accrued (B,)`` and
    ``owed_at_end (B,)``, float64 money units.
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
    seg = lambda v: jnp.einsum("gs,g...->s...", seg_hot.astype(v.dtype), v)  # noqa: E731
    c0, c1, c2 = n_sub * f, n_sub * f + k * f, n_sub * f + k * f + k * k

    cells = dict(draw_cells)
    width_all = max(len(v) for v in cells.values())  # the month's largest round, per (group, class)
    last_slot = ci.last_slot  # (S,) the slot of each sub-state's last reachable state
    # the month's rounds of draws (``draws_of``): the shock's four, the fraud's two, a row's slots but its last
    n_rounds = 4 * shocks + 2 * fraud + width - 1

    def col(v):  # a per-sub-state array against (G, E, S, C)
        return v[None, None, :, None]

    def pack(count, prob, name):
        # a round's draws on one flat length: only the cells that can draw (``cells[name]``,
        # over the trailing axes of a (G, E, ...) array), padded to the month's largest round
        idx = np.asarray(cells[name], np.int32)
        c2_ = count.reshape(n_groups, n_classes, -1)
        p2 = jnp.broadcast_to(jnp.asarray(prob, jnp.float64), count.shape).reshape(n_groups, n_classes, -1)
        pad = ((0, 0), (0, 0), (0, width_all - idx.size))
        return jnp.pad(c2_[:, :, idx], pad).reshape(-1), jnp.pad(p2[:, :, idx], pad).reshape(-1)

    def unpack(x, count, name):
        # the round's draws back in ``count``'s shape; the cells that cannot draw drew 0
        idx = np.asarray(cells[name], np.int32)
        x = x.reshape(n_groups, n_classes, width_all)[:, :, : idx.size]
        return jnp.zeros((n_groups, n_classes, count.size // (n_groups * n_classes)), x.dtype).at[:, :, idx].set(
            x).reshape(count.shape)

    def draws_of(n, z_t, rows_t, t, ma_in):
        """The month's draws, as a generator: each ``yield (count, prob, name)`` asks for a
        round of binomial draws and receives them; it returns the outcome counts ``(G, E,
        S, O, C)``, the split flags' counts ``a`` and their money ``ma``."""
        n = n.reshape(n_groups, n_classes, n_sub, f)
        if money:
            per = ma_in.reshape(n_groups, n_classes, n_sub, f, -1) / jnp.maximum(n, 1)[..., None]
        if shocks:
            hz = jnp.round(jax.scipy.special.ndtr(
                (p_shock.probit_hazard - p_shock.sqrt_rho * z_t) / jnp.sqrt(1.0 - p_shock.sqrt_rho ** 2)) * ONE)
            start_p = jnp.where(ci.performing, hz / ONE, 0.0)[:, None]
            end_all = jnp.round(p_shock.end_probability * ONE) / ONE
            end_new = jnp.where(hz > 0, jnp.round(hz * p_shock.end_probability) / jnp.maximum(hz, 1.0), 0.0)
            report = jnp.round(p_shock.report_probability * ONE) / ONE
            start = yield (n[..., 0:2], start_p, "start")  # by hardship reported before the month
            end_old = yield (n[..., 2:4], end_all, "end")  # a running shock ends
            calm = n[..., 0:2] - start
            end_start = yield (start, end_new, "start")  # a shock that starts now ends after it
            ended = end_old + end_start
            going = n[..., 2:4] - end_old + start - end_start
            rep = yield (jnp.stack([ended[..., 0], going[..., 0]], axis=-1), report, "report")  # hardship reported
            rep_end, rep_go = rep[..., 0], rep[..., 1]
            a = jnp.stack([calm[..., 0], calm[..., 1], ended[..., 0] - rep_end, going[..., 0] - rep_go,
                           ended[..., 1] + rep_end, going[..., 1] + rep_go], axis=-1)
            ma = None
            if money:  # each part's money from where its loans came from (calm or shocked)
                p_calm, p_hit = per[..., 0:2, :], per[..., 2:4, :]

                def of(cnt, p):
                    return cnt.astype(jnp.float64)[..., None] * p

                m_ended = of(end_old, p_hit) + of(end_start, p_calm)
                m_going = of(n[..., 2:4] - end_old, p_hit) + of(start - end_start, p_calm)
                m_rep_end = _part(rep_end, m_ended[..., 0, :], ended[..., 0])
                m_rep_go = _part(rep_go, m_going[..., 0, :], going[..., 0])
                ma = jnp.stack([of(calm[..., 0], p_calm[..., 0, :]), of(calm[..., 1], p_calm[..., 1, :]),
                                m_ended[..., 0, :] - m_rep_end, m_going[..., 0, :] - m_rep_go,
                                m_ended[..., 1, :] + m_rep_end, m_going[..., 1, :] + m_rep_go], axis=-2)
        else:
            a = n
            ma = ma_in.reshape(n_groups, n_classes, n_sub, 1, -1) if money else None
        # (G, E, S, C): a fraud claim, or a review's outcome
        if fraud:
            claim = yield (a, ci.fraud_thr[t - 1] / ONE, "claim")
            confirm = yield (a, jnp.round(cm.fraud.confirm_probability * ONE) / ONE, "decide")
            reject = jnp.where(col(ci.deciding), a - confirm, 0)
            held = jnp.where(col(ci.holding), a, 0)
        else:
            claim = confirm = reject = held = jnp.zeros_like(a)
        moving = jnp.where(col(ci.moves), a - claim, 0)
        # the move: sequential binomials over the states each row reaches; a row's last
        # state takes what is left, with no draw
        plain = rows_t[:n_groups][:, ci.state[:, None], ci.dest]  # (G, S, W)
        hard = rows_t[g1:g1 + n_groups][:, ci.state[:, None], ci.dest] if shocks else plain
        # (G, 1, S, C, W): each combination's row (the distressed one under a shock)
        p_slot = jnp.where(ci.dest_open[None, :, None],
                           jnp.where(now[None, None, :, None], hard[:, :, None], plain[:, :, None]), 0.0)[:, None]
        rem, tail, slots = moving, jnp.ones(p_slot.shape[:-1]), []
        for w in range(width - 1):
            pw = p_slot[..., w]
            c = yield (rem, jnp.where(tail > 0, pw / jnp.where(tail > 0, tail, 1.0), 0.0), f"slot{w}")
            c = jnp.where(col(last_slot == w), rem, c)
            slots.append(c)
            rem, tail = rem - c, tail - pw
        slots.append(rem)
        return jnp.stack(slots + [claim, confirm, reject, held], axis=3), a, ma  # (G, E, S, O, C)

    def drawn(km, args):
        """Run ``draws_of(*args)``: every round of the month through one sampler in a loop
        (a switch gives round r's counts and probabilities, recomputed from the draws so
        far), so a kernel compiles the sampler once whatever the rounds.  Round r's key is
        ``fold_in(km, r)``."""

        def replay(xs, stop):  # the generator fed rounds 0..stop-1: round stop's request, or its result
            gen = draws_of(*args)
            try:
                req = next(gen)
                for r in range(stop):
                    req = gen.send(unpack(xs[r], *req[::2]))
            except StopIteration as end:
                assert stop == n_rounds, (stop, n_rounds)  # every round drawn, no more
                return end.value
            assert stop < n_rounds, (stop, n_rounds)
            return pack(*req)

        def one_round(r, xs):
            cnt, prob = jax.lax.switch(r, [partial(replay, stop=s) for s in range(n_rounds)], xs)
            return xs.at[r].set(_draw(jax.random.key_data(jax.random.fold_in(km, r)), cnt, prob))

        xs = jnp.zeros((n_rounds, n_groups * n_classes * width_all), jnp.int32)
        if n_rounds:
            xs = jax.lax.fori_loop(0, n_rounds, one_round, xs)
        return replay(xs, n_rounds)

    def month(key, z_t, rows_t, t, carried):
        n, mon = carried if money else (carried, None)
        km = jax.random.fold_in(jax.random.wrap_key_data(key), (_rng.STREAM_COHORT << 24) | t)
        out, a, ma = drawn(km, (n, z_t, rows_t, t, mon))
        # (G, E, V, C): the outcomes that can hold loans
        out = jnp.take(out.reshape(n_groups, n_classes, -1, out.shape[-1]), ci.pairs, axis=2)
        outs = {}
        if money:
            out, nxt_money, outs = _money_month(mi, out, a, ma, money, n_groups, n_classes)
        # every outcome's destinations at once: one product with the layout's 0/1 matrix
        # (exact: the counts are integers below 2**53)
        flat = out.reshape(n_groups, n_classes, -1).astype(jnp.float64)
        mapped = jnp.round(flat @ ci.layout).astype(jnp.int64)  # (G, E, cols)
        if money and money[1]:  # loans paid off at their schedule's end
            mapped = mapped + outs.pop("done_mapped")
        nxt = mapped[..., :c0].astype(jnp.int32)
        per_g = mapped.sum(axis=1)  # (G, cols)
        by_kind = mapped[..., c2 + 2: c2 + 4]  # (G, E, 2): credit, confirmed fraud
        charged = by_kind.sum(axis=1)
        if money:
            loss = outs.pop("loss")  # (G, 2) money units
            carried = (nxt, nxt_money)
        else:
            loss = jnp.einsum("gec,ge->gc", by_kind, ci.class_units)
            carried = nxt
        res = (seg(per_g[:, c0:c1]).reshape(-1).astype(jnp.int32), seg(per_g[:, c1:c2]).reshape(-1),
               seg(loss).T, seg(charged).T.astype(jnp.int32))
        if money:
            res = res + (seg(outs["balance"]).reshape(-1), outs["flows"], outs["written"], outs["accrued"])
        return carried, res

    def _money_month(mi, out, a, ma, money, n_groups, n_classes):
        """The month's money (see ``MONEY``): what falls due, the payments, charge-offs and
        loans paid off at their schedule's end; the counts with those loans taken out, the
        cohorts' money next month and the month's money totals."""
        n_left, pays_off = money
        f64 = jnp.float64
        # per outcome pair (G, E, V, C, 5): its sub-state's money per loan, fallen due where it runs
        sub = ci.pairs // (width + 4)
        pa = jnp.take(ma / jnp.maximum(a, 1)[..., None], sub, axis=2)
        bal, dp, di = pa[..., :3], pa[..., 3], pa[..., 4]
        has = (mi.left > 0)[None, :, None, None]
        interest = jnp.where(has, jnp.sum(bal, axis=-1) * mi.rate[:, :, None, None], 0.0)
        princ = bal * mi.share[:, :, None, None, :]
        pen = (dp + di) * mi.penalty[:, :, None, None]
        due = jnp.concatenate([bal - princ, (dp + princ.sum(-1))[..., None], (di + interest + pen)[..., None]], -1)
        live = mi.live[None, None, :, None]
        per_loan = jnp.where(live[..., None], due, pa)
        outf = out.astype(f64)
        parts = outf[..., None] * per_loan
        keep = mi.keep[None, None, :, None]
        paid = mi.paid[None, None, :, None]
        pay_dp = parts[..., 3] * (1.0 - keep)
        pay_di = parts[..., 4] * (1.0 - keep)
        paid_bal = jnp.where(paid, parts[..., :3].sum(-1), 0.0)
        inflow = jnp.stack([pay_di.sum(), (pay_dp + paid_bal).sum()])
        accrued = jnp.sum(jnp.where(live, outf * (interest + pen), 0.0))
        # charged off: the money as it stands (a charge-off pays nothing)
        co = jnp.einsum("gevcm,vk->gkm", parts, mi.charge)  # (G, 2, 5)
        loss = co.sum(-1)
        written = jnp.stack([co[..., :4].sum(-1).sum(0), co[..., 4].sum(0)], axis=-1)  # (cause, principal/interest)
        carry = mi.carry[None, None, :, None]
        after = jnp.concatenate([jnp.where(paid[..., None], 0.0, parts[..., :3]), (parts[..., 3] * keep)[..., None],
                                 (parts[..., 4] * keep)[..., None]], -1)
        after = jnp.where(carry[..., None], after, 0.0)
        outs = {}
        if pays_off:
            # nothing left to pay and no instalment to come: paid off (every loan of the
            # part alike, its money being the cohort's per loan)
            left_pl = jnp.where(paid[..., None], 0.0, per_loan[..., :3]).sum(-1) + (per_loan[..., 3]
                                                                                    + per_loan[..., 4]) * keep
            ends = (mi.left <= 1)[None, :, None, None]
            done = live & carry & ends & (left_pl <= 0.0)
            done_n = jnp.where(done, out, 0)
            out = out - done_n
            after = jnp.where(done[..., None], 0.0, after)
            # only the classes with at most one instalment left can end: route those
            ending = done_n.reshape(n_groups, -1, n_left, done_n.shape[2] * done_n.shape[3])[:, :, :2]
            routed = jnp.round(ending.astype(f64) @ mi.done).astype(jnp.int64)  # (G, E/R, ≤2, cols)
            full = jnp.zeros(routed.shape[:2] + (n_left,) + routed.shape[3:], jnp.int64)
            outs["done_mapped"] = full.at[:, :, : routed.shape[2]].set(routed).reshape(n_groups, n_classes, -1)
        # live loans move on one instalment
        out_live = jnp.where(live, out, 0)
        out = out - out_live + _shift(out_live, n_left)
        after_live = jnp.where(live[..., None], after, 0.0)
        after = after - after_live + _shift(after_live, n_left)
        m = jnp.moveaxis(after, -1, 2).reshape(n_groups, n_classes, after.shape[-1], -1) @ mi.layout
        nxt_money = jnp.moveaxis(m[..., :c0], 2, -1)  # (G, E, S·H, 5)
        outs["balance"] = m[..., :4, c0:].sum(axis=(1, 2))  # (G, K·H): principal owed by bin
        outs["loss"] = loss
        outs["flows"] = jnp.concatenate([inflow, loss.sum(0)])
        outs["written"] = written
        outs["accrued"] = accrued
        return out, nxt_money, outs

    def scenario(zs, key):
        def step(carried, xs):
            z_t, rows_t, t = xs
            return month(key, z_t, rows_t, t, carried)

        ts = jnp.arange(1, n_months + 1, dtype=jnp.int32)
        # every month's rows at once (the distressed ones only with shocks)
        rows = _row_probabilities(cm, zs, slice(None) if shocks else slice(0, g1))  # (T, R, K, K)
        start = (n0, m0) if money else n0
        final, res = jax.lax.scan(step, start, (zs, rows, ts))
        out = {"counts": res[0], "moves": res[1].sum(axis=0), "loss": res[2].sum(axis=0),
               "charged": res[3].sum(axis=0)}
        if money:
            live_end = jnp.repeat(~ci.absorbing, f)  # (S·H,)
            out.update(balance=res[4], flows=res[5], written=res[6].sum(axis=0), accrued=res[7].sum(axis=0),
                       owed_at_end=jnp.sum(jnp.where(live_end[None, None], final[1][..., 4], 0.0)))
        return out

    return jax.vmap(scenario)(z, keys)
