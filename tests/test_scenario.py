"""Scenario files: extends, overrides, hashing; the Python API to change them."""

from __future__ import annotations

import os
import shutil

import pytest

import energymodel as em
from energymodel.data import load_dataset
from energymodel.overrides import apply_overrides

from .conftest import DATA, EXAMPLES, SCENARIOS


def test_extends_merges_mappings_and_replaces_values():
    history = em.load_scenario(SCENARIOS / "history.yaml")
    baseline = em.load_scenario(SCENARIOS / "baseline.yaml")
    assert history.horizon.start_year == 2019 and history.pathway == "history"
    # markets merge: the hindcast replaces China's structure only (competitive)
    assert {m: s for m, s in history.markets.items() if m != "china"} == {
        m: s for m, s in baseline.markets.items() if m != "china"}
    assert history.markets["china"].structure == "competitive"
    assert history.policies == baseline.policies
    assert history.data_dir == baseline.data_dir == DATA


def test_overrides_are_appended_along_extends():
    monopoly = em.load_scenario(EXAMPLES / "monopoly.yaml")
    competitive = em.load_scenario(EXAMPLES / "competitive.yaml")
    assert monopoly.overrides == competitive.overrides and len(monopoly.overrides) == 4


def test_digest_is_stable_and_sensitive(baseline_scenario):
    again = em.load_scenario(SCENARIOS / "baseline.yaml")
    assert again.digest() == baseline_scenario.digest()
    assert baseline_scenario.updated(discount_rate=0.1).digest() != baseline_scenario.digest()


def test_updated_validates(baseline_scenario):
    with pytest.raises(em.InputError, match="discount_rate"):
        baseline_scenario.updated(discount_rate=2.0)


def test_data_set_is_read_again_only_when_a_file_changes(tmp_path):
    """Repeated loads in one process reuse the data set; any change to a file, even one
    that keeps its size and modification time, is read."""
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    first = load_dataset(data)
    assert load_dataset(data, first) is first
    path = data / "values" / "routes.csv"
    text, stat = path.read_text(), path.stat()
    assert "nord_stream_1,capacity,,2019,55," in text
    path.write_text(text.replace("nord_stream_1,capacity,,2019,55,",
                                 "nord_stream_1,capacity,,2019,54,", 1))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # same size and time
    changed = load_dataset(data, first)
    assert changed.digest != first.digest
    assert value(changed, "nord_stream_1", "capacity", 2019) == 54
    path.write_text(text.replace("nord_stream_1,capacity,,2019,55,",
                                 "nord_stream_1,capacity,,2019,5x5,", 1))  # another size
    with pytest.raises(em.InputError, match="'5x5' is not a number"):
        load_dataset(data, changed)  # validated again
    path.write_text(text)
    assert value(load_dataset(data), "nord_stream_1", "capacity", 2019) == 55


def value(data, entity, parameter, year=None, pathway=None):
    s = data.series(entity, parameter, pathway)
    return s.iloc[0] if year is None else s[year]


def test_override_value_scale_and_unit(baseline_scenario):
    data = load_dataset(DATA)
    scenario = baseline_scenario.with_overrides(
        {"entity": "pos2_pipeline", "parameter": "capex", "scale": 1.5},
        {"entity": "power_of_siberia_1", "parameter": "unit_cost", "value": 358,
         "unit": "USD/tcm"},
        {"entity": "china", "parameter": "ref_quantity", "pathway": "net_zero", "year": 2040,
         "value": 20},
        {"entity": "yamal_lng", "parameter": "capacity", "value": 20, "unit": "Mt/y LNG"},
    )
    before = value(data, "pos2_pipeline", "capex")  # series read before are kept per process
    changed = apply_overrides(data, scenario)
    assert value(changed, "pos2_pipeline", "capex") == pytest.approx(37.5) == 1.5 * before
    assert value(data, "pos2_pipeline", "capex") == before
    assert apply_overrides(data, baseline_scenario).series("pos2_pipeline", "capex").equals(
        data.series("pos2_pipeline", "capex"))
    assert value(changed, "power_of_siberia_1", "unit_cost") == pytest.approx(10.0)
    assert value(changed, "china", "ref_quantity", 2040, "net_zero") == 20
    assert value(changed, "china", "ref_quantity", 2030, "net_zero") == 480  # untouched
    assert value(changed, "china", "ref_quantity", 2040, "stated_policies") == 610  # untouched
    yamal = changed.series("yamal_lng", "capacity")
    assert set(yamal.round(9)) == {27.2}  # a constant path over the years it spanned
    provenance = changed.values[changed.values["entity"] == "pos2_pipeline"]
    assert provenance[provenance["parameter"] == "capex"]["source"].str.contains(
        "scenario baseline").all()


def test_override_changes_the_solution(baseline, baseline_scenario):
    """Python API: load, override one parameter, solve, read DataFrames."""
    dear = em.solve(baseline_scenario.with_overrides(
        {"entity": "pos2_pipeline", "parameter": "capex", "value": 150}))
    assert "pos2_pipeline" not in set(dear.investments["option"])
    china = dear.exports[dear.exports["market"] == "china"].groupby("year")[
        "flow_bcm_per_y"].sum()
    assert china.max() <= 56 + 1e-6  # Power of Siberia 1 (44) and the Far Eastern route (12)
    assert dear.npv("export_revenue") < baseline.npv("export_revenue")


@pytest.mark.parametrize("path", sorted(p.relative_to(SCENARIOS) for p in SCENARIOS.rglob(
    "*.yaml")), ids=str)
def test_every_shipped_scenario_validates(path):
    from typer.testing import CliRunner

    from energymodel.cli import app

    result = CliRunner().invoke(app, ["validate", str(SCENARIOS / path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: scenario")
