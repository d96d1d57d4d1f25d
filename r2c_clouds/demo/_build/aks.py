"""``aks``: AKS ``aks-payments`` (westeurope, resource group ``rg-payments``).

- Identity: ServiceAccount payments/ledger names the user-assigned identity ``id-ledger``
  (``azure.workload.identity/client-id``), but that identity's federated identity credential
  admits ``system:serviceaccount:payment:ledger`` (namespace typo). The token exchange fails
  with AADSTS700213 and the ledger pods crash-loop. payments/api's credential is right.
- Compute: the ``system`` pool (mode System) has no ``CriticalAddonsOnly=true:NoSchedule``
  taint, so payments workloads run on it. Two KEDA ScaledObjects exist while the AKS KEDA
  add-on is disabled (no keda-operator runs): nothing scales them.
- Storage: StorageClass ``managed-csi-premium`` was changed to ``Immediate`` binding; the
  Premium_LRS disk of payments/reports-data was created in westeurope-1 before the pod was
  scheduled, and the reports pod may only run on the ``user`` pool (westeurope-2/-3): volume
  node affinity conflict, Pending since 08:40.
- Network: outbound type managedNATGateway; the NAT gateway reports failed SNAT connections.
"""

from __future__ import annotations

from r2c_clouds.demo._build.kube import (
    Cluster,
    Obj,
    Placement,
    at,
    bound_claim,
    container,
    deployment,
    field_env,
    hexid,
    http_probe,
    storage_class,
    system_deploy,
    system_ds,
)
from r2c_clouds.model.cloud import (
    CloudFacts,
    ClusterIdentity,
    Disk,
    EgressGateway,
    IdentityBinding,
    NetworkSettings,
    NodePool,
    Provenance,
    RegistryAccess,
    Subnet,
)

NAME = "aks-payments"
LOCATION = "westeurope"
RG = "rg-payments"
SUB = "3f2c8a1e-5b7d-4c9a-8e6f-1a2b3c4d5e6f"
TENANT = "9b8c7d6e-5f4a-4b3c-8d2e-1f0a9b8c7d6e"
NODE_RG = f"MC_{RG}_{NAME}_{LOCATION}"
CLUSTER_ID = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ContainerService/managedClusters/{NAME}"
ISSUER = f"https://{LOCATION}.oic.prod-aks.azure.com/{TENANT}/5e4d3c2b-1a09-4f8e-9d7c-6b5a4f3e2d1c/"
ACR = "paymentsacr.azurecr.io"
MCR = "mcr.microsoft.com"
KUBELET_CLIENT_ID = "0c1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
KUBELET_IDENTITY = (f"/subscriptions/{SUB}/resourceGroups/{NODE_RG}/providers/Microsoft.ManagedIdentity/"
                    f"userAssignedIdentities/{NAME}-agentpool")
LEDGER_CLIENT_ID = "7d3e1f2a-9b8c-4d6e-a5f4-3c2b1a0e9d8f"
API_CLIENT_ID = "2a4c6e8f-0b1d-4f3a-9c5e-7d9f1b3a5c7e"
NAT_ID = f"/subscriptions/{SUB}/resourceGroups/{NODE_RG}/providers/Microsoft.Network/natGateways/aks-nat-gateway"
VNET = f"/subscriptions/{SUB}/resourceGroups/{NODE_RG}/providers/Microsoft.Network/virtualNetworks/aks-vnet-31415926"
PRIORITIES = {"system-cluster-critical": 2000000000, "system-node-critical": 2000001000}

CREATED = "2026-08-03T07:51:09Z"
SYSTEM = [f"aks-system-31415926-vmss00000{i}" for i in range(3)]
USER = [f"aks-user-27182818-vmss00000{i}" for i in range(2)]
ZONES = {SYSTEM[0]: 1, SYSTEM[1]: 2, SYSTEM[2]: 3, USER[0]: 2, USER[1]: 3}
FIC_BAD = "system:serviceaccount:payment:ledger"
REPORTS_POD = "reports-6d8f9b7c54-m4k7t"


