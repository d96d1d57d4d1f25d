"""connect(namespaces=...) and `r2c scan -n` against the fake API server enforcing RBAC:
a Role in each namespace is enough, cluster-scoped kinds it may not read are not checked."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apiserver import FakeApiServer, sample_objects
from factories import meta, pod

import r2c_clouds as r2c
from r2c_clouds.cli import main
from r2c_clouds.errors import ScopeError
from r2c_clouds.kube.kinds import KINDS
from r2c_clouds.kube.live import connect

# What a developer is typically given: the built-in "view" ClusterRole bound by a RoleBinding
# in their namespace (read everything namespaced there, nothing cluster-scoped), written out.
VIEW_IN_NAMESPACE = [
    {"apiGroups": ["", "apps", "batch", "autoscaling", "discovery.k8s.io", "networking.k8s.io", "policy", "keda.sh",
                   "monitoring.coreos.com", "rbac.authorization.k8s.io", "events.k8s.io"],
     "resources": ["*"], "verbs": ["get", "list", "watch"]},
]
CLUSTER_SCOPED = {ki.plural for ki in KINDS if not ki.namespaced and ki.kind != "Namespace"}


def objects() -> list[dict[str, Any]]:
    """The sample cluster plus a second team's namespace, which the developer may not read."""
    other = {"kind": "Namespace", "apiVersion": "v1", "metadata": meta("payments", None)}
    return [*sample_objects(), other, pod("ledger-0", "payments", labels={"app": "ledger"})]


@pytest.fixture
def dev(tmp_path: Path) -> Iterator[tuple[FakeApiServer, Path]]:
    with FakeApiServer(objects(), rbac={"shop": VIEW_IN_NAMESPACE}) as api:
        yield api, api.write_kubeconfig(tmp_path / "kubeconfig")


def test_a_role_in_the_namespace_is_enough(dev: tuple[FakeApiServer, Path]) -> None:
    api, kubeconfig = dev
    cluster = connect(kubeconfig=kubeconfig, namespaces=["shop"])

    # every namespaced kind was listed in shop only, and none of those lists was denied
    listed = {r.path for r in api.requests if r.query.get("limit")}
    assert listed == {ki.path("shop") for ki in KINDS if ki.namespaced} | {
        ki.path() for ki in KINDS if ki.plural in CLUSTER_SCOPED
    }
    denied = {(plural, ns) for _verb, _group, plural, ns, _name in api.denied}
    assert denied == {(plural, None) for plural in CLUSTER_SCOPED}
    # the Namespace object is fetched by name (authorized in that namespace), not listed
    assert [r.path for r in api.requests if r.path.startswith("/api/v1/namespaces/shop") and "/" not in r.path[len("/api/v1/namespaces/shop"):]] == ["/api/v1/namespaces/shop"]
    assert [n.metadata.name for n in cluster.namespaces] == ["shop"]

    assert {p.metadata.namespace for p in cluster.pods} == {"shop"}
    assert len(cluster.pods) == sum(1 for o in objects() if o["kind"] == "Pod" and o["metadata"]["namespace"] == "shop")
    kinds_not_checked = {nc.what for nc in cluster.not_checked}
    assert kinds_not_checked == {ki.kind for ki in KINDS if ki.plural in CLUSTER_SCOPED}
    assert all(nc.reason.startswith("forbidden: ") and "at the cluster scope" in nc.reason for nc in cluster.not_checked)
    assert cluster.scope.namespaces == ("shop",) and cluster.scope.read_only_these


def test_forbidden_in_one_namespace_means_not_listed_at_all(dev: tuple[FakeApiServer, Path]) -> None:
    """Half of a kind must not pass for the whole: a PDB rule reading shop's PDBs but not
    payments' would call payments' workloads unprotected."""
    _, kubeconfig = dev
    cluster = connect(kubeconfig=kubeconfig, namespaces=["shop", "payments"])

    assert "Pod" not in cluster.captured and cluster.pods == ()
    (pods,) = [nc for nc in cluster.not_checked if nc.what == "Pod"]
    assert pods.reason.startswith("forbidden: ")
    assert 'in the namespace "payments"' in pods.reason and '"shop"' not in pods.reason
    (ns,) = [nc for nc in cluster.not_checked if nc.what == "Namespace"]
    assert 'namespaces "payments" is forbidden' in ns.reason


def test_lists_merge_in_the_order_the_namespaces_were_given(tmp_path: Path) -> None:
    with FakeApiServer(objects(), max_limit=2) as api:
        kubeconfig = api.write_kubeconfig(tmp_path / "kubeconfig")
        a = connect(kubeconfig=kubeconfig, namespaces=["payments", "shop"])
        b = connect(kubeconfig=kubeconfig, namespaces=["payments", "shop"])
    assert a.pods[0].metadata.namespace == "payments"
    assert [p.metadata.name for p in a.pods] == [p.metadata.name for p in b.pods]
    assert {p.metadata.namespace for p in a.pods} == {"payments", "shop"}
    assert a.not_checked == ()


