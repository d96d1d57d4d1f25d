"""Decode Kubernetes list and object bytes into the wire structs of :mod:`r2c_clouds.kube.kinds`.

Shared by the snapshot loader and the live reader. The public functions are::

    decode_list_bytes(data: bytes, source: str, *, hint: str | None = None) -> Iterator[Batch]
        JSON: a ``List`` (mixed kinds), a typed ``PodList`` (items without kind), a bare
        array, or a single object.
    decode_yaml_bytes(data: bytes, source: str, *, hint: str | None = None) -> Iterator[Batch]
        The same shapes in YAML, one or many documents.
    decode_page(data: bytes, ki: KindInfo, source: str) -> Page
        One API list page (``GET /api/v1/pods?limit=500``) of a known kind, with its
        ``metadata.continue`` token: what the live reader calls per page.
    hint_kind(name: str) -> tuple[str, str | None] | None
        The kind (and apiVersion, when fixed) a file or directory name stands for.
    feed(builder: StateBuilder, batches: Iterable[Batch]) -> int
        Add batches to a StateBuilder (objects, captured kinds, ignored counts).

A :class:`Batch` is ``(kind, info, objs, size)``: ``info`` is the kind's
:class:`~r2c_clouds.kube.kinds.KindInfo` and ``objs`` its decoded structs; ``info is None``
means a kind no rule reads (a built-in kind in ``IGNORED_KINDS``, a removed kind, a custom
resource), counted but not decoded: the report names what was skipped. A typed empty list (``{"kind": "PodList", "items": []}``) yields a
batch with no objects, so the kind still counts as captured.

How the kind of an item is found: the item's ``kind``/``apiVersion``; else the list's kind
(``PodList`` → ``Pod``, with the list's apiVersion); else ``hint`` (a file name such as
``pods`` or ``scaledobjects.keda.sh``). An unknown kind in a group whose kinds are fixed
(core ``v1``, ``apps``, ``batch``, ``autoscaling``, ``policy``, ``extensions``: see
:data:`~r2c_clouds.kube.kinds.CLOSED_GROUPS`) is an error, as the API server refuses it; an
unknown kind in any other group (Gateway API, ``VerticalPodAutoscaler``, a CRD) is skipped
and counted. ``events.k8s.io/v1`` Events are mapped
onto the core Event fields.

JSON is decoded in two passes over the bytes, both in C: a pass that reads only each item's
``kind``/``apiVersion``, then one typed decode of the whole document when every item has the
same kind (the common case: 150,000 pods are one ``Decoder(PodList).decode`` call). Lists of
mixed kinds are split into runs of one kind, each decoded as one array.

``null`` is read as the API server reads it (:func:`api_values`): a field set to null is the
field left out, a null map entry is the key with its zero value. The typed decode refuses a
null where it wants a value; only then is the object decoded to plain values, read that way
and converted, so input without such nulls keeps the fast path.

Every problem is a one-line :class:`~r2c_clouds.errors.SnapshotError` naming ``source``,
the object (``Pod/shop/api-7d9 (items[3])``) and the field path (``$.spec.containers[0].name``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import msgspec
import yaml

from r2c_clouds._gc import gc_paused
from r2c_clouds.errors import SnapshotError
from r2c_clouds.kube.kinds import (
    CLOSED_GROUPS,
    IGNORED_KINDS,
    KINDS_BY_NAME,
    KindInfo,
    decoder,
    kind_for,
)
from r2c_clouds.model import kube as k

if TYPE_CHECKING:
    from r2c_clouds.kube._build import StateBuilder

__all__ = [
    "Batch",
    "Page",
    "api_values",
    "decode_list_bytes",
    "decode_page",
    "decode_yaml_bytes",
    "feed",
    "gc_paused",
    "hint_kind",
    "looks_builtin",
    "without_nulls",
]


class Batch(NamedTuple):
    """Objects of one kind decoded from one list (or object).

    Args:
        kind: the Kubernetes kind (``Pod``; for a custom resource, its kind as written).
        info: the kind's row in the kinds table, ``None`` for a kind no rule reads.
        objs: the decoded structs (empty when ``info`` is ``None``).
        size: how many objects (``len(objs)``, or the number ignored).
    """

    kind: str
    info: KindInfo | None
    objs: list[Any]
    size: int


class Page(NamedTuple):
    """One API list page.

    Args:
        items: the decoded structs (events.k8s.io Events already mapped onto core Events).
        continue_token: ``metadata.continue``, ``None`` on the last page.
        resource_version: ``metadata.resourceVersion`` of the list.
    """

    items: list[Any]
    continue_token: str | None
    resource_version: str | None


# --------------------------------------------------------------------------- envelopes


class _Head(msgspec.Struct, rename="camel"):
    kind: str | None = None
    api_version: str | None = None


class _HeadList(msgspec.Struct, rename="camel"):
    kind: str | None = None
    api_version: str | None = None
    items: list[_Head] | None = None


class _RawList(msgspec.Struct):
    items: list[msgspec.Raw] = []


class _ListMeta(msgspec.Struct, rename="camel"):
    continue_: str | None = msgspec.field(default=None, name="continue")
    resource_version: str | None = None


class _NameMeta(msgspec.Struct):
    name: Any = None
    namespace: Any = None


class _Named(msgspec.Struct):
    kind: Any = None
    metadata: _NameMeta | None = None


_HEAD_LIST = msgspec.json.Decoder(_HeadList)
_HEAD_ARRAY = msgspec.json.Decoder(list[_Head])
_RAW_LIST = msgspec.json.Decoder(_RawList)
_RAW_ARRAY = msgspec.json.Decoder(list[msgspec.Raw])
_NAMED = msgspec.json.Decoder(_Named)


# --------------------------------------------------------------------------- events.k8s.io/v1


class _EventSeries(k._S, frozen=True):
    count: int | None = None
    last_observed_time: str | None = None


class _EventV1(k._S, frozen=True):
    """Wire shape of an ``events.k8s.io/v1`` Event (mapped onto :class:`k.Event`)."""

    metadata: k.ObjectMeta
    regarding: k.ObjectReference = k.ObjectReference()
    reason: str | None = None
    note: str | None = None
    type: str | None = None
    event_time: str | None = None
    series: _EventSeries | None = None
    reporting_controller: str | None = None
    reporting_instance: str | None = None
    deprecated_source: k.EventSource | None = None
    deprecated_first_timestamp: str | None = None
    deprecated_last_timestamp: str | None = None
    deprecated_count: int | None = None

    def to_core(self) -> k.Event:
        series = self.series
        count = self.deprecated_count
        last = self.deprecated_last_timestamp
        if series is not None:
            count = count or series.count
            last = last or series.last_observed_time
        source = self.deprecated_source or k.EventSource(
            component=self.reporting_controller, host=self.reporting_instance
        )
        return k.Event(
            metadata=self.metadata,
            involved_object=self.regarding,
            reason=self.reason,
            message=self.note,
            type=self.type,
            count=count,
            first_timestamp=self.deprecated_first_timestamp,
            last_timestamp=last,
            event_time=self.event_time,
            source=source,
            reporting_component=self.reporting_controller,
        )


def _events_v1(objs: list[Any]) -> list[Any]:
    return [o.to_core() for o in objs]


# --------------------------------------------------------------------------- kind resolution


class _Read(NamedTuple):
    info: KindInfo
    wire: Any
    post: Callable[[list[Any]], list[Any]] | None


class _Ignore(NamedTuple):
    kind: str


_Resolution = _Read | _Ignore


def _group(api_version: str | None) -> str | None:
    if api_version is None:
        return None
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def looks_builtin(group: str | None) -> bool:
    """Is ``group`` a Kubernetes API group (core, no dot, or ``*.k8s.io``), or unknown?"""
    return group is None or "." not in group or group.endswith(".k8s.io")


_RESOLVED: dict[tuple[str | None, str | None], _Resolution | str] = {}


def _resolve(kind: str | None, api_version: str | None) -> _Resolution | str:
    """What to do with an object of ``kind``/``api_version``; a string is an error."""
    key = (kind, api_version)
    hit = _RESOLVED.get(key)
    if hit is None:
        if len(_RESOLVED) > 4096:  # odd inputs can name endless kinds: keep the cache small
            _RESOLVED.clear()
        hit = _RESOLVED[key] = _resolve_uncached(kind, api_version)
    return hit


def _resolve_uncached(kind: str | None, api_version: str | None) -> _Resolution | str:
    if not kind:
        return "object has no kind (and none can be inferred from its list or file name)"
    if kind == "Status" and _group(api_version) in ("", None, "meta.k8s.io"):
        return "an API error response (kind Status) saved in place of the objects: list them again"
    group = _group(api_version)
    ki = KINDS_BY_NAME.get(kind)
    if ki is None and not kind.endswith("List"):
        ki = kind_for(kind)
    if ki is not None:
        if group is None or group == ki.group or (looks_builtin(group) and looks_builtin(ki.group)):
            if ki.kind == "Event" and group == "events.k8s.io":
                return _Read(ki, _EventV1, _events_v1)
            return _Read(ki, ki.wire, None)
        # same name, another group: a custom resource (a Knative Service...), named with its
        # group so that it is not mistaken for the kind the rules read
        return _Ignore(f"{kind}.{group}" if group else kind)
    closed = CLOSED_GROUPS.get(group) if group is not None else None
    if closed is not None and kind not in closed:
        return f"unknown kind {kind!r} ({api_version})"
    if group is None and kind not in IGNORED_KINDS:
        return f"unknown kind {kind!r}"  # no apiVersion to tell a custom resource by
    return _Ignore(kind)


def _plural_names(kind: str) -> set[str]:
    low = kind.lower()
    names = {low, low + "s", low + "es"}
    if low.endswith("y"):
        names.add(low[:-1] + "ies")
    return names


_IGNORED_BY_NAME: dict[str, str] = {n: kind for kind in IGNORED_KINDS for n in _plural_names(kind)}


def hint_kind(name: str) -> tuple[str, str | None] | None:
    """The kind a file or directory name stands for, and its apiVersion when that is fixed.

    ``pods`` → ``("Pod", None)``; ``storage-classes`` → ``("StorageClass", None)``;
    ``scaledobjects.keda.sh`` → ``("ScaledObject", None)``; ``core_v1_pods`` (Sonobuoy) →
    ``("Pod", None)``; ``certificates.cert-manager.io`` (a CRD name no rule reads) →
    ``("certificates", "cert-manager.io/v1")``; ``kustomization`` → ``("Kustomization",
    "kustomize.config.k8s.io/v1beta1")``; ``snapshot`` → ``None``.
    """
    if not name:
        return None
    ki = kind_for(name)
    if ki is None and "_" in name:
        ki = kind_for(name.rpartition("_")[2])
    if ki is not None:
        return (ki.kind, None)
    flat = name.lower().replace("-", "").replace("_", "")
    if flat in _IGNORED_BY_NAME:
        return (_IGNORED_BY_NAME[flat], None)
    if flat == "kustomization":  # kustomize's own file, which may leave out its kind
        return ("Kustomization", "kustomize.config.k8s.io/v1beta1")
    plural, dot, group = name.partition(".")
    if dot and plural and "." in group:
        return (plural, f"{group}/v1")
    return None


# --------------------------------------------------------------------------- errors


_AT = re.compile(r"^(?P<msg>.*?) - at `\$(?P<path>[^`]*)`$", re.S)
_INDEX = re.compile(r"^\[(\d+)\]")
_BYTE = re.compile(r"\(byte (\d+)\)")
_MISSING = re.compile(r"^Object missing required field `([^`]*)`$")
_EXPECTED = re.compile(r"^Expected `([^`]*)`, got `([^`]*)`$")


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _error(source: str, problem: str, obj: str | None = None) -> SnapshotError:
    return SnapshotError(_one_line(source), _one_line(problem), obj=_one_line(obj) if obj else None)


def _split_validation(exc: Exception) -> tuple[str, str]:
    """``("Expected `str`, got `int`", ".items[3].metadata.name")``."""
    text = str(exc)
    m = _AT.match(text)
    if m is None:
        return text, ""
    return m.group("msg"), m.group("path")


def _problem(msg: str, path: str) -> str:
    where = "$" + path
    m = _MISSING.match(msg)
    if m is not None:
        return f"missing required field {where}.{m.group(1)}"
    m = _EXPECTED.match(msg)
    if m is not None:
        return f"wrong type at {where}: expected {m.group(1)}, got {m.group(2)}"
    return f"{msg} at {where}" if path else msg


def _name_of(kind: str | None, named: _Named | dict[str, Any] | None) -> str | None:
    """``Kind/ns/name`` (or ``Kind/name``) when the object's metadata says so."""
    if named is None:
        return None
    if isinstance(named, dict):
        meta = named.get("metadata")
        name = meta.get("name") if isinstance(meta, dict) else None
        ns = meta.get("namespace") if isinstance(meta, dict) else None
        obj_kind = named.get("kind")
    else:
        name = named.metadata.name if named.metadata else None
        ns = named.metadata.namespace if named.metadata else None
        obj_kind = named.kind
    kind = obj_kind if isinstance(obj_kind, str) and obj_kind else kind
    if not isinstance(name, str) or not name:
        return None
    parts = [kind or "object"]
    if isinstance(ns, str) and ns:
        parts.append(ns)
    parts.append(name)
    return "/".join(parts)


