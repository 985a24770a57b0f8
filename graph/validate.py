"""SHACL validation with pyshacl, and reports that read like a linter's.

One severity scale serves SHACL results and QC queries: ``violation`` fails, ``warning`` and
``info`` are reported (``--fail-on`` moves the line).  Each result names the trial, the field, the
value, the rule and the message.
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from rdflib import RDF, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, SH
from rdflib.term import Node

from graph.constants import SHAPES_DIR
from graph.namespace import TG

SEVERITIES = ("info", "warning", "violation")
_SH_SEVERITY = {SH.Violation: "violation", SH.Warning: "warning", SH.Info: "info"}


def severity_rank(name: str) -> int:
    return SEVERITIES.index(name)


@dataclass(frozen=True)
class Issue:
    """One validation result."""

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

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(SEVERITIES, 0)
        for i in self.issues:
            out[i.severity] += 1
        return out

    def by_trial(self) -> dict[str, list[Issue]]:
        groups: dict[str, list[Issue]] = defaultdict(list)
        for i in sorted(self.issues, key=lambda i: (i.trial, -severity_rank(i.severity), i.field, i.message)):
            groups[i.trial].append(i)
        return dict(groups)


def shapes_graph(extra: Sequence[Path] = ()) -> Graph:
    """The built-in shapes plus any ``--shapes`` folders or files."""
    g = Graph()
    paths = sorted(SHAPES_DIR.glob("*.ttl"))
    for p in extra:
        paths.extend(sorted(p.glob("*.ttl")) if p.is_dir() else [p])
    for path in paths:
        g.parse(path, format="turtle")
    return g


def _label(node: Node | None, shapes: Graph) -> str:
    if node is None:
        return ""
    if isinstance(node, URIRef):
        text = str(node)
        for sep in ("#", "/"):
            if sep in text:
                text = text.rsplit(sep, 1)[-1]
        return text
    return str(node)


def _trial_of(focus: Node, data: Graph, trial_ids: dict[URIRef, str]) -> str:
    """The trial a focus node belongs to: itself, the trial whose IRI prefixes it (arms,
    outcomes, participations), or a trial linking to it (sites, organisations, identifiers)."""
    if focus in trial_ids:
        return trial_ids[focus]
    text = str(focus)
    for trial, tid in trial_ids.items():
        if text.startswith(str(trial) + "/"):
            return tid
    linked = sorted({trial_ids[s] for s, _p in data.subject_predicates(focus) if s in trial_ids})
    if not linked:
        # two hops: trial -> participation -> organisation
        for s, _p in data.subject_predicates(focus):
            linked = sorted({trial_ids[t] for t, _ in data.subject_predicates(s) if t in trial_ids})
            if linked:
                break
    return ", ".join(linked) if linked else text


def issues_from_results(results: Graph, data: Graph, shapes: Graph, source: str = "") -> list[Issue]:
    trial_ids = {URIRef(t): str(i) for t, i in data.subject_objects(DCTERMS.identifier) if isinstance(t, URIRef)}
    for t in data.subjects(RDF.type, TG.Trial):
        if isinstance(t, URIRef) and t not in trial_ids:
            trial_ids[t] = str(t)
    out: list[Issue] = []
    for r in results.subjects(RDF.type, SH.ValidationResult):
        focus = results.value(r, SH.focusNode)
        path = results.value(r, SH.resultPath)
        shape = results.value(r, SH.sourceShape)
        name = shapes.value(shape, SH.name) if shape is not None else None
        value = results.value(r, SH.value)
        component = results.value(r, SH.sourceConstraintComponent)
        message = results.value(r, SH.resultMessage)
        sev = _SH_SEVERITY.get(results.value(r, SH.resultSeverity), "violation")  # type: ignore[arg-type]
        parent = shapes.value(predicate=SH.property, object=shape) if shape is not None else None
        rule = _label(parent if parent is not None else shape, shapes)
        if component is not None:
            rule += "/" + _label(component, shapes).removesuffix("ConstraintComponent")
        out.append(
            Issue(
                severity=sev,
                trial=_trial_of(focus, data, trial_ids) if focus is not None else "",
                field=str(name) if name else _label(path, shapes),
                value="" if value is None else str(value),
                rule=rule,
                message=str(message) if message else "",
                focus=str(focus or ""),
                source=source,
            )
        )
    return out


def validate_graph(data: Graph, shapes: Graph, ontology: Graph | None = None, source: str = "") -> list[Issue]:
    """Plain pyshacl over one graph.  ``ontology`` (classes, vocabularies) is mixed in for the
    check only and never written back into ``data``."""
    import pyshacl

    _conforms, results, _text = pyshacl.validate(
        data,
        shacl_graph=shapes,
        ont_graph=ontology,
        inference="none",
        advanced=True,
        allow_warnings=True,
        allow_infos=True,
    )
    return issues_from_results(results, data, shapes, source)


# -- rendering ---------------------------------------------------------------------------------

_COLOURS = {"violation": "red", "warning": "yellow", "info": "cyan"}


def render_text(report: Report, *, colour: bool | None = None) -> str:
    from rich.console import Console

    console = Console(
        file=None, force_terminal=colour, no_color=colour is False, highlight=False, width=200, record=True
    )
    with console.capture() as cap:
        for trial, items in report.by_trial().items():
            console.print(f"[bold]{_esc(trial)}[/bold]")
            for i in items:
                c = _COLOURS[i.severity]
                where = f" ({_esc(i.source)})" if i.source else ""
                val = f" = {_esc(_short(i.value))}" if i.value else ""
                console.print(
                    f"  [{c}]{i.severity:9}[/{c}] {_esc(i.field)}{val}: {_esc(i.message)} "
                    f"[dim]\\[{_esc(i.rule)}]{where}[/dim]"
                )
        counts = report.counts()
        console.print(
            f"{report.checked_trials} trials checked: {counts['violation']} violations, "
            f"{counts['warning']} warnings, {counts['info']} infos"
            + (f"; {len(report.quarantined)} records quarantined" if report.quarantined else "")
        )
    return cap.get()


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_json(report: Report) -> str:
    """Stable JSON: ``{"version": 1, "summary": {...}, "trials": {id: [issue, ...]},
    "quarantined": [...]}``; documented in ``docs/validation.md``."""
    doc = {
        "version": 1,
        "summary": {"trials_checked": report.checked_trials, **report.counts()},
        "trials": {t: [i.as_dict() for i in items] for t, items in report.by_trial().items()},
        "quarantined": report.quarantined,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False)


def render_junit(report: Report, trials: Iterable[str] = (), fail_on: str = "violation") -> str:
    """JUnit XML: one test case per trial; results at or above ``fail_on`` are failures."""
    groups = report.by_trial()
    names = sorted(set(trials) | set(groups))
    suite = ET.Element("testsuite", name="trialgraph.validate", tests=str(len(names)))
    failures = 0
    for name in names:
        case = ET.SubElement(suite, "testcase", classname="trialgraph", name=name)
        items = groups.get(name, [])
        bad = [i for i in items if severity_rank(i.severity) >= severity_rank(fail_on)]
        if bad:
            failures += 1
            f = ET.SubElement(case, "failure", message=f"{len(bad)} problem(s)", type=bad[0].severity)
            f.text = "\n".join(f"{i.severity}: {i.field}: {i.message} [{i.rule}] value={i.value}" for i in bad)
        rest = [i for i in items if i not in bad]
        if rest:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(f"{i.severity}: {i.field}: {i.message} [{i.rule}]" for i in rest)
    suite.set("failures", str(failures))
    return ET.tostring(ET.ElementTree(suite).getroot(), encoding="unicode", xml_declaration=True)


def render_github(report: Report, fail_on: str = "violation") -> str:
    """GitHub Actions workflow commands (``::error file=...::message``)."""
    lines = []
    level = {"violation": "error", "warning": "warning", "info": "notice"}
    for i in sorted(report.issues, key=lambda i: (i.trial, i.field)):
        props = f"title={_gh(i.trial)} {_gh(i.field)}"
        if i.source:
            props = f"file={_gh(i.source)}," + props
        lines.append(f"::{level[i.severity]} {props}::{_gh(i.message)} [{_gh(i.rule)}] value={_gh(i.value)}")
    return "\n".join(lines) + ("\n" if lines else "")


def _gh(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A").replace(",", "%2C").replace("::", "%3A%3A")


def render(report: Report, fmt: str, *, fail_on: str = "violation", trials: Iterable[str] = ()) -> str:
    if fmt == "text":
        return render_text(report, colour=sys.stdout.isatty())
    if fmt == "json":
        return render_json(report)
    if fmt == "junit":
        return render_junit(report, trials, fail_on)
    if fmt == "github":
        return render_github(report, fail_on)
    raise ValueError(fmt)
