"""identity loop rules: static cloud keys, workload identity (IRSA / EKS Pod Identity, Azure
Workload Identity, GKE Workload Identity) as the cloud sees it, cluster-admin bindings, and the
node identity's registry pull rights.

Secret *values* are never read: rules see Secret key names only.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

from r2c_clouds.loops.compute import node_pool_of
from r2c_clouds.loops.identity import IDENTITY_ANNOTATIONS, image_registry
from r2c_clouds.model import kube as k
from r2c_clouds.model.cloud import ClusterIdentity, IdentityBinding, RegistryAccess
from r2c_clouds.model.cluster import ClusterState, pod_ref
from r2c_clouds.model.credentials import CLOUD_CREDENTIAL_ENV
from r2c_clouds.model.findings import Evidence, Finding, ObjectRef, Severity, Verdict
from r2c_clouds.rules._registry import RuleContext, rule
from r2c_clouds.rules._workloads import Workload, event_evidence, workloads

__all__ = [
    "cluster_admin_sprawl",
    "identity_not_found",
    "image_pull_auth",
    "judge_identity_binding",
    "judge_registry_access",
    "static_cloud_credentials",
    "trust_mismatch",
    "workload_identity_not_enabled",
]

_MAX_RELATED = 20

# =========================================================================== static credentials

_CLOUD_ENV = CLOUD_CREDENTIAL_ENV

#: Secret key names (lower-cased) that hold a cloud credential.
_SECRET_KEYS: dict[str, str] = {
    "aws_access_key_id": "AWS access key id",
    "aws_secret_access_key": "AWS secret access key",
    "azure_client_secret": "Azure service principal secret",
    "arm_client_secret": "Azure service principal secret",
    "azure_storage_key": "Azure storage account key",
    "azure_storage_account_key": "Azure storage account key",
    "azure_storage_connection_string": "Azure storage connection string",
    "credentials.json": "Google service account key file",
    "application_default_credentials.json": "Google service account key file",
    "service-account.json": "Google service account key file",
    "service_account.json": "Google service account key file",
    "service-account-key.json": "Google service account key file",
    "sa-key.json": "Google service account key file",
    "gcp-credentials.json": "Google service account key file",
    "google-credentials.json": "Google service account key file",
    "gcp-key.json": "Google service account key file",
}

#: Secret name hints that make a generic key name (``key.json``, ``credentials``) cloud-specific.
_GCP_NAME = re.compile(r"gcp|google|gcs|gke|pubsub|bigquery|service-?account|sa-key", re.I)
_AWS_NAME = re.compile(r"aws|s3|ecr|iam", re.I)

_SKIP_SECRET_TYPES = frozenset(
    {
        "kubernetes.io/service-account-token",
        "kubernetes.io/tls",
        "kubernetes.io/dockerconfigjson",
        "kubernetes.io/dockercfg",
        "kubernetes.io/basic-auth",
        "kubernetes.io/ssh-auth",
        "bootstrap.kubernetes.io/token",
        "helm.sh/release.v1",
    }
)


def _secret_cloud_keys(secret: k.Secret) -> list[tuple[str, str]]:
    """The Secret's key names that look like cloud credentials, with what they are."""
    if secret.type in _SKIP_SECRET_TYPES:
        return []
    out: list[tuple[str, str]] = []
    name = secret.metadata.name
    for key in secret.keys:
        low = key.lower()
        what = _SECRET_KEYS.get(low) or _CLOUD_ENV.get(key.upper())
        if what is None and low == "key.json" and _GCP_NAME.search(name):
            what = "Google service account key file"
        if what is None and low == "credentials" and _AWS_NAME.search(name):
            what = "AWS shared credentials file"
        if what is not None:
            out.append((key, what))
    return out


def _secret_ref(ns: str | None, name: str) -> ObjectRef:
    return ObjectRef("Secret", ns, name)


