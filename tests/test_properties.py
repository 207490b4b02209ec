"""Property-based tests (hypothesis, seeded): generated edits of the textbook examples'
scenarios and data. A valid edit solves (with sane results) or fails with a named
infeasibility (SolveError); an invalid one raises InputError with one line (exit 2 on the
command line). No edit raises anything else, and nothing is written outside the results
folder."""

from __future__ import annotations

import csv
import io
import math
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import energymodel as em
from energymodel.cli import app

from .conftest import EXAMPLES

SETTINGS = settings(derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow])
EXAMPLE_FILES = ["competitive.yaml", "monopoly.yaml", "seller_power.yaml"]
ENTITIES = ["supplier", "link", "buyer", "nobody", ""]
PARAMETERS = ["capacity", "mc_intercept", "mc_slope", "reserves", "unit_cost", "min_flow",
              "availability", "intercept", "slope", "price_cap", "ref_price", "colour"]
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-10, max_value=2000),
    st.sampled_from([0.0, 1.0, 1e-12, 1e308, -1.0, 5000.0, 5000.1]),
    st.integers(min_value=-10, max_value=10_000),
)
SOLVE_STATUSES = {"infeasible", "unbounded", "infeasible or unbounded", "not solved"}


@pytest.fixture(scope="module")
def examples() -> dict[str, em.Scenario]:
    return {name: em.load_scenario(EXAMPLES / name) for name in EXAMPLE_FILES}


def outcome(scenario_or_call) -> str:
    """'solved', 'input' or 'solve' (no solution); any other exception fails the test."""
    kind = _outcome(scenario_or_call)
    event(kind)  # the mix is shown by pytest --hypothesis-show-statistics
    return kind


def _outcome(scenario_or_call) -> str:
    try:
        results = scenario_or_call() if callable(scenario_or_call) else em.solve(
            scenario_or_call)
    except em.InputError as err:
        assert err.reason and "\n" not in str(err), str(err)
        return "input"
    except em.SolveError as err:
        assert err.status in SOLVE_STATUSES, str(err)
        return "solve"
    if isinstance(results, em.Results):
        check_results(results)
    return "solved"


def check_results(results: em.Results) -> None:
    """Sane results: finite, non-negative volumes within capacity, prices on the demand
    curve below its choke price."""
    flows, markets = results.flows, results.markets
    assert (flows["flow_bcm_per_y"] >= -1e-6).all()
    assert (flows["flow_bcm_per_y"] <= flows["capacity_bcm_per_y"] + 1e-6).all()
    for column in ("flow_bcm_per_y", "revenue_usd_bn", "profit_usd_bn"):
        assert flows[column].map(math.isfinite).all(), column
    price = markets["price_usd_per_mmbtu"]
    assert price.map(math.isfinite).all()
    assert (price <= markets["intercept_usd_per_mmbtu"] + 1e-6).all()


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_unedited_examples_solve_sanely(examples, name):
    """The edits below start from scenarios that solve, so their results checks are live."""
    assert _outcome(examples[name]) == "solved"


VALID_TARGETS = [("supplier", "capacity"), ("supplier", "mc_intercept"),
                 ("supplier", "mc_slope"), ("link", "capacity"), ("link", "unit_cost"),
                 ("link", "min_flow"), ("link", "availability"), ("buyer", "intercept"),
                 ("buyer", "slope"), ("buyer", "price_cap")]
plausible = st.builds(  # mostly valid: a real target, a value in a plausible range
    lambda target, action: {"entity": target[0], "parameter": target[1],
                            action[0]: action[1]},
    st.sampled_from(VALID_TARGETS),
    st.one_of(st.tuples(st.just("value"), st.floats(min_value=0, max_value=50)),
              st.tuples(st.just("scale"), st.floats(min_value=0, max_value=2))))
wild = st.fixed_dictionaries(  # anything: unknown names, any number, stray fields
    {"entity": st.sampled_from(ENTITIES), "parameter": st.sampled_from(PARAMETERS)},
    optional={"value": NUMBERS, "scale": NUMBERS,
              "year": st.one_of(st.integers(2020, 2030), st.sampled_from([2025])),
              "unit": st.sampled_from(["bcm/y", "USD/MMBtu", "bcm/d", "1"]),
              "pathway": st.sampled_from(["textbook", "other"])})
override = st.one_of(plausible, plausible, plausible, wild)


@pytest.mark.slow
@settings(SETTINGS, max_examples=120)
@given(name=st.sampled_from(EXAMPLE_FILES), overrides=st.lists(override, max_size=3))
def test_override_edits(examples, name, overrides):
    scenario = examples[name]
    outcome(lambda: em.solve(scenario.with_overrides(*overrides)))  # asserts inside


