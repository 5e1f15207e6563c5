"""creditsim: Monte Carlo simulation of small unsecured consumer-loan portfolios.

The public names are loaded on first use (``creditsim.simulate`` imports JAX then), so that
``import creditsim`` and the ``creditsim`` command start in a fraction of a second.
"""

from __future__ import annotations

import importlib

from ._version import __version__

#: Each public name and the module that defines it.
_NAMES = {
    "LoanBook": "spec.book",
    "compare": "results.compare", "recovery_curves": "results.compare",
    "load_result": "results.io", "save_result": "results.io",
    "conditional_matrix": "spec.macro",
    "BehaviourType": "spec.model", "CreditModel": "spec.model", "FraudTransfer": "spec.model",
    "IncomeShock": "spec.model", "MacroFactor": "spec.model", "Segment": "spec.model",
    "delinquency_ratios": "results.risk", "risk_summary": "results.risk",
    "risk_contributions": "results.risk", "roll_rates": "results.risk",
    "format_summary": "report.text",
    "write_report": "report.html",
    "Scenario": "spec.scenario", "ScenarioError": "spec.scenario", "load_scenario": "spec.scenario",
    "RepaymentMethod": "spec.schedule",
    "model_from_result": "results.dataset", "simulate": "run.simulation",
    "RunPlan": "run.plan", "LocalExecutor": "run.executors", "DeviceExecutor": "run.executors",
    "DEFAULT_STATES": "spec.states", "StateSpace": "spec.states",
    "STRATEGIES": "spec.strategy", "AgencyPlacement": "spec.strategy", "BureauReport": "spec.strategy",
    "Contact": "spec.strategy", "Effect": "spec.strategy", "LegalAction": "spec.strategy",
    "Restructure": "spec.strategy", "Rule": "spec.strategy", "Settlement": "spec.strategy",
    "Strategy": "spec.strategy",
    "STRESS_SCENARIOS": "spec.stress", "apply_stress": "spec.stress",
    "sweep": "run.sweep", "tail_macro_mean": "run.tail",
    "LoanTerms": "spec.terms",
    "Originations": "spec.originations", "vintage_curves": "results.vintage",
    "Staging": "spec.staging", "provisions": "run.provisions", "ECL_SCENARIOS": "run.provisions",
    "fit_macro_path": "run.calibrate", "MacroPathFit": "run.calibrate", "ANT_2020_30_PLUS": "run.calibrate",
}
#: Modules scripts use by their short name (``from creditsim import presets``).
_MODULES = {"presets": "spec.presets", "plot": "report.plot", "oracles": "testing.oracles",
            "schedule": "spec.schedule"}

__all__ = ["__version__", *_NAMES, *_MODULES]


def __getattr__(name: str):
    if name in _MODULES:
        value = importlib.import_module(f".{_MODULES[name]}", __name__)
    elif name in _NAMES:
        value = getattr(importlib.import_module(f".{_NAMES[name]}", __name__), name)
    else:
        raise AttributeError(f"module 'creditsim' has no attribute {name!r}")
    globals()[name] = value  # loaded once
    return value


def __dir__():
    return sorted(set(globals()) | set(_NAMES) | set(_MODULES))
