"""Validation against history: modelled flows of the base years next to observed ones.

A history row names a route (its flow) or a market (the sum of the flows into it). A
modelled value passes when it lies within max(15% of the observed value, 2 bcm/y) of it:
wide enough for annual data rounded in the sources and for contracts that ran slightly above
nominal capacity, narrow enough to catch a wrong capacity, cost or policy.
"""

from __future__ import annotations

import pandas as pd

RELATIVE_TOLERANCE = 0.15
ABSOLUTE_TOLERANCE_BCM = 2.0


def validation_table(flows: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame | None:
    """Observed against modelled flows for the history years the run covers; None if none."""
    years = set(flows["year"])
    observed = history[history["year"].isin(years)]
    if observed.empty:
        return None
    by_route = flows.set_index(["route", "year"])["flow_bcm_per_y"]
    by_market = flows.groupby(["market", "year"])["flow_bcm_per_y"].sum()
    rows = []
    for row in observed.itertuples(index=False):
        key = (row.entity, row.year)
        modelled = by_route.get(key, by_market.get(key, 0.0))  # a market without routes: 0
        tolerance = max(RELATIVE_TOLERANCE * row.value, ABSOLUTE_TOLERANCE_BCM)
        rows.append({"entity": row.entity, "year": row.year,
                     "observed_bcm_per_y": row.value, "modelled_bcm_per_y": modelled,
                     "difference_bcm_per_y": modelled - row.value,
                     "tolerance_bcm_per_y": tolerance,
                     "within_tolerance": abs(modelled - row.value) <= tolerance,
                     "source": row.source})
    return pd.DataFrame(rows)
