"""Scenario files: one TOML file describes a whole run (model, stress, book, strategies,
horizon, scenarios, seed, engine options, output and report), and every run built in
Python can be written back as one.

A file (``[run]``, ``[model]`` and ``[book]`` required; plain keys such as ``strategies``
come before the first table, as TOML wants)::

    strategies = ["in_house", "agency_at_90"]   # preset names or tables (Strategy.to_dict)

    [run]
    horizon = 24              # months
    scenarios = 1000
    seed = 2026
    # macro_mean = "auto"     # importance sampling of the macro path (simulate's macro_mean:
                              # "auto", a number or a list by month)
    # macro_strata = 500      # stratified along the shift (simulate's macro_strata), or
    # macro_antithetic = true # antithetic pairs, or macro_sobol = 8 (quasi-random replicates)

    [model]
    preset = "jiebei"         # "jiebei" or "demo"; or give the whole model (below)
    shocks = true             # preset options (jiebei: shocks, fraud, phi, rho; demo: phi, rho)
    stress = "recession"      # a name of STRESS_SCENARIOS, or a table of its keys

    [model.overrides]         # CreditModel fields set after the preset
    charge_off_dpd = 180
    fraud = { hazard = 5e-5 }  # merged into the preset's FraudTransfer

    [book]
    kind = "jiebei"           # "jiebei" (presets.jiebei_book), "jiebei_living" (presets.jiebei_living_book),
                              # "synthetic" (LoanBook.synthetic), "file"
    n = 200000
    seed = 2026
    states = { current = 0.963, restructured = 0.0017, dpd_1_30 = 0.0173, dpd_31_60 = 0.0048, dpd_61_90 = 0.0038, dpd_91_180 = 0.0094 }

    [originations]            # new loans every month (creditsim.Originations); optional
    volume = 2000             # a month (or a list, month by month); growth = 0.01 for 1% a month
    segments = { A = 0.25, B = 0.30, C = 0.25, D = 0.13, E = 0.07 }  # default: the book's mix
    repeat = 0.05             # a paid-off borrower draws again with this monthly probability (default 0)

    [stages]                  # IFRS 9 stages at month 0 (creditsim.Staging); an empty table: the default rule
    stage2_days = 30

    [engine]
    chunk_size = 262144       # simulate's options: chunk_size, scenario_batch, strategy_batch
    # engine = "cohort"       # the cohort engine (docs/cohort.md)

    [output]
    path = "results/run.nc"   # .nc (netCDF) or .zarr

    [report]
    dir = "results/report"

Instead of a preset, ``[model]`` may hold the whole model as ``CreditModel.to_dict()``
writes it (``states``, ``segments`` with their matrices, ``macro``, ``income_shock``,
``fraud``, ``charge_off_dpd``, ``penalty_multiple``, ``cost_of_funds``); TOML has no null,
so ``charge_off_dpd = "none"`` means no charge-off rule.  A book file's ``path`` is relative
to the scenario file.

``[originations]`` draws new loans as ``creditsim.Originations``; unless given, their
segment shares are the book's (a jiebei book's ``bands``, default ``presets.DEMO_MIX``; a
synthetic book's ``segments``), their rates ``presets.JIEBEI_RATES`` for a jiebei book, and a
synthetic book's new loans take its exposure parameters as their amounts.  A
``kind = "jiebei_living"`` book (keys ``n``, ``seed``, ``states``, ``growth``) is
``presets.jiebei_living_book``: the steady book and the origination plan that keeps it
steady, which is the run's plan (a file with both it and ``[originations]`` is refused).  ``[stages]``
(or ``stages = true`` before the first table) attributes losses to IFRS 9 stages
(``creditsim.Staging``).

``load_scenario`` reads a file and reports every independent problem of it together,
each with its key path and value, in one ``ScenarioError`` (a ``ValueError``).  This
module imports no JAX: reading and checking a file is cheap.
"""

from __future__ import annotations

import copy
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from .book import LoanBook
from .model import CreditModel, FraudTransfer, IncomeShock, MacroFactor, _check_matrix
from .originations import Originations
from .staging import Staging
from .states import StateSpace
from .strategy import Strategy
from .strategy import strategy as _as_strategy

__all__ = ["Scenario", "ScenarioError", "load_scenario", "MODEL_PRESETS", "BOOK_KINDS"]

#: Model presets a scenario file may start from, and the options each takes.
MODEL_PRESETS = {"jiebei": ("shocks", "fraud", "phi", "rho"), "demo": ("phi", "rho")}
#: Kinds of book a scenario file may describe, and the keys each takes.
BOOK_KINDS = {
    "jiebei": ("n", "seed", "bands", "states", "seasoned"),
    "jiebei_living": ("n", "seed", "states", "growth"),
    "synthetic": ("n", "seed", "segments", "states", "exposure_median", "exposure_sigma", "exposure_range"),
    "file": ("path", "columns"),
}
_SECTIONS = {"run", "model", "book", "originations", "stages", "strategies", "engine", "output", "report"}
_RUN_KEYS = {"horizon", "scenarios", "seed", "macro_mean", "macro_strata", "macro_antithetic", "macro_sobol"}
_ENGINE_KEYS = {"engine", "chunk_size", "scenario_batch", "strategy_batch", "month_span", "min_drop_size", "executor",
                "exposure_classes", "rate_classes"}
_ENGINES = ("agent", "cohort")
#: What the cohort engine does not take (simulate refuses them too; a file is told at once).
_COHORT_REFUSES = ("chunk_size", "strategy_batch", "month_span", "min_drop_size", "executor")
_EXECUTORS = ("local", "devices")
_OVERRIDES = {"charge_off_dpd", "penalty_multiple", "cost_of_funds", "income_shock", "fraud", "macro"}
#: Keys of ``[originations]`` (the fields of ``creditsim.Originations``).
ORIGINATION_KEYS = ("volume", "growth", "segments", "rates", "terms", "methods", "amount_median", "amount_sigma",
                    "amount_range", "state", "repeat", "seed")
