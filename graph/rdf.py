"""Records to triples: one graph per source record, with PROV-O provenance.

The triples are made as Oxigraph terms (:func:`record_terms`), the form the store loads, the
reasoner reads and the N-Quads are written from: an rdflib literal costs a microsecond or more
to make, an Oxigraph one under a tenth of that.  :func:`record_triples` and :func:`record_graph`
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


class _OxTerms:
    """A namespace's terms as Oxigraph IRIs, each made on first use (``T.title``)."""

    def __init__(self, namespace: Any) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> Any:
        term = ox.NamedNode(str(getattr(self._namespace, name)))
        setattr(self, name, term)
        return term


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
def _typed(value: Any, _kind: str, datatype: URIRef | None) -> Any:
    return to_ox(Literal(value, datatype=datatype))


def typed(value: Any, datatype: URIRef | None = None) -> Any:
    """The Oxigraph literal of rdflib's ``Literal(value, datatype=datatype)``, with rdflib's
    lexical form (``52.1`` for the float 52.1 as ``xsd:decimal``, ``true`` for ``True``)."""
    return _typed(value, type(value).__name__, datatype)


def date_literal(d: PartialDate) -> Any:
    return typed(d.value, _DATE_TYPES[d.precision])


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
        self._subject: tuple[URIRef | None, Any] = (None, None)

    def node(self, s: URIRef) -> Any:
        """``s`` as an Oxigraph IRI (a node's triples come one after another: the last one is
        kept at hand)."""
        last, term = self._subject
        if s is not last:
            term = iri(s)
            self._subject = (s, term)
        return term

    def add(self, s: URIRef, p: Any, o: object) -> None:
        """``(s p o)``; ``p`` an Oxigraph IRI (:data:`T`), ``o`` any value (see :func:`_object`);
        nothing for a missing or empty value."""
        if o is None or o == "":
            return
        self.out[(self.node(s), p, _object(o))] = None

    def extend(self, triples: tuple[Terms, ...]) -> None:
        self.out.update(dict.fromkeys(triples))

    def coded(self, s: URIRef, p: Any, scheme: str, value: str | None) -> None:
        """A controlled value: its SKOS concept when known, else the text as a literal (the
        shapes flag it, nothing is lost)."""
        if not value:
            return
        self.add(s, p, concept(scheme, value) if value in ENUMS[scheme] else value)

    def date(self, p: Any, p_type: Any, d: PartialDate | None) -> None:
        if d is None:
            return
        self.add(self.trial, p, date_literal(d))
        self.coded(self.trial, p_type, "date-type", d.type)

    def label(self, s: URIRef, text: str) -> None:
        self.out[(self.node(s), LABEL, ox.Literal(text))] = None

    def key(self, s: URIRef, text: str | None) -> None:
        """The search key of a name or id (:mod:`graph.keys`): look-ups match it exactly."""
        if text:
            self.add(s, T.searchKey, search_key(text))


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
        facts: tuple[tuple[Any, Any], ...] = ((RDF_TYPE, T.Country), (T.alpha2, alpha2))
    else:
        name, alpha3, _numeric = info
        facts = ((RDF_TYPE, T.Country), (LABEL, name), (T.alpha2, alpha2.upper()), (T.alpha3, alpha3))
    return node, tuple((iri(node), p, _object(o)) for p, o in facts)


def _organization(w: _Writer, org: Organization) -> URIRef:
    node = ids.org_iri(org)
    w.add(node, RDF_TYPE, T.Organization)
    w.label(node, org.name)
    w.key(node, org.name)
    for alias in org.aliases:
        if alias != org.name:
            w.add(node, ALT_LABEL, alias)
            w.key(node, alias)
    if org.ror:
        ror = org.ror if org.ror.startswith("http") else "https://ror.org/" + org.ror
        w.add(node, T.ror, URIRef(ror))
    w.coded(node, T.agencyClass, "agency-class", org.agency_class)
    w.add(node, T.organizationType, org.org_type)
    w.add(node, T.city, org.city)
    country = _country(w, org.country)
    if country is not None:
        w.add(node, T.country, country)
    return node


