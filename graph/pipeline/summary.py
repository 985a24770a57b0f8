"""The import summary: what a build found, by kind, with counts and a few example records.

A data steward reads it at the end of ``trialgraph build`` ("412 conditions without MeSH
(NCT..., NCT..., NCT...)"), a machine reads it with ``--format json``.  It has four sections:

* ``unreadable``: inputs and records that could not be read (the build exits 2);
* ``quarantined``: records kept out of the published graph, by the rule they broke (exit 1);
* ``warnings``: what the readers noted while mapping records (:class:`graph.model.RecordWarning`,
  by kind, see :data:`WARNING_KINDS`), and what the shapes report as warnings, by rule;
* ``kept-out``: older versions not loaded over newer ones, and identity links left for review.

Counts are of findings (a record with three conditions without MeSH counts three); examples are
distinct record ids, in the order the build met them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

#: Kinds of reader warnings and what a count of them means.
WARNING_KINDS: dict[str, str] = {
    "unknown-value": "values outside the controlled vocabulary, kept as text",
    "unknown-country": "place names that are not a country, left out",
    "unreadable-value": "values that could not be read, left out",
    "malformed-id": "ids without the form their registry gives them, kept as written",
    "not-an-id": "id fields that hold no id ('N/A', 'Nil known'), skipped",
    "contact-details": "contact details (e-mail address, phone number), not ingested",
    "unnamed": "entries without a name, skipped",
    "unnamed-site": "records with locations that have no facility name",
    "reinterpreted": "values read by a documented rule",
    "long-field": "fields longer than the length cap, cut",
    "implausible-value": "implausible values, kept for validation to report",
    "unmatched-link": "links between arms and interventions that name nothing in the record",
    "other": "other warnings",
}

#: Examples kept per kind.
EXAMPLES = 3
SECTIONS = ("unreadable", "quarantined", "warnings", "kept-out")


@dataclass
class Tally:
    """One kind: how many, and the first few records it was found in."""

    section: str
    kind: str
    label: str
    count: int = 0
    examples: list[str] = field(default_factory=list)

    def add(self, record: str, count: int = 1) -> None:
        self.count += count
        if record and record not in self.examples and len(self.examples) < EXAMPLES:
            self.examples.append(record)

    def line(self) -> str:
        shown = f" ({', '.join(self.examples)})" if self.examples else ""
        return f"{self.count} {self.label}{shown}"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "label": self.label, "count": self.count, "examples": self.examples}


@dataclass
class ImportSummary:
    """Tallies by (section, kind), in the order they were first met."""

    tallies: dict[tuple[str, str], Tally] = field(default_factory=dict)

    def add(self, section: str, kind: str, label: str, record: str, count: int = 1) -> None:
        key = (section, kind)
        tally = self.tallies.get(key)
        if tally is None:
            tally = self.tallies[key] = Tally(section, kind, label)
        tally.add(record, count)

    def warning(self, text: str, record: str) -> None:
        """A reader warning (a :class:`graph.model.RecordWarning`, or plain text: ``other``)."""
        kind = getattr(text, "kind", "other")
        self.add("warnings", kind, WARNING_KINDS.get(kind, WARNING_KINDS["other"]), record)

    def finding(self, rule: str, label: str, record: str) -> None:
        """A warning of the shapes about one record (kind: the shape and constraint)."""
        self.add("warnings", rule, label, record)

    def section(self, name: str) -> list[Tally]:
        found = [t for t in self.tallies.values() if t.section == name]
        return sorted(found, key=lambda t: (-t.count, t.kind))

    def as_dict(self) -> dict[str, Any]:
        return {name: [t.as_dict() for t in self.section(name)] for name in SECTIONS}

    def to_json(self, extra: dict[str, Any] | None = None) -> str:
        return json.dumps({**(extra or {}), "summary": self.as_dict()}, indent=2, ensure_ascii=False)

    def lines(self) -> list[str]:
        """The summary as text, one line per kind under a heading per section."""
        out: list[str] = []
        for name in SECTIONS:
            tallies = self.section(name)
            if not tallies:
                continue
            out.append(f"{name}:")
            out.extend(f"  {t.line()}" for t in tallies)
        return out


def finding_label(field_name: str, message: str) -> str:
    """A short label for a shape's finding: its field and the first clause of its message."""
    first = message.split(";", 1)[0].split(". ", 1)[0].rstrip(".")
    return f"{field_name}: {first}" if field_name else first


def add_findings(summary: ImportSummary, key: str, findings: Iterable[tuple[str, str]]) -> None:
    """The shapes' warnings about one loaded record (``source/record_id``)."""
    record = _record_id(key)
    for rule, label in findings:
        summary.add("warnings", rule, label, record)


def add_quarantine(summary: ImportSummary, key: str, problems: Iterable[Any]) -> None:
    """One quarantined record, counted once under each rule it broke."""
    record = _record_id(key)
    seen: set[str] = set()
    for issue in problems:
        if issue.rule not in seen:
            seen.add(issue.rule)
            summary.add("quarantined", issue.rule, finding_label(issue.field, issue.message), record)


def add_outcomes(summary: ImportSummary, errors: Iterable[Any], older: Iterable[str], conflicts: Iterable[str]) -> None:
    """Unreadable inputs and records, older versions kept out, identity links left for review."""
    for e in errors:
        kind = getattr(e, "kind", None) or ("unreadable-record" if e.record else "unreadable-file")
        summary.add("unreadable", kind, _ERROR_LABELS.get(kind, kind), e.record or e.file)
    for message in older:
        summary.add("kept-out", "older", "records older than the version in the store, kept out", message.split(" ")[0])
    for message in conflicts:
        summary.add("kept-out", "identity-conflict", "identity links left apart for review", message)


_ERROR_LABELS = {
    "not-a-format": "files in no format trialgraph reads",
    "no-record": "inputs that hold no trial record",
    "unreadable-file": "files that cannot be read",
    "unreadable-record": "records that cannot be read",
}


def _record_id(key: str) -> str:
    return key.split("/", 1)[-1]
