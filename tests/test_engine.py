"""Engine invariants: randomness contract, chunking, recompilation, conservation."""

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

import creditsim as cs
from creditsim import presets
from creditsim.engine.tracing import trace_count
from creditsim.spec.macro import conditional_matrix
from helpers import family_z, random_chain


@pytest.fixture(scope="module")
def small():
    model = presets.demo_model()
    book = presets.demo_book(3000, seed=5)
    return model, book


def _run(model, book, **kw):
    kw = {"horizon": 5, "scenarios": 6, "seed": 42, **kw}
    return cs.simulate(model, book, **kw)


@pytest.fixture(scope="module")
def few():
    """A book of 300 loans: chunks of one loan each are 300 kernel calls a scenario batch
    (the 3,000 of ``small`` made 18,000 calls, most of this module's time)."""
    return presets.demo_model(), presets.demo_book(300, seed=5)


@settings(max_examples=2)  # each example compiles its chunk and batch shapes (the golden runs and
# tests/test_money.py, tests/test_originations.py check more)
@given(chunk=st.integers(1, 300), batch=st.integers(1, 6))
def test_results_do_not_depend_on_chunk_or_batch(few, chunk, batch):
    """From chunks of one loan (the first example: every loan alone) to the whole book
    padded, and from one scenario a call to all six."""
    model, book = few
    ref = _run(model, book)
    got = _run(model, book, chunk_size=chunk, scenario_batch=batch)
    xr.testing.assert_identical(ref, got)


def test_same_seed_same_result_other_seed_other_result(small):
    model, book = small
    a, b, c = _run(model, book), _run(model, book), _run(model, book, seed=43)
    xr.testing.assert_identical(a, b)
    assert not np.array_equal(a.occupancy.values, c.occupancy.values)


def test_scenarios_are_prefixes(small):
    """Scenario s is the same whether the run has 3 or 6 scenarios."""
    model, book = small
    a, b = _run(model, book, scenarios=3), _run(model, book)
    for v in ("occupancy", "loss", "macro_z"):
        np.testing.assert_array_equal(a[v].values, b[v].isel(scenario=slice(0, 3)).values)


