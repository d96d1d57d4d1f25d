"""A fake Google Cloud for the GKE provider tests, served to the REAL Google client libraries.

One project (``acme-prod``) with one regional GKE cluster (``prod`` in ``us-central1``), its
node pools, Google service accounts and their IAM policies, project and Artifact Registry IAM
policies, a custom role, Compute Engine disks / Cloud Routers / Cloud NAT / VPC, and Cloud
Monitoring NAT time series. Everything is built from the constants of THIS module (never from
``r2c_clouds``) so the world stays an independent test bed for the plugin. Those are the
defaults: a world may serve another project entirely (``GcpWorld(project_id=..., cluster=...,
projects=..., ...)``, as the gke demo's live twin in ``test_gcp_demo_twin`` does); the routes
check requests against the world's own ``project_id`` and data, not against these constants.

How it is served (all on 127.0.0.1, see :class:`GcpServers`):

* REST (HTTP/1.1, JSON with the REST/camelCase field names) for container v1,
  resourcemanager v3, artifactregistry v1 and compute v1 -- a stdlib ``ThreadingHTTPServer``;
* gRPC for ``google.iam.admin.v1.IAM`` (GetIamPolicy, GetRole) and
  ``google.monitoring.v3.MetricService`` (ListTimeSeries) -- an in-process ``grpc.server``
  built from ``grpc.method_handlers_generic_handler`` and the SDKs' own message classes;
* ONE TLS endpoint ``https://127.0.0.1:PORT`` in front of both: an asyncio TLS-terminating
  proxy that forwards ``h2`` (ALPN) connections to the plaintext gRPC server and everything
  else (``http/1.1`` or no ALPN) to the plaintext HTTP server.

Every REST body the world serves is checked, at serve time, against the SDK's own message type
(``Type.from_json(body, ignore_unknown_fields=False)``, or ``json_format.Parse`` for the raw
``google.iam.v1.Policy``); a body that does not parse is answered as a 500 and recorded in
:attr:`GcpWorld.errors` (the ``gcp`` fixture fails the test at teardown). gRPC answers are
built with the SDK message classes, whose constructors reject unknown fields.

Monitoring: the filter (``metric.type``, ``resource.type``, ``resource.labels.*``,
``metric.labels.*``, ``project``; ``=``/``!=`` with a quoted string, ``one_of``,
``starts_with``, ``ends_with``, ``monitoring.regex.full_match``; terms joined by ``AND``), the
interval and ``view`` are honoured; ``aggregation``/``secondary_aggregation``/``order_by`` are
IGNORED: raw points are returned, newest first, as the API does without aggregation (the
request log keeps what was asked for, so a test can assert the aggregation the plugin sent).
Point times are relative to :attr:`GcpWorld.now` (the world's creation time by default).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import fnmatch
import json
import re
import ssl
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import grpc
import proto
from google.api import metric_pb2
from google.cloud import (
    compute_v1,
    container_v1,
    iam_admin_v1,
    monitoring_v3,
    resourcemanager_v3,
)
from google.iam.v1 import iam_policy_pb2, policy_pb2
from google.protobuf import any_pb2, json_format
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status
from tls import CaFiles

# --------------------------------------------------------------------------- constants

PROJECT = "acme-prod"
PROJECT_NUMBER = "482901337755"
SHARED_PROJECT = "acme-shared"
SHARED_PROJECT_NUMBER = "210987654321"
ORG = "organizations/583920174466"
LOCATION = "us-central1"
REGION = LOCATION
ZONES = ("us-central1-a", "us-central1-b", "us-central1-c")
CLUSTER = "prod"
CLUSTER_NAME = f"projects/{PROJECT}/locations/{LOCATION}/clusters/{CLUSTER}"
CLUSTER_ID = "5e8a3c0f1b2d4e6f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f"
GKE_VERSION = "1.30.5-gke.1014001"
NETWORK = "prod-vpc"
SUBNETWORK = "prod-nodes"
NODE_RANGE = "10.10.0.0/20"
POD_RANGE = "prod-pods"
POD_CIDR = "10.64.0.0/19"
SERVICES_RANGE = "prod-services"
SERVICES_CIDR = "10.96.0.0/20"
WORKLOAD_POOL = f"{PROJECT}.svc.id.goog"
MAX_PODS = 110
MTU = 1460

COMPUTE = "https://www.googleapis.com/compute/v1"
PROJECT_URL = f"{COMPUTE}/projects/{PROJECT}"
NETWORK_URL = f"{PROJECT_URL}/global/networks/{NETWORK}"
LEGACY_NETWORK = "legacy-vpc"
LEGACY_NETWORK_URL = f"{PROJECT_URL}/global/networks/{LEGACY_NETWORK}"
REGION_URL = f"{PROJECT_URL}/regions/{REGION}"
SUBNETWORK_URL = f"{REGION_URL}/subnetworks/{SUBNETWORK}"

NODE_SA = f"prod-nodes@{PROJECT}.iam.gserviceaccount.com"
COMPUTE_DEFAULT_SA = f"{PROJECT_NUMBER}-compute@developer.gserviceaccount.com"
GSA_ORDERS = f"orders@{PROJECT}.iam.gserviceaccount.com"  # bound to shop/orders
GSA_EXPORT = f"export@{PROJECT}.iam.gserviceaccount.com"  # bound to default/export: wrong namespace
GSA_BILLING = f"billing@{SHARED_PROJECT}.iam.gserviceaccount.com"  # another project, bound to shop/billing
GSA_REPORTS = f"reports@{PROJECT}.iam.gserviceaccount.com"  # direct principal:// for shop/reports
GSA_ML = f"ml@{PROJECT}.iam.gserviceaccount.com"  # principalSet:// for namespace ml
GSA_GHOST = f"ghost@{PROJECT}.iam.gserviceaccount.com"  # does not exist (NOT_FOUND)
WI_USER = "roles/iam.workloadIdentityUser"
AR_READER = "roles/artifactregistry.reader"
DOWNLOAD_ARTIFACTS = "artifactregistry.repositories.downloadArtifacts"
CUSTOM_ROLE = f"projects/{PROJECT}/roles/imagePuller"
WI_POOL_PREFIX = (
    f"//iam.googleapis.com/projects/{PROJECT_NUMBER}/locations/global/workloadIdentityPools/{WORKLOAD_POOL}"
)
APPS_REPO = f"projects/{PROJECT}/locations/us-central1/repositories/apps"
GCR_REPO = f"projects/{SHARED_PROJECT}/locations/us/repositories/gcr.io"

ROUTER = "prod-router"
ROUTER_ID = "7355608113524711234"
NAT = "prod-nat"
LEGACY_ROUTER = "other-router"
LEGACY_ROUTER_ID = "1029384756102938475"
LEGACY_NAT = "legacy-nat"
NAT_MIN_PORTS = 64

ZONAL_DISK = "pvc-11111111-1111-4111-8111-111111111111"  # us-central1-a, attached
ZONAL_DISK_B = "pvc-22222222-2222-4222-8222-222222222222"  # us-central1-b, detached
REGIONAL_DISK = "pvc-33333333-3333-4333-8333-333333333333"  # regions/us-central1, replicas a+b
FILLER_DISKS = 22
NODE_INSTANCE_URL = f"{PROJECT_URL}/zones/us-central1-a/instances/gke-prod-default-pool-1a2b3c4d-x7k2"

NAT_DROPPED = "router.googleapis.com/nat/dropped_sent_packets_count"
NAT_ALLOCATION_FAILED = "router.googleapis.com/nat/nat_allocation_failed"
NAT_ALLOCATED_PORTS = "router.googleapis.com/nat/allocated_ports"
NAT_PORT_USAGE = "router.googleapis.com/nat/port_usage"
#: seconds before ``GcpWorld.now`` of the NAT points (newest last here; served newest first)
POINT_AGES = (3000, 2400, 1800, 1200, 600, 60)
DROPPED_OUT_OF_RESOURCES = (0, 412, 618, 504, 300, 0)  # 1834 in total
DROPPED_EIM_CONFLICT = (0, 0, 0, 5, 7, 0)  # 12 in total

TOKEN = "test-token"

#: every operation the world serves, by its permission-style name
OPERATIONS = (
    "container.clusters.get",
    "resourcemanager.projects.get",
    "resourcemanager.projects.getIamPolicy",
    "artifactregistry.repositories.getIamPolicy",
    "compute.disks.list",
    "compute.routers.list",
    "compute.subnetworks.get",
    "compute.networks.get",
    "iam.serviceAccounts.getIamPolicy",
    "iam.roles.get",
    "monitoring.timeSeries.list",
)
IAM_SERVICE = "google.iam.admin.v1.IAM"
MONITORING_SERVICE = "google.monitoring.v3.MetricService"

#: HTTP code -> (google.rpc status name, gRPC status code)
_CODES: dict[int, tuple[str, grpc.StatusCode]] = {
    400: ("INVALID_ARGUMENT", grpc.StatusCode.INVALID_ARGUMENT),
    401: ("UNAUTHENTICATED", grpc.StatusCode.UNAUTHENTICATED),
    403: ("PERMISSION_DENIED", grpc.StatusCode.PERMISSION_DENIED),
    404: ("NOT_FOUND", grpc.StatusCode.NOT_FOUND),
    409: ("ABORTED", grpc.StatusCode.ABORTED),
    429: ("RESOURCE_EXHAUSTED", grpc.StatusCode.RESOURCE_EXHAUSTED),
    500: ("INTERNAL", grpc.StatusCode.INTERNAL),
    503: ("UNAVAILABLE", grpc.StatusCode.UNAVAILABLE),
    504: ("DEADLINE_EXCEEDED", grpc.StatusCode.DEADLINE_EXCEEDED),
}
_BY_NAME = {name: code for code, (name, _) in _CODES.items()}
_COMPUTE_REASONS = {400: "invalid", 401: "required", 403: "forbidden", 404: "notFound", 409: "conflict",
                    429: "rateLimitExceeded", 500: "backendError", 503: "backendError", 504: "backendError"}
_SERVICES = {"container": "container.googleapis.com", "resourcemanager": "cloudresourcemanager.googleapis.com",
             "artifactregistry": "artifactregistry.googleapis.com", "compute": "compute.googleapis.com",
             "iam": "iam.googleapis.com", "monitoring": "monitoring.googleapis.com"}


def _etag(seed: str) -> str:
    """A stable base64 etag (the JSON spelling of a ``bytes`` etag)."""
    return base64.b64encode(("Bw" + seed).encode()[:8].ljust(8, b"0")).decode()


def _uid(seed: str) -> str:
    """A stable uint64 id, as Compute Engine spells it (a decimal string)."""
    return str(int.from_bytes(seed.encode().ljust(8, b"x")[:8], "big") % 10**19)


def policy(*bindings: tuple[str, list[str]], version: int = 1, seed: str = "x") -> dict[str, Any]:
    """A ``google.iam.v1.Policy`` in its JSON spelling; no binding gives the empty policy."""
    if not bindings:
        return {"etag": "ACAB"}
    return {"version": version, "etag": _etag(seed),
            "bindings": [{"role": role, "members": list(members)} for role, members in bindings]}


def wi_member(namespace: str, ksa: str) -> str:
    """The classic Workload Identity member ``serviceAccount:POOL[ns/ksa]``."""
    return f"serviceAccount:{WORKLOAD_POOL}[{namespace}/{ksa}]"


# --------------------------------------------------------------------------- default data


def default_node_pool(name: str) -> dict[str, Any]:
    """``default-pool`` or ``batch-pool`` as ``GET .../clusters/prod`` spells them."""
    base = f"https://container.googleapis.com/v1/{CLUSTER_NAME}/nodePools/{name}"
    if name == "default-pool":
        locations, lo, hi, mode, sa, taints = list(ZONES), 1, 3, "GKE_METADATA", NODE_SA, []
    elif name == "batch-pool":
        locations, lo, hi, mode, sa = ["us-central1-a"], 0, 2, "GCE_METADATA", "default"
        taints = [{"key": "dedicated", "value": "batch", "effect": "NO_SCHEDULE"}]
    else:
        raise KeyError(name)
    config: dict[str, Any] = {
        "machineType": "e2-standard-4",
        "diskSizeGb": 100,
        "diskType": "pd-balanced",
        "imageType": "COS_CONTAINERD",
        "oauthScopes": ["https://www.googleapis.com/auth/cloud-platform"],
        "serviceAccount": sa,
        "metadata": {"disable-legacy-endpoints": "true"},
        "labels": {"pool": name},
        "workloadMetadataConfig": {"mode": mode},
        "shieldedInstanceConfig": {"enableIntegrityMonitoring": True},
    }
    if taints:
        config["taints"] = taints
    return {
        "name": name,
        "config": config,
        "initialNodeCount": lo or 1,
        "locations": locations,
        "autoscaling": {"enabled": True, "minNodeCount": lo, "maxNodeCount": hi, "locationPolicy": "BALANCED"},
        "management": {"autoUpgrade": True, "autoRepair": True},
        "maxPodsConstraint": {"maxPodsPerNode": str(MAX_PODS)},
        "networkConfig": {"podRange": POD_RANGE, "podIpv4CidrBlock": POD_CIDR, "podIpv4RangeUtilization": 0.4375},
        "podIpv4CidrSize": 24,
        "status": "RUNNING",
        "version": GKE_VERSION,
        "instanceGroupUrls": [
            f"{PROJECT_URL}/zones/{z}/instanceGroupManagers/gke-prod-{name}-{i:08x}-grp"
            for i, z in enumerate(locations)
        ],
        "selfLink": base,
        "etag": f"etag-{name}",
    }


def default_cluster() -> dict[str, Any]:
    """The ``container.v1.Cluster`` of ``prod`` (regional, VPC-native, Workload Identity on)."""
    pools = [default_node_pool("default-pool"), default_node_pool("batch-pool")]
    return {
        "name": CLUSTER,
        "description": "production",
        "nodeConfig": pools[0]["config"],
        "nodePools": pools,
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
            "datapathProvider": "ADVANCED_DATAPATH",
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
            "defaultPodIpv4RangeUtilization": 0.4375,
        },
        "defaultMaxPodsConstraint": {"maxPodsPerNode": str(MAX_PODS)},
        "workloadIdentityConfig": {"workloadPool": WORKLOAD_POOL},
        "privateClusterConfig": {"enablePrivateNodes": True, "privateEndpoint": "10.10.0.2",
                                 "publicEndpoint": "34.118.20.7"},
        "addonsConfig": {"gcePersistentDiskCsiDriverConfig": {"enabled": True}},
        "releaseChannel": {"channel": "REGULAR"},
        "endpoint": "34.118.20.7",
        "initialClusterVersion": GKE_VERSION,
        "currentMasterVersion": GKE_VERSION,
        "currentNodeVersion": GKE_VERSION,
        "createTime": "2024-01-15T09:30:00+00:00",
        "status": "RUNNING",
        "selfLink": f"https://container.googleapis.com/v1/{CLUSTER_NAME}",
        "id": CLUSTER_ID,
        "currentNodeCount": 4,
        "loggingService": "logging.googleapis.com/kubernetes",
        "monitoringService": "monitoring.googleapis.com/kubernetes",
        "etag": "cluster-etag-1",
    }


def default_projects() -> dict[str, dict[str, Any]]:
    """``resourcemanager.v3.Project`` by project id."""
    def project(pid: str, number: str) -> dict[str, Any]:
        return {"name": f"projects/{number}", "parent": ORG, "projectId": pid, "state": "ACTIVE",
                "displayName": pid, "createTime": "2021-03-04T10:00:00.000Z",
                "updateTime": "2024-05-06T07:08:09.000Z", "etag": f'W/"{_etag(pid)}"', "labels": {"env": "prod"}}
    return {PROJECT: project(PROJECT, PROJECT_NUMBER), SHARED_PROJECT: project(SHARED_PROJECT, SHARED_PROJECT_NUMBER)}


def default_project_policies() -> dict[str, dict[str, Any]]:
    """Project IAM policies by project id: prod-nodes reads Artifact Registry in acme-prod."""
    return {
        PROJECT: policy(
            ("roles/owner", ["user:alice@acme.example"]),
            ("roles/editor", [f"serviceAccount:{PROJECT_NUMBER}@cloudservices.gserviceaccount.com"]),
            (AR_READER, [f"serviceAccount:{NODE_SA}"]),
            ("roles/container.defaultNodeServiceAccount", [f"serviceAccount:{NODE_SA}"]),
            ("roles/container.serviceAgent",
             [f"serviceAccount:service-{PROJECT_NUMBER}@container-engine-robot.iam.gserviceaccount.com"]),
            ("roles/compute.viewer", [f"serviceAccount:{COMPUTE_DEFAULT_SA}"]),
            (CUSTOM_ROLE, ["group:platform@acme.example"]),
            seed="prod",
        ),
        SHARED_PROJECT: policy(
            ("roles/owner", ["user:alice@acme.example"]),
            ("roles/viewer", ["group:platform@acme.example"]),
            seed="shared",
        ),
    }


def default_service_accounts() -> dict[str, dict[str, Any]]:
    """IAM policy of each existing Google service account, by email (absent: NOT_FOUND)."""
    return {
        GSA_ORDERS: policy((WI_USER, [wi_member("shop", "orders")]), seed="orders"),
        GSA_EXPORT: policy((WI_USER, [wi_member("default", "export")]), seed="export"),
        GSA_BILLING: policy((WI_USER, [wi_member("shop", "billing")]), seed="billing"),
        GSA_REPORTS: policy((WI_USER, [f"principal:{WI_POOL_PREFIX}/subject/ns/shop/sa/reports"]), seed="reports"),
        GSA_ML: policy((WI_USER, [f"principalSet:{WI_POOL_PREFIX}/namespace/ml"]), seed="ml"),
        NODE_SA: policy(),
    }


def default_repositories() -> dict[str, dict[str, Any]]:
    """Artifact Registry repository IAM policies by repository name."""
    return {
        APPS_REPO: policy(),
        GCR_REPO: policy((AR_READER, [f"serviceAccount:{NODE_SA}"]), seed="gcr"),
    }


def default_roles() -> dict[str, dict[str, Any]]:
    """``google.iam.admin.v1.Role`` (JSON spelling) by role name, as GetRole serves them."""
    def role(name: str, title: str, perms: list[str]) -> dict[str, Any]:
        return {"name": name, "title": title, "description": title, "includedPermissions": perms,
                "stage": "GA", "etag": _etag(name.rsplit("/", 1)[-1])}
    return {
        CUSTOM_ROLE: role(CUSTOM_ROLE, "Image puller", [
            "artifactregistry.dockerimages.get", "artifactregistry.repositories.get", DOWNLOAD_ARTIFACTS]),
        AR_READER: role(AR_READER, "Artifact Registry Reader", [
            "artifactregistry.dockerimages.get", "artifactregistry.dockerimages.list",
            "artifactregistry.files.get", "artifactregistry.files.list",
            "artifactregistry.repositories.downloadArtifacts", "artifactregistry.repositories.get",
            "artifactregistry.repositories.list", "artifactregistry.tags.list", "artifactregistry.versions.get"]),
        WI_USER: role(WI_USER, "Workload Identity User", [
            "iam.serviceAccounts.get", "iam.serviceAccounts.getAccessToken",
            "iam.serviceAccounts.getOpenIdToken", "iam.serviceAccounts.list"]),
        "roles/container.defaultNodeServiceAccount": role(
            "roles/container.defaultNodeServiceAccount", "Kubernetes Engine Default Node Service Account", [
                "autoscaling.sites.writeMetrics", "logging.logEntries.create", "monitoring.metricDescriptors.create",
                "monitoring.metricDescriptors.list", "monitoring.timeSeries.create"]),
    }


def _disk(name: str, *, zone: str | None = None, region: str | None = None, replicas: tuple[str, ...] = (),
          users: tuple[str, ...] = (), size_gb: int = 10, pvc: tuple[str, str] | None = None) -> dict[str, Any]:
    scope_url = f"{PROJECT_URL}/zones/{zone}" if zone else f"{PROJECT_URL}/regions/{region}"
    body: dict[str, Any] = {
        "kind": "compute#disk",
        "id": _uid(name),
        "creationTimestamp": "2024-02-01T10:11:12.345-08:00",
        "name": name,
        "sizeGb": str(size_gb),
        "status": "READY",
        "selfLink": f"{scope_url}/disks/{name}",
        "type": f"{scope_url}/diskTypes/pd-balanced",
        "labelFingerprint": "42WmSpB8rSM=",
        "labels": {"goog-gke-volume": "", "goog-k8s-cluster-name": CLUSTER, "goog-k8s-cluster-location": LOCATION},
        "physicalBlockSizeBytes": "4096",
    }
    if zone:
        body["zone"] = scope_url
    else:
        body["region"] = scope_url
        body["replicaZones"] = [f"{PROJECT_URL}/zones/{z}" for z in replicas]
    if users:
        body["users"] = list(users)
        body["lastAttachTimestamp"] = "2024-06-01T00:00:00.000-07:00"
    if pvc:
        body["description"] = json.dumps({
            "kubernetes.io/created-for/pv/name": name, "kubernetes.io/created-for/pvc/name": pvc[1],
            "kubernetes.io/created-for/pvc/namespace": pvc[0], "storage.gke.io/created-by": "pd.csi.storage.gke.io"},
            separators=(",", ":"))
    return body


def default_disks() -> list[dict[str, Any]]:
    """The three PVC disks, then ``FILLER_DISKS`` unrelated ones (so the aggregated list pages)."""
    disks = [
        _disk(ZONAL_DISK, zone="us-central1-a", users=(NODE_INSTANCE_URL,), pvc=("shop", "data-orders-0")),
        _disk(ZONAL_DISK_B, zone="us-central1-b", pvc=("shop", "data-orders-1")),
        _disk(REGIONAL_DISK, region=REGION, replicas=("us-central1-a", "us-central1-b"), size_gb=200,
              pvc=("shop", "ledger")),
    ]
    filler_zones = ("us-central1-c", "us-central1-f", "europe-west1-b")
    disks += [_disk(f"scratch-{i:02d}", zone=filler_zones[i % 3], size_gb=20) for i in range(FILLER_DISKS)]
    return disks


#: scopes the aggregated list names even when they hold nothing (warning NO_RESULTS_ON_PAGE)
DEFAULT_SCOPES = ("regions/europe-west1", "regions/us-central1", "zones/europe-west1-b", "zones/us-central1-a",
                  "zones/us-central1-b", "zones/us-central1-c", "zones/us-central1-f", "zones/us-east1-b")


def _nat(name: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": "PUBLIC",
        "endpointTypes": ["ENDPOINT_TYPE_VM"],
        "sourceSubnetworkIpRangesToNat": "ALL_SUBNETWORKS_ALL_IP_RANGES",
        "natIpAllocateOption": "AUTO_ONLY",
        "autoNetworkTier": "PREMIUM",
        "minPortsPerVm": NAT_MIN_PORTS,
        "enableDynamicPortAllocation": False,
        "enableEndpointIndependentMapping": False,
        "udpIdleTimeoutSec": 30,
        "icmpIdleTimeoutSec": 30,
        "tcpEstablishedIdleTimeoutSec": 1200,
        "tcpTransitoryIdleTimeoutSec": 30,
        "tcpTimeWaitTimeoutSec": 120,
        "logConfig": {"enable": False, "filter": "ALL"},
    }


def _router(name: str, rid: str, network_url: str, nat: str) -> dict[str, Any]:
    return {
        "kind": "compute#router",
        "id": rid,
        "creationTimestamp": "2023-11-02T03:04:05.678-07:00",
        "name": name,
        "region": REGION_URL,
        "network": network_url,
        "bgp": {"asn": 64514, "advertiseMode": "DEFAULT", "keepaliveInterval": 20},
        "nats": [_nat(nat)],
        "selfLink": f"{REGION_URL}/routers/{name}",
    }


def default_routers() -> dict[str, list[dict[str, Any]]]:
    """Cloud Routers by region: prod-router/prod-nat on prod-vpc, other-router/legacy-nat on legacy-vpc."""
    return {REGION: [_router(ROUTER, ROUTER_ID, NETWORK_URL, NAT),
                     _router(LEGACY_ROUTER, LEGACY_ROUTER_ID, LEGACY_NETWORK_URL, LEGACY_NAT)]}


def default_subnetworks() -> dict[tuple[str, str], dict[str, Any]]:
    """Subnetworks by (region, name)."""
    return {(REGION, SUBNETWORK): {
        "kind": "compute#subnetwork",
        "id": _uid(SUBNETWORK),
        "creationTimestamp": "2023-11-02T03:00:00.000-07:00",
        "name": SUBNETWORK,
        "network": NETWORK_URL,
        "ipCidrRange": NODE_RANGE,
        "gatewayAddress": "10.10.0.1",
        "region": REGION_URL,
        "selfLink": SUBNETWORK_URL,
        "privateIpGoogleAccess": True,
        "secondaryIpRanges": [{"rangeName": POD_RANGE, "ipCidrRange": POD_CIDR},
                              {"rangeName": SERVICES_RANGE, "ipCidrRange": SERVICES_CIDR}],
        "fingerprint": "pXkZ2mQyZlE=",
        "enableFlowLogs": False,
        "privateIpv6GoogleAccess": "DISABLE_GOOGLE_ACCESS",
        "purpose": "PRIVATE",
        "stackType": "IPV4_ONLY",
    }}


def default_networks() -> dict[str, dict[str, Any]]:
    """VPC networks by name."""
    def network(name: str, subnets: list[str], mtu: int) -> dict[str, Any]:
        url = f"{PROJECT_URL}/global/networks/{name}"
        return {"kind": "compute#network", "id": _uid(name), "creationTimestamp": "2023-11-01T00:00:00.000-07:00",
                "name": name, "selfLink": url, "selfLinkWithId": f"{PROJECT_URL}/global/networks/{_uid(name)}",
                "autoCreateSubnetworks": False, "subnetworks": subnets, "routingConfig": {"routingMode": "REGIONAL"},
                "mtu": mtu, "networkFirewallPolicyEnforcementOrder": "AFTER_CLASSIC_FIREWALL"}
    return {NETWORK: network(NETWORK, [SUBNETWORK_URL], MTU), LEGACY_NETWORK: network(LEGACY_NETWORK, [], 1500)}


@dataclass
class Series:
    """One Cloud Monitoring time series of a ``nat_gateway``; ``points`` are (seconds before
    ``GcpWorld.now``, value) pairs."""

    metric_type: str
    gateway: str
    router_id: str
    points: list[tuple[int, Any]]
    kind: str = "GAUGE"  # MetricKind name
    value_type: str = "INT64"  # ValueType name
    metric_labels: dict[str, str] = field(default_factory=dict)
    project_id: str = PROJECT
    region: str = REGION
    unit: str = "1"

    @property
    def resource_labels(self) -> dict[str, str]:
        return {"project_id": self.project_id, "region": self.region, "router_id": self.router_id,
                "gateway_name": self.gateway}


def default_series() -> list[Series]:
    """NAT series: prod-nat drops packets for lack of ports (1834) and on EIM conflicts (12)."""
    ages = POINT_AGES

    def pts(values: tuple[Any, ...]) -> list[tuple[int, Any]]:
        return list(zip(ages, values, strict=True))

    prod = {"gateway": NAT, "router_id": ROUTER_ID}
    legacy = {"gateway": LEGACY_NAT, "router_id": LEGACY_ROUTER_ID}
    return [
        Series(NAT_DROPPED, **prod, kind="DELTA", metric_labels={"reason": "OUT_OF_RESOURCES", "ip_protocol": "6"},
               points=pts(DROPPED_OUT_OF_RESOURCES)),
        Series(NAT_DROPPED, **prod, kind="DELTA",
               metric_labels={"reason": "ENDPOINT_INDEPENDENCE_CONFLICT", "ip_protocol": "17"},
               points=pts(DROPPED_EIM_CONFLICT)),
        Series(NAT_ALLOCATION_FAILED, **prod, value_type="BOOL",
               points=pts((False, False, True, True, False, False))),
        Series(NAT_ALLOCATED_PORTS, **prod, metric_labels={"nat_ip": "34.67.10.20"},
               points=pts((384, 384, 448, 448, 448, 384)), unit="{port}"),
        Series(NAT_PORT_USAGE, **prod, metric_labels={"ip_protocol": "6"},
               points=pts((40, 52, 64, 64, 60, 33)), unit="{port}"),
        Series(NAT_DROPPED, **legacy, kind="DELTA", metric_labels={"reason": "OUT_OF_RESOURCES", "ip_protocol": "6"},
               points=pts((0, 0, 7, 0, 0, 0))),
        Series(NAT_ALLOCATION_FAILED, **legacy, value_type="BOOL", points=pts((False,) * 6)),
        Series(NAT_ALLOCATED_PORTS, **legacy, metric_labels={"nat_ip": "34.67.99.1"},
               points=pts((128,) * 6), unit="{port}"),
        Series(NAT_PORT_USAGE, **legacy, metric_labels={"ip_protocol": "6"}, points=pts((5, 4, 6, 5, 3, 2)),
               unit="{port}"),
    ]


# --------------------------------------------------------------------------- the world


@dataclass
class Call:
    """One request the world answered."""

    op: str | None  # permission-style name, None when no route matched
    api: str  # container, resourcemanager, artifactregistry, compute, iam, monitoring
    transport: str  # "rest" or "grpc"
    method: str  # HTTP method, or the gRPC method "/google.iam.admin.v1.IAM/GetRole"
    path: str  # REST path (no query) or the gRPC method
    resource: str  # the resource the call is about ("projects/acme-prod/...")
    params: dict[str, Any]  # REST query (single values) + JSON body, or the gRPC request as a dict
    status: int = 0  # HTTP status, or the HTTP equivalent of the gRPC status (200 for OK)
    grpc_status: str | None = None  # gRPC status name for gRPC calls


@dataclass
class Fault:
    op: str
    code: int
    times: int | None  # None: every matching call
    match: str | None  # substring of the call's resource or path
    message: str | None


class ApiError(Exception):
    """Raised by handlers: answered as Google's JSON error (REST) or a gRPC status."""

    def __init__(self, code: int, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason


@dataclass(repr=False)
class GcpWorld:
    """The data served, the injected faults and the request log of one test.

    Edit the data in place (it is read on every request): ``world.cluster`` (Cluster JSON),
    ``world.node_pool(name)``, ``world.projects`` / ``world.project_policies`` (by project id),
    ``world.service_accounts`` (policy by GSA email; delete a key for NOT_FOUND),
    ``world.repositories`` (policy by repository name), ``world.roles``, ``world.disks``,
    ``world.routers`` (by region), ``world.subnetworks`` ((region, name)), ``world.networks``,
    ``world.series`` (list of :class:`Series`), ``world.now``.

    ``project_id`` is the project the world's cluster and Compute Engine resources live in
    (``acme-prod`` by default): a world built for another project (see ``test_gcp_demo_twin``)
    sets it together with its own ``cluster``, ``projects``, ... and every route checks against
    it, never against the module constant :data:`PROJECT`.
    """

    cluster: dict[str, Any] = field(default_factory=default_cluster)
    projects: dict[str, dict[str, Any]] = field(default_factory=default_projects)
    project_policies: dict[str, dict[str, Any]] = field(default_factory=default_project_policies)
    service_accounts: dict[str, dict[str, Any]] = field(default_factory=default_service_accounts)
    repositories: dict[str, dict[str, Any]] = field(default_factory=default_repositories)
    roles: dict[str, dict[str, Any]] = field(default_factory=default_roles)
    disks: list[dict[str, Any]] = field(default_factory=default_disks)
    scopes: list[str] = field(default_factory=lambda: list(DEFAULT_SCOPES))
    routers: dict[str, list[dict[str, Any]]] = field(default_factory=default_routers)
    subnetworks: dict[tuple[str, str], dict[str, Any]] = field(default_factory=default_subnetworks)
    networks: dict[str, dict[str, Any]] = field(default_factory=default_networks)
    series: list[Series] = field(default_factory=default_series)
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).replace(microsecond=0))
    project_id: str = PROJECT  # the project of the cluster and of the Compute Engine resources served
    token: str = TOKEN  # the bearer token every request must carry (401 / UNAUTHENTICATED otherwise)
    #: set by GcpServers.install
    endpoint: str = ""  # "https://127.0.0.1:PORT" (REST api_endpoint)
    grpc_endpoint: str = ""  # "127.0.0.1:PORT" (gRPC api_endpoint, TLS)
    ca_file: str = ""
    #: world bugs: bodies that do not parse as the SDK type, handler crashes, unrouted requests
    errors: list[str] = field(default_factory=list)
    log: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def __repr__(self) -> str:  # short: pytest prints the fixture value on failures
        return (f"GcpWorld(endpoint={self.endpoint!r}, calls={len(self.log)}, faults={len(self.faults)}, "
                f"errors={self.errors!r})")

    # ----- edits

    def node_pool(self, name: str) -> dict[str, Any]:
        return next(p for p in self.cluster["nodePools"] if p["name"] == name)

    def disk(self, name: str) -> dict[str, Any]:
        return next(d for d in self.disks if d["name"] == name)

    def router(self, name: str, region: str = REGION) -> dict[str, Any]:
        return next(r for r in self.routers.get(region, []) if r["name"] == name)

    def nat_series(self, metric_type: str, gateway: str = NAT) -> list[Series]:
        return [s for s in self.series if s.metric_type == metric_type and s.gateway == gateway]

    # ----- faults

    def fail(self, op: str, code: int | str, *, times: int | None = None, match: str | None = None,
             message: str | None = None) -> None:
        """Answer ``op`` (e.g. ``"compute.routers.list"``) with ``code`` (403, 404, 429, 500, 503 or a
        status name like ``"PERMISSION_DENIED"``): every time, or the next ``times`` times; only for
        calls whose resource or path contains ``match`` when given.

        503 / UNAVAILABLE (and 504) are retried by the SDKs' default retry of most read methods
        (container get_cluster, resourcemanager, compute, monitoring ListTimeSeries) with
        backoff up to a 20-600 s deadline: inject them with ``times=`` to stay fast."""
        if op not in OPERATIONS:
            raise ValueError(f"unknown operation {op!r}; one of {OPERATIONS}")
        http = _BY_NAME[code] if isinstance(code, str) else code
        if http not in _CODES:
            raise ValueError(f"unsupported code {code!r}")
        with self._lock:
            self.faults.append(Fault(op, http, times, match, message))

    def _fault_for(self, op: str, resource: str, path: str) -> Fault | None:
        with self._lock:
            for f in self.faults:
                if f.op != op or (f.match and f.match not in resource and f.match not in path):
                    continue
                if f.times is not None:
                    if f.times <= 0:
                        continue
                    f.times -= 1
                return f
        return None

    # ----- log

    def calls(self, op: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self.log if op is None or c.op == op]

    def count(self, op: str) -> int:
        return len(self.calls(op))

    def ops(self) -> list[str | None]:
        """The operations called, in order."""
        return [c.op for c in self.calls()]

    def clear_log(self) -> None:
        with self._lock:
            self.log.clear()

    def _record(self, call: Call) -> None:
        with self._lock:
            self.log.append(call)

    def _error(self, text: str) -> None:
        with self._lock:
            self.errors.append(text)

    # ----- lookups

    @property
    def project_number(self) -> str:
        """The number of :attr:`project_id` (from :attr:`projects`; ``PROJECT_NUMBER`` when absent)."""
        body = self.projects.get(self.project_id)
        return body["name"].split("/", 1)[1] if body else PROJECT_NUMBER

    def project_id_of(self, ref: str) -> str | None:
        """A project id for a project id or number."""
        for pid, body in self.projects.items():
            if ref in (pid, body["name"].split("/", 1)[1]):
                return pid
        return None


