"""Build a briefing from results folders (and optionally a sweep folder), without re-solving.

Writes into one output folder under the rule of `energymodel.safety.ReportFolder`: a new or
empty folder, or an earlier report (report files only, with our `report.json`), locked and
swapped in whole:
    briefing.html      self-contained: charts as base64 SVG, no scripts, no network
    briefing.pdf       the same document printed to A4 by headless Chromium (page numbers,
                       vector charts); left out with a note if no Chromium is found
    briefing.xlsx      findings, tables per decade, every results table, assumptions,
                       sources, manifest
    charts/*.png|svg   every chart, for slides
    iamc.csv, iamc.xlsx  the results in the IAMC long format
    report.json        what was built, from which inputs, with which version
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import jinja2
import markupsafe
import pandas as pd

from energymodel._version import __version__
from energymodel.errors import InputError, display_path
from energymodel.publish import csv_bytes, json_bytes, publish
from energymodel.report import charts as ch
from energymodel.report.excel import stacked, workbook_bytes
from energymodel.report.findings import (
    BottomLine,
    Finding,
    bottom_line,
    key_findings,
    money_basis_note,
)
from energymodel.report.iamc import to_iamc
from energymodel.report.load import Sweep, read_sweep
from energymodel.report.tables import (
    assumptions,
    data_directory,
    decade_table,
    glance,
    key_assumptions,
    manifest_rows,
    methods,
    sources,
    validation_rows,
)
from energymodel.report.watch import Watch, what_to_watch
from energymodel.results import Results, is_results_folder
from energymodel.safety import ReportFolder
from energymodel.units import MONEY_BASIS

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class Section:
    title: str
    text: str = ""
    charts: list[ch.Chart] = field(default_factory=list)
    tables: list[dict] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    brk: bool = False  # start on a new page when printed
    appendix: bool = False  # after the briefing proper

    @property
    def anchor(self) -> str:
        return "s-" + (re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-") or "x")


def build_report(folders: Sequence[str | Path], out: str | Path,
                 progress: Callable[[str], None] = lambda line: None,
                 pdf: bool = True) -> Path:
    """Build the briefing from results folders (and at most one sweep folder) into `out`."""
    clock = _Clock(progress)
    runs, sweep = _read(folders)
    clock.stage(f"read {len(runs)} results folder(s)" + (" and a sweep" if sweep else ""))
    inputs = [r.folder for r in runs if r.folder] + ([sweep.folder] if sweep else [])
    with ReportFolder(out, protect=inputs) as folder:
        folder.replace(lambda tmp: _write(tmp, runs, sweep, clock, pdf))
    target = Path(out)
    clock.stage(f"report in {display_path(target)}/", total=True)
    return target


def _write(tmp: Path, runs: list[Results], sweep: Sweep | None, clock: _Clock, pdf: bool) -> None:
    """Every file of the briefing into the empty folder `tmp`."""
    (tmp / "charts").mkdir()
    findings = key_findings(runs)
    answer = bottom_line(runs, sweep)
    watch = what_to_watch(runs, sweep)
    sections, notes, charts = _sections(runs, sweep)
    clock.stage(f"computed {len(findings)} key findings, drew {len(charts)} charts")
    rendered = _save_charts(charts, tmp / "charts")
    clock.stage(f"saved {len(charts)} charts as PNG and SVG")
    files = ["briefing.html", "briefing.pdf", "briefing.xlsx", "iamc.csv", "iamc.xlsx",
             "charts/"]
    html = _html(runs, answer, watch, findings, sections, notes, rendered, files)
    publish(tmp / "briefing.html", html)
    clock.stage("wrote briefing.html")
    made_pdf = None
    if pdf:
        browser = find_browser()
        if browser is None:
            clock.stage("no Chromium found (install the Debian package chromium, or set "
                        "ENERGYMODEL_BROWSER): briefing.pdf left out")
        else:
            try:
                publish(tmp / "briefing.pdf", print_pdf(browser, tmp / "briefing.html"))
                made_pdf = "briefing.pdf"
                clock.stage("printed briefing.pdf (A4)")
            except (OSError, RuntimeError, subprocess.TimeoutExpired) as error:
                notes.append(f"briefing.pdf left out: {error}")
                clock.stage(f"briefing.pdf left out: {error}")
    iamc = pd.concat([to_iamc(r) for r in runs], ignore_index=True)
    publish(tmp / "iamc.csv", csv_bytes(iamc))
    publish(tmp / "iamc.xlsx", workbook_bytes({"data": iamc}))
    publish(tmp / "briefing.xlsx", workbook_bytes(_workbook(runs, answer, findings, sweep)))
    clock.stage("wrote briefing.xlsx, iamc.csv and iamc.xlsx")
    made = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if p.is_file())
    publish(tmp / "report.json", json_bytes({
        "energymodel": __version__, "date": report_date(),
        "inputs": [{"scenario": r.name, "folder": display_path(r.folder) if r.folder
                    else None, "scenario_sha256": r.manifest.get("scenario", {})
                    .get("sha256")} for r in runs],
        "sweep": display_path(sweep.folder) if sweep else None,
        "pdf": made_pdf, "files": made, "notes": notes}))


class _Clock:
    def __init__(self, progress: Callable[[str], None]):
        self.progress, self.start, self.last = progress, time.perf_counter(), time.perf_counter()

    def stage(self, what: str, total: bool = False) -> None:
        now = time.perf_counter()
        seconds = now - (self.start if total else self.last)
        self.last = now
        self.progress(f"{what} ({seconds:.1f} s{' in all' if total else ''})")


def report_date() -> str:
    """Today (UTC), or the date of SOURCE_DATE_EPOCH for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), UTC).date().isoformat()
    return date.today().isoformat()


