"""Build and solve one set of inputs: the step every scenario run and every buyer-power
variant (benchmark, disagreement, hold-up plan, bilevel follower) goes through."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import pyomo.environ as pyo

from energymodel.inputs import Inputs
from energymodel.model import build_model
from energymodel.solver import HighsSolver, SolveOutcome


@dataclass
class Solved:
    """A solved model with the inputs it was built from."""

    inputs: Inputs
    model: pyo.ConcreteModel
    outcome: SolveOutcome
    method: dict
    timings: dict[str, float] = field(default_factory=dict)


def has_quadratic_terms(inputs: Inputs) -> bool:
    """Whether the objective is quadratic: a sloped demand segment or linear marginal cost."""
    slopes = inputs.segments["beta"] > 0
    linear_cost = inputs.scenario.supply_cost == "linear" and (inputs.basins["mc_slope"] > 0)
    return bool(slopes.any() or linear_cost.any())


def solve_inputs(inputs: Inputs, fixed_units: dict | None = None) -> Solved:
    """Build and solve. Lumpy investment is decided by a MILP first, then every flow, price
    and dual comes from the continuous problem solved again with the builds fixed.

    HiGHS solves no MIQP: where the objective is quadratic, the MILP replaces each quadratic
    term by tangent cuts (an upper bound on the objective, reported as
    milp_objective_usd_bn) to choose the builds; the exact QP then prices them.
    `fixed_units` ((option, decision year) -> units) imposes builds instead.
    """
    options = inputs.scenario.solver
    timings: dict[str, float] = {}
    fixed, method = dict(fixed_units or {}), {"method": "LP/QP"}
    if inputs.scenario.investment == "lumpy" and len(inputs.decisions) > 0:
        tangents = options.tangents if has_quadratic_terms(inputs) else 0
        start = time.perf_counter()
        first = _fixed(build_model(inputs, linearize=tangents), fixed)
        timings["build_milp"] = time.perf_counter() - start
        milp = HighsSolver(options).solve(first, duals=False)
        timings["solve_milp"] = milp.wall_seconds
        fixed = {k: round(v) for k, v in first.units.extract_values().items()}
        how = (f"MILP with {tangents} tangent cuts per quadratic term" if tangents
               else "MILP")
        method = {"method": f"{how} to choose the builds, then the continuous problem with "
                            "the builds fixed", "milp_objective_usd_bn": milp.objective}
    start = time.perf_counter()
    model = _fixed(build_model(inputs), fixed)
    timings["build"] = time.perf_counter() - start
    outcome = HighsSolver(options).solve(model)
    timings["solve"] = outcome.wall_seconds
    timings["highs"] = outcome.solver_seconds
    return Solved(inputs, model, outcome, method, timings)


def _fixed(model: pyo.ConcreteModel, units: dict) -> pyo.ConcreteModel:
    """`model` with the given investment units fixed (and so continuous: no MIP left)."""
    for key, n in units.items():
        model.units[key].domain = pyo.NonNegativeReals
        model.units[key].fix(n)
    return model
