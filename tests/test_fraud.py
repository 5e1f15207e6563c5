"""Fraudulent transfer: claims, reviews, confirmed fraud losses apart from credit losses."""

import numpy as np
import pytest
import xarray as xr

import creditsim as cs
from creditsim import FraudTransfer, presets
from helpers import family_z, no_fraud_rows, raises


def _model(fraud, matrix=None):
    p = matrix if matrix is not None else no_fraud_rows(presets.band_matrix(**presets.BANDS["C"]))
    return cs.CreditModel(segments=[cs.Segment("C", p)], fraud=fraud)


def test_validation_messages():
    with raises("FraudTransfer.hazard", "[0, 1]", "2.0"):
        FraudTransfer(hazard=2.0)
    with raises("FraudTransfer.review_months", "at most 90 days", "4"):
        FraudTransfer(review_months=4)
    with raises("FraudTransfer.wave", "month 2", "-1.0"):
        FraudTransfer(wave=[1.0, -1.0])
    with raises("FraudTransfer.wave", "month 1", "> 1"):
        FraudTransfer(hazard=0.5, wave=[3.0])
    with raises("Segment 'C', state 'current'", "moves loans into 'fraud_review'", "3e-05"):
        _model(FraudTransfer(), presets.band_matrix(**presets.BANDS["C"]))
    with raises("FraudTransfer.rejected_state", "unknown state 'late'"):
        _model(FraudTransfer(rejected_state="late"))
    with raises("FraudTransfer.review_state", "'charged_off' is absorbing"):
        _model(FraudTransfer(review_state="charged_off"))


def test_zero_hazard_gives_exactly_the_no_fraud_result():
    book = presets.demo_book(4000, seed=2)
    base = cs.CreditModel(segments=[cs.Segment(s.name, no_fraud_rows(s.matrix), rho=s.rho)
                                    for s in presets.demo_model().segments], macro=cs.MacroFactor(0.9))
    a = cs.simulate(base, book, horizon=8, scenarios=5, seed=3)
    b = cs.simulate(base.replace(fraud=FraudTransfer(hazard=0.0)), book, horizon=8, scenarios=5, seed=3)
    assert float(b.fraud_loss.sum()) == 0 and int(b.fraud_charged_off.sum()) == 0
    xr.testing.assert_identical(a.drop_attrs(), b.drop_vars(["fraud_loss", "fraud_charged_off"]).drop_attrs())


def _claim_chain(hazards, review):
    """One loan that stays current but for fraud: P(in review), P(charged off as fraud) by
    month, from its own chain (current, review with r months left ..., charged off)."""
    p = np.zeros(review + 2)
    p[0] = 1.0
    out = []
    for h in hazards:
        q = np.zeros_like(p)
        q[0] = p[0] * (1 - h)
        q[1] = p[0] * h  # claim: review with `review` months left
        for j in range(1, review):  # one month less
            q[j + 1] += p[j]
        q[-1] = p[-1] + p[review]  # the review's last month ends it: confirmed
        p = q
        out.append((p[1:review + 1].sum(), p[-1]))
    return np.array(out)


@pytest.mark.parametrize("review", [1, 3])
def test_confirmed_claims_are_fraud_losses_at_the_end_of_review(review):
    """Confirm probability 1 and loans that never default: every claim is charged off as
    fraud ``review`` months after it, at its exposure less police recovery, and no credit
    loss arises."""
    states = cs.StateSpace(["current", "fraud_review", "dpd_1_30", "charged_off"])
    stay = np.diag([1.0, 1.0, 1.0, 1.0])
    h, wave, n, scenarios, horizon = 0.02, [1.0, 5.0, 1.0, 2.0], 20_000, 4, 8
    fraud = FraudTransfer(hazard=h, review_months=review, confirm_probability=1.0, police_recovery=0.25,
                          wave=wave)
    model = cs.CreditModel(states=states, segments=[cs.Segment("g", stay)], fraud=fraud)
    ds = cs.simulate(model, cs.LoanBook.homogeneous(n, segment="g", exposure=100.0),
                     horizon=horizon, scenarios=scenarios, seed=8)
    assert float(ds.loss.sum()) == 0.0
    np.testing.assert_allclose(ds.fraud_loss.sum("segment"), 75.0 * ds.fraud_charged_off.sum("segment"))
    expected = _claim_chain(fraud.hazards(horizon), review)
    z = family_z(2 * horizon)
    for col, state in ((0, "fraud_review"), (1, "charged_off")):
        got = ds.occupancy.sel(segment="g", state=state).isel(month=slice(1, None)).mean("scenario").values
        q = expected[:, col]
        assert np.all(np.abs(got - n * q) <= z * np.sqrt(n * q * (1 - q) / scenarios) + 1e-9), (got / n, q)
    np.testing.assert_array_equal(ds.fraud_charged_off.sum("segment").values,
                                  ds.occupancy.sel(state="charged_off", segment="g").isel(month=-1).values)


