"""The state space: named delinquency states listed from best to worst."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["StateSpace", "DEFAULT_STATES"]

#: The nine default states of the model, best to worst.  ``paid_off`` is the best outcome
#: and ``charged_off`` the worst; the order is what the macro tilt moves mass along.
DEFAULT_STATES: tuple[str, ...] = (
    "paid_off",
    "current",
    "restructured",
    "dpd_1_30",
    "dpd_31_60",
    "dpd_61_90",
    "dpd_91_180",
    "fraud_review",
    "charged_off",
)


def _names(field: str, values: Iterable[str] | None) -> tuple[str, ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = (values,)
    out = tuple(values)
    for v in out:
        if not isinstance(v, str) or not v:
            raise ValueError(f"StateSpace.{field}: every entry must be a non-empty string, got {v!r}")
    return out


_DPD_NAME = re.compile(r"^dpd_(\d+)_(\d+)$")


def name_days(name: str) -> tuple[int, int] | None:
    """The days past due a state named ``dpd_<lo>_<hi>`` spans, on the engine's 30-day
    months (``dpd_91_180``: 91-180, ``dpd_1_30``: 1-30), or None for another name."""
    m = _DPD_NAME.match(name)
    if not m:
        return None
    lo, hi = int(m.group(1)), int(m.group(2))
    first, last = math.ceil(lo / 30), max(math.ceil(hi / 30), math.ceil(lo / 30))
    if first == 0:
        return None
    return 30 * (first - 1) + 1, 30 * last


def _past_due(names: tuple[str, ...], given, absorbing: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    """Months past due (first, last) of each state: from ``given``, else from a name
    ``dpd_<lo>_<hi>`` (days), else (0, 0)."""
    given = dict(given or {})
    for name in given:
        if name not in names:
            raise ValueError(f"StateSpace.past_due: unknown state {name!r}; states are {list(names)!r}")
    out = []
    for n in names:
        if n in given:
            v = given[n]
            pair = (v, v) if isinstance(v, (int,)) and not isinstance(v, bool) else v
            try:
                first, last = (int(x) if float(x) == int(x) else None for x in pair)
            except (TypeError, ValueError):
                first = last = None
            if first is None or last is None or first < 0 or last < first:
                raise ValueError(
                    f"StateSpace.past_due: state {n!r} has {v!r}; give whole months past due "
                    f"(first, last) with 0 <= first <= last, or one number"
                )
            if n in absorbing and (first or last):
                raise ValueError(f"StateSpace.past_due: state {n!r} is absorbing; it has no months past due")
        else:
            m = _DPD_NAME.match(n)
            if m and n not in absorbing:
                lo, hi = int(m.group(1)), int(m.group(2))
                first, last = math.ceil(lo / 30), max(math.ceil(hi / 30), math.ceil(lo / 30))
            else:
                first = last = 0
        out.append((first, last))
    return tuple(out)


def _subset(field: str, values, names: tuple[str, ...]) -> tuple[str, ...]:
    """Some of ``names``, checked, in the order of ``names``."""
    chosen = _names(field, values)
    for v in chosen:
        if v not in names:
            raise ValueError(f"StateSpace.{field}: unknown state {v!r}; states are {list(names)!r}")
    return tuple(n for n in names if n in set(chosen))


@dataclass(frozen=True, init=False)
class StateSpace:
    """Named states of a loan, listed from best to worst.

    Parameters
    ----------
    names
        State names, best first, worst last.  The order matters: a bad macro factor moves
        probability mass toward the end of this list (see ``creditsim.conditional_matrix``).
        Default: the nine states of the model, ``DEFAULT_STATES``.
    absorbing
        Names of the states a loan never leaves.  Default: the charge-off and paid-off
        states that exist in ``names``.
    charge_off
        The state whose entry counts as a loss.  Default ``"charged_off"`` if it is in
        ``names``, else none (no loss is ever counted).  Must be absorbing.
    paid_off
        The state of a loan repaid in full.  Default ``"paid_off"`` if present, else none.
        Must be absorbing.
    performing
        States of loans that are paying as agreed (income shocks strike these borrowers).
        Default: ``"current"`` and ``"restructured"`` where present, else the best state
        that is not absorbing.  None may be absorbing.
    past_due
        Months past due of loans in each state, as ``{name: (first, last)}`` or
        ``{name: months}``: a loan entering the state is ``first`` months past due, and a
        state with ``last > first`` spans several months, so a loan staying in it one more
        month is one month further past due (this is what charges loans off at
        ``CreditModel.charge_off_dpd``).  States not given take it from a name
        ``dpd_<lo>_<hi>`` in days (``dpd_1_30`` is (1, 1), ``dpd_91_180`` is (4, 6): a month
        is 30 days), and are otherwise 0 (not past due).

    Notes
    -----
    Any list of two or more distinct names works, e.g. ``StateSpace(["current",
    "charged_off"])``.
    """

    names: tuple[str, ...]
    absorbing: tuple[str, ...]
    charge_off: str | None
    paid_off: str | None
    performing: tuple[str, ...]
    past_due: tuple[tuple[int, int], ...]

    def __init__(
        self,
        names: Sequence[str] = DEFAULT_STATES,
        absorbing: Iterable[str] | None = None,
        *,
        charge_off: str | None = "__default__",
        paid_off: str | None = "__default__",
        performing: Iterable[str] | None = None,
        past_due: Mapping[str, object] | None = None,
    ):
        names_t = _names("names", names)
        if len(names_t) < 2:
            raise ValueError(f"StateSpace.names: need at least 2 states, got {list(names_t)!r}")
        seen = set()
        for n in names_t:
            if n in seen:
                raise ValueError(f"StateSpace.names: state {n!r} is listed twice")
            seen.add(n)

        def pick(field, value, default_name):
            if value == "__default__":
                return default_name if default_name in seen else None
            if value is None:
                return None
            if value not in seen:
                raise ValueError(
                    f"StateSpace.{field}: unknown state {value!r}; states are {list(names_t)!r}"
                )
            return value

        co = pick("charge_off", charge_off, "charged_off")
        po = pick("paid_off", paid_off, "paid_off")
        if co is not None and co == po:
            raise ValueError(f"StateSpace: charge_off and paid_off are the same state {co!r}")
        if absorbing is None:
            absorbing_t = tuple(n for n in names_t if n in (co, po))
        else:
            absorbing_t = _subset("absorbing", absorbing, names_t)
            for field, s in (("charge_off", co), ("paid_off", po)):
                if s is not None and s not in absorbing_t:
                    raise ValueError(
                        f"StateSpace.{field}: state {s!r} must be absorbing; "
                        f"absorbing states are {list(absorbing_t)!r}"
                    )
        if performing is None:
            perf_t = tuple(n for n in names_t if n in ("current", "restructured") and n not in absorbing_t)
            if not perf_t:
                perf_t = tuple(n for n in names_t if n not in absorbing_t)[:1]
        else:
            perf_t = _subset("performing", performing, names_t)
            for p in perf_t:
                if p in absorbing_t:
                    raise ValueError(f"StateSpace.performing: state {p!r} is absorbing")
        object.__setattr__(self, "past_due", _past_due(names_t, past_due, absorbing_t))
        object.__setattr__(self, "performing", perf_t)
        object.__setattr__(self, "names", names_t)
        object.__setattr__(self, "absorbing", absorbing_t)
        object.__setattr__(self, "charge_off", co)
        object.__setattr__(self, "paid_off", po)

    def __len__(self) -> int:
        return len(self.names)

    def index(self, name: str, *, field: str = "state") -> int:
        """Position of ``name`` in the list; ``ValueError`` naming ``field`` if unknown."""
        try:
            return self.names.index(name)
        except ValueError:
            raise ValueError(
                f"{field}: unknown state {name!r}; states are {list(self.names)!r}"
            ) from None

    def months_past_due(self, name: str) -> int:
        """Months past due of a loan entering state ``name`` (0: not past due)."""
        return self.past_due[self.index(name)][0]

    @property
    def transient(self) -> tuple[str, ...]:
        return tuple(n for n in self.names if n not in self.absorbing)

    def to_dict(self) -> dict:
        return {
            "names": list(self.names),
            "absorbing": list(self.absorbing),
            "charge_off": self.charge_off,
            "paid_off": self.paid_off,
            "performing": list(self.performing),
            "past_due": {n: list(p) for n, p in zip(self.names, self.past_due, strict=True)},
        }

    @classmethod
    def from_dict(cls, d: dict) -> StateSpace:
        return cls(d["names"], d.get("absorbing"), charge_off=d.get("charge_off"),
                   paid_off=d.get("paid_off"), performing=d.get("performing"),
                   past_due={n: tuple(p) for n, p in (d.get("past_due") or {}).items()})
