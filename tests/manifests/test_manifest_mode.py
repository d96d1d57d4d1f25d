"""``r2c scan -f``: manifests about to be applied, the whole intended state, judged on their
pod templates (no Pods, no Events, no Nodes). Each semantic the issue names, table-driven."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import r2c_clouds as r2c
from r2c_clouds.cli import main
from r2c_clouds.kube.snapshot import load_manifests

NS = "shop"


def deployment(name: str, *, replicas: int | None = 2, labels: dict[str, str] | None = None,
               containers: list[dict[str, Any]] | None = None, namespace: str | None = NS) -> dict[str, Any]:
    labels = labels or {"app": name}
    spec: dict[str, Any] = {
        "selector": {"matchLabels": labels},
        "template": {"metadata": {"labels": labels},
                     "spec": {"containers": containers or [container(name)]}},
    }
    if replicas is not None:
        spec["replicas"] = replicas
    meta: dict[str, Any] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta, "spec": spec}


def container(name: str, *, ports: list[dict[str, Any]] | None = None, probe: bool = False,
              resources: dict[str, Any] | None = None) -> dict[str, Any]:
    c: dict[str, Any] = {"name": name, "image": f"registry.example.com/{name}:1.0",
                         "resources": resources if resources is not None else
                         {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "128Mi"}}}
    if ports:
        c["ports"] = ports
    if probe:
        c["readinessProbe"] = {"httpGet": {"path": "/healthz", "port": 8080}}
    return c


def service(name: str, selector: dict[str, str], target_port: int | str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name, "namespace": NS},
            "spec": {"selector": selector, "ports": [{"port": 80, "targetPort": target_port}]}}


def pdb(name: str, selector: dict[str, str], **policy: Any) -> dict[str, Any]:
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": name, "namespace": NS},
            "spec": {"selector": {"matchLabels": selector}, **policy}}


def scan(tmp_path: Path, *objs: dict[str, Any], rules: list[str] | None = None) -> r2c.Report:
    path = tmp_path / "manifests.yaml"
    path.write_text(yaml.safe_dump_all(objs))
    return r2c.scan(load_manifests([path]), cloud="none", rules=rules)


def found(report: r2c.Report, rule: str) -> dict[str, str]:
    return {str(f.subject): f.message for f in report.findings if f.rule == rule}


# ------------------------------------------------------------------ the mode itself


def test_every_configuration_rule_gives_a_verdict_on_manifests_without_pods(tmp_path: Path) -> None:
    report = scan(tmp_path, deployment("web"), service("web", {"app": "web"}, 8080))
    assert [nc for nc in report.not_checked if "not captured" in nc.reason] == []
    assert {nc.what for nc in report.not_checked} <= {"cloud facts"} | {
        s.id for s in r2c.rules.iter_specs() if s.needs_cloud}  # only the cloud's rules wait for --cloud
    runtime = {s.id for s in r2c.rules.iter_specs() if s.runtime}
    assert {nc.what for nc in report.not_applicable} == runtime
    assert "compute.unschedulable" in runtime and "compute.missing-requests" not in runtime
    assert report.cluster.manifests and report.cluster.pods == ()


def test_a_kind_absent_from_the_manifests_is_absent(tmp_path: Path) -> None:
    report = scan(tmp_path, deployment("web"), rules=["compute.no-pdb"])
    assert list(found(report, "compute.no-pdb")) == ["Deployment/shop/web"]
    assert [nc.what for nc in report.not_checked] == ["cloud facts"]  # --cloud none, nothing else


def test_directories_lists_multi_document_yaml_and_stdin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    nested = tmp_path / "chart" / "templates"
    nested.mkdir(parents=True)
    (nested / "deploy.yaml").write_text(yaml.safe_dump_all([deployment("web"), deployment("api")]))
    (tmp_path / "chart" / "list.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List",
                                                              "items": [deployment("worker")]}))
    (tmp_path / "chart" / "README.md").write_text("not a manifest")
    cluster = load_manifests([tmp_path / "chart"])
    assert sorted(d.metadata.name for d in cluster.deployments) == ["api", "web", "worker"]

    stdin = io.TextIOWrapper(io.BytesIO(yaml.safe_dump(deployment("from-stdin", replicas=3)).encode()))
    monkeypatch.setattr(sys, "stdin", stdin)
    code = main(["scan", "-f", "-", "--rule", "compute.no-pdb", "-o", "json", "--fail-on", "medium"])
    data = json.loads(capsys.readouterr().out)
    assert code == 1  # the exit code follows the findings
    assert [f["subject"]["name"] for f in data["findings"]] == ["from-stdin"]
    assert data["cluster"]["source"] == "manifests:-"


def test_clean_manifests_exit_0_and_runtime_rules_are_not_applicable(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "one.yaml"
    path.write_text(yaml.safe_dump(deployment("single", replicas=1)))
    code = main(["scan", "-f", str(path), "--rule", "compute.no-pdb,compute.unschedulable", "-o", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0
    assert data["not_applicable"] == [{"rule": "compute.unschedulable", "reason": data["not_applicable"][0]["reason"]}]
    assert "running cluster" in data["not_applicable"][0]["reason"]


def test_a_missing_path_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["scan", "-f", str(tmp_path / "nope.yaml")])
    err = capsys.readouterr().err
    assert code == 2 and err.splitlines()[0].endswith("nope.yaml: no such file or directory")


# ------------------------------------------------------------------ semantics


@pytest.mark.parametrize(
    ("replicas", "policy", "blocks"),
    [
        (None, {"minAvailable": 1}, True),  # replicas unset means 1 (the API default)
        (3, {"minAvailable": 3}, True),
        (3, {"minAvailable": 4}, True),
        (3, {"maxUnavailable": 0}, True),
        (3, {"minAvailable": 2}, False),
        (3, {"maxUnavailable": 1}, False),
        (4, {"minAvailable": "50%"}, False),
        (2, {"minAvailable": "100%"}, True),
    ],
)
def test_a_pdb_is_judged_from_the_templates_replicas(tmp_path: Path, replicas: int | None,
                                                    policy: dict[str, Any], blocks: bool) -> None:
    report = scan(tmp_path, deployment("web", replicas=replicas), pdb("web", {"app": "web"}, **policy),
                  rules=["compute.pdb-blocks-eviction"])
    assert bool(found(report, "compute.pdb-blocks-eviction")) == blocks


def test_a_pdb_with_no_policy_says_so(tmp_path: Path) -> None:
    report = scan(tmp_path, deployment("web"), pdb("web", {"app": "web"}), rules=["compute.pdb-blocks-eviction"])
    [message] = found(report, "compute.pdb-blocks-eviction").values()
    assert "neither minAvailable nor maxUnavailable" in message


@pytest.mark.parametrize(
    ("containers", "target", "expect"),
    [
        ([container("web", ports=[{"containerPort": 8080}])], 8080, "container(s) web serving it"),
        ([container("web", ports=[{"containerPort": 8080, "name": "http"}])], "http", "container(s) web serving it"),
        ([container("web", ports=[{"containerPort": 8080}]), container("proxy", ports=[{"containerPort": 9090}])],
         9090, "container(s) proxy serving it"),
        ([container("web", ports=[{"containerPort": 8080}])], 7000, "targetPort 7000 matches no container port"),
        ([container("web", ports=[{"containerPort": 8080}], probe=True)], 8080, None),
        # a Pod is Ready only when all its containers are: one probing container gates traffic
        ([container("web", ports=[{"containerPort": 8080}]), container("sidecar", probe=True)], 8080, None),
    ],
)
def test_readiness_names_the_container_behind_the_target_port(
    tmp_path: Path, containers: list[dict[str, Any]], target: int | str, expect: str | None,
) -> None:
    report = scan(tmp_path, deployment("web", containers=containers), service("web", {"app": "web"}, target),
                  rules=["network.missing-readiness-probe"])
    messages = found(report, "network.missing-readiness-probe")
    if expect is None:
        assert messages == {}
    else:
        assert expect in messages["Deployment/shop/web"]


@pytest.mark.parametrize(
    ("policy_spec", "deny"),
    [
        ({"podSelector": {}, "policyTypes": ["Ingress"]}, True),
        ({"podSelector": {}}, True),  # policyTypes unset always includes Ingress
        ({"podSelector": {}, "ingress": [{}]}, False),  # allows everything: not a default deny
        ({"podSelector": {"matchLabels": {"app": "web"}}, "policyTypes": ["Ingress"]}, False),
    ],
)
def test_default_deny(tmp_path: Path, policy_spec: dict[str, Any], deny: bool) -> None:
    np = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
          "metadata": {"name": "p", "namespace": NS}, "spec": policy_spec}
    report = scan(tmp_path, deployment("web"), np, rules=["network.no-default-deny"])
    assert bool(found(report, "network.no-default-deny")) != deny


@pytest.mark.parametrize(
    ("resources", "missing"),
    [
        ({"limits": {"cpu": "1", "memory": "1Gi"}}, False),  # the API server defaults requests to limits
        ({"requests": {"cpu": "100m", "memory": "64Mi"}}, False),
        ({}, True),
        ({"limits": {"memory": "1Gi"}}, True),  # cpu has neither
    ],
)
def test_only_limits_is_not_a_missing_request(tmp_path: Path, resources: dict[str, Any], missing: bool) -> None:
    report = scan(tmp_path, deployment("web", containers=[container("web", resources=resources)]),
                  rules=["compute.missing-requests"])
    assert bool(found(report, "compute.missing-requests")) == missing


def test_no_message_prints_none(tmp_path: Path) -> None:
    report = scan(tmp_path, deployment("web", namespace=None, replicas=3),
                  {"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass", "metadata": {"name": "gp2"},
                   "provisioner": "ebs.csi.aws.com"})
    assert report.findings
    for f in report.findings:
        assert "None" not in f.message, f.message
    assert "Deployment/default/web" in {str(f.subject) for f in report.findings}  # kubectl's default namespace


def hpa(target: str, min_replicas: int | None, max_replicas: int = 10) -> dict[str, Any]:
    spec: dict[str, Any] = {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                            "maxReplicas": max_replicas}
    if min_replicas is not None:
        spec["minReplicas"] = min_replicas
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": target, "namespace": NS}, "spec": spec}


@pytest.mark.parametrize(
    ("replicas", "min_replicas"),
    [
        (5, 1),  # the HPA may scale it down to 1: not replicated, and a PDB of minAvailable 3 blocks
        (1, 3),  # the HPA keeps at least 3: replicated; minAvailable 3 of 3 still allows no eviction
        (1, 4),  # at least 4: minAvailable 3 leaves one eviction
        (4, None),  # minReplicas unset is 1 (the API default), whatever spec.replicas says
    ],
)
def test_a_workload_an_hpa_scales_is_judged_by_its_min_replicas(
    tmp_path: Path, replicas: int, min_replicas: int | None,
) -> None:
    objs = [deployment("web", replicas=replicas), hpa("web", min_replicas)]
    report = scan(tmp_path, *objs, rules=["compute.no-pdb"])
    assert bool(found(report, "compute.no-pdb")) == ((min_replicas or 1) >= 2)
    report = scan(tmp_path, *objs, pdb("web", {"app": "web"}, minAvailable=3), rules=["compute.pdb-blocks-eviction"])
    assert bool(found(report, "compute.pdb-blocks-eviction")) == ((min_replicas or 1) <= 3)


def test_jobs_cronjobs_and_replicasets_are_judged_through_their_templates_once(tmp_path: Path) -> None:
    bare = {"name": "batch", "image": "registry.example.com/batch:1", "resources": {}}
    cron = {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "nightly", "namespace": NS},
            "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {
                "metadata": {"labels": {"app": "nightly"}}, "spec": {"containers": [bare], "restartPolicy": "Never"}}}}}}
    owned_job = {"apiVersion": "batch/v1", "kind": "Job",
                 "metadata": {"name": "nightly-29000000", "namespace": NS,
                              "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "nightly",
                                                   "uid": "1", "controller": True}]},
                 "spec": {"template": {"spec": {"containers": [bare], "restartPolicy": "Never"}}}}
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "migrate", "namespace": NS},
           "spec": {"template": {"spec": {"containers": [bare], "restartPolicy": "Never"}}}}
    owned_rs = {"apiVersion": "apps/v1", "kind": "ReplicaSet",
                "metadata": {"name": "web-7d9f8c6b5", "namespace": NS,
                             "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                                                  "uid": "2", "controller": True}]},
                "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                         "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [bare]}}}}
    report = scan(tmp_path, cron, owned_job, job, owned_rs,
                  deployment("web", containers=[{**bare, "name": "web"}]), rules=["compute.missing-requests"])
    assert sorted(found(report, "compute.missing-requests")) == [
        "CronJob/shop/nightly", "Deployment/shop/web", "Job/shop/migrate"]


HELM_RENDERED = """---
# Source: shop/templates/serviceaccount.yaml
apiVersion: v1
kind: ServiceAccount
metadata:
  name: web
  namespace: shop
