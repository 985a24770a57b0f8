"""What ``trialgraph --help`` loads: the command group and its options, not the libraries the
commands run on (the store, the network, the shapes engine, the reasoner).  Each check runs in a
fresh Python process, the way a shell starts the command."""

from __future__ import annotations

import json
import subprocess
import sys

#: Libraries that only the work of a command needs.  (The ``validate --format`` choices come from
#: :mod:`graph.validate.render`, which imports the report model only when it renders one.)
HEAVY = ("rdflib", "pyoxigraph", "networkx", "pyshacl", "owlrl", "pyvis", "jinja2", "httpx")

_PROBE = """
import json, sys
from graph.cli import main
try:
    main({args!r}, prog_name="trialgraph")
except SystemExit as done:
    code = done.code
print(json.dumps({{"code": code, "loaded": [m for m in {heavy!r} if m in sys.modules]}}))
"""


def _started(*args: str, imports: str = "") -> tuple[str, dict[str, object]]:
    """Run ``trialgraph ARGS`` in a fresh process; its output and the heavy libraries it loaded."""
    probe = imports + _PROBE.format(args=list(args), heavy=HEAVY)
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    *output, last = done.stdout.rstrip("\n").split("\n")
    return "\n".join(output), json.loads(last)


def test_help_loads_none_of_the_libraries_the_commands_run_on() -> None:
    output, probe = _started("--help")
    assert probe["code"] == 0
    assert "Usage: trialgraph" in output
    # every command is listed (cli.py adds ten)
    commands = ("build", "fetch", "validate", "query", "queries", "export", "conflicts", "view", "analyze", "serve")
    for command in commands:
        assert f"  {command} " in output
    assert probe["loaded"] == []


def test_the_probe_sees_a_library_that_was_loaded() -> None:
    # the same probe, in a process that imported the store first: the check above can fail
    _output, probe = _started("--help", imports="import pyoxigraph, networkx\n")
    assert probe["loaded"] == ["pyoxigraph", "networkx"]


def test_import_graph_keeps_its_public_names() -> None:
    # a fresh process that imports the pipeline's modules before it asks for graph.build: the
    # function, not a module of that name
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import graph, graph.pipeline.run, graph.pipeline.report, graph.query.named; "
            "assert graph.build is graph.pipeline.run.build; "
            "assert graph.BuildReport is graph.pipeline.report.BuildReport; "
            "assert graph.run_query is graph.query.named.run; "
            "assert graph.query_catalogue is graph.query.named.catalogue; "
            "assert graph.open_store is graph.store.registry.open_store; "
            "assert not hasattr(graph, 'no_such_name'); "
            "print(len(graph.__all__), all(getattr(graph, n).__module__.startswith('graph.') for n in graph.__all__))",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    # the sixteen names of graph/__init__.py before its imports were made lazy, each defined in the package
    assert done.stdout.split() == ["16", "True"]
