"""``simulate(..., engine="cohort")``: the book gathered into cohorts and run by the cohort
engine (``creditsim.engine.cohort``) in batches of scenarios; the result is the agent
engine's Dataset.

What the cohort engine runs: the chain with its macro tilt, behaviour types, income
shocks, fraud claims, months past due and the charge-off rule, on a book of exposures
(loss given default 100%) or with loan terms (each cohort's money carried as totals), with
importance sampling of the macro path.  What it refuses, naming it: strategies,
originations and stages.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import xarray as xr

from ..compile.cohort import (
    OUTCOMES,
    CohortTables,
    cohort_tables,
    exposure_classes,
    money_rules,
    sub_state_of,
    terms_classes,
)
from ..compile.loans import exposure_units, money_quantum, months_past_due, resolve
from ..compile.model import ONE, compile_model
from ..engine import rng as _rng
from ..engine.cohort import COMBOS, MONEY, CohortInputs, MoneyInputs, cohort_kernel
from ..results.dataset import assemble
from ..spec.book import LoanBook
from ..spec.model import CreditModel
from . import plan as _plan
from . import unit as _unit

__all__ = ["DEFAULT_CLASSES", "DEFAULT_AMOUNT_CLASSES", "DEFAULT_RATE_CLASSES", "simulate_cohort", "cohort_layout",
           "outcome_pairs"]

#: Exposure classes of a book whose loans hold more distinct exposures (assumption: 16
#: classes keep the bucketing's share of the exposure small for a lognormal book while the
#: month's cost grows with the classes; benchmarks/README.md measures it).
DEFAULT_CLASSES = 16

#: With loan terms: amount classes (assumption: a cohort carries its money as totals, so
#: the classes change no mean; they bring back the spread of single loans' amounts, which a
#: large book's loss hardly shows, at a cost linear in them).
DEFAULT_AMOUNT_CLASSES = 1
#: With loan terms: the most rate bands of a row group (assumption: priced books use a few
#: rates per segment, each then exact; more distinct rates are banded).
DEFAULT_RATE_CLASSES = 4

#: The most cohorts (row groups x classes x sub-states x shock flags) a run may hold a
#: scenario (assumption: a month's arrays then stay within a few hundred megabytes a batch).
MAX_CELLS = 2**20

#: Default scenarios per kernel call (a run of fewer: the power of two that holds them);
#: with loan terms fewer, the month's money arrays being larger.
DEFAULT_BATCH = 64
DEFAULT_BATCH_MONEY = 8


def outcome_pairs(tables: CohortTables) -> np.ndarray:
    """The (sub-state, outcome) pairs that can hold loans, as flat indices ``s · O + o``
    (int32, ascending): each open move slot of a sub-state whose loans move (an absorbing
    state's loans stay, on its one slot), a claim where one can come, a review's
    confirmation and rejection in its last month, a review going on before it.  The
    kernel keeps only these of a month's outcomes."""
    n_sub, n_out = tables.next_sub.shape
    width = n_out - len(OUTCOMES)
    ok = np.zeros((n_sub, n_out), bool)
    ok[:, :width] = tables.dest_open & tables.moves[:, None]
    ok[:, width + OUTCOMES.index("claim")] = tables.claimable
    ok[:, width + OUTCOMES.index("confirm")] = tables.deciding
    ok[:, width + OUTCOMES.index("reject")] = tables.deciding
    ok[:, width + OUTCOMES.index("held")] = tables.holding
    return np.flatnonzero(ok.reshape(-1)).astype(np.int32)


def cohort_layout(tables: CohortTables, k: int, shocks: bool, to: int | None = None) -> np.ndarray:
    """Where each outcome of each cohort counts: a 0/1 matrix ``(V·C, S·H + K·F + K·K + 1
    + 3)`` from the outcomes (flat over the ``outcome_pairs`` and the flag combinations, as
    the kernel's outcome counts) to its cohort next month (sub-state · H + flags), its
    occupancy bin (state · F + the month's flags), its move (state at the start · K + state
    at the end, then one column for moves from a paid-off or charged-off state, not
    counted) and its charge-off (none, credit, confirmed fraud).  ``to``: every outcome
    instead takes its loans to sub-state ``to`` with no charge-off (a loan paid off at its
    schedule's end)."""
    combos = COMBOS if shocks else ((0, 0, 0),)
    h = 4 if shocks else 1
    n_sub, n_out = tables.next_sub.shape
    pairs = outcome_pairs(tables)
    s = (pairs // n_out)[:, None]
    o = (pairs % n_out)[:, None]
    c = np.arange(len(combos))[None, :]
    nxt = tables.next_sub[s, o] if to is None else np.full(s.shape, to)
    kind = tables.charge_off[s, o] if to is None else np.zeros(s.shape, int)
    st_next = tables.state[nxt]
    now, rep, go = (np.array([x[i] for x in combos])[c] for i in range(3))
    shocked = now & go & ~tables.absorbing[nxt]
    flags_next = 2 * shocked + rep if shocks else 0 * nxt
    flags_month = 2 * now + rep if shocks else 0 * nxt
    move = np.where(tables.absorbing[s], k * k, tables.state[s] * k + st_next)
    shape = (pairs.size, len(combos))
    cols = [np.broadcast_to(nxt * h + flags_next, shape), np.broadcast_to(st_next * h + flags_month, shape),
            np.broadcast_to(move, shape), np.broadcast_to(kind, shape)]
    widths = [n_sub * h, k * h, k * k + 1, 3]
    offsets = np.cumsum([0] + widths[:-1])
    rows = np.prod(shape)
    out = np.zeros((rows, sum(widths)))
    for col, off in zip(cols, offsets, strict=True):
        out[np.arange(rows), off + col.reshape(-1)] = 1.0
    return out


def draw_cells(tables: CohortTables, shocks: bool, fraud: bool) -> tuple:
    """The cells of each round of a month's draws that can draw (flat indices over the
    round's trailing axes, as ``cohort_kernel`` takes them, a hashable tuple of pairs):
    ``start`` (sub-state, hardship) of calm loans in performing sub-states; ``end``
    (sub-state, hardship) of shocked loans, in sub-states not absorbing; ``report``
    (sub-state, ended or going on) likewise; ``claim`` and ``decide`` (sub-state, flag
    combination) where a claim can come or a review ends; ``slot{w}`` where slot ``w`` is
    open and not the last (which takes what is left).  Every other cell draws 0: its count
    or its probability is 0 by the model's structure."""
    c = len(COMBOS) if shocks else 1
    n_sub, width = tables.dest.shape
    perf = np.flatnonzero(tables.performing)
    live = np.flatnonzero(~tables.absorbing)

    def cells(subs, per):
        return tuple(int(s * per + j) for s in subs for j in range(per))

    out = {f"slot{w}": cells(np.flatnonzero(tables.moves & ~tables.absorbing & (w < tables.last_slot)), c)
           for w in range(width - 1)}
    if shocks:
        out.update(start=cells(perf, 2), end=cells(live, 2), report=cells(live, 2))
    if fraud:
        out.update(claim=cells(np.flatnonzero(tables.claimable), c), decide=cells(np.flatnonzero(tables.deciding), c))
    out = {k: v if v else (0,) for k, v in out.items()}  # a round with no cell draws on one (0 loans)
    return tuple(sorted(out.items()))


def simulate_cohort(model: CreditModel, book: LoanBook, plan: _plan.RunPlan, *, scenario_batch: int | None,
                    progress, macro: tuple, classes: int | None, rate_classes: int | None = None) -> xr.Dataset:
    """The cohort engine's run (``simulate`` has checked its arguments into ``plan``, whose
    horizon, scenarios and seed it takes): ``macro`` is ``(keys, z, log_weight)`` of the
    run's scenarios (``creditsim.run.simulation``); ``classes`` the exposure classes (with
    loan terms: amount classes), ``rate_classes`` the rate bands per row group with terms."""
    import jax
    import jax.numpy as jnp

    keys, z, _ = macro
    horizon, scenarios, seed = plan.horizon, plan.scenarios, plan.seed
    money = book.terms is not None
    n_classes = (DEFAULT_AMOUNT_CLASSES if money else DEFAULT_CLASSES) if classes is None else classes
    # fewer scenarios than a default batch: the power of two that holds them
    default = DEFAULT_BATCH_MONEY if money else DEFAULT_BATCH
    batch = min(default, 1 << (scenarios - 1).bit_length()) if scenario_batch is None else scenario_batch
    seg, st0 = resolve(book, model)
    cm, types = compile_model(model)
    dpd = months_past_due(book, model, st0)
    dpd0 = cm.past_first[st0] if dpd is None else dpd
    g, k = len(model.segments), len(model.states)
    shocks, fraud = model.income_shock is not None, model.fraud is not None
    h = 4 if shocks else 1
    # behaviour types drawn per loan as the agent engine draws them (the same loans' types)
    group = _unit.draw_groups(seed, plan, seg, cm, types, any(s.types for s in model.segments))
    n_groups = cm.group_segment.shape[0] - 1
    by_group = np.bincount(group, minlength=n_groups + 1)[:n_groups].astype(np.int64)
    quantum = money_quantum(book)
    units = exposure_units(book, quantum)
    tables = cohort_tables(model, cm, st0, dpd0, money_horizon=horizon if money else None)
    sub = sub_state_of(tables, model, st0, dpd0, cm)
    n_sub = tables.state.shape[0]
    if money:
        left = book.terms.term - book.terms.months_on_book
        stuck = np.flatnonzero((left == 0) & (units > 0) & ~cm.absorbing[st0])
        if stuck.size:
            i = int(stuck[0])
            raise ValueError(f"simulate: engine='cohort' decides a schedule's end per cohort and needs a loan with no "
                             f"instalment left to have no balance not yet due; loan {i} has months_on_book = term = "
                             f"{int(book.terms.term[i])} and exposure {float(book.exposure[i])!r} (give such a "
                             f"loan's balance as what it owes overdue, or use engine='agent')")
        tc = terms_classes(model, book.terms, units, group, n_groups, rate_classes=DEFAULT_RATE_CLASSES
                           if rate_classes is None else rate_classes, amount_classes=n_classes)
        cls = tc.cls
        e = tc.share.shape[1]
        class_units = np.zeros((n_groups, e), np.int64)  # not used: the cohorts carry their money
    else:
        cls, class_units = exposure_classes(units, group, n_groups, n_classes)
        e = class_units.shape[1]
    n_cells = n_groups * e * n_sub * h
    if n_cells > MAX_CELLS:
        what = (f"{tc.n_bands} rate bands x {tc.n_amounts} amount classes x {tc.n_left} values of instalments left"
                if money else f"{e} exposure classes")
        raise ValueError(f"simulate: engine='cohort' would hold {n_cells:,} cohorts a scenario ({n_groups} row "
                         f"groups x {what} x {n_sub} sub-states x {h} shock flags), more than {MAX_CELLS:,}; use "
                         f"fewer exposure_classes or rate_classes, or engine='agent'")
    cell = (group.astype(np.int64) * e + cls) * n_sub * h + sub * h
    n0 = np.bincount(cell, minlength=n_groups * e * n_sub * h).reshape(n_groups, e, n_sub * h)
    if n0.max(initial=0) >= 2**31:
        raise ValueError(f"simulate: engine='cohort' counts a cohort's loans in 32 bits; this book puts "
                         f"{int(n0.max())} loans in one cohort (at most {2**31 - 1})")
    layout = cohort_layout(tables, k, shocks)
    cells = draw_cells(tables, shocks, fraud)
    fraud_thr = np.round((model.fraud.hazards(horizon) if fraud else np.zeros(horizon)) * ONE).astype(np.uint32)
    total_loan_months = len(book) * horizon * scenarios
    mi = m0 = static_money = None
    if money:
        mi, m0, static_money = _money_inputs(model, cm, book, tables, tc, layout, units, st0, cell, n0.shape, k,
                                             shocks)
    with _rng.x64():
        from_tables = {name: getattr(tables, name) for name in CohortInputs._fields if hasattr(tables, name)}
        ci = CohortInputs(**from_tables, layout=layout, pairs=outcome_pairs(tables), class_units=class_units,
                          group_segment=cm.group_segment[:n_groups], fraud_thr=fraud_thr)
        ci, cm_dev, mi, m0 = jax.tree.map(jnp.asarray, (ci, cm, mi, m0))
        n0_dev = jnp.asarray(n0.astype(np.int32))

    def one_batch(lo):
        idx = np.minimum(np.arange(lo, lo + batch), scenarios - 1)  # a short last batch repeats its last
        with _rng.x64():  # (per thread)
            res = cohort_kernel(cm_dev, ci, jnp.asarray(z[idx]), jnp.asarray(keys[idx]), n0_dev, mi, m0,
                                shocks=shocks, fraud=fraud, n_segments=g, draw_cells=cells, money=static_money)
            return {name: np.asarray(a) for name, a in res.items()}

    # batches on a thread each per core: a batch's small arrays keep one core busy, and a
    # scenario's draws do not depend on which batch or thread runs it
    totals: dict[str, np.ndarray] = {}
    starts = list(range(0, scenarios, batch))
    with ThreadPoolExecutor(max_workers=max(1, min(len(starts), os.cpu_count() or 1))) as pool:
        for lo, res in zip(starts, pool.map(one_batch, starts), strict=True):
            hi = min(lo + batch, scenarios)
            for name, a in res.items():
                if name not in totals:
                    dtype = np.float64 if a.dtype.kind == "f" else np.int64
                    totals[name] = np.zeros((scenarios,) + a.shape[1:], dtype)
                totals[name][lo:hi] = a[: hi - lo]
            if progress is not None:
                progress(len(book) * horizon * hi, total_loan_months)
    ds = assemble([totals], [], model=model, book=book, seg=seg, st0=st0, z=z, by_group=by_group, units=units,
                  quantum=quantum, horizon=horizon, scenarios=scenarios, seed=seed, engine="cohort", f=h)
    ds.attrs["exposure_classes"] = int(tc.n_amounts if money else e)
    if money:
        ds.attrs["rate_bands"] = int(tc.n_bands)
        ds.attrs["rate_band_error"] = tc.rate_error
    else:
        moved = np.abs(units.astype(np.int64) - class_units[group, cls]).sum()
        ds.attrs["exposure_class_error"] = float(moved / max(units.astype(np.float64).sum(), 1))
    return ds


def _money_inputs(model, cm, book, tables, tc, layout, units, st0, cell, n0_shape, k, shocks):
    """A book with loan terms: the kernel's ``MoneyInputs``, each cohort's money at month 0
    (``MONEY``: the principal not yet due by repayment method, nothing overdue, as the agent
    engine starts) and the kernel's static ``money`` argument."""
    rules = money_rules(tables, model, cm)
    n_sub, n_out = tables.next_sub.shape
    pairs = outcome_pairs(tables)
    at = (pairs // n_out, pairs % n_out)
    h = n0_shape[2] // n_sub
    charge = np.stack([tables.charge_off[at] == 1, tables.charge_off[at] == 2], axis=-1).astype(np.float64)
    pays_off = rules.paid_off_sub >= 0
    done = cohort_layout(tables, k, shocks, to=rules.paid_off_sub) if pays_off else np.zeros(layout.shape)
    left = np.arange(tc.share.shape[1]) % tc.n_left
    mi = MoneyInputs(live=rules.live[at], keep=rules.keep[at], paid=rules.paid[at], carry=rules.carry[at],
                     charge=charge, rate=tc.rate, penalty=tc.penalty, share=tc.share, left=left.astype(np.int32),
                     layout=layout[:, : n_sub * h + k * h], done=done)
    bal = np.where(cm.absorbing[st0], 0, units).astype(np.float64)
    m0 = np.zeros((int(np.prod(n0_shape)), len(MONEY)))
    method = book.terms.method.astype(np.int64)
    for j in range(3):
        m0[:, j] = np.bincount(cell, weights=np.where(method == j, bal, 0.0), minlength=m0.shape[0])
    return mi, m0.reshape(n0_shape + (len(MONEY),)), (tc.n_left, bool(pays_off))
