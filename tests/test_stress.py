"""Stress scenarios as data."""

import json

import numpy as np
import pytest

import creditsim as cs
from creditsim import FraudTransfer, IncomeShock, presets
from helpers import no_fraud_rows, raises


def _model():
    segs = [cs.Segment(s.name, no_fraud_rows(s.matrix), rho=s.rho) for s in presets.demo_model().segments]
    return cs.CreditModel(segments=segs, macro=cs.MacroFactor(0.9),
                          income_shock=IncomeShock(hazard=0.01), fraud=FraudTransfer(hazard=5e-5))


def test_scenarios_are_plain_data():
    json.dumps(cs.STRESS_SCENARIOS)  # JSON (and so TOML) ready
    assert {"baseline", "recession", "fraud_wave"} <= set(cs.STRESS_SCENARIOS)


def test_apply_changes_what_the_scenario_names():
    m = _model()
    r = cs.apply_stress(m, "recession")
    np.testing.assert_array_equal(r.macro.path, cs.STRESS_SCENARIOS["recession"]["macro_path"])
    assert r.macro.phi == m.macro.phi
    assert r.income_shock.hazard == pytest.approx(0.02)
    w = cs.apply_stress(m, "fraud_wave")
    assert w.fraud.hazards(6)[4] == pytest.approx(5e-4)
    assert cs.apply_stress(m, "baseline") is m


def test_errors_name_the_problem():
    with raises("unknown stress scenario 'depression'", "recession"):
        cs.apply_stress(_model(), "depression")
    with raises("unknown keys ['z_path']"):
        cs.apply_stress(_model(), {"z_path": [-1.0]})
    with raises("fraud wave", "no FraudTransfer"):
        cs.apply_stress(presets.demo_model(), "fraud_wave")
    with raises("income-shock hazard", "no IncomeShock"):
        cs.apply_stress(presets.demo_model(), "recession")


def test_stress_raises_the_losses_it_should():
    """Paired on the same seed: the recession raises credit loss in every scenario; the
    fraud wave raises expected fraud loss."""
    m = _model()
    book = presets.demo_book(20_000, seed=1)
    run = {"horizon": 12, "scenarios": 8, "seed": 4}
    base = cs.simulate(m, book, **run)
    rec = cs.simulate(cs.apply_stress(m, "recession"), book, **run)
    wave = cs.simulate(cs.apply_stress(m, "fraud_wave"), book, **run)
    assert np.all(rec.loss.values > base.loss.values)
    assert float(wave.fraud_loss.sum()) > 2 * float(base.fraud_loss.sum())