# --------------------------------------------------------------------------- body checks


def check_body(body: dict[str, Any], typ: Any) -> None:
    """Raise unless ``body`` parses as ``typ`` (a proto-plus type, or a raw protobuf class) with
    unknown fields refused."""
    text = json.dumps(body)
    if isinstance(typ, type) and issubclass(typ, proto.Message):
        typ.from_json(text, ignore_unknown_fields=False)
    else:
        json_format.Parse(text, typ(), ignore_unknown_fields=False)


# --------------------------------------------------------------------------- REST


@dataclass
class _Route:
    method: str
    pattern: re.Pattern[str]
    api: str
    op: str
    resource: Callable[[dict[str, str]], str]
    handler: Callable[[GcpWorld, dict[str, str], dict[str, Any]], dict[str, Any]]
    body_type: Any


def _get_cluster(w: GcpWorld, m: dict[str, str], _: dict[str, Any]) -> dict[str, Any]:
    name = f"projects/{m['project']}/locations/{m['location']}/clusters/{m['cluster']}"
    if (w.project_id_of(m["project"]) != w.project_id or m["location"] != w.cluster["location"]
            or m["cluster"] != w.cluster["name"]):
        raise ApiError(404, f"Not found: {name}.")
    return w.cluster


def _project(w: GcpWorld, ref: str, op: str) -> str:
    pid = w.project_id_of(ref)
    if pid is None:
        raise ApiError(403, f"Permission '{op}' denied on resource "
                            f"'//cloudresourcemanager.googleapis.com/projects/{ref}' (or it may not exist).",
                       "IAM_PERMISSION_DENIED")
    return pid


