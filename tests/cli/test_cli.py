"""The `r2c` command in-process: subcommands, formats, exit codes 0/1/2/130, one-line errors.

Scans read a kubectl ``List`` written to tmp_path; a test rule (``compute.cli-marker``)
is registered for the duration of a test so exit codes do not depend on the catalogue:
it reports every pod labelled ``r2c.test/severity`` at that severity.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import r2c_clouds
from r2c_clouds.cli import _Progress, main
from r2c_clouds.model.findings import Loop, ObjectRef, Severity
from r2c_clouds.rules import REGISTRY, RuleContext, RuleSpec

MARKER = "compute.cli-marker"
LABEL = "r2c.test/severity"


def _marker(ctx: RuleContext) -> Iterator[Any]:
    for p in ctx.cluster.pods:
        sev = p.metadata.labels.get(LABEL)
        if sev:
            yield ctx.finding(
                ObjectRef("Pod", p.metadata.namespace, p.metadata.name),
                f"pod is marked {sev}",
                severity=Severity.parse(sev),
            )


@pytest.fixture(autouse=True)
def marker_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = RuleSpec(
        id=MARKER,
        loop=Loop.COMPUTE,
        severity=Severity.MEDIUM,
        title="Test marker",
        rationale="Exercises exit codes.",
        remediation="Remove the label.",
        docs="https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/",
        needs=("Pod",),
    )
    monkeypatch.setitem(REGISTRY, MARKER, (spec, _marker))


def _pod(name: str, severity: str | None) -> dict[str, Any]:
    labels = {"app": name}
    if severity:
        labels[LABEL] = severity
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "shop", "uid": f"uid-{name}", "labels": labels,
                     "creationTimestamp": "2026-11-25T08:00:00Z"},
        "spec": {"nodeName": "ip-10-0-1-23.ec2.internal", "serviceAccountName": "default",
                 "containers": [{"name": "app", "image": "nginx:1.27",
                                 "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}}}]},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
    }


def write_snapshot(tmp_path: Path, *severities: str | None) -> str:
    node = {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "ip-10-0-1-23.ec2.internal", "uid": "uid-node",
                     "labels": {"topology.kubernetes.io/zone": "us-east-1a", "kubernetes.io/hostname": "ip-10-0-1-23"}},
        "spec": {"providerID": "aws:///us-east-1a/i-0a1b2c3d4e5f60718"},
        "status": {"allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110"},
                   "conditions": [{"type": "Ready", "status": "True"}]},
    }
    items = [node] + [_pod(f"web-{i}", sev) for i, sev in enumerate(severities)]
    path = tmp_path / "pods.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln and not ln.startswith("hint: ")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    assert lines[0].startswith("r2c: error: ")
    return lines[0]


# ---------------------------------------------------------------------- exit codes


@pytest.mark.parametrize(
    ("severities", "fail_on", "expected"),
    [
        (("high",), None, 1),          # default --fail-on high
        (("medium",), None, 0),
        (("medium",), "medium", 1),
        (("high",), "critical", 0),
        (("critical", "low"), "critical", 1),
        (("info",), "info", 1),
        ((None, None), "info", 0),     # nothing found at all
    ],
)
def test_scan_exit_code_follows_fail_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], severities: tuple[str | None, ...], fail_on: str | None, expected: int
) -> None:
    snap = write_snapshot(tmp_path, *severities)
    argv = ["scan", "--snapshot", snap, "--cloud", "none", "--rule", MARKER]
    if fail_on:
        argv += ["--fail-on", fail_on]
    code, out, err = run(capsys, *argv)
    assert code == expected, err
    assert err == ""
    assert ("pod is marked" in out) == any(severities)


def test_bad_fail_on_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "scan", "--snapshot", write_snapshot(tmp_path), "--fail-on", "urgent")
    assert code == 2
    assert out == ""
    line = one_error_line(err)
    assert "--fail-on" in line and "'urgent'" in line


def test_unknown_rule_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "scan", "--snapshot", write_snapshot(tmp_path), "--rule", f"{MARKER},storage.no-such-rule")
    assert code == 2
    assert "storage.no-such-rule" in one_error_line(err)
    assert "r2c rules" in err


def test_unknown_loop_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "scan", "--snapshot", write_snapshot(tmp_path), "--loop", "storage,billing")
    assert code == 2
    assert "'billing'" in one_error_line(err)


def test_missing_snapshot_names_the_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "no" / "such-dump"
    code, out, err = run(capsys, "scan", "--snapshot", str(missing))
    assert code == 2
    assert out == ""
    assert str(missing) in one_error_line(err)


def test_bad_snapshot_content_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{"apiVersion": "v1", "kind": "List", "items": [')
    code, _, err = run(capsys, "scan", "--snapshot", str(bad))
    assert code == 2
    assert str(bad) in one_error_line(err)


def test_sources_are_mutually_exclusive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "scan", "--snapshot", write_snapshot(tmp_path), "--demo", "domino")
    assert code == 2
    assert "not allowed with" in one_error_line(err)


def test_no_command_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys)
    assert code == 2
    assert "COMMAND" in one_error_line(err)


def test_help_and_version_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for cmd in ("scan", "explain", "checklist", "map", "snapshot", "rules"):
        assert cmd in out
    code, out, _ = run(capsys, "--version")
    assert code == 0
    assert r2c_clouds.__version__ in out


def test_keyboard_interrupt_exits_130(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(path: str) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(r2c_clouds, "load_snapshot", interrupted)
    code, _, err = run(capsys, "scan", "--snapshot", write_snapshot(tmp_path))
    assert code == 130
    assert "Traceback" not in err


def test_unexpected_error_is_one_line_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(path: str) -> None:
        raise RuntimeError("boom")

    monkeypatch.delenv("R2C_DEBUG", raising=False)
    monkeypatch.setattr(r2c_clouds, "load_snapshot", broken)
    code, _, err = run(capsys, "scan", "--snapshot", write_snapshot(tmp_path))
    assert code == 70
    assert "internal error: RuntimeError: boom" in one_error_line(err)


# ---------------------------------------------------------------------- formats and output


def test_scan_json_is_the_v1_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = write_snapshot(tmp_path, "high")
    code, out, _ = run(capsys, "scan", "--snapshot", snap, "--cloud", "none", "--format", "json", "--rule", MARKER)
    assert code == 1
    data = json.loads(out)
    assert data["schema"] == "r2c_clouds/report/v1"
    assert [f["rule"] for f in data["findings"]] == [MARKER]
    assert data["findings"][0]["subject"] == {"kind": "Pod", "namespace": "shop", "name": "web-0"}
    assert data["cluster"]["source"].endswith("pods.json")


def test_scan_sarif_and_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = write_snapshot(tmp_path, "medium")
    _, out, _ = run(capsys, "scan", "--snapshot", snap, "--cloud", "none", "--format", "sarif", "--rule", MARKER)
    sarif = json.loads(out)
    assert sarif["version"] == "2.1.0"
    assert sarif["runs"][0]["results"][0]["ruleId"] == MARKER
    _, out, _ = run(capsys, "scan", "--snapshot", snap, "--cloud", "none", "--format", "html", "--rule", MARKER)
    assert out.startswith("<!DOCTYPE html>")
    assert "Pod/shop/web-0" in out


def test_output_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = write_snapshot(tmp_path, "low")
    target = tmp_path / "report.json"
    code, out, _ = run(capsys, "scan", "--snapshot", snap, "--cloud", "none", "-o", "json", "--output-file", str(target))
    assert code == 0
    assert out == ""
    assert json.loads(target.read_text())["schema"] == "r2c_clouds/report/v1"


def test_output_file_unwritable_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = write_snapshot(tmp_path)
    target = tmp_path / "missing-dir" / "r.txt"
    code, _, err = run(capsys, "scan", "--snapshot", snap, "--cloud", "none", "--output-file", str(target))
    assert code == 2
    assert str(target) in one_error_line(err)


def test_color_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = write_snapshot(tmp_path, "high")
    ansi = re.compile(r"\x1b\[[0-9;]*m")
    _, out, _ = run(capsys, "scan", "--snapshot", snap, "--cloud", "none", "--rule", MARKER, "--color", "always")
    assert ansi.search(out)
    _, out, _ = run(capsys, "scan", "--snapshot", snap, "--cloud", "none", "--rule", MARKER, "--color", "never")
    assert not ansi.search(out)
    _, out, _ = run(capsys, "scan", "--snapshot", snap, "--cloud", "none", "--rule", MARKER)  # auto, not a tty
    assert not ansi.search(out)


def test_loop_filter_reaches_scan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = write_snapshot(tmp_path, "high")
    code, out, _ = run(capsys, "scan", "--snapshot", snap, "--cloud", "none", "--loop", "storage", "--format", "json")
    assert code == 0
    assert all(f["loop"] == "storage" for f in json.loads(out)["findings"])
    code, out, _ = run(capsys, "scan", "--snapshot", snap, "--cloud", "none", "--loop", "compute", "--format", "json")
    assert MARKER in {f["rule"] for f in json.loads(out)["findings"]}


def test_only_given_cloud_options_reach_the_provider(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}
    real_scan = r2c_clouds.scan

    def spy(cluster: Any, cloud: Any = "auto", **kwargs: Any) -> Any:
        seen.update(kwargs, cloud=cloud)
        return real_scan(cluster, cloud="none", rules=kwargs.get("rules"), loops=kwargs.get("loops"))

    monkeypatch.setattr(r2c_clouds, "scan", spy)
    snap = write_snapshot(tmp_path)
    code, _, err = run(
        capsys, "scan", "--snapshot", snap, "--cloud", "aws", "--region", "eu-west-1",
        "--cluster-name", "prod", "--window-minutes", "15",
    )
    assert code == 0, err
    assert seen["cloud"] == "aws"
    assert seen["region"] == "eu-west-1"
    assert seen["cluster_name"] == "prod"
    assert seen["window_minutes"] == 15
    for absent in ("subscription", "resource_group", "project", "location", "arm_endpoint", "azure_credential"):
        assert absent not in seen


def test_unknown_cloud_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "scan", "--snapshot", write_snapshot(tmp_path), "--cloud", "oraclecloud")
    assert code == 2
    assert "oraclecloud" in one_error_line(err)


def test_bad_window_minutes_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "scan", "--snapshot", write_snapshot(tmp_path), "--window-minutes", "0")
    assert code == 2
    assert "--window-minutes" in one_error_line(err)


# ---------------------------------------------------------------------- rules, map, checklist, explain


def test_rules_lists_every_registered_id(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules")
    assert code == 0
    listed = {ln.split()[0] for ln in out.splitlines() if ln and "." in ln.split()[0]}
    assert listed == set(REGISTRY)
    assert f"{len(REGISTRY)} rules" in out


def test_rules_json_has_full_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "rules", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert {r["id"] for r in data} == set(REGISTRY)
    marker = next(r for r in data if r["id"] == MARKER)
    assert marker == {
        "id": MARKER, "loop": "compute", "severity": "medium", "title": "Test marker",
        "rationale": "Exercises exit codes.", "remediation": "Remove the label.",
        "docs": "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/",
        "needs": ["Pod"], "needs_cloud": [], "symptom": False,
    }


def test_rules_loop_filter(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "rules", "--loop", "compute", "--format", "json")
    ids = [r["id"] for r in json.loads(out)]
    assert MARKER in ids
    assert all(i.startswith("compute.") for i in ids)


def test_map_azure_storage(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "map", "--cloud", "azure", "--loop", "storage")
    assert code == 0
    assert "disk.csi.azure.com" in out
    assert "topology.disk.csi.azure.com/zone" in out
    assert "ebs.csi.aws.com" not in out
    assert "storage · azure" in out


def test_map_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "map", "--loop", "identity", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert [(e["loop"], e["cloud"]) for e in data] == [("identity", "aws"), ("identity", "azure"), ("identity", "gcp")]
    assert "ServiceAccount: iam.gke.io/gcp-service-account" in data[2]["annotations"]


def test_map_unknown_cloud_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "map", "--cloud", "oracle")
    assert code == 2
    assert "'oracle'" in one_error_line(err)


def test_checklist_text_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = write_snapshot(tmp_path, "high")
    code, out, err = run(capsys, "checklist", "--snapshot", snap, "--cloud", "none", "--format", "json")
    assert code == 0, err
    items = json.loads(out)
    assert isinstance(items, list)
    for item in items:
        assert set(item) == {"item", "title", "status", "evidence", "checks"}
        assert item["status"] in {"pass", "fail", "partial", "not-checked"}
    code, out, _ = run(capsys, "checklist", "--snapshot", snap, "--cloud", "none")
    assert code == 0
    for item in items:
        assert item["title"].split(".")[0] in " ".join(out.split())


def test_explain_text_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = write_snapshot(tmp_path, "high")
    code, out, err = run(capsys, "explain", "Pod/shop/web-0", "--snapshot", snap, "--cloud", "none", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    assert data["subject"] == {"kind": "Pod", "namespace": "shop", "name": "web-0"}
    assert MARKER in {f["rule"] for f in data["findings"]}
    code, out, _ = run(capsys, "explain", "Pod/shop/web-0", "--snapshot", snap, "--cloud", "none")
    assert code == 0
    assert "web-0" in out


def test_explain_malformed_ref_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "explain", "shop-web-0", "--snapshot", write_snapshot(tmp_path))
    assert code == 2
    assert "shop-web-0" in one_error_line(err)


# ---------------------------------------------------------------------- progress


class _Stream(io.StringIO):
    def __init__(self, tty: bool) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_progress_plain_lines_when_not_a_tty() -> None:
    stream = _Stream(tty=False)
    progress = _Progress(enabled=True, stream=stream)
    with progress.running("connecting to context prod"):
        progress("listed 150 pods")
    assert stream.getvalue() == "connecting to context prod\nlisted 150 pods\n"


def test_progress_spinner_on_a_tty_leaves_no_lines_behind() -> None:
    stream = _Stream(tty=True)
    progress = _Progress(enabled=True, stream=stream)
    with progress.running("connecting"):
        progress("listed 150 pods")
    out = stream.getvalue()
    assert "⠋" in out  # a spinner frame, not a plain line
    assert not out.startswith("connecting\n")
    assert out.endswith("\x1b[2K")  # the status line is erased when done


def test_progress_disabled_writes_nothing() -> None:
    stream = _Stream(tty=False)
    progress = _Progress(enabled=False, stream=stream)
    with progress.running("connecting"):
        progress("listed 150 pods")
    assert stream.getvalue() == ""


def test_snapshot_sources_show_no_progress(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "checklist", "--snapshot", write_snapshot(tmp_path), "--cloud", "none")
    assert code == 0
    assert err == ""
