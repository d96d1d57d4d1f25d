"""Ask a provider the four loops' questions (concurrently) and merge the answers."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

from r2c_clouds.loops import (
    ComputeAnswer,
    IdentityAnswer,
    NetworkAnswer,
    Provider,
    StorageAnswer,
    compute_questions,
    identity_questions,
    network_questions,
    storage_questions,
)
from r2c_clouds.model.cloud import CloudFacts
from r2c_clouds.model.cluster import ClusterState

__all__ = ["gather_facts"]


def gather_facts(provider: Provider, cluster: ClusterState, *, window_minutes: int = 60) -> CloudFacts:
    """Derive the questions from ``cluster``, ask ``provider`` all four loops at once and
    merge what it answers into one :class:`CloudFacts`.

    Errors a loop raises on purpose (:class:`r2c_clouds.errors.UnreachableError`) propagate;
    a loop that cannot answer part of its questions reports it in ``not_checked``.
    """
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="r2c-loop") as pool:
        f_id = pool.submit(provider.identity, identity_questions(cluster))
        f_cp = pool.submit(provider.compute, compute_questions(cluster))
        f_nw = pool.submit(provider.network, network_questions(cluster, window_minutes))
        f_st = pool.submit(provider.storage, storage_questions(cluster))
        ident: IdentityAnswer = f_id.result()
        comp: ComputeAnswer = f_cp.result()
        net: NetworkAnswer = f_nw.result()
        stor: StorageAnswer = f_st.result()
    settings = net.settings or comp.settings
    if net.settings is not None and comp.settings is not None:
        # compute knows KEDA, network knows outbound/MTU: keep both.
        from attrs import evolve

        settings = evolve(
            net.settings,
            keda_enabled=comp.settings.keda_enabled
            if comp.settings.keda_enabled is not None
            else net.settings.keda_enabled,
        )
    cluster_name, region = provider.describe()
    collected_at = getattr(provider, "collected_at", None) or datetime.now(timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    return CloudFacts(
        provider=provider.name,
        cluster_name=cluster_name,
        region=region,
        cluster_identity=ident.cluster_identity,
        identity_bindings=ident.bindings,
        registry_access=ident.registry_access,
        node_pools=comp.node_pools,
        disks=stor.disks,
        egress_gateways=net.egress_gateways,
        subnets=net.subnets,
        network=settings,
        not_checked=ident.not_checked + comp.not_checked + net.not_checked + stor.not_checked,
        api_calls=dict(provider.api_calls()),
        collected_at=collected_at,
        private_endpoints=net.private_endpoints,
    )