def _named_json(raw: bytes | msgspec.Raw) -> _Named | None:
    try:
        return _NAMED.decode(raw)
    except (msgspec.MsgspecError, RecursionError, ValueError):
        return None


def _describe(position: str | None, kind: str | None, named: _Named | dict[str, Any] | None) -> str | None:
    name = _name_of(kind, named)
    if name and position:
        return f"{name} ({position})"
    return name or position or (kind if kind else None)


def _malformed_json(source: str, data: bytes, exc: Exception) -> SnapshotError:
    text = str(exc)
    m = _BYTE.search(text)
    if m is not None:
        offset = int(m.group(1))
        line = data.count(b"\n", 0, offset) + 1
        col = offset - (data.rfind(b"\n", 0, offset) + 1) + 1
        text = _BYTE.sub(f"(line {line}, column {col})", text)
    return _error(source, f"malformed JSON: {text}")


# --------------------------------------------------------------------------- input hygiene

_NONWS = re.compile(rb"\S")


def _text_bytes(data: bytes, source: str) -> bytes:
    """Reject binary input; turn UTF-16 (PowerShell redirection) into UTF-8; drop a BOM."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeError:
            raise _error(source, "not a text file (undecodable UTF-16)") from None
    if data[:3] == b"\xef\xbb\xbf":
        data = data[3:]
    if b"\x00" in data:
        raise _error(source, "binary file (NUL bytes), not JSON or YAML")
    return data


# --------------------------------------------------------------------------- null is absent


def without_nulls(obj: Any) -> Any:
    """``obj`` with every ``null`` object member dropped, at any depth, and map keys made
    strings (YAML ``1: x`` is ``"1": x``, as kubectl's YAML-to-JSON conversion makes it).

    This is how the API server prunes a custom resource's free-form fields. Built-in kinds
    go through :func:`api_values`, which knows a struct field from a map entry. ``null``
    items of a list stay. Raises RecursionError on absurdly deep input.
    """
    if isinstance(obj, dict):
        return {
            (key if isinstance(key, str) else _key_text(key)): without_nulls(value)
            for key, value in obj.items()
            if value is not None
        }
    if isinstance(obj, list):
        return [without_nulls(v) for v in obj]
    return obj


def api_values(obj: Any, typ: Any) -> Any:
    """Plain values (decoded JSON or YAML) as the API server reads them into ``typ``.

    A field set to ``null`` is the field left out, at any depth; a ``null`` map entry
    (``labels: {app: }``, ``requests: {cpu: }``) is the entry with its zero value (``""``,
    quantity ``"0"``), as Go's JSON decoding stores it; map keys are strings. Free-form
    subtrees (``dict[str, Any]``) drop their nulls like a custom resource's pruned fields.
    Raises RecursionError on absurdly deep input.
    """
    info = _TYPE_INFO.get(typ)
    if info is None:
        info = _TYPE_INFO[typ] = msgspec.inspect.type_info(typ)
    return _api_value(obj, info)


_TYPE_INFO: dict[Any, Any] = {}
_FIELDS: dict[type, dict[str, Any]] = {}
_mi = msgspec.inspect


def _struct_fields(t: Any) -> dict[str, Any]:
    fields = _FIELDS.get(t.cls)
    if fields is None:
        fields = _FIELDS[t.cls] = {f.encode_name: f.type for f in t.fields}
    return fields


def _branch(value: Any, t: Any) -> Any:
    """The member of a union type that ``value`` (a dict or list) decodes into."""
    for member in t.types:
        if isinstance(value, dict) and isinstance(member, (_mi.StructType, _mi.DictType)):
            return member
        if isinstance(value, list) and isinstance(member, _mi.ListType):
            return member
    return None


def _zero(t: Any) -> Any:
    """Go's zero value for a map entry of type ``t`` that was ``null``."""
    if isinstance(t, _mi.UnionType):
        kinds = {type(m) for m in t.types}
        if _mi.NoneType in kinds:
            return None
        if _mi.StrType in kinds:
            return "0" if kinds & {_mi.IntType, _mi.FloatType} else ""  # a quantity's zero is "0"
        return _zero(t.types[0])
    zeros: dict[type, Any] = {
        _mi.StrType: "", _mi.IntType: 0, _mi.FloatType: 0.0, _mi.BoolType: False,
        _mi.ListType: [], _mi.DictType: {}, _mi.StructType: {},
    }
    return zeros.get(type(t))


def _api_value(value: Any, t: Any) -> Any:
    if isinstance(t, _mi.UnionType):
        t = _branch(value, t)
        if t is None:
            return value
    if isinstance(t, _mi.StructType):
        if not isinstance(value, dict):
            return value
        fields = _struct_fields(t)
        out = {}
        for key, v in value.items():
            if v is None:
                continue  # a field set to null is the field left out
            name = key if isinstance(key, str) else _key_text(key)
            ft = fields.get(name)
            out[name] = v if ft is None else _api_value(v, ft)
        return out
    if isinstance(t, _mi.DictType):
        if not isinstance(value, dict):
            return value
        vt = t.value_type
        return {
            (key if isinstance(key, str) else _key_text(key)): _zero(vt) if v is None else _api_value(v, vt)
            for key, v in value.items()
        }
    if isinstance(t, _mi.ListType):
        if not isinstance(value, list):
            return value
        it = t.item_type
        return [v if v is None else _api_value(v, it) for v in value]
    if isinstance(t, _mi.AnyType):
        return without_nulls(value)
    return value


def _key_text(key: Any) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, float):
        return format(key, "g")
    return "null" if key is None else str(key)


