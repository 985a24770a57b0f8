"""WHO ICTRP XML exports (``<Trials_downloaded_from_ICTRP>``) as trial records.

The ICTRP portal merges the records of every primary register into one flat XML layout: one
``<Trial>`` element per register record, one child element per field, values as plain text with
escaped ``<br>`` markup.  Each register still writes its own spellings into that layout (phases
as "Phase 3", "3" or the EU checklist "Therapeutic confirmatory - (Phase III): yes"; dates as
``08/04/2024``, ``2021-09-03``, ``April 25, 2024`` or ``2016/12/06``), so this module maps the
spellings seen in real exports to the ClinicalTrials.gov API v2 values and keeps anything it does
not know as text with a warning on the record.

Decisions worth knowing:

* Identifiers.  ``TrialID`` is the record's own registry id.  EU Clinical Trials Register ids
  carry a member state (``EUCTR2021-000037-14-ES``): the identifier is the bare EudraCT number
  (``2021-000037-14``) and the member state (``ES``) is added to the record's countries.
  ``CTIS2023-507385-11-00`` becomes CTIS ``2023-507385-11-00`` and ``JPRN-jRCT2071210009``
  becomes JPRN ``jRCT2071210009``, so that the same id written by another register matches.
  Each ``Secondary_ID`` is an identifier of the register its pattern names, else ``OTHER``
  (``U1111-...`` WHO Universal Trial Numbers get the type ``UTN``).
* Status.  ICTRP's ``Recruitment_Status`` is mostly a two-valued flag.  "Recruiting" maps to
  ``RECRUITING``.  "Not recruiting" covers every API v2 status except RECRUITING (active, completed,
  terminated, withdrawn, not yet recruiting), so it maps to the coarse status ``NOT_RECRUITING``
  of the vocabulary rather than to a guess; the EU register values with no API v2 equivalent
  ("Authorised", "Ongoing", "Restarted") map to ``AUTHORISED``, ``ONGOING`` and ``RESTARTED``
  (see :data:`graph.normalize.COARSE_STATUSES`).  A value this module has never seen is kept as
  text with a warning.  "Not Available" means no status.
* Phase "0" (ChiCTR) is API v2 ``EARLY_PHASE1`` ("formerly Phase 0"), except for an observational
  study, where it can only mean "not applicable" (``NA``, with a warning).
* ``Target_size`` "control group:50;sepsis group:50" is the sum of its groups (100).
* Contact names, e-mails and phones (``Contact_*``, ``Ethics_review_contact_*``) are never read,
  and the rule of :mod:`graph.contact` applies to every field read (an e-mail address, or a phone
  number marked as one, is masked), with a warning naming the element.  A field longer than
  :data:`graph.normalize.MAX_FIELD_CHARS` is cut, with a warning naming the element.
  ``web_address`` is kept as data (http and https only) and never fetched.
* The ``TrialID`` as ICTRP writes it (``EUCTR2021-000037-14-ES``, ``JPRN-jRCT2080224174``) is
  kept too, as an ``ICTRP`` identifier, when it is not the register's own id as written; so are
  such ids among the ``Secondary_ID`` values.  A ``Secondary_ID`` that is no id ("Nil known",
  "N/A") is skipped with a warning.
* Sponsors.  ``Primary_sponsor`` may name several organisations ("Alnylam Pharmaceuticals, Inc. /
  Medpace Japan KK"): the first is the lead sponsor and the others are collaborators.
* Titles.  A placeholder ("Not available", "N/A") is no title; the record's title is the public
  title, else the scientific one.  Condition labels lose list markers ("-", "*", "1.").
* ICTRP-only flags (``Retrospective_flag``, ``other_records``, and the bridging fields
  ``Bridging_flag``, ``Bridged_type``, ``Childs``, ``type_enrolment`` when an export has them) have no
  place in :class:`~graph.model.TrialRecord`; :func:`read_detailed` returns them beside the record.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from graph import contact
from graph.errors import RecordError
from graph.model import (
    Arm,
    Condition,
    Design,
    Identifier,
    Intervention,
    Organization,
    Outcome,
    PartialDate,
    Participation,
    RecordWarning,
    TrialRecord,
)
from graph.normalize import (
    clean_text,
    country_code,
    enum_value,
    guess_registry,
    ictrp_id,
    id_matches,
    is_id,
    parse_date,
    quoted,
    quoted_list,
    shown,
    split_euctr,
    sponsor_participations,
    strip_list_marker,
)
from graph.sources import ReadResult, SourceFormat, register

ROOT_TAG = "Trials_downloaded_from_ICTRP"
SNIFF_BYTES = 2048

#: Elements never read: contact persons and their e-mails and phones.
_PRIVATE_PREFIXES = ("Contact_", "Ethics_review_contact_")
#: ICTRP-only flags returned by :func:`read_detailed` when present.
FLAG_FIELDS = ("Retrospective_flag", "other_records", "Bridging_flag", "Bridged_type", "Childs", "type_enrolment")


class _FieldError(Exception):
    """A field that makes the whole record unusable (its id, or a malformed element)."""

    def __init__(self, field_name: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.field_name = field_name
        self.message = message
        self.hint = hint


@dataclass
class IctrpTrial:
    """One ``<Trial>``: the record plus the ICTRP-only facts the record model has no field for."""

    record: TrialRecord
    source_register: str | None = None
    #: ``Retrospective_flag``: registered after the first participant was enrolled.
    retrospective: bool | None = None
    #: ``other_records``: ICTRP knows other register records of this trial (bridging).
    other_records: bool | None = None
    #: Every flag element present, as cleaned text (see :data:`FLAG_FIELDS`).
    flags: dict[str, str] = field(default_factory=dict)


# -- text ----------------------------------------------------------------------------------------

#: A markup tag; its attributes are bounded, so that a ``<br`` without its ``>`` costs a bounded
#: look-ahead, not a scan to the end of the field.
_TAG = re.compile(r"</?(?:br|p|b|i|u|em|strong|sup|sub|li|ul|ol|span|div)\b[^<>]{0,200}>", re.IGNORECASE)


def _lines(raw: str | None) -> str:
    """Raw element text with markup tags and carriage returns turned into line breaks."""
    if not raw:
        return ""
    text = unicodedata.normalize("NFC", raw).replace("\r", "\n")
    return _TAG.sub("\n", text)


def text(raw: str | None) -> str | None:
    """One clean line: markup, carriage returns and runs of white space folded; NFC."""
    return clean_text(_lines(raw))


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
#: (:data:`graph.normalize.COARSE_STATUSES`) without a warning.
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

    Adds to :func:`graph.normalize.parse_date`: ``2016/12/06``, ``20210903`` and ``20 March 2023``.
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


# -- design --------------------------------------------------------------------------------------

_CTGOV_DESIGN = re.compile(
    r"Allocation:\s*(?P<allocation>[^.]*)\.\s*Intervention model:\s*(?P<model>[^.]*)\.\s*"
    r"Primary purpose:\s*(?P<purpose>[^.]*)\.\s*Masking:\s*(?P<masking>[^.(]*)",
    re.IGNORECASE,
)
_EU_DESIGN = re.compile(
    r"(Controlled|Randomised|Open|Single blind|Double blind|Parallel group|Cross over)\s*:\s*(yes|no)", re.IGNORECASE
)
_ARMS = re.compile(r"Number of treatment arms in the trial\s*:\s*(\d+)", re.IGNORECASE)
_PURPOSES = (
    "health services research",
    "supportive care",
    "basic science",
    "device feasibility",
    "treatment",
    "prevention",
    "diagnostic",
    "screening",
)


def _enum_or_none(scheme: str, raw: str, warnings: list[str]) -> str | None:
    """An API v2 value of ``scheme``; "N/A" is ``NA`` for allocation and no value elsewhere."""
    value = raw.strip()
    if not value:
        return None
    if value.casefold() in ("n/a", "na"):
        return "NA" if scheme == "allocation" else None
    enum, known = enum_value(scheme, value)
    if not known:
        warnings.append(
            RecordWarning("unknown-value", f"Study_design: {scheme} {quoted(value)} is not a known value; kept as text")
        )
    return enum


def parse_design(raw: str | None, warnings: list[str]) -> Design:
    """The API v2 design fields that the register's design text states; the rest stay ``None``."""
    value = text(raw)
    if value is None:
        return Design()
    m = _CTGOV_DESIGN.search(value)
    if m:
        model = re.sub(r"\s+assignment$", "", m.group("model").strip(), flags=re.IGNORECASE)
        masking = m.group("masking").strip()
        return Design(
            allocation=_enum_or_none("allocation", m.group("allocation"), warnings),
            model=_enum_or_none("intervention-model", model, warnings),
            purpose=_enum_or_none("primary-purpose", m.group("purpose"), warnings),
            masking=_enum_or_none("masking", masking, warnings),
        )
    checklist = {k.casefold(): v.casefold() == "yes" for k, v in _EU_DESIGN.findall(value)}
    if checklist:
        return _eu_design(checklist, _ARMS.search(value))
    return _keyword_design(value)


