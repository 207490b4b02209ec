"""Results folders: tables with units, manifest, atomic writes, bit-for-bit reproducibility."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import energymodel as em
from energymodel.results import COLUMNS, KEYS, TABLES

from .conftest import SCENARIOS


def test_results_folder(baseline, tmp_path):
    folder = baseline.write(tmp_path / "baseline")
    for name in (*TABLES, "validation"):
        csv = pd.read_csv(folder / f"{name}.csv")
        parquet = pd.read_parquet(folder / f"{name}.parquet")
        assert list(csv.columns) == list(parquet.columns)
        assert len(csv) == len(parquet) > 0
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["scenario"]["sha256"] == baseline.scenario.digest()
    assert len(manifest["data"]["sha256"]) == 64
    assert manifest["solver"]["status"] == "optimal"
    assert {"pyomo", "highspy", "HiGHS", "python"} <= set(manifest["versions"])
    from importlib.metadata import version

    assert manifest["versions"]["pyomo"] == version("pyomo")
    assert {"prepare", "build", "compile", "solve", "solver", "extract"} <= set(
        manifest["timings_s"])
    assert manifest["scenario"]["resolved"]["markets"]["china"]["structure"] == "bargaining"
    assert json.loads((folder / "scenario.json").read_text())["name"] == "baseline"


def test_tables_carry_units_in_column_names(baseline):
    flows = baseline.flows
    for column in ("flow_bcm_per_y", "capacity_bcm_per_y", "price_usd_per_mmbtu",
                   "revenue_usd_bn", "profit_usd_bn"):
        assert column in flows.columns
    assert {"route", "basin", "market", "year"} <= set(flows.columns)


def test_rewrite_replaces_a_folder_and_failure_leaves_it_intact(baseline, tmp_path, monkeypatch):
    folder = baseline.write(tmp_path / "out")
    before = (folder / "flows.csv").read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_parquet", broken)
    with pytest.raises(em.InputError, match="cannot write results: disk full"):
        baseline.write(tmp_path / "out")
    assert (folder / "flows.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    with pytest.raises(em.InputError, match="cannot write results: disk full"):
        baseline.write(tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_identical_inputs_give_identical_outputs(baseline, tmp_path):
    again = em.solve(SCENARIOS / "baseline.yaml")
    first, second = baseline.write(tmp_path / "a"), again.write(tmp_path / "b")
    for name in (*TABLES, "validation"):
        assert (first / f"{name}.csv").read_bytes() == (second / f"{name}.csv").read_bytes()
        assert (first / f"{name}.parquet").read_bytes() == (
            second / f"{name}.parquet").read_bytes()


def test_cli_run_prints_summary(tmp_path):
    from typer.testing import CliRunner

    from energymodel.cli import app

    result = CliRunner().invoke(app, ["run", str(SCENARIOS / "baseline.yaml"), "--out",
                                      str(tmp_path / "r"), "--point"])  # studies: elsewhere
    assert result.exit_code == 0, result.output
    for text in ("NPV 2025-2060 at 8.0%", "export revenue", "Revenue by outlet", "china",
                 "export total", "optimal", "solves", "Price pressure on China",
                 "NPV budget take", "Pressure against each benchmark", "Window: "):
        assert text in result.stdout
    assert (tmp_path / "r" / "manifest.json").exists()


def test_cli_pressure_prints_table_and_dependence(tmp_path):
    from typer.testing import CliRunner

    from energymodel.cli import app

    scenario = tmp_path / "dependence.yaml"
    scenario.write_text(f"extends: {SCENARIOS / 'examples' / 'nash.yaml'}\n"
                        "dependence: {lever: outside_capacity, values: [0, 20, 40],\n"
                        "  targets: [{entity: outside_link, parameter: capacity}]}\n")
    result = CliRunner().invoke(app, ["pressure", str(scenario), "--out", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    for text in ("Price pressure on buyer", "benchmark: competitive", "Dependence curve",
                 "outside_capacity"):
        assert text in result.stdout
    curve = pd.read_csv(tmp_path / "r" / "dependence.csv")
    assert list(curve["value"]) == [0, 20, 40]
    assert curve[["mean_price", "mean_pressure", "mean_dependence_volume"]].notna().all().all()
    # a better outside option for the seller raises the bargained price
    price = [em.solve(em.load_scenario(scenario).with_overrides(
        {"entity": "outside_link", "parameter": "capacity", "value": q}), dependence=False)
        .tables["pressure"].iloc[0]["price_usd_per_mmbtu"] for q in (0, 20, 40)]
    assert price == sorted(price)


def test_every_reported_column_has_a_definition(baseline, history):
    """Each measured column of every table written (the manifest publishes COLUMNS) has a
    definition; only the columns naming what a row is about are exempt."""
    tables = {**baseline.tables, **history.tables, "validation": history.validation}
    undefined = {(name, c) for name, t in tables.items() for c in t.columns
                 if c not in COLUMNS and c not in KEYS}
    assert not undefined
