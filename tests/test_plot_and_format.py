import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import creditsim as cs  # noqa: E402
from creditsim import plot, presets  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def _axis_scale(label: str) -> float:
    """The money scale an axis label names: "(thousand CNY; ...)" -> 1e3."""
    word = label.split("(")[-1].split()[0]
    return {"thousand": 1e3, "million": 1e6, "billion": 1e9}.get(word, 1.0)


@pytest.fixture(scope="module")
def result():
    return cs.simulate(presets.demo_model(), presets.demo_book(2000, seed=1), horizon=6,
                       scenarios=40, seed=3)


def test_loss_distribution_figure(result):
    summary = cs.risk_summary(result, levels=(0.9, 0.95))
    fig = plot.loss_distribution(result, summary)
    ax = fig.axes[0]
    assert "% of exposure" in ax.get_xlabel() and "6 months" in ax.get_xlabel()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0].startswith("expected loss") and any(lbl.startswith("VaR 95%") for lbl in labels)
    # the VaR line sits at the summary's value
    var = 100 * float(summary["var"].sel(level=0.95, bound="estimate")) / result.attrs["total_exposure"]
    xs = [ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_label().startswith("VaR 95%")]
    assert xs == [pytest.approx(var)]


def test_delinquency_paths_are_shares_of_live_loans(result):
    fig = plot.delinquency_paths(result)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "share of live loans (%)"
    lines = {ln.get_label(): ln.get_ydata() for ln in ax.get_lines()}
    assert "current" not in lines and "paid_off" not in lines and "dpd_1_30" in lines
    occ = result.occupancy.sum("segment")
    live = occ.drop_sel(state=["paid_off", "charged_off"]).sum("state")
    expected = (100 * occ.sel(state="dpd_1_30") / live).mean("scenario").values
    np.testing.assert_allclose(lines["dpd_1_30"], expected)


def test_format_summary_reads_as_a_table(result):
    text = cs.format_summary(cs.risk_summary(result, levels=(0.9, 0.999)))
    assert "VaR 90%" in text and "expected shortfall 99.9%" in text
    assert "% of exposure" in text
    # 40 scenarios cannot give an interval at 99.9%: said, not faked
    assert "n/a" in text and "too few scenarios" in text



@pytest.fixture(scope="module")
def money_results():
    model = presets.jiebei_model()
    book = presets.jiebei_book(3000, seed=2, states=presets.JIEBEI_START)
    # the kernels of tests/test_provisions.py's run of this model, book, horizon and batch
    base = cs.simulate(model, book, horizon=8, scenarios=16, seed=5)
    stress = cs.simulate(cs.apply_stress(model, "recession"), book, horizon=8, scenarios=16, seed=5)
    return {"baseline": base, "recession": stress}


def test_loss_distribution_plots_the_summarys_variable(money_results):
    ds = money_results["baseline"]
    summary = cs.risk_summary(ds, levels=(0.9,))
    ax = plot.loss_distribution(ds, summary).axes[0]
    assert ax.get_xlabel().startswith("net credit loss over 8 months")
    mean = 100 * float(ds.net_credit_loss.sum("month").mean()) / ds.attrs["total_exposure"]
    xs = [ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_label().startswith("expected loss")]
    assert xs == [pytest.approx(mean)]
    # the plain exposure loss on request
    ax = plot.loss_distribution(ds, variable="loss").axes[0]
    assert ax.get_xlabel().startswith("loss over 8 months")
    with pytest.raises(ValueError, match="loss_distribution: variable 'nope' is not in the dataset"):
        plot.loss_distribution(ds, variable="nope")


def test_delinquency_ratio_figure_matches_the_ratios(money_results):
    ax = plot.delinquency_ratios(money_results, months=4).axes[0]
    lines = {ln.get_label(): (ln.get_xdata(), ln.get_ydata()) for ln in ax.get_lines()}
    assert set(lines) == {"30+, baseline", "90+, baseline", "30+, recession", "90+, recession"}
    x, y = lines["30+, recession"]
    expected = 100 * cs.delinquency_ratios(money_results["recession"]).sel(days=30).mean("scenario")
    np.testing.assert_array_equal(x, np.arange(5))
    np.testing.assert_allclose(y, expected.values[:5])
    assert ax.get_ylabel() == "% of live balance past due"


