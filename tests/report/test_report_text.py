"""The text report: chains first, findings by loop, plain without colour, long lists cut."""

from __future__ import annotations

import re

import attrs
from report_samples import HOSTILE, build_report, make_finding
from rich.console import Console

from r2c_clouds.model.findings import Severity
from r2c_clouds.report import Report
from r2c_clouds.report.text import MAX_PER_RULE, render_text

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_header_names_cluster_source_and_counts(report: Report) -> None:
    text = render_text(report)
    head = text.splitlines()[:4]
    assert "prod-eks" in head[0]
    assert "source   test" in head[1]
    assert "none" in head[2]
    assert "findings 5" in head[3]
    assert "0 critical · 2 high · 1 medium · 1 low · 1 info" in head[3]


def test_chain_drawn_as_tree_before_findings(report: Report) -> None:
    lines = render_text(report).splitlines()
    symptom = next(i for i, ln in enumerate(lines) if "Pod shop/checkout-6f9c  [compute · high]" in ln)
    pvc = next(i for i, ln in enumerate(lines) if "caused by  PersistentVolumeClaim shop/checkout-cache  [storage · high]" in ln)
    sc = next(i for i, ln in enumerate(lines) if "caused by  StorageClass gp2  [storage · medium]" in ln)
    assert symptom < pvc < sc
    assert "└── caused by" in lines[pvc]
    # the chain section comes before the per-loop findings
    first_loop = next(i for i, ln in enumerate(lines) if ln.startswith("compute (1)"))
    assert lines.index(next(ln for ln in lines if ln.startswith("Cause chains (1)"))) < symptom < first_loop
    assert "[compute → storage]" in "\n".join(lines)


def test_findings_grouped_by_loop_in_loop_order(report: Report) -> None:
    lines = render_text(report).splitlines()
    heads = [ln.split(" ", 1)[0] for ln in lines if re.match(r"^(identity|compute|network|storage|observability) \(\d+\)", ln)]
    assert heads == ["identity", "compute", "network", "storage"]
    text = "\n".join(lines)
    assert "storage (2)" in text
    assert re.search(r"^  fix +fix for storage.zone-conflict$", text, re.M)
    assert re.search(r"^    ↳ aws +aws ec2:DescribeVolumes vol-0abc  volume is in us-east-1a$", text, re.M)
    assert "(2026-11-25T09:03:00Z)" in text


def test_not_checked_and_footer(report: Report) -> None:
    text = render_text(report)
    assert "Not checked (2)" in text
    assert "storage.zone-conflict — not captured: PersistentVolume" in text
    footer = " ".join(text.split("Not checked (2)", 1)[1].rstrip().splitlines()[-2:])
    assert "objects 2 (Node 1, Pod 1)" in footer
    assert "cloud api calls 1 (ec2:DescribeVolumes 1)" in footer
    assert "0.25 s" in footer


def test_checklist_section(report: Report) -> None:
    text = render_text(report)
    assert "Cluster Readiness Checklist" in text
    assert re.search(r"^✗ fail +storage +Storage: WaitForFirstConsumer enabled", text, re.M)
    assert re.search(r"^\? not checked +identity +Identity: IRSA", text, re.M)
    checks = re.findall(r"^ +([✗✓]) (WaitForFirstConsumer|StatefulSets)$", text, re.M)
    assert checks == [("✗", "WaitForFirstConsumer"), ("✓", "StatefulSets")]


def test_checklist_text_shows_evidence(report: Report) -> None:
    from r2c_clouds.report.text import render_checklist_text

    text = render_checklist_text(report.checklist)
    assert re.search(r"^ +↳ StorageClass/gp2  volumeBindingMode: Immediate$", text, re.M)
    assert "volumeBindingMode: Immediate" not in render_text(report)  # the report's checklist is compact


def test_plain_without_color_and_ansi_with_color(report: Report) -> None:
    plain = render_text(report, color=False)
    assert not ANSI.search(plain)
    colored = render_text(report, color=True)
    assert ANSI.search(colored)
    # same words either way
    assert ANSI.sub("", colored).split() == plain.split()


def test_object_names_are_not_rich_markup(report: Report) -> None:
    rep = attrs.evolve(
        report,
        findings=(*report.findings, make_finding("network.no-default-deny", Severity.LOW, "Namespace/[bold]x[/bold]", "[red]m[/red]")),
    )
    text = render_text(rep)
    assert "Namespace [bold]x[/bold]" in text
    assert "[red]m[/red]" in text
    assert HOSTILE in text


def test_width_is_respected(report: Report) -> None:
    for width in (60, 100, 140):
        lines = render_text(report, width=width).splitlines()
        assert max(len(ln) for ln in lines) <= width


def test_long_lists_are_summarised() -> None:
    many = [
        make_finding("compute.missing-requests", Severity.MEDIUM, f"Deployment/shop/web-{i:05d}", "no CPU request")
        for i in range(10_000)
    ]
    text = render_text(build_report(many))
    assert f"... and {10_000 - MAX_PER_RULE} more: Deployment shop/web-{MAX_PER_RULE:05d}" in text
    assert text.count("no CPU request") == MAX_PER_RULE
    assert "Deployment shop/web-09999" not in text


def test_empty_report_says_no_findings(report: Report) -> None:
    empty = attrs.evolve(report, findings=(), chains=(), checklist=(), not_checked=())
    text = render_text(empty)
    assert "No findings." in text
    assert "Cause chains" not in text
    assert "Not checked" not in text


def test_rich_protocol(report: Report) -> None:
    console = Console(record=True, width=100, color_system=None)
    console.print(report)
    assert "caused by  StorageClass gp2" in console.export_text()


def test_scanned_report_renders(scanned: Report) -> None:
    text = scanned.to_text()
    assert "scan-me" in text
    for f in scanned.findings[:3]:
        assert f.rule in text


def test_wide_chains_are_cut(report: Report) -> None:
    from r2c_clouds.model.findings import Chain, Loop
    from r2c_clouds.report.text import MAX_CAUSES

    causes = [
        make_finding("compute.missing-requests", Severity.MEDIUM, f"Deployment/shop/w{i:03d}", "no CPU request")
        for i in range(50)
    ]
    symptom = make_finding(
        "compute.unschedulable", Severity.HIGH, "Pod/shop/big-0", "Pending", caused_by=tuple(c.id for c in causes)
    )
    chain = Chain(symptom.id, tuple(c.id for c in causes), (symptom.id, *[c.id for c in causes]), (Loop.COMPUTE,), "wide")
    text = render_text(attrs.evolve(report, findings=(symptom, *causes), chains=(chain,)))
    tree = text.split("Cause chains (1)", 1)[1].split("compute (51)", 1)[0]
    assert tree.count("caused by") == MAX_CAUSES
    assert f"... and {50 - MAX_CAUSES} more causes" in tree


def test_header_with_cloud_facts(report: Report) -> None:
    from r2c_clouds.model.cloud import CloudFacts

    facts = CloudFacts(provider="azure", cluster_name="aks-prod", region="eastus")
    text = render_text(attrs.evolve(report, facts=facts, cluster=attrs.evolve(report.cluster, server_version="v1.30.4")))
    head = text.splitlines()[:3]
    assert "Kubernetes v1.30.4" in head[0]
    assert head[2] == "cloud    azure (eastus)"
