"""Adding a supplier (docs: how to add a supplier): a new rival in China, its basin and
route in the data, changes Russia's figures only through competition."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import energymodel as em

from .conftest import five_year


def with_new_rival(tmp_path: Path, capacity_scale: float) -> em.Scenario:
    """The baseline on a copy of the data with a second Myanmar-like supplier to China
    (supplier, basin, route and their values copied under new ids)."""
    data = tmp_path / "data"
    shutil.copytree("data", data)
    ids = {"myanmar": "newland", "myanmar_shwe": "newland_field",
           "myanmar_china": "newland_china"}
    for table, key in (("suppliers", "supplier"), ("basins", "basin"), ("routes", "route")):
        t = pd.read_csv(data / f"{table}.csv", dtype=str, keep_default_na=False)
        row = t[t[key].isin(ids)].replace(ids)
        pd.concat([t, row]).to_csv(data / f"{table}.csv", index=False)
    values = pd.read_csv(data / "values" / "china_market.csv", dtype=str,
                         keep_default_na=False)
    copied = values[values["entity"].isin(ids)].replace(ids)
    pd.concat([values, copied]).to_csv(data / "values" / "china_market.csv", index=False)
    scenario = five_year("scenarios/baseline.yaml").updated(
        data_dir=data, leverage=None, uncertainty=None)
    return scenario.with_overrides({"entity": "newland_china", "parameter": "capacity",
                                    "scale": capacity_scale})


@pytest.fixture(scope="module")
def three(tmp_path_factory):
    base = em.solve(five_year("scenarios/baseline.yaml").updated(leverage=None,
                                                                 uncertainty=None))
    idle = em.solve(with_new_rival(tmp_path_factory.mktemp("idle"), 0.0))
    full = em.solve(with_new_rival(tmp_path_factory.mktemp("full"), 1.0))
    return base, idle, full


def test_a_rival_is_not_counted_as_russia(three):
    base, idle, full = three
    flows = full.flows
    assert set(flows.loc[flows["route"] == "newland_china", "role"]) == {"rival"}
    assert "newland_china" not in set(full.exports["route"])
    assert flows.loc[flows["route"] == "newland_china", "flow_bcm_per_y"].sum() > 1
    # without capacity the new supplier changes nothing of Russia's
    a = base.summary.set_index("metric")["value"]
    b = idle.summary.set_index("metric")["value"]
    for m in ("npv_export_revenue", "npv_export_profit", "mean_price", "npv_budget_take"):
        assert b[m] == pytest.approx(a[m], rel=1e-7)


def test_a_rival_changes_russia_only_through_competition(three):
    """With capacity, the rival can only take from Russia: Russia's export revenue and its
    price in China do not rise, and Russia's revenue never includes the rival's."""
    base, _, full = three
    a = base.summary.set_index("metric")["value"]
    c = full.summary.set_index("metric")["value"]
    assert c["npv_export_revenue"] <= a["npv_export_revenue"] + 1e-6
    assert c["mean_price"] <= a["mean_price"] + 1e-6
    rival = full.flows[full.flows["route"] == "newland_china"]["revenue_usd_bn"].sum()
    gap = base.exports["revenue_usd_bn"].sum() - full.exports["revenue_usd_bn"].sum()
    assert rival > 0 and gap >= -1e-6
    assert np.isfinite(c["npv_export_profit"])
