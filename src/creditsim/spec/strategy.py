"""Collection and restructuring strategies: actions, the rules that choose them, and the
compliance caps the engine enforces.  Plain frozen objects, validated once.

A ``Strategy`` is an ordered list of ``Rule`` s over what the lender observes
(state, days past due, balance, segment, reported hardship, a rejected fraud claim, months
since the last action)
and the ``Action`` s they name.  Each month every loan that is open to collection gets
the action of the first rule it matches (or none).  Actions are data:

- ``Contact`` (SMS or app reminder, phone call, written demand) changes the odds of
  the loan's next move for the month it is used;
- ``BureauReport`` flags the loan once and for good: the odds change from then on;
- ``Restructure`` (term extension, instalment plan, interest-free deferral) moves the
  loan to ``restructured`` with its arrears in a new schedule;
- ``Settlement`` offers to close the debt for a fraction of it;
- ``AgencyPlacement`` hands the loan to a collection agency (案件移交), which collects
  overdue debt for a commission, before and after charge-off, and gives back an account
  that cures (or at the end of a placement term);
- ``LegalAction`` files a claim: a fee, months to judgment, and then a recovery with a
  probability that depends on the borrower's type.

Effects on the transition odds are per behaviour type (``Effect``): multipliers on the
odds of a delinquent loan's *cure* (to a state not past due, or paid off), *roll back* (to
a state fewer months past due) and *roll forward* (more months past due, or charge-off),
the row renormalised (see docs/strategies.md).  The figures of the presets are assumptions,
documented in docs/defaults.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

import numpy as np

__all__ = ["Effect", "Action", "Contact", "BureauReport", "Restructure", "Settlement", "AgencyPlacement",
           "LegalAction", "Rule", "Strategy", "STRATEGIES", "strategy"]


def _num(owner: str, name: str, v, lo: float = 0.0, hi: float = math.inf) -> float:
    if isinstance(v, (np.integer, np.floating)):
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not lo <= v <= hi:
        rng = f"in [{lo:g}, {hi:g}]" if math.isfinite(hi) else f">= {lo:g}"
        raise ValueError(f"{owner}{': ' + name if name else ''} must be a number {rng}, got {v!r}")
    return float(v)


def _whole(owner: str, name: str, v, lo: int = 0, hi: int = 2**20) -> int:
    if isinstance(v, np.integer):
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise ValueError(f"{owner}: {name} must be a whole number in [{lo}, {hi}], got {v!r}")
    return int(v)


def _by_type(owner: str, name: str, v, make, default) -> dict:
    """A ``{behaviour type: value}`` mapping; the key ``"*"`` is every other type (and loans
    of segments without types)."""
    if v is None:
        v = {}
    if not isinstance(v, Mapping):
        v = {"*": v}
    out = {}
    for k, x in v.items():
        if not isinstance(k, str) or not k:
            raise ValueError(f"{owner}: {name} keys must be behaviour type names (or '*'), got {k!r}")
        out[k] = make(f"{owner}: {name}[{k!r}]", x)
    out.setdefault("*", default)
    return out


@dataclass(frozen=True)
class Effect:
    """Odds multipliers on a delinquent loan's next move: ``cure`` (to a state not past due,
    or paid off), ``back`` (fewer months past due), ``forward`` (more, or charge-off).
    Each >= 0; 1 changes nothing."""

    cure: float = 1.0
    back: float = 1.0
    forward: float = 1.0

    def __post_init__(self):
        for f in ("cure", "back", "forward"):
            object.__setattr__(self, f, _num("Effect", f, getattr(self, f), 0.0, 1e6))

    @classmethod
    def of(cls, owner: str, v) -> Effect:
        if isinstance(v, Effect):
            return v
        if isinstance(v, Mapping):
            unknown = set(v) - {"cure", "back", "forward"}
            if unknown:
                raise ValueError(f"{owner}: unknown effect fields {sorted(unknown, key=repr)!r}; use cure, back, "
                                 f"forward")
            try:
                return cls(**v)
            except ValueError as e:
                raise ValueError(f"{owner}: {e}") from None
        raise ValueError(f"{owner}: an effect must be an Effect or a mapping of cure/back/forward, got {v!r}")

    def to_dict(self) -> dict:
        return {"cure": self.cure, "back": self.back, "forward": self.forward}


NO_EFFECT = Effect()


@dataclass(frozen=True, kw_only=True)
class Action:
    """What every action has.

    Parameters
    ----------
    name
        Unique within a strategy.
    cost
        Yuan per use (a placement or filing: once), default 0.
    contacts
        Contacts with the borrower in a month the action is used (for the strategy's
        ``max_contacts`` cap), default 0.
    complaint
        Probability that a use draws a regulator complaint, in [0, 1], default 0.
    effect
        ``Effect`` (or mapping) by behaviour type name, ``"*"`` for the rest; a single
        Effect applies to every type.  Default no effect.
    """

    name: str
    cost: float = 0.0
    contacts: int = 0
    complaint: float = 0.0
    effect: Mapping[str, Effect] = field(default_factory=dict)

    kind = "action"

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name or self.name == "none":
            raise ValueError(f"{type(self).__name__}.name: must be a non-empty string other than 'none', "
                             f"got {self.name!r}")
        owner = f"{type(self).__name__} {self.name!r}"
        object.__setattr__(self, "cost", _num(owner, "cost", self.cost))
        object.__setattr__(self, "contacts", _whole(owner, "contacts", self.contacts, 0, 1000))
        object.__setattr__(self, "complaint", _num(owner, "complaint", self.complaint, 0.0, 1.0))
        object.__setattr__(self, "effect", _by_type(owner, "effect", self.effect, Effect.of, NO_EFFECT))
        self._check(owner)

    def _check(self, owner: str) -> None:
        pass

    def _share(self, owner: str, name: str) -> None:
        """Validate field ``name`` as a number in [0, 1]."""
        object.__setattr__(self, name, _num(owner, name, getattr(self, name), 0.0, 1.0))

    def _probabilities(self, owner: str, name: str) -> None:
        """Validate field ``name`` as probabilities by behaviour type (``"*"``: 0 if absent)."""
        object.__setattr__(self, name, _by_type(owner, name, getattr(self, name),
                                                lambda o, x: _num(o, "", x, 0.0, 1.0), 0.0))

    def effect_for(self, type_name: str) -> Effect:
        return self.effect.get(type_name, self.effect["*"])

    def to_dict(self) -> dict:
        d = {"kind": self.kind}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "effect":
                v = {k: e.to_dict() for k, e in v.items()}
            elif isinstance(v, Mapping):
                v = dict(v)
            d[f.name] = v
        return d


@dataclass(frozen=True, kw_only=True)
class Contact(Action):
    """A reminder, call or written demand: its ``effect`` acts in the month it is used."""

    kind = "contact"


@dataclass(frozen=True, kw_only=True)
class BureauReport(Action):
    """Reporting the loan to the credit bureau: done once per loan, never undone; its
    ``effect`` acts from the month of the report on, every month the loan is delinquent
    (combined with that month's action)."""

    kind = "bureau"


@dataclass(frozen=True, kw_only=True)
class Restructure(Action):
    """A new schedule: the loan goes to ``restructured`` (months past due 0); its overdue
    principal joins the principal not yet due, its overdue interest and penalty are waived
    (reported as interest forgone), ``extend_months`` instalments are added to the term,
    and for ``defer_months`` nothing falls due, no interest accrues (forgone too) and the
    loan does not move: it cannot roll while the deferral lasts."""

    extend_months: int = 0
    defer_months: int = 0

    kind = "restructure"

    def _check(self, owner):
        object.__setattr__(self, "extend_months", _whole(owner, "extend_months", self.extend_months, 0, 120))
        object.__setattr__(self, "defer_months", _whole(owner, "defer_months", self.defer_months, 0, 24))


@dataclass(frozen=True, kw_only=True)
class Settlement(Action):
    """An offer to close the debt for ``fraction`` of what is owed (principal plus arrears):
    accepted with probability ``accept`` by type (``"*"`` for the rest), the loan then goes
    to ``paid_off`` and the rest is written off (reported as ``debt_forgiven``)."""

    fraction: float = 0.6
    accept: Mapping[str, float] = field(default_factory=lambda: {"*": 0.1})

    kind = "settlement"

    def _check(self, owner):
        self._share(owner, "fraction")
        self._probabilities(owner, "accept")


@dataclass(frozen=True, kw_only=True)
class AgencyPlacement(Action):
    """Transfer of the account to a collection agency (案件移交).  While the agency holds an
    open loan its ``effect`` acts every month and the lender takes no action of its own;
    once the loan is charged off the agency recovers ``recovery_fraction`` of the exposure
    charged off with probability ``hazard`` (by type) each month, once.

    The agency is paid on what it collects of overdue debt: it keeps ``commission`` of
    every payment made on the account in a month that began past due (arrears, the month's
    instalment, a payoff in full) and of its recoveries after charge-off, and nothing on a
    current account.  It contacts (``contacts`` a month, with their ``complaint``
    probability) only accounts past due.

    Parameters (besides ``Action``'s)
    ----------
    commission
        Share of what the agency collects that it keeps, in [0, 1]; default 0.3 (domain
        range 20%-40%).
    hazard
        Monthly probability of a recovery after charge-off, by behaviour type; default 2%.
    recovery_fraction
        Share of the exposure charged off that a recovery brings, in [0, 1]; default 0.5.
    recall_on_cure
        True (default): an account that is no longer past due at the end of a month (cured,
        or restructured) is recalled from the agency: no commission or agency contact
        follows, and the lender's rules apply to it again (a new delinquency may place it
        again).  False: the agency keeps it (it is still paid only on months that begin
        past due).
    placement_months
        The agency holds the account for this many months, the month of the placement
        included, open or charged off; then it returns to the lender (its rules may place
        it again).  None (default): no term.
    """

    commission: float = 0.3
    hazard: Mapping[str, float] = field(default_factory=lambda: {"*": 0.02})
    recovery_fraction: float = 0.5
    recall_on_cure: bool = True
    placement_months: int | None = None

    kind = "agency"

    def _check(self, owner):
        self._share(owner, "commission")
        self._share(owner, "recovery_fraction")
        self._probabilities(owner, "hazard")
        if not isinstance(self.recall_on_cure, (bool, np.bool_)):
            raise ValueError(f"{owner}: recall_on_cure must be True or False, got {self.recall_on_cure!r}")
        object.__setattr__(self, "recall_on_cure", bool(self.recall_on_cure))
        if self.placement_months is not None:
            object.__setattr__(self, "placement_months",
                               _whole(owner, "placement_months", self.placement_months, 1, 1200))


@dataclass(frozen=True, kw_only=True)
class LegalAction(Action):
    """A claim (payment order, lawsuit, enforcement), for good: ``cost`` is the fixed fee at
    filing; ``months`` later the judgment recovers, with probability ``success`` (by type),
    ``recovery_fraction`` of what is owed (of the exposure charged off, if it was).  Until
    then its ``effect`` acts on the open loan every month."""

    months: int = 9
    success: Mapping[str, float] = field(default_factory=lambda: {"*": 0.3})
    recovery_fraction: float = 0.8

    kind = "legal"

    def _check(self, owner):
        object.__setattr__(self, "months", _whole(owner, "months", self.months, 1, 120))
        self._share(owner, "recovery_fraction")
        self._probabilities(owner, "success")


_KINDS = {c.kind: c for c in (Contact, BureauReport, Restructure, Settlement, AgencyPlacement, LegalAction)}
#: actions that hand the loan over to a channel (the lender takes no action of its own on it
#: while placed): legal action for good, an agency until it recalls the account
PLACEMENTS = ("agency", "legal")


def _known(owner: str, d: Mapping, cls) -> None:
    """A ValueError naming the keys of ``d`` that are not fields of ``cls``."""
    names = {f.name for f in fields(cls)}
    unknown = sorted((k for k in d if k not in names), key=repr)
    if unknown:
        raise ValueError(f"{owner}: unknown fields {unknown!r}; fields are {sorted(names)!r}")


def action_from_dict(d: Mapping) -> Action:
    d = dict(d)
    kind = d.pop("kind", None)
    if kind not in _KINDS:
        raise ValueError(f"action: unknown kind {kind!r}; kinds are {list(_KINDS)!r}")
    _known(f"action {d.get('name')!r} ({kind})", d, _KINDS[kind])
    if "effect" in d and isinstance(d["effect"], Mapping):
        d["effect"] = {k: Effect.of(f"action {d.get('name')!r}: effect[{k!r}]", v) for k, v in d["effect"].items()}
    return _KINDS[kind](**d)


@dataclass(frozen=True)
class Rule:
    """When to use an action: every condition must hold (first matching rule wins).

    Parameters
    ----------
    action
        Name of an action of the strategy.
    min_days, max_days
        Days past due, both ends included; a loan ``d`` months past due counts as
        ``30·(d−1)+1`` days (the first day of its month: ``dpd_91_180`` in its first month
        is 91).  Default 1 and no upper limit.
    min_balance, max_balance
        What the loan owes (principal plus arrears), yuan, both ends included.  Default any.
    segments
        Segment (score band) names, default all.
    hardship
        True: only loans whose borrower reported hardship; False: only those who did not;
        None (default): either.
    fraud_claim
        True: only loans whose borrower made a fraud claim that was rejected (a claim under
        review or confirmed bars every action); False: only loans with no claim; None
        (default): either.  Needs a model with fraud claims.
    min_months_since_action
        Months since the lender's last action on the loan (a loan never acted on always
        qualifies); default 0.
    states
        State names the rule applies to; default every state past due.  A rule for an
        agency or legal placement may name the charge-off state, to place charged-off loans.
    """

    action: str
    min_days: int = 1
    max_days: int | None = None
    min_balance: float = 0.0
    max_balance: float | None = None
    segments: tuple[str, ...] | None = None
    hardship: bool | None = None
    fraud_claim: bool | None = None
    min_months_since_action: int = 0
    states: tuple[str, ...] | None = None

    def __post_init__(self):
        owner = f"Rule for {self.action!r}"
        if not isinstance(self.action, str) or not self.action:
            raise ValueError(f"Rule.action: must be an action name, got {self.action!r}")
        object.__setattr__(self, "min_days", _whole(owner, "min_days", self.min_days, 0, 100_000))
        if self.max_days is not None:
            object.__setattr__(self, "max_days", _whole(owner, "max_days", self.max_days, 0, 100_000))
            if self.max_days < self.min_days:
                raise ValueError(f"{owner}: max_days {self.max_days} is below min_days {self.min_days}")
        object.__setattr__(self, "min_balance", _num(owner, "min_balance", self.min_balance))
        if self.max_balance is not None:
            object.__setattr__(self, "max_balance", _num(owner, "max_balance", self.max_balance))
            if self.max_balance < self.min_balance:
                raise ValueError(f"{owner}: max_balance {self.max_balance} is below min_balance {self.min_balance}")
        for f in ("hardship", "fraud_claim"):
            v = getattr(self, f)
            if v is not None and not isinstance(v, (bool, np.bool_)):
                raise ValueError(f"{owner}: {f} must be True, False or None, got {v!r}")
            if v is not None:
                object.__setattr__(self, f, bool(v))
        object.__setattr__(self, "min_months_since_action",
                           _whole(owner, "min_months_since_action", self.min_months_since_action, 0, 10_000))
        for f in ("segments", "states"):
            v = getattr(self, f)
            if v is not None:
                names = tuple(v) if hasattr(v, "__iter__") and not isinstance(v, str) else ()
                if not names or not all(isinstance(x, str) and x for x in names):
                    raise ValueError(f"{owner}: {f} must be a non-empty list of names (or None for any), "
                                     f"got {v!r}")
                object.__setattr__(self, f, names)

    def to_dict(self) -> dict:
        return {f.name: (list(getattr(self, f.name)) if isinstance(getattr(self, f.name), tuple)
                         else getattr(self, f.name)) for f in fields(self)}


@dataclass(frozen=True)
class Strategy:
    """A collection strategy: ``rules`` (first match wins) over ``actions``, with its caps.

    Parameters
    ----------
    name
        The strategy's label in results.
    actions
        The actions its rules may use (unique names).
    rules
        Ordered rules; a loan matching none gets no action that month.
    max_contacts
        Most contacts with a borrower in a month (default 3; an assumption).  The engine
        also never contacts a borrower whose fraud claim is under review or confirmed.
        An action (or an agency's monthly contacts) above the cap is rejected here.
    complaint_cost
        Yuan per regulator complaint, counted in the collection costs (default 500; an
        assumption).
    """

    name: str
    actions: tuple[Action, ...] = ()
    rules: tuple[Rule, ...] = ()
    max_contacts: int = 3
    complaint_cost: float = 500.0

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"Strategy.name: must be a non-empty string, got {self.name!r}")
        owner = f"Strategy {self.name!r}"
        for f, kind in (("actions", "Action"), ("rules", "Rule")):
            v = getattr(self, f)
            if isinstance(v, (str, Mapping, Action, Rule)) or not hasattr(v, "__iter__"):
                raise ValueError(f"{owner}: {f} must be a list of {kind} objects (possibly empty), got {v!r}")
        acts = tuple(self.actions)
        rules = tuple(self.rules)
        for a in acts:
            if not isinstance(a, Action):
                raise ValueError(f"{owner}: actions must be Action objects, got {a!r}")
        for r in rules:
            if not isinstance(r, Rule):
                raise ValueError(f"{owner}: rules must be Rule objects, got {r!r}")
        names = [a.name for a in acts]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"{owner}: action names must be unique, {dup!r} repeat")
        object.__setattr__(self, "max_contacts", _whole(owner, "max_contacts", self.max_contacts, 0, 1000))
        object.__setattr__(self, "complaint_cost", _num(owner, "complaint_cost", self.complaint_cost))
        for r in rules:
            if r.action not in names:
                raise ValueError(f"{owner}: a rule uses action {r.action!r}, which is not among its actions "
                                 f"{names!r}")
        for kind in ("bureau", "agency", "legal"):
            same = [a.name for a in acts if a.kind == kind]
            if len(same) > 1:
                raise ValueError(f"{owner}: at most one {kind} action per strategy, got {same!r}")
        for a in acts:
            if a.contacts > self.max_contacts:
                raise ValueError(f"{owner}: action {a.name!r} makes {a.contacts} contacts a month, above the "
                                 f"cap max_contacts={self.max_contacts}")
        object.__setattr__(self, "actions", acts)
        object.__setattr__(self, "rules", rules)

    def action(self, name: str) -> Action:
        for a in self.actions:
            if a.name == name:
                return a
        raise KeyError(name)

    def replace(self, **changes) -> Strategy:
        """A copy with fields changed (validated again)."""
        d = {f.name: getattr(self, f.name) for f in fields(self)}
        d.update(changes)
        return Strategy(**d)

    @classmethod
    def preset(cls, name: str) -> Strategy:
        """A preset strategy by name (``STRATEGIES``)."""
        return _preset(name)

    def to_dict(self) -> dict:
        return {"name": self.name, "actions": [a.to_dict() for a in self.actions],
                "rules": [r.to_dict() for r in self.rules], "max_contacts": self.max_contacts,
                "complaint_cost": self.complaint_cost}

    @classmethod
    def from_dict(cls, d: Mapping) -> Strategy:
        d = dict(d)
        _known(f"Strategy {d.get('name')!r}", d, cls)
        acts = tuple(action_from_dict(a) for a in d.pop("actions", ()))
        rules = []
        for i, r in enumerate(d.pop("rules", ())):
            _known(f"Strategy {d.get('name')!r}: rule {i}", r, Rule)
            rules.append(Rule(**r))
        return cls(actions=acts, rules=tuple(rules), **d)


