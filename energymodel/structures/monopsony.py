"""monopsony, phi in [0, 1]: the buyer sets the price; Russia, a price taker there,
re-optimises every other outlet and investment.

Where Russia's supply curve to the buyer is linear (one basin sending gas there alone, by one
route that no option expands, at linear marginal cost: the textbook case) the equivalent QP
max V(Q) - C(Q) - phi d Q^2/2 is exact (`method: qp`) and the price is Russia's marginal
cost c + dQ + transport. Otherwise (the full model: West Siberia also feeds Europe, Turkey,
LNG and the domestic market) the bilevel MILP of bilevel.py is solved (`method: bilevel`);
it needs continuous investment.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Literal

import pandas as pd
from pydantic import Field

from energymodel import bilevel, demand
from energymodel.data import DataSet
from energymodel.engine import Session, Solve
from energymodel.errors import InputError
from energymodel.inputs import Inputs, with_fixed_flows, with_market_prices
from energymodel.scenario import Scenario
from energymodel.structures.base import Plan, money, require_curve, tables
from energymodel.structures.buyer_power import BuyerPower, BuyerPowerSpec, exporter_routes


class MonopsonySpec(BuyerPowerSpec):
    phi: float = Field(ge=0, le=1, description="0 competitive, 1 sole buyer")
    method: Literal["auto", "qp", "bilevel"] = Field(
        "auto", description="equivalent QP (dedicated supply) or bilevel MILP")


class Monopsony(BuyerPower[MonopsonySpec]):
    name = "monopsony"
    Spec = MonopsonySpec

    def check(self, scenario: Scenario, data: DataSet, market: str,
              spec: MonopsonySpec) -> None:
        super().check(scenario, data, market, spec)
        method(scenario, data, market, spec)

    def transform(self, inp: Inputs, market: str, spec: MonopsonySpec) -> Inputs:
        """The buyer-side term of the equivalent QP, phi d P^2 / 2, enters as extra
        production cost of the dedicated basin."""
        require_curve(inp, market, self.name)
        if method(inp.scenario, inp.data, market, spec) != "qp":
            return inp
        basin = dedicated_basin(inp.data, market)
        if basin is None:  # method() chose qp: a dedicated basin exists
            raise AssertionError(f"monopsony qp without a dedicated basin for {market}")
        markup = inp.basins["buyer_markup"].copy()
        markup[basin] = spec.phi
        return replace(inp, basins=inp.basins.assign(buyer_markup=markup))

    def plan(self, inp: Inputs, market: str, spec: MonopsonySpec, joint: Solve,
             session: Session) -> Plan:
        if method(inp.scenario, inp.data, market, spec) == "qp":
            solve = session.solve(inp)
            how: dict[str, object] = {
                "method": "monopsony as the equivalent QP: buyer-side term phi d Q^2 / 2 on "
                          "the dedicated basin's cost, price = Russia's marginal cost"}
            return Plan(solve, {r: price for r, price in supply_price(solve, market).items()},
                        how, price_basis="Russia's marginal cost (monopsony QP)")
        start = time.perf_counter()
        own = exporter_routes(inp.data, market, inp.routes)
        rivals = _rival_flows(joint, market, own)
        served = rivals.groupby(level="year").sum().reindex(inp.years.index, fill_value=0.0)
        alone = with_fixed_flows(inp, rivals * 0.0)  # Russia's problem: the rivals held out
        follower_inputs = with_market_prices(alone, market,
                                             pd.Series(0.0, index=inp.years.index))
        curve = demand.residual(inp.segments_of(market), served)
        solution = bilevel.solve(session, follower_inputs, market, spec.phi, curve,
                                 inp.scenario.solver)
        solve = session.solve(with_market_prices(with_fixed_flows(inp, rivals), market,
                                                 solution.prices), fixed_units=solution.units)
        t = money(solve)
        flows = t["flows"].set_index(["route", "year"])
        sales = flows.loc[flows.index.get_level_values("route").isin(own), "flow_bcm_per_y"]
        check = sales.groupby(level="year").sum() - solution.sales
        ry = inp.route_years
        prices = {r: solution.prices - ry.xs(r, level="route")["delivery_cost"] for r in own}
        how = {
            "method": "monopsony as a bilevel MILP: Russia's QP replaced by its KKT conditions "
                      "(binaries only where the data leave a constraint open; big-M bounds "
                      "on the multipliers from the values of gas), a strong-duality cut, the "
                      "leader's concave terms by tangent cuts refined at each incumbent "
                      "(warm-started), then the exact QP with the binding pattern fixed; "
                      "Russia's answer re-solved at the leader's prices. The buyer's other "
                      "suppliers are held at their competitive volumes (the leader's value of "
                      "Russian gas is its demand beyond them); the leader sets one delivered "
                      "price, each route's border price is it less the route's delivery cost",
            "binaries": solution.binaries, "milp_rounds": solution.rounds,
            "cuts_converged": solution.converged, "exact_qp_polish": solution.polished,
            "milp_seconds": round(solution.seconds, 3),
            "leader_objective_usd_bn": solution.objective,
            "leader_objective_bound_usd_bn": solution.bound,
            "follower_check_max_deviation_bcm_per_y": float(check.abs().max()),
            "rivals_check": _rivals_check(inp, market, rivals, curve, solution),
            "bilevel_wall_seconds": round(time.perf_counter() - start, 3)}
        return Plan(solve, prices, how, price_basis="buyer's price (monopsony)",
                    duals_from="Russia's answer at the buyer's prices")


def _rival_flows(joint: Solve, market: str, own: list[str]) -> pd.Series:
    """The flows of every other supplier into `market` at the joint-surplus optimum
    [bcm/y], by (route, year)."""
    flows = joint.values("flow")
    into = joint.inputs.routes.index[(joint.inputs.routes["market"] == market)
                                     & ~joint.inputs.routes.index.isin(own)]
    return flows[flows.index.get_level_values(0).isin(into)].rename_axis(["route", "year"])


def _rivals_check(inp: Inputs, market: str, rivals: pd.Series, curve: pd.DataFrame,
                  solution: bilevel.BilevelSolution) -> str:
    """Whether holding the other suppliers at their competitive volumes is exact: at the
    leader's optimum the buyer's marginal value of gas (its residual curve at Russia's
    volume) must still cover every rival's delivered marginal cost where it sells, so a
    competitive rival would sell the same."""
    value = demand.prices(curve.assign(market=market).set_index("market", append=True)
                          .reorder_levels(["market", "year", "segment"]),
                          solution.sales.rename_axis("year").to_frame("v").assign(
                              market=market).set_index("market", append=True)
                          .reorder_levels(["market", "year"])["v"])
    flowing = rivals[rivals > 1e-6]
    if flowing.empty:
        return "no other supplier sells there"
    ry = inp.route_years.loc[flowing.index]
    basins = inp.routes["basin"].reindex(flowing.index.get_level_values("route"))
    cost = (inp.basins["mc_intercept"].reindex(basins).to_numpy()
            + inp.basins["mc_slope"].reindex(basins).to_numpy() * flowing.to_numpy()
            + ry["unit_cost"].to_numpy() + ry["delivery_cost"].to_numpy())
    years = flowing.index.get_level_values("year")
    short = value.droplevel("market").reindex(years).to_numpy() - cost
    worst = float(short.min())
    return ("holds" if worst >= -1e-6 else
            f"does not hold: a rival's delivered cost exceeds the buyer's marginal value by "
            f"{-worst:.3f} USD/MMBtu in {int(years[int(short.argmin())])}")


def dedicated_basin(data: DataSet, market: str) -> str | None:
    """The one basin supplying `market`, if it sends gas there alone, by one route that no
    investment option expands; else None. Then Russia's supply curve to the market is that
    basin's marginal cost curve plus a constant transport cost: linear."""
    feeding = data.routes[data.routes["market"] == market]
    if len(feeding) != 1:
        return None
    basin = feeding["basin"].iloc[0]
    alone = (data.routes["basin"] == basin).sum() == 1
    fixed = not data.options["route"].isin(feeding.index).any()
    return basin if alone and fixed else None


