"""Stable finding ids (two live scans and a snapshot of the same cluster give the same ids),
`--baseline OLD.json` failing only on what is new, and `r2c diff`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from apiserver import FakeApiServer, sample_objects

import r2c_clouds as r2c
from r2c_clouds.cli import main
from r2c_clouds.kube.dump import write_snapshot


def test_finding_ids_are_the_same_live_twice_and_from_a_snapshot(tmp_path: Path) -> None:
    with FakeApiServer(sample_objects()) as api:
        kc = api.write_kubeconfig(tmp_path / "kubeconfig")
        first = r2c.connect(kubeconfig=kc)
        second = r2c.connect(kubeconfig=kc)
    write_snapshot(first, tmp_path / "snap")
    from_snapshot = r2c.load_snapshot(tmp_path / "snap")
    ids = [sorted(f.id for f in r2c.scan(c, cloud="none").findings) for c in (first, second, from_snapshot)]
    assert ids[0] and ids[0] == ids[1] == ids[2]


def _report(tmp_path: Path, name: str, demo: str) -> Path:
    out = tmp_path / name
    assert main(["scan", "--demo", demo, "-o", "json", "--output-file", str(out), "--fail-on", "critical"]) == 0
    return out


def test_baseline_fails_only_on_what_is_new(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = _report(tmp_path, "old.json", "domino")
    capsys.readouterr()
    assert main(["scan", "--demo", "domino", "--baseline", str(old), "-o", "json"]) == 0
    assert "0 new finding(s) at or above high, 4 known" in capsys.readouterr().err
    healthy = _report(tmp_path, "healthy.json", "healthy")
    assert main(["scan", "--demo", "domino", "--baseline", str(healthy), "-o", "json"]) == 1
    assert "4 new finding(s) at or above high, 0 known" in capsys.readouterr().err


def test_diff_new_resolved_unchanged(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    domino, healthy = _report(tmp_path, "d.json", "domino"), _report(tmp_path, "h.json", "healthy")
    capsys.readouterr()
    assert main(["diff", str(healthy), str(domino), "-o", "json"]) == 1  # new high findings
    result = json.loads(capsys.readouterr().out)
    d = json.loads(domino.read_text())
    assert {f["id"] for f in result["new"]} == {f["id"] for f in d["findings"]}
    assert result["resolved"] == [] and result["unchanged"] == []
    assert main(["diff", str(domino), str(domino)]) == 0
    assert capsys.readouterr().out.startswith(f"0 new · 0 resolved · {len(d['findings'])} unchanged")


def test_a_baseline_that_is_not_a_report_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"hello": 1}')
    assert main(["scan", "--demo", "domino", "--baseline", str(bad)]) == 2
    assert "not an r2c JSON report" in capsys.readouterr().err


def test_explain_an_object_that_does_not_exist_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "Pod/shop/no-such-pod", "--demo", "domino"]) == 2
    assert capsys.readouterr().err.strip() == "r2c: error: Pod/shop/no-such-pod: not found in demo:domino, and no findings about it"
    assert main(["explain", "StorageClass/gp2", "--demo", "domino"]) == 0
