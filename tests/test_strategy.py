"""Collection strategies: validation, common random numbers, caps, money and direction."""

import jax
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import creditsim as cs
from creditsim import presets
from creditsim.engine import agent, compaction
from creditsim.engine.features import Audit
from creditsim.engine.tracing import trace_count
from creditsim.spec.strategy import strategy as get_strategy
from helpers import raises, sure_chain

H = 12  # months
S = 16  # scenarios
#: The whole horizon in one kernel call: results do not depend on the month spans (tested
#: with strategies in test_dropping_finished_loans_changes_nothing_with_strategies and by
#: the golden six_strategies run), and runs of one model, book size and batch then share one
#: compiled kernel instead of one per span position.
ONE_CALL = {"month_span": H}


def book(n=600, seed=4, **kw):
    return presets.jiebei_book(n, seed=seed, states=presets.JIEBEI_START, **kw)


def one_type_model(type_name, *, shocks=False, fraud=False, **shock):
    """The Jiebei preset with one band (C) whose loans are all of one behaviour type."""
    base = presets.jiebei_model(shocks=shocks, fraud=fraud)
    seg = base.segment("C")
    t = next(bt for bt in seg.types if bt.name == type_name)
    new = cs.Segment("C", types=[cs.BehaviourType(type_name, 1.0, t.matrix)], rho=seg.rho,
                     distressed=seg.distressed)
    model = base.replace(segments=[new])
    if shock:
        model = model.with_income_shock(cs.IncomeShock(**shock))
    return model


def per_strategy(ds):
    return [v for v in ds.data_vars if "strategy" in ds[v].dims]


# ---------------------------------------------------------------------------- validation


def test_strategy_validation_messages():
    sms = cs.Contact(name="sms", contacts=1)
    with raises("Strategy 'x'", "rule uses action 'call'", "not among its actions ['sms']"):
        cs.Strategy("x", (sms,), (cs.Rule("call"),))
    with raises("Strategy 'x'", "action 'blast' makes 5 contacts a month", "max_contacts=3"):
        cs.Strategy("x", (cs.Contact(name="blast", contacts=5),), ())
    with raises("Strategy 'x'", "action names must be unique", "['sms']"):
        cs.Strategy("x", (sms, sms), ())
    with raises("Strategy 'x'", "at most one bureau action", "['b1', 'b2']"):
        cs.Strategy("x", (cs.BureauReport(name="b1"), cs.BureauReport(name="b2")), ())
    with raises("Effect: cure must be a number", "-1"):
        cs.Effect(cure=-1)
    with raises("Contact 'sms'", "effect['strategic']", "unknown effect fields ['cur']"):
        cs.Contact(name="sms", effect={"strategic": {"cur": 2}})
    with raises("Contact 'sms'", "complaint must be a number in [0, 1]", "1.5"):
        cs.Contact(name="sms", complaint=1.5)
    with raises("Rule for 'sms'", "max_days 10 is below min_days 31"):
        cs.Rule("sms", min_days=31, max_days=10)
    with raises("Settlement 'deal'", "accept['*']", "[0, 1]", "2"):
        cs.Settlement(name="deal", accept=2)
    with raises("LegalAction 'sue'", "months must be a whole number in [1, 120]", "0"):
        cs.LegalAction(name="sue", months=0)
    with raises("unknown preset 'nice'"):
        cs.Strategy.preset("nice")


def test_strategy_errors_against_the_model_and_book():
    model = presets.jiebei_model(shocks=False, fraud=False)
    b = book(200)
    bad_state = cs.Strategy("x", (cs.Contact(name="sms", contacts=1),), (cs.Rule("sms", states=("late",)),))
    with raises("Strategy 'x': rule 0 ('sms')", "unknown state 'late'"):
        cs.simulate(model, b, horizon=2, scenarios=2, seed=0, strategies=bad_state)
    absorbing = cs.Strategy("x", (cs.Contact(name="sms", contacts=1),), (cs.Rule("sms", states=("charged_off",)),))
    with raises("state 'charged_off' is absorbing", "only an agency or legal placement"):
        cs.simulate(model, b, horizon=2, scenarios=2, seed=0, strategies=absorbing)
    seg = cs.Strategy("x", (cs.Contact(name="sms", contacts=1),), (cs.Rule("sms", segments=("Z",)),))
    with raises("segments", "'Z'"):
        cs.simulate(model, b, horizon=2, scenarios=2, seed=0, strategies=seg)
    with raises("strategies need a book with loan terms"):
        cs.simulate(model, cs.LoanBook.homogeneous(10, segment="A"), horizon=2, scenarios=2, seed=0,
                    strategies="in_house")
    with raises("strategy names must be unique", "['in_house']"):
        cs.simulate(model, b, horizon=2, scenarios=2, seed=0, strategies=["in_house", "in_house"])
    states = cs.StateSpace(["current", "dpd_1_30", "paid_off", "charged_off"])
    m = np.array([[0.9, 0.05, 0.05, 0], [0.5, 0.3, 0, 0.2], [0, 0, 1, 0], [0, 0, 0, 1]])
    small = cs.CreditModel(states=states, segments=[cs.Segment("A", m)])
    ext = cs.Strategy("x", (cs.Restructure(name="ext", extend_months=3),), (cs.Rule("ext"),))
    with raises("restructuring needs a 'restructured' state"):
        cs.simulate(small, presets.jiebei_book(50, bands={"A": 1.0}), horizon=2, scenarios=2, seed=0,
                    strategies=ext)


