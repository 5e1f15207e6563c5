"""Repeat borrowing: a paid-off borrower draws again with a monthly probability.  The
chain's oracle, the randomness contract (borrowers who cannot draw again keep their paths
bit for bit), money conserved with the draws, strategies, and bad input (results do not
depend on chunks or spans: tests/test_originations.py)."""

import numpy as np
import pytest

import creditsim as cs
from creditsim import presets
from helpers import assert_vintages_add_up, family_z


def test_repeat_draws_follow_the_chain_with_a_way_back():
    """Chain only, no macro correlation: a paid-off loan at a month's start draws again
    with probability p during it, into current.  The loans' mix at month t is then
    x0·P'^t, P' the chain with the paid-off row (1 − p stays, p to current), and the draws
    in month t are p times the loans paid off at its start (matrix powers)."""
    p_chain = presets.band_matrix(**presets.BANDS["C"])
    model = cs.CreditModel(segments=[cs.Segment("C", p_chain, rho=0.0)], charge_off_dpd=None)
    states = list(cs.DEFAULT_STATES)
    cur, paid = states.index("current"), states.index("paid_off")
    n, horizon, s, rep = 4000, 12, 8, 0.3
    book = cs.LoanBook(["C"] * n, ["current"] * n, np.full(n, 100.0))
    ds = cs.simulate(model, book, horizon=horizon, scenarios=s, seed=5, month_span=horizon,
                     originations=cs.Originations(0, {"C": 1.0}, repeat=rep))
    back = p_chain.copy()
    back[paid] = 0.0
    back[paid, paid], back[paid, cur] = 1.0 - rep, rep
    x = np.zeros(len(states))
    x[cur] = 1.0
    mixes = [x]
    for _ in range(horizon):
        mixes.append(mixes[-1] @ back)
    mix = np.array(mixes)  # (months 0..T, states)
    got = ds.occupancy.sum("segment").values.mean(axis=0) / n  # mean over scenarios
    se = np.sqrt(mix * (1 - mix) / (n * s))
    z = family_z(mix.size)
    assert np.all(np.abs(got - mix) <= z * se + 1e-12), np.abs(got - mix) / np.maximum(se, 1e-12)
    draws = ds.redrawn.values.mean(axis=0)[1:] / n  # months 1..T
    want = rep * mix[:-1, paid]
    se = np.sqrt(want * (1 - want) / (n * s))
    assert np.all(np.abs(draws - want) <= z * se + 1e-12), (draws, want)
    assert ds.redrawn.values[:, 1:].sum() > 0.3 * n
    # each draw lends the loan's exposure again
    np.testing.assert_allclose(ds.redrawn_amount.values, 100.0 * ds.redrawn.values)


@pytest.fixture(scope="module")
def living():
    """The preset (every feature), a book with loan terms, new loans; repeat borrowing in
    segment A only, and the same run without it."""
    model = presets.jiebei_model()
    book = presets.jiebei_book(1000, seed=2, states=presets.JIEBEI_START)
    # the horizon in one kernel call (the new loans are one chunk, which starts at month 0;
    # results do not depend on the spans: tests/test_originations.py): one compiled kernel a run
    kw = dict(horizon=12, scenarios=2, seed=7, stages=True, month_span=12)
    plan = cs.Originations(100, presets.DEMO_MIX, rates=presets.JIEBEI_RATES, seed=4)
    again = cs.Originations(100, presets.DEMO_MIX, rates=presets.JIEBEI_RATES, seed=4, repeat={"A": 0.3})
    return (cs.simulate(model, book, originations=plan, **kw), cs.simulate(model, book, originations=again, **kw),
            model, book, again, kw)


def test_borrowers_who_cannot_draw_again_keep_their_paths(living):
    """Draws use their own stream: segments without repeat borrowing have bit for bit
    the same run; segment A draws again and has more loans, and the losses of the book's
    loans by stage at month 0 are unchanged (a draw is a new loan, counted with them)."""
    plain, again = living[:2]
    others = ["B", "C", "D", "E"]
    for name in ("occupancy", "balance", "loss_by_segment", "charged_off_by_segment", "fraud_loss", "in_shock",
                 "hardship_reported"):
        np.testing.assert_array_equal(plain[name].sel(segment=others).values, again[name].sel(segment=others).values,
                                      err_msg=name)
    assert (again.redrawn.sum("month") > 0).all()
    grew = again.occupancy.sel(segment="A").sum("state") - plain.occupancy.sel(segment="A").sum("state")
    assert (grew == 0).all()  # a draw is the same loan again: loans are conserved
    live = [s for s in plain.state.values if s not in ("paid_off", "charged_off")]
    more = again.occupancy.sel(segment="A", state=live).sum("state") - \
        plain.occupancy.sel(segment="A", state=live).sum("state")
    assert (more.isel(month=-1) > 0).all()
    staged = [v for v in again.data_vars if "stage" in again[v].dims and "scenario" in again[v].dims]
    assert staged
    for name in staged:
        np.testing.assert_array_equal(plain[name].values, again[name].values, err_msg=name)


