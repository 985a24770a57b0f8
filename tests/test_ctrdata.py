"""The EU registers and ISRCTN together: the twelve real ctrdata records in ../shared/data/ctrdata
(3 CTIS, 3 EU Clinical Trials Register, 6 ISRCTN), built with the curated seeds into one store,
queried, exported and drawn; identity across registers; broken copies in tests/data/ctrdata/bad.

Every expected value is read by hand from the record named next to it (the JSON path is given);
none is taken from the readers' output.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from graph.cli import main
from graph.errors import RecordError
from graph.model import Identifier, TrialRecord
from graph.pipeline.run import build
from graph.query.named import catalogue, run
from graph.resolve.merge import cluster, record_key
from graph.sources import format_for, read_all
from graph.sources.curated import parse
from graph.store.local import OxigraphStore
from graph.store.registry import open_store
from graph.view.output import write_view
from tests.conftest import SEED_DATA, SHARED_DATA, TEST_DATA

CTRDATA = SHARED_DATA / "ctrdata"
FIXTURES = TEST_DATA / "ctrdata"


@pytest.fixture(scope="module")
def europe_store(tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    """The curated seeds and the twelve ctrdata records, built once (read-only use)."""
    store = open_store(tmp_path_factory.mktemp("europe") / "store")
    report = build([SEED_DATA, CTRDATA], store)
    assert report.errors == [] and report.quarantined == {}
    assert isinstance(store, OxigraphStore)
    return store


def rows(store: OxigraphStore, name: str, **params: str) -> list[dict[str, str]]:
    result = run(store, name, params)
    return [
        {v: ("" if t is None else str(t)) for v, t in zip(result.variables, row, strict=True)} for row in result.rows
    ]


def read_one(path: Path) -> TrialRecord:
    (record,) = list(read_all([path]))
    assert isinstance(record, TrialRecord), record
    return record


# -- the twelve records --------------------------------------------------------------------------

#: file -> (format, {(registry, id)}, lead sponsor, {countries}, number of sites), by hand:
#: ids from ctNumber / eudraCt(Info).eudraCtCode / secondaryIdentifyingNumbers (CTIS),
#: a2_eudract_number / a52 / trialInformation.usctnIdentifier / a41 / a54 (EUCTR), isrctn and
#: externalRefs (ISRCTN, "Nil known" and "" skipped); the lead sponsor from primarySponsor or the
#: primary entry of authorizedPartI.sponsors (CTIS), b1_sponsor[0].b11_name_of_sponsor (EUCTR);
#: ISRCTN documents name no party (parties.sponsorId is an id only); countries from
#: memberStatesConcerned plus authorizedPartI.rowCountriesInfo (CTIS), a1_member_state_concerned
#: plus e863_trial_sites_planned_in (EUCTR), participants.recruitmentCountries (ISRCTN, "England"
#: is GB); sites from authorizedPartsII[].trialSites (CTIS), none in the EU register, and
#: participants.trialCentres (ISRCTN; "58 other sites" is no site).
RECORDS: dict[str, tuple[str, set[tuple[str, str]], str | None, set[str], int]] = {
    "ctis-2022-500244-37-00.json": (
        "ctis",
        {("CTIS", "2022-500244-37-00")},
        "Kinarus AG",
        {"DE", "CH"},  # Germany concerned; Switzerland outside the EEA
        2,  # Praxis Am Ebertplatz (Cologne), Hno Praxis Am Neckar (Heidelberg)
    ),
    "ctis-2023-505613-24-00.json": (
        "ctis",
        {
            ("CTIS", "2023-505613-24-00"),
            ("EUDRACT", "2019-003842-34"),
            ("NCT", "NCT04665037"),
            ("OTHER", "75,061; 125,097"),
        },
        "Merck Sharp & Dohme LLC",
        {"PL", "BE", "GR", "PH", "IL", "US", "RU", "MX", "PE"},
        6,  # 3 in Belgium, 1 in Poland, 2 in Greece
    ),
    "ctis-2023-508143-51-01.json": (
        "ctis",
        {("CTIS", "2023-508143-51-01"), ("EUDRACT", "2021-004994-30")},
        "Roessingh Centrum Voor Revalidatie",
        {"NL"},
        2,  # Medisch Spectrum Twente, Roessingh Centrum Voor Revalidatie (both Enschede)
    ),
    "euctr-2013-000615-24-BE.json": (
        "euctr",
        {("EUDRACT", "2013-000615-24"), ("ORG_STUDY", "20121903114")},
        "Cliniques universitaires Saint-Luc",
        {"BE"},  # "Belgium - FPS Health-DGM"; no e863 list
        0,
    ),
    "euctr-2016-004489-24-DE.json": (
        "euctr",
        {("EUDRACT", "2016-004489-24"), ("NCT", "NCT03461406"), ("ORG_STUDY", "IG1405")},
        "Instituto Grifols, S.A",
        {"DE", "BG", "CA", "FR", "HU", "RO", "RS", "SE", "GB", "US"},
        0,
    ),
    "euctr-2019-002663-10-ES.json": (
        "euctr",
        {("EUDRACT", "2019-002663-10"), ("NCT", "NCT04089566"), ("ORG_STUDY", "232SM203"), ("OTHER", "IND 110011")},
        "Biogen Idec Research Limited",
        # "Argentina Australia Brazil Canada Chile Colombia Estonia Hungary Ireland Italy Korea,
        # Republic of Latvia Lebanon Mexico Poland Russian Federation Saudi Arabia Spain United States"
        {
            "ES",
            "AR",
            "AU",
            "BR",
            "CA",
            "CL",
            "CO",
            "EE",
            "HU",
            "IE",
            "IT",
            "KR",
            "LV",
            "LB",
            "MX",
            "PL",
            "RU",
            "SA",
            "US",
        },
        0,
    ),
    "isrctn-12949496.json": (
        "isrctn",
        {("ISRCTN", "ISRCTN12949496"), ("EUDRACT", "2014-002988-16"), ("ORG_STUDY", "MINT-2014-01")},
        None,
        {"IE"},
        2,  # The Rotunda Hospital (Dublin), Cork University Hospital
    ),
    "isrctn-13281214.json": (
        "isrctn",
        {("ISRCTN", "ISRCTN13281214"), ("EUDRACT", "2015-004526-33"), ("ORG_STUDY", "PDARCT1")},
        None,
        {"IE"},
        1,
    ),
    "isrctn-17473621.json": ("isrctn", {("ISRCTN", "ISRCTN17473621")}, None, {"ID"}, 1),  # every ref "Nil known"
    "isrctn-20343063.json": ("isrctn", {("ISRCTN", "ISRCTN20343063"), ("ORG_STUDY", "EC10-240")}, None, {"ES"}, 1),
    "isrctn-61070850.json": ("isrctn", {("ISRCTN", "ISRCTN61070850"), ("ORG_STUDY", "40/2006")}, None, {"MX"}, 1),
    "isrctn-76463425.json": (
        "isrctn",
        {("ISRCTN", "ISRCTN76463425"), ("NCT", "NCT01727609"), ("ORG_STUDY", "HTA 11/01/25")},
        None,
        {"GB", "IE"},  # "United Kingdom", "England", "Ireland"
        1,  # NPEU Clinical Trials Unit; "58 other sites" left out
    ),
}


def test_the_shared_folder_holds_the_twelve_records() -> None:
    assert sorted(p.name for p in CTRDATA.glob("*.json")) == sorted(RECORDS)


@pytest.mark.parametrize("name", sorted(RECORDS))
def test_record_ids_sponsor_countries_and_sites(name: str) -> None:
    fmt, ids, lead, countries, sites = RECORDS[name]
    path = CTRDATA / name
    found = format_for(path)
    assert found is not None and found.name == fmt
    record = read_one(path)
    assert record.source == fmt
    assert {(i.registry, i.value) for i in record.identifiers} == ids
    assert [o.name for o in record.lead_sponsors] == ([lead] if lead else [])
    assert set(record.countries) | {s.country for s in record.sites if s.country} == countries
    assert len(record.sites) == sites
    assert all(s.country for s in record.sites)


def test_regression_ctrdata_files_are_sniffed_right_whatever_the_import_order() -> None:
    """The ClinicalTrials.gov reader takes any JSON object; when its module was imported before the
    registry was first asked (as a test importing it does), it came first and took CTIS files."""
    code = (
        "import graph.sources.ctgov, graph.sources.ictrp\n"
        "from pathlib import Path\n"
        "from graph.sources import format_for\n"
        f"print(format_for(Path({str(CTRDATA / 'ctis-2022-500244-37-00.json')!r})).name)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "ctis"


# -- the build -----------------------------------------------------------------------------------


def test_build_of_seeds_and_ctrdata_quarantines_nothing(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", str(SEED_DATA), str(CTRDATA), "--store", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    # 5 curated + 12 registry records, each its own trial: no two of them share an id
    assert "17 records read: 17 loaded" in result.output
    assert "0 quarantined, 0 unreadable" in result.output
    checked = CliRunner().invoke(main, ["validate", "--store", str(tmp_path / "s"), "--quarantine", "--format", "json"])
    assert '"quarantined": []' in checked.output


def test_identifiers_finds_a_ctis_trial_by_its_ct_number(europe_store: OxigraphStore) -> None:
    got = {(r["identifier"], r["registry"]) for r in rows(europe_store, "identifiers", id="2023-508143-51-01")}
    # ctis-2023-508143-51-01.json: ctNumber, and eudraCtInfo.eudraCtCode (the trial moved to CTIS)
    assert got == {("2023-508143-51-01", "CTIS"), ("2021-004994-30", "EUDRACT")}


def test_identifiers_finds_a_transitioned_ctis_trial_by_its_eudract_number(europe_store: OxigraphStore) -> None:
    got = rows(europe_store, "identifiers", id="2019-003842-34")
    # ctis-2023-505613-24-00.json: authorizedApplication.eudraCt {isTransitioned: true,
    # eudraCtCode: 2019-003842-34}; the trial IRI is minted from the EudraCT number (it ranks
    # before CTIS), so the EU register records of that number would land on the same node
    assert {r["trial"] for r in got} == {"https://w3id.org/trialgraph/id/trial/2019-003842-34"}
    assert ("2023-505613-24-00", "CTIS") in {(r["identifier"], r["registry"]) for r in got}


def test_resstore_lists_its_nct_eudract_and_ctis_ids(europe_store: OxigraphStore) -> None:
    got = {(r["identifier"], r["registry"]) for r in rows(europe_store, "identifiers", id="2016-001902-40")}
    # data/resstore.yaml
    assert got == {("NCT02849613", "NCT"), ("2016-001902-40", "EUDRACT"), ("2024-518394-34-00", "CTIS")}
    found = europe_store.query(
        "PREFIX tg: <https://w3id.org/trialgraph/ontology#> "
        "SELECT ?to WHERE { ?from tg:idValue '2016-001902-40' ; tg:transitionedTo/tg:idValue ?to }"
    )
    assert [str(r[0]) for r in found.rows] == ["2024-518394-34-00"]


def test_trial_sites_of_a_ctis_trial_with_iso_countries(europe_store: OxigraphStore) -> None:
    got = {(r["facility"], r["city"], r["country"]) for r in rows(europe_store, "trial-sites", id="2023-505613-24-00")}
    # authorizedApplication.authorizedPartsII[].trialSites[].organisationAddressInfo: organisation
    # name, address city and countryName ("Belgium", "Poland", "Greece") as ISO alpha-2
    assert got == {
        ("Universitair Ziekenhuis Gent", "Gent", "BE"),
        ("UZ Leuven", "Leuven", "BE"),
        ("Cliniques Universitaires Saint-Luc", "Sint-Lambrechts-Woluwe", "BE"),
        ("Uniwersytecki Szpital Kliniczny Im. Jana Mikulicza-Radeckiego We Wroclawiu", "Wroclaw", "PL"),
        ("Ippokratio General Hospital Of Thessaloniki", "Thessaloniki", "GR"),
        ("Athens General Children's Hospital Panagioti And Aglaia Kyriakou", "Athens", "GR"),
    }


def test_countries_query_counts_the_sites(europe_store: OxigraphStore) -> None:
    got = {r["country"]: (int(r["trials"]), int(r["sites"])) for r in rows(europe_store, "countries")}
    # Belgium: the 3 sites of 2023-505613-24-00, the EU register record -BE and the seed trial of
    # CHU de Liège (data/nct04445454.yaml, 1 site): 3 trials, 4 sites.
    assert got["BE"] == (3, 4)
    # Greece: 2 sites of 2023-505613-24-00 only; Ireland: 2 + 1 ISRCTN sites (12949496,
    # 13281214) and SIFT (76463425) recruits there without a listed site, plus the EU register
    # record -ES plans sites there: 4 trials, 3 sites.
    assert got["GR"] == (1, 2)
    assert got["IE"] == (4, 3)
    # Germany: 2 sites of 2022-500244-37-00; the -DE record names no site.
    assert got["DE"] == (2, 2)


# -- every named query and the view ------------------------------------------------------------

#: Parameters for the queries that take them: a CTIS trial, a condition and an intervention it gives.
PARAMS = {"id": "2023-505613-24-00", "condition": "COVID-19", "intervention": "Posaconazole"}


#: Queries with no row on the seeds and the twelve records: no two of those records share an id,
#: so there is no merge evidence (the identity test below has some).
NO_ROWS = {"merge-evidence"}


@pytest.mark.parametrize("name", sorted(catalogue()))
def test_every_named_query_runs_on_the_european_trials(europe_store: OxigraphStore, name: str) -> None:
    query = catalogue()[name]
    found = rows(europe_store, name, **{p.name: PARAMS[p.name] for p in query.params})
    if name.endswith("-violation") or name in NO_ROWS:
        assert found == [], found
    else:
        assert found, f"{name} returned no row"


def test_trials_query_rows_of_the_european_trials(europe_store: OxigraphStore) -> None:
    got = {r["id"]: (r["status"], r["phase"], r["sponsor"]) for r in rows(europe_store, "trials")}
    # ctis-2022-500244-37-00: ctStatus "Authorised, not started", trialPhase "Therapeutic
    # exploratory (Phase II)"
    assert got["2022-500244-37-00"] == ("NOT_YET_RECRUITING", "PHASE2", "Kinarus AG")
    # ctis-2023-505613-24-00: ctPublicStatusCode 4 ("Ongoing, recruiting"); id = its EudraCT number
    assert got["2019-003842-34"] == ("RECRUITING", "PHASE2", "Merck Sharp & Dohme LLC")
    # euctr -BE: "Prematurely Ended"; E.7.4 Phase IV "Yes"; the sponsor (B.1.1 "Cliniques
    # universitaires Saint-Luc") is also the source of support (B.4.1, written "... SAINT-LUC"):
    # one organisation with both names, of which the query shows the first in code-point order
    status, phase, sponsor = got["2013-000615-24"]
    assert (status, phase, sponsor.casefold()) == ("TERMINATED", "PHASE4", "cliniques universitaires saint-luc")
    # isrctn-12949496: overallStatusOverride "Stopped"; phase "Phase III"; no party named
    assert got["ISRCTN12949496"] == ("TERMINATED", "PHASE3", "")


def test_condition_query_finds_a_ctis_condition(europe_store: OxigraphStore) -> None:
    # authorizedPartI...partIMedicalConditions[0].medicalCondition "COVID-19"; the seed
    # data/nct04445454.yaml names COVID-19 too
    got = {r["id"] for r in rows(europe_store, "trials-by-condition", condition="COVID-19")}
    assert got == {"2022-500244-37-00", "NCT04445454"}


@pytest.mark.browser
def test_view_draws_the_european_trials(europe_store: OxigraphStore, browser: Any, tmp_path: Path) -> None:
    from graph.network.projection import project
    from tests.test_view import Page

    html_file = write_view(europe_store, tmp_path / "europe.html")
    page = Page(browser, html_file)
    try:
        g = project(europe_store)
        assert page.drawn() == (g.number_of_nodes(), g.number_of_edges())
        assert page.blocked == [] and page.errors == []
        page.search("2023-505613-24-00")
        trial = page.index_of("https://w3id.org/trialgraph/id/trial/2019-003842-34")
        assert page.js("tgView.network.getSelectedNodes()") == [trial]
    finally:
        page.close()


# -- contacts are never ingested -----------------------------------------------------------------

_CONTACT_KEY = re.compile(r"mail|phone|fax", re.IGNORECASE)
_PERSON_KEYS = {
    "functionalName",
    "firstName",
    "lastName",
    "functionalContactName",
    "b52_functional_name_of_contact_point",
}
_EMAIL = re.compile(r"[\w.+-]+(?:@|&#64;)[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(r"\+\d[\d ()-]{7,}\d")


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item, path)
    elif value not in (None, "") and not isinstance(value, bool):
        yield path, str(value)


def contact_strings(files: list[Path]) -> set[str]:
    """Every e-mail address and phone number in the files (also HTML-escaped ones, and phones in
    free text), and the contact persons' names: what must never reach the graph."""
    found: set[str] = set()
    for file in files:
        raw = file.read_text(encoding="utf-8")
        found |= {html.unescape(m) for m in _EMAIL.findall(raw)}
        for path, value in _leaves(json.loads(raw)):
            key = path.rsplit(".", 1)[-1]
            if _CONTACT_KEY.search(path) or key in _PERSON_KEYS:
                found.add(html.unescape(value))
            found |= set(_PHONE.findall(value))
    return {s for s in found if len(s) >= 5}


