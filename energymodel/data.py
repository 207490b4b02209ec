"""The reference data set: tidy CSV tables, validated against the parameter schema.

Layout of a data directory:
    suppliers.csv, basins.csv, markets.csv,            the entities (sets): who sells, where
    routes.csv, options.csv                            gas comes from, who buys, the links,
                                                       the investment options
    values/*.csv                                       every number: entity, parameter,
        pathway, year, value, unit, low, high, basis, confidence, source, source_date, note
    policies.csv                                       dated route availability and cost effects
    history.csv                                        observed flows, prices, revenues and
                                                       shares, each with its kind of check
    sources.csv                                        the bibliography: every `source` cell
                                                       of the other tables lists its ids

Every value is converted to its parameter's canonical unit (schema/parameters.csv) on load
and must lie within the parameter's schema range; years lie in YEARS. Values with confidence
M or L must carry a range (low, high). Each file is a regular UTF-8 file of at most
MAX_FILE_BYTES. A source id missing from sources.csv is an error.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from energymodel import history as observations
from energymodel import units
from energymodel.errors import InputError, display_path
from energymodel.files import read_text

MAX_FILE_BYTES = 20_000_000  # one data file
YEARS = (1900, 2200)  # any year a data file states
SCHEMA_FILE = Path(__file__).parent / "schema" / "parameters.csv"
ENTITY_FILES = {"supplier": "suppliers.csv", "basin": "basins.csv", "market": "markets.csv",
                "route": "routes.csv", "option": "options.csv"}
ENTITY_COLUMNS = {
    "supplier": ["supplier", "name", "role", "region", "note"],
    "basin": ["basin", "name", "supplier", "note"],
    "market": ["market", "name", "role", "region", "note"],
    "route": ["route", "name", "basin", "market", "kind", "note"],
    "option": ["option", "route", "name", "note"],
}
ROUTE_KINDS = {"pipeline", "lng", "domestic"}
# Roles (suppliers.csv, markets.csv): the exporter is the supplier whose choices, revenue and
# profit the model reports (Russia); rivals sell into its markets with their own conduct;
# a domestic supplier is the buyer's own production. The buyer market is the one whose
# dependence on the exporter the results follow (China), buyer-power structure or not. `name`
# is how results and briefings show an entity, `region` (suppliers, markets) its IAMC region.
SUPPLIER_ROLES = {"exporter", "rival", "domestic"}
MARKET_ROLES = {"buyer", ""}
PROVENANCE = ["basis", "confidence", "source", "source_date", "note"]
VALUE_COLUMNS = ["entity", "parameter", "pathway", "year", "value", "unit", "low", "high",
                 *PROVENANCE]
POLICY_COLUMNS = ["policy", "entity", "effect", "from_year", "to_year", "value", "unit", "low",
                  "high", *PROVENANCE]
HISTORY_COLUMNS = ["quantity", "entity", "year", "to_year", "value", "unit", "low", "high",
                   "tolerance", "check", *PROVENANCE]
HISTORY_QUANTITIES = observations.QUANTITIES  # quantity -> its canonical unit
SOURCE_COLUMNS = ["id", "kind", "publisher", "title", "date", "link", "note"]
SOURCE_KINDS = {"statistics", "official", "company", "news", "research", "project"}
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
    suppliers: pd.DataFrame  # index supplier: name, role
    basins: pd.DataFrame  # index basin: name, supplier
    markets: pd.DataFrame  # index market: name, role
    routes: pd.DataFrame  # index route: basin, market, kind
    options: pd.DataFrame  # index option: route
    values: pd.DataFrame  # VALUE_COLUMNS + kind, file, line
    policies: pd.DataFrame  # POLICY_COLUMNS + file, line
    history: pd.DataFrame  # HISTORY_COLUMNS, values in the quantity's canonical unit
    sources: pd.DataFrame  # index id: kind, publisher, title, date, link, note
    digest: str  # SHA-256 over the bytes of every file read
    # Data values (rows of values/*.csv, policies.csv, history.csv) by what their sources
    # are, as the files give them (a scenario's overrides do not change it)
    source_counts: dict[str, int]
    # Anchor series computed so far, by (entity, parameter, pathway): shared by the data sets
    # that overrides derive from this one (overrides.py), except for the (entity,
    # parameter) pairs in `changed`, the ones whose rows an override touched.
    memo: dict = field(default_factory=dict, repr=False, compare=False)
    changed: frozenset = field(default=frozenset(), repr=False, compare=False)

    @property
    def exporter(self) -> str:
        """The supplier whose figures the results report (role exporter)."""
        return str(self.suppliers.index[self.suppliers["role"] == "exporter"][0])

    @property
    def buyer(self) -> str | None:
        """The market whose dependence on the exporter the results follow (role buyer)."""
        found = self.markets.index[self.markets["role"] == "buyer"]
        return str(found[0]) if len(found) else None

    def kind_of(self, entity: str) -> str | None:
        """'supplier', 'basin', 'market', 'route' or 'option', or None if unknown."""
        for kind, table in self.entity_tables().items():
            if entity in table.index:
                return kind
        return None

    def kind(self, entity: str) -> str:
        """The kind of an entity of the data (see kind_of); KeyError if unknown."""
        kind = self.kind_of(entity)
        if kind is None:
            raise KeyError(f"no entity '{entity}' in the data")
        return kind

    def entity_tables(self) -> dict[str, pd.DataFrame]:
        return {"supplier": self.suppliers, "basin": self.basins, "market": self.markets,
                "route": self.routes, "option": self.options}

    def pathways(self) -> set[str]:
        return set(self.values["pathway"].dropna())

    @cached_property
    def _anchors(self) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """(years, values, pathways) of the values table's rows by (entity, parameter), in
        table order."""
        table = self.values
        years = table["year"].to_numpy(dtype=float)
        values = table["value"].to_numpy(dtype=float)
        pathways = table["pathway"].to_numpy(dtype=object)
        groups = table.groupby(["entity", "parameter"], sort=False).indices
        return {cast(tuple[str, str], key): (years[rows], values[rows], pathways[rows])
                for key, rows in groups.items()}

    def first(self, entity: str, parameter: str) -> float:
        """The value at the parameter's first anchor year: a static parameter's value (NaN
        where the data give none)."""
        years, values, _ = self._anchors.get((entity, parameter), (np.zeros(0),) * 3)
        return float(values[np.argsort(years, kind="stable")[0]]) if len(values) else np.nan

    def series(self, entity: str, parameter: str, pathway: str | None = None) -> pd.Series:
        """Anchor values of one parameter by year (NaN index for static values).

        For pathway parameters, rows of `pathway` win; rows without a pathway fill the
        years it does not state.
        """
        key, shared = (entity, parameter, pathway), (entity, parameter) not in self.changed
        if shared and key in self.memo:
            return self.memo[key].copy()
        empty = np.zeros(0)
        years, values, pathways = self._anchors.get((entity, parameter),
                                                    (empty, empty, empty.astype(object)))
        if pathway is not None:
            own = pathways == pathway
            rest = pd.isna(pathways) & ~np.isin(years, years[own])
            rows = np.concatenate([np.flatnonzero(own), np.flatnonzero(rest)])
            years, values = years[rows], values[rows]
        series = pd.Series(values, name="value",
                           index=pd.Index(years, name="year")).sort_index()
        if shared:
            self.memo[key] = series.copy()
        return series


def load_dataset(directory: str | Path, known: DataSet | None = None) -> DataSet:
    """Read and validate every table of a data directory; `known` (the data set read before
    from it, engine.Session keeps them) is returned instead if the files' SHA-256 is still
    its digest: a repeated load hashes the files but re-parses nothing unless a byte
    changed."""
    directory = Path(directory)
    if not directory.is_dir():
        raise InputError(display_path(directory), None, "data directory not found")
    try:
        if known is not None and _digest(directory) == known.digest:
            return known
    except InputError:
        pass  # a file is missing or unreadable now: the full read below says which
    return _load(directory)


def _files(directory: Path) -> list[Path]:
    """The files a data set is read from, in the order they are read and hashed."""
    return [*(directory / name for name in ENTITY_FILES.values()), directory / "sources.csv",
            *sorted((directory / "values").glob("*.csv")), directory / "policies.csv",
            directory / "history.csv"]


def _digest(directory: Path) -> str:
    """SHA-256 over the bytes of every file, as load_dataset computes it."""
    hasher = hashlib.sha256()
    for path in _files(directory):
        text = read_text(path, MAX_FILE_BYTES, "data file")
        hasher.update(_fingerprint(path, text))
    return hasher.hexdigest()


def _fingerprint(path: Path, text: str) -> bytes:
    """What the data set's SHA-256 takes of one file: its name and its text."""
    return path.name.encode() + b"\0" + text.encode("utf-8")


