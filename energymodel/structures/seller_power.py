"""seller_power: Russia's market power with conjectural parameter theta in [0, 1] (0
competitive, 1 Cournot/monopoly), as Hashimoto's equivalent optimisation: per segment
alpha = p - theta b S, beta = (1 + theta) b (demand.py)."""

from __future__ import annotations

from pydantic import Field

from energymodel.inputs import Inputs, with_theta
from energymodel.structures.base import MarketStructure, Spec, require_curve


class SellerPowerSpec(Spec):
    theta: float = Field(ge=0, le=1, description="0 competitive, 1 monopoly")


class SellerPower(MarketStructure):
    name = "seller_power"
    Spec = SellerPowerSpec

    def transform(self, inp: Inputs, market: str, spec: SellerPowerSpec) -> Inputs:
        require_curve(inp, market, self.name)
        return with_theta(inp, market, spec.theta)


STRUCTURE = SellerPower()
