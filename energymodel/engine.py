"""Compile once, re-solve many: the pyomo model as matrices whose numbers are recomputed
from parameter values without building the model again; and the session that keeps what a
run has compiled.

model.py writes every constraint, once. Compiling a built model asks pyomo for the standard
form of each constraint and of the objective with the parameters kept symbolic
(`generate_standard_repn(compute_values=False)`): every matrix entry, bound, cost and
Hessian entry is then an expression of mutable Params and numbers, such as
`weight[2030] * 0.0358 * alpha[china,2030,0]`. Expressions of one shape (same operators,
same parameters, different indices) form a group evaluated at once with numpy, so new
values become new matrices in well under a millisecond, and only the vectors that read a
changed parameter are recomputed. Operators are recognised by pyomo's public expression
classes (`pyomo.core.expr.numeric_expr`, the same from pyomo 6.7 to 6.10; tests/test_engine.py
checks the compiled matrices against pyomo's own evaluation).

Every solve goes through here and comes back as a `Solve`: the solution vectors with the
layout that names them (variable and constraint families by index), so results are read
from arrays, never from a pyomo model loaded with values. A `Session` holds a run's
caches: the data sets it read, the compiled models of the structures it met, one HiGHS
instance per set of options. `Session.solve(inputs)` looks up the compiled model of the
inputs' structure (model.structure_key: index sets, which constraints exist, variable
domains), builds and compiles it when absent, puts in the inputs' values and solves through
solver.py. Callers never choose between re-solve and rebuild: a change of structure (a
contracted minimum flow appears, lumpy investment, a linearised model, another horizon) has
another key.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path

import highspy
import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.core.expr import numeric_expr
from pyomo.repn import generate_standard_repn

from energymodel import solver
from energymodel.data import DataSet, load_dataset
from energymodel.inputs import Inputs
from energymodel.model import (
    Digests,
    build_model,
    parameter_values,
    structure_key,
)
from energymodel.scenario import SolverOptions
from energymodel.sparse import sp

CACHE_SIZE = 16  # compiled structures a session keeps (a few MB each at annual steps)


def _join(operator: str) -> Callable[[list[str]], str]:
    return lambda args: "(" + f" {operator} ".join(args) + ")"


def _reduce(function: str) -> Callable[[list[str]], str]:
    return lambda args: f"np.{function}.reduce(np.broadcast_arrays(" + ", ".join(args) + "))"


# How each kind of pyomo expression in a coefficient is written with numpy arrays, by its
# public base class (NPV_ variants, of parameters only, subclass them); first match wins.
_OPERATIONS: list[tuple[str, type | None, Callable[[list[str]], str]]] = [
    ("sum", numeric_expr.SumExpression, _join("+")),
    ("division", numeric_expr.DivisionExpression, _join("/")),
    ("product", numeric_expr.ProductExpression, _join("*")),
    ("negation", numeric_expr.NegationExpression, lambda args: f"(-{args[0]})"),
    ("power", numeric_expr.PowExpression, _join("**")),
    ("max", getattr(numeric_expr, "MaxExpression", None), _reduce("maximum")),
    ("min", getattr(numeric_expr, "MinExpression", None), _reduce("minimum")),
    ("abs", numeric_expr.AbsExpression, lambda args: f"np.abs({args[0]})"),
]
_WRITE = {name: write for name, _, write in _OPERATIONS}


def _subclasses(base: type) -> set[type]:
    subclasses: list[type] = base.__subclasses__()
    return {base, *(c for sub in subclasses for c in _subclasses(sub))}


# Each expression class pyomo defines, to its name in `_OPERATIONS` (first match wins): the
# walk in `_shape` looks a node's class up here instead of trying each base in turn.
_OPERATION_OF = {cls: name for name, base, _ in reversed(_OPERATIONS) if base is not None
                 for cls in _subclasses(base)}


def _operation(expression) -> str | None:
    """The name in `_OPERATIONS` of an expression's kind (None: no vectorised form)."""
    found = _OPERATION_OF.get(type(expression))
    return found if found is not None else next(
        (name for name, base, _ in _OPERATIONS
         if base is not None and isinstance(expression, base)), None)


