"""The stages that read a store, run on both stores through the one interface: the embedded
Oxigraph database and a real `oxigraph serve` over loopback, each built from the same three
ClinicalTrials.gov records.  Every expected value is read off those records by hand (the
comments name the field); the same assertion runs on each store.

- NCT06171568: one site (Lariboisière, Paris, France), lead sponsor Assistance Publique -
  Hôpitaux de Paris and 2 collaborators, secondary id 2023-A00386-39, condition Brain Injuries;
- NCT04431453: 32 sites in the United States, Italy, Spain and the United Kingdom, EudraCT
  number 2020-001803-17, lead sponsor Gilead Sciences, condition COVID-19;
- NCT02299791: no site, lead sponsor Kaiser Permanente and 5 collaborators.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Dataset, Graph, URIRef

from graph import rdf
from graph.cli import main
from graph.model import TrialRecord
from graph.network.projection import full_projection
from graph.pipeline.run import build
from graph.query.named import run
from graph.sources import read_all
from graph.store.base import Store
from graph.store.layout import asserted_data, asserted_graph_names, record_graph_filter
from graph.store.registry import STORES, open_store, store_kind
from graph.validate.fast.union import validate_store

try:
    from tests.test_remote import FILES, oxigraph_server
    from tests.test_validate import BAD_RECORD
except ImportError:  # tests/ run as a folder of plain modules
    from test_remote import FILES, oxigraph_server  # type: ignore[no-redef]
    from test_validate import BAD_RECORD  # type: ignore[no-redef]

pytestmark = pytest.mark.server

TRIALS = {"NCT06171568", "NCT04431453", "NCT02299791"}
ID = "https://w3id.org/trialgraph/id/trial/"
GRAPH = "https://w3id.org/trialgraph/graph/ctgov/"


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """``--store`` values of the two stores, each built from :data:`FILES`."""
    embedded = tmp_path_factory.mktemp("both") / "store"
    assert build(FILES, open_store(embedded)).errors == []
    with oxigraph_server(tmp_path_factory.mktemp("both-server")) as base:
        assert build(FILES, open_store(base)).errors == []
        yield {"embedded": str(embedded), "remote": base}


@pytest.fixture(params=["embedded", "remote"])
def spec(request: pytest.FixtureRequest, stores: dict[str, str]) -> str:
    return stores[request.param]


@pytest.fixture
def store(spec: str) -> Iterator[Store]:
    opened = open_store(spec)
    yield opened
    opened.close()


def test_the_registry_names_the_store_kind(stores: dict[str, str]) -> None:
    assert store_kind(stores["embedded"]) == "folder"
    assert store_kind(stores["remote"]) == "http"
    assert store_kind("memory") == "memory"
    assert set(STORES) == {"memory", "folder", "http", "https"}


def test_only_the_embedded_store_has_a_database_a_worker_can_open(stores: dict[str, str]) -> None:
    assert open_store(stores["remote"]).database_path() is None
    path = open_store(stores["embedded"]).database_path()
    assert path is not None and path.parent == Path(stores["embedded"]) and path.name.startswith("db-")
    assert open_store("memory").database_path() is None


def test_named_graphs_are_the_three_records(store: Store) -> None:
    assert {str(g) for g in asserted_graph_names(store)} == {GRAPH + t for t in TRIALS}
    names = {g.value for g in store.reader().named_graphs()}
    assert {GRAPH + t for t in TRIALS} <= names
    assert "https://w3id.org/trialgraph/graph/ledger" in names


def test_the_record_graph_filter_keeps_the_records_graphs_and_no_other(store: Store) -> None:
    """The store holds the ledger, the summaries, the ontology and the reasoner's graphs beside
    the three records' graphs: a query filtered with :func:`record_graph_filter` sees only the
    records'."""
    query = f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} FILTER({record_graph_filter('g')}) }}"
    everything = {g.value for g in store.reader().named_graphs()}
    assert len(everything) > len(TRIALS) + 3  # the store's own graphs are there to be left out
    assert {row[0].value for row in store.reader().query(query)} == {GRAPH + t for t in TRIALS}


def test_pattern_reads_and_counts(store: Store) -> None:
    import pyoxigraph as ox

    reader = store.reader()
    identifier = ox.NamedNode("http://purl.org/dc/terms/identifier")
    nct = ox.NamedNode(ID + "NCT04431453")
    found = {q.object.value for q in reader.quads_for_pattern(nct, identifier, None, None)}
    assert found == {"NCT04431453"}  # protocolSection.identificationModule.nctId
    graphs = {q.graph_name.value for q in reader.quads_for_pattern(nct, identifier, None, None)}
    assert graphs == {GRAPH + "NCT04431453"}
    assert list(reader.quads_for_pattern(None, identifier, None, ox.DefaultGraph())) == []
    assert len(reader) > 0
    assert (URIRef(ID + "NCT06171568"), None, None) in asserted_data(store)


