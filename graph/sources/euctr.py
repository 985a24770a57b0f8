"""EU Clinical Trials Register (EudraCT) records, as ctrdata keeps them: one JSON document per
member-state record, with the protocol's fields flattened into names such as
``a2_eudract_number`` (section A, field 2) and, for trials with results, the results sections
(``trialInformation``...).

The register holds one record per member state of a trial (``2016-004489-24`` in Germany is
``EUCTR2016-004489-24-DE``); the record id here is that ``EUCTR...-CC`` key, the same as in ICTRP
exports, so that the records of one EudraCT number become one trial (evidence
``eu-member-states``, see :mod:`graph.resolve.merge`).  What is read, and how:

* Identifiers: the EudraCT number (own id, required); the NCT, ISRCTN and WHO UTN numbers it
  cites (A.5, and the results' ``usctnIdentifier``...); the sponsor's protocol code (A.4.1) as the
  sponsor's own study id; other identifiers (A.5.4) as OTHER.
* Sponsors (B.1): the first is the lead sponsor, later ones collaborators, each with its country
  and commercial status (B.3); sources of monetary or material support (B.4) are funders.
* The member state (A.1, "Spain - AEMPS") with the record's status there
  (:class:`graph.model.CountryStatus`); the countries where sites are planned (E.8.6.3), a list of
  names run together with spaces, read by exact name.  The register lists no sites.
* The condition (E.1.1) with its MedDRA terms (E.1.2) and therapeutic area (E.1.1.2); the
  investigational medicinal products (section D) as interventions; phases (E.7), design (E.8),
  planned enrolment (F.4), sex and age groups (F.1, F.2), healthy volunteers (F.3.1), end points
  (E.5) as outcomes.
* Status: the global end of the trial from the results (completed or ended early) when the
  record has results; otherwise the status in this member state, as ICTRP does.  Dates: the
  first entry into EudraCT as the registration date; from the results, the actual recruitment
  start and global end.

Never read: the contact point (B.5: name, address, telephone, fax, e-mail), the results' public
and scientific contacts, the translated fields (``*_fr``, ``*_es``...), ethics and authority
decisions beyond the member state's status.
"""

from __future__ import annotations

import re
from typing import Any

from graph.model import (
    Condition,
    ConditionTerm,
    CountryStatus,
    Design,
    Identifier,
    Intervention,
    Organization,
    Outcome,
    PartialDate,
    Participation,
    TrialRecord,
)
from graph.normalize.countries import countries_in
from graph.normalize.eu import eu_status, therapeutic_area
from graph.normalize.registry_ids import id_matches
from graph.normalize.text import quoted, quoted_list
from graph.sources import BadField
from graph.sources.ctrdata import (
    At,
    Notes,
    add_participation,
    attach_terms,
    ctrname_marker,
    other_names,
    products,
    raw_text,
    register_reader,
    therapeutic_area_term,
    version,
)

SOURCE = "euctr"
PAGE_URL = "https://www.clinicaltrialsregister.eu/ctr-search/trial/"
_MARKERS = (re.compile(rb'"a2_eudract_number"\s*:'), ctrname_marker("EUCTR"))


def _eudract(doc: At) -> str:
    at = doc.get("a2_eudract_number")
    value = at.text() or doc.get("eudractNumber").text()
    if value is None:
        raise BadField(at.path, "the record has no EudraCT number", hint="an EU register record has a2_eudract_number")
    if not id_matches("EUDRACT", value):
        raise BadField(at.path, f"{quoted(value)} is not a EudraCT number (YYYY-NNNNNN-NN)")
    return value


def _member_state(doc: At, notes: Notes) -> str | None:
    """ "Spain - AEMPS" -> ES (the authority after the dash is dropped)."""
    at = doc.get("a1_member_state_concerned")
    name = (at.text() or "").split(" - ")[0]
    return notes.country(At(name, at.path)) if name else None


def _record_id(eudract: str, state: str | None) -> str:
    """The register's key of a member-state record, as ICTRP writes it: ``EUCTR2016-004489-24-DE``."""
    return f"EUCTR{eudract}-{state}" if state else f"EUCTR{eudract}"


# -- identifiers ---------------------------------------------------------------------------------

_CITED = (
    (("a52_us_nct_clinicaltrialsgov_registry_number",), "NCT"),
    (("trialInformation", "usctnIdentifier"), "NCT"),
    (("a51_isrctn_international_standard_randomised_controlled_trial_number",), "ISRCTN"),
    (("trialInformation", "isrctnIdentifier"), "ISRCTN"),
)


