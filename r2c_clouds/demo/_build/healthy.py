"""``healthy``: EKS ``catalog-prod`` (us-west-2), a small, well-run cluster.

One managed node group per zone (so the cluster-autoscaler can add a node where a volume
lives), every workload with requests, memory limits, readiness probes, a PodDisruptionBudget,
a PriorityClass, zone topology spread and downward-API env (POD_NAME, POD_NAMESPACE,
NODE_NAME); default-deny NetworkPolicies plus explicit allows; ingress-nginx timeouts set;
a ``gp3`` StorageClass with ``WaitForFirstConsumer`` (the EKS ``gp2`` class was deleted); the
database as a StatefulSet spread over three zones behind a ``PreferClose`` Service; IRSA
roles whose trust admits exactly their ServiceAccounts; quiet NAT gateways; metrics-server
plus Prometheus Operator with a ServiceMonitor per Service.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from r2c_clouds.demo._build import eks
from r2c_clouds.demo._build.kube import (
    Cluster,
    Obj,
    Placement,
    bound_claim,
    container,
    deployment,
    field_env,
    http_probe,
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

NAME = "catalog-prod"
REGION = "us-west-2"
ACCOUNT = "210987654321"
VPC = "vpc-05e7a9c1b3d5f7092"
ECR = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
ISSUER = f"https://oidc.eks.{REGION}.amazonaws.com/id/3D5F7A9C1E2B4D6F8A0C2E4F6B8D0A1C"
CLUSTER_ARN = f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{NAME}"
NODE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/{NAME}-node-role"
CREATED = "2026-06-02T09:15:40Z"
NODES_CREATED = "2026-11-16T02:10:12Z"
ZONES = ("us-west-2a", "us-west-2b", "us-west-2c")
ZONE_IDS = {"us-west-2a": "usw2-az2", "us-west-2b": "usw2-az1", "us-west-2c": "usw2-az3"}
NODES = {"us-west-2a": "ip-10-20-14-61.us-west-2.compute.internal",
         "us-west-2b": "ip-10-20-45-132.us-west-2.compute.internal",
         "us-west-2c": "ip-10-20-77-19.us-west-2.compute.internal"}
INSTANCES = {"us-west-2a": "i-07a1c3e5b9d2f4068", "us-west-2b": "i-0b3d5f7a9c1e2b480",
             "us-west-2c": "i-0c5e7a9b1d3f5a6c2"}
SUBNETS = {"us-west-2a": ("subnet-0a4c6e8b0d2f41357", "10.20.0.0/19"),
           "us-west-2b": ("subnet-0b5d7f9a1c3e52468", "10.20.32.0/19"),
           "us-west-2c": ("subnet-0c6e8a0b2d4f63579", "10.20.64.0/19")}
NATS = {"us-west-2a": "nat-0d1f3b5c7e9a24680", "us-west-2b": "nat-0e2a4c6d8f0b35791",
        "us-west-2c": "nat-0f3b5d7e9a1c46802"}
PRIORITIES = {**eks.SYSTEM_PRIORITIES, "catalog-critical": 100000, "catalog-standard": 10000}
NS = "catalog"
ROLLOUT = ("2026-11-25T08:45:12Z", "2026-11-25T08:45:31Z", "2026-11-25T08:45:50Z")


def _log_env() -> list[Obj]:
    return [field_env("POD_NAME", "metadata.name"), field_env("POD_NAMESPACE", "metadata.namespace"),
            field_env("NODE_NAME", "spec.nodeName")]


def _spread(app: str) -> list[Obj]:
    return [
        {"labelSelector": {"matchLabels": {"app.kubernetes.io/name": app}}, "maxSkew": 1,
         "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule"},
        {"labelSelector": {"matchLabels": {"app.kubernetes.io/name": app}}, "maxSkew": 1,
         "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "ScheduleAnyway"},
    ]


def _labels(app: str, component: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": app, "app.kubernetes.io/component": component,
            "app.kubernetes.io/part-of": "catalog", "app.kubernetes.io/version": "2026.11.3"}


def _pdb(c: Cluster, app: str, pods: int) -> None:
    c.add("policy/v1", "PodDisruptionBudget",
          c.meta("PodDisruptionBudget", app, NS, CREATED, generation=1, labels={"app.kubernetes.io/name": app}),
          spec={"maxUnavailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": app}},
                "unhealthyPodEvictionPolicy": "AlwaysAllow"},
          status={"conditions": [{"lastTransitionTime": NODES_CREATED, "message": "", "observedGeneration": 1,
                                  "reason": "SufficientPods", "status": "True", "type": "DisruptionAllowed"}],
                  "currentHealthy": pods, "desiredHealthy": pods - 1, "disruptionsAllowed": 1,
                  "expectedPods": pods, "observedGeneration": 1})


def _service_monitor(c: Cluster, app: str, port: str) -> None:
    c.add("monitoring.coreos.com/v1", "ServiceMonitor",
          c.meta("ServiceMonitor", app, NS, CREATED, generation=1,
                 labels={"app.kubernetes.io/name": app, "release": "kube-prometheus-stack"}),
          spec={"endpoints": [{"interval": "30s", "path": "/metrics", "port": port}],
                "namespaceSelector": {"matchNames": [NS]},
                "selector": {"matchLabels": {"app.kubernetes.io/name": app}}})


def _netpol(c: Cluster, name: str, spec: Obj) -> None:
    c.add("networking.k8s.io/v1", "NetworkPolicy", c.meta("NetworkPolicy", name, NS, CREATED, generation=1),
          spec=spec)


def _plus(t: str, seconds: int) -> str:
    when = datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ") + timedelta(seconds=seconds)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def _rollout_events(c: Cluster) -> None:
    """The Normal events of this morning's catalog-web rollout (events live for an hour)."""
    dep = c.find("Deployment", NS, "catalog-web")
    pods = sorted((p for p in c.of_kind("Pod") if p["metadata"]["name"].startswith("catalog-web-")),
                  key=lambda p: p["metadata"]["creationTimestamp"])
    image = f"{ECR}/catalog/web:2026.11.3"
    for i, pod in enumerate(pods):
        t = pod["metadata"]["creationTimestamp"]
        node = pod["spec"]["nodeName"]
        name = pod["metadata"]["name"]
        c.event(dep, "ScalingReplicaSet", f"Scaled up replica set catalog-web-5c8f7d6b9e to {i + 1} from {i}",
                type="Normal", component="deployment-controller", first=t)
        c.event(pod, "Scheduled", f"Successfully assigned {NS}/{name} to {node}", type="Normal",
                component="default-scheduler", first=t.replace("Z", ".231904Z"), new_api=True, action="Binding")
        fp = "spec.containers{web}"
        for reason, message, delay in (
            ("Pulling", f'Pulling image "{image}"', 1),
            ("Pulled", f'Successfully pulled image "{image}" in 2.113s (2.113s including waiting). '
                       "Image size: 48213411 bytes.", 3),
            ("Created", "Created container web", 3),
            ("Started", "Started container web", 4),
        ):
            c.event(pod, reason, message, type="Normal", component="kubelet", host=node,
                    first=_plus(t, delay), field_path=fp)
        if i < len(pods) - 1:
            c.event(dep, "ScalingReplicaSet",
                    f"Scaled down replica set catalog-web-7f9b8d6c5a to {len(pods) - 1 - i} from {len(pods) - i}",
                    type="Normal", component="deployment-controller", first=_plus(t, 12))


