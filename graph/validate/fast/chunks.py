"""A chunk of the store validated in a worker: its records read with one ``SELECT`` as TSV
text, turned into terms once per process, indexed, evaluated, and summed up as digests.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rdflib import RDF, RDFS, Literal, URIRef
from rdflib.term import Node

from graph.digest import key_hash, node_key
from graph.processes import no_full_gc
from graph.sparql import internal_query, with_tokens
from graph.validate.fast.evaluate import Context, evaluate
from graph.validate.fast.index import View, put_triple
from graph.validate.fast.kept import ANY_TIME, HASH_MASK, LOAD_TIME_TOKEN, ChunkOut, Digests, Unit
from graph.validate.fast.plan import Plan
from graph.validate.fast.records import STATE, finding_of
from graph.validate.fast.terms import TYPE_HASH, from_ox, term_token, text_term


class OxConverter:
    """Oxigraph terms to (rdflib term, hash of its key), cached per process: IRIs repeat across
    records, and an Oxigraph term hashes and compares in Rust."""

    LIMIT = 1_000_000

    def __init__(self) -> None:
        self.cache: dict[Any, tuple[Node, int]] = {}

    def get(self, t: Any) -> tuple[Node, int]:
        hit = self.cache.get(t)
        if hit is None:
            node = from_ox(t)
            if len(self.cache) > self.LIMIT:
                self.cache.clear()
            hit = self.cache[t] = (node, key_hash(node_key(node)))
        return hit


class TextTerms:
    """Terms written as text (SPARQL TSV results: N-Triples, with bare numbers and booleans) to
    (rdflib term, hash of its key), cached per process.  The shapes' own terms are cached first,
    so data terms are the very objects the compiled shapes hold: rdflib compares equal terms that
    are not the same object in Python, which is most of a lookup's cost."""

    LIMIT = 500_000

    def __init__(self, plan: Plan | None = None) -> None:
        self.cache: dict[str, tuple[Node, int]] = {}
        self._seed: dict[str, tuple[Node, int]] = {}
        if plan is not None:
            from pyshacl.consts import RDF_type, RDFS_subClassOf

            for node in (*plan.canonical.values(), RDF_type, RDFS_subClassOf):
                self._seed_term(node)
            for triple in plan.shapes:
                for node in triple:
                    self._seed_term(node)
        self.cache.update(self._seed)

    def _seed_term(self, node: Node) -> None:
        if isinstance(node, URIRef | Literal):
            token = term_token(node)
            if token is not None and token not in self._seed:
                self._seed[token] = (node, key_hash(node_key(node)))

    def get(self, token: str) -> tuple[Node, int]:
        hit = self.cache.get(token)
        if hit is None:
            node = text_term(token)
            if len(self.cache) > self.LIMIT:
                self.cache.clear()
                self.cache.update(self._seed)
            hit = self.cache[token] = (node, key_hash(node_key(node)))
        return hit


class StoreChunk:
    """The triples of a chunk of records, deduplicated by Oxigraph (``SELECT DISTINCT`` over
    the chunk's graphs, so a site, organisation or country that many records describe is
    decoded once per chunk), indexed for :class:`View`, with a digest of every node."""

    def __init__(self, plan: Plan) -> None:
        #: predicates the shapes read, as text (``None``: all); other triples cannot change a result
        self.observed = None if plan.observed is None else {f"<{p}>" for p in plan.observed}
        #: predicates targets look up by predicate (the others are only read subject first)
        self.indexed = {f"<{p}>" for p in _target_predicates(plan)}
        self.out: dict[Node, dict[Node, set[Node]]] = {}
        self.by_pred: dict[Node, dict[tuple[Node, Node], None]] = defaultdict(dict)
        self.full: dict[int, int] = {}
        self.types: dict[int, int] = {}
        self.objects: set[int] = set()
        #: nodes given a load time
        self.timed: set[int] = set()

    def add_tsv(self, data: bytes, terms: TextTerms) -> None:
        """Rows ``?s ?p ?o`` in SPARQL TSV (the first line names the variables)."""
        cache = terms.cache
        get = terms.get
        out = self.out
        by_pred = self.by_pred
        full = self.full
        types = self.types
        objects = self.objects
        observed = self.observed
        indexed = self.indexed
        lines = data.decode("utf-8").split("\n")
        for line in lines[1:]:
            if not line:
                continue
            st, pt, ot = line.split("\t")
            if observed is not None and pt not in observed:
                continue
            s, hs = cache.get(st) or get(st)
            p, hp = cache.get(pt) or get(pt)
            o, ho = cache.get(ot) or get(ot)
            if pt == LOAD_TIME_TOKEN:
                self.timed.add(hs)
                h = hash((hp, ANY_TIME))
            else:
                h = hash((hp, ho))
            full[hs] = (full.get(hs, 0) + h) & HASH_MASK
            if hp == TYPE_HASH:
                types[hs] = (types.get(hs, 0) + h) & HASH_MASK
            if type(o) is not Literal:
                objects.add(ho)
            put_triple(out, s, p, o)
            if pt in indexed:
                by_pred[p][(s, o)] = None

    @staticmethod
    def nodes_for(wanted: set[int], data: bytes, terms: TextTerms) -> dict[int, Node]:
        """The nodes behind some hashes, from rows as :meth:`add_tsv` reads them."""
        found: dict[int, Node] = {}
        for line in data.decode("utf-8").split("\n")[1:]:
            if line:
                for token in line.split("\t"):
                    node, h = terms.get(token)
                    if h in wanted:
                        found[h] = node
        return found

    def view(self, hierarchy: Iterable[tuple[Node, Node]] | None) -> View:
        return View.from_index(self.out, self.by_pred, hierarchy)

    def digests(self) -> Digests:
        return Digests.of(self.full, self.types, self.objects)