def _static_uses(
    cluster: ClusterState, w: Workload, secrets: dict[tuple[str, str], k.Secret]
) -> tuple[list[Evidence], set[str], bool]:
    """Evidence of static credentials in one workload's pod spec, the Secrets involved, and
    whether any is a literal value in the spec."""
    ns = w.namespace
    evidence: list[Evidence] = []
    used: set[str] = set()
    literal = False
    ref = str(w.ref)
    secret_volumes = {v.name: v.secret.secret_name for v in w.spec.volumes if v.secret is not None and v.secret.secret_name}
    for c in (*w.spec.init_containers, *w.spec.containers):
        for env in c.env:
            what = _CLOUD_ENV.get(env.name)
            src = env.value_from.secret_key_ref if env.value_from is not None else None
            cm = env.value_from.config_map_key_ref if env.value_from is not None else None
            if what and cm is not None and cm.name:
                literal = True
                evidence.append(Evidence(
                    "kubernetes", ref,
                    f"container {c.name}: env {env.name} ({what}) from ConfigMap {ns}/{cm.name} key {cm.key} "
                    "(ConfigMaps are not secret)",
                ))
            elif src is not None and src.name:
                key_what = _SECRET_KEYS.get((src.key or "").lower())
                if what or key_what:
                    used.add(src.name)
                    evidence.append(Evidence(
                        "kubernetes", ref,
                        f"container {c.name}: env {env.name} ({what or key_what}) from Secret {ns}/{src.name} key {src.key}",
                    ))
            elif what and env.value:
                literal = True
                evidence.append(Evidence(
                    "kubernetes", ref,
                    f"container {c.name}: env {env.name} ({what}) is a literal value in the pod spec (value not shown)",
                ))
            elif env.name == "GOOGLE_APPLICATION_CREDENTIALS" and env.value:
                for m in c.volume_mounts:
                    path = m.mount_path.rstrip("/")
                    secret_name = secret_volumes.get(m.name)
                    if secret_name and path and env.value.startswith(path + "/"):
                        used.add(secret_name)
                        evidence.append(Evidence(
                            "kubernetes", ref,
                            f"container {c.name}: GOOGLE_APPLICATION_CREDENTIALS={env.value} is a key file "
                            f"from Secret {ns}/{secret_name} (volume {m.name})",
                        ))
                        break
        for ef in c.env_from:
            if ef.secret_ref is None or not ef.secret_ref.name:
                continue
            secret = secrets.get((ns, ef.secret_ref.name))
            if secret is None:
                continue
            prefix = ef.prefix or ""
            hits = [
                f"{prefix}{key}"
                for key in secret.keys
                if f"{prefix}{key}" in _CLOUD_ENV or key.lower() in _SECRET_KEYS
            ]
            if hits:
                used.add(ef.secret_ref.name)
                evidence.append(Evidence(
                    "kubernetes", ref,
                    f"container {c.name}: envFrom Secret {ns}/{ef.secret_ref.name} provides {', '.join(sorted(hits))}",
                ))
    return evidence, used, literal


@rule(
    "identity.static-cloud-credentials",
    severity=Severity.MEDIUM,
    title="Long-lived cloud keys in pods and Secrets",
    rationale=(
        "Static access keys, client secrets and service-account key files never expire, are "
        "readable by anyone who can read the Secret (or the pod spec, for literal values), and "
        "cannot be scoped to one ServiceAccount; workload identity issues short-lived tokens instead."
    ),
    remediation=(
        "Remove the key and bind the ServiceAccount to a cloud identity: EKS Pod Identity or IRSA "
        "(`eks.amazonaws.com/role-arn`), Azure Workload Identity (`azure.workload.identity/client-id` "
        "+ pod label `azure.workload.identity/use: \"true\"`), GKE Workload Identity "
        "(`iam.gke.io/gcp-service-account`); then delete and rotate the key in the cloud."
    ),
    docs="https://docs.aws.amazon.com/eks/latest/userguide/pod-identities.html",
    needs=("Pod",),
)
def static_cloud_credentials(ctx: RuleContext) -> Iterator[Finding]:
    """Workloads that take cloud keys from env (literal or Secret) or key files, and Secrets
    whose key names are cloud credentials (key names only; values are never read)."""
    cluster = ctx.cluster
    secrets = {(s.metadata.namespace or "", s.metadata.name): s for s in cluster.secrets}
    covered: set[tuple[str, str]] = set()
    users: dict[tuple[str, str], set[ObjectRef]] = defaultdict(set)
    for w in workloads(cluster):
        for v in w.spec.volumes:
            if v.secret is not None and v.secret.secret_name:
                users[(w.namespace, v.secret.secret_name)].add(w.ref)
        evidence, used, literal = _static_uses(cluster, w, secrets)
        if not evidence:
            continue
        covered.update((w.namespace, s) for s in used)
        where = "in plain text (pod spec literals or ConfigMaps)" if literal else "from Secrets"
        yield ctx.finding(
            w.ref,
            f"{w.ref} authenticates to the cloud with long-lived keys {where} "
            f"({len(evidence)} reference(s)) instead of workload identity",
            evidence=evidence,
            related=[_secret_ref(w.ref.namespace, s) for s in sorted(used)],
            severity=Severity.HIGH if literal else None,
        )
    for (ns, name), secret in sorted(secrets.items()):
        if (ns, name) in covered:
            continue
        keys = _secret_cloud_keys(secret)
        if not keys:
            continue
        ref = _secret_ref(secret.metadata.namespace, name)
        mounted_by = sorted(users.get((ns, name), set()))
        evidence = [Evidence("kubernetes", str(ref), f"key {key!r}: {what} (key name only; value not read)") for key, what in keys]
        if mounted_by:
            evidence.append(Evidence("kubernetes", str(ref), f"mounted by {', '.join(str(r) for r in mounted_by[:5])}"))
        yield ctx.finding(
            ref,
            f"{ref} holds {', '.join(sorted({w for _, w in keys}))} "
            f"(keys {', '.join(key for key, _ in keys)})",
            evidence=evidence,
            related=mounted_by[:_MAX_RELATED],
        )


