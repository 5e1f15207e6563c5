"""The composer: a run's features (``creditsim.engine.features``) made into one month step
and one scenario's run over the months of a kernel call, at trace time.

The month step runs the phases of ``creditsim.engine.features.PHASES`` in order, each
feature acting in the phases it defines, in the order of the features given (``features.
features_for`` gives them in ``features.ORDER``); the months run
in one ``lax.scan`` over month pairs (one cipher call gives both months' random words).
The compiled program is one loop over months whatever the features.
"""

from __future__ import annotations

from functools import partial
from types import SimpleNamespace

import jax
import jax.numpy as jnp

from . import rng as _rng
from .features import PHASES, STORES, Kernel, Money, Month, has

__all__ = ["LANES", "kernel_context", "initial_carry", "month_step", "run_scenario"]

LANES = 16  # independent occupancy counters per bin


def _stored(t0, *xs):
    """``xs`` as they are, computed once and stored: a fusion boundary for XLA.

    XLA:CPU fuses every consumer of an elementwise value with that value's computation, so
    a value read by several of the month's outputs is computed again in each (measured: the
    month's random words, its transition and its payments up to ten times over).  The
    operands of a conditional cannot be fused into its branches: they are computed once and
    read from memory.  The predicate ``t0 >= 0`` (months already simulated) always holds
    but XLA cannot know it, so the conditional stays; the other branch is never taken.
    Storing the random words and four intermediate results of the month this way halved the
    kernel's time with loan terms on the 2-core CPU of benchmarks/README.md.
    """
    return jax.lax.cond(t0 >= 0, lambda v: v, lambda v: jax.tree.map(jnp.zeros_like, v), xs)


def _looped(step, carry, inputs, t0):
    """``step(carry, inputs)`` run as a loop of one trip whose count XLA cannot see (it is
    computed from ``t0``): XLA compiles a loop body into faster code than the same ops
    unrolled at top level (about three times, for this kernel)."""
    _, out_shape = jax.eval_shape(step, carry, inputs)
    outs0 = jax.tree.map(lambda sd: jnp.zeros(sd.shape, sd.dtype), out_shape)

    def body(_, state):
        c, _ = state
        return step(c, inputs)

    return jax.lax.fori_loop(0, jnp.minimum(t0, 0) + 1, body, (carry, outs0))


def kernel_context(features, cm, *, group, units=None, loans=None, fraud_hazard=None, t0=0, strat=None,
                   n_segments: int, n_months: int = 1, per_loan: dict | None = None) -> Kernel:
    """The trace-time context of a kernel call (``Kernel``) for ``features``: sizes,
    per-loan group and segment, the run's optional per-loan inputs by name (``per_loan``:
    ``(N,)`` arrays, e.g. months past due at the start), and the helpers features use
    (``count``, ``move``, ``store``); each feature's ``setup`` adds its constants."""
    k = cm.q.shape[1]
    s1 = n_segments + 1  # segments, padding included
    flagged = [x for x in features if x.flag_bins > 1]
    if len(flagged) > 1:  # the month's flags are one feature's (m.flags), so are a dropped loan's
        raise ValueError(f"kernel_context: at most one feature may add occupancy flags, got {flagged}")
    f = flagged[0].flag_bins if flagged else 1  # flag combinations per (segment, state) bin
    money = has(features, Money)
    t0 = jnp.asarray(t0, jnp.int32)
    ctx = Kernel(cm=cm, strat=strat, features=tuple(features), k=k, g1=cm.group_segment.shape[0], s1=s1, f=f,
                 nb=1, ne=1, group=group, seg=cm.group_segment[group], units=units, loans=loans,
                 fraud_hazard=fraud_hazard, t0=t0, n_segments=n_segments, n_months=n_months, n_bins=s1 * k * f,
                 per_loan=dict(per_loan or {}))
    # counts are kept per lane (loan index mod LANES) so that consecutive loans in the same
    # bin do not serialise the scatter-add on one counter
    lane = jnp.arange(group.shape[0], dtype=jnp.int32) % LANES

    def count(bins, weight=None, n=ctx.n_bins):
        at = lane * n + bins
        if weight is None:
            occ = jnp.zeros(LANES * n, jnp.int32).at[at].add(1)
        else:
            occ = jnp.zeros(LANES * n, jnp.int64).at[at].add(weight.astype(jnp.int64))
        return occ.reshape(LANES, n).sum(axis=0)

    def move(state, bits, thr_t, base):
        u = bits >> jnp.uint32(1)
        return jnp.sum(u[:, None] >= thr_t[base + state], axis=1, dtype=jnp.int32)

    def store(*xs):
        # with money the month has many outputs reading the same values: store them once
        # (without, the chain has few outputs; there storing measured no gain)
        return _stored(t0, *xs) if money else xs

    ctx.count, ctx.move, ctx.store = count, move, store
    ctx.phases = {p: [getattr(x, p) for x in features if p in x.phases()] for p in PHASES if p not in STORES}
    ctx.stored = {p: [n for x in features for n in x.stores.get(p, ())] for p in STORES}
    ctx.streams = sorted({s for x in features for s in x.streams})
    for x in features:
        x.setup(ctx)
    return ctx


