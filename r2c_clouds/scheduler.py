"""One model of kube-scheduler's filters: for a pod and a node, does it fit, and if not why,
in the scheduler's own words. Rules and chains both use it, so they never disagree.

The filters are those of the default profile, in its order, with the reasons their plugins
print (``pkg/scheduler/framework/plugins/*``)::

    NodeUnschedulable  node(s) were unschedulable
    TaintToleration    node(s) had untolerated taint {KEY: VALUE}
    NodeAffinity       node(s) didn't match Pod's node affinity/selector
    NodePorts          node(s) didn't have free ports for the requested pod ports
    NodeResourcesFit   Too many pods / Insufficient cpu / Insufficient nvidia.com/gpu ...
    VolumeBinding      node(s) had volume node affinity conflict
    VolumeZone         node(s) had no available volume zone
    PodTopologySpread  node(s) didn't match pod topology spread constraints [(missing required label)]
    InterPodAffinity   node(s) didn't match pod affinity rules / ... pod anti-affinity rules /
                       node(s) didn't satisfy existing pods anti-affinity rules

The scheduler stops at a node's first failing filter and reports that filter's reasons; the
FailedScheduling message is the histogram of those, ``0/6 nodes are available: 3 ..., 3 ....``
(:meth:`Placement.message`). This model evaluates *every* filter on every node, so a rule can
also ask whether resources alone block a node (:meth:`NodeVerdict.only_resources`).

Preferred terms and ``ScheduleAnyway`` constraints never make a pod unschedulable and are not
evaluated. A pod for another scheduler (``spec.schedulerName``) is not judged
(:attr:`Placement.judged`). Indexes shared by every pod of a scan (each node's room and used
host ports, pods' anti-affinity terms) live in :meth:`ClusterState.memo`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence

from attrs import frozen

from r2c_clouds.loops.storage import volume_ref
from r2c_clouds.model import kube as k
from r2c_clouds.model.cloud import CloudFacts
from r2c_clouds.model.cluster import ZONE_LABELS, ClusterState, node_zone, selector_matches

__all__ = [
    "DEFAULT_SCHEDULER",
    "FILTERS",
    "PV_ZONE_KEYS",
    "TERMINAL_PHASES",
    "Failure",
    "NodeRoom",
    "NodeVerdict",
    "Placement",
    "PodVolumes",
    "VolumePin",
    "disk_zones",
    "eligible_nodes",
    "is_terminated",
    "parse_fit_message",
    "parse_taint",
    "place",
    "pod_requests",
    "pod_volumes",
    "pv_zones",
    "required_node_affinity",
    "rooms",
    "taint_msg",
    "taint_tolerated",
    "terms_match",
    "terms_zones",
]

DEFAULT_SCHEDULER = "default-scheduler"
#: Pod phases whose requests no longer count against a node (the scheduler drops such pods).
TERMINAL_PHASES = frozenset({"Succeeded", "Failed"})

NODE_UNSCHEDULABLE = "NodeUnschedulable"
TAINT_TOLERATION = "TaintToleration"
NODE_AFFINITY = "NodeAffinity"
NODE_PORTS = "NodePorts"
NODE_RESOURCES_FIT = "NodeResourcesFit"
VOLUME_BINDING = "VolumeBinding"
VOLUME_ZONE = "VolumeZone"
POD_TOPOLOGY_SPREAD = "PodTopologySpread"
INTER_POD_AFFINITY = "InterPodAffinity"
#: The filter plugins, in the default profile's order.
FILTERS = (
    NODE_UNSCHEDULABLE, TAINT_TOLERATION, NODE_AFFINITY, NODE_PORTS, NODE_RESOURCES_FIT,
    VOLUME_BINDING, VOLUME_ZONE, POD_TOPOLOGY_SPREAD, INTER_POD_AFFINITY,
)

UNSCHEDULABLE_MSG = "node(s) were unschedulable"
NODE_AFFINITY_MSG = "node(s) didn't match Pod's node affinity/selector"
NODE_PORTS_MSG = "node(s) didn't have free ports for the requested pod ports"
TOO_MANY_PODS_MSG = "Too many pods"
VOLUME_AFFINITY_MSG = "node(s) had volume node affinity conflict"
VOLUME_ZONE_MSG = "node(s) had no available volume zone"
SPREAD_MSG = "node(s) didn't match pod topology spread constraints"
SPREAD_LABEL_MSG = SPREAD_MSG + " (missing required label)"
POD_AFFINITY_MSG = "node(s) didn't match pod affinity rules"
POD_ANTI_AFFINITY_MSG = "node(s) didn't match pod anti-affinity rules"
EXISTING_ANTI_AFFINITY_MSG = "node(s) didn't satisfy existing pods anti-affinity rules"
UNBOUND_IMMEDIATE_MSG = "pod has unbound immediate PersistentVolumeClaims"

#: Node-affinity keys that pin a PersistentVolume to a zone (generic, then CSI drivers' own).
PV_ZONE_KEYS = (
    *ZONE_LABELS,
    "topology.ebs.csi.aws.com/zone",
    "topology.disk.csi.azure.com/zone",
    "topology.gke.io/zone",
)
_PV_ZONE_KEYS = frozenset(PV_ZONE_KEYS)
_UNSCHEDULABLE_TAINT = k.Taint(key="node.kubernetes.io/unschedulable", effect="NoSchedule")


def taint_msg(taint: k.Taint) -> str:
    """``node(s) had untolerated taint {dedicated: gpu}``."""
    return f"node(s) had untolerated taint {{{taint.key}: {taint.value or ''}}}"


# --------------------------------------------------------------------------- requests


def is_terminated(pod: k.Pod) -> bool:
    """Has the pod finished (its requests no longer hold node capacity)?"""
    return pod.status.phase in TERMINAL_PHASES


def _quantity(q: k.Quantity | None) -> float:
    try:
        return k.parse_quantity(q)
    except ValueError:
        return 0.0


def _container_requests(c: k.Container) -> dict[str, float]:
    """A container's requests; a resource with only a limit requests its limit (API defaulting)."""
    out = {name: _quantity(q) for name, q in c.resources.requests.items()}
    for name, q in c.resources.limits.items():
        if name not in out:
            out[name] = _quantity(q)
    return out


