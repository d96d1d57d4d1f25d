"""Build ClusterState objects in tests from plain dicts shaped as the API returns them.

Every kind listed in ``captured`` (all kinds by default) counts as captured, so rules that
need a kind run; pass ``captured=("Pod",)`` to test the not-captured path.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from r2c_clouds.kube._build import StateBuilder
from r2c_clouds.kube.kinds import KINDS, kind_for
from r2c_clouds.model import kube as k
from r2c_clouds.model.cluster import ClusterState


def cluster(objs: Iterable[dict[str, Any]], *, captured: Iterable[str] | None = None, name: str = "test") -> ClusterState:
    """A ClusterState from API-shaped dicts, each with ``kind``."""
    b = StateBuilder(source="test", name=name)
    for obj in objs:
        ki = kind_for(obj["kind"])
        assert ki is not None, obj["kind"]
        if ki.wire is k.SecretWire:  # msgspec.Raw values only come from JSON bytes
            b.add(ki, msgspec.json.decode(msgspec.json.encode(obj), type=ki.wire))
        else:
            b.add(ki, msgspec.convert(obj, ki.wire, from_attributes=False))
    for kind in captured if captured is not None else [ki.kind for ki in KINDS]:
        b.mark_captured(kind)
    return b.build()


def meta(name: str, namespace: str | None = "default", **extra: Any) -> dict[str, Any]:
    m: dict[str, Any] = {"name": name, "uid": f"uid-{namespace}-{name}", "creationTimestamp": "2026-11-25T08:00:00Z"}
    if namespace is not None:
        m["namespace"] = namespace
    m.update(extra)
    return m


def node(name: str, zone: str = "us-east-1a", *, cpu: str = "4", memory: str = "16Gi", pool: str = "workers-a",
         provider_id: str | None = None, taints: list[dict[str, str]] | None = None, labels: dict[str, str] | None = None) -> dict[str, Any]:
    lab = {"kubernetes.io/hostname": name, "topology.kubernetes.io/zone": zone,
           "topology.kubernetes.io/region": zone[:-1], "eks.amazonaws.com/nodegroup": pool}
    lab.update(labels or {})
    return {
        "kind": "Node", "apiVersion": "v1",
        "metadata": meta(name, None, labels=lab),
        "spec": {"providerID": provider_id or f"aws:///{zone}/i-{abs(hash(name)) % 10**17:017x}", "taints": taints or []},
        "status": {"allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
                   "capacity": {"cpu": cpu, "memory": memory, "pods": "110"},
                   "conditions": [{"type": "Ready", "status": "True"}]},
    }


def container(name: str = "app", image: str = "nginx:1.27", *, cpu: str | None = "100m", memory: str | None = "128Mi",
              mem_limit: str | None = "256Mi", readiness: bool = True, **extra: Any) -> dict[str, Any]:
    req: dict[str, str] = {}
    if cpu:
        req["cpu"] = cpu
    if memory:
        req["memory"] = memory
    res: dict[str, Any] = {"requests": req} if req else {}
    if mem_limit:
        res["limits"] = {"memory": mem_limit}
    c: dict[str, Any] = {"name": name, "image": image, "resources": res}
    if readiness:
        c["readinessProbe"] = {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10}
    c.update(extra)
    return c


def pod(name: str, namespace: str = "default", *, node_name: str | None = "node-a", phase: str = "Running",
        containers: list[dict[str, Any]] | None = None, labels: dict[str, str] | None = None,
        owner: tuple[str, str] | None = None, volumes: list[dict[str, Any]] | None = None,
        service_account: str = "default", conditions: list[dict[str, Any]] | None = None,
        container_statuses: list[dict[str, Any]] | None = None, **spec: Any) -> dict[str, Any]:
    m = meta(name, namespace, labels=labels or {"app": name})
    if owner:
        m["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": owner[0], "name": owner[1], "uid": "u", "controller": True}]
    s: dict[str, Any] = {"containers": containers or [container()], "serviceAccountName": service_account}
    if node_name:
        s["nodeName"] = node_name
    if volumes:
        s["volumes"] = volumes
    s.update(spec)
    st: dict[str, Any] = {"phase": phase}
    if conditions is not None:
        st["conditions"] = conditions
    elif phase == "Running":
        st["conditions"] = [{"type": "Ready", "status": "True"}, {"type": "PodScheduled", "status": "True"}]
    if container_statuses is not None:
        st["containerStatuses"] = container_statuses
    return {"kind": "Pod", "apiVersion": "v1", "metadata": m, "spec": s, "status": st}


def event(name: str, namespace: str, involved: tuple[str, str], reason: str, message: str, *,
          type: str = "Warning", time: str = "2026-11-25T09:00:00Z", component: str = "default-scheduler",
          count: int = 1) -> dict[str, Any]:
    kind, obj = involved
    return {"kind": "Event", "apiVersion": "v1", "metadata": meta(name, namespace),
            "involvedObject": {"kind": kind, "namespace": namespace, "name": obj},
            "reason": reason, "message": message, "type": type, "count": count,
            "firstTimestamp": time, "lastTimestamp": time, "source": {"component": component}}
