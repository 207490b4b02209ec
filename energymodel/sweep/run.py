"""Run a sweep: resolve its inputs, draw its points, solve the missing ones with an executor
into the store, and return the table of inputs and outputs per point."""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path

import pandas as pd

from energymodel._version import __version__
from energymodel.data import load_dataset
from energymodel.scenario import load_scenario
from energymodel.sweep import designs
from energymodel.sweep.executors import Context, Executor, Task
from energymodel.sweep.executors import executor as make_executor
from energymodel.sweep.factors import Factor, resolve
from energymodel.sweep.spec import SweepSpec, load_sweep, require
from energymodel.sweep.store import KIND, Store


@dataclass
class Plan:
    """A sweep ready to run: its context, points and manifest."""

    spec: SweepSpec
    context: Context
    design: pd.DataFrame
    manifest: dict


def plan(spec: SweepSpec | str | Path) -> Plan:
    """Validate the sweep against its scenario and data and draw its points."""
    spec = spec if isinstance(spec, SweepSpec) else load_sweep(spec)
    base = load_scenario(spec.scenario)
    if spec.set:
        base = base.updated(**{k: _merged(getattr(base, k), v) for k, v in spec.set.items()})
    factors = resolve(spec, base)
    if spec.design.method in ("sobol", "latin", "morris"):
        odd = next((f.name for f in factors if f.distribution != "uniform"
                    and spec.design.method == "morris"), None)
        require(odd is None, spec, "inputs", f"morris needs uniform inputs ({odd} is not)")
    design = designs.points(spec.design, factors)
    groups = tuple(spec.outputs)
    data = load_dataset(base.data_dir)
    identity = {"sweep": spec.digest(), "scenario": base.digest(), "data": data.digest,
                "factors": [asdict(f) for f in factors],
                "design": hashlib.sha256(design.to_numpy().tobytes()).hexdigest()}
    manifest = {
        "kind": KIND, "name": spec.name, "description": spec.description,
        "sweep_file": spec.file(),
        "sweep_sha256": hashlib.sha256(json.dumps(identity, sort_keys=True).encode())
        .hexdigest(),
        "scenario": {"name": base.name, "file": base.file(), "sha256": base.digest()},
        "data": {"directory": str(data.directory), "sha256": data.digest},
        "design": {**spec.design.model_dump(), "points": len(design)},
        "inputs": [_describe(f) for f in factors],
        "outputs": list(groups),
        "versions": {"energymodel": __version__, **{p: version(p) for p in (
            "pyomo", "highspy", "SALib", "numpy", "pandas")}},
    }
    return Plan(spec, Context(base, tuple(factors), groups), design, manifest)


def sweep(spec: SweepSpec | str | Path, executor: Executor | str = "processes",
          workers: int | None = None, out: str | Path | None = None, csv: bool = False,
          progress: bool = False) -> pd.DataFrame:
    """Run a sweep (resuming from `out` if it was started) and return its table: one row per
    point, its inputs, status, reason and outputs.

    `executor`: 'inline', 'processes' (default) or an executor object (e.g.
    `executors.Dask("tcp://host:8786")`). Results go to `out` (default
    results/sweeps/<name>/).
    """
    p = plan(spec)
    ex = make_executor(executor, workers) if isinstance(executor, str) else executor
    store, _ = execute(p, ex, out, progress)
    table = store.table()
    if len(table) == len(p.design):
        store.write_table(table, csv)
    return table


def default_folder(spec: SweepSpec) -> Path:
    return Path("results") / "sweeps" / spec.name


def execute(p: Plan, ex: Executor, out: str | Path | None,
            progress: bool) -> tuple[Store, dict]:
    """Solve the points the store lacks; returns the store and run statistics."""
    store = Store(Path(out) if out is not None else default_folder(p.spec))
    store.open(p.manifest, p.design)
    done = store.done()
    todo = tasks(p, [i for i in p.design.index if i not in done])
    stats = {"points": len(p.design), "already_done": len(done), "solved": 0, "failed": 0,
             "seconds": 0.0, "solve_seconds": 0.0}
    start = time.perf_counter()
    with _Progress(len(p.design), len(done), progress) as bar:
        for record in ex.run(p.context, todo):
            store.put(record)
            stats["solved"] += 1
            stats["failed"] += record["status"] != "ok"
            stats["solve_seconds"] += record["seconds"]
            bar.advance(record["status"] != "ok")
    stats["seconds"] = time.perf_counter() - start
    return store, stats


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
    target = {"field": f.field} if f.field else {
        k: v for k, v in (("entity", f.entity), ("parameter", f.parameter),
                          ("pathway", f.pathway), ("year", f.year), ("mode", f.mode))
        if v is not None}
    if f.also:
        target["also"] = [dict(zip(("entity", "parameter", "pathway", "year"), t, strict=True))
                          for t in f.also]
    base = None if math.isnan(f.base) else f.base  # a new anchor year has none
    return {"name": f.name, "unit": f.unit, "low": f.low, "high": f.high, "base": base,
            "distribution": f.distribution, **target}


def _merged(current, change):
    """A scenario field with `change` merged in (mappings key by key, like `extends`)."""
    if isinstance(change, dict) and hasattr(current, "model_dump"):
        return {**current.model_dump(), **change}
    return change
