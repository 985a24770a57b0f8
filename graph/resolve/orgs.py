"""Organisation resolution: the many names registries write for one organisation, to one node.

Sources name organisations freely ("University Hospital, Grenoble", "CHU Grenoble Alpes",
"niversitair Medisch Centrum Utrecht").  :class:`OrgResolver` maps each name to a canonical
organisation using two references: curated alias files (checked by a person, so they win) and,
optionally, a ROR data dump.  The alias files travel with the data: a build reads every
``organizations.yaml`` in the folders it builds and every ``--orgs`` file (:func:`alias_files`);
only when there is none does it fall back on the package's default, a copy of the checkout's
``data/organizations.yaml`` (:data:`graph.constants.DEFAULT_ORGS_FILE`).  Each :class:`Resolution` says how it was
reached (``how``):

* ``curated-alias``: the organisation's ROR id is a curated entry's, or its name is a curated
  entry's name or alias (ignoring case and spacing);
* ``ror-exact``: the same against the ROR dump (any name type; an acronym only when it is written
  exactly and only one ROR record carries it);
* ``exact-key``: the name's normalised key (:func:`match_key`: case, accents, punctuation,
  legal-form words, abbreviations and look-alike letters folded) equals the key of a curated or ROR
  name, curated first;
* ``unresolved``: none of these; the organisation stands for itself (its node is still keyed by its
  normalised name, so "Alnylam Pharmaceuticals, Inc." and "Alnylam Pharmaceuticals" are one node).

A key match is refused when the source gives a country or a ROR id that contradicts the entry.
Names that only come close (fuzzy score at least :data:`FUZZY_THRESHOLD`, by rapidfuzz) are never
merged: they are listed as ``candidates`` and reported by :func:`review_report` for a person to
decide (usually by adding an alias to the curated file).
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
import zipfile
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from confusable_homoglyphs import categories, confusables
from rapidfuzz import fuzz, process

import graph.safeyaml as safeyaml
from graph.constants import DEFAULT_ORGS_FILE, ORGS_NAME, ROR_NS
from graph.errors import InputError
from graph.model import Organization, Participation, TrialRecord
from graph.normalize.countries import country_code
from graph.normalize.orgnames import org_key
from graph.normalize.text import clean_text, quoted, shown

CURATED_FILE = DEFAULT_ORGS_FILE
#: Fuzzy scores (0..1) at or above this make a name a review candidate; nothing is merged on them.
FUZZY_THRESHOLD = 0.9
#: Keys shorter than this are not fuzzy-matched (short names match everything).
_FUZZY_MIN_LENGTH = 5
_MAX_CANDIDATES = 3
_ROR_ID = re.compile(r"^(?:https?://)?(?:ror\.org/)?(0[a-hj-km-np-tv-z0-9]{6}\d{2})$", re.IGNORECASE)
_ENTRY_FIELDS = {"name", "ror", "country", "city", "aliases", "note"}


# -- look-alike letters --------------------------------------------------------------------------

_FOLDED_SCRIPTS = ("CYRILLIC", "GREEK")


@lru_cache(maxsize=2048)
def _latin_lookalike(ch: str) -> str:
    """The ASCII letter a Cyrillic or Greek letter is confusable with, or the letter itself.

    The lower-case form is tried first and then the upper-case one, since callers fold case
    afterwards (Cyrillic ``к`` has no ASCII look-alike but ``К`` looks like ``K``)."""
    for form in (ch.lower(), ch.upper()):
        found = confusables.is_confusable(form, greedy=True, preferred_aliases=["latin"]) or []
        for item in found:
            for glyph in item["homoglyphs"]:
                candidate = glyph["c"]
                if len(candidate) == 1 and candidate.isascii() and candidate.isalpha():
                    return str(candidate)
    return ch


def _script(ch: str) -> str:
    if ch.isascii():  # most names are; the Unicode tables are the slow path
        return "LATIN" if ch.isalpha() else "COMMON"
    return str(categories.alias(ch)) if ch.isalpha() else "COMMON"


def search_key(text: str) -> str:
    """A key under which look-alike spellings meet: NFKC, Cyrillic and Greek letters that look like
    Latin ones folded to those (``MSСs`` with a Cyrillic ``С`` -> ``mscs``), then case-folded.

    For matching only: a wholly Cyrillic or Greek word is folded too, so the key is not meant to be
    read."""
    text = unicodedata.normalize("NFKC", text)
    if text.isascii():
        return text.casefold()
    folded = "".join(_latin_lookalike(ch) if _script(ch) in _FOLDED_SCRIPTS else ch for ch in text)
    return folded.casefold()


def mixed_script(text: str) -> bool:
    """True when a word mixes Latin letters with Cyrillic or Greek ones (``MSСs``), the mark of a
    look-alike typing slip or of a spoofed name.  A word wholly in one script is not mixed."""
    for word in re.findall(r"\w+", unicodedata.normalize("NFC", text)):
        scripts = {_script(ch) for ch in word if ch.isalpha()}
        if "LATIN" in scripts and scripts & set(_FOLDED_SCRIPTS):
            return True
    return False


@functools.lru_cache(maxsize=1 << 16)
def match_key(name: str) -> str:
    """:func:`graph.normalize.orgnames.org_key` of the look-alike-folded name, applied until it is stable.

    The repeat makes the key idempotent: ``org_key`` expands ``CHU`` to "centre hospitalier
    universitaire" but maps a written "Centre" to "center", so one pass gives two keys for the
    same name."""
    key = org_key(search_key(name))
    for _ in range(3):
        again = org_key(key)
        if again == key:
            break
        key = again
    return key


def literal_key(name: str) -> str:
    """The name as written, ignoring only case, Unicode form and spacing."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def normalize_ror(value: str | None) -> str | None:
    """``0575yy874``, ``ror.org/0575yy874`` or the full IRI -> ``https://ror.org/0575yy874``."""
    if not value:
        return None
    m = _ROR_ID.match(value.strip())
    return f"{ROR_NS}{m.group(1).lower()}" if m else None


