"""Benchmarks of energymodel: one run measures everything, prints a table and writes JSON.

    python benchmarks/run.py [--repeat 3] [--resolves 1000] [--bilevel-cap 60] [--out FILE]

Times are medians of --repeat runs (heavy analyses once unless --heavy-repeat says more).
On a shared machine absolute times move with the load: read the ratios, taken in one run.

- process: CPU seconds of `energymodel run scenarios/baseline.yaml --point` (the solve; the
  studies a scenario names, its ranges and leverage decomposition, are many solves more)
  against those of `python -c "import pyomo.environ, highspy, pandas"`.
- baseline stages: load and validate, build (pyomo), compile (standard form), solve,
  extract (results tables), write (results folder); and em.solve end to end.
- sweep points, QP (baseline, China competitive) and LP (every market a price taker,
  stepped supply cost): one parameter change (route unit costs), re-solve, flows and market
  values extracted; against the floor (the same matrices handed straight to the same
  solver) and against a per-point pyomo rebuild as the package did before the compiled
  model (build, pyomo's persistent HiGHS interface, values read back).
- analyses: Nash bargaining (baseline), hold-up (china_holdup), the 5-point dependence
  curve (dependence_europe), the monopsony bilevel at 5-year steps and at annual steps (in a
  child process stopped at --bilevel-cap seconds, reported as such).
- memory: peak resident memory of the whole benchmark and of the CLI run; resident memory
  before and after --resolves re-solves (growth per 1,000).
- scale: the QP sweep point at 5-year and annual steps, and on a network of 3x the routes and
  markets (every market and its routes replicated from the real data).

`benchmarks/results-4bd1de5.json` holds a run of the version before the compiled model.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import clarabel
import numpy as np
import pandas as pd
import scipy.sparse as sp

import energymodel as em
from energymodel import solver
from energymodel.api import dependence_curve, prepare
from energymodel.engine import CompiledModel, Session
from energymodel.inputs import with_competitive
from energymodel.model import build_model
from energymodel.results import extract

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


def median(fn, repeat: int) -> tuple[float, object]:
    """Median wall seconds of `repeat` calls and the last result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def child_cpu(args: list[str], timeout: float | None = None) -> tuple[float, float, int]:
    """(CPU seconds, wall seconds, peak resident KB) of a child process; CPU is inf when the
    child was stopped at `timeout`."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    try:
        subprocess.run(args, check=True, capture_output=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return float("inf"), time.perf_counter() - start, 0
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall, after.ru_maxrss


def rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() // 1024


def five_year(s: em.Scenario) -> em.Scenario:
    return s.updated(horizon={**s.horizon.model_dump(), "step": 5})


def qp_inputs(step: int = 1):
    s = em.load_scenario(SCENARIOS / "baseline.yaml")
    return with_competitive(prepare(s if step == 1 else five_year(s)), "china")


def lp_inputs():
    s = em.load_scenario(SCENARIOS / "baseline.yaml")
    for market in ("europe", "turkey", "china"):
        s = s.with_overrides({"entity": market, "parameter": "ref_price", "value": 8.0})
    return prepare(s.updated(markets={m: {"structure": "price_taker"} for m in s.markets},
                             supply_cost="stepped"))


def tripled(inp):
    """The network with every market and its routes replicated twice more (3x routes and
    markets), same basins: generated from the real data."""
    copies = {"routes": [inp.routes], "route_years": [inp.route_years],
              "markets": [inp.markets], "market_years": [inp.market_years],
              "segments": [inp.segments]}
    for k in (2, 3):
        def rename(frame, level, k=k):
            return frame.rename(index=lambda v: f"{v}_{k}", level=level)
        routes = inp.routes.rename(index=lambda r, k=k: f"{r}_{k}")
        routes["market"] = routes["market"] + f"_{k}"
        copies["routes"].append(routes)
        copies["route_years"].append(rename(inp.route_years, "route"))
        copies["markets"].append(inp.markets.rename(index=lambda m, k=k: f"{m}_{k}"))
        copies["market_years"].append(rename(inp.market_years, "market"))
        copies["segments"].append(rename(inp.segments, "market"))
    return replace(inp, **{name: pd.concat(frames) for name, frames in copies.items()})


def with_costs(inp, factor: float):
    """A parameter change: every route's unit cost times `factor`."""
    ry = inp.route_years.copy()
    ry["unit_cost"] = ry["unit_cost"] * factor
    return replace(inp, route_years=ry)


def rebuild_point(inp):
    """One point as before the compiled model: build the pyomo model, hand it to HiGHS
    through pyomo's persistent interface, read the flows back."""
    from pyomo.contrib.solver.solvers.highs import Highs

    model = build_model(inp)
    highs = Highs()
    highs.config.load_solutions = True
    highs.config.threads = 1  # as the package did (and HiGHS keeps one thread pool)
    highs.config.solver_options = {"output_flag": False, "random_seed": 0}
    highs.solve(model)
    return pd.Series(model.flow.extract_values())


