"""``trialgraph serve``: the read-only SPARQL endpoint and its pages over HTTP, with the
limits an operator may set (:mod:`graph.serve.settings`)."""

from __future__ import annotations

from typing import Any

import click

from graph.commands.options import handles_errors, store_option


@click.command()
@store_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds a query may run before it is cancelled.",
)
@click.option(
    "--max-rows",
    default=10_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Result rows (or triples) at most; more is cut and flagged.",
)
@click.option(
    "--max-query-bytes",
    default=100_000,
    show_default=True,
    type=click.IntRange(min=64),
    help="Longest query accepted (413 beyond).",
)
@click.option(
    "--max-concurrent",
    default=4,
    show_default=True,
    type=click.IntRange(min=1),
    help="Queries that run at once (worker processes); the others wait in the queue.",
)
@click.option(
    "--queue-timeout",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Seconds a request may wait for a free worker (503 with Retry-After beyond).",
)
@click.option(
    "--max-queue",
    default=256,
    show_default=True,
    type=click.IntRange(min=0),
    help="Requests that may wait at once, all clients together (503 with Retry-After beyond).",
)
@click.option(
    "--max-per-client",
    default=64,
    show_default=True,
    type=click.IntRange(min=1),
    help="Requests one client address may have running or waiting (429 beyond).",
)
@click.option(
    "--max-bytes",
    default=20_000_000,
    show_default=True,
    type=click.IntRange(min=1024),
    help="Bytes of one answer at most; more rows are cut and flagged, as for --max-rows.",
)
@click.option(
    "--worker-memory",
    "worker_memory_mb",
    default=1024,
    show_default=True,
    type=click.IntRange(min=256),
    help="MB of memory (data segment) per worker; a query that needs more is stopped, its worker replaced.",
)
@click.option(
    "--max-literal",
    default=100_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Characters in one string literal of a query (400 beyond).",
)
@click.option(
    "--max-operators",
    default=1_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Operators, commas, separators and clauses in one query (400 beyond).",
)
@click.option(
    "--cache-mb",
    default=64,
    show_default=True,
    type=click.IntRange(min=0),
    help="MB of answers kept per store version (0: no cache).",
)
@handles_errors
def serve(
    store: str,
    host: str,
    port: int,
    timeout: float,
    max_rows: int,
    max_query_bytes: int,
    max_concurrent: int,
    **limits: Any,
) -> None:
    """Serve the store read-only: the SPARQL 1.1 endpoint (/sparql), the query page (/), the
    network view (/view), named queries (/queries) and a page for every entity (/id/...)."""
    from graph.serve.app import serve as run_server
    from graph.serve.settings import Settings
    from graph.store.registry import require_store

    require_store(store)
    settings = Settings(
        store,
        timeout=timeout,
        max_rows=max_rows,
        max_query_bytes=max_query_bytes,
        max_concurrent=max_concurrent,
        **limits,
    )
    run_server(settings, host=host, port=port)