def _get_project(w: GcpWorld, m: dict[str, str], _: dict[str, Any]) -> dict[str, Any]:
    return w.projects[_project(w, m["project"], "resourcemanager.projects.get")]


def _get_project_policy(w: GcpWorld, m: dict[str, str], _: dict[str, Any]) -> dict[str, Any]:
    pid = _project(w, m["project"], "resourcemanager.projects.getIamPolicy")
    return w.project_policies.get(pid, policy())


def _get_repo_policy(w: GcpWorld, m: dict[str, str], _: dict[str, Any]) -> dict[str, Any]:
    repo = m["repo"]
    if repo not in w.repositories:
        raise ApiError(404, f"Requested entity was not found. Repository \"{repo}\" not found.")
    return w.repositories[repo]


def _compute_project(w: GcpWorld, m: dict[str, str]) -> None:
    if m["project"] != w.project_id:
        raise ApiError(404, f"The resource 'projects/{m['project']}' was not found")


_FILTER_TERM = re.compile(r"^\s*(?P<field>[\w.]+)\s*(?P<op>!=|=|eq|ne)\s*(?P<value>.+?)\s*$")


def _lookup(item: dict[str, Any], dotted: str) -> str:
    value: Any = item
    for part in dotted.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, bool):
        return str(value).lower()
    return "" if value is None else str(value)


