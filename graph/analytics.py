"""Analyses of the trial network: the questions a landscape analyst asks, answered as rows.

Each analysis is a plain function over the networkx projection of :mod:`graph.network` and
returns a list of rows (dicts with the columns of :data:`ANALYSES`), ready for
``pandas.DataFrame(rows)``.  :func:`analyze` opens the projection of a store, narrows it with a
named query when asked, and runs one analysis by name; ``trialgraph analyze`` prints its rows.

Names in the rows are the names of the graph's nodes: an organisation's resolved name (its
``rdfs:label``), never the spelling of one source record.

Two networks are read:

* the whole projection (sites, conditions, countries...), for shared sites and paths;
* the *trial-organisation network*: trials and organisations, one link per trial and
  organisation that takes part in it (any role), for partners, centrality and communities.

Every result is deterministic: nodes and links enter networkx in sorted order, and Louvain runs
with the fixed seed :data:`SEED`.
"""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import networkx as nx
from rdflib import URIRef

import graph.query.named as queries
from graph.errors import InputError
from graph.network import LINKS, find_nodes, full_projection, related_trials
from graph.store.base import Store

#: The Louvain seed: two runs over the same store give the same communities.
SEED = 7
#: Link relations from a trial to an organisation that takes part in it.
ORG_RELATIONS = frozenset({"lead sponsor", "collaborator", "funder", "partner"})
MEASURES = ("degree", "betweenness", "eigenvector")
#: Columns that hold the IRI of a node.
IRI_COLUMNS = frozenset({"site", "organization", "partner", "node"})

Row = dict[str, Any]


@dataclass(frozen=True)
class Options:
    """The options of one run, defaults applied: what an analysis' function may read."""

    minimum: int = 1
    measure: str = "degree"
    kind: str = "all"
    source: str = ""
    target: str = ""
    top: int | None = None


@dataclass(frozen=True)
class Analysis:
    name: str
    columns: tuple[str, ...]
    summary: str
    #: options that apply, besides --top and --query: min, measure, kind, ends
    options: frozenset[str]
    #: kinds --kind accepts (the first is the default); empty when --kind does not apply
    kinds: tuple[str, ...] = ()
    default_min: int | None = None
    #: the link families of the projection it reads (see graph.network.LINKS)
    links: tuple[str, ...] = tuple(LINKS)
    #: the function that answers it, called with the projection and the options given
    compute: Callable[[nx.MultiDiGraph, Options], list[Row]] = field(kw_only=True)
    #: ``--top`` counts something other than rows (communities), so the function applies it
    own_top: bool = False

    @property
    def table_columns(self) -> tuple[str, ...]:
        """The columns a table for people shows: all but the IRIs (csv and json keep them)."""
        return tuple(c for c in self.columns if c not in IRI_COLUMNS)


#: The analyses by name, in the order they are registered (the order ``trialgraph analyze`` and
#: its hints list them).  An analysis is a function over the projection and its
#: :func:`register` call beside it: nothing else names it.
ANALYSES: dict[str, Analysis] = {}


def register(spec: Analysis) -> Analysis:
    """Add an analysis to :data:`ANALYSES` under its name."""
    ANALYSES[spec.name] = spec
    return spec


# -- the entry point ------------------------------------------------------------------------------


def analyze(
    store: Store,
    name: str,
    *,
    query: str | None = None,
    params: dict[str, str] | None = None,
    top: int | None = None,
    minimum: int | None = None,
    measure: str | None = None,
    kind: str | None = None,
    source: str | None = None,
    target: str | None = None,
) -> list[Row]:
    """Run the analysis ``name`` (one of :data:`ANALYSES`) over the store's network.

    ``query`` (a named query or a ``.rq`` file, with ``params``) narrows the network first: to
    the trials the query returns with every node linked to them, and the other nodes it returns.
    ``top`` keeps the first rows (for ``communities``, the largest communities); ``minimum`` is
    the least number of trials (``shared-sites``), of shared trials (``partners``) or of members
    (``communities``); ``measure`` and ``kind`` choose the centrality and the kinds listed;
    ``source`` and ``target`` are the ends of a ``path``.
    """
    spec = analysis(name)
    _check_options(spec, minimum=minimum, measure=measure, kind=kind, ends=(source, target))
    if top is not None and top < 1:
        raise InputError(f"--top must be 1 or more, not {top}")
    # trials' own facts (names) are read only when rows show trials, their other ids only for a path
    trial_facts = name == "path" or (spec.kinds and (kind or spec.kinds[0]) != "organization")
    g = network(
        store, query=query, params=params, links=spec.links, trial_facts=bool(trial_facts), trial_ids=name == "path"
    )
    return run(g, name, top=top, minimum=minimum, measure=measure, kind=kind, source=source, target=target)


