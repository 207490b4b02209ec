"""Structural and economic properties of the baseline solve (2025-2060)."""

from __future__ import annotations

import numpy as np
import pytest

import energymodel as em
from energymodel.data import load_dataset
from energymodel.units import K

from .conftest import DATA, SCENARIOS

TOL = 1e-6


def test_solves_whole_horizon(baseline):
    assert baseline.manifest["solver"]["status"] == "optimal"
    assert sorted(set(baseline.flows["year"])) == list(range(2025, 2061))


def test_no_flow_on_closed_routes(baseline):
    closed = baseline.flows[baseline.flows["availability"] == 0]
    assert {"nord_stream_1", "nord_stream_2", "yamal_europe", "ukraine_transit"} <= set(
        closed["route"])
    assert closed["flow_bcm_per_y"].abs().max() < TOL


def test_flows_within_available_capacity(baseline):
    f = baseline.flows
    assert (f["flow_bcm_per_y"] <= f["availability"] * f["capacity_bcm_per_y"] + TOL).all()
    assert (f["flow_bcm_per_y"] >= -TOL).all()


def test_eu_phaseout_leaves_only_balkan_transit(baseline):
    f = baseline.flows
    europe = f[(f["market"] == "europe") & (f["year"] >= 2028)]
    assert europe["flow_bcm_per_y"].sum() == pytest.approx(
        (europe["availability"] * europe["capacity_bcm_per_y"]).sum(), abs=1e-6)
    assert europe.groupby("year")["flow_bcm_per_y"].sum().max() <= 0.2 * 15.75 + TOL


def test_basin_output_is_route_flows_and_within_capacity(baseline):
    out = baseline.flows.groupby(["basin", "year"])["flow_bcm_per_y"].sum()
    b = baseline.basins.set_index(["basin", "year"])
    assert np.allclose(b["production_bcm_per_y"], out.reindex(b.index), atol=1e-6)
    assert (b["production_bcm_per_y"] <= b["capacity_bcm_per_y"] + TOL).all()


def test_investments_respect_lead_times_and_decision_dates(baseline):
    inv = baseline.investments
    assert "pos2_pipeline" in set(inv["option"])  # profitable at LNG-parity prices
    data = load_dataset(DATA)
    for row in inv.itertuples():
        assert row.decision_year >= data.series(row.option, "earliest_decision").iloc[0]
        assert row.online_year == row.decision_year + data.series(row.option,
                                                                  "lead_time").iloc[0]


def test_new_capacity_appears_only_once_online(baseline):
    """Power of Siberia 2 has no capacity before it comes online; then it ramps up by the
    rule fitted on Power of Siberia 1 (10.8% of nameplate in the first year, 16.3 points a
    year more) to its 50 bcm/y."""
    pos2 = baseline.flows[baseline.flows["route"] == "power_of_siberia_2"].set_index("year")
    online = baseline.investments.set_index("option").loc["pos2_pipeline", "online_year"]
    assert (pos2.loc[: online - 1, "capacity_bcm_per_y"] == 0).all()
    assert (pos2.loc[: online - 1, "flow_bcm_per_y"] < TOL).all()
    assert pos2.loc[online, "capacity_bcm_per_y"] == pytest.approx(50.0 * 0.1079)
    assert pos2.loc[online + 1, "capacity_bcm_per_y"] == pytest.approx(50.0 * (0.1079 + 0.1634))
    assert np.allclose(pos2.loc[online + 6:, "capacity_bcm_per_y"], 50.0)


def test_competitive_price_equals_marginal_cost(competitive):
    """With China competitive, its price from the inverse demand equals the dual of the
    market balance, and on every flowing route (Russia's and its rivals') it equals the
    basin's netback plus the transport cost, the buyer's delivery cost and the route's
    capacity rent."""
    china = competitive.markets[competitive.markets["market"] == "china"]
    assert np.allclose(china["price_usd_per_mmbtu"], china["marginal_value_usd_per_mmbtu"],
                       atol=1e-5)
    flows = competitive.flows[(competitive.flows["market"] == "china")
                              & (competitive.flows["flow_bcm_per_y"] > 1e-3)]
    assert set(flows["role"]) == {"exporter", "rival", "domestic"}
    netback = competitive.basins.set_index(["basin", "year"])["netback_usd_per_mmbtu"]
    delivered = (netback.reindex(list(zip(flows["basin"], flows["year"], strict=True)))
                 .to_numpy() + flows["unit_cost_usd_per_mmbtu"].to_numpy()
                 + flows["delivery_cost_usd_per_mmbtu"].to_numpy()
                 + flows["capacity_rent_usd_per_mmbtu"].to_numpy())
    assert np.allclose(flows["demand_price_usd_per_mmbtu"], delivered, atol=1e-5)


def test_basin_netback_is_marginal_production_cost_when_capacity_is_slack(baseline):
    b = baseline.basins[baseline.basins["utilisation"] < 0.99]
    assert np.allclose(b["netback_usd_per_mmbtu"], b["marginal_cost_usd_per_mmbtu"], atol=1e-5)


