"""Run a sweep: resolve its inputs, draw its points, solve the missing ones with an executor
into the store, and return the table of inputs and outputs per point."""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from energymodel._version import __version__
from energymodel.api import load_scenario
from energymodel.data import load_dataset
from energymodel.errors import InputError
from energymodel.scenario import Scenario
from energymodel.sweeps import designs
from energymodel.sweeps.executors import Context, Executor, Task
from energymodel.sweeps.executors import executor as make_executor
from energymodel.sweeps.factors import Factor, resolve
from energymodel.sweeps.spec import SweepSpec, load_sweep, require
from energymodel.sweeps.store import (
    FILES,
    KIND,
    Store,
    SweepFolder,
    design_digest,
    record_digest,
)


@dataclass
class Plan:
    """A sweep ready to run: its context, points and manifest."""

    spec: SweepSpec
    context: Context
    design: pd.DataFrame
    manifest: dict


def plan(spec: SweepSpec | str | Path, scenario: Scenario | None = None) -> Plan:
    """Validate the sweep against its scenario (the file's, or `scenario`: an uncertainty
    study of the scenario a run solves) and data, and draw its points."""
    spec = spec if isinstance(spec, SweepSpec) else load_sweep(spec)
    designs.check_size(spec)  # at once, from the file: before the scenario and data load
    base = _fixed(spec, load_scenario(spec.scenario) if scenario is None else scenario)
    factors = resolve(spec, base)
    if spec.design.method in ("sobol", "latin", "morris"):
        odd = next((f.name for f in factors if f.distribution != "uniform"
                    and spec.design.method == "morris"), None)
        require(odd is None, spec, "inputs", f"morris needs uniform inputs ({odd} is not)")
    designs.check_size(spec, factors)
    design = designs.points(spec.design, factors)
    groups = tuple(spec.outputs)
    data = load_dataset(base.data_dir)
    identity = {"sweep": spec.digest(), "scenario": base.digest(), "data": data.digest,
                "factors": [_describe(f) for f in factors],
                "design": hashlib.sha256(design.to_numpy().tobytes()).hexdigest()}
    manifest = {
        "kind": KIND, "name": spec.name, "description": spec.description,
        "sweep_file": spec.file(),
        "sweep_sha256": hashlib.sha256(json.dumps(identity, sort_keys=True).encode())
        .hexdigest(),
        "scenario": {"name": base.name, "file": base.file(), "sha256": base.digest()},
        "data": {"directory": str(data.directory), "sha256": data.digest},
        "design": {**spec.design.model_dump(), "points": len(design)},
        "design_sha256": design_digest(design),
        "inputs": [_describe(f) for f in factors],
        "outputs": list(groups),
        "versions": {"energymodel": __version__, **{p: version(p) for p in (
            "pyomo", "highspy", "SALib", "numpy", "pandas")}},
        "files": FILES,
    }
    manifest["sha256"] = record_digest(manifest)
    return Plan(spec, Context(base, tuple(factors), groups), design, manifest)


def sweep(spec: SweepSpec | str | Path, executor: Executor | str = "processes",
          workers: int | None = None, out: str | Path | None = None, csv: bool = False,
          progress: bool = False) -> pd.DataFrame:
    """Run a sweep (resuming from `out` if it was started) and return its table: one row per
    point, its inputs, status, reason and outputs.

    `executor`: 'inline', 'processes' (default) or an executor object (e.g.
    `executors.Dask("tcp://host:8786")`). Results go to `out` (default
    results/sweeps/<name>/). Bad arguments raise InputError, as bad sweep files do.
    """
    _check_arguments(spec, executor, workers, out, csv, progress)
    p = plan(spec)
    ex = make_executor(executor, workers) if isinstance(executor, str) else executor
    return execute(p, ex, out, progress, csv).table


def _check_arguments(spec, executor, workers, out, csv, progress) -> None:
    """One InputError line for an argument of `sweep` of the wrong kind."""
    checks = [
        ("spec", spec, isinstance(spec, SweepSpec | str | Path),
         "a sweep file path or a SweepSpec"),
        ("executor", executor, isinstance(executor, str)
         or callable(getattr(executor, "run", None)), "'inline', 'processes' or an executor"),
        ("workers", workers, workers is None or (isinstance(workers, int) and not isinstance(
            workers, bool) and workers >= 1), "a whole number of at least 1, or None"),
        ("out", out, out is None or isinstance(out, str | Path), "a folder path or None"),
        ("csv", csv, isinstance(csv, bool), "True or False"),
        ("progress", progress, isinstance(progress, bool), "True or False"),
    ]
    for name, value, good, wanted in checks:
        if not good:
            raise InputError(None, name, f"needs {wanted}, not {value!r}"[:200])


