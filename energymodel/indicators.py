"""Indicators derived from the results tables: price pressure and dependence on the buyer
(docs/buyer-power.md and docs/reported-numbers.md), budget take, stranded capacity.

Per year y, for the buyer market (K = 0.0358 USD bn per bcm x USD/MMBtu):
    pressure_y      = benchmark price_y - price the buyer pays_y        [USD/MMBtu]
    pressure %      = pressure_y / benchmark price_y
    transferred_y   = pressure_y x the buyer's volume_y x K              [USD bn]
    dependence_y    = the buyer's share of Russia's export volume (and export revenue);
                      exports are every route that is not domestic
One window for every pressure figure: 2030-2060 (the whole horizon if it ends before 2030;
the summary states it as mean_from_year and mean_to_year). Means over it weigh each model
year by the buyer's volume (pressure, price) or Russia's export volume (dependence) times
the calendar years its period stands for; percentages are ratios of sums; NPVs sum the
window's years with the model's discount weights (discounted to the horizon's start).
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
    """The indicators of every run: stranded capacity, the window (summary rows), and the
    budget take where the scenario gives fiscal terms (with its NPV as a summary row)."""
    out = {"stranded": stranded_capacity(tables["flows"])}
    rows = [(k, v, "year") for k, v in window(tables["flows"], tables["markets"]).items()]
    fiscal = inp.scenario.fiscal
    if fiscal is not None:
        budget = budget_table(tables["flows"], tables["basins"], fiscal)
        out["budget"] = budget
        rows.append(("npv_budget_take", npv(budget, inp.years["weight"],
                                            "budget_take_usd_bn"), "USD bn"))
    out["summary"] = pd.DataFrame(rows, columns=["metric", "value", "unit"])
    return out


WINDOW_SHARE = 0.5  # the window closes when the yearly figure falls below this share of its peak


def window(flows: pd.DataFrame, markets: pd.DataFrame) -> dict[str, float]:
    """How long Russia's window to earn from its gas stays open (docs/derivations.md,
    "The window"): the first model year after the peak in which its export revenue
    (revenue_window_end) and its export profit (profit_window_end) fall below WINDOW_SHARE
    of their peak year's, NaN if they never do within the horizon; and the first year the
    buyer market (role buyer in the data) takes more than half of its export volume
    (buyer_majority_year, NaN if never)."""
    own = export_flows(flows)
    yearly = own.groupby("year")[["revenue_usd_bn", "profit_usd_bn"]].sum()
    out = {}
    for column, key in (("revenue_usd_bn", "revenue_window_end"),
                        ("profit_usd_bn", "profit_window_end")):
        series = yearly[column]
        peak = series.idxmax() if len(series) else None
        after = series[(series.index > peak) & (series < WINDOW_SHARE * series.max())] \
            if peak is not None and series.max() > 0 else series.iloc[:0]
        out[key] = float(after.index[0]) if len(after) else float("nan")
    buyers = (list(markets.loc[markets["role"] == "buyer", "market"]) if "role" in markets
              else [])
    out["buyer_majority_year"] = float("nan")
    if buyers:
        share = dependence(flows, str(buyers[0]))["dependence_volume"]
        majority = share[share > 0.5]
        out["buyer_majority_year"] = float(majority.index[0]) if len(majority) else float("nan")
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


BENCHMARKS = {
    "competitive": "the border price at the joint-surplus optimum: the buyer's marginal "
                   "value of gas less its delivery cost (the border price of its marginal "
                   "alternative)",
    "alternative": "the buyer's cost of going without the exporter's gas: the border price "
                   "of its marginal alternative with every route of the exporter into the "
                   "market closed",
    "opportunity_cost": "the exporter's opportunity cost: the source basin's netback with "
                        "those routes closed (what its gas earns elsewhere, or its marginal "
                        "production cost where it has no other outlet) plus the route's "
                        "transport cost",
    "formula": "the route's contract formula: slope x lagged Brent + constant (routes with "
               "contract terms)"}


def benchmark_table(flows: pd.DataFrame, prices: pd.DataFrame) -> pd.DataFrame:
    """The exporter's routes into the buyer market by (route, year, benchmark): the price
    paid against each benchmark of `prices` (columns named as BENCHMARKS), the pressure
    (benchmark - price) and the revenue it moves (pressure x volume)."""
    own = exporter(flows).set_index(["route", "year"])
    own = own.loc[own.index.intersection(prices.index)]
    table = prices.loc[own.index].reset_index().melt(
        id_vars=["route", "year"], var_name="benchmark",
        value_name="benchmark_price_usd_per_mmbtu")
    paid = own.reindex(pd.MultiIndex.from_frame(table[["route", "year"]]))
    table["market"] = paid["market"].to_numpy()
    table["volume_bcm_per_y"] = paid["flow_bcm_per_y"].to_numpy()
    table["price_usd_per_mmbtu"] = paid["price_usd_per_mmbtu"].to_numpy()
    table["pressure_usd_per_mmbtu"] = (table["benchmark_price_usd_per_mmbtu"]
                                       - table["price_usd_per_mmbtu"])
    table["transferred_usd_bn"] = (table["pressure_usd_per_mmbtu"] * table["volume_bcm_per_y"]
                                   * K)
    return table[["market", "route", "year", "benchmark", "volume_bcm_per_y",
                  "price_usd_per_mmbtu", "benchmark_price_usd_per_mmbtu",
                  "pressure_usd_per_mmbtu", "transferred_usd_bn"]]


def window_mask(years: pd.Series) -> pd.Series:
    """Rows of the mean window (mean_window of the years)."""
    start, end = mean_window(years)
    return years.between(start, end)


def weighted_mean(values: pd.Series, weights: pd.Series) -> float:
    """sum(values x weights) / sum(weights); NaN where the weights sum to zero."""
    ok = values.notna() & (weights > 0)
    total = float(weights[ok].sum())
    return float((values[ok] * weights[ok]).sum() / total) if total > 0 else float("nan")


def benchmark_summary(table: pd.DataFrame, years: pd.DataFrame) -> pd.DataFrame:
    """Per benchmark, over the mean window: the means of the benchmark, the price paid and
    the pressure weighted by volume x the calendar years of each period; the pressure as a
    percentage of the benchmark (a ratio of those sums, over the route-years the benchmark
    defines); the NPV moved over the window [USD bn]."""
    rows = []
    for name, t in table.groupby("benchmark", sort=False):
        t = t[window_mask(t["year"]) & t["benchmark_price_usd_per_mmbtu"].notna()]
        span = years["length"].reindex(t["year"]).to_numpy()
        weight = t["volume_bcm_per_y"] * span
        rows.append({
            "benchmark": name, "definition": BENCHMARKS.get(str(name), ""),
            "from_year": int(t["year"].min()) if len(t) else np.nan,
            "to_year": int(t["year"].max()) if len(t) else np.nan,
            "benchmark_price_usd_per_mmbtu": weighted_mean(t["benchmark_price_usd_per_mmbtu"],
                                                           weight),
            "price_usd_per_mmbtu": weighted_mean(t["price_usd_per_mmbtu"], weight),
            "pressure_usd_per_mmbtu": weighted_mean(t["pressure_usd_per_mmbtu"], weight),
            "pressure_pct": 100 * ratio(t["pressure_usd_per_mmbtu"] * weight,
                                        t["benchmark_price_usd_per_mmbtu"] * weight),
            "npv_transferred_usd_bn": float((t["transferred_usd_bn"] * years["weight"].reindex(
                t["year"]).to_numpy()).sum())})
    return pd.DataFrame(rows)


def ratio(numerator: pd.Series, denominator: pd.Series) -> float:
    """sum(numerator) / sum(denominator): a percentage of sums, not a mean of ratios."""
    d = float(denominator.sum())
    return float(numerator.sum()) / d if d != 0 else float("nan")


def pressure_summary(table: pd.DataFrame, years: pd.DataFrame) -> pd.DataFrame:
    """The headline pressure over one window (metric, value, unit): the mean window for the
    means and the NPV alike. Means weigh each model year by the buyer's volume (pressure,
    price) or Russia's export volume (dependence) times the calendar years of its period;
    the percentage is a ratio of sums (pressure over benchmark, same weights); the NPV sums
    the discounted revenue moved in the window's years [USD bn]."""
    start, end = mean_window(table["year"])
    window = table[window_mask(table["year"])]
    span = years["length"].reindex(window["year"]).to_numpy()
    volume = window["volume_bcm_per_y"] * span
    exports = window["export_volume_bcm_per_y"] * span
    w = years["weight"].reindex(window["year"]).to_numpy()
    rows = [("npv_transferred", float((window["transferred_usd_bn"] * w).sum()), "USD bn"),
            ("mean_pressure", weighted_mean(window["pressure_usd_per_mmbtu"], volume),
             "USD/MMBtu"),
            ("mean_pressure_pct", 100 * ratio(window["pressure_usd_per_mmbtu"] * volume,
                                              window["benchmark_price_usd_per_mmbtu"] * volume),
             "%"),
            ("mean_price", weighted_mean(window["price_usd_per_mmbtu"], volume), "USD/MMBtu"),
            ("mean_dependence_volume", weighted_mean(window["dependence_volume"], exports),
             "share"),
            ("mean_dependence_revenue", weighted_mean(window["dependence_revenue"], exports),
             "share"),
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
