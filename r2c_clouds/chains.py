"""Cause chains across loops, and ``explain``: one object's chain laid on a timeline.

A *link* says when a symptom finding is caused by a cause finding (the table in
docs/architecture.md, "Chain links"), as data: :data:`LINKS` holds one :class:`Link` per
(symptom rule, cause rule) with a pure predicate and the short phrase drawn between them.

:func:`link` fills each finding's ``caused_by`` and builds one :class:`Chain` per top
symptom (a finding that has causes and causes nothing). It indexes findings by rule and by
the objects they name, so it never compares all pairs: for each link it walks the symptom
findings of that rule and looks up candidate causes by the objects the link's ``keys``
function derives from the symptom (the pod's PVCs, its node pool, the Service's pods...).

:func:`explain` gathers what one object's findings and chains say and rebuilds the incident's
timeline from Kubernetes Events, object timestamps and timed evidence, each entry tagged with
the loop it belongs to, as the seed's domino timeline reads::

    09:00:00  COMPUTE  Pod shop/checkout-0 FailedScheduling: 0/3 nodes are available: ...
    09:01:10  COMPUTE  Pod shop/checkout-0 TriggeredScaleUp: pod triggered scale-up: ...
    09:03:02  STORAGE  Pod shop/checkout-0 FailedAttachVolume: AttachVolume.Attach failed ...
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs
from attrs import frozen

from r2c_clouds.errors import BadInputError
from r2c_clouds.loops.compute import node_pool_of
from r2c_clouds.loops.identity import image_registry
from r2c_clouds.model import kube as k
from r2c_clouds.model.cloud import CloudFacts
from r2c_clouds.model.cluster import ClusterState, node_zone
from r2c_clouds.model.findings import Chain, Evidence, Finding, Loop, ObjectRef, Severity
from r2c_clouds.scheduler import disk_zones, eligible_nodes, terms_zones

if TYPE_CHECKING:
    from r2c_clouds.report import Report

__all__ = [
    "LINKS",
    "CauseNode",
    "Explanation",
    "Link",
    "TimelineEntry",
    "explain",
    "link",
    "link_why",
    "short_ref",
]

Predicate = Callable[[Finding, Finding, ClusterState, "CloudFacts | None"], bool]
Keys = Callable[[Finding, ClusterState, "CloudFacts | None"], Iterable[ObjectRef]]


@frozen
class Link:
    """One row of the link table: ``symptom_rule`` is caused by ``cause_rule`` when
    ``predicate(symptom, cause, cluster, facts)`` holds.

    Args:
        symptom_rule: rule id of the symptom finding.
        cause_rule: rule id of the cause finding.
        predicate: pure function deciding the link for one pair of findings.
        why: the short phrase drawn from symptom to cause (``mounts``, ``runs on pool``).
        keys: the objects a candidate cause's subject or related objects must include,
            derived from the symptom; used to look candidates up in an index instead of
            trying every cause finding. The predicate has the last word.
        limit: at most this many causes of this link per symptom (the first in finding
            order), for links that can fan out to every workload of a cluster.
    """

    symptom_rule: str
    cause_rule: str
    predicate: Predicate
    why: str
    keys: Keys
    limit: int | None = None


# --------------------------------------------------------------------------- object helpers

_SHORT_KINDS = {"PersistentVolumeClaim": "PVC", "PersistentVolume": "PV"}


def short_ref(ref: ObjectRef) -> str:
    """``Pod shop/api-7d9``, ``PVC shop/data-0``, ``StorageClass gp2``: how chains name objects."""
    kind = _SHORT_KINDS.get(ref.kind, ref.kind)
    where = f"{ref.namespace}/{ref.name}" if ref.namespace else ref.name
    return f"{kind} {where}"


def _refs(f: Finding, kind: str) -> list[ObjectRef]:
    """The objects of ``kind`` a finding names, subject first."""
    out = [f.subject] if f.subject.kind == kind else []
    out.extend(r for r in f.related if r.kind == kind)
    return out


def _named(f: Finding) -> set[ObjectRef]:
    return {f.subject, *f.related}


def _pod(cluster: ClusterState, ref: ObjectRef) -> k.Pod | None:
    if ref.kind != "Pod":
        return None
    return cluster.pods_by_key.get((ref.namespace or "", ref.name))


def _pod_node(cluster: ClusterState, f: Finding) -> str | None:
    """The node the symptom's pod is on (its ``nodeName``, else a related ``Node``)."""
    pod = _pod(cluster, f.subject)
    if pod is not None and pod.spec.node_name:
        return pod.spec.node_name
    nodes = [r.name for r in f.related if r.kind == "Node"]
    return nodes[0] if len(nodes) == 1 else None


def _pod_pvcs(cluster: ClusterState, pod_ref: ObjectRef) -> set[ObjectRef]:
    pod = _pod(cluster, pod_ref)
    if pod is None:
        return set()
    return {
        ObjectRef("PersistentVolumeClaim", pod_ref.namespace, v.persistent_volume_claim.claim_name)
        for v in pod.spec.volumes
        if v.persistent_volume_claim is not None
    }


def _symptom_pvcs(f: Finding, cluster: ClusterState) -> set[ObjectRef]:
    """PVCs the symptom's pod mounts: from the pod's volumes and the finding's related PVCs."""
    return _pod_pvcs(cluster, f.subject) | set(_refs(f, "PersistentVolumeClaim"))


def _pv_zones(pv: k.PersistentVolume, facts: CloudFacts | None) -> set[str]:
    """Zones the PV is pinned to (node affinity, else the cloud disk's zones)."""
    na = pv.spec.node_affinity
    zones = terms_zones(na.required.node_selector_terms) if na is not None and na.required is not None else set()
    if not zones:
        zones = set(disk_zones(pv, facts)[0])
    return zones


def _pvc_zones(cluster: ClusterState, facts: CloudFacts | None, pvc: ObjectRef) -> set[str]:
    pv = cluster.pv_for_claim(pvc.namespace or "", pvc.name)
    return _pv_zones(pv, facts) if pv is not None else set()


def _eligible(cluster: ClusterState, pod: k.Pod) -> tuple[frozenset[str], frozenset[ObjectRef]]:
    """The scheduler model's eligible nodes for the pod, as names and as ``Node`` refs (one
    frozenset object per scheduling signature, so :func:`link` can reuse the candidates it
    looked up for it)."""
    names = eligible_nodes(cluster, pod)
    refs: dict[frozenset[str], frozenset[ObjectRef]] = cluster.memo("r2c_clouds.chains:eligible-refs", lambda _c: {})
    found = refs.get(names)
    if found is None:
        found = refs[names] = frozenset(ObjectRef("Node", None, n) for n in names)
    return names, found


