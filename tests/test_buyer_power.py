"""China's buyer power: closed forms on the textbook cases (docs/derivations.md), the bilevel
monopsony against brute force, and economic properties on the full model."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import energymodel as em
from energymodel import demand
from energymodel.api import prepare
from energymodel.engine import Session
from energymodel.inputs import periods, with_competitive, with_fixed_flows, with_market_prices
from energymodel.scenario import MarketSpec
from energymodel.units import K

from .conftest import EXAMPLES, SCENARIOS

REL = 1e-6
A, B, C, D = 10.0, 0.1, 2.0, 0.05  # the four numbers of scenarios/examples/competitive.yaml


def buyer(results: em.Results, market: str = "buyer", year: int | None = None) -> pd.Series:
    """The market's volume and the price the exporter gets there (its routes' revenue per
    unit: a bargained or buyer-set price lives on the routes)."""
    row = results.markets[results.markets["market"] == market]
    row = (row if year is None else row[row["year"] == year]).iloc[0].copy()
    f = results.exports
    f = f[(f["market"] == market) & (f["year"] == row["year"])]
    row["price_usd_per_mmbtu"] = f["revenue_usd_bn"].sum() / (K * f["flow_bcm_per_y"].sum())
    return row


# --- monopsony ------------------------------------------------------------------------------

@pytest.mark.parametrize("phi", [0.0, 0.25, 0.5, 0.75, 1.0])
@pytest.mark.parametrize("method", ["qp", "bilevel"])
def test_monopsony_closed_form(phi, method):
    """Q = (a - c) / (b + (1 + phi) d), p = c + dQ, by both methods."""
    scenario = em.load_scenario(EXAMPLES / "monopsony.yaml").updated(
        markets={"buyer": MarketSpec(structure="monopsony", phi=phi, method=method)})
    results = em.solve(scenario)
    q = (A - C) / (B + (1 + phi) * D)
    assert buyer(results)["volume_bcm_per_y"] == pytest.approx(q, rel=REL)
    assert buyer(results)["price_usd_per_mmbtu"] == pytest.approx(C + D * q, rel=REL)
    expected = "a bilevel" if method == "bilevel" else "the equivalent QP"
    assert results.manifest["solver"]["method"].startswith(f"monopsony as {expected}")


def test_monopsony_examples_state_their_numbers():
    mono = em.solve(EXAMPLES / "monopsony.yaml")
    half = em.solve(EXAMPLES / "monopsony_phi.yaml")
    assert (buyer(mono)["volume_bcm_per_y"], buyer(mono)["price_usd_per_mmbtu"]) == (
        pytest.approx(40, rel=REL), pytest.approx(4, rel=REL))
    assert buyer(half)["volume_bcm_per_y"] == pytest.approx(45.714285714, rel=REL)


def test_monopsony_pressure_is_against_the_competitive_price():
    results = em.solve(EXAMPLES / "monopsony.yaml")
    p = results.tables["pressure"].iloc[0]
    competitive_price = C + D * (A - C) / (B + D)
    assert p["benchmark_price_usd_per_mmbtu"] == pytest.approx(competitive_price, rel=REL)
    assert p["pressure_usd_per_mmbtu"] == pytest.approx(competitive_price - 4.0, rel=1e-5)
    assert p["transferred_usd_bn"] == pytest.approx(p["pressure_usd_per_mmbtu"] * 40 * K,
                                                    rel=1e-5)


# --- Nash bargaining ------------------------------------------------------------------------

def nash_closed_form(beta: float, w: float, q_out: float) -> float:
    """Levelised price of the textbook bargain with an outside option (w, q_out)."""
    def cost(q):
        return C * q + D * q * q / 2

    # without the deal: sell outside up to q_out while w covers marginal cost
    outside = min(q_out, max(0.0, (w - C) / D))
    disagreement = w * outside - cost(outside)
    # with the deal: joint optimum over the buyer and the outside option
    q = (A - C) / (B + D)
    if C + D * q < w:  # the outside option is still worth serving
        outside = min(q_out, (w - C) / D - q) if q_out > 0 else 0.0
        q = (A - C - D * outside) / (B + D)
    else:
        outside = 0.0
    value = A * q - B * q * q / 2
    russia_other = w * outside - cost(q + outside)
    gains = value + russia_other - disagreement
    payment = disagreement + (1 - beta) * gains - russia_other
    return payment / q


@pytest.mark.parametrize("beta", [0.0, 0.3, 0.7, 1.0])
@pytest.mark.parametrize(("w", "q_out"), [(4.0, 0.0), (4.0, 20.0), (3.0, 40.0)])
def test_nash_closed_form(beta, w, q_out):
    scenario = em.load_scenario(EXAMPLES / "nash.yaml").updated(
        markets={"buyer": MarketSpec(structure="bargaining", beta=beta),
                 "outside": MarketSpec(structure="price_taker")})
    scenario = scenario.with_overrides(
        {"entity": "outside", "parameter": "ref_price", "value": w},
        {"entity": "outside_link", "parameter": "capacity", "value": q_out})
    results = em.solve(scenario)
    assert buyer(results)["price_usd_per_mmbtu"] == pytest.approx(
        nash_closed_form(beta, w, q_out), rel=REL)
    table = results.tables["bargaining"].set_index("metric")["value"]
    # Russia gets its disagreement payoff plus (1 - beta) of the gains, China beta of them
    assert table["russia_payoff_npv"] - table["russia_disagreement_npv"] == pytest.approx(
        (1 - beta) * table["gains_npv"], rel=1e-9, abs=1e-12)
    assert table["buyer_payoff_npv"] == pytest.approx(beta * table["gains_npv"], rel=1e-9,
                                                      abs=1e-12)


def test_nash_example_numbers():
    assert buyer(em.solve(EXAMPLES / "nash.yaml"))["price_usd_per_mmbtu"] == pytest.approx(
        5.6145833, rel=REL)


# --- hold-up --------------------------------------------------------------------------------

@pytest.mark.parametrize(("beta", "builds_under_holdup"), [(0.5, True), (0.7, False)])
def test_holdup_closed_form(beta, builds_under_holdup):
    """Ex post the buyer takes beta of the sunk capex: the price falls by beta capex / (K Q);
    the seller builds under hold-up only if its ex-post payoff beats not building."""
    scenario = em.load_scenario(EXAMPLES / "holdup.yaml").updated(
        markets={"buyer": MarketSpec(structure="bargaining", beta=beta, holdup="new_pipe"),
                 "outside": MarketSpec(structure="price_taker")})
    table = em.solve(scenario).tables["holdup"]
    built = table[table["decision_year"] == 2025].iloc[0]
    q, capex = (A - C) / (B + D), 3.0
    assert built["price_ex_ante_usd_per_mmbtu"] - built["price_ex_post_usd_per_mmbtu"] == \
        pytest.approx(beta * capex / (K * q), rel=REL)
    assert built["price_ex_ante_usd_per_mmbtu"] == pytest.approx(
        nash_closed_form(beta, 4.0, 20.0) + beta * capex / (K * q), rel=REL)
    assert bool(built["ex_ante_choice"])  # ex ante the pipeline is worth building
    assert bool(built["holdup_choice"]) is builds_under_holdup


# --- bilevel against brute force ------------------------------------------------------------

@pytest.mark.slow
def test_bilevel_matches_brute_force_over_china_price(baseline_scenario):
    """One year of the full model (every basin and outlet): China's surplus at the bilevel
    price equals the best a search over its price finds, and no price on the grid beats it."""
    scenario = baseline_scenario.updated(
        horizon={"start_year": 2030, "end_year": 2030},
        markets={**baseline_scenario.markets,
                 "china": MarketSpec(structure="monopsony", phi=1.0)})
    results = em.solve(scenario, dependence=False)
    assert results.manifest["solver"]["exact_qp_polish"]
    assert results.manifest["solver"]["rivals_check"] == "holds"
    leader = results.manifest["solver"]["leader_objective_usd_bn"]
    own = results.exports[results.exports["market"] == "china"]
    node = (own["price_usd_per_mmbtu"] + own["delivery_cost_usd_per_mmbtu"]).iloc[0]

    # the leader's problem by brute force: the rivals at their competitive volumes, China's
    # value of Russian gas its demand beyond them, Russia's answer to each delivered price
    session = Session()
    inp = prepare(scenario, session)
    joint = session.solve(with_competitive(inp, "china"))
    flows = joint.values("flow")
    rivals = inp.routes.index[(inp.routes["market"] == "china")
                              & (inp.routes["role"] != "exporter")]
    rival = flows[flows.index.get_level_values(0).isin(rivals)].rename_axis(["route", "year"])
    served = rival.groupby(level="year").sum()
    curve = demand.residual(inp.segments.loc["china"], served).loc[2030]
    alone = with_fixed_flows(inp, rival * 0.0)
    to_china = [(r, 2030) for r in inp.routes.index[(inp.routes["market"] == "china")
                                                     & (inp.routes["role"] == "exporter")]]

    def china_surplus(p: float) -> float:  # the compiled model re-solves: only the price changes
        result = session.solve_form(with_market_prices(alone, "china",
                                                       pd.Series(p, index=[2030])), duals=False)
        q = result.values("flow")[to_china].sum()
        value = sum(s.price * min(max(q - s.start, 0), s.width)
                    - s.slope * min(max(q - s.start, 0), s.width) ** 2 / 2
                    for s in curve.itertuples())
        return K * (value - p * q)

    coarse = np.arange(0.0, curve["price"].max(), 0.05)
    best = coarse[np.argmax([china_surplus(p) for p in coarse])]
    fine = np.arange(max(best - 0.05, 0), best + 0.05, 0.0005)
    searched = max(china_surplus(p) for p in fine)
    # At the leader's price Russia is indifferent between outlets (that is what the leader
    # exploits): an interior-point solve returns the centre of its optimal face, not the
    # vertex the leader picks, so the re-solved surplus matches to the resolution of the tie.
    assert china_surplus(node + 1e-7) == pytest.approx(leader, rel=1e-4)
    assert leader >= searched - 1e-6 * abs(searched)
    assert leader == pytest.approx(searched, rel=1e-4)


# --- the full model -------------------------------------------------------------------------

def china(results: em.Results) -> pd.DataFrame:
    return results.tables["pressure"]


@pytest.fixture(scope="module")
def bargains(baseline_scenario) -> dict[float, em.Results]:
    return {beta: em.solve(baseline_scenario.updated(markets={
        **baseline_scenario.markets, "china": MarketSpec(structure="bargaining", beta=beta)}))
        for beta in (0.2, 0.5, 0.8)}


def test_price_falls_and_russia_loses_as_china_bargains_harder(bargains):
    prices = [china(r)["price_usd_per_mmbtu"].mean() for r in bargains.values()]
    russia = [r.npv("total_profit") for r in bargains.values()]
    assert prices == sorted(prices, reverse=True)
    assert russia == sorted(russia, reverse=True)


def test_bargained_price_within_lng_parity_and_above_russian_cost(bargains):
    """Levelised over the contract: China pays no more than its LNG alternative and no less
    than Russia's short-run cost of delivering the gas."""
    for results in bargains.values():
        p = china(results)
        markets = results.markets.set_index(["market", "year"])
        cap = markets.loc["china", "price_cap_usd_per_mmbtu"]
        weight = p["volume_bcm_per_y"].to_numpy()
        levelised_cap = np.average(cap.reindex(p["year"]), weights=weight)
        assert p["price_usd_per_mmbtu"].iloc[0] <= levelised_cap
        flows = results.exports[results.exports["market"] == "china"]
        basins = results.basins.set_index(["basin", "year"])
        cost = (basins.loc[list(zip(flows["basin"], flows["year"], strict=True)),
                           "marginal_cost_usd_per_mmbtu"].to_numpy()
                + flows["unit_cost_usd_per_mmbtu"].to_numpy())
        srmc = np.average(cost, weights=flows["flow_bcm_per_y"].to_numpy() + 1e-12)
        assert p["price_usd_per_mmbtu"].iloc[0] >= srmc