def compute_filter(expr: str) -> Callable[[dict[str, Any]], bool]:
    """The subset of Compute Engine's list ``filter``: ``field = value`` / ``!=`` (``*`` wildcards),
    ``field eq regex`` / ``ne``, parenthesised terms joined by ``AND`` (or a space) or ``OR``."""
    expr = expr.strip()
    if not expr:
        return lambda _item: True
    groups = re.findall(r"\(([^()]*)\)", expr)
    if groups:
        joins = {j.strip().upper() for j in re.split(r"\([^()]*\)", expr) if j.strip()}
        if not joins <= {"AND", "OR"} or len(joins) > 1:
            raise ApiError(400, f"Invalid value for field 'filter': '{expr}'. Invalid list filter expression.")
        terms = [compute_filter(g) for g in groups]
        if joins == {"OR"}:
            return lambda item: any(t(item) for t in terms)
        return lambda item: all(t(item) for t in terms)
    m = _FILTER_TERM.match(expr)
    if not m:
        raise ApiError(400, f"Invalid value for field 'filter': '{expr}'. Invalid list filter expression.")
    name, op, value = m["field"], m["op"], m["value"].strip('"')
    if op in ("eq", "ne"):
        rx = re.compile(value)
        return lambda item: (rx.fullmatch(_lookup(item, name)) is not None) == (op == "eq")
    return lambda item: fnmatch.fnmatchcase(_lookup(item, name), value) == (op == "=")


