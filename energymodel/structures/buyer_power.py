"""What the buyer-power structures (monopsony, bargaining) share: the exporter's routes into
the buyer market, the benchmark their prices are held to and the price pressure they add to
the results (indicators.py).

benchmark (the scenario's, `markets.<market>.benchmark`), per route and year:
    competitive   the border price at the joint-surplus optimum (the market competitive):
                  the buyer's marginal value of gas less its delivery cost from the border,
                  i.e. the border price of its marginal alternative;
    oil_indexed   the route's own contract formula, slope x lagged Brent + constant (data).

Every buyer-power run also reports four benchmarks side by side (docs/derivations.md,
"Benchmarks"; the `benchmarks` table), each per route and year [USD/MMBtu at the border]:
    competitive       as above;
    alternative       the buyer's cost of going without the exporter's gas: the border
                      price of its marginal alternative when every route of the exporter
                      into the market is closed (its demand price less the route's
                      delivery cost in that solve);
    opportunity_cost  the exporter's opportunity cost: its gas's value at the source basin
                      when those routes are closed (the basin's netback: what it earns
                      elsewhere, or its marginal production cost where it has no other
                      outlet) plus the route's unit transport cost;
    formula           the route's contract formula, where it has contract terms.
"""

from __future__ import annotations

from typing import Literal, TypeVar

import pandas as pd
from pydantic import Field

from energymodel import indicators
from energymodel.data import DataSet
from energymodel.engine import Session, Solve
from energymodel.errors import InputError
from energymodel.inputs import Inputs, with_competitive, without_exporter
from energymodel.results import netbacks
from energymodel.scenario import Scenario
from energymodel.structures.base import MarketStructure, Plan, Spec, money


class BuyerPowerSpec(Spec):
    benchmark: Literal["competitive", "oil_indexed"] = Field(
        "competitive", description="price pressure is measured against this price")


def exporter_routes(data: DataSet, market: str, routes: pd.DataFrame | None = None
                    ) -> list[str]:
    """The exporter's routes into `market` (the trade a buyer's power bears on)."""
    r = data.routes if routes is None else routes
    exporter = data.exporter
    return list(r.index[(r["market"] == market) & (r["supplier"] == exporter)])


B = TypeVar("B", bound=BuyerPowerSpec)  # a buyer-power structure's own Spec


class BuyerPower(MarketStructure[B]):
    """A buyer-power structure: its own solve plan, the benchmark, the price pressure."""

    own_plan = True

    def check(self, scenario: Scenario, data: DataSet, market: str,
              spec: B) -> None:
        if not exporter_routes(data, market):
            raise InputError(scenario.file(), f"markets.{market}.structure", f"the exporter "
                             f"({data.exporter}) has no route to {market}: no trade to "
                             "bear on")
        if spec.benchmark == "oil_indexed":
            require_contract_terms(scenario, data, market, f"markets.{market}.benchmark",
                                   "oil_indexed")

    def solve(self, inp: Inputs, market: str, spec: B, session: Session) -> Plan:
        joint = session.solve(with_competitive(inp, market))
        plan = self.plan(inp, market, spec, joint, session)
        plan.benchmark_name = spec.benchmark
        routes = inp.route_years.index.get_level_values("route").isin(
            exporter_routes(inp.data, market, inp.routes))
        table = benchmarks(inp, market, joint, session)
        name = "competitive" if spec.benchmark == "competitive" else "formula"
        plan.benchmark = table[name][routes]
        plan.benchmarks = table[routes]
        return plan

    def plan(self, inp: Inputs, market: str, spec: B, joint: Solve,
             session: Session) -> Plan:
        """The solve plan proper; `joint` is the joint-surplus (competitive) solve."""
        raise NotImplementedError

    def indicators(self, inp: Inputs, market: str, spec: B, plan: Plan,
                   tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        if plan.benchmark is None:  # solve() sets it
            raise AssertionError(f"{self.name}: a plan without its benchmark")
        pressure = indicators.pressure_table(tables["flows"], market, plan.benchmark,
                                             plan.benchmark_name)
        if plan.benchmarks is None:  # solve() sets them
            raise AssertionError(f"{self.name}: a plan without its benchmarks")
        side_by_side = indicators.benchmark_table(tables["flows"], plan.benchmarks)
        return {"pressure": pressure, "benchmarks": side_by_side,
                "benchmark_summary": indicators.benchmark_summary(side_by_side, inp.years),
                "summary": indicators.pressure_summary(pressure, inp.years)}


def border_prices(solve: Solve, market: str) -> pd.Series:
    """Every route's border price of the market's gas in `solve`: the market's demand price
    less the route's delivery cost [USD/MMBtu], by (route, year)."""
    t = money(solve)
    demand = t["markets"].set_index(["market", "year"])["price_usd_per_mmbtu"]
    ry = solve.inputs.route_years
    markets = solve.inputs.routes["market"].reindex(ry.index.get_level_values("route"))
    at = pd.MultiIndex.from_arrays([markets.to_numpy(), ry.index.get_level_values("year")])
    return pd.Series(demand.reindex(at).to_numpy() - ry["delivery_cost"].to_numpy(),
                     index=ry.index)


def benchmarks(inp: Inputs, market: str, joint: Solve, session: Session) -> pd.DataFrame:
    """The four benchmarks of every route into `market` by (route, year) [USD/MMBtu at the
    border]: competitive, alternative, opportunity_cost, formula (module docstring)."""
    without = session.solve(without_exporter(with_competitive(inp, market), market))
    ry = inp.route_years
    basin = inp.routes["basin"].reindex(ry.index.get_level_values("route"))
    netback = netbacks(without)
    at = pd.MultiIndex.from_arrays([basin.to_numpy(), ry.index.get_level_values("year")])
    return pd.DataFrame({
        "competitive": border_prices(joint, market),
        "alternative": border_prices(without, market),
        "opportunity_cost": netback.reindex(at).to_numpy() + ry["unit_cost"].to_numpy(),
        "formula": ry["formula_price"]}, index=ry.index)


def require_contract_terms(scenario: Scenario, data: DataSet, market: str, field: str,
                           what: str) -> None:
    """The exporter's routes into `market` carry contract terms (contract_slope,
    contract_lag) and the market an oil price path."""
    routes = exporter_routes(data, market)
    missing = [r for r in routes if data.series(r, "contract_slope").empty
               or data.series(r, "contract_lag").empty]
    if data.series(market, "oil_price").empty:
        raise InputError(scenario.file(), field, f"{what} needs the oil_price path of "
                         f"{market} in the data")
    if missing:
        raise InputError(scenario.file(), field, f"{what} needs contract_slope and "
                         f"contract_lag on every route of the exporter to {market} "
                         f"(missing on: {', '.join(missing)})")

