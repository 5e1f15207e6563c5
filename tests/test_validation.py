"""Bad input to the economics and strategy layers: every public constructor and function
rejects it with a ValueError whose message names the field and the bad value."""

import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import creditsim as cs
from creditsim import presets
from creditsim import schedule as sch

NAN, INF = math.nan, math.inf
CASES = []


def shown(v) -> str:
    """How a message shows the bad value: its repr, NumPy scalars as the Python number."""
    return repr(v.item() if isinstance(v, np.generic) else v)


def case(name, make, *parts):
    CASES.append(pytest.param(make, parts, id=name))


def each(name, make, values, field=None):
    """One case per bad value: ``make(value)`` must name ``field`` (default the part of
    ``name`` after its last dot) and show the value."""
    field = field or name.rsplit(".", 1)[-1]
    for v in values:
        case(f"{name}={shown(v)}", lambda v=v: make(v), field, shown(v))


# ------------------------------------------------------------------------- schedule

P, R, T, M = 10_000.0, 0.12, 12, 0
SCHEDULE = {
    "instalment": lambda p=P, r=R, t=T, m=M: sch.instalment(p, r, t, m),
    "balance": lambda p=P, r=R, t=T, m=M, month=1: sch.balance(p, r, t, m, month),
    "payment": lambda p=P, r=R, t=T, m=M, month=1: sch.payment(p, r, t, m, month),
    "schedule": lambda p=P, r=R, t=T, m=M: sch.schedule(p, r, t, m),
}
each("monthly_rate.annual_rate", sch.monthly_rate, [NAN, INF, -0.01, 12.0, "0.1", None, True])
for fn, call in SCHEDULE.items():
    each(f"{fn}.principal", lambda v, c=call: c(p=v), [NAN, INF, -1.0, 0.0, "abc", None, True, np.float64(NAN)])
    each(f"{fn}.annual_rate", lambda v, c=call: c(r=v), [NAN, INF, -0.01, 12.0, "0.1", True])
    each(f"{fn}.term", lambda v, c=call: c(t=v), [0, -1, 6.5, NAN, INF, "12", True, None])
    each(f"{fn}.method", lambda v, c=call: c(m=v), [7, -1, "foo", None, NAN, 1.5, True])
for fn in ("balance", "payment"):
    each(f"{fn}.month", lambda v, c=SCHEDULE[fn]: c(month=v), [NAN, -1, 1.5, INF, "1", True, None])
case("payment.term array", lambda: sch.payment(np.full(5, P), R, np.array([12, 12, 12, 0, 12]), M, 1),
     "schedule.payment: term", "got 0 (loan 3)")
case("balance.principal array", lambda: sch.balance(np.array([P, NAN]), R, T, M, 1),
     "schedule.balance: principal", "got nan (loan 1)")
case("payment.method array", lambda: sch.payment(np.full(3, P), R, T, np.array([0, 1, 7]), 1),
     "schedule.payment: method", "got 7 (loan 2)")
case("payment.method names", lambda: sch.payment(np.full(2, P), R, T, ["equal_principal", "foo"], 1),
     "schedule.payment: method", "got 'foo' (loan 1)")
case("balance.month array", lambda: sch.balance(P, R, T, M, np.array([1, 2, -1])),
     "schedule.balance: month", "got -1 (entry 2)")
case("balance.shapes", lambda: sch.balance(np.full(3, P), R, np.array([12, 6]), M, 1),
     "schedule.balance", "(3,)", "(2,)")
case("schedule.principal array", lambda: sch.schedule(np.full(3, P), R, T, M), "schedule.schedule: principal",
     "(3,)")

# ---------------------------------------------------------------------- model shocks

each("IncomeShock.hazard", lambda v: cs.IncomeShock(hazard=v),
     [NAN, INF, -1, 1.5, "0.1", None, True, np.float64(NAN)])
each("IncomeShock.mean_months", lambda v: cs.IncomeShock(mean_months=v), [NAN, INF, 0.5, -1, "6", True, None])
each("IncomeShock.rho", lambda v: cs.IncomeShock(rho=v), [NAN, 1.0, -0.1, True])
each("IncomeShock.report_probability", lambda v: cs.IncomeShock(report_probability=v), [NAN, 2.0, "x"])

