"""``trialgraph validate``: the store checked against the shapes and the QC gates, the report
written in a registered format (:mod:`graph.validate.render`), and the exit code."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from graph.commands.options import err, handles_errors, shapes_option, store_option, workers_option, write_output
from graph.validate.render import RENDERERS, render

if TYPE_CHECKING:
    from graph.validate.report import Report


@click.command()
@store_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(RENDERERS)),
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
    from graph.store.registry import open_store
    from graph.validate.check import check_store, in_scope

    st = open_store(store, read_only=True, must_exist=True)
    report, trials = check_store(
        st, extra_shapes=extra_shapes, only_quarantine=list_quarantine, engine=engine, workers=workers
    )
    colour = None if output is None else False
    write_output(render(report, fmt, fail_on=fail_on, trials=trials, colour=colour), output)
    deciding = in_scope(report, scopes) if scopes else report
    if scopes:
        _scope_line(report, deciding, scopes, fail_on)
    sys.exit(1 if deciding.fails(fail_on) else 0)


def _scope_line(report: Report, scoped: Report, scopes: tuple[Path, ...], fail_on: str) -> None:
    """What ``validate --scope`` counted, and what it only reported, on standard error."""
    counted, total = scoped.at_or_above(fail_on), report.at_or_above(fail_on)
    others = len(report.quarantined) - len(scoped.quarantined)
    err.print(
        f"scope {', '.join(map(str, scopes))}: {counted} problems at or above {fail_on} decide the exit "
        f"code; {total - counted} more in other records"
        + (f" ({others} quarantined)" if others else "")
        + " are reported only"
    )
