"""EU Clinical Trials Information System (CTIS) records, as ctrdata keeps them: one JSON document
per trial (``ctNumber``, ``authorizedPartI``, ``authorizedPartsII``...).

CTIS changed its public JSON in June 2024, and records of both versions occur:

* **before** (``applications``): part I and parts II of the authorised application at the top
  level (``authorizedPartI``, ``authorizedPartsII``), ``primarySponsor`` and ``coSponsors``,
  ``memberStatesConcerned`` with text statuses, ``eudraCtInfo.eudraCtCode``;
* **after** (``authorizedApplication``): the same parts under ``authorizedApplication``, with
  ``memberStatesConcerned`` and ``eudraCt.eudraCtCode`` there too, and statuses as CTIS public
  status codes (``ctPublicStatusCode`` 4 = "Ongoing, recruiting").

A record with neither authorised part falls back to the last authorised entry of ``applications``
(its ``partI`` and ``partIIInfo``).  What is read, and how:

* Identifiers: the CT number (``2023-505613-24-00``, the record's own id, required); the EudraCT
  number of a trial that moved to CTIS under the Clinical Trials Regulation, with the transition
  stated on it (:attr:`graph.model.Identifier.transitioned_to`), which makes it an own id of the
  record for identity; the NCT number and other registries' numbers it cites.
* Sponsors: the primary sponsor is the lead sponsor, co-sponsors are collaborators, with the
  organisation type (``organisation.type``) and the commercial status of the sponsorship; third
  parties to whom sponsor duties were transferred take the CRO role (ICH E6 defines a CRO so);
  sources of monetary support are funders.  Sponsors' addresses give their city and country.
* Member states concerned, each with its status and decision date
  (:class:`graph.model.CountryStatus`); they and the countries outside the EEA of part I are the
  trial's countries.  Sites come from the authorised parts II: organisation, city, postcode and
  the ISO code of the address's country.
* Conditions with their MedDRA terms and the EMA therapeutic areas; products of part I as
  interventions (a medicinal product is a DRUG, an advanced therapy a BIOLOGICAL), with their
  active substances as other names.
* Phase from the CTIS phase text ("Therapeutic exploratory (Phase II)" -> PHASE2), status from
  the public status (text or code; "Ended" with an early-termination notification in every
  member state is TERMINATED), start (actual EU start, else the estimated recruitment start)
  and end dates, enrolment, sex and age groups, end points as outcomes.

Never read: contact persons, their e-mails, phones and addresses (``publicContacts``,
``scientificContacts``, ``contactPointForUnion``, ``legalRepresentative``, the ``personInfo``,
``phone`` and ``email`` of sites), documents, evaluation and RFI history, translations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from graph.model import (
    Condition,
    ConditionTerm,
    CountryStatus,
    Identifier,
    Intervention,
    Organization,
    Outcome,
    PartialDate,
    Participation,
    Site,
    TrialRecord,
)
from graph.normalize.countries import country_code
from graph.normalize.eu import CTIS_PUBLIC_STATUSES, eu_phases, eu_status, therapeutic_area
from graph.normalize.registry_ids import id_matches
from graph.normalize.text import quoted
from graph.sources import BadField
from graph.sources.ctrdata import (
    At,
    Notes,
    add_participation,
    attach_terms,
    ctrname_marker,
    other_names,
    products,
    raw_text,
    register_reader,
    therapeutic_area_term,
)

SOURCE = "ctis"
PAGE_URL = "https://euclinicaltrials.eu/search-for-clinical-trials/?lang=en&EUCT="
_MARKERS = (re.compile(rb'"ctNumber"\s*:'), ctrname_marker("CTIS"))
_EARLY_TERMINATION = re.compile(r"early[ _]termination", re.IGNORECASE)


@dataclass(frozen=True)
class _Parts:
    """The authorised application of a record, whichever CTIS version wrote it."""

    part1: At
    parts2: list[At]
    member_states: list[At]
    eudract: At


def _parts(doc: At) -> _Parts:
    app = doc.get("authorizedApplication")
    if app:
        return _Parts(
            app.get("authorizedPartI"),
            app.get("authorizedPartsII").objects(),
            (app.get("memberStatesConcerned") or doc.get("memberStatesConcerned")).objects(),
            app.get("eudraCt"),
        )
    if doc.get("authorizedPartI"):
        return _Parts(
            doc.get("authorizedPartI"),
            doc.get("authorizedPartsII").objects(),
            doc.get("memberStatesConcerned").objects(),
            doc.get("eudraCtInfo") or doc.get("eudraCt"),
        )
    applications = doc.get("applications").objects()
    authorised = [a for a in applications if (a.get("status").text() or "").casefold() == "authorised"]
    latest = (authorised or applications or [At({}, "applications")])[-1]
    return _Parts(
        latest.get("partI"),
        latest.get("partIIInfo").objects(),
        doc.get("memberStatesConcerned").objects(),
        latest.get("eudraCtInfo"),
    )


# -- identifiers ---------------------------------------------------------------------------------


def _ct_number(doc: At) -> str:
    at = doc.get("ctNumber")
    value = at.text()
    if value is None:
        raise BadField(at.path, "the record has no CT number", hint="every CTIS record has a ctNumber")
    value = value.removeprefix("CTIS")
    if not id_matches("CTIS", value):
        raise BadField(at.path, f"{quoted(value)} is not a CTIS number (YYYY-NNNNNN-NN-NN)")
    return value


def _identifiers(ct: str, parts: _Parts, notes: Notes) -> list[Identifier]:
    ids = [Identifier("CTIS", ct)]
    code_at = parts.eudract.get("eudraCtCode")
    code = code_at.text()
    if code:
        if id_matches("EUDRACT", code):
            moved = parts.eudract.get("isTransitioned").flag() is not False
            ids.append(Identifier("EUDRACT", code, transitioned_to=ct if moved else None))
        else:
            notes.warn(code_at, f"{quoted(code)} is not a EudraCT number; kept as OTHER", "malformed-id")
            ids.append(Identifier("OTHER", code, type="EudraCT number"))
    numbers = parts.part1.get("trialDetails", "clinicalTrialIdentifiers", "secondaryIdentifyingNumbers")
    for key, registry in (("nctNumber", "NCT"), ("isrctnNumber", "ISRCTN")):
        at = numbers.get(key, "number")
        value = at.text()
        if not value:
            continue
        if id_matches(registry, value):
            ids.append(Identifier(registry, value))
        else:
            notes.warn(at, f"{quoted(value)} is not a {registry} id; kept as OTHER", "malformed-id")
            ids.append(Identifier("OTHER", value, type=registry))
    for other in numbers.get("additionalRegistries").objects():
        value = other.get("number").text()
        if value:
            ids.append(Identifier("OTHER", value, type=other.get("otherRegistryName").text()))
    return ids


# -- status --------------------------------------------------------------------------------------


def _status_text(at: At) -> str | None:
    """A CTIS status: a public status code (``4``) or its text."""
    code = at.value
    if isinstance(code, int) and not isinstance(code, bool):
        return CTIS_PUBLIC_STATUSES.get(code, str(code))
    text = at.text()
    if text and text.isdigit():
        return CTIS_PUBLIC_STATUSES.get(int(text), text)
    return text


def _overall_status(doc: At, member_states: int, notes: Notes) -> str | None:
    at = doc.first("ctPublicStatusCode", "ctStatus")
    status, warning = eu_status(_status_text(at))
    if warning:
        notes.warn(at, warning, "unknown-value")
    if status == "COMPLETED" and member_states and _early_terminations(doc) >= member_states:
        return "TERMINATED"
    return status


def _early_terminations(doc: At) -> int:
    """Member states that notified an early termination (either CTIS version)."""
    found = 0
    for state in doc.get("events", "trialEvents").objects():
        kinds = [e.get("notificationType").text() or "" for e in state.get("events").objects()]
        found += any(_EARLY_TERMINATION.search(k) for k in kinds)
    for state in doc.get("mscTrialNotificationsInfoList").objects():
        kinds = [e.get("notificationType").text() or "" for e in state.get("mscNotificationsListInfo").objects()]
        found += any(_EARLY_TERMINATION.search(k) for k in kinds)
    return found


_COUNTRY_STATUS = re.compile(r"([A-Z]{2})\s*:\s*(.*?)(?=,\s*[A-Z]{2}\s*:|$)")


def _listed_statuses(doc: At) -> dict[str, str]:
    """Per-country public statuses of ``trialCountries``: ``"DE:Authorised, not started"`` (before
    June 2024) or ``["Poland:4", ...]`` (after), by ISO code."""
    at = doc.get("trialCountries")
    out: dict[str, str] = {}
    if isinstance(at.value, str):
        for code, status in _COUNTRY_STATUS.findall(at.value):
            out[_state_code(code) or code] = status.strip()
        return out
    for item in at.items():
        name, _, status = (item.text() or "").rpartition(":")
        code = country_code(name)
        if code and status:
            out[code] = CTIS_PUBLIC_STATUSES.get(int(status), status) if status.isdigit() else status
    return out


#: EU member-state codes that are not ISO 3166 alpha-2.
_EU_STATE_CODES = {"EL": "GR", "UK": "GB"}


def _state_code(code: str | None) -> str | None:
    if not code:
        return None
    return _EU_STATE_CODES.get(code.upper(), code.upper())


def _member_state(at: At, notes: Notes) -> str | None:
    code = _state_code(at.get("organisationInfo", "memberStateCountryCode").text())
    if code and country_code(code):
        return country_code(code)
    return notes.country(at.first("mscName", "countryName"))


def _country_statuses(doc: At, parts: _Parts, notes: Notes) -> list[CountryStatus]:
    listed = _listed_statuses(doc)
    out: list[CountryStatus] = []
    for state in parts.member_states:
        code = _member_state(state, notes)
        if code is None or any(c.country == code for c in out):
            continue
        raw = listed.get(code) or _status_text(state.get("mscPublicStatusCode")) or state.get("trialStatus").text()
        status, warning = eu_status(raw)
        if warning:
            notes.warn(state, warning, "unknown-value")
        decided = notes.date(state.get("firstDecisionDate"))
        out.append(CountryStatus(code, status, decided))
    return out


# -- organisations -------------------------------------------------------------------------------


def _address(at: At, notes: Notes) -> tuple[str | None, str | None]:
    """(city, ISO country) of an address object."""
    return at.get("city").text(), notes.country(at.get("countryName"))


def _commercial(sponsor: At) -> bool | None:
    flag = sponsor.get("isCommercial").flag()
    if flag is not None:
        return flag
    text = (sponsor.get("commercial").text() or "").casefold()
    return {"commercial": True, "non-commercial": False}.get(text)


def _sponsor_org(sponsor: At, notes: Notes) -> Organization | None:
    org = sponsor.get("organisation")
    name = org.get("name").text()
    if not name:
        return None
    addresses = sponsor.get("addresses").objects()
    city, country = _address(addresses[0].get("address"), notes) if addresses else (None, None)
    return Organization(name, city=city, country=country, org_type=org.get("type").text())


def _sponsors(doc: At, parts: _Parts, notes: Notes) -> list[Participation]:
    listed = parts.part1.get("sponsors").objects()
    if not listed:
        primary = doc.get("primarySponsor")
        listed = ([primary] if primary else []) + doc.get("coSponsors").objects()
    out: list[Participation] = []
    for sponsor in listed:
        org = _sponsor_org(sponsor, notes)
        if org is None:
            notes.warn(sponsor, "a sponsor without an organisation name; skipped", "unnamed")
            continue
        lead = sponsor.get("primary").flag() is True
        part = Participation(org, "LEAD_SPONSOR" if lead else "COLLABORATOR", None if lead else "co-sponsor")
        add_participation(out, Participation(part.organization, part.role, part.note, _commercial(sponsor)))
        for third in sponsor.get("thirdParties").objects():
            place = third.get("organisationAddress")
            name = place.get("organisation", "name").text()
            if name:
                city, country = _address(place.get("address"), notes)
                kind = place.get("organisation", "type").text()
                cro = Organization(name, city=city, country=country, org_type=kind)
                add_participation(out, Participation(cro, "CRO", "third party with delegated sponsor duties"))
    support = parts.part1.get("trialDetails", "trialInformation", "sourceOfMonetarySupport")
    for funder in support.objects():
        name = funder.get("organisationName").text()
        if name:
            add_participation(out, Participation(Organization(name), "FUNDER"))
    return out


# -- sites and countries -------------------------------------------------------------------------


def _sites(parts: _Parts, notes: Notes) -> list[Site]:
    out: list[Site] = []
    for part in parts.parts2:
        for site in part.get("trialSites").objects():
            place = site.get("organisationAddressInfo")
            name = place.get("organisation", "name").text()
            address = place.get("address")
            if not name:
                notes.warn(place, "a trial site without an organisation name; skipped", "unnamed")
                continue
            city, country = _address(address, notes)
            found = Site(name, city=city, zip=address.get("postcode").text(), country=country)
            if found not in out:
                out.append(found)
    return out


def _countries(statuses: list[CountryStatus], parts: _Parts, notes: Notes) -> list[str]:
    out = [s.country for s in statuses]
    for info in parts.part1.get("rowCountriesInfo").objects():
        code = country_code(info.get("isoAlpha2Code").text()) or notes.country(info.get("name"))
        if code and code not in out:
            out.append(code)
    return out


# -- conditions and products ---------------------------------------------------------------------


def _conditions(doc: At, parts: _Parts) -> tuple[list[Condition], list[ConditionTerm]]:
    """The conditions of part I, and the MedDRA terms and therapeutic areas that code them."""
    info = parts.part1.get("trialDetails", "trialInformation", "medicalCondition")
    listed = info.get("partIMedicalConditions").objects() or parts.part1.get("medicalConditions").objects()
    labels = list(dict.fromkeys(label for c in listed if (label := c.get("medicalCondition").text())))
    terms = [
        ConditionTerm("MedDRA", label, term.get("classificationCode").text())
        for term in info.get("meddraConditionTerms").objects()
        if (label := term.get("termName").text())
    ]
    terms += [therapeutic_area_term(*found) for area in _areas(doc, parts) if (found := therapeutic_area(area))]
    return [Condition(label) for label in labels], terms


def _areas(doc: At, parts: _Parts) -> list[str]:
    """Therapeutic areas of part I, else of the record's summary (a list, or text joined by ", ")."""
    listed = parts.part1.get("partOneTherapeuticAreas").objects()
    areas = [area for a in listed if (area := a.get("therapeuticArea", "name").text())]
    if areas:
        return areas
    top = doc.get("therapeuticAreas")
    return top.texts() if isinstance(top.value, list) else (top.text() or "").split(", ")


