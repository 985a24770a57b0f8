"""Fast SHACL validation: the findings of plain pyshacl, record by record, in parallel.

Plain pyshacl re-reads the shapes graph and rebuilds every constraint for each call and looks every
value up in an rdflib graph; on this project's shapes that is about 50 ms for one small record and
grows faster than the graph.  Most shapes only look at one node and its direct neighbours, so this
module:

- builds the shapes once per process with pyshacl's own parser (``ShapesGraph``), and evaluates
  pyshacl's own value constraint components (``sh:datatype``, ``sh:in``, ``sh:pattern``, counts,
  ranges, ...) over a plain in-memory index of one record (or a chunk of records) instead of an
  rdflib graph.  The logical and shape-based components (``sh:node``, ``sh:or``, ``sh:property``...)
  are re-implemented here with pyshacl's semantics;
- runs the records in parallel (``ProcessPoolExecutor``; each worker builds the shapes once);
- answers the SPARQL parts (SPARQL targets, ``sh:sparql`` constraints) either per record with
  rdflib, exactly as pyshacl does, on a copy of only the triples the query can match
  (:func:`validate_records`), or once over the whole store with Oxigraph
  (:func:`validate_store`); a SPARQL target that is one triple pattern is read from the index.

Two modes:

``validate_records(graphs)``
    each record on its own, as if plain pyshacl ran on each graph (the import check).

``validate_store(store)``
    the union of all source-record graphs, as if plain pyshacl ran on that union (``trialgraph
    validate``).  Records are validated in chunks (the records of one trial together); a node that
    chunks see differently (two records of one trial giving two lead sponsors, an organisation
    with a country in one record and none in another) is found by comparing a digest of the
    triples the shapes read, and it and the nodes whose result depends on it are evaluated again
    on everything the store says about them.  That is how the cross-record checks (exactly one
    lead sponsor, start before completion across records) stay exact.  Results are attributed to
    every record that mentions the focus node, as :func:`graph.validate.validate_units_plain`
    does.

    Reading is the cost at registry scale: an on-disk Oxigraph store decodes each term with a
    RocksDB look-up (3 to 4 microseconds).  So a chunk is read with one ``SELECT DISTINCT ?s ?p
    ?o`` over its graphs, serialised as TSV: Oxigraph joins and deduplicates on encoded terms
    and decodes each distinct triple once, never the graph names; Python splits the text and
    turns each distinct token into an rdflib term once per process.  Which records mention a
    node is asked of the store only for the nodes that have findings, at the end.

A shape that uses something this module does not evaluate (complex property paths, SHACL rules,
``sh:qualifiedValueShape``, custom components, constraints without ``sh:message``...) is validated
by plain pyshacl instead, so results never depend on which engine ran.  ``tests/test_validate.py``
holds both modes to plain pyshacl on the real registry files.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

from rdflib import RDF, RDFS, BNode, Graph, Literal, URIRef, Variable
from rdflib.namespace import DCTERMS, SH
from rdflib.plugins.sparql.processor import prepareQuery
from rdflib.term import Node

from graph.digest import key_hash, node_key
from graph.namespace import TG
from graph.processes import no_full_gc
from graph.validate import (
    Finding,
    Issue,
    Labeller,
    attribute,
    pyshacl_findings,
    shapes_fingerprint,
    shapes_graph,
    sorted_issues,
    stored_term,
)

Triple = tuple[Node, Node, Node]

_TYPE, _TRIAL, _IDENTIFIER, _SOURCE_FILE = RDF.type, TG.Trial, DCTERMS.identifier, TG.sourceFile
_OWNER_PREDICATES = frozenset((_TYPE, _IDENTIFIER, _SOURCE_FILE))

#: Records per task sent to a worker.
CHUNK_SIZE = 400

_VALUE_COMPONENTS = {
    "ClassConstraintComponent",
    "DatatypeConstraintComponent",
    "NodeKindConstraintComponent",
    "MinCountConstraintComponent",
    "MaxCountConstraintComponent",
    "MinExclusiveConstraintComponent",
    "MinInclusiveConstraintComponent",
    "MaxExclusiveConstraintComponent",
    "MaxInclusiveConstraintComponent",
    "MinLengthConstraintComponent",
    "MaxLengthConstraintComponent",
    "PatternConstraintComponent",
    "LanguageInConstraintComponent",
    "UniqueLangConstraintComponent",
    "EqualsConstraintComponent",
    "DisjointConstraintComponent",
    "LessThanConstraintComponent",
    "LessThanOrEqualsConstraintComponent",
    "ClosedConstraintComponent",
    "HasValueConstraintComponent",
    "InConstraintComponent",
}
_LOGIC = {
    "PropertyConstraintComponent": "property",
    "NodeConstraintComponent": "node",
    "OrConstraintComponent": "or",
    "AndConstraintComponent": "and",
    "XoneConstraintComponent": "xone",
    "NotConstraintComponent": "not",
}
_LOGIC_IRI = {
    "node": SH.NodeConstraintComponent,
    "or": SH.OrConstraintComponent,
    "and": SH.AndConstraintComponent,
    "xone": SH.XoneConstraintComponent,
    "not": SH.NotConstraintComponent,
}
#: Declarations that change what validation means (rules rewrite the data, functions and target
#: types extend SPARQL): with any of them, plain pyshacl validates everything.
_GLOBAL_FEATURES = (
    SH.rule,
    SH.SPARQLFunction,
    SH.JSFunction,
    SH.ConstraintComponent,
    SH.SPARQLTargetType,
    SH.JSTargetType,
    SH.TripleRule,
    SH.SPARQLRule,
    SH.JSConstraint,
)
_ALLOWED = (SH.Info, SH.Warning)


class Unsupported(Exception):
    """A shape uses a feature this module leaves to plain pyshacl."""


# -- the data ------------------------------------------------------------------------------------


_NOTHING: frozenset[Node] = frozenset()


def _put(out: dict[Node, dict[Node, set[Node]]], s: Node, p: Node, o: Node) -> None:
    """``o`` into the index ``subject -> predicate -> objects``."""
    preds = out.get(s)
    if preds is None:
        preds = out[s] = {}
    objs = preds.get(p)
    if objs is None:
        preds[p] = {o}
    else:
        objs.add(o)


class View:
    """An index of one record graph, or of the union of a few, with the few graph methods that
    pyshacl's value constraint components call (``objects``, ``transitive_objects``,
    ``predicate_objects``, ``namespaces``)."""

    def __init__(self, triples: Iterable[Triple], hierarchy: Iterable[tuple[Node, Node]] | None = None) -> None:
        self.out: dict[Node, dict[Node, set[Node]]] = {}
        self.by_pred: dict[Node, dict[tuple[Node, Node], None]] = defaultdict(dict)
        self._fill(triples)
        self._finish(hierarchy)

    @classmethod
    def from_index(
        cls,
        out: dict[Node, dict[Node, set[Node]]],
        by_pred: dict[Node, dict[tuple[Node, Node], None]],
        hierarchy: Iterable[tuple[Node, Node]] | None = None,
    ) -> View:
        """A view over an index built elsewhere (:class:`_Chunk`), without copying it."""
        view = cls.__new__(cls)
        view.out = out
        view.by_pred = by_pred
        view._finish(hierarchy)
        return view

    def _fill(self, triples: Iterable[Triple]) -> None:
        out = self.out
        by_pred = self.by_pred
        for s, p, o in triples:
            _put(out, s, p, o)
            by_pred[p][(s, o)] = None

    def _finish(self, hierarchy: Iterable[tuple[Node, Node]] | None) -> None:
        pairs = list(hierarchy) if hierarchy is not None else list(self.by_pred.get(RDFS.subClassOf, {}))
        self.supers: dict[Node, set[Node]] = defaultdict(set)
        self.subs: dict[Node, set[Node]] = defaultdict(set)
        for child, parent in pairs:
            self.supers[child].add(parent)
            self.subs[parent].add(child)
        self._nodes: set[Node] | None = None
        self._subjects_of: dict[Node, set[Node]] = {}
        self._objects_of: dict[Node, set[Node]] = {}
        self._typed: dict[Node, set[Node]] | None = None
        self._by_object: dict[Node, dict[Node, set[Node]]] = {}

    # what pyshacl's components read
    def objects(self, subject: Node | None = None, predicate: Node | None = None) -> Iterator[Node]:
        if subject is None or predicate is None:
            raise NotImplementedError("only objects(s, p) is indexed")
        yield from self.out.get(subject, {}).get(predicate, {})

    def transitive_objects(self, subject: Node, predicate: Node) -> Iterator[Node]:
        """``subject`` and everything reachable from it over ``predicate`` (rdflib's meaning)."""
        links = self.supers if predicate == RDFS.subClassOf else None
        seen = {subject}
        todo = [subject]
        yield subject
        while todo:
            node = todo.pop()
            nexts: Iterable[Node] = (
                links.get(node, ()) if links is not None else self.out.get(node, {}).get(predicate, _NOTHING)
            )
            for nxt in nexts:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
                    yield nxt

    def predicate_objects(self, subject: Node) -> Iterator[tuple[Node, Node]]:
        for p, objs in self.out.get(subject, {}).items():
            for o in objs:
                yield p, o

    def namespaces(self) -> Iterator[tuple[str, URIRef]]:
        return iter(())

    # what targets read
    def values(self, subject: Node, predicate: Node) -> set[Node] | frozenset[Node]:
        """The value nodes (the index's own set: callers only read it)."""
        preds = self.out.get(subject)
        if preds is None:
            return _NOTHING
        return preds.get(predicate, _NOTHING)

    def subjects_of(self, predicate: Node) -> set[Node]:
        hit = self._subjects_of.get(predicate)
        if hit is None:
            hit = self._subjects_of[predicate] = {s for s, _o in self.by_pred.get(predicate, {})}
        return hit

    def objects_of(self, predicate: Node) -> set[Node]:
        hit = self._objects_of.get(predicate)
        if hit is None:
            hit = self._objects_of[predicate] = {o for _s, o in self.by_pred.get(predicate, {})}
        return hit

    def instances(self, cls: Node) -> set[Node]:
        """Subjects typed ``cls`` or a subclass of it (``rdfs:subClassOf*``, as pyshacl)."""
        classes = {cls}
        todo = [cls]
        while todo:
            for sub in self.subs.get(todo.pop(), ()):
                if sub not in classes:
                    classes.add(sub)
                    todo.append(sub)
        if self._typed is None:
            self._typed = defaultdict(set)
            for s, o in self.by_pred.get(RDF.type, {}):
                self._typed[o].add(s)
        out: set[Node] = set()
        for c in classes:
            out |= self._typed.get(c, set())
        return out

    def subjects_with(self, predicate: Node, obj: Node) -> set[Node]:
        """Subjects of ``predicate`` with value ``obj`` (one pass over the predicate, then cached)."""
        by_object = self._by_object.get(predicate)
        if by_object is None:
            by_object = self._by_object[predicate] = defaultdict(set)
            for s, o in self.by_pred.get(predicate, {}):
                by_object[o].add(s)
        return by_object.get(obj, set())

    def nodes(self) -> set[Node]:
        if self._nodes is None:
            found: set[Node] = set()
            for s, preds in self.out.items():
                found.add(s)
                for objs in preds.values():
                    found.update(objs)
            self._nodes = found
        return self._nodes

    def triples(self) -> Iterator[Triple]:
        for s, preds in self.out.items():
            for p, objs in preds.items():
                for o in objs:
                    yield s, p, o


class QueryGraph(Graph):
    """An rdflib graph that parses each SPARQL text once.  pyshacl sends the same query text for
    every focus node; rdflib would parse it every time (most of pyshacl's time on small graphs)."""

    _prepared: ClassVar[dict[tuple[str, tuple[tuple[Any, Any], ...]], Any]] = {}

    def query(
        self,
        query_object: Any,
        processor: Any = "sparql",
        result: Any = "sparql",
        initNs: Any = None,
        initBindings: Any = None,
        use_store_provided: bool = True,
        **kwargs: Any,
    ) -> Any:
        if isinstance(query_object, str):
            namespaces = dict(initNs) if initNs is not None else _default_prefixes()
            key = (query_object, tuple(sorted(namespaces.items())))
            prepared = self._prepared.get(key)
            if prepared is None:
                prepared = self._prepared[key] = prepareQuery(query_object, initNs=namespaces)
            query_object = prepared
        return super().query(query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs)


# -- compiled shapes ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """One SHACL result, as pyshacl would report it."""

    focus: Node
    path: Node | None
    value: Node | None
    shape: Node
    component: Node
    severity: Node
    messages: tuple[Node, ...]


@dataclass(eq=False)
class CShape:
    node: Node
    is_property: bool
    path: Node | None
    severity: Node
    messages: tuple[Node, ...]
    deactivated: bool
    steps: list[tuple[str, Any]] = field(default_factory=list)
    has_sparql: bool = False
    #: warnings and infos conform (pyshacl runs with allow_warnings and allow_infos)
    allow_conform: bool = False

    def __post_init__(self) -> None:
        self.allow_conform = self.severity in _ALLOWED


@dataclass
class Targets:
    nodes: list[Node] = field(default_factory=list)
    classes: list[Node] = field(default_factory=list)
    objects_of: list[Node] = field(default_factory=list)
    subjects_of: list[Node] = field(default_factory=list)
    #: ``?this p o`` ("s", p, o) or ``s p ?this`` ("o", s, p): SPARQL targets read from the index.
    patterns: list[tuple[str, Node, Node]] = field(default_factory=list)
    #: Any other SPARQL target, as the query text pyshacl would run.
    queries: list[str] = field(default_factory=list)


@dataclass
class Plan:
    """The shapes, compiled once per process."""

    shapes: Graph
    mode: str
    top: list[tuple[CShape, Targets]]
    #: Shapes graph for plain pyshacl: the shapes this module leaves to it (``None``: none).
    fallback: Graph | None
    labeller: Labeller
    #: Shapes with ``sh:sparql`` (union mode: evaluated over the whole store; each mode: over a
    #: chunk of records at once, each record its own graph, see :func:`_chunk_sparql`).
    sparql_shapes: dict[Node, CShape]
    executor: Any
    notes: list[str] = field(default_factory=list)
    #: Predicates whose values are checked against nested shapes (their triples count too).
    deep: frozenset[Node] = frozenset()
    #: How many such levels the shapes nest.
    depth: int = 1
    #: Predicates the shapes read (``None``: all of them, e.g. for ``sh:closed``).  Other triples
    #: cannot change a result, so union mode neither indexes nor compares them.
    observed: frozenset[Node] | None = None
    #: One object per IRI for the paths of every compiled shape (see :class:`_Terms`).
    canonical: dict[Node, Node] = field(default_factory=dict)
    #: Whether every SPARQL constraint is local (see :func:`local_sparql`; ``None``: not known yet).
    local_sparql: bool | None = None


def compile_plan(shapes: Graph, mode: str = "each") -> Plan:
    """Compile ``shapes`` for ``mode`` ``"each"`` (every record on its own) or ``"union"``
    (all records together).  Shapes that cannot be compiled go to :attr:`Plan.fallback`.
    Shapes that are not valid SHACL are an :class:`~graph.errors.InputError`."""
    from pyshacl.errors import ConstraintLoadError, ReportableRuntimeError, ShapeLoadError

    from graph.errors import InputError

    try:
        return _compile_plan(shapes, mode)
    except (ConstraintLoadError, ShapeLoadError, ReportableRuntimeError) as exc:
        raise InputError(f"the shapes are not valid SHACL: {exc}", hint="check the files given with --shapes") from None


def _compile_plan(shapes: Graph, mode: str) -> Plan:
    from pyshacl.pytypes import SHACLExecutor
    from pyshacl.shapes_graph import ShapesGraph

    sg = ShapesGraph(shapes)
    executor = SHACLExecutor(advanced_mode=True, allow_infos=True, allow_warnings=True)
    plan = Plan(shapes, mode, [], None, Labeller(shapes), {}, executor)
    global_feature = next((f for f in _GLOBAL_FEATURES if _uses(shapes, f)), None)
    all_shapes = list(sg.shapes)
    for s in all_shapes:
        s.set_advanced(True)
    top = [s for s in all_shapes if _has_targets(s)]
    unsupported: list[Any] = []
    if global_feature is not None:
        plan.notes.append(f"the shapes use {global_feature}: plain pyshacl validates them")
        unsupported = top
    else:
        cache: dict[tuple[Node, bool], CShape] = {}
        for s in top:
            try:
                cs = _compile(s, cache, mode, stack=(), reachable=True)
                plan.top.append((cs, _targets(s)))
                _collect_sparql(cs, plan.sparql_shapes)
            except Unsupported as exc:
                plan.notes.append(f"{s.node}: {exc}: plain pyshacl validates this shape")
                unsupported.append(s)
    if unsupported:
        plan.fallback = _fallback_graph(shapes, keep={s.node for s in unsupported})
    plan.deep, plan.depth = _nesting([cs for cs, _t in plan.top])
    plan.observed = _observed(plan)
    _canonical_paths(plan)
    return plan


def _canonical_paths(plan: Plan) -> None:
    """Make every shape with the same path hold the same path object.  rdflib compares equal
    terms that are different objects in Python code, which is most of the cost of a look-up;
    the data's terms are then made the very same objects (:class:`_Terms`)."""
    from pyshacl.consts import RDF_type

    canonical = plan.canonical
    canonical[RDF_type] = RDF_type
    seen: set[int] = set()

    def walk(cs: CShape) -> None:
        if id(cs) in seen:
            return
        seen.add(id(cs))
        if cs.path is not None:
            cs.path = canonical.setdefault(cs.path, cs.path)
        for kind, arg in cs.steps:
            if kind in _LOGIC_IRI or kind == "property":
                for group in arg:
                    for member in group:
                        walk(member)

    for cs, _targets in plan.top:
        walk(cs)


def _observed(plan: Plan) -> frozenset[Node] | None:
    """Every predicate a compiled shape reads: paths, target predicates, the other predicate of
    ``sh:equals``-like constraints, ``rdf:type``.  ``sh:closed`` reads them all."""
    found: set[Node] = {RDF.type, RDFS.subClassOf}
    seen: set[int] = set()
    pair = (SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals)

    def walk(cs: CShape) -> bool:
        if id(cs) in seen:
            return True
        seen.add(id(cs))
        if cs.path is not None:
            found.add(cs.path)
        for kind, arg in cs.steps:
            if kind == "value":
                if type(arg).__name__ == "ClosedConstraintComponent":
                    return False
                for p in pair:
                    found.update(plan.shapes.objects(cs.node, p))
            elif kind in ("property", "node", "or", "and", "xone", "not"):
                for group in arg:
                    for member in group:
                        if not walk(member):
                            return False
        return True

    for cs, targets in plan.top:
        if not walk(cs):
            return None
        found.update(targets.subjects_of)
        found.update(targets.objects_of)
        for kind, a, b in targets.patterns:
            found.add(b if kind == "o" else a)
    return frozenset(found)


def _nesting(top: list[CShape]) -> tuple[frozenset[Node], int]:
    """Predicates whose values are validated against nested shapes, and the deepest nesting."""
    deep: set[Node] = set()
    seen: set[int] = set()

    def walk(cs: CShape) -> int:
        if id(cs) in seen:
            return 0
        seen.add(id(cs))
        depth = 0
        for kind, arg in cs.steps:
            if kind in ("value", "sparql"):
                continue
            if cs.is_property and cs.path is not None:
                deep.add(cs.path)
            for group in arg:
                for member in group:
                    depth = max(depth, walk(member) + (1 if cs.is_property else 0))
        seen.discard(id(cs))
        return depth

    depth = max((walk(cs) for cs in top), default=0)
    return frozenset(deep), max(depth, 1)


def _uses(shapes: Graph, feature: URIRef) -> bool:
    if feature in (SH.rule,):
        return any(True for _ in shapes.subject_objects(feature))
    return any(True for _ in shapes.subjects(RDF.type, feature))


def _has_targets(shape: Any) -> bool:
    nodes, classes, implicit, objects_of, subjects_of = shape.target()
    if any(True for _ in nodes) or any(True for _ in classes) or implicit:
        return True
    if any(True for _ in objects_of) or any(True for _ in subjects_of):
        return True
    return bool(shape.advanced_target())


def _targets(shape: Any) -> Targets:
    nodes, classes, implicit, objects_of, subjects_of = shape.target()
    t = Targets(list(nodes), list(classes) + list(implicit), list(objects_of), list(subjects_of))
    for _node, at in shape.advanced_target().items():
        if at.get("type") != SH.SPARQLTarget:
            raise Unsupported("a target type other than sh:SPARQLTarget")
        qh = at["qh"]
        text = qh.apply_prefixes(qh.select_text)
        pattern = simple_target(text)
        if pattern is not None:
            t.patterns.append(pattern)
        else:
            t.queries.append(text)
    return t


_PREFIX_DECL = re.compile(r"\s*PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^<>\"{}|^`\\\s]*)>", re.IGNORECASE)
_ONE_PATTERN = re.compile(
    r"\s*SELECT\s+[?$]this\s+WHERE\s*\{\s*(?:[?$]this\s+(\S+)\s+(\S+?)|(\S+?)\s+(\S+)\s+[?$]this)\s*\.?\s*\}\s*",
    re.IGNORECASE,
)
_PNAME = re.compile(r"([A-Za-z][\w.-]*)?:([A-Za-z0-9_][\w.-]*)?")


def _simple_by_text(text: str) -> tuple[str, Node, Node] | None:
    """The common form of :func:`simple_target`, recognised without a SPARQL parser (which costs
    tens of milliseconds per query); ``None`` when the text is anything else."""
    prefixes: dict[str, str] = {}
    pos = 0
    while m := _PREFIX_DECL.match(text, pos):
        prefixes[m.group(1) or ""] = m.group(2)
        pos = m.end()
    m = _ONE_PATTERN.fullmatch(text, pos)
    if m is None:
        return None

    def iri(token: str) -> URIRef | None:
        if token == "a":
            return URIRef(str(RDF.type))
        if token.startswith("<") and token.endswith(">") and _PREFIX_DECL.match(f"PREFIX x: {token}"):
            return URIRef(token[1:-1])
        pm = _PNAME.fullmatch(token)
        if pm and (pm.group(1) or "") in prefixes:
            return URIRef(prefixes[pm.group(1) or ""] + (pm.group(2) or ""))
        return None

    if m.group(1) is not None:
        p, o = iri(m.group(1)), iri(m.group(2))
        return ("s", p, o) if p is not None and o is not None else None
    s, p = iri(m.group(3)), iri(m.group(4))
    return ("o", s, p) if s is not None and p is not None else None


def simple_target(text: str) -> tuple[str, Node, Node] | None:
    """A SPARQL target that is one triple pattern with ``?this`` and two constants, read from the
    index instead of being run as a query."""
    fast = _simple_by_text(text)
    if fast is not None:
        return fast
    try:
        algebra = _algebra(text)
    except Exception:
        return None
    project = algebra.p if algebra.name == "SelectQuery" else None
    if project is None or project.name != "Project" or [str(v) for v in project.PV] != ["this"]:
        return None
    bgp = project.p
    if bgp.name != "BGP" or len(bgp.triples) != 1 or algebra.get("datasetClause"):
        return None
    s, p, o = bgp.triples[0]
    this = Variable("this")
    if not isinstance(p, URIRef):
        return None
    if s == this and not isinstance(o, Variable):
        return ("s", p, o)
    if o == this and not isinstance(s, Variable):
        return ("o", s, p)
    return None


def _params(shape: Any) -> list[Any]:
    """The constraint component classes of a shape, in pyshacl's order, without repeats."""
    from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS, CONSTRAINT_PARAMETERS_MAP
    from pyshacl.constraints.advanced import SH_expression

    out: list[Any] = []
    for p, _v in shape.sg.predicate_objects(shape.node):
        if p == SH_expression:
            raise Unsupported("sh:expression")
        if p in ALL_CONSTRAINT_PARAMETERS:
            cls = CONSTRAINT_PARAMETERS_MAP[p]
            if cls not in out:
                out.append(cls)
    return out


def _compile(
    shape: Any, cache: dict[tuple[Node, bool], CShape], mode: str, stack: tuple[Node, ...], reachable: bool
) -> CShape:
    """``reachable``: the shape's results reach the report (it is targeted, or reached from a
    targeted shape through ``sh:property``), so it needs a message of its own."""
    if shape.node in stack:
        raise Unsupported("a recursive shape")
    key = (shape.node, reachable)
    if key in cache:
        return cache[key]
    path = shape.path() if shape.is_property_shape else None
    if path is not None and not isinstance(path, URIRef):
        raise Unsupported("a property path other than a single predicate")
    cs = CShape(
        node=shape.node,
        is_property=bool(shape.is_property_shape),
        path=path,
        severity=shape.severity,
        messages=tuple(shape.message),
        deactivated=bool(shape.deactivated),
    )
    inner = (*stack, shape.node)
    for cls in _params(shape):
        name = cls.__name__
        if name in _VALUE_COMPONENTS:
            component = cls(shape)
            _report_as_raw(component, cs)
            fast = _FAST.get(name)
            cs.steps.append(("value", component if fast is None else fast(component)))
            if reachable and not cs.messages:
                raise Unsupported("a constraint without sh:message")
        elif name == "SPARQLBasedConstraint":
            component = cls(shape)
            helpers = [h for h in component.sparql_constraints if not h.deactivated]
            for h in helpers:
                text = h.select_text
                if h.bind_cs_regex.search(text) or h.bind_sg_regex.search(text):
                    raise Unsupported("$currentShape or $shapesGraph in a SPARQL constraint")
                if reachable and not (cs.messages or h.messages):
                    raise Unsupported("a SPARQL constraint without sh:message")
            if mode == "union" and not reachable:
                raise Unsupported("sh:sparql inside sh:node, sh:or, sh:and, sh:xone or sh:not")
            for h in component.sparql_constraints:
                _cache_pre_binding(h)
            _report_as_raw(component, cs)
            cs.steps.append(("sparql", (component, _sparql_predicates(helpers))))
            cs.has_sparql = True
        elif name in _LOGIC:
            kind = _LOGIC[name]
            nested_reach = reachable and kind == "property"
            groups = [[_compile(m, cache, mode, inner, nested_reach) for m in group] for group in _members(shape, kind)]
            if kind != "property" and reachable and not cs.messages:
                raise Unsupported("a constraint without sh:message")
            cs.steps.append((kind, groups))
        else:
            raise Unsupported(name)
    cache[key] = cs
    return cs


class _FastDatatype:
    """pyshacl's ``sh:datatype`` check, with its results, minus rdflib's Python-level equality
    per value: datatypes are compared as text, and pyshacl's own value-type test is asked once
    per Python type of value."""

    def __init__(self, component: Any) -> None:
        from pyshacl.constraints.core.value_constraints import RDF_langString, RDFS_Datatype, RDFS_Literal
        from rdflib.namespace import XSD

        self.component = component
        self.rule = component.datatype_rule
        self.special = isinstance(self.rule, URIRef) and self.rule in (RDFS_Literal, RDFS_Datatype, RDF_langString)
        self.is_string = self.rule == XSD.string
        self._actual: dict[type, bool] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.component, name)

    def _matches(self, v: Literal) -> bool:
        key = type(v.value)
        hit = self._actual.get(key)
        if hit is None:
            hit = self._actual[key] = bool(self.component._assert_actual_datatype(v, self.rule))
        return hit

    def evaluate(self, executor: Any, target_graph: Any, fv: Mapping[Node, Any], path: list[Any]) -> Any:
        if self.special or not isinstance(self.rule, URIRef):
            return self.component.evaluate(executor, target_graph, fv, path)
        rule = self.rule
        reports = []
        for f, values in fv.items():
            for v in values:
                matches = False
                if isinstance(v, Literal):
                    datatype = v.datatype
                    if datatype is not None and type(datatype) is URIRef and str.__eq__(datatype, rule):
                        matches = getattr(v, "ill_typed", None) is not True and self._matches(v)
                    elif datatype is None and v.language is None and self.is_string:
                        matches = self._matches(v)
                if not matches:
                    reports.append(self.component.make_v_result(target_graph, f, value_node=v))
        return not reports, reports


