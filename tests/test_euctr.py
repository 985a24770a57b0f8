"""The EU Clinical Trials Register reader on the three real member-state records of
../shared/data/ctrdata (Belgium, Germany, Spain; the German and Spanish ones with results).
Expected values are read by hand from the field named beside them."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.model import Condition, ConditionTerm, CountryStatus, Design, Organization, PartialDate, TrialRecord
from graph.normalize.countries import countries_in
from graph.sources import euctr
from tests.conftest import SHARED_DATA

CTRDATA = SHARED_DATA / "ctrdata"
BE = CTRDATA / "euctr-2013-000615-24-BE.json"
DE = CTRDATA / "euctr-2016-004489-24-DE.json"
ES = CTRDATA / "euctr-2019-002663-10-ES.json"


def read(path: Path) -> TrialRecord:
    (record,) = list(euctr.FORMAT.read(path))
    assert isinstance(record, TrialRecord), record
    return record


def test_record_id_is_the_member_state_key() -> None:
    # a2_eudract_number + the member state of a1_member_state_concerned ("Germany - PEI")
    record = read(DE)
    assert record.record_id == "EUCTR2016-004489-24-DE"
    assert record.url == "https://www.clinicaltrialsregister.eu/ctr-search/trial/2016-004489-24/DE"


def test_status_in_the_member_state_and_overall() -> None:
    be = read(BE)
    # x5_trial_status "Prematurely Ended"; no results section
    assert be.country_statuses == [CountryStatus("BE", "TERMINATED")]
    assert (be.status, be.completion_date) == ("TERMINATED", None)
    es = read(ES)
    # x5_trial_status "Ongoing" in Spain; results: isGlobalEndOfTrialReached "true",
    # globalEndOfTrialPremature "false", globalEndOfTrialDate 2024-05-30, recruitmentStartDate
    # 2020-03-26
    assert es.country_statuses == [CountryStatus("ES", "ONGOING")]
    assert es.status == "COMPLETED"
    assert es.completion_date == PartialDate("2024-05-30", "day", "ACTUAL")
    assert es.start_date == PartialDate("2020-03-26", "day", "ACTUAL")
    # x6: first entered into EudraCT 2020-05-10
    assert es.registration_date == PartialDate("2020-05-10", "day")


def test_sponsors_sources_of_support_and_commercial_status() -> None:
    be = read(BE)
    # b1_sponsor[0]: Cliniques universitaires Saint-Luc, Belgium, "Non-Commercial"; B.4.1 source
    # of support "Cliniques universitaires SAINT-LUC", Belgium
    assert [(p.organization, p.role, p.commercial) for p in be.participations] == [
        (Organization("Cliniques universitaires Saint-Luc", country="BE"), "LEAD_SPONSOR", False),
        (Organization("Cliniques universitaires SAINT-LUC", country="BE"), "FUNDER", None),
    ]
    # Biogen Idec Research Limited, United Kingdom, "Commercial"
    lead = read(ES).participations[0]
    assert (lead.organization.name, lead.organization.country, lead.commercial) == (
        "Biogen Idec Research Limited",
        "GB",
        True,
    )


def test_phases_design_population() -> None:
    es = read(ES)
    # E.7.2 and E.7.3 "Yes"; E.8.1.1 randomised; no masking or model ticked (E.8.1.7 "other")
    assert es.phases == ["PHASE2", "PHASE3"]
    assert es.design == Design(allocation="RANDOMIZED")
    # F.4.2.2 100 in the whole trial (planned); F.1.1 under 18 and F.1.2 adults, not F.1.3
    assert (es.enrollment, es.enrollment_type) == (100, "ESTIMATED")
    assert (es.minimum_age, es.maximum_age, es.sex, es.healthy_volunteers) == (None, "64 Years", "ALL", False)
    # randomised, single blind, parallel group
    assert read(DE).design == Design(allocation="RANDOMIZED", model="PARALLEL", masking="SINGLE")


def test_condition_with_meddra_and_therapeutic_area() -> None:
    # e11 "Muscular Atrophy, Spinal"; e12: version 20.1 PT 10041582 "Spinal muscular atrophy";
    # e112 "Diseases C - Musculoskeletal Diseases C05"
    assert read(ES).conditions == [
        Condition(
            "Muscular Atrophy, Spinal",
            terms=(
                ConditionTerm("MedDRA", "Spinal muscular atrophy", "10041582"),
                ConditionTerm("EMA therapeutic area", "Musculoskeletal Diseases", "C05"),
            ),
        )
    ]


def test_products_as_interventions() -> None:
    # dimp[0]: product name "FS Grifols", trade name "VeraSeal EU/ VistaSeal USA", INNs "Human
    # Fibrinogen" and "Human Thrombin", biological origin "Yes"; dimp[1] "Evicel" (comparator)
    de = read(DE).interventions
    assert [(i.name, i.type, i.other_names) for i in de] == [
        ("FS Grifols", "BIOLOGICAL", ("VeraSeal EU/ VistaSeal USA", "Human Fibrinogen", "Human Thrombin")),
        ("Evicel", "BIOLOGICAL", ("Human Thrombin", "Human Fibrinogen")),
    ]


def test_no_contact_point_is_read() -> None:
    text = repr(read(BE)) + repr(read(DE)) + repr(read(ES))
    # b52, b54, b55, b56 and the results' publicContact
    for contact in ("Prof Reding", "3227641401", "34935712482", "raymond.reding", "clinicaltrials@biogen.com", "@"):
        assert contact not in text


@pytest.mark.parametrize(
    ("text", "codes", "unknown"),
    [
        ("Bulgaria Canada France Germany Hungary Romania Serbia Sweden United Kingdom United States",
         ["BG", "CA", "FR", "DE", "HU", "RO", "RS", "SE", "GB", "US"], []),
        ("Italy Korea, Republic of Latvia Russian Federation Saudi Arabia", ["IT", "KR", "LV", "RU", "SA"], []),
        ("Spain Atlantis France", ["ES", "FR"], ["Atlantis"]),
        ("", [], []),
    ],
)  # fmt: skip
def test_countries_run_together(text: str, codes: list[str], unknown: list[str]) -> None:
    assert countries_in(text) == (codes, unknown)
