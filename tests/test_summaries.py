"""The summary graph that `trials`, `sponsors`, `countries`, `counts` and `trials-by-condition`
read: right after a first build, after a refresh of one record, after a record is quarantined,
and counting a trial that several records describe once.  Expected values are read by hand from data/*.yaml and from
the ICTRP fixture named in each test."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from rdflib import URIRef
from rdflib.compare import isomorphic

from graph import summaries
from graph.constants import SUMMARY_GRAPH
from graph.errors import StoreError
from graph.pipeline.run import build
from graph.query.named import run
from graph.sparql import internal_query
from graph.store.layout import asserted_graph_names
from graph.store.local import OxigraphStore
from graph.store.registry import open_store
from graph.store.terms import from_ox, to_ox
from graph.summaries import summary_graph
from graph.summary_rows import Collected, record_rows

from .conftest import SEED_DATA, SHARED_DATA, TEST_DATA

CTRDATA_DIR = SHARED_DATA / "ctrdata"


def _table(store: OxigraphStore, name: str, key: str) -> dict[str, dict[str, str]]:
    result = run(store, name)
    return {
        str(row[result.variables.index(key)]): {
            v: "" if t is None else str(t) for v, t in zip(result.variables, row, strict=True)
        }
        for row in result.rows
    }


def _seed_store(tmp_path: Path) -> tuple[Path, OxigraphStore]:
    folder = tmp_path / "data"
    shutil.copytree(SEED_DATA, folder)
    store = open_store(tmp_path / "store")
    assert isinstance(store, OxigraphStore)
    build([folder], store)
    return folder, store


def _edit(path: Path, *changes: tuple[str, str]) -> None:
    text = path.read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")


def _summaries_are_a_fresh_computation(store: OxigraphStore) -> None:
    kept = store.graph(URIRef(SUMMARY_GRAPH))
    assert isomorphic(kept, summary_graph(store))


def test_summaries_after_a_refresh_of_one_record(tmp_path: Path) -> None:
    folder, store = _seed_store(tmp_path)
    before = _table(store, "trials", "id")
    # data/nct04445454.yaml, version 1: enrolment 20, lead sponsor "University of Liege" (Liège
    # after the curated aliases), its one site "CHU de Liège" in BE.  Version 2 enrols 35, is
    # led by UMC Utrecht (the sponsor of NL-OMON47582) and puts the site in NL.
    _edit(
        folder / "nct04445454.yaml",
        ('version: "1"', 'version: "2"'),
        ("enrollment: 20", "enrollment: 35"),
        ('name: University of Liege\n    aliases: ["Université de Liège"]', "name: University Medical Center Utrecht"),
        ("    city: Liège\n    country: BE", "    city: Liège\n    country: NL"),
    )
    report = build([folder / "nct04445454.yaml"], store)
    assert report.loaded == ["curated/nct04445454"]

    trials = _table(store, "trials", "id")
    assert trials["NCT04445454"]["enrollment"] == "35"
    assert trials["NCT04445454"]["sponsor"] == "University Medical Center Utrecht"
    assert {k: v for k, v in trials.items() if k != "NCT04445454"} == {
        k: v for k, v in before.items() if k != "NCT04445454"
    }
    sponsors = {name: row["trials"] for name, row in _table(store, "sponsors", "name").items()}
    # Liège led only this trial: it is no sponsor any more; UMC Utrecht now leads two
    assert sponsors == {
        "University Medical Center Utrecht": "2",
        "CHU Grenoble Alpes": "1",
        "National Research Center for Hematology": "1",
    }
    countries = {code: (row["trials"], row["sites"]) for code, row in _table(store, "countries", "country").items()}
    assert "BE" not in countries  # CHU de Liège was the only site in Belgium
    # NL-OMON47582 recruits in the Netherlands with no named site; now one site there too
    assert countries["NL"] == ("2", "1")
    _summaries_are_a_fresh_computation(store)


def test_summaries_after_a_quarantined_record(tmp_path: Path) -> None:
    folder, store = _seed_store(tmp_path)
    before = {name: _table(store, name, key) for name, key in (("trials", "id"), ("sponsors", "name"))}
    # a new version of NCT04445454 with a negative enrolment breaks the shapes: the stored
    # version 1 (enrolment 20) stays published
    _edit(folder / "nct04445454.yaml", ('version: "1"', 'version: "2"'), ("enrollment: 20", "enrollment: -20"))
    # and a new record of a new trial that breaks them too never enters the summaries
    new = folder / "nct09999999.yaml"
    shutil.copy(folder / "nct01849237.yaml", new)
    _edit(new, ("value: NCT01849237", "value: NCT09999999"), ("enrollment: 30", "enrollment: -30"))
    report = build([folder / "nct04445454.yaml", new], store)
    assert sorted(report.quarantined) == ["curated/nct04445454", "curated/nct09999999"]
    assert report.loaded == []

    assert _table(store, "trials", "id") == before["trials"]
    assert _table(store, "trials", "id")["NCT04445454"]["enrollment"] == "20"
    assert _table(store, "sponsors", "name") == before["sponsors"]
    assert run(store, "trials", limit=1).total == 5
    _summaries_are_a_fresh_computation(store)


def _by_condition(store: OxigraphStore, label: str) -> list[tuple[str, str]]:
    return [(str(r[1]), str(r[2])) for r in run(store, "trials-by-condition", {"condition": label}).rows]


#: data/resstore.yaml and data/nct07635758.yaml name "ischemic stroke" (MeSH D000083242, under
#: Stroke); data/nct04445454.yaml names "Coronavirus Infection" (D018352, under Virus Diseases).
STROKE_BEFORE = [("NCT02849613", "ischemic stroke"), ("NCT07635758", "ischemic stroke")]
CORONAVIRUS = """  - label: Coronavirus Infection
    mesh: D018352
    broader:
      - {id: D003333, label: Coronaviridae Infections}
      - {id: D030341, label: Nidovirales Infections}
      - {id: D012327, label: RNA Virus Infections}
      - {id: D014777, label: Virus Diseases}
      - {id: D007239, label: Infections}
