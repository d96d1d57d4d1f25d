"""The AWS provider's question methods (docs/scripts.md) through boto3 against moto's server:
the facts the scan gathers for the domino demo's twin account, a denied call as a not-checked
answer (botocore's Stubber answers AccessDenied, which moto does not), the calls counted."""

from __future__ import annotations

from importlib import resources

import boto3
import pytest
from aws_world import CLUSTER, REGION, World
from botocore.stub import Stubber
from provider_questions import check_questions_match_the_scan

import r2c_clouds as r2c
from r2c_clouds.model.cloud import NotChecked
from r2c_clouds.providers.aws import AwsProvider
from r2c_clouds.rules import judge_disk_zone, judge_identity_binding

DEMO_CACHE = "vol-0c3f5e7a9b1d24680"
DEMO_ORDERS = "vol-04d2b6e8f0a1c3579"


def _provider(world: World) -> AwsProvider:
    return AwsProvider(boto3.Session(region_name=REGION), cluster_name=CLUSTER, region=REGION,
                       endpoint_url=world.endpoint)


@pytest.fixture(scope="module")
def twin(world: World, tmp_path_factory: pytest.TempPathFactory) -> r2c.ClusterState:
    """The domino demo's objects with the emulated account's volume ids."""
    text = resources.files("r2c_clouds.demo").joinpath("domino", "cluster.json").read_text()
    text = text.replace(DEMO_CACHE, world.volumes["cache-1a"]).replace(DEMO_ORDERS, world.volumes["orders-1a"])
    where = tmp_path_factory.mktemp("aws-twin")
    (where / "cluster.json").write_text(text)
    return r2c.load_snapshot(where)


def test_questions_give_the_scans_facts(world: World, twin: r2c.ClusterState) -> None:
    # moto has no EKS Pod Identity API: the scan and the question both say so
    check_questions_match_the_scan(lambda: _provider(world), twin, allowed_not_checked=("pod_identity",))


def test_five_lines_answer_which_zone_a_disk_is_in(world: World) -> None:
    answer = _provider(world).disks(world.volumes["cache-1a"])
    [disk] = answer.facts
    assert disk.zones == ("us-east-1a",)
    assert answer.api_calls == {"ec2:DescribeVolumes": 1}
    verdict = judge_disk_zone(disk, "us-east-1b")
    assert not verdict.ok and verdict.message.endswith("a node in us-east-1b cannot attach it")


def test_trust_of_a_role_for_a_service_account(world: World) -> None:
    answer = _provider(world).workload_identity("shop", "checkout", world.roles["shop-prod-checkout"])
    assert answer.checked and answer.facts is not None
    assert judge_identity_binding(answer.facts).rule in ("identity.trust-mismatch", "identity.identity-not-found")


def test_a_denied_call_is_a_not_checked_answer(world: World) -> None:
    p = _provider(world)
    with Stubber(p.clients.client("ec2")) as stub:
        stub.add_client_error("describe_volumes", service_error_code="UnauthorizedOperation", http_status_code=403)
        answer = p.disks(world.volumes["cache-1a"])
    assert answer.facts == ()
    assert answer.not_checked == (NotChecked("disks", "forbidden: ec2:DescribeVolumes"),)


def test_an_unknown_role_is_a_fact_not_an_error(world: World) -> None:
    arn = "arn:aws:iam::123456789012:role/does-not-exist"
    answer = _provider(world).workload_identity("shop", "ghost", arn)
    assert answer.checked and answer.facts is not None and answer.facts.exists is False
    assert judge_identity_binding(answer.facts).message == (
        f"ServiceAccount/shop/ghost names IAM role {arn} (irsa), which does not exist")


