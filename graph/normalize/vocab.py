"""The controlled vocabularies: the ClinicalTrials.gov API v2 enumerations, the coarse statuses
registers give, and the reading of a value into its vocabulary.

``ontology/vocab.ttl`` declares one SKOS concept per value (a test keeps the two in step).
"""

from __future__ import annotations

import re

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
