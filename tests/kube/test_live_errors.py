"""The live reader when the API server is slow, gone, or rejects the credentials."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from apiserver import FakeApiServer, sample_objects, write_kubeconfig

from r2c_clouds.errors import ClusterUnreachableError, UnreachableError
from r2c_clouds.kube.live import connect


def test_slow_endpoint_with_a_short_timeout_is_unreachable(tmp_path: Path) -> None:
    with FakeApiServer(sample_objects(), slow={"pods": 60.0}) as api:
        kc = api.write_kubeconfig(tmp_path / "kubeconfig")
        with pytest.raises(ClusterUnreachableError) as info:
            connect(kubeconfig=kc, timeout=0.5)

    err = info.value
    assert str(err) == f"cannot reach the Kubernetes API server at {api.url}: no answer within 0.5 s (read timeout)"
    assert err.exit_code == 3 and isinstance(err, UnreachableError)
    assert err.remediation
    assert len(api.requests_for("/api/v1/pods")) == 1  # a read timeout is not retried


def test_slow_endpoint_within_the_timeout_is_read(tmp_path: Path) -> None:
    with FakeApiServer(sample_objects(), slow={"pods": 0.3}) as api:
        cluster = connect(kubeconfig=api.write_kubeconfig(tmp_path / "kubeconfig"), timeout=10)

    assert len(cluster.pods) == 14


def test_slow_version_endpoint_fails_before_any_list(tmp_path: Path) -> None:
    with (
        FakeApiServer(sample_objects(), slow={"/version": 60.0}) as api,
        pytest.raises(ClusterUnreachableError, match="read timeout"),
    ):
        connect(kubeconfig=api.write_kubeconfig(tmp_path / "kubeconfig"), timeout=0.3)

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
