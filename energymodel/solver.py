"""HiGHS through highspy: the only module that knows the pyomo solver API.

Uses the persistent `pyomo.contrib.solver` HiGHS interface, which accepts quadratic
objectives and re-solves after parameter changes without rebuilding (for sweeps). When
HiGHS reports infeasibility, the model is written as an LP file and HiGHS is asked for an
irreducible infeasible subset (IIS), whose constraint names go into the error.

Every HiGHS run is watched through highspy's interrupt callbacks: a Ctrl-C or SIGTERM,
recorded meanwhile (`interrupts.deferred`), stops HiGHS within one callback and is then
acted on; a long run reports its progress (MIP gap, iterations). Each solve has a time
limit (`solver.time_limit` of the scenario, default 600 s).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

from energymodel import interrupts, progress
from energymodel.errors import SolveError
from energymodel.scenario import SolverOptions

# Fixed settings: one random seed, tight QP regularisation (the closed forms are checked
# to 1e-6 relative) and no console output.
BASE_OPTIONS = {"random_seed": 0, "qp_regularization_value": 1e-11, "output_flag": False}


@dataclass
class SolveOutcome:
    """What one solve returned."""

    status: str  # "optimal"
    objective: float  # objective value, as HiGHS reports it
    solver_seconds: float  # HiGHS run time
    wall_seconds: float  # including pyomo's hand-over of the model
    iterations: dict[str, int] = field(default_factory=dict)
    duals: dict | None = None  # constraint data -> dual, for continuous problems


def _watch(highs: highspy.Highs) -> highspy.Highs:
    """`highs` with callbacks that stop it on a recorded signal and report its progress."""

    def check(event) -> None:
        if interrupts.requested():
            event.interrupt()
        out = event.data_out
        if event.callback_type == highspy.cb.HighsCallbackType.kCallbackMipInterrupt:
            gap = f"gap {out.mip_gap:.2%}" if out.mip_gap < 1e30 else "no solution yet"
            progress.note(f"HiGHS MIP {gap}, {out.mip_node_count} nodes")
        else:
            progress.note(f"HiGHS {out.simplex_iteration_count + out.ipm_iteration_count} "
                          "iterations")

    for callback in (highs.cbSimplexInterrupt, highs.cbIpmInterrupt, highs.cbMipInterrupt):
        callback.subscribe(check)
    return highs


def _run(highs: highspy.Highs, what: str = "solving") -> None:
    """Run HiGHS, interruptible, with progress lines for a long solve."""
    with progress.task(what), interrupts.deferred():
        highs.run()


class _WatchedHighs(Highs):
    """pyomo's persistent HiGHS interface, with its HiGHS instance watched."""

    def set_instance(self, model) -> None:
        super().set_instance(model)
        _watch(self._solver_model)


def versions() -> dict[str, str]:
    """Versions of the solver stack, for manifests."""
    import pyomo.version

    return {"pyomo": pyomo.version.version, "highspy": _dist_version("highspy"),
            "HiGHS": ".".join(str(v) for v in Highs().version())}


def _dist_version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


class HighsSolver:
    """A persistent HiGHS solver for one model: the first solve hands the model over, later
    solves pass only what changed (mutable parameters, fixed variables)."""

    def __init__(self, options: SolverOptions):
        self.options = options
        self._highs = _WatchedHighs()

    def solve(self, model: pyo.ConcreteModel, duals: bool = True) -> SolveOutcome:
        config = self._highs.config
        config.load_solutions = False
        config.raise_exception_on_nonoptimal_result = False
        config.threads = self.options.threads
        config.time_limit = self.options.time_limit
        config.rel_gap = self.options.mip_rel_gap
        config.solver_options = dict(BASE_OPTIONS)
        start = time.perf_counter()
        with progress.task("solving"), interrupts.deferred():
            result = self._highs.solve(model)
        wall = time.perf_counter() - start
        condition = result.termination_condition
        if condition != TerminationCondition.convergenceCriteriaSatisfied:
            raise _failure(model, condition)
        result.solution_loader.load_vars()
        info = result.extra_info
        iterations = {k: int(getattr(info, f"{k}_iteration_count", 0) or 0)
                      for k in ("simplex", "ipm", "qp")}
        iterations["mip_nodes"] = int(getattr(info, "mip_node_count", 0) or 0)
        return SolveOutcome(
            status="optimal", objective=float(result.incumbent_objective),
            solver_seconds=float(result.timing_info.highs_time or 0.0), wall_seconds=wall,
            iterations=iterations,
            duals=result.solution_loader.get_duals() if duals else None)


_REASONS = {
    TerminationCondition.provenInfeasible: ("infeasible", "no flows satisfy every constraint"),
    TerminationCondition.infeasibleOrUnbounded: (
        "infeasible or unbounded", "HiGHS could not tell which"),
    TerminationCondition.unbounded: ("unbounded", "some flow can grow without limit"),
    TerminationCondition.maxTimeLimit: (
        "not solved", "the time limit was reached (raise solver.time_limit in the scenario)"),
    TerminationCondition.iterationLimit: ("not solved", "the iteration limit was reached"),
}


