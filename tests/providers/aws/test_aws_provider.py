"""The AWS provider through the real boto3 code path against moto's server (see conftest),
with botocore's Stubber where moto lacks the operation (EKS Pod Identity) or to answer
AccessDenied and throttling."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_world import CLUSTER, LAB, REGION, World
from botocore.stub import Stubber
from factories import cluster, meta, node

from r2c_clouds.errors import BadInputError, CloudUnreachableError
from r2c_clouds.loops import (
    ComputeQuestions,
    IdentityQuestions,
    NetworkQuestions,
    StorageQuestions,
    VolumeRef,
    WorkloadIdentityRef,
)
from r2c_clouds.model.cloud import IdentityBinding
from r2c_clouds.providers import make_provider
from r2c_clouds.providers.aws import AwsProvider, _eks
from r2c_clouds.providers.aws import identity as aws_identity

DATA = Path(__file__).resolve().parents[2] / "data" / "aws"
ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com"


def _provider(world: World, cluster_name: str = CLUSTER, **kw: Any) -> AwsProvider:
    return AwsProvider(boto3.Session(region_name=REGION), cluster_name=cluster_name, region=REGION,
                       endpoint_url=world.endpoint, **kw)


def _irsa(ns: str, sa: str, role: str, audience: str | None = None) -> WorkloadIdentityRef:
    return WorkloadIdentityRef(ns, sa, "irsa", role, audience=audience)


def _bindings(world: World, *refs: WorkloadIdentityRef, **kw: Any) -> dict[tuple[str, str], IdentityBinding]:
    answer = _provider(world, **kw).identity(IdentityQuestions(service_accounts=refs))
    return {(b.namespace, b.service_account): b for b in answer.bindings}


# --------------------------------------------------------------------------- identity


def test_cluster_identity_names_the_issuer_and_the_registered_oidc_provider(world: World) -> None:
    answer = _provider(world).identity(IdentityQuestions())
    ci = answer.cluster_identity
    assert ci is not None
    assert ci.oidc_issuer == world.issuer
    assert ci.oidc_provider_registered is True and ci.workload_identity_enabled is True
    assert ci.provenance.resource_id == f"arn:aws:eks:{REGION}:123456789012:cluster/{CLUSTER}"


def test_irsa_trust_cases_as_iam_would_judge_them(world: World) -> None:
    r = world.roles
    got = _bindings(
        world,
        _irsa("shop", "checkout", r["shop-prod-checkout"]),
        _irsa("shop", "api", r["payments-api"]),  # trust admits payments:api
        _irsa("payments", "worker", r["payments-any"]),  # StringLike payments:*
        _irsa("shop", "cart", r["wrong-audience"]),
        _irsa("shop", "intruder", r["denied"]),
        _irsa("shop", "web", r["denied"]),
        _irsa("shop", "search", r["other-cluster"]),
        _irsa("shop", "ghost", "arn:aws:iam::123456789012:role/does-not-exist"),
        _irsa("shop", "typo", "arn:aws:iam::123456789012:user/alice"),
    )
    assert got[("shop", "checkout")].trusted and got[("shop", "checkout")].exists
    api = got[("shop", "api")]
    assert api.exists and not api.trusted
    assert api.problems == ("trust policy admits system:serviceaccount:payments:api but not system:serviceaccount:shop:api",)
    assert got[("payments", "worker")].trusted
    assert got[("payments", "worker")].trust_subjects == ("system:serviceaccount:payments:*",)
    cart = got[("shop", "cart")]
    assert not cart.trusted and cart.problems == ("audience condition sts.amazon.com does not match sts.amazonaws.com",)
    assert not got[("shop", "intruder")].trusted  # the explicit Deny (keys in upper case) wins
    assert got[("shop", "web")].trusted
    assert not got[("shop", "search")].trusted
    assert "not this cluster's OIDC provider" in got[("shop", "search")].problems[0]
    ghost = got[("shop", "ghost")]
    assert not ghost.exists and ghost.problems == ("role does-not-exist does not exist in account 123456789012",)
    assert not got[("shop", "typo")].exists


def test_sa_audience_annotation_changes_the_expected_audience(world: World) -> None:
    got = _bindings(world, _irsa("shop", "cart", world.roles["wrong-audience"], audience="sts.amazon.com"))
    cart = got[("shop", "cart")]
    assert not cart.trusted  # the trust now matches, but IAM's OIDC provider does not list that audience
    assert cart.problems == ("the IAM OIDC provider does not list audience sts.amazon.com (client ids: sts.amazonaws.com)",)


def test_roles_are_fetched_once_each_however_many_service_accounts_name_them(world: World) -> None:
    refs = [_irsa(f"ns{i}", "app", world.roles["payments-any"]) for i in range(30)]
    refs.append(_irsa("payments", "a", world.roles["payments-api"]))
    p = _provider(world)
    p.identity(IdentityQuestions(service_accounts=tuple(refs)))
    assert p.api_calls()["iam:GetRole"] == 2


def test_many_roles_use_one_account_sweep(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aws_identity, "SWEEP_THRESHOLD", 1)
    p = _provider(world)
    answer = p.identity(IdentityQuestions(service_accounts=(
        _irsa("shop", "checkout", world.roles["shop-prod-checkout"]),
        _irsa("shop", "api", world.roles["payments-api"]),
        _irsa("shop", "ghost", "arn:aws:iam::123456789012:role/does-not-exist"),
    )))
    calls = p.api_calls()
    assert "iam:GetRole" not in calls and calls["iam:GetAccountAuthorizationDetails"] == 1
    got = {(b.namespace, b.service_account): b for b in answer.bindings}
    assert got[("shop", "checkout")].trusted and not got[("shop", "api")].trusted
    assert not got[("shop", "ghost")].exists


def test_node_role_without_ecr_read_cannot_pull(world: World) -> None:
    answer = _provider(world, LAB).identity(IdentityQuestions(registries=(ECR, "docker.io")))
    by_pool = {ra.node_pool: ra for ra in answer.registry_access}
    assert set(by_pool) == {"bare", "gpu"}  # docker.io is not ECR: not asked
    bare = by_pool["bare"]
    assert not bare.can_pull and bare.principal == world.bare_node_role
    assert bare.missing == ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")  # its inline policy grants the token
    assert by_pool["gpu"].can_pull and by_pool["gpu"].missing == ()  # AmazonEC2ContainerRegistryReadOnly


def test_pod_identity_associations_from_recorded_responses(world: World) -> None:
    """moto has no Pod Identity API: the EKS calls are answered by botocore's Stubber with
    the documented response shapes recorded under tests/data/aws/<test>/."""
    p = _provider(world)
    _eks.cluster_info(p)  # DescribeCluster from moto, before the stub takes over EKS
    here = DATA / "test_pod_identity_associations"
    eks = p.clients.client("eks")
    with Stubber(eks) as stub:
        stub.add_response("list_pod_identity_associations",
                          json.loads((here / "eks.ListPodIdentityAssociations_1.json").read_text()),
                          {"clusterName": CLUSTER})
        stub.add_response("list_pod_identity_associations",
                          json.loads((here / "eks.ListPodIdentityAssociations_2.json").read_text()),
                          {"clusterName": CLUSTER, "nextToken": "eyJhc3NvY2lhdGlvbklkIjoiYS0xYjJjM2Q0ZTVmNmE3YjhjOSJ9"})
        for i in (1, 2):
            stub.add_response("describe_pod_identity_association",
                              json.loads((here / f"eks.DescribePodIdentityAssociation_{i}.json").read_text()))
        answer = p.identity(IdentityQuestions(unannotated_service_accounts=(("shop", "cart"), ("shop", "search"))))
        stub.assert_no_pending_responses()
    got = {(b.namespace, b.service_account): b for b in answer.bindings}
    assert set(got) == {("shop", "cart"), ("shop", "search")}  # batch/report-writer runs no pod: not described
    assert got[("shop", "cart")].mechanism == "eks-pod-identity" and got[("shop", "cart")].trusted
    search = got[("shop", "search")]
    assert not search.trusted
    assert search.problems == ("trust policy does not allow pods.eks.amazonaws.com to sts:TagSession",)
    assert p.api_calls()["eks:DescribePodIdentityAssociation"] == 2
    assert p.api_calls()["eks:ListPodIdentityAssociations"] == 2


def test_moto_without_pod_identity_is_reported_not_fatal(world: World) -> None:
    answer = _provider(world).identity(IdentityQuestions(unannotated_service_accounts=(("shop", "cart"),)))
    assert [nc.what for nc in answer.not_checked] == ["pod_identity"]
    assert answer.cluster_identity is not None and answer.cluster_identity.oidc_provider_registered


# --------------------------------------------------------------------------- compute


def test_node_groups_zones_bounds_and_the_absent_auto_scaling_group(world: World) -> None:
    answer = _provider(world, LAB, autoscaler=True).compute(ComputeQuestions())
    pools = {p.name: p for p in answer.node_pools}
    assert pools["bare"].zones == ("us-east-1a",)
    assert (pools["bare"].min_size, pools["bare"].max_size, pools["bare"].desired_size) == (1, 4, 2)
    assert pools["bare"].autoscaling is True
    gpu = pools["gpu"]  # no ASG: the node group's subnets and scaling config
    assert gpu.zones == ("us-east-1c",) and gpu.taints == ("nvidia.com/gpu=true:NoSchedule",)
    assert gpu.labels == (("workload", "gpu"),) and gpu.node_identity == world.roles["shop-prod-node-role"]
    assert [nc.what for nc in answer.not_checked] == ["autoscaling_groups"]
    assert "gpu" in answer.not_checked[0].reason


def test_domino_node_groups_one_zone_each(world: World) -> None:
    p = _provider(world)
    pools = {x.name: x for x in p.compute(ComputeQuestions()).node_pools}
    assert pools["workers-us-east-1a"].zones == ("us-east-1a",) and pools["workers-us-east-1a"].max_size == 3
    assert pools["workers-us-east-1b"].zones == ("us-east-1b",) and pools["workers-us-east-1b"].max_size == 6
    calls = p.api_calls()
    assert calls["eks:DescribeNodegroup"] == 2 and calls["autoscaling:DescribeAutoScalingGroups"] == 1


# --------------------------------------------------------------------------- network


def test_nat_gateway_metrics_zones_and_routed_subnets(world: World) -> None:
    p = _provider(world)
    answer = p.network(NetworkQuestions(window_minutes=60))
    gws = {g.gateway_id: g for g in answer.egress_gateways}
    busy, quiet = gws[world.nats["1b"]], gws[world.nats["1a"]]
    assert busy.port_allocation_errors == 1834.0 and busy.dropped_packets == 2211.0
    assert busy.active_connections == 54012.0  # Maximum, not Sum
    assert busy.zone == "us-east-1b" and busy.subnets == (world.subnets["1b"],)
    assert quiet.port_allocation_errors == 0.0 and quiet.zone == "us-east-1a"
    assert busy.connection_attempts is None  # no datapoints: not reported
    assert p.api_calls()["cloudwatch:GetMetricData"] == 1


def test_subnets_report_free_ips(world: World) -> None:
    answer = _provider(world, LAB).network(NetworkQuestions())
    subnets = {s.subnet_id: s for s in answer.subnets}
    tiny = subnets[world.subnets["tiny-1c"]]
    assert (tiny.cidr, tiny.total_ips, tiny.zone) == ("10.0.66.0/28", 11, "us-east-1c")
    assert tiny.available_ips is not None and tiny.available_ips <= 11
    assert subnets[world.subnets["1a"]].available_ips is not None
    assert subnets[world.subnets["1a"]].available_ips > 8000  # type: ignore[operator]
    assert answer.settings is not None and answer.settings.network_plugin == "vpc-cni"


# --------------------------------------------------------------------------- storage


def test_volumes_in_two_zones_and_an_unknown_one(world: World) -> None:
    vols = (*world.volumes.values(), "vol-0123456789abcdef0")
    answer = _provider(world).storage(StorageQuestions(tuple(
        VolumeRef(f"pv-{v}", "ebs.csi.aws.com", v) for v in vols)))
    disks = {d.volume_handle: d for d in answer.disks}
    assert disks[world.volumes["cache-1a"]].zones == ("us-east-1a",)
    assert disks[world.volumes["data-1b"]].zones == ("us-east-1b",)
    assert disks[world.volumes["data-1b"]].sku == "gp3"
    assert not disks["vol-0123456789abcdef0"].exists


def test_volumes_are_described_200_per_call(world: World) -> None:
    p = _provider(world)
    sizes: list[int] = []
    p.clients.client("ec2").meta.events.register(
        "before-parameter-build.ec2.DescribeVolumes",
        lambda params, **_: sizes.append(len(params["Filters"][0]["Values"])))
    refs = [VolumeRef(f"pv{i}", "ebs.csi.aws.com", f"vol-{i:017x}") for i in range(450)]
    refs.append(VolumeRef("pv-real", "kubernetes.io/aws-ebs", world.volumes["orders-1a"]))
    refs.append(VolumeRef("pv-nfs", "nfs.csi.k8s.io", "server:/export"))
    answer = p.storage(StorageQuestions(tuple(refs)))
    assert sorted(sizes) == [51, 200, 200]
    assert p.api_calls()["ec2:DescribeVolumes"] == 3
    assert sum(d.exists for d in answer.disks) == 1 and len(answer.disks) == 451


# --------------------------------------------------------------------------- errors


def test_access_denied_becomes_not_checked_and_the_scan_goes_on(world: World) -> None:
    """AccessDenied is answered by botocore's Stubber (a ClientError), not by moto."""
    p = _provider(world)
    with Stubber(p.clients.client("ec2")) as stub:
        stub.add_client_error("describe_volumes", service_error_code="UnauthorizedOperation",
                              service_message="You are not authorized to perform this operation.",
                              http_status_code=403)
        answer = p.storage(StorageQuestions((VolumeRef("pv", "ebs.csi.aws.com", world.volumes["cache-1a"]),)))
    assert answer.disks == ()
    assert [(nc.what, nc.reason) for nc in answer.not_checked] == [("disks", "forbidden: ec2:DescribeVolumes")]
    with Stubber(p.clients.client("iam")) as stub:
        stub.add_client_error("list_open_id_connect_providers", service_error_code="AccessDenied", http_status_code=403)
        stub.add_client_error("get_role", service_error_code="AccessDenied", http_status_code=403)
        ident = p.identity(IdentityQuestions(service_accounts=(_irsa("shop", "checkout", world.roles["shop-prod-checkout"]),)))
    reasons = {(nc.what, nc.reason) for nc in ident.not_checked}
    assert ("cluster_identity", "forbidden: iam:ListOpenIDConnectProviders") in reasons
    assert ("identity_bindings", "forbidden: iam:GetRole") in reasons
    assert p.compute(ComputeQuestions()).node_pools  # other loops still answer


