"""Command line: a thin layer over the Python API.

    energymodel run SCENARIO [--out DIR] [--force]       solve, print a summary, write a
                                                         results folder (with the studies
                                                         the scenario names: ranges, leverage)
    energymodel leverage SCENARIO [--out DIR]            why the buyer has leverage: Shapley
                                                         decomposition by driver
    energymodel pressure SCENARIO [--out DIR] [--force]  the same, with the price pressure
                                                         table by year and the dependence curve
    energymodel validate SCENARIO                        check a scenario and its data
                                                         without solving
    energymodel sweep SWEEP [--scheduler ADDR]           run a sensitivity sweep (resumes
                                                         if stopped)
    energymodel sweep analyze SWEEP|FOLDER               Sobol / Morris indices, tornado
    energymodel compare SCENARIO|FOLDER...               key outputs side by side
    energymodel report RESULTS_DIR... --out DIR          a briefing (HTML, PDF, Excel,
                                                         charts, IAMC) from results folders,
                                                         without re-solving
    energymodel export-model SCENARIO --out FILE         write the scenario's model as
                                                         FILE.mps or FILE.lp
    energymodel decide SCENARIO [--option ID] [--out DIR]  an investment option as a
                                                         decision under uncertainty

Errors print one line (file: field: reason) and exit non-zero: 2 for bad input, 3 when the
model has no solution, 1 for anything unexpected; 130 (Ctrl-C) or 143 (SIGTERM) when
interrupted. --debug shows the traceback instead. The results folder is claimed (checked and
locked, see energymodel.safety) before the solve, so a refusal costs no solving time.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated, NoReturn

import numpy as np
import pandas as pd
import typer
from typer.core import TyperGroup

try:  # typer 0.2x carries its own copy of click
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover - older typer uses click itself
    from click.exceptions import UsageError  # type: ignore[assignment]

from energymodel import interrupts, progress, solver, structures
from energymodel.api import load_scenario, prepare, solve
from energymodel.engine import Session
from energymodel.errors import EnergyModelError, InputError, SolveError, display_path
from energymodel.interrupts import Interrupted
from energymodel.results import Results
from energymodel.safety import ResultsFolder
from energymodel.scenario import Scenario
from energymodel.studies import with_studies

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Russian gas export choices against decarbonisation demand curves.")

ScenarioArg = Annotated[Path, typer.Argument(help="scenario YAML file", show_default=False)]
DebugOpt = Annotated[bool, typer.Option("--debug", help="show tracebacks")]
OutOpt = Annotated[Path | None, typer.Option(
    "--out", help="results folder [default: results/<scenario name>]", show_default=False)]
ForceOpt = Annotated[bool, typer.Option(
    "--force", help="also replace a folder of results-like files that energymodel did not "
    "write (never the data, scenario or working folder, nor a folder with other files)")]
ReportOpt = Annotated[bool, typer.Option(
    "--report", help="also build a briefing in reports/<scenario name>")]
UncertaintyOpt = Annotated[Path | None, typer.Option(
    "--uncertainty", help="an uncertainty study (a sweep file over the data's ranges) that "
    "replaces the scenario's own: 10/50/90 percentiles in summary.csv", show_default=False)]
PointOpt = Annotated[bool, typer.Option(
    "--point", help="point values only: skip the studies the scenario names (its "
    "uncertainty study and leverage decomposition)")]
WorkersOpt = Annotated[int | None, typer.Option(
    "--workers", min=1, help="worker processes for the studies [default: one per core]",
    show_default=False)]


@app.command()
def run(scenario: ScenarioArg, out: OutOpt = None, force: ForceOpt = False,
        report: ReportOpt = False, uncertainty: UncertaintyOpt = None, point: PointOpt = False,
        workers: WorkersOpt = None, debug: DebugOpt = False) -> None:
    """Solve a scenario, print a summary and write its results folder; with the studies
    the scenario names (or --uncertainty), its ranges and leverage decomposition too."""
    with _reported(debug):
        start = time.perf_counter()
        s = load_scenario(scenario)
        if point and uncertainty is not None:
            raise InputError(None, "--uncertainty", "--point skips the studies: give one of "
                             "the two")
        with results_folder(s, out, force) as folder:
            results = solve(s)
            if not point:
                results = with_studies(results, uncertainty, workers=workers)
            results.write(folder)
        typer.echo(summary_text(results, time.perf_counter() - start))
        typer.echo(f"Results: {display_path(folder.path)}/ (CSV and parquet tables, "
                   "scenario.json, manifest.json)")
        if report:
            _build_report([folder.path], Path("reports") / results.scenario.name, pdf=True)


@app.command("leverage")
def leverage_command(scenario: ScenarioArg, out: Annotated[Path | None, typer.Option(
        "--out", help="folder for leverage.csv/.parquet [default: results/<scenario "
        "name>-leverage]", show_default=False)] = None,
        workers: WorkersOpt = None, debug: DebugOpt = False) -> None:
    """Why the buyer has leverage: the change in its price for the exporter's gas (and the
    NPV moved to it) from the reference world to the scenario, split by driver (the
    scenario's `leverage.drivers`) with Shapley values over every subset of drivers."""
    from energymodel import decomposition as lev
    from energymodel.safety import LeverageFolder

    with _reported(debug):
        s = load_scenario(scenario)
        target = out if out is not None else Path("results") / f"{s.name}-leverage"
        with LeverageFolder(target, [s.data_dir, *filter(None, [s.source])]) as folder:
            found = lev.leverage(s, workers=workers)
            folder.replace(lambda tmp: lev.fill(tmp, found))
        typer.echo(found.text())
        typer.echo(f"Written: {display_path(target)}/leverage.csv (and leverage_interactions, "
                   "leverage_worlds)")


@app.command("report")
def report_command(
    folders: Annotated[list[Path], typer.Argument(
        help="results folders (the first is the reference), and optionally one sweep folder",
        show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="report folder, e.g. reports/NAME",
                                      show_default=False)],
    pdf: Annotated[bool, typer.Option("--pdf/--no-pdf", help="print briefing.pdf with "
                                      "headless Chromium")] = True,
    debug: DebugOpt = False,
) -> None:
    """Build a briefing (HTML, PDF, Excel, charts, IAMC) from results folders, without
    re-solving."""
    with _reported(debug):
        _build_report(folders, out, pdf)


def _build_report(folders: list[Path], out: Path, pdf: bool) -> None:
    from energymodel.report import build_report  # matplotlib only when a report is asked for

    stages = iter(range(1, 100))
    target = build_report(folders, out, pdf=pdf, progress=lambda line: typer.echo(
        f"report [{next(stages)}] {line}", err=True))
    typer.echo(f"Report: {display_path(target)}/briefing.html (files listed in report.json)")


@app.command()
def pressure(scenario: ScenarioArg, out: OutOpt = None, force: ForceOpt = False,
             debug: DebugOpt = False) -> None:
    """Solve a scenario with buyer power; print its price pressure by year and its
    dependence curve, and write its results folder."""
    with _reported(debug):
        start = time.perf_counter()
        s = load_scenario(scenario)
        if structures.buyer_market(s) is None:
            raise InputError(s.file(), "markets", "no market has buyer power (monopsony or "
                             "bargaining): there is no price pressure to report")
        with results_folder(s, out, force) as folder:
            results = solve(s)
            results.write(folder)
        typer.echo(summary_text(results, time.perf_counter() - start))
        typer.echo(pressure_text(results))
        typer.echo(f"Results: {display_path(folder.path)}/")


@app.command()
def validate(scenario: ScenarioArg, debug: DebugOpt = False) -> None:
    """Check a scenario and its data without solving."""
    with _reported(debug):
        s = load_scenario(scenario)
        inputs = prepare(s)
        h = s.horizon
        typer.echo(f"ok: scenario {s.name} ({display_path(scenario)}): "
                   f"{len(inputs.markets)} markets, {len(inputs.routes)} routes, "
                   f"{len(inputs.options)} investment options, {len(inputs.years)} periods "
                   f"{h.start_year}-{h.end_year}; data {display_path(inputs.data.directory)} "
                   f"sha256 {inputs.data.digest[:12]}")
        counts = inputs.data.source_counts
        typer.echo(f"sources: {counts['with_primary_source']} of {counts['values']} data values "
                   f"cite a publication ({display_path(inputs.data.directory / 'sources.csv')}); "
                   f"{counts['project_estimate_only']} "
                   "rest on the project's own estimates")


def results_folder(s: Scenario, out: Path | None, force: bool) -> ResultsFolder:
    """The results folder of a run, claimed before solving; its inputs are protected."""
    return ResultsFolder(out if out is not None else Path("results") / s.name,
                         protect=[s.data_dir, *filter(None, [s.source])], force=force)


@app.command("export-model")
def export_model(scenario: ScenarioArg, out: Annotated[Path, typer.Option(
        "--out", help="new file: FILE.mps or FILE.lp", show_default=False)],
        debug: DebugOpt = False) -> None:
    """Write the model a scenario solves (its own inputs; buyer-power variants are derived
    from it) as an MPS or LP file, for inspection or another solver. Writes new files only."""
    with _reported(debug):
        if out.suffix.lower() not in (".mps", ".lp"):
            raise InputError(display_path(out), None, "the file name must end in .mps or .lp")
        if out.exists() or out.is_symlink():
            raise InputError(display_path(out), None, "exists: export-model writes new files "
                             "only; choose another name or remove it")
        s = load_scenario(scenario)
        target = out.parent.resolve() / out.name
        for kept in filter(None, [s.data_dir, s.source]):
            if Path(kept).resolve() in target.parents:
                raise InputError(display_path(out), "--out", f"lies inside the input "
                                 f"{display_path(kept)}: write the model elsewhere")
        session = Session()
        form = session.form(prepare(s, session))
        solver.write(form, out)
        typer.echo(f"Wrote {display_path(out)}: the {form.kind} of scenario {s.name}, "
                   f"{form.A.shape[1]} columns, {form.A.shape[0]} rows (maximise)")


def name_of(results: Results, kind: str, ident: str) -> str:
    """An entity (supplier, market, ...) as the data name it, else its id."""
    e = results.tables.get("entities")
    if e is not None and len(e):
        found = e.loc[(e["kind"] == kind) & (e["id"] == ident), "name"]
        if len(found):
            return str(found.iloc[0])
    return ident


def summary_text(results: Results, seconds: float) -> str:
    """The run summary: NPVs, revenue by outlet in selected years, solver status and time."""
    m, s = results.manifest, results.scenario
    years = sorted(set(results.flows["year"]))
    shown = [y for y in years if y == years[0] or y == years[-1] or y % 10 == 0]
    revenue = results.by_outlet().loc[shown].T
    export = results.exports
    revenue.loc["export total"] = export.groupby("year")["revenue_usd_bn"].sum().loc[shown]
    revenue.columns = [str(c) for c in revenue.columns]
    lines = [
        f"Scenario {s.name} ({s.file()}, sha256 {m['scenario']['sha256'][:12]}); "
        f"data {m['data']['directory']} (sha256 {m['data']['sha256'][:12]})",
        f"Solver: {m['solver']['status']} ({m['solver']['method']}); solves "
        f"{m['timings_s']['solve_all']:.2f} s, run {seconds:.2f} s; "
        f"{m['model']['variables']} variables, {m['model']['constraints']} constraints",
        f"NPV {years[0]}-{years[-1]} at {s.discount_rate:.1%} [USD bn]: export revenue "
        f"{results.npv('export_revenue'):.1f}, export profit {results.npv('export_profit'):.1f}",
        f"Revenue by outlet, {name_of(results, 'supplier', results.exporter)}'s routes "
        "[USD bn/y]:",
        revenue.round(2).to_string(),
    ]
    if "pressure" in results.tables:
        summary = results.summary.set_index("metric")["value"]
        p = results.tables["pressure"]
        market = name_of(results, "market", str(p["market"].iloc[0]))
        lines.append(
            f"Price pressure on {market} vs the {p['benchmark'].iloc[0]} benchmark, "
            f"{summary['mean_from_year']:.0f}-{summary['mean_to_year']:.0f} (volume-weighted): "
            f"{summary['mean_pressure']:.2f} USD/MMBtu ({summary['mean_pressure_pct']:.1f}%), "
            f"price {summary['mean_price']:.2f} USD/MMBtu; NPV transferred "
            f"{summary['npv_transferred']:.1f} USD bn; {market}'s share of export volume "
            f"{summary['mean_dependence_volume']:.0%}")
        if "benchmark_summary" in results.tables:
            b = results.tables["benchmark_summary"]
            pressure = b.set_index("benchmark")["pressure_usd_per_mmbtu"].dropna()
            lines.append("Pressure against each benchmark, same window [USD/MMBtu]: " + "; ".join(
                f"{str(name).replace('_', ' ')} {float(value):+.2f}"
                for name, value in pressure.items()))
    summary = results.summary.set_index("metric")["value"]
    if "revenue_window_end" in summary:
        end = results.years[-1]

        def halves(what: str, key: str) -> str:
            return (f"{what} stays above half its peak through {end}" if pd.isna(summary[key])
                    else f"{what} falls below half its peak in {summary[key]:.0f}")
        majority = summary["buyer_majority_year"]
        lines.append("Window: " + halves("export revenue", "revenue_window_end") + "; "
                     + halves("export profit", "profit_window_end") + "; "
                     + ("no buyer takes over half of export volume" if pd.isna(majority) else
                        f"the buyer takes over half of export volume from {majority:.0f}"))
    if "p50" in results.summary:
        lines += ranges_text(results)
    if "leverage" in results.tables:
        lines += leverage_text(results.tables["leverage"])
    if "budget" in results.tables:
        lines.append(f"NPV budget take: {results.npv('budget_take'):.1f} USD bn "
                     "(export duty and extraction tax)")
    if results.validation is not None:
        v = results.validation
        lines.append(f"History: {int(v['within_tolerance'].sum())} of {len(v)} observed flows, "
                     "prices and revenues within tolerance (validation.csv)")
    return "\n".join(lines)


RANGED = {"npv_export_revenue": ("export revenue NPV", "USD bn", ".0f"),
          "npv_export_profit": ("export profit NPV", "USD bn", ".0f"),
          "mean_price": ("the buyer's mean price", "USD/MMBtu", ".2f"),
          "mean_pressure": ("price pressure", "USD/MMBtu", "+.2f"),
          "npv_transferred": ("NPV transferred", "USD bn", ".0f"),
          "buyer_majority_year": ("buyer's majority from", "", ".0f"),
          "profit_window_end": ("export profit below half its peak in", "", ".0f")}


def ranges_text(results: Results) -> list[str]:
    """The uncertainty study's percentiles of the headline outputs, one line."""
    s = results.summary.set_index("metric")
    about = results.manifest.get("studies", {}).get("uncertainty", {})

    def at(metric: str, column: str) -> float:
        return float(np.asarray(s.loc[metric, column]))

    def shown(v: float, form: str) -> str:
        return "never" if np.isnan(v) else format(v, form)
    parts = [f"{label} {shown(at(m, 'p10'), f)} / {shown(at(m, 'p50'), f)} / "
             f"{shown(at(m, 'p90'), f)}{' ' + unit if unit else ''}"
             for m, (label, unit, f) in RANGED.items() if m in s.index
             and not (np.isnan(at(m, "p50")) and np.isnan(at(m, "p10")))]
    lines = [f"Ranges, 10th / 50th / 90th percentile over {about.get('points_ok', '?')} points "
             f"of {about.get('file', 'the uncertainty study')} (at its own periods): "
             + "; ".join(parts)]
    if "prob_pressure_positive" in s.index:
        lines.append(f"Probability that the buyer's price pressure is positive: "
                     f"{at('prob_pressure_positive', 'value'):.0%}")
    return lines


def leverage_text(table: pd.DataFrame) -> list[str]:
    """The leverage decomposition in one line: each active driver's share of the change in
    the buyer's price."""
    active = table[(table["driver"] != "total") & table["active"]]
    total = table[table["driver"] == "total"].iloc[0]
    parts = [f"{r.name} {r.price_effect_usd_per_mmbtu:+.2f}" for r in active.itertuples()]
    idle = table[(table["driver"] != "total") & ~table["active"]]["name"]
    return [f"Leverage (energymodel leverage): the buyer's price moves "
            f"{total['price_effect_usd_per_mmbtu']:+.2f} USD/MMBtu from the reference world, "
            f"by driver: " + "; ".join(parts)
            + (f" (not at work: {', '.join(idle)})" if len(idle) else "")]


def pressure_text(results: Results) -> str:
    """The price pressure table for selected years and the dependence curve, if any."""
    p = results.tables["pressure"]
    years = sorted(p["year"])
    shown = p[p["year"].isin([y for y in years if y == years[0] or y % 5 == 0])]
    columns = {"benchmark_price_usd_per_mmbtu": "benchmark", "price_usd_per_mmbtu": "price",
               "pressure_usd_per_mmbtu": "pressure", "pressure_pct": "pressure %",
               "volume_bcm_per_y": "bcm/y", "transferred_usd_bn": "USD bn",
               "dependence_volume": "share of exports"}
    lines = [f"Price pressure on {p['market'].iloc[0]} (USD/MMBtu; benchmark: "
             f"{p['benchmark'].iloc[0]}):",
             shown.set_index("year")[list(columns)].rename(columns=columns).round(2)
             .to_string()]
    if "holdup" in results.tables:
        h = results.tables["holdup"]
        pick = {c: h[h[c]].iloc[0] for c in ("ex_ante_choice", "holdup_choice")}
        describe = {c: "not built" if pd.isna(r["decision_year"]) else
                    f"decided {int(r['decision_year'])}, online {int(r['online_year'])}"
                    for c, r in pick.items()}
        lines.append(f"Hold-up: ex ante the option is {describe['ex_ante_choice']}; "
                     f"anticipating the hold-up Russia chooses: {describe['holdup_choice']}")
    if "dependence" in results.tables:
        d = results.tables["dependence"]
        cols = {"value": d["lever"].iloc[0], "mean_dependence_volume": "share of exports",
                "mean_price": "price", "mean_pressure": "pressure",
                "mean_pressure_pct": "pressure %", "npv_transferred": "NPV USD bn"}
        lines += [f"Dependence curve (means {d['mean_from_year'].iloc[0]:.0f}-"
                  f"{d['mean_to_year'].iloc[0]:.0f}):",
                  d[list(cols)].rename(columns=cols).round(3).to_string(index=False)]
    return "\n".join(lines)


class _reported:
    """Turn errors into one line and an exit code, unless debugging; `interrupted` is the
    line for Ctrl-C or SIGTERM."""

    def __init__(self, debug: bool,
                 interrupted: str = "stopped, no partial results left"):
        self.debug = debug
        self.interrupted = interrupted

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind, error, tb) -> None:
        if error is None or self.debug or isinstance(error, SystemExit | typer.Exit
                                                      | BrokenPipeError):  # main() ends it
            return
        if isinstance(error, KeyboardInterrupt):
            name = "SIGINT"
            if isinstance(error, Interrupted):  # the command line's handler: report once
                interrupts.ignore()
                name = str(error)
            typer.echo(f"interrupted by {name}: {self.interrupted}", err=True)
            raise typer.Exit(getattr(error, "code", 130))
        code = 2 if isinstance(error, InputError) else 3 if isinstance(error, SolveError) else 1
        if isinstance(error, EnergyModelError):
            typer.echo(f"error: {error}", err=True)
        else:
            first = (str(error).strip().splitlines() or [""])[0]
            typer.echo(f"internal error: {type(error).__name__}: {first} "
                       "(run with --debug for the traceback)", err=True)
        raise typer.Exit(code)


