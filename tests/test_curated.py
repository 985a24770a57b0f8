"""The curated YAML reader, on the five seed records in ``data/`` and the fixtures in
``tests/data/curated/``.

Expected values were read by hand from the seed pages in ``../shared/seeds/`` and from the YAML
files themselves, never printed by the reader.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pytest

from graph.errors import RecordError
from graph.model import Identifier, PartialDate, TrialRecord
from graph.normalize.vocab import ENUMS
from graph.sources import discover, format_for, read_all
from graph.sources.curated import TOP_FIELDS, parse, read, sniff

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
FIXTURES = Path(__file__).resolve().parent / "data" / "curated"

SEED_FILES = {
    "resstore.yaml": "000_fa488a78b00356db.txt",
    "nct04445454.yaml": "001_48a2af67146b557c.txt",
    "nct07635758.yaml": "002_7a0d55756731e151.txt",
    "nl-omon47582.yaml": "003_8270c6b3ff1fbaa1.txt",
    "nct01849237.yaml": "004_6aef414e353f4687.txt",
}


def load(path: Path) -> TrialRecord:
    (result,) = list(read(path))
    assert isinstance(result, TrialRecord), str(result)
    return result


def fail(path: Path) -> RecordError:
    (result,) = list(read(path))
    assert isinstance(result, RecordError), f"{path} was accepted"
    return result


def seed(name: str) -> TrialRecord:
    return load(DATA / name)


def orgs_with(record: TrialRecord, role: str) -> list[str]:
    return [p.organization.name for p in record.participations if p.role == role]


def broader_ids(record: TrialRecord) -> set[str]:
    return {term.id for c in record.conditions for term in c.broader}


# -- the seed records ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SEED_FILES))
def test_seed_file_loads_as_curated_without_warnings(name: str) -> None:
    path = DATA / name
    assert sniff(path)
    fmt = format_for(path)
    assert fmt is not None and fmt.name == "curated"
    record = load(path)
    assert record.source == "curated"
    assert record.record_id == path.stem
    assert record.source_file == str(path)
    assert record.version == "1"
    assert record.warnings == []


@pytest.mark.parametrize("name", sorted(SEED_FILES))
def test_seed_facts_are_written_as_on_their_page(name: str) -> None:
    """Ids, site names and condition labels are copied from the page, so each must occur in it; an
    id from elsewhere (RESSTORE's CTIS number) must occur in a ``sources:`` line that names where."""
    page = (SEEDS / SEED_FILES[name]).read_text(encoding="utf-8").casefold()
    text_of_file = (DATA / name).read_text(encoding="utf-8")
    assert SEED_FILES[name] in text_of_file
    sourced = " ".join(re.findall(r'^  - "(.*)"$', text_of_file.split("\nidentifiers:")[0], re.MULTILINE))
    record = seed(name)
    registry_ids = [i.value for i in record.identifiers]
    for text in registry_ids:
        assert text.casefold() in page or text in sourced, text
    for text in [*(s.facility for s in record.sites), *(c.label for c in record.conditions)]:
        assert text.casefold() in page, text


def test_resstore() -> None:
    r = seed("resstore.yaml")
    # the CTIS number and the transition: the sources line of data/resstore.yaml
    assert r.identifiers == [
        Identifier("NCT", "NCT02849613"),
        Identifier("EUDRACT", "2016-001902-40", transitioned_to="2024-518394-34-00"),
        Identifier("CTIS", "2024-518394-34-00"),
    ]
    assert r.acronym == "RESSTORE"
    assert r.title == "REgenerative Stem cell therapy for STroke in Europe"
    # the page states neither
    assert r.status is None
    assert r.phases == []
    # "started in September 2015": month precision, not a day
    assert r.start_date == PartialDate("2015-09", "month", "ACTUAL")
    assert r.enrollment == 400
    assert r.countries == ["CZ", "FI", "FR", "ES", "GB"]
    assert r.sites == []
    assert r.consortium is not None
    assert r.consortium.name == "RESSTORE"
    assert r.consortium.partner_count == 28
    assert dict(r.consortium.role_counts) == {"CLINICAL_CENTRE": 23, "CELL_THERAPY_UNIT": 5, "LABORATORY": 5, "CRO": 1}
    assert orgs_with(r, "COORDINATOR") == ["CHU Grenoble Alpes", "Servicio Madrileño de Salud (SERMAS)"]
    assert orgs_with(r, "CRO") == ["Medfiles"]
    (sponsor,) = r.lead_sponsors
    assert sponsor.name == "CHU Grenoble Alpes"
    assert "University Hospital, Grenoble" in sponsor.aliases
    assert (sponsor.city, sponsor.country) == ("Grenoble", "FR")
    assert [(p.name, p.role, p.affiliation) for p in r.officials] == [
        ("Olivier Detante", "coordinator", "CHU Grenoble Alpes"),
        ("Exuperio Diez Tejedor", "coordinator", "Servicio Madrileño de Salud (SERMAS)"),
    ]
    (funding,) = r.funding
    assert funding.funder == "European Commission"
    assert funding.programme is not None and "Horizon 2020" in funding.programme
    (intervention,) = r.interventions
    assert intervention.cell_product is not None
    assert intervention.cell_product.route == "intravenous"
    # the page does not say allogeneic or autologous
    assert intervention.cell_product.origin is None


def test_nct04445454() -> None:
    r = seed("nct04445454.yaml")
    assert r.identifiers == [Identifier("NCT", "NCT04445454")]
    assert (r.status, r.phases, r.study_type) == ("RECRUITING", ["PHASE1"], "INTERVENTIONAL")
    assert r.design.model == "SINGLE_GROUP"
    assert (r.enrollment, r.sex) == (20, "ALL")
    (sponsor,) = r.lead_sponsors
    assert sponsor.name == "University of Liege"
    assert sponsor.aliases == ("Université de Liège",)
    (site,) = r.sites
    assert (site.facility, site.city, site.country) == ("CHU de Liège", "Liège", "BE")
    assert unicodedata.is_normalized("NFC", site.facility)
    assert [c.mesh for c in r.conditions] == ["D000018352", "D000086382"]
    (intervention,) = r.interventions
    assert (intervention.name, intervention.type) == ("Mesenchymal stromal cells", "BIOLOGICAL")
    assert intervention.cell_product is not None
    assert intervention.cell_product.tissue_source == "bone marrow"
    assert intervention.cell_product.origin == "ALLOGENEIC"
    assert intervention.cell_product.route == "intravenous"
    (arm,) = r.arms
    assert arm.interventions == ("Mesenchymal stromal cells",)
    assert [(o.kind, o.time_frame) for o in r.outcomes] == [
        ("PRIMARY", "Day 28"),
        ("PRIMARY", "Day 28"),
        ("SECONDARY", "Day 90"),
    ]


def test_nct07635758_has_no_lead_sponsor_and_no_date() -> None:
    r = seed("nct07635758.yaml")
    assert r.identifiers == [Identifier("NCT", "NCT07635758")]
    assert r.status == "RECRUITING"
    assert r.phases == []
    assert (r.enrollment, r.enrollment_type) == (24, "ESTIMATED")
    # the page names no sponsor: validation, not the reader, reports that
    assert r.lead_sponsors == []
    assert r.participations == []
    # "First seen Jun 25, 2026" is the summary site's date, not the trial's
    assert (r.start_date, r.completion_date, r.registration_date) == (None, None, None)
    (site,) = r.sites
    assert site.facility == "Chinese People's Liberation Army General Hospital, First Medical Center"
    assert (site.city, site.country, site.status) == ("Beijing", "CN", "RECRUITING")
    assert [a.type for a in r.arms] == ["EXPERIMENTAL", "PLACEBO_COMPARATOR"]
    (cells, _placebo) = r.interventions
    assert cells.cell_product is not None
    assert cells.cell_product.tissue_source == "placenta"


def test_nl_omon47582() -> None:
    r = seed("nl-omon47582.yaml")
    assert r.identifiers == [Identifier("NL_OMON", "NL-OMON47582")]
    assert (r.status, r.phases, r.study_type, r.enrollment) == ("RECRUITING", ["PHASE2"], "INTERVENTIONAL", 20)
    # the page's spelling, first letter missing: organisation resolution maps it later
    assert [o.name for o in r.lead_sponsors] == ["niversitair Medisch Centrum Utrecht"]
    assert r.countries == ["NL"]
    assert r.sites == []
    # 10003816 is a MedDRA code: a keyword, never a MeSH id
    assert "MedDRA 10003816" in r.keywords
    assert all(c.mesh is None or c.mesh.startswith("D") for c in r.conditions)
    assert [c.mesh for c in r.conditions if c.label == "Systemic scleroderma"] == ["D000012595"]
    (outcome,) = r.outcomes
    assert outcome.kind == "PRIMARY"
    assert outcome.time_frame == "12 weeks after MSC administration"


def test_nct01849237() -> None:
    r = seed("nct01849237.yaml")
    assert r.identifiers == [Identifier("NCT", "NCT01849237"), Identifier("ORG_STUDY", "RuMCeSS")]
    assert (r.status, r.phases) == ("UNKNOWN", ["PHASE1", "PHASE2"])
    assert [c.label for c in r.conditions] == [
        "Nonchemotherapy Drug-induced Neutropenia",
        "Neutropenia After Chemotherapy in Oncohematological Patients",
        "Septic Shock",
        "Neutropenia in Patients With Aplastic Anemia",
    ]
    assert [(i.name, i.type) for i in r.interventions] == [
        ("Mesenchymal stromal cells", "GENETIC"),
        ("Standard therapy of septic shock", "DRUG"),
    ]
    assert (r.enrollment, r.enrollment_type, r.sex) == (30, "ESTIMATED", "ALL")
    assert (r.minimum_age, r.maximum_age, r.healthy_volunteers) == ("17 Years", "75 Years", False)
    d = r.design
    assert (d.allocation, d.model, d.purpose, d.masking) == ("RANDOMIZED", "PARALLEL", "TREATMENT", "NONE")
    assert [(a.type, len(a.interventions)) for a in r.arms] == [("ACTIVE_COMPARATOR", 1), ("EXPERIMENTAL", 2)]
    (sponsor,) = r.lead_sponsors
    assert (sponsor.agency_class, sponsor.country) == ("NETWORK", "RU")
    (site,) = r.sites
    assert (site.city, site.country) == ("Moscow", "RU")
    # the YAML anchor gives the three neutropenia conditions the same broader terms
    neutropenias = [c for c in r.conditions if "Neutropenia" in c.label]
    assert len(neutropenias) == 3
    assert all(c.broader[0].id == "D000009503" for c in neutropenias)


def test_a_search_for_stroke_finds_both_ischemic_stroke_trials() -> None:
    stroke, cerebrovascular = "D000020521", "D000002561"
    for name in ("resstore.yaml", "nct07635758.yaml"):
        record = seed(name)
        assert [c.mesh for c in record.conditions] == ["D000083242"]
        assert {stroke, cerebrovascular} <= broader_ids(record)
    for name in ("nct04445454.yaml", "nl-omon47582.yaml", "nct01849237.yaml"):
        assert stroke not in broader_ids(seed(name))


# -- every field of the format ---------------------------------------------------------------------


def test_full_fixture_maps_every_field() -> None:
    r = load(FIXTURES / "good" / "full.yaml")
    assert r.version == "3"
    assert r.identifiers == [
        Identifier("NCT", "NCT00000001"),
        Identifier("EUDRACT", "2019-000001-11"),
        Identifier("ORG_STUDY", "2019/77", "sponsor id", "Fixture Hospital"),
    ]
    assert (r.title, r.official_title, r.acronym) == ("Fixture trial", "A fixture trial that uses every field", "FIX")
    assert (r.status, r.last_known_status, r.why_stopped) == ("ACTIVE_NOT_RECRUITING", "RECRUITING", "not stopped")
    assert r.phases == ["PHASE2", "PHASE3"]  # the repeated PHASE2 is dropped
    assert (r.design.allocation, r.design.masking) == ("RANDOMIZED", "DOUBLE")
    assert (r.enrollment, r.enrollment_type) == (0, "ACTUAL")
    assert r.start_date == PartialDate("2019", "year")
    assert r.primary_completion_date == PartialDate("2021-02-28", "day")
    assert r.completion_date == PartialDate("2021-07", "month", "ESTIMATED")
    assert r.registration_date == PartialDate("2019-01-15", "day")
    assert (r.sex, r.minimum_age, r.maximum_age, r.healthy_volunteers) == ("FEMALE", "18 Years", "6 Months", True)
    lead, coordinator = r.participations
    assert (lead.role, coordinator.role) == ("LEAD_SPONSOR", "COORDINATOR")
    org = lead.organization
    assert (org.ror, org.agency_class, org.aliases) == ("02feahw73", "OTHER", ("FH",))
    assert (org.city, org.country) == ("Oslo", "NO")
    assert lead.note == "lead and coordinator"
    assert r.consortium is not None
    assert r.consortium.role_counts == (("CLINICAL_CENTRE", 2), ("LABORATORY", 0))
    assert [(f.funder, f.grant) for f in r.funding] == [("Fixture Fund", "681044"), ("Second Fund", None)]
    assert [p.role for p in r.officials] == ["PRINCIPAL_INVESTIGATOR", "coordinator"]
    site = r.sites[0]
    assert (site.zip, site.country, site.status) == ("0372", "NO", "RECRUITING")
    assert (site.latitude, site.longitude) == (59.95, 10.72)
    assert r.countries == ["GB", "DE", "NO"]
    assert r.conditions[0].mesh == "D000020521"
    assert r.keywords == ["alpha", "10003816"]
    cells = r.interventions[0]
    assert (cells.mesh, cells.other_names, cells.arm_labels) == ("D000086382", ("FC",), ("Cells",))
    assert cells.cell_product is not None
    assert (cells.cell_product.tissue_source, cells.cell_product.origin) == ("umbilical cord", "AUTOLOGOUS")
    assert [(a.label, a.type) for a in r.arms] == [("Cells", "EXPERIMENTAL"), ("Control", "PLACEBO_COMPARATOR")]
    assert [(o.kind, o.measure) for o in r.outcomes] == [("PRIMARY", "Adverse events"), ("OTHER", "Survival")]
    assert r.references == ["31142524", "12345678"]
    assert r.url == "https://example.org/trials/fix"
    assert r.warnings == []


def test_minimal_record_and_yml_suffix() -> None:
    r = load(FIXTURES / "good" / "minimal.yml")
    assert r.identifiers == [Identifier("ISRCTN", "ISRCTN12345678")]
    assert r.version is None
    assert r.participations == [] and r.design.model is None


def test_decomposed_unicode_is_stored_composed() -> None:
    r = load(FIXTURES / "good" / "nfd.yaml")
    assert "e\u0300" in (FIXTURES / "good" / "nfd.yaml").read_text(encoding="utf-8")
    assert [o.name for o in r.lead_sponsors] == ["Universit\u00e9 de Li\u00e8ge"]
    assert (r.sites[0].facility, r.sites[0].city) == ("CHU de Li\u00e8ge", "Li\u00e8ge")


# -- errors ------------------------------------------------------------------------------------------

BAD = FIXTURES / "bad"


@pytest.mark.parametrize(
    ("name", "record", "field", "words"),
    [
        ("unknown-field.yaml", "NCT00000002", "sites[1].contry", "unknown field 'contry' (line 8)"),
        ("bad-date.yaml", "NCT00000003", "primary_completion_date.date", "'2015-02-30'"),
        ("non-iso-date.yaml", "NCT00000004", "start_date", "'September 2015' is not a date"),
        ("bad-status.yaml", "NCT00000005", "status", "'PAUSED' is not a status value"),
        ("unknown-registry.yaml", "NCT00000006", "identifiers[0].registry", "'CLINICALTRIALS' is not a registry"),
        ("wrong-type.yaml", "NCT00000007", "phases", "expected a list, got the text 'PHASE2'"),
        ("duplicate-key.yaml", "NCT00000008", "enrollment", "given twice (first on line 3) (line 5)"),
    ],
)
def test_bad_file_names_file_record_and_field(name: str, record: str, field: str, words: str) -> None:
    path = BAD / name
    error = fail(path)
    assert (error.file, error.record, error.field) == (str(path), record, field)
    assert str(error).startswith(f"{path}: record {record}: field {field}: ")
    assert words in error.reason
    assert error.hint
    assert "Traceback" not in str(error)


def test_unknown_field_hint_suggests_the_known_one() -> None:
    assert fail(BAD / "unknown-field.yaml").hint == "did you mean 'country'?"


def test_bad_enum_hint_lists_allowed_values() -> None:
    hint = fail(BAD / "bad-status.yaml").hint or ""
    assert all(value in hint for value in ENUMS["status"])


def test_every_problem_of_a_file_is_reported_in_file_order() -> None:
    error = fail(BAD / "many-problems.yaml")
    assert error.field == "sex"
    lines = str(error).splitlines()
    assert lines[0].endswith("'both' is not a sex value (line 4)")
    # an unquoted 020521 is read by YAML as an octal number; the message shows what was written
    assert lines[1].startswith("  also field conditions[0].mesh: expected text, got the number 020521 (line 7)")
    assert lines[2].startswith("  also field conditions[1].label: required field is missing (line 8)")
    assert lines[3] == "  hint: allowed: ALL, FEMALE, MALE"


def test_invalid_yaml_names_the_line() -> None:
    path = BAD / "invalid-yaml.yaml"
    error = fail(path)
    assert (error.file, error.record, error.field) == (str(path), "invalid-yaml", None)
    assert "not valid YAML" in error.reason and "line 3" in error.reason


def test_non_utf8_file() -> None:
    error = fail(BAD / "latin1.yaml")
    assert error.record == "latin1"
    assert "not UTF-8" in error.reason


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("", None, "empty"),
        ("- a list\n", None, "expected a mapping"),
        ("identifiers: []\n", "identifiers", "at least one identifier"),
        ("title: no ids\n", "identifiers", "required field is missing"),
        ("identifiers: [{registry: NCT}]\n", "identifiers[0].value", "required field is missing"),
        ("identifiers: [{value: NCT00000001}]\n", "identifiers[0].registry", "required field is missing"),
        ("identifiers: [{registry: NCT, value: NCT00000001}]\nsites: [{facility: A, country: Atlantis}]\n",
         "sites[0].country", "'Atlantis' is not a country"),
        ("identifiers: [{registry: NCT, value: NCT00000001}]\nenrollment: twenty\n", "enrollment", "whole number"),
        ("identifiers: [{registry: NCT, value: NCT00000001}]\nenrollment: yes\n", "enrollment", "the text 'yes'"),
        ("identifiers: [{registry: NCT, value: NCT00000001}]\nhealthy_volunteers: no\n", "healthy_volunteers",
         "true or false"),
        ("identifiers: [{registry: NCT, value: NCT00000001}]\nconsortium: {name: C, role_counts: {CRO: -1}}\n",
         "consortium.role_counts.CRO", "negative"),
        ("identifiers: [{registry: NCT, value: NCT00000001}]\nconditions: [{label: x, mesh: Q000628}]\n",
         "conditions[0].mesh", "not a MeSH descriptor or supplementary concept id"),
        ("identifiers: [{registry: NCT, value: NCT00000001}]\nparticipations: [{name: X, roles: []}]\n",
         "participations[0].roles", "at least one role"),
        ("identifiers: [{registry: NCT, value: NCT00000001}]\nparticipations: [{name: X, roles: [SPONSOR]}]\n",
         "participations[0].roles[0]", "'SPONSOR' is not a role value"),
        ("identifiers: [{registry: NCT, value: NCT00000001}]\nminimum_age: adult\n", "minimum_age", "not an age"),
        ("identifiers: [{registry: NCT, value: NCT00000001}]\nurl: www.example.org\n", "url", "not a web address"),
        ("identifiers: [{registry: NCT, value: NCT00000001}]\nreferences: [PMID123]\n", "references[0]",
         "not a PubMed id"),
    ],
)  # fmt: skip
def test_rejected_values(text: str, field: str | None, words: str) -> None:
    result = parse(text, source_file="inline.yaml", record_id="inline")
    assert isinstance(result, RecordError), "accepted"
    assert result.file == "inline.yaml"
    assert result.record in ("inline", "NCT00000001")
    assert result.field == field
    assert words in result.reason


