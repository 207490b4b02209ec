"""The tables close: on every route-year with flow, in every shipped scenario,

    price = unit cost + basin netback + capacity rent - contracted-minimum cost
            + markup + demand-limit rent + contract wedge

and each market's price and each basin's netback decompose into the columns the tables
show (results.py; docs/derivations.md, "Netback identity"). The annual baseline and the
hindcast are the session's; every other shipped scenario is solved once here, at 5-year
periods (the monopsony bilevel and the hold-up plans would be slow annually)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import energymodel as em

from .conftest import EXAMPLES, SCENARIOS

# USD/MMBtu: duals of the QP are accurate to about 1e-7 in NPV terms; divided by the small
# discount weight of a late year they are good to about 2e-5 (China's whole market, in
# the objective since 2026-12-03, makes its terms larger)
ATOL = 5e-5
FLOWING = 1e-5  # bcm/y: below this an interior-point solution's route is idle
FIVE_YEAR = {"start_year": 2025, "end_year": 2060, "step": 5}
SHIPPED = sorted(p.stem for p in SCENARIOS.glob("*.yaml"))
EXAMPLE_NAMES = sorted(p.stem for p in EXAMPLES.glob("*.yaml"))
FAST = {"baseline", "history"}  # solved for the session anyway


class Solved(dict):
    """Results by scenario name, each solved when a test first asks for it."""

    def __missing__(self, name: str) -> em.Results:
        if name.startswith("examples/"):
            self[name] = em.solve(EXAMPLES / f"{name.removeprefix('examples/')}.yaml")
        else:
            scenario = em.load_scenario(SCENARIOS / f"{name}.yaml")
            self[name] = em.solve(scenario.updated(horizon=FIVE_YEAR), dependence=False)
        return self[name]


@pytest.fixture(scope="module")
def solved(baseline, history) -> Solved:
    return Solved(baseline=baseline, history=history)


# Known gap: on the global pathways' late years Clarabel's solution meets the identities
# only to about 0.01 USD/MMBtu (Turkey 2055-2060, a segment just past its price cap's
# kink, the optimality condition off by the solver's reduced accuracy there).
DEGENERATE = {"pathway_announced_pledges", "pathway_net_zero"}


def names():
    """Every shipped scenario and example: by default the examples and the session's annual
    baseline and hindcast, the other scenarios (solved here) in the slow set."""
    gap = pytest.mark.xfail(reason="interior-point accuracy in degenerate late years",
                            strict=False)
    return [pytest.param(n, marks=([gap] if n in DEGENERATE else [])
                         + ([] if n in FAST else [pytest.mark.slow])) for n in SHIPPED
            ] + [f"examples/{n}" for n in EXAMPLE_NAMES]


def netback_identity(flows: pd.DataFrame) -> pd.Series:
    """price - the sum of its parts, per route-year."""
    parts = (flows["unit_cost_usd_per_mmbtu"] + flows["netback_usd_per_mmbtu"]
             + flows["capacity_rent_usd_per_mmbtu"] - flows["min_flow_cost_usd_per_mmbtu"]
             + flows["markup_usd_per_mmbtu"] + flows["demand_limit_rent_usd_per_mmbtu"]
             + flows["contract_wedge_usd_per_mmbtu"])
    return flows["price_usd_per_mmbtu"] - parts


@pytest.mark.parametrize("name", names())
def test_netback_identity_on_every_row_with_flow(solved, name):
    flows = solved[name].flows
    flowing = flows[flows["flow_bcm_per_y"] > FLOWING]
    assert len(flowing) > 0
    gap = netback_identity(flowing)
    assert np.abs(gap).max() < ATOL, flowing.assign(gap=gap)[gap.abs() >= ATOL].to_string()


@pytest.mark.parametrize("name", names())
def test_market_prices_and_basin_netbacks_decompose(solved, name):
    m = solved[name].markets
    m = m[m["volume_bcm_per_y"] > FLOWING]
    parts = (m["marginal_value_usd_per_mmbtu"] + m["markup_usd_per_mmbtu"]
             + m["demand_limit_rent_usd_per_mmbtu"])
    assert np.allclose(m["price_usd_per_mmbtu"], parts, atol=ATOL)
    assert (m["markup_usd_per_mmbtu"] >= -ATOL).all()
    assert (m["demand_limit_rent_usd_per_mmbtu"] >= -ATOL).all()
    b = solved[name].basins
    b = b[b["production_bcm_per_y"] > FLOWING]
    parts = (b["marginal_cost_usd_per_mmbtu"] + b["capacity_rent_usd_per_mmbtu"]
             + b["reserves_rent_usd_per_mmbtu"] + b["buyer_term_usd_per_mmbtu"])
    assert np.allclose(b["netback_usd_per_mmbtu"], parts, atol=ATOL)


@pytest.mark.parametrize("name", names())
def test_rent_only_on_usable_capacity_that_is_full(solved, name):
    f = solved[name].flows
    assert np.allclose(f["usable_capacity_bcm_per_y"], f["availability"] * f["capacity_bcm_per_y"])
    assert (f["capacity_rent_usd_per_mmbtu"] >= -ATOL).all()
    closed = f[f["usable_capacity_bcm_per_y"] <= 1e-9]
    assert (closed["capacity_rent_usd_per_mmbtu"] == 0).all()
    assert (closed["utilisation"] == 0).all()
    assert (f["utilisation"] <= 1 + 1e-6).all()
    rent = f[f["capacity_rent_usd_per_mmbtu"] > ATOL]
    assert np.allclose(rent["utilisation"], 1.0, atol=1e-5)


def test_baseline_tables_explain_the_domestic_and_turkish_prices(baseline):
    m = baseline.markets.set_index(["market", "year"])
    domestic = m.loc[("russia_domestic", 2025)]
    # the regulated market takes its reference quantity: the quantity's dual is the gap
    assert domestic["volume_bcm_per_y"] == pytest.approx(470.0)
    assert domestic["demand_limit_rent_usd_per_mmbtu"] == pytest.approx(
        domestic["price_usd_per_mmbtu"] - domestic["marginal_value_usd_per_mmbtu"], abs=ATOL)
    assert domestic["demand_limit_rent_usd_per_mmbtu"] > 0.1
    turkey = m.loc[("turkey", 2025)]
    assert turkey["markup_usd_per_mmbtu"] == pytest.approx(
        turkey["theta"] * turkey["slope_usd_per_mmbtu_per_bcm"] * turkey["volume_bcm_per_y"],
        rel=1e-6)


def test_routes_label_what_sets_their_price(baseline):
    """Legacy contracts price Power of Siberia 1 (to 2049) and the Far Eastern route (from
    2027), the bargain Power of Siberia 2; the contract wedge is each route's price less the
    demand price at its border (the market's, less the buyer's delivery cost); a route the
    market prices has none."""
    f = baseline.flows
    flowing = f[f["flow_bcm_per_y"] > 1e-6]
    basis = flowing.groupby("route")["price_basis"].agg(set)
    assert basis["power_of_siberia_1"] == {"legacy contract", "bargained contract"}
    assert basis["power_of_siberia_2"] == {"bargained contract"}
    assert basis["far_eastern_route"] == {"legacy contract", "bargained contract"}  # to 2051
    assert np.allclose(f["contract_wedge_usd_per_mmbtu"], f["price_usd_per_mmbtu"] - (
        f["demand_price_usd_per_mmbtu"] - f["delivery_cost_usd_per_mmbtu"]), equal_nan=True)
    market_priced = f[f["price_basis"] == "inverse demand"]
    assert np.allclose(market_priced["contract_wedge_usd_per_mmbtu"], 0.0, atol=1e-12)
    assert (baseline.markets["duals_from"] == "the joint-surplus optimum of the bargain").all()


def textbook(entity: str, parameter: str, value: float) -> em.Results:
    """The competitive textbook case (a = 10, b = 0.1, c = 2, d = 0.05: Q = 53.33) with one
    value changed."""
    scenario = em.load_scenario(EXAMPLES / "competitive.yaml")
    return em.solve(scenario.with_overrides(
        {"entity": entity, "parameter": parameter, "value": value}))


def test_contracted_minimum_reserves_and_basin_capacity_rents():
    """Each binding constraint's dual is the closed-form gap it explains."""
    forced = textbook("link", "min_flow", 60)  # above the optimum: p 4, cost 5
    f = forced.flows.iloc[0]
    assert f["price_usd_per_mmbtu"] == pytest.approx(4.0)
    assert f["min_flow_cost_usd_per_mmbtu"] == pytest.approx(1.0, rel=1e-6)
    scarce = textbook("supplier", "reserves", 40)  # p 6, marginal cost 4
    b = scarce.basins.iloc[0]
    assert b["reserves_rent_usd_per_mmbtu"] == pytest.approx(2.0, rel=1e-6)
    small = textbook("supplier", "capacity", 30)  # p 7, marginal cost 3.5
    b = small.basins.iloc[0]
    assert b["capacity_rent_usd_per_mmbtu"] == pytest.approx(3.5, rel=1e-6)
    for results in (forced, scarce, small):
        assert abs(netback_identity(results.flows).iloc[0]) < ATOL