# -- reference entries ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One organisation of a reference (the curated file or the ROR dump)."""

    name: str
    origin: str  # "curated" or "ror"
    ror: str | None = None
    country: str | None = None
    city: str | None = None
    aliases: tuple[str, ...] = ()
    #: ROR acronyms: matched only as written, and only when unique in the dump.
    acronyms: tuple[str, ...] = ()
    #: The curated file the entry comes from (for error messages).
    file: str = field(default="", compare=False)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


def alias_files(paths: Iterable[str | Path], extra: Iterable[str | Path] = ()) -> list[Path]:
    """The curated alias files of a build of ``paths``: each ``organizations.yaml`` under the
    folders among them (in sorted order, hidden folders skipped, as records are found), then the
    ``extra`` files (``--orgs``).  Empty when there is none: the caller falls back on the
    default."""
    found: list[Path] = []
    for raw in paths:
        folder = Path(raw)
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob(ORGS_NAME)):
            if path.is_file() and not any(part.startswith(".") for part in path.relative_to(folder).parts):
                found.append(path)
    found.extend(Path(p) for p in extra)
    return list(dict.fromkeys(found))


def load_curated_files(paths: Iterable[Path]) -> list[Entry]:
    """The entries of several alias files, in order; two files may describe the same
    organisation (by its name) but not give one name, alias or ROR id to two."""
    entries: list[Entry] = []
    for path in paths:
        entries.extend(load_curated(path))
    _check_unique(entries)
    return entries


