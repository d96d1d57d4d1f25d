"""r2c.yaml: the scan's settings beside the pipeline; command-line flags win."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from r2c_clouds.cli import main


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_r2c_yaml_in_the_working_directory(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "r2c.yaml").write_text("fail-on: critical\noutput: json\nloops: [storage]\n")
    assert main(["scan", "--demo", "domino"]) == 0  # critical: nothing that high
    report = json.loads(capsys.readouterr().out)
    assert {f["loop"] for f in report["findings"]} == {"storage"}


def test_flags_win_over_the_file(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "r2c.yaml").write_text("fail-on: critical\noutput: json\n")
    assert main(["scan", "--demo", "domino", "--fail-on", "high", "-o", "yaml"]) == 1
    assert capsys.readouterr().out.startswith("schema: r2c_clouds/report/v1")


def test_config_flag_and_exceptions_from_the_file(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "ex.yaml").write_text("exceptions:\n  - rules: ['*']\n    reason: all accepted in this test\n")
    cfg = in_tmp / "team.yaml"
    cfg.write_text(f"exceptions: {in_tmp / 'ex.yaml'}\noutput: json\n")
    assert main(["scan", "--demo", "domino", "--config", str(cfg)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["findings"] == [] and report["suppressed"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("nope: 1\n", "unknown key 'nope'"),
        ("fail-on: severe\n", "fail-on"),
        ("- a list\n", "expected a mapping"),
        ("loops: [identity, nowhere]\n", "unknown loop 'nowhere'"),
    ],
)
def test_a_bad_config_is_one_line_exit_2(in_tmp: Path, capsys: pytest.CaptureFixture[str], text: str, problem: str) -> None:
    (in_tmp / "r2c.yaml").write_text(text)
    code = main(["scan", "--demo", "domino"])
    err = capsys.readouterr().err
    assert code == 2 and problem in err and err.count("\n") <= 2
