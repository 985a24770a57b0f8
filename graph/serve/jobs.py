"""The worker side of the endpoint: a worker process answers one job at a time (a SPARQL query, a
named query, an entity page, the view) and never runs in the server's event loop.

A worker reads the store read-only and reopens it when a build has swapped the live database.
Its data segment is capped (``resource.setrlimit(RLIMIT_DATA)``, ``--worker-memory``): a query
that needs more fails inside the worker (a ``MemoryError``, or an abort of the query engine),
never in the server, and the pool replaces the worker.  Answers are written within the row and
byte caps (:mod:`graph.query.results`) and compressed here, off the event loop, when the client
accepts gzip.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import resource
import tempfile
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from graph.errors import QueryError, StoreError, TrialgraphError
from graph.query.guard import Inspection, Refused, inspect
from graph.query.results import Answer
from graph.serve.protocol import Reply, negotiate, not_acceptable, offers_for, problem, render
from graph.serve.settings import MB, Settings
from graph.store.base import Store
from graph.store.disk import live_version
from graph.store.registry import open_store

#: Bodies shorter than this are sent as they are.
GZIP_MIN_BYTES = 1024
#: How much lower a worker's CPU priority is than the server's.
WORKER_NICENESS = 5


@dataclass(frozen=True)
class Job:
    """One unit of work for a worker (picklable and hashable: it is also the cache key).

    ``kind`` is ``sparql`` (query, Accept, default graphs, named graphs), ``named`` (name,
    parameters as sorted pairs, Accept), ``entity`` (IRI, media type), ``view`` (focus, depth)
    or ``ping``."""

    kind: str
    args: tuple[Any, ...] = ()
    gzip: bool = False


class WorkerState:
    """The store of one worker, reopened when a build has swapped the live database."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._store: Store | None = None
        self.version: str | None = None

    def store(self) -> Store:
        """The store, opened again when its live database changed (a remote store: once)."""
        spec = self.settings.store
        current = store_version(spec)
        if self._store is None or current != self.version:
            if self._store is not None:
                self._store.close()
            self._store = open_store(spec, read_only=True)
            self.version = current
        return self._store


def store_version(spec: str) -> str | None:
    """The version of a local store: the name of its live database folder, which every build
    replaces.  ``None`` for a store that was never built or a remote one."""
    return live_version(Path(spec))


def execute(
    store: Store,
    text: str,
    info: Inspection,
    default_graphs: list[str] | None,
    named_graphs: list[str] | None,
) -> Answer:
    """Run an inspected query.  The dataset is the protocol's (``default-graph-uri``,
    ``named-graph-uri``), else the query's (``FROM``), else the union of the store's graphs;
    in every case only graphs of the store are read.  Rows are read lazily, as they are
    written."""
    import pyoxigraph as ox

    if default_graphs is None and named_graphs is None and info.has_dataset:
        default_graphs, named_graphs = list(info.from_graphs), list(info.from_named)
    kwargs: dict[str, Any] = {}
    try:
        if default_graphs is not None or named_graphs is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs or []]
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs or []]
        else:
            kwargs["use_default_graph_as_union"] = True
    except ValueError as exc:
        raise Refused(f"not a graph IRI: {exc}") from None
    try:
        raw = store.reader().query(text, **kwargs)
    except SyntaxError as exc:
        raise Refused(f"the query does not parse: {exc}") from None
    except (OSError, RuntimeError) as exc:
        raise QueryError(f"the query failed: {exc}") from None
    return Answer.of_oxigraph(raw)


def _rendered(state: WorkerState, answer: Answer, media: str) -> Reply:
    s = state.settings
    try:
        return render(answer, media, max_rows=s.max_rows, max_bytes=s.max_bytes)
    except (OSError, RuntimeError) as exc:  # the engine fails while rows are read
        raise QueryError(f"the query failed: {exc}") from None


def job_sparql(
    state: WorkerState,
    text: str,
    accept: str | None,
    default_graphs: tuple[str, ...] | None,
    named_graphs: tuple[str, ...] | None,
) -> Reply:
    info = inspect(text, state.settings.limits)
    offers = offers_for(info)
    media = negotiate(accept, offers)
    if media is None:
        return not_acceptable(accept, offers)
    dataset = (
        list(default_graphs) if default_graphs is not None else None,
        list(named_graphs) if named_graphs is not None else None,
    )
    answer = execute(state.store(), text, info, *dataset)
    return _rendered(state, answer, media)


def job_named(state: WorkerState, name: str, params: tuple[tuple[str, str], ...], accept: str | None) -> Reply:
    """A named query through :func:`graph.query.named.run`, the function behind the CLI and the
    Python API: the three give the same rows."""
    from graph.query.named import catalogue, run

    queries = catalogue()
    if name not in queries:
        return problem(404, f"no query named {name!r}", hint="GET /queries lists them")
    offers = offers_for(inspect(queries[name].text))
    media = negotiate(accept, offers)
    if media is None:
        return not_acceptable(accept, offers)
    args = dict(params)
    try:
        limit, offset = _page(args, state.settings.max_rows)
    except ValueError as exc:
        return problem(400, str(exc), hint="limit and offset are whole numbers, 0 or more")
    result = run(state.store(), name, args, limit=limit, offset=offset)
    reply = _rendered(state, Answer.of_result(result), media)
    if result.total is not None:
        reply.headers[TOTAL_HEADER] = str(result.total)
        reply.headers[OFFSET_HEADER] = str(offset)
    return reply