def _load(directory: Path) -> DataSet:
    hasher = hashlib.sha256()
    tables = {}
    for kind, name in ENTITY_FILES.items():
        tables[kind] = _read(directory / name, ENTITY_COLUMNS[kind], hasher)
    entities = _check_entities(directory, tables)
    value_files = sorted((directory / "values").glob("*.csv"))
    if not value_files:
        raise InputError(display_path(directory / "values"), None, "no value tables (*.csv)")
    sources = _check_sources(_read(directory / "sources.csv", SOURCE_COLUMNS, hasher))
    values = pd.concat([_read(f, VALUE_COLUMNS, hasher) for f in value_files], ignore_index=True)
    values = _check_values(values, entities)
    policies = _check_policies(_read(directory / "policies.csv", POLICY_COLUMNS, hasher),
                               entities)
    history = _check_history(_read(directory / "history.csv", HISTORY_COLUMNS, hasher),
                             entities)
    for table, keys in ((values, ("entity", "parameter", "pathway", "year")),
                        (policies, ("policy", "entity", "from_year")),
                        (history, ("quantity", "entity", "year"))):
        _check_cited(table, sources, keys)
    data = DataSet(directory=directory, values=values, policies=policies, history=history,
                   sources=sources, digest=hasher.hexdigest(),
                   source_counts=_source_counts(values, policies, history, sources),
                   suppliers=entities["supplier"], basins=entities["basin"],
                   markets=entities["market"], routes=entities["route"],
                   options=entities["option"])
    _check_required(data)
    return data


