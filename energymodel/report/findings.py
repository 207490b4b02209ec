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
Wording follows thresholds on these numbers; no result is written into the text.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from energymodel.metrics import buyer
from energymodel.results import Results

DECADE = 12  # a monetisation window up to this many years counts as "about a decade"
FLAT = 0.05  # USD/MMBtu: smaller price pressure is "close to the benchmark"


@dataclass
class Finding:
    """One key finding: its sentence and the numbers in it (for tables and tests)."""

    key: str
    text: str
    values: dict[str, float | int | None] = field(default_factory=dict)


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


def numbers(run: Results) -> dict[str, float | int | None]:
    """Every number the key findings quote, computed from the run's tables."""
    revenue = export_revenue(run)
    first, last = run.years[0], run.years[-1]
    peak_year = int(revenue.idxmax())
    after = revenue[(revenue.index > peak_year) & (revenue < 0.5 * revenue.max())]
    outlets = revenue_by_outlet(run)
    market = buyer(run.tables)
    mine = outlets.get(market, pd.Series(0.0, index=run.years))
    others = outlets.drop(columns=[market], errors="ignore").max(axis=1).reindex(
        run.years).fillna(0.0)
    overtakes = mine[mine > others + 1e-9]
    share = buyer_share(run)
    majority = share[share > 0.5]
    cumulative = float((revenue * run.period_years).sum())
    return {
        "first_year": first, "last_year": last,
        "cumulative_export_revenue": cumulative,
        "npv_export_revenue": run.value("npv_export_revenue"),
        "discount_rate": run.scenario.discount_rate,
        "peak_year": peak_year, "peak_export_revenue": float(revenue.max()),
        "final_export_revenue": float(revenue.iloc[-1]),
        "buyer": buyer_name(run), "exporter": run.name_of(run.exporter),
        "buyer_overtakes_year": int(overtakes.index[0]) if len(overtakes) else None,
        "main_outlet_final": run.name_of(str(outlets.iloc[-1].idxmax())) if outlets.size
        else None,
        "half_peak_year": int(after.index[0]) if len(after) else None,
        "years_to_half_peak": int(after.index[0]) - first if len(after) else None,
        "buyer_majority_year": int(majority.index[0]) if len(majority) else None,
        "years_to_buyer_majority": int(majority.index[0]) - first if len(majority) else None,
        "mean_pressure": run.value("mean_pressure"),
        "mean_pressure_pct": run.value("mean_pressure_pct"),
        "npv_transferred": run.value("npv_transferred"),
        "mean_from_year": run.value("mean_from_year"),
        "mean_to_year": run.value("mean_to_year"),
    }


def key_findings(runs: list[Results]) -> list[Finding]:
    """Three to six findings: for the first run, and a comparison with each other run."""
    run = runs[0]
    n = numbers(run)
    found = [_revenue(n), _outlet(n), _pressure(run, n), _window(n)]
    found += [_compare(run, other) for other in runs[1:3]]
    return [f for f in found if f is not None][:6]


def _bn(x: float) -> str:
    return f"USD {x:,.0f} bn" if abs(x) >= 10 else f"USD {x:,.1f} bn"


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
    p = n["mean_pressure"]
    benchmark = str(run.tables["pressure"]["benchmark"].iloc[0])
    window = f"{n['mean_from_year']:.0f}–{n['mean_to_year']:.0f}"
    if p > FLAT:
        text = (f"{n['buyer']} pays on average {p:.2f} USD/MMBtu "
                f"({n['mean_pressure_pct']:.0f}%) less than the {benchmark} benchmark over "
                f"{window}, moving {_bn(n['npv_transferred'])} (net present value) from "
                f"{n['exporter']} to {n['buyer']}.")
    elif p < -FLAT:
        text = (f"{n['buyer']} pays on average {-p:.2f} USD/MMBtu more than the {benchmark} "
                f"benchmark over {window}: its buyer power does not bind, and {n['exporter']} "
                "gains "
                f"{_bn(-n['npv_transferred'])} (net present value).")
    else:
        text = (f"{n['buyer']} pays close to the {benchmark} benchmark over {window} (within "
                f"{FLAT:.2f} USD/MMBtu on average; {p:.2f}), so little revenue moves to it "
                f"({_bn(n['npv_transferred'])}, net present value).")
    return Finding("pressure", text, {"mean_pressure": p, "npv_transferred":
                                      n["npv_transferred"]})


def _window(n: dict) -> Finding:
    half, majority, who = n["years_to_half_peak"], n["years_to_buyer_majority"], n["buyer"]
    if half is None:
        first = (f"export revenue stays above half of its peak through {n['last_year']}, a "
                 "monetisation window longer than the horizon")
    else:
        size = "about a decade" if half <= DECADE else "well over a decade"
        first = (f"export revenue falls below half of its peak in {n['half_peak_year']}, "
                 f"{half} years from {n['first_year']} ({size})")
    if majority is None:
        second = f"{who} never takes more than half of export volume before {n['last_year']}"
    elif majority == 0:
        second = f"{who} already takes more than half of export volume in {n['first_year']}"
    else:
        second = (f"{who} takes more than half of export volume from "
                  f"{n['buyer_majority_year']}, after {majority} years")
    return Finding("window", f"Monetisation window: {first}; {second}.",
                   {"years_to_half_peak": half, "years_to_buyer_majority": majority})


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
