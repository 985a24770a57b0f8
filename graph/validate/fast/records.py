"""Records one by one, as if plain pyshacl ran on each graph (the import check), in worker
processes; and the worker state both modes share.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from graph.validate.fast.evaluate import Context, evaluate
from graph.validate.fast.facts import query_facts
from graph.validate.fast.index import Triple, View, owner_of
from graph.validate.fast.kept import Kept
from graph.validate.fast.plan import Plan, Raw, compile_plan
from graph.validate.fast.sparql import SparqlRows, default_prefixes
from graph.validate.fast.terms import from_ox
from graph.validate.plain import pyshacl_findings, stored_term
from graph.validate.report import Finding, Issue, attribute, sorted_issues
from graph.validate.shapes import shapes_graph

#: Records per task sent to a worker.
CHUNK_SIZE = 400


def _record_issues(
    plan: Plan,
    key: str,
    triples: list[Triple],
    sparql_rows: dict[int, SparqlRows] | None = None,
    keep: Sequence[tuple[Any, Any, Any]] | None = None,
) -> tuple[str, list[Issue], Kept | None]:
    """A record's issues; with ``keep`` (its triples as Oxigraph terms), what union validation
    needs of it too."""
    owner = owner_of(triples)
    canonical = plan.canonical
    view = View([(s, canonical.get(p, p), o) for s, p, o in triples])
    ctx = Context(plan, view)
    if sparql_rows:
        ctx.sparql_rows = sparql_rows
    raws = evaluate(ctx)
    findings = [finding_of(plan, r) for r in raws]
    if plan.fallback is not None:
        g = Graph()
        for t in triples:
            g.add(t)
        findings.extend(f for _focus, f in pyshacl_findings(g, plan.fallback))
    issues = sorted_issues(i for f in findings for i in attribute(f, [owner]))
    kept = Kept.of(plan, view, raws, findings, keep) if keep is not None and plan.fallback is None else None
    return key, issues, kept


def finding_of(plan: Plan, r: Raw) -> Finding:
    return plan.labeller.finding(
        focus=r.focus,
        path=r.path,
        value=r.value,
        shape=r.shape,
        component=r.component,
        severity=r.severity,
        messages=r.messages,
    )


def validate_records(
    graphs: Mapping[str, Graph | Iterable[Triple]],
    *,
    extra_shapes: Sequence[Path] = (),
    workers: int | None = None,
    shapes: Graph | None = None,
    plan: Plan | None = None,
) -> dict[str, list[Issue]]:
    """Each record graph validated on its own, in parallel: for every key the issues plain
    pyshacl gives on that graph (:func:`graph.validate.plain.validate_graph`), each naming the
    record's trial and source file.  Records with no issue map to an empty list.

    A record is an rdflib ``Graph`` or any iterable of rdflib ``(s, p, o)`` triples (a list, a
    generator, a set): the engine reads the triples once into its own index, so an importer
    need not build a ``Graph`` per record.  Repeated triples count once, as in a graph.
    ``plan``: the shapes compiled already (``compile_plan(shapes, "each")``), for a caller that
    validates many batches in one process."""
    shapes = plan.shapes if plan is not None else shapes if shapes is not None else shapes_graph(extra_shapes)
    items = [(key, [(s, p, _stored(o)) for s, p, o in g]) for key, g in graphs.items()]
    chunks = [items[i : i + CHUNK_SIZE] for i in range(0, len(items), CHUNK_SIZE)]
    out: dict[str, list[Issue]] = {}
    n = worker_count(workers, len(chunks))
    if n <= 1:
        plan = plan if plan is not None else compile_plan(shapes, "each")
        for chunk in chunks:
            out.update(_each(plan, chunk))
        return out
    with worker_pool(n, init_worker, (shapes, "each", None, {}, [])) as pool:
        for part in pool.map(_each_chunk, chunks):
            out.update(part)
    return out


def _stored(term: Node) -> Node:
    """:func:`graph.validate.plain.stored_term`, skipping the terms it would give back unchanged (IRIs,
    plain and language-tagged strings): rebuilding every literal cost a fifth of an import check.
    Repeated triples need no care: the index keeps sets."""
    if type(term) is not Literal or term.datatype is None:
        return term
    return stored_term(term)


def worker_count(requested: int | None, chunks: int) -> int:
    n = requested if requested is not None else (os.cpu_count() or 1)
    return max(1, min(n, chunks))


def worker_pool(n: int, initializer: Any, initargs: tuple[Any, ...]) -> Any:
    """Fresh worker processes that exit with this one (:mod:`graph.processes`)."""
    from graph.processes import pool

    return pool(n, initializer, initargs)


STATE: dict[str, Any] = {}


def init_worker(
    shapes: Graph, mode: str, db_path: str | None, target_sets: dict[str, set[Node]], hierarchy: list[tuple[Node, Node]]
) -> None:
    """Runs once per worker process: the shapes are compiled here, once."""
    STATE["plan"] = compile_plan(shapes, mode)
    STATE["target_sets"] = target_sets
    STATE["hierarchy"] = hierarchy
    if db_path is not None:
        import pyoxigraph as ox

        STATE["db"] = ox.Store.read_only(db_path)


def _each_chunk(chunk: list[tuple[str, list[Triple]]]) -> dict[str, list[Issue]]:
    return _each(STATE["plan"], chunk)


def _each(plan: Plan, chunk: list[tuple[str, list[Triple]]]) -> dict[str, list[Issue]]:
    """A chunk of records, each validated on its own."""
    rows = _chunk_sparql(plan, chunk)
    return {key: _record_issues(plan, key, triples, rows.get(key))[1] for key, triples in chunk}


def validate_and_keep(
    plan: Plan, records: Mapping[str, tuple[Sequence[Triple], Sequence[tuple[Any, Any, Any]]]]
) -> dict[str, tuple[list[Issue], Kept | None]]:
    """Each record on its own, as :func:`validate_records` does it (the triples in the form the
    store keeps them), and what :func:`validate_store` needs of each record later on
    (:class:`Kept`; ``None`` when the shapes need plain pyshacl)."""
    chunk = [(key, list(triples)) for key, (triples, _terms) in records.items()]
    rows = _chunk_sparql(plan, chunk)
    out = {}
    for key, triples in chunk:
        _key, issues, kept = _record_issues(plan, key, triples, rows.get(key), keep=records[key][1])
        out[key] = (issues, kept)
    return out


def _chunk_sparql(plan: Plan, chunk: list[tuple[str, list[Triple]]]) -> dict[str, dict[int, SparqlRows]]:
    """The rows of every SPARQL constraint for each record of a chunk, as pyshacl would get them
    running the query on that record's graph alone: Oxigraph runs it on each record's graph of
    one in-memory store (pyshacl's rdflib evaluation was half the time of an import check).
    Constraints whose ``$this`` cannot be left free are left to pyshacl (no rows here)."""
    import pyoxigraph as ox

    from graph.store.terms import to_ox

    helpers = [
        (h, predicates)
        for cs in plan.sparql_shapes.values()
        for kind, arg in cs.steps
        if kind == "sparql"
        for component, predicates in [arg]
        for h in component.sparql_constraints
        if not h.deactivated
    ]
    if not helpers or not chunk:
        return {}
    wanted = None if any(p is None for _h, p in helpers) else {p for _h, ps in helpers for p in ps}
    db = ox.Store()
    graphs = {key: ox.NamedNode(f"urn:x-trialgraph:record:{i}") for i, (key, _t) in enumerate(chunk)}
    db.extend(
        ox.Quad(to_ox(s), to_ox(p), to_ox(o), graphs[key])
        for key, triples in chunk
        for s, p, o in triples
        if wanted is None or p in wanted
    )
    out: dict[str, dict[int, SparqlRows]] = defaultdict(dict)
    for helper, _predicates in helpers:
        init, text = helper.pre_bind_variables(URIRef("urn:x-trialgraph:probe"))
        text = helper.apply_prefixes(text)
        bound = "this" in init
        facts = query_facts(text)
        if bound and not facts.this_free_is_safe:
            continue
        query = facts.with_this(text) if bound else text
        for key, graph in graphs.items():
            by_this: dict[Node | None, list[dict[str, Node]]] = defaultdict(list)
            solutions = db.query(query, prefixes=default_prefixes(), default_graph=[graph])
            names = [v.value for v in solutions.variables]  # type: ignore[union-attr]
            for sol in solutions:  # type: ignore[union-attr]
                row = {n: from_ox(sol[n]) for n in names if sol[n] is not None}
                by_this[row.get("this") if bound else None].append(row)
            out[key][id(helper)] = SparqlRows(by_this)
    return out
