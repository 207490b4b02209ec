"""Results of a solve: tidy tables with units in their column names, and a run manifest.

Definitions (per route r, year y; K = 0.0358 USD bn per bcm x USD/MMBtu):
    revenue          = price of r's market x flow x K, price from the market's inverse demand
    transport_cost   = unit cost x flow x K
    production_cost  = the basin's production cost, shared over its routes by volume
    capacity_cost    = annuity + fixed O&M of investment units online on r
    profit           = revenue - transport_cost - production_cost - capacity_cost
Export = every route of the exporter (the supplier with role exporter: Russia) whose kind is
not 'domestic'; Russia's figures (revenue, profit, budget, dependence) count its own routes
only, other suppliers take part in the markets with their own conduct. NPV of a yearly
value v: sum_y W_y v_y with W_y the discounted years of period y (inputs.py). Marginal values
and rents come from the duals of the constraints, converted to USD/MMBtu of the period.

The tables close (docs/derivations.md, "Netback identity"): on every route-year with flow
    price = unit cost + basin netback + capacity rent - contracted-minimum cost
            + markup + demand-limit rent + contract wedge
where the first four are the route's optimality condition (marginal value of the market =
unit cost + netback + capacity rent - contracted-minimum cost) and the last three explain
the market's price against its marginal value: the seller's markup (theta x slope x volume),
the rent of a full demand segment (a price-taker's quantity, a flat segment at a price cap)
and the wedge of a price set outside the inverse demand (a bargained contract, a buyer's
price). Each basin-year: netback = marginal cost + capacity rent + reserves rent + buyer-side
term of a monopsony QP (linear supply cost).
"""

from __future__ import annotations

import json
import platform
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from energymodel import demand
from energymodel._version import __version__
from energymodel.data import DataSet
from energymodel.engine import Solve
from energymodel.errors import InputError, display_path
from energymodel.inputs import Inputs
from energymodel.publish import json_bytes, publish, write_tables
from energymodel.safety import ResultsFolder
from energymodel.scenario import Scenario, validate_scenario
from energymodel.solver import versions
from energymodel.units import K

