"""Dropping finished loans from a chunk between kernel calls: which loans are still live
somewhere, the occupancy bins of the others (frozen from then on), and the compacted chunk."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from ..compile.model import CompiledModel

__all__ = ["live_anywhere", "compact", "frozen_bins"]


@jax.jit
def live_anywhere(cm: CompiledModel, carry, group, after_charge_off=None):
    """``(N,)`` bool: loans (not padding) still to simulate in some scenario (and strategy):
    in a non-absorbing state or, with strategies, charged off with exposure still to recover
    through a placement (or through one a rule may yet make: ``after_charge_off``, ``(S,)``
    bool, the carry being ``(B, S, N)``)."""
    pad = cm.group_segment.shape[0] - 1
    live = ~cm.absorbing[carry["state"]]
    if "recoverable" in carry:
        live = live | ((carry["recoverable"] > 0) & ((carry["place"] > 0) | after_charge_off[:, None]))
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


@partial(jax.jit, static_argnames=("n_out", "shocks"))
def frozen_bins(cm: CompiledModel, carry, group, mask, *, n_out: int, shocks: bool):
    """Occupancy bins ``(..., n_out)`` int64 of the loans ``mask`` selects (as the kernel
    counts them), from their carry ``(..., N)``; padding loans count nowhere."""
    k = cm.q.shape[1]
    f = 4 if shocks else 1
    seg = cm.group_segment[group]
    flags = 0
    if shocks:
        flags = 2 * carry["shocked"].astype(jnp.int32) + carry["reported"].astype(jnp.int32)
    bins = seg * (k * f) + carry["state"] * f + flags
    w = (mask & (group != cm.group_segment.shape[0] - 1)).astype(jnp.int64)  # not padding
    bins = jnp.where(w > 0, bins, n_out)
    lead = bins.shape[:-1]
    bins = bins.reshape(-1, bins.shape[-1])
    out = jax.vmap(lambda b: jnp.zeros(n_out + 1, jnp.int64).at[b].add(w))(bins)[:, :n_out]
    return out.reshape(lead + (n_out,))

