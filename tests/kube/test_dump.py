"""write_snapshot: a directory that load_snapshot reads back into the same objects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import msgspec
from apiserver import FakeApiServer, sample_objects
from factories import node, pod

from r2c_clouds.kube import snapshot
from r2c_clouds.kube._build import StateBuilder
from r2c_clouds.kube.dump import INFO_FILE, write_snapshot
from r2c_clouds.kube.kinds import KINDS, decoder, kind_for
from r2c_clouds.kube.live import connect
from r2c_clouds.model.cloud import CloudFacts, NotChecked
from r2c_clouds.model.cluster import ClusterState
from r2c_clouds.providers.recorded import FACTS_FILE, load_facts


def build(objs: list[dict[str, Any]], captured: list[str] | None = None, **kw: Any) -> ClusterState:
    """A ClusterState decoded from API-shaped dicts (JSON bytes, so Secrets decode too)."""
    b = StateBuilder(source=kw.pop("source", "test"), name=kw.pop("name", "test"))
    for obj in objs:
        ki = kind_for(obj["kind"])
        assert ki is not None
        b.add(ki, decoder(ki).decode(json.dumps(obj)))
    for kind in captured if captured is not None else [ki.kind for ki in KINDS]:
        b.mark_captured(kind)
    for nc in kw.pop("not_checked", ()):
        b.forbid(nc.what, nc.reason)
    return b.build()


def same_objects(a: ClusterState, b: ClusterState) -> None:
    assert a.captured == b.captured
    for ki in KINDS:
        assert getattr(a, ki.field) == getattr(b, ki.field), ki.kind


def test_round_trip_gives_the_same_objects(tmp_path: Path) -> None:
    cluster = build(sample_objects())

    write_snapshot(cluster, tmp_path / "snap")
    back = snapshot.load_snapshot(tmp_path / "snap")

    same_objects(cluster, back)
    assert back.not_checked == ()
    assert len(back.pods) == 14


def test_files_are_typed_lists_whose_items_carry_kind(tmp_path: Path) -> None:
    cluster = build([node("n1"), pod("p1", "shop")])

    files = write_snapshot(cluster, tmp_path)

    assert [f.name for f in files[:3]] == ["namespaces.json", "nodes.json", "pods.json"]
    assert files[-1].name == INFO_FILE
    doc = json.loads((tmp_path / "pods.json").read_text())
    assert doc["kind"] == "PodList" and doc["apiVersion"] == "v1"
    (item,) = doc["items"]
    assert item["kind"] == "Pod" and item["apiVersion"] == "v1"
    assert item["metadata"]["name"] == "p1" and item["spec"]["nodeName"] == "node-a"
    sc = json.loads((tmp_path / "storageclasses.json").read_text())
    assert sc == {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClassList", "metadata": {"resourceVersion": ""}, "items": []}


def test_empty_captured_kind_stays_captured_and_uncaptured_gets_no_file(tmp_path: Path) -> None:
    cluster = build([pod("p1")], captured=["Pod", "StorageClass"])

    files = write_snapshot(cluster, tmp_path)
    back = snapshot.load_snapshot(tmp_path)

    assert sorted(f.name for f in files) == ["pods.json", INFO_FILE, "storageclasses.json"]
    assert back.has("StorageClass") and back.storage_classes == ()
    assert not back.has("Node")
    same_objects(cluster, back)


def test_secret_values_are_never_written(tmp_path: Path) -> None:
    secret = {"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "db", "namespace": "shop"},
              "type": "Opaque", "data": {"password": "aHVudGVyMg==", "user": "YWRtaW4="}}
    cluster = build([secret])

    write_snapshot(cluster, tmp_path)
    back = snapshot.load_snapshot(tmp_path)

    text = (tmp_path / "secrets.json").read_text()
    assert "aHVudGVyMg==" not in text and "YWRtaW4=" not in text
    (item,) = json.loads(text)["items"]
    assert item["data"] == {"password": None, "user": None}
    assert back.secrets == cluster.secrets
    assert back.secrets[0].keys == ("password", "user")


def test_cloud_facts_are_recorded_beside_the_objects(tmp_path: Path) -> None:
    facts = CloudFacts(provider="aws", cluster_name="shop-prod", region="us-east-1")

    files = write_snapshot(build([node("n1")]), tmp_path, facts=facts)
    back = snapshot.load_snapshot(tmp_path)

    assert tmp_path / FACTS_FILE in files
    assert load_facts(tmp_path / FACTS_FILE) == facts
    assert back.cloud_facts_path == str(tmp_path / FACTS_FILE)


def test_no_cloud_facts_file_without_facts(tmp_path: Path) -> None:
    write_snapshot(build([node("n1")]), tmp_path)

    assert not (tmp_path / FACTS_FILE).exists()
    assert snapshot.load_snapshot(tmp_path).cloud_facts_path is None


def test_snapshot_info_says_where_it_came_from(tmp_path: Path) -> None:
    cluster = build(
        [node("n1")], captured=["Node"], source="context:prod", name="shop-prod",
        not_checked=[NotChecked("Secret", "forbidden: secrets is forbidden")],
    )

    write_snapshot(cluster, tmp_path)

    doc = json.loads((tmp_path / INFO_FILE).read_text())
    assert doc["kind"] == "List" and doc["items"] == []
    info = doc["snapshotInfo"]
    assert info["schema"] == "r2c_clouds/snapshot-info/v1"
    assert info["source"] == "context:prod" and info["name"] == "shop-prod"
    assert info["captured"] == ["Node"] and info["objects"] == {"Node": 1}
    assert info["notChecked"] == [{"what": "Secret", "reason": "forbidden: secrets is forbidden"}]
    assert info["files"] == ["nodes.json"]


def test_live_scan_round_trips_through_a_snapshot(tmp_path: Path) -> None:
    with FakeApiServer(sample_objects(), forbidden={"clusterrolebindings"}) as api:
        live = connect(kubeconfig=api.write_kubeconfig(tmp_path / "kubeconfig"))

    write_snapshot(live, tmp_path / "snap")
    back = snapshot.load_snapshot(tmp_path / "snap")

    same_objects(live, back)
    assert not back.has("ClusterRoleBinding")
    assert all(s.keys == () for s in back.secrets)  # live Secrets are metadata only


def test_writing_again_replaces_the_files(tmp_path: Path) -> None:
    write_snapshot(build([pod("old")], captured=["Pod"]), tmp_path)
    write_snapshot(build([pod("new")], captured=["Pod"]), tmp_path)

    back = snapshot.load_snapshot(tmp_path)

    assert [p.metadata.name for p in back.pods] == ["new"]
    assert not list(tmp_path.glob(".*.tmp"))


def test_dumped_items_decode_as_the_original_structs(tmp_path: Path) -> None:
    cluster = build(sample_objects())
    write_snapshot(cluster, tmp_path)

    for ki in KINDS:
        doc = msgspec.json.decode((tmp_path / f"{ki.plural}.json").read_bytes())
        assert len(doc["items"]) == len(getattr(cluster, ki.field)), ki.kind


def test_writing_again_removes_what_the_earlier_snapshot_wrote_and_this_one_does_not(tmp_path: Path) -> None:
    facts = CloudFacts(provider="aws", cluster_name="shop-prod", region="us-east-1")
    write_snapshot(build([node("n1"), pod("p1")], captured=["Node", "Pod"]), tmp_path, facts=facts)
    (tmp_path / "notes.json").write_text('{"kind": "List", "items": []}')

    write_snapshot(build([pod("p2")], captured=["Pod"]), tmp_path)
    back = snapshot.load_snapshot(tmp_path)

    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.json", "pods.json", INFO_FILE]
    assert not back.has("Node") and back.cloud_facts_path is None
    assert [p.metadata.name for p in back.pods] == ["p2"]
