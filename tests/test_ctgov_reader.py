"""The ClinicalTrials.gov API v2 reader, on the real study files in ``../shared/data/ctgov-v2``.

The expected numbers below were counted by hand from the JSON files (the command used is in the
comment next to each), never printed by the reader.
"""

from __future__ import annotations

import dataclasses
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from graph.errors import RecordError
from graph.model import Identifier, MeshTerm, PartialDate, TrialRecord
from graph.normalize.text import clean_text
from graph.resolve.identity import preferred_identifier, site_iri
from graph.sources import ReadResult, discover, format_for
from graph.sources.ctgov import read, read_document, sniff
from graph.sources.ctgov_json import clean
from graph.sources.ctgov_study import mesh_id

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CTGOV = SHARED_DATA / "ctgov-v2"
FIXTURES = Path(__file__).resolve().parent / "data" / "ctgov"
REAL_FILES = sorted(CTGOV.glob("*.json"))


def records(path: Path) -> list[TrialRecord]:
    """All records of a file, failing the test on any RecordError."""
    out = []
    for result in read(path):
        assert not isinstance(result, RecordError), str(result)
        out.append(result)
    return out


def one(name: str) -> TrialRecord:
    (record,) = records(CTGOV / name)
    return record


def raw_studies(path: Path) -> list[dict[str, Any]]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    return list(doc["studies"]) if "studies" in doc else [doc]


def split(results: Iterator[ReadResult]) -> tuple[list[TrialRecord], list[RecordError]]:
    good: list[TrialRecord] = []
    bad: list[RecordError] = []
    for r in results:
        (bad if isinstance(r, RecordError) else good).append(r)  # type: ignore[arg-type]
    return good, bad


def countries(record: TrialRecord) -> set[str | None]:
    return {site.country for site in record.sites}


# -- every real file ------------------------------------------------------------------------------


def test_the_shared_files_are_there() -> None:
    # `ls ../shared/data/ctgov-v2 | wc -l` -> 16 files, each holding one study
    assert len(REAL_FILES) == 16


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_every_real_file_loads(path: Path) -> None:
    loaded = records(path)
    assert [r.record_id for r in loaded] == [path.name[:11]]
    record = loaded[0]
    assert record.source == "ctgov"
    assert record.source_file == str(path)
    assert preferred_identifier(record.identifiers).registry == "NCT"
    assert preferred_identifier(record.identifiers).value == record.record_id


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_counts_agree_with_the_json(path: Path) -> None:
    """Cross-check against the raw JSON: one site per location, one collaborator per entry, one
    identifier per secondary id."""
    (raw,) = raw_studies(path)
    protocol = raw["protocolSection"]
    ident = protocol["identificationModule"]
    record = records(path)[0]
    assert len(record.sites) == len(protocol.get("contactsLocationsModule", {}).get("locations", []))
    collaborators = protocol["sponsorCollaboratorsModule"].get("collaborators", [])
    assert [p.organization.name for p in record.participations if p.role == "COLLABORATOR"] == [
        c["name"] for c in collaborators
    ]
    # identifiers: the NCT id, its aliases, the sponsor's own id, then one per secondary id
    skip = 1 + len(ident.get("nctIdAliases", [])) + ("orgStudyIdInfo" in ident)
    secondary = record.identifiers[skip:]
    assert [i.type for i in secondary] == [s["type"] for s in ident.get("secondaryIdInfos", [])]


# -- facts counted by hand ------------------------------------------------------------------------