def test_store_validation_finds_no_violation_in_the_three_records(store: Store) -> None:
    result = validate_store(store, workers=2, chunk_size=1)
    assert [i for i in result.issues if i.severity == "violation"] == []
    assert set(result.trials) == TRIALS and result.records == 3


def test_store_validation_finds_the_three_mistakes_of_a_bad_record(store: Store, tmp_path: Path) -> None:
    """The bad record of tests/test_validate.py (an NCT number of 3 digits, enrolment -5, a start
    after the completion), read from its file and written beside the three, on each store."""
    path = tmp_path / "bad-trial.yaml"
    path.write_text(BAD_RECORD, encoding="utf-8")
    (record,) = read_all([path])
    assert isinstance(record, TrialRecord)
    name = URIRef("https://w3id.org/trialgraph/graph/curated/bad-trial")
    with store.write() as w:
        w.replace_graph(name, rdf.record_graph(record))
    try:
        for workers in (1, 2):
            result = validate_store(store, workers=workers, chunk_size=2)
            violations = {(i.trial, i.field, i.value, i.rule) for i in result.issues if i.severity == "violation"}
            assert violations == {
                ("NCT123", "id", "NCT123", "NctIdShape/Pattern"),
                ("NCT123", "enrollment", "-5", "TrialShape/MinInclusive"),
                ("NCT123", "start date", "2019-05", "DateOrderShape/SPARQL"),
            }
            assert result.records == 4
    finally:
        with store.write() as w:
            w.remove_graph(name)


def test_trialgraph_validate_passes_on_each_store(spec: str) -> None:
    result = CliRunner().invoke(main, ["validate", "--store", spec, "--format", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["summary"]["violation"] == 0 and doc["summary"]["quarantined"] == 0


def test_network_projection(store: Store) -> None:
    g = full_projection(store)
    trials = {d["id"] for _n, d in g.nodes(data=True) if d["kind"] == "trial"}
    assert trials == TRIALS
    # contactsLocationsModule.locations[0] of NCT06171568: Lariboisière, in Paris
    sites = [n for n in g.successors(ID + "NCT06171568") if g.nodes[n]["kind"] == "site"]
    assert len(sites) == 1 and "Lariboisi" in g.nodes[sites[0]]["label"]
    # NCT02299791 has no contactsLocationsModule.locations
    assert [n for n in g.successors(ID + "NCT02299791") if g.nodes[n]["kind"] == "site"] == []


def test_a_named_query_one_page_at_a_time(store: Store) -> None:
    whole = run(store, "trials")
    assert {str(r[whole.variables.index("id")]) for r in whole.rows} == TRIALS
    pages = [run(store, "trials", limit=2, offset=offset) for offset in (0, 2)]
    assert [len(p.rows) for p in pages] == [2, 1]
    assert all(p.total == 3 for p in pages)
    assert [p.truncated for p in pages] == [True, False]
    assert [r for p in pages for r in p.rows] == whole.rows


def test_the_identifiers_look_up(store: Store) -> None:
    # secondaryIdInfos of NCT04431453: EudraCT number 2020-001803-17, asked for with spaces around
    # it; its orgStudyIdInfo: GS-US-540-5823
    result = run(store, "identifiers", {"id": " 2020-001803-17 "})
    rows = {tuple(str(v) for v in r) for r in result.rows}
    assert rows == {
        (ID + "NCT04431453", "2020-001803-17", "EUDRACT"),
        (ID + "NCT04431453", "NCT04431453", "NCT"),
        (ID + "NCT04431453", "GS-US-540-5823", "ORG_STUDY"),
    }


def test_export(store: Store) -> None:
    ds = Dataset().parse(data=store.dump("nquads"), format="nquads")
    graphs = {str(g.identifier) for g in ds.graphs()}
    assert {GRAPH + t for t in TRIALS} <= graphs
    record = ds.graph(URIRef(GRAPH + "NCT06171568"))
    assert (URIRef(ID + "NCT06171568"), URIRef("http://purl.org/dc/terms/identifier"), None) in record
    union = Graph().parse(data=store.dump("ntriples"), format="nt")
    assert (URIRef(ID + "NCT02299791"), None, None) in union
