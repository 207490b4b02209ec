"""Sweeps asserting economic properties over the swept range (5-year periods)."""

from __future__ import annotations

import numpy as np
import pytest

from energymodel.sweeps import sweep, validate_sweep
from tests.conftest import SCENARIOS

STEP5 = {"horizon": {"step": 5}}


def run(tmp_path, name, scenario, design, inputs, outputs=None):
    spec = validate_sweep({"name": name, "scenario": str(SCENARIOS / scenario), "set": STEP5,
                           "design": design, "inputs": inputs,
                           **({"outputs": outputs} if outputs else {})})
    table = sweep(spec, "inline", out=tmp_path / name)
    assert (table["status"] == "ok").all(), table["reason"].tolist()
    return table


def test_russia_npv_rises_with_european_demand(tmp_path):
    """With Europe open, more European demand for Russian gas never lowers Russia's NPV."""
    t = run(tmp_path, "eu_demand", "europe_reopened.yaml", {"method": "grid", "levels": 4},
            [{"entity": "europe", "parameter": "ref_quantity", "values": [0.5, 0.8, 1.1, 1.4]}],
            ["npv_export_revenue", "npv_export_profit", "revenue_by_outlet"])
    t = t.sort_values("europe.ref_quantity")
    for output in ("npv_export_profit", "npv_revenue_europe"):
        assert np.all(np.diff(t[output]) >= -1e-6), output
    assert t["npv_revenue_europe"].iloc[-1] > t["npv_revenue_europe"].iloc[0] + 1


def test_china_price_falls_with_its_bargaining_power(tmp_path):
    """China's price is non-increasing in beta, and the revenue transferred non-decreasing."""
    t = run(tmp_path, "beta", "baseline.yaml", {"method": "grid"},
            [{"field": "markets.china.beta", "values": [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]}],
            ["buyer_price", "npv_transferred", "npv_export_revenue"])
    t = t.sort_values("markets.china.beta")
    assert np.all(np.diff(t["price_china"]) <= 1e-9)
    assert np.all(np.diff(t["npv_transferred"]) >= -1e-9)
    assert t["price_china"].iloc[0] > t["price_china"].iloc[-1] + 1


@pytest.fixture(scope="module")
def latin(tmp_path_factory):
    """A Latin hypercube over demand, elasticity, LNG price and capacity inputs."""
    return run(tmp_path_factory.mktemp("latin"), "latin", "baseline.yaml",
               {"method": "latin", "n": 8, "seed": 3},
               [{"entity": "china", "parameter": "ref_quantity"},
                {"entity": "china", "parameter": "elasticity"},
                {"entity": "china", "parameter": "price_cap"},
                {"entity": "lng_global", "parameter": "ref_price"},
                {"entity": "west_siberia", "parameter": "capacity"},
                {"field": "markets.china.beta", "low": 0.0, "high": 1.0}],
               ["checks", "buyer_price", "dependence"])


def test_prices_within_caps_at_every_point(latin):
    """Prices on a demand curve never exceed the cap; over the contract China never pays
    more than its LNG alternative (the bargained levelised price may in single years)."""
    assert (latin["max_price_above_cap"] <= 1e-6).all()
    assert (latin["npv_buyer_above_parity"] <= 1e-6).all()
    assert latin["price_china"].between(0, 20).all()


def test_no_route_above_capacity_at_any_point(latin):
    assert (latin["max_flow_above_capacity"] <= 1e-6).all()
    assert latin["dependence_volume"].between(0, 1).all()