_NAME_KEYS = (("productName",), ("productDictionaryInfo", "prodName"), ("nameDisplay",), ("jsonActiveSubstanceNames",))


def _product(product: At) -> Intervention | None:
    names = [n for keys in _NAME_KEYS if (n := product.get(*keys).text())]
    substance = product.get("productDictionaryInfo", "activeSubstanceName").text()
    names += [substance] if substance else []
    if not names:
        return None
    substances = [s.strip() for s in (product.get("jsonActiveSubstanceNames").text() or "").split(",")]
    kind = "BIOLOGICAL" if product.get("anAdvancedTherapyMedicinalProduct").flag() else "DRUG"
    return Intervention(names[0], type=kind, other_names=other_names(names[0], [s for s in substances if s]))


def _outcomes(parts: _Parts) -> list[Outcome]:
    points = parts.part1.get("trialDetails", "trialInformation", "endPoint")
    out: list[Outcome] = []
    for kind, key in (("PRIMARY", "primaryEndPoints"), ("SECONDARY", "secondaryEndPoints")):
        for point in points.get(key).objects():
            measure = point.get("endPoint").text()
            if measure and all(o.measure != measure for o in out):
                out.append(Outcome(kind, measure))
    return out


# -- dates and population ------------------------------------------------------------------------


