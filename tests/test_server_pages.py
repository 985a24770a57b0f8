"""Trial pages for a person (issue 20): a page under every registry id of a trial, a summary card
above the full table of facts, and `serve` on a port in use exiting 2 as documented.

Expected values are read by hand from the records:
- data/resstore.yaml: ids NCT02849613 (NCT) and 2016-001902-40 (EUDRACT); no status and no
  phase ("The page states neither the status nor the phase"); lead sponsor CHU Grenoble Alpes
  (also a coordinator), coordinator SERMAS (named "Servicio Madrileño de Salud" by
  data/organizations.yaml), CRO Medfiles, funder European Commission;
  condition "ischemic stroke"; countries Czech Republic, Finland, France, Spain and Scotland
  (read as GB), without sites.
- ../shared/data/ctgov-v2/NCT04431453.json: status COMPLETED; phases PHASE2 and PHASE3; lead
  sponsor Gilead Sciences; condition COVID-19; EudraCT secondary id 2020-001803-17 and the
  sponsor's study id GS-US-540-5823 besides the NCT id; three sites
  in Italy (Florence, Padova, Parma).
- ../shared/data/ctgov-v2/NCT06171568.json: NOT_YET_RECRUITING; collaborators "SBT Human(s)
  Matter" and "Clinical Research Unit Saint Louis Lariboisière"; one site in Paris, France.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest

try:
    from tests.conftest import CTGOV_DIR, SEED_DATA
    from tests.test_server import built_store, running_server
except ImportError:  # tests/ run as a folder of plain modules
    from conftest import CTGOV_DIR, SEED_DATA  # type: ignore[no-redef]
    from test_server import built_store, running_server  # type: ignore[no-redef]

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    sources = [SEED_DATA, CTGOV_DIR / "NCT04431453.json", CTGOV_DIR / "NCT06171568.json"]
    return built_store(tmp_path_factory.mktemp("pages") / "store", sources)


@pytest.fixture(scope="module")
def base(store_dir: Path) -> Iterator[str]:
    with running_server(store_dir) as url:
        yield url


class _Card(HTMLParser):
    """The text of each ``<dd id="summary-...">`` of a page, whitespace folded."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: dict[str, str] = {}
        self._current: str | None = None
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        ident = dict(attrs).get("id") or ""
        if tag == "dd" and ident.startswith("summary-"):
            self._current, self._depth = ident.removeprefix("summary-"), 0
            self.parts[self._current] = ""
        elif self._current is not None and tag == "dd":
            self._depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "dd" and self._current is not None:
            if self._depth == 0:
                self._current = None
            else:
                self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._current is not None:
            self.parts[self._current] += data


def card(html: str) -> dict[str, str]:
    parser = _Card()
    parser.feed(html)
    return {k: re.sub(r"\s+", " ", v).strip() for k, v in parser.parts.items()}


def test_every_id_of_a_trial_leads_to_its_page(base: str) -> None:
    for alias, preferred in (
        ("2016-001902-40", "NCT02849613"),
        ("nct02849613", "NCT02849613"),  # an id typed in small letters
        ("2020-001803-17", "NCT04431453"),
    ):
        for accept in ("text/html", "text/turtle"):
            r = httpx.get(f"{base}/id/trial/{alias}", headers={"Accept": accept}, timeout=60)
            assert r.status_code == 303, (alias, r.text)
            assert r.headers["location"] == f"/id/trial/{preferred}"
    page = httpx.get(f"{base}/id/trial/2016-001902-40", follow_redirects=True, timeout=60)
    assert page.status_code == 200
    assert str(page.url).endswith("/id/trial/NCT02849613")
    assert '<h1 id="entity-title">REgenerative Stem cell therapy for STroke in Europe</h1>' in page.text
    # ids no trial has stay unknown
    assert httpx.get(f"{base}/id/trial/2099-999999-99", timeout=60).status_code == 404
    assert httpx.get(f"{base}/id/trial/APHP230528/x", timeout=60).status_code == 404


def test_summary_card_of_a_curated_trial(base: str) -> None:
    html = httpx.get(f"{base}/id/trial/NCT02849613", timeout=60).text
    assert html.index('id="summary"') < html.index('id="facts"')  # the card comes first
    parts = card(html)
    # data/resstore.yaml, lines 12-14: the NCT id, the EudraCT number and the CTIS number it moved to
    assert parts["ids"] == "2016-001902-40 EUDRACT, 2024-518394-34-00 CTIS, NCT02849613 NCT"
    assert parts["status"] == "not given" and parts["phase"] == "not given"
    assert parts["sponsor"] == "CHU Grenoble Alpes"
    assert parts["partners"] == (
        "CHU Grenoble Alpes Coordinator; European Commission Funder; "
        "Medfiles Contract research organisation; Servicio Madrileño de Salud Coordinator"
    )
    assert parts["conditions"] == "ischemic stroke"
    for country in ("Czechia", "Finland", "France", "Spain", "United Kingdom"):
        assert f"{country}" in parts["sites"]
    assert parts["sites"].count(": no site named") == 5


def test_summary_card_of_a_registry_trial(base: str) -> None:
    parts = card(httpx.get(f"{base}/id/trial/NCT04431453", timeout=60).text)
    assert parts["ids"] == "2020-001803-17 EUDRACT, GS-US-540-5823 ORG_STUDY, NCT04431453 NCT"
    assert parts["status"] == "Completed COMPLETED"
    assert parts["phase"] == "Phase 2, Phase 3"
    assert parts["sponsor"] == "Gilead Sciences"
    assert parts["partners"] == "none named"
    assert parts["conditions"] == "COVID-19"
    italy = re.search(r"Italy \(IT\): (\d+) sites (.*?)(?= [A-Z][a-z]+ \(|$)", parts["sites"])
    assert italy is not None and italy.group(1) == "3"
    for city in ("Florence", "Padova", "Parma"):
        assert f", {city}" in italy.group(2)
    other = card(httpx.get(f"{base}/id/trial/NCT06171568", timeout=60).text)
    assert other["status"] == "Not yet recruiting NOT_YET_RECRUITING"
    assert other["partners"] == (
        "Clinical Research Unit Saint Louis Lariboisière Collaborator; SBT Human(s) Matter Collaborator"
    )
    assert other["sites"] == "France (FR): 1 site Neurosurgery - Lariboisière hospital, Paris"


def test_pages_of_other_entities_have_no_card(base: str) -> None:
    html = httpx.get(f"{base}/id/org/gilead-sciences", timeout=60).text
    assert 'id="facts"' in html and 'id="summary"' not in html


def test_serve_on_a_port_in_use_exits_2(store_dir: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        cmd = [sys.executable, "-m", "graph", "serve", "--store", str(store_dir), "--port", str(port)]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2, done.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr
