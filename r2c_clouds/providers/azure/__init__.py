"""The Azure (AKS) provider: the four loops answered from Azure Resource Manager.

Install with ``pip install 'r2c_clouds[azure]'``. Registered as the ``azure`` entry point.
Loading :class:`AzureProvider` (``--help``, ``--cloud auto``) imports no Azure SDK module: the
SDK is imported by :mod:`._client` when a provider is constructed, and by the loop modules
(:mod:`.identity`, :mod:`.compute`, :mod:`.network`, :mod:`.storage`) when first asked.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from r2c_clouds.errors import BadInputError
from r2c_clouds.model.cluster import ClusterState
from r2c_clouds.providers.azure._arm import CLOUDS, METRICS_HOSTS, parse_resource_id
from r2c_clouds.providers.kit import CloudProvider, Option

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from r2c_clouds.providers.azure._client import AzureSession

__all__ = ["AzureProvider", "cloud_of_authority"]

#: Node label naming the node resource group (``MC_<rg>_<cluster>_<region>``).
CLUSTER_LABEL = "kubernetes.azure.com/cluster"


def cloud_of_authority(authority: str | None) -> str | None:
    """The Azure cloud whose Entra authority host ``authority`` is (``AZURE_AUTHORITY_HOST``,
    a host or an ``https://`` URL), or ``None`` for none or an unknown one.

    >>> cloud_of_authority("https://login.microsoftonline.us/"), cloud_of_authority("login.chinacloudapi.cn")
    ('AzureUSGovernment', 'AzureChinaCloud')
    """
    host = (authority or "").strip().lower().removeprefix("https://").split("/", 1)[0]
    return next((name for name, (_, login) in CLOUDS.items() if host and host == login), None)


class AzureProvider(CloudProvider):
    """Answers the four loops for one AKS cluster.

    The loops are :mod:`.identity`, :mod:`.compute`, :mod:`.network` and :mod:`.storage`
    (``answer(provider, questions)``); they share the provider's thread pool
    (``self.workers``) and call counter (``self.calls``). The Azure SDK is imported when a
    provider is constructed, never when this class is loaded.

    Args:
        credential: any azure-core ``TokenCredential``; default per ``azure_credential``
            (``DefaultAzureCredential``).
        subscription: subscription id of the cluster.
        resource_group: resource group of the managed cluster.
        cluster_name: managed cluster name.
        cloud: ``AzureCloud``, ``AzureUSGovernment`` or ``AzureChinaCloud``: its Resource
            Manager endpoint and Entra authority. Default: the cloud of ``AZURE_AUTHORITY_HOST``
            when that is set (the authority itself is then left to azure-identity, which reads
            the variable; an authority host of no known cloud keeps the public Resource
            Manager unless ``arm_endpoint`` is given), else ``AzureCloud``.
        arm_endpoint: a custom Resource Manager endpoint (Azure Stack, a proxy); the
            credential scope becomes ``<endpoint>/.default``.
        window_minutes: metrics window.
        max_workers: the most calls in flight at once (shared by the four loops).
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
    identity_mechanism = "azure-workload-identity"
    disk_driver = "disk.csi.azure.com"
    provider_id_schemes = ("azure",)
    requires = ("azure.mgmt.containerservice", "azure.identity")
    cli_options = (
        Option(
            "--subscription",
            "Azure subscription id (default: from the nodes' providerID, else AZURE_SUBSCRIPTION_ID)",
            metavar="ID",
            env="AZURE_SUBSCRIPTION_ID",
        ),
        Option("--resource-group", "resource group of the AKS cluster", metavar="NAME"),
        Option("--cluster-name", "AKS cluster name", metavar="NAME"),
        Option(
            "--arm-endpoint",
            "Azure Resource Manager endpoint (sovereign cloud, Azure Stack, a proxy)",
            metavar="URL",
        ),
        Option(
            "--azure-credential",
            "credential: default, cli, environment, workload-identity or managed-identity",
            metavar="KIND",
        ),
    )

    def __init__(
        self,
        credential: TokenCredential | None = None,
        *,
        subscription: str | None = None,
        resource_group: str | None = None,
        cluster_name: str | None = None,
        cloud: str | None = None,
        arm_endpoint: str | None = None,
        window_minutes: int = 60,
        max_workers: int = 8,
        node_resource_group: str | None = None,
        azure_credential: str | None = None,
        client_kwargs: dict[str, Any] | None = None,
        metrics_endpoint: str | None = None,
    ) -> None:
        authority: str | None = None  # None: azure-identity's choice (AZURE_AUTHORITY_HOST)
        if cloud is None:
            cloud = cloud_of_authority(os.environ.get("AZURE_AUTHORITY_HOST")) or "AzureCloud"
        elif cloud in CLOUDS:
            authority = CLOUDS[cloud][1]
        if cloud not in CLOUDS:
            raise BadInputError(f"unknown Azure cloud {cloud!r} (one of {', '.join(CLOUDS)})")
        if not subscription:
            raise BadInputError(
                "azure: no subscription id (pass --subscription, or scan nodes whose providerID is azure:///subscriptions/...)"
            )
        if not (resource_group and cluster_name) and not node_resource_group:
            raise BadInputError("azure: name the cluster with --resource-group and --cluster-name")
        super().__init__(max_workers=max_workers)
        from r2c_clouds.providers.azure._client import AzureSession, make_credential

        endpoint = (arm_endpoint or CLOUDS[cloud][0]).rstrip("/")
        cred = credential if credential is not None else make_credential(azure_credential, authority)
        if metrics_endpoint is None and (arm_endpoint is None or arm_endpoint.rstrip("/") == CLOUDS[cloud][0]):
            metrics_endpoint = f"https://{{region}}.{METRICS_HOSTS[cloud]}"
        self.session: AzureSession = AzureSession(
            cred, subscription, endpoint, client_kwargs, metrics_endpoint, calls=self.calls
        )
        self.resource_group = resource_group
        self.cluster_name = cluster_name
        self.node_resource_group = node_resource_group
        self.window_minutes = window_minutes
        self.collected_at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        self._mc: Any = None

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
        resource group is known), fetched once per provider: a failure (forbidden, no
        credential...) is raised to every loop, not retried per loop.

        Raises:
            CallFailed: the call was refused, throttled or failed.
            BadInputError: no such cluster.
        """
        return self.workers.once("managed_cluster", self._fetch_cluster)

    def _fetch_cluster(self) -> Any:
        from azure.core.exceptions import ResourceNotFoundError

        from r2c_clouds.providers.azure._client import translate

        s = self.session
        cs = s.containerservice()
        if self.resource_group and self.cluster_name:
            try:
                with translate(s.arm_endpoint, missing_ok=True):
                    mc = cs.managed_clusters.get(self.resource_group, self.cluster_name)
            except ResourceNotFoundError as exc:
                raise BadInputError(
                    f"azure: managed cluster {self.cluster_name} not found in resource group "
                    f"{self.resource_group} of subscription {s.subscription}"
                ) from exc
        else:
            want = (self.node_resource_group or "").lower()
            with translate(s.arm_endpoint):
                mc = next((m for m in cs.managed_clusters.list() if (m.node_resource_group or "").lower() == want), None)
            if mc is None:
                raise BadInputError(
                    f"azure: no managed cluster in subscription {s.subscription} "
                    f"has node resource group {self.node_resource_group} "
                    "(pass --resource-group and --cluster-name)"
                )
            self.resource_group = parse_resource_id(mc.id).get("resource_group")
            self.cluster_name = mc.name
        self._mc = mc
        return mc

    def agent_pools(self) -> list[Any]:
        """The cluster's agent pools (``agentPools`` list, paged), fetched once per provider.

        Raises:
            CallFailed: the cluster read or the list was refused, throttled or failed.
        """
        return list(self.workers.once("agent_pools", self._fetch_pools))

    def _fetch_pools(self) -> list[Any]:
        mc = self.managed_cluster()
        cs = self.session.containerservice()
        return self.session.listed(cs.agent_pools.list, self.resource_group, mc.name)

    # ------------------------------------------------------------------ the Provider protocol

    def describe(self) -> tuple[str | None, str | None]:
        """Cluster name and location (known after the first loop ran)."""
        mc = self._mc
        return (mc.name if mc is not None else self.cluster_name), (mc.location if mc is not None else None)