def default_folder(spec: SweepSpec) -> Path:
    return Path("results") / "sweeps" / spec.name


@dataclass
class Outcome:
    """What a sweep run did: its folder, its table (the points with a record), run
    statistics, the files of the finished table, and notes on what the store held."""

    folder: Path
    table: pd.DataFrame
    stats: dict
    written: list[Path]
    notes: list[str]


def inputs(p: Plan) -> list[Path]:
    """What a sweep reads, to keep its results out of: sweep file, scenario, data."""
    base = p.context.base
    return [Path(x) for x in (p.spec.source, base.source, base.data_dir) if x is not None]


def execute(p: Plan, ex: Executor, out: str | Path | None, progress: bool,
            csv: bool = False) -> Outcome:
    """Claim the sweep's folder, solve the points it lacks, and write results.parquet
    (and .csv) when every point is done."""
    folder = Path(out) if out is not None else default_folder(p.spec)
    store = Store(folder, p.design)
    with SweepFolder(folder, inputs(p)):
        store.open(p.manifest)
        records = store.records()
        todo = tasks(p, [i for i in p.design.index if i not in records])
        stats = {"points": len(p.design), "already_done": len(records), "solved": 0,
                 "failed": 0, "seconds": 0.0, "solve_seconds": 0.0}
        start = time.perf_counter()
        with _Progress(len(p.design), len(records), progress) as bar:
            for record in ex.run(p.context, todo):
                records[record["point"]] = store.put(record)
                stats["solved"] += 1
                stats["failed"] += record["status"] != "ok"
                stats["solve_seconds"] += record["seconds"]
                bar.advance(record["status"] != "ok")
        stats["seconds"] = time.perf_counter() - start
        table = store.table(records)
        written = store.write_table(table, csv) if len(table) == len(p.design) else []
    return Outcome(folder, table, stats, written, store.notes)


def tasks(p: Plan, points: list[int]) -> Iterator[Task]:
    """(point, input values by name) of the given points, lazily."""
    names = list(p.design.columns)
    return ((int(i), dict(zip(names, map(float, p.design.loc[i]), strict=True)))
            for i in points)


class _Progress:
    """A live progress bar on stderr: done/total, failed, points per second, time left."""

    def __init__(self, total: int, done: int, show: bool):
        self.total, self.done, self.failed, self.show = total, done, 0, show
        self.solved = 0

    def __enter__(self) -> _Progress:
        if self.show:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(TextColumn("sweep"), BarColumn(), MofNCompleteColumn(),
                                TextColumn("{task.fields[failed]} failed"),
                                TextColumn("{task.fields[rate]} points/s"),
                                TimeRemainingColumn(), console=Console(stderr=True))
            self.bar.start()
            self.task = self.bar.add_task("sweep", total=self.total, completed=self.done,
                                          failed=0, rate="-")
        self.start = time.perf_counter()
        return self

    def advance(self, failed: bool) -> None:
        self.solved += 1
        self.failed += failed
        if self.show:
            rate = self.solved / max(time.perf_counter() - self.start, 1e-9)
            self.bar.update(self.task, advance=1, failed=self.failed, rate=f"{rate:.2f}")

    def __exit__(self, *exc) -> None:
        if self.show:
            self.bar.stop()


def _describe(f: Factor) -> dict:
    target: dict[str, object] = {"field": f.field} if f.field else {
        **f.targets[0].model_dump(exclude_none=True), "mode": f.mode}
    if len(f.targets) > 1:
        target["also"] = [t.model_dump() for t in f.targets[1:]]
    base = None if math.isnan(f.base) else f.base  # a new anchor year has none
    return {"name": f.name, "unit": f.unit, "low": f.low, "high": f.high, "base": base,
            "distribution": f.distribution, **target}


def _fixed(spec: SweepSpec, base: Scenario) -> Scenario:
    """The base scenario with the sweep's `set:` fields; errors name the sweep file."""
    known = set(Scenario.model_fields) - {"source"}
    for key in spec.set:
        close = difflib.get_close_matches(key, known, n=1)
        require(key in known, spec, f"set.{key}", "unknown scenario field"
                + (f" (did you mean '{close[0]}'?)" if close else ""))
    if not spec.set:
        return base
    try:
        return base.updated(**{k: _merged(getattr(base, k), v) for k, v in spec.set.items()})
    except InputError as err:
        raise InputError(spec.file(), f"set.{err.field}", err.reason) from None


def _merged(current, change):
    """A scenario field with `change` merged in (mappings key by key, like `extends`)."""
    if isinstance(change, dict) and hasattr(current, "model_dump"):
        return {**current.model_dump(), **change}
    return change
