"""Network loop on AWS: the NAT gateways of the cluster's VPC with their CloudWatch
saturation metrics, the subnets nodes and pods draw IPs from (the VPC CNI gives every pod a
subnet IP), and the settings the VPC implies.

Calls: ``ec2:DescribeNatGateways`` (``Filter`` vpc-id, paginated), ``ec2:DescribeRouteTables``
(which subnets route through which gateway), ``cloudwatch:GetMetricData`` with up to 500
queries per call (5 metrics per gateway: 100 gateways per call), and ``ec2:DescribeSubnets``
shared with the compute loop.
"""

from __future__ import annotations

import contextlib
import ipaddress
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from r2c_clouds.loops.network import NetworkAnswer, NetworkQuestions
from r2c_clouds.model.cloud import EgressGateway, NetworkSettings, NotChecked, Provenance, Subnet
from r2c_clouds.providers.aws import _eks
from r2c_clouds.providers.aws._client import AwsClients
from r2c_clouds.providers.aws.compute import all_subnet_ids
from r2c_clouds.providers.kit import CallFailed, chunks

if TYPE_CHECKING:
    from r2c_clouds.providers.aws import AwsProvider

__all__ = ["METRICS", "METRIC_QUERIES_PER_CALL", "answer"]

#: GetMetricData accepts at most 500 MetricDataQuery entries per call.
METRIC_QUERIES_PER_CALL = 500
#: (CloudWatch metric, statistic, EgressGateway field), namespace AWS/NATGateway.
METRICS = (
    ("ErrorPortAllocation", "Sum", "port_allocation_errors"),
    ("PacketsDropCount", "Sum", "dropped_packets"),
    ("ActiveConnectionCount", "Maximum", "active_connections"),
    ("ConnectionAttemptCount", "Sum", "connection_attempts"),
    ("IdleTimeoutCount", "Sum", "idle_timeouts"),
)
#: AWS reserves the first four and the last address of every subnet.
_RESERVED = 5
#: MTU of traffic inside a VPC (jumbo frames), as AWS documents it.
VPC_MTU = 9001


