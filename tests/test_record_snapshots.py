"""What one record of each source becomes in RDF, held against a snapshot in ``tests/snapshots/``.

Each snapshot is the Turtle of :func:`graph.rdf.record_triples` for one real record (load time
fixed), and the test compares the two as graphs (rdflib's canonical form), so the order of the
triples and the prefixes do not matter.  Their job is to catch any change to what a record is
written as while the code that reads and writes records is moved around.

The snapshots were written once from the code (``python -m tests.test_record_snapshots``
rewrites them: do that only for a change you mean, and read the diff).  The values below were
checked by hand against the records they come from.
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from rdflib import Graph
from rdflib.compare import graph_diff, to_isomorphic

from graph.constants import ID_NS, ONTOLOGY_NS, VOCAB_NS
from graph.model import TrialRecord
from graph.rdf import record_triples
from graph.sources import read_all

from .conftest import ROOT

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
#: When the records were loaded, as the snapshots say (``prov:generatedAtTime``).
LOADED_AT = datetime(2026, 1, 1, tzinfo=UTC)

#: source -> (file, relative to the checkout, as a build there names it; record id)
RECORDS = {
    # data/nl-omon47582.yaml: the title, status RECRUITING, phase PHASE2, enrolment 20
    # (ESTIMATED), minimum age "18 Years", the lead sponsor "niversitair Medisch Centrum
    # Utrecht" (Utrecht, NL), the conditions with their MeSH broader terms, the three keywords,
    # the primary outcome and version "1" are the YAML's
    "curated": ("data/nl-omon47582.yaml", "nl-omon47582"),
    # herniated-disc.json, study NCT03319875: briefTitle "Epiduroscopic Laser Discectomy
    # Procedures", overallStatus COMPLETED, start 2012-01-01, primary completion 2016-06-30 and
    # completion 2017-06-25 (all ACTUAL), first submitted 2017-09-26, enrolment 163 ACTUAL,
    # lead sponsor Sakarya University, condition "Disc, Herniated" with MeSH D007405 and its
    # ancestors, version 2017-10-24 (the last update posted)
    "ctgov": ("../shared/data/ctgov-v2-pages/herniated-disc.json", "NCT03319875"),
    # ictrp-export-sample.xml, <Trial> DRKS00030545: Public_title "Tübingen registry for
    # familial Mediterranean fever...", Primary_sponsor "Universitätsklinik Tübingen -
    # Rheumatologie", Recruiting, Germany (DE), registered 21/10/2022, enrolment from
    # 01/09/2019, target size 100, minimum age 18 Years, refreshed 27 May 2024 (the version)
    "ictrp": ("../shared/data/ictrp/ictrp-export-sample.xml", "DRKS00030545"),
    # ctis-2023-508143-51-01.json: ctNumber, the title (its line break a space), "Therapeutic
    # use (Phase IV)" as PHASE4, the member state NL with decision date 2024-05-06, 11
    # subjects, the sponsor Roessingh Centrum Voor Revalidatie, the EudraCT number
    # 2021-004994-30 the trial IRI is minted from, version 2024-05-06 (lastUpdated)
    "ctis": ("../shared/data/ctrdata/ctis-2023-508143-51-01.json", "2023-508143-51-01"),
    # euctr-2013-000615-24-BE.json: a2 2013-000615-24, the lay title of a31 (double space
    # collapsed), e74 phase IV "Yes" as PHASE4, x5 "Prematurely Ended" as TERMINATED, f41 50
    # subjects in the member state, first entered 2014-02-07, condition "PEDIATRIC LIVER
    # TRANSPLANTATION", sponsor Cliniques universitaires Saint-Luc (Belgium)
    "euctr": ("../shared/data/ctrdata/euctr-2013-000615-24-BE.json", "EUCTR2013-000615-24-BE"),
    # isrctn-17473621.json: trialDescription.title, the condition "Neonatal jaundice" of class
    # "Pregnancy and Childbirth", the trial centre Harapan Kita Mother and child Hospital in
    # Indonesia (ID), overall end date 2024-05-01
    "isrctn": ("../shared/data/ctrdata/isrctn-17473621.json", "ISRCTN17473621"),
}


def record_of(source: str) -> TrialRecord:
    """The record, read with the file named relative to the checkout (its ``tg:sourceFile``)."""
    file, record_id = RECORDS[source]
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        found = [r for r in read_all([file]) if isinstance(r, TrialRecord) and r.record_id == record_id]
    finally:
        os.chdir(cwd)
    assert len(found) == 1, f"{file} holds no record {record_id} (or several)"
    return found[0]


def built(source: str) -> Graph:
    g = Graph()
    for triple in record_triples(record_of(source), loaded_at=LOADED_AT):
        g.add(triple)
    return g


def snapshot_path(source: str) -> Path:
    return SNAPSHOTS / f"{source}-{RECORDS[source][1]}.ttl"


@pytest.mark.parametrize("source", sorted(RECORDS))
def test_a_record_is_written_as_its_snapshot(source: str) -> None:
    expected = Graph().parse(snapshot_path(source), format="turtle")
    got = built(source)
    if to_isomorphic(got) != to_isomorphic(expected):
        _, only_got, only_expected = graph_diff(to_isomorphic(got), to_isomorphic(expected))
        pytest.fail(
            f"{source}: the record's triples differ from {snapshot_path(source).name}\n"
            f"written now, not in the snapshot:\n{_lines(only_got)}\n"
            f"in the snapshot, not written now:\n{_lines(only_expected)}"
        )


def test_the_snapshots_are_one_per_source() -> None:
    assert sorted(p.name for p in SNAPSHOTS.glob("*.ttl")) == sorted(snapshot_path(s).name for s in RECORDS)


def _lines(g: Graph) -> str:
    return "\n".join(sorted(f"  {s.n3()} {p.n3()} {o.n3()}" for s, p, o in g)) or "  (none)"


def write_snapshots() -> None:
    """Write every snapshot from the code as it is."""
    SNAPSHOTS.mkdir(exist_ok=True)
    for source in sorted(RECORDS):
        g = built(source)
        for prefix, namespace in (("tg", ONTOLOGY_NS), ("id", ID_NS), ("vocab", VOCAB_NS)):
            g.bind(prefix, namespace)
        g.serialize(snapshot_path(source), format="turtle")
        print(f"{snapshot_path(source)}: {len(g)} triples", file=sys.stderr)


if __name__ == "__main__":
    write_snapshots()
