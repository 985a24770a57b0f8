"""The SHACL shapes, shape by shape, on hand-written fixtures (``tests/shapes/<Shape>/``).

Every node shape has a ``conforms.ttl`` (no result from any shape at all) and a
``violates.ttl`` whose ``# expect:`` lines list the results the shape must give: focus, rule,
field, value and message, written by hand.  Both engines are held to them: plain pyshacl (one
run over all fixtures, each in a namespace of its own) and :mod:`graph.validate.fast`.  A last
test checks that the fixtures exercise every property shape of ``shapes/``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
import rdflib
from rdflib import RDF, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import SH
from rdflib.term import Node

from graph.constants import SHAPES_DIR, VOCAB_NS
from graph.normalize.registry_ids import REGISTRIES
from graph.normalize.vocab import ENUMS
from graph.validate.fast.records import validate_records
from graph.validate.plain import pyshacl_findings, stored_term, validate_graph
from graph.validate.report import Finding
from graph.validate.shapes import shapes_graph

FIXTURES = Path(__file__).resolve().parent / "shapes"
TSH = "https://w3id.org/trialgraph/shapes#"
TEST_NS = "https://w3id.org/trialgraph/id/test/"
SHAPES = shapes_graph()

#: A result as the fixtures state it.
Row = tuple[str, str, str, str, str]  # focus, rule, field, value, message


@dataclass
class Fixture:
    shape: str
    kind: str  # conforms | violates
    graph: Graph
    expected: set[Row]

    @property
    def key(self) -> str:
        return f"{self.shape}/{self.kind}"

    @property
    def prefixes(self) -> set[str]:
        """The node shapes whose results this fixture is about."""
        return {self.shape} | {row[1].split("/")[0] for row in self.expected}


def node_shapes() -> list[str]:
    return sorted(str(s)[len(TSH) :] for s in SHAPES.subjects(RDF.type, SH.NodeShape) if str(s).startswith(TSH))


def load(shape: str, kind: str) -> Fixture:
    """A fixture, parsed with ``x:`` moved into a namespace of its own, and its expectations."""
    path = FIXTURES / shape / f"{kind}.ttl"
    namespace = f"{TEST_NS}{shape}/{kind}/"
    text = path.read_text(encoding="utf-8").replace(f"<{TEST_NS}>", f"<{namespace}>")
    g = Graph().parse(data=text, format="turtle")
    expected: set[Row] = set()
    for line in text.splitlines():
        m = re.match(r"#\s*expect:\s*(.*)$", line)
        if not m:
            continue
        parts = [p.strip() for p in m.group(1).split("|")]
        assert len(parts) == 5, f"{path}: bad expect line {line!r}"
        focus, rule, field, value, message = parts
        expected.add((expand(g, focus), rule, field, expand(g, value), message))
    return Fixture(shape, kind, g, expected)


def expand(g: Graph, text: str) -> str:
    """``x:bad`` -> the full IRI, when ``x`` is a prefix the fixture declares."""
    m = re.fullmatch(r"([A-Za-z][\w-]*):([\w.-]+)", text)
    if m:
        ns = dict(g.namespaces()).get(m.group(1))
        if ns is not None:
            return str(ns) + m.group(2)
    return text


def rows(findings: list[tuple[Node, Finding]] | list[Finding], fixture: Fixture) -> set[Row]:
    out = set()
    for item in findings:
        f = item[1] if isinstance(item, tuple) else item
        if fixture.kind == "violates" and f.rule.split("/")[0] not in fixture.prefixes:
            continue
        out.add((f.focus, f.rule, f.field, f.value, f.message))
    return out


ALL = [(s, k) for s in node_shapes() for k in ("conforms", "violates")]


@pytest.fixture(scope="module")
def fixtures() -> dict[str, Fixture]:
    return {f"{s}/{k}": load(s, k) for s, k in ALL}


@pytest.fixture(scope="module")
def plain(fixtures: dict[str, Fixture]) -> dict[str, list[tuple[Node, Finding]]]:
    """Plain pyshacl, once over all fixtures (their nodes do not overlap), results per fixture."""
    union = Graph()
    owner: dict[Node, str] = {}
    for key, fx in fixtures.items():
        for s, p, o in fx.graph:
            union.add((s, p, o))
            owner.setdefault(s, key)
            if not isinstance(o, Literal):
                owner.setdefault(o, key)
    out: dict[str, list[tuple[Node, Finding]]] = defaultdict(list)
    for focus, finding in pyshacl_findings(union, SHAPES):
        out[owner.get(focus, "?")].append((focus, finding))
    return out


@pytest.fixture(scope="module")
def fast(fixtures: dict[str, Fixture]) -> dict[str, list[Finding]]:
    issues = validate_records({k: fx.graph for k, fx in fixtures.items()}, shapes=SHAPES, workers=1)
    return {
        k: [Finding(i.severity, i.field, i.value, i.rule, i.message, i.focus) for i in v] for k, v in issues.items()
    }


def test_every_node_shape_has_both_fixtures() -> None:
    folders = sorted(p.name for p in FIXTURES.iterdir() if p.is_dir())
    assert folders == node_shapes()
    for shape in folders:
        assert (FIXTURES / shape / "conforms.ttl").is_file(), shape
        assert (FIXTURES / shape / "violates.ttl").is_file(), shape


@pytest.mark.parametrize(("shape", "kind"), ALL, ids=[f"{s}-{k}" for s, k in ALL])
def test_fixture_outcome(
    shape: str,
    kind: str,
    fixtures: dict[str, Fixture],
    plain: dict[str, list[tuple[Node, Finding]]],
    fast: dict[str, list[Finding]],
) -> None:
    fx = fixtures[f"{shape}/{kind}"]
    if kind == "conforms":
        assert fx.expected == set()
        assert rows(plain.get(fx.key, []), fx) == set(), "plain pyshacl reports a conforming fixture"
        assert rows(fast[fx.key], fx) == set(), "the fast engine reports a conforming fixture"
    else:
        assert fx.expected, f"{fx.key} states no expected result"
        assert rows(plain.get(fx.key, []), fx) == fx.expected
        assert rows(fast[fx.key], fx) == fx.expected


def test_fixtures_exercise_every_property_shape(fixtures: dict[str, Fixture]) -> None:
    """Each property shape's message, under its node shape and field, is expected somewhere."""
    expected = {(r[1].split("/")[0], r[2], r[4]) for fx in fixtures.values() for r in fx.expected}
    missing = []
    for parent, ps in SHAPES.subject_objects(SH.property):
        node = str(parent)[len(TSH) :]
        if is_helper(parent):
            # used through sh:node: its results are reported in its users' names, and those
            # users' property shapes are covered below
            assert any(SHAPES.subjects(SH.node, parent)), f"{node} is neither targeted nor used"
            continue
        field = str(SHAPES.value(ps, SH.name))
        message = str(SHAPES.value(ps, SH.message))
        if "{?" in message:  # SPARQL messages are filled in: compare their fixed start
            hit = any(n == node and f == field and m.startswith(message.split("{")[0]) for n, f, m in expected)
        else:
            hit = (node, field, message) in expected
        if not hit:
            missing.append(f"{node} {field}: {message}")
    assert not missing, "property shapes no violates fixture exercises:\n" + "\n".join(missing)


