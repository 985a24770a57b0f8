"""The value readers of curated records: each reads one field's YAML value into a typed value, or
records a problem at the field's path and raises :class:`~graph.sources.curated_problems.Skip`;
and :class:`Obj`, one YAML mapping whose fields are read by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import TypeVar

import graph.contact as contact
from graph.model import PartialDate
from graph.normalize.countries import country_code
from graph.normalize.dates import parse_date
from graph.normalize.registry_ids import REGISTRIES, id_matches
from graph.normalize.text import clean_text, quoted
from graph.normalize.vocab import ENUMS, enum_value
from graph.sources.curated_problems import Ctx, Skip, kind, sub, suggest

T = TypeVar("T")

# Each reader takes (ctx, raw value, path) and returns a typed value, or records a problem and
# raises Skip.

Reader = Callable[[Ctx, object, str], T]


def text(ctx: Ctx, raw: object, path: str) -> str:
    if isinstance(raw, bool) or not isinstance(raw, str):
        written = ctx.scalars.get(path, str(raw))
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            raise ctx.fail(path, f"expected text, got the number {written}", f'put it in quotes: "{written}"')
        raise ctx.fail(path, f"expected text, got {kind(raw)}")
    cleaned = clean_text(contact.guard(raw, path, ctx.warnings))
    if cleaned is None:
        raise ctx.fail(path, "is empty", "write a value or remove the field")
    return cleaned


def person_text(ctx: Ctx, raw: object, path: str) -> str:
    """Text about a person: left out, with a warning, when it holds contact details (the rule
    of :mod:`graph.contact`)."""
    if isinstance(raw, str) and contact.guard(raw, path, ctx.warnings, person=True) is None:
        raise Skip(path)
    return text(ctx, raw, path)


def digits_or_text(ctx: Ctx, raw: object, path: str) -> str:
    """Text that YAML may have read as a whole number (a version ``2``, a year ``2015``, a PMID):
    the number's digits, else the text."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return str(raw)
    return text(ctx, raw, path)


def enum(scheme: str) -> Reader[str]:
    def read(ctx: Ctx, raw: object, path: str) -> str:
        value, known = enum_value(scheme, text(ctx, raw, path))
        if value is None or not known:
            allowed = ENUMS[scheme]
            guess = suggest(str(value).upper(), allowed)
            hint = (guess + " " if guess else "") + "allowed: " + ", ".join(allowed)
            raise ctx.fail(path, f"{quoted(value)} is not a {scheme} value", hint)
        return value

    return read


def whole(ctx: Ctx, raw: object, path: str) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ctx.fail(path, f"expected a whole number, got {kind(raw)}", "write digits only, e.g. 24")
    return raw


def count(ctx: Ctx, raw: object, path: str) -> int:
    value = whole(ctx, raw, path)
    if value < 0:
        raise ctx.fail(path, f"a count cannot be negative ({value})")
    return value


def enrollment(ctx: Ctx, raw: object, path: str) -> int:
    value = whole(ctx, raw, path)
    if value < 0:
        # Kept: SHACL reports it by trial, field and rule.
        ctx.warn(
            path,
            f"enrolment {value} is negative, kept for validation to report: write the number of participants",
            "implausible-value",
        )
    return value


