"""network loop rules: probes and endpoints, policies, ingress timeouts, NAT and subnet
saturation, cross-zone traffic and CNI MTU.

Every rule reads the cluster once and indexes what it needs (services by namespace, pods by
namespace and label in a :class:`SelectorIndex`), so a rule run stays roughly linear in the
number of objects.
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping

from r2c_clouds.model import kube as k
from r2c_clouds.model.cloud import EgressGateway, Subnet
from r2c_clouds.model.cluster import ClusterState, is_system_namespace, node_zone, pod_ref
from r2c_clouds.model.findings import Evidence, Finding, ObjectRef, Severity, Verdict
from r2c_clouds.rules._registry import RuleContext, rule
from r2c_clouds.rules._workloads import Workload, workloads

__all__ = [
    "SelectorIndex",
    "cross_zone_traffic",
    "ingress_timeout_default",
    "judge_egress_gateway",
    "judge_subnet",
    "missing_readiness_probe",
    "mtu_mismatch",
    "nat_saturation",
    "no_default_deny",
    "private_endpoint_not_approved",
    "readiness_failing",
    "service_no_ready_endpoints",
    "subnet_ip_exhaustion",
]

#: How many related pods a finding lists at most.
MAX_RELATED_PODS = 20


# --------------------------------------------------------------------------- helpers


def _svc_ref(svc: k.Service) -> ObjectRef:
    return ObjectRef("Service", svc.metadata.namespace, svc.metadata.name)


def _k8s(ref: ObjectRef | str, detail: str, time: str | None = None) -> Evidence:
    return Evidence("kubernetes", str(ref), detail, time=time)


def _event_ref(ev: k.Event) -> str:
    return f"Event/{ev.metadata.namespace or ''}/{ev.metadata.name}".replace("//", "/")


def _is_ready(pod: k.Pod) -> bool:
    return any(c.type == "Ready" and c.status == "True" for c in pod.status.conditions)


def _is_live(pod: k.Pod) -> bool:
    """Not finished (Succeeded/Failed pods are never endpoints) and not being deleted."""
    return pod.status.phase not in ("Succeeded", "Failed") and pod.metadata.deletion_timestamp is None


def _selector_text(selector: dict[str, str]) -> str:
    return ",".join(f"{key}={v}" for key, v in sorted(selector.items()))


def selector_index(cluster: ClusterState) -> SelectorIndex:
    """The cluster's :class:`SelectorIndex`, built once and shared by every rule."""
    return cluster.memo("r2c_clouds.rules.network:selector-index", SelectorIndex)


class SelectorIndex:
    """Selects pods by a Service's selector through the cluster's label index
    (:meth:`ClusterState.pods_matching`): the cost of its rarest label's pod list rather than
    a namespace scan."""

    def __init__(self, cluster: ClusterState) -> None:
        self._cluster = cluster

    def pods(self, namespace: str | None, selector: dict[str, str]) -> list[k.Pod]:
        """Pods whose labels include every ``selector`` pair (an empty selector selects none)."""
        return self._cluster.pods_matching(namespace, selector)


def _selected_pods(index: SelectorIndex, svc: k.Service) -> list[k.Pod]:
    return [p for p in index.pods(svc.metadata.namespace, svc.spec.selector) if _is_live(p)]


def _pod_not_ready_reason(pod: k.Pod) -> str:
    """Why a pod is not Ready, in the words kubectl shows."""
    for cs in pod.status.init_container_statuses:
        w = cs.state.waiting
        if w is not None and w.reason and w.reason != "PodInitializing":
            return f"init container {cs.name} {w.reason}"
    for cs in pod.status.container_statuses:
        w = cs.state.waiting
        if w is not None and w.reason and w.reason not in ("ContainerCreating",):
            msg = f" ({w.message})" if w.message else ""
            return f"container {cs.name} {w.reason}{msg}"[:300]
    if pod.status.phase == "Pending" or not pod.spec.node_name:
        for c in pod.status.conditions:
            if c.type == "PodScheduled" and c.status == "False":
                return f"Pending, not scheduled: {c.reason or ''} {c.message or ''}".strip()[:300]
        return "Pending"
    not_ready = [cs.name for cs in pod.status.container_statuses if not cs.ready]
    if not_ready:
        return f"Running but not Ready (containers not ready: {', '.join(not_ready)})"
    for c in pod.status.conditions:
        if c.type == "Ready" and c.status != "True":
            return f"not Ready: {c.reason or ''} {c.message or ''}".strip()
    return f"phase {pod.status.phase or 'unknown'}"


def _app_containers(spec: k.PodSpec) -> list[k.Container]:
    return list(spec.containers)


def _target_ports(svc: k.Service) -> tuple[set[int], set[str]]:
    nums: set[int] = set()
    names: set[str] = set()
    for p in svc.spec.ports:
        tp = p.target_port if p.target_port is not None else p.port
        if isinstance(tp, int):
            nums.add(tp)
        elif tp.isdigit():
            nums.add(int(tp))
        else:
            names.add(tp)
    return nums, names


def _ingresses_by_service(cluster: ClusterState) -> dict[tuple[str, str], list[k.Ingress]]:
    out: dict[tuple[str, str], list[k.Ingress]] = defaultdict(list)
    for ing in cluster.ingresses:
        ns = ing.metadata.namespace or ""
        for name in _ingress_backends(ing):
            if ing not in out[(ns, name)]:
                out[(ns, name)].append(ing)
    return out


def _ingress_backends(ing: k.Ingress) -> list[str]:
    names: list[str] = []
    backends: list[k.IngressBackend] = []
    if ing.spec.default_backend is not None:
        backends.append(ing.spec.default_backend)
    for r in ing.spec.rules:
        if r.http is not None:
            backends.extend(p.backend for p in r.http.paths)
    for b in backends:
        if b.service is not None and b.service.name not in names:
            names.append(b.service.name)
    return names


def _services_by_namespace(cluster: ClusterState) -> dict[str, list[k.Service]]:
    out: dict[str, list[k.Service]] = defaultdict(list)
    for s in cluster.services:
        if s.spec.selector and s.spec.type != "ExternalName":
            out[s.metadata.namespace or ""].append(s)
    return out


# --------------------------------------------------------------------------- missing-readiness-probe


