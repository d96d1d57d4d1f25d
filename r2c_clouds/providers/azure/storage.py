"""Storage loop on AKS: the managed disks behind Azure Disk PVs (``disk.csi.azure.com`` and
in-tree ``kubernetes.io/azure-disk``), whose volume handle is the disk's resource id.

Disks are grouped by resource group (usually the node resource group): a group of up to
:data:`GET_LIMIT` disks is read with one ``disks.get`` each, a larger one with a single paged
``disks.list_by_resource_group``. Both are ``Microsoft.Compute/disks/read``.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from azure.core.exceptions import ResourceNotFoundError

from r2c_clouds.loops import StorageAnswer, StorageQuestions, VolumeRef
from r2c_clouds.model.cloud import Disk, NotChecked
from r2c_clouds.providers.azure._arm import parse_resource_id, text, zone_label
from r2c_clouds.providers.azure._client import translate
from r2c_clouds.providers.kit import CallFailed

if TYPE_CHECKING:
    from r2c_clouds.providers.azure import AzureProvider

__all__ = ["AZURE_DISK_DRIVERS", "GET_LIMIT", "answer", "disk_fact"]

AZURE_DISK_DRIVERS = ("disk.csi.azure.com", "kubernetes.io/azure-disk")
DISKS_READ = "Microsoft.Compute/disks/read"
#: Up to this many disks in one resource group: one GET each; more: one paged list.
GET_LIMIT = 3


def disk_fact(provider: AzureProvider, handle: str, disk: Any) -> Disk:
    """A ``Disk`` model as the :class:`Disk` fact for the PV volume handle ``handle``."""
    sku = text(disk.sku.name) if disk.sku is not None else None
    zrs = bool(sku and sku.upper().endswith("_ZRS"))
    return Disk(
        volume_handle=handle,
        provenance=provider.session.provenance(DISKS_READ, disk.id or handle),
        zones=() if zrs else tuple(zone_label(disk.location, z) for z in (disk.zones or ())),
        sku=sku,
        state=text(disk.disk_state),
        zone_redundant=zrs,
        attached_to=tuple(x for x in (disk.managed_by, *(disk.managed_by_extended or ())) if x),
    )


def _missing(provider: AzureProvider, handle: str) -> Disk:
    return Disk(handle, provider.session.provenance(DISKS_READ, handle), exists=False)


def _group(provider: AzureProvider, group: tuple[str, list[VolumeRef]]) -> tuple[list[Disk], list[NotChecked]]:
    """The disks of one resource group: a GET each (up to :data:`GET_LIMIT`), else one paged list."""
    rg, refs = group
    s = provider.session
    compute = s.compute()
    if len(refs) <= GET_LIMIT:
        disks: list[Disk] = []
        fails: list[NotChecked] = []
        for ref in refs:
            name = parse_resource_id(ref.volume_handle).get("name", "")
            try:
                with translate(s.arm_endpoint, missing_ok=True):
                    got = compute.disks.get(rg, name)
            except ResourceNotFoundError:
                disks.append(_missing(provider, ref.volume_handle))
            except CallFailed as exc:
                fails.append(exc.not_checked("disks"))
            else:
                disks.append(disk_fact(provider, ref.volume_handle, got))
        return disks, fails
    try:
        with translate(s.arm_endpoint, missing_ok=True):
            listed = list(compute.disks.list_by_resource_group(rg))
    except ResourceNotFoundError:
        listed = []
    except CallFailed as exc:
        return [], [exc.not_checked("disks")]
    by_id = {(d.id or "").lower(): d for d in listed}
    return [
        disk_fact(provider, r.volume_handle, by_id[r.volume_handle.lower()])
        if r.volume_handle.lower() in by_id else _missing(provider, r.volume_handle)
        for r in refs
    ], []


def answer(provider: AzureProvider, questions: StorageQuestions) -> StorageAnswer:
    """Describe the managed disks behind the Azure Disk PVs (resource groups read concurrently)."""
    groups: dict[str, tuple[str, list[VolumeRef]]] = {}
    for ref in questions.volumes:
        if ref.driver not in AZURE_DISK_DRIVERS:
            continue
        rg = parse_resource_id(ref.volume_handle).get("resource_group")
        if rg:
            groups.setdefault(rg.lower(), (rg, []))[1].append(ref)
    if not groups:
        return StorageAnswer()
    disks: list[Disk] = []
    not_checked: list[NotChecked] = []
    for d, nc in provider.workers.map(partial(_group, provider), groups.values()):
        disks.extend(d)
        not_checked.extend(x for x in nc if x not in not_checked)
    return StorageAnswer(tuple(disks), tuple(not_checked))
