"""Reasoning: the OWL 2 RL closure of the ontology plus the data, kept apart from the asserted data.

What counts as inferred (the definition both engines are compared on; docs/reasoning.md lists
it in full): a triple is inferred when owlrl's OWL-RL semantics derives it from ``ontology/`` plus
the premises (every source-record graph and the ontology graph; not the quarantine) and

- it is not asserted already (in any premise graph),
- its subject is an IRI of a data node (not a term of the ontology or of a vocabulary), and
- its predicate is a trialgraph ontology property, or it is ``rdf:type`` with a trialgraph class.

Everything else owlrl derives (``owl:sameAs`` reflexivity, axiomatic RDF/RDFS/OWL triples,
literal typing, ``owl:Thing`` memberships, schema-level consequences) is noise for users and is
left out.

Two engines compute it:

- ``"owlrl"``, the reference: owlrl's forward chainer over everything, then the filter above.
  Pure Python; minutes for a few thousand triples.  It writes one inferred graph.
- ``"fast"``, the default: the ontology compiled once (:mod:`graph.rules`) into rules that run
  in Python (:mod:`graph.closure`).  Each record is reasoned about on its own, with the
  ontology (a build does it in its worker processes), and what it entails goes to that record's
  own inferred graph (:mod:`graph.layout`), replaced with the record.  What only records taken
  together entail (a chain through a node that two records describe differently) goes to the
  shared inferred graph: the places where that can happen are found by comparing signatures
  of the records (:func:`graph.closure.signatures`), and only those places are worked out in the
  store.  A change of some records is maintained incrementally (delete, rederive, insert: the
  DRed scheme) by probing the store, so it costs what the changed records entail.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, URIRef
from rdflib.term import Node

from graph.closure import (
    RDF_TYPE,
    Base,
    Chain,
    Closure,
    Index,
    LocalRules,
    ReasoningError,
    Triple,
    close,
    kept,
    signatures,
)
from graph.constants import (
    GRAPH_NS,
    INFERRED_GRAPH,
    ONTOLOGY_DIR,
    ONTOLOGY_GRAPH,
    ONTOLOGY_NS,
    QUARANTINE_GRAPH,
    VOCAB_NS,
)
from graph.digest import Fold
from graph.errors import TrialgraphError
from graph.layout import (
    LEDGER_GRAPH,
    RECORD_INFERRED_NS,
    RECORD_SUPPORT_NS,
    STATE_GRAPH,
    SUPPORT_GRAPH,
    inferred_graph_of,
    is_inferred_graph,
    is_reasoner_graph,
    is_record_graph,
    is_support_graph,
    support_graph_of,
)
from graph.rules import Schema, UnsupportedOntology, compile_schema
from graph.store import OxigraphStore, Triples, from_ox, graph_quads, to_ox, turtle_graph

Engine = Literal["fast", "owlrl"]
ENGINES: tuple[str, ...] = ("fast", "owlrl")
Progress = Callable[[str, int, int | None], None]

_STATE_NODE = STATE_GRAPH + "#closure"
_STATE_FINGERPRINT = STATE_GRAPH + "#fingerprint"
_STATE_ENGINE = STATE_GRAPH + "#engine"
#: Scratch graphs of a run live under this name; none is ever left behind (and the Python engine
#: needs none).
WORK_NS = INFERRED_GRAPH + "/work/"
#: Bumped whenever the engine's storage or algorithm changes: stored closures are then remade.
ENGINE_VERSION = "fast-2"

__all__ = [
    "ENGINES",
    "INFERRED_GRAPH",
    "STATE_GRAPH",
    "SUPPORT_GRAPH",
    "Engine",
    "InferenceStats",
    "Reasoner",
    "ReasoningError",
    "UnsupportedOntology",
    "inferred_for",
    "inferred_triples",
    "is_reasoner_graph",
    "keep",
    "maintain",
    "ontology_graph",
    "owlrl_inferred",
    "recompute",
    "update_inferred",
]


def ontology_graph() -> Graph:
    """``ontology/*.ttl`` in one graph (local files only; nothing is imported over HTTP).  Its
    blank nodes (the axioms' lists and restrictions) get labels made from what they hold, so
    that two parses, and two builds, write the very same graph."""
    from rdflib.compare import to_canonical_graph

    g = Graph()
    for path in sorted(ONTOLOGY_DIR.glob("*.ttl")):
        g += turtle_graph(path)
    out = Graph()
    for t in to_canonical_graph(g):
        out.add(t)
    return out


def keep(triple: tuple[Node, Node, Node]) -> bool:
    """The filter of the definition: data-node subject, trialgraph predicate or class."""
    s, p, o = triple
    if not isinstance(s, URIRef) or str(s).startswith((ONTOLOGY_NS, VOCAB_NS)):
        return False
    if p == RDF.type:
        return isinstance(o, URIRef) and str(o).startswith(ONTOLOGY_NS)
    return str(p).startswith(ONTOLOGY_NS)


# -- the reference engine -------------------------------------------------------------------------


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


# -- results ----------------------------------------------------------------------------------------


@dataclass
class InferenceStats:
    """What one reasoning run did.  Counts are triples of the inferred graphs."""

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


# -- the compiled ontology ----------------------------------------------------------------------------


def ox_triples(g: Triples) -> list[Triple]:
    return [(to_ox(s), to_ox(p), to_ox(o)) for s, p, o in g]


@dataclass
class Reasoner:
    """The ontology compiled once: the rules, the ontology's own closure, and the fingerprint
    a store's closure is checked against."""

    ontology: Graph
    schema: Schema
    rules: LocalRules
    base: Base
    fingerprint: str

    @classmethod
    def of(cls, ontology: Graph | None = None) -> Reasoner:
        onto = ontology if ontology is not None else ontology_graph()
        schema = compile_schema(onto)  # refuses what it cannot compile
        rules = LocalRules.compile(schema)
        return cls(onto, schema, rules, Base.of(ox_triples(onto), rules), _fingerprint(schema, onto))

    def close(self, asserted: Iterable[Triple]) -> Closure:
        return close(asserted, self.rules, self.base)

    def record(self, name: str, asserted: Iterable[Triple]) -> RecordInferences:
        """One record's own inferences, and its signatures."""
        closure = self.close(asserted)
        inferred, hidden = closure.split()
        found = signatures(closure, self.rules, self.base)
        return RecordInferences(name, inferred, hidden, found.digests, found.terms)


@dataclass
class RecordInferences:
    name: str
    inferred: list[Triple]
    hidden: list[Triple]
    signatures: dict[int, int]
    #: what each signature key stands for (see :class:`graph.closure.Signatures`)
    terms: dict[int, tuple[str, Any, Any]]

    def derived(self) -> list[Triple]:
        """Everything the record entails on its own, wherever it is kept."""
        return [*self.inferred, *self.hidden]


_REASONERS: dict[int, Reasoner] = {}


def reasoner_for(ontology: Graph | None) -> Reasoner:
    """A :class:`Reasoner`, compiled once per ontology graph object."""
    key = id(ontology) if ontology is not None else 0
    found = _REASONERS.get(key)
    if found is None or (ontology is not None and found.ontology is not ontology):
        found = _REASONERS[key] = Reasoner.of(ontology)
    return found


def _fingerprint(schema: Schema, onto: Graph) -> str:
    """The rules plus the ontology's own assertions (its blank nodes only carry axioms, which the
    rules already reflect, so they are left out and a re-parse gives the same fingerprint)."""
    lines = sorted(
        f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in onto if not any(isinstance(t, BNode) for t in (s, p, o))
    )
    digest = hashlib.sha256()
    digest.update(f"{ENGINE_VERSION}\n{schema.fingerprint}\n".encode())
    for line in lines:
        digest.update(line.encode() + b"\n")
    return digest.hexdigest()


# -- the store: what is true, and where ---------------------------------------------------------------

_NOT_PREMISES = frozenset(ox.NamedNode(g) for g in (QUARANTINE_GRAPH, LEDGER_GRAPH, STATE_GRAPH))
_X = ox.NamedNode(INFERRED_GRAPH)
_SUPPORT = ox.NamedNode(SUPPORT_GRAPH)
_ONTOLOGY = ox.NamedNode(ONTOLOGY_GRAPH)


def _premise(graph: Any) -> bool:
    return type(graph) is ox.NamedNode and graph not in _NOT_PREMISES


class Facts:
    """What is true in a store: a triple in any graph but the quarantine and the bookkeeping
    graphs (records, the ontology, and everything derived).  ``extra`` triples count as true
    too (retracted premises, while what depended on them is found)."""

    def __init__(self, db: ox.Store, extra: Iterable[Triple] = ()) -> None:
        self.db = db
        self.extra = set(extra)
        self.extra_index = Index()
        for s, p, o in self.extra:
            self.extra_index.add(s, p, o)

    def holds(self, t: Triple) -> bool:
        if t in self.extra:
            return True
        return any(_premise(q.graph_name) for q in self.db.quads_for_pattern(t[0], t[1], t[2], None))

    def objects(self, s: Any, p: Any) -> set[Any]:
        found = {q.object for q in self.db.quads_for_pattern(s, p, None, None) if _premise(q.graph_name)}
        return found | self.extra_index.objects(s, p)

    def subjects(self, p: Any, o: Any) -> set[Any]:
        found = {q.subject for q in self.db.quads_for_pattern(None, p, o, None) if _premise(q.graph_name)}
        return found | self.extra_index.subjects(p, o)

    def any_subject(self, p: Any, o: Any) -> bool:
        return any(_premise(q.graph_name) for q in self.db.quads_for_pattern(None, p, o, None))

    def any_object(self, s: Any, p: Any) -> bool:
        return any(_premise(q.graph_name) for q in self.db.quads_for_pattern(s, p, None, None))

    def derived(self, t: Triple) -> bool:
        """Stored in the shared inferred graph or its support graph."""
        s, p, o = t
        return any(True for _ in self.db.quads_for_pattern(s, p, o, _X)) or any(
            True for _ in self.db.quads_for_pattern(s, p, o, _SUPPORT)
        )

    def extend(self, t: Triple, chain: Chain, i: int) -> Iterator[Triple]:
        """Every instance of ``chain`` whose step ``i`` is ``t``: the chain's head for each."""
        steps = chain.steps
        lefts = {t[0]}
        for j in range(i - 1, -1, -1):
            lefts = {x for y in lefts for x in self.subjects(steps[j], y)}
            if not lefts:
                return
        rights = {t[2]}
        for j in range(i + 1, len(steps)):
            rights = {z for y in rights for z in self.objects(y, steps[j])}
            if not rights:
                return
        for x in lefts:
            for z in rights:
                yield x, chain.head, z


def _add_derived(db: ox.Store, t: Triple) -> None:
    db.add(ox.Quad(t[0], t[1], t[2], _X if kept(t) else _SUPPORT))


def _remove_derived(db: ox.Store, t: Triple) -> None:
    for g in (_X, _SUPPORT):
        db.remove(ox.Quad(t[0], t[1], t[2], g))


def _saturate(db: ox.Store, rules: LocalRules, seed: Iterable[Triple]) -> tuple[int, int]:
    """Everything that follows from ``seed`` (true already) and is not true yet goes to the
    shared inferred graph, semi-naively.  Returns (triples added, rounds)."""
    facts = Facts(db)
    added = 0
    rounds = 0
    delta = list(dict.fromkeys(seed))
    while delta:
        rounds += 1
        fresh: list[Triple] = []
        for t in delta:
            candidates = list(rules.one_step(*t))
            for chain, i in rules.positions.get(t[1], ()):
                candidates.extend(facts.extend(t, chain, i))
            for c in candidates:
                if not facts.holds(c):
                    _add_derived(db, c)
                    added += 1
                    fresh.append(c)
        delta = fresh
    return added, rounds


# -- several records together ---------------------------------------------------------------------


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
                        _add_derived(db, t)
                        seed.append(t)
    added, rounds = _saturate(db, rules, seed)
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
        if not any(is_record_graph(n) or n == ONTOLOGY_GRAPH for n in names):
            continue
        for n in names:
            if n.startswith(RECORD_INFERRED_NS):
                _move(db, t, n, RECORD_SUPPORT_NS + n[len(RECORD_INFERRED_NS) :])
                moved += 1
    return moved


def _move(db: ox.Store, t: Triple, source: str, target: str) -> None:
    db.remove(ox.Quad(t[0], t[1], t[2], ox.NamedNode(source)))
    db.add(ox.Quad(t[0], t[1], t[2], ox.NamedNode(target)))


# -- from scratch ------------------------------------------------------------------------------------


def _noop(_stage: str, _done: int, _total: int | None) -> None:
    return None


def _check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise TrialgraphError(f"unknown reasoner {engine!r}", hint="use one of: " + ", ".join(ENGINES))


def _clear(db: ox.Store, name: str) -> None:
    node = ox.NamedNode(name)
    if db.contains_named_graph(node):
        db.remove_graph(node)


def _replace_graph(db: ox.Store, name: URIRef | str, g: Triples | None) -> None:
    _clear(db, str(name))
    if g is not None and len(g):
        db.extend(graph_quads(g, URIRef(str(name))))


def _write(db: ox.Store, name: str, triples: Iterable[Triple]) -> None:
    node = ox.NamedNode(name)
    db.extend(ox.Quad(s, p, o, node) for s, p, o in triples)


def _record_names(db: ox.Store) -> list[str]:
    """Graphs reasoned about one by one: every premise graph but the ontology."""
    return sorted(
        g.value
        for g in db.named_graphs()
        if type(g) is ox.NamedNode
        and g.value not in (ONTOLOGY_GRAPH, QUARANTINE_GRAPH, LEDGER_GRAPH)
        and not is_reasoner_graph(g.value)
    )


def _graph_triples(db: ox.Store, name: str) -> list[Triple]:
    return [(q.subject, q.predicate, q.object) for q in db.quads_for_pattern(None, None, None, ox.NamedNode(name))]


def recompute(
    db: ox.Store,
    *,
    engine: Engine = "fast",
    ontology: Graph | None = None,
    progress: Progress = _noop,
) -> InferenceStats:
    """Make every inferred graph from scratch from the premises in ``db`` (writes the ontology
    graph too).  ``db`` is usually the staging store of an :meth:`OxigraphStore.write`."""
    started = time.perf_counter()
    _check_engine(engine)
    reasoner = reasoner_for(ontology) if engine == "fast" else None  # refuses before anything is written
    onto = reasoner.ontology if reasoner is not None else (ontology if ontology is not None else ontology_graph())
    _replace_graph(db, ONTOLOGY_GRAPH, onto)
    for g in list(db.named_graphs()):
        if type(g) is ox.NamedNode and is_reasoner_graph(g.value):
            db.remove_graph(g)
    db.clear_graph(ox.DefaultGraph())
    if reasoner is None:
        return _recompute_owlrl(db, onto, started)
    fold: Fold[int] = Fold()
    places = Places()
    names = _record_names(db)
    for i, name in enumerate(names):
        found = reasoner.record(name, _graph_triples(db, name))
        _write(db, inferred_graph_of(name), found.inferred)
        _write(db, support_graph_of(name), found.hidden)
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
        _add_derived(db, t)
    _moved, added, rounds = cross_record(db, reasoner, places)
    _write_state(db, reasoner.fingerprint, ENGINE_VERSION)
    return InferenceStats(
        "fast", "full", rounds=rounds, joins=len(places.joins) + len(places.described), cross_record=added
    )


def count_inferred(db: ox.Store) -> int:
    """How many distinct triples the inferred graphs hold together (a triple two records
    entail is in both records' graphs)."""
    return len({q.triple for q in inferred_triples(db)})


def premises_graph(db: ox.Store) -> Graph:
    """Every premise triple (record graphs and the ontology graph) in one rdflib graph."""
    out = Graph()
    for name in db.named_graphs():
        if not isinstance(name, ox.NamedNode) or name in _NOT_PREMISES or is_reasoner_graph(name.value):
            continue
        for q in db.quads_for_pattern(None, None, None, name):
            out.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))  # type: ignore[arg-type]
    return out


def _recompute_owlrl(db: ox.Store, onto: Graph, started: float) -> InferenceStats:
    data = premises_graph(db)
    inferred = owlrl_inferred(data, onto)
    _replace_graph(db, INFERRED_GRAPH, inferred)
    _write_state(db, None, "owlrl")
    return InferenceStats("owlrl", "full", time.perf_counter() - started, 1, inferred=len(inferred))


# -- state -----------------------------------------------------------------------------------------


def _stored_fingerprint(db: ox.Store) -> str | None:
    for q in db.quads_for_pattern(
        ox.NamedNode(_STATE_NODE), ox.NamedNode(_STATE_FINGERPRINT), None, ox.NamedNode(STATE_GRAPH)
    ):
        if isinstance(q.object, ox.Literal):
            return q.object.value
    return None


def _write_state(db: ox.Store, fingerprint: str | None, engine: str) -> None:
    _clear(db, STATE_GRAPH)
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
    return db.contains_named_graph(_ONTOLOGY) and _stored_fingerprint(db) == reasoner.fingerprint


def needs_recompute(db: ox.Store, *, engine: Engine = "fast", ontology: Graph | None = None) -> bool:
    """Whether :func:`maintain` on ``db`` would remake the inferences from scratch whatever
    changes (none stored, made for another ontology, or the owlrl engine)."""
    _check_engine(engine)
    return engine == "owlrl" or not is_current(db, reasoner_for(ontology))


# -- a change of some records ---------------------------------------------------------------------


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

    @classmethod
    def read(cls, db: ox.Store, name: str, *, own_only: bool = False) -> RecordState:
        """A record's graphs as stored (``own_only``: its own graph, not its inferences)."""
        if own_only:
            return cls(_graph_triples(db, name), [], [])
        return cls(
            _graph_triples(db, name),
            _graph_triples(db, inferred_graph_of(name)),
            _graph_triples(db, support_graph_of(name)),
        )

    def write(self, db: ox.Store, name: str) -> None:
        for graph, triples in (
            (name, self.asserted),
            (inferred_graph_of(name), self.inferred),
            (support_graph_of(name), self.hidden),
        ):
            _clear(db, graph)
            _write(db, graph, triples)


def maintain(
    db: ox.Store,
    replaced: Mapping[URIRef, Triples | None],
    *,
    engine: Engine = "fast",
    ontology: Graph | None = None,
    progress: Progress = _noop,
) -> InferenceStats:
    """Write the record graphs in ``replaced`` (``None`` retracts that record) and bring the
    inferences up to date.  Incremental when the store holds inferences the fast engine made
    with the same ontology; from scratch otherwise (or with ``engine="owlrl"``).

    ``db`` is usually the staging store of an :meth:`OxigraphStore.write`, so the records and
    their inferences land in one atomic write."""
    _check_engine(engine)
    for name in replaced:
        if not _replaceable(str(name)):
            raise TrialgraphError(f"{name} is not a source-record graph", hint="pass record graphs only")
    if engine == "owlrl":
        for name, g in replaced.items():
            _replace_graph(db, name, g)
        return recompute(db, engine="owlrl", ontology=ontology, progress=progress)
    reasoner = reasoner_for(ontology)
    if not is_current(db, reasoner):
        for name, g in replaced.items():
            _replace_graph(db, name, g)
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


def _replaceable(name: str) -> bool:
    return name not in (ONTOLOGY_GRAPH, QUARANTINE_GRAPH, LEDGER_GRAPH) and not is_reasoner_graph(name)


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
            _premise(q.graph_name) and q.graph_name.value not in mine  # type: ignore[union-attr]
            for q in db.quads_for_pattern(t[0], t[1], t[2], None)
        )

    _mask_changes(db, old, new, mine)
    # new facts: true now, not true before (or true before only as a stored derived triple)
    arrived = [t for t in after - before if not elsewhere(t) or facts.derived(t)]
    gone = [t for t in before - after if not facts.holds(t)]
    # over-delete: stored derived triples with a derivation through a triple that went
    over = _overdelete(db, rules, gone)
    for t in over:
        _remove_derived(db, t)
    for t in after:
        if facts.derived(t):
            _remove_derived(db, t)  # a fact of a record now, not a derived one
    # rederive: what still follows in one step from what is true now
    rederived = [t for t in (*over, *gone) if not facts.holds(t) and _follows(facts, rules, t)]
    for t in rederived:
        _add_derived(db, t)
    added, rounds = _saturate(db, rules, [*arrived, *rederived])
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
                _move(db, t, inferred_graph_of(name), support_graph_of(name))
    for t in asserted_after - asserted_before:
        for q in db.quads_for_pattern(t[0], t[1], t[2], None):
            g = q.graph_name.value if type(q.graph_name) is ox.NamedNode else ""
            if g.startswith(RECORD_INFERRED_NS) and g not in mine:
                _move(db, t, g, RECORD_SUPPORT_NS + g[len(RECORD_INFERRED_NS) :])
    for t in asserted_before - asserted_after:
        if not kept(t) or _asserted(db, t):
            continue
        for q in db.quads_for_pattern(t[0], t[1], t[2], None):
            g = q.graph_name.value if type(q.graph_name) is ox.NamedNode else ""
            if g.startswith(RECORD_SUPPORT_NS) and g not in mine:
                _move(db, t, g, RECORD_INFERRED_NS + g[len(RECORD_SUPPORT_NS) :])


def _asserted(db: ox.Store, t: Triple) -> bool:
    """Asserted by a record graph or the ontology graph."""
    for q in db.quads_for_pattern(t[0], t[1], t[2], None):
        if type(q.graph_name) is ox.NamedNode:
            name = q.graph_name.value
            if name == ONTOLOGY_GRAPH or is_record_graph(name):
                return True
    return False


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


# -- the public API --------------------------------------------------------------------------------


def update_inferred(
    store: OxigraphStore,
    replaced: Mapping[URIRef, Triples | None] | None = None,
    *,
    engine: Engine = "fast",
    ontology: Graph | None = None,
    progress: Progress = _noop,
    from_scratch: bool = False,
) -> InferenceStats:
    """:func:`maintain` in a write of its own: record graphs and inferences change together,
    atomically.  ``from_scratch`` remakes every inference (after the records are written)."""
    with store.write() as w:
        stats = maintain(w.db, replaced or {}, engine=engine, ontology=ontology, progress=progress)
        if from_scratch and stats.mode != "full":
            stats = recompute(w.db, engine=engine, ontology=ontology, progress=progress)
        return stats


def inferred_for(data: Graph, *, engine: Engine = "fast", ontology: Graph | None = None) -> Graph:
    """The inferred triples of an in-memory graph, under the definition above."""
    _check_engine(engine)
    if engine == "owlrl":
        return owlrl_inferred(data, ontology if ontology is not None else ontology_graph())
    reasoner = reasoner_for(ontology)
    closure = reasoner.close(dict.fromkeys(ox_triples(data)))
    out = Graph()
    for t in (*closure.derived, *reasoner.base.derived):
        if kept(t):
            out.add((from_ox(t[0]), from_ox(t[1]), from_ox(t[2])))  # type: ignore[arg-type]
    return out


def inferred_triples(db: ox.Store) -> Iterator[Any]:
    """The quads of every inferred graph (their union is the inferred triples)."""
    for g in db.named_graphs():
        if type(g) is ox.NamedNode and is_inferred_graph(g.value):
            yield from db.quads_for_pattern(None, None, None, g)


def support_triples(db: ox.Store) -> Iterator[Any]:
    for g in db.named_graphs():
        if type(g) is ox.NamedNode and is_support_graph(g.value):
            yield from db.quads_for_pattern(None, None, None, g)


def graph_of(db: ox.Store, name: str) -> Graph:
    """One named graph of an Oxigraph store, as an rdflib graph."""
    out = Graph()
    for q in db.quads_for_pattern(None, None, None, ox.NamedNode(name)):
        out.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))  # type: ignore[arg-type]
    return out


def inferred_graph(db: ox.Store) -> Graph:
    """The union of the inferred graphs, as an rdflib graph."""
    out = Graph()
    for q in inferred_triples(db):
        out.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))  # type: ignore[arg-type]
    return out


_ = GRAPH_NS  # the namespace every graph name above lives in
