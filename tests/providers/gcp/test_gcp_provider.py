"""The gcp provider through the real Google client libraries against gcp_world's fake Google
Cloud, behind one TLS endpoint (REST by ALPN http/1.1, gRPC by h2): facts per loop, the rules
they make fire, not-checked on 403, call counts that do not grow with pods.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from factories import cluster as build_cluster
from gcp_world import (
    APPS_REPO,
    CLUSTER,
    COMPUTE_DEFAULT_SA,
    GSA_BILLING,
    GSA_EXPORT,
    GSA_GHOST,
    GSA_ML,
    GSA_ORDERS,
    GSA_REPORTS,
    LEGACY_NAT,
    LOCATION,
    NAT,
    NODE_SA,
    PROJECT,
    REGIONAL_DISK,
    ZONAL_DISK,
    GcpWorld,
)
from gke_objects import BATCH_NODE, NODES, gke_objects

import r2c_clouds as r2c
from r2c_clouds.cli import main
from r2c_clouds.errors import CloudUnreachableError
from r2c_clouds.loops import identity_questions, network_questions, storage_questions
from r2c_clouds.providers import make_provider
from r2c_clouds.providers.gcp import GcpProvider, detect_cluster

DOCS = Path(__file__).resolve().parents[3] / "docs" / "providers" / "gcp.md"


def provider(gcp: GcpWorld, **kw: Any) -> GcpProvider:
    return GcpProvider(project=PROJECT, location=LOCATION, cluster_name=CLUSTER, endpoint=gcp.endpoint, **kw)


@pytest.fixture
def gke() -> Any:
    return build_cluster(gke_objects(), name=f"gke_{PROJECT}_{LOCATION}_{CLUSTER}")


def _by(items: Any, attr: str) -> dict[Any, Any]:
    return {getattr(i, attr): i for i in items}


# --------------------------------------------------------------------------- detection


def test_project_location_and_name_are_detected_from_the_cluster(gke: Any) -> None:
    assert detect_cluster(gke) == (PROJECT, LOCATION, CLUSTER)
    nameless = build_cluster(gke_objects(), name="kind-prod")
    assert detect_cluster(nameless) == (PROJECT, LOCATION, CLUSTER)  # providerID + node names


def test_auto_picks_gcp_from_gce_provider_ids(gcp: GcpWorld, gke: Any) -> None:
    p, why = make_provider("auto", gke, gcp_endpoint=gcp.endpoint)
    assert why is None and isinstance(p, GcpProvider)
    assert (p.project, p.location, p.cluster_name) == (PROJECT, LOCATION, CLUSTER)


# --------------------------------------------------------------------------- identity


def test_workload_identity_bindings(gcp: GcpWorld, gke: Any) -> None:
    ans = provider(gcp).identity(identity_questions(gke))
    assert ans.cluster_identity is not None and ans.cluster_identity.workload_pool == f"{PROJECT}.svc.id.goog"
    assert ans.cluster_identity.workload_identity_enabled is True
    b = _by(ans.bindings, "identity")
    assert b[GSA_ORDERS].trusted and b[GSA_ORDERS].exists
    assert b[GSA_BILLING].trusted  # a GSA in another project: its own policy is read, no false alarm
    assert b[GSA_REPORTS].trusted  # principal://.../subject/ns/shop/sa/reports
    assert b[GSA_ML].trusted  # principalSet://.../namespace/ml
    assert not b[GSA_EXPORT].trusted
    assert b[GSA_EXPORT].problems == (
        f"roles/iam.workloadIdentityUser on {GSA_EXPORT} is not granted to "
        f"serviceAccount:{PROJECT}.svc.id.goog[shop/export] "
        f"(it admits serviceAccount:{PROJECT}.svc.id.goog[default/export])",
    )
    assert not b[GSA_GHOST].exists
    assert gcp.count("iam.serviceAccounts.getIamPolicy") == 6  # one per distinct GSA
    resources = {c.resource for c in gcp.calls("iam.serviceAccounts.getIamPolicy")}
    assert f"projects/-/serviceAccounts/{GSA_BILLING}" in resources
    assert ans.not_checked == ()


def test_registry_pull_rights_of_each_pool(gcp: GcpWorld, gke: Any) -> None:
    ans = provider(gcp).identity(identity_questions(gke))
    access = {(a.node_pool, a.registry): a for a in ans.registry_access}
    default_ar = access[("default-pool", "us-central1-docker.pkg.dev")]
    assert default_ar.principal == NODE_SA and default_ar.can_pull  # roles/artifactregistry.reader on the project
    assert access[("default-pool", "gcr.io")].can_pull  # granted on the gcr.io repository itself
    batch = access[("batch-pool", "us-central1-docker.pkg.dev")]
    assert batch.principal == COMPUTE_DEFAULT_SA and not batch.can_pull
    assert batch.missing == (f"roles/artifactregistry.reader on {APPS_REPO} (or on project {PROJECT})",)


def test_a_custom_role_with_download_artifacts_counts(gcp: GcpWorld, gke: Any) -> None:
    gcp.project_policies[PROJECT]["bindings"].append(
        {"role": f"projects/{PROJECT}/roles/imagePuller", "members": [f"serviceAccount:{COMPUTE_DEFAULT_SA}"]}
    )
    ans = provider(gcp).identity(identity_questions(gke))
    access = {(a.node_pool, a.registry): a for a in ans.registry_access}
    assert access[("batch-pool", "us-central1-docker.pkg.dev")].can_pull
    looked_up = [c.resource for c in gcp.calls("iam.roles.get")]
    # each role once: the custom role and the predefined role the default SA already had
    assert sorted(looked_up) == [f"projects/{PROJECT}/roles/imagePuller", "roles/compute.viewer"]


# --------------------------------------------------------------------------- compute


def test_node_pools(gcp: GcpWorld, gke: Any) -> None:
    from r2c_clouds.loops import compute_questions

    pools = _by(provider(gcp).compute(compute_questions(gke)).node_pools, "name")
    default, batch = pools["default-pool"], pools["batch-pool"]
    assert default.zones == ("us-central1-a", "us-central1-b", "us-central1-c")
    assert (default.min_size, default.max_size, default.autoscaling) == (3, 9, True)  # per zone x 3 zones
    assert default.workload_identity is True and default.node_identity == NODE_SA
    assert default.instance_types == ("e2-standard-4",)
    assert batch.zones == ("us-central1-a",) and (batch.min_size, batch.max_size) == (0, 2)
    assert batch.taints == ("dedicated=batch:NoSchedule",)
    assert batch.workload_identity is False and batch.node_identity == COMPUTE_DEFAULT_SA
    assert gcp.count("container.clusters.get") == 1


# --------------------------------------------------------------------------- network


def test_cloud_nat_on_the_clusters_network_only(gcp: GcpWorld, gke: Any) -> None:
    ans = provider(gcp).network(network_questions(gke, 60))
    gws = _by(ans.egress_gateways, "gateway_id")
    assert set(gws) == {NAT}  # legacy-nat sits on another VPC: not this cluster's egress
    assert LEGACY_NAT not in gws
    gw = gws[NAT]
    assert gw.port_allocation_errors == 1834
    assert dict(gw.drop_reasons) == {"OUT_OF_RESOURCES": 1834, "ENDPOINT_INDEPENDENCE_CONFLICT": 12}
    assert gw.allocation_failed is True
    assert ("minPortsPerVm", "64") in gw.settings and ("enableDynamicPortAllocation", "false") in gw.settings
    assert gcp.count("monitoring.timeSeries.list") == 4  # one per metric type, every gateway at once
    assert gcp.count("compute.routers.list") == 1
    assert ans.settings is not None and ans.settings.network_mtu == 1460


def test_pod_range_room_counts_the_ranges_nodes_hold(gcp: GcpWorld, gke: Any) -> None:
    ans = provider(gcp).network(network_questions(gke, 60))
    (pods,) = [s for s in ans.subnets if s.subnet_id.startswith("pod range")]
    assert (pods.cidr, pods.total_ips, pods.ips_per_node) == ("10.64.0.0/19", 8192, 256)
    assert pods.available_ips == 8192 - 4 * 256  # four nodes hold a /24 each


def test_a_pod_range_known_by_name_is_read_from_the_subnetwork(gcp: GcpWorld, gke: Any) -> None:
    gcp.cluster["ipAllocationPolicy"].pop("clusterIpv4CidrBlock")
    for pool in gcp.cluster["nodePools"]:
        pool.get("networkConfig", {}).pop("podIpv4CidrBlock", None)
    ans = provider(gcp).network(network_questions(gke, 60))
    (pods,) = [s for s in ans.subnets if s.subnet_id.startswith("pod range")]
    assert pods.cidr == "10.64.0.0/19" and pods.provenance.call == "compute.subnetworks.get"
    assert gcp.count("compute.subnetworks.get") == 1


def test_a_full_pod_range_fires_subnet_ip_exhaustion(gcp: GcpWorld) -> None:
    objs = gke_objects()
    for o in objs:
        if o["kind"] == "Node":
            o["spec"].pop("podCIDR")
    for i in range(32):  # every /24 of the /19 taken
        objs.append({"apiVersion": "v1", "kind": "Node",
                     "metadata": {"name": f"gke-prod-default-pool-ffff{i:04x}-n{i}",
                                  "labels": {"cloud.google.com/gke-nodepool": "default-pool",
                                             "topology.kubernetes.io/zone": "us-central1-a"}},
                     "spec": {"providerID": f"gce://{PROJECT}/us-central1-a/n{i}", "podCIDR": f"10.64.{i}.0/24"}})
    c = build_cluster(objs, name=f"gke_{PROJECT}_{LOCATION}_{CLUSTER}")
    report = r2c.scan(c, cloud=provider(gcp), rules=["network.subnet-ip-exhaustion"])
    (f,) = report.findings
    assert f.severity.label == "high"
    assert "Subnet pod range prod-pods" in str(f.subject) or f.subject.name == "pod range prod-pods"
    assert "has 0 of 8192 IPs free: fewer than the 256 one more node needs" in f.message


def test_a_pending_pod_waiting_for_a_node_chains_to_the_full_pod_range(gcp: GcpWorld) -> None:
    objs = [o for o in gke_objects() if o["kind"] != "Pod" or o["metadata"]["name"].startswith("orders-7c9d")]
    for o in objs:
        if o["kind"] == "Node":
            o["spec"].pop("podCIDR")
            o["status"]["allocatable"]["cpu"] = "500m"
    for i in range(32):
        objs.append({"apiVersion": "v1", "kind": "Node",
                     "metadata": {"name": f"gke-prod-default-pool-ffff{i:04x}-n{i}",
                                  "labels": {"cloud.google.com/gke-nodepool": "default-pool",
                                             "topology.kubernetes.io/zone": "us-central1-a"}},
                     "spec": {"providerID": f"gce://{PROJECT}/us-central1-a/n{i}", "podCIDR": f"10.64.{i}.0/24"},
                     "status": {"allocatable": {"cpu": "500m", "memory": "2Gi", "pods": "110"},
                                "conditions": [{"type": "Ready", "status": "True"}]}})
    pending = {"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": "api-big-0", "namespace": "shop", "uid": "u-big"},
               "spec": {"containers": [{"name": "api", "image": "nginx:1.27",
                                        "resources": {"requests": {"cpu": "2", "memory": "1Gi"}}}]},
               "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False",
                                                              "reason": "Unschedulable"}]}}
    event = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "api-big-0.1", "namespace": "shop"},
             "involvedObject": {"kind": "Pod", "namespace": "shop", "name": "api-big-0"},
             "reason": "FailedScheduling", "type": "Warning", "count": 3,
             "message": "0/36 nodes are available: 36 Insufficient cpu.",
             "lastTimestamp": "2026-12-06T09:00:00Z", "source": {"component": "default-scheduler"}}
    c = build_cluster([*objs, pending, event], name=f"gke_{PROJECT}_{LOCATION}_{CLUSTER}")
    report = r2c.scan(c, cloud=provider(gcp), rules=["compute.unschedulable", "network.subnet-ip-exhaustion"])
    symptom = next(f for f in report.findings if f.rule == "compute.unschedulable")
    cause = next(f for f in report.findings if f.rule == "network.subnet-ip-exhaustion")
    assert cause.id in symptom.caused_by
    (chain,) = [ch for ch in report.chains if ch.symptom == symptom.id]
    assert cause.id in chain.root_causes


# --------------------------------------------------------------------------- storage


def test_disks_zonal_and_regional_through_the_aggregated_list(gcp: GcpWorld, gke: Any) -> None:
    ans = provider(gcp).storage(storage_questions(gke))
    disks = {d.volume_handle.rsplit("/", 1)[-1]: d for d in ans.disks}
    assert disks[ZONAL_DISK].zones == ("us-central1-a",) and disks[ZONAL_DISK].sku == "pd-balanced"
    assert disks[REGIONAL_DISK].zones == ("us-central1-a", "us-central1-b")
    assert not disks[REGIONAL_DISK].zone_redundant  # it attaches only in its replica zones
    assert gcp.count("compute.disks.list") == 1  # 25 disks: one page of 500


def test_disk_pages_scale_with_disks_not_pvs(gcp: GcpWorld, gke: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from r2c_clouds.providers.gcp import storage

    monkeypatch.setattr(storage, "PAGE_SIZE", 10)
    ans = provider(gcp).storage(storage_questions(gke))
    assert len(ans.disks) == 2 and all(d.exists for d in ans.disks)
    assert gcp.count("compute.disks.list") == 3  # 25 disks, 10 a page


# --------------------------------------------------------------------------- the rules fire


def test_the_rules_fire_with_google_evidence(gcp: GcpWorld, gke: Any) -> None:
    report = r2c.scan(gke, cloud=provider(gcp))
    found = {(f.rule, str(f.subject)) for f in report.findings}
    assert ("identity.trust-mismatch", "ServiceAccount/shop/export") in found
    assert ("identity.identity-not-found", "ServiceAccount/shop/ghost") in found
    for ok in ("orders", "billing", "reports"):
        assert ("identity.trust-mismatch", f"ServiceAccount/shop/{ok}") not in found
    assert ("identity.trust-mismatch", "ServiceAccount/ml/trainer") not in found
    assert ("identity.workload-identity-not-enabled", "NodePool/batch-pool") in found
    assert ("identity.image-pull-auth", "NodePool/batch-pool") in found
    assert ("identity.image-pull-auth", "NodePool/default-pool") not in found
    assert ("network.nat-saturation", f"NatGateway/{NAT}") in found
    assert ("storage.zone-conflict", "PersistentVolumeClaim/shop/pv-zonal-data") in found
    assert ("storage.zone-conflict", "PersistentVolumeClaim/shop/pv-regional-data") in found
    nat = next(f for f in report.findings if f.rule == "network.nat-saturation")
    details = " | ".join(e.detail for e in nat.evidence)
    assert "1834 packets dropped for OUT_OF_RESOURCES" in details
    assert "12 packets dropped for ENDPOINT_INDEPENDENCE_CONFLICT" in details and "not port exhaustion" in details
    assert all(e.source == "gcp" for e in nat.evidence)
    assert report.not_checked == () or all("gcp" not in nc.reason for nc in report.not_checked)


def test_calls_do_not_grow_with_pods(gcp: GcpWorld) -> None:
    objs = gke_objects()
    base = [o for o in objs if o["kind"] == "Pod"]
    for i in range(300):  # 300 more pods of the same ServiceAccounts, images and pools
        extra = json.loads(json.dumps(base[i % len(base)]))
        extra["metadata"]["name"] += f"-{i}"
        objs.append(extra)
    few = provider(gcp)
    r2c.scan(build_cluster(gke_objects()), cloud=few)
    many = provider(gcp)
    r2c.scan(build_cluster(objs), cloud=many)
    assert many.api_calls() == few.api_calls()
    assert many.api_calls()["iam.serviceAccounts.getIamPolicy"] == 6


# --------------------------------------------------------------------------- 403 on each API, in turn

_OPS = {
    "container.clusters.get": ("cluster_identity", "node_pools", "network"),
    "iam.serviceAccounts.getIamPolicy": ("identity_bindings",),
    "artifactregistry.repositories.getIamPolicy": ("registry_access",),
    "resourcemanager.projects.getIamPolicy": ("registry_access",),
    "compute.routers.list": ("egress_gateways",),
    "monitoring.timeSeries.list": ("egress_gateways",),
    "compute.networks.get": ("network",),
    "compute.disks.list": ("disks",),
}


@pytest.mark.parametrize("op", sorted(_OPS))
def test_a_forbidden_api_is_not_checked_and_the_scan_goes_on(gcp: GcpWorld, gke: Any, op: str) -> None:
    gcp.fail(op, 403)
    report = r2c.scan(gke, cloud=provider(gcp))
    reasons = {(nc.what, nc.reason) for nc in report.not_checked}
    for what in _OPS[op]:
        assert (what, f"forbidden: {op}") in reasons, reasons
    assert report.facts is not None
    if op != "container.clusters.get":
        assert report.facts.node_pools  # the rest still arrived


def test_throttling_that_outlasts_retries_is_not_checked(gcp: GcpWorld, gke: Any) -> None:
    gcp.fail("compute.disks.list", 429)
    ans = provider(gcp, timeout=3).storage(storage_questions(gke))
    assert [(n.what, n.reason.split(" (")[0]) for n in ans.not_checked] == [("disks", "throttled: compute.disks.list")]


def test_no_credentials_is_unreachable_with_a_hint(gcp: GcpWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOOGLE_OAUTH_ACCESS_TOKEN")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/adc.json")
    with pytest.raises(CloudUnreachableError) as info:
        provider(gcp)
    assert "gcp: no credentials found" in str(info.value)
    assert "GOOGLE_OAUTH_ACCESS_TOKEN" in (info.value.remediation or "")


# --------------------------------------------------------------------------- the CLI, end to end


def test_r2c_scan_cloud_gcp_end_to_end(gcp: GcpWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = tmp_path / "prod.yaml"
    snap.write_text(yaml.safe_dump_all(gke_objects()))
    code = main(["scan", "--snapshot", str(snap), "--cloud", "gcp", "--gcp-endpoint", gcp.endpoint,
                 "--project", PROJECT, "--location", LOCATION, "--cluster-name", CLUSTER, "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 1, err
    report = json.loads(out)
    rules = {f["rule"] for f in report["findings"]}
    assert {"identity.trust-mismatch", "identity.identity-not-found", "identity.image-pull-auth",
            "network.nat-saturation", "storage.zone-conflict", "identity.workload-identity-not-enabled"} <= rules
    assert report["cluster"]["provider"] == "gcp"
    assert report["stats"]["api_calls"]["monitoring.timeSeries.list"] == 4
    assert {c.transport for c in gcp.calls()} == {"rest", "grpc"}
    assert BATCH_NODE in NODES


# --------------------------------------------------------------------------- least privilege


def test_the_custom_role_in_the_docs_is_exactly_what_a_scan_calls(gcp: GcpWorld, gke: Any) -> None:
    text = DOCS.read_text()
    block = text.split("```yaml", 1)[1].split("```", 1)[0]
    role = yaml.safe_load(block)
    documented = set(role["includedPermissions"])
    gcp.project_policies[PROJECT]["bindings"].append(
        {"role": f"projects/{PROJECT}/roles/imagePuller", "members": [f"serviceAccount:{COMPUTE_DEFAULT_SA}"]}
    )
    gcp.cluster["ipAllocationPolicy"].pop("clusterIpv4CidrBlock")  # the range known by name only
    for pool in gcp.cluster["nodePools"]:
        pool.get("networkConfig", {}).pop("podIpv4CidrBlock", None)
    r2c.scan(gke, cloud=provider(gcp))
    called = {c.op for c in gcp.calls()}
    assert called == documented, (sorted(called - documented), sorted(documented - called))