#: Keys of ``[stages]`` (the fields of ``creditsim.Staging``).
STAGE_KEYS = ("stage2_days", "stage3_days", "stage2_states", "stage3_states", "stage2_segments")


class ScenarioError(ValueError):
    """A scenario file's problems, one per line, each ``key.path: what is wrong``."""

    def __init__(self, problems: list[str], source: str = "scenario"):
        self.problems = list(problems)
        head = f"{source}: {len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(head + "\n" + "\n".join(f"  {p}" for p in self.problems))


@dataclass(frozen=True)
class Scenario:
    """A whole run as data: what a scenario file holds.

    Parameters
    ----------
    model
        The model section as plain data: ``{"preset": name, <preset options>,
        "overrides": {...}}`` or the whole model (``CreditModel.to_dict()``), with an
        optional ``"stress"`` (a name or a mapping, ``creditsim.apply_stress``).
    book
        ``{"kind": "jiebei" | "jiebei_living" | "synthetic" | "file", ...}`` (``BOOK_KINDS``).
    originations
        New loans every month as plain data (``ORIGINATION_KEYS``, the fields of
        ``creditsim.Originations``), or empty for none.  A ``"jiebei_living"`` book brings
        its own plan (``origination_plan()``), so it has none here.
    stages
        IFRS 9 staging at month 0 as plain data (``STAGE_KEYS``, the fields of
        ``creditsim.Staging``; empty for its default rule), or None for none.
    horizon, scenarios, seed
        As ``creditsim.simulate``.
    strategies
        Preset names or strategy dicts; default none.
    engine
        ``simulate`` options (``chunk_size``, ``scenario_batch``, ``strategy_batch``).
    output, report
        ``{"path": ...}`` and ``{"dir": ...}``, or empty.
    base_dir
        Folder that relative paths (a book file, the output) are taken from.

    Notes
    -----
    Build one with ``from_dict`` or ``load_scenario`` (which validate every
    section) or ``from_objects`` (from a model, book spec and strategies built in
    Python).
    """

    model: Mapping
    book: Mapping
    horizon: int
    scenarios: int
    seed: int
    strategies: tuple = ()
    engine: Mapping = field(default_factory=dict)
    output: Mapping = field(default_factory=dict)
    report: Mapping = field(default_factory=dict)
    base_dir: str = "."
    originations: Mapping = field(default_factory=dict)
    stages: Mapping | None = None
    macro_mean: float | tuple | str | None = None
    macro_strata: int | None = None
    macro_antithetic: bool = False
    macro_sobol: int | None = None

    # ------------------------------------------------------------------ building
    @classmethod
    def from_dict(cls, d: Mapping, *, base_dir: str | os.PathLike = ".", source: str = "scenario") -> Scenario:
        """A validated scenario from plain data (a parsed TOML file); every independent
        problem is reported together in one ``ScenarioError``."""
        problems: list[str] = []
        if not isinstance(d, Mapping):
            raise ScenarioError([f"the scenario must be a table, got {type(d).__name__}"], source)
        for k in d:
            if k not in _SECTIONS:
                problems.append(f"{k}: unknown section; sections are {sorted(_SECTIONS)}")
        run = _table(d, "run", problems)
        for k in run:
            if k not in _RUN_KEYS:
                problems.append(f"run.{k}: unknown key; keys are {sorted(_RUN_KEYS)}")
        vals = {}
        for key, lo, hi in (("horizon", 1, 2**24 - 1), ("scenarios", 1, 2**32), ("seed", 0, 2**63 - 1)):
            if key not in run:
                problems.append(f"run.{key}: missing (a whole number in [{lo}, {hi}])")
            elif not _whole(run[key], lo, hi):
                problems.append(f"run.{key}: must be a whole number in [{lo}, {hi}], got {run[key]!r}")
            else:
                vals[key] = int(run[key])
        if "macro_mean" in run:
            mm = run["macro_mean"]
            items = mm if isinstance(mm, list) else [mm]
            if mm == "auto":
                vals["macro_mean"] = "auto"
            elif not items or not all(_number(x) and -8 <= x <= 8 for x in items):
                problems.append(f"run.macro_mean: must be \"auto\", a number in [-8, 8] (the mean of the macro factor "
                                f"under importance sampling) or a non-empty list of them by month, got {mm!r}")
            else:
                vals["macro_mean"] = tuple(float(x) for x in mm) if isinstance(mm, list) else float(mm)
        if "macro_strata" in run:
            ms = run["macro_strata"]
            if "macro_mean" not in run:
                problems.append(f"run.macro_strata: stratifies along the shift of the macro path and needs "
                                f"run.macro_mean, got macro_strata = {ms!r} without it")
            elif not _whole(ms, 2, 2**31):
                problems.append(f"run.macro_strata: must be a whole number >= 2, got {ms!r}")
            elif "scenarios" in vals and (vals["scenarios"] % int(ms) or vals["scenarios"] // int(ms) < 2):
                problems.append(f"run.macro_strata: {ms!r} must divide run.scenarios = {vals['scenarios']} into "
                                f"strata of at least 2 scenarios each")
            else:
                vals["macro_strata"] = int(ms)
        if "macro_antithetic" in run:
            ma = run["macro_antithetic"]
            if not isinstance(ma, bool):
                problems.append(f"run.macro_antithetic: must be true or false, got {ma!r}")
            elif ma and "scenarios" in vals and (vals["scenarios"] % 2 or vals["scenarios"] < 4):
                problems.append(f"run.macro_antithetic: pairs need an even run.scenarios, at least 4, got "
                                f"{vals['scenarios']}")
            else:
                vals["macro_antithetic"] = ma
        if "macro_sobol" in run:
            mq = run["macro_sobol"]
            pts = vals["scenarios"] // int(mq) if "scenarios" in vals and _whole(mq, 2, 2**31) else None
            if not _whole(mq, 2, 2**31):
                problems.append(f"run.macro_sobol: must be a whole number >= 2 (randomised replicates), got {mq!r}")
            elif pts is not None and (vals["scenarios"] % int(mq) or pts < 2 or pts & (pts - 1)):
                problems.append(f"run.macro_sobol: {mq!r} must divide run.scenarios = {vals['scenarios']} into "
                                f"replicates of a power of two scenarios each, at least 2")
            else:
                vals["macro_sobol"] = int(mq)
        chosen = [k for k in ("macro_strata", "macro_antithetic", "macro_sobol") if vals.get(k)]
        if len(chosen) > 1:
            problems.append(f"run: {' and '.join(chosen)} are ways of drawing the macro paths; give one of them")
        engine = _table(d, "engine", problems)
        for k, v in engine.items():
            if k not in _ENGINE_KEYS:
                problems.append(f"engine.{k}: unknown key; keys are {sorted(_ENGINE_KEYS)}")
            elif k == "executor":
                if v not in _EXECUTORS:
                    problems.append(f"engine.executor: must be one of {list(_EXECUTORS)}, got {v!r}")
            elif k == "engine":
                if v not in _ENGINES:
                    problems.append(f"engine.engine: must be one of {list(_ENGINES)}, got {v!r}")
            elif not _whole(v, 1, 2**32):
                problems.append(f"engine.{k}: must be a whole number >= 1, got {v!r}")
            elif k == "month_span" and int(v) % 2:
                problems.append(f"engine.month_span: must be even, got {v!r}")
        cohort = engine.get("engine") == "cohort"
        if cohort:
            for k in _COHORT_REFUSES:
                if k in engine:
                    problems.append(f"engine.{k}: the cohort engine does not take it (engine.engine = 'cohort')")
        else:
            for k in ("exposure_classes", "rate_classes"):
                if k in engine:
                    problems.append(f"engine.{k}: applies to engine.engine = 'cohort' only")
        output, report = _table(d, "output", problems), _table(d, "report", problems)
        for sect, tab, key in (("output", output, "path"), ("report", report, "dir")):
            for k, v in tab.items():
                if k != key:
                    problems.append(f"{sect}.{k}: unknown key; the only key is {key!r}")
                elif not isinstance(v, str) or not v:
                    problems.append(f"{sect}.{k}: must be a path, got {v!r}")
        if output.get("path") and not str(output["path"]).endswith((".nc", ".zarr")):
            problems.append(f"output.path: {output['path']!r} must end in .nc (netCDF) or .zarr")
        model_d = _table(d, "model", problems, required=True)
        book_d = _table(d, "book", problems, required=True)
        strategies = d.get("strategies", [])
        if isinstance(strategies, (str, Mapping)):
            strategies = [strategies]
        if not isinstance(strategies, list):
            problems.append(f"strategies: must be a list of preset names or tables, got {strategies!r}")
            strategies = []
        base = str(base_dir)
        model = _model(model_d, problems) if model_d else None
        _strategies(strategies, model, problems)
        book = _book(book_d, model, base, problems)
        living = book_d.get("kind") == "jiebei_living"
        if living and book is not None:
            _living_volume(book_d, vals.get("horizon"), problems)
        orig_d = None
        if living and "originations" in d:
            problems.append("originations: a 'jiebei_living' book brings its own origination plan "
                            "(presets.jiebei_living_book: presets.steady_volume(n) new loans a month, growing by "
                            "book.growth); remove [originations], or use kind \"jiebei\" for a plan of your own")
        elif "originations" in d:
            orig_d = _table(d, "originations", problems)
            if isinstance(d["originations"], Mapping):
                _originations(orig_d, book_d, book, model, vals.get("horizon"), problems)
        stages_d = d.get("stages")
        if isinstance(stages_d, bool):
            stages_d = {} if stages_d else None
        elif stages_d is not None:
            stages_d = _table(d, "stages", problems, what="a table of Staging fields (or true)")
            if isinstance(d["stages"], Mapping):
                _stages(stages_d, model, problems)
        if cohort:
            what = [name for name, used in (("strategies", bool(strategies)), ("originations", living or orig_d),
                                            ("stages", stages_d is not None))
                    if used]
            if what:
                problems.append(f"engine.engine: the cohort engine runs no strategies, originations or stages; "
                                f"this file has {', '.join(what)} (use 'agent')")
            if "rate_classes" in engine and book is not None and book.terms is None:
                problems.append("engine.rate_classes: applies to a book with loan terms (this book has none)")
        if problems:
            raise ScenarioError(problems, source)
        return cls(model=copy.deepcopy(dict(model_d)), book=copy.deepcopy(dict(book_d)), strategies=tuple(strategies),
                   engine=dict(engine), output=dict(output), report=dict(report), base_dir=base,
                   originations=copy.deepcopy(dict(orig_d or {})),
                   stages=None if stages_d is None else copy.deepcopy(dict(stages_d)), **vals)

    @classmethod
    def from_objects(cls, model: CreditModel | Mapping, book: Mapping, *, horizon: int, scenarios: int, seed: int,
                     strategies=(), stress=None, engine=None, output=None, report=None,
                     base_dir: str | os.PathLike = ".", originations=None, stages=None,
                     macro_mean=None, macro_strata=None, macro_antithetic=False, macro_sobol=None) -> Scenario:
        """A scenario from objects built in Python: a ``CreditModel`` (or a model
        section, e.g. ``{"preset": "jiebei", "overrides": {...}}``), a book section,
        strategies (names, ``Strategy`` objects or dicts), an origination plan
        (``creditsim.Originations`` or a dict of its fields), the stages (a
        ``creditsim.Staging``, True for its default rule, or a dict of its fields) and the
        run settings."""
        if isinstance(model, CreditModel):
            m = _plain_model(model)
        else:
            m = dict(model)
        if stress is not None:
            m["stress"] = stress
        strats = [s.to_dict() if isinstance(s, Strategy) else s for s in
                  ([strategies] if isinstance(strategies, (str, Strategy, Mapping)) else list(strategies))]
        run = {"horizon": horizon, "scenarios": scenarios, "seed": seed}
        if macro_mean is not None:
            run["macro_mean"] = list(macro_mean) if isinstance(macro_mean, (list, tuple, np.ndarray)) else macro_mean
        if macro_strata is not None:
            run["macro_strata"] = macro_strata
        if macro_antithetic:
            run["macro_antithetic"] = True
        if macro_sobol is not None:
            run["macro_sobol"] = macro_sobol
        d = {"run": run, "model": m, "book": dict(book),
             "strategies": strats, "engine": dict(engine or {}), "output": dict(output or {}),
             "report": dict(report or {})}
        if originations is not None:
            d["originations"] = _plain_originations(originations) if isinstance(originations, Originations) \
                else originations
        if stages is not None and stages is not False:
            d["stages"] = _plain_staging(stages) if isinstance(stages, Staging) else \
                ({} if stages is True else stages)
        return cls.from_dict(_no_none(d), base_dir=base_dir)

    # ------------------------------------------------------------------ reading back
    def to_dict(self) -> dict:
        """Plain data (TOML ready: no None), as a scenario file holds it."""
        d = {"run": {"horizon": self.horizon, "scenarios": self.scenarios, "seed": self.seed},
             "model": copy.deepcopy(dict(self.model)), "book": copy.deepcopy(dict(self.book))}
        if self.macro_mean is not None:
            d["run"]["macro_mean"] = list(self.macro_mean) if isinstance(self.macro_mean, tuple) else self.macro_mean
        if self.macro_strata is not None:
            d["run"]["macro_strata"] = self.macro_strata
        if self.macro_antithetic:
            d["run"]["macro_antithetic"] = True
        if self.macro_sobol is not None:
            d["run"]["macro_sobol"] = self.macro_sobol
        if self.strategies:
            d["strategies"] = copy.deepcopy(list(self.strategies))
        if self.originations:
            d["originations"] = copy.deepcopy(dict(self.originations))
        if self.stages is not None:
            d["stages"] = copy.deepcopy(dict(self.stages))
        for name in ("engine", "output", "report"):
            if getattr(self, name):
                d[name] = dict(getattr(self, name))
        return _no_none(d)

    def to_toml(self) -> str:
        """The scenario as TOML text (``load_scenario`` reads it back to an equal one)."""
        import tomli_w

        return tomli_w.dumps(self.to_dict())

    def write(self, path: str | os.PathLike) -> None:
        """Write ``to_toml`` to ``path`` (to a temporary name, then renamed)."""
        path = Path(path)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(self.to_toml(), encoding="utf-8")
        os.replace(tmp, path)

    def __eq__(self, other) -> bool:
        return isinstance(other, Scenario) and self.to_dict() == other.to_dict()

    def replace(self, **changes) -> Scenario:
        """A copy with fields changed (validated again)."""
        new = replace(self, **changes)
        return Scenario.from_dict(new.to_dict(), base_dir=new.base_dir)

    # ------------------------------------------------------------------ the run's objects
    def credit_model(self) -> CreditModel:
        """The ``CreditModel`` of the run, stress applied."""
        problems: list[str] = []
        m = _model(self.model, problems)
        if problems:
            raise ScenarioError(problems)
        return m

    def loan_book(self) -> LoanBook:
        """The run's ``LoanBook`` (drawn, or read from its file)."""
        return _build_book(self.book, self.base_dir)

    def strategy_objects(self) -> list[Strategy]:
        """The run's strategies as ``Strategy`` objects."""
        return [_as_strategy(s) for s in self.strategies]

    def origination_plan(self) -> Originations | None:
        """The run's ``creditsim.Originations`` (defaults filled in from the book; a
        ``"jiebei_living"`` book's own plan), or None."""
        if self.book.get("kind") == "jiebei_living":
            return _living_plan(self.book)
        if not self.originations:
            return None
        return Originations(**_origination_fields(self.originations, self.book))

    def staging(self) -> Staging | None:
        """The run's ``creditsim.Staging``, or None."""
        return None if self.stages is None else Staging(**_staging_fields(self.stages))

    def simulate_kwargs(self) -> dict:
        """The keyword arguments of ``creditsim.simulate`` for this run (besides the
        model and the book)."""
        kw = {"horizon": self.horizon, "scenarios": self.scenarios, "seed": self.seed, **self.engine}
        if self.strategies:
            kw["strategies"] = self.strategy_objects()
        plan = self.origination_plan()
        if plan is not None:
            kw["originations"] = plan
        if self.stages is not None:
            kw["stages"] = self.staging()
        if self.macro_mean is not None:
            kw["macro_mean"] = list(self.macro_mean) if isinstance(self.macro_mean, tuple) else self.macro_mean
        if self.macro_strata is not None:
            kw["macro_strata"] = self.macro_strata
        if self.macro_antithetic:
            kw["macro_antithetic"] = True
        if self.macro_sobol is not None:
            kw["macro_sobol"] = self.macro_sobol
        return kw

    def run(self):
        """Simulate the run: ``creditsim.simulate(model, book, **simulate_kwargs())``."""
        from ..run.simulation import simulate

        return simulate(self.credit_model(), self.loan_book(), **self.simulate_kwargs())


def load_scenario(path: str | os.PathLike) -> Scenario:
    """Read and validate a scenario file (TOML); relative paths in it are taken from its
    folder.  Raises ``ScenarioError`` listing every problem found."""
    p = Path(path)
    if not p.is_file():
        raise ScenarioError([f"{str(path)!r} does not exist or is not a file"], "scenario")
    try:
        d = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise ScenarioError([f"not valid TOML: {e}"], str(path)) from None
    except UnicodeDecodeError:
        raise ScenarioError(["not a text file (UTF-8)"], str(path)) from None
    return Scenario.from_dict(d, base_dir=p.parent, source=str(path))


# ---------------------------------------------------------------------- sections
def _whole(v, lo, hi) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and lo <= v <= hi


def _table(d: Mapping, name: str, problems: list[str], required: bool = False, what: str = "a table") -> Mapping:
    v = d.get(name)
    if v is None:
        if required:
            problems.append(f"{name}: missing section")
        return {}
    if not isinstance(v, Mapping):
        problems.append(f"{name}: must be {what}, got {v!r}")
        return {}
    return v


def _err(e: Exception) -> str:
    return str(e).split("\n")[0]


def _model(d: Mapping, problems: list[str]) -> CreditModel | None:
    """The model section as a CreditModel (stress applied), or None with problems added."""
    d = dict(d)
    stress = d.pop("stress", None)
    if "preset" in d:
        model = _preset_model(d, problems)
    else:
        model = _full_model(d, problems)
    if model is None or stress is None:
        return model
    from .stress import apply_stress

    try:
        return apply_stress(model, stress)
    except ValueError as e:
        problems.append(f"model.stress: {_err(e)}")
        return None


def _preset_model(d: Mapping, problems: list[str]) -> CreditModel | None:
    from . import presets

    name = d["preset"]
    if name not in MODEL_PRESETS:
        problems.append(f"model.preset: unknown preset {name!r}; presets are {sorted(MODEL_PRESETS)}")
        return None
    opts = {k: v for k, v in d.items() if k not in ("preset", "overrides")}
    bad = False
    for k, v in opts.items():
        if k not in MODEL_PRESETS[name]:
            problems.append(f"model.{k}: unknown option of preset {name!r}; options are "
                            f"{list(MODEL_PRESETS[name])} (and overrides, stress)")
            bad = True
        elif k in ("shocks", "fraud") and not isinstance(v, bool):
            problems.append(f"model.{k}: must be true or false, got {v!r}")
            bad = True
        elif k in ("phi", "rho") and (isinstance(v, bool) or not isinstance(v, (int, float))):
            problems.append(f"model.{k}: must be a number, got {v!r}")
            bad = True
    if bad:
        return None
    try:
        model = (presets.jiebei_model if name == "jiebei" else presets.demo_model)(**opts)
    except ValueError as e:
        problems.append(f"model: preset {name!r} with {opts}: {_err(e)}")
        return None
    over = d.get("overrides", {})
    if not isinstance(over, Mapping):
        problems.append(f"model.overrides: must be a table, got {over!r}")
        return None
    changes, ok = {}, True
    for k, v in over.items():
        path = f"model.overrides.{k}"
        if k not in _OVERRIDES:
            problems.append(f"{path}: unknown field; overridable fields are {sorted(_OVERRIDES)}")
            ok = False
            continue
        try:
            changes[k] = _override(model, k, v)
        except (ValueError, TypeError) as e:
            problems.append(f"{path}: {_err(e)}")
            ok = False
    if not ok:
        return None
    try:
        return model.replace(**changes)
    except ValueError as e:
        problems.append(f"model.overrides: {_err(e)}")
        return None


def _override(model: CreditModel, key: str, v):
    """The value of an overridden CreditModel field: a table is merged into the preset's
    shock, fraud or macro factor."""
    if key == "charge_off_dpd":
        return None if v == "none" else v
    if key in ("penalty_multiple", "cost_of_funds"):
        return v
    if not isinstance(v, Mapping):
        if key in ("income_shock", "fraud") and v == "none":
            return None
        raise ValueError(f"must be a table of {key} fields (or \"none\"), got {v!r}")
    cls = {"income_shock": IncomeShock, "fraud": FraudTransfer, "macro": MacroFactor}[key]
    current = getattr(model, key)
    base = current.to_dict() if current is not None else {}
    names = set(cls.__dataclass_fields__)
    unknown = sorted(set(v) - names)
    if unknown:
        raise ValueError(f"unknown fields {unknown}; fields are {sorted(names)}")
    return cls(**{**{k: x for k, x in base.items() if x is not None}, **v})


def _full_model(d: Mapping, problems: list[str]) -> CreditModel | None:
    need = {"states", "segments"}
    missing = sorted(need - set(d))
    if missing:
        problems.append(f"model: give a preset (model.preset) or the whole model; missing {missing}")
        return None
    known = {"states", "segments", "macro", "income_shock", "fraud", "charge_off_dpd", "penalty_multiple",
             "cost_of_funds"}
    unknown = sorted(set(d) - known)
    if unknown:
        problems.append(f"model: unknown keys {unknown}; keys are {sorted(known)} (or preset)")
        return None
    try:
        states = StateSpace.from_dict(d["states"]) if isinstance(d["states"], Mapping) else StateSpace(d["states"])
    except (ValueError, TypeError, KeyError) as e:
        problems.append(f"model.states: {_err(e)}")
        return None
    from .model import BehaviourType, Segment

    segs, ok = [], True
    if not isinstance(d["segments"], list) or not d["segments"]:
        problems.append(f"model.segments: must be a non-empty list of tables, got {d['segments']!r}")
        return None
    for i, s in enumerate(d["segments"]):
        path = f"model.segments[{i}]"
        try:
            if not isinstance(s, Mapping):
                raise ValueError(f"must be a table, got {s!r}")
            types = tuple(BehaviourType(t["name"], t["share"], t["matrix"]) for t in s.get("types", ()))
            seg = Segment(s["name"], s.get("matrix"), s.get("rho", 0.0), types, s.get("distressed"))
            _check_matrix(seg, states)
            segs.append(seg)
        except KeyError as e:
            problems.append(f"{path}: missing key {e.args[0]!r}")
            ok = False
        except (ValueError, TypeError) as e:
            problems.append(f"{path}: {_err(e)}")
            ok = False
    if not ok:
        return None
    dd = {k: v for k, v in d.items() if k not in ("states", "segments")}
    if dd.get("charge_off_dpd") == "none":
        dd["charge_off_dpd"] = None
    try:
        macro = dd.get("macro") or {}
        return CreditModel(states=states, segments=tuple(segs),
                           macro=MacroFactor(macro.get("phi", 0.0), macro.get("path")),
                           income_shock=IncomeShock(**dd["income_shock"]) if dd.get("income_shock") else None,
                           fraud=FraudTransfer(**dd["fraud"]) if dd.get("fraud") else None,
                           charge_off_dpd=dd.get("charge_off_dpd", 180),
                           penalty_multiple=dd.get("penalty_multiple", 1.5),
                           cost_of_funds=dd.get("cost_of_funds", 0.03))
    except (ValueError, TypeError) as e:
        problems.append(f"model: {_err(e)}")
        return None


def _plain_model(model: CreditModel) -> dict:
    d = model.to_dict()
    if d["charge_off_dpd"] is None:
        d["charge_off_dpd"] = "none"
    return _no_none(d)


def _strategies(strategies: list, model: CreditModel | None, problems: list[str]) -> None:
    names = []
    for i, s in enumerate(strategies):
        try:
            if not isinstance(s, (str, Mapping)):
                raise ValueError(f"must be a preset name or a table, got {s!r}")
            names.append(_as_strategy(s).name)
        except (ValueError, TypeError, KeyError) as e:
            problems.append(f"strategies[{i}]: {_err(e)}")
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        problems.append(f"strategies: names must be unique, {dup} repeat")


def _book(d: Mapping, model: CreditModel | None, base: str, problems: list[str]) -> LoanBook | None:
    """Check the book section; the book (a few of its loans for a drawn book), or None."""
    kind = d.get("kind")
    if not d:
        return None
    if kind not in BOOK_KINDS:
        problems.append(f"book.kind: must be one of {sorted(BOOK_KINDS)}, got {kind!r}")
        return None
    for k in d:
        if k != "kind" and k not in BOOK_KINDS[kind]:
            problems.append(f"book.{k}: unknown key for a {kind!r} book; keys are {list(BOOK_KINDS[kind])}")
    if kind == "file":
        path = d.get("path")
        if not isinstance(path, str) or not path:
            problems.append(f"book.path: must be the path of a CSV or Parquet file, got {path!r}")
        elif not path.endswith((".csv", ".parquet")):
            problems.append(f"book.path {path!r}: must end in .csv or .parquet")
        elif not (Path(base) / path).is_file():
            problems.append(f"book.path {path!r} does not exist")
        cols = d.get("columns", {})
        if not isinstance(cols, Mapping) or not all(isinstance(v, str) for v in cols.values()):
            problems.append(f"book.columns: must be a table of column names, got {cols!r}")
        small = d  # the file is read to check it
    else:
        n = d.get("n")
        if not _whole(n, 1, 2**32):
            problems.append(f"book.n: must be a whole number of loans >= 1, got {n!r}")
        if "seed" in d and not _whole(d["seed"], 0, 2**63 - 1):
            problems.append(f"book.seed: must be a whole number >= 0, got {d['seed']!r}")
        if kind == "synthetic" and "segments" not in d:
            problems.append("book.segments: missing (segment names, or a table of their shares)")
        if kind == "jiebei_living" and "growth" in d and (not _number(d["growth"]) or d["growth"] <= -1):
            problems.append(f"book.growth: must be a monthly growth rate > -1 of the new loans' volume (0.01 for 1% "
                            f"a month), got {d['growth']!r}")
        small = {**d, "n": min(n, 64)} if _whole(n, 1, 2**32) else d  # the parameters, on a few loans
    if any(p.startswith("book") for p in problems):
        return None
    try:
        b = _build_book(small, base)
    except (ValueError, TypeError) as e:
        problems.append(f"book: {_err(e)}")
        return None
    if model is not None:
        for field_, names, known in (("segment", b.segment_names, model.segment_names),
                                     ("state", b.state_names, model.states.names)):
            unknown = [x for x in names if x not in known]
            if unknown:
                problems.append(f"book: {field_}s {unknown} are not in the model, whose {field_}s are "
                                f"{list(known)}")
        if kind == "jiebei_living" and model.states.paid_off is None:
            problems.append(f"book.kind: a 'jiebei_living' book takes new loans every month, which wait in the "
                            f"model's paid-off state until their month; the model has none, its states are "
                            f"{list(model.states.names)}")
    return b


def _build_book(d: Mapping, base: str) -> LoanBook:
    from . import presets

    kw = {k: v for k, v in d.items() if k != "kind"}
    if d["kind"] == "jiebei":
        return presets.jiebei_book(kw.pop("n"), **kw)
    if d["kind"] == "jiebei_living":
        return presets.jiebei_living_book(kw.pop("n"), **kw)[0]
    if d["kind"] == "synthetic":
        if "exposure_range" in kw:
            kw["exposure_range"] = tuple(kw["exposure_range"])
        return LoanBook.synthetic(kw.pop("n"), **kw)
    path = Path(base) / d["path"]
    read = LoanBook.from_parquet if str(path).endswith(".parquet") else LoanBook.from_csv
    return read(path, **dict(d.get("columns", {})))


def _living_plan(book: Mapping) -> Originations:
    """The origination plan of a ``"jiebei_living"`` book's section (``presets.jiebei_living_book``'s)."""
    from . import presets

    return presets._jiebei_living_plan(book["n"], seed=book.get("seed", 0), growth=book.get("growth", 0.0))


def _living_volume(book: Mapping, horizon: int | None, problems: list[str]) -> None:
    """Refuse a ``"jiebei_living"`` book whose plan lends more over the horizon than a run takes."""
    from .presets import steady_volume

    if horizon is None:
        return
    n, g = int(book["n"]), float(book.get("growth", 0.0))
    volume = steady_volume(n)
    with np.errstate(over="ignore"):
        total = float(np.floor(volume * (1.0 + g) ** np.arange(horizon, dtype=np.float64) + 0.5).sum())
    if total > 2**32 - n:
        key = "book.growth" if g > 0 else "book.n"
        problems.append(f"{key}: a 'jiebei_living' book of {n:,} loans lends {volume:,} new loans a month "
                        f"(presets.steady_volume), growing by {g!r}: {total:,.0f} over {horizon} months, more than "
                        f"a run takes (2**32 loans with the book's)")


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v)


