"""``simulate``: run a credit model over a loan book and return a labelled Dataset.

The arguments are checked into a ``RunPlan`` (``creditsim.run.plan``), the model, book and
strategies compiled once into a ``Job`` (``creditsim.compile``), the plan's work units run
by an executor (``creditsim.run.executors``) and their exact integer totals merged, and the
Dataset assembled (``creditsim.results.dataset``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

import numpy as np
import xarray as xr

from ..compile.loans import exposure_units, loan_money, money_quantum, months_past_due, resolve
from ..compile.model import ONE, base_matrices, compile_model, needs_aging
from ..compile.strategies import compile_strategies
from ..engine import rng as _rng
from ..engine.features import Aging, Attribution, Origination, features_for, totals_of
from ..engine.macro import innovation_shift, macro_paths, sobol_normals
from ..results.dataset import assemble
from ..spec.book import LoanBook
from ..spec.model import CreditModel
from ..spec.originations import Originations
from ..spec.schedule import to_units
from ..spec.staging import ECL_MONTHS, STAGES, Staging
from . import executors as _executors
from . import plan as _plan
from . import unit as _unit
from .plan import RunPlan

__all__ = ["ENGINES", "simulate", "scenario_inputs", "run_job"]

#: The engines ``simulate`` runs.
ENGINES = ("agent", "cohort")


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
    month_span: int | None = None,
    min_drop_size: int | None = None,
    executor=None,
    stages=None,
    originations=None,
    macro_mean=None,
    macro_strata=None,
    macro_antithetic=False,
    macro_sobol=None,
    exposure_classes=None,
    rate_classes=None,
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
        few standard lengths (a book of up to 16,384 loans to a power of two, a larger one
        to n rounded up to an eighth of its power of two), so books of similar size and
        repeated runs reuse one compilation.
    engine
        ``"agent"`` (loan level, the default) or ``"cohort"``: loans that share their row
        group, sub-state (state, months past due, fraud review), shock flags and exposure
        class are exchangeable, and each such cohort's month is one multinomial draw, so
        the cost does not grow with the loans (``creditsim.engine.cohort``, docs/cohort.md).
        It agrees with the agent engine in distribution, not draw by draw.  It runs the
        chain, macro tilt, behaviour types, income shocks, fraud claims, the charge-off
        rule and ``macro_mean``, on books of exposures and on books with loan terms (then
        loans of one rate band, amount class and number of instalments left share a
        cohort, which carries its money as totals: means as the agent engine's, docs/
        cohort.md); it refuses by name strategies, originations, stages and the agent
        engine's sizing arguments (``chunk_size``, ``month_span``, ``min_drop_size``,
        ``strategy_batch``, ``executor``).  Its ``scenario_batch`` default is 64, 8 with
        loan terms (a run of fewer scenarios: the power of two that holds them).
    scenario_batch
        Most scenarios per kernel call.  Default: about 2**21 loan-scenarios a call, the
        chunk length over that as a power of two between 8 and 256 (8 for a full chunk of
        2**18 loans, 256 for a book of 8,192 loans or fewer), so that a small book's calls
        are not mostly overhead.  A remainder runs in batches of 8, then of powers of two
        below 8, so at most a few batch shapes are compiled.
    strategies
        Collection strategies (``creditsim.Strategy``, a preset name of
        ``creditsim.STRATEGIES``, or a dict), one or a list; needs a book with loan terms.
        Every strategy runs on common random numbers (the same draws for everything it
        does not change) and the result gains a ``strategy`` dimension.  Default none: no
        collection actions.  All strategies share one compiled kernel per chunk size.
    strategy_batch
        With strategies: how many one kernel call steps together, vectorised and sharing
        each month's random words (the others in further calls).  Default: one on a CPU
        (together measured no faster there, it keeps one strategy's temporary arrays of a
        month, and one compiled kernel serves any number of strategies), the largest power
        of two up to the number of strategies on a GPU.  Results do not depend on it
        (tested).
    progress
        Optional callable ``progress(done, total)``, called after each block of work (a
        chunk of loans under a batch of scenarios) with the loan-months simulated so far
        and in all (loans × months × scenarios × strategies); default none.  The
        ``creditsim`` command draws its progress bar with it.
    month_span
        Months per kernel call, an even number; default 6 for a book with loan terms or with
        originations (a chunk of new loans, all lent in one month, starts its spans at
        most a month before) and the whole horizon for a book without terms (given, it applies to any).  Between
        calls, loans finished in every scenario of a block (paid off or charged off, with
        nothing left to recover) are dropped and the chunk is halved while at most 40% of
        it would be live.  Results do not depend on it (tested).
    min_drop_size
        Dropping halves a chunk down to this many loans, not below; default 4,096 (a call
        on fewer costs next to nothing, and each smaller size is one more compilation).
        A value above the chunk length turns dropping off.
    executor
        Who runs the work units (a chunk of loans under a block of scenarios): ``"local"``
        (default: one after another on JAX's default device), ``"devices"`` (spread over
        every local device, one thread each: several GPUs, or CPU devices made with
        ``XLA_FLAGS=--xla_force_host_platform_device_count=N``), or a
        ``creditsim.run.Executor``.  Results are identical whatever the executor.
    stages
        Attribute losses to each loan's IFRS 9 stage at month 0 (``creditsim.Staging``,
        True for its default rule, or a dict of its fields); default None.  The result
        gains ``loss_by_stage`` (scenario, segment, stage), ``discounted_loss`` (scenario,
        window, segment, stage: principal charged off, discounted at each loan's contract
        rate, within 12 months and over the horizon) and ``balance_by_stage`` (segment,
        stage): what ``creditsim.provisions`` and ``creditsim.risk_contributions`` by
        stage read.
    originations
        New loans every month (``creditsim.Originations``): they enter the book in their
        month with loan indices after the book's, so the book's loans' paths are the same
        with and without them.  The result gains vintage views (``vintage`` 0 is the book
        at month 0, v > 0 the loans lent in month v): ``originated`` and
        ``originated_amount`` (vintage), ``vintage_balance`` (scenario, month, vintage),
        ``vintage_delinquent`` (scenario, month, vintage, days: 30+ and 90+ balances),
        ``vintage_charged_off`` and ``vintage_charged_off_principal`` (scenario, month,
        vintage); ``creditsim.vintage_curves`` reads them.  Default None.
    macro_mean
        Importance sampling of the macro path: the mean of the macro factor Z under the
        sampling distribution, one number for every month or a list by month (later
        months keep the last): for a one-month horizon -3.09 samples the recessions that
        make the 99.9% tail; over T months, where the loss follows the factor's sum, about
        -3.09/√T a month, less with a persistent factor (benchmarks/README.md: -1.5 to -2.0
        over 12 months of the preset).  The weights' spread grows with the sum of the
        squared shifts (risk_summary's ``effective_scenarios`` says how many plain
        scenarios they are worth).
        The AR(1)'s innovations are drawn from N(mu, 1) with the shifts mu that give Z this
        mean (months the model's macro path fixes are not shifted), on the same normals as
        a plain run, and the result gains ``scenario_weight`` (scenario): each path's
        likelihood ratio, mean 1 in expectation, that makes weighted averages over
        scenarios unbiased.  ``creditsim.risk_summary`` uses the weights; a plain mean over
        scenarios of a weighted run describes the shifted economy, not the model's.
        ``"auto"``: the mean path ``creditsim.tail_macro_mean`` finds for the 99.9% tail
        of this run's loss (a pilot of 1 + horizon scenarios on this engine and book, twice:
        the direction in which the loss grows fastest, at the distance of the tail),
        ``attrs["macro_mean"]`` saying which.
        Default None (plain Monte Carlo).
    macro_strata
        With ``macro_mean``: stratified sampling along the shift, in this many strata of
        equal probability (``scenarios`` a multiple of it, at least 2 scenarios a stratum;
        ``scenarios // 2`` is the usual choice).  Scenario i's normals keep their components
        across the shift's direction and take the one along it from stratum i mod
        ``macro_strata`` (so a path depends on the number of strata, not only on (seed,
        scenario)).  Where the loss follows mostly the factor's path along that direction
        (a large book), the error of the tail measures falls many times over
        (benchmarks/README.md).  The result gains ``scenario_stratum`` (scenario), and
        ``risk_summary`` and ``risk_contributions`` take the stratified standard errors.
        Default None.
    macro_antithetic
        Antithetic macro paths: scenario i + S/2 draws its macro factor from scenario i's
        normals with their signs turned (about ``macro_mean``'s shift where given), its loans'
        draws its own (``scenarios`` even, at least 4).  The result gains
        ``scenario_cluster`` (the pair), and the summaries' standard errors come from the
        pairs' means.  Default False.
    macro_sobol
        Quasi-random macro paths in this many randomised replicates: each replicate's
        scenarios take the innovations' normals from the first S/``macro_sobol`` points (a
        power of two) of a scrambled Sobol sequence over the months drawn
        (``scipy.stats.qmc.Sobol``, scrambled anew for each replicate from (seed,
        replicate)), mapped through the normal quantile, plus ``macro_mean``'s shift where
        given.  The result gains ``scenario_cluster`` (the replicate), and the summaries'
        standard errors come from the replicates' means (t quantiles on replicates − 1).
        Default None.  One of ``macro_strata``, ``macro_antithetic`` and ``macro_sobol`` at
        a time.
    exposure_classes
        With ``engine="cohort"``: the most exposure classes the book's loans are gathered
        into (default 16, ``creditsim.run.cohort.DEFAULT_CLASSES``; a book with as many
        distinct exposures or fewer keeps them exactly).  Classes are one-dimensional
        k-means of the exposures, valued per row group at their loans' mean; the result's
        ``attrs["exposure_class_error"]`` is the share of the book's exposure the
        bucketing moves (sum of |exposure - class value| over the total).  The month's
        cost grows with the classes.  With loan terms: amount classes (default 1,
        ``creditsim.run.cohort.DEFAULT_AMOUNT_CLASSES``), k-means of the balances; they
        change no mean (a cohort carries its money as totals) but bring back the spread of
        single loans' amounts.
    rate_classes
        With ``engine="cohort"`` and loan terms: the most rate bands of a row group
        (default 4, ``creditsim.run.cohort.DEFAULT_RATE_CLASSES``): a group with as many
        distinct rates or fewer keeps them exactly, else its rates are banded by a
        one-dimensional k-means and a band charges its loans' balance-weighted mean rate
        (``attrs["rate_band_error"]``: the share of the book's interest, balance × rate,
        the bands move between loans).

    Returns
    -------
    xarray.Dataset
        ``occupancy`` (scenario, month, segment, state) loan counts with month 0 the start;
        ``loss`` and ``loss_by_segment`` (yuan of exposure charged off over the horizon);
        ``charged_off`` and ``charged_off_by_segment`` (loans); ``macro_z`` (scenario,
        month); ``initial_exposure`` (segment, state).  The model (JSON), run settings,
        book fingerprint and package version are in ``attrs``.
    """
    return _simulate(model, book, horizon=horizon, scenarios=scenarios, seed=seed, chunk_size=chunk_size,
                     engine=engine, scenario_batch=scenario_batch, strategies=strategies,
                     strategy_batch=strategy_batch, progress=progress, month_span=month_span,
                     min_drop_size=min_drop_size, executor=executor, stages=stages, originations=originations,
                     macro_mean=macro_mean, macro_strata=macro_strata, macro_antithetic=macro_antithetic,
                     macro_sobol=macro_sobol, exposure_classes=exposure_classes, rate_classes=rate_classes)


