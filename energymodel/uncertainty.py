"""Answers with ranges: a scenario's uncertainty study (a sweep over the data's own ranges,
`uncertainty:` in the scenario or `--uncertainty` on the command line) solved for the
scenario a run solves, and its headline outputs as percentiles (docs/derivations.md,
"Ranges").

The study's points vary the inputs it names around the scenario (its `set:` fields apply,
e.g. 5-year periods to keep a point fast); the run's own solve stays the point value. For
money, prices and shares the study gives the spread and the scenario's own solve the level:
the study's base point (every input at its base value, at the study's periods) is solved
too, and each percentile is reported as the point value plus the percentile's distance from
that base (an annual run's NPVs are not moved by the 5-year periods of its study). Years
(the window) are the study's own percentiles, at its periods' resolution (a 5-year
period's first year), because a shifted year can fall before the peak it follows.

For each summary metric the study computes, the summary gains its 10th, 50th and 90th
percentiles over the points with a solution (a year metric's percentile is one of the
points' years, NaN where it falls among points whose window never closes), and one row
more: prob_pressure_positive, the share of those points where the buyer's mean price
pressure is above zero.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from energymodel.errors import InputError
from energymodel.scenario import Scenario

PERCENTILES = {"p10": 10, "p50": 50, "p90": 90}
SAME = {"mean_dependence_volume": "dependence_volume"}  # summary metric -> sweep output


def study(scenario: Scenario, path: str | Path | None = None, executor: str = "processes",
          workers: int | None = None) -> tuple[pd.DataFrame, dict]:
    """The points of the scenario's uncertainty study (`path` replaces the scenario's own):
    one row per point with its inputs, status and outputs; and the study's manifest."""
    from energymodel.api import solve
    from energymodel.inputs import periods
    from energymodel.metrics import key_outputs
    from energymodel.sweeps.executors import executor as make_executor
    from energymodel.sweeps.run import execute, plan
    from energymodel.sweeps.spec import load_sweep

    study = path if path is not None else scenario.uncertainty
    if study is None:
        raise InputError(scenario.file(), "uncertainty", "the scenario names no uncertainty "
                         "study (give one with --uncertainty)")
    spec = load_sweep(study)
    p = plan(spec, scenario.updated(leverage=None, uncertainty=None, dependence=None))
    with tempfile.TemporaryDirectory(prefix="energymodel-uncertainty-") as folder:
        outcome = execute(p, make_executor(executor, workers), Path(folder) / spec.name,
                          progress=False)
    base = key_outputs(solve(p.context.base, dependence=False).tables,
                       periods(p.context.base), p.context.outputs)
    manifest = {"file": spec.file(), "name": spec.name, "sha256": p.manifest["sweep_sha256"],
                "design": p.manifest["design"], "inputs": len(p.manifest["inputs"]),
                "points_ok": int((outcome.table["status"] == "ok").sum()),
                "base_point": base,
                "seconds": round(outcome.stats["seconds"], 3)}
    return outcome.table, manifest


def percentile(values: pd.Series, q: float, never_is_late: bool) -> float:
    """The q-th percentile of a study's values. A year that never comes within the horizon
    (NaN: the window never closes) counts as later than every year, so a percentile that
    falls among those points is NaN too, as the point value would be."""
    x = values.to_numpy(dtype=float)
    if never_is_late:
        x = np.where(np.isnan(x), np.inf, x)
    x = x[~np.isnan(x)]
    if not len(x):
        return float("nan")
    value = float(np.percentile(x, q, method="lower" if never_is_late else "linear"))
    return value if np.isfinite(value) else float("nan")


def ranges(summary: pd.DataFrame, points: pd.DataFrame,
           base: dict[str, float] | None = None) -> pd.DataFrame:
    """The summary with p10, p50, p90 columns (NaN where the study lacks the metric) and
    the row prob_pressure_positive (where the study has the pressure). With `base` (the
    study's base point's outputs), percentiles are moved by the point value's distance
    from the base (module docstring)."""
    ok = points[points["status"] == "ok"]
    out = summary.copy()
    units = summary.set_index("metric")["unit"]
    value = summary.set_index("metric")["value"]
    for column, q in PERCENTILES.items():
        found = []
        for m in out["metric"]:
            key = SAME.get(m, m)
            pct = percentile(ok[key], q, units[m] == "year") if key in ok else np.nan
            at = (base or {}).get(key, np.nan)
            if (units[m] != "year" and np.isfinite(pct) and np.isfinite(at)
                    and np.isfinite(value[m])):
                pct = value[m] + pct - at
            found.append(pct)
        out[column] = found
    if "mean_pressure" in ok and ok["mean_pressure"].notna().any():
        share = float((ok["mean_pressure"].dropna() > 0).mean())
        row = {"metric": "prob_pressure_positive", "value": share, "unit": "share",
               **{c: np.nan for c in PERCENTILES}}
        out = pd.concat([out, pd.DataFrame([row])], ignore_index=True)
    return out
