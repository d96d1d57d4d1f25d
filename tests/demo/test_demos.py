"""The bundled demos: they load, they look like kubectl output, and each tells its story
through ``r2c_clouds.scan(r2c_clouds.demo(name))`` (``cloud="auto"`` → the recorded facts)."""

from __future__ import annotations

import json
import tempfile
import zipfile
from collections import Counter
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

import r2c_clouds as r2c
from r2c_clouds.demo import _on_disk, demo_names, load_demo
from r2c_clouds.demo._build import build_demos
from r2c_clouds.errors import BadInputError, UnknownDemoError
from r2c_clouds.kube.kinds import KINDS, kind_for
from r2c_clouds.model.findings import Chain, Finding, ObjectRef, Severity
from r2c_clouds.providers.recorded import load_facts
from r2c_clouds.report import Report

DEMOS = ("aks", "domino", "gke", "healthy")
CLOUD_OF = {"aks": "azure", "domino": "aws", "gke": "gcp", "healthy": "aws"}
PROVIDER_ID_PREFIX = {"aws": "aws:///", "azure": "azure:///", "gcp": "gce://"}


@pytest.fixture(scope="module")
def reports() -> dict[str, Report]:
    return {name: r2c.scan(r2c.demo(name)) for name in DEMOS}


def _raw(name: str) -> dict[str, Any]:
    data = resources.files("r2c_clouds.demo").joinpath(name, "cluster.json").read_bytes()
    doc: dict[str, Any] = json.loads(data)
    return doc


def _by_rule(report: Report, rule: str) -> list[Finding]:
    return [f for f in report.findings if f.rule == rule]


def _subjects(report: Report, rule: str) -> set[str]:
    return {str(f.subject) for f in _by_rule(report, rule)}


def _chain_steps(report: Report, chain: Chain) -> list[Finding]:
    by_id = {f.id: f for f in report.findings}
    return [by_id[i] for i in chain.path]


# --------------------------------------------------------------------------- loading


def test_demo_names_lists_every_bundled_demo_directory() -> None:
    root = resources.files("r2c_clouds.demo")
    on_disk = sorted(
        e.name for e in root.iterdir() if e.is_dir() and e.joinpath("cluster.json").is_file()
    )
    assert r2c.demos() == demo_names() == on_disk
    assert set(DEMOS) <= set(on_disk)
    assert "_build" not in demo_names()


@pytest.mark.parametrize("name", DEMOS)
def test_every_demo_loads_with_its_recorded_facts(name: str) -> None:
    cluster = r2c.demo(name)
    facts = load_facts(cluster.cloud_facts_path or "")
    assert cluster.source == f"demo:{name}"
    assert cluster.name == facts.cluster_name
    assert facts.provider == CLOUD_OF[name]
    assert cluster.nodes and cluster.pods and cluster.events
    assert all(
        (n.spec.provider_id or "").startswith(PROVIDER_ID_PREFIX[CLOUD_OF[name]]) for n in cluster.nodes
    )
    # a complete capture: every kind was listed, even those with no objects
    assert {ki.kind for ki in KINDS} <= cluster.captured
    assert not cluster.not_checked


@pytest.mark.parametrize("name", DEMOS)
def test_scan_auto_replays_the_recorded_facts(name: str, reports: dict[str, Report]) -> None:
    report = reports[name]
    assert report.facts is not None
    assert report.facts.provider == "recorded"
    assert report.facts.cluster_name == report.cluster.name
    assert report.facts.node_pools and report.facts.disks and report.facts.egress_gateways
    assert {p.provenance.provider for p in report.facts.node_pools} == {CLOUD_OF[name]}
    assert not [nc for nc in report.not_checked if nc.what == "cloud facts"]


def test_unknown_demo_is_one_line_naming_the_demos() -> None:
    with pytest.raises(UnknownDemoError) as info:
        r2c.demo("no-such-demo")
    message = str(info.value)
    assert isinstance(info.value, BadInputError)
    assert "\n" not in message
    assert "no-such-demo" in message
    assert all(name in message for name in demo_names())


