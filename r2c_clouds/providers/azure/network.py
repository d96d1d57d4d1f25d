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

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from r2c_clouds.loops import NetworkAnswer, NetworkQuestions
from r2c_clouds.model.cloud import EgressGateway, NotChecked, PrivateEndpoint, Subnet
from r2c_clouds.providers.azure._arm import BATCH_METRICS_READ, parse_resource_id, text, zone_label
from r2c_clouds.providers.azure._client import translate
from r2c_clouds.providers.azure.compute import settings_of
from r2c_clouds.providers.kit import CallFailed, attempt, chunks

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

T = TypeVar("T")

#: gateway id (lower case) → metric name (lower case) → data points (``total``/``average``).
Points = dict[str, dict[str, list[Any]]]
#: What one concurrent job of the loop found, and what it could not check.
Part = tuple[T, list[NotChecked]]


def _run(job: Callable[[], T]) -> T:
    return job()


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


def _per_resource(provider: AzureProvider, gw_id: str, window: int) -> Part[Points]:
    """The fallback: ``metrics.list`` through Resource Manager, one request per query."""
    s = provider.session
    mon = s.monitor()
    start, end = _window(provider, window)
    timespan = f"{start:%Y-%m-%dT%H:%M:%SZ}/{end:%Y-%m-%dT%H:%M:%SZ}"
    out: Points = {}
    not_checked: list[NotChecked] = []
    for names, aggregation, flt in QUERIES:
        got = attempt("egress_gateways", not_checked, partial(
            s.call, mon.metrics.list, gw_id, timespan=timespan, interval="PT5M", metricnames=",".join(names),
            aggregation=aggregation, filter=flt, metricnamespace=NAMESPACE))
        if got is not None:
            _collect(out.setdefault(gw_id.lower(), {}), got.value)
    return out, not_checked


def _batch(provider: AzureProvider, region: str, ids: list[str], window: int) -> Part[Points]:
    """``metrics:getBatch`` for up to 50 gateways of one subscription and region, one request
    per query; results map back to gateways by the prefix of ``metric.id``."""
    s = provider.session
    client = s.metrics_batch(region)
    out: Points = {}
    not_checked: list[NotChecked] = []
    for names, aggregation, flt in QUERIES:
        try:
            with translate(s.metrics_url(region)):
                got = client.query_resources(
                    resource_ids=ids, metric_namespace=NAMESPACE, metric_names=list(names),
                    timespan=_window(provider, window), granularity=timedelta(minutes=5),
                    aggregations=[aggregation], filter=flt)
        except CallFailed as exc:
            not_checked.append(exc.not_checked("egress_gateways"))
            continue
        for result in got:
            for m in result.metrics:
                mid = (m.id or "").lower()
                if _METRIC_SEP in mid:
                    _collect(out.setdefault(mid[: mid.index(_METRIC_SEP)], {}), [m])
    return out, not_checked


def _metric_jobs(provider: AzureProvider, gateways: list[Any], window: int) -> tuple[list[Callable[[], Part[Points]]], str]:
    """The jobs reading every gateway's data points, and the operation that reads them: the
    batch API when its regional endpoint is known (ceil(#gateways / 50) requests per query
    and region), else one Resource Manager ``metrics`` request per gateway and query."""
    s = provider.session
    if s.metrics_endpoint is None:
        return [partial(_per_resource, provider, gw.id, window) for gw in gateways], METRICS_READ
    groups: dict[tuple[str, str], list[str]] = {}
    mc = provider._mc
    for gw in gateways:
        region = gw.location or (mc.location if mc is not None else "") or ""
        sub = parse_resource_id(gw.id).get("subscription", "").lower()
        groups.setdefault((sub, region.lower().replace(" ", "")), []).append(gw.id)
    jobs: list[Callable[[], Part[Points]]] = [
        partial(_batch, provider, region, list(chunk), window)
        for (_, region), ids in sorted(groups.items())
        for chunk in chunks(ids, BATCH_SIZE)
    ]
    return jobs, BATCH_METRICS_READ


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
    mc = provider._mc
    return zone_label(mc.location if mc is not None else None, zones[0]) if len(zones) == 1 else None


def _node_subnets(provider: AzureProvider, mc: Any, not_checked: list[NotChecked]) -> list[str]:
    """Subnet ids of the agent pools (node and pod subnets); for a managed VNet, every subnet
    of the VNets in the node resource group."""
    ids: set[str] = set()
    try:
        profiles = provider.agent_pools()
    except CallFailed:
        profiles = list(mc.agent_pool_profiles or ())  # compute reports the pools as not checked
    for p in profiles:
        for sid in (p.vnet_subnet_id, p.pod_subnet_id):
            if sid:
                ids.add(sid)
    if ids:
        return sorted(ids)
    s = provider.session
    vnets = attempt("subnets", not_checked, partial(s.listed, s.network().virtual_networks.list, mc.node_resource_group))
    if vnets is None:
        return []
    return sorted(sn.id for v in vnets for sn in (v.subnets or ()) if sn.id)


def _vnet_of(subnet_id: str) -> tuple[str, str, str]:
    """(resource group, vnet name, subnet name) of a subnet id."""
    parts = [p for p in subnet_id.split("/") if p]
    lowered = [p.lower() for p in parts]
    vi = lowered.index("virtualnetworks")
    return parse_resource_id(subnet_id).get("resource_group", ""), parts[vi + 1], parts[-1]


