"""Record graphs into an Oxigraph staging database in bulk, as a build's workers send their
N-Quads: one streaming ``bulk_load`` in a thread of its own, and the removal of a replaced
record's graphs."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from graph.store.layout import inferred_graph_of, support_graph_of


class StreamingLoader:
    """Record graphs into an Oxigraph staging store, in bulk: a replaced record's graphs are
    dropped first, and all N-Quads go in through one bulk load that reads them as the workers
    send them (several times faster than transactional inserts, and cheaper than a bulk load per
    chunk into a growing database; the staging store is private until the write commits).  The
    load runs in a thread of its own (Oxigraph lets go of the interpreter while it loads), so that
    the build keeps taking the workers' batches and handing them new ones meanwhile."""

    #: batches of N-Quads waiting for the loading thread
    QUEUE = 8
    #: Oxigraph parses a stream with a buffer this large: a longer line (a record with a 10 MB
    #: title) goes in with a bulk load of its own, from bytes
    LINE = 16 << 20

    def __init__(self, db: Any) -> None:
        import queue
        import threading

        self.db = db
        self.error: BaseException | None = None
        self.chunks: queue.Queue[bytes | None] = queue.Queue(self.QUEUE)
        self.buffer = memoryview(b"")
        self.ended = False
        self.long: list[bytes] = []
        self.thread = threading.Thread(target=self._run, name="bulk-load", daemon=True)
        self.thread.start()

    def replace(self, name: str, nquads: bytes) -> None:
        drop(self.db, name)
        self.add(nquads)

    def add(self, nquads: bytes) -> None:
        import queue

        if len(nquads) > self.LINE and max(len(line) for line in nquads.split(b"\n")) >= self.LINE:
            self.long.append(nquads)
            return
        while True:
            if self.error is not None:
                raise self.error
            try:
                self.chunks.put(nquads, timeout=1.0)
                return
            except queue.Full:
                continue

    def read(self, size: int = -1) -> bytes:
        """What Oxigraph's bulk load reads: the N-Quads in the order they were added."""
        while not len(self.buffer) and not self.ended:
            chunk = self.chunks.get()
            if chunk is None:
                self.ended = True
            else:
                self.buffer = memoryview(chunk)
        if size < 0 or size >= len(self.buffer):
            size = len(self.buffer)
        out, self.buffer = bytes(self.buffer[:size]), self.buffer[size:]
        return out

    def _run(self) -> None:
        try:
            self.db.bulk_load(self, format=ox.RdfFormat.N_QUADS)
        except BaseException as exc:  # handed to the building thread
            self.error = exc
            while not self.ended:  # let a blocked producer go
                self.ended = self.chunks.get() is None

    def close(self) -> None:
        """Load what is left and wait for the load to finish."""
        self.stop()
        if self.error is not None:
            raise self.error
        for nquads in self.long:
            self.db.bulk_load(nquads, format=ox.RdfFormat.N_QUADS)

    def stop(self) -> None:
        """End the stream and let the loading thread end (what is queued is loaded first)."""
        if self.thread.is_alive():
            self.chunks.put(None)
            self.thread.join()


def drop(db: Any, name: str) -> None:
    """A record's graphs out of the store: its own, its inferred and its support graph."""
    for g in (name, inferred_graph_of(name), support_graph_of(name)):
        node = ox.NamedNode(g)
        if db.contains_named_graph(node):
            db.remove_graph(node)
