"""The bad-input corpus (tests/bad_inputs/) and the bad inputs too large or too strange to
store: each exits with code 2 and one line naming file, field and reason, prints no
traceback, writes nothing and leaves every existing file byte-identical."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from energymodel import data
from energymodel.cli import app

from .conftest import DATA, ROOT, SCENARIOS

CORPUS = Path(__file__).parent / "bad_inputs"
BASELINE = SCENARIOS / "baseline.yaml"
CASES = sorted(CORPUS.glob("*.yaml"))


def snapshot(*roots: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() if p.is_file() and not p.is_symlink() else b"<other>"
            for root in roots for p in sorted(root.rglob("*"))}


def expected(case: Path) -> list[str]:
    first = case.read_bytes().split(b"\n", 1)[0].decode()
    assert first.startswith("# expect: "), case
    return [part.strip() for part in first.removeprefix("# expect: ").split("|")]


def check(code: int, stderr: str, *parts: str) -> None:
    assert code == 2, stderr
    assert stderr.count("\n") == 1 and stderr.startswith("error: "), stderr
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr
    for part in parts:
        assert part in stderr, f"{part!r} not in {stderr!r}"


def cli(tmp_path: Path, scenario: Path, command: str) -> tuple[int, str]:
    """Exit code and stderr of `energymodel COMMAND SCENARIO [--out tmp/out]`; the test's
    folder must be byte-identical afterwards."""
    out = ["--out", str(tmp_path / "out")] if command == "run" else []
    before = snapshot(tmp_path)
    result = CliRunner().invoke(app, [command, str(scenario), *out])
    assert snapshot(tmp_path) == before
    return result.exit_code, result.stderr


@pytest.fixture
def unchanged():
    """Asserts, after the test, that the shipped inputs and the corpus are as they were."""
    roots = (DATA, SCENARIOS, CORPUS)
    before = snapshot(*roots)
    yield
    assert snapshot(*roots) == before


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_corpus(tmp_path, unchanged, case, command):
    check(*cli(tmp_path, case, command), case.name, *expected(case))


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_file_over_the_size_limit(tmp_path, unchanged):
    """The 6.5 MB file of 85,000 overrides of the issue: refused on its size."""
    lines = [f"extends: {BASELINE}", "overrides:"] + [
        f"  - {{entity: power_of_siberia_1, parameter: capacity, year: {2025 + i % 30}, "
        f"value: {30 + i % 10}}}" for i in range(85_000)]
    big = write(tmp_path / "big.yaml", "\n".join(lines))
    check(*cli(tmp_path, big, "validate"), "big.yaml", "more than the limit of 1,000,000")


def test_too_many_values_and_too_many_overrides(tmp_path, unchanged):
    rows = [f"  - {{entity: power_of_siberia_1, parameter: capacity, value: {i % 50}}}"
            for i in range(12_000)]
    many = write(tmp_path / "many.yaml", "\n".join([f"extends: {BASELINE}", "overrides:",
                                                  *rows]))
    check(*cli(tmp_path, many, "validate"), "many.yaml", "84,005 YAML values",
          "more than the limit of 50,000")
    some = write(tmp_path / "some.yaml", "\n".join([f"extends: {BASELINE}", "overrides:",
                                                  *rows[:2001]]))
    check(*cli(tmp_path, some, "validate"), "some.yaml", "overrides",
          "List should have at most 2000 items")


def test_deeply_nested_yaml(tmp_path, unchanged):
    deep = write(tmp_path / "deep.yaml", f"extends: {BASELINE}\ndescription: "
                 + "[" * 20_000 + "]" * 20_000 + "\n")
    check(*cli(tmp_path, deep, "validate"), "deep.yaml")


@pytest.mark.parametrize("target", ["/dev/zero", "/dev/urandom", "folder"])
def test_scenario_that_is_not_a_regular_file(tmp_path, unchanged, target):
    link = tmp_path / "link.yaml"
    if target == "folder":
        (tmp_path / "folder").mkdir()
        target = tmp_path / "folder"
    link.symlink_to(target)
    check(*cli(tmp_path, link, "validate"), "link.yaml", "scenario file is not a regular file")


def broken_data(tmp_path: Path, file: str, old: bytes | None = None,
                new: bytes | None = None) -> Path:
    """A scenario on a copy of the data with one replacement in one file."""
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy)
    if old is not None:
        path = copy / file
        content = path.read_bytes()
        assert old in content
        path.write_bytes(content.replace(old, new, 1))
    return write(tmp_path / "bad.yaml", f"extends: {BASELINE}\ndata_dir: {copy}\n")


@pytest.mark.parametrize(("file", "old", "new", "parts"), [
    ("values/routes.csv", b"blue_stream,capacity,,2019,16,", b"blue_stream,capacity,,2019,1e308,",
     ["data/values/routes.csv", "entity=blue_stream", "1e+308 bcm/y is above 5000"]),
    ("values/routes.csv", b"blue_stream,capacity,,2019,16,", b"blue_stream,capacity,,99999,16,",
     ["entity=blue_stream", "year", "99999 is outside the years 1900-2200"]),
    ("values/routes.csv", b"blue_stream,capacity,,2019,16,", b"blue_stream,capacity,,2019,-inf,",
     ["entity=blue_stream", "'-inf' is not a finite number"]),
    ("values/routes.csv", b"blue_stream,capacity,,2019,16,", b"blue_stream,capacity,,2019,16\xe9,",
     ["data/values/routes.csv", "line ", "not UTF-8 text (byte 0xe9)"]),
    ("policies.csv", b"eu_phaseout_2027,nord_stream_1,availability,2026,",
     b"eu_phaseout_2027,nord_stream_1,availability,1e9,", ["from_year", "outside the years"]),
])
def test_broken_data_files(tmp_path, unchanged, file, old, new, parts):
    check(*cli(tmp_path, broken_data(tmp_path, file, old, new), "run"), *parts)


def test_non_utf8_line_is_the_right_one(tmp_path, unchanged):
    scenario = broken_data(tmp_path, "")
    path = tmp_path / "data" / "values" / "routes.csv"
    lines = path.read_bytes().split(b"\n")
    lines[6] += b"\xff"
    path.write_bytes(b"\n".join(lines))
    check(*cli(tmp_path, scenario, "validate"), "routes.csv: line 7: not UTF-8")


@pytest.mark.parametrize("target", ["/dev/zero", "folder"])
def test_data_file_that_is_not_a_regular_file(tmp_path, unchanged, target):
    scenario = broken_data(tmp_path, "")
    path = tmp_path / "data" / "values" / "routes.csv"
    path.unlink()
    path.symlink_to(target if target != "folder" else tmp_path)
    check(*cli(tmp_path, scenario, "validate"), "routes.csv", "data file is not a regular file")


def test_data_file_over_the_size_limit(tmp_path, unchanged, monkeypatch):
    largest = max((DATA.rglob("*.csv")), key=lambda p: p.stat().st_size)
    limit = largest.stat().st_size - 1
    monkeypatch.setattr(data, "MAX_FILE_BYTES", limit)
    check(*cli(tmp_path, broken_data(tmp_path, ""), "validate"), largest.name,
          f"more than the limit of {limit:,}")


@pytest.mark.parametrize("case", ["billion_laughs", "non_utf8", "duplicate_key"])
def test_the_real_command(tmp_path, unchanged, case):
    """The installed command (signal handling, imports and all) answers the same; the
    time to reject is printed for the report."""
    command = Path(sys.executable).with_name("energymodel")
    started = time.monotonic()
    done = subprocess.run([str(command), "run", str(CORPUS / f"{case}.yaml"), "--out",
                           str(tmp_path / "out")], capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, "COLUMNS": "200"})
    print(f"{case}: rejected in {time.monotonic() - started:.2f} s")
    check(done.returncode, done.stderr, *expected(CORPUS / f"{case}.yaml"))
    assert done.stdout == "" and list(tmp_path.iterdir()) == []
