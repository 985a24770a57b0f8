"""ISRCTN registry records, as ctrdata keeps them: the ISRCTN API's trial record converted from
XML to one JSON document (``isrctn``, ``trialDescription``, ``externalRefs``, ``trialDesign``,
``participants``, ``conditions``, ``interventions``, ``parties``...).

An element that occurs once is an object and one that occurs more often an array
(``trialCentre``, ``secondaryNumber``, ``country``); both are read.  What is read, and how:

* Identifiers: ``ISRCTN`` + the number (own id, required); the external refs as identifiers of
  the same trial: the EudraCT number, the ClinicalTrials.gov number, the IRAS number (the UK
  Health Research Authority's, as OTHER with type IRAS), the protocol serial number (the
  sponsor's own study id) and any further secondary number (a trial registry's when it has that
  registry's form, such as a CTIS number, else OTHER).  "Nil known", "N/A" and empty refs are not
  ids.
* Parties: the ISRCTN API puts sponsors and funders beside the trial; ctrdata's documents keep only
  their ids (``parties.sponsorId``), which name nothing and are not read.  Where a document holds
  the parties themselves (``sponsor``/``funder`` objects at the top level or under ``parties``),
  the first sponsor is the lead sponsor (with its ``sponsorType`` as organisation type, its city
  and country), the others collaborators, and funders are funders.
* Conditions with their ISRCTN category (``diseaseClass1``) and ICD-10 category
  (``diseaseClass2``) as terms; interventions (``drugNames``, split on commas, typed from
  ``interventionType``); phase; study type and design; enrolment (the final enrolment, else the
  target); sex and age limits; recruitment countries; trial centres as sites (an entry such as "58
  other sites" names no site and is left out); recruitment start and overall end dates; outcomes;
  PubMed ids found in the publication details.
* Status: only what the record states, its status override ("Stopped" is TERMINATED, with the
  reason abandoned as why stopped).  The ISRCTN web site derives "ongoing" or "completed" from
  the dates and today's date; trialgraph does not, so that a record gives the same graph every
  day.

Never read: contacts (``parties.contactId``, and the people named in the plain English summary,
which is not read at all), ethics approval texts (they carry committees' addresses and phones),
attached files and outputs.
"""

from __future__ import annotations

import re
from typing import Any

from graph.model import (
    Condition,
    ConditionTerm,
    Design,
    Identifier,
    Intervention,
    Organization,
    Outcome,
    Participation,
    Site,
    TrialRecord,
)
from graph.normalize.registry_ids import guess_registry, id_matches
from graph.normalize.text import quoted
from graph.normalize.vocab import enum_value
from graph.sources import BadField
from graph.sources.ctrdata import (
    At,
    Notes,
    add_intervention,
    add_participation,
    attach_terms,
    ctrname_marker,
    is_placeholder,
    raw_text,
    register_reader,
    version,
)
from graph.sources.ictrp_values import parse_phase

SOURCE = "isrctn"
PAGE_URL = "https://www.isrctn.com/"
_MARKERS = (re.compile(rb'^\s*\{\s*"isrctn"\s*:'), ctrname_marker("ISRCTN"))
_NOT_A_SITE = re.compile(r"^\d+\s+(other\s+)?(sites?|centres?|centers?|hospitals?)\b", re.IGNORECASE)
_PUBMED = re.compile(r"(?:pubmed\.ncbi\.nlm\.nih\.gov/|ncbi\.nlm\.nih\.gov/pubmed/)(\d{1,9})")


def _own(doc: At) -> str:
    at = doc.get("isrctn")
    value = at.text()
    if value is None:
        raise BadField(at.path, "the record has no ISRCTN", hint="every ISRCTN record has an isrctn number")
    value = value if value.upper().startswith("ISRCTN") else "ISRCTN" + value.zfill(8)
    if not id_matches("ISRCTN", value):
        raise BadField(at.path, f"{quoted(value)} is not an ISRCTN (ISRCTN and 8 digits)")
    return value


# -- identifiers ---------------------------------------------------------------------------------


def _registry_id(registry: str, at: At, notes: Notes) -> Identifier | None:
    value = at.text()
    if value is None:
        return None
    value = "".join(value.split()) if registry != "ORG_STUDY" else value
    if registry in ("EUDRACT", "NCT") and not id_matches(registry, value):
        notes.warn(at, f"{quoted(value)} is not a {registry} id; kept as OTHER", "malformed-id")
        return Identifier("OTHER", value, type=registry)
    return Identifier(registry, value)