def _eu_design(answers: dict[str, bool], arms_match: re.Match[str] | None) -> Design:
    arms = int(arms_match.group(1)) if arms_match else None
    allocation = None
    if answers.get("randomised"):
        allocation = "RANDOMIZED"
    elif "randomised" in answers and arms:
        allocation = "NA" if arms == 1 else "NON_RANDOMIZED"
    masking = (
        "DOUBLE"
        if answers.get("double blind")
        else "SINGLE"
        if answers.get("single blind")
        else ("NONE" if answers.get("open") else None)
    )
    model = (
        "PARALLEL"
        if answers.get("parallel group")
        else "CROSSOVER"
        if answers.get("cross over")
        else ("SINGLE_GROUP" if arms == 1 else None)
    )
    return Design(allocation=allocation, model=model, masking=masking)


def _keyword_design(value: str) -> Design:
    """Comma lists such as JPRN's "randomized controlled trial, open(masking not used), parallel
    assignment, treatment purpose" or DRKS's "Study design purpose: diagnostic"."""
    key = value.casefold()
    allocation = (
        "NON_RANDOMIZED"
        if re.search(r"non-?\s?randomi[sz]ed", key)
        else "RANDOMIZED"
        if re.search(r"\brandomi[sz]ed", key)
        else None
    )
    model = None
    for pattern, enum in (
        (r"single arm|single assignment|single group", "SINGLE_GROUP"),
        (r"\bparallel", "PARALLEL"),
        (r"cross-?\s?over", "CROSSOVER"),
        (r"\bfactorial", "FACTORIAL"),
        (r"\bsequential", "SEQUENTIAL"),
    ):
        if re.search(pattern, key):
            model = enum
            break
    masking = None
    for pattern, enum in (
        (r"quadruple", "QUADRUPLE"),
        (r"triple", "TRIPLE"),
        (r"double[\s-]blind", "DOUBLE"),
        (r"single[\s-]blind", "SINGLE"),
        (r"\bopen\b|open-label|masking not used", "NONE"),
    ):
        if re.search(pattern, key):
            masking = enum
            break
    purpose = None
    for name in _PURPOSES:
        if re.search(rf"(study design purpose:\s*{name}\b|\b{name} purpose\b|(^|,)\s*{name}\s*($|,))", key):
            purpose = name.upper().replace(" ", "_")
            break
    return Design(allocation=allocation, model=model, purpose=purpose, masking=masking)


