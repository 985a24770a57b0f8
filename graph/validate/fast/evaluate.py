"""Evaluating compiled shapes over a :class:`~graph.validate.fast.index.View`: focus nodes,
value components, and the logical and shape-based components (``sh:node``, ``sh:or``,
``sh:property``...) with pyshacl's semantics.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

from rdflib import URIRef
from rdflib.term import Node

from graph.validate.fast.index import QueryGraph, View
from graph.validate.fast.plan import ALLOWED, LOGIC_IRI, CShape, Plan, Raw, Targets
from graph.validate.fast.sparql import SparqlRows, query_predicates


class Context:
    """What one evaluation needs besides the shapes: the data, and the SPARQL answers."""

    def __init__(
        self,
        plan: Plan,
        view: View,
        *,
        target_sets: Mapping[str, set[Node]] | None = None,
        present_only: bool = False,
    ) -> None:
        self.plan = plan
        self.view = view
        self.target_sets = target_sets or {}
        #: union mode: foci of ``sh:sparql`` shapes, answered later over the whole store
        self.sparql_foci: dict[Node, set[Node]] = defaultdict(set)
        #: union mode: explicit target nodes count only where the data mentions them
        self.present_only = present_only
        self._graphs: dict[frozenset[URIRef] | None, QueryGraph] = {}
        #: each mode: the rows of each SPARQL constraint (by helper) over this record, worked
        #: out for a whole chunk of records by Oxigraph (see :func:`_chunk_sparql`)
        self.sparql_rows: dict[int, SparqlRows] = {}

    def graph(self, predicates: frozenset[URIRef] | None = None) -> QueryGraph:
        """The data as an rdflib graph for pyshacl's SPARQL code.  When the query can only match
        some predicates, only their triples are copied: same answers, far less copying."""
        g = self._graphs.get(predicates)
        if g is None:
            g = self._graphs[predicates] = QueryGraph(bind_namespaces="none")
            if predicates is None:
                for t in self.view.triples():
                    g.add(t)
            else:
                for p in predicates:
                    for s, o in self.view.by_pred.get(p, {}):
                        g.add((s, p, o))
        return g


def focus_nodes(targets: Targets, ctx: Context) -> set[Node]:
    view = ctx.view
    found: set[Node] = set()
    if ctx.present_only:
        present = view.nodes()
        found.update(n for n in targets.nodes if n in present)
    else:
        found.update(targets.nodes)
    for cls in targets.classes:
        found |= view.instances(cls)
    for p in targets.subjects_of:
        found |= view.subjects_of(p)
    for p in targets.objects_of:
        found |= view.objects_of(p)
    for kind, a, b in targets.patterns:
        if kind == "s":
            found |= view.subjects_with(a, b)
        else:
            found.update(view.values(a, b))
    for text in targets.queries:
        if ctx.plan.mode == "union":
            found |= ctx.target_sets.get(text, set()) & view.nodes()
        else:
            for row in ctx.graph(_predicates_of(text)).query(text):
                this = row["this"]  # type: ignore[index, call-overload]
                if this is not None:
                    found.add(this)
    return found


_PREDICATES_OF: dict[str, frozenset[URIRef] | None] = {}


def _predicates_of(text: str) -> frozenset[URIRef] | None:
    if text not in _PREDICATES_OF:
        found = query_predicates(text)
        _PREDICATES_OF[text] = frozenset(found) if found is not None else None
    return _PREDICATES_OF[text]


def validate_shape(cs: CShape, foci: Iterable[Node], ctx: Context) -> tuple[bool, list[Raw]]:
    """pyshacl's ``Shape.validate`` for given focus nodes: (conforms, results)."""
    focus_list = list(dict.fromkeys(foci))
    if cs.deactivated or not focus_list:
        return True, []
    view = ctx.view
    fv: dict[Node, set[Node] | frozenset[Node]]
    if cs.is_property:
        assert cs.path is not None
        values = view.values
        path = cs.path
        fv = {f: values(f, path) for f in focus_list}
    else:
        fv = {f: frozenset((f,)) for f in focus_list}
    allow_conform = cs.allow_conform
    non_conformant = False
    reports: list[Raw] = []
    for kind, arg in cs.steps:
        conform, reps = _step(kind, arg, cs, fv, ctx)
        if not conform and not allow_conform and not all(r.severity in ALLOWED for r in reps):
            non_conformant = True
        reports.extend(reps)
    return not non_conformant, reports


def _step(kind: str, arg: Any, cs: CShape, fv: dict[Node, Any], ctx: Context) -> tuple[bool, list[Raw]]:
    if kind == "value":
        conform, reps = arg.evaluate(ctx.plan.executor, ctx.view, fv, [])
        return bool(conform), list(reps)
    if kind == "sparql":
        ctx.sparql_foci[cs.node].update(fv)
        if ctx.plan.mode == "union":
            return True, []
        component, predicates = arg
        if not ctx.sparql_rows:
            conform, reps = component.evaluate(ctx.plan.executor, ctx.graph(predicates), fv, [])
            return bool(conform), list(reps)
        non_conformant = False
        found: list[Raw] = []
        for helper in component.sparql_constraints:
            if helper.deactivated:
                continue
            rows = ctx.sparql_rows.get(id(helper))
            target = rows if rows is not None else ctx.graph(predicates)
            nc, reps = component._evaluate_sparql_constraint(helper, target, fv)
            non_conformant = non_conformant or nc
            found.extend(reps)
        return not non_conformant, found
    if kind == "property":
        values = {v for vals in fv.values() for v in vals}
        non_conformant = False
        reports: list[Raw] = []
        for group in arg:
            for member in group:
                conform, reps = validate_shape(member, values, ctx)
                non_conformant = non_conformant or not conform
                reports.extend(reps)
        return not non_conformant, reports
    reports = []
    for group in arg:
        reports.extend(_logic(kind, group, cs, fv, ctx))
    return not reports, reports


def _logic(kind: str, members: list[CShape], cs: CShape, fv: dict[Node, Any], ctx: Context) -> list[Raw]:
    """One ``sh:node``/``sh:not`` shape or one ``sh:or``/``sh:and``/``sh:xone`` list: a result per
    failing value, in the name of the shape that holds the constraint.  ``sh:node`` fails on any
    result of the value; the others go by conformance, where warnings and infos conform (pyshacl
    runs with ``allow_warnings`` and ``allow_infos``)."""
    reports: list[Raw] = []
    if not members:
        return reports
    for f, values in fv.items():
        for v in values:
            if kind == "node":
                conform, reps = validate_shape(members[0], [v], ctx)
                failed = not conform or bool(reps)
            else:
                outcomes = [validate_shape(m, [v], ctx)[0] for m in members]
                if kind == "or":
                    failed = not any(outcomes)
                elif kind == "and":
                    failed = not all(outcomes)
                elif kind == "xone":
                    failed = sum(outcomes) != 1
                else:  # not
                    failed = outcomes[0]
            if failed:
                reports.append(_raw(cs, kind, f, v))
    return reports


def _raw(cs: CShape, kind: str, focus: Node, value: Node) -> Raw:
    return Raw(focus, cs.path if cs.is_property else None, value, cs.node, LOGIC_IRI[kind], cs.severity, cs.messages)


def evaluate(ctx: Context, keep: set[Node] | None = None) -> list[Raw]:
    """Every targeted shape over the context's data; ``keep`` limits the focus nodes."""
    out: list[Raw] = []
    for cs, targets in ctx.plan.top:
        foci = focus_nodes(targets, ctx)
        if keep is not None:
            foci &= keep
        out.extend(validate_shape(cs, foci, ctx)[1])
    return out