def test_loss_paths_are_cumulative_means(money_results):
    ax = plot.loss_paths(money_results).axes[0]
    lines = {ln.get_label(): ln.get_ydata() for ln in ax.get_lines()}
    ds = money_results["baseline"]
    expected = 100 * ds.net_credit_loss.cumsum("month").mean("scenario") / ds.attrs["total_exposure"]
    np.testing.assert_allclose(lines["mean, baseline"], expected.values)
    assert lines["mean, recession"][-1] > lines["mean, baseline"][-1]  # the stress loses more
    with pytest.raises(ValueError, match="loss_paths: the result has no \\(scenario, month\\) variable 'loss'"):
        plot.loss_paths(ds, variable="loss")


def test_cash_flow_bars(money_results, result):
    ds = money_results["baseline"]
    ax = plot.cash_flows(ds, flows=["interest_received", "credit_charge_offs"]).axes[0]
    bars = {c.get_label(): [p.get_height() for p in c.patches] for c in ax.containers}
    np.testing.assert_allclose(bars["interest received"], ds.interest_received.mean("scenario").values[1:] / 1e6)
    np.testing.assert_allclose(bars["credit charge-offs"], -ds.credit_charge_offs.mean("scenario").values[1:] / 1e6)
    assert "million CNY" in ax.get_ylabel()
    with pytest.raises(ValueError, match="cash_flows: unknown flows \\['rent'\\]"):
        plot.cash_flows(ds, flows=["rent"])
    with pytest.raises(ValueError, match="cash_flows: the result has no cash flows"):
        plot.cash_flows(result)


def test_strategy_figures():
    model = presets.jiebei_model()
    book = presets.jiebei_book(600, seed=4, states=presets.JIEBEI_START)
    # one kernel call over the horizon: the kernel of tests/test_strategy.py's runs
    ds = cs.simulate(model, book, horizon=12, scenarios=8, seed=2, strategies=["in_house", "agency_at_90"],
                     month_span=12)
    c = cs.compare(ds)
    ax = plot.strategy_differences(c).axes[0]
    bars = [p.get_width() for p in ax.patches]
    np.testing.assert_allclose(bars, c.net_credit_loss_diff.sel(bound="estimate").values / 1e6)
    assert "difference from 'in_house'" in ax.get_xlabel() and "lower is better" in ax.get_xlabel()
    with pytest.raises(ValueError, match="strategy_differences: 'rent' is not in the comparison"):
        plot.strategy_differences(c, "rent")
    ax = plot.recovery_curves(c).axes[0]
    lines = {ln.get_label(): ln.get_ydata() for ln in ax.get_lines()}
    np.testing.assert_allclose(lines["agency_at_90"], 100 * c.recovery_curve.sel(strategy="agency_at_90").values)
    for by, name in (("placement", "placement_curve"), ("delinquency", "delinquency_curve")):
        for fig in (plot.recovery_curves(c, by=by), plot.recovery_curves(cs.recovery_curves(ds, by=by))):
            ax = fig.axes[0]
            lines = {ln.get_label(): ln.get_ydata() for ln in ax.get_lines()}
            np.testing.assert_allclose(lines["agency_at_90"], 100 * c[name].sel(strategy="agency_at_90").values)
            assert "since" in ax.get_xlabel() and "%" in ax.get_ylabel()
    with pytest.raises(ValueError, match="plot.recovery_curves: by must be one of"):
        plot.recovery_curves(c, by="week")
    # cost against recovery: one point per strategy at its means, coloured by complaints
    fig = plot.cost_and_recovery(c)
    ax = fig.axes[0]
    pts = {col.get_label(): col.get_offsets()[0] for col in ax.collections if col.get_label() in ("in_house",
                                                                                              "agency_at_90")}
    scale = _axis_scale(ax.get_xlabel())
    for s, (x, y) in pts.items():
        assert x * scale == pytest.approx(float(c.collection_costs.sel(strategy=s, bound="estimate")))
        assert y * scale == pytest.approx(float(c.recoveries.sel(strategy=s, bound="estimate")))
    assert len(pts) == 2 and "collection costs" in ax.get_xlabel() and "recoveries" in ax.get_ylabel()
    assert fig.axes[1].get_ylabel() == "expected complaints over the horizon"
    # the roll-rate heatmap of a strategy run: the first strategy's by default
    ax = plot.roll_rates(ds).axes[0]
    rr = cs.roll_rates(ds).sel(strategy="in_house")
    shown = rr.isel(state=np.flatnonzero(np.isfinite(rr.values).all(axis=1)))
    np.testing.assert_allclose(np.nan_to_num(ax.images[0].get_array().filled(np.nan)),
                               np.nan_to_num(np.where(shown.values > 0, 100 * shown.values, np.nan)))