each("FraudTransfer.hazard", lambda v: cs.FraudTransfer(hazard=v), [NAN, INF, -1, "x", True, np.float64(NAN)])
each("FraudTransfer.review_months", lambda v: cs.FraudTransfer(review_months=v), [0, 4, NAN, 2.0, True, "2", None])
each("FraudTransfer.confirm_probability", lambda v: cs.FraudTransfer(confirm_probability=v), [NAN, 1.5, -1, None])
each("FraudTransfer.police_recovery", lambda v: cs.FraudTransfer(police_recovery=v), [NAN, INF, -0.1, "0.1"])
each("FraudTransfer.review_state", lambda v: cs.FraudTransfer(review_state=v), [5, "", None])
each("FraudTransfer.rejected_state", lambda v: cs.FraudTransfer(rejected_state=v), [5, ""])
each("FraudTransfer.wave", lambda v: cs.FraudTransfer(wave=v), ["abc", [True], [], [[1.0]], ["1.0"], 5])
case("FraudTransfer.wave=[nan]", lambda: cs.FraudTransfer(wave=[1.0, NAN]), "FraudTransfer.wave", "month 2", "nan")
case("FraudTransfer.wave=[inf]", lambda: cs.FraudTransfer(wave=[INF]), "FraudTransfer.wave", "month 1", "inf")
case("FraudTransfer.wave=[-1]", lambda: cs.FraudTransfer(wave=[-1.0]), "FraudTransfer.wave", "month 1", "-1.0")

each("MacroFactor.phi", lambda v: cs.MacroFactor(phi=v), [NAN, INF, 1.0, -1.0, "0.5", True, None, np.float64(NAN)])
each("MacroFactor.path", lambda v: cs.MacroFactor(path=v), ["abc", [], [[1.0]], [True], ["1.0"], [None], 5])
case("MacroFactor.path=[nan]", lambda: cs.MacroFactor(path=[0.0, NAN]), "MacroFactor.path", "month 2", "nan")
case("MacroFactor.path=[inf]", lambda: cs.MacroFactor(path=[-INF]), "MacroFactor.path", "month 1", "-inf")

SEGMENT = cs.Segment("A", [[0.9, 0.1], [0.0, 1.0]])
STATES = cs.StateSpace(["current", "charged_off"])


def model(**kw):
    return cs.CreditModel(states=STATES, segments=[SEGMENT], **kw)


each("CreditModel.charge_off_dpd", lambda v: model(charge_off_dpd=v), [0, -1, 1.5, NAN, INF, "180", True])
each("CreditModel.penalty_multiple", lambda v: model(penalty_multiple=v),
     [NAN, INF, -1, 11, "1.5", True, None, np.float64(NAN)])
each("CreditModel.cost_of_funds", lambda v: model(cost_of_funds=v), [NAN, INF, -1, 2.0, "x", None, np.float64(INF)])

# -------------------------------------------------------------------- terms and book


def terms(**kw):
    args = {"principal": [P], "annual_rate": R, "term": T, **kw}
    return cs.LoanTerms(**args)


each("LoanTerms.principal", lambda v: terms(principal=[v]), [NAN, INF, -1.0, 0.0, "100", True, None])
each("LoanTerms.principal", lambda v: terms(principal=v), ["abc", [], None], field="principal")
each("LoanTerms.annual_rate", lambda v: terms(annual_rate=[v]), [NAN, INF, -0.1, 12.0, "0.1", True])
each("LoanTerms.annual_rate", lambda v: terms(annual_rate=v), [None, "x"], field="annual_rate")
each("LoanTerms.term", lambda v: terms(term=[v]), [NAN, INF, 0, 6.5, "6", True, None])
each("LoanTerms.method", lambda v: terms(method=v), [7, -1, "foo", None, NAN, 1.5, True])
each("LoanTerms.months_on_book", lambda v: terms(months_on_book=[v]), [NAN, -1, 13, 0.5, "0", True])


def book(exposure=(100.0,), segment=("A",), state=("current",)):
    return cs.LoanBook(list(segment), list(state), list(exposure) if isinstance(exposure, tuple) else exposure)


