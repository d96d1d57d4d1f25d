"""Storage loop rules: each rule run through run_rules, a positive and a negative case."""

from __future__ import annotations

from typing import Any

from factories import cluster, container, event, meta, node, pod

from r2c_clouds.model.cloud import CloudFacts, Disk, NotChecked, Provenance
from r2c_clouds.model.findings import Finding, ObjectRef, Severity
from r2c_clouds.rules import run_rules


def run(objs: list[dict[str, Any]], rule_id: str, facts: CloudFacts | None = None,
        captured: list[str] | None = None) -> tuple[list[Finding], list[NotChecked]]:
    return run_rules(cluster(objs, captured=captured), facts, rules=[rule_id])


def storage_class(name: str, provisioner: str, mode: str | None = None, **params: str) -> dict[str, Any]:
    sc: dict[str, Any] = {"kind": "StorageClass", "apiVersion": "storage.k8s.io/v1", "metadata": meta(name, None),
                          "provisioner": provisioner, "reclaimPolicy": "Delete", "parameters": params}
    if mode:
        sc["volumeBindingMode"] = mode
    return sc


def pvc(name: str, ns: str, sc: str, volume: str, modes: tuple[str, ...] = ("ReadWriteOnce",)) -> dict[str, Any]:
    return {"kind": "PersistentVolumeClaim", "apiVersion": "v1", "metadata": meta(name, ns),
            "spec": {"accessModes": list(modes), "storageClassName": sc, "volumeName": volume,
                     "resources": {"requests": {"storage": "20Gi"}}},
            "status": {"phase": "Bound", "accessModes": list(modes), "capacity": {"storage": "20Gi"}}}


def ebs_pv(name: str, claim: tuple[str, str], zone: str, handle: str, sc: str = "gp2") -> dict[str, Any]:
    return {"kind": "PersistentVolume", "apiVersion": "v1", "metadata": meta(name, None),
            "spec": {"capacity": {"storage": "20Gi"}, "accessModes": ["ReadWriteOnce"], "storageClassName": sc,
                     "persistentVolumeReclaimPolicy": "Delete",
                     "claimRef": {"kind": "PersistentVolumeClaim", "namespace": claim[0], "name": claim[1]},
                     "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": handle, "fsType": "ext4"},
                     "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                         {"key": "topology.ebs.csi.aws.com/zone", "operator": "In", "values": [zone]}]}]}}},
            "status": {"phase": "Bound"}}


def two_zones() -> list[dict[str, Any]]:
    return [node("node-a", "us-east-1a"), node("node-b", "us-east-1b")]


def sts(name: str, ns: str, replicas: int, status: dict[str, Any], spec: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"kind": "StatefulSet", "apiVersion": "apps/v1", "metadata": meta(name, ns),
            "spec": {"replicas": replicas, "serviceName": name, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": spec or {"containers": [container()]}}},
            "status": status}


def deployment(name: str, ns: str, replicas: int, pod_spec: dict[str, Any], strategy: str = "RollingUpdate") -> dict[str, Any]:
    return {"kind": "Deployment", "apiVersion": "apps/v1", "metadata": meta(name, ns),
            "spec": {"replicas": replicas, "strategy": {"type": strategy}, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": pod_spec}}}


# --------------------------------------------------------------------------- immediate-binding


def test_immediate_binding_flags_zonal_classes_in_multi_zone_cluster() -> None:
    objs = [*two_zones(),
            storage_class("gp2", "kubernetes.io/aws-ebs", type="gp2", fsType="ext4"),  # mode unset = Immediate
            storage_class("managed-premium", "disk.csi.azure.com", "Immediate", skuName="Premium_LRS")]
    findings, _ = run(objs, "storage.immediate-binding")
    assert sorted(f.subject.name for f in findings) == ["gp2", "managed-premium"]
    assert all(f.severity == Severity.MEDIUM for f in findings)


def test_immediate_binding_high_when_pvc_sits_in_zone_without_nodes() -> None:
    objs = [*two_zones(), storage_class("gp2", "ebs.csi.aws.com", type="gp2"),
            pvc("data-orders-db-0", "shop", "gp2", "pvc-7f3c"),
            ebs_pv("pvc-7f3c", ("shop", "data-orders-db-0"), "us-east-1c", "vol-0c1d2e3f4a5b6c7d8")]
    findings, _ = run(objs, "storage.immediate-binding")
    assert [f.severity for f in findings] == [Severity.HIGH]
    assert "us-east-1c" in findings[0].evidence[-1].detail


def test_immediate_binding_quiet_for_wffc_regional_shared_or_single_zone() -> None:
    objs = [*two_zones(),
            storage_class("gp3", "ebs.csi.aws.com", "WaitForFirstConsumer", type="gp3"),
            storage_class("efs-sc", "efs.csi.aws.com", "Immediate", provisioningMode="efs-ap"),
            storage_class("zrs", "disk.csi.azure.com", "Immediate", skuName="Premium_ZRS"),
            storage_class("regional", "pd.csi.storage.gke.io", None, **{"replication-type": "regional-pd"}),
            storage_class("azurefile", "file.csi.azure.com", "Immediate", skuName="Standard_LRS")]
    assert run(objs, "storage.immediate-binding")[0] == []
    single = [node("node-a", "us-east-1a"), storage_class("gp2", "kubernetes.io/aws-ebs")]
    assert run(single, "storage.immediate-binding")[0] == []


# --------------------------------------------------------------------------- zone-conflict

VOL = "vol-0c1d2e3f4a5b6c7d8"


def db_pod(node_name: str | None, phase: str = "Running", **kw: Any) -> dict[str, Any]:
    return pod("orders-db-0", "shop", node_name=node_name, phase=phase, labels={"app": "orders-db"},
               owner=("StatefulSet", "orders-db"),
               volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "data-orders-db-0"}}], **kw)


