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

YAML is read by :mod:`graph.safeyaml`: only ``true``/``false`` are booleans (so the country ``NO``
stays Norway), dates stay text (so ``2015-09-01`` reaches the date parser as written), and nesting
and alias expansion are bounded (a file past either bound is refused at its line).  A key that
appears twice in one mapping is an error rather than a silent overwrite.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

import graph.contact as contact
import graph.safeyaml as safeyaml
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
    PartialDate,
    Participation,
    Person,
    RecordWarning,
    Site,
    TrialRecord,
)
from graph.normalize.countries import country_code
from graph.normalize.dates import parse_date
from graph.normalize.registry_ids import REGISTRIES, id_matches
from graph.normalize.text import clean_text, quoted, shown
from graph.normalize.vocab import ENUMS, enum_value
from graph.sources import ReadResult, SourceFormat, register

SOURCE = "curated"
SUFFIXES = (".yaml", ".yml")
#: The organisation register shares the folder and the suffix but is not a trial record.
EXCLUDED_NAMES = frozenset({"organizations.yaml", "organizations.yml"})
#: A curated record is a page of text; anything larger is a mistake, refused before parsing.
MAX_BYTES = 1024 * 1024
_SNIFF_BYTES = 64 * 1024
_MARKER = re.compile(rb"^[\"']?identifiers[\"']?[ \t]*:", re.MULTILINE)
#: Hints of the second and later problems of a file are shown inline when they are this short.
_MAX_INLINE_HINT = 100

T = TypeVar("T")


# -- problems ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Problem:
    path: str
    message: str
    hint: str | None = None
    #: Where to point when it is not the line of ``path`` itself.
    line: int | None = None


class _Skip(Exception):
    """Abandons one value whose problem is already recorded; the caller drops that value only,
    so the rest of the file is still checked."""


