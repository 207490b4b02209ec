"""The reference data set: tidy CSV tables, validated against the parameter schema.

Layout of a data directory:
    basins.csv, markets.csv, routes.csv, options.csv   the entities (sets)
    values/*.csv                                       every number: entity, parameter,
        pathway, year, value, unit, low, high, basis, confidence, source, source_date, note
    policies.csv                                       dated route availability and cost effects
    history.csv                                        observed flows for validation

Every value is converted to its parameter's canonical unit (schema/parameters.csv) on load.
Values with confidence M or L must carry a range (low, high).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from functools import cache, cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from energymodel import units
from energymodel.errors import InputError
from energymodel.scenario import Override, Scenario, display_path

SCHEMA_FILE = Path(__file__).parent / "schema" / "parameters.csv"
ENTITY_FILES = {"basin": "basins.csv", "market": "markets.csv", "route": "routes.csv",
                "option": "options.csv"}
ENTITY_COLUMNS = {
    "basin": ["basin", "name", "note"],
    "market": ["market", "name", "note"],
    "route": ["route", "name", "basin", "market", "kind", "note"],
    "option": ["option", "route", "name", "note"],
}
ROUTE_KINDS = {"pipeline", "lng", "domestic"}
PROVENANCE = ["basis", "confidence", "source", "source_date", "note"]
VALUE_COLUMNS = ["entity", "parameter", "pathway", "year", "value", "unit", "low", "high",
                 *PROVENANCE]
POLICY_COLUMNS = ["policy", "entity", "effect", "from_year", "to_year", "value", "unit", "low",
                  "high", *PROVENANCE]
HISTORY_COLUMNS = ["entity", "year", "value", "unit", "low", "high", *PROVENANCE]
POLICY_EFFECTS = {"availability": "1", "unit_cost_adder": "USD/MMBtu"}
BASES = {"S", "R", "E"}  # seen in the named source, recalled, engineer's estimate
CONFIDENCES = {"H", "M", "L"}


@cache
def parameter_schema() -> pd.DataFrame:
    """The parameter schema, indexed by (kind, parameter)."""
    table = pd.read_csv(SCHEMA_FILE, keep_default_na=False)
    for col in ("min", "max"):
        table[col] = pd.to_numeric(table[col].replace("", np.nan))
    table["required"] = table["required"] == "yes"
    return table.set_index(["kind", "parameter"])


@dataclass(frozen=True)
class DataSet:
    """Validated tables of one data directory, values in canonical units."""

    directory: Path
    basins: pd.DataFrame  # index basin
    markets: pd.DataFrame  # index market
    routes: pd.DataFrame  # index route: basin, market, kind
    options: pd.DataFrame  # index option: route
    values: pd.DataFrame  # VALUE_COLUMNS + kind, file, line
    policies: pd.DataFrame  # POLICY_COLUMNS + file, line
    history: pd.DataFrame  # HISTORY_COLUMNS, value in bcm/y
    digest: str  # SHA-256 over the bytes of every file read

    def kind_of(self, entity: str) -> str | None:
        """'basin', 'market', 'route' or 'option', or None if unknown."""
        for kind, table in self.entity_tables().items():
            if entity in table.index:
                return kind
        return None

    def entity_tables(self) -> dict[str, pd.DataFrame]:
        return {"basin": self.basins, "market": self.markets, "route": self.routes,
                "option": self.options}

    def pathways(self) -> set[str]:
        return set(self.values["pathway"].dropna())

    @cached_property
    def _anchors(self) -> dict[tuple[str, str], pd.DataFrame]:
        """Rows of the values table by (entity, parameter), in table order."""
        return dict(iter(self.values.groupby(["entity", "parameter"], sort=False)))

    def series(self, entity: str, parameter: str, pathway: str | None = None) -> pd.Series:
        """Anchor values of one parameter by year (NaN index for static values).

        For pathway parameters, rows of `pathway` win; rows without a pathway fill the
        years it does not state.
        """
        rows = self._anchors.get((entity, parameter), self.values.iloc[:0])
        if pathway is not None:
            own = rows[rows["pathway"] == pathway]
            shared = rows[rows["pathway"].isna() & ~rows["year"].isin(own["year"])]
            rows = pd.concat([own, shared])
        return rows.set_index("year")["value"].sort_index()


def load_dataset(directory: str | Path) -> DataSet:
    """Read and validate every table of a data directory."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(display_path(directory), None, "data directory not found")
    hasher = hashlib.sha256()
    tables = {}
    for kind, name in ENTITY_FILES.items():
        tables[kind] = _read(directory / name, ENTITY_COLUMNS[kind], hasher)
    entities = _check_entities(directory, tables)
    value_files = sorted((directory / "values").glob("*.csv"))
    if not value_files:
        raise InputError(display_path(directory / "values"), None, "no value tables (*.csv)")
    values = pd.concat([_read(f, VALUE_COLUMNS, hasher) for f in value_files], ignore_index=True)
    values = _check_values(values, entities)
    policies = _check_policies(_read(directory / "policies.csv", POLICY_COLUMNS, hasher),
                               entities)
    history = _check_history(_read(directory / "history.csv", HISTORY_COLUMNS, hasher),
                             entities)
    data = DataSet(directory=directory, values=values, policies=policies, history=history,
                   digest=hasher.hexdigest(),
                   **{ENTITY_FILES[k].removesuffix(".csv"): entities[k] for k in ENTITY_FILES})
    _check_required(data)
    return data


