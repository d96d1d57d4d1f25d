"""GCP identity loop: Workload Identity for GKE and the node service accounts' pull rights.

* The cluster: ``workloadIdentityConfig.workloadPool`` (``PROJECT.svc.id.goog``).
* Each Google service account named by ``iam.gke.io/gcp-service-account``: one
  ``getIamPolicy`` on ``projects/-/serviceAccounts/EMAIL`` (the GSA may live in any project;
  NOT_FOUND means it does not exist). ``roles/iam.workloadIdentityUser`` must be granted to
  ``serviceAccount:POOL[NS/KSA]``, or to the direct principal
  ``principal://iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/subject/ns/NS/sa/KSA``
  or ``principalSet://.../namespace/NS``.
* Node pools' service accounts (``default`` is ``NUMBER-compute@developer.gserviceaccount.com``)
  against the Artifact Registry repositories the pods' images come from (``*-docker.pkg.dev``,
  and ``gcr.io`` served by Artifact Registry): a role holding
  ``artifactregistry.repositories.downloadArtifacts`` on the repository or its project.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from r2c_clouds.loops import IdentityAnswer, IdentityQuestions, WorkloadIdentityRef
from r2c_clouds.model.cloud import (
    ClusterIdentity,
    IdentityBinding,
    NotChecked,
    Provenance,
    RegistryAccess,
)
from r2c_clouds.providers.kit import CallFailed, attempt

if TYPE_CHECKING:
    from r2c_clouds.providers.gcp import GcpProvider

__all__ = ["PULL_PERMISSION", "PULL_ROLES", "answer", "repository_of"]

MECHANISM = "gke-workload-identity"
WI_ROLE = "roles/iam.workloadIdentityUser"
#: The permission an image pull needs.
PULL_PERMISSION = "artifactregistry.repositories.downloadArtifacts"
#: Predefined roles known to hold it (others are looked up with iam.roles.get).
PULL_ROLES = frozenset({
    "roles/artifactregistry.reader", "roles/artifactregistry.writer", "roles/artifactregistry.repoAdmin",
    "roles/artifactregistry.admin", "roles/editor", "roles/owner",
})
#: Members that cover every caller (a public repository).
_PUBLIC = frozenset({"allUsers", "allAuthenticatedUsers"})
#: gcr.io hosts → the Artifact Registry location of their ``gcr.io`` repositories.
_GCR = {"gcr.io": "us", "us.gcr.io": "us", "eu.gcr.io": "europe", "asia.gcr.io": "asia"}


def answer(provider: GcpProvider, questions: IdentityQuestions) -> IdentityAnswer:
    """The cluster's workload pool, the GSA bindings and the node pools' pull rights."""
    not_checked: list[NotChecked] = []
    cluster = attempt("cluster_identity", not_checked, provider.cluster)
    ci = None
    pool = f"{provider.project}.svc.id.goog"
    if cluster is not None:
        configured = cluster.workload_identity_config.workload_pool or ""
        ci = ClusterIdentity(
            provenance=Provenance("gcp", "container.clusters.get", provider.cluster_path),
            oidc_issuer=f"https://container.googleapis.com/v1/{provider.cluster_path}",
            workload_identity_enabled=bool(configured),
            workload_pool=configured or None,
        )
        pool = configured or pool
    refs = [r for r in questions.service_accounts if r.mechanism == MECHANISM]
    bindings = _bindings(provider, refs, pool, not_checked)
    access = _registry_access(provider, cluster, questions, not_checked) if cluster is not None else ()
    return IdentityAnswer(
        cluster_identity=ci, bindings=bindings, registry_access=access, not_checked=tuple(not_checked)
    )


# --------------------------------------------------------------------------- workload identity


def _policy(provider: GcpProvider, email: str) -> Any:
    """The GSA's IAM policy (``None`` when the GSA does not exist)."""
    from google.api_core.exceptions import NotFound

    def get() -> Any:
        try:
            return provider.clients.call(
                "iam.serviceAccounts.getIamPolicy", provider.clients.iam().get_iam_policy,
                request={"resource": f"projects/-/serviceAccounts/{email}", "options": {"requested_policy_version": 3}},
            )
        except NotFound:
            return None

    return provider.workers.once(("gsa-policy", email), get)