def _closed_pipe() -> NoReturn:
    """End quietly when stdout's reader has gone: exit 141 (128 + SIGPIPE, as a shell reports
    a writer whose pipe closed), with stdout on /dev/null so the final flush cannot fail."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    raise SystemExit(141) from None


def main() -> None:
    """The command line: one line and exit code 2 for a wrong command, option or argument
    (click's usage box is several lines)."""
    pd.set_option("display.width", 120)
    progress.enable()
    solver.silence_banner()
    try:
        code = app(prog_name="energymodel", standalone_mode=False)
        sys.stdout.flush()  # a reader that closed the pipe shows here, not at exit
    except BrokenPipeError:  # `energymodel ... | head`: the reader has what it wanted
        _closed_pipe()
    except SystemExit as done:  # typer ends a closed pipe with an exit 1 of its own
        if isinstance(done.__context__, BrokenPipeError):
            _closed_pipe()
        raise
    except UsageError as error:
        command = error.ctx.command_path if error.ctx else "energymodel"
        if error.format_message():  # empty: no arguments, the help was printed
            typer.echo(f"error: {command}: {error.format_message()} (see {command} --help)",
                       err=True)
        raise SystemExit(2) from None
    except typer.Abort as abort:  # click turns a KeyboardInterrupt outside a command into this
        stop = abort.__cause__ or abort.__context__
        if isinstance(stop, Interrupted):  # SIGINT or SIGTERM while click parsed the command
            raise stop from None  # __main__ reports it: one line, exit 128 + its number
        raise SystemExit(130) from None
    except typer.Exit as done:
        raise SystemExit(done.exit_code) from None
    raise SystemExit(code if isinstance(code, int) else 0)


class _SweepGroup(TyperGroup):
    """`energymodel sweep SWEEP.yaml` runs the sweep: a first argument that is not a
    subcommand is the sweep file of `run`."""

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


sweep_app = typer.Typer(cls=_SweepGroup, no_args_is_help=True,
                        help="Sensitivity sweeps: run (the default) and analyze.")
app.add_typer(sweep_app, name="sweep")
SweepArg = Annotated[Path, typer.Argument(help="sweep YAML file", show_default=False)]


@sweep_app.command("run")
def sweep_run(
    spec: SweepArg,
    out: Annotated[Path | None, typer.Option(
        "--out", help="results folder [default: results/sweeps/<sweep name>]",
        show_default=False)] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="worker processes [default: one per core]",
        show_default=False)] = None,
    executor: Annotated[str, typer.Option(
        "--executor", help="inline (this process), processes or dask")] = "processes",
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Dask scheduler address, tcp://HOST:PORT (implies dask)",
        show_default=False)] = None,
    csv: Annotated[bool, typer.Option("--csv", help="also write results.csv")] = False,
    show: Annotated[bool, typer.Option("--progress/--no-progress",
                                       help="live progress bar")] = True,
    debug: DebugOpt = False,
) -> None:
    """Run a sweep: solve every point not yet solved, then write results.parquet."""
    from energymodel.sweeps import executors, run

    stopped = ("sweep stopped: its finished points are kept; run the same command again to "
               "solve the rest")
    with _reported(debug, interrupted=stopped):
        plan = run.plan(spec)
        ex = executors.executor(executor, workers, scheduler)
        done = run.execute(plan, ex, out, show, csv)
        for note in done.notes:
            typer.echo(f"note: {note}", err=True)
        stats, table = done.stats, done.table
        rate = stats["solved"] / stats["seconds"] if stats["seconds"] > 0 else float("nan")
        typer.echo(f"Sweep {plan.spec.name}: {stats['points']} points "
                   f"({plan.spec.design.method}, seed {plan.spec.design.seed}); solved "
                   f"{stats['solved']} now ({stats['failed']} failed), "
                   f"{stats['already_done']} already done; {rate:.2f} points/s on "
                   f"{ex.workers} worker(s)")
        failed = table[table["status"] != "ok"]
        if len(failed):
            typer.echo(f"{len(failed)} point(s) without a solution, first: point "
                       f"{failed['point'].iloc[0]}: {failed['reason'].iloc[0]}")
        typer.echo(f"Results: {display_path(done.folder)}/ "
                   + (", ".join(p.name for p in done.written) if done.written
                      else "(incomplete)"))


