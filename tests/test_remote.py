"""A remote store: a real `oxigraph serve` process on 127.0.0.1, loaded by `graph.pipeline.run.build`
through the SPARQL Protocol and the Graph Store Protocol, answers every named query with the
rows of the embedded store built from the same files."""

from __future__ import annotations

import contextlib
import io
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import networkx as nx
import pytest
from rdflib import Dataset, Graph, Literal, URIRef

from graph.errors import StoreError
from graph.export import export
from graph.export_formats import EXPORT_FORMATS
from graph.pipeline.run import build
from graph.query.named import catalogue, run
from graph.store.local import OxigraphStore
from graph.store.registry import open_store
from graph.store.remote import Endpoints, RemoteStore

try:
    from tests.test_server import PARAMS, free_port, json_rows, running_server, same_rows
except ImportError:  # tests/ run as a folder of plain modules
    from test_server import PARAMS, free_port, json_rows, running_server, same_rows  # type: ignore[no-redef]

pytestmark = pytest.mark.server

CTGOV = Path(__file__).resolve().parents[2] / "shared" / "data" / "ctgov-v2"
#: NCT06171568 (one site in Paris, three organisations), NCT04431453 (an EudraCT id),
#: NCT02299791 (five collaborators, no sites).
FILES = [CTGOV / "NCT06171568.json", CTGOV / "NCT04431453.json", CTGOV / "NCT02299791.json"]


def oxigraph_binary() -> str:
    """The `oxigraph` command of the PyPI package, installed next to this Python."""
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if not found:
        pytest.fail("the `oxigraph` server is not installed: `pip install oxigraph` (make test installs it)")
    return found


