"""Every class of Google Cloud error through the real client libraries against gcp_world's fake
Google Cloud (``gcp.fail(op, code)`` injects the error answers). The world serves no unreadable
body, so a 200 with a garbage body is answered by ``responses`` in front of the REST transport
(everything else passes through to the world). The kit's rule: 5xx and 429 after the retries,
unreadable bodies and other client errors become ``not_checked`` and the loop goes on; no or
rejected credentials and an endpoint that does not answer are ``CloudUnreachableError`` -- all
within the call's time budget (``timeout``, retries included)."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest
import responses
from factories import cluster as build_cluster
from gcp_world import CLUSTER, LOCATION, NAT, PROJECT, GcpWorld
from gke_objects import gke_objects

from r2c_clouds.errors import CloudUnreachableError
from r2c_clouds.loops import identity_questions, network_questions, storage_questions
from r2c_clouds.providers.gcp import GcpProvider
from r2c_clouds.providers.gcp._client import MIN_ATTEMPT, TIMEOUT

#: A short budget for the tests: every call, retries included, ends within it (+ MIN_ATTEMPT).
BUDGET = 2.0


def provider(gcp: GcpWorld, **kw: Any) -> GcpProvider:
    kw.setdefault("timeout", BUDGET)
    return GcpProvider(project=PROJECT, location=LOCATION, cluster_name=CLUSTER, endpoint=gcp.endpoint, **kw)


@pytest.fixture
def gke() -> Any:
    return build_cluster(gke_objects(), name=f"gke_{PROJECT}_{LOCATION}_{CLUSTER}")


class Clock:
    def __enter__(self) -> Clock:
        self.start = time.monotonic()
        return self

    def __exit__(self, *_: Any) -> None:
        self.elapsed = time.monotonic() - self.start


def _reasons(answer: Any) -> dict[str, str]:
    return {nc.what: nc.reason for nc in answer.not_checked}


def _network_still_answers(ans: Any) -> None:
    assert any(s.subnet_id.startswith("pod range") for s in ans.subnets)
    assert ans.settings is not None and ans.settings.network_mtu == 1460


# --------------------------------------------------------------------------- 5xx after retries


@pytest.mark.parametrize("code", [500, 503, 504])
def test_a_rest_server_error_that_outlasts_the_retries_is_not_checked(gcp: GcpWorld, gke: Any, code: int) -> None:
    """compute's own default retry would go on for 600 s whatever ``timeout`` says."""
    gcp.fail("compute.disks.list", code)
    with Clock() as clock:
        ans = provider(gcp).storage(storage_questions(gke))
    name = {500: "INTERNAL", 503: "UNAVAILABLE", 504: "backendError"}[code]  # compute's error format
    assert ans.disks == () and list(_reasons(ans)) == ["disks"]
    assert _reasons(ans)["disks"].startswith(f"failed: compute.disks.list (HTTP {code} {name}: ")
    assert "injected for compute.disks.list" in _reasons(ans)["disks"]
    assert gcp.count("compute.disks.list") >= 2  # retried within the budget
    assert clock.elapsed < BUDGET + MIN_ATTEMPT + 2


def test_a_server_error_on_routers_leaves_the_rest_of_the_network_loop(gcp: GcpWorld, gke: Any) -> None:
    gcp.fail("compute.routers.list", 500)
    with Clock() as clock:
        ans = provider(gcp).network(network_questions(gke, 60))
    assert ans.egress_gateways == ()
    assert _reasons(ans)["egress_gateways"].startswith("failed: compute.routers.list (HTTP 500 INTERNAL: ")
    _network_still_answers(ans)
    assert clock.elapsed < BUDGET + MIN_ATTEMPT + 2


