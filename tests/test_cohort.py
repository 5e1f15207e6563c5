"""The cohort engine (``simulate(..., engine="cohort")``): its binomial draws have the
binomial law, its means are the matrix-power and fundamental-matrix oracles', its tail the
finite Vasicek pool's, it agrees in distribution with the agent engine on a book both run
(shocks, fraud, behaviour types, the charge-off rule), it depends only on (seed,
scenario), compiles once, and refuses by name what it does not run."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import special, stats

import creditsim as cs
from creditsim.compile.cohort import OUTCOMES, cohort_tables, exposure_classes
from creditsim.compile.model import compile_model
from creditsim.engine import rng
from creditsim.engine.cohort import binomial
from creditsim.engine.tracing import trace_count
from creditsim.spec.presets import jiebei_model
from creditsim.testing import oracles
from helpers import PAST_DUE_NAMES, PAST_DUE_P, absorption_case, family_z, raises, two_state_model

CASES = [(5, 0.3), (60, 0.1), (200_000, 0.02), (3_000, 0.45), (1_000, 0.999), (12, 0.9), (40, 0.5)]


def test_binomial_draws_have_the_binomial_law():
    """Chi-square goodness of fit of 100,000 draws per case against the binomial pmf (cells
    with expected count >= 5, the rest pooled), both samplers (inversion below a mean of
    10, rejection above, and the symmetric side), family-wise false alarm 1e-4; edge cases
    exact."""
    n_draws = 100_000
    with rng.x64():
        f = jax.jit(lambda key, n, p: binomial(key, n, p))
        for i, (n, p) in enumerate(CASES):
            x = np.asarray(f(jax.random.key(i), jnp.full(n_draws, n, jnp.int32), jnp.float64(p)))
            k = np.arange(n + 1)
            expected = stats.binom.pmf(k, n, p) * n_draws
            observed = np.bincount(x, minlength=n + 1)
            keep = expected >= 5
            obs = np.append(observed[keep], observed[~keep].sum())
            exp = np.append(expected[keep], expected[~keep].sum())
            chi = np.sum((obs - exp) ** 2 / np.maximum(exp, 1e-300))
            assert stats.chi2.sf(chi, keep.sum()) > 1e-4 / len(CASES), (n, p, chi)
        edge = np.asarray(f(jax.random.key(9), jnp.array([0, 7, 100, 5, 0], jnp.int32),
                            jnp.array([0.3, 0.0, 1.0, 1.0, 1.0])))
        np.testing.assert_array_equal(edge, [0, 0, 100, 5, 0])


def test_tables_follow_the_agent_engines_rules():
    """Sub-states of the preset: a loan 6 months past due that stays is charged off (credit);
    a review confirmed is charged off as fraud; a claim rejected 2 months past due returns
    as 5 months past due (2 + review 2 + 1) in 91-180; a claim holds the months past due."""
    model = jiebei_model()
    cm, _ = compile_model(model)
    names = list(model.states.names)
    st0 = np.array([names.index("current")], np.int32)
    t = cohort_tables(model, cm, st0, np.zeros(1, np.int32))
    subs = {(names[s], int(d), int(v)): i for i, (s, d, v) in enumerate(zip(t.state, t.dpd, t.timer, strict=True))}
    w = t.dest.shape[1]

    def after(sub, outcome):
        i = subs[sub]
        if outcome in OUTCOMES:
            slot = w + OUTCOMES.index(outcome)
        else:
            slot = int(np.flatnonzero((t.dest[i] == names.index(outcome)) & t.dest_open[i])[0])
        s = t.next_sub[i, slot]
        return (names[t.state[s]], int(t.dpd[s]), int(t.timer[s])), int(t.charge_off[i, slot])

    assert after(("dpd_91_180", 6, 0), "dpd_91_180") == (("charged_off", 0, 0), 1)
    assert after(("dpd_91_180", 5, 0), "dpd_91_180") == (("dpd_91_180", 6, 0), 0)
    assert after(("dpd_31_60", 2, 0), "claim") == (("fraud_review", 2, 2), 0)
    assert after(("fraud_review", 2, 2), "held") == (("fraud_review", 2, 1), 0)
    assert after(("fraud_review", 2, 1), "confirm") == (("charged_off", 0, 0), 2)
    assert after(("fraud_review", 2, 1), "reject") == (("dpd_91_180", 5, 0), 0)
    assert after(("fraud_review", 0, 1), "reject") == (("dpd_1_30", 1, 0), 0)
    assert after(("current", 0, 0), "dpd_1_30") == (("dpd_1_30", 1, 0), 0)


@pytest.mark.parametrize("dpd", [None, 120])
def test_absorption_matches_the_fundamental_matrix(dpd):
    """As the agent engine's oracle test: absorption probabilities and mean months to
    absorption from N = (I - Q)^-1 of the chain over months past due, with 40,000 loans
    from each state (the cohort engine's cost does not grow with them)."""
    case = absorption_case(dpd)
    model, book, per, transient = case["model"], case["book"], case["per"], case["transient"]
    o, rows, horizon = case["absorption"], case["rows"], case["horizon"]
    ds = cs.simulate(model, book, horizon=horizon, scenarios=2, seed=3, engine="cohort")
    z = family_z(3 * len(transient) * 2)
    for scenario in range(2):
        occ = ds.occupancy.isel(scenario=scenario)
        for i, s in enumerate(transient):
            o_s = occ.sel(segment=s)
            co = float(o_s.sel(state="charged_off").isel(month=-1)) / per
            r = rows[i]
            b_co = o["B"][r, 1]
            assert abs(co - b_co) <= z * np.sqrt(b_co * (1 - b_co) / per)
            alive = o_s.sel(state=list(transient)).sum("state").values[:-1] / per
            assert abs(alive.sum() - o["t"][r]) <= z * np.sqrt(o["t_var"][r] / per)


def test_mean_occupancy_is_the_matrix_power():
    """phi = 0: the mean over scenarios of the occupancy is x0 P^t (the conditional rows
    average to the base matrix), within family-wise bounds from the scenarios' spread."""
    states = cs.StateSpace(PAST_DUE_NAMES)
    model = cs.CreditModel(states=states, segments=[cs.Segment("g", PAST_DUE_P, rho=0.05)],
                           macro=cs.MacroFactor(phi=0.0), charge_off_dpd=None)
    n0 = np.array([0, 30_000, 4_000, 3_000, 2_000, 1_000, 0])
    st = np.repeat(np.arange(7), n0)
    book = cs.LoanBook(segment=["g"] * st.size, state=np.array(PAST_DUE_NAMES)[st], exposure=np.ones(st.size))
    horizon, s = 6, 400
    ds = cs.simulate(model, book, horizon=horizon, scenarios=s, seed=5, engine="cohort")
    occ = ds.occupancy.isel(segment=0).values  # (S, T+1, K)
    expected = oracles.expected_occupancy(PAST_DUE_P, n0, horizon)
    se = occ.std(axis=0, ddof=1) / np.sqrt(s)
    z = family_z(horizon * 7, df=s - 1)
    mean = occ.mean(axis=0)
    assert np.all(np.abs(mean - expected)[1:] <= z * se[1:] + 1e-9)


def test_the_finite_vasicek_pool_tail_with_importance_sampling():
    """One month, 2,000 unit loans, p 2%, rho 0.12: the cohort engine's weighted VaR and ES
    at 99.9% hold the exact finite-pool values (quadrature) inside their 99% intervals."""
    p, rho, n = 0.02, 0.12, 2000
    from test_importance import _exact_tail  # the same pool's exact tail

    model = two_state_model(p, rho)
    book = cs.LoanBook.homogeneous(n, segment="all")
    ds = cs.simulate(model, book, horizon=1, scenarios=4000, seed=11, engine="cohort",
                     macro_mean=float(special.ndtri(0.001)))
    var, es, _ = _exact_tail(0.999)
    r = cs.risk_summary(ds, levels=[0.999], confidence=0.99)
    assert r.attrs["importance_sampling"] == 1
    _, v_lo, v_hi = r["var"].sel(level=0.999).values
    _, e_lo, e_hi = r["es"].sel(level=0.999).values
    assert v_lo <= var <= v_hi and e_lo <= es <= e_hi, (var, es, r["var"].values, r["es"].values)


@pytest.fixture(scope="module")
def busy_preset():
    """The preset's first two bands (three behaviour types each) with shocks and fraud made
    frequent (hazards 3% and 0.5% a month), on a book of 2,000 loans of 1,000 yuan from every live state (so every feature acts; one
    exposure class: the classes' own test is below)."""
    m = jiebei_model()
    m = dataclasses.replace(m, segments=m.segments[:2], income_shock=dataclasses.replace(m.income_shock, hazard=0.03),
                            fraud=dataclasses.replace(m.fraud, hazard=0.005))
    rs = np.random.default_rng(0)
    n = 2000
    states = ["current"] * 6 + ["dpd_1_30", "dpd_31_60", "dpd_61_90", "dpd_91_180"]
    book = cs.LoanBook(segment=rs.choice(list(m.segment_names), n), state=rs.choice(states, n),
                       exposure=np.full(n, 1_000.0))
    return m, book


def test_agrees_in_distribution_with_the_agent_engine(busy_preset):
    """Two-sample Kolmogorov-Smirnov tests of the cohort engine's scenarios against the
    agent engine's, 12 months, two seeds of 250 scenarios each: credit and fraud losses,
    loans charged off, loans under a shock and having reported hardship, 90+ and 1-30
    occupancy, loans under review; beside each, a paired t-test of the differences scenario
    by scenario (the engines share the macro paths); every p-value above 1% over the number
    of tests (family-wise 1%).  A shock ending with 0.7 times its probability in the cohort
    engine alone fails it (checked by hand, before and after the cells that draw were
    gathered; the paired p on loans under a shock was 1.7e-50 the first time)."""
    model, book = busy_preset
    stats_of = {
        "loss": lambda d: d.loss.values,
        "fraud_loss": lambda d: d.fraud_loss.sum("segment").values,
        "charged_off": lambda d: d.charged_off.values,
        "in_shock_m12": lambda d: d.in_shock.isel(month=12).sum("segment").values,
        "reported_m12": lambda d: d.hardship_reported.isel(month=12).sum("segment").values,
        "dpd90_m4": lambda d: d.occupancy.sel(state="dpd_91_180").isel(month=4).sum("segment").values,
        "dpd30_m9": lambda d: d.occupancy.sel(state="dpd_1_30").isel(month=9).sum("segment").values,
        "review_m3": lambda d: d.occupancy.sel(state="fraud_review").isel(month=3).sum("segment").values,
    }
    seeds = (1, 2)
    m = len(stats_of) * len(seeds)
    for seed in seeds:
        kw = dict(horizon=12, scenarios=250, seed=seed)
        # the agent engine in one kernel call a scenario block (all 250 scenarios, the whole
        # horizon): one compiled kernel instead of four (blocks of 8 and 2, spans of 6
        # months); a scenario's draws depend neither on its block nor on the spans
        # (test_engine, test_money), so the scenarios are the same
        a = cs.simulate(model, book, scenario_batch=250, month_span=12, **kw)
        c = cs.simulate(model, book, engine="cohort", **kw)
        assert c.attrs["exposure_class_error"] == 0.0 and c.attrs["engine"] == "cohort"
        np.testing.assert_array_equal(a.loans_by_type.values, c.loans_by_type.values)
        np.testing.assert_array_equal(a.macro_z.values, c.macro_z.values)
        for name, get in stats_of.items():
            x, y = get(a), get(c)
            assert np.ptp(x) > 0, name  # the statistic varies: the test has power
            ks = stats.ks_2samp(x, y).pvalue
            # both engines run the same macro paths, and given its path a scenario's figure
            # has the same law in both: the paired differences are centred on 0, free of
            # the macro factor's spread (the power against a shifted mean)
            paired = stats.ttest_rel(x, y).pvalue
            assert min(ks, paired) > 0.01 / (2 * m), (seed, name, ks, paired, x.mean(), y.mean())


def test_same_seed_same_result_whatever_the_batch_and_no_recompilation():
    """A scenario's draws depend only on (seed, scenario): batches of 3 and of 7 give the
    same result; a repeated call compiles nothing; loans are conserved every month."""
    states = cs.StateSpace(PAST_DUE_NAMES)
    model = cs.CreditModel(states=states, segments=[cs.Segment("g", PAST_DUE_P, rho=0.1)], charge_off_dpd=120)
    book = cs.LoanBook(segment=["g"] * 500, state=["current"] * 400 + ["dpd_31_60"] * 100,
                       exposure=np.arange(1.0, 501.0))
    kw = dict(horizon=5, scenarios=7, seed=4, engine="cohort")
    calls = []
    a = cs.simulate(model, book, scenario_batch=3, progress=lambda done, total: calls.append((done, total)), **kw)
    # one call a batch, in loan-months, ending at the whole run
    assert calls == [(500 * 5 * k, 500 * 5 * 7) for k in (3, 6, 7)]
    before = trace_count("cohort_kernel")
    b = cs.simulate(model, book, scenario_batch=3, **kw)
    assert trace_count("cohort_kernel") == before
    c = cs.simulate(model, book, scenario_batch=7, **kw)
    for d in (b, c):
        for name in ("occupancy", "loss", "charged_off", "transitions"):
            np.testing.assert_array_equal(a[name].values, d[name].values)
    assert (a.occupancy.values.sum(axis=(2, 3)) == len(book)).all()
    assert a.loss.values.max() > 0
    different = cs.simulate(model, book, scenario_batch=3, **{**kw, "seed": 5})
    assert not np.array_equal(a.occupancy.values, different.occupancy.values)


def test_exposure_classes_bucket_a_book_and_report_the_error():
    units = np.array([5, 5, 9, 9, 9, 1])
    group = np.zeros(6, np.int32)
    cls, value = exposure_classes(units, group, 1, 3)  # three distinct: exact
    np.testing.assert_array_equal(value[0][cls], units)
    rs = np.random.default_rng(1)
    units = np.round(np.exp(rs.normal(9, 1, 20_000))).astype(np.int64)
    group = rs.integers(0, 3, units.size).astype(np.int32)
    errors = []
    for k in (4, 16, 64):
        cls, value = exposure_classes(units, group, 3, k)
        assert cls.max() < k
        # each group's total kept to within half a unit a loan (the class means' rounding)
        for g in range(3):
            here = group == g
            assert abs(value[g][cls[here]].sum() - units[here].sum()) <= 0.5 * here.sum()
        errors.append(np.abs(value[group, cls] - units).sum() / units.sum())
    assert errors[0] > errors[1] > errors[2]
    model = two_state_model()
    book = cs.LoanBook(segment=["all"] * 6, state=["current"] * 6, exposure=[1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    ds = cs.simulate(model, book, horizon=1, scenarios=1, seed=0, engine="cohort", exposure_classes=2)
    assert ds.attrs["exposure_classes"] == 2 and ds.attrs["exposure_class_error"] > 0


@pytest.mark.parametrize("kw, msg", [
    ({"chunk_size": 1024}, ("engine='cohort' does not take chunk_size",)),
    ({"month_span": 6}, ("does not take month_span",)),
    ({"stages": True}, ("does not take stages", "not built")),
    ({"executor": "devices"}, ("does not take executor",)),
    ({"exposure_classes": 0}, ("exposure_classes",)),
])
def test_what_the_cohort_engine_does_not_run_is_refused_by_name(kw, msg):
    model = two_state_model()
    book = cs.LoanBook.homogeneous(10, segment="all")
    with raises(*msg):
        cs.simulate(model, book, horizon=2, scenarios=2, seed=0, engine="cohort", **kw)


def test_strategies_originations_and_misplaced_classes_are_refused():
    from creditsim.spec.presets import jiebei_book

    model = jiebei_model()
    book = jiebei_book(50, seed=0)
    with raises("does not take strategies"):
        cs.simulate(model, book, horizon=2, scenarios=2, seed=0, engine="cohort", strategies="in_house")
    plain = cs.LoanBook.homogeneous(10, segment="A")
    with raises("does not take originations"):
        cs.simulate(model, plain, horizon=2, scenarios=2, seed=0, engine="cohort",
                    originations=cs.Originations(volume=5, segments={"A": 1.0}))
    with raises("exposure_classes applies to engine='cohort'"):
        cs.simulate(model, plain, horizon=2, scenarios=2, seed=0, exposure_classes=4)
    with raises("rate_classes applies to engine='cohort'", "2"):
        cs.simulate(model, book, horizon=2, scenarios=2, seed=0, rate_classes=2)
    with raises("rate_classes applies to a book with loan terms", "3"):
        cs.simulate(model, plain, horizon=2, scenarios=2, seed=0, engine="cohort", rate_classes=3)
    with raises("rate_classes", "0"):
        cs.simulate(model, book, horizon=2, scenarios=2, seed=0, engine="cohort", rate_classes=0)
    with raises("unknown engine 'fast'", "['agent', 'cohort']"):
        cs.simulate(model, plain, horizon=2, scenarios=2, seed=0, engine="fast")


COHORT_FILE = """
[run]
horizon = 3
scenarios = 5
seed = 2

[model]
preset = "demo"

[book]
kind = "synthetic"
n = 300
seed = 1
segments = ["A", "E"]

[engine]
engine = "cohort"
exposure_classes = 4
"""


def test_a_scenario_file_runs_the_cohort_engine(tmp_path):
    from click.testing import CliRunner

    from creditsim.cli.main import main

    path = tmp_path / "cohort.toml"
    path.write_text(COHORT_FILE)
    res = CliRunner().invoke(main, ["validate", str(path)])
    assert res.exit_code == 0 and res.output.rstrip().endswith("engine cohort"), res.output
    sc = cs.load_scenario(path)
    ds = sc.run()
    direct = cs.simulate(sc.credit_model(), sc.loan_book(), horizon=3, scenarios=5, seed=2, engine="cohort",
                         exposure_classes=4)
    assert ds.attrs["engine"] == "cohort" and ds.attrs["exposure_classes"] == 4
    np.testing.assert_array_equal(ds.occupancy.values, direct.occupancy.values)


@pytest.mark.parametrize("edit, parts", [
    (('engine = "cohort"\nexposure_classes = 4', 'engine = "fast"'), ("engine.engine", "'fast'", "['agent', 'cohort']")),
    (('exposure_classes = 4', 'exposure_classes = 4\nchunk_size = 1024'), ("engine.chunk_size", "cohort")),
    (('engine = "cohort"\n', ''), ("engine.exposure_classes", "'cohort' only")),
    (('exposure_classes = 4', 'rate_classes = 2'), ("engine.rate_classes", "loan terms")),
    (('engine = "cohort"\nexposure_classes = 4', 'rate_classes = 2'), ("engine.rate_classes", "'cohort' only")),
    (('\n[run]', 'strategies = ["in_house"]\n[run]'), ("engine.engine", "strategies")),
])
def test_a_scenario_file_names_what_the_cohort_engine_does_not_take(tmp_path, edit, parts):
    path = tmp_path / "bad.toml"
    path.write_text(COHORT_FILE.replace(*edit))
    with pytest.raises(cs.ScenarioError) as e:
        cs.load_scenario(path)
    assert len(e.value.problems) == 1, e.value.problems
    for p in parts:
        assert p in e.value.problems[0], e.value.problems


# ------------------------------------------------------------------ money (loan terms)
def schedule_book(n_each: int = 3):
    """Loans of every method, terms 3, 6 and 12 at several ages and rates, all current."""
    rs = np.random.default_rng(8)
    rows = [(m, t, mob) for m in range(3) for t in (3, 6, 12) for mob in range(0, t, 2)]
    method = np.repeat([r[0] for r in rows], n_each)
    term = np.repeat([r[1] for r in rows], n_each)
    mob = np.repeat([r[2] for r in rows], n_each)
    principal = np.round(rs.uniform(1_000, 50_000, method.size), 2)
    rate = rs.choice([0.0, 0.072, 0.18], method.size)
    terms = cs.LoanTerms(principal, rate, term, method, mob)
    return cs.LoanBook(segment=["g"] * method.size, state=["current"] * method.size, terms=terms), terms


def test_money_follows_the_closed_form_schedules():
    """Loans that never miss a payment (current stays current): each month's interest and
    principal received are the closed-form schedules' (``creditsim.schedule.payment``)
    summed over the loans, to within the fen a loan's starting balance is rounded to, and
    every loan is paid off in the month of its last instalment (three rates, each its own
    band; two amount classes)."""
    p = PAST_DUE_P.copy()
    p[1] = 0.0
    p[1, 1] = 1.0
    model = cs.CreditModel(states=cs.StateSpace(PAST_DUE_NAMES), segments=[cs.Segment("g", p, rho=0.1)],
                           charge_off_dpd=180)
    book, terms = schedule_book()
    horizon = 13
    # two amount classes: they split cohorts and move no money
    ds = cs.simulate(model, book, horizon=horizon, scenarios=2, seed=1, engine="cohort", exposure_classes=2)
    assert ds.attrs["exposure_classes"] == 2 and ds.attrs["rate_bands"] == 3 and ds.attrs["rate_band_error"] == 0
    months = np.arange(1, horizon + 1)
    _, interest, principal = cs.schedule.payment(terms.principal[:, None], terms.annual_rate[:, None],
                                                 terms.term[:, None], terms.method[:, None],
                                                 terms.months_on_book[:, None] + months[None, :])
    tol = 0.01 * len(book)
    for name, want in (("interest_received", interest.sum(0)), ("principal_repaid", principal.sum(0))):
        got = ds[name].values[:, 1:]
        assert np.abs(got - want[None]).max() < tol, (name, got[0], want)
    left = terms.term - terms.months_on_book
    paid = ds.occupancy.sel(state="paid_off").sum("segment").values
    np.testing.assert_array_equal(paid[:, 1:], np.broadcast_to((left[:, None] <= months).sum(0), (2, horizon)))
    assert ds.balance.values[:, -1].sum() == 0 and ds.loss.values.max() == 0


@pytest.fixture(scope="module")
def busy_terms(busy_preset):
    """The busy preset's model on 2,000 loans with terms: 3 and 6 months, every method, new
    and seasoned, priced at their band's rate, from every live state."""
    from creditsim.spec.presets import JIEBEI_RATES

    model, plain = busy_preset
    rs = np.random.default_rng(3)
    n = len(plain)
    seg = np.asarray(plain.segment_names)[plain.segment_codes]
    term = rs.choice([3, 6], n)
    terms = cs.LoanTerms(np.round(rs.uniform(1_000, 20_000, n), 2), np.array([JIEBEI_RATES[s] for s in seg]), term,
                         rs.integers(0, 3, n), rs.integers(0, 3, n) * (term == 6))
    state = np.asarray(plain.state_names)[plain.state_codes]
    return model, cs.LoanBook(segment=seg, state=state, terms=terms)


def test_money_agrees_in_distribution_with_the_agent_engine(busy_terms):
    """With loan terms (shocks, fraud, the 180-day rule, loans maturing within the run): the
    money the two engines report, scenario by scenario on shared macro paths, has the same
    law (paired t-test and two-sample KS, family-wise 1%): credit and fraud losses, interest
    and principal received, the principal owed at months 3 and 9, the principal and
    interest charged off, the interest charged and still owed at the end, loans paid off.
    The cohort engine carries a cohort's money as totals split in proportion to its counts,
    so its means are the agent engine's (up to the agent's rounding of each loan's amounts
    to the fen) and its spread lacks only the spread of amounts within a cohort, which a
    test of this size cannot see."""
    model, book = busy_terms
    stats_of = {
        "net_credit_loss": lambda d: d.net_credit_loss.sum("month").values,
        "fraud_losses": lambda d: d.fraud_losses.sum("month").values,
        "interest_received": lambda d: d.interest_received.sum("month").values,
        "principal_repaid": lambda d: d.principal_repaid.sum("month").values,
        "owed_m3": lambda d: d.balance.isel(month=3).sum(("segment", "state")).values,
        "owed_m9": lambda d: d.balance.isel(month=9).sum(("segment", "state")).values,
        "charged_off_principal": lambda d: d.charged_off_principal.values,
        "charged_off_interest": lambda d: d.charged_off_interest.values,
        "interest_charged": lambda d: d.interest_charged.values,
        "interest_outstanding": lambda d: d.interest_outstanding.values,
        "paid_off_m7": lambda d: d.occupancy.sel(state="paid_off").isel(month=7).sum("segment").values,
    }
    kw = dict(horizon=9, scenarios=200, seed=11)
    # the agent engine's horizon in one kernel call: one compiled kernel, not one for each
    # of the spans of 6 and 3 months (the same scenarios: the draws do not depend on spans)
    a = cs.simulate(model, book, month_span=10, **kw)
    c = cs.simulate(model, book, engine="cohort", **kw)
    assert c.attrs["rate_bands"] == 1 and c.attrs["rate_band_error"] == 0.0
    for name, get in stats_of.items():
        x, y = get(a), get(c)
        assert np.ptp(x) > 0, name
        ks = stats.ks_2samp(x, y).pvalue
        paired = stats.ttest_rel(x, y).pvalue
        assert min(ks, paired) > 0.01 / (2 * len(stats_of)), (name, ks, paired, x.mean(), y.mean())


def test_terms_classes_keep_few_rates_exactly_and_band_many():
    """A row group's few rates are kept exactly, many are banded (the bands' rates between
    their loans', the error reported); instalments left are classes of their own; the
    principal's share falling due is the schedule's."""
    from creditsim.compile.cohort import principal_shares, terms_classes

    model = two_state_model()
    n = 600
    rs = np.random.default_rng(2)
    group = np.repeat([0, 1], n // 2).astype(np.int32)
    rate = np.where(group == 0, rs.choice([0.06, 0.12], n), rs.uniform(0.05, 0.20, n))
    term = rs.choice([3, 12], n)
    mob = rs.integers(0, 3, n)
    terms = cs.LoanTerms(rs.uniform(1_000, 9_000, n), rate, term, rs.integers(0, 3, n), mob)
    units = np.round(terms.outstanding() * 100).astype(np.int64)
    tc = terms_classes(model, terms, units, group, 2, rate_classes=3, amount_classes=1)
    band = tc.cls // (tc.n_amounts * tc.n_left)
    left = tc.cls % tc.n_left
    np.testing.assert_array_equal(left, terms.term - terms.months_on_book)
    exact = group == 0
    np.testing.assert_allclose(tc.rate[0, tc.cls[exact]], rate[exact] / 12, rtol=1e-12)
    assert band[~exact].max() == 2 and tc.rate_error > 0
    for b in range(3):  # each band's rate lies within its loans' rates
        r = rate[~exact & (band == b)] / 12
        assert r.min() <= tc.rate[1, b * tc.n_left + 1] <= r.max()
    tc1 = terms_classes(model, terms, units, group, 2, rate_classes=40, amount_classes=1)
    assert tc1.n_bands == 40 and tc1.rate_error < tc.rate_error
    # shares against the closed-form schedule: principal due over the balance before it
    for method in range(3):
        for r_annual in (0.0, 0.15):
            bal = cs.schedule.balance(10_000.0, r_annual, 12, method, np.arange(12))
            _, _, princ = cs.schedule.payment(10_000.0, r_annual, 12, method, np.arange(1, 13))
            got = principal_shares(np.full(12, r_annual / 12), 12 - np.arange(12))[:, method]
            np.testing.assert_allclose(got * bal, princ, rtol=1e-9, atol=1e-9)


def test_money_rules_pay_as_the_agent_engine_whatever_the_months_past_due():
    """Without a charge-off rule (the demo model: 91-180 days ages every month) a loan that
    stays where it is pays nothing, however long it has been past due in the run: months
    past due are tracked as far as a loan gets (a cap below that would pay a share).  The
    payment share is (d + 1 - d_new) / (d + 1) on every other move, all of it on a cure."""
    from creditsim.compile.cohort import money_rules

    model = cs.presets.demo_model()
    cm, _ = compile_model(model)
    st = model.states
    state0 = np.array([st.index("current")] * 2)
    dpd0 = np.array([0, 0])
    horizon = 12
    tables = cohort_tables(model, cm, state0, dpd0, money_horizon=horizon)
    # a loan entering 91-180 days (4 months) in month 1 is 4 + 11 months past due at the end
    assert tables.dpd.max() >= cm.past_first.max() + horizon
    rules = money_rules(tables, model, cm)
    width = tables.dest.shape[1]
    # every sub-state a loan can reach in the run: below the tables' last, which is one past it
    for s in np.flatnonzero(~tables.absorbing & (tables.dpd < tables.dpd.max())):
        for w in np.flatnonzero(tables.dest_open[s]):
            nxt = tables.next_sub[s, w]
            d, d_new = tables.dpd[s], tables.dpd[nxt]
            if tables.absorbing[nxt]:
                continue
            want = 1.0 - min(max((d + 1 - d_new) / (d + 1), 0.0), 1.0)
            assert rules.keep[s, w] == pytest.approx(want), (s, w, d, d_new)
            if tables.state[nxt] == tables.state[s] and cm.past_ages[tables.state[s]]:
                assert rules.keep[s, w] == 1.0 and d_new == d + 1
    assert rules.live[:, width + OUTCOMES.index("claim")].sum() == 0  # a claim freezes the money


def test_a_loan_with_no_instalment_left_and_a_balance_and_too_many_cohorts_are_refused():
    p = PAST_DUE_P.copy()
    model = cs.CreditModel(states=cs.StateSpace(PAST_DUE_NAMES), segments=[cs.Segment("g", p)])
    terms = cs.LoanTerms([5_000.0, 5_000.0], 0.1, 6, 0, [2, 6])
    book = cs.LoanBook(segment=["g", "g"], state=["current", "dpd_1_30"], exposure=[3_000.0, 800.0], terms=terms)
    with raises("engine='cohort' decides a schedule's end per cohort", "loan 1", "800.0"):
        cs.simulate(model, book, horizon=2, scenarios=2, seed=0, engine="cohort")
    rs = np.random.default_rng(0)
    big = cs.LoanTerms(rs.uniform(1_000, 9_000, 3000), rs.uniform(0.05, 0.2, 3000), 360, 0, rs.integers(0, 300, 3000))
    many = cs.LoanBook(segment=["g"] * 3000, state=["current"] * 3000, terms=big)
    with raises("would hold", "cohorts a scenario", "40 rate bands x 64 amount classes x 361 values of instalments "
                "left", "fewer exposure_classes"):
        cs.simulate(model, many, horizon=2, scenarios=2, seed=0, engine="cohort", rate_classes=40, exposure_classes=64)
