"""The scenario's data overrides applied to the data set: replace (`value`) or multiply
(`scale`) the values an override selects, in the parameter's unit and within its bounds."""

from __future__ import annotations

from dataclasses import replace
from typing import cast

import numpy as np
import pandas as pd

from energymodel import units
from energymodel.data import DataSet, bounds_problem, parameter_schema
from energymodel.errors import InputError
from energymodel.scenario import Override, Scenario


def apply_overrides(data: DataSet, scenario: Scenario) -> DataSet:
    """The data set with the scenario's overrides applied, in order."""
    values = data.values
    for i, override in enumerate(scenario.overrides):
        values = apply_override(values, data, override, f"overrides[{i}]", scenario)
    return replace(data, values=values, changed=data.changed | {
        (o.entity, o.parameter) for o in scenario.overrides})


def apply_override(values: pd.DataFrame, data: DataSet, o: Override, field: str,
                   scenario: Scenario) -> pd.DataFrame:
    """`values` with one override applied; errors name `field` of the scenario file."""
    file = scenario.file()
    kind = data.kind_of(o.entity)
    if kind is None:
        raise InputError(file, f"{field}.entity", f"no basin, market, route or option "
                         f"'{o.entity}' in the data")
    schema = parameter_schema()
    if (kind, o.parameter) not in schema.index:
        raise InputError(file, f"{field}.parameter", f"'{o.parameter}' is not a {kind} parameter")
    spec = cast(pd.Series, schema.loc[(kind, o.parameter)])  # one row: unit, shape, bounds
    if spec["shape"] == "static" and o.year is not None:
        raise InputError(file, f"{field}.year", f"{o.parameter} does not vary by year")
    if spec["shape"] != "pathway" and o.pathway is not None:
        raise InputError(file, f"{field}.pathway", f"{o.parameter} does not vary by pathway")
    if o.pathway is not None and o.pathway not in data.pathways():
        raise InputError(file, f"{field}.pathway", f"no pathway '{o.pathway}' in the data")
    h = scenario.horizon
    if o.year is not None and not h.start_year <= o.year <= h.end_year:
        raise InputError(file, f"{field}.year", f"{o.year} is outside the horizon "
                         f"{h.start_year}-{h.end_year}")
    match = o.mask(values)
    if o.scale is not None:
        if not match.any():
            raise InputError(file, field, f"no value of {o.entity}.{o.parameter} to scale")
        values = values.copy()
        values.loc[match, ["value", "low", "high"]] *= o.scale
        for value in values.loc[match, "value"]:
            if problem := bounds_problem(value, spec):
                raise InputError(file, f"{field}.scale", f"scaled by {o.scale:g}: {problem}")
        return _mark(values, match, scenario, f"scaled by {o.scale:g}")
    assert o.value is not None  # Override's validator: exactly one of value and scale
    try:
        value = units.convert(o.value, o.unit or spec["unit"], spec["unit"])
    except ValueError as err:
        raise InputError(file, f"{field}.unit", f"{err}; expected {spec['unit']}") from None
    if problem := bounds_problem(value, spec):
        raise InputError(file, f"{field}.value", problem)
    # Replace the selected rows. A value without a year sets a constant path over the years
    # the replaced rows spanned (the horizon if there were none).
    if spec["shape"] == "static":
        years = [np.nan]
    elif o.year is not None:
        years = [float(o.year)]
    else:
        spanned = values.loc[match, "year"]
        years = sorted({spanned.min(), spanned.max()}) if match.any() else sorted(
            {float(h.start_year), float(h.end_year)})
    values = values[~match]
    new = [{"entity": o.entity, "parameter": o.parameter, "pathway": o.pathway, "year": year,
            "value": value, "unit": spec["unit"], "low": np.nan, "high": np.nan, "kind": kind,
            "basis": "E", "confidence": "L", "source": f"scenario {scenario.name}",
            "source_date": "", "note": "scenario override", "file": file, "line": field}
           for year in years]
    return pd.concat([values, pd.DataFrame(new)], ignore_index=True)


def _mark(values: pd.DataFrame, match: pd.Series, scenario: Scenario, what: str) -> pd.DataFrame:
    values.loc[match, "source"] = values.loc[match, "source"] + f"; {what} by scenario " \
        f"{scenario.name}"
    return values
