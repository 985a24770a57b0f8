"""The reasoner's named graphs in an Oxigraph store: which graphs are premises, reading and
writing a graph, the derived triples of the shared inferred graph and its support graph, and the
state that says which ontology and engine the stored inferences were made with."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pyoxigraph as ox
from rdflib import Graph, URIRef

from graph.constants import INFERRED_GRAPH, ONTOLOGY_GRAPH, QUARANTINE_GRAPH
from graph.reason.closure import Triple, kept
from graph.reason.engine import Reasoner
from graph.store.layout import (
    LEDGER_GRAPH,
    RECORD_INFERRED_NS,
    RECORD_SUPPORT_NS,
    STATE_GRAPH,
    SUPPORT_GRAPH,
    is_inferred_graph,
    is_reasoner_graph,
    is_record_graph,
)
from graph.store.terms import Triples, from_ox, graph_quads

_STATE_NODE = STATE_GRAPH + "#closure"
_STATE_FINGERPRINT = STATE_GRAPH + "#fingerprint"
_STATE_ENGINE = STATE_GRAPH + "#engine"
#: Scratch graphs of a run live under this name; none is ever left behind (and the Python engine
#: needs none).
WORK_NS = INFERRED_GRAPH + "/work/"

NOT_PREMISES = frozenset(ox.NamedNode(g) for g in (QUARANTINE_GRAPH, LEDGER_GRAPH, STATE_GRAPH))
SHARED = ox.NamedNode(INFERRED_GRAPH)
SUPPORT = ox.NamedNode(SUPPORT_GRAPH)
ONTOLOGY = ox.NamedNode(ONTOLOGY_GRAPH)


def is_premise(graph: Any) -> bool:
    return type(graph) is ox.NamedNode and graph not in NOT_PREMISES


def is_record_premise(name: str) -> bool:
    """A graph reasoned about one by one: every premise graph but the ontology."""
    return name not in (ONTOLOGY_GRAPH, QUARANTINE_GRAPH, LEDGER_GRAPH) and not is_reasoner_graph(name)


def asserts(name: str) -> bool:
    """Whether the graph ``name`` asserts what it holds (a record's graph or the ontology's)."""
    return name == ONTOLOGY_GRAPH or is_record_graph(name)


# -- reading and writing graphs ---------------------------------------------------------------------


def clear(db: ox.Store, name: str) -> None:
    node = ox.NamedNode(name)
    if db.contains_named_graph(node):
        db.remove_graph(node)


def replace_graph(db: ox.Store, name: URIRef | str, g: Triples | None) -> None:
    clear(db, str(name))
    if g is not None and len(g):
        db.extend(graph_quads(g, URIRef(str(name))))


def write(db: ox.Store, name: str, triples: Iterable[Triple]) -> None:
    node = ox.NamedNode(name)
    db.extend(ox.Quad(s, p, o, node) for s, p, o in triples)


def graph_triples(db: ox.Store, name: str) -> list[Triple]:
    return [(q.subject, q.predicate, q.object) for q in db.quads_for_pattern(None, None, None, ox.NamedNode(name))]


def move(db: ox.Store, t: Triple, source: str, target: str) -> None:
    db.remove(ox.Quad(t[0], t[1], t[2], ox.NamedNode(source)))
    db.add(ox.Quad(t[0], t[1], t[2], ox.NamedNode(target)))


def hide(db: ox.Store, t: Triple, inferred: str) -> None:
    """``t``, which another graph asserts, from a record's inferred graph to its support graph."""
    move(db, t, inferred, RECORD_SUPPORT_NS + inferred[len(RECORD_INFERRED_NS) :])


def unhide(db: ox.Store, t: Triple, support: str) -> None:
    """``t``, which no graph asserts any more, from a record's support graph to its inferred graph."""
    move(db, t, support, RECORD_INFERRED_NS + support[len(RECORD_SUPPORT_NS) :])


def record_names(db: ox.Store) -> list[str]:
    """The graphs reasoned about one by one (:func:`is_record_premise`), sorted."""
    return sorted(g.value for g in db.named_graphs() if type(g) is ox.NamedNode and is_record_premise(g.value))


def graph_of(db: ox.Store, name: str) -> Graph:
    """One named graph of an Oxigraph store, as an rdflib graph."""
    out = Graph()
    for q in db.quads_for_pattern(None, None, None, ox.NamedNode(name)):
        out.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))  # type: ignore[arg-type]
    return out


def premises_graph(db: ox.Store) -> Graph:
    """Every premise triple (record graphs and the ontology graph) in one rdflib graph."""
    out = Graph()
    for name in db.named_graphs():
        if not isinstance(name, ox.NamedNode) or name in NOT_PREMISES or is_reasoner_graph(name.value):
            continue
        for q in db.quads_for_pattern(None, None, None, name):
            out.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))  # type: ignore[arg-type]
    return out


# -- derived triples ----------------------------------------------------------------------------------


def add_derived(db: ox.Store, t: Triple) -> None:
    """A triple derived in the store: to the shared inferred graph when the definition keeps it,
    else to its support graph."""
    db.add(ox.Quad(t[0], t[1], t[2], SHARED if kept(t) else SUPPORT))


def remove_derived(db: ox.Store, t: Triple) -> None:
    for g in (SHARED, SUPPORT):
        db.remove(ox.Quad(t[0], t[1], t[2], g))


def inferred_triples(db: ox.Store) -> Iterator[Any]:
    """The quads of every inferred graph (their union is the inferred triples)."""
    for g in db.named_graphs():
        if type(g) is ox.NamedNode and is_inferred_graph(g.value):
            yield from db.quads_for_pattern(None, None, None, g)


def count_inferred(db: ox.Store) -> int:
    """How many distinct triples the inferred graphs hold together (a triple two records
    entail is in both records' graphs)."""
    return len({q.triple for q in inferred_triples(db)})


# -- state -----------------------------------------------------------------------------------------


def _stored_fingerprint(db: ox.Store) -> str | None:
    for q in db.quads_for_pattern(
        ox.NamedNode(_STATE_NODE), ox.NamedNode(_STATE_FINGERPRINT), None, ox.NamedNode(STATE_GRAPH)
    ):
        if isinstance(q.object, ox.Literal):
            return q.object.value
    return None


def write_state(db: ox.Store, fingerprint: str | None, engine: str) -> None:
    clear(db, STATE_GRAPH)
    if fingerprint is None:
        return
    node = ox.NamedNode(STATE_GRAPH)
    db.extend(
        [
            ox.Quad(ox.NamedNode(_STATE_NODE), ox.NamedNode(_STATE_FINGERPRINT), ox.Literal(fingerprint), node),
            ox.Quad(ox.NamedNode(_STATE_NODE), ox.NamedNode(_STATE_ENGINE), ox.Literal(engine), node),
        ]
    )


def is_current(db: ox.Store, reasoner: Reasoner) -> bool:
    """Whether ``db`` holds inferences the fast engine made with this ontology (so that a
    change of records can be maintained incrementally)."""
    return db.contains_named_graph(ONTOLOGY) and _stored_fingerprint(db) == reasoner.fingerprint
