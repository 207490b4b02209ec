"""Key findings: the numbers a briefing leads with, and sentences worded from them.

Definitions (export = the exporter's routes that are not domestic, results.exports; revenue
in USD bn per year; the buyer is the buyer-power market, else the data's role buyer):
    cumulative revenue  = sum over model years of export revenue x calendar years of its period
    NPV                 = the results' summary `npv_export_revenue` (discounted to the start)
    buyer overtakes     = the first year the buyer's export revenue exceeds every other
                          outlet's
    window (revenue)    = years from the start until export revenue first falls below half of
                          its peak, after the peak
    window (buyer)      = years from the start until the buyer first takes more than half of
                          the exporter's export volume
    price pressure      = the results' volume-weighted mean pressure 2030-2060 and NPV
                          transferred (summary of the pressure table)
    window (profit)     = as the revenue window, on export profit
The summary's own window rows (`revenue_window_end`, `profit_window_end`,
`buyer_majority_year`) are used where the results have them. Ranges (10th-90th percentile)
come from the summary's `p10`/`p90` columns (a scenario that names an uncertainty study) or
else from a sweep of the same scenario given to the report.
Money is in real 2025 US dollars (`energymodel.units.MONEY_BASIS`).
Wording follows thresholds and signs of these numbers; no result is written into the text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from energymodel.indicators import window
from energymodel.metrics import buyer
from energymodel.report.load import Sweep
from energymodel.results import Results
from energymodel.units import MONEY_WORDS

Number = float | int | None

DECADE = 12  # a monetisation window up to this many years counts as "about a decade"
FLAT = 0.05  # USD/MMBtu: smaller price pressure is "close to the benchmark"


@dataclass
class Finding:
    """One key finding: its sentence and the numbers in it (for tables and tests)."""

    key: str
    text: str
    values: dict[str, Number | str] = field(default_factory=dict)


def export_revenue(run: Results) -> pd.Series:
    """Export revenue by model year [USD bn/y]."""
    return run.exports.groupby("year")["revenue_usd_bn"].sum().reindex(run.years,
                                                                       fill_value=0.0)


def revenue_by_outlet(run: Results) -> pd.DataFrame:
    """Export revenue by outlet (columns) and model year (rows) [USD bn/y]."""
    return run.exports.pivot_table(index="year", columns="market", values="revenue_usd_bn",
                                   aggfunc="sum").reindex(run.years).fillna(0.0)


def buyer_name(run: Results) -> str:
    market = buyer(run.tables)
    return run.name_of(market) if market else "the buyer"


def buyer_share(run: Results) -> pd.Series:
    """The buyer's share of the exporter's export volume by model year."""
    e = run.exports
    total = e.groupby("year")["flow_bcm_per_y"].sum()
    bought = e[e["market"] == buyer(run.tables)].groupby("year")["flow_bcm_per_y"].sum()
    return (bought.reindex(total.index, fill_value=0.0) / total.where(total > 0)).reindex(
        run.years)


WINDOW_ROWS = ("revenue_window_end", "profit_window_end", "buyer_majority_year")


def window_years(run: Results) -> dict[str, int | None]:
    """The window (indicators.window): the summary's rows, or computed from the tables for
    results written before the summary had them; None: not within the horizon."""
    s = run.summary.set_index("metric")["value"]
    found = ({k: float(s[k]) for k in WINDOW_ROWS} if all(k in s for k in WINDOW_ROWS)
             else window(run.flows, run.markets))
    return {k: None if math.isnan(v) else round(v) for k, v in found.items()}


def numbers(run: Results) -> dict[str, Any]:
    """Every number the key findings quote, computed from the run's tables."""
    revenue = export_revenue(run)
    first, last = run.years[0], run.years[-1]
    peak_year = int(str(revenue.idxmax()))
    outlets = revenue_by_outlet(run)
    market = buyer(run.tables)
    mine = outlets.get(market, pd.Series(0.0, index=run.years))
    others = outlets.drop(columns=[market], errors="ignore").max(axis=1).reindex(
        run.years).fillna(0.0)
    overtakes = mine[mine > others + 1e-9]
    cumulative = float((revenue * run.period_years).sum())
    years = window_years(run)
    half, profit_half = years["revenue_window_end"], years["profit_window_end"]
    majority = years["buyer_majority_year"]
    return {
        "first_year": first, "last_year": last,
        "cumulative_export_revenue": cumulative,
        "npv_export_revenue": run.value("npv_export_revenue"),
        "npv_export_profit": run.value("npv_export_profit"),
        "discount_rate": run.scenario.discount_rate,
        "peak_year": peak_year, "peak_export_revenue": float(revenue.max()),
        "final_export_revenue": float(revenue.iloc[-1]),
        "buyer": buyer_name(run), "exporter": run.name_of(run.exporter),
        "buyer_overtakes_year": int(overtakes.index[0]) if len(overtakes) else None,
        "main_outlet_final": run.name_of(str(outlets.iloc[-1].idxmax())) if outlets.size
        else None,
        "half_peak_year": half,
        "years_to_half_peak": half - first if half is not None else None,
        "profit_half_peak_year": profit_half,
        "buyer_majority_year": majority,
        "years_to_buyer_majority": majority - first if majority is not None else None,
        "mean_pressure": run.value("mean_pressure"),
        "mean_pressure_pct": run.value("mean_pressure_pct"),
        "npv_transferred": run.value("npv_transferred"),
        "mean_from_year": run.value("mean_from_year"),
        "mean_to_year": run.value("mean_to_year"),
    }