def _lenient_json(data: bytes | msgspec.Raw, typ: Any) -> Any:
    """The slow path for JSON holding ``null`` where the fast typed decode wants a value:
    decode to plain values, read them as the API server does, convert. Raises what
    :func:`msgspec.convert` raises."""
    return msgspec.convert(api_values(msgspec.json.decode(data), typ), typ)


# --------------------------------------------------------------------------- shared core





class _Items:
    """The items of one list (JSON heads or YAML dicts) and how to decode a run of them."""

    def __init__(
        self,
        source: str,
        heads: Sequence[tuple[str | None, str | None]],
        container: str,
        list_kind: str | None,
        list_api_version: str | None,
        hint: str | None,
    ) -> None:
        self.source = source
        self.heads = heads
        self.container = container  # "items", "" (bare array) or "document 2 items"
        item_kind: str | None = None
        item_api: str | None = None
        if list_kind and list_kind != "List" and list_kind.endswith("List"):
            item_kind, item_api = list_kind[:-4], list_api_version
        elif hint:
            guess = hint_kind(hint)
            if guess is not None:
                item_kind, item_api = guess
        self.default_kind = item_kind
        self.default_api = item_api

    def position(self, i: int) -> str:
        return f"{self.container}[{i}]"

    def key(self, i: int) -> tuple[str | None, str | None]:
        kind, api = self.heads[i]
        if kind:
            return kind, api
        return self.default_kind, api or self.default_api


