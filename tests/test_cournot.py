"""Cournot competition among suppliers (structures/cournot.py): n firms of different linear
marginal costs reproduce the closed form to 1e-6; conduct per supplier; the structure is
one module the registry takes; its spec is checked when the scenario loads."""

from __future__ import annotations

import numpy as np
import pytest

import energymodel as em
from energymodel import structures
from energymodel.structures import cournot

from .conftest import EXAMPLES

REL = 1e-6
A, B = 10.0, 0.1
COSTS = {"firm_a": (2.0, 0.05), "firm_b": (3.0, 0.02), "firm_c": (4.0, 0.0)}


def closed_form(theta: dict[str, float]) -> dict[str, float]:
    """Sales of each firm where P(Q) - theta_i b q_i = c_i + d_i q_i for all, P = a - bQ:
    q_i = (a - bQ - c_i) / (theta_i b + d_i); a price taker with d_i = 0 is left out."""
    s0 = sum(1 / (theta[f] * B + d) for f, (_, d) in COSTS.items() if f in theta)
    s1 = sum((A - c) / (theta[f] * B + d) for f, (c, d) in COSTS.items() if f in theta)
    total = s1 / (1 + B * s0)
    return {f: (A - B * total - c) / (theta[f] * B + d) for f, (c, d) in COSTS.items()
            if f in theta}


def sales(results: em.Results) -> dict[str, float]:
    return results.flows.groupby("supplier")["flow_bcm_per_y"].sum().to_dict()


def scenario(theta: dict[str, float], closed: tuple[str, ...] = ()) -> em.Scenario:
    s = em.load_scenario(EXAMPLES / "cournot.yaml")
    overrides = [{"entity": f"link_{f[-1]}", "parameter": "capacity", "value": 0}
                 for f in closed]
    return s.updated(markets={"buyer": {"structure": "cournot", "theta": theta}},
                     overrides=overrides)


@pytest.mark.parametrize("firms", [("firm_a", "firm_b"), ("firm_a", "firm_b", "firm_c")])
def test_n_firm_cournot_closed_form(firms):
    theta = {f: 1.0 for f in firms}
    closed = tuple(f for f in COSTS if f not in firms)
    got = sales(em.solve(scenario(theta, closed)))
    expected = closed_form(theta)
    for firm in firms:
        assert got[firm] == pytest.approx(expected[firm], rel=REL)
    for firm in closed:
        assert got[firm] == pytest.approx(0.0, abs=1e-7)


def test_shipped_example_matches_its_header():
    results = em.solve(EXAMPLES / "cournot.yaml")
    got = sales(results)
    assert sum(got.values()) == pytest.approx(49.047619, rel=REL)
    assert got["firm_a"] == pytest.approx(20.634921, rel=REL)
    price = results.markets["price_usd_per_mmbtu"].iloc[0]
    assert price == pytest.approx(A - B * sum(got.values()), rel=REL)
    # the exporter's figures are firm A's alone
    a = results.flows[results.flows["supplier"] == "firm_a"]
    assert results.npv("export_revenue") == pytest.approx(a["revenue_usd_bn"].sum(), rel=REL)


def test_conduct_per_supplier():
    """Firm A Cournot, B and C price takers (theta 0): A's first-order condition has its
    markup, B's is price = marginal cost; C, whose constant cost 4 is above the price,
    sells nothing."""
    results = em.solve(scenario({"firm_a": 1.0, "firm_b": 0.0, "firm_c": 0.0}))
    got, price = sales(results), results.markets["price_usd_per_mmbtu"].iloc[0]
    c, d = COSTS["firm_a"]
    assert price - B * got["firm_a"] == pytest.approx(c + d * got["firm_a"], rel=REL)
    c, d = COSTS["firm_b"]
    assert price == pytest.approx(c + d * got["firm_b"], rel=REL)
    assert price < 4.0 and got["firm_c"] == pytest.approx(0.0, abs=1e-7)
    # the three conditions solved by hand: 100 - 10 P = (P - 2)/0.15 + (P - 3)/0.02
    assert price == pytest.approx((100 + 2 / 0.15 + 3 / 0.02) / (10 + 1 / 0.15 + 1 / 0.02),
                                  rel=REL)


def test_theta_zero_is_competitive():
    cournot_zero = em.solve(scenario({"firm_a": 0.0, "firm_b": 0.0, "firm_c": 0.0}))
    competitive = em.solve(em.load_scenario(EXAMPLES / "cournot.yaml").updated(
        markets={"buyer": {"structure": "competitive"}}))
    assert np.allclose(cournot_zero.flows["flow_bcm_per_y"],
                       competitive.flows["flow_bcm_per_y"], rtol=1e-7, atol=1e-7)


def test_more_conduct_less_output_higher_price():
    prices = [em.solve(scenario({f: t for f in COSTS})).markets["price_usd_per_mmbtu"].iloc[0]
              for t in (0.0, 0.5, 1.0)]
    assert prices[0] < prices[1] < prices[2]


def test_the_registry_takes_the_module(monkeypatch):
    """Without its registry line the structure is unknown; with it, it solves: the module
    needs nothing else."""
    monkeypatch.delitem(structures.REGISTRY, "cournot")
    with pytest.raises(em.InputError, match="unknown structure 'cournot'"):
        em.load_scenario(EXAMPLES / "cournot.yaml")
    monkeypatch.setitem(structures.REGISTRY, "cournot", cournot.Cournot())
    got = sales(em.solve(EXAMPLES / "cournot.yaml"))
    assert got["firm_c"] == pytest.approx(closed_form({f: 1.0 for f in COSTS})["firm_c"],
                                          rel=REL)


@pytest.mark.parametrize("theta, field, reason, when", [
    ({"firm_a": 1.5}, "markets.buyer.theta.firm_a", "outside the range", "load"),
    ({"atlantis": 1.0}, "markets.buyer.theta.atlantis", "no supplier 'atlantis'", "solve"),
])
def test_bad_conduct_is_one_line(tmp_path, theta, field, reason, when):
    """A parameter the spec forbids fails when the scenario loads; a supplier the data lack
    when the scenario meets its data."""
    text = (EXAMPLES / "cournot.yaml").read_text().replace(
        "theta: {firm_a: 1.0, firm_b: 1.0, firm_c: 1.0}",
        "theta: {" + ", ".join(f"{k}: {v}" for k, v in theta.items()) + "}")
    path = tmp_path / "bad.yaml"
    path.write_text(text.replace("data_dir: cournot_data", f"data_dir: {EXAMPLES}/cournot_data"))
    with pytest.raises(em.InputError) as error:
        em.load_scenario(path) if when == "load" else em.solve(path)
    assert error.value.field == field and reason in error.value.reason
