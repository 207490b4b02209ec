"""Solve one set of inputs: the step every scenario run and every buyer-power variant
(benchmark, disagreement, hold-up plan, bilevel follower) goes through. Solves go through
the compiled model of engine.py, so a loop of variants re-solves without rebuilding."""

from __future__ import annotations

from dataclasses import dataclass, field

import pyomo.environ as pyo

from energymodel import engine
from energymodel.inputs import Inputs
from energymodel.solver import SolveOutcome


@dataclass
class Solved:
    """A solved model with the inputs it was built from."""

    inputs: Inputs
    outcome: SolveOutcome
    method: dict
    timings: dict[str, float] = field(default_factory=dict)
    result: engine.EngineSolve | None = field(default=None, repr=False)

    @property
    def model(self) -> pyo.ConcreteModel:
        """The pyomo model with this solve's values loaded. It is shared by every solve of
        the same structure: read it before solving another variant."""
        return self.result.model()


def has_quadratic_terms(inputs: Inputs) -> bool:
    """Whether the objective is quadratic: a sloped demand segment or linear marginal cost."""
    slopes = inputs.segments["beta"] > 0
    linear_cost = inputs.scenario.supply_cost == "linear" and (inputs.basins["mc_slope"] > 0)
    return bool(slopes.any() or linear_cost.any())


def solve_inputs(inputs: Inputs, fixed_units: dict | None = None) -> Solved:
    """Solve. Lumpy investment is decided by a MILP first, then every flow, price and dual
    comes from the continuous problem solved again with the builds fixed.

    No solver here takes a MIQP: where the objective is quadratic, the MILP replaces each
    quadratic term by tangent cuts (an upper bound on the objective, reported as
    milp_objective_usd_bn) to choose the builds; the exact QP then prices them.
    `fixed_units` ((option, decision year) -> units) imposes builds instead.
    """
    options = inputs.scenario.solver
    timings: dict[str, float] = {}
    fixed, method = dict(fixed_units or {}), {"method": "LP/QP"}
    if inputs.scenario.investment == "lumpy" and len(inputs.decisions) > 0 and \
            len(fixed) < len(inputs.decisions):
        tangents = options.tangents if has_quadratic_terms(inputs) else 0
        milp = engine.solve(inputs, fixed, linearize=tangents, duals=False)
        timings.update({f"{k}_milp": v for k, v in milp.timings.items()})
        fixed = milp.units()
        how = (f"MILP with {tangents} tangent cuts per quadratic term" if tangents
               else "MILP")
        method = {"method": f"{how} to choose the builds, then the continuous problem with "
                            "the builds fixed", "milp_objective_usd_bn": milp.solution.objective}
    result = engine.solve(inputs, fixed)
    timings.update(result.timings)
    timings["solver"] = result.solution.seconds
    method["solver"] = f"{result.solution.solver} ({result.kind})"
    return Solved(inputs, result.outcome(), method, timings, result)
