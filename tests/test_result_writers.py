"""The result writers: one registry by name (:data:`graph.query.results.RESULT_WRITERS`) behind
``trialgraph query --format`` and the endpoint's content negotiation.

The expected documents are written out by hand from the two rows below, following the SPARQL
1.1 result formats for the endpoint and the form ``trialgraph query`` has always printed (its
CSV writes a blank node's label alone; its TSV writes terms as rdflib writes N3, integers short;
its JSON is indented by one space and has no ``"truncated"`` member)."""

from __future__ import annotations

from rdflib import BNode, Literal, URIRef

from graph.query.results import (
    CSV,
    JSON_RESULTS,
    RESULT_WRITERS,
    TSV,
    XML_RESULTS,
    write_result,
    write_rows,
    writer_for,
)
from graph.serve.protocol import ASK_OFFERS, SELECT_OFFERS
from graph.sparql import Result

T = "https://w3id.org/trialgraph/id/trial/NCT02849613"
T2 = "https://w3id.org/trialgraph/id/trial/NCT04445454"
XSD_INT = "http://www.w3.org/2001/XMLSchema#integer"
XSD_DEC = "http://www.w3.org/2001/XMLSchema#decimal"
#: Quotes, a tab and a line break in text, a language tag, an integer, a decimal, a blank node
#: and unbound values: every case the writers treat apart.
ROWS = Result(
    "SELECT",
    ["trial", "title", "n", "node", "missing"],
    [
        (URIRef(T), Literal('Say "hi"\there', lang="en"), Literal(42), BNode("b0"), None),
        (URIRef(T2), Literal("two\nlines"), Literal("3.5", datatype=URIRef(XSD_DEC)), None, None),
    ],
)
SMALL = Result("SELECT", ["trial", "n"], [(URIRef(T), Literal(42))])


def served(result: Result, media: str, max_rows: int = 10) -> bytes:
    return write_rows(result.variables, result.rows, media, max_rows=max_rows, max_bytes=1_000_000)[0]


def test_the_writers_are_registered_by_name_with_their_media_type() -> None:
    assert {name: w.media for name, w in RESULT_WRITERS.items()} == {
        "json": JSON_RESULTS,
        "xml": XML_RESULTS,
        "csv": CSV,
        "tsv": TSV,
    }
    # content negotiation offers the registry: the media types and aliases it always offered,
    # in its order of preference (SPARQL JSON first, the default); an ASK has no CSV or TSV
    json_xml = [
        (JSON_RESULTS, JSON_RESULTS),
        ("application/json", JSON_RESULTS),
        (XML_RESULTS, XML_RESULTS),
        ("application/xml", XML_RESULTS),
        ("text/xml", XML_RESULTS),
    ]
    assert list(SELECT_OFFERS.items()) == [*json_xml, (CSV, CSV), (TSV, TSV)]
    assert list(ASK_OFFERS.items()) == json_xml
    for media in SELECT_OFFERS.values():
        assert writer_for(media).media == media


def test_csv_in_both_places() -> None:
    cli = write_result(ROWS, "csv")
    assert cli == (f'trial,title,n,node,missing\r\n{T},"Say ""hi""\there",42,b0,\r\n{T2},"two\nlines",3.5,,\r\n')
    assert served(ROWS, CSV) == cli.replace(",b0,", ",_:b0,").encode("utf-8")


def test_tsv_in_both_places() -> None:
    header = "?trial\t?title\t?n\t?node\t?missing\n"
    assert write_result(ROWS, "tsv") == (
        header + f'<{T}>\t"Say \\"hi\\"\there"@en\t42\t_:b0\t\n' + f'<{T2}>\t"""two\nlines"""\t"3.5"^^<{XSD_DEC}>\t\t\n'
    )
    assert served(ROWS, TSV) == (
        header
        + f'<{T}>\t"Say \\"hi\\"\\there"@en\t"42"^^<{XSD_INT}>\t_:b0\t\n'
        + f'<{T2}>\t"two\\nlines"\t"3.5"^^<{XSD_DEC}>\t\t\n'
    ).encode("utf-8")


def test_json_in_both_places() -> None:
    uri = f'{{"type":"uri","value":"{T}"}}'
    number = f'{{"type":"literal","value":"42","datatype":"{XSD_INT}"}}'
    assert (
        served(SMALL, JSON_RESULTS)
        == (
            f'{{"head":{{"vars":["trial","n"]}},"results":{{"bindings":[{{"trial":{uri},"n":{number}}}]}},'
            '"truncated":false}'
        ).encode()
    )
    assert write_result(SMALL, "json") == "\n".join(
        [
            "{",
            ' "head": {',
            '  "vars": [',
            '   "trial",',
            '   "n"',
            "  ]",
            " },",
            ' "results": {',
            '  "bindings": [',
            "   {",
            '    "trial": {',
            '     "type": "uri",',
            f'     "value": "{T}"',
            "    },",
            '    "n": {',
            '     "type": "literal",',
            '     "value": "42",',
            f'     "datatype": "{XSD_INT}"',
            "    }",
            "   }",
            "  ]",
            " }",
            "}",
        ]
    )


def test_xml_over_http() -> None:
    assert (
        served(SMALL, XML_RESULTS)
        == (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            '<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head><variable name="trial"/>'
            '<variable name="n"/></head><results><result><binding name="trial">'
            f"<uri>{T}</uri></binding>"
            f'<binding name="n"><literal datatype="{XSD_INT}">42</literal></binding></result>'
            "</results></sparql>"
        ).encode()
    )


def test_the_row_cap_cuts_and_says_so() -> None:
    body, cut = write_rows(ROWS.variables, ROWS.rows, CSV, max_rows=1, max_bytes=1_000_000)
    assert cut and body.decode("utf-8").count("\r\n") == 2  # the header and the first row