def _identifiers(doc: At, eudract: str, sponsor: str | None, notes: Notes) -> list[Identifier]:
    ids = [Identifier("EUDRACT", eudract)]
    for keys, registry in _CITED:
        at = doc.get(*keys)
        value = at.text() if not isinstance(at.value, dict) else None
        if not value:
            continue
        if registry == "ISRCTN" and value.isdigit():
            value = "ISRCTN" + value
        found = Identifier(registry, value)
        if not id_matches(registry, value):
            notes.warn(at, f"{quoted(value)} is not a {registry} id; kept as OTHER", "malformed-id")
            found = Identifier("OTHER", value, type=registry)
        if found not in ids:
            ids.append(found)
    utn = doc.get("a53_who_universal_trial_reference_number_utrn").text()
    if utn:
        ids.append(Identifier("OTHER", utn, type="UTN"))
    code = doc.get("a41_sponsors_protocol_code_number").text()
    if code:
        ids.append(Identifier("ORG_STUDY", code, domain=sponsor))
    other = doc.get("a54_other_identifiers").text()
    if other:
        ids.append(Identifier("OTHER", other))
    return ids


# -- sponsors ------------------------------------------------------------------------------------


def _participations(doc: At, notes: Notes) -> list[Participation]:
    out: list[Participation] = []
    for sponsor in doc.get("b1_sponsor").objects():
        name = sponsor.get("b11_name_of_sponsor").text()
        if not name:
            notes.warn(sponsor, "a sponsor without a name; skipped", "unnamed")
            continue
        status = (sponsor.get("b31_and_b32_status_of_the_sponsor").text() or "").casefold()
        org = Organization(name, country=notes.country(sponsor.get("b134_country")))
        first = all(p.role != "LEAD_SPONSOR" for p in out)
        role, note = ("LEAD_SPONSOR", None) if first else ("COLLABORATOR", "co-sponsor")
        commercial = {"commercial": True, "non-commercial": False}.get(status)
        add_participation(out, Participation(org, role, note, commercial))
        for support in sponsor.get("b4_sources_of_monetary_or_material_support").objects():
            funder = support.get("b41_name_of_organisation_providing_support").text()
            if funder:
                country = notes.country(support.get("b42_country"))
                add_participation(out, Participation(Organization(funder, country=country), "FUNDER"))
    return out


# -- conditions, products, design ----------------------------------------------------------------


def _conditions(doc: At) -> tuple[list[Condition], list[ConditionTerm]]:
    label = doc.get("e11_medical_conditions_being_investigated").text()
    terms: list[ConditionTerm] = []
    for item in doc.get("e12_meddra_classification").objects():
        term = item.get("e12_term").text()
        if term:
            terms.append(ConditionTerm("MedDRA", term, item.get("e12_classification_code").text()))
    area = therapeutic_area(doc.get("e112_therapeutic_area").text())
    if area:
        terms.append(therapeutic_area_term(*area))
    return ([Condition(label)] if label else []), terms


_SUBSTANCE_KEYS = ("d38_inn__proposed_inn", "d393_other_descriptive_name")


def _product(dimp: At) -> Intervention | None:
    names = [
        n
        for key in ("d31_product_name", "d2111_trade_name", "d393_other_descriptive_name")
        if (n := dimp.get(key).text())
    ]
    for detail in dimp.get("d38_imp_identification_details").objects():
        names += [n for key in _SUBSTANCE_KEYS if (n := detail.get(key).text())]
    if not names:
        return None
    biological = any(
        dimp.get(key).flag()
        for key in (
            "d3112_active_substance_of_biological_biotechnological_origin_other_than_advanced_therapy_imp_atimp",
            "d3113_advanced_therapy_imp_atimp",
        )
    )
    kind = "BIOLOGICAL" if biological else "DRUG"
    return Intervention(names[0], type=kind, other_names=other_names(names[0], names[1:]))


_PHASES = (
    ("e71_human_pharmacology_phase_i", "PHASE1"),
    ("e72_therapeutic_exploratory_phase_ii", "PHASE2"),
    ("e73_therapeutic_confirmatory_phase_iii", "PHASE3"),
    ("e74_therapeutic_use_phase_iv", "PHASE4"),
)


def _phases(doc: At) -> list[str]:
    return [phase for key, phase in _PHASES if doc.get(key).flag()]


def _design(doc: At) -> Design:
    def yes(key: str) -> bool:
        return doc.get(key).flag() is True

    allocation = "RANDOMIZED" if yes("e811_randomised") else None
    masking = "DOUBLE" if yes("e814_double_blind") else "SINGLE" if yes("e813_single_blind") else None
    masking = masking or ("NONE" if yes("e812_open") else None)
    model = "PARALLEL" if yes("e815_parallel_group") else "CROSSOVER" if yes("e816_cross_over") else None
    return Design(allocation=allocation, model=model, masking=masking)


def _outcomes(doc: At) -> list[Outcome]:
    out: list[Outcome] = []
    for kind, key, frame in (
        ("PRIMARY", "e51_primary_end_points", "e511_timepoints_of_evaluation_of_this_end_point"),
        ("SECONDARY", "e52_secondary_end_points", "e521_timepoints_of_evaluation_of_this_end_point"),
    ):
        measure = doc.get(key).text()
        if measure:
            out.append(Outcome(kind, measure, doc.get(frame).text()))
    return out