def test_strategy_round_trips_through_a_dict():
    for name in cs.STRATEGIES:
        s = cs.Strategy.preset(name)
        again = cs.Strategy.from_dict(s.to_dict())
        assert again.to_dict() == s.to_dict()
        assert get_strategy(s.to_dict()).name == name


# ----------------------------------------------------------------- common random numbers


@pytest.fixture(scope="module")
def presets_run():
    model = presets.jiebei_model()
    return cs.simulate(model, book(), horizon=H, scenarios=S, seed=11, strategies=list(cs.STRATEGIES), **ONE_CALL)


def test_identical_strategies_give_identical_results():
    model = presets.jiebei_model()
    a = cs.Strategy.preset("agency_at_60")
    ds = cs.simulate(model, book(), horizon=H, scenarios=8, seed=2, strategies=[a, a.replace(name="copy")],
                     **ONE_CALL)
    for v in per_strategy(ds):
        np.testing.assert_array_equal(ds[v].isel(strategy=0).values, ds[v].isel(strategy=1).values, err_msg=v)


def test_an_action_without_effect_or_cost_changes_nothing_and_a_cost_adds_exactly_itself():
    model = presets.jiebei_model()
    b = book()
    plain = cs.simulate(model, b, horizon=H, scenarios=8, seed=6, **ONE_CALL)
    inert = cs.Strategy("inert", (cs.Contact(name="nudge", contacts=1),), (cs.Rule("nudge"),))
    costly = cs.Strategy("costly", (cs.Contact(name="nudge", contacts=1, cost=2.5),), (cs.Rule("nudge"),))
    ds = cs.simulate(model, b, horizon=H, scenarios=8, seed=6, strategies=[inert, costly], **ONE_CALL)
    for v in plain.data_vars:
        if v in ("collection_costs", "net_credit_loss", "npv"):
            continue
        for s in ("inert", "costly"):
            x = ds[v].sel(strategy=s) if "strategy" in ds[v].dims else ds[v]
            np.testing.assert_array_equal(x.values, plain[v].values, err_msg=f"{v} {s}")
    np.testing.assert_array_equal(ds.net_credit_loss.sel(strategy="inert").values, plain.net_credit_loss.values)
    used = ds.contacts.sel(strategy="costly")  # one contact per use
    assert float(used.sum()) > 0
    np.testing.assert_allclose(ds.net_credit_loss.sel(strategy="costly") - plain.net_credit_loss, 2.5 * used,
                               rtol=0, atol=1e-6)
    np.testing.assert_array_equal(ds.npv.sel(strategy="inert").values, plain.npv.values)
    assert np.all(ds.npv.sel(strategy="costly").values < plain.npv.values)


def test_paired_differences_are_tighter_than_unpaired(presets_run):
    c = cs.compare(presets_run, baseline="in_house")
    assert c.attrs["baseline"] == "in_house"
    np.testing.assert_array_equal(c.net_credit_loss_diff.sel(strategy="in_house").values, 0.0)
    for s in ("agency_at_90", "aggressive", "hardship_restructure"):
        paired = float(c.net_credit_loss_diff_se.sel(strategy=s))
        unpaired = float(c.net_credit_loss_diff_se_unpaired.sel(strategy=s))
        assert 0 < paired < unpaired / 2, (s, paired, unpaired)
    # the interval is the estimate +- z se
    d = c.net_credit_loss_diff.sel(strategy="aggressive")
    se = float(c.net_credit_loss_diff_se.sel(strategy="aggressive"))
    assert float(d.sel(bound="upper") - d.sel(bound="estimate")) == pytest.approx(1.959964 * se, rel=1e-5)
    with raises("compare: baseline 'nope' is not a strategy"):
        cs.compare(presets_run, baseline="nope")


