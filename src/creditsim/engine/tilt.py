"""The macro tilt on the kernel's threshold grid: each row group's cumulative rows,
conditioned on the month's macro factor, as integer thresholds on 31 random bits.

Sampling.  A loan in state i of group g draws 31 uniform bits u and moves to
``next = #{k < K-1 : u >= T[g, i, k]}`` where ``T[g, i, k] = round(2**31 · P(next <= k))``
for the macro-tilted row.  ``next`` is a count of thresholds, so it is always a valid state
(the rounding case that sends inverse-CDF samplers past the last state cannot happen), and a
probability of exactly 0 or 1 stays exact, so absorbing states never leak.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy.special import ndtr

from ..compile.model import ONE
from ..spec.macro import conditional_cumulative

__all__ = ["thresholds"]


def thresholds(q, sqrt_rho, z):
    """Integer thresholds ``(..., G+1, K, K-1)`` uint32 of the rows tilted by ``z``.

    ``z`` has any leading shape; the result has that shape followed by ``q``'s.
    """
    z = jnp.asarray(z)[..., None, None, None]
    lower, upper = conditional_cumulative(q, sqrt_rho[:, None, None], z, xp=jnp, ndtr=ndtr)
    lo = jnp.round(lower * ONE)
    hi = ONE - jnp.round(upper * ONE)
    t = jnp.where(lower <= 0.5, lo, hi)
    t = jax.lax.cummax(t, axis=t.ndim - 1)  # monotone even where the two sides meet
    return jnp.clip(t, 0, ONE).astype(jnp.uint32)