def _simulate(
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
    month_span: int | None = None,
    min_drop_size: int | None = None,
    executor=None,
    stages=None,
    originations=None,
    macro_mean=None,
    macro_strata=None,
    macro_antithetic=False,
    macro_sobol=None,
    exposure_classes=None,
    rate_classes=None,
    paths=None,
) -> xr.Dataset:
    """``simulate``; ``paths`` ``(keys, z)`` replace the scenarios' keys and macro paths
    (``tail_macro_mean``'s pilot)."""
    if not isinstance(model, CreditModel):
        raise ValueError(f"simulate: model must be a CreditModel, got {type(model).__name__}")
    if not isinstance(book, LoanBook):
        if hasattr(book, "columns"):
            book = LoanBook.from_dataframe(book)
        else:
            raise ValueError(f"simulate: book must be a LoanBook or a DataFrame, got {type(book).__name__}")
    if progress is not None and not callable(progress):
        raise ValueError(f"simulate: progress must be a callable progress(done, total) or None, got {progress!r}")
    if engine not in ENGINES:
        raise ValueError(f"simulate: unknown engine {engine!r}; available: {list(ENGINES)}")
    if engine == "cohort":
        return _simulate_cohort(model, book, horizon=horizon, scenarios=scenarios, seed=seed,
                                scenario_batch=scenario_batch, progress=progress, macro_mean=macro_mean,
                                macro_strata=macro_strata, macro_antithetic=macro_antithetic, macro_sobol=macro_sobol,
                                exposure_classes=exposure_classes, rate_classes=rate_classes, paths=paths, refused={
                                    "chunk_size": chunk_size, "strategies": strategies,
                                    "strategy_batch": strategy_batch, "month_span": month_span,
                                    "min_drop_size": min_drop_size, "executor": executor, "stages": stages,
                                    "originations": originations})
    for name, value, what in (("exposure_classes", exposure_classes, "exposure"), ("rate_classes", rate_classes,
                                                                                  "rate")):
        if value is not None:
            raise ValueError(f"simulate: {name} applies to engine='cohort' (the agent engine keeps each loan's "
                             f"{what}), got {value!r} with engine={engine!r}")
    strats = _plan.strategies(strategies)
    money = book.terms is not None
    entries = originations.volumes(horizon) if isinstance(originations, Originations) and \
        isinstance(horizon, (int, np.integer)) and not isinstance(horizon, bool) and horizon >= 1 else None
    n_new = int(entries.sum()) if entries is not None else 0
    plan = _plan.make_plan(n_loans=len(book) + n_new, entries=entries, horizon=horizon, scenarios=scenarios, seed=seed, chunk_size=chunk_size,
                           scenario_batch=scenario_batch, n_strategies=len(strats), strategy_batch=strategy_batch,
                           month_span=month_span, min_drop_size=min_drop_size,
                           spans=money or month_span is not None or originations is not None)
    if strats and not money:
        raise ValueError("simulate: strategies need a book with loan terms (balances to collect); this book "
                         "has only exposures")
    if strats and model.states.paid_off is None:
        raise ValueError(f"simulate: strategies need a state space with a paid-off state (a settlement or a "
                         f"judgment closes the loan there); the states are {list(model.states.names)}")
    runner = _executors.executor(executor)
    staging = None if stages is None or stages is False else Staging.of(stages)
    design = _macro_design(macro_strata, macro_antithetic, macro_sobol, macro_mean, plan.scenarios)
    if isinstance(macro_mean, str) and macro_mean == "auto":
        if strats:
            raise ValueError("simulate: macro_mean='auto' aims at the tail of one loss, and a run with strategies "
                             "has one a strategy; find the mean path with creditsim.tail_macro_mean for the "
                             "strategy that matters and give it")
        from .tail import tail_macro_mean

        macro_mean = tail_macro_mean(model, book, horizon=plan.horizon, seed=plan.seed, engine="agent",
                                     stages=stages, originations=originations, chunk_size=chunk_size,
                                     scenario_batch=scenario_batch, month_span=month_span,
                                     min_drop_size=min_drop_size)
    mean = _macro_mean(macro_mean, horizon)
    job, common = compile_job(model, book, plan, strats, staging, originations, mean, design)
    log_w = common.pop("log_weight")
    if paths is not None:  # the pilot's paths, the last repeated over a padded last block
        idx = np.minimum(np.arange(plan.padded_scenarios), plan.scenarios - 1)
        job.keys, job.z = paths[0][idx], paths[1][idx]
        common["z"] = paths[1]
    ds = run_job(job, common, plan, strats, runner, progress)
    return _weighted(ds, mean, log_w, design)