def _gateways(provider: AzureProvider, mc: Any, outbound: str, subnet_ids: list[str],
              not_checked: list[NotChecked]) -> list[Any]:
    """The NAT gateways on the egress path: listed in the node resource group (managed), or
    named by the node subnets (user-assigned)."""
    s = provider.session
    net = s.network()
    if outbound == "managednatgateway":
        got = attempt("egress_gateways", not_checked, partial(s.listed, net.nat_gateways.list, mc.node_resource_group))
        return got or []
    if outbound != "userassignednatgateway":
        return []
    gw_ids: set[str] = set()
    for sid in subnet_ids:
        rg, vnet, name = _vnet_of(sid)
        sn = attempt("egress_gateways", not_checked, partial(s.call, net.subnets.get, rg, vnet, name))
        if sn is not None and sn.nat_gateway is not None and sn.nat_gateway.id:
            gw_ids.add(sn.nat_gateway.id)
    gateways: list[Any] = []
    for gid in sorted(gw_ids):
        p = parse_resource_id(gid)
        gw = attempt("egress_gateways", not_checked,
                     partial(s.call, net.nat_gateways.get, p.get("resource_group", ""), p.get("name", "")))
        if gw is not None:
            gateways.append(gw)
    return gateways


def answer(provider: AzureProvider, questions: NetworkQuestions) -> NetworkAnswer:
    """Egress gateways with metrics, subnet usage and the cluster's network settings.

    The gateways' metrics, the subnets' usage and the private endpoints are read at once on
    the provider's workers.
    """
    try:
        mc = provider.managed_cluster()
    except CallFailed as exc:
        reason = exc.reason()
        return NetworkAnswer(not_checked=(exc.not_checked("network"), NotChecked("egress_gateways", reason),
                                          NotChecked("subnets", reason), NotChecked("private_endpoints", reason)))
    settings = settings_of(provider, mc)
    not_checked: list[NotChecked] = []
    subnet_ids = _node_subnets(provider, mc, not_checked)
    gateways = _gateways(provider, mc, (settings.outbound_type or "").lower(), subnet_ids, not_checked)
    window = questions.window_minutes or provider.window_minutes
    metric_jobs, call = _metric_jobs(provider, gateways, window)
    jobs: list[Callable[[], Part[Any]]] = [
        *metric_jobs,
        partial(_subnets, provider, subnet_ids),
        partial(_private_endpoints, provider, mc, subnet_ids),
    ]
    *metric_parts, (subnets, sub_nc), (endpoints, pe_nc) = provider.workers.map(_run, jobs)
    points: Points = {}
    for part, nc in metric_parts:
        for gid, metrics in part.items():
            for metric, data in metrics.items():
                points.setdefault(gid, {}).setdefault(metric, []).extend(data)
        not_checked.extend(x for x in nc if x not in not_checked)
    not_checked.extend(sub_nc)
    not_checked.extend(pe_nc)
    egress = tuple(_gateway(provider, gw, window, points.get(gw.id.lower()), call) for gw in gateways)
    return NetworkAnswer(egress, subnets, settings, tuple(not_checked), endpoints)


def _subnets(provider: AzureProvider, subnet_ids: list[str]) -> Part[tuple[Subnet, ...]]:
    s = provider.session
    net = s.network()
    by_vnet: dict[tuple[str, str], set[str]] = {}
    for sid in subnet_ids:
        rg, vnet, _ = _vnet_of(sid)
        by_vnet.setdefault((rg, vnet), set()).add(sid.lower())
    out: list[Subnet] = []
    not_checked: list[NotChecked] = []
    for (rg, vnet), wanted in sorted(by_vnet.items()):
        usages = attempt("subnets", not_checked, partial(s.listed, net.virtual_networks.list_usage, rg, vnet))
        for u in usages or ():
            if not u.id or u.id.lower() not in wanted or u.limit is None:
                continue
            vnet_id = u.id[: u.id.lower().index("/subnets/")]
            out.append(Subnet(
                subnet_id=u.id,
                provenance=s.provenance(USAGES_READ, vnet_id),
                available_ips=int(u.limit - (u.current_value or 0)),
                total_ips=int(u.limit),
            ))
    return tuple(out), not_checked


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


def _private_endpoints(provider: AzureProvider, mc: Any, subnet_ids: list[str]) -> Part[tuple[PrivateEndpoint, ...]]:
    """Private endpoints of the node resource group (a private cluster's ``kube-apiserver``)
    and of every subnet of the cluster's VNets (data stores), with their connection state.

    Calls: ``subnets/read`` once per VNet, ``privateEndpoints/read`` once per resource group
    holding one (paged lists, never one call per endpoint).
    """
    s = provider.session
    net = s.network()
    referenced: set[str] = set()
    not_checked: list[NotChecked] = []
    vnets = sorted({_vnet_of(sid)[:2] for sid in subnet_ids})
    for rg, vnet in vnets:
        subs = attempt("private_endpoints", not_checked, partial(s.listed, net.subnets.list, rg, vnet))
        referenced.update(pe.id.lower() for sn in subs or () for pe in (sn.private_endpoints or ()) if pe.id)
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
        got = attempt("private_endpoints", not_checked, partial(s.listed, net.private_endpoints.list, rg))
        for pe in got or ():
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
    return tuple(sorted(out, key=lambda p: p.endpoint_id.lower())), not_checked
