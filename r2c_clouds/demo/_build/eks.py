"""What every EKS demo cluster has: nodes as managed node groups make them, the kube-system
add-ons (VPC CNI, kube-proxy, CoreDNS, EBS CSI driver, metrics-server, cluster-autoscaler),
their ServiceAccounts, ClusterRoleBindings and the built-in PriorityClasses."""

from __future__ import annotations

from r2c_clouds.demo._build.kube import Cluster, Obj, Placement, daemonset, deployment, hexid

SYSTEM_PRIORITIES = {"system-cluster-critical": 2000000000, "system-node-critical": 2000001000}
K8S = "v1.31.2-eks-94953ac"
OS_IMAGE = "Amazon Linux 2023.6.20241111"
KERNEL = "6.1.115-126.197.amzn2023.x86_64"
RUNTIME = "containerd://1.7.23"

#: instance type → (capacity, allocatable, max pods)
INSTANCE = {
    "m5.large": ({"cpu": "2", "memory": "7869248Ki"}, {"cpu": "1930m", "memory": "7179072Ki"}, "29"),
    "m5.xlarge": ({"cpu": "4", "memory": "15896128Ki"}, {"cpu": "3920m", "memory": "14922048Ki"}, "58"),
}


def ecr(region: str) -> str:
    """The registry EKS add-on images come from."""
    return f"602401143452.dkr.ecr.{region}.amazonaws.com"


def node(c: Cluster, name: str, *, zone: str, zone_id: str, nodegroup: str, instance_type: str, instance_id: str,
         created: str, ami: str, ready_at: str | None = None) -> Obj:
    """An EKS managed node group node (``ip-10-0-12-23.ec2.internal``)."""
    region = zone[:-1]
    ip = name.split(".")[0].removeprefix("ip-").replace("-", ".")
    cap, alloc, pods = INSTANCE[instance_type]
    storage = {"ephemeral-storage": "83873772Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0"}
    return c.node(
        name, zone=zone, region=region, ip=ip, provider_id=f"aws:///{zone}/{instance_id}",
        instance_type=instance_type, created=created, ready_at=ready_at,
        labels={
            "eks.amazonaws.com/capacityType": "ON_DEMAND",
            "eks.amazonaws.com/nodegroup": nodegroup,
            "eks.amazonaws.com/nodegroup-image": ami,
            "eks.amazonaws.com/sourceLaunchTemplateId": f"lt-0{hexid('lt' + nodegroup, 16)}",
            "eks.amazonaws.com/sourceLaunchTemplateVersion": "1",
            "k8s.io/cloud-provider-aws": hexid("cp" + c.name, 32),
            "topology.ebs.csi.aws.com/zone": zone,
            "topology.k8s.aws/zone-id": zone_id,
        },
        capacity={**cap, **storage, "ephemeral-storage": "104845292Ki", "pods": pods},
        allocatable={**alloc, **storage, "ephemeral-storage": "95551679541", "pods": pods},
        kubelet=K8S, os_image=OS_IMAGE, runtime=RUNTIME, kernel=KERNEL,
        internal_dns=name, hostname=name,
    )


def namespaces(c: Cluster, created: str, *extra: str) -> None:
    for ns in ("default", "kube-node-lease", "kube-public", "kube-system"):
        c.namespace(ns, created)
    for ns in extra:
        c.namespace(ns, created)


def priority_classes(c: Cluster, created: str) -> None:
    for name, value in SYSTEM_PRIORITIES.items():
        c.add("scheduling.k8s.io/v1", "PriorityClass",
              c.meta("PriorityClass", name, None, created),
              description="Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."
              if name == "system-cluster-critical" else "Used for system critical pods that must not be moved from their current node.",
              preemptionPolicy="PreemptLowerPriority", value=value)


def service_account(c: Cluster, name: str, namespace: str, created: str, *,
                    annotations: dict[str, str] | None = None, labels: dict[str, str] | None = None) -> Obj:
    return c.add("v1", "ServiceAccount",
                 c.meta("ServiceAccount", name, namespace, created, labels=labels, annotations=annotations))