def load_curated(path: Path) -> list[Entry]:
    """Entries of a curated organisations file; :class:`InputError` names the entry that is wrong."""
    text = ""
    try:
        text = path.read_text(encoding="utf-8-sig")
        data = safeyaml.load(text)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})", hint="save the file as UTF-8") from None
    except yaml.YAMLError as exc:
        message, hint = safeyaml.describe(exc, text)
        raise InputError(f"{path}: {message}", hint=hint) from None
    if data is None:
        return []
    if (
        not isinstance(data, dict)
        or not isinstance(data.get("organizations", []), list)
        or set(data) - {"organizations"}
    ):
        raise InputError(
            f"{path}: expected a mapping with one key, 'organizations', holding a list",
            hint="see the header comment of data/organizations.yaml",
        )
    entries = [_curated_entry(path, i, raw) for i, raw in enumerate(data.get("organizations") or [])]
    _check_unique(entries)
    return entries


def _curated_entry(path: Path, index: int, raw: Any) -> Entry:
    where = f"{path}: organizations[{index}]"
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected a mapping with at least 'name'")
    unknown = set(raw) - _ENTRY_FIELDS
    if unknown:
        raise InputError(
            f"{where}: unknown field(s) {', '.join(sorted(unknown))}",
            hint="allowed: " + ", ".join(sorted(_ENTRY_FIELDS)),
        )
    name = clean_text(raw.get("name"))
    if not name:
        raise InputError(f"{where}: 'name' is missing or empty")
    ror = None
    if raw.get("ror"):
        ror = normalize_ror(str(raw["ror"]))
        if ror is None:
            raise InputError(
                f"{where} ({shown(name)}): 'ror' {quoted(raw['ror'])} is not a ROR id",
                hint="write the full IRI, e.g. https://ror.org/0575yy874",
            )
    country = None
    if raw.get("country"):
        country = country_code(str(raw["country"]))
        if country is None:
            raise InputError(f"{where} ({shown(name)}): 'country' {quoted(raw['country'])} is not a country")
    aliases = raw.get("aliases") or []
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise InputError(f"{where} ({shown(name)}): 'aliases' must be a list of names")
    cleaned = tuple(dict.fromkeys(a for a in (clean_text(x) for x in aliases) if a and a != name))
    city = clean_text(raw.get("city"))
    return Entry(name, "curated", ror=ror, country=country, city=city, aliases=cleaned, file=str(path))


def _check_unique(entries: list[Entry]) -> None:
    owner: dict[str, Entry] = {}
    for entry in entries:
        keys = {literal_key(n) for n in entry.names} | {match_key(n) for n in entry.names}
        if entry.ror:
            keys.add(entry.ror)
        for key in keys:
            other = owner.setdefault(key, entry)
            if other.name != entry.name:
                files = entry.file if other.file == entry.file else f"{other.file} and {entry.file}"
                raise InputError(
                    f"{files}: {quoted(entry.name)} and {quoted(other.name)} share the name, alias or ROR id "
                    f"{quoted(key)}",
                    hint="one name can stand for one organisation only",
                )


def load_ror_dump(path: Path) -> list[Entry]:
    """Entries of a ROR data dump: a JSON array of ROR records (schema v2, or v1), or a ``.zip``
    holding one.  Withdrawn records are skipped."""
    try:
        if path.suffix.lower() == ".zip":
            with zipfile.ZipFile(path) as archive:
                members = [n for n in archive.namelist() if n.endswith(".json")]
                if not members:
                    raise InputError(f"{path}: no .json file inside")
                member = next((n for n in members if "schema_v2" in n), members[0])
                data = json.loads(archive.read(member))
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except (ValueError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path}: not a ROR dump (JSON array of organisations): {exc}") from None
    if not isinstance(data, list):
        raise InputError(f"{path}: a ROR dump is a JSON array of organisation records")
    entries: list[Entry] = []
    for i, raw in enumerate(data):
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            raise InputError(f"{path}: record [{i}] is not a ROR organisation (no 'id')")
        if raw.get("status") == "withdrawn":
            continue
        entry = _ror_v2(raw) if "names" in raw else _ror_v1(raw)
        if entry is not None:
            entries.append(entry)
    return entries


