"""Results in the IAMC long format (model, scenario, region, variable, unit, year, value), the
exchange format of the integrated-assessment community (pyam, the IIASA scenario explorers).

Variables, `|`-separated from general to specific. <Exporter> is the exporter's name and
<market>, <basin>, <route> are names from the data; regions come from the data's `region`
column (the exporter's region unless said otherwise):
    Trade|Gas|Export|<Exporter>[|<market>]          bcm/yr
    Revenue|Gas|Export|<Exporter>[|<market>]        billion USD_2025/yr
    Profit|Gas|Export|<Exporter>                    billion USD_2025/yr
    Production|Gas|<basin>                          bcm/yr           region: the basin's supplier
    Capacity|Gas|Pipeline|<route>                   bcm/yr
    Capacity Utilisation|Gas|Pipeline|<route>       %
    Price|Gas|Import|<Exporter>                     USD_2025/MMBtu   region: the export market
        (the exporter's volume-weighted price at its border in that market; export markets
        only: the exporter's domestic sales are not an import anywhere)
    Price|Gas|Import|<Exporter>|Benchmark           USD_2025/MMBtu   region: the buyer
    Price Pressure|Gas|Import|<Exporter>            USD_2025/MMBtu   region: the buyer
    Revenue Transferred|Gas|Export|<Exporter>|<buyer> billion USD_2025/yr
    Dependence|Gas|Export|<Exporter>|<buyer>          %
With 5-year periods each model year is the first year of its period. Money is in real US
dollars of 2025 (`energymodel.units.MONEY_BASIS`), named in every money unit.
"""

from __future__ import annotations

import pandas as pd

from energymodel.results import Results, exporter
from energymodel.units import MONEY_BASIS

COLUMNS = ["model", "scenario", "region", "variable", "unit", "year", "value"]
BCM, USD_BN, PRICE = "bcm/yr", f"billion {MONEY_BASIS}/yr", f"{MONEY_BASIS}/MMBtu"


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
    name, seller = run.name_of, run.name_of(run.exporter)
    home = run.region_of(run.exporter)
    exports = run.exports
    trade, revenue = f"Trade|Gas|Export|{seller}", f"Revenue|Gas|Export|{seller}"
    by_market = exports.groupby(["market", "year"])
    basins = run.tables["basins"]
    supplier = basins.drop_duplicates("basin").set_index("basin")["supplier"] \
        if "supplier" in basins else pd.Series(dtype=str)
    frames = [
        _rows(exports.groupby("year")["flow_bcm_per_y"].sum(), trade, BCM, home),
        _rows(by_market["flow_bcm_per_y"].sum(), lambda m: f"{trade}|{name(m)}", BCM, home),
        _rows(exports.groupby("year")["revenue_usd_bn"].sum(), revenue, USD_BN, home),
        _rows(by_market["revenue_usd_bn"].sum(), lambda m: f"{revenue}|{name(m)}", USD_BN,
              home),
        _rows(exports.groupby("year")["profit_usd_bn"].sum(), f"Profit|Gas|Export|{seller}",
              USD_BN, home),
        _rows(basins.set_index(["basin", "year"])["production_bcm_per_y"],
              lambda b: f"Production|Gas|{name(b)}", BCM,
              region=lambda b: run.region_of(str(supplier.get(b, run.exporter)))),
        _rows(_imports_only(_border_price(exports), run, home), f"Price|Gas|Import|{seller}",
              PRICE, region=run.region_of),
    ]
    pipes = exporter(run.flows)
    pipes = pipes[pipes["kind"] == "pipeline"].set_index(["route", "year"])
    frames += [
        _rows(pipes["capacity_bcm_per_y"], lambda r: f"Capacity|Gas|Pipeline|{name(r)}", BCM,
              home),
        _rows(100 * pipes["utilisation"].dropna(),
              lambda r: f"Capacity Utilisation|Gas|Pipeline|{name(r)}", "%", home),
    ]
    p = run.tables.get("pressure")
    if p is not None and not p.empty:
        buyer = str(p["market"].iloc[0])
        region, who = run.region_of(buyer), name(buyer)
        p = p.set_index("year")
        frames += [
            _rows(p["benchmark_price_usd_per_mmbtu"], f"Price|Gas|Import|{seller}|Benchmark",
                  PRICE, region),
            _rows(p["pressure_usd_per_mmbtu"], f"Price Pressure|Gas|Import|{seller}", PRICE,
                  region),
            _rows(p["transferred_usd_bn"], f"Revenue Transferred|Gas|Export|{seller}|{who}",
                  USD_BN, home),
            _rows(100 * p["dependence_volume"], f"Dependence|Gas|Export|{seller}|{who}", "%",
                  home),
        ]
    table = pd.concat(frames, ignore_index=True).dropna(subset=["value"])
    table.insert(0, "scenario", run.name)
    table.insert(0, "model", model)
    return table[COLUMNS].sort_values(["region", "variable", "year"], ignore_index=True)


def _border_price(exports: pd.DataFrame) -> pd.Series:
    """The exporter's volume-weighted border price by (market, year), US$/MMBtu; years with no
    flow to a market have none."""
    flowing = exports[(exports["flow_bcm_per_y"] > 0) & (exports["kind"] != "domestic")]
    weight = flowing["flow_bcm_per_y"]
    paid = (flowing["price_usd_per_mmbtu"] * weight).groupby(
        [flowing["market"], flowing["year"]]).sum()
    return paid / weight.groupby([flowing["market"], flowing["year"]]).sum()


def _imports_only(prices: pd.Series, run: Results, home: str) -> pd.Series:
    """Prices by (market, year) of the markets outside the exporter's own region: a sale at
    home is no import, so no domestic price sits under an `Import` variable."""
    markets = prices.index.get_level_values(0)
    return prices[[run.region_of(str(m)) != home for m in markets]]