# =========================================================================== workload identity


_AZURE_USE_LABEL = "azure.workload.identity/use"
_AZURE_CLIENT_ID = "azure.workload.identity/client-id"
_AUTH_ERRORS = re.compile(
    r"AccessDenied|WebIdentityErr|InvalidIdentityToken|AADSTS\d+|ManagedIdentityCredential|"
    r"iam\.serviceAccounts\.getAccessToken|PERMISSION_DENIED|Unauthenticated|NoCredentialProviders|"
    r"could not find default credentials",
    re.I,
)


def _pools_without_workload_identity(
    ctx: RuleContext, relying: dict[tuple[str, str], str], by_sa: dict[tuple[str, str], list[k.Pod]]
) -> Iterator[Finding]:
    assert ctx.facts is not None
    off = {p.name: p for p in ctx.facts.node_pools if p.workload_identity is False}
    if not off:
        return
    cluster = ctx.cluster
    per_pool: dict[str, dict[tuple[str, str], list[k.Pod]]] = defaultdict(lambda: defaultdict(list))
    for key, mech in relying.items():
        if mech != "gke-workload-identity":
            continue
        for pod in by_sa.get(key, []):
            node = cluster.nodes_by_name.get(pod.spec.node_name or "")
            label = node_pool_of(node.metadata.labels) if node is not None else None
            if label is not None and label in off:
                per_pool[label][key].append(pod)
    for pool_name, sas in sorted(per_pool.items()):
        pool = off[pool_name]
        pods = sum(len(v) for v in sas.values())
        names = ", ".join(f"{ns}/{sa}" for ns, sa in sorted(sas)[:5]) + (" ..." if len(sas) > 5 else "")
        evidence = [Evidence(pool.provenance.provider, pool.provenance.ref(),
                             "config.workloadMetadataConfig.mode is not GKE_METADATA: pods reach the "
                             "Compute Engine metadata server and get the node's service account"
                             + (f" {pool.node_identity}" if pool.node_identity else ""))]
        for (ns, sa), sa_pods in sorted(sas.items())[:10]:
            evidence.append(Evidence("kubernetes", f"ServiceAccount/{ns}/{sa}",
                                     f"{len(sa_pods)} pod(s) on the pool: {', '.join(p.metadata.name for p in sa_pods[:3])}"))
        yield ctx.finding(
            ObjectRef("NodePool", None, pool_name),
            f"Node pool {pool_name} does not run the GKE metadata server: {pods} pod(s) of ServiceAccount(s) "
            f"{names} rely on Workload Identity but get the node's service account there",
            evidence=evidence,
            related=[ObjectRef("ServiceAccount", ns, sa) for ns, sa in sorted(sas)[:_MAX_RELATED]],
        )


def _pods_by_sa(cluster: ClusterState) -> dict[tuple[str, str], list[k.Pod]]:
    out: dict[tuple[str, str], list[k.Pod]] = defaultdict(list)
    for p in cluster.pods:
        if p.status.phase in ("Succeeded", "Failed"):
            continue
        out[(p.metadata.namespace or "", cluster.service_account_of(p))].append(p)
    return out


def _annotated(cluster: ClusterState) -> dict[tuple[str, str], tuple[str, str]]:
    """(ns, sa) → (mechanism, identity) for ServiceAccounts naming a cloud identity."""
    out: dict[tuple[str, str], tuple[str, str]] = {}
    for sa in cluster.service_accounts:
        for key, mechanism in IDENTITY_ANNOTATIONS.items():
            value = sa.metadata.annotations.get(key, "").strip()
            if value:
                out[(sa.metadata.namespace or "", sa.metadata.name)] = (mechanism, value)
    return out


