"""Uncertain inputs resolved against the base scenario and its data: bounds, base value,
unit, and how a value becomes a scenario variant (a data override or a scenario field)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np
import pandas as pd

from energymodel.data import DataSet, load_dataset, parameter_schema
from energymodel.errors import InputError
from energymodel.overrides import apply_overrides
from energymodel.scenario import Override, Scenario, Selector
from energymodel.structures import specs
from energymodel.sweeps.spec import InputSpec, SweepSpec, require

WHOLE_UNITS = {"count", "years", "year"}  # parameters taking whole numbers: values rounded


@dataclass(frozen=True)
class Factor:
    """One swept input. A value x sets `field` (a dotted scenario path) or the data values
    of `targets` (the input's selector, then those of `also`) to x (mode value) or scales
    them by x (mode scale)."""

    name: str
    unit: str
    low: float
    high: float
    base: float
    distribution: str
    levels: tuple[float, ...] | None
    field: str | None = None
    targets: tuple[Selector, ...] = ()
    mode: str = "value"
    whole: bool = False

    def overrides(self, x: float) -> list[Override]:
        """The data overrides that put this factor at x."""
        x = float(round(x)) if self.whole else float(x)
        return [Override.model_validate({**t.model_dump(), self.mode: x}) for t in self.targets]


def resolve(spec: SweepSpec, base: Scenario) -> list[Factor]:
    """The sweep's inputs (explicit, then `ranged`), checked against the scenario's data."""
    raw = load_dataset(base.data_dir)
    data = apply_overrides(raw, base)
    factors = [_resolve(s, spec, base, data, f"inputs[{i}]") for i, s in enumerate(spec.inputs)]
    if spec.ranged is not None:
        named = {(f.targets[0].entity, f.targets[0].parameter) for f in factors if f.targets}
        for entity, parameter in _ranged(data, base, spec.ranged.confidence):
            if (entity, parameter) not in named:
                factors.append(_resolve(InputSpec(entity=entity, parameter=parameter), spec,
                                        base, data, f"ranged ({entity}.{parameter})"))
    names = [f.name for f in factors]
    duplicate = next((n for n in names if names.count(n) > 1), None)
    require(duplicate is None, spec, "inputs", f"input '{duplicate}' is named twice")
    for end in ("low", "high"):  # both ends are valid scenarios and data: checked now
        try:
            scenario = variant(base, factors, {f.name: getattr(f, end) for f in factors})
            specs(scenario)
            apply_overrides(raw, scenario)
        except InputError as err:
            raise InputError(spec.file(), "inputs", f"at their {end} bounds: {err.field}: "
                             f"{err.reason}") from None
    return factors


def variant(base: Scenario, factors: list[Factor], x: dict[str, float]) -> Scenario:
    """The base scenario with every factor at its value in `x` (one validation)."""
    overrides = [o for f in factors if f.field is None for o in f.overrides(x[f.name])]
    content = base.model_dump()
    for f in factors:
        if f.field is not None:
            _set(content, f.field.split("."), float(x[f.name]))
    changed = {k: content[k] for k in {f.field.split(".")[0] for f in factors if f.field}}
    return base.updated(**changed, overrides=[*base.overrides, *overrides])


def problem(factors: list[Factor]) -> dict[str, Any]:
    """The SALib problem of the factors (names, bounds, distributions)."""
    bounds, dists = [], []
    for f in factors:
        if f.distribution == "uniform":
            bounds.append([f.low, f.high])
            dists.append("unif")
        elif f.distribution == "triangular":
            bounds.append([f.low, f.high, (f.base - f.low) / (f.high - f.low)])
            dists.append("triang")
        else:
            bounds.append([f.low, f.high, f.base, (f.high - f.low) / 4])
            dists.append("truncnorm")
    return {"num_vars": len(factors), "names": [f.name for f in factors], "bounds": bounds,
            "dists": dists}


def _resolve(s: InputSpec, spec: SweepSpec, base: Scenario, data: DataSet,
             where: str) -> Factor:
    levels = tuple(s.values) if s.values is not None else None
    given = s.given_bounds()
    if s.field is not None:
        current = _get(base.model_dump(), s.field.split("."))
        require(isinstance(current, int | float) and not isinstance(current, bool), spec,
                f"{where}.field", f"'{s.field}' is not a number of the base scenario "
                f"(got {current!r})")
        if given is None:
            raise AssertionError("InputSpec's validator gives a scenario field its bounds")
        return Factor(name=s.name or s.field, unit=_field_unit(s.field), low=given[0],
                      high=given[1], base=float(current), field=s.field,
                      distribution=s.distribution, levels=levels)
    selector = s.selector
    if selector is None:
        raise AssertionError("InputSpec's validator gives a data value entity and parameter")
    kind = data.kind_of(selector.entity)
    if kind is None:
        raise InputError(spec.file(), f"{where}.entity",
                         f"no basin, market, route or option '{s.entity}' in the data")
    require((kind, s.parameter) in parameter_schema().index, spec, f"{where}.parameter",
            f"'{s.parameter}' is not a {kind} parameter")
    schema = cast(pd.Series, parameter_schema().loc[(kind, selector.parameter)])
    rows = _rows(data, base, selector)
    if len(rows) == 0 and s.year is not None and given is not None:  # new anchor year: no
        # base value
        rows = pd.DataFrame([{"value": np.nan, "low": np.nan, "high": np.nan}])
    require(len(rows) > 0, spec, where, f"no value of {s.entity}.{s.parameter}"
            + (f" for pathway {s.pathway}" if s.pathway else "")
            + (f" in {s.year}" if s.year is not None else "") + " in the data")
    mode = s.mode or ("value" if len(rows) == 1 and (s.year is not None
                                                    or schema["shape"] == "static")
                      else "scale")
    require(mode == "scale" or len(rows) == 1, spec, f"{where}.mode", f"{s.entity}."
            f"{s.parameter} has {len(rows)} values: give a year, or sweep mode scale")
    if mode == "value":
        row = rows.iloc[0]
        base_value, unit = float(row["value"]), schema["unit"]
        low, high = row["low"], row["high"]
    else:
        ranged = rows[rows["low"].notna() & (rows["value"] != 0)]
        base_value, unit = 1.0, "x data value"
        low = float((ranged["low"] / ranged["value"]).mean()) if len(ranged) else np.nan
        high = float((ranged["high"] / ranged["value"]).mean()) if len(ranged) else np.nan
    if given is not None:
        low, high = given
    require(not (np.isnan(low) or np.isnan(high)), spec, where, f"{s.entity}.{s.parameter} "
            "has no range in the data: give low and high")
    low, high = sorted((float(low), float(high)))
    require(low < high, spec, where, f"{s.entity}.{s.parameter}: empty range [{low:g}, "
            f"{high:g}]")
    return Factor(name=s.name or selector.label, unit=unit, low=low, high=high,
                  base=base_value, targets=(selector, *s.also), mode=mode,
                  whole=mode == "value" and schema["unit"] in WHOLE_UNITS,
                  distribution=s.distribution, levels=levels)


def _rows(data: DataSet, base: Scenario, selector: Selector) -> pd.DataFrame:
    """The data rows an input selects that apply to the base scenario: its market's pathway
    (or the given one) and the rows without a pathway."""
    rows = data.values[selector.mask(data.values)]
    if selector.pathway is not None:
        return rows
    market = base.markets.get(selector.entity)
    pathway = (market.pathway if market is not None else None) or base.pathway
    return rows[rows["pathway"].isna() | (rows["pathway"] == pathway)]


def _ranged(data: DataSet, base: Scenario, confidence: Sequence[str]
            ) -> list[tuple[str, str]]:
    """(entity, parameter) pairs with a range in the data, for the base scenario's years."""
    v = data.values
    v = v[v["low"].notna() & v["high"].notna() & (v["low"] < v["high"])
          & v["confidence"].isin(confidence) & (v["pathway"] != "history")]
    return sorted(set(zip(v["entity"], v["parameter"], strict=True)))


def _field_unit(field: str) -> str:
    return {"discount_rate": "1/y"}.get(field, "1")


def _get(content: dict, path: list[str]) -> Any:
    for key in path:
        if not isinstance(content, dict) or key not in content:
            return None
        content = content[key]
    return content


def _set(content: dict, path: list[str], value: float) -> None:
    for key in path[:-1]:
        content = content[key]
    content[path[-1]] = value

