"""Comparing strategies run on common random numbers: paired differences with their
Monte Carlo intervals, and recovery curves."""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy import special, stats

from .risk import _design, _design_df, _mean_se, _weights

__all__ = ["compare", "recovery_curves", "COMPARED", "CURVES"]

#: What ``compare`` compares: the per-scenario totals (summed over months where a
#: variable is by month) and whether lower is better.
COMPARED = {
    "net_credit_loss": "lower",
    "recoveries": "higher",
    "collection_costs": "lower",
    "complaints": "lower",
    "npv": "higher",
}


def _per_scenario(ds: xr.Dataset, name: str) -> xr.DataArray:
    x = ds[name]
    return x.sum("month") if "month" in x.dims else x


def compare(ds: xr.Dataset, baseline: str | None = None, *, confidence: float = 0.95) -> xr.Dataset:
    """Each strategy against ``baseline``, scenario by scenario (paired differences).

    Parameters
    ----------
    ds
        A result of ``creditsim.simulate`` with ``strategies``: every strategy ran on
        the same scenarios with common random numbers.
    baseline
        The strategy compared against; default the first.
    confidence
        Level of the intervals; default 0.95.

    Returns
    -------
    xarray.Dataset
        Over ``strategy``, for each measure in ``COMPARED`` (``net_credit_loss``,
        ``recoveries``, ``collection_costs``, ``complaints``, ``npv``, each a total over
        the horizon per scenario): ``<measure>`` (strategy, bound), the mean over scenarios
        and its interval; ``<measure>_diff`` (strategy, bound), the mean paired difference
        strategy − baseline, ± z·sd(difference)/√S (the baseline's own row is exactly 0);
        ``<measure>_diff_se`` and ``<measure>_diff_se_unpaired`` (strategy), the standard
        error of the difference as paired, and as it would be from independent runs
        (√((var_a + var_b)/S)): their ratio is what common random numbers gain.

    Also the curves of ``recovery_curves``: ``recovery_curve`` (strategy,
    months_since_charge_off), ``placement_curve`` (strategy, months_since_placement) and
    ``delinquency_curve`` (strategy, months_since_delinquency).

    A run with importance weights (``macro_mean``: ``scenario_weight``) is compared with
    them: means are mean(w·x), their errors those of w·x; one drawn in strata, antithetic
    pairs or Sobol replicates takes that design's errors (``risk_summary``'s), the
    intervals then on Student's t.
    """
    if "strategy" not in ds.dims:
        raise ValueError("compare: the result has no strategy dimension (simulate with strategies=[...])")
    names = [str(s) for s in ds["strategy"].values]
    if baseline is None:
        baseline = names[0]
    if baseline not in names:
        raise ValueError(f"compare: baseline {baseline!r} is not a strategy of the result; they are {names!r}")
    if (isinstance(confidence, (bool, np.bool_)) or not isinstance(confidence, (int, float, np.integer, np.floating))
            or not 0 < confidence < 1):
        shown = confidence.item() if isinstance(confidence, np.generic) else confidence
        raise ValueError(f"compare: confidence must be in (0, 1), got {shown!r}")
    s = ds.sizes["scenario"]
    if s < 2:
        raise ValueError(f"compare: need at least 2 scenarios, got {s}")
    z = float(special.ndtri((1 + confidence) / 2))
    w = _weights(ds, s, "compare")
    design = _design(ds, s, "compare")
    w = np.ones(s) if w is None else w
    bounds = ["estimate", "lower", "upper"]
    out = {}
    b = names.index(baseline)
    for name, better in COMPARED.items():
        if name not in ds:
            continue
        # (scenario, strategy), each scenario's values times its weight
        x = _per_scenario(ds, name).astype(np.float64).transpose("scenario", "strategy").values * w[:, None]
        units = ds[name].attrs.get("units", "")
        attrs = {"units": units, "better": better} if units else {"better": better}
        d = x - x[:, [b]]
        mean, se = x.mean(axis=0), _mean_se(x, design)
        dmean, dse = d.mean(axis=0), _mean_se(d, design)
        unpaired = np.sqrt(se**2 + se[b] ** 2)
        q = z if design is None else float(stats.t.ppf((1 + confidence) / 2, _design_df(d.sum(axis=1), design)))
        out[name] = (("strategy", "bound"), np.stack([mean, mean - q * se, mean + q * se], axis=1),
                     {**attrs, "description": f"mean {name} over scenarios with its interval"})
        out[f"{name}_diff"] = (("strategy", "bound"), np.stack([dmean, dmean - q * dse, dmean + q * dse], axis=1),
                               {**attrs, "description": f"mean paired difference in {name}, strategy minus "
                                f"{baseline!r}, with its interval"})
        out[f"{name}_diff_se"] = (("strategy",), dse, {**attrs, "description": "standard error of the "
                                  "paired difference (common random numbers)"})
        out[f"{name}_diff_se_unpaired"] = (("strategy",), unpaired,
                                           {**attrs, "description": "standard error the difference would have "
                                            "from independent runs"})
    res = xr.Dataset(out, coords={"strategy": names, "bound": bounds},
                     attrs={"baseline": baseline, "scenarios": s, "confidence": confidence})
    for by in CURVES:
        if CURVES[by][0] in ds:
            curve = recovery_curves(ds, by)
            res[curve.name] = curve
    return res


