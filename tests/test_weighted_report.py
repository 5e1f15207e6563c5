"""The report and the figures of a result sampled with importance weights
(``scenario_weight``): weighted means (self-normalised Σw·x/Σw) and weighted quantiles over
scenarios, and no change at all for a result without weights."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import xarray as xr  # noqa: E402

import creditsim as cs  # noqa: E402
from creditsim import plot, presets  # noqa: E402
from creditsim.report.plot import _bands, _mean, _quantile, _scenario_weights, _weighted_quantile  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture(scope="module")
def weighted():
    model = presets.jiebei_model()
    book = presets.jiebei_book(2000, seed=1, states=presets.JIEBEI_START)
    ds = cs.simulate(model, book, horizon=6, scenarios=64, seed=1, macro_mean=-1.0)
    w = ds["scenario_weight"].values
    assert w.std() > 0.1  # weights that matter: the checks below would not see them otherwise
    return ds


@pytest.fixture(scope="module")
def plain(weighted):
    """The same scenarios without their weights (a plain run's result)."""
    ds = weighted.drop_vars("scenario_weight")
    ds.attrs = {k: v for k, v in weighted.attrs.items() if k != "macro_mean"}
    return ds


def _wmean(x: xr.DataArray, w: xr.DataArray) -> np.ndarray:
    """Σw·x/Σw over scenarios by hand (no NaN in x)."""
    return ((x * w).sum("scenario") / w.sum()).values


def _wquantile_by_hand(x: np.ndarray, w: np.ndarray, q: float) -> float:
    """The smallest x whose weighted CDF (weights w/Σw) reaches q, one value at a time."""
    order = np.argsort(x)
    p = 0.0
    for i in order:
        p += w[i] / w.sum()
        if p >= q - 1e-12:
            return float(x[i])
    return float(x[order[-1]])


def test_weighted_quantile_by_hand():
    x = np.array([3.0, 1.0, 4.0, 2.0])
    w = np.array([3.0, 1.0, 4.0, 2.0])  # the sorted values 1, 2, 3, 4 carry 10%, 20%, 30%, 40%
    for q, want in ((0.0, 1.0), (0.05, 1.0), (0.1, 1.0), (0.11, 2.0), (0.3, 2.0), (0.31, 3.0), (0.6, 3.0),
                    (0.61, 4.0), (1.0, 4.0)):
        assert _weighted_quantile(x, w, q) == want, q
    # NaN values and zero weights are left out; nothing left gives NaN
    assert _weighted_quantile(np.array([np.nan, 5.0, 1.0]), np.array([10.0, 1.0, 1.0]), 0.75) == 5.0
    assert _weighted_quantile(np.array([0.0, 5.0, 1.0]), np.array([0.0, 1.0, 1.0]), 0.0) == 1.0
    assert np.isnan(_weighted_quantile(np.array([np.nan, np.nan]), np.ones(2), 0.5))
    # along an axis, with one weight per position along it
    rng = np.random.default_rng(1)
    v = rng.normal(size=(37, 5))
    ww = rng.exponential(size=37)
    got = _weighted_quantile(v, ww, 0.9, axis=0)
    assert got.shape == (5,)
    for j in range(5):
        assert got[j] == _wquantile_by_hand(v[:, j], ww, 0.9)
    # equal weights: numpy's inverted CDF exactly
    for q in (0.05, 0.25, 0.5, 0.75, 0.95):
        np.testing.assert_array_equal(_weighted_quantile(v, np.ones(37), q, axis=0),
                                      np.quantile(v, q, axis=0, method="inverted_cdf"))


def test_weighted_mean_and_bands_by_hand():
    rng = np.random.default_rng(2)
    x = xr.DataArray(rng.normal(size=(20, 4)), dims=("scenario", "month"))
    w = xr.DataArray(rng.exponential(size=20), dims="scenario")
    np.testing.assert_allclose(_mean(x, w).values, (x * w).sum("scenario") / w.sum(), rtol=1e-12)
    # a NaN scenario is left out of the mean with its weight
    y = x.copy()
    y[3, 1] = np.nan
    keep = np.arange(20) != 3
    want = (x[keep, 1] * w[keep]).sum() / w[keep].sum()
    assert float(_mean(y, w)[1]) == pytest.approx(float(want), rel=1e-12)
    lo, hi = _bands(x, (0.05, 0.95), w)
    for m in range(4):
        assert float(lo[m]) == _wquantile_by_hand(x.values[:, m], w.values, 0.05)
        assert float(hi[m]) == _wquantile_by_hand(x.values[:, m], w.values, 0.95)
    assert lo.dims == ("month",) and float(lo["quantile"]) == 0.05
    # no weights: exactly xarray's mean and (interpolated) quantiles
    xr.testing.assert_identical(_mean(x, None), x.mean("scenario"))
    xr.testing.assert_identical(_quantile(x, 0.05, None), x.quantile(0.05, dim="scenario"))


def test_scenario_weights(weighted, plain):
    assert _scenario_weights(plain) is None
    ones = weighted.assign(scenario_weight=weighted["scenario_weight"] * 0 + 1.0)
    assert _scenario_weights(ones) is None  # all 1: a plain run, as risk_summary takes it
    np.testing.assert_array_equal(_scenario_weights(weighted).values, weighted["scenario_weight"].values)
    bad = weighted.assign(scenario_weight=weighted["scenario_weight"] * -1)
    with pytest.raises(ValueError, match="scenario_weight"):
        plot.loss_paths(bad)


def test_figures_of_a_weighted_result_are_weighted_means(weighted):
    w = weighted["scenario_weight"]
    expo = weighted.attrs["total_exposure"]
    # cumulative loss: the mean line is Σw·x/Σw, the band weighted quantiles
    x = 100 * weighted["net_credit_loss"].cumsum("month") / expo
    ax = plot.loss_paths(weighted).axes[0]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), _wmean(x, w), rtol=1e-12)
    assert not np.allclose(ax.get_lines()[0].get_ydata(), x.mean("scenario").values, rtol=1e-3)
    band = ax.collections[0].get_paths()[0].vertices[:, 1]
    last = x.isel(month=-1).values
    assert _wquantile_by_hand(last, w.values, 0.95) in band and _wquantile_by_hand(last, w.values, 0.05) in band
    assert "importance-weighted" in ax.get_title()
    # losses by segment: the bars
    ax = plot.losses_by_segment(weighted).axes[0]
    scale = {"thousand": 1e3, "million": 1e6}.get(ax.get_xlabel().split("(")[-1].split()[0], 1.0)
    widths = [p.get_width() for p in ax.patches[: weighted.sizes["segment"]]]
    np.testing.assert_allclose(widths, _wmean(weighted["loss_by_segment"], w) / scale, rtol=1e-12)
    # state fan: the median line is the weighted median
    fig = plot.state_fan(weighted, ["charged_off"])
    occ = weighted["occupancy"].sum("segment").astype(np.float64)
    share = (100 * occ.sel(state="charged_off") / occ.sum("state")).values
    median = fig.axes[0].get_lines()[0].get_ydata()
    for m in range(weighted.sizes["month"]):
        assert median[m] == _wquantile_by_hand(share[:, m], w.values, 0.5)
    # cash flows: the interest bars
    ax = plot.cash_flows(weighted, scale=1.0).axes[0]
    heights = [p.get_height() for p in ax.patches[: weighted.sizes["month"] - 1]]
    np.testing.assert_allclose(heights, _wmean(weighted["interest_received"], w)[1:], rtol=1e-12)
    # the loss histogram: each scenario w/S, so the bars estimate the unshifted density
    # (not normalised to one over the sampled range), and the expected loss as risk_summary's
    summ = cs.risk_summary(weighted, (0.99,))
    ax = plot.loss_distribution(weighted, summ).axes[0]
    rate = 100 * weighted["net_credit_loss"].sum("month").values / expo
    counts, edges = np.histogram(rate, bins=50, weights=w.values / rate.size)
    np.testing.assert_allclose([p.get_height() for p in ax.patches], counts / (edges[1] - edges[0]), rtol=1e-9)
    assert ax.get_yscale() == "log"
    el = [ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_label().startswith("expected loss")]
    assert el == [pytest.approx(100 * float(summ["expected_loss"].sel(bound="estimate")) / expo, rel=1e-9)]
    assert "density" in ax.get_ylabel() and "weighted" in ax.get_title()


