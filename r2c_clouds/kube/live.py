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
  and the scan goes on. So is a built-in kind the server does not serve (404).
- A custom resource kind whose CRD is not installed (404 on an ``optional`` kind: KEDA
  ScaledObject, Prometheus Operator ServiceMonitor) counts as *captured with no objects*:
  an absent CRD means there are none.
- An expired ``continue`` token (410 Gone) restarts that kind's list from the first page, at
  most :data:`EXPIRED_RESTARTS` times; after that the kind is not checked (``expired: ...``).
  A throttled request (429, or 503 with ``Retry-After``) is retried as client-go does.
- 401, a refused or timed-out connection, DNS or TLS failures raise
  :class:`~r2c_clouds.errors.ClusterUnreachableError` (exit 3); a kubeconfig or context that
  cannot be used raises :class:`~r2c_clouds.errors.ConfigError` (exit 2).

How the client is used: the kubeconfig (or the pod's service account) is loaded by
``kubernetes.config`` into a ``Configuration`` (so exec plugins, OIDC, client certificates and
proxies work as usual) with urllib3 retries limited to one reconnect and no read retry, and a
connection pool sized for :data:`WORKERS`. Requests go through ``ApiClient.param_serialize``
and ``ApiClient.call_api`` (the kubernetes 37 signatures) with ``_request_timeout=(connect,
read)``, and the raw response bytes are read, never deserialized by the client. The
``kubernetes`` package is imported only when :func:`connect` runs.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import msgspec
from attrs import frozen

from r2c_clouds._gc import gc_paused
from r2c_clouds.errors import ClusterUnreachableError, ConfigError, SnapshotError
from r2c_clouds.kube._build import StateBuilder
from r2c_clouds.kube.decode import decode_page
from r2c_clouds.kube.kinds import KINDS, KindInfo
from r2c_clouds.kube.kinds import decoder as item_decoder
from r2c_clouds.model.cluster import ClusterState

if TYPE_CHECKING:
    from kubernetes.client import ApiClient

__all__ = [
    "ACCEPT_METADATA_ONLY",
    "EXPIRED_RESTARTS",
    "FREEZE_AT",
    "PAGE_LIMIT",
    "THROTTLE_RETRIES",
    "WORKERS",
    "KindResult",
    "connect",
    "list_kinds",
    "server_version",
]

#: Items per page, as kubectl asks (``--chunk-size`` default). Servers may return fewer.
PAGE_LIMIT = 500
#: Kinds listed concurrently.
WORKERS = 6
#: How many times a list whose ``continue`` token expired (410) is restarted from scratch.
EXPIRED_RESTARTS = 2
#: Retries of a request the server throttled (429, or 503 with Retry-After).
THROTTLE_RETRIES = 3
#: From this many objects on, the decoded objects are frozen out of the cyclic GC's reach.
FREEZE_AT = 20_000
#: The Accept header that makes the API server return metadata only (used for Secrets).
ACCEPT_METADATA_ONLY = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
_ACCEPT_JSON = "application/json"
_CONNECT_TIMEOUT = 10.0

Progress = Callable[[str], Any]

_UNREACHABLE_HINT = (
    "check that the API server is up and reachable from here (VPN, firewall, private endpoint), "
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
    """

    kind: KindInfo
    items: list[Any] | None
    reason: str | None = None
    absent: bool = False
    pages: int = 0
    restarts: int = 0


class _HttpStatusError(Exception):
    """A non-2xx answer from the API server, with its ``Status`` body decoded."""

    def __init__(self, status: int, body: bytes, retry_after: str | None = None) -> None:
        try:
            st = _STATUS.decode(body)
        except msgspec.DecodeError:
            st = _Status(message=" ".join(body[:200].decode("utf-8", "replace").split()))
        super().__init__(f"{status} {st.reason}: {st.message}")
        self.status = status
        self.retry_after = _seconds(retry_after)
        self.reason = st.reason
        self.message = st.message or st.reason or f"HTTP {status}"


# --------------------------------------------------------------------------- public API


def connect(
    context: str | None = None,
    kubeconfig: str | os.PathLike[str] | None = None,
    in_cluster: bool | None = None,
    timeout: float = 30.0,
    progress: Progress | None = None,
) -> ClusterState:
    """Read every kind r2c_clouds knows from a live cluster (GET requests only).

    Args:
        context: kubeconfig context (default: the current one).
        kubeconfig: kubeconfig file (default: ``$KUBECONFIG``, else ``~/.kube/config``).
        in_cluster: use the pod's service account; default: when no kubeconfig is found
            and ``KUBERNETES_SERVICE_HOST`` is set.
        timeout: per-request read timeout in seconds (the connect timeout is at most 10 s).
        progress: called with a short message per kind listed (``"listed 150000 pods"``).

    Returns:
        The cluster, with ``source`` ``context:<name>`` (or ``in-cluster``). Forbidden kinds
        are in ``not_checked``; Secrets carry metadata only.

    Raises:
        ConfigError: the kubeconfig or context cannot be used (exit 2).
        ClusterUnreachableError: the API server cannot be reached, timed out, or rejected
            the credentials (401) (exit 3).

    .. versionadded:: 0.1
    """
    target = _load_target(context, kubeconfig, in_cluster)
    api = target.api
    try:
        builder = StateBuilder(source=target.source, name=target.cluster_name)
        builder.server_version = server_version(api, target.server, timeout)
        with gc_paused():  # decoded structs hold no cycles; see r2c_clouds._gc
            results = list_kinds(api, KINDS, server=target.server, timeout=timeout, progress=progress)
            for res in results:
                if res.items is None:
                    builder.forbid(res.kind.kind, res.reason or "not listed")
                    continue
                builder.extend(res.kind, res.items)
                builder.mark_captured(res.kind.kind)
                if res.reason:
                    builder.forbid(res.kind.kind, res.reason)
            cluster = builder.build()
            if sum(len(r.items or ()) for r in results) >= FREEZE_AT:
                # Later collections skip a big cluster's objects; reference counting still
                # frees them once the ClusterState is dropped.
                gc.freeze()
            return cluster
    finally:
        api.close()  # type: ignore[no-untyped-call]


def server_version(api: ApiClient, server: str, timeout: float) -> str | None:
    """``gitVersion`` from ``GET /version`` (``None`` if the server will not say).

    Raises:
        ClusterUnreachableError: the server cannot be reached or rejects the credentials.
    """
    try:
        body = _get(api, "/version", [], _ACCEPT_JSON, server, timeout)
    except _HttpStatusError as exc:
        if exc.status == 401:
            raise _unauthorized(server) from exc
        return None
    try:
        return _VERSION.decode(body).git_version
    except msgspec.DecodeError:
        return None


def list_kinds(
    api: ApiClient,
    kinds: Sequence[KindInfo],
    *,
    server: str,
    timeout: float = 30.0,
    progress: Progress | None = None,
    limit: int = PAGE_LIMIT,
    workers: int = WORKERS,
) -> list[KindResult]:
    """List several kinds cluster-wide, :data:`WORKERS` at a time.

    Args:
        api: a configured ``kubernetes.client.ApiClient``.
        kinds: the kinds to list.
        server: the server URL, for messages.
        timeout: per-request read timeout in seconds.
        progress: called (from this thread) with one message per kind.
        limit: page size asked for.
        workers: kinds listed at once.

    Returns:
        One result per kind, in the order of ``kinds``.

    Raises:
        ClusterUnreachableError: on the first connection failure or 401; the other lists
            are abandoned.
    """
    results: dict[str, KindResult] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="r2c-list")
    pending: set[Future[KindResult]] = {
        pool.submit(_list_kind, api, ki, server, timeout, limit) for ki in kinds
    }
    try:
        while pending:
            done, pending = wait(pending, return_when=FIRST_EXCEPTION)
            for fut in done:
                res = fut.result()
                results[res.kind.kind] = res
                if progress is not None:
                    progress(_describe(res))
    except BaseException:
        # Fail fast: do not wait for the other lists (they end at their own timeout).
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return [results[ki.kind] for ki in kinds]


# --------------------------------------------------------------------------- listing


def _list_kind(api: ApiClient, ki: KindInfo, server: str, timeout: float, limit: int) -> KindResult:
    """Page through one kind. HTTP errors other than 401 become a not-checked reason."""
    accept = ACCEPT_METADATA_ONLY if ki.kind == "Secret" else _ACCEPT_JSON
    path = ki.path()
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
                body = _get_patiently(api, path, query, accept, server, timeout)
            except _HttpStatusError as exc:
                if exc.status == 410 and token:
                    last_expired = exc.message
                    break  # restart this kind's list from the first page
                return _failed(ki, exc, server, pages, restart)
            pages += 1
            try:
                token = _decode_page(ki, body, items, notes)
            except msgspec.DecodeError as exc:
                return KindResult(
                    ki, None, f"the server's answer to GET {path} is not a list: {exc}",
                    pages=pages, restarts=restart,
                )
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


def _decode_page(ki: KindInfo, body: bytes, into: list[Any], notes: list[str]) -> str | None:
    """Decode one page into ``into`` and return its ``continue`` token.

    The shared decoder (:func:`r2c_clouds.kube.decode.decode_page`) decodes the whole page in
    one typed pass. When an object does not fit its Struct (a custom resource with a field of
    an unexpected type), the page is decoded object by object instead: the bad objects are
    skipped and named in ``notes``, so one odd object does not lose the whole kind.

    Raises:
        msgspec.DecodeError: the body is not a JSON list at all.
    """
    try:
        page = decode_page(body, ki, f"GET {ki.path()}")
    except SnapshotError:
        pass
    else:
        into.extend(page.items)
        return page.continue_token
    raw: _Page[msgspec.Raw] = _RAW_PAGE.decode(body)
    dec = item_decoder(ki)
    bad = 0
    first = ""
    for item in raw.items or ():
        try:
            into.append(dec.decode(item))
        except msgspec.ValidationError as exc:
            bad += 1
            first = first or f"{_safe_item_meta(item)}: {exc}"
    if bad:
        notes.append(f"{bad} object(s) skipped, cannot decode {first}")
    return raw.metadata.continue_ or None


def _safe_item_meta(item: msgspec.Raw) -> str:
    try:
        meta = _ITEM.decode(item).metadata
    except msgspec.DecodeError:
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


def _describe(res: KindResult) -> str:
    plural = res.kind.plural
    if res.absent:
        return f"{plural}: CRD not installed (none)"
    if res.items is None:
        return f"{plural}: not listed ({res.reason})"
    extra = f" ({res.reason})" if res.reason else ""
    return f"listed {len(res.items)} {plural}{extra}"


# --------------------------------------------------------------------------- HTTP


def _get(
    api: ApiClient,
    path: str,
    query: list[tuple[str, Any]],
    accept: str,
    server: str,
    timeout: float,
) -> bytes:
    """One GET through the client's transport; the raw body of a 2xx answer.

    Raises:
        _HttpStatusError: any other status.
        ClusterUnreachableError: no answer at all.
    """
    with _translate_transport_errors(server, timeout):
        method, url, headers, _, _ = api.param_serialize(
            "GET",
            path,
            query_params=query,
            header_params={"Accept": accept},
            auth_settings=["BearerToken"],
        )
        resp = api.call_api(
            method, url, header_params=headers,
            _request_timeout=(min(_CONNECT_TIMEOUT, timeout), timeout),
        )
        try:
            body: bytes = resp.read()  # type: ignore[no-untyped-call]
        finally:
            resp.response.release_conn()
    if not 200 <= resp.status <= 299:
        raise _HttpStatusError(resp.status, body, resp.headers.get("Retry-After"))
    return body


def _get_patiently(
    api: ApiClient,
    path: str,
    query: list[tuple[str, Any]],
    accept: str,
    server: str,
    timeout: float,
) -> bytes:
    """:func:`_get`, retried when the server asks to come back later (429 Too Many Requests
    from API Priority and Fairness, or a 503 with ``Retry-After``), as client-go does: at most
    :data:`THROTTLE_RETRIES` times, waiting what the server says (at most 5 s each time)."""
    for attempt in range(THROTTLE_RETRIES + 1):
        try:
            return _get(api, path, query, accept, server, timeout)
        except _HttpStatusError as exc:
            throttled = exc.status == 429 or (exc.status == 503 and exc.retry_after is not None)
            if not throttled or attempt == THROTTLE_RETRIES:
                raise
            time.sleep(min(5.0, exc.retry_after if exc.retry_after is not None else 1.0))
    raise AssertionError("unreachable")  # pragma: no cover


def _seconds(value: str | None) -> float | None:
    """A ``Retry-After`` header in seconds (``None`` if absent or not a number)."""
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


@contextmanager
def _translate_transport_errors(server: str, timeout: float) -> Iterator[None]:
    """Map urllib3 / client transport failures to :class:`ClusterUnreachableError`."""
    import urllib3.exceptions as u3
    from kubernetes.client.exceptions import ApiException
    from kubernetes.config.config_exception import ConfigException

    try:
        yield
    except u3.HTTPError as exc:
        raise ClusterUnreachableError(
            f"cannot reach the Kubernetes API server at {server}: {_why(exc, timeout)}",
            remediation=_UNREACHABLE_HINT,
        ) from exc
    except ApiException as exc:  # the client wraps TLS errors as ApiException(status=0)
        detail = (exc.reason or str(exc)).replace("\n", ": ")
        raise ClusterUnreachableError(
            f"cannot reach the Kubernetes API server at {server}: {detail}",
            remediation=_UNREACHABLE_HINT,
        ) from exc
    except ConfigException as exc:  # a credential plugin failed while refreshing a token
        raise ClusterUnreachableError(
            f"cannot get credentials for {server}: {exc}", remediation=_UNAUTHORIZED_HINT
        ) from exc
    except OSError as exc:
        raise ClusterUnreachableError(
            f"cannot reach the Kubernetes API server at {server}: {exc}",
            remediation=_UNREACHABLE_HINT,
        ) from exc


def _why(exc: BaseException, timeout: float) -> str:
    """A few words saying why a connection failed."""
    import urllib3.exceptions as u3

    while isinstance(exc, u3.MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    if isinstance(exc, u3.NameResolutionError):
        return "host name not found (DNS)"
    if isinstance(exc, u3.NewConnectionError):  # a subclass of ConnectTimeoutError: test it first
        text = str(exc).lower()
        if "refused" in text:
            return "connection refused"
        if "timed out" not in text:
            return f"cannot connect ({str(exc).split(': ', 1)[-1]})"
    if isinstance(exc, u3.ConnectTimeoutError):
        return f"connection timed out after {min(_CONNECT_TIMEOUT, timeout):g} s"
    if isinstance(exc, u3.ReadTimeoutError):
        return f"no answer within {timeout:g} s (read timeout)"
    if isinstance(exc, u3.SSLError):
        return f"TLS error: {exc}"
    if isinstance(exc, u3.ProtocolError):
        return f"connection dropped ({exc})"
    return str(exc) or type(exc).__name__


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
    context: str | None, kubeconfig: str | os.PathLike[str] | None, in_cluster: bool | None
) -> _Target:
    """Build the ApiClient from a kubeconfig (validated first, for clear messages) or the
    pod's service account."""
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    paths = _kubeconfig_paths(kubeconfig)
    docs: list[tuple[Path, dict[str, Any]]] = []
    for p in paths:
        doc = _read_kubeconfig(p, explicit=kubeconfig is not None)
        if doc is not None:
            docs.append((p, doc))
    if in_cluster is None:
        in_cluster = not docs and kubeconfig is None and bool(os.environ.get("KUBERNETES_SERVICE_HOST"))

    cfg = client.Configuration()
    if in_cluster:
        try:
            config.load_incluster_config(client_configuration=cfg)  # type: ignore[no-untyped-call]
        except ConfigException as exc:
            raise ConfigError(f"in-cluster config: {exc}") from exc
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
    """One quick retry of a failed connect; never retry a read (a slow server stays slow,
    and the caller's timeout must hold)."""
    from urllib3.util.retry import Retry

    return Retry(
        total=1, connect=1, read=0, redirect=0, status=0, other=0,
        backoff_factor=0.2, allowed_methods=frozenset({"GET"}), raise_on_status=False,
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


def _pick_context(docs: list[tuple[Path, dict[str, Any]]], context: str | None, where: str) -> tuple[str, str | None]:
    """The context to use (merged over the files, first definition wins, as kubectl does)
    and its cluster's name.

    Raises:
        ConfigError: no such context, no current context, or a context naming an
            undefined cluster.
    """
    contexts: dict[str, dict[str, Any]] = {}
    clusters: set[str] = set()
    current: str | None = None
    for _, doc in docs:
        for entry in doc.get("contexts") or []:
            contexts.setdefault(entry["name"], entry.get("context") or {})
        clusters.update(entry["name"] for entry in doc.get("clusters") or [])
        current = current or doc.get("current-context") or None
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
