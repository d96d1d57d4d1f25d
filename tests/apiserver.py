"""A realistic fake Kubernetes API server on loopback, built on pytest-httpserver.

It answers what real clients (the official Python client, kubectl) ask of a real API server,
per the checklist in K8S-TESTING.md "What a realistic fake must support":

1. Discovery: ``/version`` and ``/version/`` (a full VersionInfo), ``/api``, ``/api/``,
   ``/apis``, ``/apis/``, ``/api/v1``, ``/apis/<group>`` and ``/apis/<group>/<version>``
   (``groupVersion``, ``namespaced``, ``verbs``, ``singularName``, ``kind``, ``shortNames``
   on resources only, a few subresources without them). Aggregated discovery is not offered:
   the answer is plain ``application/json``, which kubectl falls back to.
2. Lists with ``kind: PodList``, ``apiVersion``, ``metadata.resourceVersion`` as a string and
   items *without* kind/apiVersion, cluster-wide (``/api/v1/pods``) and namespaced
   (``/api/v1/namespaces/NS/pods``) for every kind in ``r2c_clouds.kube.kinds.KINDS``, plus
   single-object GETs.
3. ``limit``/``continue`` paging with opaque tokens and ``remainingItemCount``; an optional
   server-side cap on the page size (``max_limit``).
4. ``labelSelector`` (``=``, ``==``, ``!=``, ``in``, ``notin``, exists, ``!key``) and
   ``fieldSelector`` (``=``, ``==``, ``!=`` on dotted paths such as ``spec.nodeName``).
5. ``Status`` errors: 401 for a wrong token, 403 for the ``forbidden`` resources, 410
   ``Expired`` for a stale ``continue`` token (with a fresh ``metadata.continue``), 404 for
   unknown resources and for CRDs that are not installed, 405 for anything but GET, and slow
   endpoints (``slow``) for timeouts.
6. Type-correct JSON: objects are served as given (use API-shaped dicts, e.g. from
   tests/factories.py); ``resourceVersion`` is added as a string when missing.
7. Fault injection (:class:`Fault`, ``faults=`` or :meth:`FakeApiServer.inject`): per path
   (``"/version"``) or resource plural (``"pods"``) and per request number, answer with a
   status code (and ``Retry-After``), a 410 Expired, a truncated body (``Content-Length``
   larger than what is sent, then the connection closed), a trickle (one byte every N
   seconds, in the body or in the status line), a hang (no answer), a TCP reset before or
   in the middle of the body, or any body (wrong types, deeply nested, a ``Status`` sent
   with HTTP 200).

``Accept: application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1`` is honoured as
the real server does: items carry metadata only, so Secret values are never served.

kubectl (client-go) sends no bearer token over plain http: serve kubectl with ``token=None``
(no authentication; requests without a token are then allowed). With a token set, a request
without one is ``system:anonymous`` (403 except ``/version``) and a wrong one gets 401.

Every request is recorded in :attr:`FakeApiServer.requests` (method, path, query, headers,
what was served), so tests can assert that only GET was sent. Items are encoded once, and
pages are assembled from the encoded items and cached, so 150,000 pods serve quickly (the
benchmarks use this module too).

Example::

    with FakeApiServer([node("n1"), pod("p1")], forbidden={"secrets"}) as api:
        cluster = r2c_clouds.connect(kubeconfig=api.write_kubeconfig(tmp_path / "kubeconfig"))

    # the first GET of pods is reset mid-body, the second answers 503 Retry-After: 1
    with FakeApiServer(objs, faults={"pods": [Fault.reset(), Fault.error(503, retry_after=1)]}) as api:
        ...
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import socket
import struct
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import yaml
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from r2c_clouds.kube.kinds import KINDS, KindInfo, kind_for

__all__ = [
    "SECRET_VALUE_B64",
    "FakeApiServer",
    "Fault",
    "RequestRecord",
    "load_objects",
    "sample_objects",
    "write_kubeconfig",
]

DEFAULT_TOKEN = "r2c-test-token-0123456789"
DEFAULT_VERSION = "v1.31.2"

_SHORT_NAMES = {
    "pods": ["po"], "nodes": ["no"], "namespaces": ["ns"], "services": ["svc"],
    "endpoints": ["ep"], "persistentvolumeclaims": ["pvc"], "persistentvolumes": ["pv"],
    "serviceaccounts": ["sa"], "configmaps": ["cm"], "events": ["ev"],
    "deployments": ["deploy"], "statefulsets": ["sts"], "daemonsets": ["ds"],
    "ingresses": ["ing"], "networkpolicies": ["netpol"], "poddisruptionbudgets": ["pdb"],
    "priorityclasses": ["pc"], "storageclasses": ["sc"], "scaledobjects": ["so"],
    "servicemonitors": ["smon"],
}
_CATEGORIES = {
    "pods": ["all"], "services": ["all"], "deployments": ["all"], "statefulsets": ["all"],
    "daemonsets": ["all"], "scaledobjects": ["keda"], "servicemonitors": ["prometheus-operator"],
}
_SUBRESOURCES = {
    "pods": [("log", "Pod", ["get"]), ("status", "Pod", ["get", "patch", "update"])],
    "nodes": [("status", "Node", ["get", "patch", "update"])],
    "deployments": [("scale", "Scale", ["get", "patch", "update"]), ("status", "Deployment", ["get", "patch", "update"])],
    "statefulsets": [("scale", "Scale", ["get", "patch", "update"])],
}
_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]
_EXPIRED_MESSAGE = (
    "The provided continue parameter is too old to display a consistent list result. You can "
    "start a new list without the continue parameter, or use the continue token in this "
    "response to retrieve the remainder of the results. Continuing with the provided token "
    "results in an inconsistent list - objects that were created, modified, or deleted between "
    "the time the first chunk was returned and now may show up in the list."
)
_ENC = msgspec.json.Encoder()


def _bearer_is(header: str, token: str) -> bool:
    """The API server's bearer-token check: the scheme in any case (client-go sends
    ``Bearer``, the Python client's in-cluster loader ``bearer``), then the token."""
    scheme, _, value = header.partition(" ")
    return scheme.lower() == "bearer" and value == token


class _LoopbackServer(HTTPServer):
    """pytest-httpserver's server, threaded, polling for shutdown every 20 ms (not 500 ms),
    so a fresh server per test costs little."""

    def __init__(self, ssl_context: Any = None) -> None:
        super().__init__(host="127.0.0.1", port=0, threaded=True, ssl_context=ssl_context)

    def thread_target(self) -> None:
        assert self.server is not None
        self.server.serve_forever(poll_interval=0.02)


