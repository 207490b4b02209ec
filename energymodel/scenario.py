"""Scenarios: typed, validated YAML files that choose market structures, policies and
data overrides, optionally extending another scenario.

A scenario file is data (safe YAML), never code. `extends: other.yaml` deep-merges this file
over the other one: mappings merge key by key, `overrides` lists are appended (parent
first), every other list or value is replaced; a market given with a `structure` replaces
the parent's specification of that market whole. Relative paths (`extends`, `data_dir`) are
relative to the file that states them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from energymodel.errors import InputError

Structure = Literal["price_taker", "competitive", "seller_power", "monopsony", "bargaining"]
BUYER_POWER = ("monopsony", "bargaining")


class _Strict(BaseModel):
    """Unknown keys are rejected, types are not coerced from strings."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Horizon(_Strict):
    """Model years: `start_year` to `end_year` in periods of `step` years."""

    start_year: int = Field(2025, ge=1990, le=2100)
    end_year: int = Field(2060, ge=1990, le=2100)
    step: int = Field(1, ge=1, le=10, description="years per model period")

    @model_validator(mode="after")
    def _ordered(self) -> Horizon:
        if self.end_year < self.start_year:
            raise ValueError(f"end_year {self.end_year} is before start_year {self.start_year}")
        return self


class MarketSpec(_Strict):
    """How the price of Russian gas is formed in one market.

    price_taker: the price path; competitive: price = marginal cost; seller_power: Russia's
    market power with conjectural parameter theta; monopsony: the buyer's power over Russian
    pipeline gas with parameter phi (1: sole buyer setting the price, Russia a price taker);
    bargaining: Nash bargaining over the pipeline trade with the buyer's bargaining power
    beta, optionally the hold-up of an investment option once its capex is sunk.
    """

    structure: Structure
    theta: float | None = Field(None, ge=0, le=1, description="seller power: 0 competitive, "
                                "1 monopoly")
    phi: float | None = Field(None, ge=0, le=1, description="monopsony: 0 competitive, "
                              "1 sole buyer")
    beta: float | None = Field(None, ge=0, le=1, description="bargaining power of the buyer")
    method: Literal["auto", "qp", "bilevel"] = Field(
        "auto", description="monopsony: equivalent QP (dedicated supply) or bilevel MILP")
    holdup: str | None = Field(None, description="bargaining: investment option whose "
                               "capex is sunk ex post")
    benchmark: Literal["competitive", "oil_indexed"] = Field(
        "competitive", description="price pressure is measured against this price")
    pathway: str | None = Field(None, description="demand pathway; default: the scenario's")

    @model_validator(mode="after")
    def _parameters_match_structure(self) -> MarketSpec:
        needs = {"seller_power": "theta", "monopsony": "phi", "bargaining": "beta"}
        for structure, name in needs.items():
            given = getattr(self, name) is not None
            if self.structure == structure and not given:
                raise ValueError(f"{structure} needs {name} in [0, 1]")
            if self.structure != structure and given:
                raise ValueError(f"{name} applies to {structure} only, not {self.structure}")
        if self.holdup is not None and self.structure != "bargaining":
            raise ValueError("holdup applies to bargaining only")
        if self.method != "auto" and self.structure != "monopsony":
            raise ValueError("method applies to monopsony only")
        return self


class Override(_Strict):
    """Replace (`value`) or multiply (`scale`) data values selected by entity, parameter
    and optionally pathway and year. `unit` states the unit of `value` when it is not the
    parameter's own."""

    entity: str
    parameter: str
    pathway: str | None = None
    year: int | None = None
    value: float | None = None
    scale: float | None = Field(None, ge=0)
    unit: str | None = None

    @model_validator(mode="after")
    def _one_action(self) -> Override:
        if (self.value is None) == (self.scale is None):
            raise ValueError("give exactly one of value and scale")
        if self.unit is not None and self.value is None:
            raise ValueError("unit applies to value only")
        return self


class Fiscal(_Strict):
    """Russia's fiscal terms on gas, for the budget take (they do not change decisions)."""

    export_duty_pipeline: float = Field(ge=0, le=1, description="share of pipeline export "
                                        "revenue; LNG is exempt")
    extraction_tax_usd_per_mmbtu: float = Field(ge=0, description="on every unit produced")


class Target(_Strict):
    """A data value a dependence lever sets (entity, parameter, optional pathway and year)."""

    entity: str
    parameter: str
    pathway: str | None = None
    year: int | None = None


class Dependence(_Strict):
    """A parametric run tracing price pressure against Russia's dependence on the buyer:
    for each value x, the scenario without `remove_policies` and with every target set to x
    (mode value) or scaled by x (mode scale)."""

    lever: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    values: list[float] = Field(min_length=2)
    mode: Literal["value", "scale"] = "value"
    remove_policies: list[str] = []
    targets: list[Target] = Field(min_length=1)


class SolverOptions(_Strict):
    """HiGHS settings. One thread keeps results identical run to run and suits sweeps."""

    time_limit: float | None = Field(None, gt=0, description="seconds")
    mip_rel_gap: float = Field(1e-6, ge=0, le=1)
    threads: int = Field(1, ge=1, le=64)
    tangents: int = Field(
        32, ge=4, le=1000, description="tangent cuts per quadratic term when a MIP is linearised"
    )


