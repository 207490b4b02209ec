"""Shared fixtures: scenario paths and results solved once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

import energymodel as em

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
EXAMPLES = SCENARIOS / "examples"
DATA = ROOT / "data"


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
