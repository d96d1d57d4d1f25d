"""Every class of Azure error through the real azure-mgmt-* clients (pipelines, retry policy,
deserializers) under azure-core's RequestsTransport, intercepted by ``responses`` (the
replayed ARM world answers everything a fault does not). The kit's rule: 5xx and 429 after
the retries, unreadable bodies and other client errors become ``not_checked`` and the loop
goes on; no credential, a refused credential and an endpoint that does not answer are
``CloudUnreachableError`` -- all within a bounded time. Also: ``AZURE_AUTHORITY_HOST``
(sovereign clouds) is honoured."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import pytest
import responses
from arm_world_azure import RG, SUB, SUBNET_ID, ArmWorld
from azure.core.credentials import AccessToken
from azure.identity import CredentialUnavailableError

import r2c_clouds as r2c
from r2c_clouds.demo._build import aks as demo
from r2c_clouds.errors import CloudUnreachableError
from r2c_clouds.model.cloud import CloudFacts, NotChecked
from r2c_clouds.providers import gather_facts
from r2c_clouds.providers.azure import AzureProvider, cloud_of_authority
from r2c_clouds.providers.azure._arm import arm_operation
from r2c_clouds.providers.azure._client import (
    RETRY_DEFAULTS,
    TRANSPORT_DEFAULTS,
    BoundedRetryPolicy,
    make_credential,
)

DISKS = "Microsoft.Compute/disks/read"
USAGES = "Microsoft.Network/virtualNetworks/usages/read"
METRICS = "Microsoft.Insights/Metrics/Read"
#: Small budgets for the tests: three attempts, backoff of a few hundredths of a second.
FAST = {"retry_total": 2, "retry_backoff_factor": 0.01, "retry_backoff_max": 0.05}
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


class FakeCredential:
    def __init__(self, fail: Exception | None = None) -> None:
        self.fail = fail

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        if self.fail is not None:
            raise self.fail
        return AccessToken("fake-arm-token", int(time.time()) + 3600)


class Faults:
    """ARM operation → (status, headers, body) answered instead of the world, every time; counts."""

    def __init__(self, world: ArmWorld) -> None:
        self.world = world
        self.answers: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.sent: list[str] = []

    def __call__(self, request: Any) -> tuple[int, dict[str, str], bytes]:
        op = arm_operation(request.method, request.url)
        self.sent.append(op)
        if op in self.answers:
            return self.answers[op]
        body = request.body.encode() if isinstance(request.body, str) else request.body
        return self.world.handle(request.method, request.url, body)

    def answer(self, op: str, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.answers[op] = (status, headers if headers is not None else {"Content-Type": "application/json"}, body)

    def count(self, op: str) -> int:
        return self.sent.count(op)


@pytest.fixture
def arm() -> Iterator[Faults]:
    world = ArmWorld()
    faults = Faults(world)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for base in filter(None, (world.base, world.metrics_base)):
            for method in ("GET", "POST"):
                rsps.add_callback(method, re.compile(re.escape(base) + r"/.*"), callback=faults)
        yield faults


def provider(cred: Any = None, **options: Any) -> AzureProvider:
    options.setdefault("subscription", SUB)
    options.setdefault("resource_group", RG)
    options.setdefault("cluster_name", demo.NAME)
    options.setdefault("client_kwargs", dict(FAST))
    return AzureProvider(cred or FakeCredential(), **options)


def facts(**options: Any) -> CloudFacts:
    return gather_facts(provider(**options), r2c.demo("aks"))


def _error(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def _network_still_answers(f: CloudFacts) -> None:
    (gw,) = f.egress_gateways
    assert gw.port_allocation_errors == 2961.0 and gw.subnets == (SUBNET_ID,)
    assert f.network is not None and f.network.outbound_type == "managedNATGateway"
    assert len(f.node_pools) == 2


# --------------------------------------------------------------------------- 5xx after retries


@pytest.mark.parametrize(("status", "body", "headers", "reason"), [
    (500, _error("InternalServerError", "Encountered internal server error."), None, f"{DISKS}: HTTP 500 InternalServerError"),
    (503, b"<html><body>Service Unavailable</body></html>", {"Content-Type": "text/html"}, f"{DISKS}: HTTP 503"),
    (504, b"", {}, f"{DISKS}: HTTP 504"),
], ids=["500-arm-error", "503-html", "504-empty"])
def test_a_server_error_that_outlasts_the_retries_is_not_checked(arm: Faults, status: int, body: bytes,
                                                                 headers: dict[str, str] | None, reason: str) -> None:
    arm.answer(DISKS, status, body, headers)
    start = time.monotonic()
    f = facts()
    assert f.not_checked == (NotChecked("disks", reason),)
    assert f.disks == () and arm.count(DISKS) == 3  # the first attempt and FAST's two retries
    assert len(f.node_pools) == 2 and f.egress_gateways  # the scan went on
    assert time.monotonic() - start < 10


def test_a_server_error_on_subnet_usage_leaves_the_rest_of_the_network_loop(arm: Faults) -> None:
    arm.answer(USAGES, 502, _error("BadGateway", "The gateway did not receive a response"))
    f = facts()
    assert f.not_checked == (NotChecked("subnets", f"{USAGES}: HTTP 502 BadGateway"),)
    assert arm.count(USAGES) == 3 and f.subnets == ()
    _network_still_answers(f)


def test_retries_stop_when_the_time_budget_is_spent(arm: Faults) -> None:
    """Ten retries allowed, but none is started past ``timeout`` (1 s here)."""
    arm.answer(DISKS, 503, _error("ServiceUnavailable", "busy"))
    start = time.monotonic()
    f = facts(client_kwargs={"retry_total": 10, "retry_backoff_factor": 0.2, "retry_backoff_max": 0.2, "timeout": 1})
    elapsed = time.monotonic() - start
    assert f.not_checked == (NotChecked("disks", f"{DISKS}: HTTP 503 ServiceUnavailable"),)
    assert 2 <= arm.count(DISKS) < 11 and elapsed < 5


# --------------------------------------------------------------------------- throttling after retries


def test_a_long_retry_after_is_capped_and_throttling_is_not_checked(arm: Faults) -> None:
    """ARM asks for an hour; azure-core alone would sleep it, three times."""
    arm.answer(DISKS, 429, _error("TooManyRequests", "The request is being throttled."),
               {"Content-Type": "application/json", "Retry-After": "3600"})
    start = time.monotonic()
    f = facts()
    assert f.not_checked == (NotChecked("disks", f"throttled: {DISKS} (still rate-limited after retries)"),)
    assert arm.count(DISKS) == 3 and time.monotonic() - start < 10
    assert len(f.node_pools) == 2


# --------------------------------------------------------------------------- unreadable answers


@pytest.mark.parametrize(("body", "headers"), [
    (b"this is not a body {", {"Content-Type": "application/json"}),
    (b"<html><body>Sign in to the proxy</body></html>", {"Content-Type": "text/html"}),
    (b"\xff\xfe\xfa{}", {"Content-Type": "application/json"}),
    (b"", {"Content-Type": "application/json"}),
    (b"[1, 2]", {"Content-Type": "application/json"}),
], ids=["not-json", "html", "not-utf8", "empty", "json-list"])
def test_an_unreadable_200_is_not_checked_and_not_retried(arm: Faults, body: bytes, headers: dict[str, str]) -> None:
    """azure-core / the generated deserializers would raise JSONDecodeError or AttributeError."""
    arm.answer(DISKS, 200, body, headers)
    f = facts()
    assert f.not_checked == (NotChecked("disks", f"{DISKS}: HTTP 200 unreadable body"),)
    assert arm.count(DISKS) == 1 and f.disks == ()
    assert len(f.node_pools) == 2 and f.egress_gateways


def test_an_unreadable_page_of_usages_leaves_the_rest_of_the_network_loop(arm: Faults) -> None:
    arm.answer(USAGES, 200, b"<html>gateway timeout page</html>", {"Content-Type": "text/html"})
    f = facts()
    assert f.not_checked == (NotChecked("subnets", f"{USAGES}: HTTP 200 unreadable body"),)
    _network_still_answers(f)


def test_an_unreadable_metrics_batch_leaves_the_gateway(arm: Faults) -> None:
    arm.answer(METRICS, 200, b"\x00\x01binary", {"Content-Type": "application/octet-stream"})
    f = facts()
    assert NotChecked("egress_gateways", f"{METRICS}: HTTP 200 unreadable body") in f.not_checked
    (gw,) = f.egress_gateways  # the gateway itself was read; its metrics were not
    assert gw.port_allocation_errors is None


# --------------------------------------------------------------------------- other client errors


@pytest.mark.parametrize(("status", "body", "reason"), [
    (409, _error("Conflict", "Operation conflicts with another."), f"{USAGES}: HTTP 409 Conflict"),
    (400, b"", f"{USAGES}: HTTP 400"),
    (400, _error("InvalidApiVersionParameter", "The api-version is invalid."),
     f"{USAGES}: HTTP 400 InvalidApiVersionParameter"),
], ids=["409", "400-empty", "400-arm-error"])
def test_a_client_error_is_not_checked_and_not_retried(arm: Faults, status: int, body: bytes, reason: str) -> None:
    arm.answer(USAGES, status, body)
    f = facts()
    assert f.not_checked == (NotChecked("subnets", reason),)
    assert arm.count(USAGES) == 1
    _network_still_answers(f)


# --------------------------------------------------------------------------- no answer


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_refused_endpoint_is_unreachable_in_bounded_time() -> None:
    port = _closed_port()
    p = provider(arm_endpoint=f"https://127.0.0.1:{port}")
    start = time.monotonic()
    with closing(p), pytest.raises(CloudUnreachableError, match=rf"azure: cannot reach https://127.0.0.1:{port}") as info:
        gather_facts(p, r2c.demo("aks"))
    assert info.value.exit_code == 3 and time.monotonic() - start < 10


def test_an_endpoint_that_never_answers_is_unreachable_within_the_budget() -> None:
    """A listener that never accepts: the TCP connection opens (the kernel's backlog), the TLS
    handshake never completes."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        port = listener.getsockname()[1]
        p = provider(arm_endpoint=f"https://127.0.0.1:{port}",
                     client_kwargs={**FAST, "connection_timeout": 0.5, "read_timeout": 0.5})
        start = time.monotonic()
        with pytest.raises(CloudUnreachableError, match="azure: cannot reach"):
            p.managed_cluster()
        elapsed = time.monotonic() - start
    assert 1.0 <= elapsed < 6  # three attempts of 0.5 s


def test_the_default_budget_is_bounded() -> None:
    p = AzureProvider(FakeCredential(), subscription=SUB, resource_group=RG, cluster_name="c")
    kwargs = p.session._kwargs
    policy = kwargs["retry_policy"]
    assert isinstance(policy, BoundedRetryPolicy)
    assert (policy.total_retries, policy.backoff_factor, policy.backoff_max, policy.timeout) == (3, 0.8, 8, 40)
    assert RETRY_DEFAULTS["timeout"] == 40 and TRANSPORT_DEFAULTS == {"connection_timeout": 5, "read_timeout": 15}
    assert (kwargs["connection_timeout"], kwargs["read_timeout"]) == (5, 15)
    config = p.session.compute()._config
    assert config.retry_policy is policy


# --------------------------------------------------------------------------- credentials


def test_no_credential_is_unreachable(arm: Faults, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_TENANT_ID", "AZURE_CLIENT_CERTIFICATE_PATH",
                "AZURE_USERNAME", "AZURE_FEDERATED_TOKEN_FILE"):
        monkeypatch.delenv(var, raising=False)
    p = provider(make_credential("environment"))
    with closing(p), pytest.raises(CloudUnreachableError, match="azure: no usable credential") as info:
        gather_facts(p, r2c.demo("aks"))
    assert info.value.exit_code == 3
    assert not arm.sent  # nothing was sent without a token
    cred = FakeCredential(fail=CredentialUnavailableError("Please run 'az login' to set up an account"))
    with closing(provider(cred)) as p, pytest.raises(CloudUnreachableError, match="az login"):
        gather_facts(p, r2c.demo("aks"))


def test_a_token_arm_refuses_is_unreachable(arm: Faults) -> None:
    arm.answer("Microsoft.ContainerService/managedClusters/read", 401,
               _error("InvalidAuthenticationToken", "The access token is invalid."),
               {"Content-Type": "application/json",
                "WWW-Authenticate": 'Bearer authorization_uri="https://login.windows.net/", error="invalid_token"'})
    # closing(): calls still queued on the provider's pool end while the fake ARM still answers
    with closing(provider()) as p, pytest.raises(CloudUnreachableError, match="azure: no usable credential") as info:
        gather_facts(p, r2c.demo("aks"))
    assert info.value.exit_code == 3


# --------------------------------------------------------------------------- sovereign clouds


class Entra:
    """``responses`` callbacks for an Entra authority: discovery and client-credential tokens."""

    def __init__(self) -> None:
        self.hosts: list[str] = []

    def __call__(self, request: Any) -> tuple[int, dict[str, str], str]:
        host = request.url.split("/")[2]
        self.hosts.append(host)
        if request.url.endswith("/.well-known/openid-configuration"):
            base = f"https://{host}/{TENANT}"
            return 200, {"Content-Type": "application/json"}, json.dumps({
                "token_endpoint": f"{base}/oauth2/v2.0/token", "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode", "issuer": f"{base}/v2.0"})
        return 200, {"Content-Type": "application/json"}, json.dumps(
            {"access_token": f"token-from-{host}", "expires_in": 3600, "token_type": "Bearer"})


@pytest.fixture
def service_principal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_TENANT_ID", TENANT)
    monkeypatch.setenv("AZURE_CLIENT_ID", "00000000-0000-0000-0000-00000000c1d0")
    monkeypatch.setenv("AZURE_CLIENT_SECRET", "not-a-secret")
    for var in ("AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_USERNAME", "AZURE_FEDERATED_TOKEN_FILE"):
        monkeypatch.delenv(var, raising=False)


@pytest.mark.parametrize("kind", ["environment", "default"])
@pytest.mark.parametrize("authority", ["login.microsoftonline.us", "https://login.microsoftonline.us/"])
def test_azure_authority_host_is_honoured(service_principal: None, monkeypatch: pytest.MonkeyPatch, kind: str,
                                          authority: str) -> None:
    """With only AZURE_AUTHORITY_HOST set, tokens come from US Government's Entra ID and the
    calls go to its Resource Manager."""
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", authority)
    gov = "https://management.usgovcloudapi.net"
    world, entra = ArmWorld(base=gov), Entra()
    tokens: list[str] = []

    def arm(request: Any) -> tuple[int, dict[str, str], bytes]:
        tokens.append(request.headers.get("Authorization", ""))
        body = request.body.encode() if isinstance(request.body, str) else request.body
        return world.handle(request.method, request.url, body)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for method in ("GET", "POST"):
            rsps.add_callback(method, re.compile(r"https://login\.microsoftonline\.(us|com)/.*"), callback=entra)
            for base in filter(None, (world.base, world.metrics_base)):
                rsps.add_callback(method, re.compile(re.escape(base) + r"/.*"), callback=arm)
        p = AzureProvider(subscription=SUB, resource_group=RG, cluster_name=demo.NAME, azure_credential=kind)
        assert p.session.arm_endpoint == gov and p.session.metrics_endpoint == "https://{region}.metrics.monitor.azure.us"
        f = gather_facts(p, r2c.demo("aks"))
    assert len(f.node_pools) == 2 and world.operations
    assert set(entra.hosts) == {"login.microsoftonline.us"}
    assert set(tokens) == {"Bearer token-from-login.microsoftonline.us"}


def test_an_explicit_cloud_wins_over_azure_authority_host(service_principal: None,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", "login.microsoftonline.us")
    entra = Entra()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        for method in ("GET", "POST"):
            rsps.add_callback(method, re.compile(r"https://login\.microsoftonline\.(us|com)/.*"), callback=entra)
        p = AzureProvider(subscription=SUB, resource_group=RG, cluster_name="c", cloud="AzureCloud",
                          azure_credential="environment")
        token = p.session.credential.get_token(p.session.scope)
    assert p.session.arm_endpoint == "https://management.azure.com"
    assert set(entra.hosts) == {"login.microsoftonline.com"} and token.token == "token-from-login.microsoftonline.com"


def test_an_unknown_authority_host_keeps_the_public_resource_manager(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_AUTHORITY_HOST", "https://adfs.contoso.local/adfs")
    p = AzureProvider(FakeCredential(), subscription=SUB, resource_group=RG, cluster_name="c")
    assert p.session.arm_endpoint == "https://management.azure.com"
    assert cloud_of_authority("https://adfs.contoso.local/adfs") is None
    assert cloud_of_authority("LOGIN.CHINACLOUDAPI.CN") == "AzureChinaCloud"
    assert cloud_of_authority(None) is None and cloud_of_authority("") is None
