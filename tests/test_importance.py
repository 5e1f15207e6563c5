"""Importance sampling of the macro path (``simulate(..., macro_mean=...)``): the weights
are the exact likelihood ratios, the sampled factor has the asked mean, a zero shift is the
plain run, and the weighted tail of a finite Vasicek pool matches its exact VaR and ES
with at least ten times less variance than plain Monte Carlo."""

import numpy as np
import pytest
from scipy import special, stats

import creditsim as cs
from helpers import family_z, small_demo_scenario, two_state_model

P, RHO, N = 0.02, 0.12, 2000


def _exact_tail(alpha):
    """VaR and ES (defaults) of a pool of N unit loans with default probability P and asset
    correlation RHO, by quadrature over the factor (exact up to the quadrature)."""
    z = np.linspace(-9, 9, 4001)
    w = stats.norm.pdf(z)
    w /= w.sum()
    pz = stats.norm.cdf((stats.norm.ppf(P) - np.sqrt(RHO) * z) / np.sqrt(1 - RHO))
    k = np.arange(N + 1)
    pmf = (stats.binom.pmf(k[:, None], N, pz[None, :]) * w).sum(axis=1)
    pmf /= pmf.sum()
    above = 1.0 - np.cumsum(pmf)  # P(L > k)
    var = int(np.flatnonzero(above <= 1 - alpha)[0])
    es = var + np.sum(np.maximum(k - var, 0) * pmf) / (1 - alpha)
    tail = k >= var
    # plain Monte Carlo's ES variance per scenario: Var((L − VaR)⁺)/(1 − α)²
    gain = np.maximum(k - var, 0.0)
    plain = (np.sum(gain**2 * pmf) - np.sum(gain * pmf) ** 2) / (1 - alpha) ** 2
    assert pmf[tail].sum() >= 1 - alpha
    return var, es, plain


@pytest.fixture(scope="module")
def pool():
    model = two_state_model(P, RHO)
    book = cs.LoanBook.homogeneous(N, segment="all")
    kw = dict(horizon=1, scenarios=4000, seed=11)
    shift = float(special.ndtri(0.001))  # the factor at the 99.9% tail
    return model, book, kw, cs.simulate(model, book, **kw), cs.simulate(model, book, macro_mean=shift, **kw), shift


def test_weights_are_the_likelihood_ratios_and_zero_shift_is_the_plain_run(pool):
    model, book, kw, plain, tilted, mu = pool
    z = tilted.macro_z.isel(month=1).values
    # one month: Z = ε ~ N(mu, 1) under sampling; the weight is φ(Z)/φ(Z − mu)
    np.testing.assert_allclose(tilted.scenario_weight.values, np.exp(-mu * z + mu * mu / 2), rtol=1e-12)
    # the same normals, shifted
    np.testing.assert_allclose(z, plain.macro_z.isel(month=1).values + mu, rtol=0, atol=1e-12)
    zero = cs.simulate(model, book, macro_mean=0.0, **kw)
    assert (zero.scenario_weight.values == 1.0).all()
    np.testing.assert_array_equal(zero.loss.values, plain.loss.values)
    assert "scenario_weight" not in plain and tilted.attrs["macro_mean"] == [mu]


def test_the_weighted_tail_is_exact_with_ten_times_less_variance(pool):
    """VaR and ES at 99.9% of the finite pool within the weighted run's 99% intervals; the
    ES estimator's variance at least ten times below plain Monte Carlo's with as many
    scenarios (computed from the exact distribution: a plain run of 4,000 scenarios has
    four in this tail and no interval at all)."""
    _, _, kw, plain, tilted, _ = pool
    alpha = 0.999
    var, es, plain_var = _exact_tail(alpha)
    r = cs.risk_summary(tilted, levels=[alpha], confidence=0.99)
    assert r.attrs["importance_sampling"] == 1
    assert "(importance-sampled macro paths, weighted)" in cs.format_summary(r).splitlines()[0]
    v_est, v_lo, v_hi = r["var"].sel(level=alpha).values
    e_est, e_lo, e_hi = r["es"].sel(level=alpha).values
    assert v_lo <= var <= v_hi, (var, v_est, v_lo, v_hi)
    assert e_lo <= es <= e_hi, (es, e_est, e_lo, e_hi)
    se = (e_hi - e_lo) / (2 * special.ndtri(0.995))
    ratio = plain_var / kw["scenarios"] / se**2
    assert ratio >= 10, ratio
    assert np.isnan(cs.risk_summary(plain, levels=[alpha])["es"].sel(level=alpha, bound="lower"))


