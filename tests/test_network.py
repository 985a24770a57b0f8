"""The networkx projection (graph.network.projection): nodes, typed edges, attributes, focus and query
views, GraphML, analytics.

Two hand-written records (below) are loaded the way a build loads them: their graphs, the
ontology, and the owlrl closure in its own graph, so that the inferred ``recruitsIn`` and the
transitive ``broaderCondition`` are present and must not leak into the projection.  Every
expected value was counted by hand from these records; the real-data test counts from
../shared/data/ctgov-v2/NCT00973089.json.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from rdflib import URIRef

import graph.resolve.identity as ids
from graph import rdf
from graph.cli import main
from graph.constants import INFERRED_GRAPH, ONTOLOGY_GRAPH
from graph.errors import InputError
from graph.model import (
    Condition,
    Identifier,
    Intervention,
    MeshTerm,
    Organization,
    PartialDate,
    Participation,
    Site,
    TrialRecord,
)
from graph.network.graphml import to_graphml
from graph.network.organisations import annotate, centrality
from graph.network.projection import find_nodes, project
from graph.network.sites import fold_sites, shared_sites
from graph.reason.engine import ontology_graph
from graph.reason.reference import owlrl_inferred
from graph.store.layout import asserted_data
from graph.store.local import OxigraphStore
from graph.store.registry import open_store

ID = "https://w3id.org/trialgraph/id/"
STROKE = MeshTerm("D020521", "Stroke")
CEREBRO = MeshTerm("D002561", "Cerebrovascular Disorders")
NORD = Site("Hôpital Nord", city="Lyon", country="FR")


def record_a() -> TrialRecord:
    """Trial A: four organisations in four roles, two sites (FR, DE), one more country without a
    site (IT) and one named with a site (FR), a condition with two MeSH ancestors."""
    return TrialRecord(
        source="test",
        record_id="a",
        source_file="a.yaml",
        identifiers=[Identifier("NCT", "NCT00000001"), Identifier("EUDRACT", "2020-000001-11")],
        title="Alpha trial of stromal cells",
        acronym="ALPHA",
        status="RECRUITING",
        phases=["PHASE1", "PHASE2"],
        enrollment=120,
        start_date=PartialDate("2020-01", "month"),
        completion_date=PartialDate("2022", "year"),
        participations=[
            Participation(Organization("Acme Pharma"), "LEAD_SPONSOR"),
            Participation(Organization("Beta University"), "COLLABORATOR"),
            Participation(Organization("Gamma Research"), "CRO"),
            Participation(Organization("Delta Fund"), "FUNDER"),
        ],
        sites=[NORD, Site("Klinik Süd", city="München", country="DE")],
        countries=["FR", "IT"],
        conditions=[Condition("ischemic stroke", mesh="D000083242", broader=(STROKE, CEREBRO))],
        interventions=[Intervention("Mesenchymal stromal cells", type="BIOLOGICAL")],
    )


def record_b() -> TrialRecord:
    """Trial B: led by A's collaborator, at A's French site, studying A's condition's parent."""
    return TrialRecord(
        source="test",
        record_id="b",
        source_file="b.yaml",
        identifiers=[Identifier("NCT", "NCT00000002")],
        title="Beta trial",
        status="COMPLETED",
        phases=["PHASE2"],
        enrollment=40,
        participations=[Participation(Organization("Beta University"), "LEAD_SPONSOR")],
        sites=[NORD],
        conditions=[Condition("Stroke", mesh="D020521", broader=(CEREBRO,))],
        interventions=[Intervention("Mesenchymal stromal cells", type="BIOLOGICAL")],
    )


def load_records(store: OxigraphStore, records: list[TrialRecord], *, infer: bool = True) -> OxigraphStore:
    """Records into a store as a build writes them (record graphs, ontology, inferred graph),
    without the build's file reading."""
    onto = ontology_graph()
    with store.write() as w:
        w.replace_graph(URIRef(ONTOLOGY_GRAPH), onto)
        for rec in records:
            w.replace_graph(ids.record_graph(rec.source, rec.record_id), rdf.record_graph(rec))
    if infer:
        inferred = owlrl_inferred(asserted_data(store), onto)
        with store.write() as w:
            w.replace_graph(URIRef(INFERRED_GRAPH), inferred)
    return store


@pytest.fixture(scope="module")
def two_trials() -> OxigraphStore:
    return load_records(OxigraphStore(None), [record_a(), record_b()])


A, B = ID + "trial/NCT00000001", ID + "trial/NCT00000002"
ACME, BETA, GAMMA, DELTA = (ID + "org/" + s for s in ("acme-pharma", "beta-university", "gamma-research", "delta-fund"))
ISCH, STROKE_N, CEREBRO_N = (ID + "condition/mesh-" + d for d in ("D000083242", "D020521", "D002561"))
FR, DE, IT = (ID + "country/" + c for c in ("FR", "DE", "IT"))


