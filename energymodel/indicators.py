"""Indicators derived from the results tables: price pressure and dependence on the buyer
(README, "China's buyer power"), budget take, stranded capacity.

Per year y, for the buyer market (K = 0.0358 USD bn per bcm x USD/MMBtu):
    pressure_y      = benchmark price_y - price the buyer pays_y        [USD/MMBtu]
    pressure %      = pressure_y / benchmark price_y
    transferred_y   = pressure_y x the buyer's volume_y x K              [USD bn]
    dependence_y    = the buyer's share of Russia's export volume (and export revenue);
                      exports are every route that is not domestic
Means over 2030-2060 (over the whole horizon if it ends before 2030; the summary states the
years as mean_from_year and mean_to_year) weigh each year by the buyer's volume (pressure,
price) or Russia's export volume (dependence); NPVs use the model's discount weights.
Budget take_y = export duty x pipeline export revenue + extraction tax x production x K.
Stranded capacity: per pipeline, its peak and final utilisation and the idle capacity left.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from energymodel.inputs import Inputs
from energymodel.results import exporter, npv
from energymodel.results import exports as export_flows
from energymodel.scenario import Fiscal
from energymodel.units import K

WINDOW = (2030, 2060)


def with_tables(tables: dict[str, pd.DataFrame],
                added: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """`tables` with `added` ones; an added "summary" is appended to the summary."""
    out = {**tables, **{k: v for k, v in added.items() if k != "summary"}}
    if "summary" in added:
        out["summary"] = pd.concat([tables["summary"], added["summary"]], ignore_index=True)
    return out


def standard(tables: dict[str, pd.DataFrame], inp: Inputs) -> dict[str, pd.DataFrame]:
    """The indicators of every run: stranded capacity, and the budget take where the
    scenario gives fiscal terms (with its NPV as a summary row)."""
    out = {"stranded": stranded_capacity(tables["flows"])}
    fiscal = inp.scenario.fiscal
    if fiscal is not None:
        budget = budget_table(tables["flows"], tables["basins"], fiscal)
        out["budget"] = budget
        out["summary"] = pd.DataFrame(
            [("npv_budget_take", npv(budget, inp.years["weight"], "budget_take_usd_bn"),
              "USD bn")], columns=["metric", "value", "unit"])
    return out


def dependence_curve(lever: str, summaries: dict[float, pd.DataFrame]) -> pd.DataFrame:
    """One row per lever value x: the means and NPVs of the run at x (its summary table)."""
    rows = []
    for x, summary in summaries.items():
        s = summary.set_index("metric")["value"]
        rows.append({"lever": lever, "value": x,
                     **{k: s[k] for k in s.index if k.startswith(("mean_", "npv_"))}})
    return pd.DataFrame(rows)


def dependence(flows: pd.DataFrame, market: str) -> pd.DataFrame:
    """The buyer's share of Russia's export volume and revenue, by year."""
    exports = export_flows(flows).assign(buyer=lambda f: f["market"] == market)
    total = exports.groupby("year")[["flow_bcm_per_y", "revenue_usd_bn"]].sum()
    buyer = exports[exports["buyer"]].groupby("year")[["flow_bcm_per_y", "revenue_usd_bn"]].sum()
    share = buyer.reindex(total.index, fill_value=0.0) / total.replace(0.0, np.nan)
    return share.rename(columns={"flow_bcm_per_y": "dependence_volume",
                                 "revenue_usd_bn": "dependence_revenue"}).assign(
        export_volume_bcm_per_y=total["flow_bcm_per_y"])


def pressure_table(flows: pd.DataFrame, market: str, benchmark: pd.Series,
                   name: str) -> pd.DataFrame:
    """Price pressure on the exporter's gas in the buyer market by year: its volume, the
    price it is paid and the benchmark (each the volume-weighted mean over its routes
    there; the benchmark by (route, year)), with Russia's dependence on the market."""
    own = exporter(flows)
    rows = own[own["market"] == market].copy()
    rows["benchmark"] = benchmark.reindex(pd.MultiIndex.from_frame(rows[["route", "year"]])
                                          ).to_numpy()
    rows["weighted"] = rows["benchmark"] * rows["flow_bcm_per_y"]
    by = rows.groupby("year").agg(volume=("flow_bcm_per_y", "sum"),
                                  revenue=("revenue_usd_bn", "sum"),
                                  weighted=("weighted", "sum"), plain=("benchmark", "mean"))
    flowing = by["volume"] > 1e-9
    table = pd.DataFrame({
        "year": by.index, "market": market, "benchmark": name,
        "benchmark_price_usd_per_mmbtu": np.where(flowing, by["weighted"] / by["volume"]
                                                  .where(flowing, 1.0), by["plain"]),
        "price_usd_per_mmbtu": np.where(flowing, by["revenue"] / (K * by["volume"]
                                                                 .where(flowing, 1.0)),
                                        np.nan),
        "volume_bcm_per_y": by["volume"].to_numpy()})
    table["pressure_usd_per_mmbtu"] = (table["benchmark_price_usd_per_mmbtu"]
                                       - table["price_usd_per_mmbtu"])
    table["pressure_pct"] = 100 * table["pressure_usd_per_mmbtu"] / table[
        "benchmark_price_usd_per_mmbtu"]
    table["transferred_usd_bn"] = (table["pressure_usd_per_mmbtu"].fillna(0.0)
                                   * table["volume_bcm_per_y"] * K)
    shares = dependence(flows, market)
    return table.reset_index(drop=True).join(shares, on="year")


