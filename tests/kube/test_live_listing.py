"""The live reader against the fake API server: what it lists, how it pages, what it skips."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3
from apiserver import SECRET_VALUE_B64, FakeApiServer, sample_objects
from factories import pod

from r2c_clouds.errors import ClusterUnreachableError
from r2c_clouds.kube.kinds import KINDS, KINDS_BY_NAME, KindInfo, decoder
from r2c_clouds.kube.live import (
    ACCEPT_METADATA_ONLY,
    EXPIRED_RESTARTS,
    THROTTLE_RETRIES,
    connect,
    list_kinds,
)
from r2c_clouds.model import kube as k
from r2c_clouds.model.cloud import NotChecked
from r2c_clouds.model.cluster import ClusterState


@pytest.fixture
def api() -> Iterator[FakeApiServer]:
    with FakeApiServer(sample_objects(), record_bodies=True) as server:
        yield server


def scan(api: FakeApiServer, tmp_path: Path, **kwargs: Any) -> ClusterState:
    return connect(kubeconfig=api.write_kubeconfig(tmp_path / "kubeconfig"), **kwargs)


def expected(api: FakeApiServer, ki: KindInfo) -> tuple[Any, ...]:
    """What the served objects decode to (Secrets: metadata only, as they are listed)."""
    out = []
    for raw in api.objects(ki.plural):
        if ki.kind == "Secret":
            raw = {"metadata": raw["metadata"]}
        obj = decoder(ki).decode(json.dumps(raw))
        out.append(obj.to_secret() if isinstance(obj, k.SecretWire) else obj)
    return tuple(out)


def test_lists_every_kind_as_served(api: FakeApiServer, tmp_path: Path) -> None:
    cluster = scan(api, tmp_path)

    assert cluster.captured == {ki.kind for ki in KINDS}
    assert cluster.not_checked == ()
    for ki in KINDS:
        assert getattr(cluster, ki.field) == expected(api, ki), ki.kind
    assert len(cluster.pods) == 14 and len(cluster.nodes) == 4
    assert cluster.source == "context:fake" and cluster.name == "fake-cluster"
    assert cluster.server_version == "v1.31.2"


def test_every_kind_is_listed_cluster_wide(api: FakeApiServer, tmp_path: Path) -> None:
    scan(api, tmp_path)

    listed = {r.path for r in api.requests if r.path != "/version"}
    assert listed == {ki.path() for ki in KINDS}
    assert all("/namespaces/" not in p for p in listed)
    assert {r.query.get("limit") for r in api.requests if r.path != "/version"} == {"500"}


def test_only_get_requests_are_sent(api: FakeApiServer, tmp_path: Path) -> None:
    scan(api, tmp_path)

    assert api.methods == {"GET"}
    assert len(api.requests) == len(KINDS) + 1


def test_request_log_would_show_a_write(api: FakeApiServer) -> None:
    """Control for the test above: a non-GET request is recorded (and refused)."""
    resp = urllib3.request(
        "POST", f"{api.url}/api/v1/namespaces/shop/pods", body=b"{}",
        headers={"Authorization": f"Bearer {api.token}", "Content-Type": "application/json"},
    )

    assert resp.status == 405
    assert api.methods == {"POST"}


def test_secrets_are_listed_as_metadata_only(api: FakeApiServer, tmp_path: Path) -> None:
    cluster = scan(api, tmp_path)

    (req,) = api.requests_for("/api/v1/secrets")
    assert req.headers["Accept"] == ACCEPT_METADATA_ONLY
    assert req.served == "PartialObjectMetadataList"
    assert not any(SECRET_VALUE_B64.encode() in (r.body or b"") for r in api.requests)
    (secret,) = cluster.secrets
    assert secret.metadata.name == "orders-db-credentials"
    assert secret.keys == () and secret.type is None


def test_secret_value_is_served_without_the_metadata_header(api: FakeApiServer) -> None:
    """Control for the test above: the fake does serve values to a plain list request."""
    resp = urllib3.request(
        "GET", f"{api.url}/api/v1/secrets",
        headers={"Authorization": f"Bearer {api.token}", "Accept": "application/json"},
    )

    assert resp.status == 200
    assert SECRET_VALUE_B64.encode() in resp.data
    assert any(SECRET_VALUE_B64.encode() in (r.body or b"") for r in api.requests)


def test_pages_through_small_server_pages(tmp_path: Path) -> None:
    pods = [pod(f"web-{i:03d}", "web") for i in range(30)]
    with FakeApiServer(sample_objects() + pods, max_limit=7) as api:
        cluster = scan(api, tmp_path)

    names = [p.metadata.name for p in cluster.pods]
    assert len(names) == 44 and len(set(names)) == 44
    pages = api.requests_for("/api/v1/pods")
    assert len(pages) == 7  # 44 pods, 7 per page
    assert "continue" not in pages[0].query
    assert all(p.query.get("continue") for p in pages[1:])
    assert len({p.query.get("continue") for p in pages}) == 7


def test_one_page_when_everything_fits(api: FakeApiServer, tmp_path: Path) -> None:
    scan(api, tmp_path)

    (page,) = api.requests_for("/api/v1/pods")
    assert "continue" not in page.query


def test_expired_continue_restarts_the_list(tmp_path: Path) -> None:
    pods = [pod(f"web-{i:03d}", "web") for i in range(20)]
    with FakeApiServer(sample_objects() + pods, max_limit=7) as api:
        api.expire_continue("pods", times=1)
        cluster = scan(api, tmp_path)

    names = [p.metadata.name for p in cluster.pods]
    assert len(names) == 34 and len(set(names)) == 34
    assert "Pod" in cluster.captured and cluster.not_checked == ()
    statuses = [(r.status, "continue" in r.query) for r in api.requests_for("/api/v1/pods")]
    expired_at = statuses.index((410, True))
    assert statuses[expired_at + 1] == (200, False)  # restarted from the first page


def test_gives_up_on_a_kind_that_keeps_expiring(tmp_path: Path) -> None:
    pods = [pod(f"web-{i:03d}", "web") for i in range(20)]
    with FakeApiServer(sample_objects() + pods, max_limit=7) as api:
        api.expire_continue("pods", times=100)
        cluster = scan(api, tmp_path)

    assert "Pod" not in cluster.captured and cluster.pods == ()
    (nc,) = cluster.not_checked
    assert nc.what == "Pod" and nc.reason.startswith("expired:")
    assert "too old to display a consistent list result" in nc.reason
    first_pages = [r for r in api.requests_for("/api/v1/pods") if "continue" not in r.query]
    assert len(first_pages) == EXPIRED_RESTARTS + 1
    assert len(cluster.nodes) == 4  # the other kinds are unaffected


def test_forbidden_kinds_are_not_checked_and_the_scan_goes_on(tmp_path: Path) -> None:
    with FakeApiServer(sample_objects(), forbidden={"secrets", "clusterrolebindings"}) as api:
        cluster = scan(api, tmp_path)

    reasons = {nc.what: nc.reason for nc in cluster.not_checked}
    assert set(reasons) == {"Secret", "ClusterRoleBinding"}
    assert reasons["Secret"] == (
        'forbidden: secrets is forbidden: User "system:serviceaccount:r2c:reader" cannot list '
        'resource "secrets" in API group "" at the cluster scope'
    )
    assert "rbac.authorization.k8s.io" in reasons["ClusterRoleBinding"]
    assert not cluster.has("Secret") and not cluster.has("ClusterRoleBinding")
    assert cluster.secrets == () and cluster.cluster_role_bindings == ()
    assert cluster.has("Pod") and len(cluster.pods) == 14


def test_absent_crd_counts_as_captured_with_none(api: FakeApiServer, tmp_path: Path) -> None:
    cluster = scan(api, tmp_path)

    assert cluster.has("ScaledObject") and cluster.scaled_objects == ()
    assert cluster.has("ServiceMonitor") and cluster.service_monitors == ()
    (req,) = api.requests_for("/apis/keda.sh/v1alpha1/scaledobjects")
    assert req.status == 404


def test_installed_crd_objects_are_listed(tmp_path: Path) -> None:
    so = {
        "kind": "ScaledObject", "apiVersion": "keda.sh/v1alpha1",
        "metadata": {"name": "checkout", "namespace": "shop"},
        "spec": {"scaleTargetRef": {"name": "checkout"}, "minReplicaCount": 2, "maxReplicaCount": 20,
                 "triggers": [{"type": "prometheus", "metadata": {"threshold": "100"}}]},
    }
    with FakeApiServer([*sample_objects(), so]) as api:
        cluster = scan(api, tmp_path)

    (obj,) = cluster.scaled_objects
    assert obj.metadata.name == "checkout" and obj.spec.max_replica_count == 20
    assert cluster.service_monitors == () and cluster.has("ServiceMonitor")


def test_builtin_kind_the_server_does_not_serve(tmp_path: Path) -> None:
    with FakeApiServer(sample_objects(), missing={"endpointslices"}) as api:
        cluster = scan(api, tmp_path)

    (nc,) = cluster.not_checked
    assert nc.what == "EndpointSlice"
    assert nc.reason.startswith("not served by this API server (discovery.k8s.io/v1 endpointslices")
    assert not cluster.has("EndpointSlice")


def test_an_object_that_does_not_decode_is_skipped_not_the_kind(tmp_path: Path) -> None:
    good = {"kind": "ScaledObject", "metadata": {"name": "good", "namespace": "shop"}, "spec": {"minReplicaCount": 1}}
    bad = {"kind": "ScaledObject", "metadata": {"name": "odd", "namespace": "shop"}, "spec": {"minReplicaCount": "two"}}
    with FakeApiServer([*sample_objects(), good, bad]) as api:
        cluster = scan(api, tmp_path)

    assert [o.metadata.name for o in cluster.scaled_objects] == ["good"]
    assert cluster.has("ScaledObject")
    (nc,) = cluster.not_checked
    assert nc.what == "ScaledObject" and "1 object(s) skipped" in nc.reason and "shop/odd" in nc.reason


def test_progress_reports_each_kind(api: FakeApiServer, tmp_path: Path) -> None:
    messages: list[str] = []
    scan(api, tmp_path, progress=messages.append)

    assert len(messages) == len(KINDS)
    assert "listed 14 pods" in messages and "listed 4 nodes" in messages
    assert "scaledobjects: CRD not installed (none)" in messages


def test_progress_names_a_forbidden_kind(tmp_path: Path) -> None:
    messages: list[str] = []
    with FakeApiServer(sample_objects(), forbidden={"nodes"}) as api:
        scan(api, tmp_path, progress=messages.append)

    assert any(m.startswith("nodes: not listed (forbidden: ") for m in messages)
    assert "listed 4 nodes" not in messages


def test_public_connect_reaches_the_live_reader(api: FakeApiServer, tmp_path: Path) -> None:
    import r2c_clouds

    cluster = r2c_clouds.connect(kubeconfig=api.write_kubeconfig(tmp_path / "kc"))

    assert cluster.pods == expected(api, KINDS_BY_NAME["Pod"])


def test_importing_r2c_clouds_does_not_import_the_client() -> None:
    code = "import sys, r2c_clouds, r2c_clouds.kube.live; print('kubernetes' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "False"


def test_throttled_requests_are_retried(tmp_path: Path) -> None:
    with FakeApiServer(sample_objects(), throttle={"pods": 2}) as api:
        cluster = scan(api, tmp_path)

    assert len(cluster.pods) == 14 and cluster.not_checked == ()
    assert [r.status for r in api.requests_for("/api/v1/pods")] == [429, 429, 200]


def test_a_kind_throttled_for_too_long_is_not_checked(tmp_path: Path) -> None:
    with FakeApiServer(sample_objects(), throttle={"pods": 100}) as api:
        cluster = scan(api, tmp_path)

    (nc,) = cluster.not_checked
    assert nc == NotChecked("Pod", "server error 429 TooManyRequests: Too many requests, please try again later.")
    assert len(api.requests_for("/api/v1/pods")) == THROTTLE_RETRIES + 1
    assert len(cluster.nodes) == 4


def test_kinds_are_listed_concurrently(tmp_path: Path) -> None:
    with FakeApiServer(sample_objects(), slow={"nodes": 0.5, "pods": 0.5}) as api:
        scan(api, tmp_path)

    assert api.max_in_flight >= 2


def test_list_kinds_pages_with_the_limit_asked(api: FakeApiServer, tmp_path: Path) -> None:
    from kubernetes import config

    client = config.new_client_from_config(config_file=str(api.write_kubeconfig(tmp_path / "kc")))
    try:
        (res,) = list_kinds(client, [KINDS_BY_NAME["Pod"]], server=api.url, limit=4)
    finally:
        client.close()

    assert res.pages == 4 and len(res.items or ()) == 14
    assert [r.query["limit"] for r in api.requests_for("/api/v1/pods")] == ["4"] * 4


def test_a_big_cluster_is_frozen_out_of_the_gc(
    api: FakeApiServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("r2c_clouds._gc.FREEZE_AT", 10)
    before = gc.get_freeze_count()
    try:
        cluster = scan(api, tmp_path)
        assert gc.get_freeze_count() > before
        assert len(cluster.pods) == 14
    finally:
        gc.unfreeze()
    assert gc.isenabled()


def test_a_small_cluster_is_left_to_the_gc(api: FakeApiServer, tmp_path: Path) -> None:
    before = gc.get_freeze_count()

    scan(api, tmp_path)

    assert gc.get_freeze_count() == before
    assert gc.isenabled()


def test_the_gc_is_back_on_after_a_failure(tmp_path: Path) -> None:
    with FakeApiServer(sample_objects(), slow={"/version": 30.0}) as api, pytest.raises(ClusterUnreachableError):
        scan(api, tmp_path, timeout=0.3)

    assert gc.isenabled()