def by_label(g: nx.MultiDiGraph) -> dict[str, str]:
    return {str(d["label"]): n for n, d in g.nodes(data=True)}


def typed_edges(g: nx.MultiDiGraph) -> set[tuple[str, str, str]]:
    names = {n: str(d["label"]) for n, d in g.nodes(data=True)}
    return {(names[u], names[v], str(r)) for u, v, r in g.edges(data="relation")}


def test_nodes_of_each_kind(two_trials: OxigraphStore) -> None:
    g = project(two_trials)
    kinds = Counter(k for _n, k in g.nodes(data="kind"))
    # 2 trials; Acme, Beta, Gamma, Delta; Nord, Süd; ischemic stroke, Stroke, Cerebrovascular
    # Disorders; one shared intervention; FR, DE, IT
    assert kinds == {"trial": 2, "organization": 4, "site": 2, "condition": 3, "intervention": 1, "country": 3}
    assert {A, B, ACME, BETA, GAMMA, DELTA, ISCH, STROKE_N, CEREBRO_N, FR, DE, IT} <= set(g)


def test_typed_edges(two_trials: OxigraphStore) -> None:
    g = project(two_trials)
    assert typed_edges(g) == {
        ("ALPHA", "Acme Pharma", "lead sponsor"),
        ("ALPHA", "Beta University", "collaborator"),
        ("ALPHA", "Gamma Research", "partner"),
        ("ALPHA", "Delta Fund", "funder"),
        ("ALPHA", "Hôpital Nord", "site"),
        ("ALPHA", "Klinik Süd", "site"),
        ("ALPHA", "ischemic stroke", "condition"),
        ("ALPHA", "Mesenchymal stromal cells", "intervention"),
        # IT has no site of A; FR has one, so it is reached through the site only
        ("ALPHA", "Italy", "located in"),
        ("NCT00000002", "Beta University", "lead sponsor"),
        ("NCT00000002", "Hôpital Nord", "site"),
        ("NCT00000002", "Stroke", "condition"),
        ("NCT00000002", "Mesenchymal stromal cells", "intervention"),
        ("Hôpital Nord", "France", "located in"),
        ("Klinik Süd", "Germany", "located in"),
        # ischemic stroke -> Cerebrovascular Disorders is implied by the other two
        ("ischemic stroke", "Stroke", "broader"),
        ("Stroke", "Cerebrovascular Disorders", "broader"),
    }
    assert g.number_of_edges() == 17
    partner = [d for _u, v, d in g.edges(data=True) if v == GAMMA]
    assert [(d["role"], d["role_label"]) for d in partner] == [("CRO", "Contract research organisation")]


def test_trial_attributes(two_trials: OxigraphStore) -> None:
    a = project(two_trials).nodes[A]
    assert a["kind"] == "trial"
    assert a["label"] == "ALPHA"
    assert a["id"] == "NCT00000001"
    assert sorted(a["ids"]) == ["2020-000001-11", "NCT00000001"]
    assert a["title"] == "Alpha trial of stromal cells"
    assert (a["status"], a["status_label"]) == ("RECRUITING", "Recruiting")
    assert (a["phase"], a["phase_label"]) == ("PHASE1/PHASE2", "Phase 1/Phase 2")
    assert a["enrollment"] == 120
    assert (a["start"], a["completion"]) == ("2020-01", "2022")
    assert a["registry_url"] == "https://clinicaltrials.gov/study/NCT00000001"


def test_trial_counts_of_other_nodes(two_trials: OxigraphStore) -> None:
    g = project(two_trials)
    trials = {str(d["label"]): d["trials"] for _n, d in g.nodes(data=True) if d["kind"] != "trial"}
    assert trials == {
        "Acme Pharma": 1,
        "Beta University": 2,
        "Gamma Research": 1,
        "Delta Fund": 1,
        "Hôpital Nord": 2,
        "Klinik Süd": 1,
        "ischemic stroke": 1,
        "Stroke": 2,  # B directly, A through ischemic stroke
        "Cerebrovascular Disorders": 2,
        "Mesenchymal stromal cells": 2,
        "France": 2,  # both through Hôpital Nord
        "Germany": 1,
        "Italy": 1,
    }
    site = g.nodes[ID + "site/fr/hopital-nord-lyon"]
    assert (site["city"], site["country"]) == ("Lyon", "FR")
    assert g.nodes[CEREBRO_N]["mesh"] == "D002561"


