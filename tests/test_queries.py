"""Every named query against rows derived by hand from the seed pages (../shared/seeds/) and the
curated files in data/."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Literal
from rdflib.plugins.sparql import prepareQuery

from graph.errors import QueryError
from graph.query import paging
from graph.query.named import catalogue, resolve, run
from graph.store.local import OxigraphStore


def rows(store: OxigraphStore, name: str, **params: str) -> list[dict[str, str]]:
    result = run(store, name, params)
    return [
        {v: ("" if t is None else str(t)) for v, t in zip(result.variables, row, strict=True)} for row in result.rows
    ]


def test_catalogue_has_the_public_queries() -> None:
    names = set(catalogue())
    assert {
        "trials",
        "trial-sites",
        "trial-organizations",
        "trials-by-condition",
        "sponsors",
        "identifiers",
        "countries",
    } <= names
    for q in catalogue().values():
        assert q.title and q.description, f"{q.path} lacks a title or description header"


def test_trials_lists_the_five_seeds_with_sponsor_and_status(seed_store: OxigraphStore) -> None:
    got = {r["id"]: (r["status"], r["phase"], r["sponsor"]) for r in rows(seed_store, "trials")}
    # From the seed pages: status and phase as printed there; the sponsor as named there, resolved
    # to its canonical name through data/organizations.yaml ("University of Liege" -> Liège, the
    # page's misspelt "niversitair Medisch Centrum Utrecht" -> UMC Utrecht).
    assert got["NCT04445454"] == ("RECRUITING", "PHASE1", "University of Liège")
    assert got["NL-OMON47582"] == ("RECRUITING", "PHASE2", "University Medical Center Utrecht")
    assert got["NCT01849237"] == ("UNKNOWN", "PHASE1/PHASE2", "National Research Center for Hematology")
    # RESSTORE's page states neither status nor phase; its sponsor is CHU Grenoble Alpes.
    assert got["NCT02849613"] == ("", "", "CHU Grenoble Alpes")
    assert "NCT07635758" in got
    assert got["NCT07635758"][0] == "RECRUITING"
    assert len(got) == 5


def test_trials_columns_are_the_public_interface(seed_store: OxigraphStore) -> None:
    result = run(seed_store, "trials")
    assert result.variables == ["trial", "id", "title", "status", "phase", "enrollment", "sponsor"]
    enrolment = {r["id"]: r["enrollment"] for r in rows(seed_store, "trials")}
    assert enrolment["NCT02849613"] == "400"  # "will recruit 400 patients"
    assert enrolment["NCT01849237"] == "30"  # "30 estimated patients"


def test_identifiers_answers_for_the_eudract_number(seed_store: OxigraphStore) -> None:
    got = {(r["identifier"], r["registry"]) for r in rows(seed_store, "identifiers", id="2016-001902-40")}
    # RESSTORE moved to CTIS: data/resstore.yaml lists its CTIS number beside the two others
    assert got == {("NCT02849613", "NCT"), ("2016-001902-40", "EUDRACT"), ("2024-518394-34-00", "CTIS")}
    assert {r["trial"] for r in rows(seed_store, "identifiers", id="NCT02849613")} == {
        "https://w3id.org/trialgraph/id/trial/NCT02849613"
    }


def test_trials_by_condition_stroke_finds_both_stroke_trials(seed_store: OxigraphStore) -> None:
    got = {r["id"] for r in rows(seed_store, "trials-by-condition", condition="stroke")}
    assert got == {"NCT02849613", "NCT07635758"}
    # case-insensitive, and the narrower label itself matches too
    assert {r["id"] for r in rows(seed_store, "trials-by-condition", condition="ISCHEMIC STROKE")} == got


def test_trials_by_condition_does_not_match_unrelated(seed_store: OxigraphStore) -> None:
    assert {r["id"] for r in rows(seed_store, "trials-by-condition", condition="septic shock")} == {"NCT01849237"}


def test_trial_sites_liege(seed_store: OxigraphStore) -> None:
    got = [(r["facility"], r["city"], r["country"]) for r in rows(seed_store, "trial-sites", id="NCT04445454")]
    assert got == [("CHU de Liège", "Liège", "BE")]


def test_trial_organizations_resstore_coordinators_and_cro(seed_store: OxigraphStore) -> None:
    got = {(r["name"], r["role"]) for r in rows(seed_store, "trial-organizations", id="NCT02849613")}
    assert ("CHU Grenoble Alpes", "COORDINATOR") in got
    assert ("Servicio Madrileño de Salud", "COORDINATOR") in got  # canonical name of "SERMAS"
    assert ("Medfiles", "CRO") in got
    # the same answer through the EudraCT number
    assert {(r["name"], r["role"]) for r in rows(seed_store, "trial-organizations", id="2016-001902-40")} == got


def test_sponsors_counts_one_trial_each(seed_store: OxigraphStore) -> None:
    got = rows(seed_store, "sponsors")
    # NCT07635758's page names no sponsor; the other four name one each, all different.
    assert len(got) == 4
    assert all(r["trials"] == "1" for r in got)


def test_countries(seed_store: OxigraphStore) -> None:
    got = {r["country"]: (int(r["trials"]), int(r["sites"])) for r in rows(seed_store, "countries")}
    # RESSTORE recruits in CZ, FI, FR, ES and Scotland (GB) with no named site; Liège has one site.
    for code in ("CZ", "FI", "FR", "ES", "GB"):
        assert got[code][0] >= 1
    assert got["BE"] == (1, 1)
    assert got["CN"] == (1, 1)


def test_parameters_are_required_and_known(seed_store: OxigraphStore) -> None:
    with pytest.raises(QueryError, match="needs --param id"):
        run(seed_store, "trial-sites", {})
    with pytest.raises(QueryError, match="no parameter"):
        run(seed_store, "trials", {"id": "x"})
    with pytest.raises(QueryError, match="no query named"):
        run(seed_store, "no-such-query", {})


@pytest.mark.parametrize(
    "payload",
    [
        'NCT04445454" } ?s ?p ?o . FILTER(true',
        'NCT04445454\\" } } SELECT * WHERE { ?s ?p ?o }',
        "NCT04445454\n} UNION { ?site ?x ?y",
        "<http://example.org/x> } ?s ?p ?o {",
    ],
)
def test_injection_in_a_parameter_changes_nothing(seed_store: OxigraphStore, payload: str) -> None:
    assert rows(seed_store, "trial-sites", id=payload) == []


def test_qc_gates_return_no_rows_on_the_seeds(seed_store: OxigraphStore) -> None:
    for q in catalogue().values():
        if q.is_gate:
            result = seed_store.query(q.text)
            assert result.rows == [], f"{q.name} returned {result.rows}"


def test_sparqlwrapper_sees_each_query_form_as_it_is() -> None:
    """Regression: SPARQLWrapper guesses the query form from keywords anywhere in the text, so a
    header saying "remove" (MOVE) or "described" (DESCRIBE) made it send a SELECT as an update."""
    from rdflib.plugins.sparql import prepareQuery
    from SPARQLWrapper import SPARQLWrapper

    for q in catalogue().values():
        form = prepareQuery(q.text).algebra.name.removesuffix("Query").upper()
        client = SPARQLWrapper("http://127.0.0.1:9/sparql")
        client.setQuery(q.text)
        assert client.queryType == form, f"{q.path}: SPARQLWrapper reads it as {client.queryType}"


def test_trials_by_condition_finds_a_study_through_its_study_level_ancestors(ctgov_store: OxigraphStore) -> None:
    # NCT02552212 has four MeSH conditions (Spondylitis, Spondylarthritis, Axial
    # Spondyloarthritis, Non-Radiographic Axial Spondyloarthritis), none of them "Spinal
    # Diseases"; the registry lists Spinal Diseases among the study's ancestors
    found = rows(ctgov_store, "trials-by-condition", condition="spinal diseases")
    assert {"id": "NCT02552212", "condition": "Spinal Diseases"} in [
        {"id": r["id"], "condition": r["condition"]} for r in found
    ]
    # and a single-term study still reaches its ancestors through its one condition:
    # NCT00973089's only MeSH term is Dental Caries, under Tooth Diseases
    teeth = rows(ctgov_store, "trials-by-condition", condition="tooth diseases")
    assert [(r["id"], r["condition"]) for r in teeth if r["id"] == "NCT00973089"] == [("NCT00973089", "Dental Caries")]


def _site_statuses(store: OxigraphStore, nct: str) -> dict[str, set[str]]:
    q = f"""PREFIX tg: <https://w3id.org/trialgraph/ontology#>
    PREFIX dcterms: <http://purl.org/dc/terms/>
    PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
    SELECT ?facility ?status WHERE {{
      ?t dcterms:identifier "{nct}" ; tg:trialSite ?use .
      ?use tg:atSite ?site ; tg:siteStatus ?status .
      ?site rdfs:label ?facility .
    }}"""
    out: dict[str, set[str]] = {}
    for facility, status in store.query(q).rows:
        out.setdefault(str(facility), set()).add(str(status).rsplit("/", 1)[-1])
    return out


def test_site_recruitment_status_is_kept_per_trial(ctgov_store: OxigraphStore) -> None:
    # NCT03475563.json: three locations, each "status": "RECRUITING", the first Hospital
    # Universitari Parc Taulí in Sabadell
    statuses = _site_statuses(ctgov_store, "NCT03475563")
    uses = ctgov_store.query(
        """PREFIX tg: <https://w3id.org/trialgraph/ontology#> PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT (COUNT(DISTINCT ?use) AS ?n) WHERE { ?t dcterms:identifier "NCT03475563" ; tg:trialSite ?use }"""
    ).rows[0][0]
    assert int(str(uses)) == 3
    assert statuses["Hospital Universitari Parc Taulí"] == {"RECRUITING"}
    assert all(s == {"RECRUITING"} for s in statuses.values())
    # NCT04267848.json: the first location, Anchorage Associates in Radiation Medicine, is SUSPENDED
    assert _site_statuses(ctgov_store, "NCT04267848")["Anchorage Associates in Radiation Medicine"] == {"SUSPENDED"}
    # NCT02552212.json gives no status for any of its 105 locations
    assert _site_statuses(ctgov_store, "NCT02552212") == {}
    # the trial-sites query shows the status as the API value
    sites = rows(ctgov_store, "trial-sites", id="NCT03475563")
    assert {(r["city"], r["status"]) for r in sites if r["facility"] == "Hospital Universitari Parc Taulí"} == {
        ("Sabadell", "RECRUITING")
    }
    assert {r["status"] for r in rows(ctgov_store, "trial-sites", id="NCT02552212")} == {""}


