"""load_snapshot on collected trees: kubectl cluster-info dump and troubleshoot.sh support bundles."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path

import pytest

from r2c_clouds.errors import SnapshotError
from r2c_clouds.kube import snapshot
from r2c_clouds.kube.kinds import KINDS
from r2c_clouds.kube.snapshot import load_snapshot

DATA = Path(__file__).parent.parent / "data" / "snapshots"
DUMP = DATA / "cluster-info-dump"
BUNDLE = DATA / "support-bundle"
BUNDLE_TOP = "support-bundle-2026-11-24T07_30_12"
DUMP_KINDS = {"Node", "Pod", "Event", "Service", "Deployment", "DaemonSet", "ReplicaSet"}


# --------------------------------------------------------------------------- cluster-info dump


def test_cluster_info_dump_reads_the_kinds_it_holds() -> None:
    c = load_snapshot(DUMP)
    assert c.captured == DUMP_KINDS
    assert len(c.pods) == 4 and len(c.nodes) == 2 and len(c.events) == 1
    assert {p.metadata.namespace for p in c.pods} == {"shop", "kube-system"}
    assert len(c.replica_sets) == 1
    assert c.ignored == {}  # ReplicationControllerLists are empty


def test_cluster_info_dump_reports_missing_kinds_as_not_captured_never_zero() -> None:
    c = load_snapshot(DUMP)
    reasons = {nc.what: nc.reason for nc in c.not_checked}
    missing = {ki.kind for ki in KINDS} - DUMP_KINDS
    assert set(reasons) == missing
    for kind in ("PersistentVolume", "StorageClass", "StatefulSet", "Namespace", "PersistentVolumeClaim"):
        assert reasons[kind] == f"not captured: kubectl cluster-info dump does not include {kind}"
        assert not c.has(kind)


def test_cluster_info_dump_does_not_synthesize_namespaces_from_directory_names() -> None:
    c = load_snapshot(DUMP)
    assert c.namespaces == ()
    assert not c.has("Namespace")


def test_cluster_info_dump_skips_pod_logs() -> None:
    assert (DUMP / "shop" / "orders-db-0" / "logs.txt").read_text().startswith("==== START logs")
    load_snapshot(DUMP)  # the logs are not JSON; reading them would fail


def test_plain_directory_is_not_mistaken_for_a_dump() -> None:
    c = load_snapshot(DATA / "dir")
    assert c.not_checked == ()


# --------------------------------------------------------------------------- support bundle (directory)


def test_bundle_directory_reads_cluster_resources_with_file_name_quirks() -> None:
    c = load_snapshot(BUNDLE)
    assert len(c.storage_classes) == 1        # storage-classes.json
    assert len(c.priority_classes) == 1       # priorityclasses.json
    assert len(c.cluster_role_bindings) == 1  # clusterRoleBindings.json (older spelling)
    assert len(c.ingresses) == 1              # ingress/<ns>.json
    assert len(c.network_policies) == 1       # network-policy/<ns>.json
    assert len(c.pdbs) == 1                   # pod-disruption-budgets/<ns>.json
    assert len(c.pvcs) == 1 and len(c.pvs) == 1
    assert len(c.namespaces) == 2 and len(c.pods) == 4 and len(c.statefulsets) == 1


def test_bundle_reads_scaled_objects_and_ignores_other_custom_resources() -> None:
    c = load_snapshot(BUNDLE)
    assert [s.metadata.name for s in c.scaled_objects] == ["api"]
    assert c.ignored["Certificate"] == 1
    # CRDs were listed, so no ServiceMonitor file means none exist
    assert c.has("ServiceMonitor") and c.service_monitors == ()


def test_bundle_errors_file_marks_kind_forbidden() -> None:
    c = load_snapshot(BUNDLE)
    reasons = {nc.what: nc.reason for nc in c.not_checked}
    assert reasons["ServiceAccount"].startswith(
        'forbidden: serviceaccounts is forbidden: User "system:serviceaccount:default:troubleshoot" cannot list'
    )
    assert not c.has("ServiceAccount")


def test_bundle_kinds_it_lacks_are_not_captured() -> None:
    c = load_snapshot(BUNDLE)
    reasons = {nc.what: nc.reason for nc in c.not_checked}
    assert reasons["Secret"] == "not captured: support bundle does not include Secret"
    assert reasons["DaemonSet"] == "not captured: support bundle does not include DaemonSet"
    assert "Pod" not in reasons and "StorageClass" not in reasons


def test_bundle_cloud_facts_and_server_version() -> None:
    c = load_snapshot(BUNDLE)
    assert c.cloud_facts_path == str(BUNDLE / BUNDLE_TOP / "cloud-facts.json")
    assert c.server_version == "v1.31.2-eks-7f9249a"


def test_bundle_never_reads_image_pull_secrets_auth_cani_or_logs(tmp_path: Path) -> None:
    root = tmp_path / "bundle"
    shutil.copytree(BUNDLE, root)
    cr = root / BUNDLE_TOP / "cluster-resources"
    for junk in ("image-pull-secrets/shop/regcred.json", "auth-cani-list/shop.json", "pods/logs/shop/x.json"):
        (cr / junk).parent.mkdir(parents=True, exist_ok=True)
        (cr / junk).write_text("{ this is not json")
    assert len(load_snapshot(root).pods) == 4


def test_bundle_errors_as_object_by_namespace_from_older_troubleshoot(tmp_path: Path) -> None:
    root = tmp_path / "bundle"
    shutil.copytree(BUNDLE, root)
    cr = root / BUNDLE_TOP / "cluster-resources"
    (cr / "pvcs-errors.json").write_text(json.dumps({
        "payments": 'persistentvolumeclaims is forbidden: User "support" cannot list resource '
                    '"persistentvolumeclaims" in API group "" in the namespace "payments"',
    }))
    reasons = {nc.what: nc.reason for nc in load_snapshot(root).not_checked}
    assert reasons["PersistentVolumeClaim"].startswith("forbidden: persistentvolumeclaims is forbidden")


def test_custom_resources_errors_name_the_kind_from_the_message(tmp_path: Path) -> None:
    root = tmp_path / "bundle"
    shutil.copytree(BUNDLE, root)
    cr = root / BUNDLE_TOP / "cluster-resources" / "custom-resources"
    shutil.rmtree(cr / "scaledobjects.keda.sh")
    (cr / "custom-resources-errors.json").write_text(json.dumps([
        'scaledobjects.keda.sh is forbidden: User "support" cannot list resource "scaledobjects" '
        'in API group "keda.sh" at the cluster scope',
    ]))
    c = load_snapshot(root)
    reasons = {nc.what: nc.reason for nc in c.not_checked}
    assert reasons["ScaledObject"].startswith("forbidden: scaledobjects.keda.sh is forbidden")
    assert not c.has("ScaledObject")


def test_bundle_with_bare_arrays_from_older_troubleshoot(tmp_path: Path) -> None:
    cr = tmp_path / "bundle" / "cluster-resources"
    (cr / "pods").mkdir(parents=True)
    items = json.loads((DATA / "kubectl" / "podlist-raw.json").read_bytes())["items"]
    (cr / "pods" / "shop.json").write_text(json.dumps(items, indent=2))  # `.Items` only, no kinds
    (cr / "storage-classes.json").write_text("[]")
    c = load_snapshot(tmp_path / "bundle")
    assert len(c.pods) == 4
    assert c.has("StorageClass") and c.storage_classes == ()


# --------------------------------------------------------------------------- support bundle (.tar.gz)


def _tar_dir(src: Path, dest: Path) -> Path:
    with tarfile.open(dest, "w:gz") as tf:
        tf.add(src, arcname=src.name)
    return dest


def test_bundle_archive_loads_like_the_directory(tmp_path: Path) -> None:
    archive = _tar_dir(BUNDLE / BUNDLE_TOP, tmp_path / f"{BUNDLE_TOP}.tar.gz")
    from_tar = load_snapshot(archive)
    from_dir = load_snapshot(BUNDLE)
    assert from_tar.name == BUNDLE_TOP
    assert from_tar.captured == from_dir.captured
    assert from_tar.pods == from_dir.pods
    assert {(n.what, n.reason) for n in from_tar.not_checked} == {(n.what, n.reason) for n in from_dir.not_checked}
    assert from_tar.cloud_facts_path == f"{archive}:{BUNDLE_TOP}/cloud-facts.json"
    assert not (tmp_path / BUNDLE_TOP).exists()  # nothing extracted


def test_bundle_archive_inside_a_directory(tmp_path: Path) -> None:
    d = tmp_path / "incident-4711"
    d.mkdir()
    _tar_dir(BUNDLE / BUNDLE_TOP, d / f"{BUNDLE_TOP}.tgz")
    assert len(load_snapshot(d).pods) == 4


def _add(tf: tarfile.TarFile, name: str, data: bytes, **attrs: object) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    for key, value in attrs.items():
        setattr(info, key, value)
    tf.addfile(info, io.BytesIO(data))


def test_bundle_archive_skips_path_traversal_and_links(tmp_path: Path) -> None:
    pods = (DATA / "kubectl" / "podlist-raw.json").read_bytes()
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        _add(tf, "b/cluster-resources/pods/shop.json", pods)
        _add(tf, "../../etc/cluster-resources/nodes.json", b"{ not json")
        _add(tf, "/abs/cluster-resources/nodes.json", b"{ not json")
        _add(tf, "b/cluster-resources/pvs.json", b"", type=tarfile.SYMTYPE, linkname="/etc/passwd")
    c = load_snapshot(archive)
    assert len(c.pods) == 4
    assert not c.has("Node") and not c.has("PersistentVolume")
    assert not (tmp_path.parent / "etc").exists()


def test_bundle_archive_refuses_huge_members(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = _tar_dir(BUNDLE / BUNDLE_TOP, tmp_path / "bundle.tar.gz")
    monkeypatch.setattr(snapshot, "MAX_MEMBER_BYTES", 1024)
    with pytest.raises(SnapshotError, match="archive member too large") as err:
        load_snapshot(archive)
    assert str(archive) in str(err.value)


def test_corrupt_archive_is_a_snapshot_error(tmp_path: Path) -> None:
    archive = tmp_path / "bundle.tar.gz"
    archive.write_bytes(b"\x1f\x8b\x08\x00" + b"garbage" * 40)
    with pytest.raises(SnapshotError, match=r"not a readable \.tar\.gz archive") as err:
        load_snapshot(archive)
    assert "\n" not in str(err.value)


# --------------------------------------------------------------------------- r2c snapshot output


@pytest.mark.parametrize("source", [DATA / "kubectl" / "list-mixed.json", DUMP, BUNDLE])
def test_r2c_snapshot_directory_round_trips(tmp_path: Path, source: Path) -> None:
    from r2c_clouds.kube.dump import write_snapshot

    original = load_snapshot(source)
    write_snapshot(original, tmp_path / "out")
    again = load_snapshot(tmp_path / "out")
    assert again.captured == original.captured
    assert again.name == original.name
    assert again.server_version == original.server_version
    assert {(n.what, n.reason) for n in again.not_checked} == {(n.what, n.reason) for n in original.not_checked}
    for ki in KINDS:
        assert getattr(again, ki.field) == getattr(original, ki.field), ki.kind


def test_cloud_facts_in_a_subdirectory_is_not_read_as_objects(tmp_path: Path) -> None:
    shutil.copy(DATA / "kubectl" / "pods-array.json", tmp_path / "pods.json")
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "cloud-facts.json").write_text('{"schema": "r2c_clouds/cloud-facts/v1", "facts": {}}')
    c = load_snapshot(tmp_path)
    assert c.cloud_facts_path is None and len(c.pods) == 4
