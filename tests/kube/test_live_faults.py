"""The live reader against a misbehaving API server: each fault of the fake's fault injection,
what the scan makes of it (retried and read / not checked with the reason / a one-line
error, exit 3) and that it ends in bounded time (small deadlines keep this file fast)."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest
import urllib3
from apiserver import FakeApiServer, Fault, sample_objects, write_kubeconfig
from factories import pod

import r2c_clouds.kube.live as live
from r2c_clouds.errors import BadInputError, ClusterUnreachableError, UnreachableError
from r2c_clouds.kube.kinds import KINDS
from r2c_clouds.kube.live import ATTEMPTS, connect
from r2c_clouds.model.cluster import ClusterState

PODS = "/api/v1/pods"
#: Seconds a run may take beyond its deadlines and waits (a busy CI machine), far below the
#: 60 s request deadline that a missed deadline would show.
SLACK = 3.0
N_PODS = sum(1 for o in sample_objects() if o["kind"] == "Pod")


@pytest.fixture(autouse=True)
def quick_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries wait 20-40 ms instead of 0.25-4 s (the policy is the same)."""
    monkeypatch.setattr(live, "BACKOFF_BASE", 0.02)


class Clock:
    def __init__(self) -> None:
        self.start = time.monotonic()

    @property
    def took(self) -> float:
        return time.monotonic() - self.start


@pytest.fixture
def clock() -> Clock:
    return Clock()


def scan(faults: dict[str, Any], tmp_path: Path, **kwargs: Any) -> tuple[FakeApiServer, ClusterState]:
    objs = kwargs.pop("objects", None) or sample_objects()
    with FakeApiServer(objs, faults=faults, max_limit=kwargs.pop("max_limit", None)) as api:
        cluster = connect(kubeconfig=api.write_kubeconfig(tmp_path / "kubeconfig"), **kwargs)
    return api, cluster


def statuses(api: FakeApiServer, path: str = PODS) -> list[tuple[int, str]]:
    return [(r.status, r.served) for r in api.requests_for(path)]


def only_pods_not_checked(cluster: ClusterState) -> str:
    """The reason Pod is not checked, asserting the rest was read."""
    (nc,) = cluster.not_checked
    assert nc.what == "Pod" and "\n" not in nc.reason
    assert not cluster.has("Pod") and cluster.pods == ()
    assert cluster.has("Node") and len(cluster.nodes) == 4
    return nc.reason


# --------------------------------------------------------------------------- status codes


def test_503_with_retry_after_is_retried_after_the_wait(tmp_path: Path, clock: Clock) -> None:
    api, cluster = scan({"pods": [Fault.error(503, retry_after=1)]}, tmp_path)

    assert len(cluster.pods) == N_PODS and cluster.not_checked == ()
    assert statuses(api) == [(503, "fault:error"), (200, "PodList")]
    first, second = api.requests_for(PODS)
    assert second.at - first.at >= 0.95  # Retry-After: 1 honoured
    assert clock.took < 1.0 + SLACK


def test_504_with_retry_after_is_retried(tmp_path: Path, clock: Clock) -> None:
    api, cluster = scan({"pods": [Fault.error(504, retry_after=0)] * 2}, tmp_path)

    assert len(cluster.pods) == N_PODS and cluster.not_checked == ()
    assert [s for s, _ in statuses(api)] == [504, 504, 200]
    assert clock.took < SLACK


def test_retry_after_is_capped(tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "RETRY_AFTER_CAP", 0.3)
    api, cluster = scan({"pods": [Fault.error(503, retry_after=3600)]}, tmp_path)

    assert len(cluster.pods) == N_PODS
    first, second = api.requests_for(PODS)
    assert 0.28 <= second.at - first.at < 1.5
    assert clock.took < 0.3 + SLACK


def test_5xx_retries_are_bounded_in_attempts(tmp_path: Path, clock: Clock) -> None:
    api, cluster = scan({"pods": Fault.error(503, retry_after=0)}, tmp_path)

    assert only_pods_not_checked(cluster) == "server error 503 ServiceUnavailable: injected fault: HTTP 503"
    assert len(api.requests_for(PODS)) == ATTEMPTS
    assert clock.took < SLACK


def test_retries_stop_at_the_whole_read_deadline(tmp_path: Path, clock: Clock) -> None:
    api, cluster = scan({"pods": Fault.error(503, retry_after=1)}, tmp_path, timeout=1.5)

    assert only_pods_not_checked(cluster).startswith("server error 503 ServiceUnavailable")
    assert len(api.requests_for(PODS)) == 2  # a third try would start after the deadline
    assert clock.took < 1.5 + SLACK


