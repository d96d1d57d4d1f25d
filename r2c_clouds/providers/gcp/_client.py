"""Google Cloud clients for one scan, call counting and error translation.

REST clients: container (``transport="rest"``), compute (REST only), resource manager,
Artifact Registry. gRPC clients (the only transport those libraries offer): IAM
(``iam_admin_v1``) and Cloud Monitoring. With one ``endpoint`` (``https://HOST:PORT``), REST
clients use it as their ``api_endpoint`` and gRPC clients open a TLS channel to the same
host and port; custom CAs are trusted the usual way (``REQUESTS_CA_BUNDLE``,
``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH``).

Every call is counted under the IAM permission it needs (``compute.disks.list``), each page
of a paged list once; errors become the kit's: PermissionDenied → :class:`Forbidden`
naming the permission, 429 / RESOURCE_EXHAUSTED after the library's retries →
:class:`Throttled`, no or rejected credentials and unreachable endpoints →
:class:`~r2c_clouds.errors.CloudUnreachableError`. ``NotFound`` is left to the caller.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

import google.auth
import google.auth.exceptions
from google.api_core import exceptions as gexc
from google.api_core.client_options import ClientOptions

from r2c_clouds.errors import CloudUnreachableError
from r2c_clouds.providers.kit import CallCounter, CallFailed, Forbidden, Throttled

__all__ = ["SCOPE", "GcpClients", "resolve_credentials"]

T = TypeVar("T")

#: The OAuth scope every call runs under (read-only use of cloud-platform).
SCOPE = "https://www.googleapis.com/auth/cloud-platform"
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
        timeout: seconds per call.
    """

    def __init__(
        self,
        credentials: Any,
        *,
        calls: CallCounter,
        endpoint: str | None = None,
        client_options: dict[str, dict[str, Any]] | None = None,
        timeout: float = 30.0,
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

    def call(self, permission: str, method: Callable[..., T], **request: Any) -> T:
        """One call, counted under ``permission``, errors translated (see the module doc).

        Raises:
            Forbidden, Throttled, CallFailed: the call could not be answered.
            CloudUnreachableError: no usable credentials, or the endpoint cannot be reached.
            google.api_core.exceptions.NotFound: the resource does not exist.
        """
        self.calls.count(permission)
        with _translated(permission, self.endpoint):
            return method(timeout=self.timeout, **request)

    def pages(self, permission: str, method: Callable[..., Any], **request: Any) -> Iterator[Any]:
        """The pages of a paged list, each counted under ``permission``."""
        pager = self.call(permission, method, **request)
        first = True
        with _translated(permission, self.endpoint):
            for page in pager.pages:
                if not first:
                    self.calls.count(permission)
                first = False
                yield page


class _translated:
    def __init__(self, permission: str, endpoint: str | None) -> None:
        self.permission = permission
        self.endpoint = endpoint

    def __enter__(self) -> _translated:
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> Literal[False]:
        if exc is None or isinstance(exc, (gexc.NotFound, CallFailed)):
            return False
        where = self.endpoint or "googleapis.com"
        if isinstance(exc, gexc.Forbidden):  # REST 403; gRPC PERMISSION_DENIED is a subclass
            raise Forbidden(self.permission, exc.message or "") from exc
        if isinstance(exc, gexc.TooManyRequests):  # REST 429; gRPC RESOURCE_EXHAUSTED is a subclass
            raise Throttled(self.permission, exc.message or "") from exc
        if isinstance(exc, gexc.Unauthenticated):
            raise CloudUnreachableError(
                f"gcp rejected the credentials calling {self.permission}: {exc.message}", remediation=_HINT
            ) from exc
        if isinstance(exc, google.auth.exceptions.DefaultCredentialsError):
            raise CloudUnreachableError("gcp: no credentials found", remediation=_HINT) from exc
        if isinstance(exc, google.auth.exceptions.RefreshError):
            raise CloudUnreachableError(f"gcp: cannot refresh the credentials: {exc}", remediation=_HINT) from exc
        if isinstance(exc, (gexc.ServiceUnavailable, gexc.RetryError, google.auth.exceptions.TransportError)) or (
            isinstance(exc, OSError) and not isinstance(exc, gexc.GoogleAPICallError)
        ):
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CloudUnreachableError(f"gcp: cannot reach {where} ({self.permission}): {first}") from exc
        if _is_connection_error(exc):
            raise CloudUnreachableError(f"gcp: cannot reach {where} ({self.permission}): {exc}") from exc
        if isinstance(exc, gexc.GoogleAPICallError):
            code = getattr(exc, "code", None)
            raise CallFailed(self.permission, f"HTTP {code}: {exc.message}") from exc
        return False


def _is_connection_error(exc: BaseException) -> bool:
    try:
        import requests
    except ImportError:  # pragma: no cover - google-auth's REST transport brings requests
        return False
    return isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout))
