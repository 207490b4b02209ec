"""Designs: the points of a sweep, one row per point and one column per input, seeded."""

from __future__ import annotations

import itertools
import math
import os

import numpy as np
import pandas as pd
from SALib.sample import latin, morris, sobol

from energymodel.errors import InputError
from energymodel.sweeps.factors import Factor, problem
from energymodel.sweeps.spec import Design, SweepSpec

MAX_POINTS = 100_000  # a sweep of more points is refused before anything is drawn or written
SECONDS_PER_POINT = 0.5  # a point of a 5-year scenario on one core, for the estimate


def count(design: Design, levels: list[int | None]) -> int:
    """How many points the design has (without drawing them), given each input's number
    of grid levels (None: the design's `levels`)."""
    d = len(levels)
    if design.method == "grid":
        return math.prod(n or design.levels for n in levels)
    if design.method == "oat":
        return 1 + 2 * d
    n = design.n
    if n is None:  # Design's validator gives sobol, latin and morris their n
        raise ValueError(f"{design.method} needs n")
    if design.method == "sobol":
        return n * (2 * d + 2 if design.second_order else d + 2)
    if design.method == "latin":
        return n
    return n * (d + 1)


def check_size(spec: SweepSpec, factors: list[Factor] | None = None) -> None:
    """Refuse a design of more than MAX_POINTS points, saying how many and about how long
    they would take. Without `factors`, from the sweep file alone (its explicit inputs: a
    lower bound, as `ranged` only adds inputs), so a huge design is refused before the
    scenario and data are read."""
    levels = ([len(f.levels) if f.levels else None for f in factors] if factors is not None
              else [len(i.values) if i.values else None for i in spec.inputs])
    n = count(spec.design, levels)
    if n <= MAX_POINTS:
        return
    cores = os.cpu_count() or 1
    raise InputError(spec.file(), "design", f"{n:,} points, more than the limit of "
                     f"{MAX_POINTS:,}: about {_duration(n * SECONDS_PER_POINT / cores)} on "
                     f"{cores} cores at {SECONDS_PER_POINT:g} s a point; lower n or levels, "
                     "or sweep fewer inputs")


def _duration(seconds: float) -> str:
    for unit, size in (("years", 365.25 * 86400), ("days", 86400), ("hours", 3600)):
        if seconds >= 2 * size:
            return f"{seconds / size:,.0f} {unit}"
    return f"{seconds / 60:,.0f} minutes"


def points(design: Design, factors: list[Factor]) -> pd.DataFrame:
    """The design's points (index `point` from 0), input values in the factors' units."""
    names = [f.name for f in factors]
    if design.method == "grid":
        axes = [f.levels or tuple(np.linspace(f.low, f.high, design.levels)) for f in factors]
        x = np.array(list(itertools.product(*axes)), dtype=float)
    elif design.method == "oat":
        base = np.array([f.base for f in factors])
        if np.isnan(base).any():
            missing = next(f.name for f in factors if np.isnan(f.base))
            raise InputError(None, "design", f"oat needs a base value; {missing} has none in "
                             "the data")
        rows = [base]
        for i, f in enumerate(factors):
            for end in (f.low, f.high):
                row = base.copy()
                row[i] = end
                rows.append(row)
        x = np.array(rows)
    elif design.method == "sobol":
        x = sobol.sample(problem(factors), design.n, calc_second_order=design.second_order,
                         seed=design.seed)
    elif design.method == "latin":
        x = latin.sample(problem(factors), design.n, seed=design.seed)
    else:
        x = morris.sample(problem(factors), design.n, num_levels=design.levels,
                          seed=design.seed)
    return pd.DataFrame(x, columns=names).rename_axis("point")