def build() -> tuple[Cluster, CloudFacts]:
    """The healthy cluster and its recorded AWS facts."""
    c = Cluster(NAME)
    eks.namespaces(c, CREATED, "ingress-nginx", "monitoring")
    c.namespace(NS, CREATED, labels={"pod-security.kubernetes.io/enforce": "restricted",
                                     "pod-security.kubernetes.io/enforce-version": "latest"})
    eks.priority_classes(c, CREATED)
    for name, value in (("catalog-critical", 100000), ("catalog-standard", 10000)):
        c.add("scheduling.k8s.io/v1", "PriorityClass", c.meta("PriorityClass", name, None, CREATED),
              description=f"catalog workloads ({name.split('-')[1]})", globalDefault=False,
              preemptionPolicy="PreemptLowerPriority", value=value)
    for zone in ZONES:
        eks.node(c, NODES[zone], zone=zone, zone_id=ZONE_IDS[zone], nodegroup=f"workers-{zone}",
                 instance_type="m5.xlarge", instance_id=INSTANCES[zone], created=NODES_CREATED,
                 ami="ami-0e4f6a8c0b2d4e691")
    n = [NODES[z] for z in ZONES]
    roles = {
        "aws-node": f"arn:aws:iam::{ACCOUNT}:role/AmazonEKSVPCCNIRole",
        "ebs-csi-controller-sa": f"arn:aws:iam::{ACCOUNT}:role/AmazonEKS_EBS_CSI_DriverRole",
        "cluster-autoscaler": f"arn:aws:iam::{ACCOUNT}:role/{NAME}-cluster-autoscaler",
    }
    eks.system(c, region=REGION, cluster_name=NAME, vpc_id=VPC, created=CREATED, nodes=n, node_created={},
               coredns_nodes=[n[0], n[1]], metrics_node=n[2], ebs_controller_nodes=[n[1], n[2]],
               autoscaler_node=n[0], roles=roles)
    api_role = f"arn:aws:iam::{ACCOUNT}:role/{NAME}-catalog-api"
    eks.service_account(c, "catalog-api", NS, CREATED, annotations={"eks.amazonaws.com/role-arn": api_role},
                        labels={"app.kubernetes.io/name": "catalog-api"})
    for sa in ("catalog-web", "catalog-db"):
        eks.service_account(c, sa, NS, CREATED, labels={"app.kubernetes.io/name": sa})

    # ---------------------------------------------------------------- storage
    storage_class(c, "gp3", provisioner="ebs.csi.aws.com",
                  parameters={"csi.storage.k8s.io/fstype": "ext4", "encrypted": "true", "type": "gp3"},
                  binding="WaitForFirstConsumer", created=CREATED, default=True)
    volumes = {}
    for i, zone in enumerate(ZONES):
        vol = f"vol-0{'abc'[i]}{'7d9f1b3c5e2a4d6f8'[:15]}"
        volumes[zone] = vol
        bound_claim(c, f"data-catalog-db-{i}", NS, storage_class="gp3", size="100Gi", created=CREATED,
                    bound_at=CREATED, driver="ebs.csi.aws.com", volume_handle=vol,
                    zone_key="topology.kubernetes.io/zone", zones=[zone], selected_node=NODES[zone],
                    labels={"app.kubernetes.io/name": "catalog-db"})
    prom_vol = "vol-0d2b4f6a8c0e1357a"
    bound_claim(c, "prometheus-k8s-db-prometheus-k8s-0", "monitoring", storage_class="gp3", size="50Gi",
                created=CREATED, bound_at=CREATED, driver="ebs.csi.aws.com", volume_handle=prom_vol,
                zone_key="topology.kubernetes.io/zone", zones=[ZONES[0]], selected_node=n[0],
                labels={"app.kubernetes.io/name": "prometheus"})
    eks.opaque_secret(c, "catalog-db-credentials", NS, CREATED, ["POSTGRES_PASSWORD", "POSTGRES_USER"])
    eks.tls_secret(c, "catalog-web-tls", NS, CREATED)

    # ---------------------------------------------------------------- catalog-db: a StatefulSet over three zones
    db_env = [*_log_env(), {"name": "POSTGRES_DB", "value": "catalog"},
              {"name": "POSTGRES_USER", "valueFrom": {"secretKeyRef": {"key": "POSTGRES_USER",
                                                                       "name": "catalog-db-credentials"}}},
              {"name": "POSTGRES_PASSWORD", "valueFrom": {"secretKeyRef": {"key": "POSTGRES_PASSWORD",
                                                                           "name": "catalog-db-credentials"}}},
              {"name": "PGDATA", "value": "/var/lib/postgresql/data/pgdata"}]
    pg = container("postgres", "postgres:16.4", cpu="500m", memory="1Gi", mem_limit="2Gi", env=db_env,
                   ports=[{"containerPort": 5432, "name": "postgres", "protocol": "TCP"}],
                   readiness={"exec": {"command": ["pg_isready", "-U", "catalog", "-d", "catalog"]},
                              "failureThreshold": 3, "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 5},
                   liveness={"exec": {"command": ["pg_isready", "-U", "catalog"]}, "failureThreshold": 6,
                             "initialDelaySeconds": 30, "periodSeconds": 10, "successThreshold": 1,
                             "timeoutSeconds": 5},
                   mounts=[{"mountPath": "/var/lib/postgresql/data", "name": "data"}])
    exporter = container("postgres-exporter", "quay.io/prometheuscommunity/postgres-exporter:v0.16.0", cpu="50m",
                         memory="64Mi", mem_limit="128Mi", env=_log_env(),
                         ports=[{"containerPort": 9187, "name": "metrics", "protocol": "TCP"}],
                         readiness=http_probe("/", "metrics"))
    db_labels = _labels("catalog-db", "database")
    statefulset(c, "catalog-db", NS, created=CREATED, service_name="catalog-db-headless", revision="7f6d5c8b9a",
                priorities=PRIORITIES, placements=[Placement(NODES[z]) for z in ZONES],
                template={"metadata": {"labels": db_labels},
                          "spec": {"serviceAccountName": "catalog-db", "priorityClassName": "catalog-critical",
                                   "topologySpreadConstraints": _spread("catalog-db"), "containers": [pg, exporter]}},
                claim_templates=[{"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                  "metadata": {"creationTimestamp": None, "name": "data"},
                                  "spec": {"accessModes": ["ReadWriteOnce"],
                                           "resources": {"requests": {"storage": "100Gi"}},
                                           "storageClassName": "gp3", "volumeMode": "Filesystem"},
                                  "status": {"phase": "Pending"}}])
    c.service("catalog-db", NS, selector={"app.kubernetes.io/name": "catalog-db"}, created=CREATED,
              labels=db_labels, extra_spec={"trafficDistribution": "PreferClose"},
              ports=[{"name": "postgres", "port": 5432, "protocol": "TCP", "targetPort": "postgres"},
                     {"name": "metrics", "port": 9187, "protocol": "TCP", "targetPort": "metrics"}])
    c.service("catalog-db-headless", NS, selector={"app.kubernetes.io/name": "catalog-db"}, created=CREATED,
              headless=True, labels=db_labels, extra_spec={"publishNotReadyAddresses": True},
              ports=[{"name": "postgres", "port": 5432, "protocol": "TCP", "targetPort": "postgres"},
                     {"name": "metrics", "port": 9187, "protocol": "TCP", "targetPort": "metrics"}])
    _pdb(c, "catalog-db", 3)
    _service_monitor(c, "catalog-db", "metrics")

    # ---------------------------------------------------------------- catalog-api and catalog-web
    for app, sa, image, env, prio in (
        ("catalog-api", "catalog-api", f"{ECR}/catalog/api:2026.11.3",
         [{"name": "DATABASE_URL", "value": "postgres://catalog-db.catalog.svc.cluster.local:5432/catalog"},
          {"name": "AWS_REGION", "value": REGION}], "catalog-critical"),
        ("catalog-web", "catalog-web", f"{ECR}/catalog/web:2026.11.3",
         [{"name": "CATALOG_API_URL", "value": "http://catalog-api.catalog.svc.cluster.local"}], "catalog-standard"),
    ):
        labels = _labels(app, "api" if app.endswith("api") else "frontend")
        cont = container(app.split("-")[1], image, cpu="250m", memory="256Mi", mem_limit="512Mi",
                         env=[*_log_env(), *env],
                         ports=[{"containerPort": 8080, "name": "http", "protocol": "TCP"},
                                {"containerPort": 9090, "name": "metrics", "protocol": "TCP"}],
                         readiness=http_probe("/ready", "http", period=5),
                         liveness=http_probe("/healthz", "http", delay=10, period=10),
                         securityContext={"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]},
                                          "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                                          "seccompProfile": {"type": "RuntimeDefault"}})
        web = app == "catalog-web"  # rolled out at 08:45 today: its events are still in the cluster
        deployment(c, app, NS, created=CREATED, rs_hash="6d9b8c7f5d" if app.endswith("api") else "5c8f7d6b9e",
                   priorities=PRIORITIES, generation=2 if web else 1,
                   placements=[Placement(NODES[z], created=ROLLOUT[i] if web else None) for i, z in enumerate(ZONES)],
                   template={"metadata": {"labels": labels},
                             "spec": {"serviceAccountName": sa, "priorityClassName": prio,
                                      "topologySpreadConstraints": _spread(app), "containers": [cont]}})
        c.service(app, NS, selector={"app.kubernetes.io/name": app}, created=CREATED, labels=labels,
                  extra_spec={"trafficDistribution": "PreferClose"},
                  ports=[{"name": "http", "port": 80, "protocol": "TCP", "targetPort": "http"},
                         {"name": "metrics", "port": 9090, "protocol": "TCP", "targetPort": "metrics"}])
        _pdb(c, app, 3)
        _service_monitor(c, app, "metrics")
    _rollout_events(c)
    c.add("networking.k8s.io/v1", "Ingress",
          c.meta("Ingress", "catalog-web", NS, CREATED, generation=2, labels=_labels("catalog-web", "frontend"),
                 annotations={"nginx.ingress.kubernetes.io/proxy-connect-timeout": "5",
                              "nginx.ingress.kubernetes.io/proxy-read-timeout": "30",
                              "nginx.ingress.kubernetes.io/proxy-send-timeout": "30",
                              "nginx.ingress.kubernetes.io/proxy-next-upstream": "error timeout http_502 http_503",
                              "nginx.ingress.kubernetes.io/proxy-next-upstream-tries": "2"}),
          spec={"ingressClassName": "nginx",
                "rules": [{"host": "catalog.example.com", "http": {"paths": [
                    {"backend": {"service": {"name": "catalog-web", "port": {"name": "http"}}},
                     "path": "/", "pathType": "Prefix"}]}}],
                "tls": [{"hosts": ["catalog.example.com"], "secretName": "catalog-web-tls"}]},
          status={"loadBalancer": {"ingress": [
              {"hostname": "k8s-ingressn-ingressn-4f2b6d8a1c-3e5a7c9b1d2f4a6c.elb.us-west-2.amazonaws.com"}]}})

    # ---------------------------------------------------------------- network policies: deny by default, allow what is needed
    everything: Obj = {"matchLabels": {}}
    _netpol(c, "default-deny-all", {"podSelector": everything, "policyTypes": ["Ingress", "Egress"]})
    _netpol(c, "allow-dns", {"podSelector": everything, "policyTypes": ["Egress"], "egress": [
        {"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}],
         "to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                 "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}]}]})
    _netpol(c, "allow-ingress-nginx-to-web", {
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "catalog-web"}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}],
                     "ports": [{"port": 8080, "protocol": "TCP"}]}]})
    _netpol(c, "allow-web-to-api", {
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "catalog-api"}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "catalog-web"}}}],
                     "ports": [{"port": 8080, "protocol": "TCP"}]}]})
    _netpol(c, "allow-egress-web-to-api", {
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "catalog-web"}}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "catalog-api"}}}],
                    "ports": [{"port": 8080, "protocol": "TCP"}]}]})
    _netpol(c, "allow-api-to-db", {
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "catalog-db"}}, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "catalog-api"}}}],
                     "ports": [{"port": 5432, "protocol": "TCP"}]}]})
    _netpol(c, "allow-egress-api", {
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "catalog-api"}}, "policyTypes": ["Egress"],
        "egress": [{"to": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "catalog-db"}}}],
                    "ports": [{"port": 5432, "protocol": "TCP"}]},
                   {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.20.0.0/16"]}}],
                    "ports": [{"port": 443, "protocol": "TCP"}]}]})
    _netpol(c, "allow-prometheus-scrape", {
        "podSelector": everything, "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}},
                               "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}}],
                     "ports": [{"port": 9090, "protocol": "TCP"}, {"port": 9187, "protocol": "TCP"}]}]})

    # ---------------------------------------------------------------- ingress-nginx and monitoring (platform add-ons)
    nginx_labels = {"app.kubernetes.io/component": "controller", "app.kubernetes.io/instance": "ingress-nginx",
                    "app.kubernetes.io/name": "ingress-nginx"}
    eks.service_account(c, "ingress-nginx", "ingress-nginx", CREATED, labels=nginx_labels)
    c.add("v1", "ConfigMap", c.meta("ConfigMap", "ingress-nginx-controller", "ingress-nginx", CREATED,
                                    labels=nginx_labels),
          data={"allow-snippet-annotations": "false", "proxy-connect-timeout": "5", "proxy-read-timeout": "30",
                "proxy-send-timeout": "30", "upstream-keepalive-timeout": "60", "use-forwarded-headers": "true"})
    deployment(c, "ingress-nginx-controller", "ingress-nginx", created=CREATED, rs_hash="7b9d6f8c45",
               priorities=PRIORITIES, placements=[Placement(n[0]), Placement(n[1])],
               template={"metadata": {"labels": nginx_labels},
                         "spec": {"serviceAccountName": "ingress-nginx", "priorityClassName": "system-cluster-critical",
                                  "topologySpreadConstraints": [
                                      {"labelSelector": {"matchLabels": nginx_labels}, "maxSkew": 1,
                                       "topologyKey": "topology.kubernetes.io/zone",
                                       "whenUnsatisfiable": "ScheduleAnyway"}],
                                  "containers": [container(
                                      "controller", "registry.k8s.io/ingress-nginx/controller:v1.11.3", cpu="100m",
                                      memory="128Mi", mem_limit="512Mi",
                                      args=["/nginx-ingress-controller",
                                            "--publish-service=$(POD_NAMESPACE)/ingress-nginx-controller",
                                            "--election-id=ingress-nginx-leader",
                                            "--controller-class=k8s.io/ingress-nginx", "--ingress-class=nginx",
                                            "--configmap=$(POD_NAMESPACE)/ingress-nginx-controller",
                                            "--enable-metrics=true"],
                                      env=[field_env("POD_NAME", "metadata.name"),
                                           field_env("POD_NAMESPACE", "metadata.namespace")],
                                      ports=[{"containerPort": 80, "name": "http", "protocol": "TCP"},
                                             {"containerPort": 443, "name": "https", "protocol": "TCP"},
                                             {"containerPort": 10254, "name": "metrics", "protocol": "TCP"}],
                                      readiness=http_probe("/healthz", 10254, delay=10),
                                      liveness=http_probe("/healthz", 10254, delay=10, failures=5))]}})
    c.service("ingress-nginx-controller", "ingress-nginx", selector=nginx_labels, created=CREATED,
              type="LoadBalancer", labels=nginx_labels,
              annotations={"service.beta.kubernetes.io/aws-load-balancer-type": "external",
                           "service.beta.kubernetes.io/aws-load-balancer-nlb-target-type": "ip",
                           "service.beta.kubernetes.io/aws-load-balancer-scheme": "internet-facing"},
              ports=[{"appProtocol": "http", "name": "http", "nodePort": 30480, "port": 80, "protocol": "TCP",
                      "targetPort": "http"},
                     {"appProtocol": "https", "name": "https", "nodePort": 30443, "port": 443, "protocol": "TCP",
                      "targetPort": "https"}],
              lb_hostname="k8s-ingressn-ingressn-4f2b6d8a1c-3e5a7c9b1d2f4a6c.elb.us-west-2.amazonaws.com")

    mon = "monitoring"
    op_labels = {"app.kubernetes.io/component": "controller", "app.kubernetes.io/name": "prometheus-operator",
                 "app.kubernetes.io/version": "0.78.1"}
    eks.service_account(c, "prometheus-operator", mon, CREATED, labels=op_labels)
    eks.service_account(c, "prometheus-k8s", mon, CREATED, labels={"app.kubernetes.io/name": "prometheus"})
    deployment(c, "prometheus-operator", mon, created=CREATED, rs_hash="5f8c9d7b64", priorities=PRIORITIES,
               placements=[Placement(n[1])],
               template={"metadata": {"labels": op_labels},
                         "spec": {"serviceAccountName": "prometheus-operator", "containers": [container(
                             "prometheus-operator", "quay.io/prometheus-operator/prometheus-operator:v0.78.1",
                             cpu="100m", memory="100Mi", mem_limit="200Mi",
                             args=["--kubelet-service=kube-system/kubelet",
                                   "--prometheus-config-reloader=quay.io/prometheus-operator/prometheus-config-reloader:v0.78.1"],
                             ports=[{"containerPort": 8080, "name": "http", "protocol": "TCP"}],
                             readiness=http_probe("/healthz", "http"))]}})
    prom_labels = {"app.kubernetes.io/instance": "k8s", "app.kubernetes.io/managed-by": "prometheus-operator",
                   "app.kubernetes.io/name": "prometheus", "prometheus": "k8s"}
    statefulset(c, "prometheus-k8s", mon, created=CREATED, service_name="prometheus-operated",
                revision="6b8d7c9f5d", priorities=PRIORITIES, placements=[Placement(n[0])],
                template={"metadata": {"labels": prom_labels},
                          "spec": {"serviceAccountName": "prometheus-k8s",
                                   "priorityClassName": "system-cluster-critical",
                                   "containers": [
                                       container("prometheus", "quay.io/prometheus/prometheus:v3.0.0", cpu="200m",
                                                 memory="1Gi", mem_limit="2Gi",
                                                 args=["--web.console.templates=/etc/prometheus/consoles",
                                                       "--config.file=/etc/prometheus/config_out/prometheus.env.yaml",
                                                       "--storage.tsdb.retention.time=15d",
                                                       "--storage.tsdb.path=/prometheus"],
                                                 ports=[{"containerPort": 9090, "name": "web", "protocol": "TCP"}],
                                                 readiness=http_probe("/-/ready", "web", period=5, timeout=3),
                                                 mounts=[{"mountPath": "/prometheus", "name": "prometheus-k8s-db",
                                                          "subPath": "prometheus-db"}]),
                                       container("config-reloader",
                                                 "quay.io/prometheus-operator/prometheus-config-reloader:v0.78.1",
                                                 cpu="10m", memory="50Mi", mem_limit="50Mi")]}},
                claim_templates=[{"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                  "metadata": {"creationTimestamp": None, "name": "prometheus-k8s-db"},
                                  "spec": {"accessModes": ["ReadWriteOnce"],
                                           "resources": {"requests": {"storage": "50Gi"}},
                                           "storageClassName": "gp3", "volumeMode": "Filesystem"},
                                  "status": {"phase": "Pending"}}])
    c.service("prometheus-operated", mon, selector={"app.kubernetes.io/name": "prometheus"}, created=CREATED,
              headless=True, labels={"operated-prometheus": "true"},
              ports=[{"name": "web", "port": 9090, "protocol": "TCP", "targetPort": "web"}])
    c.service("prometheus-k8s", mon, selector=prom_labels, created=CREATED,
              labels={"app.kubernetes.io/name": "prometheus"},
              ports=[{"name": "web", "port": 9090, "protocol": "TCP", "targetPort": "web"}])
    return c, _facts(roles, api_role, volumes, prom_vol)