@rule(
    "network.missing-readiness-probe",
    severity=Severity.MEDIUM,
    title="Workload behind a Service has no readiness probe",
    rationale=(
        "Without a readinessProbe a pod is added to the Service's endpoints as soon as its "
        "containers start, so every rollout, restart and scale-up sends requests to pods that "
        "cannot answer yet (connection refused, 502/503 at the ingress)."
    ),
    remediation=(
        "Add spec.template.spec.containers[].readinessProbe (httpGet on a health path, or "
        "tcpSocket/grpc on the served port) to the containers that expose the Service's targetPort."
    ),
    docs="https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/",
    needs=("Service", "Pod"),
)
def missing_readiness_probe(ctx: RuleContext) -> Iterator[Finding]:
    """Workloads in user namespaces, selected by a Service, none of whose containers has a
    readinessProbe: judged on the pod template (with or without running pods).

    A pod is Ready only when all its containers are, so one probing container already gates
    its traffic. The finding names the container that serves the Service's targetPort (by
    number or by name); when the targetPort matches no container port, it says so instead
    of asking for a probe on every container.
    """
    cluster = ctx.cluster
    # workload -> (services, their unmatched target ports, serving containers)
    services: dict[ObjectRef, list[ObjectRef]] = defaultdict(list)
    serving: dict[ObjectRef, set[str]] = defaultdict(set)
    unmatched: dict[ObjectRef, set[str]] = defaultdict(set)
    chosen: dict[ObjectRef, Workload] = {}
    by_label = cluster.memo("r2c_clouds.rules.network:workloads-by-label", _workloads_by_label)
    for ns, svcs in sorted(_services_by_namespace(cluster).items()):
        if is_system_namespace(ns):
            continue
        for svc in svcs:
            selector = svc.spec.selector
            if not selector:
                continue  # a Service without a selector has its endpoints managed by hand
            # the workloads carrying the selector's rarest label, then the whole selector
            candidates = min((by_label.get((ns, key, value), ()) for key, value in selector.items()), key=len)
            for w in candidates:
                if not _selects(selector, w):
                    continue
                containers = _app_containers(w.spec)
                if any(c.readiness_probe is not None for c in containers):
                    continue  # Ready only when every container is: one probe gates the pod
                services[w.ref].append(_svc_ref(svc))
                chosen[w.ref] = w
                matched = _port_containers(svc, w.spec)
                if matched:
                    serving[w.ref].update(c.name for c in matched)
                else:
                    unmatched[w.ref].update(_target_port_texts(svc))
    for ref in sorted(services):
        w = chosen[ref]
        svc_names = ", ".join(str(s) for s in services[ref])
        if serving[ref]:
            names = ", ".join(sorted(serving[ref]))
            what = f"container(s) {names} serving it have no readinessProbe"
            detail = f"containers without readinessProbe: {names}"
        else:
            ports = ", ".join(sorted(unmatched[ref]))
            what = (f"no container has a readinessProbe, and its targetPort {ports} matches no container port "
                    "(which container serves it cannot be told)")
            detail = f"no readinessProbe on any container; targetPort {ports} matches no containerPort"
        where = pod_ref(w.pods[0]) if w.pods else ref
        yield ctx.finding(
            ref,
            f"{ref} is selected by {svc_names} but {what}: its pods receive traffic before they can serve it.",
            evidence=[_k8s(where, detail), *(_k8s(s, f"selects {ref}'s pods") for s in services[ref])],
            related=services[ref],
        )


def _workloads_by_label(cluster: ClusterState) -> dict[tuple[str, str, str], list[Workload]]:
    """(namespace, label key, value) -> the workloads (not Jobs or CronJobs: they serve no
    Service) whose template, or first pod, carries that label."""
    out: dict[tuple[str, str, str], list[Workload]] = defaultdict(list)
    for w in workloads(cluster):
        if w.ref.kind in ("Job", "CronJob"):
            continue
        labels = dict(w.labels)
        if w.pods:
            labels.update(w.pods[0].metadata.labels)
        for key, value in labels.items():
            out[(w.namespace, key, value)].append(w)
    return out


def _selects(selector: Mapping[str, str], w: Workload) -> bool:
    """Does a Service's selector pick the workload's pods (its template's labels, or for
    pods without a template, any of its pods' labels)?"""
    label_sets = [w.labels] if not w.pods else [w.labels, *(p.metadata.labels for p in w.pods[:1])]
    return any(all(labels.get(key) == value for key, value in selector.items()) for labels in label_sets)


def _port_containers(svc: k.Service, spec: k.PodSpec) -> list[k.Container]:
    """The containers exposing one of the Service's target ports (by number or by name)."""
    nums, names = _target_ports(svc)
    return [
        c for c in spec.containers
        if any(cp.container_port in nums or (cp.name is not None and cp.name in names) for cp in c.ports)
    ]


def _target_port_texts(svc: k.Service) -> list[str]:
    nums, names = _target_ports(svc)
    return [*(str(n) for n in sorted(nums)), *sorted(names)]


# --------------------------------------------------------------------------- no-default-deny


def _is_default_deny_ingress(np: k.NetworkPolicy) -> bool:
    sel = np.spec.pod_selector
    if sel.match_labels or sel.match_expressions:
        return False
    types = np.spec.policy_types or ["Ingress"]  # unset policyTypes always includes Ingress
    return "Ingress" in types and not np.spec.ingress


@rule(
    "network.no-default-deny",
    severity=Severity.LOW,
    title="Namespace has no default-deny ingress NetworkPolicy",
    rationale=(
        "Pods accept traffic from every pod in the cluster until a NetworkPolicy selects them; "
        "a default-deny policy makes every allowed flow explicit and limits lateral movement."
    ),
    remediation=(
        "Create a NetworkPolicy with podSelector: {} and policyTypes: [Ingress] and no ingress "
        "rules in the namespace, then allow the flows each workload needs with further policies."
    ),
    docs="https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-ingress-traffic",
    needs=("NetworkPolicy", "Pod"),
)
def no_default_deny(ctx: RuleContext) -> Iterator[Finding]:
    """User namespaces with pods but no empty-podSelector NetworkPolicy denying ingress."""
    cluster = ctx.cluster
    policies: dict[str, list[k.NetworkPolicy]] = defaultdict(list)
    for np in cluster.network_policies:
        policies[np.metadata.namespace or ""].append(np)
    templates: dict[str, int] = defaultdict(int)
    for w in workloads(cluster):
        if not w.pods:
            templates[w.namespace] += 1
    spaces = set(cluster.user_namespaces()) | {ns for ns in templates if not is_system_namespace(ns)}
    for ns in sorted(spaces):
        pods = [p for p in cluster.pods_by_namespace.get(ns, ()) if _is_live(p)]
        if not pods and not templates.get(ns):
            continue
        nps = policies.get(ns, [])
        if any(_is_default_deny_ingress(np) for np in nps):
            continue
        subject = ObjectRef("Namespace", None, ns)
        if nps:
            names = ", ".join(np.metadata.name for np in nps[:10])
            detail = f"{len(nps)} NetworkPolicy object(s) ({names}), none an empty-podSelector ingress deny"
        else:
            detail = "no NetworkPolicy at all: every pod accepts traffic from anywhere in the cluster"
        detail += " (cluster-wide CNI policies such as Calico GlobalNetworkPolicy are not read)"
        runs = f"runs {len(pods)} pod(s)" if pods else f"will run {templates[ns]} workload(s)"
        yield ctx.finding(
            subject,
            f"Namespace {ns} {runs} without a default-deny ingress policy ({detail}).",
            evidence=[_k8s(subject, detail)],
        )


# --------------------------------------------------------------------------- ingress-timeout-default

_NGINX_READ = "nginx.ingress.kubernetes.io/proxy-read-timeout"
_NGINX_SEND = "nginx.ingress.kubernetes.io/proxy-send-timeout"
_ALB_ATTRS = "alb.ingress.kubernetes.io/load-balancer-attributes"
_GCE_BACKEND_CONFIG = ("cloud.google.com/backend-config", "beta.cloud.google.com/backend-config")


