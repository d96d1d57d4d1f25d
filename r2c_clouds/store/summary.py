"""The fleet at a glance, from a store: each cluster's newest scan by loop and severity, what
is new and what was resolved since its scan before, the rules failing most across clusters,
and the clusters not scanned recently (``r2c fleet report``)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from attrs import frozen

from r2c_clouds.model.findings import Loop
from r2c_clouds.store.records import SEVERITIES, FindingRow, ScanRow

if TYPE_CHECKING:
    from r2c_clouds.store._store import Store

__all__ = ["LOOPS", "ClusterSummary", "FleetSummary", "RuleSummary", "fleet_summary", "severity_counts"]

#: The loops, in the report's order.
LOOPS: tuple[str, ...] = tuple(lp.value for lp in Loop)
_RANK = {name: i for i, name in enumerate(SEVERITIES)}  # 0: critical


@frozen
class ClusterSummary:
    """One cluster in the fleet report.

    Args:
        latest: its newest scan (may be ``failed``).
        judged: its newest scan that produced a report (``None``: never scanned successfully);
            the counts below are this scan's.
        previous: the successful scan before ``judged`` (``None``: the first one).
        by_loop: findings per loop and severity name.
        new: findings in ``judged`` that ``previous`` did not have (all of them when there is
            no previous scan: then ``first_scan`` is true).
        resolved: findings of ``previous`` that ``judged`` no longer has.
        stale: the newest scan is older than the report's threshold, or failed.
    """

    latest: ScanRow
    judged: ScanRow | None
    previous: ScanRow | None
    by_loop: dict[str, dict[str, int]]
    new: tuple[FindingRow, ...]
    resolved: tuple[FindingRow, ...]
    stale: bool

    @property
    def name(self) -> str:
        return self.latest.cluster

    @property
    def first_scan(self) -> bool:
        return self.judged is not None and self.previous is None

    @property
    def worse(self) -> bool:
        """New findings at high or critical since the scan before."""
        return not self.first_scan and any(_RANK[f.severity] <= _RANK["high"] for f in self.new)


@frozen
class RuleSummary:
    """A rule across the fleet's newest successful scans: on how many clusters it fails,
    how many findings, the most severe."""

    rule: str
    clusters: int
    findings: int
    severity: str


@frozen
class FleetSummary:
    store: str
    generated_at: str
    stale_after_hours: float
    since_hours: float | None
    clusters: tuple[ClusterSummary, ...]
    top_rules: tuple[RuleSummary, ...]

    @property
    def stale(self) -> tuple[ClusterSummary, ...]:
        return tuple(c for c in self.clusters if c.stale)


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def fleet_summary(store: Store, *, stale_after_hours: float = 26.0, top: int = 10,
                  since_hours: float | None = None, now: datetime | None = None) -> FleetSummary:
    """Read the fleet's state from ``store``.

    Args:
        stale_after_hours: a cluster whose newest scan is older than this is *not scanned
            recently* (default 26: a daily scan, with slack).
        top: how many rules to list.
        since_hours: compare each cluster's newest successful scan with its newest
            successful scan at least this old (24: "since yesterday"); ``None``: with the
            successful scan just before it.
        now: the time to measure from (default: now).
    """
    now = now or datetime.now(timezone.utc)
    cutoff = now - timedelta(hours=stale_after_hours)
    by_cluster: dict[str, list[ScanRow]] = defaultdict(list)
    for row in store.scans():  # oldest first
        by_cluster[row.cluster_id].append(row)
    clusters: list[ClusterSummary] = []
    rules: dict[str, list[FindingRow]] = defaultdict(list)
    rule_clusters: dict[str, set[str]] = defaultdict(set)
    for cid, rows in by_cluster.items():
        good = [r for r in rows if r.status != "failed"]
        judged = good[-1] if good else None
        previous = good[-2] if len(good) > 1 else None
        if since_hours is not None:
            before_cut = now - timedelta(hours=since_hours)
            older = [r for r in good[:-1] if _parse(r.generated_at) <= before_cut]
            previous = older[-1] if older else None
        now_f = store.findings(judged.scan_id) if judged else []
        before = store.findings(previous.scan_id) if previous else []
        by_loop = {lp: dict.fromkeys(SEVERITIES, 0) for lp in LOOPS}
        for f in now_f:
            by_loop.setdefault(f.loop, dict.fromkeys(SEVERITIES, 0))[f.severity] += 1
            rules[f.rule].append(f)
            rule_clusters[f.rule].add(cid)
        ids_before = {f.id for f in before}
        ids_now = {f.id for f in now_f}
        latest = rows[-1]
        clusters.append(ClusterSummary(
            latest=latest,
            judged=judged,
            previous=previous,
            by_loop=by_loop,
            new=tuple(f for f in now_f if f.id not in ids_before),
            resolved=tuple(f for f in before if f.id not in ids_now),
            stale=latest.status == "failed" or _parse(latest.generated_at) < cutoff,
        ))
    clusters.sort(key=lambda c: c.name)
    top_rules = sorted(
        (RuleSummary(rule, len(rule_clusters[rule]), len(fs), min((f.severity for f in fs), key=_RANK.__getitem__))
         for rule, fs in rules.items()),
        key=lambda r: (-r.clusters, _RANK[r.severity], -r.findings, r.rule),
    )[:top]
    return FleetSummary(
        store=store.url,
        generated_at=now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        stale_after_hours=stale_after_hours,
        since_hours=since_hours,
        clusters=tuple(clusters),
        top_rules=tuple(top_rules),
    )


def severity_counts(by_loop: dict[str, dict[str, int]]) -> dict[str, int]:
    """Totals per severity over the loops."""
    out = dict.fromkeys(SEVERITIES, 0)
    for counts in by_loop.values():
        for sev, n in counts.items():
            out[sev] += n
    return out
