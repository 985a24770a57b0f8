"""The SPARQL 1.1 Protocol as the endpoint speaks it: media types and content negotiation, the
answer a worker sends back (:class:`Reply`, its body written by the result writers of
:mod:`graph.query.results`), reading a query request (GET, POST form, POST
direct), and the service description.  No I/O of its own and no Starlette: the HTTP side is
:mod:`graph.serve.app`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from rdflib import RDFS, BNode, Graph, Literal, URIRef

from graph.query.guard import Inspection
from graph.query.results import (
    CSV,
    JSONLD,
    NTRIPLES,
    RDFXML,
    TSV,
    TURTLE,
    Answer,
    offers,
    write_boolean,
    write_graph,
    write_rows,
)
from graph.serve.settings import Settings

#: Set on every query answer: ``true`` when the row or byte cap cut the result.
TRUNCATED_HEADER = "X-Trialgraph-Truncated"

# -- content negotiation ----------------------------------------------------------------------

HTML = "text/html"

#: Offers per kind of answer: the media type a client may ask for -> the one answered, in the
#: server's order of preference (the first is the default).  Those of SELECT and ASK answers are
#: the registered result writers, each under its media type and its aliases.
SELECT_OFFERS = offers()
ASK_OFFERS = offers(boolean=True)
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


def accepts_gzip(header: str | None) -> bool:
    """Whether an ``Accept-Encoding`` header accepts gzip (``gzip`` or ``*`` with a non-zero q)."""
    if not header:
        return False
    codings = dict(_accept_ranges(header))
    return codings.get("gzip", codings.get("x-gzip", codings.get("*", 0.0))) > 0


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
    #: the store version the worker read (the name of the live database folder), or ``None``
    version: str | None = None
    #: ``"gzip"`` when the body is compressed
    encoding: str | None = None
    #: the worker must be replaced after this answer (it ran out of memory)
    retire: bool = False


def render(answer: Answer, media: str, *, max_rows: int, max_bytes: int) -> Reply:
    """An answer in the negotiated media type, within the caps."""
    if answer.kind == "ASK":
        return Reply(200, media, write_boolean(bool(answer.boolean), media), truncated=False)
    if answer.kind == "SELECT":
        body, cut = write_rows(
            answer.variables, answer.rows, media, max_rows=max_rows, max_bytes=max_bytes, cut=answer.truncated
        )
        charset = "; charset=utf-8" if media in (CSV, TSV) else ""
        return Reply(200, media + charset, body, truncated=cut)
    body, cut = write_graph(answer.triples, media, max_rows=max_rows, max_bytes=max_bytes)
    return Reply(200, media, body, truncated=cut or answer.truncated)


def problem(status: int, message: str, *, hint: str | None = None, headers: dict[str, str] | None = None) -> Reply:
    """A readable plain-text error, as the SPARQL Protocol asks."""
    text = message + (f"\nhint: {hint}" if hint else "") + "\n"
    return Reply(status, "text/plain; charset=utf-8", text.encode("utf-8"), headers=headers or {})


def offers_for(info: Inspection) -> Mapping[str, str]:
    """The media types a query of this form can be answered in."""
    if info.returns_graph:
        return GRAPH_OFFERS
    return ASK_OFFERS if info.form == "ASK" else SELECT_OFFERS


def not_acceptable(accept: str | None, offers: Mapping[str, str]) -> Reply:
    available = ", ".join(dict.fromkeys(offers.values()))
    return problem(406, f"cannot answer in any type of Accept: {accept}", hint=f"ask for one of {available}")


# -- reading a request ----------------------------------------------------------------------


class RequestProblem(Exception):
    """A request that gets an error answer before any query runs."""

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
        raise RequestProblem(problem(413, f"the request is longer than {limit} bytes", hint="shorten the query"))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestProblem(problem(413, f"the request is longer than {limit} bytes", hint="shorten the query"))
        chunks.append(chunk)
    return b"".join(chunks)


def _decode_utf8(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestProblem(problem(400, "the request body is not UTF-8", hint="send the query in UTF-8")) from None


@dataclass
class SparqlRequest:
    """The query and the protocol's dataset of one request."""

    query: str | None
    default_graphs: list[str] | None
    named_graphs: list[str] | None


async def read_sparql_request(request: Any, max_bytes: int) -> SparqlRequest:
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
                raise RequestProblem(problem(400, "the form is not valid UTF-8 url-encoding")) from None
        elif media == "application/sparql-query":
            if params.get("charset", "utf-8") not in ("utf-8", "utf8"):
                raise RequestProblem(problem(415, f"queries must be UTF-8, not {params['charset']}"))
            pairs.append(("query", _decode_utf8(await _read_body(request, max_bytes))))
        elif media == "application/sparql-update":
            raise RequestProblem(problem(400, _UPDATE_REFUSED))
        else:
            raise RequestProblem(
                problem(
                    415,
                    f"unsupported media type {media or '(none)'} for a query",
                    hint="POST with application/x-www-form-urlencoded or application/sparql-query",
                )
            )
    queries = [v for k, v in pairs if k == "query"]
    if any(k in ("update", "using-graph-uri", "using-named-graph-uri") for k, _ in pairs):
        raise RequestProblem(problem(400, _UPDATE_REFUSED))
    if len(queries) > 1:
        raise RequestProblem(problem(400, "more than one query in the request", hint="send exactly one 'query'"))
    default = [v for k, v in pairs if k == "default-graph-uri"]
    named = [v for k, v in pairs if k == "named-graph-uri"]
    if not queries:
        if request.method == "POST" or default or named:
            raise RequestProblem(problem(400, "no query given", hint="send the query in the 'query' parameter"))
        return SparqlRequest(None, None, None)
    if len(queries[0].encode("utf-8")) > max_bytes:
        raise RequestProblem(problem(413, f"the query is longer than {max_bytes} bytes", hint="shorten the query"))
    if default or named:
        return SparqlRequest(queries[0], default, named)
    return SparqlRequest(queries[0], None, None)


# -- the service description ----------------------------------------------------------------


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
                f"{settings.max_rows} rows (header {TRUNCATED_HEADER}) and {settings.max_bytes} bytes; "
                f"queries up to {settings.max_query_bytes} bytes; {settings.max_concurrent} queries at once, "
                f"the others wait up to {settings.queue_timeout:g} s."
            ),
        )
    )
    return g
