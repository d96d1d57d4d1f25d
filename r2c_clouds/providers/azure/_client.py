"""Azure plumbing: credentials, the management clients, call counting and error translation.

Every management client is built with the same ``base_url`` and ``credential_scopes`` (so
sovereign clouds and Azure Stack work) and carries a :class:`CountingPolicy` that counts each
HTTP request (retries and pages included) by its ARM operation (``Microsoft.Compute/disks/read``),
the name RBAC uses, into the provider's :class:`r2c_clouds.providers.kit.CallCounter`.

SDK errors become the kit's (see :mod:`r2c_clouds.providers.kit`, *The error rule*):
403 → :class:`~r2c_clouds.providers.kit.Forbidden`; a 429 that outlasted the retries →
:class:`~r2c_clouds.providers.kit.Throttled`; another HTTP error (5xx after the retries, 400,
409...) → :class:`HttpFailed` (a 404 → :class:`NotFound`, unless the caller handles
``ResourceNotFoundError`` itself); an answer that cannot be read (a 2xx whose body is not a
JSON object or not UTF-8, refused by :class:`BodyCheckPolicy` before azure-core or the
generated deserializers see it; a ``DeserializationError``) → :class:`HttpFailed` with code
``unreadable body``; no credential, a credential refused (401) and no answer at all
(``ServiceRequestError`` / ``ServiceResponseError``: DNS, refused, TLS, timeouts) →
:class:`r2c_clouds.errors.CloudUnreachableError`.

Budget per request (each page of a list too), :class:`BoundedRetryPolicy` with
:data:`RETRY_DEFAULTS` unless ``client_kwargs`` say otherwise: 3 retries of 408 / 429 / 500 /
502 / 503 / 504 (any error with a ``Retry-After``) and connection errors, backoff 0 s, 1.6 s,
3.2 s (capped at 8 s; a ``Retry-After`` is honoured up to 8 s), no retry started once
:data:`RETRY_DEFAULTS` ``timeout`` (40 s) is spent; each attempt has 5 s to connect and 15 s
per read. An endpoint
that accepts connections and never answers fails after at most about 40 + 15 s (measured:
~47 s), a black-holed one after about 25 s, a refused one in about 5 s. azure-identity's token
requests run under their own timeouts, before the call.

This module imports azure-core: the provider imports it when it is constructed, never when
the plugin class is loaded.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar
from urllib.parse import urlsplit

from azure.core.credentials import TokenCredential
from azure.core.exceptions import (
    ClientAuthenticationError,
    DecodeError,
    DeserializationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import RetryPolicy, SansIOHTTPPolicy

from r2c_clouds.errors import BadInputError, CloudUnreachableError
from r2c_clouds.model.cloud import Provenance
from r2c_clouds.providers.azure._arm import CREDENTIAL_KINDS, METRICS_HOSTS, arm_operation
from r2c_clouds.providers.kit import (
    CallCounter,
    CallError,
    CallFailed,
    Forbidden,
    Throttled,
    first_line,
)

__all__ = [
    "RETRY_DEFAULTS",
    "TRANSPORT_DEFAULTS",
    "AzureSession",
    "BodyCheckPolicy",
    "BoundedRetryPolicy",
    "CountingPolicy",
    "HttpFailed",
    "NotFound",
    "make_credential",
    "translate",
]

#: The retry budget of every request unless ``client_kwargs`` say otherwise (azure-core's
#: own defaults are 10 retries, backoff up to 120 s, an unbounded ``Retry-After`` and a
#: 7-day ``timeout``). ``timeout``: seconds after which no retry is started.
RETRY_DEFAULTS: dict[str, Any] = {
    "retry_total": 3,
    "retry_backoff_factor": 0.8,
    "retry_backoff_max": 8,
    "timeout": 40,
}
#: Seconds to connect and per read, per attempt (azure-core's defaults: 300 s each).
TRANSPORT_DEFAULTS: dict[str, Any] = {"connection_timeout": 5, "read_timeout": 15}
_RETRY_KEYS = ("retry_total", "retry_connect", "retry_read", "retry_status", "retry_backoff_factor",
               "retry_backoff_max", "retry_mode", "retry_on_status_codes", "timeout")
#: What the last request of this thread was (for errors raised without a response).
_last = threading.local()

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
        op = arm_operation(request.http_request.method, request.http_request.url)
        _last.operation, _last.status = op, None
        self.calls.count(op)

    def on_response(self, request: PipelineRequest, response: PipelineResponse) -> None:  # type: ignore[type-arg]
        _last.status = response.http_response.status_code


class BoundedRetryPolicy(RetryPolicy):  # type: ignore[type-arg]
    """azure-core's RetryPolicy within a time budget: no retry is started when its sleep would
    end past ``timeout`` seconds after the first attempt (the last answer, a 429 or a 503, is
    then what the caller sees), and a ``Retry-After`` is honoured up to ``retry_backoff_max``.

    Keyword arguments are RetryPolicy's (:data:`RETRY_DEFAULTS` for those not given).
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**{**RETRY_DEFAULTS, **kwargs})

    def configure_retries(self, options: dict[str, Any]) -> dict[str, Any]:
        settings: dict[str, Any] = super().configure_retries(options)
        settings["deadline"] = time.monotonic() + float(settings["timeout"])
        return settings

    def get_retry_after(self, response: Any) -> float | None:
        after: float | None = super().get_retry_after(response)
        return None if after is None else min(after, float(self.backoff_max))

    def increment(self, settings: dict[str, Any], response: Any = None, error: Exception | None = None) -> bool:
        if not super().increment(settings, response=response, error=error):
            return False
        after = self.get_retry_after(response) if isinstance(response, PipelineResponse) else None
        wait = after if after is not None else self.get_backoff_time(settings)
        return time.monotonic() + wait + 0.5 < float(settings["deadline"])


