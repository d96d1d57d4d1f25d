"""Scope: kubectl's -n/-l as the model sees them, and what a scoped report keeps."""

from __future__ import annotations

import string
from typing import Any

import pytest
from factories import cluster, meta, pod
from hypothesis import given
from hypothesis import strategies as st

import r2c_clouds as r2c
from r2c_clouds.errors import BadInputError, ScopeError
from r2c_clouds.model import ObjectRef, Scope, Selector
from r2c_clouds.model.scope import Requirement

# The examples of https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/
# ("Label selectors"), with the objects each must and must not select.
DOC_CASES = [
    ("environment = production", {"environment": "production"}, {"environment": "qa"}),
    ("tier != frontend", {"tier": "backend"}, {"tier": "frontend"}),
    ("tier != frontend", {}, {"tier": "frontend"}),  # a missing key satisfies !=
    ("environment=production,tier!=frontend", {"environment": "production"}, {"environment": "production", "tier": "frontend"}),
    ("environment in (production, qa)", {"environment": "qa"}, {"environment": "dev"}),
    ("environment in (production, qa)", {"environment": "production"}, {}),
    ("tier notin (frontend, backend)", {"tier": "cache"}, {"tier": "backend"}),
    ("tier notin (frontend, backend)", {}, {"tier": "frontend"}),
    ("partition", {"partition": ""}, {"environment": "qa"}),
    ("!partition", {"environment": "qa"}, {"partition": "customerA"}),
    ("partition in (customerA, customerB),environment!=qa", {"partition": "customerA"}, {"partition": "customerA", "environment": "qa"}),
    ("app.kubernetes.io/name==web", {"app.kubernetes.io/name": "web"}, {"app": "web"}),
    ("replicas>2", {"replicas": "3"}, {"replicas": "2"}),
    ("replicas<2", {"replicas": "1"}, {"replicas": "one"}),
    ("replicas>5", {"replicas": "+6"}, {"replicas": "1_000"}),  # 64-bit integers as Go parses them
    ("tier in ()", {"tier": ""}, {}),  # the empty value, as the API server reads `in ()`
    ("", {"anything": "x"}, None),  # empty: everything
]


@pytest.mark.parametrize(("text", "selected", "left_out"), DOC_CASES)
def test_selector_matches_as_the_docs_say(text: str, selected: dict[str, str], left_out: dict[str, str] | None) -> None:
    sel = Selector.parse(text)
    assert sel.matches(selected)
    if left_out is not None:
        assert not sel.matches(left_out)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("a=b=c", "'b=c'"),
        ("replicas>-5", "needs a whole number"),
        ("replicas>99999999999999999999", "needs a whole number"),
        ("app\xa0=web", "not a valid label key"),  # only space, tab, CR and LF separate
        ("=x", "'=x'"),
        ("a,,b", "empty requirement"),
        ("a,", "empty requirement"),
        ("n>two", "whole number"),
        ("app web", "'app web'"),
        ("-app=web", "'-app'"),
        ("app=" + "v" * 64, "not a valid label value"),
        ("Example.com/app=web", "not a valid label key"),
    ],
)
def test_selector_the_api_server_would_refuse_is_bad_input(text: str, named: str) -> None:
    with pytest.raises(ScopeError) as err:
        Selector.parse(text)
    assert isinstance(err.value, BadInputError)
    assert named in str(err.value) and repr(text) in str(err.value)


_token = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=8)
_req = st.one_of(
    st.builds(lambda k: Requirement(k, "Exists"), _token),
    st.builds(lambda k: Requirement(k, "DoesNotExist"), _token),
    st.builds(lambda k, op, v: Requirement(k, op, (v,)), _token, st.sampled_from(["=", "!="]), _token),
    st.builds(
        lambda k, op, vs: Requirement(k, op, tuple(sorted(set(vs)))),
        _token, st.sampled_from(["in", "notin"]), st.lists(_token, min_size=1, max_size=4),
    ),
    st.builds(lambda k, op, n: Requirement(k, op, (str(n),)), _token, st.sampled_from(["gt", "lt"]), st.integers(0, 99)),
)


