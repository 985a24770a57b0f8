"""Where the source records of one trial disagree.  Each record keeps its own named graph, so
the disagreement is a comparison of the same field across the graphs of one trial."""

from __future__ import annotations

from collections import defaultdict

from graph import queries
from graph.store import Store


def _same(field: str, values: set[str]) -> bool:
    """Dates at different precision agree when one refines the other (2016-09 and 2016-09-12)."""
    if field.endswith("date"):
        ordered = sorted(values, key=len)
        return all(v.startswith(ordered[0]) for v in ordered)
    return len(values) <= 1


def store_conflicts(store: Store) -> list[dict[str, object]]:
    """One entry per (trial, field) on which two or more records hold different values."""
    result = queries.run(store, "source-values")
    groups: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for trial_id, record, field, value in (
        (str(r[1]), str(r[2]), str(r[3]), str(r[4])) for r in result.rows if None not in r
    ):
        groups[(trial_id, field)][record] = value
    out: list[dict[str, object]] = []
    for (trial_id, field), by_record in sorted(groups.items()):
        if len(by_record) < 2 or _same(field, set(by_record.values())):
            continue
        out.append(
            {
                "trial": trial_id,
                "field": field,
                "values": [{"source": rec, "value": val} for rec, val in sorted(by_record.items())],
            }
        )
    return out
