"""The AWS provider plugin (EKS): ``pip install 'r2c_clouds[aws]'``, ``r2c scan --cloud aws``.

It answers, for one EKS cluster, what the Kubernetes API cannot: IRSA / EKS Pod Identity
trust as IAM evaluates it, the node roles' ECR pull rights, managed node groups and their
zones, NAT gateway saturation and subnet IPs, and the EBS volumes behind PVs. Calls scale
with distinct cloud resources, never with pods; see docs/providers/aws.md for the calls, the
batch sizes and the least-privilege IAM policy.

The plugin has the kit's shape (:mod:`r2c_clouds.providers.kit`): this module holds the
provider and the pure detection functions and imports no SDK, so loading the entry point (for
``--help``, for ``--cloud auto``) never imports boto3; constructing a provider does. The loops
are ``identity``, ``compute``, ``network`` and ``storage`` (each ``answer(provider, questions)``),
the boto3 clients and error translation ``_client``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from r2c_clouds.errors import BadInputError, CloudUnreachableError
from r2c_clouds.model.cluster import ClusterState
from r2c_clouds.providers.kit import CloudProvider, Option

if TYPE_CHECKING:
    import boto3

    from r2c_clouds.providers.aws._client import AwsClients

__all__ = ["AwsProvider", "detect_cluster_name", "detect_region"]

_ZONE_PID = re.compile(r"^aws:///([a-z]{2}(?:-[a-z]+)+-\d+)[a-z]+/")
_CLUSTER_ARN = re.compile(r"^arn:aws[a-z-]*:eks:([a-z0-9-]+):\d{12}:cluster/([\w.-]+)$")
_EKSCTL_NAME = re.compile(r"^([\w.-]+)\.([a-z]{2}(?:-[a-z]+)+-\d+)\.eksctl\.io$")
_CA_DISCOVERY = re.compile(r"k8s\.io/cluster-autoscaler/(?!enabled\b)([\w.-]+)")
_NAME_LABELS = ("alpha.eksctl.io/cluster-name", "eks.amazonaws.com/cluster-name")


def detect_region(cluster: ClusterState) -> str | None:
    """The region from nodes (``topology.kubernetes.io/region``, else ``aws:///ZONE/i-...``
    providerIDs) or from a kubeconfig cluster ARN / eksctl name."""
    for n in cluster.nodes:
        region = n.metadata.labels.get("topology.kubernetes.io/region")
        if region:
            return region
    for n in cluster.nodes:
        m = _ZONE_PID.match(n.spec.provider_id or "")
        if m:
            return m.group(1)
    name = cluster.name or ""
    if m := _CLUSTER_ARN.match(name):
        return m.group(1)
    if m := _EKSCTL_NAME.match(name):
        return m.group(2)
    return None


def detect_cluster_name(cluster: ClusterState) -> str | None:
    """The EKS cluster name, from what EKS and its add-ons leave in the cluster.

    In order: the eksctl node label ``alpha.eksctl.io/cluster-name``; the VPC CNI's
    ``CLUSTER_NAME`` env on the ``kube-system/aws-node`` DaemonSet; the Cluster Autoscaler's
    ``--node-group-auto-discovery=...k8s.io/cluster-autoscaler/NAME``, the AWS Load Balancer
    Controller's ``--cluster-name=NAME``, Karpenter's ``CLUSTER_NAME`` env; the kubeconfig
    cluster when it is an EKS ARN (``aws eks update-kubeconfig``) or ``NAME.REGION.eksctl.io``.
    EKS itself puts no cluster-name label on managed node group nodes.
    """
    for n in cluster.nodes:
        for key in _NAME_LABELS:
            if n.metadata.labels.get(key):
                return n.metadata.labels[key]
    for ds in cluster.daemonsets:
        if ds.metadata.namespace == "kube-system" and ds.metadata.name == "aws-node":
            for c in ds.spec.template.spec.containers:
                for e in c.env:
                    if e.name == "CLUSTER_NAME" and e.value:
                        return e.value
    for d in cluster.deployments:
        for c in d.spec.template.spec.containers:
            for arg in (*c.command, *c.args):
                if "node-group-auto-discovery" in arg and (m := _CA_DISCOVERY.search(arg)):
                    return m.group(1)  # cluster-autoscaler
                if arg.startswith("--cluster-name=") and arg.split("=", 1)[1]:
                    return arg.split("=", 1)[1]  # aws-load-balancer-controller
            if d.metadata.name == "karpenter":
                for e in c.env:
                    if e.name == "CLUSTER_NAME" and e.value:
                        return e.value
    name = cluster.name or ""
    if m := _CLUSTER_ARN.match(name):
        return m.group(2)
    if m := _EKSCTL_NAME.match(name):
        return m.group(1)
    return None


def _autoscaler_present(cluster: ClusterState) -> bool | None:
    if not cluster.deployments and "Deployment" not in cluster.captured:
        return None
    return any("cluster-autoscaler" in d.metadata.name or d.metadata.name == "karpenter" for d in cluster.deployments)


class AwsProvider(CloudProvider):
    """Cloud facts for one EKS cluster, from boto3.

    Args:
        session: a boto3 session; default: the standard credential chain (environment,
            shared config / SSO profile, container or instance role).
        cluster_name: the EKS cluster (``for_cluster`` detects it).
        region: the region (``for_cluster`` detects it; else the session's).
        endpoint_url: one endpoint for every service (an emulator); boto3 also honours
            ``AWS_ENDPOINT_URL``.
        window_minutes: default metrics window when questions do not say.
        max_workers: threads for independent calls (the provider's one pool, shared by the loops).
        autoscaler: whether a Cluster Autoscaler / Karpenter runs in the cluster, when known.
        max_attempts: attempts per call (botocore standard retry mode, which backs off on throttling).

    Answers are cached for the provider's lifetime (the cluster, node groups, subnets, each
    role and policy are fetched once): use one provider per scan, as ``--cloud aws`` does.

    Raises:
        BadInputError: no cluster name, or no region.
    """

    name = "aws"
    identity_mechanism = "irsa"
    disk_driver = "ebs.csi.aws.com"
    provider_id_schemes = ("aws",)
    requires = ("boto3",)
    cli_options = (
        Option("--region", "AWS region (default: from the nodes, else AWS_REGION / the profile)",
               metavar="REGION", env="AWS_REGION"),
        Option("--cluster-name",
               "EKS cluster name (default: from the nodes, aws-node, cluster-autoscaler or the kubeconfig)",
               metavar="NAME"),
    )

    def __init__(
        self,
        session: boto3.Session | None = None,
        *,
        cluster_name: str | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        window_minutes: int = 60,
        max_workers: int = 8,
        autoscaler: bool | None = None,
        max_attempts: int = 3,
    ) -> None:
        if not cluster_name:
            raise BadInputError(
                "AWS: cannot tell the EKS cluster name from the cluster's objects; pass --cluster-name NAME"
            )
        import boto3  # the SDK, only now that a provider is made

        from r2c_clouds.providers.aws._client import AwsClients

        if session is None:
            from botocore.exceptions import ProfileNotFound

            try:
                session = boto3.Session()
            except ProfileNotFound as exc:
                raise CloudUnreachableError(
                    f"AWS: {exc}", remediation="set AWS_PROFILE to a profile of your AWS config, or unset it"
                ) from None
        region = region or session.region_name
        if not region:
            raise BadInputError("AWS: cannot tell the region from the nodes or the AWS config; pass --region REGION")
        super().__init__(max_workers=max_workers)
        self.cluster_name: str = cluster_name
        self.region: str = region
        self.window_minutes = window_minutes
        self.autoscaler = autoscaler
        self.clients: AwsClients = AwsClients(
            session, region, calls=self.calls, endpoint_url=endpoint_url,
            max_workers=self.workers.max_workers, max_attempts=max_attempts,
        )

    @classmethod
    def for_cluster(cls, cluster: ClusterState, **options: Any) -> AwsProvider:
        """A provider for ``cluster``: region and cluster name detected from its objects
        unless given (``region=``, ``cluster_name=``); other options go to the constructor.

        Raises:
            BadInputError: the cluster name or region cannot be told and was not given.
        """
        options.setdefault("region", None)
        options.setdefault("cluster_name", None)
        if options["region"] is None:
            options["region"] = detect_region(cluster)
        if options["cluster_name"] is None:
            options["cluster_name"] = detect_cluster_name(cluster)
        options.setdefault("autoscaler", _autoscaler_present(cluster))
        return cls(**options)

    def describe(self) -> tuple[str | None, str | None]:
        """The (cluster name, region) this provider looks at."""
        return self.cluster_name, self.region