---
# Source: shop/templates/deployment.yaml
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: shop
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: registry.example.com/web:1.0
"""


def test_helm_template_piped_in_gives_sarif_locations_in_the_templates(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(HELM_RENDERED.encode())))
    code = main(["scan", "-f", "-", "-o", "sarif", "--rule", "compute.no-pdb,compute.missing-requests"])
    sarif = json.loads(capsys.readouterr().out)
    assert code == 0  # medium findings, default --fail-on high
    results = sarif["runs"][0]["results"]
    assert {r["ruleId"] for r in results} == {"compute.no-pdb", "compute.missing-requests"}
    for r in results:
        loc = r["locations"][0]["physicalLocation"]
        # the template Helm rendered it from, and the line within the rendered template
        assert loc["artifactLocation"] == {"uri": "shop/templates/deployment.yaml", "uriBaseId": "%SRCROOT%"}
        assert loc["region"] == {"startLine": 1}


def test_manifest_files_give_their_own_path_and_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "k8s").mkdir()
    (tmp_path / "k8s" / "app.yaml").write_text(yaml.safe_dump_all([deployment("api", replicas=1), deployment("web")]))
    code = main(["scan", "-f", "k8s", "-o", "sarif", "--rule", "compute.no-pdb"])
    [result] = json.loads(capsys.readouterr().out)["runs"][0]["results"]
    assert code == 0
    loc = result["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"]["uri"] == "k8s/app.yaml"
    lines = (tmp_path / "k8s" / "app.yaml").read_text().splitlines()
    assert lines[loc["region"]["startLine"] - 1].startswith("apiVersion") or lines[loc["region"]["startLine"] - 1] == "---"
    assert "web" in "\n".join(lines[loc["region"]["startLine"] - 1:loc["region"]["startLine"] + 6])


def _bare_pod(name: str, spec: dict[str, Any], labels: dict[str, str]) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": NS, "labels": labels}, "spec": spec}


_NO_REQUESTS = {"name": "app", "image": "registry.example.com/app:1", "resources": {}}
_STATIC_KEY = {**_NO_REQUESTS, "env": [{"name": "AWS_SECRET_ACCESS_KEY", "value": "not-a-real-key"}]}


@pytest.mark.parametrize(
    ("rule", "container_spec"),
    [
        ("compute.missing-requests", _NO_REQUESTS),
        ("compute.missing-memory-limit", _NO_REQUESTS),
        ("compute.no-priority-class", _NO_REQUESTS),
        ("identity.static-cloud-credentials", _STATIC_KEY),
    ],
)
@pytest.mark.parametrize("subject", ["template", "bare pod"])
def test_configuration_rules_judge_templates_and_bare_pods_alike(
    tmp_path: Path, rule: str, container_spec: dict[str, Any], subject: str,
) -> None:
    labels = {"app": "app"}
    if subject == "template":
        obj = deployment("app", labels=labels, containers=[container_spec])
        expected = "Deployment/shop/app"
    else:
        obj = _bare_pod("app", {"containers": [container_spec]}, labels)
        expected = "Pod/shop/app"
    report = scan(tmp_path, obj, rules=[rule])
    assert list(found(report, rule)) == [expected]