def _page(items: list[Any], q: dict[str, Any], kind: str) -> tuple[list[Any], str | None]:
    try:
        size = int(q.get("maxResults", 500))
    except ValueError:
        raise ApiError(400, "Invalid value for field 'maxResults'.") from None
    if not 0 <= size <= 500:
        raise ApiError(400, f"Invalid value for field 'maxResults': '{size}'. Must be less than or equal to 500")
    size = size or 500
    start = 0
    if q.get("pageToken"):
        try:
            tag, offset = base64.urlsafe_b64decode(q["pageToken"]).decode().split(":")
            start = int(offset)
            if tag != kind:
                raise ValueError(tag)
        except Exception:
            raise ApiError(400, f"Invalid value for field 'pageToken': '{q['pageToken']}'.") from None
    end = start + size
    token = base64.urlsafe_b64encode(f"{kind}:{end}".encode()).decode() if end < len(items) else None
    return items[start:end], token


def _scope_of(disk: dict[str, Any]) -> str:
    url = disk.get("zone") or disk["region"]
    kind, name = url.split("/")[-2:]
    return f"{kind}/{name}"


def _aggregated_disks(w: GcpWorld, m: dict[str, str], q: dict[str, Any]) -> dict[str, Any]:
    _compute_project(w, m)
    keep = compute_filter(q.get("filter", ""))
    scopes = sorted(set(w.scopes) | {_scope_of(d) for d in w.disks})
    ordered = [d for s in scopes for d in w.disks if _scope_of(d) == s and keep(d)]
    page, token = _page(ordered, q, "disks")
    items: dict[str, Any] = {}
    for s in scopes:
        here = [d for d in page if _scope_of(d) == s]
        if here:
            items[s] = {"disks": here}
        else:
            items[s] = {"warning": {"code": "NO_RESULTS_ON_PAGE",
                                    "message": f"There are no results for scope '{s}' on this page.",
                                    "data": [{"key": "scope", "value": s}]}}
    body: dict[str, Any] = {"kind": "compute#diskAggregatedList", "id": f"projects/{m['project']}/aggregated/disks",
                            "items": items, "selfLink": f"{COMPUTE}/projects/{m['project']}/aggregated/disks"}
    if token:
        body["nextPageToken"] = token
    return body