def _read(path: Path, columns: list[str], hasher) -> pd.DataFrame:
    """A CSV with exactly the expected columns; `file` and `line` columns added."""
    file = display_path(path)
    text = read_text(path, MAX_FILE_BYTES, "data file")
    hasher.update(_fingerprint(path, text))
    try:
        table = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[])
    except pd.errors.EmptyDataError:
        raise InputError(file, None, "empty file: a CSV needs at least its header") from None
    except pd.errors.ParserError as err:
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


Row = Mapping[Any, Any] | pd.Series  # one CSV row: a dict of its fields, or a Series


def _where(row: Row, *keys: str) -> str:
    label = ", ".join(f"{k}={row[k]}" for k in keys if row.get(k, "") not in ("", None)
                      and not (isinstance(row.get(k), float) and np.isnan(row[k])))
    return f"line {row['line']} ({label})" if label else f"line {row['line']}"


def _fail(row: Row, field: str, reason: str, *keys: str) -> InputError:
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
    for _, row in tables["supplier"].iterrows():
        if row["role"] not in SUPPLIER_ROLES:
            raise _fail(row, "role", f"'{row['role']}' is not one of "
                        f"{sorted(SUPPLIER_ROLES)}", "supplier")
    exporters = tables["supplier"][tables["supplier"]["role"] == "exporter"]
    if len(exporters) != 1:
        raise InputError(display_path(directory / ENTITY_FILES["supplier"]), "role",
                         f"exactly one supplier needs role exporter (found {len(exporters)})")
    for _, row in tables["market"].iterrows():
        if row["role"] not in MARKET_ROLES:
            raise _fail(row, "role", f"'{row['role']}' is not buyer or empty", "market")
    if (tables["market"]["role"] == "buyer").sum() > 1:
        raise InputError(display_path(directory / ENTITY_FILES["market"]), "role",
                         "at most one market has role buyer")
    for _, row in tables["basin"].iterrows():
        if row["supplier"] not in out["supplier"].index:
            raise _fail(row, "supplier", f"no supplier '{row['supplier']}' in suppliers.csv",
                        "basin")
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
    # a route carries its basin's gas: it belongs to the basin's supplier
    out["route"]["supplier"] = out["basin"]["supplier"].reindex(out["route"]["basin"]).to_numpy()
    return out


def _number(row: Row, field: str, *keys: str, required: bool = True) -> float:
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


def _year(row: Row, field: str, *keys: str, required: bool) -> float:
    value = _number(row, field, *keys, required=required)
    if not np.isnan(value) and value != int(value):
        raise _fail(row, field, f"'{row[field]}' is not a whole year", *keys)
    if not np.isnan(value) and not YEARS[0] <= value <= YEARS[1]:
        raise _fail(row, field, f"{row[field]} is outside the years {YEARS[0]}-{YEARS[1]}",
                    *keys)
    return value


