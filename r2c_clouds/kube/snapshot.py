"""Load a cluster from files: the offline source of :class:`~r2c_clouds.model.cluster.ClusterState`.

Accepted layouts (see docs/snapshot-format.md):

* a ``kubectl get <kinds> -A -o json|yaml`` output: a ``List`` of mixed kinds (also the
  partial List kubectl writes when RBAC denies some kinds), a typed ``PodList`` whose items
  carry no kind, a bare JSON array, a single object, multi-document YAML;
* a directory of such files (``.json``, ``.yaml``, ``.yml``; other files are skipped), where a
  file name stands for the kind of items that carry none (``pods.json``);
* a ``kubectl cluster-info dump --output-directory`` tree. It holds only Nodes, Pods, Events,
  Services, Deployments, DaemonSets, ReplicaSets and ReplicationControllers: every other kind
  is reported in ``not_checked`` as ``not captured: kubectl cluster-info dump does not include
  <Kind>``, never as zero objects. Namespaces are *not* synthesized from the directory names:
  the dump may cover only some namespaces (``--namespaces``) and carries no Namespace labels,
  so ``Namespace`` is reported not captured like the other missing kinds;
* a troubleshoot.sh support bundle: a directory holding ``cluster-resources/`` (possibly
  under a ``support-bundle-*`` top directory), or the ``.tar.gz`` itself, read in memory
  (never extracted). ``<kind>-errors.json`` files become ``forbidden: <message>`` entries;
  kinds the bundle lacks are ``not captured: support bundle does not include <Kind>``. Pod
  logs, image pull secrets and ``auth-cani-list`` are never read.

A ``cloud-facts.json`` at the root of the directory or bundle is not a Kubernetes object:
its path is recorded in ``ClusterState.cloud_facts_path`` for the ``recorded`` provider.

Every problem raises :class:`~r2c_clouds.errors.SnapshotError` with one line naming the file,
the object and the field.
"""

from __future__ import annotations

import os
import re
import stat
import sys
import tarfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import BinaryIO, NamedTuple

import msgspec

from r2c_clouds._gc import freeze_if_large
from r2c_clouds.errors import ScopeError, SnapshotError
from r2c_clouds.kube._build import StateBuilder
from r2c_clouds.kube.decode import (
    Batch,
    decode_list_bytes,
    decode_yaml_bytes,
    feed,
    gc_paused,
    hint_kind,
)
from r2c_clouds.kube.facts_file import FACTS_FILE
from r2c_clouds.kube.kinds import KINDS, kind_for
from r2c_clouds.model.cluster import ClusterState
from r2c_clouds.model.scope import Scope

__all__ = ["MAX_ARCHIVE_BYTES", "MAX_ARCHIVE_RATIO", "MAX_FILE_BYTES", "MAX_MEMBER_BYTES", "MAX_TOTAL_BYTES", "load_manifests", "load_snapshot"]

#: A member of a bundle archive larger than this is refused (a decompression bomb guard).
MAX_MEMBER_BYTES = 4 * 2**30
#: The bytes read from one archive, all members together, are capped at this.
MAX_ARCHIVE_BYTES = 16 * 2**30
#: ... and at this many times the archive's own size (JSON compresses about 10-20x; a bomb
#: 1000x and more), with a floor of :data:`_RATIO_FLOOR` bytes.
MAX_ARCHIVE_RATIO = 200
_RATIO_FLOOR = 64 * 2**20
#: One snapshot file larger than this is refused (a 5,000-node cluster is about 1 GiB).
MAX_FILE_BYTES = 8 * 2**30
#: All the files of a snapshot directory together.
MAX_TOTAL_BYTES = 32 * 2**30

