"""Risk measures against samples whose answers are known."""

import numpy as np
import pytest

import creditsim as cs
from helpers import raises


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


def _finite_pool(n, p, rho, nodes=4001):
    """The exact loss distribution (pmf over 0..n defaults) of a finite Vasicek pool: n
    unit loans with default probability p and asset correlation rho, by quadrature over
    the factor."""
    from scipy import stats

    z = np.linspace(-9, 9, nodes)
    w = stats.norm.pdf(z)
    w /= w.sum()
    pz = stats.norm.cdf((stats.norm.ppf(p) - np.sqrt(rho) * z) / np.sqrt(1 - rho))
    pmf = (stats.binom.pmf(np.arange(n + 1)[:, None], n, pz[None, :]) * w).sum(axis=1)
    return pmf / pmf.sum()


@pytest.mark.parametrize("pool", [(1000, 0.02, 0.12), (50, 0.02, 0.12), (3000, 0.01, 0.25)])
def test_es_interval_coverage_from_an_exact_distribution(pool):
    """The 95% ES interval covers the exact ES of a finite Vasicek pool at least 93% of the
    time for every tail count from 10 to 1,000 scenarios (replicated samples from the exact
    distribution); the symmetric normal interval the estimator had before covers 88% with
    10 in the tail, and this test catches it."""
    from scipy import special

    from creditsim.results.risk import es_interval

    pmf = _finite_pool(*pool)
    cdf = np.cumsum(pmf)
    rng = np.random.default_rng(11)
    for alpha, tail in [(0.99, 10), (0.999, 10), (0.99, 20), (0.99, 50), (0.99, 100), (0.95, 300), (0.9, 1000)]:
        var = int(np.searchsorted(cdf, alpha - 1e-12))
        es = var + (np.maximum(np.arange(pmf.size) - var, 0) * pmf).sum() / (1 - alpha)
        s = int(round(tail / (1 - alpha)))
        reps = 2000 if s <= 5000 else 1000
        hit = normal_hit = 0
        for block in range(0, reps, 200):
            xs = np.sort(np.searchsorted(cdf, rng.random((min(200, reps - block), s))).astype(np.float64), axis=1)
            v, e, lo, hi = es_interval(xs, alpha, 0.95)
            hit += int(((lo <= es) & (es <= hi)).sum())
            if tail == 10 and alpha == 0.99:  # the symmetric interval: e ± z·se
                in_tail = xs >= v[:, None]
                tv = np.array([row[m].var() for row, m in zip(xs, in_tail, strict=True)])
                se = np.sqrt((tv + alpha * (e - v) ** 2) / tail)
                z = special.ndtri(0.975)
                normal_hit += int(((e - z * se <= es) & (es <= e + z * se)).sum())
        assert hit / reps >= 0.93, (pool, alpha, tail, hit / reps)
        if tail == 10 and alpha == 0.99 and pool[0] == 1000:
            assert normal_hit / reps < 0.92, normal_hit / reps


def test_es_interval_needs_ten_tail_scenarios():
    """Below 10 scenarios beyond the VaR the ES has no interval (NaN), never a tight one."""
    import xarray as xr

    ds = xr.Dataset({"loss": ("scenario", np.random.default_rng(1).gamma(2.0, size=1000))})
    r = cs.risk_summary(ds, levels=[0.99, 0.995])
    assert np.isfinite(r["es"].sel(level=0.99).values).all()  # 10 scenarios in the tail: an interval
    assert np.isnan(r["es"].sel(level=0.995).values[1:]).all()  # 5: none
    est, lo, hi = r["es"].sel(level=0.99).values
    assert lo < est < hi and hi - est > est - lo  # wider above: the tail is right-skewed


def _parts_dataset(parts):
    """A result-like Dataset whose loss splits into ``parts`` (S, J) by segment."""
    import xarray as xr

    s, j = parts.shape
    return xr.Dataset({"loss": ("scenario", parts.sum(axis=1)),
                       "loss_by_segment": (("scenario", "segment"), parts)},
                      coords={"segment": [f"s{i}" for i in range(j)]})


