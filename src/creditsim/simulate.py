"""``simulate``: run a credit model over a loan book and return a labelled Dataset."""

from __future__ import annotations

import json
import math
import operator

import jax.numpy as jnp
import numpy as np
import xarray as xr

from . import _collect, _engine, _rng
from ._version import __version__
from .book import LoanBook
from .model import CreditModel
from .schedule import to_units
from .strategy import Strategy
from .strategy import strategy as _as_strategy

__all__ = ["simulate", "model_from_result", "DEFAULT_CHUNK_SIZE", "DEFAULT_SCENARIO_BATCH", "CURRENCY"]

#: Loans per chunk when ``chunk_size`` is not given: memory is O(chunk), not O(book).
DEFAULT_CHUNK_SIZE = 1 << 18
#: Scenarios simulated together in one kernel call.
DEFAULT_SCENARIO_BATCH = 8
#: Currency of every money figure.
CURRENCY = "CNY"
#: The smallest amount paid or charged on a loan with terms (one fen, 0.01 yuan).
FEN = 0.01
_MAX_LOANS = 2**32  # loan indices are 32-bit randomness counters


def _positive_int(field: str, value, upper: int | None = None) -> int:
    try:
        if isinstance(value, bool):
            raise TypeError
        v = operator.index(value)
    except TypeError:
        raise ValueError(f"simulate: {field} must be a whole number, got {value!r}") from None
    if v < 1:
        raise ValueError(f"simulate: {field} must be >= 1, got {value!r}")
    if upper is not None and v > upper:
        raise ValueError(f"simulate: {field} must be <= {upper}, got {value!r}")
    return v


def _resolve(book: LoanBook, model: CreditModel) -> tuple[np.ndarray, np.ndarray]:
    """Map the book's segment and state names to the model's indices (vectorised).

    A name no loan uses (an unused category of a pandas column) is not looked up; a name
    some loan uses and the model lacks is an error naming the first such loan.
    """
    seg_lut = _lookup("segment", book.segment_names, book.segment_codes, model.segment_index,
                      list(model.segment_names))
    st_lut = _lookup("state", book.state_names, book.state_codes, model.states.index,
                     list(model.states.names))
    return seg_lut[book.segment_codes], st_lut[book.state_codes]


def _lookup(field: str, names, codes: np.ndarray, find, known: list) -> np.ndarray:
    used = np.bincount(codes, minlength=len(names)) > 0
    lut = np.zeros(len(names), dtype=np.int32)
    for c, name in enumerate(names):
        if not used[c]:
            continue
        try:
            lut[c] = find(name)
        except ValueError:
            i = int(np.flatnonzero(codes == c)[0])
            raise ValueError(
                f"LoanBook.{field}: loan {i} has unknown {field} {name!r}; "
                f"the model's {field}s are {known!r}"
            ) from None
    return lut


def _money_quantum(exposure: np.ndarray) -> float:
    """A power of two such that every exposure is at most 2**30 quanta.

    Exposures are summed as exact integers of this quantum, so totals do not depend on the
    order of summation (chunking); the quantum is at most 2**-29 of the largest exposure in
    the book, so the rounding of one exposure is at most 2**-30 of it.
    """
    top = float(exposure.max()) if exposure.size else 0.0
    if top <= 0:
        return 1.0
    return math.ldexp(1.0, math.ceil(math.log2(top)) - 30)