def _start(doc: At, parts: _Parts, notes: Notes) -> PartialDate | None:
    actual = notes.date(doc.get("startDateEU"), "ACTUAL")
    if actual:
        return actual
    starts = [
        d
        for state in doc.get("events", "trialEvents").objects()
        for e in state.get("events").objects()
        if (e.get("notificationType").text() or "").upper() == "START_OF_TRIAL"
        and (d := notes.date(e.get("date"), "ACTUAL"))
    ]
    if starts:
        return min(starts, key=lambda d: d.value)
    duration = parts.part1.get("trialDetails", "trialInformation", "trialDuration")
    return notes.date(duration.get("estimatedRecruitmentStartDate"), "ESTIMATED")


def _completion(parts: _Parts, status: str | None, notes: Notes) -> PartialDate | None:
    """The estimated end, unless the trial has ended (an ended trial's end is an actual date,
    which these records do not give)."""
    if status in ("COMPLETED", "TERMINATED"):
        return None
    duration = parts.part1.get("trialDetails", "trialInformation", "trialDuration")
    return notes.date(duration.first("estimatedGlobalEndDate", "estimatedEndDate"), "ESTIMATED")


def _registration(doc: At, notes: Notes) -> PartialDate | None:
    if doc.get("submissionDate"):
        return notes.date(doc.get("submissionDate"))
    apps = doc.get("applications").objects() or doc.get("authorizedApplication", "applicationInfo").objects()
    initial = [a for a in apps if (a.get("type").text() or "").upper() == "INITIAL"]
    return notes.date(initial[0].get("submissionDate")) if initial else None