def number(ctx: Ctx, raw: object, path: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ctx.fail(path, f"expected a number, got {kind(raw)}", "write a decimal number, e.g. 45.19")
    return float(raw)


def degrees(name: str, limit: int) -> Reader[float]:
    """A latitude (``limit`` 90) or longitude (180) in decimal degrees."""

    def read(ctx: Ctx, raw: object, path: str) -> float:
        value = number(ctx, raw, path)
        if not -limit <= value <= limit:
            raise ctx.fail(path, f"{name} {value} is outside -{limit}..{limit}")
        return value

    return read


def flag(ctx: Ctx, raw: object, path: str) -> bool:
    if not isinstance(raw, bool):
        raise ctx.fail(path, f"expected true or false, got {kind(raw)}")
    return raw


_ISO_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


def matching(pattern: re.Pattern[str], what: str, hint: str) -> Reader[str]:
    """A reader of :func:`digits_or_text` that must match ``pattern`` whole (``what`` it is not, else)."""

    def read(ctx: Ctx, raw: object, path: str) -> str:
        written = digits_or_text(ctx, raw, path)
        if not pattern.fullmatch(written):
            raise ctx.fail(path, f"{quoted(written)} is not {what}", hint)
        return written

    return read


date_text = matching(_ISO_DATE, "a date", 'write "2015", "2015-09" or "2015-09-01"')


_DATE_FIELDS = ("date", "type")


def date(ctx: Ctx, raw: object, path: str) -> PartialDate:
    """``2015-09`` or ``{date: 2015-09, type: ACTUAL}``."""
    if isinstance(raw, dict):
        obj = Obj(ctx, raw, path, _DATE_FIELDS)
        written = obj.need("date", date_text)
        date_type = obj.get("type", enum("date-type"))
        date_path = sub(path, "date")
    else:
        written, date_type, date_path = date_text(ctx, raw, path), None, path
    try:
        return parse_date(written, date_type)
    except ValueError as exc:
        raise ctx.fail(date_path, str(exc), 'write "2015", "2015-09" or "2015-09-01"') from None


def country(ctx: Ctx, raw: object, path: str) -> str:
    written = text(ctx, raw, path)
    code = country_code(written)
    if code is None:
        raise ctx.fail(
            path, f"{quoted(written)} is not a country", "use an ISO 3166-1 alpha-2 code (FR) or an English name"
        )
    return code


_MESH = re.compile(r"([DC])(\d{6}|\d{9})")


def mesh(ctx: Ctx, raw: object, path: str) -> str:
    """A MeSH descriptor (D...) or supplementary concept (C...) id, in the nine-digit spelling of
    API v2 (``D020521`` -> ``D000020521``) so that curated and registry records name the same
    condition node."""
    written = text(ctx, raw, path)
    m = _MESH.fullmatch(written)
    if not m:
        raise ctx.fail(
            path,
            f"{quoted(written)} is not a MeSH descriptor or supplementary concept id",
            "write D or C followed by 6 or 9 digits, e.g. D020521 or C000606551",
        )
    letter, digits = m.groups()
    return f"{letter}000{digits}" if len(digits) == 6 else written


_AGE = re.compile(r"(\d+)\s+(year|month|week|day|hour|minute)s?", re.IGNORECASE)


def age(ctx: Ctx, raw: object, path: str) -> str:
    written = text(ctx, raw, path)
    m = _AGE.fullmatch(written)
    if not m:
        raise ctx.fail(path, f"{quoted(written)} is not an age", 'write a number and a unit, e.g. "17 Years"')
    unit = m.group(2).capitalize()
    return f"{int(m.group(1))} {unit}s"


_PMID = re.compile(r"[1-9]\d{0,8}")


pmid = matching(_PMID, "a PubMed id", "write the PMID digits only, e.g. 31142524")


def url(ctx: Ctx, raw: object, path: str) -> str:
    written = text(ctx, raw, path)
    if not re.fullmatch(r"https?://\S+", written):
        raise ctx.fail(path, f"{quoted(written)} is not a web address", "write a full http:// or https:// address")
    return written


_ROR = re.compile(r"(?:https?://ror\.org/)?(0[a-z0-9]{6}\d{2})")


def ror(ctx: Ctx, raw: object, path: str) -> str:
    written = text(ctx, raw, path)
    m = _ROR.fullmatch(written)
    if not m:
        raise ctx.fail(path, f"{quoted(written)} is not a ROR id", "write the 9-character id, e.g. 02feahw73")
    return m.group(1)


# -- mappings ------------------------------------------------------------------------------------


class Obj:
    """One YAML mapping being read: its keys are checked once, then typed values are handed out
    by field name, each read with its own path."""

    def __init__(self, ctx: Ctx, raw: object, path: str, allowed: Collection[str]) -> None:
        if not isinstance(raw, dict):
            raise ctx.fail(path, f"expected a mapping (field: value lines), got {kind(raw)}")
        self.ctx, self.data, self.path = ctx, raw, path
        for key in raw:
            if key not in allowed:
                hint = suggest(key, allowed) or "allowed here: " + ", ".join(allowed)
                ctx.fail(sub(path, key), f"unknown field {quoted(key)}", hint)

    def get(self, key: str, reader: Reader[T]) -> T | None:
        raw = self.data.get(key)
        if raw is None:
            return None
        try:
            return reader(self.ctx, raw, sub(self.path, key))
        except Skip:
            return None

    def need(self, key: str, reader: Reader[T]) -> T:
        """A required field: missing or unreadable abandons the enclosing value."""
        if self.missing(key):
            raise Skip(sub(self.path, key))
        return reader(self.ctx, self.data[key], sub(self.path, key))

    def missing(self, *keys: str) -> bool:
        """Records each required key that is absent; true if any was."""
        absent = [key for key in keys if self.data.get(key) is None]
        for key in absent:
            self.ctx.fail(sub(self.path, key), "required field is missing", f"add {key}: ...")
        return bool(absent)

    def list(self, key: str, reader: Reader[T]) -> list[T]:
        raw = self.data.get(key)
        if raw is None:
            return []
        path = sub(self.path, key)
        if not isinstance(raw, list):
            self.ctx.fail(
                path, f"expected a list, got {kind(raw)}", f"write each entry on its own '- ' line under {key}:"
            )
            return []
        out: list[T] = []
        for i, item in enumerate(raw):
            try:
                out.append(reader(self.ctx, item, f"{path}[{i}]"))
            except Skip:
                continue
        return out


def registry(ctx: Ctx, raw: object, path: str) -> str:
    written = text(ctx, raw, path)
    key = re.sub(r"[\s\-]+", "_", written).upper()
    if key not in REGISTRIES:
        guess = suggest(key, REGISTRIES)
        hint = (guess + " " if guess else "") + "registries: " + ", ".join(REGISTRIES)
        raise ctx.fail(path, f"{quoted(written)} is not a registry trialgraph knows", hint)
    return key


def ctis_number(ctx: Ctx, raw: object, path: str) -> str:
    """The CTIS number a EudraCT trial moved to (``transitioned_to``)."""
    written = text(ctx, raw, path)
    if not id_matches("CTIS", written):
        raise ctx.fail(
            path, f"{quoted(written)} is not a CTIS number", "write YYYY-NNNNNN-NN-NN, e.g. 2024-518394-34-00"
        )
    return written
