"""The price, revenue and share hindcast: Russia's routes at their contract formulas in the
years those contracts ran (Power of Siberia 1, Europe's hub-linked contracts, Turkey's and
the Balkans' oil-indexed ones), China's market competitive with its rivals, against
reported prices, revenues, shares and ratios (data/history.csv), each within its stated
tolerance unless docs/validation.md explains why not, and each labelled with its kind of check."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from energymodel.history import CHECKS

from .conftest import DATA

# Where the model cannot match (docs/validation.md): the Ministry's Sep 2023 forecast of
# the 2024 Europe and Turkey price lies above even the 2024 hub price, while Turkey and the
# Balkans pay their oil-indexed formulas (Gazprom's China slope) to the end of 2024.
EXPLAINED = {("price", "europe+turkey", 2024), ("revenue", "europe+turkey+china", 2024)}
BRENT = {2019: 64.2, 2020: 41.8, 2021: 70.9, 2022: 99.0, 2023: 82.5, 2024: 80.5, 2025: 69}
TTF = {2019: 4.46, 2020: 3.14, 2021: 16.25, 2022: 38.5, 2023: 12.98, 2024: 10.76, 2025: 11.9}


def lagged(path: dict[int, float], year: int, months: float) -> float:
    return months / 12 * path[year - 1] + (1 - months / 12) * path[year]


def key(v: pd.DataFrame) -> list[tuple]:
    return list(zip(v["quantity"], v["entity"], v["year"], strict=True))


def route_prices(history, route: str) -> pd.DataFrame:
    f = history.flows
    return f[f["route"] == route].set_index("year")[["price_usd_per_mmbtu", "price_basis"]]


def test_validation_reports_every_observation_with_its_kind_of_check(history):
    v = history.validation
    stated = pd.read_csv(DATA / "history.csv")
    assert v.groupby("quantity").size().to_dict() == stated.groupby("quantity").size().to_dict()
    assert stated.groupby("quantity").size().to_dict() == {
        "flow": 34, "price": 14, "revenue": 4, "residual": 1, "revenue_share": 2,
        "price_ratio": 2}
    assert list(v["check"]) == list(stated["check"])  # in the file's order
    assert set(v["check"]) == set(CHECKS)
    assert v["source"].str.len().gt(0).all()
    independent = v[v["check"] == "independent"].groupby("quantity").size().to_dict()
    assert independent == {"flow": 14, "price": 11, "revenue_share": 2, "price_ratio": 1}


def test_within_tolerance_or_explained(history):
    v = history.validation
    known = np.array([k in EXPLAINED for k in key(v)])
    explained = v[known]
    failing = v[~known & ~v["within_tolerance"]]
    assert failing.empty, failing.to_string()
    assert len(explained) == len(EXPLAINED)  # each explained miss is a real row
    # they miss because the model's prices sit below the forecast
    assert (explained["modelled"] < explained["observed"] - explained["tolerance"]).all()


def test_power_of_siberia_1_at_its_contract_formula_year_by_year(history):
    pos1 = route_prices(history, "power_of_siberia_1")
    assert (pos1.loc[2020:2025, "price_basis"] == "legacy contract").all()
    for year in range(2020, 2026):  # slope x (0.75 Brent of the year before + 0.25 this)
        assert pos1.loc[year, "price_usd_per_mmbtu"] == pytest.approx(
            0.0895 * lagged(BRENT, year, 9))
    assert np.diff(pos1.loc[2021:2023, "price_usd_per_mmbtu"]).min() > 0  # follows oil up
    # China's market price is its marginal supply's, LNG at its landed price
    china = history.markets.set_index(["market", "year"]).loc["china"]
    assert china["price_usd_per_mmbtu"].to_numpy() == pytest.approx(
        china["price_cap_usd_per_mmbtu"].to_numpy())


def test_europe_and_turkey_at_their_contracts_while_they_ran(history):
    for route, end in (("nord_stream_1", 2022), ("yamal_europe", 2022),
                       ("ukraine_transit", 2024)):
        prices = route_prices(history, route)
        assert (prices.loc[2019:end, "price_basis"] == "legacy contract").all()
        for year in range(2020, end + 1):  # hub-linked, the hub price lagged 4 months
            assert prices.loc[year, "price_usd_per_mmbtu"] == pytest.approx(
                lagged(TTF, year, 4))
        assert (prices.loc[end + 1:, "price_basis"] == "inverse demand").all()
    for route in ("turkstream_europe", "turkstream_turkey", "blue_stream"):
        prices = route_prices(history, route)
        for year in range(2020, 2025):  # oil-indexed as Power of Siberia 1
            assert prices.loc[year, "price_usd_per_mmbtu"] == pytest.approx(
                0.0895 * lagged(BRENT, year, 9))
        assert prices.loc[2025, "price_basis"] == "inverse demand"


def test_2021_and_2022_prices_met_at_the_fitted_hub_lag(history):
    """At the fitted lag both lie within 25%, 2021 above and 2022 below: a longer lag
    lowers both (annual anchors cannot follow the 2021-22 spike within the year)."""
    v = history.validation.set_index(["quantity", "entity", "year"])
    gazprom = v.loc[("price", "europe+turkey+china", 2021)]
    western = v.loc[("price", "europe+turkey", 2022)]
    assert gazprom["check"] == western["check"] == "fit"
    assert 0 < gazprom["difference"] <= gazprom["tolerance"]
    assert -western["tolerance"] <= western["difference"] < 0


def test_2025_contract_price_matches_its_calibration_target(history):
    v = history.validation.set_index(["quantity", "entity", "year"])
    target = v.loc[("price", "china", 2025)]
    assert target["check"] == "fit"
    assert target["modelled"] == pytest.approx(target["observed"], rel=1e-3)
    customs = v.sort_index().loc[("price", "power_of_siberia_1")]  # 2022-2025, customs
    assert (customs["check"] == "independent").all() and customs["within_tolerance"].all()


def test_baseline_and_hindcast_agree_on_power_of_siberia_1_in_2025(baseline, history):
    tolerance = history.validation.set_index(["quantity", "entity", "year"]).loc[
        ("price", "china", 2025), "tolerance"]
    base, hind = (route_prices(r, "power_of_siberia_1").loc[2025] for r in (baseline, history))
    assert base["price_basis"] == hind["price_basis"] == "legacy contract"
    assert abs(base["price_usd_per_mmbtu"] - hind["price_usd_per_mmbtu"]) <= tolerance


def test_turkmen_gas_dearer_and_worth_more_than_russian(history):
    v = history.validation.set_index(["quantity", "entity", "year"])
    shares = v.loc["revenue_share"]
    turkmen = shares.loc[("turkmenistan@china/imports@china", 2024), "modelled"]
    russian = shares.loc[("china/imports@china", 2024), "modelled"]
    assert turkmen > russian  # Turkmenistan ahead of Russia in 2024's import value
    ratios = v.loc["price_ratio"].loc["turkmenistan@china/china"]
    assert (ratios["modelled"] > 1).all()  # Central Asian gas dearer in 2020-21
    assert ratios.loc[2020, "check"] == "independent" and ratios.loc[2021, "check"] == "fit"
