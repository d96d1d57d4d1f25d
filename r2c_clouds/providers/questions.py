"""One call, one question: a provider asked about one thing from a script, no cluster needed.

Every provider (``aws``, ``azure``, ``gcp``, ``recorded``) has these methods. Each takes
plain values, asks the provider's own loop the same question the scan asks (so the same
calls, the same batching, the same ``api_calls`` counting), and returns an
:class:`~r2c_clouds.model.cloud.Answer`: the immutable facts the scan uses, with their
provenance, and what could not be answered (a denied call is a *not checked* entry, not an
exception)::

    from r2c_clouds.providers.aws import AwsProvider

    aws = AwsProvider(cluster_name="prod", region="eu-west-1")
    answer = aws.workload_identity("payments", "api", "arn:aws:iam::123456789012:role/payments-api")
    answer.facts.trusted, answer.facts.problems, answer.not_checked

The verdict and the message the report would print come from the rule's own judge
(``r2c_clouds.rules.judge_identity_binding(answer.facts)``...). Recipes: docs/scripts.md.

| method | the scan's loop | facts |
|---|---|---|
| :meth:`~ProviderQuestions.workload_identity` | identity | ``IdentityBinding`` or ``None`` |
| :meth:`~ProviderQuestions.registry_access` | identity | ``RegistryAccess`` per node identity |
| :meth:`~ProviderQuestions.node_pools` | compute | ``NodePool`` per pool |
| :meth:`~ProviderQuestions.disks` | storage | ``Disk`` per volume handle |
| :meth:`~ProviderQuestions.egress_gateways` | network | ``EgressGateway`` per NAT gateway |
| :meth:`~ProviderQuestions.subnets` | network | ``Subnet`` per subnet / pod range |
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import ClassVar, TypeVar

from r2c_clouds.loops import (
    ComputeAnswer,
    ComputeQuestions,
    IdentityAnswer,
    IdentityQuestions,
    NetworkAnswer,
    NetworkQuestions,
    StorageAnswer,
    StorageQuestions,
    VolumeRef,
    WorkloadIdentityRef,
)
from r2c_clouds.model.cloud import (
    Answer,
    Disk,
    EgressGateway,
    IdentityBinding,
    NodePool,
    NotChecked,
    RegistryAccess,
    Subnet,
)

__all__ = ["ProviderQuestions"]

T = TypeVar("T")


def _about(not_checked: Sequence[NotChecked], *families: str) -> tuple[NotChecked, ...]:
    return tuple(nc for nc in not_checked if nc.what in families)


class ProviderQuestions:
    """The question methods every provider shares, built on its four loops.

    A provider class sets :attr:`identity_mechanism` (what an identity named by a plain
    value is: ``irsa``, ``azure-workload-identity``, ``gke-workload-identity``) and
    :attr:`disk_driver` (the CSI driver of its disks), and implements the loops
    (:class:`r2c_clouds.loops.Provider`).
    """

    identity_mechanism: ClassVar[str | None] = None
    disk_driver: ClassVar[str | None] = None

    # the loops, as r2c_clouds.loops.Provider declares them
    identity: Callable[[IdentityQuestions], IdentityAnswer]
    compute: Callable[[ComputeQuestions], ComputeAnswer]
    network: Callable[[NetworkQuestions], NetworkAnswer]
    storage: Callable[[StorageQuestions], StorageAnswer]
    api_calls: Callable[[], dict[str, int]]

    def _counted(self, ask: Callable[[], T]) -> tuple[T, dict[str, int]]:
        before = self.api_calls()
        result = ask()
        after = self.api_calls()
        return result, {op: n - before.get(op, 0) for op, n in after.items() if n - before.get(op, 0)}

    def workload_identity(
        self, namespace: str, service_account: str, identity: str | None = None, *, audience: str | None = None,
    ) -> Answer[IdentityBinding | None]:
        """Does cloud identity ``identity`` exist and trust ServiceAccount ``namespace/service_account``?

        Args:
            namespace: the ServiceAccount's namespace.
            service_account: its name.
            identity: what its annotation names: an IAM role ARN (``eks.amazonaws.com/role-arn``),
                a managed identity's client id (``azure.workload.identity/client-id``), a Google
                service account email (``iam.gke.io/gcp-service-account``). ``None``: the
                binding that needs no annotation (EKS Pod Identity association, GKE
                ``principal://`` grants), when the cloud has one.
            audience: the token audience the annotation sets (``eks.amazonaws.com/audience``).

        Returns:
            The :class:`IdentityBinding` (``exists``, ``trusted``, ``problems``,
            ``trust_subjects``), or ``None`` when the cloud knows no binding for it.
        """
        if identity:
            mechanism = self.identity_mechanism or "unknown"
            q = IdentityQuestions(service_accounts=(
                WorkloadIdentityRef(namespace, service_account, mechanism, identity, audience=audience),))
        else:
            q = IdentityQuestions(unannotated_service_accounts=((namespace, service_account),))
        ans, calls = self._counted(lambda: self.identity(q))
        found = next((b for b in ans.bindings if (b.namespace, b.service_account) == (namespace, service_account)
                      and (not identity or b.identity == identity)), None)
        families = ("identity_bindings", "cluster_identity") + (() if identity else ("pod_identity",))
        return Answer(found, _about(ans.not_checked, *families), calls)

    def registry_access(self, registry: str, *, images: Sequence[str] = ()) -> Answer[tuple[RegistryAccess, ...]]:
        """May the nodes' identities pull from ``registry`` (``123456789012.dkr.ecr.us-east-1.amazonaws.com``,
        ``acme.azurecr.io``, ``us-central1-docker.pkg.dev``)?

        Args:
            images: image names without tag (``us-central1-docker.pkg.dev/acme/apps/api``),
                where rights are per repository (Artifact Registry).

        Returns:
            One :class:`RegistryAccess` per node identity (``can_pull``, ``missing``, ``node_pool``).
        """
        q = IdentityQuestions(registries=(registry,), images=tuple(images))
        ans, calls = self._counted(lambda: self.identity(q))
        found = tuple(r for r in ans.registry_access if r.registry == registry)
        return Answer(found, _about(ans.not_checked, "registry_access", "node_pools"), calls)

    def node_pools(self, *names: str) -> Answer[tuple[NodePool, ...]]:
        """The cluster's node pools (all of them, or these): zones, sizes, autoscaling, taints,
        node identity."""
        q = ComputeQuestions(node_pools=tuple(sorted(set(names))))
        ans, calls = self._counted(lambda: self.compute(q))
        found = tuple(p for p in ans.node_pools if not names or p.name in names)
        return Answer(found, _about(ans.not_checked, "node_pools", "autoscaling_groups"), calls)

    def disks(self, *volume_handles: str, driver: str | None = None) -> Answer[tuple[Disk, ...]]:
        """The disks behind these volume handles (a PV's ``spec.csi.volumeHandle``): their
        zones, SKU, state, attachments; a handle whose disk does not exist comes back with
        ``exists=False``.

        Args:
            driver: the CSI driver (default: the cloud's own, e.g. ``ebs.csi.aws.com``).
        """
        drv = driver or self.disk_driver or ""
        q = StorageQuestions(tuple(VolumeRef(h, drv, h) for h in dict.fromkeys(volume_handles)))
        ans, calls = self._counted(lambda: self.storage(q))
        wanted = set(volume_handles)
        return Answer(tuple(d for d in ans.disks if d.volume_handle in wanted), _about(ans.not_checked, "disks"), calls)

    def egress_gateways(self, *zones: str, window_minutes: int = 60) -> Answer[tuple[EgressGateway, ...]]:
        """The cluster's NAT gateways (those serving these zones, or all) and their saturation
        over the last ``window_minutes``: port allocation errors, drops, availability."""
        q = NetworkQuestions(zones=tuple(sorted(set(zones))), window_minutes=window_minutes)
        ans, calls = self._counted(lambda: self.network(q))
        found = tuple(g for g in ans.egress_gateways if not zones or g.zone is None or g.zone in zones)
        return Answer(found, _about(ans.not_checked, "egress_gateways"), calls)

    def subnets(
        self, *, zones: Sequence[str] = (), provider_ids: Sequence[str] = (), pod_cidrs: Sequence[str] = (),
    ) -> Answer[tuple[Subnet, ...]]:
        """The subnets (and pod ranges) the cluster's nodes and pods draw IPs from, with their
        free addresses.

        Args:
            zones: the zones to look at (default: the cluster's).
            provider_ids: node ``spec.providerID`` values, where the cloud finds subnets
                through the instances (AWS, Azure).
            pod_cidrs: node ``spec.podCIDR`` values (GKE: the per-node pod ranges).
        """
        q = NetworkQuestions(zones=tuple(sorted(set(zones))), provider_ids=tuple(sorted(set(provider_ids))),
                             pod_cidrs=tuple(sorted(set(pod_cidrs))))
        ans, calls = self._counted(lambda: self.network(q))
        return Answer(ans.subnets, _about(ans.not_checked, "subnets"), calls)
