"""The studies a scenario names, added to its results: the leverage decomposition
(energymodel.decomposition) and the uncertainty study's ranges (energymodel.uncertainty).
What `energymodel run` reports beyond the solve itself (`--point` skips them)."""

from __future__ import annotations

import time
from pathlib import Path

from energymodel.decomposition import leverage
from energymodel.results import Results
from energymodel.uncertainty import ranges
from energymodel.uncertainty import study as uncertainty_study


def with_studies(results: Results, uncertainty: str | Path | None = None,
                 executor: str = "processes", workers: int | None = None) -> Results:
    """The results with the studies their scenario names (or `uncertainty`, a sweep file
    that replaces its own study): the leverage decomposition (tables leverage,
    leverage_interactions, leverage_worlds) and the uncertainty study's ranges (p10, p50,
    p90 columns of the summary, prob_pressure_positive, table uncertainty_points). What
    `energymodel run` reports; a scenario without either is returned as it is."""
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
        points, about = uncertainty_study(scenario, study, executor, workers)
        tables["summary"] = ranges(tables["summary"], points, about["base_point"])
        tables["uncertainty_points"] = points
        studies["uncertainty"] = about
        timings["uncertainty"] = time.perf_counter() - start
    if not studies:
        return results
    manifest = {**results.manifest, "studies": studies,
                "timings_s": {**results.manifest["timings_s"],
                              **{k: round(v, 4) for k, v in timings.items()}}}
    return Results(scenario=scenario, tables=tables, manifest=manifest)
