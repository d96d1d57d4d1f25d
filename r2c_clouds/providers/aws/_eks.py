"""Facts several loops share, fetched once per scan (the provider's ``workers.once``): the
EKS cluster, its managed node groups, and subnets (by id, batched)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from attrs import frozen
from botocore.exceptions import ClientError

from r2c_clouds.providers.aws._client import error_code
from r2c_clouds.providers.kit import CallError, chunks

if TYPE_CHECKING:
    from r2c_clouds.providers.aws import AwsProvider

__all__ = ["ClusterInfo", "Nodegroups", "cluster_info", "nodegroups", "subnets"]

#: DescribeSubnets SubnetIds per call (MaxResults tops out at 1000; keep under EC2's 200 filter values).
SUBNET_CHUNK = 200


@frozen
class ClusterInfo:
    """What ``eks:DescribeCluster`` says about the cluster (``None`` when it does not exist)."""

    name: str
    arn: str
    account: str | None
    partition: str
    issuer: str | None
    vpc_id: str | None
    subnet_ids: tuple[str, ...]
    raw: dict[str, Any]


@frozen
class Nodegroups:
    """The cluster's managed node groups (``eks:DescribeNodegroup`` each)."""

    groups: tuple[dict[str, Any], ...]


def _member(body: dict[str, Any], key: str, operation: str) -> dict[str, Any]:
    """``body[key]``, which a 200 answer must carry; a proxy's ``{}`` is not an empty cluster.

    Raises:
        CallError: the member is missing or not an object (the fact family is not checked).
    """
    value = body.get(key)
    if not isinstance(value, dict):
        raise CallError(operation, 200, "unreadable body", f"no {key} object in the answer")
    return value


def cluster_info(provider: AwsProvider) -> ClusterInfo | None:
    """DescribeCluster of the provider's cluster, once per scan; ``None`` if EKS has no such
    cluster.

    Raises:
        CallFailed: DescribeCluster was denied or throttled.
    """
    clients, name = provider.clients, provider.cluster_name

    def fetch() -> ClusterInfo | None:
        try:
            c = _member(clients.call("eks", "describe_cluster", name=name), "cluster", "eks:DescribeCluster")
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return None
            raise
        arn = str(c.get("arn", ""))
        parts = arn.split(":")
        vpc = c.get("resourcesVpcConfig", {}) or {}
        issuer = ((c.get("identity") or {}).get("oidc") or {}).get("issuer")
        return ClusterInfo(
            name=name,
            arn=arn,
            account=parts[4] if len(parts) > 4 and parts[4] else None,
            partition=parts[1] if len(parts) > 1 and parts[1] else "aws",
            issuer=str(issuer) if issuer else None,
            vpc_id=vpc.get("vpcId"),
            subnet_ids=tuple(vpc.get("subnetIds", []) or ()),
            raw=c,
        )

    return provider.workers.once(("cluster", name), fetch)


def nodegroups(provider: AwsProvider) -> Nodegroups:
    """ListNodegroups (paginated) and DescribeNodegroup per group, concurrently, once per scan.

    Raises:
        CallFailed: either call was denied or throttled.
    """
    clients, cluster = provider.clients, provider.cluster_name

    def fetch() -> Nodegroups:
        names: list[str] = []
        try:
            for page in clients.pages("eks", "list_nodegroups", clusterName=cluster):
                names.extend(page.get("nodegroups", []))
        except ClientError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                # The cluster was deleted after DescribeCluster answered: no groups is not a fact.
                raise CallError("eks:ListNodegroups", 404, "ResourceNotFoundException",
                                str(exc.response.get("Error", {}).get("Message", ""))) from exc
            raise

        def describe(ng: str) -> dict[str, Any] | None:
            try:
                out = _member(clients.call("eks", "describe_nodegroup", clusterName=cluster, nodegroupName=ng),
                              "nodegroup", "eks:DescribeNodegroup")
            except ClientError as exc:
                if error_code(exc) == "ResourceNotFoundException":
                    return None  # deleted between list and describe
                raise
            return out

        groups = [g for g in provider.workers.map(describe, sorted(set(names))) if g is not None]
        return Nodegroups(tuple(groups))

    return provider.workers.once(("nodegroups", cluster), fetch)


def subnets(provider: AwsProvider, ids: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """DescribeSubnets for ``ids`` with a ``subnet-id`` filter (unknown ids are simply absent),
    chunked, cached per id set.

    Raises:
        CallFailed: DescribeSubnets was denied or throttled.
    """
    clients = provider.clients
    wanted = tuple(sorted(set(ids)))

    def fetch() -> dict[str, dict[str, Any]]:
        def one(chunk: tuple[str, ...]) -> list[dict[str, Any]]:
            out: list[dict[str, Any]] = []
            for page in clients.pages("ec2", "describe_subnets",
                                      Filters=[{"Name": "subnet-id", "Values": list(chunk)}]):
                out.extend(page.get("Subnets", []))
            return out

        found: dict[str, dict[str, Any]] = {}
        for batch in provider.workers.map(one, [tuple(c) for c in chunks(wanted, SUBNET_CHUNK)]):
            for s in batch:
                found[s["SubnetId"]] = s
        return found

    if not wanted:
        return {}
    return provider.workers.once(("subnets", wanted), fetch)
