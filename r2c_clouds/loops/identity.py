"""Identity loop: ServiceAccount → cloud identity (IRSA, EKS Pod Identity, Azure Workload
Identity, GKE Workload Identity) and the node identity's registry pull rights.

The questions are derived from the cluster once, deduplicated: one entry per annotated
ServiceAccount and per distinct registry, never per pod.
"""

from __future__ import annotations

from typing import Protocol

from attrs import frozen

from r2c_clouds.model.cloud import ClusterIdentity, IdentityBinding, NotChecked, RegistryAccess
from r2c_clouds.model.cluster import ClusterState

__all__ = [
    "IDENTITY_ANNOTATIONS",
    "IdentityAnswer",
    "IdentityLoop",
    "IdentityQuestions",
    "WorkloadIdentityRef",
    "identity_questions",
    "image_name",
    "image_registry",
]

#: ServiceAccount annotations that name a cloud identity, by mechanism.
IDENTITY_ANNOTATIONS: dict[str, str] = {
    "eks.amazonaws.com/role-arn": "irsa",
    "azure.workload.identity/client-id": "azure-workload-identity",
    "iam.gke.io/gcp-service-account": "gke-workload-identity",
}


@frozen
class WorkloadIdentityRef:
    """A ServiceAccount that names a cloud identity through an annotation."""

    namespace: str
    service_account: str
    mechanism: str
    identity: str
    audience: str | None = None


@frozen
class IdentityQuestions:
    """What the identity loop asks the cloud.

    Args:
        service_accounts: annotated ServiceAccounts (distinct).
        unannotated_service_accounts: ServiceAccounts used by pods but naming no identity
            (EKS Pod Identity associations and GKE principal:// bindings need no annotation).
        registries: distinct registry hosts that pods pull from.
        images: distinct image names pods pull, without tag or digest
            (``us-central1-docker.pkg.dev/acme/apps/api``): registries whose rights are per
            repository (Artifact Registry) need the path.
    """

    service_accounts: tuple[WorkloadIdentityRef, ...] = ()
    unannotated_service_accounts: tuple[tuple[str, str], ...] = ()
    registries: tuple[str, ...] = ()
    images: tuple[str, ...] = ()


@frozen
class IdentityAnswer:
    cluster_identity: ClusterIdentity | None = None
    bindings: tuple[IdentityBinding, ...] = ()
    registry_access: tuple[RegistryAccess, ...] = ()
    not_checked: tuple[NotChecked, ...] = ()


class IdentityLoop(Protocol):
    """What a provider answers for the identity loop."""

    def identity(self, questions: IdentityQuestions) -> IdentityAnswer:
        """Resolve each ServiceAccount's cloud identity and the node identity's pull rights."""
        ...


def image_registry(image: str) -> str:
    """The registry host of an image reference (``docker.io`` when none is named).

    >>> image_registry("123456789012.dkr.ecr.us-east-1.amazonaws.com/shop/api:1.4")
    '123456789012.dkr.ecr.us-east-1.amazonaws.com'
    >>> image_registry("nginx:1.27")
    'docker.io'
    """
    first, sep, _ = image.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        return first
    return "docker.io"


def identity_questions(cluster: ClusterState) -> IdentityQuestions:
    """Derive the identity questions from a cluster."""
    refs: list[WorkloadIdentityRef] = []
    annotated: set[tuple[str, str]] = set()
    for sa in cluster.service_accounts:
        ann = sa.metadata.annotations
        for key, mechanism in IDENTITY_ANNOTATIONS.items():
            value = ann.get(key, "").strip()
            if value:
                ns = sa.metadata.namespace or ""
                refs.append(
                    WorkloadIdentityRef(
                        ns,
                        sa.metadata.name,
                        mechanism,
                        value,
                        audience=ann.get("eks.amazonaws.com/audience"),
                    )
                )
                annotated.add((ns, sa.metadata.name))
    used: set[tuple[str, str]] = set()
    registries: set[str] = set()
    images: set[str] = set()
    for pod in cluster.pods:
        used.add((pod.metadata.namespace or "", cluster.service_account_of(pod)))
        for c in (*pod.spec.containers, *pod.spec.init_containers):
            if c.image:
                registries.add(image_registry(c.image))
                images.add(image_name(c.image))
    return IdentityQuestions(
        service_accounts=tuple(sorted(refs, key=lambda r: (r.namespace, r.service_account, r.mechanism))),
        unannotated_service_accounts=tuple(sorted(used - annotated)),
        registries=tuple(sorted(registries)),
        images=tuple(sorted(images)),
    )


def image_name(image: str) -> str:
    """An image reference without its tag or digest.

    >>> image_name("us-central1-docker.pkg.dev/acme/apps/api:1.4@sha256:ab12")
    'us-central1-docker.pkg.dev/acme/apps/api'
    >>> image_name("localhost:5000/api:1")
    'localhost:5000/api'
    """
    name = image.split("@", 1)[0]
    head, slash, last = name.rpartition("/")
    return f"{head}{slash}{last.split(':', 1)[0]}"
