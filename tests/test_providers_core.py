"""Provider registry, `auto` detection, gathering the four loops, and the recorded format."""

from __future__ import annotations

from pathlib import Path

import attrs
import pytest
from factories import cluster, node, pod

from r2c_clouds.errors import RecordedFactsError, UnknownProviderError
from r2c_clouds.loops import (
    ComputeAnswer,
    ComputeQuestions,
    IdentityAnswer,
    IdentityQuestions,
    NetworkAnswer,
    NetworkQuestions,
    Provider,
    StorageAnswer,
    StorageQuestions,
    identity_questions,
    storage_questions,
)
from r2c_clouds.model.cloud import (
    CloudFacts,
    Disk,
    IdentityBinding,
    NetworkSettings,
    NodePool,
    NotChecked,
    Provenance,
)
from r2c_clouds.providers import detect_cloud, gather_facts, make_provider, provider_names
from r2c_clouds.providers.recorded import RecordedProvider, dump_facts, load_facts

P = Provenance("aws", "ec2:DescribeVolumes", "vol-1")


class CountingProvider:
    """A provider that records the questions it was asked (a real Provider implementation)."""

    name = "counting"

    def __init__(self) -> None:
        self.asked: dict[str, object] = {}

    def describe(self) -> tuple[str | None, str | None]:
        return "c1", "us-east-1"

    def api_calls(self) -> dict[str, int]:
        return {"ec2:DescribeVolumes": 1}

    def identity(self, questions: IdentityQuestions) -> IdentityAnswer:
        self.asked["identity"] = questions
        return IdentityAnswer(not_checked=(NotChecked("identity_bindings", "forbidden: iam:GetRole"),))

    def compute(self, questions: ComputeQuestions) -> ComputeAnswer:
        self.asked["compute"] = questions
        return ComputeAnswer(
            node_pools=(NodePool("workers-a", P, zones=("us-east-1a",)),),
            settings=NetworkSettings(P, keda_enabled=False),
        )

    def network(self, questions: NetworkQuestions) -> NetworkAnswer:
        self.asked["network"] = questions
        return NetworkAnswer(settings=NetworkSettings(P, network_mtu=9001))

    def storage(self, questions: StorageQuestions) -> StorageAnswer:
        self.asked["storage"] = questions
        return StorageAnswer(disks=tuple(Disk(v.volume_handle, P, zones=("us-east-1a",)) for v in questions.volumes))


def _pv(name: str, handle: str) -> dict[str, object]:
    return {"kind": "PersistentVolume", "apiVersion": "v1", "metadata": {"name": name},
            "spec": {"csi": {"driver": "ebs.csi.aws.com", "volumeHandle": handle}}}


def _sa(name: str, ns: str, arn: str) -> dict[str, object]:
    return {"kind": "ServiceAccount", "apiVersion": "v1",
            "metadata": {"name": name, "namespace": ns, "annotations": {"eks.amazonaws.com/role-arn": arn}}}


def test_questions_are_deduplicated_by_cloud_resource_not_pods() -> None:
    objs: list[dict[str, object]] = [_sa("api", "shop", "arn:aws:iam::1:role/api")]
    objs += [pod(f"api-{i}", "shop", service_account="api",
                 containers=[{"name": "c", "image": "1.dkr.ecr.us-east-1.amazonaws.com/api:1"}]) for i in range(50)]
    objs += [_pv("pv-a", "vol-1"), _pv("pv-b", "vol-1"), _pv("pv-c", "vol-2")]
    c = cluster(objs)
    iq = identity_questions(c)
    assert [(r.namespace, r.service_account, r.identity) for r in iq.service_accounts] == [
        ("shop", "api", "arn:aws:iam::1:role/api")]
    assert iq.registries == ("1.dkr.ecr.us-east-1.amazonaws.com",)
    assert [v.volume_handle for v in storage_questions(c).volumes] == ["vol-1", "vol-2"]


def test_gather_merges_four_loops_and_keeps_not_checked() -> None:
    c = cluster([node("n1"), _pv("pv-a", "vol-9")])
    prov = CountingProvider()
    assert isinstance(prov, Provider)
    facts = gather_facts(prov, c)
    assert set(prov.asked) == {"identity", "compute", "network", "storage"}
    assert facts.disk("vol-9") is not None and facts.disk("vol-9").zones == ("us-east-1a",)  # type: ignore[union-attr]
    assert facts.network is not None and facts.network.network_mtu == 9001 and facts.network.keda_enabled is False
    assert facts.not_checked == (NotChecked("identity_bindings", "forbidden: iam:GetRole"),)
    assert facts.api_calls == {"ec2:DescribeVolumes": 1}
    assert (facts.cluster_name, facts.region) == ("c1", "us-east-1")