each("LoanBook.exposure", lambda v: book(exposure=(v,)), [NAN, INF, -1.0, "abc", True, None])
each("LoanBook.exposure", lambda v: book(exposure=v), ["abc", True], field="exposure")
case("LoanBook.segment=[]", lambda: cs.LoanBook([], [], []), "LoanBook.segment", "[]")
each("LoanBook.segment", lambda v: book(segment=(v,)), [None, 5, NAN])
each("LoanBook.state", lambda v: book(state=(v,)), [None, NAN])
case("LoanBook.terms", lambda: cs.LoanBook(["A"], ["current"], [1.0], terms="x"), "LoanBook.terms", "str")
each("LoanBook.days_past_due", lambda v: cs.LoanBook(["A", "A"], ["current", "dpd_1_30"], [1.0, 1.0],
                                                      days_past_due=[0, v]), [NAN, -1, 1.5, "5", True, None, INF])
case("LoanBook.days_past_due shape", lambda: cs.LoanBook(["A"], ["current"], [1.0], days_past_due=[0, 0]),
     "LoanBook.days_past_due", "one value per loan (1)", "(2,)")
case("LoanBook.days_past_due range", lambda: cs.simulate(
    presets.jiebei_model(), cs.LoanBook(["A", "B", "C"], ["current", "dpd_91_180", "dpd_91_180"], [1.0] * 3,
                                        days_past_due=[0, 120, 60]), horizon=2, scenarios=1, seed=0),
     "LoanBook.days_past_due", "loan 2 is 60 days past due", "'dpd_91_180'", "91-180")
case("LoanBook.days_past_due not past due", lambda: cs.simulate(
    presets.jiebei_model(), cs.LoanBook(["A"], ["current"], [1.0], days_past_due=[3]), horizon=2, scenarios=1, seed=0),
     "LoanBook.days_past_due", "loan 0 is 3 days past due", "'current'", "0 (not past due)")
each("LoanBook.homogeneous.n", lambda v: cs.LoanBook.homogeneous(v, segment="A"), [NAN, 0, -1, 1.5, "5", True])
each("LoanBook.homogeneous.segment", lambda v: cs.LoanBook.homogeneous(3, segment=v), [None, "", 5])
each("LoanBook.homogeneous.state", lambda v: cs.LoanBook.homogeneous(3, segment="A", state=v), [None, ""])
each("LoanBook.homogeneous.exposure", lambda v: cs.LoanBook.homogeneous(3, segment="A", exposure=v),
     [NAN, INF, -1.0, "abc", True, None])


def synthetic(**kw):
    return cs.LoanBook.synthetic(5, **{"segments": ["A"], **kw})


each("LoanBook.synthetic.n", lambda v: cs.LoanBook.synthetic(v, segments=["A"]), [NAN, 0, -1, 1.5, "5", True])
each("LoanBook.synthetic.segments", lambda v: synthetic(segments=v), [5, None, True])
case("LoanBook.synthetic.segments=[]", lambda: synthetic(segments=[]), "segments", "empty")
each("LoanBook.synthetic.segments", lambda v: synthetic(segments={"A": v}), [NAN, INF, -1.0, "x", True, None])
each("LoanBook.synthetic.segments", lambda v: synthetic(segments=[v]), [5, None, ""])
each("LoanBook.synthetic.states", lambda v: synthetic(states={"current": v}), [NAN, -1.0, "x"])
each("LoanBook.synthetic.states", lambda v: synthetic(states=v), [5, True])
each("LoanBook.synthetic.exposure_median", lambda v: synthetic(exposure_median=v), [NAN, INF, -1.0, 0, "x", None, True])
each("LoanBook.synthetic.exposure_sigma", lambda v: synthetic(exposure_sigma=v), [NAN, INF, -1.0, "x", None])
each("LoanBook.synthetic.exposure_range", lambda v: synthetic(exposure_range=v),
     [(NAN, 1.0), (1.0, INF), (5.0,), "ab", None, (10.0, 1.0), (-1.0, 5.0), ("1", "5")])
each("LoanBook.synthetic.seed", lambda v: synthetic(seed=v), [NAN, -1, 1.5, True, "0", None])
case("LoanBook.from_dataframe.exposure",
     lambda: cs.LoanBook.from_dataframe(pd.DataFrame({"segment": ["A", "A"], "state": ["current"] * 2,
                                                      "exposure": ["1.0", "x"]})), "LoanBook.exposure", "'1.0'")
