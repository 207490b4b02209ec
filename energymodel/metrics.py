"""Every scalar a run reports, defined once: what a sweep keeps per point, what `compare`
puts side by side and what the CLI summary and the briefing quote. A metric is parameterised
by the data's roles (the exporter, the buyer market) and by its markets and options, so no
market, supplier or option id is written here: `price_{buyer}` is `price_china` on the
reference data.

Groups (a sweep file names groups; each gives one or more columns):
    npv_export_revenue, npv_export_profit  the exporter's export NPVs [USD bn]
    revenue_by_decade   export_revenue_<decade>s: mean yearly export revenue of the calendar
                        years in the decade, each model year weighted by the years of its
                        period [USD bn/y]
    revenue_by_outlet   npv_revenue_<market>: NPV of export revenue per market [USD bn]
    buyer_price         price_<buyer>: the price the exporter gets in the buyer market, its
                        revenue there over its volume there, 2030-2060 [USD/MMBtu]
    price_pressure      mean_pressure [USD/MMBtu], mean_pressure_pct [%], mean_price
                        [USD/MMBtu] (buyer power only; the summary's, over its window)
    npv_transferred     NPV of the revenue moved to the buyer by the pressure [USD bn]
    decisions           decision_year_<option> (NaN: not built) and
                        capacity_<option> [bcm/y] built, for every investment option
    dependence          dependence_volume: the buyer's share of export volume 2030-2060
    budget_take         npv_budget_take [USD bn] (scenarios with fiscal terms)
    window              revenue_window_end, profit_window_end, buyer_majority_year [year]:
                        when export revenue and profit first fall below half their peak,
                        when the buyer first takes over half of export volume (NaN: never)
    checks              max_price_above_cap [USD/MMBtu]: the largest demand price above the
                        market's cap; npv_buyer_above_parity [USD bn]: NPV of the buyer's
                        payments for the exporter's gas above its LNG alternative at the
                        border (cap less delivery cost; a bargained levelised price may
                        exceed a falling parity in late years, not over the contract);
                        max_flow_above_capacity [bcm/y] (all <= 0 in a sound solution)
A value a scenario does not define (pressure without buyer power) is NaN. Means over a
window weigh each model year by its volume and the calendar years of its period.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import pandas as pd

from energymodel import indicators
from energymodel.results import exports, npv
from energymodel.units import K

Tables = Mapping[str, pd.DataFrame]


def buyer(tables: Tables) -> str | None:
    """The buyer market: the buyer-power market of the run, else the data's (role buyer)."""
    if "pressure" in tables and len(tables["pressure"]):
        return str(tables["pressure"]["market"].iloc[0])
    m = tables["markets"]
    if "role" in m:
        found = m.loc[m["role"] == "buyer", "market"]
        return str(found.iloc[0]) if len(found) else None
    return None


def _summary(tables: Tables, metric: str) -> float:
    s = tables["summary"].set_index("metric")["value"]
    return float(s.get(metric, np.nan))


def _window(tables: Tables) -> pd.DataFrame:
    flows = tables["flows"]
    start, end = indicators.mean_window(flows["year"])
    return flows[flows["year"].between(start, end)]


def _npvs(tables: Tables, weight: pd.Series, length: pd.Series) -> dict[str, float]:
    return {g: _summary(tables, g) for g in ("npv_export_revenue", "npv_export_profit")}


def _by_decade(tables: Tables, weight: pd.Series, length: pd.Series) -> dict[str, float]:
    yearly = exports(tables["flows"]).groupby("year")["revenue_usd_bn"].sum()
    span = length.reindex(yearly.index)
    decade = yearly.index // 10 * 10
    total = (yearly * span).groupby(decade).sum() / span.groupby(decade).sum()
    return {f"export_revenue_{d}s": float(v) for d, v in total.items()}


def _by_outlet(tables: Tables, weight: pd.Series, length: pd.Series) -> dict[str, float]:
    return {f"npv_revenue_{market}": npv(f, weight, "revenue_usd_bn")
            for market, f in exports(tables["flows"]).groupby("market")}


def _buyer_price(tables: Tables, weight: pd.Series, length: pd.Series) -> dict[str, float]:
    market = buyer(tables)
    if market is None:
        return {}
    f = exports(_window(tables))
    f = f[f["market"] == market]
    volume = (f["flow_bcm_per_y"] * length.reindex(f["year"]).to_numpy()).sum()
    revenue = (f["revenue_usd_bn"] * length.reindex(f["year"]).to_numpy()).sum()
    return {f"price_{market}": float(revenue / (K * volume)) if volume > 0 else np.nan}


