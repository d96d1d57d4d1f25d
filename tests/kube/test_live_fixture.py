"""The fake API server answers like a real one (K8S-TESTING.md checklist), checked with the
official client's typed calls (strict pydantic models in kubernetes>=37) and raw requests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3
from apiserver import FakeApiServer, sample_objects
from factories import pod


@pytest.fixture
def api() -> Iterator[FakeApiServer]:
    extra = [pod(f"web-{i}", "web", labels={"app": "web", "tier": "front" if i % 2 else "back"}) for i in range(6)]
    with FakeApiServer([*sample_objects(), *extra]) as server:
        yield server


@pytest.fixture
def client(api: FakeApiServer, tmp_path: Path) -> Iterator[Any]:
    from kubernetes import config

    c = config.new_client_from_config(config_file=str(api.write_kubeconfig(tmp_path / "kc")))
    yield c
    c.close()


def get(api: FakeApiServer, path: str, **headers: str) -> tuple[int, dict[str, Any]]:
    resp = urllib3.request("GET", api.url + path, headers={"Authorization": f"Bearer {api.token}", **headers})
    return resp.status, json.loads(resp.data)


def test_version_with_and_without_slash(client: Any) -> None:
    from kubernetes import client as k

    info = k.VersionApi(client).get_code()

    assert info.git_version == "v1.31.2" and info.major == "1"


def test_typed_calls_of_the_official_client(client: Any) -> None:
    from kubernetes import client as k

    core = k.CoreV1Api(client)
    pods = core.list_pod_for_all_namespaces(limit=4)
    nodes = core.list_node()
    pvs = core.list_persistent_volume()
    deploys = k.AppsV1Api(client).list_deployment_for_all_namespaces()
    scs = k.StorageV1Api(client).list_storage_class()

    assert len(pods.items) == 4 and pods.metadata.remaining_item_count == 16
    assert isinstance(pods.metadata.resource_version, str)
    assert len(nodes.items) == 4 and pvs.items[0].spec.csi.driver == "ebs.csi.aws.com"
    assert deploys.items[0].metadata.name == "checkout" and scs.items[0].provisioner == "ebs.csi.aws.com"


def test_discovery_documents(api: FakeApiServer) -> None:
    for path in ("/api", "/api/", "/apis", "/apis/", "/api/v1", "/apis/apps/v1", "/version/"):
        assert get(api, path)[0] == 200, path
    _, core = get(api, "/api/v1")
    assert core["groupVersion"] == "v1"
    pods = next(r for r in core["resources"] if r["name"] == "pods")
    assert pods == {**pods, "singularName": "pod", "namespaced": True, "kind": "Pod", "shortNames": ["po"]}
    assert "list" in pods["verbs"]
    sub = next(r for r in core["resources"] if r["name"] == "pods/log")
    assert "shortNames" not in sub
    _, groups = get(api, "/apis")
    assert "keda.sh" not in {g["name"] for g in groups["groups"]}
    assert {"apps", "storage.k8s.io", "policy"} <= {g["name"] for g in groups["groups"]}


def test_lists_carry_kind_and_string_resource_version_but_items_do_not(api: FakeApiServer) -> None:
    status, doc = get(api, "/apis/apps/v1/deployments")

    assert status == 200
    assert doc["kind"] == "DeploymentList" and doc["apiVersion"] == "apps/v1"
    assert isinstance(doc["metadata"]["resourceVersion"], str)
    assert all("kind" not in i and "apiVersion" not in i for i in doc["items"])


def test_namespaced_and_cluster_scoped_urls(api: FakeApiServer) -> None:
    _, web = get(api, "/api/v1/namespaces/web/pods")
    _, shop = get(api, "/api/v1/namespaces/shop/pods/orders-db-0")

    assert {i["metadata"]["namespace"] for i in web["items"]} == {"web"} and len(web["items"]) == 6
    assert shop["kind"] == "Pod" and shop["metadata"]["name"] == "orders-db-0"
    assert get(api, "/api/v1/namespaces/shop/nodes")[0] == 404
    assert get(api, "/api/v1/namespaces/shop/pods/none")[1]["reason"] == "NotFound"


def test_label_and_field_selectors(api: FakeApiServer) -> None:
    _, front = get(api, "/api/v1/pods?labelSelector=app%3Dweb,tier%20in%20(front)")
    _, not_web = get(api, "/api/v1/pods?labelSelector=app!%3Dweb,!tier")
    _, on_node = get(api, "/api/v1/pods?fieldSelector=spec.nodeName%3Dip-10-0-1-17.ec2.internal")

    assert sorted(i["metadata"]["name"] for i in front["items"]) == ["web-1", "web-3", "web-5"]
    assert len(not_web["items"]) == 14
    assert {i["spec"]["nodeName"] for i in on_node["items"]} == {"ip-10-0-1-17.ec2.internal"}
    assert "remainingItemCount" not in front["metadata"]


def test_paging_tokens_and_compaction(api: FakeApiServer) -> None:
    _, first = get(api, "/api/v1/pods?limit=5")
    token = first["metadata"]["continue"]
    _, second = get(api, f"/api/v1/pods?limit=5&continue={token}")
    api.compact()
    status, expired = get(api, f"/api/v1/pods?limit=5&continue={token}")

    assert first["metadata"]["remainingItemCount"] == 15
    assert second["items"][0]["metadata"]["name"] == "checkout-7d9f8b6c4-00004"  # items 6-10 of 20
    assert first["items"][0]["metadata"]["name"] == "coredns-5d78c9869d-x7k2p"
    assert status == 410 and expired["reason"] == "Expired" and expired["code"] == 410
    assert expired["metadata"]["continue"]  # the fresh token of a real 410
    assert get(api, "/api/v1/pods?limit=5&continue=garbage!")[0] == 400


def test_unknown_resource_and_group_are_404_status(api: FakeApiServer) -> None:
    for path in ("/api/v1/widgets", "/apis/keda.sh/v1alpha1/scaledobjects", "/apis/nope"):
        status, body = get(api, path)
        assert (status, body["kind"], body["reason"]) == (404, "Status", "NotFound"), path


def test_anonymous_requests_are_forbidden_except_version(api: FakeApiServer) -> None:
    assert urllib3.request("GET", api.url + "/version").status == 200
    resp = urllib3.request("GET", api.url + "/api/v1/pods")
    assert resp.status == 403 and "system:anonymous" in json.loads(resp.data)["message"]


def test_objects_of_unknown_kinds_are_refused() -> None:
    with pytest.raises(ValueError, match="'Widget' is not in KINDS"):
        FakeApiServer([{"kind": "Widget", "metadata": {"name": "w"}}])


def test_rbac_authorizes_as_the_api_server_does() -> None:
    """RoleBinding rules apply in their namespace only, ClusterRoleBinding rules everywhere;
    a namespace's own GET is authorized in that namespace; denials name what was asked."""
    rules = {
        None: [{"apiGroups": [""], "resources": ["nodes"], "verbs": ["list"]}],
        "shop": [
            {"apiGroups": [""], "resources": ["pods", "namespaces"], "verbs": ["get", "list"]},
            {"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get"], "resourceNames": ["checkout"]},
        ],
    }
    with FakeApiServer(sample_objects(), rbac=rules) as api:
        assert get(api, "/api/v1/nodes")[0] == 200
        assert get(api, "/api/v1/namespaces/shop/pods")[0] == 200
        assert get(api, "/api/v1/namespaces/shop")[0] == 200
        assert get(api, "/apis/apps/v1/namespaces/shop/deployments/checkout")[0] == 200
        code, body = get(api, "/api/v1/pods")
        assert code == 403 and body["message"] == (
            'pods is forbidden: User "system:serviceaccount:r2c:reader" cannot list resource "pods" '
            'in API group "" at the cluster scope'
        )
        code, body = get(api, "/api/v1/namespaces/kube-system")
        assert code == 403 and body["message"].startswith('namespaces "kube-system" is forbidden')
        assert body["message"].endswith('in the namespace "kube-system"')
        assert get(api, "/api/v1/namespaces/kube-system/pods")[0] == 403
        assert get(api, "/apis/apps/v1/namespaces/shop/deployments")[0] == 403  # resourceNames: get only
        assert get(api, "/api/v1/nodes/n1")[0] == 403  # list granted, not get
        assert get(api, "/api/v1")[0] == 200  # discovery stays open
        assert ("list", "", "pods", None, None) in api.denied
        assert ("get", "", "namespaces", "kube-system", "kube-system") in api.denied
