"""Endpoint load benchmark: a real ``trialgraph serve`` on loopback, loaded by concurrent clients.

Standalone script, never a test::

    python bench/bench_server.py                      # 1, 10, 50 and 200 clients, then with a heavy client
    python bench/bench_server.py --clients 1,10 --requests 5
    git archive main graph | tar -x -C /tmp/ref && python bench/bench_server.py --reference /tmp/ref

The store is built from all the shared data (data/, ../shared/data/ctgov-v2,
../shared/data/ictrp) unless ``--store`` names one.  Each client is a separate address
(127.0.x.y: any of 127.0.0.0/8 reaches the server) with its own keep-alive connection, and
sends ``--requests`` light queries in a row (50 trials by type); every query text is unique (a
comment names the client and the request), so the result cache never answers and every request
reaches a worker.  A level stops after ``--seconds`` at most.  Then the same levels run while
one more client sends heavy queries (a four-way cross product that only the time limit ends),
``--heavy-concurrency`` at a time.

Printed per level: requests, seconds, throughput, p50/p95/p99 latency of the answered (200)
requests, and the count of each status code ("error" for a failed connection); the heavy
client's answers apart.  ``--memory`` also sends the 90 KB query of issue 19 and the 20,000-term
sum, and prints the peak memory of the server and its workers.  The machine's load average is
printed with every figure: the machine is shared.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import h11
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_server import CROSS_PRODUCT, TG, server_process  # noqa: E402
from tests.test_server_limits import LONG_SUM, NINETY_KB, descendants, peak_rss  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
SOURCES = [ROOT / "data", SHARED / "ctgov-v2", SHARED / "ictrp"]
LIGHT = f"SELECT ?trial WHERE {{ ?trial a <{TG}Trial> }} LIMIT 50"
HEAVY_ADDRESS = "127.1.0.1"


def address(index: int) -> str:
    return f"127.0.{1 + index // 250}.{1 + index % 250}"


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


@dataclass
class Level:
    """What one level of load gave."""

    clients: int
    seconds: float = 0.0
    codes: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    heavy: Counter[str] = field(default_factory=Counter)
    load: str = ""

    def row(self) -> str:
        total = sum(self.codes.values())
        if len(self.latencies) >= 2:
            q = statistics.quantiles(self.latencies, n=100, method="inclusive")
            p50, p95, p99 = (f"{1000 * q[i]:.0f}" for i in (49, 94, 98))
        else:
            p50 = p95 = p99 = f"{1000 * self.latencies[0]:.0f}" if self.latencies else "-"
        codes = " ".join(f"{code}:{n}" for code, n in sorted(self.codes.items()))
        heavy = " ".join(f"{code}:{n}" for code, n in sorted(self.heavy.items())) or "-"
        rate = total / self.seconds if self.seconds else 0.0
        return (
            f"| {self.clients} | {total} | {self.seconds:.1f} | {rate:.0f} | {p50} | {p95} | {p99} "
            f"| {codes} | {heavy} | {self.load} |"
        )


HEADER = (
    "| clients | requests | s | req/s | p50 ms | p95 ms | p99 ms | status codes | heavy client | machine |\n"
    "|---|---|---|---|---|---|---|---|---|---|"
)


class _Connection:
    """One keep-alive HTTP/1.1 connection from a given address, spoken with h11 (the protocol
    library under uvicorn): an httpx client costs several times the server's CPU per request,
    and on two cores the load generator would measure itself."""

    def __init__(self, host: str, port: int, local: str) -> None:
        self.host, self.port, self.local = host, port, local
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.h11 = h11.Connection(h11.CLIENT)

    async def get(self, target: str) -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port, local_addr=(self.local, 0))
        assert self.reader is not None
        request = h11.Request(method="GET", target=target, headers=[("Host", self.host), ("Accept", "*/*")])
        self.writer.write(self.h11.send(request) + self.h11.send(h11.EndOfMessage()))
        status = 0
        while True:
            event = self.h11.next_event()
            if event is h11.NEED_DATA:
                self.h11.receive_data(await self.reader.read(65536))
            elif isinstance(event, h11.Response):
                status = event.status_code
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                raise ConnectionError("the server closed the connection")
        self.h11.start_next_cycle()
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()


async def _light_client(base: str, index: int, count: int, deadline: float, level: Level, run: str) -> None:
    url = httpx.URL(base)
    connection = _Connection(url.host, url.port or 80, address(index))
    try:
        for n in range(count):
            if time.monotonic() > deadline:
                return
            target = "/sparql?" + urlencode({"query": f"# run {run} client {index} request {n}\n{LIGHT}"})
            started = time.perf_counter()
            try:
                code = str(await connection.get(target))
            except (OSError, h11.ProtocolError):
                code = "error"
                connection = _Connection(url.host, url.port or 80, address(index))
            level.codes[code] += 1
            if code == "200":
                level.latencies.append(time.perf_counter() - started)
    finally:
        await connection.close()


async def _heavy_client(base: str, concurrency: int, stop: asyncio.Event, level: Level) -> None:
    transport = httpx.AsyncHTTPTransport(local_address=HEAVY_ADDRESS)
    async with httpx.AsyncClient(base_url=base, transport=transport, timeout=300) as client:

        async def one_after_another(lane: int) -> None:
            n = 0
            while not stop.is_set():
                try:
                    r = await client.post("/sparql", data={"query": f"# heavy {lane}.{n}\n{CROSS_PRODUCT}"})
                    level.heavy[str(r.status_code)] += 1
                except httpx.HTTPError:
                    level.heavy["error"] += 1
                n += 1

        await asyncio.gather(*(one_after_another(lane) for lane in range(concurrency)))


async def run_level(base: str, clients: int, args: argparse.Namespace, *, heavy: bool) -> Level:
    level = Level(clients, load=load())
    stop = asyncio.Event()
    heavy_task = asyncio.ensure_future(_heavy_client(base, args.heavy_concurrency, stop, level)) if heavy else None
    if heavy_task is not None:
        await asyncio.sleep(1.0)  # the heavy queries hold their workers before the light ones come
    started = time.monotonic()
    deadline = started + args.seconds
    run = f"{time.time_ns()}"  # no level sends a query text that another sent: the cache never answers
    await asyncio.gather(*(_light_client(base, i, args.requests, deadline, level, run) for i in range(clients)))
    level.seconds = time.monotonic() - started
    stop.set()
    if heavy_task is not None:
        await heavy_task  # the heavy queries in flight end at the time limit: the next level starts clean
    return level


@contextlib.contextmanager
def store_for(args: argparse.Namespace) -> Iterator[Path]:
    if args.store is not None:
        yield args.store.resolve()
        return
    from graph.pipeline.run import build
    from graph.store.local import OxigraphStore

    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        path = Path(tmp) / "store"
        store = OxigraphStore(path)
        started = time.monotonic()
        report = build(SOURCES, store)
        store.close()
        print(
            f"store: {len(report.loaded)} records from {', '.join(str(s) for s in SOURCES)} "
            f"({time.monotonic() - started:.1f} s)",
            flush=True,
        )
        yield path


def memory(base: str, pid: int) -> None:
    for encoding in ("identity", "gzip"):  # uncompressed first: the server holds the whole body
        started = time.monotonic()
        headers = {"Accept-Encoding": encoding}
        r = httpx.post(f"{base}/sparql", data={"query": NINETY_KB}, headers=headers, timeout=300)
        seconds = time.monotonic() - started
        workers = max(peak_rss(p) for p in descendants(pid))
        print(
            f"90 KB query ({encoding}): {r.status_code}, {len(r.content) / 1e6:.1f} MB, "
            f"{int(r.headers.get('content-length', 0)) / 1e6:.2f} MB sent, truncated "
            f"{r.headers.get('x-trialgraph-truncated')}, {seconds:.1f} s; peak memory so far (VmHWM): "
            f"server {peak_rss(pid) / 2**20:.0f} MiB, largest worker {workers / 2**20:.0f} MiB",
            flush=True,
        )
    started = time.monotonic()
    r = httpx.post(f"{base}/sparql", data={"query": LONG_SUM}, timeout=300)
    print(f"20,000-term sum: {r.status_code} in {1000 * (time.monotonic() - started):.0f} ms", flush=True)


def bench(store: Path, args: argparse.Namespace, *, source: Path | None, label: str) -> None:
    options = ("--timeout", str(args.timeout), "--max-concurrent", str(args.max_concurrent))
    with server_process(store, *options, source=source) as (base, proc):
        print(f"\n## {label}: trialgraph serve {' '.join(options)}  [{load()}]", flush=True)
        for heavy in (False, True):
            title = "with one heavy client" if heavy else "light clients only"
            print(f"\n{title} ({args.requests} requests per client, {args.seconds:g} s at most)\n\n{HEADER}")
            for clients in args.clients:
                level = asyncio.run(run_level(base, clients, args, heavy=heavy))
                print(level.row(), flush=True)
        if args.memory and source is None:
            print()
            memory(base, proc.pid)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, help="a built store (default: build the shared data into a temp folder)")
    parser.add_argument("--clients", default="1,10,50,200", help="levels of concurrent clients")
    parser.add_argument("--requests", type=int, default=20, help="light queries per client")
    parser.add_argument("--seconds", type=float, default=60.0, help="time limit of one level")
    parser.add_argument("--heavy-concurrency", type=int, default=4, help="heavy queries in flight at once")
    parser.add_argument("--timeout", type=float, default=10.0, help="the server's --timeout")
    parser.add_argument("--max-concurrent", type=int, default=4, help="the server's --max-concurrent")
    parser.add_argument("--reference", type=Path, help="a folder with another version of graph/ to compare with")
    parser.add_argument("--memory", action="store_true", help="also the 90 KB query and the long sum")
    args = parser.parse_args(argv)
    args.clients = [int(c) for c in args.clients.split(",")]
    with store_for(args) as store:
        bench(store, args, source=None, label="this branch")
        if args.reference is not None:
            bench(store, args, source=args.reference.resolve(), label=f"reference ({args.reference})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
