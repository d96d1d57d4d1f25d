"""The least-privilege policy in docs/providers/aws.md names every operation the provider
sends, and nothing else: every code path is driven here against moto (Stubber for Pod
Identity), each operation recorded through botocore's event hook."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_world import CLUSTER, LAB, REGION, World
from botocore.stub import Stubber

from r2c_clouds.loops import (
    ComputeQuestions,
    IdentityQuestions,
    NetworkQuestions,
    StorageQuestions,
    VolumeRef,
    WorkloadIdentityRef,
)
from r2c_clouds.providers.aws import AwsProvider, _eks
from r2c_clouds.providers.aws import identity as aws_identity

DOC = Path(__file__).resolve().parents[3] / "docs" / "providers" / "aws.md"
DATA = Path(__file__).resolve().parents[2] / "data" / "aws" / "test_pod_identity_associations"
ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com"


def _policy_actions() -> set[str]:
    text = DOC.read_text()
    (block,) = re.findall(r"## Least-privilege IAM policy.*?```json\n(.*?)```", text, re.S)
    policy = json.loads(block)
    (stmt,) = policy["Statement"]
    assert stmt["Effect"] == "Allow" and stmt["Resource"] == "*"
    return set(stmt["Action"])


def _record(provider: AwsProvider, sent: set[str]) -> None:
    prefixes = {"eks": "eks", "iam": "iam", "ec2": "ec2", "autoscaling": "autoscaling", "cloudwatch": "cloudwatch"}
    for name, prefix in prefixes.items():
        def hook(model: Any, prefix: str = prefix, **_: Any) -> None:
            sent.add(f"{prefix}:{model.name}")

        provider.clients.client(name).meta.events.register("before-parameter-build", hook)


def _provider(world: World, sent: set[str], name: str = CLUSTER) -> AwsProvider:
    p = AwsProvider(boto3.Session(region_name=REGION), cluster_name=name, region=REGION, endpoint_url=world.endpoint)
    _record(p, sent)
    return p


def _all_questions(world: World) -> tuple[Any, ...]:
    refs = (WorkloadIdentityRef("shop", "checkout", "irsa", world.roles["shop-prod-checkout"]),
            WorkloadIdentityRef("shop", "api", "irsa", world.roles["payments-api"]))
    return (
        IdentityQuestions(service_accounts=refs, unannotated_service_accounts=(("shop", "cart"),), registries=(ECR,)),
        ComputeQuestions(),
        NetworkQuestions(),
        StorageQuestions((VolumeRef("pv", "ebs.csi.aws.com", world.volumes["cache-1a"]),)),
    )


def test_every_operation_sent_is_in_the_documented_policy(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    sent: set[str] = set()
    ident, comp, net, stor = _all_questions(world)
    for name in (CLUSTER, LAB):  # LAB: an inline node role policy, an absent Auto Scaling group
        p = _provider(world, sent, name)
        p.identity(ident)
        p.compute(comp)
        p.network(net)
        p.storage(stor)
    monkeypatch.setattr(aws_identity, "SWEEP_THRESHOLD", 0)  # the account sweep
    _provider(world, sent).identity(ident)
    p = _provider(world, sent)  # Pod Identity, which moto lacks
    _eks.cluster_info(p)
    with Stubber(p.clients.client("eks")) as stub:
        stub.add_response("list_pod_identity_associations", {"associations": [
            json.loads((DATA / "eks.ListPodIdentityAssociations_1.json").read_text())["associations"][0]]})
        stub.add_response("describe_pod_identity_association",
                          json.loads((DATA / "eks.DescribePodIdentityAssociation_1.json").read_text()))
        p.identity(IdentityQuestions(unannotated_service_accounts=(("shop", "cart"),)))
        stub.assert_no_pending_responses()

    allowed = _policy_actions()
    assert sent - allowed == set(), f"operations missing from docs/providers/aws.md: {sorted(sent - allowed)}"
    assert allowed - sent == set(), f"policy grants actions never sent: {sorted(allowed - sent)}"


def test_the_documented_policy_is_read_only() -> None:
    actions = _policy_actions()
    assert actions and all(re.match(r"^[a-z0-9]+:(Describe|List|Get)[A-Za-z]+$", a) for a in actions)
    assert "iam:SimulatePrincipalPolicy" not in actions