#: Written by ``r2c snapshot`` (r2c_clouds.kube.dump): where the objects came from, not-checked kinds.
INFO_FILE = "snapshot-info.json"
#: The file names that hold Kubernetes objects (besides FACTS_FILE and INFO_FILE).
OBJECT_SUFFIXES = (".json", ".yaml", ".yml")
_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz")
_DUMP_FILES = frozenset(
    f"{stem}{ext}"
    for stem in (
        "pods", "events", "services", "deployments", "daemonsets", "replicasets",
        "replication-controllers",
    )
    for ext in OBJECT_SUFFIXES
)
#: Directories of a bundle's cluster-resources/ that hold no objects (or secrets): never read.
_BUNDLE_SKIP_DIRS = frozenset({"image-pull-secrets", "auth-cani-list", "logs"})
#: Files of cluster-resources/ that are API discovery, not objects.
_BUNDLE_SKIP_FILES = frozenset({"groups.json", "resources.json"})
#: Error-file stems whose name differs from the kind's file name.
_ERROR_STEMS = {"storage": "StorageClass", "namespace": "Namespace"}


class _Entry(NamedTuple):
    """One file of a snapshot: its path relative to the root, how to name it, how to read it."""

    rel: PurePosixPath
    display: str
    read: Callable[[], bytes]
    size: int = 0


def load_snapshot(path: str | os.PathLike[str]) -> ClusterState:
    """Load a cluster from a snapshot file, directory or support bundle archive.

    Args:
        path: a JSON/YAML file, a directory (kubectl output files, a ``kubectl cluster-info
            dump`` tree, a support bundle) or a support bundle ``.tar.gz``.

    Returns:
        The cluster, with ``source`` ``snapshot:<path>``, the kinds captured, and
        ``not_checked`` entries for kinds the snapshot forbids or does not hold.

    Raises:
        SnapshotError: the path is missing or empty, or a file or object in it cannot be read.
    """
    with gc_paused():  # decoded structs hold no cycles; see decode.gc_paused
        cluster = _load(os.fspath(path))
        # before the GC is back: else its first collection walks every object just decoded
        freeze_if_large(sum(cluster.object_counts().values()))
    return cluster


def load_manifests(paths: Sequence[str | os.PathLike[str]], *, stdin: BinaryIO | None = None) -> ClusterState:
    """Load manifests about to be applied (``r2c scan -f``): the whole intended state.

    Every kind r2c reads counts as captured: a kind absent from the manifests is absent (no
    PodDisruptionBudget in them means none), not unknown. Files, directories (recursively:
    ``.json``, ``.yaml``, ``.yml``), and ``-`` for standard input (``helm template ... |
    r2c scan -f -``); multi-document YAML, Lists, Helm's ``# Source:`` comments (each object
    keeps the template file and line it came from, for SARIF).

    Raises:
        SnapshotError: a path is missing, or a file or object in it cannot be read; no
            Kubernetes object at all.
    """
    shown = ", ".join(os.fspath(p) for p in paths) or "-"
    builder = StateBuilder(source=f"manifests:{shown}", name=None)
    builder.manifests = True
    with gc_paused():
        for raw in paths:
            text = os.fspath(raw)
            if text == "-":
                stream = stdin if stdin is not None else sys.stdin.buffer
                data = stream.read()
                entries = [_Entry(PurePosixPath("stdin"), "-", _constant(data), len(data))]
            else:
                p = Path(text)
                if not p.exists():
                    raise SnapshotError(text, "no such file or directory")
                if p.is_dir():
                    entries = [e for e in _walk_dir(p) if e.rel.name != FACTS_FILE]
                elif p.is_file():
                    entries = [_file_entry(p, PurePosixPath(p.name), text)]
                else:
                    raise SnapshotError(text, "not a regular file or directory")
            for entry in entries:
                data = _read(entry)
                kept = _Entry(entry.rel, entry.display, _constant(data), len(data))
                _load_file(builder, kept, single=len(entries) == 1)
                builder.manifest_texts.append((entry.display, data))
        if not builder.captured and not builder.ignored:
            raise SnapshotError(shown, "no Kubernetes objects found")
        for ki in KINDS:  # the whole intended state: what is not in it does not exist
            builder.mark_captured(ki.kind)
        cluster = builder.build()
        freeze_if_large(sum(cluster.object_counts().values()))
    return cluster


