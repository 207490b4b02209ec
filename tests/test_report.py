"""Briefing reports: key-finding numbers recomputed from the results tables, the PDF, the
Excel workbook read back, IAMC, escaping, missing inputs, sweep tables, the CLI."""

from __future__ import annotations

import json
import re
import shutil
import textwrap

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
        # one window (2030-2060) for both; years weighted by volume x period length
        "mean_pressure": float(np.average(w["pressure_usd_per_mmbtu"], weights=w[
            "volume_bcm_per_y"] * np.minimum(step, end - w["year"].to_numpy() + 1))),
        "npv_transferred": float((w["pressure_usd_per_mmbtu"] * w["volume_bcm_per_y"] * K
                                  * weights[w.index]).sum()),
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
    assert "sensitivity section (tornado, Sobol) is left out and so are the ranges" in html


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
    assert "Bottom line" in pages[0] and "Key findings" in " ".join(pages[:2])
    outline = [getattr(o, "title", "") for o in reader.outline if not isinstance(o, list)]
    nested = [getattr(o, "title", "") for o in reader.outline if isinstance(o, list)
              for o in o]
    assert any("Key assumptions and methods" in t for t in outline + nested)  # PDF outline
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
                                               frame[column].to_numpy(float), rtol=1e-12,
                                               atol=1e-9)  # rounded to 9 decimals
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
    assert "sensitivity section (tornado, Sobol) is left out and so are the ranges" in html


@pytest.mark.slow
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
    plain = {textwrap.fill(charts.input_name(i), 26, max_lines=2): i for i in inputs}
    assert "markets.china.beta" not in plain  # plain names, no raw ids
    by_input = effects.set_index("input").loc[[plain[t.get_text()] for t in
                                               ax.get_yticklabels()]]
    y_low, y_high = [b.get_y() for b in low], [b.get_y() for b in high]
    assert all(h > lo + 0.3 for lo, h in zip(y_low, y_high, strict=True))  # side by side
    np.testing.assert_allclose([b.get_width() for b in low], by_input["effect_low"])
    np.testing.assert_allclose([b.get_width() for b in high], by_input["effect_high"])
    assert "[billion USD_2025]" in ax.get_xlabel() and "reference\n540" in ax.get_xlabel()

    (sweep / "analysis" / "tornado.parquet").unlink()
    pd.DataFrame({"factor": inputs, "a": [1, 2, 3]}).to_csv(sweep / "analysis" / "tornado.csv",
                                                           index=False)
    out = build_report([folders["baseline"], sweep], tmp_path / "r", pdf=False)
    assert "columns were not recognised" in (out / "briefing.html").read_text()


@pytest.mark.slow
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


# Issue 16: page one is the answer; charts state their findings; what to watch -------------


def _copy(folder, to, summary=None, tables=None):
    """A results folder copied, its summary rows replaced/added and extra tables written (as
    the issue-15 tables will be: parquet and CSV)."""
    shutil.copytree(folder, to)
    if summary is not None:
        summary.to_parquet(to / "summary.parquet")
    for name, table in (tables or {}).items():
        table.to_parquet(to / f"{name}.parquet")
        table.to_csv(to / f"{name}.csv", index=False)
    return Results.read(to)


LEVERAGE = pd.DataFrame({
    "driver": ["europe_closed", "capital_sunk", "alternatives", "decarbonisation", "total"],
    "name": ["Europe's closure", "Sunk pipelines", "China's alternatives",
             "Decarbonisation pathway", "Total"],
    "price_effect_usd_per_mmbtu": [-0.05, -0.62, -0.31, 0.08, -0.90],
    "npv_to_buyer_usd_bn": [2.0, 30.0, 15.0, -4.0, 43.0],
    "explanation": ["closed", "sunk", "rivals", "demand", "the sum of the drivers"]})


def _sweep_folder(root, name="baseline", n=40, seed=1):
    """A sweep folder as `energymodel sweep` writes it: points with outputs, a manifest."""
    rng = np.random.default_rng(seed)
    folder = root / f"sweep_{name}"
    folder.mkdir()
    points = pd.DataFrame({
        "point": range(n), "status": "ok", "china.price_cap": rng.uniform(0.8, 1.2, n),
        "npv_export_revenue": rng.normal(500, 40, n), "npv_transferred": rng.normal(50, 30, n),
        "mean_pressure": rng.normal(1.0, 0.8, n), "price_china": rng.normal(6.0, 0.5, n),
        **{f"export_revenue_{d}s": rng.normal(40, 5, n) for d in (2020, 2030, 2040, 2050)}})
    points.to_parquet(folder / "results.parquet")
    (folder / "manifest.json").write_text(json.dumps({"scenario": {"name": name},
                                                      "design": {"method": "sobol", "n": 8}}))
    return folder, points


