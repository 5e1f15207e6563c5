"""IFRS 9 expected credit loss provisions at the reporting date, by stage and segment,
weighted over macro scenarios given as data, each figure with its Monte Carlo interval."""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping

import numpy as np
import xarray as xr
from scipy import special

from ..results.risk import _check_confidence
from ..spec.book import LoanBook
from ..spec.model import CreditModel
from ..spec.staging import ECL_MONTHS, STAGES, Staging
from ..spec.stress import apply_stress

__all__ = ["provisions", "ECL_SCENARIOS", "lifetime_horizon"]

#: Macro scenarios of the provisions by default, with their weights (assumptions: a
#: baseline, a downside of a year at Z = -1.5 easing over six months, an upside of a year at
#: Z = +0.5; after each path the macro factor goes on as its AR(1)).  Lenders set their own.
ECL_SCENARIOS: dict[str, dict] = {
    "baseline": {"weight": 0.6, "description": "the model as calibrated"},
    "downside": {"weight": 0.3, "description": "a year at Z = -1.5, easing over six months",
                 "macro_path": [-0.75, -1.25] + [-1.5] * 10 + [-1.25, -1.0, -0.75, -0.5, -0.25, 0.0]},
    "upside": {"weight": 0.1, "description": "a year at Z = +0.5",
               "macro_path": [0.5] * 12},
}

_BOUNDS = ("estimate", "lower", "upper")


def lifetime_horizon(model: CreditModel, book: LoanBook, *, tail: float = 1e-4, cap: int = 600) -> int:
    """Months that cover the book's loans' lives (an even number):

    - with loan terms and a charge-off rule (``model.charge_off_dpd``): the longest
      remaining term plus the months the rule allows past due, plus one (a loan due at the
      end of its term charges off by then);
    - with loan terms and no rule (``charge_off_dpd`` None): the longest remaining term plus
      the months after which a loan past due at the end of its term is still past due with
      probability below ``tail`` (a loan past its term that cures pays off);
    - without terms: the months after which a loan in any open state is still open with
      probability below ``tail``.

    The probabilities are those of the segments' matrices (each behaviour type's, weighted
    by its share), from their powers; the chain's part is at most ``cap`` months.  A
    ValueError where a segment's loans may never leave those states (give ``horizon``).
    """
    states = model.states
    if book.terms is not None:
        remaining = int((book.terms.term - book.terms.months_on_book).max()) if len(book) else 0
        if model.charge_off_dpd is not None:
            months = remaining + math.ceil(model.charge_off_dpd / 30) + 1
        else:
            late = [i for i, n in enumerate(states.names) if n not in states.absorbing
                    and states.months_past_due(n) > 0]
            months = remaining + _chain_months(model, late, tail, cap, "past-due")
    else:
        keep = [i for i, n in enumerate(states.names) if n not in states.absorbing]
        months = max(_chain_months(model, keep, tail, cap, "open"), 1)
    return months + months % 2


def _chain_months(model: CreditModel, keep: list[int], tail: float, cap: int, what: str) -> int:
    """The fewest months n (at most ``cap``) after which a loan starting in any of the
    states ``keep`` is still in one of them with probability below ``tail`` under every
    segment's matrix: the largest row sum of Σ_types share·Qⁿ, Q the block of ``keep``."""
    if not keep:
        return 0
    months = 0
    for seg in model.segments:
        blocks = [(share, np.asarray(m, dtype=np.float64)[np.ix_(keep, keep)]) for _, share, m in seg.groups
                  if share > 0]
        for _, q in blocks:
            if max(abs(np.linalg.eigvals(q))) >= 1:
                raise ValueError(f"provisions: segment {seg.name!r} has loans that never leave its {what} "
                                 f"states; give horizon")
        still = [np.ones(len(keep)) for _ in blocks]
        n = 0
        while n < cap and max(sum(w * v for (w, _), v in zip(blocks, still, strict=True))) >= tail:
            still = [q @ v for (_, q), v in zip(blocks, still, strict=True)]
            n += 1
        months = max(months, n)
    return months


