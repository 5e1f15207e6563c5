"""The spec layer: every validation error names the field, the place and the bad value.

Each bad input must raise ``ValueError`` with a message that says *which* field is wrong,
*where* (segment, state, loan, month, level...) and *what* the bad value is.  The positive
cases check that a minimal two-state model runs end to end, that the spec objects are
immutable and that a model survives ``to_dict`` / ``from_dict``.

Everything here is tiny (a few loans, horizon <= 3, scenarios <= 3).
"""

from __future__ import annotations

import dataclasses
import json
import re

import numpy as np
import pandas as pd
import pytest
import xarray as xr

import creditsim as cs
from creditsim import CreditModel, LoanBook, MacroFactor, Segment, StateSpace

TWO = ["current", "charged_off"]
GOOD2 = [[0.9, 0.1], [0.0, 1.0]]


def msg(*parts: str) -> str:
    """A regex that finds the literal ``parts`` in this order in a message."""
    return ".*".join(re.escape(p) for p in parts)


def raises(*parts: str):
    return pytest.raises(ValueError, match=msg(*parts))


def three_state_space() -> StateSpace:
    return StateSpace(["current", "late", "charged_off"])


def three_matrix() -> list[list[float]]:
    return [[0.90, 0.08, 0.02], [0.30, 0.50, 0.20], [0.0, 0.0, 1.0]]


def two_model(**seg) -> CreditModel:
    return CreditModel(StateSpace(TWO), [Segment("A", GOOD2, **seg)])


def book(segments=("A",) * 4, states=("current",) * 4, exposure=100.0) -> LoanBook:
    return LoanBook(np.array(segments), np.array(states), exposure)


def tiny_loss_dataset(s: int = 10) -> xr.Dataset:
    return xr.Dataset(
        {
            "loss": ("scenario", np.arange(s, dtype=float), {"units": "CNY"}),
            "loss_by_segment": (("scenario", "segment"), np.ones((s, 2))),
        },
        coords={"scenario": np.arange(s), "segment": ["A", "B"]},
    )


# --------------------------------------------------------------------------- StateSpace


class TestStateSpace:
    def test_too_few_states(self):
        with raises("StateSpace.names", "at least 2 states", "['current']"):
            StateSpace(["current"])

    def test_single_string_is_one_state(self):
        with raises("StateSpace.names", "at least 2 states", "['current']"):
            StateSpace("current")

    def test_duplicate_state(self):
        with raises("StateSpace.names", "'late'", "listed twice"):
            StateSpace(["current", "late", "late", "charged_off"])

    @pytest.mark.parametrize("bad", ["", 3, None])
    def test_name_not_a_non_empty_string(self, bad):
        with raises("StateSpace.names", "non-empty string", f"got {bad!r}"):
            StateSpace(["current", bad])

    def test_absorbing_entry_not_a_string(self):
        with raises("StateSpace.absorbing", "non-empty string", "got 7"):
            StateSpace(TWO, [7])

    def test_unknown_absorbing(self):
        with raises("StateSpace.absorbing", "unknown state 'defaulted'", "['current', 'charged_off']"):
            StateSpace(TWO, ["defaulted"])

    def test_unknown_charge_off(self):
        with raises("StateSpace.charge_off", "unknown state 'written_off'", "['current', 'charged_off']"):
            StateSpace(TWO, charge_off="written_off")

    def test_unknown_paid_off(self):
        with raises("StateSpace.paid_off", "unknown state 'repaid'", "['current', 'charged_off']"):
            StateSpace(TWO, paid_off="repaid")

    def test_charge_off_must_be_absorbing(self):
        with raises("StateSpace.charge_off", "'charged_off'", "must be absorbing", "absorbing states are ['late']"):
            StateSpace(["current", "late", "charged_off"], ["late"])

    def test_paid_off_must_be_absorbing(self):
        with raises("StateSpace.paid_off", "'paid_off'", "must be absorbing", "['charged_off']"):
            StateSpace(["paid_off", "current", "charged_off"], ["charged_off"])

    def test_charge_off_and_paid_off_the_same(self):
        with raises("StateSpace", "charge_off and paid_off", "same state 'gone'"):
            StateSpace(["current", "gone"], charge_off="gone", paid_off="gone")

    def test_index_unknown_names_field_and_value(self):
        with raises("my.field", "unknown state 'nope'", "['current', 'charged_off']"):
            StateSpace(TWO).index("nope", field="my.field")

    def test_defaults(self):
        s = StateSpace(TWO)
        assert s.names == ("current", "charged_off")
        assert s.absorbing == ("charged_off",)
        assert s.charge_off == "charged_off" and s.paid_off is None
        assert s.transient == ("current",)
        full = StateSpace()
        assert full.names == cs.DEFAULT_STATES
        assert full.absorbing == ("paid_off", "charged_off")