class BodyCheckPolicy(SansIOHTTPPolicy):  # type: ignore[type-arg]
    """Refuses a 2xx answer whose body is not a JSON object (or not UTF-8) with azure-core's
    ``DecodeError``, before the generated deserializers read it (they would raise a bare
    ``JSONDecodeError``, or turn a list into attribute errors later). Added per call, outside
    the retries: an unreadable body is not retried."""

    def on_response(self, request: PipelineRequest, response: PipelineResponse) -> None:  # type: ignore[type-arg]
        http = response.http_response
        if not 200 <= http.status_code < 300 or http.status_code == 204 or request.http_request.method == "HEAD":
            return
        if request.context.options.get("stream"):
            return
        problem = _body_problem(http.body())
        if problem is not None:
            raise DecodeError(message=problem, response=http)


def _body_problem(body: bytes | None) -> str | None:
    if not body:
        return "empty body"
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        return f"not UTF-8 ({exc.reason} at byte {exc.start})"
    except ValueError:
        return "not JSON"
    return None if isinstance(doc, dict) else "not a JSON object"


class HttpFailed(CallError):
    """A call that failed with an HTTP error other than 403 and 429 (``Microsoft.Network/
    natGateways/read: HTTP 500 InternalServerError``).

    Args:
        operation: the ARM operation.
        status: the HTTP status.
        code: the ARM error code, if the body carried one.
        message: the ARM error message.
    """

    def __init__(self, operation: str, status: int | None, code: str | None = None, message: str = "") -> None:
        super().__init__(operation, status, code, message)

    def reason(self) -> str:
        return f"{self.operation}: HTTP {self.status}{f' {self.code}' if self.code else ''}"


class NotFound(HttpFailed):
    """A 404 the caller did not ask to handle (``...: not found (Not Found)``)."""

    kind = "not found"

    def reason(self) -> str:
        return f"{self.operation}: not found ({self.message or 'HTTP 404'})"