def _list_routers(w: GcpWorld, m: dict[str, str], q: dict[str, Any]) -> dict[str, Any]:
    _compute_project(w, m)
    keep = compute_filter(q.get("filter", ""))
    page, token = _page([r for r in w.routers.get(m["region"], []) if keep(r)], q, "routers")
    body: dict[str, Any] = {"kind": "compute#routerList", "id": f"projects/{m['project']}/regions/{m['region']}/routers",
                            "selfLink": f"{COMPUTE}/projects/{m['project']}/regions/{m['region']}/routers"}
    if page:
        body["items"] = page
    if token:
        body["nextPageToken"] = token
    return body


def _get_subnetwork(w: GcpWorld, m: dict[str, str], _: dict[str, Any]) -> dict[str, Any]:
    _compute_project(w, m)
    found = w.subnetworks.get((m["region"], m["name"]))
    if found is None:
        raise ApiError(404, f"The resource 'projects/{m['project']}/regions/{m['region']}/subnetworks/{m['name']}' "
                            "was not found")
    return found


def _get_network(w: GcpWorld, m: dict[str, str], _: dict[str, Any]) -> dict[str, Any]:
    _compute_project(w, m)
    found = w.networks.get(m["name"])
    if found is None:
        raise ApiError(404, f"The resource 'projects/{m['project']}/global/networks/{m['name']}' was not found")
    return found


_SEG = r"[^/:]+"
ROUTES: tuple[_Route, ...] = (
    _Route("GET", re.compile(rf"/v1/projects/(?P<project>{_SEG})/locations/(?P<location>{_SEG})/clusters/(?P<cluster>{_SEG})"),
           "container", "container.clusters.get",
           lambda m: f"projects/{m['project']}/locations/{m['location']}/clusters/{m['cluster']}",
           _get_cluster, container_v1.Cluster),
    # the deprecated zonal spelling (request.project_id/zone/cluster_id) of the same call
    _Route("GET", re.compile(rf"/v1/projects/(?P<project>{_SEG})/zones/(?P<location>{_SEG})/clusters/(?P<cluster>{_SEG})"),
           "container", "container.clusters.get",
           lambda m: f"projects/{m['project']}/locations/{m['location']}/clusters/{m['cluster']}",
           _get_cluster, container_v1.Cluster),
    _Route("GET", re.compile(rf"/v3/projects/(?P<project>{_SEG})"), "resourcemanager", "resourcemanager.projects.get",
           lambda m: f"projects/{m['project']}", _get_project, resourcemanager_v3.Project),
    _Route("POST", re.compile(rf"/v3/projects/(?P<project>{_SEG}):getIamPolicy"), "resourcemanager",
           "resourcemanager.projects.getIamPolicy", lambda m: f"projects/{m['project']}", _get_project_policy,
           policy_pb2.Policy),
    _Route("GET", re.compile(rf"/v1/(?P<repo>projects/{_SEG}/locations/{_SEG}/repositories/{_SEG}):getIamPolicy"),
           "artifactregistry", "artifactregistry.repositories.getIamPolicy", lambda m: m["repo"], _get_repo_policy,
           policy_pb2.Policy),
    _Route("GET", re.compile(rf"/compute/v1/projects/(?P<project>{_SEG})/aggregated/disks"), "compute",
           "compute.disks.list", lambda m: f"projects/{m['project']}", _aggregated_disks,
           compute_v1.DiskAggregatedList),
    _Route("GET", re.compile(rf"/compute/v1/projects/(?P<project>{_SEG})/regions/(?P<region>{_SEG})/routers"),
           "compute", "compute.routers.list", lambda m: f"projects/{m['project']}/regions/{m['region']}",
           _list_routers, compute_v1.RouterList),
    _Route("GET", re.compile(rf"/compute/v1/projects/(?P<project>{_SEG})/regions/(?P<region>{_SEG})/subnetworks/(?P<name>{_SEG})"),
           "compute", "compute.subnetworks.get",
           lambda m: f"projects/{m['project']}/regions/{m['region']}/subnetworks/{m['name']}",
           _get_subnetwork, compute_v1.Subnetwork),
    _Route("GET", re.compile(rf"/compute/v1/projects/(?P<project>{_SEG})/global/networks/(?P<name>{_SEG})"),
           "compute", "compute.networks.get", lambda m: f"projects/{m['project']}/global/networks/{m['name']}",
           _get_network, compute_v1.Network),
)


def _api_of_path(path: str) -> str:
    if path.startswith("/compute/"):
        return "compute"
    if path.startswith("/v3/"):
        return "resourcemanager"
    return "artifactregistry" if "/repositories/" in path else "container"


def default_message(code: int, op: str, resource: str, api: str, project_number: str = PROJECT_NUMBER) -> str:
    if code == 403:
        if api == "compute":
            return f"Required '{op}' permission for '{resource}'"
        return f"Permission '{op}' denied on resource '//{_SERVICES[api]}/{resource}' (or it may not exist)."
    if code == 404:
        return f"The resource '{resource}' was not found" if api == "compute" else f"Not found: {resource}."
    if code == 429:
        return (f"Quota exceeded for quota metric 'Read requests' and limit 'Read requests per minute' of service "
                f"'{_SERVICES[api]}' for consumer 'project_number:{project_number}'.")
    if code == 401:
        return ("Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or "
                "other valid authentication credential.")
    return f"{_CODES[code][0].replace('_', ' ').capitalize()} (injected for {op} on {resource})."


def _reason(code: int, api: str, given: str | None) -> str:
    if given:
        return given
    return {403: "IAM_PERMISSION_DENIED", 429: "RATE_LIMIT_EXCEEDED", 401: "ACCESS_TOKEN_TYPE_UNSUPPORTED"}.get(
        code, _CODES[code][0])


def rest_error(code: int, message: str, api: str, op: str | None, resource: str,
               reason: str | None = None) -> dict[str, Any]:
    """Google's JSON error body; compute's older variant has ``errors`` and no ``status``."""
    if api == "compute":
        domain = "usageLimits" if code == 429 else "global"
        return {"error": {"code": code, "message": message,
                          "errors": [{"message": message, "domain": domain, "reason": _COMPUTE_REASONS[code]}]}}
    meta = {"service": _SERVICES[api]}
    if op:
        meta["permission" if code == 403 else "method"] = op
    if code in (403, 404):
        meta["resource"] = resource
    return {"error": {"code": code, "message": message, "status": _CODES[code][0],
                      "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                   "reason": _reason(code, api, reason),
                                   "domain": "iam.googleapis.com" if code == 403 else "googleapis.com",
                                   "metadata": meta}]}}


