"""The build: idempotent, versioned, atomic, and one bad record never costs the others."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from rdflib import Dataset, URIRef
from rdflib.compare import isomorphic, to_isomorphic

from graph.cli import main
from graph.constants import INFERRED_GRAPH, QUERIES_DIR
from graph.errors import QueryError
from graph.pipeline.assign import existing_identifiers
from graph.pipeline.run import build
from graph.query.named import catalogue, run
from graph.sparql import internal_query
from graph.store.ledger import BY_NAME_AT_MOST
from graph.store.local import OxigraphStore
from graph.store.registry import open_store

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
    # the build counts what it loads: the store's size and its 16 trials (one per file)
    assert report.triples == len(open_store(many, read_only=True).reader()) and report.trials == 16
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


# -- issue 19: hostile input costs only itself ---------------------------------------------------


def _statuses(store_path: Path, nct: str) -> set[str]:
    q = f"""PREFIX tg: <https://w3id.org/trialgraph/ontology#>
    SELECT ?s WHERE {{ <https://w3id.org/trialgraph/id/trial/{nct}> tg:status ?s }}"""
    return {str(r[0]).rsplit("/", 1)[-1] for r in open_store(store_path, read_only=True).query(q).rows}


def test_far_future_version_does_not_poison_a_trial(tmp_path: Path) -> None:
    """Issue 19, case 4: a study dated 9999-12-31 came first; the genuine record must still win,
    and a far-future version never replaces a plausible one."""
    path = tmp_path / "s"
    future, genuine, later = (tmp_path / n for n in ("future", "genuine", "later"))
    for folder, (version, status) in zip(
        (future, genuine, later),
        (("9999-12-31", "WITHDRAWN"), ("2024-06-01", "RECRUITING"), ("2024-07-01", "COMPLETED")),
        strict=True,
    ):
        folder.mkdir()
        (folder / "NCT09999991.json").write_text(_study(version, status, "Frailty"))
    first = build([future], open_store(path))
    assert first.loaded == ["ctgov/NCT09999991"]
    assert any("9999-12-31" in w and "future" in w for w in first.warnings)
    second = build([genuine], open_store(path))
    assert second.loaded == ["ctgov/NCT09999991"] and _statuses(path, "NCT09999991") == {"RECRUITING"}
    third = build([future], open_store(path))
    assert third.loaded == [] and len(third.older) == 1 and "future" in third.older[0]
    assert _statuses(path, "NCT09999991") == {"RECRUITING"}
    assert build([later], open_store(path)).loaded == ["ctgov/NCT09999991"]
    # an explicit --force re-import replaces a record whatever its version
    result = CliRunner().invoke(main, ["build", str(genuine), "--store", str(path), "--quiet", "--force"])
    assert result.exit_code == 0, result.output
    assert _statuses(path, "NCT09999991") == {"RECRUITING"}


def test_a_record_over_16_mib_of_n_quads_rebuilds_unchanged(tmp_path: Path) -> None:
    """Issue 19, case 5: a 10 MB non-ASCII title makes N-Quads lines of 20 MB; rebuilding the
    record compared it with the stored one and crashed with a MemoryError."""
    folder = tmp_path / "in"
    folder.mkdir()
    study = json.loads(_study("2024-01-10", "RECRUITING", "Frailty"))
    study["protocolSection"]["identificationModule"]["briefTitle"] = "é" * 10_000_000
    (folder / "NCT09999991.json").write_text(json.dumps(study, ensure_ascii=False), encoding="utf-8")
    store = str(tmp_path / "s")
    runner = CliRunner()
    first = runner.invoke(main, ["build", str(folder), "--store", store, "--quiet"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(main, ["build", str(folder), "--store", store, "--quiet"])
    assert second.exit_code == 0, second.output
    assert "Traceback" not in second.output and "1 unchanged" in second.output


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    """A process that runs (a zombie waiting for its new parent to reap it does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _many_studies(folder: Path, n: int) -> Path:
    """A bulk-download zip of ``n`` copies of NCT03418623 (one site) under new NCT ids."""
    import zipfile

    body = (CTGOV_DIR / "NCT03418623.json").read_text(encoding="utf-8")
    path = folder / "ctg-studies.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(n):
            nct = f"NCT8{i:07d}"
            archive.writestr(f"{nct}.json", body.replace("NCT03418623", nct))
    return path


def test_a_killed_build_leaves_no_workers_and_its_staging_folder_goes_with_the_next_build(tmp_path: Path) -> None:
    """Issue 19, case 8: after kill -9 of a build, its staging database stayed on disk for good
    and its worker processes, busy with a batch, outlived it."""
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "s"
    store = open_store(path)
    build([SEED_DATA], store)
    store.close()  # the build below opens the store for writing
    current = (path / "current").resolve().name
    studies = _many_studies(tmp_path, 2000)
    command = [sys.executable, "-m", "graph", "build", str(studies), "--store", str(path), "--quiet"]
    proc = subprocess.Popen([*command, "--batch-size", "500", "--workers", "2"], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    workers: list[int] = []
    staging: list[Path] = []
    while time.monotonic() < deadline and proc.poll() is None:
        staging = [p for p in path.glob("db-*") if p.name != current]
        workers = [c for c in _children(proc.pid) if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]
        if staging and len(workers) >= 2:
            break
        time.sleep(0.05)
    time.sleep(0.5)  # the workers are into a batch of 500 records
    assert proc.poll() is None and staging and workers, "the build ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(1.0)
    assert [w for w in workers if _alive(w)] == []
    assert [p for p in path.glob("db-*") if p.name != current], "the killed build's staging folder"
    build([SEED_DATA], open_store(path))
    assert [p.name for p in path.glob("db-*")] == [(path / "current").resolve().name]


def test_two_fresh_builds_export_the_same_nquads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 19, case 9: two builds of the same data differed in prov:generatedAtTime and in the
    labels of the ontology's blank nodes, so exports could not be compared byte for byte."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1704067200")
    exports = []
    for name in ("a", "b"):
        build([SEED_DATA, CTGOV_DIR / "NCT03418623.json"], open_store(tmp_path / name))
        exports.append(sorted(open_store(tmp_path / name, read_only=True).dump("nquads").splitlines()))
    assert exports[0] == exports[1]
    assert any(b"2024-01-01T00:00:00" in line for line in exports[0])  # the epoch, not the clock
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    runner = CliRunner()
    for name in ("c", "d"):
        store = str(tmp_path / name)
        args = ["build", str(SEED_DATA), "--store", store, "--quiet", "--timestamp", "2024-02-03T04:05:06"]
        assert runner.invoke(main, args).exit_code == 0
    dumps = [sorted(open_store(tmp_path / n, read_only=True).dump("nquads").splitlines()) for n in ("c", "d")]
    assert dumps[0] == dumps[1] and any(b"2024-02-03T04:05:06" in line for line in dumps[0])


# -- refresh --------------------------------------------------------------------------------------


def _newer_study(source: Path, target: Path, version: str, title: str) -> None:
    doc = json.loads(source.read_text(encoding="utf-8"))
    ident = doc["protocolSection"]["identificationModule"]
    ident["briefTitle"] = title
    doc["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"] = {"date": version, "type": "ACTUAL"}
    target.write_text(json.dumps(doc), encoding="utf-8")


def test_a_refresh_gives_the_graphs_of_a_rebuild_from_scratch(tmp_path: Path) -> None:
    """Newer versions of some records, built into a store that holds the rest, give the store a
    build of the final set of files gives, graph by graph: records, their inferences, the shared
    inferred graph (the stroke trial below gets its MeSH ancestors from the seed records'
    tree, which one of the newer versions drops), the ledger."""
    v1, v2 = tmp_path / "v1", tmp_path / "v2"
    shutil.copytree(SEED_DATA, v1)
    for name in ("NCT03418623.json", "NCT02552212.json", "NCT06171568.json"):
        shutil.copy(CTGOV_DIR / name, v1)
    stroke = (SEED_DATA / "nct07635758.yaml").read_text()
    head, _, tail = stroke.partition("    broader:")
    # a trial of ischemic stroke without a tree of its own (data/nct07635758.yaml gives one)
    bare = head.replace("NCT07635758", "NCT07635759") + "\nkeywords:" + tail.split("\nkeywords:", 1)[1]
    (v1 / "nct07635759.yaml").write_text(bare)
    v2.mkdir()
    # the Beijing trial, version 2: its condition loses its MeSH tree
    (v2 / "nct07635758.yaml").write_text(
        stroke.replace('version: "1"', 'version: "2"').replace(tail.split("\nkeywords:", 1)[0], "")
    )
    _newer_study(CTGOV_DIR / "NCT02552212.json", v2 / "NCT02552212.json", "2025-01-15", "A newer title")
    refreshed = tmp_path / "refreshed"
    assert build([v1], open_store(refreshed)).errors == []
    report = build([v2], open_store(refreshed))
    assert sorted(report.loaded) == ["ctgov/NCT02552212", "curated/nct07635758"]
    assert report.reasoning is not None and report.reasoning.mode == "incremental"
    # the store's size and its trials, followed through the change, are what counting finds
    assert report.triples == len(open_store(refreshed, read_only=True).reader())
    counted = open_store(refreshed, read_only=True).query(
        "PREFIX tg: <https://w3id.org/trialgraph/ontology#> SELECT (COUNT(DISTINCT ?t) AS ?n) WHERE { ?t a tg:Trial }"
    )
    assert report.trials == int(str(counted.rows[0][0]))
    final = [p for p in sorted(v1.glob("*.*")) if p.suffix in (".yaml", ".json") and not (v2 / p.name).exists()]
    final = [p for p in final if p.name != "organizations.yaml"] + sorted(v2.iterdir())
    rebuilt = tmp_path / "rebuilt"
    build(final, open_store(rebuilt))
    ga, gb = graphs(dataset(refreshed)), graphs(dataset(rebuilt))
    assert ga.keys() == gb.keys()
    for name in gb:
        assert ga[name] == gb[name], f"graph {name} differs between the refresh and the rebuild"


def test_the_builds_own_queries_are_not_named_queries() -> None:
    own = sorted(p.stem for p in (QUERIES_DIR / "internal").glob("build-*.rq"))
    # the queries the build runs itself (the trials of a remote store, the ids stored for a value)
    assert own == ["build-identifier-values", "build-trial-count"]
    assert all(internal_query(f"internal/{name}").lstrip().startswith("# title:") for name in own)
    assert not [name for name in catalogue() if name.startswith("internal/")]
    with pytest.raises(QueryError, match="no query named 'internal/build-trial-count'"):
        run(open_store("memory"), "internal/build-trial-count")


def test_stored_ids_are_the_same_looked_up_one_by_one_or_in_one_query(seed_store: OxigraphStore) -> None:
    """A few values are looked up by pattern, many in one query; both give what the store holds.
    data/resstore.yaml and data/nct04445454.yaml: each trial's preferred id is its NCT number."""
    expected = {"NCT02849613": "NCT02849613", "NCT04445454": "NCT04445454"}
    few = ["NCT02849613", "NCT04445454", "NCT00000000"]
    many = few + [f"NCT9{n:07d}" for n in range(BY_NAME_AT_MOST)]
    assert existing_identifiers(seed_store, few) == expected
    assert existing_identifiers(seed_store, many) == expected