class _FastClass:
    """pyshacl's ``sh:class`` check (its rdflib branch), with its results, comparing classes
    as text instead of with rdflib's Python-level equality."""

    def __init__(self, component: Any) -> None:
        self.component = component
        self.rules = list(component.class_rules)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.component, name)

    def evaluate(self, executor: Any, target_graph: Any, fv: Mapping[Node, Any], path: list[Any]) -> Any:
        from pyshacl.consts import RDF_type, RDFS_subClassOf

        if executor.sparql_mode:
            return self.component.evaluate(executor, target_graph, fv, path)
        reports = []
        for rule in self.rules:
            kind = type(rule)
            for f, values in fv.items():
                for v in values:
                    found = False
                    if not isinstance(v, Literal):
                        for ctype in target_graph.objects(v, RDF_type):
                            if any(
                                type(c) is kind and str.__eq__(c, rule)
                                for c in target_graph.transitive_objects(ctype, RDFS_subClassOf)
                            ):
                                found = True
                                break
                    if not found:
                        reports.append(self.component.make_v_result(target_graph, f, value_node=v))
        return not reports, reports


_FAST = {"DatatypeConstraintComponent": _FastDatatype, "ClassConstraintComponent": _FastClass}


def _cache_pre_binding(helper: Any) -> None:
    """pyshacl checks and rewrites the query text for every focus node (regular expressions that
    cost more than the query); the text does not depend on the node, so do it once."""
    original = helper.pre_bind_variables
    memo: dict[str, Any] = {}

    def pre_bind_variables(
        thisnode: Node, valuenode: Node | None = None, extravars: Any = None
    ) -> tuple[dict[str, Node], str]:
        if valuenode is not None or extravars:
            return original(thisnode, valuenode=valuenode, extravars=extravars)  # type: ignore[no-any-return]
        if "text" not in memo:
            init, text = original(thisnode)
            memo["text"], memo["this"] = text, "this" in init
            memo["init"] = {k: v for k, v in init.items() if k != "this"}
        init = dict(memo["init"])
        if memo["this"]:
            init["this"] = thisnode
        return init, memo["text"]

    helper.pre_bind_variables = pre_bind_variables


