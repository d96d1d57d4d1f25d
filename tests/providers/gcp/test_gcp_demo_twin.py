"""The ``gke`` demo's LIVE twin: the Google Cloud its recorded facts describe, served by
gcp_world to the real Google client libraries, scanned by the real ``GcpProvider``.

The demo ships ``cluster.json`` (Kubernetes objects) and ``cloud-facts.json`` (recorded GCP
facts). Here the demo's Kubernetes objects are scanned twice: with ``cloud="recorded"`` (the
demo as shipped) and with a live ``GcpProvider`` against :func:`twin_world`; both must give the
same findings (rule, subject) and the same chains.

The world is written out from THIS module's constants (learned by reading the demo's story in
``r2c_clouds/demo/_build/gke.py`` and its ``cloud-facts.json``, never by importing or reading
them): project ``shop-gke-prod`` (number :data:`PROJECT_NUMBER`), the regional cluster
``gke-prod`` in ``us-central1`` with Workload Identity, one node pool ``default-pool`` over
three zones (autoscaling 1..3 nodes in total, node service account ``gke-prod-nodes``, GKE
metadata server), the Google service account ``order-export`` whose
``roles/iam.workloadIdentityUser`` admits ``[default/order-export]`` only, the Artifact
Registry repositories ``us/shop`` (node SA may read) and ``us-central1/shop`` (it may not), the
project's IAM policy, the zonal disk behind ``shop/data-cart-redis-0`` (attached in
us-central1-b) with the nodes' boot disks, VPC ``gke-prod-vpc`` (MTU 1460) and its subnetwork
``gke-prod-nodes`` (10.128.0.0/20, pod range 10.52.0.0/14), Cloud Router ``gke-prod-router``
with Cloud NAT ``gke-prod-nat`` (no drops, no allocation failure, 3120 open connections).

Where the live facts differ from the recorded ones without changing a finding, the difference
is pinned down in :func:`test_what_only_the_recording_says` (facts the plugin does not, or no
Google API can, produce that way).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from gcp_world import GcpServers, GcpWorld, Series, policy

import r2c_clouds as r2c
from r2c_clouds.providers.gcp import GcpProvider, detect_cluster
from r2c_clouds.providers.recorded import load_facts

# --------------------------------------------------------------------------- the twin's constants

PROJECT = "shop-gke-prod"
PROJECT_NUMBER = "318274950261"
ORG = "organizations/904417723305"
LOCATION = "us-central1"
REGION = LOCATION
ZONES = ("us-central1-a", "us-central1-b", "us-central1-c")
CLUSTER = "gke-prod"
CLUSTER_PATH = f"projects/{PROJECT}/locations/{LOCATION}/clusters/{CLUSTER}"
CLUSTER_ID = "3f6b2d1e9c7a5e3b8a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6a7b"
GKE_VERSION = "1.31.3-gke.1006000"
POOL = "default-pool"
#: node name -> zone; the 8-hex middle is the pool's instance group in that zone
NODES = {
    "gke-gke-prod-default-pool-8f2a1c3e-x7k2": "us-central1-a",
    "gke-gke-prod-default-pool-3b9d5e7f-q4m8": "us-central1-b",
    "gke-gke-prod-default-pool-c6e0a2b4-z9t1": "us-central1-c",
}
MAX_PODS = 110

COMPUTE = "https://www.googleapis.com/compute/v1"
PROJECT_URL = f"{COMPUTE}/projects/{PROJECT}"
REGION_URL = f"{PROJECT_URL}/regions/{REGION}"
NETWORK = "gke-prod-vpc"
NETWORK_URL = f"{PROJECT_URL}/global/networks/{NETWORK}"
MTU = 1460
SUBNETWORK = "gke-prod-nodes"
SUBNETWORK_URL = f"{REGION_URL}/subnetworks/{SUBNETWORK}"
NODE_RANGE = "10.128.0.0/20"
POD_RANGE = "gke-gke-prod-pods-3f6b2d1e"
POD_CIDR = "10.52.0.0/14"  # nodes hold 10.52.0.0/24, 10.52.1.0/24, 10.52.2.0/24
SERVICES_RANGE = "gke-gke-prod-services-3f6b2d1e"
SERVICES_CIDR = "34.118.224.0/20"
WORKLOAD_POOL = f"{PROJECT}.svc.id.goog"

NODE_SA = f"gke-prod-nodes@{PROJECT}.iam.gserviceaccount.com"
GSA = f"order-export@{PROJECT}.iam.gserviceaccount.com"  # KSA shop/order-export is annotated with it
CI_SA = f"ci-builder@{PROJECT}.iam.gserviceaccount.com"  # pushes images
WI_USER = "roles/iam.workloadIdentityUser"
AR_READER = "roles/artifactregistry.reader"
AR_WRITER = "roles/artifactregistry.writer"
NODE_ROLE = "roles/container.defaultNodeServiceAccount"
REPO_NEW = f"projects/{PROJECT}/locations/us-central1/repositories/shop"  # us-central1-docker.pkg.dev
REPO_OLD = f"projects/{PROJECT}/locations/us/repositories/shop"  # us-docker.pkg.dev

REDIS_DISK = "pvc-2d65962c-91e4-5308-9396-c324768269f4"  # PV of shop/data-cart-redis-0
REDIS_ZONE = "us-central1-b"
REDIS_NODE = "gke-gke-prod-default-pool-3b9d5e7f-q4m8"

ROUTER = "gke-prod-router"
ROUTER_ID = "6021023476138329051"
NAT = "gke-prod-nat"
NAT_IP = "34.41.118.72"
OPEN_CONNECTIONS = 3120

NAT_ALLOCATION_FAILED = "router.googleapis.com/nat/nat_allocation_failed"
NAT_ALLOCATED_PORTS = "router.googleapis.com/nat/allocated_ports"
NAT_PORT_USAGE = "router.googleapis.com/nat/port_usage"
NAT_OPEN_CONNECTIONS = "router.googleapis.com/nat/open_connections"
POINT_AGES = (3000, 2400, 1800, 1200, 600, 60)


# --------------------------------------------------------------------------- the twin's data


def _uid(seed: str) -> str:
    """A stable uint64 id, as Compute Engine spells it."""
    return str(int.from_bytes(seed.encode().ljust(8, b"x")[:8], "big") % 10**19)


def twin_node_pool() -> dict[str, Any]:
    """``default-pool``: three zones, autoscaling 1..3 nodes in total, GKE metadata server on."""
    config = {
        "machineType": "e2-standard-4",
        "diskSizeGb": 100,
        "diskType": "pd-balanced",
        "imageType": "COS_CONTAINERD",
        "oauthScopes": ["https://www.googleapis.com/auth/cloud-platform"],
        "serviceAccount": NODE_SA,
        "metadata": {"disable-legacy-endpoints": "true"},
        "workloadMetadataConfig": {"mode": "GKE_METADATA"},
        "shieldedInstanceConfig": {"enableIntegrityMonitoring": True},
    }
    groups = [name.rsplit("-", 2)[1] for name in NODES]
    return {
        "name": POOL,
        "config": config,
        "initialNodeCount": 1,  # per zone
        "locations": list(ZONES),
        "autoscaling": {"enabled": True, "totalMinNodeCount": 1, "totalMaxNodeCount": 3, "locationPolicy": "ANY"},
        "management": {"autoUpgrade": True, "autoRepair": True},
        "maxPodsConstraint": {"maxPodsPerNode": str(MAX_PODS)},
        "networkConfig": {"podRange": POD_RANGE, "podIpv4CidrBlock": POD_CIDR,
                          "podIpv4RangeUtilization": 3 * 256 / 2**18},
        "podIpv4CidrSize": 24,
        "status": "RUNNING",
        "version": GKE_VERSION,
        "instanceGroupUrls": [f"{PROJECT_URL}/zones/{z}/instanceGroupManagers/gke-{CLUSTER}-{POOL}-{g}-grp"
                              for z, g in zip(ZONES, groups, strict=True)],
        "selfLink": f"https://container.googleapis.com/v1/{CLUSTER_PATH}/nodePools/{POOL}",
        "etag": "d1e5c0a8-pool",
    }


def twin_cluster() -> dict[str, Any]:
    """``container.v1.Cluster`` of ``gke-prod``: regional, VPC-native, private nodes, Workload Identity."""
    pool = twin_node_pool()
    return {
        "name": CLUSTER,
        "nodeConfig": pool["config"],
        "nodePools": [pool],
        "locations": list(ZONES),
        "location": LOCATION,
        "zone": LOCATION,
        "network": NETWORK,
        "subnetwork": SUBNETWORK,
        "clusterIpv4Cidr": POD_CIDR,
        "servicesIpv4Cidr": SERVICES_CIDR,
        "networkConfig": {
            "network": f"projects/{PROJECT}/global/networks/{NETWORK}",
            "subnetwork": f"projects/{PROJECT}/regions/{REGION}/subnetworks/{SUBNETWORK}",
            "datapathProvider": "LEGACY_DATAPATH",  # kube-proxy runs on the nodes
        },
        "ipAllocationPolicy": {
            "useIpAliases": True,
            "clusterSecondaryRangeName": POD_RANGE,
            "servicesSecondaryRangeName": SERVICES_RANGE,
            "clusterIpv4Cidr": POD_CIDR,
            "servicesIpv4Cidr": SERVICES_CIDR,
            "clusterIpv4CidrBlock": POD_CIDR,
            "servicesIpv4CidrBlock": SERVICES_CIDR,
            "stackType": "IPV4",
            "defaultPodIpv4RangeUtilization": 3 * 256 / 2**18,
        },
        "defaultMaxPodsConstraint": {"maxPodsPerNode": str(MAX_PODS)},
        "workloadIdentityConfig": {"workloadPool": WORKLOAD_POOL},
        "privateClusterConfig": {"enablePrivateNodes": True, "masterIpv4CidrBlock": "172.16.0.0/28",
                                 "privateEndpoint": "172.16.0.2", "publicEndpoint": "34.132.18.201"},
        "addonsConfig": {"gcePersistentDiskCsiDriverConfig": {"enabled": True}},
        "releaseChannel": {"channel": "REGULAR"},
        "endpoint": "34.132.18.201",
        "initialClusterVersion": "1.30.2-gke.1587003",
        "currentMasterVersion": GKE_VERSION,
        "currentNodeVersion": GKE_VERSION,
        "createTime": "2026-07-21T12:30:05+00:00",
        "status": "RUNNING",
        "selfLink": f"https://container.googleapis.com/v1/{CLUSTER_PATH}",
        "id": CLUSTER_ID,
        "currentNodeCount": len(NODES),
        "loggingService": "logging.googleapis.com/kubernetes",
        "monitoringService": "monitoring.googleapis.com/kubernetes",
        "etag": "3f6b2d1e-cluster",
    }


def twin_projects() -> dict[str, dict[str, Any]]:
    return {PROJECT: {"name": f"projects/{PROJECT_NUMBER}", "parent": ORG, "projectId": PROJECT, "state": "ACTIVE",
                      "displayName": "shop (GKE prod)", "createTime": "2026-07-20T16:02:11.000Z",
                      "updateTime": "2026-07-21T12:00:00.000Z", "etag": 'W/"Bwshopgke"',
                      "labels": {"env": "prod"}}}


def twin_project_policies() -> dict[str, dict[str, Any]]:
    """The project's IAM policy: the node SA holds GKE's node role, nothing that pulls images."""
    return {PROJECT: policy(
        ("roles/owner", ["user:ops-lead@shop.example"]),
        ("roles/editor", [f"serviceAccount:{PROJECT_NUMBER}@cloudservices.gserviceaccount.com"]),
        ("roles/container.serviceAgent",
         [f"serviceAccount:service-{PROJECT_NUMBER}@container-engine-robot.iam.gserviceaccount.com"]),
        ("roles/artifactregistry.serviceAgent",
         [f"serviceAccount:service-{PROJECT_NUMBER}@gcp-sa-artifactregistry.iam.gserviceaccount.com"]),
        (NODE_ROLE, [f"serviceAccount:{NODE_SA}"]),
        seed="shopgke",
    )}


def twin_service_accounts() -> dict[str, dict[str, Any]]:
    """GSA IAM policies: order-export trusts the KSA default/order-export (where the job used to run)."""
    return {
        GSA: policy((WI_USER, [f"serviceAccount:{WORKLOAD_POOL}[default/order-export]"]), seed="orderexp"),
        NODE_SA: policy(),
        CI_SA: policy(),
    }


def twin_repositories() -> dict[str, dict[str, Any]]:
    """Artifact Registry: the node SA reads the old ``us`` repository only; CI pushes to both."""
    return {
        REPO_OLD: policy((AR_READER, [f"serviceAccount:{NODE_SA}"]), (AR_WRITER, [f"serviceAccount:{CI_SA}"]),
                         seed="repo-us"),
        REPO_NEW: policy((AR_WRITER, [f"serviceAccount:{CI_SA}"]), seed="repo-uc1"),
    }


def twin_roles() -> dict[str, dict[str, Any]]:
    """``google.iam.admin.v1.Role`` of GKE's node role (the one role the node SA holds)."""
    return {NODE_ROLE: {
        "name": NODE_ROLE, "title": "Kubernetes Engine Default Node Service Account",
        "description": "Least privilege role to use as the default service account for GKE Nodes.",
        "includedPermissions": ["autoscaling.sites.writeMetrics", "logging.logEntries.create",
                                "logging.logEntries.route", "monitoring.metricDescriptors.create",
                                "monitoring.metricDescriptors.list", "monitoring.timeSeries.create",
                                "monitoring.timeSeries.list", "resourcemanager.projects.get"],
        "stage": "GA", "etag": "AA==",
    }}


