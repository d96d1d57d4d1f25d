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

__all__ = ["COLUMNS", "MissingDependencyError", "to_dataframe"]

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


def to_dataframe(report: Report) -> Any:
    """One row per finding, most severe first.

    Columns: see :data:`COLUMNS`; ``evidence`` holds a list of ``"ref: detail"`` strings and
    ``severity_level`` the numeric severity (4 = critical) for sorting and filtering.

    Raises:
        MissingDependencyError: pandas is not installed.

    .. versionadded:: 0.1
    """
    try:
        pd = importlib.import_module("pandas")
    except ImportError as exc:
        raise MissingDependencyError(
            "to_dataframe() needs pandas, which is not installed", remediation=INSTALL_HINT
        ) from exc
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
    return pd.DataFrame(rows, columns=list(COLUMNS))