def _eligible_nodes(cluster: ClusterState, pod: k.Pod) -> frozenset[str]:
    return eligible_nodes(cluster, pod)


def _service_pods(cluster: ClusterState, f: Finding) -> set[ObjectRef]:
    """Pods the symptom's Service selects (live selector), plus its related pods."""
    out = set(_refs(f, "Pod"))
    svc_ref = f.subject
    if svc_ref.kind == "Service":
        svc = cluster.services_by_key.get((svc_ref.namespace or "", svc_ref.name))
        if svc is not None:
            out.update(
                ObjectRef("Pod", p.metadata.namespace, p.metadata.name)
                for p in cluster.pods_matching(svc_ref.namespace, svc.spec.selector)
            )
    return out


def _statefulset_pods(cluster: ClusterState, f: Finding) -> set[ObjectRef]:
    sts = f.subject
    pods = cluster.pods_by_owner.get((sts.namespace or "", "StatefulSet", sts.name), ())
    out = {ObjectRef("Pod", p.metadata.namespace, p.metadata.name) for p in pods}
    return out | set(_refs(f, "Pod"))


def _statefulset_claims(cluster: ClusterState, f: Finding) -> set[ObjectRef]:
    """Claims of a StatefulSet: mounted by its pods, or named ``<template>-<sts>-<ordinal>``."""
    sts = f.subject
    out: set[ObjectRef] = set()
    for pod in _statefulset_pods(cluster, f):
        out |= _pod_pvcs(cluster, pod)
    obj = next(
        (s for s in cluster.statefulsets if s.metadata.namespace == sts.namespace and s.metadata.name == sts.name),
        None,
    )
    if obj is not None:
        replicas = max(obj.spec.replicas or 1, obj.status.replicas)
        for tmpl in obj.spec.volume_claim_templates:
            for i in range(replicas):
                out.add(ObjectRef("PersistentVolumeClaim", sts.namespace, f"{tmpl.metadata.name}-{sts.name}-{i}"))
    return out


def _gateway_zones(f: Finding, facts: CloudFacts | None) -> set[str]:
    zones = {r.name for r in _refs(f, "Zone")}
    if facts is not None:
        for g in facts.egress_gateways:
            if g.gateway_id == f.subject.name and g.zone:
                zones.add(g.zone)
    return zones


# --------------------------------------------------------------------------- keys and predicates


def _keys_pull_auth(s: Finding, cluster: ClusterState, facts: CloudFacts | None) -> set[ObjectRef]:
    out = {ObjectRef("Registry", None, r) for r in _pod_registries(s, cluster)}
    node = _pod_node(cluster, s)
    pool = _node_pool(cluster, node)
    if pool:
        out.add(ObjectRef("NodePool", None, pool))
    return out


def _node_pool(cluster: ClusterState, node: str | None) -> str | None:
    n = cluster.nodes_by_name.get(node) if node else None
    return node_pool_of(n.metadata.labels) if n is not None else None


def _pod_registries(s: Finding, cluster: ClusterState) -> set[str]:
    regs = {r.name for r in _refs(s, "Registry")}
    pod = _pod(cluster, s.subject)
    if pod is not None:
        regs.update(image_registry(c.image) for c in (*pod.spec.init_containers, *pod.spec.containers) if c.image)
    return regs


def pull_auth_of_pod(s: Finding, c: Finding, cluster: ClusterState, facts: CloudFacts | None) -> bool:
    """The pod's node is in the cause's node pool, or (pool unknown) the cause's registry is
    the pod's registry. When both sides name a registry, they must match."""
    pool = _node_pool(cluster, _pod_node(cluster, s))
    cause_pool = c.subject.name if c.subject.kind == "NodePool" else None
    cause_regs = {r.name for r in _refs(c, "Registry")}
    pod_regs = _pod_registries(s, cluster)
    if cause_regs and pod_regs and not (cause_regs & pod_regs):
        return False
    if pool is not None and cause_pool is not None:
        return pool == cause_pool
    return bool(cause_regs & pod_regs)


def _keys_service_account(s: Finding, cluster: ClusterState, facts: CloudFacts | None) -> set[ObjectRef]:
    out = set(_refs(s, "ServiceAccount"))
    pod = _pod(cluster, s.subject)
    if pod is not None:
        out.add(ObjectRef("ServiceAccount", pod.metadata.namespace, cluster.service_account_of(pod)))
    return out


def runs_as_service_account(s: Finding, c: Finding, cluster: ClusterState, facts: CloudFacts | None) -> bool:
    """The pod runs as the ServiceAccount the cause is about."""
    return c.subject.kind == "ServiceAccount" and c.subject in _keys_service_account(s, cluster, facts)


def _keys_same_subject(s: Finding, cluster: ClusterState, facts: CloudFacts | None) -> set[ObjectRef]:
    return {s.subject}


def same_pod(s: Finding, c: Finding, cluster: ClusterState, facts: CloudFacts | None) -> bool:
    """Both findings are about the same pod."""
    return s.subject.kind == "Pod" and c.subject == s.subject


_INSUFFICIENT = re.compile(r"Insufficient (cpu|memory)|didn't have enough resource|Too many pods", re.I)


def _short_of_resources(f: Finding) -> bool:
    return bool(_INSUFFICIENT.search(f.message)) or any(_INSUFFICIENT.search(e.detail) for e in f.evidence)


def _keys_eligible_nodes(s: Finding, cluster: ClusterState, facts: CloudFacts | None) -> frozenset[ObjectRef]:
    pod = _pod(cluster, s.subject)
    if pod is None or not _short_of_resources(s):
        return frozenset()
    return _eligible(cluster, pod)[1]


def shares_eligible_nodes(s: Finding, c: Finding, cluster: ClusterState, facts: CloudFacts | None) -> bool:
    """The pod is short of CPU/memory (``Insufficient cpu``) and a workload without requests
    runs on a node it could be placed on: the requests the scheduler counts there are wrong."""
    pod = _pod(cluster, s.subject)
    if pod is None or not _short_of_resources(s):
        return False
    eligible = _eligible_nodes(cluster, pod)
    return any(r.kind == "Node" and r.name in eligible for r in c.related)


def _waits_for_a_node(s: Finding, cluster: ClusterState) -> bool:
    """A Pending pod that only a new node can take (short of resources, or the autoscaler tried)."""
    if _short_of_resources(s):
        return True
    return any(e.reason in ("TriggeredScaleUp", "NotTriggerScaleUp") for e in cluster.events_for(
        "Pod", s.subject.namespace or "", s.subject.name))


