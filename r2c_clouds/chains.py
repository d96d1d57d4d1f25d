"""Cause chains across loops (placeholder until the chains work lands: links nothing)."""

from __future__ import annotations

from r2c_clouds.model.cloud import CloudFacts
from r2c_clouds.model.cluster import ClusterState
from r2c_clouds.model.findings import Chain, Finding


def link(findings: list[Finding], cluster: ClusterState, facts: CloudFacts | None) -> tuple[list[Finding], list[Chain]]:
    return findings, []
