"""GCP compute loop: the cluster's node pools, from the one ``clusters.get`` the loops share.

Per pool: its zones (``locations``, else the cluster's), autoscaling bounds (GKE's
``minNodeCount``/``maxNodeCount`` are per zone; ``totalMinNodeCount``/``totalMaxNodeCount``
are totals and win when set), machine type, taints (``NO_SCHEDULE`` → ``NoSchedule``),
labels, the node service account and whether pods there get Workload Identity
(``workloadMetadataConfig.mode`` ``GKE_METADATA``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from r2c_clouds.loops import ComputeAnswer, ComputeQuestions
from r2c_clouds.model.cloud import NodePool, NotChecked, Provenance
from r2c_clouds.providers.kit import attempt

if TYPE_CHECKING:
    from r2c_clouds.providers.gcp import GcpProvider

__all__ = ["EFFECTS", "answer", "node_pool"]

#: GKE taint effects → Kubernetes spelling.
EFFECTS = {"NO_SCHEDULE": "NoSchedule", "PREFER_NO_SCHEDULE": "PreferNoSchedule", "NO_EXECUTE": "NoExecute"}


def answer(provider: GcpProvider, questions: ComputeQuestions) -> ComputeAnswer:
    """The cluster's node pools."""
    not_checked: list[NotChecked] = []
    cluster = attempt("node_pools", not_checked, provider.cluster)
    if cluster is None:
        return ComputeAnswer(not_checked=tuple(not_checked))
    pools = []
    for np in cluster.node_pools:
        sa = provider.node_identity(np.config.service_account)
        pools.append(node_pool(provider.cluster_path, list(cluster.locations), np, sa))
    return ComputeAnswer(node_pools=tuple(sorted(pools, key=lambda p: p.name)), not_checked=tuple(not_checked))


def _enum_name(value: Any) -> str:
    return str(getattr(value, "name", value))


def node_pool(cluster_path: str, cluster_locations: list[str], np: Any, identity: str) -> NodePool:
    """One ``container_v1.NodePool`` as a :class:`NodePool` fact."""
    zones = tuple(np.locations) or tuple(cluster_locations)
    a = np.autoscaling
    enabled = bool(a.enabled)
    if enabled:
        per_zone = max(1, len(zones))
        min_size = a.total_min_node_count if a.total_min_node_count else a.min_node_count * per_zone
        max_size = a.total_max_node_count if a.total_max_node_count else a.max_node_count * per_zone
    else:
        min_size = max_size = None
    config = np.config
    taints = tuple(
        f"{t.key}={t.value}:{EFFECTS.get(_enum_name(t.effect), _enum_name(t.effect))}" if t.value
        else f"{t.key}:{EFFECTS.get(_enum_name(t.effect), _enum_name(t.effect))}"
        for t in config.taints
    )
    mode = _enum_name(config.workload_metadata_config.mode) if config.workload_metadata_config else ""
    return NodePool(
        name=np.name,
        provenance=Provenance("gcp", "container.clusters.get", f"{cluster_path}/nodePools/{np.name}"),
        zones=zones,
        min_size=min_size,
        max_size=max_size,
        desired_size=None,  # initialNodeCount is per zone and only at creation: the nodes tell the current size
        autoscaling=enabled,
        instance_types=(config.machine_type,) if config.machine_type else (),
        taints=taints,
        labels=tuple(sorted(config.labels.items())),
        node_identity=identity,
        workload_identity=mode == "GKE_METADATA" if mode and mode != "MODE_UNSPECIFIED" else None,
    )
