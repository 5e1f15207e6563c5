"""New loans every month: the book's loans unchanged, loans and money conserved, the
stationary mix of steady originations, vintage views, and bad input."""

import numpy as np
import pytest

import creditsim as cs
from creditsim import presets
from helpers import assert_vintages_add_up, family_z


def _runs():
    model = presets.jiebei_model()
    book = presets.jiebei_book(3000, seed=2, states=presets.JIEBEI_START)
    plan = cs.Originations(300, presets.DEMO_MIX, growth=0.02, rates=presets.JIEBEI_RATES, seed=4)
    kw = dict(horizon=12, scenarios=4, seed=7)
    # both runs in one kernel call a chunk (the new loans are one chunk, starting at month 0):
    # the same results as in spans of 6 months (test_results_do_not_depend_on_chunks_or_spans)
    return (model, book, plan, cs.simulate(model, book, month_span=12, **kw),
            cs.simulate(model, book, originations=plan, month_span=12, **kw), kw)


def test_the_books_loans_are_unchanged_and_loans_and_money_conserved():
    runs = _runs()
    _the_books_loans_are_unchanged_by_new_ones(runs)
    _loans_and_money_are_conserved_with_entries(runs)


def _the_books_loans_are_unchanged_by_new_ones(runs):
    """Vintage 0 (the book's loans) has bit for bit the balances and charge-offs of the run
    without originations: new loans have their own indices, so their own draws."""
    _, _, _, plain, grown, _ = runs
    live = [s for s in plain.state.values if s not in ("paid_off", "charged_off")]
    # balances are whole fen: equal as integers (their float sums group the fen differently)
    fen = 0.01
    np.testing.assert_array_equal(np.round(grown.vintage_balance.sel(vintage=0).values / fen),
                                  np.round(plain.balance.sel(state=live).sum(("segment", "state")).values / fen))
    co = plain.occupancy.sel(state="charged_off").sum("segment").diff("month").values
    np.testing.assert_array_equal(grown.vintage_charged_off.sel(vintage=0).values[:, 1:], co)
    np.testing.assert_array_equal(grown.macro_z.values[:, 1:], plain.macro_z.values[:, 1:])
    assert (grown.vintage_charged_off.sel(vintage=slice(1, None)).sum() > 0).item()


def _loans_and_money_are_conserved_with_entries(runs):
    """Loans: the book's plus those lent so far, every month.  Principal: owed at the start
    plus lent = repaid + charged off + still owed (exact sums of fen)."""
    _, book, plan, _, ds, kw = runs
    vols = plan.volumes(kw["horizon"])
    assert ds.originated.values.tolist() == [len(book)] + vols.tolist()
    total = ds.occupancy.sum(("segment", "state")).values
    assert (total == len(book) + np.concatenate([[0], np.cumsum(vols)])).all()
    start = ds.balance.isel(month=0).sum(("segment", "state"))
    out = ds.principal_repaid.sum("month") + ds.charged_off_principal + \
        ds.balance.isel(month=-1).sum(("segment", "state"))
    np.testing.assert_allclose(out, start + ds.principal_lent.sum(), rtol=1e-12)
    np.testing.assert_allclose(ds.principal_lent.values[1:], ds.originated_amount.values[1:], rtol=1e-12)
    assert_vintages_add_up(ds)
    # a vintage owes nothing before its month, and its amount in its month
    v = 5
    assert float(ds.vintage_balance.sel(vintage=v, month=slice(0, v - 1)).sum()) == 0
    np.testing.assert_allclose(ds.vintage_balance.sel(vintage=v, month=v), ds.originated_amount.sel(vintage=v),
                               rtol=1e-12)


def test_results_do_not_depend_on_chunks_or_spans():
    """Chunks of new loans skip the spans before their loans enter, and finished loans are
    dropped (but not, in segment A, paid-off loans whose borrowers may draw again); the
    results are the same whatever the chunks and spans."""
    model = presets.jiebei_model(shocks=False, fraud=False)
    book = presets.jiebei_book(1000, seed=2, states=presets.JIEBEI_START)
    plan = cs.Originations(300, presets.DEMO_MIX, rates=presets.JIEBEI_RATES, seed=4, repeat={"A": 0.2})
    kw = dict(horizon=8, scenarios=2, seed=7, originations=plan)
    ds = cs.simulate(model, book, **kw)
    again = cs.simulate(model, book, chunk_size=1024, month_span=2, min_drop_size=256, **kw)
    assert int(ds.redrawn.sum()) > 0
    for name in ds.data_vars:
        np.testing.assert_array_equal(ds[name].values, again[name].values, err_msg=name)