def test_nct02552212_sites_countries_and_eudract() -> None:
    record = one("NCT02552212.json")
    # jq '.protocolSection.contactsLocationsModule.locations | length' -> 105
    assert len(record.sites) == 105
    # jq -r '...locations[].country' | sort | uniq -c -> United States 36, Russian Federation 18,
    # Poland 14, Czechia 12, Bulgaria 8, Australia 7, Hungary 4, Taiwan 4, Canada 2: 9 countries
    assert countries(record) == {"US", "RU", "PL", "CZ", "BG", "AU", "HU", "TW", "CA"}
    assert sum(site.country == "RU" for site in record.sites) == 18
    # secondaryIdInfos: [{"id": "2015-001894-41", "type": "EUDRACT_NUMBER"}]
    eudract = [i for i in record.identifiers if i.registry == "EUDRACT"]
    assert [(i.value, i.type) for i in eudract] == [("2015-001894-41", "EUDRACT_NUMBER")]
    assert [(p.organization.name, p.organization.agency_class) for p in record.participations] == [
        ("UCB BIOSCIENCES GmbH", "INDUSTRY")
    ]
    assert record.acronym == "C-AXSPAND"
    assert record.phases == ["PHASE3"]


def test_nct02552212_phone_number_as_affiliation_is_not_ingested() -> None:
    # overallOfficials: {"name": "UCB Cares", "affiliation": "1-844-599-2273 (UCB)", ...}
    record = one("NCT02552212.json")
    (official,) = record.officials
    assert official.name == "UCB Cares"
    assert official.affiliation is None
    assert "599-2273" not in repr(record)
    assert any("overallOfficials[0].affiliation" in w for w in record.warnings)


def test_nct04267848_has_1148_locations() -> None:
    record = one("NCT04267848.json")
    # jq '.protocolSection.contactsLocationsModule.locations | length' -> 1148
    assert len(record.sites) == 1148
    # uniq -c on the countries: United States 1147, Guam 1
    assert countries(record) == {"US", "GU"}
    guam = [s for s in record.sites if s.country == "GU"]
    assert [(s.facility, s.city, s.zip, s.status) for s in guam] == [
        ("FHP Health Center-Guam", "Tamuning", "96913", "SUSPENDED")
    ]
    assert (guam[0].latitude, guam[0].longitude) == (13.48754, 144.78143)
    # this older export spells MeSH ids with six digits (D002289); they are padded to API v2's nine
    assert {c.mesh for c in record.conditions if c.mesh} == {"D000002289", "D000008175"}


def test_nct06388018_secondary_ids() -> None:
    # identificationModule.secondaryIdInfos, read in the file: 4 entries
    record = one("NCT06388018_page.json")
    secondary = [(i.registry, i.value, i.type, i.domain) for i in record.identifiers[2:]]
    assert secondary == [
        ("OTHER", "NCI-2023-09355", "REGISTRY", "CTRP (Clinical Trial Reporting Program)"),
        ("OTHER", "NRG-GY032", "OTHER", "NRG Oncology"),
        ("OTHER", "NRG-GY032", "OTHER", "CTEP"),
        ("NIH_GRANT", "U10CA180868", "NIH", None),
    ]
    # orgStudyIdInfo {"id": "NRG-GY032"}, issued by organization.fullName "NRG Oncology"
    assert record.identifiers[1] == Identifier("ORG_STUDY", "NRG-GY032", domain="NRG Oncology")


def test_nct00763412_collaborators_and_responsible_party() -> None:
    record = one("NCT00763412.json")
    # sponsorCollaboratorsModule: leadSponsor "Arbelaez, Ana Maria" (INDIV) and 4 collaborators
    assert [(p.role, p.organization.name, p.organization.agency_class) for p in record.participations] == [
        ("LEAD_SPONSOR", "Arbelaez, Ana Maria", "INDIV"),
        ("COLLABORATOR", "Washington University School of Medicine", "OTHER"),
        ("COLLABORATOR", "National Institutes of Health (NIH)", "NIH"),
        ("COLLABORATOR", "Novo Nordisk A/S", "INDUSTRY"),
        ("COLLABORATOR", "National Institute of Diabetes and Digestive and Kidney Diseases (NIDDK)", "NIH"),
    ]
    assert [p.name for p in record.lead_sponsors] == ["Arbelaez, Ana Maria"]
    # responsibleParty PRINCIPAL_INVESTIGATOR Ana Maria Arbelaez, then overallOfficials[0]
    assert [(p.name, p.role, p.affiliation) for p in record.officials] == [
        ("Ana Maria Arbelaez", "PRINCIPAL_INVESTIGATOR", "Arbelaez, Ana Maria"),
        ("Neil H White, M.D.", "STUDY_CHAIR", "Washington University School of Medicine"),
    ]
    # secondaryIdInfos: P60DK020579, type NIH
    assert [(i.registry, i.value) for i in record.identifiers if i.registry == "NIH_GRANT"] == [
        ("NIH_GRANT", "P60DK020579")
    ]


