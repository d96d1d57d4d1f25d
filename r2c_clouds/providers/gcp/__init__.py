"""The GCP provider plugin (GKE): ``pip install 'r2c_clouds[gcp]'``, ``r2c scan --cloud gcp``.

It answers, for one GKE cluster, what the Kubernetes API cannot: whether each Kubernetes
ServiceAccount's Google service account exists and lets the KSA impersonate it
(``roles/iam.workloadIdentityUser``), whether node pools run the GKE metadata server, whether
node service accounts may pull from Artifact Registry, node pools and their zones, Cloud NAT
saturation on the cluster's own network, the pod range's room for more nodes, and the zones
of the persistent disks behind PVs. Calls scale with distinct cloud resources (service
accounts, repositories, routers, one aggregated disk list), never with pods; see
docs/providers/gcp.md for the calls and the custom role that allows exactly them.

Importing this module imports no Google library: the clients are built with the provider.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any, ClassVar

from r2c_clouds.errors import BadInputError
from r2c_clouds.model.cluster import ClusterState
from r2c_clouds.providers.kit import CloudProvider, Option

if TYPE_CHECKING:
    from r2c_clouds.providers.gcp._client import GcpClients

__all__ = ["GcpProvider", "detect_cluster"]

_PROVIDER_ID = re.compile(r"^gce://([^/]+)/([a-z]+-[a-z]+\d+-[a-z])/")
_KUBECONFIG_NAME = re.compile(r"^gke_([a-z][a-z0-9-]*)_([a-z]+-[a-z]+\d+(?:-[a-z])?)_([\w-]+)$")
_POOL_LABEL = "cloud.google.com/gke-nodepool"


def detect_cluster(cluster: ClusterState) -> tuple[str | None, str | None, str | None]:
    """``(project, location, cluster name)`` from what GKE leaves in the cluster: node
    providerIDs ``gce://PROJECT/ZONE/NAME``, node names ``gke-CLUSTER-POOL-...``, the
    ``topology.kubernetes.io/region`` label, and a ``gcloud container clusters
    get-credentials`` kubeconfig name ``gke_PROJECT_LOCATION_NAME``.

    The location of a regional cluster is its region; with nodes in one zone only and no
    kubeconfig name, the zone's region is assumed (regional clusters are the GKE default).
    """
    project = location = name = None
    if m := _KUBECONFIG_NAME.match(cluster.name or ""):
        project, location, name = m.group(1), m.group(2), m.group(3)
    regions: set[str] = set()
    for n in cluster.nodes:
        if m := _PROVIDER_ID.match(n.spec.provider_id or ""):
            project = project or m.group(1)
            regions.add(m.group(2).rsplit("-", 1)[0])
        region = n.metadata.labels.get("topology.kubernetes.io/region")
        if region:
            regions.add(region)
        pool = n.metadata.labels.get(_POOL_LABEL)
        if name is None and pool and n.metadata.name.startswith("gke-"):
            # gke-<cluster>-<pool>-<8 hex>-<4 chars>
            middle = n.metadata.name[len("gke-") :].rsplit("-", 2)[0]
            if middle.endswith(f"-{pool}"):
                name = middle[: -len(pool) - 1]
    if location is None and len(regions) == 1:
        location = regions.pop()
    return project, location, name


class GcpProvider(CloudProvider):
    """Cloud facts for one GKE cluster, from the Google Cloud client libraries.

    Args:
        credentials: google.auth credentials; default: ``GOOGLE_OAUTH_ACCESS_TOKEN`` when set
            (a pre-fetched OAuth access token, as Terraform's Google provider reads it), else
            ``google.auth.default()`` (application default credentials, workload identity,
            the metadata server on GCE).
        project: the cluster's project id (``for_cluster`` detects it; else ``GOOGLE_CLOUD_PROJECT``).
        location: the cluster's region or zone.
        cluster_name: the GKE cluster.
        endpoint: one endpoint for every Google API the plugin calls (``https://HOST:PORT``:
            Private Service Connect, a restricted VIP, a proxy, an emulator). REST clients
            use it as their ``api_endpoint``; gRPC clients connect to the same host and port
            over TLS.
        client_options: per-API ``client_options`` (keys ``container``, ``compute``,
            ``resourcemanager``, ``artifactregistry``, ``iam``, ``monitoring``), over ``endpoint``.
        window_minutes: default metrics window when questions do not say.
        max_workers: calls in flight at once.
        timeout: seconds per call (the client libraries retry 429/503 within it).

    Answers are cached for the provider's lifetime: use one provider per scan.

    Raises:
        BadInputError: no project, location or cluster name.
    """

    name: ClassVar[str] = "gcp"
    identity_mechanism = "gke-workload-identity"
    disk_driver = "pd.csi.storage.gke.io"
    provider_id_schemes: ClassVar[tuple[str, ...]] = ("gce",)
    requires: ClassVar[tuple[str, ...]] = (
        "google.cloud.container_v1",
        "google.cloud.compute_v1",
        "google.cloud.iam_admin_v1",
        "google.cloud.resourcemanager_v3",
        "google.cloud.monitoring_v3",
        "google.cloud.artifactregistry_v1",
    )
    cli_options: ClassVar[tuple[Option, ...]] = (
        Option("--project", "Google Cloud project id (default: from the nodes' providerID)", metavar="ID",
               env="GOOGLE_CLOUD_PROJECT"),
        Option("--location", "GKE cluster location, region or zone (default: from the nodes)", metavar="LOCATION"),
        Option("--cluster-name", "GKE cluster name (default: from the node names or the kubeconfig)", metavar="NAME"),
        Option("--gcp-endpoint", "one endpoint for every Google API (Private Service Connect, a proxy)",
               metavar="URL"),
    )

    def __init__(
        self,
        credentials: Any = None,
        *,
        project: str | None = None,
        location: str | None = None,
        cluster_name: str | None = None,
        endpoint: str | None = None,
        gcp_endpoint: str | None = None,
        client_options: dict[str, dict[str, Any]] | None = None,
        window_minutes: int = 60,
        max_workers: int = 8,
        timeout: float = 30.0,
    ) -> None:
        project = project or os.environ.get("GOOGLE_CLOUD_PROJECT") or os.environ.get("CLOUDSDK_CORE_PROJECT")
        if not project:
            raise BadInputError("gcp: cannot tell the project from the nodes; pass --project ID")
        if not location:
            raise BadInputError("gcp: cannot tell the cluster's location from the nodes; pass --location REGION|ZONE")
        if not cluster_name:
            raise BadInputError("gcp: cannot tell the GKE cluster name from the nodes; pass --cluster-name NAME")
        super().__init__(max_workers=max_workers)
        from r2c_clouds.providers.gcp._client import (
            GcpClients,  # the Google libraries, from here on
        )

        self.project = project
        self.location = location
        self.cluster_name = cluster_name
        self.window_minutes = window_minutes
        self.clients: GcpClients = GcpClients(
            credentials,
            calls=self.calls,
            endpoint=endpoint or gcp_endpoint,
            client_options=client_options,
            timeout=timeout,
        )

    @classmethod
    def for_cluster(cls, cluster: ClusterState, **options: Any) -> GcpProvider:
        """A provider for ``cluster``: project, location and cluster name detected from its
        objects unless given (``project=``, ``location=``, ``cluster_name=``).

        Raises:
            BadInputError: one of them cannot be told and was not given.
        """
        project, location, name = detect_cluster(cluster)
        options = {k: v for k, v in options.items() if v is not None}
        options.setdefault("project", project)
        options.setdefault("location", location)
        options.setdefault("cluster_name", name)
        return cls(**options)

    @property
    def cluster_path(self) -> str:
        """``projects/P/locations/L/clusters/C``."""
        return f"projects/{self.project}/locations/{self.location}/clusters/{self.cluster_name}"

    @property
    def region(self) -> str:
        """The cluster's region (its location, or the zone's region for a zonal cluster)."""
        loc = self.location
        return loc.rsplit("-", 1)[0] if re.match(r"^[a-z]+-[a-z]+\d+-[a-z]$", loc) else loc

    def describe(self) -> tuple[str | None, str | None]:
        """The (cluster name, location) this provider looks at."""
        return self.cluster_name, self.location

    def cluster(self) -> Any:
        """The ``container_v1.Cluster`` (one ``clusters.get``, shared by the loops).

        Raises:
            r2c_clouds.providers.kit.CallFailed: the call was forbidden or throttled.
            BadInputError: no such cluster.
        """
        return self.workers.once("cluster", self._get_cluster)

    def _get_cluster(self) -> Any:
        from google.api_core.exceptions import NotFound

        try:
            return self.clients.call("container.clusters.get", self.clients.container().get_cluster,
                                     name=self.cluster_path)
        except NotFound as exc:
            raise BadInputError(f"gcp: GKE cluster {self.cluster_path} not found") from exc

    def node_identity(self, configured: str | None) -> str:
        """The Google service account a node pool's nodes run as: the one configured, else
        (unset or ``default``) the project's Compute Engine default service account, named by
        its e-mail when the project number may be read. Node pools and registry access name
        it the same way, so their facts join."""
        if configured and configured != "default":
            return configured
        number = self.project_number()
        return f"{number}-compute@developer.gserviceaccount.com" if number else "the Compute Engine default service account"

    def project_number(self, project: str | None = None) -> str | None:
        """A project's number (``resourcemanager.projects.get``, once per project);
        ``None`` when it may not be read."""
        from r2c_clouds.providers.kit import CallFailed

        pid = project or self.project

        def get() -> str | None:
            try:
                p = self.clients.call("resourcemanager.projects.get", self.clients.projects().get_project,
                                      absent=False, name=f"projects/{pid}")
            except CallFailed:
                return None
            name: str = p.name
            return name.rsplit("/", 1)[-1]

        result: str | None = self.workers.once(("project-number", pid), get)
        return result

    def close(self) -> None:
        """Close the clients' channels and the provider's threads."""
        super().close()
        self.clients.close()
