"""Repayment schedules against an independent month-by-month amortisation in exact decimals."""

from decimal import ROUND_HALF_UP, Decimal, getcontext

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from creditsim.spec.schedule import RepaymentMethod as RM
from creditsim.spec.schedule import balance, instalment, payment, round_cents, schedule

getcontext().prec = 50


def _amortise(principal, annual_rate, term, method):
    """Month by month in 50-digit decimals: (payment, interest, principal, balance) rows."""
    p, r, n = Decimal(repr(principal)), Decimal(repr(annual_rate)) / 12, term
    if method == RM.EQUAL_INSTALMENT:
        a = p / n if r == 0 else p * r * (1 + r) ** n / ((1 + r) ** n - 1)
    rows, b = [], p
    for m in range(1, n + 1):
        interest = r * b
        if method == RM.EQUAL_INSTALMENT:
            princ = a - interest
        elif method == RM.EQUAL_PRINCIPAL:
            princ = p / n
        else:
            princ = p if m == n else Decimal(0)
        b -= princ
        rows.append((interest + princ, interest, princ, b))
    return rows


def _cents(d):
    return float(d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def test_round_cents_matches_decimal_rounding():
    for x in (0.125, 2.675, 888.4879, 1e6 / 3, 0.005):
        assert round_cents(x) == _cents(Decimal(repr(x)))


@given(principal=st.floats(1.0, 300_000.0).map(lambda x: round(x, 2)),
       rate=st.sampled_from([0.0, 0.0001, 0.07, 0.0912, 0.18, 0.36]),
       term=st.sampled_from([1, 3, 6, 12, 24, 36]),
       method=st.sampled_from(list(RM)))
def test_schedule_matches_amortisation_to_the_cent(principal, rate, term, method):
    """Within a micro-yuan of the exact decimal schedule, so every amount rounds to the same
    fen (but for an exact tie at half a fen, which binary floats cannot hold)."""
    ref = _amortise(principal, rate, term, method)
    got = schedule(principal, rate, term, method)
    for row, exact in zip(got, ref, strict=True):
        for name, value in zip(("payment", "interest", "principal", "balance"), exact, strict=True):
            assert abs(row[name] - float(value)) < 1e-6, (name, row[name], value)


@pytest.mark.parametrize("method", list(RM))
def test_principal_repaid_exactly_and_interest_is_the_scheduled_total(method):
    p, rate, n = 10_000.0, 0.12, 12
    s = schedule(p, rate, n, method)
    assert s["principal"].sum() == pytest.approx(p, abs=1e-8)
    assert s["balance"][-1] == 0.0
    assert s["payment"].sum() == pytest.approx(p + s["interest"].sum(), abs=1e-8)
    ref_interest = sum(float(r[1]) for r in _amortise(p, rate, n, method))
    assert s["interest"].sum() == pytest.approx(ref_interest, abs=1e-8)


def test_known_values():
    # 10,000 yuan, 12% a year, 12 months, equal instalments: 888.49 a month
    assert round_cents(instalment(10_000, 0.12, 12, RM.EQUAL_INSTALMENT)) == 888.49
    # equal principal: first month 833.33 + 100.00 interest; interest first: 100 a month
    assert round_cents(instalment(10_000, 0.12, 12, RM.EQUAL_PRINCIPAL)) == 933.33
    total, interest, princ = payment(10_000, 0.12, 12, RM.INTEREST_FIRST, np.array([1, 12, 13]))
    np.testing.assert_allclose(total, [100.0, 10_100.0, 0.0])


def test_vectorised_over_loans_and_months():
    p = np.array([5_000.0, 20_000.0, 1_000.0])
    rate = np.array([0.07, 0.18, 0.0])
    term = np.array([3, 6, 12])
    method = np.array([RM.EQUAL_INSTALMENT, RM.EQUAL_PRINCIPAL, RM.INTEREST_FIRST])
    month = np.array([2, 6, 13])
    b = balance(p, rate, term, method, month)
    for i in range(3):
        assert b[i] == pytest.approx(schedule(p[i], rate[i], term[i], method[i])["balance"][min(month[i], term[i]) - 1])
