"""The primitive-mapping table: loop x cloud → the primitives that implement the loop.

"Same four laws. Different primitives. Same failure modes." Each :class:`MappingEntry`
names, for one loop on one cloud, the managed primitives, the Kubernetes annotations and
labels that wire workloads to them, the topology keys and CSI drivers involved, and the
failure modes the rules look for.

```python
import r2c_clouds as r2c
(entry,) = r2c.mapping.lookup(loop="storage", cloud="azure")
entry.csi_drivers            # ('disk.csi.azure.com', 'file.csi.azure.com')
```

.. versionadded:: 0.1
"""

from __future__ import annotations

from typing import Any

import attrs
from attrs import frozen

from r2c_clouds.errors import BadInputError

__all__ = ["CLOUDS", "LOOPS", "FailureMode", "MappingEntry", "lookup", "table"]

#: The clouds the table covers.
CLOUDS = ("aws", "azure", "gcp")
#: The loops the table covers (observability has no cloud primitive of its own here).
LOOPS = ("identity", "compute", "network", "storage", "observability")


@frozen
class FailureMode:
    """One row of the anti-pattern table, as it shows on one cloud.

    Args:
        symptom: what people see (``ImagePullBackOff``).
        blamed: what teams blame first.
        real_cause: what it usually is.
        rules: the rule ids that detect it.
    """

    symptom: str
    blamed: str
    real_cause: str
    rules: tuple[str, ...] = ()


