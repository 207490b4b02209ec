"""price_taker: the market buys at an exogenous price path (the data's `ref_price`), up to its
reference quantity where the data give one (unlimited otherwise)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from energymodel.errors import InputError, display_path
from energymodel.inputs import Inputs, with_segments
from energymodel.structures.base import MarketStructure, Spec


class PriceTaker(MarketStructure[Spec]):
    name = "price_taker"
    sloped = False

    def transform(self, inp: Inputs, market: str, spec: Spec) -> Inputs:
        my = inp.market_years_of(market)
        price = my["ref_price"]
        if price.isna().any():
            raise InputError(display_path(inp.data.directory / "values"),
                             f"market {market}, pathway {inp.markets['pathway'][market]}",
                             "a price_taker market needs ref_price")
        width = my["ref_quantity"].fillna(np.inf)
        flat = pd.DataFrame({"year": my.index, "segment": 0, "start": 0.0,
                             "price": price.to_numpy(), "slope": 0.0,
                             "width": width.to_numpy()}).set_index(["year", "segment"])
        return with_segments(inp, market, flat.assign(alpha=flat["price"], beta=0.0))


STRUCTURE = PriceTaker()
