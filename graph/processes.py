"""Worker processes: started fresh (``spawn``, never forked from a process that holds a store),
and gone as soon as the process that started them is (a killed build leaves no worker behind
to finish a batch nobody will read)."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

#: How often a worker looks whether its parent is still there, where the kernel cannot tell it.
WATCH_SECONDS = 0.2


def exit_with_parent(parent: int | None = None) -> None:
    """Make this process die with its parent (process id ``parent``; default: the current
    parent): on Linux the kernel sends SIGKILL when the parent exits (``PR_SET_PDEATHSIG``);
    elsewhere, and as a second line, a thread watches the parent's process id.  A parent that
    is already gone (it died while this process started) ends this one at once."""
    parent = os.getppid() if parent is None else parent
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent went before the kernel was told
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), name="parent-watch", daemon=True).start()


def _watch(parent: int) -> None:
    while True:
        time.sleep(WATCH_SECONDS)
        if os.getppid() != parent:
            os._exit(1)


@contextlib.contextmanager
def no_full_gc(*, freeze: bool = False) -> Iterator[None]:
    """Python's cyclic collector, left on, walks every long-lived object (term caches, compiled
    shapes, the heads of all records) again and again while a batch allocates: it doubled the
    time of a batch.  Off for the block; the young objects are collected once at its end.

    ``freeze``: what the block made outlives it, so it is frozen instead (``gc.freeze``: left out
    of every later walk, until the caller's :func:`frozen_gc` ends).  Merely turning the collector
    back on would not do: the first allocation after that walks every object made in the block
    (1.6 s for the kept results of 100,000 records)."""
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        else:
            gc.collect(1)
        if was:
            gc.enable()


@contextlib.contextmanager
def frozen_gc() -> Iterator[None]:
    """Everything alive now (the heads of all records, the decisions made across them) is left
    out of the collector's walks for the block: a build's second pass would otherwise walk it
    again and again while it takes in the batches."""
    import gc

    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class WorkerGC:
    """The collector in a worker process, which does one batch after another: what the process
    set up is frozen (never walked again), collection is off during batches, and a full
    collection runs every ``EVERY`` batches (batches make few reference cycles; walking the
    young objects after each one cost a sixth of a batch)."""

    EVERY = 16

    def __init__(self) -> None:
        self.jobs = 0

    def start(self) -> None:
        import gc

        if self.jobs == 0:
            gc.collect()
            gc.freeze()
            gc.disable()
        elif self.jobs % self.EVERY == 0:
            gc.collect()
        self.jobs += 1


WORKER_GC = WorkerGC()


def _start(parent: int, initializer: Callable[..., None] | None, initargs: tuple[Any, ...]) -> None:
    exit_with_parent(parent)
    if initializer is not None:
        initializer(*initargs)


@contextlib.contextmanager
def optional_pool(workers: int | None) -> Iterator[ProcessPoolExecutor | None]:
    """A pool of ``workers`` processes (default: one per core), or ``None`` for one.  Processes
    start only when work is first sent, so a build that turns out small starts none."""
    n = workers if workers is not None else (os.cpu_count() or 1)
    if n <= 1:
        yield None
        return
    with pool(n) as executor:
        yield executor


@contextlib.contextmanager
def pool(
    n: int, initializer: Callable[..., None] | None = None, initargs: tuple[Any, ...] = ()
) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``n`` fresh worker processes that exit with this one."""
    import multiprocessing

    executor = ProcessPoolExecutor(
        n,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_start,
        initargs=(os.getpid(), initializer, initargs),
    )
    with executor:
        yield executor
