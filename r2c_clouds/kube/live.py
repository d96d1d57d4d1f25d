"""Read a live cluster through the official Kubernetes client: GET (list) requests only.

Every kind in :data:`r2c_clouds.kube.kinds.KINDS` is listed cluster-wide, several kinds at
once, in pages of :data:`PAGE_LIMIT` (``limit``/``continue``). Response bytes are never turned
into the client's model classes: each page is decoded by msgspec straight into the wire
Structs of :mod:`r2c_clouds.model.kube`, which is about 80 times faster and leaner.

What a live scan sees, and what it does not:

- **Secrets are listed as metadata only** (``Accept: ...;as=PartialObjectMetadataList``), so
  Secret values never cross the wire. A live scan therefore knows each Secret's name,
  namespace, labels and annotations, but not its ``type`` nor its key names (a snapshot does).
- A kind the credentials may not list (403) is recorded as *not checked* (``forbidden: ...``)
  and the scan goes on. So is a built-in kind the server does not serve (404), and a kind the
  server answers with any other error status (``server error 500 InternalError: ...``).
- A custom resource kind whose CRD is not installed (404 on an ``optional`` kind: KEDA
  ScaledObject, Prometheus Operator ServiceMonitor) counts as *captured with no objects*:
  an absent CRD means there are none.
- A kind is *captured with no objects* only when the server sends a list with an empty
  ``items`` (``[]``, or ``null`` in a ``...List``: how Go writes an empty slice). A ``Status`` object sent with HTTP 200 (some proxies and aggregated API servers
  do), a 200 body without ``items``, a body of the wrong types, a truncated or too deeply
  nested one: that kind is not checked, with the reason; never an empty list.
- An expired ``continue`` token (410 Gone) restarts that kind's list from the first page, at
  most :data:`EXPIRED_RESTARTS` times; after that the kind is not checked (``expired: ...``).

Deadlines (wall-clock, whatever the server does):

- **Per request** (``request_timeout``, default :data:`REQUEST_TIMEOUT` = 60 s): connecting,
  sending, the headers and the *whole* body of one GET. Socket timeouts alone do not bound a
  server that trickles a byte a second (each read succeeds), so the body is read in
  ``read1`` chunks checked against a monotonic deadline, and a watchdog timer shuts the
  request's socket down when the deadline passes, which also ends a trickle of headers.
- **Whole read of the cluster** (``timeout``, default :data:`SCAN_TIMEOUT` = 300 s; ``None``:
  none): ``/version`` and every page of every kind. No request or retry outlives it.

When a deadline passes: on ``/version``, or before the server has answered any list
request, the scan stops with a one-line :class:`~r2c_clouds.errors.ClusterUnreachableError`
(exit 3) naming the request and the deadline: a server that answers nothing has nothing to
diagnose. Once the server has answered lists, a kind whose request timed out, or that was
not finished when the whole-read deadline passed, is *not checked* (``timeout: ...``) and
the kinds that were read are kept: a partial diagnosis that says what it lacks is worth
more than none. Partially read kinds are dropped whole, never counted as complete.

Retries (idempotent GETs only, as client-go retries them), at most :data:`ATTEMPTS` tries of a
request, never past the whole-read deadline:

- a connection reset, closed before the answer, or cut mid-body (EOF / ``IncompleteRead``);
- a refused connection once the server has answered (an API server restarting behind its
  load balancer); a refused first request fails at once;
- 429 (at most :data:`THROTTLE_RETRIES` times) and any 5xx carrying ``Retry-After`` (503,
  504...): the wait is what the server asks, at most :data:`RETRY_AFTER_CAP` s.

Waits without ``Retry-After`` back off exponentially with jitter: :data:`BACKOFF_BASE` s
doubling, times a random 0.5-1 (0.25, 0.5, 1, 2 s at most: under 4 s for all four retries).
Timeouts, DNS, TLS, connect timeouts, 401 and 5xx without ``Retry-After`` are not retried.
A kind whose connection still drops after its tries, or whose server still answers 429/5xx,
is not checked (``connection dropped: ...``, ``server error 503 ...``); a connection still
refused stops the scan (below). Figures with the defaults: a refused port fails in
milliseconds; a server that goes away mid-scan, after 5 tries over 2-4 s; a server that
accepts connections but answers nothing, after one request deadline (60 s), the requests in
flight being cut at once.

401, a refused connection (after its retries), a connect timeout, DNS or TLS failures raise
:class:`~r2c_clouds.errors.ClusterUnreachableError` (exit 3) and abandon the other lists at
once (their requests are cut); a kubeconfig or context that cannot be used raises
:class:`~r2c_clouds.errors.ConfigError` (exit 2).

How the client is used: the kubeconfig (or the pod's service account) is loaded by
``kubernetes.config`` into a ``Configuration`` (so exec plugins, OIDC, client certificates and
proxies work as usual) with urllib3's own retries off (this module retries), and a
connection pool sized for :data:`WORKERS`. Requests go through ``ApiClient.param_serialize``
and ``ApiClient.call_api`` (the kubernetes 37 signatures; the client does not preload the
body), and the raw response bytes are read, never deserialized by the client. The
``kubernetes`` package is imported only when :func:`connect` runs.
"""

from __future__ import annotations

import math
import os
import random
import socket
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import attrs
import msgspec
from attrs import frozen

from r2c_clouds._gc import FREEZE_AT, freeze_if_large, gc_paused
from r2c_clouds.errors import (
    BadInputError,
    ClusterUnreachableError,
    ConfigError,
    ScopeError,
    SnapshotError,
)
from r2c_clouds.kube._build import StateBuilder
from r2c_clouds.kube.decode import decode_page
from r2c_clouds.kube.kinds import KINDS, KindInfo
from r2c_clouds.kube.kinds import decoder as item_decoder
from r2c_clouds.model.cluster import ClusterState
from r2c_clouds.model.scope import Scope, Selector

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

__all__ = [
    "ACCEPT_METADATA_ONLY",
    "ATTEMPTS",
    "BACKOFF_BASE",
    "EXPIRED_RESTARTS",
    "FREEZE_AT",
    "PAGE_LIMIT",
    "REQUEST_TIMEOUT",
    "RETRY_AFTER_CAP",
    "SCAN_TIMEOUT",
    "SERVICE_ACCOUNT_DIR",
    "THROTTLE_RETRIES",
    "WORKERS",
    "KindResult",
    "connect",
    "kubeconfig_contexts",
    "list_kinds",
    "server_version",
]

