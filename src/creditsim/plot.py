"""Figures of a result Dataset.  Each takes the data and an optional ``ax`` and returns the
matplotlib Figure; matplotlib is imported only when a figure is drawn."""

from __future__ import annotations

import xarray as xr

__all__ = ["loss_distribution", "delinquency_paths"]


def _axes(ax):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    return ax.figure, ax


def loss_distribution(ds: xr.Dataset, summary: xr.Dataset | None = None, *, ax=None, bins: int = 50):
    """Histogram of the loss over scenarios as a percentage of the book's exposure, with
    the expected loss and, from ``summary`` (a :func:`creditsim.risk_summary` result), the
    VaR and expected shortfall at each level."""
    fig, ax = _axes(ax)
    expo = float(ds.attrs.get("total_exposure", 1.0)) or 1.0
    rate = 100 * ds["loss"].values / expo
    ax.hist(rate, bins=bins, color="0.75", edgecolor="0.45", linewidth=0.5)
    ax.axvline(rate.mean(), color="k", lw=1.5, label=f"expected loss {rate.mean():.2f}%")
    if summary is not None:
        colors = ["tab:orange", "tab:red", "tab:purple", "tab:brown"]
        for i, lvl in enumerate(summary.level.values):
            c = colors[i % len(colors)]
            v = 100 * float(summary["var"].sel(level=lvl, bound="estimate")) / expo
            e = 100 * float(summary["es"].sel(level=lvl, bound="estimate")) / expo
            ax.axvline(v, color=c, lw=1.5, ls="--", label=f"VaR {lvl:.4g}: {v:.2f}%")
            ax.axvline(e, color=c, lw=1.5, ls=":", label=f"ES {lvl:.4g}: {e:.2f}%")
    months = ds.sizes["month"] - 1
    ax.set_xlabel(f"loss over {months} months (% of exposure at month 0)")
    ax.set_ylabel("scenarios")
    ax.set_title(f"Loss distribution, {ds.sizes['scenario']} scenarios, "
                 f"{ds.attrs.get('n_loans', 0):,} loans")
    ax.legend(fontsize=8, frameon=False)
    return fig


def delinquency_paths(ds: xr.Dataset, states=None, *, ax=None, quantiles=(0.05, 0.95)):
    """Share of loans in each of ``states`` (default: every state that is neither absorbing
    nor the first) by month: the mean over scenarios and a ``quantiles`` band."""
    fig, ax = _axes(ax)
    names = list(ds.state.values)
    if states is None:
        import json

        absorbing = set(json.loads(ds.attrs["model"])["states"]["absorbing"]) if "model" in ds.attrs else set()
        transient = [s for s in names if s not in absorbing]
        states = transient[1:] if len(transient) > 1 else transient
    total = ds["occupancy"].isel(month=0, scenario=0).sum()
    share = 100 * ds["occupancy"].sum("segment") / total
    month = ds["month"].values
    for s in states:
        x = share.sel(state=s)
        line, = ax.plot(month, x.mean("scenario"), lw=1.5, label=s)
        lo, hi = (x.quantile(q, dim="scenario") for q in quantiles)
        ax.fill_between(month, lo, hi, color=line.get_color(), alpha=0.15, lw=0)
    ax.set_xlabel("month")
    ax.set_ylabel("share of loans at month 0 (%)")
    ax.set_title(f"States by month: mean and {quantiles[0]:.0%}-{quantiles[1]:.0%} band over scenarios")
    ax.legend(fontsize=8, frameon=False, ncol=2)
    ax.set_xlim(month[0], month[-1])
    ax.set_ylim(bottom=0)
    return fig


