"""What to watch: the oddities a run shows, each picked by a rule from the numbers and
explained in a sentence, for the briefing's short box. A rule that finds nothing says nothing.

Rules (thresholds below):
    negative pressure  years the buyer pays more than its benchmark
    capacity steps     a pipeline opening near its full capacity in one year, or losing
                       capacity without a policy (a built unit reaching the end of its life)
    observed 2025      a scenario whose first-year figures break the observed ones: the
                       validation table's misses, and a bargained contract that would price
                       the first year away from the buyer's observed price
    unmoved outputs    outputs that do not move with a lever: export volumes equal across
                       the scenarios compared, the buyer's price flat along a dependence
                       curve, sweep outputs constant over the sweep
    kept outlets       a market still earning after policies cut its routes (a route left
                       partly open)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from energymodel.errors import InputError
from energymodel.metrics import buyer
from energymodel.report.findings import buyer_name, export_revenue
from energymodel.report.load import Sweep
from energymodel.report.tables import data_directory
from energymodel.results import Results, exporter
from energymodel.units import factor

NEGATIVE = -0.01  # USD/MMBtu: pressure below this is the buyer paying above its benchmark
OPENS_FULL = 0.8  # share of its later peak capacity a pipeline reaches in its first year
STEP = 1.0  # bcm/y: a capacity fall at least this large is a step
SAME_VOLUME = 0.005  # relative: export volumes within this are "the same"
FLAT_PRICE = 0.02  # USD/MMBtu: a price moving less along a lever does not move


@dataclass
class Watch:
    """One thing to watch: a short key (for tests) and its explanation."""

    key: str
    text: str


def what_to_watch(runs: list[Results], sweep: Sweep | None = None) -> list[Watch]:
    """Every oddity the rules find in the runs (first run first), at most two per rule; one
    the runs share is said once, naming them."""
    shared: dict[tuple[str, str], list[str]] = {}
    for run in runs:
        for rule in (negative_pressure, capacity_steps, observed_first_year, kept_outlets,
                     flat_along_lever):
            for w in rule(run)[:2]:
                shared.setdefault((w.key, w.text), []).append(run.name)
    found = [Watch(key, (f"{', '.join(names)}: " if len(runs) > 1 and len(names) < len(runs)
                         else "") + text) for (key, text), names in shared.items()]
    found += same_volumes(runs)
    found += constant_in_sweep(sweep, runs[0])
    return found


def _span(years: list[int]) -> str:
    """'2050–2060' or '2050' or '2031, 2050–2060'."""
    runs: list[list[int]] = []
    for y in sorted(years):
        if runs and y - runs[-1][-1] <= 5 and y - runs[-1][-1] > 0 and (
                len(runs[-1]) < 2 or y - runs[-1][-1] == runs[-1][-1] - runs[-1][-2]):
            runs[-1].append(y)
        else:
            runs.append([y])
    return ", ".join(f"{r[0]}–{r[-1]}" if len(r) > 1 else f"{r[0]}" for r in runs)


def negative_pressure(run: Results) -> list[Watch]:
    p = run.tables.get("pressure")
    if p is None or p.empty:
        return []
    below = p[p["pressure_usd_per_mmbtu"] < NEGATIVE]
    if below.empty:
        return []
    who = run.name_of(str(p["market"].iloc[0]))
    worst = float(-below["pressure_usd_per_mmbtu"].min())
    moved = run.value("npv_transferred")
    net = ("" if moved is None else
           f" Over the whole horizon the pressure still moves {abs(moved):,.0f} USD bn "
           f"(present value) {'to' if moved >= 0 else 'away from'} {who}.")
    return [Watch("negative_pressure",
                  f"{who} pays more than its {p['benchmark'].iloc[0]} benchmark in "
                  f"{_span([int(y) for y in below['year']])} (by up to {worst:.2f} "
                  "USD/MMBtu). The bargain fixes the contract's value over its whole life, "
                  "not year by year: the price follows lagged Brent while the benchmark "
                  f"falls with {who}'s alternatives, so late years can sit above it.{net}")]


def capacity_steps(run: Results) -> list[Watch]:
    pipes = exporter(run.flows)
    pipes = pipes[pipes["kind"] == "pipeline"]
    found = []
    built = run.investments
    for route, r in pipes.groupby("route"):
        r = r.drop_duplicates("year").set_index("year").sort_index()
        cap, peak = r["capacity_bcm_per_y"], r["capacity_bcm_per_y"].max()
        if peak <= STEP:
            continue
        name = run.name_of(str(route))
        steps = cap.diff().dropna()
        opened = cap[cap > 1e-6]
        if len(opened) and opened.index[0] > cap.index[0] and (
                opened.iloc[0] >= OPENS_FULL * peak):
            found.append(Watch("capacity_step", f"{name} opens in {opened.index[0]} at "
                               f"{opened.iloc[0]:.0f} bcm/y, {opened.iloc[0] / peak:.0%} of "
                               "its peak capacity, with no ramp-up: the data give this "
                               "pipeline no ramp rule."))
        avail = r["availability"] if "availability" in r.columns else None
        for when, change in steps[steps <= -STEP].items():
            year = int(str(when))
            if avail is not None and avail.get(year, 1.0) < avail.shift().get(year, 1.0):
                continue  # a policy: the utilisation chart names it
            unit = built[(built["route"] == route)
                         & np.isclose(built["capacity_bcm_per_y"], -change, rtol=0.05)]
            why = (f": the unit the model builds (online {int(unit['online_year'].iloc[0])}) "
                   f"reaches the end of its economic life after "
                   f"{int(year) - int(unit['online_year'].iloc[0])} years"
                   if len(unit) else ": capacity in the data ends")
            found.append(Watch("capacity_step", f"{name}'s capacity falls from "
                               f"{cap[year] - change:.0f} to {cap[year]:.0f} bcm/y in "
                               f"{int(year)}{why}."))
    return found


def observed_price(run: Results, market: str, year: int) -> tuple[float, float] | None:
    """The buyer's observed price in `year` and its tolerance [USD/MMBtu]: from the
    validation table, else from the data's history.csv (converted from its unit)."""
    v = run.tables.get("validation")
    if v is not None and not v.empty:
        row = v[(v["quantity"] == "price") & (v["entity"] == market) & (v["year"] == year)]
        if len(row):
            return float(row["observed"].iloc[0]), float(row["tolerance"].iloc[0])
    directory, _ = data_directory(run)
    path = None if directory is None else directory / "history.csv"
    if path is None or not path.is_file():
        return None
    h = pd.read_csv(path)
    row = h[(h["quantity"] == "price") & (h["entity"] == market) & (h["year"] == year)]
    if row.empty:
        return None
    try:
        f = factor(str(row["unit"].iloc[0]), "USD/MMBtu")
    except (ValueError, InputError):
        return None
    return float(row["value"].iloc[0]) * f, float(row["tolerance"].iloc[0]) * f


