"""Observability rules: each rule run through run_rules, a positive and a negative case."""

from __future__ import annotations

from typing import Any

from factories import cluster, container, meta, pod

from r2c_clouds.model.cloud import NotChecked
from r2c_clouds.model.findings import Finding, ObjectRef, Severity
from r2c_clouds.rules import run_rules


def run(objs: list[dict[str, Any]], rule_id: str, captured: list[str] | None = None) -> tuple[list[Finding], list[NotChecked]]:
    return run_rules(cluster(objs, captured=captured, name="prod-eu"), None, rules=[rule_id])


def workload(kind: str, name: str, ns: str, image: str, env: list[dict[str, Any]] | None = None,
             labels: dict[str, str] | None = None) -> dict[str, Any]:
    spec: dict[str, Any] = {"selector": {"matchLabels": {"app": name}},
                            "template": {"metadata": {"labels": {"app": name}},
                                         "spec": {"containers": [container(name, image, env=env or [])]}}}
    if kind != "DaemonSet":
        spec["replicas"] = 1
    return {"kind": kind, "apiVersion": "apps/v1", "metadata": meta(name, ns, labels=labels or {}), "spec": spec}


def service(name: str, ns: str, labels: dict[str, str] | None = None, annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {"kind": "Service", "apiVersion": "v1", "metadata": meta(name, ns, labels=labels or {"app": name}, annotations=annotations or {}),
            "spec": {"type": "ClusterIP", "selector": {"app": name}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}}


def service_monitor(name: str, ns: str, match: dict[str, str], any_ns: bool = False) -> dict[str, Any]:
    spec: dict[str, Any] = {"selector": {"matchLabels": match}, "endpoints": [{"port": "http", "interval": "30s"}]}
    if any_ns:
        spec["namespaceSelector"] = {"any": True}
    return {"kind": "ServiceMonitor", "apiVersion": "monitoring.coreos.com/v1", "metadata": meta(name, ns), "spec": spec}


METRICS_SERVER = workload("Deployment", "metrics-server", "kube-system", "registry.k8s.io/metrics-server/metrics-server:v0.7.2")
OPERATOR = workload("Deployment", "kube-prometheus-stack-operator", "monitoring",
                    "quay.io/prometheus-operator/prometheus-operator:v0.77.1")


# --------------------------------------------------------------------------- no-metrics-pipeline


def test_no_metrics_pipeline_medium_without_anything() -> None:
    objs = [workload("Deployment", "web", "shop", "ghcr.io/acme/web:1.4.2"),
            workload("DaemonSet", "kube-proxy", "kube-system", "registry.k8s.io/kube-proxy:v1.31.2")]
    findings, _ = run(objs, "observability.no-metrics-pipeline")
    assert [(f.subject, f.severity) for f in findings] == [(ObjectRef("Cluster", None, "prod-eu"), Severity.MEDIUM)]


def test_no_metrics_pipeline_low_with_only_metrics_server() -> None:
    findings, _ = run([METRICS_SERVER], "observability.no-metrics-pipeline")
    assert [f.severity for f in findings] == [Severity.LOW]


def test_no_metrics_pipeline_quiet_with_managed_or_operator_pipelines() -> None:
    ama = workload("DaemonSet", "ama-metrics-node", "kube-system", "mcr.microsoft.com/azuremonitor/containerinsights/ciprod/prometheus-collector/images:6.9.0-main")
    cw = workload("DaemonSet", "cloudwatch-agent", "amazon-cloudwatch", "public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.300044.0b793")
    for agent in (OPERATOR, ama, cw):
        assert run([METRICS_SERVER, agent], "observability.no-metrics-pipeline")[0] == []


def test_no_metrics_pipeline_not_checked_without_daemonsets() -> None:
    _, not_checked = run([METRICS_SERVER], "observability.no-metrics-pipeline", captured=["Deployment", "Pod"])
    assert not_checked == [NotChecked("observability.no-metrics-pipeline", "not captured: DaemonSet")]


# --------------------------------------------------------------------------- no-red-metrics


def _shop() -> list[dict[str, Any]]:
    return [pod("web-7d9f8b6c5-abcde", "shop", labels={"app": "web"}),
            pod("api-6c8f9d7b4-qwert", "shop", labels={"app": "api"}),
            pod("cart-5b7c8d9e0-asdfg", "shop", labels={"app": "cart"},)]


def test_no_red_metrics_flags_services_no_monitor_selects() -> None:
    objs = [OPERATOR, *_shop(), service("web", "shop"), service("api", "shop"),
            service_monitor("api", "shop", {"app": "api"})]
    findings, _ = run(objs, "observability.no-red-metrics")
    assert [f.subject for f in findings] == [ObjectRef("Service", "shop", "web")]
    assert findings[0].severity == Severity.LOW


def test_no_red_metrics_quiet_when_scraped_or_no_pipeline() -> None:
    annotated_pod = pod("cart-5b7c8d9e0-asdfg", "shop", labels={"app": "cart"})
    annotated_pod["metadata"]["annotations"] = {"prometheus.io/scrape": "true", "prometheus.io/port": "9090"}
    objs = [OPERATOR, *_shop()[:2], annotated_pod,
            service("web", "shop", annotations={"prometheus.io/scrape": "true"}),
            service("api", "shop", labels={"app": "api", "team": "payments"}),
            service_monitor("payments", "monitoring", {"team": "payments"}, any_ns=True),
            service("cart", "shop")]
    assert run(objs, "observability.no-red-metrics")[0] == []
    # no pipeline at all: no-metrics-pipeline is the finding, not one per Service
    assert run([*_shop(), service("web", "shop")], "observability.no-red-metrics")[0] == []


# --------------------------------------------------------------------------- log-context-missing

DOWNWARD = [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}},
            {"name": "NODE_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}},
            {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}}]


def test_log_context_missing_flags_user_workloads_without_downward_env() -> None:
    objs = [workload("Deployment", "web", "shop", "ghcr.io/acme/web:1.4.2", env=[{"name": "LOG_LEVEL", "value": "info"}]),
            workload("StatefulSet", "orders-db", "shop", "postgres:16.4")]
    findings, _ = run(objs, "observability.log-context-missing")
    assert sorted(str(f.subject) for f in findings) == ["Deployment/shop/web", "StatefulSet/shop/orders-db"]
    assert all("not inspected" in f.message for f in findings)


def test_log_context_missing_quiet_with_downward_env_or_system_namespace() -> None:
    objs = [workload("Deployment", "web", "shop", "ghcr.io/acme/web:1.4.2", env=DOWNWARD),
            workload("DaemonSet", "kube-proxy", "kube-system", "registry.k8s.io/kube-proxy:v1.31.2")]
    assert run(objs, "observability.log-context-missing")[0] == []


def test_no_red_metrics_with_annotation_discovery_and_no_servicemonitor_kind() -> None:
    server = workload("Deployment", "prometheus-server", "monitoring", "quay.io/prometheus/prometheus:v2.55.1")
    objs = [server, *_shop()[:2], service("web", "shop", annotations={"prometheus.io/scrape": "true"}), service("api", "shop")]
    kinds = ["Deployment", "DaemonSet", "Service", "Pod"]
    findings, _ = run(objs, "observability.no-red-metrics", captured=kinds)
    assert [f.subject for f in findings] == [ObjectRef("Service", "shop", "api")]
    # with prometheus-operator the scrape configuration lives in ServiceMonitors: not captured, no verdict
    assert run([OPERATOR, *objs], "observability.no-red-metrics", captured=kinds)[0] == []