def test_a_grpc_unavailable_the_server_sent_is_not_checked_not_unreachable(gcp: GcpWorld, gke: Any) -> None:
    """UNAVAILABLE with the server's status details is an answer; only the gRPC client's own
    (connection) UNAVAILABLE means "cannot reach"."""
    gcp.fail("monitoring.timeSeries.list", 503)
    with Clock() as clock:
        ans = provider(gcp).network(network_questions(gke, 60))
    assert _reasons(ans)["egress_gateways"].startswith("failed: monitoring.timeSeries.list (HTTP 503 UNAVAILABLE: ")
    assert gcp.count("monitoring.timeSeries.list") >= 2
    assert clock.elapsed < BUDGET + MIN_ATTEMPT + 3  # the metric types are read concurrently
    _network_still_answers(ans)


def test_a_grpc_internal_error_leaves_the_other_bindings(gcp: GcpWorld, gke: Any) -> None:
    gcp.fail("iam.serviceAccounts.getIamPolicy", 500, match="orders@")
    ans = provider(gcp).identity(identity_questions(gke))
    assert _reasons(ans)["identity_bindings"].startswith(
        "failed: iam.serviceAccounts.getIamPolicy (HTTP 500 INTERNAL: ")
    assert ans.cluster_identity is not None and ans.cluster_identity.workload_identity_enabled


# --------------------------------------------------------------------------- throttling after retries


def test_throttling_that_outlasts_the_budget_is_not_checked(gcp: GcpWorld, gke: Any) -> None:
    gcp.fail("compute.routers.list", 429)
    with Clock() as clock:
        ans = provider(gcp).network(network_questions(gke, 60))
    assert _reasons(ans)["egress_gateways"] == "throttled: compute.routers.list (still rate-limited after retries)"
    assert gcp.count("compute.routers.list") >= 2 and clock.elapsed < BUDGET + MIN_ATTEMPT + 2
    _network_still_answers(ans)


def test_throttling_that_ends_within_the_budget_is_retried_away(gcp: GcpWorld, gke: Any) -> None:
    gcp.fail("compute.routers.list", 429, times=1)
    gcp.fail("monitoring.timeSeries.list", "RESOURCE_EXHAUSTED", times=1)
    ans = provider(gcp).network(network_questions(gke, 60))
    assert ans.not_checked == () and {g.gateway_id for g in ans.egress_gateways} == {NAT}
    assert [c.status for c in gcp.calls("compute.routers.list")] == [429, 200]


# --------------------------------------------------------------------------- unreadable answers


@pytest.fixture
def garbage(gcp: GcpWorld) -> Iterator[responses.RequestsMock]:
    """``responses`` in front of the REST transport: what a test adds is answered, the rest
    goes to the world."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add_passthru(re.compile(r"https://127\.0\.0\.1:\d+/"))
        yield rsps


@pytest.mark.parametrize(("body", "content_type"), [
    (b"this is not a body {", "application/json"),
    (b"<html><body>Sign in to the proxy</body></html>", "text/html"),
    (b"\xff\xfe\xfa{}", "application/json"),
    (b"", "application/json"),
    (b"[1, 2]", "application/json"),
], ids=["not-json", "html", "not-utf8", "empty", "json-list"])
def test_an_unreadable_200_is_not_checked_and_not_retried(gcp: GcpWorld, gke: Any, garbage: responses.RequestsMock,
                                                          body: bytes, content_type: str) -> None:
    """protobuf's ParseError / UnicodeDecodeError would otherwise end the scan with a traceback."""
    fake = garbage.add(responses.GET, re.compile(r".*/compute/v1/projects/[^/]+/aggregated/disks.*"),
                       body=body, status=200, content_type=content_type)
    ans = provider(gcp).storage(storage_questions(gke))
    assert ans.disks == () and list(_reasons(ans)) == ["disks"]
    assert _reasons(ans)["disks"].startswith("failed: compute.disks.list (HTTP 200 unreadable body: ")
    assert fake.call_count == 1  # not retried


