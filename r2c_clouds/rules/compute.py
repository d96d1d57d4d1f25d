"""compute loop rules: requests and limits, priorities, disruption budgets, why pods do not
schedule, node pools and their zones, AKS system pools, KEDA.

The scheduling rules (``unschedulable``, ``fragmentation``) re-run the default scheduler's
filters for each Pending pod over every node once — NodeUnschedulable, TaintToleration,
NodeAffinity, NodeResourcesFit, VolumeBinding/VolumeZone — against node allocatable minus
the requests of the non-terminated pods on each node (indexed once per rule run), and word
the result as the scheduler does (``0/6 nodes are available: 3 Insufficient cpu, ...``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping

from r2c_clouds.loops.compute import node_pool_of
from r2c_clouds.loops.identity import image_registry
from r2c_clouds.model import kube as k
from r2c_clouds.model.cloud import NodePool
from r2c_clouds.model.cluster import (
    ClusterState,
    is_system_namespace,
    node_zone,
    pod_ref,
    selector_matches,
)
from r2c_clouds.model.findings import Evidence, Finding, ObjectRef, Severity
from r2c_clouds.rules._registry import RuleContext, rule
from r2c_clouds.rules._workloads import (
    Workload,
    event_evidence,
    fmt_cpu,
    fmt_memory,
    fmt_resource,
    workloads,
)
from r2c_clouds.rules.storage import same_zone
from r2c_clouds.scheduler import (
    NODE_AFFINITY_MSG,
    TOO_MANY_PODS_MSG,
    VOLUME_BINDING,
    VOLUME_ZONE,
    NodeRoom,
    Placement,
    PodVolumes,
    disk_zones,
    is_terminated,
    parse_fit_message,
    parse_taint,
    place,
    pod_requests,
    pod_volumes,
    pv_zones,
    rooms,
)

__all__ = [
    "fragmentation",
    "image_pull_backoff",
    "keda_not_enabled",
    "missing_memory_limit",
    "missing_requests",
    "no_pdb",
    "no_priority_class",
    "node_pool_zone_gap",
    "pdb_blocks_eviction",
    "system_pool_user_workloads",
    "unschedulable",
]

_CONTROLLERS = frozenset({"Deployment", "StatefulSet", "DaemonSet"})
_MAX_RELATED = 20

# =========================================================================== shared helpers


def _workload_nodes(cluster: ClusterState, w: Workload) -> list[ObjectRef]:
    """The nodes a workload's pods run on (the first 20 by name), once per workload: several
    rules relate their findings to them."""
    cache: dict[int, list[ObjectRef]] = cluster.memo("r2c_clouds.rules.compute:workload-nodes", lambda _c: {})
    found = cache.get(id(w))
    if found is None:
        names = sorted({p.spec.node_name for p in w.pods if p.spec.node_name})
        found = cache[id(w)] = [ObjectRef("Node", None, n) for n in names[:_MAX_RELATED]]
    return list(found)


def _user_workloads(cluster: ClusterState) -> Iterator[Workload]:
    """Workloads outside system namespaces, leaving out finished Jobs and bare pods."""
    for w in workloads(cluster):
        if is_system_namespace(w.namespace):
            continue
        if w.ref.kind not in _CONTROLLERS and w.pods and all(is_terminated(p) for p in w.pods):
            continue
        yield w


def _app_containers(spec: k.PodSpec) -> list[k.Container]:
    """App containers plus native sidecars (init containers with ``restartPolicy: Always``)."""
    return [*spec.containers, *(c for c in spec.init_containers if c.restart_policy == "Always")]


def _pod_events(cluster: ClusterState, pod: k.Pod) -> tuple[k.Event, ...]:
    return cluster.events_for("Pod", pod.metadata.namespace, pod.metadata.name)


def _condition(pod: k.Pod, type_: str) -> k.Condition | None:
    for c in pod.status.conditions:
        if c.type == type_:
            return c
    return None


# =========================================================================== hygiene


@rule(
    "compute.missing-requests",
    severity=Severity.MEDIUM,
    title="Containers without CPU or memory requests",
    rationale=(
        "The scheduler places pods by their requests: a container without them is packed onto "
        "nodes as if it used nothing, starves its neighbours, and is the first evicted under "
        "node pressure (BestEffort/Burstable QoS). The cluster autoscaler also sizes nodes from requests."
    ),
    remediation=(
        "Set `resources.requests.cpu` and `resources.requests.memory` on every container of the "
        "pod template (measured p95 usage is a good start), or enforce defaults with a LimitRange."
    ),
    docs="https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/",
    needs=("Pod",),
)
def missing_requests(ctx: RuleContext) -> Iterator[Finding]:
    """Workloads in user namespaces with containers that request no CPU or no memory."""
    for w in _user_workloads(ctx.cluster):
        gaps: list[str] = []
        none_at_all = True
        for c in _app_containers(w.spec):
            req = c.resources.requests
            lim = c.resources.limits
            missing = [r for r in ("cpu", "memory") if r not in req and r not in lim]
            if len(missing) < 2:
                none_at_all = False
            if missing:
                gaps.append(f"container {c.name}: no {' and no '.join(m + ' request' for m in missing)}")
        if not gaps:
            continue
        qos = "BestEffort" if none_at_all else "Burstable"
        evidence = [Evidence("kubernetes", str(w.ref), f"{g}") for g in gaps]
        evidence.append(
            Evidence("kubernetes", str(w.ref), f"QoS class {qos}: {len(w.pods)} pod(s) scheduled as if they need nothing")
        )
        yield ctx.finding(
            w.ref,
            f"{w.ref} has {len(gaps)} container(s) without CPU/memory requests ({qos} QoS): "
            "the scheduler cannot reserve capacity for them and they are evicted first under pressure",
            evidence=evidence,
            related=_workload_nodes(ctx.cluster, w),
        )


@rule(
    "compute.missing-memory-limit",
    severity=Severity.LOW,
    title="Containers without a memory limit",
    rationale=(
        "Memory is not compressible: a container without a memory limit can grow until the node "
        "runs out and the kubelet evicts or the kernel OOM-kills its neighbours."
    ),
    remediation=(
        "Set `resources.limits.memory` on each container (often equal to the memory request for "
        "Guaranteed QoS)."
    ),
    docs="https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#requests-and-limits",
    needs=("Pod",),
)
def missing_memory_limit(ctx: RuleContext) -> Iterator[Finding]:
    """Workloads in user namespaces with containers that set no memory limit."""
    for w in _user_workloads(ctx.cluster):
        names = [c.name for c in _app_containers(w.spec) if "memory" not in c.resources.limits]
        if not names:
            continue
        yield ctx.finding(
            w.ref,
            f"{w.ref}: container(s) {', '.join(names)} have no memory limit",
            evidence=[
                Evidence("kubernetes", str(w.ref), f"container {n}: resources.limits.memory not set")
                for n in names
            ],
            related=_workload_nodes(ctx.cluster, w),
        )


@rule(
    "compute.no-priority-class",
    severity=Severity.LOW,
    title="Workloads without a PriorityClass",
    rationale=(
        "Without priorities every pod is equal: when the cluster is full a batch job can hold the "
        "capacity a user-facing service needs, and preemption cannot make room for it."
    ),
    remediation=(
        "Create PriorityClasses for your tiers and set `spec.priorityClassName` in the pod template "
        "(or mark one PriorityClass `globalDefault: true`)."
    ),
    docs="https://kubernetes.io/docs/concepts/scheduling-eviction/pod-priority-preemption/",
    needs=("Pod", "PriorityClass"),
)
def no_priority_class(ctx: RuleContext) -> Iterator[Finding]:
    """User workloads with no ``priorityClassName`` when no PriorityClass is the global default."""
    if any(pc.global_default for pc in ctx.cluster.priority_classes):
        return
    for w in _user_workloads(ctx.cluster):
        if w.spec.priority_class_name:
            continue
        yield ctx.finding(
            w.ref,
            f"{w.ref} sets no priorityClassName and no PriorityClass is globalDefault: "
            "its pods run at priority 0 and cannot preempt lower-value work",
            evidence=[Evidence("kubernetes", str(w.ref), "spec.template.spec.priorityClassName not set")],
            related=_workload_nodes(ctx.cluster, w),
        )


@rule(
    "compute.no-pdb",
    severity=Severity.MEDIUM,
    title="Replicated workloads without a PodDisruptionBudget",
    rationale=(
        "A node drain (upgrade, scale-in, spot reclaim) evicts every replica on the drained nodes "
        "at once when no PodDisruptionBudget limits it, so a 3-replica service can drop to zero."
    ),
    remediation=(
        "Add a `policy/v1` PodDisruptionBudget selecting the pod template's labels, e.g. "
        "`maxUnavailable: 1`."
    ),
    docs="https://kubernetes.io/docs/tasks/run-application/configure-pdb/",
    needs=("PodDisruptionBudget", "Deployment", "StatefulSet"),
)
def no_pdb(ctx: RuleContext) -> Iterator[Finding]:
    """Deployments/StatefulSets with ``replicas >= 2`` that no PDB in their namespace selects."""
    pdbs_by_ns: dict[str, list[k.PodDisruptionBudget]] = defaultdict(list)
    # a matchLabels selector matches only labels holding all its pairs: index it by one pair,
    # so a workload looks at the PDBs that could select it, not at its namespace's every PDB
    by_pair: dict[tuple[str, str, str], list[k.PodDisruptionBudget]] = defaultdict(list)
    other: dict[str, list[k.PodDisruptionBudget]] = defaultdict(list)
    for pdb in ctx.cluster.pdbs:
        ns = pdb.metadata.namespace or ""
        pdbs_by_ns[ns].append(pdb)
        sel = pdb.spec.selector
        if sel is not None and sel.match_labels:
            key, value = min(sel.match_labels.items())
            by_pair[(ns, key, value)].append(pdb)
        else:
            other[ns].append(pdb)
    for w in _user_workloads(ctx.cluster):
        if w.ref.kind not in ("Deployment", "StatefulSet") or (w.replicas or 0) < 2:
            continue
        pdbs = pdbs_by_ns.get(w.namespace, [])
        candidates = [*other.get(w.namespace, ()), *(
            p for key, value in w.labels.items() for p in by_pair.get((w.namespace, key, value), ())
        )]
        if any(selector_matches(p.spec.selector, w.labels) for p in candidates):
            continue
        yield ctx.finding(
            w.ref,
            f"{w.ref} runs {w.replicas} replicas and no PodDisruptionBudget selects its pods: "
            "a node drain may evict all of them at once",
            evidence=[
                Evidence(
                    "kubernetes",
                    str(w.ref),
                    f"replicas {w.replicas}, pod labels {_labels(w.labels)}; "
                    f"{len(pdbs)} PodDisruptionBudget(s) in namespace {w.namespace}, none match",
                )
            ],
        )


def _labels(labels: dict[str, str]) -> str:
    return ",".join(f"{key}={v}" for key, v in sorted(labels.items())) or "(none)"


def _int_or_percent(v: k.IntOrString | None, total: int, round_up: bool) -> int | None:
    if v is None:
        return None
    if isinstance(v, int):
        return v
    s = v.strip()
    if s.endswith("%"):
        try:
            pct = float(s[:-1])
        except ValueError:
            return None
        raw = pct * total / 100
        whole = int(raw)
        return whole + 1 if round_up and raw > whole else whole
    try:
        return int(s)
    except ValueError:
        return None


@rule(
    "compute.pdb-blocks-eviction",
    severity=Severity.MEDIUM,
    title="PodDisruptionBudgets that allow no eviction",
    rationale=(
        "A PodDisruptionBudget at 0 disruptions allowed makes every voluntary eviction fail: node "
        "drains hang, managed node-group/node-pool upgrades stall or are forced after a timeout, "
        "and the cluster autoscaler cannot remove the node."
    ),
    remediation=(
        "Set `maxUnavailable: 1` (or a `minAvailable` below the replica count) on the PDB, and "
        "consider `unhealthyPodEvictionPolicy: AlwaysAllow` so unhealthy pods never block drains."
    ),
    docs="https://kubernetes.io/docs/tasks/run-application/configure-pdb/#think-about-how-your-application-reacts-to-disruptions",
    needs=("PodDisruptionBudget",),
)
def pdb_blocks_eviction(ctx: RuleContext) -> Iterator[Finding]:
    """PDBs with ``disruptionsAllowed == 0``: by configuration (medium) or because pods are
    currently unhealthy (low)."""
    cluster = ctx.cluster
    for pdb in cluster.pdbs:
        ns = pdb.metadata.namespace
        if is_system_namespace(ns):
            continue
        ref = ObjectRef("PodDisruptionBudget", ns, pdb.metadata.name)
        if pdb.spec.min_available is None and pdb.spec.max_unavailable is None:
            yield ctx.finding(
                ref,
                f"{ref} sets neither minAvailable nor maxUnavailable: it states no disruption policy "
                "(set one, e.g. maxUnavailable: 1)",
                evidence=[Evidence("kubernetes", str(ref), "spec.minAvailable and spec.maxUnavailable not set")],
                severity=Severity.LOW,
            )
            continue
        st = pdb.status
        if st.expected_pods > 0 and st.disruptions_allowed > 0:
            continue  # the common case, decided without touching the pods
        pods = [p for p in cluster.pods_selected(ns, pdb.spec.selector) if not is_terminated(p)]
        expected = st.expected_pods
        templates: list[ObjectRef] = []
        if expected == 0:
            # No status (hand-written object): evaluate the spec against the selected pods,
            # or, before any pod runs (manifests), against the replicas the templates ask for.
            expected = len(pods)
            healthy = sum(1 for p in pods if _is_ready(p))
            if expected == 0:
                chosen = [w for w in workloads(cluster) if w.namespace == (ns or "") and w.replicas is not None
                          and selector_matches(pdb.spec.selector, w.labels)]
                expected = healthy = sum(w.replicas or 0 for w in chosen)
                templates = [w.ref for w in chosen]
            if expected == 0:
                continue
            desired = _desired_healthy(pdb.spec, expected)
            if desired is None:
                continue
            allowed = max(0, healthy - desired)
        else:
            healthy, desired, allowed = st.current_healthy, st.desired_healthy, st.disruptions_allowed
        if allowed > 0:
            continue
        spec_txt = _pdb_spec_text(pdb.spec)
        owners = sorted({cluster.owner_of(p) or pod_ref(p) for p in pods} | set(templates))[:_MAX_RELATED]
        status_ev = Evidence(
            "kubernetes",
            str(ref),
            f"{spec_txt}; status: expectedPods {expected}, currentHealthy {healthy}, "
            f"desiredHealthy {desired}, disruptionsAllowed 0" if not templates else
            f"{spec_txt}; {', '.join(map(str, templates))} ask(s) for {expected} replica(s) in all: "
            f"desiredHealthy {desired}, disruptionsAllowed 0",
        )
        if healthy >= desired:
            yield ctx.finding(
                ref,
                f"{ref} ({spec_txt}) allows no eviction even when all {expected} pods are healthy: "
                "every drain of a node running them will block",
                evidence=[status_ev],
                related=owners,
            )
        else:
            policy = pdb.spec.unhealthy_pod_eviction_policy or "IfHealthyBudget"
            yield ctx.finding(
                ref,
                f"{ref} allows no eviction right now because only {healthy} of {expected} pods are "
                f"healthy (it needs {desired}); the budget itself leaves room once they recover "
                f"(unhealthyPodEvictionPolicy {policy})",
                evidence=[status_ev],
                related=owners,
                severity=Severity.LOW,
            )


def _is_ready(pod: k.Pod) -> bool:
    c = _condition(pod, "Ready")
    return c is not None and c.status == "True"


def _desired_healthy(spec: k.PodDisruptionBudgetSpec, expected: int) -> int | None:
    if spec.min_available is not None:
        return _int_or_percent(spec.min_available, expected, round_up=True)
    if spec.max_unavailable is not None:
        mu = _int_or_percent(spec.max_unavailable, expected, round_up=True)
        return None if mu is None else max(0, expected - mu)
    return None


def _pdb_spec_text(spec: k.PodDisruptionBudgetSpec) -> str:
    if spec.min_available is not None:
        return f"minAvailable {spec.min_available}"
    if spec.max_unavailable is not None:
        return f"maxUnavailable {spec.max_unavailable}"
    return "no minAvailable/maxUnavailable"


# =========================================================================== scheduling


_AUTOSCALER_REASONS = frozenset({"TriggeredScaleUp", "NotTriggerScaleUp", "FailedScaleUp", "ScaleUpTimedOut"})


def _pending_unscheduled(cluster: ClusterState) -> Iterator[k.Pod]:
    for p in cluster.pods_in_state.pending_unplaced:
        cond = _condition(p, "PodScheduled")
        failed = any(e.reason == "FailedScheduling" for e in _pod_events(cluster, p))
        if (cond is not None and cond.status == "False" and cond.reason == "Unschedulable") or failed:
            yield p


def _request_text(requests: dict[str, float]) -> str:
    parts = [fmt_resource(r, v) for r, v in sorted(requests.items()) if v > 0]
    return ", ".join(parts) if parts else "no resources"


@rule(
    "compute.unschedulable",
    severity=Severity.HIGH,
    title="Pending pods: why they do not fit any node",
    rationale=(
        "A Pending pod is capacity the workload expected and does not have. The scheduler's "
        "one-line summary hides which constraint blocks each node; re-running its filters "
        "against current node capacity, taints, affinity and volume topology shows what to change."
    ),
    remediation=(
        "Act on the dominant reason: add capacity or lower `resources.requests` for Insufficient "
        "cpu/memory; add a toleration or use the right node pool for untolerated taints; fix "
        "`nodeSelector`/`affinity`; give the volume's zone a node pool with headroom for volume "
        "node affinity conflicts; uncordon (`kubectl uncordon`) cordoned nodes."
    ),
    docs="https://kubernetes.io/docs/concepts/scheduling-eviction/kube-scheduler/#kube-scheduler-implementation",
    needs=("Pod", "Node"),
    symptom=True,
    needs_all_pods=True,
)
def unschedulable(ctx: RuleContext) -> Iterator[Finding]:
    """Explain each Pending pod with the scheduler model (r2c_clouds.scheduler): per-node
    blocking reasons counted as the scheduler counts them, checked against the scheduler's
    own FailedScheduling message, the cluster-autoscaler's events, and pods stuck on
    volume attach."""
    cluster = ctx.cluster
    for pod in _pending_unscheduled(cluster):
        placement = place(cluster, ctx.facts, pod)
        if placement.judged:
            yield _explain_unschedulable(ctx, placement)
    yield from _attach_failures(ctx)


def _explain_unschedulable(ctx: RuleContext, a: Placement) -> Finding:
    cluster = ctx.cluster
    pod = a.pod
    ref = pod_ref(pod)
    ns = pod.metadata.namespace
    room = rooms(cluster)
    evidence: list[Evidence] = []
    related = [ObjectRef("PersistentVolumeClaim", ns, c) for c in a.volumes.claims]

    cond = _condition(pod, "PodScheduled")
    if cond is not None and cond.status == "False":
        evidence.append(
            Evidence("kubernetes", str(ref), f"PodScheduled=False {cond.reason or ''}: {cond.message or ''}".strip(),
                     time=cond.last_transition_time)
        )
    events = _pod_events(cluster, pod)
    sched = [e for e in events if e.reason == "FailedScheduling"]
    scaler = [e for e in events if e.reason in _AUTOSCALER_REASONS]
    evidence.extend(event_evidence(sched, limit=1))
    evidence.extend(event_evidence(scaler, limit=2))

    ours = a.message()
    if a.volumes.pod_level:
        why = "no node can help until the claim exists/binds"
    elif not a.nodes:
        ours = "0/0 nodes are available: the cluster has no nodes."
        why = "there are no nodes to place it on"
    elif a.fits():
        why = _cloud_zone_why(cluster, a) or (
            "every filter passes on the current state, so the last scheduler failure was transient "
            "(capacity freed or nodes added since)"
        )
    else:
        why = _dominant_why(a)

    # The scheduler's own message wins; where the model reads the current state differently,
    # the difference is evidence (the cluster changed since, or a filter r2c does not model).
    summary = ours
    if sched:
        last = sched[-1]
        total, theirs = parse_fit_message(last.message or "")
        theirs = _prefiltered_as_affinity(theirs)
        if theirs:
            summary = f"the scheduler says {total_text(total, theirs)}"
            mine = a.histogram()
            if not a.volumes.pod_level and (theirs != mine or total != len(a.nodes)):
                evidence.append(Evidence(
                    "kubernetes", "r2c scheduler model",
                    f"the current state gives {ours.rstrip('.')}; the scheduler's message of {last.time} "
                    f"gave {total_text(total, theirs)}: {_difference(theirs, mine)}",
                ))
                why += "; r2c's reading of the current state differs (see evidence)"

    message = f"{ref} is Pending (requests {_request_text(a.requests)}): {summary.rstrip('.')}. {why}."
    if any(e.reason == "TriggeredScaleUp" for e in scaler):
        message += " The cluster autoscaler has triggered a scale-up for it."
    elif any(e.reason == "NotTriggerScaleUp" for e in scaler):
        message += " The cluster autoscaler found no node group that could fit it."

    evidence.extend(_per_reason_evidence(a, room))
    evidence.extend(_pin_evidence(a.pod, a.volumes))
    return ctx.finding(ref, message, evidence=evidence, related=related,
                       time=sched[-1].time if sched else (cond.last_transition_time if cond else None))


def _cloud_zone_why(cluster: ClusterState, a: Placement) -> str | None:
    """The scheduler can place the pod, but a disk the cloud puts in another zone than every
    node that fits would not attach there (the PV carries no zone the scheduler can see)."""
    for pin in a.volumes.pins:
        if not pin.cloud_zones or pin.terms or pin.label_zones:
            continue
        zones = {node_zone(cluster.nodes_by_name[n]) for n in a.fits()}
        if zones and not any(z is None or same_zone(z, c) for z in zones for c in pin.cloud_zones):
            return (
                f"the scheduler can place it on {len(a.fits())} node(s), in {', '.join(sorted(z for z in zones if z))}, "
                f"but {pin.cloud_origin} says PersistentVolume/{pin.pv}'s disk is in {', '.join(pin.cloud_zones)}: "
                "it would not attach there (the PV names no zone the scheduler can see)"
            )
    return None


#: How kube-scheduler reports the nodes NodeAffinity's PreFilter left out (a pod pinned by
#: ``matchFields: metadata.name``, as every DaemonSet pod is): up to 1.30, then from 1.31.
_PREFILTERED = ("node is filtered out by the prefilter result", "node(s) didn't satisfy plugin(s) [NodeAffinity]")


def _prefiltered_as_affinity(counts: Counter[str]) -> Counter[str]:
    """The scheduler's histogram with PreFilter-excluded nodes counted as the model counts
    them (the NodeAffinity filter's own reason), so the two compare."""
    if not any(r in counts for r in _PREFILTERED):
        return counts
    out = Counter({r: n for r, n in counts.items() if r not in _PREFILTERED})
    out[NODE_AFFINITY_MSG] += sum(counts[r] for r in _PREFILTERED)
    return out


def total_text(total: int | None, counts: Counter[str]) -> str:
    """``0/6 nodes are available: 3 Insufficient cpu, 3 node(s) ...`` from a histogram."""
    parts = ", ".join(sorted(f"{n} {reason}" for reason, n in counts.items()))
    return f"0/{total if total is not None else '?'} nodes are available: {parts}"


def _difference(theirs: Counter[str], mine: Counter[str]) -> str:
    out = []
    for reason in sorted(set(theirs) | set(mine)):
        if theirs[reason] != mine[reason]:
            out.append(f"{reason}: {theirs[reason]} then, {mine[reason]} now")
    return "; ".join(out) or "the node count differs"


def _dominant_why(a: Placement) -> str:
    """One sentence on what would have to change."""
    total = len(a.nodes)
    full = a.only_resources()
    volume_blocked = [v for v in a.nodes if any(f.plugin in (VOLUME_BINDING, VOLUME_ZONE) for f in v.failures)]
    if volume_blocked and len(volume_blocked) == total:
        zones = sorted({z for pin in a.volumes.pins for z in pin.zones})
        zone_txt = f" ({', '.join(zones)})" if zones else ""
        return f"its volume is pinned to a zone{zone_txt} where no node can take it"
    if full:
        by_node = {v.node: v for v in a.nodes}
        short = sorted({r for n in full for r in by_node[n].reported})
        return (
            f"{len(full)} node(s) pass every other filter but lack room ({', '.join(short)}): "
            "free capacity or scale those nodes' pool"
        )
    firsts = Counter(v.reported[0] for v in a.nodes if v.failures)
    top, _ = firsts.most_common(1)[0]
    return f"no node passes the placement filters; most often: {top}"


def _per_reason_evidence(a: Placement, room: Mapping[str, NodeRoom]) -> Iterator[Evidence]:
    by_reason: dict[str, list[str]] = defaultdict(list)
    for v in sorted(a.nodes, key=lambda v: v.node):
        for r in v.reported:
            by_reason[r].append(v.node)
    for reason, names in sorted(by_reason.items()):
        shown = names[:5]
        more = f" and {len(names) - 5} more" if len(names) > 5 else ""
        if reason.startswith("Insufficient "):
            res = reason.removeprefix("Insufficient ")
            detail = ", ".join(
                f"{n} ({fmt_resource(res, max(0.0, room[n].free(res)))} free of "
                f"{fmt_resource(res, room[n].allocatable.get(res, 0.0))})"
                for n in shown
            )
            yield Evidence("kubernetes", f"Node/{shown[0]}", f"{reason} for {fmt_resource(res, a.requests.get(res, 0.0))}: {detail}{more}")
        else:
            yield Evidence("kubernetes", f"Node/{shown[0]}", f"{reason}: {', '.join(shown)}{more}")


def _pin_evidence(pod: k.Pod, volumes: PodVolumes) -> Iterator[Evidence]:
    ns = pod.metadata.namespace
    for pin in volumes.pins:
        zones = pin.zones
        if not zones:
            continue
        src = pin.zone_origin
        ref = pin.cloud_source if src != "kubernetes" else f"PersistentVolume/{pin.pv}"
        yield Evidence(src, ref, f"PersistentVolumeClaim/{ns}/{pin.claim} → PersistentVolume/{pin.pv} is in zone(s) {', '.join(zones)}")


_ATTACH_HINTS = (
    ("InvalidVolume.ZoneMismatch", "the EBS volume is in another Availability Zone than the node"),
    ("not found in zone", "the disk is not in the node's zone"),
    ("does not match", "the disk's zone does not match the node's zone"),
    ("Multi-Attach error", "the volume is still attached to another node (ReadWriteOnce)"),
    ("timed out waiting for the condition", "the attach/mount did not complete in time"),
)


def _decisive(text: str, limit: int = 240) -> str:
    """The telling end of a long attach/mount error (the cloud's ``api error ...`` part)."""
    for marker in ("api error ", "desc = "):
        i = text.rfind(marker)
        if i >= 0:
            text = text[i:]
            break
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _attach_failures(ctx: RuleContext) -> Iterator[Finding]:
    """Pods that were scheduled but stay Pending because a volume cannot attach or mount."""
    cluster = ctx.cluster
    for pod in cluster.pods_in_state.pending_placed:
        events = [e for e in _pod_events(cluster, pod) if e.reason in ("FailedAttachVolume", "FailedMount")]
        if not events:
            continue
        ref = pod_ref(pod)
        ns = pod.metadata.namespace
        node_name = pod.spec.node_name or ""  # pending_placed pods have one
        node = cluster.nodes_by_name.get(node_name)
        nzone = node_zone(node) if node is not None else None
        attach = [e for e in events if e.reason == "FailedAttachVolume"]
        last = (attach or events)[-1]
        text = last.message or ""
        hint = next((h for key, h in _ATTACH_HINTS if key.lower() in text.lower()), "")
        volumes = pod_volumes(cluster, ctx.facts, pod)
        evidence = list(event_evidence(attach, limit=1)) + list(
            event_evidence([e for e in events if e.reason == "FailedMount"], limit=1)
        )
        zone_notes: list[str] = []
        for pin in volumes.pins:
            zones = pin.zones
            if zones and nzone and nzone not in zones and not any(nzone.endswith(f"-{z}") for z in zones):
                zone_notes.append(f"PersistentVolume/{pin.pv} is in {', '.join(zones)}")
        evidence.extend(_pin_evidence(pod, volumes))
        where = f"node {node_name}" + (f" ({nzone})" if nzone else "")
        what = "cannot attach its volume" if attach else "cannot mount its volume"
        message = f"{ref} was scheduled on {where} but is stuck Pending: it {what}"
        if hint:
            message += f" ({hint})"
        if zone_notes:
            message += f"; {'; '.join(zone_notes)} while the node is in {nzone}"
        message += f". Last {last.reason}: {_decisive(text)}"
        related = [ObjectRef("PersistentVolumeClaim", ns, c) for c in volumes.claims]
        related.append(ObjectRef("Node", None, node_name))
        yield ctx.finding(ref, message, evidence=evidence, related=related, key="attach", time=last.time)


@rule(
    "compute.fragmentation",
    severity=Severity.HIGH,
    title="Pending pods that fit the cluster's free capacity but no single node",
    rationale=(
        "Free capacity spread thinly over many nodes cannot host a large pod: the cluster looks "
        "half empty while the pod stays Pending, and the autoscaler may not add a node if it "
        "considers the pool big enough."
    ),
    remediation=(
        "Lower the pod's `resources.requests`, use larger instance types for the pool, enable "
        "bin-packing (`MostAllocated` scoring, AKS/GKE optimize-utilization profile), or let the "
        "cluster autoscaler add a node for it."
    ),
    docs="https://kubernetes.io/docs/concepts/scheduling-eviction/resource-bin-packing/",
    needs=("Pod", "Node"),
    needs_all_pods=True,
    runtime=True,
)
def fragmentation(ctx: RuleContext) -> Iterator[Finding]:
    """Pending pods whose request fits the summed free capacity of the nodes that only lack
    room, but no single node. Nodes blocked by anything else (taints, affinity, topology
    spread, host ports, volumes, the pod count) are not candidates: the pod could not use
    their capacity even if it were in one piece."""
    cluster = ctx.cluster
    room = rooms(cluster)
    for pod in _pending_unscheduled(cluster):
        a = place(cluster, ctx.facts, pod)
        if not a.judged or a.volumes.pod_level or a.fits():
            continue
        by_node = {v.node: v for v in a.nodes}
        eligible = [n for n in a.only_resources() if TOO_MANY_PODS_MSG not in by_node[n].reported]
        if len(eligible) < 2:
            continue
        if any(
            sum(max(0.0, room[n].free(r)) for n in eligible) < need
            for r, need in a.requests.items()
            if need > 0
        ):
            continue  # a real shortage of some resource, not fragmentation
        for res in ("cpu", "memory"):
            need = a.requests.get(res, 0.0)
            if need <= 0:
                continue
            frees = {n: max(0.0, room[n].free(res)) for n in eligible}
            with_room = {n: f for n, f in frees.items() if f > 0}
            total_free = sum(with_room.values())
            if total_free < need or max(frees.values()) >= need or len(with_room) < 2:
                continue
            best = max(with_room, key=lambda n: (with_room[n], n))
            fmt = fmt_cpu if res == "cpu" else fmt_memory
            ref = pod_ref(pod)
            scaled = any(e.reason == "TriggeredScaleUp" for e in _pod_events(cluster, pod))
            message = (
                f"{ref}: the cluster has {fmt(total_free)} {'' if res == 'cpu' else 'memory '}free across "
                f"{len(with_room)} eligible nodes but no node has the {fmt(need)} "
                f"{'' if res == 'cpu' else 'memory '}this pod requests (largest free: {fmt(with_room[best])} on {best})"
            ).replace("CPU CPU", "CPU").replace("  ", " ")
            if scaled:
                message += "; the cluster autoscaler has triggered a scale-up"
            evidence = [
                Evidence("kubernetes", f"Node/{n}", f"{fmt(f)} {res} free of {fmt(room[n].allocatable.get(res, 0.0))}")
                for n, f in sorted(with_room.items(), key=lambda nf: (-nf[1], nf[0]))[:10]
            ]
            yield ctx.finding(
                ref,
                message,
                evidence=evidence,
                related=[ObjectRef("Node", None, n) for n in sorted(eligible)[:_MAX_RELATED]],
                key=res,
                severity=Severity.MEDIUM if scaled else None,
            )


# =========================================================================== pools and zones


def _pool_taint_text(t: k.Taint) -> str:
    return f"{t.key}={t.value or ''}:{t.effect}"


@rule(
    "compute.node-pool-zone-gap",
    severity=Severity.MEDIUM,
    title="Zones holding pinned volumes that no node pool can serve",
    rationale=(
        "A zonal disk can only attach in its zone. If no node pool can place a node with room "
        "there (no pool spans the zone, or the pools there are at their maximum), the pods "
        "using that disk stay Pending after any reschedule."
    ),
    remediation=(
        "Give every zone that holds volumes a node pool with headroom: add the zone to the pool "
        "(EKS node group subnets, AKS `--zones`, GKE `--node-locations`) or raise `maxSize`/"
        "`--max-count`; or use one pool per zone for stateful workloads."
    ),
    docs="https://kubernetes.io/docs/setup/best-practices/multiple-zones/#storage-access-for-zones",
    needs=("Pod", "Node", "PersistentVolumeClaim", "PersistentVolume"),
    needs_cloud=("node_pools",),
    needs_all_pods=True,
    runtime=True,
)
def node_pool_zone_gap(ctx: RuleContext) -> Iterator[Finding]:
    """Each zone where used PVs are pinned, checked for a node pool with headroom there."""
    cluster = ctx.cluster
    facts = ctx.facts
    assert facts is not None  # needs_cloud guarantees it
    if any("karpenter.sh/nodepool" in n.metadata.labels for n in cluster.nodes):
        return  # Karpenter provisions per pending pod; node pool bounds do not apply
    room = rooms(cluster)
    # zone -> [(pvc ref, pv name, source ref), ...] and the pods using them
    pinned: dict[str, list[tuple[ObjectRef, str, str, str]]] = defaultdict(list)
    users: dict[str, list[k.Pod]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    for pod in cluster.pods:
        if is_terminated(pod):
            continue
        ns = pod.metadata.namespace or ""
        for vol in pod.spec.volumes:
            if vol.persistent_volume_claim is None:
                continue
            claim = vol.persistent_volume_claim.claim_name
            pv = cluster.pv_for_claim(ns, claim)
            if pv is None:
                continue
            zones = pv_zones(pv)
            src, origin = f"PersistentVolume/{pv.metadata.name}", "kubernetes"
            if not zones:
                zones, origin, src = disk_zones(pv, facts)
            if len(zones) != 1:
                continue  # regional / zone-redundant or unpinned
            zone = zones[0]
            users[zone].append(pod)
            if (ns, claim) not in seen:
                seen.add((ns, claim))
                pinned[zone].append((ObjectRef("PersistentVolumeClaim", ns or None, claim), pv.metadata.name, src, origin))

    nodes_by_pool: dict[str, list[k.Node]] = defaultdict(list)
    for n in cluster.nodes:
        pool_label = node_pool_of(n.metadata.labels)
        if pool_label:
            nodes_by_pool[pool_label].append(n)
    pools = facts.node_pools
    multi_zone = len({z for z in cluster.nodes_by_zone if z}) > 1 or len({z for p in pools for z in p.zones}) > 1

    for zone in sorted(pinned):
        pods = users[zone]
        need = {"cpu": 0.0, "memory": 0.0}
        pending = [p for p in pods if p.status.phase == "Pending"]
        for p in pending or pods:
            req = pod_requests(p.spec)
            for r in need:
                need[r] = max(need[r], req.get(r, 0.0))
        serving: list[NodePool] = []
        notes: list[Evidence] = []
        headroom = False
        for pool in pools:
            pzones = pool.zones or tuple(sorted({z for n in nodes_by_pool.get(pool.name, []) if (z := node_zone(n))}))
            if not pzones:
                headroom = True  # zones not reported (GKE pools inherit the cluster's locations)
                continue
            if not _zone_in(zone, pzones):
                notes.append(Evidence(pool.provenance.provider, pool.provenance.ref(),
                                      f"node pool {pool.name} spans {', '.join(pzones) or '?'}, not {zone}"))
                continue
            serving.append(pool)
            ok, why = _pool_headroom(pool, zone, nodes_by_pool.get(pool.name, []), room, need)
            headroom = headroom or ok
            notes.append(Evidence(pool.provenance.provider, pool.provenance.ref(), f"node pool {pool.name} spans {', '.join(pzones) or '?'}: {why}"))
        # Nodes outside known pools (self-managed) with room in the zone also serve it.
        for n in cluster.nodes_by_zone.get(zone, ()):
            pool_name = node_pool_of(n.metadata.labels)
            if pool_name is not None and facts.node_pool(pool_name) is not None:
                continue
            if not pending or _node_has_room(room[n.metadata.name], need):
                headroom = True
        if headroom or (serving and not pending):
            # Running pods only: their zone has a pool; whether it has room on the next
            # reschedule is the autoscaler's business, not a gap.
            continue
        pvc_refs = [c for c, _, _, _ in pinned[zone]]
        pool_list = ", ".join(f"{p.name} ({', '.join(p.zones) or '?'})" for p in pools) or "none reported"
        if serving:
            cause = f"node pool(s) {', '.join(p.name for p in serving)} reach {zone} but none can add or fit a node there"
        else:
            cause = f"no node pool places nodes in {zone} (pools: {pool_list})"
            if multi_zone and pools and all(len(p.zones) == 1 for p in pools):
                cause += "; every pool spans a single zone"
        message = (
            f"Zone {zone} holds {len(pvc_refs)} zonal volume(s) used by {len(pods)} pod(s) "
            f"({len(pending)} Pending), and {cause}: "
            f"{'pods using them cannot be placed' if pending else 'a pod using them has nowhere to go once its node is replaced'} "
            f"(largest request {fmt_cpu(need['cpu'])}, {fmt_memory(need['memory'])})"
        )
        evidence = [
            Evidence(origin, src, f"{c} → PersistentVolume/{pv} pinned to {zone}")
            for c, pv, src, origin in pinned[zone][:10]
        ]
        evidence.extend(notes)
        if not cluster.nodes_by_zone.get(zone):
            evidence.append(Evidence("kubernetes", "Node", f"no node is in {zone}"))
        yield ctx.finding(
            ObjectRef("Zone", None, zone),
            message,
            evidence=evidence,
            related=[ObjectRef("NodePool", None, p.name) for p in serving] + pvc_refs[:_MAX_RELATED],
            severity=Severity.HIGH if pending else None,
        )


def _zone_in(zone: str, zones: Iterable[str]) -> bool:
    return any(zone == z or zone.endswith(f"-{z}") for z in zones)


def _node_has_room(room: NodeRoom, need: dict[str, float]) -> bool:
    node = room.node
    if node.spec.unschedulable:
        return False
    ready = next((c for c in node.status.conditions if c.type == "Ready"), None)
    if ready is not None and ready.status != "True":
        return False
    return all(room.free(r) >= v for r, v in need.items())


def _pool_headroom(
    pool: NodePool, zone: str, nodes: list[k.Node], room: Mapping[str, NodeRoom], need: dict[str, float]
) -> tuple[bool, str]:
    in_zone = [n for n in nodes if node_zone(n) == zone]
    for n in in_zone:
        if _node_has_room(room[n.metadata.name], need):
            return True, f"node {n.metadata.name} in {zone} has room"
    current = pool.desired_size if pool.desired_size is not None else len(nodes)
    if pool.autoscaling and pool.max_size is not None and current < pool.max_size:
        return True, f"autoscaling can grow it ({current} < max {pool.max_size})"
    if pool.autoscaling is None and pool.max_size is None:
        return True, "bounds unknown"
    if pool.autoscaling:
        why = f"autoscaling at its maximum ({current}/{pool.max_size})"
    else:
        why = f"autoscaling off at {current} node(s)"
    return False, f"{why}; {len(in_zone)} node(s) in {zone}, none with room"


# =========================================================================== AKS system pools


_AKS_MODE_LABEL = "kubernetes.azure.com/mode"
_AKS_POOL_LABELS = ("kubernetes.azure.com/agentpool", "agentpool")
_CRITICAL_ADDONS = "CriticalAddonsOnly"


@rule(
    "compute.system-pool-user-workloads",
    severity=Severity.MEDIUM,
    title="User workloads on an AKS system node pool",
    rationale=(
        "AKS system pools run CoreDNS, konnectivity and metrics-server. User pods there compete "
        "with them for CPU and memory, and a noisy or leaking app can take cluster DNS down with it."
    ),
    remediation=(
        "Taint the system pool (`az aks nodepool update --node-taints CriticalAddonsOnly=true:NoSchedule`) "
        "and run user workloads on a `--mode User` pool."
    ),
    docs="https://learn.microsoft.com/azure/aks/use-system-pools",
    needs=("Pod", "Node"),
    runtime=True,
)
def system_pool_user_workloads(ctx: RuleContext) -> Iterator[Finding]:
    """User-namespace pods on AKS system-mode nodes whose pool lacks the CriticalAddonsOnly taint."""
    cluster = ctx.cluster
    facts = ctx.facts
    by_pool: dict[str, list[k.Node]] = defaultdict(list)
    for n in cluster.nodes:
        labels = n.metadata.labels
        pool_name = next((labels[key] for key in _AKS_POOL_LABELS if key in labels), None)
        fact = facts.node_pool(pool_name) if facts is not None and pool_name else None
        is_system = labels.get(_AKS_MODE_LABEL, "").lower() == "system" or (
            fact is not None and (fact.mode or "").lower() == "system"
        )
        if is_system:
            by_pool[pool_name or n.metadata.name].append(n)
    for pool_name, nodes in sorted(by_pool.items()):
        fact = facts.node_pool(pool_name) if facts is not None else None
        tainted = any(t.key == _CRITICAL_ADDONS and t.effect in ("NoSchedule", "NoExecute") for n in nodes for t in n.spec.taints)
        if fact is not None and any(
            (t := parse_taint(text)).key == _CRITICAL_ADDONS and t.effect in ("NoSchedule", "NoExecute")
            for text in fact.taints
        ):
            tainted = True
        if tainted:
            continue
        owners: dict[ObjectRef, set[str]] = defaultdict(set)
        for n in nodes:
            for p in cluster.pods_by_node.get(n.metadata.name, ()):
                if is_terminated(p) or is_system_namespace(p.metadata.namespace):
                    continue
                owner = cluster.owner_of(p) or pod_ref(p)
                if owner.kind == "DaemonSet":
                    continue
                owners[owner].add(n.metadata.name)
        if not owners:
            continue
        ref = ObjectRef("NodePool", None, pool_name)
        evidence = [
            Evidence("kubernetes", f"Node/{n.metadata.name}",
                     f"{_AKS_MODE_LABEL}={n.metadata.labels.get(_AKS_MODE_LABEL, '?')}, taints: "
                     f"{', '.join(_pool_taint_text(t) for t in n.spec.taints) or 'none'} (no {_CRITICAL_ADDONS}=true:NoSchedule)")
            for n in nodes[:5]
        ]
        if fact is not None:
            evidence.append(Evidence(fact.provenance.provider, fact.provenance.ref(),
                                     f"agent pool {fact.name} mode {fact.mode}, taints {list(fact.taints) or 'none'}"))
        for owner, on in sorted(owners.items())[:10]:
            evidence.append(Evidence("kubernetes", str(owner), f"runs on {', '.join(sorted(on))}"))
        yield ctx.finding(
            ref,
            f"System node pool {pool_name} runs {len(owners)} user workload(s) "
            f"({', '.join(str(o) for o in sorted(owners)[:3])}{'...' if len(owners) > 3 else ''}) "
            f"because it lacks the {_CRITICAL_ADDONS}=true:NoSchedule taint",
            evidence=evidence,
            related=sorted(owners)[:_MAX_RELATED],
        )


# =========================================================================== KEDA


@rule(
    "compute.keda-not-enabled",
    severity=Severity.MEDIUM,
    title="KEDA ScaledObjects with no KEDA operator to act on them",
    rationale=(
        "A ScaledObject does nothing by itself: without the KEDA operator (the AKS KEDA add-on or "
        "a Helm install) no HPA is created and the workload never scales on its triggers."
    ),
    remediation=(
        "Enable the add-on (`az aks update --enable-keda`) or install KEDA (`helm install keda "
        "kedacore/keda -n keda`), then check the ScaledObject's `Ready` condition."
    ),
    docs="https://learn.microsoft.com/azure/aks/keda-about",
    needs=("ScaledObject", "Deployment"),
    needs_cloud=("network",),
)
def keda_not_enabled(ctx: RuleContext) -> Iterator[Finding]:
    """ScaledObjects while the cloud reports KEDA off and no ``keda-operator`` Deployment runs."""
    cluster = ctx.cluster
    facts = ctx.facts
    if not cluster.scaled_objects:
        return
    settings = facts.network if facts is not None else None
    if settings is None or settings.keda_enabled is True:
        return
    operators = [d for d in cluster.deployments if d.metadata.name == "keda-operator"]
    if operators:
        return
    cluster_ref = ObjectRef("Cluster", None, cluster.name or "cluster")
    for so in cluster.scaled_objects:
        ref = ObjectRef("ScaledObject", so.metadata.namespace, so.metadata.name)
        target = so.spec.scale_target_ref.get("name", "?")
        conditions = so.status.get("conditions") or []
        ready = next((c for c in conditions if isinstance(c, dict) and c.get("type") == "Ready"), None)
        if ready is not None and ready.get("status") == "True":
            continue  # an operator outside the captured Deployments reconciles it
        evidence = [
            Evidence(settings.provenance.provider, settings.provenance.ref(),
                     "workloadAutoScalerProfile.keda.enabled is false" if settings.keda_enabled is False
                     else "the cloud reports no managed KEDA add-on"),
            Evidence("kubernetes", "Deployment", "no keda-operator Deployment in any namespace"),
            Evidence("kubernetes", str(ref),
                     "status has no Ready condition (never reconciled)" if ready is None
                     else f"Ready={ready.get('status')} {ready.get('reason', '')}".strip()),
        ]
        yield ctx.finding(
            ref,
            f"{ref} targets {target} but KEDA is not running (add-on disabled, no keda-operator): "
            f"it will never scale on its {len(so.spec.triggers)} trigger(s)",
            evidence=evidence,
            related=[cluster_ref],
        )


# =========================================================================== image pulls


_PULL_REASONS = frozenset({"ImagePullBackOff", "ErrImagePull"})
_PULL_CAUSES = (
    (("401 unauthorized", "403 forbidden", "no basic auth credentials", "pull access denied",
      "authorization failed", "unauthorized:", "denied:", "failed to authorize"),
     "the registry refused the pull credentials (node identity or imagePullSecrets)"),
    (("toomanyrequests", "429 too many requests", "rate limit"), "the registry is rate-limiting pulls"),
    (("manifest unknown", "not found", "notfound"), "the image or tag does not exist"),
    (("i/o timeout", "dial tcp", "no such host", "connection refused", "tls handshake timeout",
      "context deadline exceeded"), "the node cannot reach the registry"),
)


def _pull_cause(text: str) -> str:
    low = text.lower()
    for keys, cause in _PULL_CAUSES:
        if any(key in low for key in keys):
            return cause
    return ""


@rule(
    "compute.image-pull-backoff",
    severity=Severity.HIGH,
    title="Pods that cannot pull their image",
    rationale=(
        "A container in ImagePullBackOff never starts: the replica is missing, and a rollout "
        "or scale-up that needs the image stalls."
    ),
    remediation=(
        "Read the kubelet's `Failed to pull image` event: for 401/403 grant the node identity pull "
        "rights (ECR `ecr:BatchGetImage` via the node role, AKS `az aks update --attach-acr`, GKE "
        "`roles/artifactregistry.reader`) or fix `imagePullSecrets`; for not found fix the image tag."
    ),
    docs="https://kubernetes.io/docs/concepts/containers/images/#imagepullbackoff",
    needs=("Pod",),
    symptom=True,
)
def image_pull_backoff(ctx: RuleContext) -> Iterator[Finding]:
    """Pods whose containers wait in ImagePullBackOff/ErrImagePull, with the kubelet's reason."""
    cluster = ctx.cluster
    for pod in cluster.pods_in_state.waiting:
        waiting = [
            cs
            for cs in (*pod.status.init_container_statuses, *pod.status.container_statuses)
            if cs.state.waiting is not None and cs.state.waiting.reason in _PULL_REASONS
        ]
        if not waiting:
            continue
        ref = pod_ref(pod)
        ns = pod.metadata.namespace
        images = {c.name: c.image for c in (*pod.spec.init_containers, *pod.spec.containers) if c.image}
        events = _pod_events(cluster, pod)
        failed = [e for e in events if (e.message or "").startswith("Failed to pull image")]
        backoff = [e for e in events if e.reason == "BackOff" and "pulling image" in (e.message or "")]
        texts = [e.message or "" for e in failed] + [cs.state.waiting.message or "" for cs in waiting if cs.state.waiting]
        cause = next((c for c in (_pull_cause(t) for t in reversed(texts)) if c), "")
        failing_images = sorted({images.get(cs.name) or cs.image or "" for cs in waiting} - {""})
        registries = sorted({image_registry(i) for i in failing_images})
        reason = waiting[0].state.waiting.reason if waiting[0].state.waiting else "ImagePullBackOff"
        message = f"{ref} cannot pull {', '.join(failing_images) or 'its image'} ({reason})"
        if cause:
            message += f": {cause}"
        if pod.spec.node_name:
            message += f" on node {pod.spec.node_name}"
        evidence = list(event_evidence(failed, limit=2)) + list(event_evidence(backoff, limit=1))
        for cs in waiting:
            w = cs.state.waiting
            if w is not None:
                evidence.append(Evidence("kubernetes", str(ref), f"container {cs.name} waiting: {w.reason}: {w.message or ''}".strip()))
        sa = cluster.service_account_of(pod)
        pull_secrets = [s.name for s in pod.spec.image_pull_secrets if s.name]
        sa_obj = cluster.service_accounts_by_key.get((ns or "", sa))
        if sa_obj is not None:
            pull_secrets += [s.name for s in sa_obj.image_pull_secrets if s.name]
        evidence.append(
            Evidence("kubernetes", str(ref),
                     f"imagePullSecrets: {', '.join(sorted(set(pull_secrets)))}" if pull_secrets
                     else "no imagePullSecrets: the node's identity/credential provider does the pull")
        )
        related = [ObjectRef("Registry", None, r) for r in registries]
        if pod.spec.node_name:
            related.append(ObjectRef("Node", None, pod.spec.node_name))
        related.append(ObjectRef("ServiceAccount", ns, sa))
        last = (failed or backoff)[-1].time if (failed or backoff) else None
        yield ctx.finding(ref, message, evidence=evidence, related=related, time=last)
