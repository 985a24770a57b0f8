"""The networkx projection of the graph: one node per trial, organisation, site, condition,
intervention and country, one typed edge per relation between them.

The view (:mod:`graph.view`), the GraphML export and the analyses all read this one
projection, so that a number shown in the view is the number an analysis computes.  The triples
are read with the named queries ``queries/network-*.rq``; nothing here writes SPARQL.  The links
come in three families (:data:`LINKS`), each read by its own query, so that an analysis that
needs only the organisations does not read the sites.

Nodes are keyed by their IRI.  Node attributes: ``kind``, ``label`` (what a person calls the
node: a trial's acronym or preferred id, an organisation's name), and the facts the view shows
(``ids``, ``title``, ``status``, ``phase``, dates, ``enrollment``, ``registry_url`` for trials;
``trials``, the number of trials a node takes part in, for the others).  Edges go from the trial
(or the narrower thing) to the other node; their ``relation`` is one of :data:`RELATIONS` and
partner edges carry the ``role``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import networkx as nx
from rdflib import URIRef

import graph.query.named as queries
from graph.errors import InputError
from graph.store.base import Store

KINDS = ("trial", "organization", "site", "city", "condition", "intervention", "country")

#: Edge relations, in the order the view lists them.
RELATIONS = (
    "lead sponsor",
    "collaborator",
    "funder",
    "partner",
    "site",
    "condition",
    "intervention",
    "located in",
    "broader",
)

#: Participation roles with an edge relation of their own; every other role is a "partner".
_ROLE_RELATION = {"LEAD_SPONSOR": "lead sponsor", "COLLABORATOR": "collaborator", "FUNDER": "funder"}

_ALIAS_SEPARATOR = "\x1f"


@dataclass(frozen=True)
class Family:
    """A family of links: the query that reads them, and the queries that read the facts of
    the nodes they reach."""

    links: str
    nodes: tuple[str, ...]


#: The families of links, each read by its own queries.
LINKS = {
    "organizations": Family("network-links-organizations", ("network-nodes-organizations",)),
    "sites": Family("network-links-sites", ("network-nodes-sites",)),
    "countries": Family("network-links-countries", ("network-nodes-countries",)),
    "topics": Family("network-links-topics", ("network-nodes-conditions", "network-nodes-interventions")),
}


# -- reading the projection ----------------------------------------------------------------------


#: A row of a projection query: each variable's value as text (an IRI, or a literal's lexical
#: form), None when unbound.
TextRow = dict[str, str | None]


def _rows(store: Store, name: str) -> list[TextRow]:
    """The rows of a named query, as text, read as the solutions come (no rdflib terms: the
    projection needs only text, and building 800,000 rdflib terms for a 5,000-trial store took
    longer than the queries themselves)."""
    solutions = store.reader().query(queries.resolve(name).text, use_default_graph_as_union=True)
    variables = [v.value for v in solutions.variables]
    return [{var: _value(solution[var]) for var in variables} for solution in solutions]


def _value(term: Any) -> str | None:
    return None if term is None else str(term.value)


def _add_trials(g: nx.MultiDiGraph, store: Store, *, with_ids: bool = True) -> None:
    for row in _rows(store, "network-trials"):
        node = str(row["trial"])
        ident = row["id"] or node
        acronym = row["acronym"]
        enrollment = row["enrollment"]
        g.add_node(
            node,
            kind="trial",
            label=acronym or ident,
            id=ident,
            ids=[ident],
            title=row["title"],
            acronym=acronym,
            **_statuses(row["statuses"], row["statusText"]),
            phase=row["phase"],
            phase_label=row["phaseLabel"],
            enrollment=int(str(enrollment)) if enrollment is not None else None,
            start=row["start"],
            completion=row["completion"],
            registry_url=row["page"],
        )
    for row in _rows(store, "network-trial-ids") if with_ids else ():
        node = str(row["trial"])
        if node not in g:
            continue
        value = str(row["identifier"])
        ids: list[str] = g.nodes[node]["ids"]
        if value not in ids:
            ids.append(value)


def _add_edges(g: nx.MultiDiGraph, store: Store, families: Iterable[str]) -> set[str]:
    """Typed edges of the link families; returns the nodes they touch."""
    edges: list[tuple[str, str, str, dict[str, Any]]] = []
    for family in families:
        for row in _rows(store, LINKS[family].links):
            source, target = str(row["source"]), str(row["target"])
            relation = str(row["relation"])
            attrs: dict[str, Any] = {"relation": relation}
            if relation == "participation":
                role = row["role"] or "PARTNER"
                relation = _ROLE_RELATION.get(role, "partner")
                attrs = {"relation": relation}
                if relation == "partner":
                    attrs.update(role=role, role_label=row["roleLabel"] or role)
            elif relation == "funding":
                attrs = {"relation": "funder"}
            key = attrs["relation"] + (f":{attrs['role']}" if "role" in attrs else "")
            edges.append((source, target, key, attrs))
    g.add_edges_from(edges)
    return {n for e in edges for n in e[:2]}


def _add_node_facts(g: nx.MultiDiGraph, store: Store, touched: set[str], families: Iterable[str]) -> None:
    rows = [row for family in families for name in LINKS[family].nodes for row in _rows(store, name)]
    for row in rows:
        node = str(row["node"])
        if node not in touched or g.nodes[node].get("kind") == "trial":
            continue
        kind = str(row["kind"])
        label = row["label"] or _fallback_label(node)
        aliases = sorted(a for a in (row["aliases"] or "").split(_ALIAS_SEPARATOR) if a and a != label)
        facts: dict[str, Any] = {"kind": kind, "label": label, "aliases": aliases}
        for attr, var in (
            ("city", "city"),
            ("country", "country"),
            ("mesh", "mesh"),
            ("intervention_type", "interventionType"),
        ):
            value = row.get(var)
            if value:
                facts[attr] = value
        if facts.get("mesh"):
            facts["mesh"] = str(facts["mesh"]).rsplit("/", 1)[-1]
        g.nodes[node].update(facts)
    for node, data in g.nodes(data=True):
        if "kind" not in data:  # an endpoint typed by no query: keep it visible, say what it is not
            data.update(kind=_kind_from_iri(node), label=_fallback_label(node), aliases=[])


_RECORD_SEPARATOR = "\x1e"


def _statuses(pairs: str | None, wordings: str | None) -> dict[str, str | None]:
    """The status a trial is shown with, and what its sources say beside it.

    ``status`` (an API v2 value) and ``status_label``: an API v2 status when a source gives one,
    else a register's coarser status of the vocabulary (ICTRP's ``NOT_RECRUITING``), else none;
    the lowest value when sources disagree.  ``status_text``: the other statuses' labels and the
    wordings outside the vocabulary, joined with "; " (``"Not recruiting"`` beside a
    ClinicalTrials.gov ``RECRUITING``)."""
    from graph.normalize.vocab import API_STATUSES

    found = sorted(tuple(pair.split(_ALIAS_SEPARATOR, 1)) for pair in (pairs or "").split(_RECORD_SEPARATOR) if pair)
    precise = [pair for pair in found if pair[0] in API_STATUSES]
    chosen = (precise or found)[0] if found else None
    beside = [pair[-1] for pair in found if pair != chosen]
    beside += sorted(w for w in (wordings or "").split(_RECORD_SEPARATOR) if w)
    return {
        "status": chosen[0] if chosen else None,
        "status_label": chosen[-1] if chosen else None,
        "status_text": "; ".join(beside) or None,
    }


def _fallback_label(iri: str) -> str:
    return iri.rstrip("/").rsplit("/", 1)[-1]


def _kind_from_iri(iri: str) -> str:
    segment = iri.split("/id/", 1)[-1].split("/", 1)[0]
    return {"org": "organization"}.get(segment, segment if segment in KINDS else "organization")


def _reduce_broader(g: nx.MultiDiGraph) -> None:
    """Keep only the direct ``broader`` links: sources state every MeSH ancestor of a condition,
    and drawing each of them as an edge buries the hierarchy.  Reachability is unchanged."""
    broader = nx.DiGraph((u, v) for u, v, rel in g.edges(data="relation") if rel == "broader")
    if broader.number_of_edges() == 0 or not nx.is_directed_acyclic_graph(broader):
        return
    keep = set(nx.transitive_reduction(broader).edges())
    drop = [(u, v) for u, v in broader.edges() if (u, v) not in keep]
    for u, v in drop:
        g.remove_edge(u, v, key="broader")


def related_trials(g: nx.MultiDiGraph) -> dict[str, set[str]]:
    """For each non-trial node, the trials it is related to: the trials linked to it, for a
    country also the trials of its sites (or cities), for a condition also the trials of every narrower
    condition.  The view filters and the node sizes use it."""
    out: dict[str, set[str]] = {n: set() for n, kind in g.nodes(data="kind") if kind != "trial"}
    narrower: dict[str, list[str]] = {}
    for u, v, rel in g.edges(data="relation"):
        if rel == "broader":
            narrower.setdefault(v, []).append(u)
        elif g.nodes[u].get("kind") == "trial" and v in out:
            out[v].add(u)
    for site, country, rel in g.edges(data="relation"):
        if rel == "located in" and g.nodes[site].get("kind") in ("site", "city") and country in out:
            out[country] |= out.get(site, set())
    for cond in list(narrower):
        out[cond] = out.get(cond, set()) | _trials_below(cond, narrower, out)
    return out


def _trials_below(cond: str, narrower: Mapping[str, list[str]], direct: Mapping[str, set[str]]) -> set[str]:
    seen = {cond}
    queue = deque([cond])
    found: set[str] = set()
    while queue:
        for child in narrower.get(queue.popleft(), ()):
            if child not in seen:
                seen.add(child)
                found |= direct.get(child, set())
                queue.append(child)
    return found


def full_projection(
    store: Store, links: Iterable[str] = tuple(LINKS), *, trial_facts: bool = True, trial_ids: bool | None = None
) -> nx.MultiDiGraph:
    """The whole network of the store: every trial, with the links of the families ``links``
    (all of them by default) and the nodes they reach.  Without ``trial_facts`` a trial's node
    has only its kind and a label (the last segment of its IRI, its preferred id); without
    ``trial_ids`` (by default, as ``trial_facts``) it has no other registry ids.  What an
    analysis does not show, it need not read."""
    families = list(links)
    unknown = sorted(set(families) - set(LINKS))
    if unknown:
        raise InputError(f"no link family {unknown[0]!r}", hint="choose from " + ", ".join(LINKS))
    g = nx.MultiDiGraph()
    if trial_facts:
        _add_trials(g, store, with_ids=trial_facts if trial_ids is None else trial_ids)
    touched = _add_edges(g, store, families)
    _add_node_facts(g, store, touched, families)
    related = related_trials(g)
    _reduce_broader(g)
    for node, trials in related.items():
        g.nodes[node]["trials"] = len(trials)
    return g


# -- views of the projection ---------------------------------------------------------------------


def project(
    store: Store,
    *,
    focus: str | None = None,
    depth: int = 1,
    query: str | None = None,
    params: dict[str, str] | None = None,
) -> nx.MultiDiGraph:
    """The projection of the store, or a part of it.

    ``focus`` (a registry id of a trial, or the name of any node, case-insensitive) gives the
    ego network: every node at most ``depth`` links away, whatever the direction.  ``query`` (a
    named query or a ``.rq`` file, with ``params``) gives the nodes whose IRIs the query returns,
    with the edges among them.  Node attributes such as ``trials`` always count the whole store.
    """
    if focus is not None and query is not None:
        raise InputError("give either a focus or a query, not both", hint="run the view twice")
    if depth < 0:
        raise InputError(f"depth must be 0 or more, not {depth}")
    g = full_projection(store)
    if focus is not None:
        return ego_network(g, find_nodes(g, focus), depth)
    if query is not None:
        result = queries.run(store, query, params or {})
        wanted = {str(t) for row in result.rows for t in row if isinstance(t, URIRef)}
        return g.subgraph(n for n in g if n in wanted).copy()
    return g


def find_nodes(g: nx.MultiDiGraph, text: str) -> list[str]:
    """Nodes named by ``text``: its IRI, a registry id of a trial, or a name (label, acronym or
    other name), all case-insensitive.  Exact matches win; otherwise the one node whose name
    contains the text.  Several exact matches (an organisation and a site of the same name)
    are all returned."""
    wanted = text.strip().casefold()
    if not wanted:
        raise InputError("the focus is empty", hint="give a registry id or a name")
    exact = [n for n, data in g.nodes(data=True) if wanted in _names(n, data)]
    if exact:
        return sorted(exact)
    partial = sorted(n for n, data in g.nodes(data=True) if any(wanted in name for name in _names(n, data)))
    if len(partial) == 1:
        return partial
    if not partial:
        raise InputError(
            f"no trial, organisation, site, condition, intervention or country is named {text!r}",
            hint="give a registry id (NCT02849613, 2016-001902-40) or a name as `trialgraph query` shows it",
        )
    shown = ", ".join(repr(g.nodes[n]["label"]) for n in partial[:6]) + (", ..." if len(partial) > 6 else "")
    raise InputError(f"{text!r} matches {len(partial)} nodes: {shown}", hint="give the full name or an id")


def _names(node: str, data: Mapping[str, Any]) -> set[str]:
    names = {node.casefold(), str(data.get("label", "")).casefold()}
    names.update(str(v).casefold() for v in data.get("ids", ()))
    names.update(str(v).casefold() for v in data.get("aliases", ()))
    for attr in ("title", "acronym"):
        if data.get(attr):
            names.add(str(data[attr]).casefold())
    return names


def ego_network(g: nx.MultiDiGraph, centres: Iterable[str], depth: int) -> nx.MultiDiGraph:
    """Nodes at most ``depth`` links from any centre (edges followed both ways), with every
    edge among them."""
    keep: set[str] = set()
    undirected = g.to_undirected(as_view=True)
    for centre in centres:
        keep.update(nx.single_source_shortest_path_length(undirected, centre, cutoff=depth))
    return g.subgraph(keep).copy()


# -- names of nodes, for the rows of the analyses -------------------------------------------------

#: A row an analysis answers: a value for each of its columns.
Row = dict[str, Any]


def node_name(g: nx.MultiDiGraph, node: str) -> str:
    """What a person calls the node: its label, else its key."""
    return str(g.nodes[node].get("label", node))


def name_order(g: nx.MultiDiGraph, node: str) -> tuple[str, str]:
    """The order rows list nodes in: by name, case-insensitive, then by key."""
    return (node_name(g, node).casefold(), node)