def test_dates_keep_their_precision() -> None:
    record = one("NCT00763412.json")
    # statusModule: startDateStruct {"date": "2006-11"} (no type), completionDateStruct
    # {"date": "2013-01", "type": "ACTUAL"}, studyFirstSubmitDate "2008-09-29",
    # lastUpdatePostDateStruct {"date": "2017-06-05"}
    assert record.start_date == PartialDate("2006-11", "month", None)
    assert record.completion_date == PartialDate("2013-01", "month", "ACTUAL")
    assert record.registration_date == PartialDate("2008-09-29", "day", None)
    assert record.version == "2017-06-05"
    assert record.status == "COMPLETED"


def test_nct04431453_sites_countries_and_eudract() -> None:
    record = one("NCT04431453.json")
    # 32 locations: United States 22, Spain 6, Italy 3, United Kingdom 1
    assert len(record.sites) == 32
    assert countries(record) == {"US", "ES", "IT", "GB"}
    assert sum(site.country == "ES" for site in record.sites) == 6
    assert [i.value for i in record.identifiers if i.registry == "EUDRACT"] == ["2020-001803-17"]
    # designModule.phases ["PHASE2", "PHASE3"]; enrollmentInfo {"count": 59, "type": "ACTUAL"}
    assert record.phases == ["PHASE2", "PHASE3"]
    assert (record.enrollment, record.enrollment_type) == (59, "ACTUAL")


def test_nct06171568_idrcb_secondary_id_and_its_site() -> None:
    record = one("NCT06171568.json")
    # secondaryIdInfos: [{"id": "2023-A00386-39", "type": "OTHER", "domain": "IDRCB"}]
    assert [(i.registry, i.value, i.type, i.domain) for i in record.identifiers[2:]] == [
        ("OTHER", "2023-A00386-39", "OTHER", "IDRCB")
    ]
    (site,) = record.sites
    assert (site.facility, site.city, site.state, site.zip, site.country) == (
        "Neurosurgery - Lariboisière hospital",
        "Paris",
        "Ile-de-France",
        "75010",
        "FR",
    )
    # an observational study: designInfo.observationalModel COHORT; enrollment 400 ESTIMATED
    assert (record.study_type, record.design.model, record.enrollment) == ("OBSERVATIONAL", "COHORT", 400)
    assert record.healthy_volunteers is False
    assert (record.sex, record.minimum_age, record.maximum_age) == ("ALL", "18 Years", None)
    # outcomesModule: 1 primary and 7 secondary outcomes
    assert [o.kind for o in record.outcomes] == ["PRIMARY"] + ["SECONDARY"] * 7
    # referencesModule: 8 references, each with a pmid
    assert len(record.references) == 8
    assert record.references[0] == "26269030"


def test_contact_details_are_never_ingested() -> None:
    """Every e-mail address and phone number in the real files (central and site contacts)."""
    secrets: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("email", "phone") and isinstance(value, str):
                    secrets.add(value)
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    loaded = []
    for path in REAL_FILES:
        walk(raw_studies(path))
        loaded.extend(records(path))
    # grep -c '"email"\|"phone"' over the files: 33 lines name one; many repeat
    assert len(secrets) > 20
    text = repr(loaded)
    assert [s for s in secrets if s in text] == []


def test_locations_without_a_facility_are_named_after_their_city() -> None:
    record = one("NCT02210780.json")
    # 42 locations, none with a facility; the first is {"city": "Birmingham", "state": "Alabama"...}
    assert len(record.sites) == 42
    assert record.sites[0].facility == "Unknown site, Birmingham"
    assert record.sites[0].state == "Alabama"
    assert all(site.facility == f"Unknown site, {site.city}" for site in record.sites)
    # an unnamed location belongs to its trial: another trial's "Unknown site, Birmingham" is
    # another site node
    assert record.sites[0].scope == "NCT02210780"
    other = dataclasses.replace(record.sites[0], scope="NCT00000001")
    assert site_iri(record.sites[0]) != site_iri(other)
    named = one("NCT02552212.json").sites[0]  # As0006 125, Birmingham: a named facility
    assert named.scope is None
    assert any("42 location(s) have no facility name" in w for w in record.warnings)


def test_one_mesh_condition_gets_all_ancestors() -> None:
    record = one("NCT00973089.json")
    # conditionBrowseModule: one mesh (D000003731 Dental Caries) and 3 ancestors
    mesh = [c for c in record.conditions if c.mesh]
    assert [(c.label, c.mesh) for c in mesh] == [("Dental Caries", "D000003731")]
    assert mesh[0].broader == (
        MeshTerm("D000017001", "Tooth Demineralization"),
        MeshTerm("D000014076", "Tooth Diseases"),
        MeshTerm("D000009057", "Stomatognathic Diseases"),
    )
    # the free-text condition stays, without a MeSH id
    assert [c.label for c in record.conditions if not c.mesh] == ["Caries, Dental"]
    assert record.keywords == ["Primary tooth", "Caries, Dental", "Alternative treatment"]
    assert record.status == "WITHDRAWN"
    assert record.why_stopped == "recruiting or enrolling participants has halted prematurely and will not resume"


def test_several_mesh_conditions_keep_their_ancestors_on_the_study() -> None:
    # NCT06388018: 3 meshes, 15 ancestors; which ancestor belongs to which term is not said, so
    # no term gets any and the study keeps all 15
    record = one("NCT06388018_page.json")
    mesh = [c for c in record.conditions if c.mesh]
    assert [c.mesh for c in mesh] == ["D000012509", "D000016889", "D000018203"]
    assert all(c.broader == () for c in mesh)
    assert len(record.condition_ancestors) == 15


def test_nct02552212_study_level_ancestors() -> None:
    # 4 condition meshes (Spondylitis ... Non-Radiographic Axial Spondyloarthritis) with 9
    # ancestors listed together, the first "Bone Diseases, Infectious", the last "Arthritis";
    # 1 intervention mesh with 6 ancestors, which that one term gets
    record = one("NCT02552212.json")
    labels = [t.label for t in record.condition_ancestors]
    assert len(labels) == 9
    assert labels[0] == "Bone Diseases, Infectious" and labels[-1] == "Arthritis"
    assert "Spinal Diseases" in labels
    assert record.intervention_ancestors == []
    (mesh_intervention,) = [i for i in record.interventions if i.mesh]
    assert "Tumor Necrosis Factor Inhibitors" in [t.label for t in mesh_intervention.broader]
    assert len(mesh_intervention.broader) == 6


# -- a hand-made page of edge cases (tests/data/ctgov/edge-cases_page.json) -------------------------


@pytest.fixture(scope="module")
def edge() -> tuple[list[TrialRecord], list[RecordError]]:
    return split(read(FIXTURES / "edge-cases_page.json"))


def test_edge_page_loads_the_good_studies(edge: tuple[list[TrialRecord], list[RecordError]]) -> None:
    good, bad = edge
    assert [r.record_id for r in good] == ["NCT99999901", "NCT99999904"]
    assert [(e.record, e.field) for e in bad] == [
        ("studies[1]", "protocolSection"),
        ("NCT99999903", "protocolSection.statusModule.startDateStruct.date"),
    ]
    assert "month 13 is out of range" in str(bad[1])
    assert str(bad[1]).startswith(str(FIXTURES / "edge-cases_page.json") + ": record NCT99999903")


