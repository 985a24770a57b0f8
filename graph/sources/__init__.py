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


class UnreadInput(RecordError):
    """An input that yields no record: a file no reader wants (``kind`` ``not-a-format``), or a
    folder or file that holds none (``no-record``)."""

    def __init__(self, kind: str, message: str, *, file: str, hint: str | None = None) -> None:
        super().__init__(message, file=file, hint=hint)
        self.kind = kind


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


def inputs(paths: Iterable[str | Path]) -> Iterator[tuple[Path, SourceFormat | None]]:
    """Each file under ``paths`` (files or folders, walked in sorted order) with the reader
    that wants it, or ``None`` when none does.  A missing path is an :class:`InputError`; an
    empty folder is given as itself, with ``None``."""
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise InputError(f"{path}: no such file or folder", hint="check the path you passed to build")
        if path.is_file():
            yield path, format_for(path)
            continue
        found = False
        for child in sorted(p for p in path.rglob("*") if p.is_file()):
            if child.name in _IGNORED_NAMES or any(part.startswith(".") for part in child.relative_to(path).parts):
                continue
            found = True
            yield child, format_for(child)
        if not found:
            yield path, None


def discover(paths: Iterable[str | Path]) -> Iterator[tuple[Path, SourceFormat]]:
    """Each supported file under ``paths``; a file no reader wants is an :class:`InputError`
    when it was named, and passed over inside a folder."""
    given = list(paths)
    named = {Path(p) for p in given}
    for path, fmt in inputs(given):
        if fmt is not None:
            yield path, fmt
        elif path in named and path.is_file():
            raise InputError(f"{path}: not a format trialgraph reads", hint=_supported())


def _supported() -> str:
    return "supported: " + "; ".join(f"{f.name} ({f.description})" for f in formats().values())


def read_all(paths: Iterable[str | Path]) -> Iterator[ReadResult]:
    """Every record under ``paths``, and a :class:`RecordError` for each input that yields no
    record: a file no reader wants, a folder with no file, a file that holds no record."""
    for path, fmt in inputs(paths):
        if fmt is None:
            yield unread(path)
            continue
        yield from records_of(path, fmt)


def records_of(path: Path, fmt: SourceFormat) -> Iterator[ReadResult]:
    """The records ``fmt`` reads from the file ``path``, and an error when it holds none."""
    records = 0
    errors = 0
    for item in fmt.read(path):
        if isinstance(item, RecordError):
            errors += 1
        else:
            records += 1
        yield item
    if records == 0 and errors == 0:
        yield UnreadInput("no-record", f"holds no trial record ({fmt.name})", file=str(path))


def unread(path: Path) -> RecordError:
    if path.is_dir():
        return UnreadInput("no-record", "holds no file", file=str(path), hint="check the folder you passed to build")
    return UnreadInput(
        "not-a-format",
        "not a format trialgraph reads",
        file=str(path),
        hint=_supported() + "; remove the file from the folder, or pass the files you mean",
    )


def json_problem(exc: ValueError, data: bytes) -> str:
    """What is wrong with a JSON document that does not parse, for an error message: a text that
    is not UTF-8 is said so, with the first byte that is not (JSON parsers report it at line 1,
    column 1), else the parser's message and position."""
    if "UTF-8" in str(exc):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as bad:
            return f"not UTF-8 text (byte {bad.start}): save the file as UTF-8"
    line, column = getattr(exc, "lineno", None), getattr(exc, "colno", None)
    where = f" at line {line}, column {column}" if line is not None else ""
    return f"not valid JSON: {getattr(exc, 'msg', exc)}{where}"
