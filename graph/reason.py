"""Reasoning: the OWL 2 RL closure of the ontology plus the data, kept in its own named graph.

What counts as inferred (the definition the engines are compared on): every triple owlrl's
OWL-RL semantics derives from ``ontology/`` plus the asserted data that

- is not asserted already,
- has a subject that is a data node (not a term of the ontology or a vocabulary), and
- has a trialgraph ontology property as predicate, or is ``rdf:type`` with a trialgraph class.

Everything else owlrl derives (``owl:sameAs`` reflexivity, axiomatic RDF/RDFS/OWL triples,
literal typing, ``owl:Thing`` memberships, schema-level consequences) is noise for users and is
left out.
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import RDF, Graph, URIRef
from rdflib.term import Node

from graph.constants import ONTOLOGY_DIR, ONTOLOGY_NS, VOCAB_NS


def ontology_graph() -> Graph:
    """``ontology/*.ttl`` in one graph (local files only; nothing is imported over HTTP)."""
    g = Graph()
    for path in sorted(ONTOLOGY_DIR.glob("*.ttl")):
        g.parse(path, format="turtle")
    return g


def keep(triple: tuple[Node, Node, Node]) -> bool:
    s, p, o = triple
    if not isinstance(s, URIRef) or str(s).startswith((ONTOLOGY_NS, VOCAB_NS)):
        return False
    if p == RDF.type:
        return isinstance(o, URIRef) and str(o).startswith(ONTOLOGY_NS)
    return str(p).startswith(ONTOLOGY_NS)


def owlrl_inferred(data: Graph | Iterable[tuple[Node, Node, Node]], ontology: Graph | None = None) -> Graph:
    """The reference engine: owlrl's OWL-RL closure, filtered by :func:`keep`."""
    import owlrl

    onto = ontology if ontology is not None else ontology_graph()
    work = Graph()
    for t in onto:
        work.add(t)
    asserted = Graph()
    for t in data:
        asserted.add(t)
        work.add(t)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics, axiomatic_triples=False, datatype_axioms=False).expand(work)
    out = Graph()
    for t in work:
        if t not in asserted and t not in onto and keep(t):
            out.add(t)
    return out