# -- conditions, interventions, outcomes ---------------------------------------------------------

_CODE_ONLY = re.compile(r"^([A-Z]\d{2}(\.\d+)?|\d{5,}|ORPHA:\d+)$")
_MEDDRA_TERM = re.compile(r"Term:\s*(.+?)\s*(?:System Organ Class:|$)", re.IGNORECASE | re.DOTALL)


def parse_conditions(raw: str | None) -> tuple[list[Condition], list[str]]:
    """(conditions, keywords).  Pieces split on ``;`` and ``<br>``; EU MedDRA blocks give their
    ``Term:``; "Therapeutic area: ..." becomes a keyword; bare ICD-10/MedDRA/Orphanet codes are dropped."""
    labels: list[str] = []
    keywords: list[str] = []
    pieces = re.split(r";|<br\s*/?>", unicodedata.normalize("NFC", raw or ""), flags=re.IGNORECASE)
    for item in (item for piece in pieces for item in _list_items(piece)):
        value = strip_list_marker(text(item) or "")
        if not value:
            continue
        if value.casefold().startswith("meddra version"):
            term = _MEDDRA_TERM.search(value)
            value = term.group(1).strip() if term else ""
        elif value.casefold().startswith("therapeutic area:"):
            area = value.split(":", 1)[1].strip()
            if area and area not in keywords:
                keywords.append(area)
            continue
        if value and not _CODE_ONLY.match(value) and value not in labels:
            labels.append(value)
    return [Condition(label) for label in labels], keywords


