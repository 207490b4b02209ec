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

from energymodel import bilevel
from energymodel.data import DataSet
from energymodel.engine import Session, Solve
from energymodel.errors import InputError
from energymodel.inputs import Inputs, with_market_prices
from energymodel.scenario import Scenario
from energymodel.structures.base import Plan, market_rows, money, require_curve, tables
from energymodel.structures.buyer_power import BuyerPower, BuyerPowerSpec


class MonopsonySpec(BuyerPowerSpec):
    phi: float = Field(ge=0, le=1, description="0 competitive, 1 sole buyer")
    method: Literal["auto", "qp", "bilevel"] = Field(
        "auto", description="equivalent QP (dedicated supply) or bilevel MILP")


class Monopsony(BuyerPower):
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
        markup = inp.basins["buyer_markup"].copy()
        markup[dedicated_basin(inp.data, market)] = spec.phi
        return replace(inp, basins=inp.basins.assign(buyer_markup=markup))

    def plan(self, inp: Inputs, market: str, spec: MonopsonySpec, joint: Solve | None,
             session: Session) -> Plan:
        if method(inp.scenario, inp.data, market, spec) == "qp":
            solve = session.solve(inp)
            how = {"method": "monopsony as the equivalent QP: buyer-side term phi d Q^2 / 2 on "
                             "the dedicated basin's cost, price = Russia's marginal cost"}
            return Plan(solve, {market: supply_price(solve, market)}, how)
        start = time.perf_counter()
        follower_inputs = with_market_prices(inp, market, pd.Series(0.0, index=inp.years.index))
        solution = bilevel.solve(session, follower_inputs, market, spec.phi,
                                 inp.segments.loc[market], inp.scenario.solver)
        solve = session.solve(with_market_prices(inp, market, solution.prices),
                              fixed_units=solution.units)
        check = market_rows(money(solve), market)["volume_bcm_per_y"] - solution.sales
        how = {
            "method": "monopsony as a bilevel MILP: Russia's QP replaced by its KKT conditions "
                      "(binaries only where the data leave a constraint open; big-M bounds "
                      "on the multipliers from the values of gas), a strong-duality cut, the "
                      "leader's concave terms by tangent cuts refined at each incumbent "
                      "(warm-started), then the exact QP with the binding pattern fixed; "
                      "Russia's answer re-solved at the leader's prices",
            "binaries": solution.binaries, "milp_rounds": solution.rounds,
            "cuts_converged": solution.converged, "exact_qp_polish": solution.polished,
            "milp_seconds": round(solution.seconds, 3),
            "leader_objective_usd_bn": solution.objective,
            "leader_objective_bound_usd_bn": solution.bound,
            "follower_check_max_deviation_bcm_per_y": float(check.abs().max()),
            "bilevel_wall_seconds": round(time.perf_counter() - start, 3)}
        return Plan(solve, {market: solution.prices}, how)


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


def supply_price(solve: Solve, market: str) -> pd.Series:
    """Russia's marginal cost of supplying `market` by model year: production marginal cost
    of the basin plus transport (the only route, as the QP method requires)."""
    t = tables(solve)
    route = t["flows"][t["flows"]["market"] == market]
    basins = t["basins"].set_index(["basin", "year"])
    cost = (basins["marginal_cost_usd_per_mmbtu"].reindex(
        list(zip(route["basin"], route["year"], strict=True))).to_numpy()
        + route["unit_cost_usd_per_mmbtu"].to_numpy())
    return pd.Series(cost, index=route["year"].to_numpy())


STRUCTURE = Monopsony()