class Scenario(_Strict):
    """A complete, validated scenario."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    data_dir: Path
    horizon: Horizon = Horizon()
    discount_rate: float = Field(0.08, ge=0, le=0.5, description="real, per year")
    pathway: str = Field(description="default demand pathway of every market")
    markets: dict[str, MarketSpec]
    policies: list[str] = []
    investment: Literal["continuous", "lumpy"] = "continuous"
    supply_cost: Literal["linear", "stepped"] = "linear"
    supply_steps: int = Field(5, ge=1, le=100)
    overrides: list[Override] = []
    fiscal: Fiscal | None = None
    dependence: Dependence | None = None
    solver: SolverOptions = SolverOptions()
    source: Path | None = Field(None, exclude=True, description="file it was loaded from")

    @field_validator("markets")
    @classmethod
    def _one_buyer_power_market(cls, markets: dict[str, MarketSpec]) -> dict[str, MarketSpec]:
        buyers = [m for m, spec in markets.items() if spec.structure in BUYER_POWER]
        if len(buyers) > 1:
            raise ValueError(f"one market at most can have buyer power, not {buyers}")
        return markets

    def buyer_market(self) -> str | None:
        """The market with a buyer-power structure, if any."""
        return next((m for m, spec in self.markets.items() if spec.structure in BUYER_POWER),
                    None)

    def at_lever(self, x: float) -> Scenario:
        """The scenario at one value x of its dependence lever: without the lever's
        policies, with every target set to x (mode value) or scaled by x (mode scale)."""
        lever = self.dependence
        overrides = [Override(entity=t.entity, parameter=t.parameter, pathway=t.pathway,
                              year=t.year, **{lever.mode: x}) for t in lever.targets]
        return self.updated(
            name=f"{self.name}.{lever.lever}_{x:g}", dependence=None,
            policies=[p for p in self.policies if p not in lever.remove_policies],
            overrides=[*self.overrides, *overrides])

    def file(self) -> str:
        """The scenario file for messages, or '<scenario name>' when built in Python."""
        return display_path(self.source) if self.source else f"<scenario {self.name}>"

    def digest(self) -> str:
        """SHA-256 of the resolved scenario, independent of where data_dir lies."""
        content = self.model_dump(mode="json", exclude={"data_dir", "source"})
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()

    def updated(self, **changes: Any) -> Scenario:
        """A copy with top-level fields replaced, validated again."""
        return _validate({**self.model_dump(), **changes, "source": self.source}, self.file())

    def with_overrides(self, *overrides: Override | dict[str, Any]) -> Scenario:
        """A copy with data overrides appended (applied after the existing ones)."""
        extra = [o if isinstance(o, Override) else Override(**o) for o in overrides]
        return self.updated(overrides=[*self.overrides, *extra])


def display_path(path: Path | str) -> str:
    """`path` relative to the working directory where possible, for one-line messages."""
    path = Path(path)
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge (`extends`) and validate a scenario file."""
    path = Path(path)
    raw = _load_raw(path, chain=())
    return _validate({**raw, "source": path.resolve()}, display_path(path))


def _validate(raw: dict[str, Any], file: str) -> Scenario:
    try:
        return _strict_validate(raw)
    except ValidationError as err:
        raise input_error(err, file) from None


def input_error(err: ValidationError, file: str) -> InputError:
    """A schema validation error as one line: the first failing field and its reason."""
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "(top level)"
    reason = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        reason = "unknown key"
    elif "input" in first and first["type"].endswith("_type"):
        reason += f" (got {first['input']!r})"
    more = len(err.errors()) - 1
    more_text = f" (+{more} more errors)" if more else ""
    return InputError(file, field, reason + more_text)


def _strict_validate(raw: dict[str, Any]) -> Scenario:
    # Paths arrive as strings from YAML; everything else must have its YAML type.
    raw = dict(raw)
    for key in ("data_dir", "source"):
        if isinstance(raw.get(key), str):
            raw[key] = Path(raw[key])
    return Scenario.model_validate(raw)


def _load_raw(path: Path, chain: tuple[Path, ...]) -> dict[str, Any]:
    """The merged raw mapping of `path` and the scenarios it extends."""
    file = display_path(path)
    resolved = path.resolve()
    if resolved in chain:
        raise InputError(file, "extends", "scenarios extend each other in a cycle")
    raw = read_yaml(path, "scenario")
    if isinstance(raw.get("data_dir"), str):
        raw["data_dir"] = str((path.parent / raw["data_dir"]).resolve())
    parent_ref = raw.pop("extends", None)
    if parent_ref is None:
        return raw
    if not isinstance(parent_ref, str):
        raise InputError(file, "extends", "must be a path to another scenario file")
    parent_path = path.parent / parent_ref
    if not parent_path.exists():
        raise InputError(file, "extends", f"scenario '{parent_ref}' not found")
    parent = _load_raw(parent_path, (*chain, resolved))
    return _merge(parent, raw)


def _merge(parent: dict[str, Any], child: dict[str, Any], path: tuple = ()) -> dict[str, Any]:
    merged = dict(parent)
    for key, value in child.items():
        if key == "overrides" and isinstance(value, list):
            merged[key] = [*parent.get(key, []), *value]
        elif (isinstance(value, dict) and isinstance(parent.get(key), dict)
              and not (path == ("markets",) and "structure" in value)):
            merged[key] = _merge(parent[key], value, (*path, key))
        else:
            merged[key] = value
    return merged


def read_yaml(path: Path, what: str) -> dict[str, Any]:
    """The mapping in a YAML file (safe YAML); errors name the file and, where known, the
    line. `what` names the kind of file in messages ('scenario', 'sweep')."""
    file = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(file, None, f"{what} file not found") from None
    except OSError as err:
        raise InputError(file, None, f"cannot read: {err.strerror}") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else None
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise InputError(file, where, f"malformed YAML: {problem}") from None
    if not isinstance(raw, dict):
        raise InputError(file, None, f"a {what} must be a YAML mapping")
    return raw