@sweep_app.command("analyze")
def sweep_analyze(
    target: Annotated[Path, typer.Argument(help="sweep YAML file or its results folder",
                                           show_default=False)],
    out: Annotated[Path | None, typer.Option(
        "--out", help="results folder of the sweep, when TARGET is a sweep file",
        show_default=False)] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="inputs shown per output")] = 5,
    debug: DebugOpt = False,
) -> None:
    """Sobol (S1, ST) or Morris (mu*, sigma) indices and a tornado table of a finished
    sweep; printed and written to its analysis/ folder."""
    from energymodel.publish import write_tables
    from energymodel.sweeps import analysis, run, store

    with _reported(debug):
        folder = target if target.is_dir() else (out or run.default_folder(
            run.load_sweep(target)))
        if not folder.is_dir():
            raise InputError(display_path(folder), None, "no such sweep folder: run the "
                             "sweep first")
        with store.SweepFolder(folder, argument="folder"):
            table, manifest = store.Store(folder).finished()
            tables = analysis.analyze(table, manifest)
            (folder / "analysis").mkdir(exist_ok=True)
            written = write_tables(folder / "analysis", tables)
        typer.echo(analysis_text(tables, top))
        typer.echo(f"Written: {display_path(folder / 'analysis')}/ "
                   f"({', '.join(sorted({p.stem for p in written}))}; CSV and parquet)")


