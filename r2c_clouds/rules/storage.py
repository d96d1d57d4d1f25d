"""storage loop rules: volume binding and zones, databases on Deployments, zone spread of
replicas, and StatefulSet rollouts that cannot progress.

Zones are compared as the clouds spell them: AWS ``us-east-1a``, GCP ``europe-west1-b``,
Azure ``eastus-1`` on nodes and PVs but sometimes a bare ``1`` from the disk API, so a
bare zone number matches the label that ends in ``-<number>``.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator

from r2c_clouds.loops.storage import volume_ref
from r2c_clouds.model import kube as k
from r2c_clouds.model.cloud import Disk
from r2c_clouds.model.cluster import (
    ZONE_LABELS,
    ClusterState,
    is_system_namespace,
    node_zone,
    pod_ref,
)
from r2c_clouds.model.findings import Evidence, Finding, ObjectRef, Severity, Verdict
from r2c_clouds.rules._registry import RuleContext, rule
from r2c_clouds.rules._workloads import qualified_name, workloads
from r2c_clouds.scheduler import PV_ZONE_KEYS

__all__ = [
    "database_as_deployment",
    "immediate_binding",
    "judge_disk_zone",
    "no_topology_spread",
    "pv_zones",
    "statefulset_rollout_stuck",
    "zone_conflict",
]

_ZONAL_PROVISIONERS = {
    "ebs.csi.aws.com": "aws",
    "kubernetes.io/aws-ebs": "aws",
    "disk.csi.azure.com": "azure",
    "kubernetes.io/azure-disk": "azure",
    "pd.csi.storage.gke.io": "gcp",
    "kubernetes.io/gce-pd": "gcp",
}

_ZONE_MISMATCH = re.compile(
    r"InvalidVolume\.ZoneMismatch|not in the same availability zone|volume node affinity conflict"
    r"|not in the same zone|zone mismatch",
    re.I,
)


# --------------------------------------------------------------------------- helpers


def _k8s(ref: ObjectRef | str, detail: str, time: str | None = None) -> Evidence:
    return Evidence("kubernetes", str(ref), detail, time=time)


def _event_ref(ev: k.Event) -> str:
    return f"Event/{ev.metadata.namespace}/{ev.metadata.name}" if ev.metadata.namespace else f"Event/{ev.metadata.name}"


def same_zone(a: str, b: str) -> bool:
    """``eastus-1`` and ``1`` are the same Azure zone; otherwise zones compare as strings."""
    if a == b:
        return True
    if a.isdigit() and b.endswith(f"-{a}"):
        return True
    return b.isdigit() and a.endswith(f"-{b}")


def _in_zones(zone: str, zones: Iterable[str]) -> bool:
    return any(same_zone(zone, z) for z in zones)


def pv_zones(pv: k.PersistentVolume) -> tuple[str, ...]:
    """The zones a PV's ``spec.nodeAffinity`` allows (empty when it states none).

    Any one term may be satisfied; a term's zone requirements narrow it.
    """
    na = pv.spec.node_affinity
    if na is None or na.required is None:
        return ()
    zones: list[str] = []
    for term in na.required.node_selector_terms:
        for req in term.match_expressions:
            if req.key in PV_ZONE_KEYS and req.operator == "In":
                zones.extend(z for z in req.values if z not in zones)
    return tuple(zones)


def _schedulable_zones(cluster: ClusterState) -> set[str]:
    zones: set[str] = set()
    for n in cluster.nodes:
        ready = any(c.type == "Ready" and c.status == "True" for c in n.status.conditions)
        if ready and not n.spec.unschedulable and (z := node_zone(n)):
            zones.add(z)
    return zones


def _node_zones(cluster: ClusterState) -> set[str]:
    return {z for z in cluster.nodes_by_zone if z}


def _is_zonal(sc: k.StorageClass) -> bool:
    cloud = _ZONAL_PROVISIONERS.get(sc.provisioner)
    params = {key.lower(): v for key, v in sc.parameters.items()}
    if cloud == "azure":
        sku = params.get("skuname") or params.get("storageaccounttype") or ""
        return not sku.upper().endswith("_ZRS")
    if cloud == "gcp":
        return params.get("replication-type", "none").lower() != "regional-pd"
    return cloud == "aws"


def _claims(spec: k.PodSpec) -> list[str]:
    return [v.persistent_volume_claim.claim_name for v in spec.volumes if v.persistent_volume_claim is not None]


def _template_labels(t: k.PodTemplateSpec) -> dict[str, str]:
    return t.metadata.labels if t.metadata is not None else {}


# --------------------------------------------------------------------------- immediate-binding


def _zones_evidence(zones: set[str], span: str | None = None) -> Evidence:
    """The zones the nodes span; on manifests (no Nodes), the assumption made instead."""
    if not zones:
        return _k8s("Node/* topology.kubernetes.io/zone",
                    "the manifests hold no Nodes: judged for a cluster spanning several zones, as production clusters do")
    text = f"{span} {', '.join(sorted(zones))}" if span else f"nodes span {len(zones)} zones: {', '.join(sorted(zones))}"
    return _k8s("Node/* topology.kubernetes.io/zone", text)


@rule(
    "storage.immediate-binding",
    severity=Severity.MEDIUM,
    title="StorageClass provisions zonal disks before the pod is scheduled",
    rationale=(
        "With volumeBindingMode Immediate (the default when unset) the disk is created as soon as "
        "the PVC exists, in a zone picked without regard to the pod; a zonal disk then pins the pod "
        "to that zone, and the pod stays Pending if that zone has no room or no node."
    ),
    remediation=(
        "Create the StorageClass with volumeBindingMode: WaitForFirstConsumer (the field is "
        "immutable: create a new class and move PVCs to it), or use a zone-redundant class "
        "(Azure skuName *_ZRS, GKE replication-type: regional-pd)."
    ),
    docs="https://kubernetes.io/docs/concepts/storage/storage-classes/#volume-binding-mode",
    needs=("StorageClass", "Node"),
)
def immediate_binding(ctx: RuleContext) -> Iterator[Finding]:
    """Immediate-binding StorageClasses of zonal disks in a cluster spanning several zones."""
    cluster = ctx.cluster
    zones = _node_zones(cluster)
    if len(zones) < 2 and not cluster.manifests:
        return
    schedulable = _schedulable_zones(cluster)
    for sc in cluster.storage_classes:
        mode = sc.volume_binding_mode or "Immediate"
        if mode != "Immediate" or not _is_zonal(sc):
            continue
        name = sc.metadata.name
        ref = ObjectRef("StorageClass", None, name)
        evidence = [
            _k8s(ref, f"provisioner {sc.provisioner}, volumeBindingMode "
                 + (mode if sc.volume_binding_mode else "unset (Immediate)")
                 + (f", parameters {dict(sorted(sc.parameters.items()))}" if sc.parameters else "")),
            _zones_evidence(zones),
        ]
        stranded: list[str] = []
        if cluster.has("PersistentVolumeClaim") and cluster.has("PersistentVolume"):
            for pvc in cluster.pvcs:
                sc_of = cluster.storage_class_of(pvc)
                if sc_of is None or sc_of.metadata.name != name:
                    continue
                pv = cluster.pv_for_claim(pvc.metadata.namespace or "", pvc.metadata.name)
                pz = pv_zones(pv) if pv is not None else ()
                if pz and not any(_in_zones(z, schedulable) for z in pz):
                    stranded.append(f"{pvc.metadata.namespace}/{pvc.metadata.name} ({', '.join(pz)})")
        if stranded:
            evidence.append(_k8s(ref, "PVCs bound to zones without a schedulable node: " + "; ".join(stranded[:10])))
        yield ctx.finding(
            ref,
            f"StorageClass {name} ({sc.provisioner}) binds zonal disks Immediately in a cluster spanning "
            + (f"{len(zones)} zones" if zones else "several zones")
            + (f"; {len(stranded)} PVC(s) already sit in zones with no schedulable node." if stranded
               else ": a PVC's disk can land in a zone its pod cannot use."),
            evidence=evidence,
            severity=Severity.HIGH if stranded else None,
        )


# --------------------------------------------------------------------------- zone-conflict


def _disk_zone_evidence(disk: Disk) -> tuple[Evidence, ...]:
    """The disk's zones, as the cloud states them (none for a disk it gives no zone)."""
    if not disk.zones:
        return ()
    return (Evidence(disk.provenance.provider, disk.provenance.ref(), f"disk {disk.volume_handle} is in {', '.join(disk.zones)}"),)


