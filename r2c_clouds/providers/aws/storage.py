"""Storage loop on AWS: the EBS volumes behind PersistentVolumes.

``ec2:DescribeVolumes`` with a ``volume-id`` filter, 200 values per call (EC2's filter-value
cap): a filter never fails on an unknown id (``VolumeIds`` would fail the whole call with
``InvalidVolume.NotFound``), so a volume that is not returned does not exist.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from r2c_clouds.loops.storage import StorageAnswer, StorageQuestions
from r2c_clouds.model.cloud import Disk, Provenance
from r2c_clouds.providers.kit import CallFailed, chunks

if TYPE_CHECKING:
    from r2c_clouds.providers.aws import AwsProvider

__all__ = ["EBS_DRIVERS", "VOLUME_CHUNK", "answer"]

#: CSI driver / in-tree plugin names whose volume handles are EBS volume ids.
EBS_DRIVERS = frozenset({"ebs.csi.aws.com", "kubernetes.io/aws-ebs"})
#: volume ids per DescribeVolumes call: EC2 accepts at most 200 filter values.
VOLUME_CHUNK = 200
_VOLUME_ID = re.compile(r"^vol-[0-9a-f]{8,17}$")
CALL = "ec2:DescribeVolumes"


def _disk(v: dict[str, Any]) -> Disk:
    vid = str(v["VolumeId"])
    zone = v.get("AvailabilityZone")
    return Disk(
        volume_handle=vid,
        provenance=Provenance("aws", CALL, vid),
        zones=(str(zone),) if zone else (),
        sku=v.get("VolumeType"),
        state=v.get("State"),
        zone_redundant=False,  # EBS volumes are always zonal (Multi-Attach stays in one zone)
        attached_to=tuple(sorted({str(a["InstanceId"]) for a in v.get("Attachments", []) if a.get("InstanceId")})),
    )


def answer(provider: AwsProvider, questions: StorageQuestions) -> StorageAnswer:
    """Describe the EBS volumes behind the PVs, in chunks of :data:`VOLUME_CHUNK`."""
    clients = provider.clients
    handles = sorted({v.volume_handle for v in questions.volumes if v.driver in EBS_DRIVERS})
    ids = [h for h in handles if _VOLUME_ID.match(h)]
    disks: list[Disk] = [
        Disk(volume_handle=h, provenance=Provenance("aws", CALL, h), exists=False)
        for h in handles if not _VOLUME_ID.match(h)
    ]

    def one(chunk: tuple[str, ...]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for page in clients.pages("ec2", "describe_volumes", Filters=[{"Name": "volume-id", "Values": list(chunk)}]):
            out.extend(page.get("Volumes", []))
        return out

    try:
        found: dict[str, dict[str, Any]] = {}
        for batch in provider.workers.map(one, [tuple(c) for c in chunks(ids, VOLUME_CHUNK)]):
            for v in batch:
                found[str(v["VolumeId"])] = v
    except CallFailed as exc:
        return StorageAnswer(not_checked=(exc.not_checked("disks"),))
    for vid in ids:
        doc = found.get(vid)
        disks.append(_disk(doc) if doc is not None else
                     Disk(volume_handle=vid, provenance=Provenance("aws", CALL, vid), exists=False))
    return StorageAnswer(disks=tuple(sorted(disks, key=lambda d: d.volume_handle)))