def _provenance(row: Row, *keys: str) -> None:
    if row["basis"] not in BASES:
        raise _fail(row, "basis", f"'{row['basis']}' is not one of S, R, E", *keys)
    if row["confidence"] not in CONFIDENCES:
        raise _fail(row, "confidence", f"'{row['confidence']}' is not one of H, M, L", *keys)
    if not row["source"]:
        raise _fail(row, "source", "every number needs a source", *keys)
    if not row["source_date"]:
        raise _fail(row, "source_date", "every number needs the date of its source", *keys)


def _converted(row: Row, target_unit: str, *keys: str) -> tuple[float, float, float]:
    """(value, low, high) converted from the row's unit to `target_unit`."""
    value = _number(row, "value", *keys)
    low = _number(row, "low", *keys, required=False)
    high = _number(row, "high", *keys, required=False)
    try:
        f = units.factor(row["unit"], target_unit)
    except ValueError as err:
        raise _fail(row, "unit", f"{err}; expected {target_unit}", *keys) from None
    return value * f, low * f, high * f


def _check_range(row: Row, value: float, low: float, high: float, *keys: str) -> None:
    """Uncertain values (confidence M or L) carry a range, and every value lies in its range."""
    if row["confidence"] in ("M", "L") and (np.isnan(low) or np.isnan(high)):
        raise _fail(row, "low/high", f"confidence {row['confidence']} needs a range", *keys)
    if not np.isnan(low) and not np.isnan(high) and not (
        min(low, high) <= value <= max(low, high)
    ):
        raise _fail(row, "value", f"{value:g} lies outside its range [{low:g}, {high:g}]", *keys)


def _check_values(values: pd.DataFrame, entities: dict[str, pd.DataFrame]) -> pd.DataFrame:
    schema = {cast(tuple[str, str], key): spec.to_dict()
              for key, spec in parameter_schema().iterrows()}
    kinds = {e: k for k, t in entities.items() for e in t.index}
    keys = ("entity", "parameter", "pathway", "year")
    records = []
    for row in values.to_dict("records"):
        kind = kinds.get(row["entity"])
        if kind is None:
            raise _fail(row, "entity", f"no basin, market, route or option '{row['entity']}'")
        if (kind, row["parameter"]) not in schema:
            known = sorted(p for k, p in schema if k == kind)
            raise _fail(row, "parameter", f"'{row['parameter']}' is not a {kind} parameter "
                        f"(one of {', '.join(known)})", "entity")
        spec = schema[(kind, row["parameter"])]
        _provenance(row, *keys)
        year = _year(row, "year", *keys, required=spec["shape"] != "static")
        if spec["shape"] == "static" and not np.isnan(year):
            raise _fail(row, "year", f"{row['parameter']} does not vary by year", *keys)
        if row["pathway"] and spec["shape"] != "pathway":
            raise _fail(row, "pathway", f"{row['parameter']} does not vary by pathway", *keys)
        value, low, high = _converted(row, spec["unit"], *keys)
        if problem := bounds_problem(value, spec):
            raise _fail(row, "value", problem, *keys)
        _check_range(row, value, low, high, *keys)
        records.append({**row, "kind": kind, "year": year, "value": value, "low": low,
                        "high": high, "unit": spec["unit"],
                        "pathway": row["pathway"] or None})
    table = pd.DataFrame.from_records(records)
    dup = table.duplicated(["entity", "parameter", "pathway", "year"], keep="first")
    if dup.any():
        raise _fail(table[dup].iloc[0], "value",
                    "stated twice for the same entity, parameter, pathway, year", *keys)
    return table