def _runs(items: _Items) -> Iterator[tuple[int, int, tuple[str | None, str | None]]]:
    """Consecutive items of the same (kind, apiVersion)."""
    n = len(items.heads)
    if n == 0:
        return
    distinct = set(items.heads)
    if len(distinct) == 1:
        yield 0, n, items.key(0)
        return
    start = 0
    key = items.key(0)
    for i in range(1, n):
        k_i = items.key(i)
        if k_i != key:
            yield start, i, key
            start, key = i, k_i
    yield start, n, key


def _batches(
    items: _Items,
    decode_run: Callable[[int, int, Any], list[Any]],
    name_at: Callable[[int], _Named | dict[str, Any] | None],
) -> Iterator[Batch]:
    if not items.heads:
        if items.default_kind:
            res = _resolve(items.default_kind, items.default_api)
            if isinstance(res, _Read):
                yield Batch(res.info.kind, res.info, [], 0)
        return
    for start, end, (kind, api) in _runs(items):
        res = _resolve(kind, api)
        if isinstance(res, str):
            pos = items.position(start)
            raise _error(items.source, res, _describe(pos, kind, name_at(start)))
        if isinstance(res, _Ignore):
            yield Batch(res.kind, None, [], end - start)
            continue
        objs = decode_run(start, end, res.wire)
        if res.post is not None:
            objs = res.post(objs)
        yield Batch(res.info.kind, res.info, objs, len(objs))


# --------------------------------------------------------------------------- JSON

_LIST_DECODERS: dict[Any, msgspec.json.Decoder[Any]] = {}
_ENVELOPE_DECODERS: dict[Any, msgspec.json.Decoder[Any]] = {}


def _list_decoder(wire: Any) -> msgspec.json.Decoder[Any]:
    dec = _LIST_DECODERS.get(wire)
    if dec is None:
        dec = _LIST_DECODERS[wire] = msgspec.json.Decoder(list[wire])
    return dec


def _envelope_decoder(wire: Any, *, page: bool = False) -> msgspec.json.Decoder[Any]:
    """``{"items": [wire...]}``; with ``page``, also the list's metadata (continue token)."""
    dec = _ENVELOPE_DECODERS.get((wire, page))
    if dec is None:
        fields: list[Any] = [("items", list[wire], [])]
        if page:
            fields.append(("metadata", _ListMeta, msgspec.field(default_factory=_ListMeta)))
        env = msgspec.defstruct(f"{wire.__name__}ListEnvelope", fields)
        dec = _ENVELOPE_DECODERS[(wire, page)] = msgspec.json.Decoder(env)
    return dec


def _object_decoder(wire: Any) -> msgspec.json.Decoder[Any]:
    dec = _ENVELOPE_DECODERS.get(("object", wire))
    if dec is None:
        dec = _ENVELOPE_DECODERS[("object", wire)] = msgspec.json.Decoder(wire)
    return dec


