"""Opening a store: in memory, an on-disk Oxigraph database (the embedded default), or a remote
SPARQL 1.1 endpoint.

Writes are atomic.  An on-disk store is a folder whose ``current`` link names the live database
(``db-<stamp>``).  A write takes a RocksDB checkpoint of the live database (hard links, cheap),
applies every change to that copy, and then swaps the link in one ``rename``.  A failed or
interrupted write leaves the live database as it was; readers that opened it keep reading it.
"""

from __future__ import annotations

import contextlib
import gc
import os
import re
import shutil
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeAlias

import pyoxigraph as ox
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from graph.constants import STORE_ENV as _STORE_ENV
from graph.constants import XSD_STRING
from graph.errors import QueryError, StoreError
from graph.export_formats import export_format
from graph.sparql import Result, with_values

# -- term conversion ----------------------------------------------------------------------------


def to_ox(term: Node) -> Any:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None and str(term.datatype) != XSD_STRING:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    raise TypeError(f"cannot store {term!r}")


def from_ox(term: Any) -> Node | None:
    """Oxigraph term to rdflib.  A plain string comes back as a plain literal, never as an
    explicit ``xsd:string``: rdflib treats the two as different, which breaks ``sh:in`` and
    equality checks against shapes parsed by rdflib."""
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.Literal):
        dt = term.datatype.value
        if term.language:
            return Literal(term.value, lang=term.language)
        if dt == XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(dt))
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    raise TypeError(f"unsupported term {term!r}")


def turtle_graph(path: Path) -> Graph:
    """A Turtle file as an rdflib graph, parsed by Oxigraph (ten times faster than rdflib's
    parser); a file that does not parse raises ``SyntaxError``."""
    g = Graph()
    for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
        g.add((from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)))  # type: ignore[arg-type]
    return g


#: A record's triples: an rdflib graph, or the plain triple list :func:`graph.rdf.record_triples` makes.
Triples: TypeAlias = Graph | Sequence[tuple[Node, Node, Node]]


def graph_quads(g: Triples, name: URIRef) -> list[Any]:
    gn = ox.NamedNode(str(name))
    return [ox.Quad(to_ox(s), to_ox(p), to_ox(o), gn) for s, p, o in g]


# -- results ------------------------------------------------------------------------------------


def convert_result(raw: Any, limit: int | None) -> Result:
    if isinstance(raw, ox.QueryBoolean):
        return Result("ASK", [], [], boolean=bool(raw))
    if isinstance(raw, ox.QuerySolutions):
        variables = [v.value for v in raw.variables]
        rows: list[tuple[Node | None, ...]] = []
        truncated = False
        # each distinct term is converted once: rows repeat their conditions, sponsors, labels
        converted: dict[Any, Node | None] = {}
        for sol in raw:
            if limit is not None and len(rows) >= limit:
                truncated = True
                break
            row = []
            for v in variables:
                term = sol[v]
                if term not in converted:
                    converted[term] = from_ox(term)
                row.append(converted[term])
            rows.append(tuple(row))
        return Result("SELECT", variables, rows, truncated=truncated)
    g = Graph()
    truncated = False
    for i, t in enumerate(raw):
        if limit is not None and i >= limit:
            truncated = True
            break
        g.add((from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)))  # type: ignore[arg-type]
    return Result("CONSTRUCT", [], [], graph=g, truncated=truncated)


# -- the store interface -------------------------------------------------------------------------


class Store(Protocol):
    location: str

    def query(self, sparql: str, bindings: Mapping[str, Node] | None = None, *, limit: int | None = None) -> Result: ...

    def write(self) -> contextlib.AbstractContextManager[Writer]: ...

    def graph(self, name: URIRef) -> Graph: ...

    def named_graphs(self) -> list[URIRef]: ...

    def dump(self, fmt: str) -> bytes: ...

    def close(self) -> None: ...


