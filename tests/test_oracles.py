"""The engine against exact results: matrix powers, the fundamental matrix, Vasicek, and
the macro tilt's average.  Tolerances come from the Monte Carlo standard error."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import creditsim as cs
from creditsim import oracles
from creditsim.compile.model import compile_model
from creditsim.engine import rng as _rng
from creditsim.engine.tilt import thresholds
from creditsim.spec.macro import conditional_matrix
from helpers import PAST_DUE_P, absorption_case, family_z, random_chain, two_state_model


@st.composite
def chain_runs(draw):
    k = draw(st.integers(2, 6))
    absorbing = draw(st.integers(0, k - 1))
    seed = draw(st.integers(0, 2**31 - 1))
    rho = draw(st.sampled_from([0.0, 0.05, 0.3]))
    return k, absorbing, seed, rho


@given(chain_runs())
def test_mean_occupancy_is_matrix_power(run):
    """E[occupancy_t] = n0 · Pᵗ for random valid chains (independent macro months)."""
    k, absorbing, seed, rho = run
    rng = np.random.default_rng(seed)
    p = random_chain(rng, k, absorbing)
    names = [f"s{i}" for i in range(k)]
    model = cs.CreditModel(
        states=cs.StateSpace(names, absorbing=names[k - absorbing:]),
        segments=[cs.Segment("g", p, rho=rho)],
        macro=cs.MacroFactor(phi=0.0),
    )
    n, horizon, scenarios = 2000, 6, 64
    start = rng.choice(names, size=n)
    book = cs.LoanBook(segment=np.full(n, "g"), state=start, exposure=np.ones(n))
    ds = cs.simulate(model, book, horizon=horizon, scenarios=scenarios, seed=seed)
    occ = ds.occupancy.sel(segment="g").values.astype(float)  # (S, T+1, K)
    n0 = np.array([(start == s).sum() for s in names], dtype=float)
    expected = oracles.expected_occupancy(p, n0, horizon)
    mean = occ.mean(axis=0)
    # the standard error is estimated from the scenarios, but never below the spread the
    # loans have when they move independently, so that a rare state that no scenario
    # happened to reach is judged by its true spread rather than by a sample spread of 0
    se_sample = occ.std(axis=0, ddof=1) / np.sqrt(scenarios)
    pt = np.stack([np.linalg.matrix_power(p, t) for t in range(horizon + 1)])  # (T+1, K, K)
    se_indep = np.sqrt(np.einsum("s,tsj->tj", n0, pt * (1 - pt)) / scenarios)
    se = np.maximum(se_sample, se_indep)
    z = family_z((horizon + 1) * k, df=scenarios - 1)
    tol = z * se + 1e-9 * n
    assert np.all(np.abs(mean - expected) <= tol), (mean - expected, tol)
    # loans are conserved every month
    assert np.all(occ.sum(axis=2) == n)
    # every month of an open loan is one move: a state's row of the transitions is its
    # occupancy over months 0..T-1, and an open state's column its occupancy over 1..T
    tr = ds.transitions.sel(segment="g").values  # (S, K, K)
    open_ = [i for i, name in enumerate(names) if name not in model.states.absorbing]
    np.testing.assert_array_equal(tr.sum(axis=2)[:, open_], occ[:, :-1, open_].sum(axis=1))
    np.testing.assert_array_equal(tr.sum(axis=1)[:, open_], occ[:, 1:, open_].sum(axis=1))
    assert np.all(tr.sum(axis=2)[:, [i for i in range(k) if i not in open_]] == 0)


@pytest.mark.parametrize("dpd", [None, 180, 120])
def test_absorption_matches_fundamental_matrix(dpd):
    """Absorption probabilities and mean months to absorption from N = (I - Q)⁻¹, of the
    chain itself (no charge-off rule) and of the chain over months past due that the
    charge-off rule at 180 or 120 days makes of it."""
    case = absorption_case(dpd)
    model, book, per, transient = case["model"], case["book"], case["per"], case["transient"]
    o, rows, horizon = case["absorption"], case["rows"], case["horizon"]
    ds = cs.simulate(model, book, horizon=horizon, scenarios=1, seed=3)
    occ = ds.occupancy.isel(scenario=0)
    z = family_z(3 * len(transient))
    for i, s in enumerate(transient):
        o_s = occ.sel(segment=s)
        co = float(o_s.sel(state="charged_off").isel(month=-1)) / per
        po = float(o_s.sel(state="paid_off").isel(month=-1)) / per
        r = rows[i]
        b_co, b_po = o["B"][r, 1], o["B"][r, 0]
        assert abs(co - b_co) <= z * np.sqrt(b_co * (1 - b_co) / per)
        assert abs(po - b_po) <= z * np.sqrt(b_po * (1 - b_po) / per)
        # E[tau] = sum over months t >= 0 of P(still transient at t)
        alive = o_s.sel(state=list(transient)).sum("state").values[:-1] / per
        assert abs(alive.sum() - o["t"][r]) <= z * np.sqrt(o["t_var"][r] / per)
    if dpd is not None:  # the rule charges off more than the chain alone
        assert oracles.absorption(PAST_DUE_P, [0, 6])["B"][4, 1] < o["B"][rows[4], 1]


@pytest.mark.parametrize("alpha", [0.99, 0.999])
def test_vasicek_loss_quantiles(alpha):
    """A large homogeneous two-state book reproduces the Vasicek quantile."""
    p, rho, n = 0.02, 0.10, VASICEK_N
    model = two_state_model(p, rho)
    ds = _vasicek_run(model, n)
    # the distribution-free order-statistic interval at 99.99% must contain the oracle
    summary = cs.risk_summary(ds, levels=[alpha], confidence=0.9999)
    est, lo, hi = summary["var"].sel(level=alpha).values / n
    q = float(oracles.vasicek_quantile(p, rho, alpha))
    assert lo <= q and (np.isnan(hi) or q <= hi), (q, est, lo, hi)
    # and so does the 99.99% interval of the fraction of scenarios below the oracle
    frac = float((ds.loss.values / n <= q).mean())
    s = ds.sizes["scenario"]
    assert abs(frac - alpha) <= family_z(1) * np.sqrt(alpha * (1 - alpha) / s)


#: Loans of the Vasicek book: the loss rate given Z has a spread of at most 0.0016 (a
#: binomial over 100,000 loans), far inside the Monte Carlo error of 3,000 scenarios that
#: sets the tolerances, and the variance oracle carries the finite pool's (p - Φ₂)/n.
VASICEK_N = 100_000
_VASICEK = {}


def _vasicek_run(model, n):
    if "ds" not in _VASICEK:
        book = cs.LoanBook.homogeneous(n, segment="all")
        _VASICEK["ds"] = cs.simulate(model, book, horizon=1, scenarios=3000, seed=2026)
    return _VASICEK["ds"]


def test_vasicek_mean_and_variance():
    """Mean p and variance Φ₂(Φ⁻¹p, Φ⁻¹p; ρ) − p² + (p − Φ₂)/n of the loss rate; the
    variance pins down ρ, which the quantile tests alone do not."""
    p, rho, n = 0.02, 0.10, VASICEK_N
    ds = _vasicek_run(two_state_model(p, rho), n)
    rate = ds.loss.values / n
    s = rate.size
    z = family_z(2)
    assert abs(rate.mean() - p) <= z * rate.std(ddof=1) / np.sqrt(s)
    var = rate.var(ddof=1)
    m4 = np.mean((rate - rate.mean()) ** 4)
    expected = oracles.vasicek_variance(p, rho, n)
    assert abs(var - expected) <= z * np.sqrt((m4 - var**2) / s), (var, expected)
    # the loss is exactly the number of loans charged off (unit exposures)
    np.testing.assert_array_equal(ds.loss.values, ds.charged_off.values)


@pytest.mark.parametrize("dpd", [None, 180])
def test_rows_at_a_fixed_macro_path_match_the_conditional_matrices(dpd):
    """Under a fixed Z path the expected occupancy is π₀·P(z₁)·P(z₂)···: the tilt's
    direction, loading and precision, month by month (loans independent given the path);
    with the charge-off rule, of the chains over months past due made of each P(z)."""
    names = list(cs.DEFAULT_STATES)
    from creditsim import presets

    p = presets.band_matrix(**presets.BANDS["E"])
    path = np.array([-2.5, 1.5, -1.0, 0.5])
    rho = 0.2
    model = cs.CreditModel(segments=[cs.Segment("E", p, rho=rho)], macro=cs.MacroFactor(path=path),
                           charge_off_dpd=dpd)
    rng = np.random.default_rng(7)
    n, scenarios = 40_000, 8
    start = rng.choice(names, size=n, p=[0.0, 0.5, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.0])
    book = cs.LoanBook(segment=np.full(n, "E"), state=start, exposure=np.ones(n))
    ds = cs.simulate(model, book, horizon=path.size, scenarios=scenarios, seed=11)
    occ = ds.occupancy.sel(segment="E").values.astype(float).mean(axis=0)  # (T+1, K)
    n0 = np.array([(start == s).sum() for s in names], dtype=float)
    _, state_of, entry = oracles.past_due_chain(p, model.states, dpd)
    to_states = (state_of[:, None] == np.arange(len(names))[None, :]).astype(float)
    prod = np.eye(state_of.size)[entry]  # (K, M): each start state in its entry sub-state
    z = family_z(path.size * len(names))
    for t, zt in enumerate(path, start=1):
        prod = prod @ oracles.past_due_chain(conditional_matrix(p, rho, zt), model.states, dpd)[0]
        expected = n0 @ prod @ to_states
        p_t = prod @ to_states
        se = np.sqrt(np.einsum("s,sj->j", n0, p_t * (1 - p_t)) / scenarios)
        assert np.all(np.abs(occ[t] - expected) <= z * se + 1e-9), (t, occ[t] - expected, se)


def test_basel_retail_correlation():
    assert oracles.basel_retail_rho(0.0) == pytest.approx(0.16)
    assert oracles.basel_retail_rho(1.0) == pytest.approx(0.03)
    # BCBS 2006 paragraph 330 at PD = 1%: 0.03·f + 0.16·(1 − f), f = (1 − e^−0.35)/(1 − e^−35)
    f = (1 - np.exp(-0.35)) / (1 - np.exp(-35))
    assert oracles.basel_retail_rho(0.01) == pytest.approx(0.03 * f + 0.16 * (1 - f), rel=1e-12)
    assert np.all(np.diff(oracles.basel_retail_rho(np.linspace(0, 1, 50))) < 0)


@pytest.mark.parametrize("rho", [0.0, 0.02, 0.12, 0.3, 0.6])
def test_conditional_matrix_averages_to_base(rng, rho):
    p = random_chain(rng, 7, 2)
    avg = oracles.average_conditional_matrix(p, rho, nodes=120)
    np.testing.assert_allclose(avg, p, atol=1e-9)


@pytest.mark.parametrize("rho", [0.0, 0.1, 0.4])
def test_kernel_thresholds_average_to_base(rng, rho):
    """The kernel's integer thresholds, averaged over Z by Gauss-Hermite, give the base rows."""

    p = random_chain(rng, 6, 2)
    model = cs.CreditModel(states=cs.StateSpace([f"s{i}" for i in range(6)], absorbing=["s4", "s5"]),
                           segments=[cs.Segment("g", p, rho=rho)])
    cm, _ = compile_model(model)
    x, w = np.polynomial.hermite_e.hermegauss(120)
    w = w / w.sum()
    with _rng.x64():
        thr = np.asarray(thresholds(cm.q, cm.sqrt_rho, x)).astype(np.float64)  # (nodes, G+1, K, K-1)
    cum = np.einsum("n,nikj->ikj", w, thr[:, :1]) / 2.0**31
    base = np.cumsum(p, axis=1)[:, :-1]
    # each node's threshold is rounded to the 2**-31 grid
    np.testing.assert_allclose(cum[0], base, atol=1e-9 + 2.0**-31)


