"""The reference engine, plain pyshacl, and the data as the store holds it, which both engines
validate (:func:`stored_term`).  :mod:`graph.validate.fast` computes the same findings faster; a
test holds the two to identical output.
"""

from __future__ import annotations

from collections.abc import Mapping

from rdflib import XSD, Graph, Literal
from rdflib.term import Node

from graph.validate.findings import findings_from_report, membership, unit_owner
from graph.validate.report import Finding, Issue, attribute, sorted_issues


def stored_term(term: Node) -> Node:
    """A term as it comes back from the store: a literal rebuilt from its lexical form and
    datatype, and ``"x"^^xsd:string`` as the plain ``"x"``.

    rdflib treats ``"x"`` and ``"x"^^xsd:string`` as different terms (RDF 1.1 says they are one),
    which breaks ``sh:in`` against shapes that rdflib parsed; and a literal made from a Python
    float with datatype ``xsd:decimal`` fails ``sh:datatype xsd:decimal`` although the store keeps
    a valid decimal.  Validating the stored form avoids both traps.
    """
    if not isinstance(term, Literal):
        return term
    if term.language:
        return Literal(str(term), lang=term.language)
    if term.datatype is None or term.datatype == XSD.string:
        return Literal(str(term))
    return Literal(str(term), datatype=term.datatype)


def as_stored(g: Graph) -> Graph:
    """A copy of ``g`` with every literal in its stored form (see :func:`stored_term`); the
    caller's graph is never changed."""
    out = Graph()
    for s, p, o in g:
        out.add((s, p, stored_term(o)))
    return out


# -- plain pyshacl ------------------------------------------------------------------------------


def pyshacl_findings(data: Graph, shapes: Graph, ontology: Graph | None = None) -> list[tuple[Node, Finding]]:
    """Plain pyshacl over ``data`` in its stored form.  ``ontology`` is mixed in for the check
    only and never written back into ``data``; the built-in shapes do not need it."""
    import pyshacl
    from pyshacl.errors import ConstraintLoadError, ReportableRuntimeError, ShapeLoadError

    from graph.errors import InputError

    try:
        _conforms, results, text = pyshacl.validate(
            as_stored(data),
            shacl_graph=shapes,
            ont_graph=ontology,
            inference="none",
            advanced=True,
            allow_warnings=True,
            allow_infos=True,
        )
    except (ConstraintLoadError, ShapeLoadError, ReportableRuntimeError) as exc:
        raise InputError(f"the shapes are not valid SHACL: {exc}", hint="check the files given with --shapes") from None
    if not isinstance(results, Graph):  # pyshacl returns the failure instead of a report
        raise InputError(f"validation could not run: {text}", hint="check the files given with --shapes")
    return findings_from_report(results, shapes)


def validate_graph(data: Graph, shapes: Graph, ontology: Graph | None = None, source: str = "") -> list[Issue]:
    """Plain pyshacl over one record graph; every issue names that record's trial and file."""
    owner = unit_owner(data, source)
    return sorted_issues(
        i for _f, finding in pyshacl_findings(data, shapes, ontology) for i in attribute(finding, [owner])
    )


def validate_units_plain(units: Mapping[str, Graph], shapes: Graph) -> list[Issue]:
    """The reference for a set of record graphs: plain pyshacl over their union, each result
    attributed to every record that holds its focus node."""
    union = Graph()
    for unit in units.values():
        for t in unit:
            union.add((t[0], t[1], stored_term(t[2])))
    members = membership({k: as_stored(u) for k, u in units.items()})
    return sorted_issues(
        i for focus, f in pyshacl_findings(union, shapes) for i in attribute(f, members.get(focus, ()))
    )
