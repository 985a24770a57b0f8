"""`trialgraph serve` as a real process on 127.0.0.1: the same rows as the CLI and the Python
API, content negotiation, Linked Data pages, and the attacks of issue 5 refused without a trace.

Expected values come from the registry files themselves: NCT06171568.json (one site,
"Neurosurgery - Lariboisière hospital", Paris, France; brief title "Lariboisière Cognitive
Assessment: Evaluation of the 1-year Outcomes"; lead sponsor AP-HP; condition "Brain Injuries",
which no other file names) and NCT04431453.json (EudraCT secondary id 2020-001803-17).
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import httpx
import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.term import Node

from graph.query.named import bind, catalogue, run
from graph.sparql import with_values
from graph.store.local import OxigraphStore

pytestmark = pytest.mark.server

TRIAL = "NCT06171568"
TRIAL_IRI = f"https://w3id.org/trialgraph/id/trial/{TRIAL}"
TRIAL_TITLE = "Lariboisière Cognitive Assessment: Evaluation of the 1-year Outcomes"
SITE_ROW = ("Neurosurgery - Lariboisière hospital", "Paris", "FR")
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
CTGOV = Path(__file__).resolve().parents[2] / "shared" / "data" / "ctgov-v2"
TG = "https://w3id.org/trialgraph/ontology#"

#: Real ids for every parameter of the named queries.
PARAMS = {"id": TRIAL, "condition": "Brain Injuries", "intervention": "Remdesivir"}


# -- a real server process ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server_process(
    store: str | Path, *options: str, ready_timeout: float = 60.0, source: Path | None = None
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """``trialgraph serve`` in a child process on a free port; yields its base URL and the
    process once a query answers, and stops it (SIGTERM, then SIGKILL) afterwards.  With
    ``source``, the ``graph`` package of that folder serves (another version, for a benchmark)."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="trialgraph-serve-", suffix=".log", delete=False)  # noqa: SIM115
    cmd = [sys.executable, "-m", "graph", "serve", "--store", str(store), "--port", str(port), *options]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=source)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + ready_timeout
        while True:
            if proc.poll() is not None:
                pytest.fail(f"trialgraph serve exited with {proc.returncode}:\n{Path(log.name).read_text()}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/sparql", params={"query": "ASK {}"}, timeout=5).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"trialgraph serve did not answer in {ready_timeout} s:\n{Path(log.name).read_text()}")
            time.sleep(0.2)
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        log.close()
        Path(log.name).unlink(missing_ok=True)


@contextlib.contextmanager
def running_server(store: str | Path, *options: str, ready_timeout: float = 60.0) -> Iterator[str]:
    """``trialgraph serve`` in a child process on a free port; yields its base URL."""
    with server_process(store, *options, ready_timeout=ready_timeout) as (base, _proc):
        yield base


def built_store(path: Path, sources: list[Path]) -> Path:
    """``sources`` built into the store at ``path`` (new, or a new version of it), let go of
    so that a server can open it."""
    from graph.pipeline.run import build

    store = OxigraphStore(path)
    build(sources, store)
    store.close()
    return path


