"""The Python API: scenario in, results out. The CLI is a thin layer over it."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd

from energymodel import buyer_power, indicators, progress
from energymodel.errors import InputError
from energymodel.history import validation_table
from energymodel.inputs import prepare
from energymodel.results import Results, extract, manifest, npv
from energymodel.runner import solve_inputs
from energymodel.scenario import Scenario, load_scenario


def solve(scenario: Scenario | str | Path, dependence: bool = True) -> Results:
    """Solve a scenario (object or file) and return its results with their manifest.

    With a buyer-power market, the results include the price pressure against the
    benchmark; with `dependence` and a dependence lever in the scenario, the dependence curve.
    """
    timings: dict[str, float] = {}
    start = time.perf_counter()
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    inputs = prepare(scenario)
    timings["prepare"] = time.perf_counter() - start
    market = scenario.buyer_market()
    start = time.perf_counter()
    if market is None:
        solved, prices, extra, method = solve_inputs(inputs), {}, {}, None
    else:
        run = buyer_power.solve(inputs, market)
        solved, prices, extra, method = run.solved, {market: run.prices}, run.tables, run.method
    timings.update(solved.timings)
    timings["solve_all"] = time.perf_counter() - start
    start = time.perf_counter()
    tables = extract(solved.model, solved.inputs, solved.outcome, prices)
    weight = inputs.years["weight"]
    if market is not None:
        tables["markets"].loc[tables["markets"]["market"] == market, "structure"] = \
            scenario.markets[market].structure
        table = indicators.pressure_table(tables["flows"], tables["markets"], market,
                                        run.benchmark, run.benchmark_name)
        tables["pressure"] = table
        tables["summary"] = pd.concat([tables["summary"],
                                       indicators.pressure_summary(table, weight)],
                                      ignore_index=True)
    tables["stranded"] = indicators.stranded_capacity(tables["flows"])
    tables.update(extra)
    if scenario.fiscal is not None:
        budget = indicators.budget_table(tables["flows"], tables["basins"], scenario.fiscal)
        tables["budget"] = budget
        tables["summary"] = pd.concat([tables["summary"], pd.DataFrame(
            [("npv_budget_take", npv(budget, weight, "budget_take_usd_bn"), "USD bn")],
            columns=["metric", "value", "unit"])], ignore_index=True)
    if dependence and scenario.dependence is not None:
        tables["dependence"] = dependence_curve(scenario)
    validation = (validation_table(tables["flows"], inputs.data.history)
                  if scenario.horizon.step == 1 else None)  # observations are annual
    timings["extract"] = time.perf_counter() - start
    info = solved.method if method is None else {**method, "final_solve": solved.method}
    return Results(scenario=scenario, tables=tables, validation=validation, model=solved.model,
                   manifest=manifest(scenario, solved.inputs, solved.outcome, solved.model,
                                     timings, info))


def dependence_curve(scenario: Scenario) -> pd.DataFrame:
    """Price pressure against Russia's dependence on the buyer, one row per lever value."""
    market = scenario.buyer_market()
    if market is None:
        raise InputError(scenario.file(), "dependence", "a dependence curve needs a market "
                         "with buyer power (monopsony or bargaining)")
    rows = []
    for x in progress.each("dependence points", scenario.dependence.values):
        results = solve(scenario.at_lever(x), dependence=False)
        s = results.summary.set_index("metric")["value"]
        rows.append({"lever": scenario.dependence.lever, "value": x,
                     **{k: s[k] for k in s.index if k.startswith(("mean_", "npv_"))}})
    return pd.DataFrame(rows)