def _disk(name: str, zone: str, *, size_gb: int, users: tuple[str, ...], labels: dict[str, str],
          description: str | None = None, source_image: str | None = None) -> dict[str, Any]:
    zone_url = f"{PROJECT_URL}/zones/{zone}"
    body: dict[str, Any] = {
        "kind": "compute#disk", "id": _uid(name), "creationTimestamp": "2026-07-22T01:03:44.512-07:00",
        "name": name, "sizeGb": str(size_gb), "zone": zone_url, "status": "READY",
        "selfLink": f"{zone_url}/disks/{name}", "type": f"{zone_url}/diskTypes/pd-balanced",
        "labelFingerprint": "nT7_dAxskBs=", "labels": labels, "physicalBlockSizeBytes": "4096",
        "users": list(users), "lastAttachTimestamp": "2026-11-19T03:14:27.000-08:00",
    }
    if description is not None:
        body["description"] = description
    if source_image is not None:
        body["sourceImage"] = source_image
    return body


def twin_disks() -> list[dict[str, Any]]:
    """The cart-redis PD (zonal, us-central1-b, attached to its node) and the nodes' boot disks."""
    instance = f"{PROJECT_URL}/zones/{{zone}}/instances/{{node}}"
    redis = _disk(
        REDIS_DISK, REDIS_ZONE, size_gb=10, users=(instance.format(zone=REDIS_ZONE, node=REDIS_NODE),),
        labels={"goog-gke-volume": "", "goog-k8s-cluster-name": CLUSTER, "goog-k8s-cluster-location": LOCATION},
        description=('{"kubernetes.io/created-for/pv/name":"' + REDIS_DISK + '",'
                     '"kubernetes.io/created-for/pvc/name":"data-cart-redis-0",'
                     '"kubernetes.io/created-for/pvc/namespace":"shop","storage.gke.io/created-by":"pd.csi.storage.gke.io"}'),
    )
    boot = [
        _disk(node, zone, size_gb=100, users=(instance.format(zone=zone, node=node),),
              labels={"goog-gke-node": "", "goog-k8s-cluster-name": CLUSTER, "goog-k8s-cluster-location": LOCATION,
                      "goog-k8s-node-pool-name": POOL},
              source_image=f"{COMPUTE}/projects/gke-node-images/global/images/gke-1313-gke1006000-cos-113-18244-236-26-c-pre")
        for node, zone in NODES.items()
    ]
    return [redis, *boot]


