"""Storage loop on AKS: the managed disks behind Azure Disk PVs (``disk.csi.azure.com`` and
in-tree ``kubernetes.io/azure-disk``), whose volume handle is the disk's resource id.

Disks are grouped by resource group (usually the node resource group): a group of up to
:data:`GET_LIMIT` disks is read with one ``disks.get`` each, a larger one with a single paged
``disks.list_by_resource_group``. Both are ``Microsoft.Compute/disks/read``.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import TYPE_CHECKING, Any

from azure.core.exceptions import ResourceNotFoundError

from r2c_clouds.loops import StorageAnswer, StorageQuestions, VolumeRef
from r2c_clouds.model.cloud import Disk, NotChecked
from r2c_clouds.providers.azure._client import guarded, parse_resource_id, text, zone_label

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


def _group(provider: AzureProvider, rg: str, refs: list[VolumeRef]) -> tuple[list[Disk], list[NotChecked]]:
    s = provider.session
    compute = s.compute()
    if len(refs) <= GET_LIMIT:
        disks: list[Disk] = []
        fails: list[NotChecked] = []
        for ref in refs:
            name = parse_resource_id(ref.volume_handle).get("name", "")
            try:
                got = guarded("disks", s.arm_endpoint, partial(compute.disks.get, rg, name), missing_ok=True)
            except ResourceNotFoundError:
                disks.append(_missing(provider, ref.volume_handle))
                continue
            if isinstance(got, NotChecked):
                fails.append(got)
            else:
                disks.append(disk_fact(provider, ref.volume_handle, got))
        return disks, fails
    try:
        listed = guarded("disks", s.arm_endpoint, lambda: list(compute.disks.list_by_resource_group(rg)), missing_ok=True)
    except ResourceNotFoundError:
        listed = []
    if isinstance(listed, NotChecked):
        return [], [listed]
    by_id = {(d.id or "").lower(): d for d in listed}
    return [
        disk_fact(provider, r.volume_handle, by_id[r.volume_handle.lower()])
        if r.volume_handle.lower() in by_id else _missing(provider, r.volume_handle)
        for r in refs
    ], []


def answer(provider: AzureProvider, questions: StorageQuestions) -> StorageAnswer:
    """Describe the managed disks behind the Azure Disk PVs."""
    groups: dict[str, list[VolumeRef]] = {}
    for ref in questions.volumes:
        if ref.driver not in AZURE_DISK_DRIVERS:
            continue
        rg = parse_resource_id(ref.volume_handle).get("resource_group")
        if rg:
            groups.setdefault(rg.lower(), []).append(ref)
    if not groups:
        return StorageAnswer()
    disks: list[Disk] = []
    not_checked: list[NotChecked] = []
    with ThreadPoolExecutor(max_workers=provider.max_workers, thread_name_prefix="r2c-azure-disk") as pool:
        futures = [pool.submit(_group, provider, parse_resource_id(refs[0].volume_handle)["resource_group"], refs)
                   for refs in groups.values()]
        for f in futures:
            d, nc = f.result()
            disks.extend(d)
            not_checked.extend(x for x in nc if x not in not_checked)
    return StorageAnswer(tuple(disks), tuple(not_checked))
