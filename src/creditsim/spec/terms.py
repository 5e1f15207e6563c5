"""Loan terms as columns: principal, rate, term, repayment method and months on book."""

from __future__ import annotations

import decimal
import numbers
from dataclasses import dataclass

import numpy as np

from .schedule import RepaymentMethod, balance, payment, round_cents

__all__ = ["LoanTerms", "METHOD_NAMES", "MAX_ANNUAL_RATE"]

#: Names accepted for each repayment method (English and Chinese).
METHOD_NAMES: dict[str, RepaymentMethod] = {
    "equal_instalment": RepaymentMethod.EQUAL_INSTALMENT,
    "equal_installment": RepaymentMethod.EQUAL_INSTALMENT,
    "等额本息": RepaymentMethod.EQUAL_INSTALMENT,
    "equal_principal": RepaymentMethod.EQUAL_PRINCIPAL,
    "等额本金": RepaymentMethod.EQUAL_PRINCIPAL,
    "interest_first": RepaymentMethod.INTEREST_FIRST,
    "先息后本": RepaymentMethod.INTEREST_FIRST,
}
#: Highest annual rate accepted (a fraction: 1.0 = 100% a year).  Rates are fractions, so a
#: rate given in percent (12 for 12%) is caught.  China's courts cap private lending at four
#: times the loan prime rate, far below this.
MAX_ANNUAL_RATE = 1.0


def _column(field: str, values, n: int | None, dtype) -> np.ndarray:
    a = _numbers(field, values, dtype)
    if a.ndim == 0 and n is not None:
        a = np.full(n, a, dtype=dtype)
    if a.ndim != 1:
        raise ValueError(f"LoanTerms.{field}: must be 1-D (one value per loan), got shape {a.shape}")
    if n is not None and a.shape[0] != n:
        raise ValueError(f"LoanTerms.{field}: has {a.shape[0]} entries, principal has {n}")
    return a


def is_number(v) -> bool:
    """A real number (int, float, NumPy number, ``decimal.Decimal``, ``fractions.Fraction``:
    what a CSV or Parquet money column may hold), not a bool or a string."""
    return isinstance(v, (numbers.Real, decimal.Decimal)) and not isinstance(v, (bool, np.bool_))


def _numbers(field: str, values, dtype=np.float64, owner: str | None = None) -> np.ndarray:
    """``values`` as an array of ``dtype``, any shape; a ValueError names the first entry
    that is not a number (a string, a bool, None).  ``owner``: as ``_first_bad``."""
    try:  # a list as objects, so that a bool or a string among numbers is not converted
        raw = np.asarray(values, dtype=object) if isinstance(values, (list, tuple)) else np.asarray(values)
    except (TypeError, ValueError):  # ragged nested lists
        where = f"LoanTerms.{field}:" if owner is None else f"{owner}: {field}"
        raise ValueError(f"{where} is not numeric, got {values!r}") from None
    kind = raw.dtype.kind
    if kind not in "iuf":
        if kind == "O":
            bad = np.array([not is_number(x) for x in raw.reshape(-1)], dtype=bool).reshape(raw.shape)
        else:  # bools, strings, complex numbers, dates
            bad = np.ones(raw.shape, dtype=bool)
        _first_bad(field, raw, bad, "must be a number" if owner else f"{field} must be a number", owner)
    return raw.astype(dtype)


def _first_bad(field: str, values: np.ndarray, bad: np.ndarray, rule: str, owner: str | None = None,
               item: str = "loan") -> None:
    """A ValueError for the first entry of ``values`` where ``bad`` holds, if any.

    Without ``owner``, LoanTerms' message (``LoanTerms.<field>: loan <i> has <field> <v>;
    <rule>``); with it, ``<owner>: <field> <rule>, got <v> (<item> <i>)``, the position left
    out for a single value."""
    idx = np.flatnonzero(bad)
    if idx.size:
        i = int(idx[0])
        v = np.reshape(values, -1)[i]
        v = v.item() if isinstance(v, np.generic) else v
        if owner is None:
            raise ValueError(f"LoanTerms.{field}: loan {i} has {field} {v!r}; {rule}")
        at = f" ({item} {i})" if np.ndim(values) else ""
        raise ValueError(f"{owner}: {field} {rule}, got {v!r}{at}")