FIELD_EDITS = st.one_of(
    st.tuples(st.just("discount_rate"), st.floats(min_value=0, max_value=0.5)),
    st.tuples(st.just("horizon"), st.fixed_dictionaries(
        {"start_year": st.just(2025), "end_year": st.sampled_from([2025, 2026, 2030]),
         "step": st.sampled_from([1, 5])})),
    st.tuples(st.just("supply_cost"), st.sampled_from(["linear", "stepped"])),
    st.tuples(st.just("supply_steps"), st.integers(1, 20)),
    st.tuples(st.just("solver"), st.fixed_dictionaries(
        {"mip_rel_gap": st.floats(0, 0.1), "tangents": st.integers(4, 50)})),
)
FIELD_VALUES = st.one_of(NUMBERS, st.booleans(), st.none(), st.text(max_size=8),
                         st.dictionaries(st.sampled_from(["step", "start_year", "end_year",
                                                          "time_limit", "threads", "x"]),
                                         st.one_of(NUMBERS, st.text(max_size=3)),
                                         max_size=2))


@pytest.mark.slow
@settings(SETTINGS, max_examples=100)
@given(name=st.sampled_from(EXAMPLE_FILES), edit=st.one_of(FIELD_EDITS, st.tuples(
    st.sampled_from(["discount_rate", "horizon", "name", "investment", "supply_cost",
                     "supply_steps", "solver", "pathway", "policies", "unknown"]),
    FIELD_VALUES)))
def test_scenario_field_edits(examples, name, edit):
    scenario = examples[name]
    field, value = edit
    outcome(lambda: em.solve(scenario.updated(**{field: value})))  # asserts inside


@pytest.fixture(scope="module")
def data_copy(tmp_path_factory) -> tuple[Path, list[list[str]]]:
    copy = tmp_path_factory.mktemp("data") / "textbook_data"
    shutil.copytree(EXAMPLES / "textbook_data", copy)
    rows = list(csv.reader(io.StringIO((copy / "values" / "values.csv").read_text())))
    return copy, rows


CELLS = st.one_of(st.sampled_from(["", "nan", "inf", "-1", "1e308", "abc", "2025.5", "99999",
                                   "bcm/d", "USD bn", "L", "S", "0", "3000", "supplier"]),
                  st.text(max_size=6), NUMBERS.map(str))


@pytest.mark.slow
@settings(SETTINGS, max_examples=120)
@given(edits=st.lists(st.one_of(
    st.tuples(st.integers(1, 20), st.just(4), st.floats(0, 500).map(str)),  # a value
    st.tuples(st.integers(1, 20), st.integers(0, 12), CELLS)), min_size=1, max_size=3),
    drop=st.booleans())
def test_data_edits(examples, data_copy, edits, drop):
    copy, rows = data_copy
    edited = [list(r) for r in rows]
    for row, column, text in edits:
        edited[row % len(edited)][column] = text
    if drop:
        edited.pop(len(edited) // 2)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(edited)
    (copy / "values" / "values.csv").write_text(buffer.getvalue())
    scenario = examples["competitive.yaml"].updated(data_dir=copy)
    assert outcome(scenario) in ("solved", "input", "solve")


YAML_LINES = st.sampled_from([
    "discount_rate: .nan", "discount_rate: 0.05", "discount_rate: 0.05\ndiscount_rate: 0.1",
    "horizon: {step: 5}", "horizon: {step: 7}", "name: .", "name: ok_name", "x: &a [*a]",
    "description: !!binary aGk=", "markets: {buyer: {structure: monopsony, phi: 0.5}}",
    "markets: {buyer: {structure: seller_power, theta: .inf}}", "overrides: [{", "\t- x",
    "overrides:\n  - {entity: buyer, parameter: slope, value: 1e308}",
    "overrides:\n  - {entity: buyer, parameter: slope, scale: 0}",
    "overrides:\n  - {entity: link, parameter: capacity, value: 0}",
    "overrides:\n  - {entity: link, parameter: min_flow, value: 900}",
    "solver: {time_limit: 0.001}", "data_dir: /dev", "data_dir: nowhere", "extends: x.yaml",
])


@settings(SETTINGS, max_examples=30)
@given(lines=st.lists(YAML_LINES, max_size=3))
def test_command_line_edits(lines):
    """Through the command line: exit 0, 2 (one line) or 3 (one line); a results folder
    only under --out, and no other file anywhere in the working folder."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        scenario = root / "edited.yaml"
        scenario.write_text(f"extends: {EXAMPLES / 'competitive.yaml'}\n" + "\n".join(lines)
                            + "\n")
        result = CliRunner().invoke(app, ["run", str(scenario), "--out", str(root / "out")])
        assert result.exit_code in (0, 2, 3), (result.exit_code, result.output)
        names = sorted(p.name for p in root.iterdir())
        if result.exit_code == 0:
            assert names == ["edited.yaml", "out"]
        else:
            assert names == ["edited.yaml"]
            assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