def client_at(base: str, address: str, **options: object) -> httpx.Client:
    """An HTTP client whose connections come from ``address`` (any of 127.0.0.0/8 reaches the
    server on 127.0.0.1): the server counts it as another client."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=base, transport=transport, timeout=60, **options)  # type: ignore[arg-type]


def json_term(b: dict[str, str]) -> Node:
    """A SPARQL JSON term as rdflib, strings plain (as the embedded store gives them)."""
    if b["type"] == "uri":
        return URIRef(b["value"])
    if "xml:lang" in b:
        return Literal(b["value"], lang=b["xml:lang"])
    if b.get("datatype") and b["datatype"] != XSD_STRING:
        return Literal(b["value"], datatype=URIRef(b["datatype"]))
    return Literal(b["value"])


def same_rows(rows: list[tuple[Node | None, ...]]) -> list[tuple[Node | None, ...]]:
    """Rows in a canonical order: rows that tie under a query's ORDER BY (or a query without
    one) may come in any order, from any engine, run after run."""
    return sorted(rows, key=lambda row: tuple("" if t is None else t.n3() for t in row))


def json_rows(doc: dict[str, object]) -> list[tuple[Node | None, ...]]:
    head = doc["head"]
    assert isinstance(head, dict)
    variables = head["vars"]
    results = doc["results"]
    assert isinstance(results, dict)
    return [tuple(json_term(b[v]) if v in b else None for v in variables) for b in results["bindings"]]


#: Three real records for the parity tests: every named query runs on them in seconds (on all 16
#: files, trials-by-condition takes minutes: see the report of issue 5).
PARITY_FILES = [CTGOV / "NCT06171568.json", CTGOV / "NCT04431453.json", CTGOV / "NCT02299791.json"]


@pytest.fixture(scope="module")
def small_store(tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    from graph.pipeline.run import build

    store = OxigraphStore(tmp_path_factory.mktemp("parity") / "store")
    report = build(PARITY_FILES, store)
    assert report.errors == [] and len(report.loaded) == 3
    return store


@pytest.fixture(scope="module")
def small_server(small_store: OxigraphStore) -> Iterator[str]:
    with running_server(small_store.location) as base:
        yield base


@pytest.fixture(scope="module")
def server(ctgov_store: OxigraphStore) -> Iterator[str]:
    with running_server(ctgov_store.location) as base:
        yield base


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=30) as c:
        yield c


# -- parity: SPARQLWrapper, the HTTP named-query route, the CLI and graph.query.named.run ----------


def _params_for(name: str) -> dict[str, str]:
    query = catalogue()[name]
    return {p.name: PARAMS[p.name] for p in query.params}


def test_every_named_query_has_real_parameters() -> None:
    for query in catalogue().values():
        assert all(p.name in PARAMS for p in query.params), query.name


@pytest.mark.parametrize("name", sorted(catalogue()))
def test_sparqlwrapper_gets_the_rows_of_graph_queries_run(
    small_server: str, small_store: OxigraphStore, name: str
) -> None:
    from SPARQLWrapper import JSON, POST, SPARQLWrapper

    query = catalogue()[name]
    params = _params_for(name)
    bindings = bind(query, params)
    text = with_values(query.text, bindings) if bindings else query.text
    client = SPARQLWrapper(f"{small_server}/sparql")
    client.setMethod(POST)
    client.setQuery(text)
    client.setReturnFormat(JSON)
    doc = client.query().convert()
    assert isinstance(doc, dict)
    expected = run(small_store, name, params)
    assert doc["head"]["vars"] == expected.variables
    assert same_rows(json_rows(doc)) == same_rows(expected.rows)
    assert doc["truncated"] is False


@pytest.mark.parametrize("name", sorted(catalogue()))
def test_named_query_route_gives_the_rows_of_graph_queries_run(
    small_server: str, small_store: OxigraphStore, name: str
) -> None:
    params = _params_for(name)
    response = httpx.get(f"{small_server}/queries/{name}", params=params, timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers["x-trialgraph-truncated"] == "false"
    assert same_rows(json_rows(response.json())) == same_rows(run(small_store, name, params).rows)


def test_rows_match_hand_read_facts(client: httpx.Client, small_server: str) -> None:
    sites = json_rows(client.get("/queries/trial-sites", params={"id": TRIAL}).json())
    assert [tuple(str(t) for t in row[1:4]) for row in sites] == [SITE_ROW]
    assert [row[4] for row in sites] == [None]  # the location gives no recruitment status
    ids = json_rows(client.get("/queries/identifiers", params={"id": "NCT04431453"}).json())
    assert ("2020-001803-17", "EUDRACT") in {(str(r[1]), str(r[2])) for r in ids}
    found = httpx.get(f"{small_server}/queries/trials-by-condition", params={"condition": "brain injuries"}, timeout=60)
    assert {str(r[1]) for r in json_rows(found.json())} == {TRIAL}


def test_cli_query_prints_the_rows_the_server_sends(client: httpx.Client, ctgov_store: OxigraphStore) -> None:
    for name in ("trial-sites", "sponsors"):
        params = _params_for(name)
        cmd = [sys.executable, "-m", "graph", "query", name, "--store", ctgov_store.location, "--format", "json"]
        cmd += [f"--param={k}={v}" for k, v in params.items()]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        served = client.get(f"/queries/{name}", params=params).json()
        assert same_rows(json_rows(json.loads(done.stdout))) == same_rows(json_rows(served))


def test_named_query_errors(client: httpx.Client) -> None:
    assert client.get("/queries/no-such-query").status_code == 404
    missing = client.get("/queries/trial-sites")
    assert missing.status_code == 400 and "id" in missing.text
    assert client.get("/queries/trial-sites", params={"id": TRIAL, "other": "x"}).status_code == 400
    # a .rq file elsewhere on the server's disk is not a named query
    assert client.get("/queries/../../etc/passwd.rq").status_code == 404


def test_named_query_pages_over_http(client: httpx.Client) -> None:
    """NCT02552212's file lists 105 locations, each a different facility and city (counted in
    the JSON): pages of 40 from offset 80 leave 25 rows, and every page says 105 in all."""
    page = client.get("/queries/trial-sites", params={"id": "NCT02552212", "limit": "40", "offset": "80"})
    assert page.status_code == 200, page.text
    assert len(json_rows(page.json())) == 25
    assert page.headers["x-trialgraph-total-rows"] == "105"
    assert page.headers["x-trialgraph-offset"] == "80"
    assert page.headers["x-trialgraph-truncated"] == "false"
    first = client.get("/queries/trial-sites", params={"id": "NCT02552212", "limit": "40"})
    assert len(json_rows(first.json())) == 40 and first.headers["x-trialgraph-truncated"] == "true"
    whole = client.get("/queries/trial-sites", params={"id": "NCT02552212"})
    assert len(json_rows(whole.json())) == 105  # within the default page of 1,000 rows
    for bad in ("-1", "ten"):
        refused = client.get("/queries/trial-sites", params={"id": "NCT02552212", "limit": bad})
        assert refused.status_code == 400 and "limit" in refused.text


def test_conflicts_route_gives_what_the_cli_gives(client: httpx.Client, ctgov_store: OxigraphStore) -> None:
    from graph.conflicts import as_rows, trial_conflicts

    served = client.get("/conflicts")
    assert served.status_code == 200 and served.headers["content-type"].startswith("application/json")
    assert served.json() == as_rows(trial_conflicts(ctgov_store))


def test_catalogue_lists_named_queries_with_parameters(client: httpx.Client) -> None:
    items = {q["name"]: q for q in client.get("/queries").json()}
    assert set(items) == set(catalogue())
    assert [p["name"] for p in items["trial-sites"]["params"]] == ["id"]
    assert items["qc/trial-without-source-violation"]["gate"] is True


# -- the SPARQL protocol: formats ---------------------------------------------------------------

SITES_QUERY = f"""PREFIX tg: <{TG}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?site ?name WHERE {{ <{TRIAL_IRI}> tg:site ?site . ?site rdfs:label ?name }}"""


def test_select_as_json_xml_csv_tsv(client: httpx.Client) -> None:
    site = "https://w3id.org/trialgraph/id/site/fr/neurosurgery-lariboisiere-hospital-paris"
    for accept in (
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    ):
        r = client.post("/sparql", data={"query": SITES_QUERY}, headers={"Accept": accept})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].split(";")[0] == accept
        if accept.endswith("json"):
            assert json_rows(r.json()) == [(URIRef(site), Literal(SITE_ROW[0]))]
        elif accept.endswith("xml"):
            ns = "{http://www.w3.org/2005/sparql-results#}"
            root = ET.fromstring(r.content)
            assert [v.get("name") for v in root.iter(f"{ns}variable")] == ["site", "name"]
            assert [u.text for u in root.iter(f"{ns}uri")] == [site]
            assert [lit.text for lit in root.iter(f"{ns}literal")] == [SITE_ROW[0]]
        elif accept == "text/csv":
            assert list(csv.reader(io.StringIO(r.text))) == [["site", "name"], [site, SITE_ROW[0]]]
        else:
            assert r.text.splitlines() == ["?site\t?name", f'<{site}>\t"{SITE_ROW[0]}"']


def test_construct_as_turtle_ntriples_jsonld(client: httpx.Client) -> None:
    query = f"CONSTRUCT {{ <{TRIAL_IRI}> <{TG}title> ?t }} WHERE {{ <{TRIAL_IRI}> <{TG}title> ?t }}"
    expected = Graph()
    expected.add((URIRef(TRIAL_IRI), URIRef(TG + "title"), Literal(TRIAL_TITLE)))
    for accept, fmt in (("text/turtle", "turtle"), ("application/n-triples", "nt"), ("application/ld+json", "json-ld")):
        r = client.get("/sparql", params={"query": query}, headers={"Accept": accept})
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].split(";")[0] == accept
        got = Graph().parse(data=r.text, format=fmt)
        assert set(got) == set(expected), accept


def test_unacceptable_type_is_406(client: httpx.Client) -> None:
    r = client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept": "image/png"})
    assert r.status_code == 406
    assert "application/sparql-results+json" in r.text


def test_service_description(client: httpx.Client, server: str) -> None:
    r = client.get("/sparql", headers={"Accept": "text/turtle"})
    assert r.status_code == 200
    g = Graph().parse(data=r.text, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    assert (None, URIRef(sd + "endpoint"), URIRef(f"{server}/sparql")) in g
    assert (None, URIRef(sd + "supportedLanguage"), URIRef(sd + "SPARQL11Query")) in g


def test_cors_allows_any_origin_without_credentials(client: httpx.Client) -> None:
    r = client.get("/sparql", params={"query": "ASK {}"}, headers={"Origin": "https://evil.example"})
    assert r.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in r.headers
    pre = client.options("/sparql", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
    assert pre.status_code == 200
    assert pre.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in pre.headers


# -- Linked Data pages ----------------------------------------------------------------------


def test_trial_page_html(client: httpx.Client) -> None:
    r = client.get(f"/id/trial/{TRIAL}", headers={"Accept": "text/html"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    page = r.text
    assert f'<h1 id="entity-title">{TRIAL_TITLE}</h1>' in page
    assert 'href="https://clinicaltrials.gov/study/NCT06171568"' in page
    assert 'href="/id/org/assistance-publique-hopitaux-de-paris"' in page
    assert 'href="/id/site/fr/neurosurgery-lariboisiere-hospital-paris"' in page


def test_trial_description_as_turtle_and_jsonld(client: httpx.Client) -> None:
    title = (URIRef(TRIAL_IRI), URIRef(TG + "title"), Literal(TRIAL_TITLE))
    lead = (
        URIRef(TRIAL_IRI),
        URIRef(TG + "leadSponsor"),
        URIRef("https://w3id.org/trialgraph/id/org/assistance-publique-hopitaux-de-paris"),
    )
    for accept, fmt in (("text/turtle", "turtle"), ("application/ld+json", "json-ld")):
        r = client.get(f"/id/trial/{TRIAL}", headers={"Accept": accept})
        assert r.status_code == 200
        assert r.headers["content-type"].split(";")[0] == accept
        g = Graph().parse(data=r.text, format=fmt)
        assert title in g and lead in g


def test_unknown_iri_is_404(client: httpx.Client) -> None:
    assert client.get("/id/trial/NCT00000000", headers={"Accept": "text/turtle"}).status_code == 404
    assert client.get("/id/trial/NCT00000000", headers={"Accept": "text/html"}).status_code == 404
    assert client.get("/id/trial/x%22%3E%3Cscript%3E", headers={"Accept": "text/html"}).status_code == 404


def test_query_page_and_assets_are_local(client: httpx.Client) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert 'src="/static/query.js"' in page.text
    assert "http://" not in page.text.replace("http://www.w3.org", "") and "https://cdn" not in page.text
    assert client.get("/static/query.js").status_code == 200
    assert client.get("/static/style.css").status_code == 200


def test_view_route(client: httpx.Client) -> None:
    r = client.get("/view")
    try:
        import graph.view.output  # noqa: F401
    except ImportError:
        assert r.status_code == 503 and "view" in r.text
        return
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "connect-src 'self'" in r.headers["content-security-policy"]
    assert client.get("/view", params={"depth": "9"}).status_code == 400


# -- attacks ------------------------------------------------------------------------------------


@contextlib.contextmanager
def listener() -> Iterator[tuple[int, list[object]]]:
    """A TCP listener on 127.0.0.1 that records every connection it is offered.  Its watcher
    must still be running when the block ends: a watcher that died (as one did with
    ``select.select`` on a file descriptor above 1023, late in the suite) would record nothing,
    and the test around it could not fail."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.05)  # a poll, whatever the descriptor's number
    seen: list[object] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            try:
                conn, addr = sock.accept()
            except TimeoutError:
                continue
            seen.append(addr)
            conn.close()

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield int(sock.getsockname()[1]), seen
    finally:
        time.sleep(0.3)  # give a late connection the time to show up
        alive = thread.is_alive()
        stop.set()
        thread.join()
        sock.close()
    assert alive, "the listener's watcher stopped: it could not have seen a connection"


