"""One definition of a conflict, for the store (``trialgraph conflicts``, ``graph.trial_conflicts``)
and for records in memory, tested on real record pairs of the ICTRP sample.

Expected values were read by hand from ``shared/data/ictrp/ictrp-export-sample.xml``, in the
records each test names.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import graph
from graph.cli import main
from graph.conflicts import Conflict, RecordValues, compare, record_conflicts
from graph.errors import RecordError
from graph.model import TrialRecord
from graph.pipeline.run import build
from graph.resolve.orgs import OrgResolver
from graph.sources.ictrp import read
from graph.store.local import OxigraphStore
from graph.store.registry import open_store

from .conftest import ICTRP_FILE


@pytest.fixture(scope="module")
def sample() -> dict[str, TrialRecord]:
    return {r.record_id: r for r in read(ICTRP_FILE) if not isinstance(r, RecordError)}


@pytest.fixture(scope="module")
def ictrp_store(tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    store = open_store(tmp_path_factory.mktemp("conflicts") / "store")
    assert isinstance(store, OxigraphStore)
    report = build([ICTRP_FILE], store)
    assert not report.errors and not report.quarantined
    return store


# -- truly conflicting ------------------------------------------------------------------------------

#: NCT05697861 as ICTRP copied it from ClinicalTrials.gov (Recruitment_Status "Recruiting",
#: Target_size 72, Date_enrollement "July 10, 2023") and its CTIS record CTIS2023-507385-11-00
#: (which lists NCT05697861 among its Secondary_ID: "Not Recruiting", 74, "16/04/2024").  Both
#: describe the whole trial (Sweden, the United Kingdom, New Zealand), so the three fields disagree.
NCT05697861 = [
    Conflict(
        "NCT05697861",
        "status",
        (("ictrp/CTIS2023-507385-11-00", "NOT_RECRUITING"), ("ictrp/NCT05697861", "RECRUITING")),
    ),
    Conflict("NCT05697861", "enrollment", (("ictrp/CTIS2023-507385-11-00", "74"), ("ictrp/NCT05697861", "72"))),
    Conflict(
        "NCT05697861",
        "start date",
        (("ictrp/CTIS2023-507385-11-00", "2024-04-16"), ("ictrp/NCT05697861", "2023-07-10")),
    ),
]


def test_ctis_and_ctgov_records_of_one_trial_conflict(sample: dict[str, TrialRecord]) -> None:
    pair = [sample["CTIS2023-507385-11-00"], sample["NCT05697861"]]
    # the CTIS record's preferred id is its NCT one: the records are one trial
    found = record_conflicts(pair, OrgResolver.load())
    assert [(c.field, c.values) for c in found] == [(c.field, c.values) for c in NCT05697861]


def test_the_store_finds_the_same_conflicts(ictrp_store: OxigraphStore) -> None:
    """One implementation: what the command lists is what the records say."""
    assert graph.trial_conflicts(ictrp_store) == NCT05697861


def test_the_command_lists_them(ictrp_store: OxigraphStore) -> None:
    result = CliRunner().invoke(main, ["conflicts", "--store", str(ictrp_store.location), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [c.as_dict() for c in NCT05697861]


# -- compatible -------------------------------------------------------------------------------------


def test_member_state_records_with_national_start_dates_agree(sample: dict[str, TrialRecord]) -> None:
    """EUCTR2021-000037-14-DK, -ES, -HU, -PL, -PT: all "Authorised", Phase III, 150 participants,
    sponsor Prothena Biosciences Limited; start dates 2021-09-01, 2021-07-01, 2021-07-08,
    2021-08-20, 2021-09-10, one per member state."""
    records = [sample[f"EUCTR2021-000037-14-{state}"] for state in ("DK", "ES", "HU", "PL", "PT")]
    assert len({r.start_date for r in records}) == 5
    assert record_conflicts(records) == []


def test_a_national_registration_gives_its_own_enrolment_date_and_sponsor(sample: dict[str, TrialRecord]) -> None:
    """JPRN-jRCT2080224769 is the Japanese registration of NCT03759379 (HELIOS-B): 16 participants
    from 2019-07-31, sponsor CMIC Co., Ltd.; the ClinicalTrials.gov copy says 164 from 2019-02-14,
    sponsor Alnylam Pharmaceuticals, in 22 countries.  Both say "Not recruiting" and Phase 3."""
    pair = [sample["NCT03759379"], sample["JPRN-jRCT2080224769"]]
    assert {r.enrollment for r in pair} == {16, 164}
    assert record_conflicts(pair) == []


def test_sponsor_names_agree_after_resolution(sample: dict[str, TrialRecord]) -> None:
    """NCT03862807 names "Alnylam Pharmaceuticals", its UK member-state record
    EUCTR2018-003519-24-GB "Alnylam Pharmaceuticals, Inc."; both "Not recruiting", Phase 3."""
    pair = [sample["NCT03862807"], sample["EUCTR2018-003519-24-GB"]]
    assert {p.organization.name for r in pair for p in r.participations if p.role == "LEAD_SPONSOR"} == {
        "Alnylam Pharmaceuticals",
        "Alnylam Pharmaceuticals, Inc.",
    }
    assert record_conflicts(pair, OrgResolver.load()) == []


# -- the rules ------------------------------------------------------------------------------------------


def _values(key: str, **fields: str) -> RecordValues:
    out = RecordValues(key)
    for name, value in fields.items():
        out.values[name.replace("_", " ")].add(value)
    return out


@pytest.mark.parametrize(
    ("a", "b", "agree"),
    [
        # the case: a ClinicalTrials.gov COMPLETED and ICTRP's "Not recruiting"
        ("COMPLETED", "NOT_RECRUITING", True),
        ("RECRUITING", "NOT_RECRUITING", False),
        ("RECRUITING", "AUTHORISED", True),
        ("COMPLETED", "AUTHORISED", False),
        ("COMPLETED", "TERMINATED", False),
    ],
)
def test_coarse_and_fine_statuses(a: str, b: str, agree: bool) -> None:
    found = compare("NCT1", [_values("ctgov/NCT1", status=a), _values("ictrp/NCT1", status=b)])
    assert (found == []) == agree


def test_a_date_that_refines_another_agrees() -> None:
    month = _values("ctgov/NCT1", start_date="2017-05", completion_date="2020")
    day = _values("ictrp/NCT1", start_date="2017-05-20", completion_date="2021-01-01")
    assert [c.field for c in compare("NCT1", [month, day])] == ["completion date"]


def test_a_missing_value_disagrees_with_nothing() -> None:
    assert compare("NCT1", [_values("ctgov/NCT1", enrollment="30"), _values("ictrp/NCT1")]) == []


def test_national_part_needs_another_country() -> None:
    """A DRKS record of a trial that only runs in Germany describes the whole trial."""
    german = _values("ictrp/DRKS00012345", enrollment="40")
    german.countries.add("DE")
    other = _values("ctgov/NCT1", enrollment="50")
    other.countries.add("DE")
    assert [c.field for c in compare("NCT1", [german, other])] == ["enrollment"]
    other.countries.add("AT")
    assert compare("NCT1", [german, other]) == []
