"""Sweep files and comparisons from the command line: bad sweep files fail in one line
(from Python and from the CLI), compare puts scenarios side by side."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

import energymodel as em
from energymodel.errors import InputError
from energymodel.sweeps import load_sweep
from tests.conftest import ROOT, SCENARIOS
from tests.test_sweep_run import write_spec


@pytest.mark.parametrize(("changes", "message"), [
    ({"design": {"method": "sobol", "n": 6}}, "design: sobol needs n a power of 2"),
    ({"colour": "red"}, "colour: unknown key"),
    ({"inputs": [{"entity": "atlantis", "parameter": "capex"}]},
     "inputs[0].entity: no basin, market, route or option 'atlantis'"),
    ({"inputs": [{"entity": "china", "parameter": "ref_quantity", "mode": "value"}]},
     "inputs[0].mode: china.ref_quantity has"),
    ({"inputs": [{"field": "markets.china.beta"}]}, "needs low and high"),
    ({"inputs": [{"entity": "pos2_pipeline", "parameter": "capex", "low": -5, "high": 1}]},
     "at their low bounds"),
])
def test_bad_sweep_files_fail_in_one_line(tmp_path, changes, message):
    spec = write_spec(tmp_path, **changes)
    with pytest.raises(InputError) as err:
        from energymodel.sweeps import plan

        plan(load_sweep(spec))
    assert message in str(err.value) and "\n" not in str(err.value)
    cli = subprocess.run([sys.executable, "-m", "energymodel", "sweep", str(spec)],
                         cwd=tmp_path, capture_output=True, text=True)
    assert cli.returncode == 2 and message in cli.stderr and "Traceback" not in cli.stderr


def test_compare_solves_and_reads(tmp_path):
    from energymodel.compare import compare, side_by_side

    em.solve(SCENARIOS / "examples" / "monopoly.yaml").write(tmp_path / "monopoly")
    table = compare([SCENARIOS / "examples" / "competitive.yaml", tmp_path / "monopoly"])
    wide = side_by_side(table)
    assert list(wide.columns) == ["textbook_competitive", "textbook_monopoly"]
    # the seller's profit under monopoly is at least its competitive profit
    assert wide.loc["npv_export_profit", "textbook_monopoly"] >= wide.loc[
        "npv_export_profit", "textbook_competitive"] - 1e-9
    cli = subprocess.run([sys.executable, "-m", "energymodel", "compare",
                          str(SCENARIOS / "examples" / "competitive.yaml"),
                          str(tmp_path / "monopoly"), "--out", str(tmp_path / "cmp")],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    assert "npv_export_profit" in cli.stdout
    written = pd.read_csv(tmp_path / "cmp" / "compare.csv")
    assert set(written["scenario"]) == {"textbook_competitive", "textbook_monopoly"}
