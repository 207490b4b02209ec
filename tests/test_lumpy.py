"""Lumpy (integer) investment: HiGHS solves no MIQP, so builds come from a MILP with tangent
cuts on the quadratic terms and the exact QP is solved with them fixed."""

from __future__ import annotations

import numpy as np
import pytest

import energymodel as em


@pytest.fixture(scope="module")
def dear_pos2(competitive_scenario):
    """Power of Siberia 2 at a dear capex (still built, wholly): the continuous model builds
    a fraction of the Ust-Luga LNG plant."""
    return competitive_scenario.with_overrides(
        {"entity": "pos2_pipeline", "parameter": "capex", "value": 55})


def test_continuous_builds_fractions(dear_pos2):
    units = em.solve(dear_pos2).investments.set_index("option")["units"]
    assert not np.allclose(units, np.round(units), atol=1e-4)


def test_lumpy_builds_whole_units_and_costs_objective(dear_pos2):
    continuous = em.solve(dear_pos2)
    lumpy = em.solve(dear_pos2.updated(investment="lumpy"))
    units = lumpy.investments["units"]
    assert np.allclose(units, np.round(units)) and (units >= 1).all()
    solver = lumpy.manifest["solver"]
    assert "tangent cuts" in solver["method"]
    objective = solver["objective_usd_bn"]
    # integrality costs objective; tangents under-estimate costs, so the MILP bound is higher
    assert objective <= continuous.manifest["solver"]["objective_usd_bn"] + 1e-6
    assert solver["milp_objective_usd_bn"] >= objective - 1e-6
    assert solver["milp_objective_usd_bn"] - objective < 0.01 * objective
    # duals come from the fixed-builds QP: the competitive price still equals the dual
    china = lumpy.markets[lumpy.markets["market"] == "china"]
    assert np.allclose(china["price_usd_per_mmbtu"], china["marginal_value_usd_per_mmbtu"],
                       atol=1e-5)