# -- pages and totals ------------------------------------------------------------------------------

#: The preferred ids of the five seed trials (data/*.yaml), in code-point order.
SEED_IDS = ["NCT01849237", "NCT02849613", "NCT04445454", "NCT07635758", "NL-OMON47582"]


def test_trials_come_in_pages_with_the_total(seed_store: OxigraphStore) -> None:
    first = run(seed_store, "trials", limit=2)
    assert [str(r[1]) for r in first.rows] == SEED_IDS[:2]
    assert (first.total, first.truncated) == (5, True)
    middle = run(seed_store, "trials", limit=2, offset=1)
    assert [str(r[1]) for r in middle.rows] == SEED_IDS[1:3]
    last = run(seed_store, "trials", limit=2, offset=4)
    assert [str(r[1]) for r in last.rows] == SEED_IDS[4:]
    assert (last.total, last.truncated) == (5, False)
    assert run(seed_store, "trials", offset=5).rows == []
    # a page has the rows the whole answer has there, columns and all
    whole = run(seed_store, "trials")
    assert whole.total == 5 and middle.rows == whole.rows[1:3]


def test_a_query_without_a_page_mark_is_cut_at_its_end(seed_store: OxigraphStore) -> None:
    # countries of the seeds: RESSTORE recruits in CZ, FI, FR, ES and GB; NCT04445454 in BE,
    # NCT07635758 in CN, NL-OMON47582 in NL, NCT01849237 in RU: nine, one trial each
    whole = run(seed_store, "countries")
    assert whole.total == 9
    page = run(seed_store, "countries", limit=4, offset=3)
    assert page.rows == whole.rows[3:7] and page.total == 9 and page.truncated