def test_no_recompilation_across_strategies_and_calls():
    """One strategy a kernel call (the CPU's default): a run of three after a run of one,
    and the same three in another order, compile nothing more."""
    model = presets.jiebei_model()
    b = book()
    names = ["in_house", "agency_at_90", "aggressive"]
    cs.simulate(model, b, horizon=H, scenarios=8, seed=1, strategies=names[:1], strategy_batch=1, **ONE_CALL)
    before = trace_count()
    cs.simulate(model, b, horizon=H, scenarios=8, seed=1, strategies=names, strategy_batch=1, **ONE_CALL)
    cs.simulate(model, b, horizon=H, scenarios=8, seed=1, strategies=names[::-1], strategy_batch=1, **ONE_CALL)
    assert trace_count() == before


def test_strategies_give_the_same_results_whatever_their_grouping(monkeypatch):
    """A kernel call runs a group of ``strategy_batch`` strategies (the rest in groups of
    powers of two): three strategies in groups of 3 make as many calls as one, in groups of
    2 and 1 twice as many, one at a time three times.  Stepping them together (vectorised,
    sharing each month's random words) or one after another gives the same result, and a
    strategy run among others gives what it gives alone."""
    import xarray as xr

    model = presets.jiebei_model(shocks=False, fraud=False)  # a smaller kernel: four compilations
    b = book()
    calls = []
    real = agent.chunk_kernel
    monkeypatch.setattr(agent, "chunk_kernel", lambda *a, **k: calls.append(1) or real(*a, **k))
    names = ["agency_at_90", "in_house", "hardship_restructure"]
    alone = cs.simulate(model, b, horizon=H, scenarios=8, seed=3, strategies=names[:1], **ONE_CALL)
    n_alone = len(calls)
    runs = []
    for sb, groups in ((1, 3), (2, 2), (3, 1)):
        before = len(calls)
        runs.append(cs.simulate(model, b, horizon=H, scenarios=8, seed=3, strategies=names, strategy_batch=sb,
                                **ONE_CALL))
        assert len(calls) - before == groups * n_alone
    assert n_alone > 0
    for ds in runs[1:]:
        xr.testing.assert_identical(ds, runs[0])
    xr.testing.assert_equal(runs[0].isel(strategy=[0]), alone)
    no_payoff = cs.CreditModel(states=cs.StateSpace(["current", "dpd_1_30", "charged_off"]),
                               segments=[cs.Segment("A", [[0.9, 0.1, 0], [0.5, 0.3, 0.2], [0, 0, 1.0]])])
    with raises("simulate: strategies need a state space with a paid-off state", "'current'"):
        cs.simulate(no_payoff, b, horizon=H, scenarios=4, seed=3, strategies=names)
    with raises("simulate: strategy_batch must be >= 1, got 0"):
        cs.simulate(model, b, horizon=H, scenarios=4, seed=3, strategies=names, strategy_batch=0)


# ------------------------------------------------------------------------------- caps


@st.composite
def random_strategy(draw):
    cap = draw(st.integers(1, 3))
    acts = [cs.Contact(name=f"c{i}", contacts=draw(st.integers(0, cap)), cost=1.0) for i in range(3)]
    acts.append(cs.AgencyPlacement(name="agency", contacts=draw(st.integers(0, cap))))
    rules = []
    for _ in range(4):  # always four rules and four actions: one compiled shape for every example
        lo = draw(st.sampled_from([1, 31, 61, 91, 121]))
        rules.append(cs.Rule(draw(st.sampled_from([a.name for a in acts])), min_days=lo,
                             min_months_since_action=draw(st.integers(0, 2))))
    return cs.Strategy("random", tuple(acts), tuple(rules), max_contacts=cap)


#: Places loans with an agency that contacts them from the first day past due: a fraud claim
#: on a placed loan then tests the bar on the agency's contacts.
EARLY_AGENCY = cs.Strategy("early_agency", (cs.Contact(name="c0", contacts=1), cs.Contact(name="c1", contacts=2),
                                            cs.Contact(name="c2", contacts=1),
                                            cs.AgencyPlacement(name="agency", contacts=2)),
                           (cs.Rule("agency", min_days=1), cs.Rule("c0"), cs.Rule("c1"), cs.Rule("c2")),
                           max_contacts=3)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(strat=random_strategy())
