"""Query answers in the SPARQL result formats (JSON, XML, CSV, TSV) and in RDF syntaxes: the one
set of result writers, registered by name (:data:`RESULT_WRITERS`) and found by media type
(:func:`writer_for`), behind both ``trialgraph query --format`` and the HTTP endpoint's content
negotiation.

Two callers, two ways of writing.  The endpoint streams an answer within a row cap and a byte
cap; ``trialgraph query`` writes a whole page for a file or a terminal (``whole=True``), in the
form it has always written: indented JSON without the ``"truncated"`` member (the page note goes
to standard error), plain CSV values, TSV terms as rdflib writes them in N3 with integers short.

Rows are written one at a time, straight from the engine's iterator: a result is never held
whole in memory, so one row of a 90 KB literal repeated ten thousand times costs the memory of
the rows that fit in the byte cap, not of the ten thousand.  A row that would take the answer past
the cap is not written, and the answer says that it was cut, exactly as the row cap does: the
``X-Trialgraph-Truncated`` header and, in SPARQL JSON, a top-level ``"truncated"`` member.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import XMLGenerator
from xml.sax.xmlreader import AttributesImpl

import orjson
from rdflib import XSD, BNode, Graph, Literal, URIRef
from rdflib.namespace import NamespaceManager
from rdflib.term import Node

from graph.constants import BASE, ID_NS
from graph.sparql import Result
from graph.store.terms import from_ox

JSON_RESULTS = "application/sparql-results+json"
XML_RESULTS = "application/sparql-results+xml"
CSV = "text/csv"
TSV = "text/tab-separated-values"
TURTLE = "text/turtle"
NTRIPLES = "application/n-triples"
JSONLD = "application/ld+json"
RDFXML = "application/rdf+xml"

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


class _Writer:
    """Writes one answer's rows into ``out``: :meth:`head`, :meth:`row` per row, :meth:`tail`.
    ``whole``: the page ``trialgraph query`` writes whole, in its own long-standing form."""

    def __init__(self, out: io.BytesIO, variables: list[str], *, whole: bool = False) -> None:
        self.out = out
        self.variables = variables
        self.whole = whole

    def head(self) -> None:
        pass

    def row(self, row: Row) -> None:
        raise NotImplementedError

    def tail(self, truncated: bool) -> None:
        pass


class _JsonWriter(_Writer):
    """SPARQL 1.1 Query Results JSON: streamed compact, with a top-level ``"truncated"`` member;
    whole, indented by one space and without it."""

    def __init__(self, out: io.BytesIO, variables: list[str], *, whole: bool = False) -> None:
        super().__init__(out, variables, whole=whole)
        self.first = True
        self.bindings: list[dict[str, dict[str, str]]] = []

    def head(self) -> None:
        if not self.whole:
            self.out.write(b'{"head":{"vars":' + orjson.dumps(self.variables) + b'},"results":{"bindings":[')

    def row(self, row: Row) -> None:
        binding = {v: _json_term(t) for v, t in zip(self.variables, row, strict=True) if t is not None}
        if self.whole:
            self.bindings.append(binding)
            return
        self.out.write((b"" if self.first else b",") + orjson.dumps(binding))
        self.first = False

    def tail(self, truncated: bool) -> None:
        if not self.whole:
            self.out.write(b']},"truncated":' + (b"true" if truncated else b"false") + b"}")
            return
        doc = {"head": {"vars": self.variables}, "results": {"bindings": self.bindings}}
        self.out.write(json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8"))


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


class _XmlWriter(_Writer):
    """SPARQL Query Results XML."""

    def __init__(self, out: io.BytesIO, variables: list[str], *, whole: bool = False) -> None:
        super().__init__(out, variables, whole=whole)
        self.xml = XMLGenerator(out, encoding="utf-8", short_empty_elements=True)

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


class _CsvWriter(_Writer):
    """SPARQL 1.1 CSV: plain values, IRIs bare, blank nodes as ``_:label`` (whole: the label
    alone)."""

    def __init__(self, out: io.BytesIO, variables: list[str], *, whole: bool = False) -> None:
        super().__init__(out, variables, whole=whole)
        self.text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
        self.csv = csv.writer(self.text, lineterminator="\r\n")
        self.bnode = "{}" if whole else "_:{}"

    def head(self) -> None:
        self.csv.writerow(self.variables)

    def row(self, row: Row) -> None:
        self.csv.writerow(["" if t is None else self.bnode.format(t) if isinstance(t, BNode) else str(t) for t in row])

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


def _n3_term(term: Node | None) -> str:
    """A term as rdflib writes it in N3, an integer in Turtle's short form (``42``)."""
    if term is None:
        return ""
    if isinstance(term, Literal) and term.datatype == XSD.integer and re.fullmatch(r"[+-]?\d+", str(term)):
        return str(term)
    return term.n3()


class _TsvWriter(_Writer):
    """SPARQL 1.1 TSV: terms in Turtle syntax, tabs and line breaks escaped (whole: as rdflib
    writes them, integers short)."""

    def head(self) -> None:
        self.out.write(("\t".join(f"?{v}" for v in self.variables) + "\n").encode("utf-8"))

    def row(self, row: Row) -> None:
        term = _n3_term if self.whole else _tsv_term
        self.out.write(("\t".join(term(t) for t in row) + "\n").encode("utf-8"))


@dataclass(frozen=True)
class ResultWriter:
    """A SPARQL result format: its name (``trialgraph query --format``), its media type (HTTP
    content negotiation) and the class that writes its rows."""

    name: str
    media: str
    writer: type[_Writer]
    #: other media types a client may ask for and get this format
    aliases: tuple[str, ...] = ()
    #: it writes the answer of an ASK too (:func:`write_boolean`)
    boolean: bool = False


#: The result writers by name, in the endpoint's order of preference (the first is its
#: default).  A new format is one class and one entry here.
RESULT_WRITERS = {
    w.name: w
    for w in (
        ResultWriter("json", JSON_RESULTS, _JsonWriter, ("application/json",), boolean=True),
        ResultWriter("xml", XML_RESULTS, _XmlWriter, ("application/xml", "text/xml"), boolean=True),
        ResultWriter("csv", CSV, _CsvWriter),
        ResultWriter("tsv", TSV, _TsvWriter),
    )
}


def offers(*, boolean: bool = False) -> dict[str, str]:
    """What content negotiation offers for a SELECT (or, ``boolean``, an ASK): each media type a
    client may ask for -> the media type of the writer that answers it."""
    return {
        asked: w.media for w in RESULT_WRITERS.values() if w.boolean or not boolean for asked in (w.media, *w.aliases)
    }


def writer_for(media: str) -> ResultWriter:
    """The result writer of a media type (as content negotiation answers it)."""
    return next(w for w in RESULT_WRITERS.values() if w.media == media)


def write_result(result: Result, name: str) -> str:
    """A SELECT result written whole, as ``trialgraph query --format NAME`` prints it."""
    out = io.BytesIO()
    writer = RESULT_WRITERS[name].writer(out, result.variables, whole=True)
    writer.head()
    for row in result.rows:
        writer.row(row)
    writer.tail(result.truncated)
    return out.getvalue().decode("utf-8")


def write_rows(
    variables: list[str], rows: Iterable[Row], media: str, *, max_rows: int, max_bytes: int, cut: bool = False
) -> tuple[bytes, bool]:
    """A SELECT result in ``media``, and whether it was cut: after ``max_rows`` rows, before
    the row that would take the document past ``max_bytes``, or already (``cut``)."""
    out = io.BytesIO()
    writer = writer_for(media).writer(out, variables)
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