def _target_predicates(plan: Plan) -> set[Node]:
    """Predicates that union-mode evaluation looks up by predicate: types, the class hierarchy
    and the predicates of targets (``sh:sparql`` runs on the store, not on the index)."""
    found: set[Node] = {RDF.type, RDFS.subClassOf}
    for _cs, targets in plan.top:
        found.update(targets.subjects_of)
        found.update(targets.objects_of)
        for kind, a, b in targets.patterns:
            found.add(b if kind == "o" else a)
    return found


def chunk_rows(db: Any, names: Sequence[str]) -> bytes:
    """The distinct triples of some record graphs as SPARQL TSV: Oxigraph joins and deduplicates
    them on its encoded terms and decodes each distinct triple once, without the graph name.
    (Restricting the predicates in the query costs more than decoding the few others.)"""
    import pyoxigraph as ox

    text = with_tokens(internal_query("internal/chunk-triples"), "g", (f"<{n}>" for n in names))
    return bytes(db.query(text).serialize(format=ox.QueryResultsFormat.TSV))


def store_units(db: Any, names: Sequence[str]) -> dict[str, Unit]:
    """Who each record belongs to: (preferred trial id, source file), as
    :func:`graph.validate.findings.unit_owner` reads them from the record graph; one query for the
    whole store and each kind of triple (per chunk, Oxigraph would scan every graph each time,
    and an ``OPTIONAL`` join costs more than the three queries)."""
    wanted = set(names)
    if not wanted:
        return {}
    trials: dict[str, dict[str, list[str]]] = defaultdict(dict)
    sources: dict[str, list[str]] = defaultdict(list)
    for row in db.query(internal_query("internal/unit-trials")):
        if row[0].value in wanted:
            trials[row[0].value].setdefault(row[1].value, [])
    for row in db.query(internal_query("internal/unit-identifiers")):
        ids = trials.get(row[0].value, {}).get(row[1].value)
        if ids is not None:
            ids.append(row[2].value)
    for row in db.query(internal_query("internal/unit-source-files")):
        if row[0].value in wanted:
            sources[row[0].value].append(row[1].value)
    units = {}
    for name in names:
        trial = ""
        own = trials.get(name)
        if own:
            first = min(own)
            trial = min(own[first]) if own[first] else first
        units[name] = Unit(name, trial, min(sources[name]) if sources.get(name) else "")
    return units


def chunk_eval(
    plan: Plan,
    chunk: StoreChunk,
    units: list[Unit],
    target_sets: Mapping[str, set[Node]],
    hierarchy: list[tuple[Node, Node]],
) -> ChunkOut:
    """One chunk of records, validated together: findings, and a digest of every node's triples
    (to find nodes that chunks see differently)."""
    ctx = Context(plan, chunk.view(hierarchy), target_sets=target_sets, present_only=True)
    findings = [(r.focus, finding_of(plan, r)) for r in evaluate(ctx)]
    return ChunkOut(units, chunk.digests(), findings, dict(ctx.sparql_foci), timed=chunk.timed)


def union_chunk(task: tuple[list[str], bytes | None, list[Unit]]) -> ChunkOut:
    """A worker's share: a chunk of records, read from the store (on disk) or sent as rows."""
    with no_full_gc():
        return _one_chunk(*task)


def _one_chunk(names: list[str], rows: bytes | None, units: list[Unit]) -> ChunkOut:
    plan = STATE["plan"]
    terms = STATE.get("terms")
    if terms is None:
        terms = STATE["terms"] = TextTerms(plan)
    if rows is None:
        rows = chunk_rows(STATE["db"], names)
    chunk = StoreChunk(plan)
    chunk.add_tsv(rows, terms)
    return chunk_eval(plan, chunk, units, STATE["target_sets"], STATE["hierarchy"])