# -- kept with a warning, for SHACL to report -------------------------------------------------------


def test_malformed_nct_id_is_kept_with_a_warning() -> None:
    r = load(FIXTURES / "kept" / "malformed-nct.yaml")
    assert r.identifiers == [Identifier("NCT", "NCT1234567")]
    (warning,) = r.warnings
    assert warning.startswith("identifiers[0].value: 'NCT1234567' does not match the NCT pattern")


def test_negative_enrollment_is_kept_with_a_warning() -> None:
    r = load(FIXTURES / "kept" / "negative-enrollment.yaml")
    assert r.enrollment == -5
    (warning,) = r.warnings
    assert warning.startswith("enrollment: ") and "-5" in warning


def test_unmatched_arm_and_intervention_names_warn() -> None:
    r = load(FIXTURES / "kept" / "unmatched-arm.yaml")
    assert r.arms[0].interventions == ("Celss",)
    assert r.warnings == [
        "arms[0].interventions[0]: 'Celss' names no intervention of this record: write it as in interventions[].name"
    ]


# -- files and folders ------------------------------------------------------------------------------

MIXED = FIXTURES / "mixed"


def test_folder_with_a_bad_and_a_good_file_yields_both() -> None:
    results = list(read_all([MIXED]))
    records = [r for r in results if isinstance(r, TrialRecord)]
    errors = [r for r in results if isinstance(r, RecordError)]
    assert [r.record_id for r in records] == ["good"]
    assert [(e.file, e.record, e.field) for e in errors] == [
        (str(MIXED / "bad.yaml"), "NCT00000014", "status"),
        (str(MIXED / "notes.yaml"), None, None),  # no reader wants it: reported, never passed over
    ]


