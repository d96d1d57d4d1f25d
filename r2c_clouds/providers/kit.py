"""The small kit every cloud plugin is built from: one shape for aws, azure, gcp and yours.

A plugin is a package laid out as::

    providers/<cloud>/__init__.py   the Provider: a CloudProvider subclass (no SDK import here)
    providers/<cloud>/_client.py    the SDK clients, call counting, error translation
    providers/<cloud>/identity.py   answer(provider, IdentityQuestions) -> IdentityAnswer
    providers/<cloud>/compute.py    answer(provider, ComputeQuestions) -> ComputeAnswer
    providers/<cloud>/network.py    answer(provider, NetworkQuestions) -> NetworkAnswer
    providers/<cloud>/storage.py    answer(provider, StorageQuestions) -> StorageAnswer

:class:`CloudProvider` dispatches each loop to ``<package>.<loop>.answer(self, questions)``,
imported when first asked, so loading a plugin class (for ``--help``, for ``--cloud auto``)
never imports its SDK. What the kit gives every plugin:

* :class:`Forbidden` / :class:`Throttled` / :class:`CallError`: a call that cannot be
  answered (see *The error rule* below); :func:`attempt` turns them into a ``not_checked``
  entry naming the operation, and the scan goes on.
* :class:`CallCounter`: calls per operation (``ec2:DescribeVolumes``), the report's ``api_calls``.
* :class:`Workers`: one bounded thread pool per provider, shared by the four loops, with a
  per-scan memo (:meth:`Workers.once`).
* :class:`Option`: a command-line option the plugin adds to ``r2c scan`` (the core names no
  cloud: ``--region``, ``--subscription``, ``--project`` come from the plugins).

The error rule (one place for all plugins)
------------------------------------------

Every error a cloud SDK raises is translated by the plugin's ``_client.py``; what reaches a
loop is one of these, judged once the SDK's own (bounded) retries are spent:

* 403 / AccessDenied / PermissionDenied → :class:`Forbidden` (``forbidden: PERMISSION``);
* 429 or a throttling code → :class:`Throttled` (``throttled: OP (still rate-limited after retries)``);
* a server error (500, 502, 503, 504), another client error (400, 409...), or an answer that
  cannot be read (a 200 whose body is not JSON / XML / the protocol's shape, or not UTF-8)
  → :class:`CallError` (``failed: OP (HTTP 503 ServiceUnavailable: ...)``,
  ``failed: OP (HTTP 200 unreadable body: ...)``; Azure's spelling is ``OP: HTTP 503
  ServiceUnavailable``), naming the operation, the HTTP status and the cloud's error code;
* no credentials, credentials rejected (401, expired token, bad signature), or no answer at
  all (DNS, connection refused, TLS, timeouts, connection dropped) →
  :class:`r2c_clouds.errors.CloudUnreachableError`, exit 3 for a cloud named explicitly.
  This is the only class that stops the scan.

The first three are :class:`CallFailed`: the loop records the fact family the call served
as ``not_checked`` with that reason and goes on with its other facts. A "not found" the
caller asks about (``NoSuchEntity``, a 404 on a GET it expects to miss) is the caller's, to
read as "absent". Unreadable bodies are not retried; 5xx, throttling and connection failures
are, within a budget per call that each ``_client.py`` states with its worst case (also in
docs/providers/<cloud>.md), so an endpoint that never answers fails the scan in bounded time.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from attrs import frozen

from r2c_clouds.loops import (
    ComputeAnswer,
    ComputeQuestions,
    IdentityAnswer,
    IdentityQuestions,
    NetworkAnswer,
    NetworkQuestions,
    StorageAnswer,
    StorageQuestions,
)
from r2c_clouds.model.cloud import NotChecked
from r2c_clouds.providers.questions import ProviderQuestions

if TYPE_CHECKING:
    from r2c_clouds.model.checklist import ChecklistContext
    from r2c_clouds.model.findings import ChecklistItem

__all__ = [
    "LOOP_MODULES",
    "CallCounter",
    "CallError",
    "CallFailed",
    "CloudProvider",
    "Forbidden",
    "Option",
    "Throttled",
    "Workers",
    "attempt",
    "chunks",
    "first_line",
]

T = TypeVar("T")
R = TypeVar("R")

#: The loop modules of a plugin package, each with ``answer(provider, questions)``.
LOOP_MODULES = ("identity", "compute", "network", "storage")


# --------------------------------------------------------------------------- failures


class CallFailed(Exception):
    """A cloud call that could not be answered; the fact family it served is not checked.

    Args:
        operation: what was called, as the cloud names it for permissions
            (``ec2:DescribeVolumes``, ``Microsoft.Compute/disks/read``, ``compute.disks.list``).
        message: the cloud's own words, if any.
    """

    kind = "failed"

    def __init__(self, operation: str, message: str = "") -> None:
        super().__init__(operation)
        self.operation = operation
        self.message = message

    def reason(self) -> str:
        """``forbidden: ec2:DescribeVolumes``; ``failed: compute.disks.list (HTTP 500: ...)``."""
        if type(self) is CallFailed and self.message:
            return f"{self.kind}: {self.operation} ({self.message})"
        return f"{self.kind}: {self.operation}"

    def not_checked(self, what: str) -> NotChecked:
        """The ``not_checked`` entry for the fact family ``what``."""
        return NotChecked(what, self.reason())


class Forbidden(CallFailed):
    """The credentials may not make this call (AccessDenied, HTTP 403, PermissionDenied):
    ``operation`` is the permission to grant."""

    kind = "forbidden"

    @property
    def permission(self) -> str:
        """The permission the call needs (the same as :attr:`operation`)."""
        return self.operation


class CallError(CallFailed):
    """The cloud answered, but not with the facts: an HTTP error other than 403 and 429 once
    the SDK's retries are spent (500, 503, 400, 409...), or a body that cannot be read.

    Args:
        operation: what was called (as for :class:`CallFailed`).
        status: the HTTP status (a gRPC status's HTTP equivalent), if the cloud answered one.
        code: the cloud's error code (``InternalError``, ``INVALID_ARGUMENT``), or
            ``unreadable body`` for an answer that could not be read.
        message: the cloud's own words (first line, shortened).

    >>> CallError("ec2:DescribeVolumes", 503, "ServiceUnavailable", "Please retry").reason()
    'failed: ec2:DescribeVolumes (HTTP 503 ServiceUnavailable: Please retry)'
    """

    kind = "failed"

    def __init__(self, operation: str, status: int | None = None, code: str | None = None, message: str = "") -> None:
        super().__init__(operation, first_line(message))
        self.status = status
        self.code = code

    def reason(self) -> str:
        head = " ".join(x for x in (f"HTTP {self.status}" if self.status is not None else "", self.code or "") if x)
        detail = ": ".join(x for x in (head, self.message) if x)
        return f"{self.kind}: {self.operation} ({detail})" if detail else f"{self.kind}: {self.operation}"


def first_line(value: object, limit: int | None = 160) -> str:
    """The first non-blank line of a message (an exception's, or any text), cut at ``limit``
    characters; for an exception with no message, its type's name."""
    line = next((ln.strip() for ln in str(value or "").splitlines() if ln.strip()), "")
    if not line and isinstance(value, BaseException):
        return type(value).__name__
    return line if limit is None or len(line) <= limit else line[: limit - 3] + "..."


class Throttled(CallFailed):
    """The cloud kept throttling the call after the SDK's own retries."""

    kind = "throttled"

    def reason(self) -> str:
        return f"throttled: {self.operation} (still rate-limited after retries)"


def attempt(what: str, not_checked: list[NotChecked], fn: Callable[[], T]) -> T | None:
    """``fn()``, or ``None`` with a ``not_checked`` entry for ``what`` when the call could not
    be answered (any :class:`CallFailed`: forbidden, throttled, failed).

    >>> out: list[NotChecked] = []
    >>> def denied() -> None:
    ...     raise Forbidden("ec2:DescribeVolumes")
    >>> attempt("disks", out, denied), out
    (None, [NotChecked(what='disks', reason='forbidden: ec2:DescribeVolumes')])
    """
    try:
        return fn()
    except CallFailed as exc:
        not_checked.append(exc.not_checked(what))
        return None


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most ``size`` items (the cloud's batch limit)."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --------------------------------------------------------------------------- counting


class CallCounter:
    """Calls sent, per operation; safe to use from many threads."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def count(self, operation: str, n: int = 1) -> None:
        """Record ``n`` calls of ``operation``."""
        with self._lock:
            self._counts[operation] += n

    def snapshot(self) -> dict[str, int]:
        """Calls so far, per operation, sorted by operation."""
        with self._lock:
            return dict(sorted(self._counts.items()))


# --------------------------------------------------------------------------- concurrency


class Workers:
    """One bounded thread pool for a provider's calls, and a per-scan memo.

    :meth:`map` called from one of the pool's own threads runs inline, so a mapped function
    may map again without starving the pool.

    Args:
        max_workers: the most calls in flight at once.
        name: thread name prefix (``r2c-aws``).
    """

    def __init__(self, max_workers: int = 8, name: str = "r2c-cloud") -> None:
        self.max_workers = max(1, max_workers)
        self.name = name
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._memo: dict[Any, Future[Any]] = {}
        self._local = threading.local()

    def _executor(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self.max_workers, thread_name_prefix=self.name, initializer=self._mark
                )
            return self._pool

    def _mark(self) -> None:
        self._local.inside = True

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """``fn`` over ``items`` on the pool, results in order; the first exception raised
        by ``fn`` is re-raised here."""
        todo = list(items)
        if len(todo) <= 1 or self.max_workers == 1 or getattr(self._local, "inside", False):
            return [fn(x) for x in todo]
        return list(self._executor().map(fn, todo))

    def once(self, key: Any, fn: Callable[[], T]) -> T:
        """``fn()`` computed once per provider for ``key``, even when several loops ask at
        once (the others wait for the first); its exception is re-raised to every caller."""
        with self._lock:
            fut = self._memo.get(key)
            owner = fut is None
            if fut is None:
                fut = Future()
                self._memo[key] = fut
        if owner:
            try:
                fut.set_result(fn())
            except BaseException as exc:
                fut.set_exception(exc)
        result: T = fut.result()
        return result

    def close(self) -> None:
        """Stop the pool's threads (a new one starts if the provider is used again)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)


# --------------------------------------------------------------------------- the provider


@frozen
class Option:
    """A command-line option a plugin adds to ``r2c scan`` / ``r2c snapshot``.

    Args:
        flag: ``--region``.
        help: one line for ``--help`` (several plugins may share a flag: their lines are joined).
        metavar: the value's name in ``--help``.
        env: the environment variable the SDK already reads for it (named in ``--help``).
    """

    flag: str
    help: str
    metavar: str | None = None
    env: str | None = None

    @property
    def dest(self) -> str:
        """The keyword the provider takes (``--cluster-name`` → ``cluster_name``)."""
        return self.flag.lstrip("-").replace("-", "_")


class CloudProvider(ProviderQuestions):
    """Base of the built-in cloud plugins (a third-party plugin may use it or implement the
    :class:`r2c_clouds.loops.Provider` protocol directly).

    Class attributes a plugin sets:
        name: the provider's name (``aws``), as registered in the entry point.
        provider_id_schemes: node ``spec.providerID`` schemes that mean this cloud (``("aws",)``),
            for ``--cloud auto``.
        cli_options: the options ``r2c scan`` offers for this cloud.
        requires: the top-level modules of its SDK (``("boto3",)``): a missing one makes
            ``--cloud auto`` say which extra to install instead of failing.

    Subclasses call ``super().__init__(max_workers=...)``, implement :meth:`describe` and
    put the four loops in their package's loop modules (:data:`LOOP_MODULES`). The question
    methods a script calls (:class:`~r2c_clouds.providers.questions.ProviderQuestions`:
    ``workload_identity``, ``disks``...) come with it, built on those loops.
    """

    name: ClassVar[str] = "cloud"
    provider_id_schemes: ClassVar[tuple[str, ...]] = ()
    cli_options: ClassVar[tuple[Option, ...]] = ()
    requires: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, max_workers: int = 8) -> None:
        self.calls = CallCounter()
        self.workers = Workers(max_workers, name=f"r2c-{self.name}")

    @classmethod
    def missing_sdk(cls) -> str | None:
        """The first module of :attr:`requires` that is not installed, else ``None``."""
        for module in cls.requires:
            if importlib.util.find_spec(module) is None:
                return module
        return None

    @classmethod
    def checklist_items(cls, ctx: ChecklistContext) -> list[ChecklistItem]:
        """Checklist items of this cloud's own (Azure: Petro Kostiuk's four), from the
        package's ``checklist.items(ctx)`` when it has such a module (pure, no SDK)."""
        module = f"{cls.__module__}.checklist"
        if importlib.util.find_spec(module) is None:
            return []
        found: list[ChecklistItem] = importlib.import_module(module).items(ctx)
        return found

    def describe(self) -> tuple[str | None, str | None]:
        """The (cluster name, region or location) this provider looks at, when known."""
        return None, None

    def api_calls(self) -> dict[str, int]:
        """Calls made so far, per operation."""
        return self.calls.snapshot()

    def _loop(self, loop: str) -> Any:
        package = type(self).__module__
        return importlib.import_module(f"{package}.{loop}")

    def identity(self, questions: IdentityQuestions) -> IdentityAnswer:
        """The identity loop: ``<package>.identity.answer(self, questions)``."""
        answer: IdentityAnswer = self._loop("identity").answer(self, questions)
        return answer

    def compute(self, questions: ComputeQuestions) -> ComputeAnswer:
        """The compute loop: ``<package>.compute.answer(self, questions)``."""
        answer: ComputeAnswer = self._loop("compute").answer(self, questions)
        return answer

    def network(self, questions: NetworkQuestions) -> NetworkAnswer:
        """The network loop: ``<package>.network.answer(self, questions)``."""
        answer: NetworkAnswer = self._loop("network").answer(self, questions)
        return answer

    def storage(self, questions: StorageQuestions) -> StorageAnswer:
        """The storage loop: ``<package>.storage.answer(self, questions)``."""
        answer: StorageAnswer = self._loop("storage").answer(self, questions)
        return answer

    def close(self) -> None:
        """Release the provider's threads."""
        self.workers.close()