def _read(path: Path, columns: list[str], hasher) -> pd.DataFrame:
    """A CSV with exactly the expected columns; `file` and `line` columns added."""
    file = display_path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError(file, None, "data file not found") from None
    except OSError as err:
        raise InputError(file, None, f"cannot read: {err.strerror}") from None
    hasher.update(path.name.encode() + b"\0" + raw)
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[])
    except pd.errors.EmptyDataError:
        raise InputError(file, None, "empty file: a CSV needs at least its header") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise InputError(file, None, f"malformed CSV: {str(err).strip()}") from None
    missing = [c for c in columns if c not in table.columns]
    unknown = [c for c in table.columns if c not in columns]
    if missing:
        raise InputError(file, missing[0], "required column missing")
    if unknown:
        raise InputError(file, unknown[0], "unknown column")
    table = table.map(str.strip)
    table["file"] = file
    table["line"] = np.arange(len(table)) + 2  # header is line 1
    return table


def _where(row: pd.Series, *keys: str) -> str:
    label = ", ".join(f"{k}={row[k]}" for k in keys if row.get(k, "") not in ("", None)
                      and not (isinstance(row.get(k), float) and np.isnan(row[k])))
    return f"line {row['line']} ({label})" if label else f"line {row['line']}"


def _fail(row: pd.Series, field: str, reason: str, *keys: str) -> InputError:
    return InputError(row["file"], f"{_where(row, *keys)}: {field}", reason)