def initial_carry(ctx: Kernel, state0) -> dict:
    """Each loan's simulated state at month 0 (arrays shaped like ``state0``)."""
    carry: dict = {}
    for x in ctx.features:
        x.init(ctx, carry, state0)
    return carry


def month_step(ctx: Kernel, c: dict, t, words: dict, x: dict) -> tuple[dict, dict]:
    """One month: the carry ``c`` at its start, ``t`` the month within the call (int32),
    ``words`` the month's random word per stream (uint32, per loan), ``x`` the month's
    inputs by name.  Returns the carry at its end and the month's outputs."""
    state = c["state"]
    m = Month(c=dict(c), state=state, t=t, t_abs=ctx.t0 + t + 1, words=words, x=x, new=None,
              frozen=jnp.zeros(state.shape, bool), flags=0, bureau=0, eff=0, row_offset=None, absent=None,
              out={})
    for phase in PHASES:
        if phase in STORES:
            names = ctx.stored[phase]
            if names:
                m.c, *vals = ctx.store(m.c, *(getattr(m, n) for n in names))
                for n, v in zip(names, vals, strict=True):
                    setattr(m, n, v)
            continue
        for act in ctx.phases[phase]:
            act(ctx, m)
    return m.c, m.out


def run_scenario(ctx: Kernel, zs, key, loan_id, start, *, keep: bool) -> tuple[dict, dict | None]:
    """One scenario (of one strategy) over the call's months: ``zs`` its macro factor by
    month, ``key`` its raw key, ``start`` the loans' states at month 0 (int32) or the
    carry an earlier call returned.  Returns the features' totals and the carry at the end
    (None unless ``keep``)."""
    n_months = zs.shape[0]
    inputs: dict = {}
    for x in ctx.features:
        inputs.update(x.inputs(ctx, zs))
    t0 = ctx.t0

    def step(carry, xs, width=2):
        pair, xin = xs
        drawn = {r: _rng.loan_uniform_pair(key, loan_id, pair, stream=r) for r in ctx.streams}
        drawn = ctx.store(drawn)[0]  # each word is read by several of the month's outputs
        outs = []
        for i in range(width):
            t = (2 * pair + i).astype(jnp.int32) - t0  # month index within this call
            carry, o = month_step(ctx, carry, t, {r: w[i] for r, w in drawn.items()},
                                  {n: v[i] for n, v in xin.items()})
            outs.append(o)
        return carry, jax.tree.map(lambda *a: jnp.stack(a), *outs)

    if isinstance(start, dict):
        init = dict(start)
    else:
        init = initial_carry(ctx, start)
    for x in ctx.features:
        x.init_call(ctx, init)
    state0 = init["state"]
    # One Threefry call gives two words: months 2j+1 and 2j+2 use the two words of the
    # counter (loan, j).  The scan steps over whole pairs; an odd last month runs after it
    # with its pair's first word.
    n_pairs = n_months // 2
    first_pair = (t0 // 2).astype(jnp.uint32)
    m2 = 2 * n_pairs
    xs = (first_pair + jnp.arange(n_pairs, dtype=jnp.uint32),
          {n: v[:m2].reshape((n_pairs, 2) + v.shape[1:]) for n, v in inputs.items()})
    final, parts = init, []
    if n_pairs >= 2:
        final, outs = jax.lax.scan(step, init, xs)
        parts.append(jax.tree.map(lambda a: a.reshape((m2,) + a.shape[2:]), outs))
    elif n_pairs == 1:
        final, outs = _looped(step, final, jax.tree.map(lambda a: a[0], xs), t0)
        parts.append(outs)
    if n_months % 2:
        final, last = _looped(partial(step, width=1), final,
                              (first_pair + n_pairs, {n: v[-1:] for n, v in inputs.items()}), t0)
        parts.append(last)
    outs = jax.tree.map(lambda *a: jnp.concatenate(a), *parts) if len(parts) > 1 else parts[0]
    r = SimpleNamespace(final=dict(final), outs=outs, state0=state0, res={})
    for x in ctx.features:
        if hasattr(x, "classify"):
            x.classify(ctx, r)
    for x in ctx.features:
        x.finish(ctx, r)
    return r.res, (r.final if keep else None)