def _kind_decoder(info: KindInfo, wire: Any) -> msgspec.json.Decoder[Any]:
    return decoder(info) if wire is info.wire else _object_decoder(wire)


def _envelope_type(wire: Any) -> Any:
    """``{"items": [wire...], "metadata": {...}}`` for :func:`msgspec.convert` (plain values)."""
    return _envelope_decoder(_py_wire(wire), page=True).type


def decode_list_bytes(data: bytes, source: str, *, hint: str | None = None) -> Iterator[Batch]:
    """Decode one JSON document: a List, a typed XList, a bare array or a single object.

    Args:
        data: the bytes, as read from a file or an API response.
        source: names the input in errors (a file path, ``GET /api/v1/pods``).
        hint: a file or directory name standing for the kind (``pods``), used for items that
            carry no kind when the list does not say either.

    Yields:
        One :class:`Batch` per run of objects of one kind (an empty typed list yields one
        empty batch, so the kind counts as captured). Whitespace-only input yields nothing.

    Raises:
        SnapshotError: malformed JSON (with line and column), binary input, an object of an
            unknown built-in kind, without a kind, or with a missing/mistyped field.
    """
    data = _text_bytes(data, source)
    m = _NONWS.search(data)
    if m is None:
        return
    if len(data) <= DUPLICATE_CHECK_BYTES:
        _refuse_duplicate_keys(data, source)
    first = data[m.start() : m.start() + 1]
    if first == b"{":
        yield from _json_object_or_list(data, source, hint)
    elif first == b"[":
        heads = _decode_heads(_HEAD_ARRAY, data, source, "")
        items = _Items(source, [(h.kind, h.api_version) for h in heads], "", None, None, hint)
        yield from _json_items(data, items, envelope=False)
    else:
        raise _error(source, "not a Kubernetes object or list (expected a JSON object or array)")


def _decode_heads(dec: msgspec.json.Decoder[Any], data: bytes, source: str, container: str) -> Any:
    try:
        return dec.decode(data)
    except msgspec.ValidationError as exc:
        msg, path = _split_validation(exc)
        if container == "items" and path.startswith(".items"):
            path = path[len(".items") :]
        m = _INDEX.match(path)
        if m is not None:
            pos = f"{container}[{m.group(1)}]"
            rest = path[m.end() :]
            if msg.startswith("Expected `object`"):
                raise _error(source, "not a Kubernetes object (" + _problem(msg, rest) + ")", pos) from None
            raise _error(source, _problem(msg, rest), pos) from None
        raise _error(source, _problem(msg, path)) from None
    except msgspec.DecodeError as exc:
        raise _malformed_json(source, data, exc) from None
    except RecursionError:
        raise _error(source, "nested too deeply") from None
    except ValueError as exc:  # invalid UTF-8 inside a string
        raise _error(source, f"not UTF-8 text ({exc})") from None


def _json_object_or_list(data: bytes, source: str, hint: str | None) -> Iterator[Batch]:
    head = _decode_heads(_HEAD_LIST, data, source, "items")
    if head.items is not None and (head.kind is None or head.kind.endswith("List")):
        items = _Items(
            source, [(h.kind, h.api_version) for h in head.items], "items", head.kind, head.api_version, hint
        )
        yield from _json_items(data, items, envelope=True)
        return
    if head.kind is not None and head.kind.endswith("List") and head.items is None:
        items = _Items(source, [], "items", head.kind, head.api_version, hint)
        yield from _batches(items, _no_run, _no_name)
        return
    # a single object
    kind, api = head.kind, head.api_version
    if not kind and hint:
        guess = hint_kind(hint)
        if guess is not None:
            kind, api = guess[0], api or guess[1]
    res = _resolve(kind, api)
    if isinstance(res, str):
        raise _error(source, res, _describe(None, kind, _named_json(data)))
    if isinstance(res, _Ignore):
        yield Batch(res.kind, None, [], 1)
        return
    try:
        try:
            obj = _kind_decoder(res.info, res.wire).decode(data)
        except msgspec.ValidationError:
            obj = _lenient_json(data, _py_wire(res.wire))
    except msgspec.ValidationError as exc:
        msg, path = _split_validation(exc)
        raise _error(source, _problem(msg, path), _describe(None, kind, _named_json(data))) from None
    except (msgspec.DecodeError, RecursionError, ValueError) as exc:
        raise _error(source, f"cannot decode: {exc}") from None
    objs = [obj]
    if res.post is not None:
        objs = res.post(objs)
    yield Batch(res.info.kind, res.info, objs, 1)


def _no_run(start: int, end: int, wire: Any) -> list[Any]:  # pragma: no cover - never called
    return []


def _no_name(i: int) -> None:  # pragma: no cover - never called
    return None


def _json_items(data: bytes, items: _Items, *, envelope: bool) -> Iterator[Batch]:
    runs = list(_runs(items)) if items.heads else []
    raws: list[msgspec.Raw] | None = None

    def get_raws() -> list[msgspec.Raw]:
        nonlocal raws
        if raws is None:
            raws = _RAW_LIST.decode(data).items if envelope else _RAW_ARRAY.decode(data)
        return raws

    def name_at(i: int) -> _Named | None:
        return _named_json(get_raws()[i])

    def decode_run(start: int, end: int, wire: Any) -> list[Any]:
        try:
            objs: list[Any]
            with gc_paused():
                try:
                    if len(runs) == 1:  # the whole document is one kind: one typed decode, no copy
                        if envelope:
                            objs = _envelope_decoder(wire).decode(data).items
                        else:
                            objs = _list_decoder(wire).decode(data)
                    else:  # several kinds: decode each item where it lies (joining a run copies it)
                        objs = _each_item(get_raws(), start, end, wire)
                except msgspec.ValidationError:  # a null where a value is typed, or a real error
                    typ = _list_type(wire)
                    plain = [msgspec.json.decode(r) for r in get_raws()[start:end]]
                    objs = msgspec.convert(api_values(plain, typ), typ)
            return objs
        except (msgspec.ValidationError, _ItemError) as exc:
            if isinstance(exc, _ItemError):
                msg, path = _split_validation(exc.error)
                i = exc.index
            else:
                msg, path = _split_validation(exc)
                m = _INDEX.match(path)
                if m is None:
                    raise _error(items.source, _problem(msg, path)) from None
                i, path = start + int(m.group(1)), path[m.end() :]
            kind = items.key(i)[0]
            obj = _describe(items.position(i), kind, name_at(i))
            raise _error(items.source, _problem(msg, path), obj) from None
        except (msgspec.DecodeError, RecursionError, ValueError) as exc:
            raise _error(items.source, f"cannot decode: {exc}") from None

    yield from _batches(items, decode_run, name_at)