@frozen
class MappingEntry:
    """How one loop is implemented on one cloud.

    Args:
        loop: ``identity``, ``compute``, ``network``, ``storage`` or ``observability``.
        cloud: ``aws``, ``azure`` or ``gcp``.
        primitives: the managed services / Kubernetes features that implement the loop.
        annotations: annotation keys (``kind: key``) that wire workloads to them.
        labels: label keys that matter (node pool labels, opt-in labels).
        topology_keys: node / PV topology label keys.
        csi_drivers: CSI driver names (``spec.csi.driver``).
        failure_modes: the anti-patterns and which rules catch them.
        docs: the cloud's documentation pages.
    """

    loop: str
    cloud: str
    primitives: tuple[str, ...]
    annotations: tuple[str, ...] = ()
    labels: tuple[str, ...] = ()
    topology_keys: tuple[str, ...] = ()
    csi_drivers: tuple[str, ...] = ()
    failure_modes: tuple[FailureMode, ...] = ()
    docs: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-safe data (tuples become lists)."""
        return attrs.asdict(self)


_ZONE = "topology.kubernetes.io/zone"

_IMAGE_PULL = FailureMode(
    "ImagePullBackOff",
    "the registry / Docker",
    "identity: the node or workload identity may not pull from the registry",
    ("identity.image-pull-auth", "identity.trust-mismatch", "identity.identity-not-found"),
)
_STATIC_CREDS = FailureMode(
    "broken permission handshakes after a key rotation",
    "the cloud SDK",
    "long-lived static cloud credentials in Kubernetes Secrets instead of workload identity",
    ("identity.static-cloud-credentials", "identity.workload-identity-not-enabled"),
)
_PENDING = FailureMode(
    "Pending pods",
    '"not enough nodes"',
    "fragmentation and missing requests; node pools that cannot serve the zone a volume is in",
    ("compute.unschedulable", "compute.fragmentation", "compute.missing-requests", "compute.node-pool-zone-gap"),
)
_EVICTION = FailureMode(
    "node drains that hang or take down every replica",
    "the upgrade",
    "no PodDisruptionBudget, or one that allows no disruption; no PriorityClass",
    ("compute.no-pdb", "compute.pdb-blocks-eviction", "compute.no-priority-class"),
)
_502 = FailureMode(
    "502 / 504 errors",
    "the application code",
    "network translation: MTU, readiness probes, ingress timeouts, exhausted SNAT ports",
    (
        "network.missing-readiness-probe",
        "network.service-no-ready-endpoints",
        "network.ingress-timeout-default",
        "network.mtu-mismatch",
        "network.nat-saturation",
    ),
)
_IP = FailureMode(
    "pods stuck in ContainerCreating: failed to assign an IP address",
    "the CNI plugin",
    "the subnet ran out of IP addresses",
    ("network.subnet-ip-exhaustion",),
)
_STUCK_STS = FailureMode(
    "stuck StatefulSet rollout, volume node affinity conflict",
    '"a Kubernetes bug"',
    "storage gravity: the disk lives in one zone, the pod was scheduled in another",
    (
        "storage.zone-conflict",
        "storage.immediate-binding",
        "storage.statefulset-rollout-stuck",
        "storage.no-topology-spread",
    ),
)
_DB_DEPLOYMENT = FailureMode(
    "database loses its volume or deadlocks on attach during a rollout",
    "the database",
    "a database run as a Deployment instead of a StatefulSet",
    ("storage.database-as-deployment",),
)
_BLIND = FailureMode(
    "an incident nobody can see: no metrics, no request rates, logs without the pod or zone",
    "the application",
    "no metrics pipeline, Services no scrape configuration selects, logs without trace_id/pod/node/zone",
    ("observability.no-metrics-pipeline", "observability.no-red-metrics", "observability.log-context-missing"),
)

_ENTRIES: tuple[MappingEntry, ...] = (
    # ------------------------------------------------------------------ identity
    MappingEntry(
        loop="identity",
        cloud="aws",
        primitives=("IRSA / IAM Roles", "EKS Pod Identity", "IAM OIDC provider", "ECR pull via node IAM role"),
        annotations=(
            "ServiceAccount: eks.amazonaws.com/role-arn",
            "ServiceAccount: eks.amazonaws.com/audience",
            "ServiceAccount: eks.amazonaws.com/sts-regional-endpoints",
        ),
        failure_modes=(_IMAGE_PULL, _STATIC_CREDS),
        docs=(
            "https://docs.aws.amazon.com/eks/latest/userguide/iam-roles-for-service-accounts.html",
            "https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html",
        ),
    ),
    MappingEntry(
        loop="identity",
        cloud="azure",
        primitives=("AKS Workload Identity / Entra ID", "user-assigned managed identity + federated credential", "AcrPull role assignment on the kubelet identity"),
        annotations=(
            "ServiceAccount: azure.workload.identity/client-id",
            "ServiceAccount: azure.workload.identity/tenant-id",
        ),
        labels=("Pod: azure.workload.identity/use=true",),
        failure_modes=(_IMAGE_PULL, _STATIC_CREDS),
        docs=(
            "https://learn.microsoft.com/azure/aks/workload-identity-overview",
            "https://learn.microsoft.com/azure/aks/cluster-container-registry-integration",
        ),
    ),
    MappingEntry(
        loop="identity",
        cloud="gcp",
        primitives=("GKE Workload Identity Federation", "IAM service account impersonation (roles/iam.workloadIdentityUser)", "Artifact Registry reader on the node service account"),
        annotations=("ServiceAccount: iam.gke.io/gcp-service-account",),
        labels=("Node: iam.gke.io/gke-metadata-server-enabled=true",),
        failure_modes=(_IMAGE_PULL, _STATIC_CREDS),
        docs=("https://cloud.google.com/kubernetes-engine/docs/concepts/workload-identity",),
    ),
    # ------------------------------------------------------------------ compute
    MappingEntry(
        loop="compute",
        cloud="aws",
        primitives=("Cluster Autoscaler", "Karpenter", "EKS managed node groups", "PriorityClass", "PodDisruptionBudget"),
        labels=(
            "Node: eks.amazonaws.com/nodegroup",
            "Node: eks.amazonaws.com/capacityType",
            "Node: karpenter.sh/nodepool",
            "Node: node.kubernetes.io/instance-type",
        ),
        topology_keys=(_ZONE,),
        failure_modes=(_PENDING, _EVICTION),
        docs=(
            "https://docs.aws.amazon.com/eks/latest/userguide/autoscaling.html",
            "https://karpenter.sh/docs/concepts/nodepools/",
        ),
    ),
    MappingEntry(
        loop="compute",
        cloud="azure",
        primitives=("KEDA", "Node Pools (system/user)", "cluster autoscaler", "PriorityClass", "PodDisruptionBudget"),
        labels=(
            "Node: kubernetes.azure.com/agentpool",
            "Node: kubernetes.azure.com/mode",
            "Node: kubernetes.azure.com/scalesetpriority",
            "Node: node.kubernetes.io/instance-type",
        ),
        topology_keys=(_ZONE,),
        failure_modes=(
            _PENDING,
            _EVICTION,
            FailureMode(
                "system add-ons evicted or starved",
                "AKS",
                "user workloads scheduled on the System node pool",
                ("compute.system-pool-user-workloads",),
            ),
            FailureMode(
                "ScaledObjects that never scale",
                "the metrics source",
                "the KEDA add-on is not enabled on the cluster",
                ("compute.keda-not-enabled",),
            ),
        ),
        docs=(
            "https://learn.microsoft.com/azure/aks/use-system-pools",
            "https://learn.microsoft.com/azure/aks/keda-about",
            "https://learn.microsoft.com/azure/aks/cluster-autoscaler",
        ),
    ),
    MappingEntry(
        loop="compute",
        cloud="gcp",
        primitives=("cluster autoscaler", "node auto-provisioning", "GKE node pools", "PriorityClass", "PodDisruptionBudget"),
        labels=(
            "Node: cloud.google.com/gke-nodepool",
            "Node: cloud.google.com/gke-provisioning",
            "Node: node.kubernetes.io/instance-type",
        ),
        topology_keys=(_ZONE,),
        failure_modes=(_PENDING, _EVICTION),
        docs=(
            "https://cloud.google.com/kubernetes-engine/docs/concepts/cluster-autoscaler",
            "https://cloud.google.com/kubernetes-engine/docs/how-to/node-auto-provisioning",
        ),
    ),
    # ------------------------------------------------------------------ network
    MappingEntry(
        loop="network",
        cloud="aws",
        primitives=("VPC CNI", "NAT Gateway", "AWS Load Balancer Controller", "NetworkPolicy", "readiness probes"),
        annotations=(
            "Ingress: alb.ingress.kubernetes.io/load-balancer-attributes",
            "Ingress: nginx.ingress.kubernetes.io/proxy-read-timeout",
        ),
        labels=("Node: vpc.amazonaws.com/has-trunk-attached",),
        topology_keys=(_ZONE,),
        failure_modes=(_502, _IP),
        docs=(
            "https://docs.aws.amazon.com/eks/latest/userguide/managing-vpc-cni.html",
            "https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-troubleshooting.html",
        ),
    ),
    MappingEntry(
        loop="network",
        cloud="azure",
        primitives=("Azure CNI", "NAT Gateway", "Private Endpoints", "Application Gateway for Containers", "NetworkPolicy", "readiness probes"),
        annotations=(
            "Service: service.beta.kubernetes.io/azure-load-balancer-internal",
            "Ingress: nginx.ingress.kubernetes.io/proxy-read-timeout",
        ),
        topology_keys=(_ZONE,),
        failure_modes=(_502, _IP),
        docs=(
            "https://learn.microsoft.com/azure/aks/azure-cni-overview",
            "https://learn.microsoft.com/azure/aks/nat-gateway",
            "https://learn.microsoft.com/azure/private-link/private-endpoint-overview",
        ),
    ),
    MappingEntry(
        loop="network",
        cloud="gcp",
        primitives=("VPC-native (alias IP) clusters", "Cloud NAT", "GKE Dataplane V2", "NetworkPolicy", "readiness probes"),
        annotations=(
            "Service: cloud.google.com/neg",
            "Service: cloud.google.com/backend-config",
            "Ingress: nginx.ingress.kubernetes.io/proxy-read-timeout",
        ),
        topology_keys=(_ZONE,),
        failure_modes=(_502, _IP),
        docs=(
            "https://cloud.google.com/kubernetes-engine/docs/concepts/alias-ips",
            "https://cloud.google.com/nat/docs/troubleshooting",
        ),
    ),
    # ------------------------------------------------------------------ storage
    MappingEntry(
        loop="storage",
        cloud="aws",
        primitives=("EBS CSI", "WaitForFirstConsumer", "EFS CSI", "StatefulSet", "topologySpreadConstraints"),
        annotations=("PersistentVolumeClaim: volume.kubernetes.io/selected-node",),
        topology_keys=("topology.ebs.csi.aws.com/zone", _ZONE, "topology.k8s.aws/zone-id"),
        csi_drivers=("ebs.csi.aws.com", "efs.csi.aws.com"),
        failure_modes=(_STUCK_STS, _DB_DEPLOYMENT),
        docs=(
            "https://docs.aws.amazon.com/eks/latest/userguide/ebs-csi.html",
            "https://kubernetes.io/docs/concepts/storage/storage-classes/#volume-binding-mode",
        ),
    ),
    MappingEntry(
        loop="storage",
        cloud="azure",
        primitives=("Azure Disk CSI", "WaitForFirstConsumer", "Azure Files CSI", "zone-redundant (ZRS) disks", "StatefulSet"),
        annotations=("PersistentVolumeClaim: volume.kubernetes.io/selected-node",),
        topology_keys=("topology.disk.csi.azure.com/zone", _ZONE),
        csi_drivers=("disk.csi.azure.com", "file.csi.azure.com"),
        failure_modes=(_STUCK_STS, _DB_DEPLOYMENT),
        docs=(
            "https://learn.microsoft.com/azure/aks/azure-disk-csi",
            "https://kubernetes.io/docs/concepts/storage/storage-classes/#volume-binding-mode",
        ),
    ),
    MappingEntry(
        loop="storage",
        cloud="gcp",
        primitives=("PD CSI", "WaitForFirstConsumer", "Filestore CSI", "regional persistent disks", "StatefulSet"),
        annotations=("PersistentVolumeClaim: volume.kubernetes.io/selected-node",),
        topology_keys=("topology.gke.io/zone", _ZONE),
        csi_drivers=("pd.csi.storage.gke.io", "filestore.csi.storage.gke.io"),
        failure_modes=(_STUCK_STS, _DB_DEPLOYMENT),
        docs=(
            "https://cloud.google.com/kubernetes-engine/docs/how-to/persistent-volumes/gce-pd-csi-driver",
            "https://kubernetes.io/docs/concepts/storage/storage-classes/#volume-binding-mode",
        ),
    ),
    MappingEntry(
        loop="observability",
        cloud="aws",
        primitives=("Amazon Managed Service for Prometheus", "CloudWatch Container Insights", "AWS Distro for OpenTelemetry", "metrics-server"),
        annotations=("Service: prometheus.io/scrape", "Pod: prometheus.io/scrape"),
        failure_modes=(_BLIND,),
        docs=("https://docs.aws.amazon.com/eks/latest/userguide/prometheus.html",
              "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/ContainerInsights.html"),
    ),
    MappingEntry(
        loop="observability",
        cloud="azure",
        primitives=("Azure Monitor managed service for Prometheus (ama-metrics)", "Container insights", "metrics-server"),
        annotations=("Service: prometheus.io/scrape", "Pod: prometheus.io/scrape"),
        failure_modes=(_BLIND,),
        docs=("https://learn.microsoft.com/azure/azure-monitor/containers/prometheus-metrics-scrape-configuration",
              "https://learn.microsoft.com/azure/aks/monitor-aks"),
    ),
    MappingEntry(
        loop="observability",
        cloud="gcp",
        primitives=("Google Cloud Managed Service for Prometheus (PodMonitoring)", "Cloud Logging / Cloud Monitoring for GKE", "metrics-server"),
        annotations=("Service: prometheus.io/scrape",),
        failure_modes=(_BLIND,),
        docs=("https://cloud.google.com/stackdriver/docs/managed-prometheus",
              "https://cloud.google.com/kubernetes-engine/docs/how-to/configure-metrics"),
    ),
)


def table() -> tuple[MappingEntry, ...]:
    """Every entry of the mapping table, loop by loop, then cloud by cloud.

    .. versionadded:: 0.1
    """
    return _ENTRIES


def lookup(loop: str | None = None, cloud: str | None = None) -> tuple[MappingEntry, ...]:
    """The entries for one loop and/or one cloud.

    Args:
        loop: ``identity``, ``compute``, ``network``, ``storage``, ``observability``; ``None`` for all.
        cloud: ``aws``, ``azure``, ``gcp``; ``None`` for all.

    Returns:
        The matching entries, in table order.

    Raises:
        BadInputError: an unknown loop or cloud name.

    .. versionadded:: 0.1
    """
    if loop is not None and loop not in LOOPS:
        raise BadInputError(f"unknown loop {loop!r} (expected one of {', '.join(LOOPS)})")
    if cloud is not None and cloud not in CLOUDS:
        raise BadInputError(f"unknown cloud {cloud!r} (expected one of {', '.join(CLOUDS)})")
    return tuple(
        e for e in _ENTRIES if (loop is None or e.loop == loop) and (cloud is None or e.cloud == cloud)
    )
