"""The embedded store: Oxigraph in memory, or an on-disk Oxigraph database (the default).

Writes are atomic.  A write to an on-disk store takes a RocksDB checkpoint of the live database
(hard links, cheap), applies every change to that copy, and then publishes it by swapping the
``current`` link (:mod:`graph.store.disk`).  A failed or interrupted write leaves the live
database as it was; readers that opened it keep reading it.
"""

from __future__ import annotations

import contextlib
import gc
import shutil
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.term import Node

import graph.store.disk as disk
from graph.errors import QueryError, StoreError
from graph.export_formats import export_format
from graph.sparql import Result, with_values
from graph.store.base import QuadReader
from graph.store.terms import convert_result, graph_quads, triples_graph

#: Prefixes written in Turtle and TriG exports (none for id/ and vocab/: their local names
#: hold "/", which prefixed names can only carry escaped).
PREFIXES = {
    "tg": "https://w3id.org/trialgraph/ontology#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "prov": "http://www.w3.org/ns/prov#",
    "dcterms": "http://purl.org/dc/terms/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


class _OxWriter:
    def __init__(self, db: ox.Store) -> None:
        self._staged = db

    def replace_graph(self, name: URIRef, g: Graph) -> None:
        self.remove_graph(name)
        self.add_to_graph(name, g)

    def remove_graph(self, name: URIRef) -> None:
        node = ox.NamedNode(str(name))
        if self._staged.contains_named_graph(node):
            self._staged.remove_graph(node)

    def add_to_graph(self, name: URIRef, g: Graph) -> None:
        self._staged.extend(graph_quads(g, name))

    def staging(self) -> ox.Store:
        return self._staged


#: Open databases of this process by folder: RocksDB allows one writable handle per folder, so
#: every OxigraphStore on the same folder shares it.
_HANDLES: dict[tuple[str, bool], ox.Store] = {}


def _handle(folder: Path, read_only: bool) -> ox.Store:
    key = (str(folder.resolve()), read_only)
    if key not in _HANDLES:
        writable = _HANDLES.get((key[0], False))
        if read_only and writable is not None:
            return writable
        _HANDLES[key] = ox.Store.read_only(str(folder)) if read_only else ox.Store(str(folder))
    return _HANDLES[key]


def _release(folder: Path) -> None:
    for ro in (False, True):
        _HANDLES.pop((str(folder.resolve()), ro), None)


def _held_elsewhere(handle: ox.Store) -> bool:
    """Whether something besides the caller's one variable refers to a database handle: then
    only a collection (of the reference cycles holding it) may close it when that variable goes.
    Otherwise it closes as the variable goes, and no collection is needed (a full collection
    took 50 ms of a 1.6-second refresh, twice)."""
    return sys.getrefcount(handle) > 3  # the caller's variable, this argument, getrefcount's own


class OxigraphStore:
    """Oxigraph in memory (``path=None``) or on disk."""

    def __init__(self, path: Path | None = None, *, read_only: bool = False) -> None:
        self.root = path
        self.read_only = read_only
        self.location = str(path) if path else "memory"
        self._db: ox.Store | None = None
        if path is None:
            self._db = ox.Store()
        else:
            self._open_current()

    def _current(self) -> Path | None:
        assert self.root is not None
        return disk.live_database(self.root)

    def _open_current(self) -> None:
        assert self.root is not None
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(f"{self.root}: is a file, not a store folder", hint="pass a folder to --store")
        current = self._current()
        if current is None:
            self._db = None  # empty: created by the first write
            return
        try:
            self._db = _handle(current, self.read_only)
        except OSError as exc:
            raise StoreError(
                f"{self.root}: cannot open the Oxigraph database ({exc})",
                hint="is another trialgraph process writing to it? try again when it ends",
            ) from None

    @property
    def _database(self) -> ox.Store:
        if self._db is None:
            return ox.Store()  # an empty store that was never written answers empty results
        return self._db

    def query(self, sparql: str, bindings: Mapping[str, Node] | None = None, *, limit: int | None = None) -> Result:
        text = with_values(sparql, bindings) if bindings else sparql
        try:
            raw = self._database.query(text, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise QueryError(f"the query does not parse: {exc}") from None
        except (RuntimeError, OSError) as exc:
            raise QueryError(f"the query failed: {exc}") from None
        return convert_result(raw, limit)

    def reader(self) -> QuadReader:
        return self._database

    def database_path(self) -> Path | None:
        return None if self.root is None else self._current()

    def graph(self, name: URIRef) -> Graph:
        return triples_graph(self._database.quads_for_pattern(None, None, None, ox.NamedNode(str(name))))[0]

    def named_graphs(self) -> list[URIRef]:
        return [URIRef(g.value) for g in self._database.named_graphs() if isinstance(g, ox.NamedNode)]

    def dump(self, fmt: str) -> bytes:
        return dump_database(self._database, fmt)

    @contextlib.contextmanager
    def write(self) -> Iterator[_OxWriter]:
        if self.read_only:
            raise StoreError(f"{self.location}: opened read-only")
        if self.root is None:
            # in memory: stage into a copy so that a failure leaves the store untouched
            staging = ox.Store()
            staging.extend(self._database)
            yield _OxWriter(staging)
            self._db = staging
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with disk.write_lock(self.root):
            disk.remove_leftovers(self.root)
            yield from self._write()

    def _write(self) -> Iterator[_OxWriter]:
        assert self.root is not None
        staging_dir = disk.staging_database(self.root)
        old = self._current()
        try:
            if self._db is not None:
                self._db.flush()
                self._db.backup(str(staging_dir))
                new = ox.Store(str(staging_dir))
            else:
                new = ox.Store(str(staging_dir))
            writer = _OxWriter(new)
            yield writer
            new.flush()
            writer._staged = None  # type: ignore[assignment]
            shared = _held_elsewhere(new)
            del new, writer
            if shared:  # the handle must be closed before the published folder is opened again
                gc.collect()
        except BaseException:
            writer_ref = locals().get("writer")
            if writer_ref is not None:
                writer_ref._staged = None
            new = None
            gc.collect()
            shutil.rmtree(staging_dir, ignore_errors=True)
            raise
        disk.publish(self.root, staging_dir)
        previous, self._db = self._db, None
        if old is not None:
            _release(old)
        if previous is not None and _held_elsewhere(previous):
            gc.collect()
        del previous
        if old is not None and old != staging_dir:
            shutil.rmtree(old, ignore_errors=True)
        self._open_current()

    def close(self) -> None:
        """Let go of the database, and of this process's shared handle to it, so that another
        process can open it for writing (the handle is shared by every store object on the same
        folder in this process: close them all before that)."""
        self._db = None
        if self.root is not None:
            current = self._current()
            if current is not None:
                _release(current)
        gc.collect()


def dump_database(db: ox.Store, fmt: str) -> bytes:
    """A database in an export format (:mod:`graph.export_formats`): its named graphs, or their
    union with duplicates folded."""
    spec = export_format(fmt)
    kind = ox.RdfFormat.from_media_type(spec.media_type)
    if kind is None:
        raise StoreError(f"export format {fmt!r}: oxigraph does not know {spec.media_type}")
    prefixes = PREFIXES if spec.prefixed else None
    if spec.union:
        tmp = ox.Store()
        tmp.extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in db)
        return bytes(tmp.dump(format=kind, from_graph=ox.DefaultGraph(), prefixes=prefixes) or b"")
    return bytes(db.dump(format=kind, prefixes=prefixes) or b"")
