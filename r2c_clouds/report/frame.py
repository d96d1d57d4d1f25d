"""Findings as a pandas DataFrame, for notebooks.

pandas is an optional extra (``pip install 'r2c_clouds[pandas]'``) and is imported only
when :func:`to_dataframe` is called.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from r2c_clouds.errors import R2CError

if TYPE_CHECKING:
    from r2c_clouds.report._report import Report

__all__ = [
    "COLUMNS",
    "MissingDependencyError",
    "chains_frame",
    "checklist_frame",
    "not_checked_frame",
    "to_dataframe",
]

#: The DataFrame's columns, in order.
COLUMNS = (
    "id",
    "rule",
    "loop",
    "severity",
    "severity_level",
    "kind",
    "namespace",
    "name",
    "subject",
    "message",
    "evidence",
    "caused_by",
    "remediation",
    "docs",
)

INSTALL_HINT = "pip install 'r2c_clouds[pandas]'"


class MissingDependencyError(R2CError, ImportError):
    """An optional dependency (an extra) is not installed."""


#: Severity labels, least severe first: the order of the ``severity`` categorical.
SEVERITY_ORDER = ("info", "low", "medium", "high", "critical")
#: Loops in the report's order: the order of the ``loop`` categorical.
LOOP_ORDER = ("identity", "compute", "network", "storage", "observability")


def _pandas(what: str) -> Any:
    try:
        return importlib.import_module("pandas")
    except ImportError as exc:
        raise MissingDependencyError(f"{what}() needs pandas, which is not installed", remediation=INSTALL_HINT) from exc


def _ordered(pd: Any, frame: Any) -> Any:
    """``severity`` and ``loop`` as ordered categoricals, so sorting and comparing follow
    meaning (``df[df.severity >= "high"]``), not the alphabet."""
    if "severity" in frame:
        frame["severity"] = pd.Categorical(frame["severity"], categories=SEVERITY_ORDER, ordered=True)
    if "loop" in frame:
        frame["loop"] = pd.Categorical(frame["loop"], categories=LOOP_ORDER, ordered=True)
    return frame


def to_dataframe(report: Report) -> Any:
    """One row per finding, most severe first.

    Columns: see :data:`COLUMNS`; ``severity`` and ``loop`` are ordered categoricals
    (``df.sort_values("severity")``, ``df[df.severity >= "high"]`` follow severity, not the
    alphabet), ``evidence`` holds a list of ``"ref: detail"`` strings and ``severity_level``
    the numeric severity (4 = critical).

    Raises:
        MissingDependencyError: pandas is not installed.

    .. versionadded:: 0.1
    """
    pd = _pandas("to_dataframe")
    rows = [
        {
            "id": f.id,
            "rule": f.rule,
            "loop": f.loop.value,
            "severity": f.severity.label,
            "severity_level": int(f.severity),
            "kind": f.subject.kind,
            "namespace": f.subject.namespace,
            "name": f.subject.name,
            "subject": str(f.subject),
            "message": f.message,
            "evidence": [f"{e.ref}: {e.detail}" for e in f.evidence],
            "caused_by": list(f.caused_by),
            "remediation": f.remediation,
            "docs": f.docs,
        }
        for f in sorted(report.findings, key=lambda f: f.sort_key)
    ]
    return _ordered(pd, pd.DataFrame(rows, columns=list(COLUMNS)))


#: Columns of :func:`chains_frame`.
CHAIN_COLUMNS = ("chain", "step", "role", "loop", "severity", "kind", "namespace", "name", "rule", "finding", "summary")


def chains_frame(report: Report) -> Any:
    """One row per finding of each chain, in path order: ``chain`` (1-based, as in the
    report), ``step`` (0 = the symptom), ``role`` (symptom / cause / root cause), the
    finding's loop, severity (ordered categoricals), subject, rule and id, and the chain's
    summary. A root cause shared by two chains has a row in each.

    Raises:
        MissingDependencyError: pandas is not installed.
    """
    pd = _pandas("chains_frame")
    by_id = {f.id: f for f in report.findings}
    rows = []
    for n, chain in enumerate(report.chains, 1):
        for step, fid in enumerate(chain.path):
            f = by_id.get(fid)
            if f is None:
                continue
            role = "symptom" if fid == chain.symptom else "root cause" if fid in chain.root_causes else "cause"
            rows.append({
                "chain": n, "step": step, "role": role, "loop": f.loop.value, "severity": f.severity.label,
                "kind": f.subject.kind, "namespace": f.subject.namespace, "name": f.subject.name,
                "rule": f.rule, "finding": f.id, "summary": chain.summary,
            })
    return _ordered(pd, pd.DataFrame(rows, columns=list(CHAIN_COLUMNS)))


def checklist_frame(report: Report) -> Any:
    """The Cluster Readiness Checklist: ``item``, ``title``, ``status`` (an ordered
    categorical: fail < partial < not-checked < pass), and ``checks`` (``name: status`` lines).

    Raises:
        MissingDependencyError: pandas is not installed.
    """
    pd = _pandas("checklist_frame")
    rows = [
        {"item": i.item, "title": i.title, "status": i.status.value,
         "checks": [f"{name}: {st.value}" for name, st in i.checks]}
        for i in report.checklist
    ]
    frame = pd.DataFrame(rows, columns=["item", "title", "status", "checks"])
    frame["status"] = pd.Categorical(frame["status"], categories=["fail", "partial", "not-checked", "pass"], ordered=True)
    return frame


def not_checked_frame(report: Report) -> Any:
    """What was not checked and why: ``what``, ``reason``, and ``incomplete`` (the kind is
    one the rules needed and could not read: it makes the scan incomplete).

    Raises:
        MissingDependencyError: pandas is not installed.
    """
    pd = _pandas("not_checked_frame")
    incomplete = {(nc.what, nc.reason) for nc in report.incomplete}
    rows = [
        {"what": what, "reason": reason, "incomplete": (what, reason) in incomplete}
        for what, reason in sorted({(nc.what, nc.reason) for nc in report.not_checked})
    ]
    return pd.DataFrame(rows, columns=["what", "reason", "incomplete"])
