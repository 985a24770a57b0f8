"""The one rule for contact details, and the length cap of a field, used by every reader.

Contact e-mails and phone numbers are never ingested (DESIGN.md).  Each reader skips the
elements that hold contact persons (``centralContacts`` and location ``contacts`` in
ClinicalTrials.gov JSON, ``Contact_*`` in ICTRP XML; curated records have no such field), and
applies this rule to the text it does read:

* **A value about a person** (an official's or responsible party's name, affiliation or role)
  that holds an e-mail address or a phone number is dropped whole: :func:`person_contact` says
  which.  A phone number there is any run of at least :data:`PHONE_DIGITS` digits written with
  the usual separators (spaces, ``-``, ``.``, ``/``, brackets, a leading ``+``), except a year
  range ("Fellow 2016-2020").
* **Any other text** (titles, conditions, interventions, outcomes, organisation names...) keeps
  its words, and :func:`scrub` replaces each e-mail address, and each phone number that is
  marked as one (``Tel``, ``Phone``, ``Fax``... before it, or a leading ``+``), with
  :data:`MASK`.  Unmarked digit runs in free text are ids, dates and counts, not phones.

Either way the reader adds a warning of kind ``contact-details`` that names the field.
:func:`guard` applies the rule to one field, after cutting it to
:data:`graph.normalize.text.MAX_FIELD_CHARS` (a ``long-field`` warning naming the field).

Every scan here takes time linear in the text: e-mail addresses are found from each ``@``
outwards over a bounded window (an address has at most 64 characters before the ``@`` and 255
after it), and digit runs are matched by one pattern that never backtracks.
"""

from __future__ import annotations

import re

from graph.model import RecordWarning
from graph.normalize.text import MAX_FIELD_CHARS, cap_text, cap_warning

EMAIL = "e-mail address"
PHONE = "phone number"
#: What replaces a contact detail inside free text.
MASK = "[contact removed]"
#: Fewer digits than this is a date, a postal code or a room number, not a phone number.
PHONE_DIGITS = 7

_LOCAL_MAX = 64
_DOMAIN_MAX = 255
#: The characters of an address's local part, read backwards from the ``@``.
_LOCAL = re.compile(r"[\w.+'%-]+")
#: A domain with at least one dot; bounded by ``endpos`` when matched.
_DOMAIN = re.compile(r"[\w-]+(?:\.[\w-]+)+")
#: A run of digits and phone separators.  Nothing follows the starred class, so a failed
#: match never backtracks into it.
_DIGIT_RUN = re.compile(r"\+?\d[\d \t().\-/]*")
#: A word that marks the number after it as a phone number, with up to 12 characters of
#: punctuation between (each part bounded, so no backtracking over long runs).
_LABELLED = re.compile(
    r"\b(?:tel|t[ée]l[ée]phone|telephone|telefon|phone|fax)\b[\s:.#]{0,8}(?:no|nr|number)?[\s:.#]{0,4}"
    r"(\+?\d[\d \t().\-/]*)",
    re.IGNORECASE,
)


def _email_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each e-mail address, found from each ``@``."""
    if "@" not in text:
        return []
    spans: list[tuple[int, int]] = []
    backwards = text[::-1]
    n = len(text)
    at = text.find("@")
    while at != -1:
        before = _LOCAL.match(backwards, n - at, min(n, n - at + _LOCAL_MAX))
        after = _DOMAIN.match(text, at + 1, min(n, at + 1 + _DOMAIN_MAX))
        if before and after and _tld(after.group()):
            start, end = at - len(before.group()), after.end()
            if not spans or start >= spans[-1][1]:
                spans.append((start, end))
        at = text.find("@", at + 1)
    return spans


def _tld(domain: str) -> bool:
    last = domain.rsplit(".", 1)[-1]
    return len(last) >= 2 and last.isalpha()


def _digits(run: str) -> int:
    return sum(ch.isdigit() for ch in run)


def _phone_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the phone numbers free text marks as such (a label before it, or a ``+``)."""
    spans: list[tuple[int, int]] = []
    for m in _LABELLED.finditer(text):
        if _digits(m.group(1)) >= PHONE_DIGITS:
            spans.append((m.start(1), m.start(1) + len(m.group(1).rstrip(" \t(.-/"))))
    if "+" in text:
        for m in _DIGIT_RUN.finditer(text):
            run = m.group()
            if run.startswith("+") and _digits(run) >= PHONE_DIGITS:
                spans.append((m.start(), m.start() + len(run.rstrip(" \t(.-/"))))
    return spans


#: Two years joined by a dash or a slash: a period, not a phone number.
_YEAR_RANGE = re.compile(r"(?:19|20)\d\d ?[-/] ?(?:19|20)\d\d")


def person_contact(text: str) -> str | None:
    """:data:`EMAIL` or :data:`PHONE` when a value about a person holds one, else ``None``."""
    if _email_spans(text):
        return EMAIL
    for m in _DIGIT_RUN.finditer(text):
        run = m.group().strip(" \t().-/")
        if _digits(run) >= PHONE_DIGITS and not _YEAR_RANGE.fullmatch(run):
            return PHONE
    return None


def scrub(text: str) -> tuple[str, str | None]:
    """``text`` with its e-mail addresses and marked phone numbers replaced by :data:`MASK`, and
    what was found (:data:`EMAIL`, :data:`PHONE`, or ``None`` when the text is unchanged)."""
    emails = _email_spans(text)
    phones = _phone_spans(text) if _maybe_phone(text) else []
    if not emails and not phones:
        return text, None
    out: list[str] = []
    last = 0
    for start, end in sorted(emails + phones):
        if start < last:
            continue
        out.append(text[last:start])
        out.append(MASK)
        last = end
    out.append(text[last:])
    return "".join(out), EMAIL if emails else PHONE


def _maybe_phone(text: str) -> bool:
    """A cheap first look (plain substring tests, several times faster than a pattern): most
    text has no phone marker at all."""
    return "+" in text or _marked(text.lower())


def _marked(low: str) -> bool:
    return "tel" in low or "tél" in low or "phone" in low or "fax" in low


def warning_text(found: str, *, dropped: bool) -> str:
    """The words of a ``contact-details`` warning (the reader puts the field before them)."""
    if dropped:
        return f"holds contact details ({found}), which are never ingested; the value is left out"
    return f"held contact details ({found}), which are never ingested; replaced by {MASK}"


def unguarded(text: str) -> bool:
    """Whether :func:`guard` would return ``text`` as it is for a value not about a person, with
    no warning: short enough, no ``@``, no phone marker.  The common case, decided without a
    pattern, so that readers can skip the rest."""
    if len(text) > MAX_FIELD_CHARS or "@" in text or "+" in text:
        return False
    return not _marked(text.lower())


def guard(raw: str, where: str, warnings: list[str], *, person: bool = False) -> str | None:
    """A field's text cut to the length cap and put through the contact rule, with a warning
    (``where: ...``) for each: ``None`` for a value about a ``person`` that holds contact
    details, else the text with its contact details masked."""
    text, cut = cap_text(raw)
    if cut:
        warnings.append(RecordWarning("long-field", f"{where}: {cap_warning(len(raw))}"))
    if not person and unguarded(text):
        return text
    if person:
        found = person_contact(text)
        if found:
            warnings.append(RecordWarning("contact-details", f"{where}: {warning_text(found, dropped=True)}"))
            return None
        return text
    text, found = scrub(text)
    if found:
        warnings.append(RecordWarning("contact-details", f"{where}: {warning_text(found, dropped=False)}"))
    return text
