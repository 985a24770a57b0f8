"""`trialgraph query` as a person and as a pipe see it: a table that fits 80 columns on a
terminal, CSV when the output is a file or a pipe, pages with their total, and one-line errors.
Runs the real command in a child process, its standard output a pipe.  Expected rows are read by
hand from data/*.yaml."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

from graph.store.local import OxigraphStore

ROOT = Path(__file__).resolve().parents[1]


def trialgraph(*args: str, columns: int = 80) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": str(columns), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "graph", *args], capture_output=True, text=True, env=env, cwd=ROOT, check=False
    )


def test_piped_query_output_is_csv_not_a_cut_table(seed_store: OxigraphStore) -> None:
    """Regression (issue 20): `trialgraph query trials > file` wrote a box table cut at the
    terminal's width."""
    done = trialgraph("query", "trials", "--store", seed_store.location)
    assert done.returncode == 0, done.stderr
    table = list(csv.reader(io.StringIO(done.stdout)))
    assert table[0] == ["trial", "id", "title", "status", "phase", "enrollment", "sponsor"]
    by_id = {row[1]: row for row in table[1:]}
    assert len(by_id) == 5
    # data/nct01849237.yaml, whole: the title is not cut, the trial's IRI is there
    assert by_id["NCT01849237"] == [
        "https://w3id.org/trialgraph/id/trial/NCT01849237",
        "NCT01849237",
        "Russian Clinical Trial of Mesenchymal Cells in Patients With Septic Shock and Severe Neutropenia",
        "UNKNOWN",
        "PHASE1/PHASE2",
        "30",
        "National Research Center for Hematology",
    ]
    assert done.stderr == ""  # every row written: nothing to say


def test_the_table_fits_80_columns_and_shows_ids_and_names(seed_store: OxigraphStore) -> None:
    done = trialgraph("query", "trials", "--store", seed_store.location, "--format", "table")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines and all(len(line) <= 80 for line in lines), done.stdout
    assert lines[0].split() == ["id", "title", "status", "phase", "enrollment", "sponsor"]
    assert "https://" not in done.stdout
    rows = {line.split()[0]: line for line in lines[2:]}
    assert set(rows) == {"NCT01849237", "NCT02849613", "NCT04445454", "NCT07635758", "NL-OMON47582"}
    assert "PHASE1/PHASE2" in rows["NCT01849237"] and "…" in rows["NCT01849237"]  # the title, cut
    assert "not shown: trial" in done.stderr and "5 rows" in done.stderr


def test_columns_bring_back_the_iris(seed_store: OxigraphStore) -> None:
    done = trialgraph(
        "query", "trial-sites", "-p", "id=NCT04445454", "--store", seed_store.location, "--format", "table",
        "--columns", "site,facility",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "https://w3id.org/trialgraph/id/site/" in done.stdout and "CHU de Liège" in done.stdout
    assert "not shown" not in done.stderr


def test_a_page_and_its_place_in_the_whole(seed_store: OxigraphStore) -> None:
    done = trialgraph("query", "trials", "--store", seed_store.location, "--limit", "2", "--offset", "1")
    assert done.returncode == 0, done.stderr
    assert [row[1] for row in csv.reader(io.StringIO(done.stdout))][1:] == ["NCT02849613", "NCT04445454"]
    assert "rows 2-3 of 5" in done.stderr and "--offset 3" in done.stderr


def test_tsv_keeps_every_term(seed_store: OxigraphStore) -> None:
    done = trialgraph("query", "trial-sites", "-p", "id=NCT04445454", "--store", seed_store.location, "--format", "tsv")
    assert done.returncode == 0, done.stderr
    header, row = done.stdout.splitlines()
    assert header.split("\t") == ["?site", "?facility", "?city", "?country", "?status"]
    cells = row.split("\t")
    assert cells[0].startswith("<https://w3id.org/trialgraph/id/site/") and cells[1:4] == [
        '"CHU de Liège"',
        '"Liège"',
        '"BE"',
    ]


def test_query_missing_rq_says_no_such_file(seed_store: OxigraphStore, tmp_path: Path) -> None:
    """Regression (issue 20): a missing file was reported as "no query named"."""
    done = trialgraph("query", str(tmp_path / "missing.rq"), "--store", seed_store.location)
    assert done.returncode == 2
    assert f"{tmp_path / 'missing.rq'}: no such file" in done.stderr and "Traceback" not in done.stderr


def test_negative_limit_is_refused(seed_store: OxigraphStore) -> None:
    """Regression (issue 20): `--limit -1` was accepted."""
    for option in ("--limit", "--offset"):
        done = trialgraph("query", "trials", "--store", seed_store.location, option, "-1")
        assert done.returncode == 2 and option in done.stderr and "Traceback" not in done.stderr


def test_an_unknown_column_is_a_usage_error(seed_store: OxigraphStore) -> None:
    done = trialgraph("query", "trials", "--store", seed_store.location, "--columns", "id,nope")
    assert done.returncode == 2 and "no column nope" in done.stderr
