"""What trialgraph derives from its own resource files, kept on disk between processes: the
ontology parsed and labelled, the shapes graph, what the shapes' SPARQL queries read.  A small
command (a refresh of a few records, a re-validation of an unchanged store) then reads them in
milliseconds instead of parsing and compiling them again.

Each entry is one file named by a digest of everything it is made from: the input files' bytes,
trialgraph's own code, and the versions of Python, rdflib, pyoxigraph and pyshacl.  A changed
input gives another name, so an entry is never stale, only unused (the oldest are removed).
Entries are written atomically (a temporary file renamed into place); one that cannot be read
(cut short, corrupt, written by another version) is made again, with no error.

The folder: ``TRIALGRAPH_CACHE``, else ``$XDG_CACHE_HOME/trialgraph``, else
``~/.cache/trialgraph``; ``TRIALGRAPH_CACHE=off`` turns the cache off.  Entries are pickles, so
the folder is trusted as the code is (as Python's own ``__pycache__`` is).
"""

from __future__ import annotations

import contextlib
import gc
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterable
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TypeVar

from graph.constants import PACKAGE_DIR
from graph.digest import hex_digest

T = TypeVar("T")

#: The environment variable that names the cache folder (``off``: no cache).
CACHE_ENV = "TRIALGRAPH_CACHE"
#: Entries kept per kind: the newest; older ones were made from inputs that have changed since.
KEEP = 8
_LIBRARIES = ("rdflib", "pyoxigraph", "pyshacl")


def folder() -> Path | None:
    """The cache folder (``None``: the cache is off)."""
    named = os.environ.get(CACHE_ENV)
    if named is not None:
        return None if named.strip().lower() in ("", "off") else Path(named)
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except (RuntimeError, KeyError):  # no home folder to be found: no cache
            return None
    return Path(base) / "trialgraph"


@lru_cache(maxsize=1)
def environment() -> str:
    """A digest of trialgraph's code and of the libraries and Python that read the entries."""
    versions = [sys.version]
    for name in _LIBRARIES:
        try:
            versions.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name} -")
    code = (path.read_bytes() for path in sorted(PACKAGE_DIR.rglob("*.py")))
    return hex_digest(("\n".join(versions).encode(), *code))


def entry_key(kind: str, parts: Iterable[bytes]) -> str:
    """The name of the entry of ``kind`` made from ``parts`` (and this code and these libraries)."""
    return hex_digest((kind.encode(), b"\0", environment().encode(), *(b"\0" + p for p in parts)))


def _path(kind: str, key: str) -> Path | None:
    base = folder()
    return None if base is None else base / f"{kind}-{key}.pickle"


def load(kind: str, key: str) -> object | None:
    """The entry, or ``None`` when there is none or it cannot be read."""
    path = _path(kind, key)
    if path is None:
        return None
    was = gc.isenabled()
    gc.disable()  # an entry is thousands of new objects: the collector would walk the heap for them
    try:
        with path.open("rb") as f:
            return pickle.load(f)  # written by this cache (see the module's docstring)
    except Exception:  # missing, cut short, corrupt, or from a version that cannot read it
        return None
    finally:
        if was:
            gc.enable()


def save(kind: str, key: str, value: object) -> None:
    """Write the entry atomically; a folder that cannot be written leaves the cache off."""
    path = _path(kind, key)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{kind}-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        _prune(path.parent, kind)
    except OSError:
        return


def _prune(base: Path, kind: str) -> None:
    """Keep the newest :data:`KEEP` entries of ``kind``."""
    entries = []
    for p in base.glob(f"{kind}-*.pickle"):
        with contextlib.suppress(OSError):
            entries.append((p.stat().st_mtime, p))
    for _mtime, p in sorted(entries, reverse=True)[KEEP:]:
        with contextlib.suppress(OSError):
            p.unlink()


def cached(kind: str, parts: Iterable[bytes], make: Callable[[], T], valid: Callable[[object], bool]) -> T:
    """The entry of ``kind`` for ``parts`` when there is a readable one that ``valid`` accepts,
    else ``make()``, written for the next process."""
    key = entry_key(kind, parts)
    found = load(kind, key)
    if found is not None and valid(found):
        return found  # type: ignore[return-value]
    value = make()
    save(kind, key, value)
    return value
