"""creditsim: Monte Carlo simulation of small unsecured consumer-loan portfolios.

The public names are loaded on first use (``creditsim.simulate`` imports JAX then), so that
``import creditsim`` and the ``creditsim`` command start in a fraction of a second.
"""

from __future__ import annotations

import importlib
import sys
import types

from ._version import __version__

#: Each public name and the module that defines it.
_NAMES = {
    "LoanBook": "book",
    "compare": "compare", "recovery_curves": "compare",
    "load_result": "io", "save_result": "io",
    "conditional_matrix": "macro",
    "BehaviourType": "model", "CreditModel": "model", "FraudTransfer": "model", "IncomeShock": "model",
    "MacroFactor": "model", "Segment": "model",
    "delinquency_ratios": "risk", "format_summary": "risk", "risk_summary": "risk", "roll_rates": "risk",
    "Scenario": "scenario", "ScenarioError": "scenario", "load_scenario": "scenario",
    "RepaymentMethod": "schedule",
    "model_from_result": "simulate", "simulate": "simulate",
    "DEFAULT_STATES": "states", "StateSpace": "states",
    "STRATEGIES": "strategy", "AgencyPlacement": "strategy", "BureauReport": "strategy", "Contact": "strategy",
    "Effect": "strategy", "LegalAction": "strategy", "Restructure": "strategy", "Rule": "strategy",
    "Settlement": "strategy", "Strategy": "strategy",
    "STRESS_SCENARIOS": "stress", "apply_stress": "stress",
    "sweep": "sweep",
    "LoanTerms": "terms",
}

__all__ = ["__version__", *_NAMES]


def __getattr__(name: str):
    module = _NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'creditsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # loaded once
    return value


def __dir__():
    return sorted(set(globals()) | set(_NAMES))


class _Package(types.ModuleType):
    """The package's module type: importing the submodules ``simulate``, ``compare`` and
    ``sweep`` does not hide the functions of those names (``creditsim.simulate`` stays the
    function; the module is ``sys.modules["creditsim.simulate"]``)."""

    def __setattr__(self, name, value):
        if isinstance(value, types.ModuleType) and _NAMES.get(name) == name:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