def test_contributions_sum_to_the_portfolio_and_match_the_gaussian_oracle():
    """For jointly normal parts X ~ N(μ, Σ), L = ΣX, E[X_j | L ≥ VaR] = μ_j + Cov(X_j, L)/Var(L)
    · (ES − E[L]) exactly; the estimates sum to the ES to rounding, and their 95% intervals
    cover the oracle in at least 90% of replicates."""
    from scipy import stats

    mu = np.array([10.0, 5.0, 1.0])
    a = np.array([[3.0, 0.0, 0.0], [1.5, 2.0, 0.0], [0.2, 0.1, 0.5]])
    cov = a @ a.T
    sd_l = np.sqrt(cov.sum())
    alpha = 0.99
    es_l = mu.sum() + sd_l * stats.norm.pdf(stats.norm.ppf(alpha)) / (1 - alpha)
    oracle = mu + cov.sum(axis=1) / cov.sum() * (es_l - mu.sum())
    rng = np.random.default_rng(5)
    hits = np.zeros(3)
    reps = 200
    for r in range(reps):
        x = mu + rng.standard_normal((20_000, 3)) @ a.T
        c = cs.risk_contributions(_parts_dataset(x), levels=[alpha])
        est = c.es_contribution.sel(level=alpha)
        assert float(est.sel(bound="estimate").sum()) == pytest.approx(float(c.es.sel(level=alpha)), rel=1e-12)
        assert float(c.var_contribution.sel(level=alpha, bound="estimate").sum()) == pytest.approx(
            float(c["var"].sel(level=alpha)), rel=1e-12)
        lo, hi = est.sel(bound="lower").values, est.sel(bound="upper").values
        hits += (lo <= oracle) & (oracle <= hi)
        if r == 0:  # the ES is risk_summary's
            summ = cs.risk_summary(_parts_dataset(x), levels=[alpha])
            assert float(c.es.sel(level=alpha)) == float(summ.es.sel(level=alpha, bound="estimate"))
    assert (hits / reps >= 0.90).all(), hits / reps


def test_contributions_with_ties_and_comonotone_parts():
    """Part 2 is always twice part 1: their contributions are in that ratio at every level,
    ties at the VaR included (the weights of the ES estimator share the tail's rest)."""
    x1 = np.repeat(np.arange(1.0, 51.0), 20)  # 1,000 scenarios with many ties
    c = cs.risk_contributions(_parts_dataset(np.stack([x1, 2 * x1], axis=1)), levels=[0.9, 0.99])
    e = c.es_contribution.sel(bound="estimate")
    np.testing.assert_allclose(e.sel(part="s1"), 2 * e.sel(part="s0"), rtol=1e-12)
    np.testing.assert_allclose(e.sum("part"), c.es, rtol=1e-12)
    np.testing.assert_allclose(c.es_share.sum("part"), 1.0, rtol=1e-12)


def test_contributions_by_segment_and_stage_of_a_run():
    """A preset run: contributions by segment and by stage each sum to the ES of the net
    credit loss; bad requests name what is wrong."""
    from creditsim import presets

    model = presets.jiebei_model()
    book = presets.jiebei_book(3000, seed=2, states=presets.JIEBEI_START)
    ds = cs.simulate(model, book, horizon=6, scenarios=104, seed=3, stages=True)  # 13 batches of 8: one kernel
    es = float(cs.risk_summary(ds, levels=[0.95]).es.sel(level=0.95, bound="estimate"))
    for by in ("segment", "stage"):
        c = cs.risk_contributions(ds, levels=[0.95], by=by)
        assert float(c.es_contribution.sel(level=0.95, bound="estimate").sum()) == pytest.approx(es, rel=1e-9)
    assert list(cs.risk_contributions(ds, levels=[0.95], by="stage").part.values) == ["stage 1", "stage 2", "stage 3"]
    with pytest.raises(ValueError, match="by must be 'segment' or 'stage', got 'band'"):
        cs.risk_contributions(ds, by="band")
    with pytest.raises(ValueError, match="no losses by stage; simulate it with stages=True"):
        # the run of tests/test_originations.py (its compiled kernel)
        cs.risk_contributions(cs.simulate(model, book, horizon=12, scenarios=4, seed=3, month_span=12), by="stage")
    with pytest.raises(ValueError, match=r"levels\[0\] is 1.5, not in \(0, 1\)"):
        cs.risk_contributions(ds, levels=[1.5])
    strat = cs.simulate(model, book, horizon=3, scenarios=4, seed=3, strategies=["in_house"], stages=True)
    with pytest.raises(ValueError, match="select one"):
        cs.risk_contributions(strat)
    one = strat.sel(strategy="in_house")
    for by in ("segment", "stage"):
        with raises("risk_contributions: the parts by", "costs and recoveries are not attributed",
                    "use variable='credit_and_fraud_loss'"):
            cs.risk_contributions(one, levels=[0.5], by=by)
    assert cs.risk_contributions(one, levels=[0.5], variable="loss").es.size == 1
    # a strategy run with fraud: by stage, the credit and fraud losses split (not 'loss')
    with raises("risk_contributions: by='stage'", "variable 'loss' leaves out this model's fraud losses",
                "use variable='credit_and_fraud_loss'"):
        cs.risk_contributions(one, levels=[0.5], by="stage", variable="loss")
    _split_adds_up(one, "credit_and_fraud_loss", one.loss + one.fraud_loss.sum("segment"))