def _horizon(horizon) -> int:
    """``provisions``'s horizon: a whole number of months >= ``ECL_MONTHS`` (stage 1's ECL
    counts 12 months), else a ValueError naming it."""
    try:
        if isinstance(horizon, (bool, np.bool_)):
            raise TypeError
        months = operator.index(horizon)
    except TypeError:
        raise ValueError(f"provisions: horizon must be a whole number of months >= {ECL_MONTHS}, got "
                         f"{horizon!r}") from None
    if months < ECL_MONTHS:
        raise ValueError(f"provisions: horizon must be at least {ECL_MONTHS} months (stage 1's ECL counts the "
                         f"first {ECL_MONTHS}), got {months!r}")
    return months


def _scenarios(macro) -> dict[str, tuple[float, dict]]:
    if macro is None:
        macro = ECL_SCENARIOS
    if not isinstance(macro, Mapping) or not macro:
        raise ValueError(f"provisions: macro must be a mapping of scenario name to its weight and stress, got "
                         f"{macro!r}")
    out = {}
    for name, spec in macro.items():
        if not isinstance(name, str) or not name:
            raise ValueError(f"provisions: macro scenario names must be non-empty text, got {name!r}")
        if not isinstance(spec, Mapping) or "weight" not in spec:
            raise ValueError(f"provisions: macro[{name!r}] must be a mapping with a 'weight', got {spec!r}")
        w = spec["weight"]
        if isinstance(w, bool) or not isinstance(w, (int, float, np.integer, np.floating)) or not 0 <= w <= 1 \
                or not math.isfinite(w):
            raise ValueError(f"provisions: macro[{name!r}].weight must be a number in [0, 1], got {w!r}")
        out[name] = (float(w), {k: v for k, v in spec.items() if k != "weight"})
    total = sum(w for w, _ in out.values())
    if abs(total - 1.0) > 1e-9:
        raise ValueError(f"provisions: the macro scenarios' weights must sum to 1, got {total!r} "
                         f"({ {n: w for n, (w, _) in out.items()} })")
    return out