@dataclass
class RequestRecord:
    """One request the fake received, and what it served.

    Args:
        method: ``GET``...
        path: URL path.
        query: query parameters (last value of each).
        headers: request headers (``Accept``, ``Authorization``...).
        status: HTTP status sent.
        served: ``PodList``, ``PartialObjectMetadataList``, ``Status``, ``APIResourceList``...
        body: the response body, when the server records bodies.
        at: when the request arrived (``time.monotonic()``).
    """

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int = 0
    served: str = ""
    body: bytes | None = None
    at: float = 0.0


@dataclass(frozen=True)
class Fault:
    """One way of answering a request badly; build it with the class methods.

    ``truncated``, ``trickle`` and ``reset`` apply to the answer the server would have
    given (a list page, ``/version``...), so the bytes that do arrive are genuine.

    Args:
        action: ``error``, ``body``, ``truncated``, ``trickle``, ``hang`` or ``reset``.
        code: the HTTP status sent (``error`` and ``body``).
        reason: the ``Status`` reason (``error``).
        message: the ``Status`` message (``error``).
        retry_after: the ``Retry-After`` header (``error``), if any.
        data: the bytes sent (``body``).
        fraction: the share of the answer sent before the connection is cut
            (``truncated``, ``reset``); 0 cuts it before the status line.
        every: seconds between two bytes (``trickle``).
        headers: trickle the status line instead of the body (``trickle``).
        metadata: the ``Status`` metadata (``error``; a fresh ``continue`` for 410).
    """

    action: str
    code: int = 200
    reason: str = ""
    message: str = ""
    retry_after: str | None = None
    data: bytes = b""
    fraction: float = 0.5
    every: float = 1.0
    headers: bool = False
    metadata: Mapping[str, Any] | None = None

    @classmethod
    def error(
        cls, code: int, *, retry_after: float | str | None = None, reason: str | None = None, message: str | None = None
    ) -> Fault:
        """A ``Status`` error with HTTP ``code`` (and ``Retry-After`` when given)."""
        return cls(
            "error", code=code, reason=reason or _REASONS.get(code, "InternalError"),
            message=message or f"injected fault: HTTP {code}",
            retry_after=None if retry_after is None else str(retry_after),
        )

    @classmethod
    def expired(cls) -> Fault:
        """410 Expired, as for a ``continue`` token older than the last compaction."""
        return cls("error", code=410, reason="Expired", message=_EXPIRED_MESSAGE)

    @classmethod
    def body(cls, body: bytes | Any, code: int = 200) -> Fault:
        """``body`` (bytes as they are, anything else JSON-encoded) with HTTP ``code``."""
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return cls("body", code=code, data=raw)

    @classmethod
    def status_ok(cls, code: int = 500, reason: str = "InternalError", message: str = "etcdserver: request timed out") -> Fault:
        """A ``Status`` failure object sent with HTTP 200 (as some proxies and aggregated
        API servers do)."""
        return cls.body(_status(code, reason, message))

    @classmethod
    def wrong_types(cls) -> Fault:
        """A list whose fields have the wrong JSON types."""
        return cls.body({"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": 7}, "items": {"0": "pod"}})

    @classmethod
    def deeply_nested(cls, depth: int = 100_000) -> Fault:
        """A list whose one item nests ``depth`` objects deep (valid JSON)."""
        deep = b'{"a":' * depth + b"1" + b"}" * depth
        return cls("body", data=b'{"kind":"PodList","apiVersion":"v1","metadata":{},"items":[{"metadata":{"name":"deep","namespace":"default"},"spec":' + deep + b"}]}")

    @classmethod
    def truncated(cls, fraction: float = 0.5) -> Fault:
        """The real answer with its full ``Content-Length``, of which only ``fraction`` is
        sent before the connection is closed (FIN)."""
        return cls("truncated", fraction=fraction)

    @classmethod
    def trickle(cls, every: float = 1.0, *, headers: bool = False) -> Fault:
        """The real answer, one byte every ``every`` seconds (the body after prompt
        headers; or, with ``headers``, the status line itself), until the client gives up
        or the server stops."""
        return cls("trickle", every=every, headers=headers)

    @classmethod
    def hang(cls) -> Fault:
        """No answer at all (the connection stays open) until the server stops."""
        return cls("hang")

    @classmethod
    def reset(cls, fraction: float = 0.5) -> Fault:
        """The real answer cut by a TCP reset (RST) after ``fraction`` of it; 0 resets the
        connection before any byte of the answer."""
        return cls("reset", fraction=fraction)


_REASONS = {
    400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
    410: "Expired", 429: "TooManyRequests", 500: "InternalError", 502: "BadGateway",
    503: "ServiceUnavailable", 504: "Timeout",
}


class _Obj:
    """One served object, kept as encoded bytes only (150,000 pods stay cheap: no dicts for
    the garbage collector to walk); the dict form is decoded when a selector needs it."""

    __slots__ = ("full", "meta_only", "name", "namespace")

    def __init__(self, namespace: str | None, name: str, full: bytes, meta_only: bytes) -> None:
        self.namespace = namespace
        self.name = name
        self.full = full  # the item as listed: no kind/apiVersion
        self.meta_only = meta_only  # the PartialObjectMetadata item

    @property
    def raw(self) -> dict[str, Any]:
        doc: dict[str, Any] = msgspec.json.decode(self.full)
        return doc

    @property
    def labels(self) -> dict[str, str]:
        labels: dict[str, str] = self.raw["metadata"].get("labels") or {}
        return labels


@dataclass
class _Resource:
    ki: KindInfo
    objects: list[_Obj] = field(default_factory=list)
    by_key: dict[tuple[str | None, str], _Obj] = field(default_factory=dict)


