"""The read-only SPARQL 1.1 endpoint, the query page, the HTML view and Linked Data pages, over
HTTP (Starlette on uvicorn).  See docs/server.md.

Safety is the default, not an option:
- the store is opened read-only, and SPARQL Update is refused;
- a query is parsed before it runs (:mod:`graph.sparql_guard`): ``SERVICE`` is refused, and
  ``FROM``/``FROM NAMED``/``default-graph-uri``/``named-graph-uri`` only select graphs of the
  store (Oxigraph never loads a graph from a URL);
- the event loop never runs a query.  Each query runs in one of ``max_concurrent`` worker
  processes; a worker that passes its deadline is killed and replaced, so the time limit
  cancels the work instead of waiting for it.  When every worker is busy the answer is 503
  with ``Retry-After``;
- results are capped at ``max_rows``; a capped result says so in the ``X-Trialgraph-Truncated``
  header and, for SPARQL JSON, in a top-level ``"truncated"`` member;
- CORS allows any origin, never with credentials.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import json
import multiprocessing
import os
import tempfile
from collections.abc import AsyncIterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl
from xml.etree import ElementTree as ET

from rdflib import RDFS, BNode, Graph, Literal, URIRef
from rdflib.namespace import NamespaceManager
from rdflib.term import Node

from graph.constants import BASE, ID_NS, INFERRED_GRAPH
from graph.errors import QueryError, StoreError, TrialgraphError
from graph.sparql_guard import Inspection, Refused, inspect
from graph.store import OxigraphStore, Result, Store

PACKAGE_DIR = Path(__file__).resolve().parent
STATIC_DIR = PACKAGE_DIR / "static" / "server"
TEMPLATES_DIR = PACKAGE_DIR / "templates" / "server"

#: Set on every query answer: ``true`` when the row cap cut the result.
TRUNCATED_HEADER = "X-Trialgraph-Truncated"
#: A graph name that no store holds: a dataset whose every graph is outside the store.
NO_GRAPH = "urn:trialgraph:no-graph"


@dataclass(frozen=True)
class Settings:
    """What ``trialgraph serve`` was started with."""

    store: str
    timeout: float = 30.0
    max_rows: int = 10_000
    max_query_bytes: int = 100_000
    max_concurrent: int = 4


# -- content negotiation ----------------------------------------------------------------------

JSON_RESULTS = "application/sparql-results+json"
XML_RESULTS = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
TURTLE = "text/turtle"
NTRIPLES = "application/n-triples"
JSONLD = "application/ld+json"
RDFXML = "application/rdf+xml"
HTML = "text/html"

#: Offers per kind of answer: the media type a client may ask for -> the one answered, in the
#: server's order of preference (the first is the default).
SELECT_OFFERS = {
    JSON_RESULTS: JSON_RESULTS,
    "application/json": JSON_RESULTS,
    XML_RESULTS: XML_RESULTS,
    "application/xml": XML_RESULTS,
    "text/xml": XML_RESULTS,
    CSV: CSV,
    TSV: TSV,
}
ASK_OFFERS = {
    JSON_RESULTS: JSON_RESULTS,
    "application/json": JSON_RESULTS,
    XML_RESULTS: XML_RESULTS,
    "application/xml": XML_RESULTS,
    "text/xml": XML_RESULTS,
}
GRAPH_OFFERS = {
    TURTLE: TURTLE,
    NTRIPLES: NTRIPLES,
    "text/plain": NTRIPLES,
    JSONLD: JSONLD,
    "application/json": JSONLD,
    RDFXML: RDFXML,
    "application/xml": RDFXML,
}
ENTITY_OFFERS = {HTML: HTML, "application/xhtml+xml": HTML, **GRAPH_OFFERS}
SD_OFFERS = {TURTLE: TURTLE, NTRIPLES: NTRIPLES, JSONLD: JSONLD, RDFXML: RDFXML, HTML: HTML}

_RDFLIB_FORMATS = {TURTLE: "turtle", NTRIPLES: "nt", JSONLD: "json-ld", RDFXML: "xml"}


def _accept_ranges(header: str) -> list[tuple[str, float]]:
    out = []
    for part in header.split(","):
        media, *params = part.split(";")
        media = media.strip().lower()
        if not media:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        out.append((media, q))
    return out


def negotiate(accept: str | None, offers: Mapping[str, str]) -> str | None:
    """The media type to answer with, or ``None`` (406).  The most specific range of the
    ``Accept`` header that matches an offer gives its quality; ties go to the server's order."""
    if not accept or not accept.strip():
        return next(iter(offers.values()))
    ranges = _accept_ranges(accept)
    best: tuple[float, int, int] | None = None
    chosen: str | None = None
    for position, (offered, answered) in enumerate(offers.items()):
        kind = offered.split("/")[0]
        match: tuple[int, float] | None = None
        for media, q in ranges:
            specificity = 2 if media == offered else 1 if media == f"{kind}/*" else 0 if media == "*/*" else -1
            if specificity >= 0 and (match is None or specificity > match[0]):
                match = (specificity, q)
        if match is None or match[1] <= 0:
            continue
        key = (match[1], match[0], -position)
        if best is None or key > best:
            best, chosen = key, answered
    return chosen