def make_credential(kind: str | None, authority: str | None = None) -> TokenCredential:
    """The azure-identity credential for ``--azure-credential KIND`` (default: DefaultAzureCredential).

    Args:
        kind: ``default``, ``cli``, ``environment``, ``workload-identity``, ``managed-identity``.
        authority: the Entra authority host (``login.microsoftonline.us``); ``None`` lets
            azure-identity choose it: ``AZURE_AUTHORITY_HOST`` when set, else the public cloud's.
            (The CLI credential follows ``az cloud set``, managed identity its own endpoint.)

    Raises:
        BadInputError: an unknown kind.
    """
    from azure import identity

    kind = (kind or "default").lower()
    where: dict[str, Any] = {"authority": authority} if authority else {}
    if kind == "default":
        return identity.DefaultAzureCredential(**where)
    if kind == "cli":
        return identity.AzureCliCredential()
    if kind == "environment":
        return identity.EnvironmentCredential(**where)
    if kind == "workload-identity":
        return identity.WorkloadIdentityCredential(**where)
    if kind == "managed-identity":
        return identity.ManagedIdentityCredential()
    raise BadInputError(f"--azure-credential {kind!r} is not one of {', '.join(CREDENTIAL_KINDS)}")


def _operation_of(exc: HttpResponseError) -> str:
    resp = exc.response
    req: Any = resp.request if resp is not None else None
    if req is not None:
        return arm_operation(req.method, req.url)
    return str(getattr(_last, "operation", "unknown operation"))  # the request this thread sent last


def _failed(exc: HttpResponseError) -> CallFailed:
    """The kit's failure for an HTTP error: 403 → Forbidden, 429 → Throttled, an unreadable
    body → HttpFailed ``unreadable body``, else HttpFailed."""
    op = _operation_of(exc)
    message = str(exc.message or "")
    if exc.status_code == 403:
        return Forbidden(op, message)
    if exc.status_code == 429:
        return Throttled(op, message)  # azure-core's RetryPolicy already retried it
    if isinstance(exc, DecodeError):  # azure-core's ContentDecodePolicy raises it without the response
        status = exc.status_code if exc.response is not None else getattr(_last, "status", None)
        return HttpFailed(op, status, "unreadable body", message)
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
    _last.operation, _last.status = "unknown operation", None
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
        raise CloudUnreachableError(f"azure: cannot reach {endpoint}: {first_line(exc, limit=None)}") from exc
    except HttpResponseError as exc:
        raise _failed(exc) from exc
    except (DeserializationError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        # a body the policies let through but the generated deserializer could not read
        raise HttpFailed(_last.operation, _last.status, "unreadable body", str(exc)) from exc


class AzureSession:
    """Credential, endpoint and lazily built management clients shared by the four loops.

    Args:
        credential: the TokenCredential.
        subscription: the subscription id.
        arm_endpoint: Resource Manager endpoint (no trailing slash).
        client_kwargs: extra keyword arguments for every management client (``transport``,
            ``retry_total``, ``timeout``, ``connection_timeout``...), for tests and tuning:
            the RetryPolicy ones configure :class:`BoundedRetryPolicy` (over
            :data:`RETRY_DEFAULTS`), a ``retry_policy`` replaces it; the transport's timeouts
            default to :data:`TRANSPORT_DEFAULTS`.
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
        self.body_check = BodyCheckPolicy()
        kwargs = {**TRANSPORT_DEFAULTS, **(client_kwargs or {})}
        retry = {k: kwargs.pop(k) for k in _RETRY_KEYS if k in kwargs}
        kwargs.setdefault("retry_policy", BoundedRetryPolicy(**retry))
        self._kwargs = kwargs
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
                    per_call_policies=[self.body_check],
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
                    per_call_policies=[self.body_check],
                    per_retry_policies=[self.policy],
                    **self._kwargs,
                )
                self._clients[key] = client
            return client

    def provenance(self, call: str, resource_id: str = "") -> Provenance:
        """Provenance for a fact from ``call`` about ``resource_id``."""
        return Provenance("azure", call, resource_id)