def test_an_unreadable_router_list_leaves_the_rest_of_the_network_loop(gcp: GcpWorld, gke: Any,
                                                                       garbage: responses.RequestsMock) -> None:
    garbage.add(responses.GET, re.compile(r".*/compute/v1/projects/[^/]+/regions/[^/]+/routers.*"),
                body=b"<html>gateway timeout</html>", status=200, content_type="text/html")
    ans = provider(gcp).network(network_questions(gke, 60))
    assert _reasons(ans)["egress_gateways"].startswith("failed: compute.routers.list (HTTP 200 unreadable body: ")
    _network_still_answers(ans)


# --------------------------------------------------------------------------- other client errors


def test_a_400_is_not_checked_and_not_retried(gcp: GcpWorld, gke: Any) -> None:
    gcp.fail("compute.networks.get", 400)
    ans = provider(gcp).network(network_questions(gke, 60))
    assert _reasons(ans)["network"].startswith("failed: compute.networks.get (HTTP 400 invalid: Invalid argument")
    assert gcp.count("compute.networks.get") == 1
    assert {g.gateway_id for g in ans.egress_gateways} == {NAT}  # the rest of the loop


@pytest.mark.parametrize(("op", "what"), [
    ("artifactregistry.repositories.getIamPolicy", "registry_access"),  # REST
    ("iam.serviceAccounts.getIamPolicy", "identity_bindings"),  # gRPC ABORTED
])
def test_a_409_is_not_checked_and_not_retried(gcp: GcpWorld, gke: Any, op: str, what: str) -> None:
    gcp.fail(op, 409, match="orders@" if op.startswith("iam.") else None)
    ans = provider(gcp).identity(identity_questions(gke))
    assert _reasons(ans)[what].startswith(f"failed: {op} (HTTP 409 ABORTED: Aborted (injected for {op} ")
    refused = [c.resource for c in gcp.calls(op) if c.status == 409]
    assert refused and len(refused) == len(set(refused))  # each resource asked once: not retried
    assert ans.cluster_identity is not None and ans.cluster_identity.workload_identity_enabled


# --------------------------------------------------------------------------- no answer


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_refused_endpoint_is_unreachable_within_the_budget(gcp: GcpWorld) -> None:
    port = _closed_port()
    p = GcpProvider(project=PROJECT, location=LOCATION, cluster_name=CLUSTER, endpoint=f"https://127.0.0.1:{port}",
                    timeout=1.0)
    with Clock() as clock, pytest.raises(CloudUnreachableError, match=rf"gcp: cannot reach https://127.0.0.1:{port}") as info:
        p.cluster()
    assert info.value.exit_code == 3 and clock.elapsed < 1.0 + MIN_ATTEMPT + 1