def bounds_problem(value: float, spec: Mapping[Any, Any] | pd.Series) -> str | None:
    """Why `value` breaks the schema bounds of its parameter, or None."""
    unit = "" if spec["unit"] == "1" else f" {spec['unit']}"
    low, high = spec["min"], spec["max"]
    bounds = f" (range [{low:g}, {high:g}]{unit})"
    if not np.isfinite(value):
        return f"{value:g} is not a finite number{bounds}"
    if not np.isnan(low) and value < low:
        return f"{value:g}{unit} is {'negative' if low == 0 else f'below {low:g}'}{bounds}"
    if not np.isnan(high) and value > high:
        return f"{value:g}{unit} is above {high:g}{bounds}"
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
    """Observations: a quantity (energymodel.history: flow, price, revenue, residual,
    revenue_share, price_ratio) of an entity (a route, a market, `supplier@market`,
    `imports@market`, sums `a+b`, ratios `A/B`), in one year or averaged over year..to_year,
    with the tolerance the model must meet, in the row's unit, and the kind of check it is;
    values converted to the quantity's canonical unit."""
    records = []
    ids = {kind: entities[kind].index for kind in ("route", "market", "supplier")}
    keys = ("quantity", "entity", "year")
    for _, row in table.iterrows():
        if row["quantity"] not in HISTORY_QUANTITIES:
            raise _fail(row, "quantity", f"'{row['quantity']}' is not one of "
                        f"{', '.join(HISTORY_QUANTITIES)}", "entity", "year")
        problem = observations.entity_problem(row["quantity"], row["entity"], ids["route"],
                                              ids["market"], ids["supplier"])
        if problem:
            raise _fail(row, "entity", problem, "quantity", "year")
        if row["check"] not in observations.CHECKS:
            raise _fail(row, "check", f"'{row['check']}' is not one of "
                        f"{', '.join(observations.CHECKS)}", *keys)
        _provenance(row, *keys)
        year = _year(row, "year", *keys, required=True)
        to_year = _year(row, "to_year", *keys, required=False)
        to_year = year if np.isnan(to_year) else to_year
        if to_year < year:
            raise _fail(row, "to_year", f"{to_year:g} is before year {year:g}", *keys)
        value, low, high = _converted(row, HISTORY_QUANTITIES[row["quantity"]], *keys)
        _check_range(row, value, low, high, *keys)
        tolerance = _number(row, "tolerance", *keys) * units.factor(
            row["unit"], HISTORY_QUANTITIES[row["quantity"]])
        if tolerance <= 0:
            raise _fail(row, "tolerance", "must be positive", *keys)
        records.append({**row.to_dict(), "year": int(year), "to_year": int(to_year),
                        "value": value, "low": low, "high": high, "tolerance": tolerance,
                        "unit": HISTORY_QUANTITIES[row["quantity"]]})
    return pd.DataFrame.from_records(records, columns=[*table.columns])


def source_ids(text: str) -> list[str]:
    """The bibliography ids of a `source` cell: ids separated by ';'."""
    return [part.strip() for part in text.split(";") if part.strip()]


def _check_sources(table: pd.DataFrame) -> pd.DataFrame:
    """The bibliography: unique lower_snake_case ids, a known kind, publisher, title, date
    and link for each."""
    seen: set[str] = set()
    for _, row in table.iterrows():
        ident = row["id"]
        if not ident or not ident.replace("_", "").isalnum() or ident != ident.lower():
            raise _fail(row, "id", f"'{ident}' is not a lower_snake_case identifier")
        if ident in seen:
            raise _fail(row, "id", f"'{ident}' is listed twice")
        seen.add(ident)
        if row["kind"] not in SOURCE_KINDS:
            raise _fail(row, "kind", f"'{row['kind']}' is not one of "
                        f"{', '.join(sorted(SOURCE_KINDS))}", "id")
        for column in ("publisher", "title", "date", "link"):
            if not row[column]:
                raise _fail(row, column, "every source needs one", "id")
    return table.set_index("id")


def _check_cited(table: pd.DataFrame, sources: pd.DataFrame, keys: tuple[str, ...]) -> None:
    """Every id a `source` cell lists is in the bibliography."""
    for _, row in table.iterrows():
        for ident in source_ids(row["source"]):
            if ident not in sources.index:
                raise _fail(row, "source", f"unknown source id '{ident}' (not in sources.csv)",
                            *keys)


def _source_counts(values: pd.DataFrame, policies: pd.DataFrame, history: pd.DataFrame,
                   sources: pd.DataFrame) -> dict[str, int]:
    """How many data values cite at least one publication, and how many only the project's
    own estimates."""
    cited = pd.concat([values["source"], policies["source"], history["source"]])
    published = set(sources.index[sources["kind"] != "project"])
    primary = cited.map(lambda text: any(i in published for i in source_ids(text)))
    return {"values": len(cited), "with_primary_source": int(primary.sum()),
            "project_estimate_only": int((~primary).sum())}


def _check_required(data: DataSet) -> None:
    schema = parameter_schema()
    present = set(zip(data.values["entity"], data.values["parameter"], strict=True))
    for key, spec in schema.iterrows():
        kind, parameter = cast(tuple[str, str], key)
        if not spec["required"]:
            continue
        for entity in data.entity_tables()[kind].index:
            if (entity, parameter) not in present:
                file = display_path(data.directory / "values")
                raise InputError(file, f"{kind} {entity}", f"required parameter '{parameter}' "
                                 f"({spec['unit']}) has no value")