def method(scenario: Scenario, data: DataSet, market: str, spec: MonopsonySpec) -> str:
    """'qp' (the equivalent optimisation with a buyer-side term) where Russia's supply curve
    to the market is linear, else 'bilevel'."""
    linear = dedicated_basin(data, market) is not None and scenario.supply_cost == "linear"
    if spec.method == "qp" and not linear:
        raise InputError(scenario.file(), f"markets.{market}.method", "qp needs a linear "
                         f"supply curve to {market}: one basin sending gas there alone, by one "
                         "route no option expands, at linear marginal cost; use bilevel")
    chosen = "qp" if spec.method == "qp" or (spec.method == "auto" and linear) else "bilevel"
    if chosen == "bilevel" and scenario.investment == "lumpy":
        raise InputError(scenario.file(), "investment", "the bilevel monopsony needs "
                         "continuous investment: integer builds have no optimality conditions")
    return chosen


def supply_price(solve: Solve, market: str) -> dict[str, pd.Series]:
    """Russia's marginal cost of supplying `market` by model year, on its route: production
    marginal cost of the basin plus transport (the only route, as the QP method requires)."""
    t = tables(solve)
    route = t["flows"][t["flows"]["market"] == market]
    basins = t["basins"].set_index(["basin", "year"])
    cost = (basins["marginal_cost_usd_per_mmbtu"].reindex(
        list(zip(route["basin"], route["year"], strict=True))).to_numpy()
        + route["unit_cost_usd_per_mmbtu"].to_numpy())
    return {r: pd.Series(c, index=g["year"].to_numpy()) for r, (c, g) in
            zip(route["route"].unique(), [(cost[route["route"].to_numpy() == r],
                                          route[route["route"] == r])
                                         for r in route["route"].unique()], strict=True)}


STRUCTURE = Monopsony()
