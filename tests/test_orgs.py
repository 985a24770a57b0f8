"""Organisation resolution: curated aliases, ROR dumps, review candidates, look-alike letters."""

from __future__ import annotations

from pathlib import Path

import pytest

from graph.errors import InputError
from graph.model import Organization, Participation, TrialRecord
from graph.resolve.orgs import (
    CURATED_FILE,
    OrgResolver,
    load_curated,
    match_key,
    mixed_script,
    normalize_ror,
    resolve_records,
    resolve_records_with_report,
    review_report,
    search_key,
)

ROR_FIXTURES = Path(__file__).resolve().parent / "data" / "ror"
UMC_ROR = "https://ror.org/0575yy874"
MISSPELT = "niversitair Medisch Centrum Utrecht"

UMC_WITHOUT_MISSPELLING = """\
organizations:
  - name: University Medical Center Utrecht
    ror: https://ror.org/0575yy874
    country: NL
    aliases:
      - UMC Utrecht
      - Universitair Medisch Centrum Utrecht
"""


@pytest.fixture(scope="module")
def curated() -> OrgResolver:
    return OrgResolver.load()


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "organizations.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# -- the curated file ----------------------------------------------------------------------------


def test_curated_file_loads_with_the_brief_ror_ids() -> None:
    entries = {e.name: e for e in load_curated(CURATED_FILE)}
    assert entries["University Medical Center Utrecht"].ror == UMC_ROR
    assert entries["CHU Grenoble Alpes"].ror == "https://ror.org/041rhpw39"
    assert entries["University of Liège"].ror == "https://ror.org/00afp2z80"
    assert entries["CHU de Liège"].ror == "https://ror.org/044s61914"
    assert entries["Chinese PLA General Hospital"].ror == "https://ror.org/04gw3ra78"
    assert entries["Servicio Madrileño de Salud"].ror is None
    assert entries["Medfiles"].country == "FI"


def test_misspelt_umc_utrecht_resolves_through_the_curated_alias(curated: OrgResolver) -> None:
    res = curated.resolve(Organization(MISSPELT), "ictrp/NL-TEST-1")
    assert res.how == "curated-alias"
    assert (res.organization.name, res.organization.ror, res.organization.country) == (
        "University Medical Center Utrecht",
        UMC_ROR,
        "NL",
    )
    assert MISSPELT in res.organization.aliases
    assert res.candidates == ()


@pytest.mark.parametrize(
    ("name", "canonical", "how"),
    [
        ("University Hospital, Grenoble", "CHU Grenoble Alpes", "curated-alias"),
        ("university hospital,  grenoble", "CHU Grenoble Alpes", "curated-alias"),
        # the hyphen is not in any alias; the normalised key matches
        ("Centre Hospitalier Universitaire Grenoble-Alpes", "CHU Grenoble Alpes", "exact-key"),
        ("CHU de Liege", "CHU de Liège", "exact-key"),
        ("Université de Liège", "University of Liège", "curated-alias"),
        ("SERMAS", "Servicio Madrileño de Salud", "curated-alias"),
        ("Medfiles Oy", "Medfiles", "curated-alias"),
        (
            "Национальный медицинский исследовательский центр гематологии",
            "National Research Center for Hematology",
            "curated-alias",
        ),
        ("PLA General Hospital", "Chinese PLA General Hospital", "curated-alias"),
    ],
)
def test_curated_names(curated: OrgResolver, name: str, canonical: str, how: str) -> None:
    res = curated.resolve(Organization(name))
    assert (res.organization.name, res.how) == (canonical, how)


def test_unknown_name_stands_for_itself(curated: OrgResolver) -> None:
    res = curated.resolve(Organization("Alnylam Pharmaceuticals, Inc.", agency_class="INDUSTRY"))
    assert res.how == "unresolved" and res.candidates == ()
    assert (res.organization.name, res.organization.agency_class) == ("Alnylam Pharmaceuticals, Inc.", "INDUSTRY")


def test_ror_id_given_by_the_source_wins(curated: OrgResolver) -> None:
    res = curated.resolve(Organization("Some department name", ror="0575yy874"))
    assert (res.organization.name, res.how) == ("University Medical Center Utrecht", "curated-alias")