def test_transferred_is_pressure_times_volume(bargains):
    for results in bargains.values():
        p = china(results)
        assert np.allclose(p["transferred_usd_bn"],
                           p["pressure_usd_per_mmbtu"] * p["volume_bcm_per_y"] * K)


@pytest.fixture(scope="module")
def monopsonies(baseline_scenario) -> dict[float, em.Results]:
    five_year = {"start_year": 2025, "end_year": 2060, "step": 5}
    return {phi: em.solve(baseline_scenario.updated(horizon=five_year, markets={
        **baseline_scenario.markets, "china": MarketSpec(structure="monopsony", phi=phi)}))
        for phi in (0.5, 1.0)}


@pytest.mark.slow
def test_monopsony_price_between_russian_cost_and_lng_parity(monopsonies):
    """China pays no more than its LNG alternative at the border (the landed price less the
    route's delivery cost) and no less than Russia's marginal cost of delivering."""
    for results in monopsonies.values():
        flows = results.exports[(results.exports["market"] == "china")
                                & (results.exports["flow_bcm_per_y"] > 1e-6)]
        cap = results.markets[results.markets["market"] == "china"].set_index("year")[
            "price_cap_usd_per_mmbtu"]
        assert (flows["price_usd_per_mmbtu"] <= cap.reindex(flows["year"]).to_numpy()
                - flows["delivery_cost_usd_per_mmbtu"].to_numpy() + 1e-6).all()
        basins = results.basins.set_index(["basin", "year"])
        cost = (basins.loc[list(zip(flows["basin"], flows["year"], strict=True)),
                           "marginal_cost_usd_per_mmbtu"].to_numpy()
                + flows["unit_cost_usd_per_mmbtu"].to_numpy())
        assert (flows["price_usd_per_mmbtu"].to_numpy() >= cost - 1e-4).all()