def _nat_gateways(clients: AwsClients, vpc_id: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for page in clients.pages("ec2", "describe_nat_gateways",
                              Filter=[{"Name": "vpc-id", "Values": [vpc_id]},
                                      {"Name": "state", "Values": ["available", "pending"]}]):
        out.extend(page.get("NatGateways", []))
    return out


def _routes(clients: AwsClients, vpc_id: str, subnet_ids: set[str]) -> dict[str, set[str]]:
    """NAT gateway id → subnets whose default route goes through it (explicit association,
    else the VPC's main route table)."""
    tables: list[dict[str, Any]] = []
    for page in clients.pages("ec2", "describe_route_tables", Filters=[{"Name": "vpc-id", "Values": [vpc_id]}]):
        tables.extend(page.get("RouteTables", []))
    nat_of_table: dict[str, str] = {}
    main: str | None = None
    explicit: dict[str, str] = {}
    for t in tables:
        tid = str(t["RouteTableId"])
        for r in t.get("Routes", []):
            if r.get("DestinationCidrBlock") == "0.0.0.0/0" and r.get("NatGatewayId"):
                nat_of_table[tid] = str(r["NatGatewayId"])
        for a in t.get("Associations", []):
            if a.get("Main"):
                main = tid
            elif a.get("SubnetId"):
                explicit[str(a["SubnetId"])] = tid
    out: dict[str, set[str]] = defaultdict(set)
    for sid in subnet_ids | set(explicit):
        table = explicit.get(sid, main)
        if table is not None and table in nat_of_table:
            out[nat_of_table[table]].add(sid)
    return out


def _metrics(provider: AwsProvider, nat_ids: list[str], window_minutes: int) -> dict[tuple[str, str], float]:
    """(nat id, field) → total / peak over the window; absent when CloudWatch has no datapoint."""
    end = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    start = end - timedelta(minutes=window_minutes)
    period = max(60, window_minutes * 60)
    queries: list[tuple[str, str, str, dict[str, Any]]] = []
    for i, nat in enumerate(nat_ids):
        for j, (metric, stat, field) in enumerate(METRICS):
            qid = f"q{i}x{j}"
            queries.append((qid, nat, field, {
                "Id": qid,
                "MetricStat": {
                    "Metric": {"Namespace": "AWS/NATGateway", "MetricName": metric,
                               "Dimensions": [{"Name": "NatGatewayId", "Value": nat}]},
                    "Period": period,
                    "Stat": stat,
                },
                "ReturnData": True,
            }))
    stat_of = {field: stat for _, stat, field in METRICS}
    by_id = {q[0]: (q[1], q[2]) for q in queries}

    def one(chunk: tuple[tuple[str, str, str, dict[str, Any]], ...]) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        for page in provider.clients.pages("cloudwatch", "get_metric_data", MetricDataQueries=[q[3] for q in chunk],
                                  StartTime=start, EndTime=end):
            results.extend(page.get("MetricDataResults", []))
        return results

    out: dict[tuple[str, str], float] = {}
    for results in provider.workers.map(one, [tuple(c) for c in chunks(queries, METRIC_QUERIES_PER_CALL)]):
        for r in results:
            key = by_id.get(str(r.get("Id")))
            values = [float(v) for v in r.get("Values", [])]
            if key is None or not values:
                continue
            agg = max(values) if stat_of[key[1]] == "Maximum" else sum(values)
            out[key] = max(out.get(key, agg), agg) if stat_of[key[1]] == "Maximum" else out.get(key, 0.0) + agg
    return out


def answer(provider: AwsProvider, questions: NetworkQuestions) -> NetworkAnswer:
    """NAT gateways with their metrics over ``questions.window_minutes``, subnets' free IPs."""
    clients = provider.clients
    not_checked: list[NotChecked] = []
    try:
        info = _eks.cluster_info(provider)
    except CallFailed as exc:
        return NetworkAnswer(not_checked=(exc.not_checked("egress_gateways"), exc.not_checked("subnets"),
                                          exc.not_checked("network")))
    if info is None:
        reason = f"EKS cluster {provider.cluster_name} not found in {clients.region}"
        return NetworkAnswer(not_checked=(NotChecked("egress_gateways", reason), NotChecked("subnets", reason)))
    settings = NetworkSettings(provenance=Provenance("aws", "eks:DescribeCluster", info.arn),
                               network_mtu=VPC_MTU, network_plugin="vpc-cni")
    try:
        groups: _eks.Nodegroups | None = _eks.nodegroups(provider)
    except CallFailed:
        groups = None  # the compute loop reports it; the cluster's own subnets still count
    subnet_ids = all_subnet_ids(info, groups)

    subnets: list[Subnet] = []
    subnet_docs: dict[str, dict[str, Any]] = {}
    try:
        subnet_docs = _eks.subnets(provider, subnet_ids)
    except CallFailed as exc:
        not_checked.append(exc.not_checked("subnets"))
    for sid in sorted(subnet_docs):
        s = subnet_docs[sid]
        cidr = s.get("CidrBlock")
        total = None
        if cidr:
            try:
                total = ipaddress.ip_network(str(cidr), strict=False).num_addresses - _RESERVED
            except ValueError:
                total = None
        subnets.append(Subnet(
            subnet_id=sid, provenance=Provenance("aws", "ec2:DescribeSubnets", sid),
            zone=s.get("AvailabilityZone"), cidr=cidr,
            available_ips=s.get("AvailableIpAddressCount"), total_ips=total,
        ))

    gateways: list[EgressGateway] = []
    vpc_id = info.vpc_id or next((str(d["VpcId"]) for d in subnet_docs.values() if d.get("VpcId")), None)
    if vpc_id:
        try:
            nats = _nat_gateways(clients, vpc_id)
            try:
                routed = _routes(clients, vpc_id, set(subnet_ids))
            except CallFailed:
                routed = {}
            nat_subnets = sorted({str(n["SubnetId"]) for n in nats if n.get("SubnetId")} - set(subnet_docs))
            zone_of = {sid: str(d.get("AvailabilityZone")) for sid, d in subnet_docs.items()}
            if nat_subnets:
                with contextlib.suppress(CallFailed):
                    zone_of.update({sid: str(d.get("AvailabilityZone"))
                                    for sid, d in _eks.subnets(provider, tuple(nat_subnets)).items()})
            ids = sorted(str(n["NatGatewayId"]) for n in nats)
            values = _metrics(provider, ids, questions.window_minutes) if ids else {}
            for n in sorted(nats, key=lambda n: str(n["NatGatewayId"])):
                nid = str(n["NatGatewayId"])
                gateways.append(EgressGateway(
                    gateway_id=nid,
                    provenance=Provenance("aws", "cloudwatch:GetMetricData", nid),
                    window_minutes=questions.window_minutes,
                    zone=zone_of.get(str(n.get("SubnetId", ""))),
                    subnets=tuple(sorted(routed.get(nid, ()))),
                    port_allocation_errors=values.get((nid, "port_allocation_errors")),
                    dropped_packets=values.get((nid, "dropped_packets")),
                    active_connections=values.get((nid, "active_connections")),
                    connection_attempts=values.get((nid, "connection_attempts")),
                    idle_timeouts=values.get((nid, "idle_timeouts")),
                ))
        except CallFailed as exc:
            not_checked.append(exc.not_checked("egress_gateways"))
    return NetworkAnswer(egress_gateways=tuple(gateways), subnets=tuple(subnets), settings=settings,
                         not_checked=tuple(not_checked))
