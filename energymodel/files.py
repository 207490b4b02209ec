"""Reading a user's files safely: regular files only, a size limit, UTF-8 with the line of
a bad byte. Scenario and data loading both read through here."""

from __future__ import annotations

import stat
from pathlib import Path

from energymodel.errors import InputError, display_path


def read_text(path: Path, limit: int, what: str) -> str:
    """The UTF-8 text of a regular file of at most `limit` bytes; InputError otherwise
    (a device, a folder, a file too large, bytes that are not UTF-8: with their line)."""
    file = display_path(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            raise InputError(file, None, f"{what} is not a regular file")
        if info.st_size > limit:
            raise InputError(file, None, f"{what} has {info.st_size:,} bytes, more than the "
                             f"limit of {limit:,}")
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except FileNotFoundError:
        raise InputError(file, None, f"{what} not found") from None
    except OSError as err:
        raise InputError(file, None, f"cannot read: {err.strerror or err}") from None
    if len(raw) > limit:
        raise InputError(file, None, f"{what} has more than the limit of {limit:,} bytes")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[:err.start].count(b"\n") + 1
        raise InputError(file, f"line {line}", f"not UTF-8 text (byte "
                         f"0x{raw[err.start]:02x}): save the file as UTF-8") from None