def test_focus_on_an_id_any_registry(two_trials: OxigraphStore) -> None:
    g = project(two_trials, focus="NCT00000002", depth=1)
    assert set(by_label(g)) == {"NCT00000002", "Beta University", "Hôpital Nord", "Stroke", "Mesenchymal stromal cells"}
    assert g.number_of_edges() == 4
    assert find_nodes(project(two_trials), "2020-000001-11") == [A]


def test_focus_depth_two(two_trials: OxigraphStore) -> None:
    g = project(two_trials, focus="NCT00000002", depth=2)
    # + A (through Beta, Nord or the intervention), France, ischemic stroke, Cerebrovascular
    assert set(by_label(g)) == {
        "NCT00000002", "Beta University", "Hôpital Nord", "Stroke", "Mesenchymal stromal cells",
        "ALPHA", "France", "ischemic stroke", "Cerebrovascular Disorders",
    }  # fmt: skip
    # every edge among them: B's 4, A's 4 to them (Beta, Nord, ischemic stroke, the
    # intervention), Nord-France, 2 broader
    assert g.number_of_edges() == 11


def test_focus_on_a_name_case_insensitive(two_trials: OxigraphStore) -> None:
    g = project(two_trials, focus="beta UNIVERSITY", depth=1)
    assert set(by_label(g)) == {"Beta University", "ALPHA", "NCT00000002"}
    assert typed_edges(g) == {
        ("ALPHA", "Beta University", "collaborator"),
        ("NCT00000002", "Beta University", "lead sponsor"),
    }
    assert set(by_label(project(two_trials, focus="klinik", depth=0))) == {"Klinik Süd"}  # the one name containing it


def test_focus_that_names_nothing_or_too_much(two_trials: OxigraphStore) -> None:
    with pytest.raises(InputError, match="no trial, organisation"):
        project(two_trials, focus="NCT99999999")
    with pytest.raises(InputError, match="matches 2 nodes"):
        project(two_trials, focus="troke", depth=0)  # in "Stroke" and "ischemic stroke"
    with pytest.raises(InputError, match="either a focus or a query"):
        project(two_trials, focus="ALPHA", query="trials")


def test_query_view_is_the_returned_nodes_and_their_edges(two_trials: OxigraphStore, tmp_path: Path) -> None:
    g = project(two_trials, query="trial-organizations", params={"id": "2020-000001-11"})
    assert set(by_label(g)) == {"Acme Pharma", "Beta University", "Gamma Research", "Delta Fund"}
    assert g.number_of_edges() == 0
    rq = tmp_path / "sponsors-and-trials.rq"
    rq.write_text(
        "# title: trials and lead sponsors\n"
        "PREFIX tg: <https://w3id.org/trialgraph/ontology#>\n"
        "SELECT ?trial ?sponsor WHERE { ?trial tg:leadSponsorParticipation/tg:agent ?sponsor }\n",
        encoding="utf-8",
    )
    g = project(two_trials, query=str(rq))
    assert set(by_label(g)) == {"ALPHA", "NCT00000002", "Acme Pharma", "Beta University"}
    assert typed_edges(g) == {
        ("ALPHA", "Acme Pharma", "lead sponsor"),
        ("ALPHA", "Beta University", "collaborator"),
        ("NCT00000002", "Beta University", "lead sponsor"),
    }


def test_analytics(two_trials: OxigraphStore) -> None:
    g = project(two_trials)
    ranked = centrality(g)
    assert (ranked[0]["node"], ranked[0]["name"]) == (BETA, "Beta University")  # the only one in two trials
    assert ranked[0]["score"] == pytest.approx(
        2 / 5
    )  # 2 neighbours among the 5 others of the trial-organisation network
    assert [r["name"] for r in ranked[1:]] == ["Acme Pharma", "Delta Fund", "Gamma Research"]
    assert [(r["site"], r["name"], r["trials"]) for r in shared_sites(g)] == [
        (ID + "site/fr/hopital-nord-lyon", "Hôpital Nord", 2)
    ]


