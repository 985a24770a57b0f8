"""The ``trialgraph`` command: a thin layer over the library.  Exit codes: 0 ok, 1 the data
failed validation, 2 bad input or usage.  Errors are one message, never a traceback."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from graph.constants import BATCH_SIZE, DEFAULT_DATA, STORE_ENV, default_store
from graph.errors import TrialgraphError
from graph.export_formats import EXPORT_FORMATS

F = TypeVar("F", bound=Callable[..., Any])
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _fail(message: str, code: int) -> None:
    from rich.markup import escape

    err.print(f"[red]error:[/red] {escape(message)}")
    sys.exit(code)


def handles_errors(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TrialgraphError as exc:
            _fail(str(exc), exc.exit_code)
        except OSError as exc:
            _fail(f"{exc.filename or ''}: {exc.strerror or exc}", 2)

    return wrapper  # type: ignore[return-value]


shapes_option = click.option(
    "--shapes",
    "extra_shapes",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    help="Extra SHACL shapes (files or folders), added to the built-in ones.",
)
workers_option = click.option(
    "--workers", type=click.IntRange(min=1), default=None, help="Worker processes (default: one per core)."
)
store_option = click.option(
    "--store",
    envvar=STORE_ENV,
    default=default_store,
    show_default=f"${STORE_ENV} or .trialgraph/store",
    help="Oxigraph folder, 'memory', or the URL of a SPARQL 1.1 endpoint.",
)


network_param_option = click.option(
    "--param", "-p", "params", multiple=True, metavar="NAME=VALUE", help="Parameter of --query (repeatable)."
)


def _query_params(query_name: str | None, values: tuple[str, ...]) -> dict[str, str]:
    """The --param values of a command whose --query narrows the network."""
    if values and not query_name:
        raise click.UsageError("--param goes with --query")
    return _params(values)


def _params(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--param")
        out[name.strip()] = value
    return out


def _write(text: str, output: str | None) -> None:
    if output:
        from graph.files import write_atomic

        write_atomic(Path(output), text.encode("utf-8"))
    else:
        click.echo(text, nl=not text.endswith("\n"))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="trialgraph")
def main() -> None:
    """trialgraph: a knowledge graph of clinical trials, sponsors and conditions."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@store_option
@shapes_option
@click.option("--view/--no-view", "write_view", default=False, help="Also write the HTML view.")
@click.option("--view-output", default="trialgraph.html", show_default=True, type=click.Path(path_type=Path))
@click.option(
    "--reasoner",
    type=click.Choice(["fast", "owlrl"]),
    default="fast",
    show_default=True,
    help="fast: compiled rules inside Oxigraph; owlrl: the reference engine (slow, same answer).",
)
@click.option(
    "--ror-dump",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A ROR data dump (JSON or zip) to resolve organisation names against.",
)
@click.option(
    "--review",
    "review_output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write uncertain organisation matches (with scores) to this JSON file for review.",
)
@click.option(
    "--orgs",
    "orgs_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Organisation aliases (repeatable), read with every organizations.yaml in the folders built "
    "(without either, the package's default).",
)
@workers_option
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=BATCH_SIZE,
    show_default=True,
    help="Records per batch: a worker holds one batch (and its triples) in memory at a time.",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--force", is_flag=True, help="Replace stored records whatever their version (an older file wins too).")
