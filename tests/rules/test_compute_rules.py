"""compute loop rules other than the scheduling explainer (see test_unschedulable.py)."""

from __future__ import annotations

from typing import Any

from factories import cluster, container, event, meta, node, pod

from r2c_clouds.model.cloud import CloudFacts, NetworkSettings, NodePool, NotChecked, Provenance
from r2c_clouds.model.findings import Finding, ObjectRef, Severity
from r2c_clouds.rules import REGISTRY, run_rules


def run(objs: list[dict[str, Any]], rule: str, facts: CloudFacts | None = None, **kw: Any) -> list[Finding]:
    findings, not_checked = run_rules(cluster(objs, **kw), facts, rules=[rule])
    assert not_checked == []
    return findings


def subjects(findings: list[Finding]) -> list[str]:
    return [str(f.subject) for f in findings]


def deployment(name: str, ns: str = "shop", *, replicas: int = 3, containers: list[dict[str, Any]] | None = None,
               labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    lab = labels or {"app": name}
    tspec: dict[str, Any] = {"containers": containers or [container()], **spec}
    return {"kind": "Deployment", "apiVersion": "apps/v1", "metadata": meta(name, ns),
            "spec": {"replicas": replicas, "selector": {"matchLabels": lab},
                     "template": {"metadata": {"labels": lab}, "spec": tspec}},
            "status": {"replicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas}}


def rs_pod(dep: str, suffix: str, ns: str = "shop", **kw: Any) -> dict[str, Any]:
    return pod(f"{dep}-7d9f8b6c5-{suffix}", ns, owner=("ReplicaSet", f"{dep}-7d9f8b6c5"),
               labels={"app": dep}, **kw)


def pdb(name: str, app: str, *, status: dict[str, int], **spec: Any) -> dict[str, Any]:
    return {"kind": "PodDisruptionBudget", "apiVersion": "policy/v1", "metadata": meta(name, "shop"),
            "spec": {"selector": {"matchLabels": {"app": app}}, **spec}, "status": status}


PROV = Provenance("aws", "eks:DescribeNodegroup", "arn:aws:eks:us-east-1:123456789012:nodegroup/prod/workers")


# --------------------------------------------------------------------------- metadata


def test_every_compute_rule_has_full_metadata() -> None:
    ids = {rid for rid in REGISTRY if rid.startswith("compute.")}
    assert ids >= {
        "compute.missing-requests", "compute.missing-memory-limit", "compute.no-priority-class",
        "compute.no-pdb", "compute.pdb-blocks-eviction", "compute.unschedulable", "compute.fragmentation",
        "compute.node-pool-zone-gap", "compute.system-pool-user-workloads", "compute.keda-not-enabled",
        "compute.image-pull-backoff",
    }
    for rid in ids:
        spec, _ = REGISTRY[rid]
        assert spec.title and spec.rationale and spec.remediation and spec.needs, rid
        assert spec.docs.startswith(("https://kubernetes.io/", "https://learn.microsoft.com/azure/aks",
                                     "https://docs.aws.amazon.com/eks", "https://cloud.google.com/kubernetes-engine")), rid
    assert REGISTRY["compute.unschedulable"][0].symptom
    assert REGISTRY["compute.image-pull-backoff"][0].symptom
    assert not REGISTRY["compute.fragmentation"][0].symptom


# --------------------------------------------------------------------------- requests / limits / priority


def test_missing_requests_flags_the_deployment_with_its_nodes() -> None:
    bare = container("app", cpu=None, memory=None, mem_limit=None)
    objs = [node("node-a"), deployment("api", containers=[bare]), rs_pod("api", "x2k4q", containers=[bare])]
    [f] = run(objs, "compute.missing-requests")
    assert f.subject == ObjectRef("Deployment", "shop", "api")
    assert "BestEffort" in f.message
    assert ObjectRef("Node", None, "node-a") in f.related
    assert any("container app: no cpu request and no memory request" in e.detail for e in f.evidence)


def test_missing_requests_negative_with_requests_or_in_system_namespace() -> None:
    bare = container("app", cpu=None, memory=None, mem_limit=None)
    limits_only = container("app", cpu=None, memory=None, mem_limit="256Mi", resources={"limits": {"cpu": "1", "memory": "1Gi"}})
    objs = [deployment("api"), rs_pod("api", "a"),
            deployment("coredns", "kube-system", containers=[bare]),
            deployment("worker", containers=[limits_only])]  # requests default to limits
    assert run(objs, "compute.missing-requests") == []


def test_missing_memory_limit_positive_and_negative() -> None:
    objs = [deployment("api", containers=[container("app", mem_limit=None)]), deployment("web")]
    assert subjects(run(objs, "compute.missing-memory-limit")) == ["Deployment/shop/api"]


def test_no_priority_class_unless_a_global_default_exists() -> None:
    objs = [deployment("api"), deployment("web", priorityClassName="tier-1")]
    assert subjects(run(objs, "compute.no-priority-class")) == ["Deployment/shop/api"]
    default = {"kind": "PriorityClass", "apiVersion": "scheduling.k8s.io/v1", "metadata": meta("normal", None),
               "value": 1000, "globalDefault": True, "preemptionPolicy": "PreemptLowerPriority"}
    assert run([*objs, default], "compute.no-priority-class") == []


# --------------------------------------------------------------------------- PDBs


def test_no_pdb_for_replicated_workloads_only() -> None:
    objs = [deployment("api", replicas=3), deployment("cron-ui", replicas=1),
            deployment("web", replicas=2),
            pdb("web", "web", maxUnavailable=1,
                status={"currentHealthy": 2, "desiredHealthy": 1, "disruptionsAllowed": 1, "expectedPods": 2})]
    [f] = run(objs, "compute.no-pdb")
    assert f.subject == ObjectRef("Deployment", "shop", "api")
    assert "3 replicas" in f.message


def test_pdb_blocks_eviction_by_configuration() -> None:
    objs = [deployment("api", replicas=3), *(rs_pod("api", s) for s in "abc"),
            pdb("api", "api", minAvailable=3,
                status={"currentHealthy": 3, "desiredHealthy": 3, "disruptionsAllowed": 0, "expectedPods": 3})]
    [f] = run(objs, "compute.pdb-blocks-eviction")
    assert f.subject == ObjectRef("PodDisruptionBudget", "shop", "api")
    assert f.severity is Severity.MEDIUM
    assert "allows no eviction even when all 3 pods are healthy" in f.message
    assert ObjectRef("Deployment", "shop", "api") in f.related


def test_pdb_at_zero_because_pods_are_unhealthy_is_low() -> None:
    objs = [pdb("api", "api", maxUnavailable=1,
                status={"currentHealthy": 1, "desiredHealthy": 2, "disruptionsAllowed": 0, "expectedPods": 3})]
    [f] = run(objs, "compute.pdb-blocks-eviction")
    assert f.severity is Severity.LOW
    assert "only 1 of 3 pods are healthy" in f.message


def test_pdb_with_room_is_fine_and_spec_only_pdb_is_evaluated() -> None:
    ok = pdb("web", "web", maxUnavailable=1,
             status={"currentHealthy": 3, "desiredHealthy": 2, "disruptionsAllowed": 1, "expectedPods": 3})
    assert run([ok], "compute.pdb-blocks-eviction") == []
    # No status (applied from a manifest into a snapshot): maxUnavailable 0 over 2 ready pods blocks.
    hand = pdb("api", "api", maxUnavailable=0, status={})
    findings = run([hand, rs_pod("api", "a"), rs_pod("api", "b")], "compute.pdb-blocks-eviction")
    assert subjects(findings) == ["PodDisruptionBudget/shop/api"]


# --------------------------------------------------------------------------- node pools and zones


def zonal_pv(name: str, zone: str, claim: str) -> list[dict[str, Any]]:
    pv = {"kind": "PersistentVolume", "apiVersion": "v1", "metadata": meta(name, None),
          "spec": {"capacity": {"storage": "20Gi"}, "accessModes": ["ReadWriteOnce"],
                   "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "shop", "name": claim},
                   "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": f"vol-{name}"},
                   "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                       {"key": "topology.kubernetes.io/zone", "operator": "In", "values": [zone]}]}]}},
                   "storageClassName": "gp3"},
          "status": {"phase": "Bound"}}
    pvc = {"kind": "PersistentVolumeClaim", "apiVersion": "v1", "metadata": meta(claim, "shop"),
           "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "20Gi"}},
                    "storageClassName": "gp3", "volumeName": name},
           "status": {"phase": "Bound"}}
    return [pv, pvc]


def db_pod(phase: str = "Pending") -> dict[str, Any]:
    return pod("orders-db-0", "shop", node_name=None if phase == "Pending" else "node-c", phase=phase,
               owner=("StatefulSet", "orders-db"), conditions=[],
               containers=[container(cpu="1", memory="2Gi")],
               volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "data-orders-db-0"}}])