def _padded_length(n: int, cap: int) -> int:
    """Chunk length for ``n`` loans: ``n`` rounded up to an eighth of its power of two (at
    least 256), at most ``cap``.  Books of similar size share one compiled shape, and the
    padding is at most 12.5%."""
    step = max(1 << max(n.bit_length() - 4, 0), 256)
    return min(cap, -(-n // step) * step)


def _scenario_blocks(scenarios: int, batch: int) -> list[slice]:
    """Scenario slices for the kernel calls: full batches, then the remainder in powers of
    two, so that any number of scenarios uses at most a few compiled batch sizes and no
    scenario is simulated only to be thrown away."""
    blocks, start = [], 0
    while start < scenarios:
        size = min(batch, scenarios - start)
        if size < batch:
            size = 1 << (size.bit_length() - 1)
        blocks.append(slice(start, start + size))
        start += size
    return blocks


def simulate(
    model: CreditModel,
    book,
    *,
    horizon: int,
    scenarios: int,
    seed: int,
    chunk_size: int | None = None,
    engine: str = "agent",
    scenario_batch: int | None = None,
    strategies=None,
    strategy_batch: int | None = None,
    progress=None,
) -> xr.Dataset:
    """Simulate ``book`` under ``model`` for ``horizon`` months in ``scenarios`` scenarios.

    Parameters
    ----------
    model
        A validated ``CreditModel``.
    book
        A ``LoanBook``, or a pandas DataFrame with columns ``segment``, ``state`` and
        ``exposure`` (yuan).
    horizon
        Months to simulate, >= 1.
    scenarios
        Independent Monte Carlo scenarios (macro paths with their loan-level draws), >= 1.
    seed
        Integer seed, 0 <= seed < 2**63.  A loan's draws depend only on (seed, scenario,
        loan index, month): the same seed gives the same result for any ``chunk_size``,
        ``scenario_batch`` or device.
    chunk_size
        Most loans per kernel call; default 2**18 (262,144: on the 2-core reference CPU
        larger chunks were slower, the per-loan arrays of a chunk then spilling out of the
        caches; see benchmarks/README.md).  Chunks are padded to a
        few standard lengths (a book of n loans to n rounded up to an eighth of its power
        of two), so books of similar size and repeated runs reuse one compilation.
    engine
        ``"agent"`` (loan level, the default and for now the only engine).
    scenario_batch
        Most scenarios per kernel call; default 8.  A remainder runs in batches of powers
        of two, so at most a few batch shapes are compiled.
    strategies
        Collection strategies (``creditsim.Strategy``, a preset name of
        ``creditsim.STRATEGIES``, or a dict), one or a list; needs a book with loan terms.
        Every strategy runs on common random numbers (the same draws for everything it
        does not change) and the result gains a ``strategy`` dimension.  Default none: no
        collection actions.  All strategies run in one compiled kernel call per chunk and
        segment of months.
    strategy_batch
        With strategies: how many the kernel steps together, vectorised and sharing each
        month's random words, where the others run one after another.  Default: one at a
        time on a CPU (together measured no faster there, and one at a time keeps one
        strategy's temporary arrays of a month, not all of them), all together on a GPU.
        Results do not depend on it (tested).
    progress
        Optional callable ``progress(done, total)``, called after each block of work (a
        chunk of loans under a batch of scenarios) with the loan-months simulated so far
        and in all (loans × months × scenarios × strategies); default none.  The
        ``creditsim`` command draws its progress bar with it.

    Returns
    -------
    xarray.Dataset
        ``occupancy`` (scenario, month, segment, state) loan counts with month 0 the start;
        ``loss`` and ``loss_by_segment`` (yuan of exposure charged off over the horizon);
        ``charged_off`` and ``charged_off_by_segment`` (loans); ``macro_z`` (scenario,
        month); ``initial_exposure`` (segment, state).  The model (JSON), run settings,
        book fingerprint and package version are in ``attrs``.
    """
    if not isinstance(model, CreditModel):
        raise ValueError(f"simulate: model must be a CreditModel, got {type(model).__name__}")
    if not isinstance(book, LoanBook):
        if hasattr(book, "columns"):
            book = LoanBook.from_dataframe(book)
        else:
            raise ValueError(f"simulate: book must be a LoanBook or a DataFrame, got {type(book).__name__}")
    if engine != "agent":
        raise ValueError(f"simulate: unknown engine {engine!r}; available: ['agent']")
    horizon = _positive_int("horizon", horizon, upper=2**24 - 1)
    scenarios = _positive_int("scenarios", scenarios, upper=2**32)
    try:
        if isinstance(seed, bool):
            raise TypeError
        seed = operator.index(seed)
    except TypeError:
        raise ValueError(f"simulate: seed must be a whole number, got {seed!r}") from None
    if not 0 <= seed < 2**63:
        raise ValueError(f"simulate: seed must be in [0, 2**63), got {seed!r}")
    n = len(book)
    if n > _MAX_LOANS:
        raise ValueError(f"simulate: the book has {n} loans, more than {_MAX_LOANS}")
    cap = _positive_int("chunk_size", chunk_size) if chunk_size is not None else DEFAULT_CHUNK_SIZE
    chunk = _padded_length(min(n, cap), cap)
    batch = _positive_int("scenario_batch", scenario_batch) if scenario_batch is not None \
        else DEFAULT_SCENARIO_BATCH

    strats = _strategies(strategies)
    if strategy_batch is not None:
        strategy_batch = _positive_int("strategy_batch", strategy_batch)
    if strats and book.terms is None:
        raise ValueError("simulate: strategies need a book with loan terms (balances to collect); this book "
                         "has only exposures")
    seg, st0 = _resolve(book, model)
    cm, types = _engine.compile_model(model)
    g, k = len(model.segments), len(model.states)
    typed = any(s.types for s in model.segments)
    shocks = model.income_shock is not None
    fraud = model.fraud is not None
    money = book.terms is not None
    aging = _engine.needs_aging(model)
    f = 4 if shocks else 1
    quantum = _money_quantum(book.exposure)
    if money:
        quantum = max(quantum, FEN)  # balances and payments in whole fen where they fit
    # amounts to money units, halves away from zero (the package's one convention)
    units = to_units(book.exposure, quantum).astype(np.int32)
    money_in = _loan_money(book, model, units) if money else None

    scen_idx = np.arange(scenarios, dtype=np.int64)
    keys = _rng.scenario_keys(seed, scen_idx)
    path = model.macro.path[:horizon] if model.macro.path is not None else None
    z = _engine.macro_paths(keys, model.macro.phi, horizon, path)
    fraud_hazard = model.fraud.hazards(horizon) if fraud else np.zeros(horizon)

    def zeros():
        t = {"counts": np.zeros((scenarios, horizon, g * k * f), np.int64),
             "loss": np.zeros((scenarios, 2, g), np.int64), "charged": np.zeros((scenarios, 2, g), np.int64),
             "moves": np.zeros((scenarios, g * k * k), np.int64)}
        if money:
            n_flows = 4 + (len(_engine.STRATEGY_FLOWS) if strats else 0)
            t.update(balance=np.zeros((scenarios, horizon, g * k * f), np.int64),
                     flows=np.zeros((scenarios, horizon, n_flows), np.int64),
                     written=np.zeros((scenarios, 2, 2), np.int64), end=np.zeros((scenarios, 2), np.int64))
        if strats:
            t.update(recovered_by_age=np.zeros((scenarios, len(_engine.CURVES), horizon), np.int64),
                     max_contacts=np.zeros(scenarios, np.int64), contacts_barred=np.zeros(scenarios, np.int64))
        return t

    # the strategies, stacked: every kernel call runs them all (a run without strategies is
    # one run with none)
    arrs = _collect.compile_strategies(model, strats, _engine.base_matrices(model), quantum) if strats else None
    all_totals = [zeros() for _ in (strats or [None])]
    n_groups = cm.group_segment.shape[0] - 1
    by_group = np.zeros(n_groups, dtype=np.int64)
    flags = dict(n_segments=g, shocks=shocks, fraud=fraud, aging=aging, money=money)
    if strats:
        flags.update(n_age=horizon, strategy_batch=_strategy_batch(strategy_batch, len(strats)))
    with _rng.x64():
        cm_dev = _engine.CompiledModel(*(jnp.asarray(a) for a in cm))
        strat_dev = None if arrs is None else _collect.StrategyArrays(*(jnp.asarray(a) for a in arrs))
        types_dev = _engine.TypeDraw(*(jnp.asarray(a) for a in types))
        seed_key = jnp.asarray(_rng.seed_key(seed))
        n_strat = max(len(strats), 1)
        done, total = 0, n * horizon * scenarios * n_strat
        if progress is not None and not callable(progress):
            raise ValueError(f"simulate: progress must be a callable progress(done, total) or None, got {progress!r}")
        for start in range(0, n, chunk):
            stop = min(start + chunk, n)
            pad = chunk - (stop - start)

            def cut(a, fill=0, start=start, stop=stop, pad=pad):
                return np.concatenate([a[start:stop], np.full(pad, fill, a.dtype)])

            ids = np.arange(start, start + chunk, dtype=np.uint64).astype(np.uint32)
            cseg = cut(seg, g)
            # without behaviour types every segment is one group, numbered as the segment
            group = np.asarray(_engine.draw_groups(seed_key, jnp.asarray(ids), jnp.asarray(cseg), types_dev)) \
                if typed else cseg
            by_group += np.bincount(group, minlength=n_groups + 1)[:n_groups]
            loans = _engine.LoanMoney(*(cut(a) for a in money_in)) if money else None
            for sl in _scenario_blocks(scenarios, batch):
                outs = [{name: arr[sl] for name, arr in totals.items()} for totals in all_totals]
                _run_block(cm_dev, strat_dev, outs, z[sl], keys[sl], ids, group, cut(st0), cut(units),
                           fraud_hazard, loans, g * k * f, **flags)
                if progress is not None:
                    done += (stop - start) * horizon * (sl.stop - sl.start) * n_strat
                    progress(done, total)

    common = dict(model=model, book=book, seg=seg, st0=st0, z=z, by_group=by_group, units=units, quantum=quantum,
                  horizon=horizon, scenarios=scenarios, seed=seed, engine=engine, f=f)
    if not strats:
        return _result(all_totals[0], None, **common)
    parts = [_result(t, st, **common) for t, st in zip(all_totals, strats, strict=True)]
    per_strategy = [name for name in parts[0].data_vars if name not in _COMMON_VARIABLES]
    ds = xr.concat(parts, dim="strategy", data_vars=per_strategy, coords="minimal", compat="override",
                   combine_attrs="override")
    ds = ds.assign_coords(strategy=("strategy", [st.name for st in strats],
                                    {"description": "collection strategy (common random numbers)"}))
    ds.attrs["strategies"] = json.dumps([st.to_dict() for st in strats])
    return ds


#: Variables that no strategy changes (kept once, without a strategy dimension).
_COMMON_VARIABLES = ("macro_z", "initial_exposure", "loans_by_type")


def _strategy_batch(value, n: int) -> int:
    """Strategies stepped together in the kernel: ``value`` (at most ``n``), or by default
    one at a time on a CPU (together measured no faster there, with ``n`` times the month's
    temporary arrays) and all together on an accelerator."""
    if value is None:
        import jax

        return 1 if jax.default_backend() == "cpu" else n
    return min(value, n)


def _strategies(strategies) -> list[Strategy]:
    from collections.abc import Iterable, Mapping

    if strategies is None:
        return []
    if isinstance(strategies, (str, Strategy, Mapping)):
        strategies = [strategies]
    if not isinstance(strategies, Iterable):
        raise ValueError(f"simulate: strategies must be a Strategy, a preset name, a dict or a list of them, "
                         f"got {strategies!r}")
    out = []
    for i, s in enumerate(strategies):
        if not isinstance(s, (str, Strategy, Mapping)):
            raise ValueError(f"simulate: strategies[{i}] must be a Strategy, a preset name or a dict, got {s!r}")
        out.append(_as_strategy(s))
    if not out:
        raise ValueError("simulate: strategies is empty; give None for no strategy")
    names = [s.name for s in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"simulate: strategy names must be unique, {dup!r} repeat")
    return out


def _result(totals, strat, *, model, book, seg, st0, z, by_group, units, quantum, horizon, scenarios, seed,
            engine, f) -> xr.Dataset:
    """The Dataset of one run (one strategy) from its integer totals."""
    g, k = len(model.segments), len(model.states)
    money = book.terms is not None
    shocks = model.income_shock is not None
    fraud = model.fraud is not None
    occ = totals["counts"].reshape(scenarios, horizon, g, k, f)
    extra = {}
    if shocks:  # flag bit 2: under a shock during the month; bit 1: hardship reported
        extra = {"in_shock": occ[..., 2:].sum(axis=(3, 4)), "hardship_reported": occ[..., 1::2].sum(axis=(3, 4))}
    occ = occ.sum(axis=4).reshape(scenarios, horizon, g * k)
    loss_units, charged = totals["loss"], totals["charged"]
    extra["transitions"] = totals["moves"].reshape(scenarios, g, k, k)
    police = model.fraud.police_recovery if fraud else 0.0
    if fraud:
        extra["fraud_loss"] = loss_units[:, 1] * quantum * (1.0 - police)
        extra["fraud_charged_off"] = charged[:, 1]
    if money:
        extra["balance"] = totals["balance"].reshape(scenarios, horizon, g, k, f).sum(axis=4) * quantum
        extra["flows"] = totals["flows"][..., :4] * quantum
        extra["sflows"] = totals["flows"][..., 4:]  # strategy columns, in their own units
        extra["quantum"] = quantum
        extra["written"] = totals["written"] * quantum
        extra["end"] = totals["end"] * quantum
        extra["police"] = police
        extra["opening"] = units * quantum  # the book's balances on the money grid
    if strat is not None:
        extra["strategy"] = strat
        extra["recovered_by_age"] = totals["recovered_by_age"] * quantum
        extra["max_contacts"] = totals["max_contacts"]
        extra["contacts_barred"] = totals["contacts_barred"]
    return _dataset(model, book, seg, st0, occ, loss_units[:, 0] * quantum, charged[:, 0], z, by_group, extra,
                    horizon=horizon, scenarios=scenarios, seed=seed, engine=engine)


#: Months simulated per kernel call for a book with loan terms: between calls, loans paid
#: off or charged off in every scenario of a batch are dropped from the chunk.
SEGMENT_MONTHS = 6
#: The smallest chunk that dropping finished loans halves down to: below it a kernel call
#: costs next to nothing, and each smaller size would be one more compilation.
MIN_DROP_SIZE = 4096


def _run_block(cm_dev, strat, outs, z, keys, ids, group, state0, units, fraud_hazard, loans, n_out, **flags):
    """Simulate one chunk under one batch of scenarios over the whole horizon, with the
    compiled model ``cm_dev`` and the stacked strategies ``strat`` (None for a run
    without), adding each run's totals into ``outs`` (one dict per strategy, or the one for
    the run without: views of the run's arrays for these scenarios).

    With loan terms the horizon runs in segments of ``SEGMENT_MONTHS``, every strategy in
    the same kernel call; after each, if at most 40% of the chunk's loans are still live
    in some scenario under some strategy, the others (finished everywhere, or padding) are
    dropped and the chunk is halved (as often as that holds, down to ``MIN_DROP_SIZE``).
    A dropped loan is in an absorbing state with frozen flags, so its occupancy bin is the
    same in every later month and is added back without simulating it; a loan's draws
    depend only on (seed, scenario, loan, month), so results are identical to simulating
    every loan throughout (tested).
    """
    batch, horizon = z.shape
    money = flags["money"]
    if SEGMENT_MONTHS % 2:  # a call starts on an even month (the kernel's random words come in pairs)
        raise ValueError(f"simulate: SEGMENT_MONTHS must be even, got {SEGMENT_MONTHS}")
    pad_group = int(cm_dev.group_segment.shape[0] - 1)
    segment = SEGMENT_MONTHS if money else horizon
    loan_arrays = {"ids": ids, "group": group, "units": units}
    if money:
        loan_arrays.update(loans._asdict())
    dev = {name: jnp.asarray(a) for name, a in loan_arrays.items()}
    carry = jnp.asarray(state0)
    dropped = None  # occupancy bins (B, n_out), or (B, S, n_out), of dropped loans
    t0 = 0
    while t0 < horizon:
        t1 = min(t0 + segment, horizon)
        money_dev = _engine.LoanMoney(*(dev[name] for name in _engine.LoanMoney._fields)) if money else None
        res, carry = _engine.chunk_kernel(cm_dev, jnp.asarray(z[:, t0:t1]), jnp.asarray(keys), dev["ids"],
                                          dev["group"], dev["units"], jnp.asarray(fraud_hazard[t0:t1]), money_dev,
                                          carry, jnp.int32(t0), strat, keep=t1 < horizon, **flags)
        res = {name: np.asarray(a) for name, a in res.items()}
        for i, out in enumerate(outs):
            pick = (lambda a: a) if strat is None else (lambda a, i=i: a[:, i])
            _add(out, {name: pick(a) for name, a in res.items()}, None if dropped is None else pick(dropped),
                 t0, t1, horizon)
        t0 = t1
        if t0 >= horizon:
            break
        live = np.asarray(_engine.live_anywhere(cm_dev, carry, dev["group"],
                                                None if strat is None else strat.after_charge_off))
        n_live, size = int(live.sum()), live.shape[0]
        # halve while at most 40% of the new size would be live: the sizes are the chunk's
        # length over powers of two whatever the seed, and a seed's live count only changes
        # the segment at which a size is reached
        new_size = size
        while new_size % 2 == 0 and new_size // 2 >= MIN_DROP_SIZE and n_live <= 0.4 * new_size:
            new_size //= 2
        if new_size == size:
            continue
        idx = np.zeros(new_size, np.int32)
        idx[:n_live] = np.flatnonzero(live)
        idx, valid = jnp.asarray(idx), jnp.asarray(np.arange(new_size) < n_live)
        gone = np.asarray(_engine.frozen_bins(cm_dev, carry, dev["group"], jnp.asarray(~live), n_out=n_out,
                                              shocks=flags["shocks"]))
        dropped = gone if dropped is None else dropped + gone
        dev, carry = _engine.compact(dev, carry, idx, valid, pad_group=pad_group)


def _add(out, res, dropped, t0, t1, horizon) -> None:
    """Add one kernel call's results (months t0+1..t1) into a run's totals ``out``."""
    out["counts"][:, t0:t1] += res["counts"] + (0 if dropped is None else dropped[:, None, :])
    out["loss"] += res["loss"]
    out["charged"] += res["charged"]
    out["moves"] += res["moves"]
    if "balance" in res:
        out["balance"][:, t0:t1] += res["balance"]
        out["flows"][:, t0:t1] += res["flows"]
        out["written"] += res["written"]
        out["end"][:, 0] += res["end"][:, 0]
        if t1 == horizon:
            out["end"][:, 1] += res["end"][:, 1]
    if "recovered_by_age" in res:
        out["recovered_by_age"] += res["recovered_by_age"]
        np.maximum(out["max_contacts"], res["max_contacts"], out=out["max_contacts"])
        out["contacts_barred"] += res["contacts_barred"]


def _loan_money(book: LoanBook, model: CreditModel, units: np.ndarray):
    """The kernel's per-loan money inputs (``creditsim._engine.LoanMoney`` fields)."""
    t = book.terms
    r = t.annual_rate / 12.0
    return (units, r.astype(np.float32), np.log1p(r).astype(np.float32),
            (r * model.penalty_multiple).astype(np.float32), t.method.astype(np.int32),
            (t.term - t.months_on_book).astype(np.int32))


def _money_variables(model, seg, st0, extra, s, horizon, money) -> dict:
    """The cash-flow variables of a run with loan terms."""
    g, k = len(model.segments), len(model.states)
    live = ~np.isin(np.arange(k), [model.states.index(a) for a in model.states.absorbing])
    w = np.where(live[st0], extra["opening"], 0.0)
    start = np.bincount(seg * k + st0, weights=w, minlength=g * k).reshape(g, k)
    balance = np.concatenate([np.broadcast_to(start, (s, 1, g, k)), extra["balance"]], axis=1)
    flows = np.concatenate([np.zeros((s, 1, 4)), extra["flows"]], axis=1)
    interest, principal, credit, fraud_gross = (flows[..., i] for i in range(4))
    fraud = fraud_gross * (1.0 - extra["police"])
    costs = np.zeros_like(interest)
    recoveries = np.zeros_like(interest)
    forgone = forgiven = np.zeros_like(interest)
    strat = extra.get("strategy")
    extra_vars = {}
    if strat is not None:
        sf = np.concatenate([np.zeros((s, 1, extra["sflows"].shape[2]), np.int64), extra["sflows"]], axis=1)
        col = {name: sf[..., i] for i, name in enumerate(_engine.STRATEGY_FLOWS)}
        q = extra["quantum"]
        agency = next((a for a in strat.actions if a.kind == "agency"), None)
        commission = (agency.commission if agency is not None else 0.0) * col["agency_collected"] * q
        complaints = col["complaints_ppm"] / 1e6
        recoveries = col["recoveries"] * q
        costs = col["action_costs"] * q + commission + strat.complaint_cost * complaints
        forgone = col["interest_forgone"] * q
        forgiven = col["debt_forgiven"] * q
        extra_vars = {
            "action_costs": (col["action_costs"] * q, "cost of the collection actions used in the month (fees "
                             "included)"),
            "agency_commission": (commission, "commission kept by the agency on what it collected in the month"),
            "agency_collections": (col["agency_collected"] * q, "what the agency collected in the month (the "
                                   "commission's base): payments on placed accounts in months that began "
                                   "past due, and recoveries after charge-off"),
            "placed_owed": (col["placed_owed"] * q, "what the accounts placed with an agency or for legal "
                            "action in the month owed when placed"),
            "delinquent_owed": (col["delinquent_owed"] * q, "what the loans that fell past due for the first "
                                "time in the run in the month owed then"),
            "complaint_costs": (strat.complaint_cost * complaints, "expected regulator complaints of the month "
                                "times the strategy's complaint_cost"),
            "interest_forgone": (forgone, "overdue interest and penalty waived by restructures, and interest "
                                 "not charged during deferrals, in the month"),
            "debt_forgiven": (forgiven, "what settlements and judgments left unpaid of the debts they closed "
                              "in the month"),
        }
    net = credit + fraud + costs + forgone + forgiven - recoveries
    # NPV at the cost of funds: cash in (payments and recoveries) less costs by month, the
    # principal still owed at the horizon at par, less what the book is worth at month 0
    v = (1.0 + model.cost_of_funds / 12.0) ** -np.arange(horizon + 1)
    cash = interest + principal + recoveries - costs
    npv = (cash * v).sum(axis=1) + v[-1] * balance[:, -1].sum(axis=(1, 2)) - start.sum()
    by_month = ("scenario", "month")
    desc = {
        "interest_received": (interest, "interest and penalty interest received in the month"),
        "principal_repaid": (principal, "principal received in the month (instalments, cures, prepayments)"),
        "credit_charge_offs": (credit, "exposure (principal plus arrears) charged off as credit losses in the "
                               "month, confirmed frauds apart"),
        "fraud_losses": (fraud, "exposure charged off as confirmed fraud in the month, less police recovery"),
        "collection_costs": (costs, "cost of collection actions in the month (none without a strategy)"),
        "recoveries": (recoveries, "amounts recovered on charged-off loans in the month (none without a strategy)"),
        "net_credit_loss": (net, "credit charge-offs + fraud losses + collection costs - recoveries"),
    }
    if strat is not None:
        desc["net_credit_loss"] = (net, "credit charge-offs + fraud losses + collection costs + interest "
                                   "forgone + debt forgiven - recoveries")
        desc["collection_costs"] = (costs, "action costs + agency commission + complaint costs in the month")
        desc.update(extra_vars)
    out = {name: (by_month, val, {**money, "description": d}) for name, (val, d) in desc.items()}
    if strat is not None:
        out["complaints"] = (by_month, complaints, {"units": "complaints", "description": "expected regulator "
                             "complaints in the month (the sum of each contact's complaint probability)"})
        out["contacts"] = (by_month, col["contacts"], {"units": "contacts", "description": "contacts with "
                           "borrowers in the month (the lender's and its agency's)"})
        out["placements"] = (by_month, col["placements"], {"units": "loans", "description": "accounts placed "
                             "with an agency or for legal action in the month"})
        curves = extra["recovered_by_age"]
        out["recovered_by_age"] = (("scenario", "months_since_charge_off"), curves[:, 0],
                                   {**money, "description": "recoveries on charged-off loans by months since "
                                    "their charge-off (1 = the month after)"})
        out["collected_since_placement"] = (
            ("scenario", "months_since_placement"), curves[:, 1],
            {**money, "description": "what accounts placed with an agency or for legal action paid while "
             "placed (payments in months that began past due, recoveries after charge-off), by months since "
             "the placement (0 = the month of the placement)"})
        out["collected_since_delinquency"] = (
            ("scenario", "months_since_delinquency"), curves[:, 2],
            {**money, "description": "what loans that fell past due for the first time in the run paid in "
             "months that began past due, and recoveries after their charge-off, by months since they fell "
             "past due (1 = the month after)"})
        out["max_contacts"] = (("scenario",), extra["max_contacts"],
                               {"units": "contacts", "description": "most contacts with one borrower in one "
                                "month (the cap is the strategy's max_contacts)"})
        out["contacts_barred"] = (("scenario",), extra["contacts_barred"],
                                  {"units": "contacts", "description": "contacts with borrowers under fraud "
                                   "review or confirmed fraud victims (none, by the engine)"})
    written, end = extra["written"], extra["end"]
    out.update({
        "balance": (("scenario", "month", "segment", "state"), balance,
                    {**money, "description": "principal owed (not yet due plus overdue) by loans in each "
                     "state at the end of each month; charged-off and paid-off loans owe none"}),
        "charged_off_principal": (("scenario",), written[:, :, 0].sum(axis=1),
                                  {**money, "description": "principal charged off over the horizon, credit and fraud"}),
        "charged_off_interest": (("scenario",), written[:, :, 1].sum(axis=1),
                                 {**money, "description": "interest and penalty interest owed by loans when "
                                  "charged off over the horizon, credit and fraud"}),
        "interest_charged": (("scenario",), end[:, 0],
                             {**money, "description": "contract and penalty interest that fell due over the horizon"}),
        "interest_outstanding": (("scenario",), end[:, 1],
                                 {**money, "description": "interest and penalty interest overdue at the horizon "
                                  "on loans not charged off"}),
        "npv": (("scenario",), npv,
                {**money, "description": "net present value at the cost of funds of the book's cash flows over "
                 "the horizon, with the principal still owed at the horizon at par, less the principal owed "
                 "at month 0"}),
    })
    return out


def _type_table(model: CreditModel, by_group: np.ndarray):
    """Loans by (segment, behaviour type) from counts by row group; type names in order of
    first appearance ("all" for a segment without types)."""
    names: list[str] = []
    for s in model.segments:
        for t, _, _ in s.groups:
            if t not in names:
                names.append(t)
    table = np.zeros((len(model.segments), len(names)), dtype=np.int64)
    i = 0
    for g, s in enumerate(model.segments):
        for t, _, _ in s.groups:
            table[g, names.index(t)] = by_group[i]
            i += 1
    return names, table


def _dataset(model, book, seg, st0, occ, loss_by_seg, charged, z, by_group, flags, **run) -> xr.Dataset:  # noqa: C901
    g, k = len(model.segments), len(model.states)
    s, horizon = run["scenarios"], run["horizon"]
    start = np.bincount(seg * k + st0, minlength=g * k).astype(np.int64)
    occupancy = np.concatenate([np.broadcast_to(start, (s, 1, g * k)), occ], axis=1)
    occupancy = occupancy.reshape(s, horizon + 1, g, k)
    init_exp = np.bincount(seg * k + st0, weights=book.exposure, minlength=g * k).reshape(g, k)
    z_full = np.concatenate([np.full((s, 1), np.nan), z], axis=1)
    money = {"units": CURRENCY, "currency": CURRENCY}
    type_names, type_table = _type_table(model, by_group)
    coords = {
        "behaviour_type": ("behaviour_type", type_names, {"description": "latent borrower types"}),
        "scenario": ("scenario", np.arange(s), {"description": "Monte Carlo scenario index"}),
        "month": ("month", np.arange(horizon + 1), {"units": "months", "description": "months since the start; 0 is the book as given"}),
        "segment": ("segment", list(model.segment_names)),
        "state": ("state", list(model.states.names), {"description": "loan states, best to worst"}),
        "to_state": ("to_state", list(model.states.names), {"description": "loan state at the end of a month"}),
    }
    data = {
        "occupancy": (("scenario", "month", "segment", "state"), occupancy,
                      {"units": "loans", "description": "number of loans in each state at the end of each month"}),
        "loss": (("scenario",), loss_by_seg.sum(axis=1),
                 {**money, "description": "credit loss: exposure of loans charged off over the horizon, "
                  "confirmed frauds apart (loss given default 100%)"}),
        "loss_by_segment": (("scenario", "segment"), loss_by_seg,
                            {**money, "description": "loss by segment"}),
        "charged_off": (("scenario",), charged.sum(axis=1),
                        {"units": "loans", "description": "loans charged off over the horizon"}),
        "charged_off_by_segment": (("scenario", "segment"), charged,
                                   {"units": "loans", "description": "loans charged off over the horizon, by segment"}),
        "transitions": (("scenario", "segment", "state", "to_state"), flags["transitions"],
                        {"units": "loan-months", "description": "moves of open loans over the horizon: "
                         "loans in each state at the start of a month (not paid off or charged off) by their "
                         "state at its end, summed over the months (the simulated roll rates' counts)"}),
        "macro_z": (("scenario", "month"), z_full,
                    {"units": "1", "description": "macro factor Z driving the transition into each month (N(0,1); negative is bad); month 0 has none"}),
        "initial_exposure": (("segment", "state"), init_exp,
                             {**money, "description": "exposure of the book at month 0"}),
        "loans_by_type": (("segment", "behaviour_type"), type_table,
                          {"units": "loans", "description": "loans of each latent behaviour type "
                           "(drawn once per loan from the seed; 'all' for a segment without types)"}),
    }
    flags = flags or {}
    if "fraud_loss" in flags:
        data["fraud_loss"] = (("scenario", "segment"), flags["fraud_loss"],
                              {**money, "description": "exposure of loans charged off as confirmed fraud, "
                               "less police recovery: borne by the platform, apart from the credit loss"})
        data["fraud_charged_off"] = (("scenario", "segment"), flags["fraud_charged_off"],
                                     {"units": "loans", "description": "loans charged off as confirmed fraud"})
    if "flows" in flags:
        data.update(_money_variables(model, seg, st0, flags, s, horizon, money))
    if "in_shock" in flags:
        zero = np.zeros((s, 1, g), dtype=np.int64)
        data["in_shock"] = (("scenario", "month", "segment"), np.concatenate([zero, flags["in_shock"]], axis=1),
                            {"units": "loans", "description": "loans under an income shock during the month "
                             "(moving by distressed rows)"})
        data["hardship_reported"] = (("scenario", "month", "segment"),
                                     np.concatenate([zero, flags["hardship_reported"]], axis=1),
                                     {"units": "loans", "description": "loans whose borrower has reported "
                                      "hardship by the end of the month (what the lender can see)"})
    attrs = {
        "title": "creditsim simulation",
        "creditsim_version": __version__,
        "engine": run["engine"],
        "seed": run["seed"],
        "horizon": horizon,
        "scenarios": s,
        "n_loans": len(book),
        "total_exposure": book.total_exposure,
        "currency": CURRENCY,
        "book_fingerprint": book.fingerprint(),
        "model": json.dumps(model.to_dict()),
    }
    if "recovered_by_age" in data:
        for dim in ("months_since_charge_off", "months_since_placement", "months_since_delinquency"):
            coords[dim] = (dim, np.arange(horizon), {"units": "months"})
    return xr.Dataset(data, coords=coords, attrs=attrs)


def model_from_result(ds: xr.Dataset) -> CreditModel:
    """The ``CreditModel`` a result was simulated with (from its ``attrs``)."""
    return CreditModel.from_dict(json.loads(ds.attrs["model"]))
