"""One ClinicalTrials.gov API v2 study object mapped onto a :class:`graph.model.TrialRecord`,
section by section (identification, status, design, sponsors, contacts and locations, conditions,
interventions, outcomes, eligibility, references); a study that cannot be read becomes the one
:class:`graph.errors.RecordError` that costs only itself."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

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
    Participation,
    Person,
    Site,
    TrialRecord,
)
from graph.normalize.countries import country_code
from graph.normalize.registry_ids import guess_registry, ictrp_id, id_matches, is_id, split_euctr
from graph.normalize.text import quoted, shown, strip_list_marker
from graph.sources import BadField, ReadResult, kind_of
from graph.sources.ctgov_json import At, Notes, date_at

SOURCE = "ctgov"
STUDY_URL = "https://clinicaltrials.gov/study/"

_EUDRACT_PREFIX = re.compile(r"^(?:eudract|euctr)(?:\s{0,3}(?:number|no\.?|nr\.?|n°))?[\s:#]{0,5}", re.IGNORECASE)
_MESH_SHORT = re.compile(r"^([DC])(\d{6})$")
#: A MeSH descriptor (D) or supplementary concept (C) id once :func:`mesh_id` has padded it.
_MESH_ID = re.compile(r"[DC]\d{9}")


def _nct_id(ident: At) -> str:
    nct = ident.text("nctId")
    if nct is None:
        raise BadField(ident.where("nctId"), "the study has no NCT id")
    nct = nct.upper()
    if not id_matches("NCT", nct):
        raise BadField(ident.where("nctId"), f"{quoted(nct)} is not an NCT id (NCT and 8 digits)")
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


def _identifiers(ident: At, nct: str, notes: Notes) -> list[Identifier]:
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


def _status(record: TrialRecord, status: At, notes: Notes) -> None:
    record.status = notes.enum(status, "overallStatus", "status")
    record.last_known_status = notes.enum(status, "lastKnownStatus", "status")
    record.why_stopped = status.text("whyStopped")
    record.start_date = notes.date(status, "startDateStruct")
    record.primary_completion_date = notes.date(status, "primaryCompletionDateStruct")
    record.completion_date = notes.date(status, "completionDateStruct")
    record.registration_date = date_at(status, "studyFirstSubmitDate")
    updated = date_at(status.obj("lastUpdatePostDateStruct"), "date")
    record.version = updated.value if updated else None


def _design(record: TrialRecord, design: At, notes: Notes) -> None:
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


def _organisation(at: At, notes: Notes) -> Organization | None:
    name = at.text("name")
    if not name:
        if at.data:
            notes.warn("unnamed", at.path, "an organisation without a name; skipped")
        return None
    return Organization(name=name, agency_class=notes.enum(at, "class", "agency-class"))


def _sponsors(record: TrialRecord, sponsors: At, notes: Notes) -> None:
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


def _officials(record: TrialRecord, contacts: At, notes: Notes) -> None:
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


def _sites(record: TrialRecord, contacts: At, notes: Notes) -> None:
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


def _mesh_terms(at: At, key: str, notes: Notes) -> list[MeshTerm]:
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


def _browse(browse: At, notes: Notes) -> tuple[list[MeshTerm], tuple[MeshTerm, ...], list[MeshTerm]]:
    """(mesh terms, ancestors of the one term, ancestors of the whole study).  The API lists the
    ancestors of all terms together: they can be given to a term only when it is alone, and are
    otherwise kept for the study."""
    meshes = _mesh_terms(browse, "meshes", notes)
    ancestors = _mesh_terms(browse, "ancestors", notes)
    if len(meshes) == 1:
        return meshes, tuple(ancestors), []
    return meshes, (), ancestors


def _conditions(record: TrialRecord, protocol: At, derived: At, notes: Notes) -> None:
    conditions = protocol.obj("conditionsModule")
    labels = (strip_list_marker(label) for label in conditions.texts("conditions"))
    record.conditions.extend(Condition(label) for label in labels if label)
    record.keywords.extend(conditions.texts("keywords"))
    meshes, broader, record.condition_ancestors = _browse(derived.obj("conditionBrowseModule"), notes)
    record.conditions.extend(Condition(m.label, mesh=m.id, broader=broader) for m in meshes)


def _named(parent: At, key: str, name_key: str, what: str, notes: Notes) -> Iterator[tuple[At, str]]:
    """Each object of the list ``key`` with its ``name_key`` text; one without it is warned
    about and skipped (``what`` says what it is)."""
    for at in parent.objs(key):
        name = at.text(name_key)
        if name:
            yield at, name
        else:
            notes.warn("unnamed", at.path, f"{what}; skipped")


def _interventions(record: TrialRecord, arms: At, derived: At, notes: Notes) -> None:
    record.interventions.extend(
        Intervention(
            name=name,
            type=notes.enum(at, "type", "intervention-type"),
            other_names=tuple(at.texts("otherNames")),
            arm_labels=tuple(at.texts("armGroupLabels")),
            description=at.text("description"),
        )
        for at, name in _named(arms, "interventions", "name", "an intervention without a name", notes)
    )
    meshes, broader, record.intervention_ancestors = _browse(derived.obj("interventionBrowseModule"), notes)
    record.interventions.extend(Intervention(m.label, mesh=m.id, broader=broader) for m in meshes)
    record.arms.extend(
        Arm(
            label=label,
            type=notes.enum(at, "type", "arm-type"),
            description=at.text("description"),
            interventions=tuple(at.texts("interventionNames")),
        )
        for at, label in _named(arms, "armGroups", "label", "an arm without a label", notes)
    )


def _outcomes(record: TrialRecord, outcomes: At, notes: Notes) -> None:
    for kind, key in (("PRIMARY", "primaryOutcomes"), ("SECONDARY", "secondaryOutcomes"), ("OTHER", "otherOutcomes")):
        record.outcomes.extend(
            Outcome(kind, measure, at.text("timeFrame"), at.text("description"))
            for at, measure in _named(outcomes, key, "measure", "an outcome without a measure", notes)
        )


def _eligibility(record: TrialRecord, eligibility: At, notes: Notes) -> None:
    record.sex = notes.enum(eligibility, "sex", "sex")
    record.minimum_age = eligibility.text("minimumAge")
    record.maximum_age = eligibility.text("maximumAge")
    record.healthy_volunteers = eligibility.flag("healthyVolunteers")


def _references(record: TrialRecord, references: At) -> None:
    for at in references.objs("references"):
        pmid = at.text("pmid")
        if pmid and pmid not in record.references:
            record.references.append(pmid)


def _record(raw: dict[str, Any], source_file: str) -> TrialRecord:
    """Map one study; raises :class:`BadField` for a study that cannot be read."""
    if not isinstance(raw.get("protocolSection"), dict):
        raise BadField("protocolSection", "the study has no protocolSection", hint="is this an API v2 study?")
    notes = Notes()
    study = At(raw, "", notes)
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
        return RecordError(f"expected a study object, found {kind_of(raw)}", file=source_file, record=position)
    label = _study_label(raw) or position
    try:
        return _record(raw, source_file)
    except BadField as exc:
        return RecordError(exc.message, file=source_file, record=label, field=exc.path, hint=exc.hint)
