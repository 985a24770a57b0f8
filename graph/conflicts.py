"""Where the source records of one trial disagree: the one definition of a conflict.

One trial is often described by several records (ClinicalTrials.gov, the EU register once per
member state, CTIS, jRCT, ICTRP's copies).  Each record keeps its own named graph, so a
disagreement is the same field holding incompatible values in two records of one trial.  The
same rules serve the store (:func:`trial_conflicts`, behind ``trialgraph conflicts`` and the
Python API ``graph.trial_conflicts``) and records in memory (:func:`record_conflicts`).

Compared: status, phases, enrolment, start, primary completion and completion dates, lead
sponsor.  Values that registers may legitimately write differently are compatible:

* a missing value disagrees with nothing;
* statuses compare by the API v2 statuses they may stand for: a register's coarse status ("Not
  recruiting", "Authorised"...) agrees with each status it covers
  (:data:`graph.normalize.vocab.COARSE_STATUSES`), so COMPLETED and "Not recruiting" agree, and
  RECRUITING and "Not recruiting" do not;
* phases compare as sets;
* dates agree when equal or when one refines the other (``2021-05`` and ``2021-05-20``);
* lead sponsors compare by :func:`graph.resolve.orgs.match_key` of their resolved names, and agree when
  the records share one;
* a **national part** does not take part in the comparison of dates, enrolment and lead sponsor.
  A record is a national part when it is the registration in one country of a trial that runs in
  others too: an EU Clinical Trials Register member-state record (``EUCTR2021-000037-14-ES``), or
  a record of a national register (:data:`REGISTER_COUNTRIES`: jRCT, NL-OMON, DRKS...) of a trial
  whose records name a country outside that register's.  Its start date, enrolment and sponsor
  (often the local sponsor or legal representative) are those of its country.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import graph.query.named as queries
from graph.model import TrialRecord
from graph.normalize.registry_ids import guess_registry, split_euctr
from graph.normalize.vocab import status_meanings
from graph.resolve.identity import preferred_identifier
from graph.resolve.orgs import OrgResolver, match_key
from graph.store.base import Store

#: Fields in the order they are reported.
FIELDS = (
    "status",
    "phase",
    "enrollment",
    "start date",
    "primary completion date",
    "completion date",
    "lead sponsor",
)
#: Fields a national part describes for its own country only.
NATIONAL_FIELDS = frozenset({"enrollment", "start date", "primary completion date", "completion date", "lead sponsor"})
#: National registers and the countries they register trials in.
REGISTER_COUNTRIES: dict[str, frozenset[str]] = {
    "JPRN": frozenset({"JP"}),
    "NL_OMON": frozenset({"NL"}),
    "NTR": frozenset({"NL"}),
    "DRKS": frozenset({"DE"}),
    "CHICTR": frozenset({"CN"}),
    "CTRI": frozenset({"IN"}),
    "IRCT": frozenset({"IR"}),
    "KCT": frozenset({"KR"}),
    "REBEC": frozenset({"BR"}),
    "RPCEC": frozenset({"CU"}),
    "SLCTR": frozenset({"LK"}),
    "TCTR": frozenset({"TH"}),
    "LBCTR": frozenset({"LB"}),
    "REPEC": frozenset({"PE"}),
    "ANZCTR": frozenset({"AU", "NZ"}),
}
#: EU member-state codes that are not ISO 3166 alpha-2.
_EU_STATE_CODES = {"EL": "GR", "UK": "GB"}


@dataclass(frozen=True)
class Conflict:
    """A field on which the records of one trial disagree, with what each record says."""

    #: The trial's preferred id.
    trial: str
    field: str
    #: (record key ``source/record_id``, value) of each record compared, in record order.
    values: tuple[tuple[str, str], ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "trial": self.trial,
            "field": self.field,
            "values": [{"record": record, "value": value} for record, value in self.values],
        }


@dataclass
class RecordValues:
    """What one record says about the compared fields, each field a set of values as text."""

    key: str
    values: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    countries: set[str] = field(default_factory=set)

    @property
    def record_id(self) -> str:
        return self.key.split("/", 1)[-1]


# -- the rules -----------------------------------------------------------------------------------


def _dates_agree(a: frozenset[str], b: frozenset[str]) -> bool:
    return all(x.startswith(y) or y.startswith(x) for x in a for y in b)


def _statuses_agree(a: frozenset[str], b: frozenset[str]) -> bool:
    meanings_a = frozenset().union(*(status_meanings(s) for s in a))
    meanings_b = frozenset().union(*(status_meanings(s) for s in b))
    return bool(meanings_a & meanings_b)


def _sponsors_agree(a: frozenset[str], b: frozenset[str]) -> bool:
    return bool({match_key(n) for n in a} & {match_key(n) for n in b})


def _equal(a: frozenset[str], b: frozenset[str]) -> bool:
    return a == b


_AGREE: dict[str, Callable[[frozenset[str], frozenset[str]], bool]] = {
    "status": _statuses_agree,
    "phase": _equal,
    "enrollment": _equal,
    "start date": _dates_agree,
    "primary completion date": _dates_agree,
    "completion date": _dates_agree,
    "lead sponsor": _sponsors_agree,
}


def national_countries(record_id: str) -> frozenset[str] | None:
    """The countries of the register a record's own id belongs to, when it is a national one:
    the member state of an EU register record, the country of a national register; else
    ``None``."""
    euctr = split_euctr(record_id.strip().upper())
    if euctr is not None:
        state = euctr[1]
        return frozenset({_EU_STATE_CODES.get(state, state)}) if state and state != "3RD" else None
    value = record_id.strip()
    registry = guess_registry(value[5:] if value.upper().startswith("JPRN-") else value)
    return REGISTER_COUNTRIES.get(registry or "")


def compare(trial: str, records: Sequence[RecordValues]) -> list[Conflict]:
    """The conflicts among the records of one trial (see the module docstring)."""
    countries = set().union(*(r.countries for r in records)) if records else set()
    parts = set()
    for r in records:
        home = national_countries(r.record_id)
        if home is not None and countries - home:
            parts.add(r.key)
    out: list[Conflict] = []
    for name in FIELDS:
        given = [
            (r, frozenset(r.values[name]))
            for r in records
            if r.values.get(name) and not (name in NATIONAL_FIELDS and r.key in parts)
        ]
        agree = _AGREE[name]
        if any(not agree(a, b) for i, (_ra, a) in enumerate(given) for _rb, b in given[i + 1 :]):
            out.append(Conflict(trial, name, tuple((r.key, ", ".join(sorted(v))) for r, v in given)))
    return out


# -- records in memory -------------------------------------------------------------------------------


def record_values(record: TrialRecord, resolver: OrgResolver | None = None) -> RecordValues:
    """The compared fields of one record; lead sponsors by their resolved names when a
    ``resolver`` is given (as a build resolves them before writing)."""
    out = RecordValues(f"{record.source}/{record.record_id}")
    if record.status:
        out.values["status"].add(record.status)
    out.values["phase"].update(record.phases)
    if record.enrollment is not None:
        out.values["enrollment"].add(str(record.enrollment))
    for name, date in (
        ("start date", record.start_date),
        ("primary completion date", record.primary_completion_date),
        ("completion date", record.completion_date),
    ):
        if date is not None:
            out.values[name].add(date.value)
    for org in record.lead_sponsors:
        out.values["lead sponsor"].add(resolver.resolve(org).organization.name if resolver else org.name)
    out.countries.update(record.countries)
    out.countries.update(s.country for s in record.sites if s.country)
    return out


def record_conflicts(records: Iterable[TrialRecord], resolver: OrgResolver | None = None) -> list[Conflict]:
    """The conflicts among records taken to describe one trial (named by the first record's
    preferred id)."""
    records = list(records)
    if not records:
        return []
    return compare(preferred_identifier(records[0].identifiers).value, [record_values(r, resolver) for r in records])


# -- the store -------------------------------------------------------------------------------------


def store_values(store: Store) -> dict[str, list[RecordValues]]:
    """Preferred id of each trial -> what each of its records says (``queries/source-values.rq``)."""
    result = queries.run(store, "source-values")
    trials: dict[str, dict[str, RecordValues]] = defaultdict(dict)
    for row in result.rows:
        trial, _graph, kind, record_id, name, value = (None if t is None else str(t) for t in row)
        if trial is None or kind is None or record_id is None or name is None or value is None:
            continue
        key = f"{kind}/{record_id}"
        values = trials[trial].setdefault(key, RecordValues(key))
        if name == "country":
            values.countries.add(value)
        else:
            values.values[name].add(value)
    return {trial: list(by_key.values()) for trial, by_key in trials.items()}


def trial_conflicts(store: Store) -> list[Conflict]:
    """Every conflict in the store, by trial (preferred id) and field."""
    out: list[Conflict] = []
    for trial, records in sorted(store_values(store).items()):
        out.extend(compare(trial, records))
    return out


def as_rows(found: Iterable[Conflict]) -> list[dict[str, Any]]:
    return [c.as_dict() for c in found]
