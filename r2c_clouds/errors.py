"""The whole exception tree of r2c_clouds.

Every error the library raises on purpose derives from :class:`R2CError`. The CLI maps
the two branches to exit codes; anything else is a bug.

```
R2CError                         base; .remediation holds one line of advice
├── BadInputError (ValueError)   exit 2: the input is wrong
│   ├── SnapshotError            a snapshot file/object cannot be read (names file and object)
│   ├── UnknownDemoError         r2c.demo(NAME) with a NAME that is not bundled
│   ├── UnknownProviderError     --cloud NAME that no entry point provides
│   ├── UnknownRuleError         --rule ID that is not in the catalogue
│   ├── ConfigError              kubeconfig/context cannot be used
│   ├── ScopeError               a namespace name or label selector the API server would refuse
│   ├── ObjectNotFoundError      report.explain(REF) of an object the cluster does not hold
│   └── RecordedFactsError       the recorded cloud facts file is malformed
└── UnreachableError (OSError)   exit 3: cluster or cloud cannot be reached
    ├── ClusterUnreachableError  API server refused/timed out/not authorised (401)
    └── CloudUnreachableError    cloud endpoint unreachable or no credentials
```

A 403 / AccessDenied on one kind or one cloud call is *not* an exception: it becomes a
:class:`r2c_clouds.model.findings.NotChecked` entry and the scan goes on.
"""

from __future__ import annotations

__all__ = [
    "BadInputError",
    "CloudUnreachableError",
    "ClusterUnreachableError",
    "ConfigError",
    "ObjectNotFoundError",
    "R2CError",
    "RecordedFactsError",
    "ScopeError",
    "SnapshotError",
    "StoreError",
    "StoreUnreachableError",
    "UnknownDemoError",
    "UnknownProviderError",
    "UnknownRuleError",
    "UnreachableError",
]


class R2CError(Exception):
    """Base of every error r2c_clouds raises on purpose.

    Args:
        message: one line saying what is wrong and where.
        remediation: one optional line saying what to do about it.
    """

    exit_code: int = 2

    def __init__(self, message: str, *, remediation: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.remediation = remediation

    def __str__(self) -> str:
        return self.message


class BadInputError(R2CError, ValueError):
    """The input (files, arguments, names) is wrong. Exit code 2."""

    exit_code = 2


class SnapshotError(BadInputError):
    """A snapshot file or an object in it cannot be read.

    Args:
        path: the file (or directory) concerned.
        problem: what is wrong, in a few words.
        obj: optional ``Kind/namespace/name`` or JSON path of the offending object.
    """

    def __init__(self, path: str, problem: str, *, obj: str | None = None) -> None:
        where = f"{path}: {obj}" if obj else path
        super().__init__(f"{where}: {problem}")
        self.path = path
        self.problem = problem
        self.obj = obj


class UnknownDemoError(BadInputError):
    """``r2c.demo(NAME)`` was asked for a demo that is not bundled."""


class UnknownProviderError(BadInputError):
    """No provider plugin is registered under the requested name."""


class UnknownRuleError(BadInputError):
    """A rule id that is not in the catalogue was requested."""


class ConfigError(BadInputError):
    """A kubeconfig, context or option cannot be used."""


class ObjectNotFoundError(BadInputError, LookupError):
    """``report.explain(REF)``: the cluster holds no such object and no finding names it."""


class ScopeError(BadInputError):
    """A namespace name (``-n``) or label selector (``-l``) that the API server would refuse."""


class RecordedFactsError(BadInputError):
    """The recorded cloud-facts file beside a snapshot is malformed."""


class UnreachableError(R2CError, OSError):
    """The cluster or the cloud could not be reached, or no credentials were found. Exit code 3."""

    exit_code = 3


class ClusterUnreachableError(UnreachableError):
    """The Kubernetes API server could not be reached or refused our credentials."""


class CloudUnreachableError(UnreachableError):
    """A cloud endpoint could not be reached, or the SDK found no credentials."""


class StoreError(BadInputError):
    """A ``--store`` URL that cannot be used (not a URL, an unsupported database, a file that
    is not an r2c store, a store written by a newer r2c). Exit code 2."""


class StoreUnreachableError(UnreachableError):
    """The store's database server could not be reached or refused the login. Exit code 3."""