TWIN_SCOPES = ("regions/us-central1", "zones/us-central1-a", "zones/us-central1-b", "zones/us-central1-c",
               "zones/us-central1-f")


def twin_routers() -> dict[str, list[dict[str, Any]]]:
    """``gke-prod-router`` on the cluster's VPC, its NAT serving the nodes' subnetwork."""
    nat = {
        "name": NAT,
        "type": "PUBLIC",
        "endpointTypes": ["ENDPOINT_TYPE_VM"],
        "sourceSubnetworkIpRangesToNat": "LIST_OF_SUBNETWORKS",
        "subnetworks": [{"name": SUBNETWORK_URL, "sourceIpRangesToNat": ["ALL_IP_RANGES"]}],
        "natIpAllocateOption": "AUTO_ONLY",
        "autoNetworkTier": "PREMIUM",
        "minPortsPerVm": 64,
        "enableDynamicPortAllocation": False,
        "enableEndpointIndependentMapping": False,
        "udpIdleTimeoutSec": 30,
        "icmpIdleTimeoutSec": 30,
        "tcpEstablishedIdleTimeoutSec": 1200,
        "tcpTransitoryIdleTimeoutSec": 30,
        "tcpTimeWaitTimeoutSec": 120,
        "logConfig": {"enable": True, "filter": "ERRORS_ONLY"},
    }
    return {REGION: [{
        "kind": "compute#router", "id": ROUTER_ID, "creationTimestamp": "2026-07-20T16:40:02.118-07:00",
        "name": ROUTER, "region": REGION_URL, "network": NETWORK_URL,
        "bgp": {"asn": 64514, "advertiseMode": "DEFAULT", "keepaliveInterval": 20},
        "nats": [nat], "selfLink": f"{REGION_URL}/routers/{ROUTER}",
    }]}


