"""The one solver adapter: every solve, and every solver option, goes through here.

Problems arrive as matrices (`StandardForm`, built by engine.py from the pyomo model):

    max  c'x + x'diag(q)x/2 + offset   s.t.  row_lo <= A x <= row_up,  col_lo <= x <= col_up,
                                              x_j integer where integer[j]

- LPs and MILPs: HiGHS (highspy), dual simplex / branch and cut.
- QPs (q != 0, every column continuous): Clarabel's interior-point method, which solves the
  concave QPs of this model to 1e-9 in a few dozen iterations. Where the optimum is not
  unique (a flat direction: two routes of equal cost into one market), an interior-point
  method converges to the centre of the optimal face, not to a vertex: the choice does not
  depend on the order of rows or columns, and reruns on the same matrices are byte-identical
  (one thread, no randomness).

Duals (`Solution.row_duals`) are sensitivities of the maximised objective to each row's
binding bound, d objective / d bound, whichever solver answered: >= 0 for a binding upper
limit, <= 0 for a binding lower limit, either sign for an equality. When a problem has no
solution, HiGHS is asked for an irreducible infeasible subset (IIS) of its rows and bounds,
whose names go into the error.

Every solve is watched: HiGHS through highspy's interrupt callbacks (a Ctrl-C or SIGTERM,
recorded meanwhile by `interrupts.deferred`, stops it within one callback and is then acted
on; a long run reports its progress), Clarabel by its time limit and the same deferral.
Each solve has a time limit (`solver.time_limit` of the scenario).
"""

from __future__ import annotations

import ctypes
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import clarabel
import highspy
import numpy as np

from energymodel import interrupts, progress
from energymodel.errors import SolveError, WriteError, display_path
from energymodel.publish import publish
from energymodel.scenario import SolverOptions
from energymodel.sparse import sp

INF = highspy.kHighsInf
# Fixed HiGHS settings: one random seed and no console output.
HIGHS_OPTIONS = {"random_seed": 0, "output_flag": False}
# Clarabel: tolerances much tighter than its defaults (1e-8), so that duals at the kinks of
# demand curves (where the dual is pinned by two segments) match prices to 1e-6 after the
# conversion to USD/MMBtu of late, heavily discounted years; presolve off so that every row
# keeps its dual.
CLARABEL_OPTIONS = {"verbose": False, "tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12,
                    "tol_feas": 1e-12, "tol_ktratio": 1e-10, "reduced_tol_gap_abs": 1e-9,
                    "reduced_tol_gap_rel": 1e-9, "reduced_tol_feas": 1e-9,
                    "reduced_tol_ktratio": 1e-7, "presolve_enable": False, "max_iter": 400}
# Clarabel's default tolerances, tried when the tight ones make no progress (some KKT systems
# of bilevel.py's exact polish).
CLARABEL_FALLBACK = {"verbose": False, "presolve_enable": False, "max_iter": 400}
# LPs with fewer nonzeros are not watched by a callback at every simplex iteration (they solve
# in milliseconds; the annual baseline has about 4,000)
WATCHED_NONZEROS = 50_000
# Clarabel statuses accepted as optimal: "AlmostSolved" meets the reduced tolerances above.
CLARABEL_SOLVED = {"Solved", "AlmostSolved"}


@dataclass(frozen=True)
class StandardForm:
    """max c'x + x'diag(q)x/2 + offset s.t. row_lo <= Ax <= row_up, col_lo <= x <= col_up."""

    c: np.ndarray
    q: np.ndarray  # diagonal of the Hessian (<= 0 for a concave maximisation)
    offset: float
    A: sp.csr_matrix
    row_lo: np.ndarray
    row_up: np.ndarray
    col_lo: np.ndarray
    col_up: np.ndarray
    integer: np.ndarray  # bool per column
    # names of columns and rows, built only when needed (errors, exports)
    names: Callable[[], tuple[list[str], list[str]]] | None = field(default=None, repr=False)

    @property
    def kind(self) -> str:
        """'MILP', 'QP' or 'LP'."""
        if self.integer.any():
            return "MILP"
        return "QP" if np.any(self.q != 0.0) else "LP"

    def relaxed(self) -> StandardForm:
        """The same problem without integrality."""
        return replace(self, integer=np.zeros_like(self.integer))