def test_delinquency_figures_weigh(weighted):
    w = weighted["scenario_weight"]
    r = 100 * cs.delinquency_ratios(weighted, (30,)).sel(days=30)
    ax = plot.delinquency_ratios(weighted, (30,)).axes[0]
    ok = r.notnull()
    want = ((r.fillna(0) * w).sum("scenario") / (w * ok).sum("scenario")).values
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), want, rtol=1e-12)
    ax = plot.delinquency_paths(weighted).axes[0]
    total = [ln for ln in ax.get_lines() if ln.get_label() == "total of these states"][0]
    assert np.all(np.isfinite(total.get_ydata()))


def test_weighted_report(weighted, tmp_path):
    path = cs.write_report(weighted, tmp_path / "rep", levels=(0.95,))
    html = path.read_text()
    assert path.name == "report.html"
    # only the tail's figure: the body of a tail-aimed run's distribution is hardly sampled
    png = tmp_path / "rep" / "loss_distribution.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    for name in ("loss_paths", "losses_by_segment", "state_fan", "roll_rates", "delinquency_ratios", "cash_flows"):
        assert not (tmp_path / "rep" / f"{name}.png").exists(), name
    assert "Figures of the whole distribution" in html
    assert "64 scenarios (importance-sampled, weighted)" in html
    assert "The scenarios are importance-sampled" in html and "Effective number of scenarios" in html
    import re

    captions = re.findall(r"<figcaption>(.*?)</figcaption>", html)
    assert len(captions) == 1
    assert all("scenarios importance-sampled and weighted by their likelihood ratios" in c for c in captions)
    assert "<td>macro paths</td><td>importance-sampled about macro_mean, weighted</td>" in html  # the settings


