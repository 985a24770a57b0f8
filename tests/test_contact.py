"""One contact-detail rule for every reader, text handled in linear time, and a length cap per
field (issue 19 item 2: the ICTRP e-mail pattern was quadratic on long word runs).

Times here are generous bounds that catch a hang (the old pattern took 21 s on an 80,000-character
title and minutes on 10 MB), not benchmarks: ``bench/bench_text.py`` measures.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import ModuleType

import pytest

from graph.contact import MASK, PHONE_DIGITS, person_contact, scrub
from graph.errors import RecordError
from graph.model import TrialRecord
from graph.normalize.text import MAX_FIELD_CHARS
from graph.sources import ctgov, ctis, curated, euctr, ictrp, isrctn

from .conftest import CTGOV_DIR, SHARED_DATA, TEST_DATA

#: Seconds within which any reader must finish one hostile record.
HANG = 10.0

# -- the rule ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("jane.doe@chu-grenoble.fr", "e-mail address"),
        ("Jane Doe, +33 4 76 76 75 75", "phone number"),
        ("Jane Doe (01) 23 45 67 89", "phone number"),
        ("Fellow 2016-2020", None),  # a period, not a phone number
        ("Department of Neurology, Room 412", None),
        ("Jane Doe", None),
    ],
)
def test_a_value_about_a_person(text: str, found: str | None) -> None:
    assert person_contact(text) == found


@pytest.mark.parametrize(
    ("text", "scrubbed", "found"),
    [
        ("Questions to jane.doe@chu-grenoble.fr please", f"Questions to {MASK} please", "e-mail address"),
        ("Tel: +33 4 76 76 75 75 (office)", f"Tel: {MASK} (office)", "phone number"),
        ("Phone 555-123-4567.", f"Phone {MASK}.", "phone number"),
        ("call +1 (617) 555 0100", f"call {MASK}", "phone number"),
        # unmarked digit runs in free text are ids, dates and counts
        ("EudraCT 2015-001894-41, 2019-2021", "EudraCT 2015-001894-41, 2019-2021", None),
        ("pH 7.35-7.45 in 1200 patients", "pH 7.35-7.45 in 1200 patients", None),
        ("Tel Aviv Sourasky Medical Center", "Tel Aviv Sourasky Medical Center", None),
        ("telmisartan 40 mg", "telmisartan 40 mg", None),
        ("a@b", "a@b", None),  # no domain
    ],
)
def test_free_text(text: str, scrubbed: str, found: str | None) -> None:
    assert scrub(text) == (scrubbed, found)


def test_seven_digits_make_a_phone_number_and_six_do_not() -> None:
    assert PHONE_DIGITS == 7
    assert person_contact("Ann 123 4567") == "phone number"
    assert person_contact("Ann 123 456") is None


# -- every reader applies it -----------------------------------------------------------------------


def test_ctgov_drops_an_affiliation_holding_a_phone_number() -> None:
    """NCT02552212.json, overallOfficials[0].affiliation holds a telephone number (read in the
    file); the official is kept, without the affiliation."""
    (record,) = [r for r in ctgov.read(CTGOV_DIR / "NCT02552212.json") if isinstance(r, TrialRecord)]
    data = json.loads((CTGOV_DIR / "NCT02552212.json").read_text())
    official = data["protocolSection"]["contactsLocationsModule"]["overallOfficials"][0]
    assert person_contact(official["affiliation"]) == "phone number"
    assert record.officials[0].name == official["name"] and record.officials[0].affiliation is None
    (warning,) = [w for w in record.warnings if w.kind == "contact-details"]
    assert warning.startswith("protocolSection.contactsLocationsModule.overallOfficials[0].affiliation: ")


def test_ctgov_masks_an_email_address_in_free_text(tmp_path: Path) -> None:
    study = _study(briefTitle="A study; questions to trials@example.org")
    record = _one_ctgov(tmp_path, study)
    assert record.title == f"A study; questions to {MASK}"
    assert [w.kind for w in record.warnings] == ["contact-details"]
    assert "identificationModule.briefTitle" in record.warnings[0]


def test_ictrp_masks_an_email_address() -> None:
    """tests/data/ictrp/mixed-records.xml: Primary_outcome of EUCTR2016-001902-40-BE ends with an
    e-mail address."""
    record = next(r for r in ictrp.read(TEST_DATA / "ictrp" / "mixed-records.xml") if isinstance(r, TrialRecord))
    assert record.outcomes[0].measure.endswith(MASK)
    assert any(w.kind == "contact-details" and w.startswith("Primary_outcome: ") for w in record.warnings)


def test_curated_drops_an_affiliation_holding_an_email_address() -> None:
    """tests/data/curated/kept/contact.yaml: officials[0].affiliation is an e-mail address; the
    record loads (it was rejected before the rule was shared)."""
    (record,) = list(curated.read(TEST_DATA / "curated" / "kept" / "contact.yaml"))
    assert isinstance(record, TrialRecord), str(record)
    assert [(p.name, p.affiliation) for p in record.officials] == [("Jane Example", None)]
    assert [(w.kind, w.split(":")[0]) for w in record.warnings] == [("contact-details", "officials[0].affiliation")]


def test_curated_drops_a_name_holding_a_phone_number() -> None:
    text = "identifiers: [{registry: NCT, value: NCT00000001}]\nofficials: [{name: 'Ann, +33 4 76 76 75 75'}]\n"
    record = curated.parse(text, source_file="inline.yaml", record_id="inline")
    assert isinstance(record, TrialRecord), str(record)
    assert record.officials == []
    assert [w.kind for w in record.warnings] == ["contact-details"]


#: Free text holding an e-mail address and a phone number marked as one ("Tel:"): the rule masks
#: both, whichever reader reads the text.
CONTACT_TEXT = "Questions to trial.desk@example.org or Tel: +33 4 76 76 75 75"
MASKED = f"Questions to {MASK} or Tel: {MASK}"


@pytest.mark.parametrize(
    ("reader", "name", "keys"),
    [
        (
            ctis,
            "ctis-2023-505613-24-00.json",
            ("authorizedApplication", "authorizedPartI", "trialDetails", "clinicalTrialIdentifiers", "fullTitle"),
        ),
        (euctr, "euctr-2013-000615-24-BE.json", ("a3_full_title_of_the_trial",)),
        (isrctn, "isrctn-12949496.json", ("trialDescription", "scientificTitle")),
    ],
    ids=["ctis", "euctr", "isrctn"],
)
def test_each_ctrdata_reader_masks_contact_details_in_free_text(
    tmp_path: Path, reader: ModuleType, name: str, keys: tuple[str, ...]
) -> None:
    """The real record ../shared/data/ctrdata/<name> with :data:`CONTACT_TEXT` written into the
    field its reader takes the official title from (the path ``keys``)."""
    doc = json.loads((SHARED_DATA / "ctrdata" / name).read_text(encoding="utf-8"))
    parent = doc
    for key in keys[:-1]:
        parent = parent[key]
    parent[keys[-1]] = CONTACT_TEXT
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    (record,) = list(reader.FORMAT.read(path))
    assert isinstance(record, TrialRecord), str(record)
    assert record.official_title == MASKED
    assert [w.split(":")[0] for w in record.warnings if w.kind == "contact-details"] == [".".join(keys)]


def test_ictrp_masks_a_phone_number_marked_as_one(tmp_path: Path) -> None:
    """ICTRP masked e-mail addresses only before the rule was shared (issue 17)."""
    record, _ = _timed_ictrp(_ictrp_file(tmp_path, CONTACT_TEXT))
    assert record.title == MASKED
    assert [w.split(":")[0] for w in record.warnings if w.kind == "contact-details"] == ["Public_title"]


# -- linear time and the length cap --------------------------------------------------------------------


def _ictrp_file(tmp_path: Path, title: str) -> Path:
    path = tmp_path / "long.xml"
    path.write_text(
        "<Trials_downloaded_from_ICTRP><Trial><TrialID>NCT09999991</TrialID>"
        f"<Public_title>{title}</Public_title><Condition>Stroke</Condition></Trial>"
        "</Trials_downloaded_from_ICTRP>",
        encoding="utf-8",
    )
    return path


def _timed_ictrp(path: Path) -> tuple[TrialRecord, float]:
    started = time.perf_counter()
    (record,) = list(ictrp.read(path))
    assert isinstance(record, TrialRecord), str(record)
    return record, time.perf_counter() - started


def test_regression_ictrp_email_pattern_is_not_quadratic(tmp_path: Path) -> None:
    """Issue 19, item 2: an 80,000-character word run in a title took 21 s."""
    record, seconds = _timed_ictrp(_ictrp_file(tmp_path, "a" * 80_000))
    assert record.title == "a" * 80_000
    assert seconds < HANG


@pytest.mark.parametrize(
    "hostile",
    [
        "a." * 400_000,  # a word run of the old e-mail pattern's local part
        "@" * 800_000,  # every position an '@'
        "a@" * 400_000,
        "&lt;br" * 150_000,  # markup tags that never close
        "Tel " * 200_000,
        "1 " * 400_000,
    ],
)
def test_a_ten_megabyte_class_field_is_cut_in_linear_time(tmp_path: Path, hostile: str) -> None:
    record, seconds = _timed_ictrp(_ictrp_file(tmp_path, hostile))
    assert seconds < HANG
    (warning,) = [w for w in record.warnings if w.kind == "long-field"]
    assert warning.startswith("Public_title: ") and f"{MAX_FIELD_CHARS:,}" in warning
    assert record.title is not None and len(record.title) <= MAX_FIELD_CHARS


def _study(**ident: str) -> dict[str, object]:
    return {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT09999991", **ident},
            "conditionsModule": {"conditions": ["Stroke"]},
        }
    }


def _one_ctgov(tmp_path: Path, study: dict[str, object]) -> TrialRecord:
    path = tmp_path / "study.json"
    path.write_text(json.dumps(study), encoding="utf-8")
    (record,) = list(ctgov.read(path))
    assert isinstance(record, TrialRecord), str(record)
    return record


def test_ctgov_cuts_a_long_field_and_names_it(tmp_path: Path) -> None:
    started = time.perf_counter()
    record = _one_ctgov(tmp_path, _study(briefTitle="word " * 50_000, officialTitle="x@" * 200_000))
    assert time.perf_counter() - started < HANG
    assert record.title is not None and len(record.title) <= MAX_FIELD_CHARS
    long_fields = sorted(w.split(":")[0] for w in record.warnings if w.kind == "long-field")
    assert long_fields == [
        "protocolSection.identificationModule.briefTitle",
        "protocolSection.identificationModule.officialTitle",
    ]


def test_curated_cuts_a_long_field_and_names_it() -> None:
    text = f"identifiers: [{{registry: NCT, value: NCT00000001}}]\ntitle: '{'b' * (MAX_FIELD_CHARS + 10)}'\n"
    record = curated.parse(text, source_file="inline.yaml", record_id="inline")
    assert isinstance(record, TrialRecord), str(record)
    assert record.title == "b" * MAX_FIELD_CHARS
    assert [(w.kind, w.split(":")[0]) for w in record.warnings] == [("long-field", "title")]


def test_an_error_still_names_the_record(tmp_path: Path) -> None:
    study = _study(briefTitle="t")
    study["protocolSection"]["statusModule"] = {"startDateStruct": {"date": "2019-13"}}  # type: ignore[index]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(study), encoding="utf-8")
    (error,) = list(ctgov.read(path))
    assert isinstance(error, RecordError) and error.record == "NCT09999991"
