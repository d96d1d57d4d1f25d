"""Storage loop: the cloud disks behind PersistentVolumes (zone, SKU, attachments)."""

from __future__ import annotations

from typing import Protocol

from attrs import frozen

from r2c_clouds.model import kube as k
from r2c_clouds.model.cloud import Disk, NotChecked
from r2c_clouds.model.cluster import ClusterState

__all__ = ["StorageAnswer", "StorageLoop", "StorageQuestions", "VolumeRef", "storage_questions", "volume_ref"]


@frozen
class VolumeRef:
    """A PV's cloud volume: the CSI driver (or in-tree plugin) and the volume handle."""

    pv: str
    driver: str
    volume_handle: str


@frozen
class StorageQuestions:
    volumes: tuple[VolumeRef, ...] = ()


@frozen
class StorageAnswer:
    disks: tuple[Disk, ...] = ()
    not_checked: tuple[NotChecked, ...] = ()


class StorageLoop(Protocol):
    """What a provider answers for the storage loop."""

    def storage(self, questions: StorageQuestions) -> StorageAnswer:
        """Describe the disks behind the PVs (zones, SKU, state, attachments)."""
        ...


def volume_ref(pv: k.PersistentVolume) -> VolumeRef | None:
    """The cloud volume behind a PV, for CSI and the in-tree cloud plugins."""
    s = pv.spec
    name = pv.metadata.name
    if s.csi is not None:
        return VolumeRef(name, s.csi.driver, s.csi.volume_handle)
    if s.aws_elastic_block_store is not None:
        vid = s.aws_elastic_block_store.volume_id.rsplit("/", 1)[-1]
        return VolumeRef(name, "kubernetes.io/aws-ebs", vid)
    if s.azure_disk is not None and s.azure_disk.disk_uri:
        return VolumeRef(name, "kubernetes.io/azure-disk", s.azure_disk.disk_uri)
    if s.gce_persistent_disk is not None:
        return VolumeRef(name, "kubernetes.io/gce-pd", s.gce_persistent_disk.pd_name)
    return None


def storage_questions(cluster: ClusterState) -> StorageQuestions:
    """One VolumeRef per distinct volume handle."""
    seen: dict[str, VolumeRef] = {}
    for pv in cluster.pvs:
        ref = volume_ref(pv)
        if ref is not None and ref.volume_handle not in seen:
            seen[ref.volume_handle] = ref
    return StorageQuestions(tuple(sorted(seen.values(), key=lambda r: r.volume_handle)))
