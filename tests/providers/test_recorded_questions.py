"""The recorded provider answers the questions of docs/scripts.md from a demo's recorded facts:
the same facts the scan reads, and the judges give the report's own words."""

from __future__ import annotations

from pathlib import Path

import pytest
from provider_questions import check_questions_match_the_scan

import r2c_clouds as r2c
from r2c_clouds.model.cloud import CloudFacts, NotChecked
from r2c_clouds.providers.recorded import RecordedProvider, load_facts
from r2c_clouds.rules import judge_egress_gateway, judge_identity_binding

DEMOS = Path(r2c.__file__).parent / "demo"


@pytest.mark.parametrize("demo", ["domino", "aks", "gke"])
def test_questions_give_the_scans_facts(demo: str) -> None:
    facts = load_facts(DEMOS / demo / "cloud-facts.json")
    check_questions_match_the_scan(lambda: RecordedProvider(facts), r2c.demo(demo))


@pytest.mark.parametrize("demo", ["domino", "aks", "gke"])
def test_the_judges_say_what_the_report_says(demo: str) -> None:
    report = r2c.scan(r2c.demo(demo), cloud="recorded")
    assert report.facts is not None
    by_subject = {(f.rule, str(f.subject)): f for f in report.findings}
    judged = 0
    for b in report.facts.identity_bindings:
        verdict = judge_identity_binding(b)
        finding = by_subject.get((verdict.rule, f"ServiceAccount/{b.namespace}/{b.service_account}"))
        if verdict.ok:
            assert finding is None
            continue
        assert finding is not None and finding.message.startswith(verdict.message), (verdict, finding)
        assert set(verdict.evidence) <= set(finding.evidence)
        judged += 1
    for gw in report.facts.egress_gateways:
        verdict = judge_egress_gateway(gw)
        finding = by_subject.get(("network.nat-saturation", f"NatGateway/{gw.gateway_id}"))
        assert (finding is None) == verdict.ok
        if finding is not None:
            assert finding.message == verdict.message and tuple(finding.evidence) == verdict.evidence
            judged += 1
    assert judged, "each demo has a cloud fact the report judges"


def test_a_family_recorded_as_not_checked_stays_not_checked() -> None:
    facts = CloudFacts(provider="aws", not_checked=(NotChecked("disks", "forbidden: ec2:DescribeVolumes"),))
    answer = RecordedProvider(facts).disks("vol-0abc")
    assert answer.facts == () and not answer.checked
    assert answer.not_checked == (NotChecked("disks", "forbidden: ec2:DescribeVolumes"),)