def _sparql_predicates(helpers: list[Any]) -> frozenset[URIRef] | None:
    """The predicates the queries of a SPARQL constraint can match (``None``: any)."""
    found: set[URIRef] = set()
    for h in helpers:
        _init, text = h.pre_bind_variables(URIRef("urn:x-trialgraph:probe"))
        preds = query_predicates(h.apply_prefixes(text))
        if preds is None:
            return None
        found |= preds
    return frozenset(found)


def _members(shape: Any, kind: str) -> list[list[Any]]:
    """The shapes a logical constraint names: one group per ``sh:node``, ``sh:not`` or
    ``sh:property`` value, one group per ``sh:or``/``sh:and``/``sh:xone`` list (pyshacl
    evaluates each separately)."""
    graph = shape.sg.graph
    groups: list[list[Node]]
    if kind in ("property", "node", "not"):
        groups = [[n] for n in dict.fromkeys(graph.objects(shape.node, SH[kind]))]
    else:
        groups = [list(dict.fromkeys(graph.items(lst))) for lst in graph.objects(shape.node, SH[kind])]
    out = []
    for group in groups:
        members = []
        for n in group:
            found = shape.get_other_shape(n)
            if found is None:
                raise Unsupported(f"a missing shape {n}")
            members.append(found)
        out.append(members)
    return out


