"""The import summary at the end of a build (by kind, with counts and three example records), its
JSON form, and builds that read nothing (reported per file, exit 2)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from graph.cli import main
from graph.pipeline.summary import ImportSummary

from .conftest import CTGOV_DIR

# -- the summary itself -------------------------------------------------------------------------------


def test_counts_and_three_examples_per_kind() -> None:
    summary = ImportSummary()
    for record in ("NCT1", "NCT2", "NCT2", "NCT3", "NCT4"):
        summary.add("warnings", "UnmappedConditionShape/MinCount", "conditions without MeSH", record)
    summary.add("warnings", "contact-details", "contact details, not ingested", "NCT9")
    assert summary.lines() == [
        "warnings:",
        "  5 conditions without MeSH (NCT1, NCT2, NCT3)",
        "  1 contact details, not ingested (NCT9)",
    ]
    assert summary.as_dict()["warnings"][0] == {
        "kind": "UnmappedConditionShape/MinCount",
        "label": "conditions without MeSH",
        "count": 5,
        "examples": ["NCT1", "NCT2", "NCT3"],
    }
    assert summary.as_dict()["quarantined"] == []


def test_a_plain_text_warning_counts_as_other() -> None:
    summary = ImportSummary()
    summary.warning("a reader that gives no kind", "X1")
    assert [(t.kind, t.count) for t in summary.section("warnings")] == [("other", 1)]


# -- a real build ---------------------------------------------------------------------------------------

#: Copied from ../shared/data/ctgov-v2, with what a reader of each file finds by hand:
#: - NCT00763412.json: conditionsModule.conditions has 2 entries (free text, so without MeSH);
#: - NCT02210780.json: 1 condition; 42 of its locations have no facility name;
#: - NCT02552212.json: 3 conditions; overallOfficials[0].affiliation holds a phone number.
FILES = ("NCT00763412.json", "NCT02210780.json", "NCT02552212.json")


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in FILES:
        shutil.copy(CTGOV_DIR / name, folder)
    return folder


def test_the_build_ends_with_the_summary(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", str(_folder(tmp_path)), "--store", str(tmp_path / "s"), "--quiet"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    start = lines.index("Import summary")
    summary = lines[start:]
    assert (
        "  6 MeSH: The condition has no MeSH id, so searches by a broader condition do not find it "
        "(NCT00763412, NCT02210780, NCT02552212)"
    ) in summary
    assert "  1 records with locations that have no facility name (NCT02210780)" in summary
    assert "  1 contact details (e-mail address, phone number), not ingested (NCT02552212)" in summary
    assert lines[-1].startswith("3 records read: 3 loaded")


def test_json_for_machines(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    (folder / "notes.txt").write_text("not a record")
    result = CliRunner().invoke(
        main, ["build", str(folder), "--store", str(tmp_path / "s"), "--quiet", "--format", "json"]
    )
    assert result.exit_code == 2  # the notes file yields no record
    doc = json.loads(result.stdout)
    assert (doc["records_read"], doc["loaded"], doc["unreadable"], doc["exit_code"]) == (3, 3, 1, 2)
    by_kind = {t["kind"]: t for t in doc["summary"]["warnings"]}
    assert by_kind["UnmappedConditionShape/MinCount"]["count"] == 6
    assert by_kind["contact-details"] == {
        "kind": "contact-details",
        "label": "contact details (e-mail address, phone number), not ingested",
        "count": 1,
        "examples": ["NCT02552212"],
    }
    assert doc["summary"]["unreadable"] == [
        {
            "kind": "not-a-format",
            "label": "files in no format trialgraph reads",
            "count": 1,
            "examples": [str(folder / "notes.txt")],
        }
    ]


# -- builds that read nothing ---------------------------------------------------------------------------


def _build(tmp_path: Path, *paths: Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["build", *map(str, paths), "--store", str(tmp_path / "s"), "--quiet"])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_a_folder_of_unknown_files_is_reported_per_file(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.csv").write_text("nct,title\n")
    (folder / "b.json").write_text('{"title": "notes on the download"}')  # JSON, but no register's record
    code, output = _build(tmp_path, folder)
    assert code == 2
    assert f"{folder / 'a.csv'}: not a format trialgraph reads" in output
    assert f"{folder / 'b.json'}: not a format trialgraph reads" in output
    assert "0 records read" in output


def test_an_empty_folder_and_an_empty_download_are_errors(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    page = tmp_path / "page.json"
    page.write_text('{"studies": []}')
    code, output = _build(tmp_path, empty, page)
    assert code == 2
    assert f"{empty}: holds no file" in output
    assert f"{page}: holds no trial record (ctgov)" in output


def test_a_named_file_of_no_known_format_costs_only_itself(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("x")
    code, output = _build(tmp_path, notes, CTGOV_DIR / "NCT03418623.json")
    assert code == 2
    assert f"{notes}: not a format trialgraph reads" in output
    assert "1 records read: 1 loaded" in output