def test_bottom_line_shows_ranges_when_a_sweep_is_given(folders, tmp_path):
    from energymodel.report.findings import bottom_line
    run = Results.read(folders["baseline"])
    plain = bottom_line([run])
    assert "range" not in plain.text and plain.words <= 120
    sweep_dir, points = _sweep_folder(tmp_path)
    answer = bottom_line([run], read_sweep(sweep_dir))
    low, high = np.quantile(points["npv_export_revenue"], [0.1, 0.9])
    assert f"10–90% range {low:,.0f} to {high:,.0f}" in answer.text
    low, high = np.quantile(points["npv_transferred"], [0.1, 0.9])
    assert f"10–90% range {low:,.0f} to {high:,.0f}" in answer.text
    assert f"in {(points['mean_pressure'] > 0).mean():.0%} of cases" in answer.text
    assert answer.words <= 120
    out = build_report([folders["baseline"], sweep_dir], tmp_path / "r", pdf=False)
    page = (out / "briefing.html").read_text()
    first = page[page.index('id="bottom-line"'):page.index("</section>")]
    assert "10–90% range" in first and "USD_2025" in page[:page.index('id="bottom-line"')]
    # a sweep of another scenario gives this run no range
    other, _ = _sweep_folder(tmp_path, name="china_net_zero")
    assert "range" not in bottom_line([run], read_sweep(other)).text


def test_bottom_line_reads_the_uncertainty_study_and_windows_from_the_summary(folders,
                                                                               tmp_path):
    """Issue 15's summary columns p10/p50/p90, prob_pressure_positive and the window rows
    are used where present."""
    from energymodel.report.findings import bottom_line
    base = Results.read(folders["baseline"]).summary
    base = base[~base["metric"].isin(["revenue_window_end", "profit_window_end",
                                      "buyer_majority_year"])]
    summary = pd.concat([base, pd.DataFrame({
        "metric": ["prob_pressure_positive", "revenue_window_end", "profit_window_end",
                   "buyer_majority_year"], "value": [0.64, 2048.0, float("nan"), 2036.0],
        "unit": ["share", "year", "year", "year"]})], ignore_index=True)
    summary["p10"], summary["p50"], summary["p90"] = np.nan, np.nan, np.nan
    summary.loc[summary["metric"] == "npv_export_revenue", ["p10", "p50", "p90"]] = \
        [401.0, 450.0, 512.0]
    run = _copy(folders["baseline"], tmp_path / "u", summary=summary)
    text = bottom_line([run]).text
    assert "10–90% range 401 to 512" in text and "in 64% of cases" in text
    assert "export revenue falls below half its peak in 2048" in text
    assert "export profit stays above half its peak through 2060" in text
    assert "half of its export volume" in text and "2036" in text


def test_leverage_sentence_and_waterfall(folders, tmp_path):
    from energymodel.report.findings import bottom_line, leverage_sentence
    run = _copy(folders["baseline"], tmp_path / "l", tables={"leverage": LEVERAGE})
    sentence = leverage_sentence(run)
    assert sentence.startswith("Of China's price advantage of 0.90 USD/MMBtu")
    assert "0.62 comes from sunk pipelines and 0.31 from China's alternatives" in sentence
    assert "works the other way (-0.08)" in sentence
    assert sentence in bottom_line([run]).text
    with charts.house_style():
        chart = charts.leverage_waterfall(run)
    assert "69%" in chart.title and "0.90" in chart.title  # 0.62 / 0.90
    ax = chart.figure.axes[0]
    bars = ax.patches
    np.testing.assert_allclose([b.get_width() for b in bars[:-1]],
                               sorted(LEVERAGE["price_effect_usd_per_mmbtu"][:-1],
                                      key=abs, reverse=True))
    assert bars[-1].get_width() == pytest.approx(-0.90)
    ends = [b.get_x() + b.get_width() for b in bars[:-1]]
    assert ends[-1] == pytest.approx(-0.90)  # the steps add up to the total
    assert charts.leverage_waterfall(Results.read(folders["baseline"])) is None


def test_every_chart_title_states_a_number_from_the_results(folders, tmp_path):
    run = _copy(folders["baseline"], tmp_path / "l", tables={"leverage": LEVERAGE})
    hard = Results.read(folders["china_hard_bargain"])
    sweep_dir, _ = _sweep_folder(tmp_path)
    with charts.house_style():
        scale = charts.scale_for([run, hard])
        made = (charts.run_charts(run, scale, charts.bands_for(run, read_sweep(sweep_dir)))
                + charts.run_charts(hard, scale)
                + [charts.compare_npv([run, hard]), charts.compare_revenue([run, hard], scale)])
    assert len(made) == 13
    for chart in made:
        assert re.search(r"\d", chart.title), chart.title
        for text in chart.figure.findobj(lambda a: hasattr(a, "get_fontsize")):
            if getattr(text, "get_text", lambda: "")():
                assert text.get_fontsize() >= charts.SMALLEST, (chart.name, text.get_text())
    n = numbers(run)
    by = {c.name: c for c in made}
    assert f"in {n['buyer_overtakes_year']}" in by["revenue_baseline"].title
    assert f"{n['mean_pressure']:.2f} USD/MMBtu" in by["price_baseline"].title
    assert f"from {n['buyer_majority_year']}" in by["volumes_baseline"].title
    diff = run.value("npv_export_revenue") - hard.value("npv_export_revenue")
    assert f"USD {diff:.0f} bn more than under china_hard_bargain" in by["compare_npv"].title
    # the same y-scale for both scenarios; areas and prices from zero
    for kind in ("revenue", "volumes", "price"):
        a, b = (by[f"{kind}_{r}"].figure.axes[0].get_ylim() for r in ("baseline",
                                                                      "china_hard_bargain"))
        assert a == b and a[0] == 0, kind
    # the sweep's 10-90% band on the revenue and price charts
    assert any("10–90% range" in t.get_text() for t in
               by["revenue_baseline"].figure.axes[0].get_legend().get_texts())
    assert any("10–90% range" in t.get_text() for t in
               by["price_baseline"].figure.axes[0].get_legend().get_texts())
    # routes closed by policy are named, not drawn empty
    utilisation = by["utilisation_baseline"]
    drawn = {a.get_title().replace("\n", " ") for a in utilisation.figure.axes if a.get_visible()}
    assert "Nord Stream 1" not in drawn and "closed by policy" in utilisation.title
    assert any("Closed by policy throughout" in t.get_text() for t in utilisation.figure.texts)


