"""The layout of the ``graph`` package: its imports point one way, and its modules stay small.

The imports are read from the source with :mod:`ast`, so an import inside a function (a lazy
import) counts as much as one at the top of a module, and ``from . import x`` is resolved to the
module it names.  Three rules:

- no import cycle between modules, with no exception;
- a module imports a name of the package from the module that defines it, never through a module
  that only imports it (a package root's ``__init__`` re-exports, nobody inside imports from it);
- no module is longer than 600 lines.  The split of the old flat package is not finished: the
  modules in :data:`OVERSIZE` are still longer, each with its line count as a ceiling, so that it
  can only shrink, and a module that is not in the list fails at 601 lines.

Imports made from a string (:func:`importlib.import_module` in the reader registry) are not
seen; the registry's own test checks that each module it names exists.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import pytest

from graph.constants import PACKAGE_DIR

MAX_LINES = 600

#: Modules still longer than :data:`MAX_LINES`, with their length today as a ceiling.  Remove a
#: module from the list when a split brings it under the limit; never raise a ceiling.
OVERSIZE: dict[str, int] = {}


@dataclass(frozen=True)
class Edge:
    """``source`` imports ``target`` (a module of the package) at ``line``; ``names`` are the
    names it takes from it (empty for ``import target``)."""

    source: str
    target: str
    line: int
    names: tuple[str, ...]


def modules(root: Path) -> dict[str, Path]:
    """Every module of the package in ``root``, by dotted name (a package by its own name)."""
    found: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _owner(name: str, known: dict[str, Path]) -> str | None:
    """The module ``name`` is, or is in (``graph.store.Result`` -> ``graph.store``)."""
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imports(module: str, path: Path, known: dict[str, Path]) -> list[Edge]:
    """The package modules ``module`` imports, anywhere in its code."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    top = module.split(".")[0]
    edges: list[Edge] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _owner(alias.name, known) if alias.name.split(".")[0] == top else None
                if target is not None:
                    edges.append(Edge(module, target, node.lineno, ()))
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            if origin.split(".")[0] != top:
                continue
            for alias in node.names:
                submodule = f"{origin}.{alias.name}"
                if submodule in known:
                    # ``from pkg import sub`` runs ``pkg/__init__`` first, and reads ``sub`` from it
                    if origin in known:
                        edges.append(Edge(module, origin, node.lineno, ()))
                    edges.append(Edge(module, submodule, node.lineno, ()))
                elif (target := _owner(origin, known)) is not None:
                    edges.append(Edge(module, target, node.lineno, (alias.name,)))
    return [e for e in edges if e.target != module]


def import_graph(root: Path) -> nx.DiGraph:
    known = modules(root)
    g = nx.DiGraph()
    g.add_nodes_from(known)
    for module, path in known.items():
        for edge in imports(module, path, known):
            if not g.has_edge(edge.source, edge.target):
                g.add_edge(edge.source, edge.target, line=edge.line)
    return g


def cycles(root: Path) -> list[str]:
    """One cycle of each group of modules that import each other, written out with the line of
    each import (``a:12 -> b:40 -> a``)."""
    g = import_graph(root)
    found = []
    for group in sorted(nx.strongly_connected_components(g), key=min):
        if len(group) < 2:
            continue
        loop = nx.find_cycle(g.subgraph(group), source=min(group))
        found.append(" -> ".join(f"{a}:{g.edges[a, b]['line']}" for a, b in loop) + f" -> {loop[0][0]}")
    return found


