"""The ``trialgraph`` command: one group of thin commands over the library.  Exit codes: 0 ok,
1 the data failed validation, 2 bad input or usage.  Errors are one message, never a traceback.

The commands live in :mod:`graph.commands`, one module per stage they drive; this module only
gathers them under the group that ``[project.scripts]`` and ``python -m graph`` call."""

from __future__ import annotations

import click

from graph.commands.build import build, fetch
from graph.commands.network import analyze, view
from graph.commands.query import conflicts, export, list_queries, query
from graph.commands.serve import serve
from graph.commands.validate import validate


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="trialgraph")
def main() -> None:
    """trialgraph: a knowledge graph of clinical trials, sponsors and conditions."""


for command in (build, fetch, validate, query, list_queries, export, conflicts, view, analyze, serve):
    main.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    main()
