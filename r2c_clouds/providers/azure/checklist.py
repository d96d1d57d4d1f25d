"""Petro Kostiuk's four AKS readiness items, added to the checklist on Azure clusters.

Pure functions over the scan (no SDK): the kit's ``CloudProvider.checklist_items`` finds this
module by its name, so the core checklist names no cloud.
"""

from __future__ import annotations

from r2c_clouds.model.checklist import SOURCE as _SOURCE
from r2c_clouds.model.checklist import ChecklistContext, finding_ids, single_item
from r2c_clouds.model.cloud import CloudFacts
from r2c_clouds.model.cluster import ClusterState
from r2c_clouds.model.findings import ChecklistItem, Evidence, Finding, Severity, Status

__all__ = ["items"]


def items(ctx: ChecklistContext) -> list[ChecklistItem]:
    """The four items: Workload Identity enabled, static secrets removed, zone-aware storage
    classes, KEDA validated."""
    return [
        _azure_workload_identity(ctx.facts, ctx.by_rule),
        _azure_static_secrets(ctx),
        _azure_zone_aware_storage(ctx.cluster, ctx.facts),
        _azure_keda(ctx.cluster, ctx.facts, ctx.by_rule),
    ]

_AZURE_DISK_PROVISIONERS = frozenset({"disk.csi.azure.com", "kubernetes.io/azure-disk"})


def _azure_workload_identity(facts: CloudFacts | None, by_rule: dict[str, list[Finding]]) -> ChecklistItem:
    item, title = "azure.workload-identity-enabled", "Workload Identity enabled"
    ci = facts.cluster_identity if facts is not None else None
    if ci is None or ci.workload_identity_enabled is None:
        why = "needs cloud facts (scan with --cloud)" if facts is None else "cluster identity not reported"
        return single_item(item, title, Status.NOT_CHECKED, [Evidence(_SOURCE, "cluster_identity", f"not checked: {why}")])
    ref = ci.provenance.ref()
    detail = f"securityProfile.workloadIdentity.enabled is {str(ci.workload_identity_enabled).lower()}"
    if ci.oidc_issuer:
        detail += f"; OIDC issuer {ci.oidc_issuer}"
    ev = [Evidence(ci.provenance.provider, ref, detail)]
    broken = by_rule.get("identity.identity-not-found", []) + by_rule.get("identity.trust-mismatch", [])
    if not ci.workload_identity_enabled:
        return single_item(item, title, Status.FAIL, ev)
    if broken:
        ev.append(Evidence(_SOURCE, "identity", f"{len(broken)} ServiceAccount binding(s) broken ({finding_ids(broken)})"))
        return single_item(item, title, Status.PARTIAL, ev)
    return single_item(item, title, Status.PASS, ev)


def _azure_static_secrets(ctx: ChecklistContext) -> ChecklistItem:
    item, title = "azure.static-secrets-removed", "Static cloud secrets removed"
    rule = "identity.static-cloud-credentials"
    if rule in ctx.skipped:
        return single_item(item, title, Status.NOT_CHECKED, [Evidence(_SOURCE, rule, f"not checked: {ctx.skipped[rule]}")])
    found = ctx.by_rule.get(rule, [])
    detail = ctx.count_text(rule, found) + (f" ({finding_ids(found)})" if found else "")
    status = Status.PASS
    if any(f.severity >= Severity.MEDIUM for f in found):
        status = Status.FAIL
    elif found:
        status = Status.PARTIAL
    return single_item(item, title, status, [Evidence(_SOURCE, rule, detail)])


def _azure_zone_aware_storage(cluster: ClusterState, facts: CloudFacts | None) -> ChecklistItem:
    item, title = "azure.zone-aware-storage-classes", "Zone-aware storage classes confirmed"
    if not cluster.has("StorageClass"):
        return single_item(item, title, Status.NOT_CHECKED, [Evidence(_SOURCE, "StorageClass", "not checked: not captured")])
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
        return single_item(item, title, Status.PASS, [Evidence("kubernetes", "StorageClass", "no Azure Disk StorageClasses")])
    ev = []
    if good:
        ev.append(Evidence("kubernetes", "StorageClass", f"zone-aware (WaitForFirstConsumer or ZRS): {', '.join(sorted(good))}"))
    if bad:
        ev.append(Evidence("kubernetes", "StorageClass", f"zonal disks bound Immediately: {', '.join(sorted(bad))}"))
    return single_item(item, title, Status.FAIL if bad else Status.PASS, ev)


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
        return single_item(item, title, Status.FAIL, [Evidence(
            _SOURCE, "compute.keda-not-enabled", f"{len(broken)} of {scaled} ScaledObjects have no KEDA to act on them ({finding_ids(broken)})")])
    net = facts.network if facts is not None else None
    enabled = net.keda_enabled if net is not None else None
    if enabled is None and not _keda_running(cluster):
        why = "needs cloud facts (scan with --cloud)" if facts is None else "network settings not reported"
        return single_item(item, title, Status.NOT_CHECKED, [Evidence(_SOURCE, "network", f"not checked: {why}")])
    if enabled or _keda_running(cluster):
        src, ref = ("kubernetes", "Pod keda-operator") if not enabled or net is None else (net.provenance.provider, net.provenance.ref())
        return single_item(item, title, Status.PASS, [Evidence(src, ref, f"KEDA is enabled; {scaled} ScaledObject(s)")])
    assert net is not None
    return single_item(item, title, Status.PARTIAL, [Evidence(
        net.provenance.provider, net.provenance.ref(),
        f"workloadAutoScalerProfile.keda.enabled is false and {scaled} ScaledObject(s): KEDA not in use")])