def _bindings(
    provider: GcpProvider, refs: list[WorkloadIdentityRef], pool: str, not_checked: list[NotChecked]
) -> tuple[IdentityBinding, ...]:
    emails = sorted({r.identity for r in refs})
    policies: dict[str, Any] = {}
    failed: CallFailed | None = None

    def fetch(email: str) -> tuple[str, Any, CallFailed | None]:
        try:
            return email, _policy(provider, email), None
        except CallFailed as exc:
            return email, None, exc

    for email, policy, exc in provider.workers.map(fetch, emails):
        if exc is not None:
            failed = failed or exc
            continue
        policies[email] = policy
    if failed is not None:
        not_checked.append(failed.not_checked("identity_bindings"))
    number: str | None = None
    out = []
    for ref in refs:
        if ref.identity not in policies:
            continue
        prov = Provenance("gcp", "iam.serviceAccounts.getIamPolicy", f"projects/-/serviceAccounts/{ref.identity}")
        policy = policies[ref.identity]
        if policy is None:
            out.append(IdentityBinding(
                ref.namespace, ref.service_account, ref.identity, MECHANISM, prov, exists=False, trusted=False,
                problems=(f"Google service account {ref.identity} not found",),
            ))
            continue
        members = [m for b in policy.bindings if b.role == WI_ROLE for m in b.members]
        if number is None and any(m.startswith(("principal://", "principalSet://")) for m in members):
            number = provider.project_number(pool.split(".", 1)[0])
        wanted = _wanted_members(pool, number, ref.namespace, ref.service_account)
        trusted = any(m in wanted for m in members)
        problems: tuple[str, ...] = ()
        if not trusted:
            admits = f" (it admits {', '.join(members)})" if members else " (no member has it)"
            problems = (f"{WI_ROLE} on {ref.identity} is not granted to {wanted[0]}{admits}",)
        out.append(IdentityBinding(
            ref.namespace, ref.service_account, ref.identity, MECHANISM, prov, exists=True, trusted=trusted,
            problems=problems, trust_subjects=tuple(members),
        ))
    return tuple(out)


def _wanted_members(pool: str, number: str | None, namespace: str, ksa: str) -> list[str]:
    """The members that let ``namespace/ksa`` impersonate a GSA (the legacy form first)."""
    wanted = [f"serviceAccount:{pool}[{namespace}/{ksa}]"]
    if number:
        base = f"iam.googleapis.com/projects/{number}/locations/global/workloadIdentityPools/{pool}"
        wanted.append(f"principal://{base}/subject/ns/{namespace}/sa/{ksa}")
        wanted.append(f"principalSet://{base}/namespace/{namespace}")
    return wanted


# --------------------------------------------------------------------------- image pulls


def repository_of(image: str) -> tuple[str, str] | None:
    """``(registry host, Artifact Registry repository)`` of an image name, for the Google
    registries; ``None`` for any other registry.

    >>> repository_of("us-central1-docker.pkg.dev/acme/apps/api")
    ('us-central1-docker.pkg.dev', 'projects/acme/locations/us-central1/repositories/apps')
    >>> repository_of("eu.gcr.io/acme/api")
    ('eu.gcr.io', 'projects/acme/locations/europe/repositories/eu.gcr.io')
    """
    parts = image.split("/")
    if len(parts) < 3:
        return None
    host = parts[0]
    if host.endswith("-docker.pkg.dev") and len(parts) >= 4:
        location = host[: -len("-docker.pkg.dev")]
        return host, f"projects/{parts[1]}/locations/{location}/repositories/{parts[2]}"
    if host in _GCR:
        return host, f"projects/{parts[1]}/locations/{_GCR[host]}/repositories/{host}"
    return None