def judge_disk_zone(disk: Disk, zone: str) -> Verdict:
    """Can a node in ``zone`` attach this disk? The question ``storage.zone-conflict`` asks of
    each pod's node: a zonal disk attaches only in its own zone (Azure's ``1`` and
    ``eastus-1`` are one zone); a zone-redundant (regional) disk anywhere.

    >>> from r2c_clouds.model.cloud import Provenance
    >>> d = Disk("vol-0abc", Provenance("aws", "ec2:DescribeVolumes", "vol-0abc"), zones=("us-east-1a",))
    >>> judge_disk_zone(d, "us-east-1b").message
    'disk vol-0abc is in us-east-1a: a node in us-east-1b cannot attach it'
    >>> judge_disk_zone(d, "us-east-1a").ok
    True
    """
    evidence = _disk_zone_evidence(disk)
    if not disk.exists:
        return Verdict("storage.zone-conflict", False, f"disk {disk.volume_handle} does not exist", evidence)
    if disk.zone_redundant or not disk.zones:
        return Verdict("storage.zone-conflict", True, f"disk {disk.volume_handle} is not zonal: any zone can attach it",
                       evidence)
    if _in_zones(zone, disk.zones):
        return Verdict("storage.zone-conflict", True, f"disk {disk.volume_handle} is in {zone}", evidence)
    return Verdict("storage.zone-conflict", False,
                   f"disk {disk.volume_handle} is in {', '.join(disk.zones)}: a node in {zone} cannot attach it", evidence)


