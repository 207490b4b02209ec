"""An investment option (Power of Siberia 2 in the shipped data) as a decision under
uncertainty: build now, wait for the buyer's demand to reveal itself, or never
(definitions: docs/derivations.md, section 11).

The scenario tree. The market the option's route serves follows the scenario's own demand
pathway (the trunk) until the revelation year T; from T on it follows one branch's pathway,
with the branch's probability. A branch's world is the scenario solved with the trunk's
inputs before T and the branch pathway's inputs from T on (`spliced`).

Strategies, each a build plan of the option's full capacity (all its units: lumpy):
    now     decided in the first year the option can be decided, in every branch;
    wait    in each branch, knowing it: the best of building in a decision year >= T and
            never (the choice per branch is reported);
    never   not built.
Every plan is solved by forcing the option's units in the solves of the scenario's plan
(`_Forced`); the other options stay free (decided by the MILP, lumpy). With a bargaining
buyer the forced build is part of the deal (ex ante): the disagreement world, where the
option's route cannot carry gas, does not build it.

Two views of the same solves [USD bn]:
    national    Russia's gas profit NPV, exports and domestic sales (the exporter's routes;
                with a bargaining buyer, the payoff the bargain gives Russia);
    after_tax   the company's: national less the budget take (export duty on pipeline
                export revenue, extraction tax on production: the scenario's `fiscal`).
The value of waiting, its two parts (value of information and cost of delay), the
break-even price of the option's gas and the last decision year that still pays are
computed from the table of solved plans by `evaluate`, a pure function.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from energymodel import indicators, progress, structures
from energymodel.api import load_scenario, prepare
from energymodel.data import DataSet
from energymodel.engine import Session, Solve
from energymodel.errors import InputError, SolveError
from energymodel.inputs import Inputs
from energymodel.publish import json_bytes, publish, write_tables
from energymodel.results import exporter
from energymodel.safety import ResultsFolder
from energymodel.scenario import Branch, Decision, Override, Scenario
from energymodel.structures.base import money
from energymodel.units import K

VIEWS = ("national", "after_tax")
STRATEGIES = ("now", "wait", "never")
YEAR_TABLES = ("basin_years", "route_years", "market_years", "segments", "supply_steps")


# ----------------------------------------------------------------------------------------
# The decision arithmetic (pure): from solved plans to strategies, value of waiting,
# break-even prices and the last decision year that pays.

def evaluate(payoffs: pd.DataFrame, probability: pd.Series, now: int, revelation: int,
             duty: float) -> dict[str, pd.DataFrame]:
    """The decision from a table of solved plans.

    payoffs: one row per branch and plan: branch, decision_year (NaN: never built),
    national_usd_bn, after_tax_usd_bn, route_volume (sum of W_y K q_y on the option's route,
    USD bn per USD/MMBtu), route_revenue_usd_bn. Every branch needs the never plan and the
    plan `now`; `wait` takes the plans decided in `revelation` or later. probability: by
    branch, summing to 1. duty: the export duty's share of the route's revenue (a price
    shift on the route keeps 1 - duty of it after tax).

    Returns tables `strategies` (view, strategy, expected NPV), `branches` (per branch and
    view: NPV of each strategy and the choice when waiting) and `summary` (metric, view,
    value, unit).
    """
    p = probability.astype(float)
    never = payoffs[payoffs["decision_year"].isna()].set_index("branch")
    built = payoffs[payoffs["decision_year"].notna()]
    first = built[built["decision_year"] == now].set_index("branch")
    later = built[built["decision_year"] >= revelation]
    missing = [b for b in p.index if b not in never.index or b not in first.index]
    if missing:
        raise ValueError(f"branches without the never or the now plan: {missing}")
    strategies, branches, summary = [], [], []
    for view in VIEWS:
        column = f"{view}_usd_bn"
        n, b0 = never[column].reindex(p.index), first[column].reindex(p.index)
        # waiting: per branch the best plan decided at or after the revelation, or never
        by_year = later.pivot_table(index="branch", columns="decision_year", values=column,
                                    aggfunc="first").reindex(p.index)
        best_year = by_year.idxmax(axis=1) if by_year.shape[1] else pd.Series(
            np.nan, index=p.index)
        best_later = by_year.max(axis=1) if by_year.shape[1] else pd.Series(
            -np.inf, index=p.index)
        builds = best_later > n
        w = best_later.where(builds, n)
        e = {"now": float((p * b0).sum()), "never": float((p * n).sum()),
             "wait": float((p * w).sum())}
        committed = max(e["now"], e["never"])
        # the best plan decided at or after T without the information, in every branch
        later_committed = float((by_year.mul(p, axis=0)).sum(axis=0).max()) \
            if by_year.shape[1] else -np.inf
        information = e["wait"] - max(later_committed, e["never"])
        delay = committed - max(later_committed, e["never"])
        waiting = e["wait"] - committed
        # ties (to 1e-9 USD bn) go to the later strategy: never over wait over now
        best = max(STRATEGIES, key=lambda s: (round(e[s], 9), STRATEGIES.index(s)))
        volume = float((p * first["route_volume"].reindex(p.index)).sum())
        revenue = float((p * first["route_revenue_usd_bn"].reindex(p.index)).sum())
        kept = 1.0 - (duty if view == "after_tax" else 0.0)
        shift = (e["never"] - e["now"]) / (kept * volume) if volume > 0 and kept > 0 \
            else math.nan
        price = revenue / volume if volume > 0 else math.nan
        strategies += [{"view": view, "strategy": s, "expected_npv_usd_bn": e[s],
                        "best": s == best} for s in STRATEGIES]
        for branch in p.index:
            branches.append({
                "branch": branch, "view": view, "probability": float(p[branch]),
                "now_usd_bn": float(b0[branch]), "never_usd_bn": float(n[branch]),
                "wait_usd_bn": float(w[branch]),
                "wait_decision_year": float(best_year[branch]) if builds[branch] else math.nan,
                "wait_choice": (f"build in {int(best_year[branch])}" if builds[branch]
                                else "never"),
                "best_plan": _best_plan(payoffs[payoffs["branch"] == branch], column)})
        summary += [
            ("expected_npv_now", view, e["now"], "USD bn"),
            ("expected_npv_wait", view, e["wait"], "USD bn"),
            ("expected_npv_never", view, e["never"], "USD bn"),
            ("value_of_waiting", view, waiting, "USD bn"),
            ("value_of_information", view, information, "USD bn"),
            ("cost_of_delay", view, delay, "USD bn"),
            ("break_even_price_shift", view, shift, "USD/MMBtu"),
            ("option_route_price_now", view, price, "USD/MMBtu"),
            ("break_even_price", view, price + shift, "USD/MMBtu"),
            ("option_route_volume_now", view, volume, "USD bn per USD/MMBtu"),
            ("best_strategy", view, float(STRATEGIES.index(best)), "0 now, 1 wait, 2 never")]
    return {"strategies": pd.DataFrame(strategies), "branches": pd.DataFrame(branches),
            "summary": pd.DataFrame(summary, columns=["metric", "view", "value", "unit"])}


def _best_plan(rows: pd.DataFrame, column: str) -> str:
    """The branch's best plan with hindsight (known from the start): 'never' or the year."""
    top = rows.iloc[int(np.argmax(rows[column].to_numpy()))]
    return "never" if pd.isna(top["decision_year"]) else f"build in {int(top['decision_year'])}"