def analysis_text(tables: dict[str, pd.DataFrame], top: int) -> str:
    """The indices, top inputs per output, and the tornado swings."""
    lines = []
    for name, key in (("sobol", "ST"), ("morris", "mu_star")):
        if name in tables and len(tables[name]):
            t = tables[name]
            lines.append(f"{name.capitalize()} indices (top {top} inputs per output by {key}):")
            for output, g in t.groupby("output", sort=False):
                shown = g.sort_values(key, ascending=False).head(top)
                lines.append(f"  {output}:")
                lines.append(shown.drop(columns="output").round(3).to_string(index=False))
    t = tables["tornado"]
    if len(t):
        lines.append(f"Tornado ({t['method'].iloc[0]}): largest swing per output")
        t = t[t["swing"] > 0]
        biggest = t.loc[t.groupby("output")["swing"].idxmax(),
                        ["output", "input", "output_low", "output_high", "reference"]]
        lines.append(biggest.round(3).to_string(index=False))
    if len(tables["skipped"]):
        lines.append("Not analysed: " + "; ".join(
            f"{r.output} ({r.reason})" for r in tables["skipped"].itertuples()))
    return "\n".join(lines)


@app.command()
def compare(
    sources: Annotated[list[Path], typer.Argument(
        help="scenario YAML files (solved) or results folders (read)", show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="folder for compare.csv/.parquet")]
    = Path("results/compare"),
    debug: DebugOpt = False,
) -> None:
    """Key outputs of several scenarios side by side; also written as a tidy table."""
    from energymodel import compare as comparison
    from energymodel.safety import CompareFolder

    with _reported(debug):
        with CompareFolder(out, comparison.inputs(sources)) as folder:
            table = comparison.compare(sources)
            folder.replace(lambda tmp: comparison.fill(tmp, table))
        typer.echo(comparison.side_by_side(table).round(3).to_string())
        typer.echo(f"Written: {display_path(out)}/compare.csv (tidy: scenario, source, status, "
                   "reason, output, value)")
        failed = table[table["status"] != "ok"]
        for row in failed.itertuples():
            typer.echo(f"error: {row.source}: {row.scenario}: {row.status}: {row.reason}",
                       err=True)
        if len(failed):
            raise typer.Exit(3)


