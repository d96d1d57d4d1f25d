"""identity loop rules."""

from __future__ import annotations

from typing import Any

from factories import cluster, container, event, meta, node, pod

from r2c_clouds.model.cloud import (
    CloudFacts,
    ClusterIdentity,
    IdentityBinding,
    NotChecked,
    Provenance,
    RegistryAccess,
)
from r2c_clouds.model.findings import Finding, ObjectRef, Severity
from r2c_clouds.rules import REGISTRY, run_rules

ROLE = "arn:aws:iam::123456789012:role/shop-api"
IAM = Provenance("aws", "iam:GetRole", ROLE)


def run(objs: list[dict[str, Any]], rule: str, facts: CloudFacts | None = None) -> list[Finding]:
    findings, not_checked = run_rules(cluster(objs), facts, rules=[rule])
    assert not_checked == []
    return findings


def sa(name: str, ns: str = "shop", annotations: dict[str, str] | None = None) -> dict[str, Any]:
    return {"kind": "ServiceAccount", "apiVersion": "v1", "metadata": meta(name, ns, annotations=annotations or {})}


def secret(name: str, keys: list[str], ns: str = "shop", type: str = "Opaque") -> dict[str, Any]:
    # Values are base64 placeholders; the loader keeps key names only.
    return {"kind": "Secret", "apiVersion": "v1", "metadata": meta(name, ns), "type": type,
            "data": dict.fromkeys(keys, "cGxhY2Vob2xkZXI=")}


