"""Normalisation without guesses: countries, ids, list markers, MeSH spellings (issue 20 item 2,
issue 18)."""

from __future__ import annotations

import pytest

from graph.errors import RecordError
from graph.namespace import mesh_nlm
from graph.normalize.countries import _COUNTRY_ALIASES, country_code
from graph.normalize.registry_ids import NOT_IDS, is_id
from graph.normalize.text import strip_list_marker
from graph.sources.curated import parse

from .conftest import ROOT

DOC = (ROOT / "docs" / "registry-values.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("FR", "FR"),
        ("fra", "FR"),
        ("250", "FR"),
        ("france", "FR"),
        ("Korea, Republic of", "KR"),
        ("Turkey (Türkiye)", "TR"),  # ClinicalTrials.gov's spelling, 21 locations in ctgov-v2-pages
        ("Scotland", "GB"),
        ("XX", None),  # the typo that became Malta
        ("Zaire", None),  # a fuzzy look-up said Angola
        ("Belgum", None),
        ("Kosovo", None),  # no ISO 3166-1 code
    ],
)
def test_countries_are_exact_or_documented_aliases(written: str, code: str | None) -> None:
    assert country_code(written) == code


def test_every_alias_is_documented() -> None:
    table = DOC[DOC.index("## Countries") : DOC.index("## Phases")].casefold()
    for alias in _COUNTRY_ALIASES:
        assert alias in table, alias


def test_regression_country_xx_in_a_curated_file_is_an_error() -> None:
    text = "identifiers: [{registry: NCT, value: NCT00000001}]\nsites: [{facility: A, country: XX}]\n"
    error = parse(text, source_file="inline.yaml", record_id="inline")
    assert isinstance(error, RecordError)
    assert error.field == "sites[0].country" and error.reason.startswith("'XX' is not a country")


@pytest.mark.parametrize("text", ["Nil known", "N/A", "none", "n.a.", "-", "  ", "Not applicable", "0"])
def test_texts_that_are_no_id(text: str) -> None:
    assert not is_id(text)


@pytest.mark.parametrize("text", ["NCT04973137", "146070", "NEOD001-301", "001 amendment 02", "TRAM2 analysis"])
def test_ids(text: str) -> None:
    assert is_id(text)


def test_placeholders_are_documented() -> None:
    section = DOC[DOC.index("## Identifiers") : DOC.index("## Countries")]
    for placeholder in NOT_IDS:
        assert f"`{placeholder}`" in section, placeholder


@pytest.mark.parametrize(
    ("label", "clean"),
    [
        ("-Hereditary Transthyretin Amyloidosis", "Hereditary Transthyretin Amyloidosis"),
        ("• Stroke", "Stroke"),
        ("1. Stroke", "Stroke"),
        ("b) Stroke", "Stroke"),
        ("-20 °C storage", "-20 °C storage"),  # a number, not a marker
        ("A. fumigatus infection", "A. fumigatus infection"),  # an abbreviation
        ("COVID-19", "COVID-19"),
    ],
)
def test_list_markers(label: str, clean: str) -> None:
    assert strip_list_marker(label) == clean


@pytest.mark.parametrize(
    ("stored", "nlm"),
    [
        ("D000003550", "D003550"),
        ("D000083242", "D000083242"),
        ("C000072379", "C072379"),  # repaglinide, padded by API v2
        ("C000587014", "C587014"),  # the last six-digit SCR seen
        ("C000588642", "C000588642"),  # the first nine-digit SCR seen
        ("C000596361", "C000596361"),  # osimertinib
    ],
)
def test_mesh_ids_in_nlm_spelling(stored: str, nlm: str) -> None:
    assert mesh_nlm(stored) == nlm
