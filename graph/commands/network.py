"""``trialgraph view`` (the HTML network) and ``trialgraph analyze`` (network questions):
the commands over the networkx projection of the store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from graph.commands.options import (
    err,
    handles_errors,
    network_param_option,
    plain,
    query_params,
    store_option,
    write_output,
)


@click.command()
@store_option
@click.option("--output", "-o", default="trialgraph.html", show_default=True, type=click.Path(path_type=Path))
@click.option("--focus", metavar="ID_OR_NAME", help="Only the network around this trial (any id) or named node.")
@click.option("--depth", type=click.IntRange(min=0), default=1, show_default=True, help="Links to follow from --focus.")
@click.option("--query", "query_name", metavar="NAME", help="Only the nodes a named query returns, and their links.")
@network_param_option
@click.option("--title", help="Heading of the page.")
@click.option("--png", type=click.Path(path_type=Path), help="Also save a PNG snapshot, made by headless Chromium.")
@handles_errors
def view(
    store: str,
    output: Path,
    focus: str | None,
    depth: int,
    query_name: str | None,
    params: tuple[str, ...],
    title: str | None,
    png: Path | None,
) -> None:
    """Write the interactive HTML network of the graph (one self-contained file, works offline).
    See docs/view.md."""
    from graph.store.registry import open_store
    from graph.view.output import write_view

    params_given = query_params(query_name, params)
    st = open_store(store, read_only=True, must_exist=True)
    path = write_view(st, output, focus=focus, depth=depth, query=query_name, params=params_given, title=title, png=png)
    click.echo(f"View written to {path}" + (f", snapshot to {png}" if png else ""))


@click.command()
@click.argument("name", metavar="NAME")
@store_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default=None,
    help="Output format (default: table on a terminal, csv otherwise).",
)
@click.option("--output", "-o", type=click.Path(), help="Write the rows to a file.")
@click.option("--top", type=click.IntRange(min=1), help="Only the first N rows (communities: the N largest).")
@click.option(
    "--min",
    "minimum",
    type=click.IntRange(min=1),
    help="shared-sites: least trials (2); partners: least shared trials (1); communities: least members (2).",
)
@click.option(
    "--measure",
    type=click.Choice(["degree", "betweenness", "eigenvector"]),
    help="centrality: the measure (default degree).",
)
@click.option(
    "--kind",
    type=click.Choice(["organization", "trial", "all"]),
    help="centrality: the kind listed (default organization); communities: the kind listed (default all).",
)
@click.option("--from", "source", metavar="ID_OR_NAME", help="path: where it starts (a trial id, or a name or IRI).")
@click.option("--to", "target", metavar="ID_OR_NAME", help="path: where it ends.")
@click.option(
    "--query",
    "query_name",
    metavar="NAME",
    help="Narrow the network to the trials a named query returns (and their links).",
)
@network_param_option
@handles_errors
def analyze(
    name: str,
    store: str,
    fmt: str | None,
    output: str | None,
    top: int | None,
    minimum: int | None,
    measure: str | None,
    kind: str | None,
    source: str | None,
    target: str | None,
    query_name: str | None,
    params: tuple[str, ...],
) -> None:
    """Answer a network question about the store.  NAME is shared-sites, partners, centrality,
    communities or path.  See docs/analyze.md."""
    from graph.network.analyses import ANALYSES, rows_csv, rows_json
    from graph.network.analyses import analyze as run_analysis
    from graph.store.registry import open_store

    params_given = query_params(query_name, params)
    if fmt == "table" and output:
        raise click.UsageError("--format table prints to the terminal: write csv or json with --output")
    st = open_store(store, read_only=True, must_exist=True)
    rows = run_analysis(
        st,
        name,
        query=query_name,
        params=params_given,
        top=top,
        minimum=minimum,
        measure=measure,
        kind=kind,
        source=source,
        target=target,
    )
    columns = ANALYSES[name].columns
    chosen = fmt or ("table" if output is None and sys.stdout.isatty() else "csv")
    if chosen == "table":
        _print_rows(ANALYSES[name].table_columns, rows)
    else:
        write_output(rows_csv(rows, columns) if chosen == "csv" else rows_json(rows, columns), output)
    if name == "path" and not rows:
        err.print(f"no path between {source} and {target}: they are in separate parts of the network")
    elif chosen == "table" or output:
        err.print(f"{len(rows)} row{'' if len(rows) == 1 else 's'}")


def _print_rows(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table(*columns, show_lines=False)
    for row in rows:
        table.add_row(*[plain(f"{row[c]:.4g}" if isinstance(row[c], float) else row[c]) for c in columns])
    Console(highlight=False).print(table)