def test_both_sources_of_zones_denied_leave_node_pools_not_checked(world: World) -> None:
    p = _provider(world, LAB)
    with Stubber(p.clients.client("ec2")) as ec2, Stubber(p.clients.client("autoscaling")) as asg:
        ec2.add_client_error("describe_subnets", service_error_code="UnauthorizedOperation", http_status_code=403)
        asg.add_client_error("describe_auto_scaling_groups", service_error_code="AccessDenied", http_status_code=403)
        answer = p.compute(ComputeQuestions())
    assert {x.name for x in answer.node_pools} == {"bare", "gpu"}
    assert all(x.zones == () for x in answer.node_pools)
    assert [(nc.what, nc.reason) for nc in answer.not_checked] == [
        ("node_pools", "forbidden: ec2:DescribeSubnets, autoscaling:DescribeAutoScalingGroups")]


def test_throttling_that_outlasts_retries_is_not_checked_and_the_network_loop_goes_on(world: World) -> None:
    """A throttling error left after botocore's retries (Stubber answers it: no retry happens)."""
    p = _provider(world, max_attempts=1)
    with Stubber(p.clients.client("cloudwatch")) as stub:
        stub.add_client_error("get_metric_data", service_error_code="Throttling", service_message="Rate exceeded",
                              http_status_code=400)
        answer = p.network(NetworkQuestions(window_minutes=60))
        stub.assert_no_pending_responses()
    assert [(nc.what, nc.reason) for nc in answer.not_checked] == [
        ("egress_gateways", "throttled: cloudwatch:GetMetricData (still rate-limited after retries)")]
    assert answer.egress_gateways == ()
    subnets = {s.subnet_id: s for s in answer.subnets}  # the rest of the loop still answers
    assert subnets[world.subnets["1b"]].zone == "us-east-1b"
    assert subnets[world.subnets["1b"]].available_ips is not None
    assert answer.settings is not None and answer.settings.network_plugin == "vpc-cni"
    assert p.api_calls()["cloudwatch:GetMetricData"] == 1


