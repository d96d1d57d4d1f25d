"""A replayed Azure Resource Manager for the ``aks`` demo cluster.

Bodies are shaped as the ARM REST API reference documents them (ManagedCluster, AgentPool,
Identity, FederatedIdentityCredential, Registry, RoleAssignment, NatGateway, VirtualNetwork,
Subnet, VirtualNetworkUsage, PrivateEndpoint, Disk, Monitor metrics Response). List bodies are
``{"value": [...], "nextLink": ...}`` pages. The regional metrics data plane
(``POST https://<region>.metrics.monitor.azure.com/subscriptions/<sub>/metrics:getBatch``) answers
a ``MetricResults`` body: ``{"values": [{"starttime", "endtime", "interval", "namespace",
"resourceregion", "resourceid", "value": [Metric...]}]}``. The same :class:`ArmWorld` serves
``responses`` (in-process) and a pytest-httpserver TLS server (the CLI test); it records every
request's ARM operation.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from r2c_clouds.demo._build import aks as demo
from r2c_clouds.providers.azure._arm import arm_operation

SUB = demo.SUB
RG = demo.RG
NAME = demo.NAME
LOCATION = demo.LOCATION
NODE_RG = demo.NODE_RG
CLUSTER_ID = demo.CLUSTER_ID
ISSUER = demo.ISSUER
KUBELET_OBJECT_ID = "5f6e7d8c-9b0a-4c1d-8e2f-3a4b5c6d7e8f"
ACR_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerRegistry/registries/paymentsacr"
VNET_ID = demo.VNET
SUBNET_ID = f"{VNET_ID}/subnets/aks-subnet"
DISK_NAME = "pvc-4c60d723-ec75-5b47-bda3-bf19c21f5453"
DISK_ID = f"/subscriptions/{SUB}/resourceGroups/{NODE_RG.lower()}/providers/Microsoft.Compute/disks/{DISK_NAME}"
ACR_PULL = "7f951dda-4ed3-4680-a7ca-43fe172d538d"
UAMI = "Microsoft.ManagedIdentity/userAssignedIdentities"

AUTHZ_FAILED = {
    "error": {
        "code": "AuthorizationFailed",
        "message": (
            "The client '1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9' with object id '1b2c3d4e-5f60-4718-8293-a4b5c6d7e8f9' "
            "does not have authorization to perform action '{action}' over scope '{scope}' or the scope is "
            "invalid. If access was recently granted, please refresh your credentials."
        ),
    }
}


def _pool(name: str, mode: str, vm: str, zones: list[str], lo: int, hi: int, count: int) -> dict[str, Any]:
    return {
        "id": f"{CLUSTER_ID}/agentPools/{name}",
        "name": name,
        "type": "Microsoft.ContainerService/managedClusters/agentPools",
        "properties": {
            "count": count,
            "vmSize": vm,
            "osDiskSizeGB": 128,
            "osDiskType": "Ephemeral",
            "kubeletDiskType": "OS",
            "maxPods": 250,
            "type": "VirtualMachineScaleSets",
            "availabilityZones": zones,
            "maxCount": hi,
            "minCount": lo,
            "enableAutoScaling": True,
            "provisioningState": "Succeeded",
            "powerState": {"code": "Running"},
            "orchestratorVersion": "1.30.6",
            "currentOrchestratorVersion": "1.30.6",
            "mode": mode,
            "osType": "Linux",
            "osSKU": "Ubuntu",
            "nodeImageVersion": "AKSUbuntu-2204gen2containerd-202411.12.0",
            "enableFIPS": False,
        },
    }


def managed_cluster(*, keda: bool = False, workload_identity: bool = True, user_nat: bool = False,
                    private: bool = False) -> dict[str, Any]:
    """The ``aks-payments`` ManagedCluster (api-version 2026-08-01 shape); ``private``: a
    private cluster (``apiServerAccessProfile.enablePrivateCluster``)."""
    pools = [p["properties"] | {"name": p["name"]} for p in POOLS]
    if user_nat:
        pools = [p | {"vnetSubnetID": SUBNET_ID} for p in pools]
    return {
        "id": CLUSTER_ID,
        "location": LOCATION,
        "name": NAME,
        "type": "Microsoft.ContainerService/ManagedClusters",
        "sku": {"name": "Base", "tier": "Standard"},
        "identity": {
            "type": "SystemAssigned",
            "principalId": "8a9b0c1d-2e3f-4a5b-9c6d-7e8f9a0b1c2d",
            "tenantId": demo.TENANT,
        },
        "properties": {
            "provisioningState": "Succeeded",
            "powerState": {"code": "Running"},
            "kubernetesVersion": "1.30.6",
            "currentKubernetesVersion": "1.30.6",
            "dnsPrefix": "aks-paymen-rg-payments-3f2c8a",
            "fqdn": "aks-paymen-rg-payments-3f2c8a-x7k2m9p4.hcp.westeurope.azmk8s.io",
            "agentPoolProfiles": pools,
            "nodeResourceGroup": NODE_RG,
            "enableRBAC": True,
            "oidcIssuerProfile": {"enabled": True, "issuerURL": ISSUER},
            "securityProfile": {"workloadIdentity": {"enabled": workload_identity}},
            "workloadAutoScalerProfile": {"keda": {"enabled": keda}},
            "identityProfile": {
                "kubeletidentity": {
                    "resourceId": demo.KUBELET_IDENTITY,
                    "clientId": demo.KUBELET_CLIENT_ID,
                    "objectId": KUBELET_OBJECT_ID,
                }
            },
            "networkProfile": {
                "networkPlugin": "azure",
                "networkPluginMode": "overlay",
                "networkPolicy": "none",
                "networkDataplane": "azure",
                "podCidr": "10.244.0.0/16",
                "serviceCidr": "10.0.0.0/16",
                "dnsServiceIP": "10.0.0.10",
                "outboundType": "userAssignedNATGateway" if user_nat else "managedNATGateway",
                "natGatewayProfile": {
                    "managedOutboundIPProfile": {"count": 1},
                    "idleTimeoutInMinutes": 4,
                    "effectiveOutboundIPs": [
                        {"id": f"/subscriptions/{SUB}/resourceGroups/{NODE_RG}/providers/Microsoft.Network/"
                               "publicIPAddresses/aks-nat-gateway-pip"}
                    ],
                },
                "loadBalancerSku": "standard",
                "ipFamilies": ["IPv4"],
            },
            **({
                "apiServerAccessProfile": {"enablePrivateCluster": True, "privateDNSZone": "system",
                                           "enablePrivateClusterPublicFQDN": False},
                "privateFQDN": f"{PRIVATE_FQDN}",
                "privateLinkResources": [{
                    "id": f"{CLUSTER_ID}/privateLinkResources/management", "name": "management",
                    "type": "Microsoft.ContainerService/managedClusters/privateLinkResources",
                    "groupId": "management", "requiredMembers": ["management"],
                }],
            } if private else {}),
        },
    }


PRIVATE_FQDN = "aks-paymen-rg-payments-3f2c8a-5d1e7f3b.8c2f4e1a-6b3d-4c7e-9a0f-2d5b8e1c4f7a.privatelink.westeurope.azmk8s.io"
DATA_SUBNET_ID = f"{VNET_ID}/subnets/private-endpoints"
REPORTS_SA = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Storage/storageAccounts/paymentsreports"
API_PE_ID = f"/subscriptions/{SUB}/resourceGroups/{NODE_RG}/providers/Microsoft.Network/privateEndpoints/kube-apiserver"
BLOB_PE_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/privateEndpoints/pe-paymentsreports-blob"


def private_endpoint(pe_id: str, subnet: str, target: str, group: str, status: str, *, manual: bool = False) -> dict[str, Any]:
    """A PrivateEndpoint (Microsoft.Network 2024-05-01 shape)."""
    name = pe_id.rsplit("/", 1)[-1]
    conn = {
        "id": f"{pe_id}/{'manualPrivateLinkServiceConnections' if manual else 'privateLinkServiceConnections'}/{name}",
        "name": name,
        "type": "Microsoft.Network/privateEndpoints/privateLinkServiceConnections",
        "properties": {
            "provisioningState": "Succeeded", "privateLinkServiceId": target, "groupIds": [group],
            "privateLinkServiceConnectionState": {
                "status": status, "description": "Auto-Approved" if status == "Approved" else "",
                "actionsRequired": "None"},
        },
    }
    return {
        "id": pe_id, "name": name, "type": "Microsoft.Network/privateEndpoints", "location": LOCATION,
        "etag": 'W/"3a1c5e7f-9b2d-4f6a-8c0e-1d3f5a7b9c2e"',
        "properties": {
            "provisioningState": "Succeeded",
            "resourceGuid": "7c9e1a3b-5d7f-4b2c-9e4a-6f8b0d2c4e6a",
            "subnet": {"id": subnet},
            "networkInterfaces": [{"id": f"{pe_id.rsplit('/providers/', 1)[0]}/providers/Microsoft.Network/"
                                          f"networkInterfaces/{name}.nic.0f1e2d3c"}],
            "privateLinkServiceConnections": [] if manual else [conn],
            "manualPrivateLinkServiceConnections": [conn] if manual else [],
            "customDnsConfigs": [],
        },
    }


POOLS = [
    _pool("system", "System", "Standard_D4ds_v5", ["1", "2", "3"], 3, 5, 3),
    _pool("user", "User", "Standard_D8ds_v5", ["2", "3"], 2, 6, 2),
]


def _uami(name: str, client_id: str, principal: str, rg: str = RG) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{SUB}/resourceGroups/{rg}/providers/{UAMI}/{name}",
        "name": name,
        "type": UAMI,
        "location": LOCATION,
        "tags": {},
        "properties": {"tenantId": demo.TENANT, "principalId": principal, "clientId": client_id},
    }


def _fic(identity: str, name: str, subject: str, issuer: str = ISSUER) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/{UAMI}/{identity}/federatedIdentityCredentials/{name}",
        "name": name,
        "type": f"{UAMI}/federatedIdentityCredentials",
        "properties": {"issuer": issuer, "subject": subject, "audiences": ["api://AzureADTokenExchange"]},
    }


def _metric(name: str, localized: str, totals: list[float], dims: list[dict[str, Any]] | None = None, *,
            resource: str = demo.NAT_ID, aggregation: str = "total", unit: str = "Count") -> dict[str, Any]:
    return {
        "id": f"{resource}/providers/Microsoft.Insights/metrics/{name}",
        "type": "Microsoft.Insights/metrics",
        "name": {"value": name, "localizedValue": localized},
        "displayDescription": localized,
        "unit": unit,
        "errorCode": "Success",
        "timeseries": [{
            "metadatavalues": dims or [],
            "data": [{"timeStamp": f"2026-11-25T{8 + (20 + 5 * i) // 60:02d}:{(20 + 5 * i) % 60:02d}:00Z", aggregation: v}
                     for i, v in enumerate(totals)],
        }],
    }


def _spread(total: float, n: int = 12) -> list[float]:
    base = total // n
    return [base] * (n - 1) + [total - base * (n - 1)]


def metric_values(metricnames: str, resource: str = demo.NAT_ID, datapath: list[float] | None = None) -> list[dict[str, Any]]:
    """The ``value`` array (Metric objects) of one gateway's response."""
    values: list[dict[str, Any]] = []
    for m in metricnames.split(","):
        if m == "SNATConnectionCount":
            values.append(_metric(m, "SNAT Connection Count", _spread(2961.0),
                                  [{"name": {"value": "connectionstate", "localizedValue": "connectionstate"}, "value": "Failed"}],
                                  resource=resource))
        elif m == "TotalConnectionCount":
            values.append(_metric(m, "Total SNAT Connection Count", [*(41200.0 + 1880 * i for i in range(11)), 61840.0],
                                  resource=resource))
        elif m == "PacketDropCount":
            values.append(_metric(m, "Dropped Packets", _spread(4127.0), resource=resource))
        elif m == "DatapathAvailability":
            values.append(_metric(m, "Datapath Availability", datapath or [100.0] * 12, resource=resource,
                                  aggregation="average", unit="Percent"))
    return values


