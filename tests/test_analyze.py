"""The analyses (graph.network.analyses) and `trialgraph analyze`, on real registry records and on the
two hand-written records of tests/test_network.py.

Every expected value is counted by hand from the records named in each test: the extract of
eight ClinicalTrials.gov studies in tests/data/ctgov/herniated-disc-shared-sites_page.json, the
curated seed records in data/, and the ICTRP sample ../shared/data/ictrp/ictrp-export-sample.xml.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

import graph
from graph.cli import main
from graph.errors import InputError
from graph.network.analyses import analyze, run
from graph.network.organisations import centrality, communities, partition, trial_org_network
from graph.network.paths import path
from graph.network.projection import project
from graph.pipeline.run import build
from graph.store.local import OxigraphStore
from graph.store.registry import open_store
from tests.conftest import ICTRP_FILE, TEST_DATA
from tests.test_network import load_records, record_a, record_b

ROOT = Path(__file__).resolve().parents[1]
HERNIATED = TEST_DATA / "ctgov" / "herniated-disc-shared-sites_page.json"
ID = "https://w3id.org/trialgraph/id/"


def built(tmp_path_factory: pytest.TempPathFactory, name: str, *paths: Path) -> Path:
    folder = tmp_path_factory.mktemp(name) / "store"
    store = open_store(folder)
    build(list(paths), store)
    store.close()
    return folder


@pytest.fixture(scope="module")
def herniated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built(tmp_path_factory, "herniated", HERNIATED)


@pytest.fixture(scope="module")
def ictrp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built(tmp_path_factory, "ictrp", ICTRP_FILE)


@pytest.fixture(scope="module")
def two_trials() -> OxigraphStore:
    return load_records(OxigraphStore(None), [record_a(), record_b()], infer=False)


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["analyze", *args])
    return result.exit_code, result.output


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# -- shared sites ---------------------------------------------------------------------------------


def test_shared_sites_counted_by_hand(herniated: Path) -> None:
    """Sites named by several of the eight studies (facility, city, country as the JSON gives them):
    William Beaumont Hospital, Royal Oak: NCT03433391, NCT00000410, NCT01978912;
    Jaseng Hospital of Korean Medicine, Seoul: NCT04833270, NCT02384928, NCT05240586;
    Hospital for Special Surgery, New York: NCT00000410, NCT02300909;
    Rush University Medical Center, Chicago: NCT03433391, NCT01978912;
    Texas Back Institute, Plano: NCT03433391, NCT00220935.
    Every other site is named once ("Rush-Presbyterian, St. Luke's Medical Center" is another one)."""
    code, out = cli("shared-sites", "--store", str(herniated), "--format", "csv")
    assert code == 0, out
    assert [(r["name"], r["city"], r["country"], r["trials"]) for r in csv_rows(out)] == [
        ("Jaseng Hospital of Korean Medicine", "Seoul", "KR", "3"),
        ("William Beaumont Hospital", "Royal Oak", "US", "3"),
        ("Hospital for Special Surgery", "New York", "US", "2"),
        ("Rush University Medical Center", "Chicago", "US", "2"),
        ("Texas Back Institute", "Plano", "US", "2"),
    ]
    code, out = cli("shared-sites", "--store", str(herniated), "--format", "csv", "--min", "3")
    assert [r["name"] for r in csv_rows(out)] == ["Jaseng Hospital of Korean Medicine", "William Beaumont Hospital"]
    code, out = cli("shared-sites", "--store", str(herniated), "--format", "csv", "--top", "1")
    assert [r["site"] for r in csv_rows(out)] == [ID + "site/kr/jaseng-hospital-of-korean-medicine-seoul"]


def test_shared_sites_narrowed_by_a_query(herniated: Path, tmp_path: Path) -> None:
    """Narrowed to the trials of Texas Back Institute as lead sponsor (NCT00220935, one site,
    Texas Back Institute in Plano): no site is shared within it."""
    rq = tmp_path / "sponsored.rq"
    rq.write_text(
        "# title: trials of a lead sponsor\n# param: name ?name the sponsor's name\n"
        "PREFIX tg: <https://w3id.org/trialgraph/ontology#>\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT DISTINCT ?trial WHERE { ?trial tg:leadSponsorParticipation/tg:agent/rdfs:label ?name }\n",
        encoding="utf-8",
    )
    store = open_store(herniated, read_only=True)
    rows = analyze(store, "shared-sites", query=str(rq), params={"name": "Texas Back Institute"}, minimum=1)
    assert [(r["name"], r["trials"]) for r in rows] == [("Texas Back Institute", 1)]


# -- partners -------------------------------------------------------------------------------------


def test_resstore_partners(seed_store: OxigraphStore) -> None:
    """data/resstore.yaml: CHU Grenoble Alpes (lead sponsor and coordinator), SERMAS (coordinator,
    resolved to its name in data/organizations.yaml, Servicio Madrileño de Salud), Medfiles (the
    CRO) and the European Commission (funder): six pairs, one shared trial each.  No other seed
    trial names two of them."""
    rows = graph.analyze(seed_store, "partners")
    resstore = {"CHU Grenoble Alpes", "Servicio Madrileño de Salud", "Medfiles", "European Commission"}
    pairs = [(r["name"], r["partner_name"], r["trials"], r["roles"]) for r in rows if r["name"] in resstore]
    assert pairs == [
        ("CHU Grenoble Alpes", "European Commission", 1, "coordinator, lead sponsor / funder"),
        ("CHU Grenoble Alpes", "Medfiles", 1, "coordinator, lead sponsor / contract research organisation"),
        ("CHU Grenoble Alpes", "Servicio Madrileño de Salud", 1, "coordinator, lead sponsor / coordinator"),
        ("European Commission", "Medfiles", 1, "funder / contract research organisation"),
        ("European Commission", "Servicio Madrileño de Salud", 1, "funder / coordinator"),
        ("Medfiles", "Servicio Madrileño de Salud", 1, "contract research organisation / coordinator"),
    ]
    assert all(r["organization"].startswith(ID + "org/") for r in rows)


def test_partners_of_the_two_records(two_trials: OxigraphStore) -> None:
    """A: Acme (lead sponsor), Beta (collaborator), Gamma (CRO), Delta (funder); B: Beta alone.
    Six pairs, all from A."""
    rows = run(project(two_trials), "partners")
    assert [(r["name"], r["partner_name"], r["trials"]) for r in rows] == [
        ("Acme Pharma", "Beta University", 1),
        ("Acme Pharma", "Delta Fund", 1),
        ("Acme Pharma", "Gamma Research", 1),
        ("Beta University", "Delta Fund", 1),
        ("Beta University", "Gamma Research", 1),
        ("Delta Fund", "Gamma Research", 1),
    ]
    assert run(project(two_trials), "partners", minimum=2) == []


# -- centrality -----------------------------------------------------------------------------------


def test_ictrp_sponsor_with_most_trials_ranks_first(ictrp: Path) -> None:
    """ictrp-export-sample.xml, Primary_sponsor and Secondary_Sponsor of each record.  Alnylam:
    primary sponsor of NCT06360289, NCT04201418, NCT03862807, NCT03759379 and NCT02939820;
    secondary sponsor of NCT05023889 and NCT03237494; as "Alnylam Pharmaceuticals, Inc[.]" of
    EUCTR2014-003877-40-ES, EUCTR2015-002603-29-SE and EUCTR2018-003519-24-GB (NCT03862807's
    secondary id 2018-003519-24: the same trial); with Medpace Japan of JPRN-jRCT2080224174:
    10 trials.  Next, Ionis: NCT05071300, EUCTR2019-001698-10-PT (and NL-OMON55279, whose
    secondary id EUCTR2019-001698-10-NL makes it the same trial), EUCTR2017-005115-13 (-FR and
    -ES, one trial), EUCTR2013-004561-13-PT, and secondary sponsor of NCT05311488: 5."""
    code, out = cli("centrality", "--store", str(ictrp), "--format", "csv", "--top", "2")
    assert code == 0, out
    rows = csv_rows(out)
    assert [(r["name"], r["kind"], r["trials"]) for r in rows] == [
        ("Alnylam Pharmaceuticals", "organization", "10"),
        ("Ionis Pharmaceuticals, Inc.", "organization", "5"),
    ]
    assert float(rows[0]["score"]) > float(rows[1]["score"])


def test_three_measures_on_the_two_records(two_trials: OxigraphStore) -> None:
    """The trial-organisation network of A and B is a tree of 6 nodes and 5 links: A joined to
    Acme, Beta, Gamma and Delta, and Beta to B.
    Degree: Beta 2/5, the other organisations 1/5.
    Betweenness (pairs over (n-1)(n-2)/2 = 10): A is between the 9 pairs of nodes in different
    branches (10 pairs, less Beta-B): 0.9; Beta between B and the other 4: 0.4; leaves 0.
    Eigenvector (A = 1): with l a leaf organisation, b Beta, t trial B and lambda the largest
    eigenvalue, lambda*l = 1, lambda*t = b, lambda*b = 1 + t, lambda = 3l + b, so
    lambda^4 - 5 lambda^2 + 3 = 0, lambda = 2.07431, l = 0.48209, b = 0.62804."""
    g = project(two_trials)
    degree = {r["name"]: r["score"] for r in centrality(g, "degree")}
    assert degree == pytest.approx(
        {"Beta University": 0.4, "Acme Pharma": 0.2, "Delta Fund": 0.2, "Gamma Research": 0.2}
    )
    between = centrality(g, "betweenness", "all")
    assert [(r["name"], r["score"]) for r in between[:2]] == [
        ("ALPHA", pytest.approx(0.9)),
        ("Beta University", pytest.approx(0.4)),
    ]
    assert {r["score"] for r in between[2:]} == {0.0}
    eigen = {r["name"]: r["score"] for r in centrality(g, "eigenvector", "all")}
    lam = ((5 + 13**0.5) / 2) ** 0.5
    assert eigen == pytest.approx(
        {"ALPHA": 1.0, "Beta University": lam / (lam**2 - 1), "NCT00000002": 1 / (lam**2 - 1),
         "Acme Pharma": 1 / lam, "Delta Fund": 1 / lam, "Gamma Research": 1 / lam},
        abs=1e-6,
    )  # fmt: skip
    assert [r["name"] for r in centrality(g, "degree", "trial")] == ["ALPHA", "NCT00000002"]


def test_eigenvector_outside_the_largest_part_is_zero(two_trials: OxigraphStore) -> None:
    """A third trial with its own sponsor is a part of 2 nodes, apart from the tree of 6."""
    from graph.model import Identifier, Organization, Participation, TrialRecord

    lone = TrialRecord(
        source="test",
        record_id="c",
        source_file="c.yaml",
        identifiers=[Identifier("NCT", "NCT00000003")],
        participations=[Participation(Organization("Lone Sponsor"), "LEAD_SPONSOR")],
    )
    store = load_records(OxigraphStore(None), [record_a(), record_b(), lone], infer=False)
    scores = {r["name"]: r["score"] for r in centrality(project(store), "eigenvector", "all")}
    assert scores["Lone Sponsor"] == 0.0 and scores["NCT00000003"] == 0.0
    assert scores["ALPHA"] == 1.0


# -- communities ----------------------------------------------------------------------------------


def test_communities_repeat_across_runs_and_processes(ictrp: Path) -> None:
    """Two runs, in two processes with different hash seeds: the same rows."""
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-m", "graph", "analyze", "communities", "--store", str(ictrp), "--format", "csv"],
            cwd=ROOT, env=env, capture_output=True, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr.decode()
        outputs.append(done.stdout)
    assert outputs[0] == outputs[1]
    rows = csv_rows(outputs[0].decode())
    # Alnylam is in a community with trials
    alnylam = next(r["community"] for r in rows if r["name"] == "Alnylam Pharmaceuticals")
    assert sum(1 for r in rows if r["community"] == alnylam and r["kind"] == "trial") >= 1
    numbers = [int(r["community"]) for r in rows]
    assert numbers == sorted(numbers) and numbers[0] == 1


def test_communities_stay_within_connected_parts(ictrp: Path) -> None:
    g = project(open_store(ictrp, read_only=True))
    parts = {n: i for i, part in enumerate(nx.connected_components(trial_org_network(g))) for n in part}
    groups = partition(g)
    assert all(len({parts[n] for n in group}) == 1 for group in groups)
    sizes = [len(group) for group in groups]
    assert sizes == sorted(sizes, reverse=True)
    rows = communities(g, minimum=1)
    assert len(rows) == trial_org_network(g).number_of_nodes()  # every trial and organisation, once
    assert communities(g, kind="organization", top=1) == [
        r for r in rows if r["community"] == 1 and r["kind"] == "organization"
    ]


# -- paths ----------------------------------------------------------------------------------------


def test_path_from_resstore_to_nct07635758_passes_through_stroke(seed_store: OxigraphStore) -> None:
    """data/resstore.yaml and data/nct07635758.yaml both study ischemic stroke (MeSH D000083242);
    they share no organisation, site, country or intervention."""
    code, out = cli(
        "path", "--from", "NCT02849613", "--to", "NCT07635758", "--store", str(seed_store.root), "--format", "json"
    )
    assert code == 0, out
    trial, condition = ID + "trial/", ID + "condition/"
    assert json.loads(out) == [
        {"step": 0, "node": trial + "NCT02849613", "name": "RESSTORE", "kind": "trial", "relation": ""},
        {"step": 1, "node": condition + "mesh-D000083242", "name": "ischemic stroke", "kind": "condition",
         "relation": "condition"},
        {"step": 2, "node": trial + "NCT07635758", "name": "NCT07635758", "kind": "trial", "relation": "condition of"},
    ]  # fmt: skip
    # the EudraCT id names the same trial; an organisation's name works too
    rows = graph.analyze(seed_store, "path", source="2016-001902-40", target="European Commission")
    assert [(r["name"], r["relation"]) for r in rows] == [("RESSTORE", ""), ("European Commission", "funder")]


def test_path_between_unconnected_nodes_is_empty(two_trials: OxigraphStore) -> None:
    g = project(two_trials)
    g.add_node(ID + "org/nobody", kind="organization", label="Nobody", aliases=[])
    assert path(g, "ALPHA", "Nobody") == []


def test_path_errors(herniated: Path) -> None:
    store = str(herniated)
    code, out = cli("path", "--from", "NCT00220935", "--to", "no such hospital", "--store", store)
    assert code == 2 and "--to: no trial, organisation" in out
    # Texas Back Institute is an organisation (NCT00220935's sponsor) and a site
    code, out = cli("path", "--from", "Texas Back Institute", "--to", "NCT00220935", "--store", store)
    assert code == 2 and "names 2 nodes" in out and ID + "site/us/texas-back-institute-plano" in out
    code, out = cli(
        "path", "--from", ID + "site/us/texas-back-institute-plano", "--to", "NCT03433391", "--store", store
    )
    assert code == 0, out
    code, out = cli("path", "--from", "NCT00220935", "--store", store)
    assert code == 2 and "needs --from and --to" in out


# -- options and output -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["sites"], "no analysis named 'sites'"),
        (["centrality", "--min", "2"], "--min does not apply to centrality"),
        (["partners", "--kind", "trial"], "--kind does not apply to partners"),
        (["communities", "--kind", "country"], "Invalid value for '--kind'"),
        (["shared-sites", "--measure", "degree"], "--measure does not apply to shared-sites"),
        (["shared-sites", "--from", "x"], "--from/--to does not apply to shared-sites"),
        (["shared-sites", "--param", "a=b"], "--param goes with --query"),
        (["shared-sites", "--top", "0"], "--top"),
        (["shared-sites", "--format", "table", "-o", "x.csv"], "--format table prints to the terminal"),
    ],
)
def test_bad_options_exit_2(herniated: Path, args: list[str], message: str) -> None:
    code, out = cli(*args, "--store", str(herniated))
    assert code == 2
    assert message in out
    assert "Traceback" not in out


def test_missing_store_is_an_error(tmp_path: Path) -> None:
    code, out = cli("partners", "--store", str(tmp_path / "nothing"))
    assert code == 2 and "no trialgraph store here" in out


def test_output_formats(herniated: Path, tmp_path: Path) -> None:
    code, out = cli("shared-sites", "--store", str(herniated), "--format", "json", "--top", "1")
    assert json.loads(out) == [
        {"site": ID + "site/kr/jaseng-hospital-of-korean-medicine-seoul", "name": "Jaseng Hospital of Korean Medicine",
         "city": "Seoul", "country": "KR", "trials": 3},
    ]  # fmt: skip
    target = tmp_path / "sites.csv"
    code, _out = cli("shared-sites", "--store", str(herniated), "-o", str(target))
    assert code == 0
    assert csv_rows(target.read_text(encoding="utf-8"))[0]["trials"] == "3"  # csv when writing a file
    code, out = cli("shared-sites", "--store", str(herniated), "--format", "table")
    assert "Jaseng Hospital of Korean Medicine" in out and "https://" not in out  # IRIs only in csv and json


def test_python_api_returns_plain_rows(herniated: Path) -> None:
    rows = graph.analyze(open_store(herniated, read_only=True), "shared-sites", top=2)
    assert all(type(r) is dict for r in rows)
    assert {type(v) for r in rows for v in r.values()} <= {str, int}
    with pytest.raises(InputError, match="no centrality measure"):
        graph.analyze(open_store(herniated, read_only=True), "centrality", measure="pagerank")


# -- the registry ---------------------------------------------------------------------------------


def test_a_new_analysis_is_one_registration(two_trials: OxigraphStore, herniated: Path) -> None:
    """A test-only analysis, registered beside its function and nowhere else, answers through
    run() and through `trialgraph analyze`.  Records A and B name the trials NCT00000001 and
    NCT00000002, so it lists those two; --top 1 keeps the first."""
    from graph.network.analyses import ANALYSES, Analysis, register

    def trials(g: nx.MultiDiGraph) -> list[dict[str, object]]:
        return [{"trial": n, "name": d["label"]} for n, d in sorted(g.nodes(data=True)) if d.get("kind") == "trial"]

    register(Analysis("trials", ("trial", "name"), "every trial", frozenset(), compute=lambda g, o: trials(g)))
    try:
        assert [r["trial"].rsplit("/", 1)[1] for r in run(project(two_trials), "trials")] == [
            "NCT00000001",
            "NCT00000002",
        ]
        assert len(run(project(two_trials), "trials", top=1)) == 1
        with pytest.raises(InputError, match="--min does not apply to trials"):
            run(project(two_trials), "trials", minimum=2)
        # the eight studies of the herniated-disc page (their ids in the shared-sites test above)
        code, out = cli("trials", "--store", str(herniated), "--format", "csv")
        assert code == 0, out
        eight = "NCT03433391 NCT00000410 NCT01978912 NCT04833270 NCT02384928 NCT05240586 NCT02300909 NCT00220935"
        assert sorted(r["trial"].rsplit("/", 1)[1] for r in csv_rows(out)) == sorted(eight.split())
    finally:
        del ANALYSES["trials"]
    assert list(ANALYSES) == ["shared-sites", "partners", "centrality", "communities", "path"]
