"""Cloud-side facts: what a provider plugin answers and the rules read.

Every fact is a frozen attrs class carrying :class:`Provenance` (which provider, which API
call, which resource), so a finding built on it can cite its evidence. Facts are few (one per
distinct role, disk, gateway...), so attrs' clarity wins over raw speed here.

The same classes are the documented ``cloud-facts.json`` format that ``r2c snapshot`` writes
and the ``recorded`` provider reads (see :func:`r2c_clouds.kube.facts_file.dump_facts`).
"""

from __future__ import annotations

from functools import cached_property
from typing import Generic, TypeVar

from attrs import field, frozen

__all__ = [
    "Answer",
    "CloudFacts",
    "ClusterIdentity",
    "Disk",
    "EgressGateway",
    "IdentityBinding",
    "NetworkSettings",
    "NodePool",
    "NotChecked",
    "PrivateEndpoint",
    "Provenance",
    "RegistryAccess",
    "Subnet",
]


@frozen
class Provenance:
    """Where a fact came from.

    Args:
        provider: ``aws``, ``azure``, ``gcp`` or ``recorded``.
        call: the API operation, e.g. ``ec2:DescribeVolumes``.
        resource_id: the cloud resource the fact is about (ARN, resource id, self link).
    """

    provider: str
    call: str
    resource_id: str = ""

    def ref(self) -> str:
        """One-line citation: ``aws ec2:DescribeVolumes vol-0abc``."""
        return f"{self.provider} {self.call} {self.resource_id}".strip()


@frozen
class NotChecked:
    """Something that could not be checked, and why (``forbidden: ...``, ``not captured``...)."""

    what: str
    reason: str


@frozen
class ClusterIdentity:
    """The cluster's side of workload identity.

    Args:
        oidc_issuer: the cluster's OIDC issuer URL, as the cloud reports it.
        workload_identity_enabled: AKS ``securityProfile.workloadIdentity.enabled``, GKE
            ``workloadIdentityConfig.workloadPool`` set, EKS: an IAM OIDC provider exists for
            the issuer (IRSA) or the Pod Identity agent is installed. ``None`` if unknown.
        oidc_provider_registered: EKS only: IAM has an OIDC provider for the issuer with
            audience ``sts.amazonaws.com``.
        workload_pool: GKE only: ``PROJECT.svc.id.goog``.
    """

    provenance: Provenance
    oidc_issuer: str | None = None
    workload_identity_enabled: bool | None = None
    oidc_provider_registered: bool | None = None
    workload_pool: str | None = None


@frozen
class IdentityBinding:
    """A Kubernetes ServiceAccount's binding to a cloud identity, as the cloud sees it.

    Args:
        namespace: the ServiceAccount's namespace.
        service_account: the ServiceAccount's name.
        identity: the cloud identity named: IAM role ARN, managed identity client id,
            Google service account email.
        mechanism: ``irsa``, ``eks-pod-identity``, ``azure-workload-identity``,
            ``gke-workload-identity``.
        exists: does the identity exist in the cloud.
        trusted: does its trust policy / federated credential / IAM binding admit
            ``system:serviceaccount:NS:NAME`` with the right issuer and audience.
        problems: why not, one phrase each (``subject system:serviceaccount:shop:api not
            matched (trust admits system:serviceaccount:store:api)``).
        trust_subjects: the subjects the identity's trust admits, as written.
    """

    namespace: str
    service_account: str
    identity: str
    mechanism: str
    provenance: Provenance
    exists: bool = True
    trusted: bool = True
    problems: tuple[str, ...] = ()
    trust_subjects: tuple[str, ...] = ()
    audiences: tuple[str, ...] = ()


@frozen
class RegistryAccess:
    """Whether the node identity may pull from a registry.

    Args:
        registry: registry host (``123456789012.dkr.ecr.us-east-1.amazonaws.com``).
        principal: the node identity (instance role ARN, kubelet identity, node GSA).
        can_pull: the verdict.
        missing: the permissions/roles that are missing (``ecr:BatchGetImage``, ``AcrPull``).
        node_pool: the node pool whose identity this is, when known.
    """

    registry: str
    principal: str
    can_pull: bool
    provenance: Provenance
    missing: tuple[str, ...] = ()
    node_pool: str | None = None