def run_job(job: _unit.Job, common: dict, plan: RunPlan, strats: list, runner, progress=None) -> xr.Dataset:
    """The agent engine's work units of ``job`` run by ``runner`` and the Dataset assembled."""
    totals = _unit.zeros(job, plan.scenarios)
    done, total = 0, plan.loan_months()
    for unit, part in runner.map(job, plan.units()):
        _unit.merge(totals, part, unit.scenarios)
        if progress is not None:
            done += plan.loan_months(unit)
            progress(done, total)
    return assemble(totals, strats, **common)


def _simulate_cohort(model, book, *, horizon, scenarios, seed, scenario_batch, progress, macro_mean, macro_strata,
                     macro_antithetic, macro_sobol, exposure_classes, rate_classes, refused: dict, paths=None) -> xr.Dataset:
    """``simulate`` with ``engine="cohort"``: what it does not run is refused by name."""
    from . import cohort as _cohort

    why = {"chunk_size": "its cost does not grow with the book's loans (no chunks)",
           "strategy_batch": "it runs no strategies", "month_span": "it runs the horizon in one call",
           "min_drop_size": "it drops no loans", "executor": "it runs on JAX's default device",
           "strategies": "collection strategies are not built for it yet",
           "stages": "losses by stage are not built for it yet",
           "originations": "new loans are not built for it yet"}
    for name, value in refused.items():
        if value is not None and value is not False and not (name == "executor" and value == "local") \
                and not (name == "strategies" and isinstance(value, (list, tuple)) and len(value) == 0):
            raise ValueError(f"simulate: engine='cohort' does not take {name} ({why[name]}); got {value!r}. "
                             f"Use engine='agent'")
    plan = _plan.make_plan(n_loans=len(book), horizon=horizon, scenarios=scenarios, seed=seed)
    horizon, scenarios, seed = plan.horizon, plan.scenarios, plan.seed
    if scenario_batch is not None:
        scenario_batch = _plan.positive_int("scenario_batch", scenario_batch)
    if exposure_classes is not None:
        exposure_classes = _plan.positive_int("exposure_classes", exposure_classes, upper=4096)
    if rate_classes is not None:
        if book.terms is None:
            raise ValueError(f"simulate: rate_classes applies to a book with loan terms (this book has none), got "
                             f"{rate_classes!r}")
        rate_classes = _plan.positive_int("rate_classes", rate_classes, upper=4096)
    design = _macro_design(macro_strata, macro_antithetic, macro_sobol, macro_mean, scenarios)
    if isinstance(macro_mean, str) and macro_mean == "auto":
        from .tail import tail_macro_mean

        macro_mean = tail_macro_mean(model, book, horizon=horizon, seed=seed, engine="cohort",
                                     scenario_batch=scenario_batch, exposure_classes=exposure_classes,
                                     rate_classes=rate_classes)
    mean = _macro_mean(macro_mean, horizon)
    if paths is None:
        keys, z, log_w = scenario_inputs(model, seed, scenarios, horizon, mean, design)
    else:
        (keys, z), log_w = paths, None
    ds = _cohort.simulate_cohort(model, book, plan, scenario_batch=scenario_batch, progress=progress, macro=(keys, z, log_w),
                                 classes=exposure_classes, rate_classes=rate_classes)
    return _weighted(ds, mean, log_w, design)