def last_paying_year(payoffs: pd.DataFrame, view: str = "after_tax") -> float:
    """The latest decision year whose plan is worth at least never in `view` [year], NaN
    when no year pays. payoffs: one world's rows (decision_year NaN: never)."""
    column = f"{view}_usd_bn"
    never = payoffs.loc[payoffs["decision_year"].isna(), column]
    if len(never) != 1:
        raise ValueError("one never plan is needed")
    built = payoffs[payoffs["decision_year"].notna()]
    paying = built.loc[built[column] >= float(never.iloc[0]), "decision_year"]
    return float(paying.max()) if len(paying) else math.nan


# ----------------------------------------------------------------------------------------
# The tree and the solves.

@dataclass(frozen=True)
class Tree:
    """A validated scenario tree: the option, its market and route, the revelation year,
    the branches and the model periods of the solves."""

    option: str
    route: str
    market: str
    units: float  # the option's full capacity, in units (the scenario's max_units)
    trunk: str  # the market's pathway before the revelation
    revelation_year: int
    branches: tuple[Branch, ...]
    step: int
    title: str = ""  # the option's name in the data
    capacity: float = 0.0  # units x unit size [the route's unit, bcm/y]

    @property
    def probability(self) -> pd.Series:
        return pd.Series({b.pathway: b.probability for b in self.branches}, dtype=float)


