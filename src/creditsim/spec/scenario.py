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

    [model]
    preset = "jiebei"         # "jiebei" or "demo"; or give the whole model (below)
    shocks = true             # preset options (jiebei: shocks, fraud, phi, rho; demo: phi, rho)
    stress = "recession"      # a name of STRESS_SCENARIOS, or a table of its keys

    [model.overrides]         # CreditModel fields set after the preset
    charge_off_dpd = 180
    fraud = { hazard = 5e-5 }  # merged into the preset's FraudTransfer

    [book]
    kind = "jiebei"           # "jiebei" (presets.jiebei_book), "synthetic" (LoanBook.synthetic), "file"
    n = 200000
    seed = 2026
    states = { current = 0.979, dpd_1_30 = 0.006, dpd_31_60 = 0.0025, dpd_61_90 = 0.002, dpd_91_180 = 0.0105 }

    [engine]
    chunk_size = 262144       # simulate's options: chunk_size, scenario_batch, strategy_batch

    [output]
    path = "results/run.nc"   # .nc (netCDF) or .zarr

    [report]
    dir = "results/report"

Instead of a preset, ``[model]`` may hold the whole model as ``CreditModel.to_dict()``
writes it (``states``, ``segments`` with their matrices, ``macro``, ``income_shock``,
``fraud``, ``charge_off_dpd``, ``penalty_multiple``, ``cost_of_funds``); TOML has no null,
so ``charge_off_dpd = "none"`` means no charge-off rule.  A book file's ``path`` is relative
to the scenario file.

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
from .states import StateSpace
from .strategy import Strategy
from .strategy import strategy as _as_strategy

__all__ = ["Scenario", "ScenarioError", "load_scenario", "MODEL_PRESETS", "BOOK_KINDS"]

#: Model presets a scenario file may start from, and the options each takes.
MODEL_PRESETS = {"jiebei": ("shocks", "fraud", "phi", "rho"), "demo": ("phi", "rho")}
#: Kinds of book a scenario file may describe, and the keys each takes.
BOOK_KINDS = {
    "jiebei": ("n", "seed", "bands", "states", "seasoned"),
    "synthetic": ("n", "seed", "segments", "states", "exposure_median", "exposure_sigma", "exposure_range"),
    "file": ("path", "columns"),
}
_SECTIONS = {"run", "model", "book", "strategies", "engine", "output", "report"}
_RUN_KEYS = {"horizon", "scenarios", "seed"}
_ENGINE_KEYS = {"chunk_size", "scenario_batch", "strategy_batch", "month_span", "min_drop_size", "executor"}
_EXECUTORS = ("local", "devices")
_OVERRIDES = {"charge_off_dpd", "penalty_multiple", "cost_of_funds", "income_shock", "fraud", "macro"}


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
        ``{"kind": "jiebei" | "synthetic" | "file", ...}`` (``BOOK_KINDS``).
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
        engine = _table(d, "engine", problems)
        for k, v in engine.items():
            if k not in _ENGINE_KEYS:
                problems.append(f"engine.{k}: unknown key; keys are {sorted(_ENGINE_KEYS)}")
            elif k == "executor":
                if v not in _EXECUTORS:
                    problems.append(f"engine.executor: must be one of {list(_EXECUTORS)}, got {v!r}")
            elif not _whole(v, 1, 2**32):
                problems.append(f"engine.{k}: must be a whole number >= 1, got {v!r}")
            elif k == "month_span" and int(v) % 2:
                problems.append(f"engine.month_span: must be even, got {v!r}")
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
        _book(book_d, model, base, problems)
        if problems:
            raise ScenarioError(problems, source)
        return cls(model=copy.deepcopy(dict(model_d)), book=copy.deepcopy(dict(book_d)), strategies=tuple(strategies),
                   engine=dict(engine), output=dict(output), report=dict(report), base_dir=base, **vals)

    @classmethod
    def from_objects(cls, model: CreditModel | Mapping, book: Mapping, *, horizon: int, scenarios: int, seed: int,
                     strategies=(), stress=None, engine=None, output=None, report=None,
                     base_dir: str | os.PathLike = ".") -> Scenario:
        """A scenario from objects built in Python: a ``CreditModel`` (or a model
        section, e.g. ``{"preset": "jiebei", "overrides": {...}}``), a book section,
        strategies (names, ``Strategy`` objects or dicts) and the run settings."""
        if isinstance(model, CreditModel):
            m = _plain_model(model)
        else:
            m = dict(model)
        if stress is not None:
            m["stress"] = stress
        strats = [s.to_dict() if isinstance(s, Strategy) else s for s in
                  ([strategies] if isinstance(strategies, (str, Strategy, Mapping)) else list(strategies))]
        d = {"run": {"horizon": horizon, "scenarios": scenarios, "seed": seed}, "model": m, "book": dict(book),
             "strategies": strats, "engine": dict(engine or {}), "output": dict(output or {}),
             "report": dict(report or {})}
        return cls.from_dict(_no_none(d), base_dir=base_dir)

    # ------------------------------------------------------------------ reading back
    def to_dict(self) -> dict:
        """Plain data (TOML ready: no None), as a scenario file holds it."""
        d = {"run": {"horizon": self.horizon, "scenarios": self.scenarios, "seed": self.seed},
             "model": copy.deepcopy(dict(self.model)), "book": copy.deepcopy(dict(self.book))}
        if self.strategies:
            d["strategies"] = copy.deepcopy(list(self.strategies))
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

    def simulate_kwargs(self) -> dict:
        """The keyword arguments of ``creditsim.simulate`` for this run (besides the
        model and the book)."""
        kw = {"horizon": self.horizon, "scenarios": self.scenarios, "seed": self.seed, **self.engine}
        if self.strategies:
            kw["strategies"] = self.strategy_objects()
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