@pytest.mark.slow
def test_more_buyer_power_lowers_price_and_russian_npv(monopsonies, competitive_scenario):
    """More buyer power never raises China's price or Russia's NPV. (Where the pipelines run
    full, Russia's supply is vertical and China pays its marginal cost at capacity whatever
    phi: phi then changes little; the textbook tests show the strict effect on a sloped
    supply curve.)"""
    weak, strong = monopsonies[0.5], monopsonies[1.0]

    def levelised(results: em.Results) -> float:
        """NPV of China's payments per NPV of its volume [USD/MMBtu]: unique, where the
        price path is not (any path with the same NPV of payments serves the leader)."""
        c = china(results).set_index("year")
        w = periods(results.scenario)["weight"].reindex(c.index)
        return float((w * c["price_usd_per_mmbtu"] * c["volume_bcm_per_y"]).sum()
                     / (w * c["volume_bcm_per_y"]).sum())

    assert levelised(strong) <= levelised(weak) + 1e-4
    assert strong.npv("total_profit") <= weak.npv("total_profit") + 1e-6
    competitive = em.solve(competitive_scenario.updated(
        horizon={"start_year": 2025, "end_year": 2060, "step": 5}))
    assert weak.npv("total_profit") <= competitive.npv("total_profit")


def test_pressure_rises_as_europe_closes(baseline_scenario):
    """Along Europe's openness, China's share of exports falls and so (weakly) does the
    pressure: West Siberia has spare capacity, so Europe competes little for the gas."""
    scenario = em.load_scenario(SCENARIOS / "dependence_europe.yaml")
    lever = scenario.dependence.model_copy(update={"values": [0.0, 0.5, 1.0]})
    curve = em.api.dependence_curve(scenario.updated(dependence=lever))
    pressure = list(curve["mean_pressure"])
    price = list(curve["mean_price"])
    share = list(curve["mean_dependence_volume"])
    assert share == sorted(share, reverse=True) and share[0] - share[-1] > 0.05
    assert pressure[0] > pressure[-1] and pressure == sorted(pressure, reverse=True)
    assert price[0] < price[-1]  # a closed Europe: a lower price for Russian gas in China


