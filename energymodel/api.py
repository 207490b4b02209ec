"""The Python API: scenario in, results out. The CLI is a thin layer over it."""

from __future__ import annotations

import time
from pathlib import Path

from energymodel.history import validation_table
from energymodel.inputs import Inputs, prepare
from energymodel.model import build_model
from energymodel.results import Results, extract, manifest
from energymodel.scenario import Scenario, load_scenario
from energymodel.solver import HighsSolver


def solve(scenario: Scenario | str | Path) -> Results:
    """Solve a scenario (object or file) and return its results with their manifest."""
    timings: dict[str, float] = {}
    start = time.perf_counter()
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    inputs = prepare(scenario)
    timings["prepare"] = time.perf_counter() - start
    model, outcome, method = _solve_inputs(inputs, timings)
    start = time.perf_counter()
    tables = extract(model, inputs, outcome)
    validation = validation_table(tables["flows"], inputs.data.history)
    timings["extract"] = time.perf_counter() - start
    return Results(scenario=scenario, tables=tables, validation=validation, model=model,
                   manifest=manifest(scenario, inputs, outcome, model, timings, method))


def has_quadratic_terms(inputs: Inputs) -> bool:
    """Whether the objective is quadratic: a sloped demand segment or linear marginal cost."""
    slopes = inputs.segments["beta"] > 0
    linear_cost = inputs.scenario.supply_cost == "linear" and (inputs.basins["mc_slope"] > 0)
    return bool(slopes.any() or linear_cost.any())


def _solve_inputs(inputs: Inputs, timings: dict[str, float]):
    """Build and solve; lumpy investment with quadratic terms goes through a MILP.

    HiGHS solves no MIQP. The quadratic terms are then replaced by tangent cuts (an upper
    bound on the objective) to choose the integer builds as a MILP; the exact QP is solved
    again with those builds fixed, which gives exact flows, prices and duals for them.
    """
    options = inputs.scenario.solver
    lumpy = inputs.scenario.investment == "lumpy" and len(inputs.decisions) > 0
    method = "LP/QP"
    if lumpy and has_quadratic_terms(inputs):
        start = time.perf_counter()
        linear = build_model(inputs, linearize=options.tangents)
        timings["build_milp"] = time.perf_counter() - start
        milp = HighsSolver(options).solve(linear, duals=False)
        timings["solve_milp"] = milp.wall_seconds
        builds = {k: round(v) for k, v in linear.units.extract_values().items()}
        method = (f"MILP with {options.tangents} tangent cuts per quadratic term to choose "
                  f"builds (objective {milp.objective:.4f}), then QP with builds fixed")
    elif lumpy:
        builds, method = None, "MILP"
    else:
        builds = None
    start = time.perf_counter()
    model = build_model(inputs)
    if builds is not None:
        for key, n in builds.items():
            model.units[key].fix(n)
    timings["build"] = time.perf_counter() - start
    outcome = HighsSolver(options).solve(model, duals=not lumpy or builds is not None)
    timings["solve"] = outcome.wall_seconds
    timings["highs"] = outcome.solver_seconds
    return model, outcome, method

