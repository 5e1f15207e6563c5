"""The loan book: per loan a segment, a current state and an exposure."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .terms import LoanTerms, is_number

__all__ = ["LoanBook", "spread_days_past_due"]


def _labels(field: str, values, n: int | None = None) -> tuple[np.ndarray, tuple[str, ...]]:
    """Category codes (int32) and names for an array of labels (strings or pandas Categorical)."""
    cat = getattr(values, "cat", None)  # pandas Series of category dtype
    if cat is not None:
        values = values.astype("category").cat
        names = tuple(str(c) for c in values.categories)
        codes = np.asarray(values.codes, dtype=np.int64)
        if (codes < 0).any():
            i = int(np.flatnonzero(codes < 0)[0])
            raise ValueError(f"LoanBook.{field}: loan {i} has a missing value")
        return codes.astype(np.int32), names
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"LoanBook.{field}: must be 1-D, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"LoanBook.{field}: the book has no loans, got {values!r}")
    if arr.dtype.kind not in "UO":
        raise ValueError(
            f"LoanBook.{field}: must hold names (strings), got dtype {arr.dtype} (loan 0 has {_plain(arr[0])!r})"
        )
    names, first, codes = np.unique(arr.astype(str), return_index=True, return_inverse=True)
    if arr.dtype.kind == "O":  # objects: a None or NaN would otherwise become a name "None"/"nan"
        for i in first:
            v = arr[i]
            if not isinstance(v, str):
                what = "a missing value" if _missing(v) else "a value that is not a name"
                raise ValueError(f"LoanBook.{field}: loan {int(i)} has {what} ({v!r})")
    return codes.astype(np.int32), tuple(str(x) for x in names)


@dataclass(frozen=True, eq=False)
class LoanBook:
    """A portfolio of loans as columns (struct of arrays).

    Segments and states are stored as integer codes into ``segment_names`` and
    ``state_names``; they are resolved against a model's names when the book is simulated,
    and an unknown name is an error then.

    Build one with ``homogeneous``, ``synthetic``, ``from_dataframe``,
    ``from_csv``, ``from_parquet``, or ``LoanBook(segment=..., state=...,
    exposure=...)`` with one name per loan for segment and state (arrays of strings) and
    exposures in currency units (yuan), non-negative.  ``terms`` (a ``LoanTerms``)
    adds each loan's contract; without ``exposure`` the exposure is then the scheduled
    principal outstanding.  ``days_past_due`` (whole days, >= 0, one per loan; optional)
    says how far past due each loan is at the start: a seasoned book's loans in a
    state spanning several months (``dpd_91_180``) are then as many months past due as
    their days say (⌈days / 30⌉), not all at the state's first month.  It must lie in the
    loan's state's range (1-30 for ``dpd_1_30``, 91-180 for ``dpd_91_180``, 0 for a state
    not past due), checked against the model when the book is simulated.  Without it each
    loan is at its state's first month past due.
    """

    segment_codes: np.ndarray
    segment_names: tuple[str, ...]
    state_codes: np.ndarray
    state_names: tuple[str, ...]
    exposure: np.ndarray
    terms: LoanTerms | None
    days_past_due: np.ndarray | None

    def __init__(self, segment=None, state=None, exposure=None, *, terms: LoanTerms | None = None,
                 days_past_due=None, _codes=None):
        if terms is not None and not isinstance(terms, LoanTerms):
            raise ValueError(f"LoanBook.terms: need a LoanTerms, got {type(terms).__name__}")
        if _codes is not None:
            seg_c, seg_n, st_c, st_n, exp = _codes
        else:
            if segment is None or state is None or (exposure is None and terms is None):
                raise ValueError("LoanBook: segment, state and exposure (or terms) are all required")
            seg_c, seg_n = _labels("segment", segment)
            st_c, st_n = _labels("state", state)
            exp = exposure if exposure is not None else terms.outstanding()
        exp = _amounts(exp)
        if exp.ndim == 0:
            exp = np.full(seg_c.shape, float(exp))
        n = seg_c.shape[0]
        if n < 1:
            raise ValueError("LoanBook: the book has no loans")
        for field, arr in (("state", st_c), ("exposure", exp)):
            if arr.shape != (n,):
                raise ValueError(
                    f"LoanBook.{field}: has {arr.shape[0] if arr.ndim else 0} entries, "
                    f"segment has {n}"
                )
        if terms is not None and len(terms) != n:
            raise ValueError(f"LoanBook.terms: has {len(terms)} loans, segment has {n}")
        dpd = None if days_past_due is None else _days(days_past_due, n)
        bad = np.flatnonzero(~np.isfinite(exp) | (exp < 0))
        if bad.size:
            i = int(bad[0])
            raise ValueError(
                f"LoanBook.exposure: loan {i} has exposure {float(exp[i])!r}; exposures must be finite "
                f"and >= 0"
            )
        for name, val in (
            ("segment_codes", seg_c), ("state_codes", st_c), ("exposure", exp)
        ):
            val = np.ascontiguousarray(val)
            val.setflags(write=False)
            object.__setattr__(self, name, val)
        object.__setattr__(self, "segment_names", tuple(seg_n))
        object.__setattr__(self, "state_names", tuple(st_n))
        object.__setattr__(self, "terms", terms)
        if dpd is not None:
            dpd.setflags(write=False)
        object.__setattr__(self, "days_past_due", dpd)

    def with_days_past_due(self, days_past_due) -> LoanBook:
        """The same book with each loan's days past due (see the class docstring)."""
        return LoanBook(terms=self.terms, days_past_due=days_past_due,
                        _codes=(self.segment_codes, self.segment_names, self.state_codes, self.state_names,
                                self.exposure))

    # ----------------------------------------------------------------- constructors
    @classmethod
    def homogeneous(cls, n: int, *, segment: str, state: str = "current",
                    exposure: float = 1.0) -> LoanBook:
        """``n`` identical loans in one segment and state, each with ``exposure`` (yuan)."""
        n = _count("n", n)
        for field, name in (("segment", segment), ("state", state)):
            if not isinstance(name, str) or not name:
                raise ValueError(f"LoanBook.homogeneous: {field} must be a non-empty name, got {name!r}")
        if not is_number(exposure):
            raise ValueError(f"LoanBook.homogeneous: exposure must be a number >= 0, got {_plain(exposure)!r}")
        codes = np.zeros(n, dtype=np.int32)
        return cls(_codes=(codes, (segment,), codes, (state,), np.full(n, exposure, dtype=np.float64)))

    @classmethod
    def synthetic(
        cls,
        n: int,
        *,
        segments: Sequence[str] | Mapping[str, float],
        states: Mapping[str, float] | None = None,
        exposure_median: float = 10_000.0,
        exposure_sigma: float = 1.0,
        exposure_range: tuple[float, float] = (1_000.0, 300_000.0),
        seed: int = 0,
        spread_days: bool = True,
    ) -> LoanBook:
        """A mixed book of ``n`` loans drawn reproducibly from ``seed``.

        Parameters
        ----------
        segments
            Segment names (equal shares) or a mapping name -> share.
        states
            Mapping state name -> share of loans starting there; default all ``"current"``.
        exposure_median, exposure_sigma, exposure_range
            Exposures are lognormal with this median (yuan) and log-standard deviation,
            clipped to ``exposure_range``.  Defaults (10,000 yuan median, sigma 1.0,
            1,000 to 300,000 yuan) follow the typical Jiebei draw described in the docs
            (an assumption calibrated to the source articles' "around 10,000 yuan").
        seed
            Seed of NumPy's PCG64 generator.
        spread_days
            Give loans in states named ``dpd_<lo>_<hi>`` days past due drawn uniformly over
            their bucket's days (``spread_days_past_due``), so that a seasoned book's
            91-180-day loans are not all at day 91 and do not charge off together; default
            True.  False: no ``days_past_due`` (each loan at its state's first month).
        """
        n = _count("n", n)
        seg_n, seg_w = _shares("segments", segments)
        st_n, st_w = _shares("states", states if states is not None else {"current": 1.0})
        rng_ok = isinstance(exposure_range, (Sequence, np.ndarray)) and not isinstance(exposure_range, str) and \
            len(exposure_range) == 2 and all(is_number(x) and np.isfinite(float(x)) for x in exposure_range)
        if not rng_ok or not (0 <= exposure_range[0] <= exposure_range[1]):
            raise ValueError(f"LoanBook.synthetic: exposure_range must be finite numbers 0 <= low <= high, got "
                             f"{exposure_range!r}")
        lo, hi = exposure_range
        for field, v in (("exposure_median", exposure_median), ("exposure_sigma", exposure_sigma)):
            if not is_number(v) or not np.isfinite(float(v)):
                raise ValueError(f"LoanBook.synthetic: {field} must be a finite number, got {_plain(v)!r}")
        if not exposure_median > 0 or not exposure_sigma >= 0:
            raise ValueError(
                f"LoanBook.synthetic: need exposure_median > 0 and exposure_sigma >= 0, got "
                f"{exposure_median!r} and {exposure_sigma!r}"
            )
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"LoanBook.synthetic: seed must be a whole number >= 0, got {seed!r}")
        rng = np.random.default_rng(seed)
        seg_c = rng.choice(len(seg_n), size=n, p=seg_w).astype(np.int32)
        st_c = rng.choice(len(st_n), size=n, p=st_w).astype(np.int32)
        exp = np.exp(np.log(exposure_median) + exposure_sigma * rng.standard_normal(n))
        exp = np.round(np.clip(exp, lo, hi), 2)
        days = spread_days_past_due(st_n, st_c, rng) if spread_days else None
        return cls(_codes=(seg_c, seg_n, st_c, st_n, exp), days_past_due=days)

    #: Column names of the loan terms in a DataFrame, CSV or Parquet file.
    TERM_COLUMNS = ("principal", "annual_rate", "term", "method", "months_on_book")

    @classmethod
    def from_dataframe(cls, df, *, segment: str = "segment", state: str = "state",
                       exposure: str = "exposure") -> LoanBook:
        """A book from a pandas DataFrame with one row per loan.

        Columns ``segment`` and ``state`` (names), and ``exposure`` (yuan) unless the frame
        has loan terms: ``principal``, ``annual_rate`` and ``term`` (all three), with
        ``method`` and ``months_on_book`` optional (see ``LoanTerms``); ``days_past_due``
        optional (whole days).  With terms and
        no exposure column, the exposure is the scheduled principal outstanding.
        """
        cols = list(getattr(df, "columns", []))
        has_terms = any(c in cols for c in cls.TERM_COLUMNS[:3])
        need = [("segment", segment), ("state", state)]
        if has_terms:
            need += [(c, c) for c in cls.TERM_COLUMNS[:3]]
        if not has_terms or exposure in cols:
            need.append(("exposure", exposure))
        for field, col in need:
            if col not in cols:
                raise ValueError(f"LoanBook.from_dataframe: missing column {col!r} ({field}); columns are {cols!r}")
        terms = None
        if has_terms:
            extra = {c: np.asarray(df[c]) for c in cls.TERM_COLUMNS[3:] if c in cols}
            terms = LoanTerms(*(np.asarray(df[c]) for c in cls.TERM_COLUMNS[:3]), **extra)
        exp = _amounts(np.asarray(df[exposure])) if exposure in cols else None
        dpd = np.asarray(df["days_past_due"]) if "days_past_due" in cols else None
        return cls(df[segment], df[state], exp, terms=terms, days_past_due=dpd)

    @classmethod
    def from_csv(cls, path, **columns) -> LoanBook:
        """A book from a CSV file with the columns of ``from_dataframe`` (header row)."""
        import pandas as pd

        return cls.from_dataframe(pd.read_csv(path, dtype={columns.get("segment", "segment"): str,
                                                          columns.get("state", "state"): str}),
                                  **columns)

    @classmethod
    def from_parquet(cls, path, **columns) -> LoanBook:
        """A book from a Parquet file (needs ``pyarrow`` or ``fastparquet``)."""
        import pandas as pd

        try:
            df = pd.read_parquet(path)
        except ImportError as e:
            raise ValueError(f"LoanBook.from_parquet: reading Parquet needs pyarrow or fastparquet ({e})") from None
        return cls.from_dataframe(df, **columns)

    # ----------------------------------------------------------------- views
    def __len__(self) -> int:
        return int(self.segment_codes.shape[0])

    @property
    def total_exposure(self) -> float:
        return float(np.sum(self.exposure))

    def fingerprint(self) -> str:
        """SHA-256 of the book's columns and names: identifies the book a result came from.
        Computed once per book (the book is immutable)."""
        cached = self.__dict__.get("_fingerprint")
        if cached is not None:
            return cached
        h = hashlib.sha256()
        cols = [self.segment_codes, self.state_codes, self.exposure]
        if self.terms is not None:
            cols += [getattr(self.terms, c) for c in self.TERM_COLUMNS]
        if self.days_past_due is not None:
            cols.append(self.days_past_due)
        for a in cols:
            h.update(np.ascontiguousarray(a).tobytes())
        h.update(repr((self.segment_names, self.state_names)).encode())
        object.__setattr__(self, "_fingerprint", h.hexdigest())
        return self.__dict__["_fingerprint"]

    def to_dataframe(self):
        """The book as a pandas DataFrame (categorical segment and state columns)."""
        import pandas as pd

        df = pd.DataFrame({
            "segment": pd.Categorical.from_codes(self.segment_codes, self.segment_names),
            "state": pd.Categorical.from_codes(self.state_codes, self.state_names),
            "exposure": self.exposure,
        })
        if self.terms is not None:
            for c in self.TERM_COLUMNS:
                df[c] = getattr(self.terms, c)
        if self.days_past_due is not None:
            df["days_past_due"] = self.days_past_due
        return df