def _ingress_class(ing: k.Ingress) -> str:
    return (ing.spec.ingress_class_name or ing.metadata.annotations.get("kubernetes.io/ingress.class") or "").lower()


def _ingress_controller(ing: k.Ingress) -> str | None:
    cls = _ingress_class(ing)
    ann = ing.metadata.annotations
    if cls.startswith("webapprouting.kubernetes.azure.com"):
        return "approuting"
    if "nginx" in cls:
        return "nginx"
    if cls == "alb" or any(a.startswith("alb.ingress.kubernetes.io/") for a in ann):
        return "alb"
    if cls in ("gce", "gce-internal"):
        return "gce"
    return None


@rule(
    "network.ingress-timeout-default",
    severity=Severity.LOW,
    title="Ingress relies on the controller's default upstream timeout",
    rationale=(
        "ingress-nginx (and AKS application routing, which runs it) closes an upstream request after "
        "60 s by default, the AWS ALB after a 60 s idle timeout and the GKE load balancer after a "
        "30 s backend timeout: slow endpoints, long polls and uploads end in 504s the application never logs."
    ),
    remediation=(
        "Set the timeout the backend needs: nginx.ingress.kubernetes.io/proxy-read-timeout and "
        "proxy-send-timeout (seconds) on ingress-nginx / app routing; alb.ingress.kubernetes.io/"
        "load-balancer-attributes: idle_timeout.timeout_seconds=N on ALB; a BackendConfig with "
        "timeoutSec referenced by cloud.google.com/backend-config on GKE."
    ),
    docs="https://kubernetes.github.io/ingress-nginx/user-guide/nginx-configuration/annotations/#custom-timeouts",
    needs=("Ingress",),
)
def ingress_timeout_default(ctx: RuleContext) -> Iterator[Finding]:
    """Ingresses of ingress-nginx, AKS app routing, ALB or GCE classes left at the default upstream timeout."""
    cluster = ctx.cluster
    for ing in cluster.ingresses:
        controller = _ingress_controller(ing)
        if controller is None:
            continue
        ns = ing.metadata.namespace
        ann = ing.metadata.annotations
        backends = _ingress_backends(ing)
        subject = ObjectRef("Ingress", ns, ing.metadata.name)
        related = [ObjectRef("Service", ns, b) for b in backends]
        if controller in ("nginx", "approuting"):
            if _NGINX_READ in ann or _NGINX_SEND in ann:
                continue
            what = "AKS application routing (NGINX)" if controller == "approuting" else "ingress-nginx"
            detail = f"class {_ingress_class(ing)!r}: no {_NGINX_READ} / {_NGINX_SEND} annotation, so {what} uses 60 s"
        elif controller == "alb":
            if "idle_timeout.timeout_seconds" in ann.get(_ALB_ATTRS, ""):
                continue
            detail = f"AWS Load Balancer Controller: no idle_timeout.timeout_seconds in {_ALB_ATTRS}, so the ALB idle timeout is 60 s"
        else:
            if not cluster.has("Service"):
                continue
            svcs = [cluster.services_by_key.get((ns or "", b)) for b in backends]
            if any(s is None or any(a in s.metadata.annotations for a in _GCE_BACKEND_CONFIG) for s in svcs):
                continue  # a BackendConfig is attached (its timeoutSec is not captured) or unknown
            detail = "GKE Ingress: backend Service(s) name no BackendConfig, so the backend service timeout is 30 s"
        yield ctx.finding(
            subject,
            f"Ingress {ns}/{ing.metadata.name} uses the default upstream timeout ({detail}).",
            evidence=[_k8s(subject, detail)],
            related=related,
        )


# --------------------------------------------------------------------------- service-no-ready-endpoints


def _slice_addresses(slices: Iterable[k.EndpointSlice]) -> tuple[int, int]:
    ready = not_ready = 0
    for s in slices:
        for ep in s.endpoints:
            if ep.conditions.ready is False:  # nil ready means ready (API doc)
                not_ready += 1
            else:
                ready += 1
    return ready, not_ready


def _endpoint_counts(cluster: ClusterState, svc: k.Service) -> tuple[int, int, str] | None:
    """(ready, not ready, source) from EndpointSlices (preferred), else Endpoints."""
    key = (svc.metadata.namespace or "", svc.metadata.name)
    slices = cluster.endpoint_slices_by_service.get(key)
    if slices:
        ready, not_ready = _slice_addresses(slices)
        return ready, not_ready, ", ".join(f"EndpointSlice/{key[0]}/{s.metadata.name}" for s in slices[:3])
    ep = cluster.endpoints_by_key.get(key)
    if ep is not None:
        ready = sum(len(ss.addresses) for ss in ep.subsets)
        not_ready = sum(len(ss.not_ready_addresses) for ss in ep.subsets)
        return ready, not_ready, f"Endpoints/{key[0]}/{key[1]}"
    return None


def _scaled_to_zero(cluster: ClusterState, svc: k.Service) -> str | None:
    """A workload whose template the Service selects and that is deliberately at 0 replicas."""
    ns = svc.metadata.namespace
    workloads: list[tuple[str, k.ObjectMeta, int | None, k.PodTemplateSpec]] = [
        *(("Deployment", d.metadata, d.spec.replicas, d.spec.template) for d in cluster.deployments),
        *(("StatefulSet", s.metadata, s.spec.replicas, s.spec.template) for s in cluster.statefulsets),
    ]
    for kind, meta, replicas, template in workloads:
        if meta.namespace != ns or replicas != 0:
            continue
        labels = template.metadata.labels if template.metadata else {}
        if all(labels.get(key) == v for key, v in svc.spec.selector.items()):
            return f"{kind}/{ns}/{meta.name}"
    return None


def _label_hint(cluster: ClusterState, svc: k.Service) -> str:
    """Values the selector's keys do take in the namespace (a selector typo shows here)."""
    seen: dict[str, set[str]] = defaultdict(set)
    for p in cluster.pods_by_namespace.get(svc.metadata.namespace or "", ()):
        for key in svc.spec.selector:
            if key in p.metadata.labels:
                seen[key].add(p.metadata.labels[key])
    if not seen:
        return "no pod in the namespace carries any of the selector's label keys"
    parts = [f"{key} in ({', '.join(sorted(v)[:5])})" for key, v in sorted(seen.items())]
    return "pods in the namespace have " + "; ".join(parts)


