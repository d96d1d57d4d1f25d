"""Render a cluster's stored scans (``r2c history``) as text or JSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from r2c_clouds.report.text import to_text
from r2c_clouds.store.records import SEVERITIES, ScanRow

__all__ = ["history_dict", "history_text"]


def history_dict(rows: Sequence[ScanRow], *, store: str, cluster: str | None) -> dict[str, Any]:
    """``{"store", "cluster", "scans": [...]}``: one object per scan, oldest first."""
    return {
        "store": store,
        "cluster": cluster,
        "scans": [
            {
                "scan_id": r.scan_id,
                "cluster": {"id": r.cluster_id, "name": r.cluster, "cloud": r.cloud, "account": r.account,
                            "region": r.region},
                "generated_at": r.generated_at,
                "status": r.status,
                "error": r.error,
                "tool_version": r.tool_version,
                "source": r.source,
                "duration_s": r.duration_s,
                "findings": r.findings,
                "by_severity": {name: getattr(r, name) for name in SEVERITIES},
                "suppressed": r.suppressed,
                "not_checked": r.not_checked,
            }
            for r in rows
        ],
    }


def history_text(rows: Sequence[ScanRow], *, cluster: str | None, width: int = 100) -> str:
    """A table of scans: one cluster's over time, or (``cluster`` None) each cluster's newest."""
    if not rows:
        return "No scans stored yet (r2c scan --store URL records one).\n"
    table = Table(box=None, header_style="bold", pad_edge=False)
    if cluster is None:  # each cluster's newest scan: the account is in the JSON (-o json)
        # names and statuses are never cut; on a narrow terminal the other columns wrap
        table.add_column("cluster", style="cyan", no_wrap=True, min_width=max(len(r.cluster) for r in rows))
        table.add_column("cloud", no_wrap=True)
        table.add_column("region")
    table.add_column("scanned (UTC)")
    table.add_column("status", min_width=max(len(r.status) for r in rows))
    table.add_column("findings (" + "/".join(name[0] for name in SEVERITIES) + ")", justify="right")
    table.add_column("not checked", justify="right")
    if cluster is not None:
        table.add_column("scan id", no_wrap=True, style="dim")
    for r in rows:
        status = r.status if r.error is None else f"{r.status}: {r.error}"
        cells = [r.generated_at.replace("T", " ")[:16], status,
                 f"{r.findings} (" + "/".join(str(getattr(r, name)) for name in SEVERITIES) + ")", str(r.not_checked)]
        cells = [*cells, r.scan_id[:12]] if cluster is not None else [r.cluster, r.cloud, r.region or "-", *cells]
        table.add_row(*cells)
    noun = "scan" if len(rows) == 1 else "scans"
    if cluster is not None:
        title = f"{len(rows)} {noun} of {cluster}"
    else:
        title = f"{len(rows)} cluster{'' if len(rows) == 1 else 's'}, newest scan of each"
    return to_text(Group(table, Text(title, style="dim")), width=width)
