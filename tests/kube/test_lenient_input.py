"""What the API server accepts, r2c accepts: nulls, kinds no rule reads, mixed namespaces.

The manifests here are written out in full as the API documents them (not produced by the
code under test). The central property: ``null`` for a field is the field left out, at any
depth, in JSON and YAML, as one object, in a List, across documents and on the live path.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from apiserver import FakeApiServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from r2c_clouds.cli import main
from r2c_clouds.errors import SnapshotError
from r2c_clouds.kube.decode import decode_page, without_nulls
from r2c_clouds.kube.kinds import KINDS_BY_NAME
from r2c_clouds.kube.live import connect
from r2c_clouds.kube.snapshot import load_snapshot
from r2c_clouds.model.cluster import ClusterState
from r2c_clouds.model.findings import ObjectRef

# --------------------------------------------------------------------------- the test world

POD: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "name": "api-7d9f8c6b5-9wzrt",
        "namespace": "shop",
        "labels": {"app": "api", "pod-template-hash": "7d9f8c6b5"},
        "annotations": {"prometheus.io/scrape": "true"},
        "ownerReferences": [
            {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "api-7d9f8c6b5", "uid": "5b1f", "controller": True}
        ],
        "creationTimestamp": "2026-11-20T09:00:00Z",
    },
    "spec": {
        "serviceAccountName": "api",
        "priorityClassName": "business-critical",
        "nodeName": "ip-10-0-53-77.ec2.internal",
        "nodeSelector": {"kubernetes.io/os": "linux"},
        "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "api", "effect": "NoSchedule"}],
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [
                        {"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["us-east-1a"]}]}
                    ]
                }
            }
        },
        "topologySpreadConstraints": [
            {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway",
             "labelSelector": {"matchLabels": {"app": "api"}}}
        ],
        "initContainers": [
            {"name": "migrate", "image": "registry.example.com/api:1.4.2", "command": ["/migrate"],
             "resources": {"requests": {"cpu": "100m"}}}
        ],
        "containers": [
            {
                "name": "api",
                "image": "registry.example.com/api:1.4.2",
                "args": ["--port=8080"],
                "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                "env": [
                    {"name": "LOG_LEVEL", "value": "info"},
                    {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
                ],
                "envFrom": [{"configMapRef": {"name": "api-config"}}],
                "resources": {"requests": {"cpu": "250m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
                "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}, "periodSeconds": 5},
                "livenessProbe": {"tcpSocket": {"port": 8080}, "initialDelaySeconds": 10},
                "volumeMounts": [{"name": "cache", "mountPath": "/cache"}],
            }
        ],
        "volumes": [{"name": "cache", "persistentVolumeClaim": {"claimName": "api-cache"}}],
    },
    "status": {
        "phase": "Running",
        "hostIP": "10.0.53.77",
        "podIP": "10.0.60.12",
        "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-11-20T09:01:00Z"}],
        "containerStatuses": [
            {"name": "api", "ready": True, "restartCount": 0, "image": "registry.example.com/api:1.4.2",
             "state": {"running": {"startedAt": "2026-11-20T09:00:30Z"}}}
        ],
    },
}

DEPLOYMENT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "api", "namespace": "shop", "labels": {"app": "api"}},
    "spec": {
        "replicas": 3,
        "selector": {"matchLabels": {"app": "api"}},
        "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0}},
        "template": {
            "metadata": {"labels": {"app": "api"}, "annotations": {"checksum/config": "3f2a"}},
            "spec": {"containers": [{"name": "api", "image": "registry.example.com/api:1.4.2",
                                     "resources": {"requests": {"cpu": "250m"}}}]},
        },
    },
    "status": {"replicas": 3, "readyReplicas": 3, "conditions": [{"type": "Available", "status": "True"}]},
}

NODE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Node",
    "metadata": {"name": "ip-10-0-53-77.ec2.internal",
                 "labels": {"topology.kubernetes.io/zone": "us-east-1b", "eks.amazonaws.com/nodegroup": "workers"}},
    "spec": {"providerID": "aws:///us-east-1b/i-0abc", "taints": [{"key": "dedicated", "value": "api", "effect": "NoSchedule"}]},
    "status": {
        "capacity": {"cpu": "4", "memory": "16Gi", "pods": "58"},
        "allocatable": {"cpu": "3920m", "memory": "15Gi", "pods": "58"},
        "conditions": [{"type": "Ready", "status": "True"}],
        "addresses": [{"type": "InternalIP", "address": "10.0.53.77"}],
        "nodeInfo": {"kubeletVersion": "v1.31.2-eks-7f9249a"},
    },
}

ENDPOINTS: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Endpoints",
    "metadata": {"name": "api", "namespace": "shop"},
    "subsets": [{"addresses": [{"ip": "10.0.60.12", "nodeName": "ip-10-0-53-77.ec2.internal",
                                "targetRef": {"kind": "Pod", "name": "api-7d9f8c6b5-9wzrt", "namespace": "shop"}}],
                 "ports": [{"port": 8080}]}],
}

ENDPOINT_SLICE: dict[str, Any] = {
    "apiVersion": "discovery.k8s.io/v1",
    "kind": "EndpointSlice",
    "metadata": {"name": "api-x7k2p", "namespace": "shop", "labels": {"kubernetes.io/service-name": "api"}},
    "addressType": "IPv4",
    "endpoints": [{"addresses": ["10.0.60.12"], "conditions": {"ready": True}, "zone": "us-east-1b",
                   "nodeName": "ip-10-0-53-77.ec2.internal"}],
}

SERVICE: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Service",
    "metadata": {"name": "api", "namespace": "shop"},
    "spec": {"type": "ClusterIP", "selector": {"app": "api"}, "clusterIP": "172.20.14.9",
             "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]},
}

PV: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "PersistentVolume",
    "metadata": {"name": "pvc-de0edcf8", "labels": {"topology.kubernetes.io/zone": "us-east-1a"}},
    "spec": {
        "capacity": {"storage": "10Gi"},
        "accessModes": ["ReadWriteOnce"],
        "storageClassName": "gp3",
        "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "shop", "name": "api-cache"},
        "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-0c1d", "fsType": "ext4"},
        "nodeAffinity": {"required": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "topology.ebs.csi.aws.com/zone", "operator": "In", "values": ["us-east-1a"]}]}
        ]}},
    },
    "status": {"phase": "Bound"},
}

STORAGE_CLASS: dict[str, Any] = {
    "apiVersion": "storage.k8s.io/v1",
    "kind": "StorageClass",
    "metadata": {"name": "gp3", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
    "provisioner": "ebs.csi.aws.com",
    "parameters": {"type": "gp3"},
    "volumeBindingMode": "WaitForFirstConsumer",
    "allowedTopologies": [{"matchLabelExpressions": [{"key": "topology.ebs.csi.aws.com/zone", "values": ["us-east-1a"]}]}],
}

PDB: dict[str, Any] = {
    "apiVersion": "policy/v1",
    "kind": "PodDisruptionBudget",
    "metadata": {"name": "api", "namespace": "shop"},
    "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "api"}}},
    "status": {"currentHealthy": 3, "desiredHealthy": 2, "disruptionsAllowed": 1, "expectedPods": 3},
}

EVENT: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Event",
    "metadata": {"name": "api-7d9f8c6b5-9wzrt.17a", "namespace": "shop"},
    "involvedObject": {"kind": "Pod", "namespace": "shop", "name": "api-7d9f8c6b5-9wzrt"},
    "reason": "FailedScheduling",
    "message": "0/3 nodes are available: 3 Insufficient cpu.",
    "type": "Warning",
    "count": 4,
    "firstTimestamp": "2026-11-20T09:00:00Z",
    "lastTimestamp": "2026-11-20T09:00:40Z",
    "source": {"component": "default-scheduler"},
}

NETWORK_POLICY: dict[str, Any] = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "default-deny", "namespace": "shop"},
    "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
}

SECRET: dict[str, Any] = {
    "apiVersion": "v1",
    "kind": "Secret",
    "metadata": {"name": "db", "namespace": "shop"},
    "type": "Opaque",
    "data": {"password": "aHVudGVyMg=="},
}

ROLE_BINDING: dict[str, Any] = {
    "apiVersion": "rbac.authorization.k8s.io/v1",
    "kind": "RoleBinding",
    "metadata": {"name": "api-read", "namespace": "shop"},
    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "read"},
    "subjects": [{"kind": "ServiceAccount", "name": "api", "namespace": "shop"}],
}

STATEFULSET: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "StatefulSet",
    "metadata": {"name": "orders-db", "namespace": "shop"},
    "spec": {
        "replicas": 3,
        "serviceName": "orders-db",
        "selector": {"matchLabels": {"app": "orders-db"}},
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}},
        "template": {
            "metadata": {"labels": {"app": "orders-db"}},
            "spec": {
                "affinity": {"podAntiAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 100, "podAffinityTerm": {"topologyKey": "topology.kubernetes.io/zone",
                                                        "labelSelector": {"matchLabels": {"app": "orders-db"}}}}
                ]}},
                "containers": [{"name": "postgres", "image": "postgres:16",
                                "volumeMounts": [{"name": "data", "mountPath": "/var/lib/postgresql/data"}]}],
            },
        },
        "volumeClaimTemplates": [{"metadata": {"name": "data"},
                                  "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "20Gi"}}}}],
    },
}

INGRESS_NETWORK_POLICY: dict[str, Any] = {
    "apiVersion": "networking.k8s.io/v1",
    "kind": "NetworkPolicy",
    "metadata": {"name": "api-from-web", "namespace": "shop"},
    "spec": {
        "podSelector": {"matchLabels": {"app": "api"}},
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}},
                              {"ipBlock": {"cidr": "10.0.0.0/16", "except": ["10.0.99.0/24"]}}],
                     "ports": [{"protocol": "TCP", "port": 8080}]}],
    },
}

SCALED_OBJECT: dict[str, Any] = {
    "apiVersion": "keda.sh/v1alpha1",
    "kind": "ScaledObject",
    "metadata": {"name": "orders-worker", "namespace": "shop"},
    "spec": {"scaleTargetRef": {"name": "orders-worker"}, "minReplicaCount": 0, "maxReplicaCount": 20,
             "triggers": [{"type": "aws-sqs-queue", "metadata": {"queueURL": "https://sqs.example/orders", "queueLength": "5"}}]},
    "status": {"conditions": [{"type": "Ready", "status": "True"}]},
}

SERVICE_MONITOR: dict[str, Any] = {
    "apiVersion": "monitoring.coreos.com/v1",
    "kind": "ServiceMonitor",
    "metadata": {"name": "api", "namespace": "shop"},
    "spec": {"selector": {"matchLabels": {"app": "api"}}, "namespaceSelector": {"matchNames": ["shop"]},
             "endpoints": [{"port": "http", "path": "/metrics", "interval": "30s"}]},
}

MANIFESTS = [POD, DEPLOYMENT, NODE, ENDPOINTS, ENDPOINT_SLICE, SERVICE, PV, STORAGE_CLASS, PDB, EVENT,
             NETWORK_POLICY, SECRET, ROLE_BINDING, STATEFULSET, INGRESS_NETWORK_POLICY, SCALED_OBJECT,
             SERVICE_MONITOR]


#: Members that are maps (``map[string]string``, quantities) in the API, not structs: a null
#: entry there is the key with Go's zero value, not an absent key (tested on its own below).
MAPS = frozenset({"labels", "annotations", "matchLabels", "nodeSelector", "data", "requests", "limits",
                  "capacity", "allocatable", "parameters", "volumeAttributes"})


def _is_map(path: tuple[Any, ...], doc: dict[str, Any]) -> bool:
    if path[:-1] and path[-2] in MAPS:
        return not (path[-2] == "metadata" or path[-3:-1] == ("triggers", 0))
    return doc["kind"] == "Service" and path[:-1] == ("spec", "selector")


def _member_paths(obj: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path to an object member (a dict key), at every depth, lists walked by index."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield (*prefix, key)
            yield from _member_paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from _member_paths(value, (*prefix, i))


def _field_paths(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [p for p in _member_paths(doc) if not _is_map(p, doc)]


def _edit(doc: dict[str, Any], paths: list[tuple[Any, ...]], *, null: bool) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    for path in sorted(paths, key=len, reverse=True):  # children before the parents that hold them
        parent: Any = out
        for step in path[:-1]:
            try:
                parent = parent[step]
            except (KeyError, IndexError, TypeError):
                break
        else:
            if isinstance(parent, dict) and path[-1] in parent:
                if null:
                    parent[path[-1]] = None
                else:
                    del parent[path[-1]]
    return out


def _write(tmp_path: Path, name: str, docs: list[dict[str, Any]], shape: str) -> Path:
    f = tmp_path / name
    if shape == "json-object":
        f = f.with_suffix(".json")
        f.write_text(json.dumps(docs[0]))
    elif shape == "json-list":
        f = f.with_suffix(".json")
        f.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}))
    elif shape == "yaml-documents":
        f = f.with_suffix(".yaml")
        f.write_text(yaml.safe_dump_all(docs))
    else:
        f = f.with_suffix(".yaml")
        f.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": docs}))
    return f


def _outcome(path: Path) -> ClusterState | str:
    try:
        return load_snapshot(path)
    except SnapshotError as exc:
        return f"{exc.obj}: {exc.problem}"


_SHAPES = st.sampled_from(["json-object", "json-list", "yaml-documents", "yaml-list"])


# --------------------------------------------------------------------------- null is absent


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), shape=_SHAPES)
def test_a_null_field_is_the_field_left_out(tmp_path: Path, data: st.DataObject, shape: str) -> None:
    doc = data.draw(st.sampled_from(MANIFESTS), label="manifest")
    paths = data.draw(st.lists(st.sampled_from(_field_paths(doc)), max_size=6, unique=True), label="paths")
    with_nulls = _write(tmp_path, "nulls", [_edit(doc, paths, null=True), SERVICE], shape)
    left_out = _write(tmp_path, "absent", [_edit(doc, paths, null=False), SERVICE], shape)

    nulls, absent = _outcome(with_nulls), _outcome(left_out)

    if isinstance(absent, ClusterState):
        assert isinstance(nulls, ClusterState), nulls
        for field in ("pods", "deployments", "nodes", "endpoints", "endpoint_slices", "services", "pvs",
                      "storage_classes", "pdbs", "events", "network_policies", "secrets", "role_bindings",
                      "statefulsets", "scaled_objects", "service_monitors"):
            assert getattr(nulls, field) == getattr(absent, field), field
        assert nulls.captured == absent.captured
    else:  # a required field left out is refused the same way, null or absent
        assert nulls == absent


def test_the_nulls_people_write_load_as_absent(tmp_path: Path) -> None:
    f = tmp_path / "manifests.yaml"
    f.write_text(
        """\