def _weighted(ds: xr.Dataset, mean, log_w, design: MacroDesign | None = None) -> xr.Dataset:
    """``ds`` with its scenarios' likelihood ratios where the run shifted the macro path,
    and their strata or clusters where its paths were not drawn independently."""
    if mean is not None:
        ds["scenario_weight"] = ("scenario", np.exp(log_w), {
            "units": "1", "description": "likelihood ratio of the scenario's macro path (plain over the shifted "
            "sampling distribution of macro_mean): the weight of each scenario in averages over scenarios"})
        ds.attrs["macro_mean"] = [float(x) for x in mean]
    i = np.arange(ds.sizes["scenario"], dtype=np.int64)
    if design is not None and design.kind == "strata":
        ds["scenario_stratum"] = ("scenario", i % design.n, {
            "units": "1", "description": "stratum of the scenario's macro path along the shift (macro_strata): "
            "stratified sampling, every stratum as many scenarios"})
        ds.attrs["macro_strata"] = design.n
    elif design is not None and design.kind == "antithetic":
        ds["scenario_cluster"] = ("scenario", i % (design.scenarios // 2), {
            "units": "1", "description": "antithetic pair of the scenario (macro_antithetic): scenarios i and "
            "i + S/2 share the macro factor's normals with opposite signs"})
        ds.attrs["macro_antithetic"] = 1
    elif design is not None:
        ds["scenario_cluster"] = ("scenario", i // (design.scenarios // design.n), {
            "units": "1", "description": "randomised quasi-random replicate of the scenario's macro path "
            "(macro_sobol): the replicates are independent"})
        ds.attrs["macro_sobol"] = design.n
    return ds


