"""The validation table on its own: routes, markets, sums, multi-year prices, revenues."""

from __future__ import annotations

import pandas as pd
import pytest

from energymodel.history import validation_table
from energymodel.units import K


def observations(*rows) -> pd.DataFrame:
    columns = ["quantity", "entity", "year", "to_year", "value", "tolerance", "source"]
    return pd.DataFrame([dict(zip(columns, (*r, "s"), strict=True)) for r in rows])


FLOWS = pd.DataFrame({"route": ["a", "b", "a", "b"], "market": ["m", "n", "m", "n"],
                      "year": [2020, 2020, 2021, 2021],
                      "flow_bcm_per_y": [10.0, 5.0, 20.0, 0.0]}).assign(
    revenue_usd_bn=lambda f: f["flow_bcm_per_y"] * [4.0, 8.0, 7.0, 9.0] * K)


def test_flows_of_routes_markets_and_sums():
    table = validation_table(FLOWS, observations(
        ("flow", "a", 2020, 2020, 10.0, 2.0), ("flow", "m+n", 2020, 2020, 20.0, 3.0),
        ("flow", "a", 2020, 2021, 15.0, 0.1))).set_index(["entity", "to_year"])
    assert table.loc[("a", 2020), "modelled"] == 10.0
    assert table.loc[("m+n", 2020), "modelled"] == 15.0
    assert not table.loc[("m+n", 2020), "within_tolerance"]  # 5 off 20: beyond 3
    assert table.loc[("a", 2021), "modelled"] == 15.0  # mean over the two years


def test_prices_are_volume_weighted_and_revenues_summed():
    table = validation_table(FLOWS, observations(
        ("price", "m+n", 2020, 2020, 5.0, 1.0), ("price", "a", 2020, 2021, 6.0, 0.1),
        ("price", "b", 2021, 2021, 9.0, 1.0), ("revenue", "m+n", 2020, 2020, 2.0, 1.0)))
    modelled = table["modelled"].to_numpy()
    assert modelled[0] == pytest.approx((10 * 4 + 5 * 8) / 15)
    assert modelled[1] == pytest.approx((10 * 4 + 20 * 7) / 30)
    assert pd.isna(modelled[2])  # no flow, no realised price
    assert not table["within_tolerance"].iloc[2]
    assert modelled[3] == pytest.approx((10 * 4 + 5 * 8) * K)


def test_observations_outside_the_run_are_left_out():
    assert validation_table(FLOWS, observations(("flow", "a", 1999, 1999, 1.0, 1.0))) is None
    table = validation_table(FLOWS, observations(("flow", "a", 2021, 2022, 1.0, 1.0),
                                                 ("flow", "a", 2021, 2021, 20.0, 1.0)))
    assert list(table["year"]) == [2021] and list(table["to_year"]) == [2021]
