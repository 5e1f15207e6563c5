"""Each feature of the engine on its own: one month step on a hand-made carry, against the
feature's law.

A month is run through the composer (``kernel_context``, ``initial_carry``, ``month_step``)
with the month's random words chosen by the test.  Words spread evenly over the 2**32 grid
make a fraction of loans an exact quadrature of the law: ``n`` evenly spread words fall
below a threshold ``p`` with a frequency within ``1/n`` of ``p``, so the tolerances here
are deterministic, not Monte Carlo errors.
"""

import pathlib
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import ndtr, ndtri

import creditsim as cs
from creditsim import presets
from creditsim.compile.model import LoanMoney, base_matrices, compile_model
from creditsim.compile.strategies import compile_strategies
from creditsim.engine import rng as _rng
from creditsim.engine.compose import initial_carry, kernel_context, month_step
from creditsim.engine.features import (
    ORDER,
    PHASES,
    STRATEGY_FLOWS,
    Aging,
    Bureau,
    Collections,
    Feature,
    Fraud,
    IncomeShocks,
    Money,
    Origination,
    Placement,
    Restructure,
    Settlement,
    Transition,
    features_for,
)
from creditsim.spec.macro import conditional_matrix
from creditsim.spec.schedule import payment, round_half_away
from helpers import no_fraud_rows

STREAMS = {"transition": _rng.STREAM_TRANSITION, "shock": _rng.STREAM_SHOCK, "report": _rng.STREAM_REPORT,
           "fraud": _rng.STREAM_FRAUD, "action": _rng.STREAM_ACTION}


def even(n):
    """``n`` words spread evenly over [0, 2**32): their top 31 bits fall below any threshold
    p·2**31 for a share within 1/n of p."""
    return ((np.arange(n) + 0.5) * (2.0**32 / n)).astype(np.uint64).astype(np.uint32)


def at(q, n=1):
    """``n`` words at quantile ``q`` of the grid (the move a row's cumulative probability
    places at ``q``)."""
    return np.full(n, int(q * 2**32), np.uint32)


class OneMonth:
    """One month of ``features`` for a model's first segment: ``carry(state, **fields)``
    makes a carry, ``step(carry, **words)`` runs the month (words by stream name: an array
    per loan; a stream not given draws the top of the grid, where nothing with
    probability below 1 happens)."""

    def __init__(self, model, features, *, z=0.0, fraud_hazard=0.0, loans=None, strategy=None, quantum=1.0,
                 t0=0):
        self.model, self.features, self.z, self.t0 = model, tuple(features), z, t0
        self.fraud_hazard, self.loans = fraud_hazard, loans
        with _rng.x64():
            self.cm = jax.tree.map(jnp.asarray, compile_model(model)[0])
            self.strat = None
            if strategy is not None:
                arrs = compile_strategies(model, [strategy], base_matrices(model), quantum)
                self.strat = jax.tree.map(lambda a: jnp.asarray(a[0]), arrs)
        self.states = model.states.names
        self._step = jax.jit(self._month)

    def ctx(self, n):
        loans = None if self.loans is None else LoanMoney(*(jnp.asarray(np.resize(a, n)) for a in self.loans))
        return kernel_context(self.features, self.cm, group=jnp.zeros(n, jnp.int32), units=jnp.ones(n, jnp.int32),
                              loans=loans, fraud_hazard=jnp.full(1, self.fraud_hazard), t0=self.t0,
                              strat=self.strat, n_segments=1, n_months=1)

    def carry(self, state, n, **fields):
        with _rng.x64():
            ctx = self.ctx(n)
            c = initial_carry(ctx, jnp.full(n, self.states.index(state), jnp.int32))
            for x in self.features:
                x.init_call(ctx, c)
            for name, v in fields.items():
                c[name] = jnp.broadcast_to(jnp.asarray(v, c[name].dtype), (n,))
        return c

    def _month(self, c, words):
        n = c["state"].shape[0]
        ctx = self.ctx(n)
        x = {}
        for f in self.features:
            x.update(f.inputs(ctx, jnp.full(1, self.z)))
        return month_step(ctx, c, jnp.int32(0), words, {k: v[0] for k, v in x.items()})

    def step(self, c, streams=None, **words):
        """``streams``: words by stream number, for streams not in ``STREAMS``."""
        n = c["state"].shape[0]
        top = np.full(n, 2**32 - 1, np.uint32)
        by_number = {STREAMS[name]: w for name, w in words.items()} | (streams or {})
        with _rng.x64():
            ctx = self.ctx(n)
            w = {s: jnp.asarray(by_number.get(s, top), jnp.uint32) for s in ctx.streams}
            c, out = self._step(c, w)
        return {k: np.asarray(v) for k, v in c.items()}, jax.tree.map(np.asarray, out)

    def name(self, state_codes):
        return np.array(self.states)[state_codes]


