"""The one-factor macro tilt of transition rows (Belkin, Suchower & Forest 1998).

A row of a monthly transition matrix, listed best to worst, is read as a set of thresholds
on a latent standard normal "credit quality" X = √ρ·Z + √(1−ρ)·ε of each borrower: the
borrower lands in state j when X falls between the thresholds of j and j+1, counted from the
worst end.  Conditioning on the macro factor Z turns each cumulative row probability c into

    c(Z) = Φ((Φ⁻¹(c) + √ρ·Z) / √(1−ρ))

where c is the probability of landing in a state *no worse than* k.  A negative Z lowers
c(Z) and so moves mass toward worse states; averaged over Z ~ N(0, 1) it gives back c
exactly, so the base matrix is the unconditional one.  The same algebra gives the Vasicek
loss distribution for a two-state chain.

The functions below take the numeric namespace as an argument so that the NumPy oracle and
the JAX kernel share one formula.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

__all__ = ["cumulative_quantiles", "conditional_cumulative", "conditional_matrix"]


def cumulative_quantiles(matrix: np.ndarray) -> np.ndarray:
    """Φ⁻¹ of each row's cumulative probabilities, shape ``(..., K, K-1)``, float64.

    Entry ``k`` is Φ⁻¹(P(next state ≤ k)) for k = 0..K-2 (the last, always 1, is dropped).
    Values near 1 are computed from the upper tail sum, so rare transitions into the worst
    states keep their relative precision.  Zero gives −inf, one gives +inf.
    """
    p = np.asarray(matrix, dtype=np.float64)
    lower = np.cumsum(p, axis=-1)[..., :-1]
    upper = np.cumsum(p[..., ::-1], axis=-1)[..., ::-1][..., 1:]  # P(next > k)
    with np.errstate(divide="ignore"):
        q = np.where(lower <= 0.5, special.ndtri(np.clip(lower, 0, 1)),
                     -special.ndtri(np.clip(upper, 0, 1)))
    q = np.where(lower <= 0.0, -np.inf, q)
    q = np.where(upper <= 0.0, np.inf, q)
    return q


def conditional_cumulative(q, sqrt_rho, z, xp: Any = np, ndtr=special.ndtr):
    """Lower and upper cumulative probabilities of rows tilted by the macro factor ``z``.

    ``q`` are the base quantiles from ``cumulative_quantiles``; ``sqrt_rho`` broadcasts
    against ``q``'s leading axes.  Returns ``(lower, upper)`` with lower = P(next ≤ k | z)
    and upper = P(next > k | z) = 1 − lower, each computed on the side where it is small so
    that neither loses precision.
    """
    x = (q + sqrt_rho * z) / xp.sqrt(1.0 - sqrt_rho * sqrt_rho)
    lower = ndtr(x)
    upper = ndtr(-x)
    return lower, upper


def conditional_matrix(matrix, rho: float, z: float) -> np.ndarray:
    """The transition matrix conditional on the macro factor value ``z`` (NumPy, float64).

    ``matrix`` is a row-stochastic ``(K, K)`` array with states ordered best to worst,
    ``rho`` in [0, 1) the asset correlation (factor loading √rho).  ``z`` < 0 is a bad month.
    """
    p = np.asarray(matrix, dtype=np.float64)
    q = cumulative_quantiles(p)
    lower, upper = conditional_cumulative(q, np.sqrt(rho), z)
    cum = np.where(lower <= 0.5, lower, 1.0 - upper)
    full = np.concatenate([np.zeros(p.shape[:-1] + (1,)), cum, np.ones(p.shape[:-1] + (1,))],
                          axis=-1)
    out = np.diff(full, axis=-1)
    return np.clip(out, 0.0, 1.0)