def _identifiers(own: str, doc: At, notes: Notes) -> list[Identifier]:
    refs = doc.get("externalRefs")
    ids = [Identifier("ISRCTN", own)]
    for key, registry in (
        ("eudraCTNumber", "EUDRACT"),
        ("clinicalTrialsGovNumber", "NCT"),
        ("protocolSerialNumber", "ORG_STUDY"),
    ):
        found = _registry_id(registry, refs.get(key), notes)
        if found and all(i.value != found.value for i in ids):
            ids.append(found)
    iras = refs.get("irasNumber").text()
    if iras:
        ids.append(Identifier("OTHER", iras, type="IRAS"))
    for at in refs.get("secondaryNumbers", "secondaryNumber").items():
        value = at.text()
        if value and all(i.value != value for i in ids):
            ids.append(Identifier(guess_registry(value) or "OTHER", value))
    return ids


# -- parties -------------------------------------------------------------------------------------


def _named(doc: At, key: str) -> list[At]:
    """Party objects under ``key`` beside the trial or under ``parties`` (ids alone name nothing)."""
    found = doc.get(key).objects() if isinstance(doc.get(key).value, dict | list) else []
    inside = doc.get("parties", key)
    return found + (inside.objects() if isinstance(inside.value, dict | list) else [])


def _participations(doc: At, notes: Notes) -> list[Participation]:
    out: list[Participation] = []
    for sponsor in _named(doc, "sponsor"):
        name = sponsor.get("organisation").text()
        if not name:
            notes.warn(sponsor, "a sponsor without an organisation name; skipped", "unnamed")
            continue
        details = sponsor.get("contactDetails")
        org = Organization(
            name,
            city=details.get("city").text(),
            country=notes.country(details.get("country")),
            org_type=sponsor.get("sponsorType").text(),
        )
        lead = all(p.role != "LEAD_SPONSOR" for p in out)
        add_participation(out, Participation(org, "LEAD_SPONSOR" if lead else "COLLABORATOR"))
    for funder in _named(doc, "funder"):
        name = funder.get("name").text()
        if name:
            add_participation(out, Participation(Organization(name), "FUNDER"))
    return out


# -- conditions, interventions, design -----------------------------------------------------------


def _conditions(doc: At) -> tuple[list[Condition], list[ConditionTerm]]:
    conditions: list[Condition] = []
    terms: list[ConditionTerm] = []
    for item in doc.get("conditions", "condition").objects():
        label = item.get("description").text()
        if label and all(c.label != label for c in conditions):
            conditions.append(Condition(label))
        category = item.get("diseaseClass1").text()
        if category:
            terms.append(ConditionTerm("ISRCTN condition category", category))
        icd = item.get("diseaseClass2").text()
        if icd:
            terms.append(ConditionTerm("ICD-10", icd))
    return conditions, terms


#: ISRCTN intervention types -> API v2 (the ones whose spelling differs).
_INTERVENTION_TYPES = {
    "biological/vaccine": "BIOLOGICAL",
    "behavioural": "BEHAVIORAL",
    "procedure/surgery": "PROCEDURE",
    "supplement": "DIETARY_SUPPLEMENT",
    "radiotherapy": "RADIATION",
    "genetic": "GENETIC",
    "mixed": None,
}


def _interventions(doc: At, notes: Notes) -> tuple[list[Intervention], list[str]]:
    """(interventions, phase texts)."""
    out: list[Intervention] = []
    phases: list[str] = []
    for item in doc.get("interventions", "intervention").objects():
        phase = item.get("phase").text()
        if phase:
            phases.append(phase)
        kind = notes.enum(item.get("interventionType"), "intervention-type", _INTERVENTION_TYPES, keep=False)
        names = [n.strip() for n in re.split(r";|,\s", item.get("drugNames").text() or "") if not is_placeholder(n)]
        if not names:
            notes.warn(item, "an intervention without drug names has no name to show; left out", "unnamed")
        for name in names:
            add_intervention(out, Intervention(name, type=kind))
    return out, phases


def _phases(texts: list[str], notes: Notes, where: str) -> list[str]:
    out: list[str] = []
    for raw in texts:
        found, warning = parse_phase(raw)
        if warning:
            notes.warn(where, warning, "unknown-value")
        out += [p for p in found if p not in out]
    return sorted(out)


_PURPOSES = {"treatment", "prevention", "diagnostic", "screening", "supportive care", "other"}


def _design(doc: At) -> Design:
    design = doc.get("trialDesign")
    words = " ".join(filter(None, [design.get("secondaryStudyDesign").text(), design.get("studyDesign").text()]))
    allocation = "RANDOMIZED" if re.search(r"\brandomi[sz]ed\b", words, re.IGNORECASE) else None
    kinds = [t.casefold() for t in design.get("trialTypes", "trialType").texts()]
    purposes = [enum_value("primary-purpose", k)[0] for k in kinds if k in _PURPOSES]
    return Design(allocation=allocation, purpose=purposes[0] if len(purposes) == 1 else None)