case("LoanBook.from_dataframe.term",
     lambda: cs.LoanBook.from_dataframe(pd.DataFrame({"segment": ["A"], "state": ["current"], "principal": [P],
                                                      "annual_rate": [R], "term": ["x"]})), "LoanTerms.term", "'x'")

# ---------------------------------------------------------------------- strategy

each("Effect.cure", lambda v: cs.Effect(cure=v), [NAN, INF, -1, "1", True, None, np.float64(NAN), 1e7])
each("Effect.back", lambda v: cs.Effect(back=v), [NAN, -1])
each("Effect.forward", lambda v: cs.Effect(forward=v), [INF, "x"])
each("Contact.name", lambda v: cs.Contact(name=v), ["", None, 5, "none"], field="name")
each("Contact.cost", lambda v: cs.Contact(name="a", cost=v), [NAN, INF, -1, "1", True, None, np.float64(INF)])
each("Contact.contacts", lambda v: cs.Contact(name="a", contacts=v), [NAN, -1, 1.5, True, "1", 1001, None])
each("Contact.complaint", lambda v: cs.Contact(name="a", complaint=v), [NAN, 2, -1, "x"])
each("Contact.effect", lambda v: cs.Contact(name="a", effect=v), [5, "x"])
case("Contact.effect key", lambda: cs.Contact(name="a", effect={"": cs.Effect()}), "effect", "''")
case("Contact.effect value", lambda: cs.Contact(name="a", effect={"*": {"cure": NAN}}), "effect['*']", "cure",
     "nan")
case("Contact.effect mixed keys", lambda: cs.Contact(name="a", effect={"*": {1: 2, "a": 3}}), "effect['*']",
     "unknown effect fields", "'a'")
each("BureauReport.cost", lambda v: cs.BureauReport(name="b", cost=v), [NAN, -1])
each("BureauReport.complaint", lambda v: cs.BureauReport(name="b", complaint=v), [INF])
each("Restructure.extend_months", lambda v: cs.Restructure(name="r", extend_months=v), [NAN, -1, 121, 1.5, True, "3"])
each("Restructure.defer_months", lambda v: cs.Restructure(name="r", defer_months=v), [NAN, -1, 25, None])
each("Settlement.fraction", lambda v: cs.Settlement(name="s", fraction=v), [NAN, INF, -1, 2, "x", True])
each("Settlement.accept", lambda v: cs.Settlement(name="s", accept=v), [NAN, INF, -1, 2, "x", True],
     field="accept['*']")
each("Settlement.accept", lambda v: cs.Settlement(name="s", accept={"strategic": v}), [NAN, 1.5],
     field="accept['strategic']")
each("Settlement.accept", lambda v: cs.Settlement(name="s", accept={v: 0.1}), [5, ""], field="accept")
each("AgencyPlacement.commission", lambda v: cs.AgencyPlacement(name="g", commission=v), [NAN, -1, 1.5])
each("AgencyPlacement.recovery_fraction", lambda v: cs.AgencyPlacement(name="g", recovery_fraction=v), [NAN, INF])
each("AgencyPlacement.hazard", lambda v: cs.AgencyPlacement(name="g", hazard=v), [NAN, "x"], field="hazard['*']")
each("AgencyPlacement.hazard", lambda v: cs.AgencyPlacement(name="g", hazard={"strategic": v}), [2],
     field="hazard['strategic']")
each("AgencyPlacement.recall_on_cure", lambda v: cs.AgencyPlacement(name="g", recall_on_cure=v), ["yes", 1, None])
each("AgencyPlacement.placement_months", lambda v: cs.AgencyPlacement(name="g", placement_months=v),
     [0, NAN, 1.5, True, "3"])
each("AgencyPlacement.cost", lambda v: cs.AgencyPlacement(name="g", cost=v), [NAN])
each("LegalAction.months", lambda v: cs.LegalAction(name="l", months=v), [NAN, 0, 121, 1.5, True])
each("LegalAction.success", lambda v: cs.LegalAction(name="l", success=v), [NAN, -1], field="success['*']")
each("LegalAction.success", lambda v: cs.LegalAction(name="l", success={"*": v}), [INF], field="success['*']")
each("LegalAction.recovery_fraction", lambda v: cs.LegalAction(name="l", recovery_fraction=v), [NAN, 2])
each("LegalAction.cost", lambda v: cs.LegalAction(name="l", cost=v), [NAN, -1])