@dataclass(frozen=True)
class Solution:
    """What one solve returned."""

    x: np.ndarray  # column values
    row_duals: np.ndarray | None  # d objective / d binding row bound; None for MILPs
    objective: float
    solver: str  # "HiGHS" or "Clarabel"
    seconds: float  # the solver's own time
    iterations: dict[str, int] = field(default_factory=dict)
    bound: float | None = None  # MILP dual bound


def _watch(highs: highspy.Highs) -> highspy.Highs:
    """`highs` with callbacks that stop it on a recorded signal and report its progress."""

    def check(event) -> None:
        if interrupts.requested():
            event.interrupt()
        if not progress.due():
            return
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


def versions() -> dict[str, str]:
    """Versions of the solver stack, for manifests."""
    from importlib.metadata import version

    return {"pyomo": version("pyomo"), "highspy": version("highspy"),
            "HiGHS": f"{highspy.HIGHS_VERSION_MAJOR}.{highspy.HIGHS_VERSION_MINOR}."
                     f"{highspy.HIGHS_VERSION_PATCH}",
            "clarabel": version("clarabel")}


def solve(form: StandardForm, options: SolverOptions, duals: bool = True,
          highs: highspy.Highs | None = None) -> Solution:
    """Solve `form` with the solver for its kind; SolveError unless optimal. `highs` is a
    HiGHS instance to reuse (a session keeps one per set of options), else a new one."""
    kind = form.kind
    if kind == "QP":
        return _clarabel(form, options)
    highs = highs if highs is not None else highs_instance(options)
    highs.clearSolver()  # no basis or solution from an earlier model: reruns are identical
    highs.passModel(highs_lp(form))
    # A small LP solves in milliseconds: a signal meanwhile is acted on when it returns,
    # which spares a Python callback at every simplex iteration.
    simplex = highspy.cb.HighsCallbackType.kCallbackSimplexInterrupt
    if kind == "LP" and form.A.nnz < WATCHED_NONZEROS:
        highs.stopCallback(simplex)
    else:
        highs.startCallback(simplex)
    _run(highs)
    status = highs.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise _failure(form, highs.modelStatusToString(status), options)
    info, solution = highs.getInfo(), highs.getSolution()
    if kind == "MILP":
        return Solution(np.asarray(solution.col_value), None, info.objective_function_value,
                        "HiGHS", highs.getRunTime(), {"mip_nodes": int(info.mip_node_count)},
                        bound=info.mip_dual_bound)
    # HiGHS's row duals are d objective / d activity in the minimisation sense it solves;
    # for a maximisation it reports them for the original objective, which is what we want.
    return Solution(np.asarray(solution.col_value),
                    np.asarray(solution.row_dual) if duals else None,
                    info.objective_function_value, "HiGHS", highs.getRunTime(),
                    {"simplex": int(info.simplex_iteration_count)})


def highs_instance(options: SolverOptions) -> highspy.Highs:
    """A new HiGHS instance with every option set (the only place HiGHS options are set)."""
    silence_banner()
    highs = _watch(highspy.Highs())
    settings = {**HIGHS_OPTIONS, "threads": options.threads, "mip_rel_gap": options.mip_rel_gap}
    if options.time_limit is not None:
        settings["time_limit"] = float(options.time_limit)
    for name, value in settings.items():
        highs.setOptionValue(name, value)
    return highs