class _Reply(Exception):
    """Raised inside the router to send a Status error."""

    def __init__(self, code: int, reason: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code, self.reason, self.message, self.extra = code, reason, message, extra


class FakeApiServer:
    """A fake API server serving ``objects`` over plain HTTP on 127.0.0.1.

    Args:
        objects: API-shaped dicts, each with ``kind`` (kinds of ``KINDS`` only).
        httpserver: an existing pytest-httpserver server to install the handler on; by default
            a threaded one is created on a free port (started by :meth:`start` or ``with``).
        token: the bearer token clients must send (``None``: no authentication).
        max_limit: the most items the server puts in one page, whatever ``limit`` asks.
        forbidden: resources (plurals, e.g. ``"secrets"``) that answer 403.
        rbac: when given, every resource request is authorized as RBAC does, against these
            PolicyRules (``{"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]}``,
            ``"*"`` wildcards, optional ``resourceNames``) by where they are bound: key
            ``None`` for a ClusterRoleBinding (every namespace and the cluster scope), a
            namespace name for a RoleBinding there. A GET of ``/api/v1/namespaces/NS`` is
            authorized in namespace NS, as the API server's RequestInfo resolves it.
            Discovery and ``/version`` stay open (``system:discovery``). Denials are
            recorded in :attr:`denied`.
        crds: optional custom-resource kinds that are installed (``"ScaledObject"``...);
            default: those with objects. Not installed means 404 and absent from discovery.
        missing: built-in resources (plurals) this server does not serve (an old release):
            404 and absent from discovery.
        slow: seconds to wait before answering, by plural or by path (``"/version"``).
        throttle: how many requests per plural answer 429 TooManyRequests (``Retry-After: 0``)
            before the server lets them through, as API Priority and Fairness does under load.
        version: the ``gitVersion`` served at ``/version``.
        faults: by path (``"/version"``) or plural (``"pods"``): one :class:`Fault` for
            every request, or a sequence of them for the first requests in order (``None``:
            answer that one normally); see :meth:`inject`.
        record_bodies: keep every response body in :attr:`requests` (for "no secret value
            was served" assertions; off for big data sets).
        user: the user named in 403 messages.
    """

    def __init__(
        self,
        objects: Iterable[Mapping[str, Any]] = (),
        *,
        httpserver: HTTPServer | None = None,
        token: str | None = DEFAULT_TOKEN,
        max_limit: int | None = None,
        forbidden: Iterable[str] = (),
        rbac: Mapping[str | None, Sequence[Mapping[str, Any]]] | None = None,
        crds: Iterable[str] | None = None,
        missing: Iterable[str] = (),
        slow: Mapping[str, float] | None = None,
        throttle: Mapping[str, int] | None = None,
        version: str = DEFAULT_VERSION,
        faults: Mapping[str, Fault | Sequence[Fault | None]] | None = None,
        record_bodies: bool = False,
        user: str = "system:serviceaccount:r2c:reader",
    ) -> None:
        self._own_server = httpserver is None
        self.httpserver = httpserver or _LoopbackServer()
        self.token = token
        self.max_limit = max_limit
        self.forbidden = set(forbidden)
        self.rbac = {ns: [dict(r) for r in rules] for ns, rules in rbac.items()} if rbac is not None else None
        #: (verb, group, resource, namespace, name) of every request RBAC denied.
        self.denied: list[tuple[str, str, str, str | None, str | None]] = []
        self.slow = dict(slow or {})
        self._throttle: dict[str, int] = defaultdict(int, throttle or {})
        self.version = version
        self.record_bodies = record_bodies
        self.user = user
        self.requests: list[RequestRecord] = []
        #: The most requests being answered at the same time so far.
        self.max_in_flight = 0
        self._in_flight = 0
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._rv = 1000
        self._compacted_rv = 0
        self._expire_next: dict[str, int] = defaultdict(int)
        self._page_cache: dict[tuple[Any, ...], bytes] = {}
        self._filter_cache: dict[tuple[Any, ...], list[_Obj]] = {}
        self._faults: dict[str, list[tuple[frozenset[int] | None, Fault]]] = defaultdict(list)
        self._hits: dict[str, int] = defaultdict(int)
        for where, spec in (faults or {}).items():
            if isinstance(spec, Fault):
                self.inject(where, spec)
            else:
                for n, one in enumerate(spec, start=1):
                    if one is not None:
                        self.inject(where, one, on=n)
        self._resources: dict[tuple[str, str], _Resource] = {}
        for ki in KINDS:
            self._resources[(ki.api_version, ki.plural)] = _Resource(ki)
        given = self._load(objects)
        self.crds = set(crds) if crds is not None else {ki.kind for ki in KINDS if ki.optional and ki.kind in given}
        self.missing = set(missing)
        self._installed = {
            key: res for key, res in self._resources.items()
            if (not res.ki.optional or res.ki.kind in self.crds) and res.ki.plural not in self.missing
        }
        self._handler = self.httpserver.expect_request(re.compile(".*"))
        self._handler.respond_with_handler(self._handle)
        if self._own_server:
            logging.getLogger("werkzeug").setLevel(logging.WARNING)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeApiServer:
        """Start the server (when it was created here). Returns ``self``."""
        if not self.httpserver.is_running():
            self.httpserver.start()
        return self

    def stop(self) -> None:
        """Stop the server when it was created here, else remove this fake's handler from
        it; slow answers end at once."""
        self._closing.set()
        if not self._own_server:
            if self._handler in self.httpserver.handlers:
                self.httpserver.handlers.remove(self._handler)
        elif self.httpserver.is_running():
            self.httpserver.clear()
            self.httpserver.stop()

    def go_down(self) -> None:
        """Stop serving and close the listening socket: from now on connections to
        :attr:`url` are refused, as when the API server goes away in the middle of a scan
        (requests being answered still get their answer)."""
        server = self.httpserver.server
        self.stop()
        if self._own_server and server is not None:
            server.server_close()

    def __enter__(self) -> FakeApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return self.httpserver.url_for("/").rstrip("/")

    def write_kubeconfig(self, path: str | Path, **kwargs: Any) -> Path:
        """Write a kubeconfig pointing at this server (see :func:`write_kubeconfig`)."""
        kwargs.setdefault("token", self.token)
        return write_kubeconfig(path, self.url, **kwargs)

    # ------------------------------------------------------------------ test controls

    def expire_continue(self, plural: str, times: int = 1) -> None:
        """Answer the next ``times`` requests for ``plural`` that carry a ``continue`` token
        with 410 Expired (as after an etcd compaction)."""
        with self._lock:
            self._expire_next[plural] += times

    def inject(self, where: str, fault: Fault, *, on: int | Iterable[int] | None = None) -> None:
        """Answer requests for ``where`` with ``fault``.

        Args:
            where: a path (``"/version"``, ``"/api/v1/pods"``) or a resource plural
                (``"pods"``: every list or get of pods, cluster-wide or namespaced).
            fault: how to answer.
            on: which requests for ``where``, numbered from 1 since the server was created
                (``on=1``: the first; ``on=range(1, 4)``: the first three); ``None``: all.
                A later injection wins over an earlier one for the same request.
        """
        nums = None if on is None else frozenset([on] if isinstance(on, int) else on)
        with self._lock:
            self._faults[where].append((nums, fault))

    def compact(self) -> None:
        """Make every ``continue`` token handed out so far stale (410 Expired)."""
        with self._lock:
            self._rv += 1
            self._compacted_rv = self._rv

    @property
    def methods(self) -> set[str]:
        """HTTP methods received."""
        return {r.method for r in self.requests}

    def requests_for(self, path: str) -> list[RequestRecord]:
        """Requests whose path is ``path``."""
        return [r for r in self.requests if r.path == path]

    def objects(self, plural: str) -> list[dict[str, Any]]:
        """The objects served for ``plural``, as given (plus resourceVersion)."""
        return [o.raw for res in self._resources.values() if res.ki.plural == plural for o in res.objects]

    # ------------------------------------------------------------------ loading

    def _load(self, objects: Iterable[Mapping[str, Any]]) -> set[str]:
        kinds: set[str] = set()
        for src in objects:
            ki = kind_for(str(src.get("kind", "")))
            if ki is None:
                raise ValueError(f"FakeApiServer: kind {src.get('kind')!r} is not in KINDS")
            obj = {k: v for k, v in src.items() if k not in ("kind", "apiVersion")}
            meta = dict(obj.get("metadata") or {})
            self._rv += 1
            meta.setdefault("resourceVersion", str(self._rv))
            if not ki.namespaced:
                meta.pop("namespace", None)
            elif "namespace" not in meta:
                meta["namespace"] = "default"
            obj["metadata"] = meta
            item = _Obj(
                namespace=meta.get("namespace"),
                name=str(meta["name"]),
                full=_ENC.encode(obj),
                meta_only=_ENC.encode(
                    {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta}
                ),
            )
            res = self._resources[(ki.api_version, ki.plural)]
            key = (item.namespace, item.name)
            if key in res.by_key:
                raise ValueError(f"FakeApiServer: duplicate {ki.kind} {key}")
            res.by_key[key] = item
            res.objects.append(item)
            kinds.add(ki.kind)
        for res in self._resources.values():  # etcd key order: namespace, then name
            res.objects.sort(key=lambda o: (o.namespace or "", o.name))
        return kinds

    # ------------------------------------------------------------------ HTTP entry point

    def _handle(self, request: Request) -> Response:
        rec = RequestRecord(
            method=request.method,
            path=request.path,
            query=dict(request.args.items()),
            headers=dict(request.headers.items()),
            at=time.monotonic(),
        )
        with self._lock:
            self.requests.append(rec)
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            return self._answer(request, rec)
        finally:
            with self._lock:
                self._in_flight -= 1

    def _answer(self, request: Request, rec: RequestRecord) -> Response:
        if self._own_server:
            self.httpserver.log.clear()  # do not keep response bodies around
        fault = self._fault_for(request.path)
        if fault is not None and fault.action in ("error", "body"):
            return self._faulty(fault, request, rec, b"", 0)
        try:
            delay = self._delay_for(request.path)
            if delay:
                self._closing.wait(delay)
            served, body = self._route(request)
            status = 200
        except _Reply as r:
            served, status = "Status", r.code
            body = _ENC.encode(_status(r.code, r.reason, r.message, **r.extra))
        if fault is not None:
            return self._faulty(fault, request, rec, body, status)
        rec.status, rec.served = status, served
        if self.record_bodies:
            rec.body = body
        headers = {"Retry-After": "0"} if status == 429 else {}
        return Response(body, status=status, content_type="application/json", headers=headers)

    # ------------------------------------------------------------------ faults

    def _fault_for(self, path: str) -> Fault | None:
        """The fault injected for this request, counting it for every key it matches."""
        keys = [k for k in (path, _plural_of(path)) if k]
        found: Fault | None = None
        with self._lock:
            for key in keys:
                if key not in self._faults:
                    continue
                self._hits[key] += 1
                n = self._hits[key]
                for nums, fault in self._faults[key]:
                    if nums is None or n in nums:
                        found = fault
                if found is not None:
                    break
        return found

    def _faulty(self, fault: Fault, request: Request, rec: RequestRecord, body: bytes, status: int) -> Response:
        """The response for ``fault``; ``body``/``status``: what the server would have sent."""
        rec.served = f"fault:{fault.action}"
        if fault.action == "error":
            rec.status = fault.code
            extra: dict[str, Any] = {}
            if fault.code == 410:
                extra["metadata"] = {"continue": request.args.get("continue") or ""}
            err = _ENC.encode(_status(fault.code, fault.reason, fault.message, **extra))
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            return Response(err, status=fault.code, content_type="application/json", headers=headers)
        if fault.action == "body":
            rec.status = fault.code
            return Response(fault.data, status=fault.code, content_type="application/json")
        rec.status = status
        sock: socket.socket = request.environ["werkzeug.socket"]
        gen: Iterator[bytes]
        if fault.action == "hang":
            gen = self._hang()
        elif fault.action == "trickle":
            gen = self._trickle_status(sock, fault.every) if fault.headers else self._trickle(body, fault.every)
        elif fault.action == "truncated":
            gen = iter([body[: int(len(body) * fault.fraction)]])
        elif fault.action == "reset":
            gen = self._reset(sock, body[: int(len(body) * fault.fraction)], before=fault.fraction <= 0)
        else:
            raise ValueError(f"unknown fault {fault.action!r}")
        # The declared length is the whole answer: whatever is cut short is visibly short.
        return Response(
            gen, status=status, content_type="application/json",
            headers={"Content-Length": str(len(body))}, direct_passthrough=True,
        )

    def _hang(self) -> Iterator[bytes]:
        self._closing.wait()
        yield from ()

    def _trickle(self, body: bytes, every: float) -> Iterator[bytes]:
        for i in range(len(body)):
            if i and self._closing.wait(every):
                return
            yield body[i : i + 1]

    def _trickle_status(self, sock: socket.socket, every: float) -> Iterator[bytes]:
        """Write the status line, then one header line that never ends, a byte at a time,
        before werkzeug writes anything."""
        head = b"HTTP/1.1 200 OK\r\nX-Trickle: "
        try:
            for i in range(60_000):
                sock.sendall(head[i : i + 1] or b"z")
                if self._closing.wait(every):
                    break
        except OSError:
            pass  # the client gave up
        yield from ()

    def _reset(self, sock: socket.socket, part: bytes, *, before: bool) -> Iterator[bytes]:
        if not before:
            yield part
            self._closing.wait(0.05)  # let the client read the part before the reset
        _reset_connection(sock)

    def _delay_for(self, path: str) -> float:
        if path in self.slow:
            return self.slow[path]
        parts = [p for p in path.split("/") if p]
        for p in parts[2:]:
            if p in self.slow:
                return self.slow[p]
        return 0.0

    def _route(self, request: Request) -> tuple[str, bytes]:
        if request.method != "GET":
            raise _Reply(405, "MethodNotAllowed", f"the server does not allow this method on the requested resource ({request.method}; this fake serves GET only)")
        auth = request.headers.get("Authorization")
        path = request.path.rstrip("/") or "/"
        if self.token is not None and auth is not None and not _bearer_is(auth, self.token):
            raise _Reply(401, "Unauthorized", "Unauthorized")
        anonymous = self.token is not None and auth is None
        if path == "/version":
            return "VersionInfo", _ENC.encode(self._version_info())
        if anonymous:
            raise _Reply(403, "Forbidden", f'forbidden: User "system:anonymous" cannot get path "{request.path}"')
        parts = path.strip("/").split("/")
        if parts == ["api"]:
            return "APIVersions", _ENC.encode({
                "kind": "APIVersions", "versions": ["v1"],
                "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": self.url.split("//")[1]}],
            })
        if parts == ["apis"]:
            return "APIGroupList", _ENC.encode({"kind": "APIGroupList", "apiVersion": "v1", "groups": self._groups()})
        if parts[0] == "api" and len(parts) >= 2:
            gv, rest = parts[1], parts[2:]
        elif parts[0] == "apis" and len(parts) == 2:
            group = next((g for g in self._groups() if g["name"] == parts[1]), None)
            if group is None:
                raise _not_found()
            return "APIGroup", _ENC.encode({"kind": "APIGroup", "apiVersion": "v1", **group})
        elif parts[0] == "apis" and len(parts) >= 3:
            gv, rest = f"{parts[1]}/{parts[2]}", parts[3:]
        else:
            raise _not_found()
        if not any(av == gv for av, _ in self._installed):
            raise _not_found()
        if not rest:
            return "APIResourceList", _ENC.encode(self._resource_list(gv))
        namespace: str | None = None
        if rest[0] == "namespaces" and len(rest) >= 3:
            namespace, rest = rest[1], rest[2:]
        res = self._installed.get((gv, rest[0]))
        if res is None or len(rest) > 2:
            raise _not_found()
        ki = res.ki
        if namespace is not None and not ki.namespaced:
            raise _not_found()
        verb = "get" if len(rest) == 2 else "list"
        with self._lock:
            throttled = self._throttle[ki.plural] > 0
            if throttled:
                self._throttle[ki.plural] -= 1
        if throttled:
            raise _Reply(429, "TooManyRequests", "Too many requests, please try again later.", details={"retryAfterSeconds": 1})
        name = rest[1] if verb == "get" else None
        if self.rbac is not None:
            self._authorize(verb, ki, namespace if ki.namespaced else (name if ki.plural == "namespaces" else None), name)
        if ki.plural in self.forbidden:
            scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
            raise _Reply(
                403, "Forbidden",
                f'{ki.plural} is forbidden: User "{self.user}" cannot {verb} resource "{ki.plural}" in API group "{ki.group}" {scope}',
                details={"kind": ki.plural, **({"group": ki.group} if ki.group else {})},
            )
        meta_only = "as=PartialObjectMetadata" in request.headers.get("Accept", "")
        if verb == "get":
            obj = res.by_key.get((namespace if ki.namespaced else None, rest[1]))
            if obj is None:
                raise _Reply(404, "NotFound", f'{ki.plural} "{rest[1]}" not found', details={"name": rest[1], "kind": ki.plural})
            if meta_only:
                return "PartialObjectMetadata", obj.meta_only
            return ki.kind, _ENC.encode({"kind": ki.kind, "apiVersion": ki.api_version, **obj.raw})
        if request.args.get("watch") in ("true", "1"):
            raise _Reply(405, "MethodNotAllowed", "watch is not supported by this fake API server")
        return self._list(res, namespace, request.args, meta_only)

    def _authorize(self, verb: str, ki: KindInfo, namespace: str | None, name: str | None) -> None:
        """RBAC's decision for one request; 403 with the API server's wording when denied."""
        assert self.rbac is not None
        bound = [*self.rbac.get(None, ()), *(self.rbac.get(namespace, ()) if namespace else ())]
        for r in bound:
            if (
                _granted(r.get("verbs"), verb)
                and _granted(r.get("apiGroups"), ki.group)
                and _granted(r.get("resources"), ki.plural)
                and (not r.get("resourceNames") or name in r["resourceNames"])
            ):
                return
        with self._lock:
            self.denied.append((verb, ki.group, ki.plural, namespace, name))
        what = f'{ki.plural} "{name}"' if name else ki.plural
        scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
        raise _Reply(
            403, "Forbidden",
            f'{what} is forbidden: User "{self.user}" cannot {verb} resource "{ki.plural}" in API group "{ki.group}" {scope}',
            details={"kind": ki.plural, **({"name": name} if name else {}), **({"group": ki.group} if ki.group else {})},
        )

    # ------------------------------------------------------------------ lists

    def _list(self, res: _Resource, namespace: str | None, args: Mapping[str, str], meta_only: bool) -> tuple[str, bytes]:
        ki = res.ki
        lsel = args.get("labelSelector") or ""
        fsel = args.get("fieldSelector") or ""
        items = self._filtered(res, namespace, lsel, fsel)
        with self._lock:
            rv = self._rv
            expire = False
            token = args.get("continue") or ""
            if token and self._expire_next[ki.plural] > 0:
                self._expire_next[ki.plural] -= 1
                expire = True
        start = 0
        if token:
            try:
                decoded = json.loads(base64.urlsafe_b64decode(token.encode() + b"=" * (-len(token) % 4)))
                token_rv, start = int(decoded["rv"]), int(decoded["start"])
            except (ValueError, KeyError, TypeError, binascii.Error):
                raise _Reply(400, "BadRequest", f"continue key is not valid: {token[:20]}") from None
            if expire or token_rv < self._compacted_rv:
                raise _Reply(410, "Expired", _EXPIRED_MESSAGE, metadata={"continue": _token(rv, start)})
            rv = token_rv
        try:
            limit = int(args.get("limit") or 0)
        except ValueError:
            raise _Reply(400, "BadRequest", f"invalid limit: {args.get('limit')}") from None
        if limit and self.max_limit:
            limit = min(limit, self.max_limit)
        end = min(len(items), start + limit) if limit > 0 else len(items)
        list_kind = "PartialObjectMetadataList" if meta_only else f"{ki.kind}List"
        key = (ki.plural, namespace, lsel, fsel, meta_only, rv, start, end)
        body = self._page_cache.get(key)
        if body is None:
            meta: dict[str, Any] = {"resourceVersion": str(rv)}
            if end < len(items):
                meta["continue"] = _token(rv, end)
                if not lsel and not fsel:
                    meta["remainingItemCount"] = len(items) - end
            head = _ENC.encode({
                "kind": list_kind,
                "apiVersion": "meta.k8s.io/v1" if meta_only else ki.api_version,
                "metadata": meta,
            })
            chunk = b",".join(o.meta_only if meta_only else o.full for o in items[start:end])
            body = head[:-1] + b',"items":[' + chunk + b"]}"
            self._page_cache[key] = body
        return list_kind, body

    def _filtered(self, res: _Resource, namespace: str | None, lsel: str, fsel: str) -> list[_Obj]:
        if namespace is None and not lsel and not fsel:
            return res.objects
        key = (res.ki.plural, namespace, lsel, fsel)
        hit = self._filter_cache.get(key)
        if hit is None:
            try:
                lmatch = _label_matcher(lsel)
                fmatch = _field_matcher(fsel)
            except ValueError as exc:
                raise _Reply(400, "BadRequest", f"unable to parse requirement: {exc}") from None
            hit = [
                o for o in res.objects
                if (namespace is None or o.namespace == namespace) and _matches(o, lmatch, fmatch, bool(fsel))
            ]
            self._filter_cache[key] = hit
        return hit

    # ------------------------------------------------------------------ discovery

    def _version_info(self) -> dict[str, str]:
        m = re.match(r"v(\d+)\.(\d+)", self.version)
        major, minor = (m.group(1), m.group(2)) if m else ("1", "31")
        return {
            "major": major, "minor": minor, "emulationMajor": major, "emulationMinor": minor,
            "minCompatibilityMajor": major, "minCompatibilityMinor": str(max(0, int(minor) - 1)),
            "gitVersion": self.version, "gitCommit": "5864a4677267e6adeae276ad85882a8714d69d9d",
            "gitTreeState": "clean", "buildDate": "2024-10-22T20:28:14Z", "goVersion": "go1.22.8",
            "compiler": "gc", "platform": "linux/amd64",
        }

    def _groups(self) -> list[dict[str, Any]]:
        seen: dict[str, dict[str, Any]] = {}
        for ki in (res.ki for res in self._installed.values()):
            if not ki.group:
                continue
            gv = {"groupVersion": ki.api_version, "version": ki.version}
            g = seen.setdefault(ki.group, {"name": ki.group, "versions": [], "preferredVersion": gv})
            if gv not in g["versions"]:
                g["versions"].append(gv)
        return list(seen.values())

    def _resource_list(self, gv: str) -> dict[str, Any]:
        resources: list[dict[str, Any]] = []
        for (av, plural), res in self._installed.items():
            if av != gv:
                continue
            ki = res.ki
            entry: dict[str, Any] = {
                "name": plural, "singularName": ki.kind.lower(), "namespaced": ki.namespaced,
                "kind": ki.kind, "verbs": _VERBS,
            }
            if plural in _SHORT_NAMES:
                entry["shortNames"] = _SHORT_NAMES[plural]
            if plural in _CATEGORIES:
                entry["categories"] = _CATEGORIES[plural]
            resources.append(entry)
            for sub, kind, verbs in _SUBRESOURCES.get(plural, []):
                resources.append({"name": f"{plural}/{sub}", "singularName": "", "namespaced": ki.namespaced, "kind": kind, "verbs": verbs})
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources}


