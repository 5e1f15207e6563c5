"""The ``creditsim`` command: run scenario files, read their results, write starter files.

``creditsim --help`` lists the commands; each has ``--help``.  JAX is imported only by the
commands that simulate (``run``, ``info``), so the others answer at once.  Exit status 0 on
success, 1 on bad input or a failed run (with a one-line message, or one line per problem
of a scenario file), 2 on a bad command line, 130 when a run is interrupted (Ctrl-C or
SIGTERM: no result is left at the output path).
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from pathlib import Path

import click

#: Where JAX's persistent compilation cache lives unless ``--cache-dir`` or the
#: ``CREDITSIM_CACHE_DIR`` environment variable says otherwise.
DEFAULT_CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "creditsim" / "jax"


def _fail(message: str) -> None:
    click.echo(f"creditsim: {message}", err=True)
    sys.exit(1)


def _scenario(path: str):
    from ..spec.scenario import ScenarioError, load_scenario

    try:
        return load_scenario(path)
    except ScenarioError as e:
        _fail(str(e))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="creditsim", message="creditsim %(version)s")
def main():
    """Monte Carlo credit risk of consumer-loan books: run scenario files (TOML) and read
    their results."""


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
def validate(file):
    """Check a scenario FILE without running it: every problem, with its key path."""
    sc = _scenario(file)
    n = sc.book.get("n", "file")
    plan = sc.origination_plan()
    new = "" if plan is None else f", {int(plan.volumes(sc.horizon).sum()):,} new loans over {sc.horizon} months"
    stages = "" if sc.stages is None else ", IFRS 9 stages at month 0"
    click.echo(f"{file}: valid: {sc.horizon} months, {sc.scenarios} scenarios, seed {sc.seed}, book "
               f"{sc.book['kind']} ({n} loans){new}{stages}, {len(sc.strategies)} strategies, engine "
               f"{sc.engine.get('engine', 'agent')}")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--out", "out", type=click.Path(), help="result path (.nc netCDF or .zarr); default the file's "
              "[output] path")
@click.option("--horizon", type=click.IntRange(min=1), help="months, instead of the file's")
@click.option("--scenarios", type=click.IntRange(min=1), help="scenarios, instead of the file's")
@click.option("--seed", type=click.IntRange(min=0), help="seed, instead of the file's")
@click.option("--chunk-size", type=click.IntRange(min=1), help="loans per kernel call")
@click.option("--device", type=click.Choice(["cpu", "gpu"]), default=None,
              help="where to run (default: JAX's default backend)")
@click.option("--force", is_flag=True, help="overwrite an existing result")
@click.option("--quiet", "-q", is_flag=True, help="no progress bar or log lines")
@click.option("--no-cache", is_flag=True, help="do not use the persistent compilation cache")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help=f"compilation cache folder (default $CREDITSIM_CACHE_DIR or {DEFAULT_CACHE})")
@click.option("--report", "report_dir", type=click.Path(file_okay=False), default=None,
              help="also write the HTML report into this folder (default the file's [report] dir, if any)")
def run(file, out, horizon, scenarios, seed, chunk_size, device, force, quiet, no_cache, cache_dir, report_dir):
    """Run a scenario FILE and write its result (to a temporary name, renamed at the end).

    Everything the file describes is simulated together: the model and its stress, the
    book, the new loans of [originations] or of a "jiebei_living" book (the result gains
    vintages), the IFRS 9 stages of [stages] (losses by stage) and the collection
    strategies.  --horizon, --scenarios, --seed and --chunk-size override the file."""
    sc = _scenario(file)
    changes = {k: v for k, v in (("horizon", horizon), ("scenarios", scenarios), ("seed", seed)) if v is not None}
    if chunk_size is not None:
        changes["engine"] = {**sc.engine, "chunk_size": chunk_size}
    if changes:
        from ..spec.scenario import ScenarioError

        try:
            sc = sc.replace(**changes)
        except ScenarioError as e:
            _fail(str(e))
    path = out or sc.output.get("path")
    if path is None:
        _fail(f"{file}: no output path: give --out or an [output] path in the file")
    if out is None and not os.path.isabs(path):
        path = os.path.join(sc.base_dir, path)
    if not str(path).endswith((".nc", ".zarr")):
        _fail(f"--out {path!r}: must end in .nc (netCDF) or .zarr")
    if os.path.exists(path) and not force:
        _fail(f"{path} exists: give --force to overwrite it")
    jax = _jax(device, None if no_cache else (cache_dir or os.environ.get("CREDITSIM_CACHE_DIR") or DEFAULT_CACHE))
    from ..results.io import save_result
    from ..run.simulation import simulate

    model, book = sc.credit_model(), sc.loan_book()
    kw = sc.simulate_kwargs()
    bar = _Progress(quiet)
    t0 = time.perf_counter()
    # a batch scheduler stops a job with SIGTERM: stop as on Ctrl-C, so that a result being
    # written is removed (it is written beside the output and renamed only when whole)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with jax.default_device(jax.devices(device)[0]) if device else contextlib.nullcontext():
            ds = simulate(model, book, progress=bar, **kw)
        bar.close()
        seconds = time.perf_counter() - t0
        ds.attrs["scenario"] = sc.to_toml()
        save_result(ds, path)
    except ValueError as e:
        bar.close()
        _fail(str(e).splitlines()[0])
    except KeyboardInterrupt:
        bar.close()
        click.echo(f"creditsim: interrupted: no result written to {path}", err=True)
        sys.exit(130)
    finally:
        signal.signal(signal.SIGTERM, previous)
    if not quiet:
        click.echo(f"creditsim: {bar.total:,} loan-months in {seconds:.1f} s; result: {path}", err=True)
    if report_dir is None and sc.report.get("dir"):
        report_dir = os.path.join(sc.base_dir, sc.report["dir"])
    if report_dir is not None:
        _report(ds, report_dir, force, f"creditsim run {file}" + (f" --out {out}" if out else ""))


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _report(ds, out_dir, force, command):
    from ..report.html import write_report

    target = Path(out_dir) / "report.html"
    if target.exists() and not force:
        _fail(f"{target} exists: give --force to overwrite it")
    path = write_report(ds, out_dir, command=command)
    click.echo(f"creditsim: report: {path}", err=True)


@main.command()
@click.argument("result", type=click.Path(exists=True))
@click.option("--out", "out_dir", type=click.Path(file_okay=False), required=True, help="folder of the report")
@click.option("--force", is_flag=True, help="overwrite an existing report")
def report(result, out_dir, force):
    """Write the HTML risk report of a RESULT file (one self-contained file, figures embedded)
    and its figures as PNG files into a folder."""
    from ..results.io import load_result

    try:
        _report(load_result(result), out_dir, force, None)
    except ValueError as e:
        _fail(str(e).splitlines()[0])


@main.command()
@click.argument("result", type=click.Path(exists=True))
@click.option("--level", "levels", type=float, multiple=True, help="VaR and ES levels (default 0.99 and 0.999)")
def summary(result, levels):
    """Print the risk table (expected loss, VaR, expected shortfall with their intervals) of
    a RESULT file."""
    from ..report.text import format_summary
    from ..results.io import load_result
    from ..results.risk import risk_summary

    ds = load_result(result)
    try:
        kw = {"levels": tuple(levels)} if levels else {}
        if "strategy" in ds.dims:
            for s in ds.strategy.values:
                click.echo(f"strategy {s}:")
                click.echo(format_summary(risk_summary(ds.sel(strategy=s), **kw)))
        else:
            click.echo(format_summary(risk_summary(ds, **kw)))
    except ValueError as e:
        _fail(str(e).splitlines()[0])


@main.command()
@click.argument("result", type=click.Path(exists=True))
@click.option("--baseline", default=None, help="the strategy compared against (default the first)")
def compare(result, baseline):
    """Print the strategy comparison of a RESULT file: each strategy's mean and its paired
    difference from the baseline, with 95% intervals."""
    from ..results.compare import COMPARED
    from ..results.compare import compare as _compare
    from ..results.io import load_result

    try:
        c = _compare(load_result(result), baseline=baseline)
    except ValueError as e:
        _fail(str(e).splitlines()[0])
    click.echo(f"{c.attrs['scenarios']} scenarios, paired differences against {c.attrs['baseline']!r}, "
               f"{100 * c.attrs['confidence']:g}% intervals")
    for name in COMPARED:
        if name not in c:
            continue
        units = c[name].attrs.get("units", "")
        click.echo(f"\n{name} ({units}, {COMPARED[name]} is better)")
        click.echo(f"  {'strategy':<22}{'mean':>16}{'difference':>16}{'interval':>30}")
        for s in c.strategy.values:
            m = float(c[name].sel(strategy=s, bound="estimate"))
            d = c[f"{name}_diff"].sel(strategy=s).values
            click.echo(f"  {str(s):<22}{m:>16,.1f}{d[0]:>16,.1f}{f'[{d[1]:,.1f}, {d[2]:,.1f}]':>30}")


@main.command()
@click.argument("preset", type=click.Choice(["jiebei", "recession", "fraud_wave", "strategies", "living"]))
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="overwrite an existing file")
def init(preset, file, force):
    """Write a commented starter scenario FILE from a PRESET run (living: a steady book taking
    new loans every month)."""
    if os.path.exists(file) and not force:
        _fail(f"{file} exists: give --force to overwrite it")
    text = starter(preset)
    tmp = file + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, file)
    click.echo(f"wrote {file}; check it with: creditsim validate {file}")


@main.command()
def info():
    """Print the version, the JAX backend and its devices."""
    from .._version import __version__

    jax = _jax(None, None)
    click.echo(f"creditsim {__version__}")
    click.echo(f"jax {jax.__version__}, backend {jax.default_backend()}")
    for d in jax.devices():
        click.echo(f"  device {d.id}: {d.platform} {getattr(d, 'device_kind', '')}".rstrip())


# ---------------------------------------------------------------------- helpers
def _jax(device: str | None, cache):
    """JAX, with the persistent compilation cache in ``cache`` (None: off), on ``device``."""
    import jax

    if cache is not None:
        Path(cache).mkdir(parents=True, exist_ok=True)
        jax.config.update("jax_compilation_cache_dir", str(cache))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.5)
        jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    if device == "gpu":
        try:
            jax.devices("gpu")
        except RuntimeError:
            _fail("--device gpu: JAX finds no GPU here (install 'creditsim[cuda]' on a machine with an "
                  "NVIDIA GPU); run with --device cpu")
    return jax


class _Progress:
    """A progress bar over loan-months (tqdm, on stderr) when stderr is a terminal; else one
    log line per block of work; nothing with ``quiet``."""

    def __init__(self, quiet: bool):
        self.quiet, self.bar, self.total, self.t0 = quiet, None, 0, time.perf_counter()
        self.tty = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        self.total = total
        if self.quiet:
            return
        if self.tty:
            if self.bar is None:
                from tqdm import tqdm

                self.bar = tqdm(total=total, unit=" loan-months", unit_scale=True, file=sys.stderr,
                                dynamic_ncols=True, smoothing=0.1)
            self.bar.update(done - self.bar.n)
        else:
            s = time.perf_counter() - self.t0
            rate = done / s if s > 0 else 0.0
            left = (total - done) / rate if rate > 0 else float("nan")
            click.echo(f"creditsim: {done:,} of {total:,} loan-months ({100 * done / total:.0f}%), "
                       f"{rate:,.0f} loan-months/s, {left:.0f} s left", err=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


#: The starter files of ``creditsim init``: each section's comment and the run it holds.
_STARTERS = {
    "jiebei": {"run": {"horizon": 24, "scenarios": 1000, "seed": 2026}, "model": {"preset": "jiebei"}},
    "recession": {"run": {"horizon": 24, "scenarios": 200, "seed": 2026},
                  "model": {"preset": "jiebei", "stress": "recession"}},
    "fraud_wave": {"run": {"horizon": 12, "scenarios": 200, "seed": 7},
                   "model": {"preset": "jiebei", "stress": "fraud_wave"}},
    "strategies": {"run": {"horizon": 24, "scenarios": 64, "seed": 1}, "model": {"preset": "jiebei"},
                   "strategies": ["in_house", "agency_at_90", "agency_at_60", "legal_over_10k",
                                  "hardship_restructure", "aggressive"]},
    "living": {"run": {"horizon": 24, "scenarios": 200, "seed": 2026}, "model": {"preset": "jiebei"}},
}
_COMMENTS = {
    "strategies": "# collection strategies (names of creditsim.STRATEGIES, or tables), on common random numbers",
    "[run]": "# months, Monte Carlo scenarios and the run's one seed",
    "[model]": "# a preset (\"jiebei\" or \"demo\") with options (shocks, fraud, phi, rho), a stress scenario\n"
               "# (a name of creditsim.STRESS_SCENARIOS or a table), and [model.overrides] of CreditModel fields",
    "[book]": "# \"jiebei\" (presets.jiebei_book), \"jiebei_living\" (presets.jiebei_living_book: a steady book with the\n"
              "# new loans that keep it so, growing by growth a month), \"synthetic\" (LoanBook.synthetic) or \"file\"\n"
              "# (CSV/Parquet path); new loans for another kind: an [originations] table (docs/scenarios.md)",
    "[output]": "# the result: .nc (netCDF) or .zarr",
}


def starter(preset: str) -> str:
    """The text of a commented starter scenario file (``creditsim init``)."""
    from ..spec.scenario import Scenario

    d = dict(_STARTERS[preset])
    n = 50_000 if preset == "strategies" else 200_000
    book = {"kind": "jiebei_living" if preset == "living" else "jiebei", "n": n, "seed": d["run"]["seed"]}
    if preset == "living":
        book["growth"] = 0.0
    if preset != "fraud_wave":
        book["states"] = {"current": 0.963, "restructured": 0.0017, "dpd_1_30": 0.0173, "dpd_31_60": 0.0048,
                          "dpd_61_90": 0.0038, "dpd_91_180": 0.0094}  # presets.JIEBEI_START
    d.update(book=book, output={"path": f"results/{preset}.nc"})
    text = Scenario.from_dict(d).to_toml()
    out = [f"# creditsim scenario file ({preset}); check it with `creditsim validate FILE`, run it with "
           f"`creditsim run FILE`.", "# Every key: docs/scenarios.md.", ""]
    for line in text.splitlines():
        for head, comment in _COMMENTS.items():
            if line == head or (head == "strategies" and line.startswith("strategies = ")):
                out.append(comment)
        out.append(line)
    return "\n".join(out) + "\n"