def test_unweighted_figures_and_report_are_unchanged(weighted, plain, tmp_path):
    expo = plain.attrs["total_exposure"]
    x = 100 * plain["net_credit_loss"].cumsum("month") / expo
    for ds in (plain, weighted.assign(scenario_weight=weighted["scenario_weight"] * 0 + 1.0)):
        ax = plot.loss_paths(ds).axes[0]
        np.testing.assert_array_equal(ax.get_lines()[0].get_ydata(), x.mean("scenario").values)
        band = ax.collections[0].get_paths()[0].vertices[:, 1]
        assert float(x.isel(month=-1).quantile(0.95, dim="scenario")) in band
        assert "weighted" not in ax.get_title()
    html = cs.write_report(plain, tmp_path / "rep", levels=(0.95,)).read_text()
    assert "weighted" not in html and "importance" not in html and "macro paths" not in html


def test_a_designed_run_is_reported_and_says_how_it_was_drawn(plain, tmp_path):
    """Antithetic pairs without weights (as ``macro_antithetic`` writes them): the report
    no longer refuses the design, whose errors ``risk_summary`` takes, and names it."""
    s = plain.sizes["scenario"]
    ds = plain.assign(scenario_cluster=("scenario", np.arange(s) % (s // 2)))
    ds.attrs["macro_antithetic"] = 1
    html = cs.write_report(ds, tmp_path / "rep", levels=(0.95,)).read_text()
    assert "drawn in antithetic pairs (macro_antithetic), not independently" in html
    assert "importance-sampled" not in html