def _ror_v2(raw: dict[str, Any]) -> Entry | None:
    display: str | None = None
    others: list[str] = []
    acronyms: list[str] = []
    for item in raw.get("names") or []:
        value = clean_text(item.get("value")) if isinstance(item, dict) else None
        if not value:
            continue
        types = item.get("types") or []
        if "ror_display" in types and display is None:
            display = value
        elif "acronym" in types:
            acronyms.append(value)
        else:
            others.append(value)
    display = display or (others.pop(0) if others else None)
    if display is None:
        return None
    location = next(
        (loc.get("geonames_details") or {} for loc in raw.get("locations") or [] if isinstance(loc, dict)), {}
    )
    return Entry(
        display,
        "ror",
        ror=normalize_ror(raw["id"]),
        country=_country(location.get("country_code")),
        city=clean_text(location.get("name")),
        aliases=tuple(dict.fromkeys(others)),
        acronyms=tuple(acronyms),
    )


def _ror_v1(raw: dict[str, Any]) -> Entry | None:
    name = clean_text(raw.get("name"))
    if not name:
        return None
    aliases = [clean_text(a) for a in raw.get("aliases") or []]
    aliases += [clean_text(lab.get("label")) for lab in raw.get("labels") or [] if isinstance(lab, dict)]
    country = (raw.get("country") or {}).get("country_code")
    city = next((a.get("city") for a in raw.get("addresses") or [] if isinstance(a, dict) and a.get("city")), None)
    return Entry(
        name,
        "ror",
        ror=normalize_ror(raw["id"]),
        country=_country(country),
        city=clean_text(city),
        aliases=tuple(dict.fromkeys(a for a in aliases if a and a != name)),
        acronyms=tuple(a for a in (clean_text(x) for x in raw.get("acronyms") or []) if a),
    )


def _country(value: Any) -> str | None:
    return country_code(str(value)) if value else None


# -- resolution ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A reference organisation a name comes close to; never merged without a person's word."""

    name: str
    ror: str | None
    score: float


@dataclass(frozen=True)
class Resolution:
    #: The canonical organisation: name, ROR id, country, and every name it appeared under.
    organization: Organization
    #: ``curated-alias``, ``ror-exact``, ``exact-key`` or ``unresolved`` (see the module docstring).
    how: str
    #: The name as the source wrote it.
    seen: str
    #: The source record it came from (``source/record_id``), for the review report.
    record: str | None = None
    candidates: tuple[Candidate, ...] = ()

    @property
    def uncertain(self) -> bool:
        return bool(self.candidates)


