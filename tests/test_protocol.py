"""The W3C SPARQL 1.1 Protocol test cases against a real `trialgraph serve` process.

The cases are data (tests/data/protocol/cases.yaml, one entry per case of the W3C manifest); the
store is tests/data/protocol/dataset.trig.  The runner prints how many cases pass.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

import httpx
import pytest
import yaml
from rdflib import Dataset, Graph, URIRef

from graph.store.local import OxigraphStore

try:
    from tests.test_server import running_server
except ImportError:  # tests/ run as a folder of plain modules
    from test_server import running_server  # type: ignore[no-redef]

pytestmark = pytest.mark.server

HERE = Path(__file__).resolve().parent / "data" / "protocol"
GRAPHS = {f"data{i}": f"https://w3id.org/trialgraph/graph/test/data{i}" for i in range(4)}
#: Hand count of dataset.trig: 2 triples in each of data0..data3, 7 in the hostile graph.
TRIPLES = 15
W3C_CASES = 34


def _fill(value: str) -> str:
    for key, iri in GRAPHS.items():
        value = value.replace("{" + key + "}", iri)
    return value


def _cases() -> list[dict[str, Any]]:
    cases = yaml.safe_load((HERE / "cases.yaml").read_text(encoding="utf-8"))["cases"]
    assert isinstance(cases, list)
    return cases


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("protocol") / "store"
    store = OxigraphStore(path)
    ds = Dataset()
    ds.parse(HERE / "dataset.trig", format="trig")
    with store.write() as w:
        for g in ds.graphs():
            if isinstance(g.identifier, URIRef) and len(g):
                w.add_to_graph(g.identifier, g)
    store.close()
    return path


@pytest.fixture(scope="module")
def server(store_dir: Path) -> Iterator[str]:
    with running_server(store_dir) as base:
        yield base


def _send(client: httpx.Client, req: dict[str, Any]) -> httpx.Response:
    params: list[tuple[str, str | int | float | bool | None]] = [(k, _fill(v)) for k, v in req.get("params", [])]
    headers: dict[str, str] = {}
    body: bytes | None = None
    if "form" in req:
        body = urlencode([(k, _fill(v)) for k, v in req["form"]]).encode("ascii")
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif "body" in req:
        body = _fill(req["body"]).encode(req.get("encoding", "utf-8"))
    if "content_type" in req:
        headers.pop("Content-Type", None)
        if req["content_type"] is not None:
            headers["Content-Type"] = req["content_type"]
    if "accept" in req:
        headers["Accept"] = req["accept"]
    return client.request(req["method"], "/sparql", params=params, content=body, headers=headers)


def _status_ok(expected: str | int, got: int) -> bool:
    if isinstance(expected, int):
        return got == expected
    return str(got)[0] == expected[0] and expected.endswith("xx")


def _solutions(response: httpx.Response) -> tuple[bool | None, list[dict[str, str]]]:
    """(boolean, rows of variable -> value) of a JSON or XML results document."""
    media = response.headers["content-type"].split(";")[0]
    if media == "application/sparql-results+json":
        doc = json.loads(response.content)
        if "boolean" in doc:
            return doc["boolean"], []
        return None, [{v: b["value"] for v, b in row.items()} for row in doc["results"]["bindings"]]
    ns = "{http://www.w3.org/2005/sparql-results#}"
    root = ET.fromstring(response.content)
    boolean = root.find(f"{ns}boolean")
    if boolean is not None:
        return boolean.text == "true", []
    rows = []
    for result in root.iter(f"{ns}result"):
        rows.append({b.get("name", ""): "".join(b.itertext()) for b in result.findall(f"{ns}binding")})
    return None, rows


def check_case(client: httpx.Client, case: dict[str, Any]) -> list[str]:
    """What is wrong with the answer to one case (nothing: it passes)."""
    response = _send(client, case["request"])
    expect = case["expect"]
    problems = []
    if not _status_ok(expect["status"], response.status_code):
        problems.append(f"status {response.status_code}, expected {expect['status']}: {response.text[:200]}")
        return problems
    media = response.headers.get("content-type", "").split(";")[0]
    if "content_type" in expect and media not in expect["content_type"]:
        problems.append(f"content type {media}, expected one of {expect['content_type']}")
        return problems
    if str(response.status_code).startswith("4") and not response.text.strip():
        problems.append("an error without a message")
    if "boolean" in expect or "rows" in expect or "values" in expect:
        boolean, rows = _solutions(response)
        if "boolean" in expect and boolean is not expect["boolean"]:
            problems.append(f"boolean {boolean}, expected {expect['boolean']}")
        if "rows" in expect and len(rows) != expect["rows"]:
            problems.append(f"{len(rows)} rows, expected {expect['rows']}")
        for var, allowed in expect.get("values", {}).items():
            wanted = {_fill(v) for v in allowed}
            seen = {row.get(var) for row in rows}
            if not seen <= wanted or not seen:
                problems.append(f"?{var} took {sorted(map(str, seen))}, expected values among {sorted(wanted)}")
    if "triples" in expect:
        fmt = {
            "text/turtle": "turtle",
            "application/n-triples": "nt",
            "application/ld+json": "json-ld",
            "application/rdf+xml": "xml",
        }[media]
        g = Graph().parse(data=response.content, format=fmt)
        if len(g) != expect["triples"]:
            problems.append(f"{len(g)} triples, expected {expect['triples']}")
    return problems


def test_the_cases_file_covers_the_w3c_manifest() -> None:
    ids = [c["id"] for c in _cases()]
    assert len(ids) == len(set(ids)) == W3C_CASES
    negative = [i for i in ids if i.startswith("bad_")]
    assert len(negative) == 14
    assert all(c["expect"]["status"] == "4xx" for c in _cases() if c["id"].startswith("bad_"))


def test_w3c_protocol_cases(server: str, capsys: pytest.CaptureFixture[str]) -> None:
    failures: dict[str, list[str]] = {}
    cases = _cases()
    with httpx.Client(base_url=server, timeout=30) as client:
        for case in cases:
            problems = check_case(client, case)
            if problems:
                failures[case["id"]] = problems
        # nothing the cases sent changed the store
        count = client.get("/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"})
        assert int(count.json()["results"]["bindings"][0]["n"]["value"]) == TRIPLES
    adapted = sum(1 for c in cases if c.get("adapted"))
    passed = len(cases) - len(failures)
    with capsys.disabled():
        print(
            f"\nW3C SPARQL 1.1 Protocol: {passed} of {len(cases)} cases pass "
            f"({adapted} update cases checked as refusals by this read-only endpoint)"
        )
    assert not failures, "\n".join(f"{k}: {'; '.join(v)}" for k, v in failures.items())


def test_errors_are_readable_text(server: str) -> None:
    r = httpx.get(f"{server}/sparql", params={"query": "SELECT * WHERE { ?s ?p }"}, timeout=30)
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("text/plain")
    assert "does not parse" in r.text and "line 1" in r.text


def test_entity_page_escapes_hostile_data(server: str) -> None:
    r = httpx.get(f"{server}/id/trial/HOSTILE-1", headers={"Accept": "text/html"}, timeout=30)
    assert r.status_code == 200
    page = r.text
    assert "<script>alert" not in page and "<img src=x" not in page and "</td><script>" not in page
    assert "&lt;script&gt;alert(&#39;label&#39;)&lt;/script&gt; &amp; &#34;quotes&#34;" in page
    assert 'href="javascript:' not in page  # only http(s) registry pages become links
    assert 'href="https://example.org/study?id=1&amp;x=%22%3E%3Cscript%3E"' in page
    assert 'href="/id/site/xx/hostile-site"' in page
