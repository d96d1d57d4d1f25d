"""Network loop rules: each rule run through run_rules, a positive and a negative case."""

from __future__ import annotations

from typing import Any

import pytest
from factories import cluster, container, event, meta, node, pod

from r2c_clouds.model.cloud import (
    CloudFacts,
    EgressGateway,
    NetworkSettings,
    NotChecked,
    Provenance,
    Subnet,
)
from r2c_clouds.model.findings import Finding, ObjectRef, Severity
from r2c_clouds.rules import run_rules

AWS = Provenance("aws", "cloudwatch:GetMetricData", "nat-0a1b2c3d4e5f67890")


def run(objs: list[dict[str, Any]], rule_id: str, facts: CloudFacts | None = None,
        captured: list[str] | None = None) -> tuple[list[Finding], list[NotChecked]]:
    return run_rules(cluster(objs, captured=captured), facts, rules=[rule_id])


def service(name: str, ns: str = "shop", selector: dict[str, str] | None = None, port: int = 80,
            target: int | str = 8080, **spec: Any) -> dict[str, Any]:
    s: dict[str, Any] = {"type": "ClusterIP", "clusterIP": "10.100.12.7",
                         "selector": selector if selector is not None else {"app": name},
                         "ports": [{"name": "http", "port": port, "protocol": "TCP", "targetPort": target}]}
    s.update(spec)
    return {"kind": "Service", "apiVersion": "v1", "metadata": meta(name, ns), "spec": s}


