"""The data the compiled shapes read: a plain in-memory index of one record or a chunk of
records (:class:`View`), an rdflib graph that parses each query text once for pyshacl's SPARQL
parts (:class:`QueryGraph`), and which trial and file a record is (:func:`owner_of`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from rdflib import RDF, RDFS, Graph, URIRef
from rdflib.namespace import DCTERMS
from rdflib.plugins.sparql.processor import prepareQuery
from rdflib.term import Node

from graph.namespace import TG
from graph.validate.fast.sparql import default_prefixes

Triple = tuple[Node, Node, Node]

_TYPE, _TRIAL, _IDENTIFIER, _SOURCE_FILE = RDF.type, TG.Trial, DCTERMS.identifier, TG.sourceFile
#: What names a record's trial and file (:func:`owner_of`).
OWNER_PREDICATES = frozenset((_TYPE, _IDENTIFIER, _SOURCE_FILE))


_NOTHING: frozenset[Node] = frozenset()


def put_triple(out: dict[Node, dict[Node, set[Node]]], s: Node, p: Node, o: Node) -> None:
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
        """A view over an index built elsewhere (:class:`StoreChunk`), without copying it."""
        view = cls.__new__(cls)
        view.out = out
        view.by_pred = by_pred
        view._finish(hierarchy)
        return view

    def _fill(self, triples: Iterable[Triple]) -> None:
        out = self.out
        by_pred = self.by_pred
        for s, p, o in triples:
            put_triple(out, s, p, o)
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
            namespaces = dict(initNs) if initNs is not None else default_prefixes()
            key = (query_object, tuple(sorted(namespaces.items())))
            prepared = self._prepared.get(key)
            if prepared is None:
                prepared = self._prepared[key] = prepareQuery(query_object, initNs=namespaces)
            query_object = prepared
        return super().query(query_object, processor, result, initNs, initBindings, use_store_provided, **kwargs)


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


def view_owner(view: View) -> tuple[str, str]:
    """(preferred trial id, source file) of one record, by the rule of :func:`store_units`."""
    trials = sorted(str(t) for t in view.subjects_with(_TYPE, _TRIAL))
    trial = ""
    if trials:
        first = URIRef(trials[0])
        ids = sorted(str(v) for v in view.values(first, _IDENTIFIER))
        trial = ids[0] if ids else trials[0]
    sources = sorted(str(o) for o in view.objects_of(_SOURCE_FILE))
    return trial, sources[0] if sources else ""
