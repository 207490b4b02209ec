"""The damaged-folder corpus: each kind of damage to each folder a command reads or writes
(a results folder read by `report` and `compare`; an earlier results, report or compare
folder written again; a sweep folder resumed or analysed) ends in one line naming the file,
exit code 2 and no file changed; a user's file in any folder the program writes survives
every command byte for byte; `compare` keeps one column per source."""

from __future__ import annotations

import json
import math
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from energymodel.cli import app
from energymodel.sweeps import sweep

from .conftest import EXAMPLES
from .test_output_safety import snapshot

MINE = b"my notes,\r\n=1+1\n"  # a user's file, results-like in name


def cli(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def refused(code: int, err: str, *parts: str) -> None:
    """Exit 2 and one error line (after the report's progress lines, if any)."""
    assert code == 2, err
    err = "".join(line for line in err.splitlines(keepends=True)
                  if not line.startswith("report ["))
    assert err.count("\n") == 1 and err.startswith("error: "), err
    assert "internal error" not in err and "Traceback" not in err, err
    for part in parts:
        assert part in err, f"{part!r} not in {err!r}"


def edit_json(**changes):
    """Change keys of a JSON file (and drop its checksum, to reach the checks behind it)."""
    def spoil(path: Path) -> None:
        content = {**json.loads(path.read_text()), **changes}
        content.pop("sha256", None)
        path.write_text(json.dumps(content))
    return spoil


def edit_table(change):
    def spoil(path: Path) -> None:
        table = pd.read_parquet(path)
        new = change(table)
        (new if isinstance(new, pd.DataFrame) else table).to_parquet(path)
    return spoil


def set_column(column, value):
    def change(table: pd.DataFrame) -> None:
        table[column] = value
    return change


# damage: (file, how it is spoiled)
DAMAGE = {
    "manifest not JSON": ("manifest.json", lambda p: p.write_text("{not json")),
    "manifest truncated": ("manifest.json", lambda p: p.write_bytes(p.read_bytes()[:40])),
    "manifest a list": ("manifest.json", lambda p: p.write_text("[1, 2]")),
    "manifest solver text": ("manifest.json", edit_json(solver="optimal")),
    "scenario not JSON": ("scenario.json", lambda p: p.write_text("{")),
    "scenario not UTF-8": ("scenario.json", lambda p: p.write_bytes(b"\xff\xfe{}")),
    "scenario horizon text": ("scenario.json", edit_json(horizon="soon")),
    "scenario step zero": ("scenario.json", edit_json(horizon={"start_year": 2025,
                                                               "end_year": 2025, "step": 0})),
    "scenario rate text": ("scenario.json", edit_json(discount_rate="high")),
    "flows not parquet": ("flows.parquet", lambda p: p.write_text("route,year\nx,2025\n")),
    "flows truncated": ("flows.parquet", lambda p: p.write_bytes(p.read_bytes()[:300])),
    "flows corrupt": ("flows.parquet", lambda p: p.write_bytes(b"PAR1" + b"\0" * 64 + b"PAR1")),
    "flows column missing": ("flows.parquet", edit_table(lambda t: t.pop("revenue_usd_bn"))),
    "flows text in numbers": ("flows.parquet", edit_table(set_column("revenue_usd_bn", "x"))),
    "flows NaN": ("flows.parquet", edit_table(set_column("flow_bcm_per_y", math.nan))),
    "flows infinite": ("flows.parquet", edit_table(set_column("profit_usd_bn", math.inf))),
    "markets column renamed": ("markets.parquet", edit_table(
        lambda t: t.rename(columns={"market": "mkt"}))),
    "basins text in numbers": ("basins.parquet", edit_table(
        set_column("production_bcm_per_y", "lots"))),
    "summary missing": ("summary.parquet", lambda p: p.unlink()),
}


@pytest.mark.parametrize("command", ["report", "compare"])
@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_results_folder_is_named_in_one_line(tmp_path, textbook, command, damage):
    folder = tmp_path / "competitive"
    shutil.copytree(textbook / "competitive", folder)
    name, spoil = DAMAGE[damage]
    spoil(folder / name)
    before = snapshot(tmp_path)
    extra = ["--no-pdf"] if command == "report" else []
    code, _, err = cli(command, folder, "--out", tmp_path / "out", *extra)
    refused(code, err, name if name != "manifest.json" or damage != "manifest a list"
            else "manifest.json")
    assert snapshot(tmp_path) == before


def test_mathtext_and_bidi_in_user_text_are_plain_text(tmp_path, textbook):
    """A description with mathtext and bidi controls is shown as plain text; a name no
    scenario file could carry is refused in one line (scenario.json is validated like a
    scenario file)."""
    folder = tmp_path / "odd"
    shutil.copytree(textbook / "competitive", folder)
    edit_json(description="odd $\\frac{1}{0}$ a \u202edesrever\u202c b")(
        folder / "scenario.json")
    code, _, err = cli("report", folder, "--out", tmp_path / "out", "--no-pdf")
    assert code == 0, err
    html = (tmp_path / "out" / "briefing.html").read_text()
    assert "\u202e" not in html and "desrever" in html and "$\\frac{1}{0}$" in html
    edit_json(name="odd_$\\frac{1}{0}$")(folder / "scenario.json")
    code, _, err = cli("report", folder, "--out", tmp_path / "out2", "--no-pdf")
    refused(code, err, "scenario.json")
    assert "name" in err


# An earlier output folder written again: what it holds decides (safety.ResultsFolder).
def run_into(out: Path, *extra: str) -> tuple[int, str, str]:
    return cli("run", EXAMPLES / "competitive.yaml", "--out", out, *extra)


def link_inside(out: Path) -> None:
    (out / "elsewhere.csv").symlink_to(out.parent / "target.csv")


def folder_inside(out: Path) -> None:
    (out / "drafts").mkdir()
    (out / "drafts" / "a.txt").write_bytes(MINE)


def escaping_listing(out: Path) -> None:
    edit_json(files=["../target.csv"])(out / "manifest.json")


def unreadable_marker(out: Path) -> None:
    (out / "manifest.json").write_text("{")


def listing_without(out: Path) -> None:
    """The user's own stranded.csv: the manifest does not list it, the new run writes it."""
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["files"].remove("stranded.csv")
    (out / "manifest.json").write_text(json.dumps(manifest))
    (out / "stranded.csv").write_bytes(MINE)


@pytest.mark.parametrize(("spoil", "parts"), [
    (link_inside, ["holds a symbolic link 'elsewhere.csv'"]),
    (folder_inside, ["holds the folder 'drafts'"]),
    (escaping_listing, ["no manifest.json of ours", "--force"]),
    (unreadable_marker, ["no manifest.json of ours"]),
    (listing_without, ["holds 'stranded.csv', which energymodel did not write"]),
])
def test_an_earlier_results_folder_that_is_not_as_written(tmp_path, textbook, spoil, parts):
    out = tmp_path / "out"
    shutil.copytree(textbook / "competitive", out)
    (tmp_path / "target.csv").write_bytes(MINE)
    spoil(out)
    before = snapshot(tmp_path)
    refused(*run_into(out)[::2], *parts)
    assert snapshot(tmp_path) == before


def test_report_and_compare_folders_follow_the_same_rule(tmp_path, textbook):
    """A link or a user's subfolder inside an earlier report or comparison is refused."""
    report, comparison = tmp_path / "report", tmp_path / "cmp"
    assert cli("report", textbook / "competitive", "--out", report, "--no-pdf")[0] == 0
    assert cli("compare", textbook / "competitive", "--out", comparison)[0] == 0
    (report / "charts" / "logo.svg").symlink_to(tmp_path / "nowhere.svg")
    (comparison / "drafts").mkdir()
    before = snapshot(tmp_path)
    refused(*cli("report", textbook / "competitive", "--out", report, "--no-pdf")[::2],
            "holds a symbolic link 'charts/logo.svg'")
    refused(*cli("compare", textbook / "competitive", "--out", comparison)[::2],
            "holds the folder 'drafts'")
    assert snapshot(tmp_path) == before


@pytest.fixture(scope="module")
def spec(tmp_path_factory) -> Path:
    """A four-point sweep of the textbook monopoly (inline, well under a second)."""
    folder = tmp_path_factory.mktemp("spec")
    path = folder / "tiny.yaml"
    path.write_text(yaml.safe_dump({
        "name": "tiny", "scenario": str(EXAMPLES / "monopoly.yaml"),
        "design": {"method": "grid", "levels": 2},
        "inputs": [{"entity": "buyer", "parameter": "intercept", "low": 8, "high": 12},
                   {"entity": "supplier", "parameter": "mc_intercept", "low": 1, "high": 3}],
        "outputs": ["npv_export_revenue", "npv_export_profit"]}))
    return path


@pytest.fixture(scope="module")
def finished(spec, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("finished") / "tiny"
    sweep(spec, "inline", out=out)
    assert cli("sweep", "analyze", out)[0] == 0
    return out


def test_every_folder_keeps_a_users_file(tmp_path, textbook, spec, finished):
    """A user's file in a results, report, compare, sweep, points/ and analysis/ folder
    (and in a report's charts/) survives the command that writes there, byte for byte."""
    results, report, comparison = tmp_path / "results", tmp_path / "report", tmp_path / "cmp"
    swept = tmp_path / "swept"
    shutil.copytree(finished, swept)
    assert run_into(results)[0] == 0
    assert cli("report", textbook / "competitive", "--out", report, "--no-pdf")[0] == 0
    assert cli("compare", textbook / "competitive", "--out", comparison)[0] == 0
    places = [results / "my_notes.csv", report / "my_notes.csv", report / "charts" / "mine.png",
              comparison / "my_notes.csv", swept / "my_notes.csv", swept / "points" / "n.json",
              swept / "analysis" / "my_notes.csv", swept / "points" / "mine.txt"]
    for place in places:
        place.write_bytes(MINE)
    assert run_into(results)[0] == 0
    assert cli("report", textbook / "competitive", "--out", report, "--no-pdf")[0] == 0
    assert cli("compare", textbook / "competitive", "--out", comparison)[0] == 0
    assert cli("sweep", spec, "--out", swept, "--executor", "inline", "--no-progress")[0] == 0
    assert cli("sweep", "analyze", swept)[0] == 0
    assert {str(p): p.read_bytes() for p in places} == {str(p): MINE for p in places}
    assert "charts/mine.png" not in json.loads((report / "report.json").read_text())["files"]


def sweep_into(spec: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    return cli("sweep", spec, "--out", out, "--executor", "inline", "--no-progress", *extra)


def points_link(out: Path, user: Path) -> None:
    shutil.rmtree(out / "points")
    (out / "points").symlink_to(user)


def analysis_link(out: Path, user: Path) -> None:
    shutil.rmtree(out / "analysis", ignore_errors=True)
    (out / "analysis").symlink_to(user)


@pytest.mark.parametrize(("spoil", "file", "reason"), [
    (lambda out, user: (out / "manifest.json").write_text("{"), "manifest.json",
     "not a readable sweep manifest"),
    (lambda out, user: edit_json(kind="other")(out / "manifest.json"), "manifest.json",
     "not the manifest of a sweep"),
    (lambda out, user: edit_json(sweep_sha256="0" * 64)(out / "manifest.json"), "out",
     "holds the results of a different sweep"),
    (points_link, "out", "holds a symbolic link 'points'"),
    (analysis_link, "out", "holds a symbolic link 'analysis'"),
    (lambda out, user: (out / "points" / "000001.json").unlink() or
     (out / "points" / "000001.json").mkdir(), "000001.json", "cannot write"),
])
def test_a_damaged_sweep_folder_on_resume(tmp_path, spec, finished, spoil, file, reason):
    out, user = tmp_path / "out", tmp_path / "user"
    shutil.copytree(finished, out)
    user.mkdir()
    (user / ".000001.json.tmp-0123456789ab").write_bytes(MINE)  # a temporary's name
    spoil(out, user)
    before = snapshot(tmp_path)
    code, _, err = sweep_into(spec, out)
    refused(code, err, file, reason)
    after = snapshot(tmp_path)
    assert {k: v for k, v in after.items() if "000001" not in k or "user" in k} == {
        k: v for k, v in before.items() if "000001" not in k or "user" in k}


@pytest.mark.parametrize(("spoil", "file", "reason"), [
    (lambda out: (out / "points" / "000002.json").unlink(), "points/000002.json",
     "1 of 4 points without a good record"),
    (lambda out: (out / "points" / "000003.json").write_text(
        (out / "points" / "000000.json").read_text()), "points/000003.json", "without a good"),
    (lambda out: (out / "design.parquet").write_bytes(b"garbage"), "design.parquet",
     "not the design the manifest names"),
    (lambda out: edit_table(set_column("buyer.intercept", 9.0))(out / "design.parquet"),
     "design.parquet", "not the design"),
    (lambda out: edit_json(design={"method": "grid"})(out / "manifest.json"), "manifest.json",
     "design: missing or damaged"),
    (lambda out: edit_json(inputs=[{"name": "x", "low": 1}])(out / "manifest.json"),
     "manifest.json", "inputs: missing or damaged"),
    (lambda out: (out / "manifest.json").write_text(
        (out / "manifest.json").read_text().replace('"low": 8', '"low": 7')), "manifest.json",
     "checksum does not match"),
    (lambda out: analysis_link(out, out.parent / "user"), "out",
     "holds a symbolic link 'analysis'"),
])
def test_a_damaged_sweep_folder_on_analyze(tmp_path, finished, spoil, file, reason):
    out = tmp_path / "out"
    shutil.copytree(finished, out)
    (tmp_path / "user").mkdir()
    spoil(out)
    before = snapshot(tmp_path)
    refused(*cli("sweep", "analyze", out)[::2], file, reason)
    assert snapshot(tmp_path) == before


def test_stray_and_duplicate_point_files_give_the_true_table(tmp_path, spec, finished):
    out = tmp_path / "out"
    shutil.copytree(finished, out)
    reference = pd.read_parquet(finished / "results.parquet")
    points = out / "points"
    shutil.copy(points / "000001.json", points / "000009.json")  # not a point of the design
    shutil.copy(points / "000001.json", points / "0000001.json")  # a second name for one
    shutil.copy(points / "000000.json", points / "000002.json")  # another point's record
    code, stdout, err = sweep_into(spec, out)
    assert code == 0, err
    assert "solved 1 now (0 failed), 3 already done" in stdout
    assert "points/000002.json: damaged or not of this design: solved again" in err
    assert "points/0000001.json and 1 more: not a point of this design (4 points)" in err
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), reference)
    assert (points / "000009.json").exists() and (points / "0000001.json").exists()


@pytest.mark.parametrize(("where", "reason"), [
    ("{data}/sweep", "lies inside the input"),
    ("{spec}", "is or holds the input"),
    ("/proc/energymodel_sweep", "cannot write here"),
    ("missing/deeper/out", None),
])
def test_sweep_out_is_claimed_like_run(tmp_path, spec, where, reason, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(spec, tmp_path / "tiny.yaml")
    out = where.format(data=EXAMPLES / "textbook_data", spec=tmp_path / "tiny.yaml")
    before = snapshot(tmp_path)
    code, _, err = cli("sweep", "tiny.yaml", "--out", out, "--executor", "inline",
                       "--scheduler" if reason is None else "--no-progress",
                       *(["tcp:/nowhere"] if reason is None else []))
    refused(code, err, reason or "is not a Dask scheduler address")
    assert snapshot(tmp_path) == before  # no missing/ left behind


@pytest.mark.parametrize(("changes", "parts"), [
    ({"name": ".."}, ["name: String should match pattern"]),
    ({"set": {"horizon": {"step": 5}, "colour": "red"}}, ["set.colour: unknown scenario field"]),
    ({"set": {"horizn": {"step": 5}}}, ["set.horizn", "did you mean 'horizon'"]),
    ({"set": {"horizon": {"step": 7}}}, ["set.horizon.step"]),
])
def test_bad_sweep_fields_in_one_line(tmp_path, spec, changes, parts, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({**yaml.safe_load(spec.read_text()), **changes}))
    refused(*cli("sweep", path, "--executor", "inline")[::2], "bad.yaml", *parts)
    assert sorted(os.listdir(tmp_path)) == ["bad.yaml"]


def test_compare_keeps_a_column_per_source_and_the_failed_scenario(tmp_path, textbook):
    """Two results folders of one scenario name give two columns (never their mean); a
    scenario without a solution keeps its row, with status and reason, in the table."""
    twin = tmp_path / "twin"
    shutil.copytree(textbook / "monopoly", twin)
    edit_json(name="textbook_competitive")(twin / "scenario.json")
    infeasible = tmp_path / "infeasible.yaml"
    infeasible.write_text(f"extends: {EXAMPLES / 'competitive.yaml'}\nname: infeasible\n"
                          "overrides:\n  - {entity: link, parameter: min_flow, year: 2025, "
                          "value: 2000}\n")
    code, stdout, err = cli("compare", textbook / "competitive", twin, infeasible, "--out",
                            tmp_path / "cmp")
    assert code == 3, err
    assert err.count("\n") == 1 and "infeasible: no solution: model is infeasible" in err
    table = pd.read_csv(tmp_path / "cmp" / "compare.csv")
    assert list(table.columns) == ["scenario", "source", "status", "reason", "output", "value"]
    failed = table[table["status"] != "ok"]
    assert list(failed["scenario"]) == ["infeasible"] and failed["value"].isna().all()
    header = stdout.splitlines()[0]
    assert f"textbook_competitive ({textbook / 'competitive'})" in header
    assert f"textbook_competitive ({twin})" in header
    profit = table[table["output"] == "npv_export_profit"].set_index("source")["value"]
    assert profit[str(twin)] != profit[str(textbook / "competitive")]
