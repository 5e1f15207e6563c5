"""A loan book in array form for one run (NumPy): each loan's segment and state as the
model's indices, its exposure in integer units of the run's money quantum, and with loan
terms its balance, rates, repayment method and instalments left (``LoanMoney``)."""

from __future__ import annotations

import math

import numpy as np

from ..spec.book import LoanBook
from ..spec.model import CreditModel
from ..spec.schedule import to_units
from .model import LoanMoney

__all__ = ["FEN", "EXPOSURE_QUANTUM", "MAX_UNITS", "resolve", "money_quantum", "loan_money", "exposure_units",
           "months_past_due", "day_range"]

#: The smallest amount paid or charged on a loan with terms (one fen, 0.01 yuan).
FEN = 0.01
#: The money unit of a book without terms whose exposures are at most 2**23 yuan: the
#: largest power of two yuan not above one fen (2**-7 = 0.0078125 yuan), so that sums of
#: exposures in yuan are exact.
EXPOSURE_QUANTUM = 2.0**-7
#: The most units of the quantum one loan's exposure may hold (a loan's amounts are int32:
#: the spare bit leaves room for what a loan with terms owes on top of its principal).
MAX_UNITS = 2**30


def resolve(book: LoanBook, model: CreditModel) -> tuple[np.ndarray, np.ndarray]:
    """Map the book's segment and state names to the model's indices (vectorised).

    A name no loan uses (an unused category of a pandas column) is not looked up; a name
    some loan uses and the model lacks is an error naming the first such loan.
    """
    seg_lut = _lookup("segment", book.segment_names, book.segment_codes, model.segment_index,
                      list(model.segment_names))
    st_lut = _lookup("state", book.state_names, book.state_codes, model.states.index,
                     list(model.states.names))
    return seg_lut[book.segment_codes], st_lut[book.state_codes]


def _lookup(field: str, names, codes: np.ndarray, find, known: list) -> np.ndarray:
    used = np.bincount(codes, minlength=len(names)) > 0
    lut = np.zeros(len(names), dtype=np.int32)
    for c, name in enumerate(names):
        if not used[c]:
            continue
        try:
            lut[c] = find(name)
        except ValueError:
            i = int(np.flatnonzero(codes == c)[0])
            raise ValueError(
                f"LoanBook.{field}: loan {i} has unknown {field} {name!r}; "
                f"the model's {field}s are {known!r}"
            ) from None
    return lut


def money_quantum(book: LoanBook, new_amounts: np.ndarray | None = None) -> float:
    """The run's money unit (yuan): the finest power of two of which every exposure is at
    most ``MAX_UNITS`` (2**30) units, but never finer than ``EXPOSURE_QUANTUM`` (2**-7
    yuan) without loan terms or one fen with them.

    Exposures are summed as exact integers of this quantum, so totals do not depend on the
    order of summation (chunking).  Every book whose exposures are at most 2**23 yuan
    (8,388,608) has the fixed quantum of its kind, 2**-7 yuan or the fen: its rounding does
    not depend on its largest loan.  A book with a larger loan has a coarser, power-of-two
    quantum, at most 2**-29 of its largest exposure (the rounding of one exposure is then at
    most 2**-30 of that).  With loan terms, balances and payments are in whole fen where
    they fit.

    ``new_amounts`` (yuan): the loans an origination plan lends, which must fit too.  They
    leave the book's quantum as it is unless one is larger than both 2**23 yuan and the
    book's largest exposure rounded up to a power of two, so the book's figures are the
    same with and without the plan.
    """
    floor = FEN if book.terms is not None else EXPOSURE_QUANTUM
    quantum = _fitting(book.exposure, floor)
    if new_amounts is not None:
        quantum = max(quantum, _fitting(np.asarray(new_amounts, dtype=np.float64), floor))
    return quantum


def _fitting(amounts: np.ndarray, floor: float) -> float:
    """The smallest power of two of which every amount is at most ``MAX_UNITS``, or
    ``floor`` where that is larger."""
    top = float(amounts.max()) if amounts.size else 0.0
    return floor if top <= 0 else max(math.ldexp(1.0, math.ceil(math.log2(top)) - 30), floor)


def exposure_units(book: LoanBook, quantum: float) -> np.ndarray:
    """Each loan's exposure in whole units of ``quantum`` (int32), halves away from zero
    (the package's one rounding convention)."""
    return to_units(book.exposure, quantum).astype(np.int32)


def loan_money(book: LoanBook, model: CreditModel, units: np.ndarray, terms=None) -> LoanMoney:
    """The kernel's per-loan money inputs for a book with loan terms (or for ``terms``, a
    ``LoanTerms`` of the same loans as ``units``)."""
    t = book.terms if terms is None else terms
    r = t.annual_rate / 12.0
    return LoanMoney(units, r.astype(np.float32), np.log1p(r).astype(np.float32),
                     (r * model.penalty_multiple).astype(np.float32), t.method.astype(np.int32),
                     (t.term - t.months_on_book).astype(np.int32))


def day_range(model: CreditModel, state: int) -> tuple[int, int]:
    """The days past due a loan in state ``state`` (index) may be: ``(30·(first − 1) + 1,
    30·last)`` for a state ``first``..``last`` months past due, ``(0, 0)`` for one not
    past due (a month is 30 days)."""
    first, last = model.states.past_due[state]
    return (0, 0) if first == 0 else (30 * (first - 1) + 1, 30 * last)


def months_past_due(book: LoanBook, model: CreditModel, st0: np.ndarray) -> np.ndarray | None:
    """Each loan's months past due at month 0 from the book's ``days_past_due`` (⌈days /
    30⌉, int32), or None where the book has none; a ValueError names the first loan whose
    days lie outside its state's range (``day_range``)."""
    days = book.days_past_due
    if days is None:
        return None
    k = len(model.states)
    lo, hi = (np.array(x) for x in zip(*(day_range(model, i) for i in range(k)), strict=True))
    bad = np.flatnonzero((days < lo[st0]) | (days > hi[st0]))
    if bad.size:
        i = int(bad[0])
        name = model.states.names[st0[i]]
        span = "0 (not past due)" if hi[st0[i]] == 0 else f"{lo[st0[i]]}-{hi[st0[i]]}"
        raise ValueError(f"LoanBook.days_past_due: loan {i} is {int(days[i])} days past due in state {name!r}, "
                         f"whose days past due are {span}")
    return ((days + 29) // 30).astype(np.int32)