def _pod_errors(cluster: ClusterState, pods: list[k.Pod]) -> list[Evidence]:
    """Signs that pods fail: CrashLoopBackOff / error exits, and cloud auth errors in events."""
    out: list[Evidence] = []
    for p in pods:
        ref = str(pod_ref(p))
        for cs in p.status.container_statuses:
            w = cs.state.waiting
            if w is not None and w.reason in ("CrashLoopBackOff", "CreateContainerConfigError", "Error"):
                out.append(Evidence("kubernetes", ref, f"container {cs.name} {w.reason} (restarts {cs.restart_count})"))
        events = cluster.events_for("Pod", p.metadata.namespace, p.metadata.name)
        out.extend(event_evidence([e for e in events if _AUTH_ERRORS.search(e.message or "")], limit=1))
        if len(out) >= 5:
            break
    return out[:5]


def judge_identity_binding(b: IdentityBinding) -> Verdict:
    """Does this binding let ServiceAccount ``b.namespace/b.service_account`` get its cloud
    identity? The verdict of ``identity.identity-not-found`` (the identity does not exist) or
    ``identity.trust-mismatch`` (its trust does not admit the ServiceAccount), with the words
    and evidence the report uses, less what only the cluster knows (its pods).

    >>> from r2c_clouds.model.cloud import Provenance
    >>> b = IdentityBinding("shop", "api", "arn:aws:iam::123456789012:role/api", "irsa",
    ...                     Provenance("aws", "iam:GetRole", "arn:aws:iam::123456789012:role/api"),
    ...                     trusted=False, problems=("subject system:serviceaccount:shop:api not matched",))
    >>> v = judge_identity_binding(b)
    >>> v.ok, v.rule
    (False, 'identity.trust-mismatch')
    >>> v.message
    'ServiceAccount/shop/api cannot assume arn:aws:iam::123456789012:role/api (irsa): subject system:serviceaccount:shop:api not matched'
    """
    ref = ObjectRef("ServiceAccount", b.namespace, b.service_account)
    src = b.provenance.provider
    evidence = [Evidence(src, b.provenance.ref(), p) for p in b.problems]
    if not b.exists:
        if not b.problems:
            evidence.append(Evidence(src, b.provenance.ref(), f"{b.identity} not found"))
        return Verdict("identity.identity-not-found", False,
                       f"{ref} names {_identity_kind(b)} {b.identity} ({b.mechanism}), which does not exist",
                       tuple(evidence))
    if b.trust_subjects and not b.trusted:
        evidence.append(Evidence(src, b.provenance.ref(), f"trust admits: {', '.join(b.trust_subjects)}"))
    if not b.trusted:
        problems = "; ".join(b.problems) or "its trust does not admit this ServiceAccount"
        return Verdict("identity.trust-mismatch", False, f"{ref} cannot assume {b.identity} ({b.mechanism}): {problems}",
                       tuple(evidence))
    return Verdict("identity.trust-mismatch", True,
                   f"{ref} can assume {b.identity} ({b.mechanism}): it exists and its trust admits the ServiceAccount",
                   tuple(evidence))


def _binding_findings(ctx: RuleContext, *, missing: bool) -> Iterator[Finding]:
    cluster = ctx.cluster
    facts = ctx.facts
    assert facts is not None  # needs_cloud guarantees it
    by_sa = _pods_by_sa(cluster)
    annotated = _annotated(cluster)
    for b in sorted(facts.identity_bindings, key=lambda b: (b.namespace, b.service_account, b.identity)):
        if missing == b.exists:
            continue
        if not missing and b.trusted:
            continue
        key = (b.namespace, b.service_account)
        pods = by_sa.get(key, [])
        if not pods and key not in annotated:
            continue
        ref = ObjectRef("ServiceAccount", b.namespace, b.service_account)
        verdict = judge_identity_binding(b)
        evidence = list(verdict.evidence)
        if key in annotated:
            mech, value = annotated[key]
            evidence.append(Evidence("kubernetes", str(ref), f"annotated for {mech}: {value}"))
        errors = _pod_errors(cluster, pods)
        evidence.extend(errors)
        use = f"{len(pods)} pod(s) use it" if pods else "no running pod uses it yet"
        if missing:
            message = f"{verdict.message}: {use}{' and get no cloud credentials' if pods else ''}"
        else:
            message = f"{verdict.message}. {use}"
        if errors:
            message += f"; {len(errors)} sign(s) of failure in those pods"
        yield ctx.finding(
            ref,
            message,
            evidence=evidence,
            related=[pod_ref(p) for p in pods[:_MAX_RELATED]],
            severity=None if pods else Severity.MEDIUM,
        )


