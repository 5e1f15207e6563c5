"""Macro factor paths: one AR(1) path of Z per scenario, from the scenario's key."""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.special import ndtri
from scipy import special

from . import rng as _rng
from .tracing import _TRACES

__all__ = ["macro_paths", "innovation_shift", "mean_path", "sobol_normals"]


@partial(jax.jit, static_argnames="mode")
def _ar1_paths(keys, phi, fixed, is_fixed, shift, direction, per_scenario, n_strata, given, mode="draw"):
    _TRACES["macro_paths"] += 1
    n_months = fixed.shape[0]
    scale = jnp.sqrt(1.0 - phi * phi)
    # month 1 starts from the stationary N(0, 1); later months follow the AR(1)
    a = jnp.where(jnp.arange(n_months) == 0, 0.0, phi)
    b = jnp.where(jnp.arange(n_months) == 0, 1.0, scale)
    mu = jnp.where(is_fixed, 0.0, shift)

    def one(key, k, g):
        # innovations drawn from N(mu, 1): the likelihood ratio of N(0, 1) to it is
        # exp(-sum mu·eps + sum mu²/2)
        e = g if mode == "given" else jax.random.normal(_rng.macro_key(key), (n_months,), dtype=jnp.float64)
        if mode == "mirror":  # k: +1, or -1 for the antithetic half
            e = k * e
        if mode == "strata":  # the normals' component along ``direction`` from its stratum k of n_strata
            u = jax.random.uniform(jax.random.fold_in(_rng.macro_key(key), 1), dtype=jnp.float64)
            x = ndtri((k + jnp.maximum(u, jnp.finfo(jnp.float64).tiny)) / n_strata)
            e = e + direction * (x - jnp.dot(direction, e))
        eps = e + mu

        def step(prev, inputs):
            e, at, bt, fx, isf = inputs
            z = jnp.where(isf, fx, at * prev + bt * e)
            return z, z

        _, z = jax.lax.scan(step, jnp.float64(0.0), (eps, a, b, fixed, is_fixed))
        return z, -jnp.sum(mu * eps) + 0.5 * jnp.sum(mu * mu)

    return jax.vmap(one)(keys, per_scenario, given)


def innovation_shift(phi: float, n_months: int, mean, path: np.ndarray | None = None) -> np.ndarray:
    """The shifts of the AR(1)'s innovations ``(n_months,)`` that give the macro factor the
    mean path ``mean`` (one number for every month, or a value by month; months after a
    shorter list keep its last value): mu_1 = m_1, mu_t = (m_t − phi·m_{t−1}) / √(1 − phi²).
    Months the model's ``path`` fixes are not drawn: no shift there, and their fixed value
    is the mean the next month starts from."""
    m = np.broadcast_to(np.asarray(mean, dtype=np.float64), (1,) if np.ndim(mean) == 0 else np.shape(mean))
    full = np.full(n_months, m[-1])
    full[: min(m.size, n_months)] = m[:n_months]
    n_fixed = 0 if path is None else min(path.size, n_months)
    if n_fixed:
        full[:n_fixed] = path[:n_fixed]
    prev = np.concatenate([[0.0], full[:-1]])
    scale = np.where(np.arange(n_months) == 0, 1.0, np.sqrt(1.0 - phi * phi))
    a = np.where(np.arange(n_months) == 0, 0.0, phi)
    mu = (full - a * prev) / scale
    mu[:n_fixed] = 0.0
    return mu


def _prefix_stable() -> bool:
    """Whether ``jax.random.normal(key, (n,))[:m]`` is the same for every n >= m: with
    partitionable Threefry (the default from jax 0.5) each draw's counter is its index."""
    return bool(getattr(jax.config, "jax_threefry_partitionable", False))


def mean_path(phi: float, shift: np.ndarray, path: np.ndarray | None = None) -> np.ndarray:
    """The mean path of the macro factor ``(n_months,)`` whose innovations have the means
    ``shift`` (the inverse of ``innovation_shift``): m_1 = mu_1, m_t = phi·m_{t−1} +
    √(1 − phi²)·mu_t, the months the model's ``path`` fixes taking its values."""
    mu = np.asarray(shift, dtype=np.float64)
    m = np.zeros(mu.size)
    n_fixed = 0 if path is None else min(path.size, mu.size)
    for t in range(mu.size):  # a dozen months, on the host
        if t < n_fixed:
            m[t] = path[t]
        else:
            m[t] = mu[t] if t == 0 else phi * m[t - 1] + np.sqrt(1.0 - phi * phi) * mu[t]
    return m