#: Items per page, as kubectl asks (``--chunk-size`` default). Servers may return fewer.
PAGE_LIMIT = 500
#: Kinds listed concurrently.
WORKERS = 6
#: Where the kubelet mounts a pod's ServiceAccount token and the cluster's CA certificate.
SERVICE_ACCOUNT_DIR = Path("/var/run/secrets/kubernetes.io/serviceaccount")
#: How many times a list whose ``continue`` token expired (410) is restarted from scratch.
EXPIRED_RESTARTS = 2
#: Default deadline, in seconds, of the whole read of the cluster (``connect(timeout=)``).
SCAN_TIMEOUT = 300.0
#: Default deadline, in seconds, of one request: connect, headers and the whole body.
REQUEST_TIMEOUT = 60.0
#: Tries of one GET at most (the first one included), whatever went wrong.
ATTEMPTS = 5
#: Retries of a request the server throttled (429), within :data:`ATTEMPTS`.
THROTTLE_RETRIES = 3
#: First wait before a retry without ``Retry-After``, in seconds; doubled at each retry.
BACKOFF_BASE = 0.25
#: Longest wait before a retry without ``Retry-After``.
BACKOFF_CAP = 4.0
#: ``Retry-After`` is honoured up to this many seconds.
RETRY_AFTER_CAP = 5.0
#: The Accept header that makes the API server return metadata only (used for Secrets).
ACCEPT_METADATA_ONLY = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
_ACCEPT_JSON = "application/json"
_CONNECT_TIMEOUT = 10.0
_READ_CHUNK = 1 << 20

Progress = Callable[[str], Any]

_UNREACHABLE_HINT = (
    "check that the API server is up and reachable from here (VPN, firewall, private endpoint), "
    "or scan a snapshot instead"
)
_SLOW_HINT = (
    "the API server is reachable but too slow to answer: retry later, raise the timeout, "
    "or scan a snapshot instead"
)
_UNAUTHORIZED_HINT = (
    "refresh the kubeconfig credentials (e.g. `aws eks update-kubeconfig`, "
    "`az aks get-credentials`, `gcloud container clusters get-credentials`)"
)


# --------------------------------------------------------------------------- wire envelopes

T = TypeVar("T")


class _ListMeta(msgspec.Struct, frozen=True, kw_only=True):
    continue_: str | None = msgspec.field(default=None, name="continue")
    remaining_item_count: int | None = msgspec.field(default=None, name="remainingItemCount")
    resource_version: str | None = msgspec.field(default=None, name="resourceVersion")


class _Page(msgspec.Struct, Generic[T], frozen=True, kw_only=True):
    """One page of a list response (``PodList``, ``PartialObjectMetadataList``...), for the
    object-by-object fallback."""

    kind: str | None = None
    metadata: _ListMeta = _ListMeta()
    items: list[T] | None = None


class _Envelope(msgspec.Struct, frozen=True, kw_only=True):
    """What a 200 body with no objects is, typed loosely: a list, a ``Status``, anything."""

    kind: Any = None
    items: Any = msgspec.UNSET
    code: Any = None
    reason: Any = None
    message: Any = None


class _Status(msgspec.Struct, frozen=True, kw_only=True):
    """The ``Status`` object the API server sends with an error."""

    message: str = ""
    reason: str = ""
    metadata: _ListMeta = _ListMeta()


class _Version(msgspec.Struct, frozen=True, kw_only=True, rename="camel"):
    git_version: str | None = None


class _ItemMeta(msgspec.Struct, frozen=True, kw_only=True):
    name: str | None = None
    namespace: str | None = None


class _Item(msgspec.Struct, frozen=True, kw_only=True):
    metadata: _ItemMeta = _ItemMeta()


_RAW_PAGE = msgspec.json.Decoder(_Page[msgspec.Raw])
_ENVELOPE = msgspec.json.Decoder(_Envelope)
_STATUS = msgspec.json.Decoder(_Status)
_VERSION = msgspec.json.Decoder(_Version)
_ITEM = msgspec.json.Decoder(_Item)


# --------------------------------------------------------------------------- results


@frozen
class KindResult:
    """What listing one kind gave.

    Args:
        kind: the kind's :class:`KindInfo`.
        items: decoded objects, or ``None`` when the kind could not be listed.
        reason: why the kind is not checked (``forbidden: ...``), or a note about the part
            of it that is missing (objects that could not be decoded).
        absent: an optional custom resource whose CRD is not installed.
        pages: pages fetched (restarts included).
        restarts: lists restarted after an expired ``continue`` token.
        namespace: the namespace listed (``None``: cluster-wide, or several merged).
    """

    kind: KindInfo
    items: list[Any] | None
    reason: str | None = None
    absent: bool = False
    pages: int = 0
    restarts: int = 0
    namespace: str | None = None