# --------------------------------------------------------------------------- Segment


class TestSegment:
    @pytest.mark.parametrize("bad", ["", None, 3])
    def test_bad_name(self, bad):
        with raises("Segment.name", "non-empty string", f"got {bad!r}"):
            Segment(bad, GOOD2)

    def test_matrix_not_numeric(self):
        with raises("Segment 'A'", "matrix is not numeric", "'x'"):
            Segment("A", [["x", 0.1], [0.0, 1.0]])

    def test_ragged_matrix(self):
        with raises("Segment 'A'", "matrix is not numeric"):
            Segment("A", [[0.9, 0.1], [1.0]])

    def test_matrix_not_square(self):
        with raises("Segment 'A'", "matrix must be square", "shape (2, 3)"):
            Segment("A", [[0.9, 0.1, 0.0], [0.0, 0.0, 1.0]])

    def test_matrix_one_dimensional(self):
        with raises("Segment 'A'", "matrix must be square", "shape (2,)"):
            Segment("A", [0.9, 0.1])

    @pytest.mark.parametrize(
        "rho, shown",
        [(-0.1, "-0.1"), (1.0, "1.0"), (float("nan"), "nan"), (1.5, "1.5"), (np.float64(1.0), "1.0"),
         (float("inf"), "inf"), ("0.2", "'0.2'"), (True, "True")],
    )
    def test_rho_outside_unit_interval(self, rho, shown):
        with raises("Segment 'A'", "rho must be in [0, 1)", f"got {shown}"):
            Segment("A", GOOD2, rho=rho)

    def test_rho_message_shows_plain_number(self):
        with pytest.raises(ValueError) as e:
            Segment("A", GOOD2, rho=np.float64(1.0))
        assert "np.float64" not in str(e.value)

    def test_rho_bounds(self):
        assert Segment("A", GOOD2, rho=0).rho == 0.0
        assert Segment("A", GOOD2, rho=np.float32(0.5)).rho == 0.5
        assert Segment("A", GOOD2, rho=0.999).rho == 0.999


# --------------------------------------------------------------------------- MacroFactor


class TestMacroFactor:
    @pytest.mark.parametrize(
        "phi, shown", [(1.0, "1.0"), (-1.0, "-1.0"), (1.5, "1.5"), (float("nan"), "nan"),
                       (np.float64(-2.0), "-2.0"), ("0.5", "'0.5'"), (True, "True")]
    )
    def test_phi_outside(self, phi, shown):
        with raises("MacroFactor.phi", "|phi| < 1", f"got {shown}"):
            MacroFactor(phi=phi)

    @pytest.mark.parametrize("bad, shown", [(float("nan"), "nan"), (float("inf"), "inf"), (-np.inf, "-inf")])
    def test_path_non_finite(self, bad, shown):
        with raises("MacroFactor.path", "month 3", f"non-finite value {shown}"):
            MacroFactor(path=[0.0, -1.0, bad])

    def test_path_non_finite_message_shows_plain_number(self):
        with pytest.raises(ValueError) as e:
            MacroFactor(path=[np.nan])
        assert "np.float64" not in str(e.value)

    def test_path_not_1d(self):
        with raises("MacroFactor.path", "1-D", "shape (2, 2)"):
            MacroFactor(path=[[0.0, 1.0], [1.0, 0.0]])

    def test_path_empty(self):
        with raises("MacroFactor.path", "1-D", "shape (0,)"):
            MacroFactor(path=[])

    def test_path_not_numeric(self):
        with raises("MacroFactor.path", "not numeric", "'bad'"):
            MacroFactor(path=[0.0, "bad"])


# --------------------------------------------------------------------------- CreditModel


