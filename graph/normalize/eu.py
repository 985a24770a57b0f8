"""The values of the EU registers (CTIS and the EU Clinical Trials Register): their statuses,
trial phases and therapeutic areas, read into the vocabularies of :mod:`graph.normalize.vocab`."""

from __future__ import annotations

import re

from graph.normalize.text import clean_text, quoted
from graph.normalize.vocab import enum_value

#: Statuses of the EU registers (CTIS, overall and per member state; the EU Clinical Trials
#: Register per member state) that have an API v2 equivalent or a status concept.  CTIS "Ended" includes trials
#: ended early; a reader that sees an early-termination notification says TERMINATED instead.
EU_STATUSES = {
    "authorised, not started": "NOT_YET_RECRUITING",
    "authorised, recruitment pending": "NOT_YET_RECRUITING",
    "ongoing, not yet recruiting": "NOT_YET_RECRUITING",
    "pending": "NOT_YET_RECRUITING",
    "authorised, recruiting": "RECRUITING",
    "ongoing, recruiting": "RECRUITING",
    "recruiting": "RECRUITING",
    "ongoing, recruitment ended": "ACTIVE_NOT_RECRUITING",
    "recruitment ended": "ACTIVE_NOT_RECRUITING",
    "temporarily halted": "SUSPENDED",
    "halted": "SUSPENDED",
    "suspended": "SUSPENDED",
    "suspended by ca": "SUSPENDED",
    "ended": "COMPLETED",
    "completed": "COMPLETED",
    "prematurely ended": "TERMINATED",
    "terminated early": "TERMINATED",
    "withdrawn": "WITHDRAWN",
    # the coarse statuses of the vocabulary (COARSE_STATUSES), each standing for several
    "authorised": "AUTHORISED",
    "ongoing": "ONGOING",
    "restarted": "RESTARTED",
}
#: Known EU register statuses with no status concept: kept as this text, without a warning.
EU_COARSE_STATUSES = {
    key.casefold(): key
    for key in (
        "Under evaluation",
        "Expired",
        "Revoked",
        "Not authorised",
        "Cancelled",
        "Transitioned",
        "Trial now transitioned",
        "GB - no longer in EU/EEA",
    )
}
#: CTIS public status codes (``ctPublicStatusCode``, ``mscPublicStatusCode``) and their labels.
CTIS_PUBLIC_STATUSES = {
    1: "Under evaluation",
    2: "Authorised, recruitment pending",
    3: "Authorised, recruiting",
    4: "Ongoing, recruiting",
    5: "Ongoing, recruitment ended",
    6: "Temporarily halted",
    7: "Suspended",
    8: "Ended",
    9: "Expired",
    10: "Revoked",
    11: "Not authorised",
    12: "Cancelled",
}


def eu_status(raw: str | None) -> tuple[str | None, str | None]:
    """(status, warning) for an EU register status text: the API v2 value when there is one, the
    register's text for a known value without one, the text with a warning for an unknown one."""
    text = clean_text(raw)
    if text is None:
        return None, None
    key = text.casefold()
    if key in EU_STATUSES:
        return EU_STATUSES[key], None
    if key in EU_COARSE_STATUSES:
        return EU_COARSE_STATUSES[key], None
    value, known = enum_value("status", text)
    if known:
        return value, None
    return text, f"status {quoted(text)} is not a known EU register status; kept as text"


_EU_PHASE_NUMBER = re.compile(r"\bphase\s+((?:iv|iii|ii|i)(?:\s*/\s*(?:iv|iii|ii|i))*)\b", re.IGNORECASE)
_ROMAN_PHASE = {"i": "PHASE1", "ii": "PHASE2", "iii": "PHASE3", "iv": "PHASE4"}


def eu_phases(raw: str | None) -> list[str] | None:
    """API v2 phases of a CTIS trial-phase text ("Therapeutic exploratory (Phase II)",
    "Phase I and Phase II (Integrated)", "Human pharmacology (Phase I) - First administration to
    humans"); ``[]`` for no text, ``None`` for a text that names no phase."""
    text = clean_text(raw)
    if text is None:
        return []
    found: set[str] = set()
    for m in _EU_PHASE_NUMBER.finditer(text):
        found.update(_ROMAN_PHASE[n.strip().casefold()] for n in m.group(1).split("/"))
    return sorted(found) or None


_THERAPEUTIC_AREA = re.compile(r"^(?:.*?\s-\s)?(.+?)\s*\[?([A-Z]\d{2})\]?$")


def therapeutic_area(raw: str | None) -> tuple[str, str | None] | None:
    """(label, code) of an EMA therapeutic area as the EU registers write it:
    "Diseases [C] - Virus Diseases [C02]" and "Diseases C - Virus Diseases C02" -> ("Virus
    Diseases", "C02").  The codes are those of the MeSH tree categories the list is built on."""
    text = clean_text(raw)
    if text is None:
        return None
    m = _THERAPEUTIC_AREA.match(text)
    return (m.group(1), m.group(2)) if m else (text, None)