apiVersion: v1
kind: Node
metadata:
  name: n1
  labels:
  annotations:
spec:
status:
  conditions: null
---
apiVersion: v1
kind: Endpoints
metadata:
  name: api
  namespace: shop
subsets: null
---
apiVersion: v1
kind: Pod
metadata:
  name: api
  namespace: shop
  labels:
spec:
  containers:
  - name: api
    image: nginx:1.27
    args: null
    resources:
      requests:
      limits:
    readinessProbe:
status:
  conditions: null
  containerStatuses:
"""
    )
    c = load_snapshot(f)
    (node,) = c.nodes
    (ep,) = c.endpoints
    (pod,) = c.pods
    assert node.metadata.labels == {} and node.spec.taints == [] and node.status.conditions == []
    assert ep.subsets == []
    (container,) = pod.spec.containers
    assert container.resources.requests == {} and container.resources.limits == {}
    assert container.args == [] and container.readiness_probe is None
    assert pod.status.conditions == [] and pod.status.container_statuses == []


def test_a_null_map_entry_is_the_key_with_its_zero_value(tmp_path: Path) -> None:
    # Go's JSON decoding stores a null map value as the zero value: `disktype:` in a
    # nodeSelector selects nodes labelled disktype="" (it is not the selector left out)
    f = tmp_path / "pod.yaml"
    f.write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n  namespace: shop\n  labels:\n    app:\n"
                 "spec:\n  nodeSelector:\n    disktype:\n  containers:\n  - name: api\n    resources:\n"
                 "      requests:\n        cpu:\n        memory: 64Mi\n")
    (pod,) = load_snapshot(f).pods
    assert pod.metadata.labels == {"app": ""}
    assert pod.spec.node_selector == {"disktype": ""}
    assert pod.spec.containers[0].resources.requests == {"cpu": "0", "memory": "64Mi"}
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db", "namespace": "shop"},
              "data": {"password": None, "user": "YWRtaW4="}, "type": None}
    for name, text in (("secret.json", json.dumps(secret)), ("secret.yaml", yaml.safe_dump(secret))):
        (tmp_path / name).write_text(text)
        (s,) = load_snapshot(tmp_path / name).secrets
        assert (s.keys, s.type) == (("password", "user"), None)


def test_a_required_field_stays_required_when_null(tmp_path: Path) -> None:
    f = tmp_path / "pod.yaml"
    f.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: api, namespace: shop}\n"
                 "spec:\n  containers:\n  - name: null\n    image: nginx:1.27\n")
    with pytest.raises(SnapshotError) as info:
        load_snapshot(f)
    assert info.value.problem == "missing required field $.spec.containers[0].name"
    assert info.value.obj == "Pod/shop/api"


def test_yaml_keys_that_are_not_strings_become_strings(tmp_path: Path) -> None:
    f = tmp_path / "cm.yaml"
    f.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ports, namespace: shop}\n"
                 "data:\n  8080: http\n  true: 'yes'\n")
    (cm,) = load_snapshot(f).config_maps
    assert cm.data == {"8080": "http", "true": "yes"}


def test_without_nulls_keeps_list_items_and_falsy_values() -> None:
    assert without_nulls({"a": None, "b": [None, {"c": None, "d": 0}], "e": "", "f": False, 1: "x"}) == {
        "b": [None, {"d": 0}], "e": "", "f": False, "1": "x"}


def test_a_page_with_nulls_decodes_on_the_live_path(tmp_path: Path) -> None:
    body = json.dumps({"kind": "EndpointsList", "apiVersion": "v1", "metadata": {"resourceVersion": "7"},
                       "items": [{"metadata": {"name": "api", "namespace": "shop", "labels": None},
                                  "subsets": None}]}).encode()
    page = decode_page(body, KINDS_BY_NAME["Endpoints"], "GET /api/v1/endpoints")
    assert [(e.metadata.name, e.subsets, e.metadata.labels) for e in page.items] == [("api", [], {})]
    assert page.resource_version == "7"

    nulls = copy.deepcopy(POD)
    nulls["metadata"]["annotations"] = None
    nulls["status"]["conditions"] = None
    nulls["spec"]["containers"][0]["resources"]["limits"] = None
    with FakeApiServer([nulls]) as api:
        c = connect(kubeconfig=api.write_kubeconfig(tmp_path / "kubeconfig"))
    (pod,) = c.pods
    assert pod.metadata.annotations == {} and pod.status.conditions == []
    assert pod.spec.containers[0].resources.limits == {}
    assert pod.spec.containers[0].resources.requests == {"cpu": "250m", "memory": "256Mi"}


# --------------------------------------------------------------------------- kinds no rule reads

#: (apiVersion, kind) of custom resources and removed kinds found beside workloads in real
#: manifests: each is skipped and counted, never an error.
NOT_READ = [
    ("gateway.networking.k8s.io/v1", "GatewayClass"),
    ("gateway.networking.k8s.io/v1", "Gateway"),
    ("gateway.networking.k8s.io/v1", "HTTPRoute"),
    ("gateway.networking.k8s.io/v1", "GRPCRoute"),
    ("gateway.networking.k8s.io/v1beta1", "ReferenceGrant"),
    ("gateway.networking.k8s.io/v1alpha2", "TCPRoute"),
    ("autoscaling.k8s.io/v1", "VerticalPodAutoscaler"),
    ("snapshot.storage.k8s.io/v1", "VolumeSnapshot"),
    ("snapshot.storage.k8s.io/v1", "VolumeSnapshotClass"),
    ("cert-manager.io/v1", "Certificate"),
    ("cert-manager.io/v1", "ClusterIssuer"),
    ("monitoring.coreos.com/v1", "PodMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
    ("argoproj.io/v1alpha1", "Application"),
    ("argoproj.io/v1alpha1", "Rollout"),
    ("networking.istio.io/v1beta1", "VirtualService"),
    ("kustomize.config.k8s.io/v1beta1", "Kustomization"),
    ("metrics.k8s.io/v1beta1", "PodMetrics"),
    ("policy/v1beta1", "PodSecurityPolicy"),
    ("extensions/v1beta1", "PodSecurityPolicy"),
    ("settings.k8s.io/v1alpha1", "PodPreset"),
    ("admissionregistration.k8s.io/v1alpha1", "InitializerConfiguration"),
    ("apps/v1", "ControllerRevision"),
    ("v1", "LimitRange"),
    ("coordination.k8s.io/v1", "Lease"),
    ("flowcontrol.apiserver.k8s.io/v1beta3", "FlowSchema"),
]


def _cr(api_version: str, kind: str, name: str) -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": name, "namespace": "shop"}, "spec": {}}


@pytest.mark.parametrize(("api_version", "kind"), NOT_READ, ids=[f"{k}.{a}" for a, k in NOT_READ])
def test_a_kind_no_rule_reads_is_skipped_and_counted(tmp_path: Path, api_version: str, kind: str) -> None:
    f = tmp_path / "app.yaml"
    f.write_text(yaml.safe_dump_all([_cr(api_version, kind, "one"), DEPLOYMENT, _cr(api_version, kind, "two")]))
    c = load_snapshot(f)
    assert [d.metadata.name for d in c.deployments] == ["api"]
    assert c.ignored == {kind: 2}
    assert c.skipped_summary() == f"2 objects of kinds not read: {kind} (2)"


def test_the_report_names_what_was_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "app.yaml"
    f.write_text(yaml.safe_dump_all([
        DEPLOYMENT, SERVICE,
        _cr("gateway.networking.k8s.io/v1", "HTTPRoute", "api"),
        _cr("gateway.networking.k8s.io/v1", "HTTPRoute", "admin"),
        _cr("autoscaling.k8s.io/v1", "VerticalPodAutoscaler", "api"),
    ]))
    assert main(["scan", "--snapshot", str(f), "--cloud", "none", "--format", "json", "--fail-on", "critical"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["stats"]["skipped"] == {"HTTPRoute": 2, "VerticalPodAutoscaler": 1}
    assert report["stats"]["objects"]["Deployment"] == 1

    assert main(["scan", "--snapshot", str(f), "--cloud", "none", "--color", "never", "--fail-on", "critical"]) == 0
    text = capsys.readouterr().out
    assert "skipped  3 objects of kinds not read: HTTPRoute (2), VerticalPodAutoscaler (1)" in text


def test_a_file_of_custom_resources_only_scans_to_no_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "routes.yaml"
    f.write_text(yaml.safe_dump(_cr("gateway.networking.k8s.io/v1", "HTTPRoute", "api")))
    assert main(["scan", "--snapshot", str(f), "--cloud", "none", "--format", "json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["findings"] == [] and report["stats"]["skipped"] == {"HTTPRoute": 1}


@pytest.mark.parametrize(
    ("api_version", "kind"), [("v1", "Serviceee"), ("apps/v1", "Deploymentt"), ("batch/v1", "Jobb")]
)
def test_an_unknown_kind_in_a_core_or_legacy_group_is_still_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], api_version: str, kind: str
) -> None:
    f = tmp_path / "app.yaml"
    f.write_text(yaml.safe_dump_all([DEPLOYMENT, _cr(api_version, kind, "typo")]))
    assert main(["scan", "--snapshot", str(f), "--cloud", "none"]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"r2c: error: {f}: {kind}/shop/typo (document 2): unknown kind '{kind}' ({api_version})"


def test_a_kustomization_file_without_kind_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources:\n- deployment.yaml\nnamespace: shop\n")
    (tmp_path / "deployment.yaml").write_text(yaml.safe_dump(DEPLOYMENT))
    c = load_snapshot(tmp_path)
    assert c.ignored == {"Kustomization": 1}
    assert len(c.deployments) == 1


def test_nothing_recognisable_is_still_an_error(tmp_path: Path) -> None:
    f = tmp_path / "workflow.yaml"
    f.write_text("name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
                 "    steps:\n    - run: echo ${{ github.sha }}\n")
    with pytest.raises(SnapshotError) as info:
        load_snapshot(f)
    assert "object has no kind" in info.value.problem  # GitHub's ${{ }} is not a Go template


# --------------------------------------------------------------------------- namespaces


def _pod(name: str, namespace: str | None, **labels: str) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": {"app": name, **labels}}
    if namespace is not None:
        meta["namespace"] = namespace
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta,
            "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}


def test_two_pods_one_without_a_namespace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "pods.yaml"
    f.write_text(yaml.safe_dump_all([_pod("api", "team"), _pod("web", None)]))
    assert {(p.metadata.namespace, p.metadata.name) for p in load_snapshot(f).pods} == {("team", "api"), ("default", "web")}
    code = main(["scan", "--snapshot", str(f), "--cloud", "none", "--format", "json"])
    out = capsys.readouterr().out
    assert code in (0, 1)
    subjects = {(x["subject"]["kind"], x["subject"]["namespace"], x["subject"]["name"]) for x in json.loads(out)["findings"]}
    assert ("Pod", "default", "web") in subjects and ("Pod", "team", "api") in subjects


def _manifest_set(n: int) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """``n`` ordinary manifest files: half name a namespace, half do not; cluster-scoped
    objects beside them."""
    for i in range(n):
        ns = None if i % 2 else f"team-{i % 3}"
        meta: dict[str, Any] = {"name": f"app-{i}", "labels": {"app": f"app-{i}"}}
        if ns:
            meta["namespace"] = ns
        deployment = {
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": f"app-{i}"}},
                     "template": {"metadata": {"labels": {"app": f"app-{i}"}},
                                  "spec": {"containers": [{"name": "app", "image": f"registry.example.com/app-{i}:1"}]}}},
        }
        service = {"apiVersion": "v1", "kind": "Service", "metadata": dict(meta),
                   "spec": {"selector": {"app": f"app-{i}"}, "ports": [{"port": 80, "targetPort": 8080}]}}
        docs = [deployment, service, _pod(f"app-{i}-x{i}", ns, app=f"app-{i}")]
        if i % 5 == 0:
            docs.append({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": f"sc-{i}"},
                         "provisioner": "ebs.csi.aws.com", "volumeBindingMode": "Immediate"})
            docs.append({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": dict(meta),
                         "spec": {"storageClassName": f"sc-{i}", "resources": {"requests": {"storage": "1Gi"}}}})
        if i % 7 == 0:
            docs.append({"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
                         "metadata": {"name": f"prio-{i}"}, "value": 1000 + i})
        yield f"app-{i:02d}.yaml", docs


def test_thirty_manifest_files_scan_together(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for name, docs in _manifest_set(30):
        (tmp_path / name).write_text(yaml.safe_dump_all(docs))
    code = main(["scan", "--snapshot", str(tmp_path), "--cloud", "none", "--format", "json"])
    captured = capsys.readouterr()
    assert code in (0, 1), captured.err
    report = json.loads(captured.out)
    assert report["stats"]["objects"]["Deployment"] == 30
    cluster_scoped = {"StorageClass", "PriorityClass", "Node", "PersistentVolume", "Namespace", "ClusterRoleBinding"}
    for f in report["findings"]:
        subject = f["subject"]
        assert (subject["namespace"] is None) == (subject["kind"] in cluster_scoped), subject
    assert {f["subject"]["namespace"] for f in report["findings"]} >= {"default", "team-0", "team-1", "team-2"}


def test_object_refs_of_both_scopes_sort_together() -> None:
    refs = [ObjectRef("Pod", "team", "a"), ObjectRef("Pod", None, "b"), ObjectRef("Node", None, "n")]
    assert [str(r) for r in sorted(refs)] == ["Node/n", "Pod/b", "Pod/team/a"]


# --------------------------------------------------------------------------- templates

HELM = """\
{{- if .Values.serviceAccount.create }}
apiVersion: v1
kind: ServiceAccount
metadata:
  name: {{ include "app.serviceAccountName" . }}
{{- end }}
"""


def test_a_helm_template_is_named_as_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "serviceaccount.yaml"
    f.write_text(HELM)
    assert main(["scan", "--snapshot", str(f), "--cloud", "none"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.strip() == (
        f"r2c: error: {f}: a template, not a manifest (line 1: {{{{- if .Values.serviceAccount.create }}}}): "
        "render it first (`helm template`, `kustomize build`)"
    )


def test_a_template_that_parses_as_yaml_is_named_as_one(tmp_path: Path) -> None:
    f = tmp_path / "service.yaml"
    f.write_text("apiVersion: v1\nkind: Service\nmetadata:\n  name: api\nspec:\n  ports:\n"
                 "  - port: \"{{ .Values.service.port }}\"\n")
    with pytest.raises(SnapshotError) as info:
        load_snapshot(f)
    assert info.value.problem == (
        'a template, not a manifest (line 7: - port: "{{ .Values.service.port }}"): '
        "render it first (`helm template`, `kustomize build`)"
    )


def test_braces_inside_a_valid_manifest_are_just_text(tmp_path: Path) -> None:
    f = tmp_path / "alertmanager.yaml"
    f.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: alertmanager-templates, namespace: monitoring}\n"
                 "data:\n  slack.tmpl: '{{ define \"slack.title\" }}{{ .CommonLabels.alertname }}{{ end }}'\n")
    (cm,) = load_snapshot(f).config_maps
    assert cm.data["slack.tmpl"].startswith('{{ define "slack.title" }}')
