"""Trial registries and their ids: each registry's label and id pattern, the registries whose ids
identify a trial, and the placeholders registers write where there is no id."""

from __future__ import annotations

import re

from graph.model import Identifier

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
