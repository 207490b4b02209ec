"""Several scenarios side by side: the key outputs (energymodel.outputs) of each, solved from
a scenario file or read from a results folder written by `energymodel run`."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from energymodel.errors import InputError, display_path
from energymodel.inputs import periods
from energymodel.outputs import OUTPUT_GROUPS, key_outputs
from energymodel.safety import CompareFolder
from energymodel.scenario import Scenario, load_scenario
from energymodel.sweep.executors import Context, evaluate
from energymodel.sweep.store import write_tables

TABLES = ("flows", "markets", "summary", "investments")
COMPARE_KIND = "energymodel compare"


def compare(sources: list[str | Path]) -> pd.DataFrame:
    """Tidy table (scenario, source, status, output, value) of the key outputs of each
    source: a scenario YAML file (solved) or a results folder (read)."""
    rows = []
    for source in map(Path, sources):
        if source.is_dir():
            scenario = _read_scenario(source)
            name, status, outputs = scenario.name, "ok", _read_outputs(source, scenario)
        else:
            scenario = load_scenario(source)
            record = evaluate(Context(scenario, (), OUTPUT_GROUPS), 0, {})
            name, status, outputs = scenario.name, record["status"], record["outputs"]
            if status != "ok":
                outputs = {"reason": record["reason"]}
        rows += [{"scenario": name, "source": display_path(source), "status": status,
                  "output": k, "value": v} for k, v in outputs.items()]
    return pd.DataFrame(rows)


def side_by_side(table: pd.DataFrame) -> pd.DataFrame:
    """Outputs as rows, scenarios as columns."""
    return table[table["status"] == "ok"].pivot_table(
        index="output", columns="scenario", values="value", sort=False)


def write(table: pd.DataFrame, folder: Path) -> list[Path]:
    """Write compare.parquet/.csv and a manifest into `folder`: a new folder or an earlier
    comparison, replaced whole (energymodel.safety.CompareFolder)."""
    def fill(tmp: Path) -> None:
        write_tables(tmp, {"compare": table})
        (tmp / "manifest.json").write_text(json.dumps(
            {"kind": COMPARE_KIND, "sources": sorted(set(table["source"]))}, indent=2) + "\n")

    with CompareFolder(folder) as out:
        out.replace(fill)
    return sorted(folder.iterdir())


def _read_scenario(folder: Path) -> Scenario:
    try:
        content = json.loads((folder / "scenario.json").read_text())
    except (OSError, ValueError):
        raise InputError(display_path(folder), None, "not a results folder (no readable "
                         "scenario.json)") from None
    return Scenario.model_validate({**content, "data_dir": Path(content["data_dir"])})


def _read_outputs(folder: Path, scenario: Scenario) -> dict[str, float]:
    tables = {}
    for name in TABLES:
        path = folder / f"{name}.parquet"
        if not path.exists():
            raise InputError(display_path(path), None, "results table missing")
        tables[name] = pd.read_parquet(path)
    return key_outputs(tables, periods(scenario)["weight"])