def _site(w: _Writer, site: Site) -> URIRef:
    node = ids.site_iri(site)
    w.add(node, RDF_TYPE, T.Site)
    w.label(node, site.facility)
    w.key(node, site.facility)
    w.add(node, T.city, site.city)
    w.add(node, T.state, site.state)
    w.add(node, T.postalCode, site.zip)
    if site.latitude is not None and site.longitude is not None:
        w.add(node, T.latitude, typed(site.latitude, XSD.decimal))
        w.add(node, T.longitude, typed(site.longitude, XSD.decimal))
    country = _country(w, site.country)
    if country is not None:
        w.add(node, T.country, country)
    return node


def _mesh_node(w: _Writer, node: URIRef, cls: Any, term: MeshTerm) -> URIRef:
    """A MeSH descriptor as a condition or intervention node."""
    w.add(node, RDF_TYPE, cls)
    w.label(node, term.label)
    w.key(node, term.label)
    w.add(node, T.mesh, mesh(term.id))
    return node


def _mesh_condition(w: _Writer, term: MeshTerm) -> URIRef:
    return _mesh_node(w, ids.mesh_condition_iri(term.id), T.Condition, term)


def _mesh_intervention(w: _Writer, term: MeshTerm) -> URIRef:
    return _mesh_node(w, ids.mesh_intervention_iri(term.id), T.Intervention, term)


def _condition(w: _Writer, cond: Condition) -> URIRef:
    node = ids.condition_iri(cond)
    w.add(node, RDF_TYPE, T.Condition)
    w.label(node, cond.label)
    w.key(node, cond.label)
    if cond.mesh:
        w.add(node, T.mesh, mesh(cond.mesh))
    for term in cond.broader:
        w.add(node, T.broaderCondition, _mesh_condition(w, term))
    for coded in cond.terms:
        w.add(node, T.conditionTerm, _condition_term(w, coded))
    return node


def _condition_term(w: _Writer, term: ConditionTerm) -> URIRef:
    """A MedDRA term, a therapeutic area, an ICD-10 category: a node per vocabulary and code."""
    node = ids.condition_term_iri(term)
    w.add(node, RDF_TYPE, T.ConditionTerm)
    w.label(node, term.label)
    w.add(node, T.termVocabulary, term.vocabulary)
    w.add(node, T.termCode, term.code)
    return node


def _country_status(w: _Writer, status: CountryStatus) -> URIRef | None:
    """The trial in one country: a node under the trial with the country, status and decision."""
    country = _country(w, status.country)
    if country is None:
        return None
    node = URIRef(f"{w.trial}/country/{status.country.upper()}")
    w.add(node, RDF_TYPE, T.TrialCountry)
    w.add(node, T.atCountry, country)
    w.coded(node, T.countryStatus, "status", status.status)
    if status.decision_date is not None:
        w.add(node, T.decisionDate, date_literal(status.decision_date))
    return node


