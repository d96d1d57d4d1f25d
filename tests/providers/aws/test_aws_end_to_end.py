"""``r2c scan --cloud aws`` and ``r2c snapshot --cloud aws`` end to end: the domino demo's
Kubernetes objects, with the volume ids of the emulated account, scanned against moto
(endpoint from AWS_ENDPOINT_URL), must tell the domino story from live cloud facts."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from aws_world import World

from r2c_clouds.cli import main
from r2c_clouds.providers.recorded import load_facts

DEMO_CACHE = "vol-0c3f5e7a9b1d24680"
DEMO_ORDERS = "vol-04d2b6e8f0a1c3579"
DEMO_NATS = {"nat-0a6d3b1f8e2c4a597": "1a", "nat-0b7e4c2a91f3d5e68": "1b"}
POD = "Pod/shop/checkout-6f9c7d8b5-x2x7k"


def _snapshot(world: World, where: Path) -> Path:
    """The domino cluster.json with the emulated account's volume ids (and no recorded facts)."""
    text = resources.files("r2c_clouds.demo").joinpath("domino", "cluster.json").read_text()
    assert DEMO_CACHE in text and DEMO_ORDERS in text
    text = text.replace(DEMO_CACHE, world.volumes["cache-1a"]).replace(DEMO_ORDERS, world.volumes["orders-1a"])
    where.mkdir()
    (where / "cluster.json").write_text(text)
    return where


def _scan(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(["scan", *args, "--format", "json", "--quiet"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def _steps(report: dict[str, Any], chain: dict[str, Any]) -> list[tuple[str, str]]:
    by_id = {f["id"]: f for f in report["findings"]}
    return [(by_id[i]["rule"], _subject(by_id[i])) for i in chain["path"]]


def _subject(f: dict[str, Any]) -> str:
    s = f["subject"]
    if isinstance(s, str):
        return s
    parts = [s["kind"], s.get("namespace"), s["name"]]
    return "/".join(p for p in parts if p)


@pytest.fixture(scope="module")
def scanned(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _snapshot(world, tmp_path_factory.mktemp("e2e") / "domino-live")


def test_scan_with_live_aws_facts_tells_the_domino_story(
    aws_env: World, scanned: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, report = _scan(["--snapshot", str(scanned), "--cloud", "aws"], capsys)
    assert code == 1  # findings
    calls = report["stats"]["api_calls"]
    assert calls["ec2:DescribeVolumes"] == 1 and calls["cloudwatch:GetMetricData"] == 1
    assert calls["iam:GetRole"] == 4  # the four annotated ServiceAccounts' distinct roles

    # Pending pod ← zone conflict ← gp2 Immediate
    pod_chains = [c for c in report["chains"] if _steps(report, c)[0][1] == POD]
    assert len(pod_chains) == 1
    steps = _steps(report, pod_chains[0])
    assert steps[0] == ("compute.unschedulable", POD)
    assert ("storage.zone-conflict", "PersistentVolumeClaim/shop/checkout-cache") in steps
    by_id = {f["id"]: f for f in report["findings"]}
    roots = {_subject(by_id[i]) for i in pod_chains[0]["root_causes"]}
    assert "StorageClass/gp2" in roots
    conflict = next(f for f in report["findings"] if f["rule"] == "storage.zone-conflict")
    assert any(world_ref in json.dumps(conflict["evidence"]) for world_ref in (aws_env.volumes["cache-1a"],))

    # the saturated us-east-1b NAT gateway starts the other chain
    busy = f"NatGateway/{aws_env.nats['1b']}"
    nat = [f for f in report["findings"] if f["rule"] == "network.nat-saturation"]
    assert [_subject(f) for f in nat] == [busy]
    (nat_chain,) = [c for c in report["chains"] if _steps(report, c)[0][1] == busy]
    assert [r for r, _ in _steps(report, nat_chain)][:2] == ["network.nat-saturation", "network.cross-zone-traffic"]


def test_live_scan_finds_what_the_recorded_demo_finds(
    aws_env: World, scanned: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, live = _scan(["--snapshot", str(scanned), "--cloud", "aws"], capsys)
    _, recorded = _scan(["--demo", "domino"], capsys)
    ids = {aws_env.volumes["cache-1a"]: DEMO_CACHE, aws_env.volumes["orders-1a"]: DEMO_ORDERS,
           **{aws_env.nats[z]: demo for demo, z in DEMO_NATS.items()}}

    def key(f: dict[str, Any]) -> tuple[str, str]:
        subject = _subject(f)
        for new, old in ids.items():
            subject = subject.replace(new, old)
        if subject.startswith("Cluster/"):
            subject = "Cluster"  # named after the snapshot directory here
        return f["rule"], subject

    # a cluster.json List records no kinds that had zero objects (NetworkPolicy): those rules are
    # not checked on the live side and left out of the comparison
    uncaptured = {nc["what"] for nc in live["not_checked"] if nc["reason"].startswith("not captured")}
    expected = sorted(key(f) for f in recorded["findings"] if f["rule"] not in uncaptured)
    assert sorted(map(key, live["findings"])) == expected
    assert not [nc for nc in live["not_checked"] if nc["what"] in (
        "disks", "node_pools", "egress_gateways", "subnets", "identity_bindings", "registry_access", "cluster_identity")]


def test_snapshot_records_the_facts_and_replays_offline(
    aws_env: World, scanned: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "recorded"
    assert main(["snapshot", "--snapshot", str(scanned), "--cloud", "aws", "--output", str(out), "--quiet"]) == 0
    facts = load_facts(out / "cloud-facts.json")
    assert facts.provider == "aws" and (facts.cluster_name, facts.region) == ("shop-prod", "us-east-1")
    assert {d.volume_handle: d.zones for d in facts.disks}[aws_env.volumes["cache-1a"]] == ("us-east-1a",)
    assert {p.name for p in facts.node_pools} == {"workers-us-east-1a", "workers-us-east-1b"}
    assert facts.api_calls["ec2:DescribeVolumes"] == 1
    # offline: no endpoint at all, the recorded provider answers
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    code, report = _scan(["--snapshot", str(out)], capsys)
    assert code == 1
    assert [_subject(f) for f in report["findings"] if f["rule"] == "network.nat-saturation"] == [
        f"NatGateway/{aws_env.nats['1b']}"]


def test_scan_without_credentials_exits_3_with_one_line(
    aws_env: World, scanned: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    code = main(["scan", "--snapshot", str(scanned), "--cloud", "aws", "--quiet"])
    err = capsys.readouterr().err
    assert code == 3
    assert err.startswith("r2c: error: AWS: no credentials found")
    assert "Traceback" not in err
