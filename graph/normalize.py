"""Normalisation of controlled values, dates, countries, registry ids and names.

The enumerations are the ClinicalTrials.gov API v2 values; ``ontology/vocab.ttl`` declares one
SKOS concept per value (a test keeps the two in step).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import date
from functools import lru_cache

import pycountry

from graph.model import Identifier, Organization, PartialDate, Participation

ENUMS: dict[str, tuple[str, ...]] = {
    "phase": ("NA", "EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4"),
    "status": (
        "ACTIVE_NOT_RECRUITING",
        "COMPLETED",
        "ENROLLING_BY_INVITATION",
        "NOT_YET_RECRUITING",
        "RECRUITING",
        "SUSPENDED",
        "TERMINATED",
        "WITHDRAWN",
        "AVAILABLE",
        "NO_LONGER_AVAILABLE",
        "TEMPORARILY_NOT_AVAILABLE",
        "APPROVED_FOR_MARKETING",
        "WITHHELD",
        "UNKNOWN",
    ),
    "study-type": ("INTERVENTIONAL", "OBSERVATIONAL", "EXPANDED_ACCESS"),
    "allocation": ("RANDOMIZED", "NON_RANDOMIZED", "NA"),
    "intervention-model": (
        "SINGLE_GROUP",
        "PARALLEL",
        "CROSSOVER",
        "FACTORIAL",
        "SEQUENTIAL",
        # observational models share the scheme (API v2 ``observationalModel``)
        "COHORT",
        "CASE_CONTROL",
        "CASE_ONLY",
        "CASE_CROSSOVER",
        "ECOLOGIC_OR_COMMUNITY",
        "FAMILY_BASED",
        "DEFINED_POPULATION",
        "NATURAL_HISTORY",
        "OTHER",
    ),
    "primary-purpose": (
        "TREATMENT",
        "PREVENTION",
        "DIAGNOSTIC",
        "ECT",
        "SUPPORTIVE_CARE",
        "SCREENING",
        "HEALTH_SERVICES_RESEARCH",
        "BASIC_SCIENCE",
        "DEVICE_FEASIBILITY",
        "OTHER",
    ),
    "masking": ("NONE", "SINGLE", "DOUBLE", "TRIPLE", "QUADRUPLE"),
    "intervention-type": (
        "BEHAVIORAL",
        "BIOLOGICAL",
        "COMBINATION_PRODUCT",
        "DEVICE",
        "DIAGNOSTIC_TEST",
        "DIETARY_SUPPLEMENT",
        "DRUG",
        "GENETIC",
        "PROCEDURE",
        "RADIATION",
        "OTHER",
    ),
    "role": (
        "LEAD_SPONSOR",
        "COLLABORATOR",
        "FUNDER",
        "CONSORTIUM_PARTNER",
        "COORDINATOR",
        "CLINICAL_CENTRE",
        "CELL_THERAPY_UNIT",
        "LABORATORY",
        "CRO",
    ),
    "agency-class": ("NIH", "FED", "OTHER_GOV", "INDIV", "INDUSTRY", "NETWORK", "AMBIG", "OTHER", "UNKNOWN"),
    "sex": ("ALL", "FEMALE", "MALE"),
    "date-type": ("ACTUAL", "ESTIMATED"),
    "enrollment-type": ("ACTUAL", "ESTIMATED"),
    "arm-type": (
        "EXPERIMENTAL",
        "ACTIVE_COMPARATOR",
        "PLACEBO_COMPARATOR",
        "SHAM_COMPARATOR",
        "NO_INTERVENTION",
        "OTHER",
    ),
    "outcome-kind": ("PRIMARY", "SECONDARY", "OTHER"),
    "cell-origin": ("ALLOGENEIC", "AUTOLOGOUS"),
    "official-role": ("STUDY_CHAIR", "STUDY_DIRECTOR", "PRINCIPAL_INVESTIGATOR", "SUB_INVESTIGATOR"),
}
#: API v2 statuses of a trial that is under way (authorised and not yet ended).
_UNDER_WAY = frozenset(
    {"NOT_YET_RECRUITING", "RECRUITING", "ACTIVE_NOT_RECRUITING", "ENROLLING_BY_INVITATION", "SUSPENDED"}
)
#: Statuses that registers give and that are coarser than API v2's, each with the API v2 statuses
#: it may stand for: ICTRP's two-valued flag gives "Not recruiting"; the EU registers give
#: "Authorised", "Ongoing" and "Restarted".  They are concepts of the status vocabulary (so that
#: they are controlled values, not text), and two records of one trial agree when their statuses
#: can stand for a common API v2 status (see :mod:`graph.conflicts`).
COARSE_STATUSES: dict[str, frozenset[str]] = {
    "NOT_RECRUITING": frozenset(s for s in ENUMS["status"] if s != "RECRUITING"),
    "AUTHORISED": _UNDER_WAY,
    "ONGOING": _UNDER_WAY,
    "RESTARTED": _UNDER_WAY,
}
#: The statuses ClinicalTrials.gov API v2 knows (what its ``filter.overallStatus`` takes).
API_STATUSES = ENUMS["status"]
ENUMS["status"] = ENUMS["status"] + tuple(COARSE_STATUSES)


def status_meanings(value: str) -> frozenset[str]:
    """The API v2 statuses a status may stand for: itself, or those of a coarse status."""
    return COARSE_STATUSES.get(value, frozenset({value}))


ENUMS["registry"] = (
    "NCT",
    "EUDRACT",
    "CTIS",
    "ISRCTN",
    "NL_OMON",
    "NTR",
    "DRKS",
    "CHICTR",
    "JPRN",
    "ANZCTR",
    "CTRI",
    "IRCT",
    "KCT",
    "PACTR",
    "REBEC",
    "RPCEC",
    "SLCTR",
    "TCTR",
    "LBCTR",
    "ITMCTR",
    "REPEC",
    "ICTRP",
    "ORG_STUDY",
    "NIH_GRANT",
    "OTHER",
)

#: Registry key -> (label, id pattern).  Order is the precedence used to mint trial IRIs.
REGISTRIES: dict[str, tuple[str, str | None]] = {
    "NCT": ("ClinicalTrials.gov", r"^NCT\d{8}$"),
    "EUDRACT": ("EU Clinical Trials Register (EudraCT)", r"^\d{4}-\d{6}-\d{2}$"),
    "CTIS": ("EU Clinical Trials Information System (CTIS)", r"^\d{4}-\d{6}-\d{2}-\d{2}$"),
    "ISRCTN": ("ISRCTN registry", r"^ISRCTN\d{8}$"),
    "NL_OMON": ("Overview of Medical Research in the Netherlands", r"^NL-OMON\d+$"),
    "NTR": ("Netherlands Trial Register", r"^(NTR\d+|NL\d+)$"),
    "DRKS": ("German Clinical Trials Register", r"^DRKS\d{8}$"),
    "CHICTR": ("Chinese Clinical Trial Registry", r"^ChiCTR(-[A-Za-z]+-)?\d+$"),
    "JPRN": ("Japan Primary Registries Network", r"^(JPRN-)?(jRCT[A-Za-z]?\d+|UMIN\d{9}|JapicCTI-\d+|JMA-IIA\d+)$"),
    "ANZCTR": ("Australian New Zealand Clinical Trials Registry", r"^ACTRN\d{14}$"),
    "CTRI": ("Clinical Trials Registry - India", r"^CTRI/\d{4}/\d+/\d+$"),
    "IRCT": ("Iranian Registry of Clinical Trials", r"^IRCT\w+$"),
    "KCT": ("Clinical Research Information Service (Korea)", r"^KCT\d{7}$"),
    "PACTR": ("Pan African Clinical Trials Registry", r"^PACTR\d+$"),
    "REBEC": ("Brazilian Clinical Trials Registry", r"^RBR-\w+$"),
    "RPCEC": ("Cuban Public Registry of Clinical Trials", r"^RPCEC\d+$"),
    "SLCTR": ("Sri Lanka Clinical Trials Registry", r"^SLCTR/\d{4}/\d+$"),
    "TCTR": ("Thai Clinical Trials Registry", r"^TCTR\d+$"),
    "LBCTR": ("Lebanese Clinical Trials Registry", r"^LBCTR\d+$"),
    "ITMCTR": ("International Traditional Medicine Clinical Trial Registry", r"^ITMCTR\d+$"),
    "REPEC": ("Peruvian Clinical Trials Registry", r"^PER-\d+-\d+$"),
    # A register's record as the WHO ICTRP portal publishes it, where that spelling is not the
    # register's own id: an EU register member-state record (EUCTR2021-000037-14-ES, or written
    # 2021-000037-14-DK), a JPRN number with its prefix (JPRN-jRCT2080224174), a CTIS number
    # with its prefix (CTIS2023-507385-11-00).  Kept beside the register's own id so that the id
    # a user copies from ICTRP finds the trial; it takes no part in identity.
    "ICTRP": (
        "WHO ICTRP trial id",
        r"^((EUCTR)?\d{4}-\d{6}-\d{2}-([A-Z]{2}|3RD)|JPRN-\S+|CTIS\d{4}-\d{6}-\d{2}-\d{2})$",
    ),
    "ORG_STUDY": ("Sponsor's own study id", None),
    "NIH_GRANT": ("NIH grant number", None),
    "OTHER": ("Other identifier", None),
}
#: Registries whose ids identify a trial (used for identity); the rest are only descriptive.
TRIAL_REGISTRIES = tuple(k for k in REGISTRIES if k not in ("ICTRP", "ORG_STUDY", "NIH_GRANT", "OTHER"))

_COMPILED = {k: re.compile(p) for k, (_, p) in REGISTRIES.items() if p}


def id_matches(registry: str, value: str) -> bool:
    pattern = _COMPILED.get(registry)
    return True if pattern is None else bool(pattern.match(value))


def guess_registry(value: str) -> str | None:
    """The registry whose pattern an id matches, or ``None``."""
    value = value.strip()
    if value.upper().startswith("EUCTR"):
        return "EUDRACT"
    for key in TRIAL_REGISTRIES:
        if _COMPILED[key].match(value):
            return key
    return None


_EUCTR = re.compile(r"^EUCTR(\d{4}-\d{6}-\d{2})(?:-([A-Z]{2,3}))?$")


def split_euctr(value: str) -> tuple[str, str | None] | None:
    """``EUCTR2021-000037-14-ES`` -> (``2021-000037-14``, ``ES``)."""
    m = _EUCTR.match(value.strip())
    return (m.group(1), m.group(2)) if m else None


def ictrp_id(raw: str) -> Identifier | None:
    """The ``ICTRP`` identifier for an id written as ICTRP writes a register's record
    (``EUCTR2021-000037-14-ES``, ``2021-000037-14-DK``, ``JPRN-jRCT2080224174``,
    ``CTIS2023-507385-11-00``), as written but for white space; ``None`` for any other id."""
    value = "".join(raw.split())
    if value[:5].upper() == "EUCTR" or value[:4].upper() == "CTIS":
        value = value.upper()
    return Identifier("ICTRP", value) if _COMPILED["ICTRP"].match(value) else None


def enum_value(scheme: str, raw: str | None) -> tuple[str | None, bool]:
    """(value, known).  Spaces and hyphens become underscores and case is folded, so
    ``"Phase 1"`` -> ``PHASE1`` is *not* guessed here (sources map their own spellings), but
    ``"parallel"`` -> ``PARALLEL`` is."""
    if raw is None:
        return None, True
    text = str(raw).strip()
    if not text:
        return None, True
    key = re.sub(r"[\s\-/]+", "_", text).upper()
    return (key, True) if key in ENUMS[scheme] else (text, False)


# -- dates -------------------------------------------------------------------------------------

_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            (),
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}


def parse_date(text: str, date_type: str | None = None) -> PartialDate:
    """Parse a date of year, month or day precision.

    Accepts ISO (``2015``, ``2015-09``, ``2015-09-01``), day-first numeric (``15/03/2021``) and
    month names (``September 2015``, ``September 1, 2015``).  Raises ``ValueError``.
    """
    s = str(text).strip()
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", s)
    if m:
        y, mo, d = m.group(1), m.group(2), m.group(3)
    else:
        m = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", s)
        if m:
            d, mo, y = m.group(1), m.group(2), m.group(3)
        else:
            m = re.fullmatch(r"([A-Za-z]+)\.?\s+(?:(\d{1,2}),?\s+)?(\d{4})", s)
            if not m or m.group(1).lower() not in _MONTHS:
                raise ValueError(f"not a date: {quoted(s)} (expected YYYY, YYYY-MM or YYYY-MM-DD)")
            y, mo, d = m.group(3), str(_MONTHS[m.group(1).lower()]), m.group(2)
    year = int(y)
    if mo is None:
        return PartialDate(f"{year:04d}", "year", date_type)
    month = int(mo)
    if not 1 <= month <= 12:
        raise ValueError(f"not a date: {quoted(s)} (month {month} is out of range)")
    if d is None:
        return PartialDate(f"{year:04d}-{month:02d}", "month", date_type)
    try:
        day = date(year, month, int(d))
    except ValueError as exc:
        raise ValueError(f"not a date: {quoted(s)} ({exc})") from None
    return PartialDate(day.isoformat(), "day", date_type)


# -- countries ---------------------------------------------------------------------------------

#: Country names that registries write and ISO 3166 does not: ClinicalTrials.gov's location
#: spellings ("Turkey (Türkiye)", "Korea, Republic of"), older official names, and the parts of
#: the United Kingdom.  Documented in docs/registry-values.md; a name neither here nor in ISO 3166
#: (alpha-2, alpha-3, numeric code, name, official or common name, any case) is unknown.
_COUNTRY_ALIASES = {
    "scotland": "GB",
    "england": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "uk": "GB",
    "great britain": "GB",
    "czech republic": "CZ",
    "korea, republic of": "KR",
    "korea, south": "KR",
    "south korea": "KR",
    "republic of korea": "KR",
    "north korea": "KP",
    "russia": "RU",
    "turkey": "TR",
    "turkey (türkiye)": "TR",
    "iran": "IR",
    "taiwan": "TW",
    "vietnam": "VN",
    "former serbia and montenegro": "RS",
    "macedonia": "MK",
    "macedonia, the former yugoslav republic of": "MK",
    "the netherlands": "NL",
    "holland": "NL",
    "usa": "US",
    "u.s.a.": "US",
    "united states of america": "US",
    "hong kong": "HK",
    "macau": "MO",
    "palestine": "PS",
    "palestinian territories, occupied": "PS",
    "palestinian territory, occupied": "PS",
    "congo, the democratic republic of the": "CD",
    "libyan arab jamahiriya": "LY",
    "cape verde": "CV",
    "swaziland": "SZ",
    "east timor": "TL",
    "burma": "MM",
    "virgin islands (u.s.)": "VI",
    "virgin islands (british)": "VG",
}


@lru_cache(maxsize=4096)
def country_code(name: str | None) -> str | None:
    """ISO 3166-1 alpha-2 for a country code or name, or ``None`` when unknown.

    Exact only: an ISO 3166-1 code or name in any case, or one of :data:`_COUNTRY_ALIASES`.
    Nothing is guessed (a typo such as ``XX`` is unknown, never the nearest country)."""
    if not name:
        return None
    text = " ".join(str(name).split())
    if not text:
        return None
    alias = _COUNTRY_ALIASES.get(text.casefold())
    if alias:
        return alias
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return None


def country_info(alpha2: str) -> tuple[str, str, str] | None:
    """(name, alpha-3, numeric) for a known alpha-2 code."""
    c = pycountry.countries.get(alpha_2=alpha2.upper())
    if c is None:
        return None
    return str(getattr(c, "common_name", None) or c.name), str(c.alpha_3), str(c.numeric)


# -- text --------------------------------------------------------------------------------------


#: Characters of a value shown in an error or a warning; a longer value is cut there (it stays
#: whole in the data), so a huge field never becomes a huge message.
SHOWN_CHARS = 80


def shown(value: object, limit: int = SHOWN_CHARS) -> str:
    """The text of ``value`` as a message shows it: cut to ``limit`` characters."""
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(value: object, limit: int = SHOWN_CHARS) -> str:
    """``value`` as a message quotes it: ``repr`` of its text, cut to ``limit`` characters."""
    return repr(shown(value, limit))


def quoted_list(values: Sequence[object], most: int = 5) -> str:
    """The first ``most`` values, each :func:`quoted`, and how many more there are."""
    shown = ", ".join(quoted(v) for v in values[:most])
    return shown + (f" and {len(values) - most} more" if len(values) > most else "")


def clean_text(value: object) -> str | None:
    """NFC, ``<br>`` markup and runs of white space folded to single spaces; ``None`` if empty."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value))
    text = re.sub(r"<br\s*/?>", " ", text, flags=re.I)
    text = " ".join(text.split())
    return text or None


