"""Identity loop on AKS: Workload Identity federation and the kubelet identity's AcrPull.

Calls depend on distinct identities and registries, never on pods:

- ``managedClusters/read`` once (OIDC issuer, ``securityProfile.workloadIdentity``, kubelet identity);
- ``userAssignedIdentities/read`` one paged sweep of the subscription (there is no "get by
  client id"), only when a ServiceAccount names a client id;
- ``federatedIdentityCredentials/read`` once per distinct identity;
- ``Microsoft.ContainerRegistry/registries/read`` one paged sweep of the subscription to map
  registry hosts (``NAME.azurecr.io``) to registry resource ids by their ``loginServer``;
- ``roleAssignments/read`` once per distinct Azure Container Registry the pods pull from.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any

from azure.core.exceptions import HttpResponseError
from azure.core.rest import HttpRequest

from r2c_clouds.loops import IdentityAnswer, IdentityQuestions, WorkloadIdentityRef
from r2c_clouds.model.cloud import ClusterIdentity, IdentityBinding, NotChecked, RegistryAccess
from r2c_clouds.providers.azure._client import (
    Forbidden,
    failure,
    guarded,
    parse_resource_id,
    translate,
)

if TYPE_CHECKING:
    from r2c_clouds.providers.azure import AzureProvider

__all__ = ["ACR_SUFFIXES", "AUDIENCE", "PULL_ROLES", "answer", "evaluate"]

MECHANISM = "azure-workload-identity"
AUDIENCE = "api://AzureADTokenExchange"
MC_READ = "Microsoft.ContainerService/managedClusters/read"
UAMI_READ = "Microsoft.ManagedIdentity/userAssignedIdentities/read"
FIC_READ = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read"
ROLES_READ = "Microsoft.Authorization/roleAssignments/read"
ACR_API_VERSION = "2023-07-01"

#: Built-in role definition ids that include ``Microsoft.ContainerRegistry/registries/pull/read``.
PULL_ROLES = {
    "7f951dda-4ed3-4680-a7ca-43fe172d538d": "AcrPull",
    "8311e382-0749-4cb8-b61a-304f252e45ec": "AcrPush",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
}
#: Azure Container Registry login server suffixes (public, US Government, China clouds).
ACR_SUFFIXES = (".azurecr.io", ".azurecr.us", ".azurecr.cn")


def _listed(fn: Any, *args: Any, **kwargs: Any) -> list[Any]:
    return list(fn(*args, **kwargs))


def evaluate(issuer: str | None, ref: WorkloadIdentityRef, fics: list[Any]) -> tuple[bool, tuple[str, ...]]:
    """Does one of the federated identity credentials admit the ServiceAccount?

    Returns:
        ``(trusted, problems)``: problems phrased for people, one per credential that comes close.
    """
    subject = f"system:serviceaccount:{ref.namespace}:{ref.service_account}"
    if not fics:
        return False, ("the identity has no federated identity credentials",)
    problems: list[str] = []
    for f in fics:
        auds = list(f.audiences or ())
        if f.issuer == issuer and f.subject == subject and AUDIENCE in auds:
            return True, ()
    for f in fics:
        auds = list(f.audiences or ())
        if f.subject != subject:
            problems.append(f"federated credential {f.name} subject {f.subject} does not match {subject}")
            continue
        if f.issuer != issuer:
            near = " (differs only in trailing slash or case)" if issuer and f.issuer and (
                f.issuer.rstrip("/").lower() == issuer.rstrip("/").lower()) else ""
            problems.append(f"federated credential {f.name} issuer {f.issuer} does not match the cluster's "
                            f"OIDC issuer {issuer or '(OIDC issuer disabled)'}{near}")
        if AUDIENCE not in auds:
            problems.append(f"federated credential {f.name} audiences {auds} lack {AUDIENCE}")
    return False, tuple(problems)


def _list_registries(provider: AzureProvider) -> dict[str, str]:
    """loginServer → registry resource id, for every registry in the subscription (paged)."""
    client = provider.session.containerservice()
    url: str | None = (f"/subscriptions/{provider.session.subscription}/providers/"
                       f"Microsoft.ContainerRegistry/registries?api-version={ACR_API_VERSION}")
    out: dict[str, str] = {}
    while url:
        resp = client.send_request(HttpRequest("GET", url))
        resp.raise_for_status()
        body = resp.json()
        for reg in body.get("value", []):
            login = (reg.get("properties") or {}).get("loginServer") or ""
            if login:
                out[login.lower()] = reg.get("id", "")
        url = body.get("nextLink")
    return out


def answer(provider: AzureProvider, questions: IdentityQuestions) -> IdentityAnswer:
    """Resolve annotated ServiceAccounts and the kubelet identity's registry pull rights."""
    s = provider.session
    endpoint = s.arm_endpoint
    refs = [r for r in questions.service_accounts if r.mechanism == MECHANISM]
    registries = sorted({r for r in questions.registries if r.lower().endswith(ACR_SUFFIXES)})
    mc = guarded("cluster_identity", endpoint, provider.managed_cluster)
    if isinstance(mc, NotChecked):
        return IdentityAnswer(not_checked=(
            mc,
            *([NotChecked("identity_bindings", mc.reason)] if refs else []),
            *([NotChecked("registry_access", mc.reason)] if registries else []),
        ))
    oidc = mc.oidc_issuer_profile
    issuer = oidc.issuer_url if oidc is not None and oidc.enabled else None
    wi = mc.security_profile.workload_identity if mc.security_profile is not None else None
    cluster_identity = ClusterIdentity(
        provenance=s.provenance(MC_READ, mc.id or ""),
        oidc_issuer=issuer,
        workload_identity_enabled=bool(wi is not None and wi.enabled),
    )
    not_checked: list[NotChecked] = []
    with ThreadPoolExecutor(max_workers=provider.max_workers, thread_name_prefix="r2c-azure-id") as pool:
        f_acr = pool.submit(_registry_access, provider, mc, registries) if registries else None
        bindings = _bindings(provider, pool, issuer, refs, not_checked) if refs else ()
        access: tuple[RegistryAccess, ...] = ()
        if f_acr is not None:
            access, more = f_acr.result()
            not_checked.extend(more)
    return IdentityAnswer(cluster_identity, bindings, access, tuple(not_checked))


