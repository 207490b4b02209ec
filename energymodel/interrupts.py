"""Ctrl-C and SIGTERM: stop at any moment, but never in the middle of a step that must not
be cut (a results folder swap) or inside the solver, which cannot be stopped by an
exception.

`install()` (the CLI's first act) makes SIGINT and SIGTERM raise `Interrupted`. Inside
`deferred()` a signal is only recorded; the solver polls `requested()` from its callbacks
and stops cleanly, and on leaving the block the recorded signal is replayed to the handler
that was in place, so the Python API keeps Python's own KeyboardInterrupt.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

SIGNALS = (signal.SIGINT, signal.SIGTERM)
_pending: list[int] = []


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal; `code` is the exit code (128 + signal number)."""

    def __init__(self, signum: int):
        self.signum = signum
        self.code = 128 + signum
        super().__init__(signal.Signals(signum).name)


def _raise(signum: int, frame) -> None:
    raise Interrupted(signum)


def install() -> None:
    """SIGINT and SIGTERM raise `Interrupted` (exit codes 130 and 143)."""
    for signum in SIGNALS:
        signal.signal(signum, _raise)


def ignore() -> None:
    """Ignore SIGINT and SIGTERM from now on (the run is over or reporting its end)."""
    for signum in SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def requested() -> bool:
    """Whether a signal arrived inside the current `deferred()` block."""
    return bool(_pending)


def _record(signum: int, frame) -> None:
    _pending.append(signum)


@contextmanager
def deferred() -> Iterator[None]:
    """Record SIGINT/SIGTERM instead of acting on them; act on the first one on leaving.

    Only handlers written in Python are deferred (SIGTERM's default, ending the process,
    stays); outside the main thread, where signals cannot be handled, this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.getsignal(s) for s in SIGNALS}
    swapped = [s for s, h in previous.items() if callable(h)]
    for signum in swapped:
        signal.signal(signum, _record)
    try:
        yield
    finally:
        for signum in swapped:
            signal.signal(signum, previous[signum])
        if _pending:
            first = _pending[0]
            _pending.clear()
            handler = previous[signal.Signals(first)]
            if callable(handler):  # only Python handlers were swapped
                handler(first, None)
