"""Stress scenarios as data: named sets of changes to a model's shocks over months.

A stress scenario is a plain mapping (JSON and TOML ready) with any of these keys:

- ``description``: text;
- ``macro_path``: Z for the first months, the same in every Monte Carlo scenario (after it
  the macro factor goes on as its AR(1));
- ``income_hazard_multiplier``: multiplies the income-shock hazard (needs an
  ``IncomeShock`` in the model);
- ``fraud_wave``: multipliers of the fraud-claim hazard by month (needs a
  ``FraudTransfer`` in the model).

``apply_stress(model, "recession")`` or ``apply_stress(model, {...})`` returns the
stressed model.  The figures of the built-in scenarios are assumptions (docs/defaults.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from .model import CreditModel, FraudTransfer, IncomeShock, MacroFactor, _is_real, _plain

__all__ = ["STRESS_SCENARIOS", "apply_stress"]

STRESS_SCENARIOS: dict[str, dict] = {
    "baseline": {
        "description": "no stress: the model as calibrated",
    },
    "recession": {
        "description": "a deep downturn for a year: Z falls to -2.5 within four months, stays "
                       "below -1.5 for twelve, and income shocks are twice as frequent",
        "macro_path": [-1.0, -1.75, -2.25, -2.5, -2.5, -2.5, -2.25, -2.0, -2.0, -1.75, -1.5, -1.5],
        "income_hazard_multiplier": 2.0,
    },
    "fraud_wave": {
        "description": "an account-takeover wave: fraud claims rise to ten times their rate over "
                       "three months and fade over four more",
        "fraud_wave": [1.0, 1.0, 3.0, 6.0, 10.0, 10.0, 6.0, 3.0, 1.5],
    },
}

_KEYS = {"description", "macro_path", "income_hazard_multiplier", "fraud_wave"}


def apply_stress(model: CreditModel, stress: str | Mapping) -> CreditModel:
    """The model under a stress scenario: a name in ``STRESS_SCENARIOS`` or a mapping with
    the keys listed in this module's docstring."""
    if not isinstance(model, CreditModel):
        raise ValueError(f"apply_stress: model must be a CreditModel, got {type(model).__name__}")
    if isinstance(stress, str):
        if stress not in STRESS_SCENARIOS:
            raise ValueError(f"apply_stress: unknown stress scenario {stress!r}; "
                             f"known: {sorted(STRESS_SCENARIOS)!r}")
        name, spec = stress, STRESS_SCENARIOS[stress]
    elif isinstance(stress, Mapping):
        name, spec = "<mapping>", stress
    else:
        raise ValueError(f"apply_stress: need a scenario name or a mapping, got {type(stress).__name__}")
    unknown = set(spec) - _KEYS
    if unknown:
        raise ValueError(f"apply_stress: scenario {name!r} has unknown keys {sorted(unknown, key=repr)!r}; "
                         f"keys are {sorted(_KEYS)!r}")
    where = f"apply_stress: scenario {name!r}"
    if "description" in spec and not isinstance(spec["description"], str):
        raise ValueError(f"{where}: description must be text, got {spec['description']!r}")
    for key in ("macro_path", "fraud_wave"):
        if key in spec and spec[key] is None:
            raise ValueError(f"{where}: {key} must be a list of numbers, one a month, got None")
    changes = {}
    if "macro_path" in spec:
        try:
            changes["macro"] = MacroFactor(phi=model.macro.phi, path=spec["macro_path"])
        except ValueError as e:
            raise ValueError(f"{where}, macro_path: {e}") from None
    if "income_hazard_multiplier" in spec:
        m = spec["income_hazard_multiplier"]
        if model.income_shock is None:
            raise ValueError(f"apply_stress: scenario {name!r} scales the income-shock hazard, "
                             f"but the model has no IncomeShock")
        if not _is_real(m) or not 0 <= m < math.inf:
            raise ValueError(f"{where}: income_hazard_multiplier must be a finite number >= 0, got "
                             f"{_plain(m)!r}")
        sh = model.income_shock
        changes["income_shock"] = IncomeShock(min(sh.hazard * m, 1.0), sh.mean_months, sh.rho,
                                              sh.report_probability)
    if "fraud_wave" in spec:
        if model.fraud is None:
            raise ValueError(f"apply_stress: scenario {name!r} has a fraud wave, but the model has no "
                             f"FraudTransfer")
        fr = model.fraud
        try:
            changes["fraud"] = FraudTransfer(fr.hazard, fr.review_months, fr.confirm_probability,
                                             fr.police_recovery, fr.review_state, fr.rejected_state,
                                             spec["fraud_wave"])
        except ValueError as e:
            raise ValueError(f"{where}, fraud_wave: {e}") from None
    return model.replace(**changes) if changes else model