@example(strat=EARLY_AGENCY)
def test_caps_hold_for_every_loan_and_month(strat):
    """The result's own checks, and a check loan by loan: an audited kernel counts, for
    each loan over the run, from its state at the start of each month (not from the
    engine's bar), the most contacts in a month, contacts in months that began under a
    fraud review or as a confirmed victim, and actions of the lender's own on a placed
    loan."""
    model = presets.jiebei_model()
    model = model.replace(fraud=cs.FraudTransfer(hazard=0.02, review_months=2, confirm_probability=0.5))
    final = []
    real = agent.chunk_kernel

    def audited(*args, keep, features, **kw):
        # the test-only audit switched on: one more feature
        res, carry = real(*args, keep=True, features=features + (Audit(fraud=True),), **kw)
        if not keep:
            final.append(jax.device_get(carry))
        return res, (carry if keep else None)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(agent, "chunk_kernel", audited)
        # the horizon in one call (no loan dropped between spans): every loan's counters to the end
        ds = cs.simulate(model, book(seed=9), horizon=H, scenarios=8, seed=3, strategies=[strat], **ONE_CALL)
    assert int(ds.max_contacts.max()) <= strat.max_contacts
    assert int(ds.contacts_barred.sum()) == 0
    (carry,) = final
    assert carry["audit_max"].max() <= strat.max_contacts
    assert (carry["audit_barred"] == 0).all()  # no contact under review or on a victim
    assert (carry["audit_placed"] == 0).all()  # no action of the lender's own on a placed loan
    assert carry["audit_seen"].sum() > 0  # the check had loan-months to check


# ------------------------------------------------------------------------ money and direction


def test_agency_commission_is_exactly_its_share(presets_run):
    for s in ("agency_at_90", "agency_at_60", "aggressive"):
        x = presets_run.sel(strategy=s)
        assert float(x.agency_collections.sum()) > 0
        np.testing.assert_allclose(x.agency_commission.values, 0.3 * x.agency_collections.values, rtol=1e-12)


def test_principal_is_conserved_under_every_preset(presets_run):
    ds = presets_run
    opening = float(ds.balance.isel(month=0).sum(("segment", "state")).isel(strategy=0).mean())
    for s in ds.strategy.values:
        x = ds.sel(strategy=s)
        end = x.balance.isel(month=-1).sum(("segment", "state"))
        total = x.principal_repaid.sum("month") + x.charged_off_principal + end
        forgiven = x.debt_forgiven.sum("month")
        # principal forgiven by settlements and judgments is the only principal that leaves
        # otherwise; none of these presets settles, and a judgment's shortfall is below it
        assert np.all(total.values <= opening + 1e-6)
        np.testing.assert_allclose(total + forgiven, opening, atol=1e-6 + float(forgiven.max()), err_msg=s)


def test_recoveries_after_charge_off_by_the_agency():
    model = presets.jiebei_model(fraud=False)
    sweep = cs.Strategy("after", (cs.AgencyPlacement(name="agency", hazard=1.0, recovery_fraction=0.5,
                                                     commission=0.25),),
                        (cs.Rule("agency", states=("charged_off",), min_days=0),))
    b = book(1000)
    ds = cs.simulate(model, b, horizon=10, scenarios=8, seed=5, strategies=[sweep], month_span=10).sel(strategy="after")
    # every loan charged off in months 1..9 is placed the month after and recovers half at once
    charged = ds.credit_charge_offs.isel(month=slice(1, 10)).sum("month")
    got = ds.recovered_by_age.sel(months_since_charge_off=1)
    assert float(charged.sum()) > 0
    np.testing.assert_allclose(got, 0.5 * charged, atol=0.005 * len(b))
    np.testing.assert_array_equal(ds.recovered_by_age.sel(months_since_charge_off=slice(2, None)).values, 0)
    np.testing.assert_allclose(ds.recoveries.sum("month"), got, rtol=1e-12)
    np.testing.assert_allclose(ds.agency_commission.sum("month"), 0.25 * got, rtol=1e-12)
    curve = cs.recovery_curves(ds.expand_dims(strategy=["after"]))
    assert float(curve.isel(strategy=0).sel(months_since_charge_off=1)) == pytest.approx(
        float(got.sum() / ds.credit_charge_offs.sum()), rel=1e-9)


def test_an_agency_is_paid_only_on_overdue_debt_and_recalls_a_cured_account():
    """Ten loans placed at 31 days past due cure the next month and then pay their regular
    instalments: the agency is paid on the cure's payment alone and stops contacting them;
    kept on (recall_on_cure=False) it still earns nothing on a current loan.  (Six months,
    as the next test: the two share one compiled kernel.)"""
    model = cs.CreditModel(segments=[cs.Segment("s", sure_chain(dpd_31_60="current"))])
    terms = cs.LoanTerms([10_000.0] * 10, 0.12, 12, 0)
    b = cs.LoanBook(segment=["s"] * 10, state=["dpd_31_60"] * 10, terms=terms)

    def run(**agency):
        ag = cs.AgencyPlacement(name="agency", commission=0.3, contacts=2, **agency)
        st = cs.Strategy("ag", (ag,), (cs.Rule("agency", min_days=31),))
        return cs.simulate(model, b, horizon=6, scenarios=1, seed=0, strategies=[st]).isel(strategy=0, scenario=0)

    for ds in (run(), run(recall_on_cure=False)):
        first = float(ds.principal_repaid.sel(month=1) + ds.interest_received.sel(month=1))
        assert first > 0 and np.all(ds.principal_repaid.values[1:] > 0)  # an instalment every month
        np.testing.assert_allclose(ds.agency_collections.values, [0.0, first] + [0.0] * 5)
        assert float(ds.agency_commission.sum()) == pytest.approx(0.3 * first, rel=1e-12)
        np.testing.assert_array_equal(ds.contacts.values, [0, 20] + [0] * 5)


