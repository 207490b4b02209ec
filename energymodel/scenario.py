"""Scenarios: typed, validated YAML files that choose market structures, policies and
data overrides, optionally extending another scenario.

A scenario file is data (safe YAML), never code. `extends: other.yaml` deep-merges this file
over the other one: mappings merge key by key, `overrides` lists are appended (parent
first), every other list or value is replaced. Relative paths (`extends`, `data_dir`) are
relative to the file that states them.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from energymodel.errors import InputError

Structure = Literal["price_taker", "competitive", "seller_power"]


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
    """How the price of Russian gas is formed in one market."""

    structure: Structure
    theta: float | None = Field(
        None, ge=0, le=1, description="conjectural parameter: 0 competitive, 1 monopoly"
    )
    pathway: str | None = Field(None, description="demand pathway; default: the scenario's")

    @model_validator(mode="after")
    def _theta_iff_seller_power(self) -> MarketSpec:
        if self.structure == "seller_power" and self.theta is None:
            raise ValueError("seller_power needs theta in [0, 1]")
        if self.structure != "seller_power" and self.theta is not None:
            raise ValueError(f"theta applies to seller_power only, not {self.structure}")
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
    solver: SolverOptions = SolverOptions()
    source: Path | None = Field(None, exclude=True, description="file it was loaded from")

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
        first = err.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(top level)"
        reason = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            reason = "unknown key"
        elif "input" in first and first["type"].endswith("_type"):
            reason += f" (got {first['input']!r})"
        more = len(err.errors()) - 1
        more_text = f" (+{more} more errors)" if more else ""
        raise InputError(file, field, reason + more_text) from None


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
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(file, None, "scenario file not found") from None
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
        raise InputError(file, None, "a scenario must be a YAML mapping")
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


def _merge(parent: dict[str, Any], child: dict[str, Any]) -> dict[str, Any]:
    merged = dict(parent)
    for key, value in child.items():
        if key == "overrides" and isinstance(value, list):
            merged[key] = [*parent.get(key, []), *value]
        elif isinstance(value, dict) and isinstance(parent.get(key), dict):
            merged[key] = _merge(parent[key], value)
        else:
            merged[key] = value
    return merged
