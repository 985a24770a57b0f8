"""The whole store, as if plain pyshacl ran on the union of the source-record graphs
(``trialgraph validate``): chunks in parallel, folded, corrected across records, the SPARQL
parts run once, and each finding attributed to the records that mention its focus node.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import BNode, Graph, URIRef
from rdflib.term import Node

from graph.processes import frozen_gc, no_full_gc
from graph.sparql import internal_query, with_tokens
from graph.store.base import Store
from graph.validate.fast.chunks import StoreChunk, TextTerms, chunk_eval, chunk_rows, store_units, union_chunk
from graph.validate.fast.correct import ChunkFold, correct_divergent
from graph.validate.fast.evaluate import Context, validate_shape
from graph.validate.fast.index import View
from graph.validate.fast.kept import Kept, Unit
from graph.validate.fast.plan import Plan, compile_plan, local_sparql
from graph.validate.fast.records import CHUNK_SIZE, finding_of, init_worker, worker_count, worker_pool
from graph.validate.fast.sparql import Scope, rows_for, run_select
from graph.validate.fast.terms import from_ox, term_hash
from graph.validate.plain import pyshacl_findings, stored_term
from graph.validate.report import Finding, Issue, attribute, sorted_issues
from graph.validate.shapes import shapes_fingerprint, shapes_graph


@dataclass
class StoreValidation:
    issues: list[Issue]
    trials: list[str]
    records: int
    divergent_nodes: int = 0
    notes: list[str] = field(default_factory=list)
    #: nodes evaluated again because records describe them (or a node they depend on) differently
    rechecked_nodes: int = 0
    #: seconds per stage
    timings: dict[str, float] = field(default_factory=dict)
    #: record graphs read from the store and validated again (the others had kept results)
    records_read: int = 0


def validate_store(
    store: Store,
    *,
    extra_shapes: Sequence[Path] = (),
    workers: int | None = None,
    shapes: Graph | None = None,
    chunk_size: int = CHUNK_SIZE,
    kept: bool = True,
) -> StoreValidation:
    """The shapes over the union of every source-record graph in ``store``, with the findings
    plain pyshacl gives on that union, each attributed to every record holding its focus node.
    Worker processes open the store's database read-only when it has one on disk
    (:meth:`graph.store.base.Store.database_path`); otherwise each chunk's triples are read
    through the store's interface and sent to them.

    ``kept``: use the results a build kept for each record it validated (:class:`Kept`, in the
    ledger) instead of reading those records again; only records without kept results (or with
    results kept for other shapes) are read.  The cross-record part runs either way."""
    shapes = shapes if shapes is not None else shapes_graph(extra_shapes)
    with frozen_gc():
        return _validate_store(store, shapes, workers, chunk_size, kept)


def _validate_store(store: Store, shapes: Graph, workers: int | None, chunk_size: int, kept: bool) -> StoreValidation:
    import pyoxigraph as ox

    from graph.store.layout import is_record_graph

    db = store.reader()
    clock = _Clock()
    plan = compile_plan(shapes, "union")
    graphs = [g for g in db.named_graphs() if isinstance(g, ox.NamedNode)]
    everything = sorted(g.value for g in graphs if is_record_graph(g.value))
    scope = Scope(store, everything, graphs)
    hierarchy = _hierarchy(store, everything)
    target_sets = _target_sets(store, plan, scope)
    fold = ChunkFold()
    owners: dict[str, Unit] = {}
    reused: dict[str, Kept] = {}
    if kept and not hierarchy and not target_sets and plan.fallback is None and local_sparql(plan):
        with no_full_gc(freeze=True):  # the kept results live until the end
            reused = _kept_results(store, shapes, set(everything))
            for name in everything:
                if name in reused:
                    owners[name] = Unit(name, *reused[name].owner)
                    fold.add(reused[name].chunk(owners[name]))
    names = _ordered_units(store, [n for n in everything if n not in reused])
    owners.update(store_units(db, names))
    clock.lap("prepare")
    chunks = [names[i : i + chunk_size] for i in range(0, len(names), chunk_size)]
    n = worker_count(workers, len(chunks))
    path = store.database_path()
    if n <= 1:
        terms = TextTerms(plan)
        for names_ in chunks:
            with no_full_gc():
                chunk = StoreChunk(plan)
                chunk.add_tsv(chunk_rows(db, names_), terms)
                fold.add(chunk_eval(plan, chunk, [owners[n] for n in names_], target_sets, hierarchy))
    else:
        db_path = None if path is None else str(path)
        tasks = [(c, None if path else chunk_rows(db, c), [owners[n] for n in c]) for c in chunks]
        with worker_pool(n, init_worker, (shapes, "union", db_path, target_sets, hierarchy)) as pool:
            for out in pool.map(union_chunk, tasks):
                fold.add(out)
    clock.lap("records")
    result = _merge(store, plan, fold, scope, target_sets, hierarchy, clock)
    result.records_read = len(names)
    return result


def _kept_results(store: Any, shapes: Graph, names: set[str]) -> dict[str, Kept]:
    """The validation results the ledger keeps for the store's records, made with these shapes."""
    import graph.store.ledger as ledger

    fingerprint = shapes_fingerprint(shapes)
    out = {}
    for name, text in ledger.validations(store.reader()).items():
        if name in names:
            found = Kept.loads(text, fingerprint)
            if found is not None:
                out[name] = found
    return out