# -- answers --------------------------------------------------------------------------------


@dataclass
class Reply:
    """What a worker sends back: a whole HTTP answer (picklable)."""

    status: int
    media_type: str
    body: bytes
    #: ``None`` for answers that are not query results
    truncated: bool | None = None
    headers: dict[str, str] = field(default_factory=dict)


def problem(status: int, message: str, *, hint: str | None = None, headers: dict[str, str] | None = None) -> Reply:
    """A readable plain-text error, as the SPARQL Protocol asks."""
    text = message + (f"\nhint: {hint}" if hint else "") + "\n"
    return Reply(status, "text/plain; charset=utf-8", text.encode("utf-8"), headers=headers or {})


def _json_term(term: Node) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, Literal):
        out = {"type": "literal", "value": str(term)}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype is not None:
            out["datatype"] = str(term.datatype)
        return out
    return {"type": "bnode", "value": str(term)}


def results_json(result: Result) -> bytes:
    """SPARQL 1.1 Query Results JSON, plus a top-level ``"truncated"`` member."""
    if result.kind == "ASK":
        return json.dumps({"head": {}, "boolean": bool(result.boolean)}).encode("utf-8")
    bindings = [
        {v: _json_term(t) for v, t in zip(result.variables, row, strict=True) if t is not None} for row in result.rows
    ]
    doc = {"head": {"vars": result.variables}, "results": {"bindings": bindings}, "truncated": result.truncated}
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


_SRX = "http://www.w3.org/2005/sparql-results#"


