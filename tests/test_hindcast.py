"""The price and revenue hindcast: China at the Power of Siberia 1 contract formula, Europe
and Turkey at their spot alternative, against reported prices and revenues
(data/history.csv), each within its stated tolerance unless the README explains why not."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from .conftest import DATA

# Where the model cannot match (README, "Validation"): it prices Europe and Turkey at the
# hub (their LNG alternative), while Gazprom's realised prices in 2021-22 came from
# oil-indexed long-term contracts that lagged the hub price spike.
SPOT_NOT_CONTRACT = {("price", "europe+turkey+china", 2021), ("price", "europe+turkey", 2022),
                     ("revenue", "europe+turkey+china", 2021),
                     ("revenue", "europe+turkey+china", 2022)}


def observed(history, quantity):
    v = history.validation
    return v[v["quantity"] == quantity]


def test_validation_reports_flows_prices_and_revenues(history):
    v = history.validation
    stated = pd.read_csv(DATA / "history.csv").groupby("quantity").size().to_dict()
    assert v.groupby("quantity").size().to_dict() == stated  # every observation reported
    assert stated == {"flow": 33, "price": 10, "revenue": 4}
    assert v["source"].str.len().gt(0).all()
    assert set(v.columns) >= {"observed", "modelled", "tolerance", "within_tolerance", "source"}


def test_prices_and_revenues_within_tolerance_or_explained(history):
    v = history.validation[history.validation["quantity"] != "flow"]
    key = list(zip(v["quantity"], v["entity"], v["year"], strict=True))
    explained = v[[k in SPOT_NOT_CONTRACT for k in key]]
    checked = v[[k not in SPOT_NOT_CONTRACT for k in key]]
    failing = checked[~checked["within_tolerance"]]
    assert failing.empty, failing.to_string()
    assert len(explained) == len(SPOT_NOT_CONTRACT)  # each explained miss is a real row
    # the explained rows miss because the model's spot prices sit above the contract prices
    assert (explained["modelled"] > explained["observed"] + explained["tolerance"]).all()


def test_china_pays_the_contract_formula_year_by_year(history):
    markets = history.markets.set_index(["market", "year"])
    china = markets.loc["china"]
    assert (china["price_basis"] == "inverse demand").all()  # a price taker at the formula
    # slope x (0.75 Brent of the year before + 0.25 Brent of the year), constant 0
    brent = {2019: 64.2, 2020: 41.8, 2021: 70.9, 2022: 99.0, 2023: 82.5, 2024: 80.5, 2025: 69}
    for year in range(2020, 2026):
        lagged = 0.75 * brent[year - 1] + 0.25 * brent[year]
        assert china.loc[year, "price_usd_per_mmbtu"] == pytest.approx(0.0895 * lagged)
    assert np.diff(china.loc[2021:2023, "price_usd_per_mmbtu"]).min() > 0  # follows oil up


def test_2025_contract_price_matches_its_calibration_target(history):
    """The formula reproduces the reported 2025 price (USD 248.7/tcm) with the model's own
    9-month lag: no longer 3.9% above it."""
    china = observed(history, "price").set_index(["entity", "year"]).loc[("china", 2025)]
    assert china["modelled"] == pytest.approx(china["observed"], rel=1e-3)


def test_baseline_and_hindcast_agree_on_china_2025(baseline, history):
    tolerance = observed(history, "price").set_index(["entity", "year"]).loc[
        ("china", 2025), "tolerance"]
    base, hind = (r.markets.set_index(["market", "year"]).loc[("china", 2025),
                                                              "price_usd_per_mmbtu"]
                  for r in (baseline, history))
    assert abs(base - hind) <= tolerance
