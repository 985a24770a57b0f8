"""Records to triples: one graph per source record, with PROV-O provenance.

The triples are made as Oxigraph terms (:func:`record_terms`), the form the store loads, the
reasoner reads and the N-Quads are written from: an rdflib literal costs a microsecond or more
to make, an Oxigraph one a twentieth of that.  :func:`record_triples` and :func:`record_graph`
give the same triples as rdflib terms.

Only asserted facts are written here.  Shortcut properties (``tg:leadSponsor``), inverses and the
transitive closures are the reasoner's job (:mod:`graph.reason`) and go to the inferred graph.
Entities get IRIs (:mod:`graph.resolve.identity`); no blank nodes are minted.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, SKOS
from rdflib.term import Node

import graph.resolve.identity as ids
from graph.keys import search_key
from graph.model import (
    Condition,
    ConditionTerm,
    CountryStatus,
    Identifier,
    Intervention,
    MeshTerm,
    Organization,
    PartialDate,
    Site,
    TrialRecord,
)
from graph.namespace import TG, concept, mesh
from graph.normalize.countries import country_info
from graph.normalize.vocab import ENUMS
from graph.store.terms import from_ox, to_ox

_DATE_TYPES = {"year": XSD.gYear, "month": XSD.gYearMonth, "day": XSD.date}

Triple = tuple[URIRef, URIRef, Node]
#: A triple of Oxigraph terms.
Terms = tuple[Any, Any, Any]

#: Role -> the qualified property that links a trial to a participation in that role.
ROLE_PROPERTY = {
    "LEAD_SPONSOR": TG.leadSponsorParticipation,
    "COLLABORATOR": TG.collaboratorParticipation,
    "FUNDER": TG.funderParticipation,
    "CONSORTIUM_PARTNER": TG.consortiumPartnerParticipation,
    "COORDINATOR": TG.coordinatorParticipation,
    "CLINICAL_CENTRE": TG.clinicalCentreParticipation,
    "CELL_THERAPY_UNIT": TG.cellTherapyUnitParticipation,
    "LABORATORY": TG.laboratoryParticipation,
    "CRO": TG.croParticipation,
}


#: IRI text -> Oxigraph IRI: predicates, classes and shared nodes recur in every record.
_IRIS: dict[str, Any] = {}
_IRIS_LIMIT = 200_000


def iri(node: str) -> Any:
    """An IRI (an rdflib ``URIRef`` or its text) as an Oxigraph term, remembered per process."""
    text = str.__str__(node)  # looked up as a plain str: rdflib's own hash runs in Python
    found = _IRIS.get(text)
    if found is None:
        if len(_IRIS) > _IRIS_LIMIT:
            _IRIS.clear()
        found = _IRIS[text] = ox.NamedNode(text)
    return found


@lru_cache(maxsize=65_536)
def _typed(value: object, _kind: type, datatype: URIRef | None) -> Any:
    return to_ox(Literal(value, datatype=datatype))


def typed(value: object, datatype: URIRef | None = None) -> Any:
    """The Oxigraph literal of rdflib's ``Literal(value, datatype=datatype)``, with rdflib's
    lexical form (``52.1`` for the float 52.1 as ``xsd:decimal``, ``true`` for ``True``)."""
    return _typed(value, type(value), datatype)


def date_literal(d: PartialDate) -> Any:
    return typed(d.value, _DATE_TYPES[d.precision])


def ox_term(node: Node) -> Any:
    """An rdflib term as an Oxigraph term."""
    return iri(node) if type(node) is URIRef else to_ox(node)


def _object(o: object) -> Any:
    """The object of a triple as an Oxigraph term: text as a plain literal, an rdflib term
    converted, any other Python value as rdflib's literal of it."""
    kind = type(o)
    if kind is str:
        return ox.Literal(o)  # type: ignore[arg-type]
    if kind is ox.Literal or kind is ox.NamedNode:
        return o
    if kind is URIRef:
        return iri(o)  # type: ignore[arg-type]
    if isinstance(o, URIRef | Literal):
        return to_ox(o)
    return typed(o)


