"""ICTRP's spellings of single values as ClinicalTrials.gov API v2 values: text cleaned of markup,
register ids, statuses, phases, study types, sex, ages, target sizes and dates.

The decisions behind the mappings are in :mod:`graph.sources.ictrp`.
"""

from __future__ import annotations

import re
import unicodedata

from graph.model import Identifier, PartialDate, RecordWarning
from graph.normalize.countries import country_code
from graph.normalize.dates import parse_date
from graph.normalize.registry_ids import guess_registry, ictrp_id, id_matches, is_id, split_euctr
from graph.normalize.text import clean_text, quoted
from graph.normalize.vocab import enum_value

# -- text ----------------------------------------------------------------------------------------

#: A markup tag; its attributes are bounded, so that a ``<br`` without its ``>`` costs a bounded
#: look-ahead, not a scan to the end of the field.
_TAG = re.compile(r"</?(?:br|p|b|i|u|em|strong|sup|sub|li|ul|ol|span|div)\b[^<>]{0,200}>", re.IGNORECASE)


def markup_lines(raw: str | None) -> str:
    """Raw element text with markup tags and carriage returns turned into line breaks."""
    if not raw:
        return ""
    text = unicodedata.normalize("NFC", raw).replace("\r", "\n")
    return _TAG.sub("\n", text)


def text(raw: str | None) -> str | None:
    """One clean line: markup, carriage returns and runs of white space folded; NFC."""
    return clean_text(markup_lines(raw))


def split_values(raw: str | None, separators: str = ";") -> list[str]:
    """Cleaned, de-duplicated pieces of a multi-valued field (order kept)."""
    pattern = "|".join(re.escape(s) if s != "<br>" else r"<br\s*/?>" for s in separators.split("|"))
    out: list[str] = []
    for piece in re.split(pattern, raw or "", flags=re.IGNORECASE):
        value = text(piece)
        if value and value not in out:
            out.append(value)
    return out


# -- identifiers ---------------------------------------------------------------------------------

_EUDRACT_WITH_STATE = re.compile(r"^(\d{4}-\d{6}-\d{2})-([A-Z]{2}|3RD)$")
_EUCTR_THIRD_COUNTRY = re.compile(r"^EUCTR(\d{4}-\d{6}-\d{2})-3RD$", re.IGNORECASE)
_UTN = re.compile(r"^U\d{4}-\d{4}-\d{4}$")
#: EU member-state codes that are not ISO 3166 alpha-2.
_EU_STATE_CODES = {"EL": "GR", "UK": "GB"}


def trial_identifier(raw: str) -> Identifier | None:
    """The identifier a trial-registry id stands for, in the spelling every source shares.

    ``EUCTR2021-000037-14-ES`` and ``2021-000037-14-DK`` -> EUDRACT ``2021-000037-14``;
    ``CTIS2023-507385-11-00`` -> CTIS ``2023-507385-11-00``; ``JPRN-jRCT2071210009`` -> JPRN
    ``jRCT2071210009``; ``NCT04973137`` -> NCT.  ``None`` when no trial registry's pattern fits.
    """
    value = "".join(raw.split())
    upper = value.upper()
    if upper.startswith("EUCTR"):
        third = _EUCTR_THIRD_COUNTRY.match(value)
        euctr = (third.group(1), None) if third else split_euctr(upper)
        return Identifier("EUDRACT", euctr[0]) if euctr else None
    with_state = _EUDRACT_WITH_STATE.match(upper)
    if with_state:
        return Identifier("EUDRACT", with_state.group(1))
    if upper.startswith("CTIS") and id_matches("CTIS", value[4:]):
        return Identifier("CTIS", value[4:])
    if id_matches("NCT", upper):
        return Identifier("NCT", upper)
    if upper.startswith("JPRN-"):
        value = value[5:]
    registry = guess_registry(value)
    return Identifier(registry, value) if registry else None


def member_state(trial_id: str) -> str | None:
    """The ISO alpha-2 country of an EU register per-country record (``-ES`` -> ``ES``)."""
    euctr = split_euctr(trial_id.strip().upper())
    if not euctr or not euctr[1]:
        return None
    code = _EU_STATE_CODES.get(euctr[1], euctr[1])
    return country_code(code) if len(code) == 2 else None


def published_identifiers(raw: str) -> list[Identifier]:
    """The identifiers an id written in an ICTRP field stands for: the register's own id (see
    :func:`trial_identifier`, else ``OTHER`` as written), then the id as ICTRP spells it when
    that spelling differs (``EUCTR2021-000037-14-ES`` -> EUDRACT ``2021-000037-14`` and ICTRP
    ``EUCTR2021-000037-14-ES``)."""
    found = trial_identifier(raw)
    if found is None:
        value = " ".join(raw.split())
        return [Identifier("OTHER", value, type="UTN" if _UTN.match(value) else None)]
    spelled = ictrp_id(raw)
    return [found] if spelled is None or spelled.value == found.value else [found, spelled]


