"""``domino``: EKS ``shop-prod`` (us-east-1), the seed article's 09:00 incident end to end.

Timeline (2026-11-25, UTC):

- 08:00 PVC shop/checkout-cache (StorageClass ``gp2``, ``volumeBindingMode: Immediate``) is
  bound at once: the EBS CSI driver creates the volume in us-east-1a, picked with no pod in
  sight. Its self-managed csi-provisioner runs without ``--feature-gates=Topology=true``, so
  the PV carries no nodeAffinity: the scheduler cannot see the zone.
- 08:59:58 the rollout of shop/checkout (revision 7 adds the ``cache`` volume) creates
  ``checkout-6f9c7d8b5-x2x7k``.
- 09:00 FailedScheduling: every node is short of CPU (the us-east-1a nodes also carry the
  BestEffort pods of shop/recommendations, which request nothing).
- 09:01 the cluster-autoscaler scales ``workers-us-east-1b`` 2→3 (``workers-us-east-1a`` is at
  its max of 3); the node ``ip-10-0-53-77`` registers at 09:01:40.
- 09:02 the pod is bound to the new us-east-1b node.
- 09:03 the attach fails: ``InvalidVolume.ZoneMismatch``; from 09:04 the kubelet times out
  mounting ``cache``. The pod stays Pending (ContainerCreating).
- Meanwhile the three running checkout pods (us-east-1b) call orders-db (us-east-1a) across
  zones; by 09:10 the us-east-1b NAT gateway ``nat-0b7e4c2a91f3d5e68`` runs out of ports.
"""

from __future__ import annotations

