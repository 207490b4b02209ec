"""The compiled model: re-solves after a data change equal solves of a model built from
scratch, the compiled matrices are pyomo's own, structure changes rebuild, reruns are
byte-identical."""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import pytest

import energymodel as em
from energymodel.api import prepare
from energymodel.engine import Session
from energymodel.model import build_model, structure_key

from .conftest import EXAMPLES, SCENARIOS, slow_except

SHIPPED = sorted(SCENARIOS.glob("*.yaml")) + sorted(EXAMPLES.glob("*.yaml"))


def five_year(path) -> em.Scenario:
    s = em.load_scenario(path)
    if s.horizon.step == 1 and s.horizon.end_year - s.horizon.start_year > 10:
        s = s.updated(horizon={**s.horizon.model_dump(), "step": 5})
    return s


def form_arrays(form) -> dict[str, np.ndarray]:
    return {"c": form.c, "q": form.q, "a": form.A.toarray(), "row_lo": form.row_lo,
            "row_up": form.row_up, "col_lo": form.col_lo, "col_up": form.col_up,
            "offset": np.array([form.offset])}


@pytest.mark.parametrize("path", slow_except(SHIPPED, {"baseline", "china_holdup", "competitive"},
                                              name=lambda p: p.stem), ids=lambda p: p.stem)
def test_updated_model_equals_a_fresh_build(path):
    """Every shipped scenario: the compiled model of another discount rate, updated to the
    scenario's values, has the matrices and solution of a model built from scratch."""
    scenario = five_year(path)
    inputs = prepare(scenario)
    other = prepare(scenario.updated(discount_rate=scenario.discount_rate + 0.03))
    session = Session()
    session.solve_form(other)
    warm = session.solve_form(inputs)
    assert warm.timings["compile"] == 0.0  # re-solved, not rebuilt
    warm_form = session.form(inputs)
    session = Session()
    fresh = session.solve_form(inputs)
    assert fresh.timings["compile"] > 0.0
    fresh_form = session.form(inputs)
    for name, value in form_arrays(fresh_form).items():
        assert np.array_equal(form_arrays(warm_form)[name], value), name
    assert np.array_equal(warm.solution.x, fresh.solution.x)
    assert warm.solution.objective == fresh.solution.objective


@pytest.mark.parametrize("name", ["baseline.yaml", "china_monopsony.yaml"])
def test_compiled_matrices_are_pyomos(name):
    """With the solution put into a model built afresh, pyomo's own evaluation of the
    objective and of every constraint agrees with the compiled matrices: the objective to
    1e-9, every row within its bounds to 1e-6."""
    inputs = prepare(five_year(SCENARIOS / name).updated(discount_rate=0.05))
    session = Session()
    result = session.solve_form(inputs)
    model = build_model(inputs)
    for (family, index), value in zip(result.compiled.column_keys, result.solution.x,
                                      strict=True):
        model.component(family)[index].set_value(float(value), skip_validation=True)
    objective = next(model.component_data_objects(pyo.Objective, active=True))
    assert pyo.value(objective) == pytest.approx(result.solution.objective, rel=1e-9)
    for con in model.component_data_objects(pyo.Constraint, active=True):
        body = pyo.value(con.body)
        if con.has_lb():
            assert body >= pyo.value(con.lower) - 1e-6, con.name
        if con.has_ub():
            assert body <= pyo.value(con.upper) + 1e-6, con.name
    form = session.form(inputs)
    activity = form.A @ result.solution.x
    assert (activity >= form.row_lo - 1e-6).all() and (activity <= form.row_up + 1e-6).all()


def test_structure_changes_rebuild():
    """Values re-solve; a change of sets or domains gets another compiled model."""
    scenario = five_year(SCENARIOS / "baseline.yaml")
    base = prepare(scenario)
    assert structure_key(prepare(scenario.updated(discount_rate=0.12))) == structure_key(base)
    assert structure_key(prepare(scenario.updated(investment="lumpy"))) != structure_key(base)
    shorter = scenario.updated(horizon={**scenario.horizon.model_dump(), "end_year": 2050})
    assert structure_key(prepare(shorter)) != structure_key(base)
    assert structure_key(base, linearize=8) != structure_key(base)


def test_sweep_matches_separate_runs():
    """A loop of em.solve over the discount rate (re-solves) gives the results of solving
    each point in a fresh process state (cache cleared), to the last digit."""
    scenario = five_year(SCENARIOS / "baseline.yaml")
    session = Session()
    swept = [em.solve(scenario.updated(discount_rate=r), dependence=False,
                      session=session).flows for r in (0.06, 0.08)]
    fresh = em.solve(scenario.updated(discount_rate=0.08), dependence=False).flows
    assert swept[1].equals(fresh)
    assert not swept[0].equals(fresh)


def test_reruns_are_byte_identical():
    scenario = five_year(SCENARIOS / "baseline.yaml")
    first = em.solve(scenario, dependence=False)
    second = em.solve(scenario, dependence=False)
    for name, table in first.tables.items():
        assert table.to_csv() == second.tables[name].to_csv(), name


def test_fixed_units_are_bounds_not_structure():
    """Fixing builds (hold-up plans) re-solves the same compiled model."""
    inputs = prepare(five_year(SCENARIOS / "baseline.yaml"))
    session = Session()
    free = session.solve_form(inputs)
    decisions = list(inputs.decisions.itertuples(index=False, name=None))
    fixed = session.solve_form(inputs, fixed_units={decisions[0]: 1.0})
    assert fixed.timings["compile"] == 0.0
    assert fixed.values("units")[decisions[0]] == 1.0
    assert fixed.objective <= free.objective + 1e-9


def test_solves_keep_their_own_values():
    """A Solve and the Results built from it are immutable: solving another variant of the
    same compiled model afterwards changes neither."""
    scenario = five_year(SCENARIOS / "baseline.yaml")
    session = Session()
    first = session.solve_form(prepare(scenario, session))
    x = first.solution.x.copy()
    flows = first.values("flow").copy()
    first_results = em.solve(scenario, dependence=False, session=session)
    table = first_results.flows.copy()
    other = session.solve_form(prepare(scenario.updated(discount_rate=0.12), session))
    em.solve(scenario.updated(discount_rate=0.12), dependence=False, session=session)
    assert other.compiled is first.compiled
    assert not np.array_equal(other.solution.x, x)
    assert np.array_equal(first.solution.x, x) and first.values("flow").equals(flows)
    assert first_results.flows.equals(table)