def _missing(v) -> bool:
    """None, NaN, pandas' NA/NaT: values that stand for a missing label."""
    try:
        return v is None or bool(v != v)
    except (TypeError, ValueError):  # pd.NA does not convert to bool
        return True


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def _amounts(values) -> np.ndarray:
    """Exposures as float64; a ValueError names the first that is not a number."""
    try:
        raw = np.asarray(values, dtype=object) if isinstance(values, (list, tuple)) else np.asarray(values)
    except (TypeError, ValueError):  # ragged nested lists
        raise ValueError(f"LoanBook.exposure: is not numeric, got {values!r}") from None
    if raw.dtype.kind not in "iuf":
        flat = raw.reshape(-1)
        for i, v in enumerate(flat):
            if raw.dtype.kind != "O" or not is_number(v):
                v = _plain(v)
                where = f"loan {i} has exposure {v!r}" if raw.ndim else f"got {v!r}"
                raise ValueError(f"LoanBook.exposure: {where}; exposures are numbers (yuan)")
    return raw.astype(np.float64)


def spread_days_past_due(state_names, state_codes, rng: np.random.Generator) -> np.ndarray | None:
    """Days past due for a synthetic book: a loan in a state named ``dpd_<lo>_<hi>`` is a
    whole number of days drawn uniformly over its bucket's days on 30-day months
    (``states.name_days``: 91-180 for ``dpd_91_180``), a loan in any other state 0; None
    when no state is so named.

    The rule (an assumption): uniform days are the steady state of a bucket whose loans
    neither cure nor roll before its last day; with the preset's exits from 91-180 (about
    4% a month) the steady state has about 4% fewer loans in each later month of it.
    """
    from .states import name_days

    ranges = [name_days(n) for n in state_names]
    if all(r is None for r in ranges):
        return None
    lo = np.array([r[0] if r else 0 for r in ranges])[state_codes]
    hi = np.array([r[1] if r else 0 for r in ranges])[state_codes]
    return (lo + np.floor(rng.random(state_codes.shape[0]) * (hi - lo + 1))).astype(np.int32)


