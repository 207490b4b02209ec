"""Bad input: one line naming file, field and reason; non-zero exit; no traceback; no
results folder left behind."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from energymodel.cli import app

from .conftest import DATA, SCENARIOS

BASELINE = SCENARIOS / "baseline.yaml"


def run(tmp_path: Path, scenario: Path, command: str = "run") -> tuple[int, str]:
    """Exit code and stderr of `energymodel COMMAND SCENARIO --out tmp/out`."""
    out = tmp_path / "out"
    args = [command, str(scenario)] + (["--out", str(out)] if command != "validate" else [])
    result = CliRunner().invoke(app, args)
    assert not out.exists(), "a results folder was left behind"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")], "temporary left"
    return result.exit_code, result.stderr


def scenario_file(tmp_path: Path, text: str, name: str = "bad.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def extending_baseline(tmp_path: Path, extra: str = "", data_dir: Path | None = None) -> Path:
    lines = [f"extends: {BASELINE}"]
    if data_dir is not None:
        lines.append(f"data_dir: {data_dir}")
    return scenario_file(tmp_path, "\n".join(lines) + "\n" + extra)


def corrupted_data(tmp_path: Path, file: str, old: str, new: str) -> Path:
    """A copy of the reference data with one text replaced in one file."""
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    path = data / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return data


def assert_one_line(stderr: str, *parts: str) -> None:
    assert stderr.count("\n") == 1 and stderr.startswith("error: "), stderr
    assert "Traceback" not in stderr
    for part in parts:
        assert part in stderr, f"{part!r} not in {stderr!r}"


@pytest.mark.parametrize(("extra", "parts"), [
    ("colour: red\n", ["bad.yaml", "colour", "unknown key"]),
    ("markets:\n  europe: {structure: seller_power, theta: high}\n",
     ["markets.europe.theta", "valid number", "'high'"]),
    ("markets:\n  europe: {structure: seller_power, theta: 1.5}\n",
     ["markets.europe.theta", "1.5 is outside the range [0, 1]"]),
    ("markets:\n  europe: {structure: monopoly_ish}\n", ["markets.europe.structure"]),
    ("discount_rate: '8%'\n", ["discount_rate", "valid number"]),
    ("horizon: {start_year: 2030, end_year: 2025}\n", ["horizon", "before start_year"]),
])
def test_scenario_schema_errors(tmp_path, extra, parts):
    code, err = run(tmp_path, extending_baseline(tmp_path, extra))
    assert code == 2
    assert_one_line(err, *parts)


def test_malformed_yaml(tmp_path):
    code, err = run(tmp_path, scenario_file(tmp_path, "name: x\nmarkets: [unclosed\n"))
    assert code == 2
    assert_one_line(err, "bad.yaml", "line", "malformed YAML")


def test_missing_scenario_file(tmp_path):
    code, err = run(tmp_path, tmp_path / "nowhere.yaml")
    assert code == 2
    assert_one_line(err, "nowhere.yaml", "scenario file not found")


def test_missing_parent_scenario(tmp_path):
    code, err = run(tmp_path, scenario_file(tmp_path, "extends: nope.yaml\n"))
    assert code == 2
    assert_one_line(err, "bad.yaml", "extends", "'nope.yaml' not found")


@pytest.mark.parametrize(("override", "parts"), [
    ("{entity: power_of_siberia_3, parameter: capacity, value: 5}",
     ["overrides[0].entity", "'power_of_siberia_3'"]),
    ("{entity: pos2_pipeline, parameter: colour, value: 5}",
     ["overrides[0].parameter", "'colour' is not a option parameter"]),
    ("{entity: pos2_pipeline, parameter: capex, value: 25, unit: bcm/y}",
     ["overrides[0].unit", "cannot convert 'bcm/y' to 'USD bn'"]),
    ("{entity: pos2_pipeline, parameter: capex, value: 25, unit: roubles}",
     ["overrides[0].unit", "unknown unit 'roubles'"]),
    ("{entity: power_of_siberia_1, parameter: capacity, value: -5}",
     ["overrides[0].value", "-5 bcm/y is negative"]),
    ("{entity: power_of_siberia_1, parameter: capacity, year: 2070, value: 44}",
     ["overrides[0].year", "2070 is outside the horizon 2025-2060"]),
    ("{entity: china, parameter: ref_quantity, pathway: business_as_usual, value: 44}",
     ["overrides[0].pathway", "no pathway 'business_as_usual'"]),
    ("{entity: pos2_pipeline, parameter: capex, value: 25, scale: 2}",
     ["overrides[0]", "exactly one of value and scale"]),
])
def test_override_errors(tmp_path, override, parts):
    code, err = run(tmp_path, extending_baseline(tmp_path, f"overrides:\n  - {override}\n"))
    assert code == 2
    assert_one_line(err, "bad.yaml", *parts)


@pytest.mark.parametrize(("extra", "parts"), [
    ("markets:\n  japan: {structure: competitive}\n", ["markets.japan", "no market 'japan'"]),
    ("policies: [eu_phaseout_2040]\n", ["policies[0]", "no policy 'eu_phaseout_2040'"]),
    ("pathway: business_as_usual\n", ["pathway", "no pathway 'business_as_usual'"]),
    ("horizon: {start_year: 2025, end_year: 2080}\n",
     ["horizon.end_year", "2025-2080 goes beyond 2025-2060", "stated_policies"]),
    ("horizon: {start_year: 2010, end_year: 2030}\n", ["horizon.start_year", "2010-2030"]),
])
def test_reference_and_horizon_errors(tmp_path, extra, parts):
    code, err = run(tmp_path, extending_baseline(tmp_path, extra))
    assert code == 2
    assert_one_line(err, "bad.yaml", *parts)


@pytest.mark.parametrize(("file", "old", "new", "parts"), [
    ("values/routes.csv", "nord_stream_1,capacity,,2019,55,bcm/y",
     "nord_stream_1,capacity,,2019,55,bcm/d",
     ["data/values/routes.csv", "line 2", "entity=nord_stream_1", "unit", "unknown unit 'bcm/d'"]),
    ("values/routes.csv", "blue_stream,capacity,,2019,16,", "blue_stream,capacity,,2019,-16,",
     ["data/values/routes.csv", "entity=blue_stream", "value", "-16 bcm/y is negative"]),
    ("values/routes.csv", "blue_stream,capacity,,2019,16,", "blue_stream,capacity,,2019,nan,",
     ["entity=blue_stream", "value", "'nan' is not a finite number"]),
    ("values/routes.csv", "blue_stream,capacity,,2019,16,", "blue_stream,capacity,,2019,,",
     ["entity=blue_stream", "value", "missing value"]),
    ("values/routes.csv", "blue_stream,capacity,,2019,16,", "blue_stream,capacity_max,,2019,16,",
     ["entity=blue_stream", "'capacity_max' is not a route parameter"]),
    ("values/routes.csv", "blue_stream,capacity,,2019,16,", "blue_steam,capacity,,2019,16,",
     ["data/values/routes.csv", "entity", "no basin, market, route or option 'blue_steam'"]),
    ("values/routes.csv", "blue_stream,capacity,,2019,16,", "blue_stream,capacity,,20x9,16,",
     ["entity=blue_stream", "year", "'20x9' is not a number"]),
    ("values/basins.csv", "west_siberia,mc_intercept,,,0.30,USD/MMBtu,0.2,0.6,E,L,",
     "west_siberia,mc_intercept,,,0.30,USD/MMBtu,,,E,L,",
     ["data/values/basins.csv", "low/high", "confidence L needs a range"]),
    ("routes.csv", "blue_stream,Blue Stream,west_siberia,turkey,",
     "blue_stream,Blue Stream,west_siberia,japan,",
     ["data/routes.csv", "line 8", "market", "no market 'japan' in markets.csv"]),
    ("policies.csv", "eu_phaseout_2027,nord_stream_1,availability,2026,,0,",
     "eu_phaseout_2027,nord_stream_1,availability,2026,,1.5,",
     ["data/policies.csv", "availability 1.5 is outside [0, 1]"]),
])
def test_data_errors(tmp_path, file, old, new, parts):
    data = corrupted_data(tmp_path, file, old, new)
    code, err = run(tmp_path, extending_baseline(tmp_path, data_dir=data))
    assert code == 2
    assert_one_line(err, *parts)


def test_missing_required_value(tmp_path):
    data = corrupted_data(tmp_path, "values/routes.csv",
                          "blue_stream,unit_cost,,,0.80,USD/MMBtu,0.6,1.2,E,L,em_estimate,2026,"
                          "\"Rule of thumb over ~3,600 km\"\n", "")
    code, err = run(tmp_path, extending_baseline(tmp_path, data_dir=data))
    assert code == 2
    assert_one_line(err, "route blue_stream", "required parameter 'unit_cost'", "USD/MMBtu")


def test_missing_data_column(tmp_path):
    data = corrupted_data(tmp_path, "history.csv", "entity,year,to_year,value,unit,",
                          "entity,year,to_year,amount,unit,")
    code, err = run(tmp_path, extending_baseline(tmp_path, data_dir=data))
    assert code == 2
    assert_one_line(err, "data/history.csv", "value", "required column missing")


def test_validate_reports_the_same_errors(tmp_path):
    code, err = run(tmp_path, extending_baseline(tmp_path, "colour: red\n"), "validate")
    assert code == 2
    assert_one_line(err, "colour", "unknown key")


def test_infeasible_policy_mix_names_the_constraints(tmp_path):
    """A contracted minimum flow on a pipeline the policies close cannot be met."""
    extra = ("overrides:\n  - {entity: nord_stream_1, parameter: min_flow, year: 2030, "
             "value: 10}\n")
    code, err = run(tmp_path, extending_baseline(tmp_path, extra))
    assert code == 3
    assert_one_line(err, "model is infeasible", "route_flow_min[nord_stream_1,",
                    "route_flow_max[nord_stream_1,")


def test_debug_shows_the_traceback(tmp_path):
    """With --debug the error propagates (and Python prints its traceback)."""
    from energymodel.errors import InputError

    result = CliRunner().invoke(app, ["validate", str(extending_baseline(tmp_path, "x: 1\n")),
                                      "--debug"])
    assert isinstance(result.exception, InputError)
    assert result.exc_info is not None and result.exc_info[2] is not None


@pytest.mark.parametrize(("extra", "parts"), [
    ("markets:\n  china: {structure: bargaining, beta: 0.5, holdup: pos3}\n",
     ["markets.china.holdup", "no investment option 'pos3'"]),
    ("markets:\n  china: {structure: bargaining, beta: 0.5, holdup: ust_luga_lng}\n",
     ["markets.china.holdup", "does not add capacity to a route of the exporter to china"]),
    ("markets:\n  china: {structure: monopsony, phi: 1, theta: 0.5}\n",
     ["markets.china.theta", "not a parameter of monopsony (it takes: benchmark, phi, method)"]),
    ("markets:\n  china: {structure: monopsony}\n", ["markets.china.phi", "monopsony needs phi"]),
    ("markets:\n  china: {structure: monopsony, phi: 1, method: qp}\n",
     ["markets.china.method", "qp needs a linear supply curve"]),
    ("markets:\n  turkey: {structure: monopsony, phi: 1}\n",
     ["markets", "one market at most can have buyer power"]),
    ("investment: lumpy\nmarkets:\n  china: {structure: monopsony, phi: 1}\n",
     ["investment", "bilevel monopsony needs continuous investment"]),
    ("dependence: {lever: x, values: [0, 1], remove_policies: [no_such_policy],\n"
     "             targets: [{entity: ukraine_transit, parameter: availability}]}\n",
     ["dependence.remove_policies[0]", "no policy 'no_such_policy'"]),
])
def test_buyer_power_errors(tmp_path, extra, parts):
    code, err = run(tmp_path, extending_baseline(tmp_path, extra))
    assert code == 2
    assert_one_line(err, "bad.yaml", *parts)


def test_oil_indexed_benchmark_needs_contract_data(tmp_path):
    scenario = scenario_file(tmp_path, f"extends: {SCENARIOS / 'examples' / 'competitive.yaml'}\n"
                             "markets:\n  buyer: {structure: bargaining, beta: 0.5, "
                             "benchmark: oil_indexed}\n")
    code, err = run(tmp_path, scenario)
    assert code == 2
    assert_one_line(err, "markets.buyer.benchmark", "oil_indexed needs the oil_price path")


def test_pressure_needs_a_buyer_power_market(tmp_path):
    code, err = run(tmp_path, SCENARIOS / "examples" / "competitive.yaml", "pressure")
    assert code == 2
    assert_one_line(err, "competitive.yaml", "no market has buyer power")


def test_constant_override_keeps_pathway_coverage(tmp_path):
    extra = ("overrides:\n  - {entity: russia_domestic, parameter: ref_price, value: 2.0}\n"
             "  - {entity: russia_domestic, parameter: ref_quantity, value: 450}\n")
    code, err = run(tmp_path, extending_baseline(tmp_path, extra), "validate")
    assert code == 0, err


def test_scaled_value_outside_bounds(tmp_path):
    extra = "overrides:\n  - {entity: pos2_pipeline, parameter: fom, scale: 100}\n"
    code, err = run(tmp_path, extending_baseline(tmp_path, extra))
    assert code == 2
    assert_one_line(err, "overrides[0].scale", "scaled by 100", "is above 1")


def test_dependence_value_outside_bounds(tmp_path):
    extra = ("dependence: {lever: x, values: [0.5, 2.0],\n"
             "  targets: [{entity: ukraine_transit, parameter: availability, year: 2027}]}\n")
    code, err = run(tmp_path, extending_baseline(tmp_path, extra), "validate")
    assert code == 2
    assert_one_line(err, "dependence.values[1] on targets[0]", "2 is above 1")


def test_empty_data_file(tmp_path):
    data = corrupted_data(tmp_path, "policies.csv", "policy,entity,", "")
    (data / "policies.csv").write_text("")
    code, err = run(tmp_path, extending_baseline(tmp_path, data_dir=data))
    assert code == 2
    assert_one_line(err, "data/policies.csv", "empty file")


def test_zero_unit_size(tmp_path):
    data = corrupted_data(tmp_path, "values/options.csv", "pos2_pipeline,unit_size,,,50,",
                          "pos2_pipeline,unit_size,,,0,")
    code, err = run(tmp_path, extending_baseline(tmp_path, data_dir=data))
    assert code == 2
    assert_one_line(err, "entity=pos2_pipeline", "0 bcm/y is below 0.001")


def test_results_folder_that_is_a_file(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    result = CliRunner().invoke(app, ["run", str(SCENARIOS / "examples" / "competitive.yaml"),
                                      "--out", str(afile)])
    assert result.exit_code == 2
    assert_one_line(result.stderr, "afile", "exists and is not a folder")
    assert afile.read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]
