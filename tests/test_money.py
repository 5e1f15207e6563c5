"""Money in the engine: schedules, arrears, payments, charge-offs, conservation and NPV."""

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

import creditsim as cs
from creditsim import FraudTransfer, IncomeShock, presets
from creditsim.spec.schedule import payment, round_half_away
from helpers import no_fraud_rows, random_chain, sure_chain

FEN = 0.01
HORIZON = 13  # one compiled horizon for every single-loan case (terms up to 12 months)
#: ... in one kernel call (results do not depend on the month spans: tested below), so that
#: every small book of one segment without hazards shares one compiled kernel
SMALL = {"horizon": HORIZON, "month_span": HORIZON + 1}


def _one_loan_book(principal, rate, term, method, mob, state="current", segment="s"):
    terms = cs.LoanTerms([principal], [rate], [term], [method], [mob])
    return cs.LoanBook(segment=[segment], state=[state], terms=terms)


def _path(ds):
    """The single loan's state in each month, read from the occupancy."""
    occ = ds.occupancy.isel(scenario=0).sum("segment").values  # (T+1, K)
    assert np.all(occ.sum(axis=1) == 1)
    return occ.argmax(axis=1)


def _reference(path, states, principal_fen, rate, term, method, mob, penalty_multiple=1.5):
    """The accounting rules, one loan, in plain Python float64 on the fen grid: returns
    per month (interest received, principal repaid, exposure charged off)."""
    r = rate / 12.0
    b = float(principal_fen)
    dp = di = 0.0
    round = round_half_away  # noqa: A001 (the package's one convention, halves up)
    rem = term - mob
    first = [p[0] for p in states.past_due]
    ages = [p[1] > p[0] for p in states.past_due]
    absorbing = [n in states.absorbing for n in states.names]
    paid, co = states.index("paid_off"), states.index("charged_off")
    d = first[path[0]]
    out = []
    for t in range(1, len(path)):
        state, new = path[t - 1], path[t]
        if absorbing[state]:
            out.append((0.0, 0.0, 0.0))
            continue
        interest = round(b * r) if rem > 0 else 0.0
        if rem > 0:
            if rem == 1:
                share = 1.0
            elif method == 0:
                share = r / ((1 + r) ** rem - 1) if r > 0 else 1.0 / rem
            elif method == 1:
                share = 1.0 / rem
            else:
                share = 0.0
            p = min(round(b * share), b)
        else:
            p = 0.0
        pen = round((dp + di) * r * penalty_multiple)
        b, dp, di, rem = b - p, dp + p, di + interest + pen, max(rem - 1, 0)
        d_new = d + 1 if (new == state and ages[new]) else first[new]
        if new == paid:
            out.append((di, dp + b, 0.0))
            b = dp = di = 0.0
        elif new == co:
            out.append((0.0, 0.0, b + dp + di))
        else:
            frac = min(max((d + 1 - d_new) / (d + 1), 0.0), 1.0)
            pay_p, pay_i = round(dp * frac), round(di * frac)
            dp, di = dp - pay_p, di - pay_i
            out.append((pay_i, pay_p, 0.0))
        d = d_new
    return np.array(out) * FEN


def _model(matrix, name="s", **kw):
    return cs.CreditModel(segments=[cs.Segment(name, matrix)], **kw)


def _never_default():
    k = len(cs.DEFAULT_STATES)
    return np.eye(k)  # nobody moves by the chain: only the schedule pays loans off


loan = st.tuples(
    st.floats(1_000, 300_000).map(lambda x: round(x, 2)),
    st.sampled_from([0.0, 0.072, 0.1095, 0.18]),
    st.integers(1, 12),
    st.sampled_from([0, 1, 2]),
    st.integers(0, 11),
)


