"""Record graphs into an Oxigraph staging database in bulk, as a build's workers send their
N-Quads: one streaming ``bulk_load`` in a thread of its own, and the removal of a replaced
record's graphs."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, NoReturn

import pyoxigraph as ox

from graph.store.layout import inferred_graph_of, support_graph_of


class StreamingLoader:
    """Record graphs into an Oxigraph staging store, in bulk: a replaced record's graphs are
    dropped first, and all N-Quads go in through one bulk load that reads them as the workers
    send them (several times faster than transactional inserts, and cheaper than a bulk load per
    chunk into a growing database; the staging store is private until the write commits).

    The load runs in a thread of its own and reads a named pipe that :meth:`add` writes into, so
    that it never needs the interpreter: Oxigraph asks a Python reader for about 2 KB at a time,
    and each of those calls waits for the lock that the building thread holds while it works
    (a load that took 15 s alone took 456 s beside a busy thread, and 14 s from a pipe).  A
    full pipe makes :meth:`add` wait for the load, which holds back the workers' next batches."""

    #: Oxigraph parses a stream with a buffer this large: a longer line (a record with a 10 MB
    #: title) goes in with a bulk load of its own, from bytes
    LINE = 16 << 20
    #: the pipe's buffer, when the system allows it (Linux's default limit for a process)
    PIPE = 1 << 20

    def __init__(self, db: Any) -> None:
        self.db = db
        self.error: BaseException | None = None
        self.long: list[bytes] = []
        self.folder = Path(tempfile.mkdtemp(prefix="trialgraph-load-"))
        self.pipe = self.folder / "quads.nq"
        os.mkfifo(self.pipe, 0o600)
        self.thread = threading.Thread(target=self._run, name="bulk-load", daemon=True)
        self.thread.start()
        self.fd: int | None = self._open()

    def _run(self) -> None:
        try:
            self.db.bulk_load(path=str(self.pipe), format=ox.RdfFormat.N_QUADS)
        except BaseException as exc:  # handed to the building thread
            self.error = exc

    def _open(self) -> int | None:
        """The pipe's writing end, once the load has opened the other (``None``: the load ended
        first, with :attr:`error`)."""
        while True:
            try:
                fd = os.open(self.pipe, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:  # no reader yet
                if exc.errno != errno.ENXIO:
                    raise
                if not self.thread.is_alive():
                    return None
                time.sleep(0.001)
                continue
            os.set_blocking(fd, True)
            resize = getattr(fcntl, "F_SETPIPE_SZ", None)  # Linux only
            if resize is not None:
                with contextlib.suppress(OSError):  # a smaller buffer only means more waits
                    fcntl.fcntl(fd, resize, self.PIPE)
            return fd

    def replace(self, name: str, nquads: bytes) -> None:
        drop(self.db, name)
        self.add(nquads)

    def add(self, nquads: bytes) -> None:
        if len(nquads) > self.LINE and max(len(line) for line in nquads.split(b"\n")) >= self.LINE:
            self.long.append(nquads)
            return
        fd = self.fd
        if fd is None:
            self._failed()
        view = memoryview(nquads)
        try:
            while view:
                view = view[os.write(fd, view) :]
        except BrokenPipeError:  # the load stopped reading: it failed
            self._failed()

    def _failed(self) -> NoReturn:
        self.stop()
        if self.error is not None:
            raise self.error
        raise RuntimeError("the bulk load stopped before its input ended")

    def close(self) -> None:
        """Load what is left and wait for the load to finish."""
        self.stop()
        if self.error is not None:
            raise self.error
        for nquads in self.long:
            self.db.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)

    def stop(self) -> None:
        """End the stream and let the loading thread end (what was written is loaded first)."""
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        self.thread.join()
        shutil.rmtree(self.folder, ignore_errors=True)


def drop(db: Any, name: str) -> None:
    """A record's graphs out of the store: its own, its inferred and its support graph."""
    for g in (name, inferred_graph_of(name), support_graph_of(name)):
        node = ox.NamedNode(g)
        if db.contains_named_graph(node):
            db.remove_graph(node)