def _book_mix(book: Mapping) -> dict | None:
    """The segment shares of a drawn book's section (a jiebei book's bands, default
    ``DEMO_MIX``; a synthetic book's segments), None for a book read from a file."""
    from . import presets

    kind = book.get("kind")
    mix = book.get("bands", presets.DEMO_MIX) if kind == "jiebei" else book.get("segments") \
        if kind == "synthetic" else None
    if isinstance(mix, str):
        mix = [mix]
    if isinstance(mix, list):
        mix = dict.fromkeys(mix, 1.0)
    return dict(mix) if isinstance(mix, Mapping) else None


def _shares(m: Mapping, key=lambda k: k) -> dict:
    """Shares normalised to sum to 1 (as a book's are), keys through ``key``."""
    total = sum(float(v) for v in m.values())
    return {key(k): (float(v) / total if total != 1 else v) for k, v in m.items()}


def _origination_fields(o: Mapping, book: Mapping) -> dict:
    """The ``Originations`` fields of an ``[originations]`` table, defaults filled in from the
    book's section."""
    from . import presets

    kw = copy.deepcopy(dict(o))
    if "segments" not in kw:
        mix = _book_mix(book)
        if mix is not None:
            kw["segments"] = mix
    if "rates" not in kw and book.get("kind") == "jiebei":
        kw["rates"] = dict(presets.JIEBEI_RATES)
    if book.get("kind") == "synthetic":
        for mine, theirs in (("amount_median", "exposure_median"), ("amount_sigma", "exposure_sigma"),
                             ("amount_range", "exposure_range")):
            if mine not in kw and theirs in book:
                kw[mine] = book[theirs]
    if "terms" in kw:
        kw["terms"] = _shares(kw["terms"], int)
    if "methods" in kw:
        kw["methods"] = _shares(kw["methods"])
    if "amount_range" in kw:
        kw["amount_range"] = tuple(kw["amount_range"])
    return kw


