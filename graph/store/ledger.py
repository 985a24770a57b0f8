"""The ledger: what a build knows about each record it loaded, kept in the store itself (the
graph :data:`graph.store.layout.LEDGER_GRAPH`), so that the next build and ``trialgraph validate`` can
tell what changed without reading the records again.

Per record graph:

- ``input``: a digest of everything the record's graphs are made from: the record as read, the
  decisions a build makes across records (its trial's preferred id, its organisations' resolved
  names, its merge evidence), and the code, ontology and shapes that turn it into triples.  A
  record whose input digest equals the stored one is skipped before any triple is made;
- ``content``: a digest of the record's triples (the load time left out), for records whose
  input changed in a way that changes no triple;
- ``inferred``: a digest of what the record entails on its own (its inferred and support
  graphs together), so that a new version that entails the same leaves those graphs alone;
- ``version``: the record's own version, the one a newer file must beat;
- ``validation``: the validation results kept for this version of the record
  (:mod:`graph.validate.fast`), with the digest of the shapes they were made with.

Digests compare records of any size in constant memory (a record's triples are never parsed back
from the store to be compared).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from graph.sparql import internal_query
from graph.store.base import QuadReader
from graph.store.layout import LEDGER_GRAPH
from graph.store.terms import triples_graph

NS = LEDGER_GRAPH + "#"
_INPUT = ox.NamedNode(NS + "input")
_CONTENT = ox.NamedNode(NS + "content")
_VERSION = ox.NamedNode(NS + "version")
_VALIDATION = ox.NamedNode(NS + "validation")
_INFERRED = ox.NamedNode(NS + "inferred")
_GRAPH = ox.NamedNode(LEDGER_GRAPH)
#: The store as a whole: how many quads it holds (kept up to date by each build).
_STORE = ox.NamedNode(NS + "store")
_QUADS = ox.NamedNode(NS + "quads")
_TRIALS = ox.NamedNode(NS + "trials")
_FIELDS = {
    _INPUT.value: "input",
    _CONTENT.value: "content",
    _INFERRED.value: "inferred",
    _VERSION.value: "version",
    _VALIDATION.value: "validation",
}

#: Graph names per query when entries are read for some records only.
BATCH = 1000


@dataclass
class Entry:
    """What the ledger says about one record graph."""

    input: str = ""
    content: str = ""
    inferred: str = ""
    version: str | None = None
    #: the kept validation results (see :mod:`graph.validate.fast`), as stored text
    validation: str | None = None

    def quads(self, name: str) -> Iterator[Any]:
        subject = ox.NamedNode(name)
        for predicate, value in ((_INPUT, self.input), (_CONTENT, self.content), (_INFERRED, self.inferred)):
            yield ox.Quad(subject, predicate, ox.Literal(value), _GRAPH)
        if self.version is not None:
            yield ox.Quad(subject, _VERSION, ox.Literal(self.version), _GRAPH)
        if self.validation is not None:
            yield ox.Quad(subject, _VALIDATION, ox.Literal(self.validation), _GRAPH)


def _entries(rows: Iterable[tuple[str, str, str]]) -> dict[str, Entry]:
    out: dict[str, Entry] = {}
    for name, predicate, value in rows:
        field = _FIELDS.get(predicate)
        if field is not None:
            setattr(out.setdefault(name, Entry()), field, value)
    return out


#: Up to this many records, :func:`read` looks each one up; for more, one pass over the ledger
#: costs less (and a remote store answers it in one request, not one per record).
BY_NAME_AT_MOST = 256


def read(db: QuadReader, names: Iterable[str] | None = None) -> dict[str, Entry]:
    """Entries of a store (its :meth:`~graph.store.base.Store.reader`): of ``names`` only, or
    of every record."""
    wanted = None if names is None else list(dict.fromkeys(names))
    if wanted is None or len(wanted) > BY_NAME_AT_MOST:
        rows = (
            (q.subject.value, q.predicate.value, q.object.value)  # type: ignore[union-attr]
            for q in db.quads_for_pattern(None, None, None, _GRAPH)
            if type(q.subject) is ox.NamedNode and q.subject != _STORE
        )
        every = _entries(rows)
        return every if wanted is None else {n: every[n] for n in wanted if n in every}
    out: dict[str, Entry] = {}
    for name in wanted:
        own = [
            (name, q.predicate.value, q.object.value)  # type: ignore[union-attr]
            for q in db.quads_for_pattern(ox.NamedNode(name), None, None, _GRAPH)
        ]
        out.update(_entries(own))
    return out


def validations(db: QuadReader) -> dict[str, str]:
    """The kept validation results of every record (record graph -> stored text)."""
    return {
        q.subject.value: q.object.value  # type: ignore[union-attr]
        for q in db.quads_for_pattern(None, _VALIDATION, None, _GRAPH)
    }


def size(db: QuadReader, graph: str) -> int:
    """Quads in one graph, counted by the store (nothing is decoded)."""
    rows = db.query(internal_query("internal/triple-count"), default_graph=ox.NamedNode(graph))
    for row in rows:  # type: ignore[union-attr]
        return int(row[0].value)
    return 0


@dataclass(frozen=True)
class Totals:
    """What the store holds as a whole, as the last build counted it (with the quads that
    record these totals)."""

    quads: int
    trials: int

    #: quads recording the totals
    OWN = 2

    def quads_(self) -> Iterator[Any]:
        yield ox.Quad(_STORE, _QUADS, ox.Literal(str(self.quads)), _GRAPH)
        yield ox.Quad(_STORE, _TRIALS, ox.Literal(str(self.trials)), _GRAPH)


def read_totals(db: QuadReader) -> Totals | None:
    found = {q.predicate.value: int(q.object.value) for q in db.quads_for_pattern(_STORE, None, None, _GRAPH)}  # type: ignore[union-attr]
    if _QUADS.value in found and _TRIALS.value in found:
        return Totals(found[_QUADS.value], found[_TRIALS.value])
    return None


def drop_totals(db: ox.Store) -> int:
    """Remove the recorded totals; how many quads that removed."""
    return remove_all(db, db.quads_for_pattern(_STORE, None, None, _GRAPH))


def remove_all(db: ox.Store, quads: Iterable[Any]) -> int:
    """Remove ``quads`` (read in full first, so that a pattern's iterator may be passed); how
    many there were.  For writers that report their change in size (:meth:`Sizes.add`)."""
    gone = list(quads)
    for q in gone:
        db.remove(q)
    return len(gone)


def put_totals(db: ox.Store, totals: Totals) -> None:
    """Record the totals (call :func:`drop_totals` first; ``totals.quads`` counts these quads)."""
    db.extend(totals.quads_())


def totals_graph(totals: Totals) -> Any:
    """The totals as an rdflib graph (for stores written graph by graph)."""
    return triples_graph(totals.quads_())[0]


class Sizes:
    """The store's size after a write that touched a few graphs: the size the last build
    recorded, plus the change of each touched graph (counted before and after), plus the
    changes that writers reported themselves (:meth:`add`): those of the large shared graphs
    (the ledger, the summaries), which spares counting them twice, and of the changed records'
    graphs, which spares a count of each before and after."""

    def __init__(self, db: ox.Store) -> None:
        self.db = db
        self.before: dict[str, int] = {}
        self.reported = 0

    def touch(self, *graphs: str) -> None:
        for g in graphs:
            if g not in self.before:
                self.before[g] = size(self.db, g)

    def add(self, change: int) -> None:
        """Quads a write added (negative: removed) in a graph that was not counted (:meth:`touch`)."""
        self.reported += change

    def total(self, previous: int) -> int:
        return previous + self.reported + sum(size(self.db, g) - n for g, n in self.before.items())


def write(db: ox.Store, entries: Mapping[str, Entry | None]) -> int:
    """Replace the entries of some records (``None`` drops a record's entry); how many quads
    the ledger gained (negative: lost)."""
    change = 0
    for name, entry in entries.items():
        change -= remove_all(db, db.quads_for_pattern(ox.NamedNode(name), None, None, _GRAPH))
        if entry is not None:
            quads = list(entry.quads(name))  # one quad per field: never the same one twice
            db.extend(quads)
            change += len(quads)
    return change


def nquads(entries: Mapping[str, Entry]) -> bytes:
    """New entries as N-Quads, for a bulk load into a store that holds none of them yet."""
    return "".join(f"{q} .\n" for name, entry in entries.items() for q in entry.quads(name)).encode(
        "utf-8", "surrogatepass"
    )


def as_graph(entries: Mapping[str, Entry]) -> Any:
    """The whole ledger as an rdflib graph (for stores written graph by graph)."""
    return triples_graph(q for name in sorted(entries) for q in entries[name].quads(name))[0]