def _load(text: str) -> ClusterState:
    p = Path(text)
    if not p.exists():
        raise SnapshotError(text, "no such file or directory")
    builder = StateBuilder(source=f"snapshot:{text}", name=_stem(p))
    if p.is_dir():
        entries = list(_walk_dir(p))
    elif _is_archive(p.name):
        entries = list(_archive_entries(p, text))
    elif p.is_file():
        if p.name == FACTS_FILE:
            raise SnapshotError(text, f"{FACTS_FILE} holds cloud facts, not Kubernetes objects")
        _load_file(builder, _file_entry(p, PurePosixPath(p.name), text), single=True)
        return _finish(builder, text)
    else:
        raise SnapshotError(text, "not a regular file or directory")
    _load_tree(builder, entries, text)
    return _finish(builder, text)


def _finish(builder: StateBuilder, text: str) -> ClusterState:
    # objects of kinds no rule reads are Kubernetes objects all the same: a file of
    # HTTPRoutes scans (to no findings) and the report names what it skipped
    if not builder.captured and not builder.ignored and not builder.not_checked:
        raise SnapshotError(text, "no Kubernetes objects found")
    return builder.build()


def _stem(p: Path) -> str:
    name = p.resolve().name if p.name in ("", ".", "..") else p.name
    for suffix in (*_ARCHIVE_SUFFIXES, *OBJECT_SUFFIXES):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)] or name
    return name


def _is_archive(name: str) -> bool:
    return name.lower().endswith(_ARCHIVE_SUFFIXES)


# --------------------------------------------------------------------------- reading files


def _file_entry(path: Path, rel: PurePosixPath, display: str) -> _Entry:
    """A regular file to read, at most :data:`MAX_FILE_BYTES` (a FIFO or a device would hang
    the loader or never end: refused by name)."""
    try:
        st = path.stat()
    except OSError as exc:
        raise SnapshotError(display, f"cannot read ({exc.strerror or _first_line(exc)})") from None
    if not stat.S_ISREG(st.st_mode):
        what = "a FIFO" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode) else "a device"
        raise SnapshotError(display, f"not a regular file ({what}); only regular files are read")
    if st.st_size > MAX_FILE_BYTES:
        raise SnapshotError(display, f"file too large ({st.st_size} bytes, limit {MAX_FILE_BYTES})")

    def read() -> bytes:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise SnapshotError(display, f"file too large (over {MAX_FILE_BYTES} bytes)")
        return data

    return _Entry(rel, display, read, st.st_size)


def _walk_dir(root: Path) -> Iterator[_Entry]:
    """Every file under ``root`` (sorted, hidden entries skipped); archives are opened in place.

    Raises:
        SnapshotError: a snapshot file that is not a regular file, or files over the limits.
    """
    total = 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        base = Path(dirpath)
        rel_dir = PurePosixPath(*base.relative_to(root).parts)
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            full = base / name
            rel = rel_dir / name
            if _is_archive(name):
                for e in _archive_entries(full, str(full)):
                    total += e.size
                    yield _Entry(rel / e.rel, e.display, e.read, e.size)
            elif name.lower().endswith(OBJECT_SUFFIXES):
                entry = _file_entry(full, rel, str(full))
                total += entry.size
                yield entry
            else:
                continue
            if total > MAX_TOTAL_BYTES:
                raise SnapshotError(str(root), f"snapshot too large (over {MAX_TOTAL_BYTES} bytes in all)")


def _wanted_member(rel: PurePosixPath) -> bool:
    if not rel.name.lower().endswith(OBJECT_SUFFIXES):
        return False
    parts = rel.parts
    if "cluster-resources" in parts:
        sub = parts[parts.index("cluster-resources") + 1 :]
        if any(d in _BUNDLE_SKIP_DIRS for d in sub[:-1]):
            return False
    return True