def _split_adds_up(ds, variable, total):
    """By segment and by stage, the parts of ``variable`` (whose values by scenario are
    ``total``) are those of the result, their ES contributions sum to ``risk_summary``'s ES."""
    np.testing.assert_allclose(ds.loss_by_stage.sum(("segment", "stage")), total, rtol=1e-12)
    np.testing.assert_allclose(ds.loss_by_segment.sum("segment") + ds.fraud_loss.sum("segment"), total,
                               rtol=1e-12)
    es = float(cs.risk_summary(ds, levels=[0.75], variable=variable).es.sel(level=0.75, bound="estimate"))
    for by in ("segment", "stage"):
        c = cs.risk_contributions(ds, levels=[0.75], by=by, variable=variable)
        assert c.attrs["variable"] == variable and c.es_contribution.attrs["units"] == "CNY"
        assert float(c.es.sel(level=0.75)) == es
        assert float(c.es_contribution.sel(level=0.75, bound="estimate").sum()) == pytest.approx(es, rel=1e-9)


def test_contributions_by_stage_of_a_book_without_terms_with_fraud():
    """A book of exposures under a model with fraud: 'loss' leaves fraud out and there is
    no net credit loss, so by stage the credit and fraud losses ('credit_and_fraud_loss')
    split, summing to the portfolio's ES; the messages name it."""
    from creditsim import presets

    model = presets.jiebei_model(shocks=False)
    book = presets.jiebei_book(2000, seed=2, states=presets.JIEBEI_START)
    book = cs.LoanBook(segment=np.asarray(book.segment_names)[book.segment_codes],
                       state=np.asarray(book.state_names)[book.state_codes], exposure=book.exposure)
    ds = cs.simulate(model, book, horizon=4, scenarios=8, seed=3, stages=True)
    assert "net_credit_loss" not in ds and float(ds.fraud_loss.sum()) > 0
    with raises("risk_contributions: by='stage'", "variable 'loss' leaves out this model's fraud losses",
                "use variable='credit_and_fraud_loss'"):
        cs.risk_contributions(ds, levels=[0.75], by="stage")  # the default variable: 'loss'
    with raises("risk_contributions: by='stage'", "variable 'charged_off' is not split by stage",
                "use variable='credit_and_fraud_loss'"):
        cs.risk_contributions(ds, levels=[0.75], by="stage", variable="charged_off")
    with raises("risk_contributions: variable 'charged_off' is not split by segment", "'loss' (credit losses)",
                "'credit_and_fraud_loss' (credit and fraud losses)"):
        cs.risk_contributions(ds, levels=[0.75], variable="charged_off")
    with raises("risk_contributions: variable 'net_credit_loss' is not in the dataset"):
        cs.risk_contributions(ds, levels=[0.75], by="stage", variable="net_credit_loss")
    _split_adds_up(ds, "credit_and_fraud_loss", ds.loss + ds.fraud_loss.sum("segment"))
    # 'loss' still splits by segment: the credit losses alone
    c = cs.risk_contributions(ds, levels=[0.75], variable="loss")
    assert float(c.es_contribution.sel(level=0.75, bound="estimate").sum()) == pytest.approx(
        float(cs.risk_summary(ds, levels=[0.75]).es.sel(level=0.75, bound="estimate")), rel=1e-9)