def _keys_node_zones(s: Finding, cluster: ClusterState, facts: CloudFacts | None) -> set[ObjectRef]:
    pod = _pod(cluster, s.subject)
    if pod is None or pod.spec.node_name or not _waits_for_a_node(s, cluster):
        return set()
    names = _eligible_nodes(cluster, pod) or {n.metadata.name for n in cluster.nodes}
    zones = {z for n in names if (node := cluster.nodes_by_name.get(n)) is not None and (z := node_zone(node))}
    return {ObjectRef("Zone", None, z) for z in zones}


def new_node_needs_addresses(s: Finding, c: Finding, cluster: ClusterState, facts: CloudFacts | None) -> bool:
    """The pod waits for a new node, and the subnet or pod range such a node would draw its
    addresses from has none left for it (the high-severity case: the scale-up cannot happen)."""
    return c.severity >= Severity.HIGH and bool(_keys_node_zones(s, cluster, facts) & set(c.related))


def _keys_pod_pvcs(s: Finding, cluster: ClusterState, facts: CloudFacts | None) -> set[ObjectRef]:
    return _symptom_pvcs(s, cluster)


def mounts_claim(s: Finding, c: Finding, cluster: ClusterState, facts: CloudFacts | None) -> bool:
    """The pod mounts the PVC the cause is about."""
    return c.subject.kind == "PersistentVolumeClaim" and c.subject in _symptom_pvcs(s, cluster)


def _keys_pinned_zones(s: Finding, cluster: ClusterState, facts: CloudFacts | None) -> set[ObjectRef]:
    pvcs = _symptom_pvcs(s, cluster)
    zones = {ObjectRef("Zone", None, z) for pvc in pvcs for z in _pvc_zones(cluster, facts, pvc)}
    return pvcs | zones


def claim_pinned_to_zone(s: Finding, c: Finding, cluster: ClusterState, facts: CloudFacts | None) -> bool:
    """The pod mounts a PVC pinned to the cause's zone (the zone no node pool serves)."""
    if c.subject.kind != "Zone":
        return False
    pvcs = _symptom_pvcs(s, cluster)
    if pvcs & set(_refs(c, "PersistentVolumeClaim")):
        return True
    return any(c.subject.name in _pvc_zones(cluster, facts, pvc) for pvc in pvcs)


def _keys_storage_class(s: Finding, cluster: ClusterState, facts: CloudFacts | None) -> set[ObjectRef]:
    out = set(_refs(s, "StorageClass"))
    pvc = cluster.pvcs_by_key.get((s.subject.namespace or "", s.subject.name)) if s.subject.kind == "PersistentVolumeClaim" else None
    if pvc is not None:
        sc = cluster.storage_class_of(pvc)
        if sc is not None:
            out.add(ObjectRef("StorageClass", None, sc.metadata.name))
        elif pvc.spec.storage_class_name:
            out.add(ObjectRef("StorageClass", None, pvc.spec.storage_class_name))
    return out


def uses_storage_class(s: Finding, c: Finding, cluster: ClusterState, facts: CloudFacts | None) -> bool:
    """The PVC's StorageClass is the one the cause is about."""
    return c.subject.kind == "StorageClass" and c.subject in _keys_storage_class(s, cluster, facts)


def _keys_sts_claims(s: Finding, cluster: ClusterState, facts: CloudFacts | None) -> set[ObjectRef]:
    return _statefulset_claims(cluster, s)


def claim_of_statefulset(s: Finding, c: Finding, cluster: ClusterState, facts: CloudFacts | None) -> bool:
    """The PVC belongs to the StatefulSet (mounted by its pods or named after its claim templates)."""
    return c.subject.kind == "PersistentVolumeClaim" and c.subject in _statefulset_claims(cluster, s)


def _keys_sts_pods(s: Finding, cluster: ClusterState, facts: CloudFacts | None) -> set[ObjectRef]:
    return _statefulset_pods(cluster, s)


def pod_of_statefulset(s: Finding, c: Finding, cluster: ClusterState, facts: CloudFacts | None) -> bool:
    """The pod belongs to the StatefulSet."""
    if c.subject.kind != "Pod" or c.subject.namespace != s.subject.namespace:
        return False
    if c.subject in _statefulset_pods(cluster, s):
        return True
    return re.fullmatch(re.escape(s.subject.name) + r"-\d+", c.subject.name) is not None


def _keys_service_pods(s: Finding, cluster: ClusterState, facts: CloudFacts | None) -> set[ObjectRef]:
    return _service_pods(cluster, s)


def service_selects_pod(s: Finding, c: Finding, cluster: ClusterState, facts: CloudFacts | None) -> bool:
    """The Service selects the pod the cause is about."""
    return c.subject.kind == "Pod" and c.subject in _service_pods(cluster, s)


def _keys_gateway_zones(s: Finding, cluster: ClusterState, facts: CloudFacts | None) -> set[ObjectRef]:
    return {ObjectRef("Zone", None, z) for z in _gateway_zones(s, facts)}


def serves_client_zone(s: Finding, c: Finding, cluster: ClusterState, facts: CloudFacts | None) -> bool:
    """A client zone of the cross-zone Service is the NAT gateway's zone."""
    client_zones = {r.name for r in c.related if r.kind == "Zone"}
    return bool(client_zones & _gateway_zones(s, facts))


def _keys_service_claims(s: Finding, cluster: ClusterState, facts: CloudFacts | None) -> set[ObjectRef]:
    out: set[ObjectRef] = set()
    for pod in _service_pods(cluster, s):
        out |= _pod_pvcs(cluster, pod)
    return out


def service_pods_mount_claim(s: Finding, c: Finding, cluster: ClusterState, facts: CloudFacts | None) -> bool:
    """A pod the Service selects, or one of its client pods, mounts the PVC."""
    return c.subject.kind == "PersistentVolumeClaim" and c.subject in _keys_service_claims(s, cluster, facts)


