"""The read-only SPARQL 1.1 endpoint, the query page, the HTML view and Linked Data pages, over
HTTP (Starlette on uvicorn).  See docs/server.md.

Safety is the default, not an option:
- the store is opened read-only, and SPARQL Update is refused;
- a query is checked before it runs (:mod:`graph.query.guard`): its size (literals, operators,
  nesting) is bounded, ``SERVICE`` is refused, and ``FROM``/``FROM NAMED``/``default-graph-uri``/
  ``named-graph-uri`` only select graphs of the store (Oxigraph never loads a graph from a URL);
- the event loop never runs a query.  Queries run in worker processes with a time limit and a
  memory limit, behind a bounded, fair wait queue (:mod:`graph.serve.pool`);
- answers are capped in rows and in bytes, and a capped answer says so in the
  ``X-Trialgraph-Truncated`` header and, for SPARQL JSON, in a top-level ``"truncated"`` member;
- CORS allows any origin, never with credentials.

This module is the HTTP side: routes, ETags and the result cache (:mod:`graph.serve.cache`),
and starting uvicorn.  The protocol is :mod:`graph.serve.protocol`, the work is done by
:mod:`graph.serve.jobs`, and the pages by :mod:`graph.serve.pages`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import socket
from collections.abc import AsyncIterator
from typing import Any

from graph.constants import BASE, PACKAGE_DIR
from graph.errors import InputError, TrialgraphError
from graph.query.results import RDFLIB_FORMATS
from graph.serve.cache import ResultCache, etag, matches
from graph.serve.jobs import GZIP_MIN_BYTES, OFFSET_HEADER, TOTAL_HEADER, Job, store_version
from graph.serve.pages import TEMPLATES_DIR
from graph.serve.pool import WorkerPool
from graph.serve.protocol import (
    ENTITY_OFFERS,
    HTML,
    SD_OFFERS,
    TRUNCATED_HEADER,
    Reply,
    RequestProblem,
    accepts_gzip,
    negotiate,
    not_acceptable,
    problem,
    read_sparql_request,
    service_description,
)
from graph.serve.settings import Settings
from graph.store.registry import require_store

__all__ = ["create_app", "serve"]

STATIC_DIR = PACKAGE_DIR / "static" / "server"
#: ``hit`` or ``miss``: whether the result cache answered (absent when there is no cache).
CACHE_HEADER = "X-Trialgraph-Cache"

#: Pages load scripts and styles from this server only, and data never becomes markup.
PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'self'; form-action 'self'"
)
#: The view is one self-contained file with inline scripts; it may not load anything from
#: elsewhere.
VIEW_CSP = "default-src 'self' 'unsafe-inline' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'"


def _page_headers(csp: str) -> dict[str, str]:
    return {"Content-Security-Policy": csp, "Referrer-Policy": "no-referrer"}


def http_response(reply: Reply, *, tag: str | None = None, headers: dict[str, str] | None = None) -> Any:
    """A Starlette response for a reply, with its ETag when it has one."""
    from starlette.responses import Response

    out = {"Vary": "Accept, Accept-Encoding", "X-Content-Type-Options": "nosniff", **reply.headers, **(headers or {})}
    if reply.truncated is not None:
        out[TRUNCATED_HEADER] = "true" if reply.truncated else "false"
    if reply.encoding is not None:
        out["Content-Encoding"] = reply.encoding
    if tag is not None:
        out["ETag"] = tag
        out["Cache-Control"] = "no-cache"  # keep it, but ask again: the store may change
    return Response(reply.body, status_code=reply.status, media_type=reply.media_type, headers=out)


def _not_modified(tag: str) -> Any:
    from starlette.responses import Response

    return Response(
        status_code=304, headers={"ETag": tag, "Cache-Control": "no-cache", "Vary": "Accept, Accept-Encoding"}
    )


def client_of(request: Any) -> str:
    """The client a request counts against: its address."""
    return request.client.host if request.client is not None else "unknown"


class Answering:
    """Jobs through the ETag check, the cache and the pool."""

    def __init__(self, settings: Settings, pool: WorkerPool) -> None:
        self.settings = settings
        self.pool = pool
        use_cache = settings.cache_bytes > 0 and settings.local_store
        self.cache = ResultCache(settings.cache_bytes) if use_cache else None

    def version(self) -> str | None:
        return store_version(self.settings.store) if self.settings.local_store else None

    async def reply(self, request: Any, job: Job) -> tuple[Reply | None, str | None]:
        """The reply to a job and its ETag (GET only); ``(None, tag)`` for a 304."""
        version = self.version()
        tagged = request.method in ("GET", "HEAD")
        if version is not None and tagged and matches(request.headers.get("if-none-match"), etag(version, job)):
            return None, etag(version, job)
        reply = self.cache.get(version, job) if self.cache is not None and version is not None else None
        if reply is not None:
            reply = dataclasses.replace(reply, headers={**reply.headers, CACHE_HEADER: "hit"})
        else:
            reply = await self.pool.run(client_of(request), job)
            if self.cache is not None and reply.version is not None:
                self.cache.put(reply.version, job, reply)
                reply = dataclasses.replace(reply, headers={**reply.headers, CACHE_HEADER: "miss"})
        tag = etag(reply.version, job) if tagged and reply.status == 200 and reply.version is not None else None
        return reply, tag

    async def respond(self, request: Any, job: Job, headers: dict[str, str] | None = None) -> Any:
        reply, tag = await self.reply(request, job)
        if reply is None:
            assert tag is not None
            return _not_modified(tag)
        return http_response(reply, tag=tag, headers=headers if reply.status == 200 else None)


def _wants_gzip(request: Any) -> bool:
    return accepts_gzip(request.headers.get("accept-encoding"))


def create_app(settings: Settings) -> Any:
    """The ASGI application."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape
    from starlette.applications import Starlette
    from starlette.middleware import Middleware
    from starlette.middleware.cors import CORSMiddleware
    from starlette.middleware.gzip import GZipMiddleware
    from starlette.requests import Request
    from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    pool = WorkerPool(settings)
    answering = Answering(settings, pool)
    pages = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(default=True))

    @contextlib.asynccontextmanager
    async def lifespan(_app: Any) -> AsyncIterator[None]:
        pool.start()
        try:
            yield
        finally:
            pool.close()

    def page(html: str, status: int = 200) -> Response:
        headers = {**_page_headers(PAGE_CSP), "X-Content-Type-Options": "nosniff"}
        return HTMLResponse(html, status_code=status, headers=headers)

    async def sparql(request: Request) -> Response:
        try:
            req = await read_sparql_request(request, settings.max_query_bytes)
        except RequestProblem as p:
            return http_response(p.reply)
        if req.query is None:
            return describe_service(request)
        dataset = (
            tuple(req.default_graphs) if req.default_graphs is not None else None,
            tuple(req.named_graphs) if req.named_graphs is not None else None,
        )
        job = Job("sparql", (req.query, request.headers.get("accept"), *dataset), _wants_gzip(request))
        response: Response = await answering.respond(request, job)
        return response

    def describe_service(request: Request) -> Response:
        media = negotiate(request.headers.get("accept"), SD_OFFERS)
        if media is None:
            return http_response(not_acceptable(request.headers.get("accept"), SD_OFFERS))
        if media == HTML:
            return RedirectResponse("./", status_code=303)
        endpoint = str(request.url.replace(query=""))
        g = service_description(endpoint, settings)
        return http_response(Reply(200, media, g.serialize(format=RDFLIB_FORMATS[media], encoding="utf-8")))

    async def home(_request: Request) -> Response:
        return page(pages.get_template("query.html").render())

    async def list_queries(_request: Request) -> Response:
        from graph.query.named import catalogue

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
        if len(dict(pairs)) != len(pairs):
            return http_response(problem(400, "a parameter is given twice"))
        job = Job("named", (name, tuple(sorted(pairs)), request.headers.get("accept")), _wants_gzip(request))
        response: Response = await answering.respond(request, job)
        return response

    async def conflicts(request: Request) -> Response:
        response: Response = await answering.respond(request, Job("conflicts", (), _wants_gzip(request)))
        return response

    async def view(request: Request) -> Response:
        focus = request.query_params.get("focus") or None
        depth = request.query_params.get("depth", "1")
        if not depth.isdigit() or not 0 < int(depth) <= 3:
            return http_response(problem(400, "depth must be 1, 2 or 3"))
        job = Job("view", (focus, int(depth)), _wants_gzip(request))
        response: Response = await answering.respond(request, job, _page_headers(VIEW_CSP))
        return response

    async def entity(request: Request) -> Response:
        raw = request.scope.get("raw_path") or request.url.path.encode("utf-8")
        path = raw.decode("latin-1").split("?", 1)[0]
        iri = BASE + path.lstrip("/")
        accept = request.headers.get("accept")
        media = negotiate(accept, ENTITY_OFFERS)
        if media is None:
            return http_response(not_acceptable(accept, ENTITY_OFFERS))
        job = Job("entity", (iri, media), _wants_gzip(request))
        reply, tag = await answering.reply(request, job)
        if reply is None:
            assert tag is not None
            return _not_modified(tag)
        if reply.status == 404 and media == HTML:
            return page(pages.get_template("not_found.html").render(iri=iri), status=404)
        headers = _page_headers(PAGE_CSP) if media == HTML and reply.status == 200 else None
        response: Response = http_response(reply, tag=tag, headers=headers)
        return response

    routes = [
        Route("/", home),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/queries", list_queries),
        Route("/queries/{name:path}", named_query),
        Route("/conflicts", conflicts),
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
            allow_headers=["Accept", "Content-Type", "If-None-Match"],
            expose_headers=[TRUNCATED_HEADER, CACHE_HEADER, TOTAL_HEADER, OFFSET_HEADER, "ETag"],
        ),
        # pages and static files; answers of the workers come compressed already and are left alone
        Middleware(GZipMiddleware, minimum_size=GZIP_MIN_BYTES, compresslevel=6),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.pool = pool
    return app


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port``, or an error (exit 2) when the address is taken or
    cannot be used.  The socket is made with the protocol IPPROTO_TCP, as uvicorn makes its own:
    asyncio then turns Nagle's algorithm off on each connection (it checks the protocol), and a
    small answer is not held back 40 ms by the client's delayed acknowledgement."""
    sock: socket.socket | None = None
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP
        )[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
        return sock
    except OSError as exc:
        if sock is not None:
            sock.close()
        reason = exc.strerror or str(exc)
        in_use = exc.errno == errno.EADDRINUSE
        hint = "pick another --port, or stop the program that uses it" if in_use else "check --host and --port"
        raise InputError(f"cannot listen on {host}:{port}: {reason}", hint=hint) from None


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Run the server until interrupted."""
    import uvicorn

    require_store(settings.store)
    sock = listen(host, port)
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        log_level="info",
        server_header=False,
        proxy_headers=False,
        # a GET query is percent-encoded: leave room for the length cap to answer 413 itself
        h11_max_incomplete_event_size=3 * settings.max_query_bytes + 16_384,
    )
    server = uvicorn.Server(config)
    server.run(sockets=[sock])
    if not server.started:
        raise TrialgraphError("the server did not start (see the messages above)")