def _days(values, n: int) -> np.ndarray:
    """Days past due as int32 (whole numbers >= 0, one per loan); a ValueError names the
    first loan whose value is not one."""
    raw = np.asarray(values) if not isinstance(values, (list, tuple)) else np.asarray(values, dtype=object)
    if raw.ndim != 1 or raw.shape[0] != n:
        raise ValueError(f"LoanBook.days_past_due: need one value per loan ({n}), got shape {raw.shape}")
    if raw.dtype.kind in "iu":
        ok = raw >= 0
    else:
        flat = [(_plain(v)) for v in raw]
        ok = np.array([is_number(v) and np.isfinite(float(v)) and float(v) >= 0 and float(v) == round(float(v))
                       for v in flat], dtype=bool)
    if not ok.all():
        i = int(np.flatnonzero(~ok)[0])
        raise ValueError(f"LoanBook.days_past_due: loan {i} has {_plain(raw[i])!r}; days past due are whole "
                         f"numbers >= 0")
    out = raw.astype(np.float64)
    if (out > 100_000).any():
        i = int(np.flatnonzero(out > 100_000)[0])
        raise ValueError(f"LoanBook.days_past_due: loan {i} has {_plain(raw[i])!r} days; at most 100,000")
    return np.ascontiguousarray(out.astype(np.int32))