class _Writer:
    """Accumulates the triples of one record, once each and in a stable order.  A plain dict,
    not an rdflib graph: indexing every triple in rdflib's memory store was most of the cost of
    an import, and nothing here needs to look a triple up."""

    def __init__(self, trial: URIRef) -> None:
        self.out: dict[Terms, None] = {}
        self.trial = trial

    def add(self, s: URIRef, p: URIRef, o: object) -> None:
        if o is None or o == "":
            return
        self.out[(iri(s), iri(p), _object(o))] = None

    def extend(self, triples: tuple[Terms, ...]) -> None:
        self.out.update(dict.fromkeys(triples))

    def coded(self, s: URIRef, p: URIRef, scheme: str, value: str | None) -> None:
        """A controlled value: its SKOS concept when known, else the text as a literal (the
        shapes flag it, nothing is lost)."""
        if not value:
            return
        self.add(s, p, concept(scheme, value) if value in ENUMS[scheme] else value)

    def date(self, p: URIRef, p_type: URIRef, d: PartialDate | None) -> None:
        if d is None:
            return
        self.add(self.trial, p, date_literal(d))
        self.coded(self.trial, p_type, "date-type", d.type)

    def label(self, s: URIRef, text: str) -> None:
        self.out[(iri(s), _LABEL, ox.Literal(text))] = None

    def key(self, s: URIRef, text: str | None) -> None:
        """The search key of a name or id (:mod:`graph.keys`): look-ups match it exactly."""
        if text:
            self.add(s, TG.searchKey, search_key(text))


def _country(w: _Writer, alpha2: str | None) -> URIRef | None:
    if not alpha2:
        return None
    node, triples = _country_triples(alpha2)
    w.extend(triples)
    return node


@lru_cache(maxsize=1024)
def _country_triples(alpha2: str) -> tuple[URIRef, tuple[Terms, ...]]:
    """A country node's triples: the same few for every site and trial in that country."""
    node = ids.country_iri(alpha2)
    info = country_info(alpha2)
    if info is None:  # kept so that the shapes can report it
        facts: tuple[tuple[URIRef, str], ...] = ((RDF.type, TG.Country), (TG.alpha2, alpha2))
    else:
        name, alpha3, _numeric = info
        facts = ((RDF.type, TG.Country), (RDFS.label, name), (TG.alpha2, alpha2.upper()), (TG.alpha3, alpha3))
    return node, tuple((iri(node), iri(p), _object(o)) for p, o in facts)


def _organization(w: _Writer, org: Organization) -> URIRef:
    node = ids.org_iri(org)
    w.add(node, RDF.type, TG.Organization)
    w.label(node, org.name)
    w.key(node, org.name)
    for alias in org.aliases:
        if alias != org.name:
            w.add(node, SKOS.altLabel, alias)
            w.key(node, alias)
    if org.ror:
        ror = org.ror if org.ror.startswith("http") else "https://ror.org/" + org.ror
        w.add(node, TG.ror, URIRef(ror))
    w.coded(node, TG.agencyClass, "agency-class", org.agency_class)
    w.add(node, TG.organizationType, org.org_type)
    w.add(node, TG.city, org.city)
    country = _country(w, org.country)
    if country is not None:
        w.add(node, TG.country, country)
    return node


def _site(w: _Writer, site: Site) -> URIRef:
    node = ids.site_iri(site)
    w.add(node, RDF.type, TG.Site)
    w.label(node, site.facility)
    w.key(node, site.facility)
    w.add(node, TG.city, site.city)
    w.add(node, TG.state, site.state)
    w.add(node, TG.postalCode, site.zip)
    if site.latitude is not None and site.longitude is not None:
        w.add(node, TG.latitude, typed(site.latitude, XSD.decimal))
        w.add(node, TG.longitude, typed(site.longitude, XSD.decimal))
    country = _country(w, site.country)
    if country is not None:
        w.add(node, TG.country, country)
    return node


def _mesh_node(w: _Writer, node: URIRef, cls: URIRef, term: MeshTerm) -> URIRef:
    """A MeSH descriptor as a condition or intervention node."""
    w.add(node, RDF.type, cls)
    w.label(node, term.label)
    w.key(node, term.label)
    w.add(node, TG.mesh, mesh(term.id))
    return node


def _mesh_condition(w: _Writer, term: MeshTerm) -> URIRef:
    return _mesh_node(w, ids.mesh_condition_iri(term.id), TG.Condition, term)