def results_xml(result: Result) -> bytes:
    """SPARQL Query Results XML."""
    ET.register_namespace("", _SRX)
    root = ET.Element(f"{{{_SRX}}}sparql")
    head = ET.SubElement(root, f"{{{_SRX}}}head")
    if result.kind == "ASK":
        ET.SubElement(root, f"{{{_SRX}}}boolean").text = "true" if result.boolean else "false"
        return ET.tostring(root, encoding="utf-8", xml_declaration=True)
    for var in result.variables:
        ET.SubElement(head, f"{{{_SRX}}}variable", name=var)
    results = ET.SubElement(root, f"{{{_SRX}}}results")
    for row in result.rows:
        sol = ET.SubElement(results, f"{{{_SRX}}}result")
        for var, term in zip(result.variables, row, strict=True):
            if term is None:
                continue
            b = ET.SubElement(sol, f"{{{_SRX}}}binding", name=var)
            if isinstance(term, URIRef):
                ET.SubElement(b, f"{{{_SRX}}}uri").text = str(term)
            elif isinstance(term, Literal):
                attrs = {}
                if term.language:
                    attrs["{http://www.w3.org/XML/1998/namespace}lang"] = term.language
                elif term.datatype is not None:
                    attrs["datatype"] = str(term.datatype)
                ET.SubElement(b, f"{{{_SRX}}}literal", attrs).text = str(term)
            else:
                ET.SubElement(b, f"{{{_SRX}}}bnode").text = str(term)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def results_csv(result: Result) -> bytes:
    """SPARQL 1.1 CSV: plain values, IRIs bare, blank nodes as ``_:label``."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow(["" if t is None else f"_:{t}" if isinstance(t, BNode) else str(t) for t in row])
    return buf.getvalue().encode("utf-8")


def _tsv_term(term: Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    assert isinstance(term, Literal)
    escaped = str(term)
    for raw, escape in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        escaped = escaped.replace(raw, escape)
    if term.language:
        return f'"{escaped}"@{term.language}'
    if term.datatype is not None:
        return f'"{escaped}"^^<{term.datatype}>'
    return f'"{escaped}"'


def results_tsv(result: Result) -> bytes:
    """SPARQL 1.1 TSV: terms in Turtle syntax, tabs and line breaks escaped."""
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    lines.extend("\t".join(_tsv_term(t) for t in row) for row in result.rows)
    return ("\n".join(lines) + "\n").encode("utf-8")


_RESULT_WRITERS = {JSON_RESULTS: results_json, XML_RESULTS: results_xml, CSV: results_csv, TSV: results_tsv}


def _namespaces(g: Graph) -> Graph:
    nm = NamespaceManager(g, bind_namespaces="core")
    nm.bind("tg", URIRef(BASE + "ontology#"))
    nm.bind("id", URIRef(ID_NS))
    nm.bind("vocab", URIRef(BASE + "vocab/"))
    nm.bind("dcterms", URIRef("http://purl.org/dc/terms/"))
    nm.bind("skos", URIRef("http://www.w3.org/2004/02/skos/core#"))
    nm.bind("prov", URIRef("http://www.w3.org/ns/prov#"))
    g.namespace_manager = nm
    return g


def render(result: Result, media: str) -> Reply:
    """A query result in the negotiated media type."""
    if result.kind in ("SELECT", "ASK"):
        body = _RESULT_WRITERS[media](result)
        charset = "; charset=utf-8" if media in (CSV, TSV) else ""
        return Reply(200, media + charset, body, truncated=result.truncated)
    g = _namespaces(result.graph if result.graph is not None else Graph())
    body = g.serialize(format=_RDFLIB_FORMATS[media], encoding="utf-8")
    return Reply(200, media, body, truncated=result.truncated)


def _offers_for(info: Inspection) -> Mapping[str, str]:
    if info.returns_graph:
        return GRAPH_OFFERS
    return ASK_OFFERS if info.form == "ASK" else SELECT_OFFERS


def _not_acceptable(accept: str | None, offers: Mapping[str, str]) -> Reply:
    available = ", ".join(dict.fromkeys(offers.values()))
    return problem(406, f"cannot answer in any type of Accept: {accept}", hint=f"ask for one of {available}")


# -- Linked Data pages -------------------------------------------------------------------------

#: The facts of one entity (outgoing) and the entities that point at it (incoming), with the
#: graph each triple is in and a label for the other end.  ``?this`` is bound with VALUES.
_ENTITY_OUT = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?p ?o ?g ?label WHERE { GRAPH ?g { ?this ?p ?o } OPTIONAL { ?o rdfs:label|skos:prefLabel ?label } }"""
_ENTITY_IN = """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?s ?p ?g ?label WHERE { GRAPH ?g { ?s ?p ?this } OPTIONAL { ?s rdfs:label|skos:prefLabel ?label } }"""
_REGISTRY_PAGE = URIRef(BASE + "ontology#registryPage")


@dataclass
class _Fact:
    """One row of an entity page: a predicate and the node at the other end (rows come in as
    ``(other end, predicate, graph, label of the other end)``)."""

    predicate: str
    text: str
    href: str | None = None
    external: bool = False
    detail: str = ""
    #: the full IRI of the other end, shown on hover
    iri: str = ""
    graphs: set[str] = field(default_factory=set)

    @property
    def inferred(self) -> bool:
        from graph.reason import is_reasoner_graph

        return bool(self.graphs) and all(is_reasoner_graph(g) for g in self.graphs)


def local_href(iri: str) -> str | None:
    """The server path of an IRI minted under ``/id/``; other IRIs are not served here."""
    return "/" + iri[len(BASE) :] if iri.startswith(ID_NS) else None


def _facts(rows: list[tuple[Node | None, ...]], nm: NamespaceManager, *, incoming: bool) -> list[_Fact]:
    facts: dict[tuple[str, str], _Fact] = {}
    labels: dict[tuple[str, str], str] = {}
    for node, pred, graph, label_term in rows:
        assert node is not None and pred is not None
        key = (str(pred), node.n3())
        if key not in facts:
            facts[key] = _fact(node, pred, nm, incoming=incoming)
        facts[key].graphs.add(str(graph))
        if label_term is not None and (key not in labels or str(label_term) < labels[key]):
            labels[key] = str(label_term)
    for key, label in labels.items():
        fact = facts[key]
        if fact.iri and not fact.external:
            fact.text = label
    return sorted(facts.values(), key=lambda f: (f.predicate, f.text))


