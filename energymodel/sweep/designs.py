"""Designs: the points of a sweep, one row per point and one column per input, seeded."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from SALib.sample import latin, morris, sobol

from energymodel.errors import InputError
from energymodel.sweep.factors import Factor, problem
from energymodel.sweep.spec import Design


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