def _count(field: str, n) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"LoanBook.{field}: need a whole number >= 1, got {n!r}")
    return int(n)


def _shares(field: str, spec) -> tuple[tuple[str, ...], np.ndarray]:
    if isinstance(spec, Mapping):
        names = tuple(spec)
        for k in names:
            if not is_number(spec[k]):
                raise ValueError(f"LoanBook.synthetic: {field} share of {k!r} must be a number >= 0, got "
                                 f"{_plain(spec[k])!r}")
        w = np.asarray([spec[k] for k in names], dtype=np.float64)
    elif isinstance(spec, (str, Sequence, np.ndarray)) and not isinstance(spec, bytes):
        names = (spec,) if isinstance(spec, str) else tuple(spec)
        w = np.ones(len(names))
    else:
        raise ValueError(f"LoanBook.synthetic: {field} must be a list of names or a mapping of name to share, "
                         f"got {spec!r}")
    for k in names:
        if not isinstance(k, str) or not k:
            raise ValueError(f"LoanBook.synthetic: {field} names must be non-empty strings, got {k!r}")
    if not names:
        raise ValueError(f"LoanBook.synthetic: {field} is empty")
    if len(set(names)) != len(names):
        raise ValueError(f"LoanBook.synthetic: {field} lists a name twice: {list(names)!r}")
    if not np.all(np.isfinite(w)) or (w < 0).any() or w.sum() <= 0:
        raise ValueError(f"LoanBook.synthetic: {field} shares must be >= 0 with a positive sum, got {dict(zip(names, w.tolist(), strict=True))!r}")
    return names, w / w.sum()