def _fact(node: Node, pred: Node, nm: NamespaceManager, *, incoming: bool) -> _Fact:
    name = nm.normalizeUri(str(pred))
    if isinstance(node, Literal):
        detail = f"@{node.language}" if node.language else nm.normalizeUri(str(node.datatype)) if node.datatype else ""
        return _Fact(name, str(node), detail=detail)
    text = str(node)
    if isinstance(node, URIRef):
        href = local_href(text)
        if href is not None:
            return _Fact(name, text, href=href, iri=text)
        if pred == _REGISTRY_PAGE and not incoming and text.startswith(("https://", "http://")):
            return _Fact(name, text, href=text, external=True, iri=text)
        short = nm.normalizeUri(text)
        return _Fact(name, text if short.startswith("<") else short, iri=text)
    return _Fact(name, f"_:{text}")


def entity_answer(store: Store, iri: str, media: str, *, limit: int) -> Reply:
    """The page (HTML) or the description (RDF) of one entity; 404 when the store knows
    nothing about it."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    this = URIRef(iri)
    try:
        out = store.query(_ENTITY_OUT, {"this": this}, limit=limit)
        inc = store.query(_ENTITY_IN, {"this": this}, limit=limit)
    except QueryError:
        return problem(404, f"not an IRI this server knows: {iri}")
    if not out.rows and not inc.rows:
        return problem(404, f"nothing is known about {iri}")
    truncated = out.truncated or inc.truncated
    if media != HTML:
        g = _namespaces(Graph())
        for p, o, _g, _l in out.rows:
            g.add((this, p, o))  # type: ignore[arg-type]
        for s, p, _g, _l in inc.rows:
            g.add((s, p, this))  # type: ignore[arg-type]
        return Reply(200, media, g.serialize(format=_RDFLIB_FORMATS[media], encoding="utf-8"), truncated=truncated)
    nm = _namespaces(Graph()).namespace_manager
    facts = _facts([(o, p, g, label) for p, o, g, label in out.rows], nm, incoming=False)
    labels = sorted(str(o) for p, o, _g, _l in out.rows if p == RDFS.label)
    types = sorted({nm.normalizeUri(str(o)) for p, o, _g, _l in out.rows if str(p).endswith("#type")})
    pages = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(default=True))
    html = pages.get_template("entity.html").render(
        iri=iri,
        title=labels[0] if labels else iri.rsplit("/", 1)[-1],
        types=types,
        facts=facts,
        registry_pages=[f for f in facts if f.external],
        incoming=_facts(inc.rows, nm, incoming=True),
        truncated=truncated,
        limit=limit,
        inferred_graph=INFERRED_GRAPH,
    )
    return Reply(200, "text/html; charset=utf-8", html.encode("utf-8"))


# -- the worker side: runs in a worker process, never in the event loop ------------------------


class _WorkerState:
    """The store of one worker, reopened when a build has swapped the live database."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: Store | None = None
        self._opened: str | None = None

    def store(self) -> Store:
        spec = self.settings.store
        if spec.startswith(("http://", "https://")):
            if self._store is None:
                from graph.remote import RemoteStore

                self._store = RemoteStore(spec)  # type: ignore[assignment]
            assert self._store is not None
            return self._store
        root = Path(spec)
        link = root / "current"
        current = os.readlink(link) if link.is_symlink() else None
        if self._store is None or current != self._opened:
            if self._store is not None:
                self._store.close()
            self._store = OxigraphStore(root, read_only=True)
            self._opened = current
        return self._store


def _only_store_graphs(names: list[str], known: set[str]) -> list[str]:
    kept = [n for n in names if n in known]
    return kept or [NO_GRAPH]


