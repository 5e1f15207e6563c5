"""Figures of a result Dataset.  Each takes the data and an optional ``ax`` and returns the
matplotlib Figure; matplotlib is imported only when a figure is drawn."""

from __future__ import annotations

import json

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
    VaR (dashed) and expected shortfall (dotted) at each level."""
    fig, ax = _axes(ax)
    expo = float(ds.attrs.get("total_exposure", 1.0)) or 1.0
    rate = 100 * ds["loss"].values / expo
    ax.hist(rate, bins=bins, color="0.75", edgecolor="0.45", linewidth=0.5)
    ax.axvline(rate.mean(), color="k", lw=1.5, label=f"expected loss: {rate.mean():.2f}%")
    if summary is not None:
        colors = ["tab:orange", "tab:red", "tab:purple", "tab:brown"]
        for i, lvl in enumerate(summary.level.values):
            c = colors[i % len(colors)]
            v = 100 * float(summary["var"].sel(level=lvl, bound="estimate")) / expo
            e = 100 * float(summary["es"].sel(level=lvl, bound="estimate")) / expo
            ax.axvline(v, color=c, lw=1.5, ls="--", label=f"VaR {100 * lvl:g}%: {v:.2f}%")
            ax.axvline(e, color=c, lw=1.5, ls=":", label=f"expected shortfall {100 * lvl:g}%: {e:.2f}%")
    months = ds.sizes["month"] - 1
    ax.set_xlabel(f"loss over {months} months (% of exposure at month 0)")
    ax.set_ylabel("number of scenarios")
    ax.set_title(f"Loss distribution: {ds.sizes['scenario']:,} scenarios, "
                 f"{int(ds.attrs.get('n_loans', 0)):,} loans")
    ax.legend(fontsize=8, loc="upper right", framealpha=0.95, facecolor="white", edgecolor="0.8")
    return fig


def _absorbing(ds: xr.Dataset) -> set[str]:
    return set(json.loads(ds.attrs["model"])["states"]["absorbing"]) if "model" in ds.attrs else set()


def delinquency_paths(ds: xr.Dataset, states=None, *, ax=None, quantiles=(0.05, 0.95)):
    """Share of live loans (not in an absorbing state) in each of ``states`` by month,
    averaged over scenarios, with a ``quantiles`` band over scenarios for their total.

    ``states`` defaults to every non-absorbing state but the first (for the default state
    space: everything but ``current``).
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
    for s in states:
        ax.plot(month, share.sel(state=s).mean("scenario"), lw=1.5, label=s)
    total = share.sum("state")
    lo, hi = (total.quantile(q, dim="scenario") for q in quantiles)
    ax.plot(month, total.mean("scenario"), color="k", lw=1.5, label="total of these states")
    ax.fill_between(month, lo, hi, color="0.5", alpha=0.2, lw=0,
                    label=f"total, {100 * quantiles[0]:g}–{100 * quantiles[1]:g}% of scenarios")
    ax.set_xlabel("month")
    ax.set_ylabel("share of live loans (%)")
    ax.set_title("States as a share of live loans (not paid off, not charged off), mean over scenarios",
                 fontsize=10)
    ax.legend(fontsize=8, frameon=False, ncol=2, loc="upper left")
    ax.set_xlim(month[0], month[-1])
    ax.set_ylim(bottom=0)
    return fig