TABLES = ("flows", "markets", "basins", "investments", "summary")
TOL = 1e-6  # bcm/y: a flow or capacity below this is zero; interior-point solutions sit
# within about 1e-8 of their bounds, so a segment this close to full counts as full
COLUMNS = {
    "flow_bcm_per_y": "gas delivered on the route",
    "supplier": "who sells on the route or produces in the basin (suppliers.csv)",
    "role": "the supplier's role: exporter (the modelled exporter, Russia), rival or domestic "
            "(the buyer's own production)",
    "capacity_bcm_per_y": "existing plus new capacity (nameplate), before availability",
    "availability": "share of capacity usable under the scenario's policies",
    "usable_capacity_bcm_per_y": "availability x capacity: what the route can carry",
    "utilisation": "flow / usable capacity (0 where none is usable); for basins flow / "
                   "capacity",
    "price_usd_per_mmbtu": "flows: the price the route's seller gets at its border (a legacy "
                           "contract's formula, a bargained or buyer-set price, or the "
                           "market's demand price less the buyer's delivery cost: "
                           "price_basis); markets: the inverse demand at the volume",
    "price_basis": "what sets the price: the inverse demand, a bargained contract, the "
                   "buyer (monopsony) or Russia's marginal cost (monopsony QP)",
    "demand_price_usd_per_mmbtu": "the market's inverse demand at the volume sold",
    "marginal_value_usd_per_mmbtu": "dual of the market balance: value of one more bcm/y, "
                                    "in the solve that set the volumes (for a bargained "
                                    "market: the joint-surplus solve, see duals_from)",
    "duals_from": "the solve whose duals the marginal values and rents are: Russia's "
                  "optimum, or the joint-surplus optimum of a bargain",
    "markup_usd_per_mmbtu": "seller's markup: demand price - marginal value of the marginal "
                            "segment (theta x slope x volume); on the route of a supplier "
                            "with Cournot conduct, plus theta_s x slope x its own sales",
    "demand_limit_rent_usd_per_mmbtu": "dual of a full demand segment's quantity (a price "
                                       "taker's reference quantity, a flat segment at a "
                                       "price cap): marginal segment's value - marginal value",
    "contract_wedge_usd_per_mmbtu": "price - demand price: a price set outside the inverse "
                                    "demand (bargained contract, buyer's price)",
    "capacity_rent_usd_per_mmbtu": "dual of the route's capacity limit (0 where no capacity "
                                   "is usable); for basins of the production capacity",
    "min_flow_cost_usd_per_mmbtu": "dual of the contracted minimum flow: what delivering the "
                                   "last contracted bcm/y costs Russia",
    "reserves_rent_usd_per_mmbtu": "dual of the basin's reserves limit in the year "
                                   "(Hotelling rent)",
    "buyer_term_usd_per_mmbtu": "buyer-side term phi x d x output of a monopsony QP in the "
                                "basin's netback",
    "revenue_usd_bn": "price x volume (a market's: its sellers' revenue, route by route)",
    "transport_cost_usd_bn": "route unit cost x flow",
    "production_cost_usd_bn": "production cost, shared over a basin's routes by volume",
    "capacity_cost_usd_bn": "annuity and fixed O&M of new units online",
    "profit_usd_bn": "revenue less transport, production and capacity cost",
    "production_bcm_per_y": "basin output",
    "marginal_cost_usd_per_mmbtu": "marginal production cost c + dQ (tranche cost if stepped)",
    "netback_usd_per_mmbtu": "dual of the basin balance: value of gas at the basin",
    "benchmark_price_usd_per_mmbtu": "price pressure is measured against this price "
                                     "(named in the benchmark column)",
    "pressure_usd_per_mmbtu": "benchmark price - price the buyer pays",
    "pressure_pct": "pressure / benchmark price x 100",
    "transferred_usd_bn": "pressure x the buyer's volume: revenue moved from Russia to it",
    "dependence_volume": "the buyer's share of Russia's export volume (non-domestic routes)",
    "dependence_revenue": "the buyer's share of Russia's export revenue",
    "export_duty_usd_bn": "export duty rate x pipeline export revenue",
    "extraction_tax_usd_bn": "extraction tax x production",
    "budget_take_usd_bn": "export duty + extraction tax",
    "volume_bcm_per_y": "gas the market buys from Russia",
    "export_volume_bcm_per_y": "Russia's export volume (non-domestic routes)",
    "unit_cost_usd_per_mmbtu": "transport (or liquefaction and shipping) cost of the route",
    "delivery_cost_usd_per_mmbtu": "the buyer's cost of carrying the gas from the route's "
                                   "border to its demand (China's inland tariffs)",
    "theta": "conjectural parameter of seller power (0 competitive, 1 monopoly)",
    "intercept_usd_per_mmbtu": "inverse demand's intercept a (price at zero volume)",
    "slope_usd_per_mmbtu_per_bcm": "inverse demand's slope b",
    "price_cap_usd_per_mmbtu": "the market's alternative-supply price (LNG import parity): "
                               "it pays no more",
    "residual_bcm_per_y": "the market's demand at its price cap (its alternative supply) "
                          "that the modelled suppliers leave unmet, bought from the "
                          "alternative: China's LNG imports; NaN without a price cap",
    "check": "kind of check: independent (no data value was set from the observation), "
             "fit (data were calibrated or fitted on it) or accounting (it follows from "
             "observed inputs by an identity)",
    "units": "investment units built",
    "decision_year": "year the investment is decided (capex committed)",
    "online_year": "first year the new capacity runs (decision + lead time)",
    "capex_usd_bn": "overnight capital cost of the units built",
    "annual_cost_usd_bn": "annuity of the capex (compounded over the lead time) + fixed O&M",
    "peak_utilisation": "highest utilisation of the pipeline over the horizon",
    "peak_year": "year of the peak utilisation",
    "final_utilisation": "utilisation in the last model year",
    "final_idle_capacity_bcm_per_y": "capacity less flow in the last model year",
    "below_half_from": "first year after the peak with utilisation below 0.5",
    "review_year": "year the contract's bargained term was (re)struck",
    "lagged_oil_price_usd_per_bbl": "Brent lagged by the contract lag (share lag/12 of the "
                                    "previous year's Brent)",
    "slope_usd_per_mmbtu_per_usd_per_bbl": "slope of the contract formula on lagged Brent",
    "constant_usd_per_mmbtu": "constant of the contract formula (bargained, or the data's)",
    "oil_indexed_formula_usd_per_mmbtu": "the data's oil-indexed formula: its slope x lagged "
                                         "Brent + its constant",
    "gains_usd_bn": "NPV gains from trade of the plan: joint surplus - disagreement payoffs",
    "joint_surplus_usd_bn": "NPV of China's value of the gas + Russia's profit before "
                            "the payment, at the joint optimum",
    "capex_sunk_usd_bn": "NPV of the plan's capital cost that is sunk ex post",
    "payment_ex_ante_usd_bn": "NPV of China's payments when the capex is part of the deal",
    "payment_ex_post_usd_bn": "NPV of China's payments once the capex is sunk",
    "price_ex_ante_usd_per_mmbtu": "levelised ex-ante payment per unit of China's volume",
    "price_ex_post_usd_per_mmbtu": "levelised ex-post payment per unit of China's volume",
    "russia_payoff_ex_ante_usd_bn": "Russia's NPV under the ex-ante bargain",
    "russia_payoff_ex_post_usd_bn": "Russia's NPV under the ex-post bargain",
    "ex_ante_choice": "the plan Russia picks when the capex is part of the deal",
    "holdup_choice": "the plan Russia picks anticipating the ex-post bargain",
    "observed": "reported value, in the quantity's unit (history.csv, with its source)",
    "modelled": "the model's value of the same quantity, years and entities",
    "difference": "modelled - observed",
    "tolerance": "largest difference accepted (history.csv states it with its rule)",
    "within_tolerance": "|difference| <= tolerance",
    "to_year": "last year of a multi-year observation (the mean over year..to_year); of a "
               "window",
    "id": "entities: the entity's id in the data (supplier, basin, market, route, option)",
    "name": "entities: how the data name it (the id made readable where they give none)",
    "region": "entities: its IAMC region (a basin's, route's or option's is its supplier's)",
    "definition": "benchmark_summary: what the benchmark is (docs/derivations.md, "
                  "Benchmarks)",
    "from_year": "first year of the window the means and the NPV cover",
    "npv_transferred_usd_bn": "NPV of pressure x volume over the window (discounted to the "
                              "horizon's start): revenue moved from Russia to the buyer "
                              "relative to the benchmark",
}
# Columns that name what a row is about rather than measure it
KEYS = frozenset({"route", "basin", "market", "kind", "supplier", "role", "year", "option",
                  "structure", "pathway", "benchmark", "metric", "value", "unit", "quantity",
                  "entity", "source"})


