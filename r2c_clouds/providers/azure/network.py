"""Network loop on AKS: the NAT gateway(s) on the egress path with their metrics, the
subnets nodes (and pods, Azure CNI without overlay) draw IPs from, and the outbound type.

- managed NAT gateway (``managedNATGateway``): ``natGateways`` listed in the node resource group;
- user-assigned (``userAssignedNATGateway``): each node subnet's ``natGateway`` (``subnets/read``),
  then the gateway itself;
- metrics: ``Microsoft.Insights/metrics/read`` twice per gateway over the window
  (``SNATConnectionCount`` filtered ``ConnectionState eq 'Failed'``, then
  ``TotalConnectionCount,PacketDropCount`` unfiltered; a dimension filter applies to every
  metric of a request);
- subnet usage: ``virtualNetworks/usages/read`` once per VNet.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from r2c_clouds.loops import NetworkAnswer, NetworkQuestions
from r2c_clouds.model.cloud import EgressGateway, NotChecked, Subnet
from r2c_clouds.providers.azure._client import guarded, parse_resource_id
from r2c_clouds.providers.azure.compute import settings_of

if TYPE_CHECKING:
    from r2c_clouds.providers.azure import AzureProvider

__all__ = ["answer"]

METRICS_READ = "Microsoft.Insights/metrics/read"
USAGES_READ = "Microsoft.Network/virtualNetworks/usages/read"
FAILED_FILTER = "ConnectionState eq 'Failed'"


def _listed(fn: Any, *args: Any) -> list[Any]:
    return list(fn(*args))


def _total(response: Any, metric: str) -> tuple[float | None, float | None]:
    """(sum, peak) of the ``total`` values of one metric over all its time series."""
    values = [
        d.total
        for m in (response.value or ())
        if m.name is not None and (m.name.value or "").lower() == metric.lower()
        for ts in (m.timeseries or ())
        for d in (ts.data or ())
        if d.total is not None
    ]
    if not values:
        return None, None
    return float(sum(values)), float(max(values))


def _gateway(provider: AzureProvider, gw: Any, window: int, not_checked: list[NotChecked]) -> EgressGateway:
    s = provider.session
    mon = s.monitor()
    end = provider.collected_at
    start = _minus(end, window)
    timespan = f"{start}/{end}"
    failed = guarded("egress_gateways", s.arm_endpoint, lambda: mon.metrics.list(
        gw.id, timespan=timespan, interval="PT5M", metricnames="SNATConnectionCount",
        aggregation="Total", filter=FAILED_FILTER, metricnamespace="Microsoft.Network/natGateways"))
    rest = guarded("egress_gateways", s.arm_endpoint, lambda: mon.metrics.list(
        gw.id, timespan=timespan, interval="PT5M", metricnames="TotalConnectionCount,PacketDropCount",
        aggregation="Total", metricnamespace="Microsoft.Network/natGateways"))
    errors = drops = active = None
    for got in (failed, rest):
        if isinstance(got, NotChecked) and got not in not_checked:
            not_checked.append(got)
    if not isinstance(failed, NotChecked):
        errors, _ = _total(failed, "SNATConnectionCount")
    if not isinstance(rest, NotChecked):
        drops, _ = _total(rest, "PacketDropCount")
        _, active = _total(rest, "TotalConnectionCount")
    zones = tuple(gw.zones or ())
    return EgressGateway(
        gateway_id=gw.id,
        provenance=s.provenance(METRICS_READ, gw.id),
        window_minutes=window,
        zone=_zone(provider, zones),
        port_allocation_errors=errors,
        dropped_packets=drops,
        active_connections=active,
        subnets=tuple(sn.id for sn in (gw.subnets or ()) if sn.id),
    )


def _zone(provider: AzureProvider, zones: tuple[str, ...]) -> str | None:
    from r2c_clouds.providers.azure._client import zone_label

    mc = provider._mc
    return zone_label(mc.location if mc is not None else None, zones[0]) if len(zones) == 1 else None


def _minus(rfc3339: str, minutes: int) -> str:
    from datetime import datetime

    t = datetime.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ") - timedelta(minutes=minutes)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


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
        return NetworkAnswer(not_checked=(mc, NotChecked("egress_gateways", mc.reason), NotChecked("subnets", mc.reason)))
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
    with ThreadPoolExecutor(max_workers=provider.max_workers, thread_name_prefix="r2c-azure-net") as pool:
        f_gws = [pool.submit(_gateway, provider, gw, window, not_checked) for gw in gateways]
        f_sub = pool.submit(_subnets, provider, subnet_ids, not_checked)
        egress = tuple(f.result() for f in f_gws)
        subnets = f_sub.result()
    return NetworkAnswer(egress, subnets, settings, tuple(not_checked))


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