def test_a_mild_shift_keeps_the_expected_loss_and_the_mean_path():
    """Weighted mean loss within its interval of the exact N·P; under an AR(1) the sampled
    factor's mean by month is the asked path."""
    model = two_state_model(P, RHO, phi=0.6)
    book = cs.LoanBook.homogeneous(500, segment="all")
    path = [-1.0, -1.5, -0.5]
    ds = cs.simulate(model, book, horizon=4, scenarios=2000, seed=3, macro_mean=path)
    want = np.array(path + [-0.5])  # later months keep the last value
    got = ds.macro_z.isel(month=slice(1, None)).mean("scenario").values
    assert np.all(np.abs(got - want) <= family_z(4) / np.sqrt(2000)), (got, want)
    one = cs.simulate(two_state_model(P, RHO), book, horizon=1, scenarios=2000, seed=3, macro_mean=-1.0)
    r = cs.risk_summary(one, levels=[0.99], confidence=0.999)
    lo, hi = r.expected_loss.values[1:]
    assert lo <= 500 * P <= hi, (lo, 500 * P, hi)


@pytest.mark.parametrize(("value", "msg"), [
    ("low", "macro_mean must be 'auto' \\(tail_macro_mean\\), a finite number or a non-empty list of them"),
    ([], "macro_mean must be a finite number or a non-empty list of them"),
    (float("nan"), "macro_mean must be a finite number"),
    ([[1.0]], "macro_mean must be a finite number"),
    (True, "macro_mean must be a finite number"),
    (-9.0, r"macro_mean must lie within \[-8, 8\]"),
])
def test_bad_macro_mean_is_named(value, msg):
    with pytest.raises(ValueError, match="simulate: " + msg):
        cs.simulate(two_state_model(), cs.LoanBook.homogeneous(10, segment="all"), horizon=2, scenarios=1, seed=0,
                    macro_mean=value)


def test_weighted_contributions_sum_to_the_weighted_es():
    """Two segments of the same loans, importance sampled: the ES contributions sum to the
    weighted ES, and each is within its 99% interval of the exact value: given the pool's
    defaults every loan is equally likely among them, so segment j's contribution is its
    share of the loans times the pool's exact ES."""
    states = cs.StateSpace(["current", "charged_off"])
    segs = [cs.Segment(name, [[1 - P, P], [0.0, 1.0]], rho=RHO) for name in ("a", "b")]
    model = cs.CreditModel(states=states, segments=segs)
    book = cs.LoanBook(["a"] * 1500 + ["b"] * 500, ["current"] * 2000, np.ones(2000))
    ds = cs.simulate(model, book, horizon=1, scenarios=4000, seed=5, macro_mean=float(special.ndtri(0.001)))
    es = float(cs.risk_summary(ds, levels=[0.999]).es.sel(level=0.999, bound="estimate"))
    got = cs.risk_contributions(ds, levels=[0.999], confidence=0.99).es_contribution.sel(level=0.999)
    assert float(got.sel(bound="estimate").sum()) == pytest.approx(es, rel=1e-9)
    _, exact_es, _ = _exact_tail(0.999)
    for part, share in (("a", 0.75), ("b", 0.25)):
        est, lo, hi = got.sel(part=part).values
        assert lo <= share * exact_es <= hi, (part, share * exact_es, est, lo, hi)


def test_macro_mean_in_a_scenario_file(tmp_path):
    """[run] macro_mean reaches simulate, round-trips through TOML, the command writes its
    weighted report, and a bad value is named."""
    text = small_demo_scenario("macro_mean = [-2.0]")
    path = tmp_path / "is.toml"
    path.write_text(text)
    sc = cs.load_scenario(path)
    assert sc.simulate_kwargs()["macro_mean"] == [-2.0]
    again = tmp_path / "again.toml"
    again.write_text(sc.to_toml())
    assert cs.load_scenario(again) == sc
    ds = sc.run()
    assert ds.attrs["macro_mean"] == [-2.0] and "scenario_weight" in ds
    # the command writes the result and its (weighted) report
    from click.testing import CliRunner

    from creditsim.cli.main import main

    res = CliRunner().invoke(main, ["run", str(path), "--out", str(tmp_path / "r.nc"), "--report",
                                    str(tmp_path / "rep"), "--no-cache"])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "r.nc").exists() and "importance-sampled" in (tmp_path / "rep" / "report.html").read_text()
    path.write_text(text.replace("macro_mean = [-2.0]", 'macro_mean = "deep"'))
    with pytest.raises(cs.ScenarioError, match='run.macro_mean: must be "auto", a number in \\[-8, 8\\]'):
        cs.load_scenario(path)


