"""Answers that cost nothing while the store has not changed (issue 14): ETags per store version
with If-None-Match and 304, the result cache, and gzip.

A real server over a store of the seed trials (data/); a second build into the same store (one
more registry file) makes a new store version while the server runs.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

try:
    from tests.conftest import CTGOV_DIR, SEED_DATA
    from tests.test_server import TG, built_store, running_server
except ImportError:  # tests/ run as a folder of plain modules
    from conftest import CTGOV_DIR, SEED_DATA  # type: ignore[no-redef]
    from test_server import TG, built_store, running_server  # type: ignore[no-redef]

pytestmark = pytest.mark.server

TRIALS = f"SELECT ?t WHERE {{ ?t a <{TG}Trial> }} ORDER BY ?t"
#: The five seed trials of data/ (README: RESSTORE, NCT04445454, NCT07635758, NL-OMON47582,
#: NCT01849237), and NCT06171568 added by the second build.
SEED_TRIALS = 5


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_store(tmp_path_factory.mktemp("cache") / "store", [SEED_DATA])


@pytest.fixture(scope="module")
def base(store_dir: Path) -> Iterator[str]:
    with running_server(store_dir) as url:
        yield url


def _trials(base: str, **headers: str) -> httpx.Response:
    return httpx.get(f"{base}/sparql", params={"query": TRIALS}, headers=headers, timeout=60)


def test_etag_and_304_round_trip(base: str) -> None:
    first = _trials(base)
    assert first.status_code == 200
    tag = first.headers["etag"]
    assert tag.startswith('W/"') and first.headers["cache-control"] == "no-cache"
    again = _trials(base, **{"If-None-Match": tag})
    assert again.status_code == 304
    assert again.content == b"" and again.headers["etag"] == tag
    # another representation (CSV) has another tag; a stale tag gets the answer
    as_csv = _trials(base, Accept="text/csv", **{"If-None-Match": tag})
    assert as_csv.status_code == 200 and as_csv.headers["etag"] != tag
    assert _trials(base, **{"If-None-Match": 'W/"stale"'}).status_code == 200


def test_named_queries_and_pages_carry_etags(base: str) -> None:
    for path in ("/queries/trials", "/id/trial/NCT02849613"):
        first = httpx.get(f"{base}{path}", timeout=60)
        assert first.status_code == 200 and "etag" in first.headers, path
        again = httpx.get(f"{base}{path}", headers={"If-None-Match": first.headers["etag"]}, timeout=60)
        assert again.status_code == 304, path


def test_post_queries_are_cached_but_not_tagged(base: str) -> None:
    query = TRIALS + " # posted"
    first = httpx.post(f"{base}/sparql", data={"query": query}, timeout=60)
    second = httpx.post(f"{base}/sparql", data={"query": query}, timeout=60)
    assert "etag" not in first.headers
    assert (first.headers["x-trialgraph-cache"], second.headers["x-trialgraph-cache"]) == ("miss", "hit")
    assert first.content == second.content
    assert len(second.json()["results"]["bindings"]) == SEED_TRIALS


def test_gzip_when_the_client_accepts_it(base: str) -> None:
    query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    headers = {"Accept": "application/n-triples"}
    with httpx.Client(base_url=base, timeout=60) as client:
        packed = client.get("/sparql", params={"query": query}, headers={**headers, "Accept-Encoding": "gzip"})
        plain = client.get("/sparql", params={"query": query}, headers={**headers, "Accept-Encoding": "identity"})
    assert packed.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert "Accept-Encoding" in packed.headers["vary"]
    assert packed.content == plain.content  # httpx decodes the gzip body
    assert len(gzip.compress(plain.content)) < len(plain.content)
    assert packed.headers["etag"] != plain.headers["etag"]
    # pages and static files are compressed too
    script = httpx.get(f"{base}/static/query.js", headers={"Accept-Encoding": "gzip"}, timeout=60)
    assert script.headers.get("content-encoding") == "gzip"


def test_a_new_store_version_changes_the_tags_and_empties_the_cache(base: str, store_dir: Path) -> None:
    before = _trials(base)
    tag = before.headers["etag"]
    assert _trials(base).headers["x-trialgraph-cache"] == "hit"
    built_store(store_dir, [CTGOV_DIR / "NCT06171568.json"])
    after = _trials(base, **{"If-None-Match": tag})
    assert after.status_code == 200
    assert after.headers["etag"] != tag
    assert after.headers["x-trialgraph-cache"] == "miss"
    assert len(after.json()["results"]["bindings"]) == SEED_TRIALS + 1