def slug(text: str, limit: int = 80) -> str:
    """A readable, IRI-safe key: ASCII, lower case, words joined by ``-``."""
    folded = unicodedata.normalize("NFKD", text)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    folded = folded.encode("ascii", "ignore").decode().lower()
    words = re.findall(r"[a-z0-9]+", folded)
    out = "-".join(words)[:limit].strip("-")
    return out or "x"


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


# -- values that are not there -----------------------------------------------------------------

#: What registries write in an id field when there is no id.  Compared after case folding and
#: trimming of white space and final dots.  Documented in docs/registry-values.md.
NOT_IDS = frozenset(
    {
        "nil known",
        "nil",
        "none",
        "none known",
        "n/a",
        "na",
        "n.a",
        "not applicable",
        "not available",
        "not assigned",
        "not yet assigned",
        "pending",
        "unknown",
        "no",
        "null",
        "tbd",
        "-",
        "--",
        "0",
    }
)


def is_id(text: str | None) -> bool:
    """Whether an id field holds an id: not empty, not a :data:`NOT_IDS` placeholder, and with at
    least one letter or digit."""
    if not text:
        return False
    key = " ".join(text.split()).casefold().rstrip(".")
    return key not in NOT_IDS and any(ch.isalnum() for ch in key)


#: Longest text a reader keeps in one field, in characters.  Well above what any register
#: allows (ClinicalTrials.gov's longest field, the detailed description, takes 32,000); a
#: longer value is a broken or hostile export, and is cut with a warning naming the field.
MAX_FIELD_CHARS = 100_000


