"""Scenarios: typed, validated YAML files that choose market structures, policies and
data overrides, optionally extending another scenario.

A scenario file is data (safe YAML), never code, and small: at most MAX_FILE_BYTES, at most
MAX_YAML_NODES values once aliases are expanded, no key twice in a mapping, UTF-8.
`extends: other.yaml` deep-merges this file over the other one: mappings merge key by key,
`overrides` lists are appended (parent first), every other list or value is replaced; a
market given with a `structure` replaces the parent's specification of that market whole.
Relative paths (`extends`, `data_dir`) are relative to the file that states them.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import types
import typing
from pathlib import Path
from typing import Any, Literal

import annotated_types
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from energymodel.errors import InputError, display_path
from energymodel.files import read_text

MAX_FILE_BYTES = 1_000_000  # a scenario file
MAX_YAML_NODES = 50_000  # values in a scenario file, aliases expanded
MAX_OVERRIDES = 2_000  # data overrides of a scenario, its parents' included


class Strict(BaseModel):
    """Unknown keys are rejected, types are not coerced from strings, numbers are finite.
    Built directly (`em.Override(...)`), a bad value raises InputError like a bad file."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as err:
            name = type(self).__name__
            raise input_error(err, f"<{name}>", type(self)) from None

    # Models nested in a validation are validated by pydantic itself, not through __init__:
    # their errors keep their full path (overrides[4].entity) in the outer error.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]


class Horizon(Strict):
    """Model years: `start_year` to `end_year` in periods of `step` years."""

    start_year: int = Field(2025, ge=1990, le=2100)
    end_year: int = Field(2060, ge=1990, le=2100)
    step: Literal[1, 5] = Field(1, description="years per model period")

    @model_validator(mode="after")
    def _ordered(self) -> Horizon:
        if self.end_year < self.start_year:
            raise ValueError(f"end_year {self.end_year} is before start_year {self.start_year}")
        return self


class MarketSpec(BaseModel):
    """How the price of Russian gas is formed in one market: the name of a market structure
    (energymodel/structures/), the demand pathway, and the structure's own parameters (for
    instance theta of seller_power, beta of bargaining), which that structure validates."""

    model_config = ConfigDict(extra="allow", strict=True, frozen=True)

    structure: str = Field(pattern=r"^[a-z_]+$", description="a registered market structure")
    pathway: str | None = Field(None, description="demand pathway; default: the scenario's")

    @property
    def parameters(self) -> dict[str, Any]:
        """The structure's parameters as given in the scenario (a null one is not given)."""
        return {k: v for k, v in (self.model_extra or {}).items() if v is not None}


class Selector(Strict):
    """Data values selected by entity and parameter, and optionally pathway and year: what
    an override changes, a dependence lever sets and a sweep input varies."""

    entity: str
    parameter: str
    pathway: str | None = None
    year: int | None = None

    @property
    def label(self) -> str:
        """entity.parameter[.pathway][.year], as sweep inputs are named."""
        return ".".join(str(p) for p in (self.entity, self.parameter, self.pathway,
                                         self.year) if p is not None)

    def mask(self, values: Any) -> Any:
        """Which rows of a values table (columns entity, parameter, pathway, year) this
        selects: a boolean Series."""
        match = (values["entity"] == self.entity) & (values["parameter"] == self.parameter)
        if self.pathway is not None:
            match &= values["pathway"] == self.pathway
        if self.year is not None:
            match &= values["year"] == self.year
        return match

    def selector(self) -> Selector:
        """Just the selection (without what a subclass adds to it)."""
        return Selector(entity=self.entity, parameter=self.parameter, pathway=self.pathway,
                        year=self.year)


class Override(Selector):
    """Replace (`value`) or multiply (`scale`) the data values a selector selects. `unit`
    states the unit of `value` when it is not the parameter's own."""

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


class Fiscal(Strict):
    """Russia's fiscal terms on gas, for the budget take (they do not change decisions)."""

    export_duty_pipeline: float = Field(ge=0, le=1, description="share of pipeline export "
                                        "revenue; LNG is exempt")
    extraction_tax_usd_per_mmbtu: float = Field(ge=0, description="on every unit produced")


