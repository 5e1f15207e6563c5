"""Repayment schedules of consumer instalment loans, in closed form and vectorised.

Three repayment methods, as offered by Jiebei-like cash loans:

- ``EQUAL_INSTALMENT`` (等额本息): the same payment every month, A = P·r(1+r)ⁿ / ((1+r)ⁿ − 1);
- ``EQUAL_PRINCIPAL`` (等额本金): the same principal P/n every month plus interest on the
  balance, so payments fall over the term;
- ``INTEREST_FIRST`` (先息后本): interest only, r·P, each month and the principal with the
  last payment.

The monthly rate is the annual rate divided by 12 (the convention of Chinese consumer
credit).  Every function takes NumPy arrays (one entry per loan; the month may be an array
too) and returns float64 amounts in the loan's currency, unrounded: rounding to the fen is
the caller's choice (``round_cents``).  A rate of 0 is allowed (interest-free loans).
"""

from __future__ import annotations

from enum import IntEnum

import numpy as np

__all__ = ["RepaymentMethod", "monthly_rate", "instalment", "balance", "payment", "schedule",
           "round_cents", "round_half_away", "to_fen", "to_units"]


class RepaymentMethod(IntEnum):
    """How a loan repays; stored per loan as a small integer code."""

    EQUAL_INSTALMENT = 0  # 等额本息
    EQUAL_PRINCIPAL = 1  # 等额本金
    INTEREST_FIRST = 2  # 先息后本


def _checked(owner: str, *, one: bool = False, **args) -> list[np.ndarray]:
    """The arguments named (``principal``, ``annual_rate``, ``term``, ``method``,
    ``month``) as arrays, float64 and method codes, after checking them: a ValueError names
    ``owner``, the argument and its first bad value.  ``one``: single values only."""
    from .terms import MAX_ANNUAL_RATE, _first_bad, _methods, _numbers

    rules = {
        "principal": (lambda x: ~np.isfinite(x) | (x <= 0), "must be a finite amount > 0"),
        "annual_rate": (lambda x: ~np.isfinite(x) | (x < 0) | (x > MAX_ANNUAL_RATE),
                        f"must be a fraction a year (0.12 = 12%) in [0, {MAX_ANNUAL_RATE:g}]"),
        "term": (lambda x: ~np.isfinite(x) | (x < 1) | (x != np.round(x)), "must be a whole number >= 1"),
        "month": (lambda x: ~np.isfinite(x) | (x < 0) | (x != np.round(x)), "must be a whole number >= 0"),
    }
    out = []
    for name, v in args.items():
        if name == "method":
            a = _methods(v, None, owner)
        else:
            a = _numbers(name, v, owner=owner)
            bad, rule = rules[name]
            _first_bad(name, np.asarray(v), bad(a), rule, owner, "entry" if name == "month" else "loan")
        if one and a.ndim:
            raise ValueError(f"{owner}: {name} must be a single value (one loan), got shape {a.shape}")
        out.append(a)
    try:
        np.broadcast_shapes(*(a.shape for a in out))
    except ValueError:
        shapes = ", ".join(f"{name} {a.shape}" for name, a in zip(args, out, strict=True))
        raise ValueError(f"{owner}: the arguments' shapes do not broadcast together: {shapes}") from None
    return out


def monthly_rate(annual_rate):
    """Monthly rate r = annual rate / 12."""
    (r,) = _checked("schedule.monthly_rate", annual_rate=annual_rate)
    return r / 12.0


def _growth(r, m):
    """((1+r)^m, ((1+r)^m − 1)/r) with the r → 0 limit (m) handled, computed with expm1/log1p
    so that small rates keep their precision."""
    r = np.asarray(r, dtype=np.float64)
    m = np.asarray(m, dtype=np.float64)
    lg = np.log1p(r)
    g = np.exp(m * lg)
    with np.errstate(invalid="ignore", divide="ignore"):
        annuity = np.where(r == 0, m, np.expm1(m * lg) / np.where(r == 0, 1.0, r))
    return g, annuity


def instalment(principal, annual_rate, term, method):
    """The first month's payment of each loan (for equal instalments, every month's)."""
    args = _checked("schedule.instalment", principal=principal, annual_rate=annual_rate, term=term,
                    method=method)
    return _payment(*args, 1.0)[0]


def balance(principal, annual_rate, term, method, month):
    """Outstanding principal after ``month`` payments (0 ≤ month ≤ term; 0 at and after
    the term)."""
    return _balance(*_checked("schedule.balance", principal=principal, annual_rate=annual_rate, term=term,
                              method=method, month=month))