def test_seller_power_marginal_value_is_marginal_revenue(baseline):
    """Turkey (theta = 0.5): the dual equals p + theta * p'(Q) * Q, below the price."""
    t = baseline.markets[(baseline.markets["market"] == "turkey")]
    beyond_kink = t["volume_bcm_per_y"] > 1e-3
    marginal_revenue = (t["price_usd_per_mmbtu"]
                        - 0.5 * t["slope_usd_per_mmbtu_per_bcm"] * t["volume_bcm_per_y"])
    assert np.allclose(t.loc[beyond_kink, "marginal_value_usd_per_mmbtu"],
                       marginal_revenue[beyond_kink], atol=1e-5)
    assert (t["marginal_value_usd_per_mmbtu"] < t["price_usd_per_mmbtu"]).all()


def test_price_never_above_the_alternative_supply(baseline):
    m = baseline.markets.dropna(subset=["price_cap_usd_per_mmbtu"])
    assert (m["price_usd_per_mmbtu"] <= m["price_cap_usd_per_mmbtu"] + TOL).all()


def test_revenue_is_price_times_volume(baseline):
    f = baseline.flows
    assert np.allclose(f["revenue_usd_bn"], f["price_usd_per_mmbtu"] * f["flow_bcm_per_y"] * K)
    by_market = f.groupby(["market", "year"])["revenue_usd_bn"].sum()
    m = baseline.markets.set_index(["market", "year"])
    assert np.allclose(m["revenue_usd_bn"], by_market.reindex(m.index))


def test_profit_identity(baseline):
    f = baseline.flows
    costs = f[["transport_cost_usd_bn", "production_cost_usd_bn", "capacity_cost_usd_bn"]]
    assert np.allclose(f["profit_usd_bn"], f["revenue_usd_bn"] - costs.sum(axis=1))
    # production cost shared over routes adds up to the basins' cost
    assert f["production_cost_usd_bn"].sum() == pytest.approx(
        baseline.basins["production_cost_usd_bn"].sum(), rel=1e-9)


def test_npv_is_discounted_sum_of_annual_paths(baseline):
    f = baseline.flows[(baseline.flows["kind"] != "domestic")
                       & (baseline.flows["supplier"] == "russia")]
    annual = f.groupby("year")["revenue_usd_bn"].sum()
    discount = 1.08 ** -(annual.index.to_numpy() - 2025)
    assert baseline.npv("export_revenue") == pytest.approx((annual * discount).sum(), rel=1e-9)


def test_bargaining_keeps_the_competitive_volumes(baseline, competitive):
    """Nash bargaining settles volumes at the joint-surplus optimum: the competitive volumes.
    (Volumes by market; the split between two routes of equal cost into one market, Blue
    Stream and TurkStream, is not unique.)"""
    assert np.allclose(baseline.markets["volume_bcm_per_y"],
                       competitive.markets["volume_bcm_per_y"], atol=1e-6)
    china = baseline.markets[baseline.markets["market"] == "china"]
    assert (china["structure"] == "bargaining").all()


def test_objective_is_profit_where_markets_take_prices():
    """With every market a price taker, the objective is Russia's NPV of profit."""
    scenario = em.load_scenario(SCENARIOS / "baseline.yaml")
    takers = {m: {"structure": "price_taker"} for m in scenario.markets}
    for market in ("europe", "turkey", "china"):
        scenario = scenario.with_overrides(  # the alternative-supply price path
            {"entity": market, "parameter": "ref_price", "value": 8.0})
    for rival in ("central_asia_turkmenistan", "central_asia_uzbekistan",
                  "central_asia_kazakhstan", "myanmar_china", "china_domestic_supply"):
        scenario = scenario.with_overrides(  # Russia alone, and no legacy contract
            {"entity": rival, "parameter": "availability", "value": 0.0})
    for route in ("power_of_siberia_1", "far_eastern_route"):
        scenario = scenario.with_overrides(
            {"entity": route, "parameter": "contract_end", "value": 2019})
    results = em.solve(scenario.updated(markets=takers))
    # (the buyer's delivery cost is in the objective and out of the border price alike)
    assert results.npv("total_profit") == pytest.approx(
        results.manifest["solver"]["objective_usd_bn"], rel=1e-7)


def test_faster_decarbonisation_lowers_npv(baseline, baseline_scenario):
    npv = {"stated_policies": baseline.npv("export_revenue")}
    for pathway in ("announced_pledges", "net_zero"):
        npv[pathway] = em.solve(baseline_scenario.updated(pathway=pathway)).npv("export_revenue")
    assert npv["stated_policies"] > npv["announced_pledges"] > npv["net_zero"]


def test_five_year_steps(competitive, competitive_scenario):
    coarse = em.solve(competitive_scenario.updated(
        horizon={"start_year": 2025, "end_year": 2060, "step": 5}))
    assert sorted(set(coarse.flows["year"])) == [2025, 2030, 2035, 2040, 2045, 2050, 2055, 2060]
    # period weights cover the same discounted years as the annual model
    assert coarse.npv("export_revenue") == pytest.approx(competitive.npv("export_revenue"),
                                                         rel=0.05)


def test_reserves_limit_cumulative_output(baseline, baseline_scenario):
    """A reserve of 300 bcm in the Yamal/Gydan LNG fields binds over 2025-2060."""
    def output(results):
        basins = results.basins
        return basins[basins["basin"] == "yamal_gydan_lng"]["production_bcm_per_y"].sum()

    limited = em.solve(baseline_scenario.with_overrides(
        {"entity": "yamal_gydan_lng", "parameter": "reserves", "value": 300}))
    assert output(limited) == pytest.approx(300, rel=1e-6) and output(baseline) > 300
