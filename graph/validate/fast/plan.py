"""The shapes compiled once per process (:func:`compile_plan`): pyshacl's own parser builds the
constraints, value components are evaluated by pyshacl's code or a faster equivalent, and a shape
that uses what this package does not evaluate goes to plain pyshacl (``Plan.fallback``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rdflib import RDF, RDFS, Graph, Literal, URIRef
from rdflib.namespace import SH
from rdflib.term import Node

from graph.validate.fast.components import FAST
from graph.validate.fast.facts import query_facts
from graph.validate.fast.sparql import Unsupported, simple_target
from graph.validate.findings import Labeller

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
LOGIC_IRI = {
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
ALLOWED = (SH.Info, SH.Warning)


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
        self.allow_conform = self.severity in ALLOWED


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
    #: Shapes graph for plain pyshacl: the shapes this package leaves to it (``None``: none).
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
    #: One object per IRI for the paths of every compiled shape (see :class:`TextTerms`).
    canonical: dict[Node, Node] = field(default_factory=dict)
    #: Whether every SPARQL constraint is local (see :func:`local_sparql`; ``None``: not known yet).
    local_sparql: bool | None = None
    #: Oxigraph predicate -> whether it is :attr:`observed`, filled as records show them.
    observed_ox: dict[Any, bool] = field(default_factory=dict)
    #: Predicates whose triples can change a record's findings in each mode (``None``: all of
    #: them): see :func:`_read`.
    read: frozenset[Node] | None = None


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
    plan.read = _read(plan)
    _canonical_paths(plan)
    return plan


def _canonical_paths(plan: Plan) -> None:
    """Make every shape with the same path hold the same path object.  rdflib compares equal
    terms that are different objects in Python code, which is most of the cost of a look-up;
    the data's terms are then made the very same objects (:class:`TextTerms`)."""
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
            if kind in LOGIC_IRI or kind == "property":
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


def _read(plan: Plan) -> frozenset[Node] | None:
    """What a record's findings can depend on: the predicates the compiled shapes read
    (:attr:`Plan.observed`), those their SPARQL constraints and SPARQL targets query, and those that
    name a record's trial and file.  ``None`` (every triple) when plain pyshacl validates some
    shapes, a query may match any predicate, or a shape targets given nodes (a kept result
    tells whether the record mentions them, through any predicate)."""
    from graph.validate.fast.index import OWNER_PREDICATES
    from graph.validate.fast.sparql import query_predicates

    if plan.observed is None or plan.fallback is not None:
        return None
    found = set(plan.observed) | OWNER_PREDICATES
    seen: set[int] = set()
    todo = [cs for cs, _t in plan.top]
    while todo:
        cs = todo.pop()
        if id(cs) in seen:
            continue
        seen.add(id(cs))
        for kind, arg in cs.steps:
            if kind == "sparql":
                if arg[1] is None:
                    return None
                found.update(arg[1])
            elif kind != "value":
                todo.extend(member for group in arg for member in group)
    for _cs, targets in plan.top:
        if targets.nodes:
            return None
        for text in targets.queries:
            predicates = query_predicates(text)
            if predicates is None:
                return None
            found.update(predicates)
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
            fast = FAST.get(name)
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
        preds = query_facts(h.apply_prefixes(text)).predicates
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
    facts = query_facts(helper.apply_prefixes(text))
    if "this" not in init or not facts.this_free_is_safe or facts.about_this is None:
        return False
    return plan.observed is None or facts.about_this <= plan.observed
