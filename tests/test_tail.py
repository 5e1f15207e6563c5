"""Aiming and stratifying the macro path at the tail: ``tail_macro_mean`` (``macro_mean=
"auto"``) and ``macro_strata``.  The strata are checked against how they are built (each
scenario's normal along the shift in its stratum, the rest the plain run's normals, the
weights the same likelihood ratios), the stratified tail of a finite Vasicek pool against
its exact VaR and ES (within the intervals, unbiased over seeds, the intervals covering),
and the aimed mean path against the one-factor answer Φ⁻¹(level)."""

import numpy as np
import pytest
from scipy import special, stats

import creditsim as cs
from helpers import raises, small_demo_scenario, two_state_model

P, RHO, N = 0.02, 0.12, 2000
S = 4000  # the importance-sampling tests' run (test_importance.py): one compiled shape


def _exact_tail(alpha):
    """VaR and ES (defaults) of a pool of N unit loans, P and RHO, by quadrature."""
    z = np.linspace(-9, 9, 4001)
    w = stats.norm.pdf(z)
    w /= w.sum()
    pz = stats.norm.cdf((stats.norm.ppf(P) - np.sqrt(RHO) * z) / np.sqrt(1 - RHO))
    k = np.arange(N + 1)
    pmf = (stats.binom.pmf(k[:, None], N, pz[None, :]) * w).sum(axis=1)
    pmf /= pmf.sum()
    above = 1.0 - np.cumsum(pmf)
    var = int(np.flatnonzero(above <= 1 - alpha)[0])
    return var, var + np.sum(np.maximum(k - var, 0) * pmf) / (1 - alpha)


def _exact_within_and_narrower(ds, tilted, alpha, ratio):
    """The exact VaR and ES of the pool within ``ds``'s 99% intervals, and its ES interval
    ``ratio`` times narrower than ``tilted``'s (importance sampling alone); the summaries
    ``(r, r0)`` and the VaR interval ``(lower, upper)``."""
    var, es = _exact_tail(alpha)
    r = cs.risk_summary(ds, levels=[alpha], confidence=0.99)
    r0 = cs.risk_summary(tilted, levels=[alpha], confidence=0.99)
    v_est, v_lo, v_hi = r["var"].sel(level=alpha).values
    e_est, e_lo, e_hi = r["es"].sel(level=alpha).values
    assert v_lo <= var <= v_hi, (var, v_est, v_lo, v_hi)
    assert e_lo <= es <= e_hi, (es, e_est, e_lo, e_hi)
    assert _width(r0["es"].sel(level=alpha).values) > ratio * _width(r["es"].sel(level=alpha).values)
    return r, r0, (v_lo, v_hi)


def _width(bounds) -> float:
    """The width of an (estimate, lower, upper) interval."""
    return float(bounds[2] - bounds[1])