def test_steady_originations_reach_the_stationary_mix():
    """Chain only, no macro correlation, n new current loans a month: at month T the
    expected loans in open state j are n·Σ_{a<T} (Q^a)[current, j] (matrix powers), which
    for T large is n·N[current, j] of the fundamental matrix N = (I − Q)⁻¹."""
    p = presets.band_matrix(**presets.BANDS["C"])
    model = cs.CreditModel(segments=[cs.Segment("C", p, rho=0.0)], charge_off_dpd=None)
    states = list(cs.DEFAULT_STATES)
    book = cs.LoanBook(["C"], ["paid_off"], [1.0])
    n, horizon = 2000, 100
    # no loan dropped (min_drop_size above the chunk): results are the same (tested above),
    # and the chunk keeps one length instead of being halved through six compiled sizes
    ds = cs.simulate(model, book, horizon=horizon, scenarios=2, seed=5,
                     originations=cs.Originations(n, {"C": 1.0}), min_drop_size=1 << 30)
    open_ = [i for i, s in enumerate(states) if s not in ("paid_off", "charged_off")]
    q = p[np.ix_(open_, open_)]
    c = open_.index(states.index("current"))
    want = n * sum(np.linalg.matrix_power(q, a)[c] for a in range(horizon))
    fundamental = n * np.linalg.inv(np.eye(len(open_)) - q)[c]
    np.testing.assert_allclose(want, fundamental, rtol=0.001)  # 100 months: the stationary mix
    got = ds.occupancy.sel(segment="C").isel(month=-1).values[:, open_]
    z = family_z(2 * len(open_))
    assert np.all(np.abs(got - want) <= z * np.sqrt(want) + 1), (got, want)


def test_vintage_curves():
    """The curve is the cumulative charged-off share of each vintage by months on book: it
    never falls, is NaN past the horizon, and its last value is the vintage's total."""
    model = presets.jiebei_model(shocks=False, fraud=False)
    book = presets.jiebei_book(1000, seed=1)
    plan = cs.Originations(2000, {"E": 1.0}, rates=presets.JIEBEI_RATES)
    # the horizon in one kernel call (the new loans are one chunk, starting at month 0): the
    # same results as in spans (tested above), one compiled kernel
    ds = cs.simulate(model, book, horizon=16, scenarios=2, seed=3, originations=plan, month_span=16)
    vc = cs.vintage_curves(ds)
    assert vc.dims == ("scenario", "vintage", "months_on_book") and vc.sizes["vintage"] == 16
    assert (vc.diff("months_on_book").fillna(0) >= 0).all()
    assert np.isnan(vc.sel(vintage=10, months_on_book=7)).all() and np.isfinite(vc.sel(vintage=10, months_on_book=6)).all()
    total = ds.vintage_charged_off_principal.sel(vintage=1).sum("month") / ds.originated_amount.sel(vintage=1)
    np.testing.assert_allclose(vc.sel(vintage=1, months_on_book=15), total, rtol=1e-12)
    assert float(vc.sel(vintage=1, months_on_book=15).mean()) > 0
    loans = cs.vintage_curves(ds, measure="loans")
    assert float(loans.sel(vintage=1, months_on_book=15).mean()) > 0
    with pytest.raises(ValueError, match="measure must be 'principal' or 'loans', got 'x'"):
        cs.vintage_curves(ds, measure="x")
    with pytest.raises(ValueError, match="no vintages; simulate it with originations"):
        cs.vintage_curves(cs.simulate(model, book, horizon=2, scenarios=1, seed=3))


@pytest.mark.parametrize(("kw", "msg"), [
    ({"volume": -1}, "Originations.volume: need a number of loans >= 0"),
    ({"volume": [10, 2.5]}, "Originations.volume: month 2 has 2.5"),
    ({"volume": [10], "growth": 0.1}, "Originations.growth: applies to a constant volume"),
    ({"growth": -1.0}, "Originations.growth: need a monthly growth rate > -1, got -1.0"),
    ({"segments": {"A": -1}}, "Originations.segments: 'A' has share -1"),
    ({"segments": {}}, "Originations.segments: need a mapping"),
    ({"rates": {"B": 0.1}}, "Originations.rates: segment 'A' needs an annual rate in \\[0, 1\\], got None"),
    ({"seed": -2}, "Originations.seed: need a whole number >= 0, got -2"),
])
def test_bad_plans(kw, msg):
    args = {"volume": 10, "segments": {"A": 1.0}, **kw}
    with pytest.raises(ValueError, match=msg):
        cs.Originations(**args)


