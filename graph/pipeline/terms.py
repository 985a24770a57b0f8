"""The terms of a build's second pass: a worker's cache of Oxigraph terms converted to rdflib
(:func:`graph.store.terms.from_ox`, for the shapes) and to N-Triples text, the literals in the form
the store gives them back, and the terms of the reasoner's signatures as text, the form in which they cross from the
workers to the parent and back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyoxigraph as ox
from rdflib.term import Node

import graph.rdf as rdf
from graph.reason.closure import Triple
from graph.store.terms import from_ox

#: What a signature key stands for: (kind, predicate IRI or None, node as N-Triples text).
SignatureTerm = tuple[str, str | None, str]

TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
TRIAL = ox.NamedNode("https://w3id.org/trialgraph/ontology#Trial")
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def signature_texts(terms: Mapping[int, tuple[str, Any, Any]]) -> dict[int, SignatureTerm]:
    """The reasoner's signature terms (Oxigraph terms) as text, cheap to pickle."""
    return {k: (kind, None if p is None else p.value, str(node)) for k, (kind, p, node) in terms.items()}


def signature_term(term: SignatureTerm) -> tuple[str, Any, Any]:
    """A signature term back from its text (:func:`signature_texts`); its node is an IRI or a
    blank node."""
    kind, predicate, node = term
    value = ox.BlankNode(node[2:]) if node.startswith("_:") else ox.NamedNode(node[1:-1])
    return kind, None if predicate is None else ox.NamedNode(predicate), value


class TermCache:
    """A worker's Oxigraph terms as rdflib terms and as N-Triples text, and its typed literals
    in the form the store gives them back (IRIs, classes and shared nodes recur in every
    record); each cache starts again when it holds ``LIMIT`` terms."""

    LIMIT = 200_000

    def __init__(self) -> None:
        self._rdf: dict[Any, Node] = {}
        self._text: dict[Any, str] = {}
        self._stored: dict[Any, Any] = {}

    def node(self, term: Any) -> Node:
        found = self._rdf.get(term)
        if found is None:
            found = self._rdf[term] = from_ox(term)  # type: ignore[assignment]
        return found  # type: ignore[return-value]

    def text(self, term: Any) -> str:
        found = self._text.get(term)
        if found is None:
            found = self._text[term] = str(term)
        return found

    def as_stored(self, terms: list[Triple], read: frozenset[Any] | None) -> tuple[list[rdf.Triple], list[Triple]]:
        """A record's triples (Oxigraph terms) with their literals in the form the store gives
        them back (a valid number in its canonical form: ``"52.10"^^xsd:decimal`` comes back as
        ``52.1``): what ``trialgraph validate`` reads, so that a finding kept now reads as one
        found then.  As rdflib terms, only the triples of the predicates ``read`` (``None``: all),
        the others cannot change a finding (:attr:`graph.validate.fast.plan.Plan.read`); as
        Oxigraph terms, every triple, those others as they are."""
        stored = self._stored
        literal = ox.Literal
        fresh = {
            o
            for _s, p, o in terms
            if type(o) is literal and o not in stored and _typed(o) and (read is None or p in read)
        }
        if fresh:
            self._canonicalise(fresh)
        known = self._rdf.get
        term = self.node
        rdf_out: list[rdf.Triple] = []
        ox_out: list[Triple] = []
        for s, p, o in terms:
            if read is not None and p not in read:
                ox_out.append((s, p, o))
                continue
            rs = known(s) or term(s)
            rp = known(p) or term(p)
            found = stored.get(o) if type(o) is literal else None
            if found is None:
                ro = known(o)  # (no truth test: an rdflib literal's runs in Python)
                rdf_out.append((rs, rp, term(o) if ro is None else ro))  # type: ignore[arg-type]
                ox_out.append((s, p, o))
            else:
                rdf_out.append((rs, rp, found[1]))  # type: ignore[arg-type]
                ox_out.append((s, p, found[0]))
        return rdf_out, ox_out

    def _canonicalise(self, literals: set[Any]) -> None:
        scratch = ox.Store()
        p = ox.NamedNode("urn:x-trialgraph:value")
        order = list(literals)
        scratch.extend(
            ox.Quad(ox.NamedNode(f"urn:x-trialgraph:{i}"), p, lit, ox.DefaultGraph()) for i, lit in enumerate(order)
        )
        for q in scratch:
            self._stored[order[int(q.subject.value.rsplit(":", 1)[1])]] = (q.object, from_ox(q.object))

    def trim(self) -> None:
        """Forget the cached terms when there are too many (called between batches)."""
        for cache in (self._rdf, self._text, self._stored):
            if len(cache) > self.LIMIT:
                cache.clear()

    def lines(self, triples: list[Triple], graph: str) -> list[str]:
        known = self._text.get
        text = self.text
        end = f" {graph} .\n"
        return [f"{known(s) or text(s)} {known(p) or text(p)} {known(o) or text(o)}{end}" for s, p, o in triples]


def _typed(literal: Any) -> bool:
    """A literal the store may give back in another form (a number, a date: not a string)."""
    return literal.language is None and literal.datatype.value != _XSD_STRING
