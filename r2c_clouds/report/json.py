"""The JSON report, schema ``r2c_clouds/report/v1`` (documented in docs/report-format.md).

The output is deterministic for a given scan: findings are in :attr:`Finding.sort_key`
order, chains by symptom, checklist items in checklist order, ``not_checked`` sorted,
and dictionary keys of counts sorted. Only ``generated_at`` and ``stats.duration_s``
change between two runs over the same input.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from r2c_clouds.model.findings import ChecklistItem, Evidence, Finding

#: The JSON report's schema id (documented in docs/report-format.md).
SCHEMA = "r2c_clouds/report/v1"

if TYPE_CHECKING:
    from r2c_clouds.report._report import Report

__all__ = ["checklist_dicts", "evidence_dict", "finding_dict", "render_json", "report_dict"]


def evidence_dict(ev: Evidence) -> dict[str, Any]:
    """One evidence entry as plain data."""
    return {"source": ev.source, "ref": ev.ref, "detail": ev.detail, "time": ev.time}


def finding_dict(f: Finding) -> dict[str, Any]:
    """One finding as plain data (schema v1)."""
    return {
        "id": f.id,
        "rule": f.rule,
        "loop": f.loop.value,
        "severity": f.severity.label,
        "subject": {"kind": f.subject.kind, "namespace": f.subject.namespace, "name": f.subject.name},
        "message": f.message,
        "evidence": [evidence_dict(e) for e in f.evidence],
        "caused_by": list(f.caused_by),
        "remediation": f.remediation,
        "docs": f.docs,
    }


def checklist_dicts(items: Iterable[ChecklistItem]) -> list[dict[str, Any]]:
    """Checklist items as plain data (schema v1), in checklist order."""
    return [
        {
            "item": c.item,
            "title": c.title,
            "status": c.status.value,
            "evidence": [evidence_dict(e) for e in c.evidence],
            "checks": [{"name": name, "status": status.value} for name, status in c.checks],
        }
        for c in items
    ]


def report_dict(report: Report) -> dict[str, Any]:
    """The report as plain data in schema ``r2c_clouds/report/v1``.

    Args:
        report: the result of :func:`r2c_clouds.scan`.

    Returns:
        A dict of str/int/float/bool/None/list/dict only, ready for ``json.dumps``.

    .. versionadded:: 0.1
    """
    cluster = report.cluster
    facts = report.facts
    findings = sorted(report.findings, key=lambda f: f.sort_key)
    chains = sorted(report.chains, key=lambda c: (c.symptom, c.path))
    not_checked = sorted({(nc.what, nc.reason) for nc in report.not_checked})
    return {
        "schema": SCHEMA,
        "cluster": {
            "name": cluster.name or (facts.cluster_name if facts is not None else None),
            "source": cluster.source,
            "server_version": cluster.server_version,
            "provider": facts.provider if facts is not None else None,
            "region": facts.region if facts is not None else None,
            "scope": {
                "namespaces": None if cluster.scope.namespaces is None else list(cluster.scope.namespaces),
                "selector": str(cluster.scope.selector) if cluster.scope.selector is not None else None,
            },
        },
        "generated_at": report.generated_at,
        "scan_id": report.scan_id,
        "findings": [finding_dict(f) for f in findings],
        "chains": [
            {
                "symptom": c.symptom,
                "root_causes": list(c.root_causes),
                "path": list(c.path),
                "loops": [loop.value for loop in c.loops],
                "summary": c.summary,
            }
            for c in chains
        ],
        "checklist": checklist_dicts(report.checklist),
        "not_checked": [{"what": what, "reason": reason} for what, reason in not_checked],
        "not_applicable": [{"rule": nc.what, "reason": nc.reason} for nc in sorted(report.not_applicable, key=lambda n: n.what)],
        "incomplete": [{"what": nc.what, "reason": nc.reason} for nc in sorted(report.incomplete, key=lambda n: (n.what, n.reason))],
        "suppressed": [
            {"finding": finding_dict(sup.finding), "reason": sup.reason, "source": sup.source,
             "expires": sup.expires.isoformat() if sup.expires else None}
            for sup in sorted(report.suppressed, key=lambda sp: sp.finding.sort_key)
        ],
        "exceptions": {
            "expired": [_entry(e) for e in report.expired_exceptions],
            "stale": [_entry(e) for e in report.stale_exceptions],
        },
        "stats": {
            "objects": dict(sorted(report.stats.objects.items())),
            "api_calls": dict(sorted(report.stats.api_calls.items())),
            "duration_s": report.stats.duration_s,
            "skipped": dict(sorted(report.stats.skipped.items())),
        },
    }


def _entry(e: Any) -> dict[str, Any]:
    return {"rules": list(e.rules), "reason": e.reason, "source": e.source,
            "expires": e.expires.isoformat() if e.expires else None}


def render_json(report: Report, indent: int | None = 2) -> str:
    """The JSON report as text (UTF-8, non-ASCII kept, trailing newline).

    Args:
        report: the result of :func:`r2c_clouds.scan`.
        indent: spaces per level; ``None`` for one compact line.

    .. versionadded:: 0.1
    """
    separators = (",", ":") if indent is None else (",", ": ")
    return json.dumps(report_dict(report), indent=indent, ensure_ascii=False, separators=separators) + "\n"


def render_yaml(report: Report) -> str:
    """The JSON report's content as YAML (block style, keys in the JSON report's order).

    .. versionadded:: 0.2
    """
    import yaml

    dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text: str = yaml.dump(report_dict(report), Dumper=dumper, sort_keys=False, allow_unicode=True, width=100)
    return text