def _list_items(piece: str) -> list[str]:
    """A piece written as a list, one item a line behind a marker ("-A<newline>-B"), as its
    items; a line without a marker continues the item before it."""
    items: list[str] = []
    for line in (ln.strip() for ln in piece.replace("\r", "\n").split("\n")):
        if not line:
            continue
        if items and strip_list_marker(line) == line:
            items[-1] += " " + line
        else:
            items.append(line)
    return items


_PRODUCT_KEYS = (
    "inn or proposed inn",
    "inn of investigational material",
    "product name",
    "trade name",
    "generic name etc",
    "current sponsor code",
    "product code",
)
_NO_VALUE = {"", "-", "n/a", "na", "none", "no", "not applicable"}
#: Intervention texts that name nothing ("Please refer to section E6 of the protocol.").
_NO_INTERVENTION = re.compile(r"^(please )?(refer|see) (to )?(the )?(section|protocol)", re.IGNORECASE)
_ARM_TYPES = {
    "experimental": "EXPERIMENTAL",
    "active comparator": "ACTIVE_COMPARATOR",
    "placebo comparator": "PLACEBO_COMPARATOR",
    "sham comparator": "SHAM_COMPARATOR",
    "no intervention": "NO_INTERVENTION",
    "other": "OTHER",
}