def test_no_contact_detail_reaches_the_export(europe_store: OxigraphStore, tmp_path: Path) -> None:
    strings = contact_strings(sorted(CTRDATA.glob("*.json")))
    # some of each kind, as found by hand: CTIS public contact, EUCTR B.5.6, a phone in an
    # ISRCTN ethics approval text, an HTML-escaped e-mail in a CTIS sponsor address
    assert {"info@inkarus.com", "raymond.reding@uclouvain.be", "+62 21 7864975", "info@roessingh.nl"} <= strings
    assert {"Claudia Berger", "+41792025755", "3227641401"} <= strings
    out = tmp_path / "export.nq"
    result = CliRunner().invoke(
        main, ["export", "--store", europe_store.location, "--format", "nquads", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    exported = out.read_text(encoding="utf-8")
    assert "2023-505613-24-00" in exported
    assert sorted(s for s in strings if s in exported) == []


# -- bad records ---------------------------------------------------------------------------------

#: file -> (record, field, words of the message), by hand from the change made to each copy
#: (tests/data/ctrdata/README.md).
BAD = {
    "ctis-truncated.json": ("ctis-truncated", None, "not valid JSON"),
    "ctis-parts-ii-text.json": ("2022-500244-37-00", "authorizedPartsII", "expected an object, found the string"),
    "ctis-short-ct-number.json": ("2022-500244", "ctNumber", "is not a CTIS number"),
    "euctr-sponsor-name-object.json": ("EUCTR2013-000615-24", "b1_sponsor[0].b11_name_of_sponsor", "expected text"),
    "isrctn-centre-number.json": ("ISRCTN20343063", "participants.trialCentres.trialCentre", "expected an object"),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_broken_record_names_file_record_and_field(name: str) -> None:
    record, field, words = BAD[name]
    path = FIXTURES / "bad" / name
    (error,) = list(read_all([path]))
    assert isinstance(error, RecordError)
    assert error.file == str(path)
    assert error.record == record
    assert error.field == field
    assert words in error.reason
    assert "\n" not in str(error).split("\n  hint:")[0]  # one line (the hint aside)


def test_broken_records_cost_only_themselves(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["build", str(FIXTURES / "bad"), str(CTRDATA), "--store", str(tmp_path / "s"), "--quiet"]
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    for name in BAD:
        assert name in result.output
    listed = CliRunner().invoke(main, ["query", "trials", "--store", str(tmp_path / "s"), "--format", "csv"])
    assert len(listed.output.strip().splitlines()) == 1 + 12  # the twelve good records, one trial each


# -- identity across registers -------------------------------------------------------------------


def test_ctis_trial_its_eu_register_record_and_citing_records_are_one_trial(tmp_path: Path) -> None:
    """tests/data/ctrdata/identity: an EU register record of 2019-003842-34 (the EudraCT number
    CTIS 2023-505613-24-00 moved from), an ISRCTN record and a ClinicalTrials.gov study citing
    that number, and an ISRCTN record citing the CTIS number 2023-508143-51-01."""
    records = [r for r in read_all([CTRDATA, FIXTURES / "identity"]) if isinstance(r, TrialRecord)]
    result = cluster(records)
    moved = result.cluster_of("ctis/2023-505613-24-00")
    assert sorted(moved.keys) == [
        "ctgov/NCT09000003",
        "ctis/2023-505613-24-00",
        "euctr/EUCTR2019-003842-34-BE",
        "isrctn/ISRCTN90000001",
    ]
    kinds = {(e.kind, e.from_record, e.to_record) for e in moved.evidence}
    assert ("ctis-transition", "ctis/2023-505613-24-00", "euctr/EUCTR2019-003842-34-BE") in kinds
    assert ("declared-one", "isrctn/ISRCTN90000001", "ctis/2023-505613-24-00") in kinds
    assert ("declared-one", "ctgov/NCT09000003", "ctis/2023-505613-24-00") in kinds
    cited = result.cluster_of("ctis/2023-508143-51-01")
    assert sorted(cited.keys) == ["ctis/2023-508143-51-01", "isrctn/ISRCTN90000002"]
    assert result.conflicts == []
    # the other ten real records stay apart: 16 records, 12 trials
    assert len(result.clusters) == 12


def test_merge_evidence_of_the_transition_in_the_store(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s")
    report = build([CTRDATA, FIXTURES / "identity"], store)
    assert report.errors == [] and report.quarantined == {} and report.identity_conflicts == []
    assert isinstance(store, OxigraphStore)
    got = {(r["kind"], r["identifier"], r["records"]) for r in rows(store, "merge-evidence", id="2023-505613-24-00")}
    assert ("ctis-transition", "2019-003842-34", "ctis/2023-505613-24-00 -> euctr/EUCTR2019-003842-34-BE") in got
    assert ("declared-one", "2019-003842-34", "isrctn/ISRCTN90000001 -> ctis/2023-505613-24-00") in got
    ids = {r["identifier"] for r in rows(store, "identifiers", id="ISRCTN90000001")}
    assert {"2023-505613-24-00", "2019-003842-34", "NCT09000003", "ISRCTN90000001"} <= ids


def _ctis(transitioned: bool) -> TrialRecord:
    moved = "2023-505613-24-00" if transitioned else None
    ids = [Identifier("CTIS", "2023-505613-24-00"), Identifier("EUDRACT", "2019-003842-34", transitioned_to=moved)]
    return TrialRecord("ctis", "2023-505613-24-00", "ctis.json", ids)


def _isrctn() -> TrialRecord:
    ids = [Identifier("ISRCTN", "ISRCTN90000001"), Identifier("EUDRACT", "2019-003842-34")]
    return TrialRecord("isrctn", "ISRCTN90000001", "isrctn.json", ids)


def test_only_a_stated_transition_makes_the_eudract_number_the_ctis_records_own() -> None:
    """Two records that only cite the same EudraCT number are not one trial by that alone; a CTIS
    record stating the transition owns the number, and the citing record joins it."""
    assert len(cluster([_ctis(transitioned=False), _isrctn()]).clusters) == 2
    joined = cluster([_ctis(transitioned=True), _isrctn()])
    assert [sorted(c.keys) for c in joined.clusters] == [["ctis/2023-505613-24-00", "isrctn/ISRCTN90000001"]]
    assert [e.kind for e in joined.clusters[0].evidence] == ["declared-one"]


def test_curated_and_eu_register_sharing_the_eudract_number_is_same_id() -> None:
    """A curator lists every id as the record's own: sharing the EudraCT number with an EU
    register record is plain same-id evidence, even when the curated record states the move."""
    curated = TrialRecord(
        "curated",
        "resstore",
        "resstore.yaml",
        [
            Identifier("EUDRACT", "2016-001902-40", transitioned_to="2024-518394-34-00"),
            Identifier("CTIS", "2024-518394-34-00"),
        ],
    )
    euctr = TrialRecord("euctr", "EUCTR2016-001902-40-FR", "fr.json", [Identifier("EUDRACT", "2016-001902-40")])
    (one,) = cluster([curated, euctr]).clusters
    assert {(e.kind, e.id) for e in one.evidence} == {("same-id", "2016-001902-40")}
    assert record_key(curated) in one.keys


# -- curated: the transition --------------------------------------------------------------------

_CURATED = """identifiers:
  - {{registry: {registry}, value: {value}, transitioned_to: {moved}}}
{more}
"""


def _curated(registry: str, value: str, moved: str, more: str = "") -> TrialRecord | RecordError:
    text = _CURATED.format(registry=registry, value=value, moved=moved, more=more)
    return parse(text, source_file="t.yaml", record_id="t")


def test_curated_transition_is_read() -> None:
    record = _curated(
        "EUDRACT", "2016-001902-40", "2024-518394-34-00", "  - {registry: CTIS, value: 2024-518394-34-00}"
    )
    assert isinstance(record, TrialRecord)
    assert record.identifiers[0] == Identifier("EUDRACT", "2016-001902-40", transitioned_to="2024-518394-34-00")


@pytest.mark.parametrize(
    ("registry", "value", "moved", "more", "field", "words"),
    [
        ("NCT", "NCT02849613", "2024-518394-34-00", "  - {registry: CTIS, value: 2024-518394-34-00}",
         "identifiers[0].transitioned_to", "only a EudraCT number moves to CTIS"),
        ("EUDRACT", "2016-001902-40", "2024-518394", "", "identifiers[0].transitioned_to", "is not a CTIS number"),
        ("EUDRACT", "2016-001902-40", "2024-518394-34-00", "", "identifiers[0].transitioned_to",
         "is not among the record's identifiers"),
    ],
)  # fmt: skip
def test_curated_transition_errors(registry: str, value: str, moved: str, more: str, field: str, words: str) -> None:
    error = _curated(registry, value, moved, more)
    assert isinstance(error, RecordError)
    assert error.field == field
    assert words in error.reason