def _check_entities(directory: Path, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    seen: dict[str, str] = {}
    out = {}
    for kind, table in tables.items():
        for _, row in table.iterrows():
            ident = row[kind]
            if not ident or not ident.replace("_", "").isalnum() or ident != ident.lower():
                raise _fail(row, kind, f"'{ident}' is not a lower_snake_case identifier")
            if ident in seen:
                raise _fail(row, kind, f"'{ident}' is already a {seen[ident]}")
            seen[ident] = kind
        out[kind] = table.set_index(kind)
    for _, row in tables["route"].iterrows():
        for ref in ("basin", "market"):
            if row[ref] not in out[ref].index:
                raise _fail(row, ref, f"no {ref} '{row[ref]}' in {ENTITY_FILES[ref]}", "route")
        if row["kind"] not in ROUTE_KINDS:
            raise _fail(row, "kind", f"'{row['kind']}' is not one of {sorted(ROUTE_KINDS)}",
                        "route")
    for _, row in tables["option"].iterrows():
        if row["route"] not in out["route"].index:
            raise _fail(row, "route", f"no route '{row['route']}' in routes.csv", "option")
    return out


def _number(row: pd.Series, field: str, *keys: str, required: bool = True) -> float:
    text = row[field]
    if text == "":
        if required:
            raise _fail(row, field, "missing value", *keys)
        return np.nan
    try:
        value = float(text)
    except ValueError:
        raise _fail(row, field, f"'{text}' is not a number", *keys) from None
    if not np.isfinite(value):
        raise _fail(row, field, f"'{text}' is not a finite number", *keys)
    return value


def _year(row: pd.Series, field: str, *keys: str, required: bool) -> float:
    value = _number(row, field, *keys, required=required)
    if not np.isnan(value) and value != int(value):
        raise _fail(row, field, f"'{row[field]}' is not a whole year", *keys)
    return value


def _provenance(row: pd.Series, *keys: str) -> None:
    if row["basis"] not in BASES:
        raise _fail(row, "basis", f"'{row['basis']}' is not one of S, R, E", *keys)
    if row["confidence"] not in CONFIDENCES:
        raise _fail(row, "confidence", f"'{row['confidence']}' is not one of H, M, L", *keys)
    if not row["source"]:
        raise _fail(row, "source", "every number needs a source", *keys)
    if not row["source_date"]:
        raise _fail(row, "source_date", "every number needs the date of its source", *keys)


def _converted(row: pd.Series, target_unit: str, *keys: str) -> tuple[float, float, float]:
    """(value, low, high) converted from the row's unit to `target_unit`."""
    value = _number(row, "value", *keys)
    low = _number(row, "low", *keys, required=False)
    high = _number(row, "high", *keys, required=False)
    try:
        f = units.factor(row["unit"], target_unit)
    except ValueError as err:
        raise _fail(row, "unit", f"{err}; expected {target_unit}", *keys) from None
    return value * f, low * f, high * f


def _check_range(row: pd.Series, value: float, low: float, high: float, *keys: str) -> None:
    """Uncertain values (confidence M or L) carry a range, and every value lies in its range."""
    if row["confidence"] in ("M", "L") and (np.isnan(low) or np.isnan(high)):
        raise _fail(row, "low/high", f"confidence {row['confidence']} needs a range", *keys)
    if not np.isnan(low) and not np.isnan(high) and not (
        min(low, high) <= value <= max(low, high)
    ):
        raise _fail(row, "value", f"{value:g} lies outside its range [{low:g}, {high:g}]", *keys)


def _check_values(values: pd.DataFrame, entities: dict[str, pd.DataFrame]) -> pd.DataFrame:
    schema = parameter_schema()
    kinds = {e: k for k, t in entities.items() for e in t.index}
    keys = ("entity", "parameter", "pathway", "year")
    records = []
    for _, row in values.iterrows():
        kind = kinds.get(row["entity"])
        if kind is None:
            raise _fail(row, "entity", f"no basin, market, route or option '{row['entity']}'")
        if (kind, row["parameter"]) not in schema.index:
            known = sorted(schema.loc[kind].index)
            raise _fail(row, "parameter", f"'{row['parameter']}' is not a {kind} parameter "
                        f"(one of {', '.join(known)})", "entity")
        spec = schema.loc[(kind, row["parameter"])]
        _provenance(row, *keys)
        year = _year(row, "year", *keys, required=spec["shape"] != "static")
        if spec["shape"] == "static" and not np.isnan(year):
            raise _fail(row, "year", f"{row['parameter']} does not vary by year", *keys)
        if row["pathway"] and spec["shape"] != "pathway":
            raise _fail(row, "pathway", f"{row['parameter']} does not vary by pathway", *keys)
        value, low, high = _converted(row, spec["unit"], *keys)
        if problem := _bounds_problem(value, spec):
            raise _fail(row, "value", problem, *keys)
        _check_range(row, value, low, high, *keys)
        records.append({**row.to_dict(), "kind": kind, "year": year, "value": value, "low": low,
                        "high": high, "unit": spec["unit"],
                        "pathway": row["pathway"] or None})
    table = pd.DataFrame.from_records(records)
    dup = table.duplicated(["entity", "parameter", "pathway", "year"], keep="first")
    if dup.any():
        row = table[dup].iloc[0]
        raise _fail(row, "value", "stated twice for the same entity, parameter, pathway, year",
                    *keys)
    return table


def _bounds_problem(value: float, spec: pd.Series) -> str | None:
    """Why `value` breaks the schema bounds of its parameter, or None."""
    unit = "" if spec["unit"] == "1" else f" {spec['unit']}"
    if not np.isnan(spec["min"]) and value < spec["min"]:
        what = "negative" if spec["min"] == 0 else f"below {spec['min']:g}"
        return f"{value:g}{unit} is {what}"
    if not np.isnan(spec["max"]) and value > spec["max"]:
        return f"{value:g}{unit} is above {spec['max']:g}"
    return None


def _check_policies(table: pd.DataFrame, entities: dict[str, pd.DataFrame]) -> pd.DataFrame:
    records = []
    keys = ("policy", "entity", "from_year")
    for _, row in table.iterrows():
        if not row["policy"]:
            raise _fail(row, "policy", "missing name")
        if row["entity"] not in entities["route"].index:
            raise _fail(row, "entity", f"no route '{row['entity']}' in routes.csv", "policy")
        if row["effect"] not in POLICY_EFFECTS:
            raise _fail(row, "effect", f"'{row['effect']}' is not one of "
                        f"{sorted(POLICY_EFFECTS)}", *keys)
        _provenance(row, *keys)
        start = _year(row, "from_year", *keys, required=True)
        end = _year(row, "to_year", *keys, required=False)
        if not np.isnan(end) and end < start:
            raise _fail(row, "to_year", f"{end:g} is before from_year {start:g}", *keys)
        value, low, high = _converted(row, POLICY_EFFECTS[row["effect"]], *keys)
        if row["effect"] == "availability" and not 0 <= value <= 1:
            raise _fail(row, "value", f"availability {value:g} is outside [0, 1]", *keys)
        _check_range(row, value, low, high, *keys)
        records.append({**row.to_dict(), "from_year": start, "to_year": end, "value": value,
                        "low": low, "high": high, "unit": POLICY_EFFECTS[row["effect"]]})
    return pd.DataFrame.from_records(records, columns=[*table.columns])


def _check_history(table: pd.DataFrame, entities: dict[str, pd.DataFrame]) -> pd.DataFrame:
    records = []
    for _, row in table.iterrows():
        if row["entity"] not in entities["route"].index.union(entities["market"].index):
            raise _fail(row, "entity", f"no route or market '{row['entity']}'")
        _provenance(row, "entity", "year")
        year = _year(row, "year", "entity", required=True)
        value, low, high = _converted(row, "bcm/y", "entity", "year")
        _check_range(row, value, low, high, "entity", "year")
        records.append({**row.to_dict(), "year": int(year), "value": value, "low": low,
                        "high": high, "unit": "bcm/y"})
    return pd.DataFrame.from_records(records, columns=[*table.columns])


def _check_required(data: DataSet) -> None:
    schema = parameter_schema()
    present = set(zip(data.values["entity"], data.values["parameter"], strict=True))
    for (kind, parameter), spec in schema.iterrows():
        if not spec["required"]:
            continue
        for entity in data.entity_tables()[kind].index:
            if (entity, parameter) not in present:
                file = display_path(data.directory / "values")
                raise InputError(file, f"{kind} {entity}", f"required parameter '{parameter}' "
                                 f"({spec['unit']}) has no value")


def apply_overrides(data: DataSet, scenario: Scenario) -> DataSet:
    """The data set with the scenario's overrides applied, in order."""
    values = data.values
    for i, override in enumerate(scenario.overrides):
        values = apply_override(values, data, override, f"overrides[{i}]", scenario)
    return replace(data, values=values)


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
    spec = schema.loc[(kind, o.parameter)]
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
    match = (values["entity"] == o.entity) & (values["parameter"] == o.parameter)
    if o.pathway is not None:
        match &= values["pathway"] == o.pathway
    if o.year is not None:
        match &= values["year"] == o.year
    if o.scale is not None:
        if not match.any():
            raise InputError(file, field, f"no value of {o.entity}.{o.parameter} to scale")
        values = values.copy()
        values.loc[match, ["value", "low", "high"]] *= o.scale
        for value in values.loc[match, "value"]:
            if problem := _bounds_problem(value, spec):
                raise InputError(file, f"{field}.scale", f"scaled by {o.scale:g}: {problem}")
        return _mark(values, match, scenario, f"scaled by {o.scale:g}")
    try:
        value = units.convert(o.value, o.unit or spec["unit"], spec["unit"])
    except ValueError as err:
        raise InputError(file, f"{field}.unit", f"{err}; expected {spec['unit']}") from None
    if problem := _bounds_problem(value, spec):
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
