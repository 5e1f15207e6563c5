"""IFRS 9 staging and provisions against the matrix oracles; losses attributed by stage."""

import numpy as np
import pytest

import creditsim as cs
from creditsim import oracles, presets
from helpers import PAST_DUE_NAMES, PAST_DUE_P, family_z

NAMES, P = PAST_DUE_NAMES, PAST_DUE_P


def test_staging_rule():
    """Days past due beyond 30 and 90, the listed states and segments set the stage."""
    model = presets.jiebei_model()
    states = ["current", "dpd_1_30", "dpd_31_60", "dpd_91_180", "restructured", "fraud_review", "current", "paid_off"]
    days = [0, 30, 31, 100, 0, 0, 0, 0]
    segs = ["A", "A", "A", "A", "A", "A", "E", "A"]
    book = cs.LoanBook(segs, states, np.ones(len(states)), days_past_due=days)
    from creditsim.compile.loans import resolve

    seg, st0 = resolve(book, model)
    assert cs.Staging().stages(book, model, seg, st0).tolist() == [1, 1, 2, 3, 2, 3, 1, 1]
    rule = cs.Staging(stage2_days=0, stage3_days=60, stage2_states=(), stage3_states=(), stage2_segments=["E"])
    assert rule.stages(book, model, seg, st0).tolist() == [1, 2, 2, 3, 1, 1, 2, 1]
    # without days past due a loan is at its state's first day (31 for 31-60)
    plain = cs.LoanBook(segs, states, np.ones(len(states)))
    assert cs.Staging(stage2_days=30).stages(plain, model, seg, st0).tolist()[:3] == [1, 1, 2]
    with pytest.raises(ValueError, match=r"Staging.stage3_states: unknown state 'late'"):
        cs.Staging(stage3_states=["late"]).stages(book, model, seg, st0)
    with pytest.raises(ValueError, match=r"Staging.stage3_days: must be >= stage2_days \(30\), got 10"):
        cs.Staging(stage3_days=10)
    with pytest.raises(ValueError, match=r"Staging.stage2_days: need a whole number of days >= 0, got -1"):
        cs.Staging(stage2_days=-1)
    with pytest.raises(ValueError, match=r"Staging: unknown field 'stage4_days'"):
        cs.Staging.of({"stage4_days": 1})


def test_losses_by_stage_add_up_and_change_nothing_else():
    """Attributing losses to stages leaves every other output bit-identical, and the losses
    by stage sum to the loss plus the fraud loss."""
    model = presets.jiebei_model()
    book = presets.jiebei_book(3000, seed=2, states=presets.JIEBEI_START)
    # in spans of 6 and 2 months (the attribution carried across them); 8 scenarios: the
    # plain run's kernels are those of tests/test_plot_and_format.py's runs
    plain = cs.simulate(model, book, horizon=8, scenarios=8, seed=7)
    staged = cs.simulate(model, book, horizon=8, scenarios=8, seed=7, stages=True)
    for name in plain.data_vars:
        np.testing.assert_array_equal(plain[name].values, staged[name].values)
    total = staged.loss_by_stage.sum(("segment", "stage"))
    np.testing.assert_allclose(total, staged.loss + staged.fraud_loss.sum("segment"), rtol=1e-12)
    np.testing.assert_allclose(total, staged.net_credit_loss.sum("month"), rtol=1e-12)
    assert int(staged.loans_by_stage.sum()) == int((book.state_codes >= 0).sum())  # no paid-off loans at start
    # discounted principal: at most the undiscounted, within 12 months at most the horizon's
    d = staged.discounted_loss
    assert (d.sel(window="12_months") <= d.sel(window="horizon") + 1e-9).all()


def _chain_book(per):
    transient = NAMES[1:6]
    states = cs.StateSpace(NAMES)
    model = cs.CreditModel(states=states, segments=[cs.Segment(s, P) for s in transient], charge_off_dpd=None)
    seg = np.repeat(np.array(transient), per)
    return model, cs.LoanBook(segment=seg, state=seg, exposure=np.full(seg.size, 100.0))


