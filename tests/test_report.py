"""Briefing reports: key-finding numbers recomputed from the results tables, the PDF, the
Excel workbook read back, IAMC, escaping, missing inputs, sweep tables, the CLI."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest
from markupsafe import escape
from typer.testing import CliRunner

import energymodel as em
from energymodel.cli import app
from energymodel.errors import InputError
from energymodel.report import build_report, charts
from energymodel.report.build import find_browser
from energymodel.report.findings import key_findings, numbers
from energymodel.report.load import read_sweep
from energymodel.report.tables import header
from energymodel.results import Results

from .conftest import DATA, HOSTILE, SCENARIOS, five_year

K = 0.0358


def recomputed(folder) -> dict:
    """The key-finding numbers, computed here from the CSV tables independently."""
    flows = pd.read_csv(folder / "flows.csv")
    scenario = json.loads((folder / "scenario.json").read_text())
    step, end = scenario["horizon"]["step"], scenario["horizon"]["end_year"]
    exports = flows[(flows["kind"] != "domestic") & (flows["role"] == "exporter")]
    revenue = exports.groupby("year")["revenue_usd_bn"].sum()
    length = np.minimum(step, end - revenue.index.to_numpy() + 1)
    by = exports.pivot_table(index="year", columns="market", values="revenue_usd_bn",
                             aggfunc="sum").fillna(0)
    volume = exports.pivot_table(index="year", columns="market", values="flow_bcm_per_y",
                                 aggfunc="sum").fillna(0)
    share = volume["china"] / volume.sum(axis=1)
    peak = revenue.idxmax()
    below = [y for y in revenue.index if y > peak and revenue[y] < revenue.max() / 2]
    p = pd.read_csv(folder / "pressure.csv")
    w = p[(p["year"] >= 2030) & (p["year"] <= 2060)]
    weights = pd.Series(
        [sum(1.08 ** -(y + k - 2025) for k in range(min(step, end - y + 1))) for y in p["year"]])
    return {
        "cumulative_export_revenue": float((revenue * length).sum()),
        "npv_export_revenue": float((revenue.to_numpy() * weights.to_numpy()).sum()),
        "buyer_overtakes_year": next((int(y) for y in by.index if by.loc[y, "china"]
                                      > by.drop(columns="china").loc[y].max()), None),
        "peak_year": int(peak),
        "half_peak_year": below[0] if below else None,
        "buyer_majority_year": next((int(y) for y in share.index if share[y] > 0.5), None),
        "mean_pressure": float(np.average(w["pressure_usd_per_mmbtu"],
                                          weights=w["volume_bcm_per_y"])),
        "npv_transferred": float((p["pressure_usd_per_mmbtu"] * p["volume_bcm_per_y"] * K
                                  * weights).sum()),
    }


@pytest.mark.parametrize("name", ["baseline", "china_hard_bargain"])
def test_key_finding_numbers_equal_recomputed(folders, name):
    n = numbers(Results.read(folders[name]))
    for key, value in recomputed(folders[name]).items():
        if value is None or n[key] is None:
            assert value == n[key], key
        else:
            assert n[key] == pytest.approx(value, rel=1e-9, abs=1e-9), key


def test_key_findings_on_the_real_baseline(baseline, tmp_path):
    """The annual baseline: each finding quotes its number as the text shows it."""
    folder = baseline.write(tmp_path / "baseline")
    run = Results.read(folder)
    n, expected = numbers(run), recomputed(folder)
    found = {f.key: f for f in key_findings([run])}
    assert 3 <= len(found) <= 6
    assert n["npv_export_revenue"] == pytest.approx(baseline.npv("export_revenue"))
    assert f"USD {expected['cumulative_export_revenue']:,.0f} bn" in found["revenue"].text
    assert f"USD {expected['npv_export_revenue']:,.0f} bn" in found["revenue"].text
    assert f"{expected['mean_pressure']:.2f} USD/MMBtu" in found["pressure"].text
    assert f"USD {expected['npv_transferred']:,.0f} bn" in found["pressure"].text
    year = expected["buyer_overtakes_year"]
    assert str(year) in found["outlet"].text
    majority = expected["buyer_majority_year"]
    assert f"from {majority}, after {majority - 2025} years" in found["window"].text


def test_comparison_finding(two, folders):
    base, hard = (Results.read(folders[k]) for k in ("baseline", "china_hard_bargain"))
    text = next(f for f in key_findings([base, hard]) if f.key.startswith("compare")).text
    diff = hard.value("npv_export_revenue") - base.value("npv_export_revenue")
    assert diff < 0  # China bargaining harder costs Russia revenue
    assert f"USD {abs(diff):,.0f} bn" in text and "lower" in text


def test_report_files(two):
    report = json.loads((two / "report.json").read_text())
    charts = {p.stem for p in (two / "charts").glob("*.svg")}
    assert charts == {p.stem for p in (two / "charts").glob("*.png")}
    assert {"compare_npv", "compare_revenue", "revenue_baseline", "volumes_baseline",
            "price_baseline", "pressure_dependence_baseline",
            "utilisation_china_hard_bargain"} <= charts
    assert {"briefing.html", "briefing.xlsx", "iamc.csv", "iamc.xlsx"} <= set(report["files"])
    html = (two / "briefing.html").read_text()
    assert "<script" not in html and "http://" not in html and "https://" not in html
    assert html.count('src="data:image/svg+xml;base64,') == len(charts)
    assert "sensitivity section (tornado, Sobol) is left out" in html


def test_pdf_pages_and_findings(two, folders):
    if find_browser() is None:
        pytest.skip("no Chromium installed (apt-get install chromium): no PDF to check")
    pypdf = pytest.importorskip("pypdf")
    reader = pypdf.PdfReader(two / "briefing.pdf")
    pages = [re.sub(r"\s+", " ", p.extract_text()).replace("ﬁ", "fi") for p in reader.pages]
    n = len(pages)
    assert 6 <= n <= 30
    for i, text in enumerate(pages, start=1):
        assert f"page {i} of {n}" in text
    for page in reader.pages:  # A4 portrait in points
        assert float(page.mediabox.width) == pytest.approx(595.3, abs=1)
        assert float(page.mediabox.height) == pytest.approx(841.9, abs=1)
    assert "Key findings" in pages[0]
    runs = [Results.read(folders[k]) for k in ("baseline", "china_hard_bargain")]
    text = " ".join(pages)
    for finding in key_findings(runs):
        assert finding.text in text, finding.text


def test_excel_reads_back_into_the_tables(two, folders):
    sheets = pd.read_excel(two / "briefing.xlsx", sheet_name=None)
    assert {"findings", "per_decade", "assumptions", "sources", "manifest"} <= set(sheets)
    for name, folder in folders.items():
        run = Results.read(folder)
        for table, frame in run.tables.items():
            sheet = sheets[table]
            back = sheet[sheet["scenario"] == name].drop(columns="scenario")
            back = back.rename(columns={header(c): c for c in frame.columns})
            assert list(back.columns) == list(frame.columns)
            for column in frame.columns:  # numbers come back as numbers
                if pd.api.types.is_float_dtype(frame[column]):
                    np.testing.assert_allclose(back[column].to_numpy(float),
                                               frame[column].to_numpy(float), rtol=1e-12)
                else:
                    assert back[column].astype(str).tolist() == frame[column].astype(str).tolist()
    assert "revenue [USD bn]" in sheets["flows"].columns
    cited = sheets["sources"]
    assert all(set(c.split(", ")) <= {"H", "M", "L"} for c in cited["confidence"])
    bibliography = pd.read_csv(DATA / "sources.csv")  # every cited id, with its title
    assert set(cited["source"]) <= set(bibliography["id"])
    assert cited["title"].notna().all() and cited["date"].notna().all()


def test_iamc(two, folders):
    iamc = pd.read_csv(two / "iamc.csv")
    assert list(iamc.columns) == ["model", "scenario", "region", "variable", "unit", "year",
                                  "value"]
    flows = pd.read_csv(folders["baseline"] / "flows.csv")
    china = flows[(flows["market"] == "china") & (flows["role"] == "exporter")].groupby(
        "year")["flow_bcm_per_y"].sum()
    rows = iamc[(iamc["scenario"] == "baseline")
                & (iamc["variable"] == "Trade|Gas|Export|Russia|China")].set_index("year")
    np.testing.assert_allclose(rows["value"], china.reindex(rows.index))
    assert (rows["unit"] == "bcm/yr").all() and (rows["region"] == "Russia").all()
    trade = iamc[iamc["variable"].str.startswith("Trade|Gas|Export|Russia|")
                 & (iamc["scenario"] == "baseline")].groupby("year")["value"].sum()
    total = iamc[(iamc["variable"] == "Trade|Gas|Export|Russia")
                 & (iamc["scenario"] == "baseline")].set_index("year")["value"]
    np.testing.assert_allclose(trade, total.reindex(trade.index))  # outlets add up
    assert not iamc.duplicated(["model", "scenario", "region", "variable", "year"]).any()
    assert pd.read_excel(two / "iamc.xlsx", sheet_name="data").shape == iamc.shape


def test_results_to_iamc_and_plot(baseline):
    iamc = baseline.to_iamc()
    assert "Revenue|Gas|Export|Russia|China" in set(iamc["variable"])
    assert iamc["year"].min() == 2025 and iamc["year"].max() == 2060
    for chart in ("revenue", "volumes", "price", "pressure", "utilisation"):
        figure = getattr(baseline.plot, chart)()
        axes = [a for a in figure.axes if a.get_visible()]
        assert axes and all("[" in (a.get_ylabel() + a.get_xlabel()) or not a.get_ylabel()
                            for a in axes), chart
        assert any("Source: energymodel" in t.get_text() for t in figure.texts), chart


def test_hostile_description_is_text(hostile_report):
    html = (hostile_report / "briefing.html").read_text()
    assert "<script" not in html and "<img src=x" not in html
    assert str(escape(HOSTILE)) in html  # shown as text, in the title block and findings
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html


def test_missing_pressure_and_sweep_leave_notes(folders, tmp_path):
    folder = tmp_path / "no_pressure"
    shutil.copytree(folders["baseline"], folder)
    for suffix in ("csv", "parquet"):
        (folder / f"pressure.{suffix}").unlink()
    out = build_report([folder], tmp_path / "r", pdf=False)
    html = (out / "briefing.html").read_text()
    assert "no buyer-power market: the price and price-pressure charts are left out" in html
    assert not list((out / "charts").glob("price_*"))
    assert "sensitivity section (tornado, Sobol) is left out" in html


def test_sweep_tables_render_by_what_they_hold(folders, tmp_path):
    """A sweep folder laid out as `energymodel sweep` writes it (results.parquet, analysis/
    with tornado, sobol and skipped tables): tornado and Sobol charts from their columns;
    a tornado table with unknown columns is shown as a table only."""
    sweep = tmp_path / "sweep"
    (sweep / "analysis").mkdir(parents=True)
    inputs = ["markets.china.beta", "discount_rate", "pos2_pipeline.capex"]
    pd.DataFrame({"point": range(4), "status": "ok", "npv_export_revenue": [1.0, 2, 3, 4]}
                 ).to_parquet(sweep / "results.parquet")
    (sweep / "manifest.json").write_text("{}")
    reference = 540.0
    effects = pd.DataFrame({"input": inputs, "output": "npv_export_revenue",
                            "input_low": [0.1, 0.05, 15], "input_high": [0.9, 0.12, 40],
                            "reference": reference, "effect_low": [30.0, 55.0, -2.0],
                            "effect_high": [-40.0, -45.0, 1.0]})
    effects = effects.assign(output_low=reference + effects["effect_low"],
                             output_high=reference + effects["effect_high"],
                             swing=(effects["effect_high"] - effects["effect_low"]).abs(),
                             method="one at a time")
    effects.to_parquet(sweep / "analysis" / "tornado.parquet")
    pd.DataFrame({"output": "npv_export_revenue", "input": inputs, "S1": [0.5, 0.3, 0.01],
                  "S1_conf": [0.05, 0.04, 0.01], "ST": [0.6, 0.35, 0.02],
                  "ST_conf": [0.06, 0.05, 0.01]}).to_csv(sweep / "analysis" / "sobol.csv",
                                                         index=False)
    pd.DataFrame({"output": ["mean_pressure"], "reason": ["constant over the sweep"]}
                 ).to_parquet(sweep / "analysis" / "skipped.parquet")
    out = build_report([folders["baseline"], sweep], tmp_path / "r", pdf=False)
    charts_made = {p.stem for p in (out / "charts").glob("*.svg")}
    assert {"tornado_npv_export_revenue", "sobol_npv_export_revenue"} <= charts_made
    html = (out / "briefing.html").read_text()
    assert "Sensitivity" in html and "(4 points)" in html and "Outputs not analysed" in html
    workbook = pd.read_excel(out / "briefing.xlsx", sheet_name=None)
    assert {"sweep_tornado", "sweep_sobol", "sweep_points"} <= set(workbook)

    with charts.house_style():
        ax = charts.tornado(read_sweep(sweep))[0].figure.axes[0]
    low, high = ax.containers  # bars in order of the swing, smallest first
    by_input = effects.set_index("input").loc[[t.get_text() for t in ax.get_yticklabels()]]
    np.testing.assert_allclose([b.get_width() for b in low], by_input["effect_low"])
    np.testing.assert_allclose([b.get_width() for b in high], by_input["effect_high"])
    assert "[USD bn]" in ax.get_xlabel()

    (sweep / "analysis" / "tornado.parquet").unlink()
    pd.DataFrame({"factor": inputs, "a": [1, 2, 3]}).to_csv(sweep / "analysis" / "tornado.csv",
                                                           index=False)
    out = build_report([folders["baseline"], sweep], tmp_path / "r", pdf=False)
    assert "columns were not recognised" in (out / "briefing.html").read_text()


def test_out_replaced_only_if_a_report_and_rebuilt_alike(folders, tmp_path):
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "keep.txt").write_text("mine")
    with pytest.raises(InputError, match="not a report folder"):
        build_report([folders["baseline"]], mine, pdf=False)
    assert (mine / "keep.txt").read_text() == "mine"
    out = build_report([folders["baseline"]], tmp_path / "r", pdf=False)
    first = {p.name: p.read_bytes() for p in [out / "briefing.html", out / "iamc.csv",
                                               *(out / "charts").glob("*")]}
    (out / "briefing.html").write_text("old")
    assert build_report([folders["baseline"]], out, pdf=False) == out  # its own: replaced
    again = {p.name: p.read_bytes() for p in [out / "briefing.html", out / "iamc.csv",
                                               *(out / "charts").glob("*")]}
    assert again == first  # the same results give the same files, byte for byte


def test_cli_report(folders, tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["report", str(folders["baseline"]),
                                 str(folders["china_hard_bargain"]), "--out",
                                 str(tmp_path / "cli"), "--no-pdf"])
    assert result.exit_code == 0, result.output
    assert "report [1] read 2 results folder(s)" in result.output
    assert (tmp_path / "cli" / "briefing.html").is_file()
    bad = runner.invoke(app, ["report", str(tmp_path / "missing"), "--out",
                              str(tmp_path / "x")])
    assert bad.exit_code == 2 and "no such results folder" in bad.output
    assert not (tmp_path / "x").exists()


def test_pressure_chart_uses_the_dependence_curve(tmp_path):
    """With a dependence table the chart draws the curve over the lever, else yearly points."""
    s = five_year(SCENARIOS / "dependence_europe.yaml")
    s = s.updated(dependence={**s.dependence.model_dump(), "values": [0.0, 1.0]})
    run = Results.read(em.solve(s).write(tmp_path / "dependence"))
    d = run.tables["dependence"]
    with charts.house_style():
        ax = charts.pressure_dependence(run).figure.axes[0]
    assert "europe openness" in ax.get_xlabel()
    x, y = ax.lines[0].get_data()
    order = np.argsort(d["mean_dependence_volume"].to_numpy())
    np.testing.assert_allclose(x, d["mean_dependence_volume"].to_numpy()[order])
    np.testing.assert_allclose(y, d["mean_pressure"].to_numpy()[order])
    assert d["mean_dependence_volume"].iloc[0] > d["mean_dependence_volume"].iloc[1]  # Europe
    # open -> Russia depends less on China


def test_cli_run_with_report(tmp_path, monkeypatch):
    """`energymodel run SCENARIO --report` solves, writes the results and briefs them in
    reports/<scenario name> (relative to the working folder)."""
    scenario = tmp_path / "quick.yaml"
    scenario.write_text(f"name: quick\nextends: {SCENARIOS / 'baseline.yaml'}\n"
                        "horizon: {start_year: 2025, end_year: 2060, step: 5}\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["run", str(scenario), "--out", "results/quick",
                                      "--report", "--point"])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "reports" / "quick" / "report.json").read_text())
    assert report["inputs"][0]["folder"] == "results/quick"
    assert report["inputs"][0]["scenario"] == "quick"


def test_a_failing_browser_leaves_the_pdf_out_with_a_note(folders, tmp_path, monkeypatch):
    fake = tmp_path / "browser"
    fake.write_text("#!/bin/sh\necho 'no display' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setenv("ENERGYMODEL_BROWSER", str(fake))
    lines = []
    out = build_report([folders["baseline"]], tmp_path / "r", progress=lines.append)
    assert not (out / "briefing.pdf").exists() and (out / "briefing.html").is_file()
    assert any("briefing.pdf left out: Chromium did not print the PDF: no display" in line
               for line in lines)
    assert json.loads((out / "report.json").read_text())["pdf"] is None