@settings(max_examples=25, deadline=None)
@given(loan)
def test_a_loan_that_never_defaults_repays_its_schedule(terms):
    """Principal repaid to the fen, interest by month as the closed-form schedule (within
    the rounding of each month's amounts to the fen), paid off in its last month."""
    principal, rate, term, method, mob = terms
    mob = min(mob, term - 1)
    book = _one_loan_book(principal, rate, term, method, mob)
    ds = cs.simulate(_model(_never_default()), book, scenarios=1, seed=0, **SMALL)
    months = np.arange(1, HORIZON + 1)
    _, want_i, want_p = payment(principal, rate, term, method, mob + months)
    got_i = ds.interest_received.isel(scenario=0).values[1:]
    got_p = ds.principal_repaid.isel(scenario=0).values[1:]
    outstanding = round(float(book.exposure[0]) / FEN) * FEN
    assert got_p.sum() == pytest.approx(outstanding, abs=1e-6)
    # each month's balance is the exact one up to the fen rounding of earlier principal parts
    # (and a float32 share, 1e-6 relative): the interest differs by at most that times r
    tol = FEN * (1 + months) + 2e-6 * principal * rate
    assert np.all(np.abs(got_i - want_i) <= tol), (got_i - want_i, tol)
    assert np.all(np.abs(got_p - want_p) <= 2 * tol)
    path = _path(ds)
    paid = cs.DEFAULT_STATES.index("paid_off")
    assert list(path[: term - mob]) == [1] * (term - mob) and np.all(path[term - mob:] == paid)
    assert float(ds.credit_charge_offs.sum()) == 0 and float(ds.interest_outstanding.sum()) == 0


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31), loan, st.sampled_from([None, 180, 120]))
def test_cash_flows_follow_the_accounting_rules_on_any_path(seed, terms, dpd):
    """A single loan on a random chain: its monthly interest, principal and charge-off
    equal those of a plain-Python implementation of the rules on the same state path."""
    principal, rate, term, method, mob = terms
    mob = min(mob, term - 1)
    rng = np.random.default_rng(seed)
    k = len(cs.DEFAULT_STATES)
    m = random_chain(rng, k, 0, zero_share=0.5)
    for name in ("paid_off", "charged_off"):
        i = cs.DEFAULT_STATES.index(name)
        m[i] = np.eye(k)[i]
    m[:, cs.DEFAULT_STATES.index("fraud_review")] = 0.0  # the chain never enters it
    m /= m.sum(axis=1, keepdims=True)
    start = cs.DEFAULT_STATES[rng.integers(1, 7)]
    book = _one_loan_book(principal, rate, term, method, mob, state=start)
    model = _model(m, charge_off_dpd=dpd)
    ds = cs.simulate(model, book, scenarios=1, seed=seed, **SMALL)
    fen = round(float(book.exposure[0]) / FEN)
    want = _reference(_path(ds), model.states, fen, rate, term, method, mob)
    got = np.stack([ds[v].isel(scenario=0).values[1:] for v in
                    ("interest_received", "principal_repaid", "credit_charge_offs")], axis=1)
    tol = 3 * FEN * np.arange(1, HORIZON + 1)[:, None] + 2e-6 * principal
    assert np.all(np.abs(np.cumsum(got - want, axis=0)) <= tol), np.cumsum(got - want, axis=0)


def test_a_cure_pays_the_arrears_with_penalty_interest():
    """Deterministic chain restructured -> 1-30 -> 31-60 -> 61-90 -> current (which stays):
    the amounts worked by hand."""
    # a book starting in 'restructured' (performing) misses three instalments, then cures
    m = sure_chain(restructured="dpd_1_30", dpd_1_30="dpd_31_60", dpd_31_60="dpd_61_90", dpd_61_90="current")
    principal, rate, term = 12_000.0, 0.12, 12  # round numbers: r = 1% a month
    book = _one_loan_book(principal, rate, term, 1, 0, state="restructured")  # equal principal
    ds = cs.simulate(_model(m), book, scenarios=1, seed=0, **SMALL)
    got_i = ds.interest_received.isel(scenario=0).values[1:]
    got_p = ds.principal_repaid.isel(scenario=0).values[1:]
    # months 1-3 missed: instalments of 1,000 principal plus 1% interest on 12,000, 11,000,
    # 10,000; penalty 1.5% a month on the overdue amount of the month before
    inst_i = [120.0, 110.0, 100.0]
    d1 = 1000 + 120.0
    pen2 = round(d1 * 0.015, 2)
    d2 = d1 + pen2 + 1000 + 110.0
    pen3 = round(d2 * 0.015, 2)
    d3 = d2 + pen3 + 1000 + 100.0
    # month 4: cure from 61-90: everything overdue plus the month's instalment, with penalty
    pen4 = round(d3 * 0.015, 2)
    assert np.allclose(got_i[:3], 0) and np.allclose(got_p[:3], 0)
    assert got_p[3] == pytest.approx(4000.0)
    assert got_i[3] == pytest.approx(sum(inst_i) + 90.0 + pen2 + pen3 + pen4)
    assert got_p[4] == pytest.approx(1000.0) and got_i[4] == pytest.approx(80.0)


