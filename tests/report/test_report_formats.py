"""SARIF 2.1.0, self-contained HTML (escaped), and the pandas DataFrame."""

from __future__ import annotations

import html
import json
import sys

import pytest
from report_samples import HOSTILE

from r2c_clouds.errors import R2CError
from r2c_clouds.report import Report
from r2c_clouds.rules import REGISTRY

# ---------------------------------------------------------------------- SARIF


def test_sarif_structure(report: Report) -> None:
    log = json.loads(report.to_sarif())
    assert log["version"] == "2.1.0"
    assert log["$schema"].endswith("sarif-2.1.0.json")
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "r2c_clouds"
    assert driver["informationUri"].startswith("https://")
    rule_ids = [r["id"] for r in driver["rules"]]
    assert rule_ids == sorted(rule_ids)
    assert set(REGISTRY) <= set(rule_ids)
    for r in driver["rules"]:
        assert {"id", "name", "shortDescription", "fullDescription", "defaultConfiguration"} <= set(r)
        assert r["defaultConfiguration"]["level"] in {"error", "warning", "note"}
    results = run["results"]
    assert len(results) == len(report.findings)
    for res in results:
        assert driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
        assert res["message"]["text"]
        assert res["partialFingerprints"]["r2cFindingId/v1"]


def test_sarif_levels_and_locations(report: Report) -> None:
    results = json.loads(report.to_sarif())["runs"][0]["results"]
    by_rule = {r["ruleId"]: r for r in results}
    pod = by_rule["compute.unschedulable"]
    assert pod["level"] == "error"
    assert pod["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "Pod/shop/checkout-6f9c"
    assert by_rule["storage.immediate-binding"]["level"] == "warning"
    assert by_rule["storage.immediate-binding"]["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "StorageClass/gp2"
    assert by_rule["identity.cluster-admin-sprawl"]["level"] == "note"


def test_sarif_fingerprints_are_finding_ids(report: Report) -> None:
    results = json.loads(report.to_sarif())["runs"][0]["results"]
    assert sorted(r["partialFingerprints"]["r2cFindingId/v1"] for r in results) == sorted(f.id for f in report.findings)


# ---------------------------------------------------------------------- HTML


def test_html_escapes_object_names(report: Report) -> None:
    page = report.to_html()
    # the one script is the report's own severity filter; a hostile name never adds one
    assert page.lower().count("<script") == 1
    assert "<script>alert" not in page.lower() and HOSTILE not in page
    assert html.escape(HOSTILE, quote=True) in page
    assert page.startswith("<!DOCTYPE html>")
    assert page.rstrip().endswith("</html>")


def test_html_is_self_contained(report: Report) -> None:
    page = report.to_html()
    assert "<link" not in page
    assert "src=" not in page
    assert "<style>" in page


def test_html_has_chain_findings_and_checklist(report: Report) -> None:
    page = report.to_html()
    assert "Cause chains (1)" in page
    assert 'class="chain"' in page
    assert page.count("<tr id=\"f-") == len(report.findings)
    assert "Cluster Readiness Checklist" in page
    assert "WaitForFirstConsumer" in page
    assert "root cause" in page and page.count('<svg xmlns="http://www.w3.org/2000/svg" class="r2c-chain"') == 1


def test_html_drops_non_http_links(report: Report) -> None:
    import attrs

    evil = attrs.evolve(report.findings[0], docs="javascript:alert(1)")
    page = attrs.evolve(report, findings=(evil,)).to_html()
    assert 'href="javascript' not in page


# ---------------------------------------------------------------------- DataFrame


def test_dataframe_without_pandas_is_one_clear_error(report: Report, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas -> ImportError
    with pytest.raises(R2CError) as info:
        report.to_dataframe()
    assert "pandas" in str(info.value)
    assert info.value.remediation == "pip install 'r2c_clouds[pandas]'"
    assert isinstance(info.value, ImportError)


def test_dataframe_rows(report: Report) -> None:
    from r2c_clouds.report.frame import COLUMNS

    df = report.to_dataframe()
    assert list(df.columns) == list(COLUMNS)
    assert len(df) == len(report.findings)
    assert df.iloc[0]["rule"] == "compute.unschedulable"
    assert list(df["severity_level"]) == sorted(df["severity_level"], reverse=True)
