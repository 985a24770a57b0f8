"""The artefacts themselves are checked: the shapes are valid SHACL (they conform to the
SHACL-SHACL shapes graph that pyshacl ships) and canonical Turtle; every ``.rq`` parses and has
its header; the ontology parses and declares every ``tg:`` class and property that the shapes
and the queries use; every vocabulary value and registry the shapes name exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import RDF, Graph, URIRef
from rdflib.namespace import OWL, RDFS, SKOS
from rdflib.plugins.sparql import prepareQuery

from graph.constants import ID_NS, ONTOLOGY_DIR, ONTOLOGY_NS, QUERIES_DIR, SHAPES_DIR, VOCAB_NS
from graph.query.named import parse_header

from .conftest import turtle_graph

try:  # `python -m pytest` puts the checkout on sys.path; plain `pytest` only tests/
    from tests.canonical import FIX_COMMAND, canonical_turtle
except ModuleNotFoundError:  # pragma: no cover - depends on how pytest was started
    from canonical import FIX_COMMAND, canonical_turtle  # type: ignore[no-redef]

SHAPE_FILES = sorted(SHAPES_DIR.glob("*.ttl"))
QUERY_FILES = sorted(QUERIES_DIR.rglob("*.rq"))
ONTOLOGY_FILE = ONTOLOGY_DIR / "trialgraph.ttl"
TG_TERM = re.compile(r"(?:\btg:|<https://w3id\.org/trialgraph/ontology#)([A-Za-z][A-Za-z0-9_]*)")


def shacl_shacl() -> Graph:
    """The SHACL-SHACL shapes graph (W3C, appendix C of the SHACL spec), as pyshacl ships it."""
    import pyshacl

    path = Path(pyshacl.__file__).parent / "assets" / "shacl-shacl.ttl"
    assert path.is_file(), "pyshacl no longer ships assets/shacl-shacl.ttl"
    return Graph().parse(path, format="turtle")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    return turtle_graph(*SHAPE_FILES)


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


@pytest.fixture(scope="module")
def vocab() -> Graph:
    g = Graph()
    for path in sorted(ONTOLOGY_DIR.glob("*.ttl")):
        g.parse(path, format="turtle")
    return g


def test_shapes_conform_to_shacl_shacl(shapes: Graph) -> None:
    import pyshacl

    conforms, _results, text = pyshacl.validate(shapes, shacl_graph=shacl_shacl())
    assert conforms, text


def test_a_broken_shape_fails_shacl_shacl() -> None:
    """The check above can fail: a property shape with two paths and a text minCount does."""
    import pyshacl

    broken = Graph().parse(
        data="""@prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix ex: <https://example.org/> .
        ex:S a sh:NodeShape ; sh:targetClass ex:C ;
            sh:property [ sh:path ex:p, ex:q ; sh:minCount "one" ] .""",
        format="turtle",
    )
    conforms, _results, _text = pyshacl.validate(broken, shacl_graph=shacl_shacl())
    assert not conforms


@pytest.mark.parametrize("path", SHAPE_FILES, ids=lambda p: p.name)
def test_shapes_file_is_canonical(path: Path) -> None:
    assert path.read_text(encoding="utf-8") == canonical_turtle(path), (
        f"{path} is not in canonical Turtle; fix it with: {FIX_COMMAND} {path}"
    )


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: p.relative_to(QUERIES_DIR).as_posix())
def test_query_parses_and_has_its_header(path: Path) -> None:
    prepareQuery(path.read_text(encoding="utf-8"))
    q = parse_header(path, path.stem)
    assert q.title != path.stem, f"{path} has no '# title:' line"
    assert q.description, f"{path} has no '# description:' line"


def test_queries_with_a_gate_name_are_in_qc() -> None:
    gates = [p for p in QUERY_FILES if p.stem.endswith("-violation")]
    assert gates
    assert all(p.parent.name == "qc" for p in gates)
    assert all(p.stem.endswith("-violation") for p in (QUERIES_DIR / "qc").glob("*.rq"))


def test_every_sparql_text_in_the_shapes_parses(shapes: Graph) -> None:
    from rdflib.namespace import SH

    texts = [str(o) for o in shapes.objects(None, SH.select)]
    assert texts
    for text in texts:
        prepareQuery(text)


def test_ontology_parses_and_is_an_owl_ontology(ontology: Graph) -> None:
    assert (URIRef(ONTOLOGY_NS.rstrip("#")), RDF.type, OWL.Ontology) in ontology


def _used_terms() -> dict[str, set[str]]:
    """tg: local names used in each shapes file and query (SPARQL texts inside shapes included)."""
    out: dict[str, set[str]] = {}
    for path in SHAPE_FILES + QUERY_FILES:
        text = path.read_text(encoding="utf-8")
        out[path.name] = set(TG_TERM.findall(text))
    return out


def test_every_tg_term_of_the_shapes_and_queries_is_declared(ontology: Graph) -> None:
    declared = {
        str(s)[len(ONTOLOGY_NS) :]
        for s, o in ontology.subject_objects(RDF.type)
        if str(s).startswith(ONTOLOGY_NS)
        and o in (OWL.Class, RDFS.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)
    }
    used = _used_terms()
    assert any(used.values())
    missing = {name: sorted(terms - declared) for name, terms in used.items() if terms - declared}
    assert not missing, f"tg: terms used but not declared in {ONTOLOGY_FILE.name}: {missing}"


def test_every_vocabulary_value_and_registry_the_shapes_name_exists(shapes: Graph, vocab: Graph) -> None:
    named = {o for o in shapes.all_nodes() if isinstance(o, URIRef)}
    concepts = {c for c in named if str(c).startswith(VOCAB_NS)}
    registries = {c for c in named if str(c).startswith(ID_NS + "registry/")}
    text = "".join(p.read_text(encoding="utf-8") for p in SHAPE_FILES)
    registries |= {URIRef(m) for m in re.findall(r"<(https://w3id\.org/trialgraph/id/registry/\w+)>", text)}
    assert concepts and registries
    assert sorted(c for c in concepts if (c, RDF.type, SKOS.Concept) not in vocab) == []
    registry_class = URIRef(ONTOLOGY_NS + "Registry")
    assert sorted(r for r in registries if (r, RDF.type, registry_class) not in vocab) == []
