"""Vintage views of a run with new loans: the standard vintage curve."""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["vintage_curves"]


def vintage_curves(ds: xr.Dataset, *, measure: str = "principal") -> xr.DataArray:
    """The vintage curve: for each vintage (month of origination), the cumulative
    charge-off rate by months on book, in each scenario.

    ``measure="principal"`` (default): principal charged off (exposure without loan terms)
    up to each month on book over the amount lent in the vintage; ``"loans"``: loans
    charged off over loans lent.  Returns ``(scenario, vintage, months_on_book)``, NaN
    where the vintage has not reached that age by the horizon (and for vintages with no
    loans); months on book 1 is the month after the vintage's.  With repeat borrowing a
    vintage holds the month's new loans and repeat draws (``redrawn``), in each scenario.  Vintage 0 (the book at
    month 0, of mixed ages) is left out.  A result of ``simulate(..., originations=...)``.
    """
    if "vintage_charged_off" not in ds:
        raise ValueError("vintage_curves: the result has no vintages; simulate it with originations")
    if measure not in ("principal", "loans"):
        raise ValueError(f"vintage_curves: measure must be 'principal' or 'loans', got {measure!r}")
    if "strategy" in ds.dims:
        raise ValueError("vintage_curves: select one strategy first (ds.sel(strategy=...))")
    flow = ds["vintage_charged_off_principal" if measure == "principal" else "vintage_charged_off"]
    x = flow.values.astype(np.float64)  # (S, months 0..T, vintages 0..T)
    s, t1, v1 = x.shape
    lent = np.broadcast_to(ds["originated_amount" if measure == "principal" else "originated"].values
                           .astype(np.float64), (s, v1))
    if "redrawn" in ds:  # repeat draws join the vintage of their month, in each scenario
        lent = lent + ds["redrawn_amount" if measure == "principal" else "redrawn"].values
    lent = np.where(lent > 0, lent, np.nan)
    horizon = t1 - 1
    ages = np.arange(1, horizon + 1)
    out = np.full((s, v1 - 1, horizon), np.nan)
    for v in range(1, v1):
        n = horizon - v  # ages 1..n are observed
        if n < 1:
            continue
        out[:, v - 1, :n] = np.cumsum(x[:, v + 1: v + 1 + n, v], axis=1) / lent[:, v, None]
    return xr.DataArray(out, dims=("scenario", "vintage", "months_on_book"),
                        coords={"scenario": ds.scenario.values, "vintage": np.arange(1, v1),
                                "months_on_book": ages},
                        name="cumulative_charge_off_rate",
                        attrs={"units": "1", "description": f"cumulative {measure} charged off by months on book "
                               f"over the {measure} lent in the vintage"})
