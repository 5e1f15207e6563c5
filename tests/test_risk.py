"""Risk measures against samples whose answers are known."""

import numpy as np
import pytest

import creditsim as cs


def test_risk_measures_on_a_known_sample():
    """Losses 1..100 in random order: VaR 95% is the 95th smallest, ES 95% the mean of the
    five largest, the mean 50.5 and the interval of the mean ±z·sd/√S."""
    import xarray as xr

    loss = np.random.default_rng(0).permutation(np.arange(1.0, 101.0))
    ds = xr.Dataset({"loss": ("scenario", loss)})
    r = cs.risk_summary(ds, levels=[0.95, 0.9], confidence=0.9)
    assert float(r["var"].sel(level=0.95, bound="estimate")) == 95.0
    assert float(r["es"].sel(level=0.95, bound="estimate")) == pytest.approx(98.0)
    assert float(r["var"].sel(level=0.9, bound="estimate")) == 90.0
    assert float(r["es"].sel(level=0.9, bound="estimate")) == pytest.approx(95.5)
    assert float(r["expected_loss"].sel(bound="estimate")) == 50.5
    half = float(r["expected_loss"].sel(bound="upper")) - 50.5
    assert half == pytest.approx(1.6448536269514722 * np.std(loss, ddof=1) / 10)
    # the order-statistic interval of the 90% quantile: ranks from Binomial(100, 0.9)
    from scipy import stats

    lo = int(stats.binom.ppf(0.05, 100, 0.9))
    hi = int(stats.binom.ppf(0.95, 100, 0.9)) + 1
    assert r["var"].sel(level=0.9).values[1:].tolist() == [float(lo), float(hi)]