def test_conditional_matrix_direction_and_rows():
    m = np.array([[0.97, 0.03], [0.0, 1.0]])
    bad, good = conditional_matrix(m, 0.2, -2.0), conditional_matrix(m, 0.2, 2.0)
    assert bad[0, 1] > m[0, 1] > good[0, 1]
    for c in (bad, good):
        np.testing.assert_allclose(c.sum(axis=1), 1.0, atol=1e-15)
        assert c[1, 1] == 1.0


@pytest.mark.parametrize("p, rho", [(0.02, 0.1), (0.001, 0.3), (0.2, 0.05)])
def test_vasicek_variance_oracle(p, rho):
    """The quadrature oracle against SciPy's bivariate normal CDF."""
    from scipy import special, stats

    t = special.ndtri(p)
    mvn = stats.multivariate_normal(mean=[0, 0], cov=[[1, rho], [rho, 1]], abseps=1e-13, releps=1e-12)
    assert oracles.vasicek_variance(p, rho) == pytest.approx(mvn.cdf([t, t]) - p * p, rel=1e-6)


@pytest.mark.parametrize("rho", [0.0, 0.3])
def test_one_month_roll_rates_are_the_matrix(rho):
    """From a fixed book, one month's moves i -> j average n0_i · P_ij over the scenarios
    whatever the macro loading (E[Φ((Φ⁻¹(c) − √ρZ)/√(1−ρ))] = c), and roll_rates pools them."""
    from creditsim import presets

    names = list(cs.DEFAULT_STATES)
    p = presets.band_matrix(**presets.BANDS["E"])
    model = cs.CreditModel(segments=[cs.Segment("E", p, rho=rho)], charge_off_dpd=None)
    rng = np.random.default_rng(5)
    n, scenarios = 20_000, 64
    start = rng.choice(names, size=n, p=[0.0, 0.4, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.0])
    book = cs.LoanBook(segment=np.full(n, "E"), state=start, exposure=np.ones(n))
    ds = cs.simulate(model, book, horizon=1, scenarios=scenarios, seed=13)
    tr = ds.transitions.sel(segment="E").values.astype(float)  # (S, K, K)
    n0 = np.array([(start == s).sum() for s in names], dtype=float)
    open_ = [i for i, name in enumerate(names) if name not in model.states.absorbing]
    expected = n0[open_, None] * p[open_]
    se = np.maximum(tr[:, open_].std(axis=0, ddof=1), np.sqrt(n0[open_, None] * p[open_] * (1 - p[open_])))
    z = family_z(expected.size, df=scenarios - 1)
    err = tr[:, open_].mean(axis=0) - expected
    assert np.all(np.abs(err) <= z * se / np.sqrt(scenarios) + 1e-9), err
    rr = cs.roll_rates(ds)
    np.testing.assert_allclose(rr.values[open_], tr[:, open_].sum(axis=0) / (scenarios * n0[open_, None]))
    assert np.all(np.isnan(rr.sel(state=["paid_off", "charged_off"]).values))
    np.testing.assert_array_equal(rr.loan_months.values, scenarios * n0 * np.isin(np.arange(len(names)), open_))