def test_the_listener_sees_a_connection() -> None:
    """The watcher that the SERVICE tests rely on does record a connection."""
    with listener() as (port, seen):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert len(seen) == 1


def test_service_is_refused_before_running(client: httpx.Client) -> None:
    with listener() as (port, seen):
        for query in (
            f"SELECT * WHERE {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }}",
            f"SELECT * WHERE {{ ?s ?p ?o OPTIONAL {{ SERVICE SILENT <http://127.0.0.1:{port}/x> {{ ?s ?q ?r }} }} }}",
            f"ASK {{ FILTER EXISTS {{ SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }} }} }}",
        ):
            r = client.post("/sparql", data={"query": query})
            assert r.status_code == 400
            assert "SERVICE is refused" in r.text
        # FROM with the listener's URL selects a graph the store does not have: nothing is fetched
        r = client.get("/sparql", params={"query": f"SELECT * FROM <http://127.0.0.1:{port}/> WHERE {{ ?s ?p ?o }}"})
        assert r.status_code == 200 and r.json()["results"]["bindings"] == []
    assert seen == []


def test_service_inside_a_string_is_data(client: httpx.Client) -> None:
    with listener() as (port, seen):
        text = f"SERVICE <http://127.0.0.1:{port}/> {{ ?s ?p ?o }}"
        r = client.post("/sparql", data={"query": f'SELECT ?x WHERE {{ BIND("{text}" AS ?x) }} # SERVICE <x> {{}}'})
        assert r.status_code == 200, r.text
        assert json_rows(r.json()) == [(Literal(text),)]
    assert seen == []


