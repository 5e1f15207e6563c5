"""Dropping finished loans from a chunk between kernel calls: which loans are still live
somewhere, the occupancy bins of the others (frozen from then on), and the compacted chunk."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from ..compile.model import CompiledModel

__all__ = ["live_anywhere", "compact", "frozen_bins"]


@partial(jax.jit, static_argnames=("features",))
def live_anywhere(cm: CompiledModel, carry, group, strat=None, *, features=()):
    """``(N,)`` bool: loans (not padding) still to simulate in some scenario (and strategy):
    in a non-absorbing state, or kept live by a feature (``still_live(carry, strat)``: a
    loan charged off with exposure still to recover, with strategies ``strat`` and the
    carry ``(B, S, N)``)."""
    pad = cm.group_segment.shape[0] - 1
    live = ~cm.absorbing[carry["state"]]
    for f in features:
        if hasattr(f, "still_live"):
            live = live | f.still_live(carry, strat)
    return jnp.any(live.reshape(-1, live.shape[-1]), axis=0) & (group != pad)


@partial(jax.jit, static_argnames=("pad_group",))
def compact(loans: dict, carry: dict, idx, valid, *, pad_group: int):
    """Keep the loans ``idx`` (``(M,)`` int32) of a chunk, in that order, where ``valid``;
    the other places become padding (group ``pad_group``, zeros elsewhere).  ``loans``
    holds ``(N,)`` per-loan arrays, ``carry`` any pytree of the kernel's ``(..., N)``
    carries (one per strategy group)."""
    loans = {name: jnp.where(valid, a[idx], jnp.asarray(pad_group if name == "group" else 0, a.dtype))
             for name, a in loans.items()}
    carry = jax.tree.map(lambda a: jnp.where(valid, a[..., idx], jnp.zeros((), a.dtype)), carry)
    return loans, carry


@partial(jax.jit, static_argnames=("n_out", "features"))
def frozen_bins(cm: CompiledModel, carry, group, mask, *, n_out: int, features=()):
    """Occupancy bins ``(..., n_out)`` int64 of the loans ``mask`` selects (as the kernel
    counts them), from their carry ``(..., N)``; padding loans count nowhere.  A loan
    finished keeps its flags (the flag feature's ``frozen_flags(carry)``) in every later
    month."""
    k = cm.q.shape[1]
    flagged = [x for x in features if x.flag_bins > 1]  # at most one (kernel_context)
    f = flagged[0].flag_bins if flagged else 1
    flags = flagged[0].frozen_flags(carry) if flagged else 0
    seg = cm.group_segment[group]
    bins = seg * (k * f) + carry["state"] * f + flags
    w = (mask & (group != cm.group_segment.shape[0] - 1)).astype(jnp.int64)  # not padding
    bins = jnp.where(w > 0, bins, n_out)
    lead = bins.shape[:-1]
    bins = bins.reshape(-1, bins.shape[-1])
    out = jax.vmap(lambda b: jnp.zeros(n_out + 1, jnp.int64).at[b].add(w))(bins)[:, :n_out]
    return out.reshape(lead + (n_out,))