@dataclass(frozen=True)
class Results:
    """The results of one scenario solve: its tables, the resolved scenario and the run
    manifest, whether just solved (`api.solve`) or read from a results folder
    (`Results.read`); the two are equal. Immutable: later solves leave it as it is."""

    scenario: Scenario
    tables: Mapping[str, pd.DataFrame]
    manifest: dict
    folder: Path | None = None  # the results folder it was read from

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def flows(self) -> pd.DataFrame:
        return self.tables["flows"]

    @property
    def markets(self) -> pd.DataFrame:
        return self.tables["markets"]

    @property
    def basins(self) -> pd.DataFrame:
        return self.tables["basins"]

    @property
    def investments(self) -> pd.DataFrame:
        return self.tables["investments"]

    @property
    def summary(self) -> pd.DataFrame:
        return self.tables["summary"]

    @property
    def pressure(self) -> pd.DataFrame | None:
        """Price pressure by year on the buyer-power market, if the scenario has one."""
        return self.tables.get("pressure")

    @property
    def validation(self) -> pd.DataFrame | None:
        """Observed against modelled values, where an annual run covers observed years."""
        return self.tables.get("validation")

    def name_of(self, entity: str) -> str:
        """How the data name an entity (its `name`; the id made readable where the results
        hold no names)."""
        names = self.tables.get("entities")
        if names is not None and entity in set(names["id"]):
            return str(names.set_index("id").at[entity, "name"])
        return readable(entity)

    def region_of(self, entity: str) -> str:
        """An exporter's or market's IAMC region (its name where the data give none)."""
        names = self.tables.get("entities")
        if names is not None and entity in set(names["id"]):
            region = names.set_index("id").at[entity, "region"]
            if isinstance(region, str) and region:
                return region
        return self.name_of(entity)

    @property
    def exporter(self) -> str:
        """The exporter (the supplier with role exporter)."""
        own = self.flows.loc[self.flows["role"] == "exporter", "supplier"]
        return str(own.iloc[0]) if len(own) else "exporter"

    @property
    def exports(self) -> pd.DataFrame:
        """The rows of `flows` that are exports (see `exports`)."""
        return exports(self.flows)

    @property
    def years(self) -> list[int]:
        """The model years (each the first year of its period)."""
        return sorted(int(y) for y in self.flows["year"].unique())

    @property
    def period_years(self) -> pd.Series:
        """Calendar years each model year stands for (its period, cut at the horizon's end)."""
        h = self.scenario.horizon
        return pd.Series({y: float(min(h.step, h.end_year - y + 1)) for y in self.years})

    def value(self, metric: str) -> float | None:
        """A summary metric's value (None where the run has none)."""
        row = self.summary[self.summary["metric"] == metric]
        return None if row.empty else float(row["value"].iloc[0])

    def npv(self, metric: str) -> float:
        """An NPV from the summary table, e.g. 'export_revenue' [USD bn]."""
        value = self.value(f"npv_{metric}")
        if value is None:
            raise KeyError(metric)
        return value

    def by_outlet(self, value: str = "revenue_usd_bn") -> pd.DataFrame:
        """A yearly value of the exporter's routes by market (its outlets, its domestic
        market among them), years as rows."""
        return exporter(self.flows).pivot_table(index="year", columns="market", values=value,
                                      aggfunc="sum")

    # Accessors of the report layer, imported on use (tests/test_structures.py allows
    # exactly these two upward imports).
    @property
    def plot(self):
        """The briefing's charts of these results, e.g. `results.plot.revenue()`
        (matplotlib figures; see energymodel.report.accessor)."""
        from energymodel.report.accessor import Plot

        return Plot(self)

    def to_iamc(self, model: str = "energymodel") -> pd.DataFrame:
        """The results in the IAMC long format (model, scenario, region, variable, unit,
        year, value), e.g. for pyam; variables are listed in energymodel.report.iamc."""
        from energymodel.report.iamc import to_iamc

        return to_iamc(self, model)

    def write(self, directory: str | Path | ResultsFolder, force: bool = False) -> Path:
        """Write every table (CSV and parquet), the resolved scenario and the manifest.

        Only a new, empty or earlier results folder is written (`force` also replaces a
        folder of results-like files without energymodel's manifest); of an earlier one only
        the files its manifest lists are replaced, the user's other files are kept. The
        folder is swapped in whole when complete, so a failed or interrupted write leaves
        the old one as it was (rules in `energymodel.safety`). InputError if the folder may
        not be written.
        """
        if isinstance(directory, ResultsFolder):
            return directory.replace(self._write_files)
        protect = [self.scenario.data_dir, *filter(None, [self.scenario.source])]
        with ResultsFolder(directory, protect, force, argument="directory") as folder:
            return folder.replace(self._write_files)

    def _write_files(self, folder: Path) -> None:
        write_tables(folder, dict(self.tables))
        publish(folder / "scenario.json", json_bytes(resolved_scenario(self.scenario)))
        publish(folder / "manifest.json", json_bytes(self.manifest))  # its file list: safety

    @classmethod
    def read(cls, folder: str | Path) -> Results:
        """The results in a folder `write` made, checked: a damaged or foreign folder is one
        InputError line naming its file, field and reason."""
        return read_results(folder)


def readable(code: str) -> str:
    """'power_of_siberia_1' -> 'Power of Siberia 1', 'yamal_gydan_lng' -> 'Yamal Gydan LNG'."""
    words = {"of": "of", "lng": "LNG", "and": "and"}
    return " ".join(words.get(w, w.capitalize()) for w in code.split("_"))