# ----------------------------------------------------------------------------- presets
# Every figure below is an assumption (docs/defaults.md gives the reasoning and sources).


def _actions() -> dict[str, Action]:
    return {
        "sms": Contact(name="sms", cost=0.05, contacts=1, complaint=0.0002,
                       effect={"forgetful": Effect(cure=2.0, back=1.2), "*": Effect(cure=1.05)}),
        "call": Contact(name="call", cost=2.0, contacts=2, complaint=0.002,
                        effect={"forgetful": Effect(cure=2.5, back=1.5), "constrained": Effect(cure=1.1, back=1.2),
                                "strategic": Effect(cure=1.2, back=1.1), "*": Effect(cure=1.3, back=1.2)}),
        "calls_max": Contact(name="calls_max", cost=6.0, contacts=3, complaint=0.012,
                             effect={"forgetful": Effect(cure=3.0, back=1.6),
                                     "constrained": Effect(cure=1.1, back=1.2, forward=1.05),
                                     "strategic": Effect(cure=1.4, back=1.2), "*": Effect(cure=1.5, back=1.3)}),
        "letter": Contact(name="letter", cost=5.0, contacts=1, complaint=0.001,
                          effect={"strategic": Effect(cure=1.3, back=1.2), "*": Effect(cure=1.1)}),
        "bureau": BureauReport(name="bureau", cost=1.0, complaint=0.003,
                               effect={"strategic": Effect(cure=1.6, back=1.3, forward=0.8),
                                       "forgetful": Effect(cure=1.1), "*": Effect()}),
        "agency": AgencyPlacement(name="agency", contacts=2, complaint=0.01, commission=0.3,
                                  hazard={"strategic": 0.03, "constrained": 0.015, "*": 0.02},
                                  recovery_fraction=0.5,
                                  effect={"forgetful": Effect(cure=2.5, back=1.5), "strategic": Effect(cure=2.0, back=1.5),
                                          "*": Effect(cure=1.2, back=1.2)}),
        "legal": LegalAction(name="legal", cost=2000.0, complaint=0.005, months=9,
                             success={"strategic": 0.6, "forgetful": 0.5, "constrained": 0.15, "*": 0.3},
                             recovery_fraction=0.8,
                             effect={"strategic": Effect(cure=1.8, back=1.3), "*": Effect(cure=1.1)}),
        "extension": Restructure(name="extension", cost=20.0, extend_months=6),
        "deferral": Restructure(name="deferral", cost=20.0, extend_months=3, defer_months=3),
    }