def test_placement_and_delinquency_curves_by_hand():
    """One interest-free loan of 1,200 yuan, 100 a month, that falls a month behind and
    catches up by turns (current -> 1-30 -> current ...): placed at 1 day past due, the
    agency collects 200 yuan at every cure; the curves and the placements are those of the
    schedule worked by hand, with the account recalled at each cure, kept, or given back at
    the end of a term of two months (months 2-3, 4-5, 6) or three (months 2-4, then 6)."""
    model = cs.CreditModel(segments=[cs.Segment("s", sure_chain(current="dpd_1_30", dpd_1_30="current"))])
    b = cs.LoanBook(segment=["s"], state=["current"], terms=cs.LoanTerms([1200.0], 0.0, 12, 1))

    def run(**agency):
        ag = cs.AgencyPlacement(name="agency", commission=0.3, contacts=2, **agency)
        st = cs.Strategy("ag", (ag,), (cs.Rule("agency", min_days=1),))
        return cs.simulate(model, b, horizon=6, scenarios=1, seed=0, strategies=[st]).isel(strategy=0, scenario=0)

    cured = [0, 0, 200, 0, 200, 0, 200]  # months 0..6: the cures pay two instalments
    for ds, placed in ((run(), [2, 4, 6]), (run(recall_on_cure=False), [2]),
                       (run(recall_on_cure=False, placement_months=2), [2, 4, 6]),
                       (run(recall_on_cure=False, placement_months=3), [2, 6])):
        np.testing.assert_allclose(ds.agency_collections.values, cured)
        np.testing.assert_array_equal(ds.placements.values, [int(m in placed) for m in range(7)])
        # owed when placed: 1,200 less what was paid before
        owed = {2: 1200.0, 4: 1000.0, 6: 800.0}
        np.testing.assert_allclose(ds.placed_owed.values, [owed.get(m, 0.0) if m in placed else 0.0
                                                           for m in range(7)])
        np.testing.assert_array_equal(ds.contacts.values, [0, 0, 2, 0, 2, 0, 2])
        # by months since placement: each cure in its placement's month (0), or 2 and 4
        # months after the one placement
        by_placement = np.zeros(6)
        for m in (2, 4, 6):
            by_placement[m - max(p for p in placed if p <= m)] += 200.0
        np.testing.assert_allclose(ds.collected_since_placement.values, by_placement)
        # first past due at month 1, owing 1,200: cures 1, 3 and 5 months later
        np.testing.assert_allclose(ds.delinquent_owed.values, [0, 1200, 0, 0, 0, 0, 0])
        np.testing.assert_allclose(ds.collected_since_delinquency.values, [0, 200, 0, 200, 0, 200])
        curves = cs.compare(ds.expand_dims(strategy=["ag"]).expand_dims(scenario=[0, 1]))
        np.testing.assert_allclose(curves.placement_curve.isel(strategy=0).values,
                                   np.cumsum(by_placement) / sum(owed[p] for p in placed))
        np.testing.assert_allclose(curves.delinquency_curve.isel(strategy=0).values,
                                   np.cumsum([0, 200, 0, 200, 0, 200]) / 1200)
    with raises("recovery_curves: by must be one of", "'placed'"):
        cs.recovery_curves(ds.expand_dims(strategy=["ag"]), by="placed")
    with raises("AgencyPlacement 'agency'", "placement_months", "0"):
        cs.AgencyPlacement(name="agency", placement_months=0)
    with raises("AgencyPlacement 'agency'", "recall_on_cure must be True or False", "'yes'"):
        cs.AgencyPlacement(name="agency", recall_on_cure="yes")


def test_settlement_closes_the_debt_for_its_fraction():
    model = presets.jiebei_model(shocks=False, fraud=False)
    deal = cs.Strategy("deal", (cs.Settlement(name="deal", fraction=0.6, accept=1.0),),
                       (cs.Rule("deal", min_days=91),))
    b = book()
    ds = cs.simulate(model, b, horizon=H, scenarios=8, seed=7, strategies=[deal], **ONE_CALL).sel(strategy="deal")
    forgiven = ds.debt_forgiven.sum("month")
    assert float(forgiven.min()) > 0
    # a loan 91 days past due is closed the next month: none reaches the 180-day charge-off
    assert float(ds.credit_charge_offs.sum()) == 0
    assert float(ds.charged_off.sum()) == 0


