"""GCP network loop: Cloud NAT on the cluster's own network, the pod range's room, the MTU.

* Cloud NAT: the Cloud Routers of the cluster's network in its region (one paged
  ``routers.list``; a NAT on another VPC is not this cluster's egress, nor a NAT that does not
  cover the cluster's subnetwork), their port settings, and Cloud Monitoring over the window,
  one ``timeSeries.list`` per metric type for every gateway at once:
  ``router.googleapis.com/nat/dropped_sent_packets_count`` by ``reason``
  (``OUT_OF_RESOURCES`` is port exhaustion, ``ENDPOINT_INDEPENDENCE_CONFLICT`` is not),
  ``nat/nat_allocation_failed``, ``nat/allocated_ports`` and ``nat/port_usage``. Series are
  matched to gateways by (router id, gateway name), as the ``nat_gateway`` resource labels them.
* Pod IP space: each node takes one range of the pod range sized for its max pods per node
  (the smallest power of two holding twice as many addresses: 110 pods → /24). The ranges
  nodes hold (``spec.podCIDR``) against the pod range's size say how many more nodes fit;
  without them, the utilisation GKE reports.
* The VPC's MTU (``networks.get``).
"""

from __future__ import annotations

import ipaddress
import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from r2c_clouds.loops import NetworkAnswer, NetworkQuestions
from r2c_clouds.model.cloud import EgressGateway, NetworkSettings, NotChecked, Provenance, Subnet
from r2c_clouds.providers.kit import CallFailed, attempt

if TYPE_CHECKING:
    from r2c_clouds.providers.gcp import GcpProvider

__all__ = ["METRICS", "answer", "node_range_size"]

#: Cloud NAT gateway metrics read, each in one call for every gateway of the region.
METRICS = (
    "router.googleapis.com/nat/dropped_sent_packets_count",
    "router.googleapis.com/nat/nat_allocation_failed",
    "router.googleapis.com/nat/allocated_ports",
    "router.googleapis.com/nat/port_usage",
)
PORT_EXHAUSTION = "OUT_OF_RESOURCES"
DEFAULT_MAX_PODS = 110