class TestCreditModel:
    def test_row_does_not_sum_to_one(self):
        with raises("Segment 'A'", "state 'current'", "row sums to 0.9", "not 1"):
            CreditModel(StateSpace(TWO), [Segment("A", [[0.5, 0.4], [0.0, 1.0]])])

    def test_row_sum_names_the_right_segment_and_state(self):
        good = Segment("good", three_matrix())
        m = three_matrix()
        m[1] = [0.3, 0.5, 0.3]
        with raises("Segment 'bad'", "state 'late'", "row sums to 1.1", "not 1"):
            CreditModel(three_state_space(), [good, Segment("bad", m)])

    def test_row_sum_within_tolerance_is_fine(self):
        m = [[0.9, 0.1 + 1e-12], [0.0, 1.0]]
        CreditModel(StateSpace(TWO), [Segment("A", m)])

    def test_negative_probability(self):
        with raises("Segment 'A'", "state 'current'", "probability to 'charged_off'", "negative (-0.1)"):
            CreditModel(StateSpace(TWO), [Segment("A", [[1.1, -0.1], [0.0, 1.0]])])

    @pytest.mark.parametrize("bad, shown", [(float("nan"), "nan"), (float("inf"), "inf")])
    def test_non_finite_probability(self, bad, shown):
        m = three_matrix()
        m[1][0] = bad
        with raises("Segment 'A'", "state 'late'", "probability to 'current'", f"is {shown}", "not a finite number"):
            CreditModel(three_state_space(), [Segment("A", m)])

    def test_probability_messages_show_plain_numbers(self):
        with pytest.raises(ValueError) as e:
            CreditModel(StateSpace(TWO), [Segment("A", [[1.1, -0.1], [0.0, 1.0]])])
        assert "np.float64" not in str(e.value)

    def test_matrix_shape_does_not_match_states(self):
        with raises("Segment 'A'", "matrix has shape (2, 2)", "state space has 3 states",
                    "['current', 'late', 'charged_off']"):
            CreditModel(three_state_space(), [Segment("A", GOOD2)])

    def test_matrix_shape_does_not_match_default_states(self):
        with raises("Segment 'A'", "shape (2, 2)", "9 states"):
            CreditModel(segments=[Segment("A", GOOD2)])

    def test_absorbing_row_leaves(self):
        with raises("Segment 'A'", "state 'charged_off'", "absorbing", "leaves it", "{'current': 0.1}"):
            CreditModel(StateSpace(TWO), [Segment("A", [[0.9, 0.1], [0.1, 0.9]])])

    def test_user_absorbing_state_row_leaves(self):
        states = StateSpace(["current", "late", "charged_off"], ["late", "charged_off"])
        with raises("Segment 'A'", "state 'late'", "absorbing", "{'current': 0.3, 'charged_off': 0.2}"):
            CreditModel(states, [Segment("A", three_matrix())])

    def test_duplicate_segment_names(self):
        with raises("CreditModel.segments", "segment name 'A'", "used twice"):
            CreditModel(StateSpace(TWO), [Segment("A", GOOD2), Segment("B", GOOD2), Segment("A", GOOD2)])

    def test_no_segments(self):
        with raises("CreditModel.segments", "at least one Segment"):
            CreditModel(StateSpace(TWO), [])

    def test_segment_not_a_segment(self):
        with raises("CreditModel.segments", "need Segment objects", "got 'A'"):
            CreditModel(StateSpace(TWO), ["A"])

    def test_states_not_a_state_space(self):
        with raises("CreditModel.states", "need a StateSpace", "got list"):
            CreditModel(TWO, [Segment("A", GOOD2)])

    def test_macro_not_a_macro_factor(self):
        with raises("CreditModel.macro", "need a MacroFactor", "got float"):
            CreditModel(StateSpace(TWO), [Segment("A", GOOD2)], macro=0.5)

    def test_unknown_segment_lookup(self):
        model = two_model()
        with raises("segment", "unknown segment 'Z'", "['A']"):
            model.segment("Z")

    def test_single_segment_is_accepted(self):
        model = CreditModel(StateSpace(TWO), Segment("A", GOOD2))
        assert model.segment_names == ("A",)


# --------------------------------------------------------------------------- LoanBook


