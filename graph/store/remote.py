"""A store on a remote SPARQL 1.1 endpoint with the Graph Store Protocol (Oxigraph server,
Fuseki, GraphDB, Virtuoso...), for users who outgrow one machine.

Endpoints.  ``http://host:port`` is read as an Oxigraph server: queries go to ``/query``,
updates to ``/update`` and graph-store requests to ``/store``, relative to the URL.  Other
servers name their endpoints in the URL's fragment (never sent over the wire), relative to the
URL or absolute::

    http://host:3030/ds#query=sparql&gsp=data            (Fuseki)
    http://host:7200/repositories/trials#query=.&gsp=rdf-graphs/service   (GraphDB)

The default graph.  trialgraph's queries read the union of all named graphs as the default
graph.  The server must be set up that way (``oxigraph serve --union-default-graph``, Fuseki's
``tdb2:unionDefaultGraph true``; GraphDB and Virtuoso do it by default).  The first query checks
it and fails with a hint when named graphs hold triples but the default graph shows none.

Bulk reads.  :meth:`RemoteStore.reader` answers in pyoxigraph terms, as the embedded store does,
parsed from the SPARQL Protocol's answers, so that every stage reads both stores the same way.
It cannot look up a blank node (its label is the server's own), and a pattern on the default
graph (a union on the server) matches nothing, as in the embedded store, where every triple is
in a named graph.

Writes.  :meth:`RemoteStore.write` stages every change in memory and sends it when the block
ends, one Graph Store Protocol request per graph (PUT to replace, POST to add, DELETE to remove).
Each graph is replaced atomically by the server, but a whole build is not: a failure half-way
leaves the graphs sent so far in place.  Nothing is sent when the block raises.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urldefrag, urlencode, urljoin

import httpx
import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.term import Node

from graph.errors import QueryError, StoreError
from graph.export_formats import export_format
from graph.sparql import Result, internal_query, with_values
from graph.store.base import QuadReader
from graph.store.local import dump_database
from graph.store.terms import convert_result, from_ox, triples_graph

_RESULTS_JSON = "application/sparql-results+json"
_NTRIPLES = "application/n-triples"
#: RDF media types of a CONSTRUCT answer, and how pyoxigraph reads each.
_RDF_MEDIA = {
    _NTRIPLES: ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "text/turtle": ox.RdfFormat.TURTLE,
}
#: A graph name that no store holds: a dataset whose every graph is outside the store.
NO_GRAPH = "urn:trialgraph:no-graph"


@dataclass(frozen=True)
class Endpoints:
    """Where one remote store answers."""

    query: str
    update: str
    gsp: str

    @classmethod
    def from_url(cls, url: str) -> Endpoints:
        """``http://host:port`` (Oxigraph layout) or a URL whose fragment names the endpoints
        (``query=``, ``update=``, ``gsp=``)."""
        base, fragment = urldefrag(url)
        if not base.startswith(("http://", "https://")):
            raise StoreError(f"{url}: not an http(s) URL")
        root = base if base.endswith("/") else base + "/"
        names = {"query": "query", "update": "update", "gsp": "store"}
        for key, value in parse_qsl(fragment, keep_blank_values=True):
            if key not in names:
                raise StoreError(
                    f"{url}: unknown endpoint {key!r} in the URL fragment", hint="use query=, update=, gsp="
                )
            names[key] = value
        return cls(*(urljoin(root, names[k]) for k in ("query", "update", "gsp")))


class _RemoteWriter:
    """Staged per-graph changes; :meth:`RemoteStore.write` sends them."""

    def __init__(self) -> None:
        #: graph name -> ("put" | "post", graph) or ("delete", None), in first-touched order
        self.changes: dict[URIRef, tuple[str, Graph | None]] = {}

    def replace_graph(self, name: URIRef, g: Graph) -> None:
        copy = Graph()
        copy += g
        self.changes[name] = ("put", copy)

    def remove_graph(self, name: URIRef) -> None:
        self.changes[name] = ("delete", None)

    def add_to_graph(self, name: URIRef, g: Graph) -> None:
        op, staged = self.changes.get(name, ("post", None))
        merged = Graph()
        if staged is not None:
            merged += staged
        merged += g
        self.changes[name] = ("put" if op in ("put", "delete") else "post", merged)

    def staging(self) -> None:
        return None  # changes are staged graph by graph


class RemoteStore:
    """The :class:`graph.store.base.Store` interface over HTTP."""

    def __init__(self, url: str, *, timeout: float = 120.0) -> None:
        self.location = url
        self.endpoints = Endpoints.from_url(url)
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)
        self._reader = _RemoteReader(self)

    # -- HTTP ----------------------------------------------------------------------------------

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise StoreError(
                f"{self.location}: cannot reach the SPARQL endpoint ({exc})",
                hint="is the server running? is the URL right?",
            ) from None

    # -- reading -------------------------------------------------------------------------------

    def query(self, sparql: str, bindings: Mapping[str, Node] | None = None, *, limit: int | None = None) -> Result:
        text = with_values(sparql, bindings) if bindings else sparql
        return convert_result(self._reader.query(text), limit)

    def reader(self) -> QuadReader:
        return self._reader

    def database_path(self) -> None:
        return None

    def graph(self, name: URIRef) -> Graph:
        response = self.send("GET", self.endpoints.gsp, params={"graph": str(name)}, headers={"Accept": _NTRIPLES})
        if response.status_code == 404:
            return Graph()
        if response.status_code >= 300:
            raise StoreError(f"{self.endpoints.gsp}: HTTP {response.status_code} reading graph {name}")
        return triples_graph(ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES))[0]

    def named_graphs(self) -> list[URIRef]:
        return [URIRef(g.value) for g in self._reader.named_graphs()]

    def dump(self, fmt: str) -> bytes:
        """The store in an export format, written by the embedded store's own writer from a
        copy in memory, so that both stores export the same bytes."""
        export_format(fmt)  # an unknown format fails before anything is read
        copy = ox.Store()
        for name in self._reader.named_graphs():
            response = self.send("GET", self.endpoints.gsp, params={"graph": name.value}, headers={"Accept": _NTRIPLES})
            if response.status_code >= 300:
                raise StoreError(f"{self.endpoints.gsp}: HTTP {response.status_code} reading graph {name.value}")
            copy.load(response.content, format=ox.RdfFormat.N_TRIPLES, to_graph=name)
        return dump_database(copy, fmt)

    # -- writing -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def write(self) -> Iterator[_RemoteWriter]:
        writer = _RemoteWriter()
        yield writer
        for name, (op, g) in writer.changes.items():
            self._apply(name, op, g)

    def _apply(self, name: URIRef, op: str, g: Graph | None) -> None:
        params = {"graph": str(name)}
        if op == "delete":
            response = self.send("DELETE", self.endpoints.gsp, params=params)
            if response.status_code == 404:
                return
        else:
            assert g is not None
            body = g.serialize(format="nt", encoding="utf-8")
            response = self.send(
                op.upper(), self.endpoints.gsp, params=params, content=body, headers={"Content-Type": _NTRIPLES}
            )
        if response.status_code >= 300:
            raise StoreError(
                f"{self.endpoints.gsp}: HTTP {response.status_code} on {op.upper()} of graph {name}: "
                f"{response.text.strip()[:300]}",
                hint="graphs sent before this one are written: remote writes are atomic per graph only",
            )

    def close(self) -> None:
        self._client.close()


class _RemoteReader:
    """:class:`graph.store.base.QuadReader` over the SPARQL Protocol: each call is one query,
    its answer parsed by pyoxigraph."""

    def __init__(self, store: RemoteStore) -> None:
        self.store = store
        self._checked_union = False

    def query(
        self,
        query: str,
        *,
        use_default_graph_as_union: bool = False,
        default_graph: Any = None,
        named_graphs: Any = None,
        prefixes: Any = None,
        substitutions: Any = None,
    ) -> Any:
        """pyoxigraph's options, sent as the protocol's: ``default_graph``/``named_graphs``
        become ``default-graph-uri``/``named-graph-uri`` (graphs the store does not hold are
        left out), ``prefixes`` ``PREFIX`` lines, ``substitutions`` a ``VALUES`` block.  The
        server's default graph is the union already (``use_default_graph_as_union``)."""
        if not self._checked_union:
            self._check_union()
        text = query
        if substitutions:
            text = with_values(text, {v.value: from_ox(t) for v, t in substitutions.items()})  # type: ignore[misc]
        if prefixes:
            text = "".join(f"PREFIX {p}: <{iri}>\n" for p, iri in prefixes.items()) + text
        dataset: dict[str, list[str]] = {}
        if default_graph is not None or named_graphs is not None:
            known = {g.value for g in self.named_graphs()}
            for key, graphs in (("default-graph-uri", default_graph), ("named-graph-uri", named_graphs)):
                if graphs is not None:
                    dataset[key] = _held(graphs, known)
        return self._post(text, dataset)

    def _post(self, sparql: str, dataset: Mapping[str, list[str]]) -> Any:
        form: list[tuple[str, str]] = [("query", sparql)]
        for key, values in dataset.items():
            form.extend((key, v) for v in values)
        headers = {"Accept": f"{_RESULTS_JSON}, {_NTRIPLES};q=0.9", "Content-Type": "application/x-www-form-urlencoded"}
        endpoint = self.store.endpoints.query
        response = self.store.send("POST", endpoint, content=urlencode(form).encode("ascii"), headers=headers)
        if response.status_code == 400:
            raise QueryError(f"the endpoint refused the query: {response.text.strip()[:500]}")
        if response.status_code >= 300:
            raise StoreError(f"{endpoint}: HTTP {response.status_code}: {response.text.strip()[:500]}")
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media in (_RESULTS_JSON, "application/json"):
            return ox.parse_query_results(response.content, format=ox.QueryResultsFormat.JSON)
        if media in _RDF_MEDIA:
            return ox.parse(response.content, format=_RDF_MEDIA[media])
        raise StoreError(f"the endpoint answered with {media or 'no media type'}, not SPARQL results")

    def _check_union(self) -> None:
        self._checked_union = True
        named = bool(self._post(internal_query("internal/any-named-triple"), {}))
        default = bool(self._post(internal_query("internal/any-default-triple"), {}))
        if named and not default:
            self._checked_union = False
            raise StoreError(
                f"{self.store.location}: the endpoint's default graph is not the union of its named graphs",
                hint="start Oxigraph with `oxigraph serve --union-default-graph` (docs/server.md: other servers)",
            )

    def quads_for_pattern(self, subject: Any, predicate: Any, object: Any, graph_name: Any = None) -> Iterator[Any]:
        if isinstance(graph_name, ox.DefaultGraph):
            return  # trialgraph writes named graphs only
        bound: dict[str, Node] = {}
        for var, term in (("s", subject), ("p", predicate), ("o", object), ("g", graph_name)):
            if isinstance(term, ox.BlankNode):
                raise StoreError(f"{self.store.location}: a remote store cannot look up the blank node {term}")
            if term is not None:
                bound[var] = from_ox(term)  # type: ignore[assignment]
        text = internal_query("internal/quads")
        for row in self.query(with_values(text, bound) if bound else text):
            yield ox.Quad(
                subject if subject is not None else row["s"],
                predicate if predicate is not None else row["p"],
                object if object is not None else row["o"],
                graph_name if graph_name is not None else row["g"],
            )

    def named_graphs(self) -> Iterator[Any]:
        for row in self.query(internal_query("internal/named-graphs")):
            if isinstance(row["g"], ox.NamedNode):
                yield row["g"]

    def __len__(self) -> int:
        rows = list(self.query(internal_query("internal/quad-count")))
        return int(rows[0]["n"].value) if rows else 0


def _held(graphs: Any, known: set[str]) -> list[str]:
    """The names of the graphs of a pyoxigraph dataset option that the store holds, or a name
    no store holds (an empty list would mean the server's own default)."""
    listed = graphs if isinstance(graphs, list | tuple) else [graphs]
    kept = [g.value for g in listed if isinstance(g, ox.NamedNode) and g.value in known]
    return kept or [NO_GRAPH]