def _full_model(**kw):
    base = presets.demo_model()
    shock = IncomeShock(hazard=0.01, mean_months=4, rho=0.05)
    segs = [cs.Segment(s.name, no_fraud_rows(s.matrix), rho=s.rho, distressed=no_fraud_rows(presets.band_matrix(
        **{**presets.BANDS["E"], "roll": 0.2}))) for s in base.segments]
    return cs.CreditModel(segments=segs, macro=base.macro, income_shock=shock,
                          fraud=FraudTransfer(hazard=5e-3, police_recovery=0.2), **kw)


@pytest.fixture(scope="module")
def full():
    book = presets.jiebei_book(6000, seed=5, states={"current": 0.95, "dpd_1_30": 0.03, "dpd_91_180": 0.02})
    return _full_model(), book, cs.simulate(_full_model(), book, horizon=10, scenarios=6, seed=2)


def test_money_is_conserved(full):
    """Principal owed at the start = repaid + charged off + still owed; interest that fell
    due = received + charged off + still overdue (exact sums of fen)."""
    _, book, ds = full
    start = ds.balance.isel(month=0).sum(("segment", "state"))
    principal = ds.principal_repaid.sum("month") + ds.charged_off_principal + \
        ds.balance.isel(month=-1).sum(("segment", "state"))
    assert np.allclose(principal, start, rtol=1e-12, atol=1e-6)
    interest = ds.interest_received.sum("month") + ds.charged_off_interest + ds.interest_outstanding
    assert np.allclose(interest, ds.interest_charged, rtol=1e-12, atol=1e-6)
    charged = ds.credit_charge_offs.sum("month") + ds.fraud_losses.sum("month") / 0.8
    assert np.allclose(charged, ds.charged_off_principal + ds.charged_off_interest, rtol=1e-12)
    assert np.allclose(ds.loss, ds.credit_charge_offs.sum("month"), rtol=1e-12)
    assert np.allclose(ds.fraud_loss.sum("segment"), ds.fraud_losses.sum("month"), rtol=1e-12)
    assert np.allclose(ds.net_credit_loss, ds.credit_charge_offs + ds.fraud_losses)
    assert float(ds.fraud_losses.sum()) > 0 and float(ds.credit_charge_offs.sum()) > 0
    # paid-off and charged-off loans owe nothing on the balance sheet
    assert float(ds.balance.sel(state=["paid_off", "charged_off"]).sum()) == 0


def test_money_does_not_depend_on_chunks_and_repeats_exactly(full):
    model, book, ds = full
    again = cs.simulate(model, book, horizon=10, scenarios=6, seed=2, chunk_size=1000, scenario_batch=4)
    xr.testing.assert_identical(ds, again)


def test_no_recompilation_with_money(full):
    """A repeated call compiles nothing; other seeds reuse the sizes a chunk is halved to
    (the chunk's length over powers of two), so they compile little if anything."""
    from creditsim.engine.tracing import trace_count

    model, book, _ = full
    cs.simulate(model, book, horizon=10, scenarios=6, seed=3)
    before = trace_count()
    cs.simulate(model, book, horizon=10, scenarios=6, seed=3)
    assert trace_count() == before
    for seed in range(4, 10):
        cs.simulate(model, book, horizon=10, scenarios=6, seed=seed)
    assert trace_count() - before <= 2