def run(
    g: nx.MultiDiGraph,
    name: str,
    *,
    top: int | None = None,
    minimum: int | None = None,
    measure: str | None = None,
    kind: str | None = None,
    source: str | None = None,
    target: str | None = None,
) -> list[Row]:
    """The analysis ``name`` over a projection already in memory (see :func:`analyze`)."""
    spec = analysis(name)
    _check_options(spec, minimum=minimum, measure=measure, kind=kind, ends=(source, target))
    least = spec.default_min if minimum is None else minimum
    options = Options(
        minimum=least or 1,
        measure=measure or "degree",
        kind=kind or (spec.kinds[0] if spec.kinds else "all"),
        source=source or "",
        target=target or "",
        top=top,
    )
    rows = spec.compute(g, options)
    return rows if top is None or spec.own_top else rows[:top]


def analysis(name: str) -> Analysis:
    if name not in ANALYSES:
        raise InputError(f"no analysis named {name!r}", hint="choose one of " + ", ".join(ANALYSES))
    return ANALYSES[name]


def _check_options(
    spec: Analysis, *, minimum: int | None, measure: str | None, kind: str | None, ends: tuple[str | None, str | None]
) -> None:
    given = {
        "min": minimum is not None,
        "measure": measure is not None,
        "kind": kind is not None,
        "ends": any(e is not None for e in ends),
    }
    flag = {"min": "--min", "measure": "--measure", "kind": "--kind", "ends": "--from/--to"}
    for option, present in given.items():
        if present and option not in spec.options:
            raise InputError(f"{flag[option]} does not apply to {spec.name}")
    if minimum is not None and minimum < 1:
        raise InputError(f"--min must be 1 or more, not {minimum}")
    if measure is not None and measure not in MEASURES:
        raise InputError(f"no centrality measure {measure!r}", hint="choose one of " + ", ".join(MEASURES))
    if kind is not None and kind not in spec.kinds:
        raise InputError(f"--kind {kind} does not apply to {spec.name}", hint="choose one of " + ", ".join(spec.kinds))
    if "ends" in spec.options and (ends[0] is None or ends[1] is None):
        raise InputError(f"{spec.name} needs --from and --to", hint="a registry id of a trial, or a name or IRI")


# -- the network an analysis reads ----------------------------------------------------------------


def network(
    store: Store,
    *,
    query: str | None = None,
    params: dict[str, str] | None = None,
    links: Iterable[str] = tuple(LINKS),
    trial_facts: bool = True,
    trial_ids: bool | None = None,
) -> nx.MultiDiGraph:
    """The store's projection (its ``links`` families, see :func:`graph.network.full_projection`),
    or the part of it around what a named query returns: its trials with every node linked to
    them, and the other nodes it returns, with the links among them."""
    g = full_projection(store, links, trial_facts=trial_facts, trial_ids=trial_ids)
    if query is None:
        return g
    result = queries.run(store, query, params or {})
    wanted = {str(t) for row in result.rows for t in row if isinstance(t, URIRef)} & set(g)
    keep = set(wanted)
    for node in wanted:
        if g.nodes[node].get("kind") == "trial":
            keep.update(g.successors(node))
            keep.update(g.predecessors(node))
    return g.subgraph(keep).copy()


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


def _name(g: nx.MultiDiGraph, node: str) -> str:
    return str(g.nodes[node].get("label", node))


