"""Shared fixtures: scenario paths and results solved once per test session."""

from __future__ import annotations

import gc
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import energymodel as em
from energymodel.__main__ import GC_THRESHOLD
from energymodel.report import build_report
from energymodel.report.build import find_browser

# As the command does (energymodel/__main__.py): the many solves of a test run make millions
# of short-lived objects, and a young-generation collection every 700 allocations took a
# tenth of the suite's time.
gc.set_threshold(*GC_THRESHOLD)

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
EXAMPLES = SCENARIOS / "examples"
DATA = ROOT / "data"


def slow_except(cases, fast, name=str) -> list:
    """Parameters over `cases` for a test run on many: those whose `name` is in `fast` run
    by default, the others carry the `slow` mark (CI runs them all; pyproject.toml)."""
    return [case if name(case) in fast else pytest.param(case, marks=pytest.mark.slow)
            for case in cases]


@pytest.fixture(scope="session")
def baseline_scenario() -> em.Scenario:
    return em.load_scenario(SCENARIOS / "baseline.yaml")


@pytest.fixture(scope="session")
def baseline(baseline_scenario) -> em.Results:
    return em.solve(baseline_scenario)


@pytest.fixture(scope="session")
def history() -> em.Results:
    return em.solve(SCENARIOS / "history.yaml")


@pytest.fixture(scope="session")
def competitive_scenario(baseline_scenario) -> em.Scenario:
    """The baseline with China's price at the competitive benchmark."""
    return baseline_scenario.updated(
        markets={**baseline_scenario.markets, "china": {"structure": "competitive"}})


@pytest.fixture(scope="session")
def competitive(competitive_scenario) -> em.Results:
    return em.solve(competitive_scenario)


@pytest.fixture(scope="session")
def textbook(tmp_path_factory) -> Path:
    """Results folders of two textbook scenarios (competitive, monopoly): tiny and quick."""
    root = tmp_path_factory.mktemp("textbook")
    for name in ("competitive", "monopoly"):
        em.solve(EXAMPLES / f"{name}.yaml").write(root / name)
    return root


# Reports (tests/test_report*.py): results folders solved once per session at 5-year steps,
# and reports built from them.
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> & "q"'


def five_year(path: Path) -> em.Scenario:
    s = em.load_scenario(path)
    return s.updated(horizon={**s.horizon.model_dump(), "step": 5})


@pytest.fixture(scope="session")
def folders(tmp_path_factory) -> dict[str, Path]:
    """Results folders of the baseline and china_hard_bargain at 5-year steps."""
    root = tmp_path_factory.mktemp("results")
    return {name: em.solve(five_year(SCENARIOS / f"{name}.yaml")).write(root / name)
            for name in ("baseline", "china_hard_bargain")}


@pytest.fixture(scope="session")
def two(folders, tmp_path_factory) -> Path:
    """The report of both scenarios, with its PDF where a browser is installed."""
    out = tmp_path_factory.mktemp("reports") / "two"
    return build_report([folders["baseline"], folders["china_hard_bargain"]], out,
                        pdf=find_browser() is not None)


@pytest.fixture(scope="session")
def hostile(folders, tmp_path_factory) -> Path:
    """A results folder whose scenario name and description carry HTML and a script."""
    folder = tmp_path_factory.mktemp("hostile") / "hostile"
    shutil.copytree(folders["china_hard_bargain"], folder)
    scenario = json.loads((folder / "scenario.json").read_text())
    scenario.update(name="hostile", description=HOSTILE)  # names are validated: text is
    #                                                        where a hostile user writes
    (folder / "scenario.json").write_text(json.dumps(scenario))
    return folder


@pytest.fixture(scope="session")
def hostile_report(folders, hostile, tmp_path_factory) -> Path:
    """The report of the baseline and the hostile-named scenario (no PDF)."""
    return build_report([folders["baseline"], hostile],
                        tmp_path_factory.mktemp("reports") / "hostile", pdf=False)


def exporter_prices(results: em.Results, market: str) -> pd.DataFrame:
    """By year: the exporter's volume into `market` and the price it gets there (its
    routes' revenue per unit; a bargained or buyer-set price lives on the routes)."""
    f = results.exports
    f = f[f["market"] == market].groupby("year")[["flow_bcm_per_y", "revenue_usd_bn"]].sum()
    return pd.DataFrame({"volume_bcm_per_y": f["flow_bcm_per_y"],
                         "price_usd_per_mmbtu": f["revenue_usd_bn"]
                         / (0.0358 * f["flow_bcm_per_y"])})
