"""A small shop cluster shaped like the seed's domino incident, and findings built by hand
(so these tests do not depend on the rules), for the chains, explain and checklist tests.

09:00:00  checkout-6f9c goes Pending (Insufficient cpu in us-east-1a, volume node affinity conflict elsewhere)
09:00:41  cluster-autoscaler scales workers-b (us-east-1b); ip-10-0-2-17 registers at 09:01:05
09:02:03  the pod is assigned to the new node in us-east-1b
09:03:10  AttachVolume fails: the gp2 volume was bound Immediately in us-east-1a
09:05:00  checkout talks to orders-db across zones; 09:10:00 the NAT gateway in us-east-1b drops packets
"""

from __future__ import annotations

from typing import Any

from factories import cluster, container, event, meta, node, pod

from r2c_clouds.model.cluster import ClusterState
from r2c_clouds.model.findings import Evidence, Finding, Loop, ObjectRef, Severity, finding_id

NS = "shop"
ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
PV_CACHE = "pvc-3f1a9c2e-7b4d-4e1a-9a51-0c2d8e6f4b17"
PV_DB0 = "pvc-8e2b7d10-1c3f-4a6e-b2d4-5f9a0c1e3b62"
NEW_NODE = "ip-10-0-2-17.ec2.internal"
NAT = "nat-0b1d2e3f4a5b6c7d8"

DEFAULT_SEVERITY = {
    "compute.unschedulable": Severity.HIGH,
    "compute.image-pull-backoff": Severity.HIGH,
    "compute.fragmentation": Severity.MEDIUM,
    "compute.missing-requests": Severity.MEDIUM,
    "compute.node-pool-zone-gap": Severity.HIGH,
    "storage.zone-conflict": Severity.HIGH,
    "storage.immediate-binding": Severity.MEDIUM,
    "storage.statefulset-rollout-stuck": Severity.HIGH,
    "network.service-no-ready-endpoints": Severity.CRITICAL,
    "network.readiness-failing": Severity.HIGH,
    "network.nat-saturation": Severity.HIGH,
    "network.cross-zone-traffic": Severity.MEDIUM,
    "identity.image-pull-auth": Severity.HIGH,
    "identity.trust-mismatch": Severity.HIGH,
    "identity.identity-not-found": Severity.HIGH,
}


def ref(text: str) -> ObjectRef:
    return ObjectRef.parse(text)


def finding(
    rule: str,
    subject: str,
    related: tuple[str, ...] = (),
    *,
    severity: Severity | None = None,
    message: str = "",
    evidence: tuple[Evidence, ...] = (),
) -> Finding:
    """A Finding as a rule would build it (id from rule + subject)."""
    subj = ref(subject)
    return Finding(
        id=finding_id(rule, subj),
        rule=rule,
        loop=Loop(rule.split(".")[0]),
        severity=severity if severity is not None else DEFAULT_SEVERITY.get(rule, Severity.MEDIUM),
        subject=subj,
        message=message or f"{rule} on {subj}",
        evidence=evidence,
        related=tuple(ref(r) for r in related),
    )


def _pvc(name: str, sc: str | None, volume: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "20Gi"}},
                            "volumeMode": "Filesystem"}
    if sc is not None:
        spec["storageClassName"] = sc
    if volume:
        spec["volumeName"] = volume
    return {"kind": "PersistentVolumeClaim", "apiVersion": "v1", "metadata": meta(name, NS),
            "spec": spec, "status": {"phase": "Bound" if volume else "Pending"}}


def _pv(name: str, claim: str, zone: str, handle: str, created: str) -> dict[str, Any]:
    return {
        "kind": "PersistentVolume", "apiVersion": "v1",
        "metadata": meta(name, None, creationTimestamp=created,
                         annotations={"pv.kubernetes.io/provisioned-by": "ebs.csi.aws.com"}),
        "spec": {
            "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "20Gi"},
            "claimRef": {"kind": "PersistentVolumeClaim", "namespace": NS, "name": claim},
            "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": handle, "fsType": "ext4"},
            "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                {"key": "topology.ebs.csi.aws.com/zone", "operator": "In", "values": [zone]}]}]}},
            "persistentVolumeReclaimPolicy": "Delete", "storageClassName": "gp2",
        },
        "status": {"phase": "Bound"},
    }