@rule(
    "storage.zone-conflict",
    severity=Severity.HIGH,
    title="Pod and its volume are in different zones",
    rationale=(
        "A zonal disk (EBS, Azure Disk LRS, zonal PD) can only attach to a node in its own zone: "
        "a pod whose volume sits in another zone, or in a zone with no schedulable node, stays "
        "Pending or ContainerCreating until a node exists there."
    ),
    remediation=(
        "Add node capacity in the disk's zone (a node group / node pool with that zone), or move "
        "the data: snapshot the volume and restore it in the pod's zone; use "
        "volumeBindingMode: WaitForFirstConsumer so new volumes follow their pods."
    ),
    docs="https://kubernetes.io/docs/setup/best-practices/multiple-zones/#storage-access-for-zones",
    needs=("PersistentVolumeClaim", "PersistentVolume", "Pod", "Node"),
    runtime=True,
)
def zone_conflict(ctx: RuleContext) -> Iterator[Finding]:
    """PVCs whose disk zone differs from their pod's node zone, or has no schedulable node."""
    cluster = ctx.cluster
    facts = ctx.facts
    schedulable = _schedulable_zones(cluster)
    # PVC (ns, name) -> pods mounting it (one pass over pods)
    users: dict[tuple[str, str], list[k.Pod]] = defaultdict(list)
    for pod in cluster.pods_in_state.with_claims:
        for claim in _claims(pod.spec):
            users[(pod.metadata.namespace or "", claim)].append(pod)
    for (ns, claim), pods in sorted(users.items()):
        pv = cluster.pv_for_claim(ns, claim)
        if pv is None:
            continue
        affinity = pv_zones(pv)
        evidence: list[Evidence] = []
        pv_ref = ObjectRef("PersistentVolume", None, pv.metadata.name)
        if affinity:
            evidence.append(_k8s(pv_ref, f"spec.nodeAffinity requires zone {' or '.join(affinity)}"))
        disk_zones: tuple[str, ...] = ()
        vref = volume_ref(pv)
        disk = facts.disk(vref.volume_handle) if facts is not None and vref is not None else None
        if disk is not None:
            if disk.zone_redundant:
                continue
            disk_zones = disk.zones
            evidence.extend(_disk_zone_evidence(disk))
        zones = disk_zones or affinity
        conflicts: list[tuple[k.Pod, str]] = []
        for pod in pods:
            node = cluster.nodes_by_name.get(pod.spec.node_name or "")
            nz = node_zone(node) if node is not None else None
            pod_events = cluster.events_for("Pod", ns, pod.metadata.name)
            events = [
                e for e in pod_events
                if e.reason in ("FailedAttachVolume", "FailedMount", "FailedScheduling") and _ZONE_MISMATCH.search(e.message or "")
            ]
            scaling = [e for e in pod_events if e.reason == "TriggeredScaleUp"]
            why = ""
            if zones and nz and not _in_zones(nz, zones):
                why = f"runs on node {node.metadata.name if node else ''} in {nz}, the volume is in {', '.join(zones)}"
            elif not pod.spec.node_name and scaling and (not events or (scaling[-1].time or "") >= (events[-1].time or "")):
                continue  # the cluster-autoscaler is adding a node for it; judge after it lands
            elif zones and not pod.spec.node_name and not any(_in_zones(z, schedulable) for z in zones):
                why = f"is Pending and no schedulable node exists in {', '.join(zones)}"
            elif events:
                why = f"{events[-1].reason}: {(events[-1].message or '')[:200]}"
            if not why:
                continue
            conflicts.append((pod, why))
            if nz and node is not None:
                evidence.append(_k8s(f"Node/{node.metadata.name}", f"pod {pod.metadata.name} runs here, zone {nz}"))
            evidence.extend(_k8s(_event_ref(e), f"{e.reason}: {e.message}", time=e.time) for e in events[-3:])
        if not conflicts:
            continue
        pvc = cluster.pvcs_by_key.get((ns, claim))
        sc = cluster.storage_class_of(pvc) if pvc is not None else None
        related = [pv_ref]
        for pod, _ in conflicts:
            related.append(pod_ref(pod))
            if pod.spec.node_name:
                related.append(ObjectRef("Node", None, pod.spec.node_name))
        if sc is not None:
            related.append(ObjectRef("StorageClass", None, sc.metadata.name))
        related.extend(ObjectRef("Zone", None, z) for z in zones)
        pod, why = conflicts[0]
        times = [e.time for e in evidence if e.time]
        yield ctx.finding(
            ObjectRef("PersistentVolumeClaim", ns, claim),
            f"PVC {ns}/{claim} (PV {pv.metadata.name}"
            + (f", zone {', '.join(zones)}" if zones else "")
            + f"): pod {pod.metadata.name} {why}.",
            evidence=evidence,
            related=list(dict.fromkeys(related)),
            time=max(times) if times else None,
        )