def _in_house() -> tuple[list[Action], list[Rule]]:
    a = _actions()
    return [a["sms"], a["call"]], [Rule("call", min_days=31), Rule("sms", min_days=1)]


def _with_agency(days: int) -> tuple[list[Action], list[Rule]]:
    acts, rules = _in_house()
    return [_actions()["agency"], *acts], [Rule("agency", min_days=days), *rules]


def _preset(name: str) -> Strategy:
    a = _actions()
    if name == "in_house":
        acts, rules = _in_house()
    elif name == "agency_at_90":
        acts, rules = _with_agency(91)
    elif name == "agency_at_60":
        acts, rules = _with_agency(61)
    elif name == "legal_over_10k":
        acts, rules = _in_house()
        acts = [a["legal"], a["agency"], *acts]
        rules = [Rule("legal", min_days=121, min_balance=10_000.0),
                 Rule("agency", min_days=91, max_balance=9_999.99), *rules]
    elif name == "hardship_restructure":
        acts, rules = _with_agency(91)
        acts = [a["deferral"], a["extension"], *acts]
        rules = [Rule("deferral", min_days=1, max_days=60, hardship=True, states=("dpd_1_30", "dpd_31_60")),
                 Rule("extension", min_days=61, max_days=90, hardship=True), *rules]
    elif name == "aggressive":
        acts = [a["calls_max"], a["letter"], a["bureau"], a["agency"]]
        rules = [Rule("agency", min_days=61), Rule("bureau", min_days=31), Rule("calls_max", min_days=1)]
    else:
        raise ValueError(f"strategy: unknown preset {name!r}; presets are {list(STRATEGIES)!r}")
    return Strategy(name, tuple(acts), tuple(rules))


#: The preset strategies by name (see ``strategy``).
STRATEGIES: dict[str, str] = {
    "in_house": "reminders from 1 day past due, calls from 31: no placement",
    "agency_at_90": "in-house, and transfer to an agency from 91 days past due",
    "agency_at_60": "in-house, and transfer to an agency from 61 days past due",
    "legal_over_10k": "legal action on debts of 10,000 yuan or more from 121 days; smaller debts to an agency "
                      "from 91 days",
    "hardship_restructure": "deferral (1-60 days) or term extension (61-90) for reported hardship, "
                            "else agency_at_90",
    "aggressive": "three calls a month from day 1, bureau report from 31 days, agency from 61",
}


def strategy(name: str | Strategy | Mapping) -> Strategy:
    """A preset strategy by name (``STRATEGIES``), a Strategy as is, or one from a dict."""
    if isinstance(name, Strategy):
        return name
    if isinstance(name, Mapping):
        return Strategy.from_dict(name)
    if not isinstance(name, str):
        raise ValueError(f"strategy: expected a preset name, a Strategy or a dict, got {name!r}")
    return _preset(name)