# Ranges ------------------------------------------------------------------------------------

MIN_POINTS = 10  # a sweep with fewer successful points gives no range


@dataclass
class Spread:
    """The 10th and 90th percentile of an output, and where they come from."""

    low: float
    high: float
    source: str


def sweep_points(run: Results, sweep: Sweep | None) -> pd.DataFrame | None:
    """The successful points of a sweep of this run's scenario (by the sweep manifest's
    scenario name, where it records one), or None."""
    if sweep is None or "points" not in sweep.tables:
        return None
    scenario = sweep.manifest.get("scenario")
    name = scenario.get("name") if isinstance(scenario, dict) else None
    if name is not None and name != run.name:
        return None
    points = sweep.tables["points"]
    if "status" in points.columns:
        points = points[points["status"] == "ok"]
    return points if len(points) >= MIN_POINTS else None


def spread(run: Results, metric: str, sweep: Sweep | None = None) -> Spread | None:
    """The 10-90% range of a summary metric: the summary's own percentiles (an uncertainty
    study) where given, else over the points of a sweep of the same scenario."""
    s = run.summary
    if {"p10", "p90"} <= set(s.columns):
        row = s[s["metric"] == metric]
        if len(row):
            low, high = float(row["p10"].iloc[0]), float(row["p90"].iloc[0])
            if not (math.isnan(low) or math.isnan(high)):
                return Spread(low, high, "the scenario's uncertainty study")
    points = sweep_points(run, sweep)
    if points is None or metric not in points.columns:
        return None
    values = pd.to_numeric(points[metric], errors="coerce").dropna()
    if len(values) < MIN_POINTS:
        return None
    low, high = np.quantile(values.to_numpy(float), [0.1, 0.9])
    return Spread(float(low), float(high), f"{len(values)} points of the sweep "
                  f"{sweep.folder.name if sweep else ''}".strip())


def prob_positive(run: Results, sweep: Sweep | None = None) -> float | None:
    """The probability that the buyer's price pressure is positive: the summary's
    `prob_pressure_positive` (an uncertainty study), else the share of a sweep's points."""
    value = run.value("prob_pressure_positive")
    if value is not None and not math.isnan(value):
        return value
    points = sweep_points(run, sweep)
    if points is None or "mean_pressure" not in points.columns:
        return None
    values = pd.to_numeric(points["mean_pressure"], errors="coerce").dropna()
    return float((values > 0).mean()) if len(values) >= MIN_POINTS else None


# Wording -----------------------------------------------------------------------------------


def _bn(x: float) -> str:
    return f"USD {x:,.0f} bn" if abs(x) >= 10 else f"USD {x:,.1f} bn"


def _range(r: Spread | None, digits: int = 0, unit: str = "") -> str:
    """' (likely 450–600)': a range in the text's own rounding, or nothing."""
    if r is None:
        return ""
    return f" (10–90% range {r.low:,.{digits}f} to {r.high:,.{digits}f}{unit})"


def _amount(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:,.1f}"


@dataclass
class BottomLine:
    """Page one's answer: a few plain sentences and the numbers in them."""

    sentences: list[str]
    values: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return " ".join(self.sentences)

    @property
    def words(self) -> int:
        return len(self.text.split())


