"""Compute loop: node pools (managed node groups, agent pools, GKE node pools), their
zones and autoscaling bounds, and cluster add-ons that only the cloud reports (KEDA on AKS).
"""

from __future__ import annotations

from typing import Protocol

from attrs import frozen

from r2c_clouds.model.cloud import NetworkSettings, NodePool, NotChecked
from r2c_clouds.model.cluster import ClusterState, node_zone

__all__ = ["NODE_POOL_LABELS", "ComputeAnswer", "ComputeLoop", "ComputeQuestions", "compute_questions", "node_pool_of"]

#: Node labels naming the node pool, per cloud.
NODE_POOL_LABELS = (
    "eks.amazonaws.com/nodegroup",
    "kubernetes.azure.com/agentpool",
    "agentpool",
    "cloud.google.com/gke-nodepool",
    "karpenter.sh/nodepool",
)


def node_pool_of(labels: dict[str, str]) -> str | None:
    """The node pool a node belongs to, from its labels."""
    for key in NODE_POOL_LABELS:
        if key in labels:
            return labels[key]
    return None


@frozen
class ComputeQuestions:
    """Args:
    node_pools: node pool names seen on nodes (distinct).
    zones: zones nodes are in.
    provider_ids: distinct node providerIDs (for auto-detecting the cluster).
    """

    node_pools: tuple[str, ...] = ()
    zones: tuple[str, ...] = ()
    provider_ids: tuple[str, ...] = ()


@frozen
class ComputeAnswer:
    node_pools: tuple[NodePool, ...] = ()
    settings: NetworkSettings | None = None
    not_checked: tuple[NotChecked, ...] = ()


class ComputeLoop(Protocol):
    """What a provider answers for the compute loop."""

    def compute(self, questions: ComputeQuestions) -> ComputeAnswer:
        """Describe the cluster's node pools (zones, min/max, mode, taints)."""
        ...


def compute_questions(cluster: ClusterState) -> ComputeQuestions:
    """Derive the compute questions from a cluster."""
    pools: set[str] = set()
    zones: set[str] = set()
    pids: set[str] = set()
    for n in cluster.nodes:
        pool = node_pool_of(n.metadata.labels)
        if pool:
            pools.add(pool)
        z = node_zone(n)
        if z:
            zones.add(z)
        if n.spec.provider_id:
            pids.add(n.spec.provider_id)
    return ComputeQuestions(tuple(sorted(pools)), tuple(sorted(zones)), tuple(sorted(pids)))
