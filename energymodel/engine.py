"""Compile once, re-solve many: the pyomo model as matrices whose numbers are recomputed
from parameter values without building the model again.

model.py writes every constraint, once. Compiling a built model asks pyomo for the standard
form of each constraint and of the objective with the parameters kept symbolic
(`generate_standard_repn(compute_values=False)`): every matrix entry, bound, cost and
Hessian entry is then an expression of mutable Params and numbers, such as
`weight[2030] * 0.0358 * alpha[china,2030,0]`. Expressions of one shape (same operators,
same parameters, different indices) form a group evaluated at once with numpy, so new
values become new matrices in well under a millisecond, and only the vectors that read a
changed parameter are recomputed.

`solve(inputs)` looks up the compiled model of the inputs' structure (model.structure_key:
index sets, which constraints exist, variable domains) in an in-process cache, builds and
compiles it when absent, puts in the inputs' values and solves through solver.py. Callers
never choose between re-solve and rebuild: a change of structure (a contracted minimum flow
appears, lumpy investment, a linearised model, another horizon) has another key.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo
import scipy.sparse as sp
from pyomo.repn import generate_standard_repn

from energymodel import solver
from energymodel.inputs import Inputs
from energymodel.model import PARAMETERS, build_model, parameter_values, structure_key
from energymodel.scenario import SolverOptions

CACHE_SIZE = 16  # compiled structures kept per process (a few MB each at annual steps)

# How each pyomo expression type of a coefficient is written with numpy arrays.
_OPERATIONS: dict[str, Callable[[list[str]], str]] = {
    "SumExpression": lambda args: "(" + " + ".join(args) + ")",
    "LinearExpression": lambda args: "(" + " + ".join(args) + ")",
    "ProductExpression": lambda args: f"({args[0]} * {args[1]})",
    "MonomialTermExpression": lambda args: f"({args[0]} * {args[1]})",
    "DivisionExpression": lambda args: f"({args[0]} / {args[1]})",
    "NegationExpression": lambda args: f"(-{args[0]})",
    "PowExpression": lambda args: f"({args[0]} ** {args[1]})",
    "MaxExpression": lambda args: "np.maximum.reduce(np.broadcast_arrays(" + ", ".join(args)
    + "))",
    "MinExpression": lambda args: "np.minimum.reduce(np.broadcast_arrays(" + ", ".join(args)
    + "))",
    "AbsExpression": lambda args: f"np.abs({args[0]})",
}


class _Program:
    """Evaluates many coefficient expressions (of mutable Params and numbers) into one
    vector. A sum is split into its terms; terms of one shape (same operators and
    parameters, other indices) are evaluated together by one generated numpy expression,
    then added into their coefficients."""

    def __init__(self, expressions: list, lookup: dict[int, tuple[str, int]]):
        groups: dict[tuple, tuple[list[int], list[list[tuple[str, int]]]]] = {}
        for i, expression in enumerate(expressions):
            terms = (expression.args if getattr(expression, "is_expression_type", bool)()
                     and type(expression).__name__.removeprefix("NPV_") == "SumExpression"
                     else [expression])
            for term in terms:
                leaves: list[tuple[str, int]] = []
                shape = _shape(term, lookup, leaves)
                targets, leaf_lists = groups.setdefault(shape, ([], []))
                targets.append(i)
                leaf_lists.append(leaves)
        self.size = len(expressions)
        self.groups = []
        for shape, (targets, leaf_lists) in groups.items():
            columns = list(zip(*leaf_lists, strict=True)) if leaf_lists[0] else []
            leaves = [(col[0][0], np.array([pos for _, pos in col])) for col in columns]
            source = _source(shape, iter(range(len(leaves))))
            function = eval(f"lambda a: {source}", {"np": np})  # source generated above
            self.groups.append((function, np.array(targets), leaves))
        self.targets = np.concatenate([t for _, t, _ in self.groups]) if self.groups else \
            np.zeros(0, dtype=int)
        self.parameters = {name for _, _, leaves in self.groups for name, _ in leaves}

    def __call__(self, values: dict[str, np.ndarray]) -> np.ndarray:
        terms = [function([values[name][positions] for name, positions in leaves])
                 for function, _, leaves in self.groups]
        terms = [t if np.ndim(t) else np.full(len(g[1]), t) for t, g in zip(
            terms, self.groups, strict=True)]
        if not terms:
            return np.zeros(self.size)
        return np.bincount(self.targets, weights=np.concatenate(terms), minlength=self.size)


def _shape(expression, lookup: dict[int, tuple[str, int]], leaves: list) -> tuple:
    """The expression with each parameter replaced by its name (its position appended to
    `leaves`): expressions of one shape differ only in the positions."""
    if expression is None:
        return ("number", np.nan)
    if isinstance(expression, int | float) or expression.is_constant():
        return ("number", float(pyo.value(expression)))
    if expression.is_parameter_type():
        name, position = lookup[id(expression)]
        leaves.append((name, position))
        return ("param", name)
    if expression.is_named_expression_type():
        return _shape(expression.expr, lookup, leaves)
    if expression.is_variable_type() or not expression.is_expression_type():
        raise TypeError(f"not a parameter expression: {expression}")
    operation = type(expression).__name__.removeprefix("NPV_")
    if operation not in _OPERATIONS:
        raise TypeError(f"no vectorised form of {operation} (in {expression})")
    return (operation, *(_shape(arg, lookup, leaves) for arg in expression.args))


def _source(shape: tuple, leaf) -> str:
    """Python source of a shape: parameters as a[0], a[1], ... in the order of the leaves."""
    if shape[0] == "number":
        return repr(shape[1]) if np.isfinite(shape[1]) else f"float('{shape[1]}')"
    if shape[0] == "param":
        return f"a[{next(leaf)}]"
    return _OPERATIONS[shape[0]]([_source(arg, leaf) for arg in shape[1:]])


class CompiledModel:
    """A built model's standard form as programs of its parameters (see module docstring)."""

    def __init__(self, model: pyo.ConcreteModel):
        self.model = model
        lookup, order = {}, {}
        for name in PARAMETERS:
            param = model.component(name)
            order[name] = list(param.keys())
            lookup.update({id(data): (name, i) for i, data in enumerate(param.values())})
        self.index_order = order
        self.columns = list(model.component_data_objects(pyo.Var, descend_into=True))
        if any(v.fixed for v in self.columns):
            raise ValueError("compile a model without fixed variables (fix them in solve)")
        column = {id(v): j for j, v in enumerate(self.columns)}
        self.column_of = {(v.parent_component().name, v.index()): j
                          for j, v in enumerate(self.columns)}
        families: dict[str, tuple[list, list]] = {}
        for (name, index), j in self.column_of.items():
            keys, cols = families.setdefault(name, ([], []))
            keys.append(index)
            cols.append(j)
        self.families = {name: (pd.Index(keys, tupleize_cols=True), np.array(cols))
                         for name, (keys, cols) in families.items()}
        objective = next(model.component_data_objects(pyo.Objective, active=True))
        self.sign = 1.0 if objective.sense == pyo.maximize else -1.0
        repn = generate_standard_repn(objective.expr, compute_values=False, quadratic=True)
        self.c_index = np.array([column[id(v)] for v in repn.linear_vars], dtype=int)
        self.c = _Program(list(repn.linear_coefs), lookup)
        if any(a is not b for a, b in repn.quadratic_vars):
            raise ValueError("the Hessian of the objective must be diagonal")
        self.q_index = np.array([column[id(a)] for a, _ in repn.quadratic_vars], dtype=int)
        self.q = _Program(list(repn.quadratic_coefs), lookup)
        self.offset = _Program([repn.constant], lookup)
        self.rows = list(model.component_data_objects(pyo.Constraint, active=True))
        rows, cols, coefs, lower, upper, constants = [], [], [], [], [], []
        for i, con in enumerate(self.rows):
            r = generate_standard_repn(con.body, compute_values=False, quadratic=False)
            if r.nonlinear_expr is not None:
                raise ValueError(f"{con.name} is not linear")
            rows += [i] * len(r.linear_vars)
            cols += [column[id(v)] for v in r.linear_vars]
            coefs += list(r.linear_coefs)
            lower.append(con.lower if con.has_lb() else -np.inf)
            upper.append(con.upper if con.has_ub() else np.inf)
            constants.append(r.constant)
        pattern = sp.csr_matrix((np.arange(1, len(coefs) + 1), (rows, cols)),
                                shape=(len(self.rows), len(self.columns)))
        self.pattern = pattern  # data: 1 + position of each entry in `coefs`
        self.a = _Program([coefs[k - 1] for k in pattern.data], lookup)
        self.row_lo, self.row_up = _Program(lower, lookup), _Program(upper, lookup)
        self.row_constant = _Program(constants, lookup)
        self.col_lo = _Program([v.lower if v.has_lb() else -np.inf for v in self.columns], lookup)
        self.col_up = _Program([v.upper if v.has_ub() else np.inf for v in self.columns], lookup)
        self.integer = np.array([v.is_integer() for v in self.columns], dtype=bool)
        self._values: dict[str, np.ndarray] = {}
        self._vectors: dict[str, np.ndarray] = {}
        self._loaded: dict[str, np.ndarray] = {}

    def parameters(self, inputs: Inputs) -> dict[str, np.ndarray]:
        """The inputs' parameter values as arrays in the model's index order."""
        values = {}
        for name, series in parameter_values(inputs).items():
            values[name] = series.to_numpy(dtype=float)
            if len(values[name]) != len(self.index_order[name]):
                raise ValueError(f"{name}: inputs of another structure")
        return values

    def form(self, values: dict[str, np.ndarray], fixed: dict | None = None
             ) -> solver.StandardForm:
        """The standard form at these parameter values (recomputing only the vectors that
        read a changed parameter), with the columns in `fixed` ((name, index) -> value)
        fixed."""
        changed = {name for name, v in values.items()
                   if name not in self._values or not np.array_equal(v, self._values[name])}
        programs = {"c": self.c, "q": self.q, "offset": self.offset, "a": self.a,
                    "row_lo": self.row_lo, "row_up": self.row_up,
                    "row_constant": self.row_constant, "col_lo": self.col_lo,
                    "col_up": self.col_up}
        for key, program in programs.items():
            if key not in self._vectors or program.parameters & changed:
                self._vectors[key] = program(values)
        self._values = {name: v.copy() for name, v in values.items()}
        v = self._vectors
        n = len(self.columns)
        c, q = np.zeros(n), np.zeros(n)
        np.add.at(c, self.c_index, self.sign * v["c"])
        np.add.at(q, self.q_index, 2 * self.sign * v["q"])
        a = sp.csr_matrix((v["a"], self.pattern.indices, self.pattern.indptr),
                          shape=self.pattern.shape)
        col_lo, col_up, integer = v["col_lo"].copy(), v["col_up"].copy(), self.integer.copy()
        for key, value in (fixed or {}).items():
            j = self.column_of[key]
            col_lo[j] = col_up[j] = value
            integer[j] = False
        return solver.StandardForm(c, q, self.sign * float(v["offset"][0]), a,
                                   v["row_lo"] - v["row_constant"],
                                   v["row_up"] - v["row_constant"], col_lo, col_up, integer,
                                   names=self.names)

    def names(self) -> tuple[list[str], list[str]]:
        """Names of the columns and rows, as in the model (e.g. flow[nord_stream_1,2030])."""
        return [v.name for v in self.columns], [c.name for c in self.rows]

    def load(self, values: dict[str, np.ndarray], x: np.ndarray,
             fixed: dict | None = None) -> pyo.ConcreteModel:
        """The pyomo model holding these parameter values and column values (variables in
        `fixed` fixed): for reading and writing it, not for solving."""
        for name, array in values.items():
            if name in self._loaded and np.array_equal(self._loaded[name], array):
                continue
            for data, value in zip(self.model.component(name).values(), array, strict=True):
                data.set_value(float(value))
            self._loaded[name] = array.copy()
        fixed_columns = {self.column_of[key] for key in fixed or {}}
        for j, (var, value) in enumerate(zip(self.columns, x, strict=True)):
            var.set_value(float(value), skip_validation=True)
            if j in fixed_columns:
                var.fix()
            elif var.fixed:
                var.unfix()
        return self.model


