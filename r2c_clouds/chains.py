"""Cause chains across loops: which finding causes which, and the chains they make.

A *link* says when a symptom finding is caused by a cause finding (the table in
docs/architecture.md, "Chain links"), as data: :data:`LINKS` holds one :class:`Link` per
(symptom rule, cause rule) with a pure predicate and the short phrase drawn between them.

:func:`link` fills each finding's ``caused_by`` and builds one :class:`Chain` per top
symptom (a finding that has causes and causes nothing). It indexes findings by rule and by
the objects they name, so it never compares all pairs: for each link it walks the symptom
findings of that rule and looks up candidate causes by the objects the link's ``keys``
function derives from the symptom (the pod's PVCs, its node pool, the Service's pods...).

``explain`` (one object's chain on a timeline) reads the linked findings from a report and
lives with the renderers, in :mod:`r2c_clouds.report.explain`.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

import attrs
from attrs import frozen

from r2c_clouds.loops.compute import node_pool_of
from r2c_clouds.loops.identity import image_registry
from r2c_clouds.model import kube as k
from r2c_clouds.model.cloud import CloudFacts
from r2c_clouds.model.cluster import ClusterState, node_zone
from r2c_clouds.model.findings import Chain, Finding, Loop, ObjectRef, Severity
from r2c_clouds.scheduler import disk_zones, eligible_nodes, terms_zones

if TYPE_CHECKING:
    pass

__all__ = [
    "LINKS",
    "Link",
    "link",
    "link_why",
    "pinned_zones",
    "pod_of",
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


def pod_of(cluster: ClusterState, ref: ObjectRef) -> k.Pod | None:
    """The pod a ``Pod/NS/NAME`` reference names, if the cluster holds it."""
    if ref.kind != "Pod":
        return None
    return cluster.pods_by_key.get((ref.namespace or "", ref.name))


def _pod_node(cluster: ClusterState, f: Finding) -> str | None:
    """The node the symptom's pod is on (its ``nodeName``, else a related ``Node``)."""
    pod = pod_of(cluster, f.subject)
    if pod is not None and pod.spec.node_name:
        return pod.spec.node_name
    nodes = [r.name for r in f.related if r.kind == "Node"]
    return nodes[0] if len(nodes) == 1 else None


def _pod_pvcs(cluster: ClusterState, pod_ref: ObjectRef) -> set[ObjectRef]:
    pod = pod_of(cluster, pod_ref)
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


def pinned_zones(pv: k.PersistentVolume, facts: CloudFacts | None) -> set[str]:
    """Zones the PV is pinned to (node affinity, else the cloud disk's zones)."""
    na = pv.spec.node_affinity
    zones = terms_zones(na.required.node_selector_terms) if na is not None and na.required is not None else set()
    if not zones:
        zones = set(disk_zones(pv, facts)[0])
    return zones


def _pvc_zones(cluster: ClusterState, facts: CloudFacts | None, pvc: ObjectRef) -> set[str]:
    pv = cluster.pv_for_claim(pvc.namespace or "", pvc.name)
    return pinned_zones(pv, facts) if pv is not None else set()


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
    pod = pod_of(cluster, s.subject)
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
    pod = pod_of(cluster, s.subject)
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
    pod = pod_of(cluster, s.subject)
    if pod is None or not _short_of_resources(s):
        return frozenset()
    return _eligible(cluster, pod)[1]


def shares_eligible_nodes(s: Finding, c: Finding, cluster: ClusterState, facts: CloudFacts | None) -> bool:
    """The pod is short of CPU/memory (``Insufficient cpu``) and a workload without requests
    runs on a node it could be placed on: the requests the scheduler counts there are wrong."""
    pod = pod_of(cluster, s.subject)
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
    pod = pod_of(cluster, s.subject)
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