def option_of(scenario: Scenario, data: DataSet, option: str | None = None) -> str:
    """The option decided: `option`, the scenario's decision.option, or the largest option
    (units x unit size) on the exporter's routes into the buyer market (any market of the
    exporter's where the data name no buyer)."""
    given = option or (scenario.decision.option if scenario.decision else None)
    if given is not None:
        return given
    routes = data.routes
    own = list(routes.index[routes["supplier"] == data.exporter])
    if data.buyer is not None:
        own = [r for r in own if routes.at[r, "market"] == data.buyer]
    options = data.options[data.options["route"].isin(own)]
    if options.empty:
        raise InputError(scenario.file(), "decision.option", "no investment option on the "
                         "exporter's routes to decide: name one")
    size = {o: _static(data, o, "max_units") * _static(data, o, "unit_size")
            for o in options.index}
    return max(size, key=lambda o: (size[o], o))


def _static(data: DataSet, entity: str, parameter: str) -> float:
    values = data.series(entity, parameter)
    return float(values.iloc[0]) if len(values) else 0.0


def tree_of(scenario: Scenario, option: str | None = None,
            tree: Decision | dict | None = None, session: Session | None = None,
            branches: bool = True) -> Tree:
    """The scenario's tree (`tree` replaces its decision section) checked against the data;
    InputError names the field. Without `branches`, the tree has the trunk alone."""
    file = scenario.file()
    spec = tree if isinstance(tree, Decision) else Decision(**tree) if tree is not None else (
        scenario.decision or Decision())
    if option is not None:
        spec = Decision(**{**spec.model_dump(), "option": option})
    scenario = scenario.updated(decision=spec.model_dump())
    data = (session or Session()).dataset(scenario.data_dir)
    name = option_of(scenario, data)
    field_ = "--option" if option is not None else "decision.option"
    if name not in data.options.index:
        raise InputError(file, field_, f"no investment option '{name}' in the data (one of "
                         f"{', '.join(data.options.index)})")
    route = str(data.options.at[name, "route"])
    title = str(data.options.at[name, "name"])
    market = str(data.routes.at[route, "market"])
    if market not in scenario.markets:
        raise InputError(file, "markets", f"market '{market}' needs a structure")
    trunk = scenario.markets[market].pathway or scenario.pathway
    market_spec = structures.specs(scenario)[market][1]
    if getattr(market_spec, "holdup", None) == name:
        raise InputError(file, f"markets.{market}.holdup", f"the decision analysis sets the "
                         f"builds of '{name}' itself; its hold-up would choose them again")
    step = spec.step or scenario.horizon.step
    h = scenario.horizon
    years = range(h.start_year, h.end_year + 1, step)
    t = spec.revelation_year
    if t not in years:
        raise InputError(file, "decision.revelation_year", f"{t} is not the first year of a "
                         f"model period ({h.start_year} to {h.end_year} at {step}-year "
                         "steps)")
    if not branches:
        return Tree(option=name, route=route, market=market, units=0.0, trunk=trunk,
                    revelation_year=t, branches=(Branch(pathway=trunk, probability=1.0),),
                    step=step, title=title)
    cases = spec.branches
    known = data.pathways()
    after = {p for p in known if _market_values_after(data, market, p, t)}
    if cases is None:
        if not after:
            raise InputError(file, "decision.branches", f"the data give {market} no pathway "
                             f"after {t}: name the branches")
        cases = [Branch(pathway=p, probability=1.0 / len(after)) for p in sorted(after)]
    for i, b in enumerate(cases):
        if b.pathway not in known:
            raise InputError(file, f"decision.branches[{i}].pathway", f"no pathway "
                             f"'{b.pathway}' in the data (one of {', '.join(sorted(known))})")
        if b.pathway not in after:
            raise InputError(file, f"decision.branches[{i}].pathway", f"pathway "
                             f"'{b.pathway}' gives {market} no values after {t}")
    return Tree(option=name, route=route, market=market,
                units=0.0, trunk=trunk, revelation_year=t, branches=tuple(cases),
                step=step, title=title)


