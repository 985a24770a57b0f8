"""What is true in a store, as the store-side reasoning reads it (:class:`Facts`: every premise
graph and everything derived), and the semi-naive saturation that adds to the shared inferred
graph whatever follows from some new triples and is not true yet."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pyoxigraph as ox

from graph.reason.closure import Chain, Index, LocalRules, Triple
from graph.reason.graphs import SHARED, SUPPORT, add_derived, is_premise


class Facts:
    """What is true in a store: a triple in any graph but the quarantine and the bookkeeping
    graphs (records, the ontology, and everything derived).  ``extra`` triples count as true
    too (retracted premises, while what depended on them is found)."""

    def __init__(self, db: ox.Store, extra: Iterable[Triple] = ()) -> None:
        self.db = db
        self.extra = set(extra)
        self.extra_index = Index()
        for s, p, o in self.extra:
            self.extra_index.add(s, p, o)

    def holds(self, t: Triple) -> bool:
        if t in self.extra:
            return True
        return any(is_premise(q.graph_name) for q in self.db.quads_for_pattern(t[0], t[1], t[2], None))

    def objects(self, s: Any, p: Any) -> set[Any]:
        found = {q.object for q in self.db.quads_for_pattern(s, p, None, None) if is_premise(q.graph_name)}
        return found | self.extra_index.objects(s, p)

    def subjects(self, p: Any, o: Any) -> set[Any]:
        found = {q.subject for q in self.db.quads_for_pattern(None, p, o, None) if is_premise(q.graph_name)}
        return found | self.extra_index.subjects(p, o)

    def any_subject(self, p: Any, o: Any) -> bool:
        return any(is_premise(q.graph_name) for q in self.db.quads_for_pattern(None, p, o, None))

    def any_object(self, s: Any, p: Any) -> bool:
        return any(is_premise(q.graph_name) for q in self.db.quads_for_pattern(s, p, None, None))

    def derived(self, t: Triple) -> bool:
        """Stored in the shared inferred graph or its support graph."""
        s, p, o = t
        return any(True for _ in self.db.quads_for_pattern(s, p, o, SHARED)) or any(
            True for _ in self.db.quads_for_pattern(s, p, o, SUPPORT)
        )

    def extend(self, t: Triple, chain: Chain, i: int) -> Iterator[Triple]:
        """Every instance of ``chain`` whose step ``i`` is ``t``: the chain's head for each."""
        steps = chain.steps
        lefts = {t[0]}
        for j in range(i - 1, -1, -1):
            lefts = {x for y in lefts for x in self.subjects(steps[j], y)}
            if not lefts:
                return
        rights = {t[2]}
        for j in range(i + 1, len(steps)):
            rights = {z for y in rights for z in self.objects(y, steps[j])}
            if not rights:
                return
        for x in lefts:
            for z in rights:
                yield x, chain.head, z


def saturate(db: ox.Store, rules: LocalRules, seed: Iterable[Triple]) -> tuple[int, int]:
    """Everything that follows from ``seed`` (true already) and is not true yet goes to the
    shared inferred graph, semi-naively.  Returns (triples added, rounds)."""
    facts = Facts(db)
    added = 0
    rounds = 0
    delta = list(dict.fromkeys(seed))
    while delta:
        rounds += 1
        fresh: list[Triple] = []
        for t in delta:
            candidates = list(rules.one_step(*t))
            for chain, i in rules.positions.get(t[1], ()):
                candidates.extend(facts.extend(t, chain, i))
            for c in candidates:
                if not facts.holds(c):
                    add_derived(db, c)
                    added += 1
                    fresh.append(c)
        delta = fresh
    return added, rounds