@click.option(
    "--timestamp",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%SZ"]),
    help="Load time written into every record (UTC), for reproducible exports; default: SOURCE_DATE_EPOCH, else now.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="How the import summary is written on standard output: text for people, json for machines.",
)
@handles_errors
def build(
    paths: tuple[Path, ...],
    store: str,
    extra_shapes: tuple[Path, ...],
    write_view: bool,
    view_output: Path,
    reasoner: str,
    ror_dump: Path | None,
    review_output: Path | None,
    orgs_files: tuple[Path, ...],
    workers: int | None,
    batch_size: int,
    quiet: bool,
    fmt: str,
    force: bool = False,
    timestamp: datetime | None = None,
) -> None:
    """Read trial records under PATHS (default: the folder data/ here), load them into the store,
    reason and validate.  Exit 1 when records were quarantined for violations, 2 when some could
    not be read."""
    from graph.build import build as run_build
    from graph.progress import progress_bar
    from graph.store import open_store

    targets = list(paths) or [_default_data()]
    st = open_store(store)
    with progress_bar(disabled=quiet) as progress:
        report = run_build(
            targets,
            st,
            progress=progress,
            extra_shapes=extra_shapes,
            engine="owlrl" if reasoner == "owlrl" else "fast",
            ror_dump=ror_dump,
            workers=workers,
            batch_size=batch_size,
            force=force,
            timestamp=timestamp,
            orgs_files=orgs_files,
        )
    from rich.markup import escape

    for e in report.errors:
        err.print(f"[red]skipped[/red] {escape(str(e))}")
    for w in report.warnings:
        err.print(f"[yellow]warning[/yellow] {escape(w)}")
    for c in report.identity_conflicts:
        err.print(f"[yellow]not merged[/yellow] {escape(c)}")
    if review_output is not None:
        import json

        from graph.files import write_atomic

        write_atomic(review_output, json.dumps(report.review, indent=2, ensure_ascii=False).encode())
        err.print(f"{len(report.review)} uncertain organisation matches written to {review_output}")
    elif report.review:
        err.print(f"{len(report.review)} uncertain organisation matches: see --review FILE")
    for o in report.older:
        err.print(f"[yellow]kept newer[/yellow] {escape(o)}")
    for key, problems in report.quarantined.items():
        err.print(
            f"[red]quarantined[/red] {escape(key)}: " + "; ".join(escape(f"{p.field}: {p.message}") for p in problems)
        )
    out = Console(highlight=False, soft_wrap=True)
    if fmt == "json":
        click.echo(report.summary.to_json(_build_counts(report, st.location)))
        sys.exit(report.exit_code)
    lines = report.summary.lines()
    if lines:
        out.print("Import summary")
        for line in lines:
            out.print(escape(line))
    out.print(
        f"{report.records_read} records read: {len(report.loaded)} loaded, {len(report.unchanged)} unchanged, "
        f"{len(report.older)} older kept out, {len(report.quarantined)} quarantined, {len(report.errors)} unreadable. "
        f"Store {st.location}: {report.trials} trials, {report.triples} triples ({report.seconds:.1f} s)."
    )
    if write_view:
        from graph.view import write_view as wv

        path = wv(st, view_output)
        out.print(f"View written to {path}")
    sys.exit(report.exit_code)


def _default_data() -> Path:
    """``data/`` in the current folder, what ``build`` reads when given no paths."""
    from graph.errors import InputError

    if not DEFAULT_DATA.is_dir():
        raise InputError(
            f"no paths given, and no {DEFAULT_DATA}/ folder in {Path.cwd()} to read by default: pass the files "
            "or folders to build, e.g. `trialgraph build path/to/data/`"
        )
    return DEFAULT_DATA


def _build_counts(report: Any, location: str) -> dict[str, object]:
    """The counts of a build's last line, for ``build --format json``."""
    return {
        "records_read": report.records_read,
        "loaded": len(report.loaded),
        "unchanged": len(report.unchanged),
        "older": len(report.older),
        "quarantined": len(report.quarantined),
        "unreadable": len(report.errors),
        "store": str(location),
        "trials": report.trials,
        "triples": report.triples,
        "exit_code": report.exit_code,
    }


