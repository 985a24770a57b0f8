"""Query answers in the SPARQL result formats (JSON, XML, CSV, TSV) and in RDF syntaxes, written
within a row cap and a byte cap.

Rows are written one at a time, straight from the engine's iterator: a result is never held
whole in memory, so one row of a 90 KB literal repeated ten thousand times costs the memory of
the rows that fit in the byte cap, not of the ten thousand.  A row that would take the answer past
the cap is not written, and the answer says that it was cut, exactly as the row cap does: the
``X-Trialgraph-Truncated`` header and, in SPARQL JSON, a top-level ``"truncated"`` member.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import XMLGenerator
from xml.sax.xmlreader import AttributesImpl

import orjson
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import NamespaceManager
from rdflib.term import Node

from graph.constants import BASE, ID_NS
from graph.sparql import Result
from graph.sparql_protocol import CSV, JSON_RESULTS, JSONLD, NTRIPLES, RDFXML, TSV, TURTLE, XML_RESULTS, Reply
from graph.store import from_ox

Row = tuple[Node | None, ...]
Triple = tuple[Node, Node, Node]

#: rdflib's serializer names for the RDF media types.
RDFLIB_FORMATS = {TURTLE: "turtle", NTRIPLES: "nt", JSONLD: "json-ld", RDFXML: "xml"}
#: Bytes kept free for the end of a document (closing brackets, the ``truncated`` member).
_TAIL_ROOM = 64
_SRX = "http://www.w3.org/2005/sparql-results#"


@dataclass
class Answer:
    """A query result to write: rows of a SELECT (an iterator: read once), the boolean of an
    ASK, or the triples of a CONSTRUCT or DESCRIBE."""

    kind: str
    variables: list[str]
    rows: Iterable[Row] = ()
    boolean: bool | None = None
    triples: Iterable[Triple] = ()
    #: already cut before it came here (a row cap applied by :mod:`graph.store`)
    truncated: bool = False

    @classmethod
    def of_result(cls, result: Result) -> Answer:
        triples: Iterable[Triple] = result.graph if result.graph is not None else ()
        return cls(result.kind, result.variables, result.rows, result.boolean, triples, result.truncated)

    @classmethod
    def of_oxigraph(cls, raw: Any) -> Answer:
        """A pyoxigraph result, converted row by row as it is written."""
        import pyoxigraph as ox

        if isinstance(raw, ox.QueryBoolean):
            return cls("ASK", [], boolean=bool(raw))
        if isinstance(raw, ox.QuerySolutions):
            variables = list(raw.variables)
            rows = (tuple(from_ox(solution[v]) for v in variables) for solution in raw)
            return cls("SELECT", [v.value for v in variables], rows)
        triples = ((from_ox(t.subject), from_ox(t.predicate), from_ox(t.object)) for t in raw)
        return cls("CONSTRUCT", [], triples=triples)  # type: ignore[arg-type]


# -- one row at a time -------------------------------------------------------------------------


def _json_term(term: Node) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, Literal):
        out = {"type": "literal", "value": str(term)}
        if term.language:
            out["xml:lang"] = term.language
        elif term.datatype is not None:
            out["datatype"] = str(term.datatype)
        return out
    return {"type": "bnode", "value": str(term)}


class _JsonWriter:
    """SPARQL 1.1 Query Results JSON, plus a top-level ``"truncated"`` member."""

    def __init__(self, out: io.BytesIO, variables: list[str]) -> None:
        self.out = out
        self.variables = variables
        self.first = True

    def head(self) -> None:
        self.out.write(b'{"head":{"vars":' + orjson.dumps(self.variables) + b'},"results":{"bindings":[')

    def row(self, row: Row) -> None:
        binding = {v: _json_term(t) for v, t in zip(self.variables, row, strict=True) if t is not None}
        self.out.write((b"" if self.first else b",") + orjson.dumps(binding))
        self.first = False

    def tail(self, truncated: bool) -> None:
        self.out.write(b']},"truncated":' + (b"true" if truncated else b"false") + b"}")


def _open(xml: XMLGenerator, name: str, attrs: dict[str, str] | None = None) -> None:
    xml.startElement(name, AttributesImpl(attrs or {}))


def _leaf(xml: XMLGenerator, name: str, text: str, attrs: dict[str, str] | None = None) -> None:
    _open(xml, name, attrs)
    xml.characters(text)
    xml.endElement(name)


def _xml_term(xml: XMLGenerator, term: Node) -> None:
    if isinstance(term, URIRef):
        _leaf(xml, "uri", str(term))
    elif isinstance(term, Literal):
        attrs = {}
        if term.language:
            attrs["xml:lang"] = term.language
        elif term.datatype is not None:
            attrs["datatype"] = str(term.datatype)
        _leaf(xml, "literal", str(term), attrs)
    else:
        _leaf(xml, "bnode", str(term))


def _xml_head(xml: XMLGenerator, variables: list[str]) -> None:
    xml.startDocument()
    _open(xml, "sparql", {"xmlns": _SRX})
    _open(xml, "head")
    for var in variables:
        _open(xml, "variable", {"name": var})
        xml.endElement("variable")
    xml.endElement("head")


class _XmlWriter:
    """SPARQL Query Results XML."""

    def __init__(self, out: io.BytesIO, variables: list[str]) -> None:
        self.xml = XMLGenerator(out, encoding="utf-8", short_empty_elements=True)
        self.variables = variables

    def head(self) -> None:
        _xml_head(self.xml, self.variables)
        _open(self.xml, "results")

    def row(self, row: Row) -> None:
        _open(self.xml, "result")
        for var, term in zip(self.variables, row, strict=True):
            if term is not None:
                _open(self.xml, "binding", {"name": var})
                _xml_term(self.xml, term)
                self.xml.endElement("binding")
        self.xml.endElement("result")

    def tail(self, truncated: bool) -> None:
        self.xml.endElement("results")
        self.xml.endElement("sparql")
        self.xml.endDocument()


class _CsvWriter:
    """SPARQL 1.1 CSV: plain values, IRIs bare, blank nodes as ``_:label``."""

    def __init__(self, out: io.BytesIO, variables: list[str]) -> None:
        self.text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        self.csv = csv.writer(self.text, lineterminator="\r\n")
        self.variables = variables

    def head(self) -> None:
        self.csv.writerow(self.variables)

    def row(self, row: Row) -> None:
        self.csv.writerow(["" if t is None else f"_:{t}" if isinstance(t, BNode) else str(t) for t in row])

    def tail(self, truncated: bool) -> None:
        self.text.detach()


def _tsv_term(term: Node | None) -> str:
    if term is None:
        return ""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    assert isinstance(term, Literal)
    escaped = str(term)
    for raw, escape in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        escaped = escaped.replace(raw, escape)
    if term.language:
        return f'"{escaped}"@{term.language}'
    if term.datatype is not None:
        return f'"{escaped}"^^<{term.datatype}>'
    return f'"{escaped}"'


class _TsvWriter:
    """SPARQL 1.1 TSV: terms in Turtle syntax, tabs and line breaks escaped."""

    def __init__(self, out: io.BytesIO, variables: list[str]) -> None:
        self.out = out
        self.variables = variables

    def head(self) -> None:
        self.out.write(("\t".join(f"?{v}" for v in self.variables) + "\n").encode("utf-8"))

    def row(self, row: Row) -> None:
        self.out.write(("\t".join(_tsv_term(t) for t in row) + "\n").encode("utf-8"))

    def tail(self, truncated: bool) -> None:
        pass


_ROW_WRITERS: dict[str, Callable[[io.BytesIO, list[str]], Any]] = {
    JSON_RESULTS: _JsonWriter,
    XML_RESULTS: _XmlWriter,
    CSV: _CsvWriter,
    TSV: _TsvWriter,
}


def write_rows(
    variables: list[str], rows: Iterable[Row], media: str, *, max_rows: int, max_bytes: int, cut: bool = False
) -> tuple[bytes, bool]:
    """A SELECT result in ``media``, and whether it was cut: after ``max_rows`` rows, before
    the row that would take the document past ``max_bytes``, or already (``cut``)."""
    out = io.BytesIO()
    writer = _ROW_WRITERS[media](out, variables)
    writer.head()
    truncated = cut
    for count, row in enumerate(rows):
        if count >= max_rows:
            truncated = True
            break
        mark = out.tell()
        writer.row(row)
        if out.tell() + _TAIL_ROOM > max_bytes:
            out.seek(mark)
            out.truncate()
            truncated = True
            break
    writer.tail(truncated)
    return out.getvalue(), truncated


def write_boolean(value: bool, media: str) -> bytes:
    """An ASK result."""
    if media == JSON_RESULTS:
        return orjson.dumps({"head": {}, "boolean": value})
    out = io.BytesIO()
    xml = XMLGenerator(out, encoding="utf-8", short_empty_elements=True)
    _xml_head(xml, [])
    _leaf(xml, "boolean", "true" if value else "false")
    xml.endElement("sparql")
    xml.endDocument()
    return out.getvalue()


# -- graphs --------------------------------------------------------------------------------------


def namespaces(g: Graph) -> Graph:
    """``g`` with the project's prefixes bound, for readable Turtle."""
    nm = NamespaceManager(g, bind_namespaces="core")
    nm.bind("tg", URIRef(BASE + "ontology#"))
    nm.bind("id", URIRef(ID_NS))
    nm.bind("vocab", URIRef(BASE + "vocab/"))
    nm.bind("dcterms", URIRef("http://purl.org/dc/terms/"))
    nm.bind("skos", URIRef("http://www.w3.org/2004/02/skos/core#"))
    nm.bind("prov", URIRef("http://www.w3.org/ns/prov#"))
    g.namespace_manager = nm
    return g