def test_zone_gap_when_no_pool_reaches_the_volume_zone() -> None:
    objs = [node("node-a", "us-east-1a", pool="workers-a"), node("node-b", "us-east-1b", pool="workers-b"),
            *zonal_pv("pvc-9c1", "us-east-1c", "data-orders-db-0"), db_pod()]
    facts = CloudFacts(provider="aws", node_pools=(
        NodePool("workers-a", PROV, zones=("us-east-1a",), min_size=1, max_size=3, desired_size=1, autoscaling=True),
        NodePool("workers-b", PROV, zones=("us-east-1b",), min_size=1, max_size=3, desired_size=1, autoscaling=True),
    ))
    [f] = run(objs, "compute.node-pool-zone-gap", facts)
    assert f.subject == ObjectRef("Zone", None, "us-east-1c")
    assert f.severity is Severity.HIGH  # its pod is Pending now
    assert "no node pool places nodes in us-east-1c" in f.message
    assert "every pool spans a single zone" in f.message
    assert ObjectRef("PersistentVolumeClaim", "shop", "data-orders-db-0") in f.related
    assert any(e.ref == PROV.ref() for e in f.evidence)


def test_zone_gap_when_the_pool_there_is_at_max() -> None:
    full = node("node-c", "us-east-1c", cpu="2", pool="workers-c")
    objs = [full, pod("hog", "shop", node_name="node-c", containers=[container(cpu="1900m")]),
            *zonal_pv("pvc-9c1", "us-east-1c", "data-orders-db-0"), db_pod()]
    facts = CloudFacts(provider="aws", node_pools=(
        NodePool("workers-c", PROV, zones=("us-east-1c",), min_size=1, max_size=1, desired_size=1, autoscaling=True),))
    [f] = run(objs, "compute.node-pool-zone-gap", facts)
    assert "workers-c reach us-east-1c but none can add or fit a node there" in f.message
    assert ObjectRef("NodePool", None, "workers-c") in f.related
    assert any("at its maximum (1/1)" in e.detail for e in f.evidence)


