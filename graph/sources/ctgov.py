"""ClinicalTrials.gov API v2 study JSON.

Four shapes reach this reader: a file holding one study (``{"protocolSection": ...}``), a page
of the API (``{"studies": [...], "nextPageToken": ...}``, as ``trialgraph fetch`` saves them), the
website's "Download -> JSON" (``ctg-studies.json``, a top-level array of studies), and the bulk
download, a ``.zip`` with one JSON file per study.  An archive is read member by member,
so memory stays flat however many studies it holds; a member's ``source_file`` is
``archive.zip!member.json``.

Each study maps to one :class:`graph.model.TrialRecord`.  A study that cannot be read (a field of
the wrong type, a malformed date, no ``protocolSection``) becomes one
:class:`graph.errors.RecordError` naming the file, the NCT id and the JSON path; the other
studies of the same page or archive still load.  An enumeration value outside the API v2
vocabulary is kept as text, with a warning on the record naming its JSON path.

Contact details are never read: ``centralContacts`` and the contacts of each location are
skipped, and the rule of :mod:`graph.contact` applies to every text read (a person's name or
affiliation holding a phone number or an e-mail address is dropped; an e-mail address elsewhere
is masked), with a warning naming the field.  A text longer than
:data:`graph.normalize.text.MAX_FIELD_CHARS` is cut, with a warning naming the field.  Id fields that
hold no id ("N/A", "none") are skipped with a warning.
"""

from __future__ import annotations

import json
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson

import graph.contact as contact
from graph.errors import RecordError
from graph.model import (
    Arm,
    Condition,
    Design,
    Identifier,
    Intervention,
    MeshTerm,
    Organization,
    Outcome,
    PartialDate,
    Participation,
    Person,
    RecordWarning,
    Site,
    TrialRecord,
)
from graph.normalize.countries import country_code
from graph.normalize.dates import parse_date
from graph.normalize.registry_ids import guess_registry, ictrp_id, id_matches, is_id, split_euctr
from graph.normalize.text import clean_text, quoted, shown, strip_list_marker
from graph.normalize.vocab import enum_value
from graph.sources import ReadResult, SourceFormat, json_problem, register

SOURCE = "ctgov"
STUDY_URL = "https://clinicaltrials.gov/study/"

#: A study JSON larger than this inside an archive is refused rather than inflated in memory.
MAX_MEMBER_BYTES = 256 * 1024 * 1024

_ZIP_MAGIC = b"PK\x03\x04"
_BOM = b"\xef\xbb\xbf"
_CORRUPT_HINT = "the file is truncated or corrupt: download it again, or remove it from the input"

_EUDRACT_PREFIX = re.compile(r"^(?:eudract|euctr)(?:\s{0,3}(?:number|no\.?|nr\.?|n°))?[\s:#]{0,5}", re.IGNORECASE)
_MESH_SHORT = re.compile(r"^([DC])(\d{6})$")
#: A MeSH descriptor (D) or supplementary concept (C) id once :func:`mesh_id` has padded it.
_MESH_ID = re.compile(r"[DC]\d{9}")


def _clean(value: str) -> str | None:
    """:func:`clean_text`, with a fast path for the common case: for ASCII text without markup,
    NFC and the ``<br>`` rule change nothing, and only white space needs folding."""
    if value.isascii() and "<" not in value:
        return " ".join(value.split()) or None
    return clean_text(value)


#: ``enum_value`` is pure and sees few distinct values: cache it (it runs a regex per call).
_enum_value = lru_cache(maxsize=4096)(enum_value)