def deployment(name: str, ns: str = "shop", *, labels: dict[str, str] | None = None, **spec: Any) -> dict[str, Any]:
    lab = labels or {"app": name}
    return {"kind": "Deployment", "apiVersion": "apps/v1", "metadata": meta(name, ns),
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": lab}, "spec": {"containers": [container()], **spec}}}}


def test_identity_rules_have_full_metadata() -> None:
    ids = {"identity.static-cloud-credentials", "identity.workload-identity-not-enabled", "identity.identity-not-found",
           "identity.trust-mismatch", "identity.cluster-admin-sprawl", "identity.image-pull-auth"}
    assert ids <= set(REGISTRY)
    needs_cloud = {rid: REGISTRY[rid][0].needs_cloud for rid in ids}
    assert needs_cloud["identity.trust-mismatch"] == ("identity_bindings",)
    assert needs_cloud["identity.identity-not-found"] == ("identity_bindings",)
    assert needs_cloud["identity.workload-identity-not-enabled"] == ("cluster_identity",)
    assert needs_cloud["identity.image-pull-auth"] == ("registry_access",)
    for rid in ids:
        spec = REGISTRY[rid][0]
        assert spec.title and spec.rationale and spec.remediation and spec.docs.startswith("https://"), rid


# --------------------------------------------------------------------------- static credentials


def test_literal_aws_keys_in_env_are_high_and_never_echo_the_value() -> None:
    env = [{"name": "AWS_ACCESS_KEY_ID", "value": "AKIAIOSFODNN7EXAMPLE"},
           {"name": "AWS_SECRET_ACCESS_KEY", "value": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"},
           {"name": "AWS_REGION", "value": "us-east-1"}]
    [f] = run([deployment("uploader", containers=[container(env=env)])], "identity.static-cloud-credentials")
    assert f.subject == ObjectRef("Deployment", "shop", "uploader")
    assert f.severity is Severity.HIGH
    text = f.message + " ".join(e.detail for e in f.evidence)
    assert "AWS_SECRET_ACCESS_KEY" in text
    assert "AKIAIOSFODNN7EXAMPLE" not in text and "wJalrXUtnFEMI" not in text


def test_secret_key_ref_and_env_from_are_medium_with_the_secret_related() -> None:
    env = [{"name": "AZURE_CLIENT_SECRET", "valueFrom": {"secretKeyRef": {"name": "sp-creds", "key": "clientSecret"}}}]
    objs = [deployment("billing", containers=[container(env=env)]),
            deployment("exporter", containers=[container(envFrom=[{"secretRef": {"name": "aws-creds"}}])]),
            secret("aws-creds", ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]), secret("sp-creds", ["clientSecret"])]
    findings = {str(f.subject): f for f in run(objs, "identity.static-cloud-credentials")}
    assert set(findings) == {"Deployment/shop/billing", "Deployment/shop/exporter"}  # Secrets covered by their users
    assert findings["Deployment/shop/billing"].severity is Severity.MEDIUM
    assert findings["Deployment/shop/billing"].related == (ObjectRef("Secret", "shop", "sp-creds"),)
    assert "provides AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY" in findings["Deployment/shop/exporter"].evidence[0].detail


def test_google_key_file_on_a_secret_volume() -> None:
    spec = {"volumes": [{"name": "gcp-key", "secret": {"secretName": "pubsub-key"}}]}
    c = container(env=[{"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": "/var/secrets/google/key.json"}],
                  volumeMounts=[{"name": "gcp-key", "mountPath": "/var/secrets/google", "readOnly": True}])
    [f] = run([deployment("events", containers=[c], **spec), secret("pubsub-key", ["key.json"])],
              "identity.static-cloud-credentials")
    assert f.subject == ObjectRef("Deployment", "shop", "events")
    assert f.related == (ObjectRef("Secret", "shop", "pubsub-key"),)


def test_unused_secret_with_cloud_key_names_is_flagged_by_key_name() -> None:
    objs = [secret("gcs-backup", ["credentials.json"]), secret("legacy-aws", ["aws_access_key_id", "aws_secret_access_key"])]
    findings = run(objs, "identity.static-cloud-credentials")
    assert [str(f.subject) for f in findings] == ["Secret/shop/gcs-backup", "Secret/shop/legacy-aws"]
    assert "Google service account key file" in findings[0].message


def test_no_static_credential_findings_for_ordinary_config() -> None:
    c = container(env=[{"name": "AWS_REGION", "value": "us-east-1"}, {"name": "DB_PASSWORD",
                  "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
                       {"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": "/etc/workload-identity/config.json"}])
    objs = [deployment("api", containers=[c]), secret("db", ["password"]),
            secret("tls", ["tls.crt", "tls.key"], type="kubernetes.io/tls"),
            secret("azure-storage-account-files-secret", ["azurestorageaccountname", "azurestorageaccountkey"])]
    assert run(objs, "identity.static-cloud-credentials") == []


# --------------------------------------------------------------------------- bindings


def binding(**kw: Any) -> IdentityBinding:
    base: dict[str, Any] = {"namespace": "shop", "service_account": "api", "identity": ROLE, "mechanism": "irsa",
                            "provenance": IAM}
    base.update(kw)
    return IdentityBinding(**base)


def irsa_sa() -> dict[str, Any]:
    return sa("api", annotations={"eks.amazonaws.com/role-arn": ROLE})


def crashing_pod() -> dict[str, Any]:
    return pod("api-7d9f8b6c5-x2k4q", "shop", service_account="api", owner=("ReplicaSet", "api-7d9f8b6c5"),
               container_statuses=[{"name": "app", "ready": False, "restartCount": 7,
                                    "state": {"waiting": {"reason": "CrashLoopBackOff",
                                                          "message": "back-off 5m0s restarting failed container=app"}}}])


def test_identity_not_found_is_high_when_pods_use_the_service_account() -> None:
    facts = CloudFacts(provider="aws", identity_bindings=(binding(exists=False, trusted=False,
                       problems=(f"role {ROLE} not found (NoSuchEntity)",)),))
    [f] = run([irsa_sa(), crashing_pod()], "identity.identity-not-found", facts)
    assert f.subject == ObjectRef("ServiceAccount", "shop", "api")
    assert f.severity is Severity.HIGH
    assert f.related == (ObjectRef("Pod", "shop", "api-7d9f8b6c5-x2k4q"),)
    assert any(e.source == "aws" and e.ref == IAM.ref() and "NoSuchEntity" in e.detail for e in f.evidence)
    assert any("CrashLoopBackOff" in e.detail for e in f.evidence)
    assert run([irsa_sa(), crashing_pod()], "identity.trust-mismatch", facts) == []


def test_identity_not_found_for_an_annotated_but_unused_sa_is_medium() -> None:
    facts = CloudFacts(provider="aws", identity_bindings=(binding(exists=False, trusted=False),))
    [f] = run([irsa_sa()], "identity.identity-not-found", facts)
    assert f.severity is Severity.MEDIUM
    # Neither used nor annotated: not this cluster's concern.
    assert run([sa("api")], "identity.identity-not-found", facts) == []


def test_trust_mismatch_lists_the_problems_and_the_trust() -> None:
    problem = "subject system:serviceaccount:shop:api not matched (trust admits system:serviceaccount:store:api)"
    facts = CloudFacts(provider="aws", identity_bindings=(binding(trusted=False, problems=(problem,),
                       trust_subjects=("system:serviceaccount:store:api",)),))
    access_denied = event("api-7d9f8b6c5-x2k4q.1", "shop", ("Pod", "api-7d9f8b6c5-x2k4q"), "Unhealthy",
                          "Readiness probe failed: WebIdentityErr: failed to retrieve credentials caused by: AccessDenied: "
                          "Not authorized to perform sts:AssumeRoleWithWebIdentity", component="kubelet")
    [f] = run([irsa_sa(), crashing_pod(), access_denied], "identity.trust-mismatch", facts)
    assert f.severity is Severity.HIGH
    assert problem in f.message
    assert any("trust admits: system:serviceaccount:store:api" in e.detail for e in f.evidence)
    assert any("AccessDenied" in e.detail for e in f.evidence)


def test_trusted_binding_is_fine_and_missing_facts_are_not_checked() -> None:
    facts = CloudFacts(provider="aws", identity_bindings=(binding(),))
    assert run([irsa_sa(), crashing_pod()], "identity.trust-mismatch", facts) == []
    findings, nc = run_rules(cluster([irsa_sa()]), None, rules=["identity.trust-mismatch"])
    assert findings == [] and nc[0].what == "identity.trust-mismatch"


# --------------------------------------------------------------------------- workload identity


AKS = Provenance("azure", "managedClusters.get", "/subscriptions/0000/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/prod")


def azure_wi_objs() -> list[dict[str, Any]]:
    return [sa("orders", annotations={"azure.workload.identity/client-id": "6f1a2b3c-0000-1111-2222-333344445555"}),
            deployment("orders", labels={"app": "orders", "azure.workload.identity/use": "true"},
                       serviceAccountName="orders"),
            pod("orders-7d9f8b6c5-a", "shop", service_account="orders", owner=("ReplicaSet", "orders-7d9f8b6c5"),
                labels={"app": "orders", "azure.workload.identity/use": "true"})]


def test_workload_identity_disabled_on_aks() -> None:
    facts = CloudFacts(provider="azure", cluster_identity=ClusterIdentity(AKS, workload_identity_enabled=False))
    [f] = run(azure_wi_objs(), "identity.workload-identity-not-enabled", facts)
    assert f.subject == ObjectRef("Cluster", None, "test")
    assert f.severity is Severity.HIGH
    assert f.related == (ObjectRef("ServiceAccount", "shop", "orders"),)
    assert any(e.source == "azure" and "securityProfile.workloadIdentity.enabled is false" in e.detail for e in f.evidence)


def test_irsa_without_an_oidc_provider_and_enabled_cluster_negative() -> None:
    eks = Provenance("aws", "iam:ListOpenIDConnectProviders", "arn:aws:eks:us-east-1:123456789012:cluster/prod")
    off = CloudFacts(provider="aws", cluster_identity=ClusterIdentity(
        eks, oidc_issuer="https://oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE",
        oidc_provider_registered=False))
    [f] = run([irsa_sa()], "identity.workload-identity-not-enabled", off)
    assert "no IAM OIDC provider is registered" in f.message
    assert f.severity is Severity.MEDIUM  # no pod uses the ServiceAccount yet
    on = CloudFacts(provider="aws", cluster_identity=ClusterIdentity(eks, workload_identity_enabled=True,
                                                                       oidc_provider_registered=True))
    assert run([irsa_sa(), crashing_pod()], "identity.workload-identity-not-enabled", on) == []


def test_azure_label_and_annotation_must_go_together() -> None:
    enabled = CloudFacts(provider="azure", cluster_identity=ClusterIdentity(AKS, workload_identity_enabled=True))
    assert run(azure_wi_objs(), "identity.workload-identity-not-enabled", enabled) == []
    no_annotation = [sa("orders"), *azure_wi_objs()[1:]]
    [f] = run(no_annotation, "identity.workload-identity-not-enabled", enabled)
    assert f.subject == ObjectRef("Deployment", "shop", "orders")
    assert "no azure.workload.identity/client-id annotation" in f.message
    no_label = [azure_wi_objs()[0], deployment("orders", serviceAccountName="orders"),
                pod("orders-7d9f8b6c5-a", "shop", service_account="orders", owner=("ReplicaSet", "orders-7d9f8b6c5"))]
    [g] = run(no_label, "identity.workload-identity-not-enabled", enabled)
    assert "lack the label azure.workload.identity/use" in g.message


# --------------------------------------------------------------------------- RBAC


def crb(name: str, subjects: list[dict[str, str]], role: str = "cluster-admin", **meta_extra: Any) -> dict[str, Any]:
    return {"kind": "ClusterRoleBinding", "apiVersion": "rbac.authorization.k8s.io/v1", "metadata": meta(name, None, **meta_extra),
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": subjects}


def test_cluster_admin_bindings_to_people_and_ci() -> None:
    objs = [crb("cluster-admin", [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:masters"}],
                labels={"kubernetes.io/bootstrapping": "rbac-defaults"}),
            crb("alice-admin", [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice@example.com"}]),
            crb("view-all", [{"kind": "Group", "name": "devs"}], role="view")]
    [f] = run(objs, "identity.cluster-admin-sprawl")
    assert f.subject == ObjectRef("ClusterRoleBinding", None, "alice-admin")
    assert f.severity is Severity.MEDIUM


def test_more_than_three_admins_raise_severity() -> None:
    objs = [crb(f"admin-{i}", [{"kind": "User", "name": f"user{i}@example.com"}]) for i in range(3)]
    objs.append(crb("ci", [{"kind": "ServiceAccount", "name": "deployer", "namespace": "ci"},
                           {"kind": "ServiceAccount", "name": "clusterrole-aggregation-controller", "namespace": "kube-system"}]))
    findings = run(objs, "identity.cluster-admin-sprawl")
    assert len(findings) == 4 and all(f.severity is Severity.HIGH for f in findings)
    assert "4 distinct non-system subjects" in findings[0].message


# --------------------------------------------------------------------------- registry pulls


ECR = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
NODE_ROLE = "arn:aws:iam::123456789012:role/eks-workers-a-node"


def pull_objs(waiting: bool) -> list[dict[str, Any]]:
    image = f"{ECR}/shop/api:1.4.2"
    statuses = [{"name": "app", "ready": False, "state": {"waiting": {"reason": "ImagePullBackOff"}}}] if waiting else None
    return [node("node-a", pool="workers-a"),
            pod("api-1", "shop", node_name="node-a", phase="Pending" if waiting else "Running",
                containers=[container(image=image)], container_statuses=statuses)]


def test_node_pool_identity_without_pull_rights() -> None:
    ra = RegistryAccess(ECR, NODE_ROLE, False, Provenance("aws", "iam:SimulatePrincipalPolicy", NODE_ROLE),
                        missing=("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"), node_pool="workers-a")
    facts = CloudFacts(provider="aws", registry_access=(ra,))
    [f] = run(pull_objs(waiting=True), "identity.image-pull-auth", facts)
    assert f.subject == ObjectRef("NodePool", None, "workers-a")
    assert f.related == (ObjectRef("Registry", None, ECR),)
    assert f.severity is Severity.HIGH
    assert "ecr:BatchGetImage" in f.message
    [g] = run(pull_objs(waiting=False), "identity.image-pull-auth", facts)
    assert g.severity is Severity.MEDIUM and "cached images" in g.message


def test_pull_rights_present_or_registry_unused_is_fine() -> None:
    ok = RegistryAccess(ECR, NODE_ROLE, True, Provenance("aws", "iam:SimulatePrincipalPolicy", NODE_ROLE), node_pool="workers-a")
    assert run(pull_objs(waiting=True), "identity.image-pull-auth", CloudFacts(provider="aws", registry_access=(ok,))) == []
    other = RegistryAccess("999999999999.dkr.ecr.us-east-1.amazonaws.com", NODE_ROLE, False,
                           Provenance("aws", "iam:SimulatePrincipalPolicy", NODE_ROLE), node_pool="workers-a")
    assert run(pull_objs(waiting=True), "identity.image-pull-auth", CloudFacts(provider="aws", registry_access=(other,))) == []


def test_registry_access_forbidden_is_not_checked() -> None:
    facts = CloudFacts(provider="aws", not_checked=(NotChecked("registry_access", "forbidden: iam:SimulatePrincipalPolicy"),))
    findings, nc = run_rules(cluster(pull_objs(waiting=True)), facts, rules=["identity.image-pull-auth"])
    assert findings == [] and nc == [NotChecked("identity.image-pull-auth", "registry_access forbidden: iam:SimulatePrincipalPolicy")]


def test_cloud_key_from_a_config_map_is_plain_text() -> None:
    env = [{"name": "AZURE_STORAGE_KEY", "valueFrom": {"configMapKeyRef": {"name": "app-config", "key": "storageKey"}}}]
    [f] = run([deployment("thumbs", containers=[container(env=env)])], "identity.static-cloud-credentials")
    assert f.severity is Severity.HIGH
    assert "ConfigMap shop/app-config" in f.evidence[0].detail


def test_annotation_for_another_cloud_is_not_judged_by_this_cluster() -> None:
    facts = CloudFacts(provider="azure", cluster_identity=ClusterIdentity(AKS, workload_identity_enabled=False))
    objs = [irsa_sa(), crashing_pod()]  # a chart's IRSA annotation on an AKS cluster
    assert run(objs, "identity.workload-identity-not-enabled", facts) == []


def test_pods_with_image_pull_secrets_do_not_depend_on_the_node_identity() -> None:
    ra = RegistryAccess(ECR, NODE_ROLE, False, Provenance("aws", "iam:SimulatePrincipalPolicy", NODE_ROLE),
                        missing=("ecr:BatchGetImage",), node_pool="workers-a")
    objs = pull_objs(waiting=True)
    objs[1]["spec"]["imagePullSecrets"] = [{"name": "ecr-pull"}]
    assert run(objs, "identity.image-pull-auth", CloudFacts(provider="aws", registry_access=(ra,))) == []