@main.command()
@store_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "junit", "github"]),
    default="text",
    show_default=True,
    help="text for people (coloured on a terminal), json, junit XML or GitHub workflow annotations.",
)
@click.option("--output", "-o", type=click.Path(), help="Write the report to a file.")
@click.option(
    "--fail-on",
    type=click.Choice(["violation", "warning", "info"]),
    default="violation",
    show_default=True,
    help="Lowest severity that makes the exit code 1.",
)
@shapes_option
@click.option(
    "--quarantine", "list_quarantine", is_flag=True, help="Only list the quarantined records and their problems."
)
@click.option(
    "--engine",
    type=click.Choice(["fast", "plain"]),
    default="fast",
    show_default=True,
    help="fast: record by record, in parallel; plain: pyshacl over the whole graph (same results, slow).",
)
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Path(exists=True, path_type=Path),
    metavar="PATH",
    help="Only problems of records read from files under PATH (repeatable) decide the exit code; "
    "those of other records, quarantined ones included, are reported and not counted.",
)
@workers_option
@handles_errors
def validate(
    store: str,
    fmt: str,
    output: str | None,
    fail_on: str,
    extra_shapes: tuple[Path, ...],
    list_quarantine: bool,
    engine: str,
    scopes: tuple[Path, ...],
    workers: int | None,
) -> None:
    """Validate the store against the SHACL shapes and the QC queries (queries/qc/*-violation.rq),
    and report quarantined records.  Exit 0 when nothing reaches --fail-on, 1 when something
    does (within --scope, when given), 2 on bad input or usage."""
    from graph.check import check_store, in_scope
    from graph.store import open_store
    from graph.validate import render

    st = open_store(store, read_only=True, must_exist=True)
    report, trials = check_store(
        st, extra_shapes=extra_shapes, only_quarantine=list_quarantine, engine=engine, workers=workers
    )
    colour = None if output is None else False
    _write(render(report, fmt, fail_on=fail_on, trials=trials, colour=colour), output)
    deciding = in_scope(report, scopes) if scopes else report
    if scopes:
        _scope_line(report, deciding, scopes, fail_on)
    sys.exit(1 if deciding.fails(fail_on) else 0)


def _scope_line(report: Any, scoped: Any, scopes: tuple[Path, ...], fail_on: str) -> None:
    """What ``validate --scope`` counted, and what it only reported, on standard error."""
    from graph.validate import severity_rank

    def counted(r: Any) -> int:
        return sum(severity_rank(i.severity) >= severity_rank(fail_on) for i in r.issues)

    others = len(report.quarantined) - len(scoped.quarantined)
    err.print(
        f"scope {', '.join(map(str, scopes))}: {counted(scoped)} problems at or above {fail_on} decide the exit "
        f"code; {counted(report) - counted(scoped)} more in other records"
        + (f" ({others} quarantined)" if others else "")
        + " are reported only"
    )


#: Rows of a page in a terminal table when --limit is not given.
TABLE_LIMIT = 50


@main.command()
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
    from graph.queries import page_note, readable_columns, run, select_columns, table, to_csv, to_json, to_tsv
    from graph.store import open_store

    if fmt is None:
        fmt = "table" if sys.stdout.isatty() else "csv"
    if limit is None and fmt == "table":
        limit = TABLE_LIMIT
    st = open_store(store, read_only=True, must_exist=True)
    result = run(st, name, _params(params), limit=limit or None, offset=offset)
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
        writers = {"csv": to_csv, "tsv": to_tsv, "json": to_json}
        click.echo(writers[fmt](chosen), nl=False)
        if fmt == "json":
            click.echo()
        if not (result.truncated or offset):
            return  # every row was written: nothing to say
    err.print(page_note(result, offset))


def _plain(term: object) -> str:
    from rich.markup import escape

    return "" if term is None else escape(str(term))


@main.command("queries")
@handles_errors
def list_queries() -> None:
    """List the named queries with their descriptions and parameters."""
    from rich.table import Table

    from graph.queries import catalogue

    table = Table(show_lines=True, expand=True)
    table.add_column("name", no_wrap=True)
    table.add_column("description", ratio=3)
    table.add_column("parameters", ratio=2)
    for q in catalogue().values():
        table.add_row(q.name, q.description, "\n".join(f"{p.name}: {p.description}" for p in q.params))
    Console(highlight=False).print(table)