def _share_table(o: Mapping, key: str, what: str, problems: list[str], check_key) -> bool:
    """Check ``[originations] key`` is a table of ``what`` to shares >= 0 with a positive
    sum; ``check_key(name)`` returns a problem with a name, or None."""
    v = o[key]
    if not isinstance(v, Mapping) or not v:
        problems.append(f"originations.{key}: must be a table of {what} to shares, got {v!r}")
        return False
    ok = True
    for name, w in v.items():
        bad = check_key(name)
        if bad:
            problems.append(f"originations.{key}: {bad}")
            ok = False
        if not _number(w) or w < 0:
            problems.append(f"originations.{key}: the share of {name!r} must be a number >= 0, got {w!r}")
            ok = False
    if ok and sum(float(w) for w in v.values()) <= 0:
        problems.append(f"originations.{key}: the shares sum to 0, got {dict(v)!r}")
        ok = False
    return ok


def _originations(o: Mapping, book_d: Mapping, book: LoanBook | None, model: CreditModel | None,
                  horizon: int | None, problems: list[str]) -> None:
    """Check an ``[originations]`` table against the book and the model."""
    from .presets import JIEBEI_RATES
    from .terms import MAX_ANNUAL_RATE, METHOD_NAMES

    start = len(problems)
    for k in o:
        if k not in ORIGINATION_KEYS:
            problems.append(f"originations.{k}: unknown key; keys are {list(ORIGINATION_KEYS)}")
    volume = o.get("volume")
    if "volume" not in o:
        problems.append("originations.volume: missing (new loans a month, or a list of them month by month)")
    elif isinstance(volume, list):
        for i, x in enumerate(volume):
            if not _whole(x, 0, 2**32):
                problems.append(f"originations.volume[{i}]: must be a whole number of loans >= 0 (month {i + 1}), "
                                f"got {x!r}")
        if "growth" in o:
            problems.append(f"originations.growth: applies to a constant volume, not to a list of months, got "
                            f"{o['growth']!r}")
    elif not _number(volume) or volume < 0:
        problems.append(f"originations.volume: must be a number of new loans a month >= 0, or a list of them month "
                        f"by month, got {volume!r}")
    if "growth" in o and not isinstance(volume, list) and (not _number(o["growth"]) or o["growth"] <= -1):
        problems.append(f"originations.growth: must be a monthly growth rate > -1 (0.01 for 1% a month), got "
                        f"{o['growth']!r}")
    seg_names = model.segment_names if model is not None else None

    def segment_problem(name):
        if not isinstance(name, str) or not name:
            return f"segment names must be non-empty, got {name!r}"
        if seg_names is not None and name not in seg_names:
            return f"{name!r} is not a segment of the model, whose segments are {list(seg_names)}"
        return None

    if "segments" in o:
        _share_table(o, "segments", "segment names", problems, segment_problem)
    elif _book_mix(book_d) is None and book_d.get("kind") == "file":
        problems.append("originations.segments: missing: a book read from a file gives no shares for its new loans; "
                        "give a table of segment shares, e.g. { A = 0.6, B = 0.4 }")
    if "rates" in o:
        r = o["rates"]
        if not isinstance(r, Mapping) or not r:
            problems.append(f"originations.rates: must be a table of segment names to annual rates, got {r!r}")
        else:
            for name, x in r.items():
                if not _number(x) or not 0 <= x <= MAX_ANNUAL_RATE:
                    problems.append(f"originations.rates: the rate of {name!r} must be an annual rate in "
                                    f"[0, {MAX_ANNUAL_RATE:g}], got {x!r}")
    if "terms" in o:
        def term_problem(name):
            if not isinstance(name, str) or not name.isdigit() or int(name) < 1:
                return f"{name!r} is not a term: terms are whole numbers of months >= 1"
            return None
        _share_table(o, "terms", "terms in months", problems, term_problem)
    if "methods" in o:
        def method_problem(name):
            if name not in METHOD_NAMES:
                return (f"unknown repayment method {name!r}; methods are "
                        f"{['equal_instalment', 'equal_principal', 'interest_first']}")
            return None
        _share_table(o, "methods", "repayment methods", problems, method_problem)
    for key, lo, what in (("amount_median", 0, "> 0 (yuan)"), ("amount_sigma", None, ">= 0")):
        if key in o and (not _number(o[key]) or (o[key] <= 0 if lo == 0 else o[key] < 0)):
            problems.append(f"originations.{key}: must be a number {what}, got {o[key]!r}")
    if "amount_range" in o:
        a = o["amount_range"]
        if not isinstance(a, list) or len(a) != 2 or not all(_number(x) for x in a) or not 0 <= a[0] <= a[1] \
                or a[1] <= 0:
            problems.append(f"originations.amount_range: must be [low, high] in yuan with 0 <= low <= high, got {a!r}")
    if "state" in o:
        st = o["state"]
        if not isinstance(st, str) or not st:
            problems.append(f"originations.state: must be a state name, got {st!r}")
        elif model is not None and st not in model.states.names:
            problems.append(f"originations.state: unknown state {st!r}; states are {list(model.states.names)}")
        elif model is not None and st in model.states.absorbing:
            problems.append(f"originations.state: new loans cannot enter the absorbing state {st!r}")
    if "repeat" in o:
        rep = o["repeat"]
        if isinstance(rep, Mapping):
            for name, x in rep.items():
                bad = segment_problem(name)
                if bad:
                    problems.append(f"originations.repeat: {bad}")
                if not _number(x) or not 0 <= x <= 1:
                    problems.append(f"originations.repeat: the probability of {name!r} must be a number in [0, 1], "
                                    f"got {x!r}")
        elif not _number(rep) or not 0 <= rep <= 1:
            problems.append(f"originations.repeat: must be a monthly probability in [0, 1], or a table of segment "
                            f"names to one, got {rep!r}")
    if "seed" in o and not _whole(o["seed"], 0, 2**63 - 1):
        problems.append(f"originations.seed: must be a whole number >= 0, got {o['seed']!r}")
    if model is not None and model.states.paid_off is None:
        problems.append(f"originations: the model has no paid-off state, where a new loan waits until its month; "
                        f"its states are {list(model.states.names)}")
    if len(problems) > start or book is None:
        return
    kw = _origination_fields(o, book_d)
    terms = book.terms is not None
    if terms and "rates" not in kw:
        problems.append("originations.rates: missing: a book with loan terms needs each segment's annual rate for "
                        "its new loans, e.g. { A = 0.072, B = 0.0912 }")
        return
    if terms:
        missing = [k for k in kw["segments"] if k not in kw["rates"]]
        if missing:
            given = "" if "rates" in o else f" (the default, presets.JIEBEI_RATES, has {sorted(JIEBEI_RATES)})"
            problems.append(f"originations.rates: segments {missing} have no annual rate{given}")
            return
    if horizon is not None and not isinstance(volume, list):
        g = float(o.get("growth", 0.0))
        total = float(np.floor(float(volume) * (1.0 + g) ** np.arange(horizon, dtype=np.float64) + 0.5).sum())
        n_book = int(book_d["n"]) if book_d.get("kind") != "file" else len(book)
        if total > 2**32 - n_book:
            problems.append(f"originations.volume: {volume!r} a month growing by {g!r} gives {total:,.0f} new loans "
                            f"over {horizon} months: more than a run takes (2**32 loans with the book's)")
            return
    try:  # the plan's checks, and a few loans drawn
        Originations(**kw)
        Originations(**{**kw, "volume": 8, "growth": 0.0}).draw(1, with_terms=terms)
    except (ValueError, TypeError) as e:
        problems.append(f"originations: {_err(e)}")


