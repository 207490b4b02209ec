"""Contract price paths of a Nash bargain (levelised, oil-indexed, periodic review): the price
follows the index, every form pays Russia its Nash share in NPV, and reviews let the buyer
take a share of the capital already sunk."""

from __future__ import annotations

import re

import numpy as np
import pytest

import energymodel as em
from energymodel.units import K

from .conftest import EXAMPLES, exporter_prices
from .test_buyer_power import nash_closed_form

FORMS = [{"form": "levelised"}, {"form": "indexed"},
         {"form": "indexed", "bargained": "slope"}, {"form": "review", "review_years": 3}]


def bargain(contract: dict, beta: float = 0.5, scenario: str = "contract.yaml",
            **changes) -> em.Results:
    base = em.load_scenario(EXAMPLES / scenario)
    return em.solve(base.updated(markets={
        "buyer": {"structure": "bargaining", "beta": beta, "contract": contract},
        "outside": {"structure": "price_taker"}}, **changes))


def paid(results: em.Results) -> float:
    """NPV of the buyer's payments: sum_y W_y K Q_y p_y [USD bn]."""
    m = exporter_prices(results, "buyer")
    weight = 1.08 ** -(m.index.to_numpy() - 2025) if len(m) > 1 else 1.0
    return float((weight * K * m["volume_bcm_per_y"] * m["price_usd_per_mmbtu"]).sum())


@pytest.fixture(scope="module")
def indexed() -> em.Results:
    return em.solve(EXAMPLES / "contract.yaml")


def test_indexed_price_moves_with_the_lagged_index(indexed):
    """p_y = slope x L_y + constant: one constant, the data's slope, and the lagged Brent
    path of the data's oil-indexed formula."""
    c = indexed.tables["contract"].set_index("year")
    price = exporter_prices(indexed, "buyer")["price_usd_per_mmbtu"]
    lagged = c["lagged_oil_price_usd_per_bbl"]
    assert np.allclose(price, c["price_usd_per_mmbtu"], rtol=0, atol=1e-12)
    assert np.allclose(price - 0.05 * lagged, (price - 0.05 * lagged).iloc[0], atol=1e-12)
    assert np.corrcoef(price, lagged)[0, 1] == pytest.approx(1.0, abs=1e-12)
    # the formula of the data (0.05 x L + 1) moves the same way, year by year
    assert np.allclose(np.diff(price), np.diff(c["oil_indexed_formula_usd_per_mmbtu"]),
                       atol=1e-12)
    # Brent lagged 9 months: 3/4 of the previous year's and 1/4 of this year's (data 2024: 60,
    # 2028: 90, linear in between)
    assert lagged[2025] == pytest.approx(0.75 * 60 + 0.25 * 67.5)
    assert price.max() - price.min() == pytest.approx(0.05 * (lagged.max() - lagged.min()))


@pytest.mark.parametrize("contract", FORMS)
@pytest.mark.parametrize("scenario", ["nash.yaml", "contract.yaml"])
def test_every_form_pays_the_nash_share(contract, scenario):
    """Payments' NPV = the Nash payment of the closed form, each year's trade being the
    textbook one (Q = 53.33, price 5.6146 levelised at beta 0.5)."""
    results = bargain(contract, scenario=scenario)
    years = np.unique(results.markets["year"])
    weights = 1.08 ** -(years - 2025) if scenario == "contract.yaml" else np.ones(1)
    q = (10 - 2) / (0.1 + 0.05)
    expected = nash_closed_form(0.5, 4.0, 20.0) * q * K * weights.sum()
    assert paid(results) == pytest.approx(expected, rel=1e-6)
    table = results.tables["bargaining"].set_index("metric")["value"]
    assert table["payment_npv"] == pytest.approx(expected, rel=1e-6)
    assert table["russia_payoff_npv"] - table["russia_disagreement_npv"] == pytest.approx(
        0.5 * table["gains_npv"], rel=1e-9)


@pytest.mark.parametrize("beta", [0.0, 0.3, 1.0])
def test_indexed_matches_the_closed_form_at_any_beta(beta):
    results = bargain({"form": "indexed"}, beta=beta, scenario="nash.yaml")
    price = exporter_prices(results, "buyer")["price_usd_per_mmbtu"].iloc[0]
    assert price == pytest.approx(nash_closed_form(beta, 4.0, 20.0), rel=1e-6)


def test_review_strikes_the_bargain_per_period(indexed):
    review = bargain({"form": "review", "review_years": 4})
    c = review.tables["contract"]
    assert list(c["review_year"].unique()) == [2025, 2029, 2033]
    assert c.groupby("review_year")["constant_usd_per_mmbtu"].nunique().eq(1).all()
    table = review.tables["bargaining"].set_index("metric")["value"]
    assert table["bargains"] == 3 and table["capital_sunk_npv"] == 0
    # nothing is sunk: Russia's payoff is the ex-ante one, as under the indexed contract
    assert table["russia_payoff_npv"] == pytest.approx(table["russia_payoff_ex_ante_npv"])
    assert paid(review) == pytest.approx(paid(indexed), rel=1e-9)


