"""Headless Chromium against `trialgraph serve`: a trial's page, and the query page running a
named query.  Every request that leaves 127.0.0.1 is blocked and recorded: there must be none."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from graph.store.local import OxigraphStore

try:
    from tests.test_server import SITE_ROW, TRIAL, TRIAL_TITLE, running_server
except ImportError:  # tests/ run as a folder of plain modules
    from test_server import SITE_ROW, TRIAL, TRIAL_TITLE, running_server  # type: ignore[no-redef]

pytestmark = [pytest.mark.browser, pytest.mark.server]


@pytest.fixture(scope="module")
def server(ctgov_store: OxigraphStore) -> Iterator[str]:
    with running_server(ctgov_store.location) as base:
        yield base


@pytest.fixture
def page(browser: Any) -> Iterator[tuple[Any, list[str], list[str]]]:
    """A page whose network stops at 127.0.0.1; yields (page, blocked URLs, console errors)."""
    context = browser.new_context()
    blocked: list[str] = []
    errors: list[str] = []

    def only_local(route: Any) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    p = context.new_page()
    p.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        yield p, blocked, errors
    finally:
        context.close()


def test_trial_page_shows_facts_and_links(server: str, page: tuple[Any, list[str], list[str]]) -> None:
    p, blocked, errors = page
    response = p.goto(f"{server}/id/trial/{TRIAL}")
    assert response is not None and response.status == 200
    assert p.inner_text("#entity-title") == TRIAL_TITLE
    assert p.get_attribute(".registry-link", "href") == f"https://clinicaltrials.gov/study/{TRIAL}"
    site = p.locator("#facts a[href='/id/site/fr/neurosurgery-lariboisiere-hospital-paris']")
    assert site.inner_text() == SITE_ROW[0]
    site.click()
    p.wait_for_url(f"{server}/id/site/fr/neurosurgery-lariboisiere-hospital-paris")
    assert p.inner_text("#entity-title") == SITE_ROW[0]
    assert blocked == [] and errors == []


def test_trial_page_opens_with_a_summary_card_and_answers_for_every_id(
    server: str, page: tuple[Any, list[str], list[str]], tmp_path: Path
) -> None:
    """NCT04431453.json names EudraCT 2020-001803-17 as a secondary id, status COMPLETED,
    phases PHASE2 and PHASE3, sponsor Gilead Sciences, and three sites in Italy."""
    p, blocked, errors = page
    response = p.goto(f"{server}/id/trial/2020-001803-17")
    assert response is not None and response.status == 200
    assert p.url == f"{server}/id/trial/NCT04431453"
    card = p.locator("#summary")
    assert card.is_visible()
    # the card is above the table of facts
    assert card.bounding_box()["y"] < p.locator("#facts").bounding_box()["y"]  # type: ignore[index]
    assert p.inner_text("#summary-status") == "Completed COMPLETED"
    assert p.inner_text("#summary-phase") == "Phase 2, Phase 3"
    assert p.inner_text("#summary-sponsor") == "Gilead Sciences"
    italy = p.locator("#summary-sites details", has_text="Italy")
    italy.locator("summary").click()
    assert italy.locator("li").count() == 3
    p.screenshot(path=str(tmp_path / "trial-card.png"), full_page=False)
    p.locator("#summary-ids a", has_text="2020-001803-17").click()
    p.wait_for_url(f"{server}/id/trial/NCT04431453")
    assert blocked == [] and errors == []


def test_query_page_runs_a_named_query(server: str, page: tuple[Any, list[str], list[str]]) -> None:
    p, blocked, errors = page
    p.goto(f"{server}/")
    p.wait_for_selector("#examples[data-loaded='true']")
    p.select_option("#examples", "trial-sites")
    assert "?site" in p.input_value("#editor")
    p.fill("#param-id", TRIAL)
    p.click("#run")
    p.wait_for_selector("#results tbody tr")
    headers = p.locator("#results thead th").all_inner_texts()
    assert headers == ["site", "facility", "city", "country", "status"]
    rows = p.locator("#results tbody tr")
    assert rows.count() == 1
    cells = rows.nth(0).locator("td").all_inner_texts()
    assert tuple(cells[1:4]) == SITE_ROW
    assert cells[4] == ""  # the location gives no recruitment status
    assert p.inner_text("#status") == "1 row"
    # the row's IRI links to the site's page on this server
    assert p.get_attribute("#results tbody a", "href") == "id/site/fr/neurosurgery-lariboisiere-hospital-paris"
    assert blocked == [] and errors == []


def test_query_page_shows_errors_as_text(server: str, page: tuple[Any, list[str], list[str]]) -> None:
    p, _blocked, errors = page
    p.goto(f"{server}/")
    p.fill("#editor", "SELECT * WHERE { SERVICE <http://127.0.0.1:1/> { ?s ?p ?o } }")
    p.click("#run")
    p.wait_for_selector("#error:not([hidden])")
    assert "SERVICE is refused" in p.inner_text("#error")
    assert p.inner_text("#status") == "error 400"
    assert errors == [] or all("400" in e for e in errors)


def test_view_renders_without_leaving_the_machine(server: str, page: tuple[Any, list[str], list[str]]) -> None:
    p, blocked, errors = page
    response = p.goto(f"{server}/view")
    assert response is not None and response.status == 200
    p.wait_for_selector("canvas")
    assert blocked == [] and errors == []
