"""The report model of validation: one severity scale, the :class:`Finding` an engine makes,
the :class:`Issue` a report lists (a finding in one trial and one source file), and the
:class:`Report` ``trialgraph validate`` writes (in each format by :mod:`graph.validate.render`).

One severity scale serves SHACL results and QC queries: ``violation`` fails, ``warning`` and
``info`` are reported (``--fail-on`` moves the line).  Each issue names the trial, the field, the
value, the rule and the message, so a data steward can act on it without knowing SHACL.

Plain data: this module imports no RDF library, so that the renderers' registry can be read by
``trialgraph --help`` without loading one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

SEVERITIES = ("info", "warning", "violation")


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
