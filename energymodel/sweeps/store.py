"""The resumable store of a sweep: a folder the sweep claims and alone writes, in place.

    manifest.json        the sweep's identity (hashes, the design's among them, versions,
                         design, seed, inputs), the names of the files the sweep writes,
                         and its own checksum
    design.parquet       the points: one row per point, one column per input
    points/NNNNNN.json   one finished point: its number, the SHA-256 of its input values,
                         status, reason, outputs, seconds, and the SHA-256 of the record
    results.parquet      inputs and outputs per point, written when every point is done
                         (results.csv on request)
    analysis/            the tables of `sweep analyze`

The folder is claimed like every output folder (energymodel.safety.Claim): never inside an
input, a symbolic link anywhere in it refused, and locked, so a second sweep into it is
refused up front. Every file is published whole (energymodel.publish): a sweep stopped at
any instant (Ctrl-C, kill -9, a dead worker) loses only the points in flight, and running it
again solves only the points without a good record.

A record counts only if its file name, point number, input hash and own checksum agree with
the design; any other record of a point is solved again, and a file that names no point of
the design is left alone and named in one line. The table is built from the design the sweep
file gives, never from what the folder says, so an edited folder gives the true table or a
one-line error, never a wrong table. Files of other names are the user's: never read,
never deleted.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from pathlib import Path
from typing import cast

import numpy as np
import pandas as pd

from energymodel.errors import InputError, display_path
from energymodel.publish import is_temporary, json_bytes, parquet_bytes, publish, write_tables
from energymodel.results import read_table
from energymodel.safety import Claim, walk

POINT_FILE = re.compile(r"^(\d{6,})\.json$")
KIND = "energymodel sweep"
FILES = ["manifest.json", "design.parquet", "points/NNNNNN.json", "results.parquet",
         "results.csv", "analysis/<table>.parquet", "analysis/<table>.csv"]
STATUSES = ("ok", "no solution", "bad input", "error")
RECORD_KEYS = {"point", "inputs_sha256", "status", "reason", "outputs", "seconds", "sha256"}
RECORD_LIMIT = 1_000_000  # bytes: a point record is a few hundred


class SweepFolder(Claim):
    """A sweep's folder claimed for writing: new, empty, or holding a sweep (its manifest);
    no symbolic link anywhere inside."""

    KIND = "sweep results"
    MAKES_FOLDER = True  # written in place: an empty folder left by a refused run is removed

    def _check(self) -> None:
        if not self.path.exists():
            return
        entries = walk(self.path)
        link = next((rel for rel, e in entries.items() if e.is_symlink()), None)
        if link is not None:
            raise self._error(f"holds a symbolic link '{link}': a sweep does not write into "
                              "a folder with links; remove it or choose another --out")
        if entries and not (self.path / "manifest.json").is_file():
            raise self._error("folder exists and was not made by a sweep: choose another "
                              "--out")


class Store:
    """The results folder of one sweep; `design` is the sweep's own (from its file)."""

    def __init__(self, folder: Path, design: pd.DataFrame | None = None):
        self.folder = Path(folder)
        self.points_dir = self.folder / "points"
        self.design = design
        self.notes: list[str] = []  # one line per thing found and set right or left alone

    def _design(self) -> pd.DataFrame:
        """The design; a store made without one only reads a finished sweep."""
        if self.design is None:
            raise ValueError(f"{display_path(self.folder)}: opened to read, without a design")
        return self.design

    def open(self, manifest: dict) -> None:
        """Make the folder for this sweep, or reopen it if it holds this same sweep; the
        folder must be claimed (SweepFolder) by the caller."""
        old = self.manifest() if (self.folder / "manifest.json").exists() else None
        if old is not None and old.get("sweep_sha256") != manifest["sweep_sha256"]:
            raise InputError(display_path(self.folder), None, f"holds the results of a "
                             f"different sweep ('{old.get('name')}', or its inputs or data "
                             "changed): choose another --out, or remove the folder")
        if old is None or "design_sha256" not in old:  # first: it claims the folder, so a
            publish(self.folder / "manifest.json", json_bytes(manifest))  # stop resumes
        self.points_dir.mkdir(exist_ok=True)
        for folder in (self.folder, self.points_dir, self.folder / "analysis"):
            for stale in (folder.iterdir() if folder.is_dir() else []):
                if is_temporary(stale):
                    stale.unlink()
        design = self.folder / "design.parquet"
        if not design.exists() or self._design_digest() != manifest["design_sha256"]:
            if design.exists():
                self.notes.append(f"{display_path(design)}: not the design of this sweep "
                                  "file (edited or damaged): written again")
            publish(design, parquet_bytes(self._design().reset_index()))

    def manifest(self) -> dict:
        """The sweep's manifest, checked for what a resume and an analysis read."""
        path = self.folder / "manifest.json"
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            raise InputError(display_path(path), None, "not a readable sweep manifest "
                             "(JSON)") from None
        if not isinstance(manifest, dict) or manifest.get("kind") != KIND:
            raise InputError(display_path(path), None, "not the manifest of a sweep")
        if "sha256" in manifest and manifest["sha256"] != record_digest(manifest):
            raise InputError(display_path(path), None, "edited or damaged (its checksum "
                             "does not match): remove the folder and run the sweep again")
        design, inputs = manifest.get("design"), manifest.get("inputs")
        if not isinstance(design, dict) or not isinstance(design.get("points"), int) or \
                design.get("method") not in ("grid", "latin", "sobol", "morris", "oat"):
            raise InputError(display_path(path), "design", "missing or damaged")
        if not isinstance(inputs, list) or not inputs or not all(
                isinstance(i, dict) and isinstance(i.get("name"), str)
                and all(_number(i.get(k)) for k in ("low", "high")) for i in inputs):
            raise InputError(display_path(path), "inputs", "missing or damaged")
        return manifest

    def _design_digest(self) -> str | None:
        try:
            return design_digest(read_table(self.folder / "design.parquet")
                                 .set_index("point"))
        except (InputError, KeyError, ValueError, TypeError):
            return None

    def records(self) -> dict[int, dict]:
        """The good records by point; notes name the files set aside."""
        expected = {int(cast(int, i)): inputs_digest(row) for i, row in self._design().iterrows()}
        found, damaged, stray = {}, [], []
        for entry in sorted(self.points_dir.iterdir()):
            match = POINT_FILE.match(entry.name)
            if match is None:
                continue  # not a name the sweep writes: the user's
            point = int(match.group(1))
            if entry.name != f"{point:06d}.json" or point not in expected:
                stray.append(entry)
                continue
            record = _read_record(entry)
            if record is None or record["point"] != point or \
                    record["inputs_sha256"] != expected[point]:
                damaged.append(entry)
            else:
                found[point] = record
        for files, what in ((damaged, "damaged or not of this design: solved again"),
                            (stray, f"not a point of this design ({len(expected)} points): "
                             "left alone")):
            if files:
                more = f" and {len(files) - 1} more" if len(files) > 1 else ""
                self.notes.append(f"{display_path(files[0])}{more}: {what}")
        return found

    def put(self, record: dict) -> dict:
        """Record one finished point (published whole), with its input hash and checksum;
        the record as stored."""
        x = self._design().loc[record["point"]]
        record = {**record, "inputs_sha256": inputs_digest(x)}
        record["sha256"] = record_digest(record)
        publish(self.points_dir / f"{record['point']:06d}.json",
                json.dumps(record, sort_keys=True))
        return record

    def table(self, records: dict[int, dict]) -> pd.DataFrame:
        """Inputs and outputs per point (points without a record are left out); outputs in
        the order of their names, whether a record was read back or has just been made."""
        outputs = pd.DataFrame([{"point": p, "status": r["status"], "reason": r["reason"],
                                 **dict(sorted(r["outputs"].items()))}
                                for p, r in sorted(records.items())])
        if outputs.empty:
            return pd.DataFrame(columns=["point", "status", "reason"])
        return self._design().join(outputs.set_index("point"), how="inner").reset_index()

    def write_table(self, table: pd.DataFrame, csv: bool) -> list[Path]:
        return write_tables(self.folder, {"results": table}, csv)

    def finished(self) -> tuple[pd.DataFrame, dict]:
        """The table and manifest of a finished sweep folder (for `sweep analyze`), built
        from its checked records, never from a file that could have been edited: the
        manifest and design match their hashes, every point has a good record; otherwise
        one line names the file."""
        manifest = self.manifest()
        path = self.folder / "design.parquet"
        if not path.is_file():
            raise InputError(display_path(path), None, "missing: run the sweep first")
        if self._design_digest() != manifest.get("design_sha256"):
            raise InputError(display_path(path), None, "not the design the manifest names "
                             "(edited or damaged): run the sweep again to rewrite it")
        self.design = read_table(path).set_index("point")
        records = self.records() if self.points_dir.is_dir() else {}
        missing = [p for p in self.design.index if p not in records]
        if missing:
            first = display_path(self.points_dir / f"{missing[0]:06d}.json")
            raise InputError(first, None, f"{len(missing)} of {len(self.design)} points "
                             "without a good record (not solved yet, or damaged): run the "
                             "sweep to the end first")
        return self.table(records), manifest