def _order(g: nx.MultiDiGraph, node: str) -> tuple[str, str]:
    return (_name(g, node).casefold(), node)


def _trials_linked(g: nx.MultiDiGraph, node: str) -> int:
    return sum(1 for u in g.predecessors(node) if g.nodes[u].get("kind") == "trial")


# -- shared sites ---------------------------------------------------------------------------------


def shared_sites(g: nx.MultiDiGraph, minimum: int = 2) -> list[Row]:
    """Sites that recruit for at least ``minimum`` trials of the network, most trials first."""
    rows = []
    for node, data in g.nodes(data=True):
        if data.get("kind") != "site":
            continue
        trials = _trials_linked(g, node)
        if trials >= minimum:
            rows.append(
                {
                    "site": node,
                    "name": _name(g, node),
                    "city": data.get("city"),
                    "country": data.get("country"),
                    "trials": trials,
                }
            )
    return sorted(rows, key=lambda r: (-r["trials"], *_order(g, r["site"])))


register(
    Analysis(
        "shared-sites",
        ("site", "name", "city", "country", "trials"),
        "sites that recruit for several trials, most trials first",
        frozenset({"min"}),
        default_min=2,
        links=("sites",),
        compute=lambda g, o: shared_sites(g, minimum=o.minimum),
    )
)


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
        for a, b in combinations(sorted(held, key=lambda n: _order(g, n)), 2):
            shared[a, b] += 1
            pair_roles = roles.setdefault((a, b), (set(), set()))
            pair_roles[0].update(held[a])
            pair_roles[1].update(held[b])
    rows = [
        {
            "organization": a,
            "name": _name(g, a),
            "partner": b,
            "partner_name": _name(g, b),
            "trials": count,
            "roles": ", ".join(sorted(roles[a, b][0])) + " / " + ", ".join(sorted(roles[a, b][1])),
        }
        for (a, b), count in shared.items()
        if count >= minimum
    ]
    return sorted(rows, key=lambda r: (-r["trials"], *_order(g, r["organization"]), *_order(g, r["partner"])))


register(
    Analysis(
        "partners",
        ("organization", "name", "partner", "partner_name", "trials", "roles"),
        "pairs of organisations in the same trials, most shared trials first",
        frozenset({"min"}),
        default_min=1,
        links=("organizations",),
        compute=lambda g, o: partners(g, minimum=o.minimum),
    )
)


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
            "name": _name(g, node),
            "kind": g.nodes[node]["kind"],
            "score": scores[node],
            "trials": net.degree(node) if g.nodes[node]["kind"] == "organization" else None,
        }
        for node in net
        if kind == "all" or g.nodes[node]["kind"] == kind
    ]
    return sorted(rows, key=lambda r: (-r["score"], *_order(g, r["node"])))


register(
    Analysis(
        "centrality",
        ("node", "name", "kind", "score", "trials"),
        "the most central nodes of the trial-organisation network",
        frozenset({"measure", "kind"}),
        kinds=("organization", "trial", "all"),
        links=("organizations",),
        compute=lambda g, o: centrality(g, measure=o.measure, kind=o.kind),
    )
)


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
    groups = [sorted(c, key=lambda n: (_kind_rank(g, n), *_order(g, n))) for c in found]
    return sorted(groups, key=lambda c: (-len(c), *_order(g, c[0])))


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
                rows.append({"community": number, "node": node, "name": _name(g, node), "kind": g.nodes[node]["kind"]})
    return rows


register(
    Analysis(
        "communities",
        ("community", "node", "name", "kind"),
        "communities of the trial-organisation network (Louvain), largest first",
        frozenset({"min", "kind"}),
        kinds=("all", "organization", "trial"),
        default_min=2,
        links=("organizations",),
        compute=lambda g, o: communities(g, minimum=o.minimum, kind=o.kind, top=o.top),
        own_top=True,
    )
)


