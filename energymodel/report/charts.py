"""The briefing's charts, in one house style: readable in greyscale (grey fills with hatches,
lines told apart by dash and marker), axes labelled with units (money in real 2025 USD,
`energymodel.units.MONEY_BASIS`), the source under each chart.

Each chart's title states its finding, computed from the numbers it shows. Charts are 5 in
wide with no text under 9 pt, so that on a 390 px phone (the chart scaled to the screen)
text stays at least 9 px. Charts compared across scenarios share their y-scale (`Scale`);
areas and prices are drawn from zero. With a sweep of the scenario, the revenue and price
charts carry its 10-90% band.

Each chart function takes runs (or a sweep) and returns a `Chart`: its matplotlib figure,
title and source line. The same functions back `results.plot` in notebooks.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from itertools import cycle
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from energymodel._version import __version__
from energymodel.metrics import buyer
from energymodel.report.findings import (
    buyer_name,
    buyer_share,
    export_revenue,
    leverage_parts,
    numbers,
    revenue_by_outlet,
    sweep_points,
)
from energymodel.report.load import Sweep
from energymodel.results import Results, exporter, readable
from energymodel.units import MONEY_BASIS

WIDTH = 5.0  # inches: 480 px on screen; 374 px on a 390 px phone keeps 9 pt text >= 9 px
SMALLEST = 9.0  # pt: no chart text smaller
GREYS = ["#1a1a1a", "#6e6e6e", "#a8a8a8", "#d4d4d4", "#4a4a4a", "#8c8c8c", "#bdbdbd"]
HATCHES = ["", "///", "...", "xxx", "\\\\\\", "+++", "ooo"]
DASHES = ["-", "--", ":", "-."]
MARKERS = ["o", "s", "^", "D", "v", "P", "X"]
STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans", "font.size": SMALLEST, "axes.titlesize": SMALLEST,
    "axes.titleweight": "bold", "axes.titlelocation": "left", "axes.labelsize": SMALLEST,
    "xtick.labelsize": SMALLEST, "ytick.labelsize": SMALLEST,
    "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True,
    "axes.grid.axis": "y", "grid.color": "#dddddd", "grid.linewidth": 0.6,
    "axes.edgecolor": "#333333", "legend.frameon": False, "legend.fontsize": SMALLEST,
    "hatch.color": "#ffffff", "hatch.linewidth": 0.8, "lines.linewidth": 1.6,
    "svg.fonttype": "path", "svg.hashsalt": "energymodel", "pdf.fonttype": 42,
    "figure.dpi": 100, "savefig.dpi": 200,  # PNG: 1,000 px wide; SVG for print
    "text.parse_math": False,  # names are plain text: a `$` in a scenario name is a dollar
}
TITLE_PT = 10.5
BN_Y = f"billion {MONEY_BASIS} per year"
PRICE = f"{MONEY_BASIS}/MMBtu"


@dataclass
class Chart:
    """One chart: a file-safe name, its title (its finding), the figure, and for sensitivity
    charts the output they show and a caveat to print under them."""

    name: str
    title: str
    figure: Figure
    output: str = ""
    caveat: str = ""
    wrapped: tuple[int, int] = (1, 1)  # lines of the title and of the source line


@dataclass
class Scale:
    """Upper y-limits shared by the charts of several scenarios (None: each its own)."""

    revenue: float | None = None
    volume: float | None = None
    price: float | None = None


@dataclass
class Bands:
    """10-90% ranges from a sweep for one run: revenue per decade (decade start ->
    (low, high) in USD bn/y) and the buyer's mean price over a window."""

    revenue: dict[int, tuple[float, float]] = field(default_factory=dict)
    price: tuple[float, float] | None = None
    price_window: tuple[int, int] | None = None
    points: int = 0


@contextmanager
def house_style() -> Iterator[None]:
    with mpl.rc_context(STYLE):  # type: ignore[arg-type]
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
        parts.append(f"{run.name} (scenario {str(m.get('scenario', {}).get('sha256', '?'))[:8]}"
                     f", data {str(m.get('data', {}).get('sha256', '?'))[:8]})")
    return f"Source: energymodel {__version__}; " + "; ".join(parts) + "."


def _wrap(text: str, points: float, em: float = 0.56) -> str:
    """Text wrapped to the chart's width at a font size (`em`: a character's mean width)."""
    return textwrap.fill(text, width=int(WIDTH * 72 / (em * points)) - 1)


def _figure(name: str, title: str, source: str, height: float = 3.4,
            ncols: int = 1, nrows: int = 1, **kw: Any) -> tuple[Chart, Any]:
    """A figure with its title (wrapped) on top and the source line (wrapped) below."""
    title_text, source_text = _wrap(title, TITLE_PT, 0.64), _wrap(source, SMALLEST)
    extra = 0.17 * (title_text.count("\n") + source_text.count("\n"))
    fig = Figure(figsize=(WIDTH, height + extra))  # not through pyplot: any backend
    axes = fig.subplots(nrows, ncols, squeeze=False, **kw)
    fig.suptitle(title_text, x=0.015, y=0.99, ha="left", va="top", fontsize=TITLE_PT,
                 fontweight="bold", linespacing=1.15)
    fig.text(0.015, 0.012, source_text, fontsize=SMALLEST, color="#555555", ha="left",
             va="bottom", linespacing=1.1)
    chart = Chart(name, title, fig, wrapped=(title_text.count("\n") + 1,
                                             source_text.count("\n") + 1))
    return chart, (axes[0, 0] if nrows * ncols == 1 else axes)