def _read(folders: Sequence[str | Path]) -> tuple[list[Results], Sweep | None]:
    runs, sweeps = [], []
    for folder in map(Path, folders):
        sweep = None if is_results_folder(folder) or not folder.is_dir() else read_sweep(folder)
        if sweep is not None and sweep.tables:
            sweeps.append(sweep)
        else:
            runs.append(Results.read(folder))  # or the one-line reason it is not a results folder
    if not runs:
        raise InputError("report", None, "give at least one results folder")
    if len(sweeps) > 1:
        raise InputError(display_path(sweeps[1].folder), None, "give at most one sweep folder")
    return runs, (sweeps[0] if sweeps else None)


def _frame(frame: pd.DataFrame, title: str, note: str = "", cls: str = "") -> dict:
    return {"frame": frame, "title": title, "note": note, "cls": cls}


def _sections(runs: list[Results], sweep: Sweep | None) -> tuple[list[Section], list[str],
                                                             list[ch.Chart]]:
    """The briefing's sections after page one, their charts, and notes on what is left
    out."""
    notes: list[str] = []
    sections: list[Section] = []
    every: list[ch.Chart] = []
    with ch.house_style():
        scale = ch.scale_for(runs)
        described = Section("Scenarios", text="What each scenario assumes, in its own words.")
        described.tables.append(_frame(pd.DataFrame(
            {"scenario": [r.name for r in runs],
             "description": [r.scenario.description or "" for r in runs]}), ""))
        sections.append(described)
        if len(runs) > 1:
            made = [ch.compare_npv(runs), ch.compare_revenue(runs, scale)]
            every += made
            sections.append(Section("Scenarios compared", charts=made,
                                    text="Charts share their scale across scenarios."))
        for run in runs:
            made = ch.run_charts(run, scale, ch.bands_for(run, sweep))
            every += made
            section = Section(f"Scenario {run.name}", charts=made, brk=True)
            if "pressure" not in run.tables:
                section.notes.append(f"{run.name} has no buyer-power market: the price and "
                                     "price-pressure charts are left out.")
            if "leverage" not in run.tables and "pressure" in run.tables:
                section.notes.append(f"{run.name} has no leverage table (energymodel "
                                     "leverage): the decomposition chart is left out.")
            section.tables.append(_frame(decade_table(run), "Key outputs per decade",
                                         note=f"Money in {MONEY_BASIS} (real)."))
            sections.append(section)
        sensitivity = _sweep_section(sweep, every, notes, runs[0])
        if sensitivity is not None:
            sections.append(sensitivity)
    sections += _assumptions_and_methods(runs)
    sections += _appendix(runs)
    if sweep is None:
        ranged = "p50" in runs[0].summary
        notes.append("No sweep folder given: the sensitivity section (tornado, Sobol) is left "
                     "out" + ("; the ranges come from the scenario's uncertainty study."
                              if ranged else " and so are the ranges."))
    notes += [n for s in sections for n in s.notes if s.title.startswith("Scenario ")]
    return sections, notes, every