class _Clock:
    """Seconds per stage, for the benchmark's breakdown."""

    def __init__(self) -> None:
        import time

        self._now = time.perf_counter
        self.start = self.last = self._now()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = self._now()
        self.laps[name] = self.laps.get(name, 0.0) + now - self.last
        self.last = now


def _ordered_units(store: Any, names: list[str]) -> list[str]:
    """Source-record graph names, the records of one trial next to each other (so that a chunk
    usually holds all of a trial's records)."""
    if len(names) <= 1:
        return names
    trial_of: dict[str, str] = {}
    q = internal_query("internal/record-trials")
    for row in store.reader().query(q):  # plain strings: rdflib terms for 100,000 rows cost seconds
        trial_of.setdefault(row[0].value, row[1].value)
    return sorted(names, key=lambda n: (trial_of.get(n, "\uffff"), n))


def _hierarchy(store: Any, names: list[str]) -> list[tuple[Node, Node]]:
    """``rdfs:subClassOf`` pairs the records assert (the ontology's own are not data)."""
    wanted = set(names)
    out = []
    for sol in store.reader().query(internal_query("internal/record-subclasses")):
        if sol["g"].value in wanted:
            out.append((from_ox(sol["a"]), from_ox(sol["b"])))
    return out


def _target_sets(store: Any, plan: Plan, scope: Scope) -> dict[str, set[Node]]:
    """The SPARQL targets that are not one triple pattern, run once over the whole store."""
    out: dict[str, set[Node]] = {}
    for _cs, targets in plan.top:
        for text in targets.queries:
            if text not in out:
                out[text] = {r["this"] for r in run_select(store, text, scope) if "this" in r}
    return out


def _merge(
    store: Any,
    plan: Plan,
    fold: ChunkFold,
    scope: Scope,
    target_sets: Mapping[str, set[Node]],
    hierarchy: list[tuple[Node, Node]],
    clock: _Clock,
) -> StoreValidation:
    outs = fold.outs
    fold.seen = {}
    divergent = fold.divergent
    units = [u for o in outs for u in o.units]
    findings: list[tuple[Node, Finding]] = [f for o in outs for f in o.findings]
    sparql_foci: dict[Node, set[Node]] = defaultdict(set)
    for o in outs:
        for shape, foci in o.sparql_foci.items():
            sparql_foci[shape] |= foci
    clock.lap("merge")
    affected = 0
    if divergent:
        findings, affected = correct_divergent(store, plan, fold, findings, target_sets, hierarchy, sparql_foci)
    clock.lap("cross-record")
    findings.extend(_sparql_findings(store, plan, sparql_foci, scope))
    findings.extend(_explicit_targets(store, plan, units))
    clock.lap("sparql")
    if plan.fallback is not None:
        findings.extend(_fallback_union(store, plan))
        clock.lap("plain pyshacl")
    issues = sorted_issues(_attribute_all(store, findings, units, fold))
    trials = sorted({u.trial for u in units if u.trial})
    clock.lap("report")
    return StoreValidation(issues, trials, len(units), len(divergent), list(plan.notes), affected, clock.laps)


def _sparql_findings(
    store: Any, plan: Plan, sparql_foci: Mapping[Node, set[Node]], scope: Scope
) -> list[tuple[Node, Finding]]:
    """``sh:sparql`` constraints in union mode: each query runs once over the store with ``$this``
    free, and pyshacl's own code turns the rows of each focus node into results."""
    out: list[tuple[Node, Finding]] = []
    for shape_node, cs in plan.sparql_shapes.items():
        foci = sparql_foci.get(shape_node, set())
        if not foci or cs.deactivated:
            continue
        for kind, arg in cs.steps:
            if kind != "sparql":
                continue
            component = arg[0]
            for helper in component.sparql_constraints:
                if helper.deactivated:
                    continue
                rows = rows_for(store, helper, foci, scope)
                for f in foci:
                    _nc, reps = component._evaluate_sparql_constraint(helper, rows, {f: set()})
                    out.extend((r.focus, finding_of(plan, r)) for r in reps)
    return out


