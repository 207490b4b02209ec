"""The optimisation model of Russia's gas export choices (pyomo).

    max  NPV = sum_y W_y * [ K * ( sum_{m,k} (alpha x - beta x^2 / 2)        market terms
                                   - sum_b C_b(P_b)                          production cost
                                   - sum_r (u_r + g_r) F_r )                 transport cost
                             - sum_o A_o * units online                      new capacity
                             + sum_blocks (their terms) ]                    structures' blocks

W_y: discounted years of period y; K = 0.0358 USD bn per (bcm x USD/MMBtu); x: sales on a
demand segment [bcm/y] (see demand.py for alpha, beta by market structure); C_b: production
cost, c P + d P^2 / 2 (linear marginal cost) or stepped tranches; F_r: flow on a route
[bcm/y]; u_r: the seller's transport cost to the market's border, g_r: the buyer's delivery
cost from the border to the market's demand (China's inland transport) [USD/MMBtu]; A_o:
annuity plus fixed O&M per unit of an investment option [USD bn/y]. A new unit's capacity
ramps up over its first years online (`online_share`).

A market structure may add model blocks (`Block`: sets, parameters, variables,
constraints and yearly objective terms), e.g. Cournot competition among suppliers
(structures/cournot.py); `build_model` lists the core blocks, then the structures' ones.

Numeric inputs are mutable Params (`parameter_values`), so the compiled model (engine.py)
takes a change of value (prices, costs, capacities, availabilities, demand curves, the
discount rate) as new numbers in its matrices. Some values shape the model and need a
rebuild: which routes have a contracted minimum flow or options a minimum build, the
variables' domains, the tangent points of a linearised model; `structure_key` digests them.
`build_model` lists the blocks.
"""

from __future__ import annotations

import hashlib
import math
import weakref
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from energymodel.inputs import Inputs
from energymodel.units import K


def build_model(inp: Inputs, linearize: int = 0) -> pyo.ConcreteModel:
    """The model of `inp`. With `linearize` = n > 0, quadratic terms become n tangent cuts
    each (a MILP when investment is lumpy, since HiGHS solves no MIQP)."""
    m = pyo.ConcreteModel(name=inp.scenario.name)
    define_sets(m, inp)
    define_parameters(m, inp)
    define_variables(m, inp)
    basin_production_balance(m)
    basin_capacity_max(m)
    basin_reserves_max(m)
    supply_steps_balance(m)
    route_flow_max(m)
    route_flow_min(m)
    market_sales_balance(m)
    option_units_max(m)
    option_units_min(m)
    for block in inp.blocks:
        block.define(m, inp)
    define_objective(m, linearize, inp.blocks)
    return m


def _index(frame) -> list:
    return list(frame.index)