def test_dropping_finished_loans_changes_nothing(full, monkeypatch):
    """Loans paid off or charged off in every scenario of a batch are dropped between
    spans of months: the result is identical to simulating them to the end."""
    from creditsim.engine import compaction

    model, book, ds = full
    # a small book drops loans from 256 on; one call for the whole horizon drops nothing
    whole = cs.simulate(model, book, horizon=10, scenarios=6, seed=2, min_drop_size=256, month_span=1000)
    xr.testing.assert_identical(ds, whole)
    calls = []
    real = compaction.frozen_bins
    monkeypatch.setattr(compaction, "frozen_bins", lambda *a, **k: calls.append(1) or real(*a, **k))
    # spans of 4, 4 and 2 months
    xr.testing.assert_identical(ds, cs.simulate(model, book, horizon=10, scenarios=6, seed=2, min_drop_size=256,
                                                month_span=4))
    assert len(calls) >= 2  # loans were dropped (in both scenario batches)


def test_npv_at_the_contract_rate_of_a_book_that_never_defaults_is_zero():
    """Discounting a loan's own schedule at its own rate gives back its principal."""
    rate = 0.12
    n = 256  # the size of the single-loan runs' chunk: one compiled kernel
    rng = np.random.default_rng(1)
    terms = cs.LoanTerms(rng.uniform(1_000, 50_000, n).round(2), rate, rng.choice([3, 6, 12], n),
                         rng.integers(0, 3, n), 0)
    book = cs.LoanBook(segment=["s"] * n, state=["current"] * n, terms=terms)
    ds = cs.simulate(_model(_never_default(), cost_of_funds=rate), book, scenarios=1, seed=0, **SMALL)
    # each month's rounding to the fen moves the NPV by at most a fen per loan and month
    assert abs(float(ds.npv[0])) <= FEN * n * 12
    higher = cs.simulate(_model(_never_default(), cost_of_funds=0.03), book, scenarios=1, seed=0, **SMALL)
    assert float(higher.npv[0]) > 0.01 * book.total_exposure * 0.5 / 12


def test_charge_off_at_180_days_takes_principal_plus_arrears():
    """A loan that never pays again is charged off when it would pass 180 days, owing all
    its principal and the interest and penalty that fell due."""
    s = {n: i for i, n in enumerate(cs.DEFAULT_STATES)}
    m = sure_chain(current="dpd_1_30", dpd_1_30="dpd_31_60", dpd_31_60="dpd_61_90", dpd_61_90="dpd_91_180")
    book = _one_loan_book(10_000.0, 0.1095, 12, 0, 0)
    for dpd, month in ((180, 7), (120, 5), (210, 8)):
        ds = cs.simulate(_model(m, charge_off_dpd=dpd), book, scenarios=1, seed=0, **SMALL)
        path = _path(ds)
        assert path[month] == s["charged_off"] and path[month - 1] != s["charged_off"], (dpd, path)
        assert float(ds.charged_off_principal[0]) == pytest.approx(10_000.0)
        assert float(ds.loss[0]) == pytest.approx(10_000.0 + float(ds.interest_charged[0]))
        assert float(ds.interest_received.sum()) == 0 and float(ds.principal_repaid.sum()) == 0
    # without the rule a loan stays in 91-180 for ever
    ds = cs.simulate(_model(m, charge_off_dpd=None), book, scenarios=1, seed=0, **SMALL)
    assert _path(ds)[-1] == s["dpd_91_180"] and float(ds.loss[0]) == 0