def secondary_identifiers(raw: str | None, own: Identifier, warnings: list[str] | None = None) -> list[Identifier]:
    """``Secondary_ID`` split on ``;``: each piece's :func:`published_identifiers`; a piece that
    is no id ("Nil known") is skipped, with a warning when ``warnings`` is given."""
    out: list[Identifier] = []
    for piece in split_values(raw):
        if not is_id(piece):
            if warnings is not None:
                warnings.append(RecordWarning("not-an-id", f"Secondary_ID: {quoted(piece)} is not an id; skipped"))
            continue
        for found in published_identifiers(piece):
            if (found.registry, found.value) == (own.registry, own.value):
                continue
            if all((i.registry, i.value) != (found.registry, found.value) for i in out):
                out.append(found)
    return out


# -- controlled values ---------------------------------------------------------------------------

_STATUS = {
    "recruiting": "RECRUITING",
    "not yet recruiting": "NOT_YET_RECRUITING",
    "pending": "NOT_YET_RECRUITING",
    "active, not recruiting": "ACTIVE_NOT_RECRUITING",
    "enrolling by invitation": "ENROLLING_BY_INVITATION",
    "completed": "COMPLETED",
    "complete": "COMPLETED",
    "prematurely ended": "TERMINATED",
    "terminated": "TERMINATED",
    "stopped early": "TERMINATED",
    "temporarily halted": "SUSPENDED",
    "suspended": "SUSPENDED",
    "suspended by ca": "SUSPENDED",
    "withdrawn": "WITHDRAWN",
}
#: Known register values coarser than API v2's, mapped to the coarse statuses of the vocabulary
#: (:data:`graph.normalize.vocab.COARSE_STATUSES`) without a warning.
COARSE_STATUSES = {
    "not recruiting": "NOT_RECRUITING",
    "authorised": "AUTHORISED",
    "authorized": "AUTHORISED",
    "ongoing": "ONGOING",
    "restarted": "RESTARTED",
}
_NO_STATUS = {"not available", "n/a", "unknown", ""}


def map_status(raw: str | None) -> tuple[str | None, str | None]:
    """(status, warning).  See the module docstring for the choices."""
    value = text(raw)
    if value is None or value.casefold() in _NO_STATUS:
        return None, None
    key = value.casefold()
    if key in _STATUS:
        return _STATUS[key], None
    if key in COARSE_STATUSES:
        return COARSE_STATUSES[key], None
    enum, known = enum_value("status", value)
    if known:
        return enum, None
    return value, RecordWarning(
        "unknown-value", f"Recruitment_Status: {quoted(value)} is not a known status; kept as text"
    )


_EU_PHASE = re.compile(r"\(Phase\s+(IV|III|II|I)\)\s*:\s*(yes|no)", re.IGNORECASE)
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4"}
_NO_PHASE = {"", "not selected", "not specified", "none"}
_NA_PHASE = {"n/a", "na", "not applicable", "not applicable (n/a)"}


def parse_phase(raw: str | None) -> tuple[list[str], str | None]:
    """(API v2 phases, warning) for a register's phase text.

    The spellings read: "Phase 2", "Phase II", "Phase1/Phase2" (KCT), "Phase 1/Phase 2",
    "Phase I/II", "Phase II/III", "I/II", "2-3", "Phase 2a" (numbers 1-4 or I-IV, with "a"/"b",
    joined by "/", ",", "+", "&", "-" or "and"); "Early Phase 1", "Phase 0" and "0" (API v2
    ``EARLY_PHASE1``, "formerly Phase 0"); "N/A", "NA", "Not applicable" (``NA``); "Not
    selected", "Not specified", "None" (no phase); and the EU register checklist ("Human
    pharmacology (Phase I): yes ...").  Any other text is kept as it is, with a warning.
    """
    value = text(raw) or ""
    key = value.casefold()
    if key in _NO_PHASE:
        return [], None
    if key in _NA_PHASE:
        return ["NA"], None
    checklist = _EU_PHASE.findall(value)
    if checklist:
        return sorted({f"PHASE{_ROMAN[n.casefold()]}" for n, answer in checklist if answer.casefold() == "yes"}), None
    if re.fullmatch(r"(early\s?phase\s?(1|i)|phase\s?0|0)", key):
        return ["EARLY_PHASE1"], None
    stripped = key.replace("phase", " ")
    if not re.fullmatch(r"[\s/,+&\-1-4ivab]*|[\s/,+&\-1-4ivab]*\band\b[\s/,+&\-1-4ivab]*", stripped):
        return [value], _unknown_phase(value)
    numbers = re.findall(r"(?<![a-z0-9])(iv|iii|ii|i|[1-4])[ab]?(?![a-z0-9])", stripped)
    if not numbers:
        return [value], _unknown_phase(value)
    return sorted({f"PHASE{_ROMAN.get(n, n)}" for n in numbers}), None