def _mesh_intervention(w: _Writer, term: MeshTerm) -> URIRef:
    return _mesh_node(w, ids.mesh_intervention_iri(term.id), TG.Intervention, term)


def _condition(w: _Writer, cond: Condition) -> URIRef:
    node = ids.condition_iri(cond)
    w.add(node, RDF.type, TG.Condition)
    w.label(node, cond.label)
    w.key(node, cond.label)
    if cond.mesh:
        w.add(node, TG.mesh, mesh(cond.mesh))
    for term in cond.broader:
        w.add(node, TG.broaderCondition, _mesh_condition(w, term))
    for coded in cond.terms:
        w.add(node, TG.conditionTerm, _condition_term(w, coded))
    return node


def _condition_term(w: _Writer, term: ConditionTerm) -> URIRef:
    """A MedDRA term, a therapeutic area, an ICD-10 category: a node per vocabulary and code."""
    node = ids.condition_term_iri(term)
    w.add(node, RDF.type, TG.ConditionTerm)
    w.label(node, term.label)
    w.add(node, TG.termVocabulary, term.vocabulary)
    w.add(node, TG.termCode, term.code)
    return node


def _country_status(w: _Writer, status: CountryStatus) -> URIRef | None:
    """The trial in one country: a node under the trial with the country, status and decision."""
    country = _country(w, status.country)
    if country is None:
        return None
    node = URIRef(f"{w.trial}/country/{status.country.upper()}")
    w.add(node, RDF.type, TG.TrialCountry)
    w.add(node, TG.atCountry, country)
    w.coded(node, TG.countryStatus, "status", status.status)
    if status.decision_date is not None:
        w.add(node, TG.decisionDate, date_literal(status.decision_date))
    return node


def _intervention(w: _Writer, item: Intervention) -> URIRef:
    node = ids.intervention_iri(item)
    w.add(node, RDF.type, TG.Intervention)
    w.label(node, item.name)
    w.key(node, item.name)
    w.coded(node, TG.interventionType, "intervention-type", item.type)
    for name in item.other_names:
        w.add(node, TG.otherName, name)
    if item.mesh:
        w.add(node, TG.mesh, mesh(item.mesh))
    for term in item.broader:
        w.add(node, TG.broaderIntervention, _mesh_intervention(w, term))
    cell = item.cell_product
    if cell is not None:
        key = " ".join(x for x in (cell.cell_type, cell.tissue_source, cell.origin) if x)
        product = URIRef(f"{node}/cell-product/{ids.text_key(key, 60)}")
        w.add(product, RDF.type, TG.CellProduct)
        w.label(product, key)
        w.add(product, TG.cellType, cell.cell_type)
        w.add(product, TG.tissueSource, cell.tissue_source)
        w.coded(product, TG.cellOrigin, "cell-origin", cell.origin)
        w.add(product, TG.route, cell.route)
        w.add(node, TG.cellProduct, product)
    return node


def record_graph(
    record: TrialRecord,
    preferred: Identifier | None = None,
    *,
    loaded_at: datetime | None = None,
) -> Graph:
    """:func:`record_terms` as an rdflib graph."""
    g = Graph()
    for triple in record_triples(record, preferred, loaded_at=loaded_at):
        g.add(triple)
    return g


def record_triples(
    record: TrialRecord,
    preferred: Identifier | None = None,
    *,
    loaded_at: datetime | None = None,
) -> list[Triple]:
    """:func:`record_terms` as rdflib terms."""
    return [
        (from_ox(s), from_ox(p), from_ox(o))  # type: ignore[misc]
        for s, p, o in record_terms(record, preferred, loaded_at=loaded_at)
    ]