# --- decide: an investment option as a decision under uncertainty (energymodel/decision.py)

@app.command("decide")
def decide_command(
    scenario: ScenarioArg,
    option: Annotated[str | None, typer.Option(
        "--option", help="investment option to decide [default: the scenario's decision."
        "option, else the largest on the exporter's routes into the buyer market]",
        show_default=False)] = None,
    out: Annotated[Path | None, typer.Option(
        "--out", help="decision folder [default: results/<scenario name>-decision]",
        show_default=False)] = None,
    force: ForceOpt = False,
    debug: DebugOpt = False,
) -> None:
    """An investment option as a decision under the scenario's tree of demand pathways:
    build now, wait for the revelation, or never; national and after-tax views, value of
    waiting, break-even prices, the last decision year that pays."""
    from energymodel import decision

    with _reported(debug):
        s = load_scenario(scenario)
        session = Session()
        decision.tree_of(s, option, session=session)  # a bad tree fails before the folder
        target = out if out is not None else Path("results") / f"{s.name}-decision"
        with results_folder(s, target, force) as folder:
            result = decision.decide(s, option=option, session=session)
            result.write(folder)
        typer.echo(result.text())
        typer.echo(f"Decision: {display_path(folder.path)}/ (payoffs, strategies, branches, "
                   "summary as CSV and parquet; manifest.json)")


if __name__ == "__main__":
    main()
