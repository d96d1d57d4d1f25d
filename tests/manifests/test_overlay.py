"""``r2c scan --context prod -f rendered/`` (and ``--snapshot``/``--demo`` with ``-f``): the
manifests replace the cluster's objects of the same kind, namespace and name before the rules
run, so the report shows what the rollout would add or remove (``r2c diff`` on the two)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from apiserver import FakeApiServer, sample_objects

import r2c_clouds as r2c
from r2c_clouds.cli import main
from r2c_clouds.kube.snapshot import load_manifests

GP2_FIXED = {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "gp2"},
             "provisioner": "ebs.csi.aws.com", "volumeBindingMode": "WaitForFirstConsumer"}


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    main(list(argv))
    out: dict[str, Any] = json.loads(capsys.readouterr().out)
    return out


def test_a_fixed_storage_class_resolves_its_finding_and_nothing_else(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "sc.yaml").write_text(yaml.safe_dump(GP2_FIXED))
    before = _json(capsys, "scan", "--demo", "domino", "--cloud", "recorded", "-o", "json")
    after = _json(capsys, "scan", "--demo", "domino", "--cloud", "recorded", "-f", str(tmp_path / "sc.yaml"),
                  "-o", "json")
    assert after["cluster"]["source"] == f"demo:domino + manifests:{tmp_path / 'sc.yaml'}"
    gone = {f["id"] for f in before["findings"]} - {f["id"] for f in after["findings"]}
    assert {f["rule"] for f in before["findings"] if f["id"] in gone} == {"storage.immediate-binding"}
    assert {f["id"] for f in after["findings"]} <= {f["id"] for f in before["findings"]}
    (tmp_path / "before.json").write_text(json.dumps(before))
    (tmp_path / "after.json").write_text(json.dumps(after))
    assert main(["diff", str(tmp_path / "before.json"), str(tmp_path / "after.json")]) == 0
    assert "0 new · 1 resolved" in capsys.readouterr().out


def test_a_replaced_template_is_judged_and_the_running_pods_stay(tmp_path: Path) -> None:
    cluster = r2c.demo("domino")
    dep = next(d for d in cluster.deployments if d.metadata.namespace == "shop")
    name = dep.metadata.name
    doc = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": "shop"},
           "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                    "template": {"metadata": {"labels": {"app": name}},
                                 "spec": {"priorityClassName": "shop-critical",
                                          "containers": [{"name": name, "image": "registry.example.com/x:2"}]}}}}
    (tmp_path / "d.yaml").write_text(yaml.safe_dump(doc))
    overlaid = cluster.overlaid(load_manifests([tmp_path / "d.yaml"]))
    assert overlaid.pods == cluster.pods and len(overlaid.deployments) == len(cluster.deployments)
    new = next(d for d in overlaid.deployments if d.metadata.name == name and d.metadata.namespace == "shop")
    assert new.spec.template.spec.priority_class_name == "shop-critical"
    before = {str(f.subject) for f in r2c.scan(cluster, cloud="none", rules=["compute.no-priority-class"]).findings}
    after = {str(f.subject) for f in r2c.scan(overlaid, cloud="none", rules=["compute.no-priority-class"]).findings}
    assert f"Deployment/shop/{name}" in before - after


def test_over_a_live_cluster(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "sc.yaml").write_text(yaml.safe_dump({**GP2_FIXED, "metadata": {"name": "r2c-new-class"}}))
    with FakeApiServer(sample_objects()) as server:
        kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig", context="prod")
        data = _json(capsys, "scan", "--kubeconfig", str(kubeconfig), "--context", "prod", "-f",
                     str(tmp_path / "sc.yaml"), "--cloud", "none", "-o", "json", "-q")
    assert data["cluster"]["source"] == f"context:prod + manifests:{tmp_path / 'sc.yaml'}"
    assert data["stats"]["objects"]["StorageClass"] == 1 + sum(1 for o in sample_objects() if o["kind"] == "StorageClass")
    assert data["not_applicable"] == []  # a live cluster: runtime rules run