class _BadField(Exception):
    """A field a study cannot be read with; becomes the study's :class:`RecordError`."""

    def __init__(self, path: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.message = message
        self.hint = hint


def _kind(value: object) -> str:
    """How a JSON value reads in an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "an array"
    return "an object"


@dataclass(frozen=True)
class _At:
    """A JSON object and its path from the study root, so every error can say where it is, and
    the notes of the study, so every text read can warn about itself."""

    data: dict[str, Any]
    path: str
    notes: _Notes

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def obj(self, key: str) -> _At:
        value = self.data.get(key)
        if value is None:
            return _At({}, self.where(key), self.notes)
        if not isinstance(value, dict):
            raise _BadField(self.where(key), f"expected an object, found {_kind(value)}")
        return _At(value, self.where(key), self.notes)

    def _array(self, key: str) -> list[Any]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise _BadField(self.where(key), f"expected an array, found {_kind(value)}")
        return value

    def objs(self, key: str) -> list[_At]:
        out = []
        for i, item in enumerate(self._array(key)):
            path = f"{self.where(key)}[{i}]"
            if not isinstance(item, dict):
                raise _BadField(path, f"expected an object, found {_kind(item)}")
            out.append(_At(item, path, self.notes))
        return out

    def texts(self, key: str) -> list[str]:
        """An array of strings, cleaned; empty entries dropped."""
        out = []
        for i, item in enumerate(self._array(key)):
            path = f"{self.where(key)}[{i}]"
            if not isinstance(item, str):
                raise _BadField(path, f"expected a string, found {_kind(item)}")
            text = _clean(item) if contact.unguarded(item) else self.notes.clean(item, path)
            if text:
                out.append(text)
        return out

    def text(self, key: str, *, person: bool = False) -> str | None:
        """The string at ``key``, cleaned and put through the contact rule (``person``: a
        value about a person, dropped whole when it holds contact details)."""
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise _BadField(self.where(key), f"expected a string, found {_kind(value)}")
        if not person and contact.unguarded(value):
            return _clean(value)
        return self.notes.clean(value, self.where(key), person=person)

    def integer(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise _BadField(self.where(key), f"expected an integer, found {_kind(value)}")
        return value

    def number(self, key: str) -> float | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _BadField(self.where(key), f"expected a number, found {_kind(value)}")
        return float(value)

    def flag(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise _BadField(self.where(key), f"expected true or false, found {_kind(value)}")
        return value


@dataclass
class _Notes:
    """Warnings collected while one study is mapped."""

    warnings: list[str] = field(default_factory=list)

    def warn(self, kind: str, path: str, message: str) -> None:
        self.warnings.append(RecordWarning(kind, f"{path}: {message}"))

    def clean(self, raw: str, path: str, *, person: bool = False) -> str | None:
        """:func:`_clean` of a text put through :func:`graph.contact.guard` (the length cap and
        the contact rule)."""
        guarded = contact.guard(raw, path, self.warnings, person=person)
        return None if guarded is None else _clean(guarded)

    def enum(self, at: _At, key: str, scheme: str) -> str | None:
        return self.enum_text(at.text(key), at.where(key), scheme)

    def enum_text(self, raw: str | None, path: str, scheme: str) -> str | None:
        value, known = _enum_value(scheme, raw)
        if not known:
            self.warn("unknown-value", path, f"{quoted(value)} is not a known {scheme} value; kept as text")
        return value

    def date(self, at: _At, key: str) -> PartialDate | None:
        """A ``...DateStruct`` (``{"date": ..., "type": ...}``) at ``key``."""
        struct_ = at.obj(key)
        date = _parse_date(struct_, "date")
        if date is None:
            return None
        return PartialDate(date.value, date.precision, self.enum(struct_, "type", "date-type"))


def _parse_date(at: _At, key: str) -> PartialDate | None:
    text = at.text(key)
    if text is None:
        return None
    try:
        return parse_date(text)
    except ValueError as exc:
        raise _BadField(at.where(key), str(exc), hint="API v2 dates are YYYY, YYYY-MM or YYYY-MM-DD") from None


# -- sections --------------------------------------------------------------------------------------


def _nct_id(ident: _At) -> str:
    nct = ident.text("nctId")
    if nct is None:
        raise _BadField(ident.where("nctId"), "the study has no NCT id")
    nct = nct.upper()
    if not id_matches("NCT", nct):
        raise _BadField(ident.where("nctId"), f"{quoted(nct)} is not an NCT id (NCT and 8 digits)")
    return nct


def _eu_number(raw: str) -> str:
    """``EudraCT Number: 2015-001894-41`` or ``EUCTR2021-000037-14-ES`` -> the bare number."""
    value = "".join(_EUDRACT_PREFIX.sub("", raw).split())
    euctr = split_euctr("EUCTR" + value)
    return euctr[0] if euctr else value


def _normalise_secondary(raw: str, id_type: str | None) -> tuple[str, str]:
    """(registry key, value) for one ``secondaryIdInfos`` entry."""
    if id_type in ("EUDRACT_NUMBER", "CTIS"):
        value = _eu_number(raw)
        for registry in ("EUDRACT", "CTIS"):
            if id_matches(registry, value):
                return registry, value
        return "OTHER", raw
    if id_type == "NIH":
        return "NIH_GRANT", raw
    guessed = guess_registry(raw)
    # Another NCT id listed as a secondary id names a related study, not this one: it must not
    # merge the two trials.
    if guessed is None or guessed == "NCT":
        return "OTHER", raw
    if guessed == "EUDRACT":
        value = _eu_number(raw)
        return ("EUDRACT", value) if id_matches("EUDRACT", value) else ("OTHER", raw)
    return guessed, raw


def _identifiers(ident: _At, nct: str, notes: _Notes) -> list[Identifier]:
    """The NCT id, its aliases, the sponsor's own id and one identifier per secondary id.  An id
    field that holds no id ("N/A") is skipped; an EU register member-state id is followed by its
    spelling as ICTRP gives it (registry ``ICTRP``), so that it finds the trial too."""
    ids = [Identifier("NCT", nct)]
    for i, alias in enumerate(ident.texts("nctIdAliases")):
        if id_matches("NCT", alias.upper()):
            ids.append(Identifier("NCT", alias.upper(), type="NCT_ID_ALIAS"))
        else:
            notes.warn(
                "malformed-id", f"{ident.where('nctIdAliases')}[{i}]", f"{quoted(alias)} is not an NCT id; skipped"
            )
    org_study = ident.obj("orgStudyIdInfo")
    org_id = org_study.text("id")
    if org_id and not is_id(org_id):
        notes.warn("not-an-id", org_study.where("id"), f"{quoted(org_id)} is not an id; skipped")
    elif org_id:
        ids.append(
            Identifier(
                "ORG_STUDY", org_id, type=org_study.text("type"), domain=ident.obj("organization").text("fullName")
            )
        )
    for info in ident.objs("secondaryIdInfos"):
        raw = info.text("id")
        if not raw or not is_id(raw):
            notes.warn("not-an-id", info.where("id"), f"{quoted(raw or '')} is not an id; skipped")
            continue
        id_type = info.text("type")
        registry, value = _normalise_secondary(raw, id_type)
        if id_type in ("EUDRACT_NUMBER", "CTIS") and registry == "OTHER":
            notes.warn(
                "malformed-id",
                info.where("id"),
                f"{quoted(raw)} is typed {id_type} but has not that form; kept as OTHER",
            )
        ids.append(Identifier(registry, value, type=id_type, domain=info.text("domain")))
        published = ictrp_id(raw)
        if published is not None and all((i.registry, i.value) != (published.registry, published.value) for i in ids):
            ids.append(published)
    return ids


def _status(record: TrialRecord, status: _At, notes: _Notes) -> None:
    record.status = notes.enum(status, "overallStatus", "status")
    record.last_known_status = notes.enum(status, "lastKnownStatus", "status")
    record.why_stopped = status.text("whyStopped")
    record.start_date = notes.date(status, "startDateStruct")
    record.primary_completion_date = notes.date(status, "primaryCompletionDateStruct")
    record.completion_date = notes.date(status, "completionDateStruct")
    record.registration_date = _parse_date(status, "studyFirstSubmitDate")
    updated = _parse_date(status.obj("lastUpdatePostDateStruct"), "date")
    record.version = updated.value if updated else None


def _design(record: TrialRecord, design: _At, notes: _Notes) -> None:
    record.study_type = notes.enum(design, "studyType", "study-type")
    for i, phase in enumerate(design.texts("phases")):
        value = notes.enum_text(phase, f"{design.where('phases')}[{i}]", "phase")
        if value:
            record.phases.append(value)
    info = design.obj("designInfo")
    model_key = "interventionModel" if info.data.get("interventionModel") is not None else "observationalModel"
    record.design = Design(
        allocation=notes.enum(info, "allocation", "allocation"),
        model=notes.enum(info, model_key, "intervention-model"),
        purpose=notes.enum(info, "primaryPurpose", "primary-purpose"),
        masking=notes.enum(info.obj("maskingInfo"), "masking", "masking"),
    )
    enrollment = design.obj("enrollmentInfo")
    record.enrollment = enrollment.integer("count")
    record.enrollment_type = notes.enum(enrollment, "type", "enrollment-type")


def _organisation(at: _At, notes: _Notes) -> Organization | None:
    name = at.text("name")
    if not name:
        if at.data:
            notes.warn("unnamed", at.path, "an organisation without a name; skipped")
        return None
    return Organization(name=name, agency_class=notes.enum(at, "class", "agency-class"))


def _sponsors(record: TrialRecord, sponsors: _At, notes: _Notes) -> None:
    lead = _organisation(sponsors.obj("leadSponsor"), notes)
    if lead:
        record.participations.append(Participation(lead, "LEAD_SPONSOR"))
    for at in sponsors.objs("collaborators"):
        org = _organisation(at, notes)
        if org:
            record.participations.append(Participation(org, "COLLABORATOR"))
    party = sponsors.obj("responsibleParty")
    party_type = party.text("type")
    if party_type and party_type.upper() != "SPONSOR":
        name = party.text("investigatorFullName", person=True)
        affiliation = party.text("investigatorAffiliation", person=True)
        if name:
            record.officials.append(Person(name=name, role=party_type.upper(), affiliation=affiliation))
        else:
            notes.warn("unnamed", party.path, f"responsible party of type {quoted(party_type)} has no name; skipped")


def _officials(record: TrialRecord, contacts: _At, notes: _Notes) -> None:
    for at in contacts.objs("overallOfficials"):
        name = at.text("name", person=True)
        if not name:
            continue
        affiliation = at.text("affiliation", person=True)
        record.officials.append(
            Person(name=name, role=notes.enum(at, "role", "official-role"), affiliation=affiliation)
        )


def unnamed_facility(city: str | None) -> str:
    """The facility name given to a location the registry lists without one."""
    return f"Unknown site, {city}" if city else "Unknown site"


def _sites(record: TrialRecord, contacts: _At, notes: _Notes) -> None:
    unnamed: list[str] = []
    for at in contacts.objs("locations"):
        city = at.text("city")
        facility = at.text("facility")
        scope = None
        if not facility:
            facility = unnamed_facility(city)
            unnamed.append(at.where("facility"))
            scope = record.record_id
        country_name = at.text("country")
        country = country_code(country_name)
        if country_name and country is None:
            notes.warn(
                "unknown-country",
                at.where("country"),
                f"{quoted(country_name)} is not a country trialgraph knows; left out",
            )
        geo = at.obj("geoPoint")
        record.sites.append(
            Site(
                facility=facility,
                city=city,
                state=at.text("state"),
                zip=at.text("zip"),
                country=country,
                latitude=geo.number("lat"),
                longitude=geo.number("lon"),
                status=notes.enum(at, "status", "status"),
                scope=scope,
            )
        )
    if unnamed:
        more = f" and {len(unnamed) - 1} more" if len(unnamed) > 1 else ""
        notes.warn(
            "unnamed-site",
            f"{unnamed[0]}{more}",
            f"{len(unnamed)} location(s) have no facility name; named 'Unknown site, CITY'",
        )


def mesh_id(raw: str) -> str:
    """A MeSH id in one spelling.  MeSH ids made before 2014 have six digits (``D012509``), later
    ones nine (``D000068196``), the numbers running on; API v2 now pads the old ones to nine
    (``D000012509``), older exports do not.  Both spellings must name one node, and padding needs
    no table of which ids are old."""
    m = _MESH_SHORT.match(raw.strip().upper())
    return f"{m.group(1)}000{m.group(2)}" if m else raw.strip()


def _mesh_terms(at: _At, key: str, notes: _Notes) -> list[MeshTerm]:
    """The MeSH terms under ``key``; a term whose id is no MeSH id (an id names a node, so it
    cannot be kept as text) is left out with a warning."""
    out = []
    for item in at.objs(key):
        descriptor, label = item.text("id"), item.text("term")
        if not (descriptor and label):
            continue
        if not _MESH_ID.fullmatch(mesh_id(descriptor)):
            notes.warn("malformed-id", item.where("id"), f"{quoted(descriptor)} is not a MeSH id; the term is left out")
            continue
        out.append(MeshTerm(mesh_id(descriptor), label))
    return out


def _browse(browse: _At, notes: _Notes) -> tuple[list[MeshTerm], tuple[MeshTerm, ...], list[MeshTerm]]:
    """(mesh terms, ancestors of the one term, ancestors of the whole study).  The API lists the
    ancestors of all terms together: they can be given to a term only when it is alone, and are
    otherwise kept for the study."""
    meshes = _mesh_terms(browse, "meshes", notes)
    ancestors = _mesh_terms(browse, "ancestors", notes)
    if len(meshes) == 1:
        return meshes, tuple(ancestors), []
    return meshes, (), ancestors


def _conditions(record: TrialRecord, protocol: _At, derived: _At, notes: _Notes) -> None:
    conditions = protocol.obj("conditionsModule")
    labels = (strip_list_marker(label) for label in conditions.texts("conditions"))
    record.conditions.extend(Condition(label) for label in labels if label)
    record.keywords.extend(conditions.texts("keywords"))
    meshes, broader, record.condition_ancestors = _browse(derived.obj("conditionBrowseModule"), notes)
    record.conditions.extend(Condition(m.label, mesh=m.id, broader=broader) for m in meshes)


def _interventions(record: TrialRecord, arms: _At, derived: _At, notes: _Notes) -> None:
    for at in arms.objs("interventions"):
        name = at.text("name")
        if not name:
            notes.warn("unnamed", at.path, "an intervention without a name; skipped")
            continue
        record.interventions.append(
            Intervention(
                name=name,
                type=notes.enum(at, "type", "intervention-type"),
                other_names=tuple(at.texts("otherNames")),
                arm_labels=tuple(at.texts("armGroupLabels")),
                description=at.text("description"),
            )
        )
    meshes, broader, record.intervention_ancestors = _browse(derived.obj("interventionBrowseModule"), notes)
    record.interventions.extend(Intervention(m.label, mesh=m.id, broader=broader) for m in meshes)
    for at in arms.objs("armGroups"):
        label = at.text("label")
        if not label:
            notes.warn("unnamed", at.path, "an arm without a label; skipped")
            continue
        record.arms.append(
            Arm(
                label=label,
                type=notes.enum(at, "type", "arm-type"),
                description=at.text("description"),
                interventions=tuple(at.texts("interventionNames")),
            )
        )


def _outcomes(record: TrialRecord, outcomes: _At, notes: _Notes) -> None:
    for kind, key in (("PRIMARY", "primaryOutcomes"), ("SECONDARY", "secondaryOutcomes"), ("OTHER", "otherOutcomes")):
        for at in outcomes.objs(key):
            measure = at.text("measure")
            if not measure:
                notes.warn("unnamed", at.path, "an outcome without a measure; skipped")
                continue
            record.outcomes.append(Outcome(kind, measure, at.text("timeFrame"), at.text("description")))


def _eligibility(record: TrialRecord, eligibility: _At, notes: _Notes) -> None:
    record.sex = notes.enum(eligibility, "sex", "sex")
    record.minimum_age = eligibility.text("minimumAge")
    record.maximum_age = eligibility.text("maximumAge")
    record.healthy_volunteers = eligibility.flag("healthyVolunteers")


def _references(record: TrialRecord, references: _At) -> None:
    for at in references.objs("references"):
        pmid = at.text("pmid")
        if pmid and pmid not in record.references:
            record.references.append(pmid)


def _record(raw: dict[str, Any], source_file: str) -> TrialRecord:
    """Map one study; raises :class:`_BadField` for a study that cannot be read."""
    if not isinstance(raw.get("protocolSection"), dict):
        raise _BadField("protocolSection", "the study has no protocolSection", hint="is this an API v2 study?")
    notes = _Notes()
    study = _At(raw, "", notes)
    protocol = study.obj("protocolSection")
    ident = protocol.obj("identificationModule")
    nct = _nct_id(ident)
    record = TrialRecord(
        source=SOURCE,
        record_id=nct,
        source_file=source_file,
        identifiers=_identifiers(ident, nct, notes),
        title=ident.text("briefTitle"),
        official_title=ident.text("officialTitle"),
        acronym=ident.text("acronym"),
        url=STUDY_URL + nct,
    )
    derived = study.obj("derivedSection")
    _status(record, protocol.obj("statusModule"), notes)
    _design(record, protocol.obj("designModule"), notes)
    _sponsors(record, protocol.obj("sponsorCollaboratorsModule"), notes)
    contacts = protocol.obj("contactsLocationsModule")
    _officials(record, contacts, notes)
    _sites(record, contacts, notes)
    _conditions(record, protocol, derived, notes)
    _interventions(record, protocol.obj("armsInterventionsModule"), derived, notes)
    _outcomes(record, protocol.obj("outcomesModule"), notes)
    _eligibility(record, protocol.obj("eligibilityModule"), notes)
    _references(record, protocol.obj("referencesModule"))
    record.warnings = notes.warnings
    return record


def _study_label(raw: dict[str, Any]) -> str | None:
    """The NCT id of a study, if it can be found, for naming it in an error."""
    protocol = raw.get("protocolSection")
    ident = protocol.get("identificationModule") if isinstance(protocol, dict) else None
    nct = ident.get("nctId") if isinstance(ident, dict) else None
    return shown(nct.strip()) if isinstance(nct, str) and nct.strip() else None


def read_study(raw: object, source_file: str, position: str | None = None) -> ReadResult:
    """One API v2 study object as a record, or the error that costs only this study.

    ``position`` (``studies[3]``) names the study in an error when it has no NCT id; the field
    is always the JSON path inside the study (``protocolSection.statusModule...``).
    """
    if not isinstance(raw, dict):
        return RecordError(f"expected a study object, found {_kind(raw)}", file=source_file, record=position)
    label = _study_label(raw) or position
    try:
        return _record(raw, source_file)
    except _BadField as exc:
        return RecordError(exc.message, file=source_file, record=label, field=exc.path, hint=exc.hint)


# -- documents ------------------------------------------------------------------------------------


def _parse(data: bytes, source_file: str) -> Any:
    """The JSON document; raises :class:`RecordError` naming the line and column."""
    data = data.removeprefix(_BOM)
    try:
        return orjson.loads(data)
    except json.JSONDecodeError as exc:  # orjson's error is a subclass
        raise RecordError(
            json_problem(exc, data),
            file=source_file,
            hint=_CORRUPT_HINT,
        ) from None


def read_document(data: bytes, source_file: str) -> Iterator[ReadResult]:
    """The studies of one JSON document: a single study, an API page, or an array of studies."""
    try:
        doc = _parse(data, source_file)
    except RecordError as exc:
        yield exc
        return
    if isinstance(doc, dict) and "studies" in doc and "protocolSection" not in doc:
        studies = doc["studies"]
        if not isinstance(studies, list):
            yield RecordError(f"expected an array, found {_kind(studies)}", file=source_file, field="studies")
            return
        for i, raw in enumerate(studies):
            yield read_study(raw, source_file, f"studies[{i}]")
    elif isinstance(doc, list):
        for i, raw in enumerate(doc):
            yield read_study(raw, source_file, f"[{i}]")
    elif isinstance(doc, dict):
        yield read_study(doc, source_file)
    else:
        yield RecordError(
            f"expected a study or an API page (a JSON object), found {_kind(doc)}", file=source_file, hint=_CORRUPT_HINT
        )


def _read_zip(path: Path) -> Iterator[ReadResult]:
    yield from read_zip(path)


def _members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    return [i for i in archive.infolist() if not i.is_dir() and i.filename.lower().endswith(".json")]


def zip_members(path: Path) -> int:
    """How many study members (``.json`` files) a zip holds; 0 when it cannot be opened."""
    try:
        with zipfile.ZipFile(path) as archive:
            return len(_members(archive))
    except (zipfile.BadZipFile, OSError):
        return 0


def read_zip(path: Path, start: int = 0, stop: int | None = None) -> Iterator[ReadResult]:
    """The studies of a zip's ``.json`` members ``start`` to ``stop`` (all by default), so that
    several processes can share one archive."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        yield RecordError(f"not a readable zip archive ({exc})", file=str(path), hint=_CORRUPT_HINT)
        return
    with archive:
        for info in _members(archive)[start:stop]:
            source_file = f"{path}!{info.filename}"
            if info.file_size > MAX_MEMBER_BYTES:
                yield RecordError(
                    f"member is {info.file_size} bytes; studies larger than {MAX_MEMBER_BYTES} are refused",
                    file=source_file,
                )
                continue
            try:
                data = archive.read(info)
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
                yield RecordError(f"cannot unpack this member ({exc})", file=source_file, hint=_CORRUPT_HINT)
                continue
            yield from read_document(data, source_file)


def read(path: Path) -> Iterator[ReadResult]:
    """Every study in ``path`` (a ``.json`` file or a ``.zip`` of them), in file order."""
    path = Path(path)
    if path.suffix.lower() == ".zip":
        yield from _read_zip(path)
        return
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield RecordError(f"cannot read the file ({exc.strerror})", file=str(path))
        return
    yield from read_document(data, str(path))


# -- sniffing -------------------------------------------------------------------------------------


def _first_zip_member(head: bytes) -> str | None:
    """The name in the first local file header, without reading the central directory."""
    if len(head) < 30 or not head.startswith(_ZIP_MAGIC):
        return None
    (name_length,) = struct.unpack_from("<H", head, 26)
    return head[30 : 30 + name_length].decode("utf-8", "replace")


def _sniff_zip(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            head = fh.read(30 + 1024)
    except OSError:
        return False
    first = _first_zip_member(head)
    if first is None:
        return False
    if first.lower().endswith(".json"):
        return True
    # The first member is a folder or a README: fall back to the central directory.
    try:
        with zipfile.ZipFile(path) as archive:
            return any(name.lower().endswith(".json") for name in archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return False


#: Bytes of a ``.json`` file read to recognise it.
SNIFF_BYTES = 4096
#: Keys of which one is near the start of every API v2 document: a study, a page of the API,
#: or the website's download (an array of studies).
_SNIFF_KEYS = (b'"protocolSection"', b'"studies"')


def sniff(path: Path) -> bool:
    """A ``.json`` file starting with ``{`` or ``[`` that names ``protocolSection`` or
    ``studies`` in its first :data:`SNIFF_BYTES` bytes, or a ``.zip`` holding ``.json`` members."""
    suffix = path.suffix.lower()
    if suffix == ".zip":
        return _sniff_zip(path)
    if suffix != ".json":
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError:
        return False
    head = head.removeprefix(_BOM).lstrip()
    return head[:1] in (b"{", b"[") and any(key in head for key in _SNIFF_KEYS)


FORMAT = register(
    SourceFormat(
        name=SOURCE,
        description="ClinicalTrials.gov API v2 JSON: one study, an API page, the website download, or a zip of studies",
        sniff=sniff,
        read=read,
    )
)