@frozen
class NodePool:
    """A node pool / managed node group / agent pool.

    Args:
        name: as the cloud names it (and as the node label ``eks.amazonaws.com/nodegroup``,
            ``kubernetes.azure.com/agentpool`` or ``cloud.google.com/gke-nodepool`` does).
        zones: the zones it can place nodes in (``us-east-1a``, ``eastus-1``, ``europe-west1-b``).
        mode: AKS ``System``/``User``; ``None`` elsewhere.
        autoscaling: is the autoscaler allowed to resize it.
        taints: ``key=value:Effect`` strings.
        node_identity: the identity its nodes run as (instance role, kubelet identity, node GSA).
        workload_identity: do pods on it get workload identity credentials (GKE: the pool's
            ``workloadMetadataConfig.mode`` is ``GKE_METADATA``); ``None`` where the cloud
            decides it per cluster.
    """

    name: str
    provenance: Provenance
    zones: tuple[str, ...] = ()
    min_size: int | None = None
    max_size: int | None = None
    desired_size: int | None = None
    mode: str | None = None
    autoscaling: bool | None = None
    instance_types: tuple[str, ...] = ()
    taints: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    node_identity: str | None = None
    workload_identity: bool | None = None


@frozen
class Disk:
    """A cloud block volume backing a PersistentVolume.

    Args:
        volume_handle: the PV's CSI ``volumeHandle`` (or in-tree volume id / disk URI / pd name).
        zones: the zones the disk lives in; empty for regional/zone-redundant disks.
        sku: ``gp3``, ``Premium_LRS``, ``pd-balanced``...
        zone_redundant: ZRS / regional PD / multi-zone.
        attached_to: instance ids / VM names it is attached to.
    """

    volume_handle: str
    provenance: Provenance
    zones: tuple[str, ...] = ()
    sku: str | None = None
    state: str | None = None
    zone_redundant: bool = False
    attached_to: tuple[str, ...] = ()
    exists: bool = True


@frozen
class EgressGateway:
    """A NAT gateway on the cluster's egress path and its saturation over a window.

    Metrics are totals over ``window_minutes``; ``None`` means not reported.

    Args:
        gateway_id: ``nat-0abc``, NAT gateway resource id, Cloud NAT name.
        zone: the zone it serves (AWS NAT gateways are zonal), when known.
        port_allocation_errors: AWS ``ErrorPortAllocation`` (Sum), Azure
            ``SNATConnectionCount`` with ``ConnectionState eq 'Failed'`` (Total), GCP
            ``nat/dropped_sent_packets_count`` with reason OUT_OF_RESOURCES.
        dropped_packets: AWS ``PacketsDropCount``, Azure ``PacketDropCount``.
        active_connections: peak active connections.
        subnets: subnets routed through it.
        datapath_availability: percent of the window the gateway's datapath was available
            (Azure ``DatapathAvailability``, Average over the window), when reported.
        drop_reasons: dropped packets by the cloud's reason, when it gives one (GCP
            ``OUT_OF_RESOURCES`` is port exhaustion, ``ENDPOINT_INDEPENDENCE_CONFLICT`` is not).
        allocation_failed: the gateway could not allocate NAT IPs or ports to some VM
            (GCP ``nat/nat_allocation_failed``).
        settings: the gateway's port settings as the cloud names them (GCP
            ``minPortsPerVm``, ``enableDynamicPortAllocation``, ``maxPortsPerVm``).
    """

    gateway_id: str
    provenance: Provenance
    window_minutes: int = 60
    zone: str | None = None
    port_allocation_errors: float | None = None
    dropped_packets: float | None = None
    active_connections: float | None = None
    connection_attempts: float | None = None
    idle_timeouts: float | None = None
    subnets: tuple[str, ...] = ()
    datapath_availability: float | None = None
    drop_reasons: tuple[tuple[str, float], ...] = ()
    allocation_failed: bool | None = None
    settings: tuple[tuple[str, str], ...] = ()


@frozen
class Subnet:
    """A subnet (or a pod range) nodes or pods draw IPs from.

    Args:
        ips_per_node: how many of its addresses one more node takes, when the cloud fixes
            it (a GKE node takes a whole per-node pod range: 256 for 110 pods per node).
    """

    subnet_id: str
    provenance: Provenance
    zone: str | None = None
    cidr: str | None = None
    available_ips: int | None = None
    total_ips: int | None = None
    ips_per_node: int | None = None