class Dependence(Strict):
    """A parametric run tracing price pressure against Russia's dependence on the buyer:
    for each value x, the scenario without `remove_policies` and with every target set to x
    (mode value) or scaled by x (mode scale)."""

    lever: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    values: list[float] = Field(min_length=2)
    mode: Literal["value", "scale"] = "value"
    remove_policies: list[str] = []
    targets: list[Selector] = Field(min_length=1)


class Changes(Strict):
    """A set of changes to a scenario: a driver's reference world (what the scenario would
    be without the driver). Applied in the order listed here: policies removed, then
    added; data overrides appended; market parameters merged into each market's spec (a
    null removes one); the default demand pathway replaced."""

    remove_policies: list[str] = []
    add_policies: list[str] = []
    overrides: list[Override] = Field([], max_length=MAX_OVERRIDES)
    markets: dict[str, dict[str, Any]] = {}
    pathway: str | None = None

    def apply(self, scenario: Scenario) -> Scenario:
        """`scenario` with these changes (validated again)."""
        raw = scenario.model_dump()
        raw["policies"] = [p for p in scenario.policies if p not in self.remove_policies]
        raw["policies"] += [p for p in self.add_policies if p not in raw["policies"]]
        raw["overrides"] = [*raw["overrides"], *(o.model_dump() for o in self.overrides)]
        for market, changes in self.markets.items():
            if market not in raw["markets"]:
                raise InputError(scenario.file(), f"leverage: markets.{market}",
                                 "no such market in the scenario")
            spec = {**raw["markets"][market], **changes}
            raw["markets"][market] = {k: v for k, v in spec.items() if v is not None}
        if self.pathway is not None:
            raw["pathway"] = self.pathway
        return validate_scenario({**raw, "source": scenario.source}, scenario.file())


class Driver(Strict):
    """One driver of the buyer's leverage: its plain name, the reference world without it
    (a set of changes to the scenario) and, optionally, why it works (shown beside the
    numbers)."""

    name: str = Field(min_length=1, max_length=80)
    reference: Changes
    why: str = Field("", max_length=400)


class LeverageStudy(Strict):
    """The drivers the buyer's leverage is decomposed over (energymodel leverage): Shapley
    values over every subset of them, from the world without any (every driver at its
    reference) to the scenario."""

    drivers: dict[str, Driver] = Field(min_length=1, max_length=10)


class Branch(Strict):
    """One case of a decision's scenario tree: the buyer market's demand pathway after the
    revelation year, and its probability."""

    pathway: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    probability: float = Field(ge=0, le=1)


class Decision(Strict):
    """An investment option as a decision under uncertainty (`energymodel decide`,
    docs/derivations.md, "Investment as a decision under uncertainty"): the market the
    option serves follows the scenario's pathway until `revelation_year`, then one branch's
    pathway. Without `branches`: every pathway the data give that market after the
    revelation year, equally likely. Without `option`: the largest option on the exporter's
    routes into the buyer market."""

    option: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]+$")
    revelation_year: int = Field(2040, ge=1990, le=2100)
    branches: list[Branch] | None = Field(None, min_length=1, max_length=50)
    step: Literal[1, 5] | None = Field(5, description="years per model period of the "
                                       "decision's solves; null: the scenario's own")

    @model_validator(mode="after")
    def _tree(self) -> Decision:
        if self.branches is None:
            return self
        pathways = [b.pathway for b in self.branches]
        twice = next((p for p in pathways if pathways.count(p) > 1), None)
        if twice is not None:
            raise ValueError(f"pathway '{twice}' is a branch twice")
        total = math.fsum(b.probability for b in self.branches)
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"the branches' probabilities sum to {total:.12g}, not 1")
        return self


class SolverOptions(Strict):
    """HiGHS settings. One thread keeps results identical run to run and suits sweeps."""

    time_limit: float | None = Field(600.0, gt=0, allow_inf_nan=False,
                                     description="seconds per solve; null: no limit")
    mip_rel_gap: float = Field(1e-6, ge=0, le=1)
    threads: int = Field(1, ge=1, le=64)
    tangents: int = Field(
        16, ge=4, le=1000, description="tangent cuts per quadratic term when a MIP is "
        "linearised (the bilevel monopsony refines them at each incumbent; 16 measured "
        "fastest there: two MILP rounds at annual steps against three with 32)")