def _sweep_section(sweep: Sweep | None, every: list[ch.Chart], notes: list[str],
                   run: Results) -> Section | None:
    if sweep is None:
        return None
    made = ch.tornado(sweep, run=run) + ch.sobol(sweep, run=run)
    every += made
    shown = {c.output for c in made if c.output}
    section = Section("Sensitivity", text=f"From the sweep in {sweep.folder.name}"
                      + (f" ({len(sweep.tables['points'])} points)." if "points" in
                         sweep.tables else ".") + " Every table in full in briefing.xlsx.",
                      charts=made, brk=True)
    section.notes += list(dict.fromkeys(c.caveat for c in made if c.caveat))
    for kind, t in sweep.tables.items():
        if kind == "points":
            continue
        output = ch.output_column(t)
        if shown and output and kind != "skipped":
            t = t[t[output].astype(str).isin(shown)]
        t = _sweep_table(t, kind, sweep, run)
        title = ("Outputs not analysed" if kind == "skipped" else f"{kind.capitalize()} table"
                 + (" (the outputs charted)" if shown else ""))
        section.tables.append(_frame(t, title, cls="small"))
    if "tornado" in sweep.tables and ch.tornado_columns(sweep.tables["tornado"]) is None:
        section.notes.append("The tornado table's columns were not recognised (input, "
                             "low, high): shown as a table only.")
    if not made and not section.tables:
        notes.append(f"The sweep folder {sweep.folder.name} has no tornado, Sobol or Morris "
                     "table: the sensitivity section is left out.")
        return None
    return section


SWEEP_SHOWN = {"tornado": ("input", "output", "input_low", "input_high", "reference",
                           "effect_low", "effect_high"),
               "sobol": ("input", "output", "S1", "S1_conf", "ST", "ST_conf"),
               "morris": ("input", "output", "mu_star", "mu_star_conf", "sigma")}


def _sweep_table(t: pd.DataFrame, kind: str, sweep: Sweep, run: Results) -> pd.DataFrame:
    """A sweep table as the briefing shows it: its key columns (all of them in the
    workbook), inputs and outputs in plain words, numbers rounded."""
    keep = [c for c in SWEEP_SHOWN.get(kind, ()) if c in t.columns]
    if len(keep) >= 3:
        t = t[keep]
    t = t.copy()
    if "input" in t.columns:
        t["input"] = [ch.input_name(str(v), sweep, run) for v in t["input"]]
    if "output" in t.columns:
        t["output"] = [f"{ch.output_name(str(v))} [{ch.output_unit(str(v))}]"
                       for v in t["output"]]
    return t.round(3)


def _assumptions_and_methods(runs: list[Results]) -> list[Section]:
    """Key assumptions (with numbers), methods and the validation result, per scenario."""
    section = Section("Key assumptions and methods", brk=True,
                      text=money_basis_note())
    for run in runs:
        label = f" — {run.name}" if len(runs) > 1 else ""
        section.tables.append(_frame(key_assumptions(run), f"Key assumptions{label}"))
        section.tables.append(_frame(methods(run), f"Methods{label}"))
        checked = validation_rows(run)
        if checked is not None:
            section.tables.append(_frame(checked, f"Validation against observed values"
                                         f"{label}", note="Observed values are nominal USD "
                                         "of their year.", cls="small"))
    return [section]