def _node(c: Cluster, name: str, i: int, *, pool: str, mode: str, vm: str, cap: dict[str, str],
          alloc: dict[str, str]) -> Obj:
    zone = f"{LOCATION}-{ZONES[name]}"
    vmss = name[: -len("000000")]
    return c.node(
        name, zone=zone, region=LOCATION, ip=f"10.224.0.{4 + i}",
        provider_id=(f"azure:///subscriptions/{SUB}/resourceGroups/{NODE_RG.lower()}/providers/"
                     f"Microsoft.Compute/virtualMachineScaleSets/{vmss}/virtualMachines/{int(name[-6:], 36)}"),
        instance_type=vm, created=CREATED, pod_cidr=f"10.244.{i}.0/24",
        labels={
            "agentpool": pool,
            "kubernetes.azure.com/agentpool": pool,
            "kubernetes.azure.com/azure-cni-overlay": "true",
            "kubernetes.azure.com/cluster": NODE_RG,
            "kubernetes.azure.com/consolidated-additional-properties": hexid("cap" + pool, 40),
            "kubernetes.azure.com/kubelet-identity-client-id": KUBELET_CLIENT_ID,
            "kubernetes.azure.com/mode": mode,
            "kubernetes.azure.com/network-name": "aks-vnet-31415926",
            "kubernetes.azure.com/network-resourcegroup": NODE_RG,
            "kubernetes.azure.com/network-subnet": "aks-subnet",
            "kubernetes.azure.com/network-subscription": SUB,
            "kubernetes.azure.com/node-image-version": "AKSUbuntu-2204gen2containerd-202411.12.0",
            "kubernetes.azure.com/nodenetwork-vnetguid": "6c5b4a39-2817-4f6e-9d5c-4b3a29180f7e",
            "kubernetes.azure.com/nodepool-type": "VirtualMachineScaleSets",
            "kubernetes.azure.com/os-sku": "Ubuntu",
            "kubernetes.azure.com/podnetwork-type": "overlay",
            "kubernetes.azure.com/role": "agent",
            "kubernetes.azure.com/storageprofile": "managed",
            "kubernetes.azure.com/storagetier": "Premium_LRS",
            "kubernetes.io/role": "agent",
            "node-role.kubernetes.io/agent": "",
            "node.kubernetes.io/exclude-from-external-load-balancers": "true" if mode == "system" else "false",
            "storageprofile": "managed",
            "storagetier": "Premium_LRS",
            "topology.disk.csi.azure.com/zone": zone,
        },
        capacity={**cap, "ephemeral-storage": "129886128Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0",
                  "pods": "250"},
        allocatable={**alloc, "ephemeral-storage": "119703055367", "hugepages-1Gi": "0", "hugepages-2Mi": "0",
                     "pods": "250"},
        kubelet="v1.30.6", os_image="Ubuntu 22.04.5 LTS", runtime="containerd://1.7.23-1",
        kernel="5.15.0-1074-azure",
    )


def _wi_mutation(client_id: str, cont: Obj) -> tuple[Obj, Obj]:
    """What the azure-workload-identity webhook adds to a pod at admission."""
    cont = dict(cont)
    cont["env"] = [*cont.get("env", []),
                   {"name": "AZURE_CLIENT_ID", "value": client_id},
                   {"name": "AZURE_TENANT_ID", "value": TENANT},
                   {"name": "AZURE_FEDERATED_TOKEN_FILE", "value": "/var/run/secrets/azure/tokens/azure-identity-token"},
                   {"name": "AZURE_AUTHORITY_HOST", "value": "https://login.microsoftonline.com/"}]
    cont["volumeMounts"] = [*cont.get("volumeMounts", []),
                            {"mountPath": "/var/run/secrets/azure/tokens", "name": "azure-identity-token",
                             "readOnly": True}]
    vol = {"name": "azure-identity-token", "projected": {"defaultMode": 420, "sources": [
        {"serviceAccountToken": {"audience": "api://AzureADTokenExchange", "expirationSeconds": 3600,
                                 "path": "azure-identity-token"}}]}}
    return cont, vol


