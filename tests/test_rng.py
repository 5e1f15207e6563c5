import jax
import jax.extend.random as jer
import jax.numpy as jnp
import numpy as np
from scipy import stats

from creditsim import _rng


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
    full = np.asarray(_rng.loan_uniform_bits(key, ids, 5))
    part = np.asarray(_rng.loan_uniform_bits(key, ids[jnp.array([17, 500, 999])], 5))
    np.testing.assert_array_equal(full[[17, 500, 999]], part)
    other_month = np.asarray(_rng.loan_uniform_bits(key, ids, 6))
    other_stream = np.asarray(_rng.loan_uniform_bits(key, ids, 5, stream=1))
    assert (full != other_month).mean() > 0.99
    assert (full != other_stream).mean() > 0.99


def test_scenario_keys_are_fold_in():
    keys = _rng.scenario_keys(11, np.arange(4))
    for s in range(4):
        ref = jax.random.key_data(jax.random.fold_in(jax.random.key(11), s))
        np.testing.assert_array_equal(keys[s], np.asarray(ref))


def test_uniform_bits_are_uniform():
    key = jnp.asarray(_rng.scenario_keys(1, np.array([0]))[0])
    bits = np.asarray(_rng.loan_uniform_bits(key, jnp.arange(200_000, dtype=jnp.uint32), 1))
    u = (bits >> 1) / 2.0**31
    counts = np.bincount((u * 64).astype(int), minlength=64)
    # chi-square goodness of fit with 63 degrees of freedom at a 1e-6 false-alarm rate
    assert stats.chi2.sf(((counts - counts.mean()) ** 2 / counts.mean()).sum(), 63) > 1e-6
    # neighbouring loans are not correlated
    r = np.corrcoef(u[:-1], u[1:])[0, 1]
    assert abs(r) < 5 / np.sqrt(u.size)