@pytest.mark.parametrize("name", ["_build", "", "../domino", "domino/cluster.json"])
def test_names_that_are_not_demos_are_refused(name: str) -> None:
    with pytest.raises(UnknownDemoError):
        load_demo(name)


def test_demo_function_is_not_shadowed_by_the_demo_package() -> None:
    import r2c_clouds.demo  # noqa: F401  (the import that used to rebind r2c.demo)

    assert callable(r2c.demo)
    assert r2c.demo("healthy").source == "demo:healthy"


def test_a_demo_outside_the_filesystem_is_copied_where_the_facts_stay_readable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    archive = tmp_path / "demos.zip"
    src = resources.files("r2c_clouds.demo").joinpath("gke")
    with zipfile.ZipFile(archive, "w") as zf:
        for file in ("cluster.json", "cloud-facts.json"):
            zf.writestr(f"gke/{file}", src.joinpath(file).read_bytes())
    on_disk = _on_disk(zipfile.Path(archive, "gke/"), "gke")
    assert on_disk.parent == tmp_path
    assert _on_disk(zipfile.Path(archive, "gke/"), "gke") == on_disk  # extracted once
    assert (on_disk / "cluster.json").read_bytes() == src.joinpath("cluster.json").read_bytes()
    assert load_facts(on_disk / "cloud-facts.json").cluster_name == "gke-prod"


# --------------------------------------------------------------------------- the data is kubectl output


@pytest.mark.parametrize("name", DEMOS)
def test_cluster_json_is_a_kubectl_list_of_well_formed_objects(name: str) -> None:
    doc = _raw(name)
    assert doc["kind"] == "List" and doc["apiVersion"] == "v1"
    assert doc["metadata"] == {"resourceVersion": ""}
    uids: Counter[str] = Counter()
    for obj in doc["items"]:
        meta = obj["metadata"]
        where = f"{obj.get('kind')}/{meta.get('namespace')}/{meta.get('name')}"
        assert obj.get("apiVersion") and kind_for(obj["kind"]) is not None, where
        assert isinstance(meta["resourceVersion"], str), where
        assert meta["creationTimestamp"].endswith("Z"), where
        times = [meta["creationTimestamp"]]
        if obj["kind"] == "Event":
            times += [obj[k] for k in ("firstTimestamp", "lastTimestamp", "eventTime") if obj.get(k)]
            assert obj["firstTimestamp"] or obj["eventTime"], where
        for t in times:
            datetime.fromisoformat(t.replace("Z", "+00:00"))  # raises on an impossible time
        uids[meta["uid"]] += 1
    assert max(uids.values()) == 1


def _official_client_decode(obj: dict[str, Any]) -> object:
    """Decode one object with the official client's models (pydantic, strict types in v37)."""
    import inspect

    from kubernetes.client import ApiClient

    model = {"Event": "CoreV1Event"}.get(obj["kind"], f"V1{obj['kind']}")
    api = ApiClient()
    if "content_type" in inspect.signature(api.deserialize).parameters:
        return api.deserialize(json.dumps(obj), model, "application/json")

    class _Response:  # kubernetes < 37 takes a response object
        data = json.dumps(obj)

    return api.deserialize(_Response(), model)


@pytest.mark.parametrize("name", DEMOS)
def test_the_official_client_accepts_every_object(name: str) -> None:
    for obj in _raw(name)["items"]:
        if obj["kind"] in ("ScaledObject", "ServiceMonitor"):  # custom resources: no model
            continue
        decoded = _official_client_decode(obj)
        assert decoded.metadata.name == obj["metadata"]["name"]  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", DEMOS)