@frozen
class NetworkSettings:
    """Cluster-wide network and autoscaling settings only the cloud knows.

    Args:
        outbound_type: AKS ``loadBalancer``/``managedNATGateway``/``userAssignedNATGateway``...
        keda_enabled: AKS ``workloadAutoScalerProfile.keda.enabled``.
        network_mtu: the VPC/VNet MTU when the cloud states one (AWS 9001 jumbo in-VPC,
            Azure 1500, GCP VPC ``mtu``).
        network_plugin: ``azure``, ``kubenet``, ``none``; ``vpc-cni``; ``GKE dataplane v2``.
    """

    provenance: Provenance
    outbound_type: str | None = None
    keda_enabled: bool | None = None
    network_mtu: int | None = None
    network_plugin: str | None = None
    network_plugin_mode: str | None = None


@frozen
class PrivateEndpoint:
    """A private endpoint the cluster's API server or data stores are reached through.

    Args:
        endpoint_id: the private endpoint's resource id.
        subnet_id: the subnet its network interface sits in.
        target_resource_id: the resource it connects to (``privateLinkServiceId``).
        group_ids: the target sub-resources (``management``, ``blob``, ``registry``...).
        state: the connection's ``privateLinkServiceConnectionState.status``
            (``Approved``, ``Pending``, ``Rejected``, ``Disconnected``).
        dns_zones: private DNS zones of its DNS zone group (``privatelink.blob.core.windows.net``).
    """

    endpoint_id: str
    provenance: Provenance
    subnet_id: str | None = None
    target_resource_id: str | None = None
    group_ids: tuple[str, ...] = ()
    state: str | None = None
    dns_zones: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The last segment of the resource id."""
        return self.endpoint_id.rstrip("/").rsplit("/", 1)[-1]


@frozen
class CloudFacts:
    """All that a provider answered for one scan.

    Args:
        provider: the provider's name.
        cluster_name: the cluster the facts are about, when known.
        region: region/location, when known.
        api_calls: how many calls per operation (``ec2:DescribeVolumes``: 3).
        not_checked: what could not be answered and why.
        collected_at: RFC 3339 UTC time the facts were gathered (metrics windows end here);
            recorded facts keep the time they were recorded.
        private_endpoints: private endpoints of the cluster's API server and data stores.
    """

    provider: str
    cluster_name: str | None = None
    region: str | None = None
    cluster_identity: ClusterIdentity | None = None
    identity_bindings: tuple[IdentityBinding, ...] = ()
    registry_access: tuple[RegistryAccess, ...] = ()
    node_pools: tuple[NodePool, ...] = ()
    disks: tuple[Disk, ...] = ()
    egress_gateways: tuple[EgressGateway, ...] = ()
    subnets: tuple[Subnet, ...] = ()
    network: NetworkSettings | None = None
    not_checked: tuple[NotChecked, ...] = ()
    api_calls: dict[str, int] = field(factory=dict, eq=False)
    collected_at: str | None = field(default=None, eq=False)
    private_endpoints: tuple[PrivateEndpoint, ...] = ()

    @cached_property
    def _bindings_by_sa(self) -> dict[tuple[str, str], IdentityBinding]:
        return {(b.namespace, b.service_account): b for b in self.identity_bindings}

    @cached_property
    def _disks_by_handle(self) -> dict[str, Disk]:
        return {d.volume_handle: d for d in self.disks}

    @cached_property
    def _pools_by_name(self) -> dict[str, NodePool]:
        return {p.name: p for p in self.node_pools}

    def binding(self, namespace: str, service_account: str) -> IdentityBinding | None:
        """The identity binding of one ServiceAccount, if the provider reported one."""
        return self._bindings_by_sa.get((namespace, service_account))

    def disk(self, volume_handle: str) -> Disk | None:
        """The disk behind a PV's volume handle, if the provider reported it."""
        return self._disks_by_handle.get(volume_handle)

    def node_pool(self, name: str) -> NodePool | None:
        """A node pool by name."""
        return self._pools_by_name.get(name)


_F = TypeVar("_F")


@frozen
class Answer(Generic[_F]):
    """What one question to a provider returned (see :mod:`r2c_clouds.providers.questions`).

    Args:
        facts: the facts asked for (a fact, ``None`` when there is none, or a tuple of them);
            each carries its :class:`Provenance`.
        not_checked: what could not be answered, and why (``forbidden: ec2:DescribeVolumes``):
            a denied call is an answer, not an exception.
        api_calls: the calls this question made, per operation (the scan counts the same).

    >>> a = Answer((), (NotChecked("disks", "forbidden: ec2:DescribeVolumes"),))
    >>> a.checked
    False
    """

    facts: _F
    not_checked: tuple[NotChecked, ...] = ()
    api_calls: dict[str, int] = field(factory=dict, eq=False)

    @property
    def checked(self) -> bool:
        """Was everything asked answered (nothing not checked)?"""
        return not self.not_checked