class _ItemError(Exception):
    """An item of a run that does not fit its type, even read as the API server reads it."""

    def __init__(self, index: int, error: msgspec.ValidationError) -> None:
        super().__init__(str(error))
        self.index = index
        self.error = error


def _each_item(raws: list[msgspec.Raw], start: int, end: int, wire: Any) -> list[Any]:
    """Decode ``raws[start:end]`` one by one: as fast as one list decode, without first
    copying the run into a new JSON array. An item with a ``null`` where a value is typed is
    read as the API server reads it.

    Raises:
        _ItemError: an item that does not fit ``wire`` even so (with its index).
    """
    dec = _item_decoder(wire)
    out = []
    for i in range(start, end):
        raw = raws[i]
        try:
            out.append(dec.decode(raw))
        except msgspec.ValidationError:
            typ = _py_wire(wire)
            try:
                out.append(msgspec.convert(api_values(msgspec.json.decode(raw), typ), typ))
            except msgspec.ValidationError as exc:
                raise _ItemError(i, exc) from None
    return out


_ITEM_DECODERS: dict[Any, msgspec.json.Decoder[Any]] = {}


def _item_decoder(wire: Any) -> msgspec.json.Decoder[Any]:
    dec = _ITEM_DECODERS.get(wire)
    if dec is None:
        dec = _ITEM_DECODERS[wire] = msgspec.json.Decoder(wire)
    return dec


def decode_page(data: bytes, ki: KindInfo, source: str) -> Page:
    """Decode one API list page of a known kind (items carry no kind on the wire).

    Args:
        data: the response body of ``GET <ki.path()>?limit=N``.
        ki: the kind listed.
        source: names the request in errors (``GET /api/v1/pods``).

    Returns:
        The items and the list's ``continue`` token and resourceVersion.

    Raises:
        SnapshotError: the body is not a list of ``ki``'s objects.
    """
    wire: Any = ki.wire
    post = None
    if ki.kind == "Event" and ki.group == "events.k8s.io":
        wire, post = _EventV1, _events_v1
    try:
        with gc_paused():
            try:
                env = _envelope_decoder(wire, page=True).decode(data)
            except msgspec.ValidationError:  # a null where a value is typed, or a real error
                env = _lenient_json(data, _envelope_type(wire))
    except msgspec.ValidationError as exc:
        msg, path = _split_validation(exc)
        obj = None
        m = re.match(r"^\.items\[(\d+)\]", path)
        if m is not None:
            obj = f"items[{m.group(1)}]"
            path = path[m.end() :]
        raise _error(source, _problem(msg, path), obj) from None
    except msgspec.DecodeError as exc:
        raise _malformed_json(source, data, exc) from None
    except (RecursionError, ValueError) as exc:
        raise _error(source, f"cannot decode: {exc}") from None
    objs = list(env.items)
    if post is not None:
        objs = post(objs)
    return Page(objs, env.metadata.continue_ or None, env.metadata.resource_version)


# --------------------------------------------------------------------------- duplicate keys

#: JSON documents up to this size are checked for duplicate keys (hand-written manifests,
#: single objects); the API server and kubectl never write a duplicate key, and the large
#: files are theirs, so a multi-GiB ``kubectl get -A -o json`` keeps the fast path.
DUPLICATE_CHECK_BYTES = 16 * 2**20
_DUP = "\x00r2c-duplicate-key"


class _Duplicates:
    def __init__(self) -> None:
        self.found = False

    def __call__(self, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out and _DUP not in out:
                out[_DUP] = key
                self.found = True
            out[key] = value
        return out


def _duplicate_in(obj: Any) -> str | None:
    stack = [obj]
    while stack:
        cur = stack.pop()
        if isinstance(cur, dict):
            if _DUP in cur:
                return str(cur[_DUP])
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)
    return None


def _refuse_duplicate_keys(data: bytes, source: str) -> None:
    """One-line error naming the key and the object when a JSON object names a key twice
    (the last would silently win; kubectl refuses such input)."""
    import json

    hook = _Duplicates()
    try:
        doc = json.loads(data, object_pairs_hook=hook)
    except (ValueError, RecursionError):
        return  # not JSON enough to say: the decoder reports it properly
    if not hook.found:
        return
    items = doc.get("items") if isinstance(doc, dict) and isinstance(doc.get("items"), list) else None
    if items is None:
        items = doc if isinstance(doc, list) else [doc]
        container = "" if isinstance(doc, list) else None
    else:
        container = "items"
    for i, item in enumerate(items):
        key = _duplicate_in(item)
        if key is not None:
            position = f"{container}[{i}]" if container is not None else None
            named = item if isinstance(item, dict) else None
            raise _error(source, f"duplicate key {key!r} (kubectl refuses it too)", _describe(position, None, named))
    raise _error(source, f"duplicate key {_duplicate_in(doc)!r} (kubectl refuses it too)")


# --------------------------------------------------------------------------- YAML

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _DuplicateKey(yaml.constructor.ConstructorError):
    """A mapping names the same key twice (kubectl refuses such YAML)."""

    def __init__(self, key: Any, obj: str | None, mark: Any) -> None:
        super().__init__(None, None, f"duplicate key {key!r}", mark)
        self.key = key
        self.obj = obj


