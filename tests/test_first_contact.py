"""What a new user does first (issue 20): the main job, the store, the default paths, the
organisation aliases that travel with the data, and the ranges of the options.

Expected values are read by hand from the seed files in ``data/``: ``nl-omon47582.yaml`` names its
sponsor "niversitair Medisch Centrum Utrecht" (line 25, the truncated spelling the register
shows), and ``data/organizations.yaml`` lists that spelling as an alias of "University Medical
Center Utrecht".
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import graph
from graph.cli import main

from .conftest import ROOT, SEED_DATA, TEST_DATA

SEED_RECORDS = sorted(p.name for p in SEED_DATA.glob("*.yaml") if p.name != "organizations.yaml")
UMC = "University Medical Center Utrecht"
UMC_AS_WRITTEN = "niversitair Medisch Centrum Utrecht"
#: A curated record that breaks a shape (enrollment: -5): the build quarantines it.
QUARANTINED = TEST_DATA / "curated" / "kept" / "negative-enrollment.yaml"


def invoke(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    return result.exit_code, result.output


def seeds_copy(folder: Path, *, orgs: str | None = None) -> Path:
    """The five seed records in ``folder``, with an ``organizations.yaml`` of text ``orgs``."""
    folder.mkdir(parents=True)
    for name in SEED_RECORDS:
        shutil.copy(SEED_DATA / name, folder / name)
    if orgs is not None:
        (folder / "organizations.yaml").write_text(orgs, encoding="utf-8")
    return folder


def sponsor_names(store: graph.Store, trial: str) -> list[str]:
    rows = graph.run_query(store, "trial-organizations", {"id": trial}).rows
    return sorted(str(name) for _org, name, role in rows if str(role) == "LEAD_SPONSOR")


# -- quarantine is a state -----------------------------------------------------------------------


def test_make_run_exits_0_on_a_store_that_holds_a_quarantined_record(tmp_path: Path) -> None:
    """The commands of ``make run`` (run by make itself, with the checkout's virtual environment
    and without reinstalling) against a store where another build left a quarantined record."""
    store = tmp_path / "store"
    venv = Path(sys.prefix)
    first = subprocess.run(
        [venv / "bin" / "trialgraph", "build", QUARANTINED, "--store", store, "--quiet"], capture_output=True, text=True
    )
    assert first.returncode == 1 and "1 quarantined" in first.stdout
    run = subprocess.run(
        ["make", "-s", "-o", f"{venv}/.installed", "run", f"VENV={venv}", f"STORE={store}", f"VIEW={tmp_path}/v.html"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "5 records read: 5 loaded" in run.stdout
    # still reported: the validation counts it and says why it does not fail
    assert "1 records quarantined" in run.stdout
    assert "1 more in other records (1 quarantined) are reported only" in run.stderr
    # and plain validate still fails on it
    assert invoke("validate", "--store", store)[0] == 1


def test_validate_scope_still_fails_on_its_own_quarantined_record(tmp_path: Path) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    shutil.copy(QUARANTINED, folder / QUARANTINED.name)
    store = tmp_path / "store"
    invoke("build", folder, "--store", store, "--quiet")
    code, _ = invoke("validate", "--store", store, "--scope", folder)
    assert code == 1
    code, _ = invoke("validate", "--store", store, "--scope", SEED_DATA)
    assert code == 0


# -- a store that is not there -------------------------------------------------------------------

READERS = [
    ["query", "trials"],
    ["validate"],
    ["view", "--output", "{tmp}/v.html"],
    ["export", "--format", "trig"],
    ["conflicts"],
    ["serve", "--port", "0"],
]


@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0])
def test_a_missing_store_is_an_error_for_every_reading_command(tmp_path: Path, command: list[str]) -> None:
    args = [a.format(tmp=tmp_path) for a in command]
    code, output = invoke(*args, "--store", "/no/such/dir")
    assert code == 2
    (line,) = output.splitlines()
    assert line.startswith("error: --store /no/such/dir: no trialgraph store here; build one with `trialgraph build")
    assert not Path("/no/such/dir").exists()


@pytest.mark.parametrize("command", READERS, ids=lambda c: c[0])
def test_an_ftp_store_is_an_error_for_every_reading_command(tmp_path: Path, command: list[str]) -> None:
    args = [a.format(tmp=tmp_path) for a in command]
    code, output = invoke(*args, "--store", "ftp://x/y")
    assert code == 2
    assert output.startswith("error: --store ftp://x/y: trialgraph cannot open ftp:// stores")


def test_a_run_elsewhere_names_the_folder_it_looked_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRIALGRAPH_STORE", raising=False)
    monkeypatch.chdir(tmp_path)
    code, output = invoke("query", "trials")
    assert code == 2
    assert f"--store .trialgraph/store (in {tmp_path}): no trialgraph store here" in output
    assert not (tmp_path / ".trialgraph").exists()


def test_an_empty_folder_is_no_store(tmp_path: Path) -> None:
    code, output = invoke("query", "trials", "--store", tmp_path)
    assert code == 2 and "no trialgraph store here" in output


def test_build_does_not_create_a_folder_named_like_a_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, output = invoke("build", SEED_DATA, "--store", "ftp://x/y", "--quiet")
    assert code == 2 and "cannot open ftp:// stores" in output
    assert list(tmp_path.iterdir()) == []


# -- build with no paths -------------------------------------------------------------------------


def test_build_without_paths_reads_data_of_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seeds_copy(tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRIALGRAPH_STORE", raising=False)
    code, output = invoke("build", "--quiet")
    assert code == 0, output
    assert "5 records read: 5 loaded" in output
    assert (tmp_path / ".trialgraph" / "store" / "current").is_dir()


def test_build_without_paths_or_data_says_what_to_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, output = invoke("build", "--store", tmp_path / "store")
    assert code == 2
    assert output.startswith(f"error: no paths given, and no data/ folder in {tmp_path} to read by default")
    assert "pass the files or folders to build" in output
    assert not (tmp_path / "store").exists()


# -- organisation aliases travel with the data ---------------------------------------------------

EDITED_ORGS = """\
organizations:
  - name: UMC Utrecht (edited)
    aliases: [niversitair Medisch Centrum Utrecht]