# --------------------------------------------------------------------------- helpers


def _status(code: int, reason: str, message: str, *, metadata: dict[str, Any] | None = None, details: dict[str, Any] | None = None) -> dict[str, Any]:
    st: dict[str, Any] = {
        "kind": "Status", "apiVersion": "v1", "metadata": metadata or {},
        "status": "Failure", "message": message, "reason": reason,
    }
    if details is not None:
        st["details"] = details
    st["code"] = code
    return st


def _plural_of(path: str) -> str | None:
    """The resource plural a request path names (``/api/v1/namespaces/ns/pods/p`` → ``pods``)."""
    parts = [p for p in path.split("/") if p]
    if parts[:1] == ["api"] and len(parts) >= 3:
        rest = parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 4:
        rest = parts[3:]
    else:
        return None
    if rest[0] == "namespaces" and len(rest) >= 3:
        return rest[2]
    return rest[0]


def _reset_connection(sock: socket.socket) -> None:
    """Abort the TCP connection behind ``sock`` with a reset (RST), under werkzeug's feet.

    With ``SO_LINGER`` set to 0, closing the last descriptor of a socket sends RST. ``dup2``
    closes that descriptor and puts an idle socketpair end in its place, so werkzeug goes on
    writing into a dead end (a broken pipe it ignores) instead of a closed or reused
    descriptor.
    """
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    spare, other = socket.socketpair()
    try:
        os.dup2(spare.fileno(), sock.fileno())
    finally:
        spare.close()
        other.close()


