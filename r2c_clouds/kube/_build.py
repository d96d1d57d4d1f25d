"""Assemble a ClusterState from decoded objects: shared by the live reader and the snapshot loader."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import msgspec

from r2c_clouds.kube.decode import without_nulls
from r2c_clouds.kube.kinds import KINDS, KindInfo
from r2c_clouds.model import kube as k
from r2c_clouds.model.cloud import NotChecked
from r2c_clouds.model.cluster import ClusterState
from r2c_clouds.model.scope import Scope

__all__ = ["StateBuilder"]


#: The namespace kubectl gives a namespaced object that names none (``kubectl apply -f``).
DEFAULT_NAMESPACE = "default"


class StateBuilder:
    """Collects objects per kind, which kinds were captured, forbidden or not captured.

    A namespaced object without ``metadata.namespace`` (a manifest) is placed in
    ``default_namespace``, as kubectl places it, so that every namespaced object has a
    namespace and every cluster-scoped one has none.
    """

    def __init__(
        self, source: str, name: str | None = None, *, default_namespace: str = DEFAULT_NAMESPACE
    ) -> None:
        self.source = source
        self.name = name
        self.default_namespace = default_namespace
        self.objects: dict[str, list[Any]] = defaultdict(list)
        self.captured: set[str] = set()
        self.not_checked: list[NotChecked] = []
        self.ignored: dict[str, int] = defaultdict(int)
        self.cloud_facts_path: str | None = None
        self.server_version: str | None = None
        self.scope = Scope()
        self.manifests = False
        self.manifest_texts: list[tuple[str, bytes]] = []

    def add(self, ki: KindInfo, obj: Any) -> None:
        """Add one decoded object (a Secret's wire form is reduced to key names here)."""
        self.extend(ki, [obj])

    def extend(self, ki: KindInfo, objs: list[Any]) -> None:
        """Add many decoded objects of one kind."""
        if ki.wire is k.SecretWire:
            objs = [o.to_secret() for o in objs]  # SecretWire, or a Secret from plain values
        if ki.optional:  # custom resources keep free-form subtrees: null is absent there too
            objs = [_free_form_without_nulls(o) for o in objs]
        if ki.namespaced:
            ns = self.default_namespace
            objs = [_in_namespace(o, ns) if o.metadata.namespace is None else o for o in objs]
        self.objects[ki.kind].extend(objs)
        self.captured.add(ki.kind)

    def mark_captured(self, kind: str) -> None:
        """Record that a kind was listed (possibly empty)."""
        self.captured.add(kind)

    def forbid(self, kind: str, reason: str) -> None:
        """Record that a kind could not be listed (403, missing from the dump...)."""
        self.not_checked.append(NotChecked(kind, reason))

    def ignore(self, kind: str, count: int = 1) -> None:
        """Count objects of a kind no rule reads."""
        self.ignored[kind] += count

    def build(self) -> ClusterState:
        """Freeze what was collected. A kind that is both forbidden somewhere and captured
        elsewhere (a partial List) stays captured, and keeps its not-checked note."""
        fields: dict[str, tuple[Any, ...]] = {}
        for ki in KINDS:
            objs = self.objects.get(ki.kind, [])
            fields[ki.field] = tuple(_dedupe(objs))
        return ClusterState(
            source=self.source,
            name=self.name,
            captured=frozenset(self.captured),
            not_checked=tuple(self.not_checked),
            ignored=dict(self.ignored),
            cloud_facts_path=self.cloud_facts_path,
            server_version=self.server_version,
            scope=self.scope,
            manifests=self.manifests,
            manifest_texts=tuple(self.manifest_texts),
            **fields,
        )


def _free_form_without_nulls(obj: Any) -> Any:
    """``obj`` with ``null`` members dropped from its plain-dict subtrees (a custom
    resource's ``spec``/``status`` are kept as dicts), recursing through structs."""
    changes: dict[str, Any] = {}
    for name in obj.__struct_fields__:
        value = getattr(obj, name)
        if isinstance(value, (dict, list)):
            clean = without_nulls(value)
            if clean != value:
                changes[name] = clean
        elif isinstance(value, msgspec.Struct):
            clean = _free_form_without_nulls(value)
            if clean is not value:
                changes[name] = clean
    return msgspec.structs.replace(obj, **changes) if changes else obj


def _in_namespace(obj: Any, namespace: str) -> Any:
    return msgspec.structs.replace(obj, metadata=msgspec.structs.replace(obj.metadata, namespace=namespace))


def _dedupe(objs: list[Any]) -> list[Any]:
    """Drop repeated objects (same namespace/name, e.g. a kind present in two files),
    keeping the first one seen. Events are keyed by name too (names are unique per namespace)."""
    if len(objs) < 2:
        return objs
    seen: set[tuple[str | None, str]] = set()
    out = []
    for o in objs:
        meta = o.metadata
        key = (meta.namespace, meta.name)
        if key in seen:
            continue
        seen.add(key)
        out.append(o)
    return out