def _add(into: dict[str, float], more: Mapping[str, float]) -> None:
    for name, v in more.items():
        into[name] = into.get(name, 0.0) + v


def pod_requests(spec: k.PodSpec) -> dict[str, float]:
    """The pod's effective requests as the scheduler computes them.

    The sum of the app containers and of the sidecars (init containers with
    ``restartPolicy: Always``), or the peak while an init container runs (its request plus
    the sidecars started before it), whichever is larger, per resource. CPU in cores,
    memory in bytes. The pods of one template share their resources, so a result is reused
    while the same resources come again (see ``_RECENT``); the caller gets its own dict.
    """
    res = [c.resources for c in spec.containers]
    init = [(c.resources, c.restart_policy) for c in spec.init_containers]
    recent = _RECENT
    for seen_res, seen_init, seen in recent:
        if seen_res == res and seen_init == init:  # msgspec compares Structs in C
            return dict(seen)
    out = _compute_requests(spec)
    recent.insert(0, (res, init, out))
    del recent[_RECENT_SIZE:]
    return dict(out)


#: The last few distinct container resources seen, with their requests: pods come in runs of
#: one template (a list is sorted by namespace and name), so a short most-recent list hits
#: almost always, for the price of comparing a few Structs.
_RECENT: list[tuple[list[k.ResourceRequirements], list[tuple[k.ResourceRequirements, str | None]], dict[str, float]]] = []
_RECENT_SIZE = 8


def _compute_requests(spec: k.PodSpec) -> dict[str, float]:
    total: dict[str, float] = {}
    for c in spec.containers:
        _add(total, _container_requests(c))
    sidecars: dict[str, float] = {}
    init_peak: dict[str, float] = {}
    for c in spec.init_containers:
        req = _container_requests(c)
        if c.restart_policy == "Always":
            _add(sidecars, req)
            continue
        for name in set(req) | set(sidecars):
            init_peak[name] = max(init_peak.get(name, 0.0), req.get(name, 0.0) + sidecars.get(name, 0.0))
    _add(total, sidecars)
    for name, v in init_peak.items():
        total[name] = max(total.get(name, 0.0), v)
    return total


# --------------------------------------------------------------------------- nodes


_Port = tuple[str, str, int]  # protocol, hostIP, hostPort


def _host_ports(pod: k.Pod) -> list[_Port]:
    return [
        (p.protocol or "TCP", p.host_ip or "0.0.0.0", p.host_port)
        for c in pod.spec.containers
        for p in c.ports
        if p.host_port
    ]


@frozen(eq=False)
class NodeRoom:
    """One node as the scheduler's cache holds it: allocatable, what its non-terminated pods
    request, how many there are and the host ports they use."""

    node: k.Node
    allocatable: dict[str, float]
    requested: dict[str, float]
    pod_count: int
    ports: tuple[_Port, ...] = ()

    def free(self, resource: str) -> float:
        return self.allocatable.get(resource, 0.0) - self.requested.get(resource, 0.0)


