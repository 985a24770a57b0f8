"""Answers that cost nothing while the store has not changed: ETags per store version, and a
small LRU cache of answers per store version.

The version of a local store is the name of its live database folder, which every build
replaces (:func:`graph.serve.jobs.store_version`).  An answer to a GET carries a weak ETag
derived from that version and from what was asked (the job: query, parameters, ``Accept``,
encoding); a request whose ``If-None-Match`` names the current tag gets 304 without waiting for
a worker.  Answers with status 200 are kept in a cache bounded in bytes (cachetools'
``LRUCache``) and keyed the same way; a new version empties it.  A remote store has no
version: its answers are neither tagged nor cached.
"""

from __future__ import annotations

import hashlib

from cachetools import LRUCache

from graph.serve.jobs import Job
from graph.serve.protocol import Reply

#: An answer bigger than this share of the cache is not kept: it would push out everything else.
_LARGEST_SHARE = 8
#: Bytes counted for an entry besides its body (headers, key, bookkeeping).
_OVERHEAD = 512


def etag(version: str, job: Job) -> str:
    """The weak ETag of the answer to ``job`` from the store at ``version``."""
    digest = hashlib.sha256(repr((version, job)).encode("utf-8")).hexdigest()[:32]
    return f'W/"{digest}"'


def matches(if_none_match: str | None, tag: str) -> bool:
    """Whether an ``If-None-Match`` header names ``tag`` (weak comparison, or ``*``)."""
    if not if_none_match:
        return False
    opaque = tag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == opaque:
            return True
    return False


def _size(reply: Reply) -> int:
    return len(reply.body) + _OVERHEAD


class ResultCache:
    """Answers of one store version, least recently used out first, at most ``max_bytes``.
    Only the event loop touches it."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: LRUCache[Job, Reply] = LRUCache(maxsize=max(max_bytes, 1), getsizeof=_size)
        self._version: str | None = None

    def _switch(self, version: str) -> None:
        if version != self._version:
            self._entries.clear()
            self._version = version

    def get(self, version: str, job: Job) -> Reply | None:
        self._switch(version)
        return self._entries.get(job)

    def put(self, version: str, job: Job, reply: Reply) -> None:
        """Keep a 200 answer read from ``version`` (a worker may have read a newer version
        than the one the request saw: that answer is kept under its own version)."""
        if reply.status != 200 or _size(reply) * _LARGEST_SHARE > self.max_bytes:
            return
        self._switch(version)
        self._entries[job] = reply

    def __len__(self) -> int:
        return len(self._entries)