@rule(
    "network.service-no-ready-endpoints",
    severity=Severity.HIGH,
    title="Service has no ready endpoints",
    rationale=(
        "A Service without a ready endpoint refuses or drops every connection: clients see "
        "connection refused / timeouts and an Ingress in front of it answers 503."
    ),
    remediation=(
        "If no pod matches, fix spec.selector (or the pod template labels) so they agree; if pods "
        "match but are not Ready, fix what keeps them Pending or failing their readinessProbe "
        "(kubectl describe pod, kubectl get endpointslices -l kubernetes.io/service-name=NAME)."
    ),
    docs="https://kubernetes.io/docs/tasks/debug/debug-application/debug-service/",
    needs=("Service", "Pod"),
    symptom=True,
)
def service_no_ready_endpoints(ctx: RuleContext) -> Iterator[Finding]:
    """Services with a selector and no ready address: no pod matches, or none of the matching pods is Ready."""
    cluster = ctx.cluster
    by_ingress = _ingresses_by_service(cluster)
    index = selector_index(cluster)
    for ns, svcs in sorted(_services_by_namespace(cluster).items()):
        for svc in svcs:
            counts = _endpoint_counts(cluster, svc)
            pods = _selected_pods(index, svc)
            ready_pods = [p for p in pods if _is_ready(p)]
            if counts is not None:
                ready, not_ready, source = counts
                if ready > 0:
                    continue
            else:
                if ready_pods:
                    continue
                not_ready, source = len(pods), "pods (no EndpointSlice/Endpoints captured)"
            if not pods and _scaled_to_zero(cluster, svc) is not None:
                continue  # deliberately scaled to zero
            ref = _svc_ref(svc)
            ingresses = by_ingress.get((ns, svc.metadata.name), [])
            ing_refs = [ObjectRef("Ingress", ns, i.metadata.name) for i in ingresses]
            sel = _selector_text(svc.spec.selector)
            evidence = [_k8s(source, f"0 ready addresses, {not_ready} not ready")]
            if not pods:
                hint = _label_hint(cluster, svc)
                message = f"Service {ns}/{svc.metadata.name} has no ready endpoints: no pod matches its selector {sel} ({hint})."
                evidence.append(_k8s(ref, f"selector {sel} matches no pod; {hint}"))
            else:
                reasons = [f"{p.metadata.name}: {_pod_not_ready_reason(p)}" for p in pods[:MAX_RELATED_PODS]]
                message = (
                    f"Service {ns}/{svc.metadata.name} has no ready endpoints: {len(pods)} pod(s) match "
                    f"{sel} but none is Ready ({reasons[0]}{'; ...' if len(reasons) > 1 else ''})."
                )
                evidence.extend(_k8s(pod_ref(p), _pod_not_ready_reason(p)) for p in pods[:MAX_RELATED_PODS])
            if ingresses:
                evidence.append(_k8s(ref, "routed to by " + ", ".join(str(r) for r in ing_refs)))
            yield ctx.finding(
                ref,
                message,
                evidence=evidence,
                related=[*(pod_ref(p) for p in pods[:MAX_RELATED_PODS]), *ing_refs],
                severity=Severity.CRITICAL if ingresses else None,
            )


# --------------------------------------------------------------------------- readiness-failing


@rule(
    "network.readiness-failing",
    severity=Severity.HIGH,
    title="Running pod fails its readiness probe",
    rationale=(
        "A pod that keeps failing its readinessProbe is removed from every Service's endpoints: "
        "capacity drops, and when all replicas fail the Service has no endpoint at all."
    ),
    remediation=(
        "Read the probe failure (kubectl describe pod): fix the dependency or endpoint the probe "
        "checks, or correct readinessProbe path/port/timeoutSeconds if the probe itself is wrong."
    ),
    docs="https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/#define-readiness-probes",
    needs=("Pod", "Event"),
    runtime=True,
)
def readiness_failing(ctx: RuleContext) -> Iterator[Finding]:
    """Running pods that are not Ready and whose kubelet reports ``Readiness probe failed``."""
    cluster = ctx.cluster
    svcs_by_ns = _services_by_namespace(cluster) if cluster.has("Service") else {}
    selecting: dict[str, dict[str, list[ObjectRef]]] = {}  # ns -> pod -> services (lazy per ns)
    for pod in cluster.pods_in_state.running_not_ready:
        ns, name = pod.metadata.namespace, pod.metadata.name
        failures = [
            e for e in cluster.events_for("Pod", ns, name)
            if e.reason == "Unhealthy" and (e.message or "").startswith("Readiness probe failed")
        ]
        if not failures:
            continue
        nskey = ns or ""
        if nskey not in selecting:
            index: dict[str, list[ObjectRef]] = defaultdict(list)
            for svc in svcs_by_ns.get(nskey, []):
                for p in cluster.pods_matching(ns, svc.spec.selector):
                    index[p.metadata.name].append(_svc_ref(svc))
            selecting[nskey] = index
        services = selecting[nskey].get(name, [])
        last = failures[-1]
        count = sum(e.count or 1 for e in failures)
        message = (
            f"Pod {ns}/{name} is Running but not Ready: readiness probe failed {count} time(s), "
            f"last: {(last.message or '').strip()[:200]}"
        )
        if services:
            message += f" (removed from {', '.join(str(s) for s in services)})"
        yield ctx.finding(
            pod_ref(pod),
            message + ".",
            evidence=[
                _k8s(pod_ref(pod), _pod_not_ready_reason(pod)),
                *(_k8s(_event_ref(e), f"Unhealthy: {e.message}", time=e.time) for e in failures[-3:]),
            ],
            related=services,
            time=last.time,
        )


# --------------------------------------------------------------------------- nat-saturation

#: Dropped packets over the metrics window above which a NAT gateway is reported.
DROPPED_PACKETS_THRESHOLD = 1000.0

#: Datapath availability (percent, average over the window) below which a NAT gateway is reported.
DATAPATH_AVAILABILITY_THRESHOLD = 99.0


#: What a dropped-packet reason means (GCP Cloud NAT ``dropped_sent_packets_count`` reasons).
_DROP_MEANING = {
    "OUT_OF_RESOURCES": "port exhaustion (no free NAT source port for the VM: raise minPortsPerVm or enable dynamic port allocation)",
    "ENDPOINT_INDEPENDENCE_CONFLICT": "endpoint-independent mapping conflicts (two VMs reaching one destination "
    "through the same NAT IP and port): disable endpoint-independent mapping or add NAT IPs; not port exhaustion",
}