def test_from_file_reads_nothing(client: httpx.Client) -> None:
    secret = Path("/etc/hostname").read_text().strip()
    assert secret, "the test needs a non-empty /etc/hostname"
    queries = [
        ("SELECT * FROM <file:///etc/hostname> WHERE { ?s ?p ?o }", {}),
        ("SELECT ?g ?s WHERE { GRAPH ?g { ?s ?p ?o } }", {"named-graph-uri": "file:///etc/hostname"}),
        ("SELECT * FROM NAMED <file:///etc/hostname> WHERE { GRAPH ?g { ?s ?p ?o } }", {}),
        ("SELECT * WHERE { ?s ?p ?o }", {"default-graph-uri": "file:///etc/hostname"}),
    ]
    for query, dataset in queries:
        r = client.get("/sparql", params={"query": query, **dataset})
        assert r.status_code == 200, r.text
        assert r.json()["results"]["bindings"] == []
        assert secret not in r.text


def test_updates_are_refused_and_change_nothing(client: httpx.Client) -> None:
    triple = "<urn:x:s> <urn:x:p> <urn:x:o>"
    insert = f"INSERT DATA {{ GRAPH <urn:x:g> {{ {triple} }} }}"
    answers = [
        client.post("/sparql", content=insert, headers={"Content-Type": "application/sparql-update"}),
        client.post("/sparql", data={"update": insert}),
        client.get("/sparql", params={"update": insert}),
        client.post("/sparql", data={"query": insert}),
        client.post("/sparql", content="DROP ALL", headers={"Content-Type": "application/sparql-query"}),
        client.get("/sparql", params={"query": "LOAD <file:///etc/hostname>"}),
    ]
    for r in answers:
        assert r.status_code == 400, r.text
        assert "read-only" in r.text
    still = client.get("/sparql", params={"query": f"ASK {{ GRAPH ?g {{ {triple} }} }}"})
    assert still.json()["boolean"] is False
    trials = client.get("/sparql", params={"query": f"ASK {{ <{TRIAL_IRI}> a <{TG}Trial> }}"})
    assert trials.json()["boolean"] is True


