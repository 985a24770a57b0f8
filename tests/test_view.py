"""The HTML view (graph.view), opened in Debian's headless Chromium with every request that is
not a file: URL aborted.

Counts drawn are read from vis-network in the page (``network.body.nodeIndices``, the nodes it
draws) and compared with the projection's, or with counts made by hand from the records: the two
records of tests/test_network.py and ../shared/data/ctgov-v2/NCT00973089.json.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import struct
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from click.testing import CliRunner

from graph.cli import main
from graph.model import Condition, Identifier, Organization, Participation, Site, TrialRecord
from graph.network.projection import project
from graph.store.local import OxigraphStore
from graph.store.registry import open_store
from graph.view.layout import pack_circles
from graph.view.output import write_view
from graph.view.page import render_html, script_json
from tests.conftest import ICTRP_FILE
from tests.test_analyze import HERNIATED, built
from tests.test_network import ID, load_records, record_a, record_b

ROOT = Path(__file__).resolve().parents[1]
PAYLOAD = '<img src=x onerror="document.body.dataset.pwned=1">'


# -- helpers --------------------------------------------------------------------------------------


class Page:
    """A Playwright page on a view file, network blocked, with the requests it tried."""

    def __init__(self, browser: Any, html: Path, *, bypass_csp: bool = False) -> None:
        self.blocked: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=bypass_csp)
        self.page = self.context.new_page()
        self.page.route("**/*", self._route)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.goto(html.resolve().as_uri())
        deadline = time.monotonic() + 60
        while not self.page.evaluate("window.__tgReady === true"):
            assert time.monotonic() < deadline, f"the view never became ready; errors: {self.errors}"
            time.sleep(0.05)

    def _route(self, route: Any) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def js(self, expression: str, arg: Any = None) -> Any:
        return self.page.evaluate(expression, arg)

    def drawn(self) -> tuple[int, int]:
        return tuple(self.js("[tgView.network.body.nodeIndices.length, tgView.network.body.edgeIndices.length]"))  # type: ignore[return-value]

    def drawn_kinds(self) -> Counter[str]:
        return Counter(self.js("tgView.network.body.nodeIndices.map(i => tgView.info[i].kind)"))

    def drawn_names(self, kind: str) -> set[str]:
        names = (
            "k => tgView.network.body.nodeIndices.filter(i => tgView.info[i].kind === k).map(i => tgView.info[i].name)"
        )
        return set(self.js(names, kind))

    def index_of(self, iri: str) -> int:
        return int(self.js("iri => tgView.info.findIndex(d => d.iri === iri)", iri))

    def search(self, text: str) -> None:
        self.page.fill("#tg-search-input", text)
        self.page.press("#tg-search-input", "Enter")

    def point_of(self, index: int) -> tuple[float, float]:
        """Where node ``index`` is drawn, in page pixels."""
        x, y = self.js(
            """i => { const n = tgView.network; const d = n.canvasToDOM(n.getPositions([i])[i]);
                      const r = document.getElementById('tg-network').getBoundingClientRect();
                      return [d.x + r.left, d.y + r.top]; }""",
            index,
        )
        return x, y

    def click_node(self, index: int) -> None:
        self.page.mouse.click(*self.point_of(index))

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def opened(browser: Any) -> Iterator[Any]:
    pages: list[Page] = []

    def open_page(html: Path, **kwargs: Any) -> Page:
        page = Page(browser, html, **kwargs)
        pages.append(page)
        return page

    yield open_page
    for p in pages:
        p.close()


@pytest.fixture(scope="module")
def two_trials() -> OxigraphStore:
    return load_records(OxigraphStore(None), [record_a(), record_b()], infer=False)


def embedded_data(html: str) -> dict[str, Any]:
    m = re.search(r'<script type="application/json" id="tg-data">(.*?)</script>', html, re.S)
    assert m is not None
    return json.loads(m.group(1))  # type: ignore[no-any-return]


# -- the seed graph and the real registry files ---------------------------------------------------


@pytest.mark.browser
def test_seed_view_draws_the_projection(seed_store: OxigraphStore, opened: Any, tmp_path: Path) -> None:
    html = write_view(seed_store, tmp_path / "seed.html")
    g = project(seed_store)
    page = opened(html)
    assert page.drawn() == (g.number_of_nodes(), g.number_of_edges())
    assert page.js("tgView.network.physics.physicsEnabled") is False  # stopped after stabilisation
    assert page.blocked == [] and page.errors == []


@pytest.mark.browser
def test_seed_view_country_filter(seed_store: OxigraphStore, opened: Any, tmp_path: Path) -> None:
    """Belgium is the country of CHU de Liège, the one site of NCT04445454 (data/nct04445454.yaml)."""
    page = opened(write_view(seed_store, tmp_path / "seed.html"))
    page.page.select_option("#tg-filter-country", label="Belgium (1)")
    assert page.drawn_names("trial") == {"NCT04445454"}
    assert "Belgium" in page.drawn_names("country")
    page.page.click("#tg-reset")
    assert page.drawn()[0] == project(seed_store).number_of_nodes()


@pytest.mark.browser
def test_registry_view_draws_the_projection(ctgov_store: OxigraphStore, opened: Any, tmp_path: Path) -> None:
    html = write_view(ctgov_store, tmp_path / "ctgov.html")
    g = project(ctgov_store)
    page = opened(html)
    assert page.drawn() == (g.number_of_nodes(), g.number_of_edges())
    # 1,148 + ... sites: above the threshold, so positions come from Python and physics is off
    assert page.js("tgView.network.physics.physicsEnabled") is False
    before = page.drawn_kinds()
    page.page.uncheck("input[data-kind=site]")
    after = page.drawn_kinds()
    assert "site" not in after
    assert after == {k: n for k, n in before.items() if k != "site"}
    page.search("NCT00973089")
    trial = page.index_of("https://w3id.org/trialgraph/id/trial/NCT00973089")
    assert page.js("tgView.network.getSelectedNodes()") == [trial]


@pytest.mark.browser
def test_focus_view_of_a_real_record(ctgov_store: OxigraphStore, opened: Any, tmp_path: Path) -> None:
    """NCT00973089 and two steps around it: 10 nodes and 9 links, counted by hand from its JSON
    (see tests/test_network.py)."""
    page = opened(write_view(ctgov_store, tmp_path / "focus.html", focus="NCT00973089", depth=2))
    assert page.drawn() == (10, 9)
    assert page.page.text_content("#tg-title") == "trialgraph: NCT00973089 and 2 steps around"

    page.page.uncheck("input[data-kind=site]")  # the one site, with its two links
    assert page.drawn() == (9, 7)
    assert page.drawn_kinds()["site"] == 0
    page.page.check("input[data-kind=site]")
    assert page.drawn() == (10, 9)

    page.page.uncheck("input[data-status=WITHDRAWN]")  # the one trial: everything goes with it
    assert page.drawn() == (0, 0)
    page.page.check("input[data-status=WITHDRAWN]")

    trial = page.index_of("https://w3id.org/trialgraph/id/trial/NCT00973089")
    page.click_node(trial)
    assert page.page.is_visible("#tg-panel")
    assert page.page.text_content("#tg-panel-title") == "NCT00973089"
    facts = page.page.inner_text("#tg-panel-facts")
    assert "Withdrawn" in facts and "2010-05" in facts
    assert page.page.get_attribute("#tg-registry-link", "href") == "https://clinicaltrials.gov/study/NCT00973089"
    assert "Hadassah Medical Organization" in page.page.inner_text("#tg-panel-neighbours")
    # the neighbourhood stays in colour, the rest fades
    faded = page.js("tgView.nodes.get().filter(n => n.color && n.color.background === '#e4e7eb').length")
    assert faded == 10 - 6  # the trial and its 5 neighbours stay


@pytest.mark.browser
def test_search_focuses_the_node(two_trials: OxigraphStore, opened: Any, tmp_path: Path) -> None:
    page = opened(write_view(two_trials, tmp_path / "two.html"))
    page.search("2020-000001-11")  # A's EudraCT id
    a = page.index_of("https://w3id.org/trialgraph/id/trial/NCT00000001")
    assert page.js("tgView.network.getSelectedNodes()") == [a]
    centre = page.js("tgView.network.getViewPosition()")
    pos = page.js("i => tgView.network.getPositions([i])[i]", a)
    assert abs(centre["x"] - pos["x"]) < 1 and abs(centre["y"] - pos["y"]) < 1
    assert page.page.text_content("#tg-panel-title") == "ALPHA"
    page.search("klinik süd")
    assert page.js("tgView.network.getSelectedNodes()") == [
        page.index_of("https://w3id.org/trialgraph/id/site/de/klinik-sud-munchen")
    ]
    page.search("no such thing")
    assert page.page.text_content("#tg-search-status") == "no match"


@pytest.mark.browser
def test_condition_filter_follows_broader_terms(two_trials: OxigraphStore, opened: Any, tmp_path: Path) -> None:
    page = opened(write_view(two_trials, tmp_path / "two.html"))
    page.page.select_option("#tg-filter-condition", label="ischemic stroke (1)")
    assert page.drawn_names("trial") == {"ALPHA"}
    # B's own nodes go; those B shares with A stay
    assert "Acme Pharma" in page.drawn_names("organization") and "Beta University" in page.drawn_names("organization")
    page.page.select_option("#tg-filter-condition", label="Cerebrovascular Disorders (2)")
    assert page.drawn_names("trial") == {"ALPHA", "NCT00000002"}
    page.page.select_option("#tg-filter-condition", [])
    page.page.uncheck("input[data-phase=PHASE1]")  # B is phase 2 only; A is phase 1 and 2
    assert page.drawn_names("trial") == {"ALPHA", "NCT00000002"}
    page.page.uncheck("input[data-phase=PHASE2]")
    assert page.drawn_names("trial") == set()


# -- safety -------------------------------------------------------------------------------------------


def hostile_store() -> OxigraphStore:
    record = TrialRecord(
        source="test",
        record_id="xss",
        source_file="xss.yaml",
        identifiers=[Identifier("OTHER", PAYLOAD)],
        title=PAYLOAD,
        status=PAYLOAD,  # not in the vocabulary: kept as text
        participations=[Participation(Organization(PAYLOAD), "LEAD_SPONSOR")],
        conditions=[Condition(PAYLOAD)],
        url="javascript:document.body.dataset.pwned=1",
    )
    return load_records(OxigraphStore(None), [record], infer=False)


@pytest.mark.browser
def test_registry_text_is_never_markup(opened: Any, tmp_path: Path) -> None:
    html = write_view(hostile_store(), tmp_path / "xss.html", title=PAYLOAD)
    text = html.read_text(encoding="utf-8")
    assert PAYLOAD not in text  # neither in the heading nor in the data block
    # the CSP is bypassed so that only the escaping is tested, not the policy behind it
    page = opened(html, bypass_csp=True)
    p = page.page
    assert p.text_content("#tg-title") == PAYLOAD
    assert p.title() == PAYLOAD
    page.search(PAYLOAD)
    assert p.text_content("#tg-panel-title") == PAYLOAD
    assert PAYLOAD in p.inner_text("#tg-panel-facts")  # the id and the title
    assert PAYLOAD in p.inner_text("#tg-panel-neighbours")  # the sponsor
    assert p.query_selector("#tg-registry-link") is None  # not an https:// page
    assert PAYLOAD in p.inner_text("#tg-filter-status")
    assert p.eval_on_selector("#tg-filter-condition", "s => s.options[0].text") == PAYLOAD + " (1)"
    trial = page.js("tgView.info.findIndex(d => d.kind === 'trial')")
    pos = page.js(
        """i => { const n = tgView.network; const d = n.canvasToDOM(n.getPositions([i])[i]);
                  const r = document.getElementById('tg-network').getBoundingClientRect();
                  return [d.x + r.left, d.y + r.top]; }""",
        trial,
    )
    p.mouse.move(pos[0] + 40, pos[1] + 40)
    p.mouse.move(pos[0], pos[1])
    p.wait_for_selector("#tg-tooltip:not([hidden])")
    assert PAYLOAD in p.text_content("#tg-tooltip")
    assert p.evaluate("document.getElementById('tg-tooltip').children.length") == 0
    assert p.evaluate("document.querySelectorAll('img').length") == 0
    assert p.evaluate("document.body.dataset.pwned") is None


def test_script_json_cannot_close_its_element() -> None:
    value = {"text": "</script><!-- & <b>", "n": 1}
    out = script_json(value)
    assert not set("<>&") & set(out)
    assert json.loads(out) == value


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("src", "href") and value is not None:
                self.refs.append((tag, name, value))


@pytest.mark.browser
def test_one_file_that_works_offline(two_trials: OxigraphStore, opened: Any, tmp_path: Path) -> None:
    html = write_view(two_trials, tmp_path / "two.html")
    refs = _Refs()
    refs.feed(html.read_text(encoding="utf-8"))
    assert refs.refs == []  # no script, stylesheet, image or link to load at all
    assert "Content-Security-Policy" in html.read_text(encoding="utf-8")
    page = opened(html)  # the policy in force: the page must still work under it
    assert page.drawn() == (15, 17)
    assert page.blocked == [] and page.errors == []


def test_written_as_utf8_whatever_the_locale(tmp_path: Path) -> None:
    store = load_records(open_store(tmp_path / "store"), [record_a(), record_b()], infer=False)  # type: ignore[arg-type]
    store.close()
    out = tmp_path / "view.html"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "PYTHONUTF8", "PYTHONIOENCODING"))}
    env.update(LANG="C", LC_ALL="C")
    result = subprocess.run(
        [sys.executable, "-m", "graph", "view", "--store", str(tmp_path / "store"), "-o", str(out)],
        cwd=ROOT, env=env, capture_output=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode("utf-8", "replace")
    data = out.read_bytes()
    assert "Klinik Süd".encode() in data and "Hôpital Nord".encode() in data
    assert b'<meta charset="utf-8">' in data


# -- options ------------------------------------------------------------------------------------------


def test_view_command_focus_and_query(tmp_path: Path) -> None:
    store = load_records(open_store(tmp_path / "store"), [record_a(), record_b()], infer=False)  # type: ignore[arg-type]
    store.close()
    runner = CliRunner()
    out = tmp_path / "focus.html"
    result = runner.invoke(
        main, ["view", "--store", str(tmp_path / "store"), "-o", str(out), "--focus", "NCT00000002", "--depth", "1"]
    )
    assert result.exit_code == 0, result.output
    data = embedded_data(out.read_text(encoding="utf-8"))
    names = {d["name"] for d in data["info"]}
    assert names == {"NCT00000002", "Beta University", "Hôpital Nord", "Stroke", "Mesenchymal stromal cells"}
    assert len(data["edges"]) == 4
    result = runner.invoke(
        main,
        [
            "view",
            "--store",
            str(tmp_path / "store"),
            "-o",
            str(out),
            "--query",
            "trial-organizations",
            "--param",
            "id=NCT00000001",
        ],
    )
    assert result.exit_code == 0, result.output
    assert {d["name"] for d in embedded_data(out.read_text(encoding="utf-8"))["info"]} == {
        "Acme Pharma", "Beta University", "Gamma Research", "Delta Fund",
    }  # fmt: skip
    result = runner.invoke(
        main, ["view", "--store", str(tmp_path / "store"), "-o", str(out), "--focus", "nothing like it"]
    )
    assert result.exit_code == 2
    assert "no trial, organisation" in result.output


def test_large_networks_get_python_positions(two_trials: OxigraphStore) -> None:
    g = project(two_trials)
    small = embedded_data(render_html(g))
    large = embedded_data(render_html(g, physics_threshold=10))
    assert small["physics"] is True and small["options"]["physics"]["enabled"] is True
    assert large["physics"] is False and large["options"]["physics"]["enabled"] is False
    assert all(isinstance(n["x"], float) and isinstance(n["y"], float) for n in large["nodes"])
    # same graph, same picture
    assert embedded_data(render_html(g, physics_threshold=10))["nodes"] == large["nodes"]


@pytest.mark.browser
def test_png_snapshot(two_trials: OxigraphStore, tmp_path: Path, chromium_path: str) -> None:
    png = tmp_path / "shot.png"
    write_view(two_trials, tmp_path / "two.html", png=png)
    head = png.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", head[16:24]) == (1600, 1000)


# -- insights, status vocabulary, legend, communities, aggregated first picture --------------------


@pytest.fixture(scope="module")
def herniated(tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    """The eight ClinicalTrials.gov studies of tests/data/ctgov/herniated-disc-shared-sites_page.json
    (their shared sites are counted by hand in tests/test_analyze.py)."""
    return open_store(built(tmp_path_factory, "herniated-view", HERNIATED), read_only=True)  # type: ignore[return-value]


@pytest.fixture(scope="module")
def ictrp(tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    return open_store(built(tmp_path_factory, "ictrp-view", ICTRP_FILE), read_only=True)  # type: ignore[return-value]


def insight_rows(page: Page, list_id: str) -> list[str]:
    return page.js(
        f"Array.from(document.querySelectorAll('#{list_id} li')).map(li => li.innerText.replace(/\\s+/g, ' '))"
    )  # type: ignore[no-any-return]


@pytest.mark.browser
def test_insights_panel_lists_shared_sites(herniated: OxigraphStore, opened: Any, tmp_path: Path) -> None:
    """The five sites the eight studies share, counted by hand (tests/test_analyze.py)."""
    page = opened(write_view(herniated, tmp_path / "herniated.html"))
    assert page.page.is_visible("#tg-insights")
    assert insight_rows(page, "tg-insights-sites") == [
        "Jaseng Hospital of Korean Medicine Seoul, KR · 3 trials",
        "William Beaumont Hospital Royal Oak, US · 3 trials",
        "Hospital for Special Surgery New York, US · 2 trials",
        "Rush University Medical Center Chicago, US · 2 trials",
        "Texas Back Institute Plano, US · 2 trials",
    ]
    # the sponsor of three of them, Jaseng Medical Foundation (NCT02384928, NCT05240586) has 2 trials
    assert insight_rows(page, "tg-insights-central")[0].startswith("Jaseng Medical Foundation 2 trials")
    # a click on a row focuses that node: selected, centred, described in the panel
    page.page.click("#tg-insights-sites button:text-is('William Beaumont Hospital')")
    site = page.index_of(ID + "site/us/william-beaumont-hospital-royal-oak")
    assert page.js("tgView.network.getSelectedNodes()") == [site]
    centre, pos = page.js("tgView.network.getViewPosition()"), page.js(f"tgView.network.getPositions([{site}])[{site}]")
    assert abs(centre["x"] - pos["x"]) < 1 and abs(centre["y"] - pos["y"]) < 1
    assert page.page.text_content("#tg-panel-title") == "William Beaumont Hospital"
    assert not page.page.is_visible("#tg-insights")
    page.page.click("#tg-panel-close")
    assert page.page.is_visible("#tg-insights")
    assert page.errors == [] and page.blocked == []


@pytest.mark.browser
def test_status_filter_is_one_vocabulary(ictrp: OxigraphStore, opened: Any, tmp_path: Path) -> None:
    """ictrp-export-sample.xml: statuses are API v2 values ("Recruiting") or the coarser statuses
    of the vocabulary for ICTRP and EU register values ("Not recruiting", "Authorised"), never
    raw text beside them.  NCT05697861 says "Recruiting" and its CTIS record
    CTIS2023-507385-11-00 "Not Recruiting": it is filed under Recruiting, with the other beside it."""
    page = opened(write_view(ictrp, tmp_path / "ictrp.html"))
    entries = page.js(
        """Array.from(document.querySelectorAll('#tg-filter-status li')).map(li => [
             li.querySelector('input').dataset.status, li.classList.contains('tg-sub'),
             li.querySelector('label span:not(.tg-count)').textContent])"""
    )
    top = [(key, label) for key, sub, label in entries if not sub]
    under = [(key, label) for key, sub, label in entries if sub]
    assert ("RECRUITING", "Recruiting") in top
    assert ("coarse", "Coarser statuses of other registers") in top
    assert ("NOT_RECRUITING", "Not recruiting") in under and ("AUTHORISED", "Authorised") in under
    api_v2 = {"Recruiting", "Completed", "Not yet recruiting", "Active, not recruiting", "Withdrawn", "Terminated",
              "Suspended", "Unknown status", "Enrolling by invitation"}  # fmt: skip
    groups = {"Coarser statuses of other registers", "Registry wording, no status", "not stated"}
    assert {label for _key, label in top} <= api_v2 | groups
    trial = page.index_of(ID + "trial/NCT05697861")
    facts = dict(page.js(f"tgView.info[{trial}].facts"))
    assert facts["Status"] == "Recruiting (a registry says: Not recruiting)"
    assert page.js(f"tgView.info[{trial}].status") == "RECRUITING"
    # unticking the group hides every trial with a coarser status, and ticks off its entries
    before = page.drawn_kinds()["trial"]
    page.page.uncheck("input[data-status=coarse]")
    assert page.page.is_checked("input[data-status=AUTHORISED]") is False
    coarse = page.js("tgView.info.filter(d => ['NOT_RECRUITING', 'AUTHORISED'].includes(d.status)).length")
    assert page.drawn_kinds()["trial"] == before - coarse < before


@pytest.mark.browser
def test_status_wording_outside_the_vocabulary(opened: Any, tmp_path: Path) -> None:
    """A record whose status no vocabulary has is kept with its wording, under its own entry."""
    b = TrialRecord(source="test", record_id="b", source_file="b.yaml", identifiers=[Identifier("NCT", "NCT00000002")],
                    status="Under evaluation")  # fmt: skip
    store = load_records(OxigraphStore(None), [record_a(), b], infer=False)
    page = opened(write_view(store, tmp_path / "wording.html"))
    assert page.page.inner_text("label:has(input[data-status=wording])").startswith("Registry wording, no status")
    assert page.page.is_visible("input[data-status='wording:Under evaluation']")
    page.page.uncheck("input[data-status='wording:Under evaluation']")
    assert page.drawn_names("trial") == {"ALPHA"}
    assert page.page.is_checked("input[data-status=wording]") is False  # its only entry is off


@pytest.mark.browser
def test_legend_explains_sizes(seed_store: OxigraphStore, opened: Any, tmp_path: Path) -> None:
    page = opened(write_view(seed_store, tmp_path / "seed.html"))
    legend = page.page.inner_text("#tg-legend")
    for line in ("size: target enrolment", "size: number of its trials", "size: trials that recruit there",
                 "size: trials of it or of a narrower condition"):  # fmt: skip
        assert line in legend
    assert "log scale" in page.page.inner_text("#tg-size-note")


@pytest.mark.browser
def test_colour_by_community(two_trials: OxigraphStore, opened: Any, tmp_path: Path) -> None:
    page = opened(write_view(two_trials, tmp_path / "two.html"))
    beta = page.index_of(ID + "org/beta-university")
    fill = f"tgView.network.body.nodes[{beta}].options.color.background"
    assert page.js(fill) == "#E69F00"  # the organisations' orange of the legend
    page.page.check("input[value=community]")
    assert page.page.is_visible("#tg-communities")
    number = page.js(f"tgView.info[{beta}].community")
    key = "JSON.parse(document.getElementById('tg-data').textContent).communities"
    expected = page.js(f"({key}.find(c => c.number === {number}) || {{color: '#d3d7dc'}}).color")
    assert page.js(fill) == expected != "#E69F00"
    page.page.check("input[value=kind]")
    assert page.js(fill) == "#E69F00"
    assert not page.page.is_visible("#tg-communities")


@pytest.mark.browser
def test_aggregated_first_picture(herniated: OxigraphStore, opened: Any, tmp_path: Path) -> None:
    """Above the threshold the view opens with sites folded into cities and each community as one
    cluster; a click opens it; the search and the Insights panel open the cluster they need."""
    g = project(herniated)
    html = tmp_path / "aggregated.html"
    html.write_text(render_html(g, aggregate_threshold=10), encoding="utf-8")
    data = embedded_data(html.read_text(encoding="utf-8"))
    clusters, info = data["clusters"], data["info"]
    assert clusters and {d["kind"] for d in info}.isdisjoint({"site"}) and "city" in {d["kind"] for d in info}
    members = {i for c in clusters for i in c["members"]}
    page = opened(html)
    n = len(info)
    drawn = set(page.js("tgView.network.body.nodeIndices"))
    assert drawn == ({i for i in range(n) if i not in members} | {n + k for k in range(len(clusters))})
    # every link is drawn, or counted in a link that ends at a cluster, or lies inside one
    inside = sum(
        1
        for e in data["edges"]
        if {e[0], e[1]} <= set(next((c["members"] for c in clusters if e[0] in c["members"]), []))
    )
    counted = page.js("tgView.edges.get().reduce((s, e) => s + (typeof e.id === 'string' ? e.count : 1), 0)")
    assert counted + inside == len(data["edges"])
    # a click on the largest cluster draws its members in its place
    page.click_node(n)
    drawn = set(page.js("tgView.network.body.nodeIndices"))
    assert set(clusters[0]["members"]) <= drawn and n not in drawn
    # the search finds a node in a closed cluster and opens that cluster
    page.page.click("#tg-close-clusters")
    page.search("NCT00220935")
    trial = page.index_of(ID + "trial/NCT00220935")
    assert page.js("tgView.network.getSelectedNodes()") == [trial]
    # a shared site is found at its city: Royal Oak, US holds William Beaumont Hospital
    page.page.click("#tg-close-clusters")
    page.page.click("#tg-insights-sites button:text-is('William Beaumont Hospital')")
    city = page.index_of("city:us/royal-oak")
    assert page.js("tgView.network.getSelectedNodes()") == [city]
    assert "William Beaumont Hospital" in dict(page.js(f"tgView.info[{city}].facts"))["Sites"]
    assert page.errors == []


@pytest.mark.browser
def test_insights_and_communities_never_markup(opened: Any, tmp_path: Path) -> None:
    """Two trials that share a hostile site and two hostile organisations: the Insights panel and
    the community key show the text, never markup."""

    def record(n: int) -> TrialRecord:
        return TrialRecord(
            source="test", record_id=f"x{n}", source_file="xss.yaml",
            identifiers=[Identifier("NCT", f"NCT0000009{n}")],
            participations=[Participation(Organization(PAYLOAD), "LEAD_SPONSOR"),
                            Participation(Organization(PAYLOAD + " Two"), "COLLABORATOR")],
            sites=[Site(PAYLOAD, city=PAYLOAD, country="FR")],
        )  # fmt: skip

    store = load_records(OxigraphStore(None), [record(1), record(2)], infer=False)
    html = tmp_path / "xss.html"
    html.write_text(render_html(project(store), aggregate_threshold=3), encoding="utf-8")
    assert PAYLOAD not in html.read_text(encoding="utf-8")
    page = opened(html, bypass_csp=True)
    assert PAYLOAD in page.page.inner_text("#tg-insights-sites")
    assert PAYLOAD in page.page.inner_text("#tg-insights-partners")
    assert PAYLOAD in page.page.inner_text("#tg-insights-central")
    assert PAYLOAD in page.page.inner_text("#tg-communities")
    page.page.click("#tg-insights-central button >> nth=0")
    assert PAYLOAD in page.page.text_content("#tg-panel-title")
    assert page.js("document.querySelectorAll('img').length") == 0
    assert page.js("document.body.dataset.pwned") is None


# -- the aggregated first picture of a registry network: clusters packed apart ----------------------


def _overlapping(circles: list[tuple[float, float, float]]) -> list[tuple[int, int]]:
    return [
        (a, b)
        for a in range(len(circles))
        for b in range(a + 1, len(circles))
        if math.dist(circles[a][:2], circles[b][:2]) < circles[a][2] + circles[b][2]
    ]


def test_pack_circles_many_small_components() -> None:
    """Sixty small components (paths of 2 to 5 nodes), one circle each at the centroid of its
    members, placed at random (seeded) in a 400-pixel square, as a force layout of disconnected
    components leaves them: the centroids crowd the middle and overlap; packed, none does."""
    g = nx.Graph()
    for c in range(60):
        nx.add_path(g, [f"{c}-{k}" for k in range(2 + c % 4)])
    rng = random.Random(7)
    pos = {n: (rng.uniform(-200, 200), rng.uniform(-200, 200)) for n in sorted(g)}
    circles = []
    for comp in sorted(nx.connected_components(g), key=sorted):
        xs, ys = [pos[n][0] for n in comp], [pos[n][1] for n in comp]
        circles.append((sum(xs) / len(xs), sum(ys) / len(ys), 30.0 + 5 * len(comp)))
    assert _overlapping(circles), "the fixture must start crowded, or the test proves nothing"
    packed = pack_circles(circles)
    assert _overlapping([(x, y, c[2]) for (x, y), c in zip(packed, circles, strict=True)]) == []
    assert pack_circles(circles) == packed  # the same input, the same picture


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every shared registry file (as issue 16's note builds them): 3,645 nodes once sites are
    folded, so the view opens aggregated, with 267 communities of which most hold 1 or 2 trials."""
    store = tmp_path_factory.mktemp("shared-view") / "store"
    shared = ROOT.parent / "shared" / "data"
    paths = [ROOT / "data"] + [shared / d for d in ("ctgov-v2", "ctgov-v2-pages", "ictrp", "ctrdata")]
    result = CliRunner().invoke(main, ["build", *map(str, paths), "--store", str(store)])
    assert result.exit_code == 0, result.output
    return store


