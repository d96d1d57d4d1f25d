"""Helpers that write Kubernetes objects exactly as ``kubectl get <kinds> -A -o json`` prints them.

Used only by ``build_demos.py`` (not imported by the library). Every object gets a stable
``metadata.uid`` (uuid5 of cluster/kind/namespace/name), a ``resourceVersion`` *string*,
``creationTimestamp``, and the ``kind``/``apiVersion`` that kubectl adds to List items.
Pods get realistic ``status`` blocks; Endpoints and EndpointSlices are derived from the pods
a Service selects, so readiness and zones are always consistent with the pods.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

Obj = dict[str, Any]

DAY = "2026-11-25"


def at(clock: str, day: str = DAY) -> str:
    """``"09:00:00"`` → ``"2026-11-25T09:00:00Z"``."""
    return f"{day}T{clock}Z"


def hexid(seed: str, n: int) -> str:
    """Deterministic lower-case hex of length ``n``."""
    out = ""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{seed}/{i}".encode()).hexdigest()
        i += 1
    return out[:n]


def alnum(seed: str, n: int) -> str:
    """Deterministic suffix in the alphabet Kubernetes uses for generated names."""
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    h = hashlib.sha256(seed.encode()).digest()
    return "".join(alphabet[b % len(alphabet)] for b in h[:n])


class Cluster:
    """Collects the objects of one demo cluster and writes them as a kubectl ``List``."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.items: list[Obj] = []
        self._rv = 1_184_000
        self._ips: dict[str, int] = {}
        self.node_ip: dict[str, str] = {}
        self.node_zone: dict[str, str] = {}
        self.pod_cidr: dict[str, str] = {}
        self.node_created: dict[str, str] = {}

    # ------------------------------------------------------------------ basics

    def uid(self, kind: str, namespace: str | None, name: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"r2c-demo://{self.name}/{kind}/{namespace}/{name}"))

    def rv(self) -> str:
        self._rv += 137
        return str(self._rv)

    def meta(
        self,
        kind: str,
        name: str,
        namespace: str | None,
        created: str,
        *,
        labels: dict[str, str] | None = None,
        annotations: dict[str, str] | None = None,
        owners: list[Obj] | None = None,
        generate_name: str | None = None,
        generation: int | None = None,
    ) -> Obj:
        m: Obj = {"name": name}
        if namespace is not None:
            m["namespace"] = namespace
        m["uid"] = self.uid(kind, namespace, name)
        m["resourceVersion"] = self.rv()
        m["creationTimestamp"] = created
        if generation is not None:
            m["generation"] = generation
        if generate_name:
            m["generateName"] = generate_name
        if labels:
            m["labels"] = dict(labels)
        if annotations:
            m["annotations"] = dict(annotations)
        if owners:
            m["ownerReferences"] = owners
        return m

    def owner(self, api_version: str, kind: str, namespace: str | None, name: str, *,
              block: bool = True) -> Obj:
        ref: Obj = {
            "apiVersion": api_version,
            "kind": kind,
            "name": name,
            "uid": self.uid(kind, namespace, name),
            "controller": True,
        }
        if block:
            ref["blockOwnerDeletion"] = True
        return ref

    def add(self, api_version: str, kind: str, metadata: Obj, **body: Any) -> Obj:
        obj: Obj = {"apiVersion": api_version, "kind": kind, "metadata": metadata}
        obj.update(body)
        self.items.append(obj)
        return obj

    def find(self, kind: str, namespace: str | None, name: str) -> Obj:
        for o in self.items:
            m = o["metadata"]
            if o["kind"] == kind and m.get("namespace") == namespace and m["name"] == name:
                return o
        raise KeyError(f"{kind}/{namespace}/{name}")

    def of_kind(self, kind: str) -> list[Obj]:
        return [o for o in self.items if o["kind"] == kind]

    # ------------------------------------------------------------------ cluster-scoped basics

    def namespace(self, name: str, created: str, labels: dict[str, str] | None = None) -> Obj:
        lab = {"kubernetes.io/metadata.name": name, **(labels or {})}
        return self.add("v1", "Namespace", self.meta("Namespace", name, None, created, labels=lab),
                        spec={"finalizers": ["kubernetes"]}, status={"phase": "Active"})

    def node(
        self,
        name: str,
        *,
        zone: str,
        region: str,
        ip: str,
        provider_id: str,
        instance_type: str,
        labels: dict[str, str],
        capacity: dict[str, str],
        allocatable: dict[str, str],
        created: str,
        ready_at: str | None = None,
        kubelet: str,
        os_image: str,
        runtime: str,
        kernel: str,
        pod_cidr: str | None = None,
        taints: list[Obj] | None = None,
        hostname: str | None = None,
        external_ip: str | None = None,
        internal_dns: str | None = None,
    ) -> Obj:
        self.node_ip[name] = ip
        self.node_zone[name] = zone
        self.node_created[name] = ready_at or created
        if pod_cidr:
            self.pod_cidr[name] = pod_cidr
        lab = {
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/instance-type": instance_type,
            "beta.kubernetes.io/os": "linux",
            "failure-domain.beta.kubernetes.io/region": region,
            "failure-domain.beta.kubernetes.io/zone": zone,
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": hostname or name,
            "kubernetes.io/os": "linux",
            "node.kubernetes.io/instance-type": instance_type,
            "topology.kubernetes.io/region": region,
            "topology.kubernetes.io/zone": zone,
        }
        lab.update(labels)
        ready = ready_at or created
        conds = [
            ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        ]
        addresses = [{"address": ip, "type": "InternalIP"}]
        if external_ip:
            addresses.append({"address": external_ip, "type": "ExternalIP"})
        addresses.append({"address": hostname or name, "type": "Hostname"})
        if internal_dns:
            addresses.append({"address": internal_dns, "type": "InternalDNS"})
        spec: Obj = {"providerID": provider_id}
        if pod_cidr:
            spec["podCIDR"] = pod_cidr
            spec["podCIDRs"] = [pod_cidr]
        if taints:
            spec["taints"] = taints
        return self.add(
            "v1", "Node",
            self.meta("Node", name, None, created, labels=lab,
                      annotations={"node.alpha.kubernetes.io/ttl": "0",
                                   "volumes.kubernetes.io/controller-managed-attach-detach": "true"}),
            spec=spec,
            status={
                "addresses": addresses,
                "allocatable": allocatable,
                "capacity": capacity,
                "conditions": [
                    {"lastHeartbeatTime": at("09:11:40"), "lastTransitionTime": ready, "message": msg,
                     "reason": reason, "status": status, "type": typ}
                    for typ, status, reason, msg in conds
                ],
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "nodeInfo": {
                    "architecture": "amd64",
                    "bootID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"boot/{name}")),
                    "containerRuntimeVersion": runtime,
                    "kernelVersion": kernel,
                    "kubeProxyVersion": "",
                    "kubeletVersion": kubelet,
                    "machineID": hexid(f"machine/{name}", 32),
                    "operatingSystem": "linux",
                    "osImage": os_image,
                    "systemUUID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"sys/{name}")),
                },
            },
        )

    # ------------------------------------------------------------------ pods

    def pod_ip(self, node: str) -> str:
        n = self._ips.get(node, 0) + 1
        self._ips[node] = n
        if node in self.pod_cidr:
            base = self.pod_cidr[node].split("/")[0].rsplit(".", 1)[0]
            return f"{base}.{n + 10}"
        a, b, c, _ = self.node_ip[node].split(".")
        return f"{a}.{b}.{c}.{(int(c) * 7 + n * 11) % 200 + 30}"

    def pod(
        self,
        name: str,
        namespace: str,
        *,
        node: str | None,
        containers: list[Obj],
        created: str,
        owner: Obj | None,
        labels: dict[str, str] | None = None,
        annotations: dict[str, str] | None = None,
        service_account: str = "default",
        volumes: list[Obj] | None = None,
        generate_name: str | None = None,
        priority_class: str | None = None,
        priority: int = 0,
        host_network: bool = False,
        node_selector: dict[str, str] | None = None,
        tolerations: list[Obj] | None = None,
        affinity: Obj | None = None,
        topology_spread: list[Obj] | None = None,
        hostname: str | None = None,
        subdomain: str | None = None,
        init_containers: list[Obj] | None = None,
        state: dict[str, Obj] | None = None,
        phase: str | None = None,
        scheduled_at: str | None = None,
        unschedulable: str | None = None,
        started: str | None = None,
        extra_spec: Obj | None = None,
    ) -> Obj:
        """A pod with spec and a status block consistent with ``state``.

        ``state`` maps container name → ``{"waiting": {...}}`` / ``{"running": ...}``
        overrides plus optional ``restartCount``, ``lastState``, ``ready``. Containers
        without an override are running and ready.
        """
        if node and scheduled_at is None and self.node_created.get(node, "") > created:
            created = self.node_created[node]  # a pod scheduled at once cannot predate its node
        token = f"kube-api-access-{alnum(namespace + name, 5)}"
        vols = list(volumes or [])
        vols.append({
            "name": token,
            "projected": {
                "defaultMode": 420,
                "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
                    {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                                                "path": "namespace"}]}},
                ],
            },
        })
        conts = []
        for c in containers:
            c = dict(c)
            c.setdefault("imagePullPolicy", "IfNotPresent")
            c.setdefault("resources", {})
            c.setdefault("terminationMessagePath", "/dev/termination-log")
            c.setdefault("terminationMessagePolicy", "File")
            mounts = list(c.get("volumeMounts", []))
            mounts.append({"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "name": token,
                           "readOnly": True})
            c["volumeMounts"] = mounts
            conts.append(c)
        spec: Obj = {
            "containers": conts,
            "dnsPolicy": "ClusterFirstWithHostNet" if host_network else "ClusterFirst",
            "enableServiceLinks": True,
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": priority,
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "serviceAccount": service_account,
            "serviceAccountName": service_account,
            "terminationGracePeriodSeconds": 30,
            "tolerations": tolerations if tolerations is not None else [
                {"effect": "NoExecute", "key": "node.kubernetes.io/not-ready", "operator": "Exists",
                 "tolerationSeconds": 300},
                {"effect": "NoExecute", "key": "node.kubernetes.io/unreachable", "operator": "Exists",
                 "tolerationSeconds": 300},
            ],
            "volumes": vols,
        }
        if init_containers:
            spec["initContainers"] = init_containers
        if node:
            spec["nodeName"] = node
        if host_network:
            spec["hostNetwork"] = True
        if node_selector:
            spec["nodeSelector"] = node_selector
        if priority_class:
            spec["priorityClassName"] = priority_class
        if affinity:
            spec["affinity"] = affinity
        if topology_spread:
            spec["topologySpreadConstraints"] = topology_spread
        if hostname:
            spec["hostname"] = hostname
        if subdomain:
            spec["subdomain"] = subdomain
        if extra_spec:
            spec.update(extra_spec)

        state = state or {}
        sched = scheduled_at or created
        start = started or sched
        statuses = []
        all_ready = True
        any_waiting = False
        for c in conts:
            override = state.get(c["name"], {})
            image = c["image"]
            repo = image.split("@")[0].rsplit(":", 1)[0] if ":" in image.split("/")[-1] else image
            st: Obj = {
                "image": image if "/" in image.split(":")[0] or "." in image.split("/")[0] else f"docker.io/library/{image}",
                "imageID": f"{repo}@sha256:{hexid('img/' + image, 64)}",
                "name": c["name"],
                "ready": override.get("ready", "waiting" not in override),
                "restartCount": override.get("restartCount", 0),
                "started": "waiting" not in override,
            }
            if "waiting" in override:
                any_waiting = True
                st["state"] = {"waiting": override["waiting"]}
                if override.get("waiting", {}).get("reason") in ("ContainerCreating", "ImagePullBackOff", "ErrImagePull"):
                    st["imageID"] = ""
                    st["image"] = image
                else:
                    st["containerID"] = f"containerd://{hexid('cid/' + namespace + name + c['name'], 64)}"
            else:
                st["containerID"] = f"containerd://{hexid('cid/' + namespace + name + c['name'], 64)}"
                st["state"] = {"running": {"startedAt": override.get("runningSince", start)}}
            st["lastState"] = override.get("lastState", {})
            if not st["ready"]:
                all_ready = False
            statuses.append(st)

        status: Obj
        if node is None:
            status = {
                "conditions": [{
                    "lastProbeTime": None,
                    "lastTransitionTime": created,
                    "message": unschedulable or "",
                    "reason": "Unschedulable",
                    "status": "False",
                    "type": "PodScheduled",
                }],
                "phase": "Pending",
                "qosClass": _qos(conts),
            }
        else:
            ip = self.node_ip[node] if host_network else self.pod_ip(node)
            creating = any(s["state"].get("waiting", {}).get("reason") == "ContainerCreating" for s in statuses)
            ready_time = start if all_ready else _latest(start, *(
                o.get("notReadySince", start) for o in state.values()))
            status = {
                "conditions": [
                    {"lastProbeTime": None, "lastTransitionTime": start,
                     "status": "False" if creating else "True", "type": "PodReadyToStartContainers"},
                    {"lastProbeTime": None, "lastTransitionTime": sched, "status": "True", "type": "Initialized"},
                    _ready_cond("Ready", all_ready, ready_time, statuses),
                    _ready_cond("ContainersReady", all_ready, ready_time, statuses),
                    {"lastProbeTime": None, "lastTransitionTime": sched, "status": "True", "type": "PodScheduled"},
                ],
                "containerStatuses": statuses,
                "hostIP": self.node_ip[node],
                "hostIPs": [{"ip": self.node_ip[node]}],
                "phase": phase or ("Pending" if creating else "Running"),
                "qosClass": _qos(conts),
                "startTime": sched,
            }
            if not creating:
                status["podIP"] = ip
                status["podIPs"] = [{"ip": ip}]
            del any_waiting
        lab = dict(labels or {})
        return self.add(
            "v1", "Pod",
            self.meta("Pod", name, namespace, created, labels=lab, annotations=annotations,
                      owners=[owner] if owner else None, generate_name=generate_name),
            spec=spec, status=status,
        )

    # ------------------------------------------------------------------ services and their endpoints

    def service(self, name: str, namespace: str, *, selector: dict[str, str] | None, ports: list[Obj],
                created: str, type: str = "ClusterIP", cluster_ip: str | None = None,
                labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None,
                headless: bool = False, extra_spec: Obj | None = None,
                lb_hostname: str | None = None) -> Obj:
        cip = "None" if headless else (cluster_ip or f"172.20.{int(hexid(name, 2), 16) % 250}.{int(hexid(namespace + name, 2), 16) % 250 + 2}")
        spec: Obj = {
            "clusterIP": cip,
            "clusterIPs": [cip],
            "internalTrafficPolicy": "Cluster",
            "ipFamilies": ["IPv4"],
            "ipFamilyPolicy": "SingleStack",
            "ports": ports,
            "sessionAffinity": "None",
            "type": type,
        }
        if selector is not None:
            spec["selector"] = selector
        if type == "LoadBalancer":
            spec["externalTrafficPolicy"] = "Cluster"
            spec["allocateLoadBalancerNodePorts"] = True
        if extra_spec:
            spec.update(extra_spec)
        status: Obj = {"loadBalancer": {}}
        if lb_hostname:
            key = "hostname" if not lb_hostname[0].isdigit() else "ip"
            status = {"loadBalancer": {"ingress": [{key: lb_hostname}]}}
        return self.add("v1", "Service",
                        self.meta("Service", name, namespace, created, labels=labels, annotations=annotations),
                        spec=spec, status=status)

    def derive_endpoints(self) -> None:
        """Endpoints + EndpointSlice for every Service with a selector, from its pods."""
        pods = self.of_kind("Pod")
        for svc in list(self.of_kind("Service")):
            sel = svc["spec"].get("selector")
            if not sel:
                continue
            ns = svc["metadata"]["namespace"]
            name = svc["metadata"]["name"]
            chosen = [
                p for p in pods
                if p["metadata"]["namespace"] == ns
                and all(p["metadata"].get("labels", {}).get(k) == v for k, v in sel.items())
                and p["status"].get("podIP")
            ]
            chosen.sort(key=lambda p: p["metadata"]["name"])
            ports = svc["spec"]["ports"]
            ready_addrs: list[tuple[Obj, Obj, bool]] = []
            not_ready: list[tuple[Obj, Obj, bool]] = []
            for p in chosen:
                ready = any(c["type"] == "Ready" and c["status"] == "True" for c in p["status"]["conditions"])
                addr = {"ip": p["status"]["podIP"], "nodeName": p["spec"]["nodeName"],
                        "targetRef": {"kind": "Pod", "name": p["metadata"]["name"], "namespace": ns,
                                      "uid": p["metadata"]["uid"]}}
                if svc["spec"]["clusterIP"] == "None" and p["spec"].get("hostname"):
                    addr["hostname"] = p["spec"]["hostname"]
                (ready_addrs if ready else not_ready).append((addr, p, ready))
            created = svc["metadata"]["creationTimestamp"]
            ep_ports = [{k: v for k, v in (("name", pt.get("name")), ("port", _target(pt, chosen)),
                                           ("protocol", pt.get("protocol", "TCP"))) if v is not None}
                        for pt in ports]
            subset: Obj = {}
            if ready_addrs:
                subset["addresses"] = [a for a, _, _ in ready_addrs]
            if not_ready:
                subset["notReadyAddresses"] = [a for a, _, _ in not_ready]
            ep_labels = dict(svc["metadata"].get("labels", {}))
            if svc["spec"]["clusterIP"] == "None":
                ep_labels["service.kubernetes.io/headless"] = ""
            self.add("v1", "Endpoints",
                     self.meta("Endpoints", name, ns, created, labels=ep_labels or None,
                               annotations={"endpoints.kubernetes.io/last-change-trigger-time": _latest(
                                   created, *(p["status"]["conditions"][2]["lastTransitionTime"] for p in chosen))}),
                     subsets=[{**subset, "ports": ep_ports}] if subset else [])
            slice_name = f"{name}-{alnum('slice' + ns + name, 5)}"
            endpoints = []
            for addr, p, ready in ready_addrs + not_ready:
                e: Obj = {
                    "addresses": [addr["ip"]],
                    "conditions": {"ready": ready, "serving": ready, "terminating": False},
                    "nodeName": addr["nodeName"],
                    "targetRef": addr["targetRef"],
                    "zone": self.node_zone[addr["nodeName"]],
                }
                if "hostname" in addr:
                    e["hostname"] = addr["hostname"]
                endpoints.append(e)
            sl_labels = {**ep_labels, "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                         "kubernetes.io/service-name": name}
            self.add(
                "discovery.k8s.io/v1", "EndpointSlice",
                self.meta("EndpointSlice", slice_name, ns, created, labels=sl_labels,
                          annotations={"endpoints.kubernetes.io/last-change-trigger-time": created},
                          owners=[self.owner("v1", "Service", ns, name)], generate_name=f"{name}-",
                          generation=max(1, len(endpoints))),
                addressType="IPv4", endpoints=endpoints or None,
                ports=[{k: v for k, v in (("name", pt.get("name", "")), ("port", _target(pt, chosen)),
                                          ("protocol", pt.get("protocol", "TCP")))} for pt in ports],
            )

    # ------------------------------------------------------------------ events

    def event(
        self,
        involved: Obj,
        reason: str,
        message: str,
        *,
        component: str,
        first: str,
        last: str | None = None,
        count: int = 1,
        type: str = "Warning",
        host: str | None = None,
        field_path: str | None = None,
        new_api: bool = False,
        reporting_instance: str | None = None,
        action: str | None = None,
    ) -> Obj:
        """A core/v1 Event. ``new_api``: recorded through events.k8s.io (scheduler), so it
        carries ``eventTime`` and an empty ``source``, as kubectl shows such events."""
        m = involved["metadata"]
        ns = m.get("namespace") or "default"
        name = f"{m['name']}.{hexid(reason + message + first, 16)}"
        io: Obj = {"apiVersion": involved["apiVersion"], "kind": involved["kind"], "name": m["name"],
                   "resourceVersion": m["resourceVersion"], "uid": m["uid"]}
        if m.get("namespace"):
            io["namespace"] = m["namespace"]
        if field_path:
            io["fieldPath"] = field_path
        body: Obj = {
            "involvedObject": io,
            "message": message,
            "reason": reason,
            "type": type,
        }
        if new_api:
            body.update({
                "action": action or "Scheduling",
                "eventTime": first.replace("Z", ".000000Z") if "." not in first else first,
                "firstTimestamp": None,
                "lastTimestamp": None,
                "reportingComponent": component,
                "reportingInstance": reporting_instance or f"{component}-{alnum(component, 6)}",
                "source": {},
            })
        else:
            src: Obj = {"component": component}
            if host:
                src["host"] = host
            body.update({
                "count": count,
                "eventTime": None,
                "firstTimestamp": first,
                "lastTimestamp": last or first,
                "reportingComponent": component,
                "reportingInstance": host or "",
                "source": src,
            })
        return self.add("v1", "Event", self.meta("Event", name, ns, first), **body)

    # ------------------------------------------------------------------ output

    def write(self, path: Path) -> None:
        """Write ``{"apiVersion": "v1", "items": [...], "kind": "List", ...}`` as kubectl does
        (keys sorted, 4-space indent)."""
        order = {k: i for i, k in enumerate(_KIND_ORDER)}
        items = sorted(self.items, key=lambda o: (order.get(o["kind"], 99), o["metadata"].get("namespace") or "",
                                                  o["metadata"]["name"]))
        doc = {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(doc, indent=4, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")


_KIND_ORDER = (
    "Namespace", "Node", "PriorityClass", "StorageClass", "PersistentVolume", "ClusterRoleBinding",
    "PersistentVolumeClaim", "ServiceAccount", "RoleBinding", "ConfigMap", "Secret", "Deployment",
    "StatefulSet", "DaemonSet", "Pod", "Service", "Endpoints", "EndpointSlice", "Ingress", "NetworkPolicy",
    "PodDisruptionBudget", "ScaledObject", "ServiceMonitor", "Event",
)


def _qos(containers: Iterable[Obj]) -> str:
    reqs = [c.get("resources", {}) for c in containers]
    if all(not r for r in reqs):
        return "BestEffort"
    guaranteed = all(
        r.get("limits") and all(r.get("limits", {}).get(k) == r.get("requests", {}).get(k, r["limits"].get(k))
                                for k in ("cpu", "memory")) and "cpu" in r.get("limits", {}) and "memory" in r.get("limits", {})
        for r in reqs
    )
    return "Guaranteed" if guaranteed else "Burstable"


def _ready_cond(typ: str, ready: bool, when: str, statuses: list[Obj]) -> Obj:
    cond: Obj = {"lastProbeTime": None, "lastTransitionTime": when, "status": "True" if ready else "False",
                 "type": typ}
    if not ready:
        names = " ".join(f"[{s['name']}]" for s in statuses if not s["ready"])
        cond["reason"] = "ContainersNotReady"
        cond["message"] = f"containers with unready status: {names.replace('] [', ' ')}"
    return cond


def _latest(*times: str) -> str:
    return max(times)


def _target(port: Obj, pods: list[Obj]) -> int:
    tp = port.get("targetPort", port["port"])
    if isinstance(tp, int):
        return tp
    for p in pods:
        for c in p["spec"]["containers"]:
            for cp in c.get("ports", []):
                if cp.get("name") == tp:
                    return int(cp["containerPort"])
    return int(port["port"])


# ---------------------------------------------------------------------------- workloads


class Placement:
    """One replica: the node it runs on (None: unscheduled) and its status overrides."""

    def __init__(self, node: str | None, *, state: dict[str, Obj] | None = None, created: str | None = None,
                 scheduled_at: str | None = None, unschedulable: str | None = None, rs_hash: str | None = None,
                 containers: list[Obj] | None = None, volumes: list[Obj] | None = None,
                 name: str | None = None) -> None:
        self.node = node
        self.state = state
        self.created = created
        self.scheduled_at = scheduled_at
        self.unschedulable = unschedulable
        self.rs_hash = rs_hash
        self.containers = containers
        self.volumes = volumes
        self.name = name


def _pod_spec_args(spec: Obj) -> dict[str, Any]:
    keys = {
        "serviceAccountName": "service_account", "priorityClassName": "priority_class",
        "nodeSelector": "node_selector", "tolerations": "tolerations", "affinity": "affinity",
        "topologySpreadConstraints": "topology_spread", "hostNetwork": "host_network",
        "initContainers": "init_containers",
    }
    return {py: spec[k] for k, py in keys.items() if k in spec}


def deployment(c: Cluster, name: str, namespace: str, *, template: Obj, placements: list[Placement],
               created: str, rs_hash: str, replicas: int | None = None, labels: dict[str, str] | None = None,
               annotations: dict[str, str] | None = None, priorities: dict[str, int] | None = None,
               status: Obj | None = None, strategy: Obj | None = None, generation: int = 1) -> Obj:
    """A Deployment and its pods (owned by ReplicaSet ``<name>-<hash>``)."""
    tmeta = template["metadata"]
    tspec = template["spec"]
    reps = replicas if replicas is not None else len(placements)
    selector = {"matchLabels": {k: v for k, v in tmeta["labels"].items() if k in ("app", "app.kubernetes.io/name",
                                                                                   "k8s-app", "app.kubernetes.io/instance")}}
    pods = _make_pods(c, namespace, name, tmeta, tspec, placements, created, rs_hash, priorities)
    ready = sum(1 for p in pods if _is_ready(p))
    current = [p for p in pods if p["metadata"]["labels"].get("pod-template-hash") == rs_hash]
    st = status or {
        "availableReplicas": ready,
        "conditions": [
            {"lastTransitionTime": created, "lastUpdateTime": created,
             "message": f'ReplicaSet "{name}-{rs_hash}" has successfully progressed.',
             "reason": "NewReplicaSetAvailable", "status": "True", "type": "Progressing"},
            {"lastTransitionTime": created, "lastUpdateTime": created,
             "message": "Deployment has minimum availability." if ready >= max(1, reps - reps // 4)
             else "Deployment does not have minimum availability.",
             "reason": "MinimumReplicasAvailable" if ready >= max(1, reps - reps // 4)
             else "MinimumReplicasUnavailable",
             "status": "True" if ready >= max(1, reps - reps // 4) else "False", "type": "Available"},
        ],
        "observedGeneration": generation,
        "readyReplicas": ready,
        "replicas": len(pods),
        "updatedReplicas": len(current),
    }
    if not ready:
        st.pop("readyReplicas", None)
        st.pop("availableReplicas", None)
    if len(pods) - ready > 0:
        st["unavailableReplicas"] = len(pods) - ready
    meta = c.meta("Deployment", name, namespace, created, labels=labels or {
        k: v for k, v in tmeta["labels"].items() if k != "pod-template-hash"},
        annotations={"deployment.kubernetes.io/revision": str(generation), **(annotations or {})},
        generation=generation)
    return c.add("apps/v1", "Deployment", meta, spec={
        "progressDeadlineSeconds": 600,
        "replicas": reps,
        "revisionHistoryLimit": 10,
        "selector": selector,
        "strategy": strategy or {"rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
                                 "type": "RollingUpdate"},
        "template": {"metadata": {"creationTimestamp": None, **{k: v for k, v in tmeta.items() if k != "name"}},
                     "spec": _template_spec(tspec)},
    }, status=st)


def statefulset(c: Cluster, name: str, namespace: str, *, template: Obj, placements: list[Placement],
                created: str, service_name: str, claim_templates: list[Obj] | None = None,
                revision: str, labels: dict[str, str] | None = None, priorities: dict[str, int] | None = None,
                update_revision: str | None = None) -> Obj:
    tmeta = template["metadata"]
    tspec = template["spec"]
    pods = []
    for i, pl in enumerate(placements):
        pname = f"{name}-{i}"
        plab = {**tmeta["labels"], "apps.kubernetes.io/pod-index": str(i),
                "controller-revision-hash": f"{name}-{revision}",
                "statefulset.kubernetes.io/pod-name": pname}
        vols = list(pl.volumes or tspec.get("volumes", []))
        for ct in claim_templates or []:
            cname = ct["metadata"]["name"]
            vols.insert(0, {"name": cname, "persistentVolumeClaim": {"claimName": f"{cname}-{pname}"}})
        pods.append(c.pod(
            pname, namespace, node=pl.node, containers=pl.containers or tspec["containers"],
            created=pl.created or created, owner=c.owner("apps/v1", "StatefulSet", namespace, name),
            labels=plab, annotations=tmeta.get("annotations"), volumes=vols, generate_name=f"{name}-",
            state=pl.state, scheduled_at=pl.scheduled_at, unschedulable=pl.unschedulable,
            hostname=pname, subdomain=service_name,
            priority=(priorities or {}).get(tspec.get("priorityClassName", ""), 0),
            **_pod_spec_args(tspec),
        ))
    ready = sum(1 for p in pods if _is_ready(p))
    spec: Obj = {
        "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Retain"},
        "podManagementPolicy": "OrderedReady",
        "replicas": len(placements),
        "revisionHistoryLimit": 10,
        "selector": {"matchLabels": {k: v for k, v in tmeta["labels"].items()
                                     if k in ("app", "app.kubernetes.io/name", "app.kubernetes.io/instance")}},
        "serviceName": service_name,
        "template": {"metadata": {"creationTimestamp": None, **tmeta}, "spec": _template_spec(tspec)},
        "updateStrategy": {"rollingUpdate": {"partition": 0}, "type": "RollingUpdate"},
    }
    if claim_templates:
        spec["volumeClaimTemplates"] = claim_templates
    st: Obj = {
        "availableReplicas": ready,
        "collisionCount": 0,
        "currentReplicas": len(pods),
        "currentRevision": f"{name}-{revision}",
        "observedGeneration": 1,
        "readyReplicas": ready,
        "replicas": len(pods),
        "updateRevision": f"{name}-{update_revision or revision}",
        "updatedReplicas": len(pods),
    }
    return c.add("apps/v1", "StatefulSet",
                 c.meta("StatefulSet", name, namespace, created, labels=labels or tmeta["labels"], generation=1),
                 spec=spec, status=st)


def daemonset(c: Cluster, name: str, namespace: str, *, template: Obj, nodes: list[str], created: str,
              revision: str, labels: dict[str, str] | None = None, node_created: dict[str, str] | None = None,
              priorities: dict[str, int] | None = None) -> Obj:
    tmeta = template["metadata"]
    tspec = template["spec"]
    for n in nodes:
        when = max(created, (node_created or {}).get(n, created))
        c.pod(
            f"{name}-{alnum(name + n, 5)}", namespace, node=n, containers=tspec["containers"], created=when,
            owner=c.owner("apps/v1", "DaemonSet", namespace, name),
            labels={**tmeta["labels"], "controller-revision-hash": revision, "pod-template-generation": "1"},
            annotations=tmeta.get("annotations"), volumes=tspec.get("volumes"), generate_name=f"{name}-",
            priority=(priorities or {}).get(tspec.get("priorityClassName", ""), 0),
            tolerations=[{"operator": "Exists"}],
            affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [n]}]}]}}},
            **{k: v for k, v in _pod_spec_args(tspec).items() if k not in ("tolerations", "affinity")},
        )
    count = len(nodes)
    return c.add("apps/v1", "DaemonSet",
                 c.meta("DaemonSet", name, namespace, created, labels=labels or tmeta["labels"],
                        annotations={"deprecated.daemonset.template.generation": "1"}, generation=1),
                 spec={
                     "revisionHistoryLimit": 10,
                     "selector": {"matchLabels": {k: v for k, v in tmeta["labels"].items()
                                                  if k in ("k8s-app", "app", "app.kubernetes.io/name")}},
                     "template": {"metadata": {"creationTimestamp": None, **tmeta}, "spec": _template_spec(tspec)},
                     "updateStrategy": {"rollingUpdate": {"maxSurge": 0, "maxUnavailable": "10%"},
                                        "type": "RollingUpdate"},
                 },
                 status={"currentNumberScheduled": count, "desiredNumberScheduled": count,
                         "numberAvailable": count, "numberMisscheduled": 0, "numberReady": count,
                         "observedGeneration": 1, "updatedNumberScheduled": count})


