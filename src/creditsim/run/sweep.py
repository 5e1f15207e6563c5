"""Tuning a strategy: a sweep over its numeric parameters on common random numbers."""

from __future__ import annotations

import dataclasses
import itertools
import json
from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr
from scipy import special

from ..results.compare import COMPARED
from ..spec.model import _plain
from ..spec.strategy import Rule, Strategy
from ..spec.strategy import strategy as _as_strategy

__all__ = ["sweep", "OBJECTIVES"]

#: Objectives a sweep can optimise, and their direction.
OBJECTIVES = {"npv": "max", "net_credit_loss": "min"}

_RULE_FIELDS = {f.name for f in dataclasses.fields(Rule)} - {"action"}


def _set(strat: Strategy, key: str, value) -> Strategy:
    """``strat`` with ``"<action>.<field>"`` set: a field of every rule that uses the
    action (``creditsim.Rule``), else a field of the action itself."""
    if not isinstance(key, str) or key.count(".") != 1:
        raise ValueError(f"sweep: parameter {key!r} must read '<action>.<field>', e.g. 'agency.min_days'")
    name, fld = key.split(".")
    names = [a.name for a in strat.actions]
    if name not in names:
        raise ValueError(f"sweep: parameter {key!r}: the strategy {strat.name!r} has no action {name!r}; "
                         f"its actions are {names!r}")
    if fld in _RULE_FIELDS:
        if not any(r.action == name for r in strat.rules):
            raise ValueError(f"sweep: parameter {key!r}: no rule of the strategy uses action {name!r}")
        try:
            rules = tuple(dataclasses.replace(r, **{fld: value}) if r.action == name else r for r in strat.rules)
            return strat.replace(rules=rules)
        except ValueError as e:
            raise ValueError(f"sweep: grid[{key!r}] has {value!r}: {e}") from None
    act = strat.action(name)
    if fld not in {f.name for f in dataclasses.fields(act)} or fld == "name":
        raise ValueError(f"sweep: parameter {key!r}: {fld!r} is neither a rule field {sorted(_RULE_FIELDS)!r} "
                         f"nor a field of action {name!r}")
    try:
        acts = tuple(dataclasses.replace(a, **{fld: value}) if a.name == name else a for a in strat.actions)
        return strat.replace(actions=acts)
    except ValueError as e:
        raise ValueError(f"sweep: grid[{key!r}] has {value!r}: {e}") from None


