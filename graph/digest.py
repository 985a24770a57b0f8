"""Digests: short, stable hashes of terms, triples and records, and a fold that finds the keys
that two sources describe differently.

Every digest here is the same in every process and on every machine (Python's own ``hash`` of a
string is not).  They serve three jobs: telling whether a record changed since the last build
(:mod:`graph.store.ledger`), telling whether a node is described the same way by every record that
mentions it (the cross-record passes of :mod:`graph.reason` and :mod:`graph.validate.fast`), and
telling whether a validation result kept for a record still applies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Iterable, Mapping
from typing import Generic, TypeVar

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

V = TypeVar("V", bound=Hashable)


def text_hash(text: str) -> int:
    """A signed 64-bit digest of a text."""
    return int.from_bytes(
        hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "big", signed=True
    )


def texts_hash(texts: Iterable[str]) -> int:
    """A digest of a set of texts, whatever their order."""
    return text_hash("\n".join(sorted(texts)))


def hex_digest(chunks: Iterable[bytes]) -> str:
    """A 128-bit digest of some bytes, as hex (what the ledger stores)."""
    h = hashlib.blake2b(digest_size=16)
    for chunk in chunks:
        h.update(chunk)
    return h.hexdigest()


def node_key(term: Node) -> str:
    """A text key of an rdflib term, unique enough to hash: the same term gives the same key in
    every process."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        if term.language:
            return f'"{term}"@{term.language}'
        if term.datatype is not None:
            return f'"{term}"^^<{term.datatype}>'
        return f'"{term}"'
    return str(term)


def key_hash(key: str) -> int:
    return text_hash(key)


class Fold(Generic[V]):
    """Digests of keys arriving from many sources (records, batches, chunks), folded as they
    come: a key whose digest differs between two sources is *divergent*.  Only the first digest
    of each key is kept, so memory is one entry per distinct key; ``where`` names a source that
    holds each divergent key (to find out what the key stands for)."""

    def __init__(self) -> None:
        self.seen: dict[int, V] = {}
        self.divergent: set[int] = set()
        self.where: dict[int, int] = {}

    def add(self, digests: Mapping[int, V], source: int) -> list[tuple[int, V, V]]:
        """Fold one source's digests; returns (key, earlier digest, this digest) for each key
        on which this source disagrees with an earlier one."""
        seen = self.seen
        clashes = []
        for key, value in digests.items():
            prev = seen.setdefault(key, value)
            if prev != value:
                clashes.append((key, prev, value))
        for key, _prev, _value in clashes:
            self.divergent.add(key)
            self.where.setdefault(key, source)
        return clashes
