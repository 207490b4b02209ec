"""The interface of a market structure, and what a structure's solve plan returns.

A scenario gives every market a structure by name (`markets.<market>.structure`). The
structure's module (one per structure, listed in the registry, structures/__init__.py)
subclasses `MarketStructure` and says:

    Spec        the parameters it reads from the market's spec (a strict pydantic model);
    check       that what the spec refers to exists in the data and its method can run;
    transform   how it shapes the inputs (the market's demand segments, its objective terms);
    solve       its solve plan, for a structure that needs more than the one joint solve
                (own_plan; one market per scenario at most);
    indicators  the tables and summary rows it adds to the results.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Generic, TypeVar

import pandas as pd
from pydantic import BaseModel, ConfigDict

from energymodel.data import DataSet
from energymodel.engine import Session, Solve
from energymodel.errors import InputError, display_path
from energymodel.inputs import Inputs
from energymodel.results import accounts, extract
from energymodel.scenario import Scenario


class Spec(BaseModel):
    """A structure's parameters: unknown keys rejected, no coercion from strings, numbers
    finite."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


@dataclass
class Plan:
    """What a structure's solve plan gives: the solve a scenario reports, with what the
    structure adds to it."""

    solve: Solve
    prices: dict[str, pd.Series] = field(default_factory=dict)  # route -> USD/MMBtu by year
    #                                     at its border, where a buyer sets or bargains it
    method: dict | None = None  # how the structure solved it, for the manifest
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    price_basis: str = "set outside the inverse demand"  # what sets `prices`
    duals_from: str = "Russia's optimum"  # the solve `solve` is
    benchmark: pd.Series | None = None  # USD/MMBtu by (route, year): prices are held to it
    benchmark_name: str = ""
    benchmarks: pd.DataFrame | None = None  # the four benchmarks by (route, year), side by side


S = TypeVar("S", bound=Spec)  # a structure's own Spec


class MarketStructure(Generic[S]):
    """A market structure: by default the market is part of the joint solve, at its demand
    curve with the objective terms of `transform`. Its methods take its own `Spec` (S)."""

    name: ClassVar[str]
    Spec: ClassVar[type[Spec]] = Spec
    own_plan: ClassVar[bool] = False  # has a solve plan of its own
    sloped: ClassVar[bool] = True  # needs a sloped demand curve from the data

    def check(self, scenario: Scenario, data: DataSet, market: str, spec: S) -> None:
        """Raise InputError where the spec refers to something the data lack."""

    def transform(self, inp: Inputs, market: str, spec: S) -> Inputs:
        """The inputs with this structure applied to `market`."""
        if self.sloped:
            require_curve(inp, market, self.name)
        return inp

    def solve(self, inp: Inputs, market: str, spec: S, session: Session) -> Plan:
        """The structure's solve plan (own_plan structures only)."""
        raise NotImplementedError(f"{self.name} has no solve plan of its own")

    def indicators(self, inp: Inputs, market: str, spec: S, plan: Plan,
                   tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
        """Tables the structure adds to the results; a "summary" table is appended to the
        summary (metric, value, unit)."""
        return {}


def require_curve(inp: Inputs, market: str, name: str) -> None:
    """The market's data give a sloped demand curve in every year (not only a price)."""
    missing = inp.market_years_of(market)["intercept"].isna()
    if missing.any():
        pathway = inp.markets["pathway"][market]
        raise InputError(display_path(inp.data.directory / "values"),
                         f"market {market}, pathway {pathway}, year {missing.idxmax()}",
                         f"structure {name} needs intercept and slope, or ref_quantity with "
                         "ref_price (or price_cap) and a negative elasticity")


def tables(solve: Solve) -> dict[str, pd.DataFrame]:
    """The results tables of a solve, prices from the inverse demand."""
    return extract(solve)


def money(solve: Solve, prices: dict[str, pd.Series] | None = None
          ) -> dict[str, pd.DataFrame]:
    """The volumes, revenues, profits and builds of a solve, as in its results tables
    (results.accounts): what a solve plan's accounts read, without extracting the rest.
    Without `prices` they are computed once per solve and shared: read, do not modify."""
    if prices is not None:
        return accounts(solve.inputs, solve.values, prices)
    if "money" not in solve.derived:
        solve.derived["money"] = accounts(solve.inputs, solve.values)
    return solve.derived["money"]


def market_rows(table: dict[str, pd.DataFrame], market: str) -> pd.DataFrame:
    """The market's rows of a markets table, indexed by year."""
    markets = table["markets"]
    return markets[markets["market"] == market].set_index("year")
