"""Read what a report is built from: results folders and sweep folders, as plain data.

Only parquet tables and JSON are read (never pickles, never code); nothing is solved again.
A results folder holds `manifest.json`, `scenario.json` and `<table>.parquet`; a sweep folder
holds parquet or CSV tables whose names say what they are (`*tornado*`, `*sobol*`,
`*morris*`, and a table of points).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from energymodel.errors import InputError, display_path

# Market codes as a reader sees them (others are shown with their first letter capitalised).
OUTLETS = {"europe": "Europe", "turkey": "Turkey", "china": "China", "lng_global": "LNG",
           "russia_domestic": "Russia (domestic)"}


@dataclass
class Run:
    """The tables, resolved scenario and manifest of one solved scenario."""

    name: str
    tables: dict[str, pd.DataFrame]
    scenario: dict
    manifest: dict
    folder: Path | None = None

    @classmethod
    def from_results(cls, results) -> Run:
        """From an in-memory `Results` (a notebook), without writing it."""
        scenario = results.scenario.model_dump(mode="json")
        scenario["data_dir"] = display_path(results.scenario.data_dir)
        tables = dict(results.tables)
        if results.validation is not None:
            tables["validation"] = results.validation
        return cls(results.scenario.name, tables, scenario, results.manifest)

    @property
    def exports(self) -> pd.DataFrame:
        """Flows on every route that is not domestic."""
        flows = self.tables["flows"]
        return flows[flows["kind"] != "domestic"]

    @property
    def years(self) -> list[int]:
        return sorted(int(y) for y in self.tables["flows"]["year"].unique())

    @property
    def period_years(self) -> pd.Series:
        """Calendar years each model year stands for (its period, cut at the horizon's end)."""
        horizon = self.scenario.get("horizon", {})
        step = int(horizon.get("step", 1))
        end = int(horizon.get("end_year", self.years[-1]))
        return pd.Series({y: float(min(step, end - y + 1)) for y in self.years})

    def summary_value(self, metric: str) -> float | None:
        s = self.tables.get("summary")
        if s is None:
            return None
        row = s[s["metric"] == metric]
        return None if row.empty else float(row["value"].iloc[0])


@dataclass
class Sweep:
    """The analysis tables of a sensitivity sweep, by kind ('tornado', 'sobol', 'morris',
    'points'), and its manifest if it has one."""

    folder: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)


SWEEP_KINDS = ("tornado", "sobol", "morris", "skipped")


def is_results_folder(folder: Path) -> bool:
    return (folder / "manifest.json").is_file() and (folder / "flows.parquet").is_file()