def leverage_table(run: Results) -> pd.DataFrame | None:
    """The decomposition of the buyer's leverage by driver (`leverage` table: driver, name,
    price_effect_usd_per_mmbtu, npv_to_buyer_usd_bn, explanation; a `total` row), or None."""
    t = run.tables.get("leverage")
    need = {"driver", "name", "price_effect_usd_per_mmbtu", "npv_to_buyer_usd_bn"}
    if t is None or t.empty or not need <= set(t.columns):
        return None
    return t


def leverage_parts(run: Results) -> tuple[pd.DataFrame, float] | None:
    """The leverage table's driver rows and the total change in the buyer's price
    [USD/MMBtu] (its `total` row, else the drivers' sum), or None without a table."""
    t = leverage_table(run)
    if t is None:
        return None
    drivers = t[t["driver"] != "total"]
    total_row = t[t["driver"] == "total"]
    total = float(total_row["price_effect_usd_per_mmbtu"].iloc[0]) if len(total_row) \
        else float(drivers["price_effect_usd_per_mmbtu"].sum())
    return drivers, total


def leverage_sentence(run: Results, top: int = 2) -> str | None:
    """'Of China's price advantage of X USD/MMBtu, Y comes from ..., Z from ...'."""
    found = leverage_parts(run)
    if found is None:
        return None
    drivers, total = found
    who = buyer_name(run)
    if abs(total) < 0.005:
        return (f"Against the reference world the drivers leave {who}'s price unchanged "
                f"(within 0.01 USD/MMBtu).")
    advantage = total < 0  # negative effect: the buyer pays less
    # each driver's share of the change, in the direction of the total
    ordered = drivers.assign(part=-drivers["price_effect_usd_per_mmbtu"] if advantage
                             else drivers["price_effect_usd_per_mmbtu"])
    ordered = ordered.sort_values("part", ascending=False)
    helping = ordered[ordered["part"] > 0.005].head(top)
    parts = [f"{part:.2f}{' comes' if k == 0 else ''} from {_lower(str(name))}" for k, (part, name)
             in enumerate(zip(helping["part"], helping["name"], strict=True))]
    against = ordered[ordered["part"] < -0.005]
    what = (f"Of {who}'s price advantage of {-total:.2f} USD/MMBtu against the reference "
            "world" if advantage else f"Of the {total:.2f} USD/MMBtu {who} pays above the "
            "reference world")
    text = f"{what}, " + (" and ".join(parts) if parts else "no single driver stands out")
    if len(against):
        row = against.iloc[-1]
        text += f"; {_lower(str(row['name']))} works the other way ({row['part']:+.2f})"
    return text + "."


def _lower(name: str) -> str:
    """A driver's name inside a sentence ('Europe closed' -> 'Europe closed'; 'Capital sunk'
    -> 'capital sunk'): the first letter lowered unless the word is a name."""
    first = name.split(" ")[0]
    return name if first[:1].isupper() and first[1:2].islower() and first in PROPER else (
        name[:1].lower() + name[1:])


PROPER = {"Europe", "Europe's", "China", "China's", "Russia", "Russia's", "LNG", "Central",
          "Power", "Turkey"}