def shares(names, values):
    """Share of each of ``names`` among ``values``."""
    return np.array([np.mean(values == v) for v in names])


# the base transition --------------------------------------------------------------------

@pytest.mark.parametrize("rho,z", [(0.0, 0.0), (0.12, -2.0), (0.12, 1.5)])
def test_a_loan_moves_by_its_macro_tilted_row(rho, z):
    rng = np.random.default_rng(3)
    names = ["current", "dpd_1_30", "dpd_31_60", "paid_off", "charged_off"]
    p = rng.dirichlet(np.ones(5), size=5)
    p[3:] = np.eye(5)[3:]
    model = cs.CreditModel(states=cs.StateSpace(names), segments=[cs.Segment("s", p, rho=rho)],
                           charge_off_dpd=None)
    month = OneMonth(model, [Transition()], z=z)
    law = conditional_matrix(p, rho, z)
    n = 4096
    for i, state in enumerate(names):
        c, out = month.step(month.carry(state, n), transition=even(n))
        got = shares(range(5), c["state"])
        assert np.abs(got - law[i]).max() <= 1.0 / n + 1e-6, (state, got, law[i])
        # the month's occupancy and moves count the same loans
        assert out["counts"][: len(names)].tolist() == np.bincount(c["state"], minlength=5).tolist()
        moves = out["moves"].reshape(2, 5, 5)[0]
        if state in ("paid_off", "charged_off"):
            assert moves.sum() == 0  # moves count months of open loans only
        else:
            assert moves[i].tolist() == np.bincount(c["state"], minlength=5).tolist()


# income shocks --------------------------------------------------------------------------

def _shock_model(hazard, mean, report, rho=0.0):
    names = ["current", "dpd_1_30", "charged_off"]
    stay = np.array([[1.0, 0, 0], [0, 1.0, 0], [0, 0, 1.0]])
    roll = np.array([[0, 1.0, 0], [0, 1.0, 0], [0, 0, 1.0]])  # the distressed rows: every current loan rolls
    return cs.CreditModel(states=cs.StateSpace(names), segments=[cs.Segment("s", stay, distressed=roll)],
                          income_shock=cs.IncomeShock(hazard=hazard, mean_months=mean, rho=rho,
                                                      report_probability=report), charge_off_dpd=None)


