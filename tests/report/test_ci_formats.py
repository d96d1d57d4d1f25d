"""kubectl-style output (-o FORMAT, --output-file FILE) and the formats teams put into CI:
YAML (the JSON report's schema), a Markdown PR comment within GitHub's limit, OpenMetrics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import attrs
import jsonschema
import pytest
import yaml
from prometheus_client.openmetrics.parser import text_string_to_metric_families

import r2c_clouds as r2c
from r2c_clouds.cli import main
from r2c_clouds.model.findings import Finding, Loop, ObjectRef, Severity, finding_id
from r2c_clouds.report.markdown import GITHUB_COMMENT_LIMIT

SCHEMA = json.loads((Path(r2c.__file__).parent / "report" / "schema-v1.json").read_text())


@pytest.fixture(scope="module")
def report() -> Any:
    return r2c.scan(r2c.demo("domino"), cloud="recorded")


def test_yaml_is_the_json_report(report: Any) -> None:
    data = yaml.safe_load(report.to_yaml())
    jsonschema.validate(data, SCHEMA)
    assert data == json.loads(report.to_json())


def test_markdown_comment(report: Any) -> None:
    md = report.to_markdown(fail_on="high")
    assert md.startswith("## r2c · cluster shop-prod")
    assert "**4 finding(s) at or above high**" in md
    assert "### Cause chains (3)" in md
    table = md.split("| severity | rule | subject | finding |", 1)[1]
    assert table.index("🟧 high") < table.index("🟨 medium")  # failing findings first


def _many(report: Any, n: int) -> Any:
    extra = []
    for i in range(n):
        subject = ObjectRef("Pod", "shop", f"web-{i:05d}|<script>")
        extra.append(Finding(id=finding_id("compute.missing-requests", subject), rule="compute.missing-requests",
                             loop=Loop.COMPUTE, severity=Severity.MEDIUM, subject=subject,
                             message="container `app` has no requests \x1b[31m| <b>x</b> " + "y" * 200))
    return attrs.evolve(report, findings=report.findings + tuple(extra))


def test_markdown_fits_githubs_limit_and_escapes_cluster_text(report: Any) -> None:
    md = _many(report, 2000).to_markdown()
    assert len(md) <= GITHUB_COMMENT_LIMIT
    assert "more findings: see the JSON report" in md
    assert "\x1b" not in md and "<script>" not in md and "<b>" not in md
    rows = [line for line in md.splitlines() if line.startswith("| ") and "web-" in line]
    assert rows and all(line.count(" | ") == 3 for line in rows)  # an escaped | does not add a column


def test_openmetrics_parses_and_counts(report: Any) -> None:
    text = report.to_openmetrics()
    assert text.endswith("# EOF\n")
    families = {f.name: f for f in text_string_to_metric_families(text)}
    findings = families["r2c_findings"]
    total = sum(s.value for s in findings.samples)
    assert total == len(report.findings)
    high = [s for s in findings.samples if s.labels["severity"] == "high"]
    assert sum(s.value for s in high) == 4
    assert families["r2c_scan_incomplete"].samples[0].value == 0


@pytest.mark.parametrize("fmt", ["json", "yaml", "sarif", "junit", "markdown", "html", "openmetrics", "text"])
def test_o_format_and_output_file(fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / f"report.{fmt}"
    code = main(["scan", "--demo", "domino", "-o", fmt, "--output-file", str(target)])
    out, err = capsys.readouterr()
    assert code == 1 and out == "", err
    assert target.read_text()
    assert main(["scan", "--demo", "domino", "--format", fmt, "--output-file", str(target)]) == 1  # alias


def test_o_with_a_file_name_is_exit_2_with_a_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", "--demo", "domino", "-o", "report.json"])
    err = capsys.readouterr().err
    assert code == 2 and "'report.json' is not an output format" in err and "--output-file FILE" in err
    assert not (Path.cwd() / "report.json").exists()


def test_piped_text_follows_columns(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    main(["scan", "--demo", "domino", "--color", "never"])
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 60