@given(st.lists(_req, max_size=5), st.dictionaries(_token, _token, max_size=5))
def test_selector_text_round_trips_and_means_the_same(reqs: list[Requirement], labels: dict[str, str]) -> None:
    sel = Selector(tuple(reqs))
    again = Selector.parse(str(sel))
    assert again == sel
    assert again.matches(labels) == all(r.matches(labels) for r in reqs)


@pytest.mark.parametrize("bad", ["Shop", "shop_web", "-shop", "a" * 64, "", "shop.web"])
def test_namespace_names_are_dns_labels(bad: str) -> None:
    with pytest.raises(ScopeError, match="not a valid namespace name"):
        Scope(namespaces=[bad])


def test_scope_defaults_to_everything() -> None:
    assert Scope().everything and Scope(selector="").everything
    assert not Scope(namespaces=["shop"]).everything
    assert Scope(namespaces=["shop", "web", "shop"]).namespaces == ("shop", "web")
    assert Scope(namespaces=["shop"], selector="app=web").describe() == "namespace shop; selector app=web"
    with pytest.raises(ScopeError, match="empty list"):
        Scope(namespaces=[])


def _world() -> r2c.ClusterState:
    web = pod("web-1", "shop", labels={"app": "web"}, owner=("ReplicaSet", "web-5d8f7c9b6"))
    db = pod("db-0", "shop", labels={"app": "db"})
    other = pod("web-2", "tools", labels={"app": "web"})
    job = pod("report-x7k2p", "shop", labels={"app": "web", "job-name": "report"}, owner=("Job", "report"))
    dep = {"kind": "Deployment", "apiVersion": "apps/v1", "metadata": meta("web", "shop"),
           "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}}}}}
    svc = {"kind": "Service", "apiVersion": "v1", "metadata": meta("web", "shop", labels={"app": "web"}), "spec": {"selector": {"app": "web"}}}
    return cluster([web, db, other, job, dep, svc])


def test_in_scope_by_namespace_and_by_labels() -> None:
    c = _world()
    assert all(c.in_scope(ObjectRef("Pod", ns, n)) for ns, n in [("shop", "web-1"), ("tools", "web-2")])
    assert c.in_scope(ObjectRef("StorageClass", None, "gp2"))  # everything when unscoped

    shop = c.scoped(["shop"])
    assert shop.in_scope(ObjectRef("Pod", "shop", "db-0"))
    assert not shop.in_scope(ObjectRef("Pod", "tools", "web-2"))
    assert not shop.in_scope(ObjectRef("StorageClass", None, "gp2"))  # only as a cause

    web = c.scoped(selector="app=web")
    assert web.in_scope(ObjectRef("Pod", "tools", "web-2"))
    assert not web.in_scope(ObjectRef("Pod", "shop", "db-0"))
    # the Deployment has no labels of its own: its Pod template's count
    assert web.in_scope(ObjectRef("Deployment", "shop", "web"))
    assert web.in_scope(ObjectRef("Service", "shop", "web"))
    # a Job (a kind that is not read) is judged by its pods' labels
    assert web.in_scope(ObjectRef("Job", "shop", "report"))
    assert not c.scoped(selector="app=db").in_scope(ObjectRef("Job", "shop", "report"))
    assert not web.in_scope(ObjectRef("ConfigMap", "shop", "settings"))  # unknown object, no labels


def test_a_namespace_read_cannot_be_widened() -> None:
    c = Scope(namespaces=["shop"], read_only_these=True)
    partial = r2c.demo("domino")
    import attrs

    partial = attrs.evolve(partial, scope=c)
    assert partial.scoped(selector="app=web").scope.namespaces == ("shop",)
    with pytest.raises(ScopeError, match="holds only namespace"):
        partial.scoped(["shop", "tools"])


DOMINO = r2c.demo("domino")


def _by_rule(report: r2c.Report) -> set[tuple[str, str]]:
    return {(f.rule, str(f.subject)) for f in report.findings}


def _own(cluster: r2c.ClusterState, f: r2c.Finding) -> bool:
    return cluster.in_scope(f.subject) or any(r.namespace is not None and cluster.in_scope(r) for r in f.related)


def _justified(cluster: r2c.ClusterState, report: r2c.Report) -> None:
    """Every finding a scoped report keeps is about something in scope (its subject or a
    related object), a cause of a kept finding, or on a kept chain."""
    kept = {f.id for f in report.findings}
    on_chains = {fid for c in report.chains for fid in c.path}
    for f in report.findings:
        assert _own(cluster, f) or any(f.id in g.caused_by for g in report.findings) or f.id in on_chains, f
    for chain in report.chains:
        assert set(chain.path) <= kept


def test_a_namespace_scope_keeps_its_findings_and_their_causes() -> None:
    full = r2c.scan(DOMINO, cloud="recorded")
    scoped = DOMINO.scoped(["shop"])
    shop = r2c.scan(scoped, cloud="recorded")

    ids = {f.id for f in shop.findings}
    _justified(scoped, shop)
    assert {f.id for f in full.findings if f.subject.namespace == "shop"} <= ids
    assert not any(f.subject.namespace not in (None, "shop") for f in shop.findings)
    # the Namespace itself is in its own scope
    assert ("network.no-default-deny", "Namespace/shop") in _by_rule(shop)
    # the shared root cause (a cluster-scoped StorageClass) stays, with every chain of shop
    assert ("storage.immediate-binding", "StorageClass/gp2") in _by_rule(shop)
    # the checklist stays the whole cluster's: a scope never turns a failing check into a pass
    assert [i.status for i in shop.checklist] == [i.status for i in full.checklist]


def test_a_selector_keeps_the_chain_its_workload_is_on() -> None:
    scoped = DOMINO.scoped(selector="app=orders-db")
    report = r2c.scan(scoped, cloud="recorded")
    kept = _by_rule(report)
    _justified(scoped, report)
    assert ("network.cross-zone-traffic", "Service/shop/orders-db") in kept
    assert ("compute.no-priority-class", "StatefulSet/shop/orders-db") in kept
    assert ("compute.no-priority-class", "Deployment/shop/checkout") not in kept  # checkout's own config
    # the NAT gateway this Service saturates is a chain's symptom: the chain stays whole
    by_id = {f.id: f for f in report.findings}
    assert any(by_id[c.symptom].rule == "network.nat-saturation" for c in report.chains)


def test_scoped_report_says_its_scope() -> None:
    report = r2c.scan(DOMINO.scoped(["shop"], "app=checkout"), cloud="none")
    data = report.to_dict()
    assert data["cluster"]["scope"] == {"namespaces": ["shop"], "selector": "app=checkout"}
    assert "scope    namespace shop; selector app=checkout" in report.to_text(width=200)
    assert r2c.scan(DOMINO, cloud="none").to_dict()["cluster"]["scope"] == {"namespaces": None, "selector": None}


def test_odd_python_arguments_are_clear_errors() -> None:
    assert DOMINO.scoped("shop").scope.namespaces == ("shop",)  # one name, not its letters
    with pytest.raises(ScopeError, match="must be text"):
        Scope(selector=123)  # type: ignore[arg-type]


def test_scope_is_not_a_config_file_setting(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from r2c_clouds.cli import main

    (tmp_path / "r2c.yaml").write_text("namespace: shop\n")
    assert main(["scan", "--demo", "domino", "--config", str(tmp_path / "r2c.yaml")]) == 2
    assert "unknown key 'namespace'" in capsys.readouterr().err
    assert main(["snapshot", "--demo", "domino", "-n", "shop", "-o", str(tmp_path / "snap")]) == 2
    assert "-n/-l narrow what a live cluster is read from" in capsys.readouterr().err
