"""The trial-organisation network, and what is computed over it: trials and organisations, one
link per organisation that takes part in a trial (any role).  The analyses ``partners``,
``centrality`` and ``communities`` read it, and :func:`annotate` gives every node of a projection
its scores and community for the GraphML export and the view.

Every result is deterministic: nodes and links enter networkx in sorted order, and Louvain runs
with the fixed seed :data:`SEED`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from itertools import combinations
from typing import Any

import networkx as nx

from graph.errors import InputError
from graph.network.projection import Row, name_order, node_name, related_trials

#: The Louvain seed: two runs over the same store give the same communities.
SEED = 7
#: Link relations from a trial to an organisation that takes part in it.
ORG_RELATIONS = frozenset({"lead sponsor", "collaborator", "funder", "partner"})
MEASURES = ("degree", "betweenness", "eigenvector")


def trial_org_network(g: nx.MultiDiGraph) -> nx.Graph:
    """Trials and organisations, one undirected link per organisation taking part in a trial
    (in any role), built in sorted order so that every algorithm over it repeats."""
    net = nx.Graph()
    net.add_nodes_from(sorted(n for n, k in g.nodes(data="kind") if k in ("trial", "organization")))
    links = {
        (u, v)
        for u, v, rel in g.edges(data="relation")
        if rel in ORG_RELATIONS and g.nodes[v].get("kind") == "organization" and g.nodes[u].get("kind") == "trial"
    }
    net.add_edges_from(sorted(links))
    return net


# -- partners -------------------------------------------------------------------------------------


def partners(g: nx.MultiDiGraph, minimum: int = 1) -> list[Row]:
    """Pairs of organisations that take part in the same trials (as sponsor, collaborator,
    consortium partner or funder), with the number of trials they share and the roles each held
    in them (``"lead sponsor, coordinator / contract research organisation"``), most shared
    trials first.  A pair is listed once, the two in alphabetical order."""
    shared: Counter[tuple[str, str]] = Counter()
    roles: dict[tuple[str, str], tuple[set[str], set[str]]] = {}
    for trial, kind in g.nodes(data="kind"):
        if kind != "trial":
            continue
        held = _roles_in(g, trial)
        for a, b in combinations(sorted(held, key=lambda n: name_order(g, n)), 2):
            shared[a, b] += 1
            pair_roles = roles.setdefault((a, b), (set(), set()))
            pair_roles[0].update(held[a])
            pair_roles[1].update(held[b])
    rows = [
        {
            "organization": a,
            "name": node_name(g, a),
            "partner": b,
            "partner_name": node_name(g, b),
            "trials": count,
            "roles": ", ".join(sorted(roles[a, b][0])) + " / " + ", ".join(sorted(roles[a, b][1])),
        }
        for (a, b), count in shared.items()
        if count >= minimum
    ]
    return sorted(rows, key=lambda r: (-r["trials"], *name_order(g, r["organization"]), *name_order(g, r["partner"])))


def _roles_in(g: nx.MultiDiGraph, trial: str) -> dict[str, set[str]]:
    """The organisations of a trial and the roles each holds in it."""
    held: dict[str, set[str]] = {}
    for _t, org, data in g.out_edges(trial, data=True):
        if data.get("relation") in ORG_RELATIONS and g.nodes[org].get("kind") == "organization":
            held.setdefault(org, set()).add(role_name(data))
    return held


def role_name(edge: Mapping[str, Any]) -> str:
    """``lead sponsor``, ``collaborator``, ``funder``, or a consortium role's label
    (``coordinator``, ``contract research organisation``)."""
    if edge.get("relation") != "partner":
        return str(edge.get("relation"))
    label = str(edge.get("role_label") or edge.get("role") or "partner")
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


# -- centrality -----------------------------------------------------------------------------------


def centrality(g: nx.MultiDiGraph, measure: str = "degree", kind: str = "organization") -> list[Row]:
    """Nodes of the trial-organisation network by centrality, highest first.

    ``degree``: distinct neighbours over all other nodes of the network (networkx); for an
    organisation, its number of trials.  ``betweenness``: the share of shortest paths between
    other nodes that pass through the node, exact, normalised as networkx does (igraph computes
    it, in C: seconds where networkx takes minutes at 20,000 trials).  ``eigenvector``: the
    leading eigenvector of the largest connected part of the network (igraph), scaled so that
    the most central node scores 1; nodes outside that part score 0, since a disconnected
    network has no single leading eigenvector.  ``kind`` is ``organization``,
    ``trial`` or ``all``."""
    if measure not in MEASURES:
        raise InputError(f"no centrality measure {measure!r}", hint="choose one of " + ", ".join(MEASURES))
    net = trial_org_network(g)
    scores = centrality_scores(net, measure)
    rows = [
        {
            "node": node,
            "name": node_name(g, node),
            "kind": g.nodes[node]["kind"],
            "score": scores[node],
            "trials": net.degree(node) if g.nodes[node]["kind"] == "organization" else None,
        }
        for node in net
        if kind == "all" or g.nodes[node]["kind"] == kind
    ]
    return sorted(rows, key=lambda r: (-r["score"], *name_order(g, r["node"])))


def centrality_scores(net: nx.Graph, measure: str) -> dict[str, float]:
    """``measure`` for every node of ``net`` (see :func:`centrality`)."""
    n = net.number_of_nodes()
    if n < 2:
        return dict.fromkeys(net, 0.0)
    if measure == "degree":
        return {node: float(score) for node, score in nx.degree_centrality(net).items()}
    nodes = list(net)
    index = {node: i for i, node in enumerate(nodes)}
    import igraph

    ig = igraph.Graph(n=n, edges=[(index[u], index[v]) for u, v in net.edges()])
    if measure == "betweenness":
        scale = 2.0 / ((n - 1) * (n - 2)) if n > 2 else 0.0
        values = [float(b) * scale for b in ig.betweenness(directed=False)]
    else:
        values = _eigenvector(ig)
    return {node: round(values[i], 12) for node, i in index.items()}


def _eigenvector(ig: Any) -> list[float]:
    """Eigenvector centrality of the largest connected part, scaled to a maximum of 1; 0 for
    the nodes outside it (a disconnected graph has no single leading eigenvector)."""
    values = [0.0] * ig.vcount()
    parts = ig.connected_components()
    largest = max(parts, key=lambda part: (len(part), -min(part)))
    if len(largest) < 2:
        return values
    scores = ig.induced_subgraph(largest).eigenvector_centrality(scale=True)
    for vertex, score in zip(sorted(largest), scores, strict=True):
        values[vertex] = max(0.0, float(score))
    return values


# -- communities ----------------------------------------------------------------------------------


def partition(g: nx.MultiDiGraph) -> list[list[str]]:
    """Communities of the trial-organisation network (networkx Louvain, seed :data:`SEED`),
    largest first, each sorted by name; community ``k`` (from 1) is ``partition(g)[k - 1]``.
    A trial with no organisation is a community of its own."""
    net = trial_org_network(g)
    if net.number_of_nodes() == 0:
        return []
    found = nx.community.louvain_communities(net, seed=SEED)
    groups = [sorted(c, key=lambda n: (_kind_rank(g, n), *name_order(g, n))) for c in found]
    return sorted(groups, key=lambda c: (-len(c), *name_order(g, c[0])))


def _kind_rank(g: nx.MultiDiGraph, node: str) -> int:
    return 0 if g.nodes[node].get("kind") == "organization" else 1


def communities(g: nx.MultiDiGraph, minimum: int = 2, kind: str = "all", top: int | None = None) -> list[Row]:
    """One row per member of each community with at least ``minimum`` members: organisations
    first, then trials, by name.  ``top`` keeps the largest communities."""
    rows = []
    groups = [c for c in partition(g) if len(c) >= minimum]
    for number, members in enumerate(groups[:top] if top is not None else groups, start=1):
        for node in members:
            if kind == "all" or g.nodes[node]["kind"] == kind:
                rows.append(
                    {"community": number, "node": node, "name": node_name(g, node), "kind": g.nodes[node]["kind"]}
                )
    return rows


def node_communities(
    g: nx.MultiDiGraph, groups: list[list[str]] | None = None, related: Mapping[str, set[str]] | None = None
) -> dict[str, int]:
    """A community number (from 1, as in :func:`partition`) for every node: trials and
    organisations their own; any other node the community most of its trials are in (the
    lowest number on a tie), 0 when it has none.  ``groups`` and ``related`` (see
    :func:`graph.network.projection.related_trials`) save computing them again."""
    groups = partition(g) if groups is None else groups
    out = {node: number for number, members in enumerate(groups, start=1) for node in members}
    for node, trials in (related_trials(g) if related is None else related).items():
        if node in out:
            continue
        votes = Counter(out[t] for t in trials if t in out)
        out[node] = min(votes, key=lambda c: (-votes[c], c)) if votes else 0
    return out


# -- graph attributes for export and the view -----------------------------------------------------


def annotate(g: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """The projection with, as node attributes, the three centrality scores of the trials and
    organisations (``degree``, ``betweenness``, ``eigenvector``) and every node's ``community``
    (see :func:`node_communities`): what Gephi and Cytoscape colour and size by."""
    net = trial_org_network(g)
    for measure in MEASURES:
        for node, score in centrality_scores(net, measure).items():
            g.nodes[node][measure] = score
    for node, number in node_communities(g).items():
        g.nodes[node]["community"] = number
    return g