def _build_rooms(cluster: ClusterState) -> dict[str, NodeRoom]:
    out: dict[str, NodeRoom] = {}
    for n in cluster.nodes:
        alloc: dict[str, float] = {}
        for name, q in n.status.allocatable.items():
            try:
                alloc[name] = k.parse_quantity(q)
            except ValueError:
                continue
        used: dict[str, float] = {}
        count = 0
        ports: list[_Port] = []
        for p in cluster.pods_by_node.get(n.metadata.name, ()):
            if is_terminated(p):
                continue
            count += 1
            _add(used, pod_requests(p.spec))
            ports.extend(_host_ports(p))
        out[n.metadata.name] = NodeRoom(n, alloc, used, count, tuple(ports))
    return out


def rooms(cluster: ClusterState) -> Mapping[str, NodeRoom]:
    """Every node's room, computed once per cluster (one pass over the pods)."""
    return cluster.memo("r2c_clouds.scheduler:rooms", _build_rooms)


# --------------------------------------------------------------------------- predicates


def _tolerates(tol: k.Toleration, taint: k.Taint) -> bool:
    if tol.effect and tol.effect != taint.effect:
        return False
    op = tol.operator or "Equal"
    if not tol.key:
        return op == "Exists"
    if tol.key != taint.key:
        return False
    return op == "Exists" or (tol.value or "") == (taint.value or "")


def taint_tolerated(tolerations: Iterable[k.Toleration], taint: k.Taint) -> bool:
    """Does one of ``tolerations`` tolerate ``taint`` (key, value, effect, operator)?"""
    return any(_tolerates(t, taint) for t in tolerations)


def _untolerated(pod: k.Pod, taints: Iterable[k.Taint]) -> k.Taint | None:
    """The first NoSchedule/NoExecute taint the pod does not tolerate (PreferNoSchedule
    never filters)."""
    for t in taints:
        if t.effect in ("NoSchedule", "NoExecute") and not taint_tolerated(pod.spec.tolerations, t):
            return t
    return None


def _requirement_matches(req: k.NodeSelectorRequirement, labels: Mapping[str, str]) -> bool:
    op, key = req.operator, req.key
    if op == "In":
        return key in labels and labels[key] in req.values
    if op == "NotIn":
        return key not in labels or labels[key] not in req.values
    if op == "Exists":
        return key in labels
    if op == "DoesNotExist":
        return key not in labels
    if op in ("Gt", "Lt") and key in labels and req.values:
        try:
            have, want = int(labels[key]), int(req.values[0])
        except ValueError:
            return False
        return have > want if op == "Gt" else have < want
    return False


def terms_match(terms: Sequence[k.NodeSelectorTerm], node: k.Node) -> bool:
    """NodeSelectorTerms are ORed, their requirements ANDed; an empty term matches nothing."""
    labels = node.metadata.labels
    fields = {"metadata.name": node.metadata.name}
    for term in terms:
        if not term.match_expressions and not term.match_fields:
            continue
        if all(_requirement_matches(r, labels) for r in term.match_expressions) and all(
            _requirement_matches(r, fields) for r in term.match_fields
        ):
            return True
    return False


def required_node_affinity(pod: k.Pod) -> list[k.NodeSelectorTerm] | None:
    """The pod's required node affinity terms (``None``: none)."""
    aff = pod.spec.affinity
    na = aff.node_affinity if aff is not None else None
    req = na.required_during_scheduling_ignored_during_execution if na is not None else None
    if req is None or not req.node_selector_terms:
        return None
    return req.node_selector_terms


def _node_affinity_ok(pod: k.Pod, node: k.Node) -> bool:
    labels = node.metadata.labels
    if any(labels.get(key) != v for key, v in pod.spec.node_selector.items()):
        return False
    terms = required_node_affinity(pod)
    return terms is None or terms_match(terms, node)


def _schedulable_ok(pod: k.Pod, node: k.Node) -> bool:
    return not node.spec.unschedulable or _untolerated(pod, (_UNSCHEDULABLE_TAINT,)) is None