def test_contradicting_country_is_not_merged_but_offered(curated: OrgResolver) -> None:
    res = curated.resolve(Organization("CHU Grenoble", country="BE"), "ctgov/NCT00000001")
    assert res.how == "unresolved" and res.organization.name == "CHU Grenoble"
    assert [(c.name, c.score) for c in res.candidates] == [("CHU Grenoble Alpes", 1.0)]


def test_every_name_seen_becomes_an_alias() -> None:
    resolver = OrgResolver.load()
    resolver.resolve(Organization("CHU Grenoble"))
    res = resolver.resolve(Organization("Centre Hospitalier Universitaire Grenoble-Alpes"))
    assert {"CHU Grenoble", "Centre Hospitalier Universitaire Grenoble-Alpes", "University Hospital, Grenoble"} <= set(
        res.organization.aliases
    )
    assert "CHU Grenoble Alpes" not in res.organization.aliases


# -- uncertain matches go to review --------------------------------------------------------------


def test_misspelling_without_alias_is_a_review_candidate(tmp_path: Path) -> None:
    resolver = OrgResolver.load(write(tmp_path, UMC_WITHOUT_MISSPELLING))
    res = resolver.resolve(Organization(MISSPELT), "ictrp/NL-TEST-1")
    assert res.how == "unresolved"
    assert res.organization.name == MISSPELT and res.organization.ror is None  # never merged
    rows = review_report([res, resolver.resolve(Organization("UMC Utrecht"), "ctgov/NCT0")])
    assert len(rows) == 1
    row = rows[0]
    assert (row["name"], row["candidate"], row["ror"], row["record"]) == (
        MISSPELT,
        "University Medical Center Utrecht",
        UMC_ROR,
        "ictrp/NL-TEST-1",
    )
    # keys "niversitair medisch centrum utrecht" (35 letters) and "universitair ..." (36): one
    # insertion apart, so the Indel ratio is 1 - 1/71
    assert row["score"] == pytest.approx(70 / 71, abs=1e-4)
    assert row["score"] < 1


def test_resolve_records_names_unresolved_groups_by_their_most_frequent_spelling() -> None:
    def record(rid: str, sponsor: str) -> TrialRecord:
        return TrialRecord(
            "ictrp",
            rid,
            "x.xml",
            [],
            participations=[
                Participation(Organization(sponsor), "LEAD_SPONSOR"),
                Participation(Organization(MISSPELT), "COLLABORATOR"),
            ],
        )

    records = [
        record("NCT00000003", "Alnylam Pharmaceuticals, Inc."),
        record("NCT00000001", "Alnylam Pharmaceuticals"),
        record("NCT00000002", "Alnylam Pharmaceuticals"),
    ]
    out = resolve_records(records)
    sponsors = {r.record_id: r.participations[0].organization for r in out}
    assert {o.name for o in sponsors.values()} == {"Alnylam Pharmaceuticals"}
    assert "Alnylam Pharmaceuticals, Inc." in sponsors["NCT00000003"].aliases
    assert {r.participations[1].organization.ror for r in out} == {UMC_ROR}
    assert records[0].participations[0].organization.name == "Alnylam Pharmaceuticals, Inc."  # input untouched
    _, resolutions = resolve_records_with_report(records)
    assert len(resolutions) == 6


# -- ROR dumps -----------------------------------------------------------------------------------


def test_ror_v2_dump_resolves_exact_names(tmp_path: Path) -> None:
    resolver = OrgResolver.load(write(tmp_path, "organizations: []\n"), ror_dump=ROR_FIXTURES / "ror-v2-sample.json")
    res = resolver.resolve(Organization("Chinese PLA General Hospital"))
    assert res.how == "ror-exact"
    org = res.organization
    assert (org.name, org.ror, org.country, org.city) == (
        "Chinese PLA General Hospital",
        "https://ror.org/04gw3ra78",
        "CN",
        "Beijing",
    )
    assert resolver.resolve(Organization("Université de Liège")).organization.ror == "https://ror.org/00afp2z80"
    acronym = resolver.resolve(Organization("ULiège"))
    assert (acronym.how, acronym.organization.name) == ("ror-exact", "University of Liège")
    assert resolver.resolve(Organization("CHINESE PLA GENERAL HOSPITAL")).how == "ror-exact"  # case is ignored
    assert resolver.resolve(Organization("Chinese PLA General Hospital.")).how == "exact-key"
    assert resolver.resolve(Organization("Withdrawn Test Institute")).how == "unresolved"


