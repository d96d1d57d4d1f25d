"""The scheduler model, filter by filter, on pods and nodes where kube-scheduler's documented
behaviour decides the verdict; and each case's FailedScheduling message, as the scheduler
prints it (the reasons are the plugins' ErrReason strings, the histogram sorted as text),
cross-checked against the model's breakdown.

References: https://kubernetes.io/docs/concepts/scheduling-eviction/ (taints and tolerations,
assign pods to nodes, topology spread constraints, resource bin packing) and the plugins in
kubernetes/pkg/scheduler/framework/plugins.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from factories import cluster, container, meta, node, pod

from r2c_clouds.scheduler import (
    eligible_nodes,
    parse_fit_message,
    parse_taint,
    place,
)

ZONE = "topology.kubernetes.io/zone"
HOST = "kubernetes.io/hostname"


def pending(name: str, *, labels: dict[str, str] | None = None, cpu: str = "100m", **spec: Any) -> dict[str, Any]:
    return pod(name, "shop", node_name=None, phase="Pending", labels=labels or {"app": name},
               containers=[container(cpu=cpu)], **spec)


def running(name: str, on: str, *, labels: dict[str, str] | None = None, ns: str = "shop", cpu: str = "100m", **spec: Any) -> dict[str, Any]:
    return pod(name, ns, node_name=on, labels=labels or {"app": name}, containers=[container(cpu=cpu)], **spec)


def verdict(objs: list[dict[str, Any]], name: str = "new") -> Any:
    c = cluster(objs)
    target = next(p for p in c.pods if p.metadata.name == name)
    return place(c, None, target)


def anti(key: str, app: str) -> dict[str, Any]:
    return {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"topologyKey": key, "labelSelector": {"matchLabels": {"app": app}}}]}}


def affinity(key: str, app: str) -> dict[str, Any]:
    return {"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
        {"topologyKey": key, "labelSelector": {"matchLabels": {"app": app}}}]}}


def spread(key: str, app: str, skew: int = 1, **extra: Any) -> list[dict[str, Any]]:
    return [{"maxSkew": skew, "topologyKey": key, "whenUnsatisfiable": "DoNotSchedule",
             "labelSelector": {"matchLabels": {"app": app}}, **extra}]


def three_zones(**kw: Any) -> list[dict[str, Any]]:
    return [node("n-a", "us-east-1a", **kw), node("n-b", "us-east-1b", **kw), node("n-c", "us-east-1c", **kw)]


def volume(claim: str, zone: str, *, labels_only: bool = False) -> list[dict[str, Any]]:
    """A bound EBS PVC/PV pair pinned to ``zone`` by node affinity (VolumeBinding) or, for an
    old in-tree PV, by zone labels only (VolumeZone)."""
    pv_spec: dict[str, Any] = {
        "capacity": {"storage": "20Gi"}, "accessModes": ["ReadWriteOnce"], "storageClassName": "gp3",
        "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "shop", "name": claim},
        "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": f"vol-{claim}"},
    }
    pv_meta = meta(f"pv-{claim}", None)
    if labels_only:
        pv_meta["labels"] = {ZONE: zone}
    else:
        pv_spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": ZONE, "operator": "In", "values": [zone]}]}]}}
    return [
        {"kind": "StorageClass", "apiVersion": "storage.k8s.io/v1", "metadata": meta("gp3", None),
         "provisioner": "ebs.csi.aws.com", "volumeBindingMode": "WaitForFirstConsumer"},
        {"kind": "PersistentVolume", "apiVersion": "v1", "metadata": pv_meta, "spec": pv_spec, "status": {"phase": "Bound"}},
        {"kind": "PersistentVolumeClaim", "apiVersion": "v1", "metadata": meta(claim, "shop"),
         "spec": {"storageClassName": "gp3", "volumeName": f"pv-{claim}", "accessModes": ["ReadWriteOnce"]},
         "status": {"phase": "Bound"}},
    ]


def claiming(claim: str, **spec: Any) -> dict[str, Any]:
    return pending("new", volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": claim}}], **spec)


# Each case: objects, then the FailedScheduling message kube-scheduler prints for them
# (without the preemption part), or None when the pod fits somewhere.
CASES: dict[str, tuple[list[dict[str, Any]], str | None]] = {
    "NodeUnschedulable: a cordoned node": (
        [{**node("n-a"), "spec": {**node("n-a")["spec"], "unschedulable": True}}, pending("new")],
        "0/1 nodes are available: 1 node(s) were unschedulable.",
    ),
    "TaintToleration: the first untolerated NoSchedule taint is named": (
        [node("n-a", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]),
         node("n-b", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]), node("n-c", cpu="0.05"),
         pending("new")],
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: gpu}.",
    ),
    "TaintToleration: PreferNoSchedule never filters; Exists tolerates any value": (
        [node("n-a", taints=[{"key": "spot", "value": "true", "effect": "PreferNoSchedule"}]),
         node("n-b", taints=[{"key": "dedicated", "value": "x", "effect": "NoExecute"}]),
         pending("new", tolerations=[{"key": "dedicated", "operator": "Exists"}])],
        None,
    ),
    "TaintToleration: a toleration for another effect does not tolerate": (
        [node("n-a", taints=[{"key": "dedicated", "value": "batch", "effect": "NoExecute"}]),
         pending("new", tolerations=[{"key": "dedicated", "value": "batch", "effect": "NoSchedule"}])],
        "0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: batch}.",
    ),
    "NodeAffinity: nodeSelector and required terms": (
        [node("n-a", labels={"disktype": "ssd"}), node("n-b"),
         pending("new", nodeSelector={"disktype": "ssd"}, affinity={"nodeAffinity": {
             "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                 {"matchExpressions": [{"key": ZONE, "operator": "In", "values": ["us-east-1b"]}]}]}}})],
        "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.",
    ),
    "NodeAffinity: preferred terms never block": (
        [node("n-a"), pending("new", affinity={"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 1, "preference": {"matchExpressions": [{"key": "gpu", "operator": "Exists"}]}}]}})],
        None,
    ),
    "NodePorts: a hostPort already taken": (
        [node("n-a"), node("n-b"),
         running("proxy-a", "n-a") | {"spec": {"nodeName": "n-a", "containers": [
             container(ports=[{"containerPort": 8080, "hostPort": 80, "protocol": "TCP"}])]}},
         pending("new") | {"spec": {"containers": [container(ports=[{"containerPort": 80, "hostPort": 80}])]}}],
        None,  # n-b is free
    ),
    "NodePorts: every node has the port taken": (
        [node("n-a"),
         running("proxy-a", "n-a") | {"spec": {"nodeName": "n-a", "containers": [
             container(ports=[{"containerPort": 8080, "hostPort": 80}])]}},
         pending("new") | {"spec": {"containers": [container(ports=[{"containerPort": 80, "hostPort": 80}])]}}],
        "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports.",
    ),
    "NodeResourcesFit: one node short of cpu and memory, one of memory": (
        [node("n-a", cpu="2", memory="1Gi"), node("n-b", cpu="8", memory="1Gi"),
         pending("new") | {"spec": {"containers": [container(cpu="4", memory="2Gi")]}}],
        "0/2 nodes are available: 1 Insufficient cpu, 2 Insufficient memory.",
    ),
    "NodeResourcesFit: nvidia.com/gpu on nodes that have none": (
        [node("n-a"), node("n-b"), pending("new") | {"spec": {"containers": [
            container(cpu="1") | {"resources": {"requests": {"cpu": "1"}, "limits": {"nvidia.com/gpu": "1"}}}]}}],
        "0/2 nodes are available: 2 Insufficient nvidia.com/gpu.",
    ),
    "NodeResourcesFit: Too many pods": (
        [node("n-a") | {"status": {**node("n-a")["status"], "allocatable": {"cpu": "4", "memory": "16Gi", "pods": "1"}}},
         running("busy", "n-a"), pending("new")],
        "0/1 nodes are available: 1 Too many pods.",
    ),
    "InterPodAffinity: required anti-affinity per hostname": (
        [node("n-a"), node("n-b"), running("web-1", "n-a", labels={"app": "web"}), running("web-2", "n-b", labels={"app": "web"}),
         pending("new", labels={"app": "web"}, affinity=anti(HOST, "web"))],
        "0/2 nodes are available: 2 node(s) didn't match pod anti-affinity rules.",
    ),
    "InterPodAffinity: anti-affinity per zone blocks the whole zone": (
        [*three_zones(), running("db-1", "n-a", labels={"app": "db"}), running("db-2", "n-b", labels={"app": "db"}), pending("new", labels={"app": "db"}, affinity=anti(ZONE, "db"))],
        None,  # n-c's zone has no db pod
    ),
    "InterPodAffinity: an existing pod's anti-affinity keeps the newcomer away": (
        [node("n-a"), node("n-b", cpu="0.05"),
         running("lonely", "n-a", labels={"app": "lonely"}, affinity=anti(HOST, "web")),
         pending("new", labels={"app": "web"})],
        "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't satisfy existing pods anti-affinity rules.",
    ),
    "InterPodAffinity: required affinity to a pod that runs nowhere": (
        [node("n-a"), node("n-b"), pending("new", labels={"app": "web"}, affinity=affinity(HOST, "cache"))],
        "0/2 nodes are available: 2 node(s) didn't match pod affinity rules.",
    ),
    "InterPodAffinity: the first pod of a group with affinity to itself may go anywhere": (
        [node("n-a"), pending("new", labels={"app": "web"}, affinity=affinity(ZONE, "web"))],
        None,
    ),
    "InterPodAffinity: affinity to another namespace's pod needs namespaces": (
        [node("n-a"), node("n-b"), running("cache-1", "n-b", ns="infra", labels={"app": "cache"}),
         pending("new", affinity={"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
             {"topologyKey": HOST, "labelSelector": {"matchLabels": {"app": "cache"}}}]}})],
        "0/2 nodes are available: 2 node(s) didn't match pod affinity rules.",
    ),
    "InterPodAffinity: a namespaceSelector reaches it": (
        [node("n-a"), node("n-b"), {"kind": "Namespace", "apiVersion": "v1", "metadata": meta("infra", None, labels={"team": "platform"})},
         running("cache-1", "n-b", ns="infra", labels={"app": "cache"}),
         pending("new", affinity={"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
             {"topologyKey": HOST, "labelSelector": {"matchLabels": {"app": "cache"}},
              "namespaceSelector": {"matchLabels": {"team": "platform"}}}]}})],
        None,  # n-b
    ),
    "VolumeBinding: a PV pinned to another zone by node affinity": (
        [*three_zones(), *volume("data-0", "us-east-1d"), claiming("data-0")],
        "0/3 nodes are available: 3 node(s) had volume node affinity conflict.",
    ),
    "VolumeBinding: the PV's zone has a node that fits": (
        [*three_zones(), *volume("data-0", "us-east-1b"), claiming("data-0")],
        None,
    ),
    "VolumeZone: an in-tree PV with zone labels only": (
        [node("n-a", "us-east-1a"), node("n-b", "us-east-1b", cpu="0.05"), *volume("data-0", "us-east-1b", labels_only=True),
         claiming("data-0")],
        "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had no available volume zone.",
    ),
    "VolumeBinding: an unbound Immediate claim stops the pod before any node": (
        [node("n-a"), {"kind": "StorageClass", "apiVersion": "storage.k8s.io/v1", "metadata": meta("fast", None),
                       "provisioner": "ebs.csi.aws.com", "volumeBindingMode": "Immediate"},
         {"kind": "PersistentVolumeClaim", "apiVersion": "v1", "metadata": meta("data-0", "shop"),
          "spec": {"storageClassName": "fast", "accessModes": ["ReadWriteOnce"]}, "status": {"phase": "Pending"}},
         claiming("data-0")],
        "0/1 nodes are available: pod has unbound immediate PersistentVolumeClaims.",
    ),
    "NodeResourcesFit: exact fit in milli-CPU (0.3 - 0.2 leaves 0.1)": (
        [node("n-a", cpu="300m"), running("a", "n-a"), running("b", "n-a"), pending("new")],
        None,
    ),
    "InterPodAffinity: an existing pod counts only if it matches every affinity term": (
        [node("n-a", "us-east-1a"), node("n-b", "us-east-1b"),
         running("x", "n-a", labels={"app": "a"}), running("y", "n-a", labels={"tier": "db"}),
         pending("new", affinity={"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
             {"topologyKey": ZONE, "labelSelector": {"matchLabels": {"app": "a"}}},
             {"topologyKey": ZONE, "labelSelector": {"matchLabels": {"tier": "db"}}}]}})],
        "0/2 nodes are available: 2 node(s) didn't match pod affinity rules.",
    ),
    "InterPodAffinity: a terminating pod still repels its anti-affinity peers": (
        [node("n-a"), node("n-b", cpu="0.05"),
         running("db-1", "n-a", labels={"app": "db"}) | {"metadata": meta("db-1", "shop", labels={"app": "db"},
                                                                        deletionTimestamp="2026-11-25T09:00:00Z")},
         pending("new", labels={"app": "db"}, affinity=anti(HOST, "db"))],
        "0/2 nodes are available: 1 Insufficient cpu, 1 node(s) didn't match pod anti-affinity rules.",
    ),
    "PodTopologySpread: an empty labelSelector counts no pod (1.27-1.31)": (
        [node("n-a", "us-east-1a"), node("n-b", "us-east-1b", cpu="0.05"),
         running("x-1", "n-a", labels={"app": "x"}), running("x-2", "n-a", labels={"app": "x"}),
         pending("new", labels={"app": "x"}, topologySpreadConstraints=[
             {"maxSkew": 1, "topologyKey": ZONE, "whenUnsatisfiable": "DoNotSchedule", "labelSelector": {}}])],
        None,  # n-a: 0 + 1 - 0 = 1
    ),
    "PodTopologySpread: constraints in order, the label then the skew of each": (
        [node("n-a", "us-east-1a", labels={"rack": "r1"}), node("n-b", "us-east-1b", cpu="0.05", labels={"rack": "r2"}),
         node("n-c", "us-east-1a"),
         running("w-1", "n-a", labels={"app": "w"}), running("w-2", "n-a", labels={"app": "w"}),
         pending("new", labels={"app": "w"}, topologySpreadConstraints=[*spread(ZONE, "w"), *spread("rack", "w")])],
        "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match pod topology spread constraints.",
    ),
    "PodTopologySpread: maxSkew 1 over zones": (
        [*three_zones(), running("w-1", "n-a", labels={"app": "w"}), running("w-2", "n-b", labels={"app": "w"}), pending("new", labels={"app": "w"}, topologySpreadConstraints=spread(ZONE, "w"))],
        None,  # only n-c keeps the skew at 1
    ),
    "PodTopologySpread: a full zone leaves the others skewed": (
        [*three_zones(), node("n-c2", "us-east-1c", cpu="0.05"), running("w-1", "n-a", labels={"app": "w"}), running("w-2", "n-b", labels={"app": "w"}), running("x", "n-c", cpu="3950m", labels={"app": "x"}), pending("new", labels={"app": "w"}, topologySpreadConstraints=spread(ZONE, "w"))],
        "0/4 nodes are available: 2 Insufficient cpu, 2 node(s) didn't match pod topology spread constraints.",
    ),
    "PodTopologySpread: a node without the topology label": (
        [node("n-a", "us-east-1a"), node("n-b") | {"metadata": meta("n-b", None, labels={HOST: "n-b"})},
         pending("new", labels={"app": "w"}, topologySpreadConstraints=spread(ZONE, "w"))],
        None,  # n-a
    ),
    "PodTopologySpread: ScheduleAnyway never blocks": (
        [node("n-a", "us-east-1a"), running("w-1", "n-a", labels={"app": "w"}), running("w-2", "n-a", labels={"app": "w"}),
         node("n-b", "us-east-1b", cpu="0.05"),
         pending("new", labels={"app": "w"}, topologySpreadConstraints=[
             {**spread(ZONE, "w")[0], "whenUnsatisfiable": "ScheduleAnyway"}])],
        None,
    ),
    "PodTopologySpread: minDomains beyond the domains counts the global minimum as 0": (
        [node("n-a", "us-east-1a"), node("n-b", "us-east-1b"), running("w-1", "n-a", labels={"app": "w"}),
         running("w-2", "n-b", labels={"app": "w"}),
         pending("new", labels={"app": "w"}, topologySpreadConstraints=spread(ZONE, "w", minDomains=3))],
        "0/2 nodes are available: 2 node(s) didn't match pod topology spread constraints.",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_filters_decide_as_kube_scheduler(case: str) -> None:
    objs, expected = CASES[case]
    p = verdict(objs)
    if expected is None:
        assert p.fits(), p.message()
        return
    assert p.message() == expected
    # the model's breakdown equals the scheduler's message read back
    total, counts = parse_fit_message(expected + " preemption: 0/9 nodes are available: 9 Preemption is not helpful for scheduling.")
    assert total == len(p.nodes)
    if p.volumes.pod_level:  # a PreFilter reason: no per-node histogram
        assert counts == Counter() and not p.volumes.pins
    else:
        assert not p.fits() and counts == p.histogram()


def test_missing_topology_label_is_its_own_reason() -> None:
    objs = [node("n-a", "us-east-1a", cpu="0.05"), node("n-b") | {"metadata": meta("n-b", None, labels={HOST: "n-b"})},
            pending("new", labels={"app": "w"}, topologySpreadConstraints=spread(ZONE, "w"))]
    assert verdict(objs).message() == (
        "0/2 nodes are available: 1 Insufficient cpu, "
        "1 node(s) didn't match pod topology spread constraints (missing required label)."
    )


def test_a_node_reports_its_first_failing_filter_only() -> None:
    tainted_and_full = node("n-a", cpu="0.05", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}])
    p = verdict([tainted_and_full, pending("new")])
    (v,) = p.nodes
    assert [f.plugin for f in v.failures] == ["TaintToleration", "NodeResourcesFit"]
    assert v.reported == ("node(s) had untolerated taint {dedicated: gpu}",)
    assert not v.only_resources


def test_only_resources_marks_nodes_that_just_lack_room() -> None:
    p = verdict([node("n-a", cpu="0.05"), node("n-b", cpu="0.05", labels={"x": "y"}), pending("new", nodeSelector={"x": "y"})])
    assert p.only_resources() == ["n-b"]


def test_a_pod_for_another_scheduler_is_not_judged() -> None:
    p = verdict([node("n-a", cpu="0.05"), pending("new", schedulerName="volcano")])
    assert not p.judged and p.nodes == ()


def test_eligible_nodes_is_the_static_filters() -> None:
    objs = [node("n-a", taints=[{"key": "dedicated", "value": "gpu", "effect": "NoSchedule"}]), node("n-b", cpu="0.05"),
            node("n-c", labels={"pool": "other"}), pending("new", nodeSelector={HOST: "n-b"})]
    c = cluster(objs)
    target = next(p for p in c.pods if p.metadata.name == "new")
    assert eligible_nodes(c, target) == {"n-b"}  # full, but eligible: resources are not static
    assert eligible_nodes(c, target) is eligible_nodes(c, target)  # one object per signature


@pytest.mark.parametrize(
    ("message", "total", "counts"),
    [
        ("0/6 nodes are available: 3 Insufficient cpu, 3 node(s) had untolerated taint {dedicated: gpu}. "
         "preemption: 0/6 nodes are available: 6 Preemption is not helpful for scheduling.",
         6, {"Insufficient cpu": 3, "node(s) had untolerated taint {dedicated: gpu}": 3}),
        ("0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. preemption: 0/3 nodes are "
         "available: 3 Preemption is not helpful for scheduling.", 3, {}),
        ("0/5 nodes are available: 1 node(s) didn't match pod topology spread constraints (missing required label), "
         "4 node(s) didn't match Pod's node affinity/selector.", 5,
         {"node(s) didn't match pod topology spread constraints (missing required label)": 1,
          "node(s) didn't match Pod's node affinity/selector": 4}),
        ("no nodes available to schedule pods", None, {}),
    ],
)
def test_parse_fit_message(message: str, total: int | None, counts: dict[str, int]) -> None:
    assert parse_fit_message(message) == (total, Counter(counts))


def test_node_pool_taints_parse_as_taints() -> None:
    t = parse_taint("CriticalAddonsOnly=true:NoSchedule")
    assert (t.key, t.value, t.effect) == ("CriticalAddonsOnly", "true", "NoSchedule")
    t = parse_taint("sku=gpu:PreferNoSchedule")
    assert (t.key, t.value, t.effect) == ("sku", "gpu", "PreferNoSchedule")
    t = parse_taint("dedicated:NoExecute")
    assert (t.key, t.value, t.effect) == ("dedicated", None, "NoExecute")


def _fixtures() -> list[tuple[str, Any]]:
    """Every bundled demo and test snapshot that holds a FailedScheduling event."""
    from pathlib import Path

    import r2c_clouds as r2c

    data = Path(__file__).parent / "data" / "snapshots"
    out = [(f"demo:{d}", r2c.demo(d)) for d in r2c.demos()]
    for path in ("cluster-info-dump", "kubectl/list-mixed.json", "kubectl/list-mixed.yaml", "support-bundle"):
        out.append((path, r2c.load_snapshot(data / path)))
    return out


NEEDED = ("Node", "Pod", "PersistentVolumeClaim", "PersistentVolume", "StorageClass")


def test_every_pending_pod_in_the_fixtures_matches_its_scheduler_message() -> None:
    """For every Pending, unscheduled pod with a FailedScheduling event in the bundled demos
    and snapshots that hold what the filters read, over the nodes the event counted, the
    model's per-reason node counts equal the event's. (The kubectl samples under
    tests/data/snapshots are format samples: their events counted a third node the lists do
    not hold, so they do not take part.)"""
    compared = 0
    for name, c in _fixtures():
        if not all(c.has(kind) for kind in NEEDED):
            continue  # a format sample without the objects the event was about
        for p in c.pods:
            if p.status.phase != "Pending" or p.spec.node_name:
                continue
            events = [e for e in c.events_for("Pod", p.metadata.namespace, p.metadata.name) if e.reason == "FailedScheduling"]
            if not events:
                continue
            total, theirs = parse_fit_message(events[-1].message or "")
            if total != len(c.nodes):
                continue  # the event counted other nodes: the cluster changed since
            model = place(c, None, p)
            assert (total, theirs) == (len(model.nodes), model.histogram()), f"{name}: {p.metadata.name}"
            compared += 1
    assert compared >= 1  # the AKS demo's reports pod at least