def test_loan_draws_do_not_depend_on_other_loans(small):
    """A loan's path is the same alone or inside a bigger book: five loans simulated alone
    match the same five loans at the head of a book whose other loans are all paid off."""
    model, _ = small
    n = 500
    seg = np.array(["A", "B", "C", "D", "E"] * (n // 5))
    alone = cs.LoanBook(segment=seg[:5], state=np.full(5, "current"), exposure=np.ones(5))
    states = np.full(n, "paid_off")
    states[:5] = "current"
    inside = cs.LoanBook(segment=seg, state=states, exposure=np.ones(n))
    a, b = _run(model, alone, horizon=12), _run(model, inside, horizon=12)
    np.testing.assert_array_equal(a.loss.values, b.loss.values)
    np.testing.assert_array_equal(a.occupancy.drop_sel(state="paid_off").values,
                                  b.occupancy.drop_sel(state="paid_off").values)


def test_no_recompilation_on_repeated_call(small):
    model, book = small
    _run(model, book)
    before = trace_count("chunk_kernel"), trace_count("macro_paths")
    _run(model, presets.demo_book(3000, seed=6), seed=7)  # same size, other values
    _run(presets.demo_model(phi=0.5), book, seed=8)  # other parameter values
    _run(model, presets.demo_book(2950, seed=6))  # a similar size shares the padded shape
    after = trace_count("chunk_kernel"), trace_count("macro_paths")
    assert before == after


def test_few_compiled_shapes_for_any_scenario_count(small):
    """Scenario counts decompose into batches of 8, 4, 2 and 1: at most four kernel shapes."""
    model, book = small
    for s in range(1, 12):
        _run(model, book, scenarios=s)
    before = trace_count("chunk_kernel")
    for s in range(12, 20):
        _run(model, book, scenarios=s)
    assert trace_count("chunk_kernel") == before


@given(seed=st.integers(0, 2**31 - 1), k=st.integers(2, 7), rho=st.sampled_from([0.0, 0.2, 0.7]),
       z=st.floats(-6, 6))
def test_conditional_rows_stay_stochastic(seed, k, rho, z):
    p = random_chain(np.random.default_rng(seed), k, 1)
    c = conditional_matrix(p, rho, z)
    assert np.all(c >= 0)
    np.testing.assert_allclose(c.sum(axis=1), 1.0, atol=1e-12)
    assert c[-1, -1] == 1.0  # absorbing stays absorbing
    np.testing.assert_array_equal(c[p == 0], 0.0)  # impossible moves stay impossible


@given(seed=st.integers(0, 2**31 - 1), k=st.integers(2, 6))
def test_loans_conserved_and_losses_bounded(seed, k):
    rng = np.random.default_rng(seed)
    names = [f"s{i}" for i in range(k - 1)] + ["charged_off"]
    segs = [cs.Segment(g, random_chain(rng, k, 1), rho=0.2) for g in ("x", "y")]
    model = cs.CreditModel(states=cs.StateSpace(names), segments=segs, macro=cs.MacroFactor(0.8))
    n = 400
    book = cs.LoanBook(segment=rng.choice(["x", "y"], n), state=rng.choice(names, n),
                       exposure=rng.lognormal(8, 1, n))
    ds = cs.simulate(model, book, horizon=4, scenarios=3, seed=seed)
    per_seg = ds.occupancy.sum("state")
    assert (per_seg == per_seg.isel(month=0)).all()
    # never leaves charge-off; loss within [0, exposure not already charged off]
    co = ds.occupancy.sel(state="charged_off").sum("segment")
    assert (co.diff("month") >= 0).all()
    live = book.exposure[book.state_codes != book.state_names.index("charged_off")].sum() \
        if "charged_off" in book.state_names else book.exposure.sum()
    # each exposure is summed as a whole number of the run's money quantum: the rounding of
    # one loan is at most half of it
    from creditsim.compile.loans import money_quantum

    rounding = n * money_quantum(book) / 2
    assert (ds.loss >= 0).all() and (ds.loss <= live + rounding).all()
    np.testing.assert_array_equal(ds.charged_off.values, (co.isel(month=-1) - co.isel(month=0)).values)


def test_loss_is_exposure_of_charged_off_loans():
    """Unit-exposure loans that all start current: loss equals the count charged off,
    and doubling every exposure doubles the loss exactly."""
    model = cs.CreditModel(states=cs.StateSpace(["current", "charged_off"]),
                           segments=[cs.Segment("g", [[0.9, 0.1], [0, 1]], rho=0.1)])
    book1 = cs.LoanBook.homogeneous(5000, segment="g", exposure=1.0)
    book2 = cs.LoanBook.homogeneous(5000, segment="g", exposure=2.0)
    a = cs.simulate(model, book1, horizon=3, scenarios=4, seed=1)
    b = cs.simulate(model, book2, horizon=3, scenarios=4, seed=1)
    np.testing.assert_array_equal(a.loss.values, a.charged_off.values)
    np.testing.assert_array_equal(b.loss.values, 2 * a.loss.values)


def test_macro_path_stress_raises_losses():
    """A fixed bad path gives every scenario the same Z and more loss than a good path."""
    model = presets.demo_model()
    book = presets.demo_book(20_000, seed=1)
    bad = cs.simulate(model.with_macro(cs.MacroFactor(path=np.full(6, -2.5))), book,
                      horizon=6, scenarios=4, seed=0)
    good = cs.simulate(model.with_macro(cs.MacroFactor(path=np.full(6, 1.0))), book,
                       horizon=6, scenarios=4, seed=0)
    assert np.all(bad.macro_z.isel(month=slice(1, None)) == -2.5)
    assert bad.loss.min() > good.loss.max()


def test_macro_factor_is_ar1():
    """Z_t ~ N(0, 1) with lag-one correlation phi (checked to Monte Carlo error)."""
    phi = 0.9
    model = cs.CreditModel(states=cs.StateSpace(["current", "charged_off"]),
                           segments=[cs.Segment("g", [[0.99, 0.01], [0, 1]])],
                           macro=cs.MacroFactor(phi=phi))
    book = cs.LoanBook.homogeneous(1, segment="g")
    ds = cs.simulate(model, book, horizon=24, scenarios=4000, seed=9)
    z = ds.macro_z.isel(month=slice(1, None)).values  # (S, T)
    s = z.shape[0]
    zc = family_z(4)
    assert abs(z[:, 0].mean()) <= zc / np.sqrt(s)
    assert abs(z[:, -1].var() - 1) <= zc * np.sqrt(2 / s)
    r = np.corrcoef(z[:, 10], z[:, 11])[0, 1]
    assert abs(r - phi) <= zc * (1 - phi**2) / np.sqrt(s)
    r5 = np.corrcoef(z[:, 10], z[:, 15])[0, 1]
    assert abs(r5 - phi**5) <= zc * (1 - phi**10) / np.sqrt(s)


def test_result_round_trips_through_netcdf(tmp_path, small):
    model, book = small
    ds = _run(model, book)
    path = tmp_path / "run.nc"
    cs.save_result(ds, path)
    back = cs.load_result(path)
    xr.testing.assert_identical(ds, back)
    # the stored spec reproduces the run
    again = cs.simulate(cs.model_from_result(back), book, horizon=back.attrs["horizon"],
                        scenarios=back.attrs["scenarios"], seed=back.attrs["seed"])
    xr.testing.assert_identical(ds, again)


def test_dataset_carries_units_and_spec(small):
    model, book = small
    ds = _run(model, book)
    assert ds.loss.attrs["units"] == "CNY"
    assert ds.occupancy.attrs["units"] == "loans"
    assert ds.attrs["creditsim_version"] == cs.__version__
    assert ds.attrs["book_fingerprint"] == book.fingerprint()
    assert list(ds.state.values) == list(model.states.names)


def test_dataframe_book_gives_same_result(small):
    model, book = small
    xr.testing.assert_identical(_run(model, book), _run(model, book.to_dataframe()))


def test_result_round_trips_through_zarr(tmp_path, small):
    pytest.importorskip("zarr")
    model, book = small
    ds = _run(model, book)
    cs.save_result(ds, tmp_path / "run.zarr")
    xr.testing.assert_identical(ds, cs.load_result(tmp_path / "run.zarr"))


def test_save_result_leaves_nothing_on_failure(tmp_path, small):
    """A write that fails leaves neither the file nor a partial file behind."""
    model, book = small
    ds = _run(model, book)
    ds.attrs["bad"] = {"a dict": "cannot go in netCDF attributes"}
    path = tmp_path / "run.nc"
    with pytest.raises((TypeError, ValueError)):
        cs.save_result(ds, path)
    assert list(tmp_path.iterdir()) == []


def test_a_short_stress_path_is_followed_by_the_ar1():
    """A path of L months fixes Z there in every scenario; then the AR(1) goes on from its
    last value: E[Z_{L+j}] = phi^j · z_L and Var = 1 − phi^(2j)."""
    phi, path = 0.8, np.array([-1.0, -2.0, -3.0])
    model = cs.CreditModel(states=cs.StateSpace(["current", "charged_off"]),
                           segments=[cs.Segment("g", [[0.99, 0.01], [0, 1]])],
                           macro=cs.MacroFactor(phi=phi, path=path))
    ds = cs.simulate(model, cs.LoanBook.homogeneous(1, segment="g"), horizon=6, scenarios=4000, seed=2)
    z = ds.macro_z.isel(month=slice(1, None)).values
    assert np.all(z[:, :3] == path)
    s = z.shape[0]
    zc = family_z(6)
    for j in (1, 2, 3):
        mean, var = phi**j * path[-1], 1 - phi ** (2 * j)
        assert abs(z[:, 2 + j].mean() - mean) <= zc * np.sqrt(var / s)
        assert abs(z[:, 2 + j].var() - var) <= zc * var * np.sqrt(2 / s)