class Scenario(Strict):
    """A complete, validated scenario."""

    name: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$",
                      description="letters, digits and _ . + -, not starting with . or -")
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
    overrides: list[Override] = Field([], max_length=MAX_OVERRIDES)
    fiscal: Fiscal | None = None
    dependence: Dependence | None = None
    leverage: LeverageStudy | None = None
    uncertainty: Path | None = Field(None, description="an uncertainty study: a sweep file "
                                     "over the data's ranges, relative to the scenario file")
    decision: Decision | None = None
    solver: SolverOptions = SolverOptions()
    source: Path | None = Field(None, exclude=True, description="file it was loaded from")

    def at_lever(self, x: float) -> Scenario:
        """The scenario at one value x of its dependence lever: without the lever's
        policies, with every target set to x (mode value) or scaled by x (mode scale)."""
        lever = self.dependence
        if lever is None:
            raise ValueError(f"scenario {self.name} has no dependence lever")
        overrides = [Override.model_validate({**t.model_dump(), lever.mode: x})
                     for t in lever.targets]
        return self.updated(
            name=f"{self.name}.{lever.lever}_{x:g}", dependence=None,
            policies=[p for p in self.policies if p not in lever.remove_policies],
            overrides=[*self.overrides, *overrides])

    def file(self) -> str:
        """The scenario file for messages, or '<scenario name>' when built in Python."""
        return display_path(self.source) if self.source else f"<scenario {self.name}>"

    def digest(self) -> str:
        """SHA-256 of the resolved scenario, independent of where data_dir (and the
        uncertainty study) lies; a scenario without a decision or leverage section keeps
        the digest it had before there were such sections."""
        content = self.model_dump(mode="json", exclude={"data_dir", "source", "uncertainty"})
        for study in ("decision", "leverage"):
            if content.get(study) is None:
                content.pop(study, None)
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()

    def updated(self, **changes: Any) -> Scenario:
        """A copy with top-level fields replaced, validated again."""
        return validate_scenario({**self.model_dump(), **changes, "source": self.source},
                                 self.file())

    def with_overrides(self, *overrides: Override | dict[str, Any]) -> Scenario:
        """A copy with data overrides appended (applied after the existing ones)."""
        return self.updated(overrides=[*self.overrides, *overrides])


def load_scenario(path: str | Path) -> Scenario:
    """Read, merge (`extends`) and validate a scenario file."""
    if not isinstance(path, str | Path):
        raise InputError(None, "scenario", f"a Scenario or the path of a scenario file is "
                         f"needed, not {type(path).__name__}")
    path = Path(path)
    raw = _load_raw(path, chain=())
    return validate_scenario({**raw, "source": path.resolve()}, display_path(path))


def validate_scenario(raw: dict[str, Any], file: str) -> Scenario:
    """A scenario from its mapping (a merged file, or a results folder's scenario.json);
    InputError names `file` and the first field in error."""
    try:
        return _strict_validate(raw)
    except ValidationError as err:
        raise input_error(err, file, Scenario) from None