def test_limit_and_offset_are_checked(seed_store: OxigraphStore) -> None:
    with pytest.raises(QueryError, match="limit must be 1 or more"):
        run(seed_store, "trials", limit=0)
    with pytest.raises(QueryError, match="offset must be 0 or more"):
        run(seed_store, "trials", offset=-1)


def test_look_ups_ignore_case_accents_and_spacing(seed_store: OxigraphStore) -> None:
    exact = rows(seed_store, "identifiers", id="2016-001902-40")
    assert rows(seed_store, "identifiers", id="  2016-001902-40\n") == exact
    assert rows(seed_store, "trial-sites", id=" nct04445454 ") == rows(seed_store, "trial-sites", id="NCT04445454")
    # data/nct04445454.yaml names the condition "COVID-19"
    assert {r["id"] for r in rows(seed_store, "trials-by-condition", condition="covid 19")} == {"NCT04445454"}
    assert {r["id"] for r in rows(seed_store, "trials-by-condition", condition="Covid-19")} == {"NCT04445454"}


def test_counts_of_the_seeds(seed_store: OxigraphStore) -> None:
    # five trials from five curated records; four lead sponsors (NCT07635758 names none); the
    # nine countries of test_a_query_without_a_page_mark_is_cut_at_its_end
    assert [str(t) for t in run(seed_store, "counts").rows[0]] == ["5", "5", "4", "9"]