def test_provisions_match_the_matrix_oracles():
    """A chain-only book (no terms, no discounting, no macro correlation): one segment per
    starting state, so the lifetime ECL of a segment is its exposure times the absorption
    probability into charged-off of N = (I − Q)⁻¹ R, and the 12-month ECL its exposure
    times (P¹²)[start, charged_off], within Monte Carlo error."""
    per = 20_000
    model, book = _chain_book(per)
    prov = cs.provisions(model, book, scenarios=2, seed=4, macro={"base": {"weight": 1.0}})
    b = oracles.absorption(P, [0, 6])["B"][:, 1]  # rows: the transient states in order
    p12 = np.linalg.matrix_power(P, 12)[1:6, 6]
    z = family_z(10)
    n = 2 * per  # loan-scenarios per segment (rho = 0: all independent)
    for i, seg in enumerate(NAMES[1:6]):
        life = float(prov.ecl_lifetime.sel(macro="base", segment=seg, bound="estimate").sum()) / (100 * per)
        twelve = float(prov.ecl_12_months.sel(macro="base", segment=seg, bound="estimate").sum()) / (100 * per)
        assert abs(life - b[i]) <= z * np.sqrt(b[i] * (1 - b[i]) / n), (seg, life, b[i])
        assert abs(twelve - p12[i]) <= z * np.sqrt(p12[i] * (1 - p12[i]) / n), (seg, twelve, p12[i])
    # the provision takes stage 1's 12-month and stages 2-3's lifetime figure
    stage = {"current": 1, "dpd_1_30": 1, "dpd_31_60": 2, "dpd_61_90": 2, "dpd_91_180": 3}
    for seg, s in stage.items():
        which = prov.ecl_12_months if s == 1 else prov.ecl_lifetime
        assert float(prov.ecl.sel(segment=seg, stage=s, bound="estimate")) == pytest.approx(
            float(which.sel(macro="base", segment=seg, stage=s, bound="estimate")))
        assert float(prov.balance.sel(segment=seg, stage=s)) == 100 * per
    assert prov.horizon >= 12
    np.testing.assert_allclose(prov.coverage_total.values, prov.ecl_total.values / prov.balance.sum().item())


def test_discounting_at_the_contract_rate():
    """Interest-first loans that charge off from current with hazard h a month owe their
    whole principal when they do: the ECL is P·Σ_t h(1−h)^(t−1)·(1 + r/12)^(−t) over the
    window (closed form), within Monte Carlo error."""
    n, h, rate, principal = 40_000, 0.02, 0.12, 1000.0
    names = ["paid_off", "current", "charged_off"]
    p = np.array([[1, 0, 0], [0, 1 - h, h], [0, 0, 1.0]])
    model = cs.CreditModel(states=cs.StateSpace(names), segments=[cs.Segment("A", p)])
    terms = cs.LoanTerms(np.full(n, principal), rate, 60, "interest_first")
    book = cs.LoanBook(np.full(n, "A"), np.full(n, "current"), terms=terms)
    horizon = 24
    # the horizon in one kernel call (the same results as in spans): one compiled kernel
    prov = cs.provisions(model, book, scenarios=1, seed=2, macro={"base": {"weight": 1.0}}, horizon=horizon,
                         month_span=horizon)
    v = 1 / (1 + rate / 12)
    t = np.arange(1, horizon + 1)
    pdf = h * (1 - h) ** (t - 1)
    for window, months in (("ecl_12_months", 12), ("ecl_lifetime", horizon)):
        want = principal * n * (pdf[:months] * v ** t[:months]).sum()
        got = float(prov[window].sel(macro="base", segment="A", stage=1, bound="estimate"))
        q = pdf[:months].sum()
        assert abs(got - want) <= family_z(2) * principal * np.sqrt(n * q * (1 - q)), (window, got, want)
        # undiscounted it would be larger by about the mean discount
        assert got < principal * n * q


def test_weighted_macro_scenarios_and_their_interval():
    """The provision is the weighted sum of the macro scenarios' figures; a downside path
    raises it; its interval is the paired one and contains the estimate."""
    model = presets.jiebei_model(shocks=False, fraud=False)
    book = presets.jiebei_book(2000, seed=3, states=presets.JIEBEI_START)
    prov = cs.provisions(model, book, scenarios=8, seed=1)
    est = prov.sel(bound="estimate")
    w = prov.weight
    s1 = (est.ecl_12_months.sel(stage=1) * w).sum("macro")
    np.testing.assert_allclose(est.ecl.sel(stage=1), s1, rtol=1e-9)
    s3 = (est.ecl_lifetime.sel(stage=3) * w).sum("macro")
    np.testing.assert_allclose(est.ecl.sel(stage=3), s3, rtol=1e-9)
    total_12 = est.ecl_12_months.sum(("segment", "stage"))
    assert total_12.sel(macro="downside") > total_12.sel(macro="baseline") > total_12.sel(macro="upside")
    lo, e, hi = (float(prov.ecl_total.sel(bound=b)) for b in ("lower", "estimate", "upper"))
    assert lo < e < hi
    cov = prov.coverage_by_stage.sel(bound="estimate").values
    assert cov[0] < cov[1] < cov[2] <= 1.0  # coverage rises with the stage