def _unknown_phase(value: str) -> RecordWarning:
    return RecordWarning("unknown-value", f"Phase: {quoted(value)} is not a known phase spelling; kept as text")


def parse_study_type(raw: str | None) -> tuple[str | None, str | None]:
    value = text(raw)
    if value is None:
        return None, None
    key = value.casefold()
    for prefix, enum in (
        ("interventional", "INTERVENTIONAL"),
        ("observational", "OBSERVATIONAL"),
        ("expanded access", "EXPANDED_ACCESS"),
    ):
        if key.startswith(prefix):
            return enum, None
    return value, RecordWarning("unknown-value", f"Study_type: {quoted(value)} is not a known study type; kept as text")


def parse_sex(raw: str | None) -> str | None:
    """``All``/``Both``/``Male and Female``/the EU "Female: yes Male: yes" -> API v2 ``Sex``."""
    key = (text(raw) or "").casefold()
    if not key:
        return None
    female = re.search(r"\bfemale\s*:\s*(yes|no)", key)
    male = re.search(r"\bmale\s*:\s*(yes|no)", key)
    if female or male:
        f = bool(female and female.group(1) == "yes")
        m = bool(male and male.group(1) == "yes")
        return "ALL" if f and m else "FEMALE" if f else "MALE" if m else None
    if key in ("all", "both") or re.search(r"\b(male and female|female and male|both)\b", key):
        return "ALL"
    if re.fullmatch(r"(female|females|women|woman)", key):
        return "FEMALE"
    if re.fullmatch(r"(male|males|men|man)", key):
        return "MALE"
    return None


_AGE = re.compile(r"^(?:[<>]=?\s*)?(\d+(?:\.\d+)?)\s*(years?|months?|weeks?|days?|hours?|age)?\b", re.IGNORECASE)
_NO_AGE = {"", "n/a", "na", "none", "not applicable", "no limit", "-"}


def parse_age(raw: str | None, *, maximum: bool) -> tuple[str | None, str | None]:
    """``18 Years``, ``18``, ``>= 20age old``, ``16years-old`` -> ``"18 Years"`` (API v2 spelling).

    ``65+`` as a maximum means the 65-and-over group is included: no upper limit.
    """
    value = text(raw)
    if value is None or value.casefold() in _NO_AGE:
        return None, None
    if maximum and value.endswith("+"):
        return None, None
    m = _AGE.match(value)
    if not m:
        return value, RecordWarning("unknown-value", f"age {quoted(value)} is not a known age spelling; kept as text")
    unit = (m.group(2) or "years").casefold()
    unit = "years" if unit == "age" else unit
    number = m.group(1)
    singular = number == "1"
    label = unit.rstrip("s").capitalize() + ("" if singular else "s")
    return f"{number} {label}", None


def parse_target_size(raw: str | None) -> int | None:
    """The total enrolment.  ``150`` -> 150; ``control group:50;sepsis group:50;`` -> 100;
    ``Female: 20; Male: 20`` -> 40.  Raises ``ValueError`` when no total can be read."""
    value = text(raw)
    if value is None:
        return None
    if re.fullmatch(r"\d+", value):
        return int(value)
    parts = [p for p in (s.strip() for s in value.split(";")) if p]
    counts: list[int] = []
    for part in parts:
        m = re.fullmatch(r"[^:]*:\s*(\d+)", part)
        if not m:
            raise ValueError(f"Target_size {quoted(value)} is not a number or a list of 'group: number'")
        counts.append(int(m.group(1)))
    return sum(counts)


_PLACEHOLDER_DAY = "1900-01-01"


def parse_ictrp_date(raw: str | None) -> PartialDate | None:
    """A date as the registers write it; raises ``ValueError``.

    Adds to :func:`graph.normalize.dates.parse_date`: ``2016/12/06``, ``20210903`` and ``20 March 2023``.
    ``01/01/1900`` is a register placeholder and reads as no date.
    """
    value = text(raw)
    if value is None:
        return None
    m = re.fullmatch(r"(\d{4})/(\d{1,2})/(\d{1,2})", value) or re.fullmatch(r"(\d{4})(\d{2})(\d{2})", value)
    if m:
        value = f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    else:
        m = re.fullmatch(r"(\d{1,2})\s+([A-Za-z]+)\.?,?\s+(\d{4})", value)
        if m:
            value = f"{m.group(2)} {m.group(1)}, {m.group(3)}"
    parsed = parse_date(value)
    return None if parsed.value == _PLACEHOLDER_DAY else parsed
