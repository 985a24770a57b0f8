"""Which version of a record wins: a newer one replaces an older one, never the reverse, and a
version that cannot be right (a date in the future, or before registries kept dates online)
never wins over one that can."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

#: No registry record is dated before this year.
EARLIEST_YEAR = 1999
#: Clocks and time zones differ: a version this far in the future still counts as today's.
TOLERANCE = timedelta(days=2)

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def as_date(version: str) -> date | None:
    """The date a version starts with (``2024-06``, ``2024-06-01``, ``2024-06-01T10:00``), or
    ``None`` when it is not a date (a curated record's ``3``)."""
    m = _DATE.match(version)
    if m is None or (len(version) > 4 and m.end() == 4 and version[4].isdigit()):
        return None
    try:
        return date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
    except ValueError:
        return None


def implausible(version: str | None, today: date | None = None) -> str | None:
    """Why a version date cannot be right, or ``None``."""
    if not version:
        return None
    when = as_date(version)
    if when is None:
        return None
    today = today or datetime.now(UTC).date()
    if when.year < EARLIEST_YEAR:
        return f"version {version} is before {EARLIEST_YEAR}"
    if when > today + TOLERANCE:
        return f"version {version} is in the future"
    return None


@dataclass(frozen=True)
class Verdict:
    wins: bool
    #: why the new version was kept out, or a warning about a version that cannot be right
    message: str = ""


def compare(new: str | None, stored: str | None, *, force: bool = False, today: date | None = None) -> Verdict:
    """Whether a record's ``new`` version replaces the ``stored`` one."""
    bad_new, bad_stored = implausible(new, today), implausible(stored, today)
    warning = f"{bad_new}; it does not replace a plausible version" if bad_new else ""
    if force or stored is None or not new:
        return Verdict(True, warning)
    if bad_new and not bad_stored:
        return Verdict(False, f"store has {stored}, file has {new}: {bad_new}")
    if bad_stored and not bad_new:
        return Verdict(True, f"the stored {bad_stored}; replaced by {new}")
    if new < stored:
        return Verdict(False, f"store has {stored}, file has {new}")
    return Verdict(True, warning)