# -- the shapes files themselves ---------------------------------------------------------------

TARGETS = (SH.targetClass, SH.targetNode, SH.targetObjectsOf, SH.targetSubjectsOf, SH.target)


def is_helper(shape: Node) -> bool:
    """A node shape with no target of its own, used by others through ``sh:node``."""
    return not any(SHAPES.value(shape, p) is not None for p in TARGETS)


def property_shapes() -> list[URIRef]:
    return sorted({ps for _n, ps in SHAPES.subject_objects(SH.property)})  # type: ignore[type-var]


def test_every_constraint_has_a_name_a_severity_and_a_message() -> None:
    for ps in property_shapes():
        assert SHAPES.value(ps, SH.name) is not None, f"{ps} has no sh:name"
        assert SHAPES.value(ps, SH.severity) in (SH.Violation, SH.Warning, SH.Info), f"{ps} has no sh:severity"
        assert SHAPES.value(ps, SH.message) is not None, f"{ps} has no sh:message"
    for constraint in SHAPES.objects(None, SH.sparql):
        assert SHAPES.value(constraint, SH.message) is not None, f"{constraint} has no sh:message"
    for node in SHAPES.subjects(RDF.type, SH.NodeShape):
        assert SHAPES.value(node, SH.property) is not None or SHAPES.value(node, SH.sparql) is not None, node