def _sc(name: str, mode: str, *, default: bool = False) -> dict[str, Any]:
    ann = {"storageclass.kubernetes.io/is-default-class": "true"} if default else {}
    return {"kind": "StorageClass", "apiVersion": "storage.k8s.io/v1", "metadata": meta(name, None, annotations=ann),
            "provisioner": "ebs.csi.aws.com", "parameters": {"type": name if name.startswith("gp") else "gp3"},
            "reclaimPolicy": "Delete", "volumeBindingMode": mode, "allowVolumeExpansion": True}


def _svc(name: str, selector: dict[str, str], port: int) -> dict[str, Any]:
    return {"kind": "Service", "apiVersion": "v1", "metadata": meta(name, NS),
            "spec": {"type": "ClusterIP", "clusterIP": "10.100.12.34", "selector": selector,
                     "ports": [{"name": "tcp", "port": port, "protocol": "TCP", "targetPort": port}]}}


def _claim(name: str) -> dict[str, Any]:
    return {"name": "data" if name.startswith("data") else "cache", "persistentVolumeClaim": {"claimName": name}}


def _node_event(name: str, node_name: str, reason: str, message: str, time: str) -> dict[str, Any]:
    """Node events live in ``default`` and name the node without a namespace, as the API shows them."""
    e = event(name, "default", ("Node", node_name), reason, message, type="Normal", time=time, component="node-controller")
    e["involvedObject"] = {"kind": "Node", "name": node_name, "uid": node_name}
    return e