# --------------------------------------------------------------------------- database-as-deployment

_DB_IMAGE = re.compile(
    r"^(postgres|postgresql|postgis|timescaledb(-ha)?|mysql(-server)?|percona(-server)?|mariadb|"
    r"mongo|mongodb(-community-server)?|redis|redis-stack(-server)?|valkey|cassandra|scylla|"
    r"elasticsearch|opensearch|etcd|clickhouse(-server)?|cockroach|rabbitmq|kafka|cp-kafka|"
    r"zookeeper|cp-zookeeper|neo4j|influxdb|couchdb|memgraph|questdb)$"
)


def _image_base(image: str) -> str:
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[0].lower()


@rule(
    "storage.database-as-deployment",
    severity=Severity.MEDIUM,
    title="Database runs as a Deployment with a ReadWriteOnce volume",
    rationale=(
        "A Deployment's rolling update starts the new pod before the old one stops; with a "
        "ReadWriteOnce volume the new pod waits on Multi-Attach / a held lock, and a replacement "
        "on another node detaches the disk under a live database. StatefulSets give stable "
        "identity, ordered stop-before-start and one volume per replica."
    ),
    remediation=(
        "Run the database as a StatefulSet with volumeClaimTemplates (or an operator), or at least "
        "set the Deployment's strategy.type: Recreate and replicas: 1."
    ),
    docs="https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/",
    needs=("Deployment",),
)
def database_as_deployment(ctx: RuleContext) -> Iterator[Finding]:
    """Deployments running a database image on a ReadWriteOnce PVC."""
    cluster = ctx.cluster
    for d in cluster.deployments:
        spec = d.spec.template.spec
        ns = d.metadata.namespace
        claims = {v.name: v.persistent_volume_claim.claim_name for v in spec.volumes if v.persistent_volume_claim is not None}
        if not claims:
            continue
        for c in spec.containers:
            base = _image_base(c.image or "")
            if not _DB_IMAGE.match(base):
                continue
            mounted = [claims[m.name] for m in c.volume_mounts if m.name in claims]
            rwo: list[str] = []
            for claim in mounted:
                pvc = cluster.pvcs_by_key.get((ns or "", claim))
                modes = pvc.spec.access_modes if pvc is not None else []
                if not modes or any(m in ("ReadWriteOnce", "ReadWriteOncePod") for m in modes):
                    rwo.append(claim if pvc is not None and modes else f"{claim} (access mode not captured)")
            if not rwo:
                continue
            ref = ObjectRef("Deployment", ns, d.metadata.name)
            strategy = d.spec.strategy.type or "RollingUpdate"
            replicas = d.spec.replicas if d.spec.replicas is not None else 1
            yield ctx.finding(
                ref,
                f"Deployment {ns}/{d.metadata.name} runs {base} ({c.image}) on PVC {', '.join(rwo)} "
                f"with strategy {strategy} and {replicas} replica(s): a rollout or reschedule can "
                "block on the volume or run two writers.",
                evidence=[_k8s(ref, f"container {c.name} image {c.image} mounts {', '.join(rwo)}; strategy {strategy}")],
                related=[ObjectRef("PersistentVolumeClaim", ns, m.split(" ", 1)[0]) for m in rwo],
            )
            break


