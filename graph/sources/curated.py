"""Curated trial records: one YAML file per trial, written and reviewed by people.

The format is documented field by field in ``data/SCHEMA.md``.  A file is taken for a curated
record when its name ends in ``.yaml`` or ``.yml`` (``organizations.yaml`` excepted) and it has a
top-level ``identifiers:`` key.

The reader is a linter as much as a parser.  Everything wrong in a file is collected before the
file is given up, and the file becomes one :class:`graph.errors.RecordError` that names the file,
the record (its first id, else the file stem), the field path (``sites[2].country``, counted from
0) and the line, with a hint.  It rejects what cannot be represented: an unknown field, a value of
the wrong type, a date that is not ISO, an enumeration value outside the API v2 vocabulary, an
unknown registry key, a country no one can resolve.

Two things are kept on purpose, with a warning on the record: a registry id that does not match
its registry's pattern, and a negative enrolment.  Both can be represented, and SHACL validation
later reports them per trial, field and rule, which is where users look for them.

This module maps a file onto a :class:`graph.model.TrialRecord` and checks the record as a
whole; :mod:`graph.sources.curated_values` reads each field's value, and
:mod:`graph.sources.curated_problems` collects the problems with their lines.

YAML is read by :mod:`graph.safeyaml`: only ``true``/``false`` are booleans (so the country ``NO``
stays Norway), dates stay text (so ``2015-09-01`` reaches the date parser as written), and nesting
and alias expansion are bounded (a file past either bound is refused at its line).  A key that
appears twice in one mapping is an error rather than a silent overwrite.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import yaml

import graph.safeyaml as safeyaml
import graph.sources.curated_values as values
from graph.errors import RecordError
from graph.model import (
    Arm,
    CellProduct,
    Condition,
    Consortium,
    Design,
    Funding,
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
from graph.normalize.registry_ids import REGISTRIES, id_matches
from graph.normalize.text import quoted, shown
from graph.normalize.vocab import enum_value
from graph.sources import ReadResult, SourceFormat, file_head, register
from graph.sources.curated_problems import Ctx, Skip, error, kind, plain, sub
from graph.sources.curated_values import Obj

SOURCE = "curated"
SUFFIXES = (".yaml", ".yml")
#: The organisation register shares the folder and the suffix but is not a trial record.
EXCLUDED_NAMES = frozenset({"organizations.yaml", "organizations.yml"})
#: A curated record is a page of text; anything larger is a mistake, refused before parsing.
MAX_BYTES = 1024 * 1024
_SNIFF_BYTES = 64 * 1024
_MARKER = re.compile(rb"^[\"']?identifiers[\"']?[ \t]*:", re.MULTILINE)


def _identifier(ctx: Ctx, raw: object, path: str) -> Identifier:
    obj = Obj(ctx, raw, path, ("registry", "value", "type", "domain", "transitioned_to"))
    registry, value = obj.get("registry", values.registry), obj.get("value", values.text)
    if obj.missing("registry", "value") or registry is None or value is None:
        raise Skip(path)
    if not id_matches(registry, value):
        pattern = REGISTRIES[registry][1]
        ctx.warn(
            sub(path, "value"),
            f"{quoted(value)} does not match the {registry} pattern {pattern}, kept for validation to report: "
            "correct the id",
            "malformed-id",
        )
    moved = obj.get("transitioned_to", values.ctis_number)
    if moved and registry != "EUDRACT":
        ctx.fail(sub(path, "transitioned_to"), f"only a EudraCT number moves to CTIS, not a {registry} id")
    return Identifier(registry, value, obj.get("type", values.text), obj.get("domain", values.text), moved)


def _check_transitions(ctx: Ctx, identifiers: list[Identifier]) -> None:
    """A transition names a CTIS number the record lists too, so that the trial holds it."""
    listed = {i.value for i in identifiers if i.registry == "CTIS"}
    for n, ident in enumerate(identifiers):
        if ident.transitioned_to and ident.transitioned_to not in listed:
            ctx.fail(
                f"identifiers[{n}].transitioned_to",
                f"CTIS number {ident.transitioned_to} is not among the record's identifiers",
                f"add - {{registry: CTIS, value: {ident.transitioned_to}}}",
            )


_PARTICIPATION_FIELDS = ("name", "aliases", "ror", "agency_class", "city", "country", "roles", "note")


def _participations(ctx: Ctx, raw: object, path: str) -> list[Participation]:
    """One organisation and every role it has in the trial: one participation per role."""
    obj = Obj(ctx, raw, path, _PARTICIPATION_FIELDS)
    name = obj.need("name", values.text)
    org = Organization(
        name=name,
        ror=obj.get("ror", values.ror),
        agency_class=obj.get("agency_class", values.enum("agency-class")),
        city=obj.get("city", values.text),
        country=obj.get("country", values.country),
        aliases=tuple(dict.fromkeys(a for a in obj.list("aliases", values.text) if a != name)),
    )
    roles = list(dict.fromkeys(obj.list("roles", values.enum("role"))))
    if obj.missing("roles"):
        raise Skip(path)
    if obj.data.get("roles") == []:
        raise ctx.fail(sub(path, "roles"), "an organisation needs at least one role", "e.g. roles: [LEAD_SPONSOR]")
    if not roles:
        raise Skip(path)
    note = obj.get("note", values.text)
    return [Participation(org, role, note) for role in roles]


def _consortium(ctx: Ctx, raw: object, path: str) -> Consortium:
    obj = Obj(ctx, raw, path, ("name", "partner_count", "role_counts"))
    counts: list[tuple[str, int]] = []
    raw_counts = obj.data.get("role_counts")
    if raw_counts is not None:
        counts_path = sub(path, "role_counts")
        if not isinstance(raw_counts, dict):
            ctx.fail(counts_path, f"expected a mapping ROLE: count, got {kind(raw_counts)}")
        else:
            for role_raw, count_raw in raw_counts.items():
                item = sub(counts_path, role_raw)
                try:
                    counts.append((values.enum("role")(ctx, role_raw, item), values.count(ctx, count_raw, item)))
                except Skip:
                    continue
    return Consortium(obj.need("name", values.text), obj.get("partner_count", values.count), tuple(counts))


def _funding(ctx: Ctx, raw: object, path: str) -> Funding:
    obj = Obj(ctx, raw, path, ("funder", "programme", "grant"))
    return Funding(obj.need("funder", values.text), obj.get("programme", values.text), obj.get("grant", values.text))


def _official_role(ctx: Ctx, raw: object, path: str) -> str:
    """An API v2 official role when it is one (``principal investigator`` -> the enum), else
    the free role as written (``coordinator``)."""
    text = values.person_text(ctx, raw, path)
    value, known = enum_value("official-role", text)
    return value if known and value else text


def _person(ctx: Ctx, raw: object, path: str) -> Person:
    obj = Obj(ctx, raw, path, ("name", "role", "affiliation"))
    return Person(
        obj.need("name", values.person_text),
        obj.get("role", _official_role),
        obj.get("affiliation", values.person_text),
    )


_SITE_FIELDS = ("facility", "city", "state", "zip", "country", "latitude", "longitude", "status")


def _site(ctx: Ctx, raw: object, path: str) -> Site:
    obj = Obj(ctx, raw, path, _SITE_FIELDS)
    return Site(
        facility=obj.need("facility", values.text),
        city=obj.get("city", values.text),
        state=obj.get("state", values.text),
        zip=obj.get("zip", values.text),
        country=obj.get("country", values.country),
        latitude=obj.get("latitude", values.degrees("latitude", 90)),
        longitude=obj.get("longitude", values.degrees("longitude", 180)),
        status=obj.get("status", values.enum("status")),
    )


def _mesh_term(ctx: Ctx, raw: object, path: str) -> MeshTerm:
    obj = Obj(ctx, raw, path, ("id", "label"))
    return MeshTerm(obj.need("id", values.mesh), obj.need("label", values.text))


def _condition(ctx: Ctx, raw: object, path: str) -> Condition:
    obj = Obj(ctx, raw, path, ("label", "mesh", "broader"))
    return Condition(
        obj.need("label", values.text), obj.get("mesh", values.mesh), tuple(obj.list("broader", _mesh_term))
    )


def _cell_product(ctx: Ctx, raw: object, path: str) -> CellProduct:
    obj = Obj(ctx, raw, path, ("cell_type", "tissue_source", "origin", "route"))
    return CellProduct(
        cell_type=obj.need("cell_type", values.text),
        tissue_source=obj.get("tissue_source", values.text),
        origin=obj.get("origin", values.enum("cell-origin")),
        route=obj.get("route", values.text),
    )


_INTERVENTION_FIELDS = ("name", "type", "other_names", "arm_labels", "description", "mesh", "broader", "cell_product")


def _intervention(ctx: Ctx, raw: object, path: str) -> Intervention:
    obj = Obj(ctx, raw, path, _INTERVENTION_FIELDS)
    return Intervention(
        name=obj.need("name", values.text),
        type=obj.get("type", values.enum("intervention-type")),
        other_names=tuple(obj.list("other_names", values.text)),
        arm_labels=tuple(obj.list("arm_labels", values.text)),
        description=obj.get("description", values.text),
        mesh=obj.get("mesh", values.mesh),
        broader=tuple(obj.list("broader", _mesh_term)),
        cell_product=obj.get("cell_product", _cell_product),
    )


def _arm(ctx: Ctx, raw: object, path: str) -> Arm:
    obj = Obj(ctx, raw, path, ("label", "type", "description", "interventions"))
    return Arm(
        label=obj.need("label", values.text),
        type=obj.get("type", values.enum("arm-type")),
        description=obj.get("description", values.text),
        interventions=tuple(obj.list("interventions", values.text)),
    )


def _outcome(ctx: Ctx, raw: object, path: str) -> Outcome:
    obj = Obj(ctx, raw, path, ("kind", "measure", "time_frame", "description"))
    return Outcome(
        kind=obj.need("kind", values.enum("outcome-kind")),
        measure=obj.need("measure", values.text),
        time_frame=obj.get("time_frame", values.text),
        description=obj.get("description", values.text),
    )


def _design(ctx: Ctx, raw: object, path: str) -> Design:
    obj = Obj(ctx, raw, path, ("allocation", "model", "purpose", "masking"))
    return Design(
        allocation=obj.get("allocation", values.enum("allocation")),
        model=obj.get("model", values.enum("intervention-model")),
        purpose=obj.get("purpose", values.enum("primary-purpose")),
        masking=obj.get("masking", values.enum("masking")),
    )


# -- the record ----------------------------------------------------------------------------------

#: Every top-level field, in the order SCHEMA.md documents them.
TOP_FIELDS = (
    "version", "sources", "identifiers", "title", "official_title", "acronym", "status",
    "last_known_status", "why_stopped", "phases", "study_type", "design", "enrollment",
    "enrollment_type", "start_date", "primary_completion_date", "completion_date",
    "registration_date", "sex", "minimum_age", "maximum_age", "healthy_volunteers",
    "participations", "consortium", "funding", "officials", "sites", "countries", "conditions",
    "keywords", "interventions", "arms", "outcomes", "references", "url",
)  # fmt: skip


def _record(ctx: Ctx, data: object, source_file: str, record_id: str) -> TrialRecord:
    top = Obj(ctx, data, "", TOP_FIELDS)
    top.list("sources", values.text)  # provenance for the people who edit the file; checked, not kept
    identifiers = top.list("identifiers", _identifier)
    _check_transitions(ctx, identifiers)
    if top.data.get("identifiers") is None:
        ctx.fail("identifiers", "required field is missing", "add identifiers: with at least one registry id")
    elif not identifiers and not ctx.problems:
        ctx.fail("identifiers", "a trial needs at least one identifier", "add - {registry: NCT, value: NCT...}")
    record = TrialRecord(
        source=SOURCE,
        record_id=record_id,
        source_file=source_file,
        identifiers=identifiers,
        version=top.get("version", values.digits_or_text),
        title=top.get("title", values.text),
        official_title=top.get("official_title", values.text),
        acronym=top.get("acronym", values.text),
        status=top.get("status", values.enum("status")),
        last_known_status=top.get("last_known_status", values.enum("status")),
        why_stopped=top.get("why_stopped", values.text),
        phases=list(dict.fromkeys(top.list("phases", values.enum("phase")))),
        study_type=top.get("study_type", values.enum("study-type")),
        design=top.get("design", _design) or Design(),
        enrollment=top.get("enrollment", values.enrollment),
        enrollment_type=top.get("enrollment_type", values.enum("enrollment-type")),
        start_date=top.get("start_date", values.date),
        primary_completion_date=top.get("primary_completion_date", values.date),
        completion_date=top.get("completion_date", values.date),
        registration_date=top.get("registration_date", values.date),
        sex=top.get("sex", values.enum("sex")),
        minimum_age=top.get("minimum_age", values.age),
        maximum_age=top.get("maximum_age", values.age),
        healthy_volunteers=top.get("healthy_volunteers", values.flag),
        participations=[p for group in top.list("participations", _participations) for p in group],
        consortium=top.get("consortium", _consortium),
        funding=top.list("funding", _funding),
        officials=top.list("officials", _person),
        sites=top.list("sites", _site),
        countries=list(dict.fromkeys(top.list("countries", values.country))),
        conditions=top.list("conditions", _condition),
        keywords=top.list("keywords", values.text),
        interventions=top.list("interventions", _intervention),
        arms=top.list("arms", _arm),
        outcomes=top.list("outcomes", _outcome),
        references=list(dict.fromkeys(top.list("references", values.pmid))),
        url=top.get("url", values.url),
    )
    _check_links(ctx, record)
    _check_lead_sponsor(ctx, record)
    record.warnings.extend(ctx.warnings)
    return record


def _check_lead_sponsor(ctx: Ctx, record: TrialRecord) -> None:
    """A trial has one lead sponsor (the shapes only warn when the records of one trial name
    different ones, since registers may; one record naming two is a mistake)."""
    leads = list(dict.fromkeys(p.organization.name for p in record.participations if p.role == "LEAD_SPONSOR"))
    if len(leads) > 1:
        ctx.fail(
            "participations",
            f"{len(leads)} organisations have the role LEAD_SPONSOR ({', '.join(leads)}); a trial has one lead sponsor",
            "keep LEAD_SPONSOR on the sponsor and give the others the role COLLABORATOR",
        )


def _check_links(ctx: Ctx, record: TrialRecord) -> None:
    """Arms and interventions name each other by text; a name that matches nothing is almost
    always a typo, but it is still representable, so it is a warning."""
    arm_labels = {a.label for a in record.arms}
    names = {i.name for i in record.interventions}
    links = [
        (f"arms[{i}].interventions[{j}]", name, names, "intervention", "interventions[].name")
        for i, arm in enumerate(record.arms)
        for j, name in enumerate(arm.interventions)
    ] + [
        (f"interventions[{i}].arm_labels[{j}]", label, arm_labels, "arm", "arms[].label")
        for i, intervention in enumerate(record.interventions)
        for j, label in enumerate(intervention.arm_labels)
    ]
    for path, text, known, target, where in links:
        if known and text not in known:
            ctx.warn(path, f"{quoted(text)} names no {target} of this record: write it as in {where}", "unmatched-link")


def _record_name(data: object, fallback: str) -> str:
    """What an error calls the record: its first id as written, else the file stem."""
    if isinstance(data, dict):
        ids = data.get("identifiers")
        if isinstance(ids, list) and ids and isinstance(ids[0], dict):
            value = ids[0].get("value")
            if isinstance(value, str) and value.strip():
                return shown(value.strip())
    return fallback


def parse(text: str, *, source_file: str, record_id: str) -> TrialRecord | RecordError:
    """One curated record from YAML text: the record, or one error listing every problem found.
    ``record_id`` is the record's key in its source (the file stem)."""
    ctx = Ctx()
    try:
        loader = safeyaml.Loader(text)  # checks the characters first
    except yaml.YAMLError as exc:
        message, hint = safeyaml.describe(exc, text)
        return RecordError(message, file=source_file, record=record_id, hint=hint)
    try:
        node = loader.get_single_node()
        data = None if node is None else plain(loader, node, "", ctx)
    except yaml.YAMLError as exc:
        message, hint = safeyaml.describe(exc, text)
        return RecordError(message, file=source_file, record=record_id, hint=hint)
    except Skip:
        data = None
    finally:
        loader.dispose()
    name = _record_name(data, record_id)
    if data is None and not ctx.problems:
        return RecordError("the file is empty", file=source_file, record=name, hint="see data/SCHEMA.md")
    if data is None:
        return error(ctx, source_file, name)
    try:
        record = _record(ctx, data, source_file, record_id)
    except Skip:
        return error(ctx, source_file, name)
    return error(ctx, source_file, name) if ctx.problems else record