def test_no_zone_gap_when_a_pool_can_grow_there() -> None:
    objs = [node("node-a", "us-east-1a"), *zonal_pv("pvc-9c1", "us-east-1c", "data-orders-db-0"), db_pod()]
    facts = CloudFacts(provider="aws", node_pools=(
        NodePool("workers", PROV, zones=("us-east-1a", "us-east-1b", "us-east-1c"), min_size=1, max_size=6,
                 desired_size=1, autoscaling=True),))
    assert run(objs, "compute.node-pool-zone-gap", facts) == []


def test_zone_gap_not_checked_without_node_pool_facts() -> None:
    objs = [node("node-a"), *zonal_pv("pvc-9c1", "us-east-1c", "data-orders-db-0"), db_pod()]
    findings, nc = run_rules(cluster(objs), None, rules=["compute.node-pool-zone-gap"])
    assert findings == [] and nc == [NotChecked("compute.node-pool-zone-gap", "needs cloud facts (scan with --cloud)")]
    forbidden = CloudFacts(provider="aws", not_checked=(NotChecked("node_pools", "forbidden: eks:ListNodegroups"),))
    findings, nc = run_rules(cluster(objs), forbidden, rules=["compute.node-pool-zone-gap"])
    assert findings == [] and "forbidden: eks:ListNodegroups" in nc[0].reason


# --------------------------------------------------------------------------- AKS system pools


