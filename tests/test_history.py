"""Validation table: modelled 2019-2025 flows against observed ones (data/history.csv)."""

from __future__ import annotations

import pytest


def flows(history):
    v = history.validation
    return v[v["quantity"] == "flow"]


def test_every_observed_flow_within_tolerance(history):
    v = flows(history)
    assert set(v["entity"]) >= {"power_of_siberia_1", "europe", "turkey", "lng_global"}
    assert len(v) == 33
    assert (v["unit"] == "bcm/y").all()
    failing = v[~v["within_tolerance"]]
    assert failing.empty, failing.to_string()


def test_power_of_siberia_1_ramp(history):
    pos1 = flows(history)[flows(history)["entity"] == "power_of_siberia_1"]
    modelled = pos1.set_index("year")["modelled"]
    assert list(modelled) == sorted(modelled)  # ramps up every year
    assert modelled[2025] == pytest.approx(38.0)


def test_collapse_of_european_flows(history):
    europe = flows(history)[flows(history)["entity"] == "europe"].set_index("year")
    modelled = europe["modelled"]
    assert modelled[2021] > 100 and modelled[2025] < 20
    assert modelled[2023] < 0.25 * modelled[2021]