def twin_subnetworks() -> dict[tuple[str, str], dict[str, Any]]:
    return {(REGION, SUBNETWORK): {
        "kind": "compute#subnetwork", "id": _uid(SUBNETWORK), "creationTimestamp": "2026-07-20T16:35:00.000-07:00",
        "name": SUBNETWORK, "network": NETWORK_URL, "ipCidrRange": NODE_RANGE, "gatewayAddress": "10.128.0.1",
        "region": REGION_URL, "selfLink": SUBNETWORK_URL, "privateIpGoogleAccess": True,
        "secondaryIpRanges": [{"rangeName": POD_RANGE, "ipCidrRange": POD_CIDR},
                              {"rangeName": SERVICES_RANGE, "ipCidrRange": SERVICES_CIDR}],
        "fingerprint": "q1w2e3r4t5Y=", "enableFlowLogs": False, "privateIpv6GoogleAccess": "DISABLE_GOOGLE_ACCESS",
        "purpose": "PRIVATE", "stackType": "IPV4_ONLY",
    }}


def twin_networks() -> dict[str, dict[str, Any]]:
    return {NETWORK: {
        "kind": "compute#network", "id": _uid(NETWORK), "creationTimestamp": "2026-07-20T16:30:00.000-07:00",
        "name": NETWORK, "selfLink": NETWORK_URL, "selfLinkWithId": f"{PROJECT_URL}/global/networks/{_uid(NETWORK)}",
        "autoCreateSubnetworks": False, "subnetworks": [SUBNETWORK_URL], "routingConfig": {"routingMode": "REGIONAL"},
        "mtu": MTU, "networkFirewallPolicyEnforcementOrder": "AFTER_CLASSIC_FIREWALL",
    }}