def test_bureau_reporting_lowers_strategic_losses():
    model = one_type_model("strategic")
    b = presets.jiebei_book(3000, seed=8, bands={"C": 1.0}, states=presets.JIEBEI_START)
    bureau = cs.Strategy("bureau", (cs.BureauReport(name="bureau", effect={"strategic": cs.Effect(cure=3.0)}),),
                         (cs.Rule("bureau", min_days=31),))
    none = cs.Strategy("none")
    ds = cs.simulate(model, b, horizon=H, scenarios=S, seed=9, strategies=[none, bureau], **ONE_CALL)
    c = cs.compare(ds, baseline="none")
    d = c.net_credit_loss_diff
    assert float(d.sel(strategy="bureau", bound="upper")) < 0


def test_deferral_stops_the_roll_while_the_shock_lasts():
    model = one_type_model("constrained", shocks=True, hazard=0.05, mean_months=6.0, report_probability=1.0)
    b = presets.jiebei_book(3000, seed=8, bands={"C": 1.0})
    defer = cs.Strategy("defer", (cs.Restructure(name="defer", defer_months=3, extend_months=3),),
                        (cs.Rule("defer", min_days=1, hardship=True),))
    ds = cs.simulate(model, b, horizon=H, scenarios=S, seed=9, strategies=[cs.Strategy("none"), defer], **ONE_CALL)
    late = ds.occupancy.sel(state=["dpd_31_60", "dpd_61_90", "dpd_91_180"]).sum(("segment", "state"))
    diff = (late.sel(strategy="defer") - late.sel(strategy="none")).sum("month")
    assert float(diff.mean() + 3 * diff.std() / np.sqrt(S)) < 0
    assert float(ds.interest_forgone.sel(strategy="defer").sum()) > 0


# ------------------------------------------------------------------------------- sweep


def test_sweep_finds_the_known_optimum_of_a_lawsuit_threshold():
    """Loans that never cure are charged off at 180 days; suing one after charge-off costs
    a fee F and recovers its whole exposure a month later, so it pays exactly when the
    exposure is above F.  Half the loans owe about 5,500 yuan, half about 33,000: with
    F = 10,000 the best threshold of {0, 10,000, 50,000} is 10,000."""
    import dataclasses

    from creditsim.spec.terms import LoanTerms

    model = cs.CreditModel(segments=[cs.Segment("A", np.eye(len(cs.DEFAULT_STATES)))])
    n = 200
    principal = np.where(np.arange(n) % 2 == 0, 5_000.0, 30_000.0)
    terms = LoanTerms(principal, np.full(n, 0.12), np.full(n, 12), 0, np.zeros(n, np.int32))
    b = cs.LoanBook(["A"] * n, ["dpd_91_180"] * n, terms=terms)
    fee = 10_000.0
    sue = cs.Strategy("sue", (cs.LegalAction(name="sue", cost=fee, months=1, success=1.0, recovery_fraction=1.0),),
                      (cs.Rule("sue", states=("charged_off",), min_days=0),))
    res = cs.sweep(model, b, sue, {"sue.min_balance": [0.0, 10_000.0, 50_000.0]}, horizon=6, scenarios=4,
                   seed=1, objective="net_credit_loss")
    assert res.attrs["best_sue.min_balance"] == 10_000.0
    assert float(res.margin.sel(bound="lower")) > 0
    costs = res.collection_costs.sel(bound="estimate")
    np.testing.assert_allclose(costs.values, [n * fee, n / 2 * fee, 0.0])
    rec = res.recoveries.sel(bound="estimate")
    assert float(rec.sel({"sue.min_balance": 50_000.0})) == 0
    charged = float(res.net_credit_loss.sel({"sue.min_balance": 50_000.0, "bound": "estimate"}))
    assert float(rec.sel({"sue.min_balance": 0.0})) == pytest.approx(charged, rel=1e-12)  # all recovered
    # the small loans' exposures are below the fee, the large ones' above it
    small = float(rec.sel({"sue.min_balance": 0.0}) - rec.sel({"sue.min_balance": 10_000.0}))
    assert small < n / 2 * fee < float(rec.sel({"sue.min_balance": 10_000.0}))
    # a complaint budget: each filing draws a complaint with probability 0.01, so suing all
    # 200 loans costs 2 expected complaints a scenario, suing the large ones 1
    noisy = sue.replace(actions=(dataclasses.replace(sue.actions[0], complaint=0.01),))
    for budget, best in ((1.5, 10_000.0), (0.5, 50_000.0)):
        r = cs.sweep(model, b, noisy, {"sue.min_balance": np.array([0.0, 10_000.0, 50_000.0])}, horizon=6,
                     scenarios=4, seed=1, objective="net_credit_loss", complaint_budget=budget)
        assert r.attrs["best_sue.min_balance"] == best
        np.testing.assert_array_equal(r.feasible.values, [False, budget > 1, True])
    with raises("sweep: parameter 'sue.colour'", "neither a rule field"):
        cs.sweep(model, b, sue, {"sue.colour": [1]}, horizon=6, scenarios=4, seed=1)
    with raises("sweep: parameter 'call.min_days'", "no action 'call'"):
        cs.sweep(model, b, sue, {"call.min_days": [1]}, horizon=6, scenarios=4, seed=1)
    with raises("sweep: objective must be one of"):
        cs.sweep(model, b, sue, {"sue.min_days": [0]}, horizon=6, scenarios=4, seed=1, objective="fun")


