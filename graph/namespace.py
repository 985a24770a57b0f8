"""The trialgraph ontology namespace.  ``tests/test_ontology.py`` fails when this list and
``ontology/trialgraph.ttl`` disagree."""

from __future__ import annotations

import re
from functools import lru_cache

from rdflib import Namespace, URIRef
from rdflib.namespace import DefinedNamespace

from graph.constants import ID_NS, MESH_NS, ONTOLOGY_NS, VOCAB_NS


class TG(DefinedNamespace):
    _NS = Namespace(ONTOLOGY_NS)
    _fail = True

    # classes
    Trial: URIRef
    Organization: URIRef
    Site: URIRef
    TrialSite: URIRef
    Condition: URIRef
    Intervention: URIRef
    Arm: URIRef
    Outcome: URIRef
    Country: URIRef
    Person: URIRef
    RegistryIdentifier: URIRef
    Registry: URIRef
    Consortium: URIRef
    Participation: URIRef
    RoleCount: URIRef
    CellProduct: URIRef
    Funding: URIRef
    SourceRecord: URIRef
    MergeEvidence: URIRef
    QuarantinedRecord: URIRef
    TrialCountry: URIRef
    ConditionTerm: URIRef

    # identifiers and registries
    identifier: URIRef  # Trial -> RegistryIdentifier
    identifierOf: URIRef  # inverse
    registry: URIRef  # RegistryIdentifier -> Registry
    idValue: URIRef
    idType: URIRef
    idDomain: URIRef
    idPattern: URIRef  # Registry -> regex
    registryPage: URIRef  # Trial -> registry web page (data, never fetched)
    transitionedTo: URIRef  # EudraCT identifier -> the CTIS identifier the trial moved to

    # participation (qualified roles) and shortcuts derived by reasoning
    participation: URIRef
    leadSponsorParticipation: URIRef
    collaboratorParticipation: URIRef
    funderParticipation: URIRef
    consortiumPartnerParticipation: URIRef
    coordinatorParticipation: URIRef
    clinicalCentreParticipation: URIRef
    cellTherapyUnitParticipation: URIRef
    laboratoryParticipation: URIRef
    croParticipation: URIRef
    agent: URIRef  # Participation -> Organization
    role: URIRef  # Participation -> role concept
    participant: URIRef
    participatesIn: URIRef
    leadSponsor: URIRef
    sponsors: URIRef  # inverse of leadSponsor
    collaborator: URIRef
    funder: URIRef
    consortiumPartner: URIRef
    coordinator: URIRef
    clinicalCentre: URIRef
    cellTherapyUnit: URIRef
    laboratory: URIRef
    cro: URIRef
    agencyClass: URIRef
    ror: URIRef
    organizationType: URIRef  # Organization -> the registry's own word for its kind
    commercial: URIRef  # Participation -> whether a sponsor takes part commercially

    # consortium
    consortium: URIRef
    partnerCount: URIRef
    roleCount: URIRef
    count: URIRef

    # sites, places
    site: URIRef
    siteOf: URIRef
    recruitsIn: URIRef  # Trial -> Country, derived (site o country)
    country: URIRef
    city: URIRef
    state: URIRef
    postalCode: URIRef
    latitude: URIRef
    longitude: URIRef
    siteStatus: URIRef
    alpha2: URIRef
    alpha3: URIRef
    trialCountry: URIRef  # Trial -> TrialCountry: the trial in one (member) state
    atCountry: URIRef  # TrialCountry -> Country
    countryStatus: URIRef  # TrialCountry -> status concept (or the register's text)
    decisionDate: URIRef  # TrialCountry -> the authority's decision date

    # conditions, interventions
    condition: URIRef
    conditionOf: URIRef
    broaderCondition: URIRef
    meshAncestor: URIRef  # Trial -> Condition: ancestor of one of its MeSH conditions
    trialSite: URIRef  # Trial -> TrialSite: the trial's use of one site
    atSite: URIRef  # TrialSite -> Site
    conditionAncestor: URIRef  # Trial -> Condition: a MeSH ancestor the registry gives for the study
    interventionAncestor: URIRef  # Trial -> Intervention: the same for interventions
    intervention: URIRef
    interventionOf: URIRef
    broaderIntervention: URIRef
    interventionType: URIRef
    otherName: URIRef
    mesh: URIRef  # -> MeSH descriptor IRI
    searchKey: URIRef
    cellProduct: URIRef
    cellType: URIRef
    tissueSource: URIRef
    cellOrigin: URIRef
    route: URIRef
    keyword: URIRef
    conditionTerm: URIRef  # Condition or Trial -> ConditionTerm (MedDRA, therapeutic area...)
    termVocabulary: URIRef
    termCode: URIRef

    # design and status
    title: URIRef
    officialTitle: URIRef
    acronym: URIRef
    description: URIRef
    status: URIRef
    lastKnownStatus: URIRef
    whyStopped: URIRef
    phase: URIRef
    studyType: URIRef
    allocation: URIRef
    interventionModel: URIRef
    primaryPurpose: URIRef
    masking: URIRef
    enrollment: URIRef
    enrollmentType: URIRef
    startDate: URIRef
    startDateType: URIRef
    primaryCompletionDate: URIRef
    primaryCompletionDateType: URIRef
    completionDate: URIRef
    completionDateType: URIRef
    registrationDate: URIRef
    sex: URIRef
    minimumAge: URIRef
    maximumAge: URIRef
    healthyVolunteers: URIRef

    # arms, outcomes
    arm: URIRef
    armType: URIRef
    armIntervention: URIRef
    outcome: URIRef
    outcomeKind: URIRef
    timeFrame: URIRef

    # people, funding, references
    official: URIRef
    officialRole: URIRef
    affiliation: URIRef
    funding: URIRef
    fundedBy: URIRef
    programme: URIRef
    grantNumber: URIRef
    pmid: URIRef

    # provenance and identity
    sourceRecord: URIRef  # named graph -> what it describes
    sourceKind: URIRef
    sourceFile: URIRef
    recordId: URIRef
    recordVersion: URIRef
    evidence: URIRef
    evidenceKind: URIRef
    mergedIdentifier: URIRef
    quarantinedFrom: URIRef
    problem: URIRef

    # the summary graph (graph.summaries): one row per trial, sponsor, country and condition label
    summaryId: URIRef
    summaryTitle: URIRef
    summaryStatus: URIRef
    summaryPhase: URIRef
    summaryEnrollment: URIRef
    summarySponsor: URIRef
    summaryName: URIRef
    summaryCode: URIRef
    leadTrialCount: URIRef
    trialCount: URIRef
    siteCount: URIRef
    summaryCondition: URIRef
    summaryLabel: URIRef
    summaryTrialId: URIRef
    summaryAncestorOf: URIRef


