"""competitive: welfare maximisation on the market's demand curve, price = marginal cost
(theta = 0: the inputs as tabulated)."""

from __future__ import annotations

from energymodel.structures.base import MarketStructure


class Competitive(MarketStructure):
    name = "competitive"


STRUCTURE = Competitive()
