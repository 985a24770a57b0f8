"""IRIs for real things, minted from registry ids and normalised names (never from counters or
hashes of whole records), so they are stable across runs and machines."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from rdflib import URIRef

from graph.constants import GRAPH_NS
from graph.model import Condition, ConditionTerm, Identifier, Intervention, Organization, Site
from graph.namespace import ID
from graph.normalize.orgnames import org_key
from graph.normalize.registry_ids import TRIAL_REGISTRIES
from graph.normalize.text import slug

_PRECEDENCE = {key: i for i, key in enumerate(TRIAL_REGISTRIES)}


def _safe(value: str) -> str:
    return quote(value.strip(), safe="-_.~")


def preferred_identifier(identifiers: list[Identifier]) -> Identifier:
    """The id a trial's IRI is minted from: the first registry in :data:`TRIAL_REGISTRIES`
    order (NCT, then EudraCT, CTIS, ISRCTN...)."""
    ranked = [i for i in identifiers if i.registry in _PRECEDENCE]
    if not ranked:
        if not identifiers:
            raise ValueError("a trial record needs at least one identifier")
        return identifiers[0]
    return min(ranked, key=lambda i: _PRECEDENCE[i.registry])


def trial_iri(identifier: Identifier) -> URIRef:
    return ID[f"trial/{_safe(identifier.value)}"]


def identifier_iri(identifier: Identifier) -> URIRef:
    return ID[f"identifier/{identifier.registry.lower()}/{_safe(identifier.value)}"]


def org_iri(org: Organization) -> URIRef:
    return ID[f"org/{slug(org_key(org.name))}"]


def site_iri(site: Site) -> URIRef:
    country = (site.country or "xx").lower()
    parts = [site.facility] + ([site.city] if site.city else []) + ([site.scope] if site.scope else [])
    return ID[f"site/{country}/{slug(' '.join(parts), 120)}"]


def condition_iri(condition: Condition) -> URIRef:
    """A condition by its MeSH descriptor when it has one, else by its label."""
    return mesh_condition_iri(condition.mesh) if condition.mesh else ID[f"condition/{slug(condition.label)}"]


def mesh_condition_iri(descriptor: str) -> URIRef:
    return ID[f"condition/mesh-{descriptor}"]


def condition_term_iri(term: ConditionTerm) -> URIRef:
    """A term of another vocabulary: by its code when it has one (MedDRA, therapeutic areas),
    else by its label."""
    return ID[f"term/{slug(term.vocabulary)}/{_safe(term.code) if term.code else slug(term.label)}"]


def intervention_iri(intervention: Intervention) -> URIRef:
    """An intervention by its MeSH descriptor when it has one, else by its name."""
    if intervention.mesh:
        return mesh_intervention_iri(intervention.mesh)
    return ID[f"intervention/{slug(intervention.name)}"]


def mesh_intervention_iri(descriptor: str) -> URIRef:
    return ID[f"intervention/mesh-{descriptor}"]


def country_iri(alpha2: str) -> URIRef:
    return ID[f"country/{alpha2.upper()}"]


def person_iri(name: str) -> URIRef:
    return ID[f"person/{slug(name)}"]


def consortium_iri(name: str) -> URIRef:
    return ID[f"consortium/{slug(name)}"]


def registry_iri(registry: str) -> URIRef:
    return ID[f"registry/{registry.lower()}"]


def text_key(text: str, limit: int = 40) -> str:
    """A readable key for a piece of free text, made unique by a short digest of the text
    itself (not of the record): the same outcome text gives the same key everywhere."""
    return f"{slug(text, limit)}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"


def record_graph(source: str, record_id: str) -> URIRef:
    """The named graph that holds one source record."""
    return URIRef(f"{GRAPH_NS}{source}/{_safe(record_id)}")
