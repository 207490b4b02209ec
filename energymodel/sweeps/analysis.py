"""Sensitivity analysis of a finished sweep table (SALib): Sobol indices S1 and ST with
confidence intervals (sobol design), Morris mu* and sigma (morris design), and a tornado
table for any design.

Tornado: for each input and output, the output with the input at its low and at its high
end. With a one-at-a-time design these are exact (the other inputs at their base values,
effects measured from the base point); with any other design they are the mean output over
the points whose input lies in its lowest and highest tenth, measured from the mean over
all points.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from SALib.analyze import morris as morris_analysis
from SALib.analyze import sobol as sobol_analysis

INPUT_COLUMNS = ("point", "status", "reason")
TAIL = 0.1  # share of points in each tail of the binned tornado
CONSTANT = 1e-7  # an output varying less than this (relative) is constant: solver noise


def outputs_of(table: pd.DataFrame, inputs: list[str]) -> list[str]:
    """The numeric output columns of a sweep table."""
    return [c for c in table.columns if c not in (*INPUT_COLUMNS, *inputs)
            and pd.api.types.is_numeric_dtype(table[c])]


def analyze(table: pd.DataFrame, manifest: dict) -> dict[str, pd.DataFrame]:
    """The sensitivity tables of a sweep: 'sobol' or 'morris' (by design), 'tornado', and
    'skipped' (outputs an index could not use: NaN at some point, or constant)."""
    inputs = [i["name"] for i in manifest["inputs"]]
    design = manifest["design"]
    table = table.sort_values("point")
    problem = {"num_vars": len(inputs), "names": inputs,
               "bounds": [[i["low"], i["high"]] for i in manifest["inputs"]]}
    tables: dict[str, pd.DataFrame] = {"tornado": tornado(table, manifest)}
    usable, skipped = [], []
    for output in outputs_of(table, inputs):
        y = table[output].to_numpy(dtype=float)
        if len(table) < design["points"] or np.isnan(y).any():
            skipped.append((output, "missing at some point (failed, or not defined there)"))
        elif np.ptp(y) <= CONSTANT * max(1.0, np.abs(y).max()):
            skipped.append((output, "constant over the sweep (up to solver tolerance)"))
        else:
            usable.append(output)
    rows = []
    for output in usable:
        y = table[output].to_numpy(dtype=float)
        if design["method"] == "sobol":
            s = sobol_analysis.analyze(problem, y, calc_second_order=design["second_order"],
                                       seed=design["seed"])
            rows += [{"output": output, "input": name, "S1": s["S1"][i],
                      "S1_conf": s["S1_conf"][i], "ST": s["ST"][i], "ST_conf": s["ST_conf"][i]}
                     for i, name in enumerate(inputs)]
        elif design["method"] == "morris":
            x = table[inputs].to_numpy(dtype=float)
            s = morris_analysis.analyze(problem, x, y, num_levels=design["levels"],
                                        seed=design["seed"])
            rows += [{"output": output, "input": name, "mu_star": s["mu_star"][i],
                      "mu_star_conf": s["mu_star_conf"][i], "mu": s["mu"][i],
                      "sigma": s["sigma"][i]} for i, name in enumerate(inputs)]
    if design["method"] in ("sobol", "morris"):
        tables[design["method"]] = pd.DataFrame(rows)
    tables["skipped"] = pd.DataFrame(skipped, columns=["output", "reason"])
    return tables


def tornado(table: pd.DataFrame, manifest: dict) -> pd.DataFrame:
    """Each input's low/high effect on each output (see the module docstring)."""
    specs = manifest["inputs"]
    inputs = [i["name"] for i in specs]
    ok = table[table["status"] == "ok"]
    outputs = outputs_of(table, inputs)
    oat = manifest["design"]["method"] == "oat"
    rows = []
    for k, spec in enumerate(specs):
        name = spec["name"]
        if oat:  # point 0 is the base, then (low, high) per input in order
            by_point = table.set_index("point")
            reference = by_point.loc[0, outputs]
            low, high = by_point.loc[1 + 2 * k, outputs], by_point.loc[2 + 2 * k, outputs]
            low_x, high_x = spec["low"], spec["high"]
        else:
            reference = ok[outputs].mean()
            lo_cut, hi_cut = ok[name].quantile([TAIL, 1 - TAIL])
            lows, highs = ok[ok[name] <= lo_cut], ok[ok[name] >= hi_cut]
            low, high = lows[outputs].mean(), highs[outputs].mean()
            low_x, high_x = lows[name].mean(), highs[name].mean()
        for output in outputs:
            rows.append({"input": name, "output": output, "input_low": low_x,
                         "input_high": high_x, "reference": reference[output],
                         "output_low": low[output], "output_high": high[output],
                         "effect_low": low[output] - reference[output],
                         "effect_high": high[output] - reference[output],
                         "swing": abs(high[output] - low[output])})
    result = pd.DataFrame(rows)
    if result.empty:
        return result
    result["method"] = "one at a time" if oat else f"tails ({TAIL:.0%} of points)"
    return result.sort_values(["output", "swing"], ascending=[True, False],
                              ignore_index=True)