@pytest.mark.parametrize("rho,z", [(0.0, 0.0), (0.3, -2.0)])
def test_a_shock_starts_with_the_tilted_hazard_and_lasts_geometric_months(rho, z):
    h, mean, report = 0.1, 4.0, 0.5
    month = OneMonth(_shock_model(h, mean, report, rho), [Transition(), IncomeShocks()], z=z)
    hz = ndtr((ndtri(h) - np.sqrt(rho) * z) / np.sqrt(1 - rho))  # the month's hazard
    n1, n2 = 2048, 16
    shock, rep = np.repeat(even(n1), n2), np.tile(even(n2), n1)  # every pair of the two grids
    n = n1 * n2
    # not shocked: a shock starts with the hazard; its loans move by the distressed rows
    c, out = month.step(month.carry("current", n), shock=shock, report=rep)
    now = c["state"] == 1
    assert abs(now.mean() - hz) <= 1 / n1 + 1e-6
    # a shock that starts now ends after it with 1/mean
    ended = now & ~c["shocked"]
    assert abs(ended.sum() / now.sum() - 1 / mean) <= 2 / (n1 * hz)
    # hardship is reported in a month under a shock with its probability, and only then
    assert not c["reported"][~now].any()
    assert abs(c["reported"][now].mean() - report) <= 1 / n2 + 1e-6
    # the flags bins: 2 = under a shock this month, 1 = hardship reported
    by_flag = out["counts"].reshape(2, 3, 4)[0, 1]
    assert by_flag.tolist() == [0, 0, int((now & ~c["reported"]).sum()), int((now & c["reported"]).sum())]
    # under a shock: it ends with 1/mean, and the loan moves by the distressed rows
    c, _ = month.step(month.carry("current", n, shocked=True), shock=shock, report=rep)
    assert (c["state"] == 1).all()
    assert abs((~c["shocked"]).mean() - 1 / mean) <= 1 / n1 + 1e-6
    # a shock never starts on a loan not performing
    c, _ = month.step(month.carry("dpd_1_30", n), shock=shock, report=rep)
    assert not c["shocked"].any() and not c["reported"].any()


def test_a_shock_ends_when_the_loan_leaves_the_book():
    month = OneMonth(_shock_model(0.5, 6.0, 0.0), [Transition(), IncomeShocks()])
    c = month.carry("charged_off", 8, shocked=True)
    c, _ = month.step(c, shock=at(0.99, 8))
    assert not c["shocked"].any()


# fraud ----------------------------------------------------------------------------------

def _fraud_month(hazard=0.02, review_months=2, confirm=0.7, charge_off_dpd=180):
    seg = cs.Segment("C", no_fraud_rows(presets.band_matrix(**presets.BANDS["C"])))
    model = cs.CreditModel(segments=[seg], charge_off_dpd=charge_off_dpd,
                           fraud=cs.FraudTransfer(hazard=hazard, review_months=review_months,
                                                  confirm_probability=confirm))
    return OneMonth(model, features_for(fraud=True), fraud_hazard=hazard)


def test_a_fraud_claim_comes_with_its_hazard_and_freezes_the_loan_for_the_review():
    month = _fraud_month(hazard=0.02, review_months=2)
    n = 8192
    c, _ = month.step(month.carry("current", n), fraud=even(n), transition=at(0.999, n))
    claimed = c["review"] > 0
    assert abs(claimed.mean() - 0.02) <= 1 / n + 1e-6
    assert set(month.name(c["state"][claimed])) == {"fraud_review"} and (c["review"][claimed] == 2).all()
    assert "fraud_review" not in month.name(c["state"][~claimed])
    assert (c["dpd"][claimed] == 0).all()
    # the review's months: the loan stays under review, its months past due kept
    c, _ = month.step(month.carry("fraud_review", 16, review=2, dpd=3), fraud=even(16))
    assert set(month.name(c["state"])) == {"fraud_review"}
    assert (c["review"] == 1).all() and (c["dpd"] == 3).all() and not c["by_fraud"].any()


@pytest.mark.parametrize("dpd,returns_to", [(0, "dpd_1_30"), (2, "dpd_91_180"), (4, "charged_off")])
def test_a_review_confirms_with_its_probability_and_a_rejected_claim_returns_as_far_past_due(dpd, returns_to):
    month = _fraud_month(review_months=2, confirm=0.7)
    n = 4096
    c, _ = month.step(month.carry("fraud_review", n, review=1, dpd=dpd), fraud=even(n))
    confirmed = c["by_fraud"]
    assert abs(confirmed.mean() - 0.7) <= 1 / n + 1e-6
    assert set(month.name(c["state"][confirmed])) == {"charged_off"}
    # rejected: past due by the claim's month and the review's besides its own (the
    # borrower was liable all along); 7 months is past the 180-day rule: charged off as credit
    assert set(month.name(c["state"][~confirmed])) == {returns_to}
    want = 1 if dpd == 0 else dpd + 2 + 1
    assert (c["dpd"][~confirmed] == want).all()
    assert (c["review"] == 0).all()


# months past due and the charge-off rule -------------------------------------------------