def judge_egress_gateway(gw: EgressGateway) -> Verdict:
    """Is this NAT gateway dropping connections? The verdict of ``network.nat-saturation`` on
    one gateway: port allocation errors, drops (by the cloud's reason where it gives one), NAT
    allocation failures, or (Azure) a datapath availability below 99% over the window.

    >>> from r2c_clouds.model.cloud import Provenance
    >>> gw = EgressGateway("nat-0abc", Provenance("aws", "cloudwatch:GetMetricData", "nat-0abc"),
    ...                    zone="us-east-1b", port_allocation_errors=1834.0)
    >>> judge_egress_gateway(gw).message
    'NAT gateway nat-0abc (zone us-east-1b) reported 1834 port allocation errors over the last 60 min: outbound connections from the pods behind it are failing.'
    """
    errors = gw.port_allocation_errors or 0.0
    drops = gw.dropped_packets or 0.0
    avail = gw.datapath_availability
    degraded = avail is not None and avail < DATAPATH_AVAILABILITY_THRESHOLD
    window = f"over the last {gw.window_minutes} min"
    zone = f" (zone {gw.zone})" if gw.zone else ""
    if errors <= 0 and drops < DROPPED_PACKETS_THRESHOLD and not degraded and not gw.allocation_failed:
        return Verdict("network.nat-saturation", True,
                       f"NAT gateway {gw.gateway_id}{zone} reported no port allocation errors {window}")
    evidence = []
    src, ref = gw.provenance.provider, gw.provenance.ref()
    if errors > 0:
        evidence.append(Evidence(src, ref, f"{errors:g} port allocation errors {window}"))
    if gw.drop_reasons:
        for reason, n in gw.drop_reasons:
            if n > 0:
                evidence.append(Evidence(src, ref, f"{n:g} packets dropped for {reason} {window}: {_DROP_MEANING.get(reason, 'as the cloud reports it')}"))
    elif drops > 0:
        evidence.append(Evidence(src, ref, f"{drops:g} dropped packets {window}"))
    if gw.allocation_failed:
        evidence.append(Evidence(src, ref, f"NAT IP or port allocation failed for some VMs {window}"))
    if gw.settings:
        evidence.append(Evidence(src, ref, "settings: " + ", ".join(f"{k} {v}" for k, v in gw.settings)))
    if avail is not None:
        evidence.append(Evidence(src, ref, f"datapath availability {avail:g}% (average) {window}"))
    if gw.active_connections is not None:
        evidence.append(Evidence(src, ref, f"peak {gw.active_connections:g} active connections {window}"))
    other = [(r, n) for r, n in gw.drop_reasons if n > 0 and r != "OUT_OF_RESOURCES"]
    if errors <= 0 and other and drops >= DROPPED_PACKETS_THRESHOLD:
        what = ", ".join(f"{n:g} for {r}" for r, n in other)
        message = (f"NAT gateway {gw.gateway_id}{zone} dropped packets {window} ({what}), not for port "
                   "exhaustion: " + "; ".join(_DROP_MEANING.get(r, r) for r, _ in other) + ".")
    elif errors > 0 or drops >= DROPPED_PACKETS_THRESHOLD or gw.allocation_failed:
        what = (f"{errors:g} port allocation errors" if errors > 0 else f"{drops:g} dropped packets" if drops > 0
                else "NAT allocation failures")
        message = f"NAT gateway {gw.gateway_id}{zone} reported {what} {window}: outbound connections from the pods behind it are failing."
        if degraded:
            message += f" Its datapath availability was {avail:g}%."
    else:
        message = (
            f"NAT gateway {gw.gateway_id}{zone} had a datapath availability of {avail:g}% {window} "
            f"(below {DATAPATH_AVAILABILITY_THRESHOLD:g}%): outbound connections from the pods behind it were dropped."
        )
    return Verdict("network.nat-saturation", False, message, tuple(evidence))


@rule(
    "network.nat-saturation",
    severity=Severity.HIGH,
    title="NAT gateway is running out of source ports",
    rationale=(
        "When a NAT gateway cannot allocate a source port (SNAT exhaustion) new outbound connections "
        "fail or hang: calls to cloud APIs, registries and third parties time out from every pod "
        "behind it, often only in one zone."
    ),
    remediation=(
        "Reuse connections (HTTP keep-alive, connection pools), add public IPs to the NAT gateway "
        "(AWS: secondary IPv4 addresses; Azure: more public IPs / prefix; GCP Cloud NAT: more NAT IPs "
        "or dynamic port allocation with a higher max_ports_per_vm), use VPC endpoints / Private Link "
        "for cloud APIs, and keep cross-zone egress off another zone's gateway."
    ),
    docs="https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-troubleshooting.html",
    needs_cloud=("egress_gateways",),
)
def nat_saturation(ctx: RuleContext) -> Iterator[Finding]:
    """NAT gateways with port allocation errors, many dropped packets, or (Azure) a datapath
    availability below 99% over the metrics window."""
    assert ctx.facts is not None  # guaranteed by needs_cloud
    for gw in ctx.facts.egress_gateways:
        verdict = judge_egress_gateway(gw)
        if verdict.ok:
            continue
        yield ctx.finding(
            ObjectRef("NatGateway", None, gw.gateway_id),
            verdict.message,
            evidence=list(verdict.evidence),
            related=[ObjectRef("Zone", None, gw.zone)] if gw.zone else [],
            severity=None if (gw.port_allocation_errors or 0.0) > 0 else Severity.MEDIUM,
        )


# --------------------------------------------------------------------------- private-endpoint-not-approved


@rule(
    "network.private-endpoint-not-approved",
    severity=Severity.HIGH,
    title="Private endpoint connection is not approved",
    rationale=(
        "A private endpoint carries traffic only once its connection to the target resource is "
        "Approved. While it is Pending, Rejected or Disconnected, the private DNS name still resolves "
        "to the endpoint's private IP, so calls to the API server or the data store from the nodes "
        "and pods time out or are refused."
    ),
    remediation=(
        "Approve the connection on the target resource (Networking > Private endpoint connections, "
        "or `az network private-endpoint-connection approve`); for a Rejected or Disconnected "
        "connection, delete and recreate the private endpoint."
    ),
    docs="https://learn.microsoft.com/azure/private-link/manage-private-endpoint",
    needs_cloud=("private_endpoints",),
)
def private_endpoint_not_approved(ctx: RuleContext) -> Iterator[Finding]:
    """Private endpoints whose connection state is not Approved."""
    assert ctx.facts is not None  # guaranteed by needs_cloud
    for pe in ctx.facts.private_endpoints:
        if pe.state is None or pe.state.lower() == "approved":
            continue
        target = pe.target_resource_id or "its target resource"
        groups = f" ({', '.join(pe.group_ids)})" if pe.group_ids else ""
        evidence = [Evidence(pe.provenance.provider, pe.provenance.ref(), f"privateLinkServiceConnectionState.status: {pe.state}")]
        if pe.target_resource_id:
            evidence.append(Evidence(pe.provenance.provider, pe.provenance.ref(), f"privateLinkServiceId: {pe.target_resource_id}{groups}"))
        if pe.dns_zones:
            evidence.append(Evidence(pe.provenance.provider, pe.provenance.ref(), f"private DNS zones: {', '.join(pe.dns_zones)}"))
        yield ctx.finding(
            ObjectRef("PrivateEndpoint", None, pe.name),
            f"Private endpoint {pe.name} to {target}{groups} is {pe.state}, not Approved: traffic through it does not reach the target.",
            evidence=evidence,
        )


# --------------------------------------------------------------------------- subnet-ip-exhaustion


def _max_pods_per_node(cluster: ClusterState, zone: str | None) -> int:
    nodes = cluster.nodes_by_zone.get(zone, ()) if zone is not None else ()
    best = 0
    for n in nodes or cluster.nodes:
        try:
            best = max(best, int(float(str(n.status.allocatable.get("pods", 0)))))
        except ValueError:
            continue
    return best


def _node_zones(cluster: ClusterState) -> list[str]:
    return sorted(z for z in cluster.nodes_by_zone if z)