class TestLoanBook:
    @pytest.mark.parametrize("bad, shown", [(-5.0, "-5.0"), (float("nan"), "nan"), (float("inf"), "inf")])
    def test_bad_exposure_names_loan_and_value(self, bad, shown):
        with raises("LoanBook.exposure", "loan 2", f"exposure {shown}", "finite and >= 0"):
            book(exposure=[10.0, 20.0, bad, 40.0])

    def test_exposure_message_shows_plain_number(self):
        with pytest.raises(ValueError) as e:
            book(exposure=[10.0, -1.0, 1.0, 1.0])
        assert "np.float64" not in str(e.value)

    def test_scalar_bad_exposure(self):
        with raises("LoanBook.exposure", "loan 0", "exposure -1.0"):
            book(exposure=-1.0)

    def test_exposure_length(self):
        with raises("LoanBook.exposure", "has 3 entries", "segment has 4"):
            book(exposure=[1.0, 2.0, 3.0])

    def test_state_length(self):
        with raises("LoanBook.state", "has 3 entries", "segment has 4"):
            book(states=("current",) * 3)

    def test_required_columns(self):
        with raises("LoanBook", "segment, state and exposure", "required"):
            LoanBook(segment=["A"], state=["current"])

    def test_empty_book(self):
        with raises("LoanBook", "no loans"):
            LoanBook(np.array([], dtype=str), np.array([], dtype=str), [])

    def test_labels_not_names(self):
        with raises("LoanBook.segment", "names (strings)", "dtype int64"):
            LoanBook(np.array([1, 2], dtype=np.int64), ["current", "current"], [1.0, 1.0])

    def test_labels_not_1d(self):
        with raises("LoanBook.state", "1-D", "shape (1, 2)"):
            LoanBook(["A", "A"], [["current", "current"]], [1.0, 1.0])

    @pytest.mark.parametrize("missing, shown", [(None, "None"), (float("nan"), "nan"), (pd.NA, "<NA>")])
    def test_missing_label(self, missing, shown):
        states = np.array(["current", "current", missing], dtype=object)
        with raises("LoanBook.state", "loan 2", "missing value", shown):
            LoanBook(["A", "A", "A"], states, [1.0, 1.0, 1.0])

    def test_label_not_a_string(self):
        with raises("LoanBook.segment", "loan 1", "not a name", "(5)"):
            LoanBook(np.array(["A", 5], dtype=object), ["current", "current"], [1.0, 1.0])

    def test_categorical_missing(self):
        df = pd.DataFrame({"segment": pd.Categorical(["A", None, "A"]), "state": ["current"] * 3,
                           "exposure": [1.0, 1.0, 1.0]})
        with raises("LoanBook.segment", "loan 1", "missing value"):
            LoanBook.from_dataframe(df)

    def test_dataframe_missing_value_in_string_column(self):
        df = pd.DataFrame({"segment": ["A", "A", None], "state": ["current"] * 3, "exposure": [1.0] * 3})
        with raises("LoanBook.segment", "loan 2", "missing value"):
            LoanBook.from_dataframe(df)

    @pytest.mark.parametrize("col", ["segment", "state", "exposure"])
    def test_dataframe_missing_column(self, col):
        df = pd.DataFrame({"segment": ["A"], "state": ["current"], "exposure": [1.0]}).drop(columns=col)
        with raises("LoanBook.from_dataframe", f"missing column {col!r}", f"({col})", "columns are"):
            LoanBook.from_dataframe(df)

    def test_dataframe_renamed_column_missing(self):
        df = pd.DataFrame({"segment": ["A"], "state": ["current"], "exposure": [1.0]})
        with raises("LoanBook.from_dataframe", "missing column 'balance'", "(exposure)",
                    "['segment', 'state', 'exposure']"):
            LoanBook.from_dataframe(df, exposure="balance")

    def test_dataframe_negative_exposure(self):
        df = pd.DataFrame({"segment": ["A", "A"], "state": ["current"] * 2, "exposure": [1.0, -3.0]})
        with raises("LoanBook.exposure", "loan 1", "exposure -3.0"):
            LoanBook.from_dataframe(df)

    @pytest.mark.parametrize("n", [0, -3, 2.5, True, "4"])
    def test_homogeneous_bad_count(self, n):
        with raises("LoanBook.n", "whole number >= 1", f"got {n!r}"):
            LoanBook.homogeneous(n, segment="A")

    @pytest.mark.parametrize("field", ["segment", "state"])
    @pytest.mark.parametrize("bad", ["", None, 3])
    def test_homogeneous_bad_name(self, field, bad):
        kw = {"segment": "A", "state": "current", field: bad}
        with raises("LoanBook.homogeneous", field, f"got {bad!r}"):
            LoanBook.homogeneous(3, **kw)

    def test_homogeneous_bad_exposure(self):
        with raises("LoanBook.exposure", "loan 0", "exposure -2.0"):
            LoanBook.homogeneous(3, segment="A", exposure=-2.0)

    @pytest.mark.parametrize("n", [0, 1.5])
    def test_synthetic_bad_count(self, n):
        with raises("LoanBook.n", f"got {n!r}"):
            LoanBook.synthetic(n, segments=["A"])

    def test_synthetic_empty_segments(self):
        with raises("LoanBook.synthetic", "segments is empty"):
            LoanBook.synthetic(5, segments=[])

    def test_synthetic_duplicate_segment(self):
        with raises("LoanBook.synthetic", "segments lists a name twice", "['A', 'B', 'A']"):
            LoanBook.synthetic(5, segments=["A", "B", "A"])

    @pytest.mark.parametrize("shares", [{"A": -1.0, "B": 2.0}, {"A": float("nan")}, {"A": 0.0}])
    def test_synthetic_bad_shares(self, shares):
        with raises("LoanBook.synthetic", "segments shares", "'A'"):
            LoanBook.synthetic(5, segments=shares)

    def test_synthetic_bad_state_shares(self):
        with raises("LoanBook.synthetic", "states shares", "'late': -0.5"):
            LoanBook.synthetic(5, segments=["A"], states={"current": 1.0, "late": -0.5})

    @pytest.mark.parametrize("rng", [(-1.0, 10.0), (10.0, 1.0), (float("nan"), 1.0)])
    def test_synthetic_bad_exposure_range(self, rng):
        with raises("LoanBook.synthetic", "exposure_range", repr(rng)):
            LoanBook.synthetic(5, segments=["A"], exposure_range=rng)

    def test_synthetic_bad_median(self):
        with raises("LoanBook.synthetic", "exposure_median > 0", "got 0.0"):
            LoanBook.synthetic(5, segments=["A"], exposure_median=0.0)

    def test_synthetic_bad_sigma(self):
        with raises("LoanBook.synthetic", "exposure_sigma >= 0", "-1.0"):
            LoanBook.synthetic(5, segments=["A"], exposure_sigma=-1.0)

    @pytest.mark.parametrize("seed", [-1, 1.5, True])
    def test_synthetic_bad_seed(self, seed):
        with raises("LoanBook.synthetic", "seed", f"got {seed!r}"):
            LoanBook.synthetic(5, segments=["A"], seed=seed)

    def test_synthetic_is_reproducible(self):
        a = LoanBook.synthetic(50, segments={"A": 1, "B": 3}, states={"current": 0.9, "late": 0.1}, seed=4)
        b = LoanBook.synthetic(50, segments={"A": 1, "B": 3}, states={"current": 0.9, "late": 0.1}, seed=4)
        assert a.fingerprint() == b.fingerprint()


