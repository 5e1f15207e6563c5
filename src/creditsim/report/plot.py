"""Figures of a result Dataset.  Each takes the data and an optional ``ax`` and returns the
matplotlib Figure; matplotlib is imported only when a figure is drawn.

A result sampled with importance weights (``simulate(..., macro_mean=...)``: it holds
``scenario_weight``) is drawn with them wherever a figure averages or takes quantiles over
scenarios: means of paths and shares are the self-normalised Σw·x/Σw (which stays within
the range of x), medians and bands are weighted quantiles (the weighted empirical CDF,
weights w/Σw), the loss histogram's bars are the estimated density (each scenario w/S, log
scale); titles say
"importance-weighted".  A result without weights (or with all weights 1) is drawn exactly
as before.  How the scenarios were drawn (strata, antithetic pairs, quasi-random
replicates) changes only error bars, which these figures do not draw."""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

__all__ = ["loss_distribution", "delinquency_paths", "delinquency_ratios", "loss_paths", "cash_flows",
           "strategy_differences", "recovery_curves", "state_fan", "roll_rates", "losses_by_segment",
           "cost_and_recovery", "vintage_curves"]


def _axes(ax):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    return ax.figure, ax


_NAMES = {"loss": "loss", "net_credit_loss": "net credit loss"}


def loss_distribution(ds: xr.Dataset, summary: xr.Dataset | None = None, *, ax=None, bins: int = 50,
                      variable: str | None = None):
    """Histogram of the loss over scenarios as a percentage of the book's exposure (its
    balance at month 0), with the expected loss and, from ``summary`` (a
    ``creditsim.risk_summary`` result), the VaR (dashed) and expected shortfall
    (dotted) at each level.

    ``variable`` is the loss plotted; default the summary's variable, else as
    ``creditsim.risk_summary`` chooses (``net_credit_loss`` for a book with terms).

    A result with importance weights (``scenario_weight``, from ``macro_mean``) is drawn
    with them: each scenario counts w/S, so a bar's height is the estimated probability
    density of the loss in the unshifted economy over its bin (log scale).  A run aimed at
    the tail samples little of the body of the distribution: the bars show the tail, and
    the body has no bars (its mass is not scaled into them).  The expected loss is
    mean(w·L), the estimator of ``creditsim.risk_summary``.
    """
    from ..results.risk import loss_per_scenario

    if variable is None and summary is not None:
        variable = summary.attrs.get("variable")
    variable, x = loss_per_scenario(ds, variable, caller="loss_distribution")
    fig, ax = _axes(ax)
    expo = float(ds.attrs.get("total_exposure", 1.0)) or 1.0
    rate = 100 * np.asarray(x.values, dtype=np.float64) / expo
    w = _scenario_weights(ds)
    if w is None:
        ax.hist(rate, bins=bins, color="0.75", edgecolor="0.45", linewidth=0.5)
        mean = rate.mean()
    else:
        # each scenario counts w/S: the bars estimate the loss's probability density where
        # the shifted scenarios fall (the tail), on a log scale; where they do not fall (most
        # of the body of a tail-aimed run) there is no bar, rather than the tail's bars
        # scaled up to a whole distribution
        edges = np.histogram_bin_edges(rate, bins=bins)
        width = float(edges[1] - edges[0]) or 1.0
        ax.hist(rate, bins=edges, weights=w.values / (rate.size * width), color="0.75", edgecolor="0.45",
                linewidth=0.5)
        ax.set_yscale("log")
        mean = float(np.mean(w.values * rate))  # as risk_summary's expected loss: mean(w·L)
    ax.axvline(mean, color="k", lw=1.5, label=f"expected loss: {mean:.2f}%")
    if summary is not None:
        colors = ["tab:orange", "tab:red", "tab:purple", "tab:brown"]
        for i, lvl in enumerate(summary.level.values):
            c = colors[i % len(colors)]
            v = 100 * float(summary["var"].sel(level=lvl, bound="estimate")) / expo
            e = 100 * float(summary["es"].sel(level=lvl, bound="estimate")) / expo
            ax.axvline(v, color=c, lw=1.5, ls="--", label=f"VaR {100 * lvl:g}%: {v:.2f}%")
            ax.axvline(e, color=c, lw=1.5, ls=":", label=f"expected shortfall {100 * lvl:g}%: {e:.2f}%")
    months = ds.sizes["month"] - 1
    ax.set_xlabel(f"{_NAMES.get(variable, variable)} over {months} months (% of exposure at month 0)")
    ax.set_ylabel("number of scenarios" if w is None else "probability density (per % of exposure), log scale")
    ax.set_title(f"Loss distribution: {ds.sizes['scenario']:,} scenarios"
                 + ("" if w is None else " (importance-sampled, weighted)")
                 + f", {int(ds.attrs.get('n_loans', 0)):,} loans")
    ax.legend(fontsize=8, loc="upper right", framealpha=0.95, facecolor="white", edgecolor="0.8")
    return fig