def world_objects() -> list[dict[str, Any]]:
    """The API-shaped objects of the shop cluster."""
    new_node = node(NEW_NODE, "us-east-1b", pool="workers-b")
    new_node["metadata"]["creationTimestamp"] = "2026-11-25T09:01:05Z"
    gpu = node("ip-10-0-1-90.ec2.internal", "us-east-1a", pool="gpu",
               taints=[{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}])
    sts = {
        "kind": "StatefulSet", "apiVersion": "apps/v1", "metadata": meta("orders-db", NS),
        "spec": {"replicas": 2, "serviceName": "orders-db", "selector": {"matchLabels": {"app": "orders-db"}},
                 "template": {"metadata": {"labels": {"app": "orders-db"}},
                              "spec": {"containers": [container("postgres", "postgres:16.4")]}},
                 "volumeClaimTemplates": [{"metadata": {"name": "data"},
                                           "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "gp3",
                                                    "resources": {"requests": {"storage": "20Gi"}}}}]},
        "status": {"replicas": 2, "readyReplicas": 1, "currentReplicas": 2, "updatedReplicas": 1},
    }
    checkout = pod("checkout-6f9c", NS, node_name=NEW_NODE, phase="Pending",
                   containers=[container("checkout", f"{ECR}/shop/checkout:2.3.1", cpu="1500m")],
                   labels={"app": "checkout"}, owner=("ReplicaSet", "checkout-6f9c8d7b5"),
                   volumes=[_claim("checkout-cache")], service_account="checkout",
                   conditions=[{"type": "PodScheduled", "status": "True",
                                "lastTransitionTime": "2026-11-25T09:02:03Z"}])
    checkout["status"]["startTime"] = "2026-11-25T09:02:03Z"
    web = pod("web-1", NS, node_name=NEW_NODE, containers=[container("web", f"{ECR}/shop/web:1.4")],
              labels={"app": "web"}, service_account="web", phase="Pending",
              container_statuses=[{"name": "web", "ready": False, "restartCount": 0, "image": f"{ECR}/shop/web:1.4",
                                   "state": {"waiting": {"reason": "ImagePullBackOff",
                                                         "message": f'Back-off pulling image "{ECR}/shop/web:1.4"'}}}])
    db0 = pod("orders-db-0", NS, node_name="node-a", containers=[container("postgres", "postgres:16.4")],
              labels={"app": "orders-db"}, owner=("StatefulSet", "orders-db"), volumes=[_claim("data-orders-db-0")])
    db1 = pod("orders-db-1", NS, node_name=None, phase="Pending", containers=[container("postgres", "postgres:16.4")],
              labels={"app": "orders-db"}, owner=("StatefulSet", "orders-db"), volumes=[_claim("data-orders-db-1")],
              conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}])
    gpu_job = pod("train-5", NS, node_name=None, phase="Pending", labels={"app": "train"},
                  nodeSelector={"eks.amazonaws.com/nodegroup": "workers-a"})
    return [
        {"kind": "Namespace", "apiVersion": "v1", "metadata": meta(NS, None), "status": {"phase": "Active"}},
        node("node-a", "us-east-1a", pool="workers-a"),
        node("ip-10-0-2-41.ec2.internal", "us-east-1b", pool="workers-b"),
        new_node, gpu,
        _sc("gp2", "Immediate", default=True), _sc("gp3", "WaitForFirstConsumer"),
        _pvc("checkout-cache", "gp2", PV_CACHE), _pvc("other-cache", "gp3", None), _pvc("legacy", None, None),
        _pvc("data-orders-db-0", "gp3", PV_DB0), _pvc("data-orders-db-1", "gp3", None),
        _pv(PV_CACHE, "checkout-cache", "us-east-1a", "vol-0a1b2c3d4e5f60718", "2026-11-25T08:55:02Z"),
        _pv(PV_DB0, "data-orders-db-0", "us-east-1a", "vol-0c9d8e7f6a5b40312", "2026-11-24T10:00:00Z"),
        sts, checkout, web, db0, db1, gpu_job,
        {"kind": "Deployment", "apiVersion": "apps/v1", "metadata": meta("checkout", NS),
         "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "checkout"}},
                  "template": {"metadata": {"labels": {"app": "checkout"}}, "spec": {"containers": [container()]}}},
         "status": {"replicas": 1}},
        _svc("orders-db", {"app": "orders-db"}, 5432), _svc("web", {"app": "web"}, 80),
        {"kind": "ServiceAccount", "apiVersion": "v1", "metadata": meta("web", NS)},
        event("checkout-cache.187b1f2a0c3d4e01", NS, ("PersistentVolumeClaim", "checkout-cache"), "ProvisioningSucceeded",
              f"Successfully provisioned volume {PV_CACHE}", type="Normal", time="2026-11-25T08:55:02Z",
              component="ebs.csi.aws.com_ebs-csi-controller-7d9c6b5f4-x2kq8_5e1d"),
        event("checkout-6f9c.187b1f9d2e4a6c10", NS, ("Pod", "checkout-6f9c"), "FailedScheduling",
              "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had volume node affinity conflict. "
              "preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, "
              "2 Preemption is not helpful for scheduling.", time="2026-11-25T09:00:00Z"),
        event("checkout-6f9c.187b1fa6e1b2c3d4", NS, ("Pod", "checkout-6f9c"), "TriggeredScaleUp",
              "pod triggered scale-up: [{eks-workers-b-5ec6a8b1-1f2e-4d3c-9b8a 2->3 (max: 6)}]", type="Normal",
              time="2026-11-25T09:00:41Z", component="cluster-autoscaler"),
        _node_event(f"{NEW_NODE}.187b1fb0a1b2c3d4", NEW_NODE, "RegisteredNode",
                    f"Node {NEW_NODE} event: Registered Node {NEW_NODE} in Controller", "2026-11-25T09:01:07Z"),
        event("checkout-6f9c.187b1fbc5d6e7f80", NS, ("Pod", "checkout-6f9c"), "Scheduled",
              f"Successfully assigned {NS}/checkout-6f9c to {NEW_NODE}", type="Normal", time="2026-11-25T09:02:03Z"),
        event("checkout-6f9c.187b1fc8a9b0c1d2", NS, ("Pod", "checkout-6f9c"), "FailedAttachVolume",
              f'AttachVolume.Attach failed for volume "{PV_CACHE}" : rpc error: code = Internal desc = Could not '
              'attach volume "vol-0a1b2c3d4e5f60718" to node "i-0f1e2d3c4b5a69788": could not attach volume '
              '"vol-0a1b2c3d4e5f60718" to node "i-0f1e2d3c4b5a69788": InvalidVolume.ZoneMismatch: The volume '
              "'vol-0a1b2c3d4e5f60718' is not in the same availability zone as instance 'i-0f1e2d3c4b5a69788'",
              time="2026-11-25T09:03:10Z", component="attachdetach-controller", count=4),
        event("web-1.187b1f00aa", NS, ("Pod", "web-1"), "Failed",
              f'Failed to pull image "{ECR}/shop/web:1.4": rpc error: code = Unknown desc = failed to pull and '
              f'unpack image "{ECR}/shop/web:1.4": failed to resolve reference "{ECR}/shop/web:1.4": '
              "pull access denied, repository does not exist or may require authorization: authorization failed: "
              "no basic auth credentials", time="2026-11-25T08:40:00Z", component="kubelet"),
        event("orders-db-0.187b1f00bb", NS, ("Pod", "orders-db-0"), "Unhealthy",
              'Readiness probe failed: HTTP probe failed with statuscode: 503', time="2026-11-25T09:06:00Z",
              component="kubelet"),
    ]


def world() -> ClusterState:
    return cluster(world_objects(), name="shop-prod")


