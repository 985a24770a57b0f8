"""Registry conformance: every real record of ../shared/data/ gets in.

A record that its registry accepted is never quarantined for a value the registry allows
(docs/registry-values.md).  This test imports every real file of the folders in
:data:`FOLDERS` into an on-disk Oxigraph store, as a user would, and asserts that the records
quarantined are exactly the exceptions listed, with the registry's own reason, in
``tests/data/conformance/exceptions.yaml``, that validation finds no violation beyond them, and
that a sample of records carries the ids, sponsors and sites counted by hand in the files.

To cover a new folder, add its name to :data:`FOLDERS` and its hand-checked records to the
tables below.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from graph.cli import main
from graph.pipeline.report import BuildReport
from graph.pipeline.run import build
from graph.query.named import run
from graph.store.local import OxigraphStore
from graph.store.registry import open_store
from graph.validate.check import check_store

from .conftest import SHARED_DATA, TEST_DATA

#: The folders of ../shared/data/ whose every record must load.
FOLDERS = ("ctgov-v2", "ctgov-v2-pages", "ictrp", "ctrdata")
EXCEPTIONS = TEST_DATA / "conformance" / "exceptions.yaml"


def exceptions() -> dict[str, dict[str, str]]:
    listed = yaml.safe_load(EXCEPTIONS.read_text(encoding="utf-8"))["exceptions"] or []
    return {entry["record"]: entry for entry in listed}


@pytest.fixture(scope="module")
def conformance(tmp_path_factory: pytest.TempPathFactory) -> tuple[OxigraphStore, BuildReport]:
    store = open_store(tmp_path_factory.mktemp("conformance") / "store")
    assert isinstance(store, OxigraphStore)
    report = build([SHARED_DATA / name for name in FOLDERS], store)
    return store, report


def test_every_real_record_is_read(conformance: tuple[OxigraphStore, BuildReport]) -> None:
    _store, report = conformance
    assert [str(e) for e in report.errors] == []
    # 16 files of ctgov-v2 hold 16 studies; the website downloads hold 128 + 100 + 100 studies
    # (one top-level array each, counted with jq 'length'); the ICTRP sample holds 59 <Trial>s;
    # ctrdata/ holds 12 files of one record each (3 CTIS, 3 EU register, 6 ISRCTN)
    assert report.records_read == 16 + 328 + 59 + 12


def test_no_record_is_quarantined_but_the_listed_exceptions(conformance: tuple[OxigraphStore, BuildReport]) -> None:
    _store, report = conformance
    listed = exceptions()
    assert set(report.quarantined) == set(listed), {k: [p.message for p in v] for k, v in report.quarantined.items()}
    for key, entry in listed.items():
        assert entry.get("reason"), f"{key}: an exception names the registry's own reason"
        assert entry["rule"] in {p.rule for p in report.quarantined[key]}


def test_validation_finds_no_violation_beyond_the_quarantine(conformance: tuple[OxigraphStore, BuildReport]) -> None:
    """What validation calls a violation is exactly what the build quarantined: no record that
    breaks a shape stays in the published graph (issue 20: 3 violations for 1 quarantined)."""
    store, report = conformance
    checked, _trials = check_store(store)
    violations = [i for i in checked.issues if i.severity == "violation"]
    quarantined = [p for problems in report.quarantined.values() for p in problems]
    assert len(violations) == len(quarantined), [f"{i.trial}: {i.field}: {i.message}" for i in violations]


def test_the_website_download_folder_loads_all_328_studies(tmp_path: Path) -> None:
    store = str(tmp_path / "s")
    built = CliRunner().invoke(main, ["build", str(SHARED_DATA / "ctgov-v2-pages"), "--store", store, "--quiet"])
    assert built.exit_code == 0, built.output
    # 128 + 100 + 100 studies in the three ctg-studies.json arrays, each its own trial
    assert "328 records read: 328 loaded" in built.output
    assert "328 trials" in built.output


def test_regression_the_readme_build_of_the_shared_data_exits_0(tmp_path: Path) -> None:
    """Issue 20, item 1: `trialgraph build data/ ../shared/data/ctgov-v2/ ../shared/data/ictrp/`
    quarantined JPRN-jRCT2080224174 and validation then found 3 violations."""
    from .conftest import SEED_DATA

    store = str(tmp_path / "s")
    runner = CliRunner()
    paths = [str(SEED_DATA), str(SHARED_DATA / "ctgov-v2"), str(SHARED_DATA / "ictrp")]
    built = runner.invoke(main, ["build", *paths, "--store", store, "--quiet"])
    assert built.exit_code == 0, built.output
    assert "0 quarantined, 0 unreadable" in built.output
    checked = runner.invoke(main, ["validate", "--store", store])
    assert checked.exit_code == 0, checked.output
    # 5 seed trials, 16 ClinicalTrials.gov studies, and the 59 ICTRP records as 49 trials: the
    # CTIS record joins NCT05697861, EUCTR2018-003519-24-GB joins NCT03862807, jRCT2080224769
    # joins NCT03759379, the EU register's -ES/-FR records of 2017-005115-13 are one, the five of
    # 2021-000037-14 are one, and EUCTR2019-001698-10-PT, jRCT2071210009 and NL-OMON55279 are one
    assert "70 trials checked: 0 violations" in checked.output and "quarantined" not in checked.output


# -- hand-checked records ---------------------------------------------------------------------------


def _roles(store: OxigraphStore, trial_id: str) -> Counter[str]:
    return Counter(str(row[2]) for row in run(store, "trial-organizations", {"id": trial_id}).rows)


def _sites(store: OxigraphStore, trial_id: str) -> tuple[int, set[str]]:
    rows = run(store, "trial-sites", {"id": trial_id}).rows
    return len({row[0] for row in rows}), {str(row[3]) for row in rows if row[3] is not None}


def _ids(store: OxigraphStore, trial_id: str) -> set[tuple[str, str]]:
    return {(str(row[2]), str(row[1])) for row in run(store, "identifiers", {"id": trial_id}).rows}


#: (an id of the trial, {registry: id}, lead sponsors, collaborators, sites, site countries),
#: each counted by hand in the file named in the comment.
SAMPLE = [
    # ctgov-v2/NCT04431453.json: orgStudyIdInfo GS-US-540-5823, one secondaryIdInfos entry
    # (EUDRACT_NUMBER 2020-001803-17); leadSponsor Gilead Sciences, no collaborators; 32 locations
    # in Italy, Spain, the United Kingdom and the United States, each facility named once
    (
        "NCT04431453",
        {("NCT", "NCT04431453"), ("ORG_STUDY", "GS-US-540-5823"), ("EUDRACT", "2020-001803-17")},
        1,
        0,
        32,
        {"IT", "ES", "GB", "US"},
    ),
    # ctgov-v2/NCT00763412.json: orgStudyIdInfo 05-1109, secondary NIH grant P60DK020579; lead
    # "Arbelaez, Ana Maria" and 4 collaborators; 1 location (St. Louis, United States)
    (
        "NCT00763412",
        {("NCT", "NCT00763412"), ("ORG_STUDY", "05-1109"), ("NIH_GRANT", "P60DK020579")},
        1,
        4,
        1,
        {"US"},
    ),
    # ctgov-v2-pages/nsclcbench.json, the study NCT04318938: orgStudyIdInfo ABP, no secondary
    # ids; lead Institut fuer Klinische Krebsforschung IKF GmbH at Krankenhaus Nordwest,
    # collaborators Thoraxklinik-Heidelberg gGmbH and Takeda; 26 locations, all in Germany
    ("NCT04318938", {("NCT", "NCT04318938"), ("ORG_STUDY", "ABP")}, 1, 2, 26, {"DE"}),
    # ctgov-v2-pages/dtx-analysis.json, the study NCT06648538: orgStudyIdInfo 38RC22.0299 and two
    # secondary ids (ID-RCB 2022-A02645-38, an ethics committee number 22.04601.000170); lead
    # University Hospital, Grenoble and 6 collaborators; 1 location in France
    (
        "NCT06648538",
        {
            ("NCT", "NCT06648538"),
            ("ORG_STUDY", "38RC22.0299"),
            ("OTHER", "2022-A02645-38"),
            ("OTHER", "22.04601.000170"),
        },
        1,
        6,
        1,
        {"FR"},
    ),
    # ictrp/ictrp-export-sample.xml, TrialID JPRN-jRCT2080224174: Secondary_ID JapicCTI-184235;
    # Primary_sponsor "Alnylam Pharmaceuticals, Inc. / Medpace Japan KK" (two organisations: the
    # first leads); no sites (ICTRP gives countries only)
    (
        "JPRN-jRCT2080224174",
        {("JPRN", "jRCT2080224174"), ("ICTRP", "JPRN-jRCT2080224174"), ("JPRN", "JapicCTI-184235")},
        1,
        1,
        0,
        set(),
    ),
]


@pytest.mark.parametrize(("trial_id", "ids", "leads", "collaborators", "sites", "countries"), SAMPLE)
def test_hand_checked_ids_sponsors_and_sites(
    conformance: tuple[OxigraphStore, BuildReport],
    trial_id: str,
    ids: set[tuple[str, str]],
    leads: int,
    collaborators: int,
    sites: int,
    countries: set[str],
) -> None:
    store, _report = conformance
    assert _ids(store, trial_id) == ids
    roles = _roles(store, trial_id)
    assert (roles["LEAD_SPONSOR"], roles["COLLABORATOR"]) == (leads, collaborators)
    assert _sites(store, trial_id) == (sites, countries)


def test_the_eu_register_trial_has_every_id_ictrp_published(conformance: tuple[OxigraphStore, BuildReport]) -> None:
    """ictrp/ictrp-export-sample.xml holds five member-state records of EudraCT 2021-000037-14
    (TrialIDs EUCTR2021-000037-14-DK, -ES, -HU, -PL, -PT); two of them list NCT04973137 and the
    sponsor's ids NEOD001-301 (NEOD001301 in the PL record) and 146070."""
    store, _report = conformance
    assert _ids(store, "EUCTR2021-000037-14-ES") == {
        ("EUDRACT", "2021-000037-14"),
        ("NCT", "NCT04973137"),
        ("ICTRP", "EUCTR2021-000037-14-DK"),
        ("ICTRP", "EUCTR2021-000037-14-ES"),
        ("ICTRP", "EUCTR2021-000037-14-HU"),
        ("ICTRP", "EUCTR2021-000037-14-PL"),
        ("ICTRP", "EUCTR2021-000037-14-PT"),
        ("ICTRP", "2021-000037-14-DK"),
        ("OTHER", "NEOD001-301"),
        ("OTHER", "NEOD001301"),
        ("OTHER", "146070"),
    }
    # every one of them finds the same trial
    trials = {str(row[0]) for row in run(store, "identifiers", {"id": "EUCTR2021-000037-14-PL"}).rows}
    assert trials == {"https://w3id.org/trialgraph/id/trial/2021-000037-14"}