def field_path(loc: tuple) -> str:
    """A field path as errors write it: `overrides[0].value`, `markets.china.phi`."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
    return path or "(top level)"


RANGE_ERRORS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


def input_error(err: ValidationError, file: str, model: type[BaseModel],
                prefix: str = "") -> InputError:
    """The first error of a pydantic validation of `model` as one InputError line (an
    unknown key first: a misspelling also makes a required key look missing); the field
    path starts with `prefix` (e.g. `markets.china`) where `model` is nested."""
    errors = err.errors()
    first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
    reason = first["msg"].removeprefix("Value error, ")
    kind = first["type"]
    if kind == "extra_forbidden":
        known = getattr(_model_at(model, first["loc"][:-1]), "model_fields", {})
        close = difflib.get_close_matches(str(first["loc"][-1]), known, n=1)
        reason = "unknown key" + (f" (did you mean '{close[0]}'?)" if close else "")
    elif kind == "finite_number" or (kind in RANGE_ERRORS and isinstance(
            first["input"], float) and not math.isfinite(first["input"])):
        reason = f"{first['input']!r} is not a finite number"
        if (bounds := _range(model, first["loc"])) != "[-inf, inf)":
            reason += f" in {bounds}"
    elif kind in RANGE_ERRORS:
        reason = f"{first['input']!r} is outside the range {_range(model, first['loc'])}"
    elif "input" in first and kind.endswith("_type"):
        reason += f" (got {_shown(first['input'])})"
    more = len(errors) - 1
    more_text = f" (+{more} more errors)" if more else ""
    loc = (prefix, *first["loc"]) if prefix else tuple(first["loc"])
    return InputError(file, field_path(loc), reason + more_text)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _range(model: type[BaseModel], loc: tuple) -> str:
    """The allowed range of the field at `loc`, e.g. '[0, 0.5]' or '(0, inf)'."""
    parent = _model_at(model, loc[:-1])
    info = getattr(parent, "model_fields", {}).get(loc[-1]) if loc else None
    low, high = "[-inf", "inf)"
    for bound in info.metadata if info is not None else []:
        if isinstance(bound, annotated_types.Ge):
            low = f"[{bound.ge:g}"
        elif isinstance(bound, annotated_types.Gt):
            low = f"({bound.gt:g}"
        elif isinstance(bound, annotated_types.Le):
            high = f"{bound.le:g}]"
        elif isinstance(bound, annotated_types.Lt):
            high = f"{bound.lt:g})"
    return f"{low}, {high}"


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel]:
    """The model whose field `loc` names (list indexes and dict keys pass through)."""
    for part in loc:
        if isinstance(part, str) and part in model.model_fields:
            model = _model_in(model.model_fields[part].annotation) or model
    return model


def _model_in(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside an annotation such as `X | None`, `list[X]`, `dict[str, X]`."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list, dict):
        return next(filter(None, map(_model_in, typing.get_args(annotation))), None)
    return None


def _strict_validate(raw: dict[str, Any]) -> Scenario:
    # Paths arrive as strings from YAML; everything else must have its YAML type.
    raw = dict(raw)
    for key in ("data_dir", "source", "uncertainty"):
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
    for key in ("data_dir", "uncertainty"):
        if isinstance(raw.get(key), str):
            raw[key] = str((path.parent / raw[key]).resolve())
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


def read_yaml(path: Path, what: str) -> dict[str, Any]:
    """The mapping of a YAML file (safe YAML, size-limited); errors name the file and, where
    known, the line. `what` names the kind of file: 'scenario', 'sweep'."""
    file = display_path(path)
    text = read_text(path, MAX_FILE_BYTES, f"{what} file")
    try:
        raw = _parse_yaml(text, file)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else None
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise InputError(file, where, f"malformed YAML: {problem}") from None
    except RecursionError:
        raise InputError(file, None, "malformed YAML: nested too deeply") from None
    if not isinstance(raw, dict):
        raise InputError(file, None, f"a {what} must be a YAML mapping")
    return raw


if typing.TYPE_CHECKING:
    from yaml import SafeLoader as _SafeLoader
else:  # the C loader where libyaml is present
    _SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_SafeLoader):
    """Safe YAML that rejects a key stated twice in one mapping."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: the base class reports it
                break
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key '{key}' stated twice in one mapping", key_node.start_mark)
        return super().construct_mapping(node, deep)


def _parse_yaml(text: str, file: str) -> Any:
    """Parse YAML, counting values with aliases expanded first (a 'billion laughs' file
    is refused before it is built)."""
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        size = _expanded_size(node, {})
        if size > MAX_YAML_NODES:
            raise InputError(file, None, f"holds {size:,} YAML values once aliases are "
                             f"expanded, more than the limit of {MAX_YAML_NODES:,}")
        return loader.construct_document(node)
    finally:
        loader.dispose()


def _expanded_size(node: yaml.Node, sizes: dict[int, int]) -> int:
    """Number of nodes under `node`, counting an aliased node each time it is used."""
    if id(node) not in sizes:
        sizes[id(node)] = 0  # a recursive alias counts nothing more
        children = (node.value if isinstance(node, yaml.SequenceNode) else
                    [n for pair in node.value for n in pair]
                    if isinstance(node, yaml.MappingNode) else [])
        total = 1
        for child in children:
            total = min(total + _expanded_size(child, sizes), 10**18)
        sizes[id(node)] = total
    return sizes[id(node)]


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