def twin_series() -> list[Series]:
    """Cloud NAT over the last hour: no dropped packets (no ``dropped_sent_packets_count``
    series at all), no allocation failure, 3120 open connections at peak."""
    nat = {"gateway": NAT, "router_id": ROUTER_ID, "project_id": PROJECT, "region": REGION}

    def pts(*values: Any) -> list[tuple[int, Any]]:
        return list(zip(POINT_AGES, values, strict=True))

    return [
        Series(NAT_ALLOCATION_FAILED, **nat, value_type="BOOL", points=pts(*(False,) * 6)),
        Series(NAT_ALLOCATED_PORTS, **nat, metric_labels={"nat_ip": NAT_IP}, unit="{port}",
               points=pts(*(192,) * 6)),
        Series(NAT_PORT_USAGE, **nat, metric_labels={"ip_protocol": "6"}, unit="{port}",
               points=pts(21, 25, 30, 28, 24, 19)),
        Series(NAT_OPEN_CONNECTIONS, **nat, metric_labels={"ip_protocol": "6"}, unit="{connection}",
               points=pts(2410, 2688, 3120, 2975, 2730, 2502)),
    ]


def twin_world() -> GcpWorld:
    """The Google Cloud the gke demo's recorded facts describe."""
    return GcpWorld(
        project_id=PROJECT,
        cluster=twin_cluster(),
        projects=twin_projects(),
        project_policies=twin_project_policies(),
        service_accounts=twin_service_accounts(),
        repositories=twin_repositories(),
        roles=twin_roles(),
        disks=twin_disks(),
        scopes=list(TWIN_SCOPES),
        routers=twin_routers(),
        subnetworks=twin_subnetworks(),
        networks=twin_networks(),
        series=twin_series(),
    )


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def twin(gcp: GcpWorld, gcp_servers: GcpServers) -> Iterator[GcpWorld]:
    """The twin world, served instead of the default one (the ``gcp`` fixture sets the
    environment: CA, token, no ADC); it fails the test if the world recorded errors."""
    world = twin_world()
    with gcp_servers.serving(world):
        yield world
    assert not world.errors, f"the twin world recorded errors: {world.errors}"