def _identity_kind(b: IdentityBinding) -> str:
    return {
        "irsa": "IAM role",
        "eks-pod-identity": "IAM role",
        "azure-workload-identity": "managed identity / app registration",
        "gke-workload-identity": "Google service account",
    }.get(b.mechanism, "cloud identity")


@rule(
    "identity.identity-not-found",
    severity=Severity.HIGH,
    title="ServiceAccounts bound to a cloud identity that does not exist",
    rationale=(
        "The token exchange fails for every pod of the ServiceAccount: SDK calls get "
        "AccessDenied / AADSTS700016 / 403 and the app crashes or degrades silently."
    ),
    remediation=(
        "Create the identity or fix the ServiceAccount annotation (`eks.amazonaws.com/role-arn`, "
        "`azure.workload.identity/client-id`, `iam.gke.io/gcp-service-account`) or the EKS Pod "
        "Identity association to name one that exists, then restart the pods."
    ),
    docs="https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html",
    needs=("ServiceAccount", "Pod"),
    needs_cloud=("identity_bindings",),
)
def identity_not_found(ctx: RuleContext) -> Iterator[Finding]:
    """Used or annotated ServiceAccounts whose cloud identity does not exist (high when pods use them)."""
    yield from _binding_findings(ctx, missing=True)


@rule(
    "identity.trust-mismatch",
    severity=Severity.HIGH,
    title="Cloud identity that does not trust the ServiceAccount naming it",
    rationale=(
        "The identity exists but its trust policy / federated credential / IAM binding admits "
        "another subject, issuer or audience, so the token exchange is refused for every pod."
    ),
    remediation=(
        "Make the trust admit `system:serviceaccount:NAMESPACE:NAME` from the cluster's OIDC issuer: "
        "the IAM role trust policy `sub`/`aud` conditions, the Entra federated identity credential "
        "(`az identity federated-credential create --subject ...`), or the GKE "
        "`roles/iam.workloadIdentityUser` binding on `PROJECT.svc.id.goog[NS/KSA]`."
    ),
    docs="https://learn.microsoft.com/azure/aks/workload-identity-deploy-cluster",
    needs=("ServiceAccount", "Pod"),
    needs_cloud=("identity_bindings",),
)
def trust_mismatch(ctx: RuleContext) -> Iterator[Finding]:
    """Used or annotated ServiceAccounts whose identity exists but does not trust them."""
    yield from _binding_findings(ctx, missing=False)


_MECHANISM_CLOUD = {
    "irsa": "aws",
    "eks-pod-identity": "aws",
    "azure-workload-identity": "azure",
    "gke-workload-identity": "gcp",
}


def _wi_broken(ci: ClusterIdentity, mechanism: str) -> str | None:
    """Why workload identity cannot work for ``mechanism`` on this cluster, or None.

    An annotation meant for another cloud (a Helm chart's IRSA annotation on AKS) is not
    judged by this cluster's settings.
    """
    cloud = ci.provenance.provider
    if cloud in ("aws", "azure", "gcp") and _MECHANISM_CLOUD.get(mechanism, cloud) != cloud:
        return None
    if mechanism == "irsa":
        if ci.oidc_provider_registered is False:
            return f"no IAM OIDC provider is registered for the cluster's issuer {ci.oidc_issuer or '(unknown)'}"
        return None
    if ci.workload_identity_enabled is not False:
        return None
    if mechanism == "azure-workload-identity":
        return "securityProfile.workloadIdentity.enabled is false (and the OIDC issuer may be off)"
    if mechanism == "gke-workload-identity":
        return "workloadIdentityConfig.workloadPool is not set"
    return "workload identity is disabled"


def _has_env(pod_spec: k.PodSpec, name: str) -> bool:
    return any(e.name == name for c in pod_spec.containers for e in c.env)