def test_bad_plans_for_the_model():
    model = presets.jiebei_model()
    book = presets.jiebei_book(100, seed=1)
    run = dict(horizon=2, scenarios=1, seed=0)
    with pytest.raises(ValueError, match="Originations.segments: unknown segment 'Z'"):
        cs.simulate(model, book, originations=cs.Originations(5, {"Z": 1.0}, rates={"Z": 0.1}), **run)
    with pytest.raises(ValueError, match="Originations.rates: a book with loan terms needs"):
        cs.simulate(model, book, originations=cs.Originations(5, {"A": 1.0}), **run)
    with pytest.raises(ValueError, match="Originations.state: new loans cannot enter the absorbing state"):
        cs.simulate(model, book, originations=cs.Originations(5, {"A": 1.0}, rates={"A": 0.1}, state="paid_off"),
                    **run)
    with pytest.raises(ValueError, match="originations must be a creditsim.Originations, got dict"):
        cs.simulate(model, book, originations={"volume": 5}, **run)


def test_new_loans_have_no_stage_at_month_0():
    """With stages, losses by stage are the book's loans' only: the same with and without
    new loans (which were lent after month 0)."""
    model = presets.jiebei_model(shocks=False, fraud=False)
    book = presets.jiebei_book(300, seed=1, states=presets.JIEBEI_START)
    kw = dict(horizon=12, scenarios=2, seed=4, stages=True)
    kw["month_span"] = 12  # one kernel call a chunk: the same results
    plain = cs.simulate(model, book, **kw)
    grown = cs.simulate(model, book, originations=cs.Originations(50, presets.DEMO_MIX, rates=presets.JIEBEI_RATES),
                        **kw)
    for name in ("loss_by_stage", "discounted_loss", "balance_by_stage"):
        np.testing.assert_array_equal(plain[name].values, grown[name].values, err_msg=name)


def test_a_book_without_terms_keeps_its_money_unit_with_larger_new_loans():
    """A book of exposures fed new loans larger than its largest exposure: the money unit
    stays the book's (2**-7 yuan up to 2**23 yuan a loan), so the book's losses in yuan are
    bit for bit those of the run without new loans."""
    from creditsim.compile.loans import EXPOSURE_QUANTUM, money_quantum

    model = presets.jiebei_model(shocks=False, fraud=False)
    full = presets.jiebei_book(1000, seed=2, states=presets.JIEBEI_START)
    book = cs.LoanBook(segment=np.asarray(full.segment_names)[full.segment_codes],
                       state=np.asarray(full.state_names)[full.state_codes], exposure=full.exposure)
    plan = cs.Originations(100, presets.DEMO_MIX, amount_median=2e6, amount_range=(1e6, 8e6), seed=3)
    new = plan.draw(6, with_terms=False).amount
    assert new.min() > book.exposure.max() and new.max() > 2 ** np.ceil(np.log2(book.exposure.max()))
    assert money_quantum(book) == money_quantum(book, new) == EXPOSURE_QUANTUM
    kw = dict(horizon=6, scenarios=3, seed=7)
    plain = cs.simulate(model, book, **kw)
    grown = cs.simulate(model, book, originations=plan, **kw)
    assert (grown.vintage_balance.isel(month=-1).sel(vintage=slice(1, None)).sum() > 0).item()
    # the book's charge-offs by month, summed: exact in yuan (whole numbers of 2**-7)
    book_loss = grown.vintage_charged_off_principal.sel(vintage=0).sum("month")
    assert (book_loss.values == plain.loss.values).all() and (plain.loss > 0).all()
    # only a new loan beyond 2**23 yuan (and the book's largest rounded up to a power of
    # two) makes the unit coarser
    assert money_quantum(book, np.array([2.0**23])) == EXPOSURE_QUANTUM
    assert money_quantum(book, np.array([2.0**23 + 1])) == 2 * EXPOSURE_QUANTUM
    big = cs.LoanBook(["A"], ["current"], [3e7])
    assert money_quantum(big) == money_quantum(big, np.array([2.0**25])) == 2.0**-5
