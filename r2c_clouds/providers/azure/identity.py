"""Identity loop on AKS: Workload Identity federation and the kubelet identity's AcrPull.

Calls depend on distinct identities and registries, never on pods:

- ``managedClusters/read`` once (OIDC issuer, ``securityProfile.workloadIdentity``, kubelet identity);
- ``userAssignedIdentities/read`` one paged sweep of the subscription (there is no "get by
  client id"), only when a ServiceAccount names a client id;
- ``federatedIdentityCredentials/read`` once per distinct identity;
- ``Microsoft.ContainerRegistry/registries/read`` one paged sweep of the subscription to map
  registry hosts (``NAME.azurecr.io``) to registry resource ids by their ``loginServer``;
- ``roleAssignments/read`` once per distinct Azure Container Registry the pods pull from.

The two subscription sweeps run at once on the provider's workers, then the per-identity and
per-registry reads, all at once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar

from azure.core.rest import HttpRequest

from r2c_clouds.loops import IdentityAnswer, IdentityQuestions, WorkloadIdentityRef
from r2c_clouds.model.cloud import ClusterIdentity, IdentityBinding, NotChecked, RegistryAccess
from r2c_clouds.providers.azure._arm import parse_resource_id
from r2c_clouds.providers.kit import CallFailed

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


T = TypeVar("T")


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


def _run(job: Callable[[], T]) -> T:
    return job()


def _guard(what: str, job: Callable[[], T]) -> Callable[[], T | NotChecked]:
    """``job`` whose refused or failed call becomes the ``not_checked`` entry for ``what``."""

    def run() -> T | NotChecked:
        try:
            return job()
        except CallFailed as exc:
            return exc.not_checked(what)

    return run


def answer(provider: AzureProvider, questions: IdentityQuestions) -> IdentityAnswer:
    """Resolve annotated ServiceAccounts and the kubelet identity's registry pull rights."""
    s = provider.session
    refs = [r for r in questions.service_accounts if r.mechanism == MECHANISM]
    registries = sorted({r for r in questions.registries if r.lower().endswith(ACR_SUFFIXES)})
    try:
        mc = provider.managed_cluster()
    except CallFailed as exc:
        return IdentityAnswer(not_checked=(
            exc.not_checked("cluster_identity"),
            *([exc.not_checked("identity_bindings")] if refs else []),
            *([exc.not_checked("registry_access")] if registries else []),
        ))
    oidc = mc.oidc_issuer_profile
    issuer = oidc.issuer_url if oidc is not None and oidc.enabled else None
    wi = mc.security_profile.workload_identity if mc.security_profile is not None else None
    cluster_identity = ClusterIdentity(
        provenance=s.provenance(MC_READ, mc.id or ""),
        oidc_issuer=issuer,
        workload_identity_enabled=bool(wi is not None and wi.enabled),
    )
    kubelet = (mc.identity_profile or {}).get("kubeletidentity") if registries else None
    if kubelet is not None and not kubelet.object_id:
        kubelet = None
    wanted = {r.identity.lower() for r in refs}

    # 1. the subscription sweeps: identities by client id, registries by login server
    sweeps: dict[str, Callable[[], dict[str, Any] | NotChecked]] = {}
    if refs:
        sweeps["identities"] = _guard("identity_bindings", lambda: {
            (i.client_id or "").lower(): i for i in s.listed(s.msi().user_assigned_identities.list_by_subscription)
            if (i.client_id or "").lower() in wanted
        })
    if kubelet is not None:
        sweeps["registries"] = _guard("registry_access", lambda: s.call(_list_registries, provider))
    swept = dict(zip(sweeps, provider.workers.map(_run, sweeps.values()), strict=True))
    by_client = swept.get("identities", {})
    acr_ids = swept.get("registries", {})

    # 2. one read per identity (federated credentials) and per registry (role assignments)
    lookups: dict[str, Callable[[], list[Any] | NotChecked]] = {}
    if not isinstance(by_client, NotChecked):
        for cid, uami in by_client.items():
            rg = parse_resource_id(uami.id).get("resource_group", "")
            lookups[f"fic:{cid}"] = _guard("identity_bindings", partial(
                s.listed, s.msi().federated_identity_credentials.list, rg, uami.name))
    if kubelet is not None and not isinstance(acr_ids, NotChecked):
        for host in registries:
            acr_id = acr_ids.get(host.lower())
            if acr_id:
                lookups[f"acr:{host}"] = _guard("registry_access", partial(
                    s.listed, s.authorization().role_assignments.list_for_scope, acr_id,
                    filter=f"principalId eq '{kubelet.object_id}'"))
    found = dict(zip(lookups, provider.workers.map(_run, lookups.values()), strict=True))

    not_checked: list[NotChecked] = []
    bindings: tuple[IdentityBinding, ...] = ()
    if isinstance(by_client, NotChecked):
        not_checked.append(by_client)
    elif refs:
        bindings = _bindings(provider, issuer, refs, by_client, found, not_checked)
    access: tuple[RegistryAccess, ...] = ()
    if registries:
        access = _registry_access(provider, kubelet, registries, acr_ids, found, not_checked)
    return IdentityAnswer(cluster_identity, bindings, access, tuple(not_checked))


def _bindings(
    provider: AzureProvider,
    issuer: str | None,
    refs: list[WorkloadIdentityRef],
    by_client: dict[str, Any],
    found: dict[str, list[Any] | NotChecked],
    not_checked: list[NotChecked],
) -> tuple[IdentityBinding, ...]:
    s = provider.session
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
        fics = found[f"fic:{cid}"]
        if isinstance(fics, NotChecked):
            if fics not in not_checked:
                not_checked.append(fics)
            continue
        trusted, problems = evaluate(issuer, ref, fics)
        out.append(IdentityBinding(
            ref.namespace, ref.service_account, ref.identity, MECHANISM,
            s.provenance(FIC_READ, uami.id),
            exists=True, trusted=trusted, problems=problems,
            trust_subjects=tuple(f.subject for f in fics if f.subject),
            audiences=tuple(sorted({a for f in fics for a in (f.audiences or ())})),
        ))
    return tuple(out)


def _registry_access(
    provider: AzureProvider,
    kubelet: Any,
    registries: list[str],
    acr_ids: dict[str, str] | NotChecked,
    found: dict[str, list[Any] | NotChecked],
    not_checked: list[NotChecked],
) -> tuple[RegistryAccess, ...]:
    s = provider.session
    if kubelet is None:
        not_checked.append(NotChecked(
            "registry_access", "the cluster reports no kubelet identity (service principal clusters)"))
        return ()
    if isinstance(acr_ids, NotChecked):
        not_checked.append(acr_ids)
        return ()
    principal = kubelet.resource_id or kubelet.object_id
    out: list[RegistryAccess] = []
    for host in registries:
        acr_id = acr_ids.get(host.lower())
        if not acr_id:
            not_checked.append(NotChecked("registry_access", f"registry {host} not found in subscription {s.subscription}"))
            continue
        assignments = found[f"acr:{host}"]
        if isinstance(assignments, NotChecked):
            not_checked.append(assignments)
            continue
        roles = {(a.role_definition_id or "").rsplit("/", 1)[-1].lower() for a in assignments}
        can_pull = any(r in PULL_ROLES for r in roles)
        out.append(RegistryAccess(
            registry=host, principal=principal, can_pull=can_pull,
            provenance=s.provenance(ROLES_READ, acr_id), missing=() if can_pull else ("AcrPull",),
        ))
    return tuple(out)