def define_sets(m: pyo.ConcreteModel, inp: Inputs) -> None:
    """Index sets; sparse sets hold only the combinations that exist."""
    m.YEARS = pyo.Set(initialize=list(inp.years.index), ordered=True)
    m.BASINS = pyo.Set(initialize=list(inp.basins.index))
    m.ROUTES = pyo.Set(initialize=list(inp.routes.index))
    m.MARKETS = pyo.Set(initialize=list(inp.markets.index))
    m.OPTIONS = pyo.Set(initialize=list(inp.options.index))
    m.BASIN_YEARS = pyo.Set(initialize=_index(inp.basin_years), dimen=2)
    m.ROUTE_YEARS = pyo.Set(initialize=_index(inp.route_years), dimen=2)
    m.MARKET_YEARS = pyo.Set(initialize=_index(inp.market_years), dimen=2)
    m.SEGMENTS = pyo.Set(initialize=_index(inp.segments), dimen=3)  # (market, year, k)
    m.STEPS = pyo.Set(initialize=_index(inp.supply_steps), dimen=3)  # (basin, year, k)
    m.DECISIONS = pyo.Set(initialize=list(inp.decisions.itertuples(index=False)), dimen=2)
    m.RESERVE_BASINS = pyo.Set(initialize=list(inp.basins.index[inp.basins["reserves"].notna()]))
    m.MIN_FLOW_ROUTE_YEARS = pyo.Set(
        initialize=_index(inp.route_years[inp.route_years["min_flow"] > 0]), dimen=2)
    routes = inp.routes
    m.ROUTES_FROM = pyo.Set(m.BASINS, initialize=lambda m, b: list(routes.index[
        routes["basin"] == b]))
    m.ROUTES_TO = pyo.Set(m.MARKETS, initialize=lambda m, k: list(routes.index[
        routes["market"] == k]))
    segments_of = inp.segments.index.to_frame(index=False).groupby(["market", "year"])["segment"]
    m.SEGMENTS_OF = pyo.Set(m.MARKET_YEARS, initialize=lambda m, k, y: list(
        segments_of.get_group((k, y))))
    steps_of = {key: list(g) for key, g in inp.supply_steps.index.to_frame(index=False)
                .groupby(["basin", "year"])["step"]}
    m.STEPS_OF = pyo.Set(m.BASIN_YEARS, initialize=lambda m, b, y: steps_of.get((b, y), []))
    online = inp.option_online.merge(inp.options[["route"]], left_on="option", right_index=True)
    online_at = {key: list(zip(g["option"], g["decision_year"], strict=True))
                 for key, g in online.groupby(["route", "year"])}
    # (option, decision year) whose units produce on route r in year y
    m.UNITS_ONLINE = pyo.Set(m.ROUTE_YEARS, dimen=2,
                             initialize=lambda m, r, y: online_at.get((r, y), []))
    decided = inp.decisions.groupby("option")["decision_year"]
    m.DECISION_YEARS = pyo.Set(m.OPTIONS, initialize=lambda m, o: list(
        decided.get_group(o)) if o in decided.groups else [])
    m.ONLINE = pyo.Set(initialize=list(inp.option_online[["option", "decision_year", "year"]]
                                       .itertuples(index=False, name=None)), dimen=3)
    running = {key: list(g) for key, g in
               inp.option_online.groupby(["option", "year"])["decision_year"]}
    # decision years whose units of option o produce in year y
    m.DECISIONS_ONLINE = pyo.Set(m.OPTIONS, m.YEARS,
                                 initialize=lambda m, o, y: running.get((o, y), []))


# Parameter name -> (index set, unit). Values come from `parameter_values`, in the order of
# the index set, so that the compiled model (engine.py) can take a whole array per parameter.
PARAMETERS = {
    "weight": ("YEARS", "discounted years of period"),
    "length": ("YEARS", "calendar years of period"),
    "basin_capacity": ("BASIN_YEARS", "bcm/y"),
    "mc_intercept": ("BASINS", "USD/MMBtu"),
    "mc_slope": ("BASINS", "USD/MMBtu per bcm/y"),
    "cost_curvature": ("BASINS", "USD/MMBtu per bcm/y: d, times 1 + phi where a monopsony "
                                 "buyer takes all output"),
    "reserves": ("RESERVE_BASINS", "bcm"),
    "step_width": ("STEPS", "bcm/y"),
    "step_cost": ("STEPS", "USD/MMBtu"),
    "route_capacity": ("ROUTE_YEARS", "bcm/y"),
    "availability": ("ROUTE_YEARS", "share"),
    "unit_cost": ("ROUTE_YEARS", "USD/MMBtu"),
    "delivery_cost": ("ROUTE_YEARS", "USD/MMBtu, paid by the buyer from the border"),
    "min_flow": ("MIN_FLOW_ROUTE_YEARS", "bcm/y"),
    "unit_size": ("OPTIONS", "bcm/y per unit"),
    "max_units": ("OPTIONS", "units"),
    "min_units": ("OPTIONS", "units"),
    "annual_cost": ("OPTIONS", "USD bn per unit per year online"),
    "online_share": ("ONLINE", "share of a unit's capacity running in its year (ramp-up)"),
    "alpha": ("SEGMENTS", "USD/MMBtu"),
    "beta": ("SEGMENTS", "USD/MMBtu per bcm/y"),
    "width": ("SEGMENTS", "bcm/y, inf for the last segment"),
}


