"""Search keys: the one normalised form in which names and identifiers are looked up.

A key folds case and accents and turns every run of punctuation and spaces into one space, so
that "COVID-19", " covid 19 " and "Covid‑19" are the same key, and so are "nct02849613" and
"NCT02849613 ".  :mod:`graph.rdf` writes the key of each identifier, condition, organisation and
site beside its value (``tg:searchKey``); :mod:`graph.query.named` turns a look-up parameter into a
key the same way, so that a look-up is an exact match that Oxigraph answers from its index.
"""

from __future__ import annotations

import re

from graph.normalize.text import fold_accents

_SEPARATORS = re.compile(r"[\W_]+")


def search_key(text: str) -> str:
    """``text`` folded: no accents, case folded, punctuation and spaces as single spaces."""
    return _SEPARATORS.sub(" ", fold_accents(text).casefold()).strip()