def test_money_is_conserved_with_repeat_draws(living):
    """Principal owed at the start plus lent (new loans and repeat draws) = repaid +
    charged off + still owed; the vintages add up to the book, a draw's vintage is its
    month's, and the cash flows count the draws as lent."""
    plain, ds = living[:2]
    start = ds.balance.isel(month=0).sum(("segment", "state"))
    out = ds.principal_repaid.sum("month") + ds.charged_off_principal + \
        ds.balance.isel(month=-1).sum(("segment", "state"))
    lent = ds.principal_lent.sum() + ds.redrawn_amount.sum("month")
    np.testing.assert_allclose(out, start + lent, rtol=1e-12)
    assert_vintages_add_up(ds)
    # a vintage owes, in its month, what its new loans and its draws lent
    v = 6
    np.testing.assert_allclose(ds.vintage_balance.sel(vintage=v, month=v),
                               ds.originated_amount.sel(vintage=v) + ds.redrawn_amount.sel(month=v), rtol=1e-12)
    assert float(ds.vintage_balance.sel(vintage=v, month=slice(0, v - 1)).sum()) == 0
    # the NPV counts the draws as cash out in their month
    model = living[2]
    v = (1.0 + model.cost_of_funds / 12.0) ** -np.arange(ds.sizes["month"])
    cash = ds.interest_received + ds.principal_repaid + ds.recoveries - ds.collection_costs - \
        ds.principal_lent - ds.redrawn_amount
    npv = (cash * v).sum("month") + v[-1] * ds.balance.isel(month=-1).sum(("segment", "state")) - start
    np.testing.assert_allclose(ds.npv, npv, rtol=1e-9)
    assert not np.allclose(ds.npv, plain.npv)
    curves = cs.vintage_curves(ds)
    assert np.isfinite(curves.sel(vintage=1, months_on_book=8)).all()


def test_repeat_draws_under_collection_strategies():
    """Strategies act on a drawn loan as on a new one (no placement, contacts or bureau
    report carried over): principal is conserved under each preset strategy."""
    model = presets.jiebei_model(fraud=False)
    book = presets.jiebei_book(1500, seed=3, states=presets.JIEBEI_START)
    plan = cs.Originations(0, presets.DEMO_MIX, repeat=0.25)
    ds = cs.simulate(model, book, horizon=12, scenarios=2, seed=1, originations=plan, month_span=12,
                     strategies=["agency_at_90", "hardship_restructure", "aggressive"])
    for s in ds.strategy.values:
        x = ds.sel(strategy=s)
        assert int(x.redrawn.sum()) > 0
        total = x.principal_repaid.sum("month") + x.charged_off_principal + \
            x.balance.isel(month=-1).sum(("segment", "state")) + x.debt_forgiven.sum("month")
        opening = x.balance.isel(month=0).sum(("segment", "state")) + x.redrawn_amount.sum("month")
        np.testing.assert_allclose(total, opening, rtol=1e-9, err_msg=str(s))


@pytest.mark.parametrize(("repeat", "msg"), [
    (-0.1, "Originations.repeat: need a monthly probability in [0, 1] or a mapping of segment name to one, got -0.1"),
    (True, "Originations.repeat: need a monthly probability in [0, 1] or a mapping of segment name to one, got True"),
    ({"A": 1.5}, "Originations.repeat: segment 'A' has 1.5; need a monthly probability in [0, 1]"),
    ({3: 0.1}, "Originations.repeat: keys are segment names, got 3"),
])
def test_bad_repeat_is_named(repeat, msg):
    with pytest.raises(ValueError, match=msg.replace("[", "\\[").replace("]", "\\]").replace(".", "\\.")):
        cs.Originations(5, {"A": 1.0}, repeat=repeat)


def test_repeat_for_an_unknown_segment_is_named():
    model = presets.jiebei_model(shocks=False, fraud=False)
    book = presets.jiebei_book(50, seed=1)
    with pytest.raises(ValueError, match="Originations.repeat: unknown segment 'Z'"):
        cs.simulate(model, book, horizon=2, scenarios=1, seed=1,
                    originations=cs.Originations(0, {"A": 1.0}, rates={"A": 0.1}, repeat={"Z": 0.1}))