_AGE_GROUPS = ("f11_trial_has_subjects_under_18", "f12_adults_1864_years", "f13_elderly_65_years")


def _ages(doc: At) -> tuple[str | None, str | None]:
    """(minimum, maximum) from the age groups of F.1: under 18, adults 18-64, elderly 65+."""
    under, adults, elderly = (doc.get(k).flag() for k in _AGE_GROUPS)
    minimum = None if under else "18 Years" if adults else "65 Years" if elderly else None
    maximum = None if elderly else "64 Years" if adults else "17 Years" if under else None
    return minimum, maximum


def _sex(doc: At) -> str | None:
    female, male = doc.get("f21_female").flag(), doc.get("f22_male").flag()
    return "ALL" if female and male else "FEMALE" if female else "MALE" if male else None


def _enrollment(doc: At) -> int | None:
    for key in ("f422_in_the_whole_clinical_trial", "f421_in_the_eea", "f41_in_the_member_state"):
        value = doc.get(key).integer()
        if value is not None:
            return value
    return None


# -- status and dates ----------------------------------------------------------------------------


def _state_status(doc: At, notes: Notes) -> str | None:
    at = doc.first("x5_trial_status", "p_end_of_trial_status")
    status, warning = eu_status(at.text())
    if warning:
        notes.warn(at, warning, "unknown-value")
    return status


def _global_end(doc: At, notes: Notes) -> tuple[str | None, PartialDate | None]:
    """(status, actual end date) of the trial as a whole, from the results, when it has ended."""
    info = doc.get("trialInformation")
    if info.get("isGlobalEndOfTrialReached").flag() is not True:
        return None, None
    status = "TERMINATED" if info.get("globalEndOfTrialPremature").flag() else "COMPLETED"
    end = info.get("globalEndOfTrialDate") or doc.get("p_date_of_the_global_end_of_the_trial")
    return status, notes.date(end, "ACTUAL")


# -- the record ----------------------------------------------------------------------------------


def to_record(doc: At, source_file: str) -> TrialRecord:
    """One EU register member-state document as a record; raises :class:`BadField`."""
    eudract = _eudract(doc)
    notes = Notes()
    state = _member_state(doc, notes)
    state_status = _state_status(doc, notes)
    global_status, end = _global_end(doc, notes)
    participations = _participations(doc, notes)
    lead = next((p.organization.name for p in participations if p.role == "LEAD_SPONSOR"), None)
    planned, unknown = countries_in(doc.get("e863_trial_sites_planned_in").text())
    if unknown:
        notes.warn(
            doc.get("e863_trial_sites_planned_in"),
            "not country names, left out: " + quoted_list(unknown),
            "unknown-country",
        )
    minimum, maximum = _ages(doc)
    conditions, terms = _conditions(doc)
    record = TrialRecord(
        source=SOURCE,
        record_id=_record_id(eudract, state),
        source_file=source_file,
        identifiers=_identifiers(doc, eudract, lead, notes),
        version=version(doc),
        title=doc.get("a31_title_of_the_trial_for_lay_people_in_easily_understood_ie_nontechnical_language").text()
        or doc.get("a3_full_title_of_the_trial").text(),
        official_title=doc.get("a3_full_title_of_the_trial").text(),
        status=global_status or state_status,
        phases=_phases(doc),
        study_type="INTERVENTIONAL",
        design=_design(doc),
        enrollment=_enrollment(doc),
        enrollment_type="ESTIMATED",
        start_date=notes.date(doc.get("trialInformation", "recruitmentStartDate"), "ACTUAL"),
        completion_date=end,
        registration_date=notes.date(doc.get("x6_date_on_which_this_record_was_first_entered_in_the_eudract_database")),
        sex=_sex(doc),
        minimum_age=minimum,
        maximum_age=maximum,
        healthy_volunteers=doc.get("f31_healthy_volunteers").flag(),
        participations=participations,
        countries=list(dict.fromkeys([*([state] if state else []), *planned])),
        country_statuses=[CountryStatus(state, state_status)] if state else [],
        conditions=conditions,
        interventions=products(doc.get("dimp").objects(), _product, notes),
        outcomes=_outcomes(doc),
        url=PAGE_URL + eudract + (f"/{state}" if state else ""),
    )
    if record.enrollment is None:
        record.enrollment_type = None
    attach_terms(record, terms)
    record.warnings = notes.warnings
    return record


def _label(raw: Any) -> str | None:
    eudract = raw_text(raw, "a2_eudract_number")
    return f"EUCTR{eudract}" if eudract else None


#: Sniffed by a top-level ``a2_eudract_number`` near the start, or ctrdata's ``ctrname``.
FORMAT = register_reader(
    SOURCE,
    "EU Clinical Trials Register record as ctrdata keeps it: one member-state record per file",
    _MARKERS,
    to_record,
    _label,
)