# --------------------------------------------------------------------------- simulate


RUN = {"horizon": 2, "scenarios": 2, "seed": 1}


class TestSimulateArguments:
    @pytest.mark.parametrize("field", ["horizon", "scenarios", "chunk_size", "scenario_batch"])
    @pytest.mark.parametrize("bad", [0, -1])
    def test_below_one(self, field, bad):
        with raises(f"simulate: {field}", ">= 1", f"got {bad}"):
            cs.simulate(two_model(), book(), **{**RUN, field: bad})

    @pytest.mark.parametrize("field", ["horizon", "scenarios", "chunk_size", "scenario_batch"])
    @pytest.mark.parametrize("bad", [2.5, 2.0, "2", True])
    def test_not_whole(self, field, bad):
        with raises(f"simulate: {field}", "whole number", f"got {bad!r}"):
            cs.simulate(two_model(), book(), **{**RUN, field: bad})

    @pytest.mark.parametrize("field", ["horizon", "scenarios"])  # None means "default" for the others
    def test_required_count_is_none(self, field):
        with raises(f"simulate: {field}", "whole number", "got None"):
            cs.simulate(two_model(), book(), **{**RUN, field: None})

    def test_horizon_too_large(self):
        with raises("simulate: horizon", "<= 16777215", "got 16777216"):
            cs.simulate(two_model(), book(), **{**RUN, "horizon": 2**24})

    @pytest.mark.parametrize("bad, shown", [(-1, "-1"), (2**63, str(2**63))])
    def test_seed_out_of_range(self, bad, shown):
        with raises("simulate: seed", "[0, 2**63)", f"got {shown}"):
            cs.simulate(two_model(), book(), **{**RUN, "seed": bad})

    @pytest.mark.parametrize("bad", [1.5, "1", None, True])
    def test_seed_not_whole(self, bad):
        with raises("simulate: seed", "whole number", f"got {bad!r}"):
            cs.simulate(two_model(), book(), **{**RUN, "seed": bad})

    def test_unknown_engine(self):
        with raises("simulate", "unknown engine 'exact'", "['agent', 'cohort']"):
            cs.simulate(two_model(), book(), engine="exact", **RUN)

    def test_model_type(self):
        with raises("simulate: model", "CreditModel", "got dict"):
            cs.simulate(two_model().to_dict(), book(), **RUN)

    def test_book_type(self):
        with raises("simulate: book", "LoanBook or a DataFrame", "got list"):
            cs.simulate(two_model(), [("A", "current", 1.0)], **RUN)

    def test_dataframe_missing_column(self):
        df = pd.DataFrame({"segment": ["A"], "exposure": [1.0]})
        with raises("LoanBook.from_dataframe", "missing column 'state'"):
            cs.simulate(two_model(), df, **RUN)

    @pytest.mark.parametrize("length", [4, 7])
    def test_a_macro_path_longer_than_the_horizon_is_cut(self, length):
        path = np.arange(length) - 3.0
        model = two_model().with_macro(MacroFactor(path=path))
        ds = cs.simulate(model, book(), horizon=3, scenarios=2, seed=0)
        assert np.all(ds.macro_z.values[:, 1:] == path[:3])

    def test_unknown_segment_in_book(self):
        b = book(segments=("A", "A", "Z", "A"))
        with raises("LoanBook.segment", "loan 2", "unknown segment 'Z'", "['A']"):
            cs.simulate(two_model(), b, **RUN)

    def test_unknown_state_in_book(self):
        b = book(states=("current", "dpd_1_30", "current", "current"))
        with raises("LoanBook.state", "loan 1", "unknown state 'dpd_1_30'", "['current', 'charged_off']"):
            cs.simulate(two_model(), b, **RUN)

    def test_unknown_state_in_homogeneous_book(self):
        b = LoanBook.homogeneous(3, segment="A")  # state "current" by default
        model = CreditModel(StateSpace(["performing", "charged_off"]), [Segment("A", GOOD2)])
        with raises("LoanBook.state", "loan 0", "unknown state 'current'", "['performing', 'charged_off']"):
            cs.simulate(model, b, **RUN)

    def test_unknown_segment_in_dataframe(self):
        df = pd.DataFrame({"segment": ["A", "B"], "state": ["current"] * 2, "exposure": [1.0, 2.0]})
        with raises("LoanBook.segment", "loan 1", "unknown segment 'B'"):
            cs.simulate(two_model(), df, **RUN)