def entities(data: DataSet) -> pd.DataFrame:
    """The data's entities as results show them: kind, id, name, role (a basin's, route's or
    option's is its supplier's; a market without one is 'other'), region (likewise; the name
    where none is given)."""
    tables = data.entity_tables()
    roles, regions = tables["supplier"]["role"], tables["supplier"]["region"]
    supplier = tables["basin"]["supplier"]
    owner = {"supplier": lambda i, r: i, "basin": lambda i, r: r["supplier"],
             "route": lambda i, r: supplier[r["basin"]],
             "option": lambda i, r: supplier[str(tables["route"].at[r["route"], "basin"])]}
    rows = []
    for kind, table in tables.items():
        for ident, row in table.iterrows():
            who = owner[kind](ident, row) if kind in owner else None
            name = row.get("name", "") or readable(str(ident))
            rows.append({"kind": kind, "id": ident, "name": name,
                         "role": row.get("role", "") or (roles[who] if who else "") or "other",
                         "region": row.get("region", "") or (regions[who] if who else "")
                         or name})
    return pd.DataFrame(rows, columns=["kind", "id", "name", "role", "region"])


def exporter(flows: pd.DataFrame) -> pd.DataFrame:
    """The rows of a flows table on the exporter's routes (Russia's own assets)."""
    return flows[flows["role"] == "exporter"] if "role" in flows else flows


def exports(flows: pd.DataFrame) -> pd.DataFrame:
    """Export flows: the exporter's routes that are not domestic (the one definition)."""
    own = exporter(flows)
    return own[own["kind"] != "domestic"]


def resolved_scenario(scenario: Scenario) -> dict:
    """The scenario as `scenario.json` holds it (data_dir as the run showed it)."""
    resolved = scenario.model_dump(mode="json")
    resolved["data_dir"] = display_path(scenario.data_dir)
    if scenario.uncertainty is not None:
        resolved["uncertainty"] = display_path(scenario.uncertainty)
    return resolved


def extract(solve: Solve, prices: dict[str, pd.Series] | None = None,
            basis: str = "set outside the inverse demand",
            duals_from: str = "Russia's optimum") -> dict[str, pd.DataFrame]:
    """Tidy tables of a solve, from its solution vectors. `prices` (route -> USD/MMBtu by
    year, at the border) replaces a route's price where a buyer sets or a bargain fixes it,
    `basis` says which (see `route_prices`); `duals_from` names the solve (a plan reports
    the joint-surplus solve of a bargain, or Russia's answer to a buyer's prices)."""
    inp = solve.inputs
    markets = _markets(solve)
    markets["duals_from"] = duals_from
    basins = _basins(solve)
    flows = _flows(solve, markets, basins, prices or {}, basis)
    # what the market pays its sellers: their route prices, contracts included
    markets["revenue_usd_bn"] = flows.groupby(["market", "year"])["revenue_usd_bn"].sum(
    ).reindex(pd.MultiIndex.from_frame(markets[["market", "year"]])).fillna(0.0).to_numpy()
    investments = _investments(solve)
    summary = _summary(flows, inp.years["weight"], solve.objective)
    return {"flows": flows, "markets": markets, "basins": basins, "investments": investments,
            "summary": summary, "entities": entities(inp.data)}


def route_prices(inp: Inputs, demand_price: np.ndarray, prices: dict[str, pd.Series],
                 basis: str = "set outside the inverse demand"
                 ) -> tuple[np.ndarray, np.ndarray]:
    """The price each route's seller gets at its border, per route-year (rows of
    inp.route_years) [USD/MMBtu], and what sets it:
        a price a buyer sets or a bargain fixes (`prices`, route -> by year)   `basis`
        a legacy contract's formula in its years                           legacy contract
        else the market's demand price less the buyer's delivery cost       inverse demand
    `demand_price` is the market's inverse demand at its volume, per route-year."""
    ry = inp.route_years
    legacy = ry["legacy"].fillna(False).to_numpy(dtype=bool) if "legacy" in ry else \
        np.zeros(len(ry), dtype=bool)
    price = np.where(legacy, ry["formula_price"].to_numpy() if "formula_price" in ry else np.nan,
                     demand_price - ry["delivery_cost"].to_numpy())
    source = np.where(legacy, "legacy contract", "inverse demand").astype(object)
    routes = ry.index.get_level_values("route")
    years = ry.index.get_level_values("year")
    for route, path in prices.items():
        rows = np.flatnonzero(routes == route)
        given = path.reindex(years[rows]).to_numpy(dtype=float)
        set_here = ~np.isnan(given)
        price[rows[set_here]] = given[set_here]
        source[rows[set_here]] = basis
    return price, source


def _dual(solve: Solve, constraint: str, index: pd.Index, sign: float) -> pd.Series:
    """Duals of a constraint family in USD/MMBtu of the period, by `index` (NaN where the
    family has no row, or the solve no duals).

    Duals are sensitivities dNPV/d(right-hand side) in USD bn per bcm/y. Raising the
    right-hand side of a `supply == use` balance forces unused supply, so its dual is minus
    the value of gas (sign -1); raising a binding upper limit adds its rent (sign +1).
    """
    duals = solve.duals(constraint)
    if duals is None:
        return pd.Series(np.nan, index=index)
    values = sign * duals.reindex(index).to_numpy(dtype=float)
    weight = solve.inputs.years["weight"]
    values /= weight.reindex(index.get_level_values("year")).to_numpy() * K
    values[np.abs(values) < 1e-9] = 0.0  # solver noise around a slack constraint's zero
    return pd.Series(values, index=index)


KINK_TOL = 1e-4  # bcm/y (0.1 million m3/y): sales beyond a kink below this are solver noise


