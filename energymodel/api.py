"""The Python API: scenario in, results out. Orchestration only: prepare the inputs, run the
scenario's solve plan, extract the tables, add the indicators. The CLI is a thin layer over it.

Every function takes an optional `session` (engine.Session): the data sets and compiled
models a run keeps between solves. Without one, a call starts afresh; a loop of solves that
passes one session re-solves instead of rebuilding.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
from pydantic import ValidationError

from energymodel import indicators, progress, structures
from energymodel.engine import Session
from energymodel.errors import InputError
from energymodel.history import validation_table
from energymodel.inputs import Inputs, tabulate
from energymodel.results import Results, extract, manifest
from energymodel.scenario import Driver, Scenario, input_error
from energymodel.scenario import load_scenario as read_scenario
from energymodel.structures.base import Plan

if TYPE_CHECKING:
    from energymodel.decomposition import Leverage


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


def leverage(scenario: Scenario | str | Path, drivers: dict | None = None,
             session: Session | None = None, executor: str = "processes",
             workers: int | None = None) -> Leverage:
    """Why the buyer has leverage: the change in its price for the exporter's gas (and in
    the NPV moved to it) from the reference world to the scenario, split by driver with
    Shapley values (energymodel.decomposition). `drivers` (id -> {name, reference, why} or a
    scenario.Driver) replaces the scenario's own `leverage.drivers`."""
    from energymodel.decomposition import leverage as decompose_leverage  # it imports this module

    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    given = None if drivers is None else {
        k: d if isinstance(d, Driver) else _driver(scenario, k, d) for k, d in drivers.items()}
    return decompose_leverage(scenario, given, session, executor, workers)


def with_studies(results: Results, uncertainty: str | Path | None = None,
                 executor: str = "processes", workers: int | None = None) -> Results:
    """The results with the studies their scenario names (or `uncertainty`, a sweep file
    that replaces its own study): the leverage decomposition (tables leverage,
    leverage_interactions, leverage_worlds) and the uncertainty study's ranges (p10, p50,
    p90 columns of the summary, prob_pressure_positive, table uncertainty_points). What
    `energymodel run` reports; a scenario without either is returned as it is."""
    from energymodel import uncertainty as ranges

    scenario, tables = results.scenario, dict(results.tables)
    studies, timings = {}, {}
    if scenario.leverage is not None:
        start = time.perf_counter()
        found = leverage(scenario, executor=executor, workers=workers)
        tables.update({"leverage": found.table, "leverage_interactions": found.interactions,
                       "leverage_worlds": found.worlds})
        studies["leverage"] = {"drivers": list(found.drivers), "active": list(found.active),
                               "worlds": len(found.worlds)}
        timings["leverage"] = time.perf_counter() - start
    study = uncertainty if uncertainty is not None else scenario.uncertainty
    if study is not None:
        start = time.perf_counter()
        points, about = ranges.study(scenario, study, executor, workers)
        tables["summary"] = ranges.ranges(tables["summary"], points, about["base_point"])
        tables["uncertainty_points"] = points
        studies["uncertainty"] = about
        timings["uncertainty"] = time.perf_counter() - start
    if not studies:
        return results
    manifest = {**results.manifest, "studies": studies,
                "timings_s": {**results.manifest["timings_s"],
                              **{k: round(v, 4) for k, v in timings.items()}}}
    return Results(scenario=scenario, tables=tables, manifest=manifest)


def _driver(scenario: Scenario, key: str, raw: object) -> Driver:
    if not isinstance(raw, dict):
        raise InputError(scenario.file(), f"drivers.{key}", "a driver is a mapping with "
                         "name, reference and (optionally) why")
    try:
        return Driver.model_validate(raw)
    except ValidationError as err:
        raise input_error(err, f"<drivers.{key}>", Driver) from None


def dependence_curve(scenario: Scenario, session: Session | None = None) -> pd.DataFrame:
    """Price pressure against Russia's dependence on the buyer, one row per lever value
    (each point's summary: its results without the validation and the manifest)."""
    if structures.buyer_market(scenario) is None:
        raise InputError(scenario.file(), "dependence", "a dependence curve needs a market "
                         "with buyer power (monopsony or bargaining)")
    lever = scenario.dependence
    session = session or Session()
    return indicators.dependence_curve(
        lever.lever, {x: solve_tables(scenario.at_lever(x), session)[2]["summary"]
                      for x in progress.each("dependence points", lever.values)})