def highs_lp(form: StandardForm, names: bool = False) -> highspy.HighsModel:
    """`form` as a HiGHS model (Hessian included where the objective is quadratic)."""
    lp = highspy.HighsLp()
    n, m = form.A.shape[1], form.A.shape[0]
    lp.num_col_, lp.num_row_ = n, m
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.offset_ = float(form.offset)
    lp.col_cost_, lp.col_lower_, lp.col_upper_ = form.c, form.col_lo, form.col_up
    lp.row_lower_, lp.row_upper_ = form.row_lo, form.row_up
    a = form.A.tocsr()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_, lp.a_matrix_.index_, lp.a_matrix_.value_ = a.indptr, a.indices, a.data
    lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = n, m
    if form.integer.any():
        lp.integrality_ = [highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
                           for i in form.integer]
    if names and form.names is not None:
        lp.col_names_, lp.row_names_ = form.names()
    model = highspy.HighsModel()
    model.lp_ = lp
    nonzero = np.flatnonzero(form.q)
    if len(nonzero):
        hessian = highspy.HighsHessian()
        hessian.dim_, hessian.format_ = n, highspy.HessianFormat.kTriangular
        hessian.start_ = np.searchsorted(nonzero, np.arange(n + 1)).astype(np.int32)
        hessian.index_, hessian.value_ = nonzero.astype(np.int32), form.q[nonzero]
        model.hessian_ = hessian
    return model


def write(form: StandardForm, path: Path) -> None:
    """Write `form` as a new MPS or LP file (by the suffix) with the model's names, as
    pyomo's symbolic labels spell them (flow[nord_stream_1,2030] -> flow(nord_stream_1_2030)).
    HiGHS writes into a private temporary folder and does not check its writes, so the file
    must end as MPS and LP files end (ENDATA, End); it is then published whole and new
    (`energymodel.publish`): no partial file, no file overwritten; WriteError otherwise."""
    model = highs_lp(form, names=True)
    lp = model.lp_
    lp.col_names_ = [_label(n) for n in lp.col_names_]
    lp.row_names_ = [_label(n) for n in lp.row_names_]
    silence_banner()
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.passModel(model)
    with tempfile.TemporaryDirectory(prefix="energymodel-model-") as folder:
        tmp = Path(folder) / f"model{path.suffix.lower()}"
        status = highs.writeModel(str(tmp))
        content = tmp.read_bytes() if tmp.is_file() else b""
    last = content.rstrip().rsplit(b"\n", 1)[-1].strip().lower()
    if status != highspy.HighsStatus.kOk or last not in (b"endata", b"end"):
        raise WriteError(display_path(path), "the model file came out incomplete (is the "
                         "disk or the temporary folder full?)")
    publish(path, content, replace=False)


_BANNER_SILENCED = False


def silence_banner() -> None:
    """Make HiGHS's first instance in this process with standard output closed: HiGHS
    prints its banner to stdout then, before any option can be set, and stdout is for
    energymodel's own output. Once per process; later calls return at once."""
    global _BANNER_SILENCED
    if _BANNER_SILENCED:
        return
    _BANNER_SILENCED = True
    sys.stdout.flush()
    libc = ctypes.CDLL(None)
    saved, null = os.dup(1), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        highspy.Highs()
        libc.fflush(None)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


def _label(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_().]", "_", name.replace("[", "(").replace("]", ")"))


