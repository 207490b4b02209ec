"""The sweep file: a base scenario, the uncertain inputs, a design and the outputs to keep.

A sweep file is data (safe YAML), validated like a scenario: unknown keys are rejected and
a bad value is reported as one line, `file: field: reason`. Relative paths are relative to
the sweep file.

    name: baseline_sobol
    scenario: ../scenarios/baseline.yaml
    set: {horizon: {step: 5}}            # scenario fields fixed at every point (optional)
    design: {method: sobol, n: 256, seed: 1}
    inputs:
      - {entity: china, parameter: elasticity}            # bounds: the data's low/high
      - {entity: pos2_pipeline, parameter: capex, low: 15, high: 40}
      - {field: markets.china.beta, low: 0.1, high: 0.9}  # a scenario field
    ranged: {confidence: [M, L]}         # and every data value with a range (optional)
    outputs: [npv_export_revenue, price_pressure]       # default: all
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError, model_validator

from energymodel.errors import InputError, display_path
from energymodel.metrics import OUTPUT_GROUPS
from energymodel.scenario import Selector, Strict, input_error, read_yaml

Method = Literal["grid", "latin", "sobol", "morris", "oat"]
OutputGroup = Literal[tuple(OUTPUT_GROUPS)]  # type: ignore[valid-type]


class InputSpec(Strict):
    """One uncertain input: a data value (entity, parameter, optional pathway and year, named
    as in scenario overrides) or a scenario field (dotted path, e.g. markets.china.beta).

    Bounds default to the data's own low/high columns. A data value that is a path (several
    anchor years) is swept as one multiplier of all its anchors (mode scale) unless a year
    is given; a static value is swept in its own unit (mode value). `also` lists further
    data values set (or scaled) to the same value, e.g. the routes a policy lever opens.
    """

    name: str | None = Field(None, pattern=r"^[A-Za-z0-9_.-]+$")
    entity: str | None = None
    parameter: str | None = None
    pathway: str | None = None
    year: int | None = None
    field: str | None = Field(None, pattern=r"^[a-z_]+(\.[A-Za-z0-9_]+)*$")
    mode: Literal["value", "scale"] | None = None
    also: list[Selector] = Field(default_factory=list)
    low: float | None = None
    high: float | None = None
    values: list[float] | None = Field(None, min_length=1, description="grid levels")
    distribution: Literal["uniform", "triangular", "normal"] = Field(
        "uniform", description="triangular: peak at the base value; normal: mean the base "
        "value, low and high at two standard deviations, truncated to [low, high]")

    @property
    def selector(self) -> Selector | None:
        """The data value this input varies (None for a scenario field)."""
        if self.entity is None or self.parameter is None:
            return None
        return Selector(entity=self.entity, parameter=self.parameter, pathway=self.pathway,
                        year=self.year)

    def given_bounds(self) -> tuple[float, float] | None:
        """(low, high) as given: low and high, or the least and greatest grid level; None
        when the data's range applies."""
        if self.low is not None and self.high is not None:
            return self.low, self.high
        if self.values is not None:
            return min(self.values), max(self.values)
        return None

    @model_validator(mode="after")
    def _one_target(self) -> InputSpec:
        if (self.field is None) == (self.entity is None or self.parameter is None):
            raise ValueError("give either entity and parameter (a data value) or field "
                             "(a scenario field)")
        if self.field is not None and (self.low is None or self.high is None) and \
                self.values is None:
            raise ValueError(f"scenario field {self.field} needs low and high (or values)")
        if self.field is not None and ((self.pathway, self.year, self.mode) != (None,) * 3
                                       or self.also):
            raise ValueError("pathway, year, mode and also apply to data values only")
        if self.values is not None and self.low is not None:
            raise ValueError("give values (grid levels) or low and high, not both")
        if (self.low is None) != (self.high is None):
            raise ValueError("give both low and high, or neither (the data's range)")
        if self.low is not None and self.high is not None and not self.low < self.high:
            raise ValueError(f"low {self.low:g} must be below high {self.high:g}")
        return self


class Ranged(Strict):
    """Every data value with a range (low/high) of the given confidences, as inputs."""

    confidence: list[Literal["H", "M", "L"]] = Field(["M", "L"], min_length=1)


class Design(Strict):
    """How points are drawn. n: sobol base samples (a power of 2; N(D+2) points), latin
    points, morris trajectories (r(D+1) points). grid: `levels` values per input from low
    to high (or each input's `values`); oat: the base point, then each input at its low
    and its high with the others at base."""

    method: Method
    n: int | None = Field(None, ge=1)
    levels: int = Field(4, ge=2, le=100, description="grid: values per input; morris: "
                        "levels of the Morris grid")
    seed: int = Field(0, ge=0)
    second_order: bool = Field(False, description="sobol: also second-order indices")

    @model_validator(mode="after")
    def _size(self) -> Design:
        sized = self.method in ("sobol", "latin", "morris")
        if sized and self.n is None:
            raise ValueError(f"{self.method} needs n")
        if not sized and self.n is not None:
            raise ValueError(f"n does not apply to {self.method}")
        if self.method == "sobol" and self.n is not None and self.n & (self.n - 1):
            raise ValueError(f"sobol needs n a power of 2, not {self.n}")
        if self.second_order and self.method != "sobol":
            raise ValueError("second_order applies to sobol only")
        return self


class SweepSpec(Strict):
    """A validated sweep file."""

    name: str = Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.+-]*$",
                      description="letters, digits and _ . + -, not starting with . or - "
                      "(it names the default results folder)")
    description: str = ""
    scenario: Path
    set: dict[str, Any] = Field({}, description="scenario fields fixed at every point")
    design: Design
    inputs: list[InputSpec] = Field(default_factory=list)
    ranged: Ranged | None = None
    outputs: list[OutputGroup] = Field(list(OUTPUT_GROUPS), min_length=1)  # type: ignore
    source: Path | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _has_inputs(self) -> SweepSpec:
        if not self.inputs and self.ranged is None:
            raise ValueError("give inputs, ranged, or both")
        return self

    def file(self) -> str:
        return display_path(self.source) if self.source else f"<sweep {self.name}>"

    def digest(self) -> str:
        """SHA-256 of the sweep's content (not of where it lies)."""
        content = self.model_dump(mode="json", exclude={"scenario", "source"})
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def load_sweep(path: str | Path) -> SweepSpec:
    """Read and validate a sweep file."""
    path = Path(path)
    raw = read_yaml(path, "sweep")
    if isinstance(raw.get("scenario"), str):
        raw["scenario"] = (path.parent / raw["scenario"]).resolve()
    return validate_sweep({**raw, "source": path.resolve()}, display_path(path))


def validate_sweep(raw: dict[str, Any], file: str = "<sweep>") -> SweepSpec:
    """A sweep from a mapping (as read from YAML, paths as Path or str)."""
    raw = dict(raw)
    if isinstance(raw.get("scenario"), str):
        raw["scenario"] = Path(raw["scenario"])
    try:
        return SweepSpec.model_validate(raw)
    except ValidationError as err:
        raise input_error(err, file, SweepSpec) from None


def require(condition: bool, spec: SweepSpec, field: str, reason: str) -> None:
    """Raise a one-line InputError on the sweep file unless `condition`."""
    if not condition:
        raise InputError(spec.file(), field, reason)
