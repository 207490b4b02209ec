"""The resumable store of a sweep: a folder the sweep creates and alone writes.

    manifest.json        the sweep's identity (hashes, versions, design, seed, inputs)
    design.parquet       the points: one row per point, one column per input
    points/NNNNNN.json   one finished point: status, reason, outputs, seconds
    results.parquet      inputs and outputs per point, written when every point is done
                         (results.csv on request)

Every file is written to a temporary name in the same folder, flushed to disk and renamed
into place, so a reader sees a whole file or none: a sweep stopped at any instant (Ctrl-C,
kill -9, a dead worker) loses only the points in flight, and running it again solves only
the points without a file. A folder holding another sweep (a different manifest) or not
made by a sweep is never written to.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path

import pandas as pd

from energymodel.errors import InputError, display_path

POINT_FILE = re.compile(r"^(\d{6,})\.json$")
KIND = "energymodel sweep"


class Store:
    """The results folder of one sweep."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.points_dir = self.folder / "points"

    def open(self, manifest: dict, design: pd.DataFrame) -> None:
        """Create the folder for this sweep, or reopen it if it holds this same sweep."""
        where = display_path(self.folder)
        if self.folder.is_symlink():
            raise InputError(where, None, "is a symbolic link: give the folder itself or a new "
                             "one")
        if self.folder.exists() and not self.folder.is_dir():
            raise InputError(where, None, "exists and is not a folder: choose another --out")
        old = self.manifest() if (self.folder / "manifest.json").exists() else None
        if old is None and self.folder.exists() and any(self.folder.iterdir()):
            raise InputError(where, None, "folder exists and was not made by a sweep: "
                             "choose another --out")
        if old is not None and old.get("sweep_sha256") != manifest["sweep_sha256"]:
            raise InputError(where, None, f"holds the results of a different sweep "
                             f"('{old.get('name')}', or its inputs or data changed): choose "
                             "another --out, or remove the folder")
        self.folder.mkdir(parents=True, exist_ok=True)
        if old is None:  # the manifest first: it claims the folder, so a stop after it resumes
            atomic_text(self.folder / "manifest.json", json.dumps(manifest, indent=2) + "\n")
        self.points_dir.mkdir(exist_ok=True)
        for stale in [*self.points_dir.glob(".tmp-*"), *self.folder.glob(".tmp-*")]:
            stale.unlink()
        if not (self.folder / "design.parquet").exists():
            _atomic(self.folder / "design.parquet", design.reset_index().to_parquet)

    def manifest(self) -> dict:
        try:
            manifest = json.loads((self.folder / "manifest.json").read_text())
        except (OSError, ValueError):
            raise InputError(display_path(self.folder / "manifest.json"), None,
                             "not a readable sweep manifest") from None
        if manifest.get("kind") != KIND:
            raise InputError(display_path(self.folder), None, "not a sweep results folder")
        return manifest

    def design(self) -> pd.DataFrame:
        return pd.read_parquet(self.folder / "design.parquet").set_index("point")

    def done(self) -> set[int]:
        """Points with a finished record."""
        return {int(m.group(1)) for p in self.points_dir.iterdir()
                if (m := POINT_FILE.match(p.name))}

    def put(self, record: dict) -> None:
        """Record one finished point (atomically)."""
        atomic_text(self.points_dir / f"{record['point']:06d}.json",
                     json.dumps(record, sort_keys=True))

    def records(self) -> list[dict]:
        return [json.loads((self.points_dir / f"{p:06d}.json").read_text())
                for p in sorted(self.done())]

    def table(self) -> pd.DataFrame:
        """Inputs and outputs per point (points without a record are left out)."""
        records = self.records()
        outputs = pd.DataFrame([{"point": r["point"], "status": r["status"],
                                 "reason": r["reason"], **r["outputs"]} for r in records])
        if outputs.empty:
            return pd.DataFrame(columns=["point", "status", "reason"])
        design = self.design()
        return design.join(outputs.set_index("point"), how="inner").reset_index()

    def write_table(self, table: pd.DataFrame, csv: bool) -> list[Path]:
        return write_tables(self.folder, {"results": table}, csv)


def _atomic(path: Path, write) -> None:
    """Write `path` via `write(temporary path)`, flush it to disk and rename it into place."""
    tmp = path.parent / f".tmp-{path.name}-{uuid.uuid4().hex[:8]}"
    try:
        write(tmp)
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_text(path: Path, text: str) -> None:
    _atomic(path, lambda f: Path(f).write_text(text, encoding="utf-8"))


def write_tables(folder: Path, tables: dict[str, pd.DataFrame], csv: bool = True) -> list[Path]:
    """Write tables as parquet (and CSV) into `folder`, each file atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, table in tables.items():
        path = folder / f"{name}.parquet"
        _atomic(path, lambda f, t=table: t.to_parquet(f, index=False))
        written.append(path)
        if csv:
            path = folder / f"{name}.csv"
            _atomic(path, lambda f, t=table: t.to_csv(f, index=False))
            written.append(path)
    return written