def _archive_entries(p: Path, display: str) -> Iterator[_Entry]:
    """The JSON/YAML members of a ``.tar.gz``, read in one streaming pass into memory.

    Links, devices, absolute paths and ``..`` components are skipped; members larger than
    :data:`MAX_MEMBER_BYTES` (or archives above :data:`MAX_ARCHIVE_BYTES`) are refused.
    """
    total = 0
    out: list[_Entry] = []
    try:
        budget = min(MAX_ARCHIVE_BYTES, max(_RATIO_FLOOR, MAX_ARCHIVE_RATIO * p.stat().st_size))
        if not stat.S_ISREG(p.stat().st_mode):
            raise SnapshotError(display, "not a regular file; only regular files are read")
        with tarfile.open(p, mode="r|*") as tf:
            for member in tf:
                if not member.isfile():
                    continue
                name = member.name.replace("\\", "/")
                rel = PurePosixPath(name)
                if name.startswith("/") or ".." in rel.parts or not rel.parts:
                    continue
                rel = PurePosixPath(*[x for x in rel.parts if x not in (".", "")])
                if not _wanted_member(rel):
                    continue
                where = f"{display}:{rel}"
                if member.size > MAX_MEMBER_BYTES:
                    raise SnapshotError(
                        where, f"archive member too large ({member.size} bytes, limit {MAX_MEMBER_BYTES})"
                    )
                total += member.size
                if total > budget:
                    raise SnapshotError(
                        display,
                        f"archive expands to over {budget} bytes ({MAX_ARCHIVE_RATIO}x its size, at most "
                        f"{MAX_ARCHIVE_BYTES}): refused as a decompression bomb",
                    )
                f = tf.extractfile(member)
                if f is None:
                    continue
                data = f.read(member.size + 1)
                if len(data) > member.size:  # pragma: no cover - tarfile stops at the member size
                    raise SnapshotError(where, "archive member larger than its header says")
                out.append(_Entry(rel, where, _constant(data), len(data)))
    except SnapshotError:
        raise
    except (tarfile.TarError, EOFError, OSError, ValueError) as exc:
        raise SnapshotError(display, f"not a readable .tar.gz archive ({_first_line(exc)})") from None
    yield from out


def _constant(data: bytes) -> Callable[[], bytes]:
    return lambda: data


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _read(entry: _Entry) -> bytes:
    try:
        return entry.read()
    except OSError as exc:
        raise SnapshotError(entry.display, f"cannot read ({exc.strerror or _first_line(exc)})") from None


def _decode(
    builder: StateBuilder, entry: _Entry, hint: str | None, *, single: bool = False
) -> Iterator[Batch]:
    data = _read(entry)
    if b"Error from server" in data:
        data = _kubectl_errors(builder, data)
    name = entry.rel.name.lower()
    if name.endswith(".json"):
        return decode_list_bytes(data, entry.display, hint=hint)
    if name.endswith((".yaml", ".yml")):
        return decode_yaml_bytes(data, entry.display, hint=hint)
    # a single file named without a known extension: sniff
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] if single else b""
    if head in (b"{", b"["):
        return decode_list_bytes(data, entry.display, hint=hint)
    return decode_yaml_bytes(data, entry.display, hint=hint)


_KUBECTL_ERROR = re.compile(rb"^Error from server \((\w+)\): ([^\r\n]*)\r?\n?", re.MULTILINE)


def _kubectl_errors(builder: StateBuilder, data: bytes) -> bytes:
    """Drop the ``Error from server (Forbidden): ...`` lines kubectl writes to stderr when
    stderr was redirected into the same file (``&>``), recording the kinds they name."""
    for m in _KUBECTL_ERROR.finditer(data):
        message = " ".join(m.group(2).decode("utf-8", "replace").split())
        kind = _kind_in_message(message)
        if kind is not None:
            reason = "forbidden" if m.group(1) == b"Forbidden" else m.group(1).decode("ascii").lower()
            builder.forbid(kind, f"{reason}: {message}")
    return _KUBECTL_ERROR.sub(b"", data)


def _load_file(builder: StateBuilder, entry: _Entry, *, hint: str | None = None, single: bool = False) -> None:
    if hint is None:
        hint = _file_hint(entry.rel)
    feed(builder, _decode(builder, entry, hint, single=single))


