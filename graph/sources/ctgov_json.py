"""Reading the JSON of one ClinicalTrials.gov study: every value is typed and read with its JSON
path (so an error names the field), and every text goes through the contact rule of
:mod:`graph.contact` and the length cap, with the warnings collected for the record."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import graph.contact as contact
from graph.model import PartialDate, RecordWarning
from graph.normalize.dates import parse_date
from graph.normalize.text import clean_text, quoted
from graph.normalize.vocab import enum_value
from graph.sources import BadField, kind_of


def clean(value: str) -> str | None:
    """:func:`clean_text`, with a fast path for the common case: for ASCII text without markup,
    NFC and the ``<br>`` rule change nothing, and only white space needs folding."""
    if value.isascii() and "<" not in value:
        return " ".join(value.split()) or None
    return clean_text(value)


#: ``enum_value`` is pure and sees few distinct values: cache it (it runs a regex per call).
_enum_value = lru_cache(maxsize=4096)(enum_value)


@dataclass(frozen=True)
class At:
    """A JSON object and its path from the study root, so every error can say where it is, and
    the notes of the study, so every text read can warn about itself."""

    data: dict[str, Any]
    path: str
    notes: Notes

    def where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def obj(self, key: str) -> At:
        value = self.data.get(key)
        if value is None:
            return At({}, self.where(key), self.notes)
        if not isinstance(value, dict):
            raise BadField(self.where(key), f"expected an object, found {kind_of(value)}")
        return At(value, self.where(key), self.notes)

    def _array(self, key: str) -> list[Any]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise BadField(self.where(key), f"expected an array, found {kind_of(value)}")
        return value

    def objs(self, key: str) -> list[At]:
        out = []
        for i, item in enumerate(self._array(key)):
            path = f"{self.where(key)}[{i}]"
            if not isinstance(item, dict):
                raise BadField(path, f"expected an object, found {kind_of(item)}")
            out.append(At(item, path, self.notes))
        return out

    def texts(self, key: str) -> list[str]:
        """An array of strings, cleaned; empty entries dropped."""
        out = []
        for i, item in enumerate(self._array(key)):
            path = f"{self.where(key)}[{i}]"
            if not isinstance(item, str):
                raise BadField(path, f"expected a string, found {kind_of(item)}")
            text = clean(item) if contact.unguarded(item) else self.notes.clean(item, path)
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
            raise BadField(self.where(key), f"expected a string, found {kind_of(value)}")
        if not person and contact.unguarded(value):
            return clean(value)
        return self.notes.clean(value, self.where(key), person=person)

    def integer(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise BadField(self.where(key), f"expected an integer, found {kind_of(value)}")
        return value

    def number(self, key: str) -> float | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadField(self.where(key), f"expected a number, found {kind_of(value)}")
        return float(value)

    def flag(self, key: str) -> bool | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise BadField(self.where(key), f"expected true or false, found {kind_of(value)}")
        return value


@dataclass
class Notes:
    """Warnings collected while one study is mapped."""

    warnings: list[str] = field(default_factory=list)

    def warn(self, kind: str, path: str, message: str) -> None:
        self.warnings.append(RecordWarning(kind, f"{path}: {message}"))

    def clean(self, raw: str, path: str, *, person: bool = False) -> str | None:
        """:func:`clean` of a text put through :func:`graph.contact.guard` (the length cap and
        the contact rule)."""
        guarded = contact.guard(raw, path, self.warnings, person=person)
        return None if guarded is None else clean(guarded)

    def enum(self, at: At, key: str, scheme: str) -> str | None:
        return self.enum_text(at.text(key), at.where(key), scheme)

    def enum_text(self, raw: str | None, path: str, scheme: str) -> str | None:
        value, known = _enum_value(scheme, raw)
        if not known:
            self.warn("unknown-value", path, f"{quoted(value)} is not a known {scheme} value; kept as text")
        return value

    def date(self, at: At, key: str) -> PartialDate | None:
        """A ``...DateStruct`` (``{"date": ..., "type": ...}``) at ``key``."""
        struct_ = at.obj(key)
        date = date_at(struct_, "date")
        if date is None:
            return None
        return PartialDate(date.value, date.precision, self.enum(struct_, "type", "date-type"))


def date_at(at: At, key: str) -> PartialDate | None:
    text = at.text(key)
    if text is None:
        return None
    try:
        return parse_date(text)
    except ValueError as exc:
        raise BadField(at.where(key), str(exc), hint="API v2 dates are YYYY, YYYY-MM or YYYY-MM-DD") from None
