"""Running sweeps: executors agree point for point, a SIGKILLed sweep resumes to the same
table, a sweep never writes into another's folder. (Bad sweep files and compare:
test_sweep_files.py, a module of its own so the test workers share the load.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from energymodel.errors import InputError
from energymodel.sweeps import Dask, Processes, sweep
from tests.conftest import ROOT, SCENARIOS

SPEC = {
    "name": "small",
    "scenario": str(SCENARIOS / "baseline.yaml"),
    "set": {"horizon": {"step": 5}},
    "design": {"method": "latin", "n": 4, "seed": 1},
    "inputs": [{"entity": "china", "parameter": "elasticity"},
               {"entity": "pos2_pipeline", "parameter": "capex"},
               {"field": "markets.china.beta", "low": 0.1, "high": 0.9}],
    "outputs": ["npv_export_revenue", "buyer_price", "npv_transferred", "decisions"],
}


def write_spec(folder: Path, **changes) -> Path:
    path = folder / "sweep.yaml"
    path.write_text(yaml.safe_dump({**SPEC, **changes}))
    return path


@pytest.fixture(scope="module")
def inline_table(tmp_path_factory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("inline")
    return sweep(write_spec(folder), "inline", out=folder / "out")


@pytest.mark.slow
def test_processes_and_dask_equal_inline(inline_table, tmp_path):
    from distributed import Client, LocalCluster

    spec = write_spec(tmp_path)
    assert (inline_table["status"] == "ok").all()
    pd.testing.assert_frame_equal(sweep(spec, Processes(2), out=tmp_path / "pool"),
                                  inline_table)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        pd.testing.assert_frame_equal(sweep(spec, Dask(client), out=tmp_path / "dask"),
                                      inline_table)


@pytest.mark.slow
def test_sigkill_midway_resumes_to_the_same_table(inline_table, tmp_path):
    """A real SIGKILL of the CLI mid-sweep; the rerun solves only the missing points and
    ends with exactly the uninterrupted table."""
    spec = write_spec(tmp_path, design={"method": "latin", "n": 4, "seed": 1})
    out = tmp_path / "out"
    command = [sys.executable, "-m", "energymodel", "sweep", str(spec), "--out", str(out),
               "--executor", "inline", "--no-progress"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    points = out / "points"
    deadline = time.monotonic() + 300
    while not (points.is_dir() and len(list(points.glob("*.json"))) >= 2):
        assert process.poll() is None and time.monotonic() < deadline, "no points written"
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    done = len(list(points.glob("*.json")))
    assert 2 <= done < 4, "killed after the end: make the sweep longer"
    assert not (out / "results.parquet").exists()
    rerun = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    assert f"solved {4 - done} now (0 failed), {done} already done" in rerun.stdout
    resumed = pd.read_parquet(out / "results.parquet")
    pd.testing.assert_frame_equal(resumed, inline_table)
    assert sorted(p.name for p in points.iterdir()) == [f"{i:06d}.json" for i in range(4)]


def test_a_different_sweep_never_writes_into_the_folder(inline_table, tmp_path):
    out = tmp_path / "out"
    sweep(write_spec(tmp_path), "inline", out=out)
    with pytest.raises(InputError, match="different sweep"):
        sweep(write_spec(tmp_path, design={"method": "latin", "n": 4, "seed": 2}),
              "inline", out=out)
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "notes.txt").write_text("not ours")
    with pytest.raises(InputError, match="not made by a sweep"):
        sweep(write_spec(tmp_path), "inline", out=tmp_path / "theirs")