def _make_pods(c: Cluster, namespace: str, name: str, tmeta: Obj, tspec: Obj, placements: list[Placement],
               created: str, rs_hash: str, priorities: dict[str, int] | None) -> list[Obj]:
    pods: list[Obj] = []
    for pl in placements:
        h = pl.rs_hash or rs_hash
        rs = f"{name}-{h}"
        pname = pl.name or f"{rs}-{alnum(rs + str(len(pods)) + (pl.node or ''), 5)}"
        pods.append(c.pod(
            pname, namespace, node=pl.node, containers=pl.containers or tspec["containers"],
            created=pl.created or created, owner=c.owner("apps/v1", "ReplicaSet", namespace, rs),
            labels={**tmeta["labels"], "pod-template-hash": h}, annotations=tmeta.get("annotations"),
            volumes=pl.volumes if pl.volumes is not None else tspec.get("volumes"), generate_name=f"{rs}-",
            state=pl.state, scheduled_at=pl.scheduled_at, unschedulable=pl.unschedulable,
            priority=(priorities or {}).get(tspec.get("priorityClassName", ""), 0),
            **_pod_spec_args(tspec),
        ))
    return pods


def _is_ready(p: Obj) -> bool:
    return any(cd["type"] == "Ready" and cd["status"] == "True" for cd in p["status"].get("conditions", []))


