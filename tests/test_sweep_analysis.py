"""Sobol and Morris on the Ishigami function, whose indices are known in closed form."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from energymodel.sweeps.analysis import analyze
from energymodel.sweeps.designs import points
from energymodel.sweeps.factors import Factor
from energymodel.sweeps.spec import Design

A, B = 7.0, 0.1
NAMES = ["x1", "x2", "x3"]
FACTORS = [Factor(name=n, unit="1", low=-np.pi, high=np.pi, base=0.0,
                  distribution="uniform", levels=None) for n in NAMES]


def ishigami(x: np.ndarray) -> np.ndarray:
    return np.sin(x[:, 0]) + A * np.sin(x[:, 1]) ** 2 + B * x[:, 2] ** 4 * np.sin(x[:, 0])


def closed_form() -> tuple[np.ndarray, np.ndarray]:
    """First-order and total Sobol indices of Ishigami (a = 7, b = 0.1)."""
    v1 = 0.5 * (1 + B * np.pi**4 / 5) ** 2
    v2 = A**2 / 8
    v13 = B**2 * np.pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0]) / v, np.array([v1 + v13, v2, v13]) / v


def run(design: Design) -> dict[str, pd.DataFrame]:
    x = points(design, FACTORS)
    table = x.reset_index().assign(status="ok", reason="", y=ishigami(x.to_numpy()))
    manifest = {"design": {**design.model_dump(), "points": len(x)},
                "inputs": [{"name": f.name, "low": f.low, "high": f.high} for f in FACTORS]}
    return analyze(table, manifest)


def test_sobol_indices_match_closed_form():
    s1, st = closed_form()
    result = run(Design(method="sobol", n=4096, seed=7)).get("sobol").set_index("input")
    assert result.loc[NAMES, "S1"].to_numpy() == pytest.approx(s1, abs=0.03)
    assert result.loc[NAMES, "ST"].to_numpy() == pytest.approx(st, abs=0.03)
    # the closed form lies within (a small multiple of) the confidence half-widths
    assert (np.abs(result.loc[NAMES, "ST"] - st) <= 3 * result.loc[NAMES, "ST_conf"]).all()


def test_sobol_is_seeded():
    a = run(Design(method="sobol", n=256, seed=11))["sobol"]
    b = run(Design(method="sobol", n=256, seed=11))["sobol"]
    pd.testing.assert_frame_equal(a, b)


def test_morris_mu_star_matches_exhaustive_elementary_effects():
    """mu* is the mean |elementary effect| over the Morris grid: with 4 levels, steps of
    2/3 of the range from levels 0 and 1/3; enumerated exactly here."""
    levels = 4
    delta = levels / (2 * (levels - 1))
    grid = np.arange(levels) / (levels - 1)
    result = run(Design(method="morris", n=400, levels=levels, seed=5))["morris"]
    result = result.set_index("input")
    for i, name in enumerate(NAMES):
        effects = []
        for u in itertools.product(grid, repeat=3):
            if u[i] + delta > 1 + 1e-9:
                continue
            lo = np.array(u)
            hi = lo.copy()
            hi[i] += delta
            x = -np.pi + 2 * np.pi * np.vstack([lo, hi])
            y = ishigami(x)
            effects.append(abs(y[1] - y[0]) / delta)
        assert result.loc[name, "mu_star"] == pytest.approx(np.mean(effects), rel=0.1)
    # x3 acts only through its interaction with x1: a wide spread of effects
    assert result.loc["x3", "sigma"] > result.loc["x3", "mu_star"] * 0.5


def test_oat_tornado_is_exact():
    design = Design(method="oat")
    x = points(design, FACTORS)
    assert len(x) == 1 + 2 * len(FACTORS)
    table = x.reset_index().assign(status="ok", reason="", y=ishigami(x.to_numpy()))
    manifest = {"design": {**design.model_dump(), "points": len(x)},
                "inputs": [{"name": f.name, "low": f.low, "high": f.high} for f in FACTORS]}
    t = analyze(table, manifest)["tornado"].set_index("input")
    # at the base point (0, 0, 0): x2 at +-pi gives 7 sin^2(pi) = 0, x1 at +-pi gives sin = 0
    assert t.loc["x3", "effect_high"] == pytest.approx(0.0, abs=1e-9)
    assert t.loc["x2", "output_low"] == pytest.approx(ishigami(np.array([[0, -np.pi, 0]]))[0])