def test_ror_v1_dump(tmp_path: Path) -> None:
    resolver = OrgResolver.load(write(tmp_path, ""), ror_dump=ROR_FIXTURES / "ror-v1-sample.json")
    res = resolver.resolve(Organization("Grenoble Alpes University Hospital"))
    assert (res.how, res.organization.ror, res.organization.country, res.organization.city) == (
        "ror-exact",
        "https://ror.org/041rhpw39",
        "FR",
        "Grenoble",
    )
    assert resolver.resolve(Organization("CHUGA")).how == "ror-exact"


def test_curated_entries_win_over_ror(curated: OrgResolver) -> None:
    both = OrgResolver.load(ror_dump=ROR_FIXTURES / "ror-v2-sample.json")
    res = both.resolve(Organization("Universitair Medisch Centrum Utrecht"))
    assert (res.how, res.organization.name) == ("curated-alias", "University Medical Center Utrecht")


# -- bad curated files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("organizations:\n  - name: A\n    aliases: [Shared]\n  - name: B\n    aliases: [shared]\n", "share"),
        ("organizations:\n  - name: A\n    ror: not-a-ror\n", "not a ROR id"),
        ("organizations:\n  - name: A\n    website: x\n", "unknown field"),
        ("organizations:\n  - ror: https://ror.org/0575yy874\n", "'name'"),
        ("organizations:\n  - name: A\n    country: Atlantis\n", "not a country"),
        ("- just a list\n", "expected a mapping"),
        ("identifiers:\n  - {registry: NCT, value: NCT00000015}\n", "one key, 'organizations'"),
    ],
)
def test_bad_curated_files_are_refused(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        load_curated(write(tmp_path, text))


def test_ror_normalisation() -> None:
    assert normalize_ror("0575yy874") == UMC_ROR
    assert normalize_ror("ror.org/0575YY874") == UMC_ROR
    assert normalize_ror("https://example.org/0575yy874") is None


# -- look-alike letters --------------------------------------------------------------------------


def test_mixed_script_word_is_detected() -> None:
    spoofed = "MSСs"  # the third letter is CYRILLIC CAPITAL LETTER ES (U+0421)
    assert spoofed != "MSCs" and "\u0421" in spoofed
    assert mixed_script(spoofed)
    assert not mixed_script("MSCs")
    assert not mixed_script("Москва")  # wholly Cyrillic
    assert mixed_script("Αlpha")  # Greek capital alpha
    assert search_key(spoofed) == search_key("MSCs") == "mscs"
    assert search_key("ＭＳＣｓ") == "mscs"  # full-width letters: NFKC


def test_look_alike_org_names_share_a_key(curated: OrgResolver) -> None:
    spoofed = "Chinese PLA General Hоspital"  # Cyrillic о
    assert match_key(spoofed) == match_key("Chinese PLA General Hospital")
    assert curated.resolve(Organization(spoofed)).organization.ror == "https://ror.org/04gw3ra78"


def test_alias_bomb_in_the_organisation_file_is_refused_at_its_line(tmp_path: Path) -> None:
    # The organisation file is read by the same bounded loader as curated records (issue 19.3).
    # Counted by hand: a0 holds 10 values, a1 91, a2 820, a3 7,381, a4 66,430, a5 597,871, the
    # first past 100,000; organizations is line 1, the entry lines 2-3 (a0 on 3),
    # a1..a6 lines 4..9, so a5 is on line 8, its anchor at column 5.
    lines = ["organizations:", "  - name: A", '    aliases: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, 7)]
    path = write(tmp_path, "\n".join(lines) + "\n")
    with pytest.raises(InputError, match=r"aliases \(\*name\) are expanded \(line 8, column 5\)") as caught:
        load_curated(path)
    assert str(caught.value).startswith(f"{path}: ")


def test_regression_country_no_in_the_organisation_file_is_norway(tmp_path: Path) -> None:
    # YAML 1.1 read the unquoted NO as the boolean false, so the entry lost its country.
    (entry,) = load_curated(write(tmp_path, "organizations:\n  - name: Oslo University Hospital\n    country: NO\n"))
    assert entry.country == "NO"