@pytest.fixture(scope="module")
def five_year(baseline_scenario) -> em.Scenario:
    return baseline_scenario.updated(horizon={"start_year": 2025, "end_year": 2060, "step": 5})


def china_contract(scenario: em.Scenario, **spec) -> em.Scenario:
    return scenario.updated(markets={**scenario.markets, "china": {
        "structure": "bargaining", "beta": 0.32, **spec}})


def test_review_lets_the_buyer_take_a_share_of_sunk_capital(five_year):
    """With reviews every 10 years, the pipelines built for the trade (Power of Siberia 1
    expansion, Power of Siberia 2) are sunk at the later reviews: Russia gets its ex-ante
    share less beta of their annuities from then on."""
    results = em.solve(china_contract(five_year, contract={"form": "review",
                                                           "review_years": 10}))
    table = results.tables["bargaining"].set_index("metric")["value"]
    assert table["capital_sunk_npv"] > 1.0
    assert table["russia_payoff_npv"] < table["russia_payoff_ex_ante_npv"]
    assert table["russia_payoff_ex_ante_npv"] - table["russia_payoff_npv"] == pytest.approx(
        0.32 * table["capital_sunk_npv"], rel=1e-9)
    assert table["bargains"] == 4


def test_review_with_holdup_never_pays_russia_more_than_ex_ante(five_year):
    scenario = china_contract(five_year, beta=0.8, holdup="pos2_pipeline",
                              contract={"form": "review", "review_years": 10})
    plans = em.solve(scenario, dependence=False).tables["holdup"]
    assert (plans["russia_payoff_ex_post_usd_bn"]
            <= plans["russia_payoff_ex_ante_usd_bn"] + 1e-9).all()
    built = plans[plans["decision_year"].notna()]
    assert (built["capex_sunk_usd_bn"] > 0).all()
    choice = plans[plans["holdup_choice"]].iloc[0]
    assert choice["russia_payoff_ex_post_usd_bn"] == plans["russia_payoff_ex_post_usd_bn"].max()


def test_baseline_prices_follow_their_contracts(baseline):
    """Power of Siberia 1 keeps its 2014 formula to the end of its term (2049): its price is
    the formula, year by year; the bargained contract (Power of Siberia 2, and the older
    pipelines once their terms end) moves with the same index, its constant set by the
    bargain; and NPV transferred = the benchmark value of Russia's volumes to China less
    what China pays for them, route by route."""
    f = baseline.flows.set_index(["route", "year"])
    pos1 = f.xs("power_of_siberia_1", level="route")
    legacy = pos1.loc[2025:2049]
    assert (legacy["price_basis"] == "legacy contract").all()
    c = baseline.tables["contract"].set_index("year")
    gap = c["price_usd_per_mmbtu"] - c["oil_indexed_formula_usd_per_mmbtu"]
    assert np.allclose(gap, gap.iloc[0], atol=1e-9)
    pos2 = f.xs("power_of_siberia_2", level="route")
    flowing = pos2[pos2["flow_bcm_per_y"] > 1e-6]
    assert len(flowing) > 0 and (flowing["price_basis"] == "bargained contract").all()
    assert np.allclose(flowing["price_usd_per_mmbtu"],
                       c["price_usd_per_mmbtu"].reindex(flowing.index), atol=1e-9)
    p = baseline.tables["pressure"]
    p = p[p["year"].between(2030, 2060)]  # the window of every pressure figure
    weight = 1.08 ** -(p["year"] - 2025)
    transferred = (weight * K * p["volume_bcm_per_y"] * (p["benchmark_price_usd_per_mmbtu"]
                                                         - p["price_usd_per_mmbtu"])).sum()
    summary = baseline.summary.set_index("metric")["value"]
    assert summary["npv_transferred"] == pytest.approx(transferred, rel=1e-9)


@pytest.mark.parametrize(("contract", "match"), [
    ({"form": "review"}, "form review needs review_years"),
    ({"form": "indexed", "review_years": 5}, "review_years applies to form review only"),
    ({"form": "fixed"}, "markets.buyer.contract.form"),
])
def test_bad_contract_specs(contract, match):
    with pytest.raises(em.InputError, match=match):
        bargain(contract, scenario="nash.yaml")


def test_indexed_needs_the_contract_data():
    scenario = em.load_scenario(EXAMPLES / "competitive.yaml").updated(markets={"buyer": {
        "structure": "bargaining", "beta": 0.5, "contract": {"form": "indexed"}}})
    with pytest.raises(em.InputError, match=re.escape(
            "markets.buyer.contract: contract form indexed needs the oil_price path")):
        em.solve(scenario)


def test_contract_table_columns(indexed):
    c = indexed.tables["contract"]
    assert list(c.columns[:6]) == ["year", "review_year", "lagged_oil_price_usd_per_bbl",
                                   "slope_usd_per_mmbtu_per_usd_per_bbl",
                                   "constant_usd_per_mmbtu", "price_usd_per_mmbtu"]
    assert len(c) == 10 and (c["review_year"] == 2025).all()