def _matches(o: _Obj, lmatch: Any, fmatch: Any, fields: bool) -> bool:
    raw = o.raw
    return bool(lmatch(raw["metadata"].get("labels") or {}) and (not fields or fmatch(raw)))


def _granted(allowed: Any, value: str) -> bool:
    return isinstance(allowed, list) and ("*" in allowed or value in allowed)


def _not_found() -> _Reply:
    return _Reply(404, "NotFound", "the server could not find the requested resource", details={})


def _token(rv: int, start: int) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _split_selector(sel: str) -> Iterator[str]:
    depth, cur = 0, ""
    for ch in sel:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            yield cur.strip()
            cur = ""
        else:
            cur += ch
    if cur.strip():
        yield cur.strip()


_SET_RE = re.compile(r"^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$")


def _label_matcher(sel: str) -> Any:
    """A predicate over a label dict for a label selector string."""
    checks = []
    for req in _split_selector(sel):
        m = _SET_RE.match(req)
        if m:
            key, op, vals = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",") if v.strip()}
            if op == "in":
                checks.append(lambda lab, k=key, v=vals: lab.get(k) in v)
            else:
                checks.append(lambda lab, k=key, v=vals: lab.get(k) not in v)
        elif "!=" in req:
            key, val = (s.strip() for s in req.split("!=", 1))
            checks.append(lambda lab, k=key, v=val: lab.get(k) != v)
        elif "=" in req:
            key, val = (s.strip() for s in req.replace("==", "=").split("=", 1))
            checks.append(lambda lab, k=key, v=val: lab.get(k) == v)
        elif req.startswith("!"):
            absent = req[1:].strip()
            checks.append(lambda lab, k=absent: k not in lab)
        elif re.fullmatch(r"[\w./-]+", req):
            checks.append(lambda lab, k=req: k in lab)
        else:
            raise ValueError(req)
    return lambda labels: all(c(labels) for c in checks)