@dataclass
class _Ctx:
    """What reading one file has found so far: problems, warnings, and the line of each path."""

    problems: list[_Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    lines: dict[str, int] = field(default_factory=dict)
    #: The source text of scalars YAML did not read as text (``0372`` is read as octal 250).
    scalars: dict[str, str] = field(default_factory=dict)

    def fail(self, path: str, message: str, hint: str | None = None, line: int | None = None) -> _Skip:
        self.problems.append(_Problem(path, message, hint, line))
        return _Skip(path)

    def warn(self, path: str, message: str, kind: str = "other") -> None:
        self.warnings.append(RecordWarning(kind, f"{path}: {message}"))

    def line(self, path: str) -> int | None:
        """The line of ``path``, or of its nearest enclosing value; none for a missing top-level field."""
        while path and path not in self.lines:
            parent = _PARENT.fullmatch(path)
            path = parent.group(1) if parent else ""
        return self.lines.get(path) if path else None


_PARENT = re.compile(r"(.*?)(?:\.[^.\[\]]+|\[\d+\])")


def _sub(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _kind(value: object) -> str:
    """How a YAML value reads in an error message."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the text {shown!r}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _suggest(word: str, choices: Collection[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else None


def _plain(loader: safeyaml.Loader, node: Node, path: str, ctx: _Ctx) -> object:
    """The Python value of a composed YAML node, recording the line of every path on the way
    (the line is what makes an error findable in a file a person edits).  The composer has
    bounded the depth and the alias expansion already (:mod:`graph.safeyaml`)."""
    ctx.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, MappingNode):
        out: dict[str, object] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, ScalarNode):
                ctx.fail(path, "a key must be a plain name", "check the indentation", line=key_node.start_mark.line + 1)
                continue
            key = str(key_node.value)
            child = _sub(path, key)
            if key in out:
                ctx.fail(
                    child,
                    f"field {quoted(key)} is given twice (first on line {ctx.lines.get(child)})",
                    "keep one of them",
                    line=key_node.start_mark.line + 1,
                )
                continue
            ctx.lines[child] = key_node.start_mark.line + 1
            out[key] = _plain(loader, value_node, child, ctx)
        return out
    if isinstance(node, SequenceNode):
        return [_plain(loader, item, f"{path}[{i}]", ctx) for i, item in enumerate(node.value)]
    try:
        value = loader.construct_object(node)
    except yaml.YAMLError as exc:
        ctx.fail(path, f"cannot read this value: {getattr(exc, 'problem', exc)}", "remove the YAML tag or quote it")
        return None
    if not isinstance(value, str) and isinstance(node, ScalarNode):
        ctx.scalars[path] = node.value
    return value


# -- value readers -------------------------------------------------------------------------------
# Each reader takes (ctx, raw value, path) and returns a typed value, or records a problem and
# raises _Skip.

Reader = Callable[[_Ctx, object, str], T]


def _text(ctx: _Ctx, raw: object, path: str) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str):
        written = ctx.scalars.get(path, str(raw))
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            raise ctx.fail(path, f"expected text, got the number {written}", f'put it in quotes: "{written}"')
        raise ctx.fail(path, f"expected text, got {_kind(raw)}")
    text = clean_text(contact.guard(raw, path, ctx.warnings))
    if text is None:
        raise ctx.fail(path, "is empty", "write a value or remove the field")
    return text


def _person_text(ctx: _Ctx, raw: object, path: str) -> str:
    """Text about a person: left out, with a warning, when it holds contact details (the rule
    of :mod:`graph.contact`)."""
    if isinstance(raw, str) and contact.guard(raw, path, ctx.warnings, person=True) is None:
        raise _Skip(path)
    return _text(ctx, raw, path)


def _version(ctx: _Ctx, raw: object, path: str) -> str:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    return _text(ctx, raw, path)


def _enum(scheme: str) -> Reader[str]:
    def read(ctx: _Ctx, raw: object, path: str) -> str:
        value, known = enum_value(scheme, _text(ctx, raw, path))
        if value is None or not known:
            allowed = ENUMS[scheme]
            guess = _suggest(str(value).upper(), allowed)
            hint = (guess + " " if guess else "") + "allowed: " + ", ".join(allowed)
            raise ctx.fail(path, f"{quoted(value)} is not a {scheme} value", hint)
        return value

    return read


def _whole(ctx: _Ctx, raw: object, path: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ctx.fail(path, f"expected a whole number, got {_kind(raw)}", "write digits only, e.g. 24")
    return raw


def _count(ctx: _Ctx, raw: object, path: str) -> int:
    value = _whole(ctx, raw, path)
    if value < 0:
        raise ctx.fail(path, f"a count cannot be negative ({value})")
    return value


def _enrollment(ctx: _Ctx, raw: object, path: str) -> int:
    value = _whole(ctx, raw, path)
    if value < 0:
        # Kept: SHACL reports it by trial, field and rule.
        ctx.warn(
            path,
            f"enrolment {value} is negative, kept for validation to report: write the number of participants",
            "implausible-value",
        )
    return value


def _number(ctx: _Ctx, raw: object, path: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ctx.fail(path, f"expected a number, got {_kind(raw)}", "write a decimal number, e.g. 45.19")
    return float(raw)


def _degrees(name: str, limit: int) -> Reader[float]:
    """A latitude (``limit`` 90) or longitude (180) in decimal degrees."""

    def read(ctx: _Ctx, raw: object, path: str) -> float:
        value = _number(ctx, raw, path)
        if not -limit <= value <= limit:
            raise ctx.fail(path, f"{name} {value} is outside -{limit}..{limit}")
        return value

    return read


def _flag(ctx: _Ctx, raw: object, path: str) -> bool:
    if not isinstance(raw, bool):
        raise ctx.fail(path, f"expected true or false, got {_kind(raw)}")
    return raw


_ISO_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


def _date_text(ctx: _Ctx, raw: object, path: str) -> str:
    text = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else _text(ctx, raw, path)
    if not _ISO_DATE.fullmatch(text):
        raise ctx.fail(path, f"{quoted(text)} is not a date", 'write "2015", "2015-09" or "2015-09-01"')
    return text


_DATE_FIELDS = ("date", "type")


def _date(ctx: _Ctx, raw: object, path: str) -> PartialDate:
    """``2015-09`` or ``{date: 2015-09, type: ACTUAL}``."""
    if isinstance(raw, dict):
        obj = _Obj(ctx, raw, path, _DATE_FIELDS)
        text = obj.need("date", _date_text)
        date_type = obj.get("type", _enum("date-type"))
        date_path = _sub(path, "date")
    else:
        text, date_type, date_path = _date_text(ctx, raw, path), None, path
    try:
        return parse_date(text, date_type)
    except ValueError as exc:
        raise ctx.fail(date_path, str(exc), 'write "2015", "2015-09" or "2015-09-01"') from None


def _country(ctx: _Ctx, raw: object, path: str) -> str:
    text = _text(ctx, raw, path)
    code = country_code(text)
    if code is None:
        raise ctx.fail(
            path, f"{quoted(text)} is not a country", "use an ISO 3166-1 alpha-2 code (FR) or an English name"
        )
    return code


_MESH = re.compile(r"([DC])(\d{6}|\d{9})")


def _mesh(ctx: _Ctx, raw: object, path: str) -> str:
    """A MeSH descriptor (D...) or supplementary concept (C...) id, in the nine-digit spelling of
    API v2 (``D020521`` -> ``D000020521``) so that curated and registry records name the same
    condition node."""
    text = _text(ctx, raw, path)
    m = _MESH.fullmatch(text)
    if not m:
        raise ctx.fail(
            path,
            f"{quoted(text)} is not a MeSH descriptor or supplementary concept id",
            "write D or C followed by 6 or 9 digits, e.g. D020521 or C000606551",
        )
    letter, digits = m.groups()
    return f"{letter}000{digits}" if len(digits) == 6 else text


_AGE = re.compile(r"(\d+)\s+(year|month|week|day|hour|minute)s?", re.IGNORECASE)


def _age(ctx: _Ctx, raw: object, path: str) -> str:
    text = _text(ctx, raw, path)
    m = _AGE.fullmatch(text)
    if not m:
        raise ctx.fail(path, f"{quoted(text)} is not an age", 'write a number and a unit, e.g. "17 Years"')
    unit = m.group(2).capitalize()
    return f"{int(m.group(1))} {unit}s"


_PMID = re.compile(r"[1-9]\d{0,8}")


def _pmid(ctx: _Ctx, raw: object, path: str) -> str:
    text = str(raw) if isinstance(raw, int) and not isinstance(raw, bool) else _text(ctx, raw, path)
    if not _PMID.fullmatch(text):
        raise ctx.fail(path, f"{quoted(text)} is not a PubMed id", "write the PMID digits only, e.g. 31142524")
    return text


def _url(ctx: _Ctx, raw: object, path: str) -> str:
    text = _text(ctx, raw, path)
    if not re.fullmatch(r"https?://\S+", text):
        raise ctx.fail(path, f"{quoted(text)} is not a web address", "write a full http:// or https:// address")
    return text


_ROR = re.compile(r"(?:https?://ror\.org/)?(0[a-z0-9]{6}\d{2})")


def _ror(ctx: _Ctx, raw: object, path: str) -> str:
    text = _text(ctx, raw, path)
    m = _ROR.fullmatch(text)
    if not m:
        raise ctx.fail(path, f"{quoted(text)} is not a ROR id", "write the 9-character id, e.g. 02feahw73")
    return m.group(1)


# -- mappings ------------------------------------------------------------------------------------


class _Obj:
    """One YAML mapping being read: its keys are checked once, then typed values are handed out
    by field name, each read with its own path."""

    def __init__(self, ctx: _Ctx, raw: object, path: str, allowed: Collection[str]) -> None:
        if not isinstance(raw, dict):
            raise ctx.fail(path, f"expected a mapping (field: value lines), got {_kind(raw)}")
        self.ctx, self.data, self.path = ctx, raw, path
        for key in raw:
            if key not in allowed:
                hint = _suggest(key, allowed) or "allowed here: " + ", ".join(allowed)
                ctx.fail(_sub(path, key), f"unknown field {quoted(key)}", hint)

    def get(self, key: str, reader: Reader[T]) -> T | None:
        raw = self.data.get(key)
        if raw is None:
            return None
        try:
            return reader(self.ctx, raw, _sub(self.path, key))
        except _Skip:
            return None

    def need(self, key: str, reader: Reader[T]) -> T:
        """A required field: missing or unreadable abandons the enclosing value."""
        if self.missing(key):
            raise _Skip(_sub(self.path, key))
        return reader(self.ctx, self.data[key], _sub(self.path, key))

    def missing(self, *keys: str) -> bool:
        """Records each required key that is absent; true if any was."""
        absent = [key for key in keys if self.data.get(key) is None]
        for key in absent:
            self.ctx.fail(_sub(self.path, key), "required field is missing", f"add {key}: ...")
        return bool(absent)

    def list(self, key: str, reader: Reader[T]) -> list[T]:
        raw = self.data.get(key)
        if raw is None:
            return []
        path = _sub(self.path, key)
        if not isinstance(raw, list):
            self.ctx.fail(
                path, f"expected a list, got {_kind(raw)}", f"write each entry on its own '- ' line under {key}:"
            )
            return []
        out: list[T] = []
        for i, item in enumerate(raw):
            try:
                out.append(reader(self.ctx, item, f"{path}[{i}]"))
            except _Skip:
                continue
        return out


def _identifier(ctx: _Ctx, raw: object, path: str) -> Identifier:
    obj = _Obj(ctx, raw, path, ("registry", "value", "type", "domain", "transitioned_to"))
    registry, value = obj.get("registry", _registry), obj.get("value", _text)
    if obj.missing("registry", "value") or registry is None or value is None:
        raise _Skip(path)
    if not id_matches(registry, value):
        pattern = REGISTRIES[registry][1]
        ctx.warn(
            _sub(path, "value"),
            f"{quoted(value)} does not match the {registry} pattern {pattern}, kept for validation to report: "
            "correct the id",
            "malformed-id",
        )
    moved = obj.get("transitioned_to", _ctis_number)
    if moved and registry != "EUDRACT":
        ctx.fail(_sub(path, "transitioned_to"), f"only a EudraCT number moves to CTIS, not a {registry} id")
    return Identifier(registry, value, obj.get("type", _text), obj.get("domain", _text), moved)


def _ctis_number(ctx: _Ctx, raw: object, path: str) -> str:
    """The CTIS number a EudraCT trial moved to (``transitioned_to``)."""
    text = _text(ctx, raw, path)
    if not id_matches("CTIS", text):
        raise ctx.fail(path, f"{quoted(text)} is not a CTIS number", "write YYYY-NNNNNN-NN-NN, e.g. 2024-518394-34-00")
    return text


def _check_transitions(ctx: _Ctx, identifiers: list[Identifier]) -> None:
    """A transition names a CTIS number the record lists too, so that the trial holds it."""
    listed = {i.value for i in identifiers if i.registry == "CTIS"}
    for n, ident in enumerate(identifiers):
        if ident.transitioned_to and ident.transitioned_to not in listed:
            ctx.fail(
                f"identifiers[{n}].transitioned_to",
                f"CTIS number {ident.transitioned_to} is not among the record's identifiers",
                f"add - {{registry: CTIS, value: {ident.transitioned_to}}}",
            )


def _registry(ctx: _Ctx, raw: object, path: str) -> str:
    text = _text(ctx, raw, path)
    key = re.sub(r"[\s\-]+", "_", text).upper()
    if key not in REGISTRIES:
        guess = _suggest(key, REGISTRIES)
        hint = (guess + " " if guess else "") + "registries: " + ", ".join(REGISTRIES)
        raise ctx.fail(path, f"{quoted(text)} is not a registry trialgraph knows", hint)
    return key


_PARTICIPATION_FIELDS = ("name", "aliases", "ror", "agency_class", "city", "country", "roles", "note")


def _participations(ctx: _Ctx, raw: object, path: str) -> list[Participation]:
    """One organisation and every role it has in the trial: one participation per role."""
    obj = _Obj(ctx, raw, path, _PARTICIPATION_FIELDS)
    name = obj.need("name", _text)
    org = Organization(
        name=name,
        ror=obj.get("ror", _ror),
        agency_class=obj.get("agency_class", _enum("agency-class")),
        city=obj.get("city", _text),
        country=obj.get("country", _country),
        aliases=tuple(dict.fromkeys(a for a in obj.list("aliases", _text) if a != name)),
    )
    roles = list(dict.fromkeys(obj.list("roles", _enum("role"))))
    if obj.missing("roles"):
        raise _Skip(path)
    if obj.data.get("roles") == []:
        raise ctx.fail(_sub(path, "roles"), "an organisation needs at least one role", "e.g. roles: [LEAD_SPONSOR]")
    if not roles:
        raise _Skip(path)
    note = obj.get("note", _text)
    return [Participation(org, role, note) for role in roles]


def _consortium(ctx: _Ctx, raw: object, path: str) -> Consortium:
    obj = _Obj(ctx, raw, path, ("name", "partner_count", "role_counts"))
    counts: list[tuple[str, int]] = []
    raw_counts = obj.data.get("role_counts")
    if raw_counts is not None:
        counts_path = _sub(path, "role_counts")
        if not isinstance(raw_counts, dict):
            ctx.fail(counts_path, f"expected a mapping ROLE: count, got {_kind(raw_counts)}")
        else:
            for role_raw, count_raw in raw_counts.items():
                item = _sub(counts_path, role_raw)
                try:
                    counts.append((_enum("role")(ctx, role_raw, item), _count(ctx, count_raw, item)))
                except _Skip:
                    continue
    return Consortium(obj.need("name", _text), obj.get("partner_count", _count), tuple(counts))


def _funding(ctx: _Ctx, raw: object, path: str) -> Funding:
    obj = _Obj(ctx, raw, path, ("funder", "programme", "grant"))
    return Funding(obj.need("funder", _text), obj.get("programme", _text), obj.get("grant", _text))


def _official_role(ctx: _Ctx, raw: object, path: str) -> str:
    """An API v2 official role when it is one (``principal investigator`` -> the enum), else
    the free role as written (``coordinator``)."""
    text = _person_text(ctx, raw, path)
    value, known = enum_value("official-role", text)
    return value if known and value else text


def _person(ctx: _Ctx, raw: object, path: str) -> Person:
    obj = _Obj(ctx, raw, path, ("name", "role", "affiliation"))
    return Person(obj.need("name", _person_text), obj.get("role", _official_role), obj.get("affiliation", _person_text))


_SITE_FIELDS = ("facility", "city", "state", "zip", "country", "latitude", "longitude", "status")


def _site(ctx: _Ctx, raw: object, path: str) -> Site:
    obj = _Obj(ctx, raw, path, _SITE_FIELDS)
    return Site(
        facility=obj.need("facility", _text),
        city=obj.get("city", _text),
        state=obj.get("state", _text),
        zip=obj.get("zip", _text),
        country=obj.get("country", _country),
        latitude=obj.get("latitude", _degrees("latitude", 90)),
        longitude=obj.get("longitude", _degrees("longitude", 180)),
        status=obj.get("status", _enum("status")),
    )


def _mesh_term(ctx: _Ctx, raw: object, path: str) -> MeshTerm:
    obj = _Obj(ctx, raw, path, ("id", "label"))
    return MeshTerm(obj.need("id", _mesh), obj.need("label", _text))


def _condition(ctx: _Ctx, raw: object, path: str) -> Condition:
    obj = _Obj(ctx, raw, path, ("label", "mesh", "broader"))
    return Condition(obj.need("label", _text), obj.get("mesh", _mesh), tuple(obj.list("broader", _mesh_term)))


def _cell_product(ctx: _Ctx, raw: object, path: str) -> CellProduct:
    obj = _Obj(ctx, raw, path, ("cell_type", "tissue_source", "origin", "route"))
    return CellProduct(
        cell_type=obj.need("cell_type", _text),
        tissue_source=obj.get("tissue_source", _text),
        origin=obj.get("origin", _enum("cell-origin")),
        route=obj.get("route", _text),
    )


_INTERVENTION_FIELDS = ("name", "type", "other_names", "arm_labels", "description", "mesh", "broader", "cell_product")


def _intervention(ctx: _Ctx, raw: object, path: str) -> Intervention:
    obj = _Obj(ctx, raw, path, _INTERVENTION_FIELDS)
    return Intervention(
        name=obj.need("name", _text),
        type=obj.get("type", _enum("intervention-type")),
        other_names=tuple(obj.list("other_names", _text)),
        arm_labels=tuple(obj.list("arm_labels", _text)),
        description=obj.get("description", _text),
        mesh=obj.get("mesh", _mesh),
        broader=tuple(obj.list("broader", _mesh_term)),
        cell_product=obj.get("cell_product", _cell_product),
    )


def _arm(ctx: _Ctx, raw: object, path: str) -> Arm:
    obj = _Obj(ctx, raw, path, ("label", "type", "description", "interventions"))
    return Arm(
        label=obj.need("label", _text),
        type=obj.get("type", _enum("arm-type")),
        description=obj.get("description", _text),
        interventions=tuple(obj.list("interventions", _text)),
    )


def _outcome(ctx: _Ctx, raw: object, path: str) -> Outcome:
    obj = _Obj(ctx, raw, path, ("kind", "measure", "time_frame", "description"))
    return Outcome(
        kind=obj.need("kind", _enum("outcome-kind")),
        measure=obj.need("measure", _text),
        time_frame=obj.get("time_frame", _text),
        description=obj.get("description", _text),
    )


def _design(ctx: _Ctx, raw: object, path: str) -> Design:
    obj = _Obj(ctx, raw, path, ("allocation", "model", "purpose", "masking"))
    return Design(
        allocation=obj.get("allocation", _enum("allocation")),
        model=obj.get("model", _enum("intervention-model")),
        purpose=obj.get("purpose", _enum("primary-purpose")),
        masking=obj.get("masking", _enum("masking")),
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


def _record(ctx: _Ctx, data: object, source_file: str, record_id: str) -> TrialRecord:
    top = _Obj(ctx, data, "", TOP_FIELDS)
    top.list("sources", _text)  # provenance for the people who edit the file; checked, not kept
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
        version=top.get("version", _version),
        title=top.get("title", _text),
        official_title=top.get("official_title", _text),
        acronym=top.get("acronym", _text),
        status=top.get("status", _enum("status")),
        last_known_status=top.get("last_known_status", _enum("status")),
        why_stopped=top.get("why_stopped", _text),
        phases=list(dict.fromkeys(top.list("phases", _enum("phase")))),
        study_type=top.get("study_type", _enum("study-type")),
        design=top.get("design", _design) or Design(),
        enrollment=top.get("enrollment", _enrollment),
        enrollment_type=top.get("enrollment_type", _enum("enrollment-type")),
        start_date=top.get("start_date", _date),
        primary_completion_date=top.get("primary_completion_date", _date),
        completion_date=top.get("completion_date", _date),
        registration_date=top.get("registration_date", _date),
        sex=top.get("sex", _enum("sex")),
        minimum_age=top.get("minimum_age", _age),
        maximum_age=top.get("maximum_age", _age),
        healthy_volunteers=top.get("healthy_volunteers", _flag),
        participations=[p for group in top.list("participations", _participations) for p in group],
        consortium=top.get("consortium", _consortium),
        funding=top.list("funding", _funding),
        officials=top.list("officials", _person),
        sites=top.list("sites", _site),
        countries=list(dict.fromkeys(top.list("countries", _country))),
        conditions=top.list("conditions", _condition),
        keywords=top.list("keywords", _text),
        interventions=top.list("interventions", _intervention),
        arms=top.list("arms", _arm),
        outcomes=top.list("outcomes", _outcome),
        references=list(dict.fromkeys(top.list("references", _pmid))),
        url=top.get("url", _url),
    )
    _check_links(ctx, record)
    _check_lead_sponsor(ctx, record)
    record.warnings.extend(ctx.warnings)
    return record


def _check_lead_sponsor(ctx: _Ctx, record: TrialRecord) -> None:
    """A trial has one lead sponsor (the shapes only warn when the records of one trial name
    different ones, since registers may; one record naming two is a mistake)."""
    leads = list(dict.fromkeys(p.organization.name for p in record.participations if p.role == "LEAD_SPONSOR"))
    if len(leads) > 1:
        ctx.fail(
            "participations",
            f"{len(leads)} organisations have the role LEAD_SPONSOR ({', '.join(leads)}); a trial has one lead sponsor",
            "keep LEAD_SPONSOR on the sponsor and give the others the role COLLABORATOR",
        )


def _check_links(ctx: _Ctx, record: TrialRecord) -> None:
    """Arms and interventions name each other by text; a name that matches nothing is almost
    always a typo, but it is still representable, so it is a warning."""
    arm_labels = {a.label for a in record.arms}
    names = {i.name for i in record.interventions}
    for i, arm in enumerate(record.arms):
        for j, name in enumerate(arm.interventions):
            if names and name not in names:
                ctx.warn(
                    f"arms[{i}].interventions[{j}]",
                    f"{quoted(name)} names no intervention of this record: write it as in interventions[].name",
                    "unmatched-link",
                )
    for i, intervention in enumerate(record.interventions):
        for j, label in enumerate(intervention.arm_labels):
            if arm_labels and label not in arm_labels:
                ctx.warn(
                    f"interventions[{i}].arm_labels[{j}]",
                    f"{quoted(label)} names no arm of this record: write it as in arms[].label",
                    "unmatched-link",
                )


def _record_name(data: object, fallback: str) -> str:
    """What an error calls the record: its first id as written, else the file stem."""
    if isinstance(data, dict):
        ids = data.get("identifiers")
        if isinstance(ids, list) and ids and isinstance(ids[0], dict):
            value = ids[0].get("value")
            if isinstance(value, str) and value.strip():
                return shown(value.strip())
    return fallback


def _error(ctx: _Ctx, source_file: str, record: str) -> RecordError:
    def line(p: _Problem) -> int:
        return p.line or ctx.line(p.path) or 0

    def located(p: _Problem) -> str:
        return p.message + (f" (line {line(p)})" if line(p) else "")

    first, *rest = sorted(ctx.problems, key=line)

    message = located(first)
    for p in rest:
        hint = f"; {p.hint}" if p.hint and len(p.hint) <= _MAX_INLINE_HINT else ""
        message += f"\n  also {'field ' + p.path if p.path else 'the file'}: {located(p)}{hint}"
    return RecordError(message, file=source_file, record=record, field=first.path or None, hint=first.hint)


def parse(text: str, *, source_file: str, record_id: str) -> TrialRecord | RecordError:
    """One curated record from YAML text: the record, or one error listing every problem found.
    ``record_id`` is the record's key in its source (the file stem)."""
    ctx = _Ctx()
    try:
        loader = safeyaml.Loader(text)  # checks the characters first
    except yaml.YAMLError as exc:
        message, hint = safeyaml.describe(exc, text)
        return RecordError(message, file=source_file, record=record_id, hint=hint)
    try:
        node = loader.get_single_node()
        data = None if node is None else _plain(loader, node, "", ctx)
    except yaml.YAMLError as exc:
        message, hint = safeyaml.describe(exc, text)
        return RecordError(message, file=source_file, record=record_id, hint=hint)
    except _Skip:
        data = None
    finally:
        loader.dispose()
    name = _record_name(data, record_id)
    if data is None and not ctx.problems:
        return RecordError("the file is empty", file=source_file, record=name, hint="see data/SCHEMA.md")
    if data is None:
        return _error(ctx, source_file, name)
    try:
        record = _record(ctx, data, source_file, record_id)
    except _Skip:
        return _error(ctx, source_file, name)
    return _error(ctx, source_file, name) if ctx.problems else record


def sniff(path: Path) -> bool:
    """A ``.yaml``/``.yml`` file, not the organisation register, with a top-level
    ``identifiers:`` key near its start."""
    if path.suffix.lower() not in SUFFIXES or path.name.lower() in EXCLUDED_NAMES:
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError:
        return False
    return bool(_MARKER.search(head.removeprefix(b"\xef\xbb\xbf")))


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
