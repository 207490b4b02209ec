"""The briefing's charts, in one house style: readable in greyscale (grey fills with hatches,
lines told apart by dash and marker), axes labelled with units, the source under each chart.

Each chart function takes runs (or a sweep) and returns a `Chart`: its matplotlib figure,
title and source line. The same functions back `results.plot` in notebooks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import cycle

import matplotlib as mpl
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from energymodel._version import __version__
from energymodel.metrics import buyer
from energymodel.report.findings import export_revenue, revenue_by_outlet
from energymodel.report.load import Sweep
from energymodel.results import Results, exporter

WIDTH = 6.7  # inches: the text width of an A4 page with 2 cm margins
GREYS = ["#1a1a1a", "#6e6e6e", "#a8a8a8", "#d4d4d4", "#4a4a4a", "#8c8c8c", "#bdbdbd"]
HATCHES = ["", "///", "...", "xxx", "\\\\\\", "+++", "ooo"]
DASHES = ["-", "--", ":", "-."]
MARKERS = ["o", "s", "^", "D", "v", "P", "X"]
STYLE = {
    "font.family": "DejaVu Sans", "font.size": 8.5, "axes.titlesize": 10,
    "axes.titleweight": "bold", "axes.titlelocation": "left", "axes.labelsize": 8.5,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
    "axes.grid.axis": "y", "grid.color": "#dddddd", "grid.linewidth": 0.6,
    "axes.edgecolor": "#333333", "legend.frameon": False, "legend.fontsize": 7.5,
    "hatch.color": "#ffffff", "hatch.linewidth": 0.8, "lines.linewidth": 1.6,
    "svg.fonttype": "path", "svg.hashsalt": "energymodel", "pdf.fonttype": 42,
    "figure.dpi": 100, "savefig.dpi": 150,  # PNG: 1,000 px wide; SVG for print
    "text.parse_math": False,  # names are plain text: a `$` in a scenario name is a dollar
}


@dataclass
class Chart:
    """One chart: a file-safe name, its title, the figure and the source line under it."""

    name: str
    title: str
    figure: Figure
    output: str = ""  # for sensitivity charts: the output they show


@contextmanager
def house_style() -> Iterator[None]:
    with mpl.rc_context(STYLE):
        yield


def lines(points: int = 8) -> Iterator[dict]:
    """Line styles told apart without colour: grey, dash, marker (about 8 markers a line)."""
    inks = ["#111111", "#5a5a5a", "#8c8c8c"]
    for i in cycle(range(len(inks) * len(DASHES) * len(MARKERS))):
        yield {"color": inks[i % len(inks)], "linestyle": DASHES[i % len(DASHES)],
               "marker": MARKERS[i % len(MARKERS)], "markersize": 3.5,
               "markevery": max(1, points // 8)}


def source_line(runs: list[Results]) -> str:
    parts = []
    for run in runs:
        m = run.manifest
        parts.append(f"{run.name} (scenario sha256 {m.get('scenario', {}).get('sha256', '?')[:8]}"
                     f", data {m.get('data', {}).get('sha256', '?')[:8]})")
    return f"Source: energymodel {__version__} model results; " + "; ".join(parts) + "."


def _figure(name: str, title: str, source: str, height: float = 3.3,
            ncols: int = 1, nrows: int = 1, **kw) -> tuple[Chart, object]:
    fig = Figure(figsize=(WIDTH, height))  # not through pyplot: no global figure, any backend
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    fig.suptitle(title, x=0.01, ha="left", fontsize=10, fontweight="bold")
    fig.text(0.01, 0.012, source, fontsize=6.5, color="#555555", ha="left", va="bottom",
             wrap=True)
    return Chart(name, title, fig), (axes[0, 0] if nrows * ncols == 1 else axes)


def _finish(chart: Chart, left: float = 0.7, right: float = 0.2, top: float = 0.5,
            bottom: float = 0.85, space: float = 0.35) -> Chart:
    """Fixed margins in inches (title above, axis label and source line below): the same
    frame on every chart, and much faster than an automatic layout."""
    w, h = chart.figure.get_size_inches()
    chart.figure.subplots_adjust(left=left / w, right=1 - right / w, top=1 - top / h,
                                 bottom=bottom / h, wspace=space, hspace=2 * space)
    return chart


def _years_axis(ax) -> None:
    ax.set_xlabel("year")
    ax.margins(x=0.01)


def revenue(run: Results) -> Chart:
    """Export revenue by outlet, stacked [USD bn per year]."""
    table = revenue_by_outlet(run)
    first = buyer(run.tables)  # the buyer market at the bottom, the others as the data list
    markets = list(run.markets["market"].unique())
    stack = [*([first] if first else []), *(m for m in markets if m != first)]
    order = [m for m in stack if m in table.columns] + sorted(set(table.columns) - set(stack))
    table = table[order]  # the same fill for an outlet in every scenario's chart
    fills = dict(zip(table.columns, zip(GREYS, cycle(HATCHES), strict=False), strict=False))
    table = table.loc[:, table.max() > 1e-6]
    chart, ax = _figure(f"revenue_{run.name}", f"Export revenue by outlet — {run.name}",
                        source_line([run]))
    stacks = ax.stackplot(table.index, table.T.to_numpy(), labels=[run.name_of(c) for c in table],
                          colors=[fills[c][0] for c in table], edgecolor="#ffffff",
                          linewidth=0.5)
    for stack, market in zip(stacks, table.columns, strict=True):
        grey, hatch = fills[market]
        stack.set_hatch(hatch)
        stack.set_hatchcolor("#ffffff" if grey < "#999999" else "#555555")
    ax.set_ylabel("export revenue [USD bn per year]")
    _years_axis(ax)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _finish(chart, right=1.3)


def volumes(run: Results) -> Chart:
    """Export volume by route [bcm per year]; routes that never carry gas are left out."""
    table = run.exports.pivot_table(index="year", columns="route", values="flow_bcm_per_y",
                                    aggfunc="sum")
    table = table.loc[:, table.max() > 0.05]
    table = table[table.max().sort_values(ascending=False).index]
    chart, ax = _figure(f"volumes_{run.name}", f"Export volume by route — {run.name}",
                        source_line([run]), height=3.6)
    for (route, values), style in zip(table.items(), lines(len(table)), strict=False):
        ax.plot(values.index, values.to_numpy(), label=route.replace("_", " "), **style)
    ax.set_ylabel("export volume [bcm per year]")
    ax.set_ylim(bottom=0)
    _years_axis(ax)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _finish(chart, right=1.6)


def price(run: Results) -> Chart | None:
    """China's price against its benchmark, the price-pressure band shaded [USD/MMBtu]."""
    p = run.tables.get("pressure")
    if p is None or p.empty:
        return None
    p = p.sort_values("year")
    market = run.name_of(str(p["market"].iloc[0]))
    benchmark = str(p["benchmark"].iloc[0])
    chart, ax = _figure(f"price_{run.name}", f"{market}: price against its {benchmark} "
                        f"benchmark — {run.name}", source_line([run]))
    x, bench, paid = p["year"], p["benchmark_price_usd_per_mmbtu"], p["price_usd_per_mmbtu"]
    ax.fill_between(x, paid, bench, where=bench >= paid, color="#d9d9d9", hatch="///",
                    hatchcolor="#8a8a8a", linewidth=0, interpolate=True,
                    label="price pressure (benchmark above the price)")
    ax.fill_between(x, paid, bench, where=bench < paid, color="#f2f2f2", hatch="...",
                    hatchcolor="#8a8a8a", linewidth=0, interpolate=True,
                    label="price above the benchmark")
    ax.plot(x, bench, color=GREYS[1], linestyle="--", label=f"{benchmark} benchmark")
    ax.plot(x, paid, color=GREYS[0], linestyle="-", marker="o", markersize=3,
            markevery=max(1, len(x) // 8), label=f"price {market} pays")
    ax.set_ylabel("price [USD/MMBtu]")
    _years_axis(ax)
    ax.legend(loc="best")
    return _finish(chart)


def pressure_dependence(run: Results) -> Chart | None:
    """Price pressure against China's share of Russian exports: the dependence curve if the
    run has one, else one point per year."""
    d, p = run.tables.get("dependence"), run.tables.get("pressure")
    if (d is None or d.empty) and (p is None or p.empty):
        return None
    chart, ax = _figure(f"pressure_dependence_{run.name}", "Price pressure against "
                        f"dependence on China — {run.name}", source_line([run]))
    if d is not None and not d.empty:
        d = d.sort_values("mean_dependence_volume")
        ax.plot(d["mean_dependence_volume"], d["mean_pressure"], color=GREYS[0], marker="o")
        lever = str(d["lever"].iloc[0])
        for row in d.itertuples():
            ax.annotate(f"{row.value:g}", (row.mean_dependence_volume, row.mean_pressure),
                        textcoords="offset points", xytext=(4, 4), fontsize=6.5)
        ax.set_xlabel(f"China's share of Russian export volume, mean "
                      f"{d['mean_from_year'].iloc[0]:.0f}–{d['mean_to_year'].iloc[0]:.0f} "
                      f"(points labelled with {lever.replace('_', ' ')})")
        ax.set_ylabel("mean price pressure [USD/MMBtu]")
    else:
        ax.plot(p["dependence_volume"], p["pressure_usd_per_mmbtu"], linestyle=":",
                color=GREYS[2], marker="o", markerfacecolor=GREYS[0], markeredgecolor=GREYS[0],
                markersize=3.5)
        years = p["year"].to_numpy()
        labelled = {years[0], years[-1], *[y for y in years if y % 10 == 0]}
        for row in p[p["year"].isin(labelled)].itertuples():
            ax.annotate(str(row.year), (row.dependence_volume, row.pressure_usd_per_mmbtu),
                        textcoords="offset points", xytext=(4, 4), fontsize=6.5)
        ax.set_xlabel("China's share of Russian export volume (one point per year)")
        ax.set_ylabel("price pressure [USD/MMBtu]")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.axhline(0, color="#888888", linewidth=0.6)
    return _finish(chart)


def utilisation(run: Results) -> Chart:
    """Each pipeline with capacity, one panel each: its flow and the share its policies leave
    usable, both as a share of its capacity [%]; the gap between them is capacity idle by
    choice, the gap above the dashed line capacity idle by policy."""
    f = run.tables["flows"]
    own = exporter(f)
    pipes = own[(own["kind"] == "pipeline") & (own["capacity_bcm_per_y"] > 0)]
    routes = sorted(pipes["route"].unique())
    ncols = 4
    nrows = max(1, -(-len(routes) // ncols))
    chart, axes = _figure(f"utilisation_{run.name}", f"Pipeline utilisation — {run.name}",
                          source_line([run]), height=1.45 * nrows + 1.1, ncols=ncols,
                          nrows=nrows, sharex=True, sharey=True)
    for i, ax in enumerate(axes.flat):
        if i >= len(routes):
            ax.set_visible(False)
            continue
        r = pipes[pipes["route"] == routes[i]].sort_values("year")
        used = r["flow_bcm_per_y"] / r["capacity_bcm_per_y"]
        ax.fill_between(r["year"], 0, used, color="#bdbdbd", linewidth=0,
                        label="flow / capacity")
        ax.plot(r["year"], used, color=GREYS[0], linewidth=1.1)
        if "availability" in r.columns:
            ax.plot(r["year"], r["availability"], color=GREYS[0], linestyle="--",
                    linewidth=0.9, label="usable share of capacity (policies)")
        ax.set_title(routes[i].replace("_", " "), fontsize=7.5, fontweight="normal")
        ax.set_ylim(0, 1.08)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.tick_params(labelsize=6.5)
        if i % ncols == 0:
            ax.set_ylabel("share of capacity [%]", fontsize=7)
        if i >= len(routes) - ncols:  # the lowest panel of its column
            ax.set_xlabel("year", fontsize=7)
            ax.xaxis.set_tick_params(labelbottom=True)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    chart.figure.legend(handles, labels, loc="upper right", ncols=2, fontsize=7,
                        bbox_to_anchor=(0.99, 1 - 0.3 / chart.figure.get_figheight()))
    return _finish(chart, top=0.8, space=0.25)


def compare_npv(runs: list[Results]) -> Chart:
    """NPVs of export revenue, export profit and (where given) revenue moved to China."""
    metrics = {"npv_export_revenue": "export revenue", "npv_export_profit": "export profit",
               "npv_transferred": "moved to China (price pressure)"}
    table = pd.DataFrame({run.name: {label: run.value(m) for m, label in
                                     metrics.items()} for run in runs}).dropna(how="all")
    chart, ax = _figure("compare_npv", "Net present value by scenario", source_line(runs),
                        height=max(2.4, 0.35 * table.size + 1.2))
    n = len(runs)
    height = 0.8 / n
    for i, ((name, values), hatch) in enumerate(zip(table.items(), cycle(HATCHES),
                                                    strict=False)):
        y = [k + i * height for k in range(len(table))]
        bars = ax.barh(y, values.fillna(0).to_numpy(), height=height * 0.9, label=name,
                       color=GREYS[i % len(GREYS)], hatch=hatch, edgecolor="#ffffff")
        ax.bar_label(bars, fmt="%.0f", fontsize=6.5, padding=2)
    ax.set_yticks([k + (n - 1) * height / 2 for k in range(len(table))], table.index)
    ax.invert_yaxis()
    rate = runs[0].scenario.discount_rate
    ax.set_xlabel(f"net present value [USD bn, discounted at {rate:.0%} to "
                  f"{runs[0].years[0]}]" if rate is not None else "net present value [USD bn]")
    ax.grid(axis="x")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower right")
    return _finish(chart, left=2.1)


def compare_revenue(runs: list[Results]) -> Chart:
    """Total export revenue per year, one line per scenario [USD bn per year]."""
    chart, ax = _figure("compare_revenue", "Export revenue by scenario", source_line(runs))
    for run, style in zip(runs, lines(len(runs[0].years)), strict=False):
        r = export_revenue(run)
        ax.plot(r.index, r.to_numpy(), label=run.name, **style)
    ax.set_ylabel("export revenue [USD bn per year]")
    ax.set_ylim(bottom=0)
    _years_axis(ax)
    ax.legend(loc="best")
    return _finish(chart)


def _column(table: pd.DataFrame, *names: str) -> str | None:
    lower = {c.lower(): c for c in table.columns}
    return next((lower[n] for n in names if n in lower), None)


def tornado_columns(table: pd.DataFrame) -> dict[str, str] | None:
    """The input, output, low and high (and base) columns of a tornado table, if recognised.
    Low/high columns named as effects (delta, change, effect) are used as they are; other
    low/high columns are output levels, and the effect is their difference from `base`."""
    name = _column(table, "input", "parameter", "factor", "name", "variable")
    numeric = [c for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]
    lows = [c for c in numeric if "low" in c.lower()]
    highs = [c for c in numeric if "high" in c.lower()]
    if name is None or not lows or not highs:
        return None

    def pick(cs: list[str]) -> str:
        return next((c for c in cs if any(w in c.lower() for w in ("effect", "delta",
                                                                    "change", "diff"))), cs[0])

    found = {"input": name, "low": pick(lows), "high": pick(highs)}
    base = _column(table, "base", "baseline", "base_value", "reference")
    if base and not any(w in found["low"].lower() for w in ("effect", "delta", "change", "diff")):
        found["base"] = base
    return found


# Sweep outputs charted first, where present (the key outputs); then the others in order.
KEY_OUTPUTS = ("npv_export_revenue", "mean_pressure", "npv_transferred", "china_price",
               "npv_export_profit", "dependence_volume")


def output_column(table: pd.DataFrame) -> str | None:
    return _column(table, "output", "metric")


def output_unit(name: str) -> str:
    """The unit of a sweep output, from its name (energymodel's output naming)."""
    if name.startswith("npv_") or name.endswith("_usd_bn"):
        return "USD bn"
    if name.startswith("export_revenue_"):
        return "USD bn/y"
    if name.endswith("pct"):
        return "%"
    if "price" in name or "pressure" in name:
        return "USD/MMBtu"
    if "dependence" in name:
        return "share"
    if name.endswith("bcm_per_y"):
        return "bcm/y"
    return "unit of the output"


def _per_output(table: pd.DataFrame, limit: int) -> list[tuple[str, pd.DataFrame]]:
    output = output_column(table)
    if output is None:
        return [("", table)]
    groups = {str(k): g for k, g in table.groupby(output, sort=False)}
    order = [k for k in KEY_OUTPUTS if k in groups] + [k for k in groups
                                                        if k not in KEY_OUTPUTS]
    return [(k, groups[k]) for k in order[:limit]]


def tornado(sweep: Sweep, limit: int = 4, top: int = 10) -> list[Chart]:
    """For each output (up to `limit`), each input's effect at its low and high bound."""
    table = sweep.tables.get("tornado")
    cols = None if table is None else tornado_columns(table)
    if cols is None:
        return []
    charts = []
    for output, t in _per_output(table, limit):
        low, high = t[cols["low"]].astype(float), t[cols["high"]].astype(float)
        if "base" in cols:
            low, high = low - t[cols["base"]], high - t[cols["base"]]
        d = pd.DataFrame({"input": t[cols["input"]].astype(str).to_numpy(),
                          "low": low.to_numpy(), "high": high.to_numpy()})
        d = d.assign(size=(d["high"] - d["low"]).abs()).nlargest(top, "size").iloc[::-1]
        method = t["method"].iloc[0] if "method" in t.columns else ""
        title = f"Sensitivity (tornado{', ' + method if method else ''})" + (
            f": {output}" if output else "")
        chart, ax = _figure(f"tornado_{output or 'output'}", title,
                            f"Source: energymodel sweep, {sweep.folder.name}.",
                            height=0.28 * len(d) + 1.3)
        ax.barh(d["input"], d["low"], color=GREYS[1], label="input at its low bound")
        ax.barh(d["input"], d["high"], color=GREYS[3], hatch="///", edgecolor="#6e6e6e",
                label="input at its high bound")
        ax.axvline(0, color="#333333", linewidth=0.8)
        ax.set_xlabel(f"change in {output or 'the output'} from the reference point "
                      f"[{output_unit(output)}]")
        charts.append(_sweep_bars(chart, ax, output))
    return charts


def _sweep_bars(chart: Chart, ax, output: str | None) -> Chart:
    """Finish a horizontal bar chart of sweep results (one bar group per input)."""
    ax.grid(axis="x")
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="y", labelsize=7)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncols=2)
    chart.output = output
    return _finish(chart, left=1.9, top=0.75)


def sobol(sweep: Sweep, limit: int = 4, top: int = 10) -> list[Chart]:
    """For each output (up to `limit`), first-order (S1) and total (ST) Sobol indices with
    their confidence intervals."""
    table = sweep.tables.get("sobol")
    if table is None:
        return []
    name = _column(table, "input", "parameter", "factor", "name", "variable")
    s1, st = _column(table, "s1"), _column(table, "st")
    if name is None or s1 is None or st is None:
        return []
    c1, ct = _column(table, "s1_conf", "s1_ci"), _column(table, "st_conf", "st_ci")
    charts = []
    for output, t in _per_output(table, limit):
        t = t.nlargest(top, st).iloc[::-1]
        title = "Sobol indices" + (f": {output}" if output else "")
        chart, ax = _figure(f"sobol_{output or 'output'}", title,
                            f"Source: energymodel sweep, {sweep.folder.name}.",
                            height=0.3 * len(t) + 1.3)
        y = range(len(t))
        ax.barh([k + 0.2 for k in y], t[st], height=0.4, color=GREYS[3], hatch="///",
                edgecolor="#6e6e6e", label="total effect ST",
                xerr=t[ct] if ct else None, error_kw={"elinewidth": 0.8, "capsize": 2})
        ax.barh([k - 0.2 for k in y], t[s1], height=0.4, color=GREYS[0],
                label="first order S1", xerr=t[c1] if c1 else None,
                error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#888888"})
        ax.set_yticks(list(y), t[name].astype(str))
        ax.set_xlabel("share of the output's variance [-] (bars: 95% confidence interval)")
        charts.append(_sweep_bars(chart, ax, output))
    return charts


def run_charts(run: Results) -> list[Chart]:
    """Every chart of one run that its tables allow."""
    made = [revenue(run), volumes(run), price(run), pressure_dependence(run), utilisation(run)]
    return [c for c in made if c is not None]
