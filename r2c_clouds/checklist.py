"""The Cluster Readiness Checklist (placeholder until the checklist work lands)."""

from __future__ import annotations

from collections.abc import Sequence

from r2c_clouds.model.cloud import CloudFacts, NotChecked
from r2c_clouds.model.cluster import ClusterState
from r2c_clouds.model.findings import ChecklistItem, Finding


def build_checklist(
    cluster: ClusterState, facts: CloudFacts | None, findings: Sequence[Finding], not_checked: Sequence[NotChecked]
) -> list[ChecklistItem]:
    return []
