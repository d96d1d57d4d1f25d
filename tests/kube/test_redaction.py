"""No secret on disk or on screen: canary values planted everywhere a cluster can hold a
secret, then every report format and every file ``r2c snapshot`` writes is searched for them,
plain and base64 (the canary count must be 0). The rules still work on the redacted snapshot.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from apiserver import FakeApiServer

import r2c_clouds as r2c
from r2c_clouds.cli import main
from r2c_clouds.kube.dump import write_snapshot
from r2c_clouds.kube.live import connect
from r2c_clouds.kube.redact import MARKER, redact_args

CANARY = "canary-5ecret-7f3a9c"
AWS_KEY_ID = "AKIAQ4CANARY7F3A9C00"
CANARIES = (CANARY, AWS_KEY_ID)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _forms(text: str) -> list[str]:
    return [text, _b64(text), json.dumps(text)[1:-1]]


def _last_applied(obj: dict[str, Any]) -> str:
    return json.dumps(obj, separators=(",", ":"))


def _secret() -> dict[str, Any]:
    body = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "db", "namespace": "shop"},
            "data": {"password": _b64(CANARY), "AWS_SECRET_ACCESS_KEY": _b64(CANARY)},
            "stringData": {"token": CANARY}}
    body["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": _last_applied(body)}
    return body


def _container() -> dict[str, Any]:
    return {
        "name": "api", "image": "registry.example.com/api:1.4",
        "env": [{"name": "AWS_SECRET_ACCESS_KEY", "value": CANARY}, {"name": "AWS_ACCESS_KEY_ID", "value": AWS_KEY_ID},
                {"name": "DB_PASSWORD", "value": CANARY}, {"name": "LOG_LEVEL", "value": "info"},
                {"name": "UPSTREAM", "value": f"https://svc.example.com/?key={AWS_KEY_ID}"}],
        "args": ["--port=8080", f"--api-token={CANARY}", "--password", CANARY],
        "command": ["/bin/api", f"--client-secret={CANARY}"],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
    }


def _deployment() -> dict[str, Any]:
    body = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "api", "namespace": "shop"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "api"}},
                     "template": {"metadata": {"labels": {"app": "api"}}, "spec": {"containers": [_container()]}}}}
    body["metadata"]["annotations"] = {"kubectl.kubernetes.io/last-applied-configuration": _last_applied(body)}
    return body


def _pod() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "api-7d9-x1", "namespace": "shop", "labels": {"app": "api"},
                         "ownerReferences": [{"kind": "ReplicaSet", "name": "api-7d9", "uid": "rs1", "controller": True}]},
            "spec": {"nodeName": "node-a", "containers": [_container()]},
            "status": {"phase": "Running"}}


def _config_map() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "api-config", "namespace": "shop"},
            "data": {"db-password": CANARY, "mtu": "1450", "note": f"key {AWS_KEY_ID}"}}


def _node() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-a", "labels": {"topology.kubernetes.io/zone": "z1"}},
            "status": {"allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110"}}}


def _objects() -> list[dict[str, Any]]:
    return [_node(), _secret(), _deployment(), _pod(), _config_map(),
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}]


def _hits(text: str) -> list[str]:
    return [form for canary in CANARIES for form in _forms(canary) if form in text]


def _files_hits(root: Path) -> dict[str, list[str]]:
    out = {}
    for f in root.rglob("*"):
        if f.is_file():
            found = _hits(f.read_text(errors="replace"))
            if found:
                out[f.name] = found
    return out


@pytest.fixture
def snapshot_file(tmp_path: Path) -> Path:
    f = tmp_path / "cluster.json"
    f.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": _objects()}))
    return f


def test_reports_never_show_a_canary(snapshot_file: Path) -> None:
    report = r2c.scan(r2c.load_snapshot(snapshot_file), cloud="none")
    assert any(f.rule == "identity.static-cloud-credentials" for f in report.findings)
    for rendered in (report.to_text(), report.to_json(), report.to_sarif(), report.to_html()):
        assert _hits(rendered) == []


def test_r2c_snapshot_writes_no_canary_and_the_rules_still_work(snapshot_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "snap"
    assert main(["snapshot", "--snapshot", str(snapshot_file), "--output", str(out), "--cloud", "none", "-q"]) == 0
    assert _files_hits(out) == {}
    text = (out / "pods.json").read_text()
    assert MARKER in text and "LOG_LEVEL" in text and '"info"' in text and "--port=8080" in text
    cm = json.loads((out / "configmaps.json").read_text())["items"][0]["data"]
    assert cm == {"db-password": MARKER, "mtu": "1450", "note": MARKER}
    again = r2c.scan(r2c.load_snapshot(out), cloud="none")
    static = [f for f in again.findings if f.rule == "identity.static-cloud-credentials"]
    assert static and any("AWS_SECRET_ACCESS_KEY" in e.detail for f in static for e in f.evidence)


def test_a_live_snapshot_writes_no_canary(tmp_path: Path) -> None:
    with FakeApiServer(_objects()) as api:
        cluster = connect(kubeconfig=api.write_kubeconfig(tmp_path / "kubeconfig"))
    (secret,) = cluster.secrets
    assert "kubectl.kubernetes.io/last-applied-configuration" not in secret.metadata.annotations
    write_snapshot(cluster, tmp_path / "snap")
    assert _files_hits(tmp_path / "snap") == {}


def test_redact_args_keeps_what_is_not_secret() -> None:
    assert redact_args(["--verbose", "--token-file=/var/run/token", "serve"]) == [
        "--verbose", f"--token-file={MARKER}", "serve"]
    assert redact_args(["--password", "--other"]) == ["--password", "--other"]