@rule(
    "identity.workload-identity-not-enabled",
    severity=Severity.HIGH,
    title="ServiceAccounts rely on workload identity the cluster does not have",
    rationale=(
        "Annotating a ServiceAccount does nothing unless the cluster issues OIDC tokens the cloud "
        "trusts (AKS workload identity, GKE workload pool, an IAM OIDC provider for EKS): pods "
        "fall back to the node's identity or get no credentials at all."
    ),
    remediation=(
        "Enable it: `az aks update --enable-oidc-issuer --enable-workload-identity`; "
        "`gcloud container clusters update C --workload-pool=PROJECT.svc.id.goog`; "
        "`eksctl utils associate-iam-oidc-provider --cluster C --approve` (or use EKS Pod Identity). "
        "On AKS also label pods `azure.workload.identity/use: \"true\"` and annotate their ServiceAccount."
    ),
    docs="https://learn.microsoft.com/azure/aks/workload-identity-overview",
    needs=("ServiceAccount", "Pod"),
    needs_cloud=("cluster_identity",),
)
def workload_identity_not_enabled(ctx: RuleContext) -> Iterator[Finding]:
    """Annotated/labelled workloads while the cluster's workload identity is off, and (from
    Kubernetes alone) Azure Workload Identity pods whose label or ServiceAccount annotation is missing."""
    cluster = ctx.cluster
    facts = ctx.facts
    by_sa = _pods_by_sa(cluster)
    annotated = _annotated(cluster)
    relying: dict[tuple[str, str], str] = {key: mech for key, (mech, _) in annotated.items()}
    for p in cluster.pods:
        if p.metadata.labels.get(_AZURE_USE_LABEL) == "true":
            relying.setdefault((p.metadata.namespace or "", cluster.service_account_of(p)), "azure-workload-identity")

    ci = facts.cluster_identity if facts is not None else None
    if ci is not None:
        broken: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for key, mech in sorted(relying.items()):
            why = _wi_broken(ci, mech)
            if why is not None:
                broken[why].append(key)
        if broken:
            sas = sorted({key for keys in broken.values() for key in keys})
            used = [key for key in sas if by_sa.get(key)]
            evidence = [Evidence(ci.provenance.provider, ci.provenance.ref(), why) for why in sorted(broken)]
            for ns, sa in sas[:10]:
                mech, value = annotated.get((ns, sa), ("azure-workload-identity", "pod label azure.workload.identity/use"))
                evidence.append(Evidence("kubernetes", f"ServiceAccount/{ns}/{sa}",
                                         f"{mech}: {value}; {len(by_sa.get((ns, sa), []))} pod(s)"))
            cluster_ref = ObjectRef("Cluster", None, cluster.name or "cluster")
            yield ctx.finding(
                cluster_ref,
                f"{len(sas)} ServiceAccount(s) rely on workload identity but {'; '.join(sorted(broken))}: "
                f"{sum(len(by_sa.get(key, [])) for key in sas)} pod(s) get no cloud credentials from it",
                evidence=evidence,
                related=[ObjectRef("ServiceAccount", ns or None, sa) for ns, sa in sas[:_MAX_RELATED]],
                severity=None if used else Severity.MEDIUM,
            )

    # Per node pool (GKE): a pool without the GKE metadata server hands its pods the node's
    # service account, whatever the cluster's workload pool says.
    if facts is not None:
        yield from _pools_without_workload_identity(ctx, relying, by_sa)

    # Kubernetes-only: the Azure webhook needs both the pod label and the SA client-id annotation.
    for w in workloads(cluster):
        sa_name = w.spec.service_account_name or w.spec.service_account or "default"
        sa_key = (w.namespace, sa_name)
        sa_obj = cluster.service_accounts_by_key.get(sa_key)
        labelled = w.labels.get(_AZURE_USE_LABEL) == "true"
        sa_ann = sa_obj is not None and bool(sa_obj.metadata.annotations.get(_AZURE_CLIENT_ID, "").strip())
        sa_ref = ObjectRef("ServiceAccount", w.ref.namespace, sa_name)
        if labelled and sa_obj is not None and not sa_ann and not _has_env(w.spec, "AZURE_CLIENT_ID"):
            yield ctx.finding(
                w.ref,
                f"{w.ref} is labelled {_AZURE_USE_LABEL}=true but {sa_ref} has no {_AZURE_CLIENT_ID} "
                "annotation: the webhook injects no AZURE_CLIENT_ID and token requests fail",
                evidence=[Evidence("kubernetes", str(sa_ref), f"annotations: {sorted(sa_obj.metadata.annotations) or 'none'}")],
                related=[sa_ref],
                key="missing-client-id",
            )
        elif sa_ann and not labelled and w.pods and not _has_env(w.spec, "AZURE_FEDERATED_TOKEN_FILE"):
            yield ctx.finding(
                w.ref,
                f"{w.ref} runs as {sa_ref}, annotated for Azure Workload Identity, but its pods lack the "
                f"label {_AZURE_USE_LABEL}: \"true\", so the webhook injects no token",
                evidence=[Evidence("kubernetes", str(w.ref), f"pod template labels: {sorted(w.labels) or 'none'}")],
                related=[sa_ref],
                key="missing-use-label",
            )


