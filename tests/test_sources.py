"""The reader registry: every built-in reader is there, in the order they are tried, and a reader
module that is missing or misspelt is an error that names it (it used to be skipped silently)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graph import sources
from graph.constants import READERS_ENV
from graph.errors import TrialgraphError


def test_every_built_in_reader_is_registered_in_the_order_they_are_tried() -> None:
    # the six readers of graph/sources/, the specific ones before ctgov, whose sniff takes any
    # JSON object, and ictrp (XML) last
    assert list(sources.formats())[:6] == ["curated", "ctis", "euctr", "isrctn", "ctgov", "ictrp"]


@pytest.mark.parametrize("module", ["graph.sources.ctgvo", "graph.sourcs.ctgov"])
def test_registry_does_not_swallow_a_missing_reader_module(module: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "_BUILTIN", (*sources._BUILTIN, module))
    with pytest.raises(TrialgraphError, match=re.escape(f"reader module {module} not found")) as caught:
        sources.formats()
    assert "graph.sources._BUILTIN" in (caught.value.hint or "")


def test_a_misspelt_plugin_reader_is_an_error_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(READERS_ENV, "tests.example_regster")
    with pytest.raises(TrialgraphError, match=re.escape("reader module tests.example_regster not found")) as caught:
        sources.formats()
    assert READERS_ENV in (caught.value.hint or "")


def test_a_reader_missing_a_dependency_says_which(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "reader_with_a_missing_dependency.py").write_text("import no_such_dependency_of_a_reader\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError) as caught:
        sources.load_readers(["reader_with_a_missing_dependency"])
    assert caught.value.name == "no_such_dependency_of_a_reader"


def test_a_built_in_reader_module_registers_a_reader_named_after_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # graph.sources.ctrdata holds what the ctrdata readers share and registers no reader itself
    monkeypatch.setattr(sources, "_BUILTIN", (*sources._BUILTIN, "graph.sources.ctrdata"))
    with pytest.raises(TrialgraphError, match=re.escape("graph.sources.ctrdata registers no reader named 'ctrdata'")):
        sources.load_readers(["graph.sources.ctrdata"])