def test_edge_identifiers(edge: tuple[list[TrialRecord], list[RecordError]]) -> None:
    record = edge[0][0]
    assert [(i.registry, i.value, i.type) for i in record.identifiers] == [
        ("NCT", "NCT99999901", None),
        ("NCT", "NCT99999902", "NCT_ID_ALIAS"),
        ("ORG_STUDY", "EDGE-01", "OTHER"),
        ("EUDRACT", "2019-001234-56", "EUDRACT_NUMBER"),  # "EudraCT Number: " stripped
        ("CTIS", "2023-501234-12-00", "CTIS"),
        ("ISRCTN", "ISRCTN12345678", "REGISTRY"),
        ("OTHER", "NCT01234567", "OTHER"),  # another study's NCT id must not merge the two
        ("EUDRACT", "2021-000037-14", "OTHER"),  # EUCTR...-ES recognised by its form
        ("ICTRP", "EUCTR2021-000037-14-ES", None),  # ... and kept as written, so that it finds the trial
        # secondaryIdInfos[5] {"id": "pending"} is no id: skipped with a warning
        ("NIH_GRANT", "R01AB012345", "NIH"),
    ]
    assert record.identifiers[2].domain == "Edge Case University"  # clean_text folded the spaces
    assert any("nctIdAliases[1]" in w for w in record.warnings)
    assert any("secondaryIdInfos[5].id" in w for w in record.warnings)


def test_edge_unknown_values_are_kept_with_a_warning(edge: tuple[list[TrialRecord], list[RecordError]]) -> None:
    record = edge[0][0]
    assert record.status == "HALTED"
    assert record.phases == ["PHASE1", "PHASE9"]
    assert record.primary_completion_date == PartialDate("2020-02", "month", "SOMEDAY")
    assert record.start_date == PartialDate("2019", "year", "ACTUAL")
    assert record.participations[2].organization.agency_class == "MARTIAN"
    assert record.officials[-1].role == "CHIEF_WIZARD"
    for path in (
        "protocolSection.statusModule.overallStatus",
        "protocolSection.designModule.phases[1]",
        "protocolSection.statusModule.primaryCompletionDateStruct.type",
        "protocolSection.sponsorCollaboratorsModule.collaborators[1].class",
        "protocolSection.contactsLocationsModule.overallOfficials[2].role",
    ):
        assert any(w.startswith(path + ":") for w in record.warnings), path


def test_edge_people_sites_and_text(edge: tuple[list[TrialRecord], list[RecordError]]) -> None:
    record = edge[0][0]
    assert record.title == "Edge cases of the reader"  # <br/>, new line and spaces folded
    # responsible party first; the official named by an e-mail address is dropped; the phone
    # number given as an affiliation is dropped
    assert [(p.name, p.role, p.affiliation) for p in record.officials] == [
        ("Ada Lovelace", "SPONSOR_INVESTIGATOR", "Edge Case University"),
        ("Grace Hopper", "PRINCIPAL_INVESTIGATOR", None),
        ("Alan Turing", "CHIEF_WIZARD", "Edge Case University"),
    ]
    text = repr(record)
    for secret in ("edge.example", "49 95 81 69", "49.95.81.69", "555 010"):
        assert secret not in text
    assert [(s.facility, s.city, s.country) for s in record.sites] == [
        ("Hôpital Lariboisière", "Paris", "FR"),
        ("Unknown site, Grenoble", "Grenoble", "FR"),
        ("Unknown site", None, "FR"),
        ("Lost City Clinic", "Poseidonis", None),
    ]
    assert any("locations[3].country" in w and "Atlantis" in w for w in record.warnings)
    assert record.references == ["12345678"]  # listed twice, kept once
    assert [c.label for c in record.conditions] == ["Sarcoma", "Sarcoma"]
    assert record.conditions[1].mesh == "D000012509"
    assert [m.id for m in record.conditions[1].broader] == ["D000009370", "D000009369"]