def test_zone_conflict_pending_pod_with_disk_in_zone_without_nodes() -> None:
    pending = db_pod(None, "Pending", conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                                   "message": "0/2 nodes are available: 2 node(s) had volume node affinity conflict. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."}])
    ev = event("orders-db-0.1801", "shop", ("Pod", "orders-db-0"), "FailedScheduling",
               "0/2 nodes are available: 2 node(s) had volume node affinity conflict. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
               time="2026-11-25T09:02:11Z")
    objs = [*two_zones(), storage_class("gp2", "ebs.csi.aws.com"), pvc("data-orders-db-0", "shop", "gp2", "pvc-7f3c"),
            ebs_pv("pvc-7f3c", ("shop", "data-orders-db-0"), "us-east-1c", VOL), pending, ev]
    disk = Disk(VOL, Provenance("aws", "ec2:DescribeVolumes", VOL), zones=("us-east-1c",), sku="gp2")
    findings, _ = run(objs, "storage.zone-conflict", CloudFacts("aws", disks=(disk,)))
    assert len(findings) == 1
    f = findings[0]
    assert f.subject == ObjectRef("PersistentVolumeClaim", "shop", "data-orders-db-0")
    assert f.severity == Severity.HIGH
    assert f.related[0] == ObjectRef("PersistentVolume", None, "pvc-7f3c")
    assert ObjectRef("Pod", "shop", "orders-db-0") in f.related
    assert ObjectRef("StorageClass", None, "gp2") in f.related
    assert ObjectRef("Zone", None, "us-east-1c") in f.related
    assert any(e.source == "aws" and "us-east-1c" in e.detail for e in f.evidence)
    assert any(e.time == "2026-11-25T09:02:11Z" for e in f.evidence)


def test_zone_conflict_cloud_zone_disagrees_with_node_and_attach_event() -> None:
    # the PV states no affinity (statically provisioned); the cloud says the disk is in 1b
    pv = ebs_pv("pv-static", ("shop", "data-orders-db-0"), "us-east-1a", VOL)
    del pv["spec"]["nodeAffinity"]
    ev = event("orders-db-0.1802", "shop", ("Pod", "orders-db-0"), "FailedAttachVolume",
               f'AttachVolume.Attach failed for volume "pv-static" : rpc error: code = Internal desc = Could not attach volume "{VOL}" to node "i-0a1b2c3d4e5f6a7b8": could not attach volume "{VOL}" to node "i-0a1b2c3d4e5f6a7b8": InvalidVolume.ZoneMismatch: The volume \'{VOL}\' is not in the same availability zone as instance \'i-0a1b2c3d4e5f6a7b8\'',
               component="attachdetach-controller")
    objs = [*two_zones(), pvc("data-orders-db-0", "shop", "gp2", "pv-static"), pv,
            db_pod("node-a", "Pending"), ev]
    disk = Disk(VOL, Provenance("aws", "ec2:DescribeVolumes", VOL), zones=("us-east-1b",))
    findings, _ = run(objs, "storage.zone-conflict", CloudFacts("aws", disks=(disk,)))
    assert len(findings) == 1
    assert ObjectRef("Node", None, "node-a") in findings[0].related
    assert "us-east-1a" in findings[0].message and "us-east-1b" in findings[0].message