@dataclass
class OrgResolver:
    """Resolves organisation names against the curated file and an optional ROR dump."""

    entries: list[Entry]
    _by_ror: dict[str, Entry] = field(default_factory=dict, init=False, repr=False)
    _by_literal: dict[str, Entry] = field(default_factory=dict, init=False, repr=False)
    #: key -> entry; ``None`` marks a key two ROR records share (never matched on).
    _by_key: dict[str, Entry | None] = field(default_factory=dict, init=False, repr=False)
    _by_acronym: dict[str, Entry | None] = field(default_factory=dict, init=False, repr=False)
    _fuzzy_keys: list[str] = field(default_factory=list, init=False, repr=False)
    _fuzzy_entries: list[Entry] = field(default_factory=list, init=False, repr=False)
    _seen: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set), init=False, repr=False)

    def __post_init__(self) -> None:
        # curated entries come first in ``entries`` and are never overridden by ROR ones
        for entry in self.entries:
            if entry.ror:
                self._by_ror.setdefault(entry.ror, entry)
            for name in entry.names:
                self._by_literal.setdefault(literal_key(name), entry)
                self._index_key(match_key(name), entry)
            for acronym in entry.acronyms:
                held = self._by_acronym.get(acronym, entry)
                self._by_acronym[acronym] = entry if held is entry else None
        by_fuzzy: dict[str, Entry] = {}
        for entry in self.entries:
            for name in entry.names:
                key = match_key(name)
                if len(key) >= _FUZZY_MIN_LENGTH:
                    by_fuzzy.setdefault(key, entry)
        self._fuzzy_keys = list(by_fuzzy)
        self._fuzzy_entries = list(by_fuzzy.values())

    def _index_key(self, key: str, entry: Entry) -> None:
        if not key:
            return
        if key not in self._by_key:
            self._by_key[key] = entry
            return
        held = self._by_key[key]
        if held is not None and held is not entry and held.origin == entry.origin == "ror" and held.ror != entry.ror:
            self._by_key[key] = None  # two ROR organisations share this key: ambiguous

    @classmethod
    def load(cls, path: Path | Sequence[Path] | None = None, ror_dump: Path | None = None) -> OrgResolver:
        """The curated alias files (one path or several, e.g. :func:`alias_files`; by default, or
        when the sequence is empty, the package's :data:`CURATED_FILE`, an empty reference if it
        is missing) and, when given, a ROR dump."""
        files = [path] if isinstance(path, Path) else list(path or ())
        if not files and CURATED_FILE.is_file():
            files = [CURATED_FILE]
        entries = load_curated_files(files)
        if ror_dump is not None:
            entries += load_ror_dump(ror_dump)
        return cls(entries)

    def resolve(self, org: Organization, record: str | None = None) -> Resolution:
        """The canonical organisation for ``org`` and how it was found (see the module docstring)."""
        seen = clean_text(org.name) or org.name
        ror = normalize_ror(org.ror)
        rejected: list[Entry] = []
        found = self._find(seen, org, ror, rejected)
        if found is None:
            canonical = replace(org, name=seen, ror=ror or org.ror, aliases=self._names(seen, org, None))
            return Resolution(canonical, "unresolved", seen, record, self._candidates(seen, rejected))
        entry, how = found
        canonical = Organization(
            name=entry.name,
            ror=entry.ror or ror,
            agency_class=org.agency_class,
            city=entry.city or org.city,
            country=entry.country or org.country,
            aliases=self._names(seen, org, entry),
        )
        return Resolution(canonical, how, seen, record)

    def _find(self, seen: str, org: Organization, ror: str | None, rejected: list[Entry]) -> tuple[Entry, str] | None:
        if ror and ror in self._by_ror:
            by_id = self._by_ror[ror]
            return by_id, _how(by_id, exact=True)
        attempts: list[tuple[Entry | None, bool]] = [
            (self._by_literal.get(literal_key(seen)), True),
            (self._by_acronym.get(seen), True),
            (self._by_key.get(match_key(seen)), False),
        ]
        for entry, exact in attempts:
            if entry is None:
                continue
            if _contradicts(entry, org, ror):
                rejected.append(entry)
                continue
            return entry, _how(entry, exact)
        return None

    def _names(self, seen: str, org: Organization, entry: Entry | None) -> tuple[str, ...]:
        """Every name this organisation has appeared under so far, plus the reference's aliases."""
        group = entry.name if entry else f"key:{match_key(seen)}"
        names = self._seen[group]
        names.add(seen)
        names.update(a for a in org.aliases if a)
        canonical = entry.name if entry else seen
        known = [*(entry.aliases if entry else ()), *sorted(names)]
        return tuple(n for n in dict.fromkeys(known) if n != canonical)

    def _candidates(self, seen: str, rejected: list[Entry]) -> tuple[Candidate, ...]:
        out: dict[str, Candidate] = {}
        for entry in rejected:  # a key match refused for its country or ROR id: a person decides
            out.setdefault(entry.name, Candidate(entry.name, entry.ror, 1.0))
        key = match_key(seen)
        if len(key) >= _FUZZY_MIN_LENGTH and self._fuzzy_keys:
            hits = process.extract(
                key, self._fuzzy_keys, scorer=fuzz.ratio, score_cutoff=FUZZY_THRESHOLD * 100, limit=_MAX_CANDIDATES * 4
            )
            for _, score, index in hits:
                entry = self._fuzzy_entries[index]
                out.setdefault(entry.name, Candidate(entry.name, entry.ror, round(score / 100, 4)))
        ranked = sorted(out.values(), key=lambda c: (-c.score, c.name))
        return tuple(ranked[:_MAX_CANDIDATES])

    def organizations(self) -> dict[str, tuple[str, ...]]:
        """Canonical group (reference name, or ``key:...`` for unresolved names) -> every name seen."""
        return {group: tuple(sorted(names)) for group, names in self._seen.items()}


