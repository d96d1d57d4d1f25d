"""The Cluster Readiness Checklist of the seed article, built from the scan's findings.

One item per loop plus observability, each with sub-checks mapped to rule ids in
:data:`SUB_CHECKS`. A sub-check's status comes from its rules:

- ``pass``: its rules ran and found nothing;
- ``fail``: a finding at ``medium`` or above;
- ``partial``: only ``low``/``info`` findings, or some of its rules were not checked;
- ``not-checked``: none of its rules could run (kinds not captured, no cloud facts, rule
  not available).

An item is ``pass`` when every sub-check passes, ``not-checked`` when none could be checked,
``fail`` when every checked sub-check fails, ``partial`` otherwise. On Azure, Petro
Kostiuk's four items are added (``azure.workload-identity-enabled``,
``azure.static-secrets-removed``, ``azure.zone-aware-storage-classes``,
``azure.keda-validated``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from attrs import frozen

from r2c_clouds.model.cloud import CloudFacts, NotChecked
from r2c_clouds.model.cluster import ClusterState, is_system_namespace
from r2c_clouds.model.findings import ChecklistItem, Evidence, Finding, Severity, Status
from r2c_clouds.rules._workloads import workloads

__all__ = ["ITEMS", "RULE_COUNTS", "SUB_CHECKS", "SubCheck", "build_checklist", "is_azure", "unselected_rules"]


@frozen
class SubCheck:
    """One sub-check of a checklist item and the rules that decide it.

    Args:
        item: the checklist item (``identity``, ``compute``...).
        name: the sub-check's name as shown in ``checks``.
        rules: rule ids whose findings decide its status.
    """

    item: str
    name: str
    rules: tuple[str, ...]


#: The checklist items, in order, with the line as the seed's checklist words it.
ITEMS: tuple[tuple[str, str], ...] = (
    ("identity", "Identity: IRSA or Workload Identity configured. Zero static cloud credentials in pods"),
    ("compute", "Compute: All pods have Requests/Limits. PDBs set. PriorityClass assigned"),
    ("network", "Network: Readiness Probes tuned. NetworkPolicies active. Ingress timeouts configured"),
    ("storage", "Storage: WaitForFirstConsumer enabled. StatefulSets for all stateful workloads"),
    ("observability", "Observability: Structured logs with trace_id, node_name, zone. RED + USE both active"),
)

#: Sub-checks → rule ids.
SUB_CHECKS: tuple[SubCheck, ...] = (
    SubCheck("identity", "workload identity configured (IRSA / Workload Identity)", (
        "identity.workload-identity-not-enabled", "identity.identity-not-found", "identity.trust-mismatch")),
    SubCheck("identity", "zero static cloud credentials in pods", ("identity.static-cloud-credentials",)),
    SubCheck("identity", "cluster-admin bindings audited", ("identity.cluster-admin-sprawl",)),
    SubCheck("compute", "requests and limits on all pods", ("compute.missing-requests", "compute.missing-memory-limit")),
    SubCheck("compute", "PodDisruptionBudgets set", ("compute.no-pdb", "compute.pdb-blocks-eviction")),
    SubCheck("compute", "PriorityClass assigned", ("compute.no-priority-class",)),
    SubCheck("network", "readiness probes", ("network.missing-readiness-probe", "network.readiness-failing")),
    SubCheck("network", "NetworkPolicies active (default deny)", ("network.no-default-deny",)),
    SubCheck("network", "ingress timeouts configured", ("network.ingress-timeout-default",)),
    SubCheck("storage", "WaitForFirstConsumer enabled", ("storage.immediate-binding",)),
    SubCheck("storage", "StatefulSets for stateful workloads", ("storage.database-as-deployment",)),
    SubCheck("observability", "structured log context", ("observability.log-context-missing",)),
    SubCheck("observability", "RED + USE both active", ("observability.no-metrics-pipeline", "observability.no-red-metrics")),
)

#: How a rule's findings are counted in evidence: (what is counted, what the counted ones do).
RULE_COUNTS: dict[str, tuple[str, str]] = {
    "identity.workload-identity-not-enabled": ("cluster", "does not have workload identity enabled"),
    "identity.identity-not-found": ("annotated ServiceAccounts", "name a cloud identity that does not exist"),
    "identity.trust-mismatch": ("annotated ServiceAccounts", "are not admitted by their identity's trust"),
    "identity.static-cloud-credentials": ("workloads", "carry static cloud credentials"),
    "identity.cluster-admin-sprawl": ("ClusterRoleBindings", "grant cluster-admin beyond the platform"),
    "compute.missing-requests": ("workloads", "lack CPU/memory requests"),
    "compute.missing-memory-limit": ("workloads", "lack a memory limit"),
    "compute.no-pdb": ("workloads", "lack a PodDisruptionBudget"),
    "compute.pdb-blocks-eviction": ("PodDisruptionBudgets", "allow no disruption"),
    "compute.no-priority-class": ("workloads", "lack a PriorityClass"),
    "network.missing-readiness-probe": ("workloads", "lack a readiness probe"),
    "network.readiness-failing": ("pods", "fail their readiness probe"),
    "network.no-default-deny": ("namespaces", "lack a default-deny NetworkPolicy"),
    "network.ingress-timeout-default": ("Ingresses", "keep the default proxy timeouts"),
    "storage.immediate-binding": ("StorageClasses", "bind volumes Immediately"),
    "storage.database-as-deployment": ("Deployments", "run a database as a Deployment"),
    "observability.log-context-missing": ("workloads", "log without trace_id/pod/node/zone context"),
    "observability.no-metrics-pipeline": ("cluster", "has no metrics pipeline (USE)"),
    "observability.no-red-metrics": ("Services", "lack RED metrics"),
}

_SOURCE = "r2c_clouds"
_MAX_IDS = 10


def _user(ns: str | None) -> bool:
    return not is_system_namespace(ns)


def _workloads(c: ClusterState) -> int:
    return c.memo("checklist.workloads", _count_workloads)


def _count_workloads(c: ClusterState) -> int:
    # the workload grouping the rules count in: controllers, then other owners and bare pods
    return sum(1 for w in workloads(c) if _user(w.ref.namespace))


_WI_ANNOTATIONS = ("eks.amazonaws.com/role-arn", "azure.workload.identity/client-id", "iam.gke.io/gcp-service-account")

#: How many objects a count is out of, by what is counted (``None``: no total).
_TOTALS: dict[str, Callable[[ClusterState], int | None]] = {
    "workloads": _workloads,
    "pods": lambda c: sum(1 for p in c.pods if _user(p.metadata.namespace)),
    "namespaces": lambda c: len(list(c.user_namespaces())),
    "Ingresses": lambda c: sum(1 for i in c.ingresses if _user(i.metadata.namespace)),
    "StorageClasses": lambda c: len(c.storage_classes),
    "Deployments": lambda c: sum(1 for d in c.deployments if _user(d.metadata.namespace)),
    "Services": lambda c: sum(1 for s in c.services if _user(s.metadata.namespace)),
    "ClusterRoleBindings": lambda c: len(c.cluster_role_bindings),
    "PodDisruptionBudgets": lambda c: len(c.pdbs),
    "annotated ServiceAccounts": lambda c: sum(
        1 for s in c.service_accounts if any(a in s.metadata.annotations for a in _WI_ANNOTATIONS)
    ),
    "cluster": lambda c: None,
}


def _count_text(rule: str, found: Sequence[Finding], cluster: ClusterState) -> str:
    noun, phrase = RULE_COUNTS.get(rule, ("objects", "have findings"))
    n = len({f.subject for f in found})
    if noun == "cluster":
        return f"the cluster {phrase}" if n else f"the cluster: no finding of {rule}"
    counter = _TOTALS.get(noun)
    total = counter(cluster) if counter is not None else None
    if total is not None and total >= n:
        return f"{n if n else 'none'} of {total} {noun} {phrase}"
    return f"{n} {noun} {phrase}"


def _ids(found: Sequence[Finding]) -> str:
    ids = [f.id for f in found[:_MAX_IDS]]
    more = f" (+{len(found) - _MAX_IDS} more)" if len(found) > _MAX_IDS else ""
    return ", ".join(ids) + more


def _sub_status(
    sub: SubCheck,
    by_rule: dict[str, list[Finding]],
    skipped: dict[str, str],
    cluster: ClusterState,
) -> tuple[Status, list[Evidence]]:
    evidence: list[Evidence] = []
    checked = [r for r in sub.rules if r not in skipped]
    for r in sub.rules:
        if r in skipped:
            evidence.append(Evidence(_SOURCE, r, f"not checked: {skipped[r]}"))
            continue
        found = by_rule.get(r, [])
        detail = _count_text(r, found, cluster)
        if found:
            detail += f" ({_ids(found)})"
        evidence.append(Evidence(_SOURCE, r, detail))
    if not checked:
        return Status.NOT_CHECKED, evidence
    found = [f for r in checked for f in by_rule.get(r, [])]
    if any(f.severity >= Severity.MEDIUM for f in found):
        return Status.FAIL, evidence
    if found or len(checked) < len(sub.rules):
        return Status.PARTIAL, evidence
    return Status.PASS, evidence


def _roll_up(statuses: Sequence[Status]) -> Status:
    checked = [s for s in statuses if s is not Status.NOT_CHECKED]
    if not checked:
        return Status.NOT_CHECKED
    if len(checked) == len(statuses) and all(s is Status.PASS for s in checked):
        return Status.PASS
    if all(s is Status.FAIL for s in checked):
        return Status.FAIL
    return Status.PARTIAL


def _skipped(not_checked: Sequence[NotChecked]) -> dict[str, str]:
    """Rule ids that did not run and why: reported not checked, or not in the catalogue."""
    from r2c_clouds.rules import REGISTRY

    out = {nc.what: nc.reason for nc in not_checked}
    for sub in SUB_CHECKS:
        for r in sub.rules:
            if r not in REGISTRY:
                out.setdefault(r, "rule not available")
    return out


def unselected_rules(rules: Sequence[str] | None, loops: Sequence[str] | None) -> list[NotChecked]:
    """The checklist's rules a scan limited by ``rules=``/``loops=`` did not run, as not checked.

    Args:
        rules: the rule ids the scan ran (``None``: all).
        loops: the loops the scan ran (``None``: all).
    """
    out = []
    for sub in SUB_CHECKS:
        for r in sub.rules:
            if (rules is not None and r not in rules) or (loops is not None and r.split(".", 1)[0] not in loops):
                out.append(NotChecked(r, "not selected (--rule/--loop)"))
    return out


def build_checklist(
    cluster: ClusterState, facts: CloudFacts | None, findings: Sequence[Finding], not_checked: Sequence[NotChecked]
) -> list[ChecklistItem]:
    """The Cluster Readiness Checklist.

    Args:
        cluster: the scanned cluster.
        facts: the cloud facts (``None`` without a provider).
        findings: every finding of the scan.
        not_checked: what was not checked (rule ids among them), as the scan reports it.

    Returns:
        One item per loop plus observability, in the seed's order, then the Azure items on
        an Azure cluster.

    .. versionadded:: 0.1
    """
    by_rule: dict[str, list[Finding]] = defaultdict(list)
    for f in sorted(findings, key=lambda f: f.sort_key):
        by_rule[f.rule].append(f)
    skipped = _skipped(not_checked)
    items: list[ChecklistItem] = []
    for item, title in ITEMS:
        checks: list[tuple[str, Status]] = []
        evidence: list[Evidence] = []
        for sub in SUB_CHECKS:
            if sub.item != item:
                continue
            status, ev = _sub_status(sub, by_rule, skipped, cluster)
            checks.append((sub.name, status))
            evidence.extend(ev)
        items.append(
            ChecklistItem(
                item=item,
                title=title,
                status=_roll_up([s for _, s in checks]),
                evidence=tuple(evidence),
                checks=tuple(checks),
            )
        )
    if is_azure(cluster, facts):
        items.extend(_azure_items(cluster, facts, by_rule, skipped))
    return items


def is_azure(cluster: ClusterState, facts: CloudFacts | None) -> bool:
    """An AKS cluster: the provider is azure (or recorded facts came from azure), or the
    nodes' providerID is ``azure://``."""
    if facts is not None:
        if facts.provider == "azure":
            return True
        recorded = [
            *(x.provenance for x in (facts.cluster_identity, facts.network) if x is not None),
            *(p.provenance for p in facts.node_pools),
        ]
        if any(p.provider == "azure" for p in recorded):
            return True
    return any((n.spec.provider_id or "").startswith("azure://") for n in cluster.nodes)