def _clarabel(form: StandardForm, options: SolverOptions) -> Solution:
    """The QP by Clarabel: min x'Px/2 + p'x s.t. Gx + s = h, s in the cones, with P = -diag(q)
    and p = -c.

    Rows on one column (route_flow_max of a route without options, for instance) become
    bounds of that column, and columns whose bounds meet (a closed route, fixed builds) are
    substituted out. Their duals are then what is left of the objective's gradient after the
    other rows' duals, given to the binding row: this keeps them unique where a row and a
    bound bind together (an interior-point method would otherwise split the dual between
    them arbitrarily)."""
    a = form.A.tocsr()
    counts = np.diff(a.indptr)
    single = np.flatnonzero(counts == 1)
    s_col, s_coef = a.indices[a.indptr[single]], a.data[a.indptr[single]]
    with np.errstate(divide="ignore", invalid="ignore"):
        ends = np.sort(np.stack([form.row_lo[single] / s_coef, form.row_up[single] / s_coef]),
                       axis=0)
    lo, lo_row = _tightest(form.col_lo, s_col, single, ends[0], upper=False)
    up, up_row = _tightest(form.col_up, s_col, single, ends[1], upper=True)
    if np.any(lo > up):
        raise _failure(form, "Infeasible", options)
    rest = np.flatnonzero(counts != 1)
    fixed = lo == up
    free = ~fixed
    x = np.where(fixed, lo, 0.0)
    a_rest = a[rest]
    shift = a_rest @ x  # activity of the fixed columns
    row_lo, row_up = form.row_lo[rest] - shift, form.row_up[rest] - shift
    g_rows = a_rest[:, free].tocsc()
    eq = row_lo == row_up
    has_up = ~eq & np.isfinite(row_up)
    has_lo = ~eq & np.isfinite(row_lo)
    eye = sp.identity(int(free.sum()), format="csc")
    up_ok, lo_ok = np.isfinite(up[free]), np.isfinite(lo[free])
    g = sp.vstack([g_rows[eq], g_rows[has_up], -g_rows[has_lo], eye[up_ok], -eye[lo_ok]],
                  format="csc")
    h = np.concatenate([row_up[eq], row_up[has_up], -row_lo[has_lo], up[free][up_ok],
                        -lo[free][lo_ok]])
    cones = [clarabel.ZeroConeT(int(eq.sum())),
             clarabel.NonnegativeConeT(len(h) - int(eq.sum()))]
    p = sp.diags(-form.q[free], format="csc")
    start = time.perf_counter()
    for tolerances in (CLARABEL_OPTIONS, CLARABEL_FALLBACK):
        settings = clarabel.DefaultSettings()
        for key, value in tolerances.items():
            setattr(settings, key, value)
        if options.time_limit is not None:
            settings.time_limit = max(float(options.time_limit) - (time.perf_counter() - start),
                                      1e-3)
        with progress.task("solving"), interrupts.deferred():
            result = clarabel.DefaultSolver(p, -form.c[free], g, h, cones, settings).solve()
        status = str(result.status)
        if status != "InsufficientProgress":
            break
    if status not in CLARABEL_SOLVED:
        raise _failure(form, f"Clarabel: {status}", options)
    x[free] = np.asarray(result.x)
    z = np.asarray(result.z)
    cut = np.cumsum([0, eq.sum(), has_up.sum(), has_lo.sum()])
    y_rest = np.zeros(len(rest))
    y_rest[eq] = z[cut[0]:cut[1]]
    y_rest[has_up] += z[cut[1]:cut[2]]
    y_rest[has_lo] -= z[cut[2]:cut[3]]
    duals = np.zeros(a.shape[0])
    duals[rest] = y_rest
    # what the gradient leaves to each column's bounds, given to the binding singleton row
    residual = form.c + form.q * x - a_rest.T @ y_rest
    coef = np.zeros(a.shape[0])
    coef[single] = s_coef
    for rows, sign in ((up_row, residual > 0), (lo_row, residual < 0)):
        j = np.flatnonzero((rows >= 0) & sign)
        duals[rows[j]] = residual[j] / coef[rows[j]]
    objective = float(form.c @ x + form.q @ (x * x) / 2 + form.offset)
    return Solution(x, duals, objective, "Clarabel", time.perf_counter() - start,
                    {"ipm": int(result.iterations)})


def _tightest(bound: np.ndarray, cols: np.ndarray, rows: np.ndarray, ends: np.ndarray,
              upper: bool) -> tuple[np.ndarray, np.ndarray]:
    """Column bounds tightened by the singleton rows (`rows`, on columns `cols`, whose bound
    on the column is `ends`), and which row binds each column (-1: its own bound; a row
    wins a tie)."""
    order = np.argsort(-ends if upper else ends, kind="stable")  # tightest written last
    best = np.full(len(bound), np.inf if upper else -np.inf)
    row = np.full(len(bound), -1)
    best[cols[order]], row[cols[order]] = ends[order], rows[order]
    wins = np.isfinite(best) & ((best <= bound) if upper else (best >= bound))
    return np.where(wins, best, bound), np.where(wins, row, -1)