def _market_values_after(data: DataSet, market: str, pathway: str, year: int) -> bool:
    """Whether the data state values of `market` for `pathway` after `year`."""
    v = data.values
    rows = v[(v["entity"] == market) & (v["pathway"] == pathway)]
    return bool((rows["year"] > year).any())


def spliced(trunk: Inputs, branch: Inputs, year: int) -> Inputs:
    """The trunk's inputs before model year `year` and the branch's from it on: every
    table indexed by model year (basins', routes' and markets' years, demand segments,
    supply steps). Both inputs come from one scenario but for one market's pathway."""
    changes = {}
    for name in YEAR_TABLES:
        a, b = getattr(trunk, name), getattr(branch, name)
        late_a = a.index.get_level_values("year") >= year
        late_b = b.index.get_level_values("year") >= year
        if a.index.equals(b.index):
            table = a.copy()
            table.loc[late_a] = b.loc[late_b]
        else:
            table = pd.concat([a[~late_a], b[late_b]]).sort_index()
        changes[name] = table
    return replace(trunk, **changes)


class _Forced:
    """A session whose solves build `units` of `option` in `year` (none: never) wherever
    the inputs let the option's route carry gas, and none where they close it (a bargain's
    disagreement world). A build plan a caller fixes itself takes precedence. Everything
    else is the session's own (its compiled models are reused)."""

    def __init__(self, session: Session, option: str, route: str, year: int | None,
                 units: float):
        self._session, self.option, self.route = session, option, route
        self.year, self.units = year, units

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)

    def plan(self, inputs: Inputs) -> dict:
        """(option, decision year) -> units for these inputs."""
        decisions = inputs.decisions
        years = decisions.loc[decisions["option"] == self.option, "decision_year"]
        ry = inputs.route_years
        on_route = ry.index.get_level_values("route") == self.route
        open_ = bool((ry.loc[on_route, "availability"] > 0).any())
        return {(self.option, int(d)): (self.units if open_ and d == self.year else 0.0)
                for d in years}

    def solve(self, inputs: Inputs, fixed_units: dict | None = None) -> Solve:
        return self._session.solve(inputs, {**self.plan(inputs), **(fixed_units or {})})

    def solve_form(self, inputs: Inputs, fixed_units: dict | None = None, linearize: int = 0,
                   duals: bool = True) -> Solve:
        return self._session.solve_form(inputs, {**self.plan(inputs), **(fixed_units or {})},
                                        linearize, duals)


def outcome(inputs: Inputs, tree: Tree, year: int | None, session: Session) -> dict:
    """One world solved with one build plan of the option: the two views' NPVs and the
    option route's discounted volume and revenue."""
    forced = _Forced(session, tree.option, tree.route, year, tree.units)
    _, plan = structures.solve(inputs, forced)  # type: ignore[arg-type]
    built = {d: n for (o, d), n in plan.solve.units().items() if o == tree.option and n > 0}
    wanted = {} if year is None else {year: tree.units}
    if built != wanted:
        raise SolveError("not decidable", f"the scenario's solve chose the builds of "
                         f"{tree.option} itself ({built or 'none'} instead of "
                         f"{wanted or 'none'}); its market structure cannot be forced")
    t = money(plan.solve, plan.prices)
    inp = plan.solve.inputs
    flows = t["flows"].assign(
        kind=inp.routes["kind"].reindex(t["flows"]["route"]).to_numpy(),
        basin=inp.routes["basin"].reindex(t["flows"]["route"]).to_numpy())
    weight = inp.years["weight"]
    w = weight.reindex(flows["year"]).to_numpy()
    own = exporter(flows)
    national = float((own["profit_usd_bn"] * weight.reindex(own["year"]).to_numpy()).sum())
    exports = own[own["kind"] != "domestic"]
    export_profit = float((exports["profit_usd_bn"]
                           * weight.reindex(exports["year"]).to_numpy()).sum())
    fiscal = inp.scenario.fiscal
    if fiscal is None:  # tree_of requires fiscal terms for the after-tax view
        raise InputError(inp.scenario.file(), "fiscal", "the after-tax view needs the "
                         "scenario's fiscal terms")
    budget = indicators.budget_table(flows, t["basins"], fiscal)
    take = float((budget["budget_take_usd_bn"]
                  * weight.reindex(budget["year"]).to_numpy()).sum())
    on = (flows["route"] == tree.route).to_numpy()
    return {"decision_year": math.nan if year is None else float(year),
            "national_usd_bn": national, "after_tax_usd_bn": national - take,
            "export_profit_usd_bn": export_profit, "budget_take_usd_bn": take,
            "route_volume": float((flows["flow_bcm_per_y"].to_numpy() * K * w)[on].sum()),
            "route_revenue_usd_bn": float((flows["revenue_usd_bn"].to_numpy() * w)[on].sum())}


