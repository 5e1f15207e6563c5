"""IFRS 9 staging at the reporting date: which loans are performing (stage 1), show a
significant increase in credit risk (stage 2) or are credit-impaired (stage 3)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from .book import LoanBook
from .model import CreditModel

__all__ = ["Staging", "STAGES", "ECL_MONTHS"]

#: The stages, as the ``stage`` coordinate of a result.
STAGES = (1, 2, 3)
#: Months of the 12-month expected credit loss (IFRS 9 5.5.5).
ECL_MONTHS = 12


def _whole(field: str, v) -> int:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
        raise ValueError(f"Staging.{field}: need a whole number of days >= 0, got {v!r}")
    return int(v)


def _names(field: str, v) -> tuple[str, ...]:
    if isinstance(v, str):
        v = (v,)
    try:
        out = tuple(v)
    except TypeError:
        raise ValueError(f"Staging.{field}: need a list of names, got {v!r}") from None
    for x in out:
        if not isinstance(x, str) or not x:
            raise ValueError(f"Staging.{field}: need a list of names, got {v!r}")
    return out


@dataclass(frozen=True)
class Staging:
    """The rule that puts each loan of a book in an IFRS 9 stage at the reporting date
    (month 0), as data.

    A loan is in stage 3 (credit-impaired) if it is more than ``stage3_days`` past due or
    in one of ``stage3_states``; else in stage 2 (significant increase in credit risk) if
    it is more than ``stage2_days`` past due, in one of ``stage2_states`` or of
    ``stage2_segments``; else in stage 1.  Defaults: IFRS 9's rebuttable presumptions (more
    than 30 days past due: stage 2, B5.5.19; more than 90: default, stage 3, B5.5.37),
    restructured loans in stage 2 (a forbearance, a common lender policy: an assumption),
    loans under fraud review in stage 3 (their recovery is in doubt: an assumption); the
    default state lists (None) are ``("restructured",)`` and ``("fraud_review",)`` where the
    model has those states.

    Days past due are the book's ``days_past_due`` where it has them, else the first day of
    the loan's state (31 for ``dpd_31_60``).  Paid-off and charged-off loans carry no
    provision (stage 1 with nothing owed).
    """

    stage2_days: int = 30
    stage3_days: int = 90
    stage2_states: Iterable[str] | None = None
    stage3_states: Iterable[str] | None = None
    stage2_segments: Iterable[str] = ()

    def __post_init__(self):
        object.__setattr__(self, "stage2_days", _whole("stage2_days", self.stage2_days))
        object.__setattr__(self, "stage3_days", _whole("stage3_days", self.stage3_days))
        if self.stage3_days < self.stage2_days:
            raise ValueError(f"Staging.stage3_days: must be >= stage2_days ({self.stage2_days}), got "
                             f"{self.stage3_days}")
        for f in ("stage2_states", "stage3_states", "stage2_segments"):
            v = getattr(self, f)
            object.__setattr__(self, f, None if v is None else _names(f, v))

    @classmethod
    def of(cls, value) -> Staging:
        """A ``Staging`` from itself, True (the default rule) or a dict of its fields."""
        if value is True:
            return cls()
        if isinstance(value, cls):
            return value
        if isinstance(value, dict):
            unknown = sorted(set(value) - {"stage2_days", "stage3_days", "stage2_states", "stage3_states",
                                           "stage2_segments"})
            if unknown:
                raise ValueError(f"Staging: unknown field {unknown[0]!r}")
            return cls(**value)
        raise ValueError(f"stages: need a Staging, True or a dict of its fields, got {value!r}")

    def to_dict(self) -> dict:
        return {"stage2_days": self.stage2_days, "stage3_days": self.stage3_days,
                "stage2_states": None if self.stage2_states is None else list(self.stage2_states),
                "stage3_states": None if self.stage3_states is None else list(self.stage3_states),
                "stage2_segments": list(self.stage2_segments)}

    def stages(self, book: LoanBook, model: CreditModel, seg: np.ndarray, st0: np.ndarray) -> np.ndarray:
        """Each loan's stage (int32, 1-3) from its segment and state indices ``seg``,
        ``st0`` (the model's) and the book's days past due."""
        names = model.states.names
        lists = {}
        for f, default in (("stage2_states", "restructured"), ("stage3_states", "fraud_review")):
            given = getattr(self, f)
            lists[f] = tuple(n for n in (default,) if n in names) if given is None else given
            for n in lists[f]:
                if n not in names:
                    raise ValueError(f"Staging.{f}: unknown state {n!r}; states are {list(names)!r}")
        for n in self.stage2_segments:
            if n not in model.segment_names:
                raise ValueError(f"Staging.stage2_segments: unknown segment {n!r}; segments are "
                                 f"{list(model.segment_names)!r}")
        first = np.array([30 * (a - 1) + 1 if a > 0 else 0 for a, _ in model.states.past_due])
        days = first[st0] if book.days_past_due is None else book.days_past_due
        s3 = np.isin(st0, [names.index(n) for n in lists["stage3_states"]]) | (days > self.stage3_days)
        s2 = (np.isin(st0, [names.index(n) for n in lists["stage2_states"]]) | (days > self.stage2_days)
              | np.isin(seg, [model.segment_names.index(n) for n in self.stage2_segments]))
        stage = np.where(s3, 3, np.where(s2, 2, 1))
        absorbing = np.isin(st0, [names.index(n) for n in model.states.absorbing])
        return np.where(absorbing, 1, stage).astype(np.int32)