def _finish(chart: Chart, left: float = 0.75, right: float = 0.2, top: float = 0.45,
            bottom: float = 0.75, space: float = 0.35) -> Chart:
    """Fixed margins in inches around the axes, grown by the wrapped title and source
    lines: the same frame on every chart, and faster than an automatic layout."""
    fig = chart.figure
    w, h = fig.get_size_inches()
    titles, sources = chart.wrapped
    top += 0.17 * titles
    bottom += 0.15 * sources
    fig.subplots_adjust(left=left / w, right=1 - right / w, top=1 - top / h,
                        bottom=bottom / h, wspace=space, hspace=2 * space)
    return chart


def _years_axis(ax: Axes) -> None:
    ax.set_xlabel("year")
    ax.margins(x=0.01)


def _end_labels(ax: Axes, ends: dict[str, float], x: float, top: float) -> None:
    """Labels at the right end of lines, nudged apart so they never overlap."""
    gap = 0.075 * top
    placed: list[float] = []
    for label, y in sorted(ends.items(), key=lambda kv: kv[1]):
        y = max(y, placed[-1] + gap) if placed else y
        placed.append(y)
        ax.annotate(label, (x, y), xytext=(4, 0), textcoords="offset points",
                    va="center", fontsize=SMALLEST, annotation_clip=False)


def _ordinal_years(n: int) -> str:
    return {1: "a year", 2: "two years", 3: "three years", 4: "four years",
            5: "five years"}.get(n, f"{n} years")


def _opening(run: Results, market: str | None) -> tuple[str, int] | None:
    """The exporter's pipeline to `market` that opens latest within the horizon."""
    if market is None:
        return None
    pipes = exporter(run.flows)
    pipes = pipes[(pipes["kind"] == "pipeline") & (pipes["market"] == market)]
    found = None
    for route, r in pipes.groupby("route"):
        cap = r.groupby("year")["capacity_bcm_per_y"].sum().sort_index()
        open_ = cap[cap > 1e-6]
        if len(open_) and open_.index[0] > cap.index[0] and (
                found is None or open_.index[0] > found[1]):
            found = (run.name_of(str(route)), int(open_.index[0]))
    return found


# One run --------------------------------------------------------------------------------


def revenue(run: Results, scale: Scale | None = None, bands: Bands | None = None) -> Chart:
    """Export revenue by outlet, stacked [billion USD_2025/y]; the sweep's 10-90% band of
    the decade means of the total where given."""
    table = revenue_by_outlet(run)
    first = buyer(run.tables)  # the buyer market at the bottom, the others as the data list
    markets = list(run.markets["market"].unique())
    stack = [*([first] if first else []), *(m for m in markets if m != first)]
    order = [m for m in stack if m in table.columns] + sorted(set(table.columns) - set(stack))
    table = table[order]  # the same fill for an outlet in every scenario's chart
    fills = dict(zip(map(str, table.columns), zip(GREYS, cycle(HATCHES), strict=False),
                     strict=False))
    table = table.loc[:, table.max() > 1e-6]
    n = numbers(run)
    who, seller = n["buyer"], n["exporter"]
    over = n["buyer_overtakes_year"]
    if over is not None and over > n["first_year"]:
        title = f"{who} becomes {seller}'s largest gas buyer in {over}"
        opened = _opening(run, first)
        if opened and 0 <= over - opened[1] <= 5:
            title += (f" as {opened[0]} opens" if over == opened[1] else
                      f", {_ordinal_years(over - opened[1])} after {opened[0]} opens")
    else:
        title = (f"{seller}'s export revenue peaks at USD {n['peak_export_revenue']:.0f} bn "
                 f"a year in {n['peak_year']}")
    chart, ax = _figure(f"revenue_{run.name}", title, source_line([run]), height=3.7)
    stacks = ax.stackplot(table.index, table.T.to_numpy(),
                          labels=[run.name_of(str(c)) for c in table],
                          colors=[fills[str(c)][0] for c in table], edgecolor="#ffffff",
                          linewidth=0.5)
    for area, market in zip(stacks, table.columns, strict=True):
        grey, hatch = fills[str(market)]
        area.set_hatch(hatch)
        area.set_hatchcolor("#ffffff" if grey < "#999999" else "#555555")
    if bands is not None and bands.revenue:
        for i, (start, (low, high)) in enumerate(sorted(bands.revenue.items())):
            end = min(start + 10, run.years[-1] + 1)
            ax.fill_between([start, end - 0.01], low, high, facecolor="none",
                            edgecolor="#000000", hatch="....", linewidth=0.9,
                            label=f"10–90% range of the total, decade mean "
                                  f"({bands.points} sweep points)" if i == 0 else None)
    ax.set_ylabel(f"export revenue\n[{BN_Y}]")
    ax.set_ylim(0, scale.revenue if scale and scale.revenue else None)
    _years_axis(ax)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles[::-1], labels[::-1], loc="upper left", bbox_to_anchor=(0.0, -0.2),
              ncols=2, borderaxespad=0)
    rows = math.ceil(len(labels) / 2)
    chart.figure.set_size_inches(WIDTH, chart.figure.get_figheight() + 0.2 * rows)
    return _finish(chart, bottom=1.0 + 0.2 * rows)


def route_groups(run: Results) -> pd.DataFrame:
    """Export volume [bcm/y] by year (rows) and route group (columns): the exporter's
    pipelines grouped by the market they serve, LNG as one group."""
    e = run.exports
    group = np.where(e["kind"] == "pipeline", "Pipelines to " + e["market"].map(run.name_of),
                     "LNG")
    return e.assign(group=group).pivot_table(index="year", columns="group",
                                             values="flow_bcm_per_y", aggfunc="sum"
                                             ).reindex(run.years).fillna(0.0)