# --------------------------------------------------------------------------- no-topology-spread

_ZONE_KEYS = frozenset(ZONE_LABELS)


def _spreads_by_zone(spec: k.PodSpec) -> bool:
    if any(t.topology_key in _ZONE_KEYS for t in spec.topology_spread_constraints):
        return True
    anti = spec.affinity.pod_anti_affinity if spec.affinity is not None else None
    if anti is None:
        return False
    terms = [*anti.required_during_scheduling_ignored_during_execution,
             *(w.pod_affinity_term for w in anti.preferred_during_scheduling_ignored_during_execution)]
    return any(t.topology_key in _ZONE_KEYS for t in terms)


def _pinned_to_zone(spec: k.PodSpec) -> bool:
    if any(key in _ZONE_KEYS for key in spec.node_selector):
        return True
    na = spec.affinity.node_affinity if spec.affinity is not None else None
    required = na.required_during_scheduling_ignored_during_execution if na is not None else None
    if required is None:
        return False
    for term in required.node_selector_terms:
        for req in term.match_expressions:
            if req.key in _ZONE_KEYS and req.operator == "In" and len(req.values) == 1:
                return True
    return False


@rule(
    "storage.no-topology-spread",
    severity=Severity.LOW,
    title="Replicas are not spread across zones",
    rationale=(
        "Without a zone topologySpreadConstraint or zone podAntiAffinity the scheduler may place "
        "every replica in one zone; losing that zone (or its NAT gateway, or its disks) then takes "
        "the whole workload down despite several replicas."
    ),
    remediation=(
        "Add spec.template.spec.topologySpreadConstraints with topologyKey: topology.kubernetes.io/zone, "
        "maxSkew: 1 and a labelSelector matching the pods (whenUnsatisfiable: ScheduleAnyway to keep "
        "scheduling when a zone is full)."
    ),
    docs="https://kubernetes.io/docs/concepts/scheduling-eviction/topology-spread-constraints/",
    needs=("Deployment", "StatefulSet", "Pod", "Node"),
)
def no_topology_spread(ctx: RuleContext) -> Iterator[Finding]:
    """Multi-replica Deployments/StatefulSets without zone spread in a multi-zone cluster."""
    cluster = ctx.cluster
    zones = _node_zones(cluster)
    if len(zones) < 2 and not cluster.manifests:
        return
    for w in workloads(cluster):  # replicas: spec.replicas (1 when unset), or the HPA's minReplicas
        if w.ref.kind not in ("Deployment", "StatefulSet"):
            continue
        kind, ns, replicas, spec, ref = w.ref.kind, w.ref.namespace, w.replicas, w.spec, w.ref
        name = w.ref.name
        if is_system_namespace(ns) or (replicas if replicas is not None else 1) < 2:
            continue
        if _spreads_by_zone(spec) or _pinned_to_zone(spec):
            continue
        placed: dict[str, int] = defaultdict(int)
        zone_of = cluster.zone_of_node
        for p in cluster.pods_by_owner.get((ns or "", kind, name), ()):
            z = zone_of.get(p.spec.node_name or "")
            if z and p.status.phase == "Running":
                placed[z] += 1
        where = ", ".join(f"{n} in {z}" for z, n in sorted(placed.items())) or (
            "none yet (manifests)" if cluster.manifests else "no running pod placed")
        one_zone = len(placed) == 1 and sum(placed.values()) >= 2
        yield ctx.finding(
            ref,
            f"{kind} {qualified_name(ns, name)} has {1 if replicas is None else replicas} replicas and no zone spread "
            + (f"and all running replicas are in {next(iter(placed))}: one zone outage takes it down."
               if one_zone else f"(replicas now: {where}); the scheduler may still pack them into one zone."),
            evidence=[_k8s(ref, f"no topologySpreadConstraints / podAntiAffinity on a zone key; running replicas: {where}"),
                      _zones_evidence(zones, span="nodes span zones")],
            severity=Severity.MEDIUM if one_zone else None,
        )


