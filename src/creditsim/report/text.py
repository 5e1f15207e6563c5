"""Text tables of results: the risk summary as a terminal table, and the unit money is
shown in."""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["money_scale", "format_summary"]


def money_scale(summary: xr.Dataset) -> tuple[float, str]:
    """The unit a summary's amounts are shown in: (1e9, "billion"), (1e6, "million"),
    (1e3, "thousand") or (1, ""), by the largest expected shortfall."""
    top = float(np.nanmax(np.abs(summary["es"].values))) if summary["es"].size else 0.0
    return next(((f, w) for f, w in ((1e9, "billion"), (1e6, "million"), (1e3, "thousand")) if top >= 10 * f),
                (1.0, ""))


def format_summary(summary: xr.Dataset) -> str:
    """A short text table of a ``risk_summary`` result: each measure as a percentage of
    the book's exposure at month 0 and as an amount, with its Monte Carlo interval."""
    expo = float(summary.attrs.get("total_exposure", np.nan))
    units = summary["expected_loss"].attrs.get("units", "")
    conf = summary.attrs["confidence"]
    scale, word = money_scale(summary)
    has_pct = np.isfinite(expo) and expo > 0

    def num(x, f, fmt):
        return format(x / f, fmt) if np.isfinite(x) else "n/a"

    def line(label, row):
        est, lo, hi = (float(a) for a in row)
        pct = (f"{num(est, expo / 100, '6.2f')}%  [{num(lo, expo / 100, '.2f')}, "
               f"{num(hi, expo / 100, '.2f')}]" if has_pct else "")
        amt = f"{num(est, scale, ',.1f'):>9}  [{num(lo, scale, ',.1f')}, {num(hi, scale, ',.1f')}]"
        note = "" if np.isfinite(lo) and np.isfinite(hi) else "  *"
        return f"  {label:<26}{pct:<26}{amt}{note}"

    a = summary.attrs
    how = [f"in {a['macro_strata']:,} strata" if a.get("macro_strata") else "",
           "in antithetic pairs" if a.get("macro_antithetic") else "",
           f"as {a['macro_sobol']:,} quasi-random replicates" if a.get("macro_sobol") else ""]
    how = " ".join(x for x in how if x)
    if a.get("importance_sampling"):
        sampled = f" (importance-sampled macro paths{' ' + how if how else ''}, weighted)"
    else:
        sampled = f" (macro paths {how})" if how else ""
    head = (f"Loss over {summary.attrs['scenarios']:,} scenarios{sampled}"
            + (f", exposure at month 0 {expo / scale:,.1f} {word} {units}" if has_pct else "")
            + f"; {conf:.0%} Monte Carlo intervals")
    cols = f"  {'':<26}{'% of exposure' if has_pct else '':<26}{(word + ' ' + units).strip()}"
    out = [head, cols]
    out.append(line("expected loss", summary["expected_loss"].values))
    out.append(line("standard deviation", summary["std"].values))
    for lvl in summary.level.values:
        out.append(line(f"VaR {100 * lvl:g}%", summary["var"].sel(level=lvl).values))
        out.append(line(f"expected shortfall {100 * lvl:g}%", summary["es"].sel(level=lvl).values))
    if any("*" in row for row in out[2:]):
        out.append("  * too few scenarios beyond this level for the full interval (n/a)")
    return "\n".join(out)