def sniff(path: Path) -> bool:
    """A ``.yaml``/``.yml`` file, not the organisation register, with a top-level
    ``identifiers:`` key near its start."""
    if path.suffix.lower() not in SUFFIXES or path.name.lower() in EXCLUDED_NAMES:
        return False
    head = file_head(path, _SNIFF_BYTES)
    return head is not None and bool(_MARKER.search(head.removeprefix(b"\xef\xbb\xbf")))


def read(path: Path) -> Iterator[ReadResult]:
    """The one record of a curated file, or the one error that costs it."""
    source_file, stem = str(path), path.stem
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            yield RecordError(
                f"the file is {size} bytes; a curated record is at most {MAX_BYTES}",
                file=source_file,
                record=stem,
                hint="one trial per file",
            )
            return
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        yield RecordError(f"cannot read the file: {exc.strerror or exc}", file=source_file, record=stem)
        return
    except UnicodeDecodeError as exc:
        yield RecordError(
            f"not UTF-8 text (byte {exc.start})", file=source_file, record=stem, hint="save the file as UTF-8"
        )
        return
    yield parse(text, source_file=source_file, record_id=stem)


FORMAT = register(
    SourceFormat(
        name=SOURCE,
        description="curated trial records: one YAML file per trial (see data/SCHEMA.md)",
        sniff=sniff,
        read=read,
    )
)
