"""The store interface every stage uses (:class:`Store`, its :class:`Writer`, and the bulk
reads of :class:`QuadReader`), whichever store is behind it: the embedded Oxigraph database
(:mod:`graph.store.local`) or a remote SPARQL endpoint (:mod:`graph.store.remote`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from rdflib import Graph, URIRef
from rdflib.term import Node

from graph.sparql import Result


class QuadReader(Protocol):
    """What the stages that read a store in bulk use (validation, the network projection, the
    query pages, the endpoint): pyoxigraph's reading calls, answering pyoxigraph terms, so that
    a caller reads plain strings (``term.value``) or N-Triples tokens (``str(term)``) without
    building an rdflib term per row.  The embedded store answers with its own database (no
    conversion at all); the remote store parses the SPARQL Protocol's answers into the same
    types.

    ``query`` takes pyoxigraph's options (``use_default_graph_as_union``, ``default_graph``,
    ``named_graphs``, ``prefixes``, ``substitutions``) and answers ``QuerySolutions``,
    ``QueryBoolean`` or an iterable of triples.  The default graph of a trialgraph store is
    empty (every triple is in a named graph)."""

    def query(
        self,
        query: str,
        *,
        use_default_graph_as_union: bool = ...,
        default_graph: Any = ...,
        named_graphs: Any = ...,
        prefixes: Any = ...,
        substitutions: Any = ...,
    ) -> Any: ...

    def quads_for_pattern(self, subject: Any, predicate: Any, object: Any, graph_name: Any = None) -> Iterator[Any]: ...

    def named_graphs(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...


class Store(Protocol):
    location: str

    def query(self, sparql: str, bindings: Mapping[str, Node] | None = None, *, limit: int | None = None) -> Result: ...

    def reader(self) -> QuadReader:
        """Bulk reads in pyoxigraph terms (:class:`QuadReader`)."""
        ...

    def database_path(self) -> Path | None:
        """The folder of the live database, which another process may open read-only
        (``pyoxigraph.Store.read_only``); ``None`` when there is none to open (a store in
        memory, an empty one, a remote one): the caller then reads through :meth:`reader`."""
        ...

    def write(self) -> contextlib.AbstractContextManager[Writer]: ...

    def graph(self, name: URIRef) -> Graph: ...

    def named_graphs(self) -> list[URIRef]: ...

    def dump(self, fmt: str) -> bytes: ...

    def close(self) -> None: ...


class Writer(Protocol):
    """The changes of one write; they are published together when the write's block ends."""

    def replace_graph(self, name: URIRef, g: Graph) -> None: ...

    def remove_graph(self, name: URIRef) -> None: ...

    def add_to_graph(self, name: URIRef, g: Graph) -> None: ...

    def staging(self) -> Any:
        """The staged database this write changes (a ``pyoxigraph.Store``, private until the
        write commits): what a bulk load (:mod:`graph.store.bulkload`), the ledger and the
        reasoner write into in place.  ``None`` when the store stages graph by graph (a remote
        store): the caller then writes whole graphs with the calls above."""
        ...
