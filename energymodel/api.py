"""The Python API: scenario in, results out. Orchestration only: prepare the inputs, run the
scenario's solve plan, extract the tables, add the indicators. The CLI is a thin layer over it.

Every function takes an optional `session` (engine.Session): the data sets and compiled
models a run keeps between solves. Without one, a call starts afresh; a loop of solves that
passes one session re-solves instead of rebuilding.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from energymodel import indicators, progress, structures
from energymodel.engine import Session
from energymodel.errors import InputError
from energymodel.history import validation_table
from energymodel.inputs import Inputs, tabulate
from energymodel.results import Results, extract, manifest
from energymodel.scenario import Scenario
from energymodel.scenario import load_scenario as read_scenario
from energymodel.structures.base import Plan


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge (`extends`) and validate a scenario file, each market's structure and
    its parameters included (a wrong structure or parameter fails here, not at solve)."""
    scenario = read_scenario(path)
    structures.specs(scenario)
    return scenario


def prepare(scenario: Scenario, session: Session | None = None) -> Inputs:
    """The scenario applied to its data, each market's structure applied to the inputs."""
    structures.specs(scenario)  # the market specs first: no data needed to reject them
    data = (session or Session()).dataset(scenario.data_dir)
    return structures.apply(tabulate(scenario, data))


def solve(scenario: Scenario | str | Path, dependence: bool = True,
          session: Session | None = None) -> Results:
    """Solve a scenario (object or file) and return its results with their manifest.

    With a buyer-power market, the results include the price pressure against the
    benchmark; with `dependence` and a dependence lever in the scenario, the dependence curve.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    session = session or Session()
    inputs, plan, tables, timings = solve_tables(scenario, session)
    start = time.perf_counter()
    if dependence and scenario.dependence is not None:
        tables["dependence"] = dependence_curve(scenario, session)
    validation = (validation_table(tables["flows"], inputs.data.history, tables["markets"])
                  if scenario.horizon.step == 1 else None)  # observations are annual
    if validation is not None:
        tables["validation"] = validation
    timings["extract"] += time.perf_counter() - start
    solved = plan.solve
    info = solved.method if plan.method is None else {**plan.method,
                                                       "final_solve": solved.method}
    return Results(scenario=scenario, tables={**tables, **plan.tables},
                   manifest=manifest(scenario, solved, timings, info))


def solve_tables(scenario: Scenario, session: Session
                  ) -> tuple[Inputs, Plan, dict[str, pd.DataFrame], dict[str, float]]:
    """The scenario prepared and solved: its inputs, solve plan, the results tables with
    the indicators (the summary among them), and the timings."""
    timings: dict[str, float] = {}
    start = time.perf_counter()
    inputs = prepare(scenario, session)
    timings["prepare"] = time.perf_counter() - start
    start = time.perf_counter()
    market, plan = structures.solve(inputs, session)
    timings.update(plan.solve.timings)
    timings["solve_all"] = time.perf_counter() - start
    start = time.perf_counter()
    tables = extract(plan.solve, plan.prices, plan.price_basis, plan.duals_from)
    tables["markets"]["structure"] = tables["markets"]["market"].map(
        {m: spec.structure for m, spec in scenario.markets.items()})
    if market is not None:
        structure, spec = structures.specs(scenario)[market]
        added = structure.indicators(inputs, market, spec, plan, tables)
        tables = indicators.with_tables(tables, added)
    tables = indicators.with_tables(tables, indicators.standard(tables, inputs))
    timings["extract"] = time.perf_counter() - start
    return inputs, plan, tables, timings


def dependence_curve(scenario: Scenario, session: Session | None = None) -> pd.DataFrame:
    """Price pressure against Russia's dependence on the buyer, one row per lever value
    (each point's summary: its results without the validation and the manifest)."""
    if structures.buyer_market(scenario) is None:
        raise InputError(scenario.file(), "dependence", "a dependence curve needs a market "
                         "with buyer power (monopsony or bargaining)")
    lever = scenario.dependence
    if lever is None:
        raise InputError(scenario.file(), "dependence", "no dependence lever in the scenario")
    session = session or Session()
    return indicators.dependence_curve(
        lever.lever, {x: solve_tables(scenario.at_lever(x), session)[2]["summary"]
                      for x in progress.each("dependence points", lever.values)})
