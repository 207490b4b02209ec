"""Market structures, one module each, and their registry.

A scenario names a structure per market; `REGISTRY` maps that name to the structure's
module-level instance. Adding a structure (for instance Cournot among several suppliers of
one market) means one new module here defining a `MarketStructure` subclass (base.py), one
line in `REGISTRY` and its tests (docs/add-structure.md); nothing else changes.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from energymodel.engine import Session
from energymodel.errors import InputError
from energymodel.inputs import Inputs
from energymodel.scenario import Scenario, field_path, input_error
from energymodel.structures import (
    bargaining,
    competitive,
    cournot,
    monopsony,
    price_taker,
    seller_power,
)
from energymodel.structures.base import MarketStructure, Plan, Spec

REGISTRY: dict[str, MarketStructure[Any]] = {s.name: s for s in (
    price_taker.STRUCTURE, competitive.STRUCTURE, seller_power.STRUCTURE, cournot.STRUCTURE,
    monopsony.STRUCTURE, bargaining.STRUCTURE)}

__all__ = ["REGISTRY", "MarketStructure", "Plan", "Spec", "apply", "buyer_market", "solve",
           "specs"]


def specs(scenario: Scenario) -> dict[str, tuple[MarketStructure[Any], Spec]]:
    """Each market's structure and its validated parameters; InputError names the field."""
    out = {}
    for market, given in scenario.markets.items():
        field = f"markets.{market}"
        structure = REGISTRY.get(given.structure)
        if structure is None:
            raise InputError(scenario.file(), f"{field}.structure", f"unknown structure "
                             f"'{given.structure}' (one of {', '.join(REGISTRY)})")
        try:
            spec = structure.Spec.model_validate(given.parameters)
        except ValidationError as err:
            raise _spec_error(err, scenario.file(), field, structure) from None
        out[market] = (structure, spec)
    planned = [m for m, (s, _) in out.items() if s.own_plan]
    if len(planned) > 1:
        raise InputError(scenario.file(), "markets",
                         f"one market at most can have buyer power, not {planned}")
    return out


def buyer_market(scenario: Scenario) -> str | None:
    """The market whose structure has a solve plan of its own (buyer power), if any."""
    return next((m for m, (s, _) in specs(scenario).items() if s.own_plan), None)


def apply(inp: Inputs) -> Inputs:
    """The inputs with every market's structure checked against the data and applied."""
    for market, (structure, spec) in specs(inp.scenario).items():
        structure.check(inp.scenario, inp.data, market, spec)
        inp = structure.transform(inp, market, spec)
    return inp


def solve(inp: Inputs, session: Session) -> tuple[str | None, Plan]:
    """The scenario's solve: the plan of its buyer-power market, or the one joint solve."""
    for market, (structure, spec) in specs(inp.scenario).items():
        if structure.own_plan:
            return market, structure.solve(inp, market, spec, session)
    return None, Plan(session.solve(inp))


def _spec_error(err: ValidationError, file: str, field: str,
                structure: MarketStructure[Any]) -> InputError:
    """A structure's parameter error as one line naming `markets.<market>.<parameter>`."""
    error = input_error(err, file, structure.Spec)
    first = err.errors()[0]
    reason = error.reason
    if first["type"] == "extra_forbidden":
        takes = ", ".join(structure.Spec.model_fields) or "no parameters"
        reason = f"not a parameter of {structure.name} (it takes: {takes})"
    elif first["type"] == "missing":
        reason = f"{structure.name} needs {first['loc'][-1]}"
    return InputError(file, f"{field}.{field_path(first['loc'])}", reason)
