"""Fitting the macro path to a delinquency-ratio series, and the living preset book."""

import math

import numpy as np
import pytest

import creditsim as cs
from creditsim import presets
from creditsim.engine.tracing import trace_count
from helpers import raises


@pytest.fixture(scope="module")
def small():
    model = presets.jiebei_model(shocks=False, fraud=False)
    book = presets.jiebei_book(6000, seed=3, states=presets.JIEBEI_START)
    return model, book


def _ratios(model, book, path, days=30, scenarios=2, seed=5):
    ds = cs.simulate(cs.apply_stress(model, {"macro_path": path}), book, horizon=len(path), scenarios=scenarios,
                     seed=seed)
    return cs.delinquency_ratios(ds, days=[days]).isel(days=0).mean("scenario").values


def test_fit_recovers_the_path_that_made_the_series(small):
    """A series simulated with a known path on the same random numbers: the fit from Z = 0
    reproduces it to within a couple of loans' balance and finds the path's depth."""
    model, book = small
    true = [-1.5, -2.5, -1.0]
    target = _ratios(model, book, true, days=0)[1:]
    before = trace_count("chunk_kernel"), trace_count("macro_paths")
    fit = cs.fit_macro_path(model, book, target, days=0, scenarios=2, seed=5, smoothness=0.0)
    # a path is data: the fit's simulations compile nothing the first one did not
    assert (trace_count("chunk_kernel"), trace_count("macro_paths")) == before
    # one loan of a 6,000-loan book, over 2 scenarios, moves the ratio by about 1e-4
    assert fit.rmse < 2.5e-4, (fit.rmse, fit.path, fit.fitted, target)
    assert np.all(np.abs(fit.path - np.array(true)) < 0.35), fit.path
    base = _ratios(model, book, [0.0, 0.0, 0.0], days=0)[1:]
    assert np.all(target > base + 5e-3)  # the stress moves the series far more than the tolerance
    np.testing.assert_allclose(fit.fitted[1:], _ratios(model, book, list(fit.path), days=0)[1:])
    assert fit.stress()["macro_path"] == [float(z) for z in fit.path]
    assert fit.evaluations >= 4 and np.array_equal(fit.target, target)


def test_months_without_a_figure_are_filled_by_the_smoothness(small):
    model, book = small
    target = [0.03, math.nan, None]
    fit = cs.fit_macro_path(model, book, target, days=0, scenarios=2, seed=5, smoothness=0.5, max_evaluations=20,
                            lead_months=1)
    assert np.isnan(fit.target[1]) and np.isnan(fit.target[2])
    assert abs(fit.fitted[1] - 0.03) < 1e-3
    # one lead month at Z = 0 comes first: the fitted series starts at its end
    assert fit.stress()["macro_path"][0] == 0.0 and fit.lead_months == 1
    np.testing.assert_allclose(fit.fitted, _ratios(model, book, [0.0, *fit.path], days=0)[1:])
    # with nothing to fit in months 2-3 the penalty keeps the path flat after month 1
    assert abs(fit.path[1] - fit.path[0]) < 0.05 and abs(fit.path[2] - fit.path[1]) < 0.05


def test_fit_messages(small):
    model, book = small
    with raises("fit_macro_path: model must be a CreditModel", "str"):
        cs.fit_macro_path("jiebei", book, [0.02])
    with raises("fit_macro_path: target month 2 is", "1.5"):
        cs.fit_macro_path(model, book, [0.02, 1.5])
    with raises("fit_macro_path: target must be a list", "'0.02'"):
        cs.fit_macro_path(model, book, "0.02")
    with raises("fit_macro_path: target has no observed month"):
        cs.fit_macro_path(model, book, [None, math.nan])
    with raises("fit_macro_path: days must be", "-30"):
        cs.fit_macro_path(model, book, [0.02], days=-30)
    with raises("fit_macro_path: smoothness must be", "-1"):
        cs.fit_macro_path(model, book, [0.02], smoothness=-1)
    with raises("fit_macro_path: step must be", "0"):
        cs.fit_macro_path(model, book, [0.02], step=0)
    with raises("fit_macro_path: bounds must be", "(2, 1)"):
        cs.fit_macro_path(model, book, [0.02], bounds=(2, 1))
    with raises("fit_macro_path: start must be 2 numbers", "[9.0, 0.0]"):
        cs.fit_macro_path(model, book, [0.02, 0.02], start=[9.0, 0.0])
    with raises("fit_macro_path: max_evaluations must be", "0"):
        cs.fit_macro_path(model, book, [0.02], max_evaluations=0)
    with raises("fit_macro_path: lead_months must be", "-1"):
        cs.fit_macro_path(model, book, [0.02], lead_months=-1)
    with raises("fit_macro_path: fit without strategies"):
        cs.fit_macro_path(model, book, [0.02], strategies=["in_house"])


def test_ant_2020_series_as_documented():
    """docs/calibration.md: December 2019 1.56%, January 1.76% and May 3.01% published,
    December 2020 an assumption."""
    s = np.array(cs.ANT_2020_30_PLUS)
    assert s.shape == (13,) and s[0] == 0.0156 and s[1] == 0.0176 and s[5] == 0.0301 and s[12] == 0.0156
    assert np.isnan(s[[2, 3, 4, 6, 7, 8, 9, 10, 11]]).all()


def test_living_book_is_steady_in_its_mix_of_terms_and_ages():
    """``jiebei_living_book``: terms in proportion to share · months on the book, months on
    book geometric within the term, states ``JIEBEI_START``, and a plan lending
    ``steady_volume`` loans a month."""
    n = 200_000
    book, plan = presets.jiebei_living_book(n, seed=4)
    t, a = book.terms.term, book.terms.months_on_book
    q = 1 - presets.JIEBEI_PREPAY
    weight = {T: w * sum(q ** k for k in range(T)) for T, w in presets.JIEBEI_TERMS.items()}
    total = sum(weight.values())
    for T, w in weight.items():
        share = np.mean(t == T)
        assert abs(share - w / total) < 5 * math.sqrt(w / total / n)
        ages = a[t == T]
        assert ages.min() == 0 and ages.max() == T - 1
        expected = sum(k * q ** k for k in range(T)) / sum(q ** k for k in range(T))
        assert abs(ages.mean() - expected) < 5 * ages.std() / math.sqrt(ages.size)
    names = book.state_names
    for s, w in presets.JIEBEI_START.items():
        assert abs(np.mean(np.asarray(names)[book.state_codes] == s) - w) < 5 * math.sqrt(w / n) + 1e-12
    assert plan.volumes(3).tolist() == [presets.steady_volume(n)] * 3
    assert presets.steady_volume(n) == round(n / total)
    late = book.days_past_due[np.asarray(names)[book.state_codes] == "dpd_91_180"]
    assert late.min() >= 91 and late.max() <= 180
    with raises("presets.jiebei_living_book: seed", "-1"):
        presets.jiebei_living_book(10, seed=-1)
