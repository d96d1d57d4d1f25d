"""Many clusters at once: each scanned in a worker process of its own, each with its own
cloud auto-detection, the results into one store.

A cluster that cannot be scanned (unreachable, credentials refused, a bad context) is
recorded with its reason and the others go on. Workers return plain records
(:class:`~r2c_clouds.store.ScanRecord`); only this process writes to the store, so SQLite
needs no locking between writers.

    import r2c_clouds as r2c

    results = r2c.fleet(all_contexts=True, store="postgresql://r2c@db/r2c", jobs=4)
    [(r.target.context, r.record.status) for r in results]
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from attrs import frozen

from r2c_clouds.errors import BadInputError, ConfigError, R2CError
from r2c_clouds.store.records import ClusterKey, ScanRecord, failed_record, record_of

if TYPE_CHECKING:
    from r2c_clouds.store import Store

__all__ = ["STAGES", "FleetResult", "Target", "fleet_targets", "scan_fleet"]

#: What a cluster's scan is doing, in order: ``listing`` (reading the API server), ``cloud``
#: (asking the cloud), ``rules`` (judging), then ``done`` or ``failed``.
STAGES = ("waiting", "listing", "cloud", "rules", "done", "failed")

#: Progress callback: (context, stage, message).
FleetProgress = Callable[[str, str, str], None]


@frozen
class Target:
    """One cluster of the fleet: a kubeconfig context, the kubeconfig file it is in (``None``:
    ``$KUBECONFIG`` / ``~/.kube/config``), and the name the store files it under (the
    context's cluster name, as a single ``r2c scan --context`` names it)."""

    context: str
    cluster: str
    kubeconfig: str | None = None


@frozen
class FleetResult:
    """One cluster's outcome: its target and the record appended to the store (status
    ``failed`` with the reason when it could not be scanned)."""

    target: Target
    record: ScanRecord

    @property
    def ok(self) -> bool:
        return self.record.status != "failed"


def fleet_targets(
    contexts: Sequence[str] = (),
    *,
    all_contexts: bool = False,
    kubeconfigs: Sequence[str | os.PathLike[str]] = (),
) -> list[Target]:
    """The clusters to scan.

    Args:
        contexts: these contexts (each must exist in one of the kubeconfigs).
        all_contexts: every context of every kubeconfig.
        kubeconfigs: kubeconfig files, each read on its own; none: ``$KUBECONFIG`` (its
            files merged, as kubectl merges them) or ``~/.kube/config``. With neither
            ``contexts`` nor ``all_contexts``, each file's current context.

    Raises:
        ConfigError: a kubeconfig that cannot be read, a context in none of them, a file
            with no current context (exit 2).
    """
    from r2c_clouds.kube.live import kubeconfig_contexts

    if contexts and all_contexts:
        raise BadInputError("--context and --all-contexts: give one of them")
    files: list[str | None] = [os.fspath(k) for k in kubeconfigs] or [None]
    out: list[Target] = []
    found: set[str] = set()
    for f in files:
        entries, current = kubeconfig_contexts(f)
        clusters = dict(entries)
        where = f or "the default kubeconfig"
        if all_contexts:
            names = [name for name, _ in entries]
        elif contexts:
            names = [c for c in contexts if c in clusters]
        else:
            if not current:
                raise ConfigError(f"kubeconfig {where}: no current-context (pass --context or --all-contexts)")
            names = [current]
        found.update(names)
        out.extend(Target(name, clusters.get(name) or name, f) for name in names)
    missing = [c for c in contexts if c not in found]
    if missing:
        raise ConfigError(f"context(s) not found in {', '.join(f or 'the default kubeconfig' for f in files)}: "
                          f"{', '.join(missing)}")
    if not out:
        raise ConfigError("no contexts to scan")
    seen: dict[str, Target] = {}
    for t in out:
        if t.cluster in seen and seen[t.cluster] != t:
            raise ConfigError(
                f"contexts {seen[t.cluster].context!r} and {t.context!r} both name cluster {t.cluster!r}: "
                "the store would mix their histories",
                remediation="scan one of them, or give the clusters distinct names in the kubeconfig",
            )
        seen[t.cluster] = t
    return out


# ------------------------------------------------------------------ workers

_EVENTS: Any = None  # the worker's queue to the parent (set by _init_worker)


def _init_worker(events: Any) -> None:
    global _EVENTS
    _EVENTS = events


def _say(context: str, stage: str, message: str) -> None:
    if _EVENTS is not None:
        _EVENTS.put((context, stage, message))


def _scan_target(target: Target, cloud: Any, timeout: float | None) -> ScanRecord:
    """Scan one cluster (in a worker process): its record, or a failed one with the reason."""
    from r2c_clouds._scan import scan
    from r2c_clouds.kube.live import connect

    ctx = target.context
    source = f"context:{ctx}"
    try:
        _say(ctx, "listing", "connecting")
        cluster = connect(ctx, kubeconfig=target.kubeconfig, timeout=timeout,
                          progress=lambda m: _say(ctx, "listing", m))

        def scan_progress(message: str) -> None:
            _say(ctx, "cloud" if message.startswith("asking ") else "rules", message)

        report = scan(cluster, cloud=cloud, progress=scan_progress, cloud_timeout=timeout)
        return record_of(report, cluster=None if report.cluster.name else ClusterKey(target.cluster))
    except R2CError as exc:
        return failed_record(ClusterKey(target.cluster), source, exc.message)
    except Exception as exc:  # one cluster's bug must not stop the fleet; its reason is kept
        return failed_record(ClusterKey(target.cluster), source,
                             f"internal error: {type(exc).__name__}: {exc}".splitlines()[0])


def scan_fleet(
    targets: Sequence[Target],
    *,
    cloud: str | Mapping[str, Any] = "auto",
    jobs: int | None = None,
    timeout: float | None = 300.0,
    store: Store | None = None,
    progress: FleetProgress | None = None,
) -> list[FleetResult]:
    """Scan ``targets`` in up to ``jobs`` worker processes; append each result to ``store``.

    Args:
        cloud: where cloud facts come from, for every cluster (``"auto"``: each detects its
            own), or per context (a mapping; a context not in it: ``"auto"``). A provider
            object must be picklable (the recorded provider is).
        jobs: worker processes (default: the CPUs, at most 8, at most one per cluster).
        timeout: each cluster's deadline for reading the cluster, and for its cloud phase.
        store: where the results go (each as it arrives); ``None``: only returned.
        progress: called as each cluster moves on (``context, stage, message``; stages in
            :data:`STAGES`), from this process.

    Returns:
        One result per target, in the targets' order.
    """
    if jobs is not None and jobs < 1:
        raise BadInputError(f"--jobs {jobs}: must be 1 or more")
    workers = max(1, min(jobs or min(os.cpu_count() or 1, 8), len(targets)))
    mp = multiprocessing.get_context("spawn")  # no fork of a process that runs threads
    events = mp.Queue()
    say = _Reporter(progress)
    for t in targets:
        say(t.context, "waiting", "")
    stop = threading.Event()
    relay = threading.Thread(target=_relay, args=(events, say, stop), name="r2c-fleet-progress", daemon=True)
    relay.start()
    results: dict[int, FleetResult] = {}
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp, initializer=_init_worker,
                                 initargs=(events,)) as pool:
            futures: dict[Future[ScanRecord], int] = {}
            for i, t in enumerate(targets):
                c = cloud.get(t.context, "auto") if isinstance(cloud, Mapping) else cloud
                futures[pool.submit(_scan_target, t, c, timeout)] = i
            for fut in as_completed(futures):
                i = futures[fut]
                t = targets[i]
                try:
                    record = fut.result()
                except BrokenProcessPool:
                    record = failed_record(ClusterKey(t.cluster), f"context:{t.context}",
                                           "the worker process scanning it died")
                if store is not None:
                    store.record(record)
                results[i] = FleetResult(t, record)
                if record.status == "failed":
                    say(t.context, "failed", record.error or "")
                else:
                    extra = " (incomplete)" if record.status == "incomplete" else ""
                    say(t.context, "done", f"{len(record.findings)} findings{extra}")
    finally:
        stop.set()
        relay.join(timeout=5)
    return [results[i] for i in range(len(targets))]


class _Reporter:
    """Progress to the caller from two threads, in order: nothing after a cluster's last word
    (a worker's late ``rules`` event must not follow its ``done``)."""

    def __init__(self, progress: FleetProgress | None) -> None:
        self._progress = progress
        self._lock = threading.Lock()
        self._finished: set[str] = set()

    def __call__(self, context: str, stage: str, message: str) -> None:
        with self._lock:
            if context in self._finished:
                return
            if stage in ("done", "failed"):
                self._finished.add(context)
            if self._progress is not None:
                self._progress(context, stage, message)


def _relay(events: Any, say: FleetProgress, stop: threading.Event) -> None:
    """Pass the workers' progress events to ``say``, in this process, until stopped (then
    drain what is left)."""
    while True:
        try:
            ctx, stage, message = events.get(timeout=0.05)
        except queue.Empty:
            if stop.is_set():
                return
            continue
        except (EOFError, OSError):  # the queue closed with the pool
            return
        say(ctx, stage, message)