def _raw_get(client: httpx.Client, target: str) -> int:
    import http.client

    url = client.base_url
    conn = http.client.HTTPConnection(url.host, url.port, timeout=30)
    try:
        conn.request("GET", target)
        return conn.getresponse().status
    finally:
        conn.close()


def test_a_one_megabyte_query_is_413(client: httpx.Client) -> None:
    big = "ASK {} #" + "x" * 1_000_000
    assert client.post("/sparql", content=big, headers={"Content-Type": "application/sparql-query"}).status_code == 413
    assert client.post("/sparql", data={"query": big}).status_code == 413
    assert _raw_get(client, "/sparql?query=ASK%20%7B%7D%20%23" + "x" * 120_000) == 413  # too long for httpx
    assert client.get("/sparql", params={"query": "ASK {}"}).status_code == 200


INJECTIONS = [
    TRIAL + '" . ?trial ?anything ?site } #',
    f'{TRIAL}" }} UNION {{ ?trial <{TG}site> ?site . ?site <http://www.w3.org/2000/01/rdf-schema#label> ?facility }} #',
    f"<{TRIAL_IRI}>",
    f"{TRIAL}\\u0022 . ?s ?p ?o #",
    TRIAL + '\n" } SERVICE <http://127.0.0.1:9/> { ?a ?b ?c } #',
]


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_in_a_parameter_leaves_the_result_unchanged(
    client: httpx.Client, ctgov_store: OxigraphStore, payload: str
) -> None:
    before = json_rows(client.get("/queries/trial-sites", params={"id": TRIAL}).json())
    r = client.get("/queries/trial-sites", params={"id": payload})
    assert r.status_code in (200, 400), r.text
    if r.status_code == 200:
        assert json_rows(r.json()) == []  # the payload is one literal that no trial has as id
    assert run(ctgov_store, "trial-sites", {"id": TRIAL}).rows == before
    assert json_rows(client.get("/queries/trial-sites", params={"id": TRIAL}).json()) == before