_LADDER = ["current", "dpd_1_30", "dpd_31_60", "dpd_61_90", "dpd_91_180", "charged_off"]


def _ladder(charge_off_dpd):
    p = np.zeros((6, 6))
    for i, j in enumerate([0, 2, 3, 4, 4, 5]):  # every past-due loan rolls; 91-180 stays
        p[i, j] = 1.0
    model = cs.CreditModel(states=cs.StateSpace(_LADDER), segments=[cs.Segment("s", p)],
                           charge_off_dpd=charge_off_dpd)
    return OneMonth(model, features_for(aging=True))


@pytest.mark.parametrize("state,dpd,want_state,want_dpd", [
    ("current", 0, "current", 0), ("dpd_1_30", 1, "dpd_31_60", 2), ("dpd_61_90", 3, "dpd_91_180", 4),
    ("dpd_91_180", 4, "dpd_91_180", 5), ("dpd_91_180", 5, "dpd_91_180", 6),
    ("dpd_91_180", 6, "charged_off", 7)])  # 7 months is 210 days, past 180
def test_a_loan_counts_its_months_past_due_and_is_charged_off_past_the_rule(state, dpd, want_state, want_dpd):
    month = _ladder(180)
    c, _ = month.step(month.carry(state, 4, dpd=dpd), transition=at(0.5, 4))
    assert set(month.name(c["state"])) == {want_state}
    assert (c["dpd"] == want_dpd).all()


def test_a_shorter_rule_charges_off_on_entering_the_state_past_it():
    month = _ladder(90)
    c, _ = month.step(month.carry("dpd_61_90", 4, dpd=3), transition=at(0.5, 4))
    assert set(month.name(c["state"])) == {"charged_off"}


# money ----------------------------------------------------------------------------------

_MONEY_STATES = ["paid_off", "current", "dpd_1_30", "dpd_31_60", "charged_off"]


def _money_month(method=0, remaining=6, balance=100_000, annual=0.18, penalty=1.5):
    p = np.array([[1.0, 0, 0, 0, 0],
                  [0.1, 0.8, 0.1, 0, 0],      # current: paid off early, stays, rolls
                  [0, 0.5, 0, 0.5, 0],        # 1-30: cures, rolls
                  [0, 0.2, 0.3, 0.4, 0.1],    # 31-60: cures, back to 1-30, stays, charged off
                  [0, 0, 0, 0, 1.0]])
    model = cs.CreditModel(states=cs.StateSpace(_MONEY_STATES), segments=[cs.Segment("s", p)],
                           charge_off_dpd=None)
    r = annual / 12
    loans = LoanMoney(np.array([balance], np.int32), np.array([r], np.float32), np.array([np.log1p(r)], np.float32),
                      np.array([r * penalty], np.float32), np.array([method], np.int32),
                      np.array([remaining], np.int32))
    return OneMonth(model, features_for(money=True), loans=loans), r


@pytest.mark.parametrize("method", [0, 1, 2])
def test_a_current_loan_pays_its_scheduled_instalment(method):
    month, r = _money_month(method=method)
    c, out = month.step(month.carry("current", 1), transition=at(0.5))
    _, interest, princ = payment(100_000, 12 * r, 6, method, 1)
    assert month.name(c["state"])[0] == "current"
    assert out["inflow"].tolist() == [int(round_half_away(interest)), pytest.approx(princ, abs=1)]
    assert c["balance"][0] == 100_000 - out["inflow"][1]
    assert c["due_principal"][0] == 0 and c["due_interest"][0] == 0 and c["remaining"][0] == 5
    assert out["balance"][1] == c["balance"][0]  # the live principal counted in its bin


def test_a_loan_that_rolls_pays_nothing_and_owes_the_instalment():
    month, r = _money_month()
    c, out = month.step(month.carry("current", 1), transition=at(0.95))
    _, interest, princ = payment(100_000, 12 * r, 6, 0, 1)
    assert month.name(c["state"])[0] == "dpd_1_30" and c["dpd"][0] == 1
    assert out["inflow"].tolist() == [0, 0]
    assert c["due_interest"][0] == round_half_away(interest)
    assert c["due_principal"][0] == pytest.approx(princ, abs=1)
    assert c["balance"][0] + c["due_principal"][0] == 100_000