def _bindings(
    provider: AzureProvider,
    pool: ThreadPoolExecutor,
    issuer: str | None,
    refs: list[WorkloadIdentityRef],
    not_checked: list[NotChecked],
) -> tuple[IdentityBinding, ...]:
    s = provider.session
    msi = s.msi()
    wanted = {r.identity.lower() for r in refs}
    sweep = guarded("identity_bindings", s.arm_endpoint, lambda: [
        i for i in msi.user_assigned_identities.list_by_subscription() if (i.client_id or "").lower() in wanted
    ])
    if isinstance(sweep, NotChecked):
        not_checked.append(sweep)
        return ()
    by_client = {(i.client_id or "").lower(): i for i in sweep}

    def fics_of(uami: Any) -> list[Any] | NotChecked:
        rg = parse_resource_id(uami.id).get("resource_group", "")
        return guarded("identity_bindings", s.arm_endpoint,
                       lambda: list(msi.federated_identity_credentials.list(rg, uami.name)))

    futures = {cid: pool.submit(fics_of, u) for cid, u in by_client.items()}
    fics = {cid: f.result() for cid, f in futures.items()}
    out: list[IdentityBinding] = []
    for ref in refs:
        cid = ref.identity.lower()
        uami = by_client.get(cid)
        if uami is None:
            out.append(IdentityBinding(
                ref.namespace, ref.service_account, ref.identity, MECHANISM,
                s.provenance(UAMI_READ, f"/subscriptions/{s.subscription}"),
                exists=False, trusted=False,
                problems=(f"no user-assigned managed identity with client id {ref.identity} in subscription "
                          f"{s.subscription} (an Entra app registration is not checked)",),
            ))
            continue
        found = fics[cid]
        if isinstance(found, NotChecked):
            if found not in not_checked:
                not_checked.append(found)
            continue
        trusted, problems = evaluate(issuer, ref, found)
        out.append(IdentityBinding(
            ref.namespace, ref.service_account, ref.identity, MECHANISM,
            s.provenance(FIC_READ, uami.id),
            exists=True, trusted=trusted, problems=problems,
            trust_subjects=tuple(f.subject for f in found if f.subject),
            audiences=tuple(sorted({a for f in found for a in (f.audiences or ())})),
        ))
    return tuple(out)


def _registry_access(
    provider: AzureProvider, mc: Any, registries: list[str]
) -> tuple[tuple[RegistryAccess, ...], list[NotChecked]]:
    s = provider.session
    kubelet = (mc.identity_profile or {}).get("kubeletidentity")
    if kubelet is None or not kubelet.object_id:
        return (), [NotChecked("registry_access", "the cluster reports no kubelet identity (service principal clusters)")]
    try:
        with translate(s.arm_endpoint):
            ids = _list_registries(provider)
    except (Forbidden, HttpResponseError) as exc:
        return (), [failure("registry_access", exc)]
    auth = s.authorization()
    principal = kubelet.resource_id or kubelet.object_id
    out: list[RegistryAccess] = []
    not_checked: list[NotChecked] = []
    for host in registries:
        acr_id = ids.get(host.lower())
        if not acr_id:
            not_checked.append(NotChecked("registry_access", f"registry {host} not found in subscription {s.subscription}"))
            continue
        assignments = guarded("registry_access", s.arm_endpoint, partial(
            _listed, auth.role_assignments.list_for_scope, acr_id, filter=f"principalId eq '{kubelet.object_id}'"))
        if isinstance(assignments, NotChecked):
            not_checked.append(assignments)
            continue
        roles = {(a.role_definition_id or "").rsplit("/", 1)[-1].lower() for a in assignments}
        can_pull = any(r in PULL_ROLES for r in roles)
        out.append(RegistryAccess(
            registry=host, principal=principal, can_pull=can_pull,
            provenance=s.provenance(ROLES_READ, acr_id), missing=() if can_pull else ("AcrPull",),
        ))
    return tuple(out), not_checked
