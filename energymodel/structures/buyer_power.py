"""What the buyer-power structures (monopsony, bargaining) share: the benchmark their price
is held to and the price pressure they add to the results (indicators.py).

benchmark: competitive   the price at the joint-surplus optimum (the market competitive);
           oil_indexed   the contract formula slope x lagged Brent + constant (data).
"""

from __future__ import annotations

from typing import ClassVar, Literal

import pandas as pd
from pydantic import Field

from energymodel import indicators
from energymodel.data import DataSet
from energymodel.engine import Session, Solve
from energymodel.errors import InputError
from energymodel.inputs import Inputs, with_competitive
from energymodel.scenario import Scenario
from energymodel.structures.base import MarketStructure, Plan, Spec, market_rows, money

CONTRACT_DATA = ["contract_slope", "contract_constant", "contract_lag", "oil_price"]


class BuyerPowerSpec(Spec):
    benchmark: Literal["competitive", "oil_indexed"] = Field(
        "competitive", description="price pressure is measured against this price")


class BuyerPower(MarketStructure):
    """A buyer-power structure: its own solve plan, the benchmark, the price pressure."""

    own_plan = True
    needs_joint: ClassVar[bool] = False  # its plan uses the joint-surplus (competitive) solve

    def check(self, scenario: Scenario, data: DataSet, market: str,
              spec: BuyerPowerSpec) -> None:
        if spec.benchmark == "oil_indexed":
            require_contract_data(scenario, data, market, f"markets.{market}.benchmark",
                                  "oil_indexed")

    def solve(self, inp: Inputs, market: str, spec: BuyerPowerSpec, session: Session) -> Plan:
        joint = (session.solve(with_competitive(inp, market))
                 if self.needs_joint or spec.benchmark == "competitive" else None)
        plan = self.plan(inp, market, spec, joint, session)
        plan.benchmark_name = spec.benchmark
        plan.benchmark = (market_rows(money(joint), market)["price_usd_per_mmbtu"]
                          if joint is not None and spec.benchmark == "competitive"
                          else inp.market_years.loc[market, "oil_indexed_price"])
        return plan

    def plan(self, inp: Inputs, market: str, spec: BuyerPowerSpec, joint: Solve | None,
             session: Session) -> Plan:
        """The solve plan proper; `joint` is the joint-surplus solve, where computed."""
        raise NotImplementedError

    def indicators(self, inp: Inputs, market: str, spec: BuyerPowerSpec, plan: Plan,
                   tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        pressure = indicators.pressure_table(tables["flows"], tables["markets"], market,
                                             plan.benchmark, plan.benchmark_name)
        return {"pressure": pressure,
                "summary": indicators.pressure_summary(pressure, inp.years["weight"])}


def require_contract_data(scenario: Scenario, data: DataSet, market: str, field: str,
                          what: str) -> None:
    """The market's contract terms and oil price path are in the data."""
    missing = [p for p in CONTRACT_DATA if data.series(market, p).empty]
    if missing:
        raise InputError(scenario.file(), field, f"{what} needs {', '.join(CONTRACT_DATA)} for "
                         f"{market} in the data (missing: {', '.join(missing)})")
