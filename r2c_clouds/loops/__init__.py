"""The four loop interfaces a provider implements, and the questions each derives.

A provider is a bundle of the four loops (:class:`Provider`). Each loop's method takes the
questions that loop derives from the cluster (deduplicated: distinct identities, volumes,
node pools, never pods) and returns the facts, with explicit ``not_checked`` entries for
whatever it could not answer (a 403 / AccessDenied, an API the cloud lacks).
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from r2c_clouds.loops.compute import ComputeAnswer, ComputeLoop, ComputeQuestions, compute_questions
from r2c_clouds.loops.identity import (
    IdentityAnswer,
    IdentityLoop,
    IdentityQuestions,
    WorkloadIdentityRef,
    identity_questions,
)
from r2c_clouds.loops.network import NetworkAnswer, NetworkLoop, NetworkQuestions, network_questions
from r2c_clouds.loops.storage import (
    StorageAnswer,
    StorageLoop,
    StorageQuestions,
    VolumeRef,
    storage_questions,
)

__all__ = [
    "ComputeAnswer",
    "ComputeLoop",
    "ComputeQuestions",
    "IdentityAnswer",
    "IdentityLoop",
    "IdentityQuestions",
    "NetworkAnswer",
    "NetworkLoop",
    "NetworkQuestions",
    "Provider",
    "StorageAnswer",
    "StorageLoop",
    "StorageQuestions",
    "VolumeRef",
    "WorkloadIdentityRef",
    "compute_questions",
    "identity_questions",
    "network_questions",
    "storage_questions",
]


@runtime_checkable
class Provider(IdentityLoop, ComputeLoop, NetworkLoop, StorageLoop, Protocol):
    """A cloud provider plugin: the four loops plus a name and call statistics.

    Attributes:
        name: ``aws``, ``azure``, ``gcp``, ``recorded``...
    """

    name: str

    def api_calls(self) -> dict[str, int]:
        """Calls made so far, per operation (``ec2:DescribeVolumes``: 3)."""
        ...

    def describe(self) -> tuple[str | None, str | None]:
        """The (cluster name, region) the provider is looking at, when known."""
        ...
