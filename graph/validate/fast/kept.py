"""Results kept per record version (:class:`Kept`), and what a chunk of the store gives back
(:class:`ChunkOut`): the digests of the triples the shapes read, which tell a later validation
which nodes records describe differently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

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


class Digests(NamedTuple):
    """Node hash -> (digest of the node's own triples, digest of its types), as three parallel
    sequences (so that kept results are folded without a tuple per node): order-free sums of
    triple hashes, never 0 for a node described; (0, 0) for a node that is only an object."""

    keys: Sequence[int]
    full: Sequence[int]
    types: Sequence[int]

    @classmethod
    def of(cls, full: Mapping[int, int], types: Mapping[int, int], objects: Iterable[int]) -> Digests:
        """From the sums of each subject's triples (``full``), of its type triples, and the
        nodes that are objects (a set)."""
        pointed = [h for h in objects if h not in full]
        zeros = [0] * len(pointed)
        return cls([*full, *pointed], [d or 1 for d in full.values()] + zeros, [types.get(h, 0) for h in full] + zeros)


NO_DIGESTS = Digests((), (), ())


@dataclass
class ChunkOut:
    units: list[Unit]
    digests: Digests
    findings: list[tuple[Node, Finding]]
    sparql_foci: dict[Node, set[Node]]
    #: every node the chunk's records mention (any predicate; hashes packed as little-endian
    #: int64), when known: a kept result of one record (see :class:`Kept`); a finding on a node
    #: one record alone mentions needs no look-up to be attributed
    mentions: bytes | None = None
    #: nodes the chunk gives a load time (see :data:`_LOAD_TIME`)
    timed: set[int] = field(default_factory=set)


#: Bumped whenever what :class:`Kept` holds, or how, changes: kept results are then ignored.
KEPT_VERSION = 4


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
    digests: Digests
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
        """As stored in the ledger: JSON, the digests packed as int64 arrays in one string
        (sorted, so that two builds of the same record write the same text): the nodes described,
        the nodes only pointed at, the described nodes' digests of their triples and of their
        types, and the nodes only mentioned.  About half the nodes a record has a digest for are
        only pointed at (values of the predicates the shapes read): their digest is empty, and
        they are stored as the node alone, a third of the room.  ``sizes`` gives the number of
        nodes described and of nodes pointed at."""
        import base64
        import json
        import struct

        described = sorted((k, f, t) for k, f, t in zip(*self.digests, strict=True) if f)
        zero = sorted(k for k, f in zip(self.digests.keys, self.digests.full, strict=True) if not f)
        mentions = struct.unpack(f"<{len(self.mentions) // 8}q", self.mentions)
        extra = sorted(set(mentions) - set(self.digests.keys))
        n, m = len(described), len(zero)
        packed = struct.pack(
            f"<{n + m}q{2 * n}Q{len(extra)}q",
            *(k for k, _f, _t in described),
            *zero,
            *(f for _k, f, _t in described),
            *(t for _k, _f, t in described),
            *extra,
        )
        doc = {
            "v": KEPT_VERSION,
            "shapes": shapes,
            "owner": list(self.owner),
            "timed": sorted(self.timed),
            "findings": sorted(
                [term_token(node) or "", f.severity, f.field, f.value, f.rule, f.message, f.focus]
                for node, f in self.findings
            ),
            "digests": base64.b64encode(packed).decode("ascii"),
            "sizes": [n, m],
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
        """The stored arrays become the digests as they are: no dictionary is built per record
        (a validation of 100,000 kept records spent most of its time there)."""
        import binascii
        import struct

        raw = binascii.a2b_base64(doc["digests"])
        n, m = doc["sizes"]
        end = 8 * (n + m)
        values = struct.unpack_from(f"<{n + m}q{2 * n}Q", raw)
        zeros = (0,) * m
        digests = Digests(values[: n + m], values[n + m : 2 * n + m] + zeros, values[2 * n + m :] + zeros)
        mentions = raw[end + 16 * n :] + raw[:end]
        findings = [(text_term(row[0]), Finding(*row[1:])) for row in doc["findings"]]
        trial, source = doc["owner"]
        return cls(findings, digests, mentions, (trial, source), set(doc["timed"]))

    def chunk(self, unit: Unit) -> ChunkOut:
        return ChunkOut([unit], self.digests, self.findings, {}, self.mentions, self.timed)


def _record_digests(plan: Plan, terms: Sequence[tuple[Any, Any, Any]]) -> tuple[Digests, set[int], set[int]]:
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
    return Digests.of(full, types, objects), mentions, times


#: The load time a build writes into each record graph says when, not what: in a node's digest
#: it counts by its presence (this hash stands for any value), so that the digests kept for a
#: record do not change with the time it was loaded.  Two records giving a node a load time
#: each make that node divergent (:class:`ChunkFold`), whatever the times.
_LOAD_TIME = URIRef("http://www.w3.org/ns/prov#generatedAtTime")
LOAD_TIME_TOKEN = f"<{_LOAD_TIME}>"
_LOAD_TIME_HASH = term_hash(_LOAD_TIME)
ANY_TIME = term_hash(Literal("any time"))
HASH_MASK = 0xFFFFFFFFFFFFFFFF