def _key_values(block: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for line in block.split("\n"):
        if ":" in line:
            k, v = line.split(":", 1)
            k = " ".join(k.split()).casefold()
            if k not in pairs:
                pairs[k] = " ".join(v.split())
    return pairs


def _product_sheet(raw: str) -> list[Intervention]:
    """EU register / CTIS / jRCT product blocks ("Product Name: X<br>INN or Proposed INN: Y")."""
    lines = _lines(raw).replace(",", "\n") if "<br" not in raw.casefold() else _lines(raw)
    blocks = re.split(r"\n\s*\n", lines)
    out: list[Intervention] = []
    for block in blocks:
        pairs = _key_values(block)
        names = [clean_text(pairs[k]) for k in _PRODUCT_KEYS if pairs.get(k, "").casefold() not in _NO_VALUE]
        unique = [n for i, n in enumerate(names) if n and n.casefold() not in {m.casefold() for m in names[:i] if m}]
        if unique and all(unique[0].casefold() != i.name.casefold() for i in out):
            out.append(Intervention(unique[0], type="DRUG", other_names=tuple(unique[1:])))
    return out


def parse_interventions(raw: str | None) -> tuple[list[Intervention], list[Arm]]:
    """Interventions (and arms, where the register writes arm groups) from ``Intervention``.

    ``Drug: X;Other: Y`` (ClinicalTrials.gov) gives typed interventions; EU product sheets give one
    ``DRUG`` per product; ``Group 1: ...`` and ``Experimental: X<br>...`` give arms; ``group: No``
    (no intervention) is dropped; anything else is one untyped intervention per ``;`` piece.
    """
    value = raw or ""
    if re.search(r"(Product Name|Trade Name|INN or Proposed INN|Generic name etc)\s*:", value, re.IGNORECASE):
        return _product_sheet(value), []
    arms = _arms(value)
    if arms:
        return [], arms
    interventions: list[Intervention] = []
    for piece in split_values(value):
        if _NO_INTERVENTION.match(piece):
            continue
        name, kind = piece, None
        m = re.match(r"^([A-Za-z /]+?)\s*:\s*(.+)$", piece)
        if m:
            enum, known = enum_value("intervention-type", m.group(1).replace("/Surgery", ""))
            if known:
                name, kind = m.group(2).strip(), enum
            elif m.group(2).strip().casefold() in _NO_VALUE:
                continue
        if all(name != i.name for i in interventions):
            interventions.append(Intervention(name, type=kind))
    return interventions, []


_ARM_HEAD = re.compile(
    r"^(Group \d+|Experimental|Active Comparator|Placebo Comparator|Sham Comparator|No Intervention)\s*:\s*(.*)$",
    re.IGNORECASE,
)


def _arms(raw: str) -> list[Arm]:
    """Arm groups written as "Group 1: text" (DRKS) or "Experimental: X<br>text" (jRCT); a block
    without such a head continues the arm before it.  ``[]`` when the text is not arm groups."""
    blocks = [b.strip() for b in re.split(r"\n\s*\n", _lines(raw)) if b.strip()]
    arms: list[Arm] = []
    for block in blocks:
        first, _, rest = block.partition("\n")
        m = _ARM_HEAD.match(first.strip())
        if not m:
            if not arms:
                return []
            last = arms[-1]
            arms[-1] = Arm(last.label, type=last.type, description=clean_text(f"{last.description or ''}\n{block}"))
            continue
        head = m.group(1)
        arm_type = _ARM_TYPES.get(head.casefold())
        label = clean_text(m.group(2)) if arm_type else head
        description = clean_text(rest if arm_type else f"{m.group(2)}\n{rest}")
        arms.append(Arm(label or head, type=arm_type, description=description))
    return arms


_OBJECTIVES = ("main objective", "secondary objective")
_END_POINTS = ("primary end point(s)", "secondary end point(s)")


def parse_outcomes(raw: str | None, kind: str) -> list[Outcome]:
    """Outcomes split on ``;``.  EU register layout: "Main Objective"/"Secondary Objective" pieces
    (and the pieces that continue them) are objectives, not outcomes, and are dropped;
    "Timepoint(s) of evaluation of this end point:" is the time frame of the end point just before
    it; "None" end points are dropped."""
    out: list[Outcome] = []
    in_objective = False
    last_added = False
    for piece in split_values(raw):
        label, _, rest = piece.partition(":")
        label_key = label.strip().casefold()
        if label_key in _OBJECTIVES:
            in_objective, last_added = True, False
            continue
        if label_key.startswith("timepoint(s) of evaluation"):
            frame = rest.strip()
            if last_added and frame.casefold() not in _NO_VALUE:
                out[-1] = Outcome(out[-1].kind, out[-1].measure, time_frame=frame)
            in_objective, last_added = False, False
            continue
        if label_key in _END_POINTS:
            in_objective, measure = False, rest.strip()
        elif in_objective:
            continue
        else:
            measure = piece
        last_added = measure.casefold() not in _NO_VALUE and all(o.measure != measure for o in out)
        if last_added:
            out.append(Outcome(kind, measure))
    return out


# -- organisations -------------------------------------------------------------------------------

#: Texts registers write where no organisation is named.
PLACEHOLDER_ORGS = {
    "please refer to primary and secondary sponsors",
    "-",
    "industry",
    "none",
    "n/a",
    "na",
    "not applicable",
    "no",
    "self",
    "self-funded",
    "nil",
}


def organization_names(raw: str | None, *, split_slash: bool = False) -> list[str]:
    """The organisations a sponsor field names, in its order, placeholders left out."""
    separators = ";| / " if split_slash else ";"
    return [name for name in split_values(raw, separators) if name.casefold() not in PLACEHOLDER_ORGS]


def parse_organizations(raw: str | None, role: str, *, split_slash: bool = False) -> list[Participation]:
    return [Participation(Organization(name), role) for name in organization_names(raw, split_slash=split_slash)]


# -- one trial -----------------------------------------------------------------------------------


def _fields(trial: Element) -> dict[str, str]:
    """Child element text by tag, never reading contact elements.  Nested markup is an error."""
    out: dict[str, str] = {}
    for child in trial:
        tag = str(child.tag)
        if tag.startswith(_PRIVATE_PREFIXES):
            continue
        if len(child):
            raise _FieldError(
                tag,
                f"element <{tag}> holds child elements; a value was expected",
                hint="ICTRP exports put plain text (with escaped <br> markup) in each field",
            )
        out[tag] = child.text or ""
    return out


def _own_identifier(fields: dict[str, str]) -> tuple[str, Identifier]:
    trial_id = text(fields.get("TrialID"))
    if not trial_id:
        raise _FieldError("TrialID", "the trial has no TrialID", hint="every <Trial> needs its register id")
    own = trial_identifier(trial_id)
    if own is None:
        raise _FieldError(
            "TrialID",
            f"{quoted(trial_id)} is not an id of a known trial registry",
            hint="see graph.normalize.REGISTRIES for the id patterns",
        )
    return trial_id, own


def _date(fields: dict[str, str], name: str, warnings: list[str]) -> PartialDate | None:
    try:
        return parse_ictrp_date(fields.get(name))
    except ValueError as exc:
        warnings.append(RecordWarning("unreadable-value", f"{name}: {exc}; left out"))
        return None


#: Regions that registers (jRCT) list among countries; named here to skip a slow fuzzy country search.
_REGIONS = {
    "africa",
    "asia",
    "asia except japan",
    "europe",
    "north america",
    "south america",
    "latin america",
    "central america",
    "oceania",
    "middle east",
    "worldwide",
    "international",
}


def _countries(fields: dict[str, str], trial_id: str, warnings: list[str]) -> list[str]:
    out: list[str] = []
    unknown: list[str] = []
    for name in split_values(fields.get("Countries")):
        code = None if name.casefold() in _REGIONS else country_code(name)
        if code is None:
            unknown.append(name)
        elif code not in out:
            out.append(code)
    state = member_state(trial_id)
    if state and state not in out:
        out.append(state)
    if unknown:
        warnings.append(RecordWarning("unknown-country", "Countries: not countries, left out: " + quoted_list(unknown)))
    return out


def _flag(value: str | None) -> bool | None:
    key = (text(value) or "").casefold()
    return True if key in ("yes", "y", "true", "1") else False if key in ("no", "n", "false", "0") else None


def _url(raw: str | None) -> str | None:
    value = text(raw)
    return value if value and re.match(r"^https?://", value, re.IGNORECASE) else None


#: What registers write in a title field when there is no title.
_NO_TITLE = {"not available", "n/a", "na", "none", "-", "not applicable", "nil"}


def _title(raw: str | None) -> str | None:
    """A title field's text, or ``None`` for a placeholder ("Not available")."""
    value = text(raw)
    if not value:
        return None
    value = re.sub(r"^English:\s*", "", value)
    return None if value.casefold().rstrip(".") in _NO_TITLE else value


def parse_trial(fields: dict[str, str], source_file: str) -> IctrpTrial:
    """One ``<Trial>``'s fields (tag -> raw text) as a record; raises ``_FieldError`` when the
    record cannot stand (no usable TrialID)."""
    warnings: list[str] = []
    fields = {name: contact.guard(raw, name, warnings) or "" for name, raw in fields.items()}
    trial_id, own = _own_identifier(fields)
    status, warning = map_status(fields.get("Recruitment_Status"))
    warnings += [warning] if warning else []
    study_type, warning = parse_study_type(fields.get("Study_type"))
    warnings += [warning] if warning else []
    phases, warning = parse_phase(fields.get("Phase"))
    warnings += [warning] if warning else []
    if phases == ["EARLY_PHASE1"] and study_type == "OBSERVATIONAL":
        phases = ["NA"]
        warnings.append(
            RecordWarning("reinterpreted", "Phase: '0' given for an observational study; read as not applicable")
        )
    try:
        enrollment = parse_target_size(fields.get("Target_size"))
    except ValueError as exc:
        enrollment = None
        warnings.append(RecordWarning("unreadable-value", f"Target_size: {exc}; left out"))
    minimum_age, warning = parse_age(fields.get("Inclusion_agemin"), maximum=False)
    warnings += [warning] if warning else []
    maximum_age, warning = parse_age(fields.get("Inclusion_agemax"), maximum=True)
    warnings += [warning] if warning else []
    conditions, keywords = parse_conditions(fields.get("Condition"))
    interventions, arms = parse_interventions(fields.get("Intervention"))
    registration = _date(fields, "Date_registration3", warnings) if fields.get("Date_registration3") else None
    record = TrialRecord(
        source="ictrp",
        record_id=trial_id,
        source_file=source_file,
        identifiers=_unique(
            [*published_identifiers(trial_id), *secondary_identifiers(fields.get("Secondary_ID"), own, warnings)]
        ),
        version=_version(fields, warnings),
        title=_title(fields.get("Public_title")) or _title(fields.get("Scientific_title")),
        official_title=_title(fields.get("Scientific_title")),
        acronym=text(fields.get("Acronym")),
        status=status,
        phases=phases,
        study_type=study_type,
        design=parse_design(fields.get("Study_design"), warnings),
        enrollment=enrollment,
        start_date=_date(fields, "Date_enrollement", warnings),
        registration_date=registration or _date(fields, "Date_registration", warnings),
        sex=parse_sex(fields.get("Inclusion_gender")),
        minimum_age=minimum_age,
        maximum_age=maximum_age,
        participations=_participations(fields),
        countries=_countries(fields, trial_id, warnings),
        conditions=conditions,
        keywords=keywords,
        interventions=interventions,
        arms=arms,
        outcomes=parse_outcomes(fields.get("Primary_outcome"), "PRIMARY")
        + parse_outcomes(fields.get("Secondary_outcome"), "SECONDARY"),
        url=_url(fields.get("web_address")),
        warnings=warnings,
    )
    flags = {name: value for name in FLAG_FIELDS if (value := text(fields.get(name)) or "")}
    return IctrpTrial(
        record=record,
        source_register=text(fields.get("Source_Register")),
        retrospective=_flag(fields.get("Retrospective_flag")),
        other_records=_flag(fields.get("other_records")),
        flags=flags,
    )


def _unique(ids: list[Identifier]) -> list[Identifier]:
    out: dict[tuple[str, str], Identifier] = {}
    for i in ids:
        out.setdefault((i.registry, i.value), i)
    return list(out.values())


def _version(fields: dict[str, str], warnings: list[str]) -> str | None:
    refreshed = _date(fields, "Last_Refreshed_on", warnings)
    return refreshed.value if refreshed else None


def _participations(fields: dict[str, str]) -> list[Participation]:
    found = (
        sponsor_participations(organization_names(fields.get("Primary_sponsor"), split_slash=True))
        + parse_organizations(fields.get("Secondary_Sponsor"), "COLLABORATOR")
        + parse_organizations(fields.get("Source_Support"), "FUNDER")
    )
    out: list[Participation] = []
    for p in found:
        if all((p.organization.name, p.role) != (q.organization.name, q.role) for q in out):
            out.append(p)
    return out


# -- files ---------------------------------------------------------------------------------------


def sniff(path: Path) -> bool:
    """An ``.xml`` file whose first bytes name the ICTRP export root element."""
    if path.suffix.lower() != ".xml":
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError:
        return False
    return ROOT_TAG.encode() in head


def _trial_label(trial: Element, position: int) -> str:
    label = text(trial.findtext("TrialID"))
    return shown(label) if label else f"Trial #{position}"


def read_detailed(path: Path) -> Iterator[IctrpTrial | RecordError]:
    """Each ``<Trial>`` of an export with its ICTRP-only flags, or the error that costs only it.

    The file is streamed (exports run to hundreds of megabytes).  A file that declares a DTD or
    entities is refused as a whole (one :class:`RecordError`), as is one that is not well-formed
    past the point reached (the records before it are kept).
    """
    source_file = str(path)
    position = 0
    root: Element | None = None
    try:
        events: Iterator[tuple[str, Any]] = iterparse(str(path), events=("start", "end"), forbid_dtd=True)
        for event, elem in events:
            if root is None:
                root = elem
                if elem.tag != ROOT_TAG:
                    yield RecordError(
                        f"root element is <{elem.tag}>, not <{ROOT_TAG}>",
                        file=source_file,
                        hint="export the trials from the ICTRP portal as XML",
                    )
                    return
                continue
            if event != "end" or elem.tag != "Trial":
                continue
            position += 1
            yield _one(elem, position, source_file)
            with contextlib.suppress(ValueError):  # a <Trial> that is not a child of the root
                root.remove(elem)
    except DefusedXmlException as exc:
        yield RecordError(
            f"refused: the file declares a DTD or entities ({type(exc).__name__})",
            file=source_file,
            hint="ICTRP exports have no DTD; a DTD or entity here is an XML attack or not an export",
        )
    except ParseError as exc:
        where = f" after {position} trial(s)" if position else ""
        yield RecordError(
            f"not well-formed XML{where}: {exc}",
            file=source_file,
            hint="the export may be truncated; download it again",
        )
    except OSError as exc:
        yield RecordError(f"cannot be read: {exc.strerror or exc}", file=source_file)


def _one(trial: Element, position: int, source_file: str) -> IctrpTrial | RecordError:
    label = _trial_label(trial, position)
    try:
        return parse_trial(_fields(trial), source_file)
    except _FieldError as exc:
        return RecordError(exc.message, file=source_file, record=label, field=exc.field_name, hint=exc.hint)


def read(path: Path) -> Iterator[ReadResult]:
    """The records of an ICTRP export (see :func:`read_detailed` for the flags)."""
    for item in read_detailed(path):
        yield item if isinstance(item, RecordError) else item.record


FORMAT = register(SourceFormat("ictrp", "WHO ICTRP XML export (Trials_downloaded_from_ICTRP)", sniff, read))