def parameter_values(inp: Inputs, indexed: bool = True) -> dict[str, pd.Series]:
    """Every numeric input of the model, the blocks' included, indexed as its parameter
    (`indexed` False: see core_parameter_values)."""
    return {**core_parameter_values(inp, indexed),
            **{name: values for block in inp.blocks
               for name, values in block.parameter_values(inp).items()}}


def core_parameter_values(inp: Inputs, indexed: bool = True) -> dict[str, pd.Series]:
    """The core model's numeric inputs (PARAMETERS), indexed as their parameters, in the
    units of schema/parameters.csv. With `indexed` False, online_share keeps the row
    positions of option_online (same order): the compiled model reads values by position,
    and indexing it took a third of a sweep point's own time."""
    online = inp.option_online
    ry, seg, steps, options, basins = (inp.route_years, inp.segments, inp.supply_steps,
                                       inp.options, inp.basins)
    return {
        "weight": inp.years["weight"], "length": inp.years["length"],
        "basin_capacity": inp.basin_years["capacity"],
        "mc_intercept": basins["mc_intercept"], "mc_slope": basins["mc_slope"],
        "cost_curvature": basins["mc_slope"] * (1 + basins["buyer_markup"]),
        "reserves": basins["reserves"].dropna(),
        "step_width": steps["width"], "step_cost": steps["cost"],
        "route_capacity": ry["capacity"], "availability": ry["availability"],
        "unit_cost": ry["unit_cost"], "delivery_cost": ry["delivery_cost"],
        "min_flow": ry["min_flow"][ry["min_flow"] > 0],
        "unit_size": options["unit_size"], "max_units": options["max_units"],
        "min_units": options["min_units"], "annual_cost": options["annual_cost"],
        "online_share": (online.set_index(["option", "decision_year", "year"])["share"]
                         if indexed else online["share"]),
        "alpha": seg["alpha"], "beta": seg["beta"], "width": seg["width"],
    }


def structure_key(inp: Inputs, linearize: int = 0, memo: Digests | None = None) -> str:
    """A digest of everything `build_model` reads from `inp` except the parameter values:
    the index sets, which routes and options connect what, which constraints exist, the
    variables' domains. Two inputs with the same key give models that differ only in their
    parameter values (with `linearize`, the tangent points depend on values too, so these
    are part of the key). `memo` remembers the digests of indexes and frames while they
    live (inputs derived from one another share most of them)."""
    ry = inp.route_years
    parts = [inp.years.index, inp.basins.index, inp.routes, inp.markets.index,
             repr(list(inp.options["route"].items())), inp.basin_years.index, ry.index,
             inp.market_years.index, inp.segments.index, inp.supply_steps.index,
             (inp.option_online, ("option", "decision_year", "year")),
             inp.basins["reserves"].notna().to_numpy(),
             (ry["min_flow"] > 0).to_numpy(), (inp.options["min_units"] > 0).to_numpy()]
    parts += [block.key(inp) for block in inp.blocks]
    if linearize:
        parts += [v.to_numpy(dtype=float) for v in parameter_values(inp).values()]
    digest = hashlib.sha256(f"{inp.scenario.investment}|{linearize}".encode())
    for part in parts:
        digest.update(memo.digest(part) if memo is not None else _digest(part))
    return digest.hexdigest()


def _digest(part) -> bytes:
    """Digest of a string, array, index, frame (labels and values, in order) or (frame,
    columns) pair (those columns' values)."""
    if isinstance(part, str):
        return hashlib.sha256(part.encode()).digest()
    if isinstance(part, np.ndarray):
        return hashlib.sha256(part.tobytes() + str(part.shape).encode()).digest()
    if isinstance(part, tuple):
        frame, columns = part
        return _digest(frame[list(columns)].reset_index(drop=True))
    if isinstance(part, pd.MultiIndex):
        # its levels and codes determine its labels (4x quicker than hashing the labels);
        # indexes built alike, as the inputs of one scenario's variants are, digest alike
        hasher = hashlib.sha256(repr(list(part.names)).encode())
        for level, codes in zip(part.levels, part.codes, strict=True):
            hasher.update(pd.util.hash_pandas_object(level, index=False).to_numpy().tobytes())
            hasher.update(np.asarray(codes).tobytes() + b"|")
        return hasher.digest()
    if isinstance(part, pd.Index):
        hashed = pd.util.hash_pandas_object(part.to_frame(index=False), index=False)
        names = repr(list(part.names))
    else:
        hashed = pd.util.hash_pandas_object(part, index=True)
        names = repr(list(part.columns))
    return hashlib.sha256(hashed.to_numpy().tobytes() + names.encode()).digest()