def _file_hint(rel: PurePosixPath) -> str | None:
    """The kind a file's name (or, failing that, its directory's) stands for."""
    stem = _stem(Path(rel.name))
    if hint_kind(stem) is not None:
        return stem
    parent = rel.parent.name
    if parent and not parent.lower().endswith(OBJECT_SUFFIXES) and hint_kind(parent) is not None:
        return parent
    return None


# --------------------------------------------------------------------------- layouts


def _load_tree(builder: StateBuilder, entries: list[_Entry], text: str) -> None:
    bundle_root = _bundle_root(entries)
    if bundle_root is not None:
        _load_bundle(builder, entries, bundle_root)
    elif _is_dump(entries):
        _load_plain(builder, entries)
        if not builder.captured and not builder.ignored:
            raise SnapshotError(text, "no Kubernetes objects found")
        _mark_missing(builder, "kubectl cluster-info dump")
    else:
        _load_plain(builder, entries)


def _load_plain(builder: StateBuilder, entries: list[_Entry]) -> None:
    for entry in entries:
        if entry.rel.name == FACTS_FILE:
            if len(entry.rel.parts) == 1:
                builder.cloud_facts_path = entry.display
            continue  # cloud facts are never Kubernetes objects, wherever they sit
        if entry.rel == PurePosixPath(INFO_FILE):
            _snapshot_info(builder, entry)
            continue
        _load_file(builder, entry)


class _NotCheckedInfo(msgspec.Struct):
    what: str
    reason: str


class _Info(msgspec.Struct, rename="camel"):
    name: str | None = None
    server_version: str | None = None
    not_checked: list[_NotCheckedInfo] = []
    namespaces: list[str] | None = None


class _InfoDocument(msgspec.Struct, rename="camel"):
    snapshot_info: _Info | None = None


def _snapshot_info(builder: StateBuilder, entry: _Entry) -> None:
    """``snapshot-info.json`` from ``r2c snapshot``: restore the cluster name, server version
    and the kinds that were not checked when the snapshot was taken."""
    try:
        doc = msgspec.json.decode(_read(entry), type=_InfoDocument)
    except msgspec.ValidationError as exc:
        raise SnapshotError(entry.display, f"malformed snapshot info ({_first_line(exc)})") from None
    except (msgspec.DecodeError, ValueError, RecursionError) as exc:
        raise SnapshotError(entry.display, f"malformed JSON ({_first_line(exc)})") from None
    info = doc.snapshot_info
    if info is None:
        return
    if info.name:
        builder.name = info.name
    builder.server_version = info.server_version or builder.server_version
    for nc in info.not_checked:
        builder.forbid(nc.what, nc.reason)
    if info.namespaces is not None:  # a live read of some namespaces only (r2c snapshot -n)
        try:
            builder.scope = Scope(namespaces=info.namespaces, read_only_these=True)
        except ScopeError as exc:
            raise SnapshotError(entry.display, f"malformed snapshot info ({exc})") from None


def _is_dump(entries: list[_Entry]) -> bool:
    """A ``kubectl cluster-info dump`` tree: ``nodes.json`` at the root and ``<ns>/pods.json``..."""
    top = {e.rel.name.lower() for e in entries if len(e.rel.parts) == 1}
    if not top & {"nodes.json", "nodes.yaml", "nodes.yml"}:
        return False
    return any(len(e.rel.parts) == 2 and e.rel.name.lower() in _DUMP_FILES for e in entries)


def _mark_missing(builder: StateBuilder, what: str) -> None:
    """Report every kind the source does not hold (and was not forbidden) as not captured."""
    noted = {nc.what for nc in builder.not_checked}
    for ki in KINDS:
        if ki.kind not in builder.captured and ki.kind not in noted:
            builder.forbid(ki.kind, f"not captured: {what} does not include {ki.kind}")


def _bundle_root(entries: list[_Entry]) -> PurePosixPath | None:
    best: PurePosixPath | None = None
    for e in entries:
        parts = e.rel.parts
        if "cluster-resources" in parts[:-1]:
            root = PurePosixPath(*parts[: parts.index("cluster-resources")])
            if best is None or len(root.parts) < len(best.parts):
                best = root
    return best


