"""creditsim: Monte Carlo simulation of small unsecured consumer-loan portfolios."""

from ._version import __version__
from .book import LoanBook
from .compare import compare, recovery_curves
from .io import load_result, save_result
from .macro import conditional_matrix
from .model import BehaviourType, CreditModel, FraudTransfer, IncomeShock, MacroFactor, Segment
from .risk import delinquency_ratios, format_summary, risk_summary
from .scenario import Scenario, ScenarioError, load_scenario
from .schedule import RepaymentMethod
from .simulate import model_from_result, simulate
from .states import DEFAULT_STATES, StateSpace
from .strategy import (
    STRATEGIES,
    AgencyPlacement,
    BureauReport,
    Contact,
    Effect,
    LegalAction,
    Restructure,
    Rule,
    Settlement,
    Strategy,
)
from .stress import STRESS_SCENARIOS, apply_stress
from .sweep import sweep
from .terms import LoanTerms

__all__ = [
    "__version__",
    "StateSpace",
    "DEFAULT_STATES",
    "Segment",
    "BehaviourType",
    "MacroFactor",
    "IncomeShock",
    "FraudTransfer",
    "CreditModel",
    "LoanBook",
    "LoanTerms",
    "RepaymentMethod",
    "simulate",
    "model_from_result",
    "conditional_matrix",
    "risk_summary",
    "format_summary",
    "delinquency_ratios",
    "save_result",
    "load_result",
    "STRESS_SCENARIOS",
    "apply_stress",
    "Strategy",
    "Rule",
    "Effect",
    "Contact",
    "BureauReport",
    "Restructure",
    "Settlement",
    "AgencyPlacement",
    "LegalAction",
    "STRATEGIES",
    "compare",
    "recovery_curves",
    "sweep",
    "Scenario",
    "ScenarioError",
    "load_scenario",
]
