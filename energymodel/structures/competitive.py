"""competitive: welfare maximisation on the market's demand curve, price = marginal cost
(theta = 0: the inputs as tabulated)."""

from __future__ import annotations

from energymodel.structures.base import MarketStructure, Spec


class Competitive(MarketStructure[Spec]):
    name = "competitive"


STRUCTURE = Competitive()