def eligible_nodes(cluster: ClusterState, pod: k.Pod) -> frozenset[str]:
    """Nodes the pod's static constraints allow: schedulable (or tolerated), every
    NoSchedule/NoExecute taint tolerated, its nodeSelector and required node affinity
    matched. Computed once per scheduling signature (pods of one template share it)."""
    cache: dict[tuple[object, ...], frozenset[str]] = cluster.memo("r2c_clouds.scheduler:eligible", lambda _c: {})
    aff = required_node_affinity(pod)
    sig = (
        tuple(sorted(pod.spec.node_selector.items())),
        tuple((t.key, t.operator, t.value, t.effect) for t in pod.spec.tolerations),
        repr(aff) if aff is not None else None,
    )
    found = cache.get(sig)
    if found is None:
        found = cache[sig] = frozenset(
            n.metadata.name for n in cluster.nodes
            if _schedulable_ok(pod, n) and _untolerated(pod, n.spec.taints) is None and _node_affinity_ok(pod, n)
        )
    return found


# --------------------------------------------------------------------------- volumes


@frozen(eq=False)
class VolumePin:
    """A constraint a mounted volume puts on nodes.

    ``terms`` are the PV's node affinity (VolumeBinding), ``label_zones`` its zone labels
    (VolumeZone); ``cloud_zones`` are the zones the cloud says its disk is in: the scheduler
    does not see them (attach fails later instead), so they never filter a node here.
    """

    claim: str
    pv: str | None
    terms: tuple[k.NodeSelectorTerm, ...] = ()
    label_zones: tuple[str, ...] = ()
    cloud_zones: tuple[str, ...] = ()
    cloud_source: str = ""  # the citation of the cloud fact (a Provenance.ref())
    cloud_origin: str = ""  # the provider that said so

    @property
    def zones(self) -> tuple[str, ...]:
        """The zones the volume is in, from whichever says: node affinity, labels, the cloud."""
        return tuple(sorted(set(terms_zones(self.terms)))) or self.label_zones or self.cloud_zones

    @property
    def zone_origin(self) -> str:
        """Who says the volume is in :attr:`zones`: ``kubernetes`` or the cloud provider."""
        if terms_zones(self.terms) or self.label_zones:
            return "kubernetes"
        return self.cloud_origin or "kubernetes"


@frozen(eq=False)
class PodVolumes:
    """The pod's claims: what pins it to nodes, and reasons no node can help (PreFilter)."""

    pins: tuple[VolumePin, ...]
    pod_level: tuple[str, ...]
    claims: tuple[str, ...]


def terms_zones(terms: Iterable[k.NodeSelectorTerm]) -> set[str]:
    """Zones named by ``In`` requirements on a zone key."""
    zones: set[str] = set()
    for term in terms:
        for req in term.match_expressions:
            if req.key in _PV_ZONE_KEYS and req.operator == "In":
                zones.update(v for v in req.values if v)
    return zones


def pv_label_zones(pv: k.PersistentVolume) -> tuple[str, ...]:
    """Zones in a PV's zone labels (``a__b`` lists several), as VolumeZone reads them."""
    zones: set[str] = set()
    for key in ZONE_LABELS:
        if pv.metadata.labels.get(key):
            zones.update(z for z in pv.metadata.labels[key].split("__") if z)
    return tuple(sorted(zones))


def pv_zones(pv: k.PersistentVolume) -> tuple[str, ...]:
    """The zones a PV is pinned to by its node affinity, else by its zone labels."""
    na = pv.spec.node_affinity
    terms = na.required.node_selector_terms if na is not None and na.required is not None else ()
    return tuple(sorted(terms_zones(terms))) or pv_label_zones(pv)


def disk_zones(pv: k.PersistentVolume, facts: CloudFacts | None) -> tuple[tuple[str, ...], str, str]:
    """The zones of the cloud disk behind a PV, when the provider reported a zonal disk:
    ``(zones, provider, citation)``."""
    if facts is None:
        return (), "", ""
    vr = volume_ref(pv)
    if vr is None:
        return (), "", ""
    disk = facts.disk(vr.volume_handle)
    if disk is None or disk.zone_redundant or not disk.zones:
        return (), "", ""
    return tuple(disk.zones), disk.provenance.provider, disk.provenance.ref()