def test_state_fan_and_roll_rates_and_segment_losses(money_results):
    ds = money_results["baseline"]
    fig = plot.state_fan(ds)
    names = [a.get_title() for a in fig.axes if a.get_visible()]
    assert names == [s for s in ds.state.values if s != "current"]
    a = fig.axes[names.index("charged_off")]
    med = {ln.get_label(): ln.get_ydata() for ln in a.get_lines()}["median"]
    occ = ds.occupancy.sum("segment")
    np.testing.assert_allclose(med, (100 * occ.sel(state="charged_off") / occ.sum("state")).median("scenario"))
    assert fig.axes[0].get_ylabel() == "% of the book"
    live = plot.state_fan(ds, ["dpd_1_30"], share_of="live")
    assert live.axes[0].get_ylabel() == "% of live loans"
    with pytest.raises(ValueError, match=r"state_fan: states \['late'\] are not states"):
        plot.state_fan(ds, ["late"])
    with pytest.raises(ValueError, match="state_fan: share_of must be 'book' or 'live', got 'all'"):
        plot.state_fan(ds, share_of="all")
    # the heatmap shows roll_rates' rows of open states, in %
    ax = plot.roll_rates(ds, "C").axes[0]
    rr = cs.roll_rates(ds, "C")
    shown = rr.isel(state=np.flatnonzero(np.isfinite(rr.values).all(axis=1)))
    assert [t.get_text().split(" (")[0] for t in ax.get_yticklabels()] == list(shown.state.values)
    np.testing.assert_allclose(np.nan_to_num(ax.images[0].get_array().filled(np.nan)),
                               np.nan_to_num(np.where(shown.values > 0, 100 * shown.values, np.nan)))
    assert "segment C" in ax.get_title()
    # losses by segment: credit bars the mean loss by segment, fraud stacked on them
    ax = plot.losses_by_segment(ds).axes[0]
    credit = [p for p in ax.patches if p.get_facecolor()[:3] == pytest.approx((0.839, 0.153, 0.157), abs=1e-2)]
    scale = _axis_scale(ax.get_xlabel())
    np.testing.assert_allclose([p.get_width() * scale for p in credit], ds.loss_by_segment.mean("scenario").values)
    assert "fraud (after police recovery)" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_report_shows_where_the_tail_comes_from(tmp_path):
    """A run with stages: the report's contribution tables by segment and by stage, their
    shares summing to 100%."""
    import re

    from creditsim import presets

    model = presets.jiebei_model(shocks=False, fraud=False)
    book = presets.jiebei_book(2000, seed=1, states=presets.JIEBEI_START)
    ds = cs.simulate(model, book, horizon=4, scenarios=104, seed=1, stages=True)  # 13 batches of 8: one kernel
    html = cs.write_report(ds, tmp_path / "rep", levels=(0.95,)).read_text()
    for what in ("by segment", "by IFRS 9 stage at month 0"):
        i = html.index(f"Where the tail comes from, {what}")
        table = html[i: html.index("</table>", i)]
        shares = [float(x) for x in re.findall(r"<td>([0-9.]+)%</td>", table)]
        assert len(shares) == (5 if what == "by segment" else 3)
        assert sum(shares) == pytest.approx(100.0, abs=0.1 * len(shares))
    plain = cs.simulate(model, book, horizon=4, scenarios=40, seed=1)
    html = cs.write_report(plain, tmp_path / "rep2", levels=(0.95,)).read_text()
    assert "by segment" in html and "by IFRS 9 stage" not in html
    # a book without terms under a model with fraud: its 'loss' does not split by stage, so
    # the table splits credit and fraud losses together
    names = np.asarray(book.segment_names)[book.segment_codes]
    bare = cs.LoanBook(names, np.asarray(book.state_names)[book.state_codes], book.exposure)
    ds = cs.simulate(presets.jiebei_model(shocks=False), bare, horizon=4, scenarios=40, seed=1, stages=True)
    html = cs.write_report(ds, tmp_path / "rep3", levels=(0.95,)).read_text()
    i = html.index("Where the tail comes from, by IFRS 9 stage at month 0")
    assert "expected shortfall of credit and fraud losses split by IFRS 9 stage" in html[i:]