def test_throttled_auto_scaling_groups_leave_the_node_groups_own_view(world: World) -> None:
    p = _provider(world, LAB, max_attempts=1, autoscaler=True)
    with Stubber(p.clients.client("autoscaling")) as stub:
        stub.add_client_error("describe_auto_scaling_groups", service_error_code="Throttling", http_status_code=400)
        answer = p.compute(ComputeQuestions())
        stub.assert_no_pending_responses()
    pools = {x.name: x for x in answer.node_pools}
    assert pools["bare"].zones == ("us-east-1a",) and pools["gpu"].zones == ("us-east-1c",)  # from the subnets
    assert [(nc.what, nc.reason) for nc in answer.not_checked] == [(
        "autoscaling_groups", "throttled: autoscaling:DescribeAutoScalingGroups (still rate-limited after retries)"
                              " (zones and bounds from the node groups)")]


def test_the_loops_share_the_providers_one_bounded_pool(world: World) -> None:
    """Every call is made by a loop's own thread or one of the provider's ``max_workers`` threads."""
    p = _provider(world, max_workers=2)
    threads: set[threading.Thread] = set()
    for service in ("eks", "iam", "ec2", "autoscaling", "cloudwatch"):
        p.clients.client(service).meta.events.register(
            "before-parameter-build", lambda **_: threads.add(threading.current_thread()))
    r = world.roles
    refs = tuple(_irsa("shop", f"sa{i}", arn) for i, arn in enumerate(
        (r["shop-prod-checkout"], r["payments-api"], r["payments-any"], r["wrong-audience"])))
    vols = tuple(VolumeRef(f"pv{i}", "ebs.csi.aws.com", f"vol-{i:017x}") for i in range(450))
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="test-loop") as loops:
        futures = [loops.submit(p.identity, IdentityQuestions(service_accounts=refs, registries=(ECR,))),
                   loops.submit(p.compute, ComputeQuestions()),
                   loops.submit(p.network, NetworkQuestions()),
                   loops.submit(p.storage, StorageQuestions(vols))]
        ident, comp, net, stor = (f.result(timeout=120) for f in futures)
    assert len(ident.bindings) == 4 and ident.registry_access and comp.node_pools and net.egress_gateways
    assert len(stor.disks) == 450
    assert {t.name.split("_")[0] for t in threads} == {"test-loop", "r2c-aws"}
    assert 1 <= len({t for t in threads if t.name.startswith("r2c-aws")}) <= 2
    p.close()