"""


def test_an_organizations_file_in_the_built_folder_is_used(tmp_path: Path) -> None:
    # Before: the package's own data/organizations.yaml was read, whatever the folder held.
    folder = seeds_copy(tmp_path / "mine", orgs=EDITED_ORGS)
    store = graph.open_store(tmp_path / "store")
    graph.build([folder], store)
    assert sponsor_names(store, "NL-OMON47582") == ["UMC Utrecht (edited)"]


def test_without_an_organizations_file_the_package_default_is_used(tmp_path: Path) -> None:
    folder = seeds_copy(tmp_path / "mine")
    store = graph.open_store(tmp_path / "store")
    graph.build([folder], store)
    assert sponsor_names(store, "NL-OMON47582") == [UMC]


def test_an_organizations_file_replaces_the_default(tmp_path: Path) -> None:
    folder = seeds_copy(tmp_path / "mine", orgs="organizations: []\n")
    store = graph.open_store(tmp_path / "store")
    graph.build([folder], store)
    assert sponsor_names(store, "NL-OMON47582") == [UMC_AS_WRITTEN]


def test_orgs_option(tmp_path: Path) -> None:
    folder = seeds_copy(tmp_path / "mine")
    aliases = tmp_path / "aliases.yaml"
    aliases.write_text(EDITED_ORGS, encoding="utf-8")
    store = tmp_path / "store"
    code, output = invoke("build", folder, "--store", store, "--orgs", aliases, "--quiet")
    assert code == 0, output
    assert sponsor_names(graph.open_store(store, read_only=True), "NL-OMON47582") == ["UMC Utrecht (edited)"]


def test_two_alias_files_that_give_one_name_to_two_organisations_are_refused(tmp_path: Path) -> None:
    folder = seeds_copy(tmp_path / "mine", orgs=EDITED_ORGS)
    other = tmp_path / "other.yaml"
    other.write_text("organizations:\n  - name: Someone Else\n    aliases: [UMC Utrecht (edited)]\n")
    code, output = invoke("build", folder, "--store", tmp_path / "store", "--orgs", other, "--quiet")
    assert code == 2
    assert f"{folder / 'organizations.yaml'} and {other}: 'Someone Else' and 'UMC Utrecht (edited)' share" in output


# -- argument ranges -----------------------------------------------------------------------------

#: Number options with no meaningful range (the named-queries engineer owns query --limit).
UNRANGED = {("query", "--limit")}


def _number_options() -> list[tuple[str, str, object]]:
    import click

    def walk(cmd: click.Command, name: str) -> list[tuple[str, str, object]]:
        found = []
        if isinstance(cmd, click.Group):
            for sub_name, sub in cmd.commands.items():
                found += walk(sub, f"{name} {sub_name}".strip())
        numbers = click.types.IntParamType | click.types.FloatParamType
        for param in cmd.params:
            if isinstance(param, click.Option) and isinstance(param.type, numbers):
                found.append((name, param.opts[0], param.type))
        return found

    return walk(main, "")


def test_every_count_size_and_timeout_option_has_a_range() -> None:
    import click

    options = _number_options()
    assert ("build", "--workers") in {(c, o) for c, o, _ in options}  # the walk finds options
    unranged = [(c, o) for c, o, t in options if not isinstance(t, click.IntRange | click.FloatRange)]
    assert set(unranged) <= UNRANGED, unranged


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["build", "--workers", "0"], "'--workers': 0 is not in the range x>=1"),
        (["build", "--batch-size", "-1"], "'--batch-size': -1 is not in the range x>=1"),
        (["validate", "--workers", "-2"], "'--workers': -2 is not in the range x>=1"),
        (["view", "--depth", "-1"], "'--depth': -1 is not in the range x>=0"),
        (["fetch", "ctgov", "--out", "x", "--max", "0"], "'--max': 0 is not in the range x>=1"),
        (["fetch", "ctgov", "--out", "x", "--page-size", "1001"], "'--page-size': 1001 is not in the range 1<=x<=1000"),
        (["serve", "--timeout", "0"], "'--timeout': 0.0 is not in the range x>=0.1"),
    ],
)
def test_out_of_range_values_are_usage_errors(args: list[str], message: str) -> None:
    code, output = invoke(*args)
    assert code == 2 and message in output


# -- warnings say what the user can do -----------------------------------------------------------


def test_no_shape_message_asks_for_a_change_of_code() -> None:
    from rdflib import Graph
    from rdflib.namespace import SH

    from graph.constants import SHAPES_DIR

    shapes = Graph()
    for path in SHAPES_DIR.glob("*.ttl"):
        shapes.parse(path, format="turtle")
    messages = [str(m) for m in shapes.objects(None, SH.message)]
    assert len(messages) > 50
    developer_words = ("source reader", "Map it", "in the reader ", "in the code")
    assert [m for m in messages if any(w in m for w in developer_words)] == []


def test_a_condition_without_mesh_says_what_to_add(seed_store: graph.Store) -> None:
    """nct01849237.yaml: "Nonchemotherapy Drug-induced Neutropenia" has broader terms but no
    ``mesh:`` of its own (line 52)."""
    import json

    from graph.validate.check import check_store
    from graph.validate.render import render_json

    report, _ = check_store(seed_store)
    doc = json.loads(render_json(report))
    messages = {
        (i["source"].rsplit("/", 1)[-1], i["message"])
        for issues in doc["trials"].values()
        for i in issues
        if i["rule"].startswith("UnmappedConditionShape")
    }
    assert (
        "nct01849237.yaml",
        "The condition has no MeSH id, so searches by a broader condition do not find it. In a curated record, "
        "add its MeSH id (mesh: D...); from a registry, nothing to do: the registry gave none.",
    ) in messages


def test_a_negative_enrolment_warning_says_what_to_write() -> None:
    # negative-enrollment.yaml: "enrollment: -5"
    from graph.sources import curated

    (record,) = curated.read(QUARANTINED)
    assert isinstance(record, graph.TrialRecord)
    assert record.warnings == [
        "enrollment: enrolment -5 is negative, kept for validation to report: write the number of participants"
    ]