_REASONS = {
    "Infeasible": ("infeasible", "no flows satisfy every constraint"),
    "Clarabel: PrimalInfeasible": ("infeasible", "no flows satisfy every constraint"),
    "Clarabel: AlmostPrimalInfeasible": ("infeasible", "no flows satisfy every constraint"),
    "Primal infeasible or unbounded": ("infeasible or unbounded", "HiGHS could not tell which"),
    "Unbounded": ("unbounded", "some flow can grow without limit"),
    "Clarabel: DualInfeasible": ("unbounded", "some flow can grow without limit"),
    "Time limit reached": (
        "not solved", "the time limit was reached (raise solver.time_limit in the scenario)"),
    "Clarabel: MaxTime": (
        "not solved", "the time limit was reached (raise solver.time_limit in the scenario)"),
    "Iteration limit reached": ("not solved", "the iteration limit was reached"),
}


def _failure(form: StandardForm, reason: str, options: SolverOptions) -> SolveError:
    status, why = _REASONS.get(reason, ("not solved", f"solver stopped: {reason}"))
    constraints = irreducible_infeasible_set(form, options) if "infeasible" in status else []
    return SolveError(status, why, constraints)


def irreducible_infeasible_set(form: StandardForm, options: SolverOptions) -> list[str]:
    """Names of the rows and column bounds in an IIS that HiGHS finds for the continuous
    relaxation of `form` (empty if it finds none)."""
    highs = highs_instance(options)
    # feasibility does not depend on the objective
    relaxed = replace(form.relaxed(), q=np.zeros_like(form.q))
    highs.passModel(highs_lp(relaxed))
    highs.setOptionValue("iis_strategy", 6)
    status, iis = highs.getIis()
    if status != highspy.HighsStatus.kOk or form.names is None:
        return []
    cols, rows = form.names()
    return [rows[i] for i in iis.row_index_] + [f"bounds of {cols[j]}" for j in iis.col_index_]


class Milp:
    """A MILP (or LP) over a standard form, handed to HiGHS once: rows (cuts) can be added
    between solves, and each solve can start from a known feasible point."""

    def __init__(self, form: StandardForm, options: SolverOptions, what: str = "MILP"):
        self.highs = highs_instance(options)
        self.highs.passModel(highs_lp(form))
        self.form, self.options = form, options
        self.what = what
        self.integer = bool(form.integer.any())
        self.seconds = 0.0
        self.runs = 0

    def solve(self) -> Solution:
        """The column values and the dual bound on the objective (the objective for an LP);
        SolveError unless HiGHS proves optimality within the gap."""
        self.runs += 1
        start = time.perf_counter()
        _run(self.highs, f"{self.what} run {self.runs}")
        seconds = time.perf_counter() - start
        self.seconds += seconds
        status = self.highs.getModelStatus()
        if status != highspy.HighsModelStatus.kOptimal:
            raise _failure(self.form, self.highs.modelStatusToString(status), self.options)
        info = self.highs.getInfo()
        return Solution(np.asarray(self.highs.getSolution().col_value), None,
                        info.objective_function_value, "HiGHS", seconds,
                        {"mip_nodes": int(info.mip_node_count)} if self.integer else {},
                        bound=info.mip_dual_bound if self.integer
                        else info.objective_function_value)

    def add_rows(self, rows: Sequence[tuple[Sequence[int], Sequence[float], float, float]]
                 ) -> None:
        """Add rows (columns, coefficients, lower, upper) to the problem."""
        for cols, values, lower, upper in rows:
            self.highs.addRow(lower, upper, len(cols), np.asarray(cols, dtype=np.int32),
                              np.asarray(values, dtype=float))

    def start(self, x: np.ndarray) -> None:
        """Give the next solve a feasible point as its first incumbent."""
        start = highspy.HighsSolution()
        start.col_value = list(map(float, x))
        start.value_valid = True
        self.highs.setSolution(start)