def crb(c: Cluster, name: str, role: str, subjects: list[Obj], created: str,
        labels: dict[str, str] | None = None) -> Obj:
    return c.add("rbac.authorization.k8s.io/v1", "ClusterRoleBinding",
                 c.meta("ClusterRoleBinding", name, None, created, labels=labels),
                 roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
                 subjects=subjects)


def sa_subject(name: str, namespace: str) -> Obj:
    return {"kind": "ServiceAccount", "name": name, "namespace": namespace}


def system(
    c: Cluster,
    *,
    region: str,
    cluster_name: str,
    vpc_id: str,
    created: str,
    nodes: list[str],
    node_created: dict[str, str],
    coredns_nodes: list[str],
    metrics_node: str,
    ebs_controller_nodes: list[str],
    autoscaler_node: str | None,
    roles: dict[str, str],
    csi_topology: bool = True,
) -> None:
    """The kube-system add-ons of an EKS cluster, with IRSA annotations from ``roles``
    (``ebs-csi-controller-sa`` → role ARN...).

    ``csi_topology=False`` runs the EBS CSI csi-provisioner without
    ``--feature-gates=Topology=true`` (a self-managed install): the PVs it provisions then
    carry no nodeAffinity, so the scheduler cannot see their zone."""
    reg = ecr(region)
    ks = "kube-system"
    managed_by = "EKS" if csi_topology else "Helm"
    for sa in ("aws-node", "coredns", "kube-proxy", "ebs-csi-controller-sa", "ebs-csi-node-sa",
               "metrics-server", "default") + (("cluster-autoscaler",) if autoscaler_node else ()):
        ann = {"eks.amazonaws.com/role-arn": roles[sa]} if sa in roles else None
        service_account(c, sa, ks, created, annotations=ann)
    for ns in sorted({o["metadata"]["name"] for o in c.of_kind("Namespace")} - {ks}):
        service_account(c, "default", ns, created)

    crb(c, "cluster-admin", "cluster-admin",
        [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}], created,
        labels={"kubernetes.io/bootstrapping": "rbac-defaults"})
    crb(c, "aws-node", "aws-node", [sa_subject("aws-node", ks)], created,
        labels={"app.kubernetes.io/name": "aws-node", "app.kubernetes.io/instance": "aws-vpc-cni"})
    crb(c, "eks:kube-proxy", "system:node-proxier", [sa_subject("kube-proxy", ks)], created,
        labels={"eks.amazonaws.com/component": "kube-proxy"})
    crb(c, "system:coredns", "system:coredns", [sa_subject("coredns", ks)], created,
        labels={"eks.amazonaws.com/component": "coredns", "kubernetes.io/bootstrapping": "rbac-defaults"})
    crb(c, "ebs-csi-provisioner-binding", "ebs-external-provisioner-role", [sa_subject("ebs-csi-controller-sa", ks)],
        created, labels={"app.kubernetes.io/component": "csi-driver", "app.kubernetes.io/name": "aws-ebs-csi-driver"})
    crb(c, "ebs-csi-attacher-binding", "ebs-external-attacher-role", [sa_subject("ebs-csi-controller-sa", ks)],
        created, labels={"app.kubernetes.io/component": "csi-driver", "app.kubernetes.io/name": "aws-ebs-csi-driver"})
    crb(c, "metrics-server:system:auth-delegator", "system:auth-delegator", [sa_subject("metrics-server", ks)],
        created, labels={"k8s-app": "metrics-server"})
    crb(c, "system:metrics-server", "system:metrics-server", [sa_subject("metrics-server", ks)], created,
        labels={"k8s-app": "metrics-server"})
    if autoscaler_node:
        crb(c, "cluster-autoscaler", "cluster-autoscaler", [sa_subject("cluster-autoscaler", ks)], created,
            labels={"app.kubernetes.io/name": "aws-cluster-autoscaler"})

    c.add("v1", "ConfigMap", c.meta("ConfigMap", "amazon-vpc-cni", ks, created,
                                    labels={"app.kubernetes.io/name": "aws-node"}),
          data={"branch-eni-cooldown": "60", "enable-network-policy-controller": "false",
                "enable-windows-ipam": "false", "enable-windows-prefix-delegation": "false",
                "minimum-ip-target": "3", "warm-ip-target": "1", "warm-prefix-target": "0"})
    c.add("v1", "ConfigMap", c.meta("ConfigMap", "coredns", ks, created,
                                    labels={"eks.amazonaws.com/component": "coredns", "k8s-app": "kube-dns"}),
          data={"Corefile": ".:53 {\n    errors\n    health {\n        lameduck 5s\n      }\n    ready\n"
                            "    kubernetes cluster.local in-addr.arpa ip6.arpa {\n      pods insecure\n"
                            "      fallthrough in-addr.arpa ip6.arpa\n    }\n    prometheus :9153\n"
                            "    forward . /etc/resolv.conf\n    cache 30\n    loop\n    reload\n    loadbalance\n}\n"})

    env_node = {"name": "MY_NODE_NAME", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "spec.nodeName"}}}
    daemonset(c, "aws-node", ks, created=created, revision="7d9b6f8c5d", nodes=nodes, node_created=node_created,
              priorities=SYSTEM_PRIORITIES, labels={"app.kubernetes.io/instance": "aws-vpc-cni",
                                                    "app.kubernetes.io/name": "aws-node", "k8s-app": "aws-node"},
              template={"metadata": {"labels": {"app.kubernetes.io/instance": "aws-vpc-cni",
                                                "app.kubernetes.io/name": "aws-node", "k8s-app": "aws-node"}},
                        "spec": {
                            "hostNetwork": True, "priorityClassName": "system-node-critical",
                            "serviceAccountName": "aws-node",
                            "initContainers": [{"name": "aws-vpc-cni-init",
                                                "image": f"{reg}/amazon-k8s-cni-init:v1.19.0-eksbuild.1",
                                                "resources": {"requests": {"cpu": "25m"}},
                                                "securityContext": {"privileged": True}}],
                            "containers": [
                                {"name": "aws-node", "image": f"{reg}/amazon-k8s-cni:v1.19.0-eksbuild.1",
                                 "env": [
                                     {"name": "ADDITIONAL_ENI_TAGS", "value": "{}"},
                                     {"name": "AWS_VPC_CNI_NODE_PORT_SUPPORT", "value": "true"},
                                     {"name": "AWS_VPC_ENI_MTU", "value": "9001"},
                                     {"name": "AWS_VPC_K8S_CNI_EXTERNALSNAT", "value": "false"},
                                     {"name": "AWS_VPC_K8S_CNI_LOGLEVEL", "value": "DEBUG"},
                                     {"name": "AWS_VPC_K8S_CNI_RANDOMIZESNAT", "value": "prng"},
                                     {"name": "AWS_VPC_K8S_CNI_VETHPREFIX", "value": "eni"},
                                     {"name": "ENABLE_IPv4", "value": "true"},
                                     {"name": "ENABLE_PREFIX_DELEGATION", "value": "false"},
                                     {"name": "VPC_ID", "value": vpc_id},
                                     {"name": "WARM_ENI_TARGET", "value": "1"},
                                     {"name": "CLUSTER_NAME", "value": cluster_name},
                                     env_node,
                                 ],
                                 "ports": [{"containerPort": 61678, "name": "metrics", "protocol": "TCP"}],
                                 "readinessProbe": {"exec": {"command": ["/app/grpc-health-probe", "-addr=:50051",
                                                                         "-connect-timeout=5s", "-rpc-timeout=5s"]},
                                                    "failureThreshold": 3, "initialDelaySeconds": 1,
                                                    "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 10},
                                 "resources": {"requests": {"cpu": "25m"}},
                                 "securityContext": {"capabilities": {"add": ["NET_ADMIN", "NET_RAW"]}}},
                                {"name": "aws-eks-nodeagent",
                                 "image": f"{reg}/amazon/aws-network-policy-agent:v1.1.5-eksbuild.1",
                                 "args": ["--enable-ipv6=false", "--enable-network-policy=false",
                                          "--enable-cloudwatch-logs=false", "--enable-policy-event-logs=false",
                                          "--log-file=/var/log/aws-routed-eni/network-policy-agent.log",
                                          "--metrics-bind-addr=:8162", "--health-probe-bind-addr=:8163",
                                          "--conntrack-cache-cleanup-period=300"],
                                 "env": [env_node],
                                 "resources": {"requests": {"cpu": "25m"}}},
                            ]}})
    daemonset(c, "kube-proxy", ks, created=created, revision="5c9f8b7d64", nodes=nodes, node_created=node_created,
              priorities=SYSTEM_PRIORITIES, labels={"eks.amazonaws.com/component": "kube-proxy", "k8s-app": "kube-proxy"},
              template={"metadata": {"labels": {"k8s-app": "kube-proxy"}},
                        "spec": {"hostNetwork": True, "priorityClassName": "system-node-critical",
                                 "serviceAccountName": "kube-proxy",
                                 "containers": [{"name": "kube-proxy",
                                                 "image": f"{reg}/eks/kube-proxy:v1.31.2-minimal-eksbuild.3",
                                                 "command": ["kube-proxy", "--v=2",
                                                             "--config=/var/lib/kube-proxy-config/config",
                                                             "--hostname-override=$(NODE_NAME)"],
                                                 "env": [{"name": "NODE_NAME", "valueFrom": {"fieldRef": {
                                                     "apiVersion": "v1", "fieldPath": "spec.nodeName"}}}],
                                                 "resources": {"requests": {"cpu": "100m"}},
                                                 "securityContext": {"privileged": True}}]}})
    csi_sidecar = {"requests": {"cpu": "10m", "memory": "40Mi"}, "limits": {"memory": "256Mi"}}
    daemonset(c, "ebs-csi-node", ks, created=created, revision="6b8d9c7f4", nodes=nodes, node_created=node_created,
              priorities=SYSTEM_PRIORITIES,
              labels={"app": "ebs-csi-node", "app.kubernetes.io/component": "csi-driver",
                      "app.kubernetes.io/managed-by": managed_by, "app.kubernetes.io/name": "aws-ebs-csi-driver",
                      "app.kubernetes.io/version": "1.37.0"},
              template={"metadata": {"labels": {"app": "ebs-csi-node", "app.kubernetes.io/component": "csi-driver",
                                                "app.kubernetes.io/managed-by": managed_by,
                                                "app.kubernetes.io/name": "aws-ebs-csi-driver",
                                                "app.kubernetes.io/version": "1.37.0"}},
                        "spec": {"priorityClassName": "system-node-critical", "serviceAccountName": "ebs-csi-node-sa",
                                 "containers": [
                                     {"name": "ebs-plugin", "image": f"{reg}/eks/aws-ebs-csi-driver:v1.37.0",
                                      "args": ["node", "--endpoint=$(CSI_ENDPOINT)", "--csi-mount-point-prefix=/var/lib/kubelet/plugins/kubernetes.io/csi/ebs.csi.aws.com/",
                                               "--logging-format=text", "--v=2"],
                                      "env": [{"name": "CSI_ENDPOINT", "value": "unix:/csi/csi.sock"},
                                              {"name": "CSI_NODE_NAME", "valueFrom": {"fieldRef": {
                                                  "apiVersion": "v1", "fieldPath": "spec.nodeName"}}}],
                                      "ports": [{"containerPort": 9808, "name": "healthz", "protocol": "TCP"}],
                                      "livenessProbe": {"httpGet": {"path": "/healthz", "port": "healthz",
                                                                    "scheme": "HTTP"},
                                                        "failureThreshold": 5, "initialDelaySeconds": 10,
                                                        "periodSeconds": 10, "successThreshold": 1,
                                                        "timeoutSeconds": 3},
                                      "resources": csi_sidecar, "securityContext": {"privileged": True}},
                                     {"name": "node-driver-registrar",
                                      "image": f"{reg}/eks/csi-node-driver-registrar:v2.12.0-eks-1-31-7",
                                      "args": ["--csi-address=$(ADDRESS)", "--kubelet-registration-path=$(DRIVER_REG_SOCK_PATH)", "--v=2"],
                                      "resources": csi_sidecar},
                                     {"name": "liveness-probe", "image": f"{reg}/eks/livenessprobe:v2.14.0-eks-1-31-7",
                                      "args": ["--csi-address=/csi/csi.sock"], "resources": csi_sidecar},
                                 ]}})

    coredns_tmpl = {"metadata": {"labels": {"eks.amazonaws.com/component": "coredns", "k8s-app": "kube-dns"}},
                    "spec": {"priorityClassName": "system-cluster-critical", "serviceAccountName": "coredns",
                             "tolerations": [{"effect": "NoSchedule", "key": "node-role.kubernetes.io/control-plane"},
                                             {"key": "CriticalAddonsOnly", "operator": "Exists"}],
                             "containers": [{"name": "coredns", "image": f"{reg}/eks/coredns:v1.11.3-eksbuild.2",
                                             "args": ["-conf", "/etc/coredns/Corefile"],
                                             "ports": [{"containerPort": 53, "name": "dns", "protocol": "UDP"},
                                                       {"containerPort": 53, "name": "dns-tcp", "protocol": "TCP"},
                                                       {"containerPort": 9153, "name": "metrics", "protocol": "TCP"}],
                                             "livenessProbe": {"httpGet": {"path": "/health", "port": 8080,
                                                                           "scheme": "HTTP"},
                                                               "failureThreshold": 5, "initialDelaySeconds": 60,
                                                               "periodSeconds": 10, "successThreshold": 1,
                                                               "timeoutSeconds": 5},
                                             "readinessProbe": {"httpGet": {"path": "/ready", "port": 8181,
                                                                            "scheme": "HTTP"},
                                                                "failureThreshold": 3, "periodSeconds": 10,
                                                                "successThreshold": 1, "timeoutSeconds": 1},
                                             "resources": {"limits": {"memory": "170Mi"},
                                                           "requests": {"cpu": "100m", "memory": "70Mi"}},
                                             "volumeMounts": [{"mountPath": "/etc/coredns", "name": "config-volume",
                                                               "readOnly": True}]}],
                             "volumes": [{"configMap": {"defaultMode": 420, "items": [{"key": "Corefile",
                                                                                       "path": "Corefile"}],
                                                        "name": "coredns"}, "name": "config-volume"}]}}
    deployment(c, "coredns", ks, template=coredns_tmpl, created=created, rs_hash="7b8c9d6f5",
               placements=[Placement(n) for n in coredns_nodes], priorities=SYSTEM_PRIORITIES,
               labels={"eks.amazonaws.com/component": "coredns", "k8s-app": "kube-dns",
                       "kubernetes.io/name": "CoreDNS"})
    c.service("kube-dns", ks, selector={"k8s-app": "kube-dns"}, created=created, cluster_ip="172.20.0.10",
              labels={"eks.amazonaws.com/component": "kube-dns", "k8s-app": "kube-dns",
                      "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"},
              annotations={"prometheus.io/port": "9153", "prometheus.io/scrape": "true"},
              ports=[{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                     {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                     {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}])

    ms_labels = {"app.kubernetes.io/instance": "metrics-server", "app.kubernetes.io/name": "metrics-server"}
    deployment(c, "metrics-server", ks, created=created, rs_hash="5dc9f8b7c6", priorities=SYSTEM_PRIORITIES,
               placements=[Placement(metrics_node)],
               template={"metadata": {"labels": ms_labels},
                         "spec": {"priorityClassName": "system-cluster-critical",
                                  "serviceAccountName": "metrics-server",
                                  "containers": [{"name": "metrics-server",
                                                  "image": f"{reg}/eks/metrics-server:v0.7.2-eksbuild.1",
                                                  "args": ["--secure-port=10251", "--cert-dir=/tmp",
                                                           "--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
                                                           "--kubelet-use-node-status-port", "--metric-resolution=15s"],
                                                  "ports": [{"containerPort": 10251, "name": "https",
                                                             "protocol": "TCP"}],
                                                  "readinessProbe": {"httpGet": {"path": "/readyz", "port": "https",
                                                                                 "scheme": "HTTPS"},
                                                                     "failureThreshold": 3, "initialDelaySeconds": 20,
                                                                     "periodSeconds": 10, "successThreshold": 1,
                                                                     "timeoutSeconds": 1},
                                                  "livenessProbe": {"httpGet": {"path": "/livez", "port": "https",
                                                                                "scheme": "HTTPS"},
                                                                    "failureThreshold": 3, "periodSeconds": 10,
                                                                    "successThreshold": 1, "timeoutSeconds": 1},
                                                  "resources": {"requests": {"cpu": "100m", "memory": "200Mi"}}}]}})
    c.service("metrics-server", ks, selector=ms_labels, created=created, labels=ms_labels,
              ports=[{"appProtocol": "https", "name": "https", "port": 443, "protocol": "TCP", "targetPort": "https"}])

    ctrl_labels = {"app": "ebs-csi-controller", "app.kubernetes.io/component": "csi-driver",
                   "app.kubernetes.io/managed-by": managed_by, "app.kubernetes.io/name": "aws-ebs-csi-driver",
                   "app.kubernetes.io/version": "1.37.0"}
    sidecars = [("csi-provisioner", "csi-provisioner:v5.1.0-eks-1-31-7",
                 ["--timeout=60s", "--csi-address=$(ADDRESS)", "--v=2",
                  *(["--feature-gates=Topology=true"] if csi_topology else []), "--extra-create-metadata", "--leader-election=true", "--default-fstype=ext4",
                  "--kube-api-qps=20", "--kube-api-burst=100", "--worker-threads=100", "--retry-interval-max=30m"]),
                ("csi-attacher", "csi-attacher:v4.7.0-eks-1-31-7",
                 ["--timeout=6m", "--csi-address=$(ADDRESS)", "--v=2", "--leader-election=true",
                  "--kube-api-qps=20", "--kube-api-burst=100", "--worker-threads=100", "--retry-interval-max=5m"]),
                ("csi-snapshotter", "csi-snapshotter:v8.1.0-eks-1-31-7",
                 ["--csi-address=$(ADDRESS)", "--leader-election=true", "--extra-create-metadata"]),
                ("csi-resizer", "csi-resizer:v1.12.0-eks-1-31-7",
                 ["--timeout=60s", "--csi-address=$(ADDRESS)", "--v=2", "--handle-volume-inuse-error=false",
                  "--leader-election=true"]),
                ("liveness-probe", "livenessprobe:v2.14.0-eks-1-31-7", ["--csi-address=/csi/csi.sock"])]
    deployment(c, "ebs-csi-controller", ks, created=created, rs_hash="6d9c8b7f5c", priorities=SYSTEM_PRIORITIES,
               placements=[Placement(n) for n in ebs_controller_nodes], labels=ctrl_labels,
               template={"metadata": {"labels": ctrl_labels},
                         "spec": {"priorityClassName": "system-cluster-critical",
                                  "serviceAccountName": "ebs-csi-controller-sa",
                                  "tolerations": [{"key": "CriticalAddonsOnly", "operator": "Exists"},
                                                  {"effect": "NoExecute", "operator": "Exists",
                                                   "tolerationSeconds": 300}],
                                  "containers": [
                                      {"name": "ebs-plugin", "image": f"{reg}/eks/aws-ebs-csi-driver:v1.37.0",
                                       "args": ["controller", "--endpoint=$(CSI_ENDPOINT)", "--batching=true",
                                                "--logging-format=text", "--user-agent-extra=eks", "--v=2"],
                                       "env": [{"name": "CSI_ENDPOINT",
                                                "value": "unix:///var/lib/csi/sockets/pluginproxy/csi.sock"},
                                               {"name": "AWS_REGION", "value": region}],
                                       "ports": [{"containerPort": 9808, "name": "healthz", "protocol": "TCP"}],
                                       "readinessProbe": {"httpGet": {"path": "/healthz", "port": "healthz",
                                                                      "scheme": "HTTP"},
                                                          "failureThreshold": 5, "initialDelaySeconds": 10,
                                                          "periodSeconds": 10, "successThreshold": 1,
                                                          "timeoutSeconds": 3},
                                       "resources": csi_sidecar},
                                      *({"name": n, "image": f"{reg}/eks/{img}", "args": args,
                                         "resources": csi_sidecar} for n, img, args in sidecars),
                                  ]}})
    if autoscaler_node:
        ca_labels = {"app.kubernetes.io/instance": "cluster-autoscaler",
                     "app.kubernetes.io/name": "aws-cluster-autoscaler"}
        deployment(c, "cluster-autoscaler", ks, created=created, rs_hash="84c7d9f6b5", priorities=SYSTEM_PRIORITIES,
                   placements=[Placement(autoscaler_node)],
                   template={"metadata": {"labels": ca_labels,
                                          "annotations": {"prometheus.io/port": "8085",
                                                          "prometheus.io/scrape": "true"}},
                             "spec": {"priorityClassName": "system-cluster-critical",
                                      "serviceAccountName": "cluster-autoscaler",
                                      "containers": [{"name": "aws-cluster-autoscaler",
                                                      "image": "registry.k8s.io/autoscaling/cluster-autoscaler:v1.31.0",
                                                      "command": ["./cluster-autoscaler", "--cloud-provider=aws",
                                                                  "--namespace=kube-system",
                                                                  "--node-group-auto-discovery=asg:tag=k8s.io/cluster-autoscaler/enabled,k8s.io/cluster-autoscaler/"
                                                                  + cluster_name,
                                                                  "--balance-similar-node-groups=true",
                                                                  "--expander=least-waste",
                                                                  "--skip-nodes-with-local-storage=false",
                                                                  "--logtostderr=true", "--stderrthreshold=info",
                                                                  "--v=4"],
                                                      "env": [{"name": "AWS_REGION", "value": region}],
                                                      "ports": [{"containerPort": 8085, "protocol": "TCP"}],
                                                      "livenessProbe": {"httpGet": {"path": "/health-check",
                                                                                    "port": 8085, "scheme": "HTTP"},
                                                                        "failureThreshold": 3, "periodSeconds": 10,
                                                                        "successThreshold": 1, "timeoutSeconds": 1},
                                                      "resources": {"limits": {"cpu": "100m", "memory": "600Mi"},
                                                                    "requests": {"cpu": "100m", "memory": "600Mi"}}}]}})


def tls_secret(c: Cluster, name: str, namespace: str, created: str) -> Obj:
    """A kubernetes.io/tls Secret (values are placeholders; r2c never reads them)."""
    return c.add("v1", "Secret", c.meta("Secret", name, namespace, created),
                 data={"tls.crt": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCnJlZGFjdGVkCg==",
                       "tls.key": "cmVkYWN0ZWQ="}, type="kubernetes.io/tls")


def opaque_secret(c: Cluster, name: str, namespace: str, created: str, keys: list[str]) -> Obj:
    return c.add("v1", "Secret", c.meta("Secret", name, namespace, created),
                 data={k: "cmVkYWN0ZWQ=" for k in keys}, type="Opaque")