"""
#: under D018352 or Virus Diseases: both conditions (COVID-19 is under D018352), and D018352 under
#: both its labels in the record: "Coronavirus Infection" as a condition and "Coronavirus
#: Infections" as a broader term of COVID-19
CORONAVIRUS_ROWS = [
    ("NCT04445454", "COVID-19"),
    ("NCT04445454", "Coronavirus Infection"),
    ("NCT04445454", "Coronavirus Infections"),
]
STROKE = """  - label: Ischemic Stroke
    mesh: D000083242
    broader:
      - {id: D020521, label: Stroke}
"""


def test_trials_by_condition_after_a_record_changes_its_condition_and_back(tmp_path: Path) -> None:
    folder, store = _seed_store(tmp_path)
    assert _by_condition(store, "stroke") == STROKE_BEFORE
    assert _by_condition(store, "virus diseases") == CORONAVIRUS_ROWS
    # version 2 of NCT04445454 studies ischemic stroke instead, spelt with capitals: the
    # condition node of "ischemic stroke" now has two labels, each row the one its record gives
    _edit(folder / "nct04445454.yaml", ('version: "1"', 'version: "2"'), (CORONAVIRUS, STROKE))
    assert build([folder / "nct04445454.yaml"], store).loaded == ["curated/nct04445454"]
    assert _by_condition(store, "stroke") == sorted([*STROKE_BEFORE, ("NCT04445454", "Ischemic Stroke")])
    # the singular is gone; the plural is only a broader term of COVID-19 now, so the row is
    # the trial's own condition under it
    assert _by_condition(store, "coronavirus infection") == []
    assert _by_condition(store, "coronavirus infections") == [("NCT04445454", "COVID-19")]
    page = run(store, "trials-by-condition", {"condition": "ischemic stroke"}, limit=2, offset=1)
    assert page.total == 3
    assert [(str(r[1]), str(r[2])) for r in page.rows] == [
        ("NCT04445454", "Ischemic Stroke"),
        ("NCT07635758", "ischemic stroke"),
    ]
    _summaries_are_a_fresh_computation(store)
    # version 3 goes back: the label with capitals is no one's any more, and no row keeps it
    _edit(folder / "nct04445454.yaml", ('version: "2"', 'version: "3"'), (STROKE, CORONAVIRUS))
    assert build([folder / "nct04445454.yaml"], store).loaded == ["curated/nct04445454"]
    assert _by_condition(store, "stroke") == STROKE_BEFORE
    assert _by_condition(store, "coronavirus infection") == CORONAVIRUS_ROWS
    assert not store.query(
        'ASK { GRAPH ?g { ?row <https://w3id.org/trialgraph/ontology#summaryLabel> "Ischemic Stroke" } }'
    ).boolean
    _summaries_are_a_fresh_computation(store)


def test_trials_by_condition_after_a_quarantined_record(tmp_path: Path) -> None:
    folder, store = _seed_store(tmp_path)
    # version 2 changes the condition and breaks the shapes (negative enrolment): version 1
    # stays published, and so does its condition
    _edit(
        folder / "nct04445454.yaml",
        ('version: "1"', 'version: "2"'),
        (CORONAVIRUS, STROKE),
        ("enrollment: 20", "enrollment: -20"),
    )
    assert list(build([folder / "nct04445454.yaml"], store).quarantined) == ["curated/nct04445454"]
    assert _by_condition(store, "stroke") == STROKE_BEFORE
    assert _by_condition(store, "coronavirus infection") == CORONAVIRUS_ROWS
    _summaries_are_a_fresh_computation(store)


def test_a_trial_of_five_records_is_counted_once(tmp_path: Path) -> None:
    # tests/data/ictrp/one-trial-five-records.xml: EUCTR2021-000037-14-DK, -ES, -HU, -PL and -PT,
    # five member-state records of one EudraCT trial
    store = open_store(tmp_path / "store")
    assert isinstance(store, OxigraphStore)
    build([TEST_DATA / "ictrp" / "one-trial-five-records.xml"], store)
    naive = store.query(
        "PREFIX tg: <https://w3id.org/trialgraph/ontology#> SELECT (COUNT(*) AS ?n) WHERE { ?t a tg:Trial }"
    )
    # the pitfall docs/queries.md explains: each record graph states the trial's type once
    assert int(str(naive.rows[0][0])) == 5
    distinct = store.query(
        "PREFIX tg: <https://w3id.org/trialgraph/ontology#> SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?t a tg:Trial }"
    )
    assert int(str(distinct.rows[0][0])) == 1
    counts = run(store, "counts")
    assert [str(t) for t in counts.rows[0][:2]] == ["1", "5"]  # trials, records
    trials = run(store, "trials")
    assert trials.total == 1 and [str(r[1]) for r in trials.rows] == ["2021-000037-14"]
    # the lead sponsor all five records name (Primary_sponsor), counted for one trial
    assert [(str(r[1]), str(r[2])) for r in run(store, "sponsors").rows] == [("Prothena Biosciences Limited", "1")]


@pytest.mark.parametrize("name", ["trials", "sponsors", "countries", "counts"])
def test_a_store_with_no_trials_answers_empty_summaries(tmp_path: Path, name: str) -> None:
    store = open_store(tmp_path / "store")
    build([], store)
    result = run(store, name)
    if name == "counts":
        assert [str(t) for t in result.rows[0]] == ["0", "0", "0", "0"]
    else:
        assert result.rows == [] and result.total == 0


def test_a_store_without_summaries_says_so_and_the_next_build_writes_them(tmp_path: Path) -> None:
    folder, store = _seed_store(tmp_path)
    with store.write() as w:  # a store as a trialgraph that kept no summaries left it
        w.remove_graph(URIRef(SUMMARY_GRAPH))
    with pytest.raises(StoreError, match="no summaries"):
        run(store, "trials")
    assert len(run(store, "trial-sites", {"id": "NCT04445454"}).rows) == 1  # look-ups need none
    report = build([folder], store)
    assert report.loaded == [] and len(report.unchanged) == 5
    assert run(store, "trials").total == 5
    _summaries_are_a_fresh_computation(store)


def _rows_of_each_record(store: OxigraphStore) -> Collected:
    """Every record graph's summary rows as a worker reads them from its triples."""
    reader = store.reader()
    found = Collected()
    for name in asserted_graph_names(store):
        triples = [(q.subject, q.predicate, q.object) for q in reader.quads_for_pattern(None, None, None, to_ox(name))]
        found.add(record_rows(str(name), triples, from_ox))
    return found


