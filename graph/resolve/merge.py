"""Cross-registry trial identity: which source records describe the same trial, and why.

One trial is often registered more than once (ClinicalTrials.gov, the EU register once per member
state, CTIS, jRCT...), and each registration is copied into ICTRP.  :func:`cluster` groups records
into trials on direct evidence only and keeps that evidence:

* ``same-id``: two records own the same registry id (the ClinicalTrials.gov record of NCT05697861
  and its ICTRP copy);
* ``eu-member-states``: the special case of EU register per-country records of one EudraCT
  number (``EUCTR2021-000037-14-ES`` and ``-PL``);
* ``ctis-transition``: a CTIS record states that its trial moved there from EudraCT (the EudraCT
  number's ``transitioned_to`` is the record's CT number), and another record owns that EudraCT
  number (an EU register record, a curated record);
* ``declared-one``: record A lists, as a secondary id, an id that record B owns;
* ``declared-both``: A lists B's own id and B lists A's;
* ``existing-id``: a record owns an id that a trial already in the store holds.

A record's **own ids** are the trial-registry ids of its own registration: for ``ctgov`` and
``ictrp`` records, the trial-registry ids that occur in the record id (the NCT id; the EudraCT
number inside ``EUCTR2021-000037-14-ES``; ``jRCT2071210009`` inside ``JPRN-jRCT2071210009``); for
``curated`` records every trial-registry id they list, since a curator declares them all.  The
EudraCT number of a trial that moved to CTIS is an own id of the CTIS record too: the registration
goes on under the new number, so an ISRCTN or NCT record citing the EudraCT number declares the
CTIS record's trial.  Every other trial-registry id a record lists is **declared**.

Merges never chain past a contradiction.  A trial has at most one own id per registry (per
sub-registry for the Japanese network JPRN, whose jRCT, JapicCTI and UMIN numbers may all belong to
one trial), and at most one trial already in the store.  When the evidence joining a group of
records would break that rule (A declares B, B declares C, and A and C own different NCT ids), the
group is contested: only the strongest evidence is applied (same-id, eu-member-states and
existing-id first, then declared-both, each merge only if it keeps the rule; a record whose ids are
held by two stored trials joins the one holding its most preferred id, NCT first), every other
link is left unapplied, and an :class:`IdentityConflict` lists the records, the clashing ids and the
unapplied evidence for a person to decide.

:mod:`graph.conflicts` then lists the fields on which the records of one trial disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from graph.model import Identifier, TrialRecord
from graph.normalize.registry_ids import TRIAL_REGISTRIES, guess_registry
from graph.resolve.identity import preferred_identifier

#: Evidence kinds, strongest first.
EVIDENCE_KINDS = ("same-id", "eu-member-states", "ctis-transition", "existing-id", "declared-both", "declared-one")
_CERTAIN = {"same-id", "eu-member-states", "ctis-transition", "existing-id"}
_EXISTING = "existing:"
_JPRN_PREFIXES = ("jRCT", "JapicCTI", "UMIN", "JMA")


def record_key(record: TrialRecord) -> str:
    """``source/record_id``: the key records go by in evidence and reports."""
    return f"{record.source}/{record.record_id}"


def own_ids(record: TrialRecord) -> list[Identifier]:
    """The trial-registry ids of the record's own registration (see the module docstring)."""
    trial_ids = [i for i in record.identifiers if i.registry in TRIAL_REGISTRIES]
    if record.source == "curated":
        return _unique(trial_ids)
    rid = record.record_id.casefold()
    own = [i for i in trial_ids if i.value.casefold() in rid]
    return _unique(own + _transitioned(record, own))


def _transitioned(record: TrialRecord, own: list[Identifier]) -> list[Identifier]:
    """EudraCT numbers the record states its own CTIS registration continues."""
    ctis = {i.value for i in own if i.registry == "CTIS"}
    return [i for i in record.identifiers if i.registry == "EUDRACT" and i.transitioned_to in ctis]


