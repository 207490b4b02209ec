"""Validation against history: modelled flows, prices and revenues of the base years next to
the observed ones (data/history.csv).

An observation is a quantity of an entity in one year or averaged over `year`..`to_year`,
with its own tolerance. Entities select routes of the flows table:
    <route>             that route
    <market>            the exporter's routes into the market (Russia's, not its rivals')
    <supplier>@<market> that supplier's routes into the market
    imports@<market>    every route into the market that is not domestic, all suppliers
    a+b                 the routes of a and of b together
and a ratio quantity takes two of them, `A/B`. Modelled values:
    flow           the routes' flows summed, averaged over the years              [bcm/y]
    price          revenue / (flow x K) over the routes and years: the volume-weighted
                   price the sellers realised at their borders                      [USD/MMBtu]
    revenue        the routes' revenue summed, averaged over the years              [USD bn/y]
    residual       of a market: its demand at its alternative price (price cap) that
                   the modelled suppliers leave unmet, averaged over the years: China's
                   LNG imports (the markets table's residual_bcm_per_y)             [bcm/y]
    revenue_share  A/B: revenue of A over revenue of B, summed over the years       [1]
    price_ratio    A/B: price of A over price of B                                  [1]
Each observation says what kind of check it is (`check`): independent (no data value was
set from it), fit (data were calibrated or fitted on it) or accounting (it follows from
observed inputs by an identity). A modelled value passes when it lies within the stated
tolerance of the observed one.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from energymodel.units import K

QUANTITIES = {"flow": "bcm/y", "price": "USD/MMBtu", "revenue": "USD bn", "residual": "bcm/y",
              "revenue_share": "1", "price_ratio": "1"}
RATIOS = {"revenue_share": "revenue", "price_ratio": "price"}  # A/B of which quantity
CHECKS = ("independent", "fit", "accounting")
IMPORTS = "imports"  # imports@<market>: every non-domestic route into the market
COLUMNS = ["quantity", "entity", "year", "to_year", "unit", "observed", "modelled",
           "difference", "tolerance", "within_tolerance", "check", "source"]


def entity_problem(quantity: str, entity: str, routes: Iterable[str], markets: Iterable[str],
                   suppliers: Iterable[str]) -> str | None:
    """Why `entity` does not name routes for `quantity` (the module docstring's forms, with
    these ids), or None if it does."""
    routes, markets, suppliers = set(routes), set(markets), set(suppliers)
    sides = entity.split("/")
    if quantity in RATIOS:
        if len(sides) != 2:
            return f"{quantity} needs two entities, A/B"
    elif len(sides) > 1:
        return f"only {' and '.join(RATIOS)} take A/B"
    if quantity == "residual":
        return None if entity in markets else f"residual needs a market, not '{entity}'"
    for side in sides:
        parts = side.split("+")
        if len(set(parts)) < len(parts):
            return "an entity listed twice"
        for part in parts:
            who, at, market = part.rpartition("@")
            if at:
                if market not in markets:
                    return f"no market '{market}'"
                if who != IMPORTS and who not in suppliers:
                    return f"no supplier '{who}' (or {IMPORTS})"
            elif part not in routes | markets:
                return f"no route or market '{part}'"
    return None


def _routes(flows: pd.DataFrame, entity: str) -> pd.Series:
    """Rows of `flows` the entity (a sum of the module docstring's forms) selects."""
    selected = pd.Series(False, index=flows.index)
    exporter = flows["role"] == "exporter" if "role" in flows else True
    for part in entity.split("+"):
        who, at, market = part.rpartition("@")
        if not at:
            selected |= (flows["route"] == part) | ((flows["market"] == part) & exporter)
        elif who == IMPORTS:
            selected |= (flows["market"] == market) & (flows["kind"] != "domestic")
        else:
            selected |= (flows["market"] == market) & (flows["supplier"] == who)
    return selected


def _value(flows: pd.DataFrame, quantity: str, entity: str, years: range) -> float:
    rows = flows[_routes(flows, entity) & flows["year"].isin(years)]
    if quantity == "price":
        volume = rows["flow_bcm_per_y"].sum()
        return float(rows["revenue_usd_bn"].sum() / (volume * K)) if volume > 1e-9 else np.nan
    column = "flow_bcm_per_y" if quantity == "flow" else "revenue_usd_bn"
    return float(rows[column].sum() / len(years))


def modelled(flows: pd.DataFrame, quantity: str, entity: str, years: range,
             markets: pd.DataFrame | None = None) -> float:
    """The model's value of one observation (see the module docstring); NaN for a price
    without flow, a ratio over nothing, or a residual without the markets table."""
    if quantity == "residual":
        if markets is None or "residual_bcm_per_y" not in markets:
            return np.nan
        rows = markets[(markets["market"] == entity) & markets["year"].isin(years)]
        return float(rows["residual_bcm_per_y"].sum() / len(years))
    if quantity in RATIOS:
        a, b = (_value(flows, RATIOS[quantity], side, years) for side in entity.split("/"))
        return a / b if abs(b) > 1e-12 else np.nan
    return _value(flows, quantity, entity, years)


def validation_table(flows: pd.DataFrame, history: pd.DataFrame,
                     markets: pd.DataFrame | None = None) -> pd.DataFrame | None:
    """Observed against modelled values for the observations whose years the run covers;
    None if it covers none. `markets` (the results' markets table) gives the residuals."""
    years = set(flows["year"])
    covered = [set(range(y, t + 1)) <= years
               for y, t in zip(history["year"], history["to_year"], strict=True)]
    observed = history[covered]
    if observed.empty:
        return None
    rows = []
    for row in observed.to_dict("records"):
        value = modelled(flows, row["quantity"], row["entity"],
                         range(row["year"], row["to_year"] + 1), markets)
        rows.append({"quantity": row["quantity"], "entity": row["entity"], "year": row["year"],
                     "to_year": row["to_year"], "unit": QUANTITIES[row["quantity"]],
                     "observed": row["value"], "modelled": value,
                     "difference": value - row["value"], "tolerance": row["tolerance"],
                     "within_tolerance": bool(abs(value - row["value"]) <= row["tolerance"]),
                     "check": row.get("check", ""), "source": row["source"]})
    return pd.DataFrame(rows, columns=COLUMNS)
