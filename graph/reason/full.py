"""Every inference of a store from scratch: each record reasoned about on its own, what the
ontology entails alone, and the cross-record pass that works out in the store what only records
taken together entail, at the places (:class:`Places`) where their signatures disagree.  The
reference engine's full run is here too, and what a run did (:class:`InferenceStats`)."""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import pyoxigraph as ox
from rdflib import Graph

from graph.constants import INFERRED_GRAPH, ONTOLOGY_GRAPH
from graph.digest import Fold
from graph.progress import Callback, no_progress
from graph.reason.closure import Chain, Triple
from graph.reason.engine import ENGINE_VERSION, Engine, Reasoner, check_engine, ontology_graph, reasoner_for
from graph.reason.facts import Facts, saturate
from graph.reason.graphs import (
    add_derived,
    asserts,
    count_inferred,
    graph_triples,
    hide,
    premises_graph,
    record_names,
    replace_graph,
    write,
    write_state,
)
from graph.reason.reference import owlrl_inferred
from graph.store.layout import (
    RECORD_INFERRED_NS,
    inferred_graph_of,
    is_reasoner_graph,
    support_graph_of,
)


@dataclass
class InferenceStats:
    """What one reasoning run of a store did.  Counts are triples of the inferred graphs."""

    engine: str
    mode: str  # "full", "incremental" or "unchanged"
    seconds: float = 0.0
    rounds: int = 0
    #: incremental runs: derived triples taken out because a premise of theirs went, and those of
    #: them (with the retracted premises) put back because they still follow some other way
    overdeleted: int = 0
    rederived: int = 0
    #: full runs: size of the inferred graphs afterwards
    inferred: int | None = None
    #: places where records had to be reasoned about together, and what that added
    joins: int = 0
    cross_record: int = 0


@dataclass
class Places:
    """Where records must be reasoned about together: chain joins through a node that records
    describe differently, and nodes whose derivable triples records assert differently."""

    joins: set[tuple[Any, Any]] = field(default_factory=set)
    described: set[Any] = field(default_factory=set)

    def add(self, term: tuple[str, Any, Any]) -> None:
        kind, predicate, node = term
        if kind == "join":
            self.joins.add((predicate, node))
        else:
            self.described.add(node)


def cross_record(db: ox.Store, reasoner: Reasoner, places: Places) -> tuple[int, int, int]:
    """Given every record's own inferred graph in ``db``: move to the support graphs what
    another record asserts, and work out in the store what the chains through the ``places``
    give beyond what single records give.  Returns (triples moved, triples added, rounds)."""
    moved = 0
    for node in places.described:
        moved += _unmask(db, node)
    rules = reasoner.rules
    facts = Facts(db)
    seed: list[Triple] = []
    for q, y in places.joins:
        for chain, i in rules.positions.get(q, ()):
            if i == 0:
                continue
            for x in _walk_left(facts, chain, i - 1, y):
                for z in _walk_right(facts, chain, i, y):
                    t = (x, chain.head, z)
                    if not facts.holds(t):
                        add_derived(db, t)
                        seed.append(t)
    added, rounds = saturate(db, rules, seed)
    return moved, len(seed) + added, rounds


def _walk_left(facts: Facts, chain: Chain, j: int, y: Any) -> set[Any]:
    """Subjects ``x`` of a path ``x steps[0] ... steps[j] y``."""
    nodes = {y}
    for k in range(j, -1, -1):
        nodes = {x for n in nodes for x in facts.subjects(chain.steps[k], n)}
    return nodes


def _walk_right(facts: Facts, chain: Chain, j: int, y: Any) -> set[Any]:
    """Objects ``z`` of a path ``y steps[j] ... steps[-1] z``."""
    nodes = {y}
    for k in range(j, len(chain.steps)):
        nodes = {z for n in nodes for z in facts.objects(n, chain.steps[k])}
    return nodes


def _unmask(db: ox.Store, node: Any) -> int:
    """Triples about ``node`` that a record derives but another graph asserts: moved from the
    record's inferred graph to its support graph.  Returns how many."""
    where: dict[Triple, list[Any]] = defaultdict(list)
    for q in db.quads_for_pattern(node, None, None, None):
        where[(q.subject, q.predicate, q.object)].append(q.graph_name)
    moved = 0
    for t, graphs in where.items():
        names = [g.value for g in graphs if type(g) is ox.NamedNode]
        if not any(asserts(n) for n in names):
            continue
        for n in names:
            if n.startswith(RECORD_INFERRED_NS):
                hide(db, t, n)
                moved += 1
    return moved


def recompute(
    db: ox.Store,
    *,
    engine: Engine = "fast",
    ontology: Graph | None = None,
    progress: Callback = no_progress,
) -> InferenceStats:
    """Make every inferred graph from scratch from the premises in ``db`` (writes the ontology
    graph too).  ``db`` is usually the staging database of a
    write (:meth:`~graph.store.base.Writer.staging`)."""
    started = time.perf_counter()
    check_engine(engine)
    reasoner = reasoner_for(ontology) if engine == "fast" else None  # refuses before anything is written
    onto = reasoner.ontology if reasoner is not None else (ontology if ontology is not None else ontology_graph())
    replace_graph(db, ONTOLOGY_GRAPH, onto)
    for g in list(db.named_graphs()):
        if type(g) is ox.NamedNode and is_reasoner_graph(g.value):
            db.remove_graph(g)
    db.clear_graph(ox.DefaultGraph())
    if reasoner is None:
        return _recompute_owlrl(db, onto, started)
    fold: Fold[int] = Fold()
    places = Places()
    names = record_names(db)
    for i, name in enumerate(names):
        found = reasoner.record(name, graph_triples(db, name))
        write(db, inferred_graph_of(name), found.inferred)
        write(db, support_graph_of(name), found.hidden)
        for key, _before, _now in fold.add(found.signatures, i):
            places.add(found.terms[key])
        progress("reasoning: records", i + 1, len(names))
    stats = finish_full(db, reasoner, places)
    stats.inferred = count_inferred(db)
    stats.seconds = time.perf_counter() - started
    return stats


def finish_full(db: ox.Store, reasoner: Reasoner, places: Places) -> InferenceStats:
    """After every record's own inferred graph is written: what the ontology entails alone,
    the cross-record pass, and the state."""
    for t in reasoner.base.derived:
        add_derived(db, t)
    _moved, added, rounds = cross_record(db, reasoner, places)
    write_state(db, reasoner.fingerprint, ENGINE_VERSION)
    return InferenceStats(
        "fast", "full", rounds=rounds, joins=len(places.joins) + len(places.described), cross_record=added
    )


def _recompute_owlrl(db: ox.Store, onto: Graph, started: float) -> InferenceStats:
    data = premises_graph(db)
    inferred = owlrl_inferred(data, onto)
    replace_graph(db, INFERRED_GRAPH, inferred)
    write_state(db, None, "owlrl")
    return InferenceStats("owlrl", "full", time.perf_counter() - started, 1, inferred=len(inferred))