def _marginal_segment(seg: pd.DataFrame, marginal_value: pd.Series) -> pd.DataFrame:
    """Per market-year, the seller's markup and the demand-limit rent at the marginal
    segment: the last one with sales (the first if none). On it the objective's marginal
    term alpha - beta x equals the market's marginal value, unless the segment is full, when
    the difference is the dual of its quantity [USD/MMBtu]. At a kink (a full segment and
    the next one all but empty) an interior-point solution can leave a little on the next
    segment: below KINK_TOL a segment counts as unsold here."""
    sold = seg[seg["sales"] > KINK_TOL]
    last = sold.groupby(level=["market", "year"]).tail(1)
    first = seg.groupby(level=["market", "year"]).head(1)
    outer = ["market", "year"]  # the index without its segment level
    first_rows = first.reset_index("segment", drop=True).index
    last_rows = last.reset_index("segment", drop=True).index
    marginal: pd.DataFrame = pd.concat(
        [last, first[~first_rows.isin(last_rows)]]).reset_index("segment", drop=True)
    marginal = marginal.sort_index(level=outer)
    term = marginal["alpha"] - marginal["beta"] * marginal["sales"]
    demand_price = marginal["price"] - marginal["slope"] * marginal["sales"]
    full = marginal["sales"] >= marginal["width"] - TOL
    selling = marginal["sales"] > TOL
    mv = marginal_value.reindex(marginal.index)
    return pd.DataFrame({
        "markup": (demand_price - term).where(selling, 0.0),
        "demand_limit_rent": (term - mv).where(full & selling, 0.0)})


def _sales(inp: Inputs, sales: pd.Series) -> tuple[pd.DataFrame, pd.Series]:
    """The segments with their sales, and the volume by (market, year)."""
    seg = inp.segments.assign(sales=sales.reindex(inp.segments.index).fillna(0.0).to_numpy())
    return seg, seg.groupby(level=["market", "year"])["sales"].sum()


def _markets(solve: Solve) -> pd.DataFrame:
    inp = solve.inputs
    seg, volume = _sales(inp, solve.values("sales"))
    price = demand.prices(inp.segments, volume)
    my = inp.market_years
    marginal_value = _dual(solve, "market_sales_balance", my.index, -1)
    marginal = _marginal_segment(seg, marginal_value).reindex(my.index)
    table = pd.DataFrame({
        "market": my.index.get_level_values("market"),
        "year": my.index.get_level_values("year"),
        "role": inp.data.markets["role"].reindex(my.index.get_level_values("market"))
        .replace("", "other").to_numpy(),
        "structure": inp.markets["structure"].reindex(my.index.get_level_values("market"))
        .to_numpy(),
        "theta": inp.markets["theta"].reindex(my.index.get_level_values("market")).to_numpy(),
        "pathway": inp.markets["pathway"].reindex(my.index.get_level_values("market")).to_numpy(),
        "volume_bcm_per_y": volume.reindex(my.index).to_numpy(),
        "price_usd_per_mmbtu": price.reindex(my.index).to_numpy(),
        "price_basis": "inverse demand",
        "demand_price_usd_per_mmbtu": price.reindex(my.index).to_numpy(),
        "marginal_value_usd_per_mmbtu": marginal_value.to_numpy(),
        "duals_from": "Russia's optimum",
        "markup_usd_per_mmbtu": marginal["markup"].to_numpy(),
        "demand_limit_rent_usd_per_mmbtu": marginal["demand_limit_rent"].to_numpy(),
        "intercept_usd_per_mmbtu": my["intercept"].to_numpy(),
        "slope_usd_per_mmbtu_per_bcm": my["slope"].to_numpy(),
        "price_cap_usd_per_mmbtu": my["price_cap"].to_numpy(),
        # demand at the price cap (where the line meets it) the modelled suppliers leave
        "residual_bcm_per_y": ((my["intercept"] - my["price_cap"]) / my["slope"]).sub(
            volume.reindex(my.index)).clip(lower=0.0).to_numpy(),
    })
    return table