def _ips_per_node(ctx: RuleContext, zone: str | None) -> tuple[int, str]:
    """How many subnet IPs one more node takes, and why."""
    facts = ctx.facts
    assert facts is not None
    settings = facts.network
    overlay = settings is not None and (
        (settings.network_plugin_mode or "").lower() == "overlay"
        or (settings.network_plugin or "").lower() in ("kubenet", "none")
    )
    if facts.provider in ("aws", "azure") and not overlay:
        pods = _max_pods_per_node(ctx.cluster, zone)
        if pods:
            return pods + 1, f"pod IPs come from the subnet: a node takes its IP plus up to {pods} pod IPs (max pods per node)"
    return 1, "one node IP"


def judge_subnet(sn: Subnet, need: int | None = None, why: str | None = None) -> Verdict:
    """Has this subnet (or pod range) room for the cluster to grow? The verdict of
    ``network.subnet-ip-exhaustion`` on one fact: its free IPs against max(16, 10% of it) and
    against what one more node takes.

    Args:
        need: the addresses one more node takes (default: the subnet's own ``ips_per_node``,
            else 1: the node's own IP; the scan works it out from the CNI and max pods).
        why: the reason for ``need``, as the message gives it.

    >>> from r2c_clouds.model.cloud import Provenance
    >>> sn = Subnet("subnet-0abc", Provenance("aws", "ec2:DescribeSubnets", "subnet-0abc"), zone="us-east-1a",
    ...             available_ips=12, total_ips=256)
    >>> judge_subnet(sn, 30, "a node takes its IP plus up to 29 pod IPs").message
    'Subnet subnet-0abc in us-east-1a has 12 of 256 IPs free: fewer than the 30 one more node needs (a node takes its IP plus up to 29 pod IPs).'
    """
    if sn.ips_per_node:
        need, why = sn.ips_per_node, f"a node takes a range of {sn.ips_per_node} addresses for its pods"
    elif need is None:
        need, why = 1, "one node IP"
    why = why or f"{need} addresses"
    total = f" of {sn.total_ips}" if sn.total_ips is not None else ""
    zone = f" in {sn.zone}" if sn.zone else ""
    if sn.available_ips is None:
        return Verdict("network.subnet-ip-exhaustion", True, f"Subnet {sn.subnet_id}{zone}: free IPs not reported")
    floor = max(16, (sn.total_ips or 0) // 10)
    if sn.available_ips >= floor and sn.available_ips >= need:
        return Verdict("network.subnet-ip-exhaustion", True,
                       f"Subnet {sn.subnet_id}{zone} has {sn.available_ips}{total} IPs free: room for one more node "
                       f"({need}) and above the floor of {floor}")
    tail = (
        f"fewer than the {need} one more node needs ({why})"
        if sn.available_ips < need
        else f"below the floor of {floor} (max(16, 10% of the subnet)); one more node needs {need} ({why})"
    )
    return Verdict(
        "network.subnet-ip-exhaustion", False, f"Subnet {sn.subnet_id}{zone} has {sn.available_ips}{total} IPs free: {tail}.",
        (Evidence(sn.provenance.provider, sn.provenance.ref(),
                  f"{sn.available_ips}{total} available IPs" + (f", CIDR {sn.cidr}" if sn.cidr else "")),),
    )


@rule(
    "network.subnet-ip-exhaustion",
    severity=Severity.MEDIUM,
    title="Subnet is running out of IP addresses",
    rationale=(
        "Nodes (and, with the AWS VPC CNI or Azure CNI without overlay, every pod) take their IPs "
        "from the subnet: when it runs dry new nodes fail to join and pods stay ContainerCreating "
        "with 'failed to assign an IP address to container'."
    ),
    remediation=(
        "Add a secondary CIDR / larger subnet (AWS: VPC secondary CIDR with custom networking "
        "ENIConfig, or prefix delegation; Azure: CNI Overlay or a bigger pod subnet; GKE: a larger "
        "or additional pod range), or spread node groups over subnets with free addresses."
    ),
    docs="https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html",
    needs_cloud=("subnets",),
)
def subnet_ip_exhaustion(ctx: RuleContext) -> Iterator[Finding]:
    """Subnets whose free IPs are below max(16, 10%), or below what one more node takes."""
    assert ctx.facts is not None
    for sn in ctx.facts.subnets:
        if sn.available_ips is None:
            continue
        need, why = (sn.ips_per_node, None) if sn.ips_per_node else _ips_per_node(ctx, sn.zone)
        verdict = judge_subnet(sn, need, why)
        if verdict.ok:
            continue
        yield ctx.finding(
            ObjectRef("Subnet", None, sn.subnet_id),
            verdict.message,
            evidence=list(verdict.evidence),
            # a subnet serves its zone; a range without one (a GKE pod range) serves every zone
            related=[ObjectRef("Zone", None, z) for z in ([sn.zone] if sn.zone else _node_zones(ctx.cluster))],
            severity=Severity.HIGH if sn.available_ips < (need or 0) else None,
        )


# --------------------------------------------------------------------------- cross-zone-traffic

_HOST_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_HOSTY_ENV = re.compile(r"HOST|ADDR|URL|URI|ENDPOINT|SERVER|SERVICE|DSN|BROKER|UPSTREAM|BACKEND", re.I)
_SPLIT = re.compile(r"[\s,;\"']+")
_PREFER_CLOSE = frozenset({"PreferClose", "PreferSameZone", "PreferSameNode"})


@functools.lru_cache(maxsize=8192)
def _hosts(value: str, hosty: bool) -> tuple[tuple[str, bool], ...]:
    """Host names in an env value or argument: ``(host, explicit)`` where explicit means a
    scheme, a port or userinfo marked it as a host (a bare word alone is not enough).
    Cached: the pods of one template repeat the same values."""
    return tuple(_scan_hosts(value, hosty))


@functools.lru_cache(maxsize=4096)
def _hosty(name: str) -> bool:
    return bool(_HOSTY_ENV.search(name))


def _scan_hosts(value: str, hosty: bool) -> Iterator[tuple[str, bool]]:
    for piece in _SPLIT.split(value.lower()):
        if not piece:
            continue
        explicit = False
        if piece.startswith("--") and "=" in piece:
            piece = piece.split("=", 1)[1]
        if "://" in piece:
            piece = piece.split("://", 1)[1]
            explicit = True
        piece = piece.split("/", 1)[0].split("?", 1)[0]
        if "@" in piece:
            piece = piece.rsplit("@", 1)[1]
            explicit = True
        host, _, port = piece.partition(":")
        if port:
            if not port.isdigit():
                continue
            explicit = True
        if host and _HOST_RE.match(host):
            yield host, explicit or hosty


def _service_from_host(host: str, pod_ns: str, explicit: bool) -> tuple[str, str] | None:
    parts = host.split(".")
    if len(parts) == 1:
        return (pod_ns, parts[0]) if explicit else None
    if len(parts) == 2 or parts[2:] in (["svc"], ["svc", "cluster", "local"]):
        return (parts[1], parts[0])
    if parts[3:] in (["svc"], ["svc", "cluster", "local"]):  # POD.SERVICE.NS.svc (headless)
        return (parts[2], parts[1])
    return None


def _client_index(cluster: ClusterState) -> dict[tuple[str, str], list[k.Pod]]:
    """Service (ns, name) -> pods placed on a node (Running, or Pending but bound, whose zone
    is decided) whose env values or args name it."""
    out: dict[tuple[str, str], list[k.Pod]] = defaultdict(list)
    services = cluster.services_by_key
    # The pods of one owner usually share their template: read a template once, and reuse
    # it for every pod whose env, command and args compare equal (msgspec compares in C).
    last: dict[tuple[str, object], tuple[k.PodSpec, frozenset[tuple[str, str]]]] = {}
    for pod in cluster.pods:
        if pod.status.phase not in ("Running", "Pending") or not pod.spec.node_name or not _is_live(pod):
            continue
        ns = pod.metadata.namespace or ""
        spec = pod.spec
        owner = (ns, cluster.owner_of(pod))
        seen = last.get(owner)
        if seen is not None and _same_words(seen[0], spec):
            found = seen[1]
        else:
            found = _named_services(spec, ns, services)
            last[owner] = (spec, found)
        for key in found:
            out[key].append(pod)
    return out


def _same_words(a: k.PodSpec, b: k.PodSpec) -> bool:
    """Do two pods' containers carry the same env, command and args?"""
    if len(a.containers) != len(b.containers) or len(a.init_containers) != len(b.init_containers):
        return False
    for x, y in zip(a.containers, b.containers):  # noqa: B905 - lengths checked above
        if x.env != y.env or x.args != y.args or x.command != y.command:
            return False
    for x, y in zip(a.init_containers, b.init_containers):  # noqa: B905
        if x.env != y.env or x.args != y.args or x.command != y.command:
            return False
    return True


def _named_services(spec: k.PodSpec, ns: str, services: Mapping[tuple[str, str], k.Service]) -> frozenset[tuple[str, str]]:
    """The Services a pod's env values and args name."""
    hits = set()
    for c in (*spec.init_containers, *spec.containers):
        values = [(e.value, _hosty(e.name)) for e in c.env if e.value]
        values += [(a, False) for a in (*c.command, *c.args)]
        for value, hosty in values:
            for host, explicit in _hosts(value, hosty):
                key = _service_from_host(host, ns, explicit)
                if key is not None and key in services:
                    hits.add(key)
    return frozenset(hits)


def _endpoint_zones(cluster: ClusterState, index: SelectorIndex, svc: k.Service) -> tuple[set[str], str]:
    key = (svc.metadata.namespace or "", svc.metadata.name)
    zones: set[str] = set()
    slices = cluster.endpoint_slices_by_service.get(key, ())
    for s in slices:
        for ep in s.endpoints:
            if ep.conditions.ready is False:
                continue
            zone = ep.zone
            if zone is None and ep.node_name and (n := cluster.nodes_by_name.get(ep.node_name)):
                zone = node_zone(n)
            if zone:
                zones.add(zone)
    if zones:
        return zones, f"EndpointSlice/{key[0]}/{slices[0].metadata.name}"
    for p in _selected_pods(index, svc):
        if _is_ready(p) and p.spec.node_name and (n := cluster.nodes_by_name.get(p.spec.node_name)):
            z = node_zone(n)
            if z:
                zones.add(z)
    return zones, f"ready pods selected by {svc.metadata.name} (node zones)"


@rule(
    "network.cross-zone-traffic",
    severity=Severity.MEDIUM,
    title="Clients reach a Service only through another zone",
    rationale=(
        "When a Service's ready endpoints all sit in other zones than its clients, every request "
        "crosses zones: inter-AZ data transfer is billed per GB and each hop adds latency, and "
        "an outage or NAT saturation in the endpoints' zone takes down clients in every zone."
    ),
    remediation=(
        "Spread the server over the clients' zones (topologySpreadConstraints on "
        "topology.kubernetes.io/zone) and set spec.trafficDistribution: PreferClose on the Service "
        "(or the annotation service.kubernetes.io/topology-mode: Auto before Kubernetes 1.31)."
    ),
    docs="https://kubernetes.io/docs/concepts/services-networking/service/#traffic-distribution",
    needs=("Service", "Pod", "Node"),
    runtime=True,
)
def cross_zone_traffic(ctx: RuleContext) -> Iterator[Finding]:
    """Services whose client pods (naming it in env or args) run in zones without a ready endpoint."""
    cluster = ctx.cluster
    if len([z for z in cluster.nodes_by_zone if z]) < 2:
        return
    clients_of = _client_index(cluster)
    index = selector_index(cluster)
    for key, clients in sorted(clients_of.items()):
        svc = cluster.services_by_key[key]
        if not svc.spec.selector or svc.spec.type == "ExternalName":
            continue
        ep_zones, source = _endpoint_zones(cluster, index, svc)
        if not ep_zones:
            continue  # no ready endpoint: service-no-ready-endpoints reports it
        own = {p.metadata.name for p in index.pods(key[0], svc.spec.selector)}
        remote: dict[str, list[k.Pod]] = defaultdict(list)
        for p in clients:
            if p.metadata.namespace == key[0] and p.metadata.name in own:
                continue
            node = cluster.nodes_by_name.get(p.spec.node_name or "")
            z = node_zone(node) if node is not None else None
            if z and z not in ep_zones:
                remote[z].append(p)
        # a finding needs running clients; bound Pending ones are listed too (their zone is set)
        running = {z: [p for p in ps if p.status.phase == "Running"] for z, ps in remote.items()}
        remote = {z: sorted(ps, key=lambda p: p.status.phase != "Running") for z, ps in remote.items() if running[z]}
        if not remote:
            continue
        ann = svc.metadata.annotations
        local_pref = svc.spec.traffic_distribution in _PREFER_CLOSE or (
            ann.get("service.kubernetes.io/topology-mode", "").lower() == "auto"
            or ann.get("service.kubernetes.io/topology-aware-hints", "").lower() == "auto"
        )
        pods = [p for z in sorted(remote) for p in remote[z]]
        n_running = sum(len(running[z]) for z in remote)
        pending = len(pods) - n_running
        ref = _svc_ref(svc)
        ep_text, cl_text = ", ".join(sorted(ep_zones)), ", ".join(sorted(remote))
        message = (
            f"Service {key[0]}/{key[1]} has ready endpoints only in {ep_text} while {n_running} client pod(s) "
            + (f"(and {pending} bound, still Pending) " if pending else "")
            + f"run in {cl_text}: their requests all cross zones"
        )
        message += (
            " (PreferClose/topology hints are set but cannot help without an endpoint in those zones)."
            if local_pref
            else " and the Service sets neither trafficDistribution: PreferClose nor topology-aware routing."
        )
        yield ctx.finding(
            ref,
            message,
            evidence=[
                _k8s(source, f"ready endpoints in zone(s) {ep_text}"),
                *(
                    _k8s(pod_ref(ps[0]), f"{len(running[z])} running client pod(s) in {z} reference {key[1]} in env/args"
                         + (f", {len(ps) - len(running[z])} more bound there but Pending" if len(ps) > len(running[z]) else ""))
                    for z, ps in sorted(remote.items())
                ),
            ],
            related=[*(pod_ref(p) for p in pods[:MAX_RELATED_PODS]), *(ObjectRef("Zone", None, z) for z in sorted(remote))],
            severity=Severity.LOW if local_pref else None,
        )


# --------------------------------------------------------------------------- mtu-mismatch

#: Encapsulation overhead in bytes (outer headers the underlay must carry).
OVERHEAD = {"vxlan": 50, "ipip": 20, "geneve": 50, "wireguard": 60, "ipsec": 73}
_AWS_DEFAULT_MTU = 9001


def _int(text: str | None) -> int | None:
    try:
        return int(str(text).strip()) if text is not None else None
    except ValueError:
        return None


def _env_of(ds: k.DaemonSet, container: str | None = None) -> dict[str, str]:
    env: dict[str, str] = {}
    for c in ds.spec.template.spec.containers:
        if container is None or c.name == container:
            env.update({e.name: e.value for e in c.env if e.value is not None})
    return env


def _find(cluster: ClusterState, items: Iterable[k.ConfigMap | k.DaemonSet], name: str) -> k.ConfigMap | k.DaemonSet | None:
    for o in items:
        if o.metadata.name == name and o.metadata.namespace in ("kube-system", "calico-system", "tigera-operator", "cilium"):
            return o
    return None


def _calico_encap(cluster: ClusterState) -> tuple[str, Evidence] | None:
    """The encapsulation calico-node's env states (WireGuard, VXLAN, IP-in-IP), if any."""
    node = _find(cluster, cluster.daemonsets, "calico-node")
    if not isinstance(node, k.DaemonSet):
        return None
    env = _env_of(node)
    ref = f"DaemonSet/{node.metadata.namespace}/calico-node"
    if env.get("FELIX_WIREGUARDENABLED", "").lower() == "true":
        return "wireguard", _k8s(ref, "FELIX_WIREGUARDENABLED=true")
    for var, encap in (("CALICO_IPV4POOL_VXLAN", "vxlan"), ("CALICO_IPV4POOL_IPIP", "ipip")):
        if env.get(var, "Never") in ("Always", "CrossSubnet"):
            return encap, _k8s(ref, f"{var}={env[var]}")
    return None


@rule(
    "network.mtu-mismatch",
    severity=Severity.HIGH,
    title="CNI MTU is larger than the network can carry",
    rationale=(
        "When the pod interface MTU plus the CNI's encapsulation exceeds the underlay MTU, large "
        "packets are dropped or fragmented: small requests work while TLS handshakes, large "
        "responses and image pulls hang, which is hard to trace back to the network."
    ),
    remediation=(
        "Set the CNI MTU to the underlay MTU minus the encapsulation overhead: AWS_VPC_ENI_MTU / "
        "POD_MTU on the aws-node DaemonSet, veth_mtu in the calico-config ConfigMap (or 0 to "
        "auto-detect), mtu in cilium-config (or unset it so Cilium detects it); then restart the CNI pods."
    ),
    docs="https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/network_mtu.html",
    needs=("DaemonSet", "ConfigMap"),
)
def mtu_mismatch(ctx: RuleContext) -> Iterator[Finding]:
    """CNI MTU settings (aws-node, calico-config, cilium-config) larger than the network MTU allows."""
    cluster = ctx.cluster
    settings = ctx.facts.network if ctx.facts is not None else None
    underlay = settings.network_mtu if settings is not None else None
    under_ev = (
        [Evidence(settings.provenance.provider, settings.provenance.ref(), f"network MTU {underlay}")]
        if settings is not None and underlay is not None
        else []
    )

    aws_node = _find(cluster, cluster.daemonsets, "aws-node")
    if isinstance(aws_node, k.DaemonSet):
        env = _env_of(aws_node, "aws-node")
        ref = ObjectRef("DaemonSet", aws_node.metadata.namespace, "aws-node")
        eni = _int(env.get("AWS_VPC_ENI_MTU"))
        pod = _int(env.get("POD_MTU"))
        eni_eff = eni if eni is not None else _AWS_DEFAULT_MTU
        eni_text = f"AWS_VPC_ENI_MTU={eni}" if eni is not None else f"AWS_VPC_ENI_MTU unset (default {_AWS_DEFAULT_MTU})"
        if pod is not None and pod > eni_eff:
            yield ctx.finding(
                ref,
                f"aws-node sets POD_MTU={pod}, above the ENI MTU {eni_eff}: pod packets larger than the ENI MTU are dropped.",
                evidence=[_k8s(ref, f"POD_MTU={pod}, {eni_text}")],
                key="pod-mtu",
            )
        elif underlay is not None and (eni is not None or pod is not None) and max(eni_eff, pod or 0) > underlay:
            yield ctx.finding(
                ref,
                f"aws-node configures MTU {max(eni_eff, pod or 0)} but the network MTU is {underlay}.",
                evidence=[_k8s(ref, eni_text + (f", POD_MTU={pod}" if pod is not None else "")), *under_ev],
            )

    calico = _find(cluster, cluster.config_maps, "calico-config")
    if isinstance(calico, k.ConfigMap) and underlay is not None:
        veth = _int(calico.data.get("veth_mtu"))
        if veth:  # 0 or absent: Calico detects the MTU itself
            found = _calico_encap(cluster)
            encap, encap_ev = found if found is not None else (None, None)
            overhead = OVERHEAD.get(encap or "", 0)
            if veth + overhead > underlay:
                ref = ObjectRef("ConfigMap", calico.metadata.namespace, "calico-config")
                how = f" + {overhead} ({encap})" if encap else ""
                yield ctx.finding(
                    ref,
                    f"calico-config sets veth_mtu {veth}{how} = {veth + overhead}, above the network MTU {underlay}.",
                    evidence=[
                        _k8s(ref, f"veth_mtu: {veth}"),
                        *([encap_ev] if encap_ev is not None else []),
                        *under_ev,
                    ],
                )

    cilium = _find(cluster, cluster.config_maps, "cilium-config")
    if isinstance(cilium, k.ConfigMap) and underlay is not None:
        mtu = _int(cilium.data.get("mtu"))
        if mtu:  # Cilium's mtu is the device MTU; it subtracts tunnel/encryption overhead itself
            data = cilium.data
            tunnel = (data.get("tunnel-protocol") or data.get("tunnel") or "").lower()
            routing = (data.get("routing-mode") or ("tunnel" if tunnel in ("vxlan", "geneve") else "")).lower()
            if mtu > underlay:
                ref = ObjectRef("ConfigMap", cilium.metadata.namespace, "cilium-config")
                mode = f", routing-mode {routing}" + (f" ({tunnel})" if tunnel else "") if routing else ""
                yield ctx.finding(
                    ref,
                    f"cilium-config sets mtu {mtu}, above the network MTU {underlay}: Cilium sizes pod routes "
                    "from it, so pod packets exceed what the network carries.",
                    evidence=[_k8s(ref, f"mtu: {mtu}{mode}"), *under_ev],
                )
