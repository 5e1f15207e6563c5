"""Analytic results the Monte Carlo engines are checked against (NumPy/SciPy, float64).

These are exact for the models they describe, so a simulation that disagrees with them by
more than its Monte Carlo error is wrong.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import special

from ..spec.macro import conditional_matrix

__all__ = [
    "past_due_chain",
    "expected_occupancy",
    "absorption",
    "vasicek_quantile",
    "vasicek_variance",
    "average_conditional_matrix",
    "basel_retail_rho",
]


def past_due_chain(matrix, states, charge_off_dpd: int | None):
    """The chain over (state, months past due) that the charge-off rule makes of ``matrix``.

    A state that spans several months (``StateSpace.past_due``) is split into one sub-state
    per month past due; a loan staying in it moves to the next sub-state, and a loan that
    would pass ``charge_off_dpd`` days (a month being 30) goes to the charge-off state.
    Returns ``(P, state_of, entry)``: the expanded matrix ``(M, M)``, the original state of
    each sub-state ``(M,)``, and the sub-state a loan starting in each state occupies
    ``(K,)``.  Summing ``π·Pᵗ`` over sub-states of a state gives the state's occupancy.
    """
    p = np.asarray(matrix, dtype=np.float64)
    k = p.shape[0]
    if charge_off_dpd is None or states.charge_off is None:
        return p.copy(), np.arange(k), np.arange(k)
    limit = charge_off_dpd // 30  # the most months past due a loan can be without charge-off
    co = states.index(states.charge_off)
    subs = []  # (state, months past due)
    for j, (first, last) in enumerate(states.past_due):
        top = max(first, limit) if last > first else first
        subs += [(j, d) for d in range(first, top + 1)]
    index = {sd: m for m, sd in enumerate(subs)}
    out = np.zeros((len(subs), len(subs)))
    for m, (i, d) in enumerate(subs):
        for j in range(k):
            if p[i, j] == 0:
                continue
            first, last = states.past_due[j]
            d_new = d + 1 if (j == i and last > first) else first
            if first > 0 and 30 * d_new > charge_off_dpd:
                out[m, index[(co, 0)]] += p[i, j]
            else:
                out[m, index[(j, d_new)]] += p[i, j]
    state_of = np.array([j for j, _ in subs])
    entry = np.array([index[(j, states.past_due[j][0])] for j in range(k)])
    return out, state_of, entry


def expected_occupancy(matrix, start, horizon: int) -> np.ndarray:
    """π₀·Pᵗ for t = 0..horizon: shape ``(horizon + 1, K)``.

    ``start`` is a distribution (or counts) over the K states.  With independent monthly
    macro draws (phi = 0) this is also the expected occupancy of the tilted chain, since the
    average of the conditional matrix over Z is the base matrix.
    """
    p = np.asarray(matrix, dtype=np.float64)
    out = np.empty((horizon + 1, p.shape[0]))
    out[0] = np.asarray(start, dtype=np.float64)
    for t in range(horizon):
        out[t + 1] = out[t] @ p
    return out


def absorption(matrix, absorbing: Sequence[int]):
    """Absorption probabilities and times from the fundamental matrix N = (I − Q)⁻¹.

    Returns a dict with ``transient`` (indices), ``absorbing`` (indices), ``B`` = N·R
    (transient × absorbing: probability of ending in each absorbing state), ``t`` = N·1
    (mean months to absorption from each transient state) and ``t_var`` = (2N − I)·t − t²
    (its variance).
    """
    p = np.asarray(matrix, dtype=np.float64)
    a = sorted(int(i) for i in absorbing)
    tr = [i for i in range(p.shape[0]) if i not in set(a)]
    q = p[np.ix_(tr, tr)]
    r = p[np.ix_(tr, a)]
    n = np.linalg.inv(np.eye(len(tr)) - q)
    t = n.sum(axis=1)
    t_var = (2 * n - np.eye(len(tr))) @ t - t * t
    return {"transient": tr, "absorbing": a, "N": n, "B": n @ r, "t": t, "t_var": t_var}


def vasicek_quantile(p: float, rho: float, alpha):
    """Large-portfolio loss-rate quantile Φ((Φ⁻¹(p) + √ρ·Φ⁻¹(α)) / √(1−ρ)) (Vasicek 2002)."""
    alpha = np.asarray(alpha, dtype=np.float64)
    return special.ndtr((special.ndtri(p) + np.sqrt(rho) * special.ndtri(alpha)) / np.sqrt(1 - rho))


def vasicek_variance(p: float, rho: float, n: float = np.inf) -> float:
    """Variance of the loss rate of ``n`` loans with default probability ``p`` and asset
    correlation ``rho`` in the one-factor model: Φ₂(Φ⁻¹p, Φ⁻¹p; ρ) − p² + (p − Φ₂)/n,
    where Φ₂ is the bivariate normal CDF with correlation ρ (the second term is the
    binomial noise of a finite book).  Φ₂(t, t; ρ) = E[p(Z)²] with p(Z) the conditional
    default probability, computed by Gauss–Hermite quadrature (200 nodes)."""
    x, w = np.polynomial.hermite_e.hermegauss(200)
    pz = special.ndtr((special.ndtri(p) - np.sqrt(rho) * x) / np.sqrt(1 - rho))
    joint = float(np.sum(w * pz * pz) / np.sum(w))
    return joint - p * p + (p - joint) / n


def average_conditional_matrix(matrix, rho: float, nodes: int = 80) -> np.ndarray:
    """E_Z[P(Z)] for Z ~ N(0, 1) by Gauss–Hermite quadrature with ``nodes`` points."""
    x, w = np.polynomial.hermite_e.hermegauss(nodes)
    w = w / w.sum()
    return sum(wi * conditional_matrix(matrix, rho, xi) for xi, wi in zip(x, w, strict=True))


def basel_retail_rho(pd_annual) -> np.ndarray:
    """Basel II asset correlation for "other retail" exposures (BCBS 2006, paragraph 330).

    ρ = 0.03·f + 0.16·(1 − f) with f = (1 − e^{−35·PD}) / (1 − e^{−35}); PD is annual.
    """
    pd_annual = np.asarray(pd_annual, dtype=np.float64)
    f = (1 - np.exp(-35 * pd_annual)) / (1 - np.exp(-35))
    return 0.03 * f + 0.16 * (1 - f)