def _one_line(text: str, limit: int = 300) -> str:
    """``text`` on one line, at most ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


class _HttpStatusError(Exception):
    """A non-2xx answer from the API server, with its ``Status`` body decoded."""

    def __init__(self, status: int, body: bytes, retry_after: str | None = None) -> None:
        try:
            st = _STATUS.decode(body)
        except (msgspec.DecodeError, RecursionError):
            st = _Status(message=body[:200].decode("utf-8", "replace"))
        super().__init__(f"{status} {st.reason}: {st.message}")
        self.status = status
        self.retry_after = _seconds(retry_after)
        self.reason = _one_line(st.reason, 80)
        self.message = _one_line(st.message) or self.reason or f"HTTP {status}"


class _Failure(Exception):
    """A GET that got no complete HTTP answer.

    ``kind`` is ``refused`` (connection refused), ``connect`` (DNS, TLS, connect timeout,
    proxy: the server cannot be reached), ``dropped`` (reset, closed before or during the
    answer) or ``timeout`` (a deadline passed; ``by_scan``: the whole-read one).
    """

    def __init__(self, kind: str, detail: str, path: str, *, by_scan: bool = False) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail
        self.path = path
        self.by_scan = by_scan
        self.attempts = 1

    def describe(self) -> str:
        """A few words for a message: what failed, on which request."""
        if self.kind == "timeout":
            return self.detail
        if self.kind == "dropped":
            return f"connection dropped during GET {self.path} ({self.detail}; {_tries(self.attempts)})"
        if self.attempts > 1:
            return f"{self.detail} (GET {self.path}; {_tries(self.attempts)})"
        return self.detail


class _BadBody(Exception):
    """A 2xx answer that is not a list of the kind asked for (the message says why)."""


def _tries(n: int) -> str:
    return "1 attempt" if n == 1 else f"{n} attempts"


# --------------------------------------------------------------------------- public API


def connect(
    context: str | None = None,
    kubeconfig: str | os.PathLike[str] | None = None,
    in_cluster: bool | None = None,
    timeout: float | None = SCAN_TIMEOUT,
    progress: Progress | None = None,
    *,
    request_timeout: float = REQUEST_TIMEOUT,
    namespaces: Sequence[str] | None = None,
    selector: Selector | str | None = None,
    secrets: bool = True,
    service_account_dir: str | os.PathLike[str] | None = None,
) -> ClusterState:
    """Read every kind r2c_clouds knows from a live cluster (GET requests only).

    Args:
        context: kubeconfig context (default: the current one).
        kubeconfig: kubeconfig file (default: ``$KUBECONFIG``, else ``~/.kube/config``).
        in_cluster: use the pod's service account; default: when no kubeconfig is found
            and ``KUBERNETES_SERVICE_HOST`` is set.
        timeout: deadline in seconds of the whole read of the cluster (``/version`` and
            every page of every kind, retries included); ``None``: no overall deadline.
        progress: called with a short message per kind listed (``"listed 150000 pods"``).
        request_timeout: deadline in seconds of one request: connect, headers and the
            whole body, however slowly the server sends it.
        namespaces: list namespaced kinds in these namespaces only (``GET
            /api/v1/namespaces/NS/pods``...), and get these Namespace objects by name, so
            that a Role in each namespace is enough; cluster-scoped kinds are still listed
            and become not checked when forbidden. ``None``: every namespace.
        selector: judge only workloads whose labels match (kubectl ``-l``); every object is
            still read, see :meth:`ClusterState.scoped`.
        secrets: list Secrets (metadata only); ``False``: do not request them at all, for an
            identity granted no ``list secrets`` (deploy/'s ClusterRole): Secret is then
            not captured, which no rule needs.
        service_account_dir: in a pod, where the ServiceAccount's ``token`` and the
            cluster's ``ca.crt`` are (default :data:`SERVICE_ACCOUNT_DIR`); the API server is
            ``https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT``.

    Returns:
        The cluster, with ``source`` ``context:<name>`` (or ``in-cluster``) and its
        ``scope``. Forbidden kinds, and kinds that failed or timed out once the server had
        answered lists, are in ``not_checked`` (a kind forbidden in one of ``namespaces`` is
        not checked at all, so that no rule reads half of it as the whole); Secrets carry
        metadata only.

    Raises:
        ConfigError: the kubeconfig or context cannot be used (exit 2).
        BadInputError: a timeout that is not a positive number (exit 2).
        ScopeError: a namespace name or selector the API server would refuse, or a
            namespace that does not exist (exit 2).
        ClusterUnreachableError: the API server cannot be reached, answered nothing in
            time, or rejected the credentials (401) (exit 3).

    .. versionadded:: 0.1
    """
    _check_timeout("timeout", timeout)
    _check_timeout("request_timeout", request_timeout, required=True)
    scope = Scope(namespaces=namespaces, selector=selector, read_only_these=namespaces is not None)
    target = _load_target(context, kubeconfig, in_cluster, service_account_dir)
    session = _Session(target.api, target.server, request_timeout=request_timeout, timeout=timeout)
    try:
        builder = StateBuilder(source=target.source, name=target.cluster_name)
        builder.server_version = _server_version(session)
        builder.scope = scope
        with gc_paused():  # decoded structs hold no cycles; see r2c_clouds._gc
            kinds = KINDS if secrets else [ki for ki in KINDS if ki.kind != "Secret"]
            results = _list_all(
                session, kinds, progress=progress, limit=PAGE_LIMIT, workers=WORKERS, namespaces=scope.namespaces
            )
            for res in results:
                if res.items is None:
                    builder.forbid(res.kind.kind, res.reason or "not listed")
                    continue
                builder.extend(res.kind, res.items)
                builder.mark_captured(res.kind.kind)
                if res.reason:
                    builder.forbid(res.kind.kind, res.reason)
            cluster = builder.build()
            freeze_if_large(sum(len(r.items or ()) for r in results))
            return cluster
    finally:
        session.abort()  # nothing is in flight by now; belt and braces
        target.api.close()  # type: ignore[no-untyped-call]


def server_version(api: ApiClient, server: str, timeout: float = REQUEST_TIMEOUT) -> str | None:
    """``gitVersion`` from ``GET /version`` (``None`` if the server will not say).

    Args:
        api: a configured ``kubernetes.client.ApiClient``.
        server: the server URL, for messages.
        timeout: the request's deadline in seconds (connect, headers and body).

    Raises:
        ClusterUnreachableError: the server cannot be reached, does not answer in time, or
            rejects the credentials.
    """
    return _server_version(_Session(api, server, request_timeout=timeout, timeout=None))


def list_kinds(
    api: ApiClient,
    kinds: Sequence[KindInfo],
    *,
    server: str,
    timeout: float | None = SCAN_TIMEOUT,
    request_timeout: float = REQUEST_TIMEOUT,
    progress: Progress | None = None,
    limit: int = PAGE_LIMIT,
    workers: int = WORKERS,
    namespaces: Sequence[str] | None = None,
) -> list[KindResult]:
    """List several kinds cluster-wide (or in some namespaces), :data:`WORKERS` lists at a time.

    Args:
        api: a configured ``kubernetes.client.ApiClient``.
        kinds: the kinds to list.
        server: the server URL, for messages.
        timeout: deadline in seconds of the whole listing (``None``: none).
        request_timeout: deadline in seconds of one request (connect, headers, body).
        progress: called (from this thread) with one message per kind.
        limit: page size asked for.
        workers: lists fetched at once.
        namespaces: list namespaced kinds in these namespaces only, and get the Namespace
            objects of these names (``None``: cluster-wide).

    Returns:
        One result per kind, in the order of ``kinds`` (a kind listed in several namespaces
        merged in the order of ``namespaces``; forbidden in one, not listed at all).

    Raises:
        ClusterUnreachableError: on the first connection failure or 401, or a timeout
            before any list was answered; the other lists are abandoned.
        ScopeError: one of ``namespaces`` does not exist.
    """
    _check_timeout("timeout", timeout)
    _check_timeout("request_timeout", request_timeout, required=True)
    checked = Scope(namespaces=namespaces).namespaces  # DNS labels, no duplicates, not empty
    session = _Session(api, server, request_timeout=request_timeout, timeout=timeout)
    try:
        return _list_all(session, kinds, progress=progress, limit=limit, workers=workers, namespaces=checked)
    finally:
        session.abort()


def _check_timeout(name: str, value: float | None, *, required: bool = False) -> None:
    if value is None and not required:
        return
    if value is None or isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0 or math.isinf(value):
        raise BadInputError(f"{name} must be a positive number of seconds, not {value!r}")


# --------------------------------------------------------------------------- listing


def _server_version(s: _Session) -> str | None:
    try:
        body = _fetch(s, "/version", [], _ACCEPT_JSON)
    except _HttpStatusError as exc:
        if exc.status == 401:
            raise _unauthorized(s.server) from exc
        return None
    except _Failure as exc:
        raise s.unreachable(exc) from exc
    try:
        return _VERSION.decode(body).git_version
    except (msgspec.DecodeError, RecursionError):
        return None


def _list_all(
    s: _Session,
    kinds: Sequence[KindInfo],
    *,
    progress: Progress | None,
    limit: int,
    workers: int,
    namespaces: Sequence[str] | None = None,
) -> list[KindResult]:
    jobs: list[tuple[KindInfo, str | None]] = []
    for ki in kinds:
        if namespaces and (ki.namespaced or ki.kind == "Namespace"):
            jobs.extend((ki, ns) for ns in namespaces)
        else:
            jobs.append((ki, None))
    expected = Counter(ki.kind for ki, _ in jobs)
    parts: dict[str, list[KindResult]] = defaultdict(list)
    results: dict[str, KindResult] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="r2c-list")
    pending: set[Future[KindResult]] = {pool.submit(_list_kind, s, ki, limit, ns) for ki, ns in jobs}
    try:
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                res = fut.result()
                got = parts[res.kind.kind]
                got.append(res)
                if len(got) < expected[res.kind.kind]:
                    continue
                merged = _merge(got, namespaces or ())
                results[res.kind.kind] = merged
                if progress is not None:
                    progress(_describe(merged))
    except BaseException:
        # Fail fast: cut the requests in flight and drop the lists not started.
        s.abort()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return [results[ki.kind] for ki in kinds]


def _merge(parts: list[KindResult], namespaces: Sequence[str]) -> KindResult:
    """One kind's result from its per-namespace lists. Forbidden (or failed) in one
    namespace means not listed at all: a rule must not read part of a kind as the whole."""
    if len(parts) == 1:
        return parts[0]
    order = {ns: i for i, ns in enumerate(namespaces)}
    parts = sorted(parts, key=lambda r: order.get(r.namespace or "", -1))
    ki = parts[0].kind
    pages = sum(r.pages for r in parts)
    restarts = sum(r.restarts for r in parts)
    if all(r.absent for r in parts):
        return KindResult(ki, [], absent=True, pages=pages, restarts=restarts)
    failed = [r for r in parts if r.items is None]
    if failed:
        reason = "; ".join(dict.fromkeys(r.reason or "not listed" for r in failed))
        return KindResult(ki, None, reason, pages=pages, restarts=restarts)
    items = [obj for r in parts for obj in r.items or ()]
    notes = "; ".join(f"{r.namespace}: {r.reason}" for r in parts if r.reason) or None
    return KindResult(ki, items, notes, pages=pages, restarts=restarts)


def _list_kind(s: _Session, ki: KindInfo, limit: int, namespace: str | None = None) -> KindResult:
    """Page through one kind (in one namespace). HTTP errors other than 401, bad bodies,
    and (once the server has answered a list) timeouts and dropped connections become a
    not-checked reason.

    Raises:
        ClusterUnreachableError: the scan must stop; the session is aborted at once, so the
            other workers start no new request.
    """
    try:
        if namespace is not None and not ki.namespaced:
            return _get_namespace(s, ki, namespace)
        return _list_pages(s, ki, limit, namespace)
    except ClusterUnreachableError:
        s.abort()
        raise


def _get_namespace(s: _Session, ki: KindInfo, name: str) -> KindResult:
    """``GET /api/v1/namespaces/NAME``: a Role in namespace NAME may grant it (the API server
    authorizes a namespace's own GET in that namespace), where listing every namespace needs
    a ClusterRole.

    Raises:
        ScopeError: the namespace does not exist.
    """
    path = f"{ki.path()}/{name}"
    try:
        body = _fetch(s, path, [], _ACCEPT_JSON)
    except _HttpStatusError as exc:
        s.listed = True
        if exc.status == 404:
            raise ScopeError(f"namespace {name!r} not found on {s.server}") from None
        res = attrs.evolve(_failed(ki, exc, s.server, 1, 0), namespace=name)
        if exc.status == 403:  # RBAC answers 403 before it would say 404: a typo looks the same
            res = attrs.evolve(res, reason=f"{res.reason} (is {name!r} spelled right? a namespace that "
                               "does not exist is forbidden too for a user without cluster-wide access)")
        return res
    except _Failure as exc:
        return attrs.evolve(_timed_out(s, ki, exc, 0, 0), namespace=name)
    s.listed = True
    try:
        obj = item_decoder(ki).decode(body)
    except (msgspec.DecodeError, RecursionError) as exc:
        why = "nested too deeply" if isinstance(exc, RecursionError) else _one_line(str(exc))
        return KindResult(ki, None, f"the server's answer to GET {path} cannot be decoded: {why}", pages=1, namespace=name)
    return KindResult(ki, [obj], pages=1, namespace=name)


def _list_pages(s: _Session, ki: KindInfo, limit: int, namespace: str | None = None) -> KindResult:
    res = _list_pages_at(s, ki, limit, ki.path(namespace))
    return res if namespace is None else attrs.evolve(res, namespace=namespace)


def _list_pages_at(s: _Session, ki: KindInfo, limit: int, path: str) -> KindResult:
    accept = ACCEPT_METADATA_ONLY if ki.kind == "Secret" else _ACCEPT_JSON
    pages = 0
    last_expired = ""
    for restart in range(EXPIRED_RESTARTS + 1):
        items: list[Any] = []
        notes: list[str] = []
        token: str | None = None
        while True:
            query: list[tuple[str, Any]] = [("limit", limit)]
            if token:
                query.append(("continue", token))
            try:
                body = _fetch(s, path, query, accept)
            except _HttpStatusError as exc:
                s.listed = True
                if exc.status == 410 and token:
                    last_expired = exc.message
                    break  # restart this kind's list from the first page
                return _failed(ki, exc, s.server, pages, restart)
            except _Failure as exc:
                return _timed_out(s, ki, exc, pages, restart)
            s.listed = True
            pages += 1
            try:
                next_token = _decode_page(ki, body, items, notes, path)
            except _BadBody as exc:
                return KindResult(ki, None, str(exc), pages=pages, restarts=restart)
            if next_token and next_token == token:
                return KindResult(
                    ki, None,
                    f"the server's answer to GET {path} repeats the continue token it was "
                    "asked for (the list would never end)",
                    pages=pages, restarts=restart,
                )
            token = next_token
            if not token:
                return KindResult(
                    ki, items, "; ".join(notes) or None, pages=pages, restarts=restart
                )
    return KindResult(
        ki, None,
        f"expired: the {ki.plural} list changed faster than it could be paged through "
        f"({EXPIRED_RESTARTS + 1} attempts; {last_expired})",
        pages=pages, restarts=EXPIRED_RESTARTS,
    )


def _decode_page(ki: KindInfo, body: bytes, into: list[Any], notes: list[str], path: str) -> str | None:
    """Decode one page into ``into`` and return its ``continue`` token.

    The shared decoder (:func:`r2c_clouds.kube.decode.decode_page`) decodes the whole page in
    one typed pass. When an object does not fit its Struct (a custom resource with a field of
    an unexpected type), the page is decoded object by object instead: the bad objects are
    skipped and named in ``notes``, so one odd object does not lose the whole kind.

    Raises:
        _BadBody: the body is not a list of this kind at all (not JSON, wrong types, nested
            too deeply, a ``Status``, no ``items``).
    """
    source = f"GET {path}"
    try:
        page = decode_page(body, ki, source)
    except SnapshotError:
        pass
    else:
        if not page.items:
            _check_empty_page(body, source)
        into.extend(page.items)
        return page.continue_token
    try:
        raw: _Page[msgspec.Raw] = _RAW_PAGE.decode(body)
    except msgspec.DecodeError as exc:
        raise _BadBody(f"the server's answer to {source} is not a list: {_one_line(str(exc))}") from None
    except RecursionError:
        raise _BadBody(f"the server's answer to {source} cannot be decoded: nested too deeply") from None
    if not raw.items:
        _check_empty_page(body, source)
    dec = item_decoder(ki)
    bad = 0
    first = ""
    for item in raw.items or ():
        try:
            into.append(dec.decode(item))
        except (msgspec.DecodeError, RecursionError) as exc:
            bad += 1
            why = "nested too deeply" if isinstance(exc, RecursionError) else _one_line(str(exc))
            first = first or f"{_safe_item_meta(item)}: {why}"
    if bad:
        notes.append(f"{bad} object(s) skipped, cannot decode {first}")
    return raw.metadata.continue_ or None


def _check_empty_page(body: bytes, source: str) -> None:
    """A page with no objects must still be a list: an empty ``items`` (or ``null`` in a
    ``...List``), not a ``Status`` sent with HTTP 200 nor an object without ``items``.

    Raises:
        _BadBody: it is not.
    """
    try:
        env = _ENVELOPE.decode(body)
    except (msgspec.DecodeError, RecursionError) as exc:
        raise _BadBody(f"the server's answer to {source} is not a list: {_one_line(str(exc))}") from None
    kind = env.kind if isinstance(env.kind, str) else None
    if kind == "Status":
        code = env.code if isinstance(env.code, int) else "?"
        reason = env.reason if isinstance(env.reason, str) else ""
        message = _one_line(env.message) if isinstance(env.message, str) else ""
        text = f"server error {code} {reason}: {message}".replace(" :", ":").rstrip(": ")
        raise _BadBody(f"{text} (a Status sent with HTTP 200 to {source})")
    if env.items is msgspec.UNSET:
        what = f"a {kind}" if kind else "an object"
        raise _BadBody(f"the server's answer to {source} is not a list: {what} without items")
    if env.items is None and not (kind or "").endswith("List"):
        raise _BadBody(f"the server's answer to {source} is not a list: items is null")


def _safe_item_meta(item: msgspec.Raw) -> str:
    try:
        meta = _ITEM.decode(item).metadata
    except (msgspec.DecodeError, RecursionError):
        return "an object"
    return f"{meta.namespace}/{meta.name}" if meta.namespace else str(meta.name)


def _failed(ki: KindInfo, exc: _HttpStatusError, server: str, pages: int, restarts: int) -> KindResult:
    """Turn an HTTP error on one kind into its result (or raise for 401)."""
    if exc.status == 401:
        raise _unauthorized(server) from exc
    if exc.status == 403:
        reason = f"forbidden: {exc.message}"
    elif exc.status == 404 and ki.optional:
        return KindResult(ki, [], absent=True, pages=pages, restarts=restarts)
    elif exc.status == 404:
        reason = f"not served by this API server ({ki.api_version} {ki.plural}: {exc.message})"
    elif exc.status == 406 and ki.kind == "Secret":
        reason = (
            "the server cannot list Secrets as metadata only (406); they were not read, "
            "so that no Secret value crosses the wire"
        )
    elif exc.status == 410:
        reason = f"expired: {exc.message}"
    else:
        reason = f"server error {exc.status} {exc.reason}: {exc.message}".replace(" :", ":")
    return KindResult(ki, None, reason, pages=pages, restarts=restarts)


def _timed_out(s: _Session, ki: KindInfo, exc: _Failure, pages: int, restarts: int) -> KindResult:
    """A kind whose request got no complete answer: not checked once the server has
    answered lists; else (or when the server cannot be reached at all) the scan stops.

    Raises:
        ClusterUnreachableError: the server cannot be connected to, or has answered no list.
    """
    if exc.kind in ("refused", "connect") or not s.listed:
        raise s.unreachable(exc) from exc
    if exc.kind == "timeout":
        reason = f"timeout: {exc.describe()}"
    else:
        reason = f"connection dropped: GET {exc.path} failed {_tries(exc.attempts)} ({exc.detail})"
    if pages:
        reason += f"; {pages} page(s) read were dropped"
    return KindResult(ki, None, reason, pages=pages, restarts=restarts)


def _describe(res: KindResult) -> str:
    plural = res.kind.plural
    if res.absent:
        return f"{plural}: CRD not installed (none)"
    if res.items is None:
        return f"{plural}: not listed ({res.reason})"
    extra = f" ({res.reason})" if res.reason else ""
    return f"listed {len(res.items)} {plural}{extra}"


# --------------------------------------------------------------------------- HTTP


class _Session:
    """One read of a cluster: the client, the deadlines, what the server has answered so
    far, and the requests in flight (so that a failing scan can cut them)."""

    def __init__(self, api: ApiClient, server: str, *, request_timeout: float, timeout: float | None) -> None:
        self.api = api
        self.server = server
        self.request_timeout = float(request_timeout)
        self.timeout = timeout
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.reached = False  #: the server has given a complete HTTP answer
        self.listed = False  #: ... to a list request
        self._aborted = threading.Event()
        self._lock = threading.Lock()
        self._watches: set[_Watch] = set()
        _watch_pools(api)

    @property
    def aborted(self) -> bool:
        return self._aborted.is_set()

    def abort(self) -> None:
        """Cut every request in flight and refuse new ones."""
        self._aborted.set()
        with self._lock:
            watches = list(self._watches)
        for w in watches:
            w.fire()

    def track(self, w: _Watch) -> None:
        with self._lock:
            self._watches.add(w)

    def untrack(self, w: _Watch) -> None:
        with self._lock:
            self._watches.discard(w)

    def pause(self, seconds: float) -> bool:
        """Wait ``seconds`` before a retry. ``False`` (at once) when the whole-read
        deadline would pass first or the scan is abandoned."""
        if self.deadline is not None and time.monotonic() + seconds >= self.deadline:
            return False
        return not self._aborted.wait(seconds)

    def unreachable(self, exc: _Failure) -> ClusterUnreachableError:
        if exc.kind == "timeout":
            text = exc.describe()
            if exc.path != "/version":
                text += ", and no list request was answered"
            return ClusterUnreachableError(
                f"cannot reach the Kubernetes API server at {self.server}: {text}", remediation=_SLOW_HINT
            )
        return ClusterUnreachableError(
            f"cannot reach the Kubernetes API server at {self.server}: {exc.describe()}",
            remediation=_UNREACHABLE_HINT,
        )


class _Watch:
    """The watchdog of one request: when its deadline passes, :meth:`fire` shuts the
    request's socket down, so a read blocked on a silent or trickling server returns at
    once; the reader then sees :attr:`fired`."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.conn: Any = None  # the urllib3 connection, set by the watched pool
        self.response: Any = None  # the urllib3 response, once the headers are in
        self.fired = False
        self.done = False

    def fire(self) -> None:
        with self.lock:
            if self.done or self.fired:
                return
            self.fired = True
            sock = self._socket()
            try:
                if isinstance(sock, socket.socket):
                    # the plain socket's shutdown, also under TLS: SSLSocket.shutdown would
                    # drop the TLS state under the reading thread's feet
                    socket.socket.shutdown(sock, socket.SHUT_RDWR)
                elif sock is not None:
                    sock.shutdown(socket.SHUT_RDWR)
                elif self.response is not None:
                    self.response.shutdown()  # urllib3 >= 2.3 keeps the socket's shutdown
            except (OSError, ValueError, AttributeError):
                pass

    def _socket(self) -> Any:
        """The request's socket: the connection's; once http.client has let go of it (an
        answer with ``Connection: close``), the one the response still reads from."""
        sock = getattr(self.conn, "sock", None)
        if sock is None and self.response is not None:
            fp = getattr(getattr(self.response, "_fp", None), "fp", None)
            sock = getattr(getattr(fp, "raw", None), "_sock", None)
        return sock

    def finish(self) -> None:
        with self.lock:
            self.done = True


_CURRENT = threading.local()  # .watch: the _Watch of this thread's request
_WATCHED: dict[type, type] = {}


def _watched(cls: Any) -> type:
    """A subclass of urllib3 pool class ``cls`` that tells the current request's watchdog
    which connection it uses."""
    sub = _WATCHED.get(cls)
    if sub is None:

        class Watched(cls):  # type: ignore[misc]
            def _get_conn(self, timeout: float | None = None) -> Any:
                conn = super()._get_conn(timeout)
                w: _Watch | None = getattr(_CURRENT, "watch", None)
                if w is not None:
                    with w.lock:
                        w.conn = conn
                return conn

        Watched.__name__ = Watched.__qualname__ = f"Watched{cls.__name__}"
        sub = _WATCHED[cls] = Watched
    return sub


def _watch_pools(api: Any) -> None:
    """Make the client's pool manager create watched pools (once; pools it has already
    created are not watched: their reads are still bounded between chunks)."""
    pm = getattr(getattr(api, "rest_client", None), "pool_manager", None)
    classes = getattr(pm, "pool_classes_by_scheme", None)
    if pm is None or not isinstance(classes, dict) or getattr(pm, "_r2c_watched", False):
        return
    pm.pool_classes_by_scheme = {scheme: _watched(cls) for scheme, cls in classes.items()}
    pm._r2c_watched = True


def _fetch(s: _Session, path: str, query: list[tuple[str, Any]], accept: str) -> bytes:
    """GET ``path``: the body of a 2xx answer, retried as client-go retries a GET.

    Retried (at most :data:`ATTEMPTS` tries, never past the whole-read deadline): a dropped
    connection; a refused one once the server has answered; 429 (at most
    :data:`THROTTLE_RETRIES` times) and 5xx with ``Retry-After``, waiting what the server
    asks (at most :data:`RETRY_AFTER_CAP` s). Other waits back off exponentially, with
    jitter, from :data:`BACKOFF_BASE` s.

    Raises:
        _HttpStatusError: a non-2xx answer that is not retried (or no longer).
        _Failure: no complete answer.
        ClusterUnreachableError: the credentials cannot be obtained.
    """
    throttled = 0
    attempt = 0
    while True:
        attempt += 1
        last: _HttpStatusError | _Failure
        try:
            status, retry_after, body = _get(s, path, query, accept)
        except _Failure as exc:
            exc.attempts = attempt
            retriable = exc.kind == "dropped" or (exc.kind == "refused" and s.reached)
            if not retriable or attempt >= ATTEMPTS:
                raise
            last, delay = exc, _backoff(attempt)
        else:
            s.reached = True
            if 200 <= status <= 299:
                return body
            err = _HttpStatusError(status, body, retry_after)
            if status == 429:
                throttled += 1
                if throttled > THROTTLE_RETRIES or attempt >= ATTEMPTS:
                    raise err
            elif status < 500 or err.retry_after is None or attempt >= ATTEMPTS:
                raise err
            last = err
            delay = min(RETRY_AFTER_CAP, err.retry_after) if err.retry_after is not None else _backoff(attempt)
        if not s.pause(delay):
            raise last


def _backoff(attempt: int) -> float:
    """The wait after failed try ``attempt`` (1, 2...): exponential, with jitter."""
    return min(BACKOFF_CAP, BACKOFF_BASE * 2.0 ** (attempt - 1)) * random.uniform(0.5, 1.0)


def _get(s: _Session, path: str, query: list[tuple[str, Any]], accept: str) -> tuple[int, str | None, bytes]:
    """One GET through the client's transport, within the request's deadline (and the
    whole read's): status, ``Retry-After`` and the whole body.

    Raises:
        _Failure: no complete answer (what happened is classified for the retry logic).
        ClusterUnreachableError: the credentials cannot be obtained.
    """
    from kubernetes.config.config_exception import ConfigException

    try:
        method, url, headers, _, _ = s.api.param_serialize(
            "GET",
            path,
            query_params=query,
            header_params={"Accept": accept},
            auth_settings=["BearerToken"],
        )
    except ConfigException as exc:  # a credential plugin failed while refreshing a token
        raise ClusterUnreachableError(
            f"cannot get credentials for {s.server}: {_one_line(str(exc))}", remediation=_UNAUTHORIZED_HINT
        ) from exc

    now = time.monotonic()
    end = now + s.request_timeout
    by_scan = s.deadline is not None and s.deadline <= end
    if by_scan:
        assert s.deadline is not None
        end = s.deadline
    budget = end - now
    if budget <= 0 or s.aborted:
        raise _Failure("timeout", _deadline_text(s, path, by_scan=by_scan), path, by_scan=by_scan)

    watch = _Watch()
    timer = threading.Timer(budget, watch.fire)
    timer.daemon = True
    s.track(watch)
    _CURRENT.watch = watch
    resp: Any = None
    complete = False
    try:
        timer.start()
        if s.aborted:  # abandoned between the check above and the watch being tracked
            watch.fire()
            raise _Failure("timeout", _deadline_text(s, path, by_scan=by_scan), path, by_scan=by_scan)
        resp = s.api.call_api(
            method, url, header_params=headers,
            _request_timeout=(min(_CONNECT_TIMEOUT, budget), budget),
        )
        raw = resp.response
        with watch.lock:
            watch.response = raw
        read = getattr(raw, "read1", None) or raw.read  # read1: what has arrived, not a full chunk
        chunks: list[bytes] = []
        while not watch.fired:
            if time.monotonic() >= end:
                watch.fire()
                break
            data = read(_READ_CHUNK)
            if not data:
                watch.finish()  # read to its end: the connection may already be back in the pool
                break
            chunks.append(data)
        if watch.fired:  # whatever was read is short of the whole body
            raise _Failure("timeout", _deadline_text(s, path, by_scan=by_scan), path, by_scan=by_scan)
        complete = True
        return resp.status, resp.headers.get("Retry-After"), b"".join(chunks)
    except _Failure:
        raise
    except Exception as exc:
        failure = _classify(exc, path, budget)
        if watch.fired or (failure is not None and failure.kind == "timeout"):
            # the socket timeout is the request's budget too: either way, a deadline passed
            raise _Failure("timeout", _deadline_text(s, path, by_scan=by_scan), path, by_scan=by_scan) from exc
        if failure is None:
            raise
        raise failure from exc
    finally:
        _CURRENT.watch = None
        timer.cancel()
        watch.finish()
        s.untrack(watch)
        if resp is not None:
            _release(resp.response, reuse=complete)


def _release(raw: Any, *, reuse: bool) -> None:
    """Give the connection back to the pool; closed first when the body was not read to
    its end (a half-read connection must not carry the next request)."""
    try:
        if not reuse:
            raw.close()
        raw.release_conn()
    except Exception:  # best effort: the connection is being dropped anyway
        pass


def _deadline_text(s: _Session, path: str, *, by_scan: bool) -> str:
    if by_scan:
        return f"GET {path} not finished when the {s.timeout:g} s deadline of the whole read passed"
    return f"no complete answer to GET {path} within {s.request_timeout:g} s (request deadline)"


def _classify(exc: BaseException, path: str, budget: float) -> _Failure | None:
    """What a transport exception means for the retry logic (``None``: not a transport
    failure, a bug to let through)."""
    import http.client

    import urllib3.exceptions as u3
    from kubernetes.client.exceptions import ApiException

    while isinstance(exc, u3.MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    if isinstance(exc, u3.NameResolutionError):
        return _Failure("connect", "host name not found (DNS)", path)
    if isinstance(exc, u3.NewConnectionError):  # a subclass of ConnectTimeoutError: test it first
        text = str(exc).lower()
        if "refused" in text:
            return _Failure("refused", "connection refused", path)
        if "reset" in text:  # accepted by the kernel, then dropped: a server going away
            return _Failure("refused", "connection reset while connecting", path)
        if "timed out" not in text:
            return _Failure("connect", f"cannot connect ({_one_line(str(exc).split(': ', 1)[-1])})", path)
    if isinstance(exc, u3.ConnectTimeoutError):
        return _Failure("connect", f"connection timed out after {min(_CONNECT_TIMEOUT, budget):.3g} s", path)
    if isinstance(exc, u3.ReadTimeoutError):  # the socket timeout is the request's budget
        return _Failure("timeout", f"no answer to GET {path} within {budget:.3g} s (read timeout)", path)
    if isinstance(exc, u3.SSLError):
        return _Failure("connect", f"TLS error: {_one_line(str(exc))}", path)
    if isinstance(exc, u3.ProxyError):
        return _Failure("connect", f"proxy error: {_one_line(str(exc))}", path)
    if isinstance(exc, u3.ProtocolError):
        inner = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], BaseException) else exc
        return _Failure("dropped", _dropped_why(inner), path)
    if isinstance(exc, ApiException):  # the client wraps TLS errors as ApiException(status=0)
        return _Failure("connect", _one_line((exc.reason or str(exc)).replace("\n", ": ")), path)
    if isinstance(exc, ConnectionRefusedError):
        return _Failure("refused", "connection refused", path)
    if isinstance(exc, (ConnectionError, http.client.HTTPException)):
        return _Failure("dropped", _dropped_why(exc), path)
    if isinstance(exc, TimeoutError):
        return _Failure("timeout", f"no answer to GET {path} within {budget:.3g} s (read timeout)", path)
    if isinstance(exc, (OSError, u3.HTTPError)):
        return _Failure("connect", _one_line(str(exc)) or type(exc).__name__, path)
    return None


def _dropped_why(exc: BaseException) -> str:
    """A few words on how a connection was dropped."""
    import http.client

    if isinstance(exc, ConnectionResetError):
        return "connection reset by peer"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "closed without an answer"
    if isinstance(exc, http.client.IncompleteRead):
        got = exc.partial if isinstance(exc.partial, int) else len(exc.partial)
        expected = f", {exc.expected} more expected" if exc.expected is not None else ""
        return f"answer cut short after {got} bytes{expected}"
    if isinstance(exc, BrokenPipeError):
        return "broken pipe"
    return _one_line(str(exc)) or type(exc).__name__


def _seconds(value: str | None) -> float | None:
    """A ``Retry-After`` header in seconds (``None`` if absent or not a number)."""
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None
    if seconds is None or math.isnan(seconds):
        return None
    return max(0.0, seconds)


def _unauthorized(server: str) -> ClusterUnreachableError:
    return ClusterUnreachableError(
        f"unauthorized: credentials rejected by {server}", remediation=_UNAUTHORIZED_HINT
    )


# --------------------------------------------------------------------------- configuration


@frozen
class _Target:
    api: ApiClient
    server: str
    source: str
    cluster_name: str | None


def _load_target(
    context: str | None,
    kubeconfig: str | os.PathLike[str] | None,
    in_cluster: bool | None,
    service_account_dir: str | os.PathLike[str] | None = None,
) -> _Target:
    """Build the ApiClient from a kubeconfig (validated first, for clear messages) or the
    pod's service account."""
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    paths, docs = _kubeconfig_docs(kubeconfig)
    if in_cluster is None:
        in_cluster = not docs and kubeconfig is None and bool(os.environ.get("KUBERNETES_SERVICE_HOST"))

    cfg = client.Configuration()
    if in_cluster:
        from kubernetes.config.incluster_config import InClusterConfigLoader

        sa_dir = Path(service_account_dir) if service_account_dir is not None else SERVICE_ACCOUNT_DIR
        try:  # the token is re-read as the kubelet rotates it (try_refresh_token)
            InClusterConfigLoader(  # type: ignore[no-untyped-call]
                token_filename=str(sa_dir / "token"), cert_filename=str(sa_dir / "ca.crt"), try_refresh_token=True,
            ).load_and_set(cfg)
        except ConfigException as exc:
            raise ConfigError(f"in-cluster config: {str(exc).rstrip('.')} (ServiceAccount directory {sa_dir})") from exc
        source, cluster_name = "in-cluster", None
    else:
        where = ", ".join(str(p) for p in paths)
        if not docs:
            raise ConfigError(
                f"kubeconfig {where}: no kubeconfig found",
                remediation="pass --kubeconfig FILE, set KUBECONFIG, or scan a snapshot",
            )
        ctx_name, cluster_name = _pick_context(docs, context, where)
        try:
            config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=os.pathsep.join(str(p) for p, _ in docs),
                context=ctx_name,
                client_configuration=cfg,
                persist_config=False,
            )
        except (ConfigException, OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise ConfigError(f"kubeconfig {where}: context {ctx_name!r}: {exc}") from exc
        source = f"context:{ctx_name}"

    cfg.retries = _retries()
    cfg.connection_pool_maxsize = WORKERS + 2
    return _Target(client.ApiClient(configuration=cfg), cfg.host, source, cluster_name)


def _retries() -> Any:
    """No urllib3 retry at all: :func:`_fetch` retries, counting every try against its
    attempts and deadlines."""
    from urllib3.util.retry import Retry

    return Retry(
        total=0, connect=0, read=0, redirect=0, status=0, other=0, raise_on_status=False,
    )


def _kubeconfig_paths(kubeconfig: str | os.PathLike[str] | None) -> list[Path]:
    if kubeconfig is not None:
        return [Path(os.path.expanduser(os.fspath(kubeconfig)))]
    env = os.environ.get("KUBECONFIG")
    if env:
        paths = [Path(os.path.expanduser(p)) for p in env.split(os.pathsep) if p]
        if paths:
            return paths
    return [Path(os.path.expanduser("~/.kube/config"))]


def _read_kubeconfig(path: Path, *, explicit: bool) -> dict[str, Any] | None:
    """Parse one kubeconfig file. A missing or empty file found by default is skipped
    (``None``); one passed explicitly is an error.

    Raises:
        ConfigError: unreadable, not YAML, or not a kubeconfig.
    """
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if explicit:
            raise ConfigError(f"kubeconfig {path}: file not found") from None
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"kubeconfig {path}: cannot read: {exc}") from exc
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "syntax error"
        raise ConfigError(f"kubeconfig {path}: not valid YAML ({problem}{at})") from exc
    if doc is None:
        if explicit:
            raise ConfigError(f"kubeconfig {path}: the file is empty")
        return None
    if not isinstance(doc, dict) or not any(k in doc for k in ("clusters", "contexts", "users")):
        raise ConfigError(
            f"kubeconfig {path}: not a kubeconfig (expected a mapping with clusters, contexts and users)"
        )
    for section in ("clusters", "contexts", "users"):
        entries = doc.get(section) or []
        if not isinstance(entries, list) or not all(
            isinstance(e, dict) and isinstance(e.get("name"), str) for e in entries
        ):
            raise ConfigError(f"kubeconfig {path}: {section} must be a list of entries with a name")
    return doc