def domino() -> dict[str, Finding]:
    """The domino incident's findings, keyed by a short name."""
    return {
        "pending": finding(
            "compute.unschedulable", f"Pod/{NS}/checkout-6f9c", (f"PersistentVolumeClaim/{NS}/checkout-cache", f"Node/{NEW_NODE}"),
            message="Pod shop/checkout-6f9c has been Pending for 10m: 0/3 nodes are available.",
            evidence=(Evidence("kubernetes", f"Event/{NS}/checkout-6f9c.187b1f9d2e4a6c10",
                               "FailedScheduling: 0/3 nodes are available", time="2026-11-25T09:00:00Z"),),
        ),
        "conflict": finding(
            "storage.zone-conflict", f"PersistentVolumeClaim/{NS}/checkout-cache",
            (f"PersistentVolume/{PV_CACHE}", f"Pod/{NS}/checkout-6f9c", f"Node/{NEW_NODE}", "StorageClass/gp2", "Zone/us-east-1a"),
            message="PVC shop/checkout-cache is bound to a volume in us-east-1a; its pod was placed in us-east-1b.",
        ),
        "immediate": finding("storage.immediate-binding", "StorageClass/gp2",
                             message="StorageClass gp2 uses volumeBindingMode: Immediate."),
        "crosszone": finding(
            "network.cross-zone-traffic", f"Service/{NS}/orders-db", (f"Pod/{NS}/checkout-6f9c", "Zone/us-east-1b"),
            message="Service shop/orders-db (us-east-1a) is called from us-east-1b.",
            evidence=(Evidence("kubernetes", f"EndpointSlice/{NS}/orders-db-x7k2p", "endpoints only in us-east-1a",
                               time="2026-11-25T09:05:00Z"),),
        ),
        "nat": finding(
            "network.nat-saturation", f"NatGateway/{NAT}", ("Zone/us-east-1b",),
            message=f"NAT gateway {NAT} dropped packets.",
            evidence=(Evidence("aws", f"aws cloudwatch:GetMetricData {NAT}",
                               "ErrorPortAllocation 1840, PacketsDropCount 96211 over 60 min",
                               time="2026-11-25T09:10:00Z"),),
        ),
        "nopdb": finding("compute.no-pdb", f"Deployment/{NS}/checkout", severity=Severity.MEDIUM),
    }


# --------------------------------------------------------------------------- the domino, for a real scan

PV_DB1 = "pvc-5c7e9a1b-3d2f-4b6a-8e0c-7a9b1d3f5e24"


