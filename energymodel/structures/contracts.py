"""Contract price paths: how a bargained payment becomes the price a contract writes.

The Nash bargain fixes what the buyer pays in NPV; the contract form fixes the path:

    levelised  one price over the contract years: payment / sum_y W_y K Q_y;
    indexed    p_y = slope x L_y + constant, L_y the lagged Brent price (the market's
               oil-indexed formula in the data). The bargain sets one term (`bargained`):
               the constant by default (the base price, as in price reviews of oil-indexed
               gas contracts), the slope from the data, so the path moves with the index
               one for one; or the slope, the constant from the data;
    review     the indexed formula, its bargained term re-struck every `review_years`
               years from the start; each review period's payment comes from that
               period's bargain (bargaining.py: there the capacity already built is sunk).

In every form the payments' NPV over each bargain's years equals the bargained payment:
sum_y W_y K Q_y p_y = payment (W_y discount weights, K USD bn per bcm/y at 1 USD/MMBtu).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field, model_validator

from energymodel.structures.base import Spec


class Contract(Spec):
    """The price path of a bargained contract (see the module docstring)."""

    form: Literal["levelised", "indexed", "review"] = "levelised"
    bargained: Literal["constant", "slope"] = Field(
        "constant", description="indexed, review: the term of the formula the bargain sets")
    review_years: int | None = Field(None, ge=1, le=50, description="review: years between "
                                     "price reviews")

    @model_validator(mode="after")
    def _review_years(self) -> Contract:
        if (self.form == "review") != (self.review_years is not None):
            raise ValueError("form review needs review_years, and review_years applies to "
                             "form review only")
        return self


def review_starts(years: pd.Index, contract: Contract) -> pd.Series:
    """The start year of the bargain (review period) each model year belongs to."""
    first = int(years.min())
    if contract.form != "review":
        return pd.Series(first, index=years, name="review_year")
    every = contract.review_years
    return pd.Series(first + (years.to_numpy() - first) // every * every, index=years,
                     name="review_year")


def price_path(contract: Contract, payments: pd.Series, volume: pd.Series,
               terms: pd.DataFrame) -> pd.DataFrame:
    """The contract's price by model year [USD/MMBtu] with its terms.

    payments: bargained payment by review start year [USD bn]; volume: W_y K Q_y by year
    [USD bn per USD/MMBtu]; terms: the deal's index terms by year, contract_slope,
    contract_constant and lagged_oil_price [USD/bbl].
    """
    starts = review_starts(volume.index, contract)
    table = pd.DataFrame({"review_year": starts, "discounted_volume": volume})
    period_volume = table.groupby("review_year")["discounted_volume"].sum()
    if contract.form == "levelised":
        level = payments / period_volume.where(period_volume > 0)
        table["slope"], table["lagged_oil_price_usd_per_bbl"] = 0.0, np.nan
        table["constant"] = level.reindex(starts).to_numpy()
        table["price_usd_per_mmbtu"] = table["constant"]
        return table
    lagged = terms["lagged_oil_price"].reindex(volume.index)
    slope = terms["contract_slope"].reindex(volume.index)
    constant = terms["contract_constant"].reindex(volume.index)
    table["lagged_oil_price_usd_per_bbl"] = lagged
    if contract.bargained == "constant":
        index_npv = (volume * slope * lagged).groupby(starts).sum()
        fixed = (payments - index_npv) / period_volume.where(period_volume > 0)
        table["slope"], table["constant"] = slope, fixed.reindex(starts).to_numpy()
    else:
        index_npv = (volume * lagged).groupby(starts).sum()
        fixed = (payments - (volume * constant).groupby(starts).sum()) / index_npv.where(
            index_npv > 0)
        table["slope"], table["constant"] = fixed.reindex(starts).to_numpy(), constant
    table["price_usd_per_mmbtu"] = table["slope"] * lagged + table["constant"]
    return table
