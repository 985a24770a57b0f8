"""``trialgraph validate`` and the two engines behind it.

- The fast engine (:mod:`graph.validate.fast`) gives the same issues as plain pyshacl on the real
  registry files: record by record, over the union of records, and over a built store (in
  parallel, in small chunks, so the cross-record correction and the worker processes run).
- Cross-record checks: two records of one trial that disagree are caught only on their union.
- A curated record with three mistakes: one report entry per mistake, naming trial and field, in
  every format; JUnit XML that a JUnit parser reads; exit codes 0, 1 and 2.

Expected values come from the inputs: the file names in ``../shared/data/ctgov-v2`` (16 trials),
and the records written in this file.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.term import Node

from graph import rdf, sources
from graph.cli import main
from graph.errors import RecordError
from graph.model import Identifier, Organization, PartialDate, Participation, TrialRecord
from graph.namespace import TG
from graph.pipeline.assign import assign_identity
from graph.store.layout import asserted_graph_names
from graph.store.local import OxigraphStore
from graph.validate.check import _plain, check_store
from graph.validate.fast.correct import ChunkFold
from graph.validate.fast.kept import ChunkOut, Digests, Kept
from graph.validate.fast.records import validate_records
from graph.validate.fast.terms import text_term
from graph.validate.fast.union import validate_store, validate_union
from graph.validate.gates import gate_issues
from graph.validate.plain import validate_graph, validate_units_plain
from graph.validate.render import RENDERERS, render, render_github, render_json, render_junit, render_text
from graph.validate.report import Finding, Issue, Report
from graph.validate.shapes import shapes_graph

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
CTGOV = SHARED_DATA / "ctgov-v2"
ICTRP = SHARED_DATA / "ictrp" / "ictrp-export-sample.xml"
SEED = Path(__file__).resolve().parents[1] / "data"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "validation.md"
SHAPES = shapes_graph()


def read(*paths: Path) -> list[TrialRecord]:
    out = []
    for item in sources.read_all(list(paths)):
        assert not isinstance(item, RecordError), str(item)
        out.append(item)
    return out


def graphs(records: list[TrialRecord]) -> dict[str, Graph]:
    """Record graphs with the identity a build gives them (records of one trial share its IRI)."""
    preferred, _evidence, _conflicts = assign_identity(records, {})
    return {f"{r.source}/{r.record_id}": rdf.record_graph(r, preferred[f"{r.source}/{r.record_id}"]) for r in records}


# -- the fast engine gives plain pyshacl's results -----------------------------------------------


def test_store_validation_matches_plain_pyshacl_on_ctgov(ctgov_store: OxigraphStore) -> None:
    """All of ../shared/data/ctgov-v2 as built, in chunks of 4 records on 2 worker processes."""
    fast = validate_store(ctgov_store, shapes=SHAPES, workers=2, chunk_size=4)
    plain, trials = _plain(ctgov_store, SHAPES)
    assert fast.issues == plain
    assert fast.issues, "the real files do have warnings (conditions without MeSH)"
    # 14 single-study files and 2 API pages of one study each
    assert len(fast.trials) == len(trials) == 16
    assert fast.records == len(asserted_graph_names(ctgov_store)) == 16


def test_store_validation_matches_plain_pyshacl_on_the_seed_trials(seed_store: OxigraphStore) -> None:
    fast = validate_store(seed_store, shapes=SHAPES, workers=1, chunk_size=2)
    plain, _trials = _plain(seed_store, SHAPES)
    assert fast.issues == plain


def test_union_of_registry_records_matches_plain_pyshacl() -> None:
    """The EU Clinical Trials Register records of the ICTRP export, and the seed records.  The
    export holds trial 2021-000037-14 as five member-state records (ES, PL, PT, HU, DK) with
    different start dates, so nodes that records describe differently exist and the
    cross-record correction runs."""
    records = [r for r in read(ICTRP) if r.record_id.startswith("EUCTR")] + read(SEED)
    units = graphs(records)
    fast = validate_union(units, shapes=SHAPES, workers=2, chunk_size=1)  # each record alone, then corrected
    assert fast.divergent_nodes > 0
    assert fast.issues == validate_units_plain(units, SHAPES)


def test_records_one_by_one_match_plain_pyshacl() -> None:
    records = read(ICTRP)[:6] + read(CTGOV / "NCT00763412.json", CTGOV / "NCT06171568.json", SEED / "resstore.yaml")
    units = graphs(records)
    fast = validate_records(units, shapes=SHAPES, workers=2)
    assert sorted(fast) == sorted(units)
    for key, g in units.items():
        assert fast[key] == validate_graph(g, SHAPES), key
    assert validate_records(units, shapes=SHAPES, workers=1) == fast


def test_records_given_as_triples_match_records_given_as_graphs() -> None:
    """An importer may hand over plain triples instead of rdflib graphs: a list, or a generator
    that repeats a triple (counted once, as a graph would)."""
    records = read(CTGOV / "NCT00763412.json", SEED / "resstore.yaml")
    units = graphs(records)
    as_graphs = validate_records(units, shapes=SHAPES, workers=1)
    as_lists = validate_records({k: list(g) for k, g in units.items()}, shapes=SHAPES, workers=1)

    def twice(g: Graph) -> Iterator[tuple[Node, Node, Node]]:
        yield from g
        yield from g

    as_generators = validate_records({k: twice(g) for k, g in units.items()}, shapes=SHAPES, workers=1)
    assert as_lists == as_generators == as_graphs
    assert any(as_graphs.values()), "the two records do have warnings to compare"


def test_text_terms_read_back_as_the_store_gives_them() -> None:
    """The store engine reads Oxigraph's SPARQL TSV: N-Triples terms, except that canonical
    booleans and numbers come bare (Turtle's short forms)."""
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert text_term("31") == Literal("31", datatype=URIRef(xsd + "integer"))
    assert text_term("-4.50") == Literal("-4.50", datatype=URIRef(xsd + "decimal"))
    assert text_term("1.5E3") == Literal("1.5E3", datatype=URIRef(xsd + "double"))
    assert text_term("false") == Literal("false", datatype=URIRef(xsd + "boolean"))
    assert text_term('"a\\"b\\nc\\\\d"@en') == Literal('a"b\nc\\d', lang="en")
    assert text_term(f'"x"^^<{xsd}string>') == Literal("x")  # a plain literal, as from_ox gives
    assert text_term(f'"2020-02"^^<{xsd}gYearMonth>') == Literal("2020-02", datatype=URIRef(xsd + "gYearMonth"))
    assert text_term("_:b7") == BNode("b7")
    assert text_term("<https://example.org/a%20b>") == URIRef("https://example.org/a%20b")


def test_text_terms_of_a_real_record_equal_the_decoded_quads() -> None:
    """Every term of a real record (titles with quotes and accents, dates, integers, booleans)
    read from TSV equals the term decoded from the store's own quads."""
    import pyoxigraph as ox

    from graph.store.terms import from_ox, graph_quads

    name = URIRef("urn:x-test:record")
    g = next(iter(graphs(read(CTGOV / "NCT02552212.json", SEED / "resstore.yaml")).values()))
    db = ox.Store()
    db.extend(graph_quads(g, name))
    expected = {
        tuple(from_ox(t) for t in (q.subject, q.predicate, q.object)) for q in db.quads_for_pattern(None, None, None)
    }
    solutions = db.query("SELECT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert isinstance(solutions, ox.QuerySolutions)
    tsv = bytes(solutions.serialize(format=ox.QueryResultsFormat.TSV) or b"")
    rows = [line.split("\t") for line in tsv.decode("utf-8").split("\n")[1:] if line]
    assert {tuple(text_term(t) for t in row) for row in rows} == expected
    assert len(rows) == len(g)


# -- cross-record checks -----------------------------------------------------------------------


def _record(source: str, sponsor: str, **fields: object) -> TrialRecord:
    return TrialRecord(
        source=source,
        record_id=f"{source}-NCT02849613",
        source_file=f"{source}.json",
        identifiers=[Identifier("NCT", "NCT02849613")],
        title="One trial, two records",
        participations=[Participation(Organization(sponsor), "LEAD_SPONSOR")],
        **fields,  # type: ignore[arg-type]
    )


def test_records_that_disagree_are_caught_on_their_union() -> None:
    """Each record is fine alone; together the trial starts after it completes and is COMPLETED
    with an estimated completion date.  It also names two lead sponsors: a warning, since the
    records of different registers may (a national registration names its local sponsor)."""
    a = _record("curated", "Org A", status="COMPLETED", start_date=PartialDate("2019-05", "month", "ACTUAL"))
    b = _record("ctgov", "Org B", completion_date=PartialDate("2018-12", "month", "ESTIMATED"))
    units = graphs([a, b])
    alone = validate_records(units, shapes=SHAPES, workers=1)
    assert [i for issues in alone.values() for i in issues if i.severity == "violation"] == []

    union = validate_union(units, shapes=SHAPES, workers=1, chunk_size=1)  # one record per chunk
    violations = {(i.rule, i.field, i.value, i.source) for i in union.issues if i.severity == "violation"}
    assert violations == {
        (rule, field, value, source)
        for rule, field, value in [
            ("DateOrderShape/SPARQL", "start date", "2019-05"),
            ("CompletedTrialShape/In", "completion date type", "https://w3id.org/trialgraph/vocab/date-type/ESTIMATED"),
        ]
        for source in ("curated.json", "ctgov.json")
    }
    assert {i.trial for i in union.issues if i.severity == "violation"} == {"NCT02849613"}
    assert {(i.severity, i.source) for i in union.issues if i.field == "lead sponsor"} == {
        ("warning", "curated.json"),
        ("warning", "ctgov.json"),
    }
    assert union.issues == validate_units_plain(units, SHAPES)
    order = next(i for i in union.issues if i.rule == "DateOrderShape/SPARQL")
    assert (
        order.message
        == "The trial starts (2019-05) after it completes (2018-12); correct the start or the completion date."
    )


def test_a_registry_id_shared_by_two_trials_is_a_gate_violation() -> None:
    store = OxigraphStore(None)
    one = TrialRecord(
        "curated", "one", "one.yaml", [Identifier("NCT", "NCT00000001"), Identifier("EUDRACT", "2016-001902-40")]
    )
    two = TrialRecord(
        "curated", "two", "two.yaml", [Identifier("NCT", "NCT00000002"), Identifier("EUDRACT", "2016-001902-40")]
    )
    grant = [Identifier("NIH_GRANT", "U10CA180821")]
    three = TrialRecord("curated", "three", "three.yaml", [Identifier("NCT", "NCT00000003"), *grant])
    four = TrialRecord("curated", "four", "four.yaml", [Identifier("NCT", "NCT00000004"), *grant])
    with store.write() as w:
        for r in (one, two, three, four):
            w.replace_graph(URIRef(f"https://w3id.org/trialgraph/graph/curated/{r.record_id}"), rdf.record_graph(r))
    shared = [i for i in gate_issues(store) if i.rule == "qc/shared-registry-id-violation"]
    # one row (the pair), reported under both of its trials; the shared grant number is no gate
    assert {(i.trial, i.source, i.severity) for i in shared} == {
        ("NCT00000001", "one.yaml", "violation"),
        ("NCT00000002", "two.yaml", "violation"),
    }
    assert all("identifier=2016-001902-40" in i.value for i in shared)
    # the whole validation runs the gates beside the shapes, and reports the same rows
    report, _trials = check_store(store)
    assert {(i.trial, i.rule) for i in report.issues if i.rule.startswith("qc/")} == {
        ("NCT00000001", "qc/shared-registry-id-violation"),
        ("NCT00000002", "qc/shared-registry-id-violation"),
    }


def test_a_participation_no_trial_links_to_is_a_gate_violation(seed_store: OxigraphStore) -> None:
    """A participation left behind (typed, with its agent and role, but no trial's link to it)
    is reported; the participations the seed record links to are not."""
    store = OxigraphStore(None)
    record = TrialRecord("curated", "one", "one.yaml", [Identifier("NCT", "NCT00000001")])
    graph = rdf.record_graph(record)
    left = URIRef("https://w3id.org/trialgraph/id/participation/left-behind")
    graph.add((left, RDF.type, TG.Participation))
    graph.add((left, TG.agent, URIRef("https://w3id.org/trialgraph/id/org/somebody")))
    with store.write() as w:
        w.replace_graph(URIRef("https://w3id.org/trialgraph/graph/curated/one"), graph)
    found = [i for i in gate_issues(store) if i.rule == "qc/unlinked-participation-violation"]
    assert len(found) == 1 and str(left) in found[0].value
    assert gate_issues(seed_store) == []


def _one_record_store(extra: list[tuple[Node, Node, Node]]) -> OxigraphStore:
    """A store of one curated record (NCT00000001) with ``extra`` triples in its graph."""
    store = OxigraphStore(None)
    graph = rdf.record_graph(TrialRecord("curated", "one", "one.yaml", [Identifier("NCT", "NCT00000001")]))
    for triple in extra:
        graph.add(triple)
    with store.write() as w:
        w.replace_graph(URIRef("https://w3id.org/trialgraph/graph/curated/one"), graph)
    return store


def test_a_participation_without_its_agent_or_its_role_is_a_gate_violation() -> None:
    """Two participations the trial links to: one has a role and no agent, the other an agent and
    no role; each is one row, named with what it misses."""
    trial = URIRef("https://w3id.org/trialgraph/id/trial/NCT00000001")
    no_agent = URIRef("https://w3id.org/trialgraph/id/participation/no-agent")
    no_role = URIRef("https://w3id.org/trialgraph/id/participation/no-role")
    store = _one_record_store(
        [
            (no_agent, RDF.type, TG.Participation),
            (no_agent, TG.role, URIRef("https://w3id.org/trialgraph/id/role/lead_sponsor")),
            (trial, TG.leadSponsorParticipation, no_agent),
            (no_role, RDF.type, TG.Participation),
            (no_role, TG.agent, URIRef("https://w3id.org/trialgraph/id/org/somebody")),
            (trial, TG.collaboratorParticipation, no_role),
        ]
    )
    found = sorted(i.value for i in gate_issues(store) if i.rule == "qc/orphan-participation-violation")
    assert found == [f"participation={no_agent}, missing=agent", f"participation={no_role}, missing=role"]


def test_a_trial_no_record_names_as_its_source_is_a_gate_violation() -> None:
    """A second trial node, typed but without the ``tg:sourceRecord`` link a record gives its own
    trial, is reported; the record's own trial is not."""
    stray = URIRef("https://w3id.org/trialgraph/id/trial/NCT00000009")
    store = _one_record_store([(stray, RDF.type, TG.Trial)])
    found = [i for i in gate_issues(store) if i.rule == "qc/trial-without-source-violation"]
    assert [i.value for i in found] == [f"trial={stray}"]


# -- a curated record with three mistakes ---------------------------------------------------------

BAD_RECORD = """\
identifiers:
  - {registry: NCT, value: NCT123}
title: A trial with three mistakes
enrollment: -5
start_date: "2019-05"
completion_date: "2018-12"
"""

THREE = {
    ("id", "NCT123", "NctIdShape/Pattern", "An NCT number is 'NCT' followed by 8 digits, e.g. NCT02849613."),
    (
        "enrollment",
        "-5",
        "TrialShape/MinInclusive",
        "Enrolment is a number of participants: a whole number, 0 or more.",
    ),
    (
        "start date",
        "2019-05",
        "DateOrderShape/SPARQL",
        "The trial starts (2019-05) after it completes (2018-12); correct the start or the completion date.",
    ),
}


@pytest.fixture(scope="module")
def bad_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A store built from the one bad record (read-only use)."""
    tmp = tmp_path_factory.mktemp("bad")
    folder = tmp / "records"
    folder.mkdir()
    (folder / "bad-trial.yaml").write_text(BAD_RECORD, encoding="utf-8")
    store = tmp / "store"
    result = CliRunner().invoke(main, ["build", str(folder), "--store", str(store), "--quiet"])
    assert result.exit_code == 1, result.output  # quarantined
    return folder, store


def test_three_mistakes_are_three_entries_naming_trial_and_field(bad_store: tuple[Path, Path]) -> None:
    folder, store = bad_store
    result = CliRunner().invoke(main, ["validate", "--store", str(store), "--format", "json"])
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["summary"]["violation"] == 3
    assert doc["summary"]["quarantined"] == 1
    entries = doc["trials"]["NCT123"]
    assert {(e["field"], e["value"], e["rule"], e["message"]) for e in entries} == THREE
    assert len(entries) == 3
    assert {e["source"] for e in entries} == {str(folder / "bad-trial.yaml")}
    assert doc["quarantined"] == [{"record": "curated/bad-trial", "file": str(folder / "bad-trial.yaml")}]


def test_the_same_mistakes_found_by_the_engines_directly() -> None:
    record = TrialRecord(
        "curated",
        "bad-trial",
        "bad-trial.yaml",
        [Identifier("NCT", "NCT123")],
        title="A trial with three mistakes",
        enrollment=-5,
        start_date=PartialDate("2019-05", "month"),
        completion_date=PartialDate("2018-12", "month"),
    )
    g = rdf.record_graph(record)
    for issues in (validate_graph(g, SHAPES), validate_records({"r": g}, shapes=SHAPES)["r"]):
        violations = [i for i in issues if i.severity == "violation"]
        assert {(i.field, i.value, i.rule, i.message) for i in violations} == THREE
        assert {(i.trial, i.source) for i in violations} == {("NCT123", "bad-trial.yaml")}


def test_text_report_reads_without_shacl(bad_store: tuple[Path, Path]) -> None:
    folder, store = bad_store
    result = CliRunner().invoke(main, ["validate", "--store", str(store)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    source = str(folder / "bad-trial.yaml")
    assert (
        "violation NCT123: id = NCT123: An NCT number is 'NCT' followed by 8 digits, e.g. NCT02849613. "
        f"[NctIdShape/Pattern] ({source})" in lines
    )
    assert "\x1b[" not in result.output  # not a terminal: no colour
    assert lines[-1] == "0 trials checked: 3 violations, 0 warnings, 0 infos; 1 records quarantined"


def test_junit_report_has_the_trial_as_test_case(bad_store: tuple[Path, Path], tmp_path: Path) -> None:
    _folder, store = bad_store
    out = tmp_path / "report.xml"
    result = CliRunner().invoke(main, ["validate", "--store", str(store), "--format", "junit", "-o", str(out)])
    assert result.exit_code == 1
    try:
        from junitparser import Failure, JUnitXml
    except ImportError:  # pragma: no cover - junitparser is a test dependency
        from xml.etree import ElementTree as ET

        root = ET.parse(out).getroot()
        assert root.tag == "testsuites"
        cases = root.findall("./testsuite/testcase")
        assert [c.get("name") for c in cases] == ["NCT123"]
        assert cases[0].find("failure") is not None
        return
    xml = JUnitXml.fromfile(str(out))
    cases = [case for suite in xml for case in suite]
    assert [case.name for case in cases] == ["NCT123"]
    (failure,) = [r for r in cases[0].result if isinstance(r, Failure)]
    assert failure.type == "violation"
    assert failure.text.count("\n") == 2  # three problems, one per line
    assert "NCT123: enrollment = -5: Enrolment is a number of participants" in failure.text


def test_quarantine_listing(bad_store: tuple[Path, Path]) -> None:
    folder, store = bad_store
    result = CliRunner().invoke(main, ["validate", "--store", str(store), "--quarantine", "--format", "json"])
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["quarantined"] == [{"record": "curated/bad-trial", "file": str(folder / "bad-trial.yaml")}]
    assert set(doc["trials"]) == {"NCT123"}


# -- options and exit codes ----------------------------------------------------------------------


def test_fail_on_moves_the_line(seed_store: OxigraphStore) -> None:
    """The seed trials have warnings (conditions without MeSH) and infos, no violation."""
    runner = CliRunner()
    store = str(seed_store.location)
    assert runner.invoke(main, ["validate", "--store", store]).exit_code == 0
    assert runner.invoke(main, ["validate", "--store", store, "--fail-on", "warning"]).exit_code == 1
    assert runner.invoke(main, ["validate", "--store", store, "--fail-on", "info"]).exit_code == 1


def test_bad_input_exits_2(tmp_path: Path, seed_store: OxigraphStore) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["validate", "--store", str(tmp_path / "nothing")]).exit_code == 2
    broken = tmp_path / "broken.ttl"
    broken.write_text("this is not turtle", encoding="utf-8")
    result = runner.invoke(main, ["validate", "--store", str(seed_store.location), "--shapes", str(broken)])
    assert result.exit_code == 2
    assert "broken.ttl" in result.output
    assert runner.invoke(main, ["validate", "--store", str(seed_store.location), "--format", "yaml"]).exit_code == 2


EXTRA = """\
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix tg: <https://w3id.org/trialgraph/ontology#> .
@prefix ex: <https://example.org/shapes#> .
ex:AcronymShape a sh:NodeShape ;
    sh:targetClass tg:Trial ;
    sh:property [ sh:path tg:acronym ; sh:minCount 1 ; sh:severity sh:Info ; sh:name "acronym" ;
                  sh:message "Our network wants an acronym for every trial." ] .
ex:SiteCityShape a sh:NodeShape ;
    sh:targetClass tg:Trial ;
    sh:property [ sh:path ( tg:site tg:city ) ; sh:minCount 1 ; sh:severity sh:Warning ; sh:name "site city" ;
                  sh:message "At least one site names its city." ] .
"""


def test_extra_shapes_are_added_and_complex_ones_fall_back_to_pyshacl(
    tmp_path: Path, seed_store: OxigraphStore
) -> None:
    """``--shapes DIR`` adds shapes.  The second one uses a path of two steps, which the fast
    engine leaves to plain pyshacl; the report is the same either way."""
    folder = tmp_path / "shapes"
    folder.mkdir()
    (folder / "network.ttl").write_text(EXTRA, encoding="utf-8")
    fast, trials = check_store(seed_store, extra_shapes=[folder])
    plain, _ = check_store(seed_store, extra_shapes=[folder], engine="plain")
    assert fast.issues == plain.issues
    acronym = {i.trial for i in fast.issues if i.rule == "AcronymShape/MinCount"}
    # data/: nct01849237.yaml (RuMCeSS) and resstore.yaml (RESSTORE) give an acronym
    assert acronym == {"NCT04445454", "NCT07635758", "NL-OMON47582"}
    # nl-omon47582.yaml and resstore.yaml (trial NCT02849613) list no site
    assert {i.trial for i in fast.issues if i.rule.startswith("SiteCityShape/")} == {"NL-OMON47582", "NCT02849613"}
    assert set(trials) >= acronym


# -- reports -------------------------------------------------------------------------------------

SAMPLE = Report(
    issues=[
        Issue(
            "violation",
            "NCT123",
            "id",
            "NCT123",
            "NctIdShape/Pattern",
            "An NCT number is 'NCT' followed by 8 digits, e.g. NCT02849613.",
            "https://w3id.org/trialgraph/id/identifier/nct/NCT123",
            "data/bad.yaml",
        ),
        Issue(
            "warning",
            "NCT123",
            "MeSH",
            "",
            "UnmappedConditionShape/MinCount",
            "The condition has no MeSH mapping.",
            "https://w3id.org/trialgraph/id/condition/stroke",
            "data/bad.yaml",
        ),
        Issue(
            "info",
            "NCT00000001",
            "sites",
            "",
            "TrialShape/MinCount",
            "The trial lists no sites.",
            "https://w3id.org/trialgraph/id/trial/NCT00000001",
            "",
        ),
    ],
    checked_trials=2,
)


def test_text_report_groups_by_trial_and_colours_only_terminals() -> None:
    plain = render_text(SAMPLE, colour=False)
    assert plain.splitlines() == [
        "info      NCT00000001: sites: The trial lists no sites. [TrialShape/MinCount]",
        "",
        "violation NCT123: id = NCT123: An NCT number is 'NCT' followed by 8 digits, e.g. NCT02849613. "
        "[NctIdShape/Pattern] (data/bad.yaml)",
        "warning   NCT123: MeSH of condition/stroke: The condition has no MeSH mapping. "
        "[UnmappedConditionShape/MinCount] (data/bad.yaml)",
        "",
        "2 trials checked: 1 violations, 1 warnings, 1 infos",
    ]
    assert "\x1b[31m" in render_text(SAMPLE, colour=True)  # red violations on a terminal


def test_json_report_is_the_documented_one() -> None:
    doc = json.loads(render_json(SAMPLE))
    assert list(doc) == ["version", "summary", "trials", "quarantined"]
    assert doc["summary"] == {"trials_checked": 2, "violation": 1, "warning": 1, "info": 1, "quarantined": 0}
    assert list(doc["trials"]) == ["NCT00000001", "NCT123"]
    assert list(doc["trials"]["NCT123"][0]) == [
        "severity",
        "trial",
        "field",
        "value",
        "rule",
        "message",
        "focus",
        "source",
    ]
    documented = re.search(r"```json\n(.*?)\n```", DOCS.read_text(encoding="utf-8"), re.S)
    assert documented is not None, "docs/validation.md shows a JSON example"
    example = json.loads(documented.group(1))
    assert list(example) == list(doc)
    assert list(example["summary"]) == list(doc["summary"])
    for items in example["trials"].values():
        for item in items:
            assert list(item) == list(doc["trials"]["NCT123"][0])


def test_junit_report_counts_failures_at_the_fail_on_level() -> None:
    from xml.etree import ElementTree as ET

    strict = ET.fromstring(render_junit(SAMPLE, fail_on="info").split("\n", 1)[1])
    assert strict.get("failures") == "2"
    default = ET.fromstring(render_junit(SAMPLE, trials=["NCT00000009"]).split("\n", 1)[1])
    names = [c.get("name") for c in default.iter("testcase")]
    assert names == ["NCT00000001", "NCT00000009", "NCT123"]
    assert default.get("failures") == "1"


def test_github_annotations() -> None:
    lines = render_github(SAMPLE).splitlines()
    assert lines[1] == (
        "::error file=data/bad.yaml,title=NCT123%3A id::NCT123: id = NCT123: An NCT number is 'NCT' "
        "followed by 8 digits, e.g. NCT02849613. [NctIdShape/Pattern] (data/bad.yaml)"
    )
    assert lines[0].startswith("::notice title=NCT00000001%3A sites::")
    assert lines[2].startswith("::warning file=data/bad.yaml,")


def test_report_formats_are_registered_by_name_and_listed_by_the_cli() -> None:
    """The four formats ``trialgraph validate --format`` had as a hand-written choice list, in its
    order; each name writes what its function writes, and an unknown name is refused."""
    from graph.commands.validate import validate as validate_command

    assert list(RENDERERS) == ["text", "json", "junit", "github"]
    choice = next(p for p in validate_command.params if p.name == "fmt").type
    assert list(choice.choices) == list(RENDERERS)  # type: ignore[attr-defined]
    assert render(SAMPLE, "text", colour=False) == render_text(SAMPLE, colour=False)
    assert render(SAMPLE, "json") == render_json(SAMPLE)
    assert render(SAMPLE, "junit", fail_on="info", trials=["NCT00000009"]) == render_junit(
        SAMPLE, ["NCT00000009"], "info"
    )
    assert render(SAMPLE, "github", fail_on="warning") == render_github(SAMPLE, "warning")
    with pytest.raises(ValueError, match="yaml"):
        render(SAMPLE, "yaml")


# -- the SPARQL helpers the fast engine relies on ------------------------------------------------


def test_one_pattern_targets_are_read_from_the_index() -> None:
    from graph.validate.fast.sparql import simple_target

    tg = "https://w3id.org/trialgraph/ontology#"
    nct = "https://w3id.org/trialgraph/id/registry/nct"
    text = f"PREFIX tg: <{tg}>\nSELECT ?this WHERE {{ ?this tg:registry <{nct}> }}"
    assert simple_target(text) == ("s", URIRef(tg + "registry"), URIRef(nct))
    assert simple_target(f"SELECT ?this WHERE {{ <{nct}> <{tg}p> ?this . }}") == ("o", URIRef(nct), URIRef(tg + "p"))
    assert simple_target(f"SELECT ?this WHERE {{ ?this <{tg}p> ?x }}") is None
    assert simple_target(f"SELECT ?this WHERE {{ ?this <{tg}p> <{nct}> . ?this <{tg}q> ?y }}") is None


def test_which_queries_may_run_over_all_graphs_at_once() -> None:
    from graph.validate.fast.sparql import query_predicates, this_free_is_safe

    tg = "https://w3id.org/trialgraph/ontology#"
    assert query_predicates(f"SELECT ?this WHERE {{ ?this <{tg}a>/<{tg}b> ?v }}") == {
        URIRef(tg + "a"),
        URIRef(tg + "b"),
    }
    assert query_predicates("SELECT ?this WHERE { ?this ?p ?v }") is None  # any predicate
    assert query_predicates(f"SELECT ?this WHERE {{ ?this <{tg}a>* ?v }}") is None  # reaches every node
    assert this_free_is_safe(f"SELECT $this ?v WHERE {{ $this <{tg}a> ?v FILTER(?v > 1) }}")
    assert not this_free_is_safe(f"SELECT $this WHERE {{ {{ SELECT ?x WHERE {{ $this <{tg}a> ?x }} }} }}")
    assert not this_free_is_safe(f"SELECT $this WHERE {{ OPTIONAL {{ $this <{tg}a> ?x }} }}")


# -- results kept per record version -------------------------------------------------------------


def test_kept_results_give_the_report_of_a_full_validation(
    ctgov_store: OxigraphStore, seed_store: OxigraphStore
) -> None:
    """A build keeps each record's validation results in the ledger; validating the store with
    them reads no record again and gives what reading every record gives (and plain pyshacl)."""
    for store in (ctgov_store, seed_store):
        kept = validate_store(store, shapes=SHAPES, workers=1, kept=True)
        full = validate_store(store, shapes=SHAPES, workers=1, kept=False)
        assert kept.issues == full.issues == _plain(store, SHAPES)[0]
        assert kept.trials == full.trials and kept.records == full.records
        assert kept.records_read == 0 and full.records_read == full.records  # nothing was read again


def test_kept_results_read_back_as_written() -> None:
    """What the ledger keeps of a record comes back the same: a described node's digest (full
    and types), a node the record only points at (an empty digest, stored as the node alone), a
    node it only mentions; and nothing comes back for other shapes."""
    kept = Kept(
        findings=[(URIRef("https://example.org/t1"), Finding("violation", "title", "", "r", "m", "f"))],
        digests=Digests([11, -22, 33], [5, 0, 9], [7, 0, 0]),
        mentions=struct.pack("<3q", 11, -22, 44),
        owner=("NCT01", "a.json"),
        timed={11},
    )
    back = Kept.loads(kept.dumps("shapes-1"), "shapes-1")
    assert back is not None
    assert dict(zip(back.digests.keys, zip(*back.digests[1:], strict=True), strict=True)) == {
        11: (5, 7),
        -22: (0, 0),
        33: (9, 0),
    }
    # every node with a digest counts as mentioned, and so does the one only mentioned
    assert sorted(struct.unpack(f"<{len(back.mentions) // 8}q", back.mentions)) == [-22, 11, 33, 44]
    assert back.findings == kept.findings and back.owner == ("NCT01", "a.json") and back.timed == {11}
    assert Kept.loads(kept.dumps("shapes-1"), "shapes-2") is None


def test_chunk_fold_finds_the_nodes_that_chunks_describe_differently() -> None:
    """Digests folded chunk by chunk: a node is divergent from the first chunk that describes it
    otherwise than the chunks before (also when one only pointed at it), retyped when its types
    differ; a node two chunks give a load time is divergent whatever the times."""
    fold = ChunkFold()
    chunks = [
        # node 1 described, node 2 only pointed at, node 3 described with no types
        (Digests([1, 2, 3], [5, 0, 9], [7, 0, 0]), {4}),
        # node 1 the same; node 2 described here; node 3's types differ
        (Digests([1, 2, 3], [5, 4, 9], [7, 0, 1]), set()),
        # node 1's triples differ, its types do not; node 3 as the first chunk had it
        (Digests([1, 3], [6, 9], [7, 0]), {4}),
    ]
    for digests, timed in chunks:
        fold.add(ChunkOut([], digests, [], {}, b"", timed))
    assert fold.divergent == {1, 2, 3, 4}
    assert fold.retyped == {3}
    assert fold.where == {2: 1, 3: 1, 1: 2, 4: 2}
    assert all(out.digests.keys == () for out in fold.outs)  # dropped once folded


def test_kept_results_of_other_shapes_are_not_used(tmp_path: Path) -> None:
    """Records validated under other shapes are read again, the others are not; the report is
    still the full one, with either set of shapes, on a store whose records share nodes (two
    copies of each of three real records, and the seed records)."""
    store_path = tmp_path / "store"
    folder = tmp_path / "shapes"
    folder.mkdir()
    (folder / "network.ttl").write_text(EXTRA, encoding="utf-8")
    copies = tmp_path / "copies"
    copies.mkdir()
    for name in ("NCT06171568.json", "NCT04431453.json", "NCT00763412.json"):
        text = (CTGOV / name).read_text(encoding="utf-8")
        nct = name.removesuffix(".json")
        for k in (1, 2):
            (copies / f"{nct}-{k}.json").write_text(text.replace(nct, f"NCT9{k}{nct[5:]}"), encoding="utf-8")
    runner = CliRunner()
    assert runner.invoke(main, ["build", str(SEED), "--store", str(store_path), "--quiet"]).exit_code == 0
    built = runner.invoke(main, ["build", str(copies), "--store", str(store_path), "--quiet", "--shapes", str(folder)])
    assert built.exit_code == 0, built.output
    store = OxigraphStore(store_path, read_only=True)
    for extra in ([], [folder]):
        shapes = shapes_graph(extra)
        kept = validate_store(store, shapes=shapes, workers=1, kept=True)
        assert kept.issues == validate_store(store, shapes=shapes, workers=1, kept=False).issues
        assert kept.issues == validate_units_plain(
            {str(n): store.graph(n) for n in asserted_graph_names(store)}, shapes
        )


def test_nodes_that_records_describe_differently_recheck_the_nodes_pointing_at_them() -> None:
    """Each record is checked alone first.  A site that one record types and the other does not
    is a Site in their union, so the second record's trial has no sh:class finding there; a
    country that each record gives one code has two in the union, so both trials pointing at it
    through the nested shape get one.  The trials are rechecked through different paths: the
    site's types differ (every node pointing at it), the country's do not (only through the
    predicate with the nested shape)."""
    shapes = Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix ex: <https://example.org/> .
        ex:TrialShape a sh:NodeShape ; sh:targetClass ex:Trial ;
          sh:property [ sh:path ex:site ; sh:class ex:Site ; sh:message "The site is no Site." ] ;
          sh:property [ sh:path ex:country ; sh:node ex:CountryShape ; sh:message "Bad country." ] .
        ex:CountryShape a sh:NodeShape ;
          sh:property [ sh:path ex:code ; sh:maxCount 1 ; sh:message "One code." ] .
        """,
        format="turtle",
    )
    prefix = "@prefix ex: <https://example.org/> .\n"
    units = {
        "a": Graph().parse(
            data=prefix + "ex:t1 a ex:Trial ; ex:site ex:s1 . ex:s1 a ex:Site ."
            " ex:t3 a ex:Trial ; ex:country ex:c1 . ex:c1 ex:code 'FR' .",
            format="turtle",
        ),
        "b": Graph().parse(
            data=prefix + "ex:t2 a ex:Trial ; ex:site ex:s1 . ex:s1 ex:name 'a hospital' ."
            " ex:t4 a ex:Trial ; ex:country ex:c1 . ex:c1 ex:code 'DE' .",
            format="turtle",
        ),
    }
    alone = validate_records(units, shapes=shapes, workers=1)
    assert [i.focus for i in alone["b"]] == ["https://example.org/t2"]  # untyped site, alone
    union = validate_union(units, shapes=shapes, workers=1, chunk_size=1)
    assert union.divergent_nodes == 2  # the site and the country
    assert sorted((i.focus, i.field) for i in union.issues) == [
        ("https://example.org/t3", "country"),
        ("https://example.org/t4", "country"),
    ]
    assert union.issues == validate_units_plain(units, shapes)
