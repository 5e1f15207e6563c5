"""New loans every month: an origination plan as data, drawn into loans that enter the
book in their month with loan indices after the book's."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .book import _plain
from .terms import LoanTerms, is_number

__all__ = ["Originations", "NewLoans"]


def _probability(p) -> bool:
    return not isinstance(p, bool) and is_number(p) and 0 <= float(p) <= 1


@dataclass(frozen=True)
class NewLoans:
    """The loans an origination plan gives over a horizon, in order of entry: segment
    names, the month each enters (1 = during the first month), amounts (yuan) and, for
    a book with terms, their ``LoanTerms`` (all new: no months on book)."""

    segment: np.ndarray
    entry: np.ndarray
    amount: np.ndarray
    terms: LoanTerms | None

    def __len__(self) -> int:
        return int(self.entry.shape[0])


@dataclass(frozen=True)
class Originations:
    """An origination plan: how many new loans enter the book each month, in which
    segments, with which contracts.

    Parameters
    ----------
    volume
        New loans a month: one number (every month, growing by ``growth``), or a list
        month by month (month 1 first; months after the list take none).
    segments
        Share of new loans by segment (names of the model's segments), e.g. ``presets.DEMO_MIX``.
    growth
        Monthly growth of a constant ``volume``: month m has volume·(1 + growth)^(m − 1),
        rounded to whole loans (default 0).  Not with a list.
    rates
        Annual contract rate by segment, for a book with loan terms (e.g.
        ``presets.JIEBEI_RATES``); default None (a book of exposures only).
    terms, methods
        Shares of terms (months) and repayment methods, default the preset's
        (``JIEBEI_TERMS``, ``JIEBEI_METHODS``).
    amount_median, amount_sigma, amount_range
        Amounts lognormal with this median (yuan) and log-sd, clipped to the range and
        rounded to the fen; defaults as ``presets.jiebei_book`` (10,000 yuan, 1.0,
        1,000-300,000 yuan).
    state
        The state a new loan enters in; default ``"current"``.
    repeat
        Repeat borrowing (a credit line, as Jiebei is): the monthly probability that a
        borrower whose loan is paid off draws again, one number for every segment or a
        mapping of segment name to probability (segments left out: 0).  Default 0 (an
        assumption: no published figure).  A borrower paid off at the start of a month
        draws with this probability during it, the book's borrowers and the new loans'
        alike: the loan enters ``state`` again with its own contract anew (its original
        amount and full term, rate and method; without loan terms, its exposure) and is
        counted in the vintage of that month.  Draws use their own random stream, so a
        loan's other draws are those it has without repeat borrowing.
    seed
        Seed of the draws of segments and contracts (NumPy's PCG64), apart from the run's:
        the same plan gives the same loans in every run; default 0.

    A new loan entering in month m is lent during month m: it is in the book at the end of
    month m, in ``state``, owing its amount, and moves from month m + 1 on (its first
    instalment is due then).  Its loan index follows the book's loans (in order of entry),
    so its draws depend only on (seed, scenario, its index, month) and adding new loans
    leaves the book's loans' paths unchanged.
    """

    volume: int | Sequence[int]
    segments: Mapping[str, float]
    growth: float = 0.0
    rates: Mapping[str, float] | None = None
    terms: Mapping[int, float] | None = None
    methods: Mapping[str, float] | None = None
    amount_median: float = 10_000.0
    amount_sigma: float = 1.0
    amount_range: tuple[float, float] = (1_000.0, 300_000.0)
    state: str = "current"
    repeat: float | Mapping[str, float] = 0.0
    seed: int = 0
    _volumes: tuple = field(default=(), repr=False, compare=False)

    def __post_init__(self):
        v = self.volume
        if isinstance(v, (list, tuple, np.ndarray)):
            vols = []
            for i, x in enumerate(v):
                if isinstance(x, bool) or not is_number(x) or not math.isfinite(float(x)) or x < 0 \
                        or float(x) != int(x):
                    raise ValueError(f"Originations.volume: month {i + 1} has {_plain(x)!r}; volumes are whole "
                                     f"numbers of loans >= 0")
                vols.append(int(x))
            if self.growth != 0:
                raise ValueError("Originations.growth: applies to a constant volume, not to a list of months")
        elif isinstance(v, bool) or not is_number(v) or not math.isfinite(float(v)) or v < 0:
            raise ValueError(f"Originations.volume: need a number of loans >= 0 a month or a list of them, got "
                             f"{_plain(v)!r}")
        else:
            vols = None
        g = self.growth
        if isinstance(g, bool) or not is_number(g) or not math.isfinite(float(g)) or g <= -1:
            raise ValueError(f"Originations.growth: need a monthly growth rate > -1, got {_plain(g)!r}")
        if not isinstance(self.segments, Mapping) or not self.segments:
            raise ValueError(f"Originations.segments: need a mapping of segment name to share, got "
                             f"{self.segments!r}")
        for name, w in self.segments.items():
            if not isinstance(name, str) or not name or isinstance(w, bool) or not is_number(w) or \
                    not math.isfinite(float(w)) or w < 0:
                raise ValueError(f"Originations.segments: {name!r} has share {_plain(w)!r}; shares are numbers "
                                 f">= 0")
        if sum(float(w) for w in self.segments.values()) <= 0:
            raise ValueError("Originations.segments: the shares sum to 0")
        if self.rates is not None:
            for name in self.segments:
                r = self.rates.get(name) if isinstance(self.rates, Mapping) else None
                if r is None or isinstance(r, bool) or not is_number(r) or not 0 <= float(r) <= 1:
                    raise ValueError(f"Originations.rates: segment {name!r} needs an annual rate in [0, 1], got "
                                     f"{_plain(r)!r}")
        for fld in ("terms", "methods"):
            m = getattr(self, fld)
            if m is not None and (not isinstance(m, Mapping) or not m or
                                  any(isinstance(w, bool) or not is_number(w) or w < 0 for w in m.values())):
                raise ValueError(f"Originations.{fld}: need a mapping to shares >= 0, got {m!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValueError(f"Originations.seed: need a whole number >= 0, got {self.seed!r}")
        rep = self.repeat
        if isinstance(rep, Mapping):
            for name, p in rep.items():
                if not isinstance(name, str) or not name:
                    raise ValueError(f"Originations.repeat: keys are segment names, got {_plain(name)!r}")
                if not _probability(p):
                    raise ValueError(f"Originations.repeat: segment {name!r} has {_plain(p)!r}; need a monthly "
                                     f"probability in [0, 1]")
        elif not _probability(rep):
            raise ValueError(f"Originations.repeat: need a monthly probability in [0, 1] or a mapping of segment "
                             f"name to one, got {_plain(rep)!r}")
        if not isinstance(self.state, str) or not self.state:
            raise ValueError(f"Originations.state: need a state name, got {self.state!r}")
        object.__setattr__(self, "_volumes", tuple(vols) if vols is not None else ())

    def repeat_probability(self, segments: Sequence[str]) -> np.ndarray:
        """The monthly probability of a repeat draw for each of ``segments`` (names, in
        order; float64)."""
        rep = self.repeat
        if isinstance(rep, Mapping):
            return np.array([float(rep.get(name, 0.0)) for name in segments], np.float64)
        return np.full(len(segments), float(rep), np.float64)

    @property
    def repeats(self) -> bool:
        """Whether any borrower may draw again (``repeat`` above 0 somewhere)."""
        rep = self.repeat
        return any(float(p) > 0 for p in (rep.values() if isinstance(rep, Mapping) else [rep]))

    def volumes(self, horizon: int) -> np.ndarray:
        """New loans in each month 1..``horizon`` (int64)."""
        if self._volumes:
            out = np.zeros(horizon, np.int64)
            n = min(horizon, len(self._volumes))
            out[:n] = self._volumes[:n]
            return out
        m = np.arange(horizon)
        return np.floor(float(self.volume) * (1.0 + float(self.growth)) ** m + 0.5).astype(np.int64)

    def draw(self, horizon: int, *, with_terms: bool) -> NewLoans:
        """The plan's loans over ``horizon`` months (``with_terms``: contracts for a book with
        loan terms, which needs ``rates``)."""
        from .presets import draw_contracts

        vols = self.volumes(horizon)
        n = int(vols.sum())
        entry = np.repeat(np.arange(1, horizon + 1, dtype=np.int32), vols)
        names = list(self.segments)
        w = np.array([float(self.segments[k]) for k in names])
        rng = np.random.default_rng(self.seed)
        seg = np.asarray(names)[rng.choice(len(names), size=n, p=w / w.sum())] if n else np.array([], str)
        amount, term, method = draw_contracts(rng, n, median=self.amount_median, sigma=self.amount_sigma,
                                              bounds=tuple(self.amount_range),
                                              terms=dict(self.terms) if self.terms else None,
                                              methods=dict(self.methods) if self.methods else None)
        terms = None
        if with_terms and n:
            if self.rates is None:
                raise ValueError("Originations.rates: a book with loan terms needs each segment's annual rate "
                                 "for its new loans")
            rate = np.array([float(self.rates[s]) for s in seg])
            terms = LoanTerms(amount, rate, term, method)
        return NewLoans(seg, entry, amount, terms)