def test_what_to_watch_fires_on_negative_pressure_and_is_silent_without(folders, tmp_path):
    from energymodel.report.watch import what_to_watch
    zero = Results.read(em.solve(five_year(SCENARIOS / "china_net_zero.yaml")).write(
        tmp_path / "net_zero"))
    negative = zero.pressure[zero.pressure["pressure_usd_per_mmbtu"] < -0.01]
    assert len(negative)  # the 5-year net-zero run has negative-pressure years
    found = [w for w in what_to_watch([zero]) if w.key == "negative_pressure"]
    assert len(found) == 1
    assert f"{negative['year'].min()}–{negative['year'].max()}" in found[0].text
    assert f"{-negative['pressure_usd_per_mmbtu'].min():.2f} USD/MMBtu" in found[0].text
    base = Results.read(folders["baseline"])
    assert (base.pressure["pressure_usd_per_mmbtu"] >= -0.01).all()
    assert not [w for w in what_to_watch([base]) if w.key == "negative_pressure"]
    both = what_to_watch([base, Results.read(folders["china_hard_bargain"])])
    assert any(w.key == "unmoved" and "Export volumes are the same" in w.text for w in both)
    assert any(w.key == "observed" and "6.95" in w.text for w in both)  # hard bargain 2025
    out = build_report([tmp_path / "net_zero"], tmp_path / "r", pdf=False)
    assert 'id="what-to-watch"' in (out / "briefing.html").read_text()


def test_wording_follows_the_sign(folders, tmp_path):
    """A run where the buyer's power does not bind never says 'gains USD -10 bn'."""
    from energymodel.report.findings import bottom_line
    summary = Results.read(folders["baseline"]).summary.copy()
    summary.loc[summary["metric"] == "npv_transferred", "value"] = -10.3
    summary.loc[summary["metric"] == "mean_pressure", "value"] = -0.2
    run = _copy(folders["baseline"], tmp_path / "s", summary=summary)
    texts = [f.text for f in key_findings([run])] + [bottom_line([run]).text]
    assert not any("USD -" in t for t in texts)
    assert any("from Russia to China" not in t and "from China to Russia" in t
               for t in texts)
    assert "pays 0.20 USD/MMBtu above the competitive price" in bottom_line([run]).text


def test_iamc_money_units_and_no_domestic_import_price(two):
    iamc = pd.read_csv(two / "iamc.csv")
    money = iamc[iamc["variable"].str.startswith(("Revenue", "Profit", "Price"))]
    assert money["unit"].str.contains("USD_2025").all()
    assert not iamc["unit"].str.contains(r"US\$").any()
    imports = iamc[iamc["variable"].str.startswith("Price|Gas|Import")]
    assert "Russia" not in set(imports["region"])  # the domestic price is no import


def test_iamc_reads_back_into_pyam(two):
    pyam = pytest.importorskip("pyam", reason="pyam-iamc is not installed (it pins pandas "
                                              "< 3; install it in its own environment)")
    frame = pyam.IamDataFrame(str(two / "iamc.csv"))
    assert set(frame.scenario) == {"baseline", "china_hard_bargain"}
    assert "billion USD_2025/yr" in set(frame.unit)


def test_excel_numbers_are_numbers_and_rounded(two):
    sheets = pd.read_excel(two / "briefing.xlsx", sheet_name=None)
    rate = sheets["assumptions"]
    value = rate[rate["item"] == "discount rate (real, per year)"]["value"]
    assert value.map(lambda v: isinstance(v, float)).all() and (value == 0.08).all()
    manifest = sheets["manifest"]
    hashes = manifest[manifest["key"] == "solver.objective_usd_bn"]["value"]
    assert hashes.map(lambda v: isinstance(v, float)).all()
    for name, sheet in sheets.items():
        for column in sheet.columns:
            values = pd.to_numeric(sheet[column], errors="coerce").dropna().to_numpy(float)
            np.testing.assert_array_equal(values, np.round(values, 9), err_msg=name)
    findings = sheets["findings"]
    assert findings["unit"].notna().sum() >= 5 and "billion USD_2025" in set(findings["unit"])