# --------------------------------------------------------------------------- Azure (Petro's items)

_AZURE_DISK_PROVISIONERS = frozenset({"disk.csi.azure.com", "kubernetes.io/azure-disk"})


def _one(item: str, title: str, status: Status, evidence: Sequence[Evidence]) -> ChecklistItem:
    return ChecklistItem(item=item, title=title, status=status, evidence=tuple(evidence), checks=((title, status),))


def _azure_items(
    cluster: ClusterState,
    facts: CloudFacts | None,
    by_rule: dict[str, list[Finding]],
    skipped: dict[str, str],
) -> list[ChecklistItem]:
    return [
        _azure_workload_identity(facts, by_rule),
        _azure_static_secrets(cluster, by_rule, skipped),
        _azure_zone_aware_storage(cluster, facts),
        _azure_keda(cluster, facts, by_rule),
    ]


def _azure_workload_identity(facts: CloudFacts | None, by_rule: dict[str, list[Finding]]) -> ChecklistItem:
    item, title = "azure.workload-identity-enabled", "Workload Identity enabled"
    ci = facts.cluster_identity if facts is not None else None
    if ci is None or ci.workload_identity_enabled is None:
        why = "needs cloud facts (scan with --cloud)" if facts is None else "cluster identity not reported"
        return _one(item, title, Status.NOT_CHECKED, [Evidence(_SOURCE, "cluster_identity", f"not checked: {why}")])
    ref = ci.provenance.ref()
    detail = f"securityProfile.workloadIdentity.enabled is {str(ci.workload_identity_enabled).lower()}"
    if ci.oidc_issuer:
        detail += f"; OIDC issuer {ci.oidc_issuer}"
    ev = [Evidence(ci.provenance.provider, ref, detail)]
    broken = by_rule.get("identity.identity-not-found", []) + by_rule.get("identity.trust-mismatch", [])
    if not ci.workload_identity_enabled:
        return _one(item, title, Status.FAIL, ev)
    if broken:
        ev.append(Evidence(_SOURCE, "identity", f"{len(broken)} ServiceAccount binding(s) broken ({_ids(broken)})"))
        return _one(item, title, Status.PARTIAL, ev)
    return _one(item, title, Status.PASS, ev)