# --------------------------------------------------------------------------- statefulset-rollout-stuck

_BLOCKING_WAIT = frozenset(
    {"CrashLoopBackOff", "ImagePullBackOff", "ErrImagePull", "CreateContainerConfigError",
     "CreateContainerError", "InvalidImageName", "RunContainerError"}
)
_BLOCKING_EVENTS = frozenset({"FailedScheduling", "FailedAttachVolume", "FailedMount", "Unhealthy", "BackOff", "Failed"})


def _blocked_reason(cluster: ClusterState, pod: k.Pod) -> tuple[str, list[k.Event]] | None:
    """Why a pod blocks its StatefulSet, with the events that show it; None if it does not."""
    events = [e for e in cluster.events_for("Pod", pod.metadata.namespace, pod.metadata.name)
              if e.reason in _BLOCKING_EVENTS and e.type == "Warning"]
    for cs in (*pod.status.init_container_statuses, *pod.status.container_statuses):
        w = cs.state.waiting
        if w is not None and w.reason in _BLOCKING_WAIT:
            return f"container {cs.name} {w.reason}", events
    if pod.status.phase == "Pending":
        for c in pod.status.conditions:
            if c.type == "PodScheduled" and c.status == "False":
                return f"Pending: {c.reason or 'not scheduled'} {c.message or ''}".strip()[:300], events
        if events:
            return f"Pending: {events[-1].reason}", events
        return None
    ready = any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions)
    if not ready and any(e.reason == "Unhealthy" for e in events):
        return "Running but not Ready (probe failing)", events
    return None