@pytest.fixture(scope="module")
def living():
    """A small book taking new loans every month (exposures only: the demo chain)."""
    book = cs.LoanBook.synthetic(300, segments=["D", "E"], seed=1)
    plan = cs.Originations([400, 300, 200, 100, 100], {"D": 1.0, "E": 3.0}, seed=2)
    return cs.simulate(presets.demo_model(), book, horizon=10, scenarios=24, seed=3, originations=plan,
                       month_span=10)  # one kernel call a chunk: fewer compilations


def test_vintage_curves_figure(living):
    import xarray as xr

    fig = plot.vintage_curves(living)
    ax = fig.axes[0]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert list(lines) == ["month 1 (400 loans)", "month 2 (300 loans)", "month 3 (200 loans)",
                           "month 4 (100 loans)", "month 5 (100 loans)"]
    curves = 100 * cs.vintage_curves(living).mean("scenario")
    for v, ln in enumerate(lines.values(), start=1):
        np.testing.assert_array_equal(ln.get_xdata(), np.arange(1, 11))
        np.testing.assert_allclose(ln.get_ydata(), curves.sel(vintage=v).values)
    assert np.nanmax(lines["month 1 (400 loans)"].get_ydata()) > 1  # the demo's band E charges off within months
    assert ax.get_xlabel().startswith("months on book") and ax.get_xlim() == (1, 9)
    assert ax.get_ylabel() == "cumulative exposure charged off\n(% of the amount lent)"
    assert ax.get_legend().get_title().get_text() == "vintage: month lent" and len(fig.axes) == 1
    # many vintages: a colour bar instead of a legend, dark to light; by loans
    fig = plot.vintage_curves(living, measure="loans", legend_max=3)
    ax = fig.axes[0]
    assert ax.get_legend() is None and fig.axes[1].get_ylabel() == "vintage: month the loans were lent"
    assert ax.get_ylabel() == "cumulative loans charged off\n(% of loans lent)"
    y = {ln.get_label(): ln.get_ydata() for ln in ax.get_lines()}["month 2 (300 loans)"]
    np.testing.assert_allclose(y, 100 * cs.vintage_curves(living, measure="loans").mean("scenario").sel(vintage=2))
    colors = [ln.get_color() for ln in ax.get_lines()]
    assert sum(colors[0][:3]) < sum(colors[-1][:3])
    # a strategy run shows one strategy (the first by default)
    doubled = living.copy()
    doubled["vintage_charged_off_principal"] = 2 * living.vintage_charged_off_principal
    both = xr.concat([living, doubled], dim="strategy", data_vars="all").assign_coords(strategy=["one", "two"])
    ax = plot.vintage_curves(both, strategy="two").axes[0]
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), 2 * curves.sel(vintage=1).values)
    assert ax.get_title().endswith("(strategy two)")
    assert "(strategy one)" in plot.vintage_curves(both).axes[0].get_title()
    with pytest.raises(ValueError, match="plot.vintage_curves: the result has no vintages; simulate it with "
                                         "originations"):
        plot.vintage_curves(living.drop_vars([v for v in living.data_vars if "vintage" in living[v].dims]))
