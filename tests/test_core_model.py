"""The core model: quantities, ClusterState indexes, finding ids, severities, refs."""

from __future__ import annotations

import attrs
import msgspec
import pytest
from factories import cluster, container, event, meta, node, pod

from r2c_clouds.model import kube as k
from r2c_clouds.model.cluster import node_zone, selector_matches
from r2c_clouds.model.findings import ObjectRef, Severity, finding_id


@pytest.mark.parametrize(
    ("text", "value"),
    [("250m", 0.25), ("2", 2.0), (1, 1.0), (0.5, 0.5), ("1Gi", 2**30), ("512Mi", 512 * 2**20),
     ("1G", 1e9), ("100k", 1e5), ("1.5", 1.5), ("1e3", 1000.0)],
)
def test_parse_quantity(text: k.Quantity, value: float) -> None:
    assert k.parse_quantity(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "abc", "1Xi", "--1"])
def test_parse_quantity_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError, match="quantity"):
        k.parse_quantity(text)


def test_wire_structs_are_immutable_and_camel_case() -> None:
    p = msgspec.json.decode(
        b'{"metadata":{"name":"a","namespace":"ns"},"spec":{"nodeName":"n1","containers":[{"name":"c"}]},'
        b'"status":{"podIP":"10.0.0.1","hostIP":"10.0.1.1"}}',
        type=k.Pod,
    )
    assert (p.spec.node_name, p.status.pod_ip, p.status.host_ip) == ("n1", "10.0.0.1", "10.0.1.1")
    with pytest.raises(AttributeError):
        p.spec = k.PodSpec()  # type: ignore[misc]


def test_missing_name_is_a_validation_error_with_a_path() -> None:
    with pytest.raises(msgspec.ValidationError, match=r"\$\.metadata"):
        msgspec.json.decode(b'{"metadata":{}}', type=k.Pod)


def test_secret_wire_keeps_key_names_only() -> None:
    wire = msgspec.json.decode(
        b'{"metadata":{"name":"s","namespace":"ns"},"type":"Opaque","data":{"password":"aHVudGVyMg=="}}',
        type=k.SecretWire,
    )
    secret = wire.to_secret()
    assert secret.keys == ("password",)
    assert "aHVudGVyMg" not in repr(secret)


def test_cluster_indexes() -> None:
    c = cluster([
        node("n1", "us-east-1a"), node("n2", "us-east-1b"),
        pod("api-7d9f8b6c5-abcde", "shop", node_name="n1", owner=("ReplicaSet", "api-7d9f8b6c5")),
        pod("db-0", "shop", node_name="n2", owner=("StatefulSet", "db")),
        {"kind": "Deployment", "apiVersion": "apps/v1", "metadata": meta("api", "shop"), "spec": {"replicas": 1}},
        event("e1", "shop", ("Pod", "db-0"), "Started", "Started container", type="Normal", time="2026-11-25T09:02:00Z"),
        event("e0", "shop", ("Pod", "db-0"), "Pulled", "Pulled", type="Normal", time="2026-11-25T09:01:00Z"),
    ])
    assert [p.metadata.name for p in c.pods_by_node["n1"]] == ["api-7d9f8b6c5-abcde"]
    assert set(c.nodes_by_zone) == {"us-east-1a", "us-east-1b"}
    assert node_zone(c.nodes_by_name["n2"]) == "us-east-1b"
    api = c.pods_by_key[("shop", "api-7d9f8b6c5-abcde")]
    assert c.owner_of(api) == ObjectRef("Deployment", "shop", "api")
    assert ("shop", "Deployment", "api") in c.pods_by_owner
    assert c.owner_of(c.pods_by_key[("shop", "db-0")]) == ObjectRef("StatefulSet", "shop", "db")
    assert [e.reason for e in c.events_for("Pod", "shop", "db-0")] == ["Pulled", "Started"]