def test_sniff_takes_only_curated_records() -> None:
    assert [p.name for p, _ in discover([MIXED])] == ["bad.yaml", "good.yaml"]
    assert not sniff(MIXED / "organizations.yaml")  # even with an identifiers key
    assert not sniff(MIXED / "notes.yaml")
    assert not sniff(DATA / "SCHEMA.md")
    assert sniff(FIXTURES / "good" / "minimal.yml")


# -- the schema document -----------------------------------------------------------------------------


def test_schema_document_lists_every_field_and_enum_value() -> None:
    doc = (DATA / "SCHEMA.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", doc, flags=re.MULTILINE))
    assert set(TOP_FIELDS) <= documented
    for scheme in ("status", "phase", "study-type", "allocation", "intervention-model", "primary-purpose", "masking",
                   "intervention-type", "role", "agency-class", "sex", "date-type", "enrollment-type", "arm-type",
                   "outcome-kind", "cell-origin", "official-role"):  # fmt: skip
        row = re.search(rf"^\| {scheme} \| (.+) \|$", doc, flags=re.MULTILINE)
        assert row is not None, scheme
        assert row.group(1).split(", ") == list(ENUMS[scheme]), scheme
    for key in ENUMS["registry"]:
        assert f"`{key}`" in doc, key


def test_a_year_range_in_an_affiliation_is_not_a_phone_number() -> None:
    text = (
        "identifiers: [{registry: NCT, value: NCT00000001}]\n"
        "officials: [{name: Ann, affiliation: 'Fellow 2016-2020'}]\n"
    )
    result = parse(text, source_file="inline.yaml", record_id="inline")
    assert isinstance(result, TrialRecord), str(result)
    assert result.officials[0].affiliation == "Fellow 2016-2020"