def test_503_without_retry_after_is_not_retried(tmp_path: Path) -> None:
    """As client-go: a 5xx is retried only when the server says when to come back."""
    api, cluster = scan({"pods": Fault.error(503)}, tmp_path)

    assert only_pods_not_checked(cluster) == "server error 503 ServiceUnavailable: injected fault: HTTP 503"
    assert len(api.requests_for(PODS)) == 1


def test_500_is_not_checked_with_its_reason_never_empty(tmp_path: Path) -> None:
    api, cluster = scan({"pods": Fault.error(500, message="etcdserver: leader changed")}, tmp_path)

    assert only_pods_not_checked(cluster) == "server error 500 InternalError: etcdserver: leader changed"
    assert len(api.requests_for(PODS)) == 1


def test_410_on_a_continue_restarts_the_list(tmp_path: Path) -> None:
    pods = [pod(f"web-{i:03d}", "web") for i in range(20)]
    api, cluster = scan({"pods": [None, Fault.expired()]}, tmp_path, objects=sample_objects() + pods, max_limit=7)

    assert len(cluster.pods) == N_PODS + 20 and cluster.not_checked == ()
    reqs = api.requests_for(PODS)
    assert reqs[1].status == 410 and "continue" in reqs[1].query
    assert "continue" not in reqs[2].query  # restarted from the first page


def test_410_on_the_first_page_is_not_checked(tmp_path: Path) -> None:
    _, cluster = scan({"pods": Fault.expired()}, tmp_path)

    assert only_pods_not_checked(cluster).startswith("expired: The provided continue parameter is too old")


# --------------------------------------------------------------------------- dropped connections


def test_connection_reset_mid_body_is_retried(tmp_path: Path, clock: Clock) -> None:
    api, cluster = scan({"pods": [Fault.reset()]}, tmp_path)

    assert len(cluster.pods) == N_PODS and cluster.not_checked == ()
    assert statuses(api) == [(200, "fault:reset"), (200, "PodList")]
    assert clock.took < SLACK


def test_connection_reset_before_the_answer_is_retried(tmp_path: Path) -> None:
    api, cluster = scan({"pods": [Fault.reset(0), Fault.reset(0)]}, tmp_path)

    assert len(cluster.pods) == N_PODS and cluster.not_checked == ()
    assert len(api.requests_for(PODS)) == 3


def test_reset_on_version_is_retried(tmp_path: Path) -> None:
    api, cluster = scan({"/version": [Fault.reset(0)]}, tmp_path)

    assert cluster.server_version == "v1.31.2" and cluster.not_checked == ()
    assert len(api.requests_for("/version")) == 2


def test_truncated_body_is_retried(tmp_path: Path) -> None:
    api, cluster = scan({"pods": [Fault.truncated()]}, tmp_path)

    assert len(cluster.pods) == N_PODS and cluster.not_checked == ()
    assert statuses(api) == [(200, "fault:truncated"), (200, "PodList")]


def test_a_kind_that_keeps_dropping_is_not_checked(tmp_path: Path, clock: Clock) -> None:
    api, cluster = scan({"pods": Fault.reset()}, tmp_path)

    reason = only_pods_not_checked(cluster)
    assert reason == f"connection dropped: GET {PODS} failed {ATTEMPTS} attempts (connection reset by peer)"
    assert len(api.requests_for(PODS)) == ATTEMPTS
    assert clock.took < SLACK


def test_a_kind_always_truncated_is_not_checked(tmp_path: Path) -> None:
    _, cluster = scan({"pods": Fault.truncated()}, tmp_path)

    reason = only_pods_not_checked(cluster)
    assert reason.startswith(f"connection dropped: GET {PODS} failed {ATTEMPTS} attempts (answer cut short after ")
    assert reason.endswith(" more expected)")


def test_version_that_keeps_dropping_is_unreachable(tmp_path: Path) -> None:
    with (
        FakeApiServer(sample_objects(), faults={"/version": Fault.reset(0)}) as api,
        pytest.raises(ClusterUnreachableError) as info,
    ):
        connect(kubeconfig=api.write_kubeconfig(tmp_path / "kubeconfig"))

    assert str(info.value) == (
        f"cannot reach the Kubernetes API server at {api.url}: connection dropped during "
        f"GET /version (connection reset by peer; {ATTEMPTS} attempts)"
    )
    assert info.value.exit_code == 3
    assert [r.path for r in api.requests] == ["/version"] * ATTEMPTS