class Writer(Protocol):
    def replace_graph(self, name: URIRef, g: Graph) -> None: ...

    def remove_graph(self, name: URIRef) -> None: ...

    def add_to_graph(self, name: URIRef, g: Graph) -> None: ...


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
        self.db = db

    def replace_graph(self, name: URIRef, g: Graph) -> None:
        self.remove_graph(name)
        self.add_to_graph(name, g)

    def remove_graph(self, name: URIRef) -> None:
        node = ox.NamedNode(str(name))
        if self.db.contains_named_graph(node):
            self.db.remove_graph(node)

    def add_to_graph(self, name: URIRef, g: Graph) -> None:
        self.db.extend(graph_quads(g, name))


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

    # on-disk layout
    def _current(self) -> Path | None:
        assert self.root is not None
        link = self.root / "current"
        if not link.is_symlink() and not link.exists():
            return None
        target = self.root / os.readlink(link)
        return target if target.is_dir() else None

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
    def db(self) -> ox.Store:
        if self._db is None:
            return ox.Store()  # an empty store that was never written answers empty results
        return self._db

    def query(self, sparql: str, bindings: Mapping[str, Node] | None = None, *, limit: int | None = None) -> Result:
        text = with_values(sparql, bindings) if bindings else sparql
        try:
            raw = self.db.query(text, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise QueryError(f"the query does not parse: {exc}") from None
        except (RuntimeError, OSError) as exc:
            raise QueryError(f"the query failed: {exc}") from None
        return convert_result(raw, limit)

    def raw_query(self, sparql: str, **kwargs: Any) -> Any:
        return self.db.query(sparql, **kwargs)

    def graph(self, name: URIRef) -> Graph:
        g = Graph()
        for q in self.db.quads_for_pattern(None, None, None, ox.NamedNode(str(name))):
            g.add((from_ox(q.subject), from_ox(q.predicate), from_ox(q.object)))  # type: ignore[arg-type]
        return g

    def quads(self, graphs: Iterable[URIRef] | None = None) -> Iterator[Any]:
        if graphs is None:
            yield from self.db.quads_for_pattern(None, None, None, None)
            return
        for name in graphs:
            yield from self.db.quads_for_pattern(None, None, None, ox.NamedNode(str(name)))

    def named_graphs(self) -> list[URIRef]:
        return [URIRef(g.value) for g in self.db.named_graphs() if isinstance(g, ox.NamedNode)]

    def dump(self, fmt: str) -> bytes:
        spec = export_format(fmt)
        kind = ox.RdfFormat.from_media_type(spec.media_type)
        if kind is None:
            raise StoreError(f"export format {fmt!r}: oxigraph does not know {spec.media_type}")
        prefixes = PREFIXES if spec.prefixed else None
        if spec.union:
            # one graph: the union of all graphs, duplicates folded
            tmp = ox.Store()
            tmp.extend(ox.Quad(q.subject, q.predicate, q.object, ox.DefaultGraph()) for q in self.db)
            return bytes(tmp.dump(format=kind, from_graph=ox.DefaultGraph(), prefixes=prefixes) or b"")
        return bytes(self.db.dump(format=kind, prefixes=prefixes) or b"")

    @contextlib.contextmanager
    def write(self) -> Iterator[_OxWriter]:
        if self.read_only:
            raise StoreError(f"{self.location}: opened read-only")
        if self.root is None:
            # in memory: stage into a copy so that a failure leaves the store untouched
            staging = ox.Store()
            staging.extend(self.db)
            yield _OxWriter(staging)
            self._db = staging
            return
        self.root.mkdir(parents=True, exist_ok=True)
        with _write_lock(self.root):
            self._remove_leftovers()
            yield from self._write()

    def _remove_leftovers(self) -> None:
        """Staging databases and links that killed writes left behind: with the lock held, no
        other write is under way, so every database but the current one is one of those."""
        assert self.root is not None
        current = self._current()
        for path in self.root.iterdir():
            if (
                path.name.startswith("db-")
                and path.is_dir()
                and (current is None or path.resolve() != current.resolve())
            ):
                shutil.rmtree(path, ignore_errors=True)
            elif path.name.startswith(".current-") and path.is_symlink():
                path.unlink(missing_ok=True)

    def _write(self) -> Iterator[_OxWriter]:
        assert self.root is not None
        stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6}"
        staging_dir = self.root / f"db-{stamp}"
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
            writer.db = None  # type: ignore[assignment]
            del new, writer
            gc.collect()
        except BaseException:
            writer_ref = locals().get("writer")
            if writer_ref is not None:
                writer_ref.db = None
            new = None
            gc.collect()
            shutil.rmtree(staging_dir, ignore_errors=True)
            raise
        # swap: a new link, then rename over the old one (atomic on POSIX)
        tmp_link = self.root / f".current-{stamp}"
        os.symlink(staging_dir.name, tmp_link)
        os.replace(tmp_link, self.root / "current")
        self._db = None
        if old is not None:
            _release(old)
        gc.collect()
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


