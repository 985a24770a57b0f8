"""The WHO ICTRP XML reader, checked against the real export sample and hand-written fixtures.

Expected values were read by hand from ``shared/data/ictrp/ictrp-export-sample.xml`` (the
record named in each test) and from the fixtures in ``tests/data/ictrp/``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.errors import RecordError
from graph.model import Identifier, PartialDate, TrialRecord
from graph.sources import format_for, formats
from graph.sources.ictrp import IctrpTrial, read, read_detailed, sniff
from graph.sources.ictrp_values import (
    map_status,
    parse_age,
    parse_ictrp_date,
    parse_phase,
    parse_target_size,
    secondary_identifiers,
    trial_identifier,
)

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SAMPLE = SHARED_DATA / "ictrp" / "ictrp-export-sample.xml"
FIXTURES = Path(__file__).resolve().parent / "data" / "ictrp"


@pytest.fixture(scope="module")
def sample() -> dict[str, TrialRecord]:
    out: dict[str, TrialRecord] = {}
    for item in read(SAMPLE):
        assert not isinstance(item, RecordError), str(item)
        out[item.record_id] = item
    return out


def ids(record: TrialRecord) -> list[tuple[str, str]]:
    return [(i.registry, i.value) for i in record.identifiers]


# -- the whole sample ----------------------------------------------------------------------------


def test_all_59_trials_load_without_error(sample: dict[str, TrialRecord]) -> None:
    assert len(sample) == 59
    # Source_Register counts in the file: 29 ClinicalTrials.gov, 17 EU register, 6 JPRN, 4 DRKS,
    # 1 each ChiCTR, CTIS and NL-OMON
    prefixes = ("NCT", "EUCTR", "JPRN-", "DRKS", "ChiCTR", "CTIS", "NL-OMON")
    counts = {p: sum(rid.startswith(p) for rid in sample) for p in prefixes}
    assert counts == {"NCT": 29, "EUCTR": 17, "JPRN-": 6, "DRKS": 4, "ChiCTR": 1, "CTIS": 1, "NL-OMON": 1}


def test_sample_is_sniffed_and_registered() -> None:
    assert sniff(SAMPLE)
    assert "ictrp" in formats()
    fmt = format_for(SAMPLE)
    assert fmt is not None and fmt.name == "ictrp"


def test_no_contact_detail_or_markup_is_ingested(sample: dict[str, TrialRecord]) -> None:
    everything = repr(list(sample.values()))
    # contact e-mail, phone and name of ChiCTR2100050713, and an ethics contact e-mail
    for private in ("yujiangquan2021@163.com", "18051060659", "Yu Jiangquan", "sbyyll2012@163.com"):
        assert private not in everything
    assert "<br" not in everything and "\\r" not in everything and "<p>" not in everything


# -- single records of the sample ----------------------------------------------------------------


def test_ctgov_record_in_ictrp_layout(sample: dict[str, TrialRecord]) -> None:
    r = sample["NCT05071300"]
    assert ids(r) == [("NCT", "NCT05071300"), ("EUDRACT", "2021-001427-40"), ("OTHER", "ION-682884-CS13")]
    assert r.source == "ictrp" and r.status == "RECRUITING" and r.phases == ["PHASE3"]
    assert r.enrollment == 140
    assert r.start_date == PartialDate("2022-01-04", "day")
    assert r.registration_date == PartialDate("2021-09-23", "day")
    assert r.version == "2023-10-16"
    # 28 names in the file, 14 distinct countries
    assert sorted(r.countries) == sorted(
        ["US", "AR", "AU", "BR", "CA", "CY", "FR", "IT", "NZ", "PT", "ES", "SE", "TW", "TR"]
    )
    assert (r.design.allocation, r.design.model, r.design.purpose, r.design.masking) == (
        "NA",
        "SINGLE_GROUP",
        "TREATMENT",
        "NONE",
    )
    assert [(i.name, i.type) for i in r.interventions] == [("Eplontersen", "DRUG")]
    # Source_Support says "Please refer to primary and secondary sponsors": no funder
    roles = [(p.organization.name, p.role) for p in r.participations]
    assert roles == [("Ionis Pharmaceuticals, Inc.", "LEAD_SPONSOR")]
    assert r.sex == "ALL" and r.minimum_age == "18 Years" and r.maximum_age is None
    assert r.url == "https://clinicaltrials.gov/ct2/show/NCT05071300"


def test_chictr_record(sample: dict[str, TrialRecord]) -> None:
    r = sample["ChiCTR2100050713"]
    assert ids(r) == [("CHICTR", "ChiCTR2100050713")]
    assert r.enrollment == 100  # control group:50;sepsis group:50;
    assert r.study_type == "OBSERVATIONAL"
    assert r.phases == ["NA"]  # Phase "0" on an observational study
    assert [(w.kind, w) for w in r.warnings] == [
        ("reinterpreted", "Phase: '0' given for an observational study; read as not applicable")
    ]
    assert r.interventions == []  # "control group:No;sepsis group:No;"
    assert [o.measure for o in r.outcomes if o.kind == "PRIMARY"] == ["Apolipoprotein A1", "serum amyloid A"]
    assert [o.measure for o in r.outcomes if o.kind == "SECONDARY"] == [
        "high density lipoprotein",
        "C reactive protein",
        "procalcitonin",
    ]
    assert [(p.organization.name, p.role) for p in r.participations] == [
        ("Northern Jiangsu People's Hospital", "LEAD_SPONSOR"),
        ("Jiangsu Province Young Medical Talent Project", "FUNDER"),
        ("Yangzhou Key Medical Talent Project", "FUNDER"),
    ]
    assert r.official_title is not None and not r.official_title.endswith(" ")
    assert (r.minimum_age, r.maximum_age, r.sex) == ("18 Years", "90 Years", "ALL")


def test_euctr_member_state_record(sample: dict[str, TrialRecord]) -> None:
    r = sample["EUCTR2021-000037-14-ES"]
    # TrialID EUCTR2021-000037-14-ES: the EudraCT number, and the TrialID as ICTRP writes it;
    # Secondary_ID: NEOD001-301;146070
    assert ids(r) == [
        ("EUDRACT", "2021-000037-14"),
        ("ICTRP", "EUCTR2021-000037-14-ES"),
        ("OTHER", "NEOD001-301"),
        ("OTHER", "146070"),
    ]
    assert r.status == "AUTHORISED" and r.warnings == []
    assert r.phases == ["PHASE3"]
    assert "ES" in r.countries
    assert (r.design.allocation, r.design.masking) == ("RANDOMIZED", "DOUBLE")
    assert [(i.name, i.type) for i in r.interventions] == [("BIRTAMIMAB", "DRUG")]
    assert "Primary amyloidosis" in [c.label for c in r.conditions]
    assert r.keywords == ["Diseases [C] - Blood and lymphatic diseases [C15]"]
    assert [o.measure for o in r.outcomes if o.kind == "PRIMARY"] == ["Time to all-cause mortality"]


def test_euctr_secondary_id_with_member_state_is_the_same_eudract_number(sample: dict[str, TrialRecord]) -> None:
    r = sample["EUCTR2021-000037-14-PL"]
    # Secondary_ID: NEOD001301;NCT04973137;146070;2021-000037-14-DK
    assert ids(r) == [
        ("EUDRACT", "2021-000037-14"),
        ("ICTRP", "EUCTR2021-000037-14-PL"),
        ("OTHER", "NEOD001301"),
        ("NCT", "NCT04973137"),
        ("OTHER", "146070"),
        ("ICTRP", "2021-000037-14-DK"),  # the DK record's id, as written: it finds the trial too
    ]
    assert r.title is not None and r.title.startswith("A Global Phase 3")  # "English: " label dropped


def test_ctis_record(sample: dict[str, TrialRecord]) -> None:
    r = sample["CTIS2023-507385-11-00"]
    assert r.identifiers == [
        Identifier("CTIS", "2023-507385-11-00"),
        Identifier("ICTRP", "CTIS2023-507385-11-00"),
        Identifier("OTHER", "U1111-1296-5487", type="UTN"),
        Identifier("EUDRACT", "2022-003405-30"),
        Identifier("NCT", "NCT05697861"),
    ]
    assert r.phases == ["PHASE2", "PHASE3"]
    assert r.status == "NOT_RECRUITING"
    assert r.maximum_age is None  # "65+"
    assert ("Medpace Finland Oy", "COLLABORATOR") in [(p.organization.name, p.role) for p in r.participations]


def test_jprn_records(sample: dict[str, TrialRecord]) -> None:
    umin = sample["JPRN-UMIN000027045"]
    assert ids(umin) == [("JPRN", "UMIN000027045"), ("ICTRP", "JPRN-UMIN000027045")]
    assert umin.start_date == PartialDate("2016-12-06", "day")  # written 2016/12/06
    assert (umin.minimum_age, umin.maximum_age) == ("16 Years", "50 Years")  # 16years-old, 50years-old
    assert umin.phases == []  # "Not selected"
    helios = sample["JPRN-jRCT2080224769"]
    assert ids(helios) == [
        ("JPRN", "jRCT2080224769"),
        ("ICTRP", "JPRN-jRCT2080224769"),
        ("NCT", "NCT03759379"),
        ("JPRN", "JapicCTI-194846"),
    ]
    assert helios.countries == ["JP"]  # "Asia except Japan", "Europe"... are regions
    assert any("Asia except Japan" in w for w in helios.warnings)
    assert [(i.name, i.other_names) for i in helios.interventions] == [
        ("vutrisiran", ("ALN-TTRSC02",)),
        ("Patisiran", ("Patisiran Sodium (JAN)",)),
    ]


def test_nl_omon_record(sample: dict[str, TrialRecord]) -> None:
    r = sample["NL-OMON55279"]
    assert ids(r) == [
        ("NL_OMON", "NL-OMON55279"),
        ("EUDRACT", "2019-001698-10"),
        ("ICTRP", "EUCTR2019-001698-10-NL"),
        ("NCT", "NCT04136184"),
        ("OTHER", "NL73848.000.21"),
    ]
    assert r.status is None and r.start_date is None
    assert r.interventions == []  # "Please refer to section E6 of the protocol."
    assert (r.design.allocation, r.design.model, r.design.purpose, r.design.masking) == (
        "RANDOMIZED",
        "PARALLEL",
        "TREATMENT",
        "NONE",
    )


def test_month_precision_start(sample: dict[str, TrialRecord]) -> None:
    assert sample["NCT05087953"].start_date == PartialDate("2022-01", "month")  # "January 2022"


def test_ictrp_flags_come_with_read_detailed() -> None:
    found = {t.record.record_id: t for t in read_detailed(SAMPLE) if isinstance(t, IctrpTrial)}
    assert found["NCT04418024"].other_records is True
    assert found["ChiCTR2100050713"].retrospective is True
    assert found["NCT06365593"].retrospective is False
    assert found["NCT06365593"].source_register == "ClinicalTrials.gov"


# -- fixtures: bad input -------------------------------------------------------------------------


def test_bad_records_cost_only_themselves() -> None:
    path = FIXTURES / "mixed-records.xml"
    results = list(read(path))
    records = [r for r in results if isinstance(r, TrialRecord)]
    errors = [r for r in results if isinstance(r, RecordError)]
    assert [r.record_id for r in records] == ["EUCTR2016-001902-40-BE"]
    assert [(e.file, e.record, e.field) for e in errors] == [
        (str(path), "FOO-12345", "TrialID"),
        (str(path), "NCT09999991", "Public_title"),
    ]


def test_fixture_record_fields() -> None:
    trial = next(t for t in read_detailed(FIXTURES / "mixed-records.xml") if isinstance(t, IctrpTrial))
    r = trial.record
    # TrialID EUCTR2016-001902-40-BE; Secondary_ID NCT02849613;RESSTORE-01;2016-001902-40-FR
    assert ids(r) == [
        ("EUDRACT", "2016-001902-40"),
        ("ICTRP", "EUCTR2016-001902-40-BE"),
        ("NCT", "NCT02849613"),
        ("OTHER", "RESSTORE-01"),
        ("ICTRP", "2016-001902-40-FR"),
    ]
    assert r.countries == ["BE"]  # no Countries element: the member state alone
    assert r.status == "TERMINATED"  # Prematurely Ended
    assert r.enrollment == 40  # Female: 20; Male: 20
    assert r.phases == ["PHASE1", "PHASE2"]
    assert r.sex == "FEMALE"
    assert r.registration_date == PartialDate("2016-12-06", "day")
    assert r.start_date == PartialDate("2017-05", "month")
    assert r.version == "2022-05-03"
    assert r.title == "Mesenchymal stromal cells after ischaemic stroke (test record)"
    assert r.official_title == "A test record in the ICTRP layout"
    assert r.url is None  # only http(s) addresses are kept
    assert [c.label for c in r.conditions] == ["Ischaemic stroke"]
    assert [(i.name, i.type) for i in r.interventions] == [
        ("Mesenchymal stromal cells", "BIOLOGICAL"),
        ("Placebo", "DRUG"),
    ]
    assert [p.role for p in r.participations] == ["LEAD_SPONSOR"]  # Source_Support "-" names nobody
    assert r.outcomes[0].measure == "Safety at month 12, questions to [contact removed]"
    assert [w.kind for w in r.warnings if "Primary_outcome" in w] == ["contact-details"]
    text = repr(r)
    assert "example.org" not in text and "Testperson" not in text and "000 00 00" not in text
    assert trial.flags["Bridging_flag"] == "EUCTR2016-001902-40-FR"
    assert (trial.retrospective, trial.other_records) == (False, True)


def test_dtd_and_entities_are_refused() -> None:
    path = FIXTURES / "dtd-entities.xml"
    assert sniff(path)
    results = list(read(path))
    assert len(results) == 1 and isinstance(results[0], RecordError)
    assert results[0].file == str(path) and "DTD" in str(results[0])


def test_truncated_file_keeps_what_came_before() -> None:
    results = list(read(FIXTURES / "truncated.xml"))
    assert isinstance(results[0], TrialRecord) and results[0].record_id == "NCT09999993"
    assert len(results) == 2 and isinstance(results[1], RecordError)
    assert "after 1 trial" in str(results[1])


def test_sniff_refuses_other_files(tmp_path: Path) -> None:
    other = tmp_path / "other.xml"
    other.write_text("<?xml version='1.0'?><clinical_study/>", encoding="utf-8")
    named = tmp_path / "export.json"
    named.write_text("Trials_downloaded_from_ICTRP", encoding="utf-8")
    assert not sniff(other) and not sniff(named)


# -- value spellings -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "phases"),
    [
        ("Phase 2", ["PHASE2"]),
        ("Phase II", ["PHASE2"]),
        ("Phase 1/Phase 2", ["PHASE1", "PHASE2"]),
        ("Phase I/II", ["PHASE1", "PHASE2"]),
        ("Phase 2/3", ["PHASE2", "PHASE3"]),
        ("Phase 2a", ["PHASE2"]),
        ("Phase1/Phase2", ["PHASE1", "PHASE2"]),  # KCT's spelling (issue 18)
        ("Phase 1/2", ["PHASE1", "PHASE2"]),
        ("I/II", ["PHASE1", "PHASE2"]),
        ("Phase II/III", ["PHASE2", "PHASE3"]),
        ("Phase 0", ["EARLY_PHASE1"]),
        ("Not applicable", ["NA"]),
        ("3", ["PHASE3"]),
        ("Early Phase 1", ["EARLY_PHASE1"]),
        ("0", ["EARLY_PHASE1"]),
        ("N/A", ["NA"]),
        ("Not selected", []),
        ("", []),
        (
            "Human pharmacology (Phase I): yes\nTherapeutic exploratory (Phase II): no\n"
            "Therapeutic confirmatory - (Phase III): no\nTherapeutic use (Phase IV): no",
            ["PHASE1"],
        ),
    ],
)
def test_phase_spellings(raw: str, phases: list[str]) -> None:
    assert parse_phase(raw) == (phases, None)


def test_unknown_phase_is_kept_with_a_warning() -> None:
    phases, warning = parse_phase("Pilot")
    assert phases == ["Pilot"] and warning is not None and "Pilot" in warning


@pytest.mark.parametrize(
    ("raw", "status", "warned"),
    [
        ("Recruiting", "RECRUITING", False),
        ("Not recruiting", "NOT_RECRUITING", False),
        ("Not Recruiting", "NOT_RECRUITING", False),
        ("Authorised", "AUTHORISED", False),
        ("Prematurely Ended", "TERMINATED", False),
        ("Completed", "COMPLETED", False),
        ("Not Available", None, False),
        ("Awaiting ethics", "Awaiting ethics", True),
    ],
)
def test_status_spellings(raw: str, status: str | None, warned: bool) -> None:
    value, warning = map_status(raw)
    assert value == status and (warning is not None) == warned


def test_target_size_and_ages() -> None:
    assert parse_target_size("Female: 20; Male: 20") == 40
    assert parse_target_size("0") == 0
    with pytest.raises(ValueError):
        parse_target_size("about fifty")
    assert parse_age(">= 20age old", maximum=False) == ("20 Years", None)
    assert parse_age("<= 85age old", maximum=True) == ("85 Years", None)
    assert parse_age("6 Months", maximum=False) == ("6 Months", None)


def test_dates() -> None:
    assert parse_ictrp_date("20210903") == PartialDate("2021-09-03", "day")
    assert parse_ictrp_date("20 March 2023") == PartialDate("2023-03-20", "day")
    assert parse_ictrp_date("08/04/2024") == PartialDate("2024-04-08", "day")
    assert parse_ictrp_date("01/01/1900") is None  # register placeholder
    with pytest.raises(ValueError):
        parse_ictrp_date("soon")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("EUCTR2021-000037-14-ES", ("EUDRACT", "2021-000037-14")),
        ("2021-000037-14-DK", ("EUDRACT", "2021-000037-14")),
        ("EUCTR2013-000001-11-3RD", ("EUDRACT", "2013-000001-11")),
        ("CTIS2023-507385-11-00", ("CTIS", "2023-507385-11-00")),
        ("JPRN-jRCT2071210009", ("JPRN", "jRCT2071210009")),
        ("nct04973137", ("NCT", "NCT04973137")),
    ],
)
def test_trial_identifiers(raw: str, expected: tuple[str, str]) -> None:
    found = trial_identifier(raw)
    assert found is not None and (found.registry, found.value) == expected


def test_not_a_trial_identifier() -> None:
    assert trial_identifier("NEOD001-301") is None


# -- conformance: what ICTRP publishes, read as it is meant (issues 18 and 20) ---------------------------


def test_regression_jprn_jrct2080224174_two_lead_sponsors(sample: dict[str, TrialRecord]) -> None:
    """Primary_sponsor "Alnylam Pharmaceuticals, Inc. / Medpace Japan KK" names two organisations:
    the first leads, the other collaborates (the record was quarantined for two lead sponsors)."""
    r = sample["JPRN-jRCT2080224174"]
    assert [(p.organization.name, p.role) for p in r.participations] == [
        ("Alnylam Pharmaceuticals, Inc.", "LEAD_SPONSOR"),
        ("Medpace Japan KK", "COLLABORATOR"),
    ]


def test_regression_title_not_available_when_a_scientific_title_exists(sample: dict[str, TrialRecord]) -> None:
    """EUCTR2013-004561-13-PT: Public_title "Not available"; Scientific_title "An Open-Label
    Extension Study to Assess the Long-Term Safety and Efficacy of ISIS 420915 in Patients with
    Familial Amyloid Polyneuropathy"."""
    r = sample["EUCTR2013-004561-13-PT"]
    assert r.title == r.official_title
    assert r.title is not None and r.title.startswith("An Open-Label Extension Study to Assess the Long-Term Safety")


