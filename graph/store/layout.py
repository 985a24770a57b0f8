"""Which named graph of a store holds what.

- one graph per source record (``…/graph/<source>/<id>``): what the record asserts;
- the ontology graph, and the quarantine graph (records a build refused, with their problems);
- the reasoner's graphs, all under ``…/graph/inferred`` (:func:`is_reasoner_graph`), never
  asserted data:

  - ``…/graph/inferred/record/<source>/<id>``: what that record entails on its own (with the
    ontology), when no record asserts it.  Replaced together with the record's graph;
  - ``…/graph/inferred``: what only records taken together entail (a trial's MeSH ancestors
    through a tree that another record gives), and what the ontology entails on its own;
  - ``…/graph/inferred/support`` and ``…/graph/inferred/support/<source>/<id>``: derived
    triples the definition of an inferred triple leaves out (another record asserts them, or
    they are about a vocabulary concept); kept so that a change of records can be followed;
  - ``…/graph/inferred/state``: the rules and ontology the inferences were made with;

- the ledger (``…/graph/ledger``): per record, digests of what was loaded and the validation
  results kept for it (:mod:`graph.store.ledger`);
- the summary graph (``…/graph/summary``): one row per trial, lead sponsor and country, for the
  whole-graph queries (:mod:`graph.summaries`).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import quote

import pyoxigraph as ox
from rdflib import Graph, URIRef

from graph.constants import GRAPH_NS, INFERRED_GRAPH, ONTOLOGY_GRAPH, QUARANTINE_GRAPH, SUMMARY_GRAPH
from graph.store.base import Store
from graph.store.terms import triples_graph

SUPPORT_GRAPH = INFERRED_GRAPH + "/support"
STATE_GRAPH = INFERRED_GRAPH + "/state"
RECORD_INFERRED_NS = INFERRED_GRAPH + "/record/"
RECORD_SUPPORT_NS = SUPPORT_GRAPH + "/"
LEDGER_GRAPH = GRAPH_NS + "ledger"

#: Graphs that are neither records nor reasoner output.
SPECIAL_GRAPHS = frozenset({ONTOLOGY_GRAPH, QUARANTINE_GRAPH, LEDGER_GRAPH, SUMMARY_GRAPH})


def is_reasoner_graph(name: URIRef | str) -> bool:
    """True for the graphs the reasoner writes: never source records, never asserted data."""
    text = str(name)
    return text == INFERRED_GRAPH or text.startswith(INFERRED_GRAPH + "/")


def is_record_graph(name: URIRef | str) -> bool:
    """A source record's graph (what :func:`asserted_graph_names` lists)."""
    text = str(name)
    return text.startswith(GRAPH_NS) and text not in SPECIAL_GRAPHS and not is_reasoner_graph(text)


def record_graph_filter(var: str) -> str:
    """A SPARQL expression that holds when ``?var`` names a source record's graph
    (:func:`is_record_graph`), for queries that read the records' graphs and no other."""
    own = ", ".join(f"<{g}>" for g in sorted(SPECIAL_GRAPHS | {INFERRED_GRAPH}))
    return (
        f'STRSTARTS(STR(?{var}), "{GRAPH_NS}") && ?{var} NOT IN ({own}) && !STRSTARTS(STR(?{var}), "{INFERRED_GRAPH}/")'
    )


def _suffix(record: str) -> str:
    if record.startswith(GRAPH_NS):
        return record[len(GRAPH_NS) :]
    return "other/" + quote(record, safe="")


def inferred_graph_of(record: URIRef | str) -> str:
    """The graph of what one record entails on its own."""
    return RECORD_INFERRED_NS + _suffix(str(record))


def support_graph_of(record: URIRef | str) -> str:
    """The graph of one record's derived triples that are not inferred by the definition."""
    return RECORD_SUPPORT_NS + _suffix(str(record))


def is_inferred_graph(name: URIRef | str) -> bool:
    """Graphs whose union is the inferred triples of the definition."""
    text = str(name)
    return text == INFERRED_GRAPH or text.startswith(RECORD_INFERRED_NS)


def is_support_graph(name: URIRef | str) -> bool:
    text = str(name)
    return text == SUPPORT_GRAPH or text.startswith(RECORD_SUPPORT_NS)


def asserted_graph_names(store: Store) -> list[URIRef]:
    """The source-record graphs of a store."""
    return [g for g in store.named_graphs() if is_record_graph(g)]


def asserted_data(store: Store) -> Graph:
    """The union of all source-record graphs (no ontology, no inferences)."""
    reader = store.reader()
    names = asserted_graph_names(store)
    quads = (q for name in names for q in reader.quads_for_pattern(None, None, None, ox.NamedNode(str(name))))
    return triples_graph(quads)[0]


def union_of(graphs: Iterable[Graph]) -> Graph:
    out = Graph()
    for g in graphs:
        out += g
    return out
