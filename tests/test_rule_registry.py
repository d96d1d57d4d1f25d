"""The rule registry refuses drift between metadata and code; the runner reports not-checked."""

from __future__ import annotations

import re

import pytest
from factories import cluster, pod

from r2c_clouds.model.findings import Loop, ObjectRef, Severity
from r2c_clouds.rules import REGISTRY, iter_specs, run_rules
from r2c_clouds.rules._registry import RuleContext, rule

DESIGN_RULE_IDS = {
    "identity": ["static-cloud-credentials", "workload-identity-not-enabled", "identity-not-found",
                 "trust-mismatch", "cluster-admin-sprawl", "image-pull-auth"],
    "compute": ["missing-requests", "missing-memory-limit", "no-priority-class", "no-pdb",
                "pdb-blocks-eviction", "unschedulable", "fragmentation", "node-pool-zone-gap",
                "system-pool-user-workloads", "keda-not-enabled"],
    "network": ["missing-readiness-probe", "no-default-deny", "ingress-timeout-default",
                "service-no-ready-endpoints", "nat-saturation", "subnet-ip-exhaustion",
                "cross-zone-traffic", "mtu-mismatch"],
    "storage": ["immediate-binding", "zone-conflict", "database-as-deployment", "no-topology-spread",
                "statefulset-rollout-stuck"],
    "observability": ["no-metrics-pipeline", "no-red-metrics", "log-context-missing"],
}


def test_every_design_rule_id_is_registered() -> None:
    want = {f"{loop}.{name}" for loop, names in DESIGN_RULE_IDS.items() for name in names}
    assert want <= set(REGISTRY), sorted(want - set(REGISTRY))


def test_rule_metadata_is_complete() -> None:
    for spec in iter_specs():
        assert re.fullmatch(r"(identity|compute|network|storage|observability)\.[a-z0-9-]+", spec.id)
        assert spec.title and spec.rationale and spec.remediation, spec.id
        assert spec.docs.startswith("https://"), spec.id
        assert isinstance(spec.severity, Severity) and spec.loop is Loop(spec.id.split(".")[0])


def _fake_module_rule(module: str, func_name: str, rule_id: str) -> None:
    def body(ctx: RuleContext) -> list[object]:
        return []
    body.__name__ = func_name
    body.__module__ = module
    rule(rule_id, severity=Severity.LOW, title="t", rationale="r", remediation="m", docs="https://x")(body)


def test_decorator_refuses_id_that_does_not_match_module_or_function() -> None:
    with pytest.raises(ValueError, match=r"must be function zone_gap in rules/storage\.py"):
        _fake_module_rule("r2c_clouds.rules.compute", "zone_gap", "storage.zone-gap")
    with pytest.raises(ValueError, match="must be function"):
        _fake_module_rule("r2c_clouds.rules.storage", "other_name", "storage.zone-gap")
    with pytest.raises(ValueError, match="unknown cloud fact families"):
        rule("storage.x", severity=Severity.LOW, title="t", rationale="r", remediation="m", docs="https://x",
             needs_cloud=("volumes",))


def test_runner_reports_rules_whose_kinds_were_not_captured() -> None:
    c = cluster([pod("p")], captured=("Pod",))
    _, not_checked = run_rules(c, None)
    reasons = {nc.what: nc.reason for nc in not_checked}
    needing_pv = [s.id for s in iter_specs() if "PersistentVolume" in s.needs]
    assert needing_pv, "some rule reads PersistentVolumes"
    for rid in needing_pv:
        assert reasons[rid].startswith("not captured:") and "PersistentVolume" in reasons[rid]


def test_runner_reports_cloud_rules_without_facts() -> None:
    _, not_checked = run_rules(cluster([pod("p")]), None)
    reasons = {nc.what: nc.reason for nc in not_checked}
    cloud_rules = [s.id for s in iter_specs() if s.needs_cloud]
    assert cloud_rules
    for rid in cloud_rules:
        assert "cloud facts" in reasons[rid]


def test_runner_selects_rules_and_loops() -> None:
    c = cluster([pod("p", "shop", containers=[{"name": "c", "image": "nginx"}])])
    findings, _ = run_rules(c, None, loops=["storage"])
    assert all(f.loop is Loop.STORAGE for f in findings)
    findings, _ = run_rules(c, None, rules=["compute.missing-requests"])
    assert {f.rule for f in findings} == {"compute.missing-requests"}
    assert findings[0].subject == ObjectRef("Pod", "shop", "p")

