"""Results kept per record version (:class:`Kept`), and what a chunk of the store gives back
(:class:`ChunkOut`): the digests of the triples the shapes read, which tell a later validation
which nodes records describe differently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from rdflib import Literal, URIRef
from rdflib.term import Node

from graph.validate.fast.index import View, view_owner
from graph.validate.fast.plan import Plan, Raw
from graph.validate.fast.terms import OX_KEYS, TYPE_HASH, term_hash, term_token, text_term
from graph.validate.report import Finding


@dataclass
class Unit:
    """One source-record graph: its name and who it belongs to."""

    key: str
    trial: str
    source: str


@dataclass
class ChunkOut:
    units: list[Unit]
    digests: dict[int, tuple[int, int]]
    findings: list[tuple[Node, Finding]]
    sparql_foci: dict[Node, set[Node]]
    #: every node the chunk's records mention (any predicate; hashes packed as little-endian
    #: int64), when known: a kept result of one record (see :class:`Kept`); a finding on a node
    #: one record alone mentions needs no look-up to be attributed
    mentions: bytes | None = None
    #: nodes the chunk gives a load time (see :data:`_LOAD_TIME`)
    timed: set[int] = field(default_factory=set)


#: Bumped whenever what :class:`Kept` holds, or how, changes: kept results are then ignored.
KEPT_VERSION = 3


@dataclass
class Kept:
    """What :func:`validate_store` needs of one record, worked out when a build loads the record
    (:func:`validate_and_keep`) and kept in the ledger (:mod:`graph.store.ledger`), so that validating
    a store whose records a build validated reads none of them again:

    - the record's findings, as they hold in the union of all records as long as every record
      that mentions one of its nodes describes that node the same way;
    - the digests of its nodes' triples (as :class:`StoreChunk` makes them from the store), which
      tell where records describe a node differently: those nodes are checked again on the store;
    - every node it mentions, so that a finding on a node no other record mentions needs no
      look-up to be attributed.

    Kept results apply when every SPARQL constraint of the shapes is *local* (reads only triples
    about ``$this``, with predicates the digests cover: :func:`local_sparql`); otherwise
    :func:`validate_store` reads the records."""

    findings: list[tuple[Node, Finding]]
    digests: dict[int, tuple[int, int]]
    #: hashes of the nodes mentioned, packed (see :attr:`ChunkOut.mentions`)
    mentions: bytes
    #: (preferred trial id, source file), as :func:`store_units` reads them
    owner: tuple[str, str] = ("", "")
    #: nodes the record gives a load time
    timed: set[int] = field(default_factory=set)

    @classmethod
    def of(
        cls, plan: Plan, view: View, raws: list[Raw], findings: list[Finding], terms: Sequence[tuple[Any, Any, Any]]
    ) -> Kept:
        import struct

        explicit = {n for _cs, t in plan.top for n in t.nodes}
        present = view.nodes() if explicit else set()
        kept = [
            (r.focus, f)
            for r, f in zip(raws, findings, strict=False)
            if not (r.focus in explicit and r.focus not in present)  # union mode: only where present
        ]
        digests, mentions, timed = _record_digests(plan, terms)
        packed = struct.pack(f"<{len(mentions)}q", *sorted(mentions))
        return cls(kept, digests, packed, view_owner(view), timed)

    def dumps(self, shapes: str) -> str:
        """As stored in the ledger: JSON, the digests packed (sorted, so that two builds of the
        same record write the same text).  About half the nodes a record has a digest for are
        only pointed at (values of the predicates the shapes read): their digest is empty, and
        they are stored as the node alone (``zero``), a third of the room."""
        import base64
        import json
        import struct

        keys = sorted(k for k, d in self.digests.items() if d != _EMPTY)
        packed = struct.pack("<" + "qQQ" * len(keys), *(v for k in keys for v in (k, *self.digests[k])))
        zero = sorted(k for k, d in self.digests.items() if d == _EMPTY)
        mentions = struct.unpack(f"<{len(self.mentions) // 8}q", self.mentions)
        extra = sorted(set(mentions) - set(self.digests))
        doc = {
            "v": KEPT_VERSION,
            "shapes": shapes,
            "owner": list(self.owner),
            "timed": sorted(self.timed),
            "findings": sorted(
                [term_token(n) or "", f.severity, f.field, f.value, f.rule, f.message, f.focus]
                for n, f in self.findings
            ),
            "digests": base64.b64encode(packed).decode("ascii"),
            "zero": base64.b64encode(struct.pack(f"<{len(zero)}q", *zero)).decode("ascii"),
            "mentions": base64.b64encode(struct.pack(f"<{len(extra)}q", *extra)).decode("ascii"),
        }
        return json.dumps(doc, separators=(",", ":"), ensure_ascii=False, sort_keys=True)

    @classmethod
    def loads(cls, text: str, shapes: str) -> Kept | None:
        """Kept results made with the same shapes, or ``None``."""
        import orjson

        try:
            doc = orjson.loads(text)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(doc, dict) or doc.get("v") != KEPT_VERSION or doc.get("shapes") != shapes:
            return None
        return cls._decode(doc)

    @classmethod
    def _decode(cls, doc: dict[str, Any]) -> Kept:
        import base64
        import struct

        raw = base64.b64decode(doc["digests"])
        values = struct.unpack("<" + "qQQ" * (len(raw) // 24), raw)
        keys = values[0::3]
        digests = dict(zip(keys, zip(values[1::3], values[2::3], strict=True), strict=True))
        zero = base64.b64decode(doc["zero"])
        digests.update(dict.fromkeys(struct.unpack(f"<{len(zero) // 8}q", zero), _EMPTY))
        mentions = base64.b64decode(doc["mentions"]) + struct.pack(f"<{len(keys)}q", *keys) + zero
        findings = [(text_term(row[0]), Finding(*row[1:])) for row in doc["findings"]]
        trial, source = doc["owner"]
        return cls(findings, digests, mentions, (trial, source), set(doc["timed"]))

    def chunk(self, unit: Unit) -> ChunkOut:
        return ChunkOut([unit], self.digests, self.findings, {}, self.mentions, self.timed)


def _record_digests(
    plan: Plan, terms: Sequence[tuple[Any, Any, Any]]
) -> tuple[dict[int, tuple[int, int]], set[int], set[int]]:
    """The digests :class:`StoreChunk` makes of a chunk holding this record alone, every node the
    record mentions, and the nodes it gives a load time; from the record's triples as
    Oxigraph terms (in the form the store keeps them)."""
    import pyoxigraph as ox

    keys = OX_KEYS
    known = keys.cache.get
    observed = plan.observed
    decided = plan.observed_ox
    full: dict[int, int] = {}
    types: dict[int, int] = {}
    objects: set[int] = set()
    mentions: set[int] = set()
    times: set[int] = set()
    literal_type = ox.Literal
    last: Any = None
    hs = 0
    for s, p, o in dict.fromkeys(terms):
        if s is not last:  # a record's triples come subject by subject
            last = s
            found = known(s)
            hs = keys(s) if found is None else found
            mentions.add(hs)
        literal = type(o) is literal_type
        if not literal:
            found = known(o)
            ho = keys(o) if found is None else found
            mentions.add(ho)
        seen = decided.get(p)
        if seen is None:
            seen = decided[p] = observed is None or URIRef(p.value) in observed
        if not seen:
            continue
        if literal:
            found = known(o)
            ho = keys(o) if found is None else found
        found = known(p)
        hp = keys(p) if found is None else found
        if hp == _LOAD_TIME_HASH:
            times.add(hs)
            h = hash((hp, ANY_TIME))
        else:
            h = hash((hp, ho))
        full[hs] = (full.get(hs, 0) + h) & HASH_MASK
        if hp == TYPE_HASH:
            types[hs] = (types.get(hs, 0) + h) & HASH_MASK
        if not literal:
            objects.add(ho)
    digests = {h: (d or 1, types.get(h, 0)) for h, d in full.items()}
    for h in objects:
        digests.setdefault(h, _EMPTY)
    return digests, mentions, times


#: The load time a build writes into each record graph says when, not what: in a node's digest
#: it counts by its presence (this hash stands for any value), so that the digests kept for a
#: record do not change with the time it was loaded.  Two records giving a node a load time
#: each make that node divergent (:class:`ChunkFold`), whatever the times.
_LOAD_TIME = URIRef("http://www.w3.org/ns/prov#generatedAtTime")
LOAD_TIME_TOKEN = f"<{_LOAD_TIME}>"
_LOAD_TIME_HASH = term_hash(_LOAD_TIME)
ANY_TIME = term_hash(Literal("any time"))
HASH_MASK = 0xFFFFFFFFFFFFFFFF
#: The digest of a node a record only points at (it says nothing about the node itself).
_EMPTY = (0, 0)
