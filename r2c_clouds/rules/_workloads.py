"""Helpers the identity and compute rules share: workloads, pod resource requests, events.

Pure functions over :class:`~r2c_clouds.model.cluster.ClusterState`; nothing here does I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

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
        replicas: ``spec.replicas`` of a Deployment/StatefulSet (1 when unset); ``None`` otherwise.
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
    """Every workload once: Deployment/StatefulSet/DaemonSet templates, then the pods no
    such template covers grouped by owner (Jobs, ReplicaSets without a Deployment, bare pods).

    Computed once per ClusterState (several rules share it); do not mutate the list.

    Returns:
        Workloads in a deterministic order (controllers first, then by reference).
    """
    return cluster.memo("rules.workloads", _build_workloads)


def _build_workloads(cluster: ClusterState) -> list[Workload]:
    out: list[Workload] = []
    covered: set[tuple[str, str, str]] = set()
    controllers: tuple[tuple[str, Sequence[k.Deployment | k.StatefulSet | k.DaemonSet]], ...] = (
        ("Deployment", cluster.deployments),
        ("StatefulSet", cluster.statefulsets),
        ("DaemonSet", cluster.daemonsets),
    )
    for kind, objs in controllers:
        for w in objs:
            ns = w.metadata.namespace or ""
            key = (ns, kind, w.metadata.name)
            covered.add(key)
            tmpl = w.spec.template
            replicas: int | None = None
            if not isinstance(w, k.DaemonSet):
                replicas = 1 if w.spec.replicas is None else w.spec.replicas
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