def test_references_between_objects_resolve(name: str) -> None:
    items = _raw(name)["items"]
    uid_of = {(o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"]): o["metadata"]["uid"]
              for o in items}
    deployments = {(o["metadata"]["namespace"], o["metadata"]["name"]) for o in items if o["kind"] == "Deployment"}
    for obj in items:
        meta = obj["metadata"]
        for ref in meta.get("ownerReferences", []):
            if ref["kind"] == "ReplicaSet":  # ReplicaSets are not captured: they carry their Deployment's name
                dep = ref["name"].rsplit("-", 1)[0]
                assert (meta["namespace"], dep) in deployments, ref
                assert meta["labels"]["pod-template-hash"] == ref["name"].rsplit("-", 1)[1]
            else:
                ns = None if ref["kind"] in ("Node",) else meta.get("namespace")
                assert uid_of[(ref["kind"], ns, ref["name"])] == ref["uid"], ref
        if obj["kind"] == "Event":
            io = obj["involvedObject"]
            assert uid_of[(io["kind"], io.get("namespace"), io["name"])] == io["uid"], io
        if obj["kind"] == "Pod":
            node = obj["spec"].get("nodeName")
            assert node is None or ("Node", None, node) in uid_of
            for vol in obj["spec"]["volumes"]:
                claim = vol.get("persistentVolumeClaim")
                if claim:
                    assert ("PersistentVolumeClaim", meta["namespace"], claim["claimName"]) in uid_of


@pytest.mark.parametrize("name", DEMOS)
def test_committed_data_is_what_the_build_script_writes(name: str, tmp_path: Path) -> None:
    build_demos.build(name, tmp_path)
    src = resources.files("r2c_clouds.demo").joinpath(name)
    for file in ("cluster.json", "cloud-facts.json"):
        assert (tmp_path / file).read_bytes() == src.joinpath(file).read_bytes(), (
            f"{name}/{file} is stale: run python r2c_clouds/demo/_build/build_demos.py"
        )


# --------------------------------------------------------------------------- the stories


def test_healthy_has_nothing_at_medium_or_above(reports: dict[str, Report]) -> None:
    serious = [f"{f.rule} {f.subject}: {f.message}" for f in reports["healthy"].findings
               if f.severity >= Severity.MEDIUM]
    assert serious == []


def test_the_other_demos_do_have_serious_findings(reports: dict[str, Report]) -> None:
    """The negative control of the healthy check: the same threshold catches the incidents."""
    for name in ("aks", "domino", "gke"):
        assert any(f.severity >= Severity.HIGH for f in reports[name].findings), name


def test_domino_pod_chain_ends_at_the_gp2_storage_class(reports: dict[str, Report]) -> None:
    report = reports["domino"]
    pod = ObjectRef("Pod", "shop", "checkout-6f9c7d8b5-x2x7k")
    chains = [c for c in report.chains if _chain_steps(report, c)[0].subject == pod]
    assert len(chains) == 1
    steps = [(f.rule, str(f.subject)) for f in _chain_steps(report, chains[0])]
    assert ("compute.unschedulable", str(pod)) == steps[0]
    assert ("storage.zone-conflict", "PersistentVolumeClaim/shop/checkout-cache") in steps
    roots = {str(f.subject) for f in report.findings if f.id in chains[0].root_causes}
    assert "StorageClass/gp2" in roots
    gp2 = next(f for f in report.findings if f.rule == "storage.immediate-binding")
    assert str(gp2.subject) == "StorageClass/gp2"


def test_domino_unschedulable_pod_names_the_volume_zone(reports: dict[str, Report]) -> None:
    (finding,) = [f for f in _by_rule(reports["domino"], "compute.unschedulable")
                  if f.subject.name == "checkout-6f9c7d8b5-x2x7k"]
    assert "us-east-1a" in finding.message  # the disk's zone
    assert "us-east-1b" in finding.message  # the node's zone
    assert any(e.source == "aws" and "vol-0c3f5e7a9b1d24680" in e.ref for e in finding.evidence)


def test_domino_nat_chain_starts_at_the_saturated_gateway(reports: dict[str, Report]) -> None:
    report = reports["domino"]
    gateway = ObjectRef("NatGateway", None, "nat-0b7e4c2a91f3d5e68")
    chains = [c for c in report.chains if _chain_steps(report, c)[0].subject == gateway]
    assert len(chains) == 1
    steps = [(f.rule, str(f.subject)) for f in _chain_steps(report, chains[0])]
    assert steps[:2] == [("network.nat-saturation", str(gateway)),
                         ("network.cross-zone-traffic", "Service/shop/orders-db")]
    assert "nat-0a6d3b1f8e2c4a597" not in _subjects(report, "network.nat-saturation")  # the quiet 1a gateway


def test_domino_nat_chain_ends_at_the_gp2_storage_class(reports: dict[str, Report]) -> None:
    report = reports["domino"]
    gateway = ObjectRef("NatGateway", None, "nat-0b7e4c2a91f3d5e68")
    (chain,) = [c for c in report.chains if _chain_steps(report, c)[0].subject == gateway]
    steps = [f.rule for f in _chain_steps(report, chain)]
    assert steps == ["network.nat-saturation", "network.cross-zone-traffic", "storage.zone-conflict",
                     "storage.immediate-binding"]
    roots = {str(f.subject) for f in report.findings if f.id in chain.root_causes}
    assert roots == {"StorageClass/gp2"}


def test_domino_explain_lays_the_incident_on_a_timeline(reports: dict[str, Report]) -> None:
    explanation = reports["domino"].explain("Pod/shop/checkout-6f9c7d8b5-x2x7k")
    texts = [e.text for e in explanation.timeline]
    order = ["FailedScheduling", "TriggeredScaleUp", "Scheduled", "FailedAttachVolume", "FailedMount"]
    positions = [next(i for i, t in enumerate(texts) if reason in t) for reason in order]
    assert positions == sorted(positions)


@pytest.mark.parametrize(
    ("rule", "subject"),
    [
        ("identity.trust-mismatch", "ServiceAccount/payments/ledger"),
        ("compute.system-pool-user-workloads", "NodePool/system"),
        ("compute.keda-not-enabled", "ScaledObject/payments/api"),
        ("compute.keda-not-enabled", "ScaledObject/payments/ledger"),
        ("storage.zone-conflict", "PersistentVolumeClaim/payments/reports-data"),
        ("storage.immediate-binding", "StorageClass/managed-csi-premium"),
        ("compute.unschedulable", "Pod/payments/reports-6d8f9b7c54-m4k7t"),
    ],
)
def test_aks_story(rule: str, subject: str, reports: dict[str, Report]) -> None:
    assert subject in _subjects(reports["aks"], rule)


def test_aks_nat_saturation_is_the_managed_nat_gateway(reports: dict[str, Report]) -> None:
    (finding,) = _by_rule(reports["aks"], "network.nat-saturation")
    assert finding.subject.name.endswith("/Microsoft.Network/natGateways/aks-nat-gateway")
    assert any(e.source == "azure" for e in finding.evidence)


def test_aks_only_the_mismatched_identity_is_untrusted(reports: dict[str, Report]) -> None:
    assert _subjects(reports["aks"], "identity.trust-mismatch") == {"ServiceAccount/payments/ledger"}
    (finding,) = _by_rule(reports["aks"], "identity.trust-mismatch")
    assert "system:serviceaccount:payment:ledger" in finding.message


@pytest.mark.parametrize(
    ("rule", "subject"),
    [
        ("identity.trust-mismatch", "ServiceAccount/shop/order-export"),
        ("identity.image-pull-auth", "NodePool/default-pool"),
        ("compute.image-pull-backoff", "Pod/shop/recommender-5b7d9c8f46-4xw2n"),
        ("network.service-no-ready-endpoints", "Service/shop/frontend"),
    ],
)
def test_gke_story(rule: str, subject: str, reports: dict[str, Report]) -> None:
    assert subject in _subjects(reports["gke"], rule)


def test_gke_image_pull_backoff_is_caused_by_the_node_pool_identity(reports: dict[str, Report]) -> None:
    report = reports["gke"]
    (auth,) = _by_rule(report, "identity.image-pull-auth")
    pulls = _by_rule(report, "compute.image-pull-backoff")
    assert pulls and all(auth.id in f.caused_by for f in pulls)
    assert "us-central1-docker.pkg.dev" in auth.message
    # the old registry the pool can read is not reported
    assert "us-docker.pkg.dev" not in {r.name for r in auth.related if r.kind == "Registry"}


def test_gke_wait_for_first_consumer_class_is_not_flagged(reports: dict[str, Report]) -> None:
    assert "StorageClass/standard-rwo" not in _subjects(reports["gke"], "storage.immediate-binding")
    assert not _by_rule(reports["gke"], "storage.zone-conflict")
