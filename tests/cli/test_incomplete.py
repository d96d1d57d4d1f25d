"""Completeness is part of the verdict: a scan that could not read the kinds its rules need
exits 4 (unless --allow-partial), says so on stderr and in the report; a kind a snapshot
simply does not hold does not make it incomplete."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from apiserver import FakeApiServer, sample_objects

from r2c_clouds.cli import EXIT_INCOMPLETE, main

BUNDLE = Path(__file__).resolve().parents[1] / "data" / "snapshots" / "support-bundle"


def _live(tmp_path: Path, api: FakeApiServer, *extra: str) -> list[str]:
    return ["scan", "--kubeconfig", str(api.write_kubeconfig(tmp_path / "kubeconfig")), "--cloud", "none",
            "--format", "json", "-q", "--fail-on", "critical", *extra]


def test_a_forbidden_kind_the_rules_need_is_exit_4(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeApiServer(sample_objects(), forbidden={"pods"}) as api:
        code = main(_live(tmp_path, api))
    out, err = capsys.readouterr()
    assert code == EXIT_INCOMPLETE == 4
    assert err.strip().startswith("r2c: incomplete scan: could not read Pod")
    assert "--allow-partial" in err
    report = json.loads(out)
    assert [i["what"] for i in report["incomplete"]] == ["Pod"]
    assert report["incomplete"][0]["reason"].startswith("forbidden")


def test_allow_partial_judges_by_the_findings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeApiServer(sample_objects(), forbidden={"pods"}) as api:
        code = main(_live(tmp_path, api, "--allow-partial"))
    out, err = capsys.readouterr()
    assert code == 0 and "incomplete" not in err
    assert json.loads(out)["incomplete"][0]["what"] == "Pod"  # still said in the report


def test_a_forbidden_kind_no_selected_rule_needs_is_complete(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeApiServer(sample_objects(), forbidden={"pods"}) as api:
        code = main(_live(tmp_path, api, "--rule", "storage.immediate-binding"))
    out, _ = capsys.readouterr()
    assert code == 0 and json.loads(out)["incomplete"] == []


def test_the_text_report_says_incomplete(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with FakeApiServer(sample_objects(), forbidden={"pods", "nodes"}) as api:
        code = main(["scan", "--kubeconfig", str(api.write_kubeconfig(tmp_path / "kc")), "--cloud", "none",
                     "--color", "never", "-q"])
    out, _ = capsys.readouterr()
    assert code == 4
    assert "INCOMPLETE could not read" in out and "Node (forbidden" in out and "Pod (forbidden" in out


def test_a_snapshot_without_some_kinds_is_not_incomplete(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "only-nodes.json"
    f.write_text(json.dumps({"apiVersion": "v1", "kind": "NodeList", "items": [{"metadata": {"name": "n1"}}]}))
    code = main(["scan", "--snapshot", str(f), "--cloud", "none", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    report = json.loads(out)
    assert report["incomplete"] == []
    assert any(nc["reason"].startswith("not captured") for nc in report["not_checked"])


def test_a_support_bundle_that_could_not_list_a_kind_is_incomplete(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", "--snapshot", str(BUNDLE), "--cloud", "none", "--format", "json", "--fail-on", "critical"])
    out, err = capsys.readouterr()
    assert code == 4, err
    assert "ServiceAccount" in {i["what"] for i in json.loads(out)["incomplete"]}