# -- limits: a short time limit, a row cap, two workers -------------------------------------

CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture(scope="module")
def limited(ctgov_store: OxigraphStore) -> Iterator[str]:
    with running_server(ctgov_store.location, "--timeout", "3", "--max-rows", "5", "--max-concurrent", "2") as base:
        yield base


def test_heavy_query_is_cancelled_while_ask_answers(limited: str) -> None:
    outcome: dict[str, httpx.Response] = {}

    def heavy() -> None:
        outcome["heavy"] = httpx.post(f"{limited}/sparql", data={"query": CROSS_PRODUCT}, timeout=30)

    thread = threading.Thread(target=heavy)
    thread.start()
    time.sleep(0.5)
    # another client: one client never holds every worker, so a worker is free for it
    with client_at(limited, "127.0.0.2") as other:
        ask = other.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
    answered_while_heavy_ran = thread.is_alive()
    thread.join(30)
    assert ask.status_code == 200 and ask.json()["boolean"] is True
    assert answered_while_heavy_ran
    assert outcome["heavy"].status_code == 504
    assert "time limit (3 s)" in outcome["heavy"].text
    # the killed worker was replaced: the pool is whole again
    for _ in range(4):
        assert httpx.get(f"{limited}/sparql", params={"query": "ASK {}"}, timeout=30).status_code == 200


def test_row_cap_is_explicit(limited: str) -> None:
    r = httpx.get(f"{limited}/queries/trials", timeout=30)  # 16 files, one trial each
    assert r.status_code == 200
    assert r.headers["x-trialgraph-truncated"] == "true"
    assert r.json()["truncated"] is True
    assert len(r.json()["results"]["bindings"]) == 5
    csv_answer = httpx.get(f"{limited}/queries/trials", headers={"Accept": "text/csv"}, timeout=30)
    assert csv_answer.headers["x-trialgraph-truncated"] == "true"
    assert len(list(csv.reader(io.StringIO(csv_answer.text)))) == 6  # the header and five rows
    small = httpx.get(f"{limited}/queries/trial-sites", params={"id": TRIAL}, timeout=30)
    assert small.headers["x-trialgraph-truncated"] == "false" and small.json()["truncated"] is False
