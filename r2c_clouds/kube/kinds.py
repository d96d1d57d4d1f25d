"""The table of Kubernetes kinds r2c_clouds reads: API coordinates and wire structs.

One row per kind; the live reader and the snapshot loader both work from this table, so a
kind is added in one place. ``field`` is the attribute of
:class:`r2c_clouds.model.cluster.ClusterState` that holds the kind's objects.
"""

from __future__ import annotations

from typing import Any

import msgspec
from attrs import frozen

from r2c_clouds.model import kube as k
from r2c_clouds.model.cluster import KIND_FIELDS

__all__ = [
    "CLOSED_GROUPS",
    "IGNORED_KINDS",
    "KINDS",
    "KINDS_BY_LIST_KIND",
    "KINDS_BY_NAME",
    "KindInfo",
    "kind_for",
]


@frozen
class KindInfo:
    """API coordinates of one kind.

    Args:
        kind: ``Pod``.
        group: API group, ``""`` for core.
        version: preferred version.
        plural: resource name in URLs, ``pods``.
        namespaced: namespaced or cluster-scoped.
        wire: the msgspec Struct the items decode into.
        optional: a custom resource that may not be installed (404 = not installed, not an error).
        aliases: other spellings found in snapshots (file names, older kinds).
    """

    kind: str
    group: str
    version: str
    plural: str
    namespaced: bool
    wire: Any
    optional: bool = False
    aliases: tuple[str, ...] = ()

    @property
    def field(self) -> str:
        """The ClusterState attribute that holds the kind's objects (the model's own table,
        :data:`r2c_clouds.model.cluster.KIND_FIELDS`)."""
        return KIND_FIELDS[self.kind]

    @property
    def api_version(self) -> str:
        """``v1`` or ``apps/v1``."""
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None) -> str:
        """Cluster-wide (or namespaced) list URL path."""
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if namespace and self.namespaced:
            return f"{base}/namespaces/{namespace}/{self.plural}"
        return f"{base}/{self.plural}"


KINDS: tuple[KindInfo, ...] = (
    KindInfo("Namespace", "", "v1", "namespaces", False, k.Namespace),
    KindInfo("Node", "", "v1", "nodes", False, k.Node),
    KindInfo("Pod", "", "v1", "pods", True, k.Pod),
    KindInfo("Service", "", "v1", "services", True, k.Service),
    KindInfo("Endpoints", "", "v1", "endpoints", True, k.Endpoints),
    KindInfo(
        "EndpointSlice", "discovery.k8s.io", "v1", "endpointslices", True, k.EndpointSlice,
    ),
    KindInfo(
        "Ingress", "networking.k8s.io", "v1", "ingresses", True, k.Ingress,
        aliases=("ingress",),
    ),
    KindInfo(
        "NetworkPolicy", "networking.k8s.io", "v1", "networkpolicies", True, k.NetworkPolicy, aliases=("network-policy", "network-policies", "netpol"),
    ),
    KindInfo(
        "PersistentVolumeClaim", "", "v1", "persistentvolumeclaims", True,
        k.PersistentVolumeClaim, aliases=("pvcs", "pvc"),
    ),
    KindInfo(
        "PersistentVolume", "", "v1", "persistentvolumes", False, k.PersistentVolume,
        aliases=("pvs", "pv"),
    ),
    KindInfo(
        "StorageClass", "storage.k8s.io", "v1", "storageclasses", False, k.StorageClass, aliases=("storage-classes", "sc"),
    ),
    KindInfo("ServiceAccount", "", "v1", "serviceaccounts", True, k.ServiceAccount),
    KindInfo(
        "ClusterRoleBinding", "rbac.authorization.k8s.io", "v1", "clusterrolebindings", False,
        k.ClusterRoleBinding,
    ),
    KindInfo(
        "RoleBinding", "rbac.authorization.k8s.io", "v1", "rolebindings", True, k.RoleBinding,
    ),
    KindInfo(
        "PodDisruptionBudget", "policy", "v1", "poddisruptionbudgets", True,
        k.PodDisruptionBudget, aliases=("pod-disruption-budgets", "pdb"),
    ),
    KindInfo(
        "PriorityClass", "scheduling.k8s.io", "v1", "priorityclasses", False, k.PriorityClass,
    ),
    KindInfo("Deployment", "apps", "v1", "deployments", True, k.Deployment),
    KindInfo("StatefulSet", "apps", "v1", "statefulsets", True, k.StatefulSet),
    KindInfo("DaemonSet", "apps", "v1", "daemonsets", True, k.DaemonSet),
    KindInfo("ReplicaSet", "apps", "v1", "replicasets", True, k.ReplicaSet, aliases=("rs",)),
    KindInfo("Job", "batch", "v1", "jobs", True, k.Job),
    KindInfo("CronJob", "batch", "v1", "cronjobs", True, k.CronJob, aliases=("cj",)),
    KindInfo(
        "HorizontalPodAutoscaler", "autoscaling", "v2", "horizontalpodautoscalers", True,
        k.HorizontalPodAutoscaler, aliases=("hpa",),
    ),
    KindInfo("Event", "", "v1", "events", True, k.Event),
    KindInfo("ConfigMap", "", "v1", "configmaps", True, k.ConfigMap),
    KindInfo("Secret", "", "v1", "secrets", True, k.SecretWire),
    KindInfo(
        "ScaledObject", "keda.sh", "v1alpha1", "scaledobjects", True, k.ScaledObject, optional=True, aliases=("scaledobjects.keda.sh",),
    ),
    KindInfo(
        "ServiceMonitor", "monitoring.coreos.com", "v1", "servicemonitors", True,
        k.ServiceMonitor, optional=True,
        aliases=("servicemonitors.monitoring.coreos.com",),
    ),
)