def provisions(
    model: CreditModel,
    book: LoanBook,
    *,
    scenarios: int = 1000,
    seed: int = 0,
    macro: Mapping[str, Mapping] | None = None,
    staging: Staging | Mapping | None = None,
    horizon: int | None = None,
    recovery_rate: float = 0.0,
    confidence: float = 0.95,
    **simulate_options,
) -> xr.Dataset:
    """IFRS 9 expected credit loss (ECL) of ``book`` at the reporting date (month 0).

    Each loan is put in a stage by ``staging`` (``creditsim.Staging``; default its rule:
    more than 30 days past due or restructured is stage 2, more than 90 days past due or
    under fraud review stage 3).  Its expected loss is the principal it owes when charged
    off (its exposure without loan terms; a confirmed fraud less police recovery; credit
    losses times 1 − ``recovery_rate``), discounted to the reporting date at the loan's
    effective interest rate (its contract rate, compounded monthly: the book has no fees),
    over the next 12 months for stage 1 (loans charged off within 12 months: default is the
    charge-off event in this model) and over its life for stages 2 and 3, attributed to the
    stage the loan was in at the reporting date.

    The ECL is weighted over the macro scenarios ``macro`` (name -> mapping with a
    ``weight`` and the keys of a stress scenario, ``creditsim.apply_stress``; weights sum
    to 1; default ``ECL_SCENARIOS``).  Every macro scenario runs ``scenarios`` Monte Carlo
    scenarios with the same ``seed`` (common random numbers), so the weighted figure of
    each Monte Carlo scenario is a paired sum and its interval (``confidence``, mean ±
    z·sd/√S) accounts for the scenarios' correlation.

    Parameters
    ----------
    model, book
        The model and the book at the reporting date (its states, and ``days_past_due``
        where it has them).
    scenarios, seed
        Monte Carlo scenarios per macro scenario (default 1,000) and the seed.
    macro
        Weighted macro scenarios (see above).
    staging
        The staging rule: a ``Staging``, a dict of its fields, or None for its defaults.
    horizon
        Months of the loans' lives to simulate, a whole number >= 12 (stage 1's ECL counts
        the first 12 months; a smaller one is an error).  Default
        ``lifetime_horizon(model, book)`` (at least 12): with loan terms the longest
        remaining term plus the months the charge-off rule (``model.charge_off_dpd``)
        allows past due, or, without a rule, plus the months after which a loan past due at
        the end of its term is still past due with probability below 10⁻⁴ under the
        segments' matrices; without terms, the months after which a loan is still open with
        probability below 10⁻⁴.
    recovery_rate
        Share of a credit charge-off recovered after it (an assumption of the user's; the
        model itself recovers nothing without a collection strategy); default 0.
    confidence
        Level of the intervals; default 0.95.
    simulate_options
        Passed to ``creditsim.simulate`` (``chunk_size``, ``executor``, ...).

    Returns
    -------
    xarray.Dataset with dims ``segment``, ``stage`` (1, 2, 3), ``macro`` (the scenarios'
    names, coordinate ``weight``) and ``bound`` (estimate, lower, upper):
    ``ecl`` (segment, stage, bound) the provision (stage 1 12-month, else lifetime ECL);
    ``ecl_by_stage`` (stage, bound) and ``ecl_total`` (bound) its sums; ``ecl_12_months``
    and ``ecl_lifetime`` (macro, segment, stage, bound) both measures under each macro
    scenario; ``balance`` (segment, stage) principal owed at the reporting date (exposure
    without loan terms) and ``loans`` (segment, stage); ``coverage`` (segment, stage,
    bound), ``coverage_by_stage`` (stage, bound) and ``coverage_total`` (bound): ECL over
    balance, as lenders publish them.  Money in CNY.
    """
    from .simulation import simulate

    if not isinstance(model, CreditModel):
        raise ValueError(f"provisions: model must be a CreditModel, got {type(model).__name__}")
    if not isinstance(book, LoanBook):
        raise ValueError(f"provisions: book must be a LoanBook, got {type(book).__name__}")
    if "originations" in simulate_options:
        raise ValueError("provisions: originations are not a simulate option here (the provisions are of the "
                         "book at the reporting date; loans lent after it have none)")
    if simulate_options.get("macro_mean") is not None:
        raise ValueError("provisions: macro_mean is not a simulate option here (the expected credit loss is a "
                         "plain mean over scenarios; the macro scenarios are given as scenarios with weights)")
    for name in ("macro_strata", "macro_antithetic", "macro_sobol"):
        if simulate_options.get(name) not in (None, False):
            raise ValueError(f"provisions: {name} is not a simulate option here (the errors of the expected "
                             f"credit loss are those of independent scenarios)")
    if "strategies" in simulate_options or "stages" in simulate_options:
        raise ValueError("provisions: strategies and stages are not simulate options here (the provisions "
                         "are of the book without collection actions; give the staging rule as staging)")
    if isinstance(recovery_rate, bool) or not isinstance(recovery_rate, (int, float, np.integer, np.floating)) \
            or not 0 <= recovery_rate < 1:
        raise ValueError(f"provisions: recovery_rate must be a number in [0, 1), got {recovery_rate!r}")
    _check_confidence(confidence, "provisions")
    rule = Staging() if staging is None else Staging.of(staging)
    macro_s = _scenarios(macro)
    if horizon is None:
        horizon = max(lifetime_horizon(model, book), ECL_MONTHS)
    else:
        horizon = _horizon(horizon)
    weights = np.array([w for w, _ in macro_s.values()])
    per = []  # (S, 2 windows, G, 3) per macro scenario
    for _, stress in macro_s.values():
        m = apply_stress(model, stress) if stress else model
        ds = simulate(m, book, horizon=horizon, scenarios=scenarios, seed=seed, stages=rule, **simulate_options)
        per.append(_net_of_recoveries(ds, recovery_rate))
    x = np.stack(per)  # (M, S, window, G, 3)
    z = float(special.ndtri((1 + confidence) / 2))
    s = x.shape[1]

    def interval(v):  # v (S, ...) per Monte Carlo scenario -> (..., bound)
        mean = v.mean(axis=0)
        se = v.std(axis=0, ddof=1) / np.sqrt(s) if s > 1 else np.full(mean.shape, np.nan)
        return np.stack([mean, mean - z * se, mean + z * se], axis=-1)

    # the provision per Monte Carlo scenario: stage 1 over 12 months, stages 2-3 lifetime
    pick = np.stack([x[:, :, 0, :, 0], x[:, :, 1, :, 1], x[:, :, 1, :, 2]], axis=-1)  # (M, S, G, 3)
    prov = np.tensordot(weights, pick, axes=1)  # (S, G, 3) paired over the macro scenarios
    bal = ds["balance_by_stage"].values
    loans = ds["loans_by_stage"].values
    money = {"units": "CNY", "currency": "CNY"}

    def ratio(num, den):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den[..., None] > 0, num / den[..., None], np.nan)

    ecl = interval(prov)
    by_stage = interval(prov.sum(axis=1))
    total = interval(prov.sum(axis=(1, 2)))
    coords = {"segment": list(ds.segment.values), "stage": list(STAGES), "bound": list(_BOUNDS),
              "macro": ("macro", list(macro_s), {"description": "macro scenario"}),
              "weight": ("macro", weights, {"units": "1", "description": "weight of the macro scenario"})}
    out = xr.Dataset(
        {
            "ecl": (("segment", "stage", "bound"), ecl,
                    {**money, "description": "expected credit loss provision: 12-month ECL in stage 1, "
                     "lifetime ECL in stages 2 and 3, weighted over the macro scenarios"}),
            "ecl_by_stage": (("stage", "bound"), by_stage, {**money, "description": "the provision by stage"}),
            "ecl_total": (("bound",), total, {**money, "description": "the provision of the book"}),
            "ecl_12_months": (("macro", "segment", "stage", "bound"),
                              np.stack([interval(v[:, 0]) for v in x]),
                              {**money, "description": "12-month ECL under each macro scenario: discounted "
                               "losses of loans charged off within 12 months of the reporting date"}),
            "ecl_lifetime": (("macro", "segment", "stage", "bound"), np.stack([interval(v[:, 1]) for v in x]),
                             {**money, "description": "lifetime ECL under each macro scenario: discounted "
                              f"losses over the loans' lives ({horizon} months)"}),
            "balance": (("segment", "stage"), bal, {**money, "description": "principal owed at the reporting "
                        "date by loans not paid off or charged off (exposure without loan terms)"}),
            "loans": (("segment", "stage"), loans, {"units": "loans", "description": "loans at the reporting "
                      "date not paid off or charged off"}),
            "coverage": (("segment", "stage", "bound"), ratio(ecl, bal),
                         {"units": "1", "description": "ECL over balance"}),
            "coverage_by_stage": (("stage", "bound"), ratio(by_stage, bal.sum(axis=0)),
                                  {"units": "1", "description": "ECL over balance, by stage"}),
            "coverage_total": (("bound",), ratio(total, np.asarray(bal.sum())),
                               {"units": "1", "description": "ECL over balance of the book"}),
        },
        coords=coords,
        attrs={"scenarios": scenarios, "seed": seed, "horizon": horizon, "confidence": confidence,
               "recovery_rate": float(recovery_rate), "staging": str(rule.to_dict()),
               "ecl_months": ECL_MONTHS, "book_fingerprint": book.fingerprint()},
    )
    return out


def _net_of_recoveries(ds: xr.Dataset, recovery_rate: float) -> np.ndarray:
    """Discounted losses by (scenario, window, segment, stage), credit and fraud (less
    police recovery), the credit part net of ``recovery_rate``."""
    d = ds["discounted_loss"].values
    return d - recovery_rate * (d - ds["discounted_fraud_loss"].values)
