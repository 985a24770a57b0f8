"""``trialgraph build`` (read records, load them, reason, validate) and ``trialgraph fetch``
(download registry records): the commands that bring data into the store."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
from rich.console import Console

from graph.commands.options import err, handles_errors, shapes_option, store_option, workers_option
from graph.constants import BATCH_SIZE, DEFAULT_DATA


@click.command()
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
    from graph.pipeline.run import build as run_build
    from graph.progress import progress_bar
    from graph.store.registry import open_store

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
        click.echo(report.summary.to_json(report.counts(st.location)))
        sys.exit(report.exit_code)
    lines = report.summary.lines()
    if lines:
        out.print("Import summary")
        for line in lines:
            out.print(escape(line))
    out.print(report.last_line(st.location))
    if write_view:
        from graph.view.output import write_view as wv

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


@click.group()
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
