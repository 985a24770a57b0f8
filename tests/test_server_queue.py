"""The wait queue in front of the workers of `trialgraph serve` (issue 14): a room full of
clients is queued, not refused; one client cannot fill the queue nor starve the others; the
limits answer 429 or 503 with Retry-After; keep-alive and pipelining hold under load.

Real servers on 127.0.0.1 and real concurrent HTTP clients.  A client is an address: clients
other than 127.0.0.1 bind their connections to 127.0.0.2, 127.0.0.3, ... (all of 127.0.0.0/8
reaches the server on Linux).  Tests assert who gets which answer, never how fast.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from graph.store.local import OxigraphStore

try:
    from tests.test_server import CROSS_PRODUCT, TG, client_at, running_server
except ImportError:  # tests/ run as a folder of plain modules
    from test_server import CROSS_PRODUCT, TG, client_at, running_server  # type: ignore[no-redef]

pytestmark = pytest.mark.server

#: The light query of the issue: trials by type.  The ctgov store has one trial per file, 16.
LIGHT = f"SELECT ?t WHERE {{ ?t a <{TG}Trial> }} ORDER BY ?t LIMIT 50"
CTGOV_TRIALS = 16


def light(client: httpx.Client, n: int) -> httpx.Response:
    """The light query, its text made unique by a comment so that no cache answers it."""
    return client.get("/sparql", params={"query": f"# request {n}\n{LIGHT}"})


def run_clients(count: int, work: Callable[[int], list[int]]) -> Counter[int]:
    """``count`` clients at once, each running ``work(i)``; the status codes of all answers."""
    with ThreadPoolExecutor(count) as pool:
        return Counter(code for codes in pool.map(work, range(count)) for code in codes)


@pytest.fixture(scope="module")
def load_server(ctgov_store: OxigraphStore) -> Iterator[str]:
    """Default limits (4 workers, 64 requests per client), no result cache."""
    with running_server(ctgov_store.location, "--cache-mb", "0") as base:
        yield base


def test_fifty_clients_from_fifty_addresses_all_get_200(load_server: str) -> None:
    def client(i: int) -> list[int]:
        with client_at(load_server, f"127.0.0.{i + 2}") as c:
            answers = [light(c, i * 10 + n) for n in range(4)]
        assert all(len(r.json()["results"]["bindings"]) == CTGOV_TRIALS for r in answers if r.status_code == 200)
        return [r.status_code for r in answers]

    assert run_clients(50, client) == {200: 200}


def test_fifty_clients_from_one_address_all_get_200(load_server: str) -> None:
    """A notebook's thread pool: 50 connections from one address stay under the default
    per-client limit (64), so all are served."""

    def client(i: int) -> list[int]:
        with httpx.Client(base_url=load_server, timeout=60) as c:
            return [light(c, 1000 + i * 10 + n).status_code for n in range(4)]

    assert run_clients(50, client) == {200: 200}


def _read_responses(sock: socket.socket, count: int) -> list[tuple[int, bytes]]:
    """``count`` HTTP responses read in turn from one connection."""
    stream = sock.makefile("rb")

    class _Stream:
        """The connection's stream, which http.client may not close after each answer."""

        def __getattr__(self, name: str) -> Any:
            return getattr(stream, name)

        def close(self) -> None:
            pass

    class _Connection:
        def makefile(self, *_args: Any, **_kwargs: Any) -> Any:
            return _Stream()

    out = []
    for _ in range(count):
        response = http.client.HTTPResponse(_Connection())  # type: ignore[arg-type]
        response.begin()
        out.append((response.status, response.read()))
    return out