# ------------------------------------------------------------------ edge cases of the engine


def test_a_judgment_due_in_the_charge_off_month_is_given_the_month_after():
    model = presets.jiebei_model(shocks=False, fraud=False)
    b = book()

    def sue(months):
        return cs.Strategy(f"sue{months}", (cs.LegalAction(name="sue", cost=0.0, months=months, success=1.0,
                                                           recovery_fraction=1.0),),
                           (cs.Rule("sue", min_days=121, max_days=121),))

    ds = cs.simulate(model, b, horizon=H, scenarios=8, seed=3, strategies=[sue(1), sue(2)], **ONE_CALL)
    rec = ds.recoveries.sum(("month", "scenario"))
    # a loan sued at 121 days is charged off the next month, when a 1-month judgment falls due
    assert float(rec.sel(strategy="sue2")) > 0
    assert float(rec.sel(strategy="sue1")) > 0.5 * float(rec.sel(strategy="sue2"))


def test_a_lawsuit_contacts_nobody_and_draws_its_complaint_once():
    model = presets.jiebei_model(shocks=False, fraud=False)
    sue = cs.Strategy("sue", (cs.LegalAction(name="sue", cost=1000.0, complaint=0.01, months=6),),
                      (cs.Rule("sue", min_days=61),))
    ds = cs.simulate(model, book(), horizon=H, scenarios=8, seed=3, strategies=[sue], **ONE_CALL).sel(strategy="sue")
    filings = ds.action_costs / 1000.0
    assert float(filings.sum()) > 0
    assert float(ds.contacts.sum()) == 0
    np.testing.assert_allclose(ds.complaints, 0.01 * filings, rtol=1e-9)


def test_a_matured_loan_restructured_without_extension_still_repays():
    from creditsim.spec.terms import LoanTerms

    model = presets.jiebei_model(shocks=False, fraud=False)
    n = 600
    terms = LoanTerms(np.full(n, 10_000.0), np.full(n, 0.12), np.full(n, 3), 0, np.full(n, 2, np.int32))
    b = cs.LoanBook(["C"] * n, ["current"] * n, terms=terms)
    plan = cs.Strategy("plan", (cs.Restructure(name="plan", cost=1.0),), (cs.Rule("plan", min_days=31),))
    ds = cs.simulate(model, b, horizon=H, scenarios=8, seed=5, strategies=[plan], **ONE_CALL).sel(strategy="plan")
    assert float(ds.action_costs.sum()) > 0  # restructures were made
    live = ds.balance.isel(month=-1).sel(state=["current", "restructured"]).sum()
    assert float(live) == 0  # no balance left without a schedule


def test_no_deferral_on_a_loan_whose_fraud_claim_came_that_month():
    model = presets.jiebei_model(shocks=False).replace(
        fraud=cs.FraudTransfer(hazard=1.0, review_months=3, confirm_probability=1.0))
    defer = cs.Strategy("defer", (cs.Restructure(name="defer", defer_months=3, extend_months=3),),
                        (cs.Rule("defer", min_days=1),))
    ds = cs.simulate(model, book(), horizon=H, scenarios=8, seed=5, strategies=[defer], **ONE_CALL).sel(
        strategy="defer")
    assert float(ds.interest_forgone.sum()) == 0
    assert float(ds.occupancy.sel(state="restructured").isel(month=slice(1, None)).sum()) == 0


