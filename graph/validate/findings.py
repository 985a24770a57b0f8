"""Findings, shared by both engines: a SHACL result labelled as a :class:`Finding` (the rule is
the node shape and the constraint component, the field the shape's name or path), and the
records a finding concerns (the trial and source file of each record graph that holds its focus
node), to :func:`~graph.validate.report.attribute` it to them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from rdflib import RDF, Graph, URIRef
from rdflib.namespace import DCTERMS, SH
from rdflib.term import Node

from graph.namespace import TG
from graph.validate.report import Finding

SH_SEVERITY = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}


def local_name(node: Node | None) -> str:
    if node is None:
        return ""
    text = str(node)
    if isinstance(node, URIRef):
        for sep in ("#", "/"):
            if sep in text:
                text = text.rsplit(sep, 1)[-1]
    return text


def pick_message(messages: Iterable[Node]) -> str:
    """One message, chosen the same way whatever order the engine produced them in: English or
    untagged first, then alphabetical."""
    texts = sorted(
        (0 if not getattr(m, "language", None) or str(getattr(m, "language", "")).startswith("en") else 1, str(m))
        for m in messages
    )
    return texts[0][1] if texts else ""


class Labeller:
    """Turns SHACL results into findings.  The rule is the node shape holding the constraint
    (the shape itself when nothing holds it) plus the constraint component; the field is the
    shape's ``sh:name``, else the path.  Both engines use one of these, so the same result
    always reads the same."""

    def __init__(self, shapes: Graph) -> None:
        self.shapes = shapes
        self._cache: dict[tuple[Node, Node | None, Node | None], tuple[str, str]] = {}

    def _names(self, shape: Node, component: Node | None, path: Node | None) -> tuple[str, str]:
        key = (shape, component, path)
        hit = self._cache.get(key)
        if hit is None:
            parent = self.shapes.value(predicate=SH.property, object=shape)
            owner = shape if parent is None else parent
            rule = local_name(owner)
            if component is not None:
                rule += "/" + local_name(component).removesuffix("ConstraintComponent")
            name = self.shapes.value(shape, SH.name)
            hit = self._cache[key] = (rule, str(name) if name is not None else local_name(path))
        return hit

    def finding(
        self,
        *,
        focus: Node,
        path: Node | None,
        value: Node | None,
        shape: Node,
        component: Node | None,
        severity: Node | None,
        messages: Iterable[Node],
    ) -> Finding:
        rule, field_name = self._names(shape, component, path)
        return Finding(
            severity=SH_SEVERITY.get(severity, "violation") if severity is not None else "violation",  # type: ignore[call-overload]
            field=field_name,
            value="" if value is None else str(value),
            rule=rule,
            message=pick_message(messages),
            focus=str(focus),
        )


def findings_from_report(results: Graph, shapes: Graph) -> list[tuple[Node, Finding]]:
    """(focus node, finding) for each top-level result of a pyshacl report.  Results nested
    under ``sh:detail`` (why a value failed its ``sh:node`` shape) are part of their parent."""
    labeller = Labeller(shapes)
    nested = set(results.objects(None, SH.detail))
    out = []
    for r in results.subjects(RDF.type, SH.ValidationResult):
        if r in nested:
            continue
        focus = results.value(r, SH.focusNode)
        assert focus is not None
        out.append(
            (
                focus,
                labeller.finding(
                    focus=focus,
                    path=results.value(r, SH.resultPath),
                    value=results.value(r, SH.value),
                    shape=results.value(r, SH.sourceShape),  # type: ignore[arg-type]
                    component=results.value(r, SH.sourceConstraintComponent),
                    severity=results.value(r, SH.resultSeverity),
                    messages=list(results.objects(r, SH.resultMessage)),
                ),
            )
        )
    return out


# -- the records a finding concerns --------------------------------------------------------------


def unit_owner(unit: Graph, source: str = "") -> tuple[str, str]:
    """(preferred trial id, source file) of one record graph; ``""`` when it has none."""
    trial = ""
    for t in sorted(unit.subjects(RDF.type, TG.Trial), key=str):
        ident = unit.value(t, DCTERMS.identifier)
        trial = str(ident) if ident is not None else str(t)
        break
    if not source:
        file = next(iter(sorted(unit.objects(None, TG.sourceFile), key=str)), None)
        source = "" if file is None else str(file)
    return trial, source


def unit_nodes(unit: Graph) -> set[Node]:
    """Every term a record graph mentions as subject or object."""
    out: set[Node] = set()
    for s, _p, o in unit:
        out.add(s)
        out.add(o)
    return out


def membership(units: Mapping[str, Graph]) -> dict[Node, list[tuple[str, str]]]:
    """Which records hold each node (as subject or object)."""
    out: dict[Node, list[tuple[str, str]]] = defaultdict(list)
    for unit in units.values():
        owner = unit_owner(unit)
        for node in unit_nodes(unit):
            out[node].append(owner)
    return out