def execute(
    store: Store,
    text: str,
    info: Inspection,
    default_graphs: list[str] | None,
    named_graphs: list[str] | None,
    limit: int,
) -> Result:
    """Run an inspected query.  The dataset is the protocol's (``default-graph-uri``,
    ``named-graph-uri``), else the query's (``FROM``), else the union of the store's graphs;
    in every case only graphs of the store are read."""
    import pyoxigraph as ox

    from graph.store import convert_result

    protocol = default_graphs is not None or named_graphs is not None
    if isinstance(store, OxigraphStore):
        kwargs: dict[str, Any] = {}
        try:
            if protocol:
                kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs or []]
                kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs or []]
            elif not info.has_dataset:
                kwargs["use_default_graph_as_union"] = True
        except ValueError as exc:
            raise Refused(f"not a graph IRI: {exc}") from None
        try:
            raw = store.raw_query(text, **kwargs)
        except SyntaxError as exc:
            raise Refused(f"the query does not parse: {exc}") from None
        except (OSError, RuntimeError) as exc:
            raise QueryError(f"the query failed: {exc}") from None
        return convert_result(raw, limit)
    from graph.remote import RemoteStore

    if not isinstance(store, RemoteStore):
        return store.query(text, limit=limit)
    if not protocol and info.has_dataset:
        default_graphs, named_graphs, protocol = list(info.from_graphs), list(info.from_named), True
    if protocol:
        known = {str(g) for g in store.named_graphs()}
        default_graphs = _only_store_graphs(default_graphs or [], known)
        named_graphs = _only_store_graphs(named_graphs or [], known)
    return store.query(text, limit=limit, default_graphs=default_graphs, named_graphs=named_graphs)


def _job_sparql(
    state: _WorkerState, text: str, accept: str | None, default_graphs: list[str] | None, named_graphs: list[str] | None
) -> Reply:
    info = inspect(text)
    offers = _offers_for(info)
    media = negotiate(accept, offers)
    if media is None:
        return _not_acceptable(accept, offers)
    result = execute(state.store(), text, info, default_graphs, named_graphs, state.settings.max_rows)
    return render(result, media)


def _job_named(state: _WorkerState, name: str, params: dict[str, str], accept: str | None) -> Reply:
    """A named query through :func:`graph.queries.run`, the function behind the CLI and the
    Python API: the three give the same rows."""
    from graph.queries import catalogue, run

    queries = catalogue()
    if name not in queries:
        return problem(404, f"no query named {name!r}", hint="GET /queries lists them")
    offers = _offers_for(inspect(queries[name].text))
    media = negotiate(accept, offers)
    if media is None:
        return _not_acceptable(accept, offers)
    return render(run(state.store(), name, params, limit=state.settings.max_rows), media)


def _job_view(state: _WorkerState, focus: str | None = None, depth: int = 1) -> Reply:
    try:
        from graph import view  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return problem(503, "the HTML view is not available in this installation (graph.view is missing)")
    with tempfile.TemporaryDirectory(prefix="trialgraph-view-") as tmp:
        options: dict[str, Any] = {"focus": focus, "depth": depth} if focus else {}
        path = view.write_view(state.store(), Path(tmp) / "view.html", **options)
        return Reply(200, "text/html; charset=utf-8", Path(path).read_bytes())


def _run_job(state: _WorkerState, job: tuple[Any, ...]) -> Reply:
    kind, args = job[0], job[1:]
    try:
        if kind == "sparql":
            return _job_sparql(state, *args)
        if kind == "named":
            return _job_named(state, *args)
        if kind == "entity":
            return entity_answer(state.store(), *args, limit=state.settings.max_rows)
        if kind == "view":
            return _job_view(state, *args)
        if kind == "ping":
            return Reply(200, "text/plain", b"ok")
        return problem(500, f"unknown job {kind!r}")
    except Refused as exc:
        return problem(exc.status, exc.message, hint=exc.hint)
    except QueryError as exc:
        return problem(400, exc.message, hint=exc.hint)
    except StoreError as exc:
        return problem(503, exc.message, hint=exc.hint)
    except TrialgraphError as exc:
        return problem(500, exc.message, hint=exc.hint)
    except Exception as exc:  # a worker answers every job, whatever happens in it
        return problem(500, f"internal error: {type(exc).__name__}: {exc}")


def _worker_main(conn: Connection, settings: Settings) -> None:
    """A worker: answer jobs one at a time until the pipe closes.  It opens the store and
    parses a first query before taking jobs, so that the first real query is not slowed down."""
    state = _WorkerState(settings)
    with contextlib.suppress(Exception):  # a broken store is reported by the first job instead
        execute(state.store(), "ASK {}", inspect("ASK {}"), None, None, 1)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(_run_job(state, job))


# -- the pool: the event loop's side ------------------------------------------------------------