def _failure(model: pyo.ConcreteModel, condition: TerminationCondition) -> SolveError:
    status, reason = _REASONS.get(condition, ("not solved", f"HiGHS stopped: {condition.name}"))
    constraints = irreducible_infeasible_set(model) if "infeasible" in status else []
    return SolveError(status, reason, constraints)


@dataclass
class ExportedModel:
    """A pyomo model as HiGHS reads it: matrices, bounds, Hessian, and which pyomo
    component stands behind each column and row."""

    highs: highspy.Highs
    columns: list  # pyomo VarData of each column
    rows: list  # pyomo ConstraintData of each row (None for rows HiGHS added)


def export(model: pyo.ConcreteModel) -> ExportedModel:
    """Hand a model to HiGHS through an LP file with symbolic labels."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.lp"
        _, symbol_map_id = model.write(str(path), io_options={"symbolic_solver_labels": True})
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        highs.readModel(str(path))
    symbols = model.solutions.symbol_map[symbol_map_id].bySymbol
    model.solutions.delete_symbol_map(symbol_map_id)
    lp = highs.getLp()
    return ExportedModel(highs, [symbols.get(n) for n in lp.col_names_],
                         [symbols.get(n) for n in lp.row_names_])


def irreducible_infeasible_set(model: pyo.ConcreteModel) -> list[str]:
    """Names (as in the model, e.g. `route_flow_min[nord_stream_1,2030]`) of the constraints
    and variable bounds in an IIS that HiGHS finds; empty if it finds none."""
    exported = export(model)
    highs = exported.highs
    highs.setOptionValue("iis_strategy", 6)
    status, iis = highs.getIis()
    if status != highspy.HighsStatus.kOk:
        return []
    lp = highs.getLp()
    rows = [exported.rows[i].name if exported.rows[i] is not None else lp.row_names_[i]
            for i in iis.row_index_]
    cols = [f"bounds of {exported.columns[j].name}" for j in iis.col_index_]
    return rows + cols


class MatrixMilp:
    """A MILP handed to HiGHS as matrices, to which rows (cuts) can be added between solves."""

    def __init__(self, lp: highspy.HighsLp, options: SolverOptions):
        self.highs = _watch(highspy.Highs())
        for key, value in {**BASE_OPTIONS, "threads": options.threads,
                           "mip_rel_gap": options.mip_rel_gap}.items():
            self.highs.setOptionValue(key, value)
        if options.time_limit is not None:
            self.highs.setOptionValue("time_limit", float(options.time_limit))
        self.highs.passModel(lp)
        self.seconds = 0.0
        self.runs = 0

    def solve(self) -> tuple[list[float], float]:
        """(column values, dual bound on the objective); SolveError unless HiGHS proves
        optimality within the gap."""
        self.runs += 1
        _run(self.highs, f"MILP run {self.runs}")
        self.seconds += self.highs.getRunTime()
        status = self.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            reason = f"HiGHS stopped the MILP: {self.highs.modelStatusToString(status)}"
            if status == highspy.HighsModelStatus.kTimeLimit:
                reason += " (raise solver.time_limit in the scenario)"
            raise SolveError("not solved", reason)
        return list(self.highs.getSolution().col_value), self.highs.getInfo().mip_dual_bound

    def add_row(self, cols: list[int], values: list[float], lower: float, upper: float) -> None:
        self.highs.addRow(lower, upper, len(cols), cols, values)


def solve_qp(lp: highspy.HighsLp, diagonal: np.ndarray, options: SolverOptions) -> tuple[
        list[float], float]:
    """Solve a continuous QP given as matrices: objective c'x + x'Qx/2 with Q = diag(diagonal)
    in the LP's sense. (column values, objective); SolveError unless optimal."""
    n = lp.num_col_
    hessian = highspy.HighsHessian()
    hessian.dim_, hessian.format_ = n, highspy.HessianFormat.kTriangular
    nonzero = [j for j in range(n) if diagonal[j] != 0.0]
    hessian.start_ = list(np.searchsorted(nonzero, np.arange(n + 1)))
    hessian.index_, hessian.value_ = nonzero, [float(diagonal[j]) for j in nonzero]
    model = highspy.HighsModel()
    model.lp_, model.hessian_ = lp, hessian
    highs = _watch(highspy.Highs())
    for key, value in {**BASE_OPTIONS, "threads": options.threads}.items():
        highs.setOptionValue(key, value)
    if options.time_limit is not None:
        highs.setOptionValue("time_limit", float(options.time_limit))
    highs.passModel(model)
    _run(highs, "solving the QP")
    status = highs.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise SolveError("not solved", f"HiGHS stopped the QP: {highs.modelStatusToString(status)}")
    return list(highs.getSolution().col_value), highs.getInfo().objective_function_value



def set_mip_start(milp: MatrixMilp, values: np.ndarray) -> None:
    """Give the next `milp.solve()` a feasible point of the MILP as its first incumbent."""
    start = highspy.HighsSolution()
    start.col_value = list(map(float, values))
    start.value_valid = True
    milp.highs.setSolution(start)