def _make_http_handler(servers: GcpServers) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "ESF"
        sys_version = ""

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _dispatch(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            world = servers.world
            split = urlsplit(self.path)
            path = unquote(split.path)
            query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
            params: dict[str, Any] = dict(query)
            if raw:
                try:
                    params.update(json.loads(raw))
                except ValueError:
                    params["<body>"] = raw.decode(errors="replace")
            if world is None:
                self._answer(503, {"error": {"code": 503, "message": "gcp_world: no world installed",
                                             "status": "UNAVAILABLE"}})
                return
            route, match = None, None
            for r in ROUTES:
                match = r.pattern.fullmatch(path)
                if match and r.method == self.command:
                    route = r
                    break
            if route is None or match is None:
                api = _api_of_path(path)
                call = Call(None, api, "rest", self.command, path, path, params, 404)
                world._record(call)
                world._error(f"unrouted request {self.command} {path}")
                self._answer(404, rest_error(404, f"gcp_world: no route for {self.command} {path}", api, None, path))
                return
            groups = match.groupdict()
            resource = route.resource(groups)
            call = Call(route.op, route.api, "rest", self.command, path, resource, params)
            world._record(call)
            status, body = self._serve(world, route, groups, resource, query, path)
            call.status = status
            self._answer(status, body)

        def _serve(self, world: GcpWorld, route: _Route, groups: dict[str, str], resource: str,
                   query: dict[str, Any], path: str) -> tuple[int, dict[str, Any]]:
            if self.headers.get("Authorization") != f"Bearer {world.token}":
                return 401, rest_error(401, default_message(401, route.op, resource, route.api), route.api,
                                       route.op, resource, "ACCESS_TOKEN_TYPE_UNSUPPORTED")
            fault = world._fault_for(route.op, resource, path)
            if fault:
                message = fault.message or default_message(fault.code, route.op, resource, route.api, world.project_number)
                return fault.code, rest_error(fault.code, message, route.api, route.op, resource)
            try:
                body = route.handler(world, groups, query)
            except ApiError as e:
                return e.code, rest_error(e.code, e.message, route.api, route.op, resource, e.reason)
            except Exception as e:  # a bug of the world
                world._error(f"{route.op}: handler raised {e!r}")
                return 500, rest_error(500, f"gcp_world: handler raised {e!r}", route.api, route.op, resource)
            try:
                check_body(body, route.body_type)
            except Exception as e:
                name = getattr(route.body_type, "__name__", str(route.body_type))
                world._error(f"{route.op}: served body does not parse as {name}: {e}")
                return 500, rest_error(500, f"gcp_world: served body does not parse as {name}: {e}",
                                       route.api, route.op, resource)
            return 200, body

        def do_GET(self) -> None:
            self._dispatch()

        def do_POST(self) -> None:
            self._dispatch()

        def do_PATCH(self) -> None:
            self._dispatch()

        def do_PUT(self) -> None:
            self._dispatch()

        def do_DELETE(self) -> None:
            self._dispatch()

    return Handler


# --------------------------------------------------------------------------- gRPC: IAM


_SA_NAME = re.compile(r"projects/(?P<project>[^/]+)/serviceAccounts/(?P<email>[^/]+)")


def _sa_policy(w: GcpWorld, request: iam_policy_pb2.GetIamPolicyRequest) -> policy_pb2.Policy:
    m = _SA_NAME.fullmatch(request.resource)
    if not m:
        raise ApiError(400, f"Invalid resource name: {request.resource}")
    email = m["email"]  # the project segment may be "-" or any project: IAM resolves the email
    if email not in w.service_accounts:
        raise ApiError(404, f"Service account {request.resource} does not exist.")
    return json_format.ParseDict(w.service_accounts[email], policy_pb2.Policy(), ignore_unknown_fields=False)


def _get_role(w: GcpWorld, request: iam_admin_v1.GetRoleRequest) -> iam_admin_v1.Role:
    if request.name not in w.roles:
        raise ApiError(404, f"The role named {request.name} was not found.")
    return iam_admin_v1.Role.from_json(json.dumps(w.roles[request.name]), ignore_unknown_fields=False)


# --------------------------------------------------------------------------- gRPC: Monitoring


_MON_TERM = re.compile(
    r'\s*(?P<lhs>[\w.]+)\s*(?P<op>!=|=)\s*(?P<rhs>"(?:[^"\\]|\\.)*"|[\w.]+\((?:\s*"(?:[^"\\]|\\.)*"\s*,?)*\s*\))\s*')
_MON_ARGS = re.compile(r'"((?:[^"\\]|\\.)*)"')


def monitoring_filter(text: str) -> tuple[Callable[[Series], bool], str | None]:
    """Parse a Cloud Monitoring filter (the subset named in the module doc); also return the
    ``metric.type`` it names."""
    terms: list[tuple[str, str, str]] = []
    pos = 0
    while True:
        m = _MON_TERM.match(text, pos)
        if not m:
            raise ApiError(400, f"Field filter had an invalid value of \"{text}\": could not parse at {pos}.")
        terms.append((m["lhs"], m["op"], m["rhs"]))
        pos = m.end()
        if pos >= len(text):
            break
        j = re.compile(r"AND\s+").match(text, pos)
        if not j:
            raise ApiError(400, f"Field filter had an invalid value of \"{text}\": only AND is supported.")
        pos = j.end()

    def getter(lhs: str) -> Callable[[Series], str]:
        if lhs == "metric.type":
            return lambda s: s.metric_type
        if lhs == "resource.type":
            return lambda s: "nat_gateway"
        if lhs == "project":
            return lambda s: s.project_id
        parts = lhs.split(".")
        if len(parts) == 3 and parts[1] in ("label", "labels") and parts[0] in ("resource", "metric"):
            key = parts[2]
            if parts[0] == "resource":
                return lambda s: s.resource_labels.get(key, "")
            return lambda s: s.metric_labels.get(key, "")
        raise ApiError(400, f"Field filter had an invalid value of \"{text}\": unknown selector {lhs}.")

    def predicate(rhs: str) -> Callable[[str], bool]:
        args = [a.replace('\\"', '"') for a in _MON_ARGS.findall(rhs)]
        if rhs.startswith('"'):
            return lambda v: v == args[0]
        fn = rhs.split("(", 1)[0]
        if fn == "one_of":
            return lambda v: v in args
        if fn == "starts_with":
            return lambda v: v.startswith(args[0])
        if fn == "ends_with":
            return lambda v: v.endswith(args[0])
        if fn == "monitoring.regex.full_match":
            return lambda v: re.fullmatch(args[0], v) is not None
        raise ApiError(400, f"Field filter had an invalid value of \"{text}\": unknown function {fn}.")

    checks = [(getter(lhs), predicate(rhs), op == "=") for lhs, op, rhs in terms]
    metric_types = [rhs for lhs, op, rhs in terms if lhs == "metric.type" and op == "="]
    if not metric_types:
        raise ApiError(400, f"Field filter had an invalid value of \"{text}\": a filter must specify a metric type.")
    named = _MON_ARGS.findall(metric_types[0])
    return (lambda s: all(pred(get(s)) == want for get, pred, want in checks)), (named[0] if named else None)


def _typed(value_type: str, value: Any) -> monitoring_v3.TypedValue:
    key = {"INT64": "int64_value", "BOOL": "bool_value", "DOUBLE": "double_value", "STRING": "string_value"}
    return monitoring_v3.TypedValue(**{key[value_type]: value})


def _list_time_series(w: GcpWorld, request: monitoring_v3.ListTimeSeriesRequest) -> monitoring_v3.ListTimeSeriesResponse:
    ref = request.name.removeprefix("projects/")
    pid = w.project_id_of(ref)
    if not request.name.startswith("projects/") or pid is None:
        raise ApiError(403, "Permission monitoring.timeSeries.list denied (or the resource may not exist).")
    keep, _ = monitoring_filter(request.filter)
    pb = monitoring_v3.ListTimeSeriesRequest.pb(request)
    if not pb.HasField("interval") or not pb.interval.HasField("end_time"):
        raise ApiError(400, "Field interval.endTime had an invalid value: the end time is required.")
    end = request.interval.end_time
    start = request.interval.start_time if pb.interval.HasField("start_time") else end
    if start > end:
        raise ApiError(400, "Field interval.startTime had an invalid value: it must not be after the end time.")
    headers_only = request.view == monitoring_v3.ListTimeSeriesRequest.TimeSeriesView.HEADERS
    found: list[monitoring_v3.TimeSeries] = []
    for s in w.series:
        if s.project_id != pid or not keep(s):
            continue
        points = []
        for age, value in sorted(s.points, key=lambda p: p[0]):  # newest first
            t_end = w.now - dt.timedelta(seconds=age)
            if not start <= t_end <= end:
                continue
            t_start = t_end - dt.timedelta(seconds=60) if s.kind in ("DELTA", "CUMULATIVE") else t_end
            points.append(monitoring_v3.Point(interval=monitoring_v3.TimeInterval(start_time=t_start, end_time=t_end),
                                              value=_typed(s.value_type, value)))
        if not points:
            continue  # the API omits series without points in the interval
        found.append(monitoring_v3.TimeSeries(
            metric={"type": s.metric_type, "labels": s.metric_labels},
            resource={"type": "nat_gateway", "labels": s.resource_labels},
            metric_kind=metric_pb2.MetricDescriptor.MetricKind.Value(s.kind),
            value_type=metric_pb2.MetricDescriptor.ValueType.Value(s.value_type),
            points=[] if headers_only else points,
            unit=s.unit,
        ))
    size = request.page_size if 0 < request.page_size <= 100_000 else 100_000
    start_at = 0
    if request.page_token:
        try:
            start_at = int(base64.urlsafe_b64decode(request.page_token).decode().removeprefix("series:"))
        except Exception:
            raise ApiError(400, f"Field page_token had an invalid value of \"{request.page_token}\".") from None
    stop = start_at + size
    token = base64.urlsafe_b64encode(f"series:{stop}".encode()).decode() if stop < len(found) else ""
    return monitoring_v3.ListTimeSeriesResponse(time_series=found[start_at:stop], next_page_token=token)


def _to_dict(message: Any) -> dict[str, Any]:
    if isinstance(message, proto.Message):
        return type(message).to_dict(message)
    return json_format.MessageToDict(message)


def _grpc_resource(request: Any) -> str:
    for attr in ("resource", "name"):
        value = getattr(request, attr, "")
        if value:
            return str(value)
    return ""


class _GrpcService:
    def __init__(self, servers: GcpServers) -> None:
        self.servers = servers

    def unary(self, service: str, method: str, api: str, op: str, req: Any, resp: Any,
              fn: Callable[[GcpWorld, Any], Any]) -> grpc.RpcMethodHandler:
        full = f"/{service}/{method}"

        def handler(request: Any, context: grpc.ServicerContext) -> Any:
            world = self.servers.world
            if world is None:
                context.abort(grpc.StatusCode.UNAVAILABLE, "gcp_world: no world installed")
            resource = _grpc_resource(request)
            call = Call(op, api, "grpc", full, full, resource, _to_dict(request))
            world._record(call)
            error: ApiError | None = None
            answer = None
            metadata = dict(context.invocation_metadata())
            authorized = metadata.get("authorization") == f"Bearer {world.token}"
            fault = world._fault_for(op, resource, full) if authorized else None
            if not authorized:
                error = ApiError(401, default_message(401, op, resource, api), "ACCESS_TOKEN_TYPE_UNSUPPORTED")
            elif fault:
                error = ApiError(fault.code, fault.message
                                 or default_message(fault.code, op, resource, api, world.project_number))
            else:
                try:
                    answer = fn(world, request)
                except ApiError as e:
                    error = e
                except Exception as e:  # a bug of the world
                    world._error(f"{op}: handler raised {e!r}")
                    error = ApiError(500, f"gcp_world: handler raised {e!r}")
            if error is None:
                call.status, call.grpc_status = 200, "OK"
                return answer
            status_name, code = _CODES[error.code]
            call.status, call.grpc_status = error.code, code.name
            info = error_details_pb2.ErrorInfo(reason=_reason(error.code, api, error.reason),
                                               domain="iam.googleapis.com" if error.code == 403 else "googleapis.com",
                                               metadata={"service": _SERVICES[api], "method": full})
            detail = any_pb2.Any()
            detail.Pack(info)
            context.abort_with_status(rpc_status.to_status(status_pb2.Status(
                code=getattr(code_pb2, status_name), message=error.message, details=[detail])))
            return None  # not reached: abort_with_status raises

        return grpc.unary_unary_rpc_method_handler(handler, request_deserializer=req, response_serializer=resp)

    def handlers(self) -> list[grpc.GenericRpcHandler]:
        iam = grpc.method_handlers_generic_handler(IAM_SERVICE, {
            "GetIamPolicy": self.unary(IAM_SERVICE, "GetIamPolicy", "iam", "iam.serviceAccounts.getIamPolicy",
                                       iam_policy_pb2.GetIamPolicyRequest.FromString,
                                       policy_pb2.Policy.SerializeToString, _sa_policy),
            "GetRole": self.unary(IAM_SERVICE, "GetRole", "iam", "iam.roles.get",
                                  iam_admin_v1.GetRoleRequest.deserialize, iam_admin_v1.Role.serialize, _get_role),
        })
        monitoring = grpc.method_handlers_generic_handler(MONITORING_SERVICE, {
            "ListTimeSeries": self.unary(MONITORING_SERVICE, "ListTimeSeries", "monitoring",
                                         "monitoring.timeSeries.list",
                                         monitoring_v3.ListTimeSeriesRequest.deserialize,
                                         monitoring_v3.ListTimeSeriesResponse.serialize, _list_time_series),
        })
        return [iam, monitoring, _Unrouted(self.servers)]


class _Unrouted(grpc.GenericRpcHandler):
    """Answers any other gRPC method UNIMPLEMENTED and records it as a world error."""

    def __init__(self, servers: GcpServers) -> None:
        self.servers = servers

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler:
        method = str(handler_call_details.method)
        api = {IAM_SERVICE: "iam", MONITORING_SERVICE: "monitoring"}.get(method.split("/")[1], method.split("/")[1])

        def handler(request: bytes, context: grpc.ServicerContext) -> None:
            world = self.servers.world
            if world is not None:
                world._record(Call(None, api, "grpc", method, method, "", {}, 501, "UNIMPLEMENTED"))
                world._error(f"unrouted request gRPC {method}")
            context.abort(grpc.StatusCode.UNIMPLEMENTED, f"gcp_world: no handler for {method}")

        return grpc.unary_unary_rpc_method_handler(handler)


# --------------------------------------------------------------------------- TLS


class TlsFront:
    """A TLS-terminating TCP proxy on 127.0.0.1: ALPN ``h2`` goes to ``grpc_port``, anything else
    (``http/1.1``, no ALPN) to ``http_port``; the decrypted bytes are forwarded unchanged."""

    def __init__(self, ca: CaFiles, http_port: int, grpc_port: int) -> None:
        self._ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ctx.load_cert_chain(ca.cert_file, ca.key_file)
        self._ctx.set_alpn_protocols(["h2", "http/1.1"])
        self._ports = {"h2": grpc_port}
        self._default = http_port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="gcp-world-tls", daemon=True)
        self._tasks: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None
        self.port = 0
        #: the ALPN protocol of every connection accepted (None: the client offered none)
        self.alpn: list[str | None] = []

    def start(self) -> int:
        self._thread.start()
        fut = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        self.port = fut.result(10)
        return self.port

    async def _start(self) -> int:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0, ssl=self._ctx,
                                                  ssl_handshake_timeout=10)
        return int(self._server.sockets[0].getsockname()[1])

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        upstream: asyncio.StreamWriter | None = None
        try:
            ssl_object = writer.get_extra_info("ssl_object")
            alpn = ssl_object.selected_alpn_protocol() if ssl_object else None
            self.alpn.append(alpn)
            up_reader, upstream = await asyncio.open_connection("127.0.0.1", self._ports.get(alpn or "", self._default))
            await asyncio.gather(_pipe(reader, upstream), _pipe(up_reader, writer))
        except (OSError, ssl.SSLError, asyncio.CancelledError):
            pass
        finally:
            for w in (upstream, writer):
                if w is not None:
                    w.close()
            self._tasks.discard(task)

    async def _stop(self) -> None:
        assert self._server is not None
        self._server.close()
        tasks = list(self._tasks)
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.sleep(0.05)  # let the transports finish closing
        await self._server.wait_closed()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (OSError, ssl.SSLError):
        pass
    finally:
        if writer.can_write_eof():
            with contextlib.suppress(OSError):
                writer.write_eof()
        else:
            writer.close()


