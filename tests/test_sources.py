"""Sources that stand alone: every `source` cell of the data names bibliography ids
(data/sources.csv), checked on load; nothing cites a file outside the repository."""

from __future__ import annotations

import re
import subprocess

import pytest
from typer.testing import CliRunner

import energymodel as em
from energymodel.cli import app
from energymodel.data import load_dataset, source_ids

from .conftest import DATA, EXAMPLES, ROOT, SCENARIOS
from .test_bad_input import assert_one_line, corrupted_data, extending_baseline, run


def test_every_source_cell_names_known_ids():
    data = load_dataset(DATA)
    for table in (data.values, data.policies, data.history):
        for text in table["source"]:
            ids = source_ids(text)
            assert ids and set(ids) <= set(data.sources.index), text
    for directory in (EXAMPLES / "textbook_data", EXAMPLES / "bargaining_data"):
        load_dataset(directory)


def test_count_of_values_with_a_primary_source():
    counts = load_dataset(DATA).source_counts
    assert counts["values"] == counts["with_primary_source"] + counts["project_estimate_only"]
    data = load_dataset(DATA)
    assert counts["values"] == len(data.values) + len(data.policies) + len(data.history)
    assert counts["with_primary_source"] >= 0.6 * counts["values"]
    manifest = em.solve(SCENARIOS / "examples" / "competitive.yaml").manifest
    result = CliRunner().invoke(app, ["validate", str(SCENARIOS / "baseline.yaml")])
    assert f"sources: {counts['with_primary_source']} of {counts['values']} data values cite " \
           "a publication (data/sources.csv)" in result.stdout
    # the textbook data are the project's own, and overridden values are the scenario's
    assert manifest["data"]["sources"] == {"values": 7, "with_primary_source": 0,
                                           "project_estimate_only": 7}


def test_unknown_source_id_is_one_line_naming_file_row_and_id(tmp_path):
    data = corrupted_data(tmp_path, "values/routes.csv",
                          "blue_stream,capacity,,2019,16,bcm/y,15,16,R,M,gazprom_projects,",
                          "blue_stream,capacity,,2019,16,bcm/y,15,16,R,M,gazprom_projects; "
                          "no_such_report,")
    code, err = run(tmp_path, extending_baseline(tmp_path, data_dir=data))
    assert code == 2
    assert_one_line(err, "data/values/routes.csv", "line", "entity=blue_stream",
                    "source", "unknown source id 'no_such_report'")
    with pytest.raises(em.InputError, match=r"line [0-9]+ .*unknown source id 'no_such_report'"):
        load_dataset(data)


@pytest.mark.parametrize(("old", "new", "parts"), [
    ("eia_brent,statistics,", "eia_brent,blog,", ["sources.csv", "kind", "'blog'"]),
    ("ecb_fx,statistics,European Central Bank,", "eia_brent,statistics,European Central Bank,",
     ["sources.csv", "id", "'eia_brent' is listed twice"]),
])
def test_bad_bibliography(tmp_path, old, new, parts):
    data = corrupted_data(tmp_path, "sources.csv", old, new)
    code, err = run(tmp_path, extending_baseline(tmp_path, data_dir=data))
    assert code == 2
    assert_one_line(err, *parts)


def test_no_file_outside_the_repository_is_cited():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    pattern = re.compile(r"(FACTS|DESIGN)\.md")
    citing = [name for name in tracked if name != "tests/test_sources.py"
              and (ROOT / name).is_file() and pattern.search((ROOT / name).read_text(
                  errors="ignore"))]
    assert not citing, citing