def _intervention(w: _Writer, item: Intervention) -> URIRef:
    node = ids.intervention_iri(item)
    w.add(node, RDF_TYPE, T.Intervention)
    w.label(node, item.name)
    w.key(node, item.name)
    w.coded(node, T.interventionType, "intervention-type", item.type)
    for name in item.other_names:
        w.add(node, T.otherName, name)
    if item.mesh:
        w.add(node, T.mesh, mesh(item.mesh))
    for term in item.broader:
        w.add(node, T.broaderIntervention, _mesh_intervention(w, term))
    cell = item.cell_product
    if cell is not None:
        key = " ".join(x for x in (cell.cell_type, cell.tissue_source, cell.origin) if x)
        product = URIRef(f"{node}/cell-product/{ids.text_key(key, 60)}")
        w.add(product, RDF_TYPE, T.CellProduct)
        w.label(product, key)
        w.add(product, T.cellType, cell.cell_type)
        w.add(product, T.tissueSource, cell.tissue_source)
        w.coded(product, T.cellOrigin, "cell-origin", cell.origin)
        w.add(product, T.route, cell.route)
        w.add(node, T.cellProduct, product)
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
    w.add(trial, RDF_TYPE, T.Trial)
    w.add(trial, IDENTIFIER, preferred.value)

    for ident in record.identifiers:
        node = ids.identifier_iri(ident)
        w.add(node, RDF_TYPE, T.RegistryIdentifier)
        w.add(node, T.idValue, ident.value)
        w.key(node, ident.value)
        w.add(node, T.registry, ids.registry_iri(ident.registry))
        w.add(node, T.idType, ident.type)
        w.add(node, T.idDomain, ident.domain)
        w.add(trial, T.identifier, node)
        if ident.transitioned_to:
            w.add(node, T.transitionedTo, ids.identifier_iri(Identifier("CTIS", ident.transitioned_to)))
        if ident.registry == "NCT":
            w.add(trial, T.registryPage, URIRef(f"https://clinicaltrials.gov/study/{ident.value}"))

    w.add(trial, T.title, record.title)
    if record.title:
        w.label(trial, record.title)
    w.add(trial, T.officialTitle, record.official_title)
    w.add(trial, T.acronym, record.acronym)
    w.coded(trial, T.status, "status", record.status)
    w.coded(trial, T.lastKnownStatus, "status", record.last_known_status)
    w.add(trial, T.whyStopped, record.why_stopped)
    for phase in record.phases:
        w.coded(trial, T.phase, "phase", phase)
    w.coded(trial, T.studyType, "study-type", record.study_type)
    w.coded(trial, T.allocation, "allocation", record.design.allocation)
    w.coded(trial, T.interventionModel, "intervention-model", record.design.model)
    w.coded(trial, T.primaryPurpose, "primary-purpose", record.design.purpose)
    w.coded(trial, T.masking, "masking", record.design.masking)
    if record.enrollment is not None:
        w.add(trial, T.enrollment, typed(record.enrollment, XSD.integer))
    w.coded(trial, T.enrollmentType, "enrollment-type", record.enrollment_type)
    w.date(T.startDate, T.startDateType, record.start_date)
    w.date(T.primaryCompletionDate, T.primaryCompletionDateType, record.primary_completion_date)
    w.date(T.completionDate, T.completionDateType, record.completion_date)
    if record.registration_date:
        w.add(trial, T.registrationDate, date_literal(record.registration_date))
    w.coded(trial, T.sex, "sex", record.sex)
    w.add(trial, T.minimumAge, record.minimum_age)
    w.add(trial, T.maximumAge, record.maximum_age)
    if record.healthy_volunteers is not None:
        w.add(trial, T.healthyVolunteers, typed(record.healthy_volunteers))
    if record.url and _is_http(record.url):
        w.add(trial, T.registryPage, URIRef(record.url))

    for part in record.participations:
        org = _organization(w, part.organization)
        role_key = part.role if part.role in ROLE_PROPERTY else "COLLABORATOR"
        p = URIRef(f"{trial}/participation/{part.role.lower()}/{org.rsplit('/', 1)[-1]}")
        w.add(p, RDF_TYPE, T.Participation)
        w.add(p, T.agent, org)
        w.coded(p, T.role, "role", part.role)
        w.add(p, COMMENT, part.note)
        if part.commercial is not None:
            w.add(p, T.commercial, typed(part.commercial))
        w.add(trial, iri(ROLE_PROPERTY[role_key]), p)

    if record.consortium is not None:
        c = ids.consortium_iri(record.consortium.name)
        w.add(c, RDF_TYPE, T.Consortium)
        w.label(c, record.consortium.name)
        if record.consortium.partner_count is not None:
            w.add(c, T.partnerCount, typed(record.consortium.partner_count, XSD.integer))
        for role, count in record.consortium.role_counts:
            rc = URIRef(f"{c}/role-count/{role.lower()}")
            w.add(rc, RDF_TYPE, T.RoleCount)
            w.coded(rc, T.role, "role", role)
            w.add(rc, T.count, typed(count, XSD.integer))
            w.add(c, T.roleCount, rc)
        w.add(trial, T.consortium, c)

    for fund in record.funding:
        f = URIRef(f"{trial}/funding/{ids.text_key(' '.join(filter(None, [fund.funder, fund.programme, fund.grant])))}")
        w.add(f, RDF_TYPE, T.Funding)
        w.add(f, T.fundedBy, _organization(w, Organization(fund.funder)))
        w.add(f, T.programme, fund.programme)
        w.add(f, T.grantNumber, fund.grant)
        w.add(trial, T.funding, f)

    for person in record.officials:
        node = ids.person_iri(person.name)
        w.add(node, RDF_TYPE, T.Person)
        w.label(node, person.name)
        if person.affiliation:
            w.add(node, T.affiliation, _organization(w, Organization(person.affiliation)))
        role = person.role or "OFFICIAL"
        off = URIRef(f"{trial}/official/{ids.slug(person.name)}")
        w.add(off, RDF_TYPE, T.Participation)
        w.add(off, T.agent, node)
        if role in ENUMS["official-role"]:
            w.add(off, T.officialRole, concept("official-role", role))
        else:
            w.add(off, T.officialRole, role)
        w.add(trial, T.official, off)

    for site in record.sites:
        node = _site(w, site)
        w.add(trial, T.site, node)
        if site.status:
            # the site node is shared by every trial there; its status in this trial is not
            use = URIRef(f"{trial}/site/{node.rsplit('/site/', 1)[-1]}")
            w.add(use, RDF_TYPE, T.TrialSite)
            w.add(use, T.atSite, node)
            w.coded(use, T.siteStatus, "status", site.status)
            w.add(trial, T.trialSite, use)
    for alpha2 in record.countries:
        country = _country(w, alpha2)
        if country is not None:
            w.add(trial, T.recruitsIn, country)
    for state in record.country_statuses:
        w.add(trial, T.trialCountry, _country_status(w, state))

    for cond in record.conditions:
        w.add(trial, T.condition, _condition(w, cond))
    for term in record.condition_ancestors:
        w.add(trial, T.conditionAncestor, _mesh_condition(w, term))
    for coded in record.condition_terms:
        w.add(trial, T.conditionTerm, _condition_term(w, coded))
    for kw in record.keywords:
        w.add(trial, T.keyword, kw)
    for item in record.interventions:
        w.add(trial, T.intervention, _intervention(w, item))
    for term in record.intervention_ancestors:
        w.add(trial, T.interventionAncestor, _mesh_intervention(w, term))
    for arm in record.arms:
        a = URIRef(f"{trial}/arm/{ids.slug(arm.label)}")
        w.add(a, RDF_TYPE, T.Arm)
        w.label(a, arm.label)
        w.coded(a, T.armType, "arm-type", arm.type)
        w.add(a, T.description, arm.description)
        for name in arm.interventions:
            w.add(a, T.armIntervention, ids.intervention_iri(Intervention(name=_strip_type(name))))
        w.add(trial, T.arm, a)
    for out in record.outcomes:
        o = URIRef(f"{trial}/outcome/{out.kind.lower()}-{ids.text_key(out.measure)}")
        w.add(o, RDF_TYPE, T.Outcome)
        w.label(o, out.measure)
        w.coded(o, T.outcomeKind, "outcome-kind", out.kind)
        w.add(o, T.timeFrame, out.time_frame)
        w.add(o, T.description, out.description)
        w.add(trial, T.outcome, o)
    for pmid in record.references:
        w.add(trial, T.pmid, pmid)

    _provenance(w, record, loaded_at)
    return list(w.out)