def _production_cost(inp: Inputs, values: Callable[[str], pd.Series]
                     ) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Production by (basin, year) [bcm/y], its cost [USD/MMBtu x bcm/y] and marginal cost
    [USD/MMBtu]."""
    production = values("production").reindex(inp.basin_years.index)
    c = inp.basins["mc_intercept"].reindex(production.index.get_level_values("basin")).to_numpy()
    d = inp.basins["mc_slope"].reindex(production.index.get_level_values("basin")).to_numpy()
    q = production.to_numpy()
    if len(inp.supply_steps):
        steps = inp.supply_steps.assign(out=values("step_output").reindex(
            inp.supply_steps.index).to_numpy())
        by_step = (steps["cost"] * steps["out"]).groupby(level=["basin", "year"]).sum()
        cost = by_step.reindex(production.index).to_numpy()
        used = steps[steps["out"] > 1e-9]["cost"].groupby(level=["basin", "year"]).max()
        marginal = used.reindex(production.index).to_numpy()
    else:
        cost = c * q + d * q * q / 2
        marginal = c + d * q
    return production, cost, marginal


def netbacks(solve: Solve) -> pd.Series:
    """Each basin's netback by (basin, year): the dual of its production balance, the value
    of its gas at the basin [USD/MMBtu]."""
    return _dual(solve, "basin_production_balance", solve.inputs.basin_years.index, -1)


def _basins(solve: Solve) -> pd.DataFrame:
    inp = solve.inputs
    production, cost, marginal = _production_cost(inp, solve.values)
    d = inp.basins["mc_slope"].reindex(production.index.get_level_values("basin")).to_numpy()
    q = production.to_numpy()
    capacity = inp.basin_years["capacity"].to_numpy()
    index = production.index
    weight = inp.years["weight"]
    basins = production.index.get_level_values("basin")
    years = production.index.get_level_values("year")
    reserves = np.zeros(len(q))
    dual = solve.duals("basin_reserves_max")
    if dual is not None:
        # sum_y length_y P_y <= R: the rent of one bcm/y in year y is dual x length_y
        reserves = (dual.reindex(basins).fillna(0.0).to_numpy()
                    * inp.years["length"].reindex(years).to_numpy()
                    / (weight.reindex(years).to_numpy() * K))
    markup = inp.basins["buyer_markup"]
    return pd.DataFrame({
        "basin": basins,
        "supplier": inp.data.basins["supplier"].reindex(basins).to_numpy(),
        "year": years,
        "production_bcm_per_y": q,
        "capacity_bcm_per_y": capacity,
        "utilisation": np.divide(q, capacity, out=np.full_like(q, np.nan), where=capacity > 0),
        "marginal_cost_usd_per_mmbtu": marginal,
        "netback_usd_per_mmbtu": netbacks(solve).reindex(index).to_numpy(),
        "capacity_rent_usd_per_mmbtu": _dual(solve, "basin_capacity_max", index,
                                             +1).to_numpy(),
        "reserves_rent_usd_per_mmbtu": reserves,
        "buyer_term_usd_per_mmbtu": markup.reindex(basins).fillna(0.0).to_numpy() * d * q,
        "production_cost_usd_bn": cost * K,
    })


def _flows(solve: Solve, markets: pd.DataFrame, basins: pd.DataFrame,
           prices: dict[str, pd.Series], basis: str) -> pd.DataFrame:
    inp = solve.inputs
    ry = inp.route_years
    index = ry.index
    routes = index.get_level_values("route")
    years = index.get_level_values("year")
    flow = solve.values("flow").reindex(index).to_numpy()
    capacity_cost, capacity = _added_capacity(inp, solve.values("units"))
    usable = ry["availability"].to_numpy() * capacity
    rent = _dual(solve, "route_flow_max", index, +1).to_numpy()
    min_flow = _dual(solve, "route_flow_min", index, -1).fillna(0.0)
    table = pd.DataFrame({
        "route": routes, "basin": inp.routes["basin"].reindex(routes).to_numpy(),
        "market": inp.routes["market"].reindex(routes).to_numpy(),
        "kind": inp.routes["kind"].reindex(routes).to_numpy(),
        "supplier": inp.routes["supplier"].reindex(routes).to_numpy(),
        "role": inp.routes["role"].reindex(routes).to_numpy(), "year": years,
        "flow_bcm_per_y": flow, "capacity_bcm_per_y": capacity,
        "availability": ry["availability"].to_numpy(),
        "usable_capacity_bcm_per_y": usable,
        "utilisation": np.divide(flow, usable, out=np.zeros_like(flow), where=usable > TOL),
        "unit_cost_usd_per_mmbtu": ry["unit_cost"].to_numpy(),
        "netback_usd_per_mmbtu": basins.set_index(["basin", "year"])["netback_usd_per_mmbtu"]
        .reindex(pd.MultiIndex.from_arrays([inp.routes["basin"].reindex(routes), years]))
        .to_numpy(),
        # a route that can carry nothing earns nothing: its capacity has no rent
        "capacity_rent_usd_per_mmbtu": np.where(usable > TOL, rent, 0.0),
        "min_flow_cost_usd_per_mmbtu": min_flow.to_numpy()
        if solve.solution.row_duals is not None else np.nan,
    })
    m = markets.set_index(["market", "year"])
    at_market = pd.MultiIndex.from_arrays([table["market"], table["year"]])
    for column in ("marginal_value_usd_per_mmbtu", "markup_usd_per_mmbtu",
                   "demand_limit_rent_usd_per_mmbtu", "demand_price_usd_per_mmbtu",
                   "duals_from"):
        table[column] = m[column].reindex(at_market).to_numpy()
    table.insert(list(table.columns).index("unit_cost_usd_per_mmbtu") + 1,
                 "delivery_cost_usd_per_mmbtu", ry["delivery_cost"].to_numpy())
    price, source = route_prices(inp, table["demand_price_usd_per_mmbtu"].to_numpy(), prices,
                                 basis)
    table["contract_wedge_usd_per_mmbtu"] = price - (table["demand_price_usd_per_mmbtu"]
                                                     - table["delivery_cost_usd_per_mmbtu"])
    table["price_usd_per_mmbtu"] = price
    table["price_basis"] = source
    for block in inp.blocks:  # a supplier's own markup where it competes a la Cournot
        markup = getattr(block, "route_markup", None)
        if markup is not None:
            table["markup_usd_per_mmbtu"] += markup(solve).reindex(index).fillna(0.0).to_numpy()
    b = basins.set_index(["basin", "year"])
    average = (b["production_cost_usd_bn"] / b["production_bcm_per_y"]).where(
        b["production_bcm_per_y"] > 1e-9, 0.0)
    money = _money(inp, flow, table["price_usd_per_mmbtu"].to_numpy(), average.reindex(
        pd.MultiIndex.from_arrays([table["basin"], table["year"]])).to_numpy(), capacity_cost)
    return table.assign(**money)


def _added_capacity(inp: Inputs, units: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per route-year (rows of inp.route_years): the cost of the units online [USD bn] and
    the capacity with them [bcm/y]."""
    online = inp.option_online
    option = inp.options.reindex(online["option"])
    built = units.reindex(pd.MultiIndex.from_arrays(
        [online["option"], online["decision_year"]])).fillna(0.0).to_numpy()
    row = inp.route_years.index.get_indexer(pd.MultiIndex.from_arrays(
        [option["route"].to_numpy(), online["year"].to_numpy()]))
    on = row >= 0  # online in a model year of the route
    size = option["unit_size"].to_numpy() * online["share"].to_numpy()  # ramping up
    added = pd.DataFrame({"capacity": (built * size)[on],
                          "cost": (built * option["annual_cost"].to_numpy())[on]}
                         ).groupby(row[on]).sum()
    capacity, cost = np.zeros(len(inp.route_years)), np.zeros(len(inp.route_years))
    capacity[added.index], cost[added.index] = added["capacity"], added["cost"]
    return cost, inp.route_years["capacity"].to_numpy() + capacity


