"""A change of some records, maintained in place: their graphs are replaced, what each entails
on its own is worked out again, and the shared inferred graph is brought up to date by DRed
(over-delete what depended on a triple that went, rederive what still follows, insert what the new
triples give), probing the store, so that it costs what the changed records entail."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import pyoxigraph as ox
from rdflib import Graph, URIRef

from graph.errors import StoreError, TrialgraphError
from graph.progress import Callback, no_progress
from graph.reason.closure import RDF_TYPE, LocalRules, Triple, kept
from graph.reason.engine import Engine, Reasoner, check_engine, ox_triples, reasoner_for
from graph.reason.facts import Facts, saturate
from graph.reason.full import InferenceStats, recompute
from graph.reason.graphs import (
    add_derived,
    asserts,
    clear,
    graph_triples,
    hide,
    is_current,
    is_premise,
    is_record_premise,
    move,
    remove_derived,
    replace_graph,
    unhide,
    write,
)
from graph.store.base import Store
from graph.store.layout import (
    RECORD_INFERRED_NS,
    RECORD_SUPPORT_NS,
    inferred_graph_of,
    support_graph_of,
)
from graph.store.terms import Triples


@dataclass
class RecordState:
    """A record's graphs: what it asserts, what it entails on its own, what is left out."""

    asserted: list[Triple]
    inferred: list[Triple]
    hidden: list[Triple]

    def all(self) -> Iterator[Triple]:
        yield from self.asserted
        yield from self.inferred
        yield from self.hidden

    def size(self) -> int:
        """The quads of the three graphs (each list holds a graph's triples once)."""
        return len(self.asserted) + len(self.inferred) + len(self.hidden)

    @classmethod
    def read(cls, db: ox.Store, name: str, *, own_only: bool = False) -> RecordState:
        """A record's graphs as stored (``own_only``: its own graph, not its inferences)."""
        if own_only:
            return cls(graph_triples(db, name), [], [])
        return cls(
            graph_triples(db, name),
            graph_triples(db, inferred_graph_of(name)),
            graph_triples(db, support_graph_of(name)),
        )

    def write(self, db: ox.Store, name: str) -> None:
        for graph, triples in (
            (name, self.asserted),
            (inferred_graph_of(name), self.inferred),
            (support_graph_of(name), self.hidden),
        ):
            clear(db, graph)
            write(db, graph, triples)


def maintain(
    db: ox.Store,
    replaced: Mapping[URIRef, Triples | None],
    *,
    engine: Engine = "fast",
    ontology: Graph | None = None,
    progress: Callback = no_progress,
) -> InferenceStats:
    """Write the record graphs in ``replaced`` (``None`` retracts that record) and bring the
    inferences up to date.  Incremental when the store holds inferences the fast engine made
    with the same ontology; from scratch otherwise (or with ``engine="owlrl"``).

    ``db`` is usually the staging database of a write (:meth:`graph.store.base.Writer.staging`), so the records and
    their inferences land in one atomic write."""
    check_engine(engine)
    for name in replaced:
        if not is_record_premise(str(name)):
            raise TrialgraphError(f"{name} is not a source-record graph", hint="pass record graphs only")
    if engine == "owlrl":
        for name, g in replaced.items():
            replace_graph(db, name, g)
        return recompute(db, engine="owlrl", ontology=ontology, progress=progress)
    reasoner = reasoner_for(ontology)
    if not is_current(db, reasoner):
        for name, g in replaced.items():
            replace_graph(db, name, g)
        return recompute(db, engine="fast", ontology=reasoner.ontology, progress=progress)
    if not replaced:
        return InferenceStats("fast", "unchanged")
    started = time.perf_counter()
    old = {str(n): RecordState.read(db, str(n)) for n in replaced}
    new: dict[str, RecordState | None] = {}
    for name, g in replaced.items():
        if g is None:
            new[str(name)] = None
            continue
        asserted = list(dict.fromkeys(ox_triples(g)))
        found = reasoner.record(str(name), asserted)
        new[str(name)] = RecordState(asserted, found.inferred, found.hidden)
    for key, state in new.items():
        if state is None:
            RecordState([], [], []).write(db, key)
        else:
            state.write(db, key)
    stats = refresh(db, reasoner, old, new)
    stats.seconds = time.perf_counter() - started
    return stats