#: Controlled-value properties and their vocabulary, written out here (not read from the code).
SCHEME_OF = {
    "status": "status",
    "lastKnownStatus": "status",
    "siteStatus": "status",
    "countryStatus": "status",
    "phase": "phase",
    "studyType": "study-type",
    "allocation": "allocation",
    "interventionModel": "intervention-model",
    "primaryPurpose": "primary-purpose",
    "masking": "masking",
    "sex": "sex",
    "enrollmentType": "enrollment-type",
    "startDateType": "date-type",
    "primaryCompletionDateType": "date-type",
    "completionDateType": "date-type",
    "role": "role",
    "officialRole": "official-role",
    "agencyClass": "agency-class",
    "interventionType": "intervention-type",
    "cellOrigin": "cell-origin",
    "armType": "arm-type",
    "outcomeKind": "outcome-kind",
}


def test_vocabulary_lists_match_the_enumerations() -> None:
    """Every ``sh:in`` of concept IRIs holds exactly the scheme's values (the COMPLETED rule
    allows ACTUAL only, on purpose)."""
    checked = set()
    for ps in property_shapes():
        lst = SHAPES.value(ps, SH["in"])
        if lst is None:
            continue
        members = list(Collection(SHAPES, lst))
        if not all(str(m).startswith(VOCAB_NS) for m in members):
            continue
        local = str(SHAPES.value(ps, SH.path)).rsplit("#", 1)[-1]
        scheme = SCHEME_OF[local]
        got = {str(m)[len(VOCAB_NS) :] for m in members}
        if str(ps).endswith("CompletedTrial-completionDateType-in"):
            assert got == {"date-type/ACTUAL"}
        else:
            assert got == {f"{scheme}/{v}" for v in ENUMS[scheme]}, ps
        checked.add(local)
    assert checked == set(SCHEME_OF)


def test_registry_patterns_match_normalize_and_their_examples() -> None:
    """One shape per registry with an id pattern; its pattern is the one identity uses, and the
    example in its message matches it."""
    found = {}
    for shape in SHAPES.subjects(RDF.type, SH.NodeShape):
        if not str(shape).endswith("IdShape"):
            continue
        ps = SHAPES.value(shape, SH.property)
        target = SHAPES.value(shape, SH.target)
        select = str(SHAPES.value(target, SH.select))
        key = re.search(r"/registry/(\w+)>", select).group(1).upper()  # type: ignore[union-attr]
        pattern = str(SHAPES.value(ps, SH.pattern))
        found[key] = pattern
        example = re.search(r"e\.g\. (\S+?)\.$", str(SHAPES.value(ps, SH.message))).group(1)  # type: ignore[union-attr]
        assert re.search(pattern, example), f"{shape}: the example {example} does not match {pattern}"
    assert found == {k: p for k, (_label, p) in REGISTRIES.items() if p is not None}


def test_shapes_files_are_one_concern_each() -> None:
    assert sorted(p.name for p in SHAPES_DIR.glob("*.ttl")) == [
        "arm.ttl",
        "condition.ttl",
        "dates.ttl",
        "identifier.ttl",
        "intervention.ttl",
        "organization.ttl",
        "outcome.ttl",
        "provenance.ttl",
        "site.ttl",
        "trial.ttl",
    ]