def kubeconfig_contexts(kubeconfig: str | os.PathLike[str] | None = None) -> tuple[list[tuple[str, str | None]], str | None]:
    """The contexts of a kubeconfig (merged over ``$KUBECONFIG``'s files as kubectl merges
    them, first definition wins), each with its cluster's name, and the current context.

    Raises:
        ConfigError: no kubeconfig found, or one that cannot be read.
    """
    paths, docs = _kubeconfig_docs(kubeconfig)
    if not docs:
        where = ", ".join(str(p) for p in paths)
        raise ConfigError(f"kubeconfig {where}: no kubeconfig found", remediation="pass --kubeconfig FILE or set KUBECONFIG")
    contexts, current = _merged_contexts(docs)
    out: list[tuple[str, str | None]] = []
    for name, ctx in contexts.items():
        cluster = ctx.get("cluster")
        out.append((name, cluster if isinstance(cluster, str) else None))
    return out, current


def _kubeconfig_docs(kubeconfig: str | os.PathLike[str] | None) -> tuple[list[Path], list[tuple[Path, dict[str, Any]]]]:
    """The kubeconfig files looked at, and those found, each parsed and checked."""
    paths = _kubeconfig_paths(kubeconfig)
    docs: list[tuple[Path, dict[str, Any]]] = []
    for p in paths:
        doc = _read_kubeconfig(p, explicit=kubeconfig is not None)
        if doc is not None:
            docs.append((p, doc))
    return paths, docs


