"""Seasoned starts: a book's days past due set each loan's months past due at month 0."""

import numpy as np
import pytest

import creditsim as cs
from creditsim import presets
from helpers import family_z


def _stuck_model(stay=0.9):
    """Default states; a 91-180 loan stays with probability ``stay`` or cures; the 180-day
    rule charges off the ones that stay past 180 days."""
    k = len(cs.DEFAULT_STATES)
    s = {n: i for i, n in enumerate(cs.DEFAULT_STATES)}
    p = np.eye(k)
    p[s["dpd_91_180"]] = 0.0
    p[s["dpd_91_180"], s["dpd_91_180"]] = stay
    p[s["dpd_91_180"], s["current"]] = 1 - stay
    return cs.CreditModel(segments=[cs.Segment("A", p, rho=0.0)], charge_off_dpd=180)


@pytest.mark.parametrize(("days", "month"), [(91, 3), (120, 3), (121, 2), (150, 2), (151, 1), (180, 1)])
def test_days_past_due_set_the_charge_off_month(days, month):
    """A loan ``days`` past due in 91-180 is ⌈days/30⌉ months past due, so it reaches the
    180-day rule after 7 − ⌈days/30⌉ months if it stays: charged off in that month with
    probability stay**month (the oracle), never before."""
    n, stay = 20_000, 0.9
    book = cs.LoanBook(np.full(n, "A"), np.full(n, "dpd_91_180"), np.ones(n), days_past_due=np.full(n, days))
    ds = cs.simulate(_stuck_model(stay), book, horizon=4, scenarios=1, seed=3)
    co = ds.occupancy.sel(state="charged_off", segment="A").isel(scenario=0).values / n
    assert (co[:month] == 0).all()
    p = stay**month
    assert abs(co[month] - p) <= family_z(6) * np.sqrt(p * (1 - p) / n)


def test_without_days_a_loan_starts_at_its_states_first_month():
    """No days past due: a 91-180 loan starts at 4 months (91 days), as with days 91."""
    n = 4000
    base = cs.LoanBook(np.full(n, "A"), np.full(n, "dpd_91_180"), np.ones(n))
    a = cs.simulate(_stuck_model(), base, horizon=5, scenarios=2, seed=1)
    b = cs.simulate(_stuck_model(), base.with_days_past_due(np.full(n, 91)), horizon=5, scenarios=2, seed=1)
    assert (a.occupancy.values == b.occupancy.values).all()
    c = cs.simulate(_stuck_model(), base.with_days_past_due(np.full(n, 150)), horizon=5, scenarios=2, seed=1)
    assert (a.occupancy.values != c.occupancy.values).any()


def test_synthetic_books_spread_days_over_their_buckets():
    """The documented rule: uniform whole days over the bucket's days, 0 for a state not past
    due; the column survives a DataFrame round trip and enters the fingerprint."""
    book = presets.jiebei_book(60_000, seed=4, states=presets.JIEBEI_START)
    names = np.asarray(book.state_names)[book.state_codes]
    days = book.days_past_due
    for state, (lo, hi) in {"dpd_1_30": (1, 30), "dpd_31_60": (31, 60), "dpd_61_90": (61, 90),
                            "dpd_91_180": (91, 180)}.items():
        d = days[names == state]
        assert d.min() >= lo and d.max() <= hi
        if state == "dpd_91_180":  # each 30-day month of the bucket holds a third of it
            months = np.ceil(d / 30).astype(int)
            share = np.bincount(months, minlength=7)[4:7] / d.size
            assert np.all(np.abs(share - 1 / 3) <= family_z(3) * np.sqrt(2 / 9 / d.size))
    assert (days[names == "current"] == 0).all()
    again = cs.LoanBook.from_dataframe(book.to_dataframe())
    assert (again.days_past_due == days).all() and again.fingerprint() == book.fingerprint()
    flat = presets.jiebei_book(60_000, seed=4, states=presets.JIEBEI_START, spread_days=False)
    assert flat.days_past_due is None and flat.fingerprint() != book.fingerprint()
    # the other columns are drawn as before: spreading only adds the days
    assert (flat.exposure == book.exposure).all() and (flat.state_codes == book.state_codes).all()


def test_a_seasoned_preset_book_charges_off_its_late_loans_over_three_months():
    """The preset book's 91-180 loans, spread over their bucket, charge off over months 1-3
    (a third or so each), not all in month 3 as when they all start at day 91."""
    model = presets.jiebei_model(shocks=False, fraud=False)
    book = presets.jiebei_book(40_000, seed=5, states={"current": 0.9, "dpd_91_180": 0.1})
    flat = presets.jiebei_book(40_000, seed=5, states={"current": 0.9, "dpd_91_180": 0.1}, spread_days=False)
    by_month = []
    for bk in (book, flat):
        ds = cs.simulate(model, bk, horizon=4, scenarios=2, seed=2)
        co = ds.occupancy.sel(state="charged_off").sum(("segment", "scenario")).values
        by_month.append(np.diff(co))
    spread, bunched = by_month
    late = 2 * 4000
    assert bunched[0] == 0 and bunched[1] == 0 and bunched[2] > 0.8 * late
    assert np.all(spread[:3] > 0.25 * late) and np.all(spread[:3] < 0.40 * late)


def test_the_living_preset_book_charges_off_without_a_spike():
    """The preset's seasoned book started in its steady mix (``JIEBEI_START``, days spread
    over the buckets) with the originations that keep it steady charges off month by month
    at its steady level: no month of the first year above the level of months 13-18 by
    more than the Monte Carlo noise, nor months 1-3 together (where a start with too many
    late loans, or all at one day, shows), and none far below it.  The noise: the scenarios' standard error of the
    paired difference and the book's own draw (a month's count is Poisson in the book's
    late loans, variance about the level)."""
    s = 16
    book, plan = presets.jiebei_living_book(40_000, seed=3)  # its new loans fit one chunk
    ds = cs.simulate(presets.jiebei_model(), book, horizon=18, scenarios=s, seed=4, originations=plan,
                     month_span=18)  # one kernel call a chunk: less to compile
    co = ds.occupancy.sel(state="charged_off").sum("segment").diff("month").values.astype(np.float64)
    level = co[:, 12:].mean(axis=1)  # (S,)
    lv = float(level.mean())
    d = co[:, :12] - level[:, None]
    z = family_z(13, false_alarm=1e-3)
    noise = np.sqrt(d.var(axis=0, ddof=1) / s + lv)
    assert np.all(d.mean(axis=0) <= z * noise), (co.mean(axis=0), lv)
    first = d[:, :3].sum(axis=1)
    assert first.mean() <= z * np.sqrt(first.var(ddof=1) / s + 3 * lv), (co.mean(axis=0)[:3], lv)
    # and no trough: the income shocks start from nobody and build up over the first months
    # (docs/calibration.md), which lowers months 4-9 by up to about a fifth; the old start
    # mix, with too few loans 1-90 days late, fell to a third of the level in months 4-6
    assert np.all(co.mean(axis=0)[:12] >= 0.6 * lv), (co.mean(axis=0), lv)
