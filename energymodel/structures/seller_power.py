"""seller_power: Russia's market power with conjectural parameter theta in [0, 1] (0
competitive, 1 Cournot/monopoly), as Hashimoto's equivalent optimisation: per segment
alpha = p - theta b S, beta = (1 + theta) b (demand.py)."""

from __future__ import annotations

from pydantic import Field

from energymodel.data import DataSet
from energymodel.errors import InputError
from energymodel.inputs import Inputs, with_theta
from energymodel.scenario import Scenario
from energymodel.structures.base import MarketStructure, Spec, require_curve


class SellerPowerSpec(Spec):
    theta: float = Field(ge=0, le=1, description="0 competitive, 1 monopoly")


class SellerPower(MarketStructure[SellerPowerSpec]):
    name = "seller_power"
    Spec = SellerPowerSpec

    def check(self, scenario: Scenario, data: DataSet, market: str,
              spec: SellerPowerSpec) -> None:
        """theta applies to the market's whole volume: one supplier may sell there."""
        selling = sorted(set(data.routes.loc[data.routes["market"] == market, "supplier"]))
        if len(selling) > 1:
            raise InputError(scenario.file(), f"markets.{market}.structure", f"seller_power "
                             f"applies theta to all of {market}'s volume, and {', '.join(selling)} "
                             "sell there: use cournot, with theta per supplier")

    def transform(self, inp: Inputs, market: str, spec: SellerPowerSpec) -> Inputs:
        require_curve(inp, market, self.name)
        return with_theta(inp, market, spec.theta)


STRUCTURE = SellerPower()
