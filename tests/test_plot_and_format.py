import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import creditsim as cs  # noqa: E402
from creditsim import plot, presets  # noqa: E402


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