def _scenario_weights(ds: xr.Dataset) -> xr.DataArray | None:
    """The scenarios' importance-sampling weights (``scenario_weight``, likelihood ratios of
    a run with ``macro_mean``) as float64, or None for a plain run (or one whose weights
    are all 1, as ``creditsim.risk_summary`` takes it): the figures then average as they
    always did."""
    from ..results.risk import _weights

    w = _weights(ds, ds.sizes["scenario"], "plot")
    if w is not None and not np.any(w > 0):
        raise ValueError("plot: scenario_weight is 0 in every scenario; a weighted mean needs one weight > 0")
    return None if w is None else xr.DataArray(w, dims="scenario")


def _mean(x: xr.DataArray, w: xr.DataArray | None) -> xr.DataArray:
    """The mean of ``x`` over scenarios: ``x.mean("scenario")`` without weights; with
    importance weights ``w`` the self-normalised Σw·x/Σw (over the scenarios where ``x``
    has a value, NaN where none has), which stays within the range of ``x`` (a share stays
    a share)."""
    if w is None:
        return x.mean("scenario")
    ok = x.notnull()
    num = (x.where(ok, 0.0) * w).sum("scenario")
    den = w.where(ok, 0.0).sum("scenario")
    return num / den.where(den > 0)


def _weighted_quantile(values, weights, q, axis: int = -1) -> np.ndarray:
    """The ``q`` quantile (a scalar in [0, 1]) of ``values`` along ``axis`` under the
    weighted empirical distribution, each value with probability ``weights / Σ weights``:
    the smallest value whose weighted CDF reaches ``q`` (numpy's ``method="inverted_cdf"``
    when the weights are equal).  ``weights``: the shape of ``values``, or one weight per
    position along ``axis``.  NaN values are left out (their weight with them); NaN where
    no value with positive weight is left."""
    x = np.moveaxis(np.asarray(values, dtype=np.float64), axis, -1)
    w = np.asarray(weights, dtype=np.float64)
    w = np.broadcast_to(w if w.ndim == 1 else np.moveaxis(w, axis, -1), x.shape)
    order = np.argsort(x, axis=-1, kind="stable")  # NaN last
    xs = np.take_along_axis(x, order, axis=-1)
    ws = np.take_along_axis(w, order, axis=-1)
    ws = np.where(np.isnan(xs), 0.0, ws)
    cum = np.cumsum(ws, axis=-1)
    total = cum[..., -1:]
    hit = (cum >= q * total) & (ws > 0)
    i = np.argmax(hit, axis=-1)[..., None]
    out = np.take_along_axis(xs, i, axis=-1)[..., 0]
    return np.where(hit.any(axis=-1) & (total[..., 0] > 0), out, np.nan)


def _quantile(x: xr.DataArray, q: float, w: xr.DataArray | None) -> xr.DataArray:
    """The ``q`` quantile of ``x`` over scenarios: ``x.quantile(q, "scenario")`` (linear
    interpolation) without weights; with importance weights ``w`` the weighted quantile
    (``_weighted_quantile``: the weighted empirical CDF, weights w/Σw)."""
    if w is None:
        return x.quantile(q, dim="scenario")
    ax = x.get_axis_num("scenario")
    out = _weighted_quantile(x.values, w.values, q, axis=ax)
    return xr.DataArray(out, dims=[d for d in x.dims if d != "scenario"],
                        coords={k: v for k, v in x.coords.items() if "scenario" not in v.dims}).assign_coords(quantile=q)