def test_rejected_claims_re_enter_delinquency_and_cost_nothing():
    states = cs.StateSpace(["current", "fraud_review", "dpd_1_30", "charged_off"])
    model = cs.CreditModel(states=states, segments=[cs.Segment("g", np.eye(4))],
                           fraud=FraudTransfer(hazard=0.05, review_months=2, confirm_probability=0.0))
    ds = cs.simulate(model, cs.LoanBook.homogeneous(10_000, segment="g"), horizon=6, scenarios=3, seed=1)
    assert float(ds.fraud_loss.sum()) == 0 and int(ds.charged_off.sum()) == 0
    # claims made in months 1..4 have ended their review by month 6 and sit in dpd_1_30
    q = _claim_chain(np.full(6, 0.05), 2)[3, :].sum()  # P(claimed by month 4)
    got = ds.occupancy.sel(segment="g", state="dpd_1_30").isel(month=-1).mean("scenario").values
    assert abs(got - 10_000 * q) <= family_z(1) * np.sqrt(10_000 * q * (1 - q) / 3)


def test_a_rejected_claim_keeps_its_days_past_due_and_its_charge_off_month():
    """A loan past due that files a claim which is rejected comes back as far past due as
    if it had paid nothing in the claim's and review's months (review_months + 1 more): a
    91-180 loan is charged off in the month it would have been without the claim (or at
    the rejection, if the review held it past that month), a 1-30 loan comes back 91 days
    past due; a current loan comes back in ``rejected_state``."""
    m = np.eye(len(cs.DEFAULT_STATES))  # nothing moves but by the 180-day rule and the claim
    terms = cs.LoanTerms([10_000.0] * 4, 0.12, 12, 0)
    book = cs.LoanBook(segment=["s"] * 4, state=["dpd_91_180", "dpd_91_180", "dpd_1_30", "current"],
                       terms=terms)
    claim = FraudTransfer(hazard=1.0, wave=[0.0, 1.0] + [0.0] * 6, confirm_probability=0.0, review_months=2)

    def path(fraud):
        ds = cs.simulate(cs.CreditModel(segments=[cs.Segment("s", m)], fraud=fraud), book, horizon=8,
                         scenarios=1, seed=0, month_span=8)  # one kernel call: the same results as in spans
        return ds.occupancy.isel(scenario=0).sum("segment").to_pandas()

    plain, claimed = path(None), path(claim)
    # without a claim both 91-180 loans (4 months past due at month 0) reach 7 at month 3
    assert plain.loc[3, "charged_off"] == 2 and plain.loc[2, "charged_off"] == 0
    # claims in month 2, reviewed in months 2-3, rejected in month 4: 4 + 4 = 8 > 6 months
    # past due, so both are charged off at the rejection, the earliest month they can be
    assert claimed.loc[3, "fraud_review"] == 4 and claimed.loc[4, "charged_off"] == 2
    # the 1-30 loan (1 month) comes back 1 + 3 = 4 months past due, in 91-180, and is
    # charged off three months later, at 7; the current loan comes back in dpd_1_30
    assert claimed.loc[4, "dpd_91_180"] == 1 and claimed.loc[4, "dpd_1_30"] == 1
    assert claimed.loc[6, "charged_off"] == 2 and claimed.loc[7, "charged_off"] == 3
    assert claimed.loc[8, "charged_off"] == 3 and claimed.loc[8, "dpd_1_30"] == 1
    # with a review of one month a 91-180 loan at 4 comes back at 4 + 2 = 6 and is charged
    # off the month after, at 7: month 3, as without the claim
    one = path(FraudTransfer(hazard=1.0, wave=[1.0] + [0.0] * 7, confirm_probability=0.0, review_months=1))
    assert one.loc[2, "dpd_91_180"] == 2 and one.loc[3, "charged_off"] == 2


def test_returning_states_cover_every_month_past_due():
    from creditsim.compile.model import returning_states

    model = _model(FraudTransfer())
    names = [model.states.names[i] for i in returning_states(model)]
    assert names == ["dpd_1_30", "dpd_1_30", "dpd_31_60", "dpd_61_90", "dpd_91_180", "dpd_91_180", "dpd_91_180"]
