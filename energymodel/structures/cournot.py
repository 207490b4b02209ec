"""cournot, theta per supplier: Cournot (conjectural-variation) competition among the
suppliers of one market, as a block of the one concave program (docs/derivations.md,
section 1).

Each supplier s listed in `theta` perceives its marginal revenue P(Q) - theta_s b q_s, with
q_s its sales in the market (every route it has there) and b the slope of the market's
linear inverse demand P = a - bQ; suppliers not listed are price takers (theta 0). The
equilibrium is the optimum of Hashimoto's equivalent program: the market's consumer value
less every supplier's cost, less the block's term

    sum_s theta_s b q_s^2 / 2        (per year; K W_y as every objective term)

whose first-order conditions are P(Q) - theta_s b q_s = marginal cost of s on each route it
uses. The term is written on an auxiliary variable q_s = sum of s's flows into the market, so
the Hessian stays diagonal (the compiled engine and the interior-point QP carry it).
theta_s = 1 for every supplier is Cournot-Nash; n firms with marginal costs c_i + d_i q_i
then sell q_i = (a - bQ - c_i) / (b + d_i) with Q their sum (tests/test_cournot.py).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated

import pandas as pd
import pyomo.environ as pyo
from pydantic import Field

from energymodel.data import DataSet
from energymodel.engine import Solve
from energymodel.errors import InputError, display_path
from energymodel.inputs import Inputs
from energymodel.model import add_parameters
from energymodel.scenario import Scenario
from energymodel.structures.base import MarketStructure, Spec, require_curve
from energymodel.units import K


class CournotSpec(Spec):
    theta: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        min_length=1, description="conjectural parameter per supplier selling in the market "
        "(1 Cournot, 0 price taker; suppliers not listed are price takers)")


@dataclass(frozen=True)
class CournotBlock:
    """The Cournot term of one market (see the module docstring); model.Block."""

    market: str
    theta: tuple[tuple[str, float], ...]  # (supplier, theta), theta > 0

    @property
    def prefix(self) -> str:
        return f"cournot_{self.market}"

    def _sales(self, inp: Inputs) -> pd.MultiIndex:
        """(supplier, year) of the strategic suppliers' sales in the market."""
        return pd.MultiIndex.from_product([[s for s, _ in self.theta], list(inp.years.index)],
                                          names=["supplier", "year"])

    def key(self, inp: Inputs) -> str:
        return f"{self.prefix}|{[s for s, _ in self.theta]}"

    def parameter_values(self, inp: Inputs) -> dict[str, pd.Series]:
        slope = inp.market_years_of(self.market)["slope"]
        return {f"{self.prefix}_theta": pd.Series(dict(self.theta), dtype=float),
                f"{self.prefix}_slope": slope.reindex(inp.years.index).astype(float)}

    def define(self, m: pyo.ConcreteModel, inp: Inputs) -> None:
        p = self.prefix
        suppliers = [s for s, _ in self.theta]
        m.add_component(f"{p}_SUPPLIERS", pyo.Set(initialize=suppliers))
        m.add_component(f"{p}_SALES", pyo.Set(initialize=list(self._sales(inp)), dimen=2))
        add_parameters(m, self.parameter_values(inp),
                       {f"{p}_theta": m.component(f"{p}_SUPPLIERS"), f"{p}_slope": m.YEARS},
                       {f"{p}_theta": "conjectural parameter of the supplier (1)",
                        f"{p}_slope": "slope b of the market's inverse demand "
                                      "[USD/MMBtu per bcm/y]"})
        sales = pyo.Var(m.component(f"{p}_SALES"), domain=pyo.NonNegativeReals,
                        doc="the supplier's sales in the market [bcm/y]")
        m.add_component(f"{p}_supply", sales)
        routes = inp.routes[inp.routes["market"] == self.market]
        of = {s: list(routes.index[routes["supplier"] == s]) for s in suppliers}

        def balance(m, s, y):
            """A supplier's sales in the market are its flows on its routes there [bcm/y]."""
            return sales[s, y] == sum(m.flow[r, y] for r in of[s])

        m.add_component(f"{p}_supply_balance",
                        pyo.Constraint(m.component(f"{p}_SALES"), rule=balance))

    def route_markup(self, solve: Solve) -> pd.Series:
        """Each strategic supplier's markup on its routes into the market, theta_s b q_s
        [USD/MMBtu], by (route, year): the wedge its conduct puts between the price and its
        marginal cost (results.py, the netback identity)."""
        inp = solve.inputs
        q = solve.values(f"{self.prefix}_supply")
        theta = pd.Series(dict(self.theta))
        slope = inp.market_years_of(self.market)["slope"]
        markup = (theta.reindex(q.index.get_level_values(0)).to_numpy()
                  * slope.reindex(q.index.get_level_values(1)).to_numpy() * q.to_numpy())
        by_supplier = pd.Series(markup, index=q.index)
        routes = inp.routes[(inp.routes["market"] == self.market)
                            & inp.routes["supplier"].isin(theta.index)]
        rows = [((r, y), by_supplier.get((routes.at[r, "supplier"], y), 0.0))
                for r in routes.index for y in inp.years.index]
        return pd.Series(dict(rows), dtype=float)

    def annual(self, m: pyo.ConcreteModel, y: int):
        p = self.prefix
        theta, slope, sales = (m.component(f"{p}_{n}") for n in ("theta", "slope", "supply"))
        return -K * sum(theta[s] * slope[y] * sales[s, y] ** 2 / 2
                        for s in m.component(f"{p}_SUPPLIERS"))


class Cournot(MarketStructure[CournotSpec]):
    name = "cournot"
    Spec = CournotSpec

    def check(self, scenario: Scenario, data: DataSet, market: str, spec: CournotSpec) -> None:
        selling = set(data.routes.loc[data.routes["market"] == market, "supplier"])
        for supplier in spec.theta:
            field = f"markets.{market}.theta.{supplier}"
            if supplier not in data.suppliers.index:
                raise InputError(scenario.file(), field, f"no supplier '{supplier}' in the "
                                 f"data (one of {', '.join(data.suppliers.index)})")
            if supplier not in selling:
                raise InputError(scenario.file(), field, f"supplier '{supplier}' has no route "
                                 f"to {market}")

    def transform(self, inp: Inputs, market: str, spec: CournotSpec) -> Inputs:
        require_curve(inp, market, self.name)
        segments = inp.segments_of(market).groupby(level="year").size()
        if (segments > 1).any():
            raise InputError(display_path(inp.data.directory / "values"), f"market {market}",
                             "cournot needs a linear inverse demand (intercept and slope, or "
                             "a reference point without a price cap)")
        theta = tuple((s, float(t)) for s, t in spec.theta.items() if t > 0)
        if not theta:
            return inp
        return replace(inp, blocks=(*inp.blocks, CournotBlock(market, theta)))


STRUCTURE = Cournot()