@pytest.fixture(scope="module")
def demo() -> Any:
    return r2c.demo("gke")


@pytest.fixture(scope="module")
def recorded(demo: Any) -> Any:
    return r2c.scan(demo, cloud="recorded")


def live_provider(world: GcpWorld) -> GcpProvider:
    return GcpProvider(project=PROJECT, location=LOCATION, cluster_name=CLUSTER, endpoint=world.endpoint)


def findings(report: Any) -> set[tuple[str, str]]:
    return {(f.rule, str(f.subject)) for f in report.findings}


def chains(report: Any) -> set[tuple[tuple[str, str], frozenset[tuple[str, str]]]]:
    """Each chain as (symptom rule+subject, root causes' rules+subjects)."""
    by_id = {f.id: (f.rule, str(f.subject)) for f in report.findings}
    return {(by_id[ch.symptom], frozenset(by_id[c] for c in ch.root_causes)) for ch in report.chains}


# --------------------------------------------------------------------------- tests


def test_the_demo_names_the_twins_cluster(demo: Any) -> None:
    assert detect_cluster(demo) == (PROJECT, LOCATION, CLUSTER)


def test_live_scan_of_the_twin_gives_the_recorded_findings(twin: GcpWorld, demo: Any, recorded: Any) -> None:
    live = r2c.scan(demo, cloud=live_provider(twin))
    assert live.not_checked == recorded.not_checked == ()
    assert live.facts is not None and live.facts.provider == "gcp" and live.facts.not_checked == ()
    rec, got = findings(recorded), findings(live)
    assert got == rec, f"only live: {sorted(got - rec)}; only recorded: {sorted(rec - got)}"
    # the cloud half of the story, spelled out
    assert {
        ("identity.trust-mismatch", "ServiceAccount/shop/order-export"),
        ("identity.image-pull-auth", "NodePool/default-pool"),
    } <= got
    assert not {r for r, _ in got} & {"network.nat-saturation", "network.subnet-ip-exhaustion",
                                      "storage.zone-conflict", "identity.workload-identity-not-enabled",
                                      "identity.identity-not-found", "compute.node-pool-zone-gap"}
    assert {(f.rule, str(f.subject)): f.severity for f in live.findings} == {
        (f.rule, str(f.subject)): f.severity for f in recorded.findings}
    assert chains(live) == chains(recorded)
    assert (("network.service-no-ready-endpoints", "Service/shop/recommender"),
            frozenset({("identity.image-pull-auth", "NodePool/default-pool")})) in chains(live)
    assert [(c.item, c.status, c.checks) for c in live.checklist] == [
        (c.item, c.status, c.checks) for c in recorded.checklist]