def test_summary_queries_are_not_public(seed_store: OxigraphStore) -> None:
    assert not any(name.startswith("summaries/") for name in catalogue())


# -- query files -------------------------------------------------------------------------------------


def test_a_missing_query_file_is_named_as_a_file(tmp_path: Path) -> None:
    with pytest.raises(QueryError, match="no such file") as caught:
        resolve(str(tmp_path / "missing.rq"))
    assert str(tmp_path / "missing.rq") in str(caught.value)
    with pytest.raises(QueryError, match="is not a file"):
        resolve(str(tmp_path))


def test_a_sparql_file_runs(seed_store: OxigraphStore, tmp_path: Path) -> None:
    path = tmp_path / "seed-ids.sparql"
    path.write_text(
        "# title: Seed ids\nPREFIX dcterms: <http://purl.org/dc/terms/>\n"
        "SELECT DISTINCT ?id WHERE { ?t dcterms:identifier ?id } ORDER BY ?id\n",
        encoding="utf-8",
    )
    result = run(seed_store, str(path), limit=3)
    assert [str(r[0]) for r in result.rows] == SEED_IDS[:3] and result.total == 5


# -- where a page is cut in the query text ---------------------------------------------------------


MARKED = """PREFIX ex: <http://example.org/>
SELECT ?s ?label WHERE {
  { SELECT ?s WHERE { ?s ex:key ?key } ORDER BY ?s
    # page: here
  }
  OPTIONAL { ?s ex:label '''{ not a
# page: mark } here''' }
}
"""


def test_a_page_is_cut_at_the_mark_and_counted_there() -> None:
    text = paging.page(MARKED, {"key": Literal("k")}, 10, 20)
    assert "ORDER BY ?s\nLIMIT 10 OFFSET 20\n" in text
    assert text.count('VALUES ?key { "k" }') == 2  # the sub-select and the outer group
    prepareQuery(text)
    count = paging.count(MARKED, {})
    assert count.startswith("PREFIX ex: <http://example.org/>\nSELECT (COUNT(*) AS ?total) WHERE { {\n SELECT ?s WHERE")
    assert "OPTIONAL" not in count and "# page:" not in count
    assert "ORDER BY" not in count  # a count needs no sort
    prepareQuery(count)


def test_a_count_keeps_the_order_a_limit_of_the_sub_select_depends_on() -> None:
    own = """SELECT ?s WHERE {
  { SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 100
    # page: here
  }
}"""
    count = paging.count(own, {})
    assert "ORDER BY ?s LIMIT 100" in count
    prepareQuery(count)


def test_a_query_with_its_own_limit_is_paged_around_it() -> None:
    own = "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s LIMIT 100"
    text = paging.page(own, {}, 10, 0)
    assert text.endswith("LIMIT 10\n") and "LIMIT 100" in text
    prepareQuery(text)
    prepareQuery(paging.count(own, {}))
