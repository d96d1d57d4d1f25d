"""Write a ClusterState as a snapshot directory that :func:`r2c_clouds.load_snapshot` reads back.

``r2c snapshot --output DIR`` calls :func:`write_snapshot`. The directory holds:

- ``<plural>.json`` per captured kind (``pods.json``, ``storageclasses.json``...): a typed
  list (``{"apiVersion": "v1", "kind": "PodList", "items": [...]}``) whose items carry
  ``kind`` and ``apiVersion``, like a troubleshoot.sh bundle. A typed list says its kind even
  when it is empty, so a kind captured with no objects stays *captured* on reload (a
  ``kind: List`` with no items could not say which kind it was). Only the fields r2c_clouds
  reads are written (the wire Structs), with defaults omitted.
- ``cloud-facts.json`` when cloud facts are given (:func:`r2c_clouds.kube.facts_file.dump_facts`).
- ``snapshot-info.json``: where the objects came from, the kinds captured and those not
  checked (forbidden...), object counts, and ``namespaces`` when only some namespaces were
  read (``r2c snapshot -n``), under ``snapshotInfo``. The document is an *empty*
  kubectl ``List`` (``"items": []``), so a tool that reads every file of the directory as
  Kubernetes objects (the snapshot loader, kubectl) finds nothing in it and no error.

Secret values are never written: a Secret item holds its metadata, ``type`` and, under
``data``, each key name mapped to ``null`` (key names only, as r2c_clouds keeps them). Secrets
read from a live cluster have no key names (they are listed as metadata only). Every object
passes :func:`r2c_clouds.kube.redact.redact` first: the last-applied-configuration
annotation, credential-looking env values, arguments and ConfigMap values are replaced by
``(redacted by r2c_clouds)``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import msgspec

from r2c_clouds.kube.kinds import KINDS, KindInfo
from r2c_clouds.kube.redact import redact, redact_meta
from r2c_clouds.model import kube as k
from r2c_clouds.model.cloud import CloudFacts
from r2c_clouds.model.cluster import ClusterState

__all__ = ["INFO_FILE", "INFO_SCHEMA", "write_snapshot"]

INFO_FILE = "snapshot-info.json"
INFO_SCHEMA = "r2c_clouds/snapshot-info/v1"

_ENC = msgspec.json.Encoder()


class _NotCheckedInfo(msgspec.Struct, kw_only=True):
    """One kind not checked, and why."""

    what: str
    reason: str


class _Info(msgspec.Struct, kw_only=True, rename="camel"):
    """What ``snapshot-info.json`` says about the snapshot."""

    schema: str
    source: str
    name: str | None
    server_version: str | None
    captured: list[str]
    not_checked: list[_NotCheckedInfo]
    objects: dict[str, int]
    files: list[str]
    namespaces: list[str] | None = None


class _ListMeta(msgspec.Struct, kw_only=True, rename="camel"):
    resource_version: str = ""


class _InfoDocument(msgspec.Struct, kw_only=True, rename="camel"):
    """``snapshot-info.json``: an empty List carrying :class:`_Info`."""

    api_version: str = "v1"
    kind: str = "List"
    metadata: _ListMeta = msgspec.field(default_factory=_ListMeta)
    items: list[Any] = msgspec.field(default_factory=list)
    snapshot_info: _Info


class _EarlierInfo(msgspec.Struct):
    files: list[str] = []


class _EarlierDocument(msgspec.Struct, rename="camel"):
    snapshot_info: _EarlierInfo = msgspec.field(default_factory=_EarlierInfo)


_INFO_DECODER = msgspec.json.Decoder(_EarlierDocument)


def write_snapshot(
    cluster: ClusterState, out_dir: str | os.PathLike[str], facts: CloudFacts | None = None
) -> list[Path]:
    """Write ``cluster`` (and ``facts``) as a snapshot directory.

    Args:
        cluster: the cluster to write.
        out_dir: the directory, created if missing. Writing again into a directory that holds
            an earlier snapshot replaces it: the files the earlier ``snapshot-info.json``
            lists and this one does not write (a kind no longer captured, a ``cloud-facts.json``
            when ``facts`` is ``None`` now) are removed. Other files are left alone, and
            ``load_snapshot`` would read them too.
        facts: cloud facts to record beside the objects, for the ``recorded`` provider.

    Returns:
        The files written, kinds first, then ``cloud-facts.json``, then ``snapshot-info.json``.

    Raises:
        OSError: the directory or a file cannot be written.

    .. versionadded:: 0.1
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    earlier = _earlier_files(out)
    written: list[Path] = []
    for ki in KINDS:
        if ki.kind not in cluster.captured:
            continue
        path = out / f"{ki.plural}.json"
        _write(path, _encode_list(ki, getattr(cluster, ki.field)))
        written.append(path)
    if facts is not None:
        from r2c_clouds.kube.facts_file import FACTS_FILE, dump_facts

        path = out / FACTS_FILE
        _write(path, dump_facts(facts))
        written.append(path)
    info = _Info(
        schema=INFO_SCHEMA,
        source=cluster.source,
        name=cluster.name,
        server_version=cluster.server_version,
        captured=sorted(cluster.captured),
        not_checked=[_NotCheckedInfo(what=nc.what, reason=nc.reason) for nc in cluster.not_checked],
        objects=cluster.object_counts(),
        files=[p.name for p in written],
        namespaces=list(cluster.scope.namespaces or ()) if cluster.scope.read_only_these else None,
    )
    path = out / INFO_FILE
    _write(path, msgspec.json.format(_ENC.encode(_InfoDocument(snapshot_info=info)), indent=2) + b"\n")
    written.append(path)
    for name in earlier - {p.name for p in written}:
        (out / name).unlink(missing_ok=True)
    return written


def _earlier_files(out: Path) -> set[str]:
    """The files an earlier snapshot in ``out`` wrote, from its ``snapshot-info.json``
    (plain names only: nothing outside ``out`` is ever touched)."""
    try:
        doc = _INFO_DECODER.decode((out / INFO_FILE).read_bytes())
    except (OSError, msgspec.DecodeError):
        return set()
    return {n for n in doc.snapshot_info.files if n == Path(n).name and n.endswith(".json")}


def _encode_list(ki: KindInfo, objs: Iterable[Any]) -> bytes:
    """A typed list whose items carry kind and apiVersion. Each item is encoded from its
    Struct and the two keys are spliced in front, which keeps 150,000 pods fast."""
    prefix = _ENC.encode({"apiVersion": ki.api_version, "kind": ki.kind})[:-1] + b","
    items = [prefix + _ENC.encode(_wire(o))[1:] for o in objs]
    head = _ENC.encode(
        {"apiVersion": ki.api_version, "kind": f"{ki.kind}List", "metadata": {"resourceVersion": ""}}
    )
    if not items:
        return head[:-1] + b',"items":[]}\n'
    return head[:-1] + b',"items":[\n' + b",\n".join(items) + b"\n]}\n"


def _wire(obj: Any) -> Any:
    """The wire form of an object: the Struct, redacted (:func:`r2c_clouds.kube.redact.redact`);
    Secrets as metadata, type and key names only."""
    if isinstance(obj, k.Secret):
        doc: dict[str, Any] = {"metadata": redact_meta(obj.metadata)}
        if obj.type is not None:
            doc["type"] = obj.type
        if obj.keys:
            doc["data"] = dict.fromkeys(obj.keys)
        return doc
    return redact(obj)


def _write(path: Path, data: bytes) -> None:
    """Write through a temporary file, so a failed write leaves no half file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
