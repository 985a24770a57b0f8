"""Terms as the store writes them: N-Triples text (the TSV answers a chunk is read from) and
Oxigraph terms to rdflib terms, with the hash of each term's key, cached per process.
"""

from __future__ import annotations

import re
from typing import Any

from rdflib import RDF, BNode, Literal, URIRef
from rdflib.term import Node

from graph.digest import key_hash, node_key
from graph.validate.plain import stored_term


class _OxKeys:
    """:func:`term_hash` of Oxigraph terms (their text keys as :func:`graph.digest.node_key`
    writes them for the rdflib terms the store gives back), remembered per process."""

    LIMIT = 500_000

    def __init__(self) -> None:
        self.cache: dict[Any, int] = {}

    def __call__(self, term: Any) -> int:
        found = self.cache.get(term)
        if found is None:
            if len(self.cache) > self.LIMIT:
                self.cache.clear()
            found = self.cache[term] = key_hash(_ox_key(term))
        return found


def _ox_key(term: Any) -> str:
    import pyoxigraph as ox

    kind = type(term)
    if kind is ox.NamedNode:
        return f"<{term.value}>"
    if kind is ox.BlankNode:
        return f"_:{term.value}"
    if term.language:
        return f'"{term.value}"@{term.language}'
    if term.datatype.value == _XSD_STRING:
        return f'"{term.value}"'
    return f'"{term.value}"^^<{term.datatype.value}>'


OX_KEYS = _OxKeys()


def term_token(node: Node) -> str | None:
    """The N-Triples text of a term as the store writes it (``None`` for a literal the store
    would rewrite, which then never matches a data term)."""
    from graph.store.terms import to_ox

    try:
        return str(to_ox(stored_term(node)))
    except Exception:
        return None


_NT_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))", re.DOTALL)
_ECHAR = {"t": "\t", "b": "\b", "n": "\n", "r": "\r", "f": "\f", '"': '"', "'": "'", "\\": "\\"}
_XSD = "http://www.w3.org/2001/XMLSchema#"


def _unescape(text: str) -> str:
    """N-Triples string escapes (``\\n``, ``\\"``, ``\\u00e9``...) undone."""
    if "\\" not in text:
        return text

    def one(m: re.Match[str]) -> str:
        code = m.group(1) or m.group(2)
        if code is not None:
            return chr(int(code, 16))
        return _ECHAR.get(m.group(3), m.group(3))

    return _NT_ESCAPE.sub(one, text)


def text_term(token: str) -> Node:
    """One term of Oxigraph's text output as rdflib, the way :func:`from_ox` reads it from the
    store (a plain string as a plain literal).  SPARQL TSV writes canonical-looking booleans,
    integers, decimals and doubles bare (Turtle's short forms), with their lexical form kept."""
    first = token[0]
    if first == "<":
        return URIRef(_unescape(token[1:-1]))
    if first == "_":
        return BNode(token[2:])
    if first != '"':
        if token in ("true", "false"):
            kind = "boolean"
        elif "e" in token or "E" in token:
            kind = "double"
        elif "." in token:
            kind = "decimal"
        else:
            kind = "integer"
        return Literal(token, datatype=URIRef(_XSD + kind))
    end = token.rfind('"')
    lexical = _unescape(token[1:end])
    rest = token[end + 1 :]
    if not rest:
        return Literal(lexical)
    if rest[0] == "@":
        return Literal(lexical, lang=rest[1:])
    datatype = rest[3:-1]
    if datatype == _XSD_STRING:
        return Literal(lexical)
    return Literal(lexical, datatype=URIRef(datatype))


def from_ox(term: Any) -> Node:
    """An Oxigraph term as rdflib (a plain string as a plain literal: see
    :func:`graph.store.terms.from_ox`)."""
    from graph.store.terms import from_ox as convert

    node = convert(term)
    assert node is not None
    return node


def term_hash(term: Node) -> int:
    return key_hash(node_key(term))


TYPE_HASH = term_hash(RDF.type)
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