def endpoint_slice(svc: str, ns: str, endpoints: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": "EndpointSlice", "apiVersion": "discovery.k8s.io/v1", "addressType": "IPv4",
            "metadata": meta(f"{svc}-x7k2p", ns, labels={"kubernetes.io/service-name": svc,
                                                         "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io"}),
            "endpoints": endpoints, "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}


def ep(ip: str, pod_name: str, ns: str, *, ready: bool, node_name: str = "node-a", zone: str = "us-east-1a") -> dict[str, Any]:
    return {"addresses": [ip], "conditions": {"ready": ready, "serving": ready, "terminating": False},
            "nodeName": node_name, "zone": zone,
            "targetRef": {"kind": "Pod", "namespace": ns, "name": pod_name}}


def deployment(name: str, ns: str = "shop", replicas: int = 2, containers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"kind": "Deployment", "apiVersion": "apps/v1", "metadata": meta(name, ns),
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": containers or [container()]}}},
            "status": {"replicas": replicas, "readyReplicas": replicas}}


def web_pod(name: str, ns: str = "shop", app: str = "web", **kw: Any) -> dict[str, Any]:
    return pod(name, ns, labels={"app": app, "pod-template-hash": "7d9f8b6c5"},
               owner=("ReplicaSet", f"{app}-7d9f8b6c5"), **kw)


# --------------------------------------------------------------------------- missing-readiness-probe


def test_missing_readiness_probe_flags_the_workload_behind_a_service() -> None:
    bare = container("web", "ghcr.io/acme/web:1.4.2", readiness=False, ports=[{"containerPort": 8080, "name": "http"}])
    sidecar = container("envoy", "envoyproxy/envoy:v1.31.0", readiness=False, ports=[{"containerPort": 9901}])
    objs = [deployment("web", containers=[bare, sidecar]), service("web"),
            web_pod("web-7d9f8b6c5-abcde", containers=[bare, sidecar])]
    findings, _ = run(objs, "network.missing-readiness-probe")
    assert [f.subject for f in findings] == [ObjectRef("Deployment", "shop", "web")]
    assert findings[0].related == (ObjectRef("Service", "shop", "web"),)
    assert "web" in findings[0].message and "envoy" not in findings[0].message  # only the serving container


def test_missing_readiness_probe_quiet_with_probe_or_in_system_namespace() -> None:
    objs = [deployment("web"), service("web"), web_pod("web-7d9f8b6c5-abcde"),
            service("coredns", "kube-system", {"k8s-app": "kube-dns"}),
            pod("coredns-5d78c9869d-4xk2p", "kube-system", labels={"k8s-app": "kube-dns"},
                containers=[container("coredns", readiness=False)])]
    findings, _ = run(objs, "network.missing-readiness-probe")
    assert findings == []


def test_rule_needing_uncaptured_kind_is_not_checked() -> None:
    findings, not_checked = run([service("web")], "network.missing-readiness-probe", captured=["Service"])
    assert findings == []
    assert not_checked == [NotChecked("network.missing-readiness-probe", "not captured: Pod")]


# --------------------------------------------------------------------------- no-default-deny


def netpol(name: str, ns: str, pod_selector: dict[str, Any], types: list[str], ingress: list[Any] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": pod_selector, "policyTypes": types}
    if ingress is not None:
        spec["ingress"] = ingress
    return {"kind": "NetworkPolicy", "apiVersion": "networking.k8s.io/v1", "metadata": meta(name, ns), "spec": spec}


def test_no_default_deny_flags_namespace_with_only_allow_policies() -> None:
    allow = netpol("allow-frontend", "shop", {"matchLabels": {"app": "api"}}, ["Ingress"],
                   [{"from": [{"podSelector": {"matchLabels": {"app": "frontend"}}}]}])
    allow_all = netpol("allow-all", "shop", {}, ["Ingress"], [{}])
    findings, _ = run([web_pod("web-7d9f8b6c5-abcde"), allow, allow_all], "network.no-default-deny")
    assert [f.subject for f in findings] == [ObjectRef("Namespace", None, "shop")]
    assert "2 NetworkPolicy" in findings[0].message


def test_no_default_deny_quiet_with_default_deny_or_no_pods() -> None:
    deny = netpol("default-deny-ingress", "shop", {}, ["Ingress"])
    objs = [web_pod("web-7d9f8b6c5-abcde"), deny,
            {"kind": "Namespace", "apiVersion": "v1", "metadata": meta("empty", None)}]
    findings, _ = run(objs, "network.no-default-deny")
    assert findings == []


# --------------------------------------------------------------------------- ingress-timeout-default


def ingress(name: str, ns: str = "shop", cls: str | None = "nginx", backend: str = "web", annotations: dict[str, str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"rules": [{"host": "shop.example.com", "http": {"paths": [
        {"path": "/", "pathType": "Prefix", "backend": {"service": {"name": backend, "port": {"number": 80}}}}]}}]}
    if cls:
        spec["ingressClassName"] = cls
    return {"kind": "Ingress", "apiVersion": "networking.k8s.io/v1",
            "metadata": meta(name, ns, annotations=annotations or {}), "spec": spec}


def test_ingress_timeout_default_flags_nginx_approuting_and_alb() -> None:
    objs = [ingress("web"), ingress("api", cls="webapprouting.kubernetes.azure.com", backend="api"),
            ingress("legacy", cls=None, annotations={"kubernetes.io/ingress.class": "nginx"}),
            ingress("alb", cls="alb", annotations={"alb.ingress.kubernetes.io/scheme": "internet-facing"})]
    findings, _ = run(objs, "network.ingress-timeout-default")
    subjects = {f.subject.name: f for f in findings}
    assert set(subjects) == {"web", "api", "legacy", "alb"}
    assert subjects["web"].related == (ObjectRef("Service", "shop", "web"),)
    assert "60 s" in subjects["alb"].message and all(f.severity == Severity.LOW for f in findings)


def test_ingress_timeout_default_quiet_when_timeouts_are_set() -> None:
    objs = [ingress("web", annotations={"nginx.ingress.kubernetes.io/proxy-read-timeout": "300"}),
            ingress("alb", cls="alb", annotations={
                "alb.ingress.kubernetes.io/load-balancer-attributes": "idle_timeout.timeout_seconds=600"}),
            ingress("traefik", cls="traefik")]
    findings, _ = run(objs, "network.ingress-timeout-default")
    assert findings == []


def test_ingress_timeout_default_gce_needs_backend_config() -> None:
    svc_plain = service("web")
    svc_bc = service("api")
    svc_bc["metadata"]["annotations"] = {"cloud.google.com/backend-config": '{"default": "api-timeout"}'}
    objs = [svc_plain, svc_bc, ingress("web", cls="gce"), ingress("api", cls="gce", backend="api")]
    findings, _ = run(objs, "network.ingress-timeout-default")
    assert [f.subject.name for f in findings] == ["web"]
    assert "30 s" in findings[0].message


# --------------------------------------------------------------------------- service-no-ready-endpoints


def test_service_no_ready_endpoints_selector_typo_is_critical_behind_ingress() -> None:
    objs = [service("web", selector={"app": "webb"}), web_pod("web-7d9f8b6c5-abcde"),
            endpoint_slice("web", "shop", []), ingress("web")]
    findings, _ = run(objs, "network.service-no-ready-endpoints")
    assert len(findings) == 1
    f = findings[0]
    assert f.subject == ObjectRef("Service", "shop", "web")
    assert f.severity == Severity.CRITICAL
    assert "no pod matches its selector app=webb" in f.message and "app in (web)" in f.message
    assert ObjectRef("Ingress", "shop", "web") in f.related


def test_service_no_ready_endpoints_lists_why_pods_are_not_ready() -> None:
    crashing = web_pod("web-7d9f8b6c5-abcde", conditions=[{"type": "Ready", "status": "False", "reason": "ContainersNotReady"}],
                       container_statuses=[{"name": "app", "ready": False, "restartCount": 7, "state": {
                           "waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container=app pod=web-7d9f8b6c5-abcde_shop"}}}])
    pending = web_pod("web-7d9f8b6c5-fghij", node_name=None, phase="Pending", conditions=[
        {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
         "message": "0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."}])
    objs = [service("web"), crashing, pending,
            endpoint_slice("web", "shop", [ep("10.0.1.17", "web-7d9f8b6c5-abcde", "shop", ready=False)])]
    findings, _ = run(objs, "network.service-no-ready-endpoints")
    assert len(findings) == 1
    f = findings[0]
    assert f.severity == Severity.HIGH
    details = " ".join(e.detail for e in f.evidence)
    assert "CrashLoopBackOff" in details and "Insufficient cpu" in details
    assert set(f.related) == {ObjectRef("Pod", "shop", "web-7d9f8b6c5-abcde"), ObjectRef("Pod", "shop", "web-7d9f8b6c5-fghij")}


def test_service_no_ready_endpoints_quiet_when_ready_or_scaled_to_zero() -> None:
    objs = [service("web"), web_pod("web-7d9f8b6c5-abcde"),
            endpoint_slice("web", "shop", [ep("10.0.1.17", "web-7d9f8b6c5-abcde", "shop", ready=True)]),
            service("batch"), deployment("batch", replicas=0), endpoint_slice("batch", "shop", [])]
    findings, _ = run(objs, "network.service-no-ready-endpoints")
    assert findings == []


# --------------------------------------------------------------------------- readiness-failing

NOT_READY = [{"type": "Ready", "status": "False", "reason": "ContainersNotReady",
              "message": "containers with unready status: [app]"}]


def test_readiness_failing_reports_pod_and_selecting_services() -> None:
    p = web_pod("web-7d9f8b6c5-abcde", conditions=NOT_READY,
                container_statuses=[{"name": "app", "ready": False, "state": {"running": {"startedAt": "2026-11-25T08:01:00Z"}}}])
    ev = event("web-7d9f8b6c5-abcde.17f3a", "shop", ("Pod", "web-7d9f8b6c5-abcde"), "Unhealthy",
               'Readiness probe failed: HTTP probe failed with statuscode: 503', component="kubelet", count=42)
    findings, _ = run([service("web"), p, ev], "network.readiness-failing")
    assert [f.subject for f in findings] == [ObjectRef("Pod", "shop", "web-7d9f8b6c5-abcde")]
    assert findings[0].related == (ObjectRef("Service", "shop", "web"),)
    assert "42 time(s)" in findings[0].message and "statuscode: 503" in findings[0].message


def test_readiness_failing_quiet_for_ready_pod_or_liveness_only() -> None:
    ready = web_pod("web-7d9f8b6c5-abcde")
    ev_ready = event("a.1", "shop", ("Pod", "web-7d9f8b6c5-abcde"), "Unhealthy",
                     "Readiness probe failed: Get \"http://10.0.1.17:8080/healthz\": context deadline exceeded", component="kubelet")
    not_ready = web_pod("web-7d9f8b6c5-fghij", conditions=NOT_READY)
    ev_live = event("b.1", "shop", ("Pod", "web-7d9f8b6c5-fghij"), "Unhealthy",
                    "Liveness probe failed: HTTP probe failed with statuscode: 500", component="kubelet")
    findings, _ = run([service("web"), ready, ev_ready, not_ready, ev_live], "network.readiness-failing")
    assert findings == []


# --------------------------------------------------------------------------- nat-saturation


def test_nat_saturation_flags_port_allocation_errors() -> None:
    gw = EgressGateway("nat-0a1b2c3d4e5f67890", AWS, window_minutes=60, zone="us-east-1a",
                       port_allocation_errors=1834.0, dropped_packets=120.0, active_connections=54000.0)
    findings, _ = run([], "network.nat-saturation", CloudFacts("aws", egress_gateways=(gw,)))
    assert len(findings) == 1
    f = findings[0]
    assert f.subject == ObjectRef("NatGateway", None, "nat-0a1b2c3d4e5f67890")
    assert f.related == (ObjectRef("Zone", None, "us-east-1a"),)
    assert f.severity == Severity.HIGH
    assert f.evidence[0].ref == "aws cloudwatch:GetMetricData nat-0a1b2c3d4e5f67890"
    assert "1834 port allocation errors over the last 60 min" in f.evidence[0].detail


def test_nat_saturation_quiet_when_healthy_and_not_checked_without_facts() -> None:
    gw = EgressGateway("nat-0a1b2c3d4e5f67890", AWS, port_allocation_errors=0.0, dropped_packets=3.0)
    findings, _ = run([], "network.nat-saturation", CloudFacts("aws", egress_gateways=(gw,)))
    assert findings == []
    findings, not_checked = run([], "network.nat-saturation", None)
    assert findings == [] and [n.what for n in not_checked] == ["network.nat-saturation"]
    forbidden = CloudFacts("aws", not_checked=(NotChecked("egress_gateways", "forbidden: cloudwatch:GetMetricData"),))
    _, not_checked = run([], "network.nat-saturation", forbidden)
    assert "forbidden" in not_checked[0].reason


# --------------------------------------------------------------------------- subnet-ip-exhaustion

SUBNET_PROV = Provenance("aws", "ec2:DescribeSubnets", "subnet-0abc")


def test_subnet_ip_exhaustion_high_when_a_node_no_longer_fits() -> None:
    sn = Subnet("subnet-0abc", SUBNET_PROV, zone="us-east-1a", cidr="10.0.0.0/24", available_ips=40, total_ips=251)
    nodes = [node("node-a", "us-east-1a")]  # allocatable pods 110
    findings, _ = run(nodes, "network.subnet-ip-exhaustion", CloudFacts("aws", subnets=(sn,)))
    assert len(findings) == 1
    assert findings[0].severity == Severity.HIGH
    assert findings[0].related == (ObjectRef("Zone", None, "us-east-1a"),)
    assert "111" in findings[0].message


def test_subnet_ip_exhaustion_medium_below_floor_and_quiet_with_room() -> None:
    low = Subnet("subnet-0low", SUBNET_PROV, zone="us-central1-a", available_ips=300, total_ips=4096)
    roomy = Subnet("subnet-0big", SUBNET_PROV, zone="us-central1-a", available_ips=3000, total_ips=4096)
    findings, _ = run([node("gke-a", "us-central1-a")], "network.subnet-ip-exhaustion",
                      CloudFacts("gcp", subnets=(low, roomy)))
    assert [(f.subject.name, f.severity) for f in findings] == [("subnet-0low", Severity.MEDIUM)]


# --------------------------------------------------------------------------- cross-zone-traffic


def _zonal_cluster() -> list[dict[str, Any]]:
    return [node("node-a", "us-east-1a"), node("node-b", "us-east-1b")]


def test_cross_zone_traffic_flags_clients_in_other_zone() -> None:
    server = pod("orders-db-0", "shop", labels={"app": "orders-db"}, node_name="node-a",
                 owner=("StatefulSet", "orders-db"))
    client = pod("checkout-6c8f9d7b4-qwert", "shop", labels={"app": "checkout"}, node_name="node-b",
                 containers=[container(env=[{"name": "DATABASE_URL", "value": "postgres://app@orders-db.shop.svc.cluster.local:5432/orders"}])])
    local = pod("checkout-6c8f9d7b4-zxcvb", "shop", labels={"app": "checkout"}, node_name="node-a",
                containers=[container(args=["--db=orders-db:5432"])])
    replica_client = pod("reports-5b7c8d9e0-hjkl1", "shop", labels={"app": "reports"}, node_name="node-b",
                         containers=[container(env=[{"name": "PGHOST", "value": "orders-db-0.orders-db.shop.svc.cluster.local"}])])
    svc = service("orders-db", port=5432, target=5432)
    objs = [*_zonal_cluster(), server, client, local, replica_client, svc,
            endpoint_slice("orders-db", "shop", [ep("10.0.1.30", "orders-db-0", "shop", ready=True, zone="us-east-1a")])]
    findings, _ = run(objs, "network.cross-zone-traffic")
    assert len(findings) == 1
    f = findings[0]
    assert f.subject == ObjectRef("Service", "shop", "orders-db")
    assert f.related == (ObjectRef("Pod", "shop", "checkout-6c8f9d7b4-qwert"), ObjectRef("Pod", "shop", "reports-5b7c8d9e0-hjkl1"),
                         ObjectRef("Zone", None, "us-east-1b"))
    assert f.severity == Severity.MEDIUM
    assert "us-east-1a" in f.message and "us-east-1b" in f.message


def test_cross_zone_traffic_quiet_for_local_clients_and_bare_words() -> None:
    server = pod("orders-db-0", "shop", labels={"app": "orders-db"}, node_name="node-a")
    # same zone client, and a pod in the other zone whose arg merely contains the word
    local = pod("checkout-6c8f9d7b4-zxcvb", "shop", labels={"app": "checkout"}, node_name="node-a",
                containers=[container(env=[{"name": "DB_HOST", "value": "orders-db"}])])
    unrelated = pod("report-5b7c8d9e0-asdfg", "shop", labels={"app": "report"}, node_name="node-b",
                    containers=[container(args=["--mode", "orders-db"])])
    objs = [*_zonal_cluster(), server, local, unrelated, service("orders-db", port=5432, target=5432),
            endpoint_slice("orders-db", "shop", [ep("10.0.1.30", "orders-db-0", "shop", ready=True, zone="us-east-1a")])]
    findings, _ = run(objs, "network.cross-zone-traffic")
    assert findings == []


# --------------------------------------------------------------------------- mtu-mismatch


def daemonset(name: str, ns: str, env: list[dict[str, str]], cname: str | None = None) -> dict[str, Any]:
    return {"kind": "DaemonSet", "apiVersion": "apps/v1", "metadata": meta(name, ns),
            "spec": {"selector": {"matchLabels": {"k8s-app": name}},
                     "template": {"metadata": {"labels": {"k8s-app": name}},
                                  "spec": {"containers": [container(cname or name, f"example/{name}:v1", env=env)]}}}}


def configmap(name: str, ns: str, data: dict[str, str]) -> dict[str, Any]:
    return {"kind": "ConfigMap", "apiVersion": "v1", "metadata": meta(name, ns), "data": data}


def net_facts(mtu: int, provider: str = "azure") -> CloudFacts:
    return CloudFacts(provider, network=NetworkSettings(Provenance(provider, "managedClusters.get", "aks-prod"), network_mtu=mtu))


def test_mtu_mismatch_calico_vxlan_over_underlay() -> None:
    objs = [configmap("calico-config", "kube-system", {"veth_mtu": "1500", "typha_service_name": "none"}),
            daemonset("calico-node", "kube-system", [{"name": "CALICO_IPV4POOL_VXLAN", "value": "Always"},
                                                      {"name": "CALICO_IPV4POOL_IPIP", "value": "Never"}])]
    findings, _ = run(objs, "network.mtu-mismatch", net_facts(1500))
    assert [f.subject for f in findings] == [ObjectRef("ConfigMap", "kube-system", "calico-config")]
    assert "1550" in findings[0].message
    assert any(e.source == "azure" and "1500" in e.detail for e in findings[0].evidence)


def test_mtu_mismatch_aws_pod_mtu_above_eni_mtu_without_facts() -> None:
    objs = [daemonset("aws-node", "kube-system", [{"name": "AWS_VPC_ENI_MTU", "value": "1500"},
                                                  {"name": "POD_MTU", "value": "9001"}])]
    findings, _ = run(objs, "network.mtu-mismatch", None)
    assert [f.subject for f in findings] == [ObjectRef("DaemonSet", "kube-system", "aws-node")]


@pytest.mark.parametrize("facts", [None, "fits"])
def test_mtu_mismatch_quiet_without_evidence_or_when_it_fits(facts: str | None) -> None:
    objs = [configmap("calico-config", "kube-system", {"veth_mtu": "1450"}),
            daemonset("calico-node", "kube-system", [{"name": "CALICO_IPV4POOL_VXLAN", "value": "Always"}]),
            configmap("cilium-config", "kube-system", {"mtu": "1500", "routing-mode": "tunnel", "tunnel-protocol": "vxlan"}),
            daemonset("aws-node", "kube-system", [])]
    findings, _ = run(objs, "network.mtu-mismatch", net_facts(1500) if facts else None)
    assert findings == []


def test_service_no_ready_endpoints_reads_endpoints_when_no_slices_were_captured() -> None:
    endpoints = {"kind": "Endpoints", "apiVersion": "v1", "metadata": meta("web", "shop"),
                 "subsets": [{"notReadyAddresses": [{"ip": "10.0.1.17", "nodeName": "node-a",
                                                     "targetRef": {"kind": "Pod", "namespace": "shop", "name": "web-7d9f8b6c5-abcde"}}],
                              "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}]}]}
    ready_by_pod_status = web_pod("web-7d9f8b6c5-abcde")  # the Endpoints object is the truth, not the pod list
    findings, _ = run([service("web"), ready_by_pod_status, endpoints], "network.service-no-ready-endpoints",
                      captured=["Service", "Pod", "Endpoints"])
    assert [f.subject for f in findings] == [ObjectRef("Service", "shop", "web")]
    assert findings[0].evidence[0].ref == "Endpoints/shop/web"
    endpoints["subsets"][0]["addresses"] = endpoints["subsets"][0].pop("notReadyAddresses")
    assert run([service("web"), ready_by_pod_status, endpoints], "network.service-no-ready-endpoints",
               captured=["Service", "Pod", "Endpoints"])[0] == []


def test_cross_zone_traffic_lists_bound_pending_clients_but_needs_a_running_one() -> None:
    server = pod("orders-db-0", "shop", labels={"app": "orders-db"}, node_name="node-a")
    env = [{"name": "DATABASE_URL", "value": "postgres://orders-db.shop.svc.cluster.local:5432/orders"}]
    bound_pending = pod("checkout-6f9c7d8b5-x2x7k", "shop", labels={"app": "checkout"}, node_name="node-b",
                        phase="Pending", containers=[container(env=env)],
                        conditions=[{"type": "PodScheduled", "status": "True"}, {"type": "Ready", "status": "False"}])
    base = [*_zonal_cluster(), server, bound_pending, service("orders-db", port=5432, target=5432),
            endpoint_slice("orders-db", "shop", [ep("10.0.1.30", "orders-db-0", "shop", ready=True, zone="us-east-1a")])]
    assert run(base, "network.cross-zone-traffic")[0] == []
    running = pod("checkout-6f9c7d8b5-qwert", "shop", labels={"app": "checkout"}, node_name="node-b",
                  containers=[container(env=env)])
    (f,), _ = run([*base, running], "network.cross-zone-traffic")
    assert f.related[:2] == (ObjectRef("Pod", "shop", "checkout-6f9c7d8b5-qwert"), ObjectRef("Pod", "shop", "checkout-6f9c7d8b5-x2x7k"))
    assert "1 client pod(s) (and 1 bound, still Pending)" in f.message


# --------------------------------------------------------------------------- nat-saturation: datapath availability

AZ_NAT = ("/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups/MC_rg-payments_aks-payments_westeurope/"
          "providers/Microsoft.Network/natGateways/aks-nat-gateway")
AZ_METRICS = Provenance("azure", "Microsoft.Insights/Metrics/Read", AZ_NAT)


def test_nat_saturation_reports_low_datapath_availability_as_medium() -> None:
    from r2c_clouds.model.cloud import EgressGateway as Gw

    gw = Gw(AZ_NAT, AZ_METRICS, window_minutes=60, zone="westeurope-1", port_allocation_errors=0.0,
            dropped_packets=12.0, active_connections=820.0, datapath_availability=97.25)
    (f,), _ = run([], "network.nat-saturation", CloudFacts("azure", egress_gateways=(gw,)))
    assert f.severity == Severity.MEDIUM
    assert f.subject == ObjectRef("NatGateway", None, AZ_NAT)
    assert "datapath availability of 97.25% over the last 60 min" in f.message
    assert any(e.detail == "datapath availability 97.25% (average) over the last 60 min" for e in f.evidence)


def test_nat_saturation_quiet_at_full_datapath_availability_and_notes_it_with_errors() -> None:
    from r2c_clouds.model.cloud import EgressGateway as Gw

    healthy = Gw(AZ_NAT, AZ_METRICS, port_allocation_errors=0.0, dropped_packets=0.0, datapath_availability=99.0)
    assert run([], "network.nat-saturation", CloudFacts("azure", egress_gateways=(healthy,)))[0] == []
    unknown = Gw(AZ_NAT, AZ_METRICS, port_allocation_errors=0.0, dropped_packets=0.0)
    assert run([], "network.nat-saturation", CloudFacts("azure", egress_gateways=(unknown,)))[0] == []
    both = Gw(AZ_NAT, AZ_METRICS, port_allocation_errors=2961.0, datapath_availability=95.0)
    (f,), _ = run([], "network.nat-saturation", CloudFacts("azure", egress_gateways=(both,)))
    assert f.severity == Severity.HIGH  # port exhaustion keeps the rule's severity
    assert "2961 port allocation errors" in f.message and "datapath availability was 95%" in f.message


# --------------------------------------------------------------------------- private-endpoint-not-approved

PE_SUB = "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourceGroups"
PE_ID = f"{PE_SUB}/MC_rg-payments_aks-payments_westeurope/providers/Microsoft.Network/privateEndpoints/kube-apiserver"
PE_TARGET = f"{PE_SUB}/rg-payments/providers/Microsoft.Storage/storageAccounts/paymentsreports"


def _pe(state: str | None, endpoint_id: str = PE_ID) -> Any:
    from r2c_clouds.model.cloud import PrivateEndpoint

    return PrivateEndpoint(endpoint_id, Provenance("azure", "Microsoft.Network/privateEndpoints/read", endpoint_id),
                           subnet_id=f"{PE_SUB}/rg-net/providers/Microsoft.Network/virtualNetworks/vnet/subnets/pe",
                           target_resource_id=PE_TARGET, group_ids=("blob",), state=state,
                           dns_zones=("privatelink.blob.core.windows.net",))


@pytest.mark.parametrize("state", ["Pending", "Rejected", "Disconnected"])
def test_private_endpoint_not_approved_flags_each_state(state: str) -> None:
    (f,), _ = run([], "network.private-endpoint-not-approved", CloudFacts("azure", private_endpoints=(_pe(state),)))
    assert f.severity == Severity.HIGH
    assert f.subject == ObjectRef("PrivateEndpoint", None, "kube-apiserver")
    assert f"is {state}, not Approved" in f.message and "(blob)" in f.message
    assert f.evidence[0].detail == f"privateLinkServiceConnectionState.status: {state}"
    assert f.evidence[0].ref == f"azure Microsoft.Network/privateEndpoints/read {PE_ID}"
    assert f.docs.startswith("https://learn.microsoft.com/")


def test_private_endpoint_not_approved_quiet_when_approved_and_not_checked_without_facts() -> None:
    facts = CloudFacts("azure", private_endpoints=(_pe("Approved"), _pe(None, PE_ID + "-unknown")))
    assert run([], "network.private-endpoint-not-approved", facts)[0] == []
    findings, not_checked = run([], "network.private-endpoint-not-approved", None)
    assert findings == [] and [n.what for n in not_checked] == ["network.private-endpoint-not-approved"]
    forbidden = CloudFacts("azure", not_checked=(
        NotChecked("private_endpoints", "forbidden: Microsoft.Network/privateEndpoints/read"),))
    _, not_checked = run([], "network.private-endpoint-not-approved", forbidden)
    assert "forbidden" in not_checked[0].reason