def cap_text(value: str, limit: int = MAX_FIELD_CHARS) -> tuple[str, bool]:
    """(``value`` cut to ``limit`` characters, whether it was cut)."""
    if len(value) <= limit:
        return value, False
    return value[:limit], True


def cap_warning(length: int, limit: int = MAX_FIELD_CHARS) -> str:
    """The words of a ``long-field`` warning (the reader puts the field before them)."""
    return f"is {length:,} characters long; only the first {limit:,} are kept"


#: A list marker at the start of a label: "-", "*", "•", "–" before a word, "1." or "2)" before
#: a space, "a)" or "(b)" before a space.  "-20" (a number) and "A. fumigatus" are not markers.
_LIST_MARKER = re.compile(r"^(?:[-*•·‣–—]+\s*(?=[^\W\d_])|\d{1,3}[.)]\s+|\(?[a-z]\)\s+)")


def strip_list_marker(label: str) -> str:
    """A label without the list marker a register's free text put before it
    (``-Hereditary ATTR amyloidosis`` -> ``Hereditary ATTR amyloidosis``)."""
    return _LIST_MARKER.sub("", label, count=1).strip()


def sponsor_participations(names: list[str]) -> list[Participation]:
    """The participations of one sponsor field that names several organisations ("Alnylam
    Pharmaceuticals, Inc. / Medpace Japan KK"): the first, as the registry lists it, is the lead
    sponsor; the others are collaborators.  A trial has one lead sponsor (docs/registry-values.md)."""
    roles = ["LEAD_SPONSOR"] + ["COLLABORATOR"] * (len(names) - 1)
    return [Participation(Organization(name), role) for name, role in zip(names, roles, strict=False)]


