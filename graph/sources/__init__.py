"""Readers for source formats, registered by name.

A reader turns one input file into :class:`graph.model.TrialRecord` objects.  A record it cannot
read is yielded as a :class:`graph.errors.RecordError` instead, so that one bad record costs only
itself; a reader never raises for a single bad record.  Adding a format is one module that calls
:func:`register` and one line: its name in ``_BUILTIN`` (a built-in reader, named after its
module), or in the ``TRIALGRAPH_READERS`` environment variable (a reader outside the package).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from graph.constants import READERS_ENV
from graph.errors import InputError, RecordError, TrialgraphError
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
#: Reader modules imported so far, and the plug-in module each plug-in reader came from.
_loaded: set[str] = set()
_plugin_of: dict[str, str] = {}


def register(fmt: SourceFormat) -> SourceFormat:
    _FORMATS[fmt.name] = fmt
    return fmt


def file_head(path: Path, size: int) -> bytes | None:
    """The first ``size`` bytes of a file, for a reader's ``sniff``; None when it cannot be read
    (a sniffer then says the file is not its format, and the build reports it as unread)."""
    try:
        with path.open("rb") as fh:
            return fh.read(size)
    except OSError:
        return None


def plugins() -> tuple[str, ...]:
    """The reader modules outside the package that :data:`~graph.constants.READERS_ENV` names
    (dotted names, separated by commas).  Worker processes inherit the variable, so they read
    with the same readers."""
    return tuple(m.strip() for m in os.environ.get(READERS_ENV, "").split(",") if m.strip())


def formats() -> dict[str, SourceFormat]:
    """The readers by name, in the order they are tried: the built-in ones, then the plug-ins
    named now (a plug-in module no longer named is left out)."""
    wanted = (*_BUILTIN, *plugins())
    load_readers(m for m in wanted if m not in _loaded)
    found = {n: f for n, f in _FORMATS.items() if _plugin_of.get(n, _BUILTIN[0]) in wanted}
    return dict(sorted(found.items(), key=lambda item: _rank(item[1])))


def load_readers(modules: Iterable[str]) -> None:
    """Import each reader module; a built-in one must register a reader named after itself.  A
    module that is not there (a misspelt name, a file not written yet) is an error that names
    it, never a reader silently missing."""
    for module in modules:
        before = set(_FORMATS)
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name is None or not (module == exc.name or module.startswith(exc.name + ".")):
                raise  # the module is there, but something it imports is not
            where = f"{__name__}._BUILTIN" if module in _BUILTIN else READERS_ENV
            raise TrialgraphError(
                f"reader module {module} not found (no module named {exc.name})",
                hint=f"check its spelling in {where}, or write the module",
            ) from None
        _loaded.add(module)
        if module not in _BUILTIN:
            _plugin_of.update((name, module) for name in set(_FORMATS) - before)
        name = module.rpartition(".")[2]
        if module in _BUILTIN and name not in _FORMATS:
            raise TrialgraphError(
                f"reader module {module} registers no reader named {name!r}",
                hint="a built-in reader is registered under the name of its module",
            )


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


class BadField(Exception):
    """A value of a JSON record (``path`` from the record's root) that the record cannot be read
    with; a JSON reader turns it into the record's :class:`RecordError`."""

    def __init__(self, path: str, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.message = message
        self.hint = hint


def kind_of(value: object) -> str:
    """How a JSON value reads in an error message."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "an array"
    return "an object"


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