def _sex(doc: At, parts: _Parts) -> str | None:
    words = {w.strip().casefold() for w in (doc.get("gender").text() or "").split(",")}
    if not words - {""}:
        population = parts.part1.get("trialDetails", "trialInformation", "populationOfTrialSubjects")
        words = {
            w for w, key in (("female", "isFemaleSubjects"), ("male", "isMaleSubjects")) if population.get(key).flag()
        }
    female, male = "female" in words, "male" in words
    return "ALL" if female and male else "FEMALE" if female else "MALE" if male else None


_AGE_GROUP = re.compile(r"(\d+)\s*(?:-\s*(\d+)|\+)")


def _ages(doc: At) -> tuple[str | None, str | None]:
    """(minimum, maximum) age from CTIS age groups ("0-17 years, 18-64 years, 65+ years")."""
    groups = _AGE_GROUP.findall(doc.get("ageGroup").text() or "")
    if not groups:
        return None, None
    low = min(int(a) for a, _b in groups)
    highs = [int(b) for _a, b in groups if b]
    open_ended = any(not b for _a, b in groups)
    return (f"{low} Years" if low else None), (None if open_ended or not highs else f"{max(highs)} Years")


def _version(doc: At, notes: Notes) -> str | None:
    updated = notes.date(doc.get("lastUpdated"))
    if updated:
        return updated.value
    raw = doc.get("record_last_import").text()
    return raw.replace(" ", "T", 1) if raw else None