def engine_point(session: Session, inp):
    """One sweep point through the compiled model: re-solve, flows and duals read."""
    result = session.solve_form(inp)
    return result.values("flow"), result.duals("market_sales_balance")


def floor_solver(form):
    """The same matrices straight to the same solver: Clarabel for a QP (every bound a row,
    no preprocessing), HiGHS for an LP."""
    if form.kind == "LP":
        highs = solver.highs_instance(em.load_scenario(SCENARIOS / "baseline.yaml").solver)
        model = solver.highs_lp(form)
        return lambda: (highs.passModel(model), highs.run())
    a = form.A.tocsc()
    eq = form.row_lo == form.row_up
    up, lo = ~eq & np.isfinite(form.row_up), ~eq & np.isfinite(form.row_lo)
    n = a.shape[1]
    eye = sp.identity(n, format="csc")
    cu, cl = np.isfinite(form.col_up), np.isfinite(form.col_lo)
    g = sp.vstack([a[eq], a[up], -a[lo], eye[cu], -eye[cl]], format="csc")
    h = np.concatenate([form.row_up[eq], form.row_up[up], -form.row_lo[lo], form.col_up[cu],
                        -form.col_lo[cl]])
    cones = [clarabel.ZeroConeT(int(eq.sum())), clarabel.NonnegativeConeT(len(h) - int(eq.sum()))]
    settings = clarabel.DefaultSettings()
    for key, value in solver.CLARABEL_OPTIONS.items():
        setattr(settings, key, value)
    p = sp.diags(-form.q, format="csc")
    return lambda: clarabel.DefaultSolver(p, -form.c, g, h, cones, settings).solve()


