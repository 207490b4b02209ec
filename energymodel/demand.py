"""Inverse demand for Russian gas and the market-structure terms of the objective.

A market's inverse demand in one year is concave and piecewise linear: a list of segments
`k` with a price at the segment's start `p_k` [USD/MMBtu], a slope `b_k` [USD/MMBtu per
bcm/y] and a width `w_k` [bcm/y] (infinite for the last one). Slopes never fall from one
segment to the next, which keeps both consumer value and revenue concave.

- Linear demand `p = a - bQ` is one segment, calibrated from a reference point:
  `b = p0 / (|e| q0)`, `a = p0 + b q0`, or given directly as (intercept, slope).
- A price cap (the buyer's best alternative, e.g. China's LNG import parity) cuts the line:
  a flat segment at the cap up to where the line meets it, then the line.
- A price-taker market is one flat segment at the price path, as wide as the market's
  reference quantity (unlimited without one).

Market structure enters through the objective (Hashimoto's equivalent optimisation):
Russia maximises, for each market, `(1 - theta) * consumer value + theta * revenue`, which
gives price = marginal cost for theta = 0 and marginal revenue = marginal cost for
theta = 1. Per segment this is the concave quadratic `alpha_k x_k - beta_k x_k^2 / 2` with
    alpha_k = p_k - theta b_k S_k     (S_k: start of segment k, bcm/y)
    beta_k  = (1 + theta) b_k.
With one linear segment the optimum is `Q = (a - c) / ((1 + theta) b + d)` against a supply
curve `c + dQ`: the closed forms of docs/derivations.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import cast

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Segment:
    """One linear piece of an inverse demand curve."""

    start: float  # bcm/y, where the segment begins
    price: float  # USD/MMBtu at the segment's start
    slope: float  # USD/MMBtu per bcm/y, >= 0
    width: float  # bcm/y, math.inf for the last segment


def linear_from_reference(ref_quantity: float, ref_price: float,
                          elasticity: float) -> tuple[float, float]:
    """(a, b) of the line through (q0, p0) with point elasticity `elasticity` there."""
    if ref_quantity <= 0:
        return ref_price, math.inf  # no demand beyond zero volume
    b = ref_price / (abs(elasticity) * ref_quantity)
    return ref_price + b * ref_quantity, b


def curve(intercept: float, slope: float, price_cap: float | None = None) -> list[Segment]:
    """Segments of `p = min(intercept - slope Q, price_cap)`."""
    if math.isinf(slope):
        price = intercept if price_cap is None else min(intercept, price_cap)
        return [Segment(0.0, price, 0.0, 0.0)]
    if price_cap is None or price_cap >= intercept:
        return [Segment(0.0, intercept, slope, math.inf)]
    kink = (intercept - price_cap) / slope
    return [Segment(0.0, price_cap, 0.0, kink), Segment(kink, price_cap, slope, math.inf)]


def flat(price: float, quantity: float | None = None) -> list[Segment]:
    """A price-taker market: `price` for up to `quantity` (unlimited if None)."""
    return [Segment(0.0, price, 0.0, math.inf if quantity is None else quantity)]


def with_terms(segments: pd.DataFrame, theta: float) -> pd.DataFrame:
    """A segments table (columns start, price, slope, width) with the objective terms
    alpha_k, beta_k of conjectural parameter `theta`."""
    return segments.assign(alpha=segments["price"] - theta * segments["slope"] * segments["start"],
                           beta=(1 + theta) * segments["slope"])


def prices(segments: pd.DataFrame, volume: pd.Series) -> pd.Series:
    """Inverse demand at `volume` for every (market, year) of a segments table (indexed by
    market, year, segment with columns start, price, slope, width) [USD/MMBtu]: on the first
    segment that reaches the volume, or the last one."""
    keys = cast(pd.MultiIndex, segments.index).droplevel("segment")
    q = volume.reindex(keys).fillna(0.0).to_numpy()
    start = segments["start"].to_numpy()
    chosen = (q <= start + segments["width"].to_numpy()) | ~keys.duplicated(keep="last")
    first = chosen & (pd.Series(chosen, index=keys).groupby(level=["market", "year"])
                      .cumsum().to_numpy() == 1)
    price = (segments["price"].to_numpy() - segments["slope"].to_numpy()
             * np.maximum(q - start, 0.0))[first]
    return pd.Series(price, index=keys[first]).sort_index()


def residual(segments: pd.DataFrame, served: pd.Series) -> pd.DataFrame:
    """One market's curve (segments indexed by year, segment: start, price, slope, width)
    for what it buys beyond `served` bcm/y (by year, bought from others first): each year's
    segments cut at that volume and restarted at zero, same slopes."""
    rows = []
    for key, s in segments.iterrows():
        year, k = cast(tuple[int, int], key)
        cut = float(served.get(year, 0.0))
        end = s["start"] + s["width"]
        if end <= cut:
            continue
        start = max(s["start"], cut)
        rows.append({"year": year, "segment": k, "start": start - cut,
                     "price": s["price"] - s["slope"] * (start - s["start"]),
                     "slope": s["slope"], "width": end - start})
    table = pd.DataFrame(rows).set_index(["year", "segment"])
    return table.assign(segment_order=table.groupby(level="year").cumcount()).reset_index(
        "segment", drop=True).set_index("segment_order", append=True).rename_axis(
        ["year", "segment"])


def consumer_value(segments: pd.DataFrame, volume: pd.Series) -> pd.Series:
    """The integral of the inverse demand up to `volume`, by year [USD/MMBtu x bcm/y], for
    one market's segments (indexed by year, segment)."""
    bought = (volume.reindex(segments.index.get_level_values("year")).to_numpy()
              - segments["start"].to_numpy()).clip(min=0)
    bought = np.minimum(bought, segments["width"].to_numpy())
    value = segments["price"].to_numpy() * bought - segments["slope"].to_numpy() * bought ** 2 / 2
    return pd.Series(value, index=segments.index).groupby(level="year").sum()
