"""Output safety: a run replaces only its own earlier results, atomically, one writer at a
time; every other folder is refused with one line (exit 2 / InputError) and left
byte-identical."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

import energymodel as em
from energymodel import safety
from energymodel.cli import app
from energymodel.safety import ResultsFolder

from .conftest import EXAMPLES


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every entry under `root`: file bytes, link targets, folders."""
    out: dict[str, bytes | str] = {}
    for path in sorted(root.rglob("*")):
        key = str(path.relative_to(root))
        if path.is_symlink():
            out[key] = f"-> {os.readlink(path)}"
        elif path.is_dir():
            out[key] = "dir"
        else:
            out[key] = path.read_bytes()
    return out


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A project folder (the working directory) with the textbook example and its data,
    some earlier results, a user's notes and a link to them."""
    root = tmp_path / "project"
    shutil.copytree(EXAMPLES, root / "scenarios")
    (root / "notes").mkdir()
    (root / "notes" / "ideas.txt").write_text("mine\n")
    (root / "link").symlink_to(root / "notes")
    (root / "foreign").mkdir()
    (root / "foreign" / "prices.csv").write_text("year,price\n2025,9\n")
    monkeypatch.chdir(root)
    return root


@pytest.fixture(scope="module")
def solved() -> em.Results:
    return em.solve(EXAMPLES / "competitive.yaml")


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["run", "scenarios/competitive.yaml", *args])
    return result.exit_code, result.stderr


def assert_refused(code: int, err: str, *parts: str) -> None:
    assert code == 2, err
    assert err.count("\n") == 1 and err.startswith("error: ") and "Traceback" not in err, err
    for part in parts:
        assert part in err, f"{part!r} not in {err!r}"


@pytest.mark.parametrize(("out", "force", "parts"), [
    ("scenarios/textbook_data", True, ["--out", "is or holds the input"]),
    ("scenarios/textbook_data/values", True, ["lies inside the input"]),
    ("scenarios", True, ["is or holds the input"]),
    ("scenarios/textbook_data/new_results", False, ["lies inside the input"]),
    ("{cwd}", True, ["is or holds the working directory"]),
    ("..", True, ["needs a folder name"]),
    (".", True, ["needs a folder name"]),
    ("", True, ["needs a folder name"]),
    ("notes/..", True, ["needs a folder name"]),
    ("notes", True, ["holds 'ideas.txt', which is not a results file"]),
    ("notes/", True, ["holds 'ideas.txt'"]),
    ("link", True, ["is a symbolic link"]),
    ("foreign", False, ["not an energymodel results folder", "--force"]),
    ("scenarios/competitive.yaml", True, ["is or holds the input scenarios/competitive.yaml"]),
    ("scenarios/monopoly.yaml", True, ["exists and is not a folder"]),
    ("/proc/energymodel_x", True, ["cannot write here"]),
    ("/sys/energymodel_x", True, ["cannot write here"]),
])
def test_cli_refuses_folders_it_does_not_own(project, out, force, parts):
    before = snapshot(project.parent)
    code, err = cli("--out", out.format(cwd=project), *(["--force"] if force else []))
    assert_refused(code, err, *parts)
    assert snapshot(project.parent) == before


def test_results_folder_holding_other_runs_is_refused(project):
    """A scenario named `.` cannot be loaded; `--out results` (holding other scenarios'
    folders) is refused, as is the folder of one run from inside another."""
    assert cli("--out", "results/a")[0] == 0
    before = snapshot(project)
    assert_refused(*cli("--out", "results", "--force"), "holds 'a'")
    assert snapshot(project) == before


def test_force_replaces_a_folder_of_results_like_files(project):
    code, err = cli("--out", "foreign", "--force")
    assert code == 0, err
    assert not (project / "foreign" / "prices.csv").exists()
    assert json.loads((project / "foreign" / "manifest.json").read_text())["energymodel"]


