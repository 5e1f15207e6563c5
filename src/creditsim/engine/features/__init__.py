"""The model's features as components of the engine (``creditsim.engine.features.base``).

``ORDER`` is the order features act in within a phase (the composer follows the order of
the tuple it is given; ``features_for`` returns a run's features, from what its model and
book use, in ``ORDER``).  A new feature is one module here with its
class, plus its place in ``ORDER`` and its condition in ``features_for``.
"""

from __future__ import annotations

from .aging import Aging
from .attribution import Attribution
from .base import PHASES, STORES, TOTAL_KINDS, Feature, Kernel, Month
from .bureau import Bureau
from .fraud import Fraud
from .money import Money
from .origination import Origination
from .placement import Placement
from .restructure import Restructure
from .settlement import Settlement
from .shocks import IncomeShocks
from .strategy import AUDIT, CURVES, STRATEGY_FLOWS, Audit, Collections
from .transition import Transition

__all__ = ["PHASES", "STORES", "TOTAL_KINDS", "Feature", "Kernel", "Month", "ORDER", "features_for", "has",
           "totals_of", "Transition", "IncomeShocks", "Fraud", "Aging", "Money", "Collections", "Placement", "Bureau",
           "Restructure", "Settlement", "Attribution", "Origination", "Audit", "AUDIT", "CURVES", "STRATEGY_FLOWS"]

#: Features in the order they act within a phase.
ORDER = (Transition, IncomeShocks, Fraud, Aging, Money, Collections, Placement, Bureau, Restructure, Settlement,
         Attribution, Origination, Audit)


def features_for(*, shocks: bool = False, fraud: bool = False, aging: bool = False, money: bool = False,
                 strategy: bool = False, n_age: int = 0, audit: bool = False,
                 attribution: Attribution | None = None,
                 origination: Origination | None = None) -> tuple[Feature, ...]:
    """A run's features, in ``ORDER``: the base transition always; months past due where
    the charge-off rule can act, and whenever money or fraud claims are simulated (a
    payment depends on them, a rejected claim returns to them); collections (and the
    test-only audit) with strategies: the rules and placements, and one component per
    other action kind; ``attribution`` where the run attributes losses to groups of
    loans (``Attribution``); ``origination`` where new loans enter the book
    (``Origination``)."""
    out = [Transition()]
    if shocks:
        out.append(IncomeShocks())
    if fraud:
        out.append(Fraud())
    if aging or money or fraud:
        out.append(Aging())
    if money:
        out.append(Money())
    if strategy:
        # every action kind, whatever the strategies use: one compiled kernel serves them all
        out += [Collections(n_age=n_age, fraud=fraud), Placement(fraud=fraud), Bureau(), Restructure(), Settlement()]
        if audit:
            out.append(Audit(fraud=fraud))
    for extra in (attribution, origination):
        if extra is not None:
            out.append(extra)
    return tuple(sorted(out, key=lambda x: ORDER.index(type(x))))


def has(features, cls) -> bool:
    """Whether ``features`` include one of class ``cls``."""
    return any(isinstance(x, cls) for x in features)


def totals_of(features) -> dict[str, str]:
    """The totals ``features`` produce, with their kinds (``TOTAL_KINDS``)."""
    out: dict[str, str] = {}
    for x in features:
        for name, kind in x.totals.items():
            if kind not in TOTAL_KINDS:
                raise ValueError(f"{type(x).__name__}.totals: {name!r} has kind {kind!r}, not one of {TOTAL_KINDS}")
            if out.setdefault(name, kind) != kind:
                raise ValueError(f"{type(x).__name__}.totals: {name!r} is {kind!r} here, {out[name]!r} elsewhere")
    return out