@pytest.mark.parametrize(("kw", "msg"), [
    ({"macro": {"a": {"weight": 0.5}}}, "weights must sum to 1, got 0.5"),
    ({"macro": {"a": {"w": 1.0}}}, "macro\\['a'\\] must be a mapping with a 'weight'"),
    ({"macro": {"a": {"weight": -1}}}, "macro\\['a'\\].weight must be a number in \\[0, 1\\], got -1"),
    ({"recovery_rate": 1.0}, "recovery_rate must be a number in \\[0, 1\\), got 1.0"),
    ({"confidence": 1.5}, "confidence must be in \\(0, 1\\), got 1.5"),
    ({"strategies": ["in_house"]}, "strategies and stages are not simulate options here"),
    ({"staging": {"stage9": 1}}, "Staging: unknown field 'stage9'"),
    ({"originations": cs.Originations(5, {"current": 1.0})}, "originations are not a simulate option here"),
    ({"horizon": 24.5}, "provisions: horizon must be a whole number of months >= 12, got 24.5"),
    ({"horizon": True}, "provisions: horizon must be a whole number of months >= 12, got True"),
    ({"horizon": "24"}, "provisions: horizon must be a whole number of months >= 12, got '24'"),
    ({"horizon": 6}, "provisions: horizon must be at least 12 months \\(stage 1's ECL counts the first 12\\), "
                     "got 6"),
    ({"horizon": np.int64(0)}, "provisions: horizon must be at least 12 months .*got 0"),
])
def test_provisions_bad_input(kw, msg):
    model, book = _chain_book(10)
    with pytest.raises(ValueError, match=msg):
        cs.provisions(model, book, scenarios=2, **kw)


def _still_in(p, keep, tail=1e-4):
    """The fewest months after which a loan starting in any state of ``keep`` is still in
    one of them with probability below ``tail`` (matrix powers of the block)."""
    q = p[np.ix_(keep, keep)]
    n = 0
    while np.linalg.matrix_power(q, n).sum(axis=1).max() >= tail:
        n += 1
    return n


def test_default_horizon_without_a_charge_off_rule(monkeypatch):
    """With loan terms and no charge-off rule, the lifetime is the longest remaining term
    plus the months after which a loan past due at the end of its term is still past due
    with probability below 1e-4 (matrix powers), not the 180-day rule's 7 months; without
    terms, the months after which a loan is still open with probability below 1e-4."""
    from creditsim.run.provisions import lifetime_horizon

    p = presets.band_matrix(**presets.BANDS["C"])
    model = cs.CreditModel(segments=[cs.Segment("C", p)], charge_off_dpd=None)
    names = list(cs.DEFAULT_STATES)
    late = [i for i, n in enumerate(names) if n.startswith("dpd_")]
    terms = cs.LoanTerms(np.full(4, 1000.0), 0.2, [3, 6, 12, 12], "equal_instalment", [0, 1, 2, 6])
    book = cs.LoanBook(np.full(4, "C"), ["current", "current", "dpd_1_30", "dpd_91_180"], terms=terms)
    tail = _still_in(p, late)
    want = 10 + tail + (10 + tail) % 2
    assert tail > 7 and lifetime_horizon(model, book) == want
    with_rule = cs.CreditModel(segments=[cs.Segment("C", p)], charge_off_dpd=180)
    assert lifetime_horizon(with_rule, book) == 18  # 10 + 6 + 1, even
    open_ = [i for i, n in enumerate(names) if n not in ("paid_off", "charged_off")]
    exposures = cs.LoanBook(np.full(2, "C"), ["current", "dpd_1_30"], [1.0, 1.0])
    months = _still_in(p, open_)
    assert lifetime_horizon(model, exposures) == months + months % 2
    # provisions simulates that horizon (the run itself stopped: its horizon is the point)
    class Stop(Exception):
        pass

    seen = []

    def simulate(model, book, *, horizon, **kw):
        seen.append(horizon)
        raise Stop

    monkeypatch.setattr("creditsim.run.simulation.simulate", simulate)
    with pytest.raises(Stop):
        cs.provisions(model, book, scenarios=1, seed=1, macro={"b": {"weight": 1.0}})
    assert seen == [want]
