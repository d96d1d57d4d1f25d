"""Strings from the cluster cannot drive the reader's terminal; a broken stdout is one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import r2c_clouds as r2c
from r2c_clouds._text import printable
from r2c_clouds.cli import main

HOSTILE = "Back-off pulling image\x1b]0;owned\x07\x1b[2J\x9b31m evil\rfake\x00 done"


def _cluster_file(tmp_path: Path) -> Path:
    pod = {"apiVersion": "v1", "kind": "Pod",
           "metadata": {"name": "web-1", "namespace": "shop", "labels": {"app": "web"}},
           "spec": {"nodeName": "node-a", "containers": [{"name": "web", "image": "registry.example.com/web:1"}]},
           "status": {"phase": "Pending", "containerStatuses": [
               {"name": "web", "ready": False, "restartCount": 0,
                "state": {"waiting": {"reason": "ImagePullBackOff", "message": HOSTILE}}}]}}
    event = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "web-1.1", "namespace": "shop"},
             "involvedObject": {"kind": "Pod", "namespace": "shop", "name": "web-1"},
             "reason": "Failed", "message": HOSTILE, "type": "Warning", "lastTimestamp": "2026-12-06T08:00:00Z"}
    node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-a"}}
    f = tmp_path / "cluster.json"
    f.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [pod, event, node]}))
    return f


def test_printable_strips_c0_c1_and_keeps_tab_newline() -> None:
    assert printable("a\tb\nc\x1b[31md\x9be\x7ff\x00") == "a\tb\nc[31mdef"


@pytest.mark.parametrize("color", [False, True])
def test_text_output_carries_no_control_characters_from_the_cluster(tmp_path: Path, color: bool) -> None:
    report = r2c.scan(r2c.load_snapshot(_cluster_file(tmp_path)), cloud="none")
    assert any(HOSTILE in e.detail for f in report.findings for e in f.evidence)
    text = report.to_text(color=color)
    assert "evil" in text  # the words stay, shown
    for bad in ("\x07", "\x9b", "\x00", "]0;owned\x07", "\x1b]"):
        assert bad not in text
    if not color:
        assert "\x1b" not in text
    explained = report.explain("Pod/shop/web-1").to_text()
    assert "\x1b" not in explained and "\x07" not in explained


def test_json_keeps_the_exact_value(tmp_path: Path) -> None:
    report = r2c.scan(r2c.load_snapshot(_cluster_file(tmp_path)), cloud="none")
    details = [e["detail"] for f in json.loads(report.to_json())["findings"] for e in f["evidence"]]
    assert any(HOSTILE in d for d in details)


def test_an_error_naming_hostile_input_is_printable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "bad.yaml"
    f.write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"x\\e]0;owned\\a\"\nspec:\n  containers: 3\n")
    assert main(["scan", "--snapshot", str(f), "--cloud", "none"]) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\x07" not in err and err.count("\n") == 1


def test_a_full_disk_on_stdout_is_one_line_exit_2() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "r2c_clouds", "scan", "--demo", "domino", "--cloud", "none"],
        stdout=open("/dev/full", "w"), stderr=subprocess.PIPE, text=True, timeout=120,  # noqa: SIM115
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == "r2c: error: cannot write to standard output: No space left on device"
