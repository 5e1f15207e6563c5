"""The ``creditsim`` command, end to end on a small scenario file in a temporary folder."""

import signal
import subprocess
import sys

import pytest
from click.testing import CliRunner

import creditsim as cs
from creditsim.cli import main

SMALL = """
strategies = ["in_house", "agency_at_90"]

[run]
horizon = 4
scenarios = 4
seed = 3

[model]
preset = "jiebei"

[book]
kind = "jiebei"
n = 300
seed = 1
states = { current = 0.979, dpd_1_30 = 0.006, dpd_31_60 = 0.0025, dpd_61_90 = 0.002, dpd_91_180 = 0.0105 }

[output]
path = "out/run.nc"
"""


@pytest.fixture
def small(tmp_path):
    p = tmp_path / "small.toml"
    p.write_text(SMALL)
    return p


def test_run_then_summary_then_compare(small, tmp_path):
    r = CliRunner()
    res = r.invoke(main, ["run", str(small), "--no-cache"])
    assert res.exit_code == 0, res.output
    out = tmp_path / "out" / "run.nc"
    assert out.exists() and "loan-months" in res.output  # the log lines on stderr (not a terminal)
    ds = cs.load_result(out)
    assert list(ds.strategy.values) == ["in_house", "agency_at_90"]
    assert cs.load_scenario(small).to_toml() == ds.attrs["scenario"]
    res = r.invoke(main, ["summary", str(out)])
    assert res.exit_code == 0 and "strategy agency_at_90" in res.output
    for s in ("in_house", "agency_at_90"):  # the library's own table of the same result
        assert cs.format_summary(cs.risk_summary(ds.sel(strategy=s))) in res.output
    res = r.invoke(main, ["compare", str(out), "--baseline", "in_house"])
    assert res.exit_code == 0 and "net_credit_loss" in res.output and "agency_at_90" in res.output
    # the report: one file, every figure embedded, nothing from the network, its numbers the library's
    res = r.invoke(main, ["report", str(out), "--out", str(tmp_path / "rep")])
    assert res.exit_code == 0, res.output
    html = (tmp_path / "rep" / "report.html").read_text()
    pngs = sorted(p.name for p in (tmp_path / "rep").glob("*.png"))
    assert len(pngs) >= 6 and html.count('<img src="data:image/png;base64,') == len(pngs)
    assert "http://" not in html and "https://" not in html and "<script" not in html and "<link" not in html
    assert html.count(' src="') == len(pngs)
    for s in ("in_house", "agency_at_90"):
        summ = cs.risk_summary(ds.sel(strategy=s))
        expo = float(summ.attrs["total_exposure"])
        for v in (summ["expected_loss"], summ["var"].sel(level=0.99), summ["es"].sel(level=0.99)):
            assert f"<td>{100 * float(v.sel(bound='estimate')) / expo:.2f}%</td>" in html
    # the loss's parts: each item's mean from risk_summary of that item, in the tables' money scale
    from creditsim.report.text import money_scale

    scale, _ = money_scale(cs.risk_summary(ds.sel(strategy="in_house")))
    for s in ("in_house", "agency_at_90"):
        for item in ("credit_charge_offs", "recoveries", "npv"):
            est = float(cs.risk_summary(ds.sel(strategy=s), variable=item)["expected_loss"].sel(bound="estimate"))
            shown = f"{est / scale:,.1f}"
            assert f"<td>{'0.0' if shown == '-0.0' else shown}</td>" in html
    assert "roll_rates.png" in html and "state_fan.png" in html and "cost_and_recovery.png" in html
    assert r.invoke(main, ["report", str(out), "--out", str(tmp_path / "rep")]).exit_code == 1  # exists
    # the overwrite guard, then --force; options override the file
    res = r.invoke(main, ["run", str(small), "--no-cache", "-q"])
    assert res.exit_code == 1 and "exists: give --force" in res.output
    res = r.invoke(main, ["run", str(small), "--no-cache", "-q", "--force", "--scenarios", "3",
                          "--out", str(tmp_path / "three.nc"), "--report", str(tmp_path / "rep2")])
    assert res.exit_code == 0, res.output
    assert cs.load_result(tmp_path / "three.nc").sizes["scenario"] == 3  # a batch of 4: the first run's kernel
    assert (tmp_path / "rep2" / "report.html").exists()


