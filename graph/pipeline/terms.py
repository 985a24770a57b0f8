"""The terms of a build's second pass: a worker's cache of rdflib terms converted to Oxigraph
(:func:`graph.store.terms.to_ox`) and to N-Triples text, the literals in the form the store gives them
back, and the terms of the reasoner's signatures as text, the form in which they cross from the
workers to the parent and back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pyoxigraph as ox
from rdflib import Literal, URIRef

import graph.rdf as rdf
from graph.reason.closure import Triple
from graph.store.terms import from_ox, to_ox

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
    """A worker's converted terms (IRIs, classes and shared nodes recur in every record); it
    starts again when a cache holds ``LIMIT`` terms."""

    LIMIT = 200_000

    def __init__(self) -> None:
        self._iri: dict[str, Any] = {}
        self._ox: dict[Any, Any] = {}
        self._text: dict[Any, str] = {}
        self._stored: dict[Any, Any] = {}

    def ox(self, term: Any) -> Any:
        if type(term) is URIRef:  # most terms: looked up by their text (rdflib's hash and
            key = str.__str__(term)  # equality run in Python, a str's in C)
            found = self._iri.get(key)
            if found is None:
                found = self._iri[key] = ox.NamedNode(key)
            return found
        found = self._ox.get(term)
        if found is None:
            found = self._ox[term] = to_ox(term)
        return found

    def text(self, term: Any) -> str:
        found = self._text.get(term)
        if found is None:
            found = self._text[term] = str(term)
        return found

    def as_stored(self, triples: list[rdf.Triple], terms: list[Triple]) -> tuple[list[rdf.Triple], list[Triple]]:
        """A record's triples (rdflib, and the same as Oxigraph terms) with their literals in
        the form the store gives them back (a valid number in its canonical form:
        ``"52.10"^^xsd:decimal`` comes back as ``52.1``): what ``trialgraph validate`` reads, so
        that a finding kept now reads as one found then."""
        stored = self._stored
        fresh = {o for _s, _p, o in terms if type(o) is ox.Literal and o not in stored and _typed(o)}
        if fresh:
            self._canonicalise(fresh)
        rdf_out = []
        ox_out = []
        for (s, p, o), (xs, xp, xo) in zip(triples, terms, strict=True):
            found = stored.get(xo) if type(xo) is ox.Literal else None
            if found is None:
                if type(o) is Literal and o.datatype is not None:  # "x"^^xsd:string comes back as "x"
                    o = Literal(str(o))
                rdf_out.append((s, p, o))
                ox_out.append((xs, xp, xo))
            else:
                rdf_out.append((s, p, found[1]))
                ox_out.append((xs, xp, found[0]))
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
        for cache in (self._iri, self._ox, self._text, self._stored):
            if len(cache) > self.LIMIT:
                cache.clear()

    def convert(self, triples: list[rdf.Triple]) -> list[Triple]:
        conv = self.ox
        return [(conv(s), conv(p), conv(o)) for s, p, o in triples]

    def lines(self, triples: list[Triple], graph: str) -> list[str]:
        text = self.text
        return [f"{text(s)} {text(p)} {text(o)} {graph} .\n" for s, p, o in triples]


def _typed(literal: Any) -> bool:
    """A literal the store may give back in another form (a number, a date: not a string)."""
    return literal.language is None and literal.datatype.value != _XSD_STRING