def _pressure(tables: Tables, weight: pd.Series, length: pd.Series) -> dict[str, float]:
    return {g: _summary(tables, g) for g in ("mean_pressure", "mean_pressure_pct",
                                             "mean_price")}


def _transferred(tables: Tables, weight: pd.Series, length: pd.Series) -> dict[str, float]:
    return {"npv_transferred": _summary(tables, "npv_transferred")}


def _decisions(tables: Tables, weight: pd.Series, length: pd.Series) -> dict[str, float]:
    built = tables["investments"]
    out = {}
    options = sorted(set(built["option"]) | set(tables.get("options", pd.DataFrame(
        columns=["option"]))["option"]))
    for option in options:
        b = built[built["option"] == option]
        out[f"decision_year_{option}"] = float(b["decision_year"].min()) if len(b) else np.nan
        out[f"capacity_{option}"] = float(b["capacity_bcm_per_y"].sum())
    return out


def _dependence(tables: Tables, weight: pd.Series, length: pd.Series) -> dict[str, float]:
    market = buyer(tables)
    if market is None:
        return {"dependence_volume": np.nan}
    start, end = indicators.mean_window(tables["flows"]["year"])
    share = indicators.dependence(tables["flows"], market).loc[start:end]
    volume = share["export_volume_bcm_per_y"] * length.reindex(share.index)
    return {"dependence_volume": float(np.average(share["dependence_volume"].fillna(0.0),
                                                  weights=volume))
            if volume.sum() > 0 else np.nan}


def _budget(tables: Tables, weight: pd.Series, length: pd.Series) -> dict[str, float]:
    return {"npv_budget_take": _summary(tables, "npv_budget_take")}


def _window(tables: Tables, weight: pd.Series, length: pd.Series) -> dict[str, float]:
    return {g: _summary(tables, g) for g in ("revenue_window_end", "profit_window_end",
                                             "buyer_majority_year")}


def _checks(tables: Tables, weight: pd.Series, length: pd.Series) -> dict[str, float]:
    m, flows = tables["markets"], tables["flows"]
    above = m["price_usd_per_mmbtu"] - m["price_cap_usd_per_mmbtu"]
    out = {"max_price_above_cap": float(above[m["price_basis"] == "inverse demand"].max())}
    market = buyer(tables)
    if market is not None:
        f = exports(flows)
        f = f[f["market"] == market]
        cap = m.set_index(["market", "year"])["price_cap_usd_per_mmbtu"].loc[market]
        parity = cap.reindex(f["year"]).to_numpy() - f["delivery_cost_usd_per_mmbtu"].to_numpy()
        out["npv_buyer_above_parity"] = npv(f.assign(
            v=(f["price_usd_per_mmbtu"] - parity) * f["flow_bcm_per_y"] * K), weight, "v")
    out["max_flow_above_capacity"] = float(
        (flows["flow_bcm_per_y"] - flows["availability"] * flows["capacity_bcm_per_y"]).max())
    return out


GROUPS: dict[str, Callable[[Tables, pd.Series, pd.Series], dict[str, float]]] = {
    "npv_export_revenue": lambda t, w, n: {"npv_export_revenue":
                                           _summary(t, "npv_export_revenue")},
    "npv_export_profit": lambda t, w, n: {"npv_export_profit":
                                          _summary(t, "npv_export_profit")},
    "revenue_by_decade": _by_decade,
    "revenue_by_outlet": _by_outlet,
    "buyer_price": _buyer_price,
    "price_pressure": _pressure,
    "npv_transferred": _transferred,
    "decisions": _decisions,
    "dependence": _dependence,
    "budget_take": _budget,
    "window": _window,
    "checks": _checks,
}
OUTPUT_GROUPS = tuple(GROUPS)


def key_outputs(tables: Tables, years: pd.DataFrame,
                groups: tuple[str, ...] | list[str] = OUTPUT_GROUPS) -> dict[str, float]:
    """The key outputs of one solve's tables; `years` is the model's periods (index year:
    weight [discounted years], length [calendar years])."""
    out: dict[str, float] = {}
    for group in groups:
        if group not in GROUPS:
            raise ValueError(f"unknown output group {group!r}")
        out.update(GROUPS[group](tables, years["weight"], years["length"]))
    return out
