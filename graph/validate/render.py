"""Validation reports in the formats ``trialgraph validate --format`` writes, registered by name
(:data:`RENDERERS`): text for people (coloured on a terminal), stable JSON, JUnit XML and GitHub
workflow annotations.  A new format is a function and its :func:`renderer` registration beside
it; the CLI's ``--format`` choices are the registry's names."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

from graph.constants import ID_NS, VOCAB_NS

if TYPE_CHECKING:  # `trialgraph --help` reads the names of the renderers, and loads no more
    from graph.validate.report import Issue, Report


@dataclass(frozen=True)
class RenderOptions:
    """What a renderer may take into account besides the report."""

    #: lowest severity that fails (JUnit failures, GitHub errors)
    fail_on: str = "violation"
    #: every trial checked, so that a trial without issues is a passing JUnit test case
    trials: Iterable[str] = ()
    #: colour the text (``None``: when standard output is a terminal)
    colour: bool | None = None


Renderer = Callable[["Report", RenderOptions], str]
#: The report renderers by name, in the order ``--format`` lists them.
RENDERERS: dict[str, Renderer] = {}


def renderer(name: str, write: Renderer) -> None:
    """Register ``write`` as the report format ``name``."""
    RENDERERS[name] = write


_COLOURS = {"violation": "red", "warning": "yellow", "info": "cyan"}


def display_value(value: str) -> str:
    """Values as a steward reads them: ``COMPLETED`` for a vocabulary concept, ``country/XX`` for
    a trialgraph IRI; everything else as it is."""
    if value.startswith(VOCAB_NS):
        return value.rsplit("/", 1)[-1]
    if value.startswith(ID_NS):
        return value[len(ID_NS) :]
    return value


def issue_line(i: Issue) -> str:
    """``NCT02849613: id = NCT123: An NCT number is ... [NctIdShape/Pattern] (data/x.yaml)``.
    Without a value, a node other than the trial itself is named (``MeSH of
    condition/stroke``), so the line says where the problem is."""
    what = i.field or "node"
    if i.value:
        what += f" = {_short(display_value(i.value))}"
    elif i.focus and not _is_trial_iri(i.focus) and i.focus != i.trial:
        what += f" of {_short(display_value(i.focus))}"
    where = f" ({i.source})" if i.source else ""
    return f"{i.trial}: {what}: {i.message} [{i.rule}]{where}"


def _is_trial_iri(text: str) -> bool:
    prefix = ID_NS + "trial/"
    return text.startswith(prefix) and "/" not in text[len(prefix) :]


def render_text(report: Report, *, colour: bool | None = None) -> str:
    """Issues grouped by trial, worst first; coloured on a terminal, plain when piped.  Plain
    text is written as it is; coloured text goes through rich once, as one ``Text`` (a print
    per line costs about half a millisecond: seconds for the thousands of warnings of a
    registry-size store)."""
    from rich.console import Console
    from rich.text import Text

    console = Console(force_terminal=colour, no_color=colour is False, highlight=False, width=10_000, record=True)
    plain = colour is False or not console.is_terminal
    text = Text()
    lines: list[str] = []
    for n, items in enumerate(report.by_trial().values()):
        if n:
            lines.append("")
            text.append("\n")
        for i in items:
            if plain:
                lines.append(f"{i.severity:<9} {issue_line(i)}")
            else:
                text.append(f"{i.severity:<9}", style=_COLOURS[i.severity])
                text.append(f" {issue_line(i)}\n")
    counts = report.counts()
    if report.issues:
        lines.append("")
    total = (
        f"{report.checked_trials} trials checked: {counts['violation']} violations, "
        f"{counts['warning']} warnings, {counts['info']} infos"
        + (f"; {len(report.quarantined)} records quarantined" if report.quarantined else "")
    )
    if plain:
        return "\n".join([*lines, total]) + "\n"
    text.append("\n" if report.issues else "")
    text.append(total)
    with console.capture() as cap:
        console.print(text, soft_wrap=True)
    return cap.get()


renderer("text", lambda r, o: render_text(r, colour=sys.stdout.isatty() if o.colour is None else o.colour))


def _short(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


JSON_VERSION = 1


def render_json(report: Report) -> str:
    """Stable JSON (documented in ``docs/validation.md``)::

    {"version": 1, "summary": {"trials_checked", "violation", "warning", "info", "quarantined"},
     "trials": {trial: [issue, ...]}, "quarantined": [{"record", "file"}, ...]}

    Trials are sorted, issues sorted within a trial (worst first), keys in a fixed order.
    """
    from graph.validate.report import SEVERITIES

    doc = {
        "version": JSON_VERSION,
        "summary": {
            "trials_checked": report.checked_trials,
            **{name: report.counts()[name] for name in reversed(SEVERITIES)},
            "quarantined": len(report.quarantined),
        },
        "trials": {t: [i.as_dict() for i in items] for t, items in report.by_trial().items()},
        "quarantined": report.quarantined,
    }
    return json.dumps(doc, indent=2, ensure_ascii=False)


renderer("json", lambda r, o: render_json(r))


def render_junit(report: Report, trials: Iterable[str] = (), fail_on: str = "violation") -> str:
    """JUnit XML: one test suite, one test case per trial (trials without issues pass);
    results at or above ``fail_on`` are one ``<failure>``, the rest go to ``<system-out>``."""
    from graph.validate.report import severity_rank

    groups = report.by_trial()
    names = sorted(set(trials) | set(groups))
    suites = ET.Element("testsuites", name="trialgraph validate")
    suite = ET.SubElement(
        suites, "testsuite", name="trialgraph.validate", tests=str(len(names)), errors="0", skipped="0"
    )
    failures = 0
    for name in names:
        case = ET.SubElement(suite, "testcase", classname="trialgraph.validate", name=name)
        items = groups.get(name, [])
        bad = [i for i in items if severity_rank(i.severity) >= severity_rank(fail_on)]
        if bad:
            failures += 1
            f = ET.SubElement(
                case,
                "failure",
                message=f"{len(bad)} problem(s): {bad[0].field}: {bad[0].message}",
                type=bad[0].severity,
            )
            f.text = "\n".join(f"{i.severity}: {issue_line(i)}" for i in bad)
        rest = [i for i in items if i not in bad]
        if rest:
            out = ET.SubElement(case, "system-out")
            out.text = "\n".join(f"{i.severity}: {issue_line(i)}" for i in rest)
    suite.set("failures", str(failures))
    suites.set("tests", str(len(names)))
    suites.set("failures", str(failures))
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


renderer("junit", lambda r, o: render_junit(r, o.trials, o.fail_on))


def render_github(report: Report, fail_on: str = "violation") -> str:
    """GitHub Actions workflow commands (``::error file=...,title=...::message``).  Results at or
    above ``fail_on`` are errors; below it, warnings stay warnings and infos are notices."""
    from graph.validate.report import severity_rank

    lines = []
    for i in sorted(set(report.issues), key=lambda i: i.sort_key()):
        if severity_rank(i.severity) >= severity_rank(fail_on):
            level = "error"
        else:
            level = "warning" if i.severity != "info" else "notice"
        props = f"title={_gh_prop(i.trial + ': ' + (i.field or 'node'))}"
        if i.source:
            props = f"file={_gh_prop(i.source)}," + props
        lines.append(f"::{level} {props}::{_gh_data(issue_line(i))}")
    return "\n".join(lines) + ("\n" if lines else "")


renderer("github", lambda r, o: render_github(r, o.fail_on))


def _gh_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_prop(text: str) -> str:
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def render(
    report: Report, fmt: str, *, fail_on: str = "violation", trials: Iterable[str] = (), colour: bool | None = None
) -> str:
    """``report`` in the registered format ``fmt``."""
    if fmt not in RENDERERS:
        raise ValueError(fmt)
    return RENDERERS[fmt](report, RenderOptions(fail_on, trials, colour))