def pod_volumes(cluster: ClusterState, facts: CloudFacts | None, pod: k.Pod) -> PodVolumes:
    """The pod's PVCs as the VolumeBinding/VolumeZone filters see them."""
    ns = pod.metadata.namespace or ""
    pins: list[VolumePin] = []
    pod_level: list[str] = []
    claims: list[str] = []
    have_pvcs = cluster.has("PersistentVolumeClaim")
    for vol in pod.spec.volumes:
        if vol.persistent_volume_claim is None:
            continue
        claim = vol.persistent_volume_claim.claim_name
        claims.append(claim)
        pvc = cluster.pvcs_by_key.get((ns, claim))
        if pvc is None:
            if have_pvcs:
                pod_level.append(f'persistentvolumeclaim "{claim}" not found')
            continue
        pv = cluster.pv_for_claim(ns, claim)
        if pv is None:
            sc = cluster.storage_class_of(pvc)
            if pvc.status.phase != "Bound" and sc is not None and sc.volume_binding_mode != "WaitForFirstConsumer":
                pod_level.append(UNBOUND_IMMEDIATE_MSG)
            continue
        na = pv.spec.node_affinity
        terms = tuple(na.required.node_selector_terms) if na is not None and na.required is not None else ()
        labels = pv_label_zones(pv)
        cloud, origin, source = disk_zones(pv, facts)
        if terms or labels or cloud:
            pins.append(VolumePin(claim, pv.metadata.name, terms, labels, cloud, source, origin))
    # the PreFilter stops at its first error, and so does its message
    return PodVolumes(tuple(pins), tuple(pod_level[:1]), tuple(claims))


def _zone_matches(node: k.Node, zones: Sequence[str]) -> bool:
    z = node_zone(node)
    if z is None:
        return True  # VolumeZone passes nodes without zone labels
    # Azure Disk reports bare zone numbers ("1") where nodes say "eastus-1".
    return any(z == want or z.endswith(f"-{want}") for want in zones)


# --------------------------------------------------------------------------- inter-pod


def _selector_with_keys(selector: k.LabelSelector | None, keys: Sequence[str], labels: Mapping[str, str]) -> k.LabelSelector | None:
    """``matchLabelKeys``: the incoming pod's values of those keys join the selector."""
    if selector is None or not keys:
        return selector
    extra = {key: labels[key] for key in keys if key in labels}
    return k.LabelSelector(match_labels={**selector.match_labels, **extra}, match_expressions=selector.match_expressions)


def _term_namespaces(cluster: ClusterState, term: k.PodAffinityTerm, own: str) -> frozenset[str] | None:
    """The namespaces a term looks in (``None``: every namespace, ``namespaceSelector: {}``)."""
    names = set(term.namespaces)
    sel = term.namespace_selector
    if sel is not None:
        if not sel.match_labels and not sel.match_expressions:
            return None
        names.update(n.metadata.name for n in cluster.namespaces if selector_matches(sel, n.metadata.labels))
    elif not names:
        names.add(own)
    return frozenset(names)


def _term_matches(cluster: ClusterState, term: k.PodAffinityTerm, term_owner: k.Pod, other: k.Pod) -> bool:
    spaces = _term_namespaces(cluster, term, term_owner.metadata.namespace or "")
    if spaces is not None and (other.metadata.namespace or "") not in spaces:
        return False
    sel = _selector_with_keys(term.label_selector, term.match_label_keys, term_owner.metadata.labels)
    return selector_matches(sel, other.metadata.labels)


def _scheduled(cluster: ClusterState) -> list[tuple[k.Pod, k.Node]]:
    def build(c: ClusterState) -> list[tuple[k.Pod, k.Node]]:
        out = []
        for p in c.pods:
            node = c.nodes_by_name.get(p.spec.node_name or "")
            if node is not None and not is_terminated(p):  # terminating pods still count here
                out.append((p, node))
        return out

    return cluster.memo("r2c_clouds.scheduler:scheduled", build)


def _with_anti_affinity(cluster: ClusterState) -> list[tuple[k.Pod, k.Node, list[k.PodAffinityTerm]]]:
    def build(c: ClusterState) -> list[tuple[k.Pod, k.Node, list[k.PodAffinityTerm]]]:
        out = []
        for p, node in _scheduled(c):
            aff = p.spec.affinity
            anti = aff.pod_anti_affinity if aff is not None else None
            if anti is not None and anti.required_during_scheduling_ignored_during_execution:
                out.append((p, node, anti.required_during_scheduling_ignored_during_execution))
        return out

    return cluster.memo("r2c_clouds.scheduler:anti-affinity", build)


def _is_pod(a: k.Pod, b: k.Pod) -> bool:
    return a.metadata.name == b.metadata.name and a.metadata.namespace == b.metadata.namespace