# =========================================================================== RBAC


#: Non-system users that managed control planes bind to cluster-admin themselves.
_PLATFORM_USERS = frozenset({"clusterAdmin", "aks-support", "masterclient", "kubernetes-admin"})
#: kube-system ServiceAccounts of add-ons that legitimately hold cluster-admin.
_ADDON_SAS = frozenset({
    "clusterrole-aggregation-controller", "generic-garbage-collector", "namespace-controller",
    "cloud-controller-manager", "eks-vpc-resource-controller", "aws-node", "konnectivity-agent",
    "addon-manager", "kube-addon-manager", "aks-operator",
})


def _is_system_subject(s: k.Subject) -> bool:
    if s.kind in ("User", "Group"):
        return s.name.startswith(("system:", "eks:")) or s.name in _PLATFORM_USERS
    if s.kind == "ServiceAccount":
        return s.namespace == "kube-system" and s.name in _ADDON_SAS
    return False


def _subject_text(s: k.Subject) -> str:
    if s.kind == "ServiceAccount":
        return f"ServiceAccount {s.namespace}/{s.name}"
    return f"{s.kind} {s.name}"


@rule(
    "identity.cluster-admin-sprawl",
    severity=Severity.MEDIUM,
    title="cluster-admin granted to non-system subjects",
    rationale=(
        "cluster-admin can read every Secret and change every object: each extra subject (a CI "
        "ServiceAccount, a departed engineer, an operator) is a path to full compromise."
    ),
    remediation=(
        "Replace the ClusterRoleBinding with namespaced RoleBindings to `admin`/`edit` or a scoped "
        "ClusterRole; on EKS prefer access entries with scoped policies, on AKS/GKE Entra ID / IAM "
        "groups with Kubernetes RBAC."
    ),
    docs="https://kubernetes.io/docs/concepts/security/rbac-good-practices/#least-privilege",
    needs=("ClusterRoleBinding",),
)
def cluster_admin_sprawl(ctx: RuleContext) -> Iterator[Finding]:
    """One finding per ClusterRoleBinding to ``cluster-admin`` with non-system subjects; high
    when more than three distinct non-system subjects hold it across the cluster."""
    flagged: list[tuple[k.ClusterRoleBinding, list[k.Subject]]] = []
    for crb in ctx.cluster.cluster_role_bindings:
        if crb.role_ref.kind != "ClusterRole" or crb.role_ref.name != "cluster-admin":
            continue
        subjects = [s for s in crb.subjects if not _is_system_subject(s)]
        if subjects:
            flagged.append((crb, subjects))
    distinct = {(s.kind, s.namespace or "", s.name) for _, subs in flagged for s in subs}
    sprawl = len(distinct) > 3
    for crb, subjects in sorted(flagged, key=lambda cs: cs[0].metadata.name):
        ref = ObjectRef("ClusterRoleBinding", None, crb.metadata.name)
        message = f"{ref} grants cluster-admin to {', '.join(_subject_text(s) for s in subjects)}"
        if sprawl:
            message += f" ({len(distinct)} distinct non-system subjects hold cluster-admin)"
        yield ctx.finding(
            ref,
            message,
            evidence=[Evidence("kubernetes", str(ref), f"roleRef ClusterRole/cluster-admin → {_subject_text(s)}") for s in subjects],
            severity=Severity.HIGH if sprawl else None,
        )


# =========================================================================== registry pulls


_PULL_WAITING = frozenset({"ImagePullBackOff", "ErrImagePull"})


def _has_pull_secrets(cluster: ClusterState, pod: k.Pod) -> bool:
    if pod.spec.image_pull_secrets:
        return True
    sa = cluster.service_accounts_by_key.get((pod.metadata.namespace or "", cluster.service_account_of(pod)))
    return sa is not None and bool(sa.image_pull_secrets)


