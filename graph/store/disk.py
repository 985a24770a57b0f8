"""The on-disk layout of an embedded store, known here only: a folder whose ``current`` link
names the live database (``db-<stamp>``); a write makes a staging database beside it and
publishes it by swapping the link in one ``rename`` (``.current-<stamp>`` first); one write at a
time holds ``.write.lock``."""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

from graph.errors import StoreError

#: The link to the live database.
CURRENT = "current"
#: Databases are folders named ``db-<stamp>``.
DATABASE_PREFIX = "db-"
#: A new link, renamed over :data:`CURRENT` to publish a write.
LINK_PREFIX = ".current-"
#: The advisory lock of writes.
LOCK = ".write.lock"


def live_database(root: Path) -> Path | None:
    """The live database of a store folder, or ``None`` when no write has published one."""
    link = root / CURRENT
    if not link.is_symlink() and not link.exists():
        return None
    target = root / os.readlink(link)
    return target if target.is_dir() else None


def live_version(root: Path) -> str | None:
    """The name of the live database, which every write replaces (``None``: never written)."""
    try:
        return os.readlink(root / CURRENT)
    except OSError:
        return None


def has_database(root: Path) -> bool:
    return (root / CURRENT).is_dir()


def readable(root: Path) -> bool:
    return os.access(root / CURRENT, os.R_OK | os.X_OK)


def staging_database(root: Path) -> Path:
    """A new database folder's path, beside the live one."""
    stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    return root / f"{DATABASE_PREFIX}{stamp}"


def publish(root: Path, database: Path) -> None:
    """Make ``database`` the live one: a new link, renamed over the old (atomic on POSIX)."""
    tmp_link = root / f"{LINK_PREFIX}{database.name[len(DATABASE_PREFIX) :]}"
    os.symlink(database.name, tmp_link)
    os.replace(tmp_link, root / CURRENT)


def remove_leftovers(root: Path) -> None:
    """Staging databases and links that killed writes left behind: with the write lock held, no
    other write is under way, so every database but the live one is one of those."""
    current = live_database(root)
    for path in root.iterdir():
        if (
            path.name.startswith(DATABASE_PREFIX)
            and path.is_dir()
            and (current is None or path.resolve() != current.resolve())
        ):
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith(LINK_PREFIX) and path.is_symlink():
            path.unlink(missing_ok=True)


@contextlib.contextmanager
def write_lock(root: Path) -> Iterator[None]:
    """One write at a time per store folder (an advisory lock on :data:`LOCK`, released by the
    kernel when the process dies, however it dies)."""
    try:
        import fcntl
    except ImportError:  # not a POSIX system: no lock
        yield
        return
    fd = os.open(root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreError(
                f"{root}: another trialgraph process is writing to this store", hint="try again when it ends"
            ) from None
        yield
    finally:
        os.close(fd)