@contextlib.contextmanager
def _write_lock(root: Path) -> Iterator[None]:
    """One write at a time per store folder (an advisory lock on ``root/.write.lock``, released
    by the kernel when the process dies, however it dies)."""
    try:
        import fcntl
    except ImportError:  # not a POSIX system: no lock
        yield
        return
    fd = os.open(root / ".write.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(
                f"{root}: another trialgraph process is writing to this store", hint="try again when it ends"
            ) from None
        yield
    finally:
        os.close(fd)


def open_store(spec: str | Path | None, *, read_only: bool = False, must_exist: bool = False) -> Store:
    """``memory`` (or ``:memory:``), a folder (the Oxigraph default), or an ``http(s)://`` URL of
    a SPARQL 1.1 endpoint (see :mod:`graph.remote`).  ``must_exist``: the store is to be read, so
    a folder no build has written, or ``memory``, is a :class:`StoreError` (see
    :func:`require_store`)."""
    from graph.constants import default_store

    text = str(spec) if spec is not None else default_store()
    if must_exist:
        require_store(text)
    _check_scheme(text)
    if text in ("memory", ":memory:"):
        return OxigraphStore(None)
    if text.startswith(("http://", "https://")):
        from graph.remote import RemoteStore

        return RemoteStore(text)  # type: ignore[return-value]
    return OxigraphStore(Path(text), read_only=read_only)


_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def _check_scheme(spec: str) -> None:
    """A ``scheme://`` other than http(s) is a mistake, never the name of a folder to create."""
    m = _URL.match(spec)
    if m and m.group(1).lower() not in ("http", "https"):
        raise StoreError(
            f"--store {spec}: trialgraph cannot open {m.group(1)}:// stores; pass a store folder, "
            "'memory', or the http:// or https:// URL of a SPARQL 1.1 endpoint"
        )


def require_store(spec: str) -> None:
    """Fail (:class:`StoreError`, exit 2) unless ``spec`` names a store there is something to
    read in: a folder a build has written (its ``current`` database), or an endpoint URL.  Only
    ``trialgraph build`` creates a store; every command that reads one checks this first."""
    _check_scheme(spec)
    if spec.startswith(("http://", "https://")):
        return
    if spec in ("memory", ":memory:"):
        raise StoreError(
            f"--store {spec}: a store in memory starts empty in every command, so there is nothing to "
            "read; pass the folder `trialgraph build --store` wrote, or an endpoint URL"
        )
    path = Path(spec)
    where = spec if path.is_absolute() else f"{spec} (in {Path.cwd()})"
    if path.exists() and not path.is_dir():
        raise StoreError(f"--store {where}: is a file, not a store folder; pass the folder a build wrote")
    if not (path / "current").is_dir():
        raise StoreError(
            f"--store {where}: no trialgraph store here; build one with `trialgraph build PATHS --store "
            f"{spec}`, or pass --store (or set ${_STORE_ENV}) to the folder a build wrote"
        )
    if not os.access(path / "current", os.R_OK | os.X_OK):
        raise StoreError(f"--store {where}: the store cannot be read (permission denied); ask its owner")
