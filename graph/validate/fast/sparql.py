"""The SPARQL parts of the shapes: which predicates a query reads, whether it only reads
triples about ``$this``, a SPARQL target that is one triple pattern, and running a query over a
store (a whole store, or the graphs of some records) the way pyshacl runs it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from typing import Any

from rdflib import RDF, Graph, URIRef, Variable
from rdflib.plugins.sparql.processor import prepareQuery
from rdflib.term import Node

from graph.validate.fast.terms import from_ox


class Unsupported(Exception):
    """A shape uses a feature this package leaves to plain pyshacl."""


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
        algebra = query_algebra(text)
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


class SparqlRows:
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


#: Up to this many focus nodes, a SPARQL constraint runs once per node (with ``$this`` bound)
#: rather than once over the whole store.
FEW_FOCI = 64


def rows_for(store: Any, helper: Any, foci: set[Node], scope: Scope) -> SparqlRows:
    from graph.store.terms import to_ox

    probe = next(iter(foci))
    init, text = helper.pre_bind_variables(probe)
    text = helper.apply_prefixes(text)
    bound = "this" in init
    by_this: dict[Node | None, list[dict[str, Node]]] = defaultdict(list)
    if bound and (len(foci) <= FEW_FOCI or not this_free_is_safe(text)):
        import pyoxigraph as ox

        for f in foci:
            for row in run_select(store, text, scope, substitutions={ox.Variable("this"): to_ox(f)}):
                row.setdefault("this", f)
                by_this[f].append(row)
        return SparqlRows(by_this)
    for row in run_select(store, project_this(text) if bound else text, scope):
        by_this[row.get("this") if bound else None].append(row)
    return SparqlRows(by_this)


class Scope:
    """Where the SPARQL parts run: the union of the source-record graphs.

    Oxigraph answers a query over "all graphs as one" fast, but over an explicit list of a
    hundred thousand graphs very slowly.  The store also holds graphs that are not records (the
    ontology, the inferences, the quarantine).  A query may use the fast union when none of
    those other graphs holds a triple with a predicate the query mentions; otherwise it gets the
    explicit list, which is exact and slow.
    """

    def __init__(self, store: Any, names: list[str], graphs: Sequence[Any] | None = None) -> None:
        """``graphs``: the store's named graphs (Oxigraph terms), when the caller has listed them."""
        import pyoxigraph as ox

        self.db = store.reader()
        wanted = set(names)
        listed = self.db.named_graphs() if graphs is None else graphs
        self.others = [g for g in listed if g.value not in wanted]
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

        return any(True for _ in self.db.quads_for_pattern(None, ox.NamedNode(str(predicate)), None, graph))


def query_predicates(text: str) -> set[URIRef] | None:
    """The predicates a query's triple patterns and paths use; ``None`` when one is a variable,
    a negated path or anything else that could match any predicate."""
    from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath

    try:
        algebra = query_algebra(text)
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
    result = store.reader().query(text, prefixes=default_prefixes(), **scope.arguments(text), **kwargs)
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
def query_algebra(text: str) -> Any:
    """A query's algebra (rdflib's parser takes tens of milliseconds a query: each text is
    parsed once per process, whatever asks)."""
    return prepareQuery(text, initNs=default_prefixes()).algebra


_PREFIXES: dict[str, str] = {}


def default_prefixes() -> dict[str, str]:
    if not _PREFIXES:
        _PREFIXES.update({str(k): str(v) for k, v in Graph().namespaces() if k})
    return _PREFIXES


@lru_cache(maxsize=256)
def this_free_is_safe(text: str) -> bool:
    """Running the query once with ``?this`` free and keeping each focus node's rows equals
    pyshacl's pre-binding when ``?this`` is bound by the main pattern and the query has no
    sub-select (where a pre-bound ``$this`` reaches and a free one does not)."""
    try:
        algebra = query_algebra(text)
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
def project_this(text: str) -> str:
    """The query with ``?this`` among the projected variables."""
    algebra = query_algebra(text)
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
