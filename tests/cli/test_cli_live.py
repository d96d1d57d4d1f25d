"""`r2c` against a live (fake, loopback) API server: scan, progress, and a snapshot that
scans the same offline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apiserver import FakeApiServer, sample_objects

from r2c_clouds.cli import main


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[FakeApiServer, str]]:
    with FakeApiServer(sample_objects(), forbidden={"secrets"}) as server:
        yield server, str(server.write_kubeconfig(tmp_path / "kubeconfig"))


def scan_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any], str]:
    code = main(["scan", "--cloud", "none", "--format", "json", "--fail-on", "critical", *argv])
    out, err = capsys.readouterr()
    return code, json.loads(out), err


def test_live_scan_reports_progress_and_sends_only_get(
    api: tuple[FakeApiServer, str], capsys: pytest.CaptureFixture[str]
) -> None:
    server, kubeconfig = api
    code, data, err = scan_json(capsys, "--kubeconfig", kubeconfig)
    assert code in (0, 1)
    assert code == (1 if any(f["severity"] == "critical" for f in data["findings"]) else 0)
    assert data["cluster"]["server_version"]
    assert data["stats"]["objects"]["Pod"] == sum(1 for o in sample_objects() if o["kind"] == "Pod")
    # 403 on secrets is "not checked", not an error
    assert any("Secret" in nc["what"] or "secret" in nc["reason"].lower() for nc in data["not_checked"])
    # plain progress lines on a non-TTY stderr
    lines = err.splitlines()
    assert lines[0] == "reading the cluster"
    assert "connecting to the current context" in lines
    assert "running rules" in lines
    assert {r.method for r in server.requests} == {"GET"}


def test_live_scan_quiet(api: tuple[FakeApiServer, str], capsys: pytest.CaptureFixture[str]) -> None:
    _, kubeconfig = api
    _, _, err = scan_json(capsys, "--kubeconfig", kubeconfig, "--quiet")
    assert err == ""


def test_snapshot_of_a_live_cluster_scans_the_same(
    api: tuple[FakeApiServer, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, kubeconfig = api
    _, live, _ = scan_json(capsys, "--kubeconfig", kubeconfig, "-q")
    out_dir = tmp_path / "snap"
    assert main(["snapshot", "--kubeconfig", kubeconfig, "--output", str(out_dir), "--cloud", "none", "-q"]) == 0
    capsys.readouterr()
    _, offline, _ = scan_json(capsys, "--snapshot", str(out_dir))
    assert offline["stats"]["objects"] == live["stats"]["objects"]
    # the same findings on the same objects (a Cluster/<name> subject is named after the
    # source, which differs: kubeconfig cluster vs snapshot directory)
    assert _what(offline) == _what(live)
    assert live["findings"]


def _what(report: dict[str, Any]) -> list[tuple[str, str, str | None, str]]:
    return sorted(
        (f["rule"], f["subject"]["kind"], f["subject"]["namespace"],
         "" if f["subject"]["kind"] == "Cluster" else f["subject"]["name"])
        for f in report["findings"]
    )