def bottom_line(runs: list[Results], sweep: Sweep | None = None) -> BottomLine:
    """Page one's answer for the first run: what the exporter earns and when the buyer
    becomes its main outlet, what the buyer's leverage is worth and where it comes from, how
    long the window is; with 10-90% ranges where an uncertainty study or sweep gives them."""
    run = runs[0]
    n = numbers(run)
    who, seller, last = n["buyer"], n["exporter"], n["last_year"]
    r_npv = spread(run, "npv_export_revenue", sweep)
    sentences = []
    npv = n["npv_export_revenue"]
    earn = (f"{seller} earns {_bn(n['cumulative_export_revenue'])} from gas exports over "
            f"{n['first_year']}–{last}")
    if npv is not None and n["discount_rate"] is not None:
        inner = _range(r_npv)[2:-1]
        earn += (f", worth {_bn(npv)} in present value (discounted at "
                 f"{n['discount_rate']:.0%} real{'; ' + inner if inner else ''})")
    sentences.append(earn + ".")
    over, majority = n["buyer_overtakes_year"], n["buyer_majority_year"]
    half_volume = (f"takes over half of its export volume from {majority}" if majority
                   is not None else f"never takes half of its export volume by {last}")
    if over is None:
        sentences.append(f"{who} does not become its largest buyer by revenue before {last} "
                         f"and {half_volume}.")
    elif over == majority:
        sentences.append(f"{who} becomes its largest buyer by revenue and takes over half of "
                         f"its export volume in {over}.")
    else:
        when = (f"is already its largest buyer by revenue in {over}" if over == n[
            "first_year"] else f"becomes its largest buyer by revenue in {over}")
        sentences.append(f"{who} {when} and {half_volume}.")
    moved, p = n["npv_transferred"], n["mean_pressure"]
    if moved is not None and p is not None:
        r_moved = spread(run, "npv_transferred", sweep)
        chance = prob_positive(run, sweep)
        window = f"{n['mean_from_year']:.0f}–{n['mean_to_year']:.0f}"
        if moved >= 0:
            worth = f"{who}'s buying power is worth {_bn(moved)} to it today{_range(r_moved)}"
        else:
            worth = (f"{who}'s buying power does not bind: {seller} gains {_bn(-moved)} "
                     f"today{_range(r_moved)}")
        if p > FLAT:
            price = f"it pays {p:.2f} USD/MMBtu below the competitive price over {window}"
        elif p < -FLAT:
            price = f"it pays {-p:.2f} USD/MMBtu above the competitive price over {window}"
        else:
            price = f"it pays close to the competitive price over {window}"
        if chance is not None:
            price += f", and less than that price in {chance:.0%} of cases"
        sentences.append(f"{worth}; {price}.")
    lever = leverage_sentence(run)
    if lever:
        sentences.append(lever)
    half, profit = n["half_peak_year"], n["profit_half_peak_year"]
    rev = (f"export revenue stays above half its peak through {last}" if half is None else
           f"export revenue falls below half its peak in {half}")
    prof = (f"export profit stays above half its peak through {last}" if profit is None
            else f"export profit falls below half its peak in {profit}")
    if (half is None) == (profit is None) and half == profit:
        sentences.append(f"The window: {rev}, and so does export profit.")
    else:
        sentences.append(f"The window: {rev}; {prof}.")
    return BottomLine(sentences, {"npv_export_revenue": npv, "npv_transferred": moved,
                                  "buyer_overtakes_year": over, "buyer_majority_year": majority,
                                  "half_peak_year": half, "profit_half_peak_year": profit,
                                  "npv_low": r_npv.low if r_npv else None,
                                  "npv_high": r_npv.high if r_npv else None})


def money_basis_note() -> str:
    """The sentence stating the money basis, for every page that shows money."""
    return (f"All money is in {MONEY_WORDS} (the discount rate is real; the data's future "
            "prices are real estimates); the hindcast's observed values are nominal US "
            "dollars of their year.")


def key_findings(runs: list[Results]) -> list[Finding]:
    """Three to six findings: for the first run, and a comparison with each other run."""
    run = runs[0]
    n = numbers(run)
    found = [_revenue(n), _outlet(n), _pressure(run, n), _window(n)]
    found += [_compare(run, other) for other in runs[1:3]]
    return [f for f in found if f is not None][:6]


def _revenue(n: dict) -> Finding:
    fall = 1 - n["final_export_revenue"] / n["peak_export_revenue"] if n[
        "peak_export_revenue"] > 0 else 0.0
    if fall > 0.5:
        path = (f"peaks in {n['peak_year']} at {_bn(n['peak_export_revenue'])} a year and "
                f"falls by {fall:.0%} to {_bn(n['final_export_revenue'])} in {n['last_year']}")
    elif fall > 0.1:
        path = (f"peaks in {n['peak_year']} at {_bn(n['peak_export_revenue'])} a year and "
                f"eases to {_bn(n['final_export_revenue'])} in {n['last_year']}")
    else:
        path = (f"holds near its peak of {_bn(n['peak_export_revenue'])} a year "
                f"({n['peak_year']}) to {n['last_year']}")
    npv = "" if n["npv_export_revenue"] is None else (
        f" (net present value {_bn(n['npv_export_revenue'])} at "
        f"{n['discount_rate']:.0%})")
    return Finding("revenue", f"{n['exporter']} earns {_bn(n['cumulative_export_revenue'])} "
                   "from gas "
                   f"exports over {n['first_year']}–{n['last_year']}{npv}; export revenue "
                   f"{path}.", {k: n[k] for k in ("cumulative_export_revenue",
                                                   "npv_export_revenue", "peak_year",
                                                   "peak_export_revenue",
                                                   "final_export_revenue")})


