"""The Cluster Readiness Checklist: statuses from findings and not_checked, Azure items."""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from chains_domino import finding
from factories import cluster, container, meta, node, pod

from r2c_clouds.checklist import SUB_CHECKS, build_checklist
from r2c_clouds.model.cloud import (
    CloudFacts,
    ClusterIdentity,
    NetworkSettings,
    NotChecked,
    Provenance,
)
from r2c_clouds.model.cluster import ClusterState
from r2c_clouds.model.findings import ChecklistItem, Finding, Severity, Status
from r2c_clouds.providers import cloud_checklist_items
from r2c_clouds.rules import REGISTRY

ALL_RULES = sorted({r for s in SUB_CHECKS for r in s.rules})


def test_every_mapped_rule_is_in_the_catalogue() -> None:
    assert [r for r in ALL_RULES if r not in REGISTRY] == []


def _deploy(name: str, ns: str = "shop") -> dict[str, Any]:
    return {"kind": "Deployment", "apiVersion": "apps/v1", "metadata": meta(name, ns),
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container()]}}},
            "status": {"replicas": 2, "readyReplicas": 2}}


def _sc(name: str, provisioner: str, mode: str, sku: str) -> dict[str, Any]:
    return {"kind": "StorageClass", "apiVersion": "storage.k8s.io/v1", "metadata": meta(name, None),
            "provisioner": provisioner, "parameters": {"skuName": sku}, "volumeBindingMode": mode,
            "reclaimPolicy": "Delete"}


def _aws() -> ClusterState:
    objs = [node("ip-10-0-1-5.ec2.internal"), _deploy("api"), _deploy("web"), _deploy("worker"),
            pod("coredns-5d78c9869d-abcde", "kube-system", owner=("ReplicaSet", "coredns-5d78c9869d"))]
    for d in ("api", "web", "worker"):
        objs.append(pod(f"{d}-7d9f8b6c5-x1y2z", "shop", owner=("ReplicaSet", f"{d}-7d9f8b6c5"), labels={"app": d}))
    return cluster(objs)


def _azure(*, immediate_lrs: bool = False) -> ClusterState:
    vmss = "azure:///subscriptions/0000/resourceGroups/mc_rg_aks_eastus/providers/Microsoft.Compute/virtualMachineScaleSets/aks-nodepool1-12345678-vmss/virtualMachines/0"
    objs = [node("aks-nodepool1-12345678-vmss000000", "eastus-1", provider_id=vmss, labels={"kubernetes.azure.com/agentpool": "nodepool1"}),
            _deploy("api"), _sc("managed-csi", "disk.csi.azure.com", "WaitForFirstConsumer", "StandardSSD_LRS"),
            _sc("managed-csi-zrs", "disk.csi.azure.com", "Immediate", "Premium_ZRS")]
    if immediate_lrs:
        objs.append(_sc("legacy-premium", "disk.csi.azure.com", "Immediate", "Premium_LRS"))
    return cluster(objs)


def _item(items: list[ChecklistItem], name: str) -> ChecklistItem:
    return next(i for i in items if i.item == name)


def _check(item: ChecklistItem, prefix: str) -> Status:
    return next(s for n, s in item.checks if n.startswith(prefix))


def test_items_in_seed_order_all_pass_without_findings() -> None:
    items = build_checklist(_aws(), None, [], [])
    assert [i.item for i in items] == ["identity", "compute", "network", "storage", "observability"]
    assert all(i.status is Status.PASS for i in items)
    assert all(s is Status.PASS for i in items for _, s in i.checks)
    compute = _item(items, "compute")
    assert [n for n, _ in compute.checks] == ["requests and limits on all pods", "PodDisruptionBudgets set", "PriorityClass assigned"]
    assert any(e.detail == "none of 3 workloads lack CPU/memory requests" for e in compute.evidence)