@dataclass
class DecisionResults:
    """The decision's tables and how they were computed."""

    scenario: Scenario
    tree: Tree
    tables: dict[str, pd.DataFrame]
    manifest: dict = field(default_factory=dict)

    def value(self, metric: str, view: str) -> float:
        s = self.tables["summary"]
        return float(s.loc[(s["metric"] == metric) & (s["view"] == view), "value"].iloc[0])

    def write(self, directory: str | Path | ResultsFolder, force: bool = False) -> Path:
        """Write the tables (CSV, parquet) and manifest.json into a new, empty or earlier
        decision folder (the rules of energymodel.safety), or a folder already claimed."""
        if isinstance(directory, ResultsFolder):
            return directory.replace(self._fill)
        protect = [self.scenario.data_dir, *filter(None, [self.scenario.source])]
        with ResultsFolder(directory, protect, force, argument="directory") as folder:
            return folder.replace(self._fill)

    def _fill(self, folder: Path) -> None:
        write_tables(folder, self.tables)
        publish(folder / "manifest.json", json_bytes(self.manifest))

    def text(self) -> str:
        """The decision as the command line prints it."""
        return decision_text(self)


def lumpy_inputs(scenario: Scenario, session: Session) -> Inputs:
    """The decision scenario's inputs; a structure that cannot take lumpy investment (the
    bilevel monopsony) is refused in words about the decision."""
    try:
        return prepare(scenario, session)
    except InputError as err:
        if err.field != "investment":
            raise
        raise InputError(err.file, "markets", "energymodel decide solves with lumpy "
                         f"investment, which this scenario's buyer power cannot take "
                         f"({err.reason}); decide a scenario with Nash bargaining, or with "
                         "the monopsony's qp method") from None


def decision_scenario(scenario: Scenario, tree: Tree) -> Scenario:
    """The scenario the decision solves: lumpy investment, the tree's model periods, no
    dependence curve, and no minimum build of the option (its plans set its builds)."""
    h = scenario.horizon
    free = Override(entity=tree.option, parameter="min_units", value=0.0)
    return scenario.updated(investment="lumpy", dependence=None,
                            horizon={**h.model_dump(), "step": tree.step},
                            overrides=[*scenario.overrides, free])


def decision_years(inputs: Inputs, tree: Tree) -> list[int]:
    """The model years in which the option can be decided and come online in the horizon."""
    d = inputs.decisions
    years = sorted(int(y) for y in d.loc[d["option"] == tree.option, "decision_year"])
    if not years:
        raise InputError(inputs.scenario.file(), "decision.option", f"option "
                         f"'{tree.option}' cannot be decided and run within the horizon")
    return years