def observed_first_year(run: Results) -> list[Watch]:
    found = []
    v = run.tables.get("validation")
    if v is not None and not v.empty and "within_tolerance" in v.columns:
        for row in v[~v["within_tolerance"].astype(bool)].itertuples():
            found.append(Watch("observed", f"The modelled {row.quantity} of "
                               f"{run.name_of(str(row.entity))} in {row.year} "
                               f"({row.modelled:.2f} {row.unit}) misses the observed "
                               f"{row.observed:.2f} by more than its tolerance "
                               f"({row.tolerance:.2f})."))
    c = run.tables.get("contract")
    market = buyer(run.tables)
    if c is not None and not c.empty and market:
        first = c.sort_values("year").iloc[0]
        seen = observed_price(run, market, int(first["year"]))
        if seen is not None and abs(first["price_usd_per_mmbtu"] - seen[0]) > seen[1]:
            who = buyer_name(run)
            found.append(Watch("observed", f"The bargained contract would price {who}'s gas "
                               f"at {first['price_usd_per_mmbtu']:.2f} USD/MMBtu in "
                               f"{int(first['year'])}, against the observed {seen[0]:.2f} "
                               f"(tolerance {seen[1]:.2f}): this scenario describes new "
                               "contracts, not today's; the legacy contract still prices "
                               f"the existing pipeline at the observed level."))
    return found