class MacroDesign(NamedTuple):
    """How the run draws its macro paths where not independently: ``kind`` ``"strata"``,
    ``"antithetic"`` or ``"sobol"``; ``n`` the strata, 2, or the replicates; ``scenarios``
    the run's."""

    kind: str
    n: int
    scenarios: int


def _macro_design(strata, antithetic, sobol, macro_mean, scenarios: int) -> MacroDesign | None:
    """``simulate``'s ``macro_strata``, ``macro_antithetic`` and ``macro_sobol`` checked
    against the run (one at a time)."""
    given = [name for name, v in (("macro_strata", strata), ("macro_antithetic", antithetic), ("macro_sobol", sobol))
             if v is not None and v is not False]
    if len(given) > 1:
        raise ValueError(f"simulate: {' and '.join(given)} are ways of drawing the macro paths; give one of them")
    if not isinstance(antithetic, (bool, np.bool_)):
        raise ValueError(f"simulate: macro_antithetic must be True or False, got {antithetic!r}")
    if antithetic:
        if scenarios % 2 or scenarios < 4:
            raise ValueError(f"simulate: macro_antithetic pairs scenario i with i + scenarios/2 and needs an even "
                             f"number of scenarios, at least 4 (two pairs, for the error), got scenarios={scenarios}")
        return MacroDesign("antithetic", 2, scenarios)
    if sobol is not None:
        if isinstance(sobol, bool) or not isinstance(sobol, (int, np.integer)) or sobol < 2:
            raise ValueError(f"simulate: macro_sobol must be a whole number >= 2 (randomised replicates, for the "
                             f"error), got {sobol!r}")
        points = scenarios // int(sobol)
        if scenarios % sobol or points < 2 or points & (points - 1):
            raise ValueError(f"simulate: macro_sobol={int(sobol)} must divide scenarios={scenarios} into replicates of "
                             f"a power of two scenarios each (a Sobol sequence's balanced sizes), at least 2")
        return MacroDesign("sobol", int(sobol), scenarios)
    k = _macro_strata(strata, macro_mean, scenarios)
    return None if k is None else MacroDesign("strata", k, scenarios)