@frozen(eq=False)
class _InterPod:
    """InterPodAffinity's PreFilter state for one incoming pod."""

    affinity_terms: tuple[k.PodAffinityTerm, ...]
    affinity_counts: Counter[tuple[str, str]]
    anti_counts: Counter[tuple[str, str]]
    existing_anti: frozenset[tuple[str, str]]
    self_match: bool

    def check(self, node: k.Node) -> str | None:
        labels = node.metadata.labels
        if self.affinity_terms:
            exist = True
            for term in self.affinity_terms:
                value = labels.get(term.topology_key)
                if value is None:
                    return POD_AFFINITY_MSG  # every topology label must exist on the node
                if self.affinity_counts[(term.topology_key, value)] <= 0:
                    exist = False
            # the first pod of a group with affinity to itself may go anywhere
            if not exist and not (not self.affinity_counts and self.self_match):
                return POD_AFFINITY_MSG
        for (key, value), n in self.anti_counts.items():
            if n > 0 and labels.get(key) == value:
                return POD_ANTI_AFFINITY_MSG
        if any(labels.get(key) == value for key, value in self.existing_anti):
            return EXISTING_ANTI_AFFINITY_MSG
        return None


def _inter_pod(cluster: ClusterState, pod: k.Pod) -> _InterPod | None:
    aff = pod.spec.affinity
    pa = aff.pod_affinity if aff is not None else None
    anti = aff.pod_anti_affinity if aff is not None else None
    terms = tuple(pa.required_during_scheduling_ignored_during_execution) if pa is not None else ()
    anti_terms = tuple(anti.required_during_scheduling_ignored_during_execution) if anti is not None else ()
    existing = [(p, n, ts) for p, n, ts in _with_anti_affinity(cluster) if not _is_pod(p, pod)]
    if not terms and not anti_terms and not existing:
        return None
    counts: Counter[tuple[str, str]] = Counter()
    anti_counts: Counter[tuple[str, str]] = Counter()
    if terms or anti_terms:
        for other, node in _scheduled(cluster):
            if _is_pod(other, pod):
                continue
            labels = node.metadata.labels
            # an existing pod counts for the affinity terms only if it matches all of them
            if terms and all(_term_matches(cluster, t, pod, other) for t in terms):
                for term in terms:
                    if term.topology_key in labels:
                        counts[(term.topology_key, labels[term.topology_key])] += 1
            for term in anti_terms:
                if term.topology_key in labels and _term_matches(cluster, term, pod, other):
                    anti_counts[(term.topology_key, labels[term.topology_key])] += 1
    blocked = set()
    for other, node, other_terms in existing:
        for term in other_terms:
            value = node.metadata.labels.get(term.topology_key)
            if value is not None and _term_matches(cluster, term, other, pod):
                blocked.add((term.topology_key, value))
    self_match = all(_term_matches(cluster, t, pod, pod) for t in terms) if terms else False
    return _InterPod(terms, counts, anti_counts, frozenset(blocked), self_match)


# --------------------------------------------------------------------------- topology spread


@frozen(eq=False)
class _Spread:
    """PodTopologySpread's PreFilter state: per DoNotSchedule constraint, the matching pods
    per domain over the nodes that count, and whether the pod matches itself."""

    constraints: tuple[tuple[k.TopologySpreadConstraint, Counter[str], int, bool], ...]  # (c, counts, min, self)
    keys: tuple[str, ...]

    def check(self, node: k.Node) -> str | None:
        labels = node.metadata.labels
        for c, counts, minimum, self_match in self.constraints:  # in order: label, then skew
            if c.topology_key not in labels:
                return SPREAD_LABEL_MSG
            skew = counts[labels[c.topology_key]] + (1 if self_match else 0) - minimum
            if skew > c.max_skew:
                return SPREAD_MSG
        return None


def _spread(cluster: ClusterState, pod: k.Pod) -> _Spread | None:
    hard = [c for c in pod.spec.topology_spread_constraints if c.when_unsatisfiable == "DoNotSchedule"]
    if not hard:
        return None
    keys = tuple(dict.fromkeys(c.topology_key for c in hard))
    ns = pod.metadata.namespace or ""
    out = []
    for c in hard:
        affinity_policy = c.node_affinity_policy or "Honor"
        taints_policy = c.node_taints_policy or "Ignore"
        counting = [
            n for n in cluster.nodes
            if all(key in n.metadata.labels for key in keys)
            and (affinity_policy != "Honor" or _node_affinity_ok(pod, n))
            and (taints_policy != "Honor" or _untolerated(pod, n.spec.taints) is None)
        ]
        names = {n.metadata.name for n in counting}
        domains = {n.metadata.labels[c.topology_key] for n in counting}
        sel = _selector_with_keys(c.label_selector, c.match_label_keys, pod.metadata.labels)
        counts: Counter[str] = Counter(dict.fromkeys(domains, 0))
        # an empty selector counts no pod (kube-scheduler 1.27-1.31 countPodsMatchSelector),
        # though the pod still matches itself; terminating pods are not counted
        empty = sel is not None and not sel.match_labels and not sel.match_expressions
        for other, node in () if empty else _scheduled(cluster):
            if node.metadata.name not in names or (other.metadata.namespace or "") != ns or _is_pod(other, pod):
                continue
            if other.metadata.deletion_timestamp is None and selector_matches(sel, other.metadata.labels):
                counts[node.metadata.labels[c.topology_key]] += 1
        minimum = min(counts.values()) if counts else 0
        if c.min_domains is not None and len(domains) < c.min_domains:
            minimum = 0
        out.append((c, counts, minimum, selector_matches(sel, pod.metadata.labels)))
    return _Spread(tuple(out), keys)


