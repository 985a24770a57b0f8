"""The on-disk cache of what trialgraph derives from its own files (graph.cache): the ontology,
the shapes graph and the facts of the shapes' SPARQL queries.  For each: a second process reads
the entry (hit), a changed input is made again (miss), and an entry that cannot be read is made
again with no error.  Every test has a cache folder of its own."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDFS

import graph.cache as cache
import graph.reason.engine as engine
import graph.validate.fast.facts as facts
import graph.validate.fast.sparql as sparql
from graph.constants import ONTOLOGY_DIR, SHAPES_DIR
from graph.validate.fast.plan import compile_plan, local_sparql
from graph.validate.shapes import _parse_shapes, shapes_fingerprint, shapes_graph

TG = "https://w3id.org/trialgraph/ontology#"
#: The start-after-completion constraint of shapes/dates.ttl: what its query reads is written there.
DATES_QUERY = """PREFIX tg: <https://w3id.org/trialgraph/ontology#>
SELECT $this ?value ?start ?end WHERE {
    $this tg:startDate ?start .
    { $this tg:completionDate ?end } UNION { $this tg:primaryCompletionDate ?end }
}"""


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "cache"
    monkeypatch.setenv(cache.CACHE_ENV, str(where))
    facts._MEMO.clear()
    return where


def entries(where: Path, kind: str) -> list[Path]:
    return sorted(where.glob(f"{kind}-*.pickle"))


def triples(g: Graph) -> set[tuple[object, object, object]]:
    return set(g)


# -- the ontology ------------------------------------------------------------------------------------


def test_the_cached_ontology_is_the_parsed_one(folder: Path) -> None:
    fresh = engine._parse_ontology(sorted(ONTOLOGY_DIR.glob("*.ttl")))
    first = engine.ontology_graph()
    assert len(entries(folder, "ontology")) == 1
    second = engine.ontology_graph()  # read back
    # blank nodes are labelled from what they hold, so the parsed and the cached graphs are the
    # very same triples, not only isomorphic
    assert triples(first) == triples(fresh) == triples(second)


def test_a_second_process_reads_the_ontology_entry(folder: Path) -> None:
    engine.ontology_graph()
    (entry,) = entries(folder, "ontology")
    marked = Graph()
    marked.add((URIRef(TG + "Trial"), RDFS.comment, Literal("read from the cache")))
    cache.save("ontology", entry.name.removeprefix("ontology-").removesuffix(".pickle"), marked)
    assert triples(engine.ontology_graph()) == triples(marked)


def test_a_changed_ontology_file_is_parsed_again(folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / "ontology"
    shutil.copytree(ONTOLOGY_DIR, copy)
    monkeypatch.setattr(engine, "ONTOLOGY_DIR", copy)
    before = engine.ontology_graph()
    added = (URIRef(TG + "Trial"), RDFS.comment, Literal("a clinical study, as a registry records it"))
    assert added not in before
    with (copy / "trialgraph.ttl").open("a", encoding="utf-8") as f:
        f.write(f'\n<{TG}Trial> <{RDFS.comment}> "a clinical study, as a registry records it" .\n')
    after = engine.ontology_graph()
    assert triples(after) == triples(before) | {added}
    assert len(entries(folder, "ontology")) == 2


@pytest.mark.parametrize("damage", [b"", b"not a pickle at all", b"\x80\x05garbage"])
def test_an_unreadable_ontology_entry_is_made_again(folder: Path, damage: bytes) -> None:
    fresh = engine.ontology_graph()
    (entry,) = entries(folder, "ontology")
    entry.write_bytes(damage)
    assert triples(engine.ontology_graph()) == triples(fresh)
    assert triples(cache.load("ontology", entry.name[len("ontology-") : -len(".pickle")])) == triples(fresh)  # type: ignore[arg-type]


def test_the_cache_can_be_turned_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cache.CACHE_ENV, "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache.folder() is None
    assert len(engine.ontology_graph()) > 0
    assert list(tmp_path.rglob("*.pickle")) == []


def test_only_the_newest_entries_of_a_kind_are_kept(folder: Path) -> None:
    for i in range(cache.KEEP + 3):
        cache.save("probe", f"{i:04d}", i)
    assert len(entries(folder, "probe")) == cache.KEEP


# -- the shapes ---------------------------------------------------------------------------------------


def test_the_cached_shapes_are_the_parsed_ones(folder: Path) -> None:
    first = shapes_graph()
    assert len(entries(folder, "shapes")) == 1
    second = shapes_graph()
    files = sorted(SHAPES_DIR.glob("*.ttl"))
    fresh, fingerprint = _parse_shapes(files, [p.read_bytes() for p in files])
    # the reader lists added to the shapes are new blank nodes in each parse: compare as graphs
    assert isomorphic(first, fresh) and isomorphic(second, fresh)
    assert shapes_fingerprint(first) == shapes_fingerprint(second) == fingerprint


def test_a_second_process_reads_the_shapes_entry(folder: Path) -> None:
    shapes_graph()
    (entry,) = entries(folder, "shapes")
    marked = Graph()
    marked.add((URIRef("urn:x-test:shape"), RDFS.comment, Literal("read from the cache")))
    cache.save("shapes", entry.name[len("shapes-") : -len(".pickle")], (marked, "a fingerprint"))
    found = shapes_graph()
    assert triples(found) == triples(marked)
    assert shapes_fingerprint(found) == "a fingerprint"


def test_a_changed_shapes_file_is_parsed_again(folder: Path, tmp_path: Path) -> None:
    extra = tmp_path / "extra.ttl"
    extra.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "<urn:x-test:TitleShape> a sh:NodeShape ; sh:targetClass <https://w3id.org/trialgraph/ontology#Trial> .\n",
        encoding="utf-8",
    )
    before = shapes_graph([extra])
    extra.write_text(
        extra.read_text(encoding="utf-8") + '<urn:x-test:TitleShape> <http://www.w3.org/ns/shacl#name> "title" .\n',
        encoding="utf-8",
    )
    after = shapes_graph([extra])
    named = (URIRef("urn:x-test:TitleShape"), URIRef("http://www.w3.org/ns/shacl#name"), Literal("title"))
    assert named not in before and named in after
    assert shapes_fingerprint(before) != shapes_fingerprint(after)
    assert len(entries(folder, "shapes")) == 2


def test_an_unreadable_shapes_entry_is_made_again(folder: Path) -> None:
    fresh = shapes_graph()
    (entry,) = entries(folder, "shapes")
    entry.write_bytes(entry.read_bytes()[:100])  # cut short, as by a full disk
    again = shapes_graph()
    assert isomorphic(again, fresh)
    assert shapes_fingerprint(again) == shapes_fingerprint(fresh)


def test_a_bad_shapes_file_is_still_an_input_error_with_a_cache(folder: Path, tmp_path: Path) -> None:
    from graph.errors import InputError

    bad = tmp_path / "bad.ttl"
    bad.write_text("<urn:x-test:a> <urn:x-test:b> .\n", encoding="utf-8")  # no object
    for _ in range(2):  # nothing is cached for a file that does not parse
        with pytest.raises(InputError, match=r"bad\.ttl: not valid Turtle"):
            shapes_graph([bad])
    assert entries(folder, "shapes") == []


# -- the facts of SPARQL constraints --------------------------------------------------------------------


def test_query_facts_are_those_of_the_parsed_query(folder: Path) -> None:
    found = facts.query_facts(DATES_QUERY)
    tg = "https://w3id.org/trialgraph/ontology#"
    # read off DATES_QUERY: three predicates, every pattern about $this, bound by the main pattern
    expected = frozenset(URIRef(tg + p) for p in ("startDate", "completionDate", "primaryCompletionDate"))
    assert found.predicates == expected
    assert found.about_this == expected
    assert found.this_free_is_safe is True
    assert found.projected == DATES_QUERY  # ?this is projected already
    assert len(entries(folder, "sparql-facts")) == 1


def test_a_second_process_reads_the_query_facts(folder: Path) -> None:
    facts.query_facts(DATES_QUERY)
    (entry,) = entries(folder, "sparql-facts")
    planted = facts.QueryFacts(frozenset({URIRef("urn:x-test:p")}), False, None, None)
    cache.save("sparql-facts", entry.name[len("sparql-facts-") : -len(".pickle")], planted)
    facts._MEMO.clear()
    assert facts.query_facts(DATES_QUERY) == planted


def test_an_unreadable_query_facts_entry_is_made_again(folder: Path) -> None:
    fresh = facts.query_facts(DATES_QUERY)
    (entry,) = entries(folder, "sparql-facts")
    entry.write_bytes(b"\x00\x01")
    facts._MEMO.clear()
    assert facts.query_facts(DATES_QUERY) == fresh


def test_a_changed_query_gets_facts_of_its_own(folder: Path) -> None:
    facts.query_facts(DATES_QUERY)
    other = DATES_QUERY.replace("tg:primaryCompletionDate", "?anything")
    found = facts.query_facts(other)
    assert found.predicates is None  # a variable predicate could match any
    assert found.about_this is None
    assert len(entries(folder, "sparql-facts")) == 2


def test_a_warm_cache_compiles_the_shapes_without_parsing_sparql(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shapes = shapes_graph()
    cold = compile_plan(shapes, "each")
    assert cold.sparql_shapes, "shapes/dates.ttl has a SPARQL constraint"
    facts._MEMO.clear()
    sparql.query_algebra.cache_clear()

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the SPARQL parser ran although the facts were cached")

    monkeypatch.setattr(sparql, "prepareQuery", refuse)
    for mode in ("each", "union"):
        warm = compile_plan(shapes_graph(), mode)
        assert local_sparql(warm) is local_sparql(cold) is True
        steps = [arg[1] for cs in warm.sparql_shapes.values() for kind, arg in cs.steps if kind == "sparql"]
        cold_steps = [arg[1] for cs in cold.sparql_shapes.values() for kind, arg in cs.steps if kind == "sparql"]
        assert steps == cold_steps