def declared_ids(record: TrialRecord) -> list[Identifier]:
    """The trial-registry ids a record lists that are not its own."""
    own = {(i.registry, i.value) for i in own_ids(record)}
    listed = [i for i in record.identifiers if i.registry in TRIAL_REGISTRIES]
    return _unique([i for i in listed if (i.registry, i.value) not in own])


def _unique(ids: Iterable[Identifier]) -> list[Identifier]:
    seen: dict[tuple[str, str], Identifier] = {}
    for i in ids:
        seen.setdefault((i.registry, i.value), i)
    return list(seen.values())


def clash_key(identifier: Identifier) -> str:
    """The slot an own id fills: its registry, or for JPRN its sub-registry (jRCT, UMIN...)."""
    if identifier.registry == "JPRN":
        for prefix in _JPRN_PREFIXES:
            if identifier.value.startswith(prefix):
                return f"JPRN:{prefix}"
    return identifier.registry


@dataclass(frozen=True)
class Evidence:
    #: One of :data:`EVIDENCE_KINDS`.
    kind: str
    #: Record key (``source/record_id``) of the record that holds or lists the id.
    from_record: str
    #: Record key of the other record, or ``existing:<trial key>`` for a trial already stored.
    to_record: str
    #: The identifier value the evidence rests on.
    id: str


@dataclass
class Cluster:
    """The records of one trial, its identifiers, and the evidence that joined them."""

    records: list[TrialRecord]
    identifiers: list[Identifier]
    preferred: Identifier
    evidence: list[Evidence]
    #: The stored trial this cluster joined (the value ``existing`` mapped its id to), if any.
    existing: str | None = None

    @property
    def keys(self) -> list[str]:
        return [record_key(r) for r in self.records]

    @property
    def countries(self) -> list[str]:
        """Every country a record of the trial names (its countries, then its sites')."""
        out: dict[str, None] = {}
        for r in self.records:
            out.update(dict.fromkeys(r.countries))
            out.update(dict.fromkeys(s.country for s in r.sites if s.country))
        return list(out)


@dataclass(frozen=True)
class IdentityConflict:
    """Evidence that would put two different ids of one registry into one trial; not applied."""

    #: Record keys of the contested group (all records the evidence links).
    records: tuple[str, ...]
    #: The registry slot that clashes (``NCT``, ``EUDRACT``, ``JPRN:jRCT``, or ``existing``).
    registry: str
    #: The clashing values.
    values: tuple[str, ...]
    #: The evidence left unapplied.
    evidence: tuple[Evidence, ...]

    @property
    def message(self) -> str:
        return (
            f"records {', '.join(self.records)} are linked by declared ids, but merging them would give one "
            f"trial two {self.registry} ids ({', '.join(self.values)}); left apart for review"
        )


@dataclass
class MergeResult:
    clusters: list[Cluster]
    conflicts: list[IdentityConflict] = field(default_factory=list)

    def cluster_of(self, key: str) -> Cluster:
        """The cluster holding the record with this key (``source/record_id``)."""
        for c in self.clusters:
            if key in c.keys:
                return c
        raise KeyError(key)


# -- evidence ------------------------------------------------------------------------------------