def _money(inp: Inputs, flow: np.ndarray, price: np.ndarray, average_cost: np.ndarray,
           capacity_cost: np.ndarray) -> dict[str, np.ndarray]:
    """Revenue, costs and profit per route-year [USD bn] (module docstring)."""
    money = {"revenue_usd_bn": price * flow * K,
             "transport_cost_usd_bn": inp.route_years["unit_cost"].to_numpy() * flow * K,
             "production_cost_usd_bn": flow * average_cost,
             "capacity_cost_usd_bn": capacity_cost}
    money["profit_usd_bn"] = (money["revenue_usd_bn"] - money["transport_cost_usd_bn"]
                              - money["production_cost_usd_bn"] - capacity_cost)
    return money


def accounts(inp: Inputs, values: Callable[[str], pd.Series],
             prices: dict[str, pd.Series] | None = None) -> dict[str, pd.DataFrame]:
    """The volumes, revenues, profits and builds of a solve (variable name -> its values
    by index), route prices as `route_prices` sets them: the same numbers as extract's
    tables, in their columns and rows, without the duals and the rest. For solve plans that
    weigh many solves (a hold-up's build plans)."""
    _, volume = _sales(inp, values("sales"))
    my = inp.market_years.index
    demand_price = demand.prices(inp.segments, volume).reindex(my).to_numpy()
    production, cost, _ = _production_cost(inp, values)
    q = production.to_numpy()
    average = np.divide(cost * K, q, out=np.zeros_like(q), where=q > 1e-9)
    ry = inp.route_years.index
    routes = ry.get_level_values("route")
    markets = inp.routes["market"].reindex(routes).to_numpy()
    years = ry.get_level_values("year")
    at_market = my.get_indexer(pd.MultiIndex.from_arrays([markets, years]))
    at_basin = production.index.get_indexer(pd.MultiIndex.from_arrays(
        [inp.routes["basin"].reindex(routes).to_numpy(), years]))
    flow = values("flow").reindex(ry).to_numpy()
    units = values("units")
    price, _ = route_prices(inp, np.where(at_market >= 0, demand_price[at_market], np.nan),
                            prices or {})
    money = _money(inp, flow, price, np.where(at_basin >= 0, average[at_basin], np.nan),
                   _added_capacity(inp, units)[0])
    built = units[units > 1e-9]
    return {"flows": pd.DataFrame({"route": routes, "market": markets, "year": years,
                                   "flow_bcm_per_y": flow, "price_usd_per_mmbtu": price,
                                   "delivery_cost_usd_per_mmbtu":
                                       inp.route_years["delivery_cost"].to_numpy(),
                                   "supplier": inp.routes["supplier"].reindex(routes).to_numpy(),
                                   "role": inp.routes["role"].reindex(routes).to_numpy(),
                                   **money}),
            "markets": pd.DataFrame({"market": my.get_level_values("market"),
                                     "year": my.get_level_values("year"),
                                     "volume_bcm_per_y": volume.reindex(my).to_numpy(),
                                     "price_usd_per_mmbtu": demand_price}),
            "investments": pd.DataFrame({"option": [o for o, _ in built.index],
                                         "decision_year": [int(d) for _, d in built.index],
                                         "units": built.to_numpy()}),
            "basins": pd.DataFrame({"basin": production.index.get_level_values("basin"),
                                    "year": production.index.get_level_values("year"),
                                    "production_bcm_per_y": production.to_numpy(),
                                    "production_cost_usd_bn": cost * K})}


def _investments(solve: Solve) -> pd.DataFrame:
    inp = solve.inputs
    units = solve.values("units")
    first_online = inp.option_online.groupby(["option", "decision_year"])["year"].min()
    rows = []
    for key, n in units.items():
        option, decision = cast(tuple[str, int], key)  # units are by (option, decision year)
        if n <= 1e-9:
            continue
        o = inp.options.loc[option]
        rows.append({"option": option, "route": o["route"], "decision_year": int(decision),
                     "online_year": int(first_online[(option, decision)]), "units": n,
                     "capacity_bcm_per_y": n * o["unit_size"], "capex_usd_bn": n * o["capex"],
                     "annual_cost_usd_bn": n * o["annual_cost"]})
    columns = ["option", "route", "decision_year", "online_year", "units", "capacity_bcm_per_y",
               "capex_usd_bn", "annual_cost_usd_bn"]
    return pd.DataFrame(rows, columns=columns)


def npv(table: pd.DataFrame, weight: pd.Series, column: str) -> float:
    """NPV of a yearly column of a table with a `year` column [USD bn]: sum of W_y x value."""
    return float((table[column] * weight.reindex(table["year"]).to_numpy()).sum())


def _summary(flows: pd.DataFrame, weight: pd.Series, objective: float) -> pd.DataFrame:
    export = exports(flows)
    rows = [
        ("npv_export_revenue", npv(export, weight, "revenue_usd_bn"), "USD bn"),
        ("npv_export_profit", npv(export, weight, "profit_usd_bn"), "USD bn"),
        ("npv_total_revenue", npv(exporter(flows), weight, "revenue_usd_bn"), "USD bn"),
        ("npv_total_profit", npv(exporter(flows), weight, "profit_usd_bn"), "USD bn"),
        ("objective", objective, "USD bn"),
    ]
    return pd.DataFrame(rows, columns=["metric", "value", "unit"])