def test_zone_conflict_quiet_when_pod_and_disk_share_a_zone() -> None:
    objs = [*two_zones(), pvc("data-orders-db-0", "shop", "gp2", "pvc-7f3c"),
            ebs_pv("pvc-7f3c", ("shop", "data-orders-db-0"), "us-east-1b", VOL), db_pod("node-b")]
    assert run(objs, "storage.zone-conflict")[0] == []
    # Azure: the disk API's bare zone "2" is the node label's eastus-2
    az = [node("aks-a", "eastus-1"), node("aks-b", "eastus-2"), pvc("data-orders-db-0", "shop", "managed-csi", "pvc-9a"),
          ebs_pv("pvc-9a", ("shop", "data-orders-db-0"), "eastus-2", "/subscriptions/s/resourceGroups/mc_rg/providers/Microsoft.Compute/disks/pvc-9a"),
          db_pod("aks-b")]
    disk = Disk("/subscriptions/s/resourceGroups/mc_rg/providers/Microsoft.Compute/disks/pvc-9a",
                Provenance("azure", "disks.get", "pvc-9a"), zones=("2",))
    assert run(az, "storage.zone-conflict", CloudFacts("azure", disks=(disk,)))[0] == []


def test_zone_conflict_not_checked_without_pvs() -> None:
    _, not_checked = run([db_pod("node-a")], "storage.zone-conflict",
                         captured=["Pod", "Node", "PersistentVolumeClaim"])
    assert not_checked == [NotChecked("storage.zone-conflict", "not captured: PersistentVolume")]


# --------------------------------------------------------------------------- database-as-deployment


def _db_spec(image: str) -> dict[str, Any]:
    return {"containers": [container("db", image, volumeMounts=[{"name": "data", "mountPath": "/var/lib/postgresql/data"}])],
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "pg-data"}}]}


def test_database_as_deployment_flags_postgres_on_rwo_pvc() -> None:
    objs = [deployment("pg", "shop", 1, _db_spec("docker.io/library/postgres:16.4")), pvc("pg-data", "shop", "gp3", "pvc-1")]
    findings, _ = run(objs, "storage.database-as-deployment")
    assert [f.subject for f in findings] == [ObjectRef("Deployment", "shop", "pg")]
    assert findings[0].related == (ObjectRef("PersistentVolumeClaim", "shop", "pg-data"),)
    assert "RollingUpdate" in findings[0].message


def test_database_as_deployment_quiet_for_exporters_rwx_and_no_pvc() -> None:
    exporter = deployment("pg-exporter", "shop", 1, _db_spec("quay.io/prometheuscommunity/postgres-exporter:v0.15.0"))
    rwx = deployment("pg-rwx", "shop", 1, {**_db_spec("postgres:16"), "volumes": [
        {"name": "data", "persistentVolumeClaim": {"claimName": "shared"}}]})
    cache = deployment("redis", "shop", 1, {"containers": [container("redis", "redis:7.4")]})
    objs = [exporter, rwx, cache, pvc("pg-data", "shop", "gp3", "pvc-1"),
            pvc("shared", "shop", "efs-sc", "pvc-2", modes=("ReadWriteMany",))]
    assert run(objs, "storage.database-as-deployment")[0] == []


# --------------------------------------------------------------------------- no-topology-spread


def _api_pods(zones: list[str]) -> list[dict[str, Any]]:
    return [pod(f"api-7d9f8b6c5-{i:05d}", "shop", node_name=f"node-{z[-1]}", labels={"app": "api"},
                owner=("ReplicaSet", "api-7d9f8b6c5")) for i, z in enumerate(zones)]


def test_no_topology_spread_medium_when_all_replicas_in_one_zone() -> None:
    objs = [*two_zones(), deployment("api", "shop", 3, {"containers": [container()]}), *_api_pods(["us-east-1a"] * 3)]
    findings, _ = run(objs, "storage.no-topology-spread")
    assert [(f.subject, f.severity) for f in findings] == [(ObjectRef("Deployment", "shop", "api"), Severity.MEDIUM)]


def test_no_topology_spread_low_when_spread_by_chance() -> None:
    objs = [*two_zones(), deployment("api", "shop", 2, {"containers": [container()]}), *_api_pods(["us-east-1a", "us-east-1b"])]
    findings, _ = run(objs, "storage.no-topology-spread")
    assert [f.severity for f in findings] == [Severity.LOW]


def test_no_topology_spread_quiet_with_constraint_or_anti_affinity() -> None:
    tsc = {"containers": [container()], "topologySpreadConstraints": [
        {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway",
         "labelSelector": {"matchLabels": {"app": "api"}}}]}
    anti = {"containers": [container()], "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
        {"weight": 100, "podAffinityTerm": {"topologyKey": "topology.kubernetes.io/zone",
                                            "labelSelector": {"matchLabels": {"app": "web"}}}}]}}}
    objs = [*two_zones(), deployment("api", "shop", 3, tsc), deployment("web", "shop", 3, anti),
            deployment("solo", "shop", 1, {"containers": [container()]})]
    assert run(objs, "storage.no-topology-spread")[0] == []