# -- regressions --------------------------------------------------------------------------------


def _source_record(kind: Literal) -> Graph:
    g = Graph()
    rec = URIRef(f"{TEST_NS}record")
    trial = URIRef(f"{TEST_NS}trial")
    tg = "https://w3id.org/trialgraph/ontology#"
    g.add((rec, RDF.type, URIRef(tg + "SourceRecord")))
    g.add((rec, URIRef(tg + "sourceRecord"), trial))
    g.add((trial, RDF.type, URIRef(tg + "Trial")))
    g.add((rec, URIRef(tg + "sourceKind"), kind))
    g.add((rec, URIRef(tg + "sourceFile"), Literal("a.json")))
    g.add((rec, URIRef(tg + "recordId"), Literal("a")))
    g.add(
        (
            rec,
            URIRef("http://www.w3.org/ns/prov#generatedAtTime"),
            Literal("2026-01-01T00:00:00", datatype=rdflib.XSD.dateTime),
        )
    )
    return g


def test_xsd_string_trap_with_sh_in() -> None:
    """``"ctgov"^^xsd:string`` is the same RDF term as ``"ctgov"``, but rdflib compares them as
    different, so plain pyshacl's ``sh:in ("curated" "ctgov" "ictrp")`` rejects it (an RDF store
    that types every string, as oxrdflib does, trips on it).  trialgraph validates the stored
    form, where both are the plain literal."""
    import pyshacl

    typed = _source_record(Literal("ctgov", datatype=rdflib.XSD.string))
    _c, results, _t = pyshacl.validate(typed, shacl_graph=SHAPES, advanced=True, allow_warnings=True, allow_infos=True)
    raw_in = [r for r in results.subjects(SH.sourceConstraintComponent, SH.InConstraintComponent)]  # type: ignore[union-attr]
    assert len(raw_in) == 1, "the trap itself: pyshacl alone rejects the typed string"
    assert stored_term(Literal("ctgov", datatype=rdflib.XSD.string)) == Literal("ctgov")
    for issues in (validate_graph(typed, SHAPES), validate_records({"r": typed}, shapes=SHAPES, workers=1)["r"]):
        assert [i for i in issues if i.rule == "SourceRecordShape/In"] == []
    wrong = validate_graph(_source_record(Literal("registry")), SHAPES)
    assert [(i.rule, i.value) for i in wrong if i.rule == "SourceRecordShape/In"] == [
        ("SourceRecordShape/In", "registry")
    ]


def test_float_coordinates_validate_as_the_store_keeps_them() -> None:
    """rdf.py makes coordinates from Python floats with datatype xsd:decimal; rdflib then holds a
    float, and plain pyshacl rejects it as no decimal.  The store keeps "45.18"^^xsd:decimal,
    which is valid: validation sees that stored form, so no record is quarantined for it."""
    tg = "https://w3id.org/trialgraph/ontology#"
    site = URIRef(f"{TEST_NS}site")
    g = Graph()
    g.add((site, RDF.type, URIRef(tg + "Site")))
    g.add((site, URIRef("http://www.w3.org/2000/01/rdf-schema#label"), Literal("A site")))
    g.add((site, URIRef(tg + "city"), Literal("Grenoble")))
    g.add((site, URIRef(tg + "latitude"), Literal(45.18, datatype=rdflib.XSD.decimal)))
    country = URIRef(f"{TEST_NS}fr")
    g.add((site, URIRef(tg + "country"), country))
    g.add((country, RDF.type, URIRef(tg + "Country")))
    g.add((country, URIRef(tg + "alpha2"), Literal("FR")))
    g.add((country, URIRef(tg + "alpha3"), Literal("FRA")))
    assert validate_graph(g, SHAPES) == []
    assert validate_records({"s": g}, shapes=SHAPES, workers=1)["s"] == []