class _Program:
    """Evaluates many coefficient expressions (of mutable Params and numbers) into one
    vector. A sum is split into its terms; terms of one shape (same operators and
    parameters, other indices) are evaluated together by one generated numpy expression,
    then added into their coefficients."""

    def __init__(self, expressions: list, lookup: dict[int, tuple[str, int]]):
        groups: dict[tuple, tuple[list[int], list[list[tuple[str, int]]]]] = {}
        for i, expression in enumerate(expressions):
            terms = (expression.args if isinstance(expression, numeric_expr.SumExpression)
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
            gathered = [(col[0][0], np.array([pos for _, pos in col])) for col in columns]
            source = _source(shape, iter(range(len(gathered))))
            function = eval(f"lambda a: {source}", {"np": np})  # source generated above
            self.groups.append((function, np.array(targets), gathered))
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
    operation = _operation(expression)
    if operation is None:
        raise TypeError(f"no vectorised form of {type(expression).__name__} (in {expression})")
    return (operation, *(_shape(arg, lookup, leaves) for arg in expression.args))


def _source(shape: tuple, leaf) -> str:
    """Python source of a shape: parameters as a[0], a[1], ... in the order of the leaves."""
    if shape[0] == "number":
        return repr(shape[1]) if np.isfinite(shape[1]) else f"float('{shape[1]}')"
    if shape[0] == "param":
        return f"a[{next(leaf)}]"
    return _WRITE[shape[0]]([_source(arg, leaf) for arg in shape[1:]])


def _families(keys: list[tuple[str, Hashable]]) -> dict[str, tuple[pd.Index, np.ndarray]]:
    """Positions grouped by component name: name -> (the positions' indices, positions)."""
    grouped: dict[str, tuple[list, list]] = {}
    for position, (name, index) in enumerate(keys):
        indices, positions = grouped.setdefault(name, ([], []))
        indices.append(index)
        positions.append(position)
    return {name: (pd.Index(indices, tupleize_cols=True), np.array(positions))
            for name, (indices, positions) in grouped.items()}


class CompiledModel:
    """A built model's standard form as programs of its parameters (see module docstring),
    with the layout that names its columns (variables) and rows (constraints)."""

    def __init__(self, model: pyo.ConcreteModel):
        lookup, order = {}, {}
        for param in model.component_objects(pyo.Param, descend_into=True):
            name = param.name  # the core's (model.PARAMETERS) and the blocks' parameters
            order[name] = list(param.keys())
            lookup.update({id(data): (name, i) for i, data in enumerate(param.values())})
        self.index_order = order
        columns = list(model.component_data_objects(pyo.Var, descend_into=True))
        if any(v.fixed for v in columns):
            raise ValueError("compile a model without fixed variables (fix them in solve)")
        column = {id(v): j for j, v in enumerate(columns)}
        # (variable name, index) of each column; (constraint name, index) of each row
        self.column_keys = [(v.parent_component().name, v.index()) for v in columns]
        self.column_of = {key: j for j, key in enumerate(self.column_keys)}
        self.families = _families(self.column_keys)
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
        rows = list(model.component_data_objects(pyo.Constraint, active=True))
        self.row_keys = [(c.parent_component().name, c.index()) for c in rows]
        self.row_families = _families(self.row_keys)
        entries, cols, coefs, lower, upper, constants = [], [], [], [], [], []
        for i, con in enumerate(rows):
            r = generate_standard_repn(con.body, compute_values=False, quadratic=False)
            if r.nonlinear_expr is not None:
                raise ValueError(f"{con.name} is not linear")
            entries += [i] * len(r.linear_vars)
            cols += [column[id(v)] for v in r.linear_vars]
            coefs += list(r.linear_coefs)
            lower.append(con.lower if con.has_lb() else -np.inf)
            upper.append(con.upper if con.has_ub() else np.inf)
            constants.append(r.constant)
        pattern = sp.csr_matrix((np.arange(1, len(coefs) + 1), (entries, cols)),
                                shape=(len(rows), len(columns)))
        self.pattern = pattern  # data: 1 + position of each entry in `coefs`
        self.a = _Program([coefs[k - 1] for k in pattern.data], lookup)
        self.row_lo, self.row_up = _Program(lower, lookup), _Program(upper, lookup)
        self.row_constant = _Program(constants, lookup)
        self.col_lo = _Program([v.lower if v.has_lb() else -np.inf for v in columns], lookup)
        self.col_up = _Program([v.upper if v.has_ub() else np.inf for v in columns], lookup)
        self.integer = np.array([v.is_integer() for v in columns], dtype=bool)
        self._names = ([v.name for v in columns], [c.name for c in rows])
        self._values: dict[str, np.ndarray] = {}
        self._vectors: dict[str, np.ndarray] = {}

    def parameters(self, inputs: Inputs) -> dict[str, np.ndarray]:
        """The inputs' parameter values as arrays in the model's index order."""
        values = {}
        for name, series in parameter_values(inputs, indexed=False).items():
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
        n = len(self.column_keys)
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
        return self._names


@dataclass(frozen=True)
class Solve:
    """One solve: the inputs it solved, its solution, and the layout that names the
    solution's columns and rows. Immutable: later solves of the same structure leave it
    as it is."""

    inputs: Inputs
    compiled: CompiledModel = field(repr=False)
    solution: solver.Solution
    kind: str  # LP, QP or MILP
    fixed: dict  # (variable name, index) -> value
    method: dict  # how it was solved, for the manifest
    timings: dict[str, float]
    # tables computed from this solve alone, kept with it (structures.base.money)
    derived: dict = field(default_factory=dict, repr=False, compare=False)

    def values(self, variable: str) -> pd.Series:
        """A variable's values by index, e.g. values("flow") (empty where it has none)."""
        if variable not in self.compiled.families:
            return pd.Series(dtype=float)
        keys, cols = self.compiled.families[variable]
        return pd.Series(self.solution.x[cols], index=keys)

    def duals(self, constraint: str) -> pd.Series | None:
        """A constraint family's duals by index, d objective / d binding bound [USD bn per
        unit of the row] (empty where it has no rows; None for a MILP)."""
        if self.solution.row_duals is None:
            return None
        if constraint not in self.compiled.row_families:
            return pd.Series(dtype=float)
        keys, rows = self.compiled.row_families[constraint]
        return pd.Series(self.solution.row_duals[rows], index=keys)

    @property
    def objective(self) -> float:
        return self.solution.objective

    def units(self) -> dict:
        """(option, decision year) -> units, rounded (for a MILP's builds)."""
        return {key: float(round(n)) for key, n in self.values("units").items()}

    def size(self) -> dict[str, int]:
        """Unfixed variables and constraints of the model solved."""
        return {"variables": len(self.compiled.column_keys) - len(self.fixed),
                "constraints": len(self.compiled.row_keys)}


def has_quadratic_terms(inputs: Inputs) -> bool:
    """Whether the objective is quadratic: a sloped demand segment or linear marginal cost."""
    slopes = inputs.segments["beta"] > 0
    linear_cost = inputs.scenario.supply_cost == "linear" and \
        bool((inputs.basins["mc_slope"] > 0).any())
    return bool(slopes.any()) or linear_cost


class Session:
    """What one run (a CLI command, a notebook loop, a sweep worker) keeps between solves:
    the data sets it read, the compiled models of the structures it met (the last
    `cache_size`) and one HiGHS instance per set of solver options. Nothing is kept outside
    a session; two sessions share nothing.

        session = Session()
        for rate in (0.05, 0.08, 0.10):
            em.solve(scenario.updated(discount_rate=rate), session=session)  # re-solves
    """

    def __init__(self, cache_size: int = CACHE_SIZE):
        self.cache_size = cache_size
        self._compiled: OrderedDict[str, CompiledModel] = OrderedDict()
        self._datasets: dict[tuple[str, str], DataSet] = {}
        self._highs: dict[tuple, highspy.Highs] = {}
        self._digests = Digests()

    def dataset(self, directory: str | Path) -> DataSet:
        """The validated data set of a directory: read again only if a byte changed (its
        SHA-256 is checked every time)."""
        where = (str(directory), str(Path(directory).resolve()))
        data = load_dataset(directory, self._datasets.get(where))
        self._datasets[where] = data
        return data

    def compiled(self, inputs: Inputs, linearize: int = 0) -> tuple[CompiledModel, float,
                                                                      float]:
        """The compiled model of the inputs' structure, kept or built and compiled now (with
        the seconds spent building and compiling, 0 when kept)."""
        key = structure_key(inputs, linearize, self._digests)
        if key in self._compiled:
            self._compiled.move_to_end(key)
            return self._compiled[key], 0.0, 0.0
        start = time.perf_counter()
        model = build_model(inputs, linearize=linearize)
        built = time.perf_counter()
        result = CompiledModel(model)
        self._compiled[key] = result
        while len(self._compiled) > self.cache_size:
            self._compiled.popitem(last=False)
        return result, built - start, time.perf_counter() - built

    def form(self, inputs: Inputs) -> solver.StandardForm:
        """The standard form of the model of `inputs` (for export, benchmarks, bilevel)."""
        model, _, _ = self.compiled(inputs)
        return model.form(model.parameters(inputs))

    def highs(self, options: SolverOptions) -> highspy.Highs:
        """This session's HiGHS instance for these options (a new model passed to it solves
        from scratch)."""
        key = (options.threads, options.mip_rel_gap, options.time_limit)
        if key not in self._highs:
            self._highs[key] = solver.highs_instance(options)
        return self._highs[key]

    def solve_form(self, inputs: Inputs, fixed_units: dict | None = None, linearize: int = 0,
                   duals: bool = True) -> Solve:
        """One solve of `inputs` with the units in `fixed_units` ((option, decision year) ->
        units) fixed; with `linearize` = n, quadratic terms as n tangent cuts each."""
        start = time.perf_counter()
        model, build, compile_ = self.compiled(inputs, linearize)
        lookup = time.perf_counter() - start - build - compile_
        start = time.perf_counter()
        values = model.parameters(inputs)
        fixed = {("units", key): float(n) for key, n in (fixed_units or {}).items()}
        form = model.form(values, fixed)
        update = time.perf_counter() - start
        start = time.perf_counter()
        options = inputs.scenario.solver
        solution = solver.solve(form, options, duals=duals, highs=self.highs(options))
        timings = {"build": build, "compile": compile_, "update": lookup + update,
                   "solve": time.perf_counter() - start}
        return Solve(inputs, model, solution, form.kind, fixed,
                     {"solver": f"{solution.solver} ({form.kind})"}, timings)

    def solve(self, inputs: Inputs, fixed_units: dict | None = None) -> Solve:
        """Solve. Lumpy investment is decided by a MILP first, then every flow, price and
        dual comes from the continuous problem solved again with the builds fixed.

        No solver here takes a MIQP: where the objective is quadratic, the MILP replaces
        each quadratic term by tangent cuts (an upper bound on the objective, reported as
        milp_objective_usd_bn) to choose the builds; the exact QP then prices them.
        `fixed_units` ((option, decision year) -> units) imposes builds instead.
        """
        options = inputs.scenario.solver
        timings: dict[str, float] = {}
        fixed = dict(fixed_units or {})
        method: dict[str, str | float] = {"method": "LP/QP"}
        if inputs.scenario.investment == "lumpy" and len(inputs.decisions) > 0 and \
                len(fixed) < len(inputs.decisions):
            tangents = options.tangents if has_quadratic_terms(inputs) else 0
            milp = self.solve_form(inputs, fixed, linearize=tangents, duals=False)
            timings.update({f"{k}_milp": v for k, v in milp.timings.items()})
            fixed = milp.units()
            how = (f"MILP with {tangents} tangent cuts per quadratic term" if tangents
                   else "MILP")
            method = {"method": f"{how} to choose the builds, then the continuous problem "
                                "with the builds fixed",
                      "milp_objective_usd_bn": milp.objective}
        result = self.solve_form(inputs, fixed)
        return Solve(result.inputs, result.compiled, result.solution, result.kind,
                     result.fixed, {**method, **result.method},
                     {**timings, **result.timings, "solver": result.solution.seconds})