def test_a_payoff_pays_everything():
    month, r = _money_month()
    c, out = month.step(month.carry("current", 1), transition=at(0.05))
    assert month.name(c["state"])[0] == "paid_off"
    assert out["inflow"].tolist() == [round_half_away(100_000 * r), 100_000]
    assert c["balance"][0] == c["due_principal"][0] == c["due_interest"][0] == 0


@pytest.mark.parametrize("state,dpd,q,share", [
    ("dpd_1_30", 1, 0.25, 1.0),      # cures: 2 instalments' worth of arrears down to 0
    ("dpd_1_30", 1, 0.75, 0.0),      # rolls to 31-60: pays nothing
    ("dpd_31_60", 2, 0.3, 2 / 3),    # back to 1-30: from 3 instalments' worth down to 1
    ("dpd_31_60", 2, 0.1, 1.0)])     # cures
def test_a_past_due_loan_pays_the_share_of_its_arrears_that_its_move_implies(state, dpd, q, share):
    month, r = _money_month(balance=80_000, remaining=4)
    dp, di = 21_000, 2_400  # overdue principal and interest
    c0 = month.carry(state, 1, dpd=dpd, due_principal=dp, due_interest=di)
    c, out = month.step(c0, transition=at(q))
    interest = round_half_away(80_000 * r)
    pen = round_half_away((dp + di) * r * 1.5)
    _, _, princ = payment(80_000, 12 * r, 4, 0, 1)
    owed_p, owed_i = dp + round(float(princ)), di + interest + pen
    assert out["inflow"][1] == pytest.approx(round_half_away(owed_p * share), abs=1)
    assert out["inflow"][0] == pytest.approx(round_half_away(owed_i * share), abs=1)
    # nothing is lost: what was paid and what is still owed make what fell due
    assert out["inflow"][0] + c["due_interest"][0] == owed_i
    assert out["inflow"][1] + c["due_principal"][0] + c["balance"][0] == 80_000 + dp