# --------------------------------------------------------------------------- risk_summary


class TestRiskSummaryArguments:
    def test_unknown_variable(self):
        with raises("risk_summary", "variable 'losses'", "not in the dataset", "'loss'"):
            cs.risk_summary(tiny_loss_dataset(), variable="losses")

    def test_variable_with_wrong_dims(self):
        with raises("risk_summary", "'loss_by_segment'", "dims ('scenario',)", "('scenario', 'segment')"):
            cs.risk_summary(tiny_loss_dataset(), variable="loss_by_segment")

    @pytest.mark.parametrize("bad, shown", [(1.0, "1.0"), (0.0, "0.0"), (-0.5, "-0.5"), (1.5, "1.5"),
                                            (float("nan"), "nan")])
    def test_bad_level(self, bad, shown):
        with raises("risk_summary", "levels[0]", f"is {shown}", "not in (0, 1)"):
            cs.risk_summary(tiny_loss_dataset(), levels=bad)

    def test_bad_level_in_list_names_its_position(self):
        with raises("risk_summary", "levels[2]", "is 99.0", "not in (0, 1)"):
            cs.risk_summary(tiny_loss_dataset(), levels=[0.9, 0.95, 99.0])

    def test_levels_not_numbers(self):
        with raises("risk_summary", "levels", "numbers", "'high'"):
            cs.risk_summary(tiny_loss_dataset(), levels=["high"])

    def test_levels_empty(self):
        with raises("risk_summary", "levels", "non-empty", "[]"):
            cs.risk_summary(tiny_loss_dataset(), levels=[])

    @pytest.mark.parametrize("bad, shown", [(1.0, "1.0"), (0.0, "0.0"), (float("nan"), "nan"),
                                            ("0.95", "'0.95'"), (True, "True")])
    def test_bad_confidence(self, bad, shown):
        with raises("risk_summary", "confidence", "(0, 1)", f"got {shown}"):
            cs.risk_summary(tiny_loss_dataset(), confidence=bad)

    def test_too_few_scenarios(self):
        with raises("risk_summary", "at least 2 scenarios", "got 1"):
            cs.risk_summary(tiny_loss_dataset(1))

    def test_good_summary(self):
        out = cs.risk_summary(tiny_loss_dataset(), levels=[0.5, 0.9])
        assert list(out.level.values) == [0.5, 0.9]
        assert out["expected_loss"].sel(bound="estimate") == pytest.approx(4.5)