def _bands(x: xr.DataArray, quantiles, w: xr.DataArray | None = None) -> list:
    """Quantiles of ``x`` over scenarios (weighted quantiles with importance weights ``w``,
    see ``_quantile``); NaN (a gap in the band) in a month where no scenario has a value (a
    ratio with nothing live to divide by)."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "All-NaN slice", RuntimeWarning)
        return [_quantile(x, q, w) for q in quantiles]


def _weighted_note(ds: xr.Dataset) -> str:
    """``", importance-weighted"`` for a result with importance weights, for titles."""
    return ", importance-weighted" if _scenario_weights(ds) is not None else ""


def _labelled(results) -> dict:
    return {"": results} if isinstance(results, xr.Dataset) else dict(results)


def delinquency_ratios(results, days=(30, 90), *, ax=None, quantiles=(0.05, 0.95), months: int | None = None):
    """The "30+" and "90+" ratios (``creditsim.delinquency_ratios``, % of the live
    book's balance) by month, mean over scenarios with a ``quantiles`` band.  A result with
    importance weights (``scenario_weight``) is averaged with them (the self-normalised
    Σw·x/Σw) and its band is of weighted quantiles.

    ``results`` is a result with loan terms, or a dict ``{label: result}`` to compare
    several (e.g. baseline and a stress scenario) on one set of axes.  ``months`` (default
    all) is the last month shown: in a book that takes no new loans the ratios climb towards
    100% as the good loans repay, so the first months are the ones to read.
    """
    from ..results.risk import delinquency_ratios as ratios

    fig, ax = _axes(ax)
    results = _labelled(results)
    styles = ["-", "--", ":", "-."]
    colors = ["tab:blue", "tab:red", "tab:green", "tab:purple"]
    weighted = False
    for j, (label, ds) in enumerate(results.items()):
        if months is not None:
            ds = ds.sel(month=slice(0, months))
        r = 100 * ratios(ds, days)
        w = _scenario_weights(ds)
        weighted |= w is not None
        month = ds["month"].values
        for i, d in enumerate(r.days.values):
            x = r.sel(days=d)
            name = f"{d}+" + (f", {label}" if label else "")
            ax.plot(month, _mean(x, w), color=colors[i % 4], ls=styles[j % 4], lw=1.5, label=name)
            if x.sizes["scenario"] > 1:
                lo, hi = _bands(x, quantiles, w)
                ax.fill_between(month, lo, hi, color=colors[i % 4], alpha=0.12, lw=0)
    ax.set_xlabel("month")
    ax.set_ylabel("% of live balance past due")
    ax.set_title(f"Delinquency ratios, mean over scenarios{', importance-weighted' if weighted else ''} "
                 f"(bands: {100 * quantiles[0]:g}–{100 * quantiles[1]:g}% of scenarios)", fontsize=10)
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    ax.set_xlim(month[0], month[-1])
    ax.set_ylim(bottom=0)
    return fig


def loss_paths(results, *, variable: str = "net_credit_loss", ax=None, quantiles=(0.05, 0.95)):
    """Cumulative loss by month as % of the book's exposure at month 0: mean over
    scenarios with a ``quantiles`` band, for a result or a dict ``{label: result}``.

    ``variable`` is a ``(scenario, month)`` variable; default ``net_credit_loss`` (books
    with loan terms).  A result with importance weights (``scenario_weight``) is averaged
    with them (the self-normalised Σw·x/Σw) and its band is of weighted quantiles.
    """
    fig, ax = _axes(ax)
    colors = ["k", "tab:red", "tab:blue", "tab:green"]
    weighted = False
    for j, (label, ds) in enumerate(_labelled(results).items()):
        if variable not in ds or ds[variable].dims != ("scenario", "month"):
            raise ValueError(f"loss_paths: the result has no (scenario, month) variable {variable!r}")
        expo = float(ds.attrs.get("total_exposure", 1.0)) or 1.0
        x = 100 * ds[variable].cumsum("month") / expo
        w = _scenario_weights(ds)
        weighted |= w is not None
        month = ds["month"].values
        c = colors[j % len(colors)]
        ax.plot(month, _mean(x, w), color=c, lw=1.5, label=f"mean{', ' + label if label else ''}")
        lo, hi = _bands(x, quantiles, w)
        ax.fill_between(month, lo, hi, color=c, alpha=0.15, lw=0,
                        label=f"{100 * quantiles[0]:g}–{100 * quantiles[1]:g}% of scenarios"
                              f"{', ' + label if label else ''}")
    ax.set_xlabel("month")
    ax.set_ylabel("% of exposure at month 0")
    ax.set_title(f"Cumulative {_NAMES.get(variable, variable)} by month"
                 + (" (scenarios importance-weighted)" if weighted else ""), fontsize=10)
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    ax.set_xlim(month[0], month[-1])
    ax.set_ylim(bottom=0)
    return fig


_FLOWS = {"interest_received": "interest received", "principal_repaid": "principal repaid",
          "credit_charge_offs": "credit charge-offs", "fraud_losses": "fraud losses",
          "collection_costs": "collection costs", "recoveries": "recoveries"}


def cash_flows(ds: xr.Dataset, *, ax=None, scale: float = 1e6, flows=None):
    """The book's cash flows by month (mean over scenarios, in ``scale`` yuan; default
    millions): money in (interest, principal, recoveries) above the axis, charge-offs and
    costs below it, for a result with loan terms.

    ``flows`` names the variables shown (default all of ``interest_received``,
    ``principal_repaid``, ``recoveries``, ``credit_charge_offs``, ``fraud_losses``,
    ``collection_costs``); flows that are zero throughout are left out.  Principal dwarfs
    the rest: leave it out to read interest against losses.  A result with importance
    weights (``scenario_weight``) is averaged with them (the self-normalised Σw·x/Σw).
    """
    if "interest_received" not in ds:
        raise ValueError("cash_flows: the result has no cash flows (simulate a book with loan terms)")
    fig, ax = _axes(ax)
    month = ds["month"].values[1:]
    width = 0.8
    up = np.zeros(month.size)
    down = np.zeros(month.size)
    names = list(_FLOWS) if flows is None else list(flows)
    w = _scenario_weights(ds)
    unknown = [n for n in names if n not in _FLOWS]
    if unknown:
        raise ValueError(f"cash_flows: unknown flows {unknown!r}; known: {list(_FLOWS)!r}")
    for name in names:
        label = _FLOWS[name]
        v = _mean(ds[name], w).values[1:] / scale
        if not np.any(v):
            continue
        out = name in ("credit_charge_offs", "fraud_losses", "collection_costs")
        base = down if out else up
        ax.bar(month, -v if out else v, width, bottom=base, label=label)
        if out:
            down -= v
        else:
            up += v
    unit = {1e6: "million ", 1e3: "thousand ", 1e9: "billion ", 1.0: ""}.get(scale, f"{scale:g} ")
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlabel("month")
    ax.set_ylabel(f"{unit}{ds.attrs.get('currency', 'CNY')} per month (out is negative)")
    ax.set_title(f"Cash flows by month, mean over scenarios{_weighted_note(ds)}", fontsize=10)
    ax.legend(fontsize=8, frameon=False, loc="upper right")
    return fig


def _absorbing(ds: xr.Dataset) -> set[str]:
    return set(json.loads(ds.attrs["model"])["states"]["absorbing"]) if "model" in ds.attrs else set()


def delinquency_paths(ds: xr.Dataset, states=None, *, ax=None, quantiles=(0.05, 0.95)):
    """Share of live loans (not in an absorbing state) in each of ``states`` by month,
    averaged over scenarios, with a ``quantiles`` band over scenarios for their total.

    ``states`` defaults to every non-absorbing state but the first (for the default state
    space: everything but ``current``).  A result with importance weights
    (``scenario_weight``) is averaged with them (the self-normalised Σw·x/Σw) and its band is
    of weighted quantiles.
    """
    fig, ax = _axes(ax)
    absorbing = _absorbing(ds)
    transient = [s for s in ds.state.values if s not in absorbing]
    if states is None:
        states = transient[1:] if len(transient) > 1 else transient
    occ = ds["occupancy"].sum("segment")
    live = occ.sel(state=transient).sum("state")
    share = 100 * occ.sel(state=list(states)) / live.where(live > 0)
    month = ds["month"].values
    w = _scenario_weights(ds)
    for s in states:
        ax.plot(month, _mean(share.sel(state=s), w), lw=1.5, label=s)
    total = share.sum("state")
    lo, hi = _bands(total, quantiles, w)
    ax.plot(month, _mean(total, w), color="k", lw=1.5, label="total of these states")
    ax.fill_between(month, lo, hi, color="0.5", alpha=0.2, lw=0,
                    label=f"total, {100 * quantiles[0]:g}–{100 * quantiles[1]:g}% of scenarios")
    ax.set_xlabel("month")
    ax.set_ylabel("share of live loans (%)")
    ax.set_title("States as a share of live loans (not paid off, not charged off), mean over scenarios"
                 + _weighted_note(ds), fontsize=10)
    ax.legend(fontsize=8, frameon=False, ncol=2, loc="upper left")
    ax.set_xlim(month[0], month[-1])
    ax.set_ylim(bottom=0)
    return fig


def strategy_differences(comparison: xr.Dataset, measure: str = "net_credit_loss", *, ax=None, scale: float = 1e6):
    """Paired differences against the baseline of a ``creditsim.compare`` result, one bar
    per strategy with its interval (in ``scale`` yuan; default millions, 1 for counts such
    as ``complaints``)."""
    if f"{measure}_diff" not in comparison:
        raise ValueError(f"strategy_differences: {measure!r} is not in the comparison; measures are "
                         f"{[v[:-5] for v in comparison.data_vars if v.endswith('_diff')]!r}")
    fig, ax = _axes(ax)
    d = comparison[f"{measure}_diff"]
    names = [str(x) for x in comparison.strategy.values]
    est = d.sel(bound="estimate").values / scale
    lo = d.sel(bound="lower").values / scale
    hi = d.sel(bound="upper").values / scale
    better = d.attrs.get("better", "lower")
    good = (est < 0) if better == "lower" else (est > 0)
    colors = np.where(good, "tab:green", "tab:red")
    colors[np.array(names) == comparison.attrs.get("baseline")] = "0.6"
    y = np.arange(len(names))
    ax.barh(y, est, color=colors, xerr=np.vstack([est - lo, hi - est]), capsize=3)
    ax.axvline(0, color="k", lw=0.8)
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    units = d.attrs.get("units", "")
    unit = {1e6: "million ", 1e3: "thousand ", 1.0: ""}.get(scale, f"{scale:g} ") + units
    ax.set_xlabel(f"{measure.replace('_', ' ')}: difference from {comparison.attrs.get('baseline')!r} "
                  f"({unit.strip()}; {better} is better)")
    ax.set_title(f"Paired differences over {comparison.attrs.get('scenarios')} scenarios, "
                 f"{100 * comparison.attrs.get('confidence', 0.95):g}% intervals", fontsize=10)
    return fig


def recovery_curves(comparison: xr.Dataset, *, by: str = "charge_off", ax=None):
    """Recovery curves, one line per strategy, from a ``creditsim.compare`` result or
    one curve of ``creditsim.recovery_curves``: % recovered (cumulative) by months
    since charge-off (``by="charge_off"``, the default), since placement
    (``"placement"``) or since first delinquency (``"delinquency"``)."""
    from ..results.compare import CURVES

    if isinstance(comparison, xr.DataArray):  # one curve: its age dimension says which
        by = next((b for b, c in CURVES.items() if c[2] in comparison.dims), by)
    if by not in CURVES:
        raise ValueError(f"plot.recovery_curves: by must be one of {list(CURVES)!r}, got {by!r}")
    name = "recovery_curve" if by == "charge_off" else f"{by}_curve"
    curve = comparison[name] if isinstance(comparison, xr.Dataset) else comparison
    dim = CURVES[by][2]
    fig, ax = _axes(ax)
    age = curve[dim].values
    for s in curve.strategy.values:
        ax.plot(age, 100 * curve.sel(strategy=s).values, lw=1.5, label=str(s))
    ax.set_xlabel({"charge_off": "months since charge-off",
                   "placement": "months since placement (0 = the month placed)",
                   "delinquency": "months since first past due"}[by])
    ax.set_ylabel({"charge_off": "% of charged-off exposure recovered",
                   "placement": "% of the placed balance collected",
                   "delinquency": "% of the balance at first delinquency collected"}[by] + " (cumulative)")
    ax.set_title({"charge_off": "Recoveries after charge-off", "placement": "Collections on placed accounts",
                  "delinquency": "Collections on newly delinquent loans"}[by] + " (all scenarios pooled)",
                 fontsize=10)
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    ax.set_xlim(age[0], age[-1])
    ax.set_ylim(bottom=0)
    return fig


def _money_unit(values, currency: str) -> tuple[float, str]:
    """A scale for money axes (1, thousand, million or billion) fitting ``values``."""
    top = float(np.nanmax(np.abs(values))) if np.size(values) else 0.0
    for scale, word in ((1e9, "billion "), (1e6, "million "), (1e3, "thousand ")):
        if top >= 10 * scale:
            return scale, f"{word}{currency}"
    return 1.0, currency


def state_fan(ds: xr.Dataset, states=None, *, ax=None, bands=((0.05, 0.95), (0.25, 0.75)), share_of: str = "book"):
    """Fan chart of the loans in each state by month across scenarios: the median (line)
    and the ``bands`` of scenarios (shaded, widest palest), one panel per state.

    ``states`` defaults to every state but the first live one (``current`` for the default
    state space: the rest are what a risk officer watches). ``share_of="book"`` (default)
    shows % of the book's loans, ``"live"`` % of the loans not paid off or charged off
    (absorbing states are then left out). ``ax``: one Axes (for one state) or an array of
    as many Axes as states; default a grid of panels.

    A result with importance weights (``scenario_weight``) takes weighted quantiles (the
    weighted empirical distribution over scenarios, weights w/Σw) for the median and bands.
    """
    import matplotlib.pyplot as plt

    if share_of not in ("book", "live"):
        raise ValueError(f"state_fan: share_of must be 'book' or 'live', got {share_of!r}")
    absorbing = _absorbing(ds)
    names = [str(x) for x in ds.state.values]
    live_states = [x for x in names if x not in absorbing]
    if states is None:
        states = [x for x in names if x != (live_states[0] if live_states else None)]
        if share_of == "live":
            states = [x for x in states if x not in absorbing]
    states = list(states)
    unknown = [x for x in states if x not in names]
    if unknown or not states:
        raise ValueError(f"state_fan: states {unknown or states!r} are not states of the result; they are {names!r}")
    occ = ds["occupancy"].sum("segment").astype(np.float64)
    den = occ.sum("state") if share_of == "book" else occ.sel(state=live_states).sum("state")
    share = 100 * occ.sel(state=states) / den.where(den > 0)
    if ax is None:
        cols = min(3, len(states))
        rows = -(-len(states) // cols)
        fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.6 * rows + 0.6), layout="constrained",
                                 squeeze=False)
        for a in axes.flat[len(states):]:
            a.set_visible(False)
        axes = list(axes.flat)
    else:
        axes = list(np.atleast_1d(ax).flat)
        if len(axes) != len(states):
            raise ValueError(f"state_fan: ax has {len(axes)} axes for {len(states)} states")
        fig = axes[0].figure
    month = ds["month"].values
    w = _scenario_weights(ds)
    for a, name in zip(axes[: len(states)], states, strict=True):
        x = share.sel(state=name)
        for i, (lo_q, hi_q) in enumerate(sorted(bands, key=lambda b: b[0])):
            lo, hi = _bands(x, (lo_q, hi_q), w)
            a.fill_between(month, lo, hi, color="tab:blue", alpha=0.15 + 0.2 * i, lw=0,
                           label=f"{100 * lo_q:g}–{100 * hi_q:g}% of scenarios")
        a.plot(month, x.median("scenario") if w is None else _quantile(x, 0.5, w), color="tab:blue", lw=1.5,
               label="median")
        a.set_title(name, fontsize=9)
        a.set_xlim(month[0], month[-1])
        a.set_ylim(bottom=0)
        a.tick_params(labelsize=8)
    cols = axes[0].get_subplotspec().get_gridspec().ncols if axes[0].get_subplotspec() is not None else 1
    for i, a in enumerate(axes[: len(states)]):
        if i % cols == 0:
            a.set_ylabel(f"% of {'the book' if share_of == 'book' else 'live loans'}", fontsize=8)
        if i + cols >= len(states):  # no panel below it
            a.set_xlabel("month", fontsize=8)
    axes[0].legend(fontsize=7, frameon=False, loc="best")
    if ax is None:
        fig.suptitle(f"Loans by state over {ds.sizes['scenario']:,} scenarios{_weighted_note(ds)}: median and bands",
                     fontsize=10)
    return fig


def roll_rates(ds: xr.Dataset, segment: str | None = None, *, ax=None, strategy: str | None = None):
    """Heatmap of the simulated roll-rate matrix (``creditsim.roll_rates``): rows the
    state at the start of a month, columns the state at its end, each cell the % of the row's
    loan-months, pooled over months and scenarios; rows no open loan was in are left out.
    The colour scale is logarithmic (0.01% to 100%) so that small roll rates show.

    ``segment`` as ``creditsim.roll_rates`` (default all together); ``strategy`` picks
    one strategy of a strategy run (default the first).
    """
    from matplotlib.colors import LogNorm

    from ..results.risk import roll_rates as rates

    rr = rates(ds, segment)
    if "strategy" in rr.dims:
        rr = rr.sel(strategy=strategy if strategy is not None else rr.strategy.values[0])
    rr = rr.isel(state=np.flatnonzero(np.isfinite(rr.values).all(axis=1)))
    fig, ax = _axes(ax) if ax is not None else _axes_sized((8, 0.45 * rr.sizes["state"] + 2.4))
    pct = 100 * rr.values
    im = ax.imshow(np.where(pct > 0, pct, np.nan), norm=LogNorm(vmin=0.01, vmax=100), cmap="YlOrRd",
                   aspect="auto")
    for (i, j), v in np.ndenumerate(pct):
        if v > 0:
            text = f"{v:.1f}" if v >= 0.1 else "<0.1"
            ax.text(j, i, text, ha="center", va="center", fontsize=7, color="white" if v >= 30 else "black")
    ax.set_xticks(range(rr.sizes["to_state"]), [str(x) for x in rr.to_state.values], rotation=35, ha="right",
                  fontsize=8)
    ax.set_yticks(range(rr.sizes["state"]), [f"{x} ({n:,})" for x, n in zip(rr.state.values, rr.loan_months.values, strict=True)],
                  fontsize=8)
    ax.set_xlabel("state at the end of the month")
    ax.set_ylabel("state at the start of the month (loan-months)")
    fig.colorbar(im, ax=ax, label="% of the row's loan-months")
    what = f"segment {segment}" if segment is not None else "all segments"
    ax.set_title(f"Simulated roll rates ({what}; pooled over months and scenarios{_weighted_note(ds)})",
                 fontsize=10)
    return fig


def _axes_sized(size):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=size, layout="constrained")
    return fig, ax


def losses_by_segment(ds: xr.Dataset, *, ax=None):
    """Charge-off losses over the horizon by segment and cause (credit, fraud), mean over
    scenarios: bars in money, stacked, each labelled with its % of the segment's exposure at
    month 0.  Before recoveries and collection costs (which are not kept by segment).  A
    result with importance weights (``scenario_weight``) is averaged with them (the
    self-normalised Σw·x/Σw)."""
    if "loss_by_segment" not in ds:
        raise ValueError("losses_by_segment: the result has no 'loss_by_segment'")
    fig, ax = _axes(ax)
    segs = [str(x) for x in ds.segment.values]
    w = _scenario_weights(ds)
    credit = _mean(ds["loss_by_segment"], w).values
    fraud = _mean(ds["fraud_loss"], w).values if "fraud_loss" in ds else np.zeros(len(segs))
    expo = ds["initial_exposure"].sum("state").values
    scale, unit = _money_unit(credit + fraud, ds.attrs.get("currency", "CNY"))
    y = np.arange(len(segs))
    ax.barh(y, credit / scale, color="tab:red", label="credit")
    if np.any(fraud):
        ax.barh(y, fraud / scale, left=credit / scale, color="tab:purple", label="fraud (after police recovery)")
    for i in range(len(segs)):
        total = credit[i] + fraud[i]
        share = 100 * total / expo[i] if expo[i] > 0 else np.nan
        ax.text(total / scale, i, f"  {share:.2f}%", va="center", fontsize=8)
    ax.set_yticks(y, segs)
    ax.invert_yaxis()
    ax.set_xlabel(f"charge-off loss over {ds.sizes['month'] - 1} months, mean over scenarios{_weighted_note(ds)} "
                  f"({unit})")
    ax.set_ylabel("segment")
    ax.set_xlim(0, 1.18 * max(float(np.max(credit + fraud)) / scale, 1e-12))
    ax.set_title("Losses by segment and cause (labels: % of the segment's exposure at month 0)", fontsize=10)
    # on a white box: the legend sits over the last bar, whose colour would hide the "credit" patch
    ax.legend(fontsize=8, loc="lower right", framealpha=0.95, facecolor="white", edgecolor="0.8")
    return fig


def cost_and_recovery(comparison: xr.Dataset, *, ax=None):
    """Each strategy of a ``creditsim.compare`` result as a point: its collection costs
    (x) against its recoveries after charge-off (y), totals over the horizon, mean over
    scenarios with their intervals as bars, coloured by its expected regulator complaints.
    Cures by in-house collection show in the net credit loss, not here."""
    for name in ("collection_costs", "recoveries", "complaints"):
        if name not in comparison:
            raise ValueError(f"cost_and_recovery: the comparison has no {name!r}")
    fig, ax = _axes(ax)
    names = [str(x) for x in comparison.strategy.values]
    cost = comparison["collection_costs"].values
    rec = comparison["recoveries"].values
    comp = comparison["complaints"].sel(bound="estimate").values
    scale, unit = _money_unit(np.concatenate([cost[:, 0], rec[:, 0]]), comparison["recoveries"].attrs.get("units", "CNY"))
    x, y = cost[:, 0] / scale, rec[:, 0] / scale
    ax.errorbar(x, y, xerr=np.abs(cost[:, 1:].T / scale - x), yerr=np.abs(rec[:, 1:].T / scale - y), fmt="none",
                ecolor="0.5", lw=1, capsize=2)
    from matplotlib.colors import Normalize

    norm = Normalize(vmin=float(np.min(comp)), vmax=max(float(np.max(comp)), float(np.min(comp)) + 1e-9))
    markers = "osD^vP*Xhp<>"
    for i, n in enumerate(names):  # one marker shape per strategy: points close together stay apart
        sc = ax.scatter(x[i], y[i], c=[comp[i]], cmap="viridis", norm=norm, s=70, zorder=3, edgecolors="k",
                        linewidths=0.6, marker=markers[i % len(markers)], label=n)
    fig.colorbar(sc, ax=ax, label="expected complaints over the horizon")
    ax.legend(fontsize=8, frameon=False, loc="upper left", title="strategy", title_fontsize=8)
    ax.set_xlabel(f"collection costs over the horizon ({unit}; mean, {100 * comparison.attrs['confidence']:g}% interval)")
    ax.set_ylabel(f"recoveries after charge-off ({unit})")
    ax.set_title("Cost against recovery, by strategy", fontsize=10)
    ax.margins(0.15)
    return fig


def vintage_curves(ds: xr.Dataset, *, ax=None, measure: str = "principal", strategy: str | None = None,
                   legend_max: int = 8):
    """Vintage curves of a run with new loans (``simulate(..., originations=...)``): for each
    vintage (the loans lent in one month), the cumulative charge-off rate by months on book,
    mean over scenarios (``creditsim.vintage_curves``), in % of the principal lent
    (``measure="principal"``, the default; the exposure for a book without loan terms) or of
    the loans lent (``"loans"``).

    One line per vintage that reached at least a month on book.  With up to ``legend_max``
    vintages a legend names each; with more, the lines are coloured from the first vintage
    (dark) to the last (light) and a colour bar gives the month each was lent.
    ``strategy`` picks one strategy of a strategy run (default the first).  A result with
    importance weights (``scenario_weight``) is averaged with them (the self-normalised
    Σw·x/Σw).
    """
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.colors import ListedColormap, Normalize
    from matplotlib.ticker import MaxNLocator

    from ..results.vintage import vintage_curves as curves

    if "vintage_charged_off" not in ds:
        raise ValueError("plot.vintage_curves: the result has no vintages; simulate it with originations")
    if "strategy" in ds.dims:
        strategy = strategy if strategy is not None else str(ds.strategy.values[0])
        ds = ds.sel(strategy=strategy)
    else:
        strategy = None
    w = _scenario_weights(ds)
    rate = 100 * _mean(curves(ds, measure=measure), w)
    age = rate["months_on_book"].values
    shown = [int(v) for v in rate.vintage.values if np.isfinite(rate.sel(vintage=v).values).any()]
    if not shown:
        raise ValueError("plot.vintage_curves: no vintage reached a month on book within the horizon")
    fig, ax = _axes(ax)
    cmap = ListedColormap(colormaps["viridis"](np.linspace(0.0, 0.9, 256)))  # the palest yellow is hard to see
    norm = Normalize(vmin=shown[0], vmax=max(shown[-1], shown[0] + 1))
    many = len(shown) > legend_max
    lent = ds["originated"].values.astype(np.float64)
    if "redrawn" in ds:  # with repeat draws, the mean over scenarios
        lent = lent + _mean(ds["redrawn"], w).values
    for v in shown:
        ax.plot(age, rate.sel(vintage=v).values, color=cmap(norm(v)), lw=1.2 if many else 1.6,
                label=f"month {v} ({int(lent[v]):,} loans)")
    if many:
        bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label="vintage: month the loans were lent")
        bar.locator = MaxNLocator(integer=True)
        bar.update_ticks()
    else:
        ax.legend(fontsize=8, frameon=False, loc="upper left", title="vintage: month lent", title_fontsize=8)
    what = {"principal": "principal" if "balance" in ds else "exposure", "loans": "loans"}[measure]
    ax.set_xlabel("months on book (1 = the month after the loans were lent)")
    ax.set_ylabel(f"cumulative {what} charged off\n(% of {'loans' if measure == 'loans' else 'the amount'} lent)")
    ax.set_title(f"Vintage curves: charge-offs of each month's new loans, mean over {ds.sizes['scenario']:,} "
                 f"scenarios{_weighted_note(ds)}" + (f" (strategy {strategy})" if strategy else ""), fontsize=10)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(1, max(int(age[-1]) - shown[0], 2))
    ax.set_ylim(bottom=0)
    return fig
