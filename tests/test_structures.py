"""Market structures as plug-ins: the registry, the interface, and the one-way layering of
the package (data -> scenario -> inputs -> model -> solve -> results -> indicators ->
structures -> api -> cli)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import energymodel as em
from energymodel import structures
from energymodel.inputs import with_theta
from energymodel.scenario import MarketSpec
from energymodel.structures.base import MarketStructure, require_curve

from .conftest import EXAMPLES, ROOT

PACKAGE = ROOT / "energymodel"
# Each module may import only modules of its own or an earlier layer.
LAYERS = [
    {"_lazy", "_version", "errors", "units", "demand", "history", "progress", "interrupts",
     "sparse", "shapley", "rubinstein"},
    {"files", "publish", "safety"},
    {"scenario"}, {"data"}, {"overrides"}, {"inputs"}, {"model"}, {"solver"}, {"engine"},
    {"bilevel"}, {"results"}, {"indicators", "metrics"}, {"structures"}, {"api"},
    {"decision"},  # solves through api and structures; the CLI and __init__ expose it
    # report reads Results (solved or read from a folder), never solves
    {"report"}, {"sweeps"},
    {"decomposition", "uncertainty"},  # solve many worlds or points through the executors
    {"studies"}, {"compare"}, {"cli", "__init__", "__main__"},
]
# Upward imports allowed, each inside a function: Results' accessors of the report layer
# (results.plot, results.to_iamc), imported on use.
ACCESSORS = {("results", "report")}


def imports(path: Path) -> set[str]:
    """The energymodel modules (top level) a file imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and \
                node.module.startswith("energymodel"):
            parts = node.module.split(".")
            found |= {parts[1]} if len(parts) > 1 else {a.name for a in node.names}
    return found


def layer(module: str) -> int:
    return next(i for i, names in enumerate(LAYERS) if module in names)


def test_every_import_goes_down_the_layers():
    files = [p for p in PACKAGE.rglob("*.py") if "schema" not in p.parts]
    assert {p.stem for p in files if p.parent == PACKAGE} <= set().union(*LAYERS)
    for path in files:
        module = path.stem if path.parent == PACKAGE else path.parent.name
        for imported in imports(path) - {module}:
            assert layer(imported) <= layer(module) or (module, imported) in ACCESSORS, \
                f"{module} imports {imported}"


def test_registry_has_one_module_per_structure():
    for name, structure in structures.REGISTRY.items():
        assert structure.name == name
        assert (PACKAGE / "structures" / f"{name}.py").exists()
        assert isinstance(structure, MarketStructure)
        assert structure.Spec.model_config["extra"] == "forbid"


def test_unknown_structure_names_the_registered_ones():
    scenario = em.load_scenario(EXAMPLES / "competitive.yaml").updated(
        markets={"buyer": MarketSpec(structure="bertrand")})
    with pytest.raises(em.InputError, match=re.escape(
            "markets.buyer.structure: unknown structure 'bertrand' (one of price_taker, "
            "competitive")):
        em.solve(scenario)


def test_a_new_structure_is_one_class_in_the_registry(monkeypatch):
    """A structure registered without touching scenario, inputs or api solves like the
    built-in one it imitates (here seller power at theta 0.5 under another name)."""

    class HalfMonopoly(MarketStructure):
        name = "half_monopoly"

        def transform(self, inp, market, spec):
            require_curve(inp, market, self.name)
            return with_theta(inp, market, 0.5)

    monkeypatch.setitem(structures.REGISTRY, "half_monopoly", HalfMonopoly())
    textbook = em.load_scenario(EXAMPLES / "competitive.yaml")
    new = em.solve(textbook.updated(markets={"buyer": {"structure": "half_monopoly"}}))
    old = em.solve(textbook.updated(markets={"buyer": {"structure": "seller_power",
                                                       "theta": 0.5}}))
    assert new.markets["volume_bcm_per_y"].iloc[0] == pytest.approx(
        old.markets["volume_bcm_per_y"].iloc[0], rel=1e-9)
    assert new.markets["structure"].iloc[0] == "half_monopoly"


def test_structure_parameters_are_typed_by_the_structure():
    scenario = em.load_scenario(EXAMPLES / "competitive.yaml").updated(
        markets={"buyer": {"structure": "bargaining", "beta": 0.5, "phi": 1.0}})
    with pytest.raises(em.InputError, match=re.escape(
            "markets.buyer.phi: not a parameter of bargaining")):
        em.solve(scenario)