def _evidence(records: Sequence[TrialRecord], existing: dict[str, str]) -> list[Evidence]:
    owners: dict[tuple[str, str], list[str]] = defaultdict(list)
    own: dict[str, list[Identifier]] = {}
    for r in records:
        key = record_key(r)
        own[key] = own_ids(r)
        for i in own[key]:
            owners[(i.registry, i.value)].append(key)
    out: list[Evidence] = []
    # a curator lists every id as its own: a curated record sharing the EudraCT number is same-id
    moved = {
        key: {i.value for i in ids if i.transitioned_to} for key, ids in own.items() if not key.startswith("curated/")
    }
    for (registry, value), keys in sorted(owners.items()):
        first = keys[0]
        for other in keys[1:]:
            eu = registry == "EUDRACT" and _is_euctr(first) and _is_euctr(other)
            kind = "eu-member-states" if eu else "same-id"
            if value in moved.get(first, set()) | moved.get(other, set()):
                kind = "ctis-transition"
            out.append(Evidence(kind, first, other, value))
    own_values = {k: {(i.registry, i.value) for i in ids} for k, ids in own.items()}
    declared: dict[str, set[tuple[str, str]]] = {
        record_key(r): {(i.registry, i.value) for i in declared_ids(r)} for r in records
    }
    done: set[frozenset[str]] = set()
    for r in records:
        a = record_key(r)
        for registry, value in sorted(declared[a]):
            for b in owners.get((registry, value), []):
                pair = frozenset((a, b))
                if b == a or pair in done:
                    continue
                both = bool(declared[b] & own_values[a])
                if both:
                    done.add(pair)
                out.append(Evidence("declared-both" if both else "declared-one", a, b, value))
    for r in records:
        for i in own[record_key(r)]:
            if i.value in existing:
                out.append(Evidence("existing-id", record_key(r), _EXISTING + existing[i.value], i.value))
    return out


def _is_euctr(key: str) -> bool:
    return key.split("/", 1)[-1].upper().startswith("EUCTR")


# -- grouping ------------------------------------------------------------------------------------


class _Groups:
    """Union-find over record keys that refuses a union breaking the one-id-per-registry rule."""

    def __init__(self, slots: dict[str, dict[str, set[str]]]) -> None:
        self.parent: dict[str, str] = {k: k for k in slots}
        self.slots = {k: {s: set(v) for s, v in val.items()} for k, val in slots.items()}

    def find(self, k: str) -> str:
        while self.parent[k] != k:
            self.parent[k] = self.parent[self.parent[k]]
            k = self.parent[k]
        return k

    def clash(self, a: str, b: str) -> tuple[str, tuple[str, ...]] | None:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return None
        for slot, values in self.slots[ra].items():
            merged = values | self.slots[rb].get(slot, set())
            if len(merged) > 1:
                return slot, tuple(sorted(merged))
        return None

    def union(self, a: str, b: str, check: bool = True) -> bool:
        if check and self.clash(a, b):
            return False
        ra, rb = sorted((self.find(a), self.find(b)))
        if ra == rb:
            return True
        self.parent[rb] = ra
        for slot, values in self.slots.pop(rb).items():
            self.slots[ra].setdefault(slot, set()).update(values)
        return True


def _slots(records: Sequence[TrialRecord], evidence: list[Evidence]) -> dict[str, dict[str, set[str]]]:
    slots: dict[str, dict[str, set[str]]] = {}
    for r in records:
        per: dict[str, set[str]] = defaultdict(set)
        for i in own_ids(r):
            per[clash_key(i)].add(i.value)
        slots[record_key(r)] = dict(per)
    for e in evidence:
        if e.kind == "existing-id":
            slots.setdefault(e.to_record, {"existing": {e.to_record[len(_EXISTING) :]}})
    return slots


def _components(keys: Iterable[str], evidence: list[Evidence]) -> list[list[str]]:
    plain = _Groups({k: {} for k in keys})
    for e in evidence:
        plain.union(e.from_record, e.to_record, check=False)
    groups: dict[str, list[str]] = defaultdict(list)
    for k in plain.parent:
        groups[plain.find(k)].append(k)
    return [sorted(g) for g in groups.values()]


def cluster(records: list[TrialRecord], existing: dict[str, str] | None = None) -> MergeResult:
    """Group ``records`` into trials on direct evidence (see the module docstring).

    ``existing`` maps an identifier value to the key of the trial that already holds it in the
    store (its IRI or its preferred id): a record owning that id joins that trial.  The result does
    not depend on the order of ``records``.
    """
    existing = existing or {}
    ordered = sorted(records, key=record_key)
    by_key = {record_key(r): r for r in ordered}
    evidence = _evidence(ordered, existing)
    slots = _slots(ordered, evidence)
    groups = _Groups(slots)
    conflicts: list[IdentityConflict] = []
    for component in _components(slots, evidence):
        inside = [e for e in evidence if e.from_record in component]
        if _merge_component(groups, inside):
            continue
        conflicts.extend(_contested(groups, component, inside))
    return MergeResult(_clusters(groups, by_key, evidence, existing), conflicts)


