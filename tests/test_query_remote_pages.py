"""Pages and totals through a remote store (a real `oxigraph serve` on 127.0.0.1): there the page
is cut by the endpoint (LIMIT/OFFSET) and the total is a second, counting query, while the
embedded store reads one answer; both give the same page and total."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.pipeline.run import build
from graph.query.named import run
from graph.store.local import OxigraphStore
from graph.store.registry import open_store

from .conftest import SEED_DATA

try:
    from tests.test_remote import oxigraph_server
except ImportError:  # tests/ run as a folder of plain modules
    from test_remote import oxigraph_server  # type: ignore[no-redef]

pytestmark = pytest.mark.server

CASES = [
    ("trials", {}),
    ("countries", {}),
    ("sponsors", {}),
    ("trials-by-condition", {"condition": "stroke"}),
    ("trial-organizations", {"id": "2016-001902-40"}),
]


def _text(rows: list[tuple[object, ...]]) -> list[tuple[str, ...]]:
    return [tuple("" if t is None else str(t) for t in row) for row in rows]


def test_remote_pages_are_the_embedded_pages(seed_store: OxigraphStore, tmp_path: Path) -> None:
    with oxigraph_server(tmp_path / "oxigraph") as base:
        build([SEED_DATA], open_store(base))
        remote = open_store(base)
        for name, params in CASES:
            whole = run(seed_store, name, params)
            assert whole.total is not None and whole.total >= 2, name
            page = run(remote, name, params, limit=2, offset=1)
            assert _text(page.rows) == _text(whole.rows[1:3]), name
            assert page.total == whole.total, name
            assert page.truncated == (whole.total > 3), name
            # a page that holds the rest of the answer needs no count to know the total
            rest = run(remote, name, params, limit=whole.total)
            assert rest.total == whole.total and not rest.truncated, name