def test_earlier_results_are_replaced_and_the_users_files_kept(project):
    """Only the files the manifest lists are replaced; a user's file with a results-like
    name survives byte for byte, and the new manifest lists the new files only."""
    assert cli("--out", "out")[0] == 0
    (project / "out" / "summary.csv").write_text("stale\n")
    (project / "out" / "my_notes.csv").write_bytes(b"mine,\r\n=1+1\n")
    assert cli("--out", "out")[0] == 0
    assert (project / "out" / "summary.csv").read_text().startswith("metric,")
    assert (project / "out" / "my_notes.csv").read_bytes() == b"mine,\r\n=1+1\n"
    listed = json.loads((project / "out" / "manifest.json").read_text())["files"]
    assert "my_notes.csv" not in listed and "summary.csv" in listed
    assert sorted(p.name for p in (project / "out").iterdir()) == sorted(
        [*listed, "manifest.json", "my_notes.csv"])
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".")) == []


def test_an_empty_folder_is_used(project):
    (project / "empty").mkdir()
    assert cli("--out", "empty")[0] == 0
    assert (project / "empty" / "manifest.json").exists()


def test_replacement_without_atomic_exchange(project, monkeypatch):
    """Where renameat2 is missing the old folder is renamed aside, then deleted."""
    monkeypatch.setattr(safety, "_exchange", lambda a, b: False)
    assert cli("--out", "out")[0] == 0
    assert cli("--out", "out")[0] == 0
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".")) == []


def test_leftovers_of_a_killed_run_are_removed_and_others_kept(project):
    """Hidden siblings of results files are ours (a run killed mid-write); a hidden sibling
    holding anything else is the user's and stays."""
    for name in (".out.tmp-1-aaaa", ".out.old-1-bbbb"):
        (project / name).mkdir()
        (project / name / "flows.csv").write_text("partial")
    (project / ".out.tmp-2-cccc").mkdir()
    (project / ".out.tmp-2-cccc" / "diary.txt").write_text("mine")
    (project / ".out.lock").write_text("")
    assert cli("--out", "out")[0] == 0
    hidden = sorted(p.name for p in project.iterdir() if p.name.startswith("."))
    assert hidden == [".out.tmp-2-cccc"]


def test_a_second_writer_is_refused_up_front(project):
    with ResultsFolder(project / "out"):
        code, err = cli("--out", "out")
        assert_refused(code, err, "another energymodel run is writing this folder")
    assert not (project / "out").exists()
    assert cli("--out", "out")[0] == 0


def test_a_failed_write_leaves_the_old_results(project, solved, monkeypatch):
    folder = solved.write(project / "out")
    before = snapshot(folder)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("pandas.DataFrame.to_parquet", disk_full)
    with pytest.raises(em.InputError, match="cannot write results: No space left"):
        solved.write(project / "out")
    assert snapshot(folder) == before
    assert sorted(p.name for p in project.iterdir() if p.name.startswith(".")) == []


@pytest.mark.parametrize(("directory", "force", "reason"), [
    ("scenarios/textbook_data", True, "is or holds the input"),
    ("notes", True, "not a results file"),
    ("link", True, "symbolic link"),
    ("foreign", False, "force=True"),
    ("", False, "needs a folder name"),
    ("/proc/energymodel_x", False, "cannot write here"),
    (123, False, "a folder path is needed, not int"),
])
def test_api_write_has_the_same_protection(project, solved, directory, force, reason):
    scenario = em.load_scenario(project / "scenarios" / "competitive.yaml")
    results = em.Results(scenario, solved.tables, solved.manifest)
    before = snapshot(project.parent)
    with pytest.raises(em.InputError, match=reason) as caught:
        results.write(directory, force=force)
    assert caught.value.field == "directory"
    assert snapshot(project.parent) == before


@pytest.mark.parametrize("name", [".", "..", ".hidden", "-rf"])
def test_scenario_names_that_are_not_folder_names(project, name):
    """The default folder is results/<name>; `.` would be results/ itself."""
    (project / "bad.yaml").write_text(f"extends: scenarios/competitive.yaml\nname: '{name}'\n")
    before = snapshot(project)
    result = CliRunner().invoke(app, ["run", "bad.yaml"])
    assert_refused(result.exit_code, result.stderr, "bad.yaml: name: String should match")
    assert snapshot(project) == before
