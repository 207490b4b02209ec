"""Read what a report is built from: results folders and sweep folders, as plain data.

Only parquet tables and JSON are read (never pickles, never code); nothing is solved again.
A results folder holds `manifest.json`, `scenario.json` and `<table>.parquet`; a sweep folder
holds parquet or CSV tables whose names say what they are (`*tornado*`, `*sobol*`,
`*morris*`, and a table of points).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

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
    """A results folder written by `Results.write`."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(display_path(folder), None, "no such results folder")
    if not is_results_folder(folder):
        raise InputError(display_path(folder), None, "not a results folder (needs "
                         "manifest.json and flows.parquet, as `energymodel run` writes)")
    manifest = _json(folder / "manifest.json")
    scenario = _json(folder / "scenario.json") if (folder / "scenario.json").is_file() else \
        manifest.get("scenario", {}).get("resolved", {})
    tables = {p.stem: pd.read_parquet(p) for p in sorted(folder.glob("*.parquet"))}
    name = str(scenario.get("name") or manifest.get("scenario", {}).get("name") or folder.name)
    return Run(name, tables, scenario, manifest, folder)


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
        sweep.tables[kind] = (pd.read_parquet(path) if path.suffix == ".parquet"
                              else pd.read_csv(path))
    if (folder / "manifest.json").is_file():
        sweep.manifest = _json(folder / "manifest.json")
    return sweep


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise InputError(display_path(path), None, f"cannot read: {error}") from None


def outlet(market: str) -> str:
    return OUTLETS.get(market, market.replace("_", " ").capitalize())