# -- hostile YAML (issue 19, items 3 and 7) ------------------------------------------------------


def _alias_bomb(levels: int) -> str:
    """A record whose anchors each repeat the one before nine times: a list of 9 texts (10 values
    with the list), then anchors k1..k<levels> holding 1 + 9 times the one before."""
    lines = ["identifiers:", "  - {registry: NCT, value: NCT04445454}", "keywords: &k0 [" + ", ".join(["x"] * 9) + "]"]
    for level in range(1, levels + 1):
        lines.append(f"k{level}: &k{level} [" + ", ".join([f"*k{level - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def test_regression_yaml_alias_bomb_is_refused_at_its_line(tmp_path: Path) -> None:
    # Before the fix the reader expanded every alias (19.3): these 500 bytes became 5,380,840
    # values and then "unknown field k1" errors; a few more levels took gigabytes.  Counted by
    # hand: k0 holds 10 values, k1 91, k2 820, k3 7,381, k4 66,430, k5 597,871: k5 is the first
    # past 100,000, on line 8 (identifiers on 1-2, keywords (k0) on 3, k1..k6 on 4..9), and its
    # anchor "&k5" starts at column 5 ("k5: " before it).
    path = tmp_path / "bomb.yaml"
    path.write_text(_alias_bomb(6))
    error = fail(path)
    assert str(error).startswith(f"{path}: record bomb: ")
    assert "aliases" in error.reason and "(line 8, column 5)" in error.reason
    assert error.hint and "repeat" in error.hint


def test_regression_deeply_nested_yaml_is_refused_at_its_line(tmp_path: Path) -> None:
    # Before the fix, 20,000 "[" gave a RecursionError traceback (19.7).  The top-level mapping
    # is level 1 and "[" number k opens level k + 1, so the eleventh bracket (column 23 of
    # "identifiers: " + brackets) is the first value past 10 levels.
    path = tmp_path / "deep.yaml"
    path.write_text("identifiers: " + "[" * 20_000 + "\n")
    error = fail(path)
    assert str(error).startswith(f"{path}: record deep: ")
    assert "nested more than 10 levels" in error.reason and "(line 1, column 23)" in error.reason


def test_aliases_that_repeat_a_list_still_load() -> None:
    # nct01849237.yaml writes the neutropenia "broader" list once (&neutropenia, four MeSH ids
    # from D009503 Neutropenia up) and repeats it (*neutropenia) for two more conditions.
    record = seed("nct01849237.yaml")
    broader = [tuple(t.id for t in c.broader) for c in record.conditions if "Neutropenia" in c.label]
    assert broader == [("D000009503", "D000007970", "D000007960", "D000006402")] * 3


def test_hostile_yaml_costs_only_its_file(tmp_path: Path) -> None:
    """The two files are refused with their file and line; the five seeds load; exit 2."""
    from click.testing import CliRunner

    from graph.cli import main

    folder = tmp_path / "in"
    folder.mkdir()
    for name in SEED_FILES:
        (folder / name).write_bytes((DATA / name).read_bytes())
    (folder / "bomb.yaml").write_text(_alias_bomb(8))
    (folder / "deep.yaml").write_text("identifiers: " + "[" * 20_000 + "\n")
    result = CliRunner().invoke(main, ["build", str(folder), "--store", str(tmp_path / "store"), "--quiet"])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"{folder / 'bomb.yaml'}: record bomb: a value that holds more than" in result.output
    assert f"{folder / 'deep.yaml'}: record deep: a value nested more than 10 levels" in result.output
    assert "5 loaded" in result.output
