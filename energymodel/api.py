"""The Python API: scenario in, results out. Orchestration only: prepare the inputs, run the
scenario's solve plan, extract the tables, add the indicators. The CLI is a thin layer over it."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from energymodel import indicators, progress, structures
from energymodel.errors import InputError
from energymodel.history import validation_table
from energymodel.inputs import Inputs, tabulate
from energymodel.results import Results, extract, manifest
from energymodel.runner import Solved
from energymodel.scenario import Scenario, load_scenario
from energymodel.structures.base import Run


def prepare(scenario: Scenario) -> Inputs:
    """The scenario applied to its data, each market's structure applied to the inputs."""
    structures.specs(scenario)  # the market specs first: no data needed to reject them
    return structures.apply(tabulate(scenario))


def solve(scenario: Scenario | str | Path, dependence: bool = True) -> Results:
    """Solve a scenario (object or file) and return its results with their manifest.

    With a buyer-power market, the results include the price pressure against the
    benchmark; with `dependence` and a dependence lever in the scenario, the dependence curve.
    """
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    inputs, solved, run, tables, timings = _solve_tables(scenario)
    start = time.perf_counter()
    if dependence and scenario.dependence is not None:
        tables["dependence"] = dependence_curve(scenario)
    validation = (validation_table(tables["flows"], inputs.data.history)
                  if scenario.horizon.step == 1 else None)  # observations are annual
    timings["extract"] += time.perf_counter() - start
    info = (solved.method if run.method is None
            else {**run.method, "final_solve": solved.method})
    model = solved.model  # loads this solve's values into the shared model: read once
    return Results(scenario=scenario, tables={**tables, **run.tables}, validation=validation,
                   model=model, manifest=manifest(scenario, solved.inputs, solved.outcome,
                                                  model, timings, info))


def _solve_tables(scenario: Scenario) -> tuple[Inputs, Solved, Run, dict[str, pd.DataFrame],
                                               dict[str, float]]:
    """The scenario prepared and solved: its inputs, final solve, solve plan, the results
    tables with the indicators (the summary among them), and the timings."""
    timings: dict[str, float] = {}
    start = time.perf_counter()
    inputs = prepare(scenario)
    timings["prepare"] = time.perf_counter() - start
    start = time.perf_counter()
    market, run = structures.solve(inputs)
    solved = run.solved
    timings.update(solved.timings)
    timings["solve_all"] = time.perf_counter() - start
    start = time.perf_counter()
    tables = extract(solved.model, solved.inputs, solved.outcome, run.prices)
    tables["markets"]["structure"] = tables["markets"]["market"].map(
        {m: spec.structure for m, spec in scenario.markets.items()})
    if market is not None:
        structure, spec = structures.specs(scenario)[market]
        added = structure.indicators(inputs, market, spec, run, tables)
        tables = indicators.with_tables(tables, added)
    tables = indicators.with_tables(tables, indicators.standard(tables, inputs))
    timings["extract"] = time.perf_counter() - start
    return inputs, solved, run, tables, timings


def dependence_curve(scenario: Scenario) -> pd.DataFrame:
    """Price pressure against Russia's dependence on the buyer, one row per lever value
    (each point's summary: its results without the validation and the manifest)."""
    if structures.buyer_market(scenario) is None:
        raise InputError(scenario.file(), "dependence", "a dependence curve needs a market "
                         "with buyer power (monopsony or bargaining)")
    lever = scenario.dependence
    return indicators.dependence_curve(
        lever.lever, {x: _solve_tables(scenario.at_lever(x))[3]["summary"]
                      for x in progress.each("dependence points", lever.values)})
