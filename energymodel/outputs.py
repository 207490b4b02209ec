"""Key outputs of one solve as scalars: what a sweep keeps per point and `compare` puts side
by side.

Groups (a sweep file names groups; each gives one or more columns):
    npv_export_revenue, npv_export_profit  NPV at the scenario's rate [USD bn]
    revenue_by_decade   export_revenue_<decade>s: mean yearly export revenue of the model
                        years in the decade [USD bn/y]
    revenue_by_outlet   npv_revenue_<market>: NPV of revenue per export market [USD bn]
    china_price         china_price: China's price, mean 2030-2060 weighted by its volume
                        [USD/MMBtu]
    price_pressure      mean_pressure [USD/MMBtu], mean_pressure_pct [%] (buyer power only)
    npv_transferred     NPV of the revenue moved to the buyer by the pressure [USD bn]
    pos2_decision_year  decision year of Power of Siberia 2 (NaN: not built) and
                        pos2_capacity_bcm_per_y built
    dependence          dependence_volume: China's share of export volume, mean 2030-2060
                        weighted by export volume
    budget_take         npv_budget_take [USD bn] (scenarios with fiscal terms)
    checks              max_price_above_cap [USD/MMBtu]: largest price minus price cap over
                        the market-years priced on their demand curve; npv_china_above_parity
                        [USD bn]: NPV of China's payment minus its volume at its LNG import
                        parity (a bargained levelised price may exceed a falling parity in
                        late years, not over the contract); max_flow_above_capacity [bcm/y]:
                        largest flow minus available capacity over route-years (all <= 0 in
                        a sound solution)
A value a scenario does not define (pressure without buyer power) is NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from energymodel import indicators
from energymodel.results import exports, npv
from energymodel.units import K

BUYER = "china"
POS2 = "pos2_pipeline"
OUTPUT_GROUPS = ("npv_export_revenue", "npv_export_profit", "revenue_by_decade",
                 "revenue_by_outlet", "china_price", "price_pressure", "npv_transferred",
                 "pos2_decision_year", "dependence", "budget_take", "checks")


def key_outputs(tables: dict[str, pd.DataFrame], weight: pd.Series,
                groups: tuple[str, ...] | list[str] = OUTPUT_GROUPS) -> dict[str, float]:
    """The key outputs of one solve's tables; `weight` is the discount weight by year."""
    summary = tables["summary"].set_index("metric")["value"]
    flows = tables["flows"]
    export = exports(flows)
    window = indicators.mean_window(flows["year"])
    out: dict[str, float] = {}
    for group in groups:
        if group in ("npv_export_revenue", "npv_export_profit", "npv_transferred"):
            out[group] = float(summary.get(group, np.nan))
        elif group == "revenue_by_decade":
            yearly = export.groupby("year")["revenue_usd_bn"].sum()
            for decade, value in yearly.groupby(yearly.index // 10 * 10).mean().items():
                out[f"export_revenue_{decade}s"] = float(value)
        elif group == "revenue_by_outlet":
            for market, f in export.groupby("market"):
                out[f"npv_revenue_{market}"] = npv(f, weight, "revenue_usd_bn")
        elif group == "china_price":
            m = tables["markets"]
            m = m[(m["market"] == BUYER) & m["year"].between(*window)]
            volume = m["volume_bcm_per_y"]
            out["china_price"] = float(np.average(m["price_usd_per_mmbtu"], weights=volume)) \
                if volume.sum() > 0 else np.nan
        elif group == "price_pressure":
            out["mean_pressure"] = float(summary.get("mean_pressure", np.nan))
            out["mean_pressure_pct"] = float(summary.get("mean_pressure_pct", np.nan))
        elif group == "pos2_decision_year":
            built = tables["investments"]
            built = built[built["option"] == POS2]
            out["pos2_decision_year"] = float(built["decision_year"].min()) if len(built) \
                else np.nan
            out["pos2_capacity_bcm_per_y"] = float(built["capacity_bcm_per_y"].sum())
        elif group == "dependence":
            share = indicators.dependence(flows, BUYER).loc[window[0]:window[1]]
            volume = share["export_volume_bcm_per_y"]
            out["dependence_volume"] = float(np.average(
                share["dependence_volume"].fillna(0.0), weights=volume)) \
                if volume.sum() > 0 else np.nan
        elif group == "budget_take":
            out["npv_budget_take"] = float(summary.get("npv_budget_take", np.nan))
        elif group == "checks":
            m = tables["markets"]
            above = m["price_usd_per_mmbtu"] - m["price_cap_usd_per_mmbtu"]
            on_curve = m["price_basis"] == "inverse demand"
            out["max_price_above_cap"] = float(above[on_curve].max())
            china = m[m["market"] == BUYER]
            out["npv_china_above_parity"] = npv(china.assign(
                v=(china["price_usd_per_mmbtu"] - china["price_cap_usd_per_mmbtu"])
                * china["volume_bcm_per_y"] * K), weight, "v")
            out["max_flow_above_capacity"] = float(
                (flows["flow_bcm_per_y"] - flows["availability"] * flows["capacity_bcm_per_y"])
                .max())
        else:
            raise ValueError(f"unknown output group {group!r}")
    return out