# -- the record ----------------------------------------------------------------------------------


def to_record(doc: At, source_file: str) -> TrialRecord:
    """One CTIS document as a record; raises :class:`BadField` when it cannot be read."""
    ct = _ct_number(doc)
    parts = _parts(doc)
    notes = Notes()
    identifiers = parts.part1.get("trialDetails", "clinicalTrialIdentifiers")
    statuses = _country_statuses(doc, parts, notes)
    status = _overall_status(doc, len(statuses), notes)
    phases = eu_phases(doc.get("trialPhase").text())
    if phases is None:
        notes.warn(doc.get("trialPhase"), "names no phase; kept as text", "unknown-value")
        phases = [doc.get("trialPhase").text() or ""]
    minimum, maximum = _ages(doc)
    record = TrialRecord(
        source=SOURCE,
        record_id=ct,
        source_file=source_file,
        identifiers=_identifiers(ct, parts, notes),
        version=_version(doc, notes),
        title=identifiers.get("publicTitle").text() or doc.get("title").text(),
        official_title=identifiers.get("fullTitle").text() or doc.get("title").text(),
        acronym=identifiers.get("shortTitle").text() or doc.get("shortTitle").text(),
        status=status,
        phases=phases,
        study_type="INTERVENTIONAL",
        enrollment=doc.get("totalNumberEnrolled").integer(),
        start_date=_start(doc, parts, notes),
        completion_date=_completion(parts, status, notes),
        registration_date=_registration(doc, notes),
        sex=_sex(doc, parts),
        minimum_age=minimum,
        maximum_age=maximum,
        participations=_sponsors(doc, parts, notes),
        sites=_sites(parts, notes),
        countries=_countries(statuses, parts, notes),
        country_statuses=statuses,
        interventions=products(parts.part1.get("products").objects(), _product, notes),
        outcomes=_outcomes(parts),
        url=PAGE_URL + ct,
    )
    record.conditions, terms = _conditions(doc, parts)
    attach_terms(record, terms)
    record.warnings = notes.warnings
    return record


def _label(raw: Any) -> str | None:
    return raw_text(raw, "ctNumber")


#: Sniffed by a top-level ``ctNumber`` near the start, or ctrdata's ``ctrname``.
FORMAT = register_reader(
    SOURCE, "EU CTIS trial JSON as ctrdata keeps it: one trial per file", _MARKERS, to_record, _label
)
