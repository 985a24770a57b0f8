"""Progress for long work, on standard error; silent when not a terminal or when disabled."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

Callback = Callable[[str, int, "int | None"], None]


@contextlib.contextmanager
def progress_bar(*, disabled: bool = False) -> Iterator[Callback]:
    """A callback ``(stage, done, total)`` that drives one rich bar per stage."""
    if disabled or not sys.stderr.isatty():
        yield lambda _stage, _done, _total: None
        return
    bars: dict[str, TaskID] = {}
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description:12}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as prog:

        def update(stage: str, done: int, total: int | None) -> None:
            if stage not in bars:
                bars[stage] = prog.add_task(stage, total=total)
            prog.update(bars[stage], completed=done, total=total)

        yield update


def no_progress(_stage: str, _done: int, _total: int | None) -> None:
    """The callback of work nobody watches."""
    return None