def _azure_static_secrets(
    cluster: ClusterState, by_rule: dict[str, list[Finding]], skipped: dict[str, str]
) -> ChecklistItem:
    item, title = "azure.static-secrets-removed", "Static cloud secrets removed"
    rule = "identity.static-cloud-credentials"
    if rule in skipped:
        return _one(item, title, Status.NOT_CHECKED, [Evidence(_SOURCE, rule, f"not checked: {skipped[rule]}")])
    found = by_rule.get(rule, [])
    detail = _count_text(rule, found, cluster) + (f" ({_ids(found)})" if found else "")
    status = Status.PASS
    if any(f.severity >= Severity.MEDIUM for f in found):
        status = Status.FAIL
    elif found:
        status = Status.PARTIAL
    return _one(item, title, status, [Evidence(_SOURCE, rule, detail)])


def _azure_zone_aware_storage(cluster: ClusterState, facts: CloudFacts | None) -> ChecklistItem:
    item, title = "azure.zone-aware-storage-classes", "Zone-aware storage classes confirmed"
    if not cluster.has("StorageClass"):
        return _one(item, title, Status.NOT_CHECKED, [Evidence(_SOURCE, "StorageClass", "not checked: not captured")])
    bad: list[str] = []
    good: list[str] = []
    for sc in cluster.storage_classes:
        if sc.provisioner not in _AZURE_DISK_PROVISIONERS:
            continue
        sku = sc.parameters.get("skuName") or sc.parameters.get("skuname") or sc.parameters.get("storageaccounttype") or ""
        if sc.volume_binding_mode == "WaitForFirstConsumer" or sku.upper().endswith("_ZRS"):
            good.append(sc.metadata.name)
        else:
            bad.append(f"{sc.metadata.name} ({sc.volume_binding_mode or 'Immediate'}, {sku or 'LRS default'})")
    if not good and not bad:
        return _one(item, title, Status.PASS, [Evidence("kubernetes", "StorageClass", "no Azure Disk StorageClasses")])
    ev = []
    if good:
        ev.append(Evidence("kubernetes", "StorageClass", f"zone-aware (WaitForFirstConsumer or ZRS): {', '.join(sorted(good))}"))
    if bad:
        ev.append(Evidence("kubernetes", "StorageClass", f"zonal disks bound Immediately: {', '.join(sorted(bad))}"))
    return _one(item, title, Status.FAIL if bad else Status.PASS, ev)