class _Loader(_BaseLoader):  # type: ignore[misc]
    """Safe loader that keeps timestamps as strings (hand-written ``creationTimestamp: 2024-..``)
    and refuses a mapping that names a key twice, as kubectl does."""

    def construct_document(self, node: Any) -> Any:
        self._r2c_root = node
        return super().construct_document(node)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
                    continue
                key = self.construct_object(key_node, deep=True)
                if key in seen:
                    raise _DuplicateKey(key, _node_name(getattr(self, "_r2c_root", None)), key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep)


def _node_name(root: Any) -> str | None:
    """``Deployment/shop/api`` from a document's node, before it is constructed."""
    if not isinstance(root, yaml.MappingNode):
        return None
    top = {k.value: v for k, v in root.value if isinstance(k, yaml.ScalarNode)}
    kind = top.get("kind")
    meta = top.get("metadata")
    fields = {k.value: v.value for k, v in meta.value if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode)} \
        if isinstance(meta, yaml.MappingNode) else {}
    parts = [kind.value if isinstance(kind, yaml.ScalarNode) else "object"]
    parts += [str(fields[f]) for f in ("namespace", "name") if fields.get(f)]
    return "/".join(parts) if len(parts) > 1 else None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_str)


class _SecretYaml(k._S, frozen=True):
    """A Secret from plain values (YAML, or JSON on the slow path): only key names are kept."""

    metadata: k.ObjectMeta
    type: str | None = None
    data: dict[str, Any] | None = None
    string_data: dict[str, Any] | None = None

    def to_secret(self) -> k.Secret:
        keys = tuple(sorted(set(self.data or ()) | set(self.string_data or ())))
        return k.Secret(metadata=k.secret_metadata(self.metadata), type=self.type, keys=keys)


def _py_wire(wire: Any) -> Any:
    """The struct to :func:`msgspec.convert` plain values into (a Secret's values are already
    Python strings there: only their key names are kept)."""
    return _SecretYaml if wire is k.SecretWire else wire


def _list_type(wire: Any) -> Any:
    item = _py_wire(wire)
    return list[item]  # type: ignore[valid-type]


#: a Go template action; ``${{ ... }}`` (GitHub Actions) is not one
_TEMPLATE = re.compile(rb"(?<!\$)\{\{(?:.*?\}\}|-?\s*/\*)")


def _template_line(data: bytes) -> str | None:
    """The first line holding a Helm/Go template action (``{{ .Values.x }}``), if any."""
    if b"{{" not in data or b"\x00" in data:
        return None
    m = _TEMPLATE.search(data)
    if m is None:
        return None
    start = data.rfind(b"\n", 0, m.start()) + 1
    end = data.find(b"\n", m.start())
    line = data[start : end if end >= 0 else len(data)].decode("utf-8", "replace").strip()
    number = data.count(b"\n", 0, m.start()) + 1
    return f"line {number}: {line[:60]}{'…' if len(line) > 60 else ''}"


def _templates_named(batches: Iterator[Batch], data: bytes, source: str) -> Iterator[Batch]:
    """Re-raise a decoding error of a file that holds template actions as what it is."""
    try:
        yield from batches
    except SnapshotError:
        where = _template_line(data)
        if where is None:
            raise
        raise _error(
            source,
            f"a template, not a manifest ({where}): render it first "
            "(`helm template`, `kustomize build`)",
        ) from None


def decode_yaml_bytes(data: bytes, source: str, *, hint: str | None = None) -> Iterator[Batch]:
    """Decode YAML (``kubectl get -o yaml``, multi-document manifests) like :func:`decode_list_bytes`.

    Args:
        data: the bytes of the file.
        source: names the input in errors.
        hint: a file or directory name standing for the kind.

    Yields:
        One :class:`Batch` per run of objects of one kind, document after document.

    Raises:
        SnapshotError: malformed YAML (with line and column), binary input, or a bad object.
    """
    return _templates_named(_decode_yaml(data, source, hint), data, source)


#: Nesting deeper than this is refused before parsing: Kubernetes objects nest about 20
#: levels, and libyaml's composer recurses in C (a few hundred thousand levels crash it).
MAX_NESTING = 512
_DEEP_INDENT = re.compile(rb"(?:^|\n)[ \t]{%d,}\S" % (MAX_NESTING * 2))


def _check_nesting(data: bytes, source: str) -> None:
    """Refuse YAML nested deeper than :data:`MAX_NESTING` (flow brackets or indentation)."""
    if data.count(b"[") + data.count(b"{") > MAX_NESTING:
        depth = deepest = 0
        quote = 0
        for byte in data:
            if quote:
                if byte == quote:
                    quote = 0
            elif byte in (0x22, 0x27):  # " and '
                quote = byte
            elif byte in (0x5B, 0x7B):  # [ {
                depth += 1
                if depth > deepest:
                    deepest = depth
                    if deepest > MAX_NESTING:
                        raise _error(source, f"nested too deeply (over {MAX_NESTING} levels)")
            elif byte in (0x5D, 0x7D) and depth:  # ] }
                depth -= 1
            elif byte == 0x0A:  # a newline ends a quoted scalar that never closed
                quote = 0
    if _DEEP_INDENT.search(data):
        raise _error(source, f"nested too deeply (indented over {MAX_NESTING * 2} columns)")


