"""The Python API: scenario in, results out. The CLI is a thin layer over it."""

from __future__ import annotations

import time
from pathlib import Path

import pyomo.environ as pyo

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
    """Build and solve. Lumpy investment is decided by a MILP first, then every flow, price
    and dual comes from the continuous problem solved again with the builds fixed.

    HiGHS solves no MIQP: where the objective is quadratic, the MILP replaces each quadratic
    term by tangent cuts (an upper bound on the objective, reported as
    milp_objective_usd_bn) to choose the builds; the exact QP then prices them.
    """
    options = inputs.scenario.solver
    builds, method = None, {"method": "LP/QP"}
    if inputs.scenario.investment == "lumpy" and len(inputs.decisions) > 0:
        tangents = options.tangents if has_quadratic_terms(inputs) else 0
        start = time.perf_counter()
        first = build_model(inputs, linearize=tangents)
        timings["build_milp"] = time.perf_counter() - start
        milp = HighsSolver(options).solve(first, duals=False)
        timings["solve_milp"] = milp.wall_seconds
        builds = {k: round(v) for k, v in first.units.extract_values().items()}
        how = (f"MILP with {tangents} tangent cuts per quadratic term" if tangents
               else "MILP")
        method = {"method": f"{how} to choose the builds, then the continuous problem with "
                            "the builds fixed", "milp_objective_usd_bn": milp.objective}
    start = time.perf_counter()
    model = build_model(inputs)
    for key, n in (builds or {}).items():
        model.units[key].domain = pyo.NonNegativeReals  # fixed, so no longer a MIP
        model.units[key].fix(n)
    timings["build"] = time.perf_counter() - start
    outcome = HighsSolver(options).solve(model)
    timings["solve"] = outcome.wall_seconds
    timings["highs"] = outcome.solver_seconds
    return model, outcome, method
