"""Adding a register: the test-only reader in ``tests/example_register.py`` (one module) is
registered by one line, its name in ``TRIALGRAPH_READERS``, and ``build`` then reads its files,
in worker processes too, and loads its records without a change to any other file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Literal, URIRef

from graph import sources
from graph.constants import READERS_ENV
from graph.pipeline.run import build
from graph.store.registry import open_store

from .conftest import ROOT, TEST_DATA

EXAMPLE = TEST_DATA / "example_register"
TRIAL = "https://w3id.org/trialgraph/id/trial/"
TG = "https://w3id.org/trialgraph/ontology#"


def test_the_example_register_is_picked_up_by_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(READERS_ENV, "tests.example_register")  # the one registration line
    monkeypatch.chdir(ROOT)
    store = open_store(tmp_path / "store")
    report = build([EXAMPLE.relative_to(ROOT)], store, workers=1)
    # the files hold EX-0001 (RECRUITING), EX-0002 (COMPLETED) and one trial with no id
    assert report.records_read == 2
    assert [(e.file, e.field) for e in report.errors] == [("tests/data/example_register/more.example.json", "id")]
    assert report.quarantined == {}
    rows = store.query(
        "PREFIX tg: <https://w3id.org/trialgraph/ontology#> "
        "SELECT ?t ?title ?kind WHERE { ?r tg:sourceRecord ?t ; tg:sourceKind ?kind . ?t tg:title ?title }"
    ).rows
    assert sorted(rows) == [
        (URIRef(TRIAL + "EX-0001"), Literal("Example stem cell trial"), Literal("example")),
        (URIRef(TRIAL + "EX-0002"), Literal("Second example trial"), Literal("example")),
    ]


def test_the_example_register_is_read_in_worker_processes_from_the_cli(tmp_path: Path) -> None:
    env = {**os.environ, READERS_ENV: "tests.example_register"}
    store = tmp_path / "store"
    done = subprocess.run(
        [sys.executable, "-m", "graph", "build", str(EXAMPLE), "--store", str(store), "--workers", "2"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    # exit 2: one record of more.example.json has no id; the other two load
    assert done.returncode == 2, done.stdout + done.stderr
    assert "more.example.json: field id: a trial with no id" in done.stdout + done.stderr
    status = open_store(store, read_only=True).query(f"SELECT ?t ?s WHERE {{ ?t <{TG}status> ?s }}").rows
    assert sorted((str(t), str(s).rpartition("/")[2]) for t, s in status) == [
        (TRIAL + "EX-0001", "RECRUITING"),
        (TRIAL + "EX-0002", "COMPLETED"),
    ]


def test_a_plugin_reader_is_gone_when_it_is_no_longer_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(READERS_ENV, "tests.example_register")
    assert "example" in sources.formats()
    monkeypatch.delenv(READERS_ENV)
    assert "example" not in sources.formats()


def test_the_shapes_accept_every_registered_source(monkeypatch: pytest.MonkeyPatch) -> None:
    from rdflib.collection import Collection
    from rdflib.namespace import SH

    from graph.validate.shapes import shapes_graph

    monkeypatch.setenv(READERS_ENV, "tests.example_register")
    shapes = shapes_graph()
    (shape,) = shapes.subjects(SH.path, URIRef(TG + "sourceKind"))
    listed = [str(v) for v in Collection(shapes, shapes.value(shape, SH["in"]))]  # type: ignore[arg-type]
    # shapes/provenance.ttl lists the six built-in readers; the plug-in is added after them
    assert listed == ["curated", "ctgov", "ictrp", "ctis", "euctr", "isrctn", "example"]