#: Rows of a named query per page over HTTP unless ``limit`` asks for another number.
DEFAULT_PAGE_ROWS = 1000
#: How many rows the whole answer of a named query has, and where the page starts.
TOTAL_HEADER = "X-Trialgraph-Total-Rows"
OFFSET_HEADER = "X-Trialgraph-Offset"


def _page(args: dict[str, str], max_rows: int) -> tuple[int, int]:
    """``limit`` and ``offset`` taken out of a named query's parameters: the page size (at most
    the row cap; ``DEFAULT_PAGE_ROWS`` when not given) and the first row."""

    def whole(key: str, default: int) -> int:
        text = args.pop(key, None)
        if text is None:
            return default
        if not text.isdigit():
            raise ValueError(f"{key} must be a whole number, 0 or more, not {text[:40]!r}")
        return int(text)

    limit = whole("limit", min(DEFAULT_PAGE_ROWS, max_rows))
    offset = whole("offset", 0)
    return min(limit, max_rows) if limit else max_rows, offset


def job_conflicts(state: WorkerState) -> Reply:
    """Where the records of one trial disagree, through :func:`graph.conflicts.trial_conflicts`,
    the function behind ``trialgraph conflicts``."""
    import json

    from graph.conflicts import as_rows, trial_conflicts

    body = json.dumps(as_rows(trial_conflicts(state.store())), ensure_ascii=False, indent=1)
    return Reply(200, "application/json", body.encode("utf-8"))


def job_view(state: WorkerState, focus: str | None = None, depth: int = 1) -> Reply:
    try:
        import graph.view.output as view  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        return problem(503, "the HTML view is not available in this installation (graph.view is missing)")
    with tempfile.TemporaryDirectory(prefix="trialgraph-view-") as tmp:
        options: dict[str, Any] = {"focus": focus, "depth": depth} if focus else {}
        path = view.write_view(state.store(), Path(tmp) / "view.html", **options)
        return Reply(200, "text/html; charset=utf-8", Path(path).read_bytes())


def job_entity(state: WorkerState, iri: str, media: str) -> Reply:
    from graph.serve.pages import entity_answer

    return entity_answer(state.store(), iri, media, limit=state.settings.max_rows)


_JOBS = {
    "sparql": job_sparql,
    "named": job_named,
    "view": job_view,
    "entity": job_entity,
    "conflicts": job_conflicts,
}


def _out_of_memory(settings: Settings) -> Reply:
    reply = problem(
        503,
        f"the query needed more memory than a worker may use ({settings.worker_memory_mb} MB) and was stopped",
        hint="narrow the query (fewer or shorter rows), or ask the server's operator for a larger --worker-memory",
    )
    reply.retire = True
    return reply


def answer(state: WorkerState, job: Job) -> Reply:
    """The reply to one job; every failure becomes an error reply, never an exception."""
    try:
        if job.kind == "ping":
            return Reply(200, "text/plain", b"ok")
        if job.kind not in _JOBS:
            return problem(500, f"unknown job {job.kind!r}")
        return _JOBS[job.kind](state, *job.args)  # type: ignore[operator]
    except Refused as exc:
        return problem(exc.status, exc.message, hint=exc.hint)
    except QueryError as exc:
        return problem(400, exc.message, hint=exc.hint)
    except StoreError as exc:
        return problem(503, exc.message, hint=exc.hint)
    except TrialgraphError as exc:
        return problem(500, exc.message, hint=exc.hint)
    except MemoryError:
        return _out_of_memory(state.settings)
    except Exception as exc:  # a worker answers every job, whatever happens in it
        return problem(500, f"internal error: {type(exc).__name__}: {exc}")


def compressed(reply: Reply) -> Reply:
    """The reply with a gzip body, when that is worth it."""
    if reply.encoding is None and len(reply.body) >= GZIP_MIN_BYTES:
        reply.body = gzip.compress(reply.body, compresslevel=6, mtime=0)
        reply.encoding = "gzip"
    return reply


def limit_memory(megabytes: int) -> None:
    """Cap this process's data segment (heap and private mappings, which is where query results
    live; not the memory-mapped database files)."""
    size = megabytes * MB
    _soft, hard = resource.getrlimit(resource.RLIMIT_DATA)
    if hard != resource.RLIM_INFINITY:
        size = min(size, hard)
    resource.setrlimit(resource.RLIMIT_DATA, (size, hard))


def worker_main(conn: Connection, settings: Settings) -> None:
    """A worker: answer jobs one at a time until the pipe closes (the server went away).  It
    opens the store and parses a first query before taking jobs, so that the first real query
    is not slowed down."""
    limit_memory(settings.worker_memory_mb)
    # below the server's own priority: while heavy queries use every core, the event loop still
    # answers (cache hits, 304s, the queue's 429 and 503) at once
    os.nice(WORKER_NICENESS)
    state = WorkerState(settings)
    with contextlib.suppress(Exception):  # a broken store is reported by the first job instead
        execute(state.store(), "ASK {}", inspect("ASK {}"), None, None)
    while True:
        try:
            job: Job = conn.recv()
        except (EOFError, OSError):
            return
        reply = answer(state, job)
        reply.version = state.version
        if job.gzip:
            reply = compressed(reply)
        conn.send(reply)
        if reply.retire:
            return