def _facts(roles: dict[str, str], api_role: str, volumes: dict[str, str], prom_vol: str) -> CloudFacts:
    def aws(call: str, rid: str) -> Provenance:
        return Provenance("aws", call, rid)

    sas = {**{("kube-system", k): v for k, v in roles.items()}, (NS, "catalog-api"): api_role}
    bindings = tuple(
        IdentityBinding(namespace=ns, service_account=sa, identity=arn, mechanism="irsa",
                        provenance=aws("iam:GetRole", arn), trust_subjects=(f"system:serviceaccount:{ns}:{sa}",),
                        audiences=("sts.amazonaws.com",))
        for (ns, sa), arn in sorted(sas.items()))
    pools = tuple(
        NodePool(name=f"workers-{z}",
                 provenance=aws("eks:DescribeNodegroup",
                                f"arn:aws:eks:{REGION}:{ACCOUNT}:nodegroup/{NAME}/workers-{z}/"
                                f"{'1a2b3c'[i]}7e9d1f3-5b6c-4d8e-9f0a-{i}b2c3d4e5f6a"),
                 zones=(z,), min_size=1, max_size=4, desired_size=1, autoscaling=True,
                 instance_types=("m5.xlarge",), node_identity=NODE_ROLE)
        for i, z in enumerate(ZONES))
    registries = tuple(
        RegistryAccess(registry=reg, principal=NODE_ROLE, can_pull=True, node_pool=f"workers-{z}",
                       provenance=aws("iam:SimulatePrincipalPolicy", NODE_ROLE))
        for reg in (ECR, eks.ecr(REGION)) for z in ZONES)
    disks = tuple(
        Disk(volume_handle=vol, provenance=aws("ec2:DescribeVolumes", vol), zones=(z,), sku="gp3", state="in-use",
             attached_to=(INSTANCES[z],))
        for z, vol in volumes.items()) + (
        Disk(volume_handle=prom_vol, provenance=aws("ec2:DescribeVolumes", prom_vol), zones=(ZONES[0],), sku="gp3",
             state="in-use", attached_to=(INSTANCES[ZONES[0]],)),)
    return CloudFacts(
        collected_at="2026-11-25T09:00:00Z",
        provider="aws",
        cluster_name=NAME,
        region=REGION,
        cluster_identity=ClusterIdentity(provenance=aws("eks:DescribeCluster", CLUSTER_ARN), oidc_issuer=ISSUER,
                                         workload_identity_enabled=True, oidc_provider_registered=True),
        identity_bindings=bindings,
        registry_access=registries,
        node_pools=pools,
        disks=disks,
        egress_gateways=tuple(
            EgressGateway(gateway_id=NATS[z], provenance=aws("cloudwatch:GetMetricData", NATS[z]), window_minutes=60,
                          zone=z, port_allocation_errors=0.0, dropped_packets=0.0, active_connections=1800.0 + 150 * i,
                          connection_attempts=42000.0 + 900 * i, idle_timeouts=3.0, subnets=(SUBNETS[z][0],))
            for i, z in enumerate(ZONES)),
        subnets=tuple(
            Subnet(subnet_id=SUBNETS[z][0], provenance=aws("ec2:DescribeSubnets", SUBNETS[z][0]), zone=z,
                   cidr=SUBNETS[z][1], available_ips=8120 - 7 * i, total_ips=8187)
            for i, z in enumerate(ZONES)),
        network=NetworkSettings(provenance=aws("eks:DescribeCluster", CLUSTER_ARN), network_mtu=9001,
                                network_plugin="vpc-cni"),
        api_calls={"cloudwatch:GetMetricData": 1, "ec2:DescribeNatGateways": 1, "ec2:DescribeSubnets": 1,
                   "ec2:DescribeVolumes": 1, "eks:DescribeCluster": 1, "eks:DescribeNodegroup": 3,
                   "eks:ListNodegroups": 1, "iam:GetOpenIDConnectProvider": 1, "iam:GetRole": 4,
                   "iam:ListOpenIDConnectProviders": 1, "iam:SimulatePrincipalPolicy": 1},
    )