each("Rule.action", lambda v: cs.Rule(v), ["", None, 5])
each("Rule.min_days", lambda v: cs.Rule("a", min_days=v), [NAN, -1, 1.5, True, "1", INF, None])
each("Rule.max_days", lambda v: cs.Rule("a", max_days=v), [NAN, -1, True, 1.5])
each("Rule.min_balance", lambda v: cs.Rule("a", min_balance=v), [NAN, INF, -1, "x", True, None])
each("Rule.max_balance", lambda v: cs.Rule("a", max_balance=v), [NAN, INF, -1])
each("Rule.min_months_since_action", lambda v: cs.Rule("a", min_months_since_action=v), [NAN, -1, True, 1.5])
each("Rule.segments", lambda v: cs.Rule("a", segments=v), ["A", [5], 5, [], [""], True])
each("Rule.states", lambda v: cs.Rule("a", states=v), ["current", [None], 5, []])
each("Rule.hardship", lambda v: cs.Rule("a", hardship=v), ["yes", 1])
each("Rule.fraud_claim", lambda v: cs.Rule("a", fraud_claim=v), ["no", 0])

SMS = cs.Contact(name="sms", contacts=1)
each("Strategy.name", lambda v: cs.Strategy(v), ["", None, 5], field="name")
each("Strategy.actions", lambda v: cs.Strategy("x", actions=v), [5, None, "abc", SMS])
each("Strategy.actions", lambda v: cs.Strategy("x", actions=[SMS, v]), [5, None, "sms", cs.Rule("sms")],
     field="actions")
each("Strategy.rules", lambda v: cs.Strategy("x", actions=[SMS], rules=v), [5, None, "abc", cs.Rule("sms")])
each("Strategy.rules", lambda v: cs.Strategy("x", actions=[SMS], rules=[v]), [5, None, SMS], field="rules")
each("Strategy.max_contacts", lambda v: cs.Strategy("x", max_contacts=v), [NAN, -1, 1.5, True, "3", None, 1001])
each("Strategy.complaint_cost", lambda v: cs.Strategy("x", complaint_cost=v), [NAN, INF, -1, "x", True, None])

# -------------------------------------------------------------- simulate and after

JIEBEI = presets.jiebei_model()
JBOOK = presets.jiebei_book(20, seed=0)


def run(**kw):
    return cs.simulate(JIEBEI, JBOOK, **{"horizon": 2, "scenarios": 2, "seed": 0, **kw})


each("simulate.strategies", lambda v: run(strategies=v), [42, 3.5, True, NAN])
case("simulate.strategies element", lambda: run(strategies=[cs.Strategy("a"), 5]), "strategies[1]", "5")
case("simulate.strategies None element", lambda: run(strategies=["in_house", None]), "strategies[1]", "None")
case("schedule.to_fen nan", lambda: sch.to_fen([1.0, NAN]), "schedule.to_fen", "nan")
case("schedule.to_fen inf", lambda: sch.to_fen(INF), "schedule.to_fen", "inf")
case("schedule.to_fen too large", lambda: sch.to_fen(1e17), "schedule.to_fen", "1e+17")
case("simulate.strategies dict", lambda: run(strategies=[{"name": "x", "bogus": 1}]), "Strategy 'x'", "'bogus'")
case("Strategy.from_dict action field", lambda: cs.Strategy.from_dict(
    {"name": "x", "actions": [{"kind": "contact", "name": "sms", "price": 1}]}), "action 'sms' (contact)", "'price'")
case("Strategy.from_dict rule field", lambda: cs.Strategy.from_dict(
    {"name": "x", "actions": [{"kind": "contact", "name": "sms"}], "rules": [{"action": "sms", "min_dpd": 1}]}),
    "Strategy 'x': rule 0", "'min_dpd'")
case("simulate.strategies empty", lambda: run(strategies=[]), "strategies", "empty")
case("simulate.strategies preset", lambda: run(strategies="nope"), "unknown preset", "'nope'")


def sweep(**kw):
    args = {"grid": {"agency.min_days": [61, 91]}, "horizon": 2, "scenarios": 2, "seed": 0, **kw}
    return cs.sweep(JIEBEI, JBOOK, "agency_at_90", **args)


