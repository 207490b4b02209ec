"""Publishing a file whole, and rendering what is published.

`publish(path, data)` writes the bytes to a temporary sibling (`.NAME.tmp-<hex>`), flushes
them to disk, checks the size on disk against the bytes given, then renames (or, for files
that must be new, links) the temporary into place and flushes the folder. A reader, an
interrupted run or a full disk never leaves a partial file under the final name: on any
error the temporary is removed and one `WriteError` line names the file (exit code 2).

Every file energymodel writes goes through `publish`; what is written is rendered to bytes
first (`csv_bytes`, `parquet_bytes`, `json_bytes`) so that its size is known. Text cells of
CSV files are neutralised against spreadsheet formula injection (OWASP "CSV injection": a
cell starting with = + - @ tab or carriage return gets a leading apostrophe).
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import re
import uuid
from pathlib import Path
from typing import Any

import pandas as pd

from energymodel.errors import InputError, WriteError, display_path

TEMPORARY = re.compile(r"^\..+\.tmp-[0-9a-f]{12}$")  # publish's temporaries, and only those
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def publish(path: str | Path, data: bytes | str, replace: bool = True) -> Path:
    """Write `data` to `path` whole (module docstring). `replace=False` refuses to replace
    an existing file (the check and the link are one step). InputError on any failure."""
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    tmp = path.with_name(f".{path.name}.tmp-{uuid.uuid4().hex[:12]}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
            size = os.fstat(fd).st_size
        finally:
            os.close(fd)
        if size != len(data):
            raise OSError(errno.EIO, f"{size:,} of {len(data):,} bytes reached the disk")
        if replace:
            os.replace(tmp, path)
        else:
            os.link(tmp, path)
            tmp.unlink()
        sync_folder(path.parent)
    except FileExistsError:
        _discard(tmp)
        raise InputError(display_path(path), None, "exists: this file is written new only; "
                         "choose another name or remove it") from None
    except OSError as err:
        _discard(tmp)
        raise WriteError(display_path(path), err.strerror or str(err)) from None
    except BaseException:
        _discard(tmp)
        raise
    return path


def _discard(tmp: Path) -> None:
    with contextlib.suppress(OSError):
        tmp.unlink()


def sync_folder(folder: Path) -> None:
    """Flush a folder's entries (new names) to disk, where the system allows it."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def is_temporary(entry: Path) -> bool:
    """Whether `entry` is a temporary file `publish` left (a killed run): a regular file,
    not a link, named as publish names them."""
    return (TEMPORARY.match(entry.name) is not None and entry.is_file()
            and not entry.is_symlink())


def neutralised(value: Any) -> Any:
    """A text that a spreadsheet would read as a formula, with a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_bytes(table: pd.DataFrame) -> bytes:
    """The table as CSV (no index), text cells and headers neutralised."""
    table = table.rename(columns=neutralised)
    text = [c for c in table.columns if table[c].dtype == object
            or isinstance(table[c].dtype, pd.StringDtype)]
    if text:
        table = table.assign(**{c: table[c].map(neutralised) for c in text})
    return table.to_csv(index=False).encode("utf-8")


def parquet_bytes(table: pd.DataFrame) -> bytes:
    """The table as parquet (no index)."""
    buffer = io.BytesIO()
    table.to_parquet(buffer, index=False)
    return buffer.getvalue()


def json_bytes(content: Any) -> bytes:
    """Indented JSON with a final newline."""
    return (json.dumps(content, indent=2) + "\n").encode("utf-8")


def write_tables(folder: Path, tables: dict[str, pd.DataFrame], csv: bool = True) -> list[Path]:
    """Publish tables as NAME.parquet (and NAME.csv) into an existing `folder`."""
    written = []
    for name, table in tables.items():
        written.append(publish(folder / f"{name}.parquet", parquet_bytes(table)))
        if csv:
            written.append(publish(folder / f"{name}.csv", csv_bytes(table)))
    return written
