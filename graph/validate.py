"""SHACL validation with pyshacl, into reports that read like a linter's (written in each
format by :mod:`graph.reports`).

One severity scale serves SHACL results and QC queries: ``violation`` fails, ``warning`` and
``info`` are reported (``--fail-on`` moves the line).  Each result names the trial, the field, the
value, the rule and the message, so a data steward can act on it without knowing SHACL.

This module holds the reference engine (plain pyshacl over one graph) and everything both engines
share: the data as the store holds it (:func:`as_stored`), the mapping of a SHACL result to a
:class:`Finding` (:class:`Labeller`), and the attribution of a finding to the trials whose
records hold its focus node (:func:`attribute`).  :mod:`graph.fastvalidate` computes the same
findings faster; a test holds the two to identical output.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rdflib import RDF, XSD, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SH
from rdflib.term import Node

import graph.cache as cache
from graph.constants import SHAPES_DIR
from graph.namespace import TG

SEVERITIES = ("info", "warning", "violation")
SH_SEVERITY = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}


def severity_rank(name: str) -> int:
    return SEVERITIES.index(name)


@dataclass(frozen=True)
class Finding:
    """One SHACL result, before it is attributed to trials: what is wrong where."""

    severity: str
    field: str
    value: str
    rule: str
    message: str
    focus: str


@dataclass(frozen=True)
class Issue:
    """One line of a report: a finding in one trial (and one source file, when known)."""

    severity: str
    trial: str  # preferred registry id of the trial, or the focus node when not trial-bound
    field: str
    value: str
    rule: str
    message: str
    focus: str = ""
    source: str = ""  # source file of the record, when known

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def sort_key(self) -> tuple[str, int, str, str, str, str, str, str]:
        return (
            self.trial,
            -severity_rank(self.severity),
            self.field,
            self.value,
            self.rule,
            self.message,
            self.focus,
            self.source,
        )


@dataclass
class Report:
    issues: list[Issue] = field(default_factory=list)
    checked_trials: int = 0
    quarantined: list[dict[str, str]] = field(default_factory=list)

    def worst(self) -> str | None:
        if not self.issues:
            return None
        return max((i.severity for i in self.issues), key=severity_rank)

    def fails(self, fail_on: str = "violation") -> bool:
        return any(severity_rank(i.severity) >= severity_rank(fail_on) for i in self.issues)

    def at_or_above(self, severity: str) -> int:
        """How many issues are of ``severity`` or worse."""
        return sum(severity_rank(i.severity) >= severity_rank(severity) for i in self.issues)

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(SEVERITIES, 0)
        for i in self.issues:
            out[i.severity] += 1
        return out

    def by_trial(self) -> dict[str, list[Issue]]:
        groups: dict[str, list[Issue]] = defaultdict(list)
        for i in sorted(set(self.issues), key=Issue.sort_key):
            groups[i.trial].append(i)
        return dict(groups)


def shapes_graph(extra: Sequence[Path] = ()) -> Graph:
    """The built-in shapes plus any ``--shapes`` folders or files (Turtle).  A file that does
    not parse is an :class:`~graph.errors.InputError` naming it."""
    from graph.errors import InputError

    paths = sorted(SHAPES_DIR.glob("*.ttl"))
    for p in extra:
        if p.is_dir():
            found = sorted(p.glob("*.ttl"))
            if not found:
                raise InputError(f"{p}: no .ttl files", hint="--shapes takes Turtle files or folders of them")
            paths.extend(found)
        else:
            paths.append(p)
    contents = []
    for path in paths:
        try:
            contents.append(path.read_bytes())
        except OSError as exc:
            hint = "fix the file or leave it out of --shapes"
            raise InputError(f"{path}: cannot be read: {exc}", hint=hint) from None
    parts = [*contents, *_readers_key()]
    g, fingerprint = cache.cached("shapes", parts, lambda: _parse_shapes(paths, contents), _is_shapes)
    setattr(g, _FINGERPRINT, fingerprint)  # see shapes_fingerprint
    return g


def _readers_key() -> list[bytes]:
    """What decides the reader names :func:`with_registered_sources` adds: the built-in readers
    are a matter of trialgraph's code (which the cache's digest covers), plug-in readers are
    imported to learn their names (the built-in ones are not, for a command that reads none)."""
    from graph.sources import formats, plugins

    named = plugins()
    return [b"plugins", *(m.encode() for m in named), *(n.encode() for n in (formats() if named else ()))]


def _parse_shapes(paths: list[Path], contents: list[bytes]) -> tuple[Graph, str]:
    """The shapes files in one graph, with the registered readers added, and its fingerprint."""
    from graph.errors import InputError
    from graph.store.terms import turtle_graph

    g = Graph()
    for path in paths:
        try:
            g += turtle_graph(path)
        except Exception as exc:  # a syntax error, or a file that cannot be read
            raise InputError(
                f"{path}: not valid Turtle: {exc}", hint="fix the file or leave it out of --shapes"
            ) from None
    added = with_registered_sources(g)
    return g, _with_code([*contents, *(name.encode() for name in added)])


def _is_shapes(found: object) -> bool:
    return (
        isinstance(found, tuple)
        and len(found) == 2
        and isinstance(found[0], Graph)
        and isinstance(found[1], str)
    )


def with_registered_sources(shapes: Graph) -> list[str]:
    """Add the name of every registered reader that the ``sh:in`` list of a source record's
    ``tg:sourceKind`` lacks (the shape file lists the built-in ones), so that a new register
    needs no change to a shape; the names added."""
    from rdflib.collection import Collection

    from graph.sources import formats

    added: list[str] = []
    for shape in set(shapes.subjects(SH.path, TG.sourceKind)):
        for head in list(shapes.objects(shape, SH["in"])):
            listed = Collection(shapes, head)  # type: ignore[arg-type]
            for name in formats():
                if Literal(name) not in listed:
                    listed.append(Literal(name))
                    added.append(name)
    return added


_FINGERPRINT = "_trialgraph_fingerprint"


def shapes_fingerprint(shapes: Graph) -> str:
    """A digest of a shapes graph and of the code that evaluates shapes: validation results kept
    for a record apply while it is unchanged.  For a graph :func:`shapes_graph` made, a digest of
    its files (cheap); for any other, of its triples with the blank nodes labelled from what they
    hold (a second or so)."""
    found = getattr(shapes, _FINGERPRINT, None)
    if found is None:
        from rdflib.compare import to_canonical_graph

        lines = sorted(f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in to_canonical_graph(shapes))
        found = _with_code([("\n".join(lines)).encode("utf-8", "surrogatepass")])
    return str(found)


def _with_code(parts: list[bytes]) -> str:
    from graph.constants import PACKAGE_DIR
    from graph.digest import hex_digest

    engine = sorted((PACKAGE_DIR / "fastvalidate").glob("*.py"))
    code = [path.read_bytes() for path in (*engine, PACKAGE_DIR / "validate.py")]
    return hex_digest((*parts, *code))


# -- the data as the store holds it --------------------------------------------------------------


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


# -- findings, shared by both engines ------------------------------------------------------------


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


# -- attribution ---------------------------------------------------------------------------------


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


def attribute(finding: Finding, owners: Iterable[tuple[str, str]]) -> list[Issue]:
    """One issue per trial and source file holding the finding's focus node.  A node no record
    holds (or a record without a trial) is reported under the node itself."""
    pairs = sorted(set(owners)) or [("", "")]
    return [
        Issue(
            severity=finding.severity,
            trial=trial or finding.focus,
            field=finding.field,
            value=finding.value,
            rule=finding.rule,
            message=finding.message,
            focus=finding.focus,
            source=source,
        )
        for trial, source in pairs
    ]


def sorted_issues(issues: Iterable[Issue]) -> list[Issue]:
    """Deduplicated, in report order: the form both engines are compared in."""
    return sorted(set(issues), key=Issue.sort_key)


# -- the reference engine ------------------------------------------------------------------------


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
