"""Readers for source formats, registered by name.

A reader turns one input file into :class:`graph.model.TrialRecord` objects.  A record it cannot
read is yielded as a :class:`graph.errors.RecordError` instead, so that one bad record costs only
itself; a reader never raises for a single bad record.  Adding a format is one module that calls
:func:`register` and one line in ``_BUILTIN``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from graph.errors import InputError, RecordError
from graph.model import TrialRecord

ReadResult = TrialRecord | RecordError


@dataclass(frozen=True)
class SourceFormat:
    name: str
    description: str
    #: True when this reader wants the file (by name and, if needed, its first bytes).
    sniff: Callable[[Path], bool]
    read: Callable[[Path], Iterator[ReadResult]]


_FORMATS: dict[str, SourceFormat] = {}
_BUILTIN = (
    "graph.sources.curated",
    # the ctrdata registers before ctgov, whose sniff takes any JSON object
    "graph.sources.ctis",
    "graph.sources.euctr",
    "graph.sources.isrctn",
    "graph.sources.ctgov",
    "graph.sources.ictrp",
)
_loaded = False


def register(fmt: SourceFormat) -> SourceFormat:
    _FORMATS[fmt.name] = fmt
    return fmt


def formats() -> dict[str, SourceFormat]:
    global _loaded
    if not _loaded:
        for module in _BUILTIN:
            try:
                importlib.import_module(module)
            except ModuleNotFoundError as exc:  # a reader not written yet
                if exc.name != module:
                    raise
        _loaded = True
    return dict(sorted(_FORMATS.items(), key=lambda item: _rank(item[1])))


def _rank(fmt: SourceFormat) -> int:
    """Readers are tried in ``_BUILTIN`` order (then plug-ins), whichever module was imported
    first: a reader whose sniff takes any JSON object (ctgov) must come after the specific ones.
    A built-in reader is named after its module."""
    module = f"{__name__}.{fmt.name}"
    return _BUILTIN.index(module) if module in _BUILTIN else len(_BUILTIN)


def format_for(path: Path) -> SourceFormat | None:
    for fmt in formats().values():
        if fmt.sniff(path):
            return fmt
    return None


#: Files under input folders that are never records.
_IGNORED_NAMES = {"organizations.yaml", "README.md", "SCHEMA.md"}


def discover(paths: Iterable[str | Path]) -> Iterator[tuple[Path, SourceFormat]]:
    """Each supported file under ``paths`` (files or folders, walked in sorted order)."""
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(f"{path}: no such file or folder", hint="check the path you passed to build")
        if path.is_file():
            fmt = format_for(path)
            if fmt is None:
                raise InputError(
                    f"{path}: not a format trialgraph reads",
                    hint="supported: " + ", ".join(f.name for f in formats().values()),
                )
            yield path, fmt
            continue
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            if child.name in _IGNORED_NAMES or any(part.startswith(".") for part in child.relative_to(path).parts):
                continue
            fmt = format_for(child)
            if fmt is not None:
                yield child, fmt


def read_all(paths: Iterable[str | Path]) -> Iterator[ReadResult]:
    for path, fmt in discover(paths):
        yield from fmt.read(path)
