"""Which store a ``--store`` value opens (the store registry), the on-disk layout of an
embedded store, and the stages' own queries kept out of the named-query catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef

from graph.errors import QueryError, StoreError
from graph.query.named import catalogue, resolve
from graph.sparql import internal_query, with_tokens
from graph.store.disk import CURRENT, live_database, live_version
from graph.store.local import OxigraphStore
from graph.store.registry import STORES, open_store, store_kind
from graph.store.remote import RemoteStore


@pytest.mark.parametrize(
    ("spec", "kind"),
    [
        ("memory", "memory"),
        (":memory:", "memory"),
        ("some/folder", "folder"),
        ("http://127.0.0.1:7878", "http"),
        ("HTTPS://host/ds#query=sparql", "https"),
    ],
)
def test_each_store_value_names_one_kind(spec: str, kind: str) -> None:
    assert store_kind(spec) == kind
    assert kind in STORES


def test_open_store_gives_the_class_of_the_kind(tmp_path: Path) -> None:
    assert isinstance(open_store("memory"), OxigraphStore)
    assert isinstance(open_store(tmp_path / "store"), OxigraphStore)
    assert isinstance(open_store("http://127.0.0.1:9"), RemoteStore)  # nothing is sent before a query


def test_an_unknown_scheme_is_an_error_never_a_folder(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"cannot open ftp:// stores"):
        open_store("ftp://host/store")
    with pytest.raises(StoreError, match=r"cannot open s3:// stores"):
        store_kind("s3://bucket")


def test_the_live_database_is_what_the_last_write_published(tmp_path: Path) -> None:
    root = tmp_path / "store"
    store = OxigraphStore(root)
    assert live_database(root) is None and live_version(root) is None and store.database_path() is None
    g = Graph()
    g.add((URIRef("urn:x:s"), URIRef("urn:x:p"), Literal("o")))
    with store.write() as w:
        w.replace_graph(URIRef("urn:x:g"), g)
    first = live_database(root)
    assert first is not None and first.name == live_version(root) == (root / CURRENT).resolve().name
    assert store.database_path() == first
    with store.write() as w:
        w.remove_graph(URIRef("urn:x:g"))
    second = live_database(root)
    assert second is not None and second != first and not first.exists()
    assert sorted(p.name for p in root.iterdir() if p.name.startswith("db-")) == [second.name]


def test_internal_queries_are_not_named_queries() -> None:
    assert not [name for name in catalogue() if name.startswith(("internal/", "summaries/"))]
    with pytest.raises(QueryError, match="no query named 'internal/quads'"):
        resolve("internal/quads")
    assert "GRAPH ?g" in internal_query("internal/quads")


def test_with_tokens_binds_many_values_at_the_outer_where() -> None:
    text = with_tokens("SELECT ?f WHERE { ?f ?p ?o }", "f", ["<urn:x:a>", '"b"'])
    assert text == 'SELECT ?f WHERE { VALUES ?f { <urn:x:a> "b" }  ?f ?p ?o }'
    with pytest.raises(QueryError, match="no WHERE clause"):
        with_tokens("ASK {}", "f", ["<urn:x:a>"])
