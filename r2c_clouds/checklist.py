"""The Cluster Readiness Checklist of the seed article, built from the scan's findings.

One item per loop plus observability, each with sub-checks mapped to rule ids in
:data:`SUB_CHECKS`. A sub-check's status comes from its rules:

- ``pass``: its rules ran and found nothing;
- ``fail``: a finding at ``medium`` or above;
- ``partial``: only ``low``/``info`` findings, or some of its rules were not checked;
- ``not-checked``: none of its rules could run (kinds not captured, no cloud facts, rule
  not available).

An item is ``pass`` when every sub-check passes, ``not-checked`` when none could be checked,
``fail`` when every checked sub-check fails, ``partial`` otherwise. The cloud's plugin may
add items of its own (:class:`ChecklistContext`, ``CloudProvider.checklist_items``): on Azure,
Petro Kostiuk's four (``azure.workload-identity-enabled``, ``azure.static-secrets-removed``,
``azure.zone-aware-storage-classes``, ``azure.keda-validated``), from
``r2c_clouds.providers.azure.checklist``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence

from attrs import frozen

from r2c_clouds.model.checklist import SOURCE, ChecklistContext, finding_ids, single_item
from r2c_clouds.model.cloud import CloudFacts, NotChecked
from r2c_clouds.model.cluster import ClusterState, is_system_namespace
from r2c_clouds.model.findings import ChecklistItem, Evidence, Finding, Severity, Status
from r2c_clouds.rules._workloads import workloads

__all__ = [
    "ITEMS",
    "RULE_COUNTS",
    "SOURCE",
    "SUB_CHECKS",
    "ChecklistContext",
    "SubCheck",
    "build_checklist",
    "count_text",
    "finding_ids",
    "single_item",
    "unselected_rules",
]


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


def count_text(rule: str, found: Sequence[Finding], cluster: ClusterState) -> str:
    """``"2 of 14 workloads have static cloud credentials"``: a rule's findings in words."""
    noun, phrase = RULE_COUNTS.get(rule, ("objects", "have findings"))
    n = len({f.subject for f in found})
    if noun == "cluster":
        return f"the cluster {phrase}" if n else f"the cluster: no finding of {rule}"
    counter = _TOTALS.get(noun)
    total = counter(cluster) if counter is not None else None
    if total is not None and total >= n:
        return f"{n if n else 'none'} of {total} {noun} {phrase}"
    return f"{n} {noun} {phrase}"


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
            evidence.append(Evidence(SOURCE, r, f"not checked: {skipped[r]}"))
            continue
        found = by_rule.get(r, [])
        detail = count_text(r, found, cluster)
        if found:
            detail += f" ({finding_ids(found)})"
        evidence.append(Evidence(SOURCE, r, detail))
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
    cluster: ClusterState,
    facts: CloudFacts | None,
    findings: Sequence[Finding],
    not_checked: Sequence[NotChecked],
    *,
    cloud_items: Callable[[ChecklistContext], Sequence[ChecklistItem]] | None = None,
) -> list[ChecklistItem]:
    """The Cluster Readiness Checklist.

    Args:
        cluster: the scanned cluster.
        facts: the cloud facts (``None`` without a provider).
        findings: every finding of the scan.
        cloud_items: the items the cluster's cloud adds (``scan`` passes
            :func:`r2c_clouds.providers.cloud_checklist_items`, which asks the cloud's plugin).
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
    if cloud_items is not None:
        ctx = ChecklistContext(cluster, facts, by_rule, skipped, counter=lambda rule, found: count_text(rule, found, cluster))
        items.extend(cloud_items(ctx))
    return items
