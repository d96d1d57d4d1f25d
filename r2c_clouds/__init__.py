"""r2c_clouds: Day-2 diagnosis of Kubernetes clusters across four control loops.

```python
import r2c_clouds as r2c
cluster = r2c.load_snapshot("dump/")          # or r2c.connect(context="prod"), r2c.demo("domino")
report  = r2c.scan(cluster, cloud="auto")
report.findings; report.chains; report.checklist; report.not_checked
print(report.explain("Pod/shop/orders-db-0"))
r2c.mapping.lookup(loop="storage", cloud="azure")
```

Importing this package is cheap: no cloud SDK and no Kubernetes client is imported until
a function that needs one is called.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

# Bound before ``def demo`` below on purpose: importing a subpackage sets it as an attribute
# of its parent, which would replace the ``demo`` function with the ``r2c_clouds.demo``
# package the first time that package is imported.
import r2c_clouds.demo as _demo_package
from r2c_clouds._scan import scan
from r2c_clouds.errors import (
    BadInputError,
    CloudUnreachableError,
    ClusterUnreachableError,
    R2CError,
    SnapshotError,
    UnreachableError,
)
from r2c_clouds.model import (
    Chain,
    ChecklistItem,
    CloudFacts,
    ClusterState,
    Evidence,
    Finding,
    Loop,
    NotChecked,
    ObjectRef,
    Scope,
    Severity,
    Status,
)
from r2c_clouds.report import Report

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from types import ModuleType

from r2c_clouds._version import __version__

__all__ = [
    "BadInputError",
    "Chain",
    "ChecklistItem",
    "CloudFacts",
    "CloudUnreachableError",
    "ClusterState",
    "ClusterUnreachableError",
    "Evidence",
    "Finding",
    "Loop",
    "NotChecked",
    "ObjectRef",
    "R2CError",
    "Report",
    "Scope",
    "Severity",
    "SnapshotError",
    "Status",
    "UnreachableError",
    "__version__",
    "connect",
    "demo",
    "demos",
    "fleet",
    "load_snapshot",
    "mapping",
    "scan",
    "store",
]


def load_snapshot(path: str | os.PathLike[str]) -> ClusterState:
    """Load a cluster from files: a ``kubectl get -o json|yaml`` List or object,
    multi-document YAML, a directory of such files, a ``kubectl cluster-info dump``
    directory, or a troubleshoot.sh support bundle (directory or .tar.gz).

    A ``cloud-facts.json`` beside the objects is picked up for the ``recorded`` provider.

    Raises:
        SnapshotError: the path or an object in it cannot be read (the message names both).

    .. versionadded:: 0.1
    """
    from r2c_clouds.kube.snapshot import load_snapshot as _load

    return _load(path)


def connect(
    context: str | None = None,
    *,
    kubeconfig: str | os.PathLike[str] | None = None,
    in_cluster: bool | None = None,
    timeout: float | None = 300.0,
    progress: Any = None,
    request_timeout: float = 60.0,
    namespaces: Sequence[str] | None = None,
    selector: str | None = None,
    secrets: bool = True,
    service_account_dir: str | os.PathLike[str] | None = None,
) -> ClusterState:
    """Read a live cluster through the official Kubernetes client (read-only: list only).

    Args:
        context: kubeconfig context (default: the current one).
        kubeconfig: kubeconfig file (default: ``$KUBECONFIG`` or ``~/.kube/config``).
        in_cluster: use the pod's service account; default: when no kubeconfig is found
            and ``KUBERNETES_SERVICE_HOST`` is set.
        timeout: the deadline, in seconds, for reading the whole cluster (``None``: none).
        progress: called with a short message per kind listed.
        request_timeout: the deadline for one request: connect, headers and the whole body
            (a server that trickles bytes is cut there). Connection resets and 5xx with
            ``Retry-After`` are retried with backoff within the deadlines, as client-go does.
        namespaces: read only these namespaces (kubectl ``-n``): namespaced kinds are listed
            per namespace, so a Role in each is enough; cluster-scoped kinds it may not read
            are not checked, and the report judges objects in these namespaces (and the
            causes of their findings). ``None``: every namespace.
        selector: judge only workloads (and other namespaced objects) whose labels match this
            label selector (kubectl ``-l``, ``app=web,tier!=db``).
        secrets: list Secrets' metadata (names, never values). ``False``: do not request
            Secrets at all, for a reader granted no ``list secrets`` (the ClusterRole in
            ``deploy/``); no rule needs them on a live cluster, where their key names are
            not visible.
        service_account_dir: in a pod, where the ServiceAccount token and ``ca.crt`` are
            (default ``/var/run/secrets/kubernetes.io/serviceaccount``).

    Raises:
        r2c_clouds.errors.ConfigError: the kubeconfig or context cannot be used (exit 2).
        r2c_clouds.errors.ScopeError: a namespace name or selector the API server would
            refuse, or a namespace that does not exist (exit 2).
        ClusterUnreachableError: the API server cannot be reached (exit 3).

    .. versionadded:: 0.1
    """
    from r2c_clouds.kube.live import connect as _connect

    return _connect(
        context=context, kubeconfig=kubeconfig, in_cluster=in_cluster, timeout=timeout, progress=progress,
        request_timeout=request_timeout, namespaces=namespaces, selector=selector, secrets=secrets,
        service_account_dir=service_account_dir,
    )


def fleet(
    contexts: Sequence[str] = (),
    *,
    all_contexts: bool = False,
    kubeconfigs: Sequence[str | os.PathLike[str]] = (),
    cloud: str | Mapping[str, Any] = "auto",
    jobs: int | None = None,
    timeout: float | None = 300.0,
    store: Any = None,
    progress: Any = None,
) -> list[Any]:
    """Scan several clusters at once, each in a worker process with its own cloud
    auto-detection; a cluster that cannot be scanned is recorded with its reason and the
    others go on.

    Args:
        contexts: kubeconfig contexts; with neither these nor ``all_contexts``, each
            kubeconfig's current context.
        all_contexts: every context of the kubeconfig(s).
        kubeconfigs: kubeconfig files, each read on its own (default: ``$KUBECONFIG`` or
            ``~/.kube/config``).
        cloud: ``"auto"`` (each cluster its own), ``"none"``, or per context a mapping of
            context to a cloud name or a (picklable) provider.
        jobs: worker processes (default: the CPUs, at most 8).
        timeout: each cluster's deadline for reading it, and for its cloud phase.
        store: a store URL or an open :class:`r2c_clouds.store.Store` to append every result
            to (``None``: results are only returned).
        progress: called with ``(context, stage, message)`` as each cluster moves on.

    Returns:
        One :class:`r2c_clouds._fleet.FleetResult` per cluster (``.target``, ``.record``,
        ``.ok``), in the order of the contexts.

    Raises:
        r2c_clouds.errors.ConfigError: a kubeconfig or context that cannot be used (exit 2).
        r2c_clouds.errors.StoreError: a store URL that cannot be used (exit 2).

    .. versionadded:: 0.2
    """
    from r2c_clouds._fleet import fleet_targets, scan_fleet
    from r2c_clouds.store import Store, open_store

    targets = fleet_targets(contexts, all_contexts=all_contexts, kubeconfigs=kubeconfigs)
    if store is None or isinstance(store, Store):
        return list(scan_fleet(targets, cloud=cloud, jobs=jobs, timeout=timeout, store=store, progress=progress))
    with open_store(store) as opened:
        return list(scan_fleet(targets, cloud=cloud, jobs=jobs, timeout=timeout, store=opened, progress=progress))


def demo(name: str) -> ClusterState:
    """A bundled demo cluster: ``domino``, ``aks``, ``gke`` or ``healthy``.

    Raises:
        r2c_clouds.errors.UnknownDemoError: no such demo.

    .. versionadded:: 0.1
    """
    return _demo_package.load_demo(name)


def demos() -> list[str]:
    """Names of the bundled demos."""
    return _demo_package.demo_names()


def __getattr__(name: str) -> ModuleType:
    if name in ("mapping", "store"):
        import importlib

        return importlib.import_module(f"r2c_clouds.{name}")
    raise AttributeError(f"module 'r2c_clouds' has no attribute {name!r}")
