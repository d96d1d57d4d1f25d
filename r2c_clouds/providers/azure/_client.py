"""Azure plumbing: credentials, clouds and endpoints, the management clients, call counting
and error translation.

Every management client is built with the same ``base_url`` and ``credential_scopes`` (so
sovereign clouds and Azure Stack work) and carries a :class:`CallCounter` policy that counts
each HTTP request by its ARM operation (``Microsoft.Compute/disks/read``), the name RBAC uses.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
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
from r2c_clouds.model.cloud import NotChecked, Provenance

__all__ = [
    "BATCH_METRICS_READ",
    "CLOUDS",
    "CREDENTIAL_KINDS",
    "METRICS_HOSTS",
    "AzureSession",
    "CallCounter",
    "Forbidden",
    "arm_operation",
    "make_credential",
    "parse_resource_id",
]

#: Azure cloud name → (Resource Manager endpoint, Entra authority host).
CLOUDS: dict[str, tuple[str, str]] = {
    "AzureCloud": ("https://management.azure.com", "login.microsoftonline.com"),
    "AzureUSGovernment": ("https://management.usgovcloudapi.net", "login.microsoftonline.us"),
    "AzureChinaCloud": ("https://management.chinacloudapi.cn", "login.chinacloudapi.cn"),
}

#: Azure cloud name → host suffix of the regional metrics data plane (``metrics:getBatch``),
#: which is also the token audience (``https://<suffix>/.default``).
METRICS_HOSTS: dict[str, str] = {
    "AzureCloud": "metrics.monitor.azure.com",
    "AzureUSGovernment": "metrics.monitor.azure.us",
    "AzureChinaCloud": "metrics.monitor.azure.cn",
}

#: The RBAC action ``metrics:getBatch`` is authorized with (the operation name it is counted under).
BATCH_METRICS_READ = "Microsoft.Insights/Metrics/Read"

#: ``--azure-credential`` values.
CREDENTIAL_KINDS = ("default", "cli", "environment", "workload-identity", "managed-identity")

T = TypeVar("T")


def arm_operation(method: str, url: str) -> str:
    """The ARM operation (RBAC action) a request performs.

    >>> arm_operation("GET", "https://management.azure.com/subscriptions/s/resourceGroups/rg/"
    ...     "providers/Microsoft.Compute/disks/d1?api-version=2024-03-02")
    'Microsoft.Compute/disks/read'
    >>> arm_operation("GET", "https://management.azure.com/subscriptions/s/resourceGroups/rg/"
    ...     "providers/Microsoft.ContainerRegistry/registries/acr/providers/"
    ...     "Microsoft.Authorization/roleAssignments")
    'Microsoft.Authorization/roleAssignments/read'
    >>> arm_operation("POST", "https://westeurope.metrics.monitor.azure.com/subscriptions/s/metrics:getBatch")
    'Microsoft.Insights/Metrics/Read'
    """
    parts = [p for p in urlsplit(url).path.split("/") if p]
    lowered = [p.lower() for p in parts]
    if lowered and lowered[-1] == "metrics:getbatch":
        return BATCH_METRICS_READ  # the regional metrics data plane, authorized as metrics read
    if "providers" not in lowered:
        kind = "resourceGroups" if "resourcegroups" in lowered else "subscriptions"
        return f"Microsoft.Resources/{kind}/read"
    i = len(lowered) - 1 - lowered[::-1].index("providers")
    rest = parts[i + 1 :]
    if not rest:
        return "Microsoft.Resources/providers/read"
    namespace, types = rest[0], rest[1::2]
    verb = {"GET": "read", "PUT": "write", "PATCH": "write", "DELETE": "delete"}.get(method.upper(), "action")
    if verb == "action" and len(rest) % 2 == 0:
        # POST .../resource/listKeys: the last segment names the action.
        return "/".join([namespace, *rest[1:-1:2], rest[-1]]) + "/action"
    return "/".join([namespace, *types, verb])


def parse_resource_id(resource_id: str) -> dict[str, str]:
    """Split an ARM resource id into ``subscription``, ``resource_group``, ``name`` (last
    segment) and ``type`` (``Microsoft.Compute/disks``)."""
    parts = [p for p in resource_id.split("/") if p]
    out: dict[str, str] = {}
    lowered = [p.lower() for p in parts]
    for key, seg in (("subscription", "subscriptions"), ("resource_group", "resourcegroups")):
        if seg in lowered and lowered.index(seg) + 1 < len(parts):
            out[key] = parts[lowered.index(seg) + 1]
    if "providers" in lowered:
        i = len(lowered) - 1 - lowered[::-1].index("providers")
        rest = parts[i + 1 :]
        if rest:
            out["type"] = "/".join([rest[0], *rest[1::2]])
    if parts:
        out["name"] = parts[-1]
    return out


class CallCounter(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """A pipeline policy counting requests per ARM operation (retries included)."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def on_request(self, request: PipelineRequest) -> None:  # type: ignore[type-arg]
        op = arm_operation(request.http_request.method, request.http_request.url)
        with self._lock:
            self.counts[op] += 1


