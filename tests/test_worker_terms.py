"""A build worker's terms: records written as Oxigraph terms, the literals with rdflib's lexical
forms; only the triples the shapes can read handed to them, with plain pyshacl's findings; the
ledger's content digest in its stored form; accents folded on the fast path and the slow one.

Expected values come from the inputs: the literals and texts written in this file, and the real
registry files in ``../shared/data`` (ICTRP export, two ClinicalTrials.gov studies, the seed
trials), validated by plain pyshacl.
"""

from __future__ import annotations

import hashlib

import pyoxigraph as ox
from rdflib import XSD, Graph, URIRef

from graph import rdf
from graph.keys import search_key
from graph.namespace import TG
from graph.normalize.text import slug
from graph.pipeline.batch import Worker, _content_digest
from graph.validate.fast.plan import compile_plan
from graph.validate.fast.records import validate_and_keep
from graph.validate.plain import validate_graph
from tests.test_validate import CTGOV, ICTRP, SEED, SHAPES, read

_XSD = "http://www.w3.org/2001/XMLSchema#"


def test_typed_literals_keep_rdflib_lexical_forms_and_their_types() -> None:
    assert rdf.typed(52.1, XSD.decimal) == ox.Literal("52.1", datatype=ox.NamedNode(_XSD + "decimal"))
    assert rdf.typed(True) == ox.Literal("true", datatype=ox.NamedNode(_XSD + "boolean"))
    # 1 == True in Python: the remembered literal of one must not stand for the other
    assert rdf.typed(1, XSD.integer) == ox.Literal("1", datatype=ox.NamedNode(_XSD + "integer"))
    assert rdf.typed(1) == ox.Literal("1", datatype=ox.NamedNode(_XSD + "integer"))
    assert rdf.typed(True) != rdf.typed(1)


def test_a_batch_hands_the_shapes_only_what_they_read_and_finds_what_pyshacl_finds() -> None:
    worker = Worker(SHAPES)
    assert worker.read is not None
    assert ox.NamedNode(str(TG.searchKey)) not in worker.read  # written for look-ups, read by no shape
    records = read(ICTRP)[:6] + read(CTGOV / "NCT00763412.json", CTGOV / "NCT06171568.json", SEED / "resstore.yaml")
    batch = {f"{r.source}/{r.record_id}": rdf.record_terms(r) for r in records}
    stored = {key: worker.terms.as_stored(terms, worker.read) for key, terms in batch.items()}
    for key, (given, every) in stored.items():
        assert len(given) < len(every) == len(batch[key]), key
    found = validate_and_keep(worker.plan, stored)
    plain = {f"{r.source}/{r.record_id}": validate_graph(rdf.record_graph(r), SHAPES) for r in records}
    assert {key: issues for key, (issues, _kept) in found.items()} == plain
    assert any(plain.values())  # the ICTRP export has findings: the comparison can fail


def test_a_closed_shape_reads_every_predicate() -> None:
    shapes = Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix tg: <https://w3id.org/trialgraph/ontology#> .
        <urn:x:TrialShape> a sh:NodeShape ; sh:targetClass tg:Trial ; sh:closed true ;
            sh:message "a trial says only what its shape allows" ;
            sh:property [ sh:path tg:title ; sh:message "a title" ; sh:maxCount 1 ] .
        """,
        format="turtle",
    )
    assert compile_plan(shapes, "each").read is None
    builtin = compile_plan(SHAPES, "each").read
    assert builtin is not None
    assert {URIRef("http://purl.org/dc/terms/identifier"), TG.sourceFile} <= builtin  # a record's owner


def test_the_content_digest_keeps_the_ledgers_stored_form() -> None:
    """Sorted lines, without the graph name and without the load time, each as ``s p o \\n``:
    the form stores built before hold, so that an unchanged record stays unchanged."""
    g = "<https://w3id.org/trialgraph/graph/ctgov/NCT1>"
    lines = [
        f'<urn:x:t> <urn:x:title> "B" {g} .\n',
        f'<urn:x:g> <http://www.w3.org/ns/prov#generatedAtTime> "2024-01-01T00:00:00Z" {g} .\n',
        f"<urn:x:t> <urn:x:a> <urn:x:b> {g} .\n",
    ]
    expected = hashlib.blake2b(b'<urn:x:t> <urn:x:a> <urn:x:b> \n<urn:x:t> <urn:x:title> "B" \n', digest_size=16)
    assert _content_digest(lines, g) == expected.hexdigest()


def test_accents_fold_the_same_on_the_ascii_path_and_the_unicode_one() -> None:
    assert search_key("Hôpital Édouard-Herriot") == "hopital edouard herriot"
    assert slug("Hôpital Édouard-Herriot") == "hopital-edouard-herriot"
    assert search_key("CHU Grenoble-Alpes ") == "chu grenoble alpes"
    assert slug("CHU Grenoble-Alpes") == "chu-grenoble-alpes"


def test_regression_kept_digests_follow_their_own_plan_in_one_process() -> None:
    """Which predicates count in a record's kept digests was one table per process, filled by
    the first plan that asked: a second set of shapes got the first one's digests."""
    from graph.validate.fast.kept import _record_digests

    title_only = Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix tg: <https://w3id.org/trialgraph/ontology#> .
        <urn:x:TitleShape> a sh:NodeShape ; sh:targetClass tg:Trial ;
            sh:property [ sh:path tg:title ; sh:message "one title" ; sh:maxCount 1 ] .
        """,
        format="turtle",
    )
    narrow, wide = compile_plan(title_only, "each"), compile_plan(SHAPES, "each")
    terms = rdf.record_terms(read(CTGOV / "NCT00763412.json")[0])
    first, _mentions, _timed = _record_digests(narrow, terms)
    second, _mentions, _timed = _record_digests(wide, terms)
    # the built-in shapes read tg:site, tg:city...: nodes the title shape never looks at
    assert set(first.keys) < set(second.keys)
    assert _record_digests(narrow, terms)[0] == first