def _staging_fields(st: Mapping) -> dict:
    return copy.deepcopy(dict(st))


def _stages(st: Mapping, model: CreditModel | None, problems: list[str]) -> None:
    """Check a ``[stages]`` table against the model."""
    start = len(problems)
    for k in st:
        if k not in STAGE_KEYS:
            problems.append(f"stages.{k}: unknown key; keys are {list(STAGE_KEYS)}")
    days = {}
    for k, default in (("stage2_days", 30), ("stage3_days", 90)):
        v = st.get(k, default)
        if _whole(v, 0, 2**31 - 1):
            days[k] = v
        else:
            problems.append(f"stages.{k}: must be a whole number of days >= 0, got {v!r}")
    if len(days) == 2 and days["stage3_days"] < days["stage2_days"]:
        problems.append(f"stages.stage3_days: must be >= stage2_days ({days['stage2_days']}), got "
                        f"{days['stage3_days']}")
    for k, what in (("stage2_states", "state"), ("stage3_states", "state"), ("stage2_segments", "segment")):
        if k not in st:
            continue
        v = st[k]
        if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
            problems.append(f"stages.{k}: must be a list of {what} names, got {v!r}")
            continue
        known = None if model is None else model.states.names if what == "state" else model.segment_names
        for x in v:
            if known is not None and x not in known:
                problems.append(f"stages.{k}: unknown {what} {x!r}; {what}s are {list(known)}")
    if len(problems) == start:
        try:
            Staging(**_staging_fields(st))
        except (ValueError, TypeError) as e:
            problems.append(f"stages: {_err(e)}")


