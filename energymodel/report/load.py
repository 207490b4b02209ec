"""Read the sweep folders a report shows, as plain data (results folders are read by
`Results.read`).

Only parquet and CSV tables and JSON are read (never pickles, never code); nothing is solved
again. A sweep folder holds tables whose names say what they are (`*tornado*`, `*sobol*`,
`*morris*`, and a table of points).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from energymodel.errors import InputError, display_path
from energymodel.results import read_json, read_table


@dataclass
class Sweep:
    """The analysis tables of a sensitivity sweep, by kind ('tornado', 'sobol', 'morris',
    'points'), and its manifest if it has one."""

    folder: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    manifest: dict = field(default_factory=dict)


SWEEP_KINDS = ("tornado", "sobol", "morris", "skipped")


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
        sweep.manifest = read_json(folder / "manifest.json")
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