def _rows_of_the_queries(store: OxigraphStore) -> Collected:
    rows = summaries.store_rows(store)
    found = Collected()
    found.add_facts(rows(internal_query("summaries/trial-facts-all"), {}))
    found.add_conditions(rows(internal_query("summaries/condition-rows-all"), {}))
    return found


def test_the_rows_read_from_each_record_are_those_the_queries_give(ctgov_store: OxigraphStore) -> None:
    ours, theirs = _rows_of_each_record(ctgov_store), _rows_of_the_queries(ctgov_store)
    assert ours.facts == theirs.facts
    assert ours.links == theirs.links
    # ../shared/data/ctgov-v2/NCT00763412.json: conditions "Cystic Fibrosis Related Diabetes" and
    # "Pancreatic Insufficiency", six MeSH terms whose ancestors (conditionBrowseModule) are
    # listed together, among them "Glucose Metabolism Disorders"; 31 enrolled
    trial = next(t for t, f in ours.facts.items() if "NCT00763412" in f.ids)
    f = ours.facts[trial]
    assert f.titles == {
        "Pilot and Feasibility Study for the Treatment of Pre-diabetes in Patients With Cystic Fibrosis"
    }
    assert f.enrollments == {31}
    labels = {(str(link).rsplit("#", 1)[-1], str(label)) for (link, _c, label), ts in ours.links.items() if trial in ts}
    assert ("condition", "Pancreatic Insufficiency") in labels
    assert ("conditionAncestor", "Glucose Metabolism Disorders") in labels


def test_a_new_store_takes_its_summaries_from_the_rows_of_the_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    queried: list[object] = []
    rebuild = summaries.rebuild

    def watched(db: Any) -> summaries.SummaryStats:
        queried.append(db)
        return rebuild(db)

    monkeypatch.setattr(summaries, "rebuild", watched)
    store = open_store(tmp_path / "store")
    assert isinstance(store, OxigraphStore)
    # records of three registries and of several records a trial (the five EUCTR records of
    # tests/data/ictrp/one-trial-five-records.xml, RESSTORE's CT.gov and EudraCT records)
    build([SEED_DATA, CTRDATA_DIR, TEST_DATA / "ictrp" / "one-trial-five-records.xml"], store)
    assert queried == []  # the summaries came from the workers' rows, not from the queries
    _summaries_are_a_fresh_computation(store)
    trials = _table(store, "trials", "id")
    assert trials["2021-000037-14"]["sponsor"] == "Prothena Biosciences Limited"
    assert trials["NCT02849613"]["title"] == "REgenerative Stem cell therapy for STroke in Europe"  # data/resstore.yaml