@rule(
    "storage.statefulset-rollout-stuck",
    severity=Severity.HIGH,
    title="StatefulSet rollout or scale-up is stuck",
    rationale=(
        "A StatefulSet with OrderedReady management replaces or creates one pod at a time and "
        "waits for it to be Ready: one pod that cannot schedule, attach its volume or pass its probe "
        "blocks every ordinal after it, and a broken template is not rolled back automatically."
    ),
    remediation=(
        "Fix what blocks the pod (kubectl describe pod NAME: scheduling, volume attach, image, probe). "
        "If the template is bad, revert it and delete the stuck pod: StatefulSets do not replace a "
        "pod that never became Ready (forced rollback)."
    ),
    docs="https://kubernetes.io/docs/concepts/workloads/controllers/statefulset/#forced-rollback",
    needs=("StatefulSet", "Pod"),
    symptom=True,
)
def statefulset_rollout_stuck(ctx: RuleContext) -> Iterator[Finding]:
    """StatefulSets short of ready or updated replicas with a pod that blocks progress."""
    cluster = ctx.cluster
    for sts in cluster.statefulsets:
        ns, name = sts.metadata.namespace, sts.metadata.name
        st = sts.status
        replicas = sts.spec.replicas if sts.spec.replicas is not None else 1
        updating = bool(st.update_revision and st.current_revision and st.update_revision != st.current_revision
                        and st.updated_replicas < replicas)
        short = st.ready_replicas < replicas
        if not (updating or short):
            continue
        pods = sorted(cluster.pods_by_owner.get((ns or "", "StatefulSet", name), ()), key=lambda p: p.metadata.name)
        blocked = [(p, b) for p in pods if (b := _blocked_reason(cluster, p)) is not None]
        create_failed = [e for e in cluster.events_for("StatefulSet", ns, name)
                         if e.reason == "FailedCreate" and e.type == "Warning"]
        if not blocked and not create_failed:
            continue  # progressing normally as far as the pods and events show
        ref = ObjectRef("StatefulSet", ns, name)
        state = (f"update to {st.update_revision} stuck at {st.updated_replicas}/{replicas} updated"
                 if updating else f"{st.ready_replicas}/{replicas} ready")
        evidence = [_k8s(ref, f"replicas {replicas}, ready {st.ready_replicas}, updated {st.updated_replicas}, "
                              f"currentRevision {st.current_revision}, updateRevision {st.update_revision}")]
        times: list[str] = []
        for p, (why, events) in blocked:
            evidence.append(_k8s(pod_ref(p), why))
            for e in events[-2:]:
                evidence.append(_k8s(_event_ref(e), f"{e.reason}: {e.message}", time=e.time))
                if e.time:
                    times.append(e.time)
        for e in create_failed[-2:]:
            evidence.append(_k8s(_event_ref(e), f"{e.reason}: {e.message}", time=e.time))
            if e.time:
                times.append(e.time)
        if blocked:
            first, (why, _) = blocked[0]
            cause = f"pod {first.metadata.name} {why}"
        else:
            cause = f"the controller cannot create its pods ({(create_failed[-1].message or '')[:200]})"
        yield ctx.finding(
            ref,
            f"StatefulSet {ns}/{name} is stuck ({state}): {cause}.",
            evidence=evidence,
            related=[pod_ref(p) for p in pods[:20]],
            time=max(times) if times else None,
        )
