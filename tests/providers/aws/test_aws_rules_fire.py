"""The rules that need AWS facts fire on facts the provider reads from the emulated ``lab``
cluster (and stay quiet where the account is healthy)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from aws_world import LAB, REGION, World
from botocore.stub import Stubber
from factories import cluster, container, meta, node, pod

import r2c_clouds as r2c
from r2c_clouds.loops import IdentityQuestions
from r2c_clouds.model.cluster import ClusterState
from r2c_clouds.providers.aws import AwsProvider

ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com"


def _sa(name: str, ns: str, role: str) -> dict[str, Any]:
    return {"kind": "ServiceAccount", "apiVersion": "v1",
            "metadata": meta(name, ns, annotations={"eks.amazonaws.com/role-arn": role})}


def _pv_claim(name: str, ns: str, volume_id: str) -> list[dict[str, Any]]:
    pv = f"pvc-{name}"
    return [
        {"kind": "PersistentVolume", "apiVersion": "v1", "metadata": meta(pv, None),
         "spec": {"accessModes": ["ReadWriteOnce"], "capacity": {"storage": "10Gi"},
                  "claimRef": {"kind": "PersistentVolumeClaim", "namespace": ns, "name": name},
                  "csi": {"driver": "ebs.csi.aws.com", "volumeHandle": volume_id, "fsType": "ext4"},
                  "persistentVolumeReclaimPolicy": "Delete", "storageClassName": "gp3", "volumeMode": "Filesystem"},
         "status": {"phase": "Bound"}},
        {"kind": "PersistentVolumeClaim", "apiVersion": "v1", "metadata": meta(name, ns),
         "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "10Gi"}},
                  "storageClassName": "gp3", "volumeName": pv, "volumeMode": "Filesystem"},
         "status": {"phase": "Bound", "accessModes": ["ReadWriteOnce"], "capacity": {"storage": "10Gi"}}},
    ]


def _lab(world: World) -> ClusterState:
    labels = {"alpha.eksctl.io/cluster-name": LAB}
    image = f"{ECR}/shop/api:1.4"
    return cluster([
        node("ip-10-0-1-10.ec2.internal", zone="us-east-1a", pool="bare", labels=labels),
        _sa("api", "shop", world.roles["payments-api"]),
        _sa("ghost", "shop", "arn:aws:iam::123456789012:role/does-not-exist"),
        _sa("worker", "payments", world.roles["payments-any"]),
        pod("api-7d9c5b6f4-abcde", "shop", node_name="ip-10-0-1-10.ec2.internal", service_account="api",
            containers=[container("api", image)]),
        pod("ghost-5f6d7c8b9-fghij", "shop", node_name="ip-10-0-1-10.ec2.internal", service_account="ghost",
            containers=[container("ghost", image)]),
        pod("worker-6c7d8e9f0-klmno", "payments", node_name="ip-10-0-1-10.ec2.internal", service_account="worker",
            containers=[container("worker", image)]),
        *_pv_claim("data-db-0", "shop", world.volumes["data-1b"]),
        pod("db-0", "shop", node_name=None, phase="Pending",
            conditions=[{"type": "PodScheduled", "status": "False", "reason": "Unschedulable"}],
            volumes=[{"name": "data", "persistentVolumeClaim": {"claimName": "data-db-0"}}]),
    ], name=LAB)


def _provider(world: World) -> AwsProvider:
    return AwsProvider(boto3.Session(region_name=REGION), cluster_name=LAB, region=REGION,
                       endpoint_url=world.endpoint, autoscaler=True)


def _fired(report: Any) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in report.findings:
        out.setdefault(f.rule, set()).add(str(f.subject))
    return out


@pytest.fixture(scope="module")
def lab_report(world: World) -> Any:
    return r2c.scan(_lab(world), cloud=_provider(world))


def test_identity_rules_fire_on_live_trust(lab_report: Any) -> None:
    fired = _fired(lab_report)
    assert fired["identity.trust-mismatch"] == {"ServiceAccount/shop/api"}  # payments-any admits payments:worker
    assert fired["identity.identity-not-found"] == {"ServiceAccount/shop/ghost"}
    assert "identity.workload-identity-not-enabled" not in fired  # the OIDC provider is registered
    assert fired["identity.image-pull-auth"] == {"NodePool/bare"}


def test_capacity_rules_fire_on_live_network_and_pools(lab_report: Any, world: World) -> None:
    fired = _fired(lab_report)
    assert fired["network.subnet-ip-exhaustion"] == {f"Subnet/{world.subnets['tiny-1c']}"}  # a /28
    assert "PersistentVolumeClaim/shop/data-db-0" in fired["storage.zone-conflict"]  # volume in 1b, nodes in 1a
    assert fired["compute.node-pool-zone-gap"]  # no lab node group spans us-east-1b
    assert lab_report.stats.api_calls["ec2:DescribeVolumes"] == 1


def test_workload_identity_not_enabled_without_an_iam_oidc_provider(world: World) -> None:
    """IAM's OIDC provider list is answered by Stubber (empty): moto gives every cluster the
    same issuer, so the account cannot hold a cluster without one."""
    p = _provider(world)
    with Stubber(p.clients.client("iam")) as stub:
        stub.add_response("list_open_id_connect_providers", {"OpenIDConnectProviderList": []})
        answer = p.identity(IdentityQuestions())  # the cluster identity only: one IAM call
    ci = answer.cluster_identity
    assert ci is not None and ci.oidc_provider_registered is False
    facts = r2c.scan(_lab(world), cloud=_StaticIdentity(p, answer)).findings
    assert "identity.workload-identity-not-enabled" in {f.rule for f in facts}


class _StaticIdentity:
    """The provider with a fixed identity answer (the stubbed one above)."""

    name = "aws"

    def __init__(self, inner: AwsProvider, answer: Any) -> None:
        self.inner, self.answer = inner, answer

    def identity(self, questions: Any) -> Any:
        return self.answer

    def __getattr__(self, item: str) -> Any:
        return getattr(self.inner, item)
