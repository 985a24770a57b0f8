"""Cross-registry trial identity (clusters with evidence).

The sample facts were read by hand from ``shared/data/ictrp/ictrp-export-sample.xml``: its
Secondary_ID fields link these records to another record of the file, and no others:
EUCTR2021-000037-14-ES/-PL/-PT/-HU/-DK (one EudraCT number), EUCTR2017-005115-13-FR/-ES,
EUCTR2019-001698-10-PT + JPRN-jRCT2071210009 + NL-OMON55279 (both list 2019-001698-10),
CTIS2023-507385-11-00 (lists NCT05697861), JPRN-jRCT2080224769 (lists NCT03759379) and
NCT03862807 (lists 2018-003519-24, the id of EUCTR2018-003519-24-GB).  59 records less
4 + 1 + 2 + 1 + 1 + 1 merges is 49 trials.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.model import Identifier, TrialRecord
from graph.resolve.merge import cluster, declared_ids, own_ids, preferred_ids, record_key
from graph.sources.ictrp import read

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SAMPLE = SHARED_DATA / "ictrp" / "ictrp-export-sample.xml"


@pytest.fixture(scope="module")
def sample() -> list[TrialRecord]:
    return [r for r in read(SAMPLE) if isinstance(r, TrialRecord)]


def rec(source: str, rid: str, *ids: tuple[str, str], **fields: object) -> TrialRecord:
    return TrialRecord(source, rid, f"{rid}.test", [Identifier(reg, value) for reg, value in ids], **fields)  # type: ignore[arg-type]


def pairs(identifiers: list[Identifier]) -> set[tuple[str, str]]:
    return {(i.registry, i.value) for i in identifiers}


# -- the sample ----------------------------------------------------------------------------------


def test_sample_clusters(sample: list[TrialRecord]) -> None:
    result = cluster(sample)
    assert len(result.clusters) == 49
    assert result.conflicts == []
    multi = sorted(sorted(k.split("/")[1] for k in c.keys) for c in result.clusters if len(c.records) > 1)
    assert multi == sorted(
        [
            [
                "EUCTR2021-000037-14-DK",
                "EUCTR2021-000037-14-ES",
                "EUCTR2021-000037-14-HU",
                "EUCTR2021-000037-14-PL",
                "EUCTR2021-000037-14-PT",
            ],
            ["EUCTR2017-005115-13-ES", "EUCTR2017-005115-13-FR"],
            ["EUCTR2019-001698-10-PT", "JPRN-jRCT2071210009", "NL-OMON55279"],
            ["CTIS2023-507385-11-00", "NCT05697861"],
            ["JPRN-jRCT2080224769", "NCT03759379"],
            ["EUCTR2018-003519-24-GB", "NCT03862807"],
        ]
    )


def test_eu_member_state_records_are_one_trial(sample: list[TrialRecord]) -> None:
    trial = cluster(sample).cluster_of("ictrp/EUCTR2021-000037-14-ES")
    assert len(trial.records) == 5
    assert {"ES", "PL", "PT", "HU", "DK"} <= set(trial.countries)
    assert {("EUDRACT", "2021-000037-14"), ("NCT", "NCT04973137")} <= pairs(trial.identifiers)
    assert {e.kind for e in trial.evidence} == {"eu-member-states"}
    assert {e.id for e in trial.evidence} == {"2021-000037-14"}
    # the own id of every member record is the EudraCT number; NCT04973137 is only declared
    assert (trial.preferred.registry, trial.preferred.value) == ("EUDRACT", "2021-000037-14")


def test_declared_one_in_the_sample(sample: list[TrialRecord]) -> None:
    trial = cluster(sample).cluster_of("ictrp/CTIS2023-507385-11-00")
    assert [(e.kind, e.from_record, e.to_record, e.id) for e in trial.evidence] == [
        ("declared-one", "ictrp/CTIS2023-507385-11-00", "ictrp/NCT05697861", "NCT05697861")
    ]
    assert trial.preferred == Identifier("NCT", "NCT05697861")


def test_result_does_not_depend_on_record_order(sample: list[TrialRecord]) -> None:
    forward = cluster(sample)
    backward = cluster(list(reversed(sample)))
    assert [c.keys for c in forward.clusters] == [c.keys for c in backward.clusters]
    assert [c.preferred for c in forward.clusters] == [c.preferred for c in backward.clusters]


# -- own and declared ids ------------------------------------------------------------------------


def test_own_and_declared_ids() -> None:
    euctr = rec(
        "ictrp",
        "EUCTR2016-001902-40-BE",
        ("EUDRACT", "2016-001902-40"),
        ("NCT", "NCT02849613"),
        ("OTHER", "RESSTORE-01"),
    )
    assert pairs(own_ids(euctr)) == {("EUDRACT", "2016-001902-40")}
    assert pairs(declared_ids(euctr)) == {("NCT", "NCT02849613")}
    curated = rec("curated", "resstore", ("NCT", "NCT02849613"), ("EUDRACT", "2016-001902-40"))
    assert pairs(own_ids(curated)) == {("NCT", "NCT02849613"), ("EUDRACT", "2016-001902-40")}
    assert declared_ids(curated) == []


# -- RESSTORE ------------------------------------------------------------------------------------


def test_resstore_curated_and_ctgov_records_are_one_trial() -> None:
    curated = rec("curated", "resstore", ("NCT", "NCT02849613"), ("EUDRACT", "2016-001902-40"))
    ctgov = rec("ctgov", "NCT02849613", ("NCT", "NCT02849613"), ("EUDRACT", "2016-001902-40"))
    result = cluster([ctgov, curated])
    assert len(result.clusters) == 1 and result.conflicts == []
    trial = result.clusters[0]
    assert trial.keys == ["ctgov/NCT02849613", "curated/resstore"]
    assert pairs(trial.identifiers) == {("NCT", "NCT02849613"), ("EUDRACT", "2016-001902-40")}
    assert trial.preferred == Identifier("NCT", "NCT02849613")
    assert {(e.kind, e.id) for e in trial.evidence} == {("same-id", "NCT02849613"), ("declared-one", "2016-001902-40")}


def test_declared_both() -> None:
    a = rec("ctgov", "NCT02849613", ("NCT", "NCT02849613"), ("EUDRACT", "2016-001902-40"))
    b = rec("ictrp", "EUCTR2016-001902-40-BE", ("EUDRACT", "2016-001902-40"), ("NCT", "NCT02849613"))
    trial = cluster([a, b]).clusters[0]
    assert [e.kind for e in trial.evidence] == ["declared-both"]


# -- chains --------------------------------------------------------------------------------------


def test_chain_between_two_nct_records_is_reported_not_merged() -> None:
    a = rec("ctgov", "NCT11111111", ("NCT", "NCT11111111"), ("EUDRACT", "2020-000001-11"))
    b = rec("ictrp", "EUCTR2020-000001-11-FR", ("EUDRACT", "2020-000001-11"), ("NCT", "NCT22222222"))
    c = rec("ctgov", "NCT22222222", ("NCT", "NCT22222222"))
    result = cluster([a, b, c])
    assert sorted(len(cl.records) for cl in result.clusters) == [1, 1, 1]
    assert len(result.conflicts) == 1
    conflict = result.conflicts[0]
    assert conflict.registry == "NCT" and conflict.values == ("NCT11111111", "NCT22222222")
    assert set(conflict.records) == {record_key(a), record_key(b), record_key(c)}
    assert {(e.kind, e.from_record, e.to_record) for e in conflict.evidence} == {
        ("declared-one", "ctgov/NCT11111111", "ictrp/EUCTR2020-000001-11-FR"),
        ("declared-one", "ictrp/EUCTR2020-000001-11-FR", "ctgov/NCT22222222"),
    }
    assert "NCT11111111" in conflict.message
    # each record keeps its own preferred id: no two trials share an IRI
    assert len({cl.preferred.value for cl in result.clusters}) == 3


def test_in_a_contested_chain_mutual_evidence_still_merges() -> None:
    a = rec("ctgov", "NCT11111111", ("NCT", "NCT11111111"), ("EUDRACT", "2020-000001-11"))
    b = rec(
        "ictrp", "EUCTR2020-000001-11-FR", ("EUDRACT", "2020-000001-11"), ("NCT", "NCT11111111"), ("NCT", "NCT22222222")
    )
    c = rec("ctgov", "NCT22222222", ("NCT", "NCT22222222"))
    result = cluster([a, b, c])
    assert sorted(sorted(cl.keys) for cl in result.clusters) == [
        ["ctgov/NCT11111111", "ictrp/EUCTR2020-000001-11-FR"],
        ["ctgov/NCT22222222"],
    ]
    assert [(x.registry, x.values) for x in result.conflicts] == [("NCT", ("NCT11111111", "NCT22222222"))]


def test_several_jprn_numbers_of_one_trial_do_not_clash() -> None:
    jrct = rec("ictrp", "JPRN-jRCT2080224769", ("JPRN", "jRCT2080224769"), ("JPRN", "JapicCTI-194846"))
    japic = rec("ictrp", "JPRN-JapicCTI-194846", ("JPRN", "JapicCTI-194846"), ("JPRN", "jRCT2080224769"))
    result = cluster([jrct, japic])
    assert len(result.clusters) == 1 and result.conflicts == []


# -- records joining stored trials ---------------------------------------------------------------


def test_new_record_joins_an_existing_trial() -> None:
    iri = "https://w3id.org/trialgraph/id/trial/NCT02849613"
    new = rec("ictrp", "NCT02849613", ("NCT", "NCT02849613"))
    trial = cluster([new], {"NCT02849613": iri, "2016-001902-40": iri}).clusters[0]
    assert trial.existing == iri
    assert [(e.kind, e.to_record) for e in trial.evidence] == [("existing-id", "existing:" + iri)]


def test_preferred_id_of_a_stored_trial_is_kept() -> None:
    # the store holds a trial minted from its EudraCT number; a curated record now brings its NCT id
    curated = rec("curated", "resstore", ("NCT", "NCT02849613"), ("EUDRACT", "2016-001902-40"))
    assert preferred_ids([curated], {"2016-001902-40": "2016-001902-40"}) == {
        "curated/resstore": Identifier("EUDRACT", "2016-001902-40")
    }
    assert preferred_ids([curated]) == {"curated/resstore": Identifier("NCT", "NCT02849613")}


def test_record_matching_two_stored_trials_is_reported() -> None:
    curated = rec("curated", "resstore", ("NCT", "NCT02849613"), ("EUDRACT", "2016-001902-40"))
    result = cluster([curated], {"NCT02849613": "trial-b", "2016-001902-40": "trial-a"})
    # it joins the stored trial that holds its NCT id, and the store's split is reported
    assert result.clusters[0].existing == "trial-b"
    assert [(c.registry, c.values) for c in result.conflicts] == [("existing", ("trial-a", "trial-b"))]