def _how(entry: Entry, exact: bool) -> str:
    if not exact:
        return "exact-key"
    return "curated-alias" if entry.origin == "curated" else "ror-exact"


def _contradicts(entry: Entry, org: Organization, ror: str | None) -> bool:
    country = country_code(org.country) if org.country else None
    if country and entry.country and country != entry.country:
        return True
    return bool(ror and entry.ror and ror != entry.ror)


# -- batch use -----------------------------------------------------------------------------------


def review_report(resolutions: Iterable[Resolution]) -> list[dict[str, Any]]:
    """One row per (uncertain name, candidate): what a person checks before adding an alias.

    Rows are sorted by name seen, then by falling score."""
    rows: list[dict[str, Any]] = []
    for res in resolutions:
        for cand in res.candidates:
            rows.append(
                {
                    "name": res.seen,
                    "candidate": cand.name,
                    "ror": cand.ror,
                    "score": cand.score,
                    "record": res.record,
                    "how": res.how,
                }
            )
    rows.sort(key=lambda r: (r["name"], -r["score"], r["candidate"], r["record"] or ""))
    return rows


def resolve_records(records: list[TrialRecord], resolver: OrgResolver | None = None) -> list[TrialRecord]:
    """Copies of ``records`` whose organisations are canonical (see :class:`OrgResolver`).

    Unresolved names that share a key become one organisation named by its most frequent
    spelling (ties: the shorter, then the alphabetically first), so the result does not depend
    on the order of the records."""
    return resolve_records_with_report(records, resolver)[0]


def resolve_records_with_report(
    records: list[TrialRecord], resolver: OrgResolver | None = None
) -> tuple[list[TrialRecord], list[Resolution]]:
    """:func:`resolve_records` plus every :class:`Resolution` made (for :func:`review_report`)."""
    resolver = resolver or OrgResolver.load()
    resolutions: list[list[Resolution]] = [
        [resolver.resolve(p.organization, f"{r.source}/{r.record_id}") for p in r.participations] for r in records
    ]
    spellings: dict[str, Counter[str]] = defaultdict(Counter)
    for res in (res for group in resolutions for res in group if res.how == "unresolved"):
        spellings[match_key(res.seen)][res.seen] += 1
    chosen = {key: min(c, key=lambda n: (-c[n], len(n), n)) for key, c in spellings.items()}
    out: list[TrialRecord] = []
    for record, group in zip(records, resolutions, strict=True):
        pairs = zip(record.participations, group, strict=True)
        participations = [Participation(_final(res, chosen), p.role, p.note) for p, res in pairs]
        out.append(replace(record, participations=participations))
    return out, [res for group in resolutions for res in group]


def _final(res: Resolution, chosen: dict[str, str]) -> Organization:
    if res.how != "unresolved":
        return res.organization
    name = chosen.get(match_key(res.seen), res.organization.name)
    aliases = tuple(n for n in dict.fromkeys((*res.organization.aliases, res.seen)) if n != name)
    return replace(res.organization, name=name, aliases=aliases)