def test_confirmed_fraud_is_charged_off_as_fraud_with_its_balance():
    """Confirm probability 1: every claimed loan is charged off as fraud within the review
    period plus 90 days, at its balance, and none counts as a credit loss."""
    m = _never_default()
    book = presets.jiebei_book(20_000, seed=3, seasoned=False, bands={"C": 1.0})
    model = _model(m, "C", fraud=FraudTransfer(hazard=0.01, review_months=2, confirm_probability=1.0,
                                          police_recovery=0.25))
    ds = cs.simulate(model, book, horizon=12, scenarios=2, seed=1, month_span=12)  # one kernel call
    assert float(ds.credit_charge_offs.sum()) == 0 and float(ds.loss.sum()) == 0
    charged = ds.fraud_charged_off.sum("segment").values
    assert np.all(charged > 0)
    # frozen during review: the exposure is the balance when claimed, no interest added
    assert float(ds.charged_off_interest.sum()) == 0
    assert np.allclose(ds.fraud_losses.sum("month"), 0.75 * ds.charged_off_principal, rtol=1e-12)
    # every claim made by month 10 (charged off or under review then) is charged off by 12
    occ = ds.occupancy.sum("segment")
    claimed_by_10 = occ.sel(state=["charged_off", "fraud_review"], month=10).sum("state")
    assert np.all(occ.sel(state="charged_off", month=12).values == claimed_by_10.values)


def test_zero_hazards_with_money_give_exactly_the_plain_result():
    book = presets.jiebei_book(3000, seed=8)
    base = _full_model().replace(income_shock=None, fraud=None)
    a = cs.simulate(base, book, horizon=6, scenarios=3, seed=4)
    b = cs.simulate(base.replace(income_shock=IncomeShock(hazard=0.0), fraud=FraudTransfer(hazard=0.0)), book,
                    horizon=6, scenarios=3, seed=4)
    keep = [v for v in a.data_vars]
    xr.testing.assert_identical(a.drop_attrs(), b[keep].drop_attrs())


def test_risk_summary_works_on_net_credit_loss(full):
    _, _, ds = full
    summary = cs.risk_summary(ds, levels=[0.9])
    assert summary.attrs["variable"] == "net_credit_loss"
    total = ds.net_credit_loss.sum("month")
    assert float(summary["expected_loss"].sel(bound="estimate")) == pytest.approx(float(total.mean()))
    assert summary["expected_loss"].attrs["units"] == "CNY"
    with pytest.raises(ValueError, match="must have dims"):
        cs.risk_summary(ds, variable="balance")


def test_one_rounding_convention_halves_away_from_zero():
    """Half a fen rounds up everywhere: ``round_cents``, the book's opening balances and
    the engine's interest (10 yuan at 6.25% a month owe 62.5 fen: 63, where rounding
    halves to even would give 62)."""
    from creditsim.spec.schedule import round_cents, round_half_away, to_fen

    assert list(round_half_away([0.5, 1.5, 2.5, -0.5, -2.5, 2.4999])) == [1, 2, 3, -1, -3, 2]
    assert to_fen(1234.565) == 123457 and to_fen(0.125) == 13 and to_fen(-0.125) == -13
    assert round_cents(2.675) == 2.68 and round_cents(0.005) == 0.01
    assert np.isnan(round_cents(np.nan)) and round_cents(-np.inf) == -np.inf
    # an action's cost takes the same way to the fen: 0.145 yuan is 15 fen
    from creditsim.compile.model import base_matrices
    from creditsim.compile.strategies import compile_strategies

    sms = cs.Strategy("s", (cs.Contact(name="sms", cost=0.145),), (cs.Rule("sms"),))
    assert compile_strategies(_model(sure_chain()), [sms], base_matrices(_model(sure_chain())), FEN).cost[0, 1] == 15
    m = sure_chain()  # every loan stays current and repays its schedule
    model = cs.CreditModel(segments=[cs.Segment("s", m)])
    terms = cs.LoanTerms([10.0, 1234.565], 0.75, 1, 2)  # interest first, one month: r = 1/16
    book = cs.LoanBook(segment=["s", "s"], state=["current", "current"], terms=terms)
    ds = cs.simulate(model, book, scenarios=1, seed=0, **SMALL).isel(scenario=0)
    assert float(ds.balance.isel(month=0).sum()) == pytest.approx(10.0 + 1234.57, abs=1e-9)
    # 1000 fen / 16 = 62.5 -> 63; 123457 fen / 16 = 7716.0625 -> 7716
    assert float(ds.interest_received.sel(month=1)) == pytest.approx((63 + 7716) * FEN, abs=1e-9)