def test_live_facts_agree_with_the_recording(twin: GcpWorld, demo: Any, recorded: Any) -> None:
    """Fact by fact, what a live scan of the twin and the recording both say."""
    live = r2c.scan(demo, cloud=live_provider(twin)).facts
    rec = recorded.facts
    assert live is not None and rec is not None
    assert (live.cluster_name, live.region) == (rec.cluster_name, rec.region) == (CLUSTER, REGION)
    ci, rci = live.cluster_identity, rec.cluster_identity
    assert ci is not None and rci is not None
    assert (ci.oidc_issuer, ci.workload_identity_enabled, ci.workload_pool) == (
        rci.oidc_issuer, rci.workload_identity_enabled, rci.workload_pool)

    def binding(b: Any) -> tuple[Any, ...]:
        return b.namespace, b.service_account, b.identity, b.mechanism, b.exists, b.trusted, b.problems, b.trust_subjects

    assert [binding(b) for b in live.identity_bindings] == [binding(b) for b in rec.identity_bindings]

    def access(a: Any) -> tuple[Any, ...]:
        return a.node_pool, a.registry, a.principal, a.can_pull, a.provenance.resource_id

    assert sorted(access(a) for a in live.registry_access) == sorted(access(a) for a in rec.registry_access)

    def pool(p: Any) -> tuple[Any, ...]:
        return p.name, p.zones, p.min_size, p.max_size, p.desired_size, p.autoscaling, p.instance_types, \
            p.taints, p.node_identity

    assert [pool(p) for p in live.node_pools] == [pool(p) for p in rec.node_pools]

    def disk(d: Any) -> tuple[Any, ...]:
        return d.volume_handle, d.exists, d.zones, d.sku, d.state, d.zone_redundant

    assert [disk(d) for d in live.disks] == [disk(d) for d in rec.disks]
    assert [d.attached_to for d in live.disks] == [(REDIS_NODE,)]  # see test_what_only_the_recording_says

    def gateway(g: Any) -> tuple[Any, ...]:
        return (g.gateway_id, g.window_minutes, g.zone, g.port_allocation_errors, g.dropped_packets, g.drop_reasons,
                g.subnets, g.provenance.call, g.provenance.resource_id)

    assert [gateway(g) for g in live.egress_gateways] == [gateway(g) for g in rec.egress_gateways]
    assert live.network is not None and rec.network is not None
    assert live.network.network_mtu == rec.network.network_mtu == MTU
    assert live.private_endpoints == rec.private_endpoints == ()