class Forbidden(Exception):
    """One call was refused (403): becomes a ``not_checked`` entry naming the operation."""

    def __init__(self, operation: str, message: str = "") -> None:
        super().__init__(operation)
        self.operation = operation
        self.message = message

    def not_checked(self, what: str) -> NotChecked:
        """The ``not_checked`` entry for the fact family ``what``."""
        return NotChecked(what, f"forbidden: {self.operation}")


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


class AzureSession:
    """Credential, endpoint and lazily built management clients shared by the four loops.

    Args:
        credential: the TokenCredential.
        subscription: the subscription id.
        arm_endpoint: Resource Manager endpoint (no trailing slash).
        client_kwargs: extra keyword arguments for every management client (``transport``,
            ``retry_backoff_factor``...), for tests and tuning.
        metrics_endpoint: the regional metrics data plane, ``https://{region}.metrics.monitor.azure.com``
            (``{region}`` is replaced by each gateway's location); ``None`` when it cannot be
            determined (a custom Resource Manager endpoint): metrics are then read per resource
            through Resource Manager.
    """

    def __init__(
        self,
        credential: TokenCredential,
        subscription: str,
        arm_endpoint: str,
        client_kwargs: dict[str, Any] | None = None,
        metrics_endpoint: str | None = None,
    ) -> None:
        self.credential = credential
        self.subscription = subscription
        self.arm_endpoint = arm_endpoint.rstrip("/")
        self.scope = f"{self.arm_endpoint}/.default"
        self.metrics_endpoint = metrics_endpoint.rstrip("/") if metrics_endpoint else None
        self.counter = CallCounter()
        self._kwargs = dict(client_kwargs or {})
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _client(self, key: str, factory: Callable[..., T]) -> T:
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = factory(
                    self.credential,
                    self.subscription,
                    base_url=self.arm_endpoint,
                    credential_scopes=[self.scope],
                    per_retry_policies=[self.counter],
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
                    per_retry_policies=[self.counter],
                    **self._kwargs,
                )
                self._clients[key] = client
            return client

    def provenance(self, call: str, resource_id: str = "") -> Provenance:
        """Provenance for a fact from ``call`` about ``resource_id``."""
        return Provenance("azure", call, resource_id)


def _operation_of(exc: HttpResponseError) -> str:
    resp = exc.response
    req: Any = resp.request if resp is not None else None
    if req is not None:
        return arm_operation(req.method, req.url)
    return "unknown operation"


@contextmanager
def translate(endpoint: str) -> Iterator[None]:
    """Turn SDK errors into r2c's: 403 → :class:`Forbidden`; no credential or unreachable
    endpoint → :class:`CloudUnreachableError`. 404 propagates as ``ResourceNotFoundError``."""
    try:
        yield
    except ResourceNotFoundError:
        raise
    except ClientAuthenticationError as exc:
        if exc.status_code == 403:
            raise Forbidden(_operation_of(exc), exc.message) from exc
        first = (str(exc.message or exc) or "no credential").strip().splitlines()[0]
        raise CloudUnreachableError(
            f"azure: no usable credential for {endpoint}: {first}",
            remediation="sign in with `az login`, or choose one with --azure-credential",
        ) from exc
    except (ServiceRequestError, ServiceResponseError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CloudUnreachableError(f"azure: cannot reach {endpoint}: {first}") from exc
    except HttpResponseError as exc:
        if exc.status_code == 403:
            raise Forbidden(_operation_of(exc), exc.message) from exc
        raise


def zone_label(location: str | None, zone: str) -> str:
    """ARM zone ``"1"`` as the Kubernetes topology label writes it (``westeurope-1``).

    >>> zone_label("westeurope", "1")
    'westeurope-1'
    """
    if not location or "-" in zone:
        return zone
    return f"{location.lower().replace(' ', '')}-{zone}"


def failure(what: str, exc: Exception) -> NotChecked:
    """The ``not_checked`` entry for a call that failed with ``exc`` (403 or another HTTP error)."""
    if isinstance(exc, Forbidden):
        return exc.not_checked(what)
    if isinstance(exc, HttpResponseError):
        code = exc.error.code if exc.error is not None else None
        return NotChecked(what, f"{_operation_of(exc)}: HTTP {exc.status_code}{f' {code}' if code else ''}")
    return NotChecked(what, f"{type(exc).__name__}: {exc}")


def guarded(what: str, endpoint: str, fn: Callable[[], T], *, missing_ok: bool = False) -> T | NotChecked:
    """Run one call; a refused or failed call becomes a ``not_checked`` entry for ``what``.

    Raises:
        ResourceNotFoundError: 404 when ``missing_ok``, for the caller to report the resource as missing.
        CloudUnreachableError: no credential, or the endpoint cannot be reached.
    """
    try:
        with translate(endpoint):
            return fn()
    except ResourceNotFoundError as exc:
        if missing_ok:
            raise
        return NotChecked(what, f"{_operation_of(exc)}: not found ({exc.reason or 'HTTP 404'})")
    except (Forbidden, HttpResponseError) as exc:
        return failure(what, exc)


def text(value: Any) -> str | None:
    """An SDK enum or string as its wire value (``managedNATGateway``), ``None`` if unset."""
    if value is None or value == "":
        return None
    return str(getattr(value, "value", value))
