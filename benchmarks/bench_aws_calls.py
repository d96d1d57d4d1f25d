"""AWS provider API calls at scale, against the minimum the batch limits allow.

Not a test: it asserts nothing. It starts moto's server on 127.0.0.1, builds an account with
one EKS cluster, 10,000 EBS volumes (PVs), 2,000 IRSA-annotated ServiceAccounts and 20 NAT
gateways, asks the AWS provider each loop's questions, and prints the calls per operation
next to the minimum that the batch limits allow:

- ``ec2:DescribeVolumes``: ceil(PVs / 200) (EC2's 200 filter values per call);
- ``iam:GetRole`` / ``iam:GetAccountAuthorizationDetails``: one per distinct role, or one
  sweep of ceil(roles in the account / 1,000) pages, whichever is smaller;
- ``cloudwatch:GetMetricData``: ceil(5 metrics x gateways / 500);
- ``ec2:DescribeNatGateways``: one page (up to 1,000 gateways).

Run: ``python benchmarks/bench_aws_calls.py`` (needs ``pip install 'r2c_clouds[aws]' 'moto[server]'``;
``--pvs``, ``--service-accounts``, ``--roles``, ``--nats`` change the sizes; ``--json`` prints JSON).

Measured 2026-11-25 (moto 5.2.1, boto3 1.43.11, 2 cores), defaults: 10,000 PVs; 2,000
ServiceAccounts naming 2,000 distinct roles, then 40; 20 NAT gateways (building the account
took 61 s):

| question | operation | calls made | minimum the limits allow | seconds |
|---|---|---|---|---|
| 10,000 PVs | ec2:DescribeVolumes | 50 | 50 | 45.11 |
| 2,000 SAs, 2,000 distinct roles | iam:GetAccountAuthorizationDetails | 1 | 3 | 0.8 |
| 2,000 SAs, 40 distinct roles | iam:GetRole | 40 | 40 | 0.29 |
| 20 NAT gateways | cloudwatch:GetMetricData | 1 | 1 | 0.38 |
| 20 NAT gateways | ec2:DescribeNatGateways | 1 | 1 | 0.08 |

moto ignores ``MaxItems`` on GetAccountAuthorizationDetails and returns all 2,001 roles in
one page; AWS caps a page at 1,000, so the real sweep takes 3 calls (the minimum column).
Without the sweep the 2,000 distinct roles would take 2,000 GetRole calls. The 45 s of the
volume case are moto's filter matching (every filter value against every volume), not calls.
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import sys
import time
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"


def _env() -> None:
    defaults = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": REGION,
                "AWS_EC2_METADATA_DISABLED": "true", "MOTO_IAM_LOAD_MANAGED_POLICIES": "false"}
    for k, v in defaults.items():
        os.environ.setdefault(k, v)
    os.environ.pop("AWS_PROFILE", None)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)


def build(endpoint: str, *, pvs: int, roles: int, nats: int) -> dict[str, Any]:
    import boto3

    s = boto3.Session(region_name=REGION)

    def c(service: str) -> Any:
        return s.client(service, endpoint_url=endpoint, region_name=REGION)

    ec2, eks, iam, cw = c("ec2"), c("eks"), c("iam"), c("cloudwatch")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/20", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    gateways = []
    for i in range(nats):
        sn = ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{64 + i}.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
        alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
        gateways.append(ec2.create_nat_gateway(SubnetId=sn, AllocationId=alloc)["NatGateway"]["NatGatewayId"])
    for nat in gateways[:5]:
        cw.put_metric_data(Namespace="AWS/NATGateway", MetricData=[
            {"MetricName": "ErrorPortAllocation", "Dimensions": [{"Name": "NatGatewayId", "Value": nat}], "Value": 3.0}])
    role = iam.create_role(RoleName="cluster", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    eks.create_cluster(name="bench", roleArn=role, resourcesVpcConfig={"subnetIds": [subnet]})
    issuer = eks.describe_cluster(name="bench")["cluster"]["identity"]["oidc"]["issuer"]
    host = issuer.removeprefix("https://")
    provider = iam.create_open_id_connect_provider(Url=issuer, ClientIDList=["sts.amazonaws.com"],
                                                   ThumbprintList=["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"])
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Federated": provider["OpenIDConnectProviderArn"]},
        "Action": "sts:AssumeRoleWithWebIdentity",
        "Condition": {"StringLike": {f"{host}:sub": "system:serviceaccount:*:app"}}}]})
    role_arns = [iam.create_role(RoleName=f"app-{i}", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
                 for i in range(roles)]
    volumes = [ec2.create_volume(AvailabilityZone="us-east-1a", Size=1)["VolumeId"] for _ in range(pvs)]
    return {"volumes": volumes, "roles": role_arns, "nats": gateways}


def run(pvs: int, service_accounts: int, roles: int, few_roles: int, nats: int) -> list[dict[str, Any]]:
    import boto3
    from moto.server import ThreadedMotoServer

    from r2c_clouds.loops import (
        IdentityQuestions,
        NetworkQuestions,
        StorageQuestions,
        VolumeRef,
        WorkloadIdentityRef,
    )
    from r2c_clouds.providers.aws import AwsProvider

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    t0 = time.perf_counter()
    world = build(endpoint, pvs=pvs, roles=roles, nats=nats)
    sys.stderr.write(f"built the account in {time.perf_counter() - t0:.1f}s\n")

    def provider() -> AwsProvider:
        return AwsProvider(boto3.Session(region_name=REGION), cluster_name="bench", region=REGION,
                           endpoint_url=endpoint)

    rows: list[dict[str, Any]] = []

    def measure(label: str, op: str, minimum: int, ask: Any) -> None:
        p = provider()
        t = time.perf_counter()
        ask(p)
        calls = p.api_calls()
        rows.append({"question": label, "operation": op, "calls": calls.get(op, 0), "minimum": minimum,
                     "all_calls": calls, "seconds": round(time.perf_counter() - t, 2)})

    vols = tuple(VolumeRef(f"pv-{i}", "ebs.csi.aws.com", v) for i, v in enumerate(world["volumes"]))
    measure(f"{pvs:,} PVs", "ec2:DescribeVolumes", math.ceil(pvs / 200), lambda p: p.storage(StorageQuestions(vols)))

    account_roles = roles + 1
    many = tuple(WorkloadIdentityRef(f"ns{i}", "app", "irsa", world["roles"][i % roles]) for i in range(service_accounts))
    distinct = len({r.identity for r in many})
    measure(f"{service_accounts:,} SAs, {distinct:,} distinct roles", "iam:GetAccountAuthorizationDetails"
            if distinct > 100 else "iam:GetRole", min(distinct, math.ceil(account_roles / 1000)),
            lambda p: p.identity(IdentityQuestions(service_accounts=many)))
    few = tuple(WorkloadIdentityRef(f"ns{i}", "app", "irsa", world["roles"][i % few_roles]) for i in range(service_accounts))
    measure(f"{service_accounts:,} SAs, {few_roles} distinct roles", "iam:GetRole",
            min(few_roles, math.ceil(account_roles / 1000)) if few_roles > 100 else few_roles,
            lambda p: p.identity(IdentityQuestions(service_accounts=few)))

    def network(p: AwsProvider) -> None:
        p.network(NetworkQuestions(window_minutes=60))

    measure(f"{nats} NAT gateways", "cloudwatch:GetMetricData", math.ceil(5 * nats / 500), network)
    measure(f"{nats} NAT gateways", "ec2:DescribeNatGateways", math.ceil(nats / 1000), network)
    server.stop()
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--pvs", type=int, default=10_000)
    ap.add_argument("--service-accounts", type=int, default=2_000)
    ap.add_argument("--roles", type=int, default=2_000, help="distinct roles the ServiceAccounts name")
    ap.add_argument("--few-roles", type=int, default=40, help="the second case: this many distinct roles")
    ap.add_argument("--nats", type=int, default=20)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    _env()
    rows = run(args.pvs, args.service_accounts, args.roles, args.few_roles, args.nats)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print("| question | operation | calls made | minimum the limits allow | seconds |")
    print("|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['question']} | {r['operation']} | {r['calls']} | {r['minimum']} | {r['seconds']} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
