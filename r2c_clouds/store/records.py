"""What the store keeps of a scan, as plain immutable values (no database here).

:func:`record_of` turns a :class:`~r2c_clouds.report.Report` into a :class:`ScanRecord`;
:func:`failed_record` says that a cluster could not be scanned, and why. The store writes
these records and reads them back as the row types below.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from attrs import field, frozen

from r2c_clouds.model.findings import Severity

if TYPE_CHECKING:
    from r2c_clouds.model.cloud import CloudFacts, Provenance
    from r2c_clouds.report._report import Report

__all__ = [
    "SEVERITIES",
    "ClusterKey",
    "FindingRow",
    "ScanRecord",
    "ScanRow",
    "account_of",
    "cloud_of",
    "cluster_key",
    "failed_record",
    "record_of",
]

#: Severity names, most severe first (the store's count columns).
SEVERITIES: tuple[str, ...] = tuple(s.label for s in sorted(Severity, reverse=True))

#: A cluster's cloud account in the id of the cluster's own cloud resource.
_ACCOUNT_PATTERNS = (
    re.compile(r"^arn:aws[a-z-]*:eks:[^:]*:(\d{12}):cluster/"),  # EKS cluster ARN
    re.compile(r"/subscriptions/([0-9a-fA-F-]{36})/", re.I),  # AKS resource id
    re.compile(r"(?:^|/)projects/([a-z][-a-z0-9]{4,28}[a-z0-9])/"),  # GKE cluster name
)


@frozen
class ClusterKey:
    """Who a scan is about: the cluster's name, its cloud, the account (AWS account id,
    Azure subscription id, Google Cloud project) and the region, each when known.

    A store knows a cluster by its name (``id`` is a hash of it), so that its history holds
    together when one scan could not reach the cloud and another could; the cloud, account
    and region are what the newest scan that knew them said. Two clusters of one name in
    two accounts are refused (name them apart: ``--cluster-name``).
    """

    name: str
    cloud: str = "none"
    account: str | None = None
    region: str | None = None

    @property
    def id(self) -> str:
        return hashlib.sha256(self.name.encode()).hexdigest()[:16]


@frozen
class FindingRow:
    """One finding of one scan, as stored. ``chains``: the symptom ids of the cause chains the
    finding is on; ``root_cause``: it is at the bottom of one of them."""

    id: str
    rule: str
    loop: str
    severity: str
    kind: str
    namespace: str | None
    name: str
    message: str
    chains: tuple[str, ...] = ()
    root_cause: bool = False


@frozen
class ScanRecord:
    """One scan as the store appends it.

    Args:
        scan_id: the report's ``scan_id``: recording the same scan again changes nothing.
        cluster: who was scanned.
        generated_at: RFC 3339 UTC time of the scan.
        status: ``complete``, ``incomplete`` (kinds the rules need could not be read) or
            ``failed`` (no report: ``error`` says why).
        counts: findings per severity name.
    """

    scan_id: str
    cluster: ClusterKey
    generated_at: str
    tool_version: str
    source: str
    status: str
    error: str | None = None
    duration_s: float = 0.0
    counts: dict[str, int] = field(factory=dict)
    suppressed: int = 0
    findings: tuple[FindingRow, ...] = ()
    not_checked: tuple[tuple[str, str], ...] = ()
    scope: str | None = None


@frozen
class ScanRow:
    """A stored scan, read back (the findings are read separately: :meth:`Store.findings`)."""

    scan_id: str
    cluster_id: str
    cluster: str
    cloud: str
    account: str | None
    region: str | None
    generated_at: str
    tool_version: str
    source: str
    status: str
    error: str | None
    duration_s: float
    findings: int
    critical: int
    high: int
    medium: int
    low: int
    info: int
    suppressed: int
    not_checked: int


def account_of(facts: CloudFacts | None) -> str | None:
    """The cloud account the cluster lives in, read from the id of its own cloud resource
    (the EKS cluster ARN, the AKS resource id, the GKE cluster's name)."""
    if facts is None:
        return None
    refs = []
    if facts.cluster_identity is not None:
        refs.append(facts.cluster_identity.provenance.resource_id)
    if facts.network is not None:
        refs.append(facts.network.provenance.resource_id)
    refs.extend(p.provenance.resource_id for p in facts.node_pools)
    for ref in refs:
        for pattern in _ACCOUNT_PATTERNS:
            m = pattern.search(ref or "")
            if m:
                return m.group(1)
    return None


def cloud_of(facts: CloudFacts | None) -> str:
    """``aws``, ``azure``, ``gcp`` (for recorded facts: the cloud they were recorded from), or
    ``none`` for a scan without cloud facts."""
    if facts is None:
        return "none"
    if facts.provider != "recorded":
        return facts.provider
    provenances: list[Provenance] = [
        *((facts.cluster_identity.provenance,) if facts.cluster_identity is not None else ()),
        *((facts.network.provenance,) if facts.network is not None else ()),
        *(p.provenance for p in facts.node_pools),
        *(b.provenance for b in facts.identity_bindings),
        *(d.provenance for d in facts.disks),
    ]
    for prov in provenances:
        if prov.provider in ("aws", "azure", "gcp"):
            return prov.provider
    return "recorded"


def cluster_key(report: Report) -> ClusterKey:
    """The :class:`ClusterKey` of a report: the cluster's name (or, without one, where it
    was read from), its cloud, account and region."""
    facts = report.facts
    name = report.cluster.name or (facts.cluster_name if facts is not None else None) or report.cluster.source
    cloud = cloud_of(facts)
    return ClusterKey(name, cloud, account_of(facts), facts.region if facts is not None else None)


def record_of(report: Report, *, cluster: ClusterKey | None = None) -> ScanRecord:
    """What the store keeps of ``report`` (``cluster`` overrides the key read from it)."""
    from r2c_clouds._version import __version__

    on_chains: dict[str, list[str]] = {}
    roots: set[str] = set()
    for c in sorted(report.chains, key=lambda c: c.symptom):
        roots.update(c.root_causes)
        for fid in c.path:
            on_chains.setdefault(fid, []).append(c.symptom)
    findings = tuple(
        FindingRow(
            f.id, f.rule, f.loop.value, f.severity.label, f.subject.kind, f.subject.namespace, f.subject.name,
            f.message, tuple(dict.fromkeys(on_chains.get(f.id, ()))), f.id in roots,
        )
        for f in sorted(report.findings, key=lambda f: f.sort_key)
    )
    counts = dict.fromkeys(SEVERITIES, 0)
    for f in findings:
        counts[f.severity] += 1
    scope = report.cluster.scope
    scope_text = None if scope.everything else scope.describe()
    return ScanRecord(
        scan_id=report.scan_id,
        cluster=cluster or cluster_key(report),
        generated_at=report.generated_at,
        tool_version=__version__,
        source=report.cluster.source,
        status="incomplete" if report.incomplete else "complete",
        duration_s=report.stats.duration_s,
        counts=counts,
        suppressed=len(report.suppressed),
        findings=findings,
        not_checked=tuple(sorted({(nc.what, nc.reason) for nc in report.not_checked})),
        scope=scope_text,
    )


def failed_record(cluster: ClusterKey, source: str, error: str, *, generated_at: str | None = None) -> ScanRecord:
    """A scan that produced no report (the cluster unreachable, credentials refused...)."""
    from r2c_clouds._version import __version__

    when = generated_at or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return ScanRecord(
        scan_id=uuid.uuid4().hex, cluster=cluster, generated_at=when, tool_version=__version__,
        source=source, status="failed", error=error, counts=dict.fromkeys(SEVERITIES, 0),
    )