def test_no_credentials_is_cloud_unreachable(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    p = _provider(world)
    with pytest.raises(CloudUnreachableError, match="no credentials found") as info:
        p.storage(StorageQuestions((VolumeRef("pv", "ebs.csi.aws.com", world.volumes["cache-1a"]),)))
    assert info.value.exit_code == 3 and "\n" not in str(info.value)


def test_unreachable_endpoint_is_cloud_unreachable() -> None:
    p = AwsProvider(boto3.Session(region_name=REGION), cluster_name=CLUSTER, region=REGION,
                    endpoint_url="http://127.0.0.1:9", max_attempts=1)
    with pytest.raises(CloudUnreachableError, match=r"AWS endpoint http://127.0.0.1:9 cannot be reached \(eks:DescribeCluster\)"):
        p.network(NetworkQuestions())


def test_unknown_cluster_is_reported_per_family(world: World) -> None:
    answer = _provider(world, "no-such-cluster").network(NetworkQuestions())
    assert {nc.what for nc in answer.not_checked} == {"egress_gateways", "subnets"}


# --------------------------------------------------------------------------- detection and loading


def _eks_node(name: str, zone: str, **labels: str) -> dict[str, Any]:
    n: dict[str, Any] = node(name, zone=zone, provider_id=f"aws:///{zone}/i-0a1b2c3d4e5f60718")
    n["metadata"]["labels"].update(labels)
    return n


def test_for_cluster_detects_region_and_name_from_nodes_and_the_cni() -> None:
    eksctl = cluster([_eks_node("ip-10-0-1-1.ec2.internal", "eu-west-1b", **{"alpha.eksctl.io/cluster-name": "blue"})])
    p = AwsProvider.for_cluster(eksctl)
    assert p.describe() == ("blue", "eu-west-1")
    cni = {"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": meta("aws-node", "kube-system"),
           "spec": {"selector": {"matchLabels": {"k8s-app": "aws-node"}},
                    "template": {"metadata": {"labels": {"k8s-app": "aws-node"}}, "spec": {"containers": [
                        {"name": "aws-node", "image": "602401143452.dkr.ecr.us-west-2.amazonaws.com/amazon-k8s-cni:v1.19.0",
                         "env": [{"name": "CLUSTER_NAME", "value": "green"}]}]}}}}
    plain = cluster([node("ip-10-0-1-1.us-west-2.compute.internal", zone="us-west-2c",
                          provider_id="aws:///us-west-2c/i-0a1b2c3d4e5f60718"), cni])
    assert AwsProvider.for_cluster(plain).describe() == ("green", "us-west-2")
    assert AwsProvider.for_cluster(plain, cluster_name="red", region="us-east-2").describe() == ("red", "us-east-2")


def test_for_cluster_without_a_name_asks_for_one() -> None:
    bare = cluster([node("n1", zone="us-east-1a", provider_id="aws:///us-east-1a/i-0a1b2c3d4e5f60718")])
    with pytest.raises(BadInputError, match="pass --cluster-name NAME"):
        AwsProvider.for_cluster(bare)


def test_the_entry_point_loads_through_the_registry(world: World) -> None:
    state = cluster([_eks_node("n1", "us-east-1a", **{"alpha.eksctl.io/cluster-name": CLUSTER})])
    provider, why = make_provider("aws", state, endpoint_url=world.endpoint)
    assert why is None and isinstance(provider, AwsProvider)
    assert provider.describe() == (CLUSTER, REGION)


_SDK_LOADED = ("leaked = sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')); ")


def test_loading_the_plugin_class_does_not_import_boto3() -> None:
    """``--help`` and ``--cloud auto`` load the class (its options, its SDK check): no SDK yet."""
    code = ("import sys, r2c_clouds, r2c_clouds.providers; r2c_clouds.providers.provider_names(); "
            "from r2c_clouds.providers import load_provider; cls = load_provider('aws'); "
            "from r2c_clouds.providers.aws import AwsProvider; assert cls is AwsProvider; "
            "assert cls.missing_sdk() is None; "
            "assert [o.flag for o in cls.cli_options] == ['--region', '--cluster-name']; "
            + _SDK_LOADED + "assert not leaked, leaked")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_constructing_a_provider_imports_boto3() -> None:
    code = ("import sys; from r2c_clouds.errors import BadInputError; "
            "from r2c_clouds.providers.aws import AwsProvider\n"
            "try:\n    AwsProvider(region='eu-west-1')\nexcept BadInputError:\n    pass\n"
            "else:\n    raise AssertionError('no cluster name accepted')\n"
            + _SDK_LOADED + "assert not leaked, leaked\n"  # refused before the SDK is needed
            "p = AwsProvider(cluster_name='blue', region='eu-west-1')\n"
            "assert 'boto3' in sys.modules and 'botocore' in sys.modules\n"
            "assert p.describe() == ('blue', 'eu-west-1') and p.clients.region == 'eu-west-1'\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_cli_options_are_constructor_keywords() -> None:
    """``r2c scan --region R --cluster-name N`` reaches ``for_cluster(region=R, cluster_name=N)``."""
    keywords = inspect.signature(AwsProvider.__init__).parameters
    assert [(o.dest, o.metavar, o.env) for o in AwsProvider.cli_options] == [
        ("region", "REGION", "AWS_REGION"), ("cluster_name", "NAME", None)]
    assert all(keywords[o.dest].kind is inspect.Parameter.KEYWORD_ONLY for o in AwsProvider.cli_options)


def test_cloud_auto_on_an_eks_cluster_without_a_name_scans_without_cloud_facts() -> None:
    bare = cluster([node("n1", zone="us-east-1a", provider_id="aws:///us-east-1a/i-0a1b2c3d4e5f60718")])
    provider, why = make_provider("auto", bare)
    assert provider is None
    assert why is not None and why.startswith("cloud aws detected but not usable: AWS: cannot tell the EKS cluster name")
    with pytest.raises(BadInputError):  # asked for explicitly: an error
        make_provider("aws", bare)


def test_cloud_auto_picks_aws_from_provider_ids(world: World) -> None:
    named = cluster([_eks_node("n1", "us-east-1a", **{"alpha.eksctl.io/cluster-name": CLUSTER})])
    provider, why = make_provider("auto", named, endpoint_url=world.endpoint)
    assert why is None and isinstance(provider, AwsProvider)


@pytest.mark.parametrize(("name", "region"), [
    ("arn:aws:eks:ap-south-1:123456789012:cluster/orders", ("orders", "ap-south-1")),
    ("orders.eu-central-1.eksctl.io", ("orders", "eu-central-1")),
])
def test_for_cluster_reads_the_kubeconfig_cluster_name(name: str, region: tuple[str, str]) -> None:
    state = cluster([], name=name)
    assert AwsProvider.for_cluster(state).describe() == region


def test_for_cluster_reads_controller_arguments() -> None:
    lbc = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta("aws-load-balancer-controller", "kube-system"),
           "spec": {"selector": {"matchLabels": {"app": "lbc"}}, "template": {"metadata": {"labels": {"app": "lbc"}},
                    "spec": {"containers": [{"name": "controller", "image": "public.ecr.aws/eks/aws-load-balancer-controller:v2.9.0",
                                             "args": ["--cluster-name=teal", "--ingress-class=alb"]}]}}}}
    state = cluster([node("n1", zone="ca-central-1a"), lbc])
    assert AwsProvider.for_cluster(state).describe() == ("teal", "ca-central-1")


def test_metric_queries_are_sent_500_per_call(world: World) -> None:
    """moto does not enforce the 500-query limit, so the chunking is asserted on the requests."""
    from r2c_clouds.providers.aws import network as aws_network

    p = _provider(world)
    sizes: list[int] = []
    cw = p.clients.client("cloudwatch")
    cw.meta.events.register("before-parameter-build.cloudwatch.GetMetricData",
                            lambda params, **_: sizes.append(len(params["MetricDataQueries"])))
    nats = [f"nat-{i:017x}" for i in range(101)]  # 505 queries
    with Stubber(cw) as stub:
        stub.add_response("get_metric_data", {"MetricDataResults": [
            {"Id": "q100x0", "Label": "ErrorPortAllocation", "StatusCode": "Complete", "Values": [4.0, 3.0],
             "Timestamps": ["2026-11-25T09:00:00Z", "2026-11-25T09:05:00Z"]}]})
        stub.add_response("get_metric_data", {"MetricDataResults": []})
        values = aws_network._metrics(p, nats, 60)
    assert sorted(sizes) == [5, 500]
    assert p.api_calls()["cloudwatch:GetMetricData"] == 2
    assert values == {("nat-00000000000000064", "port_allocation_errors"): 7.0}
