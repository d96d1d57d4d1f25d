"""``gke``: GKE ``gke-prod`` (project ``shop-gke-prod``, regional cluster in us-central1).

- Identity: KSA shop/order-export is annotated with the Google service account
  ``order-export@shop-gke-prod.iam.gserviceaccount.com``, but the GSA grants
  ``roles/iam.workloadIdentityUser`` only to ``[default/order-export]`` (where the job used to
  run). The GKE metadata server cannot mint a token; the exporter gets 403s and crash-loops.
- Registry: shop/recommender moved to a new Artifact Registry repository in
  ``us-central1-docker.pkg.dev``; the node service account of ``default-pool`` has
  ``roles/artifactregistry.reader`` on the old ``us-docker.pkg.dev`` repository only:
  ImagePullBackOff.
- Network: shop/frontend's readiness probe answers 503 (its recommender backend is down), so
  the Service behind the ``frontend`` Ingress has no ready endpoints.
- Storage: ``standard-rwo`` (pd-balanced, WaitForFirstConsumer) backs shop/cart-redis; fine.
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
    statefulset,
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

NAME = "gke-prod"
PROJECT = "shop-gke-prod"
REGION = "us-central1"
CLUSTER_PATH = f"projects/{PROJECT}/locations/{REGION}/clusters/{NAME}"
POOL = "default-pool"
NODE_SA = f"gke-prod-nodes@{PROJECT}.iam.gserviceaccount.com"
GSA = f"order-export@{PROJECT}.iam.gserviceaccount.com"
AR_NEW = f"{REGION}-docker.pkg.dev"
AR_OLD = "us-docker.pkg.dev"
GKE_REG = "gke.gcr.io"
PRIORITIES = {"system-cluster-critical": 2000000000, "system-node-critical": 2000001000}
CREATED = "2026-07-21T12:30:05Z"
NODES_CREATED = "2026-11-19T03:14:27Z"
NODES = {
    f"gke-{NAME}-{POOL}-8f2a1c3e-x7k2": "us-central1-a",
    f"gke-{NAME}-{POOL}-3b9d5e7f-q4m8": "us-central1-b",
    f"gke-{NAME}-{POOL}-c6e0a2b4-z9t1": "us-central1-c",
}
N = list(NODES)
IMAGE_NEW = f"{AR_NEW}/{PROJECT}/shop/recommender:2.3.1"
REDIS_DISK = f"projects/{PROJECT}/zones/us-central1-b/disks/pvc-"


def _node(c: Cluster, name: str, i: int) -> Obj:
    zone = NODES[name]
    return c.node(
        name, zone=zone, region=REGION, ip=f"10.128.0.{21 + i}", external_ip=None,
        provider_id=f"gce://{PROJECT}/{zone}/{name}", instance_type="e2-standard-4", created=NODES_CREATED,
        pod_cidr=f"10.52.{i}.0/24",
        labels={
            "cloud.google.com/gke-boot-disk": "pd-balanced",
            "cloud.google.com/gke-container-runtime": "containerd",
            "cloud.google.com/gke-cpu-scaling-level": "4",
            "cloud.google.com/gke-logging-variant": "DEFAULT",
            "cloud.google.com/gke-max-pods-per-node": "110",
            "cloud.google.com/gke-memory-gb-scaling-level": "16",
            "cloud.google.com/gke-nodepool": POOL,
            "cloud.google.com/gke-os-distribution": "cos",
            "cloud.google.com/gke-provisioning": "standard",
            "cloud.google.com/gke-stack-type": "IPV4",
            "cloud.google.com/machine-family": "e2",
            "cloud.google.com/private-node": "true",
            "iam.gke.io/gke-metadata-server-enabled": "true",
            "topology.gke.io/zone": zone,
        },
        capacity={"cpu": "4", "ephemeral-storage": "98831908Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0",
                  "memory": "16393324Ki", "pods": "110"},
        allocatable={"cpu": "3920m", "ephemeral-storage": "47060071478", "hugepages-1Gi": "0", "hugepages-2Mi": "0",
                     "memory": "13134444Ki", "pods": "110"},
        kubelet="v1.31.3-gke.1006000", os_image="Container-Optimized OS from Google",
        runtime="containerd://1.7.24", kernel="6.1.112+", internal_dns=f"{name}.{zone}.c.{PROJECT}.internal",
    )


def build() -> tuple[Cluster, CloudFacts]:
    """The gke cluster and its recorded GCP facts."""
    c = Cluster(NAME)
    for ns in ("default", "kube-node-lease", "kube-public", "kube-system", "gmp-public", "gmp-system",
               "gke-managed-system"):
        c.namespace(ns, CREATED)
    c.namespace("shop", "2026-07-22T08:01:17Z")
    for name, value in PRIORITIES.items():
        c.add("scheduling.k8s.io/v1", "PriorityClass", c.meta("PriorityClass", name, None, CREATED),
              description=f"Used for {name.split('-')[1]}-critical system pods.",
              preemptionPolicy="PreemptLowerPriority", value=value)
    for i, n in enumerate(N):
        _node(c, n, i)

    # ---------------------------------------------------------------- kube-system (GKE add-ons)
    ks = "kube-system"
    for sa in ("default", "kube-dns", "metrics-server", "netd", "pdcsi-node-sa", "fluentbit-gke",
               "gke-metadata-server"):
        c.add("v1", "ServiceAccount", c.meta("ServiceAccount", sa, ks, CREATED,
                                            labels={"addonmanager.kubernetes.io/mode": "Reconcile"}))
    node_env = [field_env("NODE_NAME", "spec.nodeName")]
    system_ds(c, "netd", ks, labels={"k8s-app": "netd"}, nodes=N, created=CREATED, revision="7c5f9d8b6",
              priorities=PRIORITIES, host_network=True, sa="netd", containers=[
                  container("netd", f"{GKE_REG}/netd-amd64:v0.5.10-gke.1", cpu="5m", memory="30Mi", env=node_env,
                            liveness=http_probe("/healthz", 10231, delay=300, period=20))])
    system_ds(c, "gke-metadata-server", ks, labels={"k8s-app": "gke-metadata-server"}, nodes=N, created=CREATED,
              revision="5d8f7c6b9", priorities=PRIORITIES, host_network=True, sa="gke-metadata-server", containers=[
                  container("gke-metadata-server", f"{GKE_REG}/gke-metadata-server:20241007_2300_RC0", cpu="100m",
                            memory="100Mi", mem_limit="100Mi", env=node_env,
                            args=[f"--identity-namespace={PROJECT}.svc.id.goog", "--logtostderr",
                                  f"--identity-provider-id=https://container.googleapis.com/v1/{CLUSTER_PATH}",
                                  "--metadata-server-port=987", "--enable-mds-v2=true"],
                            liveness=http_probe("/healthz", 989, delay=10, period=10, timeout=5))])
    system_ds(c, "pdcsi-node", ks, labels={"k8s-app": "gcp-compute-persistent-disk-csi-driver"}, nodes=N,
              created=CREATED, revision="6b9c8d7f5", priorities=PRIORITIES, sa="pdcsi-node-sa", containers=[
                  container("csi-driver-registrar", f"{GKE_REG}/csi-node-driver-registrar:v2.9.4-gke.3", cpu="5m",
                            memory="10Mi", env=node_env),
                  container("gce-pd-driver", f"{GKE_REG}/gcp-compute-persistent-disk-csi-driver:v1.13.11-gke.0",
                            cpu="5m", memory="10Mi", securityContext={"privileged": True})])
    system_ds(c, "fluentbit-gke", ks, labels={"component": "fluentbit-gke", "k8s-app": "fluentbit-gke"}, nodes=N,
              created=CREATED, revision="8f6d5c9b7", priorities=PRIORITIES, sa="fluentbit-gke", containers=[
                  container("fluentbit", f"{GKE_REG}/fluent-bit:v1.8.12-gke.41", cpu="100m", memory="200Mi",
                            mem_limit="250Mi"),
                  container("fluentbit-gke", f"{GKE_REG}/fluent-bit-gke-exporter:v0.28.0-gke.8", cpu="5m",
                            memory="50Mi", mem_limit="250Mi")])
    for n in N:  # kube-proxy runs as a static pod on GKE (dataplane v1)
        node_obj = c.find("Node", None, n)
        c.pod(f"kube-proxy-{n}", ks, node=n, created=NODES_CREATED,
              owner={"apiVersion": "v1", "controller": True, "kind": "Node", "name": n,
                     "uid": node_obj["metadata"]["uid"]},
              labels={"component": "kube-proxy", "tier": "node"}, host_network=True, priority=2000001000,
              priority_class="system-node-critical",
              annotations={"kubernetes.io/config.hash": hexid("kp" + n, 32),
                           "kubernetes.io/config.source": "file"},
              containers=[container("kube-proxy", f"{GKE_REG}/kube-proxy-amd64:v1.31.3-gke.1006000", cpu="100m",
                                    securityContext={"privileged": True})])
    crit = [{"key": "CriticalAddonsOnly", "operator": "Exists"},
            {"key": "components.gke.io/gke-managed-components", "operator": "Exists"}]
    system_deploy(c, "kube-dns", ks, labels={"k8s-app": "kube-dns"}, nodes=[N[0], N[2]], created=CREATED,
                  rs_hash="5d7b8c6f9d", priorities=PRIORITIES, sa="kube-dns", tolerations=crit, containers=[
                      container("kubedns", f"{GKE_REG}/k8s-dns-kube-dns:1.23.0-gke.9", cpu="100m", memory="70Mi",
                                mem_limit="210Mi", readiness=http_probe("/readiness", 8081, delay=3, timeout=5),
                                liveness=http_probe("/healthcheck/kubedns", 10054, delay=60, timeout=5, failures=5),
                                ports=[{"containerPort": 10053, "name": "dns-local", "protocol": "UDP"}]),
                      container("dnsmasq", f"{GKE_REG}/k8s-dns-dnsmasq-nanny:1.23.0-gke.9", cpu="150m",
                                memory="20Mi",
                                ports=[{"containerPort": 53, "name": "dns", "protocol": "UDP"},
                                       {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"}]),
                      container("sidecar", f"{GKE_REG}/k8s-dns-sidecar:1.23.0-gke.9", cpu="10m", memory="20Mi")])
    c.service("kube-dns", ks, selector={"k8s-app": "kube-dns"}, created=CREATED, cluster_ip="34.118.224.10",
              labels={"addonmanager.kubernetes.io/mode": "Reconcile", "k8s-app": "kube-dns",
                      "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "KubeDNS"},
              ports=[{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                     {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53}])
    system_deploy(c, "metrics-server-v1.31.0", ks, labels={"k8s-app": "metrics-server", "version": "v1.31.0"},
                  nodes=[N[1]], created=CREATED, rs_hash="6c8b7f9d5c", priorities=PRIORITIES, sa="metrics-server",
                  tolerations=crit, containers=[
                      container("metrics-server", f"{GKE_REG}/metrics-server:v0.7.1-gke.23", cpu="48m",
                                memory="105Mi", mem_limit="105Mi", cpu_limit="48m",
                                args=["--metric-resolution=30s", "--kubelet-port=10255",
                                      "--deprecated-kubelet-completely-insecure=true",
                                      "--kubelet-preferred-address-types=InternalIP,Hostname,InternalDNS,ExternalDNS,ExternalIP",
                                      "--cert-dir=/tmp", "--secure-port=10250"],
                                ports=[{"containerPort": 10250, "name": "https", "protocol": "TCP"}],
                                readiness=http_probe("/readyz", "https", delay=20, scheme="HTTPS"),
                                liveness=http_probe("/livez", "https", scheme="HTTPS"))])
    c.service("metrics-server", ks, selector={"k8s-app": "metrics-server"}, created=CREATED,
              labels={"addonmanager.kubernetes.io/mode": "Reconcile", "k8s-app": "metrics-server"},
              ports=[{"port": 443, "protocol": "TCP", "targetPort": "https"}])
    c.add("rbac.authorization.k8s.io/v1", "ClusterRoleBinding",
          c.meta("ClusterRoleBinding", "cluster-admin", None, CREATED,
                 labels={"kubernetes.io/bootstrapping": "rbac-defaults"}),
          roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
          subjects=[{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}])
    c.add("rbac.authorization.k8s.io/v1", "ClusterRoleBinding",
          c.meta("ClusterRoleBinding", "storage-admins", None, "2026-07-22T08:01:17Z"),
          roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "cluster-admin"},
          subjects=[{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "dana@example.com"}])

    # ---------------------------------------------------------------- storage
    gke_sc = {"addonmanager.kubernetes.io/mode": "EnsureExists"}
    storage_class(c, "premium-rwo", provisioner="pd.csi.storage.gke.io", parameters={"type": "pd-ssd"},
                  binding="WaitForFirstConsumer", created=CREATED, labels=gke_sc,
                  annotations={"components.gke.io/component-name": "pdcsi",
                               "components.gke.io/component-version": "0.21.22"})
    storage_class(c, "standard-rwo", provisioner="pd.csi.storage.gke.io", parameters={"type": "pd-balanced"},
                  binding="WaitForFirstConsumer", created=CREATED, default=True, labels=gke_sc,
                  annotations={"components.gke.io/component-name": "pdcsi",
                               "components.gke.io/component-version": "0.21.22"})
    redis_claim_uid = c.uid("PersistentVolumeClaim", "shop", "data-cart-redis-0")
    redis_disk = f"{REDIS_DISK}{redis_claim_uid}"
    bound_claim(c, "data-cart-redis-0", "shop", storage_class="standard-rwo", size="10Gi",
                created="2026-07-22T08:03:40Z", bound_at="2026-07-22T08:03:44Z", driver="pd.csi.storage.gke.io",
                volume_handle=redis_disk, zone_key="topology.gke.io/zone", zones=["us-central1-b"],
                labels={"app": "cart-redis"}, selected_node=N[1],
                volume_attributes={"storage.kubernetes.io/csiProvisionerIdentity": "1753087805123-2447-pd.csi.storage.gke.io"})

    # ---------------------------------------------------------------- shop
    sns = "shop"
    c.add("v1", "ServiceAccount", c.meta("ServiceAccount", "default", sns, "2026-07-22T08:01:17Z"))
    c.add("v1", "ServiceAccount", c.meta("ServiceAccount", "order-export", sns, "2026-11-24T15:20:03Z",
                                        labels={"app": "order-export"},
                                        annotations={"iam.gke.io/gcp-service-account": GSA}))
    c.add("v1", "ServiceAccount", c.meta("ServiceAccount", "recommender", sns, "2026-07-22T08:01:17Z",
                                        labels={"app": "recommender"}))

    forbidden = (
        "Traceback (most recent call last):\n  File \"/app/export.py\", line 48, in <module>\n"
        "    for blob in bucket.list_blobs(prefix=\"orders/\"):\n"
        "google.auth.exceptions.RefreshError: ('Unable to generate access token; IAM returned 403 Forbidden: "
        "Permission \\'iam.serviceAccounts.getAccessToken\\' denied on resource (or it may not exist).\\n"
        "This error could be caused by a missing IAM policy binding on the target IAM service account.\\n"
        f"For more information, refer to the Workload Identity documentation:\\n\\t"
        "https://cloud.google.com/kubernetes-engine/docs/how-to/workload-identity#authenticating_to\\n\\n', "
        f"'Failed to retrieve http://metadata.google.internal/computeMetadata/v1/instance/service-accounts/{GSA}/token "
        "from the Google Compute Engine metadata service. Status: 403')\n"
    )
    exporter = container("order-export", f"{AR_OLD}/{PROJECT}/shop/order-export:1.2.0", cpu="100m",
                         memory="128Mi", mem_limit="256Mi",
                         env=[{"name": "EXPORT_BUCKET", "value": "gs://shop-gke-prod-exports"},
                              field_env("POD_NAME", "metadata.name")],
                         terminationMessagePolicy="FallbackToLogsOnError")
    deployment(c, "order-export", sns, created="2026-11-24T15:20:03Z", rs_hash="7c9d5b8f64",
               template={"metadata": {"labels": {"app": "order-export"}},
                         "spec": {"serviceAccountName": "order-export", "containers": [exporter],
                                  "nodeSelector": {"iam.gke.io/gke-metadata-server-enabled": "true"}}},
               placements=[Placement(N[2], name="order-export-7c9d5b8f64-k2v9p", state={"order-export": {
                   "waiting": {"reason": "CrashLoopBackOff",
                               "message": "back-off 5m0s restarting failed container=order-export "
                                          "pod=order-export-7c9d5b8f64-k2v9p_shop(UID)"},
                   "restartCount": 199, "notReadySince": "2026-11-24T15:20:41Z",
                   "lastState": {"terminated": {"containerID": "containerd://" + hexid("oe-last", 64),
                                                "exitCode": 1, "finishedAt": at("09:08:19"),
                                                "message": forbidden, "reason": "Error",
                                                "startedAt": at("09:08:15")}}}})])
    oe = c.find("Pod", sns, "order-export-7c9d5b8f64-k2v9p")
    w = oe["status"]["containerStatuses"][0]["state"]["waiting"]
    w["message"] = w["message"].replace("UID", oe["metadata"]["uid"])

    rec = container("recommender", IMAGE_NEW, cpu="500m", memory="512Mi", mem_limit="1Gi",
                    ports=[{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
                    readiness=http_probe("/ready", "http"),
                    env=[field_env("POD_NAME", "metadata.name")])
    rec_pods = ["recommender-5b7d9c8f46-4xw2n", "recommender-5b7d9c8f46-t8r6j"]
    pull_wait = {"recommender": {"waiting": {"reason": "ImagePullBackOff",
                                             "message": f'Back-off pulling image "{IMAGE_NEW}"'},
                                 "notReadySince": at("08:31:05")}}
    deployment(c, "recommender", sns, created="2026-07-22T08:01:17Z", rs_hash="5b7d9c8f46", generation=9,
               template={"metadata": {"labels": {"app": "recommender"}},
                         "spec": {"serviceAccountName": "recommender", "containers": [rec]}},
               placements=[Placement(N[0], name=rec_pods[0], created=at("08:31:02"), scheduled_at=at("08:31:02"),
                                     state=pull_wait),
                           Placement(N[1], name=rec_pods[1], created=at("08:31:02"), scheduled_at=at("08:31:03"),
                                     state=pull_wait)])
    c.service("recommender", sns, selector={"app": "recommender"}, created="2026-07-22T08:01:17Z",
              labels={"app": "recommender"},
              ports=[{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"}])

    fe = container("frontend", f"{AR_OLD}/{PROJECT}/shop/frontend:7.0.3", cpu="250m", memory="256Mi",
                   mem_limit="512Mi", ports=[{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
                   readiness=http_probe("/healthz", "http", period=5), liveness=http_probe("/livez", "http", delay=15),
                   env=[{"name": "RECOMMENDER_URL", "value": "http://recommender.shop.svc.cluster.local"},
                        {"name": "CART_URL", "value": "redis://cart-redis.shop.svc.cluster.local:6379"},
                        field_env("POD_NAME", "metadata.name")])
    fe_state = {"frontend": {"ready": False, "notReadySince": at("08:31:40")}}
    fe_pods = ["frontend-6c8f7d9b55-b7n3k", "frontend-6c8f7d9b55-p5w8z"]
    deployment(c, "frontend", sns, created="2026-07-22T08:01:17Z", rs_hash="6c8f7d9b55",
               template={"metadata": {"labels": {"app": "frontend"}},
                         "spec": {"containers": [fe]}},
               placements=[Placement(N[0], name=fe_pods[0], state=fe_state),
                           Placement(N[2], name=fe_pods[1], state=fe_state)])
    c.service("frontend", sns, selector={"app": "frontend"}, created="2026-07-22T08:01:17Z",
              labels={"app": "frontend"},
              annotations={"cloud.google.com/neg": '{"ingress":true}',
                           "cloud.google.com/neg-status": '{"network_endpoint_groups":{"80":"k8s1-3f6b2d1e-shop-frontend-80-9c7a5e3b"},"zones":["us-central1-a","us-central1-b","us-central1-c"]}'},
              ports=[{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"}])
    c.add("networking.k8s.io/v1", "Ingress",
          c.meta("Ingress", "frontend", sns, "2026-07-22T08:01:17Z", generation=1,
                 annotations={"ingress.kubernetes.io/backends": '{"k8s1-3f6b2d1e-shop-frontend-80-9c7a5e3b":"UNHEALTHY"}',
                              "ingress.kubernetes.io/forwarding-rule": "k8s2-fr-3f6b2d1e-shop-frontend-8a1b2c3d",
                              "ingress.kubernetes.io/target-proxy": "k8s2-tp-3f6b2d1e-shop-frontend-8a1b2c3d",
                              "ingress.kubernetes.io/url-map": "k8s2-um-3f6b2d1e-shop-frontend-8a1b2c3d",
                              "kubernetes.io/ingress.class": "gce",
                              "kubernetes.io/ingress.global-static-ip-name": "shop-frontend-ip"}),
          spec={"defaultBackend": {"service": {"name": "frontend", "port": {"number": 80}}}},
          status={"loadBalancer": {"ingress": [{"ip": "34.149.27.118"}]}})

    redis = container("redis", "redis:7.4.1", cpu="250m", memory="512Mi", mem_limit="1Gi",
                      ports=[{"containerPort": 6379, "name": "redis", "protocol": "TCP"}],
                      readiness={"exec": {"command": ["redis-cli", "ping"]}, "failureThreshold": 3,
                                 "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 1},
                      mounts=[{"mountPath": "/data", "name": "data"}])
    statefulset(c, "cart-redis", sns, template={"metadata": {"labels": {"app": "cart-redis"}},
                                                "spec": {"containers": [redis]}},
                placements=[Placement(N[1])], created="2026-07-22T08:03:40Z", service_name="cart-redis",
                revision="6f5d8c7b9a",
                claim_templates=[{"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                  "metadata": {"creationTimestamp": None, "name": "data"},
                                  "spec": {"accessModes": ["ReadWriteOnce"],
                                           "resources": {"requests": {"storage": "10Gi"}},
                                           "storageClassName": "standard-rwo", "volumeMode": "Filesystem"},
                                  "status": {"phase": "Pending"}}])
    c.service("cart-redis", sns, selector={"app": "cart-redis"}, created="2026-07-22T08:03:40Z",
              labels={"app": "cart-redis"},
              ports=[{"name": "redis", "port": 6379, "protocol": "TCP", "targetPort": "redis"}])

    # ---------------------------------------------------------------- events
    for p in rec_pods:
        pod = c.find("Pod", sns, p)
        node = pod["spec"]["nodeName"]
        fp = "spec.containers{recommender}"
        c.event(pod, "Pulling", f'Pulling image "{IMAGE_NEW}"', type="Normal", component="kubelet", host=node,
                first=at("08:31:03"), last=at("09:08:52"), count=11, field_path=fp)
        c.event(pod, "Failed",
                f'Failed to pull image "{IMAGE_NEW}": failed to pull and unpack image "{IMAGE_NEW}": failed to '
                f'resolve reference "{IMAGE_NEW}": failed to authorize: failed to fetch oauth token: unexpected '
                f"status from GET request to https://{AR_NEW}/v2/token?scope=repository%3A{PROJECT}%2Fshop%2F"
                f"recommender%3Apull&service={AR_NEW}: 403 Forbidden",
                component="kubelet", host=node, first=at("08:31:04"), last=at("09:08:53"), count=11, field_path=fp)
        c.event(pod, "Failed", "Error: ErrImagePull", component="kubelet", host=node, first=at("08:31:04"),
                last=at("09:08:53"), count=11, field_path=fp)
        c.event(pod, "BackOff", f'Back-off pulling image "{IMAGE_NEW}"', type="Normal", component="kubelet",
                host=node, first=at("08:31:05"), last=at("09:11:31"), count=163, field_path=fp)
        c.event(pod, "Failed", "Error: ImagePullBackOff", component="kubelet", host=node, first=at("08:31:05"),
                last=at("09:11:31"), count=163, field_path=fp)
    for p in fe_pods:
        pod = c.find("Pod", sns, p)
        c.event(pod, "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503",
                component="kubelet", host=pod["spec"]["nodeName"], first=at("08:31:40"), last=at("09:11:45"),
                count=482, field_path="spec.containers{frontend}")
    c.event(oe, "BackOff",
            f"Back-off restarting failed container order-export in pod order-export-7c9d5b8f64-k2v9p_shop"
            f"({oe['metadata']['uid']})",
            component="kubelet", host=N[2], first="2026-11-24T15:20:58Z", last=at("09:08:20"), count=4380,
            field_path="spec.containers{order-export}")
    return c, _facts(redis_disk)


def _facts(redis_disk: str) -> CloudFacts:
    def gcp(call: str, rid: str) -> Provenance:
        return Provenance("gcp", call, rid)

    cluster = gcp("container.clusters.get", CLUSTER_PATH)
    pool_path = f"{CLUSTER_PATH}/nodePools/{POOL}"
    return CloudFacts(
        collected_at="2026-11-25T09:20:00Z",
        provider="gcp",
        cluster_name=NAME,
        region=REGION,
        cluster_identity=ClusterIdentity(provenance=cluster,
                                         oidc_issuer=f"https://container.googleapis.com/v1/{CLUSTER_PATH}",
                                         workload_identity_enabled=True, workload_pool=f"{PROJECT}.svc.id.goog"),
        identity_bindings=(
            IdentityBinding(namespace="shop", service_account="order-export", identity=GSA,
                            mechanism="gke-workload-identity",
                            provenance=gcp("iam.serviceAccounts.getIamPolicy",
                                           f"projects/{PROJECT}/serviceAccounts/{GSA}"),
                            exists=True, trusted=False,
                            problems=(f"roles/iam.workloadIdentityUser on {GSA} is not granted to "
                                      f"serviceAccount:{PROJECT}.svc.id.goog[shop/order-export] (it admits "
                                      f"serviceAccount:{PROJECT}.svc.id.goog[default/order-export])",),
                            trust_subjects=(f"serviceAccount:{PROJECT}.svc.id.goog[default/order-export]",)),
        ),
        registry_access=(
            RegistryAccess(registry=AR_NEW, principal=NODE_SA, can_pull=False, node_pool=POOL,
                           missing=("roles/artifactregistry.reader",),
                           provenance=gcp("artifactregistry.repositories.getIamPolicy",
                                          f"projects/{PROJECT}/locations/{REGION}/repositories/shop")),
            RegistryAccess(registry=AR_OLD, principal=NODE_SA, can_pull=True, node_pool=POOL,
                           provenance=gcp("artifactregistry.repositories.getIamPolicy",
                                          f"projects/{PROJECT}/locations/us/repositories/shop")),
        ),
        node_pools=(
            NodePool(name=POOL, provenance=gcp("container.clusters.get", pool_path),
                     zones=tuple(sorted(set(NODES.values()))), min_size=1, max_size=3, desired_size=None,
                     autoscaling=True, instance_types=("e2-standard-4",), node_identity=NODE_SA),
        ),
        disks=(Disk(volume_handle=redis_disk, provenance=gcp("compute.disks.get", redis_disk),
                    zones=("us-central1-b",), sku="pd-balanced", state="READY",
                    attached_to=(f"projects/{PROJECT}/zones/us-central1-b/instances/{N[1]}",)),),
        egress_gateways=(
            EgressGateway(gateway_id=f"{NAME}-nat", window_minutes=60, zone=None,
                          provenance=gcp("monitoring.timeSeries.list",
                                         f"projects/{PROJECT}/regions/{REGION}/routers/{NAME}-router"),
                          port_allocation_errors=0.0, dropped_packets=0.0, active_connections=3120.0,
                          subnets=(f"projects/{PROJECT}/regions/{REGION}/subnetworks/{NAME}-nodes",)),
        ),
        subnets=(Subnet(subnet_id=f"projects/{PROJECT}/regions/{REGION}/subnetworks/{NAME}-nodes",
                        provenance=gcp("compute.subnetworks.get",
                                       f"projects/{PROJECT}/regions/{REGION}/subnetworks/{NAME}-nodes"),
                        cidr="10.128.0.0/20", available_ips=4087, total_ips=4092),),
        network=NetworkSettings(provenance=cluster, network_mtu=1460),
        api_calls={"artifactregistry.repositories.getIamPolicy": 2, "compute.disks.get": 1,
                   "compute.routers.list": 1, "compute.subnetworks.get": 1, "container.clusters.get": 1,
                   "iam.serviceAccounts.getIamPolicy": 1, "monitoring.timeSeries.list": 4},
    )