def _field_matcher(sel: str) -> Any:
    """A predicate over a raw object for a field selector string."""
    checks = []
    for req in _split_selector(sel):
        neg = "!=" in req
        key, val = (s.strip() for s in (req.split("!=", 1) if neg else req.replace("==", "=").split("=", 1)))
        if not key:
            raise ValueError(req)

        def get(obj: Mapping[str, Any], path: str = key) -> str:
            cur: Any = obj
            for part in path.split("."):
                cur = cur.get(part) if isinstance(cur, Mapping) else None
            return "" if cur is None else str(cur)

        checks.append(lambda obj, g=get, v=val, n=neg: (g(obj) != v) if n else (g(obj) == v))
    return lambda obj: all(c(obj) for c in checks)


def write_kubeconfig(
    path: str | Path,
    server: str,
    *,
    token: str | None = DEFAULT_TOKEN,
    context: str = "fake",
    cluster: str = "fake-cluster",
    namespace: str | None = None,
    extra_contexts: Iterable[str] = (),
) -> Path:
    """Write a kubeconfig with token auth on plain http (loopback only).

    Args:
        path: where to write it.
        server: ``http://127.0.0.1:PORT``.
        token: the bearer token (``None``: no user credentials).
        context: the current context's name.
        cluster: the cluster's name.
        namespace: the context's namespace.
        extra_contexts: more contexts on the same cluster and user.
    """
    p = Path(path)
    user: dict[str, Any] = {"token": token} if token else {}
    ctx: dict[str, Any] = {"cluster": cluster, "user": "r2c-reader"}
    if namespace:
        ctx["namespace"] = namespace
    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster, "cluster": {"server": server}}],
        "users": [{"name": "r2c-reader", "user": user}],
        "contexts": [{"name": c, "context": ctx} for c in [context, *extra_contexts]],
        "current-context": context,
        "preferences": {},
    }
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return p