def in_scenario(inputs: Inputs, tree: Tree) -> Tree:
    """The tree with the option's full capacity as the scenario has it (max_units and
    unit_size after its overrides); InputError if the scenario offers no unit of the option
    or closes its route in every year (then there is nothing to decide)."""
    file, o = inputs.scenario.file(), inputs.options.loc[tree.option]
    if o["max_units"] <= 0:
        raise InputError(file, "decision.option", f"the scenario offers no unit of option "
                         f"'{tree.option}' (max_units 0): nothing to decide")
    ry = inputs.route_years
    on = ry.index.get_level_values("route") == tree.route
    if not (ry.loc[on, "availability"] > 0).any():
        raise InputError(file, "decision.option", f"the route '{tree.route}' of option "
                         f"'{tree.option}' is closed in every year of the scenario: nothing "
                         "to decide")
    units, size = float(np.asarray(o["max_units"])), float(np.asarray(o["unit_size"]))
    return replace(tree, units=units, capacity=units * size)


def decide(scenario: Scenario | str | Path, option: str | None = None,
           tree: Decision | dict | None = None, session: Session | None = None
           ) -> DecisionResults:
    """The option as a decision under the scenario's tree (module docstring): every
    branch's world solved with never and with a build in every decision year; the
    strategies' expected NPVs in both views, the value of waiting, the break-even prices,
    each branch's choice and the last decision year that pays after tax."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if scenario.fiscal is None:
        raise InputError(scenario.file(), "fiscal", "the after-tax view needs the scenario's "
                         "fiscal terms (export_duty_pipeline, extraction_tax_usd_per_mmbtu)")
    session = session or Session()
    start = time.perf_counter()
    t = tree_of(scenario, option, tree, session)
    base = decision_scenario(scenario, t)
    trunk = lumpy_inputs(base, session)
    t = in_scenario(trunk, t)
    years = decision_years(trunk, t)
    rows = []
    worlds = {}
    for b in t.branches:
        if b.pathway == t.trunk:
            worlds[b.pathway] = trunk
            continue
        markets = {m: s.model_dump(exclude_none=True) for m, s in base.markets.items()}
        markets[t.market]["pathway"] = b.pathway
        worlds[b.pathway] = spliced(trunk, prepare(base.updated(markets=markets), session),
                                    t.revelation_year)
    if t.trunk not in worlds:  # the scenario's own world, for its last paying year
        worlds[t.trunk] = trunk
    plans = [None, *years]
    solves = 0
    for pathway, inputs in progress.each("decision worlds", list(worlds.items())):
        for year in plans:
            rows.append({"branch": pathway, **outcome(inputs, t, year, session)})
            solves += 1
    payoffs = pd.DataFrame(rows)
    in_tree = payoffs[payoffs["branch"].isin(t.probability.index)]
    tables = evaluate(in_tree, t.probability, years[0], t.revelation_year,
                      scenario.fiscal.export_duty_pipeline)
    last = {w: {v: last_paying_year(payoffs[payoffs["branch"] == w], v) for v in VIEWS}
            for w in worlds}
    tables["branches"]["last_paying_decision_year"] = [
        last[str(branch)][str(view)] for branch, view in
        zip(tables["branches"]["branch"], tables["branches"]["view"], strict=True)]
    own = last[t.trunk]
    tables["summary"] = pd.concat([tables["summary"], pd.DataFrame(
        [("last_paying_decision_year", v, own[v], "year") for v in VIEWS],
        columns=["metric", "view", "value", "unit"])], ignore_index=True)
    payoffs["probability"] = payoffs["branch"].map(t.probability).fillna(0.0)
    tables["payoffs"] = payoffs
    seconds = time.perf_counter() - start
    manifest = {
        "energymodel": _version(), "kind": "decision",
        "scenario": {"name": scenario.name, "file": scenario.file(),
                     "sha256": scenario.digest()},
        "tree": {"option": t.option, "route": t.route, "market": t.market,
                 "units": t.units, "trunk_pathway": t.trunk,
                 "revelation_year": t.revelation_year, "step": t.step,
                 "branches": [b.model_dump() for b in t.branches],
                 "decision_years": years, "now": years[0]},
        "solves": solves, "seconds": round(seconds, 2),
        "foresight": "each branch's world is solved knowing its branch from the start: "
                     "the other options' builds and the bargained price path are chosen "
                     "per branch (the option's own builds are forced)",
    }
    return DecisionResults(scenario=scenario, tree=t, tables=tables, manifest=manifest)


def _version() -> str:
    from energymodel._version import __version__
    return __version__


def last_paying_decision_year(scenario: Scenario | str | Path, option: str | None = None,
                              step: int | None = 5, view: str = "after_tax",
                              session: Session | None = None) -> float:
    """The latest year in which deciding to build the option (all its units) still pays in
    the scenario's own world, without a tree: the NPV of building then, in `view` (after
    tax by default), is at least that of never building [year]; NaN when no decision year
    pays. `step`: years per model period of the solves (None: the scenario's)."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    if view not in VIEWS:
        raise InputError(scenario.file(), "view", f"unknown view '{view}' (one of "
                         f"{', '.join(VIEWS)})")
    if view == "after_tax" and scenario.fiscal is None:
        raise InputError(scenario.file(), "fiscal", "the after-tax view needs the scenario's "
                         "fiscal terms")
    session = session or Session()
    t = tree_of(scenario, option, {"step": step, "revelation_year":
                                   scenario.horizon.start_year}, session, branches=False)
    trunk = lumpy_inputs(decision_scenario(scenario, t), session)
    t = in_scenario(trunk, t)
    rows = [outcome(trunk, t, year, session) for year in [None, *decision_years(trunk, t)]]
    return last_paying_year(pd.DataFrame(rows), view)


def decision_text(result: DecisionResults) -> str:
    """The printed decision: expected NPVs by strategy and view, the value of waiting and
    its parts, the break-even prices, each branch's choice, the last paying year."""
    t, m = result.tree, result.manifest
    v = result.value
    branches = ", ".join(f"{b.pathway} {b.probability:.3g}" for b in t.branches)
    now = m["tree"]["now"]
    lines = [
        f"Decision on {t.option} ({t.title}, {t.units:g} unit(s), {t.capacity:g} bcm/y) in "
        "scenario "
        f"{result.scenario.name}: {t.market}'s demand on {t.trunk} until "
        f"{t.revelation_year}, then one of: {branches}; {t.step}-year periods, lumpy "
        f"investment; {m['solves']} solves in {m['seconds']:.1f} s",
        f"{'Expected NPV [USD bn]':34}{'national':>12}{'after tax':>12}"]
    labels = {"now": f"build now ({now})", "wait": f"wait (decide from {t.revelation_year})",
              "never": "never"}
    for s in STRATEGIES:
        lines.append(f"  {labels[s]:32}" + "".join(
            f"{v(f'expected_npv_{s}', view):12.2f}" for view in VIEWS))
    best = {view: STRATEGIES[int(v("best_strategy", view))] for view in VIEWS}
    lines.append(f"  {'best':32}" + "".join(f"{best[view]:>12}" for view in VIEWS))
    for metric, label in (("value_of_waiting", "value of waiting"),
                          ("value_of_information", "  value of information"),
                          ("cost_of_delay", "  less cost of delay"),
                          ("break_even_price", "break-even price [USD/MMBtu]"),
                          ("break_even_price_shift", "  shift from the price now"),
                          ("last_paying_decision_year", "last paying decision year")):
        lines.append(f"  {label:32}" + "".join(
            f"{_shown(v(metric, view), metric):>12}" for view in VIEWS))
    price = v("option_route_price_now", "national")
    lines.append(f"Break-even: the {t.route} price (levelised, {price:.2f} USD/MMBtu when "
                 "built now) at which building now and never are worth the same in "
                 "expectation; last paying year: in the scenario's own world")
    lines.append("Choice when waiting, by branch (hindsight best in brackets):")
    b = result.tables["branches"]
    for branch, rows in b.groupby("branch", sort=False):
        by = rows.set_index("view")
        lines.append(f"  {branch:20} p={by['probability'].iloc[0]:.3g}  " + "; ".join(
            f"{view}: {by.at[view, 'wait_choice']!s} ({by.at[view, 'best_plan']!s})"
            for view in VIEWS))
    return "\n".join(lines)


def _shown(value: float, metric: str) -> str:
    if metric == "last_paying_decision_year":
        return "none" if math.isnan(value) else f"{value:.0f}"
    return f"{value:.2f}"