#: Status overrides -> API v2.
_STATUSES = {"stopped": "TERMINATED", "suspended": "SUSPENDED", "withdrawn": "WITHDRAWN", "completed": "COMPLETED"}


def _status(doc: At, notes: Notes) -> str | None:
    at = doc.get("trialDesign", "overallStatusOverride") or doc.get("participants", "recruitmentStatusOverride")
    return notes.enum(at, "status", _STATUSES)


def _age(at: At) -> str | None:
    m = re.fullmatch(r"(\d+)\s*(year|month|week|day|hour)s?", at.text() or "", re.IGNORECASE)
    return f"{m.group(1)} {m.group(2).capitalize()}s" if m else None


def _sites(doc: At, notes: Notes) -> list[Site]:
    out: list[Site] = []
    for centre in doc.get("participants", "trialCentres", "trialCentre").objects():
        name = centre.get("name").text()
        if not name or _NOT_A_SITE.match(name):
            notes.warn(centre, f"{quoted(name)} names no site; left out", "unnamed")
            continue
        found = Site(
            name,
            city=centre.get("city").text(),
            state=centre.get("state").text(),
            zip=centre.get("zip").text(),
            country=notes.country(centre.get("country")),
        )
        if found not in out:
            out.append(found)
    return out


def _countries(doc: At, notes: Notes) -> list[str]:
    at = doc.get("participants", "recruitmentCountries", "country")
    out: list[str] = []
    for item in at.items():
        code = notes.country(item)
        if code and code not in out:
            out.append(code)
    return out


def _enrollment(doc: At) -> tuple[int | None, str | None]:
    people = doc.get("participants")
    final = people.get("totalFinalEnrolment").integer()
    if final is not None:
        return final, "ACTUAL"
    target = people.get("targetEnrolment").integer()
    return target, ("ESTIMATED" if target is not None else None)


def _outcomes(doc: At) -> list[Outcome]:
    text = doc.get("trialDescription")
    out: list[Outcome] = []
    for kind, key in (("PRIMARY", "primaryOutcome"), ("SECONDARY", "secondaryOutcome")):
        measure = text.get(key).text()
        if measure:
            out.append(Outcome(kind, measure))
    return out


def _references(doc: At) -> list[str]:
    details = doc.get("results", "publicationDetails").text() or ""
    return list(dict.fromkeys(_PUBMED.findall(details)))


# -- the record ----------------------------------------------------------------------------------


def to_record(doc: At, source_file: str) -> TrialRecord:
    """One ISRCTN document as a record; raises :class:`BadField` when it cannot be read."""
    own = _own(doc)
    notes = Notes()
    description = doc.get("trialDescription")
    interventions, phase_texts = _interventions(doc, notes)
    enrollment, enrollment_type = _enrollment(doc)
    people = doc.get("participants")
    status = _status(doc, notes)
    record = TrialRecord(
        source=SOURCE,
        record_id=own,
        source_file=source_file,
        identifiers=_identifiers(own, doc, notes),
        version=doc.get("lastUpdated").text() or version(doc),
        title=description.get("title").text(),
        official_title=description.get("scientificTitle").text(),
        acronym=description.get("acronym").text(),
        status=status,
        why_stopped=doc.get("trialDesign", "reasonAbandoned").text() if status else None,
        phases=_phases(phase_texts, notes, "interventions.intervention.phase"),
        study_type=notes.enum(doc.get("trialDesign", "primaryStudyDesign"), "study-type", {}),
        design=_design(doc),
        enrollment=enrollment,
        enrollment_type=enrollment_type,
        start_date=notes.date(people.get("recruitmentStart")),
        completion_date=notes.date(doc.get("trialDesign", "overallEndDate")),
        sex=notes.enum(people.get("gender"), "sex", {}, keep=False),
        minimum_age=_age(people.get("lowerAgeLimit")),
        maximum_age=_age(people.get("upperAgeLimit")),
        participations=_participations(doc, notes),
        sites=_sites(doc, notes),
        countries=_countries(doc, notes),
        interventions=interventions,
        outcomes=_outcomes(doc),
        references=_references(doc),
        url=PAGE_URL + own,
    )
    record.conditions, terms = _conditions(doc)
    attach_terms(record, terms)
    record.warnings = notes.warnings
    return record


def _label(raw: Any) -> str | None:
    number = raw_text(raw, "isrctn")
    return (number if number.upper().startswith("ISRCTN") else "ISRCTN" + number) if number else None


#: Sniffed by ``isrctn`` as the first key, or ctrdata's ``ctrname``.
FORMAT = register_reader(
    SOURCE, "ISRCTN trial record as ctrdata keeps it: one trial per file", _MARKERS, to_record, _label
)