def build() -> tuple[Cluster, CloudFacts]:
    """The aks cluster and its recorded Azure facts."""
    c = Cluster(NAME)
    for ns in ("default", "kube-node-lease", "kube-public", "kube-system"):
        c.namespace(ns, CREATED)
    c.namespace("payments", "2026-08-04T09:12:44Z")
    for name, value in PRIORITIES.items():
        c.add("scheduling.k8s.io/v1", "PriorityClass", c.meta("PriorityClass", name, None, CREATED),
              description=f"Used for {name.split('-')[1]}-critical system pods.", preemptionPolicy="PreemptLowerPriority",
              value=value)

    d4 = ({"cpu": "4", "memory": "16365256Ki"}, {"cpu": "3860m", "memory": "12880072Ki"})
    d8 = ({"cpu": "8", "memory": "32863240Ki"}, {"cpu": "7820m", "memory": "28310024Ki"})
    for i, n in enumerate(SYSTEM):
        _node(c, n, i, pool="system", mode="system", vm="Standard_D4ds_v5", cap=d4[0], alloc=d4[1])
    for i, n in enumerate(USER):
        _node(c, n, 3 + i, pool="user", mode="user", vm="Standard_D8ds_v5", cap=d8[0], alloc=d8[1])
    nodes = SYSTEM + USER

    # ---------------------------------------------------------------- kube-system (AKS add-ons)
    ks = "kube-system"
    for sa in ("azure-cns", "azure-wi-webhook-admin", "cloud-node-manager", "coredns", "csi-azuredisk-node-sa",
               "default", "konnectivity-agent", "metrics-server"):
        c.add("v1", "ServiceAccount", c.meta("ServiceAccount", sa, ks, CREATED,
                                            labels={"addonmanager.kubernetes.io/mode": "Reconcile"}))
    for ns in ("default", "kube-node-lease", "kube-public"):
        c.add("v1", "ServiceAccount", c.meta("ServiceAccount", "default", ns, CREATED))
    node_env = [field_env("NODENAME", "spec.nodeName")]
    system_ds(c, "azure-cns", ks, labels={"k8s-app": "azure-cns"}, nodes=nodes, created=CREATED,
              revision="6f9c8d7b5", priorities=PRIORITIES, host_network=True, sa="azure-cns", containers=[
                  container("cns-container", f"{MCR}/containernetworking/azure-cns:v1.6.13", cpu="40m",
                            memory="250Mi", mem_limit="250Mi", cpu_limit="40m", env=node_env,
                            ports=[{"containerPort": 10090, "name": "api", "protocol": "TCP"}])])
    system_ds(c, "kube-proxy", ks, labels={"component": "kube-proxy", "tier": "node"}, nodes=nodes,
              created=CREATED, revision="5c7b9d8f6", priorities=PRIORITIES, host_network=True, containers=[
                  container("kube-proxy", f"{MCR}/oss/kubernetes/kube-proxy:v1.30.6-hotfix.20241111", cpu="100m",
                            args=["--conntrack-max-per-core=0", "--metrics-bind-address=0.0.0.0:10249",
                                  "--cluster-cidr=10.244.0.0/16", "--detect-local-mode=ClusterCIDR",
                                  "--pod-interface-name-prefix=", "--v=3"],
                            securityContext={"privileged": True})])
    system_ds(c, "csi-azuredisk-node", ks, labels={"app": "csi-azuredisk-node"}, nodes=nodes, created=CREATED,
              revision="7d8c9b6f4", priorities=PRIORITIES, host_network=True, sa="csi-azuredisk-node-sa",
              containers=[
                  container("liveness-probe", f"{MCR}/oss/kubernetes-csi/livenessprobe:v2.14.0", cpu="10m",
                            memory="20Mi", mem_limit="100Mi"),
                  container("node-driver-registrar", f"{MCR}/oss/kubernetes-csi/csi-node-driver-registrar:v2.12.0",
                            cpu="10m", memory="20Mi", mem_limit="100Mi"),
                  container("azuredisk", f"{MCR}/oss/kubernetes-csi/azuredisk-csi:v1.30.5", cpu="10m",
                            memory="20Mi", mem_limit="1000Mi", env=node_env,
                            liveness=http_probe("/healthz", "healthz", delay=30, timeout=10, failures=5, period=30),
                            ports=[{"containerPort": 29603, "name": "healthz", "protocol": "TCP"}])])
    system_ds(c, "cloud-node-manager", ks, labels={"component": "cloud-node-manager",
                                                   "k8s-app": "cloud-node-manager"},
              nodes=nodes, created=CREATED, revision="58b7c9d6f", priorities=PRIORITIES, host_network=True,
              sa="cloud-node-manager", containers=[
                  container("cloud-node-manager", f"{MCR}/oss/kubernetes/azure-cloud-node-manager:v1.30.7",
                            cpu="50m", memory="50Mi", mem_limit="512Mi", cpu_limit="2", env=node_env)])
    crit = [{"key": "CriticalAddonsOnly", "operator": "Exists"}]
    system_deploy(c, "coredns", ks, labels={"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true",
                                            "version": "v20"},
                  nodes=[SYSTEM[0], SYSTEM[1]], created=CREATED, rs_hash="659fcb469c", priorities=PRIORITIES,
                  sa="coredns", tolerations=crit, containers=[
                      container("coredns", f"{MCR}/oss/kubernetes/coredns:v1.9.4-hotfix.20241101", cpu="100m",
                                memory="70Mi", mem_limit="500Mi", cpu_limit="3",
                                args=["-conf", "/etc/coredns/Corefile"],
                                ports=[{"containerPort": 53, "name": "dns", "protocol": "UDP"},
                                       {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
                                       {"containerPort": 9153, "name": "metrics", "protocol": "TCP"}],
                                readiness=http_probe("/ready", 8181), liveness=http_probe("/health", 8080, delay=60,
                                                                                          timeout=5, failures=5))])
    c.service("kube-dns", ks, selector={"k8s-app": "kube-dns"}, created=CREATED, cluster_ip="10.0.0.10",
              labels={"addonmanager.kubernetes.io/mode": "Reconcile", "k8s-app": "kube-dns",
                      "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"},
              ports=[{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                     {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53}])
    system_deploy(c, "metrics-server", ks, labels={"k8s-app": "metrics-server"}, nodes=[SYSTEM[1], SYSTEM[2]],
                  created=CREATED, rs_hash="7fd45bf99d", priorities=PRIORITIES, sa="metrics-server",
                  tolerations=crit, containers=[
                      container("metrics-server", f"{MCR}/oss/kubernetes/metrics-server:v0.7.2", cpu="150m",
                                memory="100Mi", mem_limit="300Mi", cpu_limit="1",
                                args=["--kubelet-insecure-tls", "--kubelet-preferred-address-types=InternalIP",
                                      "--cert-dir=/tmp", "--secure-port=4443"],
                                ports=[{"containerPort": 4443, "name": "https", "protocol": "TCP"}],
                                readiness=http_probe("/readyz", "https", delay=20, scheme="HTTPS"),
                                liveness=http_probe("/livez", "https", scheme="HTTPS"))])
    c.service("metrics-server", ks, selector={"k8s-app": "metrics-server"}, created=CREATED,
              labels={"addonmanager.kubernetes.io/mode": "Reconcile", "k8s-app": "metrics-server"},
              ports=[{"port": 443, "protocol": "TCP", "targetPort": "https"}])
    system_deploy(c, "konnectivity-agent", ks, labels={"app": "konnectivity-agent"}, nodes=[SYSTEM[0], SYSTEM[2]],
                  created=CREATED, rs_hash="6d5f8b9c7d", priorities=PRIORITIES, sa="konnectivity-agent",
                  tolerations=crit, containers=[
                      container("konnectivity-agent", f"{MCR}/oss/kubernetes/apiserver-network-proxy/agent:v0.30.3-hotfix.20240819",
                                cpu="20m", memory="20Mi", mem_limit="1Gi", cpu_limit="1",
                                liveness=http_probe("/healthz", 8092, delay=15, timeout=15))])
    system_deploy(c, "azure-wi-webhook-controller-manager", ks,
                  labels={"azure-workload-identity.io/system": "true"}, nodes=[SYSTEM[1], SYSTEM[2]],
                  created=CREATED, rs_hash="8b6c4d7f9f", priorities=PRIORITIES, sa="azure-wi-webhook-admin",
                  tolerations=crit, containers=[
                      container("manager", f"{MCR}/oss/azure/workload-identity/webhook:v1.3.0", cpu="100m",
                                memory="20Mi", mem_limit="300Mi", cpu_limit="100m",
                                args=["--arc-cluster=false", "--audience=api://AzureADTokenExchange",
                                      "--webhook-cert-dir=/certs", "--health-addr=:9440", "--metrics-addr=:8095",
                                      "--metrics-backend=prometheus", "--disable-cert-rotation=true"],
                                env=[{"name": "AZURE_TENANT_ID", "value": TENANT},
                                     {"name": "AZURE_ENVIRONMENT", "value": "AzurePublicCloud"}],
                                readiness=http_probe("/readyz", "healthz", delay=5, period=5),
                                liveness=http_probe("/healthz", "healthz", delay=15, period=20),
                                ports=[{"containerPort": 9443, "name": "webhook-server", "protocol": "TCP"},
                                       {"containerPort": 9440, "name": "healthz", "protocol": "TCP"}])])
    c.add("rbac.authorization.k8s.io/v1", "ClusterRoleBinding",
          c.meta("ClusterRoleBinding", "cluster-admin", None, CREATED,
                 labels={"kubernetes.io/bootstrapping": "rbac-defaults"}),
          roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
          subjects=[{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}])
    c.add("rbac.authorization.k8s.io/v1", "ClusterRoleBinding",
          c.meta("ClusterRoleBinding", "aks-cluster-admin-binding", None, CREATED,
                 labels={"addonmanager.kubernetes.io/mode": "Reconcile", "kubernetes.io/cluster-service": "true"}),
          roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
          subjects=[{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "clusterAdmin"},
                    {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "clusterUser"}])

    # ---------------------------------------------------------------- storage
    storage_class(c, "default", provisioner="disk.csi.azure.com", parameters={"skuname": "StandardSSD_LRS"},
                  binding="WaitForFirstConsumer", created=CREATED, default=True,
                  labels={"addonmanager.kubernetes.io/mode": "EnsureExists", "kubernetes.io/cluster-service": "true"})
    storage_class(c, "managed-csi", provisioner="disk.csi.azure.com", parameters={"skuname": "StandardSSD_LRS"},
                  binding="WaitForFirstConsumer", created=CREATED,
                  labels={"addonmanager.kubernetes.io/mode": "EnsureExists", "kubernetes.io/cluster-service": "true"})
    storage_class(c, "managed-csi-premium", provisioner="disk.csi.azure.com",
                  parameters={"skuname": "Premium_LRS", "cachingMode": "ReadOnly"}, binding="Immediate",
                  created=CREATED,
                  labels={"addonmanager.kubernetes.io/mode": "EnsureExists", "kubernetes.io/cluster-service": "true"})
    reports_claim_uid = c.uid("PersistentVolumeClaim", "payments", "reports-data")
    disk_id = (f"/subscriptions/{SUB}/resourceGroups/{NODE_RG.lower()}/providers/Microsoft.Compute/disks/"
               f"pvc-{reports_claim_uid}")
    bound_claim(c, "reports-data", "payments", storage_class="managed-csi-premium", size="64Gi",
                created=at("08:40:00"), bound_at=at("08:40:04"), driver="disk.csi.azure.com",
                volume_handle=disk_id, zone_key="topology.disk.csi.azure.com/zone", zones=[f"{LOCATION}-1"],
                labels={"app": "reports"},
                volume_attributes={"csi.storage.k8s.io/pv/name": f"pvc-{reports_claim_uid}",
                                   "csi.storage.k8s.io/pvc/name": "reports-data",
                                   "csi.storage.k8s.io/pvc/namespace": "payments", "requestedsizegib": "64",
                                   "skuname": "Premium_LRS", "cachingMode": "ReadOnly",
                                   "storage.kubernetes.io/csiProvisionerIdentity": "1754207469811-2946-disk.csi.azure.com"})

    # ---------------------------------------------------------------- payments
    pns = "payments"
    c.add("v1", "ServiceAccount", c.meta("ServiceAccount", "default", pns, "2026-08-04T09:12:44Z"))
    for sa, cid in (("api", API_CLIENT_ID), ("ledger", LEDGER_CLIENT_ID)):
        c.add("v1", "ServiceAccount", c.meta("ServiceAccount", sa, pns, "2026-11-24T16:02:10Z",
                                            labels={"app": sa},
                                            annotations={"azure.workload.identity/client-id": cid,
                                                         "azure.workload.identity/tenant-id": TENANT}))
    wi_labels = {"azure.workload.identity/use": "true"}
    api_c = container("api", f"{ACR}/payments/api:2.4.0", cpu="250m", memory="256Mi", mem_limit="512Mi",
                      ports=[{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
                      readiness=http_probe("/ready", "http"), liveness=http_probe("/healthz", "http", delay=10),
                      env=[{"name": "LEDGER_URL", "value": "http://ledger.payments.svc.cluster.local"},
                           {"name": "SERVICEBUS_NAMESPACE", "value": "sb-payments-prod.servicebus.windows.net"}])
    api_m, api_vol = _wi_mutation(API_CLIENT_ID, api_c)
    deployment(c, "api", pns, created="2026-11-24T16:02:10Z", rs_hash="5b8d6c9f47",
               template={"metadata": {"labels": {"app": "api", **wi_labels}},
                         "spec": {"serviceAccountName": "api", "containers": [api_c]}},
               placements=[Placement(n, containers=[api_m], volumes=[api_vol]) for n in (SYSTEM[0], SYSTEM[1], USER[0])])
    c.service("api", pns, selector={"app": "api"}, created="2026-08-04T09:12:44Z", labels={"app": "api"},
              ports=[{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"}])

    aadsts = (
        "azure.identity.ClientAssertionCredential.get_token failed: AADSTS700213: No matching federated "
        "identity record found for presented assertion subject 'system:serviceaccount:payments:ledger'. "
        "Check your federated identity credential Subject, Audience and Issuer against the presented "
        "assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation "
        "Trace ID: 4b0e2c1d-8f3a-4e6b-9c7d-5a1f3e2b0c00 Correlation ID: 8e7d6c5b-4a39-4281-b0c1-d2e3f4a5b6c7 "
        "Timestamp: 2026-11-25 09:09:41Z\n"
    )
    ledger_c = container("ledger", f"{ACR}/payments/ledger:1.9.2", cpu="250m", memory="512Mi", mem_limit="1Gi",
                         ports=[{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
                         readiness=http_probe("/ready", "http"), liveness=http_probe("/healthz", "http", delay=10),
                         env=[{"name": "KEYVAULT_URL", "value": "https://kv-payments-prod.vault.azure.net/"},
                              {"name": "SERVICEBUS_NAMESPACE", "value": "sb-payments-prod.servicebus.windows.net"}],
                         terminationMessagePolicy="FallbackToLogsOnError")
    ledger_m, ledger_vol = _wi_mutation(LEDGER_CLIENT_ID, ledger_c)
    crash = {"ledger": {
        "waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s restarting failed container=ledger "
                    "pod=POD_payments(UID)"},
        "restartCount": 12, "ready": False, "notReadySince": at("08:12:31"),
        "lastState": {"terminated": {"containerID": "containerd://" + hexid("ledger-last", 64), "exitCode": 1,
                                     "finishedAt": at("09:09:42"), "message": aadsts, "reason": "Error",
                                     "startedAt": at("09:09:38")}},
    }}
    ledger_pods = ["ledger-5f7b9c8d46-h2j9k", "ledger-5f7b9c8d46-w8n4q"]
    deployment(c, "ledger", pns, created=at("08:12:30"), rs_hash="5f7b9c8d46",
               template={"metadata": {"labels": {"app": "ledger", **wi_labels}},
                         "spec": {"serviceAccountName": "ledger", "containers": [ledger_c]}},
               placements=[Placement(SYSTEM[1], name=ledger_pods[0], containers=[ledger_m], volumes=[ledger_vol],
                                     state=crash),
                           Placement(SYSTEM[2], name=ledger_pods[1], containers=[ledger_m], volumes=[ledger_vol],
                                     state=crash)])
    for p in ledger_pods:  # the kubelet's message names the pod and its uid
        pod = c.find("Pod", pns, p)
        w = pod["status"]["containerStatuses"][0]["state"]["waiting"]
        w["message"] = w["message"].replace("POD", p).replace("UID", pod["metadata"]["uid"])
    c.service("ledger", pns, selector={"app": "ledger"}, created="2026-08-04T09:12:44Z", labels={"app": "ledger"},
              ports=[{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"}])

    reports_c = container("reports", f"{ACR}/payments/reports:0.7.0", cpu="1", memory="2Gi", mem_limit="4Gi",
                          ports=[{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
                          readiness=http_probe("/ready", "http"),
                          mounts=[{"mountPath": "/data", "name": "data"}])
    unsched = ("0/5 nodes are available: 2 node(s) had volume node affinity conflict, 3 node(s) didn't match Pod's "
               "node affinity/selector. preemption: 0/5 nodes are available: 5 Preemption is not helpful for "
               "scheduling.")
    deployment(c, "reports", pns, created=at("08:40:00"), rs_hash="6d8f9b7c54",
               template={"metadata": {"labels": {"app": "reports"}},
                         "spec": {"containers": [reports_c], "nodeSelector": {"kubernetes.azure.com/agentpool": "user"},
                                  "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "reports-data"}}]}},
               placements=[Placement(None, name=REPORTS_POD, unschedulable=unsched, created=at("08:40:01"))])

    for obj, target, trigger in (
        ("api", "api", {"type": "azure-servicebus", "metadata": {"queueName": "payments-in", "messageCount": "50",
                                                                 "namespace": "sb-payments-prod"},
                        "authenticationRef": {"name": "servicebus-workload-identity"}}),
        ("ledger", "ledger", {"type": "azure-servicebus", "metadata": {"queueName": "ledger-postings",
                                                                       "messageCount": "100",
                                                                       "namespace": "sb-payments-prod"},
                              "authenticationRef": {"name": "servicebus-workload-identity"}}),
    ):
        c.add("keda.sh/v1alpha1", "ScaledObject",
              c.meta("ScaledObject", obj, pns, "2026-11-24T16:05:31Z", generation=1, labels={"app": target}),
              spec={"cooldownPeriod": 300, "maxReplicaCount": 20, "minReplicaCount": 2, "pollingInterval": 30,
                    "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                    "triggers": [trigger]})

    # ---------------------------------------------------------------- events
    ns_pod = {p: c.find("Pod", pns, p) for p in ledger_pods}
    for i, (p, pod) in enumerate(ns_pod.items()):
        node = pod["spec"]["nodeName"]
        c.event(pod, "BackOff",
                f"Back-off restarting failed container ledger in pod {p}_{pns}({pod['metadata']['uid']})",
                component="kubelet", host=node, first=at(f"08:13:1{i}"), last=at(f"09:11:0{i}"), count=243,
                field_path="spec.containers{ledger}")
        c.event(pod, "Pulled", f'Container image "{ACR}/payments/ledger:1.9.2" already present on machine',
                type="Normal", component="kubelet", host=node, first=at("08:12:33"), last=at("09:09:37"), count=13,
                field_path="spec.containers{ledger}")
    reports = c.find("Pod", pns, REPORTS_POD)
    c.event(reports, "FailedScheduling", unsched, component="default-scheduler",
            first="2026-11-25T08:40:01.583920Z", new_api=True)
    c.event(reports, "NotTriggerScaleUp",
            "pod didn't trigger scale-up: 1 node(s) didn't match Pod's node affinity/selector, "
            "1 node(s) had volume node affinity conflict",
            type="Normal", component="cluster-autoscaler", first=at("08:40:12"), last=at("09:10:44"), count=181)
    return c, _facts(disk_id)


def _facts(disk_id: str) -> CloudFacts:
    def az(call: str, rid: str) -> Provenance:
        return Provenance("azure", call, rid)

    mc = az("Microsoft.ContainerService/managedClusters/read", CLUSTER_ID)
    uami = f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/Microsoft.ManagedIdentity/userAssignedIdentities"
    fic_call = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read"
    return CloudFacts(
        collected_at="2026-11-25T09:20:00Z",
        provider="azure",
        cluster_name=NAME,
        region=LOCATION,
        cluster_identity=ClusterIdentity(provenance=mc, oidc_issuer=ISSUER, workload_identity_enabled=True),
        identity_bindings=(
            IdentityBinding(namespace="payments", service_account="api", identity=API_CLIENT_ID,
                            mechanism="azure-workload-identity", provenance=az(fic_call, f"{uami}/id-payments-api"),
                            exists=True, trusted=True, trust_subjects=("system:serviceaccount:payments:api",),
                            audiences=("api://AzureADTokenExchange",)),
            IdentityBinding(namespace="payments", service_account="ledger", identity=LEDGER_CLIENT_ID,
                            mechanism="azure-workload-identity", provenance=az(fic_call, f"{uami}/id-ledger"),
                            exists=True, trusted=False,
                            problems=("subject system:serviceaccount:payments:ledger not matched (federated "
                                      f"credential fic-ledger admits {FIC_BAD})",),
                            trust_subjects=(FIC_BAD,), audiences=("api://AzureADTokenExchange",)),
        ),
        registry_access=tuple(
            RegistryAccess(registry=ACR, principal=KUBELET_IDENTITY, can_pull=True, node_pool=pool,
                           provenance=az("Microsoft.Authorization/roleAssignments/read",
                                         f"/subscriptions/{SUB}/resourceGroups/{RG}/providers/"
                                         "Microsoft.ContainerRegistry/registries/paymentsacr"))
            for pool in ("system", "user")),
        node_pools=(
            NodePool(name="system", provenance=az("Microsoft.ContainerService/managedClusters/agentPools/read",
                                                  f"{CLUSTER_ID}/agentPools/system"),
                     zones=(f"{LOCATION}-1", f"{LOCATION}-2", f"{LOCATION}-3"), min_size=3, max_size=5,
                     desired_size=3, mode="System", autoscaling=True, instance_types=("Standard_D4ds_v5",),
                     taints=(), node_identity=KUBELET_IDENTITY),
            NodePool(name="user", provenance=az("Microsoft.ContainerService/managedClusters/agentPools/read",
                                                f"{CLUSTER_ID}/agentPools/user"),
                     zones=(f"{LOCATION}-2", f"{LOCATION}-3"), min_size=2, max_size=6, desired_size=2, mode="User",
                     autoscaling=True, instance_types=("Standard_D8ds_v5",), taints=(),
                     node_identity=KUBELET_IDENTITY),
        ),
        disks=(Disk(volume_handle=disk_id, provenance=az("Microsoft.Compute/disks/read", disk_id),
                    zones=(f"{LOCATION}-1",), sku="Premium_LRS", state="Unattached"),),
        egress_gateways=(
            EgressGateway(gateway_id=NAT_ID, provenance=az("Microsoft.Insights/metrics/read", NAT_ID),
                          window_minutes=60, zone=None, port_allocation_errors=2961.0, dropped_packets=4127.0,
                          active_connections=61840.0, connection_attempts=1533207.0,
                          subnets=(f"{VNET}/subnets/aks-subnet",)),
        ),
        subnets=(Subnet(subnet_id=f"{VNET}/subnets/aks-subnet",
                        provenance=az("Microsoft.Network/virtualNetworks/usages/read", VNET), zone=None,
                        cidr="10.224.0.0/16", available_ips=65522, total_ips=65531),),
        network=NetworkSettings(provenance=mc, outbound_type="managedNATGateway", keda_enabled=False,
                                network_mtu=1500, network_plugin="azure", network_plugin_mode="overlay"),
        api_calls={"Microsoft.Compute/disks/read": 1, "Microsoft.ContainerService/managedClusters/read": 1,
                   "Microsoft.Insights/metrics/read": 1,
                   "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read": 2,
                   "Microsoft.ManagedIdentity/userAssignedIdentities/read": 1,
                   "Microsoft.Network/natGateways/read": 1, "Microsoft.Network/virtualNetworks/usages/read": 1,
                   "Microsoft.Authorization/roleAssignments/read": 1},
    )
