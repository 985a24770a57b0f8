"""Which store a ``--store`` value opens, by name: :data:`STORES` maps a kind (``memory``,
``folder``, or a URL scheme) to the function that opens it, and :func:`open_store` is the one
way the CLI, the server and the API open a store."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import graph.store.disk as disk
from graph.constants import STORE_ENV, default_store
from graph.errors import StoreError
from graph.store.base import Store
from graph.store.local import OxigraphStore

#: Opens a store: (the ``--store`` value, read-only) -> the store.
Opener = Callable[[str, bool], Store]


def _memory(spec: str, read_only: bool) -> Store:
    return OxigraphStore(None)


def _folder(spec: str, read_only: bool) -> Store:
    return OxigraphStore(Path(spec), read_only=read_only)


def _endpoint(spec: str, read_only: bool) -> Store:
    from graph.store.remote import RemoteStore  # httpx is imported by the commands that need it only

    return RemoteStore(spec)


#: Stores by kind: ``memory``, ``folder`` (the embedded default), and URL schemes.
STORES: dict[str, Opener] = {"memory": _memory, "folder": _folder, "http": _endpoint, "https": _endpoint}
#: The kinds a ``scheme://`` value may name.
_SCHEMES = ("http", "https")
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def store_kind(spec: str) -> str:
    """The :data:`STORES` kind of a ``--store`` value.  A ``scheme://`` that names no store is a
    mistake, never the name of a folder to create."""
    m = _URL.match(spec)
    if m is not None:
        scheme = m.group(1).lower()
        if scheme not in _SCHEMES:
            raise StoreError(
                f"--store {spec}: trialgraph cannot open {m.group(1)}:// stores; pass a store folder, "
                "'memory', or the http:// or https:// URL of a SPARQL 1.1 endpoint"
            )
        return scheme
    return "memory" if spec in ("memory", ":memory:") else "folder"


def open_store(spec: str | Path | None, *, read_only: bool = False, must_exist: bool = False) -> Store:
    """``memory`` (or ``:memory:``), a folder (the Oxigraph default), or an ``http(s)://`` URL of
    a SPARQL 1.1 endpoint (see :mod:`graph.store.remote`).  ``must_exist``: the store is to be
    read, so a folder no build has written, or ``memory``, is a :class:`StoreError` (see
    :func:`require_store`)."""
    text = str(spec) if spec is not None else default_store()
    if must_exist:
        require_store(text)
    return STORES[store_kind(text)](text, read_only)


def require_store(spec: str) -> None:
    """Fail (:class:`StoreError`, exit 2) unless ``spec`` names a store there is something to
    read in: a folder a build has written (its live database), or an endpoint URL.  Only
    ``trialgraph build`` creates a store; every command that reads one checks this first."""
    kind = store_kind(spec)
    if kind in _SCHEMES:
        return
    if kind == "memory":
        raise StoreError(
            f"--store {spec}: a store in memory starts empty in every command, so there is nothing to "
            "read; pass the folder `trialgraph build --store` wrote, or an endpoint URL"
        )
    path = Path(spec)
    where = spec if path.is_absolute() else f"{spec} (in {Path.cwd()})"
    if path.exists() and not path.is_dir():
        raise StoreError(f"--store {where}: is a file, not a store folder; pass the folder a build wrote")
    if not disk.has_database(path):
        raise StoreError(
            f"--store {where}: no trialgraph store here; build one with `trialgraph build PATHS --store "
            f"{spec}`, or pass --store (or set ${STORE_ENV}) to the folder a build wrote"
        )
    if not disk.readable(path):
        raise StoreError(f"--store {where}: the store cannot be read (permission denied); ask its owner")