@contextlib.contextmanager
def oxigraph_server(location: Path, *, union: bool = True) -> Iterator[str]:
    port = free_port()
    cmd = [oxigraph_binary(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
    if union:
        cmd.append("--union-default-graph")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"oxigraph serve exited: {proc.stderr.read().decode() if proc.stderr else ''}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/query", params={"query": "ASK {}"}, timeout=5).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail("oxigraph serve did not answer in 30 s")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def remote(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with oxigraph_server(tmp_path_factory.mktemp("oxigraph")) as base:
        report = build(FILES, open_store(base))
        assert report.errors == [] and len(report.loaded) == 3
        yield base


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    store = OxigraphStore(tmp_path_factory.mktemp("embedded") / "store")
    build(FILES, store)
    return store


def test_url_layouts() -> None:
    ox = Endpoints.from_url("http://127.0.0.1:7878")
    assert ox == Endpoints("http://127.0.0.1:7878/query", "http://127.0.0.1:7878/update", "http://127.0.0.1:7878/store")
    fuseki = Endpoints.from_url("http://h:3030/ds#query=sparql&update=update&gsp=data")
    assert fuseki == Endpoints("http://h:3030/ds/sparql", "http://h:3030/ds/update", "http://h:3030/ds/data")
    absolute = Endpoints.from_url("https://h/repo#gsp=https://other/gsp")
    assert absolute.gsp == "https://other/gsp" and absolute.query == "https://h/repo/query"
    with pytest.raises(StoreError):
        Endpoints.from_url("http://h/ds#sparql=x")


@pytest.mark.parametrize("name", sorted(catalogue()))
def test_named_queries_give_the_embedded_rows(remote: str, embedded: OxigraphStore, name: str) -> None:
    params = {p.name: PARAMS[p.name] for p in catalogue()[name].params}
    if "id" in params:
        params["id"] = "NCT02299791" if name == "trial-organizations" else "NCT06171568"
    store = open_store(remote)
    got = run(store, name, params)
    expected = run(embedded, name, params)
    assert got.variables == expected.variables
    assert same_rows(got.rows) == same_rows(expected.rows)


def test_hand_read_facts_through_the_remote_store(remote: str) -> None:
    store = open_store(remote)
    trials = {str(r[1]) for r in run(store, "trials").rows}
    assert trials == {"NCT06171568", "NCT04431453", "NCT02299791"}
    sites = run(store, "trial-sites", {"id": "NCT06171568"}).rows
    assert [(str(r[1]), str(r[2]), str(r[3])) for r in sites] == [
        ("Neurosurgery - Lariboisière hospital", "Paris", "FR")
    ]
    orgs = run(store, "trial-organizations", {"id": "NCT02299791"}).rows
    assert sum(1 for r in orgs if str(r[2]) == "COLLABORATOR") == 5


def test_graphs_and_dump_match_the_embedded_store(remote: str, embedded: OxigraphStore) -> None:
    store = open_store(remote)
    # the embedded store also keeps the fast reasoner's bookkeeping (inferred/state); compare the rest
    state = URIRef("https://w3id.org/trialgraph/graph/inferred/state")
    assert set(store.named_graphs()) == set(embedded.named_graphs()) - {state}
    record = URIRef("https://w3id.org/trialgraph/graph/ctgov/NCT06171568")
    stamp = URIRef("http://www.w3.org/ns/prov#generatedAtTime")  # when each build ran: differs
    assert {t for t in store.graph(record) if t[1] != stamp} == {t for t in embedded.graph(record) if t[1] != stamp}
    assert len(store.graph(URIRef("https://w3id.org/trialgraph/graph/no-such-graph"))) == 0
    quads = Dataset().parse(data=store.dump("jsonld"), format="json-ld")
    assert record in {g.identifier for g in quads.graphs()}
    union = Graph().parse(data=store.dump("ntriples"), format="nt")
    local = Graph().parse(data=embedded.dump("ntriples"), format="nt")
    for t in embedded.graph(state):
        local.remove(t)
    assert len(union) == len(local)


@pytest.mark.parametrize("name", sorted(n for n, f in EXPORT_FORMATS.items() if not f.network))
def test_every_registered_export_format_from_both_stores(remote: str, embedded: OxigraphStore, name: str) -> None:
    spec = EXPORT_FORMATS[name]
    # NCT06171568's record graph is one of the three files built into both stores
    record = URIRef("https://w3id.org/trialgraph/graph/ctgov/NCT06171568")
    nct = URIRef("https://w3id.org/trialgraph/id/trial/NCT06171568")
    for store in (open_store(remote), embedded):
        data = store.dump(name)
        if spec.union:
            g = Graph().parse(data=data, format=spec.rdflib_format)
            assert (nct, None, None) in g
        else:
            ds = Dataset().parse(data=data, format=spec.rdflib_format)
            assert record in {c.identifier for c in ds.graphs()}


def test_the_network_export_format_from_both_stores(remote: str, embedded: OxigraphStore) -> None:
    # GraphML is registered with the RDF formats; it is the view's projection, the same from both
    nct = "https://w3id.org/trialgraph/id/trial/NCT06171568"
    written = [nx.read_graphml(io.BytesIO(export(store, "graphml"))) for store in (open_store(remote), embedded)]
    assert nct in written[0]
    assert set(written[0].nodes) == set(written[1].nodes)
    assert written[0].number_of_edges() == written[1].number_of_edges()


def test_an_unknown_export_format_names_the_known_ones(remote: str, embedded: OxigraphStore) -> None:
    for store in (open_store(remote), embedded):
        with pytest.raises(StoreError, match="unknown export format 'rdfxml'") as caught:
            store.dump("rdfxml")
        assert "trig" in str(caught.value.hint)


def test_rebuilding_the_same_files_changes_nothing(remote: str) -> None:
    store = open_store(remote)
    report = build(FILES, store)
    assert report.loaded == [] and len(report.unchanged) == 3
    # the report counts the store as it is after the build, the ledger's totals included
    assert report.triples == len(store.reader())
    assert report.trials == len(
        {
            str(r[0])
            for r in store.query("SELECT DISTINCT ?t WHERE { ?t a <https://w3id.org/trialgraph/ontology#Trial> }").rows
        }
    )


def test_a_remote_build_counts_what_it_wrote(tmp_path: Path) -> None:
    with oxigraph_server(tmp_path) as base:
        store = open_store(base)
        report = build(FILES, store)
        assert report.triples == len(store.reader()) and report.trials == 3


def test_write_is_staged_until_the_block_ends(remote: str) -> None:
    store = RemoteStore(remote)
    name = URIRef("https://w3id.org/trialgraph/graph/test/staged")
    g = Graph()
    g.add((URIRef("urn:x:s"), URIRef("urn:x:p"), Literal("staged")))
    with pytest.raises(RuntimeError), store.write() as w:
        w.replace_graph(name, g)
        raise RuntimeError("abandon the write")
    assert name not in store.named_graphs()
    with store.write() as w:
        w.replace_graph(name, g)
    assert set(store.graph(name)) == set(g)
    with store.write() as w:
        w.remove_graph(name)
    assert name not in store.named_graphs()


def test_a_server_without_a_union_default_graph_is_reported(tmp_path: Path) -> None:
    with oxigraph_server(tmp_path / "plain", union=False) as base:
        store = RemoteStore(base)
        g = Graph()
        g.add((URIRef("urn:x:s"), URIRef("urn:x:p"), Literal("o")))
        with store.write() as w:
            w.replace_graph(URIRef("urn:x:g"), g)
        with pytest.raises(StoreError, match="union-default-graph"):
            store.query("SELECT * WHERE { ?s ?p ?o }")


def test_an_unreachable_endpoint_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="cannot reach"):
        RemoteStore(f"http://127.0.0.1:{free_port()}").named_graphs()


def test_serve_reads_a_remote_store(remote: str, embedded: OxigraphStore) -> None:
    with running_server(remote) as base:
        r = httpx.get(f"{base}/queries/trial-sites", params={"id": "NCT06171568"}, timeout=30)
        assert r.status_code == 200
        assert same_rows(json_rows(r.json())) == same_rows(run(embedded, "trial-sites", {"id": "NCT06171568"}).rows)
        leak = httpx.get(
            f"{base}/sparql", params={"query": "SELECT * FROM <file:///etc/hostname> WHERE { ?s ?p ?o }"}, timeout=30
        )
        assert leak.status_code == 200 and leak.json()["results"]["bindings"] == []
        only = httpx.get(
            f"{base}/sparql",
            params={
                "query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                "named-graph-uri": ["https://w3id.org/trialgraph/graph/ctgov/NCT06171568", "file:///etc/hostname"],
            },
            timeout=30,
        )
        assert [b["g"]["value"] for b in only.json()["results"]["bindings"]] == [
            "https://w3id.org/trialgraph/graph/ctgov/NCT06171568"
        ]
        refused = httpx.get(
            f"{base}/sparql", params={"query": "SELECT * { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }"}, timeout=30
        )
        assert refused.status_code == 400
