"""Idiosyncratic income shocks: oracles for their timing, their rows and their effect."""

import numpy as np
import xarray as xr
from hypothesis import given
from hypothesis import strategies as st

import creditsim as cs
from creditsim import IncomeShock, oracles, presets
from creditsim.spec.macro import conditional_matrix
from helpers import family_z, raises


def _band(distressed_z=-2.0, rho=0.0):
    p = presets.band_matrix(**presets.BANDS["C"])
    return cs.Segment("C", p, rho=rho, distressed=conditional_matrix(p, 0.3, distressed_z))


def test_validation_messages():
    with raises("IncomeShock.hazard", "[0, 1]", "1.5"):
        IncomeShock(hazard=1.5)
    with raises("IncomeShock.mean_months", ">= 1", "0.5"):
        IncomeShock(mean_months=0.5)
    with raises("IncomeShock.rho", "[0, 1)", "1.0"):
        IncomeShock(rho=1.0)
    with raises("IncomeShock.report_probability", "-0.1"):
        IncomeShock(report_probability=-0.1)
    bad = np.eye(9)
    bad[1, 1] = 0.5
    with raises("Segment 'C', distressed, state 'current'", "row sums to 0.5"):
        cs.CreditModel(segments=[cs.Segment("C", presets.band_matrix(**presets.BANDS["C"]), distressed=bad)])


def test_zero_hazard_gives_exactly_the_no_shock_result():
    book = presets.demo_book(4000, seed=2)
    base = presets.demo_model()
    a = cs.simulate(base, book, horizon=8, scenarios=5, seed=3)
    b = cs.simulate(base.with_income_shock(IncomeShock(hazard=0.0, report_probability=0.5)), book,
                    horizon=8, scenarios=5, seed=3)
    assert int(b.in_shock.sum()) == 0 and int(b.hardship_reported.sum()) == 0
    xr.testing.assert_identical(a.drop_attrs(), b.drop_vars(["in_shock", "hardship_reported"]).drop_attrs())


def _always_current():
    """A chain in which loans stay current: the shock process alone is random."""
    states = cs.StateSpace(["current", "charged_off"])
    return cs.Segment("g", [[1.0, 0.0], [0.0, 1.0]]), states


def test_shock_timing_matches_its_markov_chain():
    """Shocked-or-not is Markov: 0 -> 1 with h; 1 -> 1 with (1 - p) + p·h, p = 1/mean."""
    seg, states = _always_current()
    h, mean, horizon, n, scenarios = 0.05, 4.0, 12, 20_000, 8
    model = cs.CreditModel(states=states, segments=[seg],
                           income_shock=IncomeShock(hazard=h, mean_months=mean, report_probability=1.0))
    ds = cs.simulate(model, cs.LoanBook.homogeneous(n, segment="g"), horizon=horizon,
                     scenarios=scenarios, seed=4)
    p = 1 / mean
    chain = np.array([[1 - h, h], [p * (1 - h), (1 - p) + p * h]])
    shocked = oracles.expected_occupancy(chain, [1.0, 0.0], horizon)[1:, 1]
    # with report probability 1 a loan is reported in its first shocked month
    ever = 1 - (1 - h) ** np.arange(1, horizon + 1)
    z = family_z(2 * horizon)
    for got, q in ((ds.in_shock, shocked), (ds.hardship_reported, ever)):
        mean_count = got.isel(month=slice(1, None)).sum("segment").mean("scenario").values
        se = np.sqrt(n * q * (1 - q) / scenarios)
        assert np.all(np.abs(mean_count - n * q) <= z * se), (mean_count / n, q)


def test_shocked_loans_move_by_distressed_rows():
    """Hazard 1 and a very long shock: every loan uses the distressed matrix from month 1."""
    seg = _band()
    model = cs.CreditModel(segments=[seg], income_shock=IncomeShock(hazard=1.0, mean_months=1e6))
    n, horizon, scenarios = 20_000, 5, 8
    ds = cs.simulate(model, cs.LoanBook.homogeneous(n, segment="C"), horizon=horizon,
                     scenarios=scenarios, seed=5)
    start = np.zeros(9)
    start[cs.DEFAULT_STATES.index("current")] = 1.0
    q = oracles.expected_occupancy(seg.distressed, start, horizon)
    occ = ds.occupancy.sel(segment="C").values.astype(float).mean(axis=0)
    se = np.sqrt(n * q * (1 - q) / scenarios)
    assert np.all(np.abs(occ - n * q) <= family_z(q.size) * se + 1e-9)
    # hazard 1: every (current) loan starts a shock in month 1; a mean of 10^6 months leaves
    # only the rare duration of a few months (probability ~ t·10^-6 a loan) to end one early;
    # a loan's shock ends when it is paid off or charged off
    # (under a shock during month t: the loans live at the end of month t - 1)
    live = ds.occupancy.drop_sel(state=["paid_off", "charged_off"]).sum("state").values[:, :-1]
    shocked = ds.in_shock.values[:, 1:]
    assert np.all(shocked <= live) and (live - shocked).max() <= 5


def test_hazard_rises_in_bad_months():
    seg, states = _always_current()
    shock = IncomeShock(hazard=0.02, mean_months=1.0, rho=0.2)
    n = 50_000
    book = cs.LoanBook.homogeneous(n, segment="g")
    rates = []
    for zval in (-2.0, 0.0, 2.0):
        model = cs.CreditModel(states=states, segments=[seg], income_shock=shock,
                               macro=cs.MacroFactor(path=[zval, zval]))
        ds = cs.simulate(model, book, horizon=2, scenarios=2, seed=6)
        rates.append(float(ds.in_shock.isel(month=1).mean()) / n)
        from scipy import special

        expected = special.ndtr((special.ndtri(0.02) - np.sqrt(0.2) * zval) / np.sqrt(0.8))
        assert abs(rates[-1] - expected) <= family_z(3) * np.sqrt(expected * (1 - expected) / (2 * n))
    assert rates[0] > rates[1] > rates[2]


@given(h1=st.sampled_from([0.0, 0.01, 0.03]), dh=st.sampled_from([0.02, 0.05, 0.2]))
def test_raising_the_hazard_never_lowers_expected_loss(h1, dh):
    """Paired on common random numbers: E[L(h + dh) − L(h)] ≥ 0 within Monte Carlo error."""
    model = cs.CreditModel(segments=[_band()])
    book = cs.LoanBook.homogeneous(5000, segment="C", exposure=10_000.0)
    runs = [cs.simulate(model.with_income_shock(IncomeShock(hazard=h, mean_months=6.0)), book,
                        horizon=12, scenarios=16, seed=7).loss.values for h in (h1, h1 + dh)]
    diff = runs[1] - runs[0]
    assert diff.mean() >= -family_z(1) * diff.std(ddof=1) / np.sqrt(diff.size)
