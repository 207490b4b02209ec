"""Sweep throughput, as ratios measured in one run (timings are noisy on a shared machine).

    python benchmarks/sweep.py [--points 12] [--scenario scenarios/baseline.yaml] [--step 5]

Reports: a bare `em.solve` of a sweep point's scenario (one engine.Session across the points,
as a sweep worker keeps one); the cost of a point through the sweep machinery in this process
(variant, solve, key outputs, atomic store write) against it;
points/s on 1 and 2 worker processes and on a 2-worker Dask LocalCluster (pool start-up
excluded: each run first solves one warm-up point per worker); and the Sobol study size
that fits in 3 minutes at the 2-worker rate.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import energymodel as em
from energymodel.engine import Session
from energymodel.sweeps import Dask, InProcess, Processes, validate_sweep
from energymodel.sweeps.executors import Executor
from energymodel.sweeps.factors import variant
from energymodel.sweeps.run import execute, plan, tasks

ROOT = Path(__file__).resolve().parents[1]


def spec(scenario: Path, step: int, points: int, seed: int):
    return validate_sweep({
        "name": f"bench{seed}", "scenario": str(scenario), "set": {"horizon": {"step": step}},
        "design": {"method": "latin", "n": points, "seed": seed},
        "inputs": [{"entity": "china", "parameter": "elasticity"},
                   {"entity": "china", "parameter": "ref_quantity"},
                   {"entity": "pos2_pipeline", "parameter": "capex"},
                   {"entity": "west_siberia", "parameter": "capacity"}]})


def rate(executor: Executor, warm: int, scenario: Path, step: int, points: int,
         seed: int) -> float:
    """Points per second of `executor`, after the first point of each of its `warm` workers
    (their start-up: process spawn, imports)."""
    run = plan(spec(scenario, step, points + warm, seed))
    stream = executor.run(run.context, tasks(run, list(run.design.index)))
    for _ in range(warm):
        assert next(stream)["status"] == "ok"
    start = time.perf_counter()
    n = sum(1 for record in stream if record["status"] == "ok")
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=12)
    parser.add_argument("--scenario", type=Path, default=ROOT / "scenarios" / "baseline.yaml")
    parser.add_argument("--step", type=int, default=5)
    args = parser.parse_args()
    base = em.load_scenario(args.scenario).updated(horizon={"step": args.step})
    p = plan(spec(args.scenario, args.step, args.points, 1))
    scenarios = [variant(p.context.base, list(p.context.factors), x)
                 for _, x in tasks(p, list(p.design.index))]
    session = Session()
    em.solve(base, dependence=False, session=session)  # warm-up (imports, compiled model)
    start = time.perf_counter()
    for s in scenarios:
        em.solve(s, dependence=False, session=session)
    bare = (time.perf_counter() - start) / len(scenarios)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        stats = execute(p, InProcess(), Path(tmp) / "inline", progress=False).stats
        point = (time.perf_counter() - start) / stats["solved"]
        r1 = rate(Processes(1), 1, args.scenario, args.step, args.points, 2)
        r2 = rate(Processes(2), 2, args.scenario, args.step, args.points, 3)
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster, Client(cluster) as client:
            rd = rate(Dask(client), 2, args.scenario, args.step, args.points, 4)
    print(f"scenario {base.name}, {args.step}-year periods, {args.points} points per run")
    print(f"bare em.solve of a point:        {bare:.3f} s")
    print(f"sweep point, in process:         {point:.3f} s  ({point / bare:.2f}x bare)")
    print(f"1 worker process:                {r1:.2f} points/s")
    print(f"2 worker processes:              {r2:.2f} points/s  ({r2 / r1:.2f}x one worker)")
    print(f"Dask LocalCluster, 2 workers:    {rd:.2f} points/s  ({rd / r1:.2f}x one worker)")
    d = 10
    n = 2 ** max(0, int(r2 * 180 / (d + 2)).bit_length() - 1)
    print(f"Sobol study in 3 minutes at the 2-worker rate: {r2 * 180:.0f} points; "
          f"with D = {d} inputs, N = {n} ({n * (d + 2)} points)")


if __name__ == "__main__":
    main()