def record_terms(
    record: TrialRecord,
    preferred: Identifier | None = None,
    *,
    loaded_at: datetime | None = None,
) -> list[Terms]:
    """All triples one record asserts, each once, as Oxigraph terms.  ``preferred`` is the id identity resolution
    chose for the trial (by default the record's own preferred id); the trial IRI is minted
    from it."""
    preferred = preferred or ids.preferred_identifier(record.identifiers)
    trial = ids.trial_iri(preferred)
    w = _Writer(trial)
    w.add(trial, RDF.type, TG.Trial)
    w.add(trial, DCTERMS.identifier, preferred.value)

    for ident in record.identifiers:
        node = ids.identifier_iri(ident)
        w.add(node, RDF.type, TG.RegistryIdentifier)
        w.add(node, TG.idValue, ident.value)
        w.key(node, ident.value)
        w.add(node, TG.registry, ids.registry_iri(ident.registry))
        w.add(node, TG.idType, ident.type)
        w.add(node, TG.idDomain, ident.domain)
        w.add(trial, TG.identifier, node)
        if ident.transitioned_to:
            w.add(node, TG.transitionedTo, ids.identifier_iri(Identifier("CTIS", ident.transitioned_to)))
        if ident.registry == "NCT":
            w.add(trial, TG.registryPage, URIRef(f"https://clinicaltrials.gov/study/{ident.value}"))

    w.add(trial, TG.title, record.title)
    if record.title:
        w.label(trial, record.title)
    w.add(trial, TG.officialTitle, record.official_title)
    w.add(trial, TG.acronym, record.acronym)
    w.coded(trial, TG.status, "status", record.status)
    w.coded(trial, TG.lastKnownStatus, "status", record.last_known_status)
    w.add(trial, TG.whyStopped, record.why_stopped)
    for phase in record.phases:
        w.coded(trial, TG.phase, "phase", phase)
    w.coded(trial, TG.studyType, "study-type", record.study_type)
    w.coded(trial, TG.allocation, "allocation", record.design.allocation)
    w.coded(trial, TG.interventionModel, "intervention-model", record.design.model)
    w.coded(trial, TG.primaryPurpose, "primary-purpose", record.design.purpose)
    w.coded(trial, TG.masking, "masking", record.design.masking)
    if record.enrollment is not None:
        w.add(trial, TG.enrollment, typed(record.enrollment, XSD.integer))
    w.coded(trial, TG.enrollmentType, "enrollment-type", record.enrollment_type)
    w.date(TG.startDate, TG.startDateType, record.start_date)
    w.date(TG.primaryCompletionDate, TG.primaryCompletionDateType, record.primary_completion_date)
    w.date(TG.completionDate, TG.completionDateType, record.completion_date)
    if record.registration_date:
        w.add(trial, TG.registrationDate, date_literal(record.registration_date))
    w.coded(trial, TG.sex, "sex", record.sex)
    w.add(trial, TG.minimumAge, record.minimum_age)
    w.add(trial, TG.maximumAge, record.maximum_age)
    if record.healthy_volunteers is not None:
        w.add(trial, TG.healthyVolunteers, typed(record.healthy_volunteers))
    if record.url and _is_http(record.url):
        w.add(trial, TG.registryPage, URIRef(record.url))

    for part in record.participations:
        org = _organization(w, part.organization)
        role_key = part.role if part.role in ROLE_PROPERTY else "COLLABORATOR"
        p = URIRef(f"{trial}/participation/{part.role.lower()}/{org.rsplit('/', 1)[-1]}")
        w.add(p, RDF.type, TG.Participation)
        w.add(p, TG.agent, org)
        w.coded(p, TG.role, "role", part.role)
        w.add(p, RDFS.comment, part.note)
        if part.commercial is not None:
            w.add(p, TG.commercial, typed(part.commercial))
        w.add(trial, ROLE_PROPERTY[role_key], p)

    if record.consortium is not None:
        c = ids.consortium_iri(record.consortium.name)
        w.add(c, RDF.type, TG.Consortium)
        w.label(c, record.consortium.name)
        if record.consortium.partner_count is not None:
            w.add(c, TG.partnerCount, typed(record.consortium.partner_count, XSD.integer))
        for role, count in record.consortium.role_counts:
            rc = URIRef(f"{c}/role-count/{role.lower()}")
            w.add(rc, RDF.type, TG.RoleCount)
            w.coded(rc, TG.role, "role", role)
            w.add(rc, TG.count, typed(count, XSD.integer))
            w.add(c, TG.roleCount, rc)
        w.add(trial, TG.consortium, c)

    for fund in record.funding:
        f = URIRef(f"{trial}/funding/{ids.text_key(' '.join(filter(None, [fund.funder, fund.programme, fund.grant])))}")
        w.add(f, RDF.type, TG.Funding)
        w.add(f, TG.fundedBy, _organization(w, Organization(fund.funder)))
        w.add(f, TG.programme, fund.programme)
        w.add(f, TG.grantNumber, fund.grant)
        w.add(trial, TG.funding, f)

    for person in record.officials:
        node = ids.person_iri(person.name)
        w.add(node, RDF.type, TG.Person)
        w.label(node, person.name)
        if person.affiliation:
            w.add(node, TG.affiliation, _organization(w, Organization(person.affiliation)))
        role = person.role or "OFFICIAL"
        off = URIRef(f"{trial}/official/{ids.slug(person.name)}")
        w.add(off, RDF.type, TG.Participation)
        w.add(off, TG.agent, node)
        if role in ENUMS["official-role"]:
            w.add(off, TG.officialRole, concept("official-role", role))
        else:
            w.add(off, TG.officialRole, role)
        w.add(trial, TG.official, off)

    for site in record.sites:
        node = _site(w, site)
        w.add(trial, TG.site, node)
        if site.status:
            # the site node is shared by every trial there; its status in this trial is not
            use = URIRef(f"{trial}/site/{node.rsplit('/site/', 1)[-1]}")
            w.add(use, RDF.type, TG.TrialSite)
            w.add(use, TG.atSite, node)
            w.coded(use, TG.siteStatus, "status", site.status)
            w.add(trial, TG.trialSite, use)
    for alpha2 in record.countries:
        country = _country(w, alpha2)
        if country is not None:
            w.add(trial, TG.recruitsIn, country)
    for state in record.country_statuses:
        w.add(trial, TG.trialCountry, _country_status(w, state))

    for cond in record.conditions:
        w.add(trial, TG.condition, _condition(w, cond))
    for term in record.condition_ancestors:
        w.add(trial, TG.conditionAncestor, _mesh_condition(w, term))
    for coded in record.condition_terms:
        w.add(trial, TG.conditionTerm, _condition_term(w, coded))
    for kw in record.keywords:
        w.add(trial, TG.keyword, kw)
    for item in record.interventions:
        w.add(trial, TG.intervention, _intervention(w, item))
    for term in record.intervention_ancestors:
        w.add(trial, TG.interventionAncestor, _mesh_intervention(w, term))
    for arm in record.arms:
        a = URIRef(f"{trial}/arm/{ids.slug(arm.label)}")
        w.add(a, RDF.type, TG.Arm)
        w.label(a, arm.label)
        w.coded(a, TG.armType, "arm-type", arm.type)
        w.add(a, TG.description, arm.description)
        for name in arm.interventions:
            w.add(a, TG.armIntervention, ids.intervention_iri(Intervention(name=_strip_type(name))))
        w.add(trial, TG.arm, a)
    for out in record.outcomes:
        o = URIRef(f"{trial}/outcome/{out.kind.lower()}-{ids.text_key(out.measure)}")
        w.add(o, RDF.type, TG.Outcome)
        w.label(o, out.measure)
        w.coded(o, TG.outcomeKind, "outcome-kind", out.kind)
        w.add(o, TG.timeFrame, out.time_frame)
        w.add(o, TG.description, out.description)
        w.add(trial, TG.outcome, o)
    for pmid in record.references:
        w.add(trial, TG.pmid, pmid)

    _provenance(w, record, loaded_at)
    return list(w.out)


def _provenance(w: _Writer, record: TrialRecord, loaded_at: datetime | None) -> None:
    gi = ids.record_graph(record.source, record.record_id)
    w.add(gi, RDF.type, TG.SourceRecord)
    w.add(gi, RDF.type, PROV.Entity)
    w.add(gi, TG.sourceRecord, w.trial)
    w.add(gi, TG.sourceKind, record.source)
    w.add(gi, TG.sourceFile, record.source_file)
    w.add(gi, TG.recordId, record.record_id)
    w.add(gi, TG.recordVersion, record.version)
    when = loaded_at or datetime.now(UTC).replace(microsecond=0)
    w.add(gi, PROV.generatedAtTime, typed(when.isoformat(), XSD.dateTime))


_LABEL = iri(RDFS.label)


def _strip_type(name: str) -> str:
    """API v2 arm groups name interventions as ``"Drug: Aspirin"``."""
    head, sep, tail = name.partition(": ")
    return tail if sep and head.replace(" ", "_").upper() in ENUMS["intervention-type"] else name


def _is_http(url: str) -> bool:
    return url.startswith(("http://", "https://")) and " " not in url
