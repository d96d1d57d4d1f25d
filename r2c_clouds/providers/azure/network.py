"""Network loop on AKS: the NAT gateway(s) on the egress path with their metrics, the
subnets nodes (and pods, Azure CNI without overlay) draw IPs from, and the outbound type.

- managed NAT gateway (``managedNATGateway``): ``natGateways`` listed in the node resource group;
- user-assigned (``userAssignedNATGateway``): each node subnet's ``natGateway`` (``subnets/read``),
  then the gateway itself;
- metrics: three queries over the window (``SNATConnectionCount`` filtered
  ``ConnectionState eq 'Failed'``; ``TotalConnectionCount,PacketDropCount``; and
  ``DatapathAvailability`` Average), since a dimension filter and the aggregation apply to
  every metric of a request. Through the regional batch API (``metrics:getBatch``,
  azure-monitor-querymetrics, ``Microsoft.Insights/Metrics/Read``): one request per query
  and chunk of 50 gateways of one subscription and region. Without a known batch endpoint
  (custom Resource Manager endpoint): ``Microsoft.Insights/metrics/read`` per gateway and query;
- subnet usage: ``virtualNetworks/usages/read`` once per VNet;
- private endpoints: ``subnets/read`` (list) once per VNet of the node subnets, then
  ``privateEndpoints/read`` (list) once per resource group holding one (the node resource group
  always: a private cluster's ``kube-apiserver`` endpoint lives there).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import TYPE_CHECKING, Any

from r2c_clouds.loops import NetworkAnswer, NetworkQuestions
from r2c_clouds.model.cloud import EgressGateway, NotChecked, PrivateEndpoint, Subnet
from r2c_clouds.providers.azure._client import BATCH_METRICS_READ, guarded, parse_resource_id, text
from r2c_clouds.providers.azure.compute import settings_of

if TYPE_CHECKING:
    from r2c_clouds.providers.azure import AzureProvider

__all__ = ["answer"]

METRICS_READ = "Microsoft.Insights/metrics/read"
USAGES_READ = "Microsoft.Network/virtualNetworks/usages/read"
PRIVATE_ENDPOINTS_READ = "Microsoft.Network/privateEndpoints/read"
NAMESPACE = "Microsoft.Network/natGateways"
FAILED_FILTER = "ConnectionState eq 'Failed'"
#: ``metrics:getBatch`` takes at most 50 resource ids (same subscription and region) per call.
BATCH_SIZE = 50
#: (metric names, aggregation, filter): one request each, since a dimension filter and the
#: aggregation apply to every metric of a request.
QUERIES: tuple[tuple[tuple[str, ...], str, str | None], ...] = (
    (("SNATConnectionCount",), "Total", FAILED_FILTER),
    (("TotalConnectionCount", "PacketDropCount"), "Total", None),
    (("DatapathAvailability",), "Average", None),
)
_METRIC_SEP = "/providers/microsoft.insights/metrics/"

#: gateway id (lower case) → metric name (lower case) → data points (``total``/``average``).
Points = dict[str, dict[str, list[Any]]]


def _listed(fn: Any, *args: Any) -> list[Any]:
    return list(fn(*args))


def _name(metric: Any) -> str:
    """A metric's name: a plain string (querymetrics) or a ``LocalizableString`` (azure-mgmt-monitor)."""
    name = metric.name
    return str(name if isinstance(name, str) or name is None else name.value or "").lower()


def _collect(into: dict[str, list[Any]], metrics: Any) -> None:
    for m in metrics or ():
        into.setdefault(_name(m), []).extend(d for ts in (m.timeseries or ()) for d in (ts.data or ()))


def _summary(points: dict[str, list[Any]] | None, metric: str, attr: str) -> list[float]:
    return [float(v) for d in (points or {}).get(metric.lower(), ()) if (v := getattr(d, attr, None)) is not None]