def closed_routes(run: Results) -> list[str]:
    """The exporter's routes with capacity that policies close for the whole horizon."""
    own = exporter(run.flows)
    own = own[own["kind"] != "domestic"]
    if "availability" not in own.columns:
        return []
    shut = own.groupby("route").agg(cap=("capacity_bcm_per_y", "max"),
                                    avail=("availability", "max"))
    return [run.name_of(str(r)) for r in shut[(shut["cap"] > 0) & (shut["avail"] <= 1e-9)]
            .index]


def volumes(run: Results, scale: Scale | None = None) -> Chart:
    """Export volume by route group [bcm/y], each line labelled at its end; routes closed by
    policy named under the chart."""
    table = route_groups(run)
    table = table.loc[:, table.max() > 0.05]
    table = table[table.max().sort_values(ascending=False).index]
    share = buyer_share(run)
    who = buyer_name(run)
    majority = numbers(run)["buyer_majority_year"]
    if majority is not None and majority > run.years[0]:
        title = (f"{who} takes over half of {run.name_of(run.exporter)}'s export volume from "
                 f"{majority}")
    else:
        title = (f"{who}'s share of {run.name_of(run.exporter)}'s export volume goes from "
                 f"{share.iloc[0]:.0%} in {run.years[0]} to {share.iloc[-1]:.0%} in "
                 f"{run.years[-1]}")
    closed = closed_routes(run)
    source = source_line([run])
    if closed:
        source = f"Closed by policy throughout: {', '.join(closed)}. " + source
    chart, ax = _figure(f"volumes_{run.name}", title, source, height=3.5)
    top = scale.volume if scale and scale.volume else float(table.to_numpy().max()) * 1.08
    ends = {}
    for (group, values), style in zip(table.items(), lines(len(table)), strict=False):
        ax.plot(values.index, values.to_numpy(), **style)
        ends[str(group)] = float(values.iloc[-1])
    ax.set_ylim(0, top)
    _end_labels(ax, ends, run.years[-1], top)
    ax.set_ylabel("export volume [bcm per year]")
    _years_axis(ax)
    return _finish(chart, right=1.55)