def manifest(scenario: Scenario, solve: Solve, timings: dict[str, float],
             method: dict) -> dict:
    """Provenance of a run: hashes, versions, solver status, model size, timings."""
    resolved = resolved_scenario(scenario)
    inp = solve.inputs
    return {
        "energymodel": __version__,
        "scenario": {"name": scenario.name, "file": scenario.file(), "sha256": scenario.digest(),
                     "resolved": resolved},
        "data": {"directory": display_path(inp.data.directory), "sha256": inp.data.digest,
                 "sources": inp.data.source_counts},
        "versions": {"python": platform.python_version(), **versions(),
                     "numpy": np.__version__, "pandas": pd.__version__},
        "solver": {"status": "optimal", "objective_usd_bn": solve.objective,
                   **method, "options": scenario.solver.model_dump(),
                   "iterations": solve.solution.iterations},
        "model": solve.size(),
        "timings_s": {k: round(v, 4) for k, v in timings.items()},
        "columns": COLUMNS,
    }


# Reading a results folder. What it must hold to be read: the tables, their text columns and
# numeric columns; numbers are finite, and never missing in the columns after "!".
READ_TABLES = {
    "flows": ("route market kind", "year flow_bcm_per_y revenue_usd_bn profit_usd_bn "
              "capacity_bcm_per_y availability utilisation price_usd_per_mmbtu ! year "
              "flow_bcm_per_y revenue_usd_bn profit_usd_bn"),
    "markets": ("market price_basis", "year volume_bcm_per_y price_usd_per_mmbtu "
                "price_cap_usd_per_mmbtu ! year volume_bcm_per_y price_usd_per_mmbtu"),
    "basins": ("basin", "year production_bcm_per_y capacity_bcm_per_y utilisation ! year "
               "production_bcm_per_y"),
    "investments": ("option route", "decision_year online_year units capacity_bcm_per_y "
                    "capex_usd_bn"),
    "summary": ("metric unit", "value"),
    "pressure": ("market benchmark", "year benchmark_price_usd_per_mmbtu price_usd_per_mmbtu "
                 "volume_bcm_per_y pressure_usd_per_mmbtu pressure_pct transferred_usd_bn "
                 "dependence_volume ! year"),
    "benchmarks": ("market route benchmark", "year volume_bcm_per_y price_usd_per_mmbtu "
                   "benchmark_price_usd_per_mmbtu pressure_usd_per_mmbtu transferred_usd_bn "
                   "! year volume_bcm_per_y"),
    "benchmark_summary": ("benchmark definition", "from_year to_year "
                          "benchmark_price_usd_per_mmbtu price_usd_per_mmbtu "
                          "pressure_usd_per_mmbtu pressure_pct npv_transferred_usd_bn"),
}
OPTIONAL_TABLES = {"pressure", "benchmarks", "benchmark_summary"}


def is_results_folder(folder: Path) -> bool:
    return (folder / "manifest.json").is_file() and (folder / "flows.parquet").is_file()


def read_results(folder: str | Path) -> Results:
    """The results in a folder `Results.write` made: only parquet and JSON are read (never
    pickles, never code), every file checked; a damaged or foreign folder is one InputError
    line naming its file, field and reason."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(display_path(folder), None, "no such results folder")
    if not is_results_folder(folder):
        raise InputError(display_path(folder), None, "not a results folder (needs "
                         "manifest.json and flows.parquet, as `energymodel run` writes)")
    manifest = read_json(folder / "manifest.json")
    for key in ("scenario", "data", "solver"):
        if not isinstance(manifest.get(key, {}), dict):
            raise InputError(display_path(folder / "manifest.json"), key, "not a mapping")
    where = folder / "scenario.json"
    raw = read_json(where) if where.is_file() else manifest.get("scenario", {}).get(
        "resolved", {})
    if not isinstance(raw, dict) or "data_dir" not in raw:
        raise InputError(display_path(where), "data_dir", "missing")
    scenario = validate_scenario(raw, display_path(where))
    tables = {p.stem: read_table(p) for p in sorted(folder.glob("*.parquet"))}
    check_tables(folder, tables)
    return Results(scenario, tables, manifest, folder)


def read_json(path: Path) -> dict:
    """A JSON file holding a mapping, or one line saying why not."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise InputError(display_path(path), None, f"cannot read: {error}") from None
    if not isinstance(content, dict):
        raise InputError(display_path(path), None, f"not a JSON object (a mapping) but "
                         f"{type(content).__name__}")
    return content


def read_table(path: Path) -> pd.DataFrame:
    """A parquet table, or one line saying it cannot be read (damaged, not parquet)."""
    try:
        return pd.read_parquet(path)
    except Exception as error:  # pyarrow raises many kinds for a damaged file
        first = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        raise InputError(display_path(path), None, f"not a readable parquet table: "
                         f"{first}") from None


def check_tables(folder: Path, tables: dict[str, pd.DataFrame]) -> None:
    """Refuse tables that are not what `energymodel run` writes."""
    for name, (text, numbers) in READ_TABLES.items():
        path = display_path(folder / f"{name}.parquet")
        if name not in tables:
            if name in OPTIONAL_TABLES:
                continue
            raise InputError(path, None, "results table missing")
        table = tables[name]
        numeric, _, whole = numbers.partition(" ! ")
        for column in [*text.split(), *numeric.split()]:
            if column not in table.columns:
                raise InputError(path, column, "column missing")
        if table.empty:
            continue
        for column in numeric.split():
            values = table[column]
            if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
                raise InputError(path, column, f"not numbers (type {values.dtype})")
            if np.isinf(values.to_numpy(dtype=float)).any():
                raise InputError(path, column, "holds an infinite number")
        for column in whole.split():
            if table[column].isna().any():
                raise InputError(path, column, "a number is missing (NaN)")
        for column in text.split():
            if not table[column].map(lambda v: isinstance(v, str)).all():
                raise InputError(path, column, "not text")
