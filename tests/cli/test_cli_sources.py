"""The `r2c` command against its sources: a live API server that is not there (exit 3),
snapshots written by `r2c snapshot` and read back, demos, and the installed entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from r2c_clouds.cli import main
from r2c_clouds.rules import REGISTRY

KUBECONFIG = """\
apiVersion: v1
kind: Config
clusters:
- name: nowhere
  cluster:
    server: https://127.0.0.1:1
    insecure-skip-tls-verify: true
contexts:
- name: x
  context:
    cluster: nowhere
    user: tester
current-context: x
users:
- name: tester
  user:
    token: not-a-real-token
"""

NODE = {
    "apiVersion": "v1",
    "kind": "Node",
    "metadata": {"name": "aks-user-12345678-vmss000000", "uid": "uid-node",
                 "labels": {"topology.kubernetes.io/zone": "eastus-1", "kubernetes.azure.com/agentpool": "user",
                            "kubernetes.azure.com/mode": "user"}},
    "spec": {"providerID": "azure:///subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/mc_rg_aks_eastus/providers/Microsoft.Compute/virtualMachineScaleSets/aks-user-12345678-vmss/virtualMachines/0"},
    "status": {"allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110"},
               "conditions": [{"type": "Ready", "status": "True"}]},
}
POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "api-7d9c4b6f5-x2x9k", "namespace": "shop", "uid": "uid-pod", "labels": {"app": "api"},
                 "creationTimestamp": "2026-11-25T08:00:00Z"},
    "spec": {"nodeName": "aks-user-12345678-vmss000000", "serviceAccountName": "default",
             "containers": [{"name": "api", "image": "shop.azurecr.io/api:1.4.2"}]},
    "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]},
}


def one_error_line(err: str) -> str:
    lines = [ln for ln in err.splitlines() if ln.startswith("r2c: error: ")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


@pytest.fixture
def kubeconfig(tmp_path: Path) -> str:
    path = tmp_path / "kubeconfig"
    path.write_text(KUBECONFIG)
    return str(path)


# ---------------------------------------------------------------------- live, unreachable


def test_unreachable_cluster_exit_3(kubeconfig: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", "--context", "x", "--kubeconfig", kubeconfig, "--cloud", "none"])
    out, err = capsys.readouterr()
    assert code == 3
    assert out == ""
    assert "127.0.0.1:1" in one_error_line(err)
    # not a TTY: progress is plain lines on stderr
    assert "connecting to context x" in err


def test_quiet_silences_progress(kubeconfig: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["checklist", "--context", "x", "--kubeconfig", kubeconfig, "--quiet"])
    _, err = capsys.readouterr()
    assert code == 3
    assert [ln for ln in err.splitlines() if not ln.startswith(("r2c: error: ", "hint: "))] == []


def test_missing_kubeconfig_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yaml"
    code = main(["scan", "--context", "x", "--kubeconfig", str(missing), "-q"])
    _, err = capsys.readouterr()
    assert code == 2
    assert str(missing) in one_error_line(err)


# ---------------------------------------------------------------------- snapshot round trip


def test_snapshot_then_scan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.json"
    src.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [NODE, POD]}))
    out_dir = tmp_path / "snap"
    code = main(["snapshot", "--output", str(out_dir), "--snapshot", str(src), "--cloud", "none"])
    _, err = capsys.readouterr()
    assert code == 0, err
    assert f"wrote 2 objects to {out_dir}" in err
    assert not (out_dir / "cloud-facts.json").exists()

    code = main(["scan", "--snapshot", str(out_dir), "--cloud", "none", "--format", "json", "--fail-on", "critical"])
    out, err = capsys.readouterr()
    data = json.loads(out)
    assert data["stats"]["objects"]["Pod"] == 1
    assert data["stats"]["objects"]["Node"] == 1
    assert code == (1 if any(f["severity"] == "critical" for f in data["findings"]) else 0)


def test_snapshot_into_a_file_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "in.json"
    src.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": [NODE]}))
    code = main(["snapshot", "--output", str(src), "--snapshot", str(src), "--cloud", "none"])
    _, err = capsys.readouterr()
    assert code == 2
    assert "not a directory" in one_error_line(err)


def test_snapshot_requires_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["snapshot", "--demo", "domino"]) == 2
    assert "--output" in one_error_line(capsys.readouterr().err)


# ---------------------------------------------------------------------- demos


def _demo_names() -> list[str]:
    try:
        import r2c_clouds

        return r2c_clouds.demos()
    except ImportError:
        return []


def test_unknown_demo_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert _demo_names(), "the bundled demos are missing from the package"
    code = main(["scan", "--demo", "no-such-demo"])
    _, err = capsys.readouterr()
    assert code == 2
    assert "no-such-demo" in one_error_line(err)


def test_every_demo_scans_offline(capsys: pytest.CaptureFixture[str]) -> None:
    names = _demo_names()
    assert names, "the bundled demos are missing from the package"
    for name in names:
        code = main(["scan", "--demo", name, "--format", "json"])
        out, err = capsys.readouterr()
        assert code in (0, 1), err
        data = json.loads(out)
        assert data["cluster"]["source"]
        worst = {f["severity"] for f in data["findings"]}
        assert code == (1 if worst & {"high", "critical"} else 0)


# ---------------------------------------------------------------------- the entry point


def test_python_dash_m_runs_the_cli() -> None:
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run(
        [sys.executable, "-m", "r2c_clouds", "rules", "--format", "json"],
        capture_output=True, text=True, env=env, cwd=root, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    ids = {r["id"] for r in json.loads(proc.stdout)}
    assert ids == {rid for rid in REGISTRY if not rid.endswith("cli-marker")}


def test_python_dash_m_usage_error_exit_2() -> None:
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-m", "r2c_clouds", "scan", "--fail-on", "urgent"],
        capture_output=True, text=True, cwd=root, timeout=120, check=False,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert len(proc.stderr.strip().splitlines()) == 1