def test_medium_finding_fails_its_sub_check_and_makes_the_item_partial() -> None:
    f = finding("compute.missing-requests", "Deployment/shop/api", ("Node/ip-10-0-1-5.ec2.internal",), severity=Severity.MEDIUM)
    compute = _item(build_checklist(_aws(), None, [f], []), "compute")
    assert _check(compute, "requests") is Status.FAIL
    assert _check(compute, "PodDisruptionBudgets") is Status.PASS
    assert compute.status is Status.PARTIAL
    ev = next(e for e in compute.evidence if e.ref == "compute.missing-requests")
    assert ev.detail == f"1 of 3 workloads lack CPU/memory requests ({f.id})"


def test_every_sub_check_failing_fails_the_item() -> None:
    fs = [finding("storage.immediate-binding", "StorageClass/gp2"),
          finding("storage.database-as-deployment", "Deployment/shop/api", severity=Severity.HIGH)]
    storage = _item(build_checklist(_aws(), None, fs, []), "storage")
    assert storage.status is Status.FAIL
    assert [s for _, s in storage.checks] == [Status.FAIL, Status.FAIL]


def test_low_findings_only_make_partial() -> None:
    fs = [finding("network.ingress-timeout-default", "Ingress/shop/web", severity=Severity.LOW)]
    network = _item(build_checklist(_aws(), None, fs, []), "network")
    assert _check(network, "ingress timeouts") is Status.PARTIAL
    assert network.status is Status.PARTIAL


def test_not_checked_rules_make_not_checked() -> None:
    nc = [NotChecked("storage.immediate-binding", "not captured: StorageClass"),
          NotChecked("storage.database-as-deployment", "not captured: Deployment")]
    storage = _item(build_checklist(_aws(), None, [], nc), "storage")
    assert storage.status is Status.NOT_CHECKED
    assert all(s is Status.NOT_CHECKED for _, s in storage.checks)
    assert any("not captured: StorageClass" in e.detail for e in storage.evidence)


def test_some_rules_not_checked_make_partial() -> None:
    nc = [NotChecked("identity.trust-mismatch", "needs cloud facts (scan with --cloud)"),
          NotChecked("identity.identity-not-found", "needs cloud facts (scan with --cloud)")]
    identity = _item(build_checklist(_aws(), None, [], nc), "identity")
    assert _check(identity, "workload identity") is Status.PARTIAL
    assert _check(identity, "zero static") is Status.PASS
    assert identity.status is Status.PARTIAL


def test_rule_missing_from_catalogue_is_not_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(REGISTRY, "compute.no-priority-class")
    compute = _item(build_checklist(_aws(), None, [], []), "compute")
    assert _check(compute, "PriorityClass") is Status.NOT_CHECKED
    assert compute.status is Status.PARTIAL


def test_findings_of_unmapped_rules_do_not_change_the_checklist() -> None:
    fs = [finding("compute.unschedulable", "Pod/shop/api-7d9f8b6c5-x1y2z", severity=Severity.CRITICAL)]
    assert all(i.status is Status.PASS for i in build_checklist(_aws(), None, fs, []))


def test_azure_items_only_on_azure() -> None:
    aws = build_checklist(_aws(), None, [], [], cloud_items=cloud_checklist_items)
    assert not any(i.item.startswith("azure.") for i in aws)
    az = build_checklist(_azure(), None, [], [], cloud_items=cloud_checklist_items)
    assert [i.item for i in az[5:]] == [
        "azure.workload-identity-enabled", "azure.static-secrets-removed",
        "azure.zone-aware-storage-classes", "azure.keda-validated",
    ]
    # from the provider name too, whatever the nodes say, and from facts recorded on azure
    assert len(build_checklist(_aws(), CloudFacts(provider="azure"), [], [], cloud_items=cloud_checklist_items)) == 9
    recorded = attrs.evolve(_facts(wi=True, keda=True), provider="recorded")
    assert len(build_checklist(_aws(), recorded, [], [], cloud_items=cloud_checklist_items)) == 9
    assert len(build_checklist(_aws(), CloudFacts(provider="recorded"), [], [], cloud_items=cloud_checklist_items)) == 5