def aks_node(name: str, pool: str, mode: str, taints: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return node(name, "eastus-1", pool=pool, taints=taints,
                provider_id=f"azure:///subscriptions/0000/resourceGroups/mc_rg/providers/Microsoft.Compute/virtualMachineScaleSets/aks-{pool}-1234/virtualMachines/0",
                labels={"kubernetes.azure.com/agentpool": pool, "kubernetes.azure.com/mode": mode})


def test_user_workloads_on_an_untainted_system_pool() -> None:
    objs = [aks_node("aks-system-1234-vmss000000", "system", "system"),
            aks_node("aks-user-1234-vmss000000", "user", "user"),
            deployment("api"), rs_pod("api", "a", node_name="aks-system-1234-vmss000000"),
            pod("coredns-5d8c9", "kube-system", node_name="aks-system-1234-vmss000000"),
            pod("kube-proxy-x", "shop", node_name="aks-system-1234-vmss000000", owner=("DaemonSet", "kube-proxy"))]
    [f] = run(objs, "compute.system-pool-user-workloads")
    assert f.subject == ObjectRef("NodePool", None, "system")
    assert f.related == (ObjectRef("Deployment", "shop", "api"),)
    assert "lacks the CriticalAddonsOnly=true:NoSchedule taint" in f.message


def test_tainted_system_pool_or_only_system_pods_is_fine() -> None:
    taint = [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NoSchedule"}]
    objs = [aks_node("aks-system-1", "system", "system", taint), rs_pod("api", "a", node_name="aks-system-1")]
    assert run(objs, "compute.system-pool-user-workloads") == []
    objs = [aks_node("aks-system-1", "system", "system"), pod("coredns-5d8c9", "kube-system", node_name="aks-system-1")]
    assert run(objs, "compute.system-pool-user-workloads") == []


def test_system_pool_known_from_cloud_mode_and_taints() -> None:
    n = node("aks-sys-1", "eastus-1", pool="sys", labels={"kubernetes.azure.com/agentpool": "sys"})
    objs = [n, rs_pod("api", "a", node_name="aks-sys-1")]
    prov = Provenance("azure", "agentPools.get", "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/prod/agentPools/sys")
    facts = CloudFacts(provider="azure", node_pools=(NodePool("sys", prov, mode="System"),))
    [f] = run(objs, "compute.system-pool-user-workloads", facts)
    assert any(e.source == "azure" for e in f.evidence)
    tainted = CloudFacts(provider="azure", node_pools=(NodePool("sys", prov, mode="System", taints=("CriticalAddonsOnly=true:NoSchedule",)),))
    assert run(objs, "compute.system-pool-user-workloads", tainted) == []


# --------------------------------------------------------------------------- KEDA


def scaled_object(name: str = "orders-consumer") -> dict[str, Any]:
    return {"kind": "ScaledObject", "apiVersion": "keda.sh/v1alpha1", "metadata": meta(name, "shop"),
            "spec": {"scaleTargetRef": {"name": name}, "minReplicaCount": 1, "maxReplicaCount": 20,
                     "triggers": [{"type": "azure-servicebus", "metadata": {"queueName": "orders", "messageCount": "50"}}]}}


AKS_PROV = Provenance("azure", "managedClusters.get", "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/prod")


def test_keda_not_enabled_flags_each_scaled_object() -> None:
    facts = CloudFacts(provider="azure", network=NetworkSettings(AKS_PROV, keda_enabled=False))
    [f] = run([scaled_object(), deployment("orders-consumer")], "compute.keda-not-enabled", facts)
    assert f.subject == ObjectRef("ScaledObject", "shop", "orders-consumer")
    assert f.related == (ObjectRef("Cluster", None, "test"),)
    assert any(e.ref == AKS_PROV.ref() and "keda.enabled is false" in e.detail for e in f.evidence)
    assert any("never reconciled" in e.detail for e in f.evidence)


def test_keda_installed_by_helm_or_add_on_is_fine() -> None:
    off = CloudFacts(provider="azure", network=NetworkSettings(AKS_PROV, keda_enabled=False))
    on = CloudFacts(provider="azure", network=NetworkSettings(AKS_PROV, keda_enabled=True))
    operator = deployment("keda-operator", "keda", replicas=1)
    assert run([scaled_object(), operator], "compute.keda-not-enabled", off) == []
    assert run([scaled_object()], "compute.keda-not-enabled", on) == []


# --------------------------------------------------------------------------- image pulls


ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com"


def test_image_pull_backoff_explains_the_kubelet_error() -> None:
    image = f"{ECR}/shop/api:1.4.2"
    msg = (f'Failed to pull image "{image}": rpc error: code = Unknown desc = failed to pull and unpack image '
           f'"{image}": failed to resolve reference "{image}": pull access denied, repository does not exist or '
           "may require authorization: authorization failed: no basic auth credentials")
    objs = [node("node-a"),
            pod("api-7d9f8b6c5-x2k4q", "shop", node_name="node-a", phase="Pending", service_account="api",
                containers=[container(image=image)], conditions=[],
                container_statuses=[{"name": "app", "ready": False, "restartCount": 0, "image": image,
                                     "state": {"waiting": {"reason": "ImagePullBackOff",
                                                           "message": f'Back-off pulling image "{image}"'}}}]),
            event("api-7d9f8b6c5-x2k4q.1", "shop", ("Pod", "api-7d9f8b6c5-x2k4q"), "Failed", msg, component="kubelet"),
            event("api-7d9f8b6c5-x2k4q.2", "shop", ("Pod", "api-7d9f8b6c5-x2k4q"), "BackOff",
                  f'Back-off pulling image "{image}"', type="Normal", component="kubelet", count=14)]
    [f] = run(objs, "compute.image-pull-backoff")
    assert f.subject == ObjectRef("Pod", "shop", "api-7d9f8b6c5-x2k4q")
    assert "registry refused the pull credentials" in f.message
    assert set(f.related) == {ObjectRef("Registry", None, ECR), ObjectRef("Node", None, "node-a"),
                              ObjectRef("ServiceAccount", "shop", "api")}
    assert any("no basic auth credentials" in e.detail for e in f.evidence)


def test_running_pods_have_no_image_pull_finding() -> None:
    objs = [pod("api-1", "shop", container_statuses=[{"name": "app", "ready": True, "state": {"running": {"startedAt": "2026-11-25T08:00:00Z"}}}])]
    assert run(objs, "compute.image-pull-backoff") == []


def test_rule_needing_an_uncaptured_kind_is_not_checked() -> None:
    findings, nc = run_rules(cluster([deployment("api")], captured=("Pod", "Deployment")), None,
                             rules=["compute.no-pdb", "compute.no-priority-class"])
    assert findings == []
    assert {n.what: n.reason for n in nc} == {
        "compute.no-pdb": "not captured: PodDisruptionBudget, StatefulSet",
        "compute.no-priority-class": "not captured: PriorityClass",
    }


def test_hygiene_rules_run_from_pods_and_templates_alone() -> None:
    objs = [deployment("api", containers=[container(cpu=None, memory=None, mem_limit=None)])]
    findings, _ = run_rules(cluster(objs, captured=("Pod", "Deployment")), None, rules=["compute.missing-requests"])
    assert subjects(findings) == ["Deployment/shop/api"]


def test_zone_gap_for_running_pods_only_when_no_pool_reaches_the_zone() -> None:
    objs = [node("node-c", "us-east-1c", pool="workers-old"), *zonal_pv("pvc-9c1", "us-east-1c", "data-orders-db-0"),
            db_pod(phase="Running")]
    only_ab = CloudFacts(provider="aws", node_pools=(
        NodePool("workers-old", PROV, zones=("us-east-1a", "us-east-1b"), min_size=1, max_size=3, desired_size=3,
                 autoscaling=True),))
    [f] = run(objs, "compute.node-pool-zone-gap", only_ab)
    assert f.severity is Severity.MEDIUM
    assert "nowhere to go once its node is replaced" in f.message
    at_max = CloudFacts(provider="aws", node_pools=(
        NodePool("workers-old", PROV, zones=("us-east-1c",), min_size=1, max_size=1, desired_size=1, autoscaling=True),))
    assert run(objs, "compute.node-pool-zone-gap", at_max) == []


def test_system_namespace_pdbs_are_left_to_the_platform() -> None:
    blocked = pdb("coredns", "coredns", minAvailable=1,
                  status={"currentHealthy": 1, "desiredHealthy": 1, "disruptionsAllowed": 0, "expectedPods": 1})
    blocked["metadata"]["namespace"] = "kube-system"
    assert run([blocked], "compute.pdb-blocks-eviction") == []


def test_reconciled_scaled_object_is_not_flagged() -> None:
    so = scaled_object()
    so["status"] = {"conditions": [{"type": "Ready", "status": "True", "reason": "ScaledObjectReady"}]}
    off = CloudFacts(provider="azure", network=NetworkSettings(AKS_PROV, keda_enabled=False))
    assert run([so], "compute.keda-not-enabled", off) == []
