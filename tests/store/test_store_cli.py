"""``r2c scan --store`` and ``r2c history`` on both backends."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from r2c_clouds.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_scan_store_then_history(store_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "scan", "--demo", "domino", "--cloud", "recorded", "-o", "json",
                         "--store", store_url)
    assert code == 1  # the domino demo has high findings: the verdict is the scan's, stored or not
    report = json.loads(out)
    assert f"scan {report['scan_id']} recorded in " in err
    run(capsys, "scan", "--demo", "domino", "--cloud", "recorded", "-o", "json", "--store", store_url, "-q")
    name = report["cluster"]["name"]

    code, out, err = run(capsys, "history", name, "--store", store_url, "-o", "json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["scans"][0]["scan_id"] == report["scan_id"]
    assert len(doc["scans"]) == 2
    first = doc["scans"][0]
    assert first["findings"] == len(report["findings"])
    assert sum(first["by_severity"].values()) == len(report["findings"])
    assert first["cluster"]["name"] == name and first["status"] == "complete"

    code, out, _ = run(capsys, "history", name, "--store", store_url, "--limit", "1")
    assert code == 0
    assert "1 scan of " + name in out
    assert report["scan_id"][:12] not in out  # the newest only

    code, out, _ = run(capsys, "history", "--store", store_url)
    assert code == 0
    assert name in out and "1 cluster, newest scan of each" in out


def test_history_of_an_unknown_cluster_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "history", "nope", "--store", str(tmp_path / "h.db"))
    assert code == 2
    assert err.splitlines()[0].startswith("r2c: error: store sqlite:///") and "no cluster 'nope'" in err
    assert "Traceback" not in err


def test_a_bad_store_url_stops_the_scan_before_it_starts(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "scan", "--demo", "domino", "--store", "mysql://root@127.0.0.1/r2c")
    assert code == 2
    assert out == ""
    assert "unsupported database 'mysql'" in err and "Traceback" not in err


def test_bare_store_flag_uses_the_default_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    code, _, err = run(capsys, "scan", "--demo", "domino", "--store")
    assert code in (0, 1), err
    assert (tmp_path / "r2c" / "history.db").is_file()
    code, out, _ = run(capsys, "history")
    assert code == 0 and "shop-prod" in out
