"""What every command shares: one-line errors with the exit code of their kind (never a
traceback), the common options (--store, --shapes, --workers, --param), and writing to a file
or standard output."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from graph.constants import STORE_ENV, default_store
from graph.errors import TrialgraphError

F = TypeVar("F", bound=Callable[..., Any])
err = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str, code: int) -> None:
    from rich.markup import escape

    err.print(f"[red]error:[/red] {escape(message)}")
    sys.exit(code)


def handles_errors(fn: F) -> F:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TrialgraphError as exc:
            fail(str(exc), exc.exit_code)
        except OSError as exc:
            fail(f"{exc.filename or ''}: {exc.strerror or exc}", 2)

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


def query_params(query_name: str | None, values: tuple[str, ...]) -> dict[str, str]:
    """The --param values of a command whose --query narrows the network."""
    if values and not query_name:
        raise click.UsageError("--param goes with --query")
    return parse_params(values)


def parse_params(values: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--param")
        out[name.strip()] = value
    return out


def write_output(text: str, output: str | None) -> None:
    if output:
        from graph.files import write_atomic

        write_atomic(Path(output), text.encode("utf-8"))
    else:
        click.echo(text, nl=not text.endswith("\n"))


def plain(term: object) -> str:
    """A value as the text of a rich table cell (never read as markup)."""
    from rich.markup import escape

    return "" if term is None else escape(str(term))
