"""What the readers of the EU and ISRCTN registers share: records as the R package ctrdata keeps
them, one JSON document per record.

ctrdata stores each register's record in that register's own layout (CTIS portal JSON, the EU
Clinical Trials Register's protocol fields flattened into names such as ``a2_eudract_number``,
the ISRCTN API record converted from XML) and adds ``ctrname`` (the register) and
``record_last_import`` (the download time).  Three habits of these documents shape the helpers
here:

* a value converted from XML is an object when the element occurs once and an array when it
  occurs more often (``trialCentre``), so :meth:`At.items` takes either;
* numbers are often strings (``"150"``) and flags are ``true``, ``"true"`` or ``"Yes"``;
* registers write placeholders where there is no value ("Nil known", "N/A", "-").

Every value is read through :class:`At`, which knows its JSON path, so an error names the field
(``authorizedPartI.trialDetails...``).  A value of the wrong JSON type raises :class:`graph.sources.BadField`,
which :func:`read_record` turns into the one :class:`~graph.errors.RecordError` of the file.
Contact details are never read: readers do not look at contact fields at all, and every text
goes through the rule of :mod:`graph.contact` (an e-mail address left inside free text is
masked) and the length cap, each with a warning naming the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import orjson

import graph.contact as contact
from graph.errors import RecordError
from graph.model import ConditionTerm, Intervention, PartialDate, Participation, RecordWarning, TrialRecord
from graph.normalize.countries import country_code
from graph.normalize.dates import parse_date
from graph.normalize.text import clean_text, quoted, shown
from graph.normalize.vocab import enum_value
from graph.sources import BadField, ReadResult, SourceFormat, json_problem, kind_of, register

#: How much of a file's start (and end: ctrdata appends ``ctrname``) sniffing reads.
SNIFF_HEAD = 64 * 1024
SNIFF_TAIL = 4 * 1024
_BOM = b"\xef\xbb\xbf"
_CORRUPT_HINT = "the file is truncated or corrupt: download the record again, or remove it from the input"

#: What registers write where there is no value.
PLACEHOLDERS = frozenset(
    {
        "",
        "-",
        "n/a",
        "na",
        "nil known",
        "nil",
        "none",
        "not applicable",
        "not known",
        "not provided at time of registration",
        "unknown",
    }
)
#: The warnings of the record being read, for the texts that :func:`text` guards.
_WARNINGS: ContextVar[list[str] | None] = ContextVar("ctrdata_warnings", default=None)
_YES = frozenset({"yes", "true", "y", "1"})
_NO = frozenset({"no", "false", "n", "0"})


def text(raw: str | None, where: str = "") -> str | None:
    """One clean line (NFC, white space folded, ``<br>`` gone) put through
    :func:`graph.contact.guard` (``&#64;`` read as ``@``); ``None`` when empty.  Warnings go to
    the record being read (``where`` names the field)."""
    if raw is None:
        return None
    sink = _WARNINGS.get()
    guarded = contact.guard(raw.replace("&#64;", "@"), where, sink if sink is not None else [])
    return clean_text(guarded)


def is_placeholder(value: str | None) -> bool:
    return value is None or value.strip().casefold() in PLACEHOLDERS


@dataclass(frozen=True)
class At:
    """A JSON value and its path from the record root."""

    value: Any
    path: str = ""

    def get(self, *keys: str) -> At:
        """The value under ``keys`` (each an object member); an absent member gives ``At(None)``.
        A value on the way that is not an object is an error."""
        at = self
        for key in keys:
            where = f"{at.path}.{key}" if at.path else key
            if at.value is None:
                at = At(None, where)
                continue
            if not isinstance(at.value, dict):
                raise BadField(at.path, f"expected an object, found {kind_of(at.value)}")
            at = At(at.value.get(key), where)
        return at

    def first(self, *keys: str) -> At:
        """The first member of ``keys`` that holds a value, else the last one (empty)."""
        found = [self.get(key) for key in keys]
        return next((at for at in found if at), found[-1])

    def __bool__(self) -> bool:
        return self.value not in (None, "", [], {})

    def items(self) -> list[At]:
        """An array's elements; a single value counts as an array of one (XML conversion writes
        an element that occurs once without the array)."""
        if self.value is None or self.value == "":
            return []
        if isinstance(self.value, list):
            return [At(v, f"{self.path}[{i}]") for i, v in enumerate(self.value)]
        return [self]

    def objects(self) -> list[At]:
        """:meth:`items`, each of which must be an object."""
        out = self.items()
        for at in out:
            if not isinstance(at.value, dict):
                raise BadField(at.path, f"expected an object, found {kind_of(at.value)}")
        return out

    def text(self) -> str | None:
        """A string (or number) as clean text; ``None`` for nothing or a placeholder."""
        if self.value is None:
            return None
        if isinstance(self.value, bool) or not isinstance(self.value, str | int | float):
            raise BadField(self.path, f"expected text, found {kind_of(self.value)}")
        value = text(str(self.value), self.path)
        return None if is_placeholder(value) else value

    def texts(self) -> list[str]:
        """A string or an array of strings, cleaned, placeholders and repeats dropped."""
        out: list[str] = []
        for at in self.items():
            value = at.text()
            if value and value not in out:
                out.append(value)
        return out

    def integer(self) -> int | None:
        """A whole number, written as a number or as digits."""
        if self.value is None or self.value == "":
            return None
        if isinstance(self.value, int) and not isinstance(self.value, bool):
            return self.value
        if isinstance(self.value, str) and self.value.strip().isdigit():
            return int(self.value.strip())
        if isinstance(self.value, str) and is_placeholder(self.value):
            return None
        raise BadField(self.path, f"expected a whole number, found {kind_of(self.value)}")

    def flag(self) -> bool | None:
        """``true``/``false``, or the strings "true", "Yes", "No"..."""
        if isinstance(self.value, bool) or self.value is None:
            return self.value
        if isinstance(self.value, str):
            key = self.value.strip().casefold()
            if key in _YES:
                return True
            if key in _NO:
                return False
            if key in PLACEHOLDERS:
                return None
        raise BadField(self.path, f"expected true or false, found {kind_of(self.value)}")


@dataclass
class Notes:
    """Warnings collected while one record is mapped."""

    warnings: list[str] = field(default_factory=list)

    def warn(self, at: At | str, message: str, kind: str = "other") -> None:
        where = at.path if isinstance(at, At) else at
        self.warnings.append(RecordWarning(kind, f"{where}: {message}" if where else message))

    def date(self, at: At, date_type: str | None = None) -> PartialDate | None:
        """A date in one of the registers' spellings (``2022-08-03``, ``28/04/2021``,
        ``2015-11-01T00:00:00.000Z``); one that cannot be read is left out with a warning (the
        register accepted it)."""
        raw = at.text()
        if raw is None:
            return None
        value = re.sub(r"[T ]\d{2}:\d{2}.*$", "", raw)
        try:
            found = parse_date(value)
        except ValueError:
            self.warn(at, f"{quoted(raw)} is not a date; left out", "unreadable-value")
            return None
        return PartialDate(found.value, found.precision, date_type)

    def enum(self, at: At, scheme: str, spellings: Mapping[str, str | None], *, keep: bool = True) -> str | None:
        """A controlled value: the register's own spelling (a key of ``spellings``, case folded)
        mapped, else the API v2 value the text names; an unknown value is kept as text (or, with
        ``keep=False``, left out) with a warning."""
        raw = at.text()
        if raw is None:
            return None
        if raw.casefold() in spellings:
            return spellings[raw.casefold()]
        value, known = enum_value(scheme, raw)
        if not known:
            self.warn(
                at,
                f"{quoted(raw)} is not a known {scheme} value; " + ("kept as text" if keep else "left out"),
                "unknown-value",
            )
            return value if keep else None
        return value

    def country(self, at: At) -> str | None:
        name = at.text()
        code = country_code(name)
        if name and code is None:
            self.warn(at, f"{quoted(name)} is not a country trialgraph knows; left out", "unknown-country")
        return code


def version(doc: At) -> str | None:
    """``record_last_import`` (when ctrdata downloaded the record) as ISO text, for registers
    whose record states no last-update date of its own."""
    raw = doc.get("record_last_import").text()
    return raw.replace(" ", "T", 1) if raw else None


def add_participation(out: list[Participation], part: Participation) -> None:
    """Append unless the same organisation already has that role in the record."""
    key = (part.organization.name.casefold(), part.role)
    if all((p.organization.name.casefold(), p.role) != key for p in out):
        out.append(part)


def add_intervention(out: list[Intervention], item: Intervention) -> None:
    """Append unless an intervention of that name is already there (case folded)."""
    if all(i.name.casefold() != item.name.casefold() for i in out):
        out.append(item)


def products(items: list[At], product: Callable[[At], Intervention | None], notes: Notes) -> list[Intervention]:
    """The medicinal products of a record as interventions, one per name; a product without any
    name is skipped with a warning."""
    out: list[Intervention] = []
    for at in items:
        item = product(at)
        if item is None:
            notes.warn(at, "a product without a name; skipped")
            continue
        add_intervention(out, item)
    return out


def other_names(name: str, candidates: list[str]) -> tuple[str, ...]:
    """Candidates that differ from ``name`` and from each other, case folded."""
    seen = {name.casefold()}
    out: list[str] = []
    for c in candidates:
        if c.casefold() not in seen:
            seen.add(c.casefold())
            out.append(c)
    return tuple(out)


def therapeutic_area_term(label: str, code: str | None) -> ConditionTerm:
    return ConditionTerm("EMA therapeutic area", label, code)


def attach_terms(record: TrialRecord, terms: list[ConditionTerm]) -> None:
    """Coded terms go on the record's one condition; with several conditions the source does not
    say which term codes which, so they stay on the trial."""
    unique = list(dict.fromkeys(terms))
    if not unique:
        return
    if len(record.conditions) == 1:
        record.conditions[0] = replace(record.conditions[0], terms=tuple(unique))
    else:
        record.condition_terms.extend(unique)


# -- files -----------------------------------------------------------------------------------------


def sniff_markers(path: Path, markers: tuple[re.Pattern[bytes], ...]) -> bool:
    """A ``.json`` file whose start or end holds one of ``markers`` (top-level keys of the
    register's layout, or ctrdata's ``"ctrname": "CTIS"``)."""
    if path.suffix.lower() != ".json":
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_HEAD)
            size = fh.seek(0, 2)
            tail = b""
            if size > SNIFF_HEAD:
                fh.seek(max(SNIFF_HEAD, size - SNIFF_TAIL))
                tail = fh.read()
    except OSError:
        return False
    if not head.removeprefix(_BOM).lstrip().startswith(b"{"):
        return False
    return any(m.search(head) or m.search(tail) for m in markers)


def ctrname_marker(register: str) -> re.Pattern[bytes]:
    return re.compile(rb'"ctrname"\s*:\s*"' + register.encode() + rb'"')


Mapper = Callable[[At, str], TrialRecord]
Labeller = Callable[[Any], str | None]


def register_reader(
    name: str, description: str, markers: tuple[re.Pattern[bytes], ...], mapper: Mapper, label: Labeller
) -> SourceFormat:
    """Register the reader of one register's ctrdata files: sniffed by ``markers``
    (:func:`sniff_markers`), one record per file mapped by ``mapper`` (:func:`read_record`)."""

    def sniff(path: Path) -> bool:
        return sniff_markers(path, markers)

    def read(path: Path) -> Iterator[ReadResult]:
        yield from read_record(Path(path), mapper, label)

    return register(SourceFormat(name=name, description=description, sniff=sniff, read=read))


def read_record(path: Path, mapper: Mapper, label: Labeller) -> Iterator[ReadResult]:
    """The one record of a ctrdata JSON file, or the one error that costs it.  ``label`` names
    the record in an error (its register id, read leniently from the raw document)."""
    source_file = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        yield RecordError(f"cannot read the file ({exc.strerror or exc})", file=source_file)
        return
    try:
        doc = orjson.loads(data.removeprefix(_BOM))
    except json.JSONDecodeError as exc:  # orjson's error is a subclass
        yield RecordError(
            json_problem(exc, data.removeprefix(_BOM)),
            file=source_file,
            record=path.stem,
            hint=_CORRUPT_HINT,
        )
        return
    if not isinstance(doc, dict):
        yield RecordError(
            f"expected one record (a JSON object), found {kind_of(doc)}", file=source_file, record=path.stem
        )
        return
    name = label(doc) or path.stem
    guarded: list[str] = []
    token = _WARNINGS.set(guarded)
    try:
        record = mapper(At(doc), source_file)
    except BadField as exc:
        yield RecordError(exc.message, file=source_file, record=name, field=exc.path or None, hint=exc.hint)
        return
    finally:
        _WARNINGS.reset(token)
    record.warnings.extend(guarded)
    yield record


def raw_text(doc: Any, *keys: str) -> str | None:
    """A string found under ``keys`` in a raw document, or ``None`` (never raises): for naming a
    record in an error before it is read properly."""
    for key in keys:
        doc = doc.get(key) if isinstance(doc, dict) else None
    return shown(doc.strip()) if isinstance(doc, str) and doc.strip() else None
