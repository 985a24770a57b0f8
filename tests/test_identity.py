"""Cross-registry identity and conflicts through the whole build (store, queries, CLI)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from graph.cli import main
from graph.pipeline.run import build
from graph.query.named import run
from graph.store.registry import open_store

from .conftest import ICTRP_FILE, SEED_DATA

# A ClinicalTrials.gov-style record of RESSTORE that declares its EudraCT number, as the registry does.
RESSTORE_CTGOV = {
    "protocolSection": {
        "identificationModule": {
            "nctId": "NCT02849613",
            "briefTitle": "RESSTORE: REgenerative Stem Cell Therapy for STroke in Europe",
            "secondaryIdInfos": [{"id": "2016-001902-40", "type": "EUDRACT_NUMBER"}],
        },
        "statusModule": {"overallStatus": "COMPLETED", "lastUpdatePostDateStruct": {"date": "2023-01-05"}},
        "sponsorCollaboratorsModule": {"leadSponsor": {"name": "University Hospital, Grenoble", "class": "OTHER"}},
    }
}


def _ids(store: object, value: str) -> set[tuple[str, str, str]]:
    result = run(store, "identifiers", {"id": value})  # type: ignore[arg-type]
    return {(str(t), str(i), str(r)) for t, i, r in result.rows}


def test_curated_and_registry_record_of_resstore_are_one_trial(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEED_DATA / "resstore.yaml", folder)
    (folder / "NCT02849613.json").write_text(json.dumps(RESSTORE_CTGOV))
    store = open_store(tmp_path / "s")
    build([folder], store)
    trials = run(store, "trials").rows
    assert len(trials) == 1
    trial = "https://w3id.org/trialgraph/id/trial/NCT02849613"
    # data/resstore.yaml lists the CTIS number the trial moved to as well
    expected = {
        (trial, "NCT02849613", "NCT"),
        (trial, "2016-001902-40", "EUDRACT"),
        (trial, "2024-518394-34-00", "CTIS"),
    }
    assert _ids(store, "2016-001902-40") == expected
    assert _ids(store, "NCT02849613") == expected
    # "University Hospital, Grenoble" (registry) and "CHU Grenoble Alpes" (curated) are one sponsor
    sponsors = run(store, "sponsors").rows
    assert [(str(name), str(n)) for _s, name, n in sponsors] == [("CHU Grenoble Alpes", "1")]


def test_conflicts_lists_the_status_disagreement_and_no_other(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    # curated: no status; registry: COMPLETED -> not a conflict.  Give the curated one a status.
    text = (SEED_DATA / "resstore.yaml").read_text()
    assert "study_type: INTERVENTIONAL" in text
    (folder / "resstore.yaml").write_text(
        text.replace("study_type: INTERVENTIONAL", "status: RECRUITING\nstudy_type: INTERVENTIONAL", 1)
    )
    (folder / "NCT02849613.json").write_text(json.dumps(RESSTORE_CTGOV))
    store_dir = str(tmp_path / "s")
    runner = CliRunner()
    runner.invoke(main, ["build", str(folder), "--store", store_dir, "--quiet"])
    out = runner.invoke(main, ["conflicts", "--store", store_dir, "--format", "json"])
    assert out.exit_code == 0, out.output
    rows = json.loads(out.output)
    assert [(r["trial"], r["field"]) for r in rows] == [("NCT02849613", "status")]
    assert sorted(v["value"] for v in rows[0]["values"]) == ["COMPLETED", "RECRUITING"]


def test_euctr_member_state_records_become_one_trial_with_each_country(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s")
    build([ICTRP_FILE], store)
    # EUCTR2021-000037-14 is published for ES, PL, PT, HU and DK in the sample (read by hand),
    # and the NCT record NCT04973137 names it.
    got = _ids(store, "2021-000037-14")
    assert {i for _t, i, _r in got} >= {"2021-000037-14"}
    trials = {t for t, _i, _r in got}
    assert len(trials) == 1
    countries = {
        str(r[0])
        for r in store.query(
            "PREFIX tg: <https://w3id.org/trialgraph/ontology#> SELECT ?c WHERE { <"
            + next(iter(trials))
            + "> tg:recruitsIn/tg:alpha2 ?c }"
        ).rows
    }
    assert {"ES", "PL", "PT", "HU", "DK"} <= countries


def test_merge_evidence_is_queryable_for_eu_member_state_records(tmp_path: Path) -> None:
    store = open_store(tmp_path / "s")
    build([ICTRP_FILE], store)
    rows = run(store, "merge-evidence", {"id": "2021-000037-14"}).rows
    kinds = {str(k) for _t, k, _i, _r in rows}
    assert "eu-member-states" in kinds
    linked = " ".join(str(r) for *_x, r in rows)
    for country in ("ES", "PL", "PT", "HU", "DK"):
        assert f"EUCTR2021-000037-14-{country}" in linked


def _declaring(nct: str, declares: str) -> dict[str, object]:
    return {
        "protocolSection": {
            "identificationModule": {
                "nctId": nct,
                "briefTitle": f"Study {nct}",
                "secondaryIdInfos": [{"id": declares, "type": "OTHER"}],
            },
            "sponsorCollaboratorsModule": {"leadSponsor": {"name": "Sponsor", "class": "OTHER"}},
        }
    }


def test_a_conflicting_chain_is_reported_not_merged(tmp_path: Path) -> None:
    # A (NCT09000001) declares B (EudraCT 2020-000001-11, curated), B declares C (NCT09000003):
    # A and C are two NCT trials, so no merge may join them through B.
    folder = tmp_path / "in"
    folder.mkdir()
    a = _declaring("NCT09000001", "2020-000001-11")
    a["protocolSection"]["identificationModule"]["secondaryIdInfos"] = [  # type: ignore[index]
        {"id": "2020-000001-11", "type": "EUDRACT_NUMBER"}
    ]
    (folder / "a.json").write_text(json.dumps(a))
    (folder / "c.json").write_text(json.dumps(_declaring("NCT09000003", "x")))
    (folder / "b.yaml").write_text(
        "identifiers:\n  - {registry: EUDRACT, value: 2020-000001-11}\n  - {registry: NCT, value: NCT09000003}\n"
        "title: B\n"
    )
    store = open_store(tmp_path / "s")
    report = build([folder], store)
    assert report.identity_conflicts, "the chain should be reported"
    message = " ".join(report.identity_conflicts)
    assert "NCT09000001" in message and "NCT09000003" in message
    trials = {str(r[1]) for r in run(store, "trials").rows}
    assert {"NCT09000001", "NCT09000003"} <= trials