def test_azure_items_without_cloud_facts() -> None:
    items = build_checklist(_azure(), None, [], [], cloud_items=cloud_checklist_items)
    assert _item(items, "azure.workload-identity-enabled").status is Status.NOT_CHECKED
    assert _item(items, "azure.keda-validated").status is Status.NOT_CHECKED
    assert _item(items, "azure.static-secrets-removed").status is Status.PASS
    assert _item(items, "azure.zone-aware-storage-classes").status is Status.PASS


def test_azure_zone_aware_storage_fails_on_immediate_lrs() -> None:
    item = _item(build_checklist(_azure(immediate_lrs=True), None, [], [], cloud_items=cloud_checklist_items), "azure.zone-aware-storage-classes")
    assert item.status is Status.FAIL
    assert any("legacy-premium" in e.detail for e in item.evidence)
    assert not any("managed-csi-zrs (" in e.detail for e in item.evidence)


def test_azure_static_secrets_fail_on_finding() -> None:
    f = finding("identity.static-cloud-credentials", "Deployment/shop/api", severity=Severity.HIGH)
    item = _item(build_checklist(_azure(), None, [f], [], cloud_items=cloud_checklist_items), "azure.static-secrets-removed")
    assert item.status is Status.FAIL


def _facts(*, wi: bool, keda: bool) -> CloudFacts:
    prov = Provenance("azure", "ContainerService.ManagedClusters.Get", "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks")
    return CloudFacts(provider="azure", cluster_identity=ClusterIdentity(prov, oidc_issuer="https://eastus.oic.prod-aks.azure.com/0000/1111/",
                                                                         workload_identity_enabled=wi),
                      network=NetworkSettings(prov, keda_enabled=keda))


def test_azure_items_with_cloud_facts() -> None:
    good = build_checklist(_azure(), _facts(wi=True, keda=True), [], [], cloud_items=cloud_checklist_items)
    assert _item(good, "azure.workload-identity-enabled").status is Status.PASS
    assert _item(good, "azure.keda-validated").status is Status.PASS
    bad = build_checklist(_azure(), _facts(wi=False, keda=False), [], [], cloud_items=cloud_checklist_items)
    assert _item(bad, "azure.workload-identity-enabled").status is Status.FAIL
    assert _item(bad, "azure.keda-validated").status is Status.PARTIAL
    broken = [finding("compute.keda-not-enabled", "ScaledObject/shop/api", ("Cluster/aks",), severity=Severity.HIGH)]
    assert _item(build_checklist(_azure(), _facts(wi=True, keda=False), broken, [], cloud_items=cloud_checklist_items),
                 "azure.keda-validated").status is Status.FAIL


def test_evidence_lists_finding_ids() -> None:
    fs: list[Finding] = [finding("network.no-default-deny", f"Namespace/ns-{i}") for i in range(12)]
    network = _item(build_checklist(_aws(), None, fs, []), "network")
    ev = next(e for e in network.evidence if e.ref == "network.no-default-deny")
    assert ev.detail.startswith("12 namespaces lack a default-deny NetworkPolicy (")
    assert ev.detail.endswith("(+2 more))")
    assert sum(f.id in ev.detail for f in fs) == 10


def test_scan_limited_to_a_loop_does_not_pass_the_others() -> None:
    import r2c_clouds

    report = r2c_clouds.scan(_aws(), cloud="none", loops=["storage"])
    status = {i.item: i.status for i in report.checklist}
    assert status["storage"] is Status.PASS
    assert status["identity"] is Status.NOT_CHECKED
    assert status["compute"] is Status.NOT_CHECKED
    report = r2c_clouds.scan(_aws(), cloud="none", rules=["compute.missing-requests"])
    compute = _item(list(report.checklist), "compute")
    assert _check(compute, "requests") is Status.PARTIAL  # missing-memory-limit was not run
    assert _check(compute, "PriorityClass") is Status.NOT_CHECKED
