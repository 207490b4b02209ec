"""The market structures reproduce the closed forms of docs/derivations.md to 1e-6 relative,
on the one-market, one-year textbook scenarios shipped in scenarios/examples."""

from __future__ import annotations

import pytest

import energymodel as em
from energymodel.scenario import MarketSpec

from .conftest import EXAMPLES

REL = 1e-6


def four_numbers(scenario: em.Scenario) -> tuple[float, float, float, float]:
    """(a, b, c, d) as the example file states them, so editing the file keeps this valid."""
    given = {(o.entity, o.parameter): o.value for o in scenario.overrides}
    return (given["buyer", "intercept"], given["buyer", "slope"],
            given["supplier", "mc_intercept"], given["supplier", "mc_slope"])


def solved(scenario: em.Scenario) -> tuple[float, float, float]:
    """(quantity, price, marginal cost) of the single market and year."""
    results = em.solve(scenario)
    market = results.markets.iloc[0]
    return (market["volume_bcm_per_y"], market["price_usd_per_mmbtu"],
            results.basins["marginal_cost_usd_per_mmbtu"].iloc[0])


@pytest.fixture(scope="module")
def textbook() -> em.Scenario:
    return em.load_scenario(EXAMPLES / "competitive.yaml")


def test_competitive_price_equals_marginal_cost(textbook):
    a, b, c, d = four_numbers(textbook)
    q, p, mc = solved(textbook)
    assert q == pytest.approx((a - c) / (b + d), rel=REL)
    assert p == pytest.approx(c + d * (a - c) / (b + d), rel=REL)
    assert p == pytest.approx(mc, rel=REL)


@pytest.mark.parametrize("file", ["monopoly.yaml", "seller_power.yaml"])
def test_shipped_seller_power_examples(file):
    scenario = em.load_scenario(EXAMPLES / file)
    a, b, c, d = four_numbers(scenario)
    theta = scenario.markets["buyer"].theta
    q, p, mc = solved(scenario)
    assert q == pytest.approx((a - c) / ((1 + theta) * b + d), rel=REL)
    assert p == pytest.approx(a - b * q, rel=REL)
    # marginal revenue a - (1 + theta) b Q equals marginal cost c + dQ
    assert a - (1 + theta) * b * q == pytest.approx(mc, rel=REL)


def test_monopoly_example_numbers():
    """The numbers the example's comment promises: Q = 32 bcm/y, p = 6.8 USD/MMBtu."""
    q, p, _ = solved(em.load_scenario(EXAMPLES / "monopoly.yaml"))
    assert (q, p) == (pytest.approx(32, rel=REL), pytest.approx(6.8, rel=REL))


@pytest.mark.parametrize("theta", [0.0, 0.25, 0.5, 0.75, 1.0])
@pytest.mark.parametrize("abcd", [(10, 0.1, 2, 0.05), (12.5, 0.04, 1.5, 0.01), (6, 1.0, 5, 0.0)])
def test_theta_closed_form(textbook, theta, abcd):
    a, b, c, d = abcd
    scenario = textbook.updated(
        markets={"buyer": MarketSpec(structure="seller_power", theta=theta)},
        overrides=[{"entity": "buyer", "parameter": "intercept", "value": a},
                   {"entity": "buyer", "parameter": "slope", "value": b},
                   {"entity": "supplier", "parameter": "mc_intercept", "value": c},
                   {"entity": "supplier", "parameter": "mc_slope", "value": d}])
    q, p, _ = solved(scenario)
    assert q == pytest.approx((a - c) / ((1 + theta) * b + d), rel=REL)
    assert p == pytest.approx(a - b * q, rel=REL)


def test_quantity_falls_and_price_rises_with_theta(textbook):
    out = [solved(textbook.updated(markets={"buyer": MarketSpec(structure="seller_power",
                                                                 theta=t)}))
           for t in (0.0, 0.5, 1.0)]
    quantities, prices = [o[0] for o in out], [o[1] for o in out]
    assert quantities == sorted(quantities, reverse=True)
    assert prices == sorted(prices)


@pytest.mark.parametrize(("cap", "structure", "theta", "q", "p"), [
    # competitive: marginal cost 2 + 0.05 Q meets the cap 4 at Q = 40, on the flat part
    (4.0, "competitive", None, 40.0, 4.0),
    # monopoly, cap 6: flat up to the kink Q = 40; beyond, MR = 10 - 0.2Q = 2 < MC = 4,
    # so the seller stops at the kink and the price is the cap
    (6.0, "seller_power", 1.0, 40.0, 6.0),
    # monopoly, cap 8 above the monopoly price 6.8: the cap does not bind
    (8.0, "seller_power", 1.0, 32.0, 6.8),
])
def test_price_cap_kink(textbook, cap, structure, theta, q, p):
    scenario = textbook.updated(markets={"buyer": MarketSpec(structure=structure, theta=theta)})
    scenario = scenario.with_overrides(
        {"entity": "buyer", "parameter": "price_cap", "value": cap})
    got_q, got_p, _ = solved(scenario)
    assert got_q == pytest.approx(q, rel=REL)
    assert got_p == pytest.approx(p, rel=REL)


def test_price_taker_sells_where_marginal_cost_meets_price(textbook):
    scenario = textbook.updated(markets={"buyer": MarketSpec(structure="price_taker")})
    scenario = scenario.with_overrides({"entity": "buyer", "parameter": "ref_price",
                                        "value": 5.0})
    q, p, mc = solved(scenario)
    assert (q, p, mc) == (pytest.approx(60.0, rel=REL), 5.0, pytest.approx(5.0, rel=REL))


def test_stepped_supply_cost(textbook):
    """Ten tranches of 100 bcm/y (capacity 1000) costed at their midpoint marginal cost
    2 + 0.05 * (100k + 50); a price taker at 10 buys every tranche cheaper than 10:
    midpoints cost 4.5, 9.5, 14.5, ... so two tranches, 200 bcm/y."""
    scenario = textbook.updated(markets={"buyer": MarketSpec(structure="price_taker")},
                                supply_cost="stepped", supply_steps=10)
    scenario = scenario.with_overrides({"entity": "buyer", "parameter": "ref_price",
                                        "value": 10.0})
    results = em.solve(scenario)
    assert results.markets["volume_bcm_per_y"].iloc[0] == pytest.approx(200.0, rel=REL)
    assert results.basins["production_cost_usd_bn"].iloc[0] == pytest.approx(
        (4.5 + 9.5) * 100 * 0.0358, rel=REL)