@main.command()
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
    from graph.store import open_store
    from graph.view import write_view

    params_given = _query_params(query_name, params)
    st = open_store(store, read_only=True, must_exist=True)
    path = write_view(st, output, focus=focus, depth=depth, query=query_name, params=params_given, title=title, png=png)
    click.echo(f"View written to {path}" + (f", snapshot to {png}" if png else ""))


@main.command()
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
    from graph.analytics import ANALYSES, rows_csv, rows_json
    from graph.analytics import analyze as run_analysis
    from graph.store import open_store

    params_given = _query_params(query_name, params)
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
        _write(rows_csv(rows, columns) if chosen == "csv" else rows_json(rows, columns), output)
    if name == "path" and not rows:
        err.print(f"no path between {source} and {target}: they are in separate parts of the network")
    elif chosen == "table" or output:
        err.print(f"{len(rows)} row{'' if len(rows) == 1 else 's'}")


def _print_rows(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table(*columns, show_lines=False)
    for row in rows:
        table.add_row(*[_plain(f"{row[c]:.4g}" if isinstance(row[c], float) else row[c]) for c in columns])
    Console(highlight=False).print(table)


@main.command()
@store_option
@click.option("--format", "fmt", type=click.Choice([*EXPORT_FORMATS, "graphml"]), required=True)
@click.option("--output", "-o", type=click.Path(), help="File to write (default: standard output).")
@handles_errors
def export(store: str, fmt: str, output: str | None) -> None:
    """Export the store: all named graphs (trig, nquads, jsonld) or their union (turtle, ntriples),
    or the network of the view as GraphML (graphml, for Gephi and Cytoscape), with centrality
    scores and community numbers as node attributes."""
    from graph.store import open_store

    if fmt == "graphml":
        from graph.analytics import annotate
        from graph.network import graphml_bytes, project

        data = graphml_bytes(annotate(project(open_store(store, read_only=True, must_exist=True))))
    else:
        data = open_store(store, read_only=True, must_exist=True).dump(fmt)
    if output:
        from graph.files import write_atomic

        write_atomic(Path(output), data)
    else:
        sys.stdout.buffer.write(data)


@main.group()
def fetch() -> None:
    """Download registry records (the only commands that use the network)."""


@fetch.command("ctgov")
@click.option("--query", "term", help="Free-text search (API v2 query.term), e.g. 'mesenchymal stem cells'.")
@click.option("--condition", help="Condition search (query.cond).")
@click.option("--status", help="Overall status filter, e.g. RECRUITING or RECRUITING,COMPLETED.")
@click.option("--max", "max_studies", type=click.IntRange(min=1), help="Stop after this many studies.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Folder for the raw API pages.")
@click.option(
    "--page-size",
    type=click.IntRange(1, 1000),
    default=100,
    show_default=True,
    help="Studies per API page (the API takes 1 to 1000).",
)
@click.option(
    "--base-url", default="https://clinicaltrials.gov/api/v2", show_default=True, help="API base (for mirrors)."
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@handles_errors
def fetch_ctgov_cmd(
    term: str | None,
    condition: str | None,
    status: str | None,
    max_studies: int | None,
    out: Path,
    page_size: int,
    base_url: str,
    quiet: bool,
) -> None:
    """Save ClinicalTrials.gov API v2 pages into OUT; run again to resume.  Then
    `trialgraph build OUT`."""
    from graph.fetch import fetch_ctgov

    result = fetch_ctgov(
        query=term,
        condition=condition,
        status=status,
        max_studies=max_studies,
        out=out,
        base_url=base_url,
        page_size=page_size,
        progress=not quiet,
    )
    state = "complete" if result.complete else "incomplete: run the same command again to resume"
    click.echo(f"{result.studies} studies in {result.pages} pages under {result.out} ({state})")


@main.command()
@store_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@handles_errors
def conflicts(store: str, fmt: str) -> None:
    """List where source records of one trial disagree (status, phase, enrolment, dates,
    sponsor), with each record and its value.  Values registers may write differently (a coarse
    status, a refined date, a national part's own dates) are not conflicts; see graph.conflicts."""
    import json

    from graph.conflicts import trial_conflicts
    from graph.store import open_store

    found = trial_conflicts(open_store(store, read_only=True, must_exist=True))
    if fmt == "json":
        click.echo(json.dumps([c.as_dict() for c in found], indent=2, ensure_ascii=False))
        return
    from rich.table import Table

    table = Table("trial", "field", "record", "value", show_lines=True)
    for c in found:
        table.add_row(
            _plain(c.trial),
            _plain(c.field),
            "\n".join(_plain(record) for record, _value in c.values),
            "\n".join(_plain(value) for _record, value in c.values),
        )
    Console(highlight=False).print(table)
    err.print(f"{len(found)} conflicts")


@main.command()
@store_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Seconds a query may run before it is cancelled.",
)
@click.option(
    "--max-rows",
    default=10_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Result rows (or triples) at most; more is cut and flagged.",
)
@click.option(
    "--max-query-bytes",
    default=100_000,
    show_default=True,
    type=click.IntRange(min=64),
    help="Longest query accepted (413 beyond).",
)
@click.option(
    "--max-concurrent",
    default=4,
    show_default=True,
    type=click.IntRange(min=1),
    help="Queries that run at once (worker processes); the others wait in the queue.",
)
@click.option(
    "--queue-timeout",
    default=5.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Seconds a request may wait for a free worker (503 with Retry-After beyond).",
)
@click.option(
    "--max-queue",
    default=256,
    show_default=True,
    type=click.IntRange(min=0),
    help="Requests that may wait at once, all clients together (503 with Retry-After beyond).",
)
@click.option(
    "--max-per-client",
    default=64,
    show_default=True,
    type=click.IntRange(min=1),
    help="Requests one client address may have running or waiting (429 beyond).",
)
@click.option(
    "--max-bytes",
    default=20_000_000,
    show_default=True,
    type=click.IntRange(min=1024),
    help="Bytes of one answer at most; more rows are cut and flagged, as for --max-rows.",
)
@click.option(
    "--worker-memory",
    "worker_memory_mb",
    default=1024,
    show_default=True,
    type=click.IntRange(min=256),
    help="MB of memory (data segment) per worker; a query that needs more is stopped, its worker replaced.",
)
@click.option(
    "--max-literal",
    default=100_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Characters in one string literal of a query (400 beyond).",
)
@click.option(
    "--max-operators",
    default=1_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Operators, commas, separators and clauses in one query (400 beyond).",
)
@click.option(
    "--cache-mb",
    default=64,
    show_default=True,
    type=click.IntRange(min=0),
    help="MB of answers kept per store version (0: no cache).",
)
@handles_errors
def serve(
    store: str,
    host: str,
    port: int,
    timeout: float,
    max_rows: int,
    max_query_bytes: int,
    max_concurrent: int,
    **limits: Any,
) -> None:
    """Serve the store read-only: the SPARQL 1.1 endpoint (/sparql), the query page (/), the
    network view (/view), named queries (/queries) and a page for every entity (/id/...)."""
    from graph.server import serve as run_server
    from graph.server_settings import Settings
    from graph.store import require_store

    require_store(store)
    settings = Settings(
        store,
        timeout=timeout,
        max_rows=max_rows,
        max_query_bytes=max_query_bytes,
        max_concurrent=max_concurrent,
        **limits,
    )
    run_server(settings, host=host, port=port)


if __name__ == "__main__":  # pragma: no cover
    main()