def _registry_access(
    provider: GcpProvider, cluster: Any, questions: IdentityQuestions, not_checked: list[NotChecked]
) -> tuple[RegistryAccess, ...]:
    repos_by_host: dict[str, set[str]] = defaultdict(set)
    for image in questions.images:
        found = repository_of(image)
        if found is not None:
            repos_by_host[found[0]].add(found[1])
    if not repos_by_host:
        return ()
    pools = [(np.name, provider.node_identity(np.config.service_account)) for np in cluster.node_pools]
    repos = sorted({r for rs in repos_by_host.values() for r in rs})
    projects = sorted({r.split("/")[1] for r in repos})
    try:
        repo_policies = dict(zip(repos, provider.workers.map(lambda r: _repo_policy(provider, r), repos), strict=True))
        project_policies = dict(zip(projects, provider.workers.map(lambda p: _project_policy(provider, p), projects),
                                    strict=True))
    except CallFailed as exc:
        not_checked.append(exc.not_checked("registry_access"))
        return ()
    out = []
    verdicts: dict[tuple[str, str], str | None] = {}
    for pool_name, principal in pools:
        member = f"serviceAccount:{principal}"
        for host, host_repos in sorted(repos_by_host.items()):
            missing: list[str] = []
            for repo in sorted(host_repos):
                key = (principal, repo)
                if key not in verdicts:
                    try:
                        verdicts[key] = _pull_problem(provider, member, repo, repo_policies[repo],
                                                      project_policies[repo.split("/")[1]])
                    except CallFailed as exc:
                        not_checked.append(exc.not_checked("registry_access"))
                        verdicts[key] = None
                if verdicts[key]:
                    missing.append(str(verdicts[key]))
            first = sorted(host_repos)[0]
            out.append(RegistryAccess(
                registry=host, principal=principal, can_pull=not missing,
                provenance=Provenance("gcp", "artifactregistry.repositories.getIamPolicy", first),
                missing=tuple(missing), node_pool=pool_name,
            ))
    return tuple(out)


def _repo_policy(provider: GcpProvider, repo: str) -> Any:
    from google.api_core.exceptions import NotFound

    def get() -> Any:
        try:
            return provider.clients.call(
                "artifactregistry.repositories.getIamPolicy", provider.clients.artifact_registry().get_iam_policy,
                request={"resource": repo},
            )
        except NotFound:
            return None

    return provider.workers.once(("repo-policy", repo), get)


def _project_policy(provider: GcpProvider, project: str) -> Any:
    def get() -> Any:
        return provider.clients.call(
            "resourcemanager.projects.getIamPolicy", provider.clients.projects().get_iam_policy, absent=False,
            request={"resource": f"projects/{project}", "options": {"requested_policy_version": 3}},
        )

    return provider.workers.once(("project-policy", project), get)


def _role_pulls(provider: GcpProvider, role: str) -> bool:
    if role in PULL_ROLES:
        return True
    if not role.startswith(("roles/", "projects/", "organizations/")):
        return False

    def get() -> bool:
        from google.api_core.exceptions import NotFound

        try:
            found = provider.clients.call("iam.roles.get", provider.clients.iam().get_role, request={"name": role})
        except NotFound:
            return False
        return PULL_PERMISSION in list(found.included_permissions)

    result: bool = provider.workers.once(("role", role), get)
    return result


def _pull_problem(provider: GcpProvider, member: str, repo: str, repo_policy: Any, project_policy: Any) -> str | None:
    """Why ``member`` cannot pull from ``repo`` (``None`` when it can)."""
    if repo_policy is None:
        return f"repository {repo} not found"
    project = repo.split("/")[1]
    for policy in (repo_policy, project_policy):
        for b in policy.bindings:
            members = set(b.members)
            # a grant to a Google group the node SA belongs to is not seen (group membership
            # is not read): docs/providers/gcp.md says so
            if (member in members or members & _PUBLIC) and _role_pulls(provider, b.role):
                return None
    return f"roles/artifactregistry.reader on {repo} (or on project {project})"
