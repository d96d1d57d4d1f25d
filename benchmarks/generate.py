"""Generate realistic synthetic Kubernetes clusters for the scale benchmark.

A cluster of N nodes carries about 30 pods per node (27 application pods from Deployments
and StatefulSets, 3 DaemonSet pods in ``kube-system``), each a full pod as the API server
returns it — two containers with probes, env, resources, securityContext and volumeMounts,
``managedFields``, ``ownerReferences``, five conditions and container statuses, about
5 KB of JSON per pod — plus Nodes, Namespaces, Deployments, StatefulSets, DaemonSets,
Services, PVCs and PVs, StorageClasses, PriorityClasses, ServiceAccounts, PDBs and Events.

```
python benchmarks/generate.py --nodes 1000 --output benchmarks/out/cluster-1000.json
```

writes one ``kubectl get ... -A -o json`` List (items carry ``kind``/``apiVersion``, as
kubectl adds them). :func:`list_pages` gives the same objects as an API server's pre-encoded
``limit``/``continue`` pages (items without ``kind``), for the static server in
``benchmarks/apiserver.py``.

Everything is deterministic for a given ``seed``.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

__all__ = ["KINDS", "Synth", "list_pages", "write_list"]

Obj = dict[str, Any]

#: plural → (kind, apiVersion, namespaced); the order objects are written in.
KINDS: dict[str, tuple[str, str, bool]] = {
    "namespaces": ("Namespace", "v1", False),
    "nodes": ("Node", "v1", False),
    "storageclasses": ("StorageClass", "storage.k8s.io/v1", False),
    "priorityclasses": ("PriorityClass", "scheduling.k8s.io/v1", False),
    "serviceaccounts": ("ServiceAccount", "v1", True),
    "deployments": ("Deployment", "apps/v1", True),
    "statefulsets": ("StatefulSet", "apps/v1", True),
    "daemonsets": ("DaemonSet", "apps/v1", True),
    "services": ("Service", "v1", True),
    "poddisruptionbudgets": ("PodDisruptionBudget", "policy/v1", True),
    "persistentvolumeclaims": ("PersistentVolumeClaim", "v1", True),
    "persistentvolumes": ("PersistentVolume", "v1", False),
    "pods": ("Pod", "v1", True),
    "events": ("Event", "v1", True),
}

APP_PODS_PER_NODE = 27
REPLICAS = 9
STATEFULSET_EVERY = 10  # every 10th workload is a StatefulSet with one PVC per replica
NAMESPACES = 20
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
INSTANCE_TYPES = ("m6i.2xlarge", "m6i.4xlarge", "r6i.2xlarge")
NODEGROUPS = ("general", "memory", "batch")
IMAGES = (
    "111122223333.dkr.ecr.us-east-1.amazonaws.com/shop/api:1.42.0",
    "111122223333.dkr.ecr.us-east-1.amazonaws.com/shop/worker:3.7.1",
    "111122223333.dkr.ecr.us-east-1.amazonaws.com/shop/web:2.0.9",
    "docker.io/library/postgres:16.4",
)
SIDECAR = "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.2"
CREATED = "2026-11-20T08:14:03Z"
STARTED = "2026-11-20T08:14:21Z"


class Synth:
    """A deterministic synthetic cluster.

    Args:
        nodes: number of Nodes.
        seed: random seed (uids, IPs, hashes).
    """

    def __init__(self, nodes: int, *, seed: int = 0) -> None:
        self.nodes = nodes
        self.rng = random.Random(seed)
        self.app_pods = nodes * APP_PODS_PER_NODE
        self.workloads = -(-self.app_pods // REPLICAS)
        self.rv = 100_000
        self.names: set[str] = set()

    # -- helpers --------------------------------------------------------------------------

    def uid(self) -> str:
        h = f"{self.rng.getrandbits(128):032x}"
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:32]}"

    def hash(self, n: int = 10) -> str:
        alphabet = "bcdfghjklmnpqrstvwxz2456789"
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def unique(self, prefix: str) -> str:
        """``prefix`` + a random 5-character suffix not used before, as the API server
        guarantees for ``generateName`` (5,000 DaemonSet pods would otherwise collide)."""
        while True:
            name = prefix + self.hash(5)
            if name not in self.names:
                self.names.add(name)
                return name

    def next_rv(self) -> str:
        self.rv += 1
        return str(self.rv)

    def node_name(self, i: int) -> str:
        return f"ip-10-{(i >> 8) & 255}-{i & 255}-{(i * 7) % 250 + 4}.ec2.internal"

    def zone(self, i: int) -> str:
        return ZONES[i % len(ZONES)]

    def namespace(self, w: int) -> str:
        return f"team-{w % NAMESPACES:02d}"

    def workload(self, w: int) -> tuple[str, str]:
        """(kind, name) of workload ``w``."""
        kinds = ("api", "worker", "web", "cart", "search", "billing", "orders", "ledger", "auth")
        if w % STATEFULSET_EVERY == STATEFULSET_EVERY - 1:
            return "StatefulSet", f"db-{w:05d}"
        return "Deployment", f"{kinds[w % len(kinds)]}-{w:05d}"

    def meta(self, name: str, namespace: str | None = None, **extra: Any) -> Obj:
        m: Obj = {"name": name}
        if namespace is not None:
            m["namespace"] = namespace
        m.update(
            {
                "uid": self.uid(),
                "resourceVersion": self.next_rv(),
                "generation": 1,
                "creationTimestamp": CREATED,
            }
        )
        m.update(extra)
        return m

    # -- kinds ----------------------------------------------------------------------------

    def iter_kind(self, plural: str) -> Iterator[Obj]:
        """Objects of one kind, as the API server returns them (no kind/apiVersion)."""
        yield from getattr(self, f"_{plural}")()

    def _namespaces(self) -> Iterator[Obj]:
        for ns in ("default", "kube-system", *(f"team-{i:02d}" for i in range(NAMESPACES))):
            yield {
                "metadata": self.meta(ns, labels={"kubernetes.io/metadata.name": ns}),
                "spec": {"finalizers": ["kubernetes"]},
                "status": {"phase": "Active"},
            }

    def _nodes(self) -> Iterator[Obj]:
        for i in range(self.nodes):
            name, zone = self.node_name(i), self.zone(i)
            itype, group = INSTANCE_TYPES[i % 3], NODEGROUPS[i % 3]
            ip = f"10.{(i >> 8) & 255}.{i & 255}.{(i * 7) % 250 + 4}"
            labels = {
                "beta.kubernetes.io/arch": "amd64",
                "beta.kubernetes.io/instance-type": itype,
                "beta.kubernetes.io/os": "linux",
                "eks.amazonaws.com/capacityType": "ON_DEMAND",
                "eks.amazonaws.com/nodegroup": group,
                "eks.amazonaws.com/nodegroup-image": "ami-0c2b8ca1dad447f8a",
                "failure-domain.beta.kubernetes.io/region": "us-east-1",
                "failure-domain.beta.kubernetes.io/zone": zone,
                "kubernetes.io/arch": "amd64",
                "kubernetes.io/hostname": name,
                "kubernetes.io/os": "linux",
                "node.kubernetes.io/instance-type": itype,
                "topology.ebs.csi.aws.com/zone": zone,
                "topology.kubernetes.io/region": "us-east-1",
                "topology.kubernetes.io/zone": zone,
            }
            conds = [
                ("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                ("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                ("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                ("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            ]
            yield {
                "metadata": self.meta(
                    name,
                    labels=labels,
                    annotations={
                        "alpha.kubernetes.io/provided-node-ip": ip,
                        "csi.volume.kubernetes.io/nodeid": f'{{"ebs.csi.aws.com":"i-0{self.hash(16)}"}}',
                        "node.alpha.kubernetes.io/ttl": "0",
                        "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                    },
                ),
                "spec": {"providerID": f"aws:///{zone}/i-0{self.hash(16)}"},
                "status": {
                    "capacity": {"cpu": "8", "ephemeral-storage": "104845292Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0", "memory": "32408676Ki", "pods": "58"},
                    "allocatable": {"cpu": "7910m", "ephemeral-storage": "95551679124", "hugepages-1Gi": "0", "hugepages-2Mi": "0", "memory": "31391844Ki", "pods": "58"},
                    "conditions": [
                        {"type": t, "status": s, "lastHeartbeatTime": "2026-11-25T09:10:12Z", "lastTransitionTime": CREATED, "reason": r, "message": m}
                        for t, s, r, m in conds
                    ],
                    "addresses": [
                        {"type": "InternalIP", "address": ip},
                        {"type": "InternalDNS", "address": name},
                        {"type": "Hostname", "address": name},
                    ],
                    "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                    "nodeInfo": {
                        "machineID": self.hash(32), "systemUUID": self.uid(), "bootID": self.uid(),
                        "kernelVersion": "6.1.112-124.190.amzn2023.x86_64", "osImage": "Amazon Linux 2023.6.20241111",
                        "containerRuntimeVersion": "containerd://1.7.23", "kubeletVersion": "v1.31.2-eks-94953ac",
                        "kubeProxyVersion": "v1.31.2-eks-94953ac", "operatingSystem": "linux", "architecture": "amd64",
                    },
                    "images": [
                        {"names": [f"{img}@sha256:{self.hash(64)}", img], "sizeBytes": 50_000_000 + k * 1_234_567}
                        for k, img in enumerate((*IMAGES, SIDECAR))
                    ],
                },
            }

    def _storageclasses(self) -> Iterator[Obj]:
        yield {
            "metadata": self.meta("gp3", annotations={"storageclass.kubernetes.io/is-default-class": "true"}),
            "provisioner": "ebs.csi.aws.com",
            "parameters": {"type": "gp3", "encrypted": "true"},
            "reclaimPolicy": "Delete",
            "volumeBindingMode": "WaitForFirstConsumer",
            "allowVolumeExpansion": True,
        }

    def _priorityclasses(self) -> Iterator[Obj]:
        for name, value in (("system-cluster-critical", 2000000000), ("system-node-critical", 2000001000), ("business-critical", 100000)):
            yield {"metadata": self.meta(name), "value": value, "preemptionPolicy": "PreemptLowerPriority", "description": f"{name} workloads"}

    def _serviceaccounts(self) -> Iterator[Obj]:
        for ns in ("default", "kube-system", *(f"team-{i:02d}" for i in range(NAMESPACES))):
            yield {"metadata": self.meta("default", ns)}
            if ns.startswith("team-"):
                yield {
                    "metadata": self.meta(
                        "app", ns,
                        annotations={"eks.amazonaws.com/role-arn": f"arn:aws:iam::111122223333:role/{ns}-app"},
                    )
                }

    def _selector(self, name: str) -> Obj:
        return {"app.kubernetes.io/name": name}

    def _template(self, name: str, w: int) -> Obj:
        return {
            "metadata": {"labels": self._selector(name)},
            "spec": {
                "serviceAccountName": "app",
                # what the pods carry, less the ServiceAccount token mount admission adds to each pod
                "containers": [
                    self._template_container("app", IMAGES[w % len(IMAGES)], True),
                    self._template_container("log-router", SIDECAR, False),
                ],
            },
        }

    def _deployments(self) -> Iterator[Obj]:
        for w in range(self.workloads):
            kind, name = self.workload(w)
            if kind != "Deployment":
                continue
            yield {
                "metadata": self.meta(name, self.namespace(w), labels=self._selector(name), annotations={"deployment.kubernetes.io/revision": "3"}),
                "spec": {
                    "replicas": REPLICAS,
                    "selector": {"matchLabels": self._selector(name)},
                    "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
                    "template": self._template(name, w),
                },
                "status": {"observedGeneration": 1, "replicas": REPLICAS, "updatedReplicas": REPLICAS, "readyReplicas": REPLICAS, "availableReplicas": REPLICAS},
            }

    def _statefulsets(self) -> Iterator[Obj]:
        for w in range(self.workloads):
            kind, name = self.workload(w)
            if kind != "StatefulSet":
                continue
            yield {
                "metadata": self.meta(name, self.namespace(w), labels=self._selector(name)),
                "spec": {
                    "replicas": REPLICAS,
                    "serviceName": name,
                    "selector": {"matchLabels": self._selector(name)},
                    "template": self._template(name, w),
                    "volumeClaimTemplates": [
                        {"metadata": {"name": "data"}, "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "gp3", "resources": {"requests": {"storage": "100Gi"}}}}
                    ],
                    "podManagementPolicy": "OrderedReady",
                    "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
                },
                "status": {"observedGeneration": 1, "replicas": REPLICAS, "readyReplicas": REPLICAS, "currentReplicas": REPLICAS, "updatedReplicas": REPLICAS, "availableReplicas": REPLICAS},
            }

    def _daemonsets(self) -> Iterator[Obj]:
        for name in ("kube-proxy", "aws-node", "ebs-csi-node"):
            yield {
                "metadata": self.meta(name, "kube-system", labels={"k8s-app": name}),
                "spec": {"selector": {"matchLabels": {"k8s-app": name}}, "template": {"metadata": {"labels": {"k8s-app": name}}, "spec": {"containers": [{"name": name, "image": f"602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/{name}:v1.31.2"}]}}},
                "status": {"currentNumberScheduled": self.nodes, "desiredNumberScheduled": self.nodes, "numberReady": self.nodes, "numberAvailable": self.nodes},
            }

    def _services(self) -> Iterator[Obj]:
        for w in range(self.workloads):
            name = self.workload(w)[1]
            yield {
                "metadata": self.meta(name, self.namespace(w), labels=self._selector(name)),
                "spec": {
                    "type": "ClusterIP",
                    "clusterIP": f"172.20.{(w >> 8) & 255}.{w & 255}",
                    "clusterIPs": [f"172.20.{(w >> 8) & 255}.{w & 255}"],
                    "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}],
                    "selector": self._selector(name),
                    "sessionAffinity": "None",
                    "internalTrafficPolicy": "Cluster",
                    "ipFamilies": ["IPv4"],
                    "ipFamilyPolicy": "SingleStack",
                },
                "status": {"loadBalancer": {}},
            }

    def _poddisruptionbudgets(self) -> Iterator[Obj]:
        for w in range(0, self.workloads, 2):
            name = self.workload(w)[1]
            yield {
                "metadata": self.meta(name, self.namespace(w)),
                "spec": {"maxUnavailable": 1, "selector": {"matchLabels": self._selector(name)}},
                "status": {"currentHealthy": REPLICAS, "desiredHealthy": REPLICAS - 1, "disruptionsAllowed": 1, "expectedPods": REPLICAS, "observedGeneration": 1},
            }

    def _claims(self) -> Iterator[tuple[int, str, str, str]]:
        """(pod index, namespace, claim name, PV name) for every StatefulSet pod."""
        for i in range(self.app_pods):
            w = i // REPLICAS
            kind, name = self.workload(w)
            if kind == "StatefulSet":
                yield i, self.namespace(w), f"data-{name}-{i % REPLICAS}", f"pvc-{i:08d}-5b1c-4f8e-9a51-{i:012x}"

    def _persistentvolumeclaims(self) -> Iterator[Obj]:
        for i, ns, claim, pv in self._claims():
            yield {
                "metadata": self.meta(
                    claim, ns,
                    annotations={"pv.kubernetes.io/bind-completed": "yes", "pv.kubernetes.io/bound-by-controller": "yes", "volume.beta.kubernetes.io/storage-provisioner": "ebs.csi.aws.com", "volume.kubernetes.io/selected-node": self.node_name(i % self.nodes), "volume.kubernetes.io/storage-provisioner": "ebs.csi.aws.com"},
                    finalizers=["kubernetes.io/pvc-protection"],
                ),
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "100Gi"}}, "storageClassName": "gp3", "volumeMode": "Filesystem", "volumeName": pv},
                "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "100Gi"}},
            }

    def _persistentvolumes(self) -> Iterator[Obj]:
        for i, ns, claim, pv in self._claims():
            zone = self.zone(i % self.nodes)
            yield {
                "metadata": self.meta(pv, annotations={"pv.kubernetes.io/provisioned-by": "ebs.csi.aws.com", "volume.kubernetes.io/provisioner-deletion-secret-name": "", "volume.kubernetes.io/provisioner-deletion-secret-namespace": ""}, finalizers=["external-provisioner.volume.kubernetes.io/finalizer", "kubernetes.io/pv-protection"]),
                "spec": {
                    "accessModes": ["ReadWriteOnce"],
                    "capacity": {"storage": "100Gi"},
                    "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "name": claim, "namespace": ns, "uid": self.uid(), "resourceVersion": self.next_rv()},
                    "csi": {"driver": "ebs.csi.aws.com", "fsType": "ext4", "volumeHandle": f"vol-0{self.hash(16)}", "volumeAttributes": {"storage.kubernetes.io/csiProvisionerIdentity": "1732090443243-8081-ebs.csi.aws.com"}},
                    "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": [zone]}]}]}},
                    "persistentVolumeReclaimPolicy": "Delete",
                    "storageClassName": "gp3",
                    "volumeMode": "Filesystem",
                },
                "status": {"phase": "Bound", "lastPhaseTransitionTime": CREATED},
            }

    def _container(self, name: str, image: str, app: bool) -> Obj:
        mount = {"name": "kube-api-access-" + self.hash(5), "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": True}
        c = self._template_container(name, image, app)
        c["volumeMounts"] = [mount, *c["volumeMounts"]]
        return c

    @staticmethod
    def _template_container(name: str, image: str, app: bool) -> Obj:
        """A container as the pod template states it (no random values: the pods' stay as they were)."""
        c: Obj = {
            "name": name,
            "image": image,
            "imagePullPolicy": "IfNotPresent",
            "resources": {"requests": {"cpu": "250m" if app else "50m", "memory": "512Mi" if app else "64Mi"}, "limits": {"memory": "512Mi" if app else "128Mi"}},
            "terminationMessagePath": "/dev/termination-log",
            "terminationMessagePolicy": "File",
            "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": True, "runAsNonRoot": True, "runAsUser": 10001},
            "volumeMounts": [],
        }
        if app:
            c["ports"] = [{"name": "http", "containerPort": 8080, "protocol": "TCP"}, {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}]
            c["env"] = [
                {"name": "LOG_LEVEL", "value": "info"},
                {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector.observability:4317"},
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
                {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}},
                {"name": "DATABASE_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db-credentials", "key": "password"}}},
            ]
            probe = {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"}, "initialDelaySeconds": 5, "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3}
            c["livenessProbe"] = probe
            c["readinessProbe"] = {**probe, "httpGet": {"path": "/ready", "port": 8080, "scheme": "HTTP"}}
        else:
            c["env"] = [{"name": "AWS_REGION", "value": "us-east-1"}]
            c["volumeMounts"].append({"name": "varlog", "mountPath": "/var/log", "readOnly": True})
        return c

    def _status(self, name: str, image: str, pod_ip: str) -> Obj:
        return {
            "name": name, "image": image, "imageID": f"{image.split(':')[0]}@sha256:{self.hash(64)}",
            "containerID": f"containerd://{self.hash(64)}", "ready": True, "restartCount": 0, "started": True,
            "state": {"running": {"startedAt": STARTED}}, "lastState": {},
        }

    def _pod(self, name: str, ns: str, node: int, owner_kind: str, owner: str, labels: Obj, image: str, sa: str, claim: str | None) -> Obj:
        node_name = self.node_name(node)
        pod_ip = f"10.{128 + ((node >> 8) & 127)}.{node & 255}.{self.rng.randrange(2, 250)}"
        host_ip = f"10.{(node >> 8) & 255}.{node & 255}.{(node * 7) % 250 + 4}"
        containers = [self._container("app", image, True), self._container("log-router", SIDECAR, False)]
        volumes: list[Obj] = [
            {"name": "varlog", "hostPath": {"path": "/var/log", "type": ""}},
            {"name": containers[0]["volumeMounts"][0]["name"], "projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}]}},
            ]}},
        ]
        if claim:
            volumes.append({"name": "data", "persistentVolumeClaim": {"claimName": claim}})
            containers[0]["volumeMounts"].append({"name": "data", "mountPath": "/var/lib/data"})
        managed = [
            {"manager": "kube-controller-manager", "operation": "Update", "apiVersion": "v1", "time": CREATED, "fieldsType": "FieldsV1",
             "fieldsV1": {"f:metadata": {"f:generateName": {}, "f:labels": {k: {} for k in (f"f:{k}" for k in labels)}, "f:ownerReferences": {".": {}, f'k:{{"uid":"{self.uid()}"}}': {}}},
                          "f:spec": {"f:containers": {'k:{"name":"app"}': {".": {}, "f:image": {}, "f:resources": {}}, 'k:{"name":"log-router"}': {".": {}, "f:image": {}}},
                                     "f:dnsPolicy": {}, "f:serviceAccountName": {}, "f:volumes": {}}}},
            {"manager": "kubelet", "operation": "Update", "apiVersion": "v1", "time": STARTED, "fieldsType": "FieldsV1", "subresource": "status",
             "fieldsV1": {"f:status": {"f:conditions": {f'k:{{"type":"{t}"}}': {".": {}, "f:status": {}} for t in ("ContainersReady", "Ready")},
                                       "f:containerStatuses": {}, "f:hostIP": {}, "f:hostIPs": {}, "f:phase": {}, "f:podIP": {}, "f:podIPs": {".": {}, f'k:{{"ip":"{pod_ip}"}}': {".": {}, "f:ip": {}}}, "f:startTime": {}}}},
        ]
        return {
            "metadata": {
                "name": name, "generateName": name.rsplit("-", 1)[0] + "-", "namespace": ns, "uid": self.uid(),
                "resourceVersion": self.next_rv(), "creationTimestamp": CREATED, "labels": labels,
                "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-11-19T16:02:11Z", "prometheus.io/scrape": "true", "prometheus.io/port": "9090"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": owner_kind, "name": owner, "uid": self.uid(), "controller": True, "blockOwnerDeletion": True}],
                "managedFields": managed,
            },
            "spec": {
                "volumes": volumes,
                "containers": containers,
                "restartPolicy": "Always",
                "terminationGracePeriodSeconds": 30,
                "dnsPolicy": "ClusterFirst",
                "serviceAccountName": sa,
                "serviceAccount": sa,
                "nodeName": node_name,
                "securityContext": {"fsGroup": 10001, "seccompProfile": {"type": "RuntimeDefault"}},
                "schedulerName": "default-scheduler",
                "tolerations": [
                    {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
                    {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
                ],
                "priority": 0,
                "enableServiceLinks": True,
                "preemptionPolicy": "PreemptLowerPriority",
            },
            "status": {
                "phase": "Running",
                "conditions": [
                    {"type": t, "status": "True", "lastProbeTime": None, "lastTransitionTime": STARTED if t in ("Ready", "ContainersReady", "PodReadyToStartContainers") else CREATED}
                    for t in ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")
                ],
                "hostIP": host_ip, "hostIPs": [{"ip": host_ip}],
                "podIP": pod_ip, "podIPs": [{"ip": pod_ip}],
                "startTime": CREATED,
                "containerStatuses": [self._status("app", image, pod_ip), self._status("log-router", SIDECAR, pod_ip)],
                "qosClass": "Burstable",
            },
        }

    def _pods(self) -> Iterator[Obj]:
        rs_hash: dict[int, str] = {}
        claims = {i: claim for i, _, claim, _ in self._claims()}
        for i in range(self.app_pods):
            w = i // REPLICAS
            kind, name = self.workload(w)
            ns, image = self.namespace(w), IMAGES[w % len(IMAGES)]
            labels = dict(self._selector(name))
            if kind == "Deployment":
                h = rs_hash.setdefault(w, self.hash(10))
                labels["pod-template-hash"] = h
                yield self._pod(self.unique(f"{name}-{h}-"), ns, i % self.nodes, "ReplicaSet", f"{name}-{h}", labels, image, "app", None)
            else:
                ordinal = i % REPLICAS
                labels["apps.kubernetes.io/pod-index"] = str(ordinal)
                labels["statefulset.kubernetes.io/pod-name"] = f"{name}-{ordinal}"
                yield self._pod(f"{name}-{ordinal}", ns, i % self.nodes, "StatefulSet", name, labels, image, "app", claims[i])
        for node in range(self.nodes):
            for ds in ("kube-proxy", "aws-node", "ebs-csi-node"):
                yield self._pod(self.unique(f"{ds}-"), "kube-system", node, "DaemonSet", ds, {"k8s-app": ds}, f"602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/{ds}:v1.31.2", ds, None)

    def _events(self) -> Iterator[Obj]:
        for i in range(self.nodes):
            node = self.node_name(i)
            for reason, msg in (("RegisteredNode", f"Node {node} event: Registered Node {node} in Controller"), ("NodeReady", f"Node {node} status is now: NodeReady")):
                yield {
                    "metadata": self.meta(f"{node}.{self.hash(16)}", "default"),
                    "involvedObject": {"kind": "Node", "name": node, "uid": node, "apiVersion": "v1"},
                    "reason": reason, "message": msg,
                    "source": {"component": "node-controller" if reason == "RegisteredNode" else "kubelet", "host": node},
                    "firstTimestamp": CREATED, "lastTimestamp": CREATED, "count": 1, "type": "Normal",
                    "eventTime": None, "reportingComponent": "node-controller", "reportingInstance": "",
                }
            w = (i * 3) % self.workloads
            _, name = self.workload(w)
            yield {
                "metadata": self.meta(f"{name}.{self.hash(16)}", self.namespace(w)),
                "involvedObject": {"kind": "Pod", "namespace": self.namespace(w), "name": f"{name}-0", "uid": self.uid(), "apiVersion": "v1", "resourceVersion": self.next_rv(), "fieldPath": "spec.containers{app}"},
                "reason": "Unhealthy", "message": "Readiness probe failed: HTTP probe failed with statuscode: 503",
                "source": {"component": "kubelet", "host": self.node_name(i)},
                "firstTimestamp": "2026-11-25T08:51:40Z", "lastTimestamp": "2026-11-25T09:02:10Z", "count": 4, "type": "Warning",
                "eventTime": None, "reportingComponent": "kubelet", "reportingInstance": self.node_name(i),
            }


def write_list(nodes: int, path: Path, *, seed: int = 0, indent: bool = False) -> dict[str, int]:
    """Write the cluster as one ``kubectl get ... -A -o json`` List, streaming.

    Args:
        nodes: number of Nodes.
        path: the output file.
        seed: random seed.
        indent: indent each object as kubectl does (orjson indents by 2); the default is
            compact, as the API server sends it.

    Returns:
        Object counts per plural.
    """
    synth = Synth(nodes, seed=seed)
    opt = orjson.OPT_INDENT_2 if indent else 0
    counts: dict[str, int] = {}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        out.write(b'{\n"apiVersion": "v1",\n"kind": "List",\n"items": [\n')
        first = True
        for plural, (kind, api_version, _) in KINDS.items():
            n = 0
            for obj in synth.iter_kind(plural):
                item = {"apiVersion": api_version, "kind": kind, **obj}
                if not first:
                    out.write(b",\n")
                out.write(orjson.dumps(item, option=opt))
                first = False
                n += 1
            counts[plural] = n
        out.write(b'\n],\n"metadata": {\n"resourceVersion": ""\n}\n}\n')
    return counts


def list_pages(nodes: int, *, page_size: int = 500, seed: int = 0) -> dict[str, list[bytes]]:
    """Pre-encoded list pages per plural, as an API server sends them for ``limit=page_size``.

    Page ``k`` of a plural carries ``metadata.continue`` ``"<plural>:<k+1>"`` (absent on the
    last page) and ``remainingItemCount``. Items have no ``kind``/``apiVersion``.
    """
    synth = Synth(nodes, seed=seed)
    pages: dict[str, list[bytes]] = {}
    for plural, (kind, api_version, _) in KINDS.items():
        items = [orjson.dumps(obj) for obj in synth.iter_kind(plural)]
        chunks = [items[i : i + page_size] for i in range(0, len(items), page_size)] or [[]]
        out = []
        for k, chunk in enumerate(chunks):
            meta: Obj = {"resourceVersion": "987654"}
            remaining = len(items) - (k + 1) * page_size
            if remaining > 0:
                meta["continue"] = f"{plural}:{k + 1}"
                meta["remainingItemCount"] = remaining
            head = orjson.dumps({"kind": f"{kind}List", "apiVersion": api_version, "metadata": meta})
            out.append(head[:-1] + b',"items":[' + b",".join(chunk) + b"]}")
        pages[plural] = out
    return pages


def main(argv: list[str] | None = None) -> int:
    """Command line: write a synthetic cluster List to a file."""
    parser = argparse.ArgumentParser(description="Write a synthetic cluster as a kubectl List JSON file.")
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--indent", action="store_true", help="indent objects as kubectl does")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args(argv)
    counts = write_list(args.nodes, args.output, seed=args.seed, indent=args.indent)
    size = args.output.stat().st_size
    print(f"wrote {args.output}: {size / 2**20:.1f} MiB, " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