def kept_outlets(run: Results) -> list[Watch]:
    """A market still earning after policies cut some of its routes: the routes left partly
    open carry it."""
    e = run.exports
    if "availability" not in e.columns:
        return []
    found = []
    cut = e[(e["kind"] == "pipeline") & (e["availability"] < 1 - 1e-9)]
    for market, rows in cut.groupby("market"):
        closed = rows[rows["availability"] <= 1e-9]
        if closed.empty:
            continue
        since = int(closed["year"].max()) if closed["year"].max() == run.years[-1] else None
        last_cut = int(rows["year"].min())
        partly = rows[(rows["availability"] > 1e-9) & (rows["flow_bcm_per_y"] > 0.05)
                      & (rows["year"] > last_cut)]
        if since is None or partly.empty:
            continue
        late = partly[partly["year"] == partly["year"].max()].iloc[0]
        revenue = e[(e["market"] == market) & (e["year"] == late["year"])][
            "revenue_usd_bn"].sum()
        found.append(Watch("kept_outlet", f"{run.name_of(str(market))} still buys "
                           f"{late['flow_bcm_per_y']:.1f} bcm/y in {int(late['year'])} "
                           f"(USD {revenue:.1f} bn) although policies close most of its "
                           f"routes: {run.name_of(str(late['route']))} keeps "
                           f"{late['availability']:.0%} of its capacity under them (buyers "
                           "the policies do not cover)."))
    return found


def flat_along_lever(run: Results) -> list[Watch]:
    d = run.tables.get("dependence")
    if d is None or len(d) < 2 or "mean_price" not in d.columns:
        return []
    dep = d["mean_dependence_volume"]
    price = d["mean_price"]
    if np.ptp(price.to_numpy(float)) >= FLAT_PRICE or np.ptp(dep.to_numpy(float)) < 0.02:
        return []
    lever = str(d["lever"].iloc[0]).replace("_", " ")
    return [Watch("unmoved", f"{buyer_name(run)}'s mean price stays within {FLAT_PRICE} "
                  f"USD/MMBtu along {lever} although its share of export volume moves from "
                  f"{dep.min():.0%} to {dep.max():.0%}: the lever changes where the gas goes, "
                  "not what the buyer's alternatives cost.")]


def same_volumes(runs: list[Results]) -> list[Watch]:
    if len(runs) < 2:
        return []
    base = runs[0].exports.groupby("year")["flow_bcm_per_y"].sum()
    found = []
    for other in runs[1:]:
        volume = other.exports.groupby("year")["flow_bcm_per_y"].sum()
        if not base.index.equals(volume.index):
            continue
        gap = float((volume - base).abs().max() / max(base.abs().max(), 1e-9))
        revenue_gap = float((export_revenue(other) - export_revenue(runs[0])).abs().max())
        if gap <= SAME_VOLUME and revenue_gap > 0.05:
            found.append(Watch("unmoved", f"Export volumes are the same in {runs[0].name} and "
                               f"{other.name} (within {SAME_VOLUME:.1%}) while revenue "
                               f"differs by up to USD {revenue_gap:.1f} bn a year: what "
                               "differs between them moves the price, not the quantities "
                               "(a bargain chooses the volumes that maximise the two sides' "
                               "joint gain, then splits it by the price)."))
    return found


def constant_in_sweep(sweep: Sweep | None, run: Results | None = None) -> list[Watch]:
    if sweep is None or "skipped" not in sweep.tables:
        return []
    t = sweep.tables["skipped"]
    if "reason" not in t.columns or "output" not in t.columns:
        return []
    from energymodel.report.charts import output_name  # charts import findings, not this

    constant = t[t["reason"].astype(str).str.startswith("constant")]["output"].astype(str)
    constant = constant[~constant.str.startswith("max_")]  # the solution checks: 0 if sound
    if constant.empty:
        return []
    names = "; ".join(output_name(c, run) for c in constant.head(5)) + (
        f" and {len(constant) - 5} more" if len(constant) > 5 else "")
    return [Watch("unmoved", f"Over the sweep {sweep.folder.name} these outputs do not move "
                  f"at all ({names}): none of the inputs swept reaches them (a decision that "
                  "is the same everywhere, or a quantity fixed by capacity or policy).")]
