"""Analyses of the trial network: the questions a landscape analyst asks, answered as rows.

Each analysis is a plain function over the networkx projection of
:mod:`graph.network.projection` that returns a list of rows (dicts with the columns of its entry
in :data:`ANALYSES`), ready for ``pandas.DataFrame(rows)``; the functions live by what they read
(:mod:`.organisations`, :mod:`.sites`, :mod:`.paths`), and this module registers them by name.
:func:`analyze` opens the projection of a store, narrows it with a named query when asked, and
runs one analysis by name; ``trialgraph analyze`` prints its rows.

Names in the rows are the names of the graph's nodes: an organisation's resolved name (its
``rdfs:label``), never the spelling of one source record.

Two networks are read:

* the whole projection (sites, conditions, countries...), for shared sites and paths;
* the *trial-organisation network*: trials and organisations, one link per trial and
  organisation that takes part in it (any role), for partners, centrality and communities.

Every result is deterministic: nodes and links enter networkx in sorted order, and Louvain runs
with a fixed seed (:data:`graph.network.organisations.SEED`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import networkx as nx
from rdflib import URIRef

import graph.query.named as queries
from graph.errors import InputError
from graph.network.organisations import MEASURES, centrality, communities, partners
from graph.network.paths import path
from graph.network.projection import LINKS, Row, full_projection
from graph.network.sites import shared_sites
from graph.store.base import Store

#: Columns that hold the IRI of a node.
IRI_COLUMNS = frozenset({"site", "organization", "partner", "node"})


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
    #: the link families of the projection it reads (see graph.network.projection.LINKS)
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
#: its hints list them): a function over the projection and its :func:`register` call below.
ANALYSES: dict[str, Analysis] = {}


def register(spec: Analysis) -> Analysis:
    """Add an analysis to :data:`ANALYSES` under its name."""
    ANALYSES[spec.name] = spec
    return spec


# -- the analyses ---------------------------------------------------------------------------------


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

register(
    Analysis(
        "path",
        ("step", "node", "name", "kind", "relation"),
        "the shortest chain of links between two nodes",
        frozenset({"ends"}),
        compute=lambda g, o: path(g, o.source, o.target),
    )
)


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
    """The store's projection (its ``links`` families, see :func:`graph.network.projection.full_projection`),
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