def domino_objects() -> list[dict[str, Any]]:
    """The seed's domino as a cluster the real rules scan: orders-db-1's volume was bound
    Immediately in us-east-1a, the autoscaler added a node in us-east-1b, the pod stays
    Pending, the only ready database is in us-east-1a and checkout in us-east-1b calls it
    through the us-east-1b NAT gateway's zone."""
    new_node = node(NEW_NODE, "us-east-1b", pool="workers-b")
    new_node["metadata"]["creationTimestamp"] = "2026-11-25T09:01:05Z"
    gp2 = _sc("gp2", "Immediate", default=True)
    sts = {
        "kind": "StatefulSet", "apiVersion": "apps/v1", "metadata": meta("orders-db", NS),
        "spec": {"replicas": 2, "serviceName": "orders-db", "selector": {"matchLabels": {"app": "orders-db"}},
                 "template": {"metadata": {"labels": {"app": "orders-db"}},
                              "spec": {"containers": [container("postgres", "postgres:16.4", cpu="2")]}},
                 "volumeClaimTemplates": [{"metadata": {"name": "data"},
                                           "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "gp2",
                                                    "resources": {"requests": {"storage": "20Gi"}}}}]},
        "status": {"replicas": 2, "readyReplicas": 1, "currentReplicas": 2, "updatedReplicas": 2,
                   "currentRevision": "orders-db-7b9c5d", "updateRevision": "orders-db-7b9c5d"},
    }
    db0 = pod("orders-db-0", NS, node_name="node-a", containers=[container("postgres", "postgres:16.4", cpu="2")],
              labels={"app": "orders-db"}, owner=("StatefulSet", "orders-db"), volumes=[_claim("data-orders-db-0")])
    db1 = pod("orders-db-1", NS, node_name=None, phase="Pending", containers=[container("postgres", "postgres:16.4", cpu="2")],
              labels={"app": "orders-db"}, owner=("StatefulSet", "orders-db"), volumes=[_claim("data-orders-db-1")],
              conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                           "message": "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had volume node affinity conflict."}])
    clients = [
        pod(f"checkout-6f9c8d7b5-{suffix}", NS, node_name=n, labels={"app": "checkout"},
            owner=("ReplicaSet", "checkout-6f9c8d7b5"),
            containers=[container("checkout", f"{ECR}/shop/checkout:2.3.1",
                                  env=[{"name": "DATABASE_HOST", "value": "orders-db.shop.svc.cluster.local"},
                                       {"name": "DATABASE_PORT", "value": "5432"}])])
        for suffix, n in (("q7w2x", "ip-10-0-2-41.ec2.internal"), ("m4k9p", NEW_NODE))
    ]
    pv0 = _pv(PV_DB0, "data-orders-db-0", "us-east-1a", "vol-0c9d8e7f6a5b40312", "2026-11-24T10:00:00Z")
    pv1 = _pv(PV_DB1, "data-orders-db-1", "us-east-1a", "vol-0a1b2c3d4e5f60718", "2026-11-25T08:59:58Z")
    return [
        {"kind": "Namespace", "apiVersion": "v1", "metadata": meta(NS, None), "status": {"phase": "Active"}},
        node("node-a", "us-east-1a", cpu="2", pool="workers-a"),
        node("ip-10-0-2-41.ec2.internal", "us-east-1b", pool="workers-b"), new_node,
        gp2, _pvc("data-orders-db-0", "gp2", PV_DB0), _pvc("data-orders-db-1", "gp2", PV_DB1), pv0, pv1,
        sts, db0, db1, *clients, _svc("orders-db", {"app": "orders-db"}, 5432),
        {"kind": "Deployment", "apiVersion": "apps/v1", "metadata": meta("checkout", NS),
         "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "checkout"}},
                  "template": {"metadata": {"labels": {"app": "checkout"}}, "spec": {"containers": [container()]}}},
         "status": {"replicas": 2, "readyReplicas": 2}},
        event("data-orders-db-1.187b1f8a0c3d4e01", NS, ("PersistentVolumeClaim", "data-orders-db-1"), "ProvisioningSucceeded",
              f"Successfully provisioned volume {PV_DB1}", type="Normal", time="2026-11-25T08:59:58Z",
              component="ebs.csi.aws.com_ebs-csi-controller-7d9c6b5f4-x2kq8_5e1d"),
        event("orders-db-1.187b1f9d2e4a6c10", NS, ("Pod", "orders-db-1"), "FailedScheduling",
              "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had volume node affinity conflict. "
              "preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, "
              "1 Preemption is not helpful for scheduling.", time="2026-11-25T09:00:00Z"),
        event("orders-db-1.187b1fa6e1b2c3d4", NS, ("Pod", "orders-db-1"), "TriggeredScaleUp",
              "pod triggered scale-up: [{eks-workers-b-5ec6a8b1-1f2e-4d3c-9b8a 1->2 (max: 6)}]", type="Normal",
              time="2026-11-25T09:00:41Z", component="cluster-autoscaler"),
        _node_event(f"{NEW_NODE}.187b1fb0a1b2c3d4", NEW_NODE, "RegisteredNode",
                    f"Node {NEW_NODE} event: Registered Node {NEW_NODE} in Controller", "2026-11-25T09:01:07Z"),
        event("orders-db-1.187b1fc8a9b0c1d2", NS, ("Pod", "orders-db-1"), "FailedScheduling",
              "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had volume node affinity conflict. "
              "preemption: 0/3 nodes are available: 1 No preemption victims found for incoming pod, "
              "2 Preemption is not helpful for scheduling.", time="2026-11-25T09:02:12Z", count=6),
    ]


def domino_facts() -> Any:
    """What CloudWatch says about the us-east-1b NAT gateway during the incident."""
    from r2c_clouds.model.cloud import CloudFacts, EgressGateway, NodePool, Provenance

    def pool(name: str, zone: str) -> NodePool:
        return NodePool(name, Provenance("aws", "eks:DescribeNodegroup", f"shop-prod/{name}"), zones=(zone,),
                        min_size=1, max_size=6, desired_size=2, autoscaling=True, instance_types=("m6i.large",))

    return CloudFacts(
        provider="aws", cluster_name="shop-prod", region="us-east-1",
        node_pools=(pool("workers-a", "us-east-1a"), pool("workers-b", "us-east-1b")),
        egress_gateways=(EgressGateway(NAT, Provenance("aws", "cloudwatch:GetMetricData", NAT), zone="us-east-1b",
                                       port_allocation_errors=1840.0, dropped_packets=96211.0,
                                       active_connections=54210.0),),
    )