def _explicit_targets(store: Any, plan: Plan, units: list[Unit]) -> list[tuple[Node, Finding]]:
    """``sh:targetNode`` nodes that no record mentions: validated once, with no data."""
    wanted = {n for _cs, t in plan.top for n in t.nodes}
    if not wanted:
        return []
    present = _owners(store, wanted, {u.key: (u.trial, u.source) for u in units})
    missing = {n for n in wanted if n not in present}
    if not missing:
        return []
    ctx = Context(plan, View([]))
    out: list[tuple[Node, Finding]] = []
    for cs, targets in plan.top:
        foci = {n for n in targets.nodes if n in missing}
        out.extend((r.focus, finding_of(plan, r)) for r in validate_shape(cs, foci, ctx)[1])
    return out


def _fallback_union(store: Any, plan: Plan) -> list[tuple[Node, Finding]]:
    from graph.store.layout import asserted_data

    assert plan.fallback is not None
    return list(pyshacl_findings(asserted_data(store), plan.fallback))


#: Focus nodes per attribution query.
OWNER_BATCH = 2000


def _owners(
    store: Any, nodes: Iterable[Node], graphs: Mapping[str, tuple[str, str]]
) -> dict[Node, list[tuple[str, str]]]:
    """(trial, source file) of every record graph that mentions each node as subject or object,
    asked of the store for the nodes that have findings only (the graph names of the other
    triples are never decoded)."""
    import pyoxigraph as ox

    from graph.store.terms import to_ox

    db = store.reader()
    out: dict[Node, list[tuple[str, str]]] = defaultdict(list)
    by_token: dict[str, Node] = {}
    for node in dict.fromkeys(nodes):
        if isinstance(node, BNode):
            term = ox.BlankNode(str(node))
            quads = [
                *db.quads_for_pattern(term, None, None, None),
                *db.quads_for_pattern(None, None, term, None),
            ]
            for g in {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)}:
                if g in graphs:
                    out[node].append(graphs[g])
        else:
            by_token[str(to_ox(stored_term(node)))] = node
    tokens = list(by_token)
    for i in range(0, len(tokens), OWNER_BATCH):
        batch = tokens[i : i + OWNER_BATCH]
        seen: set[tuple[str, str]] = set()
        for name in ("internal/graphs-of-subjects", "internal/graphs-of-objects"):
            for row in db.query(with_tokens(internal_query(name), "f", batch)):
                pair = (str(row[0]), row[1].value)
                owner = graphs.get(pair[1])
                found = by_token.get(pair[0])
                if owner is not None and found is not None and pair not in seen:
                    seen.add(pair)
                    out[found].append(owner)
    return out


def _attribute_all(
    store: Any, findings: list[tuple[Node, Finding]], units: list[Unit], fold: ChunkFold | None = None
) -> list[Issue]:
    """Issues for the findings, each finding once (chunks that share a node all report it).
    When every chunk is one record whose kept results say what it mentions, a node's owners are
    the records that mention it, with no look-up (asking the store about a node that a thousand
    records mention, a common condition, cost 5 ms); the store is asked about the others."""
    unique = list(dict.fromkeys(findings))
    known: dict[Node, list[tuple[str, str]]] = {}
    if fold is not None and fold.complete:
        hashes = {n: term_hash(n) for n, _f in unique}
        mentioned = fold.mentioned(set(hashes.values()))
        for n, h in hashes.items():
            chunks = [fold.outs[i].units for i in mentioned.get(h, ())]
            if chunks and all(len(c) == 1 for c in chunks):
                known[n] = [(c[0].trial, c[0].source) for c in chunks]
    asked = (n for n, _f in unique if n not in known)
    owners = _owners(store, asked, {u.key: (u.trial, u.source) for u in units})
    owners.update(known)
    return [i for n, f in unique for i in attribute(f, owners.get(n, ()))]


def validate_union(
    graphs: Mapping[str, Graph],
    *,
    extra_shapes: Sequence[Path] = (),
    workers: int | None = None,
    shapes: Graph | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> StoreValidation:
    """:func:`validate_store` for record graphs held in memory (loaded into an in-memory store)."""
    from urllib.parse import quote

    from graph.constants import GRAPH_NS
    from graph.store.local import OxigraphStore

    store = OxigraphStore(None)
    with store.write() as w:
        for key, g in graphs.items():
            w.replace_graph(URIRef(f"{GRAPH_NS}units/{quote(key, safe='')}"), g)
    return validate_store(store, extra_shapes=extra_shapes, workers=workers, shapes=shapes, chunk_size=chunk_size)