def test_edge_interventions_arms_outcomes(edge: tuple[list[TrialRecord], list[RecordError]]) -> None:
    record = edge[0][0]
    assert [(i.name, i.type, i.other_names, i.arm_labels, i.mesh) for i in record.interventions] == [
        ("MSC", "BIOLOGICAL", ("mesenchymal stromal cells",), ("Cells",), None),
        ("Saline", "DRUG", (), ("Placebo",), None),
        ("Sodium Chloride", None, (), (), "D000012964"),
        ("some supplementary concept", None, (), (), "C000705127"),
    ]
    # two MeSH interventions: the single ancestor cannot be placed
    assert all(i.broader == () for i in record.interventions)
    assert [(a.label, a.type, a.interventions) for a in record.arms] == [
        ("Cells", "EXPERIMENTAL", ("Biological: MSC",)),
        ("Placebo", "PLACEBO_COMPARATOR", ("Drug: Saline",)),
    ]
    assert [(o.kind, o.measure, o.time_frame) for o in record.outcomes] == [
        ("PRIMARY", "Safety", "1 year"),
        ("SECONDARY", "Efficacy", "2 years"),
        ("OTHER", "Cost", None),
    ]
    assert (record.design.allocation, record.design.masking, record.design.purpose) == (
        "RANDOMIZED",
        "DOUBLE",
        "TREATMENT",
    )


def test_fast_text_cleaning_agrees_with_clean_text() -> None:
    """The reader's fast path must give what clean_text gives, on every string of the
    real files and on the awkward cases."""
    strings: list[str] = [" a\tb\n", "x<br>y", "caf\u0065\u0301", "", "   ", "A  <BR/>  b", "ü  ", "<b>"]

    def walk(node: object) -> None:
        if isinstance(node, str):
            strings.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for path in REAL_FILES:
        walk(raw_studies(path))
    assert len(strings) > 10_000
    assert [s for s in strings if clean(s) != clean_text(s)] == []


def test_mesh_ids_are_spelled_one_way() -> None:
    assert mesh_id("D012509") == "D000012509"
    assert mesh_id("D000012509") == "D000012509"
    assert mesh_id("C044245") == "C000044245"
    assert mesh_id("D000068196") == "D000068196"


# -- corrupted copies of real files ---------------------------------------------------------------


def test_truncated_file_is_one_error_with_line_and_column(tmp_path: Path) -> None:
    data = (CTGOV / "NCT04431453.json").read_bytes()
    broken = tmp_path / "NCT04431453.json"
    broken.write_bytes(b"".join(data.splitlines(keepends=True)[:10]))
    results = list(read(broken))
    assert len(results) == 1
    error = results[0]
    assert isinstance(error, RecordError)
    assert error.file == str(broken)
    # the text stops after 10 complete lines: the parser runs out at line 11, column 1
    assert "not valid JSON" in str(error)
    assert "line 11, column 1" in str(error)
    assert error.hint is not None and "truncated" in error.hint


def _page(*studies: dict[str, Any]) -> bytes:
    return json.dumps({"studies": list(studies)}).encode()


def test_wrong_type_costs_only_that_study(tmp_path: Path) -> None:
    (good,) = raw_studies(CTGOV / "NCT03281889_page.json")
    (bad,) = raw_studies(CTGOV / "NCT06388018_page.json")
    bad["protocolSection"]["designModule"]["enrollmentInfo"]["count"] = "abc"
    page = tmp_path / "page-00001.json"
    page.write_bytes(_page(bad, good))
    loaded, errors = split(read(page))
    assert [r.record_id for r in loaded] == ["NCT03281889"]
    (error,) = errors
    assert (error.file, error.record, error.field) == (
        str(page),
        "NCT06388018",
        "protocolSection.designModule.enrollmentInfo.count",
    )
    assert "expected an integer, found the string 'abc'" in str(error)


def test_unknown_status_is_kept_as_text(tmp_path: Path) -> None:
    (study,) = raw_studies(CTGOV / "NCT06171568.json")
    study["protocolSection"]["statusModule"]["overallStatus"] = "PAUSED_FOR_LUNCH"
    path = tmp_path / "NCT06171568.json"
    path.write_text(json.dumps(study), encoding="utf-8")
    (record,) = records(path)
    assert record.status == "PAUSED_FOR_LUNCH"
    assert any(
        w.startswith("protocolSection.statusModule.overallStatus:") and "PAUSED_FOR_LUNCH" in w for w in record.warnings
    )


