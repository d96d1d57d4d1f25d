"""The live reader when the API server is slow, gone, or rejects the credentials."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest
from apiserver import FakeApiServer, sample_objects, write_kubeconfig

from r2c_clouds.errors import ClusterUnreachableError, UnreachableError
from r2c_clouds.kube.live import connect
from r2c_clouds.model.cloud import NotChecked


def test_slow_kind_past_the_deadline_is_not_checked_the_rest_is_read(tmp_path: Path) -> None:
    with FakeApiServer(sample_objects(), slow={"pods": 60.0}) as api:
        kc = api.write_kubeconfig(tmp_path / "kubeconfig")
        start = time.monotonic()
        cluster = connect(kubeconfig=kc, timeout=0.5)
        took = time.monotonic() - start

    (nc,) = cluster.not_checked
    assert nc == NotChecked(
        "Pod", "timeout: GET /api/v1/pods not finished when the 0.5 s deadline of the whole read passed"
    )
    assert not cluster.has("Pod") and cluster.has("Node") and len(cluster.nodes) == 4
    assert len(api.requests_for("/api/v1/pods")) == 1  # a timeout is not retried
    assert took < 3.5  # the 0.5 s deadline, plus a busy machine


def test_slow_kind_past_the_request_deadline_is_not_checked(tmp_path: Path) -> None:
    with FakeApiServer(sample_objects(), slow={"pods": 60.0}) as api:
        kc = api.write_kubeconfig(tmp_path / "kubeconfig")
        cluster = connect(kubeconfig=kc, request_timeout=0.5)

    assert cluster.not_checked == (
        NotChecked("Pod", "timeout: no complete answer to GET /api/v1/pods within 0.5 s (request deadline)"),
    )


def test_slow_endpoint_within_the_timeout_is_read(tmp_path: Path) -> None:
    with FakeApiServer(sample_objects(), slow={"pods": 0.3}) as api:
        cluster = connect(kubeconfig=api.write_kubeconfig(tmp_path / "kubeconfig"), timeout=10)

    assert len(cluster.pods) == 14


def test_slow_version_endpoint_fails_before_any_list(tmp_path: Path) -> None:
    with (
        FakeApiServer(sample_objects(), slow={"/version": 60.0}) as api,
        pytest.raises(ClusterUnreachableError) as info,
    ):
        connect(kubeconfig=api.write_kubeconfig(tmp_path / "kubeconfig"), timeout=0.3)

    err = info.value
    assert str(err) == (
        f"cannot reach the Kubernetes API server at {api.url}: "
        "GET /version not finished when the 0.3 s deadline of the whole read passed"
    )
    assert err.exit_code == 3 and isinstance(err, UnreachableError)
    assert err.remediation

    assert [r.path for r in api.requests] == ["/version"]


def _refused_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"  # nothing listens there any more


def test_refused_port_is_unreachable(tmp_path: Path) -> None:
    url = _refused_url()
    kc = write_kubeconfig(tmp_path / "kubeconfig", url)

    with pytest.raises(ClusterUnreachableError) as info:
        connect(kubeconfig=kc, timeout=2)

    assert str(info.value) == f"cannot reach the Kubernetes API server at {url}: connection refused"
    assert "\n" not in str(info.value)


def test_wrong_token_is_unauthorized(tmp_path: Path) -> None:
    with FakeApiServer(sample_objects()) as api:
        kc = api.write_kubeconfig(tmp_path / "kubeconfig", token="expired-token")
        with pytest.raises(ClusterUnreachableError) as info:
            connect(kubeconfig=kc)

    assert str(info.value) == f"unauthorized: credentials rejected by {api.url}"
    assert info.value.exit_code == 3
    assert [(r.path, r.status) for r in api.requests] == [("/version", 401)]


def test_right_token_is_authorized(tmp_path: Path) -> None:
    with FakeApiServer(sample_objects()) as api:
        connect(kubeconfig=api.write_kubeconfig(tmp_path / "kubeconfig"))

    assert {r.status for r in api.requests} == {200, 404}  # 404: the absent CRDs
    assert {r.headers["Authorization"] for r in api.requests} == {f"Bearer {api.token}"}