def test_regression_condition_labels_keep_no_list_marker(sample: dict[str, TrialRecord]) -> None:
    """CTIS2023-507385-11-00: Condition starts "-Hereditary Transthyretin Amyloidosis with
    Polyneuropathy (ATTRv-PN)" and, on the next line, "-Transthyretin Amyloidosis-Related
    Cardiomyopathy (ATTR-CM)", before two MedDRA blocks (Cardiac amyloidosis, Hereditary
    neuropathic amyloidosis)."""
    labels = [c.label for c in sample["CTIS2023-507385-11-00"].conditions]
    assert labels == [
        "Hereditary Transthyretin Amyloidosis with Polyneuropathy (ATTRv-PN)",
        "Transthyretin Amyloidosis-Related Cardiomyopathy (ATTR-CM)",
        "Cardiac amyloidosis",
        "Hereditary neuropathic amyloidosis",
    ]


def test_coarse_statuses_are_controlled_values(sample: dict[str, TrialRecord]) -> None:
    """Recruitment_Status counts in the file: 33 "Not recruiting"/"Not Recruiting", 16
    "Recruiting", 8 "Authorised", 1 "Not Available", 1 empty; none is left as text."""
    statuses = [r.status for r in sample.values()]
    assert (statuses.count("NOT_RECRUITING"), statuses.count("RECRUITING"), statuses.count("AUTHORISED")) == (33, 16, 8)
    assert statuses.count(None) == 2
    assert not any(w.kind == "unknown-value" for r in sample.values() for w in r.warnings)


def test_texts_that_are_no_id_never_become_ids() -> None:
    own = Identifier("NCT", "NCT09999991")
    warnings: list[str] = []
    found = secondary_identifiers("Nil known;N/A;none;-;ABC-1;2019-001698-10-GB", own, warnings)
    assert found == [
        Identifier("OTHER", "ABC-1"),
        Identifier("EUDRACT", "2019-001698-10"),
        Identifier("ICTRP", "2019-001698-10-GB"),
    ]
    assert [w.kind for w in warnings] == ["not-an-id"] * 4