#: The recovery curves ``recovery_curves`` draws: the amounts by age, what they are
#: shares of, the age dimension and the curve's description.
CURVES = {
    "charge_off": ("recovered_by_age", "credit_charge_offs", "months_since_charge_off",
                   "recoveries by months since charge-off, cumulative, over the exposure charged off"),
    "placement": ("collected_since_placement", "placed_owed", "months_since_placement",
                  "what placed accounts paid by months since placement (0: the month of the placement), "
                  "cumulative, over what they owed when placed"),
    "delinquency": ("collected_since_delinquency", "delinquent_owed", "months_since_delinquency",
                    "what loans paid by months since they first fell past due in the run, cumulative, over "
                    "what they owed then"),
}


def recovery_curves(ds: xr.Dataset, by: str = "charge_off") -> xr.DataArray:
    """Cumulative share recovered by age, pooled over scenarios (strategy, age).

    ``by`` (default ``"charge_off"``):

    - ``"charge_off"``: recoveries on loans charged off (credit, not fraud) by months since
      charge-off, over the exposure charged off;
    - ``"placement"``: what accounts placed with an agency or for legal action paid while
      placed (payments in months that began past due, and recoveries after charge-off) by
      months since the placement (0 = the month of the placement), over what they owed
      when placed: the liquidation curve a collections manager reads for a placement
      threshold;
    - ``"delinquency"``: what loans that fell past due for the first time in the run paid
      in months that began past due (and recovered after charge-off) by months since they
      fell past due, over what they owed then (loans past due at the start are left out:
      their first delinquency is before the run).

    Loans charged off, placed or falling past due late in the horizon have had less time
    to pay, so the curve of a short run understates what a longer one shows: read it at
    ages the horizon covers well.

    A run with importance weights pools its scenarios with them (Σ w·amount / Σ w·base).
    """
    if by not in CURVES:
        raise ValueError(f"recovery_curves: by must be one of {list(CURVES)!r}, got {by!r}")
    amount, base, dim, description = CURVES[by]
    if amount not in ds:
        raise ValueError(f"recovery_curves: the result has no {amount!r} (simulate with strategies)")
    w = _weights(ds, ds.sizes["scenario"], "recovery_curves")
    w = xr.DataArray(np.ones(ds.sizes["scenario"]) if w is None else w, dims="scenario")
    total = (ds[base] * w).sum(("scenario", "month"))
    curve = (ds[amount] * w).sum("scenario").cumsum(dim) / total.where(total > 0)
    curve.attrs = {"units": "1", "description": description + " (all scenarios pooled)"}
    return curve.rename("recovery_curve" if by == "charge_off" else f"{by}_curve")
