"""The reference engine: owlrl's OWL-RL closure, filtered by the definition of an inferred
triple (:mod:`graph.reason`).  The fast engine is tested against it; it is slow (pure Python,
minutes for a few thousand triples)."""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import Graph, URIRef
from rdflib.term import Node

from graph.reason.closure import kept
from graph.store.terms import to_ox


def owlrl_inferred(data: Graph | Iterable[tuple[Node, Node, Node]], ontology: Graph) -> Graph:
    """owlrl's OWL-RL closure of ``data`` and the ontology, without what either asserts, filtered
    by :func:`graph.reason.closure.kept` (data-node subject, trialgraph predicate or class)."""
    import owlrl

    onto = ontology
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
        if t not in asserted and t not in onto and _kept(t):
            out.add(t)
    return out


def _kept(t: tuple[Node, Node, Node]) -> bool:
    """:func:`graph.reason.closure.kept` of an rdflib triple (only a triple about an IRI can be
    kept, so nothing else is converted)."""
    return isinstance(t[0], URIRef) and kept((to_ox(t[0]), to_ox(t[1]), to_ox(t[2])))
