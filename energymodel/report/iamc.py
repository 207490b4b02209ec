"""Results in the IAMC long format (model, scenario, region, variable, unit, year, value), the
exchange format of the integrated-assessment community (pyam, the IIASA scenario explorers).

Variables, `|`-separated from general to specific (region: where the quantity is located):
    Trade|Gas|Export|Russia[|<outlet>]           bcm/yr           region Russia
    Revenue|Gas|Export|Russia[|<outlet>]         billion US$/yr   region Russia
    Profit|Gas|Export|Russia                     billion US$/yr   region Russia
    Production|Gas|<basin>                       bcm/yr           region Russia
    Capacity|Gas|Pipeline|<route>                bcm/yr           region Russia
    Capacity Utilisation|Gas|Pipeline|<route>    %                region Russia
    Price|Gas|Import|Russia                      US$/MMBtu        region: the market
    Price|Gas|Import|Russia|Benchmark            US$/MMBtu        region: the buyer market
    Price Pressure|Gas|Import|Russia             US$/MMBtu        region: the buyer market
    Revenue Transferred|Gas|Export|Russia|<buyer> billion US$/yr  region Russia
    Dependence|Gas|Export|Russia|<buyer>          %               region Russia
Outlets: Europe, Turkey, China, LNG (the global LNG market, region World), Domestic.
With 5-year periods each model year is the first year of its period.
"""

from __future__ import annotations

import pandas as pd

from energymodel.results import Results, exporter

COLUMNS = ["model", "scenario", "region", "variable", "unit", "year", "value"]
OUTLETS = {"europe": "Europe", "turkey": "Turkey", "china": "China", "lng_global": "LNG",
           "russia_domestic": "Domestic"}
REGIONS = {"europe": "Europe", "turkey": "Turkey", "china": "China", "lng_global": "World",
           "russia_domestic": "Russia"}
BCM, USD_BN, PRICE = "bcm/yr", "billion US$/yr", "US$/MMBtu"


def _name(code: str, names: dict[str, str]) -> str:
    return names.get(code, _label(code))


def _rows(values: pd.Series, variable, unit: str, region="Russia") -> pd.DataFrame:
    """A series indexed by (key, year) or year to IAMC rows; `variable`/`region` may be
    functions of the key."""
    v = values.reset_index()
    v.columns = [*v.columns[:-1], "value"]
    key = v.columns[0] if v.shape[1] == 3 else None
    return pd.DataFrame({
        "region": v[key].map(region) if callable(region) else region,
        "variable": v[key].map(variable) if callable(variable) else variable,
        "unit": unit, "year": v["year"].astype(int), "value": v["value"].astype(float)})


def to_iamc(run: Results, model: str = "energymodel") -> pd.DataFrame:
    """One run's results as an IAMC long table, sorted by region, variable and year."""
    f = run.tables["flows"]
    exports = run.exports
    base = "Trade|Gas|Export|Russia"
    revenue = "Revenue|Gas|Export|Russia"
    frames = [
        _rows(exports.groupby("year")["flow_bcm_per_y"].sum(), base, BCM),
        _rows(exports.groupby(["market", "year"])["flow_bcm_per_y"].sum(),
              lambda m: f"{base}|{_name(m, OUTLETS)}", BCM),
        _rows(exports.groupby("year")["revenue_usd_bn"].sum(), revenue, USD_BN),
        _rows(exports.groupby(["market", "year"])["revenue_usd_bn"].sum(),
              lambda m: f"{revenue}|{_name(m, OUTLETS)}", USD_BN),
        _rows(exports.groupby("year")["profit_usd_bn"].sum(), "Profit|Gas|Export|Russia",
              USD_BN),
        _rows(run.tables["basins"].set_index(["basin", "year"])["production_bcm_per_y"],
              lambda b: f"Production|Gas|{_label(b)}", BCM),
    ]
    own = exporter(f)
    pipes = own[own["kind"] == "pipeline"].set_index(["route", "year"])
    frames += [
        _rows(pipes["capacity_bcm_per_y"], lambda r: f"Capacity|Gas|Pipeline|{_label(r)}", BCM),
        _rows(100 * pipes["utilisation"].dropna(),
              lambda r: f"Capacity Utilisation|Gas|Pipeline|{_label(r)}", "%"),
        _rows(run.tables["markets"].set_index(["market", "year"])["price_usd_per_mmbtu"],
              "Price|Gas|Import|Russia", PRICE, region=lambda m: _name(m, REGIONS)),
    ]
    p = run.tables.get("pressure")
    if p is not None and not p.empty:
        buyer = str(p["market"].iloc[0])
        region, who = _name(buyer, REGIONS), _name(buyer, OUTLETS)
        p = p.set_index("year")
        frames += [
            _rows(p["benchmark_price_usd_per_mmbtu"], "Price|Gas|Import|Russia|Benchmark",
                  PRICE, region),
            _rows(p["pressure_usd_per_mmbtu"], "Price Pressure|Gas|Import|Russia", PRICE,
                  region),
            _rows(p["transferred_usd_bn"], f"Revenue Transferred|Gas|Export|Russia|{who}",
                  USD_BN),
            _rows(100 * p["dependence_volume"], f"Dependence|Gas|Export|Russia|{who}", "%"),
        ]
    table = pd.concat(frames, ignore_index=True).dropna(subset=["value"])
    table.insert(0, "scenario", run.name)
    table.insert(0, "model", model)
    return table[COLUMNS].sort_values(["region", "variable", "year"], ignore_index=True)


def _label(code: str) -> str:
    """'power_of_siberia_1' -> 'Power of Siberia 1', 'yamal_gydan_lng' -> 'Yamal Gydan LNG'."""
    words = {"of": "of", "lng": "LNG", "and": "and"}
    return " ".join(words.get(w, w.capitalize()) for w in code.split("_"))