def test_cheaper_lng_lowers_china_price_and_raises_pressure_on_the_contract(baseline_scenario):
    """China's better outside option lowers what it pays; against the oil-indexed contract
    formula (which does not move with LNG) the pressure rises."""
    base = baseline_scenario.updated(markets={**baseline_scenario.markets, "china": MarketSpec(
        structure="bargaining", beta=0.32, benchmark="oil_indexed")})
    out = {}
    for scale in (1.0, 0.85, 0.7):
        results = em.solve(base.with_overrides(
            {"entity": "lng_global", "parameter": "ref_price", "scale": scale},
            {"entity": "china", "parameter": "price_cap", "scale": scale}))
        out[scale] = results.summary.set_index("metric")["value"]
    prices = [out[s]["mean_price"] for s in (1.0, 0.85, 0.7)]
    pressure = [out[s]["mean_pressure"] for s in (1.0, 0.85, 0.7)]
    assert prices == sorted(prices, reverse=True)
    assert pressure == sorted(pressure)


def test_budget_take_identities(baseline):
    budget = baseline.tables["budget"].set_index("year")
    """Russia's budget take counts Russia's own pipelines and basins, not its rivals'."""
    own = baseline.exports
    pipeline = own[own["kind"] == "pipeline"].groupby("year")["revenue_usd_bn"].sum()
    basins = baseline.basins[baseline.basins["supplier"] == "russia"]
    output = basins.groupby("year")["production_bcm_per_y"].sum()
    assert np.allclose(budget["export_duty_usd_bn"], 0.30 * pipeline)
    assert np.allclose(budget["extraction_tax_usd_bn"], 0.84 * output * K)


def test_stranded_capacity_table(baseline):
    stranded = baseline.tables["stranded"].set_index("route")
    assert {"power_of_siberia_1", "power_of_siberia_2", "turkstream_europe"} <= set(
        stranded.index)
    assert (stranded["peak_utilisation"] <= 1 + 1e-9).all()
    # once the EU phase-out bites Europe's string runs full on the fifth it may still carry
    # (utilisation is of usable capacity), four fifths of it idle
    assert stranded.loc["turkstream_europe", "final_utilisation"] == pytest.approx(1.0)
    assert stranded.loc["turkstream_europe", "final_idle_capacity_bcm_per_y"] == \
        pytest.approx(0.8 * 15.75)