def test_without_a_paid_off_state_a_loan_pays_its_instalment_only():
    """State 0 is not a payoff when the state space has no paid-off state."""
    p = np.array([[1.0, 0, 0], [0.5, 0.5, 0], [0, 0, 1.0]])
    model = cs.CreditModel(states=cs.StateSpace(["current", "dpd_1_30", "charged_off"]),
                           segments=[cs.Segment("s", p)], charge_off_dpd=None)
    month, r = _money_month(balance=1_200, remaining=12)
    month = OneMonth(model, features_for(money=True), loans=month.loans)
    c, out = month.step(month.carry("current", 4), transition=at(0.5, 4))
    _, interest, princ = payment(1_200, 12 * r, 12, 0, 1)
    assert (month.name(c["state"]) == "current").all()
    assert out["inflow"][1] == pytest.approx(4 * float(princ), abs=4)
    assert (c["balance"] == 1_200 - out["inflow"][1] // 4).all()


def test_the_last_instalment_pays_the_loan_off():
    month, r = _money_month(balance=10_000, remaining=1)
    c, out = month.step(month.carry("current", 1), transition=at(0.5))
    assert month.name(c["state"])[0] == "paid_off"
    assert out["inflow"].tolist() == [round_half_away(10_000 * r), 10_000]


# collections ----------------------------------------------------------------------------

def test_a_settlement_offer_is_accepted_with_its_probability_and_closes_the_debt_for_its_fraction():
    month, r = _money_month(balance=50_000, remaining=3)
    offer = cs.Settlement(name="offer", fraction=0.6, accept={"*": 0.3})
    strategy = cs.Strategy("settle", actions=[offer], rules=[cs.Rule("offer", min_days=1)])
    month = OneMonth(month.model, features_for(money=True, strategy=True, n_age=4), loans=month.loans,
                     strategy=strategy)
    n = 4096
    dp, di = 10_000, 1_000
    c0 = month.carry("dpd_1_30", n, dpd=1, due_principal=dp, due_interest=di)
    c, out = month.step(c0, transition=at(0.75, n), action=even(n))  # a roll, had it not settled
    settled = month.name(c["state"]) == "paid_off"
    assert abs(settled.mean() - 0.3) <= 1 / n + 1e-6
    # what it owed after the month's instalment and penalty fell due
    _, _, princ = payment(50_000, 12 * r, 3, 0, 1)
    owed = 50_000 + dp + di + round_half_away(50_000 * r) + round_half_away((dp + di) * r * 1.5)
    got = round_half_away(0.6 * owed)
    paid = out["inflow"][:2].sum()
    assert paid == pytest.approx(settled.sum() * got, abs=int(settled.sum()))
    flows = dict(zip(STRATEGY_FLOWS, out["sflows"].tolist(), strict=True))
    assert flows["debt_forgiven"] + paid == settled.sum() * owed
    assert flows["contacts"] == 0 and flows["action_costs"] == 0
    assert set(month.name(c["state"][~settled])) == {"dpd_31_60"}
    assert (c["last"] == 1).all()  # every loan was acted on in month 1


def test_a_restructure_capitalises_the_arrears_waives_the_interest_and_extends_the_term():
    month, r = _money_month(balance=50_000, remaining=3)
    names = list(month.model.states.names) + ["restructured"]
    p = np.eye(len(names))
    p[:5, :5] = [[1.0, 0, 0, 0, 0], [0.1, 0.8, 0.1, 0, 0], [0, 0.5, 0, 0.5, 0], [0, 0.2, 0.3, 0.4, 0.1],
                 [0, 0, 0, 0, 1.0]]
    p[5] = np.eye(len(names))[1]  # restructured loans move as current ones
    model = cs.CreditModel(states=cs.StateSpace(names), segments=[cs.Segment("s", p)], charge_off_dpd=None)
    plan = cs.Restructure(name="extend", extend_months=6)
    strategy = cs.Strategy("restructure", actions=[plan], rules=[cs.Rule("extend", min_days=1)])
    month = OneMonth(model, features_for(money=True, strategy=True, n_age=4), loans=month.loans, strategy=strategy)
    dp, di = 10_000, 1_000
    c, out = month.step(month.carry("dpd_1_30", 1, dpd=1, due_principal=dp, due_interest=di), transition=at(0.75))
    flows = dict(zip(STRATEGY_FLOWS, out["sflows"].tolist(), strict=True))
    assert month.name(c["state"])[0] == "restructured" and c["dpd"][0] == 0
    # the arrears join the principal not yet due, the overdue interest is waived, and the
    # new schedule's first instalment (of 3 + 6 - 1 left) falls due and is paid
    assert flows["interest_forgone"] == di
    _, interest, princ = payment(60_000, 12 * r, 9, 0, 1)
    assert out["inflow"].tolist() == [round_half_away(float(interest)), pytest.approx(float(princ), abs=1)]
    assert c["remaining"][0] == 8 and c["balance"][0] == 60_000 - out["inflow"][1]
    assert c["due_principal"][0] == 0 and c["due_interest"][0] == 0


def test_an_agency_recovers_after_charge_off_with_its_hazard_and_fraction():
    month, _ = _money_month()
    agency = cs.AgencyPlacement(name="agency", hazard={"*": 0.05}, recovery_fraction=0.4)
    strategy = cs.Strategy("agency", actions=[agency], rules=[cs.Rule("agency", min_days=1)])
    month = OneMonth(month.model, features_for(money=True, strategy=True, n_age=4), loans=month.loans,
                     strategy=strategy)
    n, owed = 4096, 12_345
    # charged off and placed: the agency's action is 1 (the first after "none")
    c0 = month.carry("charged_off", n, place=1, recoverable=owed)
    c, out = month.step(c0, action=even(n))
    flows = dict(zip(STRATEGY_FLOWS, out["sflows"].tolist(), strict=True))
    hit = c["recoverable"] == 0
    assert abs(hit.mean() - 0.05) <= 1 / n + 1e-6
    assert (c["recoverable"][~hit] == owed).all()  # the others wait for a later month
    assert flows["recoveries"] == hit.sum() * round_half_away(0.4 * owed)
    assert flows["agency_collected"] == flows["recoveries"]  # it is paid on what it recovers
    assert flows["contacts"] == 0  # no contacts with a charged-off account


def test_a_bureau_report_is_made_once():
    month, _ = _money_month()
    report = cs.BureauReport(name="report")
    strategy = cs.Strategy("report", actions=[report], rules=[cs.Rule("report", min_days=1)])
    month = OneMonth(month.model, features_for(money=True, strategy=True, n_age=4), loans=month.loans,
                     strategy=strategy)
    c0 = month.carry("dpd_1_30", 2, dpd=1, bureau=np.array([False, True]))
    c, _ = month.step(c0, transition=at(0.25, 2))
    assert c["bureau"].tolist() == [True, True]
    assert c["last"].tolist() == [1, -2**20]  # the second loan, reported before, is not reported again


# the composer ---------------------------------------------------------------------------

def test_every_feature_names_phases_that_exist_and_is_hashable():
    for cls in ORDER:
        f = cls()
        hash(f)
        assert isinstance(f, Feature)
        assert set(f.phases()) <= set(PHASES)
        assert f.phases(), cls
    # no two features on one stream (a feature's streams may depend on its fields)
    declared = [s for f in [cls() for cls in ORDER if cls is not Origination] + [Origination(repeat=True)]
                for s in f.streams]
    assert len(declared) == len(set(declared))
    assert features_for() == (Transition(),)
    assert [type(f) for f in features_for(money=True, shocks=True, fraud=True, strategy=True)] == [
        Transition, IncomeShocks, Fraud, Aging, Money, Collections, Placement, Bureau, Restructure, Settlement]


def _architecture_doc() -> str:
    return (pathlib.Path(__file__).parents[1] / "docs" / "architecture.md").read_text()


def test_the_worked_example_of_the_architecture_docs():
    """The prepayment feature of docs/architecture.md, run as written there: composed with
    the base transition, a month prepays the share of open loans its probability says."""
    from types import SimpleNamespace

    code = re.search(r"```python\n(.*?)```", _architecture_doc(), re.S).group(1)
    ns = {"__name__": "creditsim.engine.features.prepayment", "__package__": "creditsim.engine.features"}
    exec(compile(code, "docs/architecture.md", "exec"), ns)
    prepayment = ns["Prepayment"]()
    names = ["paid_off", "current", "dpd_1_30", "charged_off"]
    p = np.array([[1.0, 0, 0, 0], [0, 0.9, 0.1, 0], [0, 0.5, 0.3, 0.2], [0, 0, 0, 1.0]])
    model = cs.CreditModel(states=cs.StateSpace(names), segments=[cs.Segment("s", p)], charge_off_dpd=None)
    month = OneMonth(model, [Transition(), prepayment])
    # the model's arrays with the feature's parameter (in the package: a CompiledModel field)
    month.cm = SimpleNamespace(**month.cm._asdict(), prepay=np.float64(0.04))
    month._step = jax.jit(month._month)
    n, stream = 4096, ns["STREAM_PREPAY"]
    c, out = month.step(month.carry("current", n), transition=at(0.5, n), streams={stream: even(n)})
    prepaid = month.name(c["state"]) == "paid_off"
    assert abs(prepaid.mean() - 0.04) <= 1 / n + 1e-6
    assert out["prepaid"] == prepaid.sum()
    assert set(month.name(c["state"][~prepaid])) == {"current"}
    c, out = month.step(month.carry("charged_off", 16), streams={stream: even(16)})  # closed: nothing prepays
    assert out["prepaid"] == 0


def test_the_architecture_docs_list_each_features_phases():
    rows = {m.group(1): m.group(2)
            for m in re.finditer(r"^\| `(\w+)`[^\n]*\| ([a-z_, ]+) \|$", _architecture_doc(), re.M)}
    for cls in ORDER:
        assert cls.__name__ in rows, cls.__name__
        assert rows[cls.__name__].split(", ") == list(cls().phases()), cls.__name__