def test_sites_fold_into_cities_or_countries(two_trials: OxigraphStore) -> None:
    """Hôpital Nord (Lyon, FR) is a site of A and B, Klinik Süd (München, DE) of A."""
    g = project(two_trials)
    cities = fold_sites(g, "city")
    assert "site" not in {k for _n, k in cities.nodes(data="kind")}
    lyon, munich = "city:fr/lyon", "city:de/munchen"
    assert (cities.nodes[lyon]["label"], cities.nodes[lyon]["trials"], cities.nodes[lyon]["sites"]) == (
        "Lyon, FR",
        2,
        ["Hôpital Nord"],
    )
    assert cities.nodes[munich]["label"] == "München, DE"
    assert typed_edges(cities) - typed_edges(g) == {
        ("ALPHA", "Lyon, FR", "site"),
        ("ALPHA", "München, DE", "site"),
        ("NCT00000002", "Lyon, FR", "site"),
        ("Lyon, FR", "France", "located in"),
        ("München, DE", "Germany", "located in"),
    }
    assert cities.graph["folded"] == {ID + "site/fr/hopital-nord-lyon": lyon, ID + "site/de/klinik-sud-munchen": munich}
    countries = fold_sites(g, "country")
    assert typed_edges(countries) - typed_edges(g) == {
        ("ALPHA", "France", "located in"),
        ("ALPHA", "Germany", "located in"),
        ("NCT00000002", "France", "located in"),
    }
    assert countries.nodes[FR]["trials"] == 2 and countries.nodes[FR]["sites"] == ["Hôpital Nord"]
    with pytest.raises(InputError, match="a city or a country"):
        fold_sites(g, "region")


def test_graphml_round_trip(two_trials: OxigraphStore, tmp_path: Path) -> None:
    path = to_graphml(project(two_trials), tmp_path / "net.graphml")
    back = nx.read_graphml(path)
    assert (back.number_of_nodes(), back.number_of_edges()) == (15, 17)
    assert back.nodes[A]["ids"] in ("NCT00000001; 2020-000001-11", "2020-000001-11; NCT00000001")
    assert back.nodes[A]["enrollment"] == 120
    assert back.nodes[BETA]["trials"] == 2
    assert "Klinik Süd" in path.read_text(encoding="utf-8")


def test_export_graphml_command(tmp_path: Path) -> None:
    store = load_records(open_store(tmp_path / "store"), [record_a(), record_b()], infer=False)  # type: ignore[arg-type]
    store.close()
    out = tmp_path / "net.graphml"
    result = CliRunner().invoke(
        main, ["export", "--store", str(tmp_path / "store"), "--format", "graphml", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    back = nx.read_graphml(out)
    assert (back.number_of_nodes(), back.number_of_edges()) == (15, 17)
    # the trial-organisation tree of A and B (see tests/test_analyze.py for the derivations)
    assert back.nodes[BETA]["degree"] == pytest.approx(0.4)
    assert back.nodes[BETA]["betweenness"] == pytest.approx(0.4)
    assert back.nodes[A]["betweenness"] == pytest.approx(0.9)
    assert back.nodes[A]["eigenvector"] == pytest.approx(1.0)
    assert "degree" not in back.nodes[FR]  # centrality is of trials and organisations only
    # every node has a community; a site takes the community its trials are in
    numbers = {n: d["community"] for n, d in back.nodes(data=True)}
    assert set(numbers) == set(back) and min(numbers.values()) >= 1
    assert numbers[ID + "site/de/klinik-sud-munchen"] == numbers[A]


def test_annotate_is_what_export_writes(two_trials: OxigraphStore) -> None:
    g = annotate(project(two_trials))
    assert {k for k in ("degree", "betweenness", "eigenvector", "community") if k in g.nodes[ACME]} == {
        "degree", "betweenness", "eigenvector", "community",
    }  # fmt: skip


def test_min_over_an_unbound_status_hid_the_vocabulary_status() -> None:
    """Regression: Oxigraph's MIN over a group with an unbound value is unbound, so a trial that
    one record gives a status of the vocabulary and another a wording outside it had no status
    at all.  Two records of NCT00000001: RECRUITING, and the EU register's "Under evaluation"."""
    second = TrialRecord(
        source="test",
        record_id="a-eu",
        source_file="a-eu.yaml",
        identifiers=[Identifier("NCT", "NCT00000001")],
        status="Under evaluation",
    )
    store = load_records(OxigraphStore(None), [record_a(), second], infer=False)
    trial = project(store).nodes[A]
    assert (trial["status"], trial["status_label"], trial["status_text"]) == (
        "RECRUITING",
        "Recruiting",
        "Under evaluation",
    )


def test_api_status_wins_over_a_coarser_one(tmp_path: Path) -> None:
    """ictrp-export-sample.xml: NCT05697861 says "Recruiting" (API v2 RECRUITING);
    CTIS2023-507385-11-00, the same trial (its secondary id NCT05697861), says "Not Recruiting",
    ICTRP's coarse status that may be any status but Recruiting.  The precise one is shown, the
    coarse one beside it."""
    from graph.pipeline.run import build
    from tests.conftest import ICTRP_FILE

    store = open_store(tmp_path / "store")
    build([ICTRP_FILE], store)
    trial = project(store).nodes[ID + "trial/NCT05697861"]
    assert (trial["status"], trial["status_label"], trial["status_text"]) == (
        "RECRUITING",
        "Recruiting",
        "Not recruiting",
    )