#: The link table of docs/architecture.md ("Chain links"), in the order links are tried.
LINKS: tuple[Link, ...] = (
    Link("compute.image-pull-backoff", "identity.image-pull-auth", pull_auth_of_pod, "runs on pool", _keys_pull_auth),
    Link("compute.image-pull-backoff", "identity.trust-mismatch", runs_as_service_account, "runs as", _keys_service_account),
    Link("compute.image-pull-backoff", "identity.identity-not-found", runs_as_service_account, "runs as", _keys_service_account),
    Link("compute.unschedulable", "compute.fragmentation", same_pod, "does not fit", _keys_same_subject),
    Link("compute.unschedulable", "storage.zone-conflict", mounts_claim, "mounts", _keys_pod_pvcs),
    Link("compute.unschedulable", "compute.node-pool-zone-gap", claim_pinned_to_zone, "needs a node in", _keys_pinned_zones),
    Link("compute.unschedulable", "compute.missing-requests", shares_eligible_nodes, "shares nodes with", _keys_eligible_nodes, limit=10),
    Link("compute.unschedulable", "network.subnet-ip-exhaustion", new_node_needs_addresses, "a new node needs addresses from", _keys_node_zones),
    Link("storage.zone-conflict", "storage.immediate-binding", uses_storage_class, "StorageClass of", _keys_storage_class),
    Link("storage.statefulset-rollout-stuck", "storage.zone-conflict", claim_of_statefulset, "claim", _keys_sts_claims),
    Link("storage.statefulset-rollout-stuck", "compute.unschedulable", pod_of_statefulset, "pod", _keys_sts_pods),
    Link("network.service-no-ready-endpoints", "network.readiness-failing", service_selects_pod, "selects", _keys_service_pods),
    Link("network.service-no-ready-endpoints", "compute.unschedulable", service_selects_pod, "selects", _keys_service_pods),
    Link("network.service-no-ready-endpoints", "compute.image-pull-backoff", service_selects_pod, "selects", _keys_service_pods),
    Link("network.nat-saturation", "network.cross-zone-traffic", serves_client_zone, "egress of clients of", _keys_gateway_zones),
    Link("network.cross-zone-traffic", "storage.zone-conflict", service_pods_mount_claim, "pods mount", _keys_service_claims),
)

_WHY = {(lk.symptom_rule, lk.cause_rule): lk.why for lk in LINKS}


def link_why(symptom: Finding, cause: Finding) -> str:
    """The phrase drawn between a symptom and its cause (``mounts``, ``StorageClass of``)."""
    return _WHY.get((symptom.rule, cause.rule), "caused by")


#: How a root cause reads at the end of a chain's summary, by rule.
ROOT_PHRASES: dict[str, str] = {
    "storage.immediate-binding": "binds volumes Immediately",
    "storage.zone-conflict": "is pinned to a volume in another zone",
    "storage.database-as-deployment": "runs a database as a Deployment",
    "compute.missing-requests": "runs containers without resource requests",
    "compute.fragmentation": "does not fit on any single node (fragmented capacity)",
    "compute.node-pool-zone-gap": "has no node pool that can place nodes there",
    "compute.unschedulable": "cannot be scheduled",
    "compute.image-pull-backoff": "cannot pull its image",
    "identity.image-pull-auth": "has a node identity that cannot pull from the registry",
    "identity.trust-mismatch": "is not admitted by its cloud identity's trust",
    "identity.identity-not-found": "names a cloud identity that does not exist",
    "network.readiness-failing": "fails its readiness probe",
    "network.cross-zone-traffic": "sends traffic across zones",
}


# --------------------------------------------------------------------------- link()


def _index(findings: Iterable[Finding]) -> dict[tuple[str, ObjectRef], list[Finding]]:
    idx: dict[tuple[str, ObjectRef], list[Finding]] = defaultdict(list)
    for f in findings:
        for ref in _named(f):
            idx[(f.rule, ref)].append(f)
    return idx


def _candidates(idx: dict[tuple[str, ObjectRef], list[Finding]], rule: str, keys: Iterable[ObjectRef]) -> list[Finding]:
    found: dict[str, Finding] = {}
    for key in keys:
        for c in idx.get((rule, key), ()):
            found[c.id] = c
    return sorted(found.values(), key=lambda f: f.sort_key)