def _macro_strata(value, macro_mean, scenarios: int) -> int | None:
    """``simulate``'s ``macro_strata`` checked against the run: None, or the number of
    strata (>= 2, dividing ``scenarios`` into at least 2 a stratum)."""
    if value is None:
        return None
    if macro_mean is None:
        raise ValueError(f"simulate: macro_strata stratifies the macro path along its shift and needs macro_mean "
                         f"(a mean path, or 'auto'); got macro_strata={value!r} without it")
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 2:
        raise ValueError(f"simulate: macro_strata must be a whole number >= 2 (strata of the macro path), got "
                         f"{value!r}")
    if scenarios % value or scenarios // value < 2:
        hint = f"; try macro_strata={scenarios // 2}" if scenarios % 2 == 0 and scenarios >= 4 else ""
        raise ValueError(f"simulate: macro_strata={int(value)} must divide scenarios={scenarios} into strata of at "
                         f"least 2 scenarios each (the standard errors come from the spread within a stratum)"
                         f"{hint}")
    return int(value)


def _macro_mean(value, horizon) -> np.ndarray | None:
    """``simulate``'s ``macro_mean`` checked: None, or the mean of Z by month 1..horizon."""
    if value is None:
        return None
    if isinstance(value, str):
        raise ValueError(f"simulate: macro_mean must be 'auto' (tail_macro_mean), a finite number or a non-empty "
                         f"list of them (the mean of the macro factor by month), got {value!r}")
    arr = np.asarray(value, dtype=object)
    flat = arr.reshape(-1)
    if arr.ndim > 1 or flat.size == 0 or any(isinstance(x, bool) or not isinstance(x, (int, float, np.integer,
                                                                                          np.floating))
                                             or not np.isfinite(float(x)) for x in flat):
        raise ValueError(f"simulate: macro_mean must be a finite number or a non-empty list of them (the mean of "
                         f"the macro factor by month), got {value!r}")
    m = flat.astype(np.float64)
    if np.any(np.abs(m) > 8):
        raise ValueError(f"simulate: macro_mean must lie within [-8, 8] (standard deviations of Z), got {value!r}")
    out = np.full(int(horizon), m[-1])
    out[: min(m.size, out.size)] = m[: out.size]
    return out