def test_bad_input_exits_1_with_its_message(small, tmp_path):
    r = CliRunner()
    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL.replace("horizon = 4", "horizon = 0").replace("n = 300", "n = -1"))
    res = r.invoke(main, ["validate", str(bad)])
    assert res.exit_code == 1
    assert "2 problems" in res.output and "run.horizon" in res.output and "book.n" in res.output
    res = r.invoke(main, ["run", str(bad), "--no-cache"])
    assert res.exit_code == 1 and "run.horizon" in res.output
    res = r.invoke(main, ["validate", str(small)])
    assert res.exit_code == 0 and res.output.rstrip().endswith("engine agent")
    res = r.invoke(main, ["run", str(small), "--out", str(tmp_path / "x.csv")])
    assert res.exit_code == 1 and "must end in .nc (netCDF) or .zarr" in res.output
    res = r.invoke(main, ["run", str(small), "--horizon", "0"])
    assert res.exit_code == 2  # click's usage error
    res = r.invoke(main, ["summary", str(tmp_path / "none.nc")])
    assert res.exit_code == 2 and "does not exist" in res.output


def test_a_failed_run_leaves_no_result(small, tmp_path, monkeypatch):
    from creditsim.run import simulation as sim

    def broken(*a, progress=None, **k):
        progress(1, 10)
        raise ValueError("simulate: the engine failed")

    monkeypatch.setattr(sim, "simulate", broken)
    res = CliRunner().invoke(main, ["run", str(small), "--no-cache"])
    assert res.exit_code == 1 and "the engine failed" in res.output
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_init_writes_a_valid_commented_starter_and_info(tmp_path):
    r = CliRunner()
    for preset in ("jiebei", "recession", "fraud_wave", "strategies", "living"):
        f = tmp_path / f"{preset}.toml"
        res = r.invoke(main, ["init", preset, str(f)])
        assert res.exit_code == 0, res.output
        text = f.read_text()
        assert text.startswith("# creditsim scenario file") and "# months, Monte Carlo scenarios" in text
        assert r.invoke(main, ["validate", str(f)]).exit_code == 0
    living = (tmp_path / "living.toml").read_text()
    assert 'kind = "jiebei_living"\nn = 200000' in living and "\n[originations]\n" not in living
    assert "book jiebei_living (200000 loans), 624,792 new loans over 24 months" in \
        r.invoke(main, ["validate", str(tmp_path / "living.toml")]).output  # presets.steady_volume: 26,033 a month
    assert r.invoke(main, ["init", "jiebei", str(tmp_path / "jiebei.toml")]).exit_code == 1
    res = r.invoke(main, ["info"])
    assert res.exit_code == 0 and "backend cpu" in res.output