# --------------------------------------------------------------------------- placement


@frozen(eq=False)
class Failure:
    """One filter that rejects a node, with the reasons its plugin prints."""

    plugin: str
    reasons: tuple[str, ...]


@frozen(eq=False)
class NodeVerdict:
    """A pod on one node: every failing filter, in the scheduler's order."""

    node: str
    failures: tuple[Failure, ...]

    @property
    def fits(self) -> bool:
        return not self.failures

    @property
    def reported(self) -> tuple[str, ...]:
        """What the scheduler says for this node: its first failing filter's reasons."""
        return self.failures[0].reasons if self.failures else ()

    @property
    def only_resources(self) -> bool:
        """Resources (NodeResourcesFit) are the node's one and only blocker."""
        return len(self.failures) == 1 and self.failures[0].plugin == NODE_RESOURCES_FIT


@frozen(eq=False)
class Placement:
    """Where a pod can go, node by node, as the default scheduler would decide now.

    Args:
        pod: the pod.
        requests: its effective requests.
        volumes: its claims and what they pin.
        nodes: one verdict per node, in the cluster's node order.
        judged: ``False`` for a pod of another scheduler (``spec.schedulerName``): nothing
            here applies to it, and :attr:`nodes` is empty.
    """

    pod: k.Pod
    requests: dict[str, float]
    volumes: PodVolumes
    nodes: tuple[NodeVerdict, ...]
    judged: bool = True

    def fits(self) -> list[str]:
        """Nodes where every filter passes."""
        return [v.node for v in self.nodes if v.fits]

    def only_resources(self) -> list[str]:
        """Nodes that only lack room."""
        return [v.node for v in self.nodes if v.only_resources]

    def histogram(self) -> Counter[str]:
        """Reason → number of nodes reporting it (the scheduler's counts)."""
        counts: Counter[str] = Counter()
        for v in self.nodes:
            counts.update(v.reported)
        return counts

    def message(self) -> str:
        """The FailedScheduling message the scheduler would print (without ``preemption:``)."""
        total = len(self.nodes)
        if self.volumes.pod_level:
            return f"0/{total} nodes are available: {', '.join(self.volumes.pod_level)}."
        fits = len(self.fits())
        if fits or not total:
            return f"{fits}/{total} nodes have room for it now."
        parts = sorted(f"{n} {reason}" for reason, n in self.histogram().items())
        return f"0/{total} nodes are available: {', '.join(parts)}."


def _short(free: float, need: float) -> bool:
    """``free < need`` as the scheduler's integer arithmetic decides it (milli-CPU, bytes):
    0.3 - 0.2 CPU leaves room for 0.1, whatever floating point says."""
    return free < need and not math.isclose(free, need, rel_tol=1e-9, abs_tol=1e-9)


