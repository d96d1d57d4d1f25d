"""The Report: everything one scan found, and the ways to render it."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from attrs import field, frozen

from r2c_clouds.exceptions import ExceptionEntry, Suppressed
from r2c_clouds.model.cloud import CloudFacts, NotChecked
from r2c_clouds.model.cluster import ClusterState
from r2c_clouds.model.findings import Chain, ChecklistItem, Finding, ObjectRef, Severity
from r2c_clouds.report.json import SCHEMA

if TYPE_CHECKING:
    from r2c_clouds.report.explain import Explanation

__all__ = ["SCHEMA", "Report", "Stats"]



@frozen
class Stats:
    """Counts and timings of one scan.

    Args:
        objects: Kubernetes objects per kind.
        api_calls: cloud API calls per operation.
        duration_s: wall time of the whole scan.
        skipped: objects of kinds no rule reads (``HTTPRoute``, ``ReplicaSet``), per kind:
            read from the source, then left out.
    """

    objects: dict[str, int] = field(factory=dict)
    api_calls: dict[str, int] = field(factory=dict)
    duration_s: float = 0.0
    skipped: dict[str, int] = field(factory=dict)


@frozen
class Report:
    """The result of :func:`r2c_clouds.scan`.

    Attributes:
        cluster: the scanned cluster state.
        facts: the cloud facts used (``None`` when scanned without a cloud).
        findings: every finding, most severe first.
        chains: cause chains from symptoms to root causes.
        checklist: the Cluster Readiness Checklist.
        not_checked: what could not be checked, and why.
        stats: counts and timings.
        generated_at: RFC 3339 UTC time of the scan.
        incomplete: the Kubernetes kinds the selected rules need that could not be read
            (forbidden, server error, timeout...): a scan with any is *incomplete* (the CLI
            exits 4 unless ``--allow-partial``). Empty when the scan is complete.
        suppressed: findings an exception accepted (file or annotation), with the reason
            and where it was written: not in ``findings``, not in the verdict, still shown.
        expired_exceptions: exceptions past their date that matched a finding (it counts again).
        stale_exceptions: exceptions from the file that matched no finding.
        not_applicable: rules that judge a running cluster, on manifests (``-f``): neither a
            pass nor *not checked*.
        scan_id: this scan's own id (a random UUID, hex): what the store files it under, so
            recording the same report twice keeps one copy.
    """

    cluster: ClusterState
    facts: CloudFacts | None
    findings: tuple[Finding, ...]
    chains: tuple[Chain, ...]
    checklist: tuple[ChecklistItem, ...]
    not_checked: tuple[NotChecked, ...]
    stats: Stats
    generated_at: str
    incomplete: tuple[NotChecked, ...] = ()
    suppressed: tuple[Suppressed, ...] = ()
    expired_exceptions: tuple[ExceptionEntry, ...] = ()
    stale_exceptions: tuple[ExceptionEntry, ...] = ()
    scan_id: str = field(factory=lambda: uuid.uuid4().hex)
    not_applicable: tuple[NotChecked, ...] = ()

    def finding(self, finding_id: str) -> Finding:
        """A finding by id.

        Raises:
            KeyError: no such finding.
        """
        for f in self.findings:
            if f.id == finding_id:
                return f
        raise KeyError(finding_id)

    def findings_for(self, subject: ObjectRef | str) -> tuple[Finding, ...]:
        """Findings whose subject is ``subject`` (``"Pod/shop/api-7d9"`` or an ObjectRef)."""
        ref = ObjectRef.parse(subject) if isinstance(subject, str) else subject
        return tuple(f for f in self.findings if f.subject == ref)

    def at_or_above(self, severity: Severity | str) -> tuple[Finding, ...]:
        """Findings at or above a severity."""
        sev = Severity.parse(severity) if isinstance(severity, str) else severity
        return tuple(f for f in self.findings if f.severity >= sev)

    def explain(self, subject: ObjectRef | str) -> Explanation:
        """The cause chain and timeline of one object (``"Pod/shop/api-7d9"``).

        Raises:
            r2c_clouds.errors.BadInputError: the reference is malformed.
            r2c_clouds.errors.ObjectNotFoundError: the cluster holds no such object and no
                finding names it (a ``LookupError`` too).
        """
        from r2c_clouds.report.explain import explain

        return explain(self, subject)

    # ------------------------------------------------------------------ renderers

    def to_dict(self) -> dict[str, Any]:
        """The report as plain data in schema ``r2c_clouds/report/v1``."""
        from r2c_clouds.report.json import report_dict

        return report_dict(self)

    def to_json(self, *, indent: int | None = 2) -> str:
        """The JSON report (schema ``r2c_clouds/report/v1``)."""
        from r2c_clouds.report.json import render_json

        return render_json(self, indent=indent)

    def render(self, fmt: str, *, fail_on: Severity | str = Severity.HIGH) -> str:
        """The report in one of the ``r2c scan -o`` formats: ``text``, ``json``, ``yaml``,
        ``sarif``, ``junit``, ``markdown``, ``html``, ``openmetrics``.

        Raises:
            ValueError: an unknown format.
        """
        if fmt == "text":
            return self.to_text()
        if fmt == "json":
            return self.to_json()
        if fmt == "yaml":
            return self.to_yaml()
        if fmt == "sarif":
            return self.to_sarif()
        if fmt == "junit":
            return self.to_junit(fail_on=fail_on)
        if fmt == "markdown":
            return self.to_markdown(fail_on=fail_on)
        if fmt == "html":
            return self.to_html()
        if fmt == "openmetrics":
            return self.to_openmetrics()
        raise ValueError(f"unknown report format {fmt!r}")

    def to_junit(self, *, fail_on: Severity | str = Severity.HIGH) -> str:
        """JUnit XML for CI test reports: a testsuite per loop, a failure per finding at or
        above ``fail_on``, a skipped test per rule that could not be checked."""
        from r2c_clouds.report.junit import render_junit

        return render_junit(self, fail_on)

    def to_yaml(self) -> str:
        """The JSON report's content as YAML (same schema, ``r2c_clouds/report/v1``)."""
        from r2c_clouds.report.json import render_yaml

        return render_yaml(self)

    def to_markdown(self, *, fail_on: Severity | str = Severity.HIGH, limit: int = 65_536) -> str:
        """A pull-request comment: summary, cause chains, the findings that matter, within
        ``limit`` characters (GitHub's comment limit by default)."""
        from r2c_clouds.report.markdown import render_markdown

        return render_markdown(self, fail_on=fail_on, limit=limit)

    def to_openmetrics(self) -> str:
        """Findings counts by rule, severity and namespace in the OpenMetrics text format, for
        a node-exporter textfile collector or a Pushgateway."""
        from r2c_clouds.report.openmetrics import render_openmetrics

        return render_openmetrics(self)

    def to_sarif(self) -> str:
        """SARIF 2.1.0 for code-scanning dashboards."""
        from r2c_clouds.report.sarif import render_sarif

        return render_sarif(self)

    def to_html(self) -> str:
        """A self-contained HTML page."""
        from r2c_clouds.report.html import render_html

        return render_html(self)

    def to_text(self, *, color: bool = False, width: int = 100) -> str:
        """The human-readable text report (grouped by loop, chains drawn)."""
        from r2c_clouds.report.text import render_text

        return render_text(self, color=color, width=width)

    def to_dataframe(self) -> Any:
        """Findings as a pandas DataFrame (needs pandas: ``pip install 'r2c_clouds[pandas]'``)."""
        from r2c_clouds.report.frame import to_dataframe

        return to_dataframe(self)

    def chains_frame(self) -> Any:
        """One row per finding of each chain (chain number, step, role, loop, severity,
        subject, rule), as a pandas DataFrame (needs pandas)."""
        from r2c_clouds.report.frame import chains_frame

        return chains_frame(self)

    def checklist_frame(self) -> Any:
        """The Cluster Readiness Checklist, one row per line, as a pandas DataFrame."""
        from r2c_clouds.report.frame import checklist_frame

        return checklist_frame(self)

    def not_checked_frame(self) -> Any:
        """What was not checked and why, one row each, as a pandas DataFrame."""
        from r2c_clouds.report.frame import not_checked_frame

        return not_checked_frame(self)

    def __repr__(self) -> str:
        counts = ", ".join(
            f"{n} {sev.label}" for sev in sorted(Severity, reverse=True)
            if (n := sum(1 for f in self.findings if f.severity is sev))
        )
        name = self.cluster.name or (self.facts.cluster_name if self.facts is not None else None) or self.cluster.source
        extra = f", {len(self.suppressed)} excepted" if self.suppressed else ""
        return (
            f"<Report {name}: {len(self.findings)} findings ({counts or 'none'}), {len(self.chains)} chains, "
            f"{len(self.not_checked)} not checked{extra}>"
        )

    def _repr_html_(self) -> str:
        from r2c_clouds.report.html import report_fragment

        return report_fragment(self)

    def __rich__(self) -> Any:
        from r2c_clouds.report.text import rich_renderable

        return rich_renderable(self)