def _first_triples(triples: Iterable[Triple], max_rows: int, max_bytes: int) -> tuple[list[Triple], bool]:
    """The triples that fit the caps, measured as N-Triples."""
    kept: list[Triple] = []
    size = 0
    for count, triple in enumerate(triples):
        if count >= max_rows:
            return kept, True
        size += sum(len(t.n3()) for t in triple) + 4
        if size > max_bytes:
            return kept, True
        kept.append(triple)
    return kept, False


def write_graph(triples: Iterable[Triple], media: str, *, max_rows: int, max_bytes: int) -> tuple[bytes, bool]:
    """Triples in an RDF syntax, cut to the caps.  Syntaxes other than N-Triples may take more
    bytes than the N-Triples estimate: the triples are then cut further until they fit."""
    kept, truncated = _first_triples(triples, max_rows, max_bytes - _TAIL_ROOM)
    while True:
        g = namespaces(Graph())
        for triple in kept:
            g.add(triple)
        body = g.serialize(format=RDFLIB_FORMATS[media], encoding="utf-8")
        if len(body) <= max_bytes or not kept:
            return body, truncated
        kept = kept[: int(len(kept) * max_bytes / len(body) * 0.9)]
        truncated = True


def render(answer: Answer, media: str, *, max_rows: int, max_bytes: int) -> Reply:
    """An answer in the negotiated media type, within the caps."""
    if answer.kind == "ASK":
        return Reply(200, media, write_boolean(bool(answer.boolean), media), truncated=False)
    if answer.kind == "SELECT":
        body, cut = write_rows(
            answer.variables, answer.rows, media, max_rows=max_rows, max_bytes=max_bytes, cut=answer.truncated
        )
        charset = "; charset=utf-8" if media in (CSV, TSV) else ""
        return Reply(200, media + charset, body, truncated=cut)
    body, cut = write_graph(answer.triples, media, max_rows=max_rows, max_bytes=max_bytes)
    return Reply(200, media, body, truncated=cut or answer.truncated)
