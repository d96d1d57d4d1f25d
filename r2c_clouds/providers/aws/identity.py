"""Identity loop on AWS: IRSA and EKS Pod Identity as IAM would judge them, and the node
roles' ECR pull rights.

- The cluster's OIDC issuer (``eks:DescribeCluster``) and the IAM OIDC provider for it
  (``iam:ListOpenIDConnectProviders`` + ``iam:GetOpenIDConnectProvider``: its client ids must
  include ``sts.amazonaws.com``).
- Each *distinct* role named by ``eks.amazonaws.com/role-arn``: ``iam:GetRole`` once per role,
  or, past :data:`SWEEP_THRESHOLD` distinct roles, one paginated
  ``iam:GetAccountAuthorizationDetails`` sweep (1,000 roles a page) — cheaper than thousands
  of GetRole calls, dearer for a handful. The trust policy is evaluated locally
  (:mod:`r2c_clouds.providers.aws._policy`).
- EKS Pod Identity: ``eks:ListPodIdentityAssociations`` (one sweep) and
  ``eks:DescribePodIdentityAssociation`` for the associations of ServiceAccounts in use, then
  the role's trust for ``pods.eks.amazonaws.com``.
- The node groups' roles: attached managed policies (``iam:GetPolicy`` +
  ``iam:GetPolicyVersion`` of the default version, cached per policy ARN) and inline policies,
  evaluated for ``ecr:GetAuthorizationToken`` (Resource ``*``), ``ecr:BatchGetImage`` and
  ``ecr:GetDownloadUrlForLayer`` on the registries pods pull from.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from r2c_clouds.loops.identity import IdentityAnswer, IdentityQuestions, WorkloadIdentityRef
from r2c_clouds.model.cloud import (
    ClusterIdentity,
    IdentityBinding,
    NotChecked,
    Provenance,
    RegistryAccess,
)
from r2c_clouds.providers.aws import _eks
from r2c_clouds.providers.aws._client import AwsClients, error_code
from r2c_clouds.providers.aws._policy import (
    allowed_actions,
    evaluate_irsa_trust,
    evaluate_pod_identity_trust,
    glob_match,
    parse_document,
    statements,
)
from r2c_clouds.providers.kit import CallFailed, Workers

if TYPE_CHECKING:
    from r2c_clouds.providers.aws import AwsProvider

__all__ = ["ECR_ACTIONS", "SWEEP_THRESHOLD", "answer", "role_name"]

#: More distinct roles than this: one GetAccountAuthorizationDetails sweep instead of GetRole each.
SWEEP_THRESHOLD = 100
#: What the kubelet's ECR credential provider needs: the token on ``*``, the rest on the repository.
ECR_ACTIONS = ("ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")
STS_AUDIENCE = "sts.amazonaws.com"
_ECR_HOST = re.compile(r"^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$")
_ROLE_ARN = re.compile(r"^arn:(aws[a-z-]*):iam::(\d{12}):role/(?:[\w+=,.@/-]*/)?([\w+=,.@-]+)$")

Role = dict[str, Any]


def role_name(arn: str) -> str | None:
    """The role name of an IAM role ARN (paths dropped), ``None`` if it is not one."""
    m = _ROLE_ARN.match(arn)
    return m.group(3) if m else None


def _role_account(arn: str) -> str | None:
    m = _ROLE_ARN.match(arn)
    return m.group(2) if m else None


class _Roles:
    """Roles by ARN, fetched once each (GetRole) or all at once (the sweep)."""

    def __init__(self, provider: AwsProvider) -> None:
        self.clients: AwsClients = provider.clients
        self.workers: Workers = provider.workers

    def get(self, arns: list[str]) -> dict[str, Role | None]:
        """ARN → role (``Role`` dict with ``AssumeRolePolicyDocument``) or ``None`` if absent."""
        names = {arn: role_name(arn) for arn in arns}
        wanted = sorted({n for n in names.values() if n})
        if len(wanted) > SWEEP_THRESHOLD:
            by_name = self._sweep()
            return {arn: by_name.get(n) if n else None for arn, n in names.items()}
        fetched = dict(zip(wanted, self.workers.map(self._get_role, wanted), strict=True))
        return {arn: fetched.get(n) if n else None for arn, n in names.items()}

    def _get_role(self, name: str) -> Role | None:
        def fetch() -> Role | None:
            try:
                role: Role = self.clients.call("iam", "get_role", RoleName=name)["Role"]
            except ClientError as exc:
                if error_code(exc) == "NoSuchEntity":
                    return None
                raise
            return role

        return self.workers.once(("role", name), fetch)

    def _sweep(self) -> dict[str, Role]:
        def fetch() -> dict[str, Role]:
            out: dict[str, Role] = {}
            for page in self.clients.pages("iam", "get_account_authorization_details", Filter=["Role"],
                                           PaginationConfig={"PageSize": 1000}):
                for r in page.get("RoleDetailList", []):
                    out[str(r["RoleName"])] = r
            return out

        return self.workers.once("role-sweep", fetch)


def _oidc_provider(clients: AwsClients, issuer: str) -> tuple[str | None, list[str]]:
    """(provider ARN, its client ids) for the issuer, or (None, []) if IAM has none."""
    host = issuer.removeprefix("https://").rstrip("/")
    arns = [str(p["Arn"]) for p in clients.call("iam", "list_open_id_connect_providers").get("OpenIDConnectProviderList", [])]
    match = next((a for a in arns if a.split(":oidc-provider/", 1)[-1].rstrip("/") == host), None)
    if match is None:
        return None, []
    doc = clients.call("iam", "get_open_id_connect_provider", OpenIDConnectProviderArn=match)
    return match, [str(c) for c in doc.get("ClientIDList", [])]


def _policy_documents(provider: AwsProvider, role: str) -> list[dict[str, Any]]:
    """The identity policies of a role: attached managed (default version) and inline."""
    clients, workers = provider.clients, provider.workers

    def managed(arn: str) -> dict[str, Any]:
        def fetch() -> dict[str, Any]:
            pol = clients.call("iam", "get_policy", PolicyArn=arn)["Policy"]
            ver = clients.call("iam", "get_policy_version", PolicyArn=arn,
                               VersionId=pol["DefaultVersionId"])["PolicyVersion"]
            return parse_document(ver.get("Document"))

        return workers.once(("policy", arn), fetch)

    def inline(name: str) -> dict[str, Any]:
        doc = clients.call("iam", "get_role_policy", RoleName=role, PolicyName=name)
        return parse_document(doc.get("PolicyDocument"))

    attached: list[str] = []
    for page in clients.pages("iam", "list_attached_role_policies", RoleName=role):
        attached.extend(str(p["PolicyArn"]) for p in page.get("AttachedPolicies", []))
    names: list[str] = []
    for page in clients.pages("iam", "list_role_policies", RoleName=role):
        names.extend(str(n) for n in page.get("PolicyNames", []))
    docs: list[dict[str, Any]] = workers.map(managed, sorted(set(attached)))
    docs.extend(workers.map(inline, sorted(set(names))))
    return docs


def _registry_access(
    provider: AwsProvider, registries: tuple[str, ...], partition: str
) -> tuple[list[RegistryAccess], list[NotChecked]]:
    ecr = [(reg, m) for reg in registries if (m := _ECR_HOST.match(reg))]
    if not ecr:
        return [], []
    try:
        groups = _eks.nodegroups(provider).groups
    except CallFailed as exc:
        return [], [exc.not_checked("registry_access")]
    roles = sorted({str(g["nodeRole"]) for g in groups if g.get("nodeRole")})
    docs_of: dict[str, list[dict[str, Any]]] = {}
    denied: list[NotChecked] = []

    def load(arn: str) -> tuple[str, list[dict[str, Any]] | None, CallFailed | None]:
        name = role_name(arn)
        if name is None:
            return arn, None, None
        try:
            return arn, provider.workers.once(("role-policies", name), lambda: _policy_documents(provider, name)), None
        except CallFailed as exc:
            return arn, None, exc
        except ClientError as exc:
            if error_code(exc) == "NoSuchEntity":
                return arn, [], None
            raise

    for arn, docs, failed in provider.workers.map(load, roles):
        if failed is not None:
            denied.append(failed.not_checked("registry_access"))
        elif docs is not None:
            docs_of[arn] = docs
    if denied:
        return [], denied[:1]
    out: list[RegistryAccess] = []
    for g in sorted(groups, key=lambda g: str(g["nodegroupName"])):
        principal = str(g.get("nodeRole", ""))
        docs = docs_of.get(principal)
        if docs is None:
            continue
        for reg, m in ecr:
            account, region = m.group(1), m.group(2)
            repo = f"arn:{partition}:ecr:{region}:{account}:repository/"
            missing = _missing(docs, repo)
            out.append(RegistryAccess(
                registry=reg, principal=principal, can_pull=not missing,
                provenance=Provenance("aws", "iam:GetPolicyVersion", principal),
                missing=tuple(missing), node_pool=str(g["nodegroupName"]),
            ))
    return out, []


def _missing(docs: list[dict[str, Any]], repo_prefix: str) -> list[str]:
    """The ECR pull actions the policies do not grant on the registry's repositories.

    A Resource that names only some repositories (``repository/shop/*``) counts as a grant:
    which repositories pods use is not asked here.
    """
    token = allowed_actions(docs, [("ecr:GetAuthorizationToken", "*")])[("ecr:GetAuthorizationToken", "*")]
    missing = [] if token else ["ecr:GetAuthorizationToken"]
    for action in ECR_ACTIONS[1:]:
        if not _grants_some_repository(docs, action, repo_prefix):
            missing.append(action)
    return missing


def _grants_some_repository(docs: list[dict[str, Any]], action: str, repo_prefix: str) -> bool:
    # every repository: the pattern matches the prefix followed by anything
    if allowed_actions(docs, [(action, repo_prefix + "*")])[(action, repo_prefix + "*")]:
        return True
    # some repositories: the pattern names repositories under this registry; an explicit Deny
    # on them still wins
    for d in docs:
        for s in statements(d):
            if str(s.get("Effect", "")).lower() != "allow" or "Condition" in s:
                continue
            acts = s.get("Action", [])
            acts = [acts] if isinstance(acts, str) else list(acts)
            if not any(glob_match(a, action, ignore_case=True) for a in acts):
                continue
            res = s.get("Resource", [])
            for r in [res] if isinstance(res, str) else list(res):
                head = str(r).split(":repository/", 1)[0] + ":repository/"
                if ":repository/" in str(r) and glob_match(head, repo_prefix):
                    name = f"{repo_prefix}{str(r).split(':repository/', 1)[1]}"
                    if allowed_actions(docs, [(action, name)])[(action, name)]:
                        return True
    return False


def answer(provider: AwsProvider, questions: IdentityQuestions) -> IdentityAnswer:
    """Resolve IRSA / Pod Identity bindings and the node roles' ECR pull rights."""
    clients = provider.clients
    not_checked: list[NotChecked] = []
    try:
        info = _eks.cluster_info(provider)
    except CallFailed as exc:
        return IdentityAnswer(not_checked=(exc.not_checked("cluster_identity"),
                                           exc.not_checked("identity_bindings")))
    if info is None:
        reason = f"EKS cluster {provider.cluster_name} not found in {clients.region}"
        return IdentityAnswer(not_checked=(NotChecked("cluster_identity", reason),
                                           NotChecked("identity_bindings", reason)))
    provider_arn: str | None = None
    client_ids: list[str] = []
    oidc_ok: bool | None = None
    if info.issuer:
        try:
            provider_arn, client_ids = _oidc_provider(clients, info.issuer)
            oidc_ok = provider_arn is not None and STS_AUDIENCE in client_ids
        except CallFailed as exc:
            not_checked.append(exc.not_checked("cluster_identity"))
    else:
        oidc_ok = False

    bindings: list[IdentityBinding] = []
    irsa = [r for r in questions.service_accounts if r.mechanism == "irsa"]
    try:
        bindings.extend(_irsa(provider, info, provider_arn, client_ids, irsa))
    except CallFailed as exc:
        not_checked.append(exc.not_checked("identity_bindings"))
    foreign = sorted({r.identity for r in irsa if _role_account(r.identity) not in (None, info.account)})
    if foreign:
        not_checked.append(NotChecked(
            "cross_account_roles",
            f"{len(foreign)} role(s) in other accounts than {info.account} ({', '.join(foreign[:3])}): trust not checked",
        ))

    pod_identity: bool | None = None
    used = {(r.namespace, r.service_account) for r in questions.service_accounts}
    used.update(questions.unannotated_service_accounts)
    try:
        pi_bindings = _pod_identity(provider, info, used)
        pod_identity = bool(pi_bindings)
        bindings.extend(pi_bindings)
    except CallFailed as exc:
        not_checked.append(exc.not_checked("pod_identity"))
    except ClientError as exc:
        # an EKS endpoint without Pod Identity (older regions, emulators): nothing to report
        not_checked.append(NotChecked(
            "pod_identity", f"eks:ListPodIdentityAssociations failed ({error_code(exc) or 'error'}): associations not read"))

    wi_enabled = True if (oidc_ok or pod_identity) else (False if oidc_ok is False and pod_identity is False else None)
    cluster_identity = ClusterIdentity(
        provenance=Provenance("aws", "eks:DescribeCluster", info.arn),
        oidc_issuer=info.issuer,
        workload_identity_enabled=wi_enabled,
        oidc_provider_registered=oidc_ok,
    )
    if any(nc.what == "cluster_identity" for nc in not_checked):
        cluster_identity = ClusterIdentity(provenance=cluster_identity.provenance, oidc_issuer=info.issuer)
    registry, reg_nc = _registry_access(provider, questions.registries, info.partition)
    not_checked.extend(reg_nc)
    return IdentityAnswer(
        cluster_identity=cluster_identity,
        bindings=tuple(sorted(bindings, key=lambda b: (b.namespace, b.service_account, b.mechanism))),
        registry_access=tuple(registry),
        not_checked=tuple(not_checked),
    )


def _irsa(
    provider: AwsProvider,
    info: _eks.ClusterInfo,
    provider_arn: str | None,
    client_ids: list[str],
    refs: list[WorkloadIdentityRef],
) -> list[IdentityBinding]:
    if not refs:
        return []
    host = (info.issuer or "").removeprefix("https://").rstrip("/")
    expected_provider = provider_arn or f"arn:{info.partition}:iam::{info.account}:oidc-provider/{host}"
    local = [r for r in refs if _role_account(r.identity) in (None, info.account)]
    roles = _Roles(provider).get(sorted({r.identity for r in local if role_name(r.identity)}))
    out: list[IdentityBinding] = []
    for r in refs:
        prov = Provenance("aws", "iam:GetRole", r.identity)
        audience = r.audience or STS_AUDIENCE

        def binding(exists: bool, trusted: bool, problems: tuple[str, ...], subjects: tuple[str, ...] = (),
                    audiences: tuple[str, ...] = (), r: WorkloadIdentityRef = r,
                    prov: Provenance = prov) -> IdentityBinding:
            return IdentityBinding(namespace=r.namespace, service_account=r.service_account, identity=r.identity,
                                   mechanism="irsa", provenance=prov, exists=exists, trusted=trusted,
                                   problems=problems, trust_subjects=subjects, audiences=audiences)

        if role_name(r.identity) is None:
            out.append(binding(False, False, (f"{r.identity} is not an IAM role ARN",)))
            continue
        account = _role_account(r.identity)
        if account not in (None, info.account):
            continue  # another account's role: its trust lives there (reported below)
        role = roles.get(r.identity)
        if role is None:
            out.append(binding(False, False, (f"role {role_name(r.identity)} does not exist in account {info.account}",)))
            continue
        if not info.issuer:
            out.append(binding(True, False, ("the cluster has no OIDC issuer",)))
            continue
        verdict = evaluate_irsa_trust(
            parse_document(role.get("AssumeRolePolicyDocument")),
            provider_arn=expected_provider, issuer_host=host,
            namespace=r.namespace, service_account=r.service_account, audience=audience,
        )
        problems = list(verdict.problems)
        trusted = verdict.trusted
        if provider_arn is None:
            problems.insert(0, f"IAM has no OIDC provider for {info.issuer}")
            trusted = False
        elif audience not in client_ids:
            problems.append(f"the IAM OIDC provider does not list audience {audience} (client ids: {', '.join(client_ids) or 'none'})")
            trusted = False
        out.append(binding(True, trusted, tuple(problems), verdict.subjects, verdict.audiences))
    return out


def _pod_identity(
    provider: AwsProvider, info: _eks.ClusterInfo, used: set[tuple[str, str]]
) -> list[IdentityBinding]:
    clients = provider.clients
    summaries: list[dict[str, Any]] = []
    for page in clients.pages("eks", "list_pod_identity_associations", clusterName=info.name):
        summaries.extend(page.get("associations", []))
    wanted = sorted({str(a["associationId"]) for a in summaries
                     if (a.get("namespace"), a.get("serviceAccount")) in used})

    def describe(aid: str) -> dict[str, Any]:
        assoc: dict[str, Any] = clients.call("eks", "describe_pod_identity_association", clusterName=info.name,
                                             associationId=aid)["association"]
        return assoc

    assocs = provider.workers.map(describe, wanted)
    roles = _Roles(provider).get(sorted({str(a["roleArn"]) for a in assocs if a.get("roleArn")}))
    out: list[IdentityBinding] = []
    for a in sorted(assocs, key=lambda a: (str(a.get("namespace")), str(a.get("serviceAccount")))):
        arn = str(a.get("roleArn", ""))
        ns, sa = str(a.get("namespace", "")), str(a.get("serviceAccount", ""))
        prov = Provenance("aws", "eks:DescribePodIdentityAssociation", str(a.get("associationArn", arn)))
        role = roles.get(arn)
        make: Callable[..., IdentityBinding] = IdentityBinding
        if role is None:
            out.append(make(namespace=ns, service_account=sa, identity=arn, mechanism="eks-pod-identity",
                            provenance=prov, exists=False, trusted=False,
                            problems=(f"role {role_name(arn) or arn} does not exist",)))
            continue
        context = {
            "aws:SourceAccount": [info.account or ""],
            "aws:SourceArn": [info.arn],
            "aws:RequestTag/eks-cluster-arn": [info.arn],
            "aws:RequestTag/eks-cluster-name": [info.name],
            "aws:RequestTag/kubernetes-namespace": [ns],
            "aws:RequestTag/kubernetes-service-account": [sa],
        }
        verdict = evaluate_pod_identity_trust(parse_document(role.get("AssumeRolePolicyDocument")),
                                              context={k.lower(): v for k, v in context.items()})
        problems = list(verdict.problems)
        if a.get("targetRoleArn"):
            problems.append(f"target role {a['targetRoleArn']} (role chaining) not checked")
        out.append(make(namespace=ns, service_account=sa, identity=arn, mechanism="eks-pod-identity",
                        provenance=prov, exists=True, trusted=verdict.trusted, problems=tuple(problems)))
    return out