def test_detect_cloud_from_provider_id() -> None:
    assert detect_cloud(cluster([node("n1")])) == "aws"
    azure = node("n2", provider_id="azure:///subscriptions/s/resourceGroups/mc/providers/Microsoft.Compute/virtualMachineScaleSets/v/virtualMachines/0")
    assert detect_cloud(cluster([azure])) == "azure"
    assert detect_cloud(cluster([node("n3", provider_id="gce://p/us-central1-a/n3")])) == "gcp"
    assert detect_cloud(cluster([node("n4", provider_id="kind://docker/kind/kind-control-plane")])) is None
    assert detect_cloud(cluster([node("n1"), azure])) is None


def test_make_provider_auto_and_none(tmp_path: Path) -> None:
    c = cluster([node("n1", provider_id="kind://docker/kind/n1")])
    prov, why = make_provider("auto", c)
    assert prov is None and why is not None and "not detected" in why
    prov, why = make_provider("none", c)
    assert prov is None and why is not None and "--cloud none" in why
    mine = CountingProvider()
    assert make_provider(mine, c) == (mine, None)
    with pytest.raises(UnknownProviderError, match="unknown cloud provider 'nope'"):
        make_provider("nope", c)
    assert "recorded" in provider_names()


def test_auto_prefers_recorded_facts_beside_a_snapshot(tmp_path: Path) -> None:
    facts = CloudFacts(provider="aws", cluster_name="shop", disks=(Disk("vol-1", P, zones=("us-east-1a",)),))
    path = tmp_path / "cloud-facts.json"
    path.write_bytes(dump_facts(facts))
    c = attrs.evolve(cluster([node("n1"), _pv("pv", "vol-1")]), cloud_facts_path=str(path))
    prov, why = make_provider("auto", c)
    assert isinstance(prov, RecordedProvider) and why is None
    got = gather_facts(prov, c)
    assert got.provider == "recorded" and got.disk("vol-1") == facts.disks[0]


def test_recorded_round_trip_is_exact(tmp_path: Path) -> None:
    facts = CloudFacts(
        provider="aws", cluster_name="shop", region="us-east-1",
        identity_bindings=(IdentityBinding("shop", "api", "arn:aws:iam::1:role/api", "irsa",
                                           Provenance("aws", "iam:GetRole", "arn:aws:iam::1:role/api"),
                                           trusted=False, problems=("subject not matched",)),),
        not_checked=(NotChecked("egress_gateways", "forbidden: cloudwatch:GetMetricData"),),
    )
    path = tmp_path / "cloud-facts.json"
    path.write_bytes(dump_facts(facts))
    assert load_facts(path) == facts
    assert dump_facts(load_facts(path)) == path.read_bytes()


@pytest.mark.parametrize(
    ("content", "problem"),
    [(b"{not json", "not valid recorded cloud facts"),
     (b'{"schema": "other/v9", "facts": {"provider": "aws"}}', "schema 'other/v9'"),
     (b'{"schema": "r2c_clouds/cloud-facts/v1", "facts": {"provider": 3}}', "Expected `str`")],
)
def test_recorded_errors_are_one_line(tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "cloud-facts.json"
    path.write_bytes(content)
    with pytest.raises(RecordedFactsError, match=problem) as err:
        load_facts(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_recorded_without_file_is_bad_input() -> None:
    with pytest.raises(RecordedFactsError, match=r"no cloud-facts\.json"):
        make_provider("recorded", cluster([node("n1")]))


def test_a_loop_past_the_cloud_deadline_is_left_behind_not_waited_for() -> None:
    import threading
    import time

    release = threading.Event()

    class SlowStorage(CountingProvider):
        def storage(self, questions: StorageQuestions) -> StorageAnswer:
            release.wait(30)  # an endpoint that never answers
            return StorageAnswer()

    c = cluster([node("n1"), _pv("pv-a", "vol-1")])
    started = time.monotonic()
    try:
        facts = gather_facts(SlowStorage(), c, timeout=0.5)
    finally:
        release.set()
    assert time.monotonic() - started < 5
    assert ("disks", "timeout: counting did not answer the storage loop within 0.5 s") in {
        (nc.what, nc.reason) for nc in facts.not_checked}
    assert facts.node_pools  # the loops that answered are kept


def test_a_network_loop_past_the_deadline_leaves_every_network_family_not_checked() -> None:
    """Private endpoints come from the network loop too: cut by the deadline, they must read
    "not checked", not "none" (the private-endpoint DNS rule would pass on an empty tuple)."""
    import threading

    release = threading.Event()

    class SlowNetwork(CountingProvider):
        def network(self, questions: NetworkQuestions) -> NetworkAnswer:
            release.wait(30)
            return NetworkAnswer()

    try:
        facts = gather_facts(SlowNetwork(), cluster([node("n1")]), timeout=0.5)
    finally:
        release.set()
    cut = {nc.what for nc in facts.not_checked if "network loop" in nc.reason}
    assert cut == {"egress_gateways", "subnets", "network", "private_endpoints"}