def _template_spec(tspec: Obj) -> Obj:
    spec = {
        "dnsPolicy": "ClusterFirst",
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "terminationGracePeriodSeconds": 30,
    }
    spec.update(tspec)
    conts = []
    for ct in tspec["containers"]:
        ct = dict(ct)
        ct.setdefault("imagePullPolicy", "IfNotPresent")
        ct.setdefault("resources", {})
        ct.setdefault("terminationMessagePath", "/dev/termination-log")
        ct.setdefault("terminationMessagePolicy", "File")
        conts.append(ct)
    spec["containers"] = conts
    if "serviceAccountName" in spec:
        spec["serviceAccount"] = spec["serviceAccountName"]
    return spec


# ---------------------------------------------------------------------------- storage


def storage_class(c: Cluster, name: str, *, provisioner: str, parameters: dict[str, str], binding: str,
                  created: str, default: bool = False, expansion: bool = True, reclaim: str = "Delete",
                  labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None) -> Obj:
    ann = dict(annotations or {})
    if default:
        ann["storageclass.kubernetes.io/is-default-class"] = "true"
    return c.add("storage.k8s.io/v1", "StorageClass",
                 c.meta("StorageClass", name, None, created, labels=labels, annotations=ann or None),
                 allowVolumeExpansion=expansion, parameters=parameters, provisioner=provisioner,
                 reclaimPolicy=reclaim, volumeBindingMode=binding)