def _load_bundle(builder: StateBuilder, entries: list[_Entry], root: PurePosixPath) -> None:
    resources = root / "cluster-resources"
    crds_listed = False
    for entry in entries:
        rel = entry.rel
        if rel in (PurePosixPath(FACTS_FILE), root / FACTS_FILE):
            if builder.cloud_facts_path is None or rel == root / FACTS_FILE:
                builder.cloud_facts_path = entry.display
            continue
        if rel == root / "cluster-info" / "cluster_version.json":
            builder.server_version = _server_version(_read(entry)) or builder.server_version
            continue
        if not rel.is_relative_to(resources):
            continue
        sub = rel.relative_to(resources).parts
        name = sub[-1]
        low = name.lower()
        if any(d in _BUNDLE_SKIP_DIRS for d in sub[:-1]) or low in _BUNDLE_SKIP_FILES:
            continue
        if low.endswith("-errors.json") and (len(sub) == 1 or sub[0] == "custom-resources"):
            _bundle_errors(builder, entry, name[: -len("-errors.json")])
            continue
        if sub[0] == "custom-resources":
            # custom-resources/<crd>.json (cluster-scoped) or custom-resources/<crd>/<ns>.json
            hint = _stem(Path(name)) if len(sub) == 2 else sub[1]
        elif len(sub) == 1:
            hint = _stem(Path(name))
            if low.startswith("custom-resource-definitions"):
                crds_listed = True
        else:
            # <kind-dir>/<ns>.json; a directory named like a file (replicasets written to
            # "statefulsets-errors.json/<ns>.json" by some troubleshoot versions) names nothing.
            hint = sub[0] if not sub[0].lower().endswith(".json") else ""
        _load_file(builder, entry, hint=hint or None)
    if crds_listed:
        forbidden = {nc.what for nc in builder.not_checked}
        for ki in KINDS:
            if ki.optional and ki.kind not in forbidden:
                builder.mark_captured(ki.kind)  # no file for a CRD = no objects of it
    _mark_missing(builder, "support bundle")


class _Version(msgspec.Struct):
    string: str | None = None


def _server_version(data: bytes) -> str | None:
    try:
        return msgspec.json.decode(data, type=_Version).string
    except (msgspec.MsgspecError, ValueError, RecursionError):
        return None


def _bundle_errors(builder: StateBuilder, entry: _Entry, stem: str) -> None:
    """``pods-errors.json``: a JSON array (or, in old bundles, an object) of error strings."""
    try:
        errors = msgspec.json.decode(_read(entry))
    except (msgspec.MsgspecError, ValueError, RecursionError) as exc:
        raise SnapshotError(entry.display, f"malformed errors file ({_first_line(exc)})") from None
    if isinstance(errors, dict):
        messages = [str(v) for v in errors.values()]
    elif isinstance(errors, list):
        messages = [str(v) for v in errors]
    elif errors is None:
        messages = []
    else:
        raise SnapshotError(entry.display, "malformed errors file (expected an array of messages)")
    messages = [" ".join(m.split()) for m in messages if m and m.strip()]
    if not messages:
        return
    if stem == "custom-resources":
        for message in messages:
            kind = _kind_in_message(message)
            if kind is not None:
                builder.forbid(kind, f"forbidden: {message}")
        return
    ki = kind_for(stem)
    kind = ki.kind if ki is not None else _ERROR_STEMS.get(stem.lower())
    if kind is None:
        return  # a kind no rule reads (jobs-errors.json, groups-resources-errors.json...)
    builder.forbid(kind, f"forbidden: {messages[0]}" + (f" (+{len(messages) - 1} more)" if len(messages) > 1 else ""))


def _kind_in_message(message: str) -> str | None:
    """The kind named in ``... cannot list resource "scaledobjects" in API group "keda.sh" ...``."""
    m = re.search(r'resource "([^"]+)" in API group "([^"]*)"', message)
    if m is None:
        return None
    ki = kind_for(f"{m.group(1)}.{m.group(2)}") or kind_for(m.group(1))
    return ki.kind if ki is not None else None
