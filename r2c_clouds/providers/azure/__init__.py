"""The Azure (AKS) provider: the four loops answered from Azure Resource Manager.

Install with ``pip install 'r2c_clouds[azure]'``. Registered as the ``azure`` entry point;
nothing here is imported unless the ``azure`` provider is asked for.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import datetime, timezone
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import ResourceNotFoundError

from r2c_clouds.errors import BadInputError
from r2c_clouds.loops import (
    ComputeAnswer,
    ComputeQuestions,
    IdentityAnswer,
    IdentityQuestions,
    NetworkAnswer,
    NetworkQuestions,
    StorageAnswer,
    StorageQuestions,
)
from r2c_clouds.model.cluster import ClusterState
from r2c_clouds.providers.azure import compute as _compute
from r2c_clouds.providers.azure import identity as _identity
from r2c_clouds.providers.azure import network as _network
from r2c_clouds.providers.azure import storage as _storage
from r2c_clouds.providers.azure._client import (
    CLOUDS,
    METRICS_HOSTS,
    AzureSession,
    make_credential,
    parse_resource_id,
    translate,
)

__all__ = ["AzureProvider"]

# azure-identity logs each failed credential at WARNING; without a handler Python's last-resort
# handler prints them on stderr next to r2c's one-line error. Applications that configure
# logging still receive them (propagation is unchanged).
logging.getLogger("azure").addHandler(logging.NullHandler())

#: Node label naming the node resource group (``MC_<rg>_<cluster>_<region>``).
CLUSTER_LABEL = "kubernetes.azure.com/cluster"


class AzureProvider:
    """Answers the four loops for one AKS cluster.

    Args:
        credential: any azure-core ``TokenCredential``; default per ``azure_credential``
            (``DefaultAzureCredential``).
        subscription: subscription id of the cluster.
        resource_group: resource group of the managed cluster.
        cluster_name: managed cluster name.
        cloud: ``AzureCloud``, ``AzureUSGovernment`` or ``AzureChinaCloud``.
        arm_endpoint: a custom Resource Manager endpoint (Azure Stack, a proxy); the
            credential scope becomes ``<endpoint>/.default``.
        window_minutes: metrics window.
        max_workers: concurrent calls per loop.
        node_resource_group: the cluster's node resource group, used to find the cluster
            when ``resource_group``/``cluster_name`` are not given.
        azure_credential: ``default|cli|environment|workload-identity|managed-identity``
            when no ``credential`` is passed.
        client_kwargs: extra keyword arguments for every management client.
        metrics_endpoint: the regional Azure Monitor metrics endpoint for the batch API
            (``metrics:getBatch``); ``{region}`` is replaced by the gateway's location. Default:
            ``https://{region}.metrics.monitor.azure.com`` (``.azure.us``, ``.azure.cn`` in the
            sovereign clouds); none with a custom ``arm_endpoint``, where NAT gateway metrics
            are read per resource through Resource Manager.

    Raises:
        BadInputError: no subscription, an unknown cloud or credential kind.
    """

    name = "azure"

    def __init__(
        self,
        credential: TokenCredential | None = None,
        *,
        subscription: str | None = None,
        resource_group: str | None = None,
        cluster_name: str | None = None,
        cloud: str = "AzureCloud",
        arm_endpoint: str | None = None,
        window_minutes: int = 60,
        max_workers: int = 8,
        node_resource_group: str | None = None,
        azure_credential: str | None = None,
        client_kwargs: dict[str, Any] | None = None,
        metrics_endpoint: str | None = None,
    ) -> None:
        if cloud not in CLOUDS:
            raise BadInputError(f"unknown Azure cloud {cloud!r} (one of {', '.join(CLOUDS)})")
        if not subscription:
            raise BadInputError(
                "azure: no subscription id (pass --subscription, or scan nodes whose providerID is azure:///subscriptions/...)"
            )
        if not (resource_group and cluster_name) and not node_resource_group:
            raise BadInputError("azure: name the cluster with --resource-group and --cluster-name")
        endpoint, authority = CLOUDS[cloud]
        endpoint = (arm_endpoint or endpoint).rstrip("/")
        cred = credential if credential is not None else make_credential(azure_credential, authority)
        if metrics_endpoint is None and (arm_endpoint is None or arm_endpoint.rstrip("/") == CLOUDS[cloud][0]):
            metrics_endpoint = f"https://{{region}}.{METRICS_HOSTS[cloud]}"
        self.session = AzureSession(cred, subscription, endpoint, client_kwargs, metrics_endpoint)
        self.resource_group = resource_group
        self.cluster_name = cluster_name
        self.node_resource_group = node_resource_group
        self.window_minutes = window_minutes
        self.max_workers = max_workers
        self.collected_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._lock = threading.Lock()
        self._mc: Any = None
        self._mc_error: Exception | None = None
        self._pools: Any = None

    @classmethod
    def for_cluster(cls, cluster: ClusterState, **options: Any) -> AzureProvider:
        """A provider for ``cluster``: subscription and node resource group from its nodes
        (providerID ``azure:///subscriptions/<sub>/resourceGroups/<node rg>/...`` and label
        ``kubernetes.azure.com/cluster``) unless given in ``options``; the subscription falls
        back to ``AZURE_SUBSCRIPTION_ID``."""
        sub: str | None = None
        node_rg: str | None = None
        for node in cluster.nodes:
            pid = node.spec.provider_id or ""
            if pid.startswith("azure://"):
                parts = parse_resource_id(pid[len("azure://") :])
                sub = sub or parts.get("subscription")
                node_rg = node_rg or node.metadata.labels.get(CLUSTER_LABEL) or parts.get("resource_group")
        options.setdefault("subscription", sub or os.environ.get("AZURE_SUBSCRIPTION_ID"))
        options.setdefault("node_resource_group", node_rg)
        options = {k: v for k, v in options.items() if v is not None}
        return cls(**options)

    # ------------------------------------------------------------------ the managed cluster

    def managed_cluster(self) -> Any:
        """The ``ManagedCluster`` (one GET, shared by the loops; one list when only the node
        resource group is known)."""
        with self._lock:
            if self._mc_error is not None:
                raise self._mc_error  # one failure (no credential...) is not retried per loop
            try:
                return self._fetch_cluster()
            except Exception as exc:
                self._mc_error = exc
                raise

    def _fetch_cluster(self) -> Any:
        if self._mc is not None:
            return self._mc
        cs = self.session.containerservice()
        with translate(self.session.arm_endpoint):
            if self.resource_group and self.cluster_name:
                try:
                    self._mc = cs.managed_clusters.get(self.resource_group, self.cluster_name)
                except ResourceNotFoundError as exc:
                    raise BadInputError(
                        f"azure: managed cluster {self.cluster_name} not found in resource group "
                        f"{self.resource_group} of subscription {self.session.subscription}"
                    ) from exc
            else:
                want = (self.node_resource_group or "").lower()
                for mc in cs.managed_clusters.list():
                    if (mc.node_resource_group or "").lower() == want:
                        self._mc = mc
                        break
                if self._mc is None:
                    raise BadInputError(
                        f"azure: no managed cluster in subscription {self.session.subscription} "
                        f"has node resource group {self.node_resource_group} "
                        "(pass --resource-group and --cluster-name)"
                    )
                parts = parse_resource_id(self._mc.id)
                self.resource_group = parts.get("resource_group")
                self.cluster_name = self._mc.name
        return self._mc

    def agent_pools(self) -> list[Any]:
        """The cluster's agent pools (``agentPools`` list, paged), fetched once."""
        mc = self.managed_cluster()
        with self._lock:
            if self._pools is None:
                cs = self.session.containerservice()
                with translate(self.session.arm_endpoint):
                    self._pools = list(cs.agent_pools.list(self.resource_group, mc.name))
            return list(self._pools)

    # ------------------------------------------------------------------ the Provider protocol

    def describe(self) -> tuple[str | None, str | None]:
        """Cluster name and location (known after the first loop ran)."""
        mc = self._mc
        return (mc.name if mc is not None else self.cluster_name), (mc.location if mc is not None else None)

    def api_calls(self) -> dict[str, int]:
        """Requests sent per ARM operation."""
        return dict(sorted(self.session.counter.counts.items()))

    def identity(self, questions: IdentityQuestions) -> IdentityAnswer:
        """Workload Identity federation and the kubelet identity's AcrPull rights."""
        return _identity.answer(self, questions)

    def compute(self, questions: ComputeQuestions) -> ComputeAnswer:
        """Agent pools and KEDA."""
        return _compute.answer(self, questions)

    def network(self, questions: NetworkQuestions) -> NetworkAnswer:
        """NAT gateways with metrics, subnet IP usage, outbound type."""
        return _network.answer(self, questions)

    def storage(self, questions: StorageQuestions) -> StorageAnswer:
        """Managed disks behind Azure Disk PVs."""
        return _storage.answer(self, questions)
