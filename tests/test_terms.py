"""Loan terms, books with terms (DataFrame, CSV) and the synthetic Jiebei-like book."""


import numpy as np
import pandas as pd
import pytest

import creditsim as cs
from creditsim import presets
from creditsim.spec.schedule import RepaymentMethod as RM
from creditsim.spec.schedule import balance, round_cents
from creditsim.spec.terms import LoanTerms
from helpers import raises


class TestLoanTermsValidation:
    def test_term_zero_names_the_loan_and_field(self):
        with raises("LoanTerms.term", "loan 1", "term 0.0", "whole number of months >= 1"):
            LoanTerms([1000, 2000], 0.1, [6, 0])

    def test_fractional_term(self):
        with raises("LoanTerms.term", "loan 0", "6.5"):
            LoanTerms([1000], 0.1, [6.5])

    @pytest.mark.parametrize("p", [0.0, -5.0, np.nan])
    def test_principal(self, p):
        with raises("LoanTerms.principal", "loan 1", "> 0"):
            LoanTerms([1000, p], 0.1, 6)

    def test_rate_given_in_percent_is_caught(self):
        with raises("LoanTerms.annual_rate", "loan 0", "12.0", "fractions a year"):
            LoanTerms([1000], 12.0, 6)

    def test_months_on_book_beyond_term(self):
        with raises("LoanTerms.months_on_book", "loan 0", "7", "from 0 to the loan's term"):
            LoanTerms([1000], 0.1, 6, months_on_book=7)

    def test_unknown_method_name_and_code(self):
        with raises("LoanTerms.method", "loan 1", "'balloon'", "equal_instalment"):
            LoanTerms([1000, 1000], 0.1, 6, method=["equal_principal", "balloon"])
        with raises("LoanTerms.method", "loan 0", "code 5"):
            LoanTerms([1000], 0.1, 6, method=np.array([5]))

    def test_lengths_must_agree(self):
        with raises("LoanTerms.term", "has 3 entries", "principal has 2"):
            LoanTerms([1000, 2000], 0.1, [3, 6, 12])

    def test_method_names_in_english_chinese_and_codes(self):
        t = LoanTerms([1000] * 5, 0.1, 6, method=["等额本息", "equal_principal", "先息后本", 1, RM.INTEREST_FIRST])
        np.testing.assert_array_equal(t.method, [0, 1, 2, 1, 2])


def test_outstanding_is_the_scheduled_balance():
    t = LoanTerms([12_000, 6_000, 3_000], [0.12, 0.18, 0.072], [12, 6, 3],
                  method=[0, 1, 2], months_on_book=[4, 6, 1])
    exact = balance(t.principal, t.annual_rate, t.term, t.method, t.months_on_book)
    np.testing.assert_array_equal(t.outstanding(), round_cents(exact))  # to the fen
    assert np.all(np.abs(t.outstanding() - exact) <= 0.005 + 1e-9) and exact[0] != np.round(exact[0], 2)
    assert t.outstanding()[1] == 0.0  # matured
    assert t.outstanding()[2] == 3_000  # interest first: all principal still owed


def test_book_from_dataframe_with_terms_and_no_exposure():
    df = pd.DataFrame({"segment": ["A", "B"], "state": ["current", "dpd_1_30"],
                       "principal": [10_000.0, 5_000.0], "annual_rate": [0.12, 0.09],
                       "term": [12, 6], "method": ["equal_instalment", "interest_first"],
                       "months_on_book": [3, 2]})
    book = cs.LoanBook.from_dataframe(df)
    np.testing.assert_allclose(book.exposure, book.terms.outstanding())
    assert book.exposure[1] == 5_000.0
    with raises("LoanBook.from_dataframe", "missing column 'term'"):
        cs.LoanBook.from_dataframe(df.drop(columns="term"))


def test_book_round_trips_through_csv(tmp_path):
    book = presets.jiebei_book(500, seed=3)
    path = tmp_path / "book.csv"
    book.to_dataframe().to_csv(path, index=False)
    back = cs.LoanBook.from_csv(path)
    assert back.fingerprint() == book.fingerprint()


def test_jiebei_book_is_reproducible_and_within_its_ranges():
    n = 200_000
    a, b = presets.jiebei_book(n, seed=1), presets.jiebei_book(n, seed=1)
    assert a.fingerprint() == b.fingerprint()
    assert presets.jiebei_book(n, seed=2).fingerprint() != a.fingerprint()
    t = a.terms
    assert t.principal.min() >= 1_000 and t.principal.max() <= 300_000
    # median 10,000: the sample median of log amounts has standard error 1.2533/sqrt(n)
    assert abs(np.log(np.median(t.principal) / 10_000)) <= 5 * 1.2533 / np.sqrt(n)
    assert set(np.unique(t.term)) == {3, 6, 12}
    for months, share in presets.JIEBEI_TERMS.items():
        assert abs((t.term == months).mean() - share) <= 5 * np.sqrt(share * (1 - share) / n)
    assert np.all(t.months_on_book < t.term)
    rates = dict(zip(a.segment_names, [presets.JIEBEI_RATES[s] for s in a.segment_names], strict=True))
    np.testing.assert_array_equal(t.annual_rate, np.array([rates[s] for s in a.segment_names])[a.segment_codes])
    np.testing.assert_allclose(a.exposure, t.outstanding())
    new = presets.jiebei_book(1000, seed=1, seasoned=False)
    assert np.all(new.terms.months_on_book == 0)
    np.testing.assert_allclose(new.exposure, new.terms.principal)


def test_a_jiebei_book_simulates():
    book = presets.jiebei_book(5_000, seed=4)
    ds = cs.simulate(presets.demo_model(), book, horizon=3, scenarios=2, seed=0)
    assert float(ds.initial_exposure.sum()) == pytest.approx(book.total_exposure)
