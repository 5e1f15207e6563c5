"""The risk report of a result: one self-contained HTML file (figures embedded, nothing
loaded from the network) and the figures as PNG files beside it.

Every number in it comes from the Dataset through the library's own functions
(``creditsim.risk_summary``, ``creditsim.compare``, ``creditsim.delinquency_ratios``),
and every figure is one of ``creditsim.plot``'s, usable one by one from scripts.
"""

from __future__ import annotations

import base64
import io
import os
from pathlib import Path

import numpy as np
import xarray as xr

__all__ = ["write_report"]

_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>{{ title }}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { font-size: 1.25em; margin-top: 1.8em;
border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
th, td { padding: 0.25em 0.8em; border-bottom: 1px solid #e4e4e4; text-align: right; }
th:first-child, td:first-child { text-align: left; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #555; }
pre { background: #f6f6f6; padding: 0.8em; overflow-x: auto; font-size: 0.85em; }
.note { color: #555; font-size: 0.9em; }
.wide { overflow-x: auto; } td, th { white-space: nowrap; }
</style></head><body>
{% macro table(t) %}<div class="wide"><table><tr>{% for c in t.columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for r in t.rows %}<tr>{% for x in r %}<td>{{ x }}</td>{% endfor %}</tr>
{% endfor %}</table></div>{% endmacro %}
<h1>{{ title }}</h1>
<p class="note">{{ subtitle }}</p>
{% if sampling %}<p class="note">{{ sampling }}</p>{% endif %}

<h2>Loss</h2>
<p>{{ loss_text }}</p>
{% for t in risk_tables %}
<h3>{{ t.name }}</h3>
{{ table(t) }}
{% endfor %}
{% if parts %}
<h3>Where the loss comes from</h3>
<p>Totals over the horizon, mean over scenarios in {{ parts.unit }} with the {{ confidence }} interval; the net
credit loss is the charge-offs, fraud losses, costs, interest forgone and debt forgiven, less recoveries.</p>
{{ table(parts) }}
{% endif %}
{% for t in contributions %}
<h3>{{ t.name }}</h3>
<p>{{ t.text }}</p>
{{ table(t) }}
{% endfor %}
<p class="note">Intervals are {{ confidence }} Monte Carlo intervals over the scenarios; "n/a" where there are
too few scenarios beyond a level for one (the estimate is then rough).</p>

{% if comparison %}
<h2>Strategies</h2>
<p>Each strategy against {{ comparison.baseline }}, on common random numbers: the paired difference of the
totals over the horizon, mean over scenarios, with its {{ confidence }} interval.</p>
{{ table(comparison) }}
{% endif %}

<h2>Figures</h2>
{% for f in figures %}
<figure><img src="data:image/png;base64,{{ f.data }}" alt="{{ f.caption }}">
<figcaption>{{ f.caption }} ({{ f.file }})</figcaption></figure>
{% endfor %}

<h2>Run</h2>
<table>{% for k, v in settings %}<tr><td>{{ k }}</td><td>{{ v }}</td></tr>{% endfor %}</table>
{% if scenario %}<p>The scenario file of the run:</p><pre>{{ scenario }}</pre>{% endif %}
<p>To reproduce it: <code>{{ command }}</code></p>
</body></html>
"""


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return buf.getvalue()


def _num(x: float, f: float, fmt: str) -> str:
    if not np.isfinite(x):
        return "n/a"
    text = format(x / f, fmt)
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text  # no "-0.0"


def _interval(lo: float, hi: float, f: float, fmt: str) -> str:
    return f"[{_num(lo, f, fmt)}, {_num(hi, f, fmt)}]"


def _risk_tables(summaries: dict, unit: str) -> list[dict]:
    """The risk tables of ``creditsim.risk_summary`` results ``{column: summary}``:
    one in % of exposure, one in money (the first summary's scale), a column pair
    (estimate, interval) per summary."""
    from .text import money_scale

    first = next(iter(summaries.values()))
    expo = float(first.attrs.get("total_exposure", np.nan))
    scale, word = money_scale(first)
    measures = [("expected loss", "expected_loss", None), ("standard deviation", "std", None)]
    for lvl in first.level.values:
        measures += [(f"VaR {100 * lvl:g}%", "var", lvl), (f"expected shortfall {100 * lvl:g}%", "es", lvl)]
    tables = []
    for title, f, fmt, suffix in (("% of exposure at month 0", expo / 100, ".2f", "%"),
                                  (f"{word} {unit}".strip(), scale, ",.1f", "")):
        rows = []
        for label, name, lvl in measures:
            row = [label]
            for summ in summaries.values():
                x = summ[name] if lvl is None else summ[name].sel(level=lvl)
                est, lo, hi = (float(a) for a in x.values)
                row += [_num(est, f, fmt) + suffix, _interval(lo, hi, f, fmt)]
            rows.append(row)
        columns = ["measure"] + [c for name in summaries for c in (name, "interval")]
        tables.append({"name": f"Net credit loss, {title}", "columns": columns, "rows": rows})
    return tables


#: The items of the loss table: what makes up the net credit loss, and the book's value.
_PARTS = {"credit_charge_offs": "credit charge-offs", "fraud_losses": "fraud losses (after police recovery)",
          "collection_costs": "collection costs", "interest_forgone": "interest forgone",
          "debt_forgiven": "debt forgiven", "recoveries": "recoveries (less)", "net_credit_loss": "net credit loss",
          "interest_received": "interest received", "npv": "NPV at the cost of funds"}


def _parts(ds: xr.Dataset, strategies: list, levels) -> dict | None:
    """The loss table's rows: each item's mean over scenarios with its interval, from
    ``creditsim.risk_summary`` of that item (its expected value), per strategy."""
    from ..results.risk import risk_summary
    from .text import money_scale

    names = [n for n in _PARTS if n in ds]
    if not names:
        return None
    runs = [ds if s is None else ds.sel(strategy=s) for s in strategies]
    scale, word = money_scale(risk_summary(runs[0], levels))
    rows = []
    for n in names:
        row = [_PARTS[n]]
        for r in runs:
            est, lo, hi = (float(a) for a in risk_summary(r, levels, variable=n)["expected_loss"].values)
            row += [_num(est, scale, ",.1f"), _interval(lo, hi, scale, ",.1f")]
        rows.append(row)
    unit = f"{word} {ds['net_credit_loss'].attrs.get('units', '') if 'net_credit_loss' in ds else ''}".strip()
    columns = ["item"] + [c for s in strategies for c in ("mean" if s is None else s, "interval")]
    return {"columns": columns, "rows": rows, "unit": unit}


def _contributions(ds: xr.Dataset, levels, scale: float, word: str) -> list[dict]:
    """The tables of ``creditsim.risk_contributions`` by segment (and by stage at month 0
    where the run has them): each part's share of the expected shortfall at each level
    with its interval, in money and in % of the ES.  None for a strategy run (its costs
    and recoveries are not attributed to parts)."""
    from ..results.risk import risk_contributions

    out = []
    for by, what in (("segment", "segment"), ("stage", "IFRS 9 stage at month 0")):
        if by == "stage" and "loss_by_stage" not in ds:
            continue
        c = None
        # by stage, a result whose default variable does not split (fraud without loan
        # terms) splits its credit and fraud losses together
        for variable in (None, "credit_and_fraud_loss") if by == "stage" else (None,):
            try:
                c = risk_contributions(ds, levels, by=by, variable=variable)
                break
            except ValueError:
                continue
        if c is None:
            continue
        unit = f"{word} {c.es_contribution.attrs.get('units', '')}".strip()
        columns = [by]
        for lvl in c.level.values:
            columns += [f"ES {100 * lvl:g}% contribution ({unit})", "interval", "share of the ES"]
        rows = []
        for part in c.part.values:
            row = [str(part)]
            for lvl in c.level.values:
                est, lo, hi = (float(a) for a in c.es_contribution.sel(level=lvl, part=part).values)
                share = float(c.es_share.sel(level=lvl, part=part))
                row += [_num(est, scale, ",.1f"), _interval(lo, hi, scale, ",.1f"), _num(share, 0.01, ".1f") + "%"]
            rows.append(row)
        out.append({"name": f"Where the tail comes from, by {what}", "columns": columns, "rows": rows,
                    "text": f"The expected shortfall{' of credit and fraud losses' if variable else ''} split by "
                            f"{what} (Euler allocation: each part's mean loss in the scenarios beyond the VaR; the "
                            "parts sum to the ES)."})
    return out


def _drawn(a: dict) -> str:
    """How the run's macro paths were drawn where not independently, from its attrs: " in
    N strata along the shift (macro_strata)" and the like, or ""."""
    if a.get("macro_strata"):
        return f" in {int(a['macro_strata']):,} strata along the shift (macro_strata)"
    if a.get("macro_antithetic"):
        return " in antithetic pairs (macro_antithetic)"
    if a.get("macro_sobol"):
        return f" as {int(a['macro_sobol']):,} randomised quasi-random replicates (macro_sobol)"
    return ""


#: The figures a report of an importance-sampled run keeps: those of the tail (the loss
#: distribution) and of paired strategy differences, whose intervals show their error.
TAIL_FIGURES = ("loss_distribution", "strategy_differences")


def _sampling(ds: xr.Dataset, weights) -> str:
    """The report's sentence on how the scenarios were drawn and weighed: "" for
    independent, unweighted scenarios."""
    how = _drawn(ds.attrs)
    if weights is not None:
        w = np.asarray(weights.values, dtype=np.float64)
        ess = float(w.sum() ** 2 / np.sum(w**2))
        return (f"The scenarios are importance-sampled: their macro paths were drawn about a shifted mean "
                f"(macro_mean){how}, to put more of them in the loss's tail, and each scenario carries its "
                f"likelihood ratio (scenario_weight) as a weight. Every table weighs the scenarios, so that it "
                f"describes the unshifted economy; the loss histogram's bars are the estimated density where the "
                f"scenarios fell. Figures of the whole distribution (loss and state paths, delinquency, cash "
                f"flows, roll rates, vintages, strategy means) are left out: a run aimed at the tail samples "
                f"little of the body, and their weighted medians and means would rest on its few least-shifted "
                f"scenarios (creditsim.plot draws them weighted; a run without macro_mean draws them well). "
                f"Effective number of scenarios, (Σw)²/Σw²: {ess:,.0f} of {w.size:,}.")
    if how:
        return (f"The scenarios' macro paths were drawn{how}, not independently: the intervals take the design "
                f"into account; the figures show the scenarios as drawn, each with the same weight.")
    return ""


def write_report(ds: xr.Dataset, out_dir: str | os.PathLike, *, title: str | None = None,
                 command: str | None = None, levels=(0.99, 0.999)) -> Path:
    """Write the report of result ``ds`` into folder ``out_dir``: ``report.html`` (one file,
    every figure embedded) and the figures as PNG files.  Returns the HTML file's path.

    The report holds the risk table of the net credit loss (``risk_summary`` at ``levels``;
    per strategy for a strategy run), the strategy comparison (``compare``), the figures of
    ``creditsim.plot`` that the result supports (loss distribution, cumulative loss,
    30+/90+ ratios, cash flows, vintage curves for a run with new loans, strategy
    differences and recovery curves), and the run's
    settings with the command that reproduces it (``command``; default the scenario file's
    ``creditsim run``).  Each file is written beside its destination and renamed.

    A result sampled with importance weights (``simulate(..., macro_mean=...)``: it holds
    ``scenario_weight``) is reported with them: the tables as ``risk_summary`` and
    ``compare`` weigh, and only the figures of the tail (``TAIL_FIGURES``: the loss
    distribution, its bars the estimated density, and paired strategy differences), since
    a run aimed at the tail samples little of the body of the distribution; the header and
    captions say so, and how the macro paths were drawn (``macro_strata``,
    ``macro_antithetic``, ``macro_sobol``), whose designs change only the intervals.
    """
    import matplotlib

    matplotlib.use("Agg")
    from jinja2 import Environment

    from .._version import __version__
    from ..results.compare import COMPARED, compare
    from ..results.risk import risk_summary
    from . import plot

    weights = plot._scenario_weights(ds)  # None for a plain run: the figures as they always were
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    strategies = [str(s) for s in ds.strategy.values] if "strategy" in ds.dims else [None]
    first = ds if strategies[0] is None else ds.sel(strategy=strategies[0])
    summaries = {"estimate" if s is None else s: risk_summary(first if s is None else ds.sel(strategy=s), levels)
                 for s in strategies}
    summ = next(iter(summaries.values()))
    tables = _risk_tables(summaries, summ["expected_loss"].attrs.get("units", ""))
    parts = _parts(ds, strategies, levels)
    from .text import money_scale

    contributions = _contributions(first, levels, *money_scale(summ)) if strategies[0] is None else []
    figures = [("loss_distribution", "Loss distribution over the scenarios, with the expected loss, VaR and "
                "expected shortfall" + ("" if strategies[0] is None else f" (strategy {strategies[0]})"),
                plot.loss_distribution(first, summ))]
    if "net_credit_loss" in ds:
        figures.append(("loss_paths", "Cumulative net credit loss by month: mean and 5-95% of scenarios",
                        plot.loss_paths(first)))
    figures.append(("losses_by_segment", "Charge-off losses by segment and cause (credit, fraud), mean over "
                    "scenarios, before recoveries and costs", plot.losses_by_segment(first)))
    figures.append(("state_fan", "Loans in each state by month: median and bands across scenarios (% of the "
                    "book's loans)", plot.state_fan(first)))
    if "transitions" in ds:
        figures.append(("roll_rates", "Simulated roll rates: of the loans in a state at the start of a month, "
                        "% in each state at its end (pooled over months and scenarios)", plot.roll_rates(first)))
    if "balance" in ds:
        # as the book runs off the ratios climb towards 100% (good loans repay first): show
        # the months in which at least 5% of the opening balance is still owed
        owed = plot._mean(first["balance"].sum(("segment", "state")), weights).values
        shown = int(np.flatnonzero(owed >= 0.05 * owed[0])[-1]) if owed[0] > 0 else int(first.sizes["month"] - 1)
        figures.append(("delinquency_ratios", "30+ and 90+ delinquency ratios by month (% of the live balance)"
                        + (f", to month {shown}, the last with at least 5% of the opening balance owed"
                           if shown < first.sizes["month"] - 1 else ""),
                        plot.delinquency_ratios(first, months=max(shown, 1))))
        figures.append(("cash_flows", "Cash flows by month, mean over scenarios", plot.cash_flows(first)))
    if "vintage_charged_off" in ds:
        what = "principal" if "balance" in ds else "exposure"
        figures.append(("vintage_curves", f"Vintage curves: the {what} of each month's new loans charged off by "
                        f"months on book (cumulative, % of the amount lent), mean over scenarios",
                        plot.vintage_curves(first)))
    comparison = None
    if strategies[0] is not None and len(strategies) > 1 and ds.sizes["scenario"] >= 2:
        c = compare(ds)
        figures.append(("strategy_differences", "Net credit loss of each strategy against the baseline "
                        "(paired differences with intervals)", plot.strategy_differences(c)))
        figures.append(("cost_and_recovery", "Collection costs against recoveries after charge-off, by strategy, "
                        "coloured by expected complaints", plot.cost_and_recovery(c)))
        figures.append(("recovery_curves", "Recoveries after charge-off by months since charge-off",
                        plot.recovery_curves(c)))
        figures.append(("placement_curves", "Collections on placed accounts by months since placement",
                        plot.recovery_curves(c, by="placement")))
        from .text import money_scale

        scale, word = money_scale(summ)
        cols, rows = ["strategy"], []
        for name in COMPARED:
            if name in c:
                unit = "" if name == "complaints" else f" ({word} {c[name].attrs.get('units', '')})".replace(" )", ")")
                cols += [f"{name.replace('_', ' ')} difference{unit}", "interval"]
        for s in strategies:
            r = [s]
            for name in COMPARED:
                if name in c:
                    d = c[f"{name}_diff"].sel(strategy=s).values
                    f = 1.0 if name == "complaints" else scale
                    r += [_num(d[0], f, ",.2f"), _interval(d[1], d[2], f, ",.2f")]
            rows.append(r)
        comparison = {"baseline": repr(c.attrs["baseline"]), "columns": cols, "rows": rows}
    if weights is not None:
        # a run aimed at the tail samples little of the body of the distribution: the
        # figures of the whole distribution (weighted medians, bands and means of paths)
        # would rest on its few least-shifted scenarios, so only the tail's figures stay
        import matplotlib.pyplot as plt

        for name, _, fig in figures:
            if name not in TAIL_FIGURES:
                plt.close(fig)
        figures = [(name, caption + "; scenarios importance-sampled and weighted by their likelihood ratios", fig)
                   for name, caption, fig in figures if name in TAIL_FIGURES]
    embedded = []
    for name, caption, fig in figures:
        data = _png(fig)
        _write(out / f"{name}.png", data)
        embedded.append({"data": base64.b64encode(data).decode("ascii"), "caption": caption, "file": f"{name}.png"})
    a = ds.attrs
    scenario = a.get("scenario")
    settings = [("creditsim version (of the run)", a.get("creditsim_version", "")),
                ("creditsim version (of the report)", __version__), ("seed", a.get("seed", "")),
                ("horizon", f"{a.get('horizon', '')} months"), ("scenarios", f"{a.get('scenarios', ''):,}"),
                ("loans", f"{a.get('n_loans', 0):,}"), ("book fingerprint", a.get("book_fingerprint", "")),
                ("strategies", ", ".join(s for s in strategies if s) or "none")]
    if command is None:
        command = "creditsim run SCENARIO.toml --seed {}".format(a.get("seed", "")) if scenario else \
            "creditsim.simulate(creditsim.model_from_result(ds), book, ...) with the book of this fingerprint"
    expo = float(a.get("total_exposure", np.nan))
    subtitle = (f"{a.get('n_loans', 0):,} loans, exposure at month 0 {expo / 1e6:,.1f} million "
                f"{a.get('currency', '')}, {a.get('horizon', '')} months, {a.get('scenarios', 0):,} scenarios"
                + (" (importance-sampled, weighted)" if weights is not None else ""))
    loss_text = ("Net credit loss over the horizon: credit charge-offs, fraud losses borne and collection costs, "
                 "less recoveries, as a share of the book's balance at month 0 and in money.")
    if "originated" in ds:
        lent = first["originated"].values[1:]
        amount = float(first["originated_amount"].values[1:].sum())
        subtitle += (f"; {int(lent.sum()):,} new loans lent over the horizon ({amount / 1e6:,.1f} million "
                     f"{a.get('currency', '')})")
        settings.insert(6, ("new loans", f"{int(lent.sum()):,} over {a.get('horizon', '')} months, "
                                         f"{amount / 1e6:,.1f} million {a.get('currency', '')} lent"))
        loss_text += (" The loss includes the new loans' losses, while the percentages are of the balance at "
                      "month 0 (the book before its new loans).")
    drawn = _drawn(a)
    if weights is not None or drawn:  # after the scenarios
        how = f"importance-sampled about macro_mean{drawn}, weighted" if weights is not None else "drawn" + drawn
        settings.insert([k for k, _ in settings].index("scenarios") + 1, ("macro paths", how))
    if "loss_by_stage" in ds:
        settings.append(("IFRS 9 stages at month 0", a.get("staging", "yes")))
    html = Environment(autoescape=True).from_string(_TEMPLATE).render(
        title=title or "Credit risk report",
        subtitle=subtitle, sampling=_sampling(ds, weights), loss_text=loss_text,
        risk_tables=tables, parts=parts, contributions=contributions, confidence=f"{100 * summ.attrs['confidence']:g}%", comparison=comparison,
        figures=embedded, settings=settings, scenario=scenario, command=command)
    path = out / "report.html"
    _write(path, html.encode("utf-8"))
    return path


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".partial")
    tmp.write_bytes(data)
    os.replace(tmp, path)