def _filter(
    pod: k.Pod,
    room: NodeRoom,
    requests: Mapping[str, float],
    volumes: PodVolumes,
    ports: list[_Port],
    spread: _Spread | None,
    inter: _InterPod | None,
) -> tuple[Failure, ...]:
    node = room.node
    out: list[Failure] = []
    if not _schedulable_ok(pod, node):
        out.append(Failure(NODE_UNSCHEDULABLE, (UNSCHEDULABLE_MSG,)))
    taint = _untolerated(pod, node.spec.taints)
    if taint is not None:
        out.append(Failure(TAINT_TOLERATION, (taint_msg(taint),)))
    if not _node_affinity_ok(pod, node):
        out.append(Failure(NODE_AFFINITY, (NODE_AFFINITY_MSG,)))
    if ports and any(
        proto == p2 and port == port2 and (ip == ip2 or "0.0.0.0" in (ip, ip2))
        for proto, ip, port in ports
        for p2, ip2, port2 in room.ports
    ):
        out.append(Failure(NODE_PORTS, (NODE_PORTS_MSG,)))
    short: list[str] = []
    if room.allocatable.get("pods") is not None and room.pod_count + 1 > room.allocatable["pods"]:
        short.append(TOO_MANY_PODS_MSG)
    for r, need in sorted(requests.items()):
        if need > 0 and _short(room.free(r), need):
            short.append(f"Insufficient {r}")
    if short:
        out.append(Failure(NODE_RESOURCES_FIT, tuple(short)))
    if any(pin.terms and not terms_match(pin.terms, node) for pin in volumes.pins):
        out.append(Failure(VOLUME_BINDING, (VOLUME_AFFINITY_MSG,)))
    if any(pin.label_zones and not _zone_matches(node, pin.label_zones) for pin in volumes.pins):
        out.append(Failure(VOLUME_ZONE, (VOLUME_ZONE_MSG,)))
    if spread is not None and (why := spread.check(node)) is not None:
        out.append(Failure(POD_TOPOLOGY_SPREAD, (why,)))
    if inter is not None and (why := inter.check(node)) is not None:
        out.append(Failure(INTER_POD_AFFINITY, (why,)))
    return tuple(out)


def place(cluster: ClusterState, facts: CloudFacts | None, pod: k.Pod) -> Placement:
    """Run every filter for ``pod`` on every node of ``cluster``: for a pod not on a node yet
    (a Pending, unscheduled pod). A pod that already has a ``nodeName`` is counted in its
    node's room, so it would be judged against itself there.
    """
    requests = pod_requests(pod.spec)
    volumes = pod_volumes(cluster, facts, pod)
    if (pod.spec.scheduler_name or DEFAULT_SCHEDULER) != DEFAULT_SCHEDULER:
        return Placement(pod, requests, volumes, (), judged=False)
    ports = _host_ports(pod)
    spread = _spread(cluster, pod)
    inter = _inter_pod(cluster, pod)
    verdicts = tuple(
        NodeVerdict(name, _filter(pod, room, requests, volumes, ports, spread, inter))
        for name, room in rooms(cluster).items()
    )
    return Placement(pod, requests, volumes, verdicts)


# --------------------------------------------------------------------------- messages

_FIT_MSG = re.compile(r"(\d+)/(\d+) nodes are available:?\s*(.*)", re.S)
_PART = re.compile(r"\s*(\d+)\s+(.+)")


def parse_fit_message(message: str) -> tuple[int | None, Counter[str]]:
    """A FailedScheduling message's node count and reason histogram.

    >>> parse_fit_message("0/6 nodes are available: 3 Insufficient cpu, 3 node(s) had untolerated taint "
    ...                   "{dedicated: gpu}. preemption: 0/6 nodes are available: 6 Preemption is not helpful.")
    (6, Counter({'Insufficient cpu': 3, 'node(s) had untolerated taint {dedicated: gpu}': 3}))
    """
    m = _FIT_MSG.search(message)
    if not m:
        return None, Counter()
    body = m.group(3).split(" preemption:", 1)[0].strip()
    body = body[:-1] if body.endswith(".") else body
    counts: Counter[str] = Counter()
    for part in _split_reasons(body):
        pm = _PART.match(part)
        if pm:
            counts[pm.group(2).strip()] += int(pm.group(1))
    return int(m.group(2)), counts


def _split_reasons(body: str) -> Iterator[str]:
    """Split on ``, `` outside braces (a taint's ``{k: v}`` holds no comma, a reason may)."""
    depth, start = 0, 0
    for i, ch in enumerate(body):
        if ch in "{(":
            depth += 1
        elif ch in "})":
            depth -= 1
        elif ch == "," and depth == 0 and body[i + 1 : i + 2] == " " and re.match(r"\s*\d+ ", body[i + 1 :]):
            yield body[start:i]
            start = i + 1
    yield body[start:]


def parse_taint(text: str) -> k.Taint:
    """A node pool's taint as the clouds write it, ``key=value:Effect`` (or ``key:Effect``).

    >>> parse_taint("CriticalAddonsOnly=true:NoSchedule")
    Taint(key='CriticalAddonsOnly', effect='NoSchedule', value='true')
    """
    rest, _, effect = text.rpartition(":")
    if not rest:
        rest, effect = text, ""
    key, _, value = rest.partition("=")
    return k.Taint(key=key, effect=effect, value=value or None)