from r2c_clouds.demo._build import eks
from r2c_clouds.demo._build.kube import (
    Cluster,
    Obj,
    Placement,
    alnum,
    at,
    bound_claim,
    deployment,
    statefulset,
    storage_class,
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

NAME = "shop-prod"
REGION = "us-east-1"
ACCOUNT = "123456789012"
VPC = "vpc-0a3c5e7f9b1d24680"
ECR = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
OIDC_ID = "8F1C5A2B9D3E4F60718293A4B5C6D7E8"
ISSUER = f"https://oidc.eks.{REGION}.amazonaws.com/id/{OIDC_ID}"
CLUSTER_ARN = f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{NAME}"
NODE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/{NAME}-node-role"
ASG_1B = "eks-workers-us-east-1b-4ec9a7d2-6b1f-3e8a-9c5d-2f7a1b3c4d5e"

CREATED = "2026-09-15T10:04:12Z"
NODES_CREATED = "2026-11-10T14:22:31Z"
NEW_NODE_CREATED = at("09:01:40")

N1A = ["ip-10-0-12-23.ec2.internal", "ip-10-0-17-87.ec2.internal", "ip-10-0-25-142.ec2.internal"]
N1B = ["ip-10-0-41-31.ec2.internal", "ip-10-0-46-118.ec2.internal"]
NEW_NODE = "ip-10-0-53-77.ec2.internal"
INSTANCE_IDS = {
    N1A[0]: "i-0a1b2c3d4e5f60718", N1A[1]: "i-0b2c3d4e5f6071829", N1A[2]: "i-0c3d4e5f607182930",
    N1B[0]: "i-0d4e5f60718293a41", N1B[1]: "i-0e5f60718293a4b52", NEW_NODE: "i-0f60718293a4b5c63",
}
CACHE_VOLUME = "vol-0c3f5e7a9b1d24680"
ORDERS_VOLUME = "vol-04d2b6e8f0a1c3579"
NAT_1B = "nat-0b7e4c2a91f3d5e68"
NAT_1A = "nat-0a6d3b1f8e2c4a597"
SUBNET_1A = "subnet-0a1f3c5e7b9d24601"
SUBNET_1B = "subnet-0b2e4d6f8a0c13572"
DATABASE_URL = "postgres://orders-db.shop.svc.cluster.local:5432/orders"

CHECKOUT_POD = "checkout-6f9c7d8b5-x2x7k"


def _container(name: str, image: str, *, cpu: str | None, memory: str | None, mem_limit: str | None,
               port: int = 8080, ready_path: str | None = "/ready", env: list[Obj] | None = None,
               mounts: list[Obj] | None = None) -> Obj:
    c: Obj = {"name": name, "image": image,
              "ports": [{"containerPort": port, "name": "http", "protocol": "TCP"}]}
    res: Obj = {}
    if cpu or memory:
        res["requests"] = {k: v for k, v in (("cpu", cpu), ("memory", memory)) if v}
    if mem_limit:
        res["limits"] = {"memory": mem_limit}
    c["resources"] = res
    if ready_path:
        c["readinessProbe"] = {"httpGet": {"path": ready_path, "port": "http", "scheme": "HTTP"},
                               "failureThreshold": 3, "periodSeconds": 10, "successThreshold": 1,
                               "timeoutSeconds": 1}
        c["livenessProbe"] = {"httpGet": {"path": "/healthz", "port": "http", "scheme": "HTTP"},
                              "failureThreshold": 3, "initialDelaySeconds": 15, "periodSeconds": 20,
                              "successThreshold": 1, "timeoutSeconds": 1}
    if env:
        c["env"] = env
    if mounts:
        c["volumeMounts"] = mounts
    return c


def _app(name: str, containers: list[Obj], **spec: object) -> Obj:
    labels = {"app": name, "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "shop"}
    return {"metadata": {"labels": labels}, "spec": {"serviceAccountName": spec.pop("sa", "default"),
                                                     "containers": containers, **spec}}


def _http_service(c: Cluster, name: str, port: int = 80) -> None:
    c.service(name, "shop", selector={"app": name}, created=CREATED,
              labels={"app": name, "app.kubernetes.io/part-of": "shop"},
              ports=[{"name": "http", "port": port, "protocol": "TCP", "targetPort": "http"}])


def build() -> tuple[Cluster, CloudFacts]:
    """The domino cluster and its recorded AWS facts."""
    c = Cluster(NAME)
    eks.namespaces(c, CREATED, "ingress-nginx", "shop")
    eks.priority_classes(c, CREATED)

    zone_ids = {"us-east-1a": "use1-az6", "us-east-1b": "use1-az1"}
    for n in N1A:
        eks.node(c, n, zone="us-east-1a", zone_id=zone_ids["us-east-1a"], nodegroup="workers-us-east-1a",
                 instance_type="m5.large", instance_id=INSTANCE_IDS[n], created=NODES_CREATED,
                 ami="ami-0c5d8f2a7e3b91046")
    for n in N1B:
        eks.node(c, n, zone="us-east-1b", zone_id=zone_ids["us-east-1b"], nodegroup="workers-us-east-1b",
                 instance_type="m5.large", instance_id=INSTANCE_IDS[n], created=NODES_CREATED,
                 ami="ami-0c5d8f2a7e3b91046")
    new_node = eks.node(c, NEW_NODE, zone="us-east-1b", zone_id=zone_ids["us-east-1b"],
                        nodegroup="workers-us-east-1b", instance_type="m5.large", instance_id=INSTANCE_IDS[NEW_NODE],
                        created=NEW_NODE_CREATED, ready_at=at("09:02:08"), ami="ami-0c5d8f2a7e3b91046")
    nodes = N1A + N1B + [NEW_NODE]

    roles = {
        "aws-node": f"arn:aws:iam::{ACCOUNT}:role/AmazonEKSVPCCNIRole",
        "ebs-csi-controller-sa": f"arn:aws:iam::{ACCOUNT}:role/AmazonEKS_EBS_CSI_DriverRole",
        "cluster-autoscaler": f"arn:aws:iam::{ACCOUNT}:role/{NAME}-cluster-autoscaler",
    }
    eks.system(c, region=REGION, cluster_name=NAME, vpc_id=VPC, created=CREATED, nodes=nodes,
               node_created={NEW_NODE: NEW_NODE_CREATED}, coredns_nodes=[N1A[0], N1A[1]], metrics_node=N1A[2],
               ebs_controller_nodes=[N1A[2], N1B[1]], autoscaler_node=N1A[1], roles=roles, csi_topology=False)
    checkout_role = f"arn:aws:iam::{ACCOUNT}:role/{NAME}-checkout"
    eks.service_account(c, "checkout", "shop", CREATED,
                        annotations={"eks.amazonaws.com/role-arn": checkout_role},
                        labels={"app.kubernetes.io/name": "checkout"})
    eks.service_account(c, "ingress-nginx", "ingress-nginx", CREATED,
                        labels={"app.kubernetes.io/name": "ingress-nginx"})

    # ---------------------------------------------------------------- storage
    storage_class(c, "gp2", provisioner="ebs.csi.aws.com", parameters={"fsType": "ext4", "type": "gp2"},
                  binding="Immediate", created=CREATED, default=True)
    bound_claim(c, "checkout-cache", "shop", storage_class="gp2", size="20Gi", created=at("08:00:00"),
                bound_at=at("08:00:03"), driver="ebs.csi.aws.com", volume_handle=CACHE_VOLUME, zone_key=None,
                zones=[], labels={"app": "checkout"})
    bound_claim(c, "data-orders-db-0", "shop", storage_class="gp2", size="50Gi", created=CREATED,
                bound_at="2026-09-15T10:06:40Z", driver="ebs.csi.aws.com", volume_handle=ORDERS_VOLUME,
                zone_key=None, zones=[], labels={"app": "orders-db"})
    eks.opaque_secret(c, "orders-db-credentials", "shop", CREATED, ["POSTGRES_PASSWORD", "POSTGRES_USER"])
    eks.tls_secret(c, "storefront-tls", "shop", CREATED)

    # ---------------------------------------------------------------- orders-db (us-east-1a)
    pg = {"name": "postgres", "image": "postgres:16.4",
          "env": [{"name": "POSTGRES_DB", "value": "orders"},
                  {"name": "POSTGRES_USER", "valueFrom": {"secretKeyRef": {"key": "POSTGRES_USER",
                                                                           "name": "orders-db-credentials"}}},
                  {"name": "POSTGRES_PASSWORD", "valueFrom": {"secretKeyRef": {"key": "POSTGRES_PASSWORD",
                                                                               "name": "orders-db-credentials"}}},
                  {"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"}],
          "ports": [{"containerPort": 5432, "name": "postgres", "protocol": "TCP"}],
          "readinessProbe": {"exec": {"command": ["pg_isready", "-U", "orders", "-d", "orders"]},
                             "failureThreshold": 3, "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 5},
          "resources": {"limits": {"memory": "4Gi"}, "requests": {"cpu": "1", "memory": "2Gi"}},
          "volumeMounts": [{"mountPath": "/var/lib/postgresql/data", "name": "data"}]}
    statefulset(c, "orders-db", "shop", template=_app("orders-db", [pg]), created=CREATED,
                service_name="orders-db-headless", revision="5b9d7c6f48", placements=[Placement(N1A[0])],
                claim_templates=[{"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                  "metadata": {"creationTimestamp": None, "name": "data"},
                                  "spec": {"accessModes": ["ReadWriteOnce"],
                                           "resources": {"requests": {"storage": "50Gi"}},
                                           "storageClassName": "gp2", "volumeMode": "Filesystem"},
                                  "status": {"phase": "Pending"}}])
    c.service("orders-db", "shop", selector={"app": "orders-db"}, created=CREATED,
              labels={"app": "orders-db", "app.kubernetes.io/part-of": "shop"},
              ports=[{"name": "postgres", "port": 5432, "protocol": "TCP", "targetPort": "postgres"}])
    c.service("orders-db-headless", "shop", selector={"app": "orders-db"}, created=CREATED, headless=True,
              labels={"app": "orders-db", "app.kubernetes.io/part-of": "shop"},
              ports=[{"name": "postgres", "port": 5432, "protocol": "TCP", "targetPort": "postgres"}],
              extra_spec={"publishNotReadyAddresses": True})

    # ---------------------------------------------------------------- checkout: a rollout adds the cache volume
    db_env = [{"name": "DATABASE_URL", "value": DATABASE_URL},
              {"name": "PAYMENTS_URL", "value": "https://api.payments.example.com/v2"},
              {"name": "AWS_REGION", "value": REGION}]
    old = _container("checkout", f"{ECR}/shop/checkout:4.11.3", cpu="500m", memory="512Mi", mem_limit="1Gi",
                     env=db_env)
    new = _container("checkout", f"{ECR}/shop/checkout:4.12.0", cpu="500m", memory="512Mi", mem_limit="1Gi",
                     env=[*db_env, {"name": "CACHE_DIR", "value": "/var/cache/checkout"}],
                     mounts=[{"mountPath": "/var/cache/checkout", "name": "cache"}])
    cache_vol = {"name": "cache", "persistentVolumeClaim": {"claimName": "checkout-cache"}}
    token = f"kube-api-access-{alnum('shop' + CHECKOUT_POD, 5)}"
    deployment(
        c, "checkout", "shop", template=_app("checkout", [new], sa="checkout", volumes=[cache_vol]),
        created=CREATED, rs_hash="6f9c7d8b5", replicas=3, generation=7,
        placements=[
            Placement(N1B[0], rs_hash="7b5d9c4f8", containers=[old], volumes=[], created="2026-11-18T13:40:05Z"),
            Placement(N1B[0], rs_hash="7b5d9c4f8", containers=[old], volumes=[], created="2026-11-18T13:40:05Z"),
            Placement(N1B[1], rs_hash="7b5d9c4f8", containers=[old], volumes=[], created="2026-11-18T13:40:05Z"),
            Placement(NEW_NODE, name=CHECKOUT_POD, created=at("08:59:58"), scheduled_at=at("09:02:14"),
                      state={"checkout": {"waiting": {"reason": "ContainerCreating"}}}),
        ],
        status={
            "availableReplicas": 3,
            "conditions": [
                {"lastTransitionTime": "2026-11-18T13:41:12Z", "lastUpdateTime": "2026-11-18T13:41:12Z",
                 "message": "Deployment has minimum availability.", "reason": "MinimumReplicasAvailable",
                 "status": "True", "type": "Available"},
                {"lastTransitionTime": "2026-09-15T10:04:12Z", "lastUpdateTime": at("08:59:58"),
                 "message": 'ReplicaSet "checkout-6f9c7d8b5" is progressing.', "reason": "ReplicaSetUpdated",
                 "status": "True", "type": "Progressing"},
            ],
            "observedGeneration": 7, "readyReplicas": 3, "replicas": 4, "unavailableReplicas": 1,
            "updatedReplicas": 1,
        },
    )
    _http_service(c, "checkout")

    # ---------------------------------------------------------------- the rest of the shop
    deployment(c, "recommendations", "shop", created=CREATED, rs_hash="5c8d7b9f46",
               template=_app("recommendations", [_container(
                   "recommendations", f"{ECR}/shop/recommendations:2.0.7", cpu=None, memory=None, mem_limit=None,
                   ready_path=None)]),
               placements=[Placement(n) for n in N1A])
    _http_service(c, "recommendations")
    deployment(c, "catalog", "shop", created=CREATED, rs_hash="79f6c5d8b4",
               template=_app("catalog", [_container("catalog", f"{ECR}/shop/catalog:3.8.1", cpu="500m",
                                                    memory="512Mi", mem_limit="1Gi")]),
               placements=[Placement(N1A[1]), Placement(N1A[1]), Placement(N1A[2])])
    _http_service(c, "catalog")
    deployment(c, "storefront", "shop", created=CREATED, rs_hash="6b7c8d9f5a",
               template=_app("storefront", [_container(
                   "storefront", f"{ECR}/shop/storefront:5.2.0", cpu="250m", memory="256Mi", mem_limit="512Mi",
                   ready_path="/healthz",
                   env=[{"name": "CHECKOUT_URL", "value": "http://checkout.shop.svc.cluster.local"},
                        {"name": "CATALOG_URL", "value": "http://catalog.shop.svc.cluster.local"}])]),
               placements=[Placement(n) for n in N1A])
    _http_service(c, "storefront")
    deployment(c, "cart", "shop", created=CREATED, rs_hash="8d9b7c6f5e",
               template=_app("cart", [_container("cart", f"{ECR}/shop/cart:1.14.2", cpu="500m", memory="512Mi",
                                                 mem_limit="1Gi")]),
               placements=[Placement(N1A[2]), Placement(N1B[0])])
    _http_service(c, "cart")
    deployment(c, "search", "shop", created=CREATED, rs_hash="5f4d8c7b96",
               template=_app("search", [_container("search", f"{ECR}/shop/search:0.9.4", cpu="500m", memory="1Gi",
                                                   mem_limit="2Gi")]),
               placements=[Placement(N1B[1]), Placement(N1B[1])])
    _http_service(c, "search")
    c.add("policy/v1", "PodDisruptionBudget",
          c.meta("PodDisruptionBudget", "storefront", "shop", CREATED, generation=1),
          spec={"minAvailable": 2, "selector": {"matchLabels": {"app": "storefront"}}},
          status={"conditions": [{"lastTransitionTime": NODES_CREATED, "message": "", "observedGeneration": 1,
                                  "reason": "SufficientPods", "status": "True", "type": "DisruptionAllowed"}],
                  "currentHealthy": 3, "desiredHealthy": 2, "disruptionsAllowed": 1, "expectedPods": 3,
                  "observedGeneration": 1})

    # ---------------------------------------------------------------- ingress-nginx and the storefront Ingress
    nginx_labels = {"app.kubernetes.io/component": "controller", "app.kubernetes.io/instance": "ingress-nginx",
                    "app.kubernetes.io/name": "ingress-nginx"}
    c.add("v1", "ConfigMap", c.meta("ConfigMap", "ingress-nginx-controller", "ingress-nginx", CREATED,
                                    labels=nginx_labels),
          data={"allow-snippet-annotations": "false", "use-forwarded-headers": "true"})
    deployment(c, "ingress-nginx-controller", "ingress-nginx", created=CREATED, rs_hash="6f8d9b7c54",
               template={"metadata": {"labels": nginx_labels},
                         "spec": {"serviceAccountName": "ingress-nginx", "containers": [{
                             "name": "controller", "image": "registry.k8s.io/ingress-nginx/controller:v1.11.3",
                             "args": ["/nginx-ingress-controller",
                                      "--publish-service=$(POD_NAMESPACE)/ingress-nginx-controller",
                                      "--election-id=ingress-nginx-leader", "--controller-class=k8s.io/ingress-nginx",
                                      "--ingress-class=nginx",
                                      "--configmap=$(POD_NAMESPACE)/ingress-nginx-controller"],
                             "env": [{"name": "POD_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                                                     "fieldPath": "metadata.name"}}},
                                     {"name": "POD_NAMESPACE", "valueFrom": {"fieldRef": {
                                         "apiVersion": "v1", "fieldPath": "metadata.namespace"}}}],
                             "ports": [{"containerPort": 80, "name": "http", "protocol": "TCP"},
                                       {"containerPort": 443, "name": "https", "protocol": "TCP"}],
                             "readinessProbe": {"httpGet": {"path": "/healthz", "port": 10254, "scheme": "HTTP"},
                                                "failureThreshold": 3, "initialDelaySeconds": 10, "periodSeconds": 10,
                                                "successThreshold": 1, "timeoutSeconds": 1},
                             "resources": {"requests": {"cpu": "100m", "memory": "90Mi"}}}]}},
               placements=[Placement(N1B[0])])
    c.service("ingress-nginx-controller", "ingress-nginx", selector=nginx_labels, created=CREATED,
              type="LoadBalancer", labels=nginx_labels,
              annotations={"service.beta.kubernetes.io/aws-load-balancer-type": "nlb"},
              ports=[{"appProtocol": "http", "name": "http", "nodePort": 31080, "port": 80, "protocol": "TCP",
                      "targetPort": "http"},
                     {"appProtocol": "https", "name": "https", "nodePort": 31443, "port": 443, "protocol": "TCP",
                      "targetPort": "https"}],
              lb_hostname="a1b2c3d4e5f60718293a4b5c6d7e8f90-0123456789abcdef.elb.us-east-1.amazonaws.com")
    c.add("networking.k8s.io/v1", "Ingress",
          c.meta("Ingress", "storefront", "shop", CREATED, generation=3,
                 labels={"app": "storefront"},
                 annotations={"nginx.ingress.kubernetes.io/ssl-redirect": "true"}),
          spec={"ingressClassName": "nginx",
                "rules": [{"host": "shop.example.com", "http": {"paths": [
                    {"backend": {"service": {"name": "storefront", "port": {"number": 80}}},
                     "path": "/", "pathType": "Prefix"},
                    {"backend": {"service": {"name": "checkout", "port": {"number": 80}}},
                     "path": "/checkout", "pathType": "Prefix"}]}}],
                "tls": [{"hosts": ["shop.example.com"], "secretName": "storefront-tls"}]},
          status={"loadBalancer": {"ingress": [
              {"hostname": "a1b2c3d4e5f60718293a4b5c6d7e8f90-0123456789abcdef.elb.us-east-1.amazonaws.com"}]}})

    # ---------------------------------------------------------------- the incident's events
    pod = c.find("Pod", "shop", CHECKOUT_POD)
    dep = c.find("Deployment", "shop", "checkout")
    c.event(dep, "ScalingReplicaSet", "Scaled up replica set checkout-6f9c7d8b5 to 1 from 0", type="Normal",
            component="deployment-controller", first=at("08:59:58"))
    c.event(pod, "FailedScheduling",
            "0/5 nodes are available: 5 Insufficient cpu. preemption: 0/5 nodes are available: "
            "5 No preemption victims found for incoming pod.",
            component="default-scheduler", first="2026-11-25T09:00:00.412583Z", new_api=True)
    c.event(pod, "TriggeredScaleUp", f"pod triggered scale-up: [{{{ASG_1B} 2->3 (max: 6)}}]", type="Normal",
            component="cluster-autoscaler", first=at("09:01:02"))
    c.event(pod, "FailedScheduling",
            "0/6 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/not-ready: }, "
            "5 Insufficient cpu. preemption: 0/6 nodes are available: 1 Preemption is not helpful for "
            "scheduling, 5 No preemption victims found for incoming pod.",
            component="default-scheduler", first="2026-11-25T09:01:41.927310Z", new_api=True)
    c.event(pod, "Scheduled", f"Successfully assigned shop/{CHECKOUT_POD} to {NEW_NODE}", type="Normal",
            component="default-scheduler", first="2026-11-25T09:02:14.118402Z", new_api=True, action="Binding")
    pv = f"pvc-{c.uid('PersistentVolumeClaim', 'shop', 'checkout-cache')}"
    new_instance = INSTANCE_IDS[NEW_NODE]
    c.event(pod, "FailedAttachVolume",
            f'AttachVolume.Attach failed for volume "{pv}" : rpc error: code = Internal desc = Could not attach '
            f'volume "{CACHE_VOLUME}" to node "{new_instance}": could not attach volume "{CACHE_VOLUME}" to node '
            f'"{new_instance}": operation error EC2: AttachVolume, https response error StatusCode: 400, '
            f"RequestID: 5d1c8e2f-7a3b-4c9d-8e6f-0a1b2c3d4e5f, api error InvalidVolume.ZoneMismatch: The volume "
            f"'{CACHE_VOLUME}' is not in the same availability zone as instance '{new_instance}'",
            component="attachdetach-controller", first=at("09:03:01"), last=at("09:11:09"), count=6)
    c.event(pod, "FailedMount",
            f"Unable to attach or mount volumes: unmounted volumes=[cache], unattached volumes=[cache {token}]: "
            "timed out waiting for the condition",
            component="kubelet", host=NEW_NODE, first=at("09:04:16"), last=at("09:10:20"), count=4)
    c.event(new_node, "Starting", "Starting kubelet.", type="Normal", component="kubelet", host=NEW_NODE,
            first=at("09:01:38"))
    c.event(new_node, "RegisteredNode", f"Node {NEW_NODE} event: Registered Node {NEW_NODE} in Controller",
            type="Normal", component="node-controller", first=at("09:01:41"))
    c.event(new_node, "NodeReady", f"Node {NEW_NODE} status is now: NodeReady", type="Normal",
            component="kubelet", host=NEW_NODE, first=at("09:02:08"))
    status_cm = c.add("v1", "ConfigMap", c.meta("ConfigMap", "cluster-autoscaler-status", "kube-system", CREATED,
                                                annotations={"cluster-autoscaler.kubernetes.io/last-updated":
                                                             "2026-11-25 09:11:52.301744281 +0000 UTC"}),
                      data={"status": "time: 2026-11-25 09:11:52.301744281 +0000 UTC\nautoscalerStatus: Running\n"
                                      "clusterWide:\n  health:\n    status: Healthy\n    nodeCounts:\n"
                                      "      registered:\n        total: 6\n        ready: 6\n"
                                      "  scaleUp:\n    status: NoActivity\n  scaleDown:\n    status: NoCandidates\n"
                                      "nodeGroups:\n- name: eks-workers-us-east-1a-9a3e5c71-2d4b-6f8a-0c1e-3b5d7f9a1c2e\n"
                                      "  health:\n    status: Healthy\n    nodeCounts:\n      registered:\n"
                                      "        total: 3\n        ready: 3\n    cloudProviderTarget: 3\n"
                                      "    minSize: 1\n    maxSize: 3\n"
                                      f"- name: {ASG_1B}\n  health:\n    status: Healthy\n    nodeCounts:\n"
                                      "      registered:\n        total: 3\n        ready: 3\n"
                                      "    cloudProviderTarget: 3\n    minSize: 1\n    maxSize: 6\n"})
    c.event(status_cm, "ScaledUpGroup", f"Scale-up: setting group {ASG_1B} size to 3 instead of 2 (max: 6)",
            type="Normal", component="cluster-autoscaler", first=at("09:01:02"))
    c.event(status_cm, "ScaledUpGroup", f"Scale-up: group {ASG_1B} size set to 3 instead of 2 (max: 6)",
            type="Normal", component="cluster-autoscaler", first=at("09:01:03"))

    return c, _facts(roles, checkout_role)


def _facts(roles: dict[str, str], checkout_role: str) -> CloudFacts:
    def aws(call: str, rid: str = "") -> Provenance:
        return Provenance("aws", call, rid)

    bindings = []
    for (ns, sa), arn in sorted({**{("kube-system", k): v for k, v in roles.items()},
                                 ("shop", "checkout"): checkout_role}.items()):
        bindings.append(IdentityBinding(
            namespace=ns, service_account=sa, identity=arn, mechanism="irsa", provenance=aws("iam:GetRole", arn),
            exists=True, trusted=True, trust_subjects=(f"system:serviceaccount:{ns}:{sa}",),
            audiences=("sts.amazonaws.com",),
        ))
    pools = []
    for zone, ng, mx, uid in (("us-east-1a", "workers-us-east-1a", 3, "9a3e5c71-2d4b-6f8a-0c1e-3b5d7f9a1c2e"),
                              ("us-east-1b", "workers-us-east-1b", 6, "4ec9a7d2-6b1f-3e8a-9c5d-2f7a1b3c4d5e")):
        pools.append(NodePool(
            name=ng, provenance=aws("eks:DescribeNodegroup", f"arn:aws:eks:{REGION}:{ACCOUNT}:nodegroup/{NAME}/{ng}/{uid}"),
            zones=(zone,), min_size=1, max_size=mx, desired_size=3, autoscaling=True, instance_types=("m5.large",),
            node_identity=NODE_ROLE,
        ))
    registries = []
    for reg in (ECR, eks.ecr(REGION)):
        for ng in ("workers-us-east-1a", "workers-us-east-1b"):
            registries.append(RegistryAccess(registry=reg, principal=NODE_ROLE, can_pull=True,
                                             provenance=aws("iam:SimulatePrincipalPolicy", NODE_ROLE), node_pool=ng))
    return CloudFacts(
        collected_at="2026-11-25T09:12:30Z",
        provider="aws",
        cluster_name=NAME,
        region=REGION,
        cluster_identity=ClusterIdentity(provenance=aws("eks:DescribeCluster", CLUSTER_ARN), oidc_issuer=ISSUER,
                                         workload_identity_enabled=True, oidc_provider_registered=True),
        identity_bindings=tuple(bindings),
        registry_access=tuple(registries),
        node_pools=tuple(pools),
        disks=(
            Disk(volume_handle=CACHE_VOLUME, provenance=aws("ec2:DescribeVolumes", CACHE_VOLUME),
                 zones=("us-east-1a",), sku="gp2", state="available"),
            Disk(volume_handle=ORDERS_VOLUME, provenance=aws("ec2:DescribeVolumes", ORDERS_VOLUME),
                 zones=("us-east-1a",), sku="gp2", state="in-use", attached_to=(INSTANCE_IDS[N1A[0]],)),
        ),
        egress_gateways=(
            EgressGateway(gateway_id=NAT_1A, provenance=aws("cloudwatch:GetMetricData", NAT_1A), window_minutes=60,
                          zone="us-east-1a", port_allocation_errors=0.0, dropped_packets=0.0,
                          active_connections=8214.0, connection_attempts=190433.0, idle_timeouts=12.0,
                          subnets=(SUBNET_1A,)),
            EgressGateway(gateway_id=NAT_1B, provenance=aws("cloudwatch:GetMetricData", NAT_1B), window_minutes=60,
                          zone="us-east-1b", port_allocation_errors=1834.0, dropped_packets=2211.0,
                          active_connections=54012.0, connection_attempts=1287940.0, idle_timeouts=9671.0,
                          subnets=(SUBNET_1B,)),
        ),
        subnets=(
            Subnet(subnet_id=SUBNET_1A, provenance=aws("ec2:DescribeSubnets", SUBNET_1A), zone="us-east-1a",
                   cidr="10.0.0.0/19", available_ips=7962, total_ips=8187),
            Subnet(subnet_id=SUBNET_1B, provenance=aws("ec2:DescribeSubnets", SUBNET_1B), zone="us-east-1b",
                   cidr="10.0.32.0/19", available_ips=7975, total_ips=8187),
        ),
        network=NetworkSettings(provenance=aws("eks:DescribeCluster", CLUSTER_ARN), network_mtu=9001,
                                network_plugin="vpc-cni"),
        api_calls={"cloudwatch:GetMetricData": 1, "ec2:DescribeNatGateways": 1, "ec2:DescribeSubnets": 1,
                   "ec2:DescribeVolumes": 1, "eks:DescribeCluster": 1, "eks:DescribeNodegroup": 2,
                   "eks:ListNodegroups": 1, "iam:GetOpenIDConnectProvider": 1, "iam:GetRole": 4,
                   "iam:ListOpenIDConnectProviders": 1, "iam:SimulatePrincipalPolicy": 1},
    )