def judge_registry_access(ra: RegistryAccess) -> Verdict:
    """May this node identity pull from this registry? The verdict of ``identity.image-pull-auth``
    on one fact (the report adds the pods that pull from it).

    >>> from r2c_clouds.model.cloud import Provenance
    >>> ra = RegistryAccess("acme.azurecr.io", "kubelet-identity", False, Provenance("azure", "roleAssignments"),
    ...                     missing=("AcrPull",))
    >>> judge_registry_access(ra).message
    'kubelet-identity cannot pull from acme.azurecr.io: missing AcrPull'
    """
    pool = f" (node pool {ra.node_pool})" if ra.node_pool else ""
    if ra.can_pull:
        return Verdict("identity.image-pull-auth", True, f"{ra.principal}{pool} can pull from {ra.registry}")
    missing = ", ".join(ra.missing) or "pull permission"
    return Verdict(
        "identity.image-pull-auth", False, f"{ra.principal}{pool} cannot pull from {ra.registry}: missing {missing}",
        (Evidence(ra.provenance.provider, ra.provenance.ref(), f"{ra.principal} cannot pull from {ra.registry}: missing {missing}"),),
    )


@rule(
    "identity.image-pull-auth",
    severity=Severity.HIGH,
    title="Node identity cannot pull from a registry its pods use",
    rationale=(
        "The kubelet pulls images with the node's identity (EC2 instance role, AKS kubelet identity, "
        "GKE node service account). Without pull rights every new pod, reschedule or node "
        "replacement fails with ImagePullBackOff; running pods survive only on cached images."
    ),
    remediation=(
        "Grant the node identity pull rights: attach `AmazonEC2ContainerRegistryPullOnly` (or "
        "`ecr:BatchGetImage`, `ecr:GetDownloadUrlForLayer`, `ecr:GetAuthorizationToken`) to the node "
        "role; `az aks update --attach-acr REGISTRY` (AcrPull); `roles/artifactregistry.reader` for "
        "the node service account."
    ),
    docs="https://docs.aws.amazon.com/AmazonECR/latest/userguide/ECR_on_EKS.html",
    needs=("Pod", "Node"),
    needs_cloud=("registry_access",),
    runtime=True,
)
def image_pull_auth(ctx: RuleContext) -> Iterator[Finding]:
    """Registries the node identity of a pool cannot pull from, where that pool's pods pull from them."""
    cluster = ctx.cluster
    facts = ctx.facts
    assert facts is not None  # needs_cloud guarantees it
    # (pool, registry) -> pods on that pool pulling from it; one pass over pods.
    pulls: dict[tuple[str, str], list[k.Pod]] = defaultdict(list)
    for p in cluster.pods:
        node = cluster.nodes_by_name.get(p.spec.node_name or "")
        if node is None or _has_pull_secrets(cluster, p):
            continue  # imagePullSecrets, not the node identity, authenticate these pulls
        pool = node_pool_of(node.metadata.labels) or node.metadata.name
        for reg in {image_registry(c.image) for c in (*p.spec.init_containers, *p.spec.containers) if c.image}:
            pulls[(pool, reg)].append(p)
    pools_by_registry: dict[str, set[str]] = defaultdict(set)
    for pool, reg in pulls:
        pools_by_registry[reg].add(pool)
    for ra in facts.registry_access:
        if ra.can_pull:
            continue
        pools = [ra.node_pool] if ra.node_pool else sorted(pools_by_registry.get(ra.registry, ()))
        for pool in pools:
            pods = pulls.get((pool, ra.registry), [])
            if not pods:
                continue
            failing = [
                p for p in pods
                if any(cs.state.waiting is not None and cs.state.waiting.reason in _PULL_WAITING
                       for cs in (*p.status.init_container_statuses, *p.status.container_statuses))
            ]
            ref = ObjectRef("NodePool", None, pool)
            missing = ", ".join(ra.missing) or "pull permission"
            evidence = list(judge_registry_access(ra).evidence)
            evidence.extend(
                Evidence("kubernetes", str(pod_ref(p)), f"on node {p.spec.node_name}: image pull failing") for p in failing[:5]
            )
            message = (
                f"Node pool {pool}'s identity {ra.principal} cannot pull from {ra.registry} (missing {missing}); "
                f"{len(pods)} pod(s) on the pool use images from it"
            )
            message += (
                f", {len(failing)} already in ImagePullBackOff/ErrImagePull" if failing
                else "; they run from cached images and the next reschedule or new node will fail to pull"
            )
            yield ctx.finding(
                ref,
                message,
                evidence=evidence,
                related=[ObjectRef("Registry", None, ra.registry)],
                key=ra.registry,
                severity=None if failing else Severity.MEDIUM,
            )