class Digests:
    """Digests of indexes and frames, remembered while each object lives (pandas indexes
    are immutable; the frames digested are never modified in place: inputs change by
    `dataclasses.replace`). A session keeps one."""

    def __init__(self, size: int = 10_000):
        self.size = size
        self._known: dict[int | tuple, tuple[weakref.ref, bytes]] = {}

    def digest(self, part) -> bytes:
        if isinstance(part, str | np.ndarray):
            return _digest(part)
        owner = part[0] if isinstance(part, tuple) else part  # the object whose life counts
        key = (id(owner), part[1]) if isinstance(part, tuple) else id(part)
        known = self._known.get(key)
        if known is not None and known[0]() is owner:
            return known[1]
        value = _digest(part)
        if len(self._known) >= self.size:
            self._known.clear()
        self._known[key] = (weakref.ref(owner), value)
        return value


def define_parameters(m: pyo.ConcreteModel, inp: Inputs) -> None:
    """All numeric inputs as mutable parameters, in the units of schema/parameters.csv."""
    for name, values in core_parameter_values(inp).items():
        index, doc = PARAMETERS[name]
        m.add_component(name, pyo.Param(m.component(index), initialize=dict(values.items()),
                                        mutable=True, within=pyo.Any, doc=doc))


def define_variables(m: pyo.ConcreteModel, inp: Inputs) -> None:
    """Flows, production, sales by demand segment, supply tranches and investment units."""
    m.flow = pyo.Var(m.ROUTE_YEARS, domain=pyo.NonNegativeReals, doc="bcm/y")
    m.production = pyo.Var(m.BASIN_YEARS, domain=pyo.NonNegativeReals, doc="bcm/y")
    m.sales = pyo.Var(m.SEGMENTS, domain=pyo.NonNegativeReals,
                      bounds=lambda m, *s: (0, m.width[s]), doc="bcm/y")
    m.step_output = pyo.Var(m.STEPS, domain=pyo.NonNegativeReals,
                            bounds=lambda m, *s: (0, m.step_width[s]), doc="bcm/y")
    lumpy = inp.scenario.investment == "lumpy"
    m.units = pyo.Var(m.DECISIONS,
                      domain=pyo.NonNegativeIntegers if lumpy else pyo.NonNegativeReals,
                      doc="units of an option decided in a year")


def basin_production_balance(m: pyo.ConcreteModel) -> None:
    """A basin's output leaves on its routes [bcm/y]. Dual: the value of gas at the basin
    (its netback)."""
    m.basin_production_balance = pyo.Constraint(
        m.BASIN_YEARS,
        rule=lambda m, b, y: m.production[b, y] == sum(m.flow[r, y] for r in m.ROUTES_FROM[b]))


def basin_capacity_max(m: pyo.ConcreteModel) -> None:
    """Production is limited by the basin's capacity [bcm/y]."""
    m.basin_capacity_max = pyo.Constraint(
        m.BASIN_YEARS, rule=lambda m, b, y: m.production[b, y] <= m.basin_capacity[b, y])


def basin_reserves_max(m: pyo.ConcreteModel) -> None:
    """Production over the horizon is limited by reserves, where the data give them [bcm]."""
    m.basin_reserves_max = pyo.Constraint(
        m.RESERVE_BASINS,
        rule=lambda m, b: sum(m.length[y] * m.production[b, y] for y in m.YEARS)
        <= m.reserves[b])