def test_a_namespace_that_does_not_exist_is_bad_input(tmp_path: Path) -> None:
    with FakeApiServer(objects()) as api, pytest.raises(ScopeError, match="namespace 'nope' not found"):
        connect(kubeconfig=api.write_kubeconfig(tmp_path / "kubeconfig"), namespaces=["shop", "nope"])


def test_rules_that_add_up_every_pod_on_a_node_are_not_checked(tmp_path: Path) -> None:
    with FakeApiServer(objects()) as api:  # an admin: nodes readable, but only shop was listed
        cluster = connect(kubeconfig=api.write_kubeconfig(tmp_path / "kubeconfig"), namespaces=["shop"])
    report = r2c.scan(cluster, cloud="none")
    why = {nc.what: nc.reason for nc in report.not_checked}
    for rid in ("compute.unschedulable", "compute.fragmentation"):
        assert why[rid].startswith("adds up the pods on each node") and "namespace(s) shop" in why[rid]
    assert "compute.missing-requests" not in why
    assert {f.subject.namespace for f in report.findings} <= {"shop", None}


def scan_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any], str]:
    code = main(["scan", "--cloud", "none", "-o", "json", "--fail-on", "critical", "-q", *argv])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out else {}, err


def test_cli_scan_of_the_developers_namespace(dev: tuple[FakeApiServer, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, kubeconfig = dev
    # without -n: every cluster-wide list is forbidden; the scan is incomplete
    code, _, err = scan_json(capsys, "--kubeconfig", str(kubeconfig))
    assert code == 4 and "incomplete scan" in err

    code, data, err = scan_json(capsys, "--kubeconfig", str(kubeconfig), "-n", "shop", "--allow-partial")
    assert code == 0, err
    assert data["cluster"]["scope"] == {"namespaces": ["shop"], "selector": None}
    assert data["stats"]["objects"]["Pod"] == 13
    assert {f["subject"]["namespace"] for f in data["findings"]} == {"shop"}
    assert {nc["what"] for nc in data["incomplete"]} >= {"Node", "StorageClass"}


def test_cli_selector_and_a_snapshot_of_one_namespace(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeApiServer(objects()) as api:
        kubeconfig = str(api.write_kubeconfig(tmp_path / "kubeconfig"))
        code, live, _ = scan_json(capsys, "--kubeconfig", kubeconfig, "-n", "shop", "-l", "app=orders-db")
        assert main(["snapshot", "--kubeconfig", kubeconfig, "-n", "shop", "-o", str(tmp_path / "snap"), "--cloud", "none", "-q"]) == 0
    assert live["cluster"]["scope"] == {"namespaces": ["shop"], "selector": "app=orders-db"}
    assert live["findings"] and all(
        f["subject"]["namespace"] == "shop" and "orders-db" in f["subject"]["name"] for f in live["findings"]
        if f["subject"]["kind"] in ("Pod", "StatefulSet")
    )
    info = json.loads((tmp_path / "snap" / "snapshot-info.json").read_text())
    assert info["snapshotInfo"]["namespaces"] == ["shop"]

    # read back, the snapshot still knows it holds shop only: same findings, same ids
    code2, offline, _ = scan_json(capsys, "--snapshot", str(tmp_path / "snap"), "-l", "app=orders-db")
    assert code2 == code
    assert [f["id"] for f in offline["findings"]] == [f["id"] for f in live["findings"]]
    assert offline["cluster"]["scope"] == live["cluster"]["scope"]
    code3, _, err = scan_json(capsys, "--snapshot", str(tmp_path / "snap"), "-n", "payments")
    assert code3 == 2 and "holds only namespace(s) shop, not payments" in err


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["-n", "shop", "-A"], "not allowed with argument -n/--namespace"),
        (["-n", "Shop"], "not a valid namespace name"),
        (["-l", "app web"], "label selector 'app web'"),
    ],
)
def test_cli_scope_usage_errors(argv: list[str], says: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--demo", "domino", *argv]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.strip().splitlines()) == 1


def test_a_misspelt_namespace_for_a_role_only_user_says_so(dev: tuple[FakeApiServer, Path]) -> None:
    _, kubeconfig = dev
    cluster = connect(kubeconfig=kubeconfig, namespaces=["shop", "shpo"])
    (ns,) = [nc for nc in cluster.not_checked if nc.what == "Namespace"]
    assert "is 'shpo' spelled right?" in ns.reason


def test_list_kinds_checks_its_namespaces(tmp_path: Path) -> None:
    from kubernetes import config as kconfig

    from r2c_clouds.kube.kinds import KINDS_BY_NAME
    from r2c_clouds.kube.live import list_kinds

    with FakeApiServer(objects()) as api:
        client = kconfig.new_client_from_config(config_file=str(api.write_kubeconfig(tmp_path / "kc")))
        try:
            (res,) = list_kinds(client, [KINDS_BY_NAME["Pod"]], server=api.url, namespaces=["shop", "shop"])
            assert len(res.items or ()) == 13  # listed once
            with pytest.raises(ScopeError, match="empty list"):
                list_kinds(client, [KINDS_BY_NAME["Pod"]], server=api.url, namespaces=[])
        finally:
            client.close()