def _balance(principal, annual_rate, term, method, month):
    p = np.asarray(principal, dtype=np.float64)
    n = np.asarray(term, dtype=np.float64)
    m = np.clip(np.asarray(month, dtype=np.float64), 0, n)
    r = np.asarray(annual_rate, dtype=np.float64) / 12.0
    method = np.asarray(method)
    g_m, a_m = _growth(r, m)
    g_n, a_n = _growth(r, n)
    # equal instalment: B_m = P(1+r)^m − A·((1+r)^m − 1)/r, with A = P(1+r)^n / a_n
    b_ei = p * g_m - (p * g_n / a_n) * a_m
    b_ep = p * (1.0 - m / n)
    b_if = np.where(m < n, p, 0.0)
    out = np.select([method == RepaymentMethod.EQUAL_INSTALMENT, method == RepaymentMethod.EQUAL_PRINCIPAL],
                    [b_ei, b_ep], b_if)
    return np.where(m >= n, 0.0, np.maximum(out, 0.0))


def payment(principal, annual_rate, term, method, month):
    """The scheduled payment in month ``month`` (1..term; 0 outside), split into
    ``(total, interest, principal)``."""
    return _payment(*_checked("schedule.payment", principal=principal, annual_rate=annual_rate, term=term,
                              method=method, month=month))


def _payment(principal, annual_rate, term, method, month):
    p = np.asarray(principal, dtype=np.float64)
    n = np.asarray(term, dtype=np.float64)
    month = np.asarray(month, dtype=np.float64)
    r = np.asarray(annual_rate, dtype=np.float64) / 12.0
    before = _balance(p, annual_rate, n, method, month - 1)
    after = _balance(p, annual_rate, n, method, month)
    due = (month >= 1) & (month <= n)
    interest = np.where(due, r * before, 0.0)
    princ = np.where(due, before - after, 0.0)
    return interest + princ, interest, princ


def schedule(principal: float, annual_rate: float, term: int, method) -> np.ndarray:
    """The whole schedule of one loan as a structured array with one row per month 1..term:
    ``month, payment, interest, principal, balance`` (balance after the payment)."""
    p, r, n, meth = _checked("schedule.schedule", one=True, principal=principal, annual_rate=annual_rate,
                             term=term, method=method)
    months = np.arange(1, int(n) + 1)
    total, interest, princ = _payment(p, r, n, meth, months)
    out = np.zeros(months.size, dtype=[("month", "i4"), ("payment", "f8"), ("interest", "f8"),
                                       ("principal", "f8"), ("balance", "f8")])
    out["month"], out["payment"], out["interest"], out["principal"] = months, total, interest, princ
    out["balance"] = _balance(p, r, n, meth, months)
    return out


def round_half_away(x):
    """The nearest whole number, halves away from zero (四舍五入, the rounding of Chinese
    banking practice): the one rounding convention of the package, used for every amount
    the engine pays, charges or converts to money units."""
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    f = np.floor(a)
    with np.errstate(invalid="ignore"):  # NaN and infinities stay as they are
        return np.where(np.isfinite(x), np.sign(x) * (f + (a - f >= 0.5)), x)


def to_fen(x):
    """Amounts in yuan as whole fen (0.01 yuan), int64, halves away from zero.

    An amount written in decimal but stored in binary (1234.565 is 1234.56499999... as a
    float) is first taken to 1e-4 fen, so that it rounds as its decimal does (to 123457
    fen); amounts computed by arithmetic move by at most that much.
    """
    fen = _fen(x)
    bad = ~np.isfinite(fen) | (np.abs(fen) >= 2.0**62)
    if np.any(bad):
        i = int(np.flatnonzero(bad.reshape(-1))[0])
        raise ValueError(f"schedule.to_fen: amounts must be finite and below 4.6e16 yuan, got "
                         f"{float(np.asarray(x, dtype=np.float64).reshape(-1)[i])!r}")
    return fen.astype(np.int64)


def _fen(x):
    return round_half_away(np.round(np.asarray(x, dtype=np.float64) * 100.0, 4))


def to_units(x, quantum: float):
    """Amounts in yuan in whole money units of ``quantum`` yuan (int64), halves away from
    zero: ``to_fen`` for the fen, else ``x / quantum`` rounded (a power-of-two quantum
    divides exactly)."""
    if quantum == 0.01:
        return to_fen(x)
    return round_half_away(np.asarray(x, dtype=np.float64) / quantum).astype(np.int64)


def round_cents(x):
    """Round amounts to the fen (0.01 yuan), halves away from zero as ``to_fen`` does;
    NaN and infinities stay as they are."""
    return _fen(x) / 100.0