@dataclass
class EngineSolve:
    """One solve through the engine: the compiled model, the values it was solved at, the
    solution, and how long each step took."""

    compiled: CompiledModel
    values: dict[str, np.ndarray]
    fixed: dict  # (variable name, index) -> value
    solution: solver.Solution
    kind: str  # LP, QP or MILP
    timings: dict[str, float]

    def outcome(self) -> solver.SolveOutcome:
        """The solution as results.py reads it (duals by constraint)."""
        s = self.solution
        duals = (dict(zip(self.compiled.rows, s.row_duals, strict=True))
                 if s.row_duals is not None else None)
        return solver.SolveOutcome("optimal", s.objective, s.seconds,
                                   sum(self.timings.values()), s.iterations, duals, s.solver)

    def model(self) -> pyo.ConcreteModel:
        return self.compiled.load(self.values, self.solution.x, self.fixed)

    def units(self) -> dict:
        """(option, decision year) -> units, rounded (for a MILP's builds)."""
        return {key[1]: float(round(self.solution.x[j]))
                for key, j in self.compiled.column_of.items() if key[0] == "units"}


_CACHE: OrderedDict[str, CompiledModel] = OrderedDict()


def compiled(inputs: Inputs, linearize: int = 0) -> tuple[CompiledModel, float, float]:
    """The compiled model of the inputs' structure, from the cache or built and compiled now
    (with the seconds spent building and compiling, 0 on a cache hit)."""
    key = structure_key(inputs, linearize)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key], 0.0, 0.0
    start = time.perf_counter()
    model = build_model(inputs, linearize=linearize)
    built = time.perf_counter()
    result = CompiledModel(model)
    _CACHE[key] = result
    while len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return result, built - start, time.perf_counter() - built


