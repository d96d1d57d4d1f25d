"""Compute loop on AKS: agent pools (mode, zones, autoscaling, VM size, taints) and KEDA."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from attrs import evolve

from r2c_clouds.loops import ComputeAnswer, ComputeQuestions
from r2c_clouds.model.cloud import NetworkSettings, NodePool, NotChecked
from r2c_clouds.providers.azure._arm import text, zone_label
from r2c_clouds.providers.kit import CallFailed

if TYPE_CHECKING:
    from r2c_clouds.providers.azure import AzureProvider

__all__ = ["answer", "node_pool", "settings_of"]

MC_READ = "Microsoft.ContainerService/managedClusters/read"
POOLS_READ = "Microsoft.ContainerService/managedClusters/agentPools/read"


def node_pool(provider: AzureProvider, mc: Any, pool: Any) -> NodePool:
    """One ``AgentPool`` as a :class:`NodePool`."""
    kubelet = (mc.identity_profile or {}).get("kubeletidentity")
    labels = tuple(sorted((pool.node_labels or {}).items()))
    return NodePool(
        name=pool.name,
        provenance=provider.session.provenance(POOLS_READ, getattr(pool, "id", None) or ""),
        zones=tuple(zone_label(mc.location, z) for z in (pool.availability_zones or ())),
        min_size=pool.min_count,
        max_size=pool.max_count,
        desired_size=pool.count,
        mode=text(pool.mode),
        autoscaling=bool(pool.enable_auto_scaling),
        instance_types=(pool.vm_size,) if pool.vm_size else (),
        taints=tuple(pool.node_taints or ()),
        labels=labels,
        node_identity=kubelet.resource_id if kubelet is not None else None,
    )


def settings_of(provider: AzureProvider, mc: Any) -> NetworkSettings:
    """Cluster-wide settings from the ``ManagedCluster``: outbound type, network plugin, KEDA.

    The VNet MTU is not an ARM property: Azure virtual networks use 1500 (documented).
    """
    net = mc.network_profile
    wasp = mc.workload_auto_scaler_profile
    keda = wasp.keda if wasp is not None else None
    return NetworkSettings(
        provenance=provider.session.provenance(MC_READ, mc.id or ""),
        outbound_type=text(net.outbound_type) if net is not None else None,
        keda_enabled=bool(keda.enabled) if keda is not None else False,
        network_mtu=1500,
        network_plugin=text(net.network_plugin) if net is not None else None,
        network_plugin_mode=text(net.network_plugin_mode) if net is not None else None,
    )


def answer(provider: AzureProvider, questions: ComputeQuestions) -> ComputeAnswer:
    """Agent pools and KEDA for the compute loop.

    The pools come from the ``agentPools`` list; when it cannot be read, from the profiles
    the cluster GET carried (with a ``not_checked`` entry for ``node_pools``).
    """
    try:
        mc = provider.managed_cluster()
    except CallFailed as exc:
        return ComputeAnswer(not_checked=(exc.not_checked("node_pools"), NotChecked("network", exc.reason())))
    not_checked: tuple[NotChecked, ...] = ()
    try:
        found = tuple(node_pool(provider, mc, p) for p in provider.agent_pools())
    except CallFailed as exc:
        not_checked = (exc.not_checked("node_pools"),)
        found = tuple(_from_profile(provider, mc, p) for p in mc.agent_pool_profiles or ())
    return ComputeAnswer(node_pools=found, settings=settings_of(provider, mc), not_checked=not_checked)


def _from_profile(provider: AzureProvider, mc: Any, profile: Any) -> NodePool:
    pool = node_pool(provider, mc, profile)
    return evolve(pool, provenance=provider.session.provenance(MC_READ, f"{mc.id}/agentPools/{profile.name}"))
