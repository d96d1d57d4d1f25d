"""Helpers the identity and compute rules share: workloads, pod resource requests, events.

Pure functions over :class:`~r2c_clouds.model.cluster.ClusterState`; nothing here does I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from attrs import frozen

from r2c_clouds.model import kube as k
from r2c_clouds.model.cluster import ClusterState, pod_ref
from r2c_clouds.model.findings import Evidence, ObjectRef
from r2c_clouds.scheduler import TERMINAL_PHASES, is_terminated, pod_requests

__all__ = [
    "TERMINAL_PHASES",
    "Workload",
    "event_evidence",
    "fmt_cpu",
    "fmt_memory",
    "fmt_resource",
    "is_terminated",
    "pod_requests",
    "qualified_name",
    "workloads",
]



@frozen(eq=False)
class Workload:
    """A workload and its pods.

    Args:
        ref: ``Deployment/ns/name`` (from a controller's template), the pod's owner as
            :meth:`ClusterState.owner_of` names it, or the bare ``Pod/ns/name``.
        spec: the pod template's spec (or the first pod's spec when no template was captured).
        labels: the pod template's labels.
        pods: the workload's pods.
        replicas: ``spec.replicas`` of a Deployment/StatefulSet/ReplicaSet (1 when unset), or
            the ``minReplicas`` of the HorizontalPodAutoscaler that scales it; ``None`` for
            DaemonSets, Jobs, CronJobs and bare pods.
    """

    ref: ObjectRef
    spec: k.PodSpec
    labels: dict[str, str]
    pods: tuple[k.Pod, ...]
    replicas: int | None = None

    @property
    def namespace(self) -> str:
        """The workload's namespace (``""`` when unset)."""
        return self.ref.namespace or ""


def workloads(cluster: ClusterState) -> list[Workload]:
    """Every workload once: the pod templates of Deployments, StatefulSets, DaemonSets,
    ReplicaSets (not a Deployment's), Jobs (not a CronJob's) and CronJobs, with or without
    running pods; then the pods no such template covers, grouped by owner (bare pods, owners
    not captured).

    Computed once per ClusterState (several rules share it); do not mutate the list.

    Returns:
        Workloads in a deterministic order (controllers first, then by reference).
    """
    return cluster.memo("rules.workloads", _build_workloads)


def _hpa_min_replicas(cluster: ClusterState) -> dict[tuple[str, str, str], int]:
    """``(namespace, kind, name)`` of each HPA's scale target -> its ``minReplicas`` (1 when unset)."""
    out: dict[tuple[str, str, str], int] = {}
    for h in cluster.hpas:
        ref = h.spec.scale_target_ref
        out[(h.metadata.namespace or "", ref.kind, ref.name)] = 1 if h.spec.min_replicas is None else h.spec.min_replicas
    return out


def _owned_by(meta: k.ObjectMeta, kind: str, names: set[tuple[str, str]]) -> bool:
    ns = meta.namespace or ""
    return any(ref.kind == kind and (ns, ref.name) in names for ref in meta.owner_references)


def _build_workloads(cluster: ClusterState) -> list[Workload]:
    out: list[Workload] = []
    covered: set[tuple[str, str, str]] = set()
    hpa = _hpa_min_replicas(cluster)
    deployments = {(d.metadata.namespace or "", d.metadata.name) for d in cluster.deployments}
    cron_jobs = {(c.metadata.namespace or "", c.metadata.name) for c in cluster.cron_jobs}
    # a ReplicaSet of a Deployment, a Job of a CronJob: judged through its owner's template
    for rs in cluster.replica_sets:
        if _owned_by(rs.metadata, "Deployment", deployments):
            covered.add((rs.metadata.namespace or "", "ReplicaSet", rs.metadata.name))
    for job in cluster.jobs:
        if _owned_by(job.metadata, "CronJob", cron_jobs):
            covered.add((job.metadata.namespace or "", "Job", job.metadata.name))
    controllers: tuple[tuple[str, Sequence[Any]], ...] = (
        ("Deployment", cluster.deployments),
        ("StatefulSet", cluster.statefulsets),
        ("DaemonSet", cluster.daemonsets),
        ("ReplicaSet", cluster.replica_sets),
        ("Job", cluster.jobs),
        ("CronJob", cluster.cron_jobs),
    )
    for kind, objs in controllers:
        for w in objs:
            ns = w.metadata.namespace or ""
            key = (ns, kind, w.metadata.name)
            if key in covered:
                continue
            covered.add(key)
            tmpl = w.spec.job_template.spec.template if kind == "CronJob" else w.spec.template
            replicas: int | None = None
            if kind in ("Deployment", "StatefulSet", "ReplicaSet"):
                # an HPA decides the count: judged by the fewest it keeps (its minReplicas)
                replicas = hpa.get(key, 1 if w.spec.replicas is None else w.spec.replicas)
            out.append(
                Workload(
                    ref=ObjectRef(kind, w.metadata.namespace, w.metadata.name),
                    spec=tmpl.spec,
                    labels=dict(tmpl.metadata.labels) if tmpl.metadata is not None else {},
                    pods=cluster.pods_by_owner.get(key, ()),
                    replicas=replicas,
                )
            )
    rest: dict[ObjectRef, list[k.Pod]] = defaultdict(list)
    for p in cluster.pods:
        ref = cluster.owner_of(p) or pod_ref(p)
        if (ref.namespace or "", ref.kind, ref.name) in covered:
            continue
        rest[ref].append(p)
    for ref in sorted(rest):
        pods = rest[ref]
        out.append(Workload(ref, pods[0].spec, dict(pods[0].metadata.labels), tuple(pods)))
    return out


def qualified_name(namespace: str | None, name: str) -> str:
    """``shop/web``, or ``web`` for an object without a namespace (never ``None/web``)."""
    return f"{namespace}/{name}" if namespace else name


def fmt_cpu(cores: float) -> str:
    """``1.5`` → ``1.5 CPU``, ``0.25`` → ``250m CPU``."""
    if 0 < abs(cores) < 1:
        return f"{round(cores * 1000)}m CPU"
    return f"{round(cores, 2):g} CPU"


def fmt_memory(n: float) -> str:
    """Bytes as ``1.5Gi`` / ``512Mi``."""
    for unit, size in (("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10)):
        if abs(n) >= size:
            return f"{round(n / size, 1):g}{unit}"
    return f"{n:g}"


def fmt_resource(name: str, value: float) -> str:
    """A resource amount in the unit people read it in."""
    if name == "cpu":
        return fmt_cpu(value)
    if name == "memory" or name == "ephemeral-storage" or name.startswith("hugepages-"):
        return f"{fmt_memory(value)} {name}"
    return f"{value:g} {name}"


def event_evidence(events: Iterable[k.Event], limit: int = 3) -> Iterator[Evidence]:
    """Evidence lines for events (newest last), at most ``limit`` of them."""
    evs = list(events)[-limit:]
    for e in evs:
        ns = e.metadata.namespace
        ref = f"Event/{ns}/{e.metadata.name}" if ns else f"Event/{e.metadata.name}"
        count = f" (x{e.count})" if e.count and e.count > 1 else ""
        yield Evidence("kubernetes", ref, f"{e.reason}: {e.message or ''}{count}".strip(), time=e.time)