def mean_window(years: pd.Series) -> tuple[int, int]:
    """2030-2060 cut to the horizon, or the whole horizon if it ends before 2030."""
    first, last = int(years.min()), int(years.max())
    return (max(WINDOW[0], first), min(WINDOW[1], last)) if last >= WINDOW[0] else (first, last)


def pressure_summary(table: pd.DataFrame, weight: pd.Series) -> pd.DataFrame:
    """NPV transferred and volume-weighted means over the mean window (metric, value, unit)."""
    w = weight.reindex(table["year"]).to_numpy()
    start, end = mean_window(table["year"])
    window = table[(table["year"] >= start) & (table["year"] <= end)]
    volume = window["volume_bcm_per_y"]
    exports = window["export_volume_bcm_per_y"]

    def mean(column: str, weights: pd.Series) -> float:
        return float(np.average(window[column], weights=weights)) if weights.sum() > 0 else \
            float("nan")

    rows = [("npv_transferred", float((table["transferred_usd_bn"] * w).sum()), "USD bn"),
            ("mean_pressure", mean("pressure_usd_per_mmbtu", volume), "USD/MMBtu"),
            ("mean_pressure_pct", mean("pressure_pct", volume), "%"),
            ("mean_price", mean("price_usd_per_mmbtu", volume), "USD/MMBtu"),
            ("mean_dependence_volume", mean("dependence_volume", exports), "share"),
            ("mean_dependence_revenue", mean("dependence_revenue", exports), "share"),
            ("mean_from_year", float(start), "year"), ("mean_to_year", float(end), "year")]
    return pd.DataFrame(rows, columns=["metric", "value", "unit"])


def budget_table(flows: pd.DataFrame, basins: pd.DataFrame, fiscal: Fiscal) -> pd.DataFrame:
    """Russia's budget take from gas by year [USD bn]."""
    pipeline = exporter(flows)
    pipeline = pipeline[pipeline["kind"] == "pipeline"]
    duty = pipeline.groupby("year")["revenue_usd_bn"].sum() * fiscal.export_duty_pipeline
    own = basins[basins["basin"].isin(set(exporter(flows)["basin"]))]
    tax = own.groupby("year")["production_bcm_per_y"].sum() * (
        fiscal.extraction_tax_usd_per_mmbtu * K)
    table = pd.DataFrame({"export_duty_usd_bn": duty, "extraction_tax_usd_bn": tax})
    table["budget_take_usd_bn"] = table.sum(axis=1)
    return table.rename_axis("year").reset_index()


def stranded_capacity(flows: pd.DataFrame) -> pd.DataFrame:
    """Per pipeline with capacity: peak and last-year utilisation, idle capacity at the end,
    and the first year after the peak when it runs below half its capacity."""
    rows = []
    own = exporter(flows)
    pipes = own[(own["kind"] == "pipeline") & (own["capacity_bcm_per_y"] > 0)]
    for route, f in pipes.groupby("route"):
        f = f.sort_values("year")
        peak = f.iloc[f["utilisation"].argmax()]  # the first year at the peak
        after = f[(f["year"] > peak["year"]) & (f["utilisation"] < 0.5)]
        last = f.iloc[-1]
        rows.append({"route": route, "market": last["market"],
                     "peak_utilisation": peak["utilisation"], "peak_year": int(peak["year"]),
                     "final_utilisation": last["utilisation"],
                     "final_idle_capacity_bcm_per_y": last["capacity_bcm_per_y"]
                     - last["flow_bcm_per_y"],
                     "below_half_from": int(after["year"].iloc[0]) if len(after) else None})
    return pd.DataFrame(rows)