def test_dropping_finished_loans_changes_nothing_with_strategies(monkeypatch):
    """All strategies of a run keep the same loans between spans of months; loans still to be
    recovered after charge-off (placed, or placeable by a rule) are kept: the result is
    identical to simulating every loan to the end."""
    import xarray as xr

    model = presets.jiebei_model()
    b = book(600, seed=12)
    after = cs.Strategy("after", (cs.AgencyPlacement(name="agency", hazard=0.3),),
                        (cs.Rule("agency", states=("charged_off",), min_days=0),))
    strats = ["legal_over_10k", after]
    calls = []
    real = compaction.compact
    monkeypatch.setattr(compaction, "compact", lambda *a, **k: calls.append(1) or real(*a, **k))
    ds = cs.simulate(model, b, horizon=14, scenarios=4, seed=8, strategies=strats, min_drop_size=256)
    assert calls  # loans were dropped (a small book, from 256 loans on)
    # against the horizon in one call (nothing dropped), stepping the two strategies together
    xr.testing.assert_identical(ds, cs.simulate(model, b, horizon=14, scenarios=4, seed=8, strategies=strats,
                                                strategy_batch=2, month_span=1000))


def test_rules_see_a_rejected_fraud_claim():
    """A costly, inert contact for loans with a rejected claim plus one for loans never
    claimed costs exactly what one for both costs (common random numbers); there are
    contacts of both kinds, and none for rejected claims when no claim is ever rejected."""
    base = presets.jiebei_model(shocks=False)
    b = book(600, seed=6)

    def run(model):
        strats = [cs.Strategy(name, (cs.Contact(name="sms", cost=1.0),), (cs.Rule("sms", fraud_claim=claim),))
                  for name, claim in (("rejected", True), ("never", False), ("either", None))]
        ds = cs.simulate(model, b, horizon=H, scenarios=8, seed=2, strategies=strats, **ONE_CALL)
        return ds.action_costs.sum(("scenario", "month")).values

    rejected, never, either = run(base.replace(fraud=cs.FraudTransfer(hazard=0.05, review_months=1,
                                                                      confirm_probability=0.0)))
    assert rejected > 0 and never > 0 and rejected + never == either
    rejected, never, either = run(base.replace(fraud=cs.FraudTransfer(hazard=0.05, review_months=1,
                                                                      confirm_probability=1.0)))
    assert rejected == 0 and never == either > 0
    with raises("Strategy 'rejected': rule 0 ('sms')", "fraud_claim=True needs a model with fraud claims"):
        run(base.replace(fraud=None))
    with raises("Rule for 'sms'", "fraud_claim must be True, False or None", "'yes'"):
        cs.Rule("sms", fraud_claim="yes")


def test_a_contact_every_month_is_the_chain_with_the_effect_applied_to_its_rows():
    """Oracle: a contact made on every delinquent loan every month moves loans exactly as
    the model whose delinquent rows carry the effect (renormalised odds): same draws, same
    thresholds, identical results."""
    from creditsim.compile.strategies import _classes, apply_effect

    model = presets.jiebei_model()
    effect = cs.Effect(cure=2.0, back=0.5, forward=1.5)
    always = cs.Strategy("always", (cs.Contact(name="c", effect=effect),), (cs.Rule("c"),))
    cls, delinquent = _classes(model)

    def tilt(m):
        return apply_effect(m, cls, delinquent, (effect.cure, effect.back, effect.forward))

    segs = [cs.Segment(s.name, types=[cs.BehaviourType(t.name, t.share, tilt(t.matrix)) for t in s.types],
                       rho=s.rho, distressed=tilt(s.distressed)) for s in model.segments]
    oracle = model.replace(segments=segs)
    b = book()
    ds = cs.simulate(model, b, horizon=H, scenarios=8, seed=4, strategies=[always], **ONE_CALL).sel(strategy="always")
    ref = cs.simulate(oracle, b, horizon=H, scenarios=8, seed=4, **ONE_CALL)
    for v in ("occupancy", "balance", "credit_charge_offs", "fraud_losses", "interest_received", "npv"):
        np.testing.assert_array_equal(ds[v].values, ref[v].values, err_msg=v)
    # and the effect is what it says: a row with cure 0.3, stay 0.5, forward 0.2 -> 0.6, 0.5, 0.3 over 1.4
    m = np.array([[1.0, 0, 0], [0.3, 0.5, 0.2], [0, 0, 1.0]])
    out = apply_effect(m, np.array([[0, 0, 0], [1, 0, 3], [0, 0, 0]]), np.array([False, True, False]), (2.0, 1.0, 1.5))
    np.testing.assert_allclose(out[1], np.array([0.6, 0.5, 0.3]) / 1.4)
    np.testing.assert_array_equal(out[[0, 2]], m[[0, 2]])


def test_a_result_with_strategies_round_trips_through_netcdf(presets_run, tmp_path):
    import json

    import xarray as xr

    cs.save_result(presets_run, tmp_path / "s.nc")
    back = cs.load_result(tmp_path / "s.nc")
    xr.testing.assert_identical(presets_run, back)
    assert [s["name"] for s in json.loads(back.attrs["strategies"])] == list(cs.STRATEGIES)
