"""Azure plumbing: credentials, the management clients, call counting and error translation.

Every management client is built with the same ``base_url`` and ``credential_scopes`` (so
sovereign clouds and Azure Stack work) and carries a :class:`CountingPolicy` that counts each
HTTP request (retries and pages included) by its ARM operation (``Microsoft.Compute/disks/read``),
the name RBAC uses, into the provider's :class:`r2c_clouds.providers.kit.CallCounter`.

SDK errors become the kit's: 403 → :class:`~r2c_clouds.providers.kit.Forbidden`, a 429 that
outlasted azure-core's retries → :class:`~r2c_clouds.providers.kit.Throttled`, another HTTP
error → :class:`HttpFailed` (a 404 → :class:`NotFound`, unless the caller handles
``ResourceNotFoundError`` itself); no credential or an unreachable endpoint →
:class:`r2c_clouds.errors.CloudUnreachableError`.

This module imports azure-core: the provider imports it when it is constructed, never when
the plugin class is loaded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

from azure.core.credentials import TokenCredential
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy

from r2c_clouds.errors import BadInputError, CloudUnreachableError
from r2c_clouds.model.cloud import Provenance
from r2c_clouds.providers.azure._arm import CREDENTIAL_KINDS, METRICS_HOSTS, arm_operation
from r2c_clouds.providers.kit import CallCounter, CallFailed, Forbidden, Throttled

__all__ = [
    "AzureSession",
    "CountingPolicy",
    "HttpFailed",
    "NotFound",
    "make_credential",
    "translate",
]

# azure-identity logs each failed credential at WARNING; without a handler Python's last-resort
# handler prints them on stderr next to r2c's one-line error. Applications that configure
# logging still receive them (propagation is unchanged).
logging.getLogger("azure").addHandler(logging.NullHandler())

T = TypeVar("T")


class CountingPolicy(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """A pipeline policy counting requests per ARM operation (retries included) into ``calls``."""

    def __init__(self, calls: CallCounter) -> None:
        self.calls = calls

    def on_request(self, request: PipelineRequest) -> None:  # type: ignore[type-arg]
        self.calls.count(arm_operation(request.http_request.method, request.http_request.url))


class HttpFailed(CallFailed):
    """A call that failed with an HTTP error other than 403 and 429 (``Microsoft.Network/
    natGateways/read: HTTP 500 InternalServerError``).

    Args:
        operation: the ARM operation.
        status: the HTTP status.
        code: the ARM error code, if the body carried one.
        message: the ARM error message.
    """

    def __init__(self, operation: str, status: int | None, code: str | None = None, message: str = "") -> None:
        super().__init__(operation, message)
        self.status = status
        self.code = code

    def reason(self) -> str:
        return f"{self.operation}: HTTP {self.status}{f' {self.code}' if self.code else ''}"


class NotFound(HttpFailed):
    """A 404 the caller did not ask to handle (``...: not found (Not Found)``)."""

    kind = "not found"

    def reason(self) -> str:
        return f"{self.operation}: not found ({self.message or 'HTTP 404'})"


def make_credential(kind: str | None, authority: str) -> TokenCredential:
    """The azure-identity credential for ``--azure-credential KIND`` (default: DefaultAzureCredential).

    Raises:
        BadInputError: an unknown kind.
    """
    from azure import identity

    kind = (kind or "default").lower()
    if kind == "default":
        return identity.DefaultAzureCredential(authority=authority)
    if kind == "cli":
        return identity.AzureCliCredential()
    if kind == "environment":
        return identity.EnvironmentCredential(authority=authority)
    if kind == "workload-identity":
        return identity.WorkloadIdentityCredential(authority=authority)
    if kind == "managed-identity":
        return identity.ManagedIdentityCredential()
    raise BadInputError(f"--azure-credential {kind!r} is not one of {', '.join(CREDENTIAL_KINDS)}")


def _operation_of(exc: HttpResponseError) -> str:
    resp = exc.response
    req: Any = resp.request if resp is not None else None
    if req is not None:
        return arm_operation(req.method, req.url)
    return "unknown operation"


def _failed(exc: HttpResponseError) -> CallFailed:
    """The kit's failure for an HTTP error: 403 → Forbidden, 429 → Throttled, else HttpFailed."""
    op = _operation_of(exc)
    message = str(exc.message or "")
    if exc.status_code == 403:
        return Forbidden(op, message)
    if exc.status_code == 429:
        return Throttled(op, message)  # azure-core's RetryPolicy already retried it
    code = exc.error.code if exc.error is not None else None
    return HttpFailed(op, exc.status_code, code, message)


