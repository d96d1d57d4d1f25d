"""ClusterState: the immutable, indexed view of one cluster that every rule reads."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cached_property
from typing import Any, TypeVar, cast

import attrs
from attrs import field, frozen

from r2c_clouds.model import kube as k
from r2c_clouds.model.cloud import NotChecked
from r2c_clouds.model.findings import ObjectRef
from r2c_clouds.model.scope import WORKLOAD_KINDS, Scope, Selector

_T = TypeVar("_T")

__all__ = ["KIND_FIELDS", "ZONE_LABELS", "ClusterState", "PodStates", "Scope", "Selector", "node_zone", "pod_ref", "selector_matches", "skipped_summary"]

#: The ClusterState attribute holding each kind's objects, in the order kinds are read
#: (the live reader and the snapshot loader work from r2c_clouds.kube.kinds, whose rows
#: take their attribute from here).
KIND_FIELDS: dict[str, str] = {
    "Namespace": "namespaces",
    "Node": "nodes",
    "Pod": "pods",
    "Service": "services",
    "Endpoints": "endpoints",
    "EndpointSlice": "endpoint_slices",
    "Ingress": "ingresses",
    "NetworkPolicy": "network_policies",
    "PersistentVolumeClaim": "pvcs",
    "PersistentVolume": "pvs",
    "StorageClass": "storage_classes",
    "ServiceAccount": "service_accounts",
    "ClusterRoleBinding": "cluster_role_bindings",
    "RoleBinding": "role_bindings",
    "PodDisruptionBudget": "pdbs",
    "PriorityClass": "priority_classes",
    "Deployment": "deployments",
    "StatefulSet": "statefulsets",
    "DaemonSet": "daemonsets",
    "ReplicaSet": "replica_sets",
    "Job": "jobs",
    "CronJob": "cron_jobs",
    "HorizontalPodAutoscaler": "hpas",
    "Event": "events",
    "ConfigMap": "config_maps",
    "Secret": "secrets",
    "ScaledObject": "scaled_objects",
    "ServiceMonitor": "service_monitors",
}

#: Node labels carrying the zone, newest first.
ZONE_LABELS = ("topology.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/zone")


def node_zone(node: k.Node) -> str | None:
    """The zone a node is in, from its topology labels."""
    labels = node.metadata.labels
    for key in ZONE_LABELS:
        if key in labels:
            return labels[key]
    return None


def pod_ref(pod: k.Pod) -> ObjectRef:
    """``Pod/NS/NAME``."""
    return ObjectRef("Pod", pod.metadata.namespace, pod.metadata.name)


def selector_matches(selector: k.LabelSelector | None, labels: dict[str, str]) -> bool:
    """Evaluate a LabelSelector as the API server does. A ``None`` selector matches nothing;
    an empty one matches everything."""
    if selector is None:
        return False
    for key, value in selector.match_labels.items():
        if labels.get(key) != value:
            return False
    for req in selector.match_expressions:
        op = req.operator
        if op == "In" and labels.get(req.key) not in req.values:
            return False
        if op == "NotIn" and req.key in labels and labels[req.key] in req.values:
            return False
        if op == "Exists" and req.key not in labels:
            return False
        if op == "DoesNotExist" and req.key in labels:
            return False
    return True


def _key(meta: k.ObjectMeta) -> tuple[str, str]:
    return (meta.namespace or "", meta.name)


_TERMINAL = ("Succeeded", "Failed")


@frozen
class PodStates:
    """Pods by the state per-pod rules look for (each list in the cluster's pod order).

    Args:
        pending_unplaced: Pending, no node, not being deleted (waiting for the scheduler).
        pending_placed: Pending on a node (attaching volumes, pulling images...).
        running_not_ready: Running without the Ready condition True, not being deleted.
        waiting: a container (init or app) in a waiting state with a reason.
        with_claims: not finished, mounting at least one PersistentVolumeClaim.
    """

    pending_unplaced: tuple[k.Pod, ...]
    pending_placed: tuple[k.Pod, ...]
    running_not_ready: tuple[k.Pod, ...]
    waiting: tuple[k.Pod, ...]
    with_claims: tuple[k.Pod, ...]

    @classmethod
    def of(cls, pods: Iterable[k.Pod]) -> PodStates:
        unplaced: list[k.Pod] = []
        placed: list[k.Pod] = []
        not_ready: list[k.Pod] = []
        waiting: list[k.Pod] = []
        claims: list[k.Pod] = []
        # plain loops: this runs once per pod of the cluster, before any rule
        for p in pods:
            st = p.status
            phase = st.phase
            if phase == "Pending":
                if p.spec.node_name:
                    placed.append(p)
                elif p.metadata.deletion_timestamp is None:
                    unplaced.append(p)
            elif phase == "Running" and p.metadata.deletion_timestamp is None:
                for c in st.conditions:
                    if c.type == "Ready" and c.status == "True":
                        break
                else:
                    not_ready.append(p)
            for statuses in (st.container_statuses, st.init_container_statuses):
                for cs in statuses:
                    w = cs.state.waiting
                    if w is not None and w.reason:
                        waiting.append(p)
                        break
                else:
                    continue
                break
            if phase not in _TERMINAL:
                for v in p.spec.volumes:
                    if v.persistent_volume_claim is not None:
                        claims.append(p)
                        break
        return cls(tuple(unplaced), tuple(placed), tuple(not_ready), tuple(waiting), tuple(claims))


@frozen
class ClusterState:
    """Everything read from one cluster, as typed immutable views plus indexes.

    Args:
        source: where it came from (``snapshot:/path``, ``context:prod``, ``demo:domino``).
        name: the cluster's name when known (kubeconfig cluster, demo name).
        captured: the kinds the source holds (a kind absent here was *not captured*,
            which is not the same as zero objects).
        not_checked: kinds that were forbidden or not captured, and why.
        ignored: counts of objects skipped because no rule reads their kind, by kind
            (``HTTPRoute``; a custom resource that shares a read kind's name is named with its
            group, ``Service.serving.knative.dev``). See :meth:`skipped_summary`.
        cloud_facts_path: a recorded ``cloud-facts.json`` found beside a snapshot.
        scope: the namespaces and label selector the scan judges (:meth:`scoped`); a live
            read with ``namespaces=`` holds only those namespaces' objects.
        manifests: the objects are manifests about to be applied (``r2c scan -f``), the whole
            intended state: no status, no Pods, Events or Nodes; rules that judge a running
            cluster are not applicable.
        manifest_texts: the manifests as read (``(path or "-", bytes)``), kept to point SARIF
            results at the file and line of each object (standard input cannot be read twice).
    """

    source: str
    name: str | None = None
    namespaces: tuple[k.Namespace, ...] = ()
    nodes: tuple[k.Node, ...] = ()
    pods: tuple[k.Pod, ...] = ()
    services: tuple[k.Service, ...] = ()
    endpoints: tuple[k.Endpoints, ...] = ()
    endpoint_slices: tuple[k.EndpointSlice, ...] = ()
    ingresses: tuple[k.Ingress, ...] = ()
    network_policies: tuple[k.NetworkPolicy, ...] = ()
    pvcs: tuple[k.PersistentVolumeClaim, ...] = ()
    pvs: tuple[k.PersistentVolume, ...] = ()
    storage_classes: tuple[k.StorageClass, ...] = ()
    service_accounts: tuple[k.ServiceAccount, ...] = ()
    cluster_role_bindings: tuple[k.ClusterRoleBinding, ...] = ()
    role_bindings: tuple[k.RoleBinding, ...] = ()
    pdbs: tuple[k.PodDisruptionBudget, ...] = ()
    priority_classes: tuple[k.PriorityClass, ...] = ()
    deployments: tuple[k.Deployment, ...] = ()
    statefulsets: tuple[k.StatefulSet, ...] = ()
    daemonsets: tuple[k.DaemonSet, ...] = ()
    replica_sets: tuple[k.ReplicaSet, ...] = ()
    jobs: tuple[k.Job, ...] = ()
    cron_jobs: tuple[k.CronJob, ...] = ()
    hpas: tuple[k.HorizontalPodAutoscaler, ...] = ()
    events: tuple[k.Event, ...] = ()
    config_maps: tuple[k.ConfigMap, ...] = ()
    secrets: tuple[k.Secret, ...] = ()
    scaled_objects: tuple[k.ScaledObject, ...] = ()
    service_monitors: tuple[k.ServiceMonitor, ...] = ()
    captured: frozenset[str] = frozenset()
    not_checked: tuple[NotChecked, ...] = ()
    ignored: dict[str, int] = field(factory=dict, eq=False)
    cloud_facts_path: str | None = None
    server_version: str | None = None
    scope: Scope = field(factory=Scope)
    manifests: bool = False
    manifest_texts: tuple[tuple[str, bytes], ...] = field(default=(), eq=False, repr=False)

    def __repr__(self) -> str:
        counts = self.object_counts()
        scope = "" if self.scope.everything else f", {self.scope.describe()}"
        return (
            f"<ClusterState {self.name or '(unnamed)'} from {self.source}: {counts.get('Node', 0)} nodes, "
            f"{counts.get('Pod', 0)} pods, {sum(counts.values())} objects of {len(self.captured)} kinds, "
            f"{len(self.not_checked)} not checked{scope}>"
        )

    # ------------------------------------------------------------------ scope

    def overlaid(self, manifests: ClusterState) -> ClusterState:
        """This cluster as it would be once ``manifests`` are applied (``r2c scan --context
        prod -f rendered/``): each manifest replaces the object of the same kind, namespace and
        name, or is added. Pods and status stay the cluster's (a replaced Deployment's pods
        are still the old template's), so runtime rules judge what runs now and template rules
        judge what is about to. A kind the cluster could not read stays *not checked*.
        """
        import attrs

        changes: dict[str, Any] = {}
        for name in KIND_FIELDS.values():
            incoming = getattr(manifests, name)
            if not incoming:
                continue
            new = {(o.metadata.namespace, o.metadata.name): o for o in incoming}
            kept = [new.pop((o.metadata.namespace, o.metadata.name), o) for o in getattr(self, name)]
            changes[name] = (*kept, *new.values())
        return attrs.evolve(self, source=f"{self.source} + {manifests.source}",
                            manifest_texts=manifests.manifest_texts, **changes)

    def scoped(
        self, namespaces: Iterable[str] | None = None, selector: Selector | str | None = None
    ) -> ClusterState:
        """The same cluster, judged only in ``namespaces`` and/or for workloads matching the
        label ``selector`` (kubectl's ``-n`` and ``-l``). Every object stays readable by the
        rules; the report keeps the findings about objects in scope and their causes. A
        cluster read with ``connect(namespaces=...)`` keeps those namespaces unless narrowed.

        Raises:
            r2c_clouds.errors.ScopeError: a namespace name or selector the API server would refuse.
        """
        held = self.scope.namespaces if self.scope.read_only_these else None
        if held is not None and namespaces is not None:
            unread = sorted(set(namespaces) - set(held))
            if unread:
                from r2c_clouds.errors import ScopeError

                raise ScopeError(
                    f"{self.source} holds only namespace(s) {', '.join(held)}, not {', '.join(unread)}"
                )
        scope = Scope(
            namespaces=held if namespaces is None else namespaces,
            selector=selector,
            read_only_these=held is not None,
        )
        return attrs.evolve(self, scope=scope)

    def in_scope(self, ref: ObjectRef) -> bool:
        """Is the object ``ref`` names in :attr:`scope` by itself (not as a cause)?"""
        scope = self.scope
        if scope.everything:
            return True
        # a Namespace is in the namespace it names (its own labels answer -l)
        namespace = ref.name if ref.kind == "Namespace" else ref.namespace
        return scope.admits(namespace, ref.kind, self._scope_labels(ref))

    def _scope_labels(self, ref: ObjectRef) -> Iterator[dict[str, str]]:
        obj = self.object_of(ref)
        if obj is not None:
            yield obj.metadata.labels  # type: ignore[attr-defined]
            template = getattr(getattr(obj, "spec", None), "template", None)
            if template is not None and template.metadata is not None:
                yield template.metadata.labels
        if ref.kind in WORKLOAD_KINDS and ref.kind != "Pod":
            for pod in self.pods_by_owner.get((ref.namespace or "", ref.kind, ref.name), ()):
                yield pod.metadata.labels

    # ------------------------------------------------------------------ coverage

    def has(self, kind: str) -> bool:
        """Was ``kind`` captured (listed successfully)? Rules that need a kind check this
        first, so a missing kind is reported as not checked, never as "none found"."""
        return kind in self.captured

    def object_counts(self) -> dict[str, int]:
        """Objects per captured kind."""
        return {kind: len(getattr(self, name)) for kind, name in KIND_FIELDS.items() if kind in self.captured}

    def object_of(self, ref: ObjectRef) -> object | None:
        """The object a reference names (``Deployment/shop/api``), if the cluster holds it."""
        name = KIND_FIELDS.get(ref.kind)
        if name is None:
            return None

        def build(c: ClusterState) -> dict[tuple[str, str], object]:
            return {(o.metadata.namespace or "", o.metadata.name): o for o in getattr(c, name)}

        index = self.memo(f"object_of:{ref.kind}", build)
        return index.get((ref.namespace or "", ref.name))

    def skipped_summary(self, limit: int = 8) -> str | None:
        """``"3 objects of kinds not read: HTTPRoute (2), VerticalPodAutoscaler (1)"``, or
        ``None`` when nothing was skipped."""
        return skipped_summary(self.ignored, limit)

    # ------------------------------------------------------------------ indexes

    @cached_property
    def nodes_by_name(self) -> dict[str, k.Node]:
        return {n.metadata.name: n for n in self.nodes}

    @cached_property
    def zone_of_node(self) -> dict[str, str | None]:
        """Each node's zone by node name (its topology labels read once)."""
        return {n.metadata.name: node_zone(n) for n in self.nodes}

    @cached_property
    def nodes_by_zone(self) -> dict[str | None, tuple[k.Node, ...]]:
        out: dict[str | None, list[k.Node]] = defaultdict(list)
        for n in self.nodes:
            out[node_zone(n)].append(n)
        return {z: tuple(v) for z, v in out.items()}

    @cached_property
    def pods_by_node(self) -> dict[str, tuple[k.Pod, ...]]:
        out: dict[str, list[k.Pod]] = defaultdict(list)
        for p in self.pods:
            if p.spec.node_name:
                out[p.spec.node_name].append(p)
        return {n: tuple(v) for n, v in out.items()}

    @cached_property
    def pods_by_namespace(self) -> dict[str, tuple[k.Pod, ...]]:
        out: dict[str, list[k.Pod]] = defaultdict(list)
        for p in self.pods:
            out[p.metadata.namespace or ""].append(p)
        return {n: tuple(v) for n, v in out.items()}

    @cached_property
    def pods_by_key(self) -> dict[tuple[str, str], k.Pod]:
        return {_key(p.metadata): p for p in self.pods}

    @cached_property
    def pods_by_owner(self) -> dict[tuple[str, str, str], tuple[k.Pod, ...]]:
        """Pods by (namespace, owner kind, owner name), with ReplicaSets resolved to their
        Deployment (``api-7d9f8b6c5`` → Deployment ``api``) when that Deployment exists."""
        return self._ownership[1]

    @cached_property
    def _ownership(
        self,
    ) -> tuple[dict[int, ObjectRef | None], dict[tuple[str, str, str], tuple[k.Pod, ...]]]:
        """One pass over the pods: each pod's owner (its first owner reference, resolved)
        and the pods of every owner. One ObjectRef per owner, shared by its pods."""
        deployments = self._deployment_keys
        refs: dict[tuple[str, str, str], ObjectRef] = {}
        owners: dict[int, ObjectRef | None] = {}
        by_owner: dict[tuple[str, str, str], list[k.Pod]] = defaultdict(list)
        for p in self.pods:
            raw_ns = p.metadata.namespace
            ns = raw_ns or ""
            first: ObjectRef | None = None
            for i, ref in enumerate(p.metadata.owner_references):
                kind, name = ref.kind, ref.name
                if kind == "ReplicaSet" and "-" in name:
                    dep = name.rsplit("-", 1)[0]
                    if (ns, dep) in deployments:
                        kind, name = "Deployment", dep
                key = (ns, kind, name)
                by_owner[key].append(p)
                if i == 0:
                    first = refs.get(key)
                    if first is None:
                        first = refs[key] = ObjectRef(kind, raw_ns, name)
            owners[id(p)] = first
        return owners, {key: tuple(v) for key, v in by_owner.items()}

    def memo(self, key: str, build: Callable[[ClusterState], _T]) -> _T:
        """Compute a derived view once per ClusterState and keep it (e.g. the workload list
        several rules share). ``key`` must name what ``build`` computes, module-qualified."""
        cache = self._memo
        if key not in cache:
            cache[key] = build(self)
        return cast(_T, cache[key])

    @cached_property
    def _memo(self) -> dict[str, object]:
        return {}

    @cached_property
    def _owners(self) -> dict[int, ObjectRef | None]:
        return self._ownership[0]

    def owner_of(self, pod: k.Pod) -> ObjectRef | None:
        """The workload that owns a pod (Deployment, StatefulSet, DaemonSet, Job...)."""
        owners = self._owners
        key = id(pod)
        if key in owners:
            return owners[key]
        return self._owner_of(pod)

    def _owner_of(self, pod: k.Pod) -> ObjectRef | None:
        ns = pod.metadata.namespace
        deployments = self._deployment_keys
        for ref in pod.metadata.owner_references:
            if ref.kind == "ReplicaSet" and "-" in ref.name:
                dep = ref.name.rsplit("-", 1)[0]
                if (ns or "", dep) in deployments:
                    return ObjectRef("Deployment", ns, dep)
            return ObjectRef(ref.kind, ns, ref.name)
        return None

    @cached_property
    def _deployment_keys(self) -> frozenset[tuple[str, str]]:
        return frozenset(_key(d.metadata) for d in self.deployments)

    @cached_property
    def pvcs_by_key(self) -> dict[tuple[str, str], k.PersistentVolumeClaim]:
        return {_key(c.metadata): c for c in self.pvcs}

    @cached_property
    def pvs_by_name(self) -> dict[str, k.PersistentVolume]:
        return {v.metadata.name: v for v in self.pvs}

    @cached_property
    def pvs_by_claim(self) -> dict[tuple[str, str], k.PersistentVolume]:
        out = {}
        for v in self.pvs:
            ref = v.spec.claim_ref
            if ref is not None and ref.name:
                out[(ref.namespace or "", ref.name)] = v
        return out

    def pv_for_claim(self, namespace: str, claim: str) -> k.PersistentVolume | None:
        """The PV bound to a PVC (by the PVC's ``volumeName``, else the PV's ``claimRef``)."""
        pvc = self.pvcs_by_key.get((namespace, claim))
        if pvc is not None and pvc.spec.volume_name:
            pv = self.pvs_by_name.get(pvc.spec.volume_name)
            if pv is not None:
                return pv
        return self.pvs_by_claim.get((namespace, claim))

    @cached_property
    def storage_classes_by_name(self) -> dict[str, k.StorageClass]:
        return {s.metadata.name: s for s in self.storage_classes}

    @cached_property
    def default_storage_class(self) -> k.StorageClass | None:
        for s in self.storage_classes:
            ann = s.metadata.annotations
            if ann.get("storageclass.kubernetes.io/is-default-class") == "true" or ann.get(
                "storageclass.beta.kubernetes.io/is-default-class"
            ) == "true":
                return s
        return None

    def storage_class_of(self, pvc: k.PersistentVolumeClaim) -> k.StorageClass | None:
        """The StorageClass a PVC names (or the default class when it names none)."""
        name = pvc.spec.storage_class_name
        if name is None:
            return self.default_storage_class
        return self.storage_classes_by_name.get(name)

    @cached_property
    def service_accounts_by_key(self) -> dict[tuple[str, str], k.ServiceAccount]:
        return {_key(s.metadata): s for s in self.service_accounts}

    @cached_property
    def services_by_key(self) -> dict[tuple[str, str], k.Service]:
        return {_key(s.metadata): s for s in self.services}

    @cached_property
    def endpoints_by_key(self) -> dict[tuple[str, str], k.Endpoints]:
        return {_key(e.metadata): e for e in self.endpoints}

    @cached_property
    def endpoint_slices_by_service(self) -> dict[tuple[str, str], tuple[k.EndpointSlice, ...]]:
        out: dict[tuple[str, str], list[k.EndpointSlice]] = defaultdict(list)
        for s in self.endpoint_slices:
            svc = s.metadata.labels.get("kubernetes.io/service-name")
            if svc:
                out[(s.metadata.namespace or "", svc)].append(s)
        return {key: tuple(v) for key, v in out.items()}

    @cached_property
    def events_by_object(self) -> dict[tuple[str, str, str], tuple[k.Event, ...]]:
        """Events by (kind, namespace, name) of the involved object, oldest first."""
        out: dict[tuple[str, str, str], list[k.Event]] = defaultdict(list)
        for e in self.events:
            io = e.involved_object
            out[(io.kind or "", io.namespace or "", io.name or "")].append(e)
        return {key: tuple(sorted(v, key=lambda e: e.time or "")) for key, v in out.items()}

    def events_for(self, kind: str, namespace: str | None, name: str) -> tuple[k.Event, ...]:
        """Events about one object, oldest first."""
        return self.events_by_object.get((kind, namespace or "", name), ())

    @cached_property
    def pods_in_state(self) -> PodStates:
        """The pods sorted, in one pass, into the few states per-pod rules look for, so each
        rule walks its own few pods rather than all of them."""
        return PodStates.of(self.pods)

    @cached_property
    def pods_by_label(self) -> dict[tuple[str, str, str], tuple[k.Pod, ...]]:
        """Pods by (namespace, label key, label value): selectors start from their rarest pair."""
        out: dict[tuple[str, str, str], list[k.Pod]] = defaultdict(list)
        for p in self.pods:
            ns = p.metadata.namespace or ""
            for key, value in p.metadata.labels.items():
                out[(ns, key, value)].append(p)
        return {key: tuple(v) for key, v in out.items()}

    def _candidates(self, namespace: str | None, pairs: Mapping[str, str]) -> tuple[k.Pod, ...]:
        ns = namespace or ""
        if not pairs:
            return self.pods_by_namespace.get(ns, ())
        index = self.pods_by_label
        return min((index.get((ns, key, v), ()) for key, v in pairs.items()), key=len)

    def pods_matching(self, namespace: str | None, selector: dict[str, str]) -> list[k.Pod]:
        """Pods in a namespace whose labels include every ``selector`` pair (Service style;
        an empty selector selects none), from the selector's rarest pair in the label index."""
        if not selector:
            return []
        candidates = self._candidates(namespace, selector)
        if len(selector) == 1:
            return list(candidates)
        return [p for p in candidates if all(p.metadata.labels.get(key) == v for key, v in selector.items())]

    def pods_selected(
        self, namespace: str | None, selector: k.LabelSelector | None
    ) -> Iterator[k.Pod]:
        """Pods in a namespace matched by a LabelSelector (PDB, NetworkPolicy style)."""
        if selector is None:
            return
        for p in self._candidates(namespace, selector.match_labels):
            if selector_matches(selector, p.metadata.labels):
                yield p

    def service_account_of(self, pod: k.Pod) -> str:
        """The pod's ServiceAccount name (``default`` when unset)."""
        return pod.spec.service_account_name or pod.spec.service_account or "default"

    def user_namespaces(self) -> Iterable[str]:
        """Namespaces that are not Kubernetes' or the cloud's own system namespaces."""
        names = {n.metadata.name for n in self.namespaces} | set(self.pods_by_namespace)
        return sorted(n for n in names if not is_system_namespace(n))


_SYSTEM_NAMESPACES = frozenset(
    {
        "kube-system", "kube-public", "kube-node-lease", "gatekeeper-system", "gke-managed-system",
        "gke-gmp-system", "gmp-system", "gke-managed-cim", "gke-managed-filestorecsi",
        "gke-managed-parallelstorecsi", "calico-system", "tigera-operator", "azure-arc",
        "amazon-cloudwatch", "aws-observability", "cert-manager", "keda", "kube-keda",
        "ingress-nginx", "monitoring", "istio-system", "cilium", "karpenter", "app-routing-system",
    }
)


def is_system_namespace(name: str | None) -> bool:
    """Kubernetes', the cloud's and common platform add-ons' namespaces."""
    return name in _SYSTEM_NAMESPACES


def skipped_summary(counts: Mapping[str, int], limit: int = 8) -> str | None:
    """Objects skipped by kind, in words, most frequent first; ``None`` for none.

    >>> skipped_summary({"VerticalPodAutoscaler": 1, "HTTPRoute": 2})
    '3 objects of kinds not read: HTTPRoute (2), VerticalPodAutoscaler (1)'
    """
    total = sum(counts.values())
    if not total:
        return None
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    text = ", ".join(f"{kind} ({n:,})" for kind, n in ranked[:limit])
    if len(ranked) > limit:
        text += f", and {len(ranked) - limit} more kinds"
    noun = "object" if total == 1 else "objects"
    return f"{total:,} {noun} of kinds not read: {text}"
