"""Counter-based random bits: a loan's draws are a pure function of where they are used.

Every uniform the agent engine uses is a word of ``threefry2x32(key_s, (loan, pair | stream
<< 24))`` where ``key_s`` is the raw key data of ``fold_in(key(seed), scenario)`` and months
``2·pair + 1`` and ``2·pair + 2`` take the first and second output word.  The result depends
only on (seed, scenario, loan index, month, stream), never on how the book is chunked, how
scenarios are batched or which device runs the work.  This is the same Threefry-2x32 block
cipher (20 rounds, Salmon et al. 2011) that ``jax.random`` uses by default, applied to our
own counters so that no draw depends on its neighbours in an array.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["threefry2x32", "scenario_keys", "seed_key", "macro_key", "loan_uniform_pair", "padded_count",
           "STREAM_TRANSITION", "STREAM_TYPE", "STREAM_SHOCK", "STREAM_REPORT", "STREAM_FRAUD", "STREAM_ACTION",
           "STREAM_REDRAW", "STREAM_COHORT", "STREAM_MACRO", "x64"]

def x64():
    """Context in which JAX computes in 64 bits (int64 sums, float64 tilt), whatever the
    process-wide setting: ``jax.enable_x64`` where it exists, else its older home."""
    fn = getattr(jax, "enable_x64", None)
    if fn is None:  # jax < 0.6
        from jax.experimental import enable_x64 as fn
    return fn(True)


# Streams: independent families of draws for the same (loan, month).  Later model parts
# (income shocks, fraud, behaviour types, strategies) take new stream numbers.
STREAM_TRANSITION = 0
STREAM_TYPE = 1  # a loan's behaviour type: drawn once, under the seed's key (not a scenario's)
STREAM_SHOCK = 2  # income shock: onset and, given onset, duration
STREAM_REPORT = 3  # income shock: hardship reported to the lender
STREAM_FRAUD = 4  # fraud: a claim, and at the end of its review the outcome
STREAM_ACTION = 5  # strategies: a settlement's acceptance, an agency's recovery, a judgment's success
STREAM_REDRAW = 6  # repeat borrowing: a paid-off borrower draws again
STREAM_COHORT = 7  # the cohort engine: a scenario's month of cohort draws (creditsim.engine.cohort)
STREAM_MACRO = 255  # reserved: the macro factor's key (see macro_key)
_MONTH_BITS = 24  # month pairs < 2**24 and streams < 2**8 share the second counter word

_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_PARITY = 0x1BD11BDA


def _rotl(x, r: int):
    return (x << jnp.uint32(r)) | (x >> jnp.uint32(32 - r))


def threefry2x32(k0, k1, x0, x1):
    """Threefry-2x32 with 20 rounds: two uint32 words of key, two of counter, two out.

    Bit-identical to ``jax.extend.random.threefry_2x32`` on the same (key, counter) pair
    (tested), but elementwise: output ``i`` depends on ``x0[i], x1[i]`` alone.
    """
    k0 = jnp.asarray(k0, jnp.uint32)
    k1 = jnp.asarray(k1, jnp.uint32)
    k2 = k0 ^ k1 ^ jnp.uint32(_PARITY)
    ks = (k0, k1, k2)
    x0 = jnp.asarray(x0, jnp.uint32) + k0
    x1 = jnp.asarray(x1, jnp.uint32) + k1
    for i in range(5):
        for r in _ROTATIONS[i % 2]:
            x0 = x0 + x1
            x1 = _rotl(x1, r)
            x1 = x1 ^ x0
        x0 = x0 + ks[(i + 1) % 3]
        x1 = x1 + ks[(i + 2) % 3] + jnp.uint32(i + 1)
    return x0, x1


def padded_count(n: int) -> int:
    """A length ``n`` of independent rows (scenarios) is computed at, where extra rows
    change nothing in the others: up to 4,096 the power of two at or above ``n`` (at least
    16), above it ``n`` rounded up to an eighth of its power of two (at most 12.5% more),
    so that runs of similar sizes share one compiled shape."""
    if n <= 4096:
        return max(16, 1 << max(n - 1, 0).bit_length())
    step = 1 << (n.bit_length() - 4)
    return -(-n // step) * step


def scenario_keys(seed: int, scenarios: np.ndarray) -> np.ndarray:
    """Raw key data, shape ``(len(scenarios), 2)`` uint32, of ``fold_in(key(seed), s)``.

    The seed is taken as a 64-bit integer (both key words), so seeds that differ only
    above bit 31 give different keys.  Each key is folded alone (computed for
    ``padded_count`` scenarios and cut: one compiled shape for similar counts).
    """
    with x64():
        base = jax.random.key(np.uint64(seed))
        s = np.asarray(scenarios, dtype=np.uint32).reshape(-1)
        idx = np.zeros(padded_count(s.size), np.uint32)
        idx[: s.size] = s
        keys = jax.vmap(lambda i: jax.random.fold_in(base, i))(jnp.asarray(idx))
        return np.asarray(jax.random.key_data(keys), dtype=np.uint32)[: s.size].reshape(np.shape(scenarios) + (2,))


def seed_key(seed: int) -> np.ndarray:
    """Raw key data (2,) uint32 of ``key(seed)`` itself: draws that are the same in every
    scenario (a loan's behaviour type) use it."""
    with x64():
        return np.asarray(jax.random.key_data(jax.random.key(np.uint64(seed))), dtype=np.uint32)


def macro_key(key):
    """The key of a scenario's macro-factor draws: its counter block is that of loan 0,
    pair 0 in the reserved stream ``STREAM_MACRO``, which no loan draw uses."""
    return jax.random.fold_in(jax.random.wrap_key_data(key), STREAM_MACRO << _MONTH_BITS)


def loan_uniform_pair(key, loan_id, pair, stream: int = STREAM_TRANSITION):
    """Two 32-bit words per loan: the draws of months ``2·pair + 1`` and ``2·pair + 2``.

    ``key`` is a (2,) uint32 array (a scenario key), ``loan_id`` uint32 loan indices.
    """
    counter = jnp.asarray(pair, jnp.uint32) | jnp.uint32(stream << _MONTH_BITS)
    return threefry2x32(key[0], key[1], loan_id, jnp.broadcast_to(counter, loan_id.shape))