def _provenance(w: _Writer, record: TrialRecord, loaded_at: datetime | None) -> None:
    gi = ids.record_graph(record.source, record.record_id)
    w.add(gi, RDF_TYPE, T.SourceRecord)
    w.add(gi, RDF_TYPE, PROV_ENTITY)
    w.add(gi, T.sourceRecord, w.trial)
    w.add(gi, T.sourceKind, record.source)
    w.add(gi, T.sourceFile, record.source_file)
    w.add(gi, T.recordId, record.record_id)
    w.add(gi, T.recordVersion, record.version)
    when = loaded_at or datetime.now(UTC).replace(microsecond=0)
    w.add(gi, GENERATED_AT, typed(when.isoformat(), XSD.dateTime))


#: The predicates and classes the writer uses, as Oxigraph IRIs.
T = _OxTerms(TG)
RDF_TYPE, LABEL, COMMENT, ALT_LABEL = (iri(t) for t in (RDF.type, RDFS.label, RDFS.comment, SKOS.altLabel))
IDENTIFIER, PROV_ENTITY, GENERATED_AT = (iri(t) for t in (DCTERMS.identifier, PROV.Entity, PROV.generatedAtTime))


def _strip_type(name: str) -> str:
    """API v2 arm groups name interventions as ``"Drug: Aspirin"``."""
    head, sep, tail = name.partition(": ")
    return tail if sep and head.replace(" ", "_").upper() in ENUMS["intervention-type"] else name


def _is_http(url: str) -> bool:
    return url.startswith(("http://", "https://")) and " " not in url
