"""Scenario files: TOML in and out, the same objects a script builds, every problem named."""

import tomllib

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

import creditsim as cs
from creditsim import presets
from helpers import sure_chain

BASE = """
strategies = ["in_house", "agency_at_90"]

[run]
horizon = 6
scenarios = 4
seed = 1

[model]
preset = "jiebei"
stress = "recession"

[model.overrides]
charge_off_dpd = 180
fraud = { hazard = 5e-5 }

[book]
kind = "jiebei"
n = 600
seed = 3
states = { current = 0.979, dpd_1_30 = 0.006, dpd_31_60 = 0.0025, dpd_61_90 = 0.002, dpd_91_180 = 0.0105 }

[engine]
scenario_batch = 4
"""


def write(tmp_path, text, name="run.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_a_file_gives_the_objects_a_script_builds_and_the_same_run(tmp_path):
    sc = cs.load_scenario(write(tmp_path, BASE))
    base = presets.jiebei_model()
    model = cs.apply_stress(base.replace(fraud=cs.FraudTransfer(**{**base.fraud.to_dict(), "hazard": 5e-5})),
                            "recession")
    assert sc.credit_model().to_dict() == model.to_dict()
    book = presets.jiebei_book(600, seed=3, states=presets.JIEBEI_START)
    assert sc.loan_book().fingerprint() == book.fingerprint()
    assert [s.name for s in sc.strategy_objects()] == ["in_house", "agency_at_90"]
    ds = cs.simulate(model, book, horizon=6, scenarios=4, seed=1, strategies=["in_house", "agency_at_90"],
                     scenario_batch=4)
    xr.testing.assert_identical(sc.run(), ds)


def test_round_trip_through_toml_of_a_preset_run_and_of_a_whole_model(tmp_path):
    sc = cs.load_scenario(write(tmp_path, BASE))
    again = cs.load_scenario(write(tmp_path, sc.to_toml(), "again.toml"))
    assert again == sc and again.to_dict() == sc.to_dict()
    # a model built in Python (no charge-off rule: "none" in the file), a synthetic book, a
    # strategy object, written and read back
    model = presets.demo_model()
    assert model.charge_off_dpd is None
    strat = cs.Strategy("calls", (cs.Contact(name="call", cost=2.0, contacts=2),), (cs.Rule("call", min_days=31),))
    sc2 = cs.Scenario.from_objects(model, {"kind": "synthetic", "n": 500, "segments": {"A": 0.5, "E": 0.5},
                                           "seed": 2}, horizon=3, scenarios=2, seed=9, strategies=[strat],
                                   output={"path": "out.nc"})
    sc2.write(tmp_path / "whole.toml")
    back = cs.load_scenario(tmp_path / "whole.toml")
    assert back == sc2
    assert back.credit_model().to_dict() == model.to_dict()
    assert back.strategy_objects()[0].to_dict() == strat.to_dict()
    assert 'charge_off_dpd = "none"' in (tmp_path / "whole.toml").read_text()


@st.composite
def valid_runs(draw):
    """Generated valid runs: a preset with options, overrides and a stress; a book; some
    strategies; engine options."""
    preset = draw(st.sampled_from(["jiebei", "demo"]))
    model = {"preset": preset}
    if preset == "jiebei":
        model.update(shocks=draw(st.booleans()), fraud=draw(st.booleans()))
    model["phi"] = draw(st.sampled_from([0.0, 0.5, 0.9]))
    over = {}
    if draw(st.booleans()):
        over["cost_of_funds"] = draw(st.sampled_from([0.0, 0.03, 0.05]))
    if draw(st.booleans()):
        over["charge_off_dpd"] = draw(st.sampled_from([120, 180, 210]))
    if preset == "jiebei" and model.get("shocks") and draw(st.booleans()):
        over["income_shock"] = {"hazard": draw(st.sampled_from([0.001, 0.01])),
                                "mean_months": draw(st.sampled_from([3.0, 6.0]))}
    if over:
        model["overrides"] = over
    if draw(st.booleans()):
        model["stress"] = "recession" if model.get("shocks") else {"macro_path": [-1.0, -2.0]}
    book = {"kind": "jiebei", "n": draw(st.integers(1, 5000)), "seed": draw(st.integers(0, 99)),
            "seasoned": draw(st.booleans())}
    strategies = draw(st.lists(st.sampled_from(sorted(cs.STRATEGIES)), unique=True, max_size=3))
    run = {"horizon": draw(st.integers(1, 36)), "scenarios": draw(st.integers(1, 10_000)),
           "seed": draw(st.integers(0, 2**63 - 1))}
    d = {"run": run, "model": model, "book": book}
    if strategies:
        d["strategies"] = strategies
    if draw(st.booleans()):
        d["engine"] = {"chunk_size": draw(st.sampled_from([4096, 262144]))}
    return d


@settings(max_examples=25, deadline=None)
@given(valid_runs())
def test_every_valid_run_round_trips_through_toml(d):
    sc = cs.Scenario.from_dict(d)
    text = sc.to_toml()
    back = cs.Scenario.from_dict(tomllib.loads(text))
    assert back == sc
    assert back.credit_model().to_dict() == sc.credit_model().to_dict()
    assert back.simulate_kwargs().keys() == sc.simulate_kwargs().keys()


BAD = [
    ("horizon = 0", "run.horizon: must be a whole number in [1, 16777215], got 0"),
    ("scenarios = 4.5", "run.scenarios: must be a whole number", "got 4.5"),
    ("seed = -1", "run.seed: must be a whole number in [0,", "got -1"),
    ("preset = \"nice\"", "model.preset: unknown preset 'nice'"),
    ("shocks = \"yes\"", "model.shocks: must be true or false, got 'yes'"),
    ("stress = \"boom\"", "model.stress: apply_stress: unknown stress scenario 'boom'"),
    ("fraud = { hazard = 2.0 }", "model.overrides.fraud: FraudTransfer.hazard: must be in [0, 1], got 2.0"),
    ("penalty = 3", "model.overrides.penalty: unknown field"),
    ("n = 0", "book.n: must be a whole number of loans >= 1, got 0"),
    ("kind = \"file\"", "book.n: unknown key for a 'file' book"),
    ("path = \"loans.csv\"", "book.path: unknown key for a 'jiebei' book"),
    ("chunk = 5", "engine.chunk: unknown key"),
    ("chunk_size = 0", "engine.chunk_size: must be a whole number >= 1, got 0"),
    ("month_span = 5", "engine.month_span: must be even, got 5"),
    ("executor = \"dask\"", "engine.executor: must be one of ['local', 'devices'], got 'dask'"),
    ("strategies = [\"nice\"]", "strategies[0]: strategy: unknown preset 'nice'"),
    ("strategies = [42]", "strategies[0]: must be a preset name or a table, got 42"),
    ("strategies = [\"in_house\", \"in_house\"]", "strategies: names must be unique, ['in_house'] repeat"),
    ("path = \"out.txt\"", "output.path: 'out.txt' must end in .nc (netCDF) or .zarr"),
    ("colour = 1", "colour: unknown section"),
]
SECTION = {"horizon": "run", "scenarios": "run", "seed": "run", "preset": "model", "shocks": "model",
           "stress": "model", "fraud": "model.overrides", "penalty": "model.overrides", "n": "book",
           "kind": "book", "chunk": "engine", "chunk_size": "engine", "month_span": "engine",
           "executor": "engine"}


def _with(line: str) -> str:
    """BASE with one line set (replacing the key if BASE has it)."""
    key = line.split(" = ")[0]
    if key == "strategies":
        return BASE.replace('strategies = ["in_house", "agency_at_90"]', line)
    if key == "colour":
        return line + "\n" + BASE
    if key == "path" and "out" in line:
        return BASE + "\n[output]\n" + line + "\n"
    section = SECTION.get(key, "book")
    lines = BASE.splitlines()
    head = lines.index(f"[{section}]")
    for i in range(head + 1, len(lines)):
        if lines[i].startswith(key + " = "):
            lines[i] = line
            break
        if lines[i].startswith("["):
            lines.insert(i, line)
            break
    else:
        lines.append(line)
    return "\n".join(lines)


@pytest.mark.parametrize("line, parts", [(b[0], b[1:]) for b in BAD], ids=[b[0] for b in BAD])
def test_each_bad_value_is_named_with_its_key_path(tmp_path, line, parts):
    with pytest.raises(cs.ScenarioError) as e:
        cs.load_scenario(write(tmp_path, _with(line)))
    msg = str(e.value)
    for p in parts:
        assert p in msg, msg
    assert str(tmp_path) in msg.splitlines()[0]


def test_every_independent_problem_is_reported_together(tmp_path):
    text = BASE.replace("horizon = 6", "horizon = 0").replace("n = 600", "n = -3").replace(
        '"agency_at_90"', '"nice"') + "\n[output]\npath = \"x.txt\"\n"
    with pytest.raises(cs.ScenarioError) as e:
        cs.load_scenario(write(tmp_path, text))
    assert len(e.value.problems) == 4, e.value.problems
    assert str(e.value).splitlines()[0].endswith("4 problems")


def test_files_that_are_not_scenarios(tmp_path):
    with pytest.raises(cs.ScenarioError, match="'nowhere.toml' does not exist"):
        cs.load_scenario("nowhere.toml")
    with pytest.raises(cs.ScenarioError, match="not valid TOML"):
        cs.load_scenario(write(tmp_path, "[run\nhorizon = 1"))
    with pytest.raises(cs.ScenarioError, match="model: missing section"):
        cs.load_scenario(write(tmp_path, "[run]\nhorizon = 1\nscenarios = 1\nseed = 0\n[book]\nkind = 'jiebei'\nn = 5"))


def test_a_book_file_and_a_whole_model_with_a_bad_row(tmp_path):
    """A book read from CSV (relative to the scenario file); a whole model whose row does not
    sum to 1 is named by its segment index, segment and state; a book whose segments the
    model lacks is named."""
    m = sure_chain(current="dpd_1_30")
    model = cs.CreditModel(segments=[cs.Segment("s", m)], charge_off_dpd=None)
    cs.LoanBook(["s", "s"], ["current", "dpd_1_30"], [100.0, 200.0]).to_dataframe().to_csv(
        tmp_path / "loans.csv", index=False)
    sc = cs.Scenario.from_objects(model, {"kind": "file", "path": "loans.csv"}, horizon=2, scenarios=1, seed=0,
                                  base_dir=tmp_path)
    p = write(tmp_path, sc.to_toml())
    back = cs.load_scenario(p)
    np.testing.assert_array_equal(back.loan_book().exposure, [100.0, 200.0])
    bad = sc.to_dict()
    bad["model"]["segments"][0]["matrix"][3][3] = 0.97  # dpd_1_30 stays 0.97: the row sums to 0.97
    with pytest.raises(cs.ScenarioError) as e:
        cs.Scenario.from_dict(bad, base_dir=tmp_path)
    assert "model.segments[0]: Segment 's', state 'dpd_1_30': row sums to 0.97" in str(e.value)
    other = sc.to_dict()
    other["model"]["segments"][0]["name"] = "t"
    with pytest.raises(cs.ScenarioError, match=r"book: segments \['s'\] are not in the model"):
        cs.Scenario.from_dict(other, base_dir=tmp_path)


EXAMPLES = ["jiebei_baseline", "recession_stress", "fraud_wave", "strategy_comparison"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_each_example_file_is_its_script_and_runs_small(name):
    """Each example scenario file gives the objects of its Python script; at a small size
    (300 loans, 3 months, 2 scenarios, at most two strategies) both give the same result."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "examples"
    spec = importlib.util.spec_from_file_location(f"example_{name}", root / f"{name}.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    sc = cs.load_scenario(root / f"{name}.toml")
    model, book, kw = script.run_objects()
    assert sc.credit_model().to_dict() == model.to_dict()
    assert sc.loan_book().fingerprint() == book.fingerprint()
    mine = sc.simulate_kwargs()
    assert {k: v for k, v in mine.items() if k != "strategies"} == {k: v for k, v in kw.items() if k != "strategies"}
    assert [s.name for s in mine.get("strategies", [])] == kw.get("strategies", [])
    small_kw = dict(horizon=3, scenarios=2)
    model, book, kw = script.run_objects(n=300, **small_kw)
    if "strategies" in kw:
        kw["strategies"] = kw["strategies"][:2]
    small = sc.replace(book={**sc.book, "n": 300}, horizon=3, scenarios=2,
                       strategies=sc.strategies[:2], output={})
    xr.testing.assert_identical(small.run(), cs.simulate(model, book, **kw))
