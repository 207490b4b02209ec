"""Several scenarios side by side: the key outputs (energymodel.outputs) of each, solved from
a scenario file or read from a results folder written by `energymodel run`.

Each source keeps its own column, labelled by its scenario name, or by name and source
where two sources share a name: values are never merged. A scenario without a solution
keeps its row in the table, with its status and reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from energymodel.api import load_scenario
from energymodel.engine import Session
from energymodel.errors import InputError, display_path
from energymodel.inputs import periods
from energymodel.metrics import OUTPUT_GROUPS, key_outputs
from energymodel.publish import json_bytes, publish, write_tables
from energymodel.results import Results
from energymodel.safety import CompareFolder
from energymodel.scenario import Scenario
from energymodel.sweeps.executors import Context, evaluate

COMPARE_KIND = "energymodel compare"
COLUMNS = ["scenario", "source", "status", "reason", "output", "value"]


def inputs(sources: Sequence[str | Path]) -> list[Path]:
    """What a comparison reads, to keep its output out of: each source and the data
    directory of each scenario file (loaded, so a bad scenario fails before any solve)."""
    found = []
    for source in map(Path, sources):
        found.append(source)
        if not source.is_dir():
            found.append(load_scenario(source).data_dir)
    return found


def compare(sources: Sequence[str | Path]) -> pd.DataFrame:
    """Tidy table (scenario, source, status, reason, output, value) of the key outputs of
    each source: a scenario YAML file (solved) or a results folder (read). A source given
    twice is compared once."""
    rows = []
    session = Session()  # the scenarios share their data set and, where alike, the model
    for source in dict.fromkeys(map(Path, sources)):
        where = display_path(source)
        if source.is_dir():
            scenario, outputs = _read(source)
            name, status, reason = scenario.name, "ok", ""
        else:
            scenario = load_scenario(source)
            record = evaluate(Context(scenario, (), OUTPUT_GROUPS), 0, {}, session)
            name, status, reason = scenario.name, record["status"], record["reason"]
            outputs = record["outputs"]
        if status == "ok":
            rows += [{"scenario": name, "source": where, "status": status, "reason": "",
                      "output": k, "value": v} for k, v in outputs.items()]
        else:
            rows.append({"scenario": name, "source": where, "status": status,
                         "reason": reason, "output": None, "value": np.nan})
    return pd.DataFrame(rows, columns=COLUMNS).astype({"value": float})


def labels(table: pd.DataFrame) -> dict[str, str]:
    """Column label by source: the scenario name, or `name (source)` where sources share
    a name."""
    names = table.drop_duplicates("source").set_index("source")["scenario"]
    shared = names.duplicated(keep=False)
    return {source: f"{name} ({source})" if dup else name
            for source, name, dup in zip(names.index, names, shared, strict=True)}


def side_by_side(table: pd.DataFrame) -> pd.DataFrame:
    """Outputs as rows, one column per source with a solution (never averaged)."""
    ok = table[table["status"] == "ok"]
    named = labels(table)
    wide = ok.assign(column=ok["source"].map(named)).pivot(
        index="output", columns="column", values="value")
    return wide.reindex(index=pd.unique(ok["output"]),
                        columns=[c for c in named.values() if c in wide.columns])


def write(table: pd.DataFrame, folder: Path, protect: Sequence[Path] = ()) -> list[Path]:
    """Write compare.parquet/.csv and a manifest into `folder`: a new folder or an earlier
    comparison (energymodel.safety.CompareFolder), never one of `protect`."""
    with CompareFolder(folder, protect) as out:
        out.replace(lambda tmp: fill(tmp, table))
    return sorted(folder.iterdir())


def fill(folder: Path, table: pd.DataFrame) -> None:
    """The files of a comparison, into the empty `folder`."""
    write_tables(folder, {"compare": table})
    publish(folder / "manifest.json", json_bytes(
        {"kind": COMPARE_KIND, "sources": list(dict.fromkeys(table["source"]))}))


def _read(folder: Path) -> tuple[Scenario, dict[str, float]]:
    """The scenario of a results folder (validated like a scenario file) and its key
    outputs; every damage is one line naming the file."""
    results = Results.read(folder)  # the folder's files checked
    try:
        return results.scenario, key_outputs(results.tables, periods(results.scenario))
    except (KeyError, ValueError, TypeError, ZeroDivisionError) as err:
        raise InputError(display_path(folder), None, f"its tables do not give the key "
                         f"outputs ({type(err).__name__}: {err})") from None
