import jax
import jax.extend.random as jer
import jax.numpy as jnp
import numpy as np
from scipy import stats

from creditsim.engine import rng as _rng


def test_threefry_matches_jax():
    key = jnp.array([0x13198A2E, 0x03707344], dtype=jnp.uint32)
    count = jnp.arange(64, dtype=jnp.uint32)
    ref = np.asarray(jer.threefry_2x32(key, count))
    # jax pairs the first half of the counter with the second half
    y0, y1 = _rng.threefry2x32(key[0], key[1], count[:32], count[32:])
    np.testing.assert_array_equal(np.concatenate([np.asarray(y0), np.asarray(y1)]), ref)


def test_draw_depends_only_on_its_own_counter():
    key = jnp.asarray(_rng.scenario_keys(7, np.array([3]))[0])
    ids = jnp.arange(1000, dtype=jnp.uint32)
    full = np.asarray(_rng.loan_uniform_pair(key, ids, 5)[0])
    part = np.asarray(_rng.loan_uniform_pair(key, ids[jnp.array([17, 500, 999])], 5)[0])
    np.testing.assert_array_equal(full[[17, 500, 999]], part)
    second_word = np.asarray(_rng.loan_uniform_pair(key, ids, 5)[1])
    other_pair = np.asarray(_rng.loan_uniform_pair(key, ids, 6)[0])
    other_stream = np.asarray(_rng.loan_uniform_pair(key, ids, 5, stream=1)[0])
    for other in (second_word, other_pair, other_stream):
        assert (full != other).mean() > 0.99


def test_seeds_use_all_64_bits():
    a, b = _rng.scenario_keys(5, np.arange(2)), _rng.scenario_keys(2**32 + 5, np.arange(2))
    assert not np.array_equal(a, b)


def test_macro_key_is_outside_every_loan_draw():
    """The macro key is the block of loan 0, pair 0 in the reserved stream, which the
    engine never uses for a loan."""
    key = jnp.asarray(_rng.scenario_keys(3, np.array([2]))[0])
    macro = np.asarray(jax.random.key_data(_rng.macro_key(key)))
    w0, w1 = _rng.loan_uniform_pair(key, jnp.zeros(1, jnp.uint32), 0, stream=_rng.STREAM_MACRO)
    np.testing.assert_array_equal(macro, [int(w0[0]), int(w1[0])])
    assert _rng.STREAM_TRANSITION != _rng.STREAM_MACRO


def test_scenario_keys_are_fold_in():
    keys = _rng.scenario_keys(11, np.arange(4))
    for s in range(4):
        ref = jax.random.key_data(jax.random.fold_in(jax.random.key(11), s))
        np.testing.assert_array_equal(keys[s], np.asarray(ref))


def test_uniform_bits_are_uniform():
    key = jnp.asarray(_rng.scenario_keys(1, np.array([0]))[0])
    w0, w1 = _rng.loan_uniform_pair(key, jnp.arange(100_000, dtype=jnp.uint32), 1)
    bits = np.concatenate([np.asarray(w0), np.asarray(w1)])
    u = (bits >> 1) / 2.0**31
    counts = np.bincount((u * 64).astype(int), minlength=64)
    # chi-square goodness of fit with 63 degrees of freedom at a 1e-6 false-alarm rate
    assert stats.chi2.sf(((counts - counts.mean()) ** 2 / counts.mean()).sum(), 63) > 1e-6
    # neighbouring loans are not correlated, nor are a loan's two months of one pair
    half = u.size // 2
    for a, b in ((u[:half - 1], u[1:half]), (u[:half], u[half:])):
        assert abs(np.corrcoef(a, b)[0, 1]) < 5 / np.sqrt(a.size)


def test_macro_paths_are_the_same_whatever_the_number_computed():
    """A scenario's macro path depends only on its key and its months so far: 3 scenarios
    over 5 months are the first rows and months of 40 scenarios over 30 months (computed
    at other padded shapes), both follow the AR(1) recursion on the key's own normals, and
    importance sampling (exact shapes) draws the same normals plus its shift."""
    from creditsim.engine.macro import macro_paths

    phi, keys = 0.7, _rng.scenario_keys(9, np.arange(40))
    np.testing.assert_array_equal(keys[:3], _rng.scenario_keys(9, np.arange(3)))
    path = np.array([-1.5])
    small, big = macro_paths(keys[:3], phi, 5, path), macro_paths(keys, phi, 30, path)
    np.testing.assert_array_equal(small, big[:3, :5])
    with _rng.x64():
        eps = np.stack([np.asarray(jax.random.normal(_rng.macro_key(jnp.asarray(k)), (30,), dtype=jnp.float64))
                        for k in keys])
    ref = np.empty_like(eps)
    ref[:, 0] = path[0]
    for t in range(1, 30):
        ref[:, t] = phi * ref[:, t - 1] + np.sqrt(1 - phi * phi) * eps[:, t]
    np.testing.assert_allclose(big, ref, rtol=1e-12, atol=1e-12)
    shift = np.full(5, 0.5)
    z, log_w = macro_paths(keys[:3], phi, 5, None, shift=shift)
    e = eps[:3, :5] + shift
    np.testing.assert_allclose(log_w, -(e * shift).sum(axis=1) + 0.5 * (shift * shift).sum(), rtol=1e-12)
    np.testing.assert_allclose(z[:, 0], e[:, 0], rtol=1e-12)
