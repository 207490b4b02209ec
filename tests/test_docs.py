"""The documentation site's generated references (docs/hooks.py) cover every scenario and
sweep key, every data parameter and every results column, each with a meaning; the site's
navigation lists every page. MkDocs itself is not needed here (CI builds the site with
`mkdocs build --strict`)."""

from __future__ import annotations

import csv
import importlib.util
import re
import types
import typing

import pytest
import yaml
from pydantic import BaseModel

from energymodel import metrics
from energymodel.results import COLUMNS, KEYS
from energymodel.scenario import MarketSpec, Scenario
from energymodel.structures import REGISTRY
from energymodel.sweeps.spec import SweepSpec

from .conftest import ROOT

DOCS = ROOT / "docs"


@pytest.fixture(scope="module")
def hooks() -> types.ModuleType:
    spec = importlib.util.spec_from_file_location("docs_hooks", DOCS / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rows(page: str) -> dict[str, list[str]]:
    """The table rows of a generated page by their first cell (a code span): the other
    cells. A key documented in several tables keeps its first row."""
    found: dict[str, list[str]] = {}
    for line in page.splitlines():
        match = re.match(r"^\| `([^`]+)` \|(.*)\|$", line)
        if match:
            found.setdefault(match.group(1), [c.strip() for c in match.group(2).split(" | ")])
    return found


def keys(model: type[BaseModel], prefix: str = "") -> list[str]:
    """Every key path a file may give for `model` (nested models included), found
    independently of the generator: `horizon.step`, `overrides[].value`,
    `leverage.drivers.<id>.name`."""
    out = []
    for name, info in model.model_fields.items():
        if info.exclude or name == "source":
            continue
        path = f"{prefix}{name}"
        out.append(path)
        if path == "markets":
            continue
        for arg in [info.annotation, *typing.get_args(info.annotation)]:
            origin, args = typing.get_origin(arg), typing.get_args(arg)
            inner = args[0] if origin is list else args[1] if origin is dict else arg
            suffix = "[]" if origin is list else ".<id>" if origin is dict else ""
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                out += keys(inner, f"{path}{suffix}.")
                break
    return out


def test_scenario_reference_covers_every_key_with_a_meaning(hooks):
    table = rows(hooks.scenario_reference())
    expected = keys(Scenario) + keys(MarketSpec, "markets.<market>.")
    for structure in REGISTRY.values():
        expected += keys(structure.Spec, "markets.<market>.")
    assert len(expected) > 50
    missing = [k for k in expected if k not in table]
    assert not missing, f"not in the scenario reference: {missing}"
    empty = [k for k in expected if not table[k][-1]]
    assert not empty, f"no meaning: {empty}"


def test_scenario_reference_has_a_section_per_structure_with_ranges(hooks):
    page = hooks.scenario_reference()
    for name in REGISTRY:
        assert f"### `{name}`" in page
    table = rows(page)
    # the ranges come from the schema: discount_rate in [0, 0.5], beta in [0, 1]
    assert table["discount_rate"][2] == "≥ 0, ≤ 0.5"
    assert table["markets.<market>.beta"][2] == "≥ 0, ≤ 1"
    assert table["horizon.step"][0] == "one of `1`, `5`"
    assert table["markets.<market>.theta"][2] in ("≥ 0, ≤ 1", "each ≥ 0, each ≤ 1")


def test_sweep_reference_covers_every_key_and_output_group(hooks):
    page = hooks.sweep_reference()
    table = rows(page)
    expected = keys(SweepSpec)
    missing = [k for k in expected if k not in table or not table[k][-1]]
    assert not missing, f"not described in the sweep reference: {missing}"
    groups = hooks.output_groups(metrics)
    assert set(groups) == set(metrics.OUTPUT_GROUPS)
    undescribed = [g for g, text in groups.items() if not text]
    assert not undescribed, f"output groups without a description in metrics.py: {undescribed}"
    assert all(g in table for g in metrics.OUTPUT_GROUPS)


def test_results_reference_covers_every_column(hooks):
    table = rows(hooks.results_reference())
    for column, meaning in COLUMNS.items():
        assert column in table, column
        assert table[column][-1] == hooks._cell(meaning)
    for key in KEYS - set(COLUMNS):
        assert key in table and table[key][-1], f"identifying column {key} has no meaning"
    assert table["revenue_usd_bn"][0] == "USD bn"
    assert table["price_usd_per_mmbtu"][0] == "USD/MMBtu"
    assert table["slope_usd_per_mmbtu_per_bcm"][0] == "USD/MMBtu per bcm/y"


def test_data_reference_covers_every_parameter_and_policy(hooks):
    page = hooks.data_reference()
    with (ROOT / "energymodel" / "schema" / "parameters.csv").open() as f:
        params = list(csv.DictReader(f))
    sections = re.split(r"^### ", page, flags=re.M)
    for p in params:
        section = next(s for s in sections if s.startswith(p["kind"] + "\n"))
        assert f"| `{p['parameter']}` | {p['unit']} |" in section, (p["kind"], p["parameter"])
    with (ROOT / "data" / "policies.csv").open() as f:
        for row in csv.DictReader(f):
            assert f"| `{row['policy']}` |" in page


def test_navigation_lists_every_page(hooks):
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())

    def pages(nav):
        for item in nav:
            for value in item.values():
                yield from pages(value) if isinstance(value, list) else [value]

    listed = set(pages(config["nav"]))
    written = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}
    generated = {*hooks.PAGES, "data-set.md"}
    assert written | generated == listed
    assert not written & generated, "a generated page is also written by hand"