def _decode_yaml(data: bytes, source: str, hint: str | None) -> Iterator[Batch]:
    data = _text_bytes(data, source)
    _check_nesting(data, source)
    try:
        docs = list(yaml.load_all(data, Loader=_Loader))  # a safe loader (no arbitrary objects)
    except _DuplicateKey as exc:
        mark = exc.problem_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise _error(source, f"duplicate key {exc.key!r}{where} (kubectl refuses it too)", exc.obj) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = exc.problem or exc.context or "cannot parse"
        raise _error(source, f"malformed YAML{where}: {problem}") from None
    except yaml.YAMLError as exc:
        raise _error(source, f"not a YAML text file: {exc}") from None
    except (RecursionError, ValueError, TypeError) as exc:
        raise _error(source, f"cannot parse YAML: {exc}") from None
    if b"&" in data and b"*" in data:
        _check_alias_expansion(docs, len(data), source)
    many = sum(d is not None for d in docs) > 1
    for n, doc in enumerate(docs, start=1):
        if doc is None:
            continue
        label = f"document {n}" if many else None
        yield from _yaml_doc(doc, source, hint, label)


def _check_alias_expansion(docs: list[Any], size: int, source: str) -> None:
    """Refuse YAML whose aliases expand far beyond its text (a "billion laughs" document):
    without aliases a document has fewer values than bytes."""
    budget = size + 10_000
    stack: list[Any] = list(docs)
    while stack:
        obj = stack.pop()
        budget -= 1
        if budget < 0:
            raise _error(source, "YAML aliases expand far beyond the file's size; refusing to expand them")
        if isinstance(obj, dict):
            stack.extend(obj.values())
        elif isinstance(obj, list):
            stack.extend(obj)


def _yaml_doc(doc: Any, source: str, hint: str | None, label: str | None) -> Iterator[Batch]:
    prefix = f"{label} " if label else ""
    if isinstance(doc, dict):
        kind = doc.get("kind")
        api = doc.get("apiVersion")
        if not isinstance(kind, (str, type(None))) or not isinstance(api, (str, type(None))):
            raise _error(source, "wrong type at $.kind or $.apiVersion: expected str", label)
        raw_items = doc.get("items")
        if (raw_items is not None or (kind or "").endswith("List")) and (kind is None or kind.endswith("List")):
            if raw_items is None:
                raw_items = []
            if not isinstance(raw_items, list):
                raise _error(source, "wrong type at $.items: expected array", label)
            yield from _yaml_items(raw_items, source, prefix + "items", kind, api, hint)
            return
        if not kind and hint:
            guess = hint_kind(hint)
            if guess is not None:
                kind, api = guess[0], api or guess[1]
        res = _resolve(kind, api)
        if isinstance(res, str):
            raise _error(source, res, _describe(label, kind, doc))
        if isinstance(res, _Ignore):
            yield Batch(res.kind, None, [], 1)
            return
        objs = [_convert(doc, _py_wire(res.wire), source, lambda path: _describe(label, kind, doc))]
        if res.post is not None:
            objs = res.post(objs)
        yield Batch(res.info.kind, res.info, objs, 1)
    elif isinstance(doc, list):
        yield from _yaml_items(doc, source, prefix.strip(), None, None, hint)
    else:
        raise _error(
            source, f"not a Kubernetes object or list (a YAML {type(doc).__name__})", label
        )


def _convert(obj: Any, typ: Any, source: str, describe: Callable[[str], str | None]) -> Any:
    try:
        try:
            return msgspec.convert(obj, typ)
        except msgspec.ValidationError:  # a null where a value is typed, or a real error
            return msgspec.convert(api_values(obj, typ), typ)
    except msgspec.ValidationError as exc:
        msg, path = _split_validation(exc)
        raise _error(source, _problem(msg, path), describe(path)) from None
    except (RecursionError, ValueError, TypeError) as exc:
        raise _error(source, f"cannot decode: {exc}", describe("")) from None


def _yaml_items(
    raw_items: list[Any], source: str, container: str, list_kind: str | None, list_api: str | None,
    hint: str | None,
) -> Iterator[Batch]:
    heads: list[tuple[str | None, str | None]] = []
    for i, item in enumerate(raw_items):
        if not isinstance(item, dict):
            raise _error(
                source, f"not a Kubernetes object (a YAML {type(item).__name__})", f"{container}[{i}]"
            )
        kind, api = item.get("kind"), item.get("apiVersion")
        if not isinstance(kind, (str, type(None))) or not isinstance(api, (str, type(None))):
            raise _error(source, "wrong type at $.kind or $.apiVersion: expected str", f"{container}[{i}]")
        heads.append((kind, api))
    items = _Items(source, heads, container, list_kind, list_api, hint)

    def name_at(i: int) -> dict[str, Any]:
        item: dict[str, Any] = raw_items[i]
        return item

    def decode_run(start: int, end: int, wire: Any) -> list[Any]:
        try:
            with gc_paused():
                try:
                    objs: list[Any] = msgspec.convert(raw_items[start:end], _list_type(wire))
                except msgspec.ValidationError:  # a null where a value is typed, or a real error
                    typ = _list_type(wire)
                    objs = msgspec.convert(api_values(raw_items[start:end], typ), typ)
            return objs
        except msgspec.ValidationError as exc:
            msg, path = _split_validation(exc)
            m = _INDEX.match(path)
            if m is None:
                raise _error(source, _problem(msg, path)) from None
            i = start + int(m.group(1))
            obj = _describe(items.position(i), items.key(i)[0], raw_items[i])
            raise _error(source, _problem(msg, path[m.end() :]), obj) from None
        except (RecursionError, ValueError, TypeError) as exc:
            raise _error(source, f"cannot decode: {exc}") from None

    yield from _batches(items, decode_run, name_at)


# --------------------------------------------------------------------------- builder glue


def feed(builder: StateBuilder, batches: Iterable[Batch]) -> int:
    """Add batches to ``builder``: objects (kinds marked captured) and ignored counts.

    Returns:
        The number of objects seen, read or ignored.
    """
    seen = 0
    for batch in batches:
        seen += batch.size
        if batch.info is None:
            builder.ignore(batch.kind, batch.size)
        elif batch.objs:
            builder.extend(batch.info, batch.objs)
        else:
            builder.mark_captured(batch.info.kind)
    return seen