def scenario_inputs(model: CreditModel, seed: int, n: int, horizon: int, macro_mean: np.ndarray | None = None,
                    design: MacroDesign | None = None):
    """Scenarios 0..n-1's raw keys ``(n, 2)``, macro paths ``(n, horizon)`` and, with
    ``macro_mean``, the paths' log likelihood ratios ``(n,)`` (else None).  ``design``
    (``MacroDesign``): scenario i's path in stratum i mod K along the shift, antithetic to
    scenario i − S/2 in the second half, or from replicate i // (S/R)'s Sobol points; ``n``
    may exceed the run's S (a padded last block), whose extra paths are plain draws."""
    keys = _rng.scenario_keys(seed, np.arange(n, dtype=np.int64))
    phi = model.macro.phi
    path = model.macro.path[:horizon] if model.macro.path is not None else None
    shift = None if macro_mean is None else innovation_shift(phi, horizon, macro_mean, path)
    if design is None:
        out = macro_paths(keys, phi, horizon, path, shift=shift)
    elif design.kind == "strata":
        norm = float(np.sqrt(np.sum(shift * shift)))
        if norm == 0.0:
            raise ValueError(f"simulate: macro_strata stratifies along the shift of the macro path, and "
                             f"macro_mean={[float(x) for x in macro_mean]} shifts no month the model draws (it is "
                             f"the model's mean path, or the model's path fixes every month)")
        out = macro_paths(keys, phi, horizon, path, shift=shift, strata=(shift / norm, np.arange(n) % design.n,
                                                                         design.n))
    elif design.kind == "antithetic":
        half, s = design.scenarios // 2, design.scenarios
        src, sign = np.arange(n), np.ones(n)
        src[half:s] -= half
        sign[half:s] = -1.0
        out = macro_paths(keys[src], phi, horizon, path, shift=shift, mirror=sign)
    else:
        n_fixed = 0 if path is None else path.size
        if horizon - n_fixed > 21201:
            raise ValueError(f"simulate: macro_sobol draws one Sobol dimension a month, at most 21,201; this run "
                             f"draws {horizon - n_fixed} months")
        normals = np.zeros((n, horizon))
        if horizon > n_fixed:
            s = design.scenarios
            normals[:s, n_fixed:] = sobol_normals(seed, design.n, s // design.n, horizon - n_fixed)
        out = macro_paths(keys, phi, horizon, path, shift=shift, normals=normals)
    if shift is None:
        return keys, out, None
    return keys, out[0], out[1]


def _new_loans(model: CreditModel, book: LoanBook, originations, horizon: int):
    """The origination plan's loans as the model's indices: ``(new loans, segment, wait
    state, enter state)``."""
    if not isinstance(originations, Originations):
        raise ValueError(f"simulate: originations must be a creditsim.Originations, got "
                         f"{type(originations).__name__}")
    states = model.states
    if states.paid_off is None:
        raise ValueError(f"simulate: originations need a state space with a paid-off state (a new loan waits "
                         f"there, counted nowhere, until its month); the states are {list(states.names)}")
    enter = states.index(originations.state, field="Originations.state")
    if originations.state in states.absorbing:
        raise ValueError(f"Originations.state: new loans cannot enter the absorbing state {originations.state!r}")
    new = originations.draw(horizon, with_terms=book.terms is not None)
    for name in originations.segments:
        model.segment_index(name, field="Originations.segments")
    if isinstance(originations.repeat, Mapping):
        for name in originations.repeat:
            model.segment_index(name, field="Originations.repeat")
    names, codes = np.unique(new.segment, return_inverse=True) if len(new) else ([], np.zeros(0, np.int64))
    lut = np.array([model.segment_index(str(x)) for x in names], dtype=np.int32)
    seg = lut[codes].astype(np.int32) if len(new) else np.zeros(0, np.int32)
    return new, seg, states.index(states.paid_off), enter


def compile_job(model: CreditModel, book: LoanBook, plan: RunPlan, strats: list,
                staging: Staging | None = None, originations: Originations | None = None,
                macro_mean: np.ndarray | None = None, design: MacroDesign | None = None) -> tuple[_unit.Job, dict]:
    """Everything the run's work units need (``Job``), and what the Dataset assembly
    needs besides the totals.  With ``originations`` the plan's new loans follow the
    book's in the job's arrays (loan indices len(book), ...)."""
    seg, st0 = resolve(book, model)
    dpd0 = months_past_due(book, model, st0)
    cm, types = compile_model(model)
    g, k = len(model.segments), len(model.states)
    typed = any(s.types for s in model.segments)
    shocks = model.income_shock is not None
    fraud = model.fraud is not None
    money = book.terms is not None
    horizon, scenarios, seed = plan.horizon, plan.scenarios, plan.seed
    n_book = len(book)
    new = None
    if originations is not None:
        new, seg_new, wait, enter = _new_loans(model, book, originations, horizon)
    # the book's quantum where the new loans fit in it (any up to 2**23 yuan do): the book's
    # figures are then the same with and without them
    repeats = originations is not None and originations.repeats
    lent = [] if new is None else [new.amount]
    if repeats and money:  # a repeat draw lends the loan's original principal again
        lent.append(book.terms.principal)
    quantum = money_quantum(book, np.concatenate(lent) if lent else None)
    units = exposure_units(book, quantum)
    money_in = loan_money(book, model, units) if money else None
    stage = staging.stages(book, model, seg, st0) if staging is not None else None
    book_seg, book_st0, book_units = seg, st0, units
    per_loan = {}
    if dpd0 is not None:
        per_loan["dpd0"] = dpd0
    if staging is not None:
        per_loan["attr"] = (seg * len(STAGES) + stage - 1).astype(np.int32)
        rate = book.terms.annual_rate / 12.0 if money else np.zeros(n_book)
        per_loan["log_v"] = np.log1p(rate).astype(np.float32)
    origination = None
    if new is not None:
        m = len(new)
        new_units = to_units(new.amount, quantum).astype(np.int32)
        seg = np.concatenate([seg, seg_new])
        st0 = np.concatenate([st0, np.full(m, wait, np.int32)])
        units = np.concatenate([units, new_units])
        if money and m:
            extra = loan_money(book, model, new_units, terms=new.terms)
            money_in = type(money_in)(*(np.concatenate([a, b]) for a, b in zip(money_in, extra, strict=True)))
        if "dpd0" in per_loan:
            per_loan["dpd0"] = np.concatenate([per_loan["dpd0"], np.zeros(m, np.int32)])
        if staging is not None:
            # new loans have no stage at month 0: their own group, left out of the results
            per_loan["attr"] = np.concatenate([per_loan["attr"], np.full(m, g * len(STAGES), np.int32)])
            rate = new.terms.annual_rate / 12.0 if money and m else np.zeros(m)
            per_loan["log_v"] = np.concatenate([per_loan["log_v"], np.log1p(rate).astype(np.float32)])
        per_loan["entry"] = np.concatenate([np.zeros(n_book, np.int32), new.entry])
        if repeats:
            p = originations.repeat_probability(model.segment_names)
            per_loan["redraw_thr"] = np.round(p[seg] * ONE).astype(np.uint32)
            if money:
                terms = [book.terms] + ([new.terms] if m else [])
                per_loan["redraw_units"] = np.concatenate([to_units(t.principal, quantum) for t in terms]) \
                    .astype(np.int32)
                per_loan["redraw_term"] = np.concatenate([t.term for t in terms]).astype(np.int32)
        origination = Origination(n_vintages=horizon + 1, wait_state=wait, enter_state=enter, repeat=repeats)
    # keys and macro paths of every scenario the kernel calls simulate (a padded last
    # block's few extra ones too); the result keeps the first ``scenarios``
    keys, z, log_weight = scenario_inputs(model, seed, plan.padded_scenarios, horizon, macro_mean, design)
    if log_weight is not None:
        log_weight = log_weight[: plan.scenarios]
    fraud_hazard = model.fraud.hazards(horizon) if fraud else np.zeros(horizon)
    # the strategies, stacked: every kernel call runs them all
    arrs = compile_strategies(model, strats, base_matrices(model), quantum) if strats else None
    attribution = Attribution(n_keys=g * len(STAGES) + 1, within=ECL_MONTHS) if staging is not None else None
    features = features_for(shocks=shocks, fraud=fraud, aging=needs_aging(model), money=money,
                            strategy=bool(strats), n_age=horizon, attribution=attribution, origination=origination)
    if "dpd0" in per_loan and not any(isinstance(x, Aging) for x in features):
        del per_loan["dpd0"]
    f = math.prod(x.flag_bins for x in features)  # flag combinations per (segment, state) bin
    group = _unit.draw_groups(seed, plan, seg, cm, types, typed)
    n_groups = cm.group_segment.shape[0] - 1
    by_group = np.bincount(group, minlength=n_groups + 1)[:n_groups].astype(np.int64)
    job = _unit.Job(plan=plan, cm=cm, strat=arrs, features=features, totals=totals_of(features),
                    n_out=g * k * f, z=z, keys=keys, fraud_hazard=fraud_hazard, seg=seg, state0=st0, units=units,
                    group=group, money=money_in, n_segments=g, n_moves=g * k * k, per_loan=per_loan)
    common = dict(model=model, book=book, seg=book_seg, st0=book_st0, z=z[:scenarios], by_group=by_group, units=book_units,
                  quantum=quantum, horizon=horizon, scenarios=scenarios, seed=seed, engine="agent", f=f,
                  stage=stage, staging=staging, new=None if new is None else (new, new_units),
                  log_weight=log_weight)
    return job, common
