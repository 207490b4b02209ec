"""The validation table on its own: entity selectors (routes, the exporter's routes into a
market, a supplier's, all imports, sums), quantities (flows, prices, revenues, residuals,
shares and ratios), the kind of check, and bad observations in history.csv."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from energymodel.data import load_dataset
from energymodel.errors import InputError
from energymodel.history import CHECKS, entity_problem, validation_table
from energymodel.units import K

from .test_bad_input import corrupted_data


def observations(*rows) -> pd.DataFrame:
    columns = ["quantity", "entity", "year", "to_year", "value", "tolerance", "check", "source"]
    return pd.DataFrame([dict(zip(columns, (*r[:6], r[6] if len(r) > 6 else "fit", "s"),
                                  strict=True)) for r in rows])


# Market m: the exporter's route a, a rival's route r and the buyer's domestic route d;
# market n: the exporter's route b. Prices per route-year in USD/MMBtu.
FLOWS = pd.DataFrame({
    "route": ["a", "b", "r", "d"] * 2,
    "market": ["m", "n", "m", "m"] * 2,
    "kind": ["pipeline", "pipeline", "pipeline", "domestic"] * 2,
    "supplier": ["x", "x", "y", "z"] * 2,
    "role": ["exporter", "exporter", "rival", "domestic"] * 2,
    "year": [2020] * 4 + [2021] * 4,
    "flow_bcm_per_y": [10.0, 5.0, 30.0, 100.0, 20.0, 0.0, 30.0, 110.0]}).assign(
    revenue_usd_bn=lambda f: f["flow_bcm_per_y"] * [4, 8, 6, 5, 7, 9, 6, 5] * K)
MARKETS = pd.DataFrame({"market": ["m", "m", "n", "n"], "year": [2020, 2021, 2020, 2021],
                        "residual_bcm_per_y": [40.0, 20.0, 0.0, 0.0]})


def modelled(*rows) -> np.ndarray:
    return validation_table(FLOWS, observations(*rows), MARKETS)["modelled"].to_numpy()


def test_flows_of_routes_markets_and_sums():
    table = validation_table(FLOWS, observations(
        ("flow", "a", 2020, 2020, 10.0, 2.0), ("flow", "m+n", 2020, 2020, 20.0, 3.0),
        ("flow", "a", 2020, 2021, 15.0, 0.1))).set_index(["entity", "to_year"])
    assert table.loc[("a", 2020), "modelled"] == 10.0
    assert table.loc[("m+n", 2020), "modelled"] == 15.0  # the exporter's routes only
    assert not table.loc[("m+n", 2020), "within_tolerance"]  # 5 off 20: beyond 3
    assert table.loc[("a", 2021), "modelled"] == 15.0  # mean over the two years


def test_a_supplier_at_a_market_and_all_imports():
    assert list(modelled(("flow", "y@m", 2020, 2020, 30.0, 1.0),
                         ("flow", "x@m", 2020, 2021, 15.0, 1.0),
                         ("flow", "imports@m", 2020, 2020, 40.0, 1.0),
                         ("flow", "imports@m+b", 2020, 2020, 45.0, 1.0),
                         ("flow", "z@m", 2021, 2021, 110.0, 1.0))) == [30.0, 15.0, 40.0, 45.0,
                                                                     110.0]


def test_prices_are_volume_weighted_and_revenues_summed():
    table = validation_table(FLOWS, observations(
        ("price", "m+n", 2020, 2020, 5.0, 1.0), ("price", "a", 2020, 2021, 6.0, 0.1),
        ("price", "b", 2021, 2021, 9.0, 1.0), ("revenue", "m+n", 2020, 2020, 2.0, 1.0),
        ("price", "imports@m", 2020, 2020, 5.0, 1.0)))
    value = table["modelled"].to_numpy()
    assert value[0] == pytest.approx((10 * 4 + 5 * 8) / 15)
    assert value[1] == pytest.approx((10 * 4 + 20 * 7) / 30)
    assert pd.isna(value[2])  # no flow, no realised price
    assert not table["within_tolerance"].iloc[2]
    assert value[3] == pytest.approx((10 * 4 + 5 * 8) * K)
    assert value[4] == pytest.approx((10 * 4 + 30 * 6) / 40)


def test_residual_revenue_share_and_price_ratio():
    value = modelled(("residual", "m", 2020, 2021, 30.0, 1.0),
                     ("revenue_share", "y@m/imports@m", 2020, 2020, 0.8, 0.1),
                     ("revenue_share", "m/imports@m", 2020, 2021, 0.5, 0.1),
                     ("price_ratio", "y@m/m", 2020, 2020, 1.5, 0.1),
                     ("price_ratio", "y@m/b", 2021, 2021, 1.0, 0.1))
    assert value[0] == 30.0  # mean of 40 and 20
    assert value[1] == pytest.approx(30 * 6 / (10 * 4 + 30 * 6))
    assert value[2] == pytest.approx((10 * 4 + 20 * 7) / (10 * 4 + 30 * 6 + 20 * 7 + 30 * 6))
    assert value[3] == pytest.approx(6 / 4)
    assert pd.isna(value[4])  # b has no flow in 2021: no price to divide by
    assert pd.isna(validation_table(FLOWS, observations(("residual", "m", 2020, 2020, 1.0,
                                                         1.0)))["modelled"].iloc[0])


def test_units_and_check_kinds_are_reported():
    table = validation_table(FLOWS, observations(
        ("flow", "a", 2020, 2020, 10.0, 1.0, "independent"),
        ("residual", "m", 2020, 2020, 40.0, 1.0, "accounting"),
        ("price_ratio", "y@m/m", 2020, 2020, 1.5, 0.1, "fit")), MARKETS)
    assert list(table["unit"]) == ["bcm/y", "bcm/y", "1"]
    assert list(table["check"]) == ["independent", "accounting", "fit"]
    assert set(table["check"]) <= set(CHECKS)


def test_observations_outside_the_run_are_left_out():
    assert validation_table(FLOWS, observations(("flow", "a", 1999, 1999, 1.0, 1.0))) is None
    table = validation_table(FLOWS, observations(("flow", "a", 2021, 2022, 1.0, 1.0),
                                                 ("flow", "a", 2021, 2021, 20.0, 1.0)))
    assert list(table["year"]) == [2021] and list(table["to_year"]) == [2021]


@pytest.mark.parametrize(("quantity", "entity", "problem"), [
    ("flow", "a+m", None), ("flow", "y@m+imports@n", None), ("residual", "m", None),
    ("price_ratio", "y@m/m", None), ("revenue_share", "y@m/imports@m", None),
    ("flow", "q", "no route or market 'q'"), ("flow", "a+a", "an entity listed twice"),
    ("flow", "w@m", "no supplier 'w' (or imports)"), ("flow", "y@q", "no market 'q'"),
    ("flow", "a/b", "only revenue_share and price_ratio take A/B"),
    ("price_ratio", "a", "price_ratio needs two entities, A/B"),
    ("residual", "a", "residual needs a market, not 'a'"),
])
def test_entity_grammar(quantity, entity, problem):
    assert entity_problem(quantity, entity, ["a", "b"], ["m", "n"], ["x", "y"]) == problem


@pytest.mark.parametrize(("old", "new", "parts"), [
    ("residual,china,2024,,76.7,Mt/y LNG,,,7.67,accounting,",
     "residual,china,2024,,76.7,Mt/y LNG,,,7.67,derived,",
     ["data/history.csv", "line 49 (quantity=residual, entity=china, year=2024): check",
      "'derived' is not one of independent, fit, accounting"]),
    ("flow,imports@china,2024,", "flow,imports@atlantis,2024,",
     ["line 50 (quantity=flow, year=2024): entity", "no market 'atlantis'"]),
    ("price_ratio,turkmenistan@china/china,2020,", "price_ratio,turkmenistan@china,2020,",
     ["entity", "price_ratio needs two entities, A/B"]),
    ("flow,imports@china,2024,,55,Mt/y pipeline gas,", "flow,imports@china,2024,,55,Mt/y,",
     ["line 50", "unit", "unknown unit 'Mt/y'"]),
])
def test_bad_observation_is_one_line_naming_file_line_field_and_reason(tmp_path, old, new,
                                                                        parts):
    data = corrupted_data(tmp_path, "history.csv", old, new)
    with pytest.raises(InputError) as err:
        load_dataset(data)
    message = str(err.value)
    assert "\n" not in message
    for part in parts:
        assert part in message, message