def _collect_sparql(cs: CShape, out: dict[Node, CShape]) -> None:
    if cs.has_sparql:
        out[cs.node] = cs
    for kind, groups in cs.steps:
        if kind == "property":
            for group in groups:
                for member in group:
                    _collect_sparql(member, out)


def _report_as_raw(component: Any, cs: CShape) -> None:
    """Make a pyshacl component report :class:`Raw` tuples instead of building report triples
    and text (the text alone costs more than the check)."""

    def make_v_result(
        datagraph: Any,
        focus_node: Node,
        value_node: Node | None = None,
        result_path: Node | None = None,
        constraint_component: Node | None = None,
        source_constraint: Node | None = None,
        extra_messages: Iterable[Node] | None = None,
        bound_vars: Any = None,
    ) -> Raw:
        messages = list(cs.messages)
        out: list[Node] = []
        if extra_messages:
            for m in extra_messages:
                if m in messages:
                    continue
                if isinstance(m, Literal) and bound_vars is not None:
                    m = Literal(component._format_sparql_based_result_message(str(m.value), bound_vars))
                out.append(m)
        for m in messages:
            if isinstance(m, Literal) and bound_vars is not None:
                m = Literal(component._format_sparql_based_result_message(str(m.value), bound_vars))
            out.append(m)
        if result_path is None and cs.is_property:
            result_path = cs.path
        return Raw(
            focus=focus_node,
            path=result_path,
            value=value_node,
            shape=cs.node,
            component=constraint_component or component.shacl_constraint_component,
            severity=cs.severity,
            messages=tuple(out),
        )

    component.make_v_result = make_v_result


def _fallback_graph(shapes: Graph, keep: set[Node]) -> Graph:
    """The shapes graph with the targets of every shape but ``keep`` removed: plain pyshacl then
    validates only the shapes in ``keep``."""
    target_preds = (SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf, SH.target)
    out = Graph()
    for s, p, o in shapes:
        if s not in keep and (p in target_preds or (p == RDF.type and o in (RDFS.Class,))):
            continue
        out.add((s, p, o))
    return out


# -- evaluation ----------------------------------------------------------------------------------


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
        self.sparql_rows: dict[int, _Rows] = {}

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
        if not conform and not allow_conform and not all(r.severity in _ALLOWED for r in reps):
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
    return Raw(focus, cs.path if cs.is_property else None, value, cs.node, _LOGIC_IRI[kind], cs.severity, cs.messages)


def evaluate(ctx: Context, keep: set[Node] | None = None) -> list[Raw]:
    """Every targeted shape over the context's data; ``keep`` limits the focus nodes."""
    out: list[Raw] = []
    for cs, targets in ctx.plan.top:
        foci = focus_nodes(targets, ctx)
        if keep is not None:
            foci &= keep
        out.extend(validate_shape(cs, foci, ctx)[1])
    return out


# -- records one by one (the import check) --------------------------------------------------------


_TYPE_TEXT, _TRIAL_TEXT, _IDENTIFIER_TEXT, _SOURCE_TEXT = (str(t) for t in (_TYPE, _TRIAL, _IDENTIFIER, _SOURCE_FILE))
_OWNER_TEXTS = frozenset((_TYPE_TEXT, _IDENTIFIER_TEXT, _SOURCE_TEXT))


def owner_of(triples: Iterable[Triple]) -> tuple[str, str]:
    """(preferred trial id, source file) of a record, from its triples.  (Predicates compared as
    text: rdflib's own hashing and equality run in Python, and this reads every triple.)"""
    trials: set[Node] = set()
    ids: dict[Node, str] = {}
    source = ""
    for s, p, o in triples:
        text = str.__str__(p)
        if text not in _OWNER_TEXTS:
            continue
        if text == _TYPE_TEXT:
            if str.__str__(o) == _TRIAL_TEXT and type(o) is URIRef:
                trials.add(s)
        elif text == _IDENTIFIER_TEXT:
            ids[s] = str(o)
        elif not source:
            source = str(o)
    trial = ""
    for t in sorted(trials, key=str):
        trial = ids.get(t, str(t))
        break
    return trial, source


