"""Immutable facts: Kubernetes views (msgspec), cloud facts and findings (attrs). No I/O."""

from r2c_clouds.model.cloud import (
    CloudFacts,
    ClusterIdentity,
    Disk,
    EgressGateway,
    IdentityBinding,
    NetworkSettings,
    NodePool,
    NotChecked,
    Provenance,
    RegistryAccess,
    Subnet,
)
from r2c_clouds.model.cluster import ClusterState
from r2c_clouds.model.findings import (
    Chain,
    ChecklistItem,
    Evidence,
    Finding,
    Loop,
    ObjectRef,
    Severity,
    Status,
)
from r2c_clouds.model.scope import Scope, Selector

__all__ = [
    "Chain",
    "ChecklistItem",
    "CloudFacts",
    "ClusterIdentity",
    "ClusterState",
    "Disk",
    "EgressGateway",
    "Evidence",
    "Finding",
    "IdentityBinding",
    "Loop",
    "NetworkSettings",
    "NodePool",
    "NotChecked",
    "ObjectRef",
    "Provenance",
    "RegistryAccess",
    "Scope",
    "Selector",
    "Severity",
    "Status",
    "Subnet",
]
