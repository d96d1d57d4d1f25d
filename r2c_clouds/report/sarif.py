"""SARIF 2.1.0 output, for code-scanning dashboards and CI annotations.

Each finding becomes a ``result`` whose location is a *logical* location: the Kubernetes
object (``Pod/shop/api-7d9``), since cluster objects have no file and line. The stable
finding id goes into ``partialFingerprints`` so dashboards track a finding across scans.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from r2c_clouds import __version__
from r2c_clouds.model.findings import Finding, Severity

if TYPE_CHECKING:
    from r2c_clouds.report._report import Report

__all__ = ["SARIF_SCHEMA", "level", "render_sarif", "sarif_dict"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://pypi.org/project/r2c_clouds/"

_LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}


def level(severity: Severity) -> str:
    """The SARIF level of a severity: critical/high → error, medium → warning, else note."""
    return _LEVEL[severity]


def _rule_name(rule_id: str) -> str:
    """``storage.zone-conflict`` → ``StorageZoneConflict`` (SARIF names are identifiers)."""
    return "".join(part.capitalize() for part in rule_id.replace(".", "-").split("-"))


def _rules(findings: tuple[Finding, ...]) -> list[dict[str, Any]]:
    from r2c_clouds.rules import REGISTRY

    out: dict[str, dict[str, Any]] = {}
    for rid, (spec, _) in sorted(REGISTRY.items()):
        out[rid] = {
            "id": rid,
            "name": _rule_name(rid),
            "shortDescription": {"text": spec.title},
            "fullDescription": {"text": f"{spec.rationale} {spec.remediation}".strip() or spec.title},
            "helpUri": spec.docs,
            "help": {"text": spec.remediation or spec.title},
            "defaultConfiguration": {"level": level(spec.severity)},
            "properties": {"loop": spec.loop.value, "severity": spec.severity.label, "symptom": spec.symptom},
        }
    for f in findings:  # findings of rules registered elsewhere (plugins, tests)
        if f.rule not in out:
            out[f.rule] = {
                "id": f.rule,
                "name": _rule_name(f.rule),
                "shortDescription": {"text": f.rule},
                "fullDescription": {"text": f.remediation or f.rule},
                "helpUri": f.docs,
                "defaultConfiguration": {"level": level(f.severity)},
                "properties": {"loop": f.loop.value},
            }
    rules = [out[k] for k in sorted(out)]
    for r in rules:
        if not r["helpUri"]:
            del r["helpUri"]
    return rules


def _result(f: Finding, index: dict[str, int]) -> dict[str, Any]:
    text = f.message if not f.remediation else f"{f.message} Fix: {f.remediation}"
    return {
        "ruleId": f.rule,
        "ruleIndex": index[f.rule],
        "level": level(f.severity),
        "message": {"text": text},
        "locations": [
            {
                "logicalLocations": [
                    {
                        "fullyQualifiedName": str(f.subject),
                        "name": f.subject.name,
                        "kind": "resource",
                    }
                ]
            }
        ],
        "partialFingerprints": {"r2cFindingId/v1": f.id},
        "properties": {
            "loop": f.loop.value,
            "severity": f.severity.label,
            "subjectKind": f.subject.kind,
            "causedBy": list(f.caused_by),
            "evidence": [
                {"source": e.source, "ref": e.ref, "detail": e.detail, "time": e.time} for e in f.evidence
            ],
        },
    }


def sarif_dict(report: Report) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log (plain data).

    .. versionadded:: 0.1
    """
    findings = tuple(sorted(report.findings, key=lambda f: f.sort_key))
    rules = _rules(findings)
    index = {r["id"]: i for i, r in enumerate(rules)}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "r2c_clouds",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"r2c_clouds/{report.cluster.name or 'cluster'}/"},
                "results": [_result(f, index) for f in findings],
                "properties": {"cluster": report.cluster.name, "source": report.cluster.source},
            }
        ],
    }


def render_sarif(report: Report) -> str:
    """SARIF 2.1.0 as JSON text.

    Args:
        report: the result of :func:`r2c_clouds.scan`.

    .. versionadded:: 0.1
    """
    return json.dumps(sarif_dict(report), indent=2, ensure_ascii=False) + "\n"