def _table(d: Mapping, name: str, problems: list[str], required: bool = False) -> Mapping:
    v = d.get(name)
    if v is None:
        if required:
            problems.append(f"{name}: missing section")
        return {}
    if not isinstance(v, Mapping):
        problems.append(f"{name}: must be a table, got {v!r}")
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


def _book(d: Mapping, model: CreditModel | None, base: str, problems: list[str]) -> None:
    kind = d.get("kind")
    if not d:
        return
    if kind not in BOOK_KINDS:
        problems.append(f"book.kind: must be one of {sorted(BOOK_KINDS)}, got {kind!r}")
        return
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
        small = {**d, "n": min(n, 64)} if _whole(n, 1, 2**32) else d  # the parameters, on a few loans
    if not any(p.startswith("book") for p in problems):
        try:
            b = _build_book(small, base)
        except (ValueError, TypeError) as e:
            problems.append(f"book: {_err(e)}")
            return
        if model is not None:
            for field_, names, known in (("segment", b.segment_names, model.segment_names),
                                         ("state", b.state_names, model.states.names)):
                unknown = [x for x in names if x not in known]
                if unknown:
                    problems.append(f"book: {field_}s {unknown} are not in the model, whose {field_}s are "
                                    f"{list(known)}")


def _build_book(d: Mapping, base: str) -> LoanBook:
    from . import presets

    kw = {k: v for k, v in d.items() if k != "kind"}
    if d["kind"] == "jiebei":
        return presets.jiebei_book(kw.pop("n"), **kw)
    if d["kind"] == "synthetic":
        if "exposure_range" in kw:
            kw["exposure_range"] = tuple(kw["exposure_range"])
        return LoanBook.synthetic(kw.pop("n"), **kw)
    path = Path(base) / d["path"]
    read = LoanBook.from_parquet if str(path).endswith(".parquet") else LoanBook.from_csv
    return read(path, **dict(d.get("columns", {})))


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