def _outlet(n: dict) -> Finding:
    year, main, who = n["buyer_overtakes_year"], n["main_outlet_final"], n["buyer"]
    if year is None:
        text = (f"{who} does not become the largest outlet for {n['exporter']}'s gas before "
                f"{n['last_year']}; the largest export outlet in {n['last_year']} is {main}.")
    elif year == n["first_year"]:
        text = (f"{who} is already the largest outlet for {n['exporter']}'s gas in {year}; "
                f"by {n['last_year']} the largest export outlet is {main}.")
    else:
        text = (f"{who} becomes the largest outlet for {n['exporter']}'s gas in {year}; by "
                f"{n['last_year']} the largest export outlet is {main}.")
    return Finding("outlet", text, {"buyer_overtakes_year": year})


def _pressure(run: Results, n: dict) -> Finding | None:
    if n["mean_pressure"] is None or "pressure" not in run.tables:
        return None
    p, moved = n["mean_pressure"], n["npv_transferred"]
    benchmark = str(run.tables["pressure"]["benchmark"].iloc[0])
    window = f"{n['mean_from_year']:.0f}–{n['mean_to_year']:.0f}"
    seller, who = n["exporter"], n["buyer"]
    if moved is None:
        flow = ""
    elif moved >= 0:
        flow = f"moving {_bn(moved)} (net present value) from {seller} to {who}"
    else:
        flow = f"moving {_bn(-moved)} (net present value) from {who} to {seller}"
    if p > FLAT:
        text = (f"{who} pays on average {p:.2f} USD/MMBtu "
                f"({n['mean_pressure_pct']:.0f}%) less than the {benchmark} benchmark over "
                f"{window}" + (f", {flow}" if flow else "") + ".")
    elif p < -FLAT:
        text = (f"{who} pays on average {-p:.2f} USD/MMBtu more than the {benchmark} "
                f"benchmark over {window}: its buyer power does not bind"
                + (f"; over the whole horizon the pressure ends up {flow}" if flow else "")
                + ".")
    else:
        text = (f"{who} pays close to the {benchmark} benchmark over {window} (within "
                f"{FLAT:.2f} USD/MMBtu on average; {p:.2f})"
                + (f"; over the whole horizon the pressure ends up {flow}" if flow else "")
                + ".")
    return Finding("pressure", text, {"mean_pressure": p, "npv_transferred": moved})


def _window(n: dict) -> Finding:
    half, majority, who = n["years_to_half_peak"], n["years_to_buyer_majority"], n["buyer"]
    if half is None:
        first = (f"export revenue stays above half of its peak through {n['last_year']}, a "
                 "monetisation window longer than the horizon")
    else:
        size = "about a decade" if half <= DECADE else "well over a decade"
        first = (f"export revenue falls below half of its peak in {n['half_peak_year']}, "
                 f"{half} years from {n['first_year']} ({size})")
    profit = n["profit_half_peak_year"]
    first += ("; export profit stays above half of its peak through " + str(n["last_year"])
              if profit is None else f"; export profit falls below half of its peak in "
              f"{profit}")
    if majority is None:
        second = f"{who} never takes more than half of export volume before {n['last_year']}"
    elif majority == 0:
        second = f"{who} already takes more than half of export volume in {n['first_year']}"
    else:
        second = (f"{who} takes more than half of export volume from "
                  f"{n['buyer_majority_year']}, after {majority} years")
    return Finding("window", f"Monetisation window: {first}; {second}.",
                   {"years_to_half_peak": half, "profit_half_peak_year": profit,
                    "years_to_buyer_majority": majority})


def _compare(base: Results, other: Results) -> Finding | None:
    a, b = base.value("npv_export_revenue"), other.value("npv_export_revenue")
    if a is None or b is None:
        return None
    diff = b - a
    pct = diff / a if a else float("nan")
    if abs(pct) < 0.01:
        text = (f"Under {other.name} the net present value of export revenue is within 1% of "
                f"{base.name} ({_bn(b)}).")
    else:
        word = "higher" if diff > 0 else "lower"
        text = (f"Under {other.name} the net present value of export revenue is "
                f"{_bn(abs(diff))} ({abs(pct):.0%}) {word} than under {base.name}: {_bn(b)}.")
    return Finding(f"compare:{other.name}", text, {"npv_difference": diff})
