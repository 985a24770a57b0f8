"""Registry text: cleaned (Unicode form, markup, white space), capped in length, cut and quoted for
messages, turned into slugs, and stripped of list markers."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

#: Characters of a value shown in an error or a warning; a longer value is cut there (it stays
#: whole in the data), so a huge field never becomes a huge message.
SHOWN_CHARS = 80


def shown(value: object, limit: int = SHOWN_CHARS) -> str:
    """The text of ``value`` as a message shows it: cut to ``limit`` characters."""
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quoted(value: object, limit: int = SHOWN_CHARS) -> str:
    """``value`` as a message quotes it: ``repr`` of its text, cut to ``limit`` characters."""
    return repr(shown(value, limit))


def quoted_list(values: Sequence[object], most: int = 5) -> str:
    """The first ``most`` values, each :func:`quoted`, and how many more there are."""
    shown = ", ".join(quoted(v) for v in values[:most])
    return shown + (f" and {len(values) - most} more" if len(values) > most else "")


def clean_text(value: object) -> str | None:
    """NFC, ``<br>`` markup and runs of white space folded to single spaces; ``None`` if empty."""
    if value is None:
        return None
    text = unicodedata.normalize("NFC", str(value))
    text = re.sub(r"<br\s*/?>", " ", text, flags=re.I)
    text = " ".join(text.split())
    return text or None


_WORDS = re.compile(r"[a-z0-9]+")


def fold_accents(text: str) -> str:
    """``text`` decomposed (NFKD) without its combining marks: ``"Hôpital"`` -> ``"Hopital"``.
    ASCII text is its own decomposition and has no marks, so it comes back as it is, at once
    (most registry text: the slow path cost a tenth of making a record's triples)."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def slug(text: str, limit: int = 80) -> str:
    """A readable, IRI-safe key: ASCII, lower case, words joined by ``-``."""
    folded = fold_accents(text).encode("ascii", "ignore").decode().lower()
    words = _WORDS.findall(folded)
    out = "-".join(words)[:limit].strip("-")
    return out or "x"


#: Longest text a reader keeps in one field, in characters.  Well above what any register
#: allows (ClinicalTrials.gov's longest field, the detailed description, takes 32,000); a
#: longer value is a broken or hostile export, and is cut with a warning naming the field.
MAX_FIELD_CHARS = 100_000


def cap_text(value: str, limit: int = MAX_FIELD_CHARS) -> tuple[str, bool]:
    """(``value`` cut to ``limit`` characters, whether it was cut)."""
    if len(value) <= limit:
        return value, False
    return value[:limit], True


def cap_warning(length: int, limit: int = MAX_FIELD_CHARS) -> str:
    """The words of a ``long-field`` warning (the reader puts the field before them)."""
    return f"is {length:,} characters long; only the first {limit:,} are kept"


#: A list marker at the start of a label: "-", "*", "•", "–" before a word, "1." or "2)" before
#: a space, "a)" or "(b)" before a space.  "-20" (a number) and "A. fumigatus" are not markers.
_LIST_MARKER = re.compile(r"^(?:[-*•·‣–—]+\s*(?=[^\W\d_])|\d{1,3}[.)]\s+|\(?[a-z]\)\s+)")


def strip_list_marker(label: str) -> str:
    """A label without the list marker a register's free text put before it
    (``-Hereditary ATTR amyloidosis`` -> ``Hereditary ATTR amyloidosis``)."""
    return _LIST_MARKER.sub("", label, count=1).strip()