def _window(provider: AzureProvider, window: int) -> tuple[datetime, datetime]:
    end = datetime.strptime(provider.collected_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
    return end - timedelta(minutes=window), end


def _note(got: NotChecked, not_checked: list[NotChecked], lock: threading.Lock) -> None:
    with lock:
        if got not in not_checked:
            not_checked.append(got)


def _per_resource(provider: AzureProvider, gw_id: str, window: int, out: Points,
                  not_checked: list[NotChecked], lock: threading.Lock) -> None:
    """The fallback: ``metrics.list`` through Resource Manager, one request per query."""
    s = provider.session
    mon = s.monitor()
    start, end = _window(provider, window)
    timespan = f"{start:%Y-%m-%dT%H:%M:%SZ}/{end:%Y-%m-%dT%H:%M:%SZ}"
    for names, aggregation, flt in QUERIES:
        got = guarded("egress_gateways", s.arm_endpoint, partial(
            mon.metrics.list, gw_id, timespan=timespan, interval="PT5M", metricnames=",".join(names),
            aggregation=aggregation, filter=flt, metricnamespace=NAMESPACE))
        if isinstance(got, NotChecked):
            _note(got, not_checked, lock)
            continue
        with lock:
            _collect(out.setdefault(gw_id.lower(), {}), got.value)


def _batch(provider: AzureProvider, region: str, ids: list[str], window: int, out: Points,
           not_checked: list[NotChecked], lock: threading.Lock) -> None:
    """``metrics:getBatch`` for up to 50 gateways of one subscription and region, one request
    per query; results map back to gateways by the prefix of ``metric.id``."""
    s = provider.session
    client = s.metrics_batch(region)
    for names, aggregation, flt in QUERIES:
        got = guarded("egress_gateways", s.metrics_url(region), partial(
            client.query_resources, resource_ids=ids, metric_namespace=NAMESPACE, metric_names=list(names),
            timespan=_window(provider, window), granularity=timedelta(minutes=5),
            aggregations=[aggregation], filter=flt))
        if isinstance(got, NotChecked):
            _note(got, not_checked, lock)
            continue
        with lock:
            for result in got:
                for m in result.metrics:
                    mid = (m.id or "").lower()
                    if _METRIC_SEP in mid:
                        _collect(out.setdefault(mid[: mid.index(_METRIC_SEP)], {}), [m])


def _metrics(provider: AzureProvider, gateways: list[Any], window: int,
             not_checked: list[NotChecked]) -> tuple[Points, str]:
    """Every gateway's data points, and the operation that read them: the batch API when its
    regional endpoint is known (ceil(#gateways / 50) requests per query and region), else one
    Resource Manager ``metrics`` request per gateway and query."""
    s = provider.session
    out: Points = {}
    lock = threading.Lock()
    jobs: list[Callable[[], None]] = []
    if s.metrics_endpoint is None:
        call = METRICS_READ
        jobs = [partial(_per_resource, provider, gw.id, window, out, not_checked, lock) for gw in gateways]
    else:
        call = BATCH_METRICS_READ
        groups: dict[tuple[str, str], list[str]] = {}
        mc = provider._mc
        for gw in gateways:
            region = gw.location or (mc.location if mc is not None else "") or ""
            sub = parse_resource_id(gw.id).get("subscription", "").lower()
            groups.setdefault((sub, region.lower().replace(" ", "")), []).append(gw.id)
        for (_, region), ids in sorted(groups.items()):
            for i in range(0, len(ids), BATCH_SIZE):
                jobs.append(partial(_batch, provider, region, ids[i : i + BATCH_SIZE], window, out, not_checked, lock))
    with ThreadPoolExecutor(max_workers=provider.max_workers, thread_name_prefix="r2c-azure-metrics") as pool:
        for f in [pool.submit(job) for job in jobs]:
            f.result()
    return out, call


def _gateway(provider: AzureProvider, gw: Any, window: int, points: dict[str, list[Any]] | None, call: str) -> EgressGateway:
    failed = _summary(points, "SNATConnectionCount", "total")
    drops = _summary(points, "PacketDropCount", "total")
    active = _summary(points, "TotalConnectionCount", "total")
    avail = _summary(points, "DatapathAvailability", "average")
    zones = tuple(gw.zones or ())
    return EgressGateway(
        gateway_id=gw.id,
        provenance=provider.session.provenance(call, gw.id),
        window_minutes=window,
        zone=_zone(provider, zones),
        port_allocation_errors=sum(failed) if failed else None,
        dropped_packets=sum(drops) if drops else None,
        active_connections=max(active) if active else None,
        subnets=tuple(sn.id for sn in (gw.subnets or ()) if sn.id),
        datapath_availability=round(sum(avail) / len(avail), 3) if avail else None,
    )


def _zone(provider: AzureProvider, zones: tuple[str, ...]) -> str | None:
    from r2c_clouds.providers.azure._client import zone_label

    mc = provider._mc
    return zone_label(mc.location if mc is not None else None, zones[0]) if len(zones) == 1 else None


def _node_subnets(provider: AzureProvider, mc: Any, not_checked: list[NotChecked]) -> list[str]:
    """Subnet ids of the agent pools (node and pod subnets); for a managed VNet, every subnet
    of the VNets in the node resource group."""
    ids: set[str] = set()
    pools = guarded("subnets", provider.session.arm_endpoint, provider.agent_pools)
    profiles = mc.agent_pool_profiles or () if isinstance(pools, NotChecked) else pools
    for p in profiles:
        for sid in (p.vnet_subnet_id, p.pod_subnet_id):
            if sid:
                ids.add(sid)
    if ids:
        return sorted(ids)
    net = provider.session.network()
    vnets = guarded("subnets", provider.session.arm_endpoint,
                    lambda: list(net.virtual_networks.list(mc.node_resource_group)))
    if isinstance(vnets, NotChecked):
        not_checked.append(vnets)
        return []
    return sorted(sn.id for v in vnets for sn in (v.subnets or ()) if sn.id)


def _vnet_of(subnet_id: str) -> tuple[str, str, str]:
    """(resource group, vnet name, subnet name) of a subnet id."""
    parts = [p for p in subnet_id.split("/") if p]
    lowered = [p.lower() for p in parts]
    vi = lowered.index("virtualnetworks")
    return parse_resource_id(subnet_id).get("resource_group", ""), parts[vi + 1], parts[-1]


def answer(provider: AzureProvider, questions: NetworkQuestions) -> NetworkAnswer:
    """Egress gateways with metrics, subnet usage and the cluster's network settings."""
    s = provider.session
    mc = guarded("network", s.arm_endpoint, provider.managed_cluster)
    if isinstance(mc, NotChecked):
        return NetworkAnswer(not_checked=(mc, NotChecked("egress_gateways", mc.reason), NotChecked("subnets", mc.reason),
                                          NotChecked("private_endpoints", mc.reason)))
    settings = settings_of(provider, mc)
    not_checked: list[NotChecked] = []
    subnet_ids = _node_subnets(provider, mc, not_checked)
    net = s.network()
    outbound = (settings.outbound_type or "").lower()
    gateways: list[Any] = []
    if outbound == "managednatgateway":
        got = guarded("egress_gateways", s.arm_endpoint, lambda: list(net.nat_gateways.list(mc.node_resource_group)))
        if isinstance(got, NotChecked):
            not_checked.append(got)
        else:
            gateways = got
    elif outbound == "userassignednatgateway":
        gw_ids: set[str] = set()
        for sid in subnet_ids:
            rg, vnet, name = _vnet_of(sid)
            sn = guarded("egress_gateways", s.arm_endpoint, partial(net.subnets.get, rg, vnet, name))
            if isinstance(sn, NotChecked):
                not_checked.append(sn)
            elif sn.nat_gateway is not None and sn.nat_gateway.id:
                gw_ids.add(sn.nat_gateway.id)
        for gid in sorted(gw_ids):
            p = parse_resource_id(gid)
            got_gw = guarded("egress_gateways", s.arm_endpoint,
                             partial(net.nat_gateways.get, p.get("resource_group", ""), p.get("name", "")))
            if isinstance(got_gw, NotChecked):
                not_checked.append(got_gw)
            else:
                gateways.append(got_gw)
    window = questions.window_minutes or provider.window_minutes
    with ThreadPoolExecutor(max_workers=3, thread_name_prefix="r2c-azure-net") as pool:
        f_met = pool.submit(_metrics, provider, gateways, window, not_checked)
        f_sub = pool.submit(_subnets, provider, subnet_ids, not_checked)
        f_pe = pool.submit(_private_endpoints, provider, mc, subnet_ids, not_checked)
        points, call = f_met.result()
        subnets = f_sub.result()
        endpoints = f_pe.result()
    egress = tuple(_gateway(provider, gw, window, points.get(gw.id.lower()), call) for gw in gateways)
    return NetworkAnswer(egress, subnets, settings, tuple(not_checked), endpoints)


def _subnets(provider: AzureProvider, subnet_ids: list[str], not_checked: list[NotChecked]) -> tuple[Subnet, ...]:
    s = provider.session
    net = s.network()
    by_vnet: dict[tuple[str, str], set[str]] = {}
    for sid in subnet_ids:
        rg, vnet, _ = _vnet_of(sid)
        by_vnet.setdefault((rg, vnet), set()).add(sid.lower())
    out: list[Subnet] = []
    for (rg, vnet), wanted in sorted(by_vnet.items()):
        usages = guarded("subnets", s.arm_endpoint, partial(_listed, net.virtual_networks.list_usage, rg, vnet))
        if isinstance(usages, NotChecked):
            not_checked.append(usages)
            continue
        for u in usages:
            if not u.id or u.id.lower() not in wanted or u.limit is None:
                continue
            vnet_id = u.id[: u.id.lower().index("/subnets/")]
            out.append(Subnet(
                subnet_id=u.id,
                provenance=s.provenance(USAGES_READ, vnet_id),
                available_ips=int(u.limit - (u.current_value or 0)),
                total_ips=int(u.limit),
            ))
    return tuple(out)


def _pe_state(pe: Any) -> tuple[str | None, str | None, tuple[str, ...]]:
    """(status, target resource id, group ids) of a private endpoint's first connection
    (automatic, else manual-approval)."""
    for conn in (*(pe.private_link_service_connections or ()), *(pe.manual_private_link_service_connections or ())):
        state = conn.private_link_service_connection_state
        return (text(state.status) if state is not None else None, conn.private_link_service_id,
                tuple(conn.group_ids or ()))
    return None, None, ()


def _api_server_zone(mc: Any) -> str | None:
    """The private DNS zone of a private cluster's API server, without a call: the resource
    id's name when ``privateDNSZone`` names one, else the private FQDN without its first label."""
    prof = mc.api_server_access_profile
    zone = (prof.private_dns_zone or "") if prof is not None else ""
    if zone.lower().startswith("/subscriptions/"):
        return str(parse_resource_id(zone).get("name"))
    fqdn = mc.private_fqdn or ""
    return fqdn.split(".", 1)[1] if "." in fqdn else None


def _private_endpoints(provider: AzureProvider, mc: Any, subnet_ids: list[str],
                       not_checked: list[NotChecked]) -> tuple[PrivateEndpoint, ...]:
    """Private endpoints of the node resource group (a private cluster's ``kube-apiserver``)
    and of every subnet of the cluster's VNets (data stores), with their connection state.

    Calls: ``subnets/read`` once per VNet, ``privateEndpoints/read`` once per resource group
    holding one (paged lists, never one call per endpoint).
    """
    s = provider.session
    net = s.network()
    referenced: set[str] = set()
    vnets = sorted({_vnet_of(sid)[:2] for sid in subnet_ids})
    for rg, vnet in vnets:
        subs = guarded("private_endpoints", s.arm_endpoint, partial(_listed, net.subnets.list, rg, vnet))
        if isinstance(subs, NotChecked):
            not_checked.append(subs)
            continue
        referenced.update(pe.id.lower() for sn in subs for pe in (sn.private_endpoints or ()) if pe.id)
    groups = {mc.node_resource_group.lower(): mc.node_resource_group} if mc.node_resource_group else {}
    for pid in sorted(referenced):
        pe_rg = parse_resource_id(pid).get("resource_group")
        if pe_rg:
            groups.setdefault(pe_rg.lower(), pe_rg)
    cluster_targets = {(mc.id or "").lower()} | {
        (r.private_link_service_id or "").lower() for r in (mc.private_link_resources or ())}
    cluster_targets.discard("")
    api_zone = _api_server_zone(mc)
    node_rg = (mc.node_resource_group or "").lower()
    out: list[PrivateEndpoint] = []
    for key, rg in sorted(groups.items()):
        got = guarded("private_endpoints", s.arm_endpoint, partial(_listed, net.private_endpoints.list, rg))
        if isinstance(got, NotChecked):
            not_checked.append(got)
            continue
        for pe in got:
            if not pe.id or (key != node_rg and pe.id.lower() not in referenced):
                continue  # another workload's endpoint in a shared resource group
            state, target, group_ids = _pe_state(pe)
            api = (target or "").lower() in cluster_targets
            out.append(PrivateEndpoint(
                endpoint_id=pe.id,
                provenance=s.provenance(PRIVATE_ENDPOINTS_READ, pe.id),
                subnet_id=pe.subnet.id if pe.subnet is not None else None,
                target_resource_id=target,
                group_ids=group_ids,
                state=state,
                dns_zones=(api_zone,) if api and api_zone else (),
            ))
    return tuple(sorted(out, key=lambda p: p.endpoint_id.lower()))
