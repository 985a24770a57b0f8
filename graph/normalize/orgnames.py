"""Organisation names: the key two names of one organisation share, and the participations of a
sponsor field that names several organisations."""

from __future__ import annotations

import re
import unicodedata

from graph.model import Organization, Participation

_LEGAL_FORMS = {
    "inc",
    "incorporated",
    "ltd",
    "limited",
    "llc",
    "gmbh",
    "ag",
    "sa",
    "sas",
    "bv",
    "nv",
    "plc",
    "srl",
    "spa",
    "co",
    "corp",
    "corporation",
    "company",
    "kg",
    "ab",
    "as",
    "oy",
    "pty",
    "the",
}
_ABBREVIATIONS = {
    "univ": "university",
    "hosp": "hospital",
    "ctr": "center",
    "centre": "center",
    "natl": "national",
    "inst": "institute",
    "dept": "department",
    "med": "medical",
    "chu": "centre hospitalier universitaire",
    "umc": "university medical center",
}


def org_key(name: str) -> str:
    """Key for matching organisation names: folds case, diacritics, punctuation, legal-form
    words and common abbreviations.  Two names with the same key are taken as the same
    organisation."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    words = re.findall(r"\w+", text)
    out: list[str] = []
    for w in words:
        w = _ABBREVIATIONS.get(w, w)
        out.extend(w.split())
    return " ".join(w for w in out if w not in _LEGAL_FORMS)


def sponsor_participations(names: list[str]) -> list[Participation]:
    """The participations of one sponsor field that names several organisations ("Alnylam
    Pharmaceuticals, Inc. / Medpace Japan KK"): the first, as the registry lists it, is the lead
    sponsor; the others are collaborators.  A trial has one lead sponsor (docs/registry-values.md)."""
    roles = ["LEAD_SPONSOR"] + ["COLLABORATOR"] * (len(names) - 1)
    return [Participation(Organization(name), role) for name, role in zip(names, roles, strict=False)]