def test_malformed_date_names_file_study_and_path(tmp_path: Path) -> None:
    (study,) = raw_studies(CTGOV / "NCT00763412.json")
    study["protocolSection"]["statusModule"]["startDateStruct"]["date"] = "2006-11-31"
    path = tmp_path / "NCT00763412.json"
    path.write_text(json.dumps(study), encoding="utf-8")
    (error,) = list(read(path))
    assert isinstance(error, RecordError)
    assert (error.file, error.record, error.field) == (
        str(path),
        "NCT00763412",
        "protocolSection.statusModule.startDateStruct.date",
    )
    assert "2006-11-31" in str(error)


def test_study_without_protocol_section_in_a_page(tmp_path: Path) -> None:
    (first,) = raw_studies(CTGOV / "NCT03281889_page.json")
    (second,) = raw_studies(CTGOV / "NCT06388018_page.json")
    del second["protocolSection"]
    page = tmp_path / "page.json"
    page.write_bytes(_page(first, second, {"derivedSection": {}}))
    loaded, errors = split(read(page))
    assert [r.record_id for r in loaded] == ["NCT03281889"]
    assert [(e.record, e.field) for e in errors] == [
        ("studies[1]", "protocolSection"),
        ("studies[2]", "protocolSection"),
    ]


def test_documents_that_are_not_studies() -> None:
    (error,) = list(read_document(b"[1]", "x.json"))
    assert isinstance(error, RecordError) and "expected a study object" in str(error)
    (error,) = list(read_document(b"42", "x.json"))
    assert isinstance(error, RecordError) and "found the number 42" in str(error)
    (error,) = list(read_document(b'{"studies": {}}', "x.json"))
    assert isinstance(error, RecordError) and error.field == "studies"
    (error,) = list(read_document(b"\xff\xfe{}", "x.json"))  # a UTF-16 byte-order mark
    assert isinstance(error, RecordError) and "not UTF-8 text (byte 0)" in str(error)


# -- zip archives and discovery -------------------------------------------------------------------


def _zip_of_real_files(path: Path) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ctg-studies/", "")
        archive.writestr("ctg-studies/README.txt", "not a study")
        for real in REAL_FILES:
            archive.write(real, f"ctg-studies/{real.name}")
    return path


def test_zip_of_the_real_files_loads_every_study(tmp_path: Path) -> None:
    archive = _zip_of_real_files(tmp_path / "ctg-studies.zip")
    assert sniff(archive)  # first member is a folder: falls back to the central directory
    loaded = records(archive)
    # 16 files, one study each
    assert sorted(r.record_id for r in loaded) == sorted(p.name[:11] for p in REAL_FILES)
    by_id = {r.record_id: r for r in loaded}
    assert by_id["NCT02552212"].source_file == f"{archive}!ctg-studies/NCT02552212.json"
    assert len(by_id["NCT04267848"].sites) == 1148


def test_zip_with_a_broken_member_loses_only_that_member(tmp_path: Path) -> None:
    archive = tmp_path / "studies.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(CTGOV / "NCT00973089.json", "NCT00973089.json")
        zf.writestr("NCT00000000.json", (CTGOV / "NCT03418623.json").read_bytes()[:500])
        zf.write(CTGOV / "NCT03418623.json", "NCT03418623.json")
    loaded, errors = split(read(archive))
    assert [r.record_id for r in loaded] == ["NCT00973089", "NCT03418623"]
    assert [e.file for e in errors] == [f"{archive}!NCT00000000.json"]


def test_not_a_zip(tmp_path: Path) -> None:
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"PK\x03\x04 but nothing else")
    assert not sniff(fake)
    (error,) = list(read(fake))
    assert isinstance(error, RecordError) and "not a readable zip" in str(error)


