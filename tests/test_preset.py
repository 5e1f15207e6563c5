"""The calibrated Jiebei preset and the delinquency ratios it is calibrated on."""

import numpy as np
import pytest

import creditsim as cs
from creditsim import presets
from helpers import family_z, raises, sure_chain


def test_delinquency_ratios_by_hand():
    """Balances by state from a deterministic chain: the ratios are their quotients."""
    m = sure_chain(current="dpd_1_30", dpd_1_30="dpd_31_60", dpd_31_60="dpd_61_90", dpd_61_90="dpd_91_180")
    model = cs.CreditModel(segments=[cs.Segment("s", m)])
    # two loans that never pay and one that pays its schedule from 'restructured'
    terms = cs.LoanTerms([1000.0, 3000.0, 6000.0], 0.12, 12, 1)
    book = cs.LoanBook(segment=["s"] * 3, state=["current", "dpd_1_30", "restructured"], terms=terms)
    ds = cs.simulate(model, book, horizon=4, scenarios=1, seed=0)
    r = cs.delinquency_ratios(ds).isel(scenario=0)
    good = [6000.0 - 500.0 * t for t in range(5)]  # equal principal: 500 a month
    # month 1: 1000 in 1-30 (not 30+), 3000 in 31-60; month 3: 1000 in 61-90, 3000 in 91-180
    for t, (late30, late90) in enumerate([(0, 0), (3000, 0), (4000, 0), (4000, 3000), (4000, 4000)]):
        total = 4000.0 + good[t]
        assert float(r.sel(days=30, month=t)) == pytest.approx(late30 / total)
        assert float(r.sel(days=90, month=t)) == pytest.approx(late90 / total)
    steady = cs.delinquency_ratios(ds, days=[30], steady_state=True).isel(scenario=0, days=0)
    assert float(steady) == pytest.approx((3000 + 4000 + 4000 + 4000) / (5 * 4000 + sum(good)))
    with raises("delinquency_ratios", "no 'balance'"):
        cs.delinquency_ratios(cs.simulate(model, cs.LoanBook(["s"], ["current"], [1.0]), horizon=1,
                                          scenarios=1, seed=0))
    with raises("delinquency_ratios: days", "-5"):
        cs.delinquency_ratios(ds, days=[-5])


def test_jiebei_model_is_valid_and_its_figures_are_in_their_ranges():
    model = presets.jiebei_model()
    assert model.charge_off_dpd == 180 and model.penalty_multiple == 1.5
    assert [s.name for s in model.segments] == list(presets.JIEBEI_BANDS)
    for seg in model.segments:
        assert [t.name for t in seg.types] == ["forgetful", "constrained", "strategic"]
        assert sum(t.share for t in seg.types) == pytest.approx(1.0)
    assert 1e-5 <= model.fraud.hazard <= 1e-4 and 0.01 <= presets.JIEBEI_PREPAY <= 0.05
    assert all(0.07 <= r <= 0.18 for r in presets.JIEBEI_RATES.values())
    bare = presets.jiebei_model(shocks=False, fraud=False)
    assert bare.income_shock is None and bare.fraud is None


@pytest.fixture(scope="module")
def calibration():
    """The documented calibration run, smaller: 10,000 new loans followed 24 months in 120
    scenarios (steady-state ratios; the tolerance is their standard error), and a seasoned
    book under baseline and recession."""
    model = presets.jiebei_model()
    s = 120
    # the three runs share one compiled kernel: the whole horizon in one call and four
    # scenarios a call (results do not depend on either, tests/test_money.py), and 24
    # months for the stress runs too (months 1-6, the ones read, are the same whatever the
    # horizon: a loan's draws depend only on its month)
    one_kernel = dict(horizon=24, month_span=24, scenario_batch=4)
    new = cs.simulate(model, presets.jiebei_book(10_000, seed=1, seasoned=False), scenarios=s, seed=1, **one_kernel)
    book = presets.jiebei_book(10_000, seed=2, states=presets.JIEBEI_START)
    runs = {name: cs.simulate(cs.apply_stress(model, name), book, scenarios=60, seed=1, **one_kernel)
            for name in ("baseline", "recession")}
    return cs.delinquency_ratios(new, steady_state=True), runs


def test_steady_state_ratios_as_documented(calibration):
    """docs/defaults.md: steady-state 30+ about 1.50% (target 1.4%-1.6%), 90+ about 0.77%
    (target 1.0%-1.05%: out of reach under the 180-day rule, see the docs)."""
    steady, _ = calibration
    s = steady.sizes["scenario"]
    mean, se = steady.mean("scenario"), steady.std("scenario") / np.sqrt(s)
    z = family_z(2, df=s - 1)
    for days, documented in ((30, 0.0150), (90, 0.0077)):
        # 5e-4: the documented figure's own standard error (at most 0.05%, docs/defaults.md)
        assert abs(float(mean.sel(days=days)) - documented) <= z * float(se.sel(days=days)) + 5e-4
    assert 0.014 - z * float(se.sel(days=30)) <= float(mean.sel(days=30)) <= 0.016 + z * float(se.sel(days=30))


def test_recession_doubles_the_30_plus_ratio_within_months(calibration):
    """docs/defaults.md: under the recession the seasoned book's 30+ ratio is about 1.6
    times the baseline's after 3 months and 2.1 times after 4 (Ant: 1.76% to 3.01%, 1.7
    times, January to May 2020)."""
    _, runs = calibration
    r = {k: cs.delinquency_ratios(v, days=[30]).isel(days=0) for k, v in runs.items()}
    ratio = r["recession"].mean("scenario") / r["baseline"].mean("scenario")
    assert float(ratio.sel(month=1)) == pytest.approx(1.0, abs=0.05)
    assert 1.3 <= float(ratio.sel(month=3)) <= 2.0
    assert 1.7 <= float(ratio.sel(month=4)) <= 2.6
    assert np.all(np.diff(ratio.sel(month=slice(1, 6)).values) > 0)