@contextmanager
def translate(endpoint: str, *, missing_ok: bool = False) -> Iterator[None]:
    """Turn SDK errors into the kit's and r2c's.

    Raises:
        CallFailed: :class:`~r2c_clouds.providers.kit.Forbidden` (403),
            :class:`~r2c_clouds.providers.kit.Throttled` (429 after retries),
            :class:`NotFound` (404, unless ``missing_ok``), :class:`HttpFailed` (another HTTP error).
        ResourceNotFoundError: a 404 when ``missing_ok``, for the caller to report the resource
            as missing.
        CloudUnreachableError: no usable credential, or ``endpoint`` cannot be reached.
    """
    try:
        yield
    except ResourceNotFoundError as exc:
        if missing_ok:
            raise
        raise NotFound(_operation_of(exc), 404, message=exc.reason or "") from exc
    except ClientAuthenticationError as exc:
        if exc.status_code == 403:
            raise Forbidden(_operation_of(exc), str(exc.message or "")) from exc
        first = (str(exc.message or exc) or "no credential").strip().splitlines()[0]
        raise CloudUnreachableError(
            f"azure: no usable credential for {endpoint}: {first}",
            remediation="sign in with `az login`, or choose one with --azure-credential",
        ) from exc
    except (ServiceRequestError, ServiceResponseError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CloudUnreachableError(f"azure: cannot reach {endpoint}: {first}") from exc
    except HttpResponseError as exc:
        raise _failed(exc) from exc


class AzureSession:
    """Credential, endpoint and lazily built management clients shared by the four loops.

    Args:
        credential: the TokenCredential.
        subscription: the subscription id.
        arm_endpoint: Resource Manager endpoint (no trailing slash).
        client_kwargs: extra keyword arguments for every management client (``transport``,
            ``retry_total``...), for tests and tuning.
        metrics_endpoint: the regional metrics data plane, ``https://{region}.metrics.monitor.azure.com``
            (``{region}`` is replaced by each gateway's location); ``None`` when it cannot be
            determined (a custom Resource Manager endpoint): metrics are then read per resource
            through Resource Manager.
        calls: where requests are counted (the provider's); a new counter if not given.
    """

    def __init__(
        self,
        credential: TokenCredential,
        subscription: str,
        arm_endpoint: str,
        client_kwargs: dict[str, Any] | None = None,
        metrics_endpoint: str | None = None,
        calls: CallCounter | None = None,
    ) -> None:
        self.credential = credential
        self.subscription = subscription
        self.arm_endpoint = arm_endpoint.rstrip("/")
        self.scope = f"{self.arm_endpoint}/.default"
        self.metrics_endpoint = metrics_endpoint.rstrip("/") if metrics_endpoint else None
        self.calls = calls if calls is not None else CallCounter()
        self.policy = CountingPolicy(self.calls)
        self._kwargs = dict(client_kwargs or {})
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ calls

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` against Resource Manager, its errors translated (:func:`translate`)."""
        with translate(self.arm_endpoint):
            return fn(*args, **kwargs)

    def listed(self, fn: Callable[..., Iterable[T]], *args: Any, **kwargs: Any) -> list[T]:
        """Every item of the paged ``fn(*args, **kwargs)``, its errors translated (:func:`translate`)."""
        with translate(self.arm_endpoint):
            return list(fn(*args, **kwargs))

    # ------------------------------------------------------------------ clients

    def _client(self, key: str, factory: Callable[..., T]) -> T:
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = factory(
                    self.credential,
                    self.subscription,
                    base_url=self.arm_endpoint,
                    credential_scopes=[self.scope],
                    per_retry_policies=[self.policy],
                    **self._kwargs,
                )
                self._clients[key] = client
            return client

    def containerservice(self) -> Any:
        """ContainerServiceClient."""
        from azure.mgmt.containerservice import ContainerServiceClient

        return self._client("containerservice", ContainerServiceClient)

    def msi(self) -> Any:
        """ManagedServiceIdentityClient."""
        from azure.mgmt.msi import ManagedServiceIdentityClient

        return self._client("msi", ManagedServiceIdentityClient)

    def compute(self) -> Any:
        """ComputeManagementClient."""
        from azure.mgmt.compute import ComputeManagementClient

        return self._client("compute", ComputeManagementClient)

    def network(self) -> Any:
        """NetworkManagementClient."""
        from azure.mgmt.network import NetworkManagementClient

        return self._client("network", NetworkManagementClient)

    def monitor(self) -> Any:
        """MonitorManagementClient."""
        from azure.mgmt.monitor import MonitorManagementClient

        return self._client("monitor", MonitorManagementClient)

    def authorization(self) -> Any:
        """AuthorizationManagementClient."""
        from azure.mgmt.authorization import AuthorizationManagementClient

        return self._client("authorization", AuthorizationManagementClient)

    def metrics_scope(self) -> str | None:
        """The token scope of the metrics data plane: the endpoint without its region label
        (``https://{region}.metrics.monitor.azure.com`` → ``https://metrics.monitor.azure.com/.default``,
        as azure-monitor-querymetrics' default audience)."""
        if self.metrics_endpoint is None:
            return None
        host = urlsplit(self.metrics_endpoint).netloc
        if host.startswith("{region}."):
            host = host[len("{region}.") :]
        for suffix in METRICS_HOSTS.values():
            if host.endswith("." + suffix):
                host = suffix
        return f"https://{host}/.default"

    def metrics_url(self, region: str) -> str:
        """The batch metrics endpoint of one region (``https://westeurope.metrics.monitor.azure.com``)."""
        return (self.metrics_endpoint or "").replace("{region}", region.lower().replace(" ", ""))

    def metrics_batch(self, region: str) -> Any:
        """The azure-monitor-querymetrics ``MetricsClient`` for one region, or ``None`` when the
        batch endpoint is not known."""
        if self.metrics_endpoint is None:
            return None
        endpoint = self.metrics_url(region)
        key = f"metrics:{endpoint}"
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                from azure.monitor.querymetrics import MetricsClient

                client = MetricsClient(
                    endpoint,
                    self.credential,
                    credential_scopes=[self.metrics_scope()],
                    per_retry_policies=[self.policy],
                    **self._kwargs,
                )
                self._clients[key] = client
            return client

    def provenance(self, call: str, resource_id: str = "") -> Provenance:
        """Provenance for a fact from ``call`` about ``resource_id``."""
        return Provenance("azure", call, resource_id)