# rdflib resolves each ``TG.name`` through the metaclass on every access (about 100 times the
# cost of a plain attribute), and record building reads these terms millions of times: the
# declared names become plain class attributes.  Undeclared names still fail as before.
for _name in TG.__annotations__:
    type.__setattr__(TG, _name, TG._NS[_name])

VOCAB = Namespace(VOCAB_NS)
ID = Namespace(ID_NS)
MESH = Namespace(MESH_NS)
SCHEMA = Namespace("https://schema.org/")
FHIR = Namespace("http://hl7.org/fhir/")

#: SKOS concept schemes: scheme name -> the ontology properties whose values it holds.
SCHEMES: dict[str, tuple[URIRef, ...]] = {
    "phase": (TG.phase,),
    "status": (TG.status, TG.lastKnownStatus, TG.siteStatus, TG.countryStatus),
    "study-type": (TG.studyType,),
    "allocation": (TG.allocation,),
    "intervention-model": (TG.interventionModel,),
    "primary-purpose": (TG.primaryPurpose,),
    "masking": (TG.masking,),
    "intervention-type": (TG.interventionType,),
    "role": (TG.role,),
    "agency-class": (TG.agencyClass,),
    "sex": (TG.sex,),
    "date-type": (TG.startDateType, TG.primaryCompletionDateType, TG.completionDateType),
    "official-role": (TG.officialRole,),
    "enrollment-type": (TG.enrollmentType,),
    "arm-type": (TG.armType,),
    "outcome-kind": (TG.outcomeKind,),
    "cell-origin": (TG.cellOrigin,),
}


@lru_cache(maxsize=4096)
def concept(scheme: str, value: str) -> URIRef:
    """IRI of a controlled value, e.g. ``concept("phase", "PHASE1")``."""
    return VOCAB[f"{scheme}/{value}"]


_PADDED_MESH = re.compile(r"^([DC])000(\d{6})$")
#: MeSH ids issued before the change to ten characters (2014) have six digits, and the numbers
#: ran on: descriptors numbered below 67000 and supplementary concept records (C...) below
#: 588000 were issued with six digits (the last six-digit SCR seen is C587014, the first
#: nine-digit one C000588642).  API v2 pads both to nine.
_FIRST_NINE_DIGIT_MESH = {"D": 67000, "C": 588000}


def mesh_nlm(descriptor: str) -> str:
    """The spelling NLM's MeSH RDF uses in its IRIs: six digits for descriptors and
    supplementary concept records issued with six (``D000003550`` -> ``D003550``,
    ``C000072379`` -> ``C072379``), nine for newer ones (``D000083242``, ``C000596361`` stay)."""
    m = _PADDED_MESH.match(descriptor)
    if m and int(m.group(2)) < _FIRST_NINE_DIGIT_MESH[m.group(1)]:
        return f"{m.group(1)}{m.group(2)}"
    return descriptor


def mesh(descriptor: str) -> URIRef:
    """NLM's IRI for a MeSH descriptor, whichever padding the source used."""
    return MESH[mesh_nlm(descriptor)]