each("sweep.grid", lambda v: sweep(grid=v), [{}, 5, None, []], field="grid")
each("sweep.grid", lambda v: sweep(grid={"agency.min_days": v}), [5, [], "91", None], field="grid['agency.min_days']")
each("sweep.grid", lambda v: sweep(grid={"agency.min_days": [61, v]}), [NAN, INF, -1, 1.5, "91"],
     field="grid['agency.min_days']")
each("sweep.grid", lambda v: sweep(grid={"agency.commission": [0.2, v]}), [NAN, INF, -1.0],
     field="grid['agency.commission']")
case("sweep.grid key", lambda: sweep(grid={"agency": [1]}), "sweep", "'agency'")
each("sweep.objective", lambda v: sweep(objective=v), ["foo", None, 5])
each("sweep.complaint_budget", lambda v: sweep(complaint_budget=v), [NAN, -1, "x", True, INF])
each("sweep.confidence", lambda v: sweep(confidence=v), [NAN, 0, 1, INF, -1, "x", True, None])

DS_STRATEGIES = xr.Dataset({"npv": (("strategy", "scenario"), np.zeros((2, 4)))}, coords={"strategy": ["a", "b"]})
each("compare.confidence", lambda v: cs.compare(DS_STRATEGIES, confidence=v),
     [NAN, 0, 1.0, INF, -0.5, "x", True, None, np.float64(NAN)])
each("compare.baseline", lambda v: cs.compare(DS_STRATEGIES, v), [5, "c"], field="baseline")

DS_LOSS = xr.Dataset({"loss": ("scenario", np.arange(20.0))})
each("risk_summary.levels", lambda v: cs.risk_summary(DS_LOSS, v), [NAN, "0.9", None, INF, -1, 1.0, True])
each("risk_summary.levels", lambda v: cs.risk_summary(DS_LOSS, [0.9, v]), [NAN, 0, INF, True, "0.9", None],
     field="levels[1]")
case("risk_summary.levels empty", lambda: cs.risk_summary(DS_LOSS, []), "levels", "[]")
case("risk_summary.levels 2-D", lambda: cs.risk_summary(DS_LOSS, [[0.9]]), "levels", "[[0.9]]")
each("risk_summary.confidence", lambda v: cs.risk_summary(DS_LOSS, confidence=v), [NAN, 0, 1, INF, "x", True, None])

DS_BALANCE = xr.Dataset({"balance": (("scenario", "month", "segment", "state"), np.zeros((1, 1, 1, 2)))})
each("delinquency_ratios.days", lambda v: cs.delinquency_ratios(DS_BALANCE, v), [30.5, NAN, INF, -1, "30", True, None])
each("delinquency_ratios.days", lambda v: cs.delinquency_ratios(DS_BALANCE, [30, v]), [30.5, NAN, INF, -1, "30", True],
     field="days[1]")
case("delinquency_ratios.days empty", lambda: cs.delinquency_ratios(DS_BALANCE, []), "days", "[]")
DS_MOVES = xr.Dataset({"transitions": (("scenario", "segment", "state", "to_state"), np.ones((1, 1, 2, 2)))},
                      coords={"segment": ["A"], "state": ["a", "b"], "to_state": ["a", "b"]})
each("roll_rates.segment", lambda v: cs.roll_rates(DS_MOVES, v), ["B", 5, True])
case("roll_rates without transitions", lambda: cs.roll_rates(DS_LOSS), "roll_rates", "'transitions'")
each("delinquency_ratios.steady_state", lambda v: cs.delinquency_ratios(DS_BALANCE, steady_state=v), ["yes", 1, None])

# -------------------------------------------------------------------------- stress


def stress(key, value):
    return cs.apply_stress(JIEBEI, {key: value})


each("apply_stress.income_hazard_multiplier", lambda v: stress("income_hazard_multiplier", v),
     [NAN, INF, -1, "2", True, None, np.float64(NAN)])