def design_digest(design: pd.DataFrame) -> str:
    """SHA-256 of a design's values (rows by point, columns by input)."""
    return hashlib.sha256(np.ascontiguousarray(design.to_numpy(dtype=float)).tobytes()) \
        .hexdigest()


def inputs_digest(x: pd.Series) -> str:
    """SHA-256 of one point's input values by name (exact: as hexadecimal floats)."""
    content = {str(k): float(v).hex() for k, v in x.items()}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def record_digest(record: dict) -> str:
    """SHA-256 of a point record (or manifest) without its own checksum."""
    content = {k: v for k, v in record.items() if k != "sha256"}
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def _read_record(path: Path) -> dict | None:
    """A point record as the sweep wrote it, or None (unreadable, edited, not a record)."""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > RECORD_LIMIT:
            return None
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not isinstance(record, dict) or record.keys() != RECORD_KEYS:
        return None
    good = (isinstance(record["point"], int) and not isinstance(record["point"], bool)
            and record["status"] in STATUSES and isinstance(record["reason"], str)
            and _number(record["seconds"]) and isinstance(record["outputs"], dict)
            and all(isinstance(k, str) and (_number(v) or (isinstance(v, float)
                                                           and math.isnan(v)))
                    for k, v in record["outputs"].items())
            and record["sha256"] == record_digest(record))
    return record if good else None


def _number(value) -> bool:
    """A finite int or float (not a bool)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and \
        math.isfinite(value)