def refresh(
    db: ox.Store,
    reasoner: Reasoner,
    old: Mapping[str, RecordState],
    new: Mapping[str, RecordState | None],
) -> InferenceStats:
    """After some records' graphs were replaced in ``db`` (``old`` were their graphs before,
    ``new`` are the ones written): put what another record asserts in the right graphs, and
    bring the shared inferred graph up to date (DRed: over-delete what depended on a triple
    that is no longer true, rederive what still follows, insert what the new triples give)."""
    rules = reasoner.rules
    mine = {g for name in old for g in (name, inferred_graph_of(name), support_graph_of(name))}
    before: set[Triple] = {t for state in old.values() for t in state.all()}
    after: set[Triple] = {t for state in new.values() if state is not None for t in state.all()}
    facts = Facts(db)

    def elsewhere(t: Triple) -> bool:
        """True in a graph that is not one of the changed records'."""
        return any(
            is_premise(q.graph_name) and q.graph_name.value not in mine  # type: ignore[union-attr]
            for q in db.quads_for_pattern(t[0], t[1], t[2], None)
        )

    _mask_changes(db, old, new, mine)
    # new facts: true now, not true before (or true before only as a stored derived triple)
    arrived = [t for t in after - before if not elsewhere(t) or facts.derived(t)]
    gone = [t for t in before - after if not facts.holds(t)]
    # over-delete: stored derived triples with a derivation through a triple that went
    over = _overdelete(db, rules, gone)
    for t in over:
        remove_derived(db, t)
    for t in after:
        if facts.derived(t):
            remove_derived(db, t)  # a fact of a record now, not a derived one
    # rederive: what still follows in one step from what is true now
    rederived = [t for t in (*over, *gone) if not facts.holds(t) and _follows(facts, rules, t)]
    for t in rederived:
        add_derived(db, t)
    added, rounds = saturate(db, rules, [*arrived, *rederived])
    return InferenceStats(
        "fast",
        "incremental",
        rounds=rounds,
        overdeleted=len(over),
        rederived=len(rederived),
        cross_record=added,
    )


def _mask_changes(
    db: ox.Store, old: Mapping[str, RecordState], new: Mapping[str, RecordState | None], mine: set[str]
) -> None:
    """Keep every record's inferred graph free of triples that some graph asserts: the changed
    records' own, and the others' where the change asserts or stops asserting a triple."""
    asserted_before = {t for state in old.values() for t in state.asserted}
    asserted_after = {t for state in new.values() if state is not None for t in state.asserted}
    for name, state in new.items():
        if state is None:
            continue
        for t in list(state.inferred):
            if _asserted(db, t):
                move(db, t, inferred_graph_of(name), support_graph_of(name))
    for t in asserted_after - asserted_before:
        for q in db.quads_for_pattern(t[0], t[1], t[2], None):
            g = q.graph_name.value if type(q.graph_name) is ox.NamedNode else ""
            if g.startswith(RECORD_INFERRED_NS) and g not in mine:
                hide(db, t, g)
    for t in asserted_before - asserted_after:
        if not kept(t) or _asserted(db, t):
            continue
        for q in db.quads_for_pattern(t[0], t[1], t[2], None):
            g = q.graph_name.value if type(q.graph_name) is ox.NamedNode else ""
            if g.startswith(RECORD_SUPPORT_NS) and g not in mine:
                unhide(db, t, g)


def _asserted(db: ox.Store, t: Triple) -> bool:
    """Asserted by a record graph or the ontology graph."""
    return any(
        type(q.graph_name) is ox.NamedNode and asserts(q.graph_name.value)
        for q in db.quads_for_pattern(t[0], t[1], t[2], None)
    )


def _overdelete(db: ox.Store, rules: LocalRules, gone: list[Triple]) -> list[Triple]:
    """Stored derived triples (the shared inferred graph) that have a derivation using a triple
    of ``gone``, transitively; joins read the state before the change."""
    before = Facts(db, gone)
    over: dict[Triple, None] = {}
    delta = list(gone)
    while delta:
        fresh = []
        for t in delta:
            candidates = list(rules.one_step(*t))
            for chain, i in rules.positions.get(t[1], ()):
                candidates.extend(before.extend(t, chain, i))
            for c in candidates:
                if c not in over and before.derived(c):
                    over[c] = None
                    fresh.append(c)
        delta = fresh
    return list(over)


def _follows(facts: Facts, rules: LocalRules, t: Triple) -> bool:
    """Whether one rule application derives ``t`` from what is true now."""
    s, p, o = t
    if p == RDF_TYPE:
        subj, obj, subs = rules.sources_of_class.get(o, ((), (), ()))
        return (
            any(facts.any_object(s, q) for q in subj)
            or any(facts.any_subject(q, s) for q in obj)
            or any(facts.holds((s, RDF_TYPE, b)) for b in subs)
        )
    fwd, bwd, chains = rules.sources_of_property.get(p, ((), (), ()))
    if any(facts.holds((s, q, o)) for q in fwd):
        return True
    if type(o) is not ox.Literal and any(facts.holds((o, q, s)) for q in bwd):
        return True
    for chain in chains:
        lefts = {s}
        for step in chain.steps[:-1]:
            lefts = {z for y in lefts for z in facts.objects(y, step)}
        if any(facts.holds((y, chain.steps[-1], o)) for y in lefts):
            return True
    return False


def update_inferred(
    store: Store,
    replaced: Mapping[URIRef, Triples | None] | None = None,
    *,
    engine: Engine = "fast",
    ontology: Graph | None = None,
    progress: Callback = no_progress,
    from_scratch: bool = False,
) -> InferenceStats:
    """:func:`maintain` in a write of its own: record graphs and inferences change together,
    atomically.  ``from_scratch`` remakes every inference (after the records are written)."""
    with store.write() as w:
        db = w.staging()
        if db is None:
            raise StoreError(
                f"{store.location}: inferences are maintained inside a staged database, which this store has not",
                hint="a remote store gets its inferences from `trialgraph build`",
            )
        stats = maintain(db, replaced or {}, engine=engine, ontology=ontology, progress=progress)
        if from_scratch and stats.mode != "full":
            stats = recompute(db, engine=engine, ontology=ontology, progress=progress)
        return stats