def supply_steps_balance(m: pyo.ConcreteModel) -> None:
    """With stepped supply cost, production is the sum of its cost tranches [bcm/y]."""
    m.supply_steps_balance = pyo.Constraint(
        m.BASIN_YEARS,
        rule=lambda m, b, y: sum(m.step_output[b, y, k] for k in m.STEPS_OF[b, y])
        == m.production[b, y] if len(m.STEPS_OF[b, y]) else pyo.Constraint.Skip)


def route_capacity(m: pyo.ConcreteModel, r: str, y: int):
    """Existing capacity plus the units of investment options online, each at its share of
    the ramp-up [bcm/y]."""
    return m.route_capacity[r, y] + sum(m.unit_size[o] * m.online_share[o, d, y] * m.units[o, d]
                                        for o, d in m.UNITS_ONLINE[r, y])


def route_flow_max(m: pyo.ConcreteModel) -> None:
    """Flow on a route is limited by its available capacity [bcm/y]."""
    m.route_flow_max = pyo.Constraint(
        m.ROUTE_YEARS,
        rule=lambda m, r, y: m.flow[r, y] <= m.availability[r, y] * route_capacity(m, r, y))


def route_flow_min(m: pyo.ConcreteModel) -> None:
    """Contracted minimum flows (take-or-pay) are delivered [bcm/y]."""
    m.route_flow_min = pyo.Constraint(
        m.MIN_FLOW_ROUTE_YEARS, rule=lambda m, r, y: m.flow[r, y] >= m.min_flow[r, y])


def market_sales_balance(m: pyo.ConcreteModel) -> None:
    """What a market buys along its demand curve arrives on its routes [bcm/y]. Dual: the
    marginal value of gas in the market (the price where competitive)."""
    m.market_sales_balance = pyo.Constraint(
        m.MARKET_YEARS,
        rule=lambda m, k, y: sum(m.flow[r, y] for r in m.ROUTES_TO[k])
        == sum(m.sales[k, y, s] for s in m.SEGMENTS_OF[k, y]))


def option_units_max(m: pyo.ConcreteModel) -> None:
    """No more units of an option are built than it offers [units]."""
    m.option_units_max = pyo.Constraint(
        m.OPTIONS,
        rule=lambda m, o: sum(m.units[o, d] for d in m.DECISION_YEARS[o]) <= m.max_units[o]
        if len(m.DECISION_YEARS[o]) else pyo.Constraint.Skip)


def option_units_min(m: pyo.ConcreteModel) -> None:
    """Units decided outside the model are built [units]."""
    m.option_units_min = pyo.Constraint(
        m.OPTIONS,
        rule=lambda m, o: sum(m.units[o, d] for d in m.DECISION_YEARS[o]) >= m.min_units[o]
        if pyo.value(m.min_units[o]) > 0 else pyo.Constraint.Skip)


def define_objective(m: pyo.ConcreteModel, linearize: int, blocks: tuple = ()) -> None:
    """NPV of the gas surplus under the chosen market structures [USD bn]: Hashimoto's
    equivalent optimisation, whose optimum is the markets' equilibrium (demand.py); with
    one supplier, Russia's NPV."""
    stepped = len(m.STEPS) > 0
    m.market_quadratic = _quadratic(m, "market_quadratic", m.SEGMENTS, m.sales, m.beta,
                                    _sales_bound, linearize)
    m.production_quadratic = _quadratic(m, "production_quadratic", m.BASIN_YEARS, m.production,
                                        m.cost_curvature, _production_bound, linearize,
                                        coef_index=lambda b, y: b, skip=stepped)

    def annual(m, y):
        markets = sum(m.alpha[k, y, s] * m.sales[k, y, s] - m.market_quadratic[k, y, s]
                      for k in m.MARKETS for s in m.SEGMENTS_OF[k, y])
        if stepped:
            production = sum(m.step_cost[b, y, s] * m.step_output[b, y, s]
                             for b in m.BASINS for s in m.STEPS_OF[b, y])
        else:
            production = sum(m.mc_intercept[b] * m.production[b, y]
                             + m.production_quadratic[b, y] for b in m.BASINS)
        transport = sum((m.unit_cost[r, y] + m.delivery_cost[r, y]) * m.flow[r, y]
                        for r in m.ROUTES)
        capacity = sum(m.annual_cost[o] * m.units[o, d]
                       for o in m.OPTIONS for d in m.DECISIONS_ONLINE[o, y])
        added = sum(block.annual(m, y) for block in blocks)
        return K * (markets - production - transport) - capacity + added

    m.annual_surplus = pyo.Expression(m.YEARS, rule=annual, doc="USD bn per year")
    m.npv = pyo.Objective(expr=sum(m.weight[y] * m.annual_surplus[y] for y in m.YEARS),
                          sense=pyo.maximize)


