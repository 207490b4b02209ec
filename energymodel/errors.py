"""Errors a user can act on: each names the file, the field and the reason in one line."""

from __future__ import annotations

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


class WriteError(InputError):
    """A file could not be written (disk full, no permission, not a folder): `file: cannot
    write: cause`. Exit code 2, like bad input: the user changes where output goes."""

    def __init__(self, file: str | Path, cause: str):
        self.cause = cause
        super().__init__(file, None, f"cannot write: {cause}")


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