def _methods(values, n: int | None, owner: str | None = None) -> np.ndarray:
    """Repayment method codes (int8): one per loan, ``n`` of them (a single value is every
    loan's); with ``owner`` (see ``_first_bad``), of the shape of ``values``."""
    listed = isinstance(values, (list, tuple))
    if owner is None and (isinstance(values, (str, RepaymentMethod)) or np.ndim(values) == 0):
        values = [values] * n
    try:
        num = np.asarray(values)
    except (TypeError, ValueError):  # ragged nested lists
        where = "LoanTerms.method:" if owner is None else f"{owner}: method"
        raise ValueError(f"{where} is not a list of repayment methods, got {values!r}") from None
    if owner is None and (num.ndim != 1 or num.shape[0] != n):
        raise ValueError(f"LoanTerms.method: need one method per loan ({n}), got shape {num.shape}")
    if num.dtype.kind in "iu" and not (listed and any(isinstance(x, (bool, np.bool_)) for x in values)):
        # codes: the fast path
        bad = (num < 0) | (num > max(RepaymentMethod))
        if owner is not None:
            _first_bad("method", num, bad, "must be a repayment method code 0, 1 or 2 (or its name)", owner)
        elif bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise ValueError(f"LoanTerms.method: loan {i} has unknown repayment method code "
                             f"{int(num[i])}; codes are 0, 1, 2")
        return num.astype(np.int8)
    a = np.asarray(values, dtype=object).reshape(num.shape)
    uniq, inverse = np.unique(a.astype(str).reshape(-1), return_inverse=True)
    inverse = inverse.reshape(-1)
    codes = np.empty(uniq.size, dtype=np.int8)
    valid = {str(int(m)): m for m in RepaymentMethod} | {m.name.lower(): m for m in RepaymentMethod}
    valid |= {f"RepaymentMethod.{m.name}": m for m in RepaymentMethod} | METHOD_NAMES
    keys = [name if name in METHOD_NAMES else name.lower() for name in uniq]
    unknown = np.array([key not in valid for key in keys], dtype=bool)[inverse]
    if owner is not None:
        _first_bad("method", a, unknown.reshape(a.shape),
                   f"must be one of {sorted(set(METHOD_NAMES))!r} or 0, 1, 2", owner)
    elif unknown.any():
        i = int(np.flatnonzero(unknown)[0])
        raise ValueError(
            f"LoanTerms.method: loan {i} has unknown repayment method {a[i]!r}; use one of "
            f"{sorted(set(METHOD_NAMES))!r} or 0, 1, 2"
        )
    for j, key in enumerate(keys):
        codes[j] = int(valid[key])
    return codes[inverse].reshape(a.shape)


@dataclass(frozen=True, eq=False)
class LoanTerms:
    """The contract of each loan, as columns (one entry per loan).

    Parameters
    ----------
    principal
        Amount lent, yuan, > 0.
    annual_rate
        Contract rate a year as a fraction (0.12 = 12%), in [0, ``MAX_ANNUAL_RATE``].  The
        monthly rate is annual / 12.
    term
        Months, a whole number >= 1 (3, 6 and 12 are Jiebei's usual terms; any works).
    method
        Repayment method per loan or one for all: a ``creditsim.schedule.RepaymentMethod``,
        its code 0/1/2, or a name in ``METHOD_NAMES`` (``"equal_instalment"`` 等额本息,
        ``"equal_principal"`` 等额本金, ``"interest_first"`` 先息后本).  Default equal
        instalments.
    months_on_book
        Scheduled payments already due, 0 <= months_on_book <= term.  Default 0 (new loans).
    """

    principal: np.ndarray
    annual_rate: np.ndarray
    term: np.ndarray
    method: np.ndarray
    months_on_book: np.ndarray

    def __init__(self, principal, annual_rate, term, method=RepaymentMethod.EQUAL_INSTALMENT,
                 months_on_book=0):
        p = _column("principal", principal, None, np.float64)
        n = p.shape[0]
        if n < 1:
            raise ValueError(f"LoanTerms.principal: no loans (one amount per loan), got {principal!r}")
        _first_bad("principal", p, ~np.isfinite(p) | (p <= 0), "principal must be a finite amount > 0")
        r = _column("annual_rate", annual_rate, n, np.float64)
        _first_bad("annual_rate", r, ~np.isfinite(r) | (r < 0) | (r > MAX_ANNUAL_RATE),
                   f"rates are fractions a year (0.12 = 12%) in [0, {MAX_ANNUAL_RATE:g}]")
        t_raw = _column("term", term, n, np.float64)
        _first_bad("term", t_raw, ~np.isfinite(t_raw) | (t_raw < 1) | (t_raw != np.round(t_raw)),
                   "the term is a whole number of months >= 1")
        t = t_raw.astype(np.int32)
        m_raw = _column("months_on_book", months_on_book, n, np.float64)
        _first_bad("months_on_book", m_raw,
                   ~np.isfinite(m_raw) | (m_raw < 0) | (m_raw != np.round(m_raw)) | (m_raw > t),
                   "months on book is a whole number from 0 to the loan's term")
        meth = _methods(method, n)
        for name, val in (("principal", p), ("annual_rate", r), ("term", t), ("method", meth),
                          ("months_on_book", m_raw.astype(np.int32))):
            val = np.ascontiguousarray(val)
            val.setflags(write=False)
            object.__setattr__(self, name, val)

    def __len__(self) -> int:
        return int(self.principal.shape[0])

    def outstanding(self) -> np.ndarray:
        """Scheduled principal outstanding after ``months_on_book`` payments, yuan, rounded
        to the fen, halves up (the engine owes, pays and charges whole fen; rounded, a book's exposures
        are also the same bit for bit on every CPU, whose vectorised ``exp`` and ``power``
        may differ in the last bit)."""
        return round_cents(balance(self.principal, self.annual_rate, self.term, self.method, self.months_on_book))

    def next_payment(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The next scheduled payment ``(total, interest, principal)``; zero at maturity."""
        return payment(self.principal, self.annual_rate, self.term, self.method, self.months_on_book + 1)

    def take(self, index) -> LoanTerms:
        """The terms of the loans at ``index`` (an integer array or a boolean mask)."""
        return LoanTerms(self.principal[index], self.annual_rate[index], self.term[index],
                         self.method[index], self.months_on_book[index])
