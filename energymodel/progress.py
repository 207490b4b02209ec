"""Progress lines on stderr for steps that run longer than a few seconds.

    for plan in progress.each("hold-up plans", plans):   # "... hold-up plans: 3 of 8 (12 s)"
        ...
    with progress.task("solving"):
        ...
        progress.note("MIP gap 2.1%")   # e.g. from a solver callback: the innermost task

Off until `enable()` (the command line enables it). A task prints only once it has run
DELAY seconds, then at most every INTERVAL seconds. Lines go to a copy of the stderr file
descriptor taken at `enable()`, so they get through while pyomo captures the solver's
output.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TextIO, TypeVar

T = TypeVar("T")
DELAY = 3.0  # seconds a task runs before its first line
INTERVAL = 5.0  # seconds between two lines of one task
_out: list[TextIO] = []  # where lines go once enabled
_tasks: list[Task] = []  # running tasks, innermost last


def enable(stream: TextIO | None = None) -> None:
    """Print progress lines to `stream` (default: the process's stderr)."""
    _out[:] = [stream or os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1)]


@dataclass
class Task:
    """A step of a run: `done` of `total` parts, the time it started and last printed."""

    name: str
    total: int | None = None
    done: int = 0
    started: float = field(default_factory=time.monotonic)
    printed: float = float("-inf")

    def advance(self, detail: str = "") -> None:
        """One more part done."""
        self.done += 1
        self.note(detail)

    def note(self, detail: str = "") -> None:
        """Print the task's state if it is due."""
        now = time.monotonic()
        if not _out or now - self.started < DELAY or now - self.printed < INTERVAL:
            return
        self.printed = now
        count = f"{self.done} of {self.total}" if self.total else ""
        state = ", ".join(p for p in (count, detail) if p)
        print(f"... {self.name}{': ' + state if state else ''} ({now - self.started:.0f} s)",
              file=_out[0], flush=True)


@contextmanager
def task(name: str, total: int | None = None) -> Iterator[Task]:
    """A running task; `note()` reports on the innermost one."""
    current = Task(name, total)
    _tasks.append(current)
    try:
        yield current
    finally:
        _tasks.remove(current)


def each(name: str, items: Sequence[T]) -> Iterator[T]:
    """The items, as the parts of a task: `for x in progress.each("points", values):`."""
    with task(name, total=len(items)) as current:
        for item in items:
            yield item
            current.advance()


def note(detail: str) -> None:
    """Report `detail` on the innermost running task, if any."""
    if _tasks:
        _tasks[-1].note(detail)


def due() -> bool:
    """Whether the innermost running task would print a line now (so that a caller called
    often, a solver callback, builds its detail only then)."""
    if not _out or not _tasks:
        return False
    task, now = _tasks[-1], time.monotonic()
    return now - task.started >= DELAY and now - task.printed >= INTERVAL