def clear_cache() -> None:
    """Forget every compiled model (the next solves build afresh)."""
    _CACHE.clear()


def solve(inputs: Inputs, fixed_units: dict | None = None, linearize: int = 0,
          options: SolverOptions | None = None, duals: bool = True) -> EngineSolve:
    """Solve `inputs` with the units in `fixed_units` ((option, decision year) -> units)
    fixed; with `linearize` = n, quadratic terms as n tangent cuts each (model.py)."""
    start = time.perf_counter()
    model, build, compile_ = compiled(inputs, linearize)
    lookup = time.perf_counter() - start - build - compile_
    start = time.perf_counter()
    values = model.parameters(inputs)
    fixed = {("units", key): float(n) for key, n in (fixed_units or {}).items()}
    form = model.form(values, fixed)
    update = time.perf_counter() - start
    start = time.perf_counter()
    solution = solver.solve(form, options or inputs.scenario.solver, duals=duals)
    timings = {"build": build, "compile": compile_, "update": lookup + update,
               "solve": time.perf_counter() - start}
    return EngineSolve(model, values, fixed, solution, form.kind, timings)


def standard_form(inputs: Inputs) -> solver.StandardForm:
    """The standard form of the model `inputs` solve (for export and benchmarks)."""
    model, _, _ = compiled(inputs)
    return model.form(model.parameters(inputs))


def series(result: EngineSolve, variable: str) -> pd.Series:
    """A variable's solution values by index, e.g. series(result, "flow")."""
    keys, cols = result.compiled.families[variable]
    return pd.Series(result.solution.x[cols], index=keys)