def read_run(folder: str | Path) -> Run:
    """A results folder written by `Results.write`, checked (`check_run`): a damaged or
    foreign folder is one InputError line naming its file, field and reason."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(display_path(folder), None, "no such results folder")
    if not is_results_folder(folder):
        raise InputError(display_path(folder), None, "not a results folder (needs "
                         "manifest.json and flows.parquet, as `energymodel run` writes)")
    manifest = _json(folder / "manifest.json")
    scenario = _json(folder / "scenario.json") if (folder / "scenario.json").is_file() else \
        manifest.get("scenario", {}).get("resolved", {})
    tables = {p.stem: read_table(p) for p in sorted(folder.glob("*.parquet"))}
    check_run(folder, manifest, scenario, tables)
    name = str(scenario.get("name") or manifest.get("scenario", {}).get("name") or folder.name)
    return Run(name, tables, scenario, manifest, folder)


# What a results folder must hold to be read: the tables, their text columns and numeric
# columns; numbers are finite, and never missing in the columns after "!".
TABLES = {
    "flows": ("route market kind", "year flow_bcm_per_y revenue_usd_bn profit_usd_bn "
              "capacity_bcm_per_y availability utilisation price_usd_per_mmbtu ! year "
              "flow_bcm_per_y revenue_usd_bn profit_usd_bn"),
    "markets": ("market price_basis", "year volume_bcm_per_y price_usd_per_mmbtu "
                "price_cap_usd_per_mmbtu ! year volume_bcm_per_y price_usd_per_mmbtu"),
    "basins": ("basin", "year production_bcm_per_y capacity_bcm_per_y utilisation ! year "
               "production_bcm_per_y"),
    "investments": ("option route", "decision_year online_year units capacity_bcm_per_y "
                    "capex_usd_bn"),
    "summary": ("metric unit", "value"),
    "pressure": ("market benchmark", "year benchmark_price_usd_per_mmbtu price_usd_per_mmbtu "
                 "volume_bcm_per_y pressure_usd_per_mmbtu pressure_pct transferred_usd_bn "
                 "dependence_volume ! year"),
}
SCENARIO_FIELDS = {"name": str, "description": str, "horizon": dict, "discount_rate": float,
                   "data_dir": str}
HORIZON_FIELDS = ("start_year", "end_year", "step")


def read_table(path: Path) -> pd.DataFrame:
    """A parquet table, or one line saying it cannot be read (damaged, not parquet)."""
    try:
        return pd.read_parquet(path)
    except Exception as error:  # pyarrow raises many kinds for a damaged file
        first = (str(error).strip().splitlines() or [type(error).__name__])[0][:200]
        raise InputError(display_path(path), None, f"not a readable parquet table: "
                         f"{first}") from None


def check_run(folder: Path, manifest: dict, scenario: dict,
              tables: dict[str, pd.DataFrame]) -> None:
    """Refuse a results folder whose files are not what `energymodel run` writes."""
    for key in ("scenario", "data", "solver"):
        if not isinstance(manifest.get(key, {}), dict):
            raise InputError(display_path(folder / "manifest.json"), key, "not a mapping")
    where = display_path(folder / "scenario.json")
    for key, kind in SCENARIO_FIELDS.items():
        value = scenario.get(key)
        if (key in scenario and not (isinstance(value, kind) or (kind is float and isinstance(
                value, int)))) or isinstance(value, bool):
            raise InputError(where, key, f"not a {kind.__name__}: {value!r}"[:200])
    horizon = scenario.get("horizon", {})
    for key in HORIZON_FIELDS:
        value = horizon.get(key)
        if key in horizon and (not isinstance(value, int) or isinstance(value, bool)
                               or not 0 < value < 10_000):
            raise InputError(where, f"horizon.{key}", f"not a year or step: {value!r}"[:200])
    if not math.isfinite(scenario.get("discount_rate", 0.0)):
        raise InputError(where, "discount_rate", "not a finite number")
    for name, (text, numbers) in TABLES.items():
        path = display_path(folder / f"{name}.parquet")
        if name not in tables:
            if name == "pressure":
                continue
            raise InputError(path, None, "results table missing")
        table = tables[name]
        numeric, _, whole = numbers.partition(" ! ")
        for column in [*text.split(), *numeric.split()]:
            if column not in table.columns:
                raise InputError(path, column, "column missing")
        if table.empty:
            continue
        for column in numeric.split():
            values = table[column]
            if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
                raise InputError(path, column, f"not numbers (type {values.dtype})")
            if np.isinf(values.to_numpy(dtype=float)).any():
                raise InputError(path, column, "holds an infinite number")
        for column in whole.split():
            if table[column].isna().any():
                raise InputError(path, column, "a number is missing (NaN)")
        for column in text.split():
            if not table[column].map(lambda v: isinstance(v, str)).all():
                raise InputError(path, column, "not text")


def read_sweep(folder: str | Path) -> Sweep:
    """A sweep folder: its tornado/Sobol/Morris tables (in it or in its `analysis/`), its
    table of points and its manifest, recognised by file name; parquet before CSV."""
    folder = Path(folder)
    sweep = Sweep(folder)
    files = [p for d in (folder, folder / "analysis") if d.is_dir() for p in d.iterdir()
             if p.is_file() and p.suffix in (".parquet", ".csv")]
    for path in sorted(files, key=lambda p: (p.suffix != ".parquet", p.as_posix())):
        stem = path.stem.lower()
        kind = next((k for k in SWEEP_KINDS if k in stem), None)
        if kind is None and ("point" in stem or stem == "results"):
            kind = "points"
        if kind is None or kind in sweep.tables:
            continue
        sweep.tables[kind] = _sweep_table(path)
    if (folder / "manifest.json").is_file():
        sweep.manifest = _json(folder / "manifest.json")
    return sweep


# Columns of sweep tables that charts read as numbers (lower case).
SWEEP_NUMBERS = re.compile(r"^(s1|st|s1_conf|st_conf|mu|mu_star|mu_star_conf|sigma|swing|"
                           r"reference|base|(input|output|effect)_(low|high))$")


def _sweep_table(path: Path) -> pd.DataFrame:
    """A sweep table (parquet or CSV), its number columns checked."""
    if path.suffix == ".parquet":
        table = read_table(path)
    else:
        try:
            table = pd.read_csv(path)
        except (OSError, ValueError, UnicodeDecodeError) as error:
            raise InputError(display_path(path), None, f"not a readable CSV table: "
                             f"{str(error).splitlines()[0][:200]}") from None
    for column in table.columns:
        if SWEEP_NUMBERS.match(str(column).lower()) and (
                not pd.api.types.is_numeric_dtype(table[column])
                or np.isinf(table[column].to_numpy(dtype=float)).any()):
            raise InputError(display_path(path), str(column), "not finite numbers")
    return table


def _json(path: Path) -> dict:
    """A JSON file holding a mapping, or one line saying why not."""
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise InputError(display_path(path), None, f"cannot read: {error}") from None
    if not isinstance(content, dict):
        raise InputError(display_path(path), None, f"not a JSON object (a mapping) but "
                         f"{type(content).__name__}")
    return content


def outlet(market: str) -> str:
    return OUTLETS.get(market, market.replace("_", " ").capitalize())
