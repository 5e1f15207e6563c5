"""Macro factor paths: one AR(1) path of Z per scenario, from the scenario's key."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from . import rng as _rng
from .tracing import _TRACES

__all__ = ["macro_paths"]


@jax.jit
def _ar1_paths(keys, phi, fixed, is_fixed):
    _TRACES["macro_paths"] += 1
    n_months = fixed.shape[0]
    scale = jnp.sqrt(1.0 - phi * phi)
    # month 1 starts from the stationary N(0, 1); later months follow the AR(1)
    a = jnp.where(jnp.arange(n_months) == 0, 0.0, phi)
    b = jnp.where(jnp.arange(n_months) == 0, 1.0, scale)

    def one(key):
        eps = jax.random.normal(_rng.macro_key(key), (n_months,), dtype=jnp.float64)

        def step(prev, inputs):
            e, at, bt, fx, isf = inputs
            z = jnp.where(isf, fx, at * prev + bt * e)
            return z, z

        _, z = jax.lax.scan(step, jnp.float64(0.0), (eps, a, b, fixed, is_fixed))
        return z

    return jax.vmap(one)(keys)


def macro_paths(keys: np.ndarray, phi: float, n_months: int, path: np.ndarray | None = None) -> np.ndarray:
    """Macro factor paths ``(S, n_months)`` float64 for raw scenario keys ``(S, 2)``.

    Z_1 ~ N(0, 1), Z_t = phi·Z_{t−1} + √(1−phi²)·ε_t; each scenario's path depends only on
    (seed, scenario).  The first ``len(path)`` months, if a path is given, take its values
    in every scenario, and the AR(1) goes on from the last of them.
    """
    fixed = np.zeros(n_months)
    is_fixed = np.zeros(n_months, dtype=bool)
    if path is not None:
        fixed[: path.size] = path
        is_fixed[: path.size] = True
    with _rng.x64():
        return np.asarray(_ar1_paths(jnp.asarray(keys), jnp.float64(phi), jnp.asarray(fixed), jnp.asarray(is_fixed)))