# -- MeSH supplementary concepts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "trial"),
    [
        # nsclcbench.json, NCT04318938: interventionBrowseModule.meshes brigatinib (C000598580)
        ("Brigatinib", "NCT04318938"),
        # ctgov-v2/NCT04431453.json: Remdesivir (C000606551)
        ("remdesivir", "NCT04431453"),
    ],
)
def test_a_supplementary_concept_intervention_finds_its_trial(
    conformance: tuple[OxigraphStore, BuildReport], label: str, trial: str
) -> None:
    store, _report = conformance
    found = {str(row[1]) for row in run(store, "trials-by-intervention", {"intervention": label}).rows}
    assert trial in found


def test_a_supplementary_concept_condition_loads_and_is_found(tmp_path: Path) -> None:
    """A study whose conditionBrowseModule lists a supplementary concept record (C562841, one of
    the ids the issue names; the study itself is made up for the test) loads, and a look-up of the
    concept's label finds it."""
    study = {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT09999992", "briefTitle": "A rare disease study"},
            "sponsorCollaboratorsModule": {"leadSponsor": {"name": "A sponsor", "class": "OTHER"}},
            "conditionsModule": {"conditions": ["A rare disease"]},
        },
        "derivedSection": {
            "conditionBrowseModule": {
                "meshes": [{"id": "C562841", "term": "Rare disease concept"}],
                "ancestors": [{"id": "D000072137", "term": "Broader descriptor"}],
            }
        },
    }
    path = tmp_path / "study.json"
    path.write_text(json.dumps(study), encoding="utf-8")
    store = open_store(tmp_path / "s")
    report = build([path], store)
    assert (report.loaded, report.quarantined) == (["ctgov/NCT09999992"], {})
    for label in ("rare disease concept", "Broader descriptor"):
        found = {str(row[1]) for row in run(store, "trials-by-condition", {"condition": label}).rows}
        assert found == {"NCT09999992"}, label
    assert store.query(
        "ASK { ?c <https://w3id.org/trialgraph/ontology#mesh> <http://id.nlm.nih.gov/mesh/C562841> }"
    ).boolean