# --------------------------------------------------------------------------- servers


class GcpServers:
    """The plaintext REST and gRPC servers and the TLS front, serving whichever world is
    installed. Start once per session (the CA must not change within a process: gRPC reads
    ``GRPC_DEFAULT_SSL_ROOTS_FILE_PATH`` once, on its first TLS channel)."""

    def __init__(self, ca: CaFiles) -> None:
        self.ca = ca
        self.world: GcpWorld | None = None
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _make_http_handler(self))
        self._http.daemon_threads = True
        self._http_thread = threading.Thread(target=self._http.serve_forever, kwargs={"poll_interval": 0.05},
                                             name="gcp-world-http", daemon=True)
        self._grpc = grpc.server(futures.ThreadPoolExecutor(max_workers=8, thread_name_prefix="gcp-world-grpc"))
        self._grpc.add_generic_rpc_handlers(_GrpcService(self).handlers())
        self.grpc_port = self._grpc.add_insecure_port("127.0.0.1:0")
        self.http_port = int(self._http.server_address[1])
        self.front = TlsFront(ca, self.http_port, self.grpc_port)
        self.port = 0

    @property
    def endpoint(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def grpc_endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> GcpServers:
        self._http_thread.start()
        self._grpc.start()
        self.port = self.front.start()
        return self

    def stop(self) -> None:
        self.front.stop()
        self._grpc.stop(None).wait(5)
        self._http.shutdown()
        self._http.server_close()
        self._http_thread.join(5)

    def install(self, world: GcpWorld) -> GcpWorld:
        world.endpoint, world.grpc_endpoint, world.ca_file = self.endpoint, self.grpc_endpoint, self.ca.ca_file
        self.world = world
        return world

    def uninstall(self) -> None:
        self.world = None

    @contextlib.contextmanager
    def serving(self, world: GcpWorld) -> Iterator[GcpWorld]:
        previous = self.world
        self.install(world)
        try:
            yield world
        finally:
            self.world = previous
