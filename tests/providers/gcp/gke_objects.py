"""The Kubernetes side of the GKE test world: nodes, ServiceAccounts, pods and volumes of
cluster ``prod`` as the API server would list them, matching gcp_world's cloud side.

Built from gcp_world's constants (the cloud) and this module's own (the cluster), never from
r2c_clouds' demo builders.
"""

from __future__ import annotations

from typing import Any

from gcp_world import (
    GSA_BILLING,
    GSA_EXPORT,
    GSA_GHOST,
    GSA_ML,
    GSA_ORDERS,
    GSA_REPORTS,
    PROJECT,
    REGION,
    REGIONAL_DISK,
    ZONAL_DISK,
)

AR_IMAGE = f"us-central1-docker.pkg.dev/{PROJECT}/apps/orders:1.4.2"
GCR_IMAGE = "gcr.io/acme-shared/tools:2024.10"
NODES = {
    # name: (pool, zone, podCIDR)
    "gke-prod-default-pool-1a2b3c4d-x7k2": ("default-pool", "us-central1-a", "10.64.0.0/24"),
    "gke-prod-default-pool-5e6f7a8b-q4m8": ("default-pool", "us-central1-b", "10.64.1.0/24"),
    "gke-prod-default-pool-9c0d1e2f-z9t1": ("default-pool", "us-central1-c", "10.64.2.0/24"),
    "gke-prod-batch-pool-3a4b5c6d-b1n7": ("batch-pool", "us-central1-a", "10.64.3.0/24"),
}
NODE_A, NODE_B, NODE_C, BATCH_NODE = NODES
#: (namespace, KSA) → the Google service account its annotation names.
ANNOTATED = {
    ("shop", "orders"): GSA_ORDERS,
    ("shop", "export"): GSA_EXPORT,
    ("shop", "billing"): GSA_BILLING,
    ("shop", "reports"): GSA_REPORTS,
    ("ml", "trainer"): GSA_ML,
    ("shop", "ghost"): GSA_GHOST,
}


def _meta(name: str, namespace: str | None = None, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "uid": f"uid-{namespace}-{name}", "creationTimestamp": "2026-12-01T08:00:00Z"}
    if namespace:
        meta["namespace"] = namespace
    meta.update(extra)
    return meta


def node(name: str) -> dict[str, Any]:
    pool, zone, cidr = NODES[name]
    return {
        "apiVersion": "v1", "kind": "Node",
        "metadata": _meta(name, labels={
            "kubernetes.io/hostname": name, "cloud.google.com/gke-nodepool": pool,
            "topology.kubernetes.io/zone": zone, "topology.kubernetes.io/region": REGION,
            "topology.gke.io/zone": zone, "node.kubernetes.io/instance-type": "e2-standard-4",
        }),
        "spec": {"providerID": f"gce://{PROJECT}/{zone}/{name}", "podCIDR": cidr, "podCIDRs": [cidr],
                 **({"taints": [{"key": "dedicated", "value": "batch", "effect": "NoSchedule"}]} if pool == "batch-pool" else {})},
        "status": {"allocatable": {"cpu": "3920m", "memory": "13Gi", "pods": "110"},
                   "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"},
                   "conditions": [{"type": "Ready", "status": "True"}]},
    }


def service_account(namespace: str, name: str, gsa: str | None) -> dict[str, Any]:
    ann = {"iam.gke.io/gcp-service-account": gsa} if gsa else {}
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(name, namespace, annotations=ann)}


def pod(name: str, namespace: str, node_name: str, *, sa: str = "default", image: str = AR_IMAGE,
        claim: str | None = None, waiting: str | None = None, tolerate_batch: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "serviceAccountName": sa, "nodeName": node_name,
        "containers": [{"name": "app", "image": image, "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}],
    }
    if claim:
        spec["volumes"] = [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}]
    if tolerate_batch:
        spec["tolerations"] = [{"key": "dedicated", "operator": "Equal", "value": "batch", "effect": "NoSchedule"}]
    state: dict[str, Any] = {"waiting": {"reason": waiting}} if waiting else {"running": {"startedAt": "2026-12-01T08:01:00Z"}}
    return {
        "apiVersion": "v1", "kind": "Pod",
        "metadata": _meta(name, namespace, labels={"app": name}),
        "spec": spec,
        "status": {"phase": "Pending" if waiting else "Running",
                   "containerStatuses": [{"name": "app", "ready": not waiting, "restartCount": 0, "image": image,
                                          "state": state}]},
    }


def pv_and_claim(name: str, namespace: str, handle: str) -> list[dict[str, Any]]:
    """A static PV (no nodeAffinity: only the cloud knows the disk's zone) and its bound PVC."""
    claim = f"{name}-data"
    return [
        {"apiVersion": "v1", "kind": "PersistentVolume",
         "metadata": _meta(name),
         "spec": {"capacity": {"storage": "20Gi"}, "accessModes": ["ReadWriteOnce"], "storageClassName": "standard-rwo",
                  "claimRef": {"kind": "PersistentVolumeClaim", "namespace": namespace, "name": claim},
                  "csi": {"driver": "pd.csi.storage.gke.io", "volumeHandle": handle, "fsType": "ext4"}},
         "status": {"phase": "Bound"}},
        {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
         "metadata": _meta(claim, namespace),
         "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "standard-rwo", "volumeName": name,
                  "resources": {"requests": {"storage": "20Gi"}}},
         "status": {"phase": "Bound"}},
    ]


def storage_class() -> dict[str, Any]:
    return {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": _meta("standard-rwo"),
            "provisioner": "pd.csi.storage.gke.io", "parameters": {"type": "pd-balanced"},
            "volumeBindingMode": "WaitForFirstConsumer"}


def gke_objects() -> list[dict[str, Any]]:
    """The whole cluster: 4 nodes, 6 annotated KSAs, pods on both pools, two static PVs."""
    objs: list[dict[str, Any]] = [node(n) for n in NODES]
    objs += [{"apiVersion": "v1", "kind": "Namespace", "metadata": _meta(ns)} for ns in ("shop", "ml", "default")]
    objs += [service_account(ns, sa, gsa) for (ns, sa), gsa in ANNOTATED.items()]
    objs += [
        pod("orders-7c9d-a1", "shop", NODE_A, sa="orders"),
        # on the pool without the GKE metadata server, pulling with the default compute SA
        pod("orders-batch-5f6a-b2", "shop", BATCH_NODE, sa="orders", waiting="ImagePullBackOff", tolerate_batch=True),
        pod("export-6b7c-c3", "shop", NODE_A, sa="export"),
        pod("billing-2d3e-d4", "shop", NODE_B, sa="billing", image=GCR_IMAGE),
        pod("reports-8f9a-e5", "shop", NODE_C, sa="reports"),
        pod("trainer-4c5d-f6", "ml", NODE_B, sa="trainer"),
        pod("ghost-1a2b-g7", "shop", NODE_C, sa="ghost"),
        # zonal disk in us-central1-a, pod placed in us-central1-b
        pod("db-0", "shop", NODE_B, claim="pv-zonal-data", waiting="ContainerCreating"),
        # regional disk replicated in a and b, pod placed in c
        pod("cache-0", "shop", NODE_C, claim="pv-regional-data", waiting="ContainerCreating"),
    ]
    objs += pv_and_claim("pv-zonal", "shop", f"projects/{PROJECT}/zones/us-central1-a/disks/{ZONAL_DISK}")
    objs += pv_and_claim("pv-regional", "shop", f"projects/{PROJECT}/regions/{REGION}/disks/{REGIONAL_DISK}")
    objs.append(storage_class())
    return objs