def sweep(model, book, strategy, grid: Mapping[str, Sequence], *, horizon: int, scenarios: int, seed: int,
          objective: str = "npv", complaint_budget: float | None = None, confidence: float = 0.95,
          **simulate_kw) -> xr.Dataset:
    """Run every combination of ``grid`` on common random numbers and find the best.

    Parameters
    ----------
    model, book, horizon, scenarios, seed
        As ``creditsim.simulate`` (the book needs loan terms); extra keyword arguments
        go to it too.
    strategy
        The strategy tuned (a ``creditsim.Strategy`` or a preset name).
    grid
        ``{"<action>.<field>": values}``: a field of every rule using the action (e.g.
        ``"agency.min_days": [31, 61, 91, 121, 151]``, ``"legal.min_balance": [5e3, 1e4,
        2e4, 5e4]``), or of the action itself (``"settle.fraction": [...]``).
    objective
        ``"npv"`` (maximised, default) or ``"net_credit_loss"`` (minimised): the mean over
        scenarios of the total over the horizon.
    complaint_budget
        If given, only settings whose mean expected complaints over the horizon are at most
        this count are eligible.
    confidence
        Level of the intervals; default 0.95.

    Returns
    -------
    xarray.Dataset with one dimension per grid parameter (named as its key) and ``bound``
    (estimate, lower, upper): each measure of ``creditsim.compare.COMPARED`` (mean
    over scenarios of the horizon's total, with its interval), ``feasible`` (within the
    complaint budget), and ``margin`` (bound): the best setting's objective minus the
    runner-up's, paired over scenarios, with its interval (positive means better).  The
    best setting is in ``attrs["best"]`` (JSON) and ``best_<key>`` attributes, its
    objective in ``attrs["best_objective"]`` (estimate, lower, upper).
    """
    from .simulation import simulate

    base = _as_strategy(strategy)
    if objective not in OBJECTIVES:
        raise ValueError(f"sweep: objective must be one of {list(OBJECTIVES)!r}, got {objective!r}")
    if not isinstance(grid, Mapping) or not grid:
        raise ValueError(f"sweep: grid must be a non-empty mapping of parameter to values, got {grid!r}")
    keys = list(grid)
    values = []
    for key in keys:
        g = grid[key]
        if isinstance(g, np.ndarray):
            g = g.tolist()
        v = list(g) if isinstance(g, Sequence) and not isinstance(g, str) else None
        if not v:
            raise ValueError(f"sweep: grid[{key!r}] must be a non-empty list of values, got {grid[key]!r}")
        if len(set(map(repr, v))) != len(v):
            raise ValueError(f"sweep: grid[{key!r}] repeats a value: {v!r}")
        values.append(v)
    if complaint_budget is not None and (isinstance(complaint_budget, (bool, np.bool_)) or
                                         not isinstance(complaint_budget, (int, float, np.integer, np.floating))
                                         or not 0 <= complaint_budget < np.inf):
        raise ValueError(f"sweep: complaint_budget must be a finite number >= 0 or None, got "
                         f"{_plain(complaint_budget)!r}")
    if (isinstance(confidence, (bool, np.bool_)) or not isinstance(confidence, (int, float, np.integer, np.floating))
            or not 0 < confidence < 1):
        raise ValueError(f"sweep: confidence must be in (0, 1), got {_plain(confidence)!r}")
    combos = list(itertools.product(*values))
    strats = []
    for combo in combos:
        s = base
        for key, v in zip(keys, combo, strict=True):
            s = _set(s, key, v)
        strats.append(s.replace(name=", ".join(f"{k}={v}" for k, v in zip(keys, combo, strict=True))))
    if simulate_kw.get("macro_mean") is not None:
        raise ValueError("sweep: macro_mean is not a simulate option here (the strategies' means over scenarios "
                         "are not weighted yet)")
    for name in ("macro_strata", "macro_antithetic", "macro_sobol"):
        if simulate_kw.get(name) not in (None, False):
            raise ValueError(f"sweep: {name} is not a simulate option here (its errors are those of independent "
                             f"scenarios)")
    ds = simulate(model, book, horizon=horizon, scenarios=scenarios, seed=seed, strategies=strats, **simulate_kw)

    z = float(special.ndtri((1 + confidence) / 2))
    n = ds.sizes["scenario"]
    shape = [len(v) for v in values]
    totals = {m: (ds[m].sum("month") if "month" in ds[m].dims else ds[m]).astype(np.float64).values
              for m in COMPARED if m in ds}  # (strategy, scenario)
    out = {}
    for m, x in totals.items():
        mean = x.mean(axis=1)
        se = x.std(axis=1, ddof=1) / np.sqrt(n)
        est = np.stack([mean, mean - z * se, mean + z * se], axis=1).reshape(shape + [3])
        units = ds[m].attrs.get("units", "")
        out[m] = (keys + ["bound"], est, {"units": units, "description": f"mean {m} over scenarios"}
                  if units else {"description": f"mean {m} over scenarios"})
    feasible = np.ones(len(combos), bool)
    if complaint_budget is not None:
        feasible = totals["complaints"].mean(axis=1) <= complaint_budget
    out["feasible"] = (keys, feasible.reshape(shape), {"description": "within the complaint budget"})
    sign = 1.0 if OBJECTIVES[objective] == "max" else -1.0
    score = sign * totals[objective]  # higher is better
    res = xr.Dataset(out, coords={**{k: (k, np.asarray(v)) for k, v in zip(keys, values, strict=True)},
                                  "bound": ["estimate", "lower", "upper"]},
                     attrs={"objective": objective, "direction": OBJECTIVES[objective], "scenarios": n,
                            "confidence": confidence, "strategy": json.dumps(base.to_dict()),
                            "complaint_budget": "none" if complaint_budget is None else complaint_budget})
    if not feasible.any():
        res.attrs["best"] = "none: no setting is within the complaint budget"
        return res
    means = np.where(feasible, score.mean(axis=1), -np.inf)
    order = np.argsort(-means, kind="stable")
    best = int(order[0])
    b = totals[objective][best]
    res.attrs["best"] = json.dumps({k: _plain(v) for k, v in zip(keys, combos[best], strict=True)})
    for k, v in zip(keys, combos[best], strict=True):
        res.attrs[f"best_{k}"] = _plain(v)
    bse = b.std(ddof=1) / np.sqrt(n)
    res.attrs["best_objective"] = [float(b.mean()), float(b.mean() - z * bse), float(b.mean() + z * bse)]
    if feasible.sum() > 1:
        d = score[best] - score[int(order[1])]
        dse = d.std(ddof=1) / np.sqrt(n)
        res["margin"] = ("bound", [d.mean(), d.mean() - z * dse, d.mean() + z * dse],
                         {"description": "best setting's objective minus the runner-up's (paired; positive: better)"})
        res.attrs["runner_up"] = json.dumps({k: _plain(v) for k, v in zip(keys, combos[int(order[1])], strict=True)})
    return res
