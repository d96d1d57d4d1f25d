"""Every class of AWS error, through the real boto3 code path (moto's server answers the
rest): a fault answers one operation with a real HTTP response (status, headers, body) from
botocore's ``before-send`` event, so botocore's retries, parsers and ``before-parse`` checks
all run. The kit's rule: 5xx and throttling after the retries, unreadable bodies and other
client errors become ``not_checked`` for the loop's family and the loop goes on; no
credentials, rejected credentials and an endpoint that does not answer are
``CloudUnreachableError`` -- all within a bounded time."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_world import CLUSTER, LAB, REGION, World
from botocore.awsrequest import AWSResponse

from r2c_clouds.errors import CloudUnreachableError
from r2c_clouds.loops import (
    ComputeQuestions,
    IdentityQuestions,
    NetworkQuestions,
    StorageQuestions,
    VolumeRef,
    WorkloadIdentityRef,
)
from r2c_clouds.providers.aws import AwsProvider
from r2c_clouds.providers.aws._client import CONNECT_TIMEOUT, MAX_ATTEMPTS, READ_TIMEOUT, AwsClients

XML_500 = (b"<Response><Errors><Error><Code>InternalError</Code><Message>We encountered an internal error. "
           b"Please try again.</Message></Error></Errors><RequestID>r-1</RequestID></Response>")
QUERY_ERROR = ('<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>'
               "<Code>{code}</Code><Message>{message}</Message></Error><RequestId>r-2</RequestId></ErrorResponse>")


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self.body


class Fault:
    """Answers ``operation`` of one client with ``status`` / ``body``, every attempt."""

    def __init__(self, p: AwsProvider, service: str, operation: str, status: int, body: bytes,
                 headers: dict[str, str] | None = None) -> None:
        self.status, self.body, self.headers = status, body, headers or {}
        self.attempts = 0
        client = p.clients.client(service)
        sid = client.meta.service_model.service_id.hyphenize()
        client.meta.events.register(f"before-send.{sid}.{operation}", self._send)

    def _send(self, request: Any, **_: Any) -> AWSResponse:
        self.attempts += 1
        return AWSResponse(request.url, self.status, self.headers, _Raw(self.body))


def _provider(world: World, cluster_name: str = CLUSTER, **kw: Any) -> AwsProvider:
    kw.setdefault("max_attempts", MAX_ATTEMPTS)
    return AwsProvider(boto3.Session(region_name=REGION), cluster_name=cluster_name, region=REGION,
                       endpoint_url=world.endpoint, **kw)


def _reasons(answer: Any) -> list[tuple[str, str]]:
    return [(nc.what, nc.reason) for nc in answer.not_checked]


def _network_still_answers(world: World, answer: Any) -> None:
    subnets = {s.subnet_id: s for s in answer.subnets}
    assert subnets[world.subnets["1b"]].zone == "us-east-1b" and subnets[world.subnets["1b"]].available_ips
    assert answer.settings is not None and answer.settings.network_plugin == "vpc-cni"


def _volumes(world: World) -> StorageQuestions:
    return StorageQuestions((VolumeRef("pv", "ebs.csi.aws.com", world.volumes["cache-1a"]),))


# --------------------------------------------------------------------------- 5xx after retries


@pytest.mark.parametrize(("status", "body", "why"), [
    (500, XML_500, "HTTP 500 InternalError: We encountered an internal error. Please try again."),
    (503, b"", "HTTP 503: Service Unavailable"),
    (503, b"upstream connect error or disconnect/reset before headers", "HTTP 503: Service Unavailable"),
    (502, b"<html><body><h1>502 Bad Gateway</h1></body></html>", "HTTP 502: Bad Gateway"),
])
def test_a_server_error_that_outlasts_the_retries_is_not_checked(world: World, status: int, body: bytes,
                                                                 why: str) -> None:
    p = _provider(world)
    fault = Fault(p, "ec2", "DescribeVolumes", status, body)
    start = time.monotonic()
    answer = p.storage(_volumes(world))
    assert _reasons(answer) == [("disks", f"failed: ec2:DescribeVolumes ({why})")]
    assert answer.disks == ()
    assert fault.attempts == MAX_ATTEMPTS  # retried, then given up
    assert time.monotonic() - start < 15  # backoff at most 1 s then 2 s


def test_a_server_error_on_metrics_leaves_the_rest_of_the_network_loop(world: World) -> None:
    p = _provider(world)
    fault = Fault(p, "cloudwatch", "GetMetricData", 503,
                  b'{"__type": "ServiceUnavailableException", "message": "Service is unavailable"}',
                  {"Content-Type": "application/x-amz-json-1.0", "x-amzn-query-error": "ServiceUnavailable;Receiver"})
    answer = p.network(NetworkQuestions(window_minutes=60))
    assert _reasons(answer) == [
        ("egress_gateways", "failed: cloudwatch:GetMetricData (HTTP 503 ServiceUnavailable: Service is unavailable)")]
    assert fault.attempts == MAX_ATTEMPTS and answer.egress_gateways == ()
    _network_still_answers(world, answer)


# --------------------------------------------------------------------------- throttling after retries


def test_throttling_that_outlasts_real_retries_is_not_checked(world: World) -> None:
    p = _provider(world, LAB, autoscaler=True)
    fault = Fault(p, "autoscaling", "DescribeAutoScalingGroups", 400,
                  QUERY_ERROR.format(code="Throttling", message="Rate exceeded").encode())
    start = time.monotonic()
    answer = p.compute(ComputeQuestions())
    assert fault.attempts == MAX_ATTEMPTS and time.monotonic() - start < 15
    pools = {x.name: x for x in answer.node_pools}
    assert pools["bare"].zones == ("us-east-1a",) and pools["gpu"].zones == ("us-east-1c",)  # from the subnets
    assert _reasons(answer) == [(
        "autoscaling_groups", "throttled: autoscaling:DescribeAutoScalingGroups (still rate-limited after retries)"
                              " (zones and bounds from the node groups)")]


def test_http_429_with_an_unreadable_body_is_throttled(world: World) -> None:
    p = _provider(world)
    Fault(p, "ec2", "DescribeVolumes", 429, b"Too Many Requests")
    assert _reasons(p.storage(_volumes(world))) == [
        ("disks", "throttled: ec2:DescribeVolumes (still rate-limited after retries)")]


# --------------------------------------------------------------------------- unreadable answers


@pytest.mark.parametrize(("body", "problem"), [
    (b"this is not a body {", "not XML"),
    (b"\xff\xfe\xfa<DescribeVolumesResponse/>", "not UTF-8 (invalid start byte at byte 0)"),
    (b"<html><body>Sign in to the proxy</body></html>", "XML <html> where <DescribeVolumesResponse> was expected"),
    (b"", "empty body"),
])
def test_an_unreadable_200_is_not_checked_and_not_retried(world: World, body: bytes, problem: str) -> None:
    """botocore would raise ResponseParserError / UnicodeDecodeError, or read the HTML page as
    "no volumes" (each volume then reported as not existing)."""
    p = _provider(world)
    fault = Fault(p, "ec2", "DescribeVolumes", 200, body)
    answer = p.storage(_volumes(world))
    assert _reasons(answer) == [("disks", f"failed: ec2:DescribeVolumes (HTTP 200 unreadable body: {problem})")]
    assert answer.disks == () and fault.attempts == 1


@pytest.mark.parametrize(("body", "problem"), [
    (b"<html>gateway login</html>", "not JSON"),
    (b"\xff\xfe{}", "not UTF-8 (invalid start byte at byte 0)"),
    (b"[]", "not a JSON object"),
])
def test_an_unreadable_json_200_leaves_the_rest_of_the_loop(world: World, body: bytes, problem: str) -> None:
    """For JSON protocols botocore itself would return an empty answer (no metrics, silently)."""
    p = _provider(world)
    fault = Fault(p, "cloudwatch", "GetMetricData", 200, body, {"Content-Type": "application/x-amz-json-1.0"})
    answer = p.network(NetworkQuestions(window_minutes=60))
    assert _reasons(answer) == [
        ("egress_gateways", f"failed: cloudwatch:GetMetricData (HTTP 200 unreadable body: {problem})")]
    assert fault.attempts == 1
    _network_still_answers(world, answer)


def test_an_unreadable_cluster_description_is_not_checked_for_every_family(world: World) -> None:
    p = _provider(world)
    Fault(p, "eks", "DescribeCluster", 200, b"<html>captive portal</html>", {"Content-Type": "text/html"})
    reason = "failed: eks:DescribeCluster (HTTP 200 unreadable body: not JSON)"
    assert _reasons(p.identity(IdentityQuestions())) == [("cluster_identity", reason), ("identity_bindings", reason)]
    assert {nc.reason for nc in p.network(NetworkQuestions()).not_checked} == {reason}


# --------------------------------------------------------------------------- other client errors


def test_a_400_is_not_checked_with_its_code(world: World) -> None:
    p = _provider(world)
    fault = Fault(p, "ec2", "DescribeVolumes", 400, (
        b"<Response><Errors><Error><Code>InvalidParameterValue</Code><Message>Value (vol-x) for parameter "
        b"volumeId is invalid.</Message></Error></Errors><RequestID>r-3</RequestID></Response>"))
    assert _reasons(p.storage(_volumes(world))) == [("disks", (
        "failed: ec2:DescribeVolumes (HTTP 400 InvalidParameterValue: Value (vol-x) for parameter volumeId is invalid.)"))]
    assert fault.attempts == 1


def test_a_400_without_a_body_names_its_status(world: World) -> None:
    p = _provider(world)
    Fault(p, "ec2", "DescribeVolumes", 400, b"")
    assert _reasons(p.storage(_volumes(world))) == [
        ("disks", "failed: ec2:DescribeVolumes (HTTP 400 unreadable body: empty body)")]


def test_a_409_on_the_oidc_providers_leaves_the_bindings(world: World) -> None:
    p = _provider(world)
    fault = Fault(p, "iam", "ListOpenIDConnectProviders", 409,
                  QUERY_ERROR.format(code="ConcurrentModification", message="Try again later").encode())
    role = world.roles["shop-prod-checkout"]
    answer = p.identity(IdentityQuestions(service_accounts=(WorkloadIdentityRef("shop", "checkout", "irsa", role),)))
    assert _reasons(answer) == [
        ("cluster_identity", "failed: iam:ListOpenIDConnectProviders (HTTP 409 ConcurrentModification: Try again later)"),
        # moto has no Pod Identity API: its 404 page is an unreadable answer too
        ("pod_identity", "failed: eks:ListPodIdentityAssociations (HTTP 404 unreadable body: not JSON)")]
    assert fault.attempts == 1
    (binding,) = answer.bindings  # the role and its trust were still read
    assert binding.exists and binding.identity == role


# --------------------------------------------------------------------------- no answer


def test_a_refused_endpoint_is_unreachable_in_bounded_time() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed when the test calls it: refused
    p = AwsProvider(boto3.Session(region_name=REGION), cluster_name=CLUSTER, region=REGION,
                    endpoint_url=f"http://127.0.0.1:{port}", max_attempts=MAX_ATTEMPTS)
    start = time.monotonic()
    with pytest.raises(CloudUnreachableError, match=rf"AWS endpoint http://127.0.0.1:{port} cannot be reached") as info:
        p.storage(StorageQuestions((VolumeRef("pv", "ebs.csi.aws.com", "vol-0123456789abcdef0"),)))
    assert info.value.exit_code == 3
    assert time.monotonic() - start < 15  # three attempts, backoff at most 1 s then 2 s


def test_an_endpoint_that_never_answers_is_unreachable_within_the_budget() -> None:
    """A listener that never accepts: connections open (the kernel's backlog), no byte comes
    back; every attempt ends at the read timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        port = listener.getsockname()[1]
        p = AwsProvider(boto3.Session(region_name=REGION), cluster_name=CLUSTER, region=REGION,
                        endpoint_url=f"http://127.0.0.1:{port}", max_attempts=2)
        p.clients = AwsClients(p.clients.session, REGION, calls=p.calls, endpoint_url=f"http://127.0.0.1:{port}",
                               max_attempts=2, connect_timeout=0.5, read_timeout=0.5)
        start = time.monotonic()
        with pytest.raises(CloudUnreachableError, match="Read timeout"):
            p.network(NetworkQuestions())
        elapsed = time.monotonic() - start
    assert 1.0 <= elapsed < 6  # 2 attempts x 0.5 s read timeout + at most 1 s of backoff


def test_the_default_budget_is_bounded() -> None:
    """What an endpoint that never answers costs per call with the defaults (see _client)."""
    clients = AwsClients(boto3.Session(region_name=REGION), REGION)
    config = clients.client("ec2").meta.config
    assert (config.connect_timeout, config.read_timeout) == (CONNECT_TIMEOUT, READ_TIMEOUT) == (5.0, 15.0)
    assert config.retries == {"mode": "standard", "total_max_attempts": MAX_ATTEMPTS} and MAX_ATTEMPTS == 3
    assert MAX_ATTEMPTS * (CONNECT_TIMEOUT + READ_TIMEOUT) + 1 + 2 <= 63


# --------------------------------------------------------------------------- credentials


def test_no_credentials_at_all_is_unreachable(world: World, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    p = _provider(world)
    with pytest.raises(CloudUnreachableError, match="AWS: no credentials found") as info:
        p.storage(_volumes(world))
    assert info.value.exit_code == 3 and "\n" not in str(info.value)


def test_a_credential_process_that_fails_is_unreachable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """botocore runs ``credential_process`` when the clients are made: no traceback either."""
    config = tmp_path / "config"
    config.write_text("[profile broken]\ncredential_process = false\nregion = us-east-1\n")
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    with pytest.raises(CloudUnreachableError, match=r"AWS: no credentials found.*custom-process"):
        AwsProvider(boto3.Session(profile_name="broken"), cluster_name=CLUSTER, region=REGION,
                    endpoint_url="http://127.0.0.1:9")


@pytest.mark.parametrize(("status", "code"), [(403, "InvalidClientTokenId"), (400, "ExpiredToken"),
                                              (403, "SignatureDoesNotMatch"), (401, "Unauthorized")])
def test_rejected_credentials_are_unreachable(world: World, status: int, code: str) -> None:
    p = _provider(world)
    Fault(p, "ec2", "DescribeVolumes", status,
          f"<Response><Errors><Error><Code>{code}</Code><Message>no</Message></Error></Errors></Response>".encode())
    with pytest.raises(CloudUnreachableError, match=rf"AWS rejected the credentials \({code}\) calling ec2:DescribeVolumes"):
        p.storage(_volumes(world))


# --------------------------------------------------------------------------- answers without their member


def test_a_cluster_description_without_its_cluster_is_not_checked(world: World) -> None:
    """A 200 ``{}`` (a proxy, a truncated answer) is not "no such cluster" and not a crash."""
    p = _provider(world)
    Fault(p, "eks", "DescribeCluster", 200, b"{}", {"Content-Type": "application/json"})
    reason = "failed: eks:DescribeCluster (HTTP 200 unreadable body: no cluster object in the answer)"
    assert _reasons(p.identity(IdentityQuestions())) == [("cluster_identity", reason), ("identity_bindings", reason)]


def test_a_cluster_deleted_between_describe_and_list_nodegroups_is_not_checked(world: World) -> None:
    """EKS answers ListNodegroups of a deleted cluster with 404 ResourceNotFoundException: the
    node groups are not checked (an empty list would read as "no managed node groups")."""
    p = _provider(world)
    Fault(p, "eks", "ListNodegroups", 404, (
        b'{"message":"No cluster found for name: ' + CLUSTER.encode() + b'."}'),
        {"Content-Type": "application/json", "x-amzn-ErrorType": "ResourceNotFoundException"})
    reasons = _reasons(p.compute(ComputeQuestions()))
    assert reasons and all(r.startswith("failed: eks:ListNodegroups (HTTP 404 ResourceNotFoundException: No cluster "
                                        "found for name") for _, r in reasons), reasons