def node_communities(
    g: nx.MultiDiGraph, groups: list[list[str]] | None = None, related: Mapping[str, set[str]] | None = None
) -> dict[str, int]:
    """A community number (from 1, as in :func:`partition`) for every node: trials and
    organisations their own; any other node the community most of its trials are in (the
    lowest number on a tie), 0 when it has none.  ``groups`` and ``related`` (see
    :func:`graph.network.related_trials`) save computing them again."""
    groups = partition(g) if groups is None else groups
    out = {node: number for number, members in enumerate(groups, start=1) for node in members}
    for node, trials in (related_trials(g) if related is None else related).items():
        if node in out:
            continue
        votes = Counter(out[t] for t in trials if t in out)
        out[node] = min(votes, key=lambda c: (-votes[c], c)) if votes else 0
    return out


# -- paths ----------------------------------------------------------------------------------------


def path(g: nx.MultiDiGraph, source: str, target: str) -> list[Row]:
    """The shortest chain of links (followed either way) from ``source`` to ``target``: each a
    registry id of a trial, or the name or IRI of any other node.  One row per step; the
    ``relation`` of a step is the link from the step before (``condition``), or to it
    (``condition of``).  No rows when the two are not connected."""
    start, end = endpoint(g, source, "--from"), endpoint(g, target, "--to")
    simple = nx.Graph()
    simple.add_nodes_from(sorted(g))
    simple.add_edges_from(sorted((u, v) if u <= v else (v, u) for u, v in g.edges() if u != v))
    try:
        steps = nx.shortest_path(simple, start, end)
    except nx.NetworkXNoPath:
        return []
    rows = []
    for i, node in enumerate(steps):
        relation = _relation(g, steps[i - 1], node) if i else ""
        rows.append(
            {"step": i, "node": node, "name": _name(g, node), "kind": g.nodes[node]["kind"], "relation": relation}
        )
    return rows


register(
    Analysis(
        "path",
        ("step", "node", "name", "kind", "relation"),
        "the shortest chain of links between two nodes",
        frozenset({"ends"}),
        compute=lambda g, o: path(g, o.source, o.target),
    )
)


def endpoint(g: nx.MultiDiGraph, text: str, option: str) -> str:
    """The one node ``text`` names; several or none is an error."""
    try:
        found = find_nodes(g, text)
    except InputError as exc:
        raise InputError(f"{option}: {exc.message}", hint=exc.hint) from None
    if len(found) > 1:
        shown = "; ".join(f"{_singular(g.nodes[n]['kind'])} {n}" for n in found)
        raise InputError(
            f"{option}: {text!r} names {len(found)} nodes: {shown}", hint="give the IRI of the one you mean"
        )
    return found[0]


def _singular(kind: object) -> str:
    return {"organization": "organisation"}.get(str(kind), str(kind))


#: How a link reads when a path follows it backwards (from the country to the site in it).
INVERSE_RELATIONS = {
    "lead sponsor": "lead sponsor of",
    "collaborator": "collaborator in",
    "funder": "funder of",
    "partner": "partner in",
    "site": "site of",
    "condition": "condition of",
    "intervention": "intervention of",
    "located in": "location of",
    "broader": "narrower",
}


def _relation(g: nx.MultiDiGraph, before: str, node: str) -> str:
    """The links from ``before`` to ``node`` (``condition``: node is a condition of before), then
    those from ``node`` to ``before`` read backwards (``condition of``)."""
    forward = sorted({str(d["relation"]) for d in g.get_edge_data(before, node, default={}).values()})
    backward = sorted(
        {
            INVERSE_RELATIONS.get(str(d["relation"]), str(d["relation"]))
            for d in g.get_edge_data(node, before, default={}).values()
        }
    )
    return ", ".join(forward + backward)


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


# -- output ---------------------------------------------------------------------------------------


def rows_csv(rows: Iterable[Row], columns: Iterable[str]) -> str:
    """Rows as CSV with a header line; a missing value is an empty cell."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(columns), lineterminator="\r\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()


def rows_json(rows: Iterable[Row], columns: Iterable[str]) -> str:
    """Rows as a JSON array of objects, one key per column (null for a missing value)."""
    names = list(columns)
    return json.dumps([{c: row.get(c) for c in names} for row in rows], ensure_ascii=False, indent=1) + "\n"
