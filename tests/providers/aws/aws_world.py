"""An emulated AWS account for the AWS provider tests: moto's ThreadedMotoServer on
127.0.0.1 (started once per session), populated through real boto3 calls.

The account holds two EKS clusters in one VPC:

- ``shop-prod``: the domino demo's account (same node groups, roles, volumes, the saturated
  us-east-1b NAT gateway), so the demo's Kubernetes objects scan against it end to end.
- ``lab``: the odd cases: a node group whose role cannot pull from ECR, a node group whose
  Auto Scaling group does not exist, a nearly full /28 subnet.

IAM roles with correct, wrong-namespace, wildcard (StringLike), wrong-audience, explicit-Deny
and no-``sub`` trust policies serve the trust tests.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
from attrs import frozen

ACCOUNT = "123456789012"
REGION = "us-east-1"
CLUSTER = "shop-prod"
LAB = "lab"
ECR_READ_ONLY = "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly"
WORKER_POLICY = "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"


@frozen
class World:
    """What the fixture built, by role in the story."""

    endpoint: str
    issuer: str
    oidc_provider_arn: str
    vpc: str
    subnets: dict[str, str]
    nats: dict[str, str]
    volumes: dict[str, str]
    roles: dict[str, str]
    node_role: str
    bare_node_role: str
    asgs: dict[str, str]

    def session(self) -> boto3.Session:
        return boto3.Session(region_name=REGION)

    def client(self, service: str) -> Any:
        return self.session().client(service, endpoint_url=self.endpoint, region_name=REGION)


def _trust(issuer_host: str, provider_arn: str, condition: dict[str, Any] | None,
           action: Any = "sts:AssumeRoleWithWebIdentity", extra: list[dict[str, Any]] | None = None) -> str:
    stmt: dict[str, Any] = {"Effect": "Allow", "Principal": {"Federated": provider_arn}, "Action": action}
    if condition is not None:
        stmt["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [stmt, *(extra or [])]})


def _irsa(issuer_host: str, provider_arn: str, sub: str, *, op: str = "StringEquals",
          aud: str = "sts.amazonaws.com") -> str:
    return _trust(issuer_host, provider_arn, {op: {f"{issuer_host}:sub": sub, f"{issuer_host}:aud": aud}})


def build(endpoint: str) -> World:
    s = boto3.Session(region_name=REGION)

    def c(service: str) -> Any:
        return s.client(service, endpoint_url=endpoint, region_name=REGION)

    ec2, eks, iam, asg, cw = c("ec2"), c("eks"), c("iam"), c("autoscaling"), c("cloudwatch")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]

    def subnet(cidr: str, zone: str) -> str:
        return str(ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"])

    subnets = {
        "1a": subnet("10.0.0.0/19", "us-east-1a"),
        "1b": subnet("10.0.32.0/19", "us-east-1b"),
        "public-1a": subnet("10.0.64.0/24", "us-east-1a"),
        "public-1b": subnet("10.0.65.0/24", "us-east-1b"),
        "tiny-1c": subnet("10.0.66.0/28", "us-east-1c"),
    }
    nats: dict[str, str] = {}
    for zone in ("1a", "1b"):
        alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
        nat = ec2.create_nat_gateway(SubnetId=subnets[f"public-{zone}"], AllocationId=alloc)["NatGateway"]["NatGatewayId"]
        nats[zone] = str(nat)
        rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
        ec2.associate_route_table(RouteTableId=rt, SubnetId=subnets[zone])

    now = datetime.now(timezone.utc)
    for minutes_ago, errors, drops, active in ((50, 600.0, 700.0, 41000.0), (30, 734.0, 811.0, 54012.0),
                                               (10, 500.0, 700.0, 52000.0)):
        when = now - timedelta(minutes=minutes_ago)
        for nat, values in ((nats["1b"], (errors, drops, active)), (nats["1a"], (0.0, 0.0, 8214.0))):
            dims = [{"Name": "NatGatewayId", "Value": nat}]
            cw.put_metric_data(Namespace="AWS/NATGateway", MetricData=[
                {"MetricName": "ErrorPortAllocation", "Dimensions": dims, "Timestamp": when, "Value": values[0]},
                {"MetricName": "PacketsDropCount", "Dimensions": dims, "Timestamp": when, "Value": values[1]},
                {"MetricName": "ActiveConnectionCount", "Dimensions": dims, "Timestamp": when, "Value": values[2]},
            ])

    cluster_role = iam.create_role(RoleName="shop-prod-cluster-role", AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "eks.amazonaws.com"},
                                                 "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
    for name, subs in ((CLUSTER, [subnets["1a"], subnets["1b"]]), (LAB, [subnets["1a"], subnets["tiny-1c"]])):
        eks.create_cluster(name=name, roleArn=cluster_role, resourcesVpcConfig={"subnetIds": subs})
    issuer = eks.describe_cluster(name=CLUSTER)["cluster"]["identity"]["oidc"]["issuer"]
    host = issuer.removeprefix("https://")
    provider_arn = iam.create_open_id_connect_provider(
        Url=issuer, ClientIDList=["sts.amazonaws.com"], ThumbprintList=["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"]
    )["OpenIDConnectProviderArn"]

    trusts = {
        # the domino's roles
        "AmazonEKSVPCCNIRole": _irsa(host, provider_arn, "system:serviceaccount:kube-system:aws-node"),
        "AmazonEKS_EBS_CSI_DriverRole": _irsa(host, provider_arn, "system:serviceaccount:kube-system:ebs-csi-controller-sa"),
        "shop-prod-cluster-autoscaler": _irsa(host, provider_arn, "system:serviceaccount:kube-system:cluster-autoscaler"),
        "shop-prod-checkout": _irsa(host, provider_arn, "system:serviceaccount:shop:checkout"),
        # the trust cases
        "payments-api": _irsa(host, provider_arn, "system:serviceaccount:payments:api"),
        "payments-any": _irsa(host, provider_arn, "system:serviceaccount:payments:*", op="StringLike"),
        "wrong-audience": _irsa(host, provider_arn, "system:serviceaccount:shop:cart", aud="sts.amazon.com"),
        "no-sub": _trust(host, provider_arn, {"StringEquals": {f"{host}:aud": "sts.amazonaws.com"}}, action=["sts:*"]),
        "denied": _trust(host, provider_arn, {"StringLike": {f"{host}:sub": "system:serviceaccount:shop:*"}}, extra=[
            {"Effect": "Deny", "Principal": {"Federated": provider_arn}, "Action": "sts:AssumeRoleWithWebIdentity",
             "Condition": {"StringEquals": {f"{host.upper()}:SUB": "system:serviceaccount:shop:intruder"}}}]),
        "other-cluster": _irsa("oidc.eks.us-east-1.amazonaws.com/id/0000OTHERCLUSTER", provider_arn.replace(
            host, "oidc.eks.us-east-1.amazonaws.com/id/0000OTHERCLUSTER"), "system:serviceaccount:shop:search"),
        "pods-ok": json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"},
             "Action": ["sts:AssumeRole", "sts:TagSession"]}]}),
        "pods-no-tag": json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}),
    }
    node_trust = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    trusts["shop-prod-node-role"] = node_trust
    trusts["lab-bare-node-role"] = node_trust
    roles = {name: iam.create_role(RoleName=name, AssumeRolePolicyDocument=doc)["Role"]["Arn"]
             for name, doc in trusts.items()}
    for name in ("shop-prod-node-role", "lab-bare-node-role"):
        iam.attach_role_policy(RoleName=name, PolicyArn=WORKER_POLICY)
    iam.attach_role_policy(RoleName="shop-prod-node-role", PolicyArn=ECR_READ_ONLY)
    iam.put_role_policy(RoleName="lab-bare-node-role", PolicyName="deny-ecr-layers", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:GetAuthorizationToken",
                                                  "Resource": "*"}]}))

    lt = ec2.create_launch_template(LaunchTemplateName="workers", LaunchTemplateData={
        "ImageId": "ami-12c6146b", "InstanceType": "m5.large"})["LaunchTemplate"]["LaunchTemplateId"]
    asgs: dict[str, str] = {}
    groups = (
        (CLUSTER, "workers-us-east-1a", [subnets["1a"]], roles["shop-prod-node-role"], (1, 3, 3), True),
        (CLUSTER, "workers-us-east-1b", [subnets["1b"]], roles["shop-prod-node-role"], (1, 6, 3), True),
        (LAB, "bare", [subnets["1a"]], roles["lab-bare-node-role"], (1, 4, 2), True),
        (LAB, "gpu", [subnets["tiny-1c"]], roles["shop-prod-node-role"], (0, 2, 0), False),
    )
    for cluster, ng, subs, role, (mn, mx, desired), with_asg in groups:
        extra: dict[str, Any] = {}
        if ng == "gpu":
            extra = {"taints": [{"key": "nvidia.com/gpu", "value": "true", "effect": "NO_SCHEDULE"}],
                     "labels": {"workload": "gpu"}}
        out = eks.create_nodegroup(clusterName=cluster, nodegroupName=ng, subnets=subs, nodeRole=role,
                                   scalingConfig={"minSize": mn, "maxSize": mx, "desiredSize": desired},
                                   instanceTypes=["m5.large"], **extra)["nodegroup"]
        name = out["resources"]["autoScalingGroups"][0]["name"]
        asgs[ng] = name
        if with_asg:
            asg.create_auto_scaling_group(
                AutoScalingGroupName=name, LaunchTemplate={"LaunchTemplateId": lt, "Version": "$Latest"},
                MinSize=mn, MaxSize=mx, DesiredCapacity=0, VPCZoneIdentifier=",".join(subs),
                Tags=[{"Key": "k8s.io/cluster-autoscaler/enabled", "Value": "true", "PropagateAtLaunch": True},
                      {"Key": f"k8s.io/cluster-autoscaler/{cluster}", "Value": "owned", "PropagateAtLaunch": True}],
            )
            asg.update_auto_scaling_group(AutoScalingGroupName=name, DesiredCapacity=desired)

    volumes = {
        "cache-1a": ec2.create_volume(AvailabilityZone="us-east-1a", Size=20, VolumeType="gp2")["VolumeId"],
        "orders-1a": ec2.create_volume(AvailabilityZone="us-east-1a", Size=50, VolumeType="gp2")["VolumeId"],
        "data-1b": ec2.create_volume(AvailabilityZone="us-east-1b", Size=10, VolumeType="gp3")["VolumeId"],
    }
    return World(endpoint=endpoint, issuer=issuer, oidc_provider_arn=provider_arn, vpc=vpc, subnets=subnets,
                 nats=nats, volumes=volumes, roles=roles, node_role=roles["shop-prod-node-role"],
                 bare_node_role=roles["lab-bare-node-role"], asgs=asgs)


