"""observability rules: is there a metrics pipeline, are the Services' RED metrics scraped,
and do workloads get the context every log line must carry.

The pipeline is recognised from the agents' Deployments, DaemonSets and StatefulSets (their
names and image names), since that is what a Kubernetes-only snapshot shows; a SaaS agent
configured outside the cluster is invisible here.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

import msgspec

from r2c_clouds.model import kube as k
from r2c_clouds.model.cluster import ClusterState, is_system_namespace, selector_matches
from r2c_clouds.model.findings import Evidence, Finding, ObjectRef, Severity
from r2c_clouds.rules._registry import RuleContext, rule
from r2c_clouds.rules._workloads import qualified_name
from r2c_clouds.rules.network import selector_index

__all__ = ["log_context_missing", "metrics_pipeline", "no_metrics_pipeline", "no_red_metrics"]

#: Pipeline agents: (label, pattern on workload or image names, scrape configuration visible
#: here: ServiceMonitors or prometheus.io annotations). Managed Prometheus (ama-metrics,
#: GMP PodMonitoring), vmagent and SaaS agents configure scraping in objects not captured.
PIPELINES: tuple[tuple[str, re.Pattern[str], bool], ...] = (
    ("prometheus-operator", re.compile(r"prometheus-operator|kube-prometheus"), True),
    ("prometheus", re.compile(r"^prometheus(-server)?$|^prometheus-.*-prometheus$|^prometheus-k8s$"), True),
    ("Azure Monitor managed Prometheus (ama-metrics)", re.compile(r"^ama-metrics"), False),
    ("Google Managed Prometheus", re.compile(r"^gmp-operator$|^collector$|gke-metrics-agent"), False),
    ("Amazon CloudWatch agent", re.compile(r"cloudwatch-agent"), False),
    ("AWS Distro for OpenTelemetry", re.compile(r"^adot|aws-otel-collector"), False),
    ("OpenTelemetry Collector", re.compile(r"otel-collector|opentelemetry-collector|otelcol"), False),
    ("Datadog agent", re.compile(r"^datadog(-agent|-cluster-agent)?"), False),
    ("Grafana Agent / Alloy", re.compile(r"^grafana-agent|^alloy$"), False),
    ("VictoriaMetrics vmagent", re.compile(r"^vmagent|victoria-metrics"), False),
)
_METRICS_SERVER = re.compile(r"^metrics-server$")


def _image_base(image: str | None) -> str:
    name = (image or "").split("@", 1)[0].rsplit("/", 1)[-1]
    return name.split(":", 1)[0].lower()


def _workloads(cluster: ClusterState) -> Iterator[tuple[str, k.ObjectMeta, k.PodTemplateSpec]]:
    for d in cluster.deployments:
        yield "Deployment", d.metadata, d.spec.template
    for s in cluster.statefulsets:
        yield "StatefulSet", s.metadata, s.spec.template
    for ds in cluster.daemonsets:
        yield "DaemonSet", ds.metadata, ds.spec.template


def _names(meta: k.ObjectMeta, template: k.PodTemplateSpec) -> list[str]:
    names = [meta.name.lower(), meta.labels.get("app.kubernetes.io/name", "").lower()]
    names += [_image_base(c.image) for c in template.spec.containers]
    return [n for n in names if n]


def metrics_pipeline(cluster: ClusterState) -> tuple[list[tuple[str, str, bool]], str | None]:
    """The metrics agents found, as ``(label, workload ref, scrapes Prometheus targets)``, and
    the metrics-server workload ref if there is one (read once per cluster: two rules ask)."""
    found, metrics_server = cluster.memo("r2c_clouds.rules.observability:metrics-pipeline", _metrics_pipeline)
    return list(found), metrics_server


def _metrics_pipeline(cluster: ClusterState) -> tuple[list[tuple[str, str, bool]], str | None]:
    found: list[tuple[str, str, bool]] = []
    metrics_server: str | None = None
    for kind, meta, template in _workloads(cluster):
        names = _names(meta, template)
        ref = f"{kind}/{meta.namespace}/{meta.name}"
        if any(_METRICS_SERVER.match(n) for n in names):
            metrics_server = metrics_server or ref
            continue
        for label, pattern, prom in PIPELINES:
            if any(pattern.search(n) for n in names):
                found.append((label, ref, prom))
                break
    return found, metrics_server


def _cluster_ref(cluster: ClusterState) -> ObjectRef:
    return ObjectRef("Cluster", None, cluster.name or "cluster")


# --------------------------------------------------------------------------- no-metrics-pipeline


@rule(
    "observability.no-metrics-pipeline",
    severity=Severity.MEDIUM,
    title="No metrics pipeline in the cluster",
    rationale=(
        "Without a metrics agent nothing records request rates, errors, latency or saturation: "
        "incidents are found by users, autoscaling on anything but CPU is impossible, and "
        "without metrics-server even kubectl top and CPU-based HPAs do not work."
    ),
    remediation=(
        "Enable the cloud's managed collection (EKS: the amazon-cloudwatch-observability or ADOT "
        "add-on, AKS: az aks update --enable-azure-monitor-metrics, GKE: Managed Service for "
        "Prometheus) or install kube-prometheus-stack; keep metrics-server for HPA."
    ),
    docs="https://kubernetes.io/docs/tasks/debug/debug-cluster/resource-metrics-pipeline/",
    needs=("Deployment", "DaemonSet"),
)
def no_metrics_pipeline(ctx: RuleContext) -> Iterator[Finding]:
    """A cluster with no metrics agent among its workloads (and whether metrics-server exists)."""
    cluster = ctx.cluster
    found, metrics_server = metrics_pipeline(cluster)
    if found:
        return
    ref = _cluster_ref(cluster)
    kinds = "Deployments, DaemonSets" + (", StatefulSets" if cluster.has("StatefulSet") else "")
    looked = f"none of prometheus / prometheus-operator / ama-metrics / gmp / cloudwatch-agent / ADOT / OpenTelemetry / Datadog among {kinds}"
    if metrics_server:
        yield ctx.finding(
            ref,
            f"Cluster has only metrics-server ({metrics_server}): resource metrics for kubectl top and HPA, "
            "but no pipeline that stores application or cluster metrics.",
            evidence=[Evidence("kubernetes", metrics_server, "metrics-server present"), Evidence("kubernetes", str(ref), looked)],
            severity=Severity.LOW,
        )
        return
    yield ctx.finding(
        ref,
        "Cluster has no metrics pipeline and no metrics-server: no stored metrics, no kubectl top, no CPU-based HPA.",
        evidence=[Evidence("kubernetes", str(ref), looked + "; no metrics-server")],
    )


# --------------------------------------------------------------------------- no-red-metrics


def _monitor_selects(sm: k.ServiceMonitor, svc: k.Service) -> bool:
    spec = sm.spec
    ns_sel = spec.get("namespaceSelector")
    ns_sel = ns_sel if isinstance(ns_sel, dict) else {}
    svc_ns = svc.metadata.namespace
    if ns_sel.get("any") is True:
        pass
    elif isinstance(ns_sel.get("matchNames"), list) and ns_sel["matchNames"]:
        if svc_ns not in ns_sel["matchNames"]:
            return False
    elif svc_ns != sm.metadata.namespace:
        return False
    try:
        selector = msgspec.convert(spec.get("selector") or {}, k.LabelSelector)
    except msgspec.ValidationError:
        return False
    return selector_matches(selector, svc.metadata.labels)


def _scrape_annotated(meta: k.ObjectMeta | None) -> bool:
    return meta is not None and meta.annotations.get("prometheus.io/scrape", "").lower() == "true"


@rule(
    "observability.no-red-metrics",
    severity=Severity.LOW,
    title="Service is not scraped for request metrics",
    rationale=(
        "Rate, errors and duration per Service are the first signals of an incident and what SLOs "
        "and autoscaling on traffic are built on; a Service no scrape configuration selects has none."
    ),
    remediation=(
        "Expose /metrics and add a ServiceMonitor selecting the Service's labels (prometheus-operator, "
        "ama-metrics and GMP read them), or annotate the Service/pods with prometheus.io/scrape: \"true\" "
        "and prometheus.io/port where the pipeline uses annotation discovery."
    ),
    docs="https://learn.microsoft.com/azure/aks/monitor-aks",
    needs=("Service", "Pod", "Deployment", "DaemonSet"),
)
def no_red_metrics(ctx: RuleContext) -> Iterator[Finding]:
    """User Services no ServiceMonitor selects and no ``prometheus.io/scrape`` annotation covers."""
    # Decision: only checked when a Prometheus-style pipeline exists (without one,
    # no-metrics-pipeline is the finding), and only when ServiceMonitors were captured if the
    # pipeline is operator-based (otherwise scraping cannot be told from here).
    cluster = ctx.cluster
    found, _ = metrics_pipeline(cluster)
    prom = [f for f in found if f[2]]
    if not prom:
        return
    if not cluster.has("ServiceMonitor") and any(f[0] != "prometheus" for f in prom):
        return
    monitors: dict[str, list[k.ServiceMonitor]] = defaultdict(list)
    any_ns: list[k.ServiceMonitor] = []
    for sm in cluster.service_monitors:
        ns_sel = sm.spec.get("namespaceSelector")
        if isinstance(ns_sel, dict) and (ns_sel.get("any") is True or ns_sel.get("matchNames")):
            any_ns.append(sm)
        else:
            monitors[sm.metadata.namespace or ""].append(sm)
    pipeline = ", ".join(sorted({f"{label} ({ref})" for label, ref, _ in prom}))
    index = selector_index(cluster)
    for svc in cluster.services:
        ns = svc.metadata.namespace or ""
        if is_system_namespace(ns) or not svc.spec.selector or svc.spec.type == "ExternalName":
            continue
        if any(_monitor_selects(sm, svc) for sm in (*monitors.get(ns, ()), *any_ns)):
            continue
        if _scrape_annotated(svc.metadata):
            continue
        pods = index.pods(ns, svc.spec.selector)
        if not pods or any(_scrape_annotated(p.metadata) for p in pods):
            continue
        ref = ObjectRef("Service", ns, svc.metadata.name)
        yield ctx.finding(
            ref,
            f"Service {ns}/{svc.metadata.name} is not scraped: no ServiceMonitor selects it and neither it "
            f"nor its {len(pods)} pod(s) carry prometheus.io/scrape: \"true\".",
            evidence=[Evidence("kubernetes", str(ref), f"labels {dict(sorted(svc.metadata.labels.items()))}; pipeline: {pipeline}")],
        )


# --------------------------------------------------------------------------- log-context-missing

#: Downward-API field paths carrying log context, and the variable names usually given to them.
CONTEXT_FIELDS = {"metadata.name": "POD_NAME", "spec.nodeName": "NODE_NAME", "metadata.namespace": "POD_NAMESPACE"}


def _field_refs(spec: k.PodSpec) -> set[str]:
    paths: set[str] = set()
    for c in spec.containers:
        for e in c.env:
            fr = e.value_from.field_ref if e.value_from is not None else None
            if fr is not None and fr.field_path in CONTEXT_FIELDS:
                paths.add(fr.field_path)
    return paths


@rule(
    "observability.log-context-missing",
    severity=Severity.LOW,
    title="Workload does not receive pod, node and namespace context for its logs",
    rationale=(
        "Every log line should carry trace_id, pod_name, node_name, namespace and zone so an "
        "incident can be followed across replicas, nodes and zones; a container that is not given "
        "its pod, node and namespace through the downward API cannot log them."
    ),
    remediation=(
        "Add env entries with valueFrom.fieldRef: POD_NAME (metadata.name), NODE_NAME (spec.nodeName), "
        "POD_NAMESPACE (metadata.namespace), and log them (or let the OpenTelemetry SDK/Collector's "
        "k8sattributes processor add them); take trace_id from the tracing context."
    ),
    docs="https://kubernetes.io/docs/tasks/inject-data-application/environment-variable-expose-pod-information/",
    needs=("Deployment", "DaemonSet"),
)
def log_context_missing(ctx: RuleContext) -> Iterator[Finding]:
    """User workloads whose containers get no pod, node or namespace through the downward API."""
    cluster = ctx.cluster
    for kind, meta, template in _workloads(cluster):
        ns = meta.namespace
        if is_system_namespace(ns):
            continue
        if _field_refs(template.spec):
            continue
        # an admission webhook (e.g. OpenTelemetry Operator injection) may add them to the pods
        pods = cluster.pods_by_owner.get((ns or "", kind, meta.name), ())
        if pods and _field_refs(pods[0].spec):
            continue
        ref = ObjectRef(kind, ns, meta.name)
        wanted = ", ".join(f"{v} ({p})" for p, v in CONTEXT_FIELDS.items())
        yield ctx.finding(
            ref,
            f"{kind} {qualified_name(ns, meta.name)}: no container gets {wanted} through the downward API, so its logs "
            "cannot name the pod, node or namespace (log content itself is not inspected).",
            evidence=[Evidence("kubernetes", str(ref), "no env valueFrom.fieldRef for metadata.name, spec.nodeName or metadata.namespace")],
        )
