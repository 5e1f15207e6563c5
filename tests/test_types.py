"""Behaviour types: latent per-loan kinds with their own transition matrices."""

import numpy as np
import xarray as xr

import creditsim as cs
from creditsim import BehaviourType, oracles, presets
from helpers import family_z, raises


def _typed_model(rho=0.0):
    c = presets.BANDS["C"]
    forgetful = presets.band_matrix(**{**c, "cure": 0.70})
    constrained = presets.band_matrix(**{**c, "cure": 0.30, "r1": 0.35})
    strategic = presets.band_matrix(**{**c, "roll": 0.05, "cure": 0.40})
    seg = cs.Segment("C", rho=rho, types=(BehaviourType("forgetful", 0.6, forgetful),
                                          BehaviourType("constrained", 0.3, constrained),
                                          BehaviourType("strategic", 0.1, strategic)))
    plain = cs.Segment("D", presets.band_matrix(**presets.BANDS["D"]), rho=rho)
    return cs.CreditModel(segments=[seg, plain])


def test_validation_messages():
    m = presets.band_matrix(**presets.BANDS["C"])
    with raises("Segment 'C'", "shares sum to 0.9", "not 1"):
        cs.Segment("C", types=(BehaviourType("a", 0.5, m), BehaviourType("b", 0.4, m)))
    with raises("Segment 'C'", "behaviour type 'a' is listed twice"):
        cs.Segment("C", types=(BehaviourType("a", 0.5, m), BehaviourType("a", 0.5, m)))
    with raises("Segment 'C'", "a matrix or behaviour types, not both"):
        cs.Segment("C", m, types=(BehaviourType("a", 1.0, m),))
    with raises("Segment 'C'", "needs a matrix or behaviour types"):
        cs.Segment("C")
    with raises("BehaviourType 'a'", "share must be in [0, 1]", "1.5"):
        BehaviourType("a", 1.5, m)
    bad = m.copy()
    bad[1, 1] -= 0.1
    with raises("Segment 'C', type 'b', state 'current'", "row sums to"):
        cs.CreditModel(segments=[cs.Segment("C", types=(BehaviourType("a", 0.5, m), BehaviourType("b", 0.5, bad)))])


def test_segment_matrix_is_the_share_weighted_average_and_round_trips():
    model = _typed_model()
    seg = model.segment("C")
    np.testing.assert_allclose(seg.matrix, sum(t.share * t.matrix for t in seg.types))
    back = cs.CreditModel.from_dict(model.to_dict())
    assert [t.name for t in back.segment("C").types] == ["forgetful", "constrained", "strategic"]
    np.testing.assert_array_equal(back.segment("C").types[1].matrix, seg.types[1].matrix)


def test_types_are_drawn_with_their_shares_once_per_loan_from_the_seed():
    model = _typed_model()
    n = 40_000
    book = cs.LoanBook.homogeneous(n, segment="C")
    a = cs.simulate(model, book, horizon=1, scenarios=2, seed=5)
    counts = a.loans_by_type.sel(segment="C")
    z = family_z(3)
    for t in model.segment("C").types:
        share = float(counts.sel(behaviour_type=t.name)) / n
        assert abs(share - t.share) <= z * np.sqrt(t.share * (1 - t.share) / n)
    assert int(a.loans_by_type.sel(segment="D").sum()) == 0
    # the same seed gives the same types, in every chunking; another seed other types
    b = cs.simulate(model, book, horizon=1, scenarios=2, seed=5, chunk_size=3000)
    xr.testing.assert_identical(a, b)
    c = cs.simulate(model, book, horizon=1, scenarios=2, seed=6)
    assert not np.array_equal(a.loans_by_type.values, c.loans_by_type.values)


def test_mean_occupancy_is_the_mixture_of_the_types_matrix_powers():
    """E[occupancy_t] = Σ_τ N_τ · e_current · P_τ^t with the drawn type counts N_τ."""
    model = _typed_model(rho=0.0)
    n, horizon, scenarios = 30_000, 6, 16
    book = cs.LoanBook.homogeneous(n, segment="C")
    ds = cs.simulate(model, book, horizon=horizon, scenarios=scenarios, seed=9)
    states = list(cs.DEFAULT_STATES)
    start = np.zeros(len(states))
    start[states.index("current")] = 1.0
    mean = np.zeros((horizon + 1, len(states)))
    var = np.zeros_like(mean)
    for t in model.segment("C").types:
        n_t = float(ds.loans_by_type.sel(segment="C", behaviour_type=t.name))
        p_t = oracles.expected_occupancy(t.matrix, start, horizon)
        mean += n_t * p_t
        var += n_t * p_t * (1 - p_t)
    occ = ds.occupancy.sel(segment="C").values.astype(float).mean(axis=0)
    se = np.sqrt(var / scenarios)  # loans independent given their types (rho = 0)
    z = family_z((horizon + 1) * len(states))
    assert np.all(np.abs(occ - mean) <= z * se + 1e-9), (occ - mean) / np.maximum(se, 1e-12)
    # and it is not the single-matrix answer: the average matrix's power differs
    avg = n * oracles.expected_occupancy(model.segment("C").matrix, start, horizon)
    assert np.any(np.abs(occ - avg) > 5 * se + 1)
