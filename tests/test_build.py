"""The build: idempotent, versioned, atomic, and one bad record never costs the others."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Dataset, URIRef
from rdflib.compare import isomorphic, to_isomorphic

from graph.build import build
from graph.cli import main
from graph.constants import INFERRED_GRAPH
from graph.store import open_store

from .conftest import CTGOV_DIR, SEED_DATA


def dataset(store_path: Path) -> Dataset:
    """The store's graphs without the load timestamps (they record when, not what)."""
    ds = Dataset()
    data = open_store(store_path, read_only=True).dump("nquads")
    ds.parse(data=data.decode(), format="nquads")
    for ctx in list(ds.graphs()):
        for t in list(ctx.triples((None, URIRef("http://www.w3.org/ns/prov#generatedAtTime"), None))):
            ctx.remove(t)
    return ds


def graphs(ds: Dataset) -> dict[str, object]:
    return {str(c.identifier): to_isomorphic(c) for c in ds.graphs() if len(c)}


def test_rebuild_on_the_same_files_is_isomorphic(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    build([SEED_DATA], open_store(a))
    build([SEED_DATA], open_store(b))
    ga, gb = graphs(dataset(a)), graphs(dataset(b))
    assert ga.keys() == gb.keys()
    for name in ga:
        assert ga[name] == gb[name], f"graph {name} differs between two builds"


def test_building_twice_into_one_store_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "s"
    first = build([SEED_DATA], open_store(path))
    before = dataset(path)
    second = build([SEED_DATA], open_store(path))
    assert second.loaded == []
    assert sorted(second.unchanged) == sorted(first.loaded)
    after = dataset(path)
    for name, g in graphs(before).items():
        assert isomorphic(g, graphs(after)[name])  # type: ignore[arg-type]


def _study(version: str, status: str, condition: str) -> str:
    return (
        '{"protocolSection": {"identificationModule": {"nctId": "NCT09999991", "briefTitle": "A test study"},'
        f'"statusModule": {{"overallStatus": "{status}", "lastUpdatePostDateStruct": {{"date": "{version}"}}}},'
        '"sponsorCollaboratorsModule": {"leadSponsor": {"name": "Test Sponsor", "class": "OTHER"}},'
        f'"conditionsModule": {{"conditions": ["{condition}"]}}}}}}'
    )


def test_newer_version_replaces_and_older_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "s"
    v1, v2 = tmp_path / "v1", tmp_path / "v2"
    v1.mkdir()
    v2.mkdir()
    (v1 / "NCT09999991.json").write_text(_study("2024-01-10", "RECRUITING", "Frailty"))
    (v2 / "NCT09999991.json").write_text(_study("2024-06-01", "COMPLETED", "Sarcopenia"))
    store = open_store(path)
    build([v1, CTGOV_DIR / "NCT03418623.json"], store)
    report = build([v2], store)
    assert report.loaded == ["ctgov/NCT09999991"]
    store = open_store(path, read_only=True)
    statuses = {
        str(r[0])
        for r in store.query(
            "PREFIX tg: <https://w3id.org/trialgraph/ontology#> "
            "SELECT ?s WHERE { <https://w3id.org/trialgraph/id/trial/NCT09999991> tg:status ?s }"
        ).rows
    }
    assert statuses == {"https://w3id.org/trialgraph/vocab/status/COMPLETED"}
    labels = {
        str(r[0])
        for r in store.query(
            "PREFIX tg: <https://w3id.org/trialgraph/ontology#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>"
            " SELECT ?l WHERE { <https://w3id.org/trialgraph/id/trial/NCT09999991> tg:condition/rdfs:label ?l }"
        ).rows
    }
    assert labels == {"Sarcopenia"}
    # the other study is untouched
    assert store.query("ASK { <https://w3id.org/trialgraph/id/trial/NCT03418623> ?p ?o }").boolean
    # an older version is refused, and says so
    store = open_store(path)
    again = build([v1], store)
    assert again.loaded == [] and len(again.older) == 1 and "2024-06-01" in again.older[0]


def test_a_failed_write_leaves_the_store_intact(tmp_path: Path) -> None:
    path = tmp_path / "s"
    store = open_store(path)
    build([SEED_DATA], store)
    before = sorted(open_store(path, read_only=True).dump("nquads").decode().splitlines())
    store = open_store(path)
    with pytest.raises(RuntimeError), store.write() as w:
        w.remove_graph(URIRef(INFERRED_GRAPH))
        raise RuntimeError("interrupted")
    after = sorted(open_store(path, read_only=True).dump("nquads").decode().splitlines())
    assert after == before
    assert [p.name for p in path.iterdir() if p.name.startswith("db-")] == [
        Path(open_store(path).root / "current").resolve().name
    ]  # type: ignore[operator]


def _bad_copy(tmp_path: Path, text_from: str, text_to: str) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(SEED_DATA, folder)
    target = folder / "nct04445454.yaml"
    text = target.read_text()
    assert text_from in text
    target.write_text(text.replace(text_from, text_to, 1))
    return folder


@pytest.mark.parametrize(
    ("text_from", "text_to", "field", "rule"),
    [
        ("enrollment: 20", "enrollment: -20", "enrollment", "MinInclusive"),
        ("value: NCT04445454", "value: NCT4445454", "id", "Pattern"),
    ],
)
def test_bad_curated_record_fails_validation_and_costs_only_itself(
    tmp_path: Path, text_from: str, text_to: str, field: str, rule: str
) -> None:
    folder = _bad_copy(tmp_path, text_from, text_to)
    store = str(tmp_path / "s")
    runner = CliRunner()
    built = runner.invoke(main, ["build", str(folder), "--store", store, "--quiet"])
    assert built.exit_code == 1, built.output
    checked = runner.invoke(main, ["validate", "--store", store, "--format", "json"])
    assert checked.exit_code == 1
    assert "NCT4445454" in checked.output or "NCT04445454" in checked.output
    assert f'"field": "{field}"' in checked.output
    assert rule in checked.output
    # the other four trials are in the store
    listed = runner.invoke(main, ["query", "trials", "--store", store, "--format", "csv"])
    ids = {line.split(",")[1] for line in listed.output.splitlines()[1:]}
    assert {"NCT02849613", "NCT07635758", "NL-OMON47582", "NCT01849237"} <= ids
    assert "NCT04445454" not in ids


def test_a_fixed_record_leaves_quarantine(tmp_path: Path) -> None:
    folder = _bad_copy(tmp_path, "enrollment: 20", "enrollment: -20")
    store = str(tmp_path / "s")
    runner = CliRunner()
    assert runner.invoke(main, ["build", str(folder), "--store", store, "--quiet"]).exit_code == 1
    shutil.copy(SEED_DATA / "nct04445454.yaml", folder / "nct04445454.yaml")
    assert runner.invoke(main, ["build", str(folder), "--store", store, "--quiet"]).exit_code == 0
    listed = runner.invoke(main, ["validate", "--store", store, "--quarantine", "--format", "json"])
    assert '"quarantined": []' in listed.output


def test_unreadable_record_exit_2_and_others_load(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(CTGOV_DIR / "NCT03418623.json", folder)
    (folder / "NCT00000000.json").write_text('{"protocolSection": {"identificationModule": ')
    result = CliRunner().invoke(main, ["build", str(folder), "--store", str(tmp_path / "s"), "--quiet"])
    assert result.exit_code == 2
    assert "NCT00000000.json" in result.output
    assert "Traceback" not in result.output
    store = open_store(tmp_path / "s", read_only=True)
    assert store.query("ASK { <https://w3id.org/trialgraph/id/trial/NCT03418623> ?p ?o }").boolean


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["build", str(tmp_path / "nope"), "--store", str(tmp_path / "s")])
    assert result.exit_code == 2
    assert "no such file or folder" in result.output


def _sites_of(store_path: Path, nct: str) -> int:
    q = f"""PREFIX tg: <https://w3id.org/trialgraph/ontology#>
    PREFIX dcterms: <http://purl.org/dc/terms/>
    SELECT (COUNT(DISTINCT ?site) AS ?n) WHERE {{ ?t dcterms:identifier "{nct}" ; tg:site ?site }}"""
    return int(str(open_store(store_path, read_only=True).query(q).rows[0][0]))


def test_batches_in_worker_processes_build_the_same_graph(tmp_path: Path) -> None:
    """The second pass split into batches of three records, run by two worker processes and bulk
    loaded, gives the graphs of one in-process batch."""
    one, many = tmp_path / "one", tmp_path / "many"
    build([CTGOV_DIR], open_store(one), workers=1)
    report = build([CTGOV_DIR], open_store(many), batch_size=3, workers=2)
    assert len(report.loaded) == 16 and not report.errors
    # counted by hand in NCT02552212.json: 105 entries under locations
    assert _sites_of(many, "NCT02552212") == 105
    ga, gb = graphs(dataset(one)), graphs(dataset(many))
    assert ga.keys() == gb.keys()
    for name in ga:
        assert ga[name] == gb[name], f"graph {name} differs between one batch and many"


def test_batches_added_to_a_store_with_a_closure_are_reasoned_incrementally(tmp_path: Path) -> None:
    """Records added in worker batches to a store that holds a closure go through the
    incremental reasoner, and are then found like any other."""
    path = tmp_path / "s"
    build([SEED_DATA], open_store(path))
    report = build([CTGOV_DIR], open_store(path), batch_size=4, workers=2)
    assert report.reasoning is not None and report.reasoning.mode == "incremental"
    assert _sites_of(path, "NCT02552212") == 105
    # NCT04445454 is a seed: still there, with its one site (CHU de Liège)
    assert _sites_of(path, "NCT04445454") == 1