def _sales_bound(m, s) -> float:
    """Largest useful sales on a segment: its width, or where its marginal term hits zero."""
    alpha, beta, width = (pyo.value(p[s]) for p in (m.alpha, m.beta, m.width))
    return min(width, max(alpha, 0.0) / beta) if beta > 0 else width


def _production_bound(m, s) -> float:
    return pyo.value(m.basin_capacity[s])


def _quadratic(m, name: str, index, x, coef, bound, linearize: int, coef_index=None,
               skip: bool = False) -> pyo.Expression:
    """The convex term `coef * x^2 / 2` per index: exact, or (linearize = n) an epigraph
    variable above n tangents spread over [0, bound], which under-estimates the term by at
    most coef * (bound / (n - 1))^2 / 8."""
    key = coef_index or (lambda *s: s)
    if skip:
        return pyo.Expression(index, rule=lambda m, *s: 0)
    if not linearize:
        return pyo.Expression(index, rule=lambda m, *s: coef[key(*s)] * x[s] ** 2 / 2)
    points = {s: np.linspace(0, bound(m, s), linearize) for s in index
              if pyo.value(coef[key(*s)]) > 0 and math.isfinite(bound(m, s))}
    m.add_component(f"{name}_INDEX", pyo.Set(initialize=list(points), dimen=index.dimen))
    epigraph = pyo.Var(m.component(f"{name}_INDEX"), domain=pyo.NonNegativeReals)
    m.add_component(f"{name}_epigraph", epigraph)
    m.add_component(f"{name}_tangents", pyo.Constraint(
        m.component(f"{name}_INDEX"), range(linearize),
        rule=lambda m, *sj: _tangent(epigraph, x, coef[key(*sj[:-1])], sj[:-1],
                                     float(points[sj[:-1]][sj[-1]]))))
    return pyo.Expression(index, rule=lambda m, *s: epigraph[s] if s in points else 0)


def _tangent(epigraph, x, c, s, p: float):
    """epigraph >= the tangent of c x^2 / 2 at x = p."""
    return epigraph[s] >= c * p * p / 2 + c * p * (x[s] - p)


class Block(Protocol):
    """A family of model components a market structure adds to the model (its sets,
    mutable parameters, variables, constraints and yearly objective terms), e.g. Cournot
    competition (structures/cournot.py). Blocks are part of the inputs (`Inputs.blocks`),
    so every solve of a scenario, buyer-power variants included, carries them; their
    parameters are compiled like the core ones, so a sweep re-solves them."""

    def key(self, inp: Inputs) -> str:
        """What the block's structure depends on (not its parameter values), for
        `structure_key`."""
        ...

    def parameter_values(self, inp: Inputs) -> dict[str, pd.Series]:
        """The block's parameters, named uniquely in the model, indexed like their sets."""
        ...

    def define(self, m: pyo.ConcreteModel, inp: Inputs) -> None:
        """Add the block's sets, parameters (from `parameter_values`), variables and
        constraints to `m`."""
        ...

    def annual(self, m: pyo.ConcreteModel, y: int) -> Any:
        """The block's term of year y's objective [USD bn per year, undiscounted]."""
        ...


def add_parameters(m: pyo.ConcreteModel, values: dict[str, pd.Series],
                   index: dict[str, Any], docs: dict[str, str]) -> None:
    """Mutable parameters `values` on the sets `index` (name -> set), as the core ones."""
    for name, series in values.items():
        m.add_component(name, pyo.Param(index[name], initialize=dict(series.items()),
                                        mutable=True, within=pyo.Any, doc=docs.get(name, "")))