def test_refused_port_fails_at_once(tmp_path: Path, clock: Clock) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}"  # nothing listens there once closed
    with pytest.raises(ClusterUnreachableError) as info:
        connect(kubeconfig=write_kubeconfig(tmp_path / "kubeconfig", url))

    assert str(info.value) == f"cannot reach the Kubernetes API server at {url}: connection refused"
    assert clock.took < SLACK


def test_server_gone_mid_scan_is_retried_then_unreachable(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused after the server has answered: retried (an API server restarting), then
    the scan stops with one line."""
    monkeypatch.setattr(live, "WORKERS", 1)
    with FakeApiServer(sample_objects()) as api:
        kc = api.write_kubeconfig(tmp_path / "kubeconfig")

        def stop_after_first(_msg: str) -> None:
            api.go_down()

        with pytest.raises(ClusterUnreachableError) as info:
            connect(kubeconfig=kc, progress=stop_after_first)

    msg = str(info.value)
    assert msg.startswith(f"cannot reach the Kubernetes API server at {api.url}: connection refused (GET ")
    assert msg.endswith(f"; {ATTEMPTS} attempts)")
    assert clock.took < SLACK


# --------------------------------------------------------------------------- slow servers


def test_trickled_body_is_cut_at_the_request_deadline(tmp_path: Path, clock: Clock) -> None:
    api, cluster = scan({"pods": Fault.trickle(0.2)}, tmp_path, request_timeout=1)

    assert only_pods_not_checked(cluster) == (
        f"timeout: no complete answer to GET {PODS} within 1 s (request deadline)"
    )
    assert len(api.requests_for(PODS)) == 1  # a timeout is not retried
    assert clock.took < 1.0 + SLACK


def test_trickled_headers_are_cut_at_the_request_deadline(tmp_path: Path, clock: Clock) -> None:
    """No socket timeout ever fires on a byte a second: the watchdog cuts the request."""
    _, cluster = scan({"pods": Fault.trickle(0.2, headers=True)}, tmp_path, request_timeout=1)

    assert only_pods_not_checked(cluster) == (
        f"timeout: no complete answer to GET {PODS} within 1 s (request deadline)"
    )
    assert clock.took < 1.0 + SLACK


def test_hanging_kind_is_cut_at_the_request_deadline(tmp_path: Path, clock: Clock) -> None:
    _, cluster = scan({"pods": Fault.hang()}, tmp_path, request_timeout=1)

    assert only_pods_not_checked(cluster) == (
        f"timeout: no complete answer to GET {PODS} within 1 s (request deadline)"
    )
    assert clock.took < 1.0 + SLACK


def test_trickle_is_cut_at_the_whole_read_deadline(tmp_path: Path, clock: Clock) -> None:
    _, cluster = scan({"pods": Fault.trickle(0.2)}, tmp_path, timeout=1.5)

    assert only_pods_not_checked(cluster) == (
        f"timeout: GET {PODS} not finished when the 1.5 s deadline of the whole read passed"
    )
    assert clock.took < 1.5 + SLACK


def test_hanging_version_is_unreachable(tmp_path: Path, clock: Clock) -> None:
    with (
        FakeApiServer(sample_objects(), faults={"/version": Fault.hang()}) as api,
        pytest.raises(ClusterUnreachableError) as info,
    ):
        connect(kubeconfig=api.write_kubeconfig(tmp_path / "kubeconfig"), request_timeout=1)

    assert str(info.value) == (
        f"cannot reach the Kubernetes API server at {api.url}: "
        "no complete answer to GET /version within 1 s (request deadline)"
    )
    assert isinstance(info.value, UnreachableError) and info.value.exit_code == 3
    assert clock.took < 1.0 + SLACK


def test_server_that_answers_no_list_is_unreachable(tmp_path: Path, clock: Clock) -> None:
    """Every list hangs: nothing to diagnose, one line, after one request deadline (the
    lists in flight are cut, the others not started)."""
    faults = {ki.plural: Fault.hang() for ki in KINDS}
    with (
        FakeApiServer(sample_objects(), faults=faults) as api,
        pytest.raises(ClusterUnreachableError) as info,
    ):
        connect(kubeconfig=api.write_kubeconfig(tmp_path / "kubeconfig"), request_timeout=1)

    msg = str(info.value)
    assert msg.startswith(f"cannot reach the Kubernetes API server at {api.url}: no complete answer to GET /")
    assert msg.endswith(" within 1 s (request deadline), and no list request was answered")
    assert len(api.requests) <= 1 + live.WORKERS
    assert clock.took < 1.0 + SLACK


def test_a_socket_timeout_alone_does_not_bound_a_trickle(clock: Clock) -> None:
    """Control for the tests above: urllib3's timeouts (even ``total``) are per socket read,
    so a byte every 0.1 s keeps a plain read going past them."""
    with FakeApiServer(sample_objects(), token=None, faults={"pods": Fault.trickle(0.1)}) as api:
        resp = urllib3.request(
            "GET", api.url + PODS, timeout=urllib3.Timeout(total=0.5), retries=False, preload_content=False
        )
        got = b""
        while clock.took < 1.5:
            got += resp.read1(1024)
        resp.release_conn()

    assert len(got) >= 8  # still reading, well past the 0.5 s "total" timeout


# --------------------------------------------------------------------------- bad bodies


def test_status_with_http_200_is_not_an_empty_list(tmp_path: Path) -> None:
    _, cluster = scan({"pods": Fault.status_ok()}, tmp_path)

    assert only_pods_not_checked(cluster) == (
        f"server error 500 InternalError: etcdserver: request timed out (a Status sent with HTTP 200 to GET {PODS})"
    )


def test_a_200_body_without_items_is_not_an_empty_list(tmp_path: Path) -> None:
    _, cluster = scan({"pods": Fault.body({"kind": "PodList", "apiVersion": "v1", "metadata": {}})}, tmp_path)

    assert only_pods_not_checked(cluster) == f"the server's answer to GET {PODS} is not a list: a PodList without items"


def test_an_empty_object_is_not_an_empty_list(tmp_path: Path) -> None:
    _, cluster = scan({"pods": Fault.body({})}, tmp_path)

    assert only_pods_not_checked(cluster) == f"the server's answer to GET {PODS} is not a list: an object without items"


def test_a_list_with_null_items_is_empty(tmp_path: Path) -> None:
    """``items: null`` in a PodList is how Go writes an empty slice: captured, no pods."""
    _, cluster = scan({"pods": Fault.body({"kind": "PodList", "metadata": {}, "items": None})}, tmp_path)

    assert cluster.has("Pod") and cluster.pods == () and cluster.not_checked == ()


def test_a_body_of_wrong_types_is_not_checked(tmp_path: Path) -> None:
    _, cluster = scan({"pods": Fault.wrong_types()}, tmp_path)

    reason = only_pods_not_checked(cluster)
    assert reason.startswith(f"the server's answer to GET {PODS} is not a list: Expected ")


def test_a_deeply_nested_body_is_not_checked(tmp_path: Path) -> None:
    _, cluster = scan({"pods": Fault.deeply_nested()}, tmp_path)

    assert only_pods_not_checked(cluster) == f"the server's answer to GET {PODS} cannot be decoded: nested too deeply"


def test_a_deeply_nested_error_body_is_one_line(tmp_path: Path) -> None:
    deep = b'{"kind":"Status","message":' + b"[" * 50_000 + b"]" * 50_000 + b"}"
    _, cluster = scan({"pods": Fault.body(deep, code=500)}, tmp_path)

    assert only_pods_not_checked(cluster).startswith('server error 500: {"kind":"Status","message":[[[')


def test_a_body_that_is_not_json_is_not_checked(tmp_path: Path) -> None:
    _, cluster = scan({"pods": Fault.body(b"<html><body>502 Bad Gateway</body></html>")}, tmp_path)

    assert only_pods_not_checked(cluster) == (
        f"the server's answer to GET {PODS} is not a list: JSON is malformed: invalid character (byte 0)"
    )


def test_a_repeated_continue_token_ends_the_kind(tmp_path: Path) -> None:
    body = {"kind": "PodList", "metadata": {"continue": "again"}, "items": []}
    api, cluster = scan({"pods": Fault.body(body)}, tmp_path)

    assert only_pods_not_checked(cluster).endswith("repeats the continue token it was asked for (the list would never end)")
    assert len(api.requests_for(PODS)) == 2


def test_bad_version_bodies_leave_the_version_unknown(tmp_path: Path) -> None:
    _, cluster = scan({"/version": Fault.deeply_nested()}, tmp_path)

    assert cluster.server_version is None
    assert cluster.not_checked == () and len(cluster.pods) == N_PODS


# --------------------------------------------------------------------------- arguments


@pytest.mark.parametrize("kwargs", [{"timeout": 0}, {"timeout": -1.0}, {"request_timeout": 0}, {"timeout": float("nan")}])
def test_timeouts_must_be_positive(kwargs: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(BadInputError, match="must be a positive number of seconds"):
        connect(kubeconfig=tmp_path / "unused", **kwargs)