each("apply_stress.macro_path", lambda v: stress("macro_path", v), ["abc", 5, None, [True], []])
case("apply_stress.macro_path=[nan]", lambda: stress("macro_path", [-1.0, NAN]), "'<mapping>'", "macro_path", "nan")
case("apply_stress.macro_path=[inf]", lambda: stress("macro_path", [INF]), "'<mapping>'", "macro_path", "inf")
each("apply_stress.fraud_wave", lambda v: stress("fraud_wave", v), ["abc", 5, None, [True], []])
case("apply_stress.fraud_wave=[nan]", lambda: stress("fraud_wave", [NAN]), "'<mapping>'", "fraud_wave", "nan")
case("apply_stress.fraud_wave=[-1]", lambda: stress("fraud_wave", [1.0, -1.0]), "'<mapping>'", "fraud_wave", "-1.0")
each("apply_stress.description", lambda v: stress("description", v), [5, None, ["x"]])
case("apply_stress.model", lambda: cs.apply_stress(None, "recession"), "apply_stress", "model", "NoneType")
case("apply_stress.keys", lambda: cs.apply_stress(JIEBEI, {5: 1, "z": 2}), "unknown keys", "5", "'z'")
case("apply_stress.names the scenario", lambda: stress("income_hazard_multiplier", NAN), "'<mapping>'",
     "income_hazard_multiplier")


@pytest.mark.parametrize(("make", "parts"), CASES)
def test_bad_input_is_a_value_error_naming_the_field_and_the_value(make, parts):
    with pytest.raises(ValueError) as e:
        make()
    for p in parts:
        assert p in str(e.value), (p, str(e.value))


def test_no_bad_input_raises_anything_but_a_value_error():
    wrong = []
    for p in CASES:
        make = p.values[0]
        try:
            make()
        except ValueError:
            pass
        except Exception as e:  # noqa: BLE001 - the point is to list them all
            wrong.append(f"{p.id}: {type(e).__name__}: {e}")
        else:
            wrong.append(f"{p.id}: accepted")
    assert not wrong, "\n".join(wrong)


def test_good_input_still_builds():
    """The checks do not reject what is valid: NumPy numbers, codes, names and arrays."""
    assert cs.IncomeShock(hazard=np.float64(0.1), mean_months=np.int64(3)).mean_months == 3.0
    assert cs.FraudTransfer(review_months=np.int64(2), wave=np.array([1, 2])).wave.tolist() == [1.0, 2.0]
    assert cs.MacroFactor(np.float32(0.5), path=np.array([-1, 0])).path.tolist() == [-1.0, 0.0]
    m = model(charge_off_dpd=np.int64(90), penalty_multiple=np.float64(1.0), cost_of_funds=0)
    assert m.charge_off_dpd == 90
    t = cs.LoanTerms(np.array([P, P], dtype=object), [R, 0.0], np.array([3, 6], dtype=np.int16),
                     method=["equal_principal", cs.RepaymentMethod.INTEREST_FIRST], months_on_book=np.int64(1))
    assert t.method.tolist() == [1, 2]
    assert sch.instalment(P, R, T, "等额本金") == pytest.approx(933.3333333)
    assert sch.payment(P, R, T, np.int8(2), np.array([0, 1, 12, 13]))[0].tolist() == [0.0, 100.0, 10_100.0, 0.0]
    assert sch.balance(np.full(2, P), np.float32(R), [12, 6], [0, 1], 6)[1] == 0.0
    assert len(sch.schedule(P, np.float64(R), np.int64(3), cs.RepaymentMethod.EQUAL_PRINCIPAL)) == 3
    assert sch.monthly_rate([0.12, 0.0]).tolist() == [0.01, 0.0]
    assert cs.Effect(cure=np.float64(2.0)).cure == 2.0
    assert cs.Rule("a", hardship=np.bool_(True), segments=np.array(["A"])).hardship is True
    assert cs.Strategy("none").actions == ()
    assert cs.LoanBook.synthetic(5, segments={"A": np.float64(1.0)}, exposure_median=np.int64(5000)).total_exposure > 0
    assert cs.delinquency_ratios.__name__  # days are checked before the result is read
    assert cs.apply_stress(JIEBEI, {"income_hazard_multiplier": np.int64(2),
                                    "description": "x"}).income_shock.hazard == pytest.approx(0.008)


def test_decimal_amounts_are_numbers():
    """Money columns read from Parquet (decimal128) or typed by hand come as Decimal."""
    from decimal import Decimal

    assert cs.LoanBook(["s"], ["current"], [Decimal("100.50")]).exposure[0] == 100.5
    assert cs.LoanTerms([Decimal("1000")], Decimal("0.1"), 12).principal[0] == 1000.0
