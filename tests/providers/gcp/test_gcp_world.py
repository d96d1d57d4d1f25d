"""The fake Google Cloud (gcp_world) answers the REAL Google client libraries, REST and gRPC,
through its one TLS endpoint, with the world's data, Google's error formats and a request log."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import ssl
from collections import Counter
from typing import Any

import pytest
from gcp_world import (
    APPS_REPO,
    AR_READER,
    CLUSTER,
    CLUSTER_NAME,
    COMPUTE_DEFAULT_SA,
    CUSTOM_ROLE,
    DOWNLOAD_ARTIFACTS,
    FILLER_DISKS,
    GCR_REPO,
    GSA_BILLING,
    GSA_EXPORT,
    GSA_GHOST,
    GSA_ML,
    GSA_ORDERS,
    GSA_REPORTS,
    LEGACY_NAT,
    LOCATION,
    MTU,
    NAT,
    NAT_ALLOCATED_PORTS,
    NAT_ALLOCATION_FAILED,
    NAT_DROPPED,
    NAT_PORT_USAGE,
    NETWORK_URL,
    NODE_INSTANCE_URL,
    NODE_SA,
    PROJECT,
    PROJECT_NUMBER,
    PROJECT_URL,
    REGION,
    REGIONAL_DISK,
    ROUTER,
    ROUTER_ID,
    SHARED_PROJECT,
    SUBNETWORK,
    TOKEN,
    WI_USER,
    WORKLOAD_POOL,
    ZONAL_DISK,
    ZONAL_DISK_B,
    GcpServers,
    GcpWorld,
    check_body,
    default_cluster,
    default_disks,
    default_networks,
    default_project_policies,
    default_projects,
    default_repositories,
    default_roles,
    default_routers,
    default_service_accounts,
    default_subnetworks,
)
from google.api import metric_pb2
from google.api_core import exceptions as gexc
from google.auth.exceptions import RefreshError
from google.cloud import (
    artifactregistry_v1,
    compute_v1,
    container_v1,
    iam_admin_v1,
    monitoring_v3,
    resourcemanager_v3,
)
from google.iam.v1 import policy_pb2
from google.oauth2.credentials import Credentials


def _creds(token: str = TOKEN) -> Credentials:
    return Credentials(token=token)


def _rest(cls: Any, gcp: GcpWorld, token: str = TOKEN) -> Any:
    return cls(credentials=_creds(token), transport="rest", client_options={"api_endpoint": gcp.endpoint})


def _grpc(cls: Any, gcp: GcpWorld, token: str = TOKEN) -> Any:
    return cls(credentials=_creds(token), transport="grpc", client_options={"api_endpoint": gcp.grpc_endpoint})


def _members(p: policy_pb2.Policy, role: str) -> set[str]:
    return {m for b in p.bindings if b.role == role for m in b.members}


def _last_hour(gcp: GcpWorld, minutes: int = 60) -> monitoring_v3.TimeInterval:
    return monitoring_v3.TimeInterval(start_time=gcp.now - dt.timedelta(minutes=minutes), end_time=gcp.now)


# --------------------------------------------------------------------------- the fixture


def test_fixture_points_clients_at_one_tls_endpoint_and_trusts_its_ca(gcp: GcpWorld) -> None:
    port = gcp.endpoint.rsplit(":", 1)[1]
    assert gcp.endpoint == f"https://127.0.0.1:{port}" and gcp.grpc_endpoint == f"127.0.0.1:{port}"
    assert os.environ["REQUESTS_CA_BUNDLE"] == gcp.ca_file == os.environ["GRPC_DEFAULT_SSL_ROOTS_FILE_PATH"]
    assert os.environ["GOOGLE_OAUTH_ACCESS_TOKEN"] == "test-token" and os.environ["NO_GCE_CHECK"] == "True"
    assert "GOOGLE_CLOUD_PROJECT" not in os.environ
    assert gcp.log == [] and gcp.faults == [] and gcp.errors == []


def test_alpn_sends_http1_to_rest_and_h2_to_grpc(gcp: GcpWorld, gcp_servers: GcpServers) -> None:
    gcp_servers.front.alpn.clear()
    ctx = ssl.create_default_context(cafile=gcp.ca_file)
    ctx.set_alpn_protocols(["http/1.1"])
    conn = http.client.HTTPSConnection("127.0.0.1", gcp_servers.port, context=ctx, timeout=5)
    conn.request("GET", f"/v3/projects/{PROJECT}", headers={"Authorization": f"Bearer {TOKEN}"})
    resp = conn.getresponse()
    assert resp.status == 200 and json.loads(resp.read())["projectId"] == PROJECT
    conn.close()
    with _grpc(iam_admin_v1.IAMClient, gcp) as iam:
        iam.get_role(request={"name": CUSTOM_ROLE})
    # a client that offers no ALPN gets HTTP/1.1 too; the certificate names localhost as well
    conn = http.client.HTTPSConnection("localhost", gcp_servers.port, context=ssl.create_default_context(
        cafile=gcp.ca_file), timeout=5)
    conn.request("GET", f"/v3/projects/{PROJECT}")
    resp = conn.getresponse()
    body = json.loads(resp.read())
    conn.close()
    assert resp.status == 401 and body["error"]["status"] == "UNAUTHENTICATED"
    assert gcp_servers.front.alpn == ["http/1.1", "h2", None]


# --------------------------------------------------------------------------- container (REST)


def test_get_cluster_over_rest(gcp: GcpWorld) -> None:
    cluster = _rest(container_v1.ClusterManagerClient, gcp).get_cluster(name=CLUSTER_NAME)
    assert (cluster.name, cluster.location, cluster.network, cluster.subnetwork) == (
        CLUSTER, LOCATION, "prod-vpc", "prod-nodes")
    assert cluster.workload_identity_config.workload_pool == WORKLOAD_POOL == "acme-prod.svc.id.goog"
    ip = cluster.ip_allocation_policy
    assert (ip.cluster_secondary_range_name, ip.cluster_ipv4_cidr_block) == ("prod-pods", "10.64.0.0/19")
    assert ip.services_secondary_range_name == "prod-services" and 0 < ip.default_pod_ipv4_range_utilization < 1
    assert cluster.default_max_pods_constraint.max_pods_per_node == 110
    pools = {p.name: p for p in cluster.node_pools}
    default, batch = pools["default-pool"], pools["batch-pool"]
    assert list(default.locations) == ["us-central1-a", "us-central1-b", "us-central1-c"]
    a = default.autoscaling
    assert (a.enabled, a.min_node_count, a.max_node_count, a.total_min_node_count, a.total_max_node_count) == (
        True, 1, 3, 0, 0)
    assert a.location_policy == container_v1.NodePoolAutoscaling.LocationPolicy.BALANCED
    assert default.config.machine_type == "e2-standard-4" and default.config.service_account == NODE_SA
    assert default.config.workload_metadata_config.mode == container_v1.WorkloadMetadataConfig.Mode.GKE_METADATA
    assert default.max_pods_constraint.max_pods_per_node == 110 and default.network_config.pod_range == "prod-pods"
    assert list(batch.locations) == ["us-central1-a"]
    assert (batch.autoscaling.min_node_count, batch.autoscaling.max_node_count) == (0, 2)
    [taint] = batch.config.taints
    assert (taint.key, taint.value, taint.effect) == ("dedicated", "batch", container_v1.NodeTaint.Effect.NO_SCHEDULE)
    assert batch.config.workload_metadata_config.mode == container_v1.WorkloadMetadataConfig.Mode.GCE_METADATA
    assert batch.config.service_account == "default"
    [call] = gcp.calls("container.clusters.get")
    assert (call.api, call.transport, call.method, call.status) == ("container", "rest", "GET", 200)
    assert call.path == f"/v1/{CLUSTER_NAME}" == "/v1/projects/acme-prod/locations/us-central1/clusters/prod"


def test_cluster_edits_404_and_injected_403(gcp: GcpWorld) -> None:
    client = _rest(container_v1.ClusterManagerClient, gcp)
    gcp.node_pool("batch-pool")["config"]["workloadMetadataConfig"]["mode"] = "GKE_METADATA"
    del gcp.cluster["workloadIdentityConfig"]
    cluster = client.get_cluster(name=CLUSTER_NAME)
    assert not cluster.workload_identity_config.workload_pool
    assert cluster.node_pools[1].config.workload_metadata_config.mode.name == "GKE_METADATA"
    with pytest.raises(gexc.NotFound, match="clusters/nope"):
        client.get_cluster(name=f"projects/{PROJECT}/locations/{LOCATION}/clusters/nope")
    gcp.fail("container.clusters.get", 403)
    with pytest.raises(gexc.Forbidden) as denied:  # over REST api_core maps by HTTP code: 403 is Forbidden
        client.get_cluster(name=CLUSTER_NAME)
    assert type(denied.value) is gexc.Forbidden and denied.value.reason == "IAM_PERMISSION_DENIED" and "container.clusters.get" in denied.value.message
    assert [c.status for c in gcp.calls("container.clusters.get")] == [200, 404, 403]


# --------------------------------------------------------------------------- resourcemanager, artifactregistry (REST)


def test_projects_and_their_iam_policies(gcp: GcpWorld) -> None:
    client = _rest(resourcemanager_v3.ProjectsClient, gcp)
    project = client.get_project(name=f"projects/{PROJECT}")
    assert (project.project_id, project.name) == (PROJECT, f"projects/{PROJECT_NUMBER}")
    assert project.state == resourcemanager_v3.Project.State.ACTIVE
    assert client.get_project(name=f"projects/{PROJECT_NUMBER}").project_id == PROJECT
    prod = client.get_iam_policy(resource=f"projects/{PROJECT}")
    assert f"serviceAccount:{NODE_SA}" in _members(prod, AR_READER)
    assert not any(f"serviceAccount:{COMPUTE_DEFAULT_SA}" in _members(prod, r)
                   for r in (AR_READER, CUSTOM_ROLE, "roles/editor", "roles/owner"))
    shared = client.get_iam_policy(request={"resource": f"projects/{SHARED_PROJECT}",
                                            "options": {"requested_policy_version": 3}})
    assert not _members(shared, AR_READER)
    with pytest.raises(gexc.Forbidden):
        client.get_project(name="projects/not-mine")
    gets = gcp.calls("resourcemanager.projects.getIamPolicy")
    assert [(c.method, c.path) for c in gets] == [("POST", "/v3/projects/acme-prod:getIamPolicy"),
                                                  ("POST", "/v3/projects/acme-shared:getIamPolicy")]
    assert gets[1].params["options"] == {"requestedPolicyVersion": 3}
    assert [c.path for c in gcp.calls("resourcemanager.projects.get")] == [
        "/v3/projects/acme-prod", f"/v3/projects/{PROJECT_NUMBER}", "/v3/projects/not-mine"]


def test_artifact_registry_repository_policies(gcp: GcpWorld) -> None:
    client = _rest(artifactregistry_v1.ArtifactRegistryClient, gcp)
    assert _members(client.get_iam_policy(request={"resource": GCR_REPO}), AR_READER) == {f"serviceAccount:{NODE_SA}"}
    assert not client.get_iam_policy(request={"resource": APPS_REPO}).bindings
    with pytest.raises(gexc.NotFound):
        client.get_iam_policy(request={"resource": f"projects/{PROJECT}/locations/us/repositories/nope"})
    calls = gcp.calls("artifactregistry.repositories.getIamPolicy")
    assert [(c.method, c.path, c.status) for c in calls] == [
        ("GET", "/v1/projects/acme-shared/locations/us/repositories/gcr.io:getIamPolicy", 200),
        ("GET", "/v1/projects/acme-prod/locations/us-central1/repositories/apps:getIamPolicy", 200),
        ("GET", "/v1/projects/acme-prod/locations/us/repositories/nope:getIamPolicy", 404)]


# --------------------------------------------------------------------------- compute (REST)


def test_aggregated_disks_page_over_several_pages(gcp: GcpWorld) -> None:
    client = _rest(compute_v1.DisksClient, gcp)
    scoped = list(client.aggregated_list(request={"project": PROJECT, "max_results": 10}))
    disks = {d.name: (scope, d) for scope, lst in scoped for d in lst.disks}
    assert len(disks) == 3 + FILLER_DISKS
    calls = gcp.calls("compute.disks.list")
    assert len(calls) == 3 and all(c.params["maxResults"] == "10" for c in calls)
    assert "pageToken" not in calls[0].params and calls[0].path == "/compute/v1/projects/acme-prod/aggregated/disks"
    assert any(lst.warning.code == "NO_RESULTS_ON_PAGE" for _, lst in scoped)
    scope, zonal = disks[ZONAL_DISK]
    assert scope == "zones/us-central1-a" and list(zonal.users) == [NODE_INSTANCE_URL]
    assert zonal.type_.endswith("/zones/us-central1-a/diskTypes/pd-balanced") and zonal.size_gb == 10
    assert json.loads(zonal.description)["kubernetes.io/created-for/pvc/namespace"] == "shop"
    assert disks[ZONAL_DISK_B][0] == "zones/us-central1-b" and not disks[ZONAL_DISK_B][1].users
    scope, regional = disks[REGIONAL_DISK]
    assert scope == "regions/us-central1" and list(regional.replica_zones) == [
        f"{PROJECT_URL}/zones/us-central1-a", f"{PROJECT_URL}/zones/us-central1-b"]
    # one page without maxResults (500), and the filter is honoured
    gcp.clear_log()
    assert len([d for _, lst in client.aggregated_list(project=PROJECT) for d in lst.disks]) == 3 + FILLER_DISKS
    only = [d.name for _, lst in client.aggregated_list(request={"project": PROJECT, "filter": f'name = "{ZONAL_DISK}"'})
            for d in lst.disks]
    assert only == [ZONAL_DISK] and gcp.count("compute.disks.list") == 2


def test_routers_subnetwork_and_network(gcp: GcpWorld) -> None:
    routers = {r.name: r for r in _rest(compute_v1.RoutersClient, gcp).list(project=PROJECT, region=REGION)}
    prod = routers[ROUTER]
    assert (prod.network, prod.id) == (NETWORK_URL, int(ROUTER_ID))
    assert NETWORK_URL == "https://www.googleapis.com/compute/v1/projects/acme-prod/global/networks/prod-vpc"
    [nat] = prod.nats
    assert (nat.name, nat.min_ports_per_vm, nat.enable_dynamic_port_allocation) == (NAT, 64, False)
    assert (nat.nat_ip_allocate_option, nat.source_subnetwork_ip_ranges_to_nat) == (
        "AUTO_ONLY", "ALL_SUBNETWORKS_ALL_IP_RANGES")
    assert routers["other-router"].network.endswith("/legacy-vpc") and routers["other-router"].nats[0].name == LEGACY_NAT
    subnet = _rest(compute_v1.SubnetworksClient, gcp).get(project=PROJECT, region=REGION, subnetwork=SUBNETWORK)
    assert subnet.ip_cidr_range == "10.10.0.0/20"
    assert {(r.range_name, r.ip_cidr_range) for r in subnet.secondary_ip_ranges} == {
        ("prod-pods", "10.64.0.0/19"), ("prod-services", "10.96.0.0/20")}
    networks = _rest(compute_v1.NetworksClient, gcp)
    assert networks.get(project=PROJECT, network="prod-vpc").mtu == MTU == 1460
    with pytest.raises(gexc.NotFound, match="networks/nope"):
        networks.get(project=PROJECT, network="nope")
    assert [(c.op, c.method, c.path) for c in gcp.calls()] == [
        ("compute.routers.list", "GET", "/compute/v1/projects/acme-prod/regions/us-central1/routers"),
        ("compute.subnetworks.get", "GET", "/compute/v1/projects/acme-prod/regions/us-central1/subnetworks/prod-nodes"),
        ("compute.networks.get", "GET", "/compute/v1/projects/acme-prod/global/networks/prod-vpc"),
        ("compute.networks.get", "GET", "/compute/v1/projects/acme-prod/global/networks/nope")]


def test_injected_compute_faults_use_computes_error_format(gcp: GcpWorld) -> None:
    client = _rest(compute_v1.RoutersClient, gcp)
    gcp.fail("compute.routers.list", 403)
    with pytest.raises(gexc.Forbidden) as denied:
        list(client.list(project=PROJECT, region=REGION))
    assert denied.value.errors[0]["reason"] == "forbidden"
    assert "Required 'compute.routers.list' permission" in denied.value.message
    gcp.faults.clear()
    gcp.fail("compute.routers.list", 429, times=1)
    with pytest.raises(gexc.TooManyRequests):
        list(client.list(project=PROJECT, region=REGION))
    assert len(list(client.list(project=PROJECT, region=REGION))) == 2  # the fault was for one call only
    assert [c.status for c in gcp.calls("compute.routers.list")] == [403, 429, 200]


# --------------------------------------------------------------------------- IAM (gRPC)


def test_service_account_policies_and_roles_over_grpc(gcp: GcpWorld) -> None:
    with _grpc(iam_admin_v1.IAMClient, gcp) as iam:
        def members(email: str) -> set[str]:
            return _members(iam.get_iam_policy(request={"resource": f"projects/-/serviceAccounts/{email}"}), WI_USER)

        assert members(GSA_ORDERS) == {"serviceAccount:acme-prod.svc.id.goog[shop/orders]"}
        assert members(GSA_EXPORT) == {"serviceAccount:acme-prod.svc.id.goog[default/export]"}
        assert members(GSA_BILLING) == {"serviceAccount:acme-prod.svc.id.goog[shop/billing]"}
        assert members(GSA_REPORTS) == {
            "principal://iam.googleapis.com/projects/482901337755/locations/global/workloadIdentityPools/"
            "acme-prod.svc.id.goog/subject/ns/shop/sa/reports"}
        assert members(GSA_ML) == {
            "principalSet://iam.googleapis.com/projects/482901337755/locations/global/workloadIdentityPools/"
            "acme-prod.svc.id.goog/namespace/ml"}
        with pytest.raises(gexc.NotFound):
            members(GSA_GHOST)
        role = iam.get_role(request={"name": CUSTOM_ROLE})
        assert DOWNLOAD_ARTIFACTS in role.included_permissions
        assert DOWNLOAD_ARTIFACTS in iam.get_role(request={"name": AR_READER}).included_permissions
        with pytest.raises(gexc.NotFound):
            iam.get_role(request={"name": "roles/nope"})
    policy_calls = gcp.calls("iam.serviceAccounts.getIamPolicy")
    assert len(policy_calls) == 6 and policy_calls[-1].grpc_status == "NOT_FOUND"
    assert {c.method for c in policy_calls} == {"/google.iam.admin.v1.IAM/GetIamPolicy"}
    assert policy_calls[2].resource == f"projects/-/serviceAccounts/{GSA_BILLING}"
    assert [c.grpc_status for c in gcp.calls("iam.roles.get")] == ["OK", "OK", "NOT_FOUND"]
    assert gcp.calls("iam.roles.get")[0].method == "/google.iam.admin.v1.IAM/GetRole"


def test_injected_grpc_faults(gcp: GcpWorld) -> None:
    gcp.fail("iam.serviceAccounts.getIamPolicy", "PERMISSION_DENIED", match="orders@")
    gcp.fail("monitoring.timeSeries.list", 429, times=1)
    with _grpc(iam_admin_v1.IAMClient, gcp) as iam:
        with pytest.raises(gexc.PermissionDenied) as denied:  # gRPC: the subclass of Forbidden
            iam.get_iam_policy(request={"resource": f"projects/-/serviceAccounts/{GSA_ORDERS}"})
        assert denied.value.reason == "IAM_PERMISSION_DENIED"
        iam.get_iam_policy(request={"resource": f"projects/{PROJECT}/serviceAccounts/{GSA_EXPORT}"})
    request = {"name": f"projects/{PROJECT}", "filter": f'metric.type = "{NAT_PORT_USAGE}"',
               "interval": _last_hour(gcp)}
    with _grpc(monitoring_v3.MetricServiceClient, gcp) as monitoring:
        with pytest.raises(gexc.ResourceExhausted):
            list(monitoring.list_time_series(request=request))
        assert len(list(monitoring.list_time_series(request=request))) == 2
    assert [c.grpc_status for c in gcp.calls()] == ["PERMISSION_DENIED", "OK", "RESOURCE_EXHAUSTED", "OK"]


def test_wrong_token_is_unauthenticated_over_rest_and_grpc(gcp: GcpWorld) -> None:
    # over REST, AuthorizedSession answers a 401 by refreshing the credentials, which a bare token cannot
    with pytest.raises(RefreshError):
        _rest(container_v1.ClusterManagerClient, gcp, token="stolen").get_cluster(name=CLUSTER_NAME)
    with _grpc(iam_admin_v1.IAMClient, gcp, token="stolen") as iam, pytest.raises(gexc.Unauthenticated):
        iam.get_role(request={"name": CUSTOM_ROLE})
    assert [c.status for c in gcp.calls()] == [401, 401]


# --------------------------------------------------------------------------- Monitoring (gRPC)


def test_nat_time_series_filtered_by_metric_and_gateway(gcp: GcpWorld) -> None:
    prod_nat = (f'metric.type = "{NAT_DROPPED}" AND resource.type = "nat_gateway" '
                f'AND resource.labels.region = "{REGION}" AND resource.labels.gateway_name = "{NAT}"')
    with _grpc(monitoring_v3.MetricServiceClient, gcp) as monitoring:
        def series(flt: str, minutes: int = 60, **kw: Any) -> list[monitoring_v3.TimeSeries]:
            return list(monitoring.list_time_series(request={
                "name": f"projects/{PROJECT}", "filter": flt, "interval": _last_hour(gcp, minutes), **kw}))

        dropped = {s.metric.labels["reason"]: s for s in series(prod_nat)}
        assert {r: sum(p.value.int64_value for p in s.points) for r, s in dropped.items()} == {
            "OUT_OF_RESOURCES": 1834, "ENDPOINT_INDEPENDENCE_CONFLICT": 12}
        ofr = dropped["OUT_OF_RESOURCES"]
        assert ofr.resource.type == "nat_gateway" and dict(ofr.resource.labels) == {
            "project_id": PROJECT, "region": REGION, "router_id": ROUTER_ID, "gateway_name": NAT}
        ends = [p.interval.end_time for p in ofr.points]
        assert ends == sorted(ends, reverse=True)  # newest first, as the API answers
        assert ofr.metric_kind == metric_pb2.MetricDescriptor.MetricKind.DELTA
        assert ofr.value_type == metric_pb2.MetricDescriptor.ValueType.INT64
        # every gateway without the gateway term; a narrower interval keeps fewer points
        assert {s.resource.labels["gateway_name"] for s in series(f'metric.type = "{NAT_DROPPED}"')} == {
            NAT, LEGACY_NAT}
        assert len(series(prod_nat, minutes=15)[0].points) == 2
        failed = series(f'metric.type = "{NAT_ALLOCATION_FAILED}" AND resource.labels.router_id = "{ROUTER_ID}"')
        assert len(failed) == 1 and any(p.value.bool_value for p in failed[0].points)
        assert len(series(f'metric.type = "{NAT_ALLOCATED_PORTS}" AND resource.labels.gateway_name = "{NAT}"')) == 1
        headers = series(prod_nat, view=monitoring_v3.ListTimeSeriesRequest.TimeSeriesView.HEADERS)
        assert len(headers) == 2 and not any(s.points for s in headers)
        with pytest.raises(gexc.InvalidArgument):
            series('resource.type = "nat_gateway"')  # no metric type
        gcp.clear_log()
        assert len(series(prod_nat, page_size=1)) == 2  # two pages of one series
    calls = gcp.calls("monitoring.timeSeries.list")
    assert len(calls) == 2 and calls[0].method == "/google.monitoring.v3.MetricService/ListTimeSeries"
    assert calls[0].params["filter"] == prod_nat and calls[1].params["page_token"]


# --------------------------------------------------------------------------- body checks, unrouted calls, the log


def test_default_bodies_parse_as_the_sdk_types_and_a_misspelling_does_not() -> None:
    check_body(default_cluster(), container_v1.Cluster)
    for project in default_projects().values():
        check_body(project, resourcemanager_v3.Project)
    for policies in (default_project_policies(), default_service_accounts(), default_repositories()):
        for p in policies.values():
            check_body(p, policy_pb2.Policy)
    for role in default_roles().values():
        check_body(role, iam_admin_v1.Role)
    for disk in default_disks():
        check_body(disk, compute_v1.Disk)
    for router in default_routers()[REGION]:
        check_body(router, compute_v1.Router)
    for subnet in default_subnetworks().values():
        check_body(subnet, compute_v1.Subnetwork)
    for network in default_networks().values():
        check_body(network, compute_v1.Network)
    with pytest.raises(Exception, match="workloadPoool"):
        check_body({"workloadIdentityConfig": {"workloadPoool": "x"}}, container_v1.Cluster)
    with pytest.raises(Exception, match="member"):
        check_body({"bindings": [{"role": "r", "member": ["x"]}]}, policy_pb2.Policy)


def test_a_misspelled_served_field_fails_loudly(gcp: GcpWorld) -> None:
    gcp.router(ROUTER)["nats"][0]["minPortPerVm"] = 64
    with pytest.raises(gexc.InternalServerError, match="RouterList"):
        list(_rest(compute_v1.RoutersClient, gcp).list(project=PROJECT, region=REGION))
    assert len(gcp.errors) == 1 and "minPortPerVm" in gcp.errors[0]
    gcp.errors.clear()  # else the fixture fails this test at teardown


def test_an_unrouted_call_is_recorded_as_a_world_error(gcp: GcpWorld) -> None:
    with pytest.raises(gexc.NotFound):
        _rest(container_v1.ClusterManagerClient, gcp).list_clusters(parent=f"projects/{PROJECT}/locations/-")
    assert gcp.ops() == [None] and gcp.errors == ["unrouted request GET /v1/projects/acme-prod/locations/-/clusters"]
    with _grpc(iam_admin_v1.IAMClient, gcp) as iam, pytest.raises(gexc.MethodNotImplemented):
        iam.get_service_account(name=f"projects/-/serviceAccounts/{GSA_ORDERS}")
    assert gcp.errors[1] == "unrouted request gRPC /google.iam.admin.v1.IAM/GetServiceAccount"
    assert gcp.calls()[1].api == "iam" and gcp.calls()[1].grpc_status == "UNIMPLEMENTED"
    gcp.errors.clear()


def test_the_log_counts_every_call_of_a_full_scan(gcp: GcpWorld) -> None:
    _rest(container_v1.ClusterManagerClient, gcp).get_cluster(name=CLUSTER_NAME)
    _rest(resourcemanager_v3.ProjectsClient, gcp).get_iam_policy(resource=f"projects/{PROJECT}")
    _rest(artifactregistry_v1.ArtifactRegistryClient, gcp).get_iam_policy(request={"resource": GCR_REPO})
    list(_rest(compute_v1.DisksClient, gcp).aggregated_list(request={"project": PROJECT, "max_results": 10}))
    list(_rest(compute_v1.RoutersClient, gcp).list(project=PROJECT, region=REGION))
    with _grpc(iam_admin_v1.IAMClient, gcp) as iam:
        for email in (GSA_ORDERS, GSA_EXPORT):
            iam.get_iam_policy(request={"resource": f"projects/-/serviceAccounts/{email}"})
    with _grpc(monitoring_v3.MetricServiceClient, gcp) as monitoring:
        list(monitoring.list_time_series(name=f"projects/{PROJECT}", filter=f'metric.type = "{NAT_DROPPED}"',
                                         interval=_last_hour(gcp)))
    assert Counter(gcp.ops()) == {
        "container.clusters.get": 1, "resourcemanager.projects.getIamPolicy": 1,
        "artifactregistry.repositories.getIamPolicy": 1, "compute.disks.list": 3, "compute.routers.list": 1,
        "iam.serviceAccounts.getIamPolicy": 2, "monitoring.timeSeries.list": 1}
    assert {c.transport for c in gcp.calls() if c.api in ("iam", "monitoring")} == {"grpc"}
    assert all(c.status == 200 for c in gcp.calls())