# --------------------------------------------------------------------------- positive cases


def test_two_state_model_end_to_end():
    model = CreditModel(
        StateSpace(["current", "charged_off"]),
        [Segment("A", [[0.8, 0.2], [0.0, 1.0]], rho=0.1), Segment("B", [[0.95, 0.05], [0.0, 1.0]])],
        macro=MacroFactor(phi=0.5),
    )
    b = LoanBook(
        np.array(["A", "B"] * 25), np.array(["current"] * 49 + ["charged_off"]), np.linspace(100.0, 5000.0, 50)
    )
    ds = cs.simulate(model, b, horizon=3, scenarios=3, seed=11, chunk_size=16)
    assert ds["occupancy"].dims == ("scenario", "month", "segment", "state")
    assert ds["occupancy"].shape == (3, 4, 2, 2)
    assert list(ds.state.values) == ["current", "charged_off"]
    assert list(ds.segment.values) == ["A", "B"]
    occ = ds["occupancy"].values
    assert (occ.sum(axis=(2, 3)) == 50).all()  # loans are conserved
    assert (np.diff(occ[..., 1], axis=1) >= 0).all()  # charged_off is absorbing
    # the loan that starts charged off is not a new loss
    new = occ[:, -1, :, 1].sum(axis=1) - occ[:, 0, :, 1].sum(axis=1)
    np.testing.assert_array_equal(ds["charged_off"].values, new)
    assert (ds["loss"].values >= 0).all() and (ds["loss"].values <= b.total_exposure).all()
    assert ds.attrs["horizon"] == 3 and ds.attrs["scenarios"] == 3 and ds.attrs["seed"] == 11
    back = cs.model_from_result(ds)
    assert back.segment_names == ("A", "B")
    assert back.states.names == ("current", "charged_off")
    s = cs.risk_summary(ds, levels=[0.5])
    assert np.isfinite(s["expected_loss"].sel(bound="estimate"))
    # same seed, another chunk size: the same result
    ds2 = cs.simulate(model, b, horizon=3, scenarios=3, seed=11, chunk_size=50)
    np.testing.assert_array_equal(ds["occupancy"].values, ds2["occupancy"].values)


def test_unused_category_is_not_an_unknown_name():
    """A categorical column may list categories no loan has; only used names must resolve."""
    df = pd.DataFrame({
        "segment": pd.Categorical(["A", "A", "A"], categories=["A", "unused_segment"]),
        "state": pd.Categorical(["current"] * 3, categories=["current", "unused_state"]),
        "exposure": [1.0, 2.0, 3.0],
    })
    model = CreditModel(StateSpace(TWO), [Segment("A", GOOD2)], macro=MacroFactor(path=[-1.0, 0.0]))
    ds = cs.simulate(model, df, horizon=2, scenarios=1, seed=0)
    assert int(ds["occupancy"].isel(month=0).sum()) == 3
    np.testing.assert_array_equal(ds["macro_z"].values[0, 1:], [-1.0, 0.0])


