"""Shared fixtures.  Real parts only: an Oxigraph store on disk, the real registry files in
../shared/data/, and Debian's headless Chromium.  A missing browser is an error, not a skip."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph

from graph.pipeline.run import build
from graph.store.local import OxigraphStore
from graph.store.registry import open_store

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
CTGOV_DIR = SHARED_DATA / "ctgov-v2"
ICTRP_FILE = SHARED_DATA / "ictrp" / "ictrp-export-sample.xml"
SEED_DATA = ROOT / "data"
TEST_DATA = Path(__file__).resolve().parent / "data"
CHROMIUM = "/usr/bin/chromium"


def turtle_graph(*files: Path) -> Graph:
    """The Turtle files, parsed into one graph."""
    graph = Graph()
    for file in files:
        graph.parse(file, format="turtle")
    return graph


@pytest.fixture(scope="session")
def seed_store(tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    """The five curated seed trials, built once into an on-disk store (read-only use)."""
    path = tmp_path_factory.mktemp("seed") / "store"
    store = open_store(path)
    build([SEED_DATA], store)
    assert isinstance(store, OxigraphStore)
    return store


@pytest.fixture(scope="session")
def ctgov_store(tmp_path_factory: pytest.TempPathFactory) -> OxigraphStore:
    """Every real ClinicalTrials.gov file in ../shared/data/ctgov-v2, built once (read-only use)."""
    path = tmp_path_factory.mktemp("ctgov") / "store"
    store = open_store(path)
    build([CTGOV_DIR], store)
    assert isinstance(store, OxigraphStore)
    return store


@pytest.fixture
def chromium_path() -> str:
    """Debian's Chromium.  Fails (never skips) when it is missing: `make test` installs it."""
    found = shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).exists() else None)
    if not found:
        pytest.fail("Chromium is not installed: run `make test`, which installs Debian's chromium")
    return found


#: Flags for headless Chromium on a machine with no network: no background traffic at all.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture
def browser(chromium_path: str) -> Iterator[object]:
    """A Playwright browser driving Debian's Chromium (Playwright's own browser download is
    never used)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The on-disk cache of graph.cache (docs/import.md) under the session's temporary folder,
    never the user's: the suite fills it, then reads it."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRIALGRAPH_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield
