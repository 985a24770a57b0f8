"""Dates as registers write them, read into a :class:`graph.model.PartialDate` of year, month or
day precision."""

from __future__ import annotations

import re
from datetime import date

from graph.model import PartialDate
from graph.normalize.text import quoted

_MONTHS = {
    m: i
    for i, names in enumerate(
        [
            (),
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for m in names
}


def parse_date(text: str, date_type: str | None = None) -> PartialDate:
    """Parse a date of year, month or day precision.

    Accepts ISO (``2015``, ``2015-09``, ``2015-09-01``), day-first numeric (``15/03/2021``) and
    month names (``September 2015``, ``September 1, 2015``).  Raises ``ValueError``.
    """
    s = str(text).strip()
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?", s)
    if m:
        y, mo, d = m.group(1), m.group(2), m.group(3)
    else:
        m = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", s)
        if m:
            d, mo, y = m.group(1), m.group(2), m.group(3)
        else:
            m = re.fullmatch(r"([A-Za-z]+)\.?\s+(?:(\d{1,2}),?\s+)?(\d{4})", s)
            if not m or m.group(1).lower() not in _MONTHS:
                raise ValueError(f"not a date: {quoted(s)} (expected YYYY, YYYY-MM or YYYY-MM-DD)")
            y, mo, d = m.group(3), str(_MONTHS[m.group(1).lower()]), m.group(2)
    year = int(y)
    if mo is None:
        return PartialDate(f"{year:04d}", "year", date_type)
    month = int(mo)
    if not 1 <= month <= 12:
        raise ValueError(f"not a date: {quoted(s)} (month {month} is out of range)")
    if d is None:
        return PartialDate(f"{year:04d}-{month:02d}", "month", date_type)
    try:
        day = date(year, month, int(d))
    except ValueError as exc:
        raise ValueError(f"not a date: {quoted(s)} ({exc})") from None
    return PartialDate(day.isoformat(), "day", date_type)