def _last(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def node_range_size(max_pods: int) -> int:
    """Addresses in the pod range one GKE node takes for ``max_pods`` pods per node.

    >>> node_range_size(110), node_range_size(64), node_range_size(8)
    (256, 128, 16)
    """
    size = 1
    while size < 2 * max(1, max_pods):
        size *= 2
    return size


def answer(provider: GcpProvider, questions: NetworkQuestions) -> NetworkAnswer:
    """NAT gateways with their metrics, the pod ranges, the network's MTU."""
    not_checked: list[NotChecked] = []
    cluster = attempt("network", not_checked, provider.cluster)
    if cluster is None:
        return NetworkAnswer(not_checked=tuple(not_checked))
    net_project, network = _network_of(provider, cluster)
    subnetwork = _last(cluster.network_config.subnetwork or cluster.subnetwork or "")
    window = questions.window_minutes or provider.window_minutes
    gateways = _gateways(provider, net_project, network, subnetwork, window, not_checked)
    subnets = _pod_ranges(provider, cluster, net_project, subnetwork, questions, not_checked)
    settings = _settings(provider, cluster, net_project, network, not_checked)
    return NetworkAnswer(egress_gateways=gateways, subnets=subnets, settings=settings, not_checked=tuple(not_checked))


def _network_of(provider: GcpProvider, cluster: Any) -> tuple[str, str]:
    """(project, network name) of the cluster's VPC (a Shared VPC lives in its host project)."""
    full = cluster.network_config.network or ""
    parts = full.split("/")
    if len(parts) >= 5 and parts[0] == "projects":
        return parts[1], parts[-1]
    return provider.project, _last(cluster.network or "default")


# --------------------------------------------------------------------------- Cloud NAT


def _covers(nat: Any, subnetwork: str) -> bool:
    mode = str(nat.source_subnetwork_ip_ranges_to_nat or "")
    if mode.startswith("ALL_SUBNETWORKS") or not subnetwork:
        return True
    return any(_last(s.name) == subnetwork for s in nat.subnetworks)


def _gateways(
    provider: GcpProvider, project: str, network: str, subnetwork: str, window: int, not_checked: list[NotChecked]
) -> tuple[EgressGateway, ...]:
    region = provider.region
    try:
        routers = [
            r
            for page in provider.clients.pages(
                "compute.routers.list", provider.clients.routers().list, request={"project": project, "region": region}
            )
            for r in page.items
            if _last(r.network) == network
        ]
    except CallFailed as exc:
        not_checked.append(exc.not_checked("egress_gateways"))
        return ()
    nats = [(r, nat) for r in routers for nat in r.nats if _covers(nat, subnetwork)]
    if not nats:
        return ()
    series: dict[str, dict[tuple[str, str], Any]] = {}
    metrics_failed: CallFailed | None = None
    end = int(time.time())
    start = end - window * 60

    def read(metric: str) -> tuple[str, dict[tuple[str, str], Any] | CallFailed]:
        try:
            return metric, _read_metric(provider, project, region, metric, start, end)
        except CallFailed as exc:
            return metric, exc

    for metric, result in provider.workers.map(read, METRICS):
        if isinstance(result, CallFailed):
            metrics_failed = metrics_failed or result
            continue
        series[metric] = result
    if metrics_failed is not None:
        not_checked.append(metrics_failed.not_checked("egress_gateways"))
    out = []
    subnet_path = f"projects/{project}/regions/{region}/subnetworks/{subnetwork}" if subnetwork else ""
    for router, nat in nats:
        key = (str(router.id), nat.name)
        drops: dict[str, float] = series.get(METRICS[0], {}).get(key, {})
        failed = series.get(METRICS[1], {}).get(key)
        allocated = series.get(METRICS[2], {}).get(key)
        usage = series.get(METRICS[3], {}).get(key)
        read_any = bool(series)
        settings = [("minPortsPerVm", str(nat.min_ports_per_vm or 64)),
                    ("enableDynamicPortAllocation", str(bool(nat.enable_dynamic_port_allocation)).lower())]
        if nat.max_ports_per_vm:
            settings.append(("maxPortsPerVm", str(nat.max_ports_per_vm)))
        if nat.enable_endpoint_independent_mapping:
            settings.append(("enableEndpointIndependentMapping", "true"))
        if allocated is not None:
            settings.append(("allocatedPorts (peak)", f"{allocated:g}"))
        if usage is not None:
            settings.append(("portUsage (peak per VM and destination)", f"{usage:g}"))
        out.append(EgressGateway(
            gateway_id=nat.name,
            provenance=Provenance("gcp", "monitoring.timeSeries.list" if read_any else "compute.routers.list",
                                  f"projects/{project}/regions/{region}/routers/{router.name}"),
            window_minutes=window,
            port_allocation_errors=drops.get(PORT_EXHAUSTION, 0.0) if read_any and METRICS[0] in series else None,
            dropped_packets=sum(drops.values()) if METRICS[0] in series else None,
            active_connections=None,
            subnets=(subnet_path,) if subnet_path else (),
            drop_reasons=tuple(sorted(drops.items())),
            allocation_failed=bool(failed) if failed is not None else (False if METRICS[1] in series else None),
            settings=tuple(settings),
        ))
    return tuple(out)


def _read_metric(provider: GcpProvider, project: str, region: str, metric: str, start: int, end: int) -> dict[tuple[str, str], Any]:
    """One metric for every NAT gateway of the region: (router id, gateway) → the window's
    total by reason (dropped packets), whether it ever failed (allocation), or the peak."""
    flt = f'metric.type = "{metric}" AND resource.type = "nat_gateway" AND resource.labels.region = "{region}"'
    out: dict[tuple[str, str], Any] = {}
    for page in provider.clients.pages(
        "monitoring.timeSeries.list", provider.clients.metrics().list_time_series,
        request={"name": f"projects/{project}", "filter": flt,
                 "interval": {"start_time": {"seconds": start}, "end_time": {"seconds": end}},
                 "view": "FULL"},
    ):
        for ts in page.time_series:
            key = (ts.resource.labels.get("router_id", ""), ts.resource.labels.get("gateway_name", ""))
            values = [_value(p.value) for p in ts.points]
            if metric.endswith("dropped_sent_packets_count"):
                by_reason = out.setdefault(key, defaultdict(float))
                by_reason[ts.metric.labels.get("reason", "UNKNOWN")] += sum(values)
            elif metric.endswith("nat_allocation_failed"):
                out[key] = bool(out.get(key)) or any(values)
            else:
                out[key] = max([out.get(key, 0.0), *values])
    return {k: dict(v) if isinstance(v, defaultdict) else v for k, v in out.items()}


def _value(v: Any) -> float:
    kind = v._pb.WhichOneof("value") if hasattr(v, "_pb") else None
    if kind == "bool_value":
        return 1.0 if v.bool_value else 0.0
    if kind == "double_value":
        return float(v.double_value)
    return float(v.int64_value)


# --------------------------------------------------------------------------- pod ranges


def _pod_ranges(
    provider: GcpProvider, cluster: Any, project: str, subnetwork: str, questions: NetworkQuestions,
    not_checked: list[NotChecked],
) -> tuple[Subnet, ...]:
    ipp = cluster.ip_allocation_policy
    default_pods = cluster.default_max_pods_constraint.max_pods_per_node or DEFAULT_MAX_PODS
    # range name or CIDR → (cidr, per-node sizes of the pools using it)
    ranges: dict[str, tuple[str, str, set[int], float]] = {}
    default_name = ipp.cluster_secondary_range_name or ""
    default_cidr = ipp.cluster_ipv4_cidr_block or ""
    for np in cluster.node_pools:
        nc = np.network_config
        name = nc.pod_range or default_name
        cidr = nc.pod_ipv4_cidr_block if nc.pod_range else default_cidr
        pods = np.max_pods_constraint.max_pods_per_node or default_pods
        use = nc.pod_ipv4_range_utilization if nc.pod_range else ipp.default_pod_ipv4_range_utilization
        key = name or cidr
        if not key:
            continue
        entry = ranges.setdefault(key, (name, cidr, set(), use))
        entry[2].add(node_range_size(pods))
    if not ranges and (default_name or default_cidr):
        ranges[default_name or default_cidr] = (
            default_name, default_cidr, {node_range_size(default_pods)}, ipp.default_pod_ipv4_range_utilization
        )
    out = []
    node_cidrs = [ipaddress.ip_network(c, strict=False) for c in questions.pod_cidrs if _is_cidr(c)]
    for _key, (name, cidr, sizes, utilization) in sorted(ranges.items()):
        call = "container.clusters.get"
        if not _is_cidr(cidr) and name and subnetwork:
            found = _secondary_range(provider, project, subnetwork, name, not_checked)
            if found:
                cidr, call = found, "compute.subnetworks.get"
        if not _is_cidr(cidr):
            continue
        net = ipaddress.ip_network(cidr, strict=False)
        inside = [c for c in node_cidrs if c.version == net.version and c.subnet_of(net)]  # type: ignore[arg-type]
        total = net.num_addresses
        if inside:
            available = total - sum(c.num_addresses for c in inside)
        elif utilization:
            available = int(total * (1.0 - utilization))
        else:
            available = total
        out.append(Subnet(
            subnet_id=f"pod range {name}" if name else f"pod range {cidr}",
            provenance=Provenance("gcp", call, f"{provider.cluster_path}" if call.startswith("container")
                                  else f"projects/{project}/regions/{provider.region}/subnetworks/{subnetwork}"),
            cidr=str(net),
            available_ips=max(0, available),
            total_ips=total,
            ips_per_node=min(sizes),
        ))
    return tuple(out)


def _is_cidr(text: str) -> bool:
    try:
        ipaddress.ip_network(text, strict=False)
    except ValueError:
        return False
    return "/" in text and not text.startswith("/")


def _secondary_range(
    provider: GcpProvider, project: str, subnetwork: str, name: str, not_checked: list[NotChecked]
) -> str | None:
    def get() -> Any:
        return provider.clients.call(
            "compute.subnetworks.get", provider.clients.subnetworks().get, absent=False,
            request={"project": project, "region": provider.region, "subnetwork": subnetwork},
        )

    try:
        sn = provider.workers.once(("subnetwork", project, subnetwork), get)
    except CallFailed as exc:
        not_checked.append(exc.not_checked("subnets"))
        return None
    for r in sn.secondary_ip_ranges:
        if r.range_name == name:
            return str(r.ip_cidr_range)
    return None


# --------------------------------------------------------------------------- settings


def _settings(
    provider: GcpProvider, cluster: Any, project: str, network: str, not_checked: list[NotChecked]
) -> NetworkSettings:
    from google.api_core.exceptions import NotFound

    plugin = "dataplane-v2" if str(getattr(cluster.network_config.datapath_provider, "name", "")) == "ADVANCED_DATAPATH" else None
    mtu = None
    prov = Provenance("gcp", "container.clusters.get", provider.cluster_path)
    try:
        net = provider.clients.call("compute.networks.get", provider.clients.networks().get,
                                    request={"project": project, "network": network})
        mtu = int(net.mtu) if net.mtu else 1460  # the VPC default when unset
        prov = Provenance("gcp", "compute.networks.get", f"projects/{project}/global/networks/{network}")
    except CallFailed as exc:
        not_checked.append(exc.not_checked("network"))
    except NotFound:
        pass
    return NetworkSettings(provenance=prov, network_mtu=mtu, network_plugin=plugin)
