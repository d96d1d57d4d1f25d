"""Sample reports for the renderer and CLI tests: one built by hand (a chain across loops, evidence,
a checklist, a hostile object name)."""

from __future__ import annotations

from factories import cluster, node, pod

from r2c_clouds.model.cloud import NotChecked
from r2c_clouds.model.findings import (
    Chain,
    ChecklistItem,
    Evidence,
    Finding,
    Loop,
    ObjectRef,
    Severity,
    Status,
    finding_id,
)
from r2c_clouds.report import Report, Stats

HOSTILE = '<script>alert("x")</script>'


def make_finding(
    rule: str,
    severity: Severity,
    subject: str,
    message: str,
    *,
    caused_by: tuple[str, ...] = (),
    evidence: tuple[Evidence, ...] = (),
) -> Finding:
    ref = ObjectRef.parse(subject)
    return Finding(
        id=finding_id(rule, ref),
        rule=rule,
        loop=Loop(rule.split(".", 1)[0]),
        severity=severity,
        subject=ref,
        message=message,
        evidence=evidence,
        caused_by=caused_by,
        remediation=f"fix for {rule}",
        docs="https://kubernetes.io/docs/concepts/storage/storage-classes/",
    )


def domino_findings() -> tuple[list[Finding], Chain]:
    sc = make_finding(
        "storage.immediate-binding",
        Severity.MEDIUM,
        "StorageClass/gp2",
        "StorageClass gp2 has volumeBindingMode Immediate: volumes are created before the pod is scheduled",
    )
    pvc = make_finding(
        "storage.zone-conflict",
        Severity.HIGH,
        "PersistentVolumeClaim/shop/checkout-cache",
        "volume pvc-3f1c (EBS vol-0abc) is in us-east-1a; the pod's only candidate nodes are in us-east-1b",
        caused_by=(sc.id,),
        evidence=(
            Evidence("aws", "aws ec2:DescribeVolumes vol-0abc", "volume is in us-east-1a"),
            Evidence(
                "kubernetes",
                "Event/shop/checkout-6f9c.17a",
                "0/3 nodes are available: 3 node(s) had volume node affinity conflict.",
                time="2026-11-25T09:03:00Z",
            ),
        ),
    )
    pending = make_finding(
        "compute.unschedulable",
        Severity.HIGH,
        "Pod/shop/checkout-6f9c",
        "Pending for 12m: 0/3 nodes are available: 3 node(s) had volume node affinity conflict.",
        caused_by=(pvc.id,),
    )
    chain = Chain(
        symptom=pending.id,
        root_causes=(sc.id,),
        path=(pending.id, pvc.id, sc.id),
        loops=(Loop.COMPUTE, Loop.STORAGE),
        summary="Pod shop/checkout-6f9c is Pending because its volume is in another zone",
    )
    return [pending, pvc, sc], chain


def build_report(extra: list[Finding] | None = None) -> Report:
    findings, chain = domino_findings()
    findings.append(
        make_finding("network.no-default-deny", Severity.LOW, f"Namespace/{HOSTILE}", f"namespace {HOSTILE} allows all")
    )
    findings.append(make_finding("identity.cluster-admin-sprawl", Severity.INFO, "ClusterRoleBinding/ops", "ops is cluster-admin"))
    findings.extend(extra or [])
    # deliberately not sorted: renderers must order findings themselves
    state = cluster([node("node-a"), pod("checkout-6f9c", "shop", node_name=None, phase="Pending")], name="prod-eks")
    return Report(
        cluster=state,
        facts=None,
        findings=tuple(findings),
        chains=(chain,),
        checklist=(
            ChecklistItem(
                "storage",
                "Storage: WaitForFirstConsumer enabled. StatefulSets for all stateful workloads",
                Status.FAIL,
                (Evidence("kubernetes", "StorageClass/gp2", "volumeBindingMode: Immediate"),),
                (("WaitForFirstConsumer", Status.FAIL), ("StatefulSets", Status.PASS)),
            ),
            ChecklistItem("identity", "Identity: IRSA or Workload Identity configured", Status.NOT_CHECKED),
        ),
        not_checked=(
            NotChecked("cloud facts", "cloud checks disabled (--cloud none)"),
            NotChecked("storage.zone-conflict", "not captured: PersistentVolume"),
        ),
        stats=Stats(objects={"Pod": 1, "Node": 1}, api_calls={"ec2:DescribeVolumes": 1}, duration_s=0.25),
        generated_at="2026-11-25T09:10:00Z",
        scan_id="5b0f3c2e9a7d4e61b8c3f2a1d0e9c8b7",
    )
