"""The benchmarks side by side (indicators.benchmark_table, benchmark_summary), the one
window of the pressure figures and the window of Russia's earnings (indicators.window)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import energymodel as em
from energymodel import indicators
from energymodel.units import K

from .conftest import five_year


@pytest.fixture(scope="module")
def quinquennial() -> em.Results:
    return em.solve(five_year("scenarios/baseline.yaml"))


def test_four_benchmarks_per_route_and_year(baseline):
    """Every route of Russia into China and year carries the four benchmarks, and the
    pressure and revenue moved follow from them by their identities."""
    b = baseline.tables["benchmarks"]
    assert set(b["benchmark"]) == set(indicators.BENCHMARKS)
    routes = set(baseline.exports.query("market == 'china'")["route"])
    assert set(b["route"]) == routes
    assert len(b) == 4 * len(routes) * len(baseline.years)
    assert np.allclose(b["pressure_usd_per_mmbtu"],
                       b["benchmark_price_usd_per_mmbtu"] - b["price_usd_per_mmbtu"],
                       equal_nan=True)
    assert np.allclose(b["transferred_usd_bn"],
                       b["pressure_usd_per_mmbtu"] * b["volume_bcm_per_y"] * K, equal_nan=True)


def test_benchmarks_economics(baseline):
    """China's marginal alternative is LNG at import parity: the competitive border price
    is parity less the inland delivery cost, and closing Russia's routes leaves it there
    (alternative = competitive while China still imports LNG at the margin); Russia's
    opportunity cost (its gas's value elsewhere plus transport) lies below what China pays;
    the formula benchmark is each route's contract formula."""
    b = baseline.tables["benchmarks"].pivot_table(
        index=["route", "year"], columns="benchmark", values="benchmark_price_usd_per_mmbtu")
    f = baseline.flows.set_index(["route", "year"]).loc[b.index]
    m = baseline.markets.set_index(["market", "year"])
    cap = m.loc["china", "price_cap_usd_per_mmbtu"].reindex(b.index.get_level_values("year"))
    parity = cap.to_numpy() - f["delivery_cost_usd_per_mmbtu"].to_numpy()
    residual = m.loc["china", "residual_bcm_per_y"].reindex(b.index.get_level_values("year"))
    lng_at_margin = residual.to_numpy() > 1e-6
    assert lng_at_margin.mean() > 0.9
    assert np.allclose(b["competitive"][lng_at_margin], parity[lng_at_margin], atol=1e-6)
    assert (b["alternative"] >= b["competitive"] - 1e-6).all()
    flowing = f["flow_bcm_per_y"] > 1e-6
    assert (b["opportunity_cost"][flowing] < f["price_usd_per_mmbtu"][flowing]).all()
    assert (b["opportunity_cost"] > 0).all()
    legacy = f["price_basis"] == "legacy contract"
    assert np.allclose(b["formula"][legacy], f["price_usd_per_mmbtu"][legacy], atol=1e-9)


def test_summary_is_one_window_weighted_by_period_length(quinquennial):
    """Means weigh each model year by volume x the calendar years of its period, the
    percentage is a ratio of sums, and the NPV covers the same window as the means."""
    r = quinquennial
    length = r.period_years
    weight = pd.Series({y: sum((1 + r.scenario.discount_rate) ** -(t - 2025)
                               for t in range(y, y + int(length[y]))) for y in r.years})
    b = r.tables["benchmarks"]
    s = r.tables["benchmark_summary"].set_index("benchmark")
    for name, t in b.groupby("benchmark"):
        t = t[t["year"].between(2030, 2060) & t["benchmark_price_usd_per_mmbtu"].notna()]
        w = t["volume_bcm_per_y"] * length.reindex(t["year"]).to_numpy()
        row = s.loc[name]
        assert (row["from_year"], row["to_year"]) == (2030, 2060)
        assert row["pressure_usd_per_mmbtu"] == pytest.approx(
            (t["pressure_usd_per_mmbtu"] * w).sum() / w.sum(), rel=1e-12)
        assert row["pressure_pct"] == pytest.approx(
            100 * (t["pressure_usd_per_mmbtu"] * w).sum()
            / (t["benchmark_price_usd_per_mmbtu"] * w).sum(), rel=1e-12)
        npv = (t["transferred_usd_bn"] * weight.reindex(t["year"]).to_numpy()).sum()
        assert row["npv_transferred_usd_bn"] == pytest.approx(npv, rel=1e-12)
    # the headline (the scenario's benchmark) is the competitive row of the side-by-side
    summary = r.summary.set_index("metric")["value"]
    assert summary["mean_pressure"] == pytest.approx(
        s.loc["competitive", "pressure_usd_per_mmbtu"], rel=1e-9)
    assert summary["npv_transferred"] == pytest.approx(
        s.loc["competitive", "npv_transferred_usd_bn"], rel=1e-9)
    assert length.loc[2060] == 1 and length.loc[2055] == 5


def _flows(revenue: list[float], profit: list[float], china: list[float]) -> pd.DataFrame:
    years = range(2025, 2025 + len(revenue))
    rows = []
    for y, r, p, c in zip(years, revenue, profit, china, strict=True):
        rows.append({"route": "a", "market": "china", "kind": "pipeline", "role": "exporter",
                     "year": y, "revenue_usd_bn": r * c, "profit_usd_bn": p * c,
                     "flow_bcm_per_y": 10 * c})
        rows.append({"route": "b", "market": "lng", "kind": "lng", "role": "exporter",
                     "year": y, "revenue_usd_bn": r * (1 - c), "profit_usd_bn": p * (1 - c),
                     "flow_bcm_per_y": 10 * (1 - c)})
    return pd.DataFrame(rows)


def test_window_by_hand():
    """Revenue peaks at 40 in 2026 and first falls below 20 in 2029; profit never halves;
    China's share first exceeds one half in 2028."""
    flows = _flows([30, 40, 30, 21, 19, 25], [10, 12, 11, 10, 9, 8],
                   [0.2, 0.4, 0.5, 0.6, 0.7, 0.8])
    markets = pd.DataFrame({"market": ["china", "lng"], "role": ["buyer", "other"]})
    w = indicators.window(flows, markets)
    assert w["revenue_window_end"] == 2029
    assert np.isnan(w["profit_window_end"])
    assert w["buyer_majority_year"] == 2028


def test_window_closes_under_global_net_zero(baseline):
    """The baseline's export revenue stays above half its peak to 2060; under global net
    zero it closes, profit before revenue."""
    s = baseline.summary.set_index("metric")["value"]
    assert np.isnan(s["revenue_window_end"]) and np.isnan(s["profit_window_end"])
    assert 2030 <= s["buyer_majority_year"] <= 2040
    nz = em.solve(five_year("scenarios/baseline.yaml").updated(pathway="net_zero"))
    n = nz.summary.set_index("metric")["value"]
    assert n["profit_window_end"] <= n["revenue_window_end"] <= 2060


def test_revenue_by_outlet_counts_russias_routes_only(baseline):
    """China's column is Russia's revenue there, not its rivals' or its own production's."""
    by = baseline.by_outlet()
    own = baseline.exports.query("market == 'china'").groupby("year")["revenue_usd_bn"].sum()
    assert np.allclose(by["china"], own.reindex(by.index, fill_value=0.0))
    # Power of Siberia 1's 2025 revenue: ~35 bcm at its contract's 6.95 USD/MMBtu x K
    assert by.loc[2025, "china"] == pytest.approx(8.74, abs=0.01)
