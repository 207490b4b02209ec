"""Interrupts: real SIGINT, SIGTERM and SIGKILL sent to a running `energymodel run`.

Whatever the moment (imports, solve, write), a handled signal ends the run with one line
and exit code 130 (SIGINT) or 143 (SIGTERM), and the results folder is the old one whole or
the new one whole, with no hidden leftovers; after SIGKILL the next run removes what the
killed one left. The solver itself stops on a signal (HiGHS is told through its callbacks).
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import EXAMPLES, SCENARIOS, slow_except

EXE = Path(sys.executable).with_name("energymodel")
COMMAND = [str(EXE)] if EXE.exists() else [sys.executable, "-m", "energymodel"]
CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}


def start(scenario: Path, out: Path) -> subprocess.Popen:
    return subprocess.Popen([*COMMAND, "run", str(scenario), "--out", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def hidden(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict:
    """The files of a run of each of two textbook scenarios ('old' and 'new' results) and
    the wall time of the 'new' one [s]."""
    root = tmp_path_factory.mktemp("reference")
    out: dict = {}
    for key, name in (("old", "monopoly"), ("new", "competitive")):
        started = time.monotonic()
        assert subprocess.run([*COMMAND, "run", str(EXAMPLES / f"{name}.yaml"), "--out",
                               str(root / key)], capture_output=True).returncode == 0
        out[key] = files(root / key)
    return {"seconds": time.monotonic() - started, "files": out}


def whole(folder: Path, runs: dict[str, dict[str, bytes]]) -> str:
    """'old' or 'new' if `folder` holds exactly that run's files (the manifest, which
    records timings, only parsed), else fail."""
    now = files(folder)
    json.loads(now["manifest.json"])
    for key, reference in runs.items():
        if now.keys() == reference.keys() and all(
                now[n] == reference[n] for n in now if n != "manifest.json"):
            return key
    raise AssertionError(f"{folder} is neither the old nor the new results, whole")


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_a_long_solve(tmp_path, signum):
    """Sent once the bilevel MILP reports progress (it has run 3 s: at annual steps), the
    signal stops HiGHS at its next callback: one line, the signal's exit code, nothing
    written."""
    scenario = tmp_path / "slow.yaml"
    scenario.write_text(f"extends: {SCENARIOS / 'china_monopsony.yaml'}\nname: slow\n"
                        "horizon: {start_year: 2025, end_year: 2060, step: 1}\n"
                        "solver: {tangents: 200, mip_rel_gap: 0}\n")
    run = start(scenario, tmp_path / "out")
    lines = []
    for line in run.stderr:
        lines.append(line)
        if line.startswith("... MILP run"):
            break
    assert lines and lines[-1].startswith("... MILP run"), lines
    sent = time.monotonic()
    run.send_signal(signum)
    rest = run.stderr.read().splitlines()
    run.wait(timeout=120)
    stopped_after = time.monotonic() - sent
    assert run.returncode == CODES[signum], rest
    assert rest[-1] == f"interrupted by {signum.name}: stopped, no partial results left"
    assert all(line.startswith("... ") for line in rest[:-1]), rest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["slow.yaml"]
    print(f"{signum.name}: stopped {stopped_after:.2f} s after the signal")


@pytest.mark.parametrize("signum", slow_except([signal.SIGINT, signal.SIGTERM, signal.SIGKILL],
                                                {"SIGKILL"}, name=lambda s: s.name))
def test_signal_at_any_moment_leaves_old_or_new_results_whole(tmp_path, runs, signum):
    """Signals at moments spread over a whole run (imports, solve, write: fractions of the
    time a run takes here) over earlier results; afterwards the folder is the old or the
    new results, whole."""
    out = tmp_path / "out"
    seen = []
    for delay in (0.15, 0.6, 0.9):
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir()
        for name, content in runs["files"]["old"].items():
            (out / name).write_bytes(content)
        run = start(EXAMPLES / "competitive.yaml", out)
        time.sleep(delay * runs["seconds"])
        run.send_signal(signum)
        err = run.stderr.read()
        run.wait(timeout=60)
        assert "Traceback" not in err, err
        if signum == signal.SIGKILL:
            assert run.returncode in (0, -signal.SIGKILL)
        else:
            assert run.returncode in (0, CODES[signum]), err
            if run.returncode:
                assert err == f"interrupted by {signum.name}: stopped, no partial results " \
                              "left\n"
            assert hidden(tmp_path) == []
        seen.append((delay, run.returncode, whole(out, runs["files"])))
    # The next run cleans up whatever a killed run left and writes the new results.
    assert subprocess.run([*COMMAND, "run", str(EXAMPLES / "competitive.yaml"), "--out",
                           str(out)], capture_output=True).returncode == 0
    assert whole(out, runs["files"]) == "new" and hidden(tmp_path) == []
    print(signum.name, seen)


def test_a_signal_is_held_back_inside_deferred_and_acted_on_after():
    from energymodel import interrupts

    # Python's own Ctrl-C handler, whatever this process inherited (a background job of a
    # non-interactive shell starts with SIGINT ignored, and an ignored signal stays ignored)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt), interrupts.deferred():
            signal.raise_signal(signal.SIGINT)
            assert interrupts.requested()
            held = True
        assert held and not interrupts.requested()
    finally:
        signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_click_parses_keeps_its_exit_code(monkeypatch, capfd, signum):
    """A signal before a command's own guard (click turns KeyboardInterrupt into Abort
    there) still ends the run with its own code: SIGTERM 143, not Ctrl-C's 130. Seen once
    in CI: a SIGTERM at 60% of a run exited 130."""
    import typer

    from energymodel import __main__ as entry
    from energymodel import cli, interrupts

    def parse(**_):
        try:
            raise interrupts.Interrupted(signum)
        except KeyboardInterrupt as error:  # what click does with it
            raise typer.Abort() from error

    monkeypatch.setattr(cli, "app", parse)
    monkeypatch.setattr(entry.interrupts, "install", lambda: None)  # keep pytest's handlers
    monkeypatch.setattr(entry.interrupts, "ignore", lambda: None)
    with pytest.raises(SystemExit) as done:
        entry.main()
    assert done.value.code == 128 + signum
    assert capfd.readouterr().err.strip() == (
        f"interrupted by {signal.Signals(signum).name}: stopped, no partial results left")


def test_interrupt_while_writing_keeps_the_old_results(tmp_path, monkeypatch):
    import energymodel as em
    from energymodel.results import Results

    results = em.solve(EXAMPLES / "competitive.yaml")
    results.write(tmp_path / "out")
    before = files(tmp_path / "out")

    def interrupted(self, folder):
        (folder / "flows.csv").write_text("half")
        raise KeyboardInterrupt

    monkeypatch.setattr(Results, "_write_files", interrupted)
    with pytest.raises(KeyboardInterrupt):
        results.write(tmp_path / "out")
    assert files(tmp_path / "out") == before and hidden(tmp_path) == []


def test_concurrent_writers_never_crash(tmp_path, runs):
    """Three runs started together on one folder: each writes the new results whole or is
    refused up front with one line; none fails after its solve."""
    out = tmp_path / "out"
    started = [start(EXAMPLES / "competitive.yaml", out) for _ in range(3)]
    outcomes = []
    for run in started:
        err = run.stderr.read()
        run.wait(timeout=120)
        outcomes.append(run.returncode)
        assert run.returncode in (0, 2), err
        if run.returncode == 2:
            assert err.endswith("another energymodel run is writing this folder; try again "
                                "when it has finished\n") and err.count("\n") == 1, err
    assert 0 in outcomes
    assert whole(out, runs["files"]) == "new" and hidden(tmp_path) == []
    print("concurrent writers' exit codes:", outcomes)