def _record_issues(
    plan: Plan,
    key: str,
    triples: list[Triple],
    sparql_rows: dict[int, _Rows] | None = None,
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
    findings = [_finding(plan, r) for r in raws]
    if plan.fallback is not None:
        g = Graph()
        for t in triples:
            g.add(t)
        findings.extend(f for _focus, f in pyshacl_findings(g, plan.fallback))
    issues = sorted_issues(i for f in findings for i in attribute(f, [owner]))
    kept = Kept.of(plan, view, raws, findings, keep) if keep is not None and plan.fallback is None else None
    return key, issues, kept


def _finding(plan: Plan, r: Raw) -> Finding:
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
    pyshacl gives on that graph (:func:`graph.validate.validate_graph`), each naming the
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
    n = _workers(workers, len(chunks))
    if n <= 1:
        plan = plan if plan is not None else compile_plan(shapes, "each")
        for chunk in chunks:
            out.update(_each(plan, chunk))
        return out
    with _pool(n, _init_worker, (shapes, "each", None, {}, [])) as pool:
        for part in pool.map(_each_chunk, chunks):
            out.update(part)
    return out


def _stored(term: Node) -> Node:
    """:func:`graph.validate.stored_term`, skipping the terms it would give back unchanged (IRIs,
    plain and language-tagged strings): rebuilding every literal cost a fifth of an import check.
    Repeated triples need no care: the index keeps sets."""
    if type(term) is not Literal or term.datatype is None:
        return term
    return stored_term(term)


def _workers(requested: int | None, chunks: int) -> int:
    n = requested if requested is not None else (os.cpu_count() or 1)
    return max(1, min(n, chunks))


def _pool(n: int, initializer: Any, initargs: tuple[Any, ...]) -> Any:
    """Fresh worker processes that exit with this one (:mod:`graph.processes`)."""
    from graph.processes import pool

    return pool(n, initializer, initargs)


# -- worker state ----------------------------------------------------------------------------------

_STATE: dict[str, Any] = {}


def _init_worker(
    shapes: Graph, mode: str, db_path: str | None, target_sets: dict[str, set[Node]], hierarchy: list[tuple[Node, Node]]
) -> None:
    """Runs once per worker process: the shapes are compiled here, once."""
    _STATE["plan"] = compile_plan(shapes, mode)
    _STATE["target_sets"] = target_sets
    _STATE["hierarchy"] = hierarchy
    if db_path is not None:
        import pyoxigraph as ox

        _STATE["db"] = ox.Store.read_only(db_path)


def _each_chunk(chunk: list[tuple[str, list[Triple]]]) -> dict[str, list[Issue]]:
    return _each(_STATE["plan"], chunk)


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


def _chunk_sparql(plan: Plan, chunk: list[tuple[str, list[Triple]]]) -> dict[str, dict[int, _Rows]]:
    """The rows of every SPARQL constraint for each record of a chunk, as pyshacl would get them
    running the query on that record's graph alone: Oxigraph runs it on each record's graph of
    one in-memory store (pyshacl's rdflib evaluation was half the time of an import check).
    Constraints whose ``$this`` cannot be left free are left to pyshacl (no rows here)."""
    import pyoxigraph as ox

    from graph.store import to_ox

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
    out: dict[str, dict[int, _Rows]] = defaultdict(dict)
    for helper, _predicates in helpers:
        init, text = helper.pre_bind_variables(URIRef("urn:x-trialgraph:probe"))
        text = helper.apply_prefixes(text)
        bound = "this" in init
        if bound and not _this_free_is_safe(text):
            continue
        query = _project_this(text) if bound else text
        for key, graph in graphs.items():
            by_this: dict[Node | None, list[dict[str, Node]]] = defaultdict(list)
            solutions = db.query(query, prefixes=_default_prefixes(), default_graph=[graph])
            names = [v.value for v in solutions.variables]  # type: ignore[union-attr]
            for sol in solutions:  # type: ignore[union-attr]
                row = {n: from_ox(sol[n]) for n in names if sol[n] is not None}
                by_this[row.get("this") if bound else None].append(row)
            out[key][id(helper)] = _Rows(by_this)
    return out


# -- the whole store (trialgraph validate) ----------------------------------------------------------


@dataclass
class Unit:
    """One source-record graph: its name and who it belongs to."""

    key: str
    trial: str
    source: str


@dataclass
class ChunkOut:
    units: list[Unit]
    digests: dict[int, tuple[int, int]]
    findings: list[tuple[Node, Finding]]
    sparql_foci: dict[Node, set[Node]]
    #: every node the chunk's records mention (any predicate; hashes packed as little-endian
    #: int64), when known: a kept result of one record (see :class:`Kept`); a finding on a node
    #: one record alone mentions needs no look-up to be attributed
    mentions: bytes | None = None
    #: nodes the chunk gives a load time (see :data:`_LOAD_TIME`)
    timed: set[int] = field(default_factory=set)


#: Bumped whenever what :class:`Kept` holds, or how, changes: kept results are then ignored.
KEPT_VERSION = 2


@dataclass
class Kept:
    """What :func:`validate_store` needs of one record, worked out when a build loads the record
    (:func:`validate_and_keep`) and kept in the ledger (:mod:`graph.ledger`), so that validating
    a store whose records a build validated reads none of them again:

    - the record's findings, as they hold in the union of all records as long as every record
      that mentions one of its nodes describes that node the same way;
    - the digests of its nodes' triples (as :class:`_Chunk` makes them from the store), which
      tell where records describe a node differently: those nodes are checked again on the store;
    - every node it mentions, so that a finding on a node no other record mentions needs no
      look-up to be attributed.

    Kept results apply when every SPARQL constraint of the shapes is *local* (reads only triples
    about ``$this``, with predicates the digests cover: :func:`local_sparql`); otherwise
    :func:`validate_store` reads the records."""

    findings: list[tuple[Node, Finding]]
    digests: dict[int, tuple[int, int]]
    #: hashes of the nodes mentioned, packed (see :attr:`ChunkOut.mentions`)
    mentions: bytes
    #: (preferred trial id, source file), as :func:`store_units` reads them
    owner: tuple[str, str] = ("", "")
    #: nodes the record gives a load time
    timed: set[int] = field(default_factory=set)

    @classmethod
    def of(
        cls, plan: Plan, view: View, raws: list[Raw], findings: list[Finding], terms: Sequence[tuple[Any, Any, Any]]
    ) -> Kept:
        import struct

        explicit = {n for _cs, t in plan.top for n in t.nodes}
        present = view.nodes() if explicit else set()
        kept = [
            (r.focus, f)
            for r, f in zip(raws, findings, strict=False)
            if not (r.focus in explicit and r.focus not in present)  # union mode: only where present
        ]
        digests, mentions, timed = _record_digests(plan, terms)
        packed = struct.pack(f"<{len(mentions)}q", *sorted(mentions))
        return cls(kept, digests, packed, _owner(view), timed)

    def dumps(self, shapes: str) -> str:
        """As stored in the ledger: JSON, the digests packed (sorted, so that two builds of the
        same record write the same text)."""
        import base64
        import json
        import struct

        keys = sorted(self.digests)
        packed = struct.pack("<" + "qQQ" * len(keys), *(v for k in keys for v in (k, *self.digests[k])))
        mentions = struct.unpack(f"<{len(self.mentions) // 8}q", self.mentions)
        extra = sorted(set(mentions) - set(keys))
        doc = {
            "v": KEPT_VERSION,
            "shapes": shapes,
            "owner": list(self.owner),
            "timed": sorted(self.timed),
            "findings": sorted(
                [term_token(n) or "", f.severity, f.field, f.value, f.rule, f.message, f.focus]
                for n, f in self.findings
            ),
            "digests": base64.b64encode(packed).decode("ascii"),
            "mentions": base64.b64encode(struct.pack(f"<{len(extra)}q", *extra)).decode("ascii"),
        }
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False, sort_keys=True)

    @classmethod
    def loads(cls, text: str, shapes: str) -> Kept | None:
        """Kept results made with the same shapes, or ``None``."""
        import json

        try:
            doc = json.loads(text)
        except ValueError:
            return None
        if not isinstance(doc, dict) or doc.get("v") != KEPT_VERSION or doc.get("shapes") != shapes:
            return None
        return cls._decode(doc)

    @classmethod
    def _decode(cls, doc: dict[str, Any]) -> Kept:
        import base64
        import struct

        raw = base64.b64decode(doc["digests"])
        values = struct.unpack("<" + "qQQ" * (len(raw) // 24), raw)
        keys = values[0::3]
        digests = dict(zip(keys, zip(values[1::3], values[2::3], strict=True), strict=True))
        mentions = base64.b64decode(doc["mentions"]) + struct.pack(f"<{len(keys)}q", *keys)
        findings = [(text_term(row[0]), Finding(*row[1:])) for row in doc["findings"]]
        trial, source = doc["owner"]
        return cls(findings, digests, mentions, (trial, source), set(doc["timed"]))

    def chunk(self, unit: Unit) -> ChunkOut:
        return ChunkOut([unit], self.digests, self.findings, {}, self.mentions, self.timed)


class _OxKeys:
    """:func:`term_hash` of Oxigraph terms (their text keys as :func:`graph.digest.node_key`
    writes them for the rdflib terms the store gives back), remembered per process."""

    LIMIT = 500_000

    def __init__(self) -> None:
        self.cache: dict[Any, int] = {}
        self.observed: dict[Any, bool] = {}

    def __call__(self, term: Any) -> int:
        found = self.cache.get(term)
        if found is None:
            if len(self.cache) > self.LIMIT:
                self.cache.clear()
            found = self.cache[term] = key_hash(_ox_key(term))
        return found


def _ox_key(term: Any) -> str:
    import pyoxigraph as ox

    kind = type(term)
    if kind is ox.NamedNode:
        return f"<{term.value}>"
    if kind is ox.BlankNode:
        return f"_:{term.value}"
    if term.language:
        return f'"{term.value}"@{term.language}'
    if term.datatype.value == _XSD_STRING:
        return f'"{term.value}"'
    return f'"{term.value}"^^<{term.datatype.value}>'


_OX_KEYS = _OxKeys()


def _record_digests(
    plan: Plan, terms: Sequence[tuple[Any, Any, Any]]
) -> tuple[dict[int, tuple[int, int]], set[int], set[int]]:
    """The digests :class:`_Chunk` makes of a chunk holding this record alone, every node the
    record mentions, and the nodes it gives a load time; from the record's triples as
    Oxigraph terms (in the form the store keeps them)."""
    import pyoxigraph as ox

    keys = _OX_KEYS
    observed = plan.observed
    decided = keys.observed
    full: dict[int, int] = {}
    types: dict[int, int] = {}
    objects: set[int] = set()
    mentions: set[int] = set()
    times: set[int] = set()
    literal_type = ox.Literal
    for s, p, o in dict.fromkeys(terms):
        hs = keys(s)
        mentions.add(hs)
        seen = decided.get(p)
        if seen is None:
            seen = decided[p] = observed is None or URIRef(p.value) in observed
        literal = type(o) is literal_type
        if not literal:
            mentions.add(keys(o))
        if not seen:
            continue
        hp = keys(p)
        if p.value == _LOAD_TIME_TEXT:
            times.add(hs)
            h = hash((hp, _ANY_TIME))
        else:
            h = hash((hp, keys(o)))
        full[hs] = (full.get(hs, 0) + h) & _MASK
        if hp == _TYPE_HASH:
            types[hs] = (types.get(hs, 0) + h) & _MASK
        if not literal:
            objects.add(keys(o))
    digests = {h: (d or 1, types.get(h, 0)) for h, d in full.items()}
    for h in objects:
        digests.setdefault(h, (0, 0))
    return digests, mentions, times


def _owner(view: View) -> tuple[str, str]:
    """(preferred trial id, source file) of one record, by the rule of :func:`store_units`."""
    trials = sorted(str(t) for t in view.subjects_with(_TYPE, _TRIAL))
    trial = ""
    if trials:
        first = URIRef(trials[0])
        ids = sorted(str(v) for v in view.values(first, _IDENTIFIER))
        trial = ids[0] if ids else trials[0]
    sources = sorted(str(o) for o in view.objects_of(_SOURCE_FILE))
    return trial, sources[0] if sources else ""


def local_sparql(plan: Plan) -> bool:
    """Whether every SPARQL constraint of the shapes reads only triples about ``$this`` (with
    predicates the digests cover), so that a record's own result holds in the union wherever
    its nodes are described alike.  Worked out once per plan."""
    if plan.local_sparql is None:
        plan.local_sparql = all(
            _is_local(helper, plan)
            for cs in plan.sparql_shapes.values()
            for kind, arg in cs.steps
            if kind == "sparql"
            for helper in arg[0].sparql_constraints
            if not helper.deactivated
        )
    return plan.local_sparql


def _is_local(helper: Any, plan: Plan) -> bool:
    init, text = helper.pre_bind_variables(URIRef("urn:x-trialgraph:probe"))
    text = helper.apply_prefixes(text)
    if "this" not in init or not _this_free_is_safe(text):
        return False
    try:
        algebra = _algebra(text)
    except Exception:
        return False
    this = Variable("this")
    observed = plan.observed
    ok = True

    def walk(node: Any) -> None:
        nonlocal ok
        name = getattr(node, "name", None)
        if name in ("ServiceGraphPattern", "Graph"):
            ok = False
        if name == "BGP":
            for s_, p_, _o in node.triples:
                if s_ != this or not isinstance(p_, URIRef) or (observed is not None and p_ not in observed):
                    ok = False
        if isinstance(node, dict):
            for k, v in node.items():
                if k not in ("PV", "_vars"):
                    walk(v)
        elif isinstance(node, list | tuple):
            for v in node:
                walk(v)

    walk(algebra)
    return ok


class _Converter:
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


class _Terms:
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


def term_token(node: Node) -> str | None:
    """The N-Triples text of a term as the store writes it (``None`` for a literal the store
    would rewrite, which then never matches a data term)."""
    from graph.store import to_ox

    try:
        return str(to_ox(stored_term(node)))
    except Exception:
        return None


_NT_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)
_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_XSD = "http://www.w3.org/2001/XMLSchema#"


def _unescape(text: str) -> str:
    """N-Triples string escapes (``\\n``, ``\\"``, ``\\u00e9``...) undone."""
    if "\\" not in text:
        return text

    def one(m: re.Match[str]) -> str:
        code = m.group(1) or m.group(2)
        if code is not None:
            return chr(int(code, 16))
        return _ECHAR.get(m.group(3), m.group(3))

    return _NT_ESCAPE.sub(one, text)


def text_term(token: str) -> Node:
    """One term of Oxigraph's text output as rdflib, the way :func:`from_ox` reads it from the
    store (a plain string as a plain literal).  SPARQL TSV writes canonical-looking booleans,
    integers, decimals and doubles bare (Turtle's short forms), with their lexical form kept."""
    first = token[0]
    if first == "<":
        return URIRef(_unescape(token[1:-1]))
    if first == "_":
        return BNode(token[2:])
    if first != '"':
        if token in ("true", "false"):
            kind = "boolean"
        elif "e" in token or "E" in token:
            kind = "double"
        elif "." in token:
            kind = "decimal"
        else:
            kind = "integer"
        return Literal(token, datatype=URIRef(_XSD + kind))
    end = token.rfind('"')
    lexical = _unescape(token[1:end])
    rest = token[end + 1 :]
    if not rest:
        return Literal(lexical)
    if rest[0] == "@":
        return Literal(lexical, lang=rest[1:])
    datatype = rest[3:-1]
    if datatype == _XSD_STRING:
        return Literal(lexical)
    return Literal(lexical, datatype=URIRef(datatype))


def from_ox(term: Any) -> Node:
    """An Oxigraph term as rdflib (a plain string as a plain literal: see
    :func:`graph.store.from_ox`)."""
    from graph.store import from_ox as convert

    node = convert(term)
    assert node is not None
    return node


def term_hash(term: Node) -> int:
    return key_hash(node_key(term))


_TYPE_HASH = term_hash(RDF.type)
#: The load time a build writes into each record graph says when, not what: in a node's digest
#: it counts by its presence (this hash stands for any value), so that the digests kept for a
#: record do not change with the time it was loaded.  Two records giving a node a load time
#: each make that node divergent (:class:`_Fold`), whatever the times.
_LOAD_TIME = URIRef("http://www.w3.org/ns/prov#generatedAtTime")
_LOAD_TIME_TOKEN = f"<{_LOAD_TIME}>"
_LOAD_TIME_TEXT = str(_LOAD_TIME)
_ANY_TIME = term_hash(Literal("any time"))
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_MASK = 0xFFFFFFFFFFFFFFFF


class _Chunk:
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

    def add_tsv(self, data: bytes, terms: _Terms) -> None:
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
            if pt == _LOAD_TIME_TOKEN:
                self.timed.add(hs)
                h = hash((hp, _ANY_TIME))
            else:
                h = hash((hp, ho))
            full[hs] = (full.get(hs, 0) + h) & _MASK
            if hp == _TYPE_HASH:
                types[hs] = (types.get(hs, 0) + h) & _MASK
            if type(o) is not Literal:
                objects.add(ho)
            _put(out, s, p, o)
            if pt in indexed:
                by_pred[p][(s, o)] = None

    @staticmethod
    def nodes_for(wanted: set[int], data: bytes, terms: _Terms) -> dict[int, Node]:
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

    def digests(self) -> dict[int, tuple[int, int]]:
        """Node hash -> (digest of the node's own triples, digest of its types): order-free sums
        of triple hashes; (0, 0) for a node that is only an object here."""
        types = self.types
        final = {h: (d or 1, types.get(h, 0)) for h, d in self.full.items()}
        for h in self.objects:
            final.setdefault(h, (0, 0))
        return final


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


def _iri_list(names: Iterable[str]) -> str:
    return " ".join(f"<{n}>" for n in names)


def chunk_rows(db: Any, names: Sequence[str]) -> bytes:
    """The distinct triples of some record graphs as SPARQL TSV: Oxigraph joins and deduplicates
    them on its encoded terms and decodes each distinct triple once, without the graph name.
    (Restricting the predicates in the query costs more than decoding the few others.)"""
    import pyoxigraph as ox

    text = f"SELECT DISTINCT ?s ?p ?o WHERE {{ VALUES ?g {{ {_iri_list(names)} }} GRAPH ?g {{ ?s ?p ?o }} }}"
    return bytes(db.query(text).serialize(format=ox.QueryResultsFormat.TSV))


_TRIALS_QUERY = "SELECT ?g ?s WHERE { GRAPH ?g { ?s a <https://w3id.org/trialgraph/ontology#Trial> } }"
_IDS_QUERY = "SELECT ?g ?s ?v WHERE { GRAPH ?g { ?s <http://purl.org/dc/terms/identifier> ?v } }"
_SOURCES_QUERY = "SELECT ?g ?v WHERE { GRAPH ?g { ?x <https://w3id.org/trialgraph/ontology#sourceFile> ?v } }"


def store_units(db: Any, names: Sequence[str]) -> dict[str, Unit]:
    """Who each record belongs to: (preferred trial id, source file), as
    :func:`graph.validate.unit_owner` reads them from the record graph; one query for the
    whole store and each kind of triple (per chunk, Oxigraph would scan every graph each time,
    and an ``OPTIONAL`` join costs more than the three queries)."""
    wanted = set(names)
    if not wanted:
        return {}
    trials: dict[str, dict[str, list[str]]] = defaultdict(dict)
    sources: dict[str, list[str]] = defaultdict(list)
    for row in db.query(_TRIALS_QUERY):
        if row[0].value in wanted:
            trials[row[0].value].setdefault(row[1].value, [])
    for row in db.query(_IDS_QUERY):
        ids = trials.get(row[0].value, {}).get(row[1].value)
        if ids is not None:
            ids.append(row[2].value)
    for row in db.query(_SOURCES_QUERY):
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


def _chunk_eval(
    plan: Plan,
    chunk: _Chunk,
    units: list[Unit],
    target_sets: Mapping[str, set[Node]],
    hierarchy: list[tuple[Node, Node]],
) -> ChunkOut:
    """One chunk of records, validated together: findings, and a digest of every node's triples
    (to find nodes that chunks see differently)."""
    ctx = Context(plan, chunk.view(hierarchy), target_sets=target_sets, present_only=True)
    findings = [(r.focus, _finding(plan, r)) for r in evaluate(ctx)]
    return ChunkOut(units, chunk.digests(), findings, dict(ctx.sparql_foci), timed=chunk.timed)


def _union_chunk(task: tuple[list[str], bytes | None, list[Unit]]) -> ChunkOut:
    """A worker's share: a chunk of records, read from the store (on disk) or sent as rows."""
    with no_full_gc():
        return _one_chunk(*task)


def _one_chunk(names: list[str], rows: bytes | None, units: list[Unit]) -> ChunkOut:
    plan = _STATE["plan"]
    terms = _STATE.get("terms")
    if terms is None:
        terms = _STATE["terms"] = _Terms(plan)
    if rows is None:
        rows = chunk_rows(_STATE["db"], names)
    chunk = _Chunk(plan)
    chunk.add_tsv(rows, terms)
    return _chunk_eval(plan, chunk, units, _STATE["target_sets"], _STATE["hierarchy"])


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


def validate_store(
    store: Any,
    *,
    extra_shapes: Sequence[Path] = (),
    workers: int | None = None,
    shapes: Graph | None = None,
    chunk_size: int = CHUNK_SIZE,
    kept: bool = True,
) -> StoreValidation:
    """The shapes over the union of every source-record graph in ``store``, with the findings
    plain pyshacl gives on that union, each attributed to every record holding its focus node.
    Works on an Oxigraph store (on disk: workers read it directly); any other store is validated
    with plain pyshacl.

    ``kept``: use the results a build kept for each record it validated (:class:`Kept`, in the
    ledger) instead of reading those records again; only records without kept results (or with
    results kept for other shapes) are read.  The cross-record part runs either way."""
    from graph.store import OxigraphStore

    shapes = shapes if shapes is not None else shapes_graph(extra_shapes)
    if not isinstance(store, OxigraphStore):
        return _plain_store(store, shapes)
    clock = _Clock()
    plan = compile_plan(shapes, "union")
    from graph.layout import asserted_graph_names

    everything = sorted(str(n) for n in asserted_graph_names(store))
    scope = Scope(store, everything)
    hierarchy = _hierarchy(store, everything)
    target_sets = _target_sets(store, plan, scope)
    fold = _Fold()
    owners: dict[str, Unit] = {}
    reused: dict[str, Kept] = {}
    if kept and not hierarchy and not target_sets and plan.fallback is None and local_sparql(plan):
        with no_full_gc():
            reused = _kept_results(store, shapes, set(everything))
            for name in everything:
                if name in reused:
                    owners[name] = Unit(name, *reused[name].owner)
                    fold.add(reused[name].chunk(owners[name]))
    names = _ordered_units(store, [n for n in everything if n not in reused])
    owners.update(store_units(store.db, names))
    clock.lap("prepare")
    chunks = [names[i : i + chunk_size] for i in range(0, len(names), chunk_size)]
    n = _workers(workers, len(chunks))
    on_disk = store.root is not None and store._current() is not None
    if n <= 1:
        terms = _Terms(plan)
        for names_ in chunks:
            with no_full_gc():
                chunk = _Chunk(plan)
                chunk.add_tsv(chunk_rows(store.db, names_), terms)
                fold.add(_chunk_eval(plan, chunk, [owners[n] for n in names_], target_sets, hierarchy))
    else:
        db_path = str(store._current()) if on_disk else None
        tasks = [(c, None if on_disk else chunk_rows(store.db, c), [owners[n] for n in c]) for c in chunks]
        with _pool(n, _init_worker, (shapes, "union", db_path, target_sets, hierarchy)) as pool:
            for out in pool.map(_union_chunk, tasks):
                fold.add(out)
    clock.lap("records")
    return _merge(store, plan, fold, scope, target_sets, hierarchy, clock)


def _kept_results(store: Any, shapes: Graph, names: set[str]) -> dict[str, Kept]:
    """The validation results the ledger keeps for the store's records, made with these shapes."""
    from graph import ledger

    fingerprint = shapes_fingerprint(shapes)
    out = {}
    for name, text in ledger.validations(store.db).items():
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
    q = "SELECT ?g ?t WHERE { GRAPH ?g { ?g <https://w3id.org/trialgraph/ontology#sourceRecord> ?t } }"
    for row in store.db.query(q):  # plain strings: rdflib terms for 100,000 rows cost seconds
        trial_of.setdefault(row[0].value, row[1].value)
    return sorted(names, key=lambda n: (trial_of.get(n, "\uffff"), n))


def _hierarchy(store: Any, names: list[str]) -> list[tuple[Node, Node]]:
    """``rdfs:subClassOf`` pairs the records assert (the ontology's own are not data)."""
    wanted = set(names)
    q = "SELECT ?g ?a ?b WHERE { GRAPH ?g { ?a <http://www.w3.org/2000/01/rdf-schema#subClassOf> ?b } }"
    out = []
    for sol in store.raw_query(q):
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


class _Fold:
    """Chunk results folded as they arrive: each chunk's digests are compared with what earlier
    chunks said and then dropped, so the digests of all chunks are never held at once."""

    def __init__(self) -> None:
        self.outs: list[ChunkOut] = []
        self.seen: dict[int, tuple[int, int]] = {}
        self.divergent: set[int] = set()
        self.retyped: set[int] = set()
        #: divergent node hash -> index of a chunk that holds the node
        self.where: dict[int, int] = {}
        #: whether every chunk said what its records mention
        self.complete = True
        #: node hash -> the chunk that gave it a load time
        self.timed: dict[int, int] = {}

    def mentioned(self, wanted: set[int]) -> dict[int, int]:
        """For each of the ``wanted`` node hashes that some chunk mentions: the one chunk that
        does, or -1 when several do."""
        import struct

        found: dict[int, int] = {}
        for index, out in enumerate(self.outs):
            if out.mentions is None:
                continue
            for h in wanted.intersection(struct.unpack(f"<{len(out.mentions) // 8}q", out.mentions)):
                found[h] = index if found.setdefault(h, index) == index else -1
        return found

    def add(self, out: ChunkOut) -> None:
        seen = self.seen
        index = len(self.outs)
        if out.mentions is None:
            self.complete = False
        for h in out.timed:
            if self.timed.setdefault(h, index) != index:
                self.divergent.add(h)
                self.where.setdefault(h, index)
        for h, d in out.digests.items():
            prev = seen.setdefault(h, d)
            if prev != d:
                self.divergent.add(h)
                self.where.setdefault(h, index)
                if prev[1] != d[1]:
                    self.retyped.add(h)
        out.digests = {}
        self.outs.append(out)


def _merge(
    store: Any,
    plan: Plan,
    fold: _Fold,
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
        findings, affected = _correct(store, plan, fold, findings, target_sets, hierarchy, sparql_foci)
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


def _correct(
    store: Any,
    plan: Plan,
    fold: _Fold,
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
    region = _Region(store, {u.key for o in fold.outs for u in o.units}, plan.deep)
    nodes = region.resolve(fold)
    redo = set(nodes)
    for node in list(nodes):
        h = term_hash(node)
        for parent, predicate in region.incoming(node):
            if h in retyped or predicate in plan.deep:
                redo.add(parent)
    for node in redo:
        region.fetch(node, plan.depth)
    view = View(region.triples, hierarchy)
    ctx = Context(plan, view, target_sets=target_sets)
    fresh: list[tuple[Node, Finding]] = []
    for cs, targets in plan.top:
        foci = {n for n in redo if region.targets(targets, n, view, target_sets)}
        fresh.extend((r.focus, _finding(plan, r)) for r in validate_shape(cs, foci, ctx)[1])
    for shape, foci in ctx.sparql_foci.items():
        sparql_foci[shape] |= foci
    redo_hashes = {term_hash(n) for n in redo}
    return [f for f in findings if term_hash(f[0]) not in redo_hashes] + fresh, len(redo)


class _Region:
    """What the source-record graphs of a store say about a few nodes, read node by node."""

    def __init__(self, store: Any, graphs: set[str], deep: frozenset[Node]) -> None:
        import pyoxigraph as ox

        self.db = store.db
        self.graphs = graphs
        self.deep = deep
        self.conv = _Converter()
        self.ox = ox
        self.triples: dict[Triple, None] = {}
        self.done: dict[Node, int] = {}
        self.typed: set[Node] = set()
        self._incoming: dict[tuple[Node, Node | None], bool] = {}

    def _quads(self, s: Node | None, p: Node | None, o: Node | None) -> Iterator[Any]:
        from graph.store import to_ox

        for q in self.db.quads_for_pattern(
            None if s is None else to_ox(s), None if p is None else to_ox(p), None if o is None else to_ox(o), None
        ):
            if q.graph_name.value in self.graphs:
                yield q

    def resolve(self, fold: _Fold) -> list[Node]:
        """The nodes behind the divergent hashes, read again from a chunk that holds each."""
        by_chunk: dict[int, set[int]] = defaultdict(set)
        for h in fold.divergent:
            by_chunk[fold.where[h]].add(h)
        found: list[Node] = []
        terms = _Terms()
        for index, wanted in sorted(by_chunk.items()):
            rows = chunk_rows(self.db, [u.key for u in fold.outs[index].units])
            found.extend(_Chunk.nodes_for(wanted, rows, terms).values())
        return found

    def term(self, t: Any) -> Node:
        return self.conv.get(t)[0]

    def incoming(self, node: Node) -> set[tuple[Node, Node]]:
        """(subject, predicate) of every triple with ``node`` as object, in any record."""
        return {(self.term(q.subject), self.term(q.predicate)) for q in self._quads(None, None, node)}

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
        pairs = {(self.term(q.predicate), self.term(q.object)) for q in self._quads(node, None, None)}
        for p, o in pairs:
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


class _Rows:
    """Answers pyshacl's SPARQL constraint code from rows computed once over the whole store."""

    def __init__(self, by_this: dict[Node | None, list[dict[str, Node]]]) -> None:
        self.by_this = by_this

    def query(self, _text: str, initBindings: Mapping[str, Node] | None = None) -> _Result:
        if initBindings and "this" in initBindings:
            return _Result(self.by_this.get(initBindings["this"], []))
        return _Result([r for rows in self.by_this.values() for r in rows])


class _Result:
    def __init__(self, rows: list[dict[str, Node]]) -> None:
        self.bindings = rows

    def __len__(self) -> int:
        return len(self.bindings)

    def __bool__(self) -> bool:
        return True

    def __iter__(self) -> Iterator[_Row]:
        return iter(_Row(r) for r in self.bindings)


class _Row:
    def __init__(self, values: dict[str, Node]) -> None:
        self.values = values

    def asdict(self) -> dict[str, Node]:
        return dict(self.values)


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
                rows = _rows_for(store, helper, foci, scope)
                for f in foci:
                    _nc, reps = component._evaluate_sparql_constraint(helper, rows, {f: set()})
                    out.extend((r.focus, _finding(plan, r)) for r in reps)
    return out


#: Up to this many focus nodes, a SPARQL constraint runs once per node (with ``$this`` bound)
#: rather than once over the whole store.
FEW_FOCI = 64


def _rows_for(store: Any, helper: Any, foci: set[Node], scope: Scope) -> _Rows:
    from graph.store import to_ox

    probe = next(iter(foci))
    init, text = helper.pre_bind_variables(probe)
    text = helper.apply_prefixes(text)
    bound = "this" in init
    by_this: dict[Node | None, list[dict[str, Node]]] = defaultdict(list)
    if bound and (len(foci) <= FEW_FOCI or not _this_free_is_safe(text)):
        import pyoxigraph as ox

        for f in foci:
            for row in run_select(store, text, scope, substitutions={ox.Variable("this"): to_ox(f)}):
                row.setdefault("this", f)
                by_this[f].append(row)
        return _Rows(by_this)
    for row in run_select(store, _project_this(text) if bound else text, scope):
        by_this[row.get("this") if bound else None].append(row)
    return _Rows(by_this)


class Scope:
    """Where the SPARQL parts run: the union of the source-record graphs.

    Oxigraph answers a query over "all graphs as one" fast, but over an explicit list of a
    hundred thousand graphs very slowly.  The store also holds graphs that are not records (the
    ontology, the inferences, the quarantine).  A query may use the fast union when none of
    those other graphs holds a triple with a predicate the query mentions; otherwise it gets the
    explicit list, which is exact and slow.
    """

    def __init__(self, store: Any, names: list[str]) -> None:
        import pyoxigraph as ox

        self.store = store
        wanted = set(names)
        self.others = [g for g in store.db.named_graphs() if g.value not in wanted]
        self.others.append(ox.DefaultGraph())
        self.names = names
        self._decided: dict[str, dict[str, Any]] = {}

    def arguments(self, text: str) -> dict[str, Any]:
        hit = self._decided.get(text)
        if hit is None:
            hit = self._decided[text] = self._decide(text)
        return hit

    def _decide(self, text: str) -> dict[str, Any]:
        import pyoxigraph as ox

        predicates = query_predicates(text)
        if predicates is not None and not any(self._holds(g, p) for g in self.others for p in predicates):
            return {"use_default_graph_as_union": True}
        return {"default_graph": [ox.NamedNode(n) for n in self.names]}

    def _holds(self, graph: Any, predicate: URIRef) -> bool:
        import pyoxigraph as ox

        return any(True for _ in self.store.db.quads_for_pattern(None, ox.NamedNode(str(predicate)), None, graph))


def query_predicates(text: str) -> set[URIRef] | None:
    """The predicates a query's triple patterns and paths use; ``None`` when one is a variable,
    a negated path or anything else that could match any predicate."""
    from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath

    try:
        algebra = _algebra(text)
    except Exception:
        return None
    found: set[URIRef] = set()

    def path(p: Any) -> bool:
        if isinstance(p, URIRef):
            found.add(p)
            return True
        if isinstance(p, SequencePath | AlternativePath):
            return all(path(x) for x in p.args)
        if isinstance(p, MulPath):  # zero-length matches reach every node of every graph
            return p.mod == "+" and path(p.path)
        if isinstance(p, InvPath):
            return path(p.arg)
        return False

    def walk(node: Any) -> bool:
        if getattr(node, "name", None) in ("BGP",):
            return all(path(t[1]) for t in node.triples)
        if getattr(node, "name", None) in ("ServiceGraphPattern", "Graph"):
            return False
        if isinstance(node, dict):
            return all(walk(v) for k, v in node.items() if k not in ("PV", "_vars"))
        if isinstance(node, list | tuple):
            return all(walk(v) for v in node)
        return True

    return found if walk(algebra) else None


def run_select(store: Any, text: str, scope: Scope, **kwargs: Any) -> list[dict[str, Node]]:
    """A SELECT over the union of the source-record graphs, rows as rdflib terms.  Prefixes
    rdflib binds by default (``rdf:``, ``xsd:``...) are known, as they are to pyshacl."""
    result = store.raw_query(text, prefixes=_default_prefixes(), **scope.arguments(text), **kwargs)
    names = [v.value for v in result.variables]
    rows = []
    for sol in result:
        row = {}
        for name in names:
            value = sol[name]
            if value is not None:
                row[name] = from_ox(value)
        rows.append(row)
    return rows


@lru_cache(maxsize=256)
def _algebra(text: str) -> Any:
    """A query's algebra (rdflib's parser takes tens of milliseconds a query: each text is
    parsed once per process, whatever asks)."""
    return prepareQuery(text, initNs=_default_prefixes()).algebra


_PREFIXES: dict[str, str] = {}


def _default_prefixes() -> dict[str, str]:
    if not _PREFIXES:
        _PREFIXES.update({str(k): str(v) for k, v in Graph().namespaces() if k})
    return _PREFIXES


@lru_cache(maxsize=256)
def _this_free_is_safe(text: str) -> bool:
    """Running the query once with ``?this`` free and keeping each focus node's rows equals
    pyshacl's pre-binding when ``?this`` is bound by the main pattern and the query has no
    sub-select (where a pre-bound ``$this`` reaches and a free one does not)."""
    try:
        algebra = _algebra(text)
    except Exception:
        return False
    this = Variable("this")

    def has_subselect(node: Any) -> bool:
        if getattr(node, "name", None) == "ToMultiSet":
            return True
        if isinstance(node, dict):
            return any(has_subselect(v) for k, v in node.items() if k not in ("PV", "_vars"))
        if isinstance(node, list | tuple):
            return any(has_subselect(v) for v in node)
        return False

    def binds(node: Any) -> bool:
        name = getattr(node, "name", None)
        if name == "BGP":
            return any(this in t for t in node.triples)
        if name == "Extend" and node.var == this:
            return False
        if name in ("Filter", "Extend", "Project", "Distinct", "Reduced", "Slice", "OrderBy", "Group", "AggregateJoin"):
            return binds(node.p)
        if name == "Join":
            return binds(node.p1) or binds(node.p2)
        if name in ("LeftJoin", "Minus"):
            return binds(node.p1)
        if name == "Union":
            return binds(node.p1) and binds(node.p2)
        return False

    return not has_subselect(algebra.p) and binds(algebra.p)


_SELECT = re.compile(r"SELECT(\s+(?:DISTINCT|REDUCED))?\s", re.IGNORECASE)


@lru_cache(maxsize=256)
def _project_this(text: str) -> str:
    """The query with ``?this`` among the projected variables."""
    algebra = _algebra(text)
    if Variable("this") in algebra.PV:
        return text
    pos = _keyword_position(text)
    if pos is None:
        raise Unsupported("cannot find the SELECT of a SPARQL constraint")
    m = _SELECT.match(text, pos)
    assert m is not None
    return text[: m.end()] + "?this " + text[m.end() :]


def _keyword_position(text: str) -> int | None:
    """Where the first ``SELECT`` keyword starts, skipping IRIs, strings and comments."""
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "#":
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif c == "<":
            j = text.find(">", i)
            i = n if j < 0 else j + 1
        elif c in "\"'":
            j = text.find(c, i + 1)
            i = n if j < 0 else j + 1
        elif _SELECT.match(text, i) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_:")):
            return i
        else:
            i += 1
    return None


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
        out.extend((r.focus, _finding(plan, r)) for r in validate_shape(cs, foci, ctx)[1])
    return out


def _fallback_union(store: Any, plan: Plan) -> list[tuple[Node, Finding]]:
    from graph.layout import asserted_data

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

    from graph.store import to_ox

    out: dict[Node, list[tuple[str, str]]] = defaultdict(list)
    by_token: dict[str, Node] = {}
    for node in dict.fromkeys(nodes):
        if isinstance(node, BNode):
            term = ox.BlankNode(str(node))
            quads = [
                *store.db.quads_for_pattern(term, None, None, None),
                *store.db.quads_for_pattern(None, None, term, None),
            ]
            for g in {q.graph_name.value for q in quads if isinstance(q.graph_name, ox.NamedNode)}:
                if g in graphs:
                    out[node].append(graphs[g])
        else:
            by_token[str(to_ox(stored_term(node)))] = node
    tokens = list(by_token)
    for i in range(0, len(tokens), OWNER_BATCH):
        values = " ".join(tokens[i : i + OWNER_BATCH])
        text = (
            f"SELECT DISTINCT ?f ?g WHERE {{ {{ VALUES ?f {{ {values} }} GRAPH ?g {{ ?f ?p ?o }} }} UNION "
            f"{{ VALUES ?f {{ {values} }} GRAPH ?g {{ ?s ?p ?f }} }} }}"
        )
        for row in store.db.query(text):
            owner = graphs.get(row[1].value)
            found = by_token.get(str(row[0]))
            if owner is not None and found is not None:
                out[found].append(owner)
    return out


def _attribute_all(
    store: Any, findings: list[tuple[Node, Finding]], units: list[Unit], fold: _Fold | None = None
) -> list[Issue]:
    """Issues for the findings, each finding once (chunks that share a node all report it).
    A node that one record alone mentions (known from kept results) belongs to that record;
    the store is asked about the others."""
    unique = list(dict.fromkeys(findings))
    known: dict[Node, list[tuple[str, str]]] = {}
    if fold is not None and fold.complete:
        hashes = {n: term_hash(n) for n, _f in unique}
        mentioned = fold.mentioned(set(hashes.values()))
        for n, h in hashes.items():
            index = mentioned.get(h, -1)
            if index >= 0 and len(fold.outs[index].units) == 1:
                u = fold.outs[index].units[0]
                known[n] = [(u.trial, u.source)]
    asked = (n for n, _f in unique if n not in known)
    owners = _owners(store, asked, {u.key: (u.trial, u.source) for u in units})
    owners.update(known)
    return [i for n, f in unique for i in attribute(f, owners.get(n, ()))]


def _plain_store(store: Any, shapes: Graph) -> StoreValidation:
    """Stores other than Oxigraph (a remote endpoint): plain pyshacl over the union."""
    from graph.layout import asserted_graph_names
    from graph.validate import validate_units_plain

    units = {str(n): store.graph(n) for n in asserted_graph_names(store)}
    issues = validate_units_plain(units, shapes)
    trials = sorted({t for t in (owner_of(list(g))[0] for g in units.values()) if t})
    return StoreValidation(issues, trials, len(units), notes=["not an Oxigraph store: plain pyshacl"])


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
    from graph.store import OxigraphStore

    store = OxigraphStore(None)
    with store.write() as w:
        for key, g in graphs.items():
            w.replace_graph(URIRef(f"{GRAPH_NS}units/{quote(key, safe='')}"), g)
    return validate_store(store, extra_shapes=extra_shapes, workers=workers, shapes=shapes, chunk_size=chunk_size)