def test_pvc_to_pv_and_default_storage_class() -> None:
    c = cluster([
        {"kind": "StorageClass", "apiVersion": "storage.k8s.io/v1",
         "metadata": meta("gp3", None, annotations={"storageclass.kubernetes.io/is-default-class": "true"}),
         "provisioner": "ebs.csi.aws.com", "volumeBindingMode": "WaitForFirstConsumer"},
        {"kind": "PersistentVolumeClaim", "apiVersion": "v1", "metadata": meta("data", "shop"),
         "spec": {"volumeName": "pv-1", "accessModes": ["ReadWriteOnce"]}, "status": {"phase": "Bound"}},
        {"kind": "PersistentVolume", "apiVersion": "v1", "metadata": meta("pv-1", None),
         "spec": {"csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-1"},
                  "claimRef": {"namespace": "shop", "name": "data"}}},
    ])
    pv = c.pv_for_claim("shop", "data")
    assert pv is not None and pv.spec.csi is not None and pv.spec.csi.volume_handle == "vol-1"
    sc = c.storage_class_of(c.pvcs_by_key[("shop", "data")])
    assert sc is not None and sc.metadata.name == "gp3"
    assert c.pv_for_claim("shop", "nope") is None


def test_selector_matches_expressions() -> None:
    sel = k.LabelSelector(
        match_labels={"app": "api"},
        match_expressions=[k.LabelSelectorRequirement(key="tier", operator="In", values=["web", "api"]),
                           k.LabelSelectorRequirement(key="canary", operator="DoesNotExist")],
    )
    assert selector_matches(sel, {"app": "api", "tier": "web"})
    assert not selector_matches(sel, {"app": "api", "tier": "db"})
    assert not selector_matches(sel, {"app": "api", "tier": "web", "canary": "1"})
    assert selector_matches(k.LabelSelector(), {"any": "thing"})
    assert not selector_matches(None, {"any": "thing"})


def test_has_distinguishes_not_captured_from_empty() -> None:
    c = cluster([pod("p")], captured=("Pod",))
    assert c.has("Pod") and not c.has("PersistentVolume")
    assert c.object_counts() == {"Pod": 1}


def test_finding_ids_are_stable_and_distinct() -> None:
    ref = ObjectRef("Pod", "shop", "api")
    assert finding_id("compute.unschedulable", ref) == finding_id("compute.unschedulable", ref)
    assert finding_id("compute.unschedulable", ref) != finding_id("compute.fragmentation", ref)
    assert len(finding_id("x.y", ref)) == 12


def test_object_ref_parse_and_str() -> None:
    assert str(ObjectRef.parse("Pod/shop/api")) == "Pod/shop/api"
    assert ObjectRef.parse("StorageClass/gp2") == ObjectRef("StorageClass", None, "gp2")
    for bad in ("Pod", "Pod//x", "a/b/c/d", ""):
        with pytest.raises(ValueError, match="KIND"):
            ObjectRef.parse(bad)


def test_severity_order_and_parse() -> None:
    assert Severity.parse("High") is Severity.HIGH > Severity.MEDIUM
    with pytest.raises(ValueError, match="unknown severity"):
        Severity.parse("urgent")


def test_container_defaults_do_not_leak_between_instances() -> None:
    a = msgspec.convert({"name": "a"}, k.Container)
    b = msgspec.convert({"name": "b", "env": [{"name": "X", "value": "1"}]}, k.Container)
    assert a.env == [] and len(b.env) == 1
    assert attrs.has(type(ObjectRef("a", None, "b")))
    assert container()["resources"]["requests"]["cpu"] == "100m"


def test_every_kind_read_has_its_cluster_state_attribute() -> None:
    """The model owns the kind → attribute table; the reader's rows take it from there."""
    import attrs

    from r2c_clouds.kube.kinds import KINDS
    from r2c_clouds.model.cluster import KIND_FIELDS, ClusterState

    assert [ki.kind for ki in KINDS] == list(KIND_FIELDS)
    names = {a.name for a in attrs.fields(ClusterState)}
    assert all(ki.field in names for ki in KINDS)