@pytest.fixture(scope="module")
def pool():
    model = two_state_model(P, RHO)
    book = cs.LoanBook.homogeneous(N, segment="all")
    shift = float(special.ndtri(0.001))
    kw = dict(horizon=1, scenarios=S, seed=11, macro_mean=shift)
    return model, book, kw, cs.simulate(model, book, **kw), cs.simulate(model, book, macro_strata=S // 2, **kw)


def test_each_scenario_draws_the_factor_in_its_stratum_with_the_same_weights(pool):
    _, _, kw, tilted, strat = pool
    mu, k = kw["macro_mean"], S // 2
    z = strat.macro_z.isel(month=1).values
    u = stats.norm.cdf(-(z - mu)) * k  # the normal's position along the shift (direction -1), in strata
    np.testing.assert_array_equal(strat.scenario_stratum.values, np.arange(S) % k)
    assert np.all(np.floor(u + 1e-9) == np.arange(S) % k) and strat.attrs["macro_strata"] == k
    np.testing.assert_allclose(strat.scenario_weight.values, np.exp(-mu * z + mu * mu / 2), rtol=1e-12)
    assert "scenario_stratum" not in tilted


def test_strata_keep_the_normals_across_the_shift():
    """Three months of an AR(1) (phi 0.6): the innovations read back from the paths keep
    the plain run's components across the shift's direction; along it each lies in its
    stratum, shifted by the shift's length."""
    phi, mean, n, k = 0.6, [-2.0, -1.0, -0.5], 24, 6
    model = two_state_model(P, RHO, phi)
    book = cs.LoanBook.homogeneous(20, segment="all")
    a = cs.simulate(model, book, horizon=3, scenarios=n, seed=5, macro_mean=mean)
    b = cs.simulate(model, book, horizon=3, scenarios=n, seed=5, macro_mean=mean, macro_strata=k)

    def innovations(ds):
        z = ds.macro_z.values[:, 1:]
        e = z.copy()
        e[:, 1:] = (z[:, 1:] - phi * z[:, :-1]) / np.sqrt(1 - phi * phi)
        return e

    mu = np.array([mean[0]] + [(mean[t] - phi * mean[t - 1]) / np.sqrt(1 - phi * phi) for t in (1, 2)])
    d = mu / np.linalg.norm(mu)
    ea, eb = innovations(a) - mu, innovations(b) - mu
    across = lambda e: e - np.outer(e @ d, d)  # noqa: E731
    np.testing.assert_allclose(across(eb), across(ea), atol=1e-12)
    along = stats.norm.cdf(eb @ d) * k
    assert np.all(np.floor(along + 1e-9) == np.arange(n) % k)
    np.testing.assert_allclose(b.scenario_weight.values, np.exp(-innovations(b) @ mu + mu @ mu / 2), rtol=1e-10)


def test_the_stratified_tail_is_exact_and_far_tighter(pool):
    """VaR and ES at 99.9% within the stratified run's 99% intervals; its ES interval at
    least 1.8 times narrower than importance sampling's alone on the same normals (over 3
    times less variance: in a pool of 2,000 loans the defaults' own binomial spread, which
    strata of the factor cannot remove, is a large part of the tail's); the exact expected
    loss within its interval."""
    _, _, _, tilted, strat = pool
    alpha = 0.999
    r, r0, _ = _exact_within_and_narrower(strat, tilted, alpha, 1.8)
    assert "(importance-sampled macro paths in 2,000 strata, weighted)" in cs.format_summary(r).splitlines()[0]
    assert r.attrs["macro_strata"] == S // 2 and r0.attrs["macro_strata"] == 0
    assert _width(r0["var"].sel(level=alpha).values) > _width(r["var"].sel(level=alpha).values)
    exact_el = N * P
    assert r.expected_loss.values[1] <= exact_el <= r.expected_loss.values[2]


def test_stratified_estimates_are_unbiased_and_their_intervals_cover():
    """40 seeds of 400 stratified scenarios: the mean of the ES estimates lies within 3
    standard errors (of that mean) of the exact ES, and the 95% intervals hold it at least
    34 times (under true 95% coverage a count of 33 or fewer has probability 0.34%)."""
    alpha, n, reps = 0.999, 400, 40
    _, es = _exact_tail(alpha)
    model, book = two_state_model(P, RHO), cs.LoanBook.homogeneous(N, segment="all")
    shift = float(special.ndtri(1 - alpha))
    est, cover = [], 0
    for seed in range(reps):
        ds = cs.simulate(model, book, horizon=1, scenarios=n, seed=100 + seed, macro_mean=shift, macro_strata=n // 2)
        e, lo, hi = cs.risk_summary(ds, levels=[alpha])["es"].sel(level=alpha).values
        est.append(e)
        cover += lo <= es <= hi
    est = np.array(est)
    assert abs(est.mean() - es) < 3 * est.std(ddof=1) / np.sqrt(reps), (est.mean(), es)
    assert cover >= 34, cover


def test_contributions_of_a_stratified_run_sum_to_its_es(pool):
    _, _, _, tilted, strat = pool
    c = cs.risk_contributions(strat, levels=[0.999], variable="loss")
    r = cs.risk_summary(strat, levels=[0.999], variable="loss")
    np.testing.assert_allclose(c.es_contribution.sel(bound="estimate").sum("part").values,
                               r.es.sel(bound="estimate").values, rtol=1e-12)
    c0 = cs.risk_contributions(tilted, levels=[0.999], variable="loss")
    part = dict(level=0, part=0)
    assert _width(c0.es_contribution.isel(**part).values) > 1.8 * _width(c.es_contribution.isel(**part).values)


def test_one_factor_month_aims_at_the_quantile():
    """One month of one factor: the loss falls with Z alone, so the aimed mean is
    Φ⁻¹(1 − level) whatever the pilot's noise, and ``macro_mean="auto"`` is that run."""
    model, book = two_state_model(P, RHO), cs.LoanBook.homogeneous(N, segment="all")
    for level in (0.999, 0.99):
        m = cs.tail_macro_mean(model, book, horizon=1, level=level, seed=3)
        np.testing.assert_allclose(m, [special.ndtri(1 - level)], rtol=1e-12)
    auto = cs.simulate(model, book, horizon=1, scenarios=16, seed=2, macro_mean="auto")
    given = cs.simulate(model, book, horizon=1, scenarios=16, seed=2, macro_mean=float(special.ndtri(0.001)))
    assert auto.attrs["macro_mean"] == pytest.approx(given.attrs["macro_mean"], rel=1e-12)
    np.testing.assert_array_equal(auto.loss.values, given.loss.values)


def test_the_aimed_path_weighs_the_months_the_loss_follows():
    """Three months, phi 0.5, the first month fixed by the model's path: it keeps its value
    and no shift; the loss (defaults in months 2 and 3) grows with both free months'
    innovations, so both are shifted down, and the shift has length Φ⁻¹(0.999)."""
    phi = 0.5
    states = cs.StateSpace(["current", "charged_off"])
    model = cs.CreditModel(states=states, segments=[cs.Segment("all", [[1 - P, P], [0.0, 1.0]], rho=RHO)],
                           macro=cs.MacroFactor(phi=phi, path=[0.3]))
    book = cs.LoanBook.homogeneous(N, segment="all")
    m = cs.tail_macro_mean(model, book, horizon=3, seed=1)
    assert m[0] == 0.3
    mu = np.array([(m[1] - phi * m[0]), (m[2] - phi * m[1])]) / np.sqrt(1 - phi * phi)
    assert np.all(mu < 0), mu
    np.testing.assert_allclose(np.linalg.norm(mu), -special.ndtri(0.001), rtol=1e-12)
    # the second month's innovation moves both months' factor: it weighs more
    assert mu[0] < mu[1]


def test_the_cohort_engine_aims_and_stratifies():
    model, book = two_state_model(P, RHO, 0.5), cs.LoanBook.homogeneous(N, segment="all")
    # the pilot (3 scenarios) and the run in batches of 4: one compiled kernel
    ds = cs.simulate(model, book, horizon=2, scenarios=16, seed=4, engine="cohort", macro_mean="auto", macro_strata=8,
                     scenario_batch=4)
    assert ds.attrs["macro_strata"] == 8 and len(ds.attrs["macro_mean"]) == 2
    assert np.all(np.array(ds.attrs["macro_mean"]) < 0)
    np.testing.assert_array_equal(ds.scenario_stratum.values, np.arange(16) % 8)


@pytest.mark.parametrize(("kw", "parts"), [
    (dict(macro_strata=4), ("simulate: macro_strata stratifies the macro path along its shift and needs macro_mean",)),
    (dict(macro_mean=-2.0, macro_strata=1), ("simulate: macro_strata must be a whole number >= 2", "got 1")),
    (dict(macro_mean=-2.0, macro_strata=True), ("simulate: macro_strata must be a whole number >= 2", "True")),
    (dict(macro_mean=-2.0, macro_strata=3), ("macro_strata=3 must divide scenarios=8", "try macro_strata=4")),
    (dict(macro_mean=-2.0, macro_strata=8), ("macro_strata=8 must divide scenarios=8 into strata of at least 2",)),
    (dict(macro_mean=0.0, macro_strata=4), ("macro_mean=[0.0] shifts no month the model draws",)),
    (dict(macro_mean="auto", strategies="in_house"), ("macro_mean='auto' aims at the tail of one loss",)),
])
def test_bad_strata_and_auto_are_named(kw, parts):
    from creditsim import presets

    model, book = (presets.jiebei_model(), presets.jiebei_book(20, seed=1)) if "strategies" in kw else \
        (two_state_model(), cs.LoanBook.homogeneous(10, segment="all"))
    with raises(*parts):
        cs.simulate(model, book, horizon=1, scenarios=8, seed=0, **kw)


@pytest.mark.parametrize(("kw", "parts"), [
    (dict(level=1.0), ("tail_macro_mean: level must be in (0, 1), got 1.0",)),
    (dict(rounds=0), ("tail_macro_mean: rounds must be a whole number >= 1, got 0",)),
    (dict(step=0.0), ("tail_macro_mean: step must be in (0, 3]", "got 0.0")),
    (dict(scenarios=4), ("tail_macro_mean: scenarios is not an option here",)),
    (dict(horizon=0), ("tail_macro_mean: horizon must be a whole number >= 1, got 0",)),
])
def test_bad_pilot_options_are_named(kw, parts):
    args = {"horizon": 1, **kw}
    with raises(*parts):
        cs.tail_macro_mean(two_state_model(), cs.LoanBook.homogeneous(10, segment="all"), **args)


def test_a_loss_that_ignores_the_factor_is_refused():
    with raises("tail_macro_mean: the loss does not grow when any month's macro factor falls"):
        cs.tail_macro_mean(two_state_model(P, 0.0), cs.LoanBook.homogeneous(200, segment="all"), horizon=1)
    states = cs.StateSpace(["current", "charged_off"])
    fixed = cs.CreditModel(states=states, segments=[cs.Segment("all", [[0.9, 0.1], [0.0, 1.0]], rho=RHO)],
                           macro=cs.MacroFactor(phi=0.5, path=[0.0, 0.0]))
    with raises("tail_macro_mean: the model's macro path fixes all 2 months"):
        cs.tail_macro_mean(fixed, cs.LoanBook.homogeneous(10, segment="all"), horizon=2)


def test_auto_and_strata_in_a_scenario_file(tmp_path):
    text = """
[run]
horizon = 1
scenarios = 8
seed = 3
macro_mean = "auto"
macro_strata = 4

[model]
preset = "demo"

[book]
kind = "synthetic"
n = 2000
seed = 1
segments = ["A"]
states = { current = 0.5, dpd_91_180 = 0.5 }
"""
    path = tmp_path / "tail.toml"
    path.write_text(text)
    sc = cs.load_scenario(path)
    assert sc.simulate_kwargs()["macro_mean"] == "auto" and sc.simulate_kwargs()["macro_strata"] == 4
    again = tmp_path / "again.toml"
    again.write_text(sc.to_toml())
    assert cs.load_scenario(again) == sc
    ds = sc.run()
    assert ds.attrs["macro_strata"] == 4 and ds.attrs["macro_mean"][0] < 0
    for old, new, msg in (("macro_strata = 4", "macro_strata = 3", "run.macro_strata: 3 must divide run.scenarios = 8"),
                          ("macro_strata = 4", "macro_strata = 1", "run.macro_strata: must be a whole number >= 2"),
                          ('macro_mean = "auto"\n', "", "run.macro_strata: stratifies along the shift of the macro "
                           "path and needs run.macro_mean")):
        path.write_text(text.replace(old, new))
        with pytest.raises(cs.ScenarioError, match=msg):
            cs.load_scenario(path)


def _innovations(ds, phi):
    z = ds.macro_z.values[:, 1:]
    e = z.copy()
    e[:, 1:] = (z[:, 1:] - phi * z[:, :-1]) / np.sqrt(1 - phi * phi)
    return e


def test_antithetic_pairs_turn_the_normals_about_the_shift():
    """Scenario i + S/2 takes scenario i's normals with their signs turned, about the
    shift's mean; the first half is the plain shifted run (paths and losses); the weights
    are the likelihood ratios; the pairs are the clusters."""
    phi, mean, n = 0.5, [-1.0, -0.5, -0.5], 16
    model, book = two_state_model(P, RHO, phi), cs.LoanBook.homogeneous(200, segment="all")
    plain = cs.simulate(model, book, horizon=3, scenarios=n, seed=5, macro_mean=mean)
    anti = cs.simulate(model, book, horizon=3, scenarios=n, seed=5, macro_mean=mean, macro_antithetic=True)
    mu = np.array([mean[0]] + [(mean[t] - phi * mean[t - 1]) / np.sqrt(1 - phi * phi) for t in (1, 2)])
    e = _innovations(anti, phi) - mu
    np.testing.assert_allclose(e[n // 2:], -e[: n // 2], atol=1e-12)
    np.testing.assert_allclose(anti.macro_z.values[: n // 2, 1:], plain.macro_z.values[: n // 2, 1:], atol=1e-12)
    np.testing.assert_array_equal(anti.loss.values[: n // 2], plain.loss.values[: n // 2])
    np.testing.assert_allclose(anti.scenario_weight.values, np.exp(-_innovations(anti, phi) @ mu + mu @ mu / 2),
                               rtol=1e-10)
    np.testing.assert_array_equal(anti.scenario_cluster.values, np.arange(n) % (n // 2))
    assert anti.attrs["macro_antithetic"] == 1


def test_sobol_replicates_are_scrambled_nets():
    """Each replicate's normals, mapped back to (0, 1), put exactly one point in each of the
    2^m equal intervals of every month (a scrambled Sobol net's one-dimensional
    projections); the replicates differ; a fixed month is not drawn."""
    phi, reps, pts = 0.5, 4, 16
    states = cs.StateSpace(["current", "charged_off"])
    model = cs.CreditModel(states=states, segments=[cs.Segment("all", [[1 - P, P], [0.0, 1.0]], rho=RHO)],
                           macro=cs.MacroFactor(phi=phi, path=[0.4]))
    ds = cs.simulate(model, cs.LoanBook.homogeneous(200, segment="all"), horizon=4, scenarios=reps * pts, seed=3,
                     macro_sobol=reps)
    assert np.all(ds.macro_z.values[:, 1] == 0.4) and ds.attrs["macro_sobol"] == reps
    u = stats.norm.cdf(_innovations(ds, phi)[:, 1:])  # the three drawn months
    for r in range(reps):
        cells = np.floor(u[r * pts:(r + 1) * pts] * pts).astype(int)
        for d in range(3):
            assert sorted(cells[:, d]) == list(range(pts)), (r, d, cells[:, d])
    assert not np.allclose(u[:pts], u[pts:2 * pts])
    np.testing.assert_array_equal(ds.scenario_cluster.values, np.arange(reps * pts) // pts)


@pytest.mark.parametrize("how", [dict(macro_antithetic=True), dict(macro_sobol=8), dict(macro_strata=2048)])
def test_antithetic_and_sobol_tails_are_exact_and_tighter(pool, how):
    """The finite Vasicek pool's VaR and ES at 99.9% within the 99% intervals of a shifted
    run with antithetic pairs, 8 Sobol replicates or strata (4,096 scenarios); the ES
    interval narrower than importance sampling's alone (4,000 independent scenarios); the
    VaR's interval a few defaults wide (the benign paths' huge weights once let a level
    far below the VaR into it: 12 to 299 defaults with strata)."""
    model, book, kw, tilted, _ = pool
    alpha = 0.999
    ds = cs.simulate(model, book, **{**kw, "scenarios": 4096}, **how)
    r, _, (v_lo, v_hi) = _exact_within_and_narrower(ds, tilted, alpha, 1.2)
    assert v_hi - v_lo < 20, (v_lo, v_hi)
    c = cs.risk_contributions(ds, levels=[alpha], variable="loss")
    np.testing.assert_allclose(c.es_contribution.sel(bound="estimate").sum("part").values,
                               r.es.sel(bound="estimate").values, rtol=1e-12)


def test_plain_antithetic_and_sobol_runs_keep_the_expected_loss():
    """Without a shift the weights are 1 and the summaries still take the design's errors:
    the exact expected loss N·P of the one-month pool within the 99.9% interval of each."""
    model, book = two_state_model(P, RHO), cs.LoanBook.homogeneous(N, segment="all")
    for how in (dict(macro_antithetic=True), dict(macro_sobol=4)):
        ds = cs.simulate(model, book, horizon=1, scenarios=1024, seed=8, **how)
        r = cs.risk_summary(ds, levels=[0.99], confidence=0.999)
        assert r.attrs["importance_sampling"] == 0
        lo, hi = r.expected_loss.values[1:]
        assert lo <= N * P <= hi, (how, r.expected_loss.values)
        head = cs.format_summary(r).splitlines()[0]
        assert ("(macro paths in antithetic pairs)" if "macro_antithetic" in how
                else "(macro paths as 4 quasi-random replicates)") in head


@pytest.mark.parametrize(("kw", "parts"), [
    (dict(macro_mean=-2.0, macro_strata=4, macro_antithetic=True),
     ("simulate: macro_strata and macro_antithetic are ways of drawing the macro paths; give one of them",)),
    (dict(macro_antithetic=1), ("simulate: macro_antithetic must be True or False, got 1",)),
    (dict(macro_antithetic=True, scenarios=6, horizon=1), ()),
    (dict(macro_antithetic=True, scenarios=7), ("macro_antithetic pairs scenario i with i + scenarios/2",
                                                "got scenarios=7")),
    (dict(macro_sobol=1), ("simulate: macro_sobol must be a whole number >= 2",)),
    (dict(macro_sobol=2, scenarios=12), ("macro_sobol=2 must divide scenarios=12 into replicates of a power of two",)),
])
def test_bad_antithetic_and_sobol_are_named(kw, parts):
    args = {"horizon": 1, "scenarios": 8, "seed": 0, **kw}
    model, book = two_state_model(), cs.LoanBook.homogeneous(10, segment="all")
    if not parts:  # a good call: 6 scenarios make 3 pairs
        assert cs.simulate(model, book, **args).scenario_cluster.values.tolist() == [0, 1, 2, 0, 1, 2]
        return
    with raises(*parts):
        cs.simulate(model, book, **args)


def test_antithetic_and_sobol_in_a_scenario_file(tmp_path):
    path = tmp_path / "s.toml"
    for extra, key, value in (("macro_antithetic = true", "macro_antithetic", True),
                              ("macro_sobol = 2", "macro_sobol", 2)):
        path.write_text(small_demo_scenario(extra))
        sc = cs.load_scenario(path)
        assert sc.simulate_kwargs()[key] == value
        again = tmp_path / "again.toml"
        again.write_text(sc.to_toml())
        assert cs.load_scenario(again) == sc
    for extra, msg in (("macro_sobol = 3", "run.macro_sobol: 3 must divide run.scenarios = 8"),
                       ("macro_antithetic = 1", "run.macro_antithetic: must be true or false, got 1"),
                       ("macro_sobol = 2\nmacro_antithetic = true",
                        "run: macro_antithetic and macro_sobol are ways of drawing the macro paths")):
        path.write_text(small_demo_scenario(extra))
        with pytest.raises(cs.ScenarioError, match=msg):
            cs.load_scenario(path)


def _strategy_result(s=40, seed=0):
    """A result-shaped Dataset of two strategies (what compare and recovery_curves read)."""
    import xarray as xr

    rng = np.random.default_rng(seed)
    loss = rng.gamma(2.0, 100.0, (s, 2))
    age = 3
    return xr.Dataset({
        "net_credit_loss": (("scenario", "strategy"), loss, {"units": "CNY"}),
        "recovered_by_age": (("scenario", "strategy", "months_since_charge_off"), rng.gamma(1.0, 5.0, (s, 2, age))),
        "credit_charge_offs": (("scenario", "month", "strategy"), rng.gamma(2.0, 50.0, (s, 4, 2))),
        "scenario_weight": (("scenario",), rng.exponential(1.0, s)),
    }, coords={"strategy": ["a", "b"]})


def test_compare_and_curves_weigh_a_weighted_run():
    """compare's means and paired differences are the means of w·x with the errors of w·x
    (clusters: of their means, t quantiles); recovery curves pool with the weights."""
    ds = _strategy_result()
    w = ds.scenario_weight.values
    x = ds.net_credit_loss.values * w[:, None]
    c = cs.compare(ds, baseline="a")
    np.testing.assert_allclose(c.net_credit_loss.sel(bound="estimate").values, x.mean(axis=0), rtol=1e-12)
    d = x[:, 1] - x[:, 0]
    np.testing.assert_allclose(float(c.net_credit_loss_diff.sel(strategy="b", bound="estimate")), d.mean(), rtol=1e-12)
    np.testing.assert_allclose(float(c.net_credit_loss_diff_se.sel(strategy="b")), d.std(ddof=1) / np.sqrt(40),
                               rtol=1e-12)
    clustered = ds.assign(scenario_cluster=("scenario", np.arange(40) % 20)).assign_attrs(macro_antithetic=1)
    cc = cs.compare(clustered, baseline="a")
    pair = d.reshape(2, 20).mean(axis=0)
    se = pair.std(ddof=1) / np.sqrt(20)
    np.testing.assert_allclose(float(cc.net_credit_loss_diff_se.sel(strategy="b")), se, rtol=1e-12)
    est, lo, hi = cc.net_credit_loss_diff.sel(strategy="b").values
    np.testing.assert_allclose(hi - est, stats.t.ppf(0.975, 19) * se, rtol=1e-10)
    curve = cs.recovery_curves(ds)
    wa = ds.scenario_weight
    expected = (ds.recovered_by_age * wa).sum("scenario").cumsum("months_since_charge_off") / \
        (ds.credit_charge_offs * wa).sum(("scenario", "month"))
    np.testing.assert_allclose(curve.values, expected.transpose(*curve.dims).values, rtol=1e-12)


def test_bad_weights_are_named():
    ds = _strategy_result(s=4).isel(strategy=0)
    ds = ds.assign(loss=ds.net_credit_loss)
    for bad in ([1.0, -1.0, 1.0, 1.0], [1.0, np.nan, 1.0, 1.0]):
        with raises("risk_summary: scenario_weight must be 4 finite weights >= 0 (one per scenario)"):
            cs.risk_summary(ds.assign(scenario_weight=("scenario", bad)), variable="loss")
    from creditsim.report import plot

    with raises("plot: scenario_weight is 0 in every scenario"):
        plot._scenario_weights(ds.assign(scenario_weight=("scenario", np.zeros(4))))
    with raises("plot: scenario_weight must be 4 finite weights >= 0"):
        plot._scenario_weights(ds.assign(scenario_weight=("scenario", [1.0, -1.0, 1.0, 1.0])))