# --------------------------------------------------------------------------- statefulset-rollout-stuck


def test_statefulset_rollout_stuck_on_crashlooping_pod() -> None:
    status = {"replicas": 3, "readyReplicas": 2, "updatedReplicas": 1, "currentReplicas": 2,
              "currentRevision": "orders-db-5d8c7b9f6", "updateRevision": "orders-db-6b9d8c7f5"}
    crash = pod("orders-db-2", "shop", labels={"app": "orders-db"}, owner=("StatefulSet", "orders-db"),
                conditions=[{"type": "Ready", "status": "False", "reason": "ContainersNotReady"}],
                container_statuses=[{"name": "app", "ready": False, "restartCount": 12, "state": {"waiting": {
                    "reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container=app pod=orders-db-2_shop"}}}])
    ok = [pod(f"orders-db-{i}", "shop", labels={"app": "orders-db"}, owner=("StatefulSet", "orders-db")) for i in (0, 1)]
    ev = event("orders-db-2.1803", "shop", ("Pod", "orders-db-2"), "BackOff",
               "Back-off restarting failed container app in pod orders-db-2_shop(uid-shop-orders-db-2)", component="kubelet")
    findings, _ = run([sts("orders-db", "shop", 3, status), crash, *ok, ev], "storage.statefulset-rollout-stuck")
    assert len(findings) == 1
    f = findings[0]
    assert f.subject == ObjectRef("StatefulSet", "shop", "orders-db")
    assert "CrashLoopBackOff" in f.message and "1/3 updated" in f.message
    assert set(f.related) == {ObjectRef("Pod", "shop", f"orders-db-{i}") for i in range(3)}


def test_statefulset_rollout_stuck_quiet_when_settled_or_progressing() -> None:
    settled = sts("cache", "shop", 2, {"replicas": 2, "readyReplicas": 2, "updatedReplicas": 2,
                                       "currentRevision": "cache-1", "updateRevision": "cache-1"})
    rolling = sts("queue", "shop", 2, {"replicas": 2, "readyReplicas": 1, "updatedReplicas": 1,
                                       "currentRevision": "queue-1", "updateRevision": "queue-2"})
    starting = pod("queue-1", "shop", labels={"app": "queue"}, owner=("StatefulSet", "queue"),
                   conditions=[{"type": "Ready", "status": "False"}])
    findings, _ = run([settled, rolling, starting], "storage.statefulset-rollout-stuck")
    assert findings == []


def test_statefulset_rollout_stuck_when_pods_cannot_be_created() -> None:
    status = {"replicas": 0, "readyReplicas": 0, "currentRevision": "kafka-7c9d", "updateRevision": "kafka-7c9d"}
    ev = event("kafka.1804", "shop", ("StatefulSet", "kafka"), "FailedCreate",
               'create Pod kafka-0 in StatefulSet kafka failed error: pods "kafka-0" is forbidden: exceeded quota: compute-quota, requested: limits.memory=4Gi, used: limits.memory=30Gi, limited: limits.memory=32Gi',
               component="statefulset-controller")
    findings, _ = run([sts("kafka", "shop", 3, status), ev], "storage.statefulset-rollout-stuck")
    assert [f.subject for f in findings] == [ObjectRef("StatefulSet", "shop", "kafka")]
    assert "exceeded quota" in findings[0].message and "0/3 ready" in findings[0].message


def test_zone_conflict_waits_while_the_autoscaler_adds_a_node() -> None:
    pending = db_pod(None, "Pending")
    failed = event("orders-db-0.1801", "shop", ("Pod", "orders-db-0"), "FailedScheduling",
                   "0/2 nodes are available: 2 node(s) had volume node affinity conflict. preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling.",
                   time="2026-11-25T09:00:00Z")
    scale = event("orders-db-0.1805", "shop", ("Pod", "orders-db-0"), "TriggeredScaleUp",
                  "pod triggered scale-up: [{eks-workers-c-2ac5b1e4 0->1 (max: 5)}]", type="Normal",
                  time="2026-11-25T09:00:15Z", component="cluster-autoscaler")
    objs = [*two_zones(), pvc("data-orders-db-0", "shop", "gp2", "pvc-7f3c"),
            ebs_pv("pvc-7f3c", ("shop", "data-orders-db-0"), "us-east-1c", VOL), pending, failed, scale]
    assert run(objs, "storage.zone-conflict")[0] == []
    # without the scale-up the same pod is a conflict
    assert len(run(objs[:-1], "storage.zone-conflict")[0]) == 1
