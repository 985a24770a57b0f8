"""The CTIS reader on the three real records of ../shared/data/ctrdata (two written before CTIS
changed its JSON in June 2024, ``applications``; one after, ``authorizedApplication``), and the
EU phase and status texts.  Expected values are read by hand from the JSON path named beside them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from graph.model import Condition, ConditionTerm, CountryStatus, Identifier, Organization, PartialDate, TrialRecord
from graph.namespace import TG, concept
from graph.normalize.eu import eu_phases, eu_status
from graph.rdf import record_graph
from graph.sources import ctgov, ctis
from tests.conftest import CTGOV_DIR, SHARED_DATA, TEST_DATA

CTRDATA = SHARED_DATA / "ctrdata"
BEFORE = CTRDATA / "ctis-2022-500244-37-00.json"  # applications, primarySponsor, text statuses
AFTER = CTRDATA / "ctis-2023-505613-24-00.json"  # authorizedApplication, status codes
MOVED = CTRDATA / "ctis-2023-508143-51-01.json"  # applications; eudraCtInfo.eudraCtCode


def read(path: Path) -> TrialRecord:
    (record,) = list(ctis.FORMAT.read(path))
    assert isinstance(record, TrialRecord), record
    return record


# -- texts ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phases"),
    [
        ("Therapeutic exploratory (Phase II)", ["PHASE2"]),
        ("Therapeutic confirmatory (Phase III)", ["PHASE3"]),
        ("Therapeutic use (Phase IV)", ["PHASE4"]),
        ("Human pharmacology (Phase I) - First administration to humans", ["PHASE1"]),
        ("Phase I and Phase II (Integrated)", ["PHASE1", "PHASE2"]),
        ("Phase II/III", ["PHASE2", "PHASE3"]),
        ("", []),
        ("Not specified", None),
    ],
)
def test_ctis_phase_texts(text: str, phases: list[str] | None) -> None:
    assert eu_phases(text) == phases


@pytest.mark.parametrize(
    ("text", "status", "warned"),
    [
        ("Authorised, not started", "NOT_YET_RECRUITING", False),
        ("Authorised, recruitment pending", "NOT_YET_RECRUITING", False),
        ("Ongoing, recruiting", "RECRUITING", False),
        ("Ongoing, recruitment ended", "ACTIVE_NOT_RECRUITING", False),
        ("Temporarily halted", "SUSPENDED", False),
        ("Ended", "COMPLETED", False),
        ("Prematurely Ended", "TERMINATED", False),
        ("Authorised", "AUTHORISED", False),  # the coarse status concept (no one API v2 equivalent)
        ("Under evaluation", "Under evaluation", False),
        ("Frozen", "Frozen", True),
    ],
)
def test_eu_status_texts(text: str, status: str, warned: bool) -> None:
    value, warning = eu_status(text)
    assert value == status
    assert (warning is not None) == warned


# -- the records ---------------------------------------------------------------------------------


def test_files_sniff_as_ctis_and_not_as_ctgov() -> None:
    for path in (BEFORE, AFTER, MOVED):
        assert ctis.FORMAT.sniff(path)
    assert not ctis.FORMAT.sniff(CTGOV_DIR / "NCT03418623.json")


def test_sniff_finds_ctrname_at_the_end_of_a_large_file(tmp_path: Path) -> None:
    """ctrdata appends ``ctrname``; a record whose first keys are long holds nothing else to go by."""
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"documents": ["x" * 100_000], "ctrname": "CTIS"}))
    assert ctis.FORMAT.sniff(path)
    assert not ctgov.FORMAT.sniff(path)  # ctgov wants "protocolSection" or "studies" near the start


def test_transitioned_eudract_number() -> None:
    # authorizedApplication.eudraCt: {"isTransitioned": true, "eudraCtCode": "2019-003842-34"}
    assert Identifier("EUDRACT", "2019-003842-34", transitioned_to="2023-505613-24-00") in read(AFTER).identifiers
    # eudraCtInfo: {"eudraCtCode": "2021-004994-30", "hasVhp": false}
    assert Identifier("EUDRACT", "2021-004994-30", transitioned_to="2023-508143-51-01") in read(MOVED).identifiers
    assert [i.registry for i in read(BEFORE).identifiers] == ["CTIS"]  # no EudraCT number


def test_member_states_with_their_status_and_decision() -> None:
    # trialCountries "DE:Authorised, not started"; memberStatesConcerned[0].firstDecisionDate
    assert read(BEFORE).country_statuses == [
        CountryStatus("DE", "NOT_YET_RECRUITING", PartialDate("2022-08-03", "day"))
    ]
    # trialCountries ["Poland:4", "Belgium:4", "Greece:4"] (4 = "Ongoing, recruiting");
    # authorizedApplication.memberStatesConcerned[].firstDecisionDate
    assert read(AFTER).country_statuses == [
        CountryStatus("PL", "RECRUITING", PartialDate("2024-04-12", "day")),
        CountryStatus("BE", "RECRUITING", PartialDate("2024-04-15", "day")),
        CountryStatus("GR", "RECRUITING", PartialDate("2024-06-17", "day")),
    ]


def test_overall_status_phase_and_dates() -> None:
    before = read(BEFORE)
    # ctStatus "Authorised, not started"; trialDuration estimatedRecruitmentStartDate 2022-06-01,
    # estimatedGlobalEndDate 2023-12-31; totalNumberEnrolled "150"
    assert (before.status, before.phases, before.enrollment) == ("NOT_YET_RECRUITING", ["PHASE2"], 150)
    assert before.start_date == PartialDate("2022-06-01", "day", "ESTIMATED")
    assert before.completion_date == PartialDate("2023-12-31", "day", "ESTIMATED")
    after = read(AFTER)
    # ctPublicStatusCode 4; startDateEU "28/04/2021" (actual); lastUpdated "19/08/2025"
    assert after.status == "RECRUITING"
    assert after.start_date == PartialDate("2021-04-28", "day", "ACTUAL")
    assert after.version == "2025-08-19"
    # trialPhase "Therapeutic use (Phase IV)"
    assert read(MOVED).phases == ["PHASE4"]


def test_sponsors_with_type_and_commercial_status() -> None:
    before = read(BEFORE)
    # primarySponsor: Kinarus AG, "Pharmaceutical company", commercial "Non-Commercial", address
    # Basel, Switzerland; the three coSponsors entries are the primary sponsor again
    # (primary: true); sourceOfMonetarySupport: Kinarus AG
    assert [(p.organization, p.role, p.commercial) for p in before.participations] == [
        (
            Organization("Kinarus AG", city="Basel", country="CH", org_type="Pharmaceutical company"),
            "LEAD_SPONSOR",
            False,
        ),
        (Organization("Kinarus AG"), "FUNDER", None),
    ]
    after = read(AFTER)
    # authorizedPartI.sponsors[0]: Merck Sharp & Dohme LLC, isCommercial true, Rahway (US); its
    # thirdParties with sponsor duties: Syneos Health Clinique Inc. (Quebec, Canada), Covance
    # Central Laboratory Services Inc., Parexel International Corp.
    roles = [(p.organization.name, p.role, p.commercial) for p in after.participations]
    assert roles == [
        ("Merck Sharp & Dohme LLC", "LEAD_SPONSOR", True),
        ("Syneos Health Clinique Inc.", "CRO", None),
        ("Covance Central Laboratory Services Inc.", "CRO", None),
        ("Parexel International Corp.", "CRO", None),
        ("Merck Sharp & Dohme LLC", "FUNDER", None),
    ]
    assert after.participations[1].organization.country == "CA"
    # sourceOfMonetarySupport: Roessingh, Medtronic, neurobionic foundation
    funders = [p.organization.name for p in read(MOVED).participations if p.role == "FUNDER"]
    assert funders == ["Roessingh", "Medtronic", "neurobionic foundation"]


def test_conditions_with_meddra_and_therapeutic_area() -> None:
    # partIMedicalConditions "COVID-19"; meddraConditionTerms PT 10084268 "COVID-19";
    # partOneTherapeuticAreas "Diseases [C] - Virus Diseases [C02]"
    assert read(BEFORE).conditions == [
        Condition(
            "COVID-19",
            terms=(
                ConditionTerm("MedDRA", "COVID-19", "10084268"),
                ConditionTerm("EMA therapeutic area", "Virus Diseases", "C02"),
            ),
        )
    ]
    # no MedDRA term, therapeutic area "... Nervous System Diseases [C10]"
    assert read(MOVED).conditions == [
        Condition(
            "Spinal cord Injury", terms=(ConditionTerm("EMA therapeutic area", "Nervous System Diseases", "C10"),)
        )
    ]


def test_products_as_interventions() -> None:
    # authorizedPartI.products: two test products without a product name (their active
    # substances "pioglitazone hydrochloride", "pamapimod") and two placebos
    names = [i.name for i in read(BEFORE).interventions]
    assert names == ["pioglitazone hydrochloride", "Pioglitazone Placebo", "pamapimod", "Pamapimod Placebo"]
    # "Noxafil 300 mg ..." (active substance posaconazole) and "Posaconazole" twice
    after = read(AFTER).interventions
    assert [(i.name, i.type, i.other_names) for i in after] == [
        ("Noxafil 300 mg concentrate for solution for infusion", "DRUG", ("posaconazole",)),
        ("Posaconazole", "DRUG", ()),
    ]


def test_records_of_both_versions_read_from_applications_alone() -> None:
    """A copy of ctis-2023-508143-51-01 without authorizedPartI and authorizedPartsII reads the
    same from applications[0].partI and .partIIInfo (tests/data/ctrdata/README.md)."""
    full = read(MOVED)
    only = read(TEST_DATA / "ctrdata" / "ctis-2023-508143-51-01-applications-only.json")
    assert only.sites == full.sites and len(only.sites) == 2
    assert only.participations == full.participations
    assert only.conditions == full.conditions and only.interventions == full.interventions
    assert only.identifiers == full.identifiers


def test_no_contact_is_read() -> None:
    text = repr(read(AFTER)) + repr(read(BEFORE)) + repr(read(MOVED))
    # publicContacts functionalName / functionalEmailAddress / telephone; site personInfo
    for contact in ("Stephen Holden", "stephen.holden@msd.com", "+4407812737032", "Claudia Berger", "Wyen", "@"):
        assert contact not in text


# -- triples -------------------------------------------------------------------------------------

TRIAL = URIRef("https://w3id.org/trialgraph/id/trial/2019-003842-34")
ID = "https://w3id.org/trialgraph/id/"
XSD_DATE = URIRef("http://www.w3.org/2001/XMLSchema#date")


def triples_of(path: Path) -> Graph:
    """The record's graph with the trial IRI identity resolution gives it: from its own ids (the
    CT number and the EudraCT number it moved from), EudraCT ranking first."""
    return record_graph(read(path), Identifier("EUDRACT", "2019-003842-34"))


def test_country_status_triples() -> None:
    g = triples_of(AFTER)
    nodes = set(g.objects(TRIAL, TG.trialCountry))
    found = Graph()
    for node in nodes:
        found.add((TRIAL, TG.trialCountry, node))
        for p, o in g.predicate_objects(node):
            found.add((node, p, o))
    expected = Graph()
    for code, day in (("PL", "2024-04-12"), ("BE", "2024-04-15"), ("GR", "2024-06-17")):
        node = URIRef(f"{TRIAL}/country/{code}")
        expected.add((TRIAL, TG.trialCountry, node))
        expected.add((node, RDF.type, TG.TrialCountry))
        expected.add((node, TG.atCountry, URIRef(f"{ID}country/{code}")))
        expected.add((node, TG.countryStatus, concept("status", "RECRUITING")))
        expected.add((node, TG.decisionDate, Literal(day, datatype=XSD_DATE)))
    assert isomorphic(found, expected)


def test_transition_condition_term_and_sponsor_triples() -> None:
    g = triples_of(AFTER)
    eudract, ct = URIRef(f"{ID}identifier/eudract/2019-003842-34"), URIRef(f"{ID}identifier/ctis/2023-505613-24-00")
    assert (eudract, TG.transitionedTo, ct) in g
    meddra = URIRef(f"{ID}term/meddra/10017534")  # LLT 10017534 "Fungal infection NOS"
    assert (URIRef(f"{ID}condition/fungal-infection"), TG.conditionTerm, meddra) in g
    assert (meddra, TG.termVocabulary, Literal("MedDRA")) in g
    msd = URIRef(f"{ID}org/merck-sharp-dohme")
    assert (msd, TG.organizationType, Literal("Pharmaceutical company")) in g
    lead = URIRef(f"{TRIAL}/participation/lead_sponsor/merck-sharp-dohme")
    assert (lead, TG.commercial, Literal(True)) in g