class _Worker:
    def __init__(self, ctx: Any, settings: Settings) -> None:
        parent, child = ctx.Pipe()
        self.conn: Connection = parent
        self.process = ctx.Process(target=_worker_main, args=(child, settings), daemon=True, name="trialgraph-query")
        self.process.start()
        child.close()

    def call(self, job: tuple[Any, ...], timeout: float) -> Reply | None:
        """The worker's reply, or ``None`` when it is not there by the deadline."""
        self.conn.send(job)
        if not self.conn.poll(timeout):
            return None
        reply: Reply = self.conn.recv()
        return reply

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()


class WorkerPool:
    """``max_concurrent`` worker processes.  A thread waits for each running query (blocking on
    its pipe with a deadline), so the event loop stays free; a late worker is killed and a new
    one takes its place."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload([__name__, "graph.queries", "graph.sparql_guard"])
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._threads = ThreadPoolExecutor(settings.max_concurrent, thread_name_prefix="trialgraph-wait")

    def _spawn(self) -> _Worker:
        worker = _Worker(self._ctx, self.settings)
        self._all.add(worker)
        return worker

    def start(self) -> None:
        self._idle = [self._spawn() for _ in range(self.settings.max_concurrent)]

    def close(self) -> None:
        for worker in list(self._all):
            worker.stop()
        self._all.clear()
        self._idle.clear()
        self._threads.shutdown(wait=False, cancel_futures=True)

    def _retire(self, worker: _Worker) -> _Worker:
        worker.stop()
        self._all.discard(worker)
        return self._spawn()

    def _dispatch(self, worker: _Worker, job: tuple[Any, ...]) -> tuple[_Worker, Reply]:
        try:
            reply = worker.call(job, self.settings.timeout)
        except (EOFError, OSError):
            return self._retire(worker), problem(500, "the query worker stopped unexpectedly; try again")
        if reply is None:
            return self._retire(worker), problem(
                504,
                f"the query ran longer than the time limit ({self.settings.timeout:g} s) and was cancelled",
                hint="narrow the query, or ask the server's operator for a longer --timeout",
            )
        return worker, reply

    async def run(self, job: tuple[Any, ...]) -> Reply:
        if not self._idle:
            return problem(
                503,
                f"the server is busy: {self.settings.max_concurrent} queries are running",
                hint="try again in a moment",
                headers={"Retry-After": "1"},
            )
        worker = self._idle.pop()
        future = asyncio.get_running_loop().run_in_executor(self._threads, self._dispatch, worker, job)
        try:
            worker, reply = await asyncio.shield(future)
        except asyncio.CancelledError:
            # the client went away: the worker comes back to the pool when its job ends
            future.add_done_callback(lambda f: self._idle.append(f.result()[0]))
            raise
        self._idle.append(worker)
        return reply


# -- the HTTP side ------------------------------------------------------------------------------


class _Problem(Exception):
    def __init__(self, reply: Reply) -> None:
        super().__init__(reply.body.decode("utf-8", "replace"))
        self.reply = reply


_UPDATE_REFUSED = "SPARQL Update is refused: this endpoint is read-only"


def _media_type(header: str | None) -> tuple[str, dict[str, str]]:
    media, *params = (header or "").split(";")
    out = {}
    for p in params:
        key, _, value = p.strip().partition("=")
        out[key.strip().lower()] = value.strip().strip('"').lower()
    return media.strip().lower(), out


async def _read_body(request: Any, limit: int) -> bytes:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > limit:
        raise _Problem(problem(413, f"the request is longer than {limit} bytes", hint="shorten the query"))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _Problem(problem(413, f"the request is longer than {limit} bytes", hint="shorten the query"))
        chunks.append(chunk)
    return b"".join(chunks)


def _decode_utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise _Problem(problem(400, "the request body is not UTF-8", hint="send the query in UTF-8")) from None


@dataclass
class _SparqlRequest:
    query: str | None
    default_graphs: list[str] | None
    named_graphs: list[str] | None


async def read_sparql_request(request: Any, max_bytes: int) -> _SparqlRequest:
    """The query and protocol dataset of a SPARQL Protocol request (GET, POST form, POST
    direct), or a :class:`_Problem` with the status the protocol asks for."""
    pairs = list(request.query_params.multi_items())
    if request.method == "POST":
        media, params = _media_type(request.headers.get("content-type"))
        if media == "application/x-www-form-urlencoded":
            text = _decode_utf8(await _read_body(request, 3 * max_bytes + 4096))
            try:
                pairs += parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
            except (UnicodeDecodeError, ValueError):
                raise _Problem(problem(400, "the form is not valid UTF-8 url-encoding")) from None
        elif media == "application/sparql-query":
            if params.get("charset", "utf-8") not in ("utf-8", "utf8"):
                raise _Problem(problem(415, f"queries must be UTF-8, not {params['charset']}"))
            pairs.append(("query", _decode_utf8(await _read_body(request, max_bytes))))
        elif media == "application/sparql-update":
            raise _Problem(problem(400, _UPDATE_REFUSED))
        else:
            raise _Problem(
                problem(
                    415,
                    f"unsupported media type {media or '(none)'} for a query",
                    hint="POST with application/x-www-form-urlencoded or application/sparql-query",
                )
            )
    queries = [v for k, v in pairs if k == "query"]
    if any(k in ("update", "using-graph-uri", "using-named-graph-uri") for k, _ in pairs):
        raise _Problem(problem(400, _UPDATE_REFUSED))
    if len(queries) > 1:
        raise _Problem(problem(400, "more than one query in the request", hint="send exactly one 'query'"))
    default = [v for k, v in pairs if k == "default-graph-uri"]
    named = [v for k, v in pairs if k == "named-graph-uri"]
    if not queries:
        if request.method == "POST" or default or named:
            raise _Problem(problem(400, "no query given", hint="send the query in the 'query' parameter"))
        return _SparqlRequest(None, None, None)
    if len(queries[0].encode("utf-8")) > max_bytes:
        raise _Problem(problem(413, f"the query is longer than {max_bytes} bytes", hint="shorten the query"))
    if default or named:
        return _SparqlRequest(queries[0], default, named)
    return _SparqlRequest(queries[0], None, None)


def _http(reply: Reply) -> Any:
    from starlette.responses import Response

    headers = {"Vary": "Accept", "X-Content-Type-Options": "nosniff", **reply.headers}
    if reply.truncated is not None:
        headers[TRUNCATED_HEADER] = "true" if reply.truncated else "false"
    return Response(reply.body, status_code=reply.status, media_type=reply.media_type, headers=headers)


#: Pages load scripts and styles from this server only, and data never becomes markup.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'self'; form-action 'self'"
)
#: The view is one self-contained file with inline scripts; it may not load anything from
#: elsewhere.
VIEW_CSP = "default-src 'self' 'unsafe-inline' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'"


def service_description(endpoint: str, settings: Settings) -> Graph:
    """A SPARQL 1.1 Service Description of this endpoint."""
    from rdflib import RDF, Namespace

    sd = Namespace("http://www.w3.org/ns/sparql-service-description#")
    fmt = Namespace("http://www.w3.org/ns/formats/")
    g = Graph()
    g.bind("sd", sd)
    g.bind("formats", fmt)
    service = URIRef(endpoint + "#service")
    g.add((service, RDF.type, sd.Service))
    g.add((service, sd.endpoint, URIRef(endpoint)))
    g.add((service, sd.supportedLanguage, sd.SPARQL11Query))
    g.add((service, sd.feature, sd.UnionDefaultGraph))
    for name in (
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "JSON-LD",
        "RDF_XML",
    ):
        g.add((service, sd.resultFormat, fmt[name]))
    dataset = BNode()
    default = BNode()
    g.add((service, sd.defaultDataset, dataset))
    g.add((dataset, RDF.type, sd.Dataset))
    g.add((dataset, sd.defaultGraph, default))
    g.add((default, RDF.type, sd.Graph))
    g.add(
        (
            service,
            RDFS.comment,
            Literal(
                f"Read-only. SERVICE is refused. Time limit {settings.timeout:g} s per query; at most "
                f"{settings.max_rows} rows (header {TRUNCATED_HEADER}); "
                f"queries up to {settings.max_query_bytes} bytes; {settings.max_concurrent} queries at once."
            ),
        )
    )
    return g


def create_app(settings: Settings) -> Any:
    """The ASGI application."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    pool = WorkerPool(settings)
    pages = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(default=True))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        pool.start()
        try:
            yield
        finally:
            pool.close()

    def page(html: str, status: int = 200, csp: str = PAGE_CSP) -> Response:
        return HTMLResponse(
            html,
            status_code=status,
            headers={
                "Content-Security-Policy": csp,
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
            },
        )

    async def sparql(request: Request) -> Response:
        try:
            req = await read_sparql_request(request, settings.max_query_bytes)
        except _Problem as p:
            return _http(p.reply)
        if req.query is None:
            return describe_service(request)
        accept = request.headers.get("accept")
        return _http(await pool.run(("sparql", req.query, accept, req.default_graphs, req.named_graphs)))

    def describe_service(request: Request) -> Response:
        media = negotiate(request.headers.get("accept"), SD_OFFERS)
        if media is None:
            return _http(_not_acceptable(request.headers.get("accept"), SD_OFFERS))
        if media == HTML:
            return RedirectResponse("./", status_code=303)
        endpoint = str(request.url.replace(query=""))
        g = service_description(endpoint, settings)
        return _http(Reply(200, media, g.serialize(format=_RDFLIB_FORMATS[media], encoding="utf-8")))

    async def home(_request: Request) -> Response:
        return page(pages.get_template("query.html").render())

    async def list_queries(_request: Request) -> Response:
        from graph.queries import catalogue

        items = [
            {
                "name": q.name,
                "title": q.title,
                "description": q.description,
                "gate": q.is_gate,
                "text": q.text,
                "params": [{"name": p.name, "variable": p.variable, "description": p.description} for p in q.params],
            }
            for q in catalogue().values()
        ]
        return JSONResponse(items)

    async def named_query(request: Request) -> Response:
        name = request.path_params["name"]
        pairs = list(request.query_params.multi_items())
        params = dict(pairs)
        if len(params) != len(pairs):
            return _http(problem(400, "a parameter is given twice"))
        return _http(await pool.run(("named", name, params, request.headers.get("accept"))))

    async def view(request: Request) -> Response:
        focus = request.query_params.get("focus") or None
        depth = request.query_params.get("depth", "1")
        if not depth.isdigit() or not 0 < int(depth) <= 3:
            return _http(problem(400, "depth must be 1, 2 or 3"))
        reply = await pool.run(("view", focus, int(depth)))
        if reply.status == 200:
            return page(reply.body.decode("utf-8"), csp=VIEW_CSP)
        return _http(reply)

    async def entity(request: Request) -> Response:
        raw = request.scope.get("raw_path") or request.url.path.encode("utf-8")
        path = raw.decode("latin-1").split("?", 1)[0]
        iri = BASE + path.lstrip("/")
        accept = request.headers.get("accept")
        media = negotiate(accept, ENTITY_OFFERS)
        if media is None:
            return _http(_not_acceptable(accept, ENTITY_OFFERS))
        reply = await pool.run(("entity", iri, media))
        if reply.status == 200 and media == HTML:
            return page(reply.body.decode("utf-8"))
        if reply.status == 404 and media == HTML:
            html = pages.get_template("not_found.html").render(iri=iri)
            return page(html, status=404)
        return _http(reply)

    routes = [
        Route("/", home),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/queries", list_queries),
        Route("/queries/{name:path}", named_query),
        Route("/view", view),
        Route("/id/{rest:path}", entity),
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    middleware = [
        Middleware(
            CORSMiddleware,
            allow_origins=["*"],
            allow_credentials=False,
            allow_methods=["GET", "POST"],
            allow_headers=["Accept", "Content-Type"],
            expose_headers=[TRUNCATED_HEADER],
        )
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.pool = pool
    return app


def check_store(spec: str) -> None:
    """``serve`` reads a store folder or the URL of an endpoint; fail early and clearly."""
    if spec in ("memory", ":memory:"):
        raise StoreError("serve needs a store folder or the URL of a SPARQL endpoint, not 'memory'")
    if spec.startswith(("http://", "https://")):
        return
    path = Path(spec)
    if not (path / "current").exists():
        raise StoreError(f"{spec}: no trialgraph store here", hint=f"build one first: trialgraph build --store {spec}")


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the server until interrupted."""
    import uvicorn

    check_store(settings.store)
    app = create_app(settings)
    uvicorn.run(
        app,
        host=host,
        port=port,
        log_level="info",
        server_header=False,
        proxy_headers=False,
        # a GET query is percent-encoded: leave room for the length cap to answer 413 itself
        h11_max_incomplete_event_size=3 * settings.max_query_bytes + 16_384,
    )
