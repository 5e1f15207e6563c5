"""The agent engine: every loan a Markov chain, stepped month by month in JAX.

``chunk_kernel`` is the pure, jitted kernel over one chunk of loans and one batch of
scenarios, from the arrays ``creditsim.compile`` makes once per run; the run layer
(``creditsim.run``) streams chunks through it and sums the per-chunk totals exactly
(integers), so results do not depend on the chunk size.  The month itself is built by
``creditsim.engine.compose`` from the run's features (``creditsim.engine.features``); how a
row is sampled is in ``creditsim.engine.tilt``.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp

from ..compile.model import CompiledModel, LoanMoney, TypeDraw
from . import rng as _rng
from .compose import kernel_context, run_scenario
from .features import AUDIT, CURVES, STRATEGY_FLOWS, Feature
from .tracing import _TRACES

__all__ = ["AUDIT", "STRATEGY_FLOWS", "CURVES", "draw_groups", "chunk_kernel"]


@jax.jit
def draw_groups(key, loan_id, seg, draw: TypeDraw):
    """Each loan's row group: its segment's first group plus its behaviour type, drawn from
    the seed's key in stream ``STREAM_TYPE`` (the same in every scenario)."""
    bits, _ = _rng.loan_uniform_pair(key, loan_id, 0, stream=_rng.STREAM_TYPE)
    u = bits >> jnp.uint32(1)
    t = jnp.sum(u[:, None] >= draw.thr[seg], axis=1, dtype=jnp.int32)
    return draw.offset[seg] + t


@partial(jax.jit, static_argnames=("features", "n_segments", "keep", "strategy_batch"))
def chunk_kernel(cm: CompiledModel, z, keys, loan_id, group, units, fraud_hazard,
                 loans: LoanMoney | None, start, t0, strat=None, per_loan: dict | None = None, *, features: tuple[Feature, ...], n_segments: int,
                 keep: bool = False, strategy_batch: int = 1):
    """Simulate one chunk of loans under a batch of scenarios, for months ``t0 + 1 ..
    t0 + T``, from the loans' states at month 0 or from the carry this function returned
    for the months before (``start``).

    Parameters (all arrays; shapes set the compiled version)
    ----------
    cm
        The compiled model.
    z
        ``(B, T)`` float64 macro factor per scenario and month t0+1..t0+T.
    keys
        ``(B, 2)`` uint32 raw scenario keys (``creditsim.engine.rng.scenario_keys``).
    loan_id
        ``(N,)`` uint32 global loan index (the randomness counter).
    group
        ``(N,)`` int32 row group (segment and behaviour type; the last group is padding).
    units
        ``(N,)`` int32 exposure in integer units of the run's money quantum (the loss of a
        charged-off loan when ``money`` is off).
    fraud_hazard
        ``(T,)`` float64 fraud-claim hazard by month (the same in every scenario).
    loans
        With the ``Money`` feature: the loans' terms (``LoanMoney``), else None.
    start
        ``(N,)`` int32 the loans' states at month 0 (then ``t0`` is 0), or the dict of
        ``(B, N)`` arrays (``(B, S, N)`` with strategies) of each loan's simulated state in
        each scenario at month t0 that an earlier call returned.
    t0
        int32 scalar, an even number: months already simulated (the randomness counter of
        month t0 + j is that of month pair (t0 + j) // 2).
    strat
        S strategies' arrays stacked on a leading axis (``creditsim.compile.strategies.
        StrategyArrays``, with the ``Collections`` feature), each with its row table; None
        for no strategy.  All S run in this one call on common random numbers: every draw
        depends only on (scenario, loan, month, stream), never on the strategy.
    per_loan
        Optional per-loan inputs by name, ``(N,)`` arrays the features read
        (``Kernel.per_loan``): ``"dpd0"`` int32 months past due at month 0 (``Aging``;
        default each state's first month), ``"attr"`` int32 attribution group and
        ``"log_v"`` float32 monthly log discount factor (``Attribution``).
    features, n_segments, keep, strategy_batch
        Static: the run's features (``creditsim.engine.features.features_for``: frozen and
        hashable, so each set compiles once); the number of segments G; whether to return
        the carry (to go on from it); with strategies, how many are stepped together
        (vectorised, sharing each month's random words) where the others run one after
        another (1: one at a time, each strategy's working set that of a run without; S:
        all together).  With the test-only ``Audit`` feature the carry also holds, per loan
        over the run, the checks of ``AUDIT``.

    Returns
    -------
    ``(outputs, carry)``: the carry at month t0 + T (None unless ``keep``), and a dict of
    outputs, the features' totals (``Feature.totals`` says how each is merged):
    ``counts (B, T, G*K*F)`` int32 loans by segment, state and
    flags for months 1..T (F = 4 with shocks: flag 2 = under a shock this month, flag 1 =
    hardship reported; else 1); ``loss (B, 2, G)`` int64 units charged off over the
    months for credit (0) and confirmed fraud (1) by loans charged off in these months;
    ``charged (B, 2, G)`` int32 the loans; ``moves (B, G*K*K)`` int64 the months of open
    loans by segment, state at the start of a month and state at its end, over the months.
    With ``money`` also ``balance (B, T, G*K*F)`` int64 principal of live loans by bin,
    ``flows (B, T, 4)`` int64 interest received, principal repaid, credit and fraud
    charge-offs by month, ``written (B, 2, 2)`` int64 principal and interest charged off by
    cause, ``accrued (B,)`` int64 interest and penalty that fell due in these months and
    ``owed_at_end (B,)`` int64 interest still owed at their end.
    With a strategy ``flows`` has 10 more columns (``STRATEGY_FLOWS``), and there are
    ``recovered_by_age (B, 3, n_age)`` int64 the recovery curves' amounts by age (``CURVES``:
    recoveries by months since charge-off, what placed accounts paid by months since
    placement, what loans first past due paid by months since),
    ``max_contacts (B,)`` int32 the most contacts of a loan in a month, and
    ``contacts_barred (B,)`` int32 contacts with loans under fraud review or confirmed
    fraud victims (the engine makes none).  With strategies every output and the carry
    have a strategy axis after the scenario axis: ``(B, S, ...)``.
    """
    _TRACES["chunk_kernel"] += 1
    strategy = strat is not None

    def one_scenario(zs, key, init0, strat_i):
        ctx = kernel_context(features, cm, group=group, units=units, loans=loans, fraud_hazard=fraud_hazard, t0=t0,
                             strat=strat_i, n_segments=n_segments, n_months=zs.shape[0], per_loan=per_loan)
        return run_scenario(ctx, zs, key, loan_id, start if init0 is None else init0, keep=keep)

    def scenario(zs, key, init0):
        if not strategy:
            return one_scenario(zs, key, init0, None)
        # the strategies of a scenario, one after another or stepped together
        batch = {} if strategy_batch == 1 else {"batch_size": strategy_batch}
        return jax.lax.map(lambda a: one_scenario(zs, key, a[1], a[0]), (strat, init0), **batch)

    if isinstance(start, dict):
        return jax.lax.map(lambda a: scenario(*a), (z, keys, start))
    return jax.lax.map(lambda a: scenario(*a, None), (z, keys))
