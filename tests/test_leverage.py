"""The leverage decomposition (energymodel.decomposition): drivers as scenario changes, the
worlds they span, Shapley values that add up to the total, and the command."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import energymodel as em
from energymodel import decomposition
from energymodel.errors import InputError
from energymodel.scenario import Changes

from .conftest import five_year

SCENARIOS = "scenarios"


@pytest.fixture(scope="module")
def base() -> em.Scenario:
    return five_year(f"{SCENARIOS}/baseline.yaml")


@pytest.fixture(scope="module")
def two(base) -> decomposition.Leverage:
    """Europe's closure and China's alternatives over the baseline at 5-year steps."""
    drivers = {k: base.leverage.drivers[k] for k in ("europe_closed", "alternatives",
                                                     "capital_sunk")}
    return em.leverage(base, drivers, session=em.Session())


def test_changes_apply_in_order(base):
    c = Changes(remove_policies=["eu_phaseout_2027"], add_policies=["eu_phaseout_2027"],
                markets={"china": {"beta": 0.5, "contract": None}},
                overrides=[{"entity": "china", "parameter": "elasticity", "value": -0.6}],
                pathway="net_zero")
    s = c.apply(base)
    assert s.policies[-1] == "eu_phaseout_2027" and len(s.policies) == len(base.policies)
    assert s.markets["china"].parameters == {"beta": 0.5}  # null removes a parameter
    assert s.overrides[-1].value == -0.6 and s.pathway == "net_zero"
    with pytest.raises(InputError, match="no such market"):
        Changes(markets={"atlantis": {"beta": 0.5}}).apply(base)


def test_shapley_values_add_up_and_worlds_are_solves(two, base):
    """The drivers' contributions sum to the total to 1e-9; the reference world and the
    scenario are the solves of those scenarios; an inactive driver moves nothing and costs
    no solve (2 active drivers: 4 worlds)."""
    t = two.table
    assert list(t["driver"]) == ["europe_closed", "alternatives", "capital_sunk", "total"]
    assert two.active == ("europe_closed", "alternatives") and len(two.worlds) == 4
    assert decomposition.check_sums(two) < 1e-9
    sunk = t.set_index("driver").loc["capital_sunk"]
    assert not sunk["active"] and sunk["price_effect_usd_per_mmbtu"] == 0
    assert "not at work" in sunk["explanation"]
    scenario_price = em.solve(base).summary.set_index("metric")["value"]["mean_price"]
    reference = decomposition.world(base, two.drivers, frozenset())
    reference_price = em.solve(reference).summary.set_index("metric")["value"]["mean_price"]
    total = t.set_index("driver").loc["total"]
    assert total["price_effect_usd_per_mmbtu"] == pytest.approx(
        scenario_price - reference_price, abs=1e-9)
    w = two.worlds
    assert w.loc[0, "npv_to_buyer"] == 0  # the reference world moves nothing to itself


def test_baseline_answer(two):
    """The baseline's answer: China's alternatives (pipeline gas from Central Asia and
    Myanmar, the LNG supply wave) lower its price for Russian gas by well over 1 USD/MMBtu,
    through the benchmark; Europe's closure moves it by less than 0.05, because West
    Siberia's gas for China never competed with Europe's (Russia's opportunity cost moves
    by less than 0.05); each explanation states its numbers."""
    t = two.table.set_index("driver")
    assert t.loc["alternatives", "price_effect_usd_per_mmbtu"] < -1.0
    assert t.loc["alternatives", "benchmark_effect_usd_per_mmbtu"] < -3.0
    assert t.loc["alternatives", "npv_to_buyer_usd_bn"] > 10
    assert abs(t.loc["europe_closed", "price_effect_usd_per_mmbtu"]) < 0.05
    assert abs(t.loc["europe_closed", "opportunity_cost_effect_usd_per_mmbtu"]) < 0.05
    sentence = t.loc["alternatives", "explanation"]
    assert f"{t.loc['alternatives', 'price_effect_usd_per_mmbtu']:+.2f} USD/MMBtu" in sentence


def test_interaction_reported(two):
    """Pairwise interactions are reported per outcome and add up with the main effects."""
    i = two.interactions
    price = i[i["outcome"] == "price"]
    assert len(price) == 1
    d = two.decomposition.totals.set_index("outcome").loc["price"]
    assert d["sum_main_effects"] + price["interaction"].iloc[0] == pytest.approx(d["total"],
                                                                                 abs=1e-9)


def test_user_driver_and_errors(base):
    """A driver a user names as scenario changes; a scenario without buyer power, or
    without drivers, is refused in one line."""
    mine = {"cheap_lng": {"name": "Cheap LNG", "reference": {"overrides": [
        {"entity": "china", "parameter": "price_cap", "scale": 1.3}]}}}
    found = em.leverage(base, mine, session=em.Session())
    assert found.table.set_index("driver").loc["cheap_lng", "price_effect_usd_per_mmbtu"] < 0
    with pytest.raises(InputError, match="a mapping"):
        em.leverage(base, {"x": 3})
    competitive = em.load_scenario(f"{SCENARIOS}/examples/competitive.yaml")
    with pytest.raises(InputError, match=r"names no drivers|buyer power"):
        em.leverage(competitive)


@pytest.mark.slow
def test_leverage_command_writes_its_folder(tmp_path):
    from typer.testing import CliRunner

    from energymodel.cli import app

    scenario = tmp_path / "small.yaml"
    scenario.write_text(f"extends: {Path(SCENARIOS).resolve()}/baseline.yaml\nname: small\n"
                        "horizon: {start_year: 2025, end_year: 2060, step: 5}\n"
                        "uncertainty: null\n")
    out = tmp_path / "lev"
    result = CliRunner().invoke(app, ["leverage", str(scenario), "--out", str(out),
                                      "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "China's other suppliers" in result.output
    table = pd.read_csv(out / "leverage.csv")
    assert table["driver"].iloc[-1] == "total"
    parts = table[table["driver"] != "total"]["price_effect_usd_per_mmbtu"].sum()
    assert parts == pytest.approx(table["price_effect_usd_per_mmbtu"].iloc[-1], abs=1e-9)
    again = CliRunner().invoke(app, ["leverage", str(scenario), "--out", str(tmp_path)])
    assert again.exit_code == 2  # a folder it did not make is never written into


def test_a_driver_the_data_reject_is_one_input_error(base):
    """A driver whose reference world names a policy the data lack fails as bad input,
    naming the scenario's leverage drivers and the world."""
    bad = {"ghost": {"name": "Ghost", "reference": {"add_policies": ["no_such_policy"]}}}
    with pytest.raises(InputError, match="no_such_policy") as found:
        em.leverage(base, bad, session=em.Session())
    assert found.value.field == "leverage.drivers"
