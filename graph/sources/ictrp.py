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
  (see :data:`graph.normalize.vocab.COARSE_STATUSES`).  A value this module has never seen is kept as
  text with a warning.  "Not Available" means no status.
* Phase "0" (ChiCTR) is API v2 ``EARLY_PHASE1`` ("formerly Phase 0"), except for an observational
  study, where it can only mean "not applicable" (``NA``, with a warning).
* ``Target_size`` "control group:50;sepsis group:50" is the sum of its groups (100).
* Contact names, e-mails and phones (``Contact_*``, ``Ethics_review_contact_*``) are never read,
  and the rule of :mod:`graph.contact` applies to every field read (an e-mail address, or a phone
  number marked as one, is masked), with a warning naming the element.  A field longer than
  :data:`graph.normalize.text.MAX_FIELD_CHARS` is cut, with a warning naming the element.
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
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

import graph.contact as contact
from graph.errors import RecordError
from graph.model import Identifier, PartialDate, Participation, RecordWarning, TrialRecord
from graph.normalize.countries import country_code
from graph.normalize.orgnames import sponsor_participations
from graph.normalize.text import quoted, quoted_list, shown
from graph.sources import ReadResult, SourceFormat, file_head, register
from graph.sources.ictrp_blocks import (
    organization_names,
    parse_conditions,
    parse_design,
    parse_interventions,
    parse_organizations,
    parse_outcomes,
)
from graph.sources.ictrp_values import (
    map_status,
    member_state,
    parse_age,
    parse_ictrp_date,
    parse_phase,
    parse_sex,
    parse_study_type,
    parse_target_size,
    published_identifiers,
    secondary_identifiers,
    split_values,
    text,
    trial_identifier,
)

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
            hint="see graph.normalize.registry_ids.REGISTRIES for the id patterns",
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
    head = file_head(path, SNIFF_BYTES)
    return head is not None and ROOT_TAG.encode() in head


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