def _plain_originations(o: Originations) -> dict:
    """An ``Originations`` as an ``[originations]`` table (every field written)."""
    vol = o.volume
    return _no_none({
        "volume": list(vol) if isinstance(vol, (list, tuple, np.ndarray)) else vol,
        "growth": o.growth if not isinstance(vol, (list, tuple, np.ndarray)) else None,
        "segments": dict(o.segments), "rates": None if o.rates is None else dict(o.rates),
        "terms": None if o.terms is None else {str(int(k)): v for k, v in o.terms.items()},
        "methods": None if o.methods is None else dict(o.methods),
        "amount_median": o.amount_median, "amount_sigma": o.amount_sigma, "amount_range": list(o.amount_range),
        "state": o.state, "repeat": dict(o.repeat) if isinstance(o.repeat, Mapping) else o.repeat,
        "seed": o.seed})


def _plain_staging(s: Staging) -> dict:
    """A ``Staging`` as a ``[stages]`` table: the fields that differ from the default rule."""
    default = Staging().to_dict()
    return _no_none({k: v for k, v in s.to_dict().items() if v != default[k]})


# ---------------------------------------------------------------------- plain data
def _no_none(x):
    """``x`` without None values in mappings (TOML has no null), NumPy numbers as Python's."""
    if isinstance(x, Mapping):
        return {k: _no_none(v) for k, v in x.items() if v is not None}
    if isinstance(x, (list, tuple)):
        return [_no_none(v) for v in x]
    if isinstance(x, np.ndarray):
        return _no_none(x.tolist())
    if isinstance(x, np.generic):
        return x.item()
    return x