def test_full_model_holdup_lowers_the_ex_post_price(baseline_scenario):
    scenario = em.load_scenario(SCENARIOS / "china_holdup.yaml").updated(
        horizon={"start_year": 2025, "end_year": 2060, "step": 5})
    table = em.solve(scenario).tables["holdup"]
    built = table[table["decision_year"].notna()]
    assert (built["price_ex_post_usd_per_mmbtu"] < built["price_ex_ante_usd_per_mmbtu"]).all()
    choice = table[table["holdup_choice"]].iloc[0]
    assert choice["russia_payoff_ex_post_usd_bn"] == table["russia_payoff_ex_post_usd_bn"].max()
    # at China's bargaining power 0.8 the pipeline pays ex ante but not once its capex is sunk
    assert table[table["ex_ante_choice"]]["decision_year"].notna().all()
    assert pd.isna(choice["decision_year"])


# --- when the equivalent QP applies -------------------------------------------------------

def textbook_variant(tmp_path, extra_values: str = "", basins: str = "", routes: str = "",
                     options: str = "") -> em.Scenario:
    """The textbook monopsony on a copy of its data with rows added."""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(EXAMPLES / "textbook_data", data)
    for name, rows in (("basins.csv", basins), ("routes.csv", routes),
                       ("options.csv", options), ("values/values.csv", extra_values)):
        with open(data / name, "a") as f:
            f.write(rows)
    return em.load_scenario(EXAMPLES / "monopsony.yaml").updated(data_dir=data)


SOURCE = "E,H,textbook,2026,"


def test_two_dedicated_basins_need_the_bilevel(tmp_path):
    """Two basins feeding the buyer: a single buyer-side markup per basin would not be
    Russia's price-taking answer; the bilevel is used, and both basins then sell where their
    marginal cost meets the one price."""
    scenario = textbook_variant(
        tmp_path, basins="supplier2,Second seller,seller,\n",
        routes="link2,Second link,supplier2,buyer,pipeline,\n",
        extra_values=f"supplier2,capacity,,2025,1000,bcm/y,,,{SOURCE}\n"
                     f"supplier2,mc_intercept,,,4,USD/MMBtu,,,{SOURCE}\n"
                     f"supplier2,mc_slope,,,0.05,USD/MMBtu per bcm/y,,,{SOURCE}\n"
                     f"link2,capacity,,2025,1000,bcm/y,,,{SOURCE}\n"
                     f"link2,unit_cost,,,0,USD/MMBtu,,,{SOURCE}\n")
    with pytest.raises(em.InputError, match="qp needs a linear supply curve"):
        em.solve(scenario.updated(markets={"buyer": MarketSpec(structure="monopsony", phi=1.0,
                                                               method="qp")}))
    results = em.solve(scenario)
    assert results.manifest["solver"]["method"].startswith("monopsony as a bilevel")
    price = buyer(results)["price_usd_per_mmbtu"]
    basins = results.basins.set_index("basin")
    assert basins["marginal_cost_usd_per_mmbtu"].to_numpy() == pytest.approx([price] * 2,
                                                                             rel=1e-6)


def test_an_expandable_buyer_route_needs_the_bilevel(tmp_path):
    """Capacity to the buyer must be built: the price must also pay for it."""
    scenario = textbook_variant(
        tmp_path, options="more,link,More capacity,\n",
        extra_values="".join(f"more,{p},,,{v},{u},,,{SOURCE}\n" for p, v, u in [
            ("unit_size", 10, "bcm/y"), ("max_units", 10, "count"), ("capex", 0.5, "USD bn"),
            ("lead_time", 0, "years"), ("earliest_decision", 2025, "year"),
            ("lifetime", 1, "years"), ("fom", 0, "1/y")]))
    scenario = scenario.with_overrides({"entity": "link", "parameter": "capacity", "value": 0})
    results = em.solve(scenario)
    assert results.manifest["solver"]["method"].startswith("monopsony as a bilevel")
    # Russia, a price taker, builds only what the price pays for: profit is not negative
    assert results.npv("total_profit") >= -1e-6


@pytest.mark.slow
def test_bilevel_bound_is_an_upper_bound(monopsonies):
    for results in monopsonies.values():
        solver = results.manifest["solver"]
        assert solver["cuts_converged"]
        assert solver["leader_objective_bound_usd_bn"] >= \
            solver["leader_objective_usd_bn"] - 1e-6
