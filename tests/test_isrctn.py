"""The ISRCTN reader on the six real records of ../shared/data/ctrdata, and on a copy with its
parties named (tests/data/ctrdata/isrctn-76463425-parties.json).  Expected values are read by hand
from the field named beside them."""

from __future__ import annotations

from pathlib import Path

from graph.model import Condition, ConditionTerm, Identifier, Intervention, Organization, PartialDate, TrialRecord
from graph.rdf import record_graph
from graph.sources import isrctn
from tests.conftest import SHARED_DATA, TEST_DATA

CTRDATA = SHARED_DATA / "ctrdata"


def read(path: Path) -> TrialRecord:
    (record,) = list(isrctn.FORMAT.read(path))
    assert isinstance(record, TrialRecord), record
    return record


def test_nil_known_and_empty_refs_are_not_ids() -> None:
    # externalRefs: eudraCTNumber, clinicalTrialsGovNumber, protocolSerialNumber and the three
    # secondary numbers all "Nil known"; irasNumber ""
    assert read(CTRDATA / "isrctn-17473621.json").identifiers == [Identifier("ISRCTN", "ISRCTN17473621")]


def test_external_refs_are_ids_of_the_same_trial() -> None:
    # eudraCTNumber 2014-002988-16, protocolSerialNumber MINT-2014-01; the secondary numbers
    # repeat both
    assert read(CTRDATA / "isrctn-12949496.json").identifiers == [
        Identifier("ISRCTN", "ISRCTN12949496"),
        Identifier("EUDRACT", "2014-002988-16"),
        Identifier("ORG_STUDY", "MINT-2014-01"),
    ]


def test_stopped_trial() -> None:
    record = read(CTRDATA / "isrctn-12949496.json")
    # trialDesign.overallStatusOverride "Stopped", reasonAbandoned "Participant recruitment issue";
    # totalFinalEnrolment "9"; phase "Phase III"; drugNames "Milrinone" (Drug)
    assert (record.status, record.why_stopped) == ("TERMINATED", "Participant recruitment issue")
    assert (record.enrollment, record.enrollment_type) == (9, "ACTUAL")
    assert record.phases == ["PHASE3"]
    assert record.interventions == [Intervention("Milrinone", type="DRUG")]
    # recruitmentStart 2015-11-01T00:00:00.000Z; overallEndDate 2020-02-01T00:00:00.000Z
    assert record.start_date == PartialDate("2015-11-01", "day")
    assert record.completion_date == PartialDate("2020-02-01", "day")
    # results.publicationDetails: pubmed.ncbi.nlm.nih.gov/36385642 and ncbi.nlm.nih.gov/pubmed/30524749
    assert record.references == ["36385642", "30524749"]


def test_no_status_without_an_override() -> None:
    """The web site computes ongoing/completed from today's date; the graph must not change by itself."""
    assert read(CTRDATA / "isrctn-13281214.json").status is None


def test_condition_with_its_categories() -> None:
    # conditions.condition: description, diseaseClass1 "Circulatory System", diseaseClass2
    # "Pulmonary hypertension of newborn (persistent)"
    assert read(CTRDATA / "isrctn-12949496.json").conditions == [
        Condition(
            "Persistent pulmonary hypertension of the newborn (PPHN)",
            terms=(
                ConditionTerm("ISRCTN condition category", "Circulatory System"),
                ConditionTerm("ICD-10", "Pulmonary hypertension of newborn (persistent)"),
            ),
        )
    ]


def test_drug_names_are_split() -> None:
    # drugNames "Maltodextrin, medium chain triglycerides", interventionType "Drug"
    names = [i.name for i in read(CTRDATA / "isrctn-61070850.json").interventions]
    assert names == ["Maltodextrin", "medium chain triglycerides"]


def test_centres_that_are_no_site_and_nameless_interventions_are_left_out_with_a_warning() -> None:
    record = read(CTRDATA / "isrctn-76463425.json")
    # trialCentre[0] "NPEU Clinical Trials Unit", Oxford; trialCentre[1] "58 other sites"
    assert [(s.facility, s.city, s.country) for s in record.sites] == [("NPEU Clinical Trials Unit", "Oxford", "GB")]
    assert any("'58 other sites' names no site" in w for w in record.warnings)
    # interventionType "Other", drugNames ""
    assert record.interventions == []
    assert any("without drug names" in w for w in record.warnings)
    # recruitmentCountries "United Kingdom", "England", "Ireland"
    assert record.countries == ["GB", "IE"]


def test_named_parties() -> None:
    """The copy adds the ISRCTN API's sponsor and funder beside the trial, with the sponsor's
    contact details, which must not be read (tests/data/ctrdata/README.md)."""
    record = read(TEST_DATA / "ctrdata" / "isrctn-76463425-parties.json")
    assert [(p.organization, p.role) for p in record.participations] == [
        (
            Organization("University of Oxford", city="Oxford", country="GB", org_type="University/education"),
            "LEAD_SPONSOR",
        ),
        (Organization("NIHR Health Technology Assessment Programme"), "FUNDER"),
    ]
    written = record_graph(record).serialize(format="nt")
    assert "sponsor@example.org" not in written and "1865" not in written


def test_no_contact_is_read() -> None:
    text = "".join(repr(read(p)) for p in sorted(CTRDATA.glob("isrctn-*.json")))
    # the plain English summaries name the contacts; an ethics approval gives a phone number
    for contact in ("Jon.Dorling", "sift@npeu", "Tubagus Ferdi", "afif_faisal", "7864975", "@"):
        assert contact not in text