def measure(args) -> dict:
    out: dict[str, dict] = {}
    r, heavy = args.repeat, args.heavy_repeat

    def record(name, seconds, **extra):
        out[name] = {"seconds": seconds, **extra}
        print(f"  {name:<44} {seconds:10.4f} s {extra if extra else ''}", flush=True)

    print("process", flush=True)
    imports = [child_cpu([sys.executable, "-c", "import pyomo.environ, highspy, pandas"])[0]
               for _ in range(r)]
    record("process: import pyomo+highspy+pandas (CPU)", statistics.median(imports))
    for name in ("baseline", "china_holdup"):
        with tempfile.TemporaryDirectory() as tmp:
            # `python -m energymodel` is the installed command's entry point (__main__.main)
            runs = [child_cpu([sys.executable, "-m", "energymodel", "run",
                               f"scenarios/{name}.yaml", "--out", f"{tmp}/r{i}",
                               "--point"])
                    for i in range(r)]
        record(f"process: energymodel run {name} (CPU)", statistics.median(x[0] for x in runs),
               peak_rss_mb=round(max(x[2] for x in runs) / 1024, 1))

    print("baseline by stage (China competitive: the QP)", flush=True)
    baseline = em.load_scenario(SCENARIOS / "baseline.yaml")
    record("stage: load + validate", median(lambda: prepare(baseline), r)[0])
    inp = with_competitive(prepare(baseline), "china")
    seconds, _ = median(lambda: build_model(inp), r)
    record("stage: build (pyomo)", seconds)
    seconds, compiled = median(lambda: CompiledModel(build_model(inp)), r)
    record("stage: compile (standard form)", seconds - out["stage: build (pyomo)"]["seconds"])
    values = compiled.parameters(inp)
    scaled = iter([{k: v * (1 + 1e-9 * i) for k, v in values.items()} for i in range(r)])
    seconds, _ = median(lambda: compiled.form(next(scaled)), r)  # every value changed
    record("stage: update (values into matrices)", seconds)
    form = compiled.form(values)
    seconds, solution = median(lambda: solver.solve(form, baseline.solver), r)
    record("stage: solve", seconds, solver=solution.solver, columns=form.A.shape[1],
           rows=form.A.shape[0])
    solved = Session().solve(inp)
    record("stage: extract", median(lambda: extract(solved), r)[0])
    results = em.solve(baseline)
    with tempfile.TemporaryDirectory() as tmp:
        record("stage: write", median(lambda: results.write(Path(tmp) / "out"), r)[0])
    record("baseline end to end (em.solve, new session)", median(lambda: em.solve(baseline),
                                                                  r)[0])

    print("sweep points", flush=True)
    for kind, make in (("QP", qp_inputs), ("LP", lp_inputs)):
        base = make()
        session = Session()
        variants = [with_costs(base, 1 + 0.01 * i) for i in range(max(r, 12))]
        engine_point(session, base)
        # the floor solves the same variants' matrices, each handed to the solver ready-made;
        # the two alternate, variant by variant, so that the machine's drift hits both alike
        floors = [floor_solver(session.form(v)) for v in variants]
        engine, bare = [], []
        for _ in range(r):
            for variant, floor in zip(variants, floors, strict=True):
                engine.append(median(lambda v=variant, s=session: engine_point(s, v), 1)[0])
                bare.append(median(floor, 1)[0])
        record(f"sweep point {kind}: compiled re-solve", statistics.median(engine))
        record(f"sweep point {kind}: floor ({session.form(base).kind}, bare solver)",
               statistics.median(bare))
        it = iter(variants * 10)
        record(f"sweep point {kind}: per-point pyomo rebuild",
               median(lambda it=it: rebuild_point(next(it)), r)[0])

    print("analyses", flush=True)
    record("Nash bargaining (baseline, em.solve)", median(lambda: em.solve(
        baseline, dependence=False), heavy)[0])
    holdup = em.load_scenario(SCENARIOS / "china_holdup.yaml")
    record("hold-up (china_holdup, 31 plans)", median(lambda: em.solve(
        holdup, dependence=False), heavy)[0])
    dependence = em.load_scenario(SCENARIOS / "dependence_europe.yaml")
    record("dependence curve (5 points)", median(lambda: dependence_curve(dependence), heavy)[0])
    monopsony = em.load_scenario(SCENARIOS / "china_monopsony.yaml")
    seconds, res = median(lambda: em.solve(monopsony, dependence=False), heavy)
    record("monopsony bilevel, 5-year steps", seconds,
           binaries=res.manifest["solver"].get("binaries"))
    code = ("import energymodel as em; s = em.load_scenario('scenarios/china_monopsony.yaml'); "
            "em.solve(s.updated(horizon={**s.horizon.model_dump(), 'step': 1}), "
            "dependence=False)")
    cpu, wall, _ = child_cpu([sys.executable, "-c", code], timeout=args.bilevel_cap)
    record("monopsony bilevel, annual steps", wall,
           status="solved" if np.isfinite(cpu) else f"stopped at the {args.bilevel_cap} s cap")

    print("memory", flush=True)
    base = qp_inputs()
    session = Session()
    variants = [with_costs(base, 1 + 0.001 * (i % 50)) for i in range(50)]
    count = args.resolves
    for v in variants:
        engine_point(session, v)
    start_rss = rss_kb()
    start = time.perf_counter()
    for i in range(count):
        engine_point(session, variants[i % len(variants)])
    record(f"memory: {count} re-solves", (time.perf_counter() - start) / count,
           rss_growth_mb_per_1000=round((rss_kb() - start_rss) / 1024 / count * 1000, 2),
           rss_mb=round(rss_kb() / 1024, 1))

    print("scale (QP sweep point)", flush=True)
    for name, inputs in (("5-year steps", qp_inputs(step=5)), ("annual steps", base),
                         ("annual, 3x routes and markets", tripled(base))):
        variants = [with_costs(inputs, 1 + 0.01 * i) for i in range(r + 1)]
        engine_point(session, variants[0])
        it = iter(variants[1:])
        record(f"scale: {name}", median(lambda it=it: engine_point(session, next(it)), r)[0],
               routes=len(inputs.routes), markets=len(inputs.markets))
    out["memory: peak of this benchmark"] = {
        "seconds": 0.0, "peak_rss_mb": round(resource.getrusage(
            resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
    return out


def ratios(m: dict) -> dict[str, float]:
    """The ratios the targets are stated in."""
    s = {k: v["seconds"] for k, v in m.items()}
    floor = s["process: import pyomo+highspy+pandas (CPU)"]
    found = {"process run / imports (CPU)": s["process: energymodel run baseline (CPU)"] / floor,
             "process hold-up run / imports (CPU)":
                 s["process: energymodel run china_holdup (CPU)"] / floor}
    for kind in ("QP", "LP"):
        point = s[f"sweep point {kind}: compiled re-solve"]
        floor = next(v for k, v in s.items() if k.startswith(f"sweep point {kind}: floor"))
        found[f"sweep point {kind} / floor"] = point / floor
        found[f"per-point rebuild / sweep point {kind}"] = (
            s[f"sweep point {kind}: per-point pyomo rebuild"] / point)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--heavy-repeat", type=int, default=1)
    parser.add_argument("--resolves", type=int, default=10_000,
                        help="re-solves for the memory check (target: flat over 10,000)")
    parser.add_argument("--bilevel-cap", type=float, default=60.0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results.json"))
    args = parser.parse_args()
    if args.out.exists() and "energymodel-benchmark" not in args.out.read_text()[:200]:
        sys.exit(f"{args.out}: exists and was not written by this benchmark; choose --out")
    print("energymodel benchmark")
    measured = measure(args)
    found = ratios(measured)
    print("ratios")
    for k, v in found.items():
        print(f"  {k:<44} {v:10.2f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "energymodel-benchmark": 1, "version": em.__version__,
        "python": platform.python_version(), "machine": platform.machine(),
        "cores": __import__("os").cpu_count(), "arguments": {k: str(v) for k, v in
                                                             vars(args).items()},
        "measurements": measured, "ratios": found}, indent=2, default=str) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
