"""Google Cloud clients for one scan, call counting and error translation.

REST clients: container (``transport="rest"``), compute (REST only), resource manager,
Artifact Registry. gRPC clients (the only transport those libraries offer): IAM
(``iam_admin_v1``) and Cloud Monitoring. With one ``endpoint`` (``https://HOST:PORT``), REST
clients use it as their ``api_endpoint`` and gRPC clients open a TLS channel to the same
host and port; custom CAs are trusted the usual way (``REQUESTS_CA_BUNDLE``,
``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH``).

Every call is counted under the IAM permission it needs (``compute.disks.list``), each page
of a paged list once; errors become the kit's (see :mod:`r2c_clouds.providers.kit`, *The
error rule*):

* PermissionDenied / 403 → :class:`Forbidden` naming the permission;
* 429 / RESOURCE_EXHAUSTED still there when the retry budget is spent → :class:`Throttled`;
* any other error answer (REST 500 / 502 / 503 / 504 after the retries, 400, 409, a gRPC
  status the server sent) and any answer that cannot be read (a 200 whose body is not JSON
  or not UTF-8: protobuf's ``ParseError`` / ``UnicodeDecodeError``) → :class:`CallError`
  naming the permission, the HTTP status and the status name;
* no credentials, rejected credentials (401 / UNAUTHENTICATED, a token that cannot be
  refreshed) and no answer at all (REST: DNS, refused, TLS, timeouts; gRPC: UNAVAILABLE or
  DEADLINE_EXCEEDED raised by the client itself, without the server's status details) →
  :class:`~r2c_clouds.errors.CloudUnreachableError`;
* ``NotFound`` is left to the caller, which reads it as "absent".

Budget per call (each page of a paged list too): ``timeout`` seconds in all (default
:data:`TIMEOUT`), retries included. Each call is given its own ``Retry`` whose deadline is
``timeout`` (the libraries' default retries of some read methods run for up to 600 s whatever
``timeout`` says: the ``timeout`` argument of a GAPIC method bounds each attempt, not the
retries) retrying 429, 500, 502, 503, 504 and connection errors with jittered exponential
backoff (0.25 s doubling up to 4 s), and every attempt gets what is left of the deadline (at
least :data:`MIN_ATTEMPT`). An endpoint that never answers thus fails after ``timeout`` + at
most :data:`MIN_ATTEMPT` seconds (31 s by default); a refused one after about ``timeout``
too, connection errors being retried. Token refresh for service-account or
metadata-server credentials runs under google-auth's own timeouts.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import google.auth
import google.auth.exceptions
from google.api_core import exceptions as gexc
from google.api_core import retry as gretry
from google.api_core.client_options import ClientOptions

from r2c_clouds.errors import CloudUnreachableError, R2CError
from r2c_clouds.providers.kit import (
    CallCounter,
    CallError,
    CallFailed,
    Forbidden,
    Throttled,
    first_line,
)

__all__ = ["MIN_ATTEMPT", "SCOPE", "TIMEOUT", "GcpClients", "resolve_credentials"]

T = TypeVar("T")

#: The OAuth scope every call runs under (read-only use of cloud-platform).
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
#: Seconds a call may take in all, retries included, unless told otherwise.
TIMEOUT = 30.0
#: The shortest time an attempt is given, even when less of the deadline is left.
MIN_ATTEMPT = 1.0
_HINT = (
    "run `gcloud auth application-default login`, set GOOGLE_APPLICATION_CREDENTIALS, "
    "or export GOOGLE_OAUTH_ACCESS_TOKEN"
)


def resolve_credentials(credentials: Any = None) -> Any:
    """The credentials to call with: those given, else a token in
    ``GOOGLE_OAUTH_ACCESS_TOKEN``, else ``google.auth.default()``.

    Raises:
        CloudUnreachableError: none found.
    """
    if credentials is not None:
        return credentials
    token = os.environ.get("GOOGLE_OAUTH_ACCESS_TOKEN", "").strip()
    if token:
        from google.oauth2.credentials import Credentials

        return Credentials(token=token)  # type: ignore[no-untyped-call]
    try:
        found, _ = google.auth.default(scopes=[SCOPE])
    except google.auth.exceptions.DefaultCredentialsError as exc:
        raise CloudUnreachableError("gcp: no credentials found", remediation=_HINT) from exc
    return found


class GcpClients:
    """The clients one scan uses, built on first use.

    Args:
        credentials: google.auth credentials (see :func:`resolve_credentials`).
        calls: where calls are counted.
        endpoint: one endpoint for every API (``https://HOST:PORT``).
        client_options: per-API ``client_options`` dicts (``container``, ``compute``,
            ``resourcemanager``, ``artifactregistry``, ``iam``, ``monitoring``).
        timeout: seconds per call in all, retries included (see the module doc).
    """

    def __init__(
        self,
        credentials: Any,
        *,
        calls: CallCounter,
        endpoint: str | None = None,
        client_options: dict[str, dict[str, Any]] | None = None,
        timeout: float = TIMEOUT,
    ) -> None:
        self.credentials = resolve_credentials(credentials)
        self.calls = calls
        self.endpoint = endpoint.rstrip("/") if endpoint else None
        self.timeout = timeout
        self._options = dict(client_options or {})
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ clients

    def _client_options(self, api: str, *, grpc: bool) -> ClientOptions | None:
        opts = dict(self._options.get(api, {}))
        if self.endpoint and "api_endpoint" not in opts:
            if grpc:
                parts = urlsplit(self.endpoint if "//" in self.endpoint else f"https://{self.endpoint}")
                opts["api_endpoint"] = parts.netloc
            else:
                opts["api_endpoint"] = self.endpoint
        return ClientOptions(**opts) if opts else None

    def _client(self, key: str, api: str, factory: Callable[..., T], *, grpc: bool = False) -> T:
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                kwargs: dict[str, Any] = {"credentials": self.credentials}
                options = self._client_options(api, grpc=grpc)
                if options is not None:
                    kwargs["client_options"] = options
                if not grpc:
                    kwargs["transport"] = "rest"
                client = self._clients[key] = factory(**kwargs)
            return client

    def container(self) -> Any:
        """``container_v1.ClusterManagerClient`` (REST)."""
        from google.cloud import container_v1

        return self._client("container", "container", container_v1.ClusterManagerClient)

    def projects(self) -> Any:
        """``resourcemanager_v3.ProjectsClient`` (REST)."""
        from google.cloud import resourcemanager_v3

        return self._client("projects", "resourcemanager", resourcemanager_v3.ProjectsClient)

    def artifact_registry(self) -> Any:
        """``artifactregistry_v1.ArtifactRegistryClient`` (REST)."""
        from google.cloud import artifactregistry_v1

        return self._client("artifactregistry", "artifactregistry", artifactregistry_v1.ArtifactRegistryClient)

    def disks(self) -> Any:
        """``compute_v1.DisksClient``."""
        from google.cloud import compute_v1

        return self._client("disks", "compute", compute_v1.DisksClient)

    def routers(self) -> Any:
        """``compute_v1.RoutersClient``."""
        from google.cloud import compute_v1

        return self._client("routers", "compute", compute_v1.RoutersClient)

    def subnetworks(self) -> Any:
        """``compute_v1.SubnetworksClient``."""
        from google.cloud import compute_v1

        return self._client("subnetworks", "compute", compute_v1.SubnetworksClient)

    def networks(self) -> Any:
        """``compute_v1.NetworksClient``."""
        from google.cloud import compute_v1

        return self._client("networks", "compute", compute_v1.NetworksClient)

    def iam(self) -> Any:
        """``iam_admin_v1.IAMClient`` (gRPC)."""
        from google.cloud import iam_admin_v1

        return self._client("iam", "iam", iam_admin_v1.IAMClient, grpc=True)

    def metrics(self) -> Any:
        """``monitoring_v3.MetricServiceClient`` (gRPC)."""
        from google.cloud import monitoring_v3

        return self._client("monitoring", "monitoring", monitoring_v3.MetricServiceClient, grpc=True)

    def close(self) -> None:
        """Close the gRPC channels and HTTP sessions."""
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            transport = getattr(client, "transport", None)
            close = getattr(transport, "close", None)
            if callable(close):
                with contextlib.suppress(Exception):  # closing is best effort
                    close()

    # ------------------------------------------------------------------ calls

    def call(self, permission: str, method: Callable[..., T], *, absent: bool = True, **request: Any) -> T:
        """One call, counted under ``permission``, errors translated (see the module doc).

        Args:
            absent: whether NOT_FOUND can mean "the resource does not exist" (a service
                account, a role); ``False`` for what the cluster itself names (its project, its
                subnetwork), where NOT_FOUND is a :class:`CallError` like any other.

        Raises:
            Forbidden, Throttled, CallError: the call could not be answered.
            CloudUnreachableError: no usable credentials, or the endpoint cannot be reached.
            google.api_core.exceptions.NotFound: the resource does not exist (``absent`` only).
        """
        self.calls.count(permission)
        with _translated(permission, self.endpoint, absent=absent):
            return method(retry=self.retry(), timeout=_Deadline(self.timeout), **request)

    def retry(self) -> gretry.Retry:
        """The retry every call gets: transient errors retried until :attr:`timeout` is spent."""
        return gretry.Retry(predicate=_transient, initial=0.25, maximum=4.0, multiplier=2.0, timeout=self.timeout)

    def pages(self, permission: str, method: Callable[..., Any], **request: Any) -> Iterator[Any]:
        """The pages of a paged list, each counted under ``permission``. A list is never
        "absent": NOT_FOUND (its project or region is gone) is a :class:`CallError`."""
        pager = self.call(permission, method, absent=False, **request)
        first = True
        with _translated(permission, self.endpoint, absent=False):
            for page in pager.pages:
                if not first:
                    self.calls.count(permission)
                first = False
                yield page


def _transient(exc: BaseException) -> bool:
    """Worth another attempt: 429, 500, 502, 503, 504, a dropped or refused connection."""
    import requests

    return isinstance(exc, (gexc.TooManyRequests, gexc.InternalServerError, gexc.BadGateway,
                            gexc.ServiceUnavailable, gexc.GatewayTimeout, requests.exceptions.ConnectionError,
                            requests.exceptions.ChunkedEncodingError, requests.exceptions.Timeout,
                            google.auth.exceptions.TransportError))


class _Deadline:
    """A GAPIC ``timeout`` that makes one deadline of ``total`` seconds for a call and its
    retries: each attempt gets what is left of it (at least :data:`MIN_ATTEMPT`)."""

    def __init__(self, total: float) -> None:
        self.total = total

    def __call__(self, func: Callable[..., T]) -> Callable[..., T]:
        end = time.monotonic() + self.total

        @functools.wraps(func)
        def with_deadline(*args: Any, **kwargs: Any) -> T:
            kwargs["timeout"] = max(end - time.monotonic(), MIN_ATTEMPT)
            return func(*args, **kwargs)

        return with_deadline


def _first(exc: BaseException) -> str:
    return first_line(exc, limit=None)


def _status_name(exc: gexc.GoogleAPICallError) -> str | None:
    """``UNAVAILABLE``, ``INVALID_ARGUMENT``...: the gRPC status, else the REST body's
    ``error.status``, else its first ``errors[].reason`` (Compute Engine's older format)."""
    name = getattr(exc.grpc_status_code, "name", None)
    if name:
        return str(name)
    if _is_rest(exc):
        try:
            error = exc.response.json().get("error", {})
        except ValueError:
            return None
        if isinstance(error, dict):
            found = error.get("status") or next((e.get("reason") for e in error.get("errors", [])
                                                 if isinstance(e, dict) and e.get("reason")), None)
            return str(found) if found else None
    return None


def _is_rest(exc: gexc.GoogleAPICallError) -> bool:
    """Whether the error came with an HTTP response (REST), not from a gRPC call."""
    import requests

    return isinstance(exc.response, requests.Response)


class _translated:
    def __init__(self, permission: str, endpoint: str | None, *, absent: bool = True) -> None:
        self.permission = permission
        self.endpoint = endpoint
        self.absent = absent

    def __enter__(self) -> _translated:
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Literal[False]:
        if exc is None or isinstance(exc, (CallFailed, R2CError)) or (self.absent and isinstance(exc, gexc.NotFound)):
            return False
        if isinstance(exc, gexc.RetryError):  # the deadline passed: judge the last error the retries saw
            if isinstance(exc.cause, Exception):
                self._raise_for(exc.cause, exc)
            raise CloudUnreachableError(f"gcp: no answer from {self._where()} ({self.permission}): {exc.message}") from exc
        if isinstance(exc, Exception):
            self._raise_for(exc, exc)
        return False

    def _where(self) -> str:
        return self.endpoint or "googleapis.com"

    def _raise_for(self, exc: Exception, raised: BaseException) -> None:
        """Raise the kit's or r2c's error for ``exc`` (``raised`` is the cause: ``exc`` itself,
        or the RetryError whose last attempt ``exc`` was); return when ``exc`` is not a cloud
        error (a bug: it propagates)."""
        from google.protobuf.json_format import ParseError

        where, op = self._where(), self.permission
        if isinstance(exc, gexc.Forbidden):  # REST 403; gRPC PERMISSION_DENIED is a subclass
            raise Forbidden(op, exc.message or "") from raised
        if isinstance(exc, gexc.TooManyRequests):  # REST 429; gRPC RESOURCE_EXHAUSTED is a subclass
            raise Throttled(op, exc.message or "") from raised
        if isinstance(exc, gexc.Unauthenticated):
            raise CloudUnreachableError(
                f"gcp rejected the credentials calling {op}: {exc.message}", remediation=_HINT
            ) from raised
        if isinstance(exc, google.auth.exceptions.DefaultCredentialsError):
            raise CloudUnreachableError("gcp: no credentials found", remediation=_HINT) from raised
        if isinstance(exc, google.auth.exceptions.RefreshError):
            raise CloudUnreachableError(f"gcp: cannot refresh the credentials: {exc}", remediation=_HINT) from raised
        if isinstance(exc, (ParseError, UnicodeDecodeError)):
            raise CallError(op, 200, "unreadable body", _first(exc)) from raised
        if isinstance(exc, gexc.GoogleAPICallError):
            status = _status_name(exc)
            if not _is_rest(exc) and isinstance(exc, (gexc.ServiceUnavailable, gexc.DeadlineExceeded)) \
                    and not exc.details:
                # raised by the gRPC client itself (no server status details): no answer
                raise CloudUnreachableError(f"gcp: cannot reach {where} ({op}): {status}: {exc.message}") from raised
            # a REST message starts "GET https://...: ": the operation already says what was called
            message = re.sub(r"^[A-Z]+ \S+: ", "", exc.message or "")
            raise CallError(op, exc.code, status, message) from raised
        if isinstance(exc, (google.auth.exceptions.TransportError, OSError)) or _is_connection_error(exc):
            raise CloudUnreachableError(f"gcp: cannot reach {where} ({op}): {_first(exc)}") from raised


def _is_connection_error(exc: BaseException) -> bool:
    try:
        import requests
    except ImportError:  # pragma: no cover - google-auth's REST transport brings requests
        return False
    return isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout))