def _merge_component(groups: _Groups, evidence: list[Evidence]) -> bool:
    """Merge a component whole when that breaks no rule; ``False`` (nothing merged) otherwise."""
    trial = _Groups({k: groups.slots[k] for k in {e.from_record for e in evidence} | {e.to_record for e in evidence}})
    if any(not trial.union(e.from_record, e.to_record) for e in evidence):
        return False
    for e in evidence:
        groups.union(e.from_record, e.to_record, check=False)
    return True


def _contested(groups: _Groups, component: list[str], evidence: list[Evidence]) -> list[IdentityConflict]:
    """Apply only certain and mutual evidence that keeps the rule; report the clash and the rest."""
    whole: dict[str, set[str]] = defaultdict(set)
    for k in component:
        for slot, values in groups.slots.get(k, {}).items():
            whole[slot].update(values)
    rank = {kind: i for i, kind in enumerate(EVIDENCE_KINDS)}
    applied: set[Evidence] = set()
    for e in sorted(evidence, key=lambda e: (rank[e.kind], _precedence(e.id), e.from_record, e.to_record, e.id)):
        if (e.kind in _CERTAIN or e.kind == "declared-both") and groups.union(e.from_record, e.to_record):
            applied.add(e)
    left = tuple(e for e in evidence if e not in applied)
    records = tuple(k for k in component if not k.startswith(_EXISTING))
    return [
        IdentityConflict(records, slot, tuple(sorted(values)), left)
        for slot, values in sorted(whole.items())
        if len(values) > 1
    ]


def _precedence(value: str) -> int:
    """Rank of the registry of an id value (NCT first), so that of two stored trials a record
    joins the one holding its most preferred id."""
    registry = guess_registry(value)
    return TRIAL_REGISTRIES.index(registry) if registry in TRIAL_REGISTRIES else len(TRIAL_REGISTRIES)


def _clusters(
    groups: _Groups, by_key: dict[str, TrialRecord], evidence: list[Evidence], existing: dict[str, str]
) -> list[Cluster]:
    members: dict[str, list[str]] = defaultdict(list)
    for k in groups.parent:
        members[groups.find(k)].append(k)
    out: list[Cluster] = []
    for keys in members.values():
        records = [by_key[k] for k in sorted(keys) if k in by_key]
        if not records:
            continue
        stored = sorted(k[len(_EXISTING) :] for k in keys if k.startswith(_EXISTING))
        within = set(keys)
        applied = [e for e in evidence if e.from_record in within and e.to_record in within]
        out.append(_make_cluster(records, applied, stored[0] if stored else None))
    out.sort(key=lambda c: c.keys[0])
    return out


def _make_cluster(records: list[TrialRecord], evidence: list[Evidence], stored: str | None) -> Cluster:
    own = _unique(i for r in records for i in own_ids(r))
    identifiers = _unique([*own, *(i for r in records for i in r.identifiers)])
    preferred = preferred_identifier(own) if own else preferred_identifier(identifiers)
    if stored is not None:
        preferred = next((i for i in identifiers if i.value == stored), None) or (
            preferred
            if stored.startswith(("http://", "https://"))
            else Identifier(guess_registry(stored) or "OTHER", stored)
        )
    return Cluster(records, identifiers, preferred, evidence, stored)


def preferred_ids(records: list[TrialRecord], existing: dict[str, str] | None = None) -> dict[str, Identifier]:
    """Record key (``source/record_id``) -> the preferred identifier of its trial (for IRIs)."""
    result = cluster(records, existing)
    return {key: c.preferred for c in result.clusters for key in c.keys}