def test_a_zero_shift_summarises_as_the_plain_run(pool):
    """Weights all 1 (no shift): the summary is the plain run's, intervals and all."""
    model, book, kw, plain, _, _ = pool
    zero = cs.simulate(model, book, macro_mean=0.0, **kw)
    for level in (0.9, 0.99):  # 1 − 0.9 rounds below 0.1: the VaR is still the plain rank
        a = cs.risk_summary(zero, levels=[level])
        b = cs.risk_summary(plain, levels=[level])
        for name in ("expected_loss", "std", "var", "es"):
            np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=name)
    assert cs.risk_summary(zero).attrs["importance_sampling"] == 0


def test_weights_of_a_multi_month_path_after_a_fixed_stress():
    """AR(1) with phi 0.7 after two fixed months: each scenario's weight is the product over
    the free months of phi(e_t)/phi(e_t - mu_t), e_t = (Z_t - phi·Z_{t-1})/sqrt(1 - phi²)
    read from the path, mu_t the shift that gives the asked mean (derived here anew)."""
    phi, fixed, mean = 0.7, [-1.0, -0.5], [-2.0, -2.0, -1.0, -2.5, -2.5]
    states = cs.StateSpace(["current", "charged_off"])
    model = cs.CreditModel(states=states, segments=[cs.Segment("all", [[1 - P, P], [0.0, 1.0]], rho=RHO)],
                           macro=cs.MacroFactor(phi=phi, path=fixed))
    ds = cs.simulate(model, cs.LoanBook.homogeneous(50, segment="all"), horizon=5, scenarios=13, seed=2,
                     macro_mean=mean)
    z = ds.macro_z.values[:, 1:]
    np.testing.assert_array_equal(z[:, :2], np.broadcast_to(fixed, (13, 2)))
    b = np.sqrt(1 - phi * phi)
    m_prev, log_w = fixed[-1], np.zeros(13)
    for t in range(2, 5):
        mu = (mean[t] - phi * m_prev) / b
        e = (z[:, t] - phi * z[:, t - 1]) / b
        log_w += stats.norm.logpdf(e) - stats.norm.logpdf(e - mu)
        m_prev = mean[t]
    np.testing.assert_allclose(ds.scenario_weight.values, np.exp(log_w), rtol=1e-10)


def test_the_weighted_standard_deviation_covers_the_exact_one():
    """A mild shift: the weighted sd's 99.9% interval holds the exact sd of the finite pool's
    loss (Vasicek variance with its binomial term)."""
    from creditsim.testing import oracles

    n = 500
    ds = cs.simulate(two_state_model(P, RHO), cs.LoanBook.homogeneous(n, segment="all"), horizon=1,
                     scenarios=4000, seed=8, macro_mean=-1.0)
    est, lo, hi = cs.risk_summary(ds, levels=[0.99], confidence=0.999)["std"].values
    exact = n * np.sqrt(oracles.vasicek_variance(P, RHO, n))
    assert lo <= exact <= hi, (exact, est, lo, hi)


def test_what_averages_over_scenarios_weighs_a_weighted_run_or_refuses_it(pool, tmp_path):
    from creditsim import presets

    _, _, _, _, tilted, _ = pool
    page = cs.write_report(tilted, tmp_path).read_text()  # the report weighs (test_weighted_report.py)
    assert "importance-sampled" in page
    # roll rates pool the scenarios with their weights (counts stay the loans')
    rr = cs.roll_rates(tilted)
    t = tilted.transitions.sum("segment")
    w = tilted.scenario_weight
    pooled = (t * w).sum("scenario")
    np.testing.assert_allclose(rr.sel(state="current").values,
                               (pooled / pooled.sum("to_state")).sel(state="current").values, rtol=1e-12)
    assert int(rr.loan_months.sel(state="current")) == int(t.sel(state="current").sum())
    model, book = presets.jiebei_model(), presets.jiebei_book(50, seed=1)
    with pytest.raises(ValueError, match="provisions: macro_mean is not a simulate option here"):
        cs.provisions(model, book, scenarios=2, seed=1, macro_mean=-2.0)
    with pytest.raises(ValueError, match="sweep: macro_mean is not a simulate option here"):
        cs.sweep(model, book, "agency_at_90", {"agency.commission": [0.2, 0.3]}, horizon=2, scenarios=2, seed=1,
                 macro_mean=-2.0)
