"""The JSON report: schema r2c_clouds/report/v1, validated against schema-v1.json, deterministic."""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from report_samples import build_report, make_finding

from r2c_clouds.model.findings import Severity
from r2c_clouds.report import SCHEMA, Report
from r2c_clouds.report.json import render_json, report_dict


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(resources.files("r2c_clouds.report").joinpath("schema-v1.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def test_hand_built_report_validates(report: Report, validator: Any) -> None:
    data = json.loads(render_json(report))
    validator.validate(data)
    assert data["schema"] == SCHEMA == "r2c_clouds/report/v1"
    assert data["cluster"] == {
        "name": "prod-eks", "source": "test", "server_version": None, "provider": None, "region": None,
        "scope": {"namespaces": None, "selector": None},
    }


def test_scanned_report_validates(scanned: Report, validator: Any) -> None:
    data = json.loads(scanned.to_json())
    validator.validate(data)
    assert data["cluster"]["name"] == "scan-me"
    assert data["stats"]["objects"]["Pod"] == 2
    assert len(data["findings"]) == len(scanned.findings)


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        (("findings", 0, "severity"), "urgent"),
        (("findings", 0, "loop"), "billing"),
        (("checklist", 0, "status"), "ok"),
        (("chains", 0, "symptom"), "not-an-id"),
        (("stats", "duration_s"), "fast"),
    ],
)
def test_schema_rejects_malformed_reports(report: Report, validator: Any, path: tuple[Any, ...], bad: Any) -> None:
    data = copy.deepcopy(report_dict(report))
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = bad
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(data)


def test_schema_rejects_missing_and_extra_keys(report: Report, validator: Any) -> None:
    data = report_dict(report)
    del data["findings"][0]["caused_by"]
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(data)
    data = report_dict(report)
    data["findings"][0]["surprise"] = 1
    with pytest.raises(jsonschema.ValidationError):
        validator.validate(data)


def test_finding_fields(report: Report) -> None:
    data = report_dict(report)
    pvc = next(f for f in data["findings"] if f["rule"] == "storage.zone-conflict")
    assert pvc["subject"] == {"kind": "PersistentVolumeClaim", "namespace": "shop", "name": "checkout-cache"}
    assert pvc["loop"] == "storage"
    assert pvc["severity"] == "high"
    assert pvc["evidence"][1] == {
        "source": "kubernetes",
        "ref": "Event/shop/checkout-6f9c.17a",
        "detail": "0/3 nodes are available: 3 node(s) had volume node affinity conflict.",
        "time": "2026-11-25T09:03:00Z",
    }
    sc = next(f for f in data["findings"] if f["rule"] == "storage.immediate-binding")
    assert pvc["caused_by"] == [sc["id"]]
    assert sc["subject"]["namespace"] is None
    chain = data["chains"][0]
    assert chain["loops"] == ["compute", "storage"]
    assert chain["root_causes"] == [sc["id"]]
    assert data["checklist"][0]["checks"] == [
        {"name": "WaitForFirstConsumer", "status": "fail"},
        {"name": "StatefulSets", "status": "pass"},
    ]
    assert data["checklist"][1]["status"] == "not-checked"


def test_findings_sorted_most_severe_first(report: Report) -> None:
    data = report_dict(report)
    levels = [Severity[f["severity"].upper()] for f in data["findings"]]
    assert levels == sorted(levels, reverse=True)
    assert data["findings"][0]["rule"] == "compute.unschedulable"
    assert data["findings"][-1]["severity"] == "info"


def test_output_does_not_depend_on_input_order(report: Report) -> None:
    import attrs

    shuffled = attrs.evolve(
        report,
        findings=tuple(reversed(report.findings)),
        not_checked=tuple(reversed(report.not_checked)),
        stats=attrs.evolve(report.stats, objects=dict(reversed(list(report.stats.objects.items())))),
    )
    assert render_json(shuffled) == render_json(report)
    assert render_json(report) == render_json(build_report())


def test_two_scans_differ_only_in_time_and_scan_id(scanned: Report) -> None:
    import r2c_clouds

    again = json.loads(r2c_clouds.scan(scanned.cluster, cloud="none").to_json())
    first = json.loads(scanned.to_json())
    assert first["scan_id"] != again["scan_id"]  # each scan its own id: the store keeps both
    for d in (first, again):
        d.pop("generated_at")
        d.pop("scan_id")
        d["stats"].pop("duration_s")
    assert first == again


def test_compact_and_unicode() -> None:
    rep = build_report([make_finding("storage.no-topology-spread", Severity.LOW, "StatefulSet/db/pg", "zone → zone ✓")])
    text = render_json(rep, indent=None)
    assert "\n" not in text.rstrip("\n")
    assert "zone → zone ✓" in text
    assert json.loads(text) == report_dict(rep)


def test_documented_example_validates(validator: Any) -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "report-format.md").read_text()
    example = doc.split("```json\n", 1)[1].split("```", 1)[0]
    data = json.loads(example)
    validator.validate(data)
    assert list(data) == list(report_dict(build_report()))


def test_cluster_block_from_cloud_facts(report: Report, validator: Any) -> None:
    import attrs

    from r2c_clouds.model.cloud import CloudFacts

    facts = CloudFacts(provider="aws", cluster_name="prod-eks-2", region="us-east-1")
    unnamed = attrs.evolve(report.cluster, name=None, server_version="v1.30.4")
    data = report_dict(attrs.evolve(report, cluster=unnamed, facts=facts))
    validator.validate(data)
    assert data["cluster"] == {
        "name": "prod-eks-2", "source": "test", "server_version": "v1.30.4", "provider": "aws", "region": "us-east-1",
        "scope": {"namespaces": None, "selector": None},
    }
