"""Calibration: the macro path that makes a book's simulated delinquency ratio follow a
given monthly series, fitted by least squares."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..spec.book import LoanBook
from ..spec.model import CreditModel, MacroFactor, _plain
from ..spec.terms import is_number

__all__ = ["fit_macro_path", "MacroPathFit", "ANT_2020_30_PLUS"]

#: Ant Group's consumer-credit 30+ day delinquency ratio through 2020 as a target series,
#: month-end, December 2019 to December 2020 (13 months, fractions; NaN: not published).
#: Published (Ant Group's 2020 prospectus): 1.56% at the end of 2019, 1.76% in January 2020
#: and 3.01% in May, the peak, "declining slightly" after it.  Assumption (the prospectus
#: gives no later monthly figure): back at the 2019 year-end level, 1.56%, by December 2020.
#: Months without a figure are left to the fit's smoothness penalty.
ANT_2020_30_PLUS = (0.0156, 0.0176, math.nan, math.nan, math.nan, 0.0301, math.nan, math.nan, math.nan, math.nan,
                    math.nan, math.nan, 0.0156)


@dataclass(frozen=True)
class MacroPathFit:
    """The result of ``fit_macro_path``.

    ``path``: the fitted Z for months 1..n (the same in every scenario; a stress
    scenario's ``macro_path``, see ``stress``); ``fitted``: the simulated mean ratio at
    the end of each month 0..n with that path (month 0: the end of the lead months, if
    any; ``lead_months`` their number); ``target``: the series fitted (NaN where
    none was given); ``rmse``: root mean square of ``fitted - target`` over the months
    given (fraction, not percentage points); ``evaluations``: simulations run; ``message``:
    the optimiser's.
    """

    path: np.ndarray
    fitted: np.ndarray
    target: np.ndarray
    rmse: float
    evaluations: int
    message: str
    lead_months: int = 0

    def stress(self, description: str = "fitted macro path") -> dict:
        """The fitted path as a stress scenario (``creditsim.apply_stress``), after the
        lead months' zeros."""
        return {"description": description, "macro_path": [0.0] * self.lead_months + [float(z) for z in self.path]}


def _series(target) -> np.ndarray:
    if isinstance(target, (str, bytes)) or not isinstance(target, (Sequence, np.ndarray)):
        raise ValueError(f"fit_macro_path: target must be a list of monthly ratios, got {target!r}")
    out = []
    for i, x in enumerate(target):
        if x is None:
            out.append(math.nan)
            continue
        if isinstance(x, bool) or not is_number(x) or not (math.isnan(float(x)) or 0 <= float(x) < 1):
            raise ValueError(f"fit_macro_path: target month {i + 1} is {_plain(x)!r}; a ratio is a fraction in "
                             f"[0, 1), or None/NaN where not observed")
        out.append(float(x))
    t = np.array(out, dtype=np.float64)
    if t.size == 0 or not np.isfinite(t).any():
        raise ValueError("fit_macro_path: target has no observed month")
    return t


def fit_macro_path(
    model: CreditModel,
    book: LoanBook,
    target,
    *,
    days: int = 30,
    scenarios: int = 4,
    seed: int = 0,
    smoothness: float = 0.2,
    start: Sequence[float] | None = None,
    bounds: tuple[float, float] = (-4.0, 4.0),
    step: float = 0.1,
    max_evaluations: int = 400,
    lead_months: int = 0,
    **simulate_options,
) -> MacroPathFit:
    """Fit the macro factor path Z_1..Z_n so that the book's simulated month-end ``days``+
    delinquency ratio follows ``target`` (n months), by least squares.

    Each evaluation simulates ``book`` under ``model`` with the path as a stress
    ``macro_path`` (the same Z in every scenario) for n months, on the same random numbers
    every time (``seed``), and takes the mean over ``scenarios`` of the ratio at each
    month's end (``delinquency_ratios``, on balances: the book needs loan terms).  The
    residuals are ``ratio_t - target_t`` for the months given, in percentage points, plus
    ``smoothness`` times the month-to-month changes of Z (a first-difference penalty in
    standard deviations; it fills months without a figure and keeps the path from chasing
    Monte Carlo noise).  ``scipy.optimize.least_squares`` (trust region reflective) solves
    it with forward differences of ``step`` in Z (the ratio is a sum over loans, a step
    function of Z at fine scale: the step must move many loans; default 0.1).

    Parameters
    ----------
    model, book
        The model (its ``macro.phi`` kept; a path it already has is replaced) and a book
        with loan terms.
    target
        The monthly ratio series, month 1 first, fractions (0.0301 for 3.01%); None or NaN
        for months without a figure.  E.g. ``ANT_2020_30_PLUS``.
    days
        The ratio fitted: balances more than ``days`` past due over live balances;
        default 30.
    scenarios, seed
        Monte Carlo scenarios of each evaluation (they differ only in the loans' draws:
        the path is shared) and the seed, fixed across evaluations (common random
        numbers); defaults 4 and 0.
    smoothness
        Weight of the first differences of Z (percentage points of ratio per standard
        deviation of Z); default 0.2.  0: none.
    start
        Initial path; default all zeros.
    bounds
        Lowest and highest Z allowed; default (-4, 4).
    step
        Finite-difference step in Z; default 0.1.
    max_evaluations
        Most residual evaluations of the optimiser (each a simulation; a Jacobian costs
        one more simulation a month of the series); default 400.
    lead_months
        Months simulated before the series' first, with Z = 0 (the factor's median), so
        that a synthetic book settles before the fit starts (a seasoned book's states are
        drawn without regard to its loans' ages, and its balance-weighted ratios settle
        over a month or two); default 0.  The fitted series and path start after them.
    **simulate_options
        Passed to ``simulate`` (``originations=`` for a living book, ``chunk_size``, ...).

    Returns a ``MacroPathFit``.  The fit is as good as the model lets it be: a ratio the
    model cannot reach with any path within ``bounds`` shows as a large ``rmse``.
    """
    from scipy import optimize

    from ..results.risk import delinquency_ratios
    from .simulation import simulate

    if not isinstance(model, CreditModel):
        raise ValueError(f"fit_macro_path: model must be a CreditModel, got {type(model).__name__}")
    t = _series(target)
    n = t.size
    if isinstance(days, bool) or not isinstance(days, (int, np.integer)) or days < 0:
        raise ValueError(f"fit_macro_path: days must be a whole number >= 0, got {_plain(days)!r}")
    for name, v, lo in (("smoothness", smoothness, 0.0), ("step", step, 1e-6)):
        if isinstance(v, bool) or not is_number(v) or not math.isfinite(float(v)) or float(v) < lo:
            raise ValueError(f"fit_macro_path: {name} must be a finite number >= {lo:g}, got {_plain(v)!r}")
    ok = isinstance(bounds, (Sequence, np.ndarray)) and len(bounds) == 2 and \
        all(is_number(b) and not isinstance(b, bool) and math.isfinite(float(b)) for b in bounds)
    if not ok or not float(bounds[0]) < float(bounds[1]):
        raise ValueError(f"fit_macro_path: bounds must be two finite numbers low < high, got {bounds!r}")
    lo, hi = float(bounds[0]), float(bounds[1])
    if start is None:
        x0 = np.zeros(n)
    else:
        x0 = np.asarray(start, dtype=np.float64) if isinstance(start, (Sequence, np.ndarray)) else None
        if x0 is None or x0.shape != (n,) or not np.all(np.isfinite(x0)) or np.any((x0 < lo) | (x0 > hi)):
            raise ValueError(f"fit_macro_path: start must be {n} numbers within bounds {bounds!r}, got {start!r}")
    if isinstance(max_evaluations, bool) or not isinstance(max_evaluations, (int, np.integer)) or max_evaluations < 1:
        raise ValueError(f"fit_macro_path: max_evaluations must be a whole number >= 1, got {max_evaluations!r}")
    if isinstance(lead_months, bool) or not isinstance(lead_months, (int, np.integer)) or lead_months < 0:
        raise ValueError(f"fit_macro_path: lead_months must be a whole number >= 0, got {lead_months!r}")
    lead = int(lead_months)
    if simulate_options.get("strategies") is not None:
        raise ValueError("fit_macro_path: fit without strategies (the ratio of one book)")
    seen = np.isfinite(t)
    phi = model.macro.phi
    cache: dict[bytes, np.ndarray] = {}

    def ratios(z: np.ndarray) -> np.ndarray:
        key = np.round(z, 12).tobytes()
        if key not in cache:
            m = model.replace(macro=MacroFactor(phi=phi, path=[0.0] * lead + [float(v) for v in z]))
            ds = simulate(m, book, horizon=lead + n, scenarios=scenarios, seed=seed, **simulate_options)
            r = delinquency_ratios(ds, days=[days]).isel(days=0)
            cache[key] = r.mean("scenario").values.astype(np.float64)[lead:]
        return cache[key]

    w = float(smoothness)

    def residuals(z: np.ndarray) -> np.ndarray:
        r = ratios(z)[1:]
        res = 100.0 * (r[seen] - t[seen])
        return np.concatenate([res, w * np.diff(z)]) if w > 0 and n > 1 else res

    sol = optimize.least_squares(residuals, np.clip(x0, lo, hi), bounds=(lo, hi), method="trf",
                                 jac=_forward(residuals, float(step), lo, hi), max_nfev=int(max_evaluations))
    fitted = ratios(sol.x)
    err = fitted[1:][seen] - t[seen]
    return MacroPathFit(path=sol.x.copy(), fitted=fitted, target=t, rmse=float(np.sqrt(np.mean(err ** 2))),
                        evaluations=len(cache), message=str(sol.message), lead_months=lead)


def _forward(fun, h: float, lo: float, hi: float):
    """The Jacobian of ``fun`` by forward differences of ``h`` (backward at the upper
    bound)."""

    def jac(z: np.ndarray) -> np.ndarray:
        f0 = fun(z)
        out = np.empty((f0.size, z.size))
        for j in range(z.size):
            d = h if z[j] + h <= hi else -h
            zj = z.copy()
            zj[j] += d
            out[:, j] = (fun(zj) - f0) / d
        return out

    return jac
