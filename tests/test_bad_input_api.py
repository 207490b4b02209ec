"""Bad input through the Python API: every call raises InputError naming the file or
argument, the field and the reason, never a bare pydantic, type, OS or decode error."""

from __future__ import annotations

from pathlib import Path

import pytest

import energymodel as em

from .conftest import EXAMPLES, SCENARIOS

CORPUS = Path(__file__).parent / "bad_inputs"


@pytest.fixture(scope="module")
def scenario() -> em.Scenario:
    return em.load_scenario(EXAMPLES / "competitive.yaml")


@pytest.fixture(scope="module")
def results(scenario) -> em.Results:
    return em.solve(scenario)


CALLS = {
    "solve(123)": (lambda s, r: em.solve(123), "scenario", "not int"),
    "solve({})": (lambda s, r: em.solve({}), "scenario", "not dict"),
    "solve(None)": (lambda s, r: em.solve(None), "scenario", "not NoneType"),
    "solve(missing file)": (lambda s, r: em.solve("nowhere.yaml"), None, "not found"),
    "solve(a folder)": (lambda s, r: em.solve(SCENARIOS), None, "not a regular file"),
    "solve(non-UTF-8 file)": (lambda s, r: em.solve(CORPUS / "non_utf8.yaml"), "line 3",
                              "not UTF-8"),
    "load_scenario(billion laughs)": (lambda s, r: em.load_scenario(
        CORPUS / "billion_laughs.yaml"), None, "more than the limit"),
    "with_overrides(misspelled field)": (lambda s, r: s.with_overrides(
        {"entitty": "buyer", "parameter": "slope", "value": 1}), "overrides[4].entitty",
        "did you mean 'entity'"),
    "with_overrides(nan)": (lambda s, r: s.with_overrides(
        {"entity": "buyer", "parameter": "slope", "value": float("nan")}),
        "overrides[4].value", "nan is not a finite number"),
    "with_overrides(not a mapping)": (lambda s, r: s.with_overrides(42), "overrides[4]",
                                      "valid dictionary"),
    "solve(override out of range)": (lambda s, r: em.solve(s.with_overrides(
        {"entity": "buyer", "parameter": "slope", "value": 1e308})), "overrides[4].value",
        "range [0, 100]"),
    "updated(unknown field)": (lambda s, r: s.updated(discount=0.1), "discount",
                               "did you mean 'discount_rate'"),
    "updated(step 7)": (lambda s, r: s.updated(horizon={"step": 7}), "horizon.step",
                        "1 or 5"),
    "updated(rate inf)": (lambda s, r: s.updated(discount_rate=float("inf")),
                          "discount_rate", "inf is not a finite number in [0, 0.5]"),
    "updated(name ..)": (lambda s, r: s.updated(name=".."), "name", "should match"),
    "updated(time limit 0)": (lambda s, r: s.updated(solver={"time_limit": 0}),
                              "solver.time_limit", "outside the range (0, inf)"),
    "write('/proc/x')": (lambda s, r: r.write("/proc/energymodel_x"), "directory",
                         "cannot write here"),
    "write('')": (lambda s, r: r.write(""), "directory", "needs a folder name"),
    "write(3.5)": (lambda s, r: r.write(3.5), "directory", "not float"),
    "write(data dir)": (lambda s, r: r.write(s.data_dir, force=True), "directory",
                        "is or holds the input"),
}


@pytest.mark.parametrize("call", CALLS)
def test_bad_call_raises_input_error(scenario, results, call):
    function, field, reason = CALLS[call]
    with pytest.raises(em.InputError) as caught:
        function(scenario, results)
    error = caught.value
    assert error.field == field, str(error)
    assert reason in error.reason, str(error)
    assert "\n" not in str(error)