def test_keep_alive_and_pipelining_under_load(load_server: str) -> None:
    """Ten requests written at once on one connection, while twenty other clients load the
    server: ten answers come back on that connection, in order, each to its own request."""
    stop = threading.Event()
    background: Counter[int] = Counter()

    def load(i: int) -> None:
        with client_at(load_server, f"127.0.1.{i + 1}") as c:
            n = 0
            while not stop.is_set():
                background[light(c, 5000 + i * 1000 + n).status_code] += 1
                n += 1

    threads = [threading.Thread(target=load, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    try:
        # the load is on before the pipelined requests go: twenty answers have come back (on a
        # slow machine the ten requests could otherwise be answered before the load began)
        deadline = time.monotonic() + 60
        while sum(background.values()) < 20 and time.monotonic() < deadline:
            time.sleep(0.01)
        url = httpx.URL(load_server)
        with socket.create_connection((url.host, url.port), timeout=60) as sock:
            requests = b"".join(
                f"GET /sparql?query=SELECT%20%28{n}%20AS%20%3Fn%29%20%7B%7D HTTP/1.1\r\n"
                f"Host: {url.host}\r\nAccept: application/sparql-results+json\r\n\r\n".encode("ascii")
                for n in range(10)
            )
            sock.sendall(requests)
            answers = _read_responses(sock, 10)
            # the connection is still open: an eleventh request on it is answered too
            sock.sendall(f"GET /sparql?query=ASK%20%7B%7D HTTP/1.1\r\nHost: {url.host}\r\n\r\n".encode("ascii"))
            [(last_status, last_body)] = _read_responses(sock, 1)
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert [status for status, _ in answers] == [200] * 10
    values = [json.loads(body)["results"]["bindings"][0]["n"]["value"] for _, body in answers]
    assert values == [str(n) for n in range(10)]
    assert (last_status, json.loads(last_body)["boolean"]) == (200, True)
    assert set(background) == {200} and sum(background.values()) >= 20


# -- limits: per client, queue length, queue time ------------------------------------------------


@pytest.fixture(scope="module")
def fair_server(ctgov_store: OxigraphStore) -> Iterator[str]:
    """Two workers, two requests per client, a short time limit."""
    options = ("--max-concurrent", "2", "--max-per-client", "2", "--timeout", "4", "--queue-timeout", "10")
    with running_server(ctgov_store.location, *options) as base:
        yield base


def _send_later(work: Callable[[], httpx.Response], out: list[httpx.Response]) -> threading.Thread:
    thread = threading.Thread(target=lambda: out.append(work()))
    thread.start()
    return thread


def test_a_client_past_its_limit_gets_429_while_others_are_served(fair_server: str) -> None:
    heavy_answers: list[httpx.Response] = []
    with client_at(fair_server, "127.0.0.1") as greedy, client_at(fair_server, "127.0.0.2") as other:
        threads = [
            _send_later(lambda: greedy.post("/sparql", data={"query": CROSS_PRODUCT}), heavy_answers) for _ in range(2)
        ]
        threading.Event().wait(1.5)  # both heavy queries are in (one running, one waiting) for 4 s
        third = light(greedy, 2)  # a new query: an answer from the cache would cost nothing
        others = [other.get("/sparql", params={"query": f"ASK {{}} # {n}"}) for n in range(3)]
        for t in threads:
            t.join(60)
    assert third.status_code == 429
    assert third.headers["retry-after"] == "1"
    assert "too many requests from 127.0.0.1" in third.text
    assert [r.status_code for r in others] == [200, 200, 200]
    assert sorted(r.status_code for r in heavy_answers) == [504, 504]


def test_heavy_query_gets_504_while_another_client_is_answered(fair_server: str) -> None:
    """A client sends more heavy queries than there are workers; another client's light query
    is answered while they run, and each heavy query is still cut at the time limit."""
    heavy_answers: list[httpx.Response] = []
    with client_at(fair_server, "127.0.0.3") as greedy:
        threads = [
            _send_later(lambda: greedy.post("/sparql", data={"query": CROSS_PRODUCT}), heavy_answers) for _ in range(2)
        ]
        threading.Event().wait(0.5)
        with client_at(fair_server, "127.0.0.4") as other:
            light_answer = light(other, 1)
        heavy_still_running = len(heavy_answers) == 0
        for t in threads:
            t.join(60)
    assert light_answer.status_code == 200
    assert len(light_answer.json()["results"]["bindings"]) == CTGOV_TRIALS
    assert heavy_still_running
    assert [r.status_code for r in heavy_answers] == [504, 504]
    assert all("time limit (4 s)" in r.text for r in heavy_answers)


@pytest.fixture(scope="module")
def narrow_server(ctgov_store: OxigraphStore) -> Iterator[str]:
    """One worker, one waiting place, two seconds of waiting."""
    options = ("--max-concurrent", "1", "--max-queue", "1", "--queue-timeout", "2", "--timeout", "6")
    with running_server(ctgov_store.location, *options) as base:
        yield base


def test_a_full_queue_and_a_long_wait_give_503_with_retry_after(narrow_server: str) -> None:
    heavy_answer: list[httpx.Response] = []
    waiting: list[httpx.Response] = []
    with client_at(narrow_server, "127.0.0.5") as a, client_at(narrow_server, "127.0.0.6") as b:
        heavy = _send_later(lambda: a.post("/sparql", data={"query": CROSS_PRODUCT}), heavy_answer)
        threading.Event().wait(1.0)  # the heavy query holds the only worker for 6 s
        queued = _send_later(lambda: b.get("/sparql", params={"query": "ASK {} # waits"}), waiting)
        threading.Event().wait(1.0)  # the ASK holds the only waiting place for 2 s
        with client_at(narrow_server, "127.0.0.7") as c:
            full = c.get("/sparql", params={"query": "ASK {} # finds the queue full"})
        queued.join(60)
        heavy.join(60)
    assert full.status_code == 503
    assert full.headers["retry-after"] == "1"
    assert "the wait queue is full (1 requests)" in full.text
    [timed_out] = waiting
    assert timed_out.status_code == 503
    assert timed_out.headers["retry-after"] == "1"
    assert "no worker came free within 2 s" in timed_out.text
    assert heavy_answer[0].status_code == 504
    # the queue is empty again: the next request is answered
    assert httpx.get(f"{narrow_server}/sparql", params={"query": "ASK {}"}, timeout=60).status_code == 200