def test_sniff(tmp_path: Path) -> None:
    assert sniff(CTGOV / "NCT04267848.json")  # a one-line file
    array = tmp_path / "array.json"
    array.write_text("[]")
    assert not sniff(array)
    text = tmp_path / "notes.txt"
    text.write_text("{}")
    assert not sniff(text)
    csvs = tmp_path / "tables.zip"
    with zipfile.ZipFile(csvs, "w") as zf:
        zf.writestr("a.csv", "x")
    assert not sniff(csvs)
    flat = tmp_path / "flat.zip"
    with zipfile.ZipFile(flat, "w") as zf:
        zf.write(CTGOV / "NCT00973089.json", "NCT00973089.json")
    assert sniff(flat)  # first member is a study: decided from the first header


def test_discover_finds_the_ctgov_files() -> None:
    found = list(discover([CTGOV]))
    assert [p.name for p, _ in found] == [p.name for p in REAL_FILES]
    assert {fmt.name for _, fmt in found} == {"ctgov"}
    fmt = format_for(CTGOV / "NCT00763412.json")
    assert fmt is not None and fmt.name == "ctgov"


# -- the website's download, MeSH supplementary concepts, countries (issues 18 and 20) --------------

PAGES = SHARED_DATA / "ctgov-v2-pages"


@pytest.mark.parametrize(
    ("name", "count"), [("dtx-analysis.json", 128), ("herniated-disc.json", 100), ("nsclcbench.json", 100)]
)
def test_the_website_download_is_read(name: str, count: int) -> None:
    """ctg-studies.json is one top-level array of API v2 studies (`jq length` gives the count)."""
    assert sniff(PAGES / name)
    found = records(PAGES / name)
    assert len(found) == count
    assert len({r.record_id for r in found}) == count


def test_supplementary_concepts_are_mesh_concepts() -> None:
    """NCT00763412.json: interventionBrowseModule.meshes is [{"id": "C000072379", "term":
    "Repaglinide"}], a supplementary concept record issued with six digits (NLM: C072379);
    NCT04431453.json: [{"id": "C000606551", "term": "Remdesivir"}], issued with nine."""
    from graph.namespace import mesh

    repaglinide = [i for i in one("NCT00763412.json").interventions if i.mesh]
    assert [(i.name, i.mesh) for i in repaglinide] == [("Repaglinide", "C000072379")]
    assert str(mesh("C000072379")) == "http://id.nlm.nih.gov/mesh/C072379"
    remdesivir = [i for i in one("NCT04431453.json").interventions if i.mesh]
    assert str(mesh(remdesivir[0].mesh or "")) == "http://id.nlm.nih.gov/mesh/C000606551"
    assert mesh_id("C487932") == "C000487932"  # neratinib, as the website download writes it
    assert str(mesh("C000487932")) == "http://id.nlm.nih.gov/mesh/C487932"


def test_regression_country_typo_is_never_another_country(tmp_path: Path) -> None:
    """A location in "XX" was stored as Malta by a fuzzy look-up: it is unknown, left out with a
    warning that quotes it."""
    study = {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT09999991", "briefTitle": "t"},
            "contactsLocationsModule": {
                "locations": [
                    {"facility": "A", "city": "Valletta", "country": "XX"},
                    {"facility": "B", "city": "Istanbul", "country": "Turkey (Türkiye)"},
                ]
            },
        }
    }
    path = tmp_path / "study.json"
    path.write_text(json.dumps(study), encoding="utf-8")
    (record,) = records(path)
    assert [s.country for s in record.sites] == [None, "TR"]
    (warning,) = record.warnings
    assert warning.kind == "unknown-country" and "'XX'" in warning and "locations[0].country" in warning


def test_an_org_study_id_that_is_no_id_is_skipped(tmp_path: Path) -> None:
    study = {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT09999991", "briefTitle": "t", "orgStudyIdInfo": {"id": "N/A"}},
            "conditionsModule": {"conditions": ["- Stroke", "2) Aphasia"]},
        }
    }
    path = tmp_path / "study.json"
    path.write_text(json.dumps(study), encoding="utf-8")
    (record,) = records(path)
    assert record.identifiers == [Identifier("NCT", "NCT09999991")]
    assert [w.kind for w in record.warnings] == ["not-an-id"]
    assert [c.label for c in record.conditions] == ["Stroke", "Aphasia"]
