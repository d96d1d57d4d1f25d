"""compute.unschedulable and compute.fragmentation: why a Pending pod does not fit."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest
from factories import cluster, container, event, meta, node, pod

from r2c_clouds.model import kube as k
from r2c_clouds.model.cloud import CloudFacts, Disk, Provenance
from r2c_clouds.model.findings import Finding, ObjectRef, Severity
from r2c_clouds.rules import run_rules
from r2c_clouds.rules._workloads import pod_requests

T0 = "2026-11-25T08:55:00Z"


def pending(name: str, *, cpu: str = "500m", memory: str = "256Mi", sched_msg: str | None = None,
            **kw: Any) -> dict[str, Any]:
    cond = {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
            "message": sched_msg or "0/3 nodes are available: 3 Insufficient cpu.", "lastTransitionTime": T0}
    return pod(name, "shop", node_name=None, phase="Pending", conditions=[cond],
               containers=[container(cpu=cpu, memory=memory)], owner=("ReplicaSet", f"{name}-7d9f8b6c5"), **kw)


def busy(name: str, node_name: str, cpu: str, memory: str = "512Mi") -> dict[str, Any]:
    return pod(name, "shop", node_name=node_name, containers=[container(cpu=cpu, memory=memory)])


def failed_scheduling(pod_name: str, message: str, time: str = "2026-11-25T09:00:00Z") -> dict[str, Any]:
    return event(f"{pod_name}.1879a2b3c4d5e6f7", "shop", ("Pod", pod_name), "FailedScheduling", message,
                 time=time, component="default-scheduler", count=12)


def pv(name: str, zone: str, claim: str, *, key: str = "topology.ebs.csi.aws.com/zone",
       handle: str = "vol-0a1b2c3d4e5f60718", affinity: bool = True) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "capacity": {"storage": "20Gi"}, "accessModes": ["ReadWriteOnce"],
        "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "shop", "name": claim},
        "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": handle, "fsType": "ext4"},
        "persistentVolumeReclaimPolicy": "Delete", "storageClassName": "gp3", "volumeMode": "Filesystem",
    }
    if affinity:
        spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": key, "operator": "In", "values": [zone]}]}]}}
    return {"kind": "PersistentVolume", "apiVersion": "v1", "metadata": meta(name, None), "spec": spec,
            "status": {"phase": "Bound"}}


def pvc(name: str, volume: str) -> dict[str, Any]:
    return {"kind": "PersistentVolumeClaim", "apiVersion": "v1", "metadata": meta(name, "shop"),
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "20Gi"}},
                     "storageClassName": "gp3", "volumeName": volume, "volumeMode": "Filesystem"},
            "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "20Gi"}}}


def gp3() -> dict[str, Any]:
    return {"kind": "StorageClass", "apiVersion": "storage.k8s.io/v1", "metadata": meta("gp3", None),
            "provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3"},
            "volumeBindingMode": "WaitForFirstConsumer", "reclaimPolicy": "Delete"}


def run(objs: list[dict[str, Any]], rule: str, facts: CloudFacts | None = None) -> list[Finding]:
    findings, not_checked = run_rules(cluster(objs), facts, rules=[rule])
    assert not_checked == []
    return findings


def one(findings: list[Finding], subject: str) -> Finding:
    match = [f for f in findings if str(f.subject) == subject]
    assert len(match) == 1, [str(f.subject) for f in findings]
    return match[0]


# --------------------------------------------------------------------------- requests


def test_pod_requests_take_the_larger_of_app_sum_and_init_peak() -> None:
    spec = msgspec.convert({
        "containers": [container("a", cpu="250m", memory="128Mi"), container("b", cpu="250m", memory="128Mi")],
        "initContainers": [container("migrate", cpu="1", memory="64Mi"),
                           container("proxy", cpu="100m", memory="32Mi", restartPolicy="Always")],
    }, k.PodSpec)
    req = pod_requests(spec)
    assert req["cpu"] == 1.0  # the init container's 1 CPU beats 0.5 + 0.1
    assert req["memory"] == (128 + 128 + 32) * 2**20  # app sum plus the sidecar beats 64Mi


# --------------------------------------------------------------------------- insufficient vs fragmentation


def test_insufficient_cpu_is_aggregated_like_the_scheduler_and_cites_its_event() -> None:
    msg = ("0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: "
           "2 No preemption victims found for incoming pod.")
    objs = [node("node-a"), node("node-b", "us-east-1b"),
            busy("batch-1", "node-a", "3500m"), busy("batch-2", "node-b", "3500m"),
            pending("api-7d9f8b6c5-x2k4q", cpu="2", sched_msg=msg),
            failed_scheduling("api-7d9f8b6c5-x2k4q", msg)]
    f = one(run(objs, "compute.unschedulable"), "Pod/shop/api-7d9f8b6c5-x2k4q")
    assert f.severity is Severity.HIGH
    assert "0/2 nodes are available: 2 Insufficient cpu." in f.message
    assert "requests 2 CPU" in f.message
    sched = [e for e in f.evidence if e.ref.startswith("Event/shop/")]
    assert sched and sched[0].time == "2026-11-25T09:00:00Z" and "FailedScheduling" in sched[0].detail
    free = [e for e in f.evidence if e.detail.startswith("Insufficient cpu")]
    assert "node-a (500m CPU free of 4 CPU)" in free[0].detail
    # 1 CPU free in total is less than the 2 requested: capacity, not fragmentation.
    assert run(objs, "compute.fragmentation") == []


def test_fragmentation_when_free_cpu_is_spread_over_nodes() -> None:
    objs = [node("node-a"), node("node-b"), node("node-c"),
            busy("w1", "node-a", "3200m"), busy("w2", "node-b", "3200m"), busy("w3", "node-c", "3200m"),
            pending("report-0", cpu="1500m")]
    frag = one(run(objs, "compute.fragmentation"), "Pod/shop/report-0")
    assert "2.4 CPU free across 3 eligible nodes" in frag.message
    assert "no node has the 1.5 CPU this pod requests" in frag.message
    assert {r.name for r in frag.related} == {"node-a", "node-b", "node-c"}
    unsched = one(run(objs, "compute.unschedulable"), "Pod/shop/report-0")
    assert "3 Insufficient cpu" in unsched.message


def test_fragmentation_ignores_nodes_the_pod_may_not_use() -> None:
    taint = [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]
    objs = [node("node-a"), node("gpu-1", taints=taint), node("gpu-2", taints=taint),
            busy("w1", "node-a", "3200m"), pending("report-0", cpu="1500m")]
    # Only node-a is eligible and it has 0.8 CPU: nothing to defragment.
    assert run(objs, "compute.fragmentation") == []


def _spread_world(blocker: str) -> list[dict[str, Any]]:
    """Three nodes with 0.8 CPU free each (2.4 in all) and a pod asking 1.5: fragmentation,
    unless ``blocker`` keeps the pod off two of the nodes for another reason."""
    nodes = [node("node-a", "us-east-1a"), node("node-b", "us-east-1b"), node("node-c", "us-east-1c")]
    busy_pods = [busy("w1", "node-a", "3200m"), busy("w2", "node-b", "3200m"), busy("w3", "node-c", "3200m")]
    spec: dict[str, Any] = {}
    if blocker == "taints":
        taint = [{"key": "dedicated", "value": "batch", "effect": "NoSchedule"}]
        nodes = [nodes[0], node("node-b", "us-east-1b", taints=taint), node("node-c", "us-east-1c", taints=taint)]
    elif blocker == "anti-affinity":
        busy_pods[1]["metadata"]["labels"] = {"app": "report"}
        busy_pods[2]["metadata"]["labels"] = {"app": "report"}
        spec["affinity"] = {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"app": "report"}}}]}}
    elif blocker == "topology spread":
        busy_pods[1]["metadata"]["labels"] = {"app": "report"}
        busy_pods[2]["metadata"]["labels"] = {"app": "report"}
        spec["topologySpreadConstraints"] = [{"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone",
                                              "whenUnsatisfiable": "DoNotSchedule",
                                              "labelSelector": {"matchLabels": {"app": "report"}}}]
    elif blocker == "host ports":
        for b in busy_pods[1:]:
            b["spec"]["containers"][0]["ports"] = [{"containerPort": 9100, "hostPort": 9100}]
    elif blocker == "pod count":
        nodes[1]["status"]["allocatable"]["pods"] = "1"
        nodes[2]["status"]["allocatable"]["pods"] = "1"
    pend = pending("report-0", cpu="1500m", **spec)
    pend["metadata"]["labels"] = {"app": "report"}
    if blocker == "host ports":
        pend["spec"]["containers"][0]["ports"] = [{"containerPort": 9100, "hostPort": 9100}]
    return [*nodes, *busy_pods, pend]


def test_fragmentation_baseline_of_the_blocker_cases() -> None:
    assert len(run(_spread_world("none"), "compute.fragmentation")) == 1


@pytest.mark.parametrize(
    ("blocker", "scheduler_says"),
    [
        ("taints", "1 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: batch}"),
        # NodeResourcesFit runs before PodTopologySpread and InterPodAffinity: the scheduler
        # names the first failing filter, so the message shows cpu on all three
        ("anti-affinity", "3 Insufficient cpu"),
        ("topology spread", "3 Insufficient cpu"),
        ("host ports", "1 Insufficient cpu, 2 node(s) didn't have free ports for the requested pod ports"),
        ("pod count", "2 Too many pods, 3 Insufficient cpu"),
    ],
)
def test_no_fragmentation_where_something_else_blocks(blocker: str, scheduler_says: str) -> None:
    """Capacity in pieces is fragmentation only when resources alone block: a node the pod
    may not use for another reason does not count (its free CPU could not help)."""
    objs = _spread_world(blocker)
    assert run(objs, "compute.fragmentation") == []
    unsched = one(run(objs, "compute.unschedulable"), "Pod/shop/report-0")
    assert f"0/3 nodes are available: {scheduler_says}." in unsched.message


# --------------------------------------------------------------------------- placement filters


def test_untolerated_taint_is_named_with_key_and_value() -> None:
    sys_taint = [{"key": "CriticalAddonsOnly", "value": "true", "effect": "NoSchedule"}]
    objs = [node("aks-system-1", "eastus-1", taints=sys_taint), node("aks-system-2", "eastus-2", taints=sys_taint),
            node("aks-user-1", "eastus-1"), busy("etl", "aks-user-1", "3800m"),
            pending("web-0", cpu="1")]
    f = one(run(objs, "compute.unschedulable"), "Pod/shop/web-0")
    assert "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {CriticalAddonsOnly: true}." in f.message
    assert "1 node(s) pass every other filter but lack room (Insufficient cpu)" in f.message


def test_toleration_lets_the_pod_use_tainted_nodes() -> None:
    taint = [{"key": "dedicated", "value": "batch", "effect": "NoSchedule"}]
    objs = [node("node-a", taints=taint),
            pending("job-0", cpu="1", tolerations=[{"key": "dedicated", "operator": "Equal", "value": "batch",
                                                    "effect": "NoSchedule"}])]
    f = one(run(objs, "compute.unschedulable"), "Pod/shop/job-0")
    assert "1/1 nodes have room for it now" in f.message
    assert "untolerated" not in f.message


def test_node_selector_and_required_affinity_mismatch() -> None:
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["m6i.2xlarge"]},
                              {"key": "karpenter.sh/capacity-type", "operator": "NotIn", "values": ["spot"]}]}]}}}
    objs = [node("node-a", labels={"node.kubernetes.io/instance-type": "m6i.xlarge"}),
            node("node-b", labels={"node.kubernetes.io/instance-type": "m6i.2xlarge"}),
            pending("ml-0", cpu="1", nodeSelector={"workload": "ml"}),
            pending("ml-1", cpu="1", affinity=affinity)]
    findings = run(objs, "compute.unschedulable")
    sel = one(findings, "Pod/shop/ml-0")
    assert "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector." in sel.message
    aff = one(findings, "Pod/shop/ml-1")
    assert "1/2 nodes have room for it now" in aff.message  # node-b matches the affinity


def test_cordoned_nodes_are_unschedulable() -> None:
    cordoned = node("node-a")
    cordoned["spec"]["unschedulable"] = True
    cordoned["spec"]["taints"] = [{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule",
                                   "timeAdded": "2026-11-25T08:00:00Z"}]
    f = one(run([cordoned, pending("api-0")], "compute.unschedulable"), "Pod/shop/api-0")
    assert "0/1 nodes are available: 1 node(s) were unschedulable." in f.message


# --------------------------------------------------------------------------- volumes


def test_volume_node_affinity_conflict_names_the_zone_and_relates_the_claim() -> None:
    msg = ("0/2 nodes are available: 2 node(s) had volume node affinity conflict. preemption: 0/2 nodes are "
           "available: 2 Preemption is not helpful for scheduling.")
    objs = [node("node-a", "us-east-1a"), node("node-b", "us-east-1b"), gp3(),
            pv("pvc-4f1d2c1e", "us-east-1c", "data-orders-db-0"), pvc("data-orders-db-0", "pvc-4f1d2c1e"),
            pending("orders-db-0", sched_msg=msg,
                    volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "data-orders-db-0"}}]),
            failed_scheduling("orders-db-0", msg),
            event("orders-db-0.1879a2b3c4d5e6f8", "shop", ("Pod", "orders-db-0"), "NotTriggerScaleUp",
                  "pod didn't trigger scale-up: 2 node(s) had volume node affinity conflict",
                  type="Normal", component="cluster-autoscaler")]
    f = one(run(objs, "compute.unschedulable"), "Pod/shop/orders-db-0")
    assert "0/2 nodes are available: 2 node(s) had volume node affinity conflict." in f.message
    assert "pinned to a zone (us-east-1c)" in f.message
    assert "cluster autoscaler found no node group" in f.message
    assert ObjectRef("PersistentVolumeClaim", "shop", "data-orders-db-0") in f.related
    assert any("us-east-1c" in e.detail and e.ref == "PersistentVolume/pvc-4f1d2c1e" for e in f.evidence)
    assert any(e.detail.startswith("NotTriggerScaleUp") for e in f.evidence)


def test_cloud_disk_zone_is_used_when_the_pv_has_no_node_affinity() -> None:
    objs = [node("node-a", "us-east-1a"), gp3(),
            pv("pvc-legacy", "us-east-1b", "data-0", handle="vol-0feedbeef0000001", affinity=False),
            pvc("data-0", "pvc-legacy"),
            pending("db-0", volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "data-0"}}])]
    facts = CloudFacts(provider="aws", disks=(Disk("vol-0feedbeef0000001", Provenance(
        "aws", "ec2:DescribeVolumes", "vol-0feedbeef0000001"), zones=("us-east-1b",), sku="gp3"),))
    f = one(run(objs, "compute.unschedulable", facts), "Pod/shop/db-0")
    # The PV names no zone, so the scheduler would place the pod on node-a; the cloud knows
    # the disk is in us-east-1b, where it would not attach.
    assert "1/1 nodes have room for it now" in f.message
    assert "aws says PersistentVolume/pvc-legacy's disk is in us-east-1b: it would not attach there" in f.message
    assert any(e.source == "aws" and e.ref == "aws ec2:DescribeVolumes vol-0feedbeef0000001" for e in f.evidence)
    # Without the cloud fact nothing pins the volume, so the pod fits node-a.
    g = one(run(objs, "compute.unschedulable"), "Pod/shop/db-0")
    assert "1/1 nodes have room" in g.message


def test_scheduled_pod_stuck_on_volume_attach_zone_mismatch() -> None:
    attach = ('AttachVolume.Attach failed for volume "pvc-4f1d2c1e" : rpc error: code = Internal desc = '
              'Could not attach volume "vol-0a1b2c3d4e5f60718" to node "i-0123456789abcdef0": could not attach '
              'volume "vol-0a1b2c3d4e5f60718" to node "i-0123456789abcdef0": operation error EC2: AttachVolume, '
              'https response error StatusCode: 400, RequestID: 7c1f2a9e-1111-2222-3333-444455556666, api error '
              "InvalidVolume.ZoneMismatch: The volume 'vol-0a1b2c3d4e5f60718' is not in the same availability "
              "zone as instance 'i-0123456789abcdef0'")
    objs = [node("node-a", "us-east-1a"), gp3(),
            pv("pvc-4f1d2c1e", "us-east-1c", "data-orders-db-0"), pvc("data-orders-db-0", "pvc-4f1d2c1e"),
            pod("orders-db-0", "shop", node_name="node-a", phase="Pending",
                conditions=[{"type": "PodScheduled", "status": "True"}],
                volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "data-orders-db-0"}}]),
            event("orders-db-0.17a", "shop", ("Pod", "orders-db-0"), "FailedAttachVolume", attach,
                  component="attachdetach-controller")]
    f = one(run(objs, "compute.unschedulable"), "Pod/shop/orders-db-0")
    assert "was scheduled on node node-a (us-east-1a) but is stuck Pending" in f.message
    assert "cannot attach its volume (the EBS volume is in another Availability Zone than the node)" in f.message
    assert "PersistentVolume/pvc-4f1d2c1e is in us-east-1c while the node is in us-east-1a" in f.message
    assert ObjectRef("Node", None, "node-a") in f.related
    assert ObjectRef("PersistentVolumeClaim", "shop", "data-orders-db-0") in f.related
    assert "Last FailedAttachVolume: api error InvalidVolume.ZoneMismatch" in f.message
    assert any("InvalidVolume.ZoneMismatch" in e.detail for e in f.evidence)


def test_missing_claim_is_a_pod_level_reason() -> None:
    objs = [node("node-a"), gp3(),
            pending("api-0", volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "nope"}}])]
    f = one(run(objs, "compute.unschedulable"), "Pod/shop/api-0")
    assert 'persistentvolumeclaim "nope" not found' in f.message


def test_scheduler_message_that_disagrees_with_current_state_is_reported() -> None:
    msg = "0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }."
    objs = [node("node-a"), busy("big", "node-a", "3900m"), pending("api-0", cpu="1", sched_msg=msg),
            failed_scheduling("api-0", msg)]
    f = one(run(objs, "compute.unschedulable"), "Pod/shop/api-0")
    # the scheduler's own message wins; the model's different reading of today is evidence
    assert "the scheduler says 0/1 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }" in f.message
    assert "r2c's reading of the current state differs (see evidence)" in f.message
    (model,) = [e for e in f.evidence if e.ref == "r2c scheduler model"]
    assert model.detail.startswith("the current state gives 0/1 nodes are available: 1 Insufficient cpu;")
    assert "Insufficient cpu: 0 then, 1 now" in model.detail
    assert "node(s) had untolerated taint {node.kubernetes.io/not-ready: }: 1 then, 0 now" in model.detail


# --------------------------------------------------------------------------- negatives and coverage


def test_running_and_scheduled_pods_are_not_unschedulable() -> None:
    objs = [node("node-a"), busy("api-1", "node-a", "1"),
            pod("api-2", "shop", node_name="node-a", phase="Pending",
                conditions=[{"type": "PodScheduled", "status": "True"}])]
    assert run(objs, "compute.unschedulable") == []
    assert run(objs, "compute.fragmentation") == []


def test_not_checked_when_nodes_were_not_captured() -> None:
    findings, not_checked = run_rules(cluster([pending("api-0")], captured=("Pod",)), None,
                                      rules=["compute.unschedulable", "compute.fragmentation"])
    assert findings == []
    assert {nc.what for nc in not_checked} == {"compute.unschedulable", "compute.fragmentation"}
    assert all("Node" in nc.reason for nc in not_checked)


def test_no_fragmentation_when_another_resource_is_truly_short() -> None:
    objs = [node("node-a", memory="4Gi"), node("node-b", memory="4Gi"),
            busy("w1", "node-a", "3200m", memory="3Gi"), busy("w2", "node-b", "3200m", memory="3Gi"),
            pending("report-0", cpu="1500m", memory="3Gi")]
    # 1.6 CPU free in total would fit 1.5 CPU, but 2Gi of memory cannot hold 3Gi anywhere.
    assert run(objs, "compute.fragmentation") == []
    assert "2 Insufficient cpu, 2 Insufficient memory" in one(run(objs, "compute.unschedulable"), "Pod/shop/report-0").message


def test_a_daemonset_pods_prefilter_message_agrees_with_the_model() -> None:
    """A DaemonSet pod is pinned by matchFields metadata.name: kube-scheduler's NodeAffinity
    PreFilter drops the other nodes and says so in its own words (two wordings across
    releases); the model counts them as NodeAffinity failures: the same verdict."""
    pin = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["node-a"]}]}]}}}
    for wording in ("2 node is filtered out by the prefilter result", "2 node(s) didn't satisfy plugin(s) [NodeAffinity]"):
        msg = f"0/3 nodes are available: 1 Insufficient cpu, {wording}. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        objs = [node("node-a"), node("node-b"), node("node-c"), busy("big", "node-a", "3900m"),
                pending("agent-x2k4q", cpu="500m", affinity=pin, sched_msg=msg), failed_scheduling("agent-x2k4q", msg)]
        f = one(run(objs, "compute.unschedulable"), "Pod/shop/agent-x2k4q")
        assert not [e for e in f.evidence if e.ref == "r2c scheduler model"], wording
        assert "reading of the current state differs" not in f.message
