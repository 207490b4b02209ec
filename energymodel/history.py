"""Validation against history: modelled flows, prices and revenues of the base years next to
the observed ones (data/history.csv).

An observation names a route, a market, or a sum of them (`europe+turkey`), in one year or
averaged over `year`..`to_year`, and states its own tolerance. Modelled values come from the
flows table:
    flow     the routes' flows summed, averaged over the years                [bcm/y]
    price    revenue / (flow x K) over the routes and years: the volume-weighted
             price the seller realised                                         [USD/MMBtu]
    revenue  the routes' revenue summed, averaged over the years               [USD bn/y]
A modelled value passes when it lies within the stated tolerance of the observed one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from energymodel.units import K

COLUMNS = ["quantity", "entity", "year", "to_year", "unit", "observed", "modelled",
           "difference", "tolerance", "within_tolerance", "source"]


def modelled(flows: pd.DataFrame, quantity: str, entity: str, years: range) -> float:
    """The model's value of one observation (see the module docstring); NaN for a price
    without flow."""
    parts = entity.split("+")
    rows = flows[(flows["route"].isin(parts) | flows["market"].isin(parts))
                 & flows["year"].isin(years)]
    if quantity == "price":
        volume = rows["flow_bcm_per_y"].sum()
        return float(rows["revenue_usd_bn"].sum() / (volume * K)) if volume > 1e-9 else np.nan
    column = "flow_bcm_per_y" if quantity == "flow" else "revenue_usd_bn"
    return float(rows[column].sum() / len(years))


def validation_table(flows: pd.DataFrame, history: pd.DataFrame) -> pd.DataFrame | None:
    """Observed against modelled values for the observations whose years the run covers;
    None if it covers none."""
    years = set(flows["year"])
    covered = [set(range(y, t + 1)) <= years
               for y, t in zip(history["year"], history["to_year"], strict=True)]
    observed = history[covered]
    if observed.empty:
        return None
    units = {"flow": "bcm/y", "price": "USD/MMBtu", "revenue": "USD bn"}
    rows = []
    for row in observed.itertuples(index=False):
        value = modelled(flows, row.quantity, row.entity, range(row.year, row.to_year + 1))
        rows.append({"quantity": row.quantity, "entity": row.entity, "year": row.year,
                     "to_year": row.to_year, "unit": units[row.quantity],
                     "observed": row.value, "modelled": value,
                     "difference": value - row.value, "tolerance": row.tolerance,
                     "within_tolerance": bool(abs(value - row.value) <= row.tolerance),
                     "source": row.source})
    return pd.DataFrame(rows, columns=COLUMNS)
