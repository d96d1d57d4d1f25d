"""``explain``: what one object's findings and chains say, with the incident's timeline
rebuilt from Kubernetes Events, object timestamps and timed evidence, each entry tagged with
the loop it belongs to, as the seed's domino timeline reads::

    09:00:00  COMPUTE  Pod shop/checkout-0 FailedScheduling: 0/3 nodes are available: ...
    09:01:10  COMPUTE  Pod shop/checkout-0 TriggeredScaleUp: pod triggered scale-up: ...
    09:03:02  STORAGE  Pod shop/checkout-0 FailedAttachVolume: AttachVolume.Attach failed ...

It reads a :class:`~r2c_clouds.report.Report` (findings already linked by
:mod:`r2c_clouds.chains`) and renders as text, JSON, SVG (the timeline) and HTML.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from attrs import frozen

from r2c_clouds.chains import link_why, pinned_zones, pod_of, short_ref
from r2c_clouds.errors import BadInputError
from r2c_clouds.loops.compute import node_pool_of
from r2c_clouds.model import kube as k
from r2c_clouds.model.cluster import ClusterState, node_zone
from r2c_clouds.model.findings import Chain, Evidence, Finding, Loop, ObjectRef

if TYPE_CHECKING:
    from r2c_clouds.report import Report

__all__ = ["CauseNode", "Explanation", "TimelineEntry", "event_loop", "explain"]


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
        pod = pod_of(cluster, r)
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
            pod = pod_of(cluster, r)
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
    zones = sorted(pinned_zones(pv, None))
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