def _defined(path: Path) -> set[str]:
    """The names a module binds at its top level only by an import."""
    imported: set[str] = set()
    bound: set[str] = set()
    for statement in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(statement.name)
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Import | ast.ImportFrom):
                imported.update(a.asname or a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                bound.add(node.id)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                bound.add(node.name)
    return imported - bound


def reexported(root: Path) -> list[str]:
    """Imports of a name through a module that does not define it but only imports it."""
    known = modules(root)
    only_imported = {m: _defined(p) for m, p in known.items()}
    found = []
    for module, path in known.items():
        for edge in imports(module, path, known):
            for name in edge.names:
                if name in only_imported[edge.target]:
                    found.append(f"{module}:{edge.line} takes {name} from {edge.target}, which only imports it")
    return found


def line_counts(root: Path) -> dict[str, int]:
    return {
        path.relative_to(root.parent).as_posix(): len(path.read_text(encoding="utf-8").splitlines())
        for path in sorted(root.rglob("*.py"))
    }


def oversize(counts: dict[str, int], allowed: dict[str, int]) -> list[str]:
    """Modules over :data:`MAX_LINES` beyond their ceiling, and ceilings that are no longer needed."""
    found = []
    for name, count in counts.items():
        ceiling = allowed.get(name, MAX_LINES)
        if count > ceiling:
            found.append(f"{name}: {count} lines (at most {ceiling}): split it by what its code does")
    for name in allowed:
        if name not in counts or counts[name] <= MAX_LINES:
            found.append(f"{name} is no longer over {MAX_LINES} lines: remove it from OVERSIZE")
    return found


# -- the package ---------------------------------------------------------------------------------


def test_the_package_has_no_import_cycle() -> None:
    found = cycles(PACKAGE_DIR)
    assert not found, "import cycles (module:line of each import):\n" + "\n".join(found)


def test_modules_import_a_name_from_the_module_that_defines_it() -> None:
    found = reexported(PACKAGE_DIR)
    assert not found, "\n".join(found)


def test_no_module_grows_past_600_lines() -> None:
    found = oversize(line_counts(PACKAGE_DIR), OVERSIZE)
    assert not found, "\n".join(found)


def _imported_by(prefix: str) -> set[str]:
    """The package modules that the modules named ``prefix`` (or under it) import."""
    g = import_graph(PACKAGE_DIR)
    return {t for s in g if s == prefix or s.startswith(prefix + ".") for t in g.successors(s)}


def test_the_model_is_plain_data_and_imports_nothing_of_the_package() -> None:
    assert _imported_by("graph.model") == set()


#: What the early stages of the flow may import: the shared foundations and themselves.
_FOUNDATIONS = {"graph.constants", "graph.errors", "graph.model", "graph.namespace", "graph.safeyaml"}


@pytest.mark.parametrize(
    ("stage", "allowed"),
    [
        ("graph.normalize", {"graph.model", "graph.normalize"}),
        ("graph.resolve", {*_FOUNDATIONS, "graph.normalize", "graph.resolve"}),
    ],
)
def test_an_early_stage_imports_nothing_later_in_the_flow(stage: str, allowed: set[str]) -> None:
    later = {m for m in _imported_by(stage) if not any(m == a or m.startswith(a + ".") for a in allowed)}
    assert not later, f"{stage} imports {sorted(later)}"


def test_the_report_model_of_validation_is_plain_data() -> None:
    # ``trialgraph --help`` lists the report formats; their model must not pull in the engines
    assert _imported_by("graph.validate.report") == set()


#: The build, which runs the stages, and the front-ends over them.
_RUNNERS = ("graph.pipeline", "graph.view", "graph.serve", "graph.commands", "graph.cli")


@pytest.mark.parametrize("stage", ["graph.validate", "graph.network"])
def test_a_stage_imports_nothing_that_runs_it(stage: str) -> None:
    runners = {m for m in _imported_by(stage) if any(m == r or m.startswith(r + ".") for r in _RUNNERS)}
    assert not runners, f"{stage} imports {sorted(runners)}"


def test_the_check_reads_every_module_of_the_package() -> None:
    known = modules(PACKAGE_DIR)
    assert len(known) == len(list(PACKAGE_DIR.rglob("*.py")))
    assert {"graph", "graph.cli", "graph.model", "graph.sources", "graph.sources.ctgov"} <= set(known)
    # a reader takes ``register`` from the registry, the package of the readers
    assert import_graph(PACKAGE_DIR).has_edge("graph.sources.ctgov", "graph.sources")


# -- the checks themselves, on small packages written here ----------------------------------------


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "pkg"
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        pytest.param(
            {
                "a.py": "from pkg.b import f\n",
                "b.py": "def f():\n    from pkg import a\n    return a\n",
                "c.py": "import pkg.a\n",
            },
            ["pkg.a:1 -> pkg.b:2 -> pkg.a"],
            id="a lazy import closes a cycle",
        ),
        pytest.param(
            {
                "sub/__init__.py": "from . import leaf\n",
                "sub/leaf.py": "from .. import top\n",
                "top.py": "from .sub import leaf\n",
            },
            # sub -> sub.leaf -> top -> sub (``from .sub import leaf`` runs sub/__init__ first)
            ["pkg.sub:1 -> pkg.sub.leaf:1 -> pkg.top:1 -> pkg.sub"],
            id="relative imports are resolved",
        ),
        pytest.param(
            {
                "__init__.py": "from pkg.a import f\n",
                "a.py": "from pkg import b\ndef f():\n    return b\n",
                "b.py": "X = 1\n",
            },
            # ``from pkg import b`` runs pkg/__init__, which imports a: a cycle through the package
            ["pkg:1 -> pkg.a:1 -> pkg"],
            id="a submodule taken from its package goes through the package's __init__",
        ),
        pytest.param(
            {"a.py": "from pkg.b import y\nx = y\n", "b.py": "y = 1\n"},
            [],
            id="no cycle where imports point one way",
        ),
    ],
)
def test_the_cycle_check(tmp_path: Path, files: dict[str, str], expected: list[str]) -> None:
    root = _package(tmp_path, {"__init__.py": "", **files})
    assert cycles(root) == expected


def test_a_name_taken_through_a_module_that_only_imports_it(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "__init__.py": "",
            "a.py": "from pkg.b import y, z\n",
            "b.py": "from pkg.c import y\nz = y + 1\n",
            "c.py": "y = 1\n",
        },
    )
    assert reexported(root) == ["pkg.a:1 takes y from pkg.b, which only imports it"]


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ({"pkg/a.py": 600, "pkg/big.py": 700}, []),
        ({"pkg/a.py": 601, "pkg/big.py": 700}, ["pkg/a.py: 601 lines (at most 600): split it by what its code does"]),
        ({"pkg/a.py": 10, "pkg/big.py": 701}, ["pkg/big.py: 701 lines (at most 700): split it by what its code does"]),
        ({"pkg/a.py": 10, "pkg/big.py": 600}, ["pkg/big.py is no longer over 600 lines: remove it from OVERSIZE"]),
    ],
)
def test_the_line_ceiling(counts: dict[str, int], expected: list[str]) -> None:
    assert oversize(counts, {"pkg/big.py": 700}) == expected