KINDS_BY_NAME: dict[str, KindInfo] = {ki.kind: ki for ki in KINDS}
KINDS_BY_LIST_KIND: dict[str, KindInfo] = {f"{ki.kind}List": ki for ki in KINDS}

#: Built-in kinds (current and removed) that snapshots and manifests commonly carry and no
#: rule reads: skipped and counted, never an error.
IGNORED_KINDS: frozenset[str] = frozenset(
    {
        "ReplicationController", "Lease", "Role", "ClusterRole",
        "ResourceQuota", "LimitRange", "ControllerRevision",
        "IngressClass", "CustomResourceDefinition", "VolumeAttachment", "CSIDriver", "CSINode",
        "CertificateSigningRequest", "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration", "APIService", "PodTemplate", "RuntimeClass",
        "ComponentStatus", "Binding", "CSIStorageCapacity", "FlowSchema",
        "PriorityLevelConfiguration", "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding", "StorageVersionMigration", "VolumeAttributesClass",
        "IPAddress", "ServiceCIDR", "ResourceClaim", "ResourceClaimTemplate", "ResourceSlice",
        "DeviceClass", "PodMetrics", "NodeMetrics", "Eviction", "Scale",
        # removed from Kubernetes, still found in older manifests
        "PodSecurityPolicy", "PodPreset", "InitializerConfiguration", "ThirdPartyResource",
        "DeploymentRollback", "ReplicationControllerDummy", "AuditSink", "ResourceClass",
        "PodScheduling", "PodSchedulingContext",
    }
)

#: The API groups whose kinds are fixed (the core group and the legacy groups without a
#: dot), with every kind they serve or served. An object of another kind in one of these
#: groups is refused by the API server, so it is an error here too (``Serviceee`` in ``v1``);
#: a kind unknown here in any other group (Gateway API, VerticalPodAutoscaler, a CRD) is a
#: kind no rule reads, skipped and counted.
CLOSED_GROUPS: dict[str, frozenset[str]] = {
    "": frozenset(
        {
            "Binding", "ComponentStatus", "ConfigMap", "Endpoints", "Event", "LimitRange",
            "Namespace", "Node", "PersistentVolume", "PersistentVolumeClaim", "Pod",
            "PodTemplate", "ReplicationController", "ResourceQuota", "Secret", "Service",
            "ServiceAccount", "RangeAllocation", "SerializedReference",
        }
    ),
    "apps": frozenset(
        {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ControllerRevision", "Scale",
         "DeploymentRollback"}
    ),
    "batch": frozenset({"Job", "CronJob", "JobTemplate"}),
    "autoscaling": frozenset({"HorizontalPodAutoscaler", "Scale"}),
    "policy": frozenset({"PodDisruptionBudget", "PodSecurityPolicy", "Eviction"}),
    "extensions": frozenset(
        {"Deployment", "DaemonSet", "ReplicaSet", "Ingress", "NetworkPolicy", "PodSecurityPolicy",
         "ThirdPartyResource", "ReplicationControllerDummy", "Scale", "DeploymentRollback"}
    ),
}


def kind_for(name: str) -> KindInfo | None:
    """Look a kind up by ``Kind``, ``KindList``, plural or snapshot alias (case-insensitive)."""
    key = name.strip()
    if key in KINDS_BY_NAME:
        return KINDS_BY_NAME[key]
    if key in KINDS_BY_LIST_KIND:
        return KINDS_BY_LIST_KIND[key]
    low = key.lower()
    for ki in KINDS:
        if low in (ki.kind.lower(), ki.plural, f"{ki.kind.lower()}list", *ki.aliases):
            return ki
        if low.replace("-", "").replace("_", "") == ki.plural:
            return ki
    return None


def decoder(ki: KindInfo) -> msgspec.json.Decoder[Any]:
    """A cached JSON decoder for one kind's items."""
    dec = _DECODERS.get(ki.kind)
    if dec is None:
        dec = _DECODERS[ki.kind] = msgspec.json.Decoder(ki.wire)
    return dec


_DECODERS: dict[str, msgspec.json.Decoder[Any]] = {}
