"""Cross-record correction: the nodes that chunks saw differently, and those whose result
depends on them, evaluated again on everything the store's records say about them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from rdflib import RDF, Literal
from rdflib.term import Node

from graph.sparql import with_values
from graph.store.layout import is_record_graph, record_graph_filter
from graph.validate.fast.chunks import OxConverter, StoreChunk, TextTerms, chunk_rows
from graph.validate.fast.evaluate import Context, validate_shape
from graph.validate.fast.index import Triple, View
from graph.validate.fast.kept import NO_DIGESTS, ChunkOut
from graph.validate.fast.plan import Plan, Targets
from graph.validate.fast.records import finding_of
from graph.validate.fast.terms import term_hash
from graph.validate.report import Finding


class ChunkFold:
    """Chunk results folded as they arrive: each chunk's digests are compared with what earlier
    chunks said and then dropped, so the digests of all chunks are never held at once."""

    def __init__(self) -> None:
        self.outs: list[ChunkOut] = []
        #: node hash -> the first digest of its triples and of its types
        self.seen: dict[int, tuple[int, int]] = {}
        self.divergent: set[int] = set()
        self.retyped: set[int] = set()
        #: divergent node hash -> index of a chunk that holds the node
        self.where: dict[int, int] = {}
        #: whether every chunk said what its records mention
        self.complete = True
        #: node hash -> the chunk that gave it a load time
        self.timed: dict[int, int] = {}

    def mentioned(self, wanted: set[int]) -> dict[int, list[int]]:
        """For each of the ``wanted`` node hashes that some chunk mentions: every chunk that
        does."""
        import struct

        found: dict[int, list[int]] = {}
        for index, out in enumerate(self.outs):
            if out.mentions is None:
                continue
            for h in wanted.intersection(struct.unpack(f"<{len(out.mentions) // 8}q", out.mentions)):
                found.setdefault(h, []).append(index)
        return found

    def add(self, out: ChunkOut) -> None:
        index = len(self.outs)
        if out.mentions is None:
            self.complete = False
        for h in out.timed:
            if self.timed.setdefault(h, index) != index:
                self.divergent.add(h)
                self.where.setdefault(h, index)
        keys, full, types = out.digests
        seen = self.seen
        for h, d in zip(keys, zip(full, types, strict=True), strict=True):
            prev = seen.setdefault(h, d)
            if prev != d:
                self.divergent.add(h)
                self.where.setdefault(h, index)
                if prev[1] != d[1]:
                    self.retyped.add(h)
        out.digests = NO_DIGESTS
        self.outs.append(out)


def correct_divergent(
    store: Any,
    plan: Plan,
    fold: ChunkFold,
    findings: list[tuple[Node, Finding]],
    target_sets: Mapping[str, set[Node]],
    hierarchy: list[tuple[Node, Node]],
    sparql_foci: dict[Node, set[Node]],
) -> tuple[list[tuple[Node, Finding]], int]:
    """Nodes that records describe differently are evaluated again on everything the records
    say about them, read from the store node by node; so are the nodes whose result depends on
    them (those pointing at a node whose types differ, for ``sh:class``, or pointing at it through
    a predicate whose values are checked against a nested shape).  Their findings replace the
    per-chunk ones.  Returns the findings and the number of nodes evaluated again."""
    retyped = fold.retyped
    region = _Region(store, plan.deep)  # the folded chunks hold every record graph of the store
    nodes = region.resolve(fold)
    redo = set(nodes)
    for node in list(nodes):
        # a node whose types differ changes the result of every node pointing at it; otherwise
        # only the nodes pointing at it through a deep predicate (asking for those alone: a
        # shared node, such as a placebo, has a hundred thousand incoming triples)
        redo.update(region.parents(node, None if term_hash(node) in retyped else plan.deep))
    for node in redo:
        region.fetch(node, plan.depth)
    view = View(region.triples, hierarchy)
    ctx = Context(plan, view, target_sets=target_sets)
    fresh: list[tuple[Node, Finding]] = []
    for cs, targets in plan.top:
        foci = {n for n in redo if region.targets(targets, n, view, target_sets)}
        fresh.extend((r.focus, finding_of(plan, r)) for r in validate_shape(cs, foci, ctx)[1])
    for shape, foci in ctx.sparql_foci.items():
        sparql_foci[shape] |= foci
    redo_hashes = {term_hash(n) for n in redo}
    return [f for f in findings if term_hash(f[0]) not in redo_hashes] + fresh, len(redo)


_VALUES = f"SELECT DISTINCT ?p ?o WHERE {{ GRAPH ?g {{ ?node ?p ?o }} FILTER({record_graph_filter('g')}) }}"


class _Region:
    """What the source-record graphs of a store say about a few nodes, read node by node."""

    def __init__(self, store: Any, deep: frozenset[Node]) -> None:
        import pyoxigraph as ox

        self.db = store.reader()
        self.deep = deep
        self.conv = OxConverter()
        self.ox = ox
        self.triples: dict[Triple, None] = {}
        self.done: dict[Node, int] = {}
        self.typed: set[Node] = set()
        self._incoming: dict[tuple[Node, Node | None], bool] = {}

    def _quads(self, s: Node | None, p: Node | None, o: Node | None) -> Iterator[Any]:
        from graph.store.terms import to_ox

        for q in self.db.quads_for_pattern(
            None if s is None else to_ox(s), None if p is None else to_ox(p), None if o is None else to_ox(o), None
        ):
            if is_record_graph(q.graph_name.value):
                yield q

    def _values(self, node: Node) -> set[tuple[Any, Any]]:
        """The distinct (predicate, value) pairs the record graphs give ``node``, made distinct by
        the store: a shared node (a placebo, a country) has a triple in thousands of records."""
        text = with_values(_VALUES, {"node": node})
        return {(row[0], row[1]) for row in self.db.query(text)}

    def resolve(self, fold: ChunkFold) -> list[Node]:
        """The nodes behind the divergent hashes, read again from a chunk that holds each."""
        by_chunk: dict[int, set[int]] = defaultdict(set)
        for h in fold.divergent:
            by_chunk[fold.where[h]].add(h)
        found: list[Node] = []
        terms = TextTerms()
        for index, wanted in sorted(by_chunk.items()):
            rows = chunk_rows(self.db, [u.key for u in fold.outs[index].units])
            found.extend(StoreChunk.nodes_for(wanted, rows, terms).values())
        return found

    def term(self, t: Any) -> Node:
        return self.conv.get(t)[0]

    def parents(self, node: Node, predicates: Iterable[Node] | None) -> set[Node]:
        """The subject of every triple with ``node`` as object, in any record; only through
        ``predicates`` when given."""
        asked = [None] if predicates is None else list(predicates)
        return {self.term(s) for s in {q.subject for p in asked for q in self._quads(None, p, node)}}

    def has_incoming(self, node: Node, predicate: Node, subject: Node | None = None) -> bool:
        key = (node, predicate) if subject is None else (node, (subject, predicate))  # type: ignore[assignment]
        hit = self._incoming.get(key)  # type: ignore[arg-type]
        if hit is None:
            hit = self._incoming[key] = any(True for _ in self._quads(subject, predicate, node))  # type: ignore[index]
        return hit

    def fetch(self, node: Node, depth: int) -> None:
        """``node``'s triples, the types of its values, and (through deep predicates, up to
        ``depth`` levels) its values' triples.  A node many records describe is read once, and
        each value's types once."""
        if self.done.get(node, -1) >= depth:
            return
        self.done[node] = depth
        for p, o in {(self.term(p), self.term(o)) for p, o in self._values(node)}:
            self.triples[(node, p, o)] = None
            if isinstance(o, Literal):
                continue
            if depth > 0 and p in self.deep:
                self.fetch(o, depth - 1)
            else:
                self._types(o)

    def _types(self, node: Node) -> None:
        if node in self.typed:
            return
        self.typed.add(node)
        for t in {self.term(q.object) for q in self._quads(node, RDF.type, None)}:
            self.triples[(node, RDF.type, t)] = None

    def targets(self, targets: Targets, node: Node, view: View, target_sets: Mapping[str, set[Node]]) -> bool:
        """Whether a shape with ``targets`` targets ``node`` in the union of the records."""
        if node in targets.nodes:
            return True
        if any(node in view.instances(c) for c in targets.classes):
            return True
        own = view.out.get(node, {})
        if any(p in own for p in targets.subjects_of):
            return True
        if any(self.has_incoming(node, p) for p in targets.objects_of):
            return True
        for kind, a, b in targets.patterns:
            if kind == "s" and b in own.get(a, ()):
                return True
            if kind == "o" and self.has_incoming(node, b, a):
                return True
        return any(node in target_sets.get(text, ()) for text in targets.queries)
