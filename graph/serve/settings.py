"""What ``trialgraph serve`` was started with: the store and every limit of the endpoint.

One frozen dataclass, picklable, shared by the HTTP side (:mod:`graph.serve.app`), the pool and
its queue (:mod:`graph.serve.pool`) and the worker processes (:mod:`graph.serve.jobs`).  The
CLI's defaults are these defaults; docs/server.md explains each limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from graph.query.guard import Limits

MB = 1_000_000


@dataclass(frozen=True)
class Settings:
    """The store and the limits of one server."""

    store: str
    #: seconds a query may run in its worker before it is killed (504)
    timeout: float = 30.0
    #: result rows (or triples) at most; more is cut and flagged
    max_rows: int = 10_000
    #: longest query text accepted (413 beyond)
    max_query_bytes: int = 100_000
    #: worker processes, so queries that run at once
    max_concurrent: int = 4
    #: seconds a request may wait in the queue for a free worker (503 beyond)
    queue_timeout: float = 5.0
    #: requests that may wait at once, all clients together (503 beyond)
    max_queue: int = 256
    #: requests one client address may have running or waiting at once (429 beyond)
    max_per_client: int = 64
    #: bytes of one answer at most; more rows are cut and flagged, as for the row cap
    max_bytes: int = 20 * MB
    #: memory (data segment) of one worker, in MB; past it the worker stops and is replaced
    worker_memory_mb: int = 1024
    #: characters in one string literal of a query
    max_literal: int = 100_000
    #: operators, commas, separators and clauses in one query
    max_operators: int = 1_000
    #: MB of answers kept in the result cache (0: no cache)
    cache_mb: int = 64

    @property
    def limits(self) -> Limits:
        """The lexical limits of the query pre-check."""
        return Limits(max_literal=self.max_literal, max_operators=self.max_operators)

    @property
    def max_running_per_client(self) -> int:
        """Workers one client may hold at once: all but one, so that another client always
        finds a worker within one query's time, however many heavy queries the first sends."""
        return max(1, self.max_concurrent - 1)

    @property
    def cache_bytes(self) -> int:
        return self.cache_mb * MB

    @property
    def local_store(self) -> bool:
        return not self.store.startswith(("http://", "https://"))
