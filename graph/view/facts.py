"""What the page tells about each node (the facts of its side panel and tooltip, its registry
link, its trials) and the choices of the status and phase filters, from the projection's node
attributes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx

#: The status filter's groups: the registers' coarser statuses of the vocabulary, and the
#: wordings outside it.
COARSE = "coarse"
WORDING = "wording"


def node_info(
    graph: nx.MultiDiGraph, node: str, index: Mapping[str, int], related: Mapping[str, set[str]]
) -> dict[str, Any]:
    data = graph.nodes[node]
    kind = str(data.get("kind"))
    info: dict[str, Any] = {
        "iri": node,
        "kind": kind,
        "name": str(data.get("label", "")),
        "ids": [str(i) for i in data.get("ids", ())],
        "aliases": [str(a) for a in data.get("aliases", ())],
        "facts": _facts(data),
    }
    if kind == "trial":
        info["status"] = status_key(data)
        info["phases"] = str(data["phase"]).split("/") if data.get("phase") else []
        url = data.get("registry_url")
        if isinstance(url, str) and url.startswith("https://"):
            info["url"] = url
    else:
        info["trials"] = sorted(index[t] for t in related.get(node, ()) if t in index)
    return info


def _status_fact(data: Mapping[str, Any]) -> str | None:
    """The API v2 status, with the registry's own wording beside it when a source gave one."""
    label, wording = data.get("status_label"), data.get("status_text")
    if label and wording:
        return f"{label} (a registry says: {wording})"
    if wording:
        return f"{wording} (the registry's wording; no status of the vocabulary)"
    return str(label) if label else None


def _sites_fact(sites: Sequence[str] | None, shown: int = 12) -> str | None:
    if not sites:
        return None
    names = sorted(set(sites), key=str.casefold)
    more = f"; and {len(names) - shown} more" if len(names) > shown else ""
    return f"{len(names)}: " + "; ".join(names[:shown]) + more


def _facts(data: Mapping[str, Any]) -> list[list[str]]:
    """(label, text) pairs for the side panel and the tooltip, in reading order."""
    kind = data.get("kind")
    rows: list[tuple[str, Any]]
    if kind == "trial":
        rows = [
            ("Registry ids", ", ".join(data.get("ids", ()))),
            ("Title", data.get("title")),
            ("Status", _status_fact(data)),
            ("Phase", data.get("phase_label")),
            ("Enrolment", data.get("enrollment")),
            ("Start", data.get("start")),
            ("Completion", data.get("completion")),
        ]
    else:
        rows = [
            ("Trials", data.get("trials")),
            ("Sites", _sites_fact(data.get("sites"))),
            ("Type", data.get("intervention_type")),
            ("City", data.get("city")),
            ("Country", data.get("country")),
            ("MeSH", data.get("mesh")),
            ("Other names", ", ".join(data.get("aliases", ()))),
        ]
    return [[name, str(value)] for name, value in rows if value is not None and value != ""]


def status_key(data: Mapping[str, Any]) -> str:
    """The status filter entry of a trial: its status of the vocabulary (an API v2 status, or a
    register's coarser one); else ``wording:`` and the registry's own wording; else ``(none)``."""
    if data.get("status"):
        return str(data["status"])
    if data.get("status_text"):
        return f"{WORDING}:{data['status_text']}"
    return "(none)"


def status_choices(graph: nx.MultiDiGraph, trials: Sequence[str]) -> list[list[Any]]:
    """The status filter, one vocabulary: ``[key, label, count, group]`` for each API v2 status
    (by label); then the registers' coarser statuses of the vocabulary (ICTRP's "Not
    recruiting", the EU register's "Authorised") under one entry that ticks them all (their
    ``group`` is that entry's key); then the wordings outside the vocabulary, kept as the
    registry wrote them, under another; then "not stated"."""
    from graph.normalize.vocab import API_STATUSES

    counts: Counter[str] = Counter()
    labels: dict[str, str] = {}
    for t in trials:
        data = graph.nodes[t]
        key = status_key(data)
        counts[key] += 1
        labels[key] = str(data.get("status_label") or data.get("status_text") or "not stated")
    groups: dict[str, list[str]] = {"": [], COARSE: [], WORDING: []}
    for key in counts:
        if key == "(none)":
            continue
        group = WORDING if key.startswith(WORDING + ":") else "" if key in API_STATUSES else COARSE
        groups[group].append(key)
    out: list[list[Any]] = [[k, labels[k], counts[k], ""] for k in sorted(groups[""], key=lambda k: labels[k])]
    for group, title in ((COARSE, "Coarser statuses of other registers"), (WORDING, "Registry wording, no status")):
        keys = sorted(groups[group], key=lambda k: labels[k].casefold())
        if keys:
            out.append([group, title, sum(counts[k] for k in keys), ""])
            out.extend([k, labels[k], counts[k], group] for k in keys)
    if counts["(none)"]:
        out.append(["(none)", "not stated", counts["(none)"], ""])
    return out


def phase_choices(graph: nx.MultiDiGraph, trials: Sequence[str]) -> list[list[Any]]:
    counts: Counter[str] = Counter()
    labels: dict[str, str] = {}
    for t in trials:
        data = graph.nodes[t]
        codes = str(data["phase"]).split("/") if data.get("phase") else ["(none)"]
        names = str(data["phase_label"]).split("/") if data.get("phase_label") else ["not stated"]
        for code, name in zip(codes, names if len(names) == len(codes) else codes, strict=True):
            counts[code] += 1
            labels[code] = name
    return [[code, labels[code], counts[code]] for code in sorted(counts, key=lambda c: (c == "(none)", c))]
