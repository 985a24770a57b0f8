"""ICTRP fields that hold several facts in free text: the study design, the conditions, the
interventions and arms, the outcomes and the sponsors.

The decisions behind the mappings are in :mod:`graph.sources.ictrp`.
"""

from __future__ import annotations

import re
import unicodedata

from graph.model import Arm, Condition, Design, Intervention, Organization, Outcome, Participation, RecordWarning
from graph.normalize.text import clean_text, quoted, strip_list_marker
from graph.normalize.vocab import enum_value
from graph.sources.ictrp_values import markup_lines, split_values, text

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


#: Intervention models named in a design text, first match wins: (pattern, API v2 value).
_MODELS = (
    (r"single arm|single assignment|single group", "SINGLE_GROUP"),
    (r"\bparallel", "PARALLEL"),
    (r"cross-?\s?over", "CROSSOVER"),
    (r"\bfactorial", "FACTORIAL"),
    (r"\bsequential", "SEQUENTIAL"),
)
#: Maskings likewise, the most masked first.
_MASKINGS = (
    (r"quadruple", "QUADRUPLE"),
    (r"triple", "TRIPLE"),
    (r"double[\s-]blind", "DOUBLE"),
    (r"single[\s-]blind", "SINGLE"),
    (r"\bopen\b|open-label|masking not used", "NONE"),
)


def _first_match(key: str, table: tuple[tuple[str, str], ...]) -> str | None:
    """The value of the first pattern of ``table`` found in ``key``."""
    return next((value for pattern, value in table if re.search(pattern, key)), None)


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
    model = _first_match(key, _MODELS)
    masking = _first_match(key, _MASKINGS)
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
    lines = markup_lines(raw).replace(",", "\n") if "<br" not in raw.casefold() else markup_lines(raw)
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
    blocks = [b.strip() for b in re.split(r"\n\s*\n", markup_lines(raw)) if b.strip()]
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