def _reaches(edges: dict[str, set[str]], start: str, target: str) -> bool:
    seen = {start}
    todo = [start]
    while todo:
        cur = todo.pop()
        if cur == target:
            return True
        for nxt in edges.get(cur, ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return False


def link(
    findings: list[Finding],
    cluster: ClusterState,
    facts: CloudFacts | None,
    *,
    links: Sequence[Link] = LINKS,
) -> tuple[list[Finding], list[Chain]]:
    """Fill ``caused_by`` across loops and build the cause chains.

    Args:
        findings: every finding of the scan.
        cluster: the scanned cluster.
        facts: the cloud facts, if any.
        links: the link table (default :data:`LINKS`).

    Returns:
        The findings (same order, ``caused_by`` filled) and the chains, most severe symptom
        first. A link that would close a cycle is not made.
    """
    by_id = {f.id: f for f in findings}
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in sorted(by_id.values(), key=lambda f: f.sort_key):
        by_rule[f.rule].append(f)
    cause_rules = {lk.cause_rule for lk in links}
    idx = _index(f for r in cause_rules for f in by_rule.get(r, ()))

    edges: dict[str, set[str]] = defaultdict(set)
    for lk in links:
        if not by_rule.get(lk.cause_rule):
            continue
        # a keys function may hand back one shared frozenset for many symptoms (the eligible
        # nodes of one pod template): look its candidates up once
        shared: dict[frozenset[ObjectRef], list[Finding]] = {}
        for s in by_rule.get(lk.symptom_rule, ()):
            keys = lk.keys(s, cluster, facts)
            ordered = shared.get(keys) if isinstance(keys, frozenset) else None
            if ordered is None:
                ordered = _candidates(idx, lk.cause_rule, keys)
                if isinstance(keys, frozenset):
                    shared[keys] = ordered
            made = 0
            for c in ordered:
                if lk.limit is not None and made >= lk.limit:
                    break
                if c.id == s.id or c.id in edges[s.id]:
                    continue
                if not lk.predicate(s, c, cluster, facts):
                    continue
                if _reaches(edges, c.id, s.id):
                    continue  # would close a cycle
                edges[s.id].add(c.id)
                made += 1

    linked = [
        attrs.evolve(f, caused_by=tuple(sorted(edges[f.id], key=lambda i: by_id[i].sort_key)))
        if edges.get(f.id)
        else f
        for f in findings
    ]
    new = {f.id: f for f in linked}
    is_cause = {c for cs in edges.values() for c in cs}
    chains = [
        _chain(f, new)
        for f in sorted(new.values(), key=lambda f: f.sort_key)
        if f.caused_by and f.id not in is_cause
    ]
    chains.sort(key=lambda ch: (-int(new[ch.symptom].severity), ch.symptom))
    return linked, chains


def _walk(start: Finding, by_id: dict[str, Finding]) -> list[Finding]:
    """Breadth first from ``start`` through ``caused_by``."""
    order = [start]
    seen = {start.id}
    todo = deque([start])
    while todo:
        cur = todo.popleft()
        for cid in cur.caused_by:
            if cid in by_id and cid not in seen:
                seen.add(cid)
                order.append(by_id[cid])
                todo.append(by_id[cid])
    return order


def _deepest(start: Finding, by_id: dict[str, Finding]) -> list[Finding]:
    """The longest path from ``start`` down to a root cause (first cause wins ties)."""
    memo: dict[str, list[Finding]] = {}

    def go(f: Finding, onpath: frozenset[str]) -> list[Finding]:
        if f.id in memo:
            return memo[f.id]
        best: list[Finding] = []
        for cid in f.caused_by:
            c = by_id.get(cid)
            if c is None or cid in onpath:
                continue
            sub = go(c, onpath | {cid})
            if len(sub) > len(best):
                best = sub
        memo[f.id] = [f, *best]
        return memo[f.id]

    return go(start, frozenset({start.id}))


def root_phrase(f: Finding) -> str:
    """``StorageClass gp2 binds volumes Immediately``: a root cause in a few words."""
    phrase = ROOT_PHRASES.get(f.rule)
    if phrase is None:
        first = f.message.split(". ")[0].rstrip(".")
        return f"{short_ref(f.subject)}: {first}"
    return f"{short_ref(f.subject)} {phrase}"


def _chain(symptom: Finding, by_id: dict[str, Finding]) -> Chain:
    path = _walk(symptom, by_id)
    roots = [f for f in path if not f.caused_by]
    loops: list[Loop] = []
    for f in path:
        if f.loop not in loops:
            loops.append(f.loop)
    line = " ← ".join(f"{short_ref(f.subject)} ({f.loop.value})" for f in _deepest(symptom, by_id))
    label = "root cause" if len(roots) == 1 else "root causes"
    summary = f"{line}: {label} " + "; ".join(root_phrase(r) for r in roots)
    return Chain(
        symptom=symptom.id,
        root_causes=tuple(r.id for r in roots),
        path=tuple(f.id for f in path),
        loops=tuple(loops),
        summary=summary,
        findings=tuple(path),
    )


# --------------------------------------------------------------------------- explain


@frozen
class TimelineEntry:
    """One moment of an incident.

    Args:
        time: RFC 3339 timestamp.
        loop: the loop the moment belongs to.
        text: what happened, naming the object (``Pod shop/api-0 FailedScheduling: ...``).
        source_ref: where it comes from (``Event/shop/api-0.17a``, ``Node/ip-10-0-2-17``,
            an evidence ref such as ``aws cloudwatch:GetMetricData nat-0abc``).
    """

    time: str
    loop: Loop
    text: str
    source_ref: str


@frozen
class CauseNode:
    """A finding in a causes tree, with the phrase linking it to its parent and its own causes."""

    finding: Finding
    why: str = ""
    causes: tuple[CauseNode, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-safe data."""
        return {
            "finding": self.finding.id,
            "rule": self.finding.rule,
            "loop": self.finding.loop.value,
            "severity": self.finding.severity.label,
            "subject": _ref_dict(self.finding.subject),
            "message": self.finding.message,
            "why": self.why,
            "causes": [c.to_dict() for c in self.causes],
        }


_LOOP_STYLE = {
    Loop.IDENTITY: "magenta",
    Loop.COMPUTE: "cyan",
    Loop.NETWORK: "yellow",
    Loop.STORAGE: "green",
    Loop.OBSERVABILITY: "blue",
}


@frozen
class Explanation:
    """What r2c_clouds knows about one object: its findings, the chains through it, their
    causes as a tree, and the incident's timeline.

    Attributes:
        subject: the object explained.
        findings: findings about it (for a workload, also about its pods).
        chains: chains through its findings (as symptom or as cause), then chains whose
            findings name it among their related objects.
        causes: for each of its findings, the tree of causes under it.
        timeline: Events, object timestamps and timed evidence of every object in those
            chains, oldest first, each tagged with its loop.
        note: one line when there is nothing to explain (no findings, object not found).
    """

    subject: ObjectRef
    findings: tuple[Finding, ...] = ()
    chains: tuple[Chain, ...] = ()
    causes: tuple[CauseNode, ...] = ()
    timeline: tuple[TimelineEntry, ...] = ()
    note: str = ""

    def __str__(self) -> str:
        """The plain-text explanation, so ``print(report.explain(...))`` reads well."""
        return self.to_text()

    def to_dict(self) -> dict[str, Any]:
        """Plain, JSON-safe data: subject, note, findings, chains, causes tree, timeline."""
        return {
            "subject": _ref_dict(self.subject),
            "note": self.note,
            "findings": [_finding_dict(f) for f in self.findings],
            "chains": [
                {
                    "symptom": c.symptom,
                    "root_causes": list(c.root_causes),
                    "path": list(c.path),
                    "loops": [lp.value for lp in c.loops],
                    "summary": c.summary,
                }
                for c in self.chains
            ],
            "causes": [n.to_dict() for n in self.causes],
            "timeline": [
                {"time": e.time, "loop": e.loop.value, "text": e.text, "source_ref": e.source_ref}
                for e in self.timeline
            ],
        }

    def __rich__(self) -> Any:
        return self._renderable()

    def _renderable(self) -> Any:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text
        from rich.tree import Tree

        parts: list[Any] = []
        head = Text(str(self.subject), style="bold")
        counts = f"  {len(self.findings)} finding(s), {len(self.chains)} chain(s)"
        head.append(counts, style="dim")
        tree = Tree(head)
        for node in self.causes:
            _draw(tree, node)
        parts.append(tree)
        if self.note:
            parts.append(Text(self.note, style="italic"))
        if self.chains:
            parts.append(Text("\nChains", style="bold"))
            bullets = Table.grid(padding=(0, 1))
            bullets.add_column(no_wrap=True)
            bullets.add_column(overflow="fold")
            for c in self.chains:
                bullets.add_row(" •", Text(c.summary))
            parts.append(bullets)
        parts.append(Text("\nTimeline", style="bold"))
        if not self.timeline:
            parts.append(Text("  (no events or timestamps found)", style="dim"))
        else:
            grid = Table.grid(padding=(0, 2))
            grid.add_column(no_wrap=True)
            grid.add_column(no_wrap=True)
            grid.add_column(overflow="fold")
            same_day = len({e.time[:10] for e in self.timeline}) == 1
            for e in self.timeline:
                grid.add_row(
                    Text(_clock(e.time, same_day)),
                    Text(e.loop.value.upper().ljust(7), style=_LOOP_STYLE[e.loop]),
                    Text(e.text),
                )
            parts.append(grid)
        return Group(*parts)

    def to_text(self, color: bool = False, width: int = 100) -> str:
        """The causes tree (each step tagged ``[compute]``, ``[storage]``...), the chains'
        summaries and the timeline, as text.

        Args:
            color: emit ANSI colours.
            width: the line width to lay out for.
        """
        from r2c_clouds.report.text import to_text

        return to_text(self._renderable(), color=color, width=width)

    def to_svg(self) -> str:
        """The timeline as an SVG document: loops as lanes, time on the x axis."""
        from r2c_clouds.report.svg import timeline_svg

        return timeline_svg(self)

    def to_html(self) -> str:
        """A self-contained page: the timeline, each chain as a diagram, the findings."""
        from r2c_clouds.report.html import explanation_html

        return explanation_html(self, page=True)

    def __repr__(self) -> str:
        return (
            f"<Explanation {self.subject}: {len(self.findings)} finding(s), {len(self.chains)} chain(s), "
            f"{len(self.timeline)} timeline entries>"
        )

    def _repr_html_(self) -> str:
        from r2c_clouds.report.html import explanation_html

        return explanation_html(self)

    def _repr_svg_(self) -> str:
        return self.to_svg()


def _draw(parent: Any, node: CauseNode) -> None:
    from rich.text import Text

    f = node.finding
    label = Text()
    if node.why:
        label.append(f"{node.why} → ", style="dim")
    label.append(f"[{f.loop.value}]", style=_LOOP_STYLE[f.loop])
    label.append(f" {short_ref(f.subject)}  ", style="bold")
    label.append(f"{f.rule} ({f.severity.label})", style="dim")
    label.append(f"\n{f.message}")
    branch = parent.add(label)
    for c in node.causes:
        _draw(branch, c)


def _clock(ts: str, same_day: bool) -> str:
    t = _parse_time(ts)
    if t is None:
        return ts
    return t.strftime("%H:%M:%S" if same_day else "%m-%d %H:%M:%S")


def _ref_dict(ref: ObjectRef) -> dict[str, Any]:
    return {"kind": ref.kind, "namespace": ref.namespace, "name": ref.name}


def _finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "id": f.id,
        "rule": f.rule,
        "loop": f.loop.value,
        "severity": f.severity.label,
        "subject": _ref_dict(f.subject),
        "message": f.message,
        "evidence": [
            {"source": e.source, "ref": e.ref, "detail": e.detail, **({"time": e.time} if e.time else {})}
            for e in f.evidence
        ],
        "caused_by": list(f.caused_by),
        "related": [_ref_dict(r) for r in f.related],
    }


#: kubectl's short names for the kinds one explains most.
_SHORT_NAMES = {
    "po": "Pod", "no": "Node", "ns": "Namespace", "svc": "Service", "ing": "Ingress", "pvc": "PersistentVolumeClaim",
    "pv": "PersistentVolume", "sc": "StorageClass", "sa": "ServiceAccount", "deploy": "Deployment",
    "sts": "StatefulSet", "ds": "DaemonSet", "pdb": "PodDisruptionBudget", "netpol": "NetworkPolicy",
    "cm": "ConfigMap", "pc": "PriorityClass", "ep": "Endpoints",
}


def _parse_ref(subject: ObjectRef | str) -> ObjectRef:
    """``pod/shop/api`` or ``po/shop/api`` → ``Pod/shop/api``; checks namespaced vs cluster-scoped
    for the Kubernetes kinds r2c_clouds reads (other kinds, ``Zone``, ``NatGateway``..., pass)."""
    from r2c_clouds.kube.kinds import kind_for

    if isinstance(subject, ObjectRef):
        ref = subject
    elif isinstance(subject, str):
        try:
            ref = ObjectRef.parse(subject)
        except ValueError as exc:
            raise BadInputError(f"explain: {exc}") from None
    else:
        raise BadInputError(f"explain: expected KIND/NAMESPACE/NAME or KIND/NAME, got {subject!r}")
    ki = kind_for(_SHORT_NAMES.get(ref.kind.lower(), ref.kind))
    if ki is None:
        return ref
    if ki.namespaced and ref.namespace is None:
        raise BadInputError(f"explain: {ki.kind} is namespaced: expected {ki.kind}/NAMESPACE/NAME, got {str(ref)!r}")
    if not ki.namespaced and ref.namespace is not None:
        raise BadInputError(f"explain: {ki.kind} is cluster-scoped: expected {ki.kind}/NAME, got {str(ref)!r}")
    return ObjectRef(ki.kind, ref.namespace, ref.name)


_WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "ReplicaSet"})


def explain(report: Report, subject: ObjectRef | str) -> Explanation:
    """Explain one object: its findings, the chains through it, and the timeline.

    Args:
        report: a scan's report.
        subject: ``"Pod/shop/api-7d9"``, ``"StorageClass/gp2"`` or an ObjectRef.

    Returns:
        The :class:`Explanation` (with a ``note`` when the object has no findings).

    Raises:
        BadInputError: the reference is malformed.
        ObjectNotFoundError: the cluster holds no such object and no finding names it.
    """
    ref = _parse_ref(subject)
    cluster = report.cluster
    by_id = {f.id: f for f in report.findings}

    subjects = {ref}
    if ref.kind in _WORKLOAD_KINDS:
        pods = cluster.pods_by_owner.get((ref.namespace or "", ref.kind, ref.name), ())
        subjects.update(ObjectRef("Pod", p.metadata.namespace, p.metadata.name) for p in pods)
    own = tuple(f for f in report.findings if f.subject in subjects)
    own_ids = {f.id for f in own}
    mentioned = {f.id for f in report.findings if subjects.intersection(f.related)}
    # chains through its own findings first, then chains whose findings name it (a PVC's pod,
    # a Service's client pods, the node a volume was attached to)
    chains = tuple(c for c in report.chains if own_ids & set(c.path)) + tuple(
        c for c in report.chains if not own_ids & set(c.path) and mentioned & set(c.path)
    )

    causes = tuple(_cause_tree(f, by_id, "", frozenset()) for f in own)
    scope: dict[str, Finding] = {f.id: f for f in own}
    for c in chains:
        for fid in c.path:
            if fid in by_id:
                scope[fid] = by_id[fid]
    for node in causes:
        for f in _tree_findings(node):
            scope.setdefault(f.id, f)

    objects: list[ObjectRef] = [ref]
    for f in scope.values():
        objects.extend(r for r in (f.subject, *f.related) if r not in objects)
    scan_time = (report.facts.collected_at if report.facts is not None else None) or report.generated_at
    timeline = _timeline(cluster, objects, scope.values(), scan_time)

    note = ""
    if not own:
        exists = _exists(cluster, ref)
        if exists is False and not chains:
            from r2c_clouds.errors import ObjectNotFoundError

            raise ObjectNotFoundError(f"{ref}: not found in {cluster.source}, and no findings about it")
        if exists is False:
            note = f"{ref}: not found in {cluster.source}; it takes part in {len(chains)} chain(s)."
        else:
            note = f"No findings about {ref}."
            if chains:
                note += f" It takes part in {len(chains)} chain(s)."
    return Explanation(
        subject=ref,
        findings=own,
        chains=chains,
        causes=causes,
        timeline=timeline,
        note=note,
    )


def _cause_tree(f: Finding, by_id: dict[str, Finding], why: str, seen: frozenset[str]) -> CauseNode:
    seen = seen | {f.id}
    kids = tuple(
        _cause_tree(by_id[c], by_id, link_why(f, by_id[c]), seen)
        for c in f.caused_by
        if c in by_id and c not in seen
    )
    return CauseNode(finding=f, why=why, causes=kids)


def _tree_findings(node: CauseNode) -> Iterator[Finding]:
    yield node.finding
    for c in node.causes:
        yield from _tree_findings(c)


_LOOKUPS: dict[str, Callable[[ClusterState, ObjectRef], bool]] = {
    "Pod": lambda c, r: (r.namespace or "", r.name) in c.pods_by_key,
    "Node": lambda c, r: r.name in c.nodes_by_name,
    "PersistentVolumeClaim": lambda c, r: (r.namespace or "", r.name) in c.pvcs_by_key,
    "PersistentVolume": lambda c, r: r.name in c.pvs_by_name,
    "StorageClass": lambda c, r: r.name in c.storage_classes_by_name,
    "Service": lambda c, r: (r.namespace or "", r.name) in c.services_by_key,
    "ServiceAccount": lambda c, r: (r.namespace or "", r.name) in c.service_accounts_by_key,
}


def _exists(cluster: ClusterState, ref: ObjectRef) -> bool | None:
    """Is the object in the cluster state? ``None`` when that cannot be told."""
    look = _LOOKUPS.get(ref.kind)
    if look is None or not cluster.has(ref.kind):
        return None
    return look(cluster, ref) or bool(cluster.events_for(ref.kind, ref.namespace, ref.name))


# --------------------------------------------------------------------------- timeline

#: Event reasons by loop (as the scheduler, cluster-autoscaler, kubelet, attach-detach
#: controller, external-provisioner and service controller print them).
EVENT_LOOPS: dict[str, Loop] = {
    **dict.fromkeys(
        (
            "FailedScheduling", "Scheduled", "TriggeredScaleUp", "NotTriggerScaleUp", "ScaleDown",
            "ScaleDownEmpty", "ScaledUpGroup", "Preempted", "Preempting", "Evicted", "OOMKilling",
            "NodeNotReady", "NodeReady", "RegisteredNode", "RemovingNode", "Starting", "Killing",
            "Created", "Started", "Pulling", "Pulled", "NodeHasSufficientMemory", "NodeAllocatableEnforced",
            "FailedCreate", "SuccessfulCreate", "SuccessfulDelete", "ScalingReplicaSet",
            "TaintManagerEviction", "EvictionThresholdMet",
        ),
        Loop.COMPUTE,
    ),
    **dict.fromkeys(
        (
            "FailedAttachVolume", "SuccessfulAttachVolume", "FailedMount", "FailedMapVolume",
            "ProvisioningSucceeded", "ProvisioningFailed", "Provisioning", "ExternalProvisioning",
            "WaitForFirstConsumer", "WaitForPodScheduled", "FailedBinding", "VolumeResizeFailed",
            "FileSystemResizeSuccessful", "FileSystemResizeFailed", "VolumeFailedDelete",
            "FailedDetachVolume", "SuccessfulDetachVolume", "VolumeConditionAbnormal",
        ),
        Loop.STORAGE,
    ),
    **dict.fromkeys(
        (
            "EnsuringLoadBalancer", "EnsuredLoadBalancer", "SyncLoadBalancerFailed",
            "UpdatedLoadBalancer", "FailedToUpdateEndpoint", "FailedToUpdateEndpointSlices",
            "NetworkNotReady", "FailedCreatePodSandBox", "Sync", "AddedInterface",
        ),
        Loop.NETWORK,
    ),
    **dict.fromkeys(("ErrImagePull", "InspectFailed", "FailedToRetrieveImagePullSecret"), Loop.IDENTITY),
}

_KIND_LOOPS = {
    "PersistentVolumeClaim": Loop.STORAGE,
    "PersistentVolume": Loop.STORAGE,
    "StorageClass": Loop.STORAGE,
    "StatefulSet": Loop.STORAGE,
    "VolumeAttachment": Loop.STORAGE,
    "Service": Loop.NETWORK,
    "Ingress": Loop.NETWORK,
    "Endpoints": Loop.NETWORK,
    "EndpointSlice": Loop.NETWORK,
    "NetworkPolicy": Loop.NETWORK,
    "ServiceAccount": Loop.IDENTITY,
    "Secret": Loop.IDENTITY,
}


def event_loop(e: k.Event) -> Loop:
    """The loop an Event belongs to: by reason, by message for ``Failed``/``BackOff``/
    ``Unhealthy``, else by the involved object's kind (compute by default)."""
    reason = e.reason or ""
    msg = (e.message or "").lower()
    if reason in ("Failed", "BackOff"):
        if "pull" in msg or "image" in msg:
            return Loop.IDENTITY
        return Loop.COMPUTE
    if reason in ("Unhealthy", "ProbeWarning"):
        if "liveness" in msg or "startup" in msg:
            return Loop.COMPUTE
        return Loop.NETWORK
    if reason in EVENT_LOOPS:
        return EVENT_LOOPS[reason]
    return _KIND_LOOPS.get(e.involved_object.kind or "", Loop.COMPUTE)


def _parse_time(ts: str | None) -> datetime | None:
    if not ts:
        return None
    text = ts.strip().replace("Z", "+00:00")
    m = re.match(r"^(.*T\d\d:\d\d:\d\d)\.(\d+)(.*)$", text)
    if m:  # Python 3.10 accepts 3 or 6 fractional digits only
        text = f"{m.group(1)}.{m.group(2)[:6].ljust(6, '0')}{m.group(3)}"
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=None)


_CLUSTER_SCOPED = frozenset(
    {"Node", "PersistentVolume", "StorageClass", "Namespace", "ClusterRole", "ClusterRoleBinding", "PriorityClass"}
)


def _event_text(e: k.Event) -> str:
    io_ = e.involved_object
    kind = io_.kind or "Object"
    ns = None if kind in _CLUSTER_SCOPED else io_.namespace or None
    ref = ObjectRef(kind, ns, io_.name or "?")
    text = f"{short_ref(ref)} {e.reason or ''}: {(e.message or '').strip()}"
    if (e.count or 1) > 1:
        text += f" (x{e.count}"
        if e.last_timestamp and e.last_timestamp != e.first_timestamp:
            last = _parse_time(e.last_timestamp)
            text += f", last {last.strftime('%H:%M:%S')}" if last else f", last {e.last_timestamp}"
        text += ")"
    return text


#: Object timestamps (a PV's creation, a pod's start) older than this before the first event
#: are background, not part of the incident.
_LEAD_SECONDS = 15 * 60


def _timeline(
    cluster: ClusterState, objects: Sequence[ObjectRef], findings: Iterable[Finding], scan_time: str | None = None
) -> tuple[TimelineEntry, ...]:
    happenings: list[TimelineEntry] = []  # events and timed evidence
    at_scan: list[TimelineEntry] = []  # cloud metrics over the window that ends at the scan
    stamps: list[TimelineEntry] = []  # object timestamps
    seen_refs: set[str] = set()

    def add(into: list[TimelineEntry], time: str | None, loop: Loop, text: str, source_ref: str) -> None:
        if time:
            into.append(TimelineEntry(time=time, loop=loop, text=text, source_ref=source_ref))
            seen_refs.add(source_ref)

    def add_events(r: ObjectRef) -> list[k.Event]:
        """Add the Events about ``r``; cluster-scoped objects' Events live in ``default``."""
        added = []
        for ns in sorted({r.namespace or ""} | ({"", "default"} if r.namespace is None else set())):
            for e in cluster.events_for(r.kind, ns, r.name):
                eref = f"Event/{e.metadata.namespace}/{e.metadata.name}" if e.metadata.namespace else f"Event/{e.metadata.name}"
                if eref not in seen_refs:
                    add(happenings, e.first_timestamp or e.time, event_loop(e), _event_text(e), eref)
                    added.append(e)
        return added

    refs = list(objects)
    # the PVs behind the claims, and the nodes the pods run on, are part of the story too
    for r in list(refs):
        if r.kind == "PersistentVolumeClaim":
            pv = cluster.pv_for_claim(r.namespace or "", r.name)
            if pv is not None:
                refs.append(ObjectRef("PersistentVolume", None, pv.metadata.name))
        pod = _pod(cluster, r)
        if pod is not None and pod.spec.node_name:
            refs.append(ObjectRef("Node", None, pod.spec.node_name))
    done: set[ObjectRef] = set()
    nodes: dict[str, k.Node] = {}
    scale_ups: list[k.Event] = []
    for r in refs:
        if r in done:
            continue
        done.add(r)
        for e in add_events(r):
            if e.reason == "TriggeredScaleUp":
                scale_ups.append(e)
        if r.kind == "Pod":
            pod = _pod(cluster, r)
            if pod is not None and pod.status.start_time:
                where = f" on node {pod.spec.node_name}" if pod.spec.node_name else ""
                add(stamps, pod.status.start_time, Loop.COMPUTE, f"{short_ref(r)} started{where}", str(r))
        elif r.kind == "PersistentVolume":
            pv = cluster.pvs_by_name.get(r.name)
            if pv is not None:
                add(stamps, pv.metadata.creation_timestamp, Loop.STORAGE, _pv_text(pv), str(r))
        elif r.kind == "Node":
            node = cluster.nodes_by_name.get(r.name)
            if node is not None:
                nodes[r.name] = node

    for f in findings:
        for ev in f.evidence:
            if ev.time and ev.ref not in seen_refs:
                add(happenings, ev.time, f.loop, f"{short_ref(f.subject)} {_evidence_text(ev)}", ev.ref)
            elif not ev.time and ev.source != "kubernetes" and (f.time or scan_time):
                # cloud metrics are totals over a window ending when they were read
                add(at_scan, f.time or scan_time, f.loop, f"{short_ref(f.subject)} {_evidence_text(ev)}", ev.ref)

    # nodes the autoscaler added for these pods: in a node group the scale-up names, created after it
    for node in _scaled_up_nodes(cluster, scale_ups):
        nodes.setdefault(node.metadata.name, node)
        if ObjectRef("Node", None, node.metadata.name) not in done:
            add_events(ObjectRef("Node", None, node.metadata.name))

    times = [t for t in (_parse_time(e.time) for e in happenings) if t is not None and t.tzinfo is not None]
    start = min(times) if times else None
    for node in nodes.values():
        created = _parse_time(node.metadata.creation_timestamp)
        if start is not None and created is not None and created.tzinfo is not None and created >= start:
            add(stamps, node.metadata.creation_timestamp, Loop.COMPUTE, _node_text(node), f"Node/{node.metadata.name}")

    def in_window(e: TimelineEntry) -> bool:
        t = _parse_time(e.time)
        return start is None or t is None or t.tzinfo is None or (start - t).total_seconds() <= _LEAD_SECONDS

    def order(e: TimelineEntry) -> tuple[float, str, str]:
        t = _parse_time(e.time)
        return (t.timestamp() if t is not None and t.tzinfo is not None else float("inf"), e.time, e.text)

    uniq = {(e.time, e.text): e for e in [*happenings, *filter(in_window, stamps), *at_scan]}
    return tuple(sorted(uniq.values(), key=order))


def _scaled_up_nodes(cluster: ClusterState, scale_ups: Sequence[k.Event]) -> Iterator[k.Node]:
    """Nodes created after a TriggeredScaleUp whose node group the event names (the
    autoscaler prints the ASG / VMSS / MIG name, which contains the node pool's name)."""
    if not scale_ups:
        return
    first = min((t for t in (_parse_time(e.first_timestamp or e.time) for e in scale_ups) if t is not None and t.tzinfo is not None), default=None)
    if first is None:
        return
    text = " ".join(e.message or "" for e in scale_ups)
    for node in cluster.nodes:
        created = _parse_time(node.metadata.creation_timestamp)
        pool = node_pool_of(node.metadata.labels)
        if created is None or created.tzinfo is None or created < first:
            continue
        if pool is None or pool in text:
            yield node


def _pv_text(pv: k.PersistentVolume) -> str:
    zones = sorted(_pv_zones(pv, None))
    claim = pv.spec.claim_ref
    text = f"PV {pv.metadata.name} created"
    if zones:
        text += f" in {', '.join(zones)}"
    if claim is not None and claim.name:
        text += f" for PVC {claim.namespace}/{claim.name}"
    return text


def _node_text(node: k.Node) -> str:
    zone = node_zone(node)
    pool = node_pool_of(node.metadata.labels)
    text = f"Node {node.metadata.name} created"
    if zone:
        text += f" in {zone}"
    if pool:
        text += f" (node pool {pool})"
    return text


def _evidence_text(ev: Evidence) -> str:
    return ev.detail if ev.source == "kubernetes" else f"{ev.detail} ({ev.ref})"
