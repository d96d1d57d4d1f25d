"""The ``recorded`` provider: answers from cloud facts stored beside a snapshot.

``r2c snapshot --cloud aws`` writes ``cloud-facts.json`` next to the Kubernetes objects; a
later ``r2c scan --snapshot DIR`` (``--cloud auto`` or ``recorded``) replays it offline. The
demos ship one too. The file format (schema ``r2c_clouds/cloud-facts/v1``) is documented in
docs/snapshot-format.md: it is :class:`r2c_clouds.model.cloud.CloudFacts` as JSON.
"""

from __future__ import annotations

from typing import Any

from r2c_clouds.errors import RecordedFactsError
from r2c_clouds.kube.facts_file import FACTS_FILE, SCHEMA, dump_facts, load_facts
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
from r2c_clouds.model.cloud import CloudFacts, NotChecked
from r2c_clouds.model.cluster import ClusterState
from r2c_clouds.providers.questions import ProviderQuestions

__all__ = ["FACTS_FILE", "SCHEMA", "RecordedProvider", "dump_facts", "load_facts"]

class RecordedProvider(ProviderQuestions):
    """Answers the four loops from recorded :class:`CloudFacts`.

    Args:
        facts: the recorded facts.
    """

    name = "recorded"

    def __init__(self, facts: CloudFacts) -> None:
        self.facts = facts

    @classmethod
    def for_cluster(cls, cluster: ClusterState, path: str | None = None, **_: Any) -> RecordedProvider:
        """The facts recorded beside ``cluster``'s snapshot (or at ``path``).

        Raises:
            RecordedFactsError: there is no recorded file, or it is malformed.
        """
        where = path or cluster.cloud_facts_path
        if where is None:
            raise RecordedFactsError(
                f"{cluster.source}: no {FACTS_FILE} recorded beside this snapshot "
                "(record one with `r2c snapshot --cloud ...`, or use --cloud none)"
            )
        return cls(load_facts(where))

    @property
    def collected_at(self) -> str | None:
        """When the recorded facts were gathered."""
        return self.facts.collected_at

    def describe(self) -> tuple[str | None, str | None]:
        return self.facts.cluster_name, self.facts.region

    def api_calls(self) -> dict[str, int]:
        return {}

    def _not_checked(self, *families: str) -> tuple[NotChecked, ...]:
        return tuple(nc for nc in self.facts.not_checked if nc.what in families)

    def identity(self, questions: IdentityQuestions) -> IdentityAnswer:
        return IdentityAnswer(
            cluster_identity=self.facts.cluster_identity,
            bindings=self.facts.identity_bindings,
            registry_access=self.facts.registry_access,
            not_checked=self._not_checked("cluster_identity", "identity_bindings", "registry_access"),
        )

    def compute(self, questions: ComputeQuestions) -> ComputeAnswer:
        return ComputeAnswer(
            node_pools=self.facts.node_pools,
            settings=self.facts.network,
            not_checked=self._not_checked("node_pools"),
        )

    def network(self, questions: NetworkQuestions) -> NetworkAnswer:
        return NetworkAnswer(
            egress_gateways=self.facts.egress_gateways,
            subnets=self.facts.subnets,
            settings=self.facts.network,
            not_checked=self._not_checked("egress_gateways", "subnets", "network", "private_endpoints"),
            private_endpoints=self.facts.private_endpoints,
        )

    def storage(self, questions: StorageQuestions) -> StorageAnswer:
        wanted = {v.volume_handle for v in questions.volumes}
        return StorageAnswer(
            disks=tuple(d for d in self.facts.disks if d.volume_handle in wanted),
            not_checked=self._not_checked("disks"),
        )