# -- EU registers ------------------------------------------------------------------------------

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


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    """Every ISO 3166-1 name (short, official, common) and alias, case-folded, -> alpha-2."""
    out: dict[str, str] = {}
    for c in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            name = getattr(c, attr, None)
            if name:
                out[str(name).casefold()] = str(c.alpha_2)
    out.update(_COUNTRY_ALIASES)
    return out


#: The longest country name, in words ("United Kingdom of Great Britain and Northern Ireland").
_MAX_COUNTRY_WORDS = 8


def countries_in(text: str | None) -> tuple[list[str], list[str]]:
    """(alpha-2 codes, words not understood) of country names run together with spaces, as the
    EU Clinical Trials Register lists them ("Bulgaria Canada Korea, Republic of United States").
    The longest name that fits wins at each point, so "United Kingdom" is not "United" + ...;
    only exact names count (no fuzzy matching), so nothing is guessed."""
    words = (text or "").split()
    names = _country_names()
    codes: list[str] = []
    unknown: list[str] = []
    i = 0
    while i < len(words):
        for j in range(min(len(words), i + _MAX_COUNTRY_WORDS), i, -1):
            code = names.get(" ".join(words[i:j]).casefold())
            if code:
                if code not in codes:
                    codes.append(code)
                i = j
                break
        else:
            unknown.append(words[i])
            i += 1
    return codes, unknown