def metrics_body(metricnames: str, datapath: list[float] | None = None) -> dict[str, Any]:
    """A Monitor metrics ``Response`` for the NAT gateway."""
    values = metric_values(metricnames, datapath=datapath)
    return {
        "cost": 0,
        "timespan": "2026-11-25T08:20:00Z/2026-11-25T09:20:00Z",
        "interval": "PT5M",
        "value": values,
        "namespace": "Microsoft.Network/natGateways",
        "resourceregion": LOCATION,
    }


Handler = Callable[[dict[str, list[str]]], tuple[int, dict[str, str], Any]]


class ArmWorld:
    """Routes ARM requests to bodies; records each request's ARM operation.

    Attributes:
        operations: every ARM operation requested, in order (retries and pages included).
        forbidden: ARM operations to refuse with 403 AuthorizationFailed.
        failing: ARM operation → HTTP status to answer it with, every time (429 ``TooManyRequests``
            with ``Retry-After: 0``; another status with its ARM error body).
        threads: the name of the thread each request was sent from (in-process transports).
    """

    def __init__(self, base: str = "https://management.azure.com", *, keda: bool = False,
                 ledger_subject: str = demo.FIC_BAD, acr_pull: bool = True, throttle_once: bool = False,
                 user_nat: bool = False, private: bool = False, datapath: list[float] | None = None,
                 metrics_base: str | None = None) -> None:
        self.base = base.rstrip("/")
        host = {"https://management.azure.com": "azure.com", "https://management.usgovcloudapi.net": "azure.us",
                "https://management.chinacloudapi.cn": "azure.cn"}.get(self.base)
        #: the regional metrics data plane (``None`` for a custom Resource Manager endpoint).
        self.metrics_base = metrics_base or (f"https://{LOCATION}.metrics.monitor.{host}" if host else None)
        #: every ``metrics:getBatch`` request: (metricnames, number of resource ids).
        self.batches: list[tuple[str, int]] = []
        #: NAT gateways the batch endpoint knows (id → location).
        self.nat_gateways: dict[str, str] = {demo.NAT_ID: LOCATION}
        self.datapath = datapath
        self.operations: list[str] = []
        self.forbidden: set[str] = set()
        self.failing: dict[str, int] = {}
        self.threads: set[str] = set()
        self._throttled = not throttle_once
        self._lock = threading.Lock()
        self.routes: dict[str, Handler] = {}
        mc = managed_cluster(keda=keda, user_nat=user_nat, private=private)
        other = managed_cluster() | {
            "id": f"/subscriptions/{SUB}/resourceGroups/rg-batch/providers/Microsoft.ContainerService/managedClusters/aks-batch",
            "name": "aks-batch",
        }
        other["properties"] = other["properties"] | {"nodeResourceGroup": "MC_rg-batch_aks-batch_westeurope"}
        p = f"/subscriptions/{SUB}"
        self._paged(f"{p}/providers/Microsoft.ContainerService/managedClusters", [[other], [mc]])
        self._one(CLUSTER_ID, mc)
        pools = [p | {"properties": p["properties"] | {"vnetSubnetID": SUBNET_ID}} for p in POOLS] if user_nat else POOLS
        self._paged(f"{CLUSTER_ID}/agentPools", [[pools[0]], [pools[1]]])
        self._paged(f"{p}/providers/{UAMI}", [
            [_uami("id-batch", "11111111-2222-4333-8444-555555555555", "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "rg-batch"),
             _uami("id-payments-api", demo.API_CLIENT_ID, "3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f")],
            [_uami("id-ledger", demo.LEDGER_CLIENT_ID, "6f7a8b9c-0d1e-4f2a-8b3c-4d5e6f7a8b9c")],
        ])
        self._paged(f"{p}/resourceGroups/{RG}/providers/{UAMI}/id-payments-api/federatedIdentityCredentials",
                    [[_fic("id-payments-api", "fic-api", "system:serviceaccount:payments:api")]])
        self._paged(f"{p}/resourceGroups/{RG}/providers/{UAMI}/id-ledger/federatedIdentityCredentials",
                    [[_fic("id-ledger", "fic-ledger", ledger_subject)]])
        self._paged(f"{p}/providers/Microsoft.ContainerRegistry/registries", [[{
            "id": ACR_ID, "name": "paymentsacr", "type": "Microsoft.ContainerRegistry/registries",
            "location": LOCATION, "sku": {"name": "Premium", "tier": "Premium"},
            "properties": {"loginServer": "paymentsacr.azurecr.io", "provisioningState": "Succeeded",
                           "adminUserEnabled": False, "publicNetworkAccess": "Enabled"},
        }]])
        assignments = [{
            "id": f"{ACR_ID}/providers/Microsoft.Authorization/roleAssignments/0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b",
            "name": "0e1f2a3b-4c5d-4e6f-8a7b-9c0d1e2f3a4b",
            "type": "Microsoft.Authorization/roleAssignments",
            "properties": {
                "roleDefinitionId": f"/subscriptions/{SUB}/providers/Microsoft.Authorization/roleDefinitions/{ACR_PULL}",
                "principalId": KUBELET_OBJECT_ID, "principalType": "ServicePrincipal", "scope": ACR_ID,
                "condition": None, "conditionVersion": None,
                "createdOn": "2026-08-03T07:58:41.4176519Z", "updatedOn": "2026-08-03T07:58:41.4176519Z",
            },
        }] if acr_pull else []
        self._paged(f"{ACR_ID}/providers/Microsoft.Authorization/roleAssignments", [assignments])
        nat = {
            "id": demo.NAT_ID, "name": "aks-nat-gateway", "type": "Microsoft.Network/natGateways",
            "location": LOCATION, "etag": 'W/"5b1e4c2a-8d3f-4e6a-9b7c-0d1e2f3a4b5c"',
            "sku": {"name": "Standard"},
            "properties": {
                "provisioningState": "Succeeded", "idleTimeoutInMinutes": 4,
                "resourceGuid": "9e8d7c6b-5a49-4382-b1a0-f9e8d7c6b5a4",
                "publicIpAddresses": [{"id": f"{p}/resourceGroups/{NODE_RG}/providers/Microsoft.Network/publicIPAddresses/aks-nat-gateway-pip"}],
                "subnets": [{"id": SUBNET_ID}],
            },
        }
        self._paged(f"{p}/resourceGroups/{NODE_RG}/providers/Microsoft.Network/natGateways", [[nat]])
        self._one(demo.NAT_ID, nat)
        vnet = {
            "id": VNET_ID, "name": "aks-vnet-31415926", "type": "Microsoft.Network/virtualNetworks",
            "location": LOCATION,
            "properties": {
                "provisioningState": "Succeeded", "addressSpace": {"addressPrefixes": ["10.224.0.0/12"]},
                "subnets": [{"id": SUBNET_ID, "name": "aks-subnet", "properties": {
                    "addressPrefix": "10.224.0.0/16", "natGateway": {"id": demo.NAT_ID}, "provisioningState": "Succeeded"}}],
            },
        }
        self._paged(f"{p}/resourceGroups/{NODE_RG}/providers/Microsoft.Network/virtualNetworks", [[vnet]])
        self._one(SUBNET_ID, vnet["properties"]["subnets"][0])
        subnets = [vnet["properties"]["subnets"][0]]
        endpoints: list[dict[str, Any]] = []
        if private:
            subnets.append({"id": DATA_SUBNET_ID, "name": "private-endpoints", "properties": {
                "addressPrefix": "10.225.0.0/24", "provisioningState": "Succeeded",
                "privateEndpointNetworkPolicies": "Disabled",
                "privateEndpoints": [{"id": BLOB_PE_ID}]}})
            endpoints = [private_endpoint(API_PE_ID, SUBNET_ID, CLUSTER_ID, "management", "Approved")]
            self._paged(f"{p}/resourceGroups/{RG}/providers/Microsoft.Network/privateEndpoints", [[
                private_endpoint(BLOB_PE_ID, DATA_SUBNET_ID, REPORTS_SA, "blob", "Pending", manual=True),
                private_endpoint(f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.Network/privateEndpoints/"
                                 "pe-other-team", f"{p}/resourceGroups/rg-other/providers/Microsoft.Network/"
                                 "virtualNetworks/vnet-other/subnets/pe", REPORTS_SA, "file", "Rejected"),
            ]])
        self._paged(f"{VNET_ID}/subnets", [subnets])
        self._paged(f"{p}/resourceGroups/{NODE_RG}/providers/Microsoft.Network/privateEndpoints", [endpoints])
        self._paged(f"{VNET_ID}/usages", [[{
            "currentValue": 9.0, "id": SUBNET_ID, "limit": 65531.0,
            "name": {"localizedValue": "Subnet size and usage", "value": "Subnet size and usage"}, "unit": "Count",
        }]])
        self._one(DISK_ID, {
            "id": DISK_ID, "name": DISK_NAME, "type": "Microsoft.Compute/disks", "location": LOCATION,
            "zones": ["1"], "sku": {"name": "Premium_LRS", "tier": "Premium"},
            "tags": {"k8s-azure-created-by": "kubernetes-azure-dd", "kubernetes.io-created-for-pv-name": DISK_NAME,
                     "kubernetes.io-created-for-pvc-name": "reports-data",
                     "kubernetes.io-created-for-pvc-namespace": "payments"},
            "properties": {
                "creationData": {"createOption": "Empty"}, "diskSizeGB": 64, "diskIOPSReadWrite": 240,
                "diskMBpsReadWrite": 50, "encryption": {"type": "EncryptionAtRestWithPlatformKey"},
                "networkAccessPolicy": "AllowAll", "publicNetworkAccess": "Enabled",
                "timeCreated": "2026-11-25T08:39:52.1234567+00:00", "provisioningState": "Succeeded",
                "diskState": "Unattached", "diskSizeBytes": 68719476736,
                "uniqueId": "4c60d723-ec75-5b47-bda3-bf19c21f5453", "tier": "P6",
            },
        })
        self.routes[f"{demo.NAT_ID}/providers/Microsoft.Insights/metrics".lower()] = (
            lambda q: (200, {}, metrics_body(q.get("metricnames", [""])[0], self.datapath)))

    # ----------------------------------------------------------------- building

    def _one(self, path: str, body: dict[str, Any]) -> None:
        self.routes[path.lower()] = lambda q: (200, {}, body)

    def _paged(self, path: str, pages: list[list[dict[str, Any]]]) -> None:
        def handler(q: dict[str, list[str]]) -> tuple[int, dict[str, str], Any]:
            i = int(q.get("$skiptoken", ["0"])[0])
            body: dict[str, Any] = {"value": pages[i]}
            if i + 1 < len(pages):
                body["nextLink"] = f"{self.base}{path}?api-version={q.get('api-version', [''])[0]}&$skiptoken={i + 1}"
            return 200, {}, body

        self.routes[path.lower()] = handler

    def set(self, path: str, body: dict[str, Any]) -> None:
        """Replace one resource's body."""
        self._one(path, body)

    # ----------------------------------------------------------------- serving

    def get_batch(self, url: str, body: bytes | None) -> tuple[int, dict[str, str], Any]:
        """``metrics:getBatch``: one ``values`` entry per known resource id of the request body,
        in the region of the endpoint it was sent to."""
        parts = urlsplit(url)
        q = parse_qs(parts.query)
        ids = json.loads(body or b"{}").get("resourceids", [])
        names = q.get("metricnames", [""])[0]
        with self._lock:
            self.batches.append((names, len(ids)))
        region = parts.netloc.split(".", 1)[0]
        if len(ids) > 50:
            return 400, {}, {"error": {"code": "BadRequest", "message": "Maximum 50 resource ids per batch."}}
        values = [{
            "starttime": q.get("starttime", [""])[0], "endtime": q.get("endtime", [""])[0],
            "interval": q.get("interval", ["PT1M"])[0], "namespace": q.get("metricnamespace", [""])[0],
            "resourceregion": region, "resourceid": rid,
            "value": metric_values(names, rid, self.datapath),
        } for rid in ids if self.nat_gateways.get(rid) == region]
        return 200, {}, {"values": values}

    def handle(self, method: str, url: str, body: bytes | None = None) -> tuple[int, dict[str, str], bytes]:
        """Answer one request."""
        parts = urlsplit(url)
        op = arm_operation(method, url)
        with self._lock:
            self.operations.append(op)
            self.threads.add(threading.current_thread().name)
            throttle = not self._throttled
            self._throttled = True
        if throttle:
            return 429, {"Retry-After": "1", "Content-Type": "application/json"}, json.dumps(
                {"error": {"code": "TooManyRequests", "message": "The request is being throttled."}}).encode()
        status = self.failing.get(op)
        if status == 429:
            return 429, {"Retry-After": "0", "Content-Type": "application/json"}, json.dumps(
                {"error": {"code": "TooManyRequests", "message": "The request is being throttled."}}).encode()
        if status is not None:
            code = {400: "BadRequest", 404: "ResourceNotFound", 409: "Conflict"}.get(status, "InternalServerError")
            return status, {"Content-Type": "application/json"}, json.dumps(
                {"error": {"code": code, "message": f"{op} failed with {status}."}}).encode()
        if op in self.forbidden:
            body = json.loads(json.dumps(AUTHZ_FAILED))
            body["error"]["message"] = body["error"]["message"].format(action=op, scope=parts.path)
            return 403, {"Content-Type": "application/json", "x-ms-failure-cause": "gateway"}, json.dumps(body).encode()
        if parts.path.endswith("/metrics:getBatch"):
            if self.metrics_base is None or not url.startswith(self.metrics_base):
                return 404, {"Content-Type": "application/json"}, b'{"error": {"code": "NotFound"}}'
            status, headers, payload = self.get_batch(url, body)
            return status, {"Content-Type": "application/json; charset=utf-8", **headers}, json.dumps(payload).encode()
        route = self.routes.get(parts.path.rstrip("/").lower())
        if route is None:
            return 404, {"Content-Type": "application/json"}, json.dumps({"error": {
                "code": "ResourceNotFound", "message": f"The Resource '{parts.path}' was not found."}}).encode()
        status, headers, body = route(parse_qs(parts.query))
        return status, {"Content-Type": "application/json; charset=utf-8", **headers}, json.dumps(body).encode()
