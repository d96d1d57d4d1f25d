"""GCP storage loop: the persistent disks behind PVs of ``pd.csi.storage.gke.io`` (and the
in-tree ``gcePersistentDisk``), from one paged ``disks.aggregatedList`` per project (500 disks
a page), never one call per disk.

A zonal disk reports its zone; a regional disk its replica zones, where alone it can attach
(a hand-made static PV often carries no nodeAffinity: only the cloud knows).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from r2c_clouds.loops import StorageAnswer, StorageQuestions
from r2c_clouds.model.cloud import Disk, NotChecked, Provenance
from r2c_clouds.providers.kit import CallFailed

if TYPE_CHECKING:
    from r2c_clouds.providers.gcp import GcpProvider

__all__ = ["DRIVERS", "PAGE_SIZE", "answer"]

#: PV drivers whose volumes are Compute Engine persistent disks.
DRIVERS = frozenset({"pd.csi.storage.gke.io", "kubernetes.io/gce-pd"})
#: Disks per aggregatedList page (the API's maximum).
PAGE_SIZE = 500


def _last(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _key(project: str, handle: str) -> tuple[str, str]:
    """``(project, disk path)`` of a volume handle: ``projects/P/zones/Z/disks/N``,
    ``projects/P/regions/R/disks/N``, or a bare in-tree disk name (the cluster's project)."""
    parts = handle.strip("/").split("/")
    if len(parts) >= 6 and parts[0] == "projects":
        return parts[1], "/".join(parts[:6])
    return project, handle


def answer(provider: GcpProvider, questions: StorageQuestions) -> StorageAnswer:
    """The disks behind the PVs."""
    wanted = [v for v in questions.volumes if v.driver in DRIVERS]
    if not wanted:
        return StorageAnswer()
    by_project: dict[str, list[str]] = {}
    for v in wanted:
        project, _ = _key(provider.project, v.volume_handle)
        by_project.setdefault(project, []).append(v.volume_handle)
    not_checked: list[NotChecked] = []
    found: dict[str, Disk] = {}

    def sweep(project: str) -> dict[str, Disk] | CallFailed:
        try:
            return _disks(provider, project)
        except CallFailed as exc:
            return exc

    for project, result in zip(sorted(by_project), provider.workers.map(sweep, sorted(by_project)), strict=True):
        if isinstance(result, CallFailed):
            not_checked.append(result.not_checked("disks"))
            continue
        for handle in by_project[project]:
            _, path = _key(provider.project, handle)
            disk = result.get(path) or result.get(f"name:{handle}")
            prov = Provenance("gcp", "compute.disks.list", path)
            found[handle] = (
                Disk(handle, disk.provenance, disk.zones, disk.sku, disk.state, disk.zone_redundant,
                     disk.attached_to)
                if disk is not None else Disk(handle, prov, exists=False)
            )
    return StorageAnswer(disks=tuple(found[h] for h in sorted(found)), not_checked=tuple(not_checked))


def _disks(provider: GcpProvider, project: str) -> dict[str, Disk]:
    """Every disk of ``project`` by path, and by ``name:NAME`` for zonal in-tree handles."""
    out: dict[str, Disk] = {}
    for page in provider.clients.pages(
        "compute.disks.list", provider.clients.disks().aggregated_list,
        request={"project": project, "max_results": PAGE_SIZE},
    ):
        for scope, scoped in page.items.items():
            for d in scoped.disks:
                disk = _disk(project, scope, d)
                out[disk.volume_handle] = disk
                out.setdefault(f"name:{d.name}", disk)
    return out


def _disk(project: str, scope: str, d: Any) -> Disk:
    if d.zone:
        path = f"projects/{project}/zones/{_last(d.zone)}/disks/{d.name}"
        zones: tuple[str, ...] = (_last(d.zone),)
    else:
        region = _last(d.region) if d.region else scope.rsplit("/", 1)[-1]
        path = f"projects/{project}/regions/{region}/disks/{d.name}"
        zones = tuple(sorted(_last(z) for z in d.replica_zones))
    return Disk(
        volume_handle=path,
        provenance=Provenance("gcp", "compute.disks.list", path),
        zones=zones,
        sku=_last(d.type_) if d.type_ else None,
        state=d.status or None,
        attached_to=tuple(_last(u) for u in d.users),
    )