def load_objects(*paths: str | Path) -> list[dict[str, Any]]:
    """Objects from kubectl-style JSON/YAML files (Lists, typed lists, single objects, multi-document
    YAML), or from every such file under a directory. Items of a typed list get its kind."""
    out: list[dict[str, Any]] = []
    files: list[Path] = []
    for p in map(Path, paths):
        files.extend(sorted(f for f in p.rglob("*") if f.suffix in (".json", ".yaml", ".yml")) if p.is_dir() else [p])
    for f in files:
        text = f.read_text(encoding="utf-8")
        docs = [json.loads(text)] if f.suffix == ".json" else list(yaml.safe_load_all(text))
        for doc in docs:
            if not isinstance(doc, dict):
                continue
            if "items" in doc:
                list_kind = str(doc.get("kind", ""))
                item_kind = list_kind[:-4] if list_kind.endswith("List") and list_kind != "List" else None
                for item in doc.get("items") or []:
                    kind = item.get("kind") or item_kind
                    if kind and kind_for(kind) is not None:
                        out.append({**item, "kind": kind})
            elif doc.get("kind") and kind_for(str(doc["kind"])) is not None:
                out.append(doc)
    return out


# --------------------------------------------------------------------------- sample data


def sample_objects() -> list[dict[str, Any]]:
    """A small, realistic cluster: every kind of ``KINDS`` except the optional CRDs, shaped
    as ``kubectl get -o json`` prints them (built with tests/factories.py)."""
    from factories import container, event, meta, node, pod

    zones = ("us-east-1a", "us-east-1b")
    objs: list[dict[str, Any]] = [
        {"kind": "Namespace", "apiVersion": "v1", "metadata": meta(ns, None, labels={"kubernetes.io/metadata.name": ns}),
         "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
        for ns in ("default", "kube-system", "shop")
    ]
    objs += [node(f"ip-10-0-{i}-17.ec2.internal", zones[i % 2]) for i in range(4)]
    for i in range(12):
        objs.append(pod(
            f"checkout-7d9f8b6c4-{i:05x}", "shop", node_name=f"ip-10-0-{i % 4}-17.ec2.internal",
            labels={"app": "checkout", "pod-template-hash": "7d9f8b6c4"}, owner=("ReplicaSet", "checkout-7d9f8b6c4"),
            containers=[container("checkout", "123456789012.dkr.ecr.us-east-1.amazonaws.com/checkout:1.4.2")],
        ))
    objs.append(pod("orders-db-0", "shop", node_name=None, phase="Pending", labels={"app": "orders-db"},
                    owner=("StatefulSet", "orders-db"),
                    volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "data-orders-db-0"}}],
                    conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                                 "message": "0/4 nodes are available: 4 node(s) had volume node affinity conflict. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling."}]))
    objs.append(pod("coredns-5d78c9869d-x7k2p", "kube-system", node_name="ip-10-0-0-17.ec2.internal",
                    labels={"k8s-app": "kube-dns"}, owner=("ReplicaSet", "coredns-5d78c9869d"),
                    containers=[container("coredns", "602401143452.dkr.ecr.us-east-1.amazonaws.com/eks/coredns:v1.11.1-eksbuild.4")]))
    objs += [
        {"kind": "Service", "apiVersion": "v1", "metadata": meta("checkout", "shop"),
         "spec": {"type": "ClusterIP", "clusterIP": "172.20.14.3", "selector": {"app": "checkout"},
                  "ports": [{"name": "http", "port": 80, "protocol": "TCP", "targetPort": 8080}]}},
        {"kind": "Endpoints", "apiVersion": "v1", "metadata": meta("checkout", "shop"),
         "subsets": [{"addresses": [{"ip": "10.0.1.23", "nodeName": "ip-10-0-1-17.ec2.internal"}],
                      "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}]},
        {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1",
         "metadata": meta("checkout-x2vbn", "shop", labels={"kubernetes.io/service-name": "checkout"}),
         "addressType": "IPv4",
         "endpoints": [{"addresses": ["10.0.1.23"], "conditions": {"ready": True, "serving": True, "terminating": False},
                        "nodeName": "ip-10-0-1-17.ec2.internal", "zone": "us-east-1b"}]},
        {"kind": "Ingress", "apiVersion": "networking.k8s.io/v1", "metadata": meta("shop", "shop"),
         "spec": {"ingressClassName": "alb", "rules": [{"host": "shop.example.com", "http": {"paths": [
             {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": "checkout", "port": {"number": 80}}}}]}}]}},
        {"kind": "NetworkPolicy", "apiVersion": "networking.k8s.io/v1", "metadata": meta("default-deny", "shop"),
         "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}},
        {"kind": "PersistentVolumeClaim", "apiVersion": "v1", "metadata": meta("data-orders-db-0", "shop"),
         "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": "gp3", "volumeName": "pvc-4b1c7c1e",
                  "resources": {"requests": {"storage": "100Gi"}}, "volumeMode": "Filesystem"},
         "status": {"phase": "Bound", "capacity": {"storage": "100Gi"}}},
        {"kind": "PersistentVolume", "apiVersion": "v1", "metadata": meta("pvc-4b1c7c1e", None),
         "spec": {"capacity": {"storage": "100Gi"}, "storageClassName": "gp3", "accessModes": ["ReadWriteOnce"],
                  "persistentVolumeReclaimPolicy": "Delete",
                  "claimRef": {"kind": "PersistentVolumeClaim", "namespace": "shop", "name": "data-orders-db-0"},
                  "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": "vol-0a1b2c3d4e5f67890", "fsType": "ext4"},
                  "nodeAffinity": {"required": {"nodeSelectorTerms": [{"matchExpressions": [
                      {"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["us-east-1c"]}]}]}}},
         "status": {"phase": "Bound"}},
        {"kind": "StorageClass", "apiVersion": "storage.k8s.io/v1", "metadata": meta("gp3", None),
         "provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3"}, "reclaimPolicy": "Delete",
         "volumeBindingMode": "Immediate", "allowVolumeExpansion": True},
        {"kind": "ServiceAccount", "apiVersion": "v1",
         "metadata": meta("checkout", "shop", annotations={"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/checkout"})},
        {"kind": "ClusterRoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": meta("ci-admin", None),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
         "subjects": [{"kind": "ServiceAccount", "name": "ci", "namespace": "default"}]},
        {"kind": "RoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": meta("checkout-read", "shop"),
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "read-config"},
         "subjects": [{"kind": "ServiceAccount", "name": "checkout", "namespace": "shop"}]},
        {"kind": "PodDisruptionBudget", "apiVersion": "policy/v1", "metadata": meta("checkout", "shop"),
         "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "checkout"}}},
         "status": {"currentHealthy": 12, "desiredHealthy": 2, "disruptionsAllowed": 10, "expectedPods": 12}},
        {"kind": "PriorityClass", "apiVersion": "scheduling.k8s.io/v1", "metadata": meta("business-critical", None),
         "value": 100000, "globalDefault": False, "preemptionPolicy": "PreemptLowerPriority"},
        {"kind": "Deployment", "apiVersion": "apps/v1", "metadata": meta("checkout", "shop"),
         "spec": {"replicas": 12, "selector": {"matchLabels": {"app": "checkout"}},
                  "template": {"metadata": {"labels": {"app": "checkout"}}, "spec": {"containers": [container("checkout")]}}},
         "status": {"replicas": 12, "readyReplicas": 12, "updatedReplicas": 12, "availableReplicas": 12, "observedGeneration": 3}},
        {"kind": "StatefulSet", "apiVersion": "apps/v1", "metadata": meta("orders-db", "shop"),
         "spec": {"replicas": 1, "serviceName": "orders-db", "selector": {"matchLabels": {"app": "orders-db"}},
                  "template": {"metadata": {"labels": {"app": "orders-db"}},
                               "spec": {"containers": [container("postgres", "postgres:16.4")]}}},
         "status": {"replicas": 1, "readyReplicas": 0, "currentReplicas": 1, "updatedReplicas": 1}},
        {"kind": "DaemonSet", "apiVersion": "apps/v1", "metadata": meta("aws-node", "kube-system"),
         "spec": {"selector": {"matchLabels": {"k8s-app": "aws-node"}},
                  "template": {"metadata": {"labels": {"k8s-app": "aws-node"}},
                               "spec": {"containers": [container("aws-node", "602401143452.dkr.ecr.us-east-1.amazonaws.com/amazon-k8s-cni:v1.18.3-eksbuild.2")]}}},
         "status": {"desiredNumberScheduled": 4, "numberReady": 4}},
        event("orders-db-0.1804b2c4f3a1d2e7", "shop", ("Pod", "orders-db-0"), "FailedScheduling",
              "0/4 nodes are available: 4 node(s) had volume node affinity conflict. preemption: 0/4 nodes are available: 4 Preemption is not helpful for scheduling."),
        {"kind": "ConfigMap", "apiVersion": "v1", "metadata": meta("amazon-vpc-cni", "kube-system"),
         "data": {"enable-network-policy-controller": "false", "warm-ip-target": "1"}},
        {"kind": "Secret", "apiVersion": "v1", "metadata": meta("orders-db-credentials", "shop"), "type": "Opaque",
         "data": {"POSTGRES_PASSWORD": SECRET_VALUE_B64, "POSTGRES_USER": "b3JkZXJz"}},
    ]
    return objs


#: The base64 value of the sample Secret: no response may ever carry it to r2c_clouds.
SECRET_VALUE_B64 = "czNjcjN0LWh1bnRlcjI="


def synthetic_objects(pods: int, *, nodes: int = 500, namespaces: int = 300) -> list[dict[str, Any]]:
    """A big cluster for scale tests and benchmarks: ``nodes`` Nodes over three zones and
    ``pods`` Running Pods (two containers each, owned by ReplicaSets) spread over
    ``namespaces`` namespaces, plus those Namespaces."""
    from factories import container, meta, node, pod

    zones = ("us-east-1a", "us-east-1b", "us-east-1c")
    objs: list[dict[str, Any]] = [
        {"kind": "Namespace", "apiVersion": "v1", "metadata": meta(f"team-{n:03d}", None), "status": {"phase": "Active"}}
        for n in range(namespaces)
    ]
    objs += [node(f"ip-10-{i // 250}-{i % 250}-10.ec2.internal", zones[i % 3]) for i in range(nodes)]
    containers = [container("app", "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:2.3.1"),
                  container("envoy", "envoyproxy/envoy:v1.31.2", cpu="50m", memory="64Mi")]
    for i in range(pods):
        rs = f"svc-{i % 997:03d}-6c9f7d8b5"
        objs.append(pod(
            f"{rs}-{i:06x}", f"team-{i % namespaces:03d}",
            node_name=f"ip-10-{(i % nodes) // 250}-{(i % nodes) % 250}-10.ec2.internal",
            labels={"app": f"svc-{i % 997:03d}", "pod-template-hash": "6c9f7d8b5"},
            owner=("ReplicaSet", rs), containers=containers,
        ))
    return objs


def main(argv: list[str] | None = None) -> None:
    """Serve a synthetic cluster from a separate process (benchmarks)::

        python tests/apiserver.py --pods 150000 --kubeconfig /tmp/kc

    Prints the server URL once it is ready, then serves until interrupted.
    """
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--pods", type=int, default=1000)
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--max-limit", type=int, default=None)
    args = parser.parse_args(argv)
    objects = synthetic_objects(args.pods, nodes=args.nodes)
    with FakeApiServer(objects, max_limit=args.max_limit) as api:
        del objects
        api.write_kubeconfig(args.kubeconfig)
        print(api.url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            sys.exit(0)


if __name__ == "__main__":
    sys_path = str(Path(__file__).resolve().parent)
    import sys

    if sys_path not in sys.path:
        sys.path.insert(0, sys_path)
    main()
