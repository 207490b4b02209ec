"""`energymodel ... | head`: a reader that closes the pipe early ends the command quietly
(exit 141, 128 + SIGPIPE, when a write met the closed pipe; 0 when everything was written
before it closed), never with an "internal error" line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import EXAMPLES

EXE = Path(sys.executable).with_name("energymodel")
COMMAND = [str(EXE)] if EXE.exists() else [sys.executable, "-m", "energymodel"]


@pytest.mark.parametrize("lines", [0, 1])
def test_run_piped_into_head_ends_quietly(tmp_path, lines):
    """head -n 0 exits at once, so the command's first write meets a closed pipe (exit 141);
    head -n 1 gets the summary's first line, whichever of the two ends the race."""
    run = subprocess.Popen([*COMMAND, "run", str(EXAMPLES / "competitive.yaml"), "--out",
                            str(tmp_path / "out")], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
    head = subprocess.Popen(["head", "-n", str(lines)], stdin=run.stdout,
                            stdout=subprocess.PIPE)
    assert run.stdout is not None
    run.stdout.close()  # head alone holds the read end: when it exits, the pipe is closed
    shown, _ = head.communicate(timeout=120)
    _, errors = run.communicate(timeout=120)
    assert errors.decode() == ""
    if lines == 0:
        assert run.returncode == 141
        assert shown == b""
    else:
        assert run.returncode in (0, 141)
        assert shown.decode().startswith("Scenario textbook_competitive (")
        assert shown.count(b"\n") == 1
