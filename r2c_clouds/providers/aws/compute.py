"""Compute loop on AWS: EKS managed node groups and their Auto Scaling groups.

``eks:ListNodegroups`` + ``eks:DescribeNodegroup`` per group (there is no batch describe),
the groups' subnets → availability zones (``ec2:DescribeSubnets``, shared with the network
loop), and ``autoscaling:DescribeAutoScalingGroups`` by name, 50 names per call, for the
zones and bounds the Auto Scaling group really has. A group whose Auto Scaling group is
absent keeps the node group's own view. Karpenter and self-managed nodes are not node groups.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from r2c_clouds.loops.compute import ComputeAnswer, ComputeQuestions
from r2c_clouds.model.cloud import NodePool, NotChecked, Provenance
from r2c_clouds.providers.aws import _eks
from r2c_clouds.providers.kit import CallFailed, Forbidden, chunks

if TYPE_CHECKING:
    from r2c_clouds.providers.aws import AwsProvider

__all__ = ["ASG_CHUNK", "all_subnet_ids", "answer", "taint_text"]

#: Auto Scaling group names per DescribeAutoScalingGroups call (the API's default limit).
ASG_CHUNK = 50
_EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute", "PREFER_NO_SCHEDULE": "PreferNoSchedule"}
_CA_ENABLED = "k8s.io/cluster-autoscaler/enabled"


def taint_text(t: dict[str, Any]) -> str:
    """An EKS taint as ``key=value:Effect`` (Kubernetes spelling of the effect)."""
    effect = _EFFECTS.get(str(t.get("effect", "")), str(t.get("effect", "")))
    return f"{t.get('key', '')}={t.get('value', '') or ''}:{effect}"


def all_subnet_ids(info: _eks.ClusterInfo | None, groups: _eks.Nodegroups | None) -> tuple[str, ...]:
    """The cluster's and every node group's subnets: one DescribeSubnets for both loops."""
    ids = set(info.subnet_ids if info is not None else ())
    for g in groups.groups if groups is not None else ():
        ids.update(g.get("subnets", []) or [])
    return tuple(sorted(ids))


def _asgs(provider: AwsProvider, names: list[str]) -> dict[str, dict[str, Any]]:
    def one(chunk: tuple[str, ...]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for page in provider.clients.pages("autoscaling", "describe_auto_scaling_groups", AutoScalingGroupNames=list(chunk)):
            out.extend(page.get("AutoScalingGroups", []))
        return out

    found: dict[str, dict[str, Any]] = {}
    for batch in provider.workers.map(one, [tuple(c) for c in chunks(sorted(set(names)), ASG_CHUNK)]):
        for g in batch:
            found[str(g["AutoScalingGroupName"])] = g
    return found


def _reason(*failures: CallFailed) -> str:
    """One reason for several failed calls: ``forbidden: ec2:DescribeSubnets,
    autoscaling:DescribeAutoScalingGroups`` when all were denied."""
    if all(isinstance(f, Forbidden) for f in failures):
        return f"forbidden: {', '.join(f.operation for f in failures)}"
    return "; ".join(f.reason() for f in failures)


def answer(provider: AwsProvider, questions: ComputeQuestions) -> ComputeAnswer:
    """Describe the cluster's managed node groups.

    Whether a Cluster Autoscaler runs in the cluster is ``provider.autoscaler`` (``None``:
    unknown).
    """
    autoscaler = provider.autoscaler
    not_checked: list[NotChecked] = []
    try:
        groups = _eks.nodegroups(provider)
    except CallFailed as exc:
        return ComputeAnswer(not_checked=(exc.not_checked("node_pools"),))
    try:
        info = _eks.cluster_info(provider)
    except CallFailed:
        info = None  # the network loop reports it; node group subnets are enough here
    subnet_zone: dict[str, str] = {}
    subnets_failed: CallFailed | None = None
    try:
        for sid, s in _eks.subnets(provider, all_subnet_ids(info, groups)).items():
            if s.get("AvailabilityZone"):
                subnet_zone[sid] = str(s["AvailabilityZone"])
    except CallFailed as exc:
        subnets_failed = exc
    asg_names = [str(a["name"]) for g in groups.groups
                 for a in (g.get("resources") or {}).get("autoScalingGroups", []) if a.get("name")]
    asgs: dict[str, dict[str, Any]] = {}
    asgs_failed: CallFailed | None = None
    try:
        asgs = _asgs(provider, asg_names)
    except CallFailed as exc:
        asgs_failed = exc

    pools: list[NodePool] = []
    absent: list[str] = []
    for g in groups.groups:
        name = str(g["nodegroupName"])
        scaling = g.get("scalingConfig") or {}
        mins, maxs, desired = scaling.get("minSize"), scaling.get("maxSize"), scaling.get("desiredSize")
        zones = {subnet_zone[s] for s in g.get("subnets", []) or [] if s in subnet_zone}
        tagged: bool | None = None
        mine = [asgs[n] for a in (g.get("resources") or {}).get("autoScalingGroups", [])
                if (n := str(a.get("name", ""))) in asgs]
        if mine:
            zones = {str(z) for asg in mine for z in asg.get("AvailabilityZones", [])} or zones
            mins = sum(int(asg.get("MinSize", 0)) for asg in mine)
            maxs = sum(int(asg.get("MaxSize", 0)) for asg in mine)
            desired = sum(int(asg.get("DesiredCapacity", 0)) for asg in mine)
            tagged = any(t.get("Key") == _CA_ENABLED and str(t.get("Value", "")).lower() == "true"
                         for asg in mine for t in asg.get("Tags", []))
        elif asgs_failed is None and (g.get("resources") or {}).get("autoScalingGroups"):
            absent.append(name)
        can_grow = maxs is not None and mins is not None and maxs > mins
        if autoscaler is False:
            autoscaling: bool | None = False
        elif autoscaler is True and tagged is not False:
            autoscaling = can_grow
        elif tagged is not None:
            autoscaling = tagged and can_grow
        else:
            autoscaling = None
        pools.append(NodePool(
            name=name,
            provenance=Provenance("aws", "eks:DescribeNodegroup", str(g.get("nodegroupArn", name))),
            zones=tuple(sorted(zones)),
            min_size=mins,
            max_size=maxs,
            desired_size=desired,
            autoscaling=autoscaling,
            instance_types=tuple(g.get("instanceTypes") or ()),
            taints=tuple(taint_text(t) for t in g.get("taints") or ()),
            labels=tuple(sorted((str(k), str(v)) for k, v in (g.get("labels") or {}).items())),
            node_identity=g.get("nodeRole"),
        ))
    if subnets_failed is not None and asgs_failed is not None:
        # neither source of zones answered: the zone rules must not guess
        not_checked.append(NotChecked("node_pools", _reason(subnets_failed, asgs_failed)))
    elif asgs_failed is not None:
        not_checked.append(NotChecked("autoscaling_groups",
                                      f"{asgs_failed.reason()} (zones and bounds from the node groups)"))
    if absent:
        not_checked.append(NotChecked(
            "autoscaling_groups",
            f"Auto Scaling group not found for node group(s) {', '.join(sorted(absent))}: zones and bounds from the node group",
        ))
    return ComputeAnswer(node_pools=tuple(sorted(pools, key=lambda p: p.name)), not_checked=tuple(not_checked))
