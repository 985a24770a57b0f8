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

Writes.  :meth:`RemoteStore.write` stages every change in memory and sends it when the block
ends, one Graph Store Protocol request per graph (PUT to replace, POST to add, DELETE to remove).
Each graph is replaced atomically by the server, but a whole build is not: a failure half-way
leaves the graphs sent so far in place.  Nothing is sent when the block raises.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urldefrag, urljoin

import httpx
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.term import Node

from graph.constants import XSD_STRING
from graph.errors import QueryError, StoreError
from graph.export_formats import export_format
from graph.sparql import Result, with_values

_RESULTS_JSON = "application/sparql-results+json"
_NTRIPLES = "application/n-triples"
_CHECK_NAMED = "ASK { GRAPH ?g { ?s ?p ?o } }"
_CHECK_DEFAULT = "ASK { ?s ?p ?o }"
_NAMED_GRAPHS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"


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


def _term(binding: Mapping[str, str]) -> Node:
    """One SPARQL JSON results term as rdflib; an ``xsd:string`` comes back plain, as the
    embedded store does it."""
    kind = binding["type"]
    value = binding["value"]
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in binding:
            return Literal(value, lang=binding["xml:lang"])
        datatype = binding.get("datatype")
        if datatype and datatype != XSD_STRING:
            return Literal(value, datatype=URIRef(datatype))
        return Literal(value)
    raise QueryError(f"unknown term type {kind!r} in the endpoint's answer")


def _plain_strings(g: Graph) -> Graph:
    """rdflib's N-Triples parser keeps ``^^xsd:string``; the embedded store drops it."""
    out = Graph()
    for s, p, o in g:
        if isinstance(o, Literal) and o.datatype is not None and str(o.datatype) == XSD_STRING:
            o = Literal(str(o))
        out.add((s, p, o))
    return out


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


class RemoteStore:
    """The :class:`graph.store.Store` interface over HTTP."""

    def __init__(self, url: str, *, timeout: float = 120.0) -> None:
        self.location = url
        self.endpoints = Endpoints.from_url(url)
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False)
        self._checked_union = False

    # -- HTTP ----------------------------------------------------------------------------------

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise StoreError(
                f"{self.location}: cannot reach the SPARQL endpoint ({exc})",
                hint="is the server running? is the URL right?",
            ) from None

    def _post_query(self, sparql: str, dataset: Mapping[str, list[str]] | None, accept: str) -> httpx.Response:
        form: list[tuple[str, str]] = [("query", sparql)]
        for key, values in (dataset or {}).items():
            form.extend((key, v) for v in values)
        headers = {"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"}
        response = self._send("POST", self.endpoints.query, content=_urlencode(form), headers=headers)
        if response.status_code == 400:
            raise QueryError(f"the endpoint refused the query: {response.text.strip()[:500]}")
        if response.status_code >= 300:
            raise StoreError(f"{self.endpoints.query}: HTTP {response.status_code}: {response.text.strip()[:500]}")
        return response

    # -- reading -------------------------------------------------------------------------------

    def query(
        self,
        sparql: str,
        bindings: Mapping[str, Node] | None = None,
        *,
        limit: int | None = None,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
    ) -> Result:
        """Run a query; ``default_graphs``/``named_graphs`` become the SPARQL Protocol's
        ``default-graph-uri``/``named-graph-uri`` (they override the query's FROM clauses)."""
        if not self._checked_union:
            self._check_union()
        text = with_values(sparql, bindings) if bindings else sparql
        dataset: dict[str, list[str]] = {}
        if default_graphs is not None:
            dataset["default-graph-uri"] = default_graphs
        if named_graphs is not None:
            dataset["named-graph-uri"] = named_graphs
        response = self._post_query(text, dataset, f"{_RESULTS_JSON}, {_NTRIPLES};q=0.9")
        return _result(response, limit)

    def _check_union(self) -> None:
        self._checked_union = True
        named = _result(self._post_query(_CHECK_NAMED, None, _RESULTS_JSON), None).boolean
        default = _result(self._post_query(_CHECK_DEFAULT, None, _RESULTS_JSON), None).boolean
        if named and not default:
            self._checked_union = False
            raise StoreError(
                f"{self.location}: the endpoint's default graph is not the union of its named graphs",
                hint="start Oxigraph with `oxigraph serve --union-default-graph` (docs/server.md: other servers)",
            )

    def graph(self, name: URIRef) -> Graph:
        response = self._send("GET", self.endpoints.gsp, params={"graph": str(name)}, headers={"Accept": _NTRIPLES})
        if response.status_code == 404:
            return Graph()
        if response.status_code >= 300:
            raise StoreError(f"{self.endpoints.gsp}: HTTP {response.status_code} reading graph {name}")
        g = Graph()
        g.parse(data=response.content, format="nt")
        return _plain_strings(g)

    def named_graphs(self) -> list[URIRef]:
        rows = _result(self._post_query(_NAMED_GRAPHS, None, _RESULTS_JSON), None).rows
        return [r[0] for r in rows if isinstance(r[0], URIRef)]

    def dump(self, fmt: str) -> bytes:
        spec = export_format(fmt)
        if spec.union:
            union = Graph()
            for name in self.named_graphs():
                union += self.graph(name)
            return union.serialize(format=spec.rdflib_format, encoding="utf-8")
        ds = Dataset()
        for name in self.named_graphs():
            target = ds.graph(name)
            for triple in self.graph(name):
                target.add(triple)
        return ds.serialize(format=spec.rdflib_format, encoding="utf-8")

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
            response = self._send("DELETE", self.endpoints.gsp, params=params)
            if response.status_code == 404:
                return
        else:
            assert g is not None
            body = g.serialize(format="nt", encoding="utf-8")
            response = self._send(
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


def _urlencode(pairs: list[tuple[str, str]]) -> bytes:
    from urllib.parse import urlencode

    return urlencode(pairs).encode("ascii")


def _result(response: httpx.Response, limit: int | None) -> Result:
    media = response.headers.get("content-type", "").split(";")[0].strip().lower()
    if media in (_RESULTS_JSON, "application/json"):
        data = json.loads(response.content)
        if "boolean" in data:
            return Result("ASK", [], [], boolean=bool(data["boolean"]))
        variables = list(data["head"].get("vars", []))
        rows: list[tuple[Node | None, ...]] = []
        truncated = False
        for b in data["results"]["bindings"]:
            if limit is not None and len(rows) >= limit:
                truncated = True
                break
            rows.append(tuple(_term(b[v]) if v in b else None for v in variables))
        return Result("SELECT", variables, rows, truncated=truncated)
    if media in (_NTRIPLES, "text/plain", "text/turtle"):
        g = Graph()
        g.parse(data=response.content, format="nt" if media != "text/turtle" else "turtle")
        g = _plain_strings(g)
        truncated = False
        if limit is not None and len(g) > limit:
            capped = Graph()
            for i, triple in enumerate(g):
                if i >= limit:
                    break
                capped.add(triple)
            g, truncated = capped, True
        return Result("CONSTRUCT", [], [], graph=g, truncated=truncated)
    raise StoreError(f"the endpoint answered with {media or 'no media type'}, not SPARQL results")