@pytest.mark.browser
def test_clusters_of_the_shared_data_do_not_overlap(shared_store: Path, opened: Any, tmp_path: Path) -> None:
    """Regression: the aggregated first picture of the shared data drew its clusters piled in one
    narrow column, their labels on top of each other.  Read from the page: no two clusters
    overlap, the drawing is not a strip, few clusters carry a label and "1 trial" is singular."""
    html = tmp_path / "shared.html"
    result = CliRunner().invoke(main, ["view", "--store", str(shared_store), "-o", str(html)])
    assert result.exit_code == 0, result.output
    page = opened(html)
    drawn = page.js(
        """() => { const n = tgView.network, N = tgView.info.length;
                   const ids = n.body.nodeIndices.filter(i => i >= N), pos = n.getPositions(ids);
                   return ids.map(i => [pos[i].x, pos[i].y, tgView.clusters[i - N].size,
                                        n.body.nodes[i].options.label || ""]); }"""
    )
    assert len(drawn) > 100  # the shared data makes hundreds of clusters
    assert _overlapping([(x, y, r) for x, y, r, _label in drawn]) == []
    xs, ys = [d[0] for d in drawn], [d[1] for d in drawn]
    width, height = max(xs) - min(xs), max(ys) - min(ys)
    assert 1 / 3 <= width / height <= 3
    labels = [d[3] for d in drawn if d[3]]
    assert 0 < len(labels) <= 12
    assert not any(label.endswith("(1 trials)") for label in labels)
    captions = page.js("tgView.clusters.map(c => c.caption)")
    assert any(c.endswith("(1 trial)") for c in captions) and not any(c.endswith("(1 trials)") for c in captions)
    # a cluster without a label still names itself on hover
    bare = page.js("tgView.clusters.findIndex(c => !c.label)")
    n = len(page.js("tgView.info"))
    page.page.mouse.move(*page.point_of(n + bare))
    page.page.wait_for_selector("#tg-tooltip:not([hidden])", timeout=5000)
    name = page.js(f"tgView.clusters[{bare}].name")
    assert page.js("document.getElementById('tg-tooltip').textContent").startswith(name)
    assert page.errors == []
