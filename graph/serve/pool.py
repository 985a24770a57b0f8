"""The worker pool of the endpoint and the fair, bounded wait queue in front of it.

``max_concurrent`` worker processes (:mod:`graph.serve.jobs`) run the queries.  A request that
finds no free worker waits in the queue, up to ``queue_timeout`` seconds and ``max_queue``
requests in all; only past those limits is it answered 503 with ``Retry-After``.  Fairness:

- a client (one address) has at most ``max_per_client`` requests running or waiting; past that
  it gets 429, while the others go on;
- a free worker goes to the waiting client that holds the fewest workers, and among equals to
  the one served least recently (round-robin), so a client that sends many heavy queries does
  not starve the others' light ones;
- one client never holds every worker (at most ``max_concurrent - 1`` when there are two or
  more), so another client always finds a worker within one query's time limit;
- a query still running after a second goes on at a lower CPU priority, so that on a busy
  machine the light queries of the others get the CPU first.

The event loop never runs a query nor waits on one: a thread blocks on the worker's pipe with a
deadline.  A worker still busy at its deadline is killed (the work is cancelled, not awaited)
and replaced, and so is a worker that stopped or ran out of memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections import Counter, OrderedDict, deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from graph.serve.jobs import Job, worker_main
from graph.serve.protocol import Reply, problem
from graph.serve.settings import Settings

#: Seconds after which a running job is a slow one...
SLOW_AFTER = 1.0
#: ...and goes on at this much lower CPU priority, so that light queries of other clients get
#: the CPU first (a heavy query still ends at the time limit).
SLOW_NICENESS = 10


@dataclass(eq=False)
class Waiter:
    """A request waiting for a worker."""

    client: str
    future: asyncio.Future[Any] = field(repr=False)


class FairQueue:
    """Waiting requests by client, taken fairly (see the module's docstring).  Not thread-safe:
    only the event loop touches it."""

    def __init__(self) -> None:
        #: clients in round-robin order, each with its waiting requests in arrival order
        self._clients: OrderedDict[str, deque[Waiter]] = OrderedDict()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def push(self, waiter: Waiter) -> None:
        self._clients.setdefault(waiter.client, deque()).append(waiter)
        self._size += 1

    def remove(self, waiter: Waiter) -> bool:
        """Take a waiter out (it gave up); ``False`` when it is no longer in the queue."""
        waiting = self._clients.get(waiter.client)
        if waiting is None or waiter not in waiting:
            return False
        waiting.remove(waiter)
        if not waiting:
            del self._clients[waiter.client]
        self._size -= 1
        return True

    def pop(self, running: Counter[str], cap: int) -> Waiter | None:
        """The next waiter: of the client with the fewest running requests under ``cap``,
        the first such client in round-robin order.  ``None`` when no client may run more."""
        chosen: str | None = None
        for client in self._clients:
            held = running[client]
            if held < cap and (chosen is None or held < running[chosen]):
                chosen = client
                if held == 0:
                    break
        if chosen is None:
            return None
        waiting = self._clients[chosen]
        waiter = waiting.popleft()
        if waiting:
            self._clients.move_to_end(chosen)
        else:
            del self._clients[chosen]
        self._size -= 1
        return waiter


class _Worker:
    """One worker process and the pipe to it."""

    def __init__(self, ctx: Any, settings: Settings) -> None:
        parent, child = ctx.Pipe()
        self.conn: Connection = parent
        self.process = ctx.Process(target=worker_main, args=(child, settings), daemon=True, name="trialgraph-query")
        #: how far its priority was lowered during a slow job
        self.demoted = 0
        self.process.start()
        child.close()

    def call(self, job: Job, timeout: float) -> Reply | None:
        """The worker's reply, or ``None`` when it is not there by the deadline.  A job still
        running after :data:`SLOW_AFTER` seconds goes on at a lower CPU priority."""
        self.conn.send(job)
        if not self.conn.poll(min(SLOW_AFTER, timeout)):
            self._renice(SLOW_NICENESS)
            if not self.conn.poll(max(0.0, timeout - SLOW_AFTER)):
                return None
        reply: Reply = self.conn.recv()
        return reply

    def _renice(self, step: int) -> None:
        with contextlib.suppress(OSError):
            pid = self.process.pid
            os.setpriority(os.PRIO_PROCESS, pid, os.getpriority(os.PRIO_PROCESS, pid) + step)
            self.demoted += step

    def restored(self) -> bool:
        """Back to the priority it started with after a slow job; ``False`` when this process
        may not raise a priority (only a privileged one may): the worker is then replaced."""
        if self.demoted:
            self._renice(-self.demoted)
        return self.demoted == 0

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(5)
        self.conn.close()

    def death(self) -> str:
        """How the process ended, for a message."""
        self.process.join(1)
        code = self.process.exitcode
        if code is None:
            return "it stopped answering"
        if code < 0:
            with_name = signal.Signals(-code).name if -code in signal.valid_signals() else str(-code)
            return f"it was ended by signal {with_name}"
        return f"it exited with status {code}"


def _busy(message: str, status: int = 503) -> Reply:
    return problem(status, message, hint="try again in a moment", headers={"Retry-After": "1"})


class WorkerPool:
    """``max_concurrent`` worker processes behind a :class:`FairQueue`."""

    def __init__(self, settings: Settings) -> None:
        import multiprocessing

        self.settings = settings
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(["graph.serve.jobs", "graph.query.named", "graph.query.guard"])
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._queue = FairQueue()
        #: requests holding a worker, by client
        self._running: Counter[str] = Counter()
        #: requests running or waiting, by client
        self._holding: Counter[str] = Counter()
        self._threads = ThreadPoolExecutor(settings.max_concurrent, thread_name_prefix="trialgraph-wait")

    # -- processes --------------------------------------------------------------------------

    def _spawn(self) -> _Worker:
        worker = _Worker(self._ctx, self.settings)
        self._all.add(worker)
        return worker

    def start(self) -> None:
        self._idle = [self._spawn() for _ in range(self.settings.max_concurrent)]

    def close(self) -> None:
        for worker in list(self._all):
            worker.stop()
        self._all.clear()
        self._idle.clear()
        self._threads.shutdown(wait=False, cancel_futures=True)

    def _replace(self, worker: _Worker) -> _Worker:
        worker.stop()
        self._all.discard(worker)
        return self._spawn()

    def _call(self, worker: _Worker, job: Job) -> tuple[_Worker, Reply]:
        """Run a job on a worker (in a waiting thread): the reply, and the worker to give back
        (a new one when this one was killed or stopped)."""
        s = self.settings
        try:
            reply = worker.call(job, s.timeout)
        except (EOFError, OSError):
            how = worker.death()
            return self._replace(worker), problem(
                500,
                f"the query worker stopped while running this query ({how}); it was replaced",
                hint=f"the query may need more memory than a worker may use ({s.worker_memory_mb} MB): narrow it",
            )
        if reply is None:
            return self._replace(worker), problem(
                504,
                f"the query ran longer than the time limit ({s.timeout:g} s) and was cancelled",
                hint="narrow the query, or ask the server's operator for a longer --timeout",
            )
        if reply.retire or not worker.restored():
            return self._replace(worker), reply
        return worker, reply

    # -- the queue ---------------------------------------------------------------------------

    def _dispatch(self) -> None:
        """Hand free workers to waiting requests, fairly."""
        while self._idle:
            waiter = self._queue.pop(self._running, self.settings.max_running_per_client)
            if waiter is None:
                return
            self._running[waiter.client] += 1
            waiter.future.set_result(self._idle.pop())

    def _release(self, worker: _Worker, client: str) -> None:
        self._running[client] -= 1
        if self._running[client] <= 0:
            del self._running[client]
        self._idle.append(worker)
        self._dispatch()

    def _expire(self, waiter: Waiter) -> None:
        if self._queue.remove(waiter):
            waiter.future.set_result(None)

    async def _acquire(self, client: str) -> _Worker | None:
        """A worker for ``client``, or ``None`` when none came within the queue timeout."""
        loop = asyncio.get_running_loop()
        waiter = Waiter(client, loop.create_future())
        self._queue.push(waiter)
        self._dispatch()
        if waiter.future.done():
            worker: _Worker | None = waiter.future.result()
            return worker
        expiry = loop.call_later(self.settings.queue_timeout, self._expire, waiter)
        try:
            worker = await waiter.future
            return worker
        except asyncio.CancelledError:  # the client went away while it waited
            if not self._queue.remove(waiter) and waiter.future.done() and not waiter.future.cancelled():
                given = waiter.future.result()
                if given is not None:
                    self._release(given, client)
            raise
        finally:
            expiry.cancel()

    async def _run_on(self, worker: _Worker, client: str, job: Job) -> Reply:
        future = asyncio.get_running_loop().run_in_executor(self._threads, self._call, worker, job)
        try:
            worker, reply = await asyncio.shield(future)
        except asyncio.CancelledError:
            # the client went away: the worker comes back to the pool when its job ends
            future.add_done_callback(lambda f: self._release(f.result()[0], client))
            raise
        self._release(worker, client)
        return reply

    def _admit(self, client: str) -> Reply | None:
        s = self.settings
        if self._holding[client] >= s.max_per_client:
            return _busy(
                f"too many requests from {client}: {s.max_per_client} are running or waiting already",
                status=429,
            )
        if len(self._queue) >= s.max_queue and (not self._idle or self._running[client] >= s.max_running_per_client):
            return _busy(f"the server is busy: the wait queue is full ({s.max_queue} requests)")
        return None

    async def run(self, client: str, job: Job) -> Reply:
        """Run a job for a client (its address): wait for a worker in the queue, then run it."""
        refused = self._admit(client)
        if refused is not None:
            return refused
        self._holding[client] += 1
        try:
            worker = await self._acquire(client)
            if worker is None:
                return _busy(
                    f"the server is busy: no worker came free within {self.settings.queue_timeout:g} s "
                    f"({self.settings.max_concurrent} queries run at once)"
                )
            return await self._run_on(worker, client, job)
        finally:
            self._holding[client] -= 1
            if self._holding[client] <= 0:
                del self._holding[client]
