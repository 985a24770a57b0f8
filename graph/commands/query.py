"""``trialgraph query``, ``queries``, ``export`` and ``conflicts``: the commands that read the
store and print what it answers, as a table for people or in a machine format."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console

from graph.commands.options import err, handles_errors, parse_params, plain, store_option
from graph.export_formats import EXPORT_FORMATS

#: Rows of a page in a terminal table when --limit is not given.
TABLE_LIMIT = 50


@click.command()
@click.argument("name")
@store_option
@click.option("--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help="Query parameter (repeatable).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "tsv", "json"]),
    default=None,
    help="table for people (the default on a terminal: ids and names, long text cut), csv (the default "
    "when the output is a file or a pipe), tsv or json (SPARQL results formats: every column, every value).",
)
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    default=None,
    help=f"Rows of the page (default: {TABLE_LIMIT} in a table, every row in the other formats; 0: every row).",
)
@click.option("--offset", type=click.IntRange(min=0), default=0, show_default=True, help="Rows to skip first.")
@click.option("--columns", metavar="A,B,...", help="Only these columns, in this order (e.g. trial,id,title).")
@handles_errors
def query(
    name: str, store: str, params: tuple[str, ...], fmt: str | None, limit: int | None, offset: int, columns: str | None
) -> None:
    """Run a named query (see `trialgraph queries`) or a SPARQL file (.rq or .sparql).  The page
    the rows are, and how many rows there are in all, go to standard error."""
    from graph.query.named import run
    from graph.query.results import write_result
    from graph.query.table import page_note, readable_columns, select_columns, table
    from graph.store.registry import open_store

    if fmt is None:
        fmt = "table" if sys.stdout.isatty() else "csv"
    if limit is None and fmt == "table":
        limit = TABLE_LIMIT
    st = open_store(store, read_only=True, must_exist=True)
    result = run(st, name, parse_params(params), limit=limit or None, offset=offset)
    if result.kind == "ASK":
        click.echo("true" if result.boolean else "false")
        return
    if result.kind == "CONSTRUCT":
        assert result.graph is not None
        click.echo(result.graph.serialize(format="turtle"))
        return
    wanted = [c.strip() for c in columns.split(",") if c.strip()] if columns else None
    if fmt == "table":
        shown = select_columns(result, wanted or readable_columns(result))
        out = Console(highlight=False)
        out.print(table(shown, out.width))
        hidden = [v for v in result.variables if v not in shown.variables]
        if hidden and not wanted:
            err.print(f"not shown: {', '.join(hidden)} (IRIs: --columns or --format csv shows them)")
    else:
        chosen = select_columns(result, wanted) if wanted else result
        click.echo(write_result(chosen, fmt), nl=False)
        if fmt == "json":
            click.echo()
        if not (result.truncated or offset):
            return  # every row was written: nothing to say
    err.print(page_note(result, offset))


@click.command("queries")
@handles_errors
def list_queries() -> None:
    """List the named queries with their descriptions and parameters."""
    from rich.table import Table

    from graph.query.named import catalogue

    table = Table(show_lines=True, expand=True)
    table.add_column("name", no_wrap=True)
    table.add_column("description", ratio=3)
    table.add_column("parameters", ratio=2)
    for q in catalogue().values():
        table.add_row(q.name, q.description, "\n".join(f"{p.name}: {p.description}" for p in q.params))
    Console(highlight=False).print(table)


@click.command()
@store_option
@click.option("--format", "fmt", type=click.Choice(list(EXPORT_FORMATS)), required=True)
@click.option("--output", "-o", type=click.Path(), help="File to write (default: standard output).")
@handles_errors
def export(store: str, fmt: str, output: str | None) -> None:
    """Export the store: all named graphs (trig, nquads, jsonld) or their union (turtle, ntriples),
    or the network of the view as GraphML (graphml, for Gephi and Cytoscape), with centrality
    scores and community numbers as node attributes."""
    from graph.export import export as write_export
    from graph.store.registry import open_store

    data = write_export(open_store(store, read_only=True, must_exist=True), fmt)
    if output:
        from graph.files import write_atomic

        write_atomic(Path(output), data)
    else:
        sys.stdout.buffer.write(data)


@click.command()
@store_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@handles_errors
def conflicts(store: str, fmt: str) -> None:
    """List where source records of one trial disagree (status, phase, enrolment, dates,
    sponsor), with each record and its value.  Values registers may write differently (a coarse
    status, a refined date, a national part's own dates) are not conflicts; see graph.conflicts."""
    import json

    from graph.conflicts import trial_conflicts
    from graph.store.registry import open_store

    found = trial_conflicts(open_store(store, read_only=True, must_exist=True))
    if fmt == "json":
        click.echo(json.dumps([c.as_dict() for c in found], indent=2, ensure_ascii=False))
        return
    from rich.table import Table

    table = Table("trial", "field", "record", "value", show_lines=True)
    for c in found:
        table.add_row(
            plain(c.trial),
            plain(c.field),
            "\n".join(plain(record) for record, _value in c.values),
            "\n".join(plain(value) for _record, value in c.values),
        )
    Console(highlight=False).print(table)
    err.print(f"{len(found)} conflicts")