def test_what_only_the_recording_says(twin: GcpWorld, demo: Any, recorded: Any) -> None:
    """Where the recorded facts say what the plugin, against a Google Cloud that matches the
    demo's story, does not say that way. None of these changes a finding (see the test above);
    each is pinned here so that a change on either side is noticed."""
    provider = live_provider(twin)
    live = r2c.scan(demo, cloud=provider).facts
    rec = recorded.facts
    assert live is not None and rec is not None

    # 1. Subnets: the recording has the NODES' subnetwork with available_ips=4087 of 4092 from
    #    compute.subnetworks.get. A Subnetwork resource carries no free-address count, and the
    #    plugin reports pod ranges only (network.py _pod_ranges), from clusters.get here.
    (rsn,) = rec.subnets
    assert (rsn.subnet_id, rsn.cidr, rsn.available_ips, rsn.provenance.call) == (
        f"projects/{PROJECT}/regions/{REGION}/subnetworks/{SUBNETWORK}", NODE_RANGE, 4087, "compute.subnetworks.get")
    (lsn,) = live.subnets
    assert (lsn.subnet_id, lsn.cidr, lsn.total_ips, lsn.available_ips, lsn.ips_per_node, lsn.provenance.call) == (
        f"pod range {POD_RANGE}", POD_CIDR, 2**18, 2**18 - 3 * 256, 256, "container.clusters.get")

    # 2. NAT: the recording has active_connections=3120 and allocation_failed=None; the plugin
    #    never reads nat/open_connections (active_connections stays None) and, having read
    #    nat/nat_allocation_failed, says False; it also reports the NAT's port settings.
    (rgw,) = rec.egress_gateways
    (lgw,) = live.egress_gateways
    assert (rgw.active_connections, rgw.allocation_failed, rgw.settings) == (float(OPEN_CONNECTIONS), None, ())
    assert (lgw.active_connections, lgw.allocation_failed) == (None, False)
    assert ("minPortsPerVm", "64") in lgw.settings
    assert not any(c.params.get("filter", "").count(NAT_OPEN_CONNECTIONS) for c in twin.calls("monitoring.timeSeries.list"))

    # 3. Disks: the recording cites compute.disks.get and a full instance path in attached_to;
    #    the plugin reads one aggregated list (compute.disks.list) and keeps the instance NAME.
    (rdisk,) = rec.disks
    (ldisk,) = live.disks
    assert rdisk.provenance.call == "compute.disks.get" and ldisk.provenance.call == "compute.disks.list"
    assert rdisk.attached_to == (f"projects/{PROJECT}/zones/{REDIS_ZONE}/instances/{REDIS_NODE}",)
    assert ldisk.attached_to == (REDIS_NODE,)

    # 4. Registry: the recording's `missing` is the bare role; the plugin names where it is missing.
    rmiss = {a.registry: a.missing for a in rec.registry_access}
    lmiss = {a.registry: a.missing for a in live.registry_access}
    assert rmiss["us-central1-docker.pkg.dev"] == (AR_READER,)
    assert lmiss["us-central1-docker.pkg.dev"] == (f"{AR_READER} on {REPO_NEW} (or on project {PROJECT})",)

    # 5. Node pool: the recording leaves workload_identity unknown; the GKE_METADATA pool says True.
    assert [p.workload_identity for p in rec.node_pools] == [None]
    assert [p.workload_identity for p in live.node_pools] == [True]

    # 6. Identity: the plugin asks IAM for projects/-/serviceAccounts/EMAIL (any project).
    assert [b.provenance.resource_id for b in rec.identity_bindings] == [f"projects/{PROJECT}/serviceAccounts/{GSA}"]
    assert [b.provenance.resource_id for b in live.identity_bindings] == [f"projects/-/serviceAccounts/{GSA}"]

    # 7. The calls: the recording's api_calls name compute.disks.get and compute.subnetworks.get
    #    (the plugin calls neither here; disks.get never: it is not in the documented custom
    #    role) and omit resourcemanager.projects.getIamPolicy, iam.roles.get and
    #    compute.networks.get (which a live scan makes). Read for comparison only.
    assert rec.api_calls == {}  # the recorded provider does not replay api_calls into the report
    file_calls = load_facts(demo.cloud_facts_path).api_calls
    assert {"compute.disks.get", "compute.subnetworks.get"} <= set(file_calls)
    assert not {"resourcemanager.projects.getIamPolicy", "compute.networks.get", "compute.disks.list"} & set(file_calls)
    assert provider.api_calls() == {
        "artifactregistry.repositories.getIamPolicy": 2,
        "compute.disks.list": 1,
        "compute.networks.get": 1,
        "compute.routers.list": 1,
        "container.clusters.get": 1,
        "iam.roles.get": 1,
        "iam.serviceAccounts.getIamPolicy": 1,
        "monitoring.timeSeries.list": 4,
        "resourcemanager.projects.getIamPolicy": 1,
    }
    assert twin.count("compute.subnetworks.get") == 0  # the pod range's CIDR comes with the cluster
