"""Findings counts in the OpenMetrics text format (``r2c scan -o openmetrics``).

For a node-exporter textfile collector (write to ``*.prom`` with ``--output-file``) or a
Pushgateway: ``r2c_findings`` by rule, loop, severity and namespace (cluster-scoped subjects
have ``namespace=""``), ``r2c_not_checked`` by what, ``r2c_scan_incomplete``,
``r2c_scan_duration_seconds`` and ``r2c_scan_timestamp_seconds``.
"""

from __future__ import annotations

import calendar
import time
from collections import Counter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from r2c_clouds.report._report import Report

__all__ = ["render_openmetrics"]


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render_openmetrics(report: Report) -> str:
    """The metrics, ending with ``# EOF`` as the format requires.

    .. versionadded:: 0.2
    """
    cluster = _label(report.cluster.name or (report.facts.cluster_name if report.facts else None) or "")
    counts: Counter[tuple[str, str, str, str]] = Counter(
        (f.rule, f.loop.value, f.severity.label, f.subject.namespace or "") for f in report.findings
    )
    lines = [
        "# TYPE r2c_findings gauge",
        "# HELP r2c_findings Findings of the last scan, by rule, loop, severity and namespace.",
    ]
    for (rule, loop, severity, ns), n in sorted(counts.items()):
        lines.append(
            f'r2c_findings{{cluster="{cluster}",rule="{_label(rule)}",loop="{loop}",severity="{severity}",'
            f'namespace="{_label(ns)}"}} {n}'
        )
    not_checked: Counter[str] = Counter(nc.what for nc in report.not_checked)
    lines += ["# TYPE r2c_not_checked gauge", "# HELP r2c_not_checked What the last scan could not check, by what."]
    lines += [f'r2c_not_checked{{cluster="{cluster}",what="{_label(w)}"}} {n}' for w, n in sorted(not_checked.items())]
    generated = calendar.timegm(time.strptime(report.generated_at, "%Y-%m-%dT%H:%M:%SZ"))
    lines += [
        "# TYPE r2c_scan_incomplete gauge",
        "# HELP r2c_scan_incomplete 1 when kinds the rules need could not be read.",
        f'r2c_scan_incomplete{{cluster="{cluster}"}} {1 if report.incomplete else 0}',
        "# TYPE r2c_scan_duration_seconds gauge",
        "# HELP r2c_scan_duration_seconds Wall time of the last scan.",
        f'r2c_scan_duration_seconds{{cluster="{cluster}"}} {report.stats.duration_s}',
        "# TYPE r2c_scan_timestamp_seconds gauge",
        "# HELP r2c_scan_timestamp_seconds When the last scan ran (Unix time).",
        f'r2c_scan_timestamp_seconds{{cluster="{cluster}"}} {generated}',
        "# EOF",
    ]
    return "\n".join(lines) + "\n"
