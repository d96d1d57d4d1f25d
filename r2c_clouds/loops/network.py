"""Network loop: the cluster's egress NAT gateways and their saturation, the subnets nodes
and pods draw IPs from, and network settings (outbound type, MTU) only the cloud knows.
"""

from __future__ import annotations

from typing import Protocol

from attrs import frozen

from r2c_clouds.model.cloud import (
    EgressGateway,
    NetworkSettings,
    NotChecked,
    PrivateEndpoint,
    Subnet,
)
from r2c_clouds.model.cluster import ClusterState, node_zone

__all__ = ["NetworkAnswer", "NetworkLoop", "NetworkQuestions", "network_questions"]


@frozen
class NetworkQuestions:
    """Args:
    zones: zones nodes are in (egress gateways are looked up for these).
    provider_ids: node providerIDs (instance ids / VM ids → subnets).
    window_minutes: the metrics window.
    pod_cidrs: the distinct ``spec.podCIDR`` ranges nodes hold (GKE: each node takes one
        range of the cluster's pod range).
    """

    zones: tuple[str, ...] = ()
    provider_ids: tuple[str, ...] = ()
    window_minutes: int = 60
    pod_cidrs: tuple[str, ...] = ()


@frozen
class NetworkAnswer:
    egress_gateways: tuple[EgressGateway, ...] = ()
    subnets: tuple[Subnet, ...] = ()
    settings: NetworkSettings | None = None
    not_checked: tuple[NotChecked, ...] = ()
    private_endpoints: tuple[PrivateEndpoint, ...] = ()


class NetworkLoop(Protocol):
    """What a provider answers for the network loop."""

    def network(self, questions: NetworkQuestions) -> NetworkAnswer:
        """Report egress gateways with their metrics, subnets' free IPs and network settings."""
        ...


def network_questions(cluster: ClusterState, window_minutes: int = 60) -> NetworkQuestions:
    """Derive the network questions from a cluster."""
    zones = sorted({z for n in cluster.nodes if (z := node_zone(n))})
    pids = sorted({n.spec.provider_id for n in cluster.nodes if n.spec.provider_id})
    cidrs = sorted({n.spec.pod_cidr for n in cluster.nodes if n.spec.pod_cidr})
    return NetworkQuestions(tuple(zones), tuple(pids), window_minutes, tuple(cidrs))
