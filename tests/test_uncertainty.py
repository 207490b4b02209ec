"""Answers with ranges (energymodel.uncertainty): percentiles of a study's points in the
summary, the probability that the pressure is positive, and `run` with and without one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from energymodel import uncertainty
from energymodel.cli import app

SCENARIOS = Path("scenarios").resolve()


def test_ranges_by_hand():
    summary = pd.DataFrame({"metric": ["mean_pressure", "profit_window_end", "objective"],
                            "value": [1.0, np.nan, 5.0], "unit": ["USD/MMBtu", "year", "USD bn"]})
    points = pd.DataFrame({"status": ["ok"] * 10 + ["no solution"],
                           "mean_pressure": [-2, -1, 0.5, 1, 1, 2, 2, 3, 3, 4, 99.0],
                           "profit_window_end": [2040, 2045, 2050] + [np.nan] * 7 + [2030]})
    out = uncertainty.ranges(summary, points).set_index("metric")
    x = np.array([-2, -1, 0.5, 1, 1, 2, 2, 3, 3, 4.0])
    assert out.at["mean_pressure", "p10"] == pytest.approx(np.percentile(x, 10))
    assert out.at["mean_pressure", "p50"] == pytest.approx(np.percentile(x, 50))
    assert out.at["mean_pressure", "p90"] == pytest.approx(np.percentile(x, 90))
    assert out.at["prob_pressure_positive", "value"] == pytest.approx(0.8)  # failed point out
    # a window that never closes is later than any year: only the 10th percentile closes
    assert out.at["profit_window_end", "p10"] == 2040
    assert np.isnan(out.at["profit_window_end", "p50"])
    assert np.isnan(out.at["objective", "p50"])  # not in the study: no range


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, CliRunner]:
    root = tmp_path_factory.mktemp("ranges")
    (root / "small.yaml").write_text(
        f"extends: {SCENARIOS}/baseline.yaml\nname: small\nleverage: null\n"
        "horizon: {start_year: 2025, end_year: 2060, step: 5}\n")
    (root / "study.yaml").write_text(
        f"name: study\nscenario: {SCENARIOS}/baseline.yaml\ndesign: {{method: latin, n: 6, "
        "seed: 1}\ninputs:\n  - {entity: china, parameter: price_cap}\n"
        "  - {entity: pos2_pipeline, parameter: capex}\n"
        "outputs: [npv_export_revenue, price_pressure, window]\n")
    return root, CliRunner()


@pytest.mark.slow
def test_run_reports_ranges(runs):
    """`run --uncertainty` writes p10/p50/p90 and P(pressure > 0) in summary.csv and prints
    them; the percentiles bracket the median."""
    root, cli = runs
    result = cli.invoke(app, ["run", str(root / "small.yaml"), "--uncertainty",
                              str(root / "study.yaml"), "--workers", "1", "--out",
                              str(root / "with")])
    assert result.exit_code == 0, result.output
    assert "Ranges, 10th / 50th / 90th percentile over 6 points" in result.output
    assert "Probability that the buyer's price pressure is positive" in result.output
    s = pd.read_csv(root / "with" / "summary.csv").set_index("metric")
    for m in ("npv_export_revenue", "mean_pressure", "mean_price"):
        assert s.at[m, "p10"] <= s.at[m, "p50"] <= s.at[m, "p90"]
    assert 0 <= s.at["prob_pressure_positive", "value"] <= 1
    assert np.isnan(s.at["objective", "p50"])
    points = pd.read_parquet(root / "with" / "uncertainty_points.parquet")
    assert len(points) == 6 and (points["status"] == "ok").all()


def test_run_without_a_study_reports_points(runs):
    root, cli = runs
    result = cli.invoke(app, ["run", str(root / "small.yaml"), "--point", "--out",
                              str(root / "plain")])
    assert result.exit_code == 0, result.output
    assert "Ranges" not in result.output
    s = pd.read_csv(root / "plain" / "summary.csv")
    assert list(s.columns) == ["metric", "value", "unit"]
    both = cli.invoke(app, ["run", str(root / "small.yaml"), "--point", "--uncertainty",
                            str(root / "study.yaml")])
    assert both.exit_code == 2 and "one of the two" in both.output