def price(run: Results, scale: Scale | None = None, bands: Bands | None = None) -> Chart | None:
    """The buyer's price against its benchmark, the price-pressure band shaded
    [USD_2025/MMBtu], from zero; the sweep's 10-90% range of the mean price where given."""
    p = run.tables.get("pressure")
    if p is None or p.empty:
        return None
    p = p.sort_values("year")
    market = run.name_of(str(p["market"].iloc[0]))
    benchmark = str(p["benchmark"].iloc[0])
    mean, pct = run.value("mean_pressure"), run.value("mean_pressure_pct")
    lo, hi = run.value("mean_from_year"), run.value("mean_to_year")
    if mean is not None and lo is not None and hi is not None:
        side = "below" if mean >= 0 else "above"
        title = (f"{market} pays {abs(mean):.2f} USD/MMBtu"
                 + (f" ({abs(pct):.0f}%)" if pct is not None else "")
                 + f" {side} the {benchmark} price on average over {lo:.0f}–{hi:.0f}")
    else:
        gap = float((p["benchmark_price_usd_per_mmbtu"] - p["price_usd_per_mmbtu"]).mean())
        title = f"{market} pays {abs(gap):.2f} USD/MMBtu {'below' if gap >= 0 else 'above'} " \
                f"the {benchmark} price on average"
    chart, ax = _figure(f"price_{run.name}", title, source_line([run]), height=3.6)
    x, bench, paid = p["year"], p["benchmark_price_usd_per_mmbtu"], p["price_usd_per_mmbtu"]
    ax.fill_between(x, paid, bench, where=bench >= paid, color="#d9d9d9", hatch="///",
                    hatchcolor="#8a8a8a", linewidth=0, interpolate=True,
                    label="price pressure (benchmark above the price)")
    if (bench < paid).any():
        ax.fill_between(x, paid, bench, where=bench < paid, color="#f2f2f2", hatch="...",
                        hatchcolor="#8a8a8a", linewidth=0, interpolate=True,
                        label="price above the benchmark")
    ax.plot(x, bench, color=GREYS[1], linestyle="--", label=f"{benchmark} benchmark")
    ax.plot(x, paid, color=GREYS[0], linestyle="-", marker="o", markersize=3,
            markevery=max(1, len(x) // 8), label=f"price {market} pays")
    if bands is not None and bands.price is not None and bands.price_window is not None:
        a, b = bands.price_window
        ax.fill_between([a, b], *bands.price, facecolor="none", edgecolor="#000000",
                        hatch="....", linewidth=0.9,
                        label=f"10–90% range of the {a}–{b} mean price paid "
                              f"({bands.points} sweep points)")
    top = scale.price if scale and scale.price else float(max(bench.max(), paid.max())) * 1.1
    ax.set_ylim(0, top)
    ax.set_ylabel(f"price [{PRICE}]")
    _years_axis(ax)
    handles, labels = ax.get_legend_handles_labels()
    ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(0.0, -0.2), ncols=1,
              borderaxespad=0)
    chart.figure.set_size_inches(WIDTH, chart.figure.get_figheight() + 0.2 * len(labels))
    return _finish(chart, bottom=1.0 + 0.2 * len(labels))


def pressure_dependence(run: Results) -> Chart | None:
    """The buyer's share of export volume and the price pressure over time, one above the
    other (a time path, not a cause); with a dependence curve, the pressure along its lever."""
    d, p = run.tables.get("dependence"), run.tables.get("pressure")
    if (d is None or d.empty) and (p is None or p.empty):
        return None
    who = buyer_name(run)
    if d is not None and not d.empty:
        d = d.sort_values("value")
        lever = str(d["lever"].iloc[0]).replace("_", " ")
        a, b = d.iloc[0], d.iloc[-1]
        title = (f"Raising {lever} from {a['value']:g} to {b['value']:g} moves {who}'s share of "
                 f"export volume from {a['mean_dependence_volume']:.0%} to "
                 f"{b['mean_dependence_volume']:.0%} and the pressure from "
                 f"{a['mean_pressure']:.2f} to {b['mean_pressure']:.2f} USD/MMBtu")
        chart, ax = _figure(f"pressure_dependence_{run.name}", title, source_line([run]))
        d = d.sort_values("mean_dependence_volume")
        ax.plot(d["mean_dependence_volume"], d["mean_pressure"], color=GREYS[0], marker="o")
        for row in d.itertuples():
            ax.annotate(f"{row.value:g}", (row.mean_dependence_volume, row.mean_pressure),
                        textcoords="offset points", xytext=(4, 4), fontsize=SMALLEST)
        ax.set_xlabel(f"{who}'s share of export volume, mean "
                      f"{d['mean_from_year'].iloc[0]:.0f}–{d['mean_to_year'].iloc[0]:.0f}\n"
                      f"(points labelled with {lever})")
        ax.set_ylabel(f"mean price pressure\n[{PRICE}]")
        ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.axhline(0, color="#888888", linewidth=0.6)
        return _finish(chart, bottom=1.05)
    assert p is not None
    p = p.sort_values("year")
    share, pressure = p["dependence_volume"], p["pressure_usd_per_mmbtu"]
    title = (f"{who}'s share of export volume goes from {share.iloc[0]:.0%} to "
             f"{share.iloc[-1]:.0%} while the pressure goes from {pressure.iloc[0]:.2f} to "
             f"{pressure.iloc[-1]:.2f} USD/MMBtu")
    chart, axes = _figure(f"pressure_dependence_{run.name}", title, source_line([run]),
                          height=4.2, nrows=2, sharex=True)
    top, low = axes[0, 0], axes[1, 0]
    top.plot(p["year"], share, color=GREYS[0], marker="o", markersize=3,
             markevery=max(1, len(p) // 8))
    top.set_ylim(0, 1)
    top.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    top.set_ylabel(f"{who}'s share of\nexport volume [%]")
    low.plot(p["year"], pressure, color=GREYS[0], linestyle="--")
    low.axhline(0, color="#888888", linewidth=0.6)
    low.set_ylabel(f"price pressure\n[{PRICE}]")
    _years_axis(low)
    return _finish(chart, space=0.2)


def utilisation(run: Results) -> Chart:
    """Each pipeline that carries gas or could: its flow and the share its policies leave
    usable, both as a share of its capacity [%], years closed by policy shaded; pipelines
    closed by policy throughout are named under the chart instead of drawn empty."""
    f = run.tables["flows"]
    own = exporter(f)
    pipes = own[(own["kind"] == "pipeline") & (own["capacity_bcm_per_y"] > 0)]
    closed = set(closed_routes(run))
    routes = sorted(r for r in pipes["route"].unique() if run.name_of(str(r)) not in closed)
    ncols = 3
    nrows = max(1, -(-len(routes) // ncols))
    used_mean = {}
    for route in routes:
        r = pipes[(pipes["route"] == route) & (pipes["availability"] > 1e-9)]
        used_mean[route] = float((r["flow_bcm_per_y"].sum() / r["capacity_bcm_per_y"].sum())
                                 if r["capacity_bcm_per_y"].sum() > 0 else 0.0)
    busiest = max(used_mean, key=lambda k: used_mean[k]) if used_mean else None
    title = (f"{run.name_of(str(busiest))} runs at {used_mean[busiest]:.0%} of its capacity "
             "on average" if busiest is not None else "No pipeline carries gas")
    if closed:
        title += f"; {len(closed)} pipeline{'s' if len(closed) > 1 else ''} closed by policy"
    source = source_line([run])
    if closed:
        source = f"Closed by policy throughout (not drawn): {', '.join(sorted(closed))}. " \
                 + source
    chart, axes = _figure(f"utilisation_{run.name}", title, source,
                          height=1.75 * nrows + 1.2, ncols=ncols, nrows=nrows, sharex=True,
                          sharey=True)
    for i, ax in enumerate(axes.flat):
        if i >= len(routes):
            ax.set_visible(False)
            continue
        r = pipes[pipes["route"] == routes[i]].sort_values("year")
        used = r["flow_bcm_per_y"] / r["capacity_bcm_per_y"]
        shut = r["availability"] <= 1e-9 if "availability" in r.columns else used * False
        if shut.any():
            ax.fill_between(r["year"], 0, 1.08, where=shut.to_numpy(), color="#eeeeee",
                            hatch="xx", hatchcolor="#bbbbbb", linewidth=0, step="mid",
                            label="closed by policy")
        ax.fill_between(r["year"], 0, used, color="#bdbdbd", linewidth=0,
                        label="flow / capacity")
        ax.plot(r["year"], used, color=GREYS[0], linewidth=1.1)
        if "availability" in r.columns:
            ax.plot(r["year"], r["availability"], color=GREYS[0], linestyle="--",
                    linewidth=0.9, label="usable share (policies)")
        ax.set_title(textwrap.fill(run.name_of(str(routes[i])), 17), fontsize=SMALLEST,
                     fontweight="normal")
        ax.set_ylim(0, 1.08)
        ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        ax.set_yticks([0, 0.5, 1])
        ax.set_xticks([y for y in (2030, 2045, 2060) if run.years[0] <= y <= run.years[-1]])
        if i % ncols == 0:
            ax.set_ylabel("[% of capacity]")
        if i >= len(routes) - ncols:  # the lowest panel of its column
            ax.xaxis.set_tick_params(labelbottom=True)
    handles: dict[str, Any] = {}
    for ax in axes.flat[: len(routes)]:
        for h, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.setdefault(label, h)
    below_title = 0.1 + 0.19 * chart.wrapped[0]
    chart.figure.legend(list(handles.values()), list(handles), loc="upper left", ncols=2,
                        fontsize=SMALLEST, bbox_to_anchor=(
                            0.01, 1 - below_title / chart.figure.get_figheight()))
    return _finish(chart, top=0.75, space=0.3, bottom=0.75, left=0.85)


def leverage_waterfall(run: Results) -> Chart | None:
    """The decomposition of the buyer's price change from the reference world by driver, as
    a waterfall [USD_2025/MMBtu]: each driver's Shapley contribution, then the total."""
    found = leverage_parts(run)
    if found is None:
        return None
    drivers, total = found
    who = buyer_name(run)
    d = drivers.assign(size=drivers["price_effect_usd_per_mmbtu"].abs()).sort_values(
        "size", ascending=False)
    top = d.iloc[0] if len(d) else None
    if top is not None and abs(total) > 1e-9:
        share = float(top["price_effect_usd_per_mmbtu"]) / total
        title = (f"{top['name']} gives {share:.0%} of {who}'s {abs(total):.2f} USD/MMBtu price "
                 f"{'advantage' if total < 0 else 'rise'} against the reference world")
    else:
        title = f"The drivers move {who}'s price by {total:+.2f} USD/MMBtu"
    chart, ax = _figure(f"leverage_{run.name}", title, source_line([run]),
                        height=0.42 * (len(d) + 1) + 1.4)
    names = [textwrap.fill(str(n), 22) for n in d["name"]] + ["total"]
    start, y = 0.0, list(range(len(names)))
    for k, effect in enumerate(d["price_effect_usd_per_mmbtu"].astype(float)):
        ax.barh(k, effect, left=start, color=GREYS[1] if effect < 0 else GREYS[3],
                hatch="" if effect < 0 else "///", edgecolor="#6e6e6e", height=0.6)
        ax.annotate(f"{effect:+.2f}", (start + effect, k), xytext=(3 if effect >= 0 else -3, 0),
                    textcoords="offset points", va="center",
                    ha="left" if effect >= 0 else "right", fontsize=SMALLEST)
        start += effect
    ax.barh(len(names) - 1, total, color=GREYS[0], height=0.6)
    ax.annotate(f"{total:+.2f}", (total, len(names) - 1), xytext=(3 if total >= 0 else -3, 0),
                textcoords="offset points", va="center", ha="left" if total >= 0 else "right",
                fontsize=SMALLEST)
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.axvline(0, color="#333333", linewidth=0.8)
    span = max(abs(total), float(np.abs(np.cumsum(d["price_effect_usd_per_mmbtu"])).max()
                                 if len(d) else 0.0), 0.1)
    ax.set_xlim(min(-1.25 * span, ax.get_xlim()[0]), max(0.35 * span, ax.get_xlim()[1]))
    ax.set_xlabel(f"change in {who}'s mean price [{PRICE}]\n(negative: {who} pays less)")
    ax.grid(axis="x")
    ax.grid(axis="y", visible=False)
    return _finish(chart, left=1.85, bottom=1.05)


# Several runs -------------------------------------------------------------------------------


def compare_npv(runs: list[Results]) -> Chart:
    """NPVs of export revenue, export profit and (where given) revenue moved to China."""
    metrics = {"npv_export_revenue": "export revenue", "npv_export_profit": "export profit",
               "npv_transferred": "moved to the buyer"}
    table = pd.DataFrame({run.name: {label: run.value(m) for m, label in
                                     metrics.items()} for run in runs}).dropna(how="all")
    npv = table.loc["export revenue"].astype(float)
    high, low = str(npv.idxmax()), str(npv.idxmin())
    title = (f"Present value of export revenue: USD {npv[high]:.0f} bn under {high}, "
             f"USD {npv[high] - npv[low]:.0f} bn more than under {low}")
    chart, ax = _figure("compare_npv", title, source_line(runs),
                        height=max(2.6, 0.32 * table.size + 1.6))
    n = len(runs)
    height = 0.8 / n
    for i, ((name, values), hatch) in enumerate(zip(table.items(), cycle(HATCHES),
                                                    strict=False)):
        y = [k + i * height for k in range(len(table))]
        bars = ax.barh(y, values.fillna(0).to_numpy(), height=height * 0.9, label=name,
                       color=GREYS[i % len(GREYS)], hatch=hatch, edgecolor="#ffffff")
        ax.bar_label(bars, fmt="%.0f", fontsize=SMALLEST, padding=2)
    ax.set_yticks([k + (n - 1) * height / 2 for k in range(len(table))], table.index)
    ax.invert_yaxis()
    rate = runs[0].scenario.discount_rate
    ax.set_xlabel(f"present value [billion {MONEY_BASIS}]\n(discounted at {rate:.0%} real "
                  f"to {runs[0].years[0]})" if rate is not None else
                  f"present value [billion {MONEY_BASIS}]")
    ax.set_xlim(0, float(np.nanmax(table.to_numpy(float))) * 1.15)
    ax.grid(axis="x")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="upper left", bbox_to_anchor=(-0.3, -0.42), ncols=min(2, n),
              borderaxespad=0)
    chart.figure.set_size_inches(WIDTH, chart.figure.get_figheight() + 0.2 * math.ceil(n / 2))
    return _finish(chart, left=1.45, bottom=1.35 + 0.2 * math.ceil(n / 2))


def compare_revenue(runs: list[Results], scale: Scale | None = None) -> Chart:
    """Total export revenue per year, one line per scenario [billion USD_2025/y]."""
    paths = {run.name: export_revenue(run) for run in runs}
    base = paths[runs[0].name]
    gaps = {name: (r - base).reindex(base.index) for name, r in paths.items()
            if name != runs[0].name}
    if gaps:
        name, gap = max(gaps.items(), key=lambda kv: float(kv[1].abs().max()))
        year = int(str(gap.abs().idxmax()))
        title = (f"Export revenue under {name} is up to USD {abs(gap[year]):.1f} bn a year "
                 f"{'above' if gap[year] > 0 else 'below'} {runs[0].name} ({year})")
    else:
        title = f"Export revenue peaks at USD {base.max():.0f} bn a year in {base.idxmax()}"
    chart, ax = _figure("compare_revenue", title, source_line(runs), height=3.4)
    ends = {}
    for run, style in zip(runs, lines(len(runs[0].years)), strict=False):
        r = paths[run.name]
        ax.plot(r.index, r.to_numpy(), **style)
        ends[run.name] = float(r.iloc[-1])
    top = scale.revenue if scale and scale.revenue else max(float(r.max()) for r in
                                                            paths.values()) * 1.1
    ax.set_ylim(0, top)
    _end_labels(ax, {textwrap.fill(k, 16): v for k, v in ends.items()}, runs[0].years[-1], top)
    ax.set_ylabel(f"export revenue\n[{BN_Y}]")
    _years_axis(ax)
    return _finish(chart, right=1.5)


def scale_for(runs: list[Results]) -> Scale:
    """One y-scale for every scenario's revenue, volume and price chart."""
    revenue_top = max(float(export_revenue(r).max()) for r in runs)
    volume_top = max(float(route_groups(r).to_numpy().max()) for r in runs)
    prices = [max(float(p["benchmark_price_usd_per_mmbtu"].max()),
                  float(p["price_usd_per_mmbtu"].max()))
              for r in runs if (p := r.tables.get("pressure")) is not None and not p.empty]
    return Scale(revenue_top * 1.1, volume_top * 1.08, max(prices) * 1.1 if prices else None)


def bands_for(run: Results, sweep: Sweep | None) -> Bands | None:
    """The sweep's 10-90% bands for a run of the swept scenario: export revenue per decade
    (outputs `export_revenue_<decade>s`) and the buyer's mean price (`price_<buyer>`)."""
    points = sweep_points(run, sweep)
    if points is None:
        return None
    bands = Bands(points=len(points))
    for column in points.columns:
        name = str(column)
        if name.startswith("export_revenue_") and name.endswith("s") and name[15:-1].isdigit():
            values = pd.to_numeric(points[column], errors="coerce").dropna().to_numpy(float)
            if len(values):
                low, high = np.quantile(values, [0.1, 0.9])
                bands.revenue[int(name[15:-1])] = (float(low), float(high))
    market = buyer(run.tables)
    if market and f"price_{market}" in points.columns:
        prices = pd.to_numeric(points[f"price_{market}"], errors="coerce").dropna()
        if len(prices):
            low, high = np.quantile(prices.to_numpy(float), [0.1, 0.9])
            bands.price = (float(low), float(high))
            lo, hi = run.value("mean_from_year"), run.value("mean_to_year")
            bands.price_window = (int(lo or 2030), int(hi or run.years[-1]))
    return bands if bands.revenue or bands.price else None


def run_charts(run: Results, scale: Scale | None = None,
               bands: Bands | None = None) -> list[Chart]:
    """Every chart of one run that its tables allow."""
    made = [revenue(run, scale, bands), volumes(run, scale), price(run, scale, bands),
            leverage_waterfall(run), pressure_dependence(run), utilisation(run)]
    return [c for c in made if c is not None]


# Sweeps -------------------------------------------------------------------------------------


def _column(table: pd.DataFrame, *names: str) -> str | None:
    lower = {str(c).lower(): str(c) for c in table.columns}
    return next((lower[n] for n in names if n in lower), None)


def tornado_columns(table: pd.DataFrame) -> dict[str, str] | None:
    """The input, output, low and high (and base) columns of a tornado table, if recognised.
    Low/high columns named as effects (delta, change, effect) are used as they are; other
    low/high columns are output levels, and the effect is their difference from `base`."""
    name = _column(table, "input", "parameter", "factor", "name", "variable")
    numeric = [str(c) for c in table.columns if pd.api.types.is_numeric_dtype(table[c])]
    lows = [c for c in numeric if "low" in c.lower() and not c.lower().startswith("input")]
    highs = [c for c in numeric if "high" in c.lower() and not c.lower().startswith("input")]
    if name is None or not lows or not highs:
        return None

    def pick(cs: list[str]) -> str:
        return next((c for c in cs if any(w in c.lower() for w in ("effect", "delta",
                                                                    "change", "diff"))), cs[0])

    found = {"input": name, "low": pick(lows), "high": pick(highs)}
    base = _column(table, "base", "baseline", "base_value", "reference")
    if base:
        found["base"] = base
    return found


# Sweep outputs charted first, where present (the key outputs); then the others in order.
KEY_OUTPUTS = ("npv_export_revenue", "mean_pressure", "npv_transferred", "china_price",
               "npv_export_profit", "dependence_volume")
# Plain names of the sweep outputs (energymodel.metrics); others are made readable.
OUTPUT_NAMES = {
    "npv_export_revenue": "present value of export revenue",
    "npv_export_profit": "present value of export profit",
    "npv_transferred": "present value moved to the buyer",
    "mean_pressure": "mean price pressure",
    "mean_pressure_pct": "mean price pressure (%)",
    "dependence_volume": "the buyer's share of export volume",
    "npv_budget_take": "present value of the budget take",
}


def output_column(table: pd.DataFrame) -> str | None:
    return _column(table, "output", "metric")


def output_name(name: str, run: Results | None = None) -> str:
    """A sweep output in plain words ('npv_export_revenue' -> 'present value of export
    revenue'; 'export_revenue_2030s' -> 'export revenue in the 2030s')."""
    if name in OUTPUT_NAMES:
        return OUTPUT_NAMES[name]
    if name.startswith("export_revenue_") and name.endswith("s"):
        return f"export revenue in the {name[15:]}"
    if name.startswith("price_"):
        return f"price paid in {readable(name[6:])}"
    for prefix, words in (("capacity_", "capacity built: "), ("decision_year_",
                          "year decided: "), ("npv_revenue_", "present value of revenue: ")):
        if name.startswith(prefix):
            entity = name[len(prefix):]
            return words + (run.name_of(entity) if run is not None else readable(entity))
    return readable(name).lower()


def output_unit(name: str) -> str:
    """The unit of a sweep output, from its name (energymodel's output naming)."""
    if name.startswith("npv_") or name.endswith("_usd_bn"):
        return f"billion {MONEY_BASIS}"
    if name.startswith("export_revenue_"):
        return BN_Y
    if name.endswith("pct"):
        return "%"
    if "price" in name or "pressure" in name:
        return PRICE
    if "dependence" in name:
        return "share"
    if name.endswith("bcm_per_y") or name.startswith("capacity_"):
        return "bcm/y"
    if name.startswith("decision_year_"):
        return "year"
    return "unit of the output"


@cache
def _parameters() -> dict[str, str]:
    """Each data parameter's short description (schema/parameters.csv: the description up
    to its first comma, bracket or semicolon)."""
    from energymodel.units import UNITS_FILE

    table = pd.read_csv(UNITS_FILE.parent / "parameters.csv", dtype=str)
    short: dict[str, str] = {}
    for row in table.itertuples():
        text = str(row.description)
        for stop in (" (", ", ", "; ", ": "):
            text = text.split(stop)[0]
        short.setdefault(str(row.parameter), text[:1].lower() + text[1:])
    return short


FIELDS = {"beta": "bargaining power β", "theta": "seller power θ",
          "discount_rate": "discount rate"}
# Short plain names of the data parameters swept most often (others: the schema's words).
SHORT = {"price_cap": "LNG import parity", "ref_quantity": "demand level",
         "ref_price": "price level", "elasticity": "demand elasticity",
         "mc_intercept": "production cost", "mc_slope": "production cost slope",
         "unit_cost": "transport cost", "capex": "capital cost", "capacity": "capacity",
         "availability": "availability", "oil_price": "Brent price"}


def input_name(name: str, sweep: Sweep | None = None, run: Results | None = None) -> str:
    """A sweep input in plain words from the data: the entity's name and the parameter's
    description ('west_siberia.mc_intercept' -> 'West Siberia: marginal resource cost of
    production at zero output')."""
    spec = next((i for i in (sweep.manifest.get("inputs", []) if sweep else [])
                 if isinstance(i, dict) and i.get("name") == name), {})
    entity, parameter = spec.get("entity"), spec.get("parameter")
    if not entity or not parameter:
        parts = name.split(".")
        if len(parts) >= 2:
            entity, parameter = parts[-2], parts[-1]
        else:
            return FIELDS.get(name, readable(name))
    who = run.name_of(str(entity)) if run is not None else readable(str(entity))
    who = who.split(" (")[0]
    what = FIELDS.get(str(parameter)) or SHORT.get(str(parameter)) or _parameters().get(
        str(parameter)) or readable(str(parameter)).lower()
    scaled = " (× data)" if spec.get("mode") == "scale" else ""
    return f"{who}: {what}{scaled}"


def _per_output(table: pd.DataFrame, limit: int) -> list[tuple[str, pd.DataFrame]]:
    output = output_column(table)
    if output is None:
        return [("", table)]
    groups = {str(k): g for k, g in table.groupby(output, sort=False)}
    order = [k for k in KEY_OUTPUTS if k in groups] + [k for k in groups
                                                        if k not in KEY_OUTPUTS]
    return [(k, groups[k]) for k in order[:limit]]


def tornado(sweep: Sweep, limit: int = 4, top: int = 8, run: Results | None = None
            ) -> list[Chart]:
    """For each output (up to `limit`), each input's effect at its low and high bound: two
    bars side by side per input (never one over the other), measured from the reference
    level that the axis label states."""
    table = sweep.tables.get("tornado")
    cols = None if table is None else tornado_columns(table)
    if table is None or cols is None:
        return []
    charts = []
    for output, t in _per_output(table, limit):
        low, high = t[cols["low"]].astype(float), t[cols["high"]].astype(float)
        base = None
        if "base" in cols:
            base = float(t[cols["base"]].astype(float).mean())
            if not any(w in cols["low"].lower() for w in ("effect", "delta", "change",
                                                           "diff")):
                low, high = low - t[cols["base"]], high - t[cols["base"]]
        d = pd.DataFrame({"input": [input_name(str(i), sweep, run) for i in t[cols["input"]]],
                          "low": low.to_numpy(), "high": high.to_numpy()})
        d = d.assign(size=(d["high"] - d["low"]).abs()).nlargest(top, "size")
        unit = output_unit(output)
        plain = output_name(output) if output else "the output"
        lead = d.iloc[0]
        digits = 2 if abs(lead["size"]) < 10 else 0
        title = (f"{lead['input'].split(' (')[0]} moves the {plain} most: "
                 f"{lead['low']:+,.{digits}f} to {lead['high']:+,.{digits}f} {unit}")
        d = d.iloc[::-1]
        chart, ax = _figure(f"tornado_{output or 'output'}", title,
                            f"Source: energymodel sweep {sweep.folder.name}.",
                            height=0.45 * len(d) + 1.9)
        y = np.arange(len(d))
        ax.barh(y - 0.2, d["low"], height=0.38, color=GREYS[1], label="input at its low bound")
        ax.barh(y + 0.2, d["high"], height=0.38, color=GREYS[3], hatch="///",
                edgecolor="#6e6e6e", label="input at its high bound")
        ax.set_yticks(y, [textwrap.fill(s, 26, max_lines=2) for s in d["input"]])
        ax.axvline(0, color="#333333", linewidth=0.8)
        reference = (f"the reference {base:,.2f}" if base is not None and abs(base) < 100
                     else f"the reference {base:,.0f}" if base is not None
                     else "the reference point")
        ax.set_xlabel(textwrap.fill(f"change in the {plain} from {reference} [{unit}]", 36))
        chart.caveat = ("Reference level: the output at the inputs' base values"
                        + (f", {base:,.2f} {unit}." if base is not None else "."))
        charts.append(_sweep_bars(chart, ax, output, len(d)))
    return charts


def _sweep_bars(chart: Chart, ax: Axes, output: str, rows: int) -> Chart:
    """Finish a horizontal bar chart of sweep results (one bar group per input)."""
    ax.grid(axis="x")
    ax.grid(axis="y", visible=False)
    ax.legend(loc="lower left", bbox_to_anchor=(-0.65, 1.0), ncols=2, borderaxespad=0.2)
    chart.output = output
    return _finish(chart, left=2.0, top=0.75, bottom=1.05)


def _clipped(t: pd.DataFrame, index: str, conf: str | None) -> np.ndarray | None:
    """Error bars of an index whose interval is clipped to [0, 1] (2 x n: below, above)."""
    if conf is None:
        return None
    v, c = t[index].to_numpy(float).clip(0, 1), t[conf].to_numpy(float)
    return np.vstack([v - np.clip(v - c, 0, 1), np.clip(v + c, 0, 1) - v]).clip(0)


SOBOL_N = 512  # base samples below which Sobol indices are rough (wide intervals)


def sobol(sweep: Sweep, limit: int = 4, top: int = 8, run: Results | None = None
          ) -> list[Chart]:
    """For each output (up to `limit`), first-order (S1) and total (ST) Sobol indices with
    their confidence intervals (clipped to 0-1), and a caveat where N is too small."""
    table = sweep.tables.get("sobol")
    if table is None:
        return []
    name = _column(table, "input", "parameter", "factor", "name", "variable")
    s1, st = _column(table, "s1"), _column(table, "st")
    if name is None or s1 is None or st is None:
        return []
    c1, ct = _column(table, "s1_conf", "s1_ci"), _column(table, "st_conf", "st_ci")
    design = sweep.manifest.get("design", {}) if isinstance(sweep.manifest, dict) else {}
    n = design.get("n") if isinstance(design, dict) else None
    charts = []
    for output, t in _per_output(table, limit):
        t = t.nlargest(top, st)
        lead = t.iloc[0]
        plain = output_name(output) if output else "the output"
        lead_name = input_name(str(lead[name]), sweep, run)
        title = (f"{lead_name.split(' (')[0]} explains about {min(max(lead[st], 0), 1):.0%} "
                 f"of the variance of the {plain} (total effect)")
        rough = []
        if n is not None and int(n) < SOBOL_N:
            rough.append(f"N = {int(n)} base samples is small")
        if (t[s1] > t[st] + 1e-9).any():
            rough.append("S1 above ST for some inputs (sampling noise)")
        if (ct and (t[st] + t[ct] > 1).any()) or (c1 and (t[s1] - t[c1] < 0).any()):
            rough.append("intervals reach past 0 or 1 (clipped)")
        caveat = ("Caveat: " + "; ".join(rough) + ": read the ranking, not the values."
                  if rough else "")
        t = t.iloc[::-1]
        chart, ax = _figure(f"sobol_{output or 'output'}", title,
                            (caveat + " " if caveat else "")
                            + f"Source: energymodel sweep {sweep.folder.name}.",
                            height=0.45 * len(t) + 1.9)
        y = np.arange(len(t))

        ax.barh(y + 0.2, t[st].clip(0, 1), height=0.38, color=GREYS[3], hatch="///",
                edgecolor="#6e6e6e", label="total effect ST", xerr=_clipped(t, st, ct),
                error_kw={"elinewidth": 0.8, "capsize": 2})
        ax.barh(y - 0.2, t[s1].clip(0, 1), height=0.38, color=GREYS[0],
                label="first order S1", xerr=_clipped(t, s1, c1),
                error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#888888"})
        ax.set_yticks(y, [textwrap.fill(input_name(str(v), sweep, run), 26, max_lines=2)
                          for v in t[name]])
        ax.set_xlim(0, 1.05)
        ax.set_xlabel("share of the output's variance\n(bars: 95% confidence\ninterval)")
        chart.caveat = caveat
        charts.append(_sweep_bars(chart, ax, output, len(t)))
    return charts