def bound_claim(c: Cluster, name: str, namespace: str, *, storage_class: str, size: str, created: str,
                bound_at: str, driver: str, volume_handle: str, zone_key: str | None, zones: list[str],
                labels: dict[str, str] | None = None, fs_type: str = "ext4",
                volume_attributes: dict[str, str] | None = None, selected_node: str | None = None) -> tuple[Obj, Obj]:
    """A dynamically provisioned PVC and its PV (named ``pvc-<claim uid>``), bound.

    ``zone_key=None`` writes the PV without nodeAffinity (a provisioner without topology)."""
    claim_uid = c.uid("PersistentVolumeClaim", namespace, name)
    pv_name = f"pvc-{claim_uid}"
    ann = {"pv.kubernetes.io/bind-completed": "yes", "pv.kubernetes.io/bound-by-controller": "yes",
           "volume.beta.kubernetes.io/storage-provisioner": driver,
           "volume.kubernetes.io/storage-provisioner": driver}
    if selected_node:
        ann["volume.kubernetes.io/selected-node"] = selected_node
    pvc_meta = c.meta("PersistentVolumeClaim", name, namespace, created, labels=labels, annotations=ann)
    pvc_meta["finalizers"] = ["kubernetes.io/pvc-protection"]
    pvc = c.add("v1", "PersistentVolumeClaim", pvc_meta,
                spec={"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}},
                      "storageClassName": storage_class, "volumeMode": "Filesystem", "volumeName": pv_name},
                status={"accessModes": ["ReadWriteOnce"], "capacity": {"storage": size}, "phase": "Bound"})
    pv_meta = c.meta("PersistentVolume", pv_name, None, bound_at,
                     annotations={"pv.kubernetes.io/provisioned-by": driver,
                                  "volume.kubernetes.io/provisioner-deletion-secret-name": "",
                                  "volume.kubernetes.io/provisioner-deletion-secret-namespace": ""})
    pv_meta["finalizers"] = ["external-provisioner.volume.kubernetes.io/finalizer", "kubernetes.io/pv-protection",
                             f"external-attacher/{driver.replace('.', '-')}"]
    spec: Obj = {
        "accessModes": ["ReadWriteOnce"],
        "capacity": {"storage": size},
        "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": name, "namespace": namespace,
                     "resourceVersion": pvc_meta["resourceVersion"], "uid": claim_uid},
        "csi": {"driver": driver, "fsType": fs_type,
                "volumeAttributes": volume_attributes or {
                    "storage.kubernetes.io/csiProvisionerIdentity": f"1762783200000-{int(hexid(driver, 4), 16) % 9000 + 1000}-{driver}"},
                "volumeHandle": volume_handle},
        "persistentVolumeReclaimPolicy": "Delete",
        "storageClassName": storage_class,
        "volumeMode": "Filesystem",
    }
    if zone_key:
        spec["nodeAffinity"] = {"required": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": zone_key, "operator": "In", "values": zones}]}]}}
    pv = c.add("v1", "PersistentVolume", pv_meta, spec=spec,
               status={"lastPhaseTransitionTime": bound_at, "phase": "Bound"})
    return pvc, pv


def container(name: str, image: str, *, cpu: str | None = None, memory: str | None = None,
              mem_limit: str | None = None, cpu_limit: str | None = None, ports: list[Obj] | None = None,
              readiness: Obj | None = None, liveness: Obj | None = None, env: list[Obj] | None = None,
              args: list[str] | None = None, mounts: list[Obj] | None = None, **extra: Any) -> Obj:
    """A container spec with the fields in the order-independent shape the API returns."""
    c: Obj = {"name": name, "image": image}
    res: Obj = {}
    req = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    lim = {k: v for k, v in (("cpu", cpu_limit), ("memory", mem_limit)) if v}
    if req:
        res["requests"] = req
    if lim:
        res["limits"] = lim
    c["resources"] = res
    if ports:
        c["ports"] = ports
    if readiness:
        c["readinessProbe"] = readiness
    if liveness:
        c["livenessProbe"] = liveness
    if env:
        c["env"] = env
    if args:
        c["args"] = args
    if mounts:
        c["volumeMounts"] = mounts
    c.update(extra)
    return c


def http_probe(path: str, port: int | str, *, delay: int | None = None, period: int = 10, timeout: int = 1,
               failures: int = 3, scheme: str = "HTTP") -> Obj:
    p: Obj = {"failureThreshold": failures, "httpGet": {"path": path, "port": port, "scheme": scheme},
              "periodSeconds": period, "successThreshold": 1, "timeoutSeconds": timeout}
    if delay is not None:
        p["initialDelaySeconds"] = delay
    return p


def field_env(name: str, path: str) -> Obj:
    """A downward-API env var (``POD_NAME`` ← ``metadata.name``)."""
    return {"name": name, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": path}}}


def system_ds(c: Cluster, name: str, namespace: str, *, labels: dict[str, str], containers: list[Obj],
              nodes: list[str], created: str, revision: str, priorities: dict[str, int],
              host_network: bool = False, sa: str | None = None) -> Obj:
    """A node-level add-on DaemonSet (``system-node-critical``)."""
    spec: Obj = {"priorityClassName": "system-node-critical", "containers": containers}
    if host_network:
        spec["hostNetwork"] = True
    if sa:
        spec["serviceAccountName"] = sa
    return daemonset(c, name, namespace, template={"metadata": {"labels": labels}, "spec": spec}, nodes=nodes,
                     created=created, revision=revision, priorities=priorities)


def system_deploy(c: Cluster, name: str, namespace: str, *, labels: dict[str, str], containers: list[Obj],
                  nodes: list[str], created: str, rs_hash: str, priorities: dict[str, int],
                  sa: str | None = None, tolerations: list[Obj] | None = None,
                  priority_class: str = "system-cluster-critical") -> Obj:
    """A cluster-level add-on Deployment, one replica per entry of ``nodes``."""
    spec: Obj = {"priorityClassName": priority_class, "containers": containers}
    if sa:
        spec["serviceAccountName"] = sa
    if tolerations:
        spec["tolerations"] = tolerations
    return deployment(c, name, namespace, template={"metadata": {"labels": labels}, "spec": spec},
                      placements=[Placement(n) for n in nodes], created=created, rs_hash=rs_hash,
                      priorities=priorities)
