"""The run plan (how a run is cut into work units) and the executors that run them."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import creditsim as cs
from creditsim.run import plan as P


@given(scenarios=st.integers(1, 5000), batch=st.integers(1, 300))
def test_scenario_blocks_cover_every_scenario_once_in_few_sizes(scenarios, batch):
    plan = P.make_plan(n_loans=10, horizon=3, scenarios=scenarios, seed=0, scenario_batch=batch)
    blocks = plan.scenario_blocks()
    assert blocks[0].start == 0 and blocks[-1].stop == plan.padded_scenarios >= scenarios
    assert all(a.stop == b.start for a, b in zip(blocks[:-1], blocks[1:], strict=True))
    sizes = [b.stop - b.start for b in blocks]
    assert set(sizes[:-1]) <= {batch, P.MIN_SCENARIO_BATCH}  # at most three sizes: the last apart
    # the last block may be padded: by fewer than half of it, and at most 3 scenarios
    extra = plan.padded_scenarios - scenarios
    assert extra <= 3 and 2 * extra < sizes[-1]
    last = sizes[-1]
    assert last in (batch, P.MIN_SCENARIO_BATCH) or last & (last - 1) == 0  # a power of two


@pytest.mark.parametrize("n, chunk, batch", [(1_000_000, 1 << 18, 8), (100_000, 106_496, 16),
                                             (10_000, 16_384, 128), (8192, 8192, 256), (300, 512, 256),
                                             (20_000, 20_480, 64)])
def test_the_default_batch_keeps_the_work_of_a_call_about_constant(n, chunk, batch):
    plan = P.make_plan(n_loans=n, horizon=12, scenarios=10_000, seed=0)
    assert (plan.chunk, plan.scenario_batch) == (chunk, batch)
    assert plan.chunk * plan.scenario_batch <= 2 * P.WORK_PER_CALL


def test_units_and_spans():
    plan = P.make_plan(n_loans=1000, horizon=13, scenarios=20, seed=0, chunk_size=256, scenario_batch=8,
                       month_span=4)
    units = plan.units()
    assert [u.loans for u in units[:3]] == [slice(0, 256)] * 3 and [u.scenarios for u in units[:3]] == \
        [slice(0, 8), slice(8, 16), slice(16, 20)]
    assert len(units) == 4 * 3 and units[-1].loans == slice(768, 1000)
    assert sum(plan.loan_months(u) for u in units) == plan.loan_months() == 1000 * 13 * 20
    assert plan.spans() == [(0, 4), (4, 8), (8, 12), (12, 13)]
    whole = P.make_plan(n_loans=1000, horizon=13, scenarios=20, seed=0, month_span=4, spans=False)
    assert whole.spans() == [(0, 13)]


@pytest.mark.parametrize("kw, message", [
    (dict(month_span=3), "month_span must be even, got 3"),
    (dict(month_span=0), "month_span must be >= 1, got 0"),
    (dict(min_drop_size=-1), "min_drop_size must be >= 1, got -1"),
    (dict(min_drop_size=2.5), "min_drop_size must be a whole number, got 2.5"),
    (dict(executor="gpu"), "executor must be 'local', 'devices' or an Executor, got 'gpu'"),
    (dict(executor=3), "executor must be 'local', 'devices' or an Executor, got 3"),
])
def test_bad_plan_options_are_named(kw, message):
    model = cs.CreditModel(segments=[cs.Segment("A", cs.presets.band_matrix(**cs.presets.BANDS["C"]))])
    book = cs.LoanBook.homogeneous(10, segment="A")
    with pytest.raises(ValueError, match="simulate: " + message.replace("(", r"\(").replace(")", r"\)")):
        cs.simulate(model, book, horizon=2, scenarios=1, seed=0, **kw)


DEVICES = textwrap.dedent("""
    import json, os, sys, time
    os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=2"
    sys.path.insert(0, {tests!r})
    import jax
    import creditsim as cs
    from creditsim.run import executors
    from test_golden import RUNS, digest

    assert len(jax.local_devices()) == 2
    used = []
    real = executors.run_unit
    executors.run_unit = lambda job, unit, dev: used.append(str(dev.device)) or real(job, unit, dev)
    # loan money (a cheaper kernel than all features: each device compiles its own),
    # 3 chunks x 4 scenario blocks = 12 units on two devices
    model, book, kw = RUNS["money"]()
    t = time.perf_counter()
    ds = cs.simulate(model, book, **kw, chunk_size=1024, scenario_batch=2, executor="devices")
    t_devices = time.perf_counter() - t
    # the golden hash was recorded on one device: equal to it is identical to one device
    out = {{"money": digest(ds), "devices_used": len(set(used)), "units": len(used)}}
    print(f"devices {{t_devices:.1f}} s", file=sys.stderr)
    print(json.dumps(out))
""")


def test_the_device_executor_gives_the_golden_results_on_two_devices():
    """Work units spread over two CPU devices give the golden hashes recorded on one
    device: bit-identical results."""
    tests = Path(__file__).parent
    code = DEVICES.format(tests=str(tests))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    golden = json.loads((tests / "golden" / "hashes.json").read_text())
    assert got.pop("devices_used") == 2 and got.pop("units") == 12
    for name, digest in got.items():
        assert digest == golden[name], name


def test_an_error_in_a_device_worker_reaches_the_caller(monkeypatch):
    """A unit that fails on a worker thread raises in the caller, and the other workers
    take no new unit after it."""
    import jax

    from creditsim.run import executors

    calls = []
    real = executors.run_unit

    def failing(job, unit, dev):
        calls.append(unit)
        if len(calls) == 3:
            raise RuntimeError("the device failed")
        return real(job, unit, dev)

    monkeypatch.setattr(executors, "run_unit", failing)
    model = cs.CreditModel(segments=[cs.Segment("A", cs.presets.band_matrix(**cs.presets.BANDS["C"]))])
    two = executors.DeviceExecutor([jax.devices()[0]] * 2)  # two workers on the one CPU device
    with pytest.raises(RuntimeError, match="the device failed"):
        cs.simulate(model, cs.LoanBook.homogeneous(3000, segment="A"), horizon=2, scenarios=64, seed=0,
                    chunk_size=256, scenario_batch=8, executor=two)
    assert len(calls) < 12 * 8  # stopped well before the 96 units
