"""``fetch_ctgov`` against a local HTTP server (127.0.0.1 only) that serves real API v2 studies.

The server plays the API: the real page files of ``../shared/data/ctgov-v2`` served as they are,
and real single-study files wrapped into pages chained by ``nextPageToken``.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from graph.errors import InputError, RecordError
from graph.fetch import STATE_FILE, FetchError, fetch_ctgov
from graph.sources import read_all

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CTGOV = SHARED_DATA / "ctgov-v2"
#: Six real single-study files, in this order, for page chains.
CHAIN = ["NCT00763412", "NCT00973089", "NCT03418623", "NCT03475563", "NCT04207047", "NCT06171568"]
API = "/api/v2"


@pytest.fixture(scope="module")
def server() -> Iterator[HTTPServer]:
    srv = HTTPServer(host="127.0.0.1", port=0)
    srv.start()
    yield srv
    srv.clear()
    srv.stop()


@pytest.fixture
def api(server: HTTPServer) -> Iterator[HTTPServer]:
    server.clear()
    yield server
    server.clear()


def base_url(server: HTTPServer) -> str:
    return server.url_for(API)


def study(nct: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((CTGOV / f"{nct}.json").read_text(encoding="utf-8"))
    return data


class FakeApi:
    """Pages ``studies`` as API v2 does: ``pageSize`` per page, an opaque ``nextPageToken``,
    ``totalCount`` when ``countTotal=true``.  ``broken_from`` (a page number) answers 500 from
    that page on."""

    def __init__(self, ncts: list[str], broken_from: int | None = None) -> None:
        self.studies = [study(n) for n in ncts]
        self.broken_from = broken_from
        self.served: dict[str, bytes] = {}

    def __call__(self, request: Request) -> Response:
        token = request.args.get("pageToken")
        offset = int(token.removeprefix("opaque-")) if token else 0
        size = int(request.args["pageSize"])
        if self.broken_from is not None and offset // size + 1 >= self.broken_from:
            return Response("internal error", status=500)
        page: dict[str, Any] = {"studies": self.studies[offset : offset + size]}
        if offset + size < len(self.studies):
            page["nextPageToken"] = f"opaque-{offset + size}"
        if request.args.get("countTotal") == "true":
            page["totalCount"] = len(self.studies)
        body = json.dumps(page).encode()
        self.served[token or ""] = body
        return Response(body, content_type="application/json")


def sequence(*responses: Response) -> Callable[[Request], Response]:
    """A handler answering with ``responses`` in turn, then the last one for ever."""
    queue = list(responses)

    def handler(_request: Request) -> Response:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return handler


def requests(server: HTTPServer) -> list[dict[str, str]]:
    return [dict(request.args) for request, _ in server.log]


def fetch(server: HTTPServer, out: Path, **kwargs: Any) -> Any:
    options: dict[str, Any] = {
        "query": None,
        "condition": None,
        "status": None,
        "max_studies": None,
        "out": out,
        "base_url": base_url(server),
        "progress": False,
        "retries": 2,
        "backoff": 0.0,
    }
    options.update(kwargs)
    return fetch_ctgov(**options)


# -- one real page --------------------------------------------------------------------------------


def test_real_page_is_saved_verbatim(api: HTTPServer, tmp_path: Path) -> None:
    real = (CTGOV / "NCT06388018_page.json").read_bytes()
    api.expect_request(f"{API}/studies").respond_with_data(real, content_type="application/json")
    result = fetch(api, tmp_path, query="endometrial cancer", condition="Sarcoma", status="recruiting")
    assert (tmp_path / "page-00001.json").read_bytes() == real
    # the page holds one study and no nextPageToken
    assert (result.pages, result.studies, result.complete, result.fetched_pages) == (1, 1, True, 1)
    assert requests(api) == [
        {
            "query.term": "endometrial cancer",
            "query.cond": "Sarcoma",
            "filter.overallStatus": "RECRUITING",
            "format": "json",
            "pageSize": "100",
            "countTotal": "true",
        }
    ]
    (record,) = list(read_all([tmp_path]))
    assert not isinstance(record, RecordError)
    assert record.record_id == "NCT06388018"


def test_a_finished_fetch_fetches_nothing_more(api: HTTPServer, tmp_path: Path) -> None:
    real = (CTGOV / "NCT03281889_page.json").read_bytes()
    api.expect_request(f"{API}/studies").respond_with_data(real, content_type="application/json")
    fetch(api, tmp_path)
    again = fetch(api, tmp_path)
    assert (again.pages, again.studies, again.complete, again.fetched_pages) == (1, 1, True, 0)
    assert len(api.log) == 1


# -- page chains ----------------------------------------------------------------------------------


def test_a_chain_of_three_pages(api: HTTPServer, tmp_path: Path) -> None:
    fake = FakeApi(CHAIN)
    api.expect_request(f"{API}/studies").respond_with_handler(fake)
    result = fetch(api, tmp_path, page_size=2)
    # 6 studies, 2 a page
    assert (result.pages, result.studies, result.total_count, result.complete) == (3, 6, 6, True)
    assert [r.get("pageToken") for r in requests(api)] == [None, "opaque-2", "opaque-4"]
    assert [r.get("countTotal") for r in requests(api)] == ["true", None, None]
    assert sorted(p.name for p in tmp_path.glob("page-*.json")) == [
        "page-00001.json",
        "page-00002.json",
        "page-00003.json",
    ]
    assert (tmp_path / "page-00002.json").read_bytes() == fake.served["opaque-2"]
    loaded = list(read_all([tmp_path]))
    assert [r.record_id for r in loaded if not isinstance(r, RecordError)] == CHAIN


def test_max_studies_stops_early(api: HTTPServer, tmp_path: Path) -> None:
    api.expect_request(f"{API}/studies").respond_with_handler(FakeApi(CHAIN))
    result = fetch(api, tmp_path, page_size=2, max_studies=3)
    # 2 studies on the first page, then a page of the 1 still wanted; the rest is never asked for
    assert (result.pages, result.studies, result.complete) == (2, 3, True)
    assert [r["pageSize"] for r in requests(api)] == ["2", "1"]
    more = fetch(api, tmp_path, page_size=2)  # no limit now: the same fetch goes on
    assert (more.pages, more.studies, more.fetched_pages) == (4, 6, 2)
    assert [r.get("pageToken") for r in requests(api)][2:] == ["opaque-3", "opaque-5"]


# -- retries --------------------------------------------------------------------------------------


def test_429_waits_for_retry_after(api: HTTPServer, tmp_path: Path) -> None:
    real = (CTGOV / "NCT03281889_page.json").read_bytes()
    api.expect_request(f"{API}/studies").respond_with_handler(
        sequence(
            Response("slow down", status=429, headers={"Retry-After": "1"}),
            Response(real, content_type="application/json"),
        )
    )
    started = time.monotonic()
    result = fetch(api, tmp_path, backoff=0.0)
    # backoff is 0: only the Retry-After header can have made it wait a second
    assert time.monotonic() - started >= 1.0
    assert (result.pages, result.studies) == (1, 1)
    assert len(api.log) == 2


def test_503_is_retried_with_backoff(api: HTTPServer, tmp_path: Path) -> None:
    real = (CTGOV / "NCT03281889_page.json").read_bytes()
    api.expect_request(f"{API}/studies").respond_with_handler(
        sequence(
            Response("busy", status=503),
            Response("busy", status=503),
            Response(real, content_type="application/json"),
        )
    )
    started = time.monotonic()
    result = fetch(api, tmp_path, backoff=0.1, retries=2)
    # waits 0.1 s, then 0.2 s
    assert time.monotonic() - started >= 0.3
    assert (result.pages, result.studies) == (1, 1)
    assert (tmp_path / "page-00001.json").read_bytes() == real


def test_a_400_is_an_input_error_and_not_retried(api: HTTPServer, tmp_path: Path) -> None:
    api.expect_request(f"{API}/studies").respond_with_data(
        "Invalid value for parameter filter.overallStatus", status=400
    )
    with pytest.raises(InputError) as caught:
        fetch(api, tmp_path, retries=3)
    assert "400" in str(caught.value)
    assert "Invalid value for parameter filter.overallStatus" in str(caught.value)
    assert len(api.log) == 1
    assert list(tmp_path.glob("page-*")) == []


def test_a_redirect_is_not_followed(api: HTTPServer, tmp_path: Path) -> None:
    api.expect_request(f"{API}/studies").respond_with_data(
        "", status=302, headers={"Location": "http://127.0.0.1:9/elsewhere"}
    )
    with pytest.raises(InputError, match="redirects"):
        fetch(api, tmp_path)
    assert len(api.log) == 1


def test_unreachable_server(tmp_path: Path) -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(FetchError, match="cannot reach"):
        fetch_ctgov(
            query=None,
            condition=None,
            status=None,
            max_studies=None,
            out=tmp_path,
            base_url=f"http://127.0.0.1:{port}/api/v2",
            progress=False,
            retries=0,
        )


# -- resuming -------------------------------------------------------------------------------------


def test_resume_after_an_interruption(api: HTTPServer, tmp_path: Path) -> None:
    broken = FakeApi(CHAIN, broken_from=3)
    api.expect_request(f"{API}/studies").respond_with_handler(broken)
    with pytest.raises(FetchError) as caught:
        fetch(api, tmp_path, page_size=2, retries=1)
    assert "500" in str(caught.value) and "tried 2 times" in str(caught.value)
    # pages 1 and 2 were saved; page 3 was asked for twice (1 retry)
    assert sorted(p.name for p in tmp_path.glob("page-*.json")) == ["page-00001.json", "page-00002.json"]
    state = json.loads((tmp_path / STATE_FILE).read_text())
    assert (state["next_page_token"], state["pages"], state["studies"]) == ("opaque-4", 2, 4)
    assert len(api.log) == 4

    api.clear()
    api.expect_request(f"{API}/studies").respond_with_handler(FakeApi(CHAIN))
    result = fetch(api, tmp_path, page_size=2)
    assert (result.pages, result.studies, result.complete, result.fetched_pages) == (3, 6, True, 1)
    assert [r.get("pageToken") for r in requests(api)] == ["opaque-4"]
    loaded = list(read_all([tmp_path]))  # the state file is hidden: not read as a study
    assert [r.record_id for r in loaded if not isinstance(r, RecordError)] == CHAIN


def test_resume_needs_the_same_query(api: HTTPServer, tmp_path: Path) -> None:
    api.expect_request(f"{API}/studies").respond_with_handler(FakeApi(CHAIN))
    fetch(api, tmp_path, page_size=2, max_studies=2, query="stem cells")
    with pytest.raises(InputError, match="another query"):
        fetch(api, tmp_path, page_size=2, query="stroke")


def test_pages_without_a_state_are_not_overwritten(api: HTTPServer, tmp_path: Path) -> None:
    (tmp_path / "page-00001.json").write_bytes(b'{"studies": []}')
    with pytest.raises(InputError, match="holds pages"):
        fetch(api, tmp_path)
    assert api.log == []


# -- arguments ------------------------------------------------------------------------------------


def test_status_values_are_checked_before_any_request(api: HTTPServer, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown trial status 'paused'"):
        fetch(api, tmp_path, status="recruiting,paused")
    with pytest.raises(InputError, match="page size"):
        fetch(api, tmp_path, page_size=0)
    with pytest.raises(InputError, match="http"):
        fetch(api, tmp_path, base_url="file:///etc")
    assert api.log == []


def test_several_statuses(api: HTTPServer, tmp_path: Path) -> None:
    api.expect_request(f"{API}/studies").respond_with_handler(FakeApi(CHAIN[:1]))
    fetch(api, tmp_path, status="Recruiting, not yet recruiting")
    assert requests(api)[0]["filter.overallStatus"] == "RECRUITING,NOT_YET_RECRUITING"