class TestImmutable:
    def test_state_space(self):
        s = StateSpace(TWO)
        with pytest.raises(dataclasses.FrozenInstanceError):
            s.names = ("x", "y")
        with pytest.raises(dataclasses.FrozenInstanceError):
            s.charge_off = None

    def test_segment(self):
        src = np.array(GOOD2)
        seg = Segment("A", src, rho=0.2)
        with pytest.raises(dataclasses.FrozenInstanceError):
            seg.rho = 0.5
        with pytest.raises(dataclasses.FrozenInstanceError):
            seg.matrix = np.eye(2)
        assert not seg.matrix.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            seg.matrix[0, 0] = 0.5
        src[0, 0] = 0.0  # the segment holds its own copy
        assert seg.matrix[0, 0] == 0.9

    def test_macro_factor(self):
        path = np.array([0.0, -1.0])
        m = MacroFactor(phi=0.3, path=path)
        with pytest.raises(dataclasses.FrozenInstanceError):
            m.phi = 0.0
        with pytest.raises(ValueError, match="read-only"):
            m.path[0] = 5.0
        path[0] = 5.0
        assert m.path[0] == 0.0

    def test_credit_model(self):
        model = two_model(rho=0.1)
        with pytest.raises(dataclasses.FrozenInstanceError):
            model.macro = MacroFactor()
        with pytest.raises(dataclasses.FrozenInstanceError):
            model.segments = ()
        assert isinstance(model.segments, tuple)
        with pytest.raises(ValueError, match="read-only"):
            model.segments[0].matrix[1, 0] = 0.5

    def test_loan_book(self):
        b = book(exposure=[1.0, 2.0, 3.0, 4.0])
        with pytest.raises(dataclasses.FrozenInstanceError):
            b.exposure = np.zeros(4)
        for arr in (b.exposure, b.segment_codes, b.state_codes):
            assert not arr.flags.writeable
        with pytest.raises(ValueError, match="read-only"):
            b.exposure[0] = -1.0


def _assert_same_model(a: CreditModel, b: CreditModel):
    assert a.states == b.states
    assert a.segment_names == b.segment_names
    for sa, sb in zip(a.segments, b.segments, strict=True):
        np.testing.assert_array_equal(sa.matrix, sb.matrix)
        assert sa.rho == sb.rho
    assert a.macro.phi == b.macro.phi
    if a.macro.path is None:
        assert b.macro.path is None
    else:
        np.testing.assert_array_equal(a.macro.path, b.macro.path)


@pytest.mark.parametrize("path", [None, [-1.5, 0.25, 2.0]])
def test_from_dict_round_trip(path):
    states = StateSpace(["paid_off", "current", "late", "charged_off"])
    m1 = [[1.0, 0.0, 0.0, 0.0], [0.05, 0.9, 0.04, 0.01], [0.0, 0.3, 0.5, 0.2], [0.0, 0.0, 0.0, 1.0]]
    m2 = [[1.0, 0.0, 0.0, 0.0], [1 / 3, 1 / 3, 0.2, 2 / 15], [0.0, 0.1, 0.1, 0.8], [0.0, 0.0, 0.0, 1.0]]
    model = CreditModel(states, [Segment("prime", m1, rho=0.04), Segment("sub", m2, rho=0.15)],
                        macro=MacroFactor(phi=0.9, path=path))
    d = model.to_dict()
    back = CreditModel.from_dict(d)
    _assert_same_model(model, back)
    assert back.states.absorbing == ("paid_off", "charged_off")
    assert back.states.charge_off == "charged_off" and back.states.paid_off == "paid_off"
    # through JSON too (this is how a result stores its model)
    _assert_same_model(model, CreditModel.from_dict(json.loads(json.dumps(d))))
    assert back.to_dict() == d


def test_from_dict_round_trip_custom_states():
    states = StateSpace(["ok", "watch", "loss"], ["loss"], charge_off="loss", paid_off=None)
    m = [[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.0, 0.0, 1.0]]
    model = CreditModel(states, [Segment("only", m)])
    back = CreditModel.from_dict(model.to_dict())
    _assert_same_model(model, back)
    assert back.states.charge_off == "loss" and back.states.paid_off is None


def test_from_dict_validates():
    d = two_model().to_dict()
    d["segments"][0]["matrix"][0] = [0.9, 0.2]
    with raises("Segment 'A'", "state 'current'", "row sums to 1.1", "not 1"):
        CreditModel.from_dict(d)