def test_help_everywhere_and_fast_start():
    r = CliRunner()
    for cmd in ([], ["run"], ["validate"], ["summary"], ["compare"], ["init"], ["info"], ["report"]):
        res = r.invoke(main, [*cmd, "--help"])
        assert res.exit_code == 0 and "Usage:" in res.output
    text = " ".join(r.invoke(main, ["run", "--help"]).output.split())
    assert "the new loans of [originations]" in text and "the IFRS 9 stages of [stages]" in text
    # the command's module and the package import no JAX, matplotlib or xarray
    code = ("import sys, creditsim, creditsim.cli, creditsim.spec.scenario; "
            "print(sorted(m for m in ('jax', 'matplotlib', 'xarray') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    out = subprocess.run([sys.executable, "-m", "creditsim", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "validate" in out.stdout


def test_the_package_names_stay_functions_when_every_module_is_imported():
    """No module of the package shadows a public function of the same name."""
    code = ("import importlib, pkgutil, creditsim as cs\n"
            "for m in pkgutil.walk_packages(cs.__path__, 'creditsim.'):\n"
            "    if not m.name.endswith('__main__'):\n"
            "        importlib.import_module(m.name)\n"
            "for name in ('simulate', 'compare', 'sweep', 'write_report'):\n"
            "    assert callable(getattr(cs, name)) and not isinstance(getattr(cs, name), type(cs)), name\n"
            "from creditsim import simulate, compare, sweep\n"
            "assert all(map(callable, (simulate, compare, sweep)))\n")
    subprocess.run([sys.executable, "-c", code], check=True)


#: A long run of a small model (its kernel compiles in a second or two, where the preset's
#: with strategies took most of the test's time): about 200 blocks of work after the first.
LONG = """
[run]
horizon = 12
scenarios = 50000
seed = 3

[model]
preset = "demo"

[book]
kind = "synthetic"
n = 300
seed = 1
segments = ["A", "B", "C", "D", "E"]
"""


def test_a_run_killed_mid_way_leaves_no_result(tmp_path):
    """A real process, stopped (SIGTERM, as a batch scheduler does) after its first block
    of work: exit 130 with its message, nothing at the output path, no partial file."""
    sig = signal.SIGTERM
    out = tmp_path / "killed.nc"
    long = tmp_path / "long.toml"
    long.write_text(LONG)
    proc = subprocess.Popen([sys.executable, "-m", "creditsim", "run", str(long), "--no-cache", "--out", str(out)],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    try:
        for line in proc.stderr:  # one log line per block of work (stderr is not a terminal)
            if "loan-months (" in line:
                break
        assert proc.poll() is None, "the run ended before it could be stopped"
        proc.send_signal(sig)
        rest = proc.stderr.read()
        code = proc.wait(timeout=60)
    finally:
        proc.kill()
    assert not out.exists()
    assert code == 130 and f"interrupted: no result written to {out}" in rest
    assert list(tmp_path.glob("killed.nc*")) == []


def test_run_the_living_book_example_small_with_stages(tmp_path):
    """examples/living_book.toml (with stages = true added) run small through the command:
    the result has the plan's vintages and the losses by stage, the report the vintage
    curves; the file's checks come before anything is written."""
    from pathlib import Path

    import numpy as np

    example = Path(__file__).resolve().parents[1] / "examples" / "living_book.toml"
    f = tmp_path / "living.toml"
    f.write_text("stages = true\n" + example.read_text())
    r = CliRunner()
    res = r.invoke(main, ["validate", str(f)])
    assert res.exit_code == 0 and "62,472 new loans over 24 months, IFRS 9 stages at month 0" in res.output
    out = tmp_path / "small.nc"
    res = r.invoke(main, ["run", str(f), "--no-cache", "-q", "--horizon", "3", "--scenarios", "2", "--out", str(out),
                          "--report", str(tmp_path / "rep")])
    assert res.exit_code == 0, res.output
    ds = cs.load_result(out)
    np.testing.assert_array_equal(ds.originated.values, [20_000, 2_603, 2_603, 2_603])  # presets.steady_volume
    np.testing.assert_allclose(ds.principal_lent.values[1:], ds.originated_amount.values[1:])
    assert ds.loss_by_stage.sizes["stage"] == 3
    assert 'kind = "jiebei_living"' in ds.attrs["scenario"] and "[stages]" in ds.attrs["scenario"]
    html = (tmp_path / "rep" / "report.html").read_text()
    assert (tmp_path / "rep" / "vintage_curves.png").exists() and "vintage_curves.png" in html
    assert "7,809 new loans lent over the horizon" in html
    # a bad value: its message, nothing written
    f.write_text(example.read_text().replace("growth = 0.0", "growth = -1.5"))
    res = r.invoke(main, ["run", str(f), "--no-cache", "--out", str(tmp_path / "bad.nc")])
    assert res.exit_code == 1 and "book.growth: must be a monthly growth rate > -1" in res.output
    f.write_text(example.read_text() + "\n[originations]\nvolume = 100\n")  # the book's plan, or one of your own
    res = r.invoke(main, ["validate", str(f)])
    assert res.exit_code == 1 and "originations: a 'jiebei_living' book brings its own origination plan" in res.output
    assert not (tmp_path / "bad.nc").exists()
