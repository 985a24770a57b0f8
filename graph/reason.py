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
  Pure Python; minutes for a few thousand triples.
- ``"fast"``, the default: the ontology compiled once (:mod:`graph.rules`) into SPARQL updates that
  Oxigraph runs inside the store, to a fixpoint.  A change of some records is maintained
  incrementally (delete, rederive, insert: the DRed scheme), so refreshing one record costs what
  that record entails, and retracting a record retracts what only it entailed.

Graphs the fast engine writes, all under :data:`INFERRED_GRAPH`:

- ``INFERRED_GRAPH`` itself: exactly the inferred triples of the definition;
- ``INFERRED_GRAPH/support``: derived triples the definition leaves out but that are premises of
  kept ones (a derived triple about a vocabulary concept, a derived triple of a non-trialgraph
  property used in a property chain...).  Empty with the current ontology;
- ``INFERRED_GRAPH/state``: which rules and which ontology the closure was made with;
- ``INFERRED_GRAPH/work/*``: scratch graphs inside one write; never committed.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

import pyoxigraph as ox
from rdflib import RDF, BNode, Graph, URIRef
from rdflib.term import Node

from graph.constants import (
    GRAPH_NS,
    INFERRED_GRAPH,
    ONTOLOGY_DIR,
    ONTOLOGY_GRAPH,
    ONTOLOGY_NS,
    QUARANTINE_GRAPH,
    VOCAB_NS,
)
from graph.errors import TrialgraphError
from graph.rules import (
    DEFAULT_GRAPH,
    Schema,
    Source,
    UnsupportedOntology,
    after_chains,
    chain_body,
    compile_schema,
    head_triple,
    iri,
    local_bodies,
)
from graph.store import OxigraphStore, Triples, from_ox, graph_quads

Engine = Literal["fast", "owlrl"]
ENGINES: tuple[str, ...] = ("fast", "owlrl")
Progress = Callable[[str, int, int | None], None]

SUPPORT_GRAPH = INFERRED_GRAPH + "/support"
STATE_GRAPH = INFERRED_GRAPH + "/state"
WORK_NS = INFERRED_GRAPH + "/work/"
_STATE_NODE = STATE_GRAPH + "#closure"
_STATE_FINGERPRINT = STATE_GRAPH + "#fingerprint"
_STATE_ENGINE = STATE_GRAPH + "#engine"
#: A change of more records than this, and than a quarter of the store's graphs, is reasoned
#: from scratch rather than incrementally.
LARGE_BATCH = 1000
#: Bumped whenever the engine's storage or algorithm changes: stored closures are then remade.
ENGINE_VERSION = "fast-1"

__all__ = [
    "ENGINES",
    "INFERRED_GRAPH",
    "STATE_GRAPH",
    "SUPPORT_GRAPH",
    "Engine",
    "InferenceStats",
    "ReasoningError",
    "UnsupportedOntology",
    "inferred_for",
    "is_reasoner_graph",
    "keep",
    "maintain",
    "ontology_graph",
    "owlrl_inferred",
    "recompute",
    "update_inferred",
]


class ReasoningError(TrialgraphError):
    """The fast engine cannot give owlrl's answer for this data."""


def ontology_graph() -> Graph:
    """``ontology/*.ttl`` in one graph (local files only; nothing is imported over HTTP)."""
    g = Graph()
    for path in sorted(ONTOLOGY_DIR.glob("*.ttl")):
        g.parse(path, format="turtle")
    return g


def is_reasoner_graph(name: URIRef | str) -> bool:
    """True for the graphs the reasoner writes: never source records, never asserted data."""
    text = str(name)
    return text == INFERRED_GRAPH or text.startswith(INFERRED_GRAPH + "/")


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
    #: full runs: size of the inferred graph afterwards (counting costs a scan)
    inferred: int | None = None


# -- graph bookkeeping -----------------------------------------------------------------------------
#
# The invariant that keeps the SPARQL simple and fast: during a run every named graph holds only
# triples that are true in the state being computed (premises, stored derived triples, work sets
# of true triples).  Sets of triples that are not true (premises just retracted, derived triples
# being rechecked, record contents not written yet) live in the default graph, which trialgraph
# never uses otherwise.  The quarantine graph is the one exception, and harmless: its subjects
# are quarantine entries, which no derived triple ever mentions.  So "is this triple true?" is
# ``EXISTS { GRAPH ?g { ... } }`` with no filter, which Oxigraph answers with one index probe.


_WORK = {
    name: WORK_NS + name
    for name in ("chained", "chained-next", "new", "seed", "plus", "over", "over-delta", "over-new")
}
#: Premises are every named graph but these.
_NOT_PREMISES = (QUARANTINE_GRAPH, INFERRED_GRAPH, SUPPORT_GRAPH, STATE_GRAPH, *_WORK.values())

#: Premises, for a full run: every named graph but the quarantine.  (At the start of a full run
#: the reasoner's graphs are empty; what it writes into them while it goes is true, and reading
#: it again costs a little and changes nothing.)
PREMISES = Source(excluded=(QUARANTINE_GRAPH,))
FACTS = Source()
FACTS_AND_DEFAULT = Source(default=True)


def _target_graph_bind() -> str:
    """Kept triples go to the inferred graph, the others to the support graph."""
    subject_ok = f'isIRI(?s) && !STRSTARTS(STR(?s), "{ONTOLOGY_NS}") && !STRSTARTS(STR(?s), "{VOCAB_NS}")'
    return f"BIND(IF({subject_ok}, {iri(INFERRED_GRAPH)}, {iri(SUPPORT_GRAPH)}) AS ?tg)"


def _stored(head: str) -> str:
    """The triple ``head`` is a stored derived triple."""
    inferred, support = iri(INFERRED_GRAPH), iri(SUPPORT_GRAPH)
    return f"(EXISTS {{ GRAPH {inferred} {{ {head} }} }} || EXISTS {{ GRAPH {support} {{ {head} }} }})"


class _Run:
    """One reasoning run over one Oxigraph store (usually the staging copy of a write)."""

    def __init__(self, db: ox.Store, schema: Schema, progress: Progress) -> None:
        self.db = db
        self.schema = schema
        self.progress = progress

    # low-level
    def update(self, text: str) -> None:
        self.db.update(text)

    def count(self, graph: str | None) -> int:
        where = f"GRAPH {iri(graph)} {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
        for row in self.db.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ {where} }}"):  # type: ignore[union-attr]
            return int(row[0].value)
        return 0

    def empty(self, graph: str) -> bool:
        return not bool(self.db.query(f"ASK {{ GRAPH {iri(graph)} {{ ?s ?p ?o }} }}"))

    def clear(self, *graphs: str) -> None:
        for g in graphs:
            node = ox.NamedNode(g)
            if self.db.contains_named_graph(node):
                self.db.remove_graph(node)

    def clear_default(self) -> None:
        self.db.clear_graph(ox.DefaultGraph())

    def copy(self, source: str, target: str) -> None:
        self.update(f"INSERT {{ GRAPH {iri(target)} {{ ?s ?p ?o }} }} WHERE {{ GRAPH {iri(source)} {{ ?s ?p ?o }} }}")

    def targets(self) -> Iterator[tuple[str, bool]]:
        """What the rules derive: (IRI, is a class)."""
        for q in self.schema.derived_properties:
            yield q, False
        for c in self.schema.kept_classes:
            yield c, True

    # derivation --------------------------------------------------------------------------------

    def derive_local(self, src: Source, *, bulk: bool, record: str | None, schema: Schema | None = None) -> None:
        """Every triple that one premise read from ``src`` entails, unless it is true already.
        ``bulk``: ``src`` is large, whole extents are compared (MINUS); otherwise ``src`` is a
        small delta and each candidate is probed (NOT EXISTS)."""
        rules = schema or self.schema
        for target, is_class in self.targets():
            bodies = local_bodies(rules, target, src, is_class=is_class)
            if bodies:
                head = head_triple(target, is_class=is_class)
                self.update(self._insert_new(head, " UNION ".join(bodies), is_class, bulk=bulk, record=record))

    def derive_chains(self, delta: Source | None, *, record: str | None) -> None:
        """Chains and transitive properties.  ``delta=None``: over all facts (hash joins);
        else semi-naively, one step read from ``delta`` and the others from all facts."""
        for chain in self.schema.chains:
            head = f"?s {iri(chain.head)} ?o"
            n = len(chain.steps)
            if delta is None:
                body = chain_body(chain, [FACTS] * n, hash_join=True)
                self.update(self._insert_new(head, body, False, bulk=True, record=record))
                continue
            for i in range(n):
                sources = [delta if j == i else FACTS for j in range(n)]
                body = chain_body(chain, sources, hash_join=False, first=i)
                self.update(self._insert_new(head, body, False, bulk=False, record=record))

    @staticmethod
    def _insert_new(head: str, body: str, is_class: bool, *, bulk: bool, record: str | None) -> str:
        variables = "?s" if is_class else "?s ?o"
        if bulk:
            novelty = f"MINUS {{ GRAPH ?h {{ {head} }} }}"
        else:
            # LATERAL: probe once per distinct candidate, not once per row of the body
            novelty = f"LATERAL {{ FILTER NOT EXISTS {{ GRAPH ?h {{ {head} }} }} }}"
        template = f"GRAPH ?tg {{ {head} }}"
        if record is not None:
            template += f" GRAPH {iri(record)} {{ {head} }}"
        return (
            f"INSERT {{ {template} }} WHERE {{ "
            f"{{ SELECT DISTINCT {variables} WHERE {{ {body} }} }} {novelty} {_target_graph_bind()} }}"
        )

    def saturate(self, seed: str | None) -> int:
        """Run every rule to a fixpoint.  ``seed=None``: from the premises alone (a full run);
        else from the triples in the graph ``seed``, which are true already but whose
        consequences may not all be stored.  Returns the number of rounds.

        Rules with one premise are composed at compile time (a sub-property of an inverse of...),
        so applying them once to a triple gives everything they can give, and only what the
        chains add needs another round (semi-naive: each round joins only the previous round's
        triples with everything)."""
        new, chained, spare = _WORK["new"], _WORK["chained"], _WORK["chained-next"]
        self.clear(new, chained, spare)
        if seed is None:
            self.progress("reasoning: one-premise rules", 0, None)
            self.derive_local(PREMISES, bulk=True, record=None)
            self.progress("reasoning: property chains", 0, None)
            self.derive_chains(None, record=chained)
        else:
            self.derive_local(Source(name=seed), bulk=False, record=new)
            self.copy(seed, new)
            self.derive_chains(Source(name=new), record=chained)
        rounds = 1
        after = after_chains(self.schema)
        while not self.empty(chained):
            rounds += 1
            self.progress("reasoning: round", rounds, None)
            self.clear(new)
            self.derive_local(Source(name=chained), bulk=False, record=new, schema=after)
            self.copy(new, chained)  # the delta of this round: what the chains gave, and its consequences
            self.derive_chains(Source(name=chained), record=spare)
            self.clear(chained)
            chained, spare = spare, chained
        self.clear(new, chained, spare)
        return rounds

    # incremental maintenance --------------------------------------------------------------------

    def overdelete(self) -> int:
        """Every stored derived triple with a derivation that used a retracted premise (the
        default graph), transitively: the DRed over-estimate of what may no longer hold.  Left
        in the work graph ``over``."""
        over, odelta, onew = _WORK["over"], _WORK["over-delta"], _WORK["over-new"]
        self.clear(over, odelta, onew)
        delta: Source = DEFAULT_GRAPH
        while True:
            for target, is_class in self.targets():
                bodies = local_bodies(self.schema, target, delta, is_class=is_class)
                if bodies:
                    head = head_triple(target, is_class=is_class)
                    self.update(self._overdelete_statement(head, " UNION ".join(bodies), is_class))
            for chain in self.schema.chains:
                head = f"?s {iri(chain.head)} ?o"
                n = len(chain.steps)
                for i in range(n):
                    # the other steps read the state before the change: facts plus retracted premises
                    sources = [delta if j == i else FACTS_AND_DEFAULT for j in range(n)]
                    body = chain_body(chain, sources, hash_join=False, first=i)
                    self.update(self._overdelete_statement(head, body, False))
            self.clear(odelta)
            if self.empty(onew):
                break
            self.copy(onew, over)
            self.update(f"MOVE {iri(onew)} TO {iri(odelta)}")
            delta = Source(name=odelta)
        return self.count(over)

    @staticmethod
    def _overdelete_statement(head: str, body: str, is_class: bool) -> str:
        over, onew = _WORK["over"], _WORK["over-new"]
        return (
            f"INSERT {{ GRAPH {iri(onew)} {{ {head} }} }} WHERE {{ "
            f"{{ SELECT DISTINCT {'?s' if is_class else '?s ?o'} WHERE {{ {body} }} }} "
            f"LATERAL {{ FILTER ({_stored(head)} && NOT EXISTS {{ GRAPH {iri(over)} {{ {head} }} }}) }} }}"
        )

    def rederive(self, seed: str) -> int:
        """The candidates (default graph) that still follow in one step from what is true now go
        back into the stored closure, and into ``seed`` for the insertion phase."""
        plus = _WORK["plus"]
        for target, is_class in self.targets():
            head = head_triple(target, is_class=is_class)
            alternatives = [f"EXISTS {{ {b} }}" for b in local_bodies(self.schema, target, FACTS, is_class=is_class)]
            for chain in self.schema.chains:
                if not is_class and chain.head == target:
                    body = chain_body(chain, [FACTS] * len(chain.steps), hash_join=False)
                    alternatives.append(f"EXISTS {{ {body} }}")
            if alternatives:
                self.update(
                    f"INSERT {{ GRAPH ?tg {{ {head} }} GRAPH {iri(seed)} {{ {head} }} }} WHERE {{ {head} "
                    f"FILTER NOT EXISTS {{ GRAPH {iri(plus)} {{ {head} }} }} "
                    f"FILTER ({' || '.join(alternatives)}) {_target_graph_bind()} }}"
                )
        return self.count(seed)

    def check_literals(self) -> None:
        """owlrl lets a literal become a subject (through an inverse); Oxigraph cannot store such
        a triple.  That only changes the answer when the literal then sits in a property chain,
        so that case is refused rather than answered differently."""
        hazards = self.schema.literal_hazards
        if not hazards:
            return
        groups = " UNION ".join(f"{{ GRAPH ?g {{ ?s {iri(p)} ?o }} BIND({iri(p)} AS ?p) }}" for p in hazards)
        found = self.db.query(f"SELECT ?s ?p ?o WHERE {{ {groups} FILTER(isLiteral(?o)) }} LIMIT 1")
        for row in found:  # type: ignore[union-attr]
            raise ReasoningError(
                f"{row['s']} has the literal {row['o']} as value of {row['p']}, whose inverse feeds a property "
                "chain; the fast engine cannot follow a literal there",
                hint="fix the record (that property takes a resource) or reason with engine='owlrl'",
            )


# -- state -----------------------------------------------------------------------------------------


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


def _stored_fingerprint(db: ox.Store) -> str | None:
    for q in db.quads_for_pattern(
        ox.NamedNode(_STATE_NODE), ox.NamedNode(_STATE_FINGERPRINT), None, ox.NamedNode(STATE_GRAPH)
    ):
        if isinstance(q.object, ox.Literal):
            return q.object.value
    return None


def _write_state(db: ox.Store, fingerprint: str | None, engine: str) -> None:
    node = ox.NamedNode(STATE_GRAPH)
    if db.contains_named_graph(node):
        db.remove_graph(node)
    if fingerprint is None:
        return
    db.extend(
        [
            ox.Quad(ox.NamedNode(_STATE_NODE), ox.NamedNode(_STATE_FINGERPRINT), ox.Literal(fingerprint), node),
            ox.Quad(ox.NamedNode(_STATE_NODE), ox.NamedNode(_STATE_ENGINE), ox.Literal(engine), node),
        ]
    )


# -- the public API --------------------------------------------------------------------------------


def _noop(_stage: str, _done: int, _total: int | None) -> None:
    return None


def _replace_graph(db: ox.Store, name: URIRef, g: Triples | None) -> None:
    node = ox.NamedNode(str(name))
    if db.contains_named_graph(node):
        db.remove_graph(node)
    if g is not None and len(g):
        db.extend(graph_quads(g, name))


def _ensure_ontology(db: ox.Store, onto: Graph) -> None:
    _replace_graph(db, URIRef(ONTOLOGY_GRAPH), onto)


def recompute(
    db: ox.Store,
    *,
    engine: Engine = "fast",
    ontology: Graph | None = None,
    progress: Progress = _noop,
) -> InferenceStats:
    """Make the inferred graph from scratch from the premises in ``db`` (writes the ontology
    graph too).  ``db`` is usually the staging store of an :meth:`OxigraphStore.write`."""
    started = time.perf_counter()
    _check_engine(engine)
    onto = ontology if ontology is not None else ontology_graph()
    schema = compile_schema(onto) if engine == "fast" else None  # refuses before anything is written
    _ensure_ontology(db, onto)
    for g in (INFERRED_GRAPH, SUPPORT_GRAPH, STATE_GRAPH, *_WORK.values()):
        _replace_graph(db, URIRef(g), None)
    db.clear_graph(ox.DefaultGraph())
    if schema is None:
        return _recompute_owlrl(db, onto, started)
    run = _Run(db, schema, progress)
    rounds = run.saturate(None)
    run.check_literals()
    _write_state(db, _fingerprint(schema, onto), ENGINE_VERSION)
    return InferenceStats("fast", "full", time.perf_counter() - started, rounds, inferred=run.count(INFERRED_GRAPH))


def _check_engine(engine: str) -> None:
    if engine not in ENGINES:
        raise TrialgraphError(f"unknown reasoner {engine!r}", hint="use one of: " + ", ".join(ENGINES))


def premises_graph(db: ox.Store) -> Graph:
    """Every premise triple (record graphs and the ontology graph) in one rdflib graph."""
    out = Graph()
    for name in db.named_graphs():
        if not isinstance(name, ox.NamedNode) or name.value in _NOT_PREMISES or is_reasoner_graph(name.value):
            continue
        for q in db.quads_for_pattern(None, None, None, name):
            out.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))  # type: ignore[arg-type]
    return out


def _recompute_owlrl(db: ox.Store, onto: Graph, started: float) -> InferenceStats:
    data = premises_graph(db)
    inferred = owlrl_inferred(data, onto)
    _replace_graph(db, URIRef(INFERRED_GRAPH), inferred)
    _write_state(db, None, "owlrl")
    return InferenceStats("owlrl", "full", time.perf_counter() - started, 1, inferred=len(inferred))


def needs_recompute(db: ox.Store, *, engine: Engine = "fast", ontology: Graph | None = None) -> bool:
    """Whether :func:`maintain` on ``db`` would remake the closure from scratch whatever
    changes (no closure stored, one made for another ontology, or the owlrl engine).  A caller
    with many records to write then loads them in bulk and calls :func:`recompute` itself."""
    _check_engine(engine)
    if engine == "owlrl" or not db.contains_named_graph(ox.NamedNode(ONTOLOGY_GRAPH)):
        return True
    onto = ontology if ontology is not None else ontology_graph()
    return _stored_fingerprint(db) != _fingerprint(compile_schema(onto), onto)


def maintain(
    db: ox.Store,
    replaced: Mapping[URIRef, Triples | None],
    *,
    engine: Engine = "fast",
    ontology: Graph | None = None,
    progress: Progress = _noop,
) -> InferenceStats:
    """Write the record graphs in ``replaced`` (``None`` retracts that record) and bring the
    inferred graph up to date.  Incremental when the store holds a closure the fast engine
    made with the same ontology; from scratch otherwise (or with ``engine="owlrl"``).

    ``db`` is usually the staging store of an :meth:`OxigraphStore.write`, so the records and
    their inferences land in one atomic write."""
    _check_engine(engine)
    for name in replaced:
        if is_reasoner_graph(name) or str(name) in (ONTOLOGY_GRAPH, QUARANTINE_GRAPH):
            raise TrialgraphError(f"{name} is not a source-record graph", hint="pass record graphs only")
    onto = ontology if ontology is not None else ontology_graph()
    if engine == "owlrl":
        for name, g in replaced.items():
            _replace_graph(db, name, g)
        return recompute(db, engine="owlrl", ontology=onto, progress=progress)
    schema = compile_schema(onto)
    fingerprint = _fingerprint(schema, onto)
    if _stored_fingerprint(db) != fingerprint or not db.contains_named_graph(ox.NamedNode(ONTOLOGY_GRAPH)):
        for name, g in replaced.items():
            _replace_graph(db, name, g)
        return recompute(db, engine="fast", ontology=onto, progress=progress)
    if not replaced:
        return InferenceStats("fast", "unchanged")
    if len(replaced) > max(LARGE_BATCH, sum(1 for _ in db.named_graphs()) // 4):
        # most of the store changes: one pass over everything beats probing each change
        for name, g in replaced.items():
            _replace_graph(db, name, g)
        return recompute(db, engine="fast", ontology=onto, progress=progress)
    return _incremental(db, schema, replaced, progress)


def _incremental(
    db: ox.Store, schema: Schema, replaced: Mapping[URIRef, Triples | None], progress: Progress
) -> InferenceStats:
    """DRed: delete what may have depended on retracted premises, rederive what still holds,
    insert the consequences of new premises and of what was rederived."""
    started = time.perf_counter()
    run = _Run(db, schema, progress)
    plus, over, seed = _WORK["plus"], _WORK["over"], _WORK["seed"]
    run.clear(*_WORK.values())
    run.clear_default()
    # new premises: what the records assert now and no premise asserted before (a triple the
    # closure held is one: it moves from derived to asserted)
    db.extend(
        ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph())
        for name, g in replaced.items()
        if g is not None
        for q in graph_quads(g, name)
    )
    run.update(
        f"INSERT {{ GRAPH {iri(plus)} {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o "
        f"FILTER(NOT EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} }} || {_stored('?s ?p ?o')}) }}"
    )
    run.clear_default()
    # retracted premises: what the records asserted before and no premise asserts now
    for name in replaced:
        if db.contains_named_graph(ox.NamedNode(str(name))):
            run.update(f"INSERT {{ ?s ?p ?o }} WHERE {{ GRAPH {iri(str(name))} {{ ?s ?p ?o }} }}")
    for name, g in replaced.items():
        _replace_graph(db, name, g)
    run.update("DELETE { ?s ?p ?o } WHERE { ?s ?p ?o FILTER EXISTS { GRAPH ?g { ?s ?p ?o } } }")
    progress("reasoning: over-delete", 0, None)
    overdeleted = run.overdelete()
    for graph in (plus, over):
        for stored in (INFERRED_GRAPH, SUPPORT_GRAPH):
            run.update(
                f"DELETE {{ GRAPH {iri(stored)} {{ ?s ?p ?o }} }} WHERE {{ GRAPH {iri(graph)} {{ ?s ?p ?o }} "
                f"GRAPH {iri(stored)} {{ ?s ?p ?o }} }}"
            )
    # the candidates for rederivation join the retracted premises in the default graph
    run.update(f"ADD {iri(over)} TO DEFAULT")
    run.clear(over)
    progress("reasoning: rederive", 0, None)
    rederived = run.rederive(seed)
    run.clear_default()
    run.copy(plus, seed)
    rounds = run.saturate(seed)
    run.check_literals()
    run.clear(*_WORK.values())
    return InferenceStats(
        "fast", "incremental", time.perf_counter() - started, rounds, overdeleted=overdeleted, rederived=rederived
    )


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
    atomically.  ``from_scratch`` remakes the whole closure (after the records are written)."""
    with store.write() as w:
        stats = maintain(w.db, replaced or {}, engine=engine, ontology=ontology, progress=progress)
        if from_scratch and stats.mode != "full":
            stats = recompute(w.db, engine=engine, ontology=ontology, progress=progress)
        return stats


def inferred_for(data: Graph, *, engine: Engine = "fast", ontology: Graph | None = None) -> Graph:
    """The inferred triples of an in-memory graph, under the definition above."""
    _check_engine(engine)
    onto = ontology if ontology is not None else ontology_graph()
    if engine == "owlrl":
        return owlrl_inferred(data, onto)
    db = ox.Store()
    _replace_graph(db, URIRef(GRAPH_NS + "input"), data)
    recompute(db, engine="fast", ontology=onto)
    return graph_of(db, INFERRED_GRAPH)


def graph_of(db: ox.Store, name: str) -> Graph:
    """One named graph of an Oxigraph store, as an rdflib graph."""
    out = Graph()
    for q in db.quads_for_pattern(None, None, None, ox.NamedNode(name)):
        out.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))  # type: ignore[arg-type]
    return out
