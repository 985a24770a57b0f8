"""RDF terms between pyoxigraph (what both stores speak) and rdflib (what the stages use), and
a query answer as a :class:`graph.sparql.Result`: the one place the store converts terms."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, TypeAlias

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from graph.constants import XSD_STRING
from graph.sparql import Result


def to_ox(term: Node) -> Any:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None and str(term.datatype) != XSD_STRING:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    raise TypeError(f"cannot store {term!r}")


def from_ox(term: Any) -> Node | None:
    """Oxigraph term to rdflib.  A plain string comes back as a plain literal, never as an
    explicit ``xsd:string``: rdflib treats the two as different, which breaks ``sh:in`` and
    equality checks against shapes parsed by rdflib."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        dt = term.datatype.value
        if term.language:
            return Literal(term.value, lang=term.language)
        if dt == XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(dt))
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    raise TypeError(f"unsupported term {term!r}")


def triples_graph(triples: Iterable[Any], limit: int | None = None) -> tuple[Graph, bool]:
    """pyoxigraph triples or quads (their graph name left out) as an rdflib graph of at most
    ``limit`` triples, and whether triples were left out."""
    g = Graph()
    for i, t in enumerate(triples):
        if limit is not None and i >= limit:
            return g, True
        g.add((from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)))  # type: ignore[arg-type]
    return g, False


def turtle_graph(path: Path) -> Graph:
    """A Turtle file as an rdflib graph, parsed by Oxigraph (ten times faster than rdflib's
    parser); a file that does not parse raises ``SyntaxError``."""
    return triples_graph(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))[0]


#: A record's triples: an rdflib graph, or the plain triple list :func:`graph.rdf.record_triples` makes.
Triples: TypeAlias = Graph | Sequence[tuple[Node, Node, Node]]


def graph_quads(g: Triples, name: URIRef) -> list[Any]:
    gn = ox.NamedNode(str(name))
    return [ox.Quad(to_ox(s), to_ox(p), to_ox(o), gn) for s, p, o in g]


def convert_result(raw: Any, limit: int | None) -> Result:
    """A pyoxigraph answer (the embedded database's, or one parsed from an endpoint's) with
    rdflib terms, at most ``limit`` rows or triples."""
    if isinstance(raw, ox.QueryBoolean):
        return Result("ASK", [], [], boolean=bool(raw))
    if isinstance(raw, ox.QuerySolutions):
        variables = [v.value for v in raw.variables]
        rows: list[tuple[Node | None, ...]] = []
        truncated = False
        # each distinct term is converted once: rows repeat their conditions, sponsors, labels
        converted: dict[Any, Node | None] = {}
        for sol in raw:
            if limit is not None and len(rows) >= limit:
                truncated = True
                break
            row = []
            for v in variables:
                term = sol[v]
                if term not in converted:
                    converted[term] = from_ox(term)
                row.append(converted[term])
            rows.append(tuple(row))
        return Result("SELECT", variables, rows, truncated=truncated)
    g, truncated = triples_graph(raw, limit)
    return Result("CONSTRUCT", [], [], graph=g, truncated=truncated)