def _appendix(runs: list[Results]) -> list[Section]:
    section = Section("Appendix A: scenario settings and data sources", brk=True,
                      appendix=True)
    for run in runs:
        section.tables.append(_frame(assumptions(run), f"Scenario {run.name}"))
    seen = set()
    for run in runs:
        directory, note = data_directory(run)
        key = str(directory.resolve()) if directory else note
        if key in seen:
            continue
        seen.add(key)
        if directory is None:
            section.notes.append(f"{run.name}: {note}.")
            continue
        section.tables.append(_frame(sources(directory), "Data sources (basis: S seen in the "
                                     "source, R recalled, E engineer's estimate; confidence "
                                     "H/M/L)", note=note, cls="small sources"))
    manifest = Section("Appendix B: results manifest", text="What a reader needs to reproduce "
                       "each run: the scenario and data hashes, package and solver versions, "
                       "solver status (timings in briefing.xlsx).", brk=True, appendix=True)
    for run in runs:
        rows = manifest_rows(run)
        rows = rows[~rows["key"].str.startswith("timings_s")]
        manifest.tables.append(_frame(rows, f"Scenario {run.name}", cls="small manifest"))
    return [section, manifest]


def _save_charts(charts: list[ch.Chart], folder: Path) -> dict[int, dict]:
    """Write each chart as PNG and SVG under a file-safe, unique name; return, by chart id,
    the SVG (base64), file name and size for the HTML."""
    rendered, used = {}, set()
    for chart in charts:
        base = re.sub(r"[^A-Za-z0-9_-]+", "-", chart.name).strip("-")[:80] or "chart"
        name, i = base, 1
        while name in used:
            name, i = f"{base}-{i}", i + 1
        used.add(name)
        svg, png = io.BytesIO(), io.BytesIO()
        with ch.house_style():  # its SVG id salt and PNG resolution
            chart.figure.savefig(svg, format="svg", metadata={"Date": None})
            chart.figure.savefig(png, format="png", metadata={"Software": None})
        publish(folder / f"{name}.png", png.getvalue())
        publish(folder / f"{name}.svg", svg.getvalue())
        w, h = chart.figure.get_size_inches() * 96
        rendered[id(chart)] = {"name": name, "title": chart.title, "caveat": chart.caveat,
                               "svg": base64.b64encode(svg.getvalue()).decode("ascii"),
                               "width": round(w), "height": round(h)}
    return rendered


def vintage(runs: list[Results]) -> str:
    """The data directory, its hash and the latest source date of its values."""
    parts = []
    for run in runs[:1]:
        directory, _ = data_directory(run)
        d = run.manifest.get("data", {})
        latest = ""
        if directory is not None:
            dates = sources(directory)["date"].astype(str)
            dates = dates[dates.str.match(r"^\d{4}")]
            latest = f", sources dated up to {dates.max()}" if len(dates) else ""
        parts.append(f"{d.get('directory', '?')} (sha256 {str(d.get('sha256', '?'))[:12]}"
                     f"{latest})")
    return "; ".join(parts)


def _html(runs: list[Results], answer: BottomLine, watch: list[Watch],
          findings: list[Finding], sections: list[Section], notes: list[str],
          rendered: dict[int, dict], files: list[str]) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             finalize=without_bidi)
    env.filters["num"] = _number
    names = " vs ".join(r.name for r in runs)
    context = {
        "title": f"Russian gas exports to {runs[0].years[-1]}: {names}",
        "short_title": f"energymodel briefing · {report_date()}",
        "version": __version__, "date": report_date(), "vintage": vintage(runs),
        "runs": runs, "answer": answer, "watch": watch, "findings": findings,
        "notes": notes, "files": files, "money": money_basis_note(),
        "money_basis": MONEY_BASIS, "smallest_pt": ch.SMALLEST,
        "glance": glance(runs),
        "sections": [{"title": s.title, "anchor": s.anchor, "text": s.text,
                      "tables": s.tables, "notes": s.notes, "break": s.brk,
                      "appendix": s.appendix,
                      "charts": [rendered[id(c)] for c in s.charts]}
                     for s in sections],
    }
    return env.get_template("briefing.html.j2").render(context)


BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def without_bidi(value: object) -> object:
    """Text with its bidirectional controls removed (they could make a name or a number
    read backwards in the briefing); other values unchanged. Every value the template
    prints passes here; markup already escaped (a macro's output) stays markup."""
    if isinstance(value, markupsafe.Markup):
        return markupsafe.Markup(BIDI.sub("", str(value)))
    return BIDI.sub("", value) if isinstance(value, str) else value