def macro_paths(keys: np.ndarray, phi: float, n_months: int, path: np.ndarray | None = None,
                shift: np.ndarray | None = None, strata: tuple | None = None, mirror: np.ndarray | None = None,
                normals: np.ndarray | None = None):
    """Macro factor paths ``(S, n_months)`` float64 for raw scenario keys ``(S, 2)``.

    Z_1 ~ N(0, 1), Z_t = phi·Z_{t−1} + √(1−phi²)·ε_t; each scenario's path depends only on
    (seed, scenario).  The first ``len(path)`` months, if a path is given, take its values
    in every scenario, and the AR(1) goes on from the last of them.

    ``shift`` (``(n_months,)``, ``innovation_shift``): importance sampling; the innovations
    are drawn from N(shift, 1) (the same normals plus the shift) and the result is ``(z,
    log_weight)``, ``log_weight (S,)`` the log likelihood ratio of each path (plain over
    shifted), the weight that makes averages over scenarios unbiased.

    ``strata`` (with ``shift``): ``(direction, stratum, n_strata)``, a unit vector
    ``(n_months,)`` of the innovations, each scenario's stratum ``(S,)`` and their number:
    a scenario's normals keep their components across ``direction`` and take the one
    along it from its stratum, the normal quantile of (stratum + U)/n_strata with U uniform
    from the scenario's key.  With every stratum holding as many scenarios, the normals of
    the run are still N(0, 1) on average over its scenarios (stratified sampling), so the
    weights stay the same likelihood ratios.

    ``mirror`` ``(S,)`` of ±1: each scenario's normals times its sign (antithetic pairs: the
    caller gives a pair's two scenarios the same key here).  ``normals`` ``(S, n_months)``:
    the innovations' normals given (quasi-random points), not drawn.

    Without ``shift`` the paths are computed for more scenarios (``rng.padded_count``) and
    months (whole years) than asked, and cut: a path depends only on its own key and its
    months so far, so the values are the same, and runs of similar sizes share one compiled
    shape.  With ``shift`` the shapes are exact (the log weight's sum over months is not
    split the same way in every compiled shape, to the last bit).
    """
    s = keys.shape[0]
    mode = "strata" if strata is not None else "mirror" if mirror is not None else \
        "given" if normals is not None else "draw"
    pad = shift is None and mode == "draw"
    n_scen = _rng.padded_count(s) if pad else s
    n_all = -(-n_months // 12) * 12 if pad and _prefix_stable() else n_months
    fixed = np.zeros(n_all)
    is_fixed = np.zeros(n_all, dtype=bool)
    if path is not None:
        m = min(path.size, n_months)
        fixed[:m] = path[:m]
        is_fixed[:m] = True
    mu = np.zeros(n_all) if shift is None else np.asarray(shift, dtype=np.float64)
    keys_all = np.zeros((n_scen, 2), np.uint32)
    keys_all[:s] = keys
    direction, per_scenario, n_strata = np.zeros(n_all), np.zeros(n_scen), 1
    given = np.zeros((n_scen, 0))
    if strata is not None:
        direction, per_scenario, n_strata = strata
        direction = np.where(is_fixed, 0.0, np.asarray(direction, dtype=np.float64))
    elif mirror is not None:
        per_scenario = np.asarray(mirror, dtype=np.float64)
    elif normals is not None:
        given = np.asarray(normals, dtype=np.float64)
    with _rng.x64():
        z, log_w = _ar1_paths(jnp.asarray(keys_all), jnp.float64(phi), jnp.asarray(fixed), jnp.asarray(is_fixed),
                              jnp.asarray(mu), jnp.asarray(direction), jnp.asarray(per_scenario, dtype=jnp.float64),
                              jnp.float64(n_strata), jnp.asarray(given), mode=mode)
        z = np.asarray(z)[:s, :n_months]
    return z if shift is None else (z, np.asarray(log_w))


def sobol_normals(seed: int, replicates: int, points: int, dims: int) -> np.ndarray:
    """Normals ``(replicates·points, dims)`` from scrambled Sobol points: replicate r (rows
    r·points ...) is an independently scrambled (Owen-type linear matrix scrambling with
    digital shift, ``scipy.stats.qmc.Sobol``) first ``points`` of the sequence, seeded by
    (seed, r), mapped through the normal quantile; ``points`` a power of two."""
    from scipy.stats import qmc

    out = np.empty((replicates * points, dims))
    for r in range(replicates):  # a few replicates, on the host
        gen = qmc.Sobol(d=dims, scramble=True, seed=np.random.default_rng([int(seed), r, 0x50B0]))
        u = gen.random_base2(int(points).bit_length() - 1)
        out[r * points:(r + 1) * points] = special.ndtri(np.clip(u, 2.0**-60, 1 - 2.0**-53))
    return out