def _merged_contexts(docs: list[tuple[Path, dict[str, Any]]]) -> tuple[dict[str, dict[str, Any]], str | None]:
    """The contexts over the files, first definition wins (as kubectl merges them), and the
    current context (the first file that names one)."""
    contexts: dict[str, dict[str, Any]] = {}
    current: str | None = None
    for _, doc in docs:
        for entry in doc.get("contexts") or []:
            contexts.setdefault(entry["name"], entry.get("context") or {})
        current = current or doc.get("current-context") or None
    return contexts, current


def _pick_context(docs: list[tuple[Path, dict[str, Any]]], context: str | None, where: str) -> tuple[str, str | None]:
    """The context to use (merged over the files, first definition wins, as kubectl does)
    and its cluster's name.

    Raises:
        ConfigError: no such context, no current context, or a context naming an
            undefined cluster.
    """
    contexts, current = _merged_contexts(docs)
    clusters = {entry["name"] for _, doc in docs for entry in doc.get("clusters") or []}
    available = ", ".join(sorted(contexts)) or "none"
    name = context or current
    if not name:
        raise ConfigError(
            f"kubeconfig {where}: no current-context set and no context given (available: {available})",
            remediation="pass --context NAME",
        )
    if name not in contexts:
        raise ConfigError(f"kubeconfig {where}: context {name!r} not found (available: {available})")
    cluster = contexts[name].get("cluster")
    if not isinstance(cluster, str) or cluster not in clusters:
        raise ConfigError(
            f"kubeconfig {where}: context {name!r} names cluster {cluster!r}, which is not defined"
        )
    return name, cluster
