"""Errors a user can act on: each names the file, the field and the reason in one line."""

from __future__ import annotations

import stat
from pathlib import Path


class EnergyModelError(Exception):
    """Base class of all errors the CLI reports as one line without a traceback."""


class InputError(EnergyModelError):
    """Bad scenario or data input: `file: field: reason`."""

    def __init__(self, file: str | Path | None, field: str | None, reason: str):
        self.file = str(file) if file is not None else None
        self.field = field
        self.reason = reason
        super().__init__(": ".join(p for p in (self.file, field, reason) if p))


class SolveError(EnergyModelError):
    """The model has no optimal solution (infeasible, unbounded, limit hit).

    `constraints` lists the constraints HiGHS names in an irreducible infeasible subset,
    when it can find one.
    """

    def __init__(self, status: str, reason: str, constraints: list[str] | None = None):
        self.status = status
        self.constraints = constraints or []
        text = f"model is {status}: {reason}"
        if self.constraints:
            shown = ", ".join(self.constraints[:8])
            more = len(self.constraints) - 8
            text += f"; constraints involved: {shown}" + (f" (+{more} more)" if more > 0 else "")
        super().__init__(text)


def display_path(path: Path | str) -> str:
    """`path` relative to the working directory where possible, for one-line messages."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


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
