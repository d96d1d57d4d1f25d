"""Ask a provider the four loops' questions (concurrently) and merge the answers."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime, timezone
from typing import Any, TypeVar

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
from r2c_clouds.model.cloud import CloudFacts, NotChecked
from r2c_clouds.model.cluster import ClusterState

__all__ = ["gather_facts"]

T = TypeVar("T")


def _answer(fut: Future[Any], late: set[Future[Any]], empty: type[T]) -> T:
    """The loop's answer, or an empty one when the deadline left it behind."""
    if fut in late:
        return empty()
    result: T = fut.result()
    return result


#: The fact families each loop answers, for the not-checked entries of a loop cut by the deadline.
_FAMILIES = {
    "identity": ("cluster_identity", "identity_bindings", "registry_access"),
    "compute": ("node_pools",),
    "network": ("egress_gateways", "subnets", "network", "private_endpoints"),
    "storage": ("disks",),
}


def gather_facts(
    provider: Provider, cluster: ClusterState, *, window_minutes: int = 60, timeout: float | None = 300.0
) -> CloudFacts:
    """Derive the questions from ``cluster``, ask ``provider`` all four loops at once and
    merge what it answers into one :class:`CloudFacts`.

    Errors a loop raises on purpose (:class:`r2c_clouds.errors.UnreachableError`) propagate;
    a loop that cannot answer part of its questions reports it in ``not_checked``. A loop
    still running after ``timeout`` seconds (the whole cloud phase's deadline; ``None``: none)
    is left behind: its fact families are not checked (``timeout: ...``) and the scan goes on.
    """
    pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="r2c-loop")
    futures: dict[str, Future[Any]] = {
        "identity": pool.submit(provider.identity, identity_questions(cluster)),
        "compute": pool.submit(provider.compute, compute_questions(cluster)),
        "network": pool.submit(provider.network, network_questions(cluster, window_minutes)),
        "storage": pool.submit(provider.storage, storage_questions(cluster)),
    }
    _, late = wait(futures.values(), timeout=timeout)
    pool.shutdown(wait=not late, cancel_futures=True)  # a loop past the deadline is not waited for
    cut: list[NotChecked] = []
    for loop, fut in futures.items():
        if fut in late:
            cut.extend(NotChecked(f, f"timeout: {provider.name} did not answer the {loop} loop within {timeout:g} s")
                       for f in _FAMILIES[loop])
    ident: IdentityAnswer = _answer(futures["identity"], late, IdentityAnswer)
    comp: ComputeAnswer = _answer(futures["compute"], late, ComputeAnswer)
    net: NetworkAnswer = _answer(futures["network"], late, NetworkAnswer)
    stor: StorageAnswer = _answer(futures["storage"], late, StorageAnswer)
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
        not_checked=ident.not_checked + comp.not_checked + net.not_checked + stor.not_checked + tuple(cut),
        api_calls=dict(provider.api_calls()),
        collected_at=collected_at,
        private_endpoints=net.private_endpoints,
    )