def test_an_endpoint_that_never_answers_is_unreachable_within_the_budget(gcp: GcpWorld) -> None:
    """A listener that never accepts: the TCP connection opens, the TLS handshake never ends."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        port = listener.getsockname()[1]
        p = GcpProvider(project=PROJECT, location=LOCATION, cluster_name=CLUSTER,
                        endpoint=f"https://127.0.0.1:{port}", timeout=1.0)
        with Clock() as clock, pytest.raises(CloudUnreachableError, match="gcp: cannot reach"):
            p.cluster()
    assert 0.9 <= clock.elapsed < 1.0 + MIN_ATTEMPT + 1


def test_an_unreachable_grpc_endpoint_is_unreachable(gcp: GcpWorld, gke: Any) -> None:
    """REST answers, the gRPC APIs (IAM) point at a closed port: the gRPC client's own
    UNAVAILABLE, retried until the budget is spent."""
    p = provider(gcp, timeout=1.0, client_options={"iam": {"api_endpoint": f"127.0.0.1:{_closed_port()}"}})
    with closing(p), Clock() as clock, pytest.raises(CloudUnreachableError, match=r"gcp: (cannot reach|no answer from)"):
        p.identity(identity_questions(gke))
    assert clock.elapsed < 1.0 + MIN_ATTEMPT + 3


def test_the_default_budget_is_thirty_seconds_retries_included(gcp: GcpWorld) -> None:
    p = GcpProvider(project=PROJECT, location=LOCATION, cluster_name=CLUSTER, endpoint=gcp.endpoint)
    assert p.clients.timeout == TIMEOUT == 30.0 and MIN_ATTEMPT == 1.0
    retry = p.clients.retry()
    assert retry.timeout == TIMEOUT  # the deadline of the retries, not only of one attempt
    assert p.cluster().name == CLUSTER


# --------------------------------------------------------------------------- credentials


def test_rejected_credentials_are_unreachable(gcp: GcpWorld, gke: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOOGLE_OAUTH_ACCESS_TOKEN", "revoked-token")
    p = provider(gcp)
    with closing(p), pytest.raises(CloudUnreachableError, match="gcp: cannot refresh the credentials") as info:
        p.storage(storage_questions(gke))
    assert info.value.exit_code == 3 and "gcloud auth application-default login" in (info.value.remediation or "")


def test_credentials_rejected_over_grpc_are_unreachable(gcp: GcpWorld, gke: Any) -> None:
    p = provider(gcp)
    p.cluster()  # read with the right token
    gcp.token = "rotated"  # every later call is refused: REST 401, gRPC UNAUTHENTICATED
    # closing(): the calls still queued on the provider's pool end here, not in the next test's world
    with closing(p), pytest.raises(CloudUnreachableError,
                                   match=r"gcp (rejected the credentials|: cannot refresh the credentials)"):
        p.identity(identity_questions(gke))


def test_no_credentials_is_unreachable(gcp: GcpWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOGLE_OAUTH_ACCESS_TOKEN")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/adc.json")
    with pytest.raises(CloudUnreachableError, match="gcp: no credentials found") as info:
        provider(gcp)
    assert info.value.exit_code == 3


# --------------------------------------------------------------------------- NOT_FOUND where "absent" is not an answer


@pytest.mark.parametrize(("op", "loop", "what"), [
    ("compute.routers.list", "network", "egress_gateways"),  # the region's routers: no region, not "no NAT"
    ("monitoring.timeSeries.list", "network", "egress_gateways"),
    ("compute.disks.list", "storage", "disks"),  # aggregated: a list of every zone is never "absent"
    ("resourcemanager.projects.getIamPolicy", "identity", "registry_access"),  # the cluster's own project
])
def test_a_not_found_list_or_parent_is_not_checked(gcp: GcpWorld, gke: Any, op: str, loop: str, what: str) -> None:
    """A 404 on a list (or on a resource the cluster itself names) is a project or region that
    vanished or a wrong endpoint: not checked, never an empty answer and never a crash."""
    gcp.fail(op, 404)
    p = provider(gcp)
    questions = {"network": lambda: network_questions(gke, 60), "storage": lambda: storage_questions(gke),
                 "identity": lambda: identity_questions(gke)}[loop]()
    ans = getattr(p, loop)(questions)
    reasons = _reasons(ans)
    assert reasons.get(what, "").startswith(f"failed: {op} (HTTP 404 NOT_FOUND: "), reasons


def test_the_default_node_identity_is_named_alike_when_the_project_number_is_hidden(gcp: GcpWorld, gke: Any) -> None:
    """The batch pool runs as the Compute Engine default service account ("default"). With
    resourcemanager.projects.get denied its e-mail cannot be built: the node pool and the
    registry-access facts must still name that identity the same way, so they join."""
    from r2c_clouds.loops import compute_questions

    gcp.fail("resourcemanager.projects.get", 403)
    p = provider(gcp)
    pools = {np.name: np.node_identity for np in p.compute(compute_questions(gke)).node_pools}
    access = {ra.node_pool: ra.principal for ra in p.identity(identity_questions(gke)).registry_access}
    assert pools["batch-pool"] == "the Compute Engine default service account"
    assert access and access.get("batch-pool", pools["batch-pool"]) == pools["batch-pool"]
    assert all(access[name] == identity for name, identity in pools.items() if name in access)
