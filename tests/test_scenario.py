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
states = { current = 0.963, restructured = 0.0017, dpd_1_30 = 0.0173, dpd_31_60 = 0.0048, dpd_61_90 = 0.0038, dpd_91_180 = 0.0094 }

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
    if draw(st.booleans()):
        book = {"kind": "jiebei", "n": draw(st.integers(1, 5000)), "seed": draw(st.integers(0, 99)),
                "seasoned": draw(st.booleans())}
    else:  # a living book, its origination plan its own
        book = {"kind": "jiebei_living", "n": draw(st.integers(1, 5000)), "seed": draw(st.integers(0, 99))}
        if draw(st.booleans()):
            book["growth"] = draw(st.sampled_from([-0.05, 0, 0.0, 0.02]))
        if draw(st.booleans()):
            book["states"] = draw(st.sampled_from([{"current": 1.0}, {"current": 0.9, "dpd_31_60": 0.1}]))
    strategies = draw(st.lists(st.sampled_from(sorted(cs.STRATEGIES)), unique=True, max_size=3))
    run = {"horizon": draw(st.integers(1, 36)), "scenarios": draw(st.integers(1, 10_000)),
           "seed": draw(st.integers(0, 2**63 - 1))}
    d = {"run": run, "model": model, "book": book}
    if strategies:
        d["strategies"] = strategies
    if draw(st.booleans()):
        d["engine"] = {"chunk_size": draw(st.sampled_from([4096, 262144]))}
    # new loans (not with a living book): a constant (growing) volume or month by month, some fields given
    if book["kind"] == "jiebei" and draw(st.booleans()):
        o = {"volume": draw(st.one_of(st.integers(0, 5000), st.lists(st.integers(0, 500), max_size=6)))}
        if not isinstance(o["volume"], list) and draw(st.booleans()):
            o["growth"] = draw(st.sampled_from([-0.05, 0.0, 0.02]))
        if draw(st.booleans()):
            o["segments"] = draw(st.sampled_from([{"A": 1.0}, {"B": 0.5, "E": 0.5}]))
        if draw(st.booleans()):
            o["terms"] = draw(st.sampled_from([{"3": 1.0}, {"6": 0.4, "12": 0.6}]))
        if draw(st.booleans()):
            o["seed"] = draw(st.integers(0, 99))
        d["originations"] = o
    if draw(st.booleans()):
        two = draw(st.integers(0, 60))
        d["stages"] = draw(st.sampled_from([{}, {"stage2_days": two, "stage3_days": two + 30},
                                            {"stage2_segments": ["E"], "stage3_states": []}]))
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
    assert back.origination_plan() == sc.origination_plan() and back.staging() == sc.staging()


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
    (600 loans, 6 months, 4 scenarios, at most two strategies: the sizes of
    test_a_file_gives_the_objects_a_script_builds_and_the_same_run, whose compiled kernel the
    strategy example's run shares) both give the same result."""
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
    small_kw = dict(horizon=6, scenarios=4)
    model, book, kw = script.run_objects(n=600, **small_kw)
    if "strategies" in kw:
        kw["strategies"] = kw["strategies"][:2]
    small = sc.replace(book={**sc.book, "n": 600}, horizon=6, scenarios=4,
                       strategies=sc.strategies[:2], output={})
    xr.testing.assert_identical(small.run(), cs.simulate(model, book, **kw))


# ---------------------------------------------------------------------- originations and stages
LIVING = """
[run]
horizon = 5
scenarios = 3
seed = 4

[model]
preset = "demo"

[book]
kind = "synthetic"
n = 200
seed = 1
segments = ["A", "E"]
exposure_median = 5000.0
exposure_range = [500.0, 50000.0]

[originations]
volume = [30, 0, 10]
repeat = { E = 0.2 }
seed = 7

[stages]
stage2_days = 15
stage2_segments = ["E"]
"""


def test_originations_and_stages_are_the_objects_a_script_builds_and_the_same_run(tmp_path):
    """[originations] and [stages] give the Originations and Staging a script would build
    (the new loans' segments and amounts default to the synthetic book's), round-trip
    through TOML and from_objects, and run as simulate runs them."""
    sc = cs.load_scenario(write(tmp_path, LIVING))
    plan = cs.Originations([30, 0, 10], {"A": 1.0, "E": 1.0}, amount_median=5000.0,
                           amount_range=(500.0, 50000.0), repeat={"E": 0.2}, seed=7)
    staging = cs.Staging(stage2_days=15, stage2_segments=["E"])
    assert sc.origination_plan() == plan and sc.staging() == staging
    kw = sc.simulate_kwargs()
    assert kw["originations"] == plan and kw["stages"] == staging
    assert cs.load_scenario(write(tmp_path, sc.to_toml(), "again.toml")) == sc
    # the same from objects, written and read back
    model = presets.demo_model()
    book = cs.LoanBook.synthetic(200, segments=["A", "E"], seed=1, exposure_median=5000.0,
                                 exposure_range=(500.0, 50000.0))
    made = cs.Scenario.from_objects({"preset": "demo"}, dict(sc.book), horizon=5, scenarios=3, seed=4,
                                    originations=plan, stages=staging)
    made.write(tmp_path / "made.toml")
    back = cs.load_scenario(tmp_path / "made.toml")
    assert back.origination_plan() == plan and back.staging() == staging
    assert back.loan_book().fingerprint() == book.fingerprint()
    ds = sc.run()
    xr.testing.assert_identical(ds, cs.simulate(model, book, horizon=5, scenarios=3, seed=4, originations=plan,
                                                stages=staging))
    np.testing.assert_array_equal(ds.originated.values, [200, 30, 0, 10, 0, 0])
    assert "redrawn" in ds
    assert "loss_by_stage" in ds
    # the default rule: an empty [stages] table or stages = true; none without either
    for text in (LIVING.split("[stages]")[0] + "[stages]\n", "stages = true\n" + LIVING.split("[stages]")[0]):
        s = cs.load_scenario(write(tmp_path, text, "default.toml"))
        assert s.staging() == cs.Staging() and s.simulate_kwargs()["stages"] == cs.Staging()
        assert cs.load_scenario(write(tmp_path, s.to_toml(), "default2.toml")) == s
    s = cs.load_scenario(write(tmp_path, LIVING.split("[originations]")[0], "plain.toml"))
    assert s.staging() is None and s.origination_plan() is None
    assert "stages" not in s.simulate_kwargs() and "originations" not in s.simulate_kwargs()


def test_new_loans_of_a_jiebei_book_default_to_its_bands_and_the_preset_rates(tmp_path):
    text = BASE.replace("n = 600", "n = 600\nbands = { A = 0.5, E = 0.5 }") + \
        "\n[originations]\nvolume = 100\ngrowth = 0.02\nterms = { 3 = 1, 12 = 3 }\n"
    plan = cs.load_scenario(write(tmp_path, text)).origination_plan()
    assert plan.segments == {"A": 0.5, "E": 0.5} and plan.rates == presets.JIEBEI_RATES
    assert plan.terms == {3: 0.25, 12: 0.75}  # shares, as a book's, normalised
    np.testing.assert_array_equal(plan.volumes(3), [100, 102, 104])
    given = text.replace("volume = 100", 'volume = 100\nsegments = { B = 1 }\nrates = { B = 0.1 }')
    plan = cs.load_scenario(write(tmp_path, given)).origination_plan()
    assert plan.segments == {"B": 1} and plan.rates == {"B": 0.1}


BAD_NEW = [
    ("originations", "volume = -5", "originations.volume: must be a number of new loans a month >= 0, or a list "
                                    "of them month by month, got -5"),
    ("originations", 'volume = "many"', "originations.volume: must be a number", "got 'many'"),
    ("originations", "volume = [10, 2.5]", "originations.volume[1]: must be a whole number of loans >= 0 (month 2), "
                                           "got 2.5"),
    ("originations", "volume = [1, 2]\ngrowth = 0.1", "originations.growth: applies to a constant volume, not to a "
                                                      "list of months, got 0.1"),
    ("originations", "growth = -1", "originations.growth: must be a monthly growth rate > -1 (0.01 for 1% a month), "
                                    "got -1"),
    ("originations", "volume = 100000000\ngrowth = 1.0", "originations.volume: 100000000 a month growing by 1.0 "
                                                         "gives 6,300,000,000 new loans over 6 months"),
    ("originations", "segments = { A = 0.5, Z = 0.5 }", "originations.segments: 'Z' is not a segment of the model, "
                                                        "whose segments are ['A', 'B', 'C', 'D', 'E']"),
    ("originations", "segments = { A = -1 }", "originations.segments: the share of 'A' must be a number >= 0, got -1"),
    ("originations", "segments = { A = 0 }", "originations.segments: the shares sum to 0, got {'A': 0}"),
    ("originations", "segments = 3", "originations.segments: must be a table of segment names to shares, got 3"),
    ("originations", "rates = { A = 1.5 }", "originations.rates: the rate of 'A' must be an annual rate in [0, 1], "
                                            "got 1.5"),
    ("originations", "segments = { A = 1, B = 1 }\nrates = { A = 0.1 }",
     "originations.rates: segments ['B'] have no annual rate"),
    ("originations", "terms = { 0 = 1 }", "originations.terms: '0' is not a term: terms are whole numbers of "
                                          "months >= 1"),
    ("originations", 'terms = { 6 = "half" }', "originations.terms: the share of '6' must be a number >= 0, "
                                               "got 'half'"),
    ("originations", "methods = { bullet = 1 }", "originations.methods: unknown repayment method 'bullet'; methods "
                                                 "are ['equal_instalment', 'equal_principal', 'interest_first']"),
    ("originations", "amount_median = 0", "originations.amount_median: must be a number > 0 (yuan), got 0"),
    ("originations", "amount_sigma = -1", "originations.amount_sigma: must be a number >= 0, got -1"),
    ("originations", "amount_range = [500, 100]", "originations.amount_range: must be [low, high] in yuan with "
                                                  "0 <= low <= high, got [500, 100]"),
    ("originations", 'state = "late"', "originations.state: unknown state 'late'; states are ['paid_off',"),
    ("originations", 'state = "charged_off"', "originations.state: new loans cannot enter the absorbing state "
                                              "'charged_off'"),
    ("originations", "seed = -2", "originations.seed: must be a whole number >= 0, got -2"),
    ("originations", "repeat = 1.5", "originations.repeat: must be a monthly probability in [0, 1], or a table of "
                                     "segment names to one, got 1.5"),
    ("originations", "repeat = { A = -0.1 }", "originations.repeat: the probability of 'A' must be a number in "
                                              "[0, 1], got -0.1"),
    ("originations", "repeat = { Z = 0.1 }", "originations.repeat: 'Z' is not a segment of the model"),
    ("originations", "colour = 1", "originations.colour: unknown key; keys are ['volume', 'growth',"),
    ("stages", "stage2_days = -1", "stages.stage2_days: must be a whole number of days >= 0, got -1"),
    ("stages", "stage3_days = 20", "stages.stage3_days: must be >= stage2_days (30), got 20"),
    ("stages", 'stage2_states = ["late"]', "stages.stage2_states: unknown state 'late'; states are ['paid_off',"),
    ("stages", 'stage3_states = "fraud_review"', "stages.stage3_states: must be a list of state names, got "
                                                 "'fraud_review'"),
    ("stages", 'stage2_segments = ["Z"]', "stages.stage2_segments: unknown segment 'Z'; segments are ['A', 'B',"),
    ("stages", "days = 30", "stages.days: unknown key; keys are ['stage2_days', 'stage3_days',"),
]


def _one_problem(tmp_path, text, parts):
    """Loading ``text`` gives exactly one problem, holding every one of ``parts``."""
    with pytest.raises(cs.ScenarioError) as e:
        cs.load_scenario(write(tmp_path, text))
    assert len(e.value.problems) == 1, e.value.problems
    for p in parts:
        assert p in e.value.problems[0], e.value.problems


@pytest.mark.parametrize("section, line, parts", [(b[0], b[1], b[2:]) for b in BAD_NEW],
                         ids=[f"{b[0]}: {b[1]}" for b in BAD_NEW])
def test_each_bad_origination_or_stage_value_is_named(tmp_path, section, line, parts):
    """Each problem names its table, field and value, one problem per bad value."""
    tables = {"originations": ["volume = 20"], "stages": []}  # BASE with both, valid
    for new in line.split("\n"):  # the lines set, replacing a key the table has
        key = new.split(" = ")[0]
        tables[section] = [x for x in tables[section] if not x.startswith(key + " = ")] + [new]
    text = BASE + "".join(f"\n[{name}]\n" + "\n".join(body) + "\n" for name, body in tables.items())
    _one_problem(tmp_path, text, parts)


def test_originations_and_stages_problems_that_need_the_book_or_the_model(tmp_path):
    with pytest.raises(cs.ScenarioError) as e:  # not tables; reported with a problem elsewhere
        cs.load_scenario(write(tmp_path, "originations = 5\nstages = 3\n" + BASE.replace("horizon = 6", "horizon = 0")))
    assert e.value.problems == ["run.horizon: must be a whole number in [1, 16777215], got 0",
                                "originations: must be a table, got 5",
                                "stages: must be a table of Staging fields (or true), got 3"]
    with pytest.raises(cs.ScenarioError, match=r"originations.volume: missing \(new loans a month"):
        cs.load_scenario(write(tmp_path, BASE + "\n[originations]\nseed = 1\n"))
    # a book read from a file with loan terms: its new loans need their segments and rates
    book = presets.jiebei_book(4, seed=1)
    book.to_dataframe().to_csv(tmp_path / "loans.csv", index=False)
    text = BASE.split("[book]")[0].replace('strategies = ["in_house", "agency_at_90"]', "") + \
        '[book]\nkind = "file"\npath = "loans.csv"\n\n[originations]\nvolume = 5\n'
    with pytest.raises(cs.ScenarioError) as e:
        cs.load_scenario(write(tmp_path, text))
    assert e.value.problems == ["originations.segments: missing: a book read from a file gives no shares for its new "
                                "loans; give a table of segment shares, e.g. { A = 0.6, B = 0.4 }"]
    with pytest.raises(cs.ScenarioError) as e:
        cs.load_scenario(write(tmp_path, text + "segments = { A = 1 }\n"))
    assert e.value.problems == ["originations.rates: missing: a book with loan terms needs each segment's annual "
                                "rate for its new loans, e.g. { A = 0.072, B = 0.0912 }"]
    sc = cs.load_scenario(write(tmp_path, text + "segments = { A = 1 }\nrates = { A = 0.2 }\n"))
    assert sc.origination_plan().rates == {"A": 0.2}
    # a model without a paid-off state has nowhere for new loans to wait
    states = cs.StateSpace(["current", "late", "charged_off"])
    m = np.array([[0.9, 0.1, 0.0], [0.5, 0.3, 0.2], [0.0, 0.0, 1.0]])
    model = cs.CreditModel(states=states, segments=[cs.Segment("s", m)], charge_off_dpd=None)
    with pytest.raises(cs.ScenarioError) as e:
        cs.Scenario.from_objects(model, {"kind": "synthetic", "n": 10, "segments": ["s"]}, horizon=2, scenarios=1,
                                 seed=0, originations={"volume": 1})
    assert e.value.problems == ["originations: the model has no paid-off state, where a new loan waits until its "
                                "month; its states are ['current', 'late', 'charged_off']"]


def test_the_living_book_example_is_its_script():
    """examples/living_book.toml gives the objects of living_book.py (tests/test_cli.py runs
    the file small)."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "examples"
    spec = importlib.util.spec_from_file_location("example_living_book", root / "living_book.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    sc = cs.load_scenario(root / "living_book.toml")
    model, book, kw = script.run_objects()
    assert sc.credit_model().to_dict() == model.to_dict()
    assert sc.loan_book().fingerprint() == book.fingerprint()
    assert sc.simulate_kwargs() == kw
    plan = sc.origination_plan()
    assert plan == presets.jiebei_living_book(20_000, seed=2026)[1]
    assert plan.volumes(24).sum() == 24 * 2_603 and plan.segments == presets.DEMO_MIX
    assert plan.rates == presets.JIEBEI_RATES and plan.seed == 2027


# ---------------------------------------------------------------------- a living book
LIVING_BOOK = """
[run]
horizon = 6
scenarios = 2
seed = 5

[model]
preset = "jiebei"

[book]
kind = "jiebei_living"
n = 2000
seed = 11
growth = 0.01
states = { current = 0.95, dpd_1_30 = 0.03, dpd_91_180 = 0.02 }

[engine]
month_span = 6
"""


def _same_book(a, b):
    for col in ("segment_codes", "state_codes", "exposure", "days_past_due"):
        np.testing.assert_array_equal(getattr(a, col), getattr(b, col))
    for col in a.TERM_COLUMNS:
        np.testing.assert_array_equal(getattr(a.terms, col), getattr(b.terms, col))
    assert (a.segment_names, a.state_names) == (b.segment_names, b.state_names)
    assert a.fingerprint() == b.fingerprint()


def test_a_jiebei_living_book_is_the_preset_book_and_its_plan(tmp_path):
    """kind = "jiebei_living" builds presets.jiebei_living_book's book and takes its plan as the
    run's new loans; the defaults are the preset's (seed 0, JIEBEI_START, no growth)."""
    states = {"current": 0.95, "dpd_1_30": 0.03, "dpd_91_180": 0.02}
    sc = cs.load_scenario(write(tmp_path, LIVING_BOOK))
    book, plan = presets.jiebei_living_book(2000, seed=11, states=states, growth=0.01)
    _same_book(sc.loan_book(), book)
    assert sc.origination_plan() == plan and plan.volume == presets.steady_volume(2000) and plan.seed == 12
    np.testing.assert_array_equal(sc.origination_plan().volumes(6), plan.volumes(6))
    assert sc.simulate_kwargs() == {"horizon": 6, "scenarios": 2, "seed": 5, "month_span": 6, "originations": plan}
    assert sc.originations == {} and "originations" not in sc.to_dict()
    plain = cs.Scenario.from_dict({"run": {"horizon": 3, "scenarios": 1, "seed": 0}, "model": {"preset": "jiebei"},
                                   "book": {"kind": "jiebei_living", "n": 500}})
    book, plan = presets.jiebei_living_book(500)
    _same_book(plain.loan_book(), book)
    assert plain.origination_plan() == plan and plan.growth == 0.0


def test_a_jiebei_living_book_round_trips_through_toml(tmp_path):
    sc = cs.load_scenario(write(tmp_path, LIVING_BOOK))
    again = cs.load_scenario(write(tmp_path, sc.to_toml(), "again.toml"))
    assert again == sc and again.book == sc.book and again.origination_plan() == sc.origination_plan()
    made = cs.Scenario.from_objects(presets.jiebei_model(), dict(sc.book), horizon=6, scenarios=2, seed=5,
                                    engine={"month_span": 6})
    made.write(tmp_path / "made.toml")
    back = cs.load_scenario(tmp_path / "made.toml")
    assert back == made and back.book == sc.book and back.origination_plan() == sc.origination_plan()
    assert 'kind = "jiebei_living"' in (tmp_path / "made.toml").read_text()


BAD_LIVING = [
    ("n = 0", "book.n: must be a whole number of loans >= 1, got 0"),
    ("n = 2.5", "book.n: must be a whole number of loans >= 1, got 2.5"),
    ("seed = -1", "book.seed: must be a whole number >= 0, got -1"),
    ("growth = -1", "book.growth: must be a monthly growth rate > -1 of the new loans' volume (0.01 for 1% a month), "
                    "got -1"),
    ('growth = "fast"', "book.growth: must be a monthly growth rate > -1", "got 'fast'"),
    ("growth = 50.0", "book.growth: a 'jiebei_living' book of 2,000 loans lends 260 new loans a month "
                      "(presets.steady_volume), growing by 50.0:", "over 6 months, more than a run takes"),
    ("bands = { A = 1.0 }", "book.bands: unknown key for a 'jiebei_living' book; keys are ['n', 'seed', 'states', "
                            "'growth']"),
    ("seasoned = false", "book.seasoned: unknown key for a 'jiebei_living' book"),
    ("states = { nowhere = 1.0 }", "book: states ['nowhere'] are not in the model"),
    ("[originations]\nvolume = 100", "originations: a 'jiebei_living' book brings its own origination plan "
                                     "(presets.jiebei_living_book: presets.steady_volume(n) new loans a month, "
                                     "growing by book.growth); remove [originations], or use kind \"jiebei\" for a "
                                     "plan of your own"),
]


@pytest.mark.parametrize("line, parts", [(b[0], b[1:]) for b in BAD_LIVING], ids=[b[0] for b in BAD_LIVING])
def test_each_bad_value_of_a_jiebei_living_book_is_named(tmp_path, line, parts):
    """LIVING_BOOK with one line of its book set (or a table added): one problem, named."""
    key = line.split(" = ")[0]
    if key.startswith("["):
        text = LIVING_BOOK + line + "\n"
    else:
        head, rest = LIVING_BOOK.split("[book]")
        book, tail = rest.split("[engine]")
        book = "\n".join(x for x in book.splitlines() if not x.startswith(key + " = ")) + "\n" + line + "\n\n"
        text = head + "[book]" + book + "[engine]" + tail
    _one_problem(tmp_path, text, parts)


def test_a_jiebei_living_books_problems_are_reported_with_the_others(tmp_path):
    text = LIVING_BOOK.replace("horizon = 6", "horizon = 0").replace("n = 2000", "n = -3") + \
        "\n[originations]\nvolume = -1\n"
    with pytest.raises(cs.ScenarioError) as e:
        cs.load_scenario(write(tmp_path, text))
    assert [p.split(":")[0] for p in e.value.problems] == ["run.horizon", "book.n", "originations"], e.value.problems
    # in Python too: from_objects with a plan of its own
    with pytest.raises(cs.ScenarioError, match="originations: a 'jiebei_living' book brings its own"):
        cs.Scenario.from_objects({"preset": "jiebei"}, {"kind": "jiebei_living", "n": 10}, horizon=2, scenarios=1,
                                 seed=0, originations=cs.Originations(5, presets.DEMO_MIX))
    # a model without a paid-off state has nowhere for the new loans to wait
    states = cs.StateSpace(["current", "late", "charged_off"])
    m = np.array([[0.9, 0.1, 0.0], [0.5, 0.3, 0.2], [0.0, 0.0, 1.0]])
    model = cs.CreditModel(states=states, segments=[cs.Segment(b, m) for b in "ABCDE"], charge_off_dpd=None)
    with pytest.raises(cs.ScenarioError) as e:
        cs.Scenario.from_objects(model, {"kind": "jiebei_living", "n": 10, "states": {"current": 1.0}}, horizon=2,
                                 scenarios=1, seed=0)
    assert e.value.problems == ["book.kind: a 'jiebei_living' book takes new loans every month, which wait in the "
                                "model's paid-off state until their month; the model has none, its states are "
                                "['current', 'late', 'charged_off']"]


def test_a_jiebei_living_book_runs_as_simulate_runs_the_preset_book_and_plan(tmp_path):
    """2,000 loans and their steady new loans (260 a month, growing 1%), 6 months, 2 scenarios:
    the scenario's run is simulate's with presets.jiebei_living_book's book and plan."""
    sc = cs.load_scenario(write(tmp_path, LIVING_BOOK))
    book, plan = presets.jiebei_living_book(2000, seed=11, states={"current": 0.95, "dpd_1_30": 0.03,
                                                                    "dpd_91_180": 0.02}, growth=0.01)
    ds = sc.run()
    xr.testing.assert_identical(ds, cs.simulate(presets.jiebei_model(), book, horizon=6, scenarios=2, seed=5,
                                                originations=plan, month_span=6))
    np.testing.assert_array_equal(ds.originated.values, [2000, *plan.volumes(6)])
    assert list(plan.volumes(6)) == [260, 263, 265, 268, 271, 273]