def _number(v: float) -> str:
    if pd.isna(v):
        return ""
    if isinstance(v, int) or (float(v).is_integer() and abs(v) >= 1000):
        return f"{int(v)}" if 1900 <= abs(v) <= 2200 else f"{v:,.0f}"
    return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.1f}"


def _workbook(runs: list[Results], answer: BottomLine, findings: list[Finding],
              sweep: Sweep | None) -> dict[str, pd.DataFrame]:
    rows: list[dict[str, object]] = [{"key": "bottom_line", "finding": answer.text,
                                      "value": None, "unit": None}]
    for f in findings:
        for k, v in (f.values.items() or [(None, None)]):
            rows.append({"key": f.key, "finding": f.text, "number": k, "value": v,
                         "unit": finding_unit(k)})
    sheets = {
        "findings": pd.DataFrame(rows, columns=["key", "finding", "number", "value", "unit"]),
        "at_a_glance": glance(runs),
        "per_decade": stacked({r.name: decade_table(r) for r in runs}),
        "key_assumptions": stacked({r.name: key_assumptions(r) for r in runs}),
    }
    names = dict.fromkeys(n for r in runs for n in r.tables)
    for name in names:
        sheets[name] = stacked({r.name: r.tables[name] for r in runs if name in r.tables})
    sheets["assumptions"] = stacked({r.name: assumptions(r) for r in runs})
    directory, note = data_directory(runs[0])
    sheets["sources"] = (sources(directory) if directory is not None
                         else pd.DataFrame({"note": [note]}))
    sheets["manifest"] = stacked({r.name: manifest_rows(r) for r in runs})
    for kind, table in (sweep.tables.items() if sweep else []):
        output = ch.output_column(table)
        if output is not None and kind != "skipped":
            table = table.assign(unit=[ch.output_unit(str(v)) for v in table[output]])
        elif kind == "points":
            table = table.copy()
            table.columns = [f"{c} [{ch.output_unit(str(c))}]" if ch.output_unit(str(c))
                             != "unit of the output" else str(c) for c in table.columns]
        sheets[f"sweep_{kind}"] = table
    return sheets


def finding_unit(key: str | None) -> str | None:
    """The unit of a number a finding quotes, from its name."""
    if key is None:
        return None
    if key.endswith("_year") or key == "peak_year":
        return "year"
    if key.startswith("years_"):
        return "years"
    if "pressure" in key:
        return f"{MONEY_BASIS}/MMBtu"
    if key.startswith(("npv_", "cumulative_")):
        return f"billion {MONEY_BASIS}"
    if "revenue" in key:
        return f"billion {MONEY_BASIS}/yr"
    return None


def find_browser() -> str | None:
    """Headless Chromium: $ENERGYMODEL_BROWSER, or the first of BROWSERS on the PATH."""
    named = os.environ.get("ENERGYMODEL_BROWSER")
    if named:
        return named if Path(named).is_file() else None
    return next((found for b in BROWSERS if (found := shutil.which(b))), None)


def print_pdf(browser: str, html: Path, timeout: float = 120) -> bytes:
    """An HTML file printed to PDF by headless Chromium (A4 and page numbers from the page's
    CSS; no browser header or footer; a throwaway profile; no network). Chromium writes into
    the throwaway folder; a PDF without its end-of-file mark (a full disk) is no PDF."""
    with tempfile.TemporaryDirectory(prefix="energymodel-chromium-") as profile:
        pdf = Path(profile) / "briefing.pdf"
        command = [browser, *chromium_flags(str(Path(profile) / "profile")),
                   "--no-pdf-header-footer", "--generate-pdf-document-outline",
                   f"--print-to-pdf={pdf}", html.resolve().as_uri()]
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              check=False)
        content = pdf.read_bytes() if pdf.is_file() else b""
    if not (content.startswith(b"%PDF") and b"%%EOF" in content[-1024:]):
        first = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise RuntimeError(f"Chromium did not print the PDF: {first}")
    return content


def chromium_flags(profile: str) -> list[str]:
    """Headless Chromium with no sandbox (containers), GPU, sync or background network."""
    return ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run",
            "--disable-dev-shm-usage", f"--user-data-dir={profile}"]