def _keda_running(cluster: ClusterState) -> bool:
    return any(
        p.metadata.labels.get("app") == "keda-operator"
        or p.metadata.labels.get("app.kubernetes.io/name") == "keda-operator"
        or p.metadata.name.startswith("keda-operator-")
        for p in cluster.pods
    )


def _azure_keda(cluster: ClusterState, facts: CloudFacts | None, by_rule: dict[str, list[Finding]]) -> ChecklistItem:
    item, title = "azure.keda-validated", "KEDA autoscaling validated"
    scaled = len(cluster.scaled_objects)
    broken = by_rule.get("compute.keda-not-enabled", [])
    if broken:
        return _one(item, title, Status.FAIL, [Evidence(
            _SOURCE, "compute.keda-not-enabled", f"{len(broken)} of {scaled} ScaledObjects have no KEDA to act on them ({_ids(broken)})")])
    net = facts.network if facts is not None else None
    enabled = net.keda_enabled if net is not None else None
    if enabled is None and not _keda_running(cluster):
        why = "needs cloud facts (scan with --cloud)" if facts is None else "network settings not reported"
        return _one(item, title, Status.NOT_CHECKED, [Evidence(_SOURCE, "network", f"not checked: {why}")])
    if enabled or _keda_running(cluster):
        src, ref = ("kubernetes", "Pod keda-operator") if not enabled or net is None else (net.provenance.provider, net.provenance.ref())
        return _one(item, title, Status.PASS, [Evidence(src, ref, f"KEDA is enabled; {scaled} ScaledObject(s)")])
    assert net is not None
    return _one(item, title, Status.PARTIAL, [Evidence(
        net.provenance.provider, net.provenance.ref(),
        f"workloadAutoScalerProfile.keda.enabled is false and {scaled} ScaledObject(s): KEDA not in use")])
